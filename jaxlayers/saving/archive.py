"""The on-disk format: a zip archive of JSON and ``.npz`` members, written atomically.

A model file (``model.save("m.keras")``) is a zip holding

* ``metadata.json``: ``{"format": "jaxlayers", "format_version", "jaxlayers_version",
  "date_saved"}``;
* ``config.json``: the model's serialized config (class names from the registry,
  ``build_config``, ``compile_config``);
* ``model.weights.npz``: one array per weight, named ``params/<weight path>`` or
  ``state/<weight path>`` (``params/dense/kernel``), plus a small JSON manifest;
* ``optimizer.npz`` (optional): the optax state's leaves ``0 .. n-1`` and the
  trainer's key.

Weight files (``save_weights``, ``save_params``) are that same ``.npz`` on its
own, readable with ``np.load(path, allow_pickle=False)``.  Members are stored
uncompressed, so reading one array never inflates data.

Reading trusts nothing in the file: member names are only lookup keys (nothing
is ever extracted, so ``../`` names cannot write anywhere and are refused);
declared sizes and compression ratios are checked before any allocation; each
``.npy`` header is parsed and checked (plain numeric dtypes only, never
pickled objects, shape consistent with the member's size) before its data is
read; any zip, zlib or header failure becomes an :class:`ArchiveError`.

Writing goes to a temporary file in the target's folder (unnamed until
complete where Linux's ``O_TMPFILE`` allows), is flushed and fsynced, then
renamed over the target with ``os.replace``: a failure at any point, even a
killed process, leaves the previous file untouched and no partial file.
"""

import contextlib
import errno
import io
import json
import os
import struct
import tempfile
import zipfile
import zlib

import numpy as np

from jaxlayers.core import tracking
from jaxlayers.errors import SerializationError

FORMAT_NAME = "jaxlayers"
FORMAT_VERSION = 1
METADATA_MEMBER = "metadata.json"
CONFIG_MEMBER = "config.json"
WEIGHTS_MEMBER = "model.weights.npz"
OPTIMIZER_MEMBER = "optimizer.npz"
MANIFEST_KEY = "__jaxlayers_meta__"

MAX_MEMBERS = 1_000_000
MAX_JSON_BYTES = 64 * 2**20
# Deflate cannot compress better than about 1032:1; a larger declared ratio is a lie.
MAX_RATIO = 1100
_ALLOWED_COMPRESSION = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_ALLOWED_KINDS = "biufc"
# Low-precision dtypes NumPy cannot name in a .npy header: stored as unsigned-int views.
_EXTENSION_DTYPES = ("bfloat16", "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz",
                     "float8_e5m2fnuz", "float8_e4m3b11fnuz", "int4", "uint4", "int2", "uint2")
_LOCAL_HEADER = struct.Struct("<4s22sHH")


class ArchiveError(SerializationError):
    """A file is not a readable archive: not a zip, truncated, corrupted or hostile."""


# ----------------------------------------------------------------------------- writing
def atomic_write(filepath, write, overwrite=True):
    """Calls ``write(fileobj)`` on a temporary file, then renames it to ``filepath``.

    Args:
        filepath: Target path (str or ``os.PathLike``).
        write: ``fn(binary_file)`` writing the whole content.
        overwrite: If ``False`` and ``filepath`` exists, raise ``FileExistsError``.

    The content is written to a file in the target's folder, flushed and
    fsynced, then renamed over the target with ``os.replace``; on any exception
    it is removed and the previous target is left as it was.  Where the system
    allows (Linux ``O_TMPFILE``), the file has no name until it is complete, so
    even a process killed mid-save leaves nothing behind; elsewhere a killed
    save can leave a hidden ``.<name>.*.tmp`` file, never a partial target.
    """
    path = os.path.abspath(os.fspath(filepath))
    folder = os.path.dirname(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"Cannot save to {path!r}: it is a directory.")
    if not overwrite and os.path.exists(path):
        raise FileExistsError(
            f"{path!r} already exists and overwrite=False. Pass overwrite=True to replace it."
        )
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
                tmp = _name_unnamed(f, folder, prefix)
        else:
            tmp = _named_temp(folder, prefix, write, mode)
        os.replace(tmp, path)
    except BaseException:
        if tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        raise
    _fsync_dir(folder)
    return path


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
        while chunk := f.read(2**24):
            out.write(chunk)

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
    """Links the open file ``fd`` at ``dest``; False where the system does not allow it."""
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
        if ctypes.get_errno() == errno.EEXIST:
            raise FileExistsError(dest)
    except (OSError, AttributeError):
        pass
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


def _check_key(key):
    if not all(tracking.is_path_part(part) for part in key.split("/")):
        raise SerializationError(
            f"Cannot save an array under the name {key!r}: names are '/'-separated weight "
            f"paths whose parts are non-empty ({tracking.PATH_PART_RULE})."
        )


def encode_array(value):
    """``(numpy_array, dtype_name)``: a value NumPy can write, and its true dtype."""
    import jax

    dtype = getattr(value, "dtype", None)
    if dtype is not None and jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key):
        impl = str(jax.random.key_impl(value))
        return np.asarray(jax.random.key_data(value)), f"prng_key:{impl}"
    array = np.asarray(value)
    name = array.dtype.name
    if name in _EXTENSION_DTYPES:
        return array.view(f"u{array.dtype.itemsize}"), name
    if array.dtype.kind not in _ALLOWED_KINDS:
        raise SerializationError(
            f"Cannot save an array of dtype {array.dtype}: only bool, integer, float and "
            "complex arrays (and bfloat16 / float8) can be saved."
        )
    return array, name


def _write_array(stream, array):
    np.lib.format.write_array(stream, array, allow_pickle=False)


def write_npz(fileobj, items, extra_meta=None):
    """Writes ``items`` (``(key, array_like)`` pairs) as an uncompressed ``.npz``.

    Arrays are converted one at a time, so a model's weights are never all
    copied to host memory at once.  A manifest member records every key and
    its true dtype (bfloat16 is stored as a ``uint16`` view).
    """
    dtypes = {}
    with zipfile.ZipFile(fileobj, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        for key, value in items:
            _check_key(key)
            if key in dtypes or key == MANIFEST_KEY:
                raise SerializationError(f"Cannot save two arrays under the name {key!r}.")
            array, dtypes[key] = encode_array(value)
            with zf.open(key + ".npy", "w", force_zip64=True) as member:
                _write_array(member, array)
        manifest = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION,
                    "keys": list(dtypes), "dtypes": dtypes, **(extra_meta or {})}
        raw = np.frombuffer(json.dumps(manifest).encode("utf-8"), dtype=np.uint8)
        with zf.open(MANIFEST_KEY + ".npy", "w") as member:
            _write_array(member, raw)


def write_json(zf, name, obj):
    """Writes ``obj`` as the JSON member ``name`` of the open zip ``zf``."""
    try:
        text = json.dumps(obj, default=_json_default)
    except (TypeError, ValueError) as e:
        raise SerializationError(f"Cannot write {name}: {e}") from e
    zf.writestr(name, text.encode("utf-8"))


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray) and value.size <= 1024:
        return value.tolist()
    raise TypeError(
        f"a config holds {value!r} of type {type(value).__name__}, which is not JSON data. "
        "get_config() must return plain values (str, int, float, bool, None, list, dict)."
    )


# ----------------------------------------------------------------------------- reading
class _Window(io.RawIOBase):
    """A read-only, seekable view of ``length`` bytes of an open file from ``start``.

    Reads with ``pread`` on the archive's own descriptor: the same file even if
    the path is replaced meanwhile, and the descriptor's offset is untouched.
    """

    def __init__(self, fd, start, length):
        super().__init__()
        self._fd, self._start, self._length, self._pos = fd, start, length, 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self._pos

    def seek(self, offset, whence=io.SEEK_SET):
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._length}[whence]
        pos = base + offset
        if pos < 0:
            raise OSError("negative seek position")
        self._pos = pos
        return pos

    def readinto(self, buffer):
        n = max(0, min(len(buffer), self._length - self._pos))
        if n == 0:
            return 0
        view = memoryview(buffer).cast("B")[:n]
        if hasattr(os, "preadv"):
            got = os.preadv(self._fd, [view], self._start + self._pos)
        else:
            data = os.pread(self._fd, n, self._start + self._pos)
            got = len(data)
            view[:got] = data
        self._pos += got
        return got


def _member_error(source, what, e=None):
    detail = f" ({type(e).__name__}: {e})" if e is not None else ""
    return ArchiveError(f"{source}: {what}{detail}. The file is truncated, corrupted or not "
                        "a file written by jaxlayers or Keras.")


def validate_zip(zf, source, size):
    """Checks member names, count, compression and declared sizes of an open zip."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ArchiveError(f"{source}: {len(infos)} members is more than the limit "
                           f"{MAX_MEMBERS}; refusing to read it.")
    seen = set()
    for info in infos:
        name = info.filename
        parts = name.split("/")
        if (not name or name.startswith("/") or "\\" in name or "\x00" in name
                or ".." in parts or (len(name) > 1 and name[1] == ":")):
            raise ArchiveError(f"{source}: refusing a member with an unsafe name {name!r} "
                               "(absolute, '..' or drive path).")
        if name in seen:
            raise ArchiveError(f"{source}: the member {name!r} appears twice.")
        seen.add(name)
        if info.flag_bits & 0x1:
            raise ArchiveError(f"{source}: member {name!r} is encrypted.")
        if info.compress_type not in _ALLOWED_COMPRESSION:
            raise ArchiveError(f"{source}: member {name!r} uses compression method "
                               f"{info.compress_type}; only stored and deflated are read.")
        if info.header_offset + info.compress_size > size:
            raise _member_error(source, f"member {name!r} extends past the end of the file")
        if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
            raise _member_error(source, f"stored member {name!r} declares two sizes")
        if info.file_size > MAX_RATIO * max(info.compress_size, 1) + 4096:
            raise ArchiveError(
                f"{source}: member {name!r} declares {info.file_size} bytes from "
                f"{info.compress_size} compressed bytes (a ratio above {MAX_RATIO}); "
                "refusing a possible zip bomb."
            )


class ZipReader:
    """Validated read access to the members of a zip file (an archive or an ``.npz``).

    Use as a context manager: ``with ZipReader(path) as z: z.read_json("config.json")``.
    """

    def __init__(self, path, fileobj=None, source=None, size=None):
        self.path = path
        self.source = source or repr(os.fspath(path))
        self._own = fileobj is None
        try:
            if fileobj is None:
                fileobj = open(path, "rb")  # noqa: SIM115 - closed in close()
            self._fileobj = fileobj
            if size is None:
                size = fileobj.seek(0, io.SEEK_END)
                fileobj.seek(0)
            self.size = size
            self._zf = zipfile.ZipFile(fileobj)
        except FileNotFoundError:
            raise
        except IsADirectoryError:
            raise
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
                struct.error, KeyError) as e:
            self.close()
            raise _member_error(self.source, "is not a readable zip archive", e) from e
        try:
            validate_zip(self._zf, self.source, size)
        except BaseException:
            self.close()
            raise
        self.names = [i.filename for i in self._zf.infolist()]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        zf = self.__dict__.pop("_zf", None)
        if zf is not None:
            zf.close()
        if self._own and getattr(self, "_fileobj", None) is not None:
            self._fileobj.close()
            self._fileobj = None

    def info(self, name):
        try:
            return self._zf.getinfo(name)
        except KeyError:
            raise ArchiveError(
                f"{self.source}: the member {name!r} is missing (members: "
                f"{self.names[:20]}). The file is truncated or not a saved model."
            ) from None

    def read_bytes(self, name, limit=None):
        limit = MAX_JSON_BYTES if limit is None else limit
        info = self.info(name)
        if info.file_size > limit:
            raise ArchiveError(f"{self.source}: member {name!r} declares {info.file_size} "
                               f"bytes, more than the limit {limit}.")
        try:
            with self._zf.open(info) as f:
                data = f.read(limit + 1)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, struct.error) as e:
            raise _member_error(self.source, f"could not read {name!r}", e) from e
        if len(data) != info.file_size:
            raise _member_error(self.source, f"member {name!r} has the wrong length")
        return data

    def read_json(self, name):
        data = self.read_bytes(name)
        try:
            return json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as e:
            raise _member_error(self.source, f"{name!r} is not valid JSON", e) from e

    def _data_start(self, info):
        """Offset in the file of the data of a stored member (after its local header)."""
        self._fileobj.seek(info.header_offset)
        header = self._fileobj.read(_LOCAL_HEADER.size)
        if len(header) != _LOCAL_HEADER.size:
            raise _member_error(self.source, f"the header of {info.filename!r} is truncated")
        sig, _, name_len, extra_len = _LOCAL_HEADER.unpack(header)
        if sig != b"PK\x03\x04":
            raise _member_error(self.source, f"the header of {info.filename!r} is damaged")
        start = info.header_offset + _LOCAL_HEADER.size + name_len + extra_len
        if start + info.file_size > self.size:
            raise _member_error(self.source, f"member {info.filename!r} extends past the end")
        return start

    def open_member(self, name):
        """A seekable binary stream of member ``name`` (no copy for stored members)."""
        info = self.info(name)
        if info.compress_type == zipfile.ZIP_STORED and self.path is not None:
            start = self._data_start(info)
            return io.BufferedReader(_Window(self._fileobj.fileno(), start, info.file_size))
        spool = tempfile.SpooledTemporaryFile(max_size=64 * 2**20)
        try:
            with self._zf.open(info) as f:
                while chunk := f.read(2**20):
                    spool.write(chunk)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, struct.error) as e:
            spool.close()
            raise _member_error(self.source, f"could not read {name!r}", e) from e
        spool.seek(0)
        return spool

    def open_npz(self, name):
        """An :class:`NpzReader` over the ``.npz`` member ``name``."""
        stream = self.open_member(name)
        try:
            return NpzReader(stream, source=f"{self.source}[{name}]",
                             size=self.info(name).file_size, owns=True)
        except BaseException:
            stream.close()
            raise


class NpzReader(ZipReader):
    """Checked reading of the arrays of an ``.npz`` (``np.savez`` or :func:`write_npz`).

    ``keys()`` lists array names; ``header(key)`` gives ``(shape, dtype)`` without
    reading data; ``read(key)`` returns the array after validating its header.
    Never unpickles: object dtypes are refused, as ``np.load(allow_pickle=False)``.
    """

    def __init__(self, path_or_stream, source=None, size=None, owns=False):
        if isinstance(path_or_stream, (str, os.PathLike)):
            super().__init__(os.fspath(path_or_stream), source=source)
        else:
            super().__init__(None, fileobj=path_or_stream, source=source, size=size)
            self._own = owns
        self._arrays, self._headers = {}, {}
        for name in self.names:
            if not name.endswith(".npy"):
                raise ArchiveError(f"{self.source}: unexpected member {name!r}; an .npz "
                                   "holds only .npy arrays.")
            self._arrays[name[:-4]] = name
        self.manifest = None
        if MANIFEST_KEY in self._arrays:
            raw = self._read_checked(MANIFEST_KEY, max_bytes=MAX_JSON_BYTES)
            if raw.dtype != np.uint8 or raw.ndim != 1:
                raise _member_error(self.source, "the manifest array is malformed")
            try:
                self.manifest = json.loads(raw.tobytes().decode("utf-8"))
            except (UnicodeDecodeError, ValueError, RecursionError) as e:
                raise _member_error(self.source, "the manifest is not valid JSON", e) from e
            self._check_manifest()

    def _check_manifest(self):
        m = self.manifest
        if not isinstance(m, dict) or not isinstance(m.get("keys"), list) or not isinstance(
                m.get("dtypes"), dict):
            raise _member_error(self.source, "the manifest is malformed")
        stored = sorted(k for k in self._arrays if k != MANIFEST_KEY)
        if sorted(m["keys"]) != stored:
            missing = sorted(set(m["keys"]) - set(stored))
            extra = sorted(set(stored) - set(m["keys"]))
            raise ArchiveError(
                f"{self.source}: the arrays do not match the manifest ({len(stored)} stored, "
                f"{len(m['keys'])} listed). Missing: {missing[:10]}. Unexpected: {extra[:10]}."
            )

    def keys(self):
        if self.manifest is not None:
            return list(self.manifest["keys"])
        return [k for k in self._arrays if k != MANIFEST_KEY]

    def _parse_header(self, key, stream):
        try:
            version = np.lib.format.read_magic(stream)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
            else:
                raise ValueError(f"unsupported .npy version {version}")
        except (ValueError, OSError, EOFError, SyntaxError, TypeError, zipfile.BadZipFile,
                zlib.error, struct.error) as e:
            raise _member_error(self.source, f"array {key!r} has a bad .npy header", e) from e
        if dtype.hasobject or dtype.kind not in _ALLOWED_KINDS or dtype.names is not None:
            raise ArchiveError(
                f"{self.source}: array {key!r} has dtype {dtype}; only plain bool, integer, "
                "float and complex arrays are read (never pickled objects)."
            )
        if not all(isinstance(d, int) and d >= 0 for d in shape):
            raise _member_error(self.source, f"array {key!r} has a bad shape {shape!r}")
        return tuple(shape), bool(fortran), dtype, stream.tell()

    def _raw_header(self, key):
        if key not in self._headers:
            if key not in self._arrays:
                raise ArchiveError(f"{self.source}: no array named {key!r}.")
            info = self.info(self._arrays[key])
            with self._zf.open(info) as stream:
                shape, fortran, dtype, offset = self._parse_header(key, stream)
            count = int(np.prod(shape, dtype=np.int64)) if shape else 1
            if offset + count * dtype.itemsize != info.file_size:
                raise _member_error(
                    self.source, f"array {key!r} declares shape {shape} and dtype {dtype} "
                    f"({count * dtype.itemsize} bytes) but its member holds "
                    f"{info.file_size - offset} bytes")
            self._headers[key] = (shape, fortran, dtype, offset)
        return self._headers[key]

    def true_dtype(self, key):
        """The dtype name the array was saved from (e.g. ``bfloat16``), per the manifest."""
        stored = self._raw_header(key)[2]
        name = stored.name
        if self.manifest is not None:
            name = self.manifest["dtypes"].get(key, stored.name)
        if name == stored.name:
            return name
        if not isinstance(name, str):
            raise _member_error(self.source, f"the manifest dtype of {key!r} is malformed")
        if name in _EXTENSION_DTYPES and stored.kind == "u":
            import ml_dtypes

            if np.dtype(getattr(ml_dtypes, name)).itemsize == stored.itemsize:
                return name
        if name.startswith("prng_key:") and stored == np.uint32:
            return name
        raise ArchiveError(f"{self.source}: array {key!r} is stored as {stored} but the "
                           f"manifest says {name!r}.")

    def header(self, key):
        """``(shape, dtype_name)`` of array ``key``, from its header only."""
        return self._raw_header(key)[0], self.true_dtype(key)

    def _read_checked(self, key, max_bytes=None):
        shape, fortran, dtype, offset = self._raw_header(key)
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if max_bytes is not None and count * dtype.itemsize > max_bytes:
            raise ArchiveError(f"{self.source}: array {key!r} is larger than {max_bytes} bytes.")
        out = np.empty(count, dtype=dtype)
        buffer = memoryview(out.view(np.uint8).reshape(-1))
        info = self.info(self._arrays[key])
        try:
            if info.compress_type == zipfile.ZIP_STORED:
                # Straight from the file into the array, then the CRC: no copies.
                self._fileobj.seek(self._data_start(info))
                crc = zlib.crc32(self._fileobj.read(offset))
                _fill(self._fileobj, buffer)
                if zlib.crc32(buffer, crc) != info.CRC:
                    raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")
            else:
                with self._zf.open(info) as stream:
                    self._parse_header(key, stream)
                    _fill(stream, buffer)
                    stream.read(1)  # reach the end so zipfile checks the CRC
        except ArchiveError:
            raise
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, struct.error) as e:
            raise _member_error(self.source, f"could not read array {key!r}", e) from e
        return out.reshape(shape, order="F" if fortran else "C")

    def read(self, key):
        """Array ``key`` with its true dtype (bfloat16 views and PRNG keys restored)."""
        name = self.true_dtype(key)
        array = self._read_checked(key)
        if name in _EXTENSION_DTYPES and name != array.dtype.name:
            import ml_dtypes

            return array.view(np.dtype(getattr(ml_dtypes, name)))
        return array


def dtype_kind(name):
    """The family of a dtype name: ``'f'``, ``'i'`` (signed or not), ``'b'``, ``'c'`` or key."""
    if name.startswith("prng_key:"):
        return name
    if name in _EXTENSION_DTYPES:
        return "i" if "int" in name else "f"
    kind = np.dtype(name).kind
    return "i" if kind == "u" else kind


def _fill(stream, buffer):
    filled = 0
    while filled < len(buffer):
        got = stream.readinto(buffer[filled:])
        if not got:
            raise EOFError(f"array data ends after {filled} of {len(buffer)} bytes")
        filled += got


def to_jax(array, dtype_name):
    """``array`` as a ``jax.Array``, re-wrapping PRNG key data."""
    import jax
    import jax.numpy as jnp

    if dtype_name.startswith("prng_key:"):
        impl = dtype_name.split(":", 1)[1]
        if impl not in ("threefry2x32", "rbg", "unsafe_rbg"):
            raise ArchiveError(f"Unknown PRNG implementation {impl!r} in a saved key.")
        return jax.random.wrap_key_data(jnp.asarray(array), impl=impl)
    return jnp.asarray(array)


__all__ = [
    "ArchiveError", "ZipReader", "NpzReader", "atomic_write", "write_npz", "write_json",
    "encode_array", "to_jax", "dtype_kind", "validate_zip", "FORMAT_NAME", "FORMAT_VERSION",
    "METADATA_MEMBER", "CONFIG_MEMBER", "WEIGHTS_MEMBER", "OPTIMIZER_MEMBER", "MAX_RATIO",
]
