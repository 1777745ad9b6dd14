"""The data-only format: a zip archive of JSON and ``.npz`` members, and how zips are read.

``model.save`` writes Keras 3's layout when h5py is installed (see
:mod:`jaxlayers.saving.keras_writer`); this data-only layout is written
without h5py and always read.  Such a model file is a zip holding

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

Training backups (``BackupAndRestore``) are this format without
``config.json``, with a ``training`` record in ``metadata.json``.

Reading trusts nothing in the file.  Only regular files are opened
(:func:`jaxlayers.saving.files.open_regular`).  The zip's end record must end
the file and its central directory must end where that record starts, so a
truncated ``.keras`` is never read as the archive nested inside it; members
may not overlap.  Member names are only lookup keys (nothing is ever
extracted, so ``../`` names cannot write anywhere and are refused).  Declared
sizes and compression ratios are checked before any allocation; compression
is refused inside a member (``model.weights.npz``, ``model.weights.h5`` are
never compressed inside by jaxlayers or Keras) and all decompression of one
file together is capped (:class:`DecompressionBudget`).  Each ``.npy`` header
is parsed and checked (plain numeric dtypes only, never pickled objects,
integer dimensions, size equal to the member's, in exact arithmetic) before
its data is read; every manifest key, dtype and count is checked against the
arrays really stored.  Arrays in the other byte order are converted to the
native one.  Any zip, zlib or header failure becomes an :class:`ArchiveError`.

Writing goes through :func:`jaxlayers.saving.files.atomic_write`: a failure at
any point, even a killed process, leaves the previous file untouched and no
partial file.
"""

import io
import json
import math
import os
import struct
import tempfile
import zipfile
import zlib

import numpy as np

from jaxlayers.core import tracking
from jaxlayers.distribution import multihost
from jaxlayers.errors import ArchiveError, SerializationError, WeightsError
from jaxlayers.saving.files import atomic_write, open_regular


class WeightsMismatchError(SerializationError, WeightsError):
    """A weights file does not match the model it is loaded into (paths, shapes, dtypes).

    Example:
        >>> issubclass(jl.saving.WeightsMismatchError, jl.errors.WeightsError)
        True
    """


FORMAT_NAME = "jaxlayers"
FORMAT_VERSION = 1
METADATA_MEMBER = "metadata.json"
CONFIG_MEMBER = "config.json"
WEIGHTS_MEMBER = "model.weights.npz"
OPTIMIZER_MEMBER = "optimizer.npz"
KERAS_WEIGHTS_MEMBER = "model.weights.h5"  # the weights of a Keras 3 ``.keras``
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
_EOCD = struct.Struct("<4sHHHHIIH")
_ZIP64_LOCATOR = struct.Struct("<4sIQI")
_ZIP64_END = struct.Struct("<4sQHHIIQQQQ")
# Decompressed bytes allowed beyond MAX_RATIO times a file's size (tiny files' JSON).
_BUDGET_SLACK = 2**16
_MAX_DIMS = 64  # NumPy's limit
# Data shape of one key per jax.random implementation.
_KEY_DATA_SHAPES = {"threefry2x32": (2,), "rbg": (4,), "unsafe_rbg": (4,)}


# ----------------------------------------------------------------------------- writing
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
    array = multihost.to_host_array(value)
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
    return ArchiveError(f"{source}: {what}{detail}. The file is truncated or corrupt, or was "
                        "not written by jaxlayers or Keras.")


class DecompressionBudget:
    """The bytes that decompressing may produce while reading one file, nested members too.

    Deflate cannot shrink data more than about 1032 times, so a file of ``size``
    bytes honestly decompresses to at most ``MAX_RATIO * size`` bytes in total.
    Every decompression (a deflated member, a compressed HDF5 dataset) is charged
    its declared output size before it starts; more than the total is refused.

    Args:
        size: Bytes of the outermost file.
        source: How messages name it.

    Example:
        >>> budget = DecompressionBudget(100, "'f.keras'")
        >>> budget.charge(10**9, "member 'x'")
        Traceback (most recent call last):
        ...
        jaxlayers.errors.ArchiveError: 'f.keras': member 'x' decompresses to more than ... bomb.
    """

    def __init__(self, size, source):
        self.size, self.source = size, source
        self.limit = MAX_RATIO * size + _BUDGET_SLACK
        self.left = self.limit

    def charge(self, nbytes, what):
        if nbytes > self.left:
            raise ArchiveError(
                f"{self.source}: {what} decompresses to more than the {self.limit} bytes "
                f"allowed for a file of {self.size} bytes ({MAX_RATIO} times its size, "
                "deflate's limit); refusing a possible decompression bomb."
            )
        self.left -= nbytes


def _end_record(fileobj, size, source):
    """Offset of the central directory, from an end record that ends the file exactly.

    Zip readers search the last 64 KiB for an end-of-archive record; in a
    truncated ``.keras`` the last one found belongs to an archive nested inside
    (``optimizer.npz``), which they would read as the whole file.  Here the
    record must end at the file's last byte (after its comment), and the central
    directory must end where the (zip64) end record starts: no bytes before,
    between or after.
    """
    tail_len = min(size, _EOCD.size + 0xFFFF)
    fileobj.seek(size - tail_len)
    tail = fileobj.read(tail_len)
    pos = tail.rfind(b"PK\x05\x06")
    while pos >= 0 and (pos + _EOCD.size > len(tail) or pos + _EOCD.size + _EOCD.unpack_from(
            tail, pos)[7] != len(tail)):
        pos = tail.rfind(b"PK\x05\x06", 0, pos)
    if pos < 0:
        raise _member_error(source, "does not end with a zip end-of-archive record")
    record = size - tail_len + pos
    _, disk, cd_disk, _, _, cd_size, cd_offset, _ = _EOCD.unpack_from(tail, pos)
    cd_end = record
    locator = record - _ZIP64_LOCATOR.size
    raw = b""
    if locator >= 0:
        fileobj.seek(locator)
        raw = fileobj.read(_ZIP64_LOCATOR.size)
    if raw[:4] == b"PK\x06\x07":  # zip64: the sizes and offsets are in its own record
        _, _, start, _ = _ZIP64_LOCATOR.unpack(raw)
        fileobj.seek(start)
        raw = fileobj.read(_ZIP64_END.size)
        if len(raw) != _ZIP64_END.size or raw[:4] != b"PK\x06\x06":
            raise _member_error(source, "has a damaged zip64 end record")
        _, length, _, _, disk, cd_disk, _, _, cd_size, cd_offset = _ZIP64_END.unpack(raw)
        if start + 12 + length != locator:
            raise _member_error(source, "has a damaged zip64 end record")
        cd_end = start
    if disk != 0 or cd_disk != 0:
        raise ArchiveError(f"{source}: multi-part zip archives are not read.")
    if cd_offset + cd_size != cd_end:
        raise _member_error(
            source, f"declares its central directory at bytes {cd_offset}..{cd_offset + cd_size}"
                    f" but its end record is at byte {cd_end}")
    return cd_offset


def validate_zip(zf, source, directory, nested_in=None):
    """Checks member names, count, compression, sizes and placement of an open zip.

    Args:
        zf: The open ``zipfile.ZipFile``.
        source: How messages name the file.
        directory: Offset of the central directory (from :func:`_end_record`):
            every member must lie before it, without overlapping another.
        nested_in: Name of the member this zip is stored in, if any; its own
            members must then be stored uncompressed.
    """
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ArchiveError(f"{source}: {len(infos)} members is more than the limit "
                           f"{MAX_MEMBERS}; refusing to read it.")
    if zf.start_dir != directory:
        raise _member_error(source, "has data before its first member")
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
        if nested_in is not None and info.compress_type != zipfile.ZIP_STORED:
            raise ArchiveError(
                f"{source}: member {name!r} is compressed inside the archive member "
                f"{nested_in!r}, where jaxlayers and Keras store arrays uncompressed; "
                "compression nested in compression is refused (a decompression bomb)."
            )
        if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
            raise _member_error(source, f"stored member {name!r} declares two sizes")
        if info.file_size > MAX_RATIO * max(info.compress_size, 1) + 4096:
            raise ArchiveError(
                f"{source}: member {name!r} declares {info.file_size} bytes from "
                f"{info.compress_size} compressed bytes (a ratio above {MAX_RATIO}); "
                "refusing a possible zip bomb."
            )
    # Members may not share bytes: overlapping members make a small file decompress to
    # many times its size. Each spans at least its fixed header and its data.
    end, last = 0, None
    for info in sorted(infos, key=lambda i: i.header_offset):
        if info.header_offset < end:
            raise _member_error(source, f"members {last!r} and {info.filename!r} overlap")
        end = info.header_offset + _LOCAL_HEADER.size + info.compress_size
        last = info.filename
        if end > directory:
            raise _member_error(source, f"member {last!r} extends past the end of the file "
                                        "data")


class ZipReader:
    """Validated read access to the members of a zip file (an archive or an ``.npz``).

    Use as a context manager: ``with ZipReader(path) as z: z.read_json("config.json")``.

    Args:
        path: The file (opened only if it is a regular file), or None with ``fileobj``.
        fileobj: A seekable binary stream to read instead of ``path``.
        source: How messages name the file.
        size: Bytes in ``fileobj`` (default: up to its end).
        budget: The :class:`DecompressionBudget` of the outermost file (nested
            archives share it); a new one by default.
        nested_in: Name of the member this archive is stored in: its members
            must be stored uncompressed.

    Example:
        >>> np.savez("a.npz", x=np.arange(3.0))
        >>> with ZipReader("a.npz") as z:
        ...     print(z.names)
        ['x.npy']
    """

    def __init__(self, path, fileobj=None, source=None, size=None, budget=None,
                 nested_in=None):
        self.path = path
        self.source = source or repr(os.fspath(path))
        self._own = fileobj is None
        self._fileobj = None
        if fileobj is None:
            fileobj = open_regular(path, self.source)
        self._fileobj = fileobj
        try:
            if size is None:
                size = fileobj.seek(0, io.SEEK_END)
            self.size = size
            directory = _end_record(fileobj, size, self.source)
            fileobj.seek(0)
            self._zf = zipfile.ZipFile(fileobj)
        except ArchiveError:
            self.close()
            raise
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
                struct.error, KeyError) as e:
            self.close()
            raise _member_error(self.source, "is not a readable zip archive", e) from e
        try:
            validate_zip(self._zf, self.source, directory, nested_in)
        except BaseException:
            self.close()
            raise
        self.budget = budget or DecompressionBudget(size, self.source)
        self.names = [i.filename for i in self._zf.infolist()]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        zf = self.__dict__.pop("_zf", None)
        if zf is not None:
            zf.close()
        if self._own and self._fileobj is not None:
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

    def _charge(self, info):
        if info.compress_type != zipfile.ZIP_STORED:
            self.budget.charge(info.file_size, f"member {info.filename!r}")

    def read_bytes(self, name, limit=None):
        limit = MAX_JSON_BYTES if limit is None else limit
        info = self.info(name)
        if info.file_size > limit:
            raise ArchiveError(f"{self.source}: member {name!r} declares {info.file_size} "
                               f"bytes, more than the limit {limit}.")
        self._charge(info)
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
        self._charge(info)
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

    def nested_limits(self, name):
        """What a reader of the file stored in member ``name`` is held to.

        Its size, this file's decompression budget, and ``nested_in=name``
        (compression inside it is refused), as keyword arguments.
        """
        return {"size": self.info(name).file_size, "budget": self.budget, "nested_in": name}

    def open_npz(self, name):
        """An :class:`NpzReader` over the ``.npz`` member ``name``."""
        stream = self.open_member(name)
        try:
            return NpzReader(stream, source=f"{self.source}[{name}]", owns=True,
                             **self.nested_limits(name))
        except BaseException:
            stream.close()
            raise


class NpzReader(ZipReader):
    """Checked reading of the arrays of an ``.npz`` (``np.savez`` or :func:`write_npz`).

    ``keys()`` lists array names; ``header(key)`` gives ``(shape, dtype)`` without
    reading data; ``read(key)`` returns the array after validating its header.
    Never unpickles: object dtypes are refused, as ``np.load(allow_pickle=False)``.
    Arrays stored in the other byte order come back converted to the native one.

    Args:
        path_or_stream: A path, or a seekable binary stream.
        source: How messages name the file.
        size: Bytes in the stream (default: up to its end).
        owns: Whether closing the reader closes the stream.
        budget: As for :class:`ZipReader`.
        nested_in: As for :class:`ZipReader`.

    Example:
        >>> np.savez("a.npz", x=np.arange(3.0))
        >>> with NpzReader("a.npz") as npz:
        ...     npz.keys(), npz.header("x"), npz.read("x").tolist()
        (['x'], ((3,), 'float64'), [0.0, 1.0, 2.0])
    """

    def __init__(self, path_or_stream, source=None, size=None, owns=False, budget=None,
                 nested_in=None):
        if isinstance(path_or_stream, (str, os.PathLike)):
            super().__init__(os.fspath(path_or_stream), source=source)
        else:
            super().__init__(None, fileobj=path_or_stream, source=source, size=size,
                             budget=budget, nested_in=nested_in)
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
        """The manifest's key list and dtype table must be plain strings naming stored arrays."""
        m = self.manifest
        keys = m.get("keys") if isinstance(m, dict) else None
        dtypes = m.get("dtypes") if isinstance(m, dict) else None
        stored = [k for k in self._arrays if k != MANIFEST_KEY]
        if (not isinstance(keys, list) or not isinstance(dtypes, dict)
                or not all(isinstance(k, str) for k in keys) or len(set(keys)) != len(keys)
                or not all(isinstance(v, str) for v in dtypes.values())
                or not set(dtypes) <= set(keys)):
            raise _member_error(self.source, "the manifest is malformed (its 'keys' must be "
                                             "distinct names and its 'dtypes' name only those)")
        if set(keys) != set(stored):
            missing = sorted(set(keys) - set(stored))
            extra = sorted(set(stored) - set(keys))
            raise ArchiveError(
                f"{self.source}: the arrays do not match the manifest ({len(stored)} stored, "
                f"{len(keys)} listed). Missing: {missing[:10]}. Unexpected: {extra[:10]}."
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
        except (ValueError, OSError, EOFError, SyntaxError, TypeError, MemoryError,
                RecursionError, zipfile.BadZipFile, zlib.error, struct.error) as e:
            raise _member_error(self.source, f"array {key!r} has a bad .npy header", e) from e
        if dtype.hasobject or dtype.kind not in _ALLOWED_KINDS or dtype.names is not None:
            raise ArchiveError(
                f"{self.source}: array {key!r} has dtype {dtype}; only plain bool, integer, "
                "float and complex arrays are read (never pickled objects)."
            )
        # ``type(d) is int``: bools are ints to Python but not dimensions.
        if (not isinstance(shape, tuple) or len(shape) > _MAX_DIMS
                or not all(type(d) is int and d >= 0 for d in shape)):
            shown = shape if len(repr(shape)) < 200 else f"{repr(shape)[:200]}..."
            raise _member_error(self.source, f"array {key!r} has a bad shape {shown}")
        return shape, bool(fortran), dtype, stream.tell()

    def _raw_header(self, key):
        if key not in self._headers:
            if key not in self._arrays:
                raise ArchiveError(f"{self.source}: no array named {key!r}.")
            info = self.info(self._arrays[key])
            try:
                with self._zf.open(info) as stream:
                    shape, fortran, dtype, offset = self._parse_header(key, stream)
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError, struct.error) as e:
                raise _member_error(self.source, f"could not read array {key!r}", e) from e
            nbytes = math.prod(shape) * dtype.itemsize  # exact: Python ints never wrap
            if offset + nbytes != info.file_size:
                raise _member_error(
                    self.source, f"array {key!r} declares shape {shape} and dtype {dtype} "
                    f"({nbytes} bytes) but its member holds {info.file_size - offset} bytes")
            self._headers[key] = (shape, fortran, dtype, offset)
        return self._headers[key]

    def true_dtype(self, key):
        """The dtype name the array was saved from (e.g. ``bfloat16``), per the manifest."""
        stored = self._raw_header(key)[2].newbyteorder("=")
        name = stored.name
        if self.manifest is not None:
            name = self.manifest["dtypes"].get(key, stored.name)
        if name == stored.name:
            return name
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
        count = math.prod(shape)
        if max_bytes is not None and count * dtype.itemsize > max_bytes:
            raise ArchiveError(f"{self.source}: array {key!r} is larger than {max_bytes} bytes.")
        info = self.info(self._arrays[key])
        self._charge(info)
        out = np.empty(count, dtype=dtype)
        buffer = memoryview(out.view(np.uint8).reshape(-1))
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
        return native(out).reshape(shape, order="F" if fortran else "C")

    def read(self, key):
        """Array ``key`` with its true dtype (bfloat16 views and PRNG keys restored)."""
        name = self.true_dtype(key)
        array = self._read_checked(key)
        if name in _EXTENSION_DTYPES and name != array.dtype.name:
            import ml_dtypes

            return array.view(np.dtype(getattr(ml_dtypes, name)))
        return array


def native(array):
    """``array`` in the machine's byte order (values unchanged; in place when possible)."""
    if array.dtype.isnative:
        return array
    swapped = array.byteswap(inplace=array.flags.writeable)
    return swapped.view(array.dtype.newbyteorder("="))


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


def key_data_shape(dtype_name):
    """The trailing shape of one key's data for a ``prng_key:<impl>`` dtype name."""
    impl = dtype_name.split(":", 1)[1]
    if impl not in _KEY_DATA_SHAPES:
        raise ArchiveError(f"Unknown PRNG implementation {impl!r} in a saved key (known: "
                           f"{sorted(_KEY_DATA_SHAPES)}).")
    return _KEY_DATA_SHAPES[impl]


def to_jax(array, dtype_name, source="the file"):
    """``array`` as a ``jax.Array``, re-wrapping PRNG key data after checking its shape."""
    import jax
    import jax.numpy as jnp

    if dtype_name.startswith("prng_key:"):
        impl = dtype_name.split(":", 1)[1]
        base = key_data_shape(dtype_name)
        if (array.dtype != np.uint32 or array.ndim < len(base)
                or tuple(array.shape[array.ndim - len(base):]) != base):
            raise ArchiveError(
                f"{source}: the PRNG key data of shape {tuple(array.shape)} and dtype "
                f"{array.dtype} is not a {impl} key: {impl} keys have data of shape "
                f"(..., {', '.join(map(str, base))}) and dtype uint32."
            )
        return jax.random.wrap_key_data(jnp.asarray(array), impl=impl)
    return jnp.asarray(array)


__all__ = [
    "ArchiveError", "ZipReader", "NpzReader", "DecompressionBudget", "atomic_write",
    "open_regular", "FORMAT_NAME", "FORMAT_VERSION", "METADATA_MEMBER", "CONFIG_MEMBER",
    "WEIGHTS_MEMBER", "OPTIMIZER_MEMBER", "KERAS_WEIGHTS_MEMBER", "MAX_RATIO"
]
