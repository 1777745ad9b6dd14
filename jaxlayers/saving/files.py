"""The one place jaxlayers opens files it reads and writes files it saves.

Reading: :func:`open_regular` opens only regular files.  A device
(``/dev/zero``, ``/dev/urandom``) reads forever and a FIFO blocks the opener
until someone writes to it, so both are refused, before any byte is read.

Writing: :func:`atomic_write` is the single writer behind every file jaxlayers
saves (models, weights, params, training backups).  The content goes to a file
in the target's folder (unnamed until complete where Linux's ``O_TMPFILE``
allows), is flushed and fsynced, then given the target's name in one step, and
the folder is fsynced so the new name survives a power loss.  A failure at any
point, even a killed process, leaves the previous file untouched and no partial
file.  With ``overwrite=False`` the name is created by a hard link, which fails
if the name exists: of several processes saving to one new path at once,
exactly one succeeds.
"""

import contextlib
import errno
import os
import shutil
import stat
import tempfile

from jaxlayers.distribution import multihost
from jaxlayers.errors import ArchiveError


# ----------------------------------------------------------------------------- reading
def open_regular(path, source=None):
    """Opens ``path`` for binary reading if it is a regular file.

    Args:
        path: A str or ``os.PathLike``.
        source: How messages name the file (default: ``repr(path)``).

    Returns:
        A binary file object positioned at the start.

    Raises:
        FileNotFoundError: No such file.
        IsADirectoryError: ``path`` is a directory.
        ArchiveError: ``path`` is a device, FIFO or socket.

    Example:
        >>> with open("notes.txt", "w") as f:
        ...     _ = f.write("data")
        >>> with open_regular("notes.txt") as f:
        ...     f.read()
        b'data'
    """
    path = os.fspath(path)
    source = source or repr(path)
    _require_regular(os.stat(path).st_mode, path, source)  # a socket cannot even be opened
    # Non-blocking so that a FIFO swapped in after the stat cannot block open(); the
    # flag has no effect on reads of a regular file.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        _require_regular(os.fstat(fd).st_mode, path, source)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _require_regular(mode, path, source):
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "Is a directory", path)
    if not stat.S_ISREG(mode):
        raise ArchiveError(
            f"{source} is not a regular file (it is a device, FIFO or socket); only regular "
            "files are loaded."
        )


# ----------------------------------------------------------------------------- writing
def atomic_write(filepath, write, overwrite=True, previous=None):
    """Calls ``write(fileobj)`` on a temporary file, then gives it the name ``filepath``.

    Args:
        filepath: Target path (str or ``os.PathLike``).
        write: ``fn(binary_file)`` writing the whole content.
        overwrite: If ``False``, raise ``FileExistsError`` when ``filepath``
            exists, also when another process creates it during the write.
        previous: Optional path where the file being replaced is kept (the
            previous backup of ``BackupAndRestore(double_checkpoint=True)``);
            it is updated atomically too.

    In a job of several processes only process 0 writes: the others run
    ``write`` into a temporary file they discard, since serializing gathers
    the weights split over other processes' devices, a collective every
    process must join.

    Returns:
        The absolute path written (on process 0).

    Example:
        >>> atomic_write("notes.bin", lambda f: f.write(b"data"))  # doctest: +ELLIPSIS
        '...notes.bin'
    """
    path = os.path.abspath(os.fspath(filepath))
    if not multihost.is_chief():
        with tempfile.TemporaryFile() as discarded:
            write(discarded)
        return path
    folder = os.path.dirname(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"Cannot save to {path!r}: it is a directory.")
    if not overwrite and os.path.lexists(path):
        raise _exists_error(path)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"Cannot save to {path!r}: folder {folder!r} does not exist.")
    mode = _file_mode(path)
    prefix = f".{os.path.basename(path)}."
    fd = _unnamed_file(folder)
    tmp = None
    try:
        if fd is not None:
            with os.fdopen(fd, "w+b") as f:
                write(f)
                f.flush()
                os.fsync(f.fileno())
                os.fchmod(f.fileno(), mode)
                if not overwrite and previous is None and _link_new(f.fileno(), path):
                    _fsync_dir(folder)
                    return path
                tmp = _name_unnamed(f, folder, prefix)
        else:
            tmp = _named_temp(folder, prefix, write, mode)
        if previous is not None:
            _keep_previous(path, os.path.abspath(os.fspath(previous)), prefix)
        if overwrite:
            os.replace(tmp, path)
        else:
            _create_from(tmp, path)
        tmp = None
    finally:
        if tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    _fsync_dir(folder)
    return path


def _exists_error(path):
    return FileExistsError(
        errno.EEXIST,
        f"{path!r} already exists and overwrite=False. Pass overwrite=True to replace it",
        path,
    )


def _link_new(fd, path):
    """Names the complete open file ``fd`` ``path`` unless that exists; False if unsupported."""
    try:
        return _link_fd(fd, path)
    except FileExistsError:
        raise _exists_error(path) from None


def _create_from(tmp, path):
    """Gives the complete file ``tmp`` the new name ``path``; fails if ``path`` exists."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise _exists_error(path) from None
    except OSError:
        # No hard links here (some network or FAT file systems): claim the name with an
        # exclusive create, then move the content over it. The name exists, empty, for
        # an instant, but only one writer can claim it.
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:
            raise _exists_error(path) from None
        os.replace(tmp, path)
        return
    os.unlink(tmp)


def _keep_previous(path, previous, prefix):
    """Makes ``previous`` name the current ``path`` (if any), atomically."""
    if not os.path.exists(path):
        return
    folder = os.path.dirname(previous)
    tmp = os.path.join(folder, f"{prefix}{os.urandom(6).hex()}.prev.tmp")
    try:
        os.link(path, tmp)
    except OSError:  # no hard links: a copy, complete before it takes the name
        def copy(out):
            with open(path, "rb") as src:
                shutil.copyfileobj(src, out, 2**24)

        tmp = _named_temp(folder, prefix, copy, _file_mode(path))
    try:
        os.replace(tmp, previous)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _unnamed_file(folder):
    """A descriptor of a new file in ``folder`` with no name yet (``O_TMPFILE``), or None."""
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None:
        return None
    try:
        return os.open(folder, flag | os.O_RDWR, 0o600)
    except OSError:  # the filesystem or kernel does not support it
        return None


def _name_unnamed(f, folder, prefix):
    """Gives the complete unnamed file ``f`` a temporary name in ``folder``; returns it."""
    for _ in range(100):
        tmp = os.path.join(folder, f"{prefix}{os.urandom(6).hex()}.tmp")
        try:
            if _link_fd(f.fileno(), tmp):
                return tmp
            break
        except FileExistsError:
            continue
    # Linking refused (no /proc, no privilege): copy into a named temporary file.
    def copy(out):
        f.seek(0)
        shutil.copyfileobj(f, out, 2**24)

    return _named_temp(folder, prefix, copy, os.fstat(f.fileno()).st_mode & 0o777)


def _named_temp(folder, prefix, write, mode):
    """A complete, fsynced temporary file in ``folder`` filled by ``write``; its path.

    On any failure the temporary file is removed before the error propagates.
    """
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return tmp


def _link_fd(fd, dest):
    """Links the open file ``fd`` at ``dest``; False where the system does not allow it.

    Raises ``FileExistsError`` if ``dest`` exists.
    """
    try:
        os.link(f"/proc/self/fd/{fd}", dest, follow_symlinks=True)
        return True
    except FileExistsError:
        raise
    except OSError:
        pass
    try:  # linkat(fd, "", AT_FDCWD, dest, AT_EMPTY_PATH): needs no /proc
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        at_fdcwd, at_empty_path = -100, 0x1000
        if libc.linkat(fd, b"", at_fdcwd, os.fsencode(dest), at_empty_path) == 0:
            return True
        failure = ctypes.get_errno()
    except (OSError, AttributeError):
        return False
    if failure == errno.EEXIST:
        raise FileExistsError(errno.EEXIST, "File exists", dest)
    return False


def _file_mode(path):
    """The mode a new file gets: the old file's, else ``0o666`` less the umask."""
    try:
        return os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        pass
    try:
        with open("/proc/self/status") as f:  # reads the umask without changing it
            umask = next(int(line.split()[1], 8) for line in f if line.startswith("Umask:"))
    except (OSError, StopIteration, ValueError, IndexError):
        umask = os.umask(0)
        os.umask(umask)
    return 0o666 & ~umask


def _fsync_dir(folder):
    """Makes a new or changed name in ``folder`` durable (where the system allows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


__all__ = ["open_regular", "atomic_write"]
