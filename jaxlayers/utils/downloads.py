"""``get_file``: download once into a cache folder, check the hash, optionally extract.

Cache layout and file names follow Keras (``$KERAS_HOME`` or ``~/.keras``, then
``cache_subdir``), so files Keras downloaded are found here and the other way
round.  Three things are stricter than a plain download:

* a download goes to a temporary file in the cache folder and replaces the
  cached file only once complete and, when a hash is given, verified: an
  interrupted or tampered download never sits in the cache under the real name;
* extraction goes to a temporary folder renamed into place, and skips (with a
  warning) members that would land outside the folder: absolute paths, ``..``,
  links pointing outside, device files;
* failures are :class:`~jaxlayers.errors.DownloadError` (an ``OSError``) naming
  the URL and the cache path, and a hash mismatch is a
  :class:`~jaxlayers.errors.FileHashError` (a ``ValueError``).
"""

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile

from jaxlayers.backend import print_msg
from jaxlayers.errors import ConfigError, DownloadError, FileHashError
from jaxlayers.training.progbar import Progbar

_CHUNK = 1 << 16


def keras_home():
    """The cache root: ``$KERAS_HOME`` if set, else ``~/.keras`` (read at each call).

    Returns:
        A path string.

    Example:
        >>> import os
        >>> keras_home() == (os.environ.get("KERAS_HOME") or os.path.expanduser("~/.keras"))
        True
    """
    return os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")


def _hasher(algorithm, file_hash=None):
    if algorithm not in ("auto", "sha256", "md5"):
        raise ConfigError(
            "get_file: `hash_algorithm` must be 'auto', 'sha256' or 'md5'. "
            f"Received: hash_algorithm={algorithm!r}."
        )
    if algorithm == "sha256" or (algorithm == "auto" and file_hash is not None
                                 and len(file_hash) == 64):
        return hashlib.sha256()
    return hashlib.md5()


def hash_file(path, algorithm="sha256", file_hash=None):
    """The hex digest of a file (``'auto'`` picks sha256 for a 64-character ``file_hash``).

    Args:
        path: Path of the file.
        algorithm: ``'sha256'``, ``'md5'`` or ``'auto'``.
        file_hash: Optional expected hash, used to pick the algorithm for ``'auto'``.

    Example:
        >>> with open("empty.bin", "wb"):
        ...     pass
        >>> hash_file("empty.bin")[:16]
        'e3b0c44298fc1c14'
    """
    hasher = _hasher(algorithm, file_hash)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(path, file_hash, algorithm="auto"):
    """Whether the file at ``path`` has the hash ``file_hash`` (sha256 or md5).

    Args:
        path: The file's path.
        file_hash: Expected hex digest.
        algorithm: ``"sha256"``, ``"md5"`` or ``"auto"`` (md5 for a 32-digit hash).

    Returns:
        A bool.

    Example:
        >>> with open("hello.txt", "w") as f:
        ...     _ = f.write("hello")
        >>> validate_file("hello.txt", "5d41402abc4b2a76b9719d911017c592")
        True
    """
    return hash_file(path, algorithm, file_hash) == str(file_hash).lower()


# --------------------------------------------------------------------- extraction
def _inside(base, name):
    """``base/name`` resolved, or ``None`` when it leaves ``base`` (``base`` resolved)."""
    path = os.path.realpath(os.path.join(base, name))
    return path if os.path.commonpath([base, path]) == base else None


def _safe_tar_members(archive, base):
    # A generator: tarfile extracts each member before asking for the next, so
    # links created by earlier members are resolved when later ones are checked.
    for member in archive:
        target = _inside(base, member.name)
        if member.issym():
            ok = target is not None and _inside(
                base, os.path.join(os.path.dirname(target), member.linkname)) is not None
        elif member.islnk():
            ok = target is not None and _inside(base, member.linkname) is not None
        else:
            ok = target is not None and (member.isfile() or member.isdir())
        if ok:
            yield member
        else:
            warnings.warn(f"get_file: skipping archive member {member.name!r}: it is a special "
                          "file or would be written outside the extraction folder.",
                          UserWarning, stacklevel=4)


def _safe_zip_members(archive, base):
    for info in archive.infolist():
        if _inside(base, info.filename) is not None:
            yield info
        else:
            warnings.warn(f"get_file: skipping archive member {info.filename!r}: it would be "
                          "written outside the extraction folder.", UserWarning, stacklevel=4)


def extract_archive(file_path, path, archive_format="auto"):
    """Extracts a tar (``.tar``, ``.tar.gz``, ``.tar.bz2``) or zip archive into ``path``.

    Args:
        file_path: The archive.
        path: Destination folder (created; replaced as a whole if it exists).
        archive_format: ``'auto'`` (tar, then zip), ``'tar'``, ``'zip'``, a list
            of those, or ``None`` (extract nothing).

    Returns:
        ``True`` when the archive matched a format and was extracted.

    Example:
        >>> import os, zipfile
        >>> with zipfile.ZipFile("a.zip", "w") as z:
        ...     z.writestr("inside.txt", "x")
        >>> extract_archive("a.zip", "out"), os.listdir("out")
        (True, ['inside.txt'])
    """
    if archive_format is None:
        return False
    formats = ["tar", "zip"] if archive_format == "auto" else (
        [archive_format] if isinstance(archive_format, str) else list(archive_format))
    for fmt in formats:
        if fmt not in ("tar", "zip"):
            raise ConfigError(
                "get_file: `archive_format` must be 'auto', 'tar', 'zip', a list of those, or "
                f"None. Received: archive_format={archive_format!r}."
            )
    for fmt in formats:
        is_match = tarfile.is_tarfile if fmt == "tar" else zipfile.is_zipfile
        if not is_match(file_path):
            continue
        parent = os.path.dirname(os.path.abspath(path))
        os.makedirs(parent, exist_ok=True)
        staging = tempfile.mkdtemp(prefix=".extract-", dir=parent)
        try:
            base = os.path.realpath(staging)
            if fmt == "tar":
                with tarfile.open(file_path) as archive:
                    extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                    archive.extractall(staging, members=_safe_tar_members(archive, base), **extra)
            else:
                with zipfile.ZipFile(file_path) as archive:
                    archive.extractall(staging, members=_safe_zip_members(archive, base))
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            elif os.path.lexists(path):
                os.remove(path)
            os.replace(staging, path)
        finally:
            if os.path.isdir(staging):
                shutil.rmtree(staging)
        return True
    return False


# --------------------------------------------------------------------- download
def _open_url(url):
    """Opens ``url`` for reading (a seam: tests replace it to simulate no network)."""
    return urllib.request.urlopen(url, timeout=60)  # noqa: S310 - the user's own URL


def _download(origin, target, file_hash, algorithm, stale_note):
    """Fetches ``origin`` into ``target`` through a verified temporary file."""
    print_msg(f"Downloading data from {origin}")
    folder = os.path.dirname(target)
    fd, partial = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".part",
                                   dir=folder)
    try:
        try:
            with os.fdopen(fd, "wb") as out, _open_url(origin) as response:
                size = response.headers.get("Content-Length") if hasattr(
                    response, "headers") else None
                bar = Progbar(int(size) if size and size.isdigit() else None, unit_name="byte")
                done = 0
                for chunk in iter(lambda: response.read(_CHUNK), b""):
                    out.write(chunk)
                    done += len(chunk)
                    bar.update(done)
                bar.update(done, finalize=True)
        except urllib.error.HTTPError as e:
            raise DownloadError(
                f"get_file: could not download {origin} (HTTP {e.code} {e.reason}) to "
                f"{target}.{stale_note}"
            ) from None
        except (urllib.error.URLError, OSError, ValueError) as e:
            reason = getattr(e, "reason", e)
            raise DownloadError(
                f"get_file: could not download {origin} ({reason}) to {target}.{stale_note} "
                "Check the network connection, or put the file at that path yourself."
            ) from None
        if file_hash is not None and not validate_file(partial, file_hash, algorithm):
            raise FileHashError(
                f"get_file: the file downloaded from {origin} does not have the expected "
                f"{_hasher(algorithm, file_hash).name} hash {file_hash}: it is incomplete or "
                "has been altered. It was not saved; try again, or check the URL and hash."
            )
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def _cache_folder(cache_dir, cache_subdir):
    base = os.path.expanduser(keras_home() if cache_dir is None else os.fspath(cache_dir))
    folder = os.path.join(base, cache_subdir)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:
        # As Keras: an unwritable cache root falls back to the temporary folder.
        folder = os.path.join(tempfile.gettempdir(), ".keras", cache_subdir)
        os.makedirs(folder, exist_ok=True)
    return folder


def _targets(fname, origin, folder, extract):
    """``(download path, extraction folder or None)``, named as Keras names them."""
    given = fname is not None
    fname = os.fspath(fname) if given else os.path.basename(urllib.parse.urlsplit(origin).path)
    if not fname:
        raise ConfigError(
            f"get_file: cannot take a file name from origin={origin!r}; pass `fname`."
        )
    if os.sep in fname or "/" in fname or fname in (".", ".."):
        raise ConfigError(
            "get_file: `fname` must be a plain file name; choose the folder with `cache_dir` "
            f"and `cache_subdir`. Received: fname={fname!r}."
        )
    if not extract:
        return os.path.join(folder, fname), None
    if given and "." in fname:
        stem = fname[:fname.find(".")]
        return os.path.join(folder, fname), os.path.join(folder, f"{stem}_extracted")
    return os.path.join(folder, f"{fname}_archive"), os.path.join(folder, fname)


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None,
             cache_subdir="datasets", hash_algorithm="auto", extract=False,
             archive_format="auto", cache_dir=None, force_download=False):
    """Downloads ``origin`` into the cache unless a valid copy is there; returns its path.

    Args:
        fname: Name of the cached file (default: the last part of the URL).
            With ``extract``, a name with a dot keeps the archive under that
            name and extracts to ``<stem>_extracted``; a name without one is
            the extraction folder.
        origin: The URL (``https://``, ``http://`` or ``file://``).
        untar: Deprecated form of ``extract=True, archive_format='tar'``.
        md5_hash: Deprecated form of ``file_hash`` with ``hash_algorithm='md5'``.
        file_hash: Expected sha256 or md5 hex digest: a cached file that does
            not match is downloaded again, a download that does not match is an error.
        cache_subdir: Folder under the cache root (an absolute path is used as is).
        hash_algorithm: ``'auto'`` (sha256 for 64 hex digits, else md5), ``'sha256'``, ``'md5'``.
        extract: Extract the archive (tar or zip) and return the folder.
        archive_format: ``'auto'``, ``'tar'``, ``'zip'`` or ``None``.
        cache_dir: Cache root; default ``$KERAS_HOME`` or ``~/.keras``.
        force_download: Download even when a valid cached copy exists.

    Returns:
        The path of the cached file, or of the extraction folder with ``extract``.

    Raises:
        DownloadError: The file is not cached (or not valid) and could not be fetched.
        FileHashError: The downloaded file does not match ``file_hash``.

    Example:
        >>> import os
        >>> with open("words.txt", "w") as f:
        ...     _ = f.write("hello")
        >>> url = "file://" + os.path.abspath("words.txt")
        >>> path = get_file("words.txt", url, cache_dir=".")  # doctest: +ELLIPSIS
        Downloading data from file://...
        >>> open(path).read()
        'hello'
    """
    if not origin:
        raise ConfigError("get_file: pass `origin`, the URL of the file. Received: origin=None.")
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    _hasher(hash_algorithm)  # checks the name before any work
    folder = _cache_folder(cache_dir, cache_subdir)
    target, extraction_dir = _targets(fname, origin, folder, extract or untar)
    download, stale_note = True, ""
    if not force_download and os.path.isfile(target):
        download = file_hash is not None and not validate_file(target, file_hash,
                                                               hash_algorithm)
        if download:
            stale_note = (f" The cached copy there does not have the expected hash {file_hash} "
                          "(incomplete or altered), so it was not used.")
            print_msg(f"A cached copy of {origin} at {target} does not have the expected hash; "
                      "downloading it again.")
    if download:
        _download(origin, target, file_hash, hash_algorithm, stale_note)
    if extraction_dir is None:
        return target
    if download or not os.path.isdir(extraction_dir):
        if not extract_archive(target, extraction_dir, "tar" if untar else archive_format):
            warnings.warn(f"get_file: {target} is not a tar or zip archive; nothing was "
                          "extracted.", UserWarning, stacklevel=2)
    return extraction_dir


__all__ = ["get_file", "hash_file", "validate_file", "extract_archive", "keras_home"]
