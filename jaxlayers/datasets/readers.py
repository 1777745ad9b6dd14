"""Reading the dataset files with NumPy only, and never running code from them.

Two of Keras's formats hold Python pickles: the CIFAR batches (pickled
dicts) and the IMDB/Reuters ``.npz`` files (ragged sequences stored as
object arrays, which NumPy writes as pickles).  ``pickle`` would run any
callable a file names, so these are read with :class:`ArrayUnpickler`, which
rebuilds only plain data: the containers, numbers and strings pickle encodes
by itself, plus NumPy arrays, dtypes and scalars.  Any other global a file
names (``os.system``, ``builtins.eval``...) is refused with an
``ArchiveError``, and NumPy arrays can only be rebuilt the way NumPy pickles
them (``_reconstruct(ndarray, ...)`` then ``__setstate__`` with the data from
the file), never by calling ``ndarray`` with sizes read from the file.
Numeric ``.npy`` members are read with ``allow_pickle=False``.
"""

import gzip
import io
import pickle
import zipfile

import numpy as np

from jaxlayers.errors import ArchiveError

_RECONSTRUCT = np.empty(0).__reduce__()[0]
_SCALAR = np.float64(0).__reduce__()[0]
_NDARRAY = object()  # stands for ``numpy.ndarray``: usable only as _reconstruct's subtype


def _reconstruct(subtype, shape, dtype):
    if subtype is not _NDARRAY or not isinstance(shape, tuple) or any(
            not isinstance(d, int) or d < 0 for d in shape) or np.prod(shape, dtype=np.int64) > 1:
        raise ArchiveError(
            "ArrayUnpickler: the file rebuilds an array in a way NumPy's own pickles never do; "
            "it is corrupt or hostile, and was not loaded."
        )
    return _RECONSTRUCT(np.ndarray, shape, dtype)


# (module, name) -> what the file gets; NumPy 1 and 2 spell the module differently.
_ALLOWED = {
    ("numpy", "ndarray"): _NDARRAY,
    ("numpy", "dtype"): np.dtype,
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy.core.multiarray", "scalar"): _SCALAR,
    ("numpy._core.multiarray", "scalar"): _SCALAR,
}


class ArrayUnpickler(pickle.Unpickler):
    """A pickle reader that rebuilds plain data and NumPy arrays only (see the module notes).

    Args:
        file: A binary file object to read from; the keyword arguments are those of
            ``pickle.Unpickler`` (``encoding``, ...).

    Example:
        >>> import io, pickle
        >>> data = pickle.dumps({"x": np.arange(3)})
        >>> ArrayUnpickler(io.BytesIO(data)).load()["x"].tolist()
        [0, 1, 2]
    """

    def find_class(self, module, name):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise ArchiveError(
                f"ArrayUnpickler: refusing to load `{module}.{name}` named by a dataset file: "
                "only plain data and NumPy arrays are read. The file is corrupt or hostile; "
                "delete it from the cache and download it again."
            ) from None


def load_pickle(path, encoding="ASCII"):
    """The object pickled in ``path``, read with :class:`ArrayUnpickler`.

    Args:
        path: The file's path.
        encoding: How to decode Python 2 byte strings (``"latin1"`` for the
            CIFAR batches).

    Returns:
        The unpickled object: plain data and NumPy arrays only.

    Raises:
        ArchiveError: The file is not a pickle, or names anything else.

    Example:
        >>> import pickle
        >>> with open("batch.pkl", "wb") as f:
        ...     pickle.dump({"labels": [1, 2]}, f)
        >>> load_pickle("batch.pkl")
        {'labels': [1, 2]}
    """
    with open(path, "rb") as f:
        try:
            return ArrayUnpickler(f, encoding=encoding).load()
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as e:
            if isinstance(e, ArchiveError):
                raise
            raise ArchiveError(f"Could not read {path}: it is not a valid pickle ({e}).") from None


def _read_npy(raw, member, path):
    fp = io.BytesIO(raw)
    version = np.lib.format.read_magic(fp)
    header = (np.lib.format.read_array_header_1_0 if version[0] == 1
              else np.lib.format.read_array_header_2_0)(fp)
    shape, fortran, dtype = header
    if not dtype.hasobject:
        fp.seek(0)
        return np.lib.format.read_array(fp, allow_pickle=False)
    array = ArrayUnpickler(fp, encoding="latin1").load()
    if not isinstance(array, np.ndarray) or array.shape != tuple(shape):
        raise ArchiveError(
            f"Could not read member {member!r} of {path}: its data does not match its header."
        )
    return array


def load_npz(path):
    """The arrays of an ``.npz`` file as a dict; object arrays via :class:`ArrayUnpickler`.

    Args:
        path: The file's path.

    Returns:
        ``{name: np.ndarray}``.

    Raises:
        ArchiveError: The file is not a valid ``.npz``, or an object array
            names anything but plain data.

    Example:
        >>> np.savez("data.npz", x=np.arange(3))
        >>> load_npz("data.npz")["x"].tolist()
        [0, 1, 2]
    """
    arrays = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                if member.endswith(".npy"):
                    arrays[member[:-4]] = _read_npy(archive.read(member), member, path)
    except (zipfile.BadZipFile, ValueError, EOFError, pickle.UnpicklingError) as e:
        if isinstance(e, ArchiveError):
            raise
        raise ArchiveError(f"Could not read {path}: it is not a valid .npz file ({e}).") from None
    return arrays


def read_idx(path, rank):
    """A uint8 IDX array (the MNIST file format, gzipped) of the given rank.

    Args:
        path: The ``.gz`` file's path.
        rank: The array's rank (1 for labels, 3 for images).

    Returns:
        A read-only ``np.uint8`` array.

    Raises:
        ArchiveError: Bad magic number, or a size that disagrees with the header.

    Example:
        >>> import gzip
        >>> header = (0x0801).to_bytes(4, "big") + (3).to_bytes(4, "big")
        >>> with gzip.open("labels.gz", "wb") as f:
        ...     _ = f.write(header + bytes([7, 8, 9]))
        >>> read_idx("labels.gz", 1).tolist()
        [7, 8, 9]
    """
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[:4], "big") if len(data) >= 4 else None
    header = 4 + 4 * rank
    if magic != 0x0800 + rank or len(data) < header:
        raise ArchiveError(f"{path} is not an IDX file of rank {rank} (bad header).")
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(rank))
    if len(data) != header + int(np.prod(shape)):
        raise ArchiveError(
            f"{path}: the IDX header announces shape {shape} ({int(np.prod(shape))} bytes) but "
            f"the file holds {len(data) - header} bytes of data: it is truncated or corrupt."
        )
    return np.frombuffer(data, np.uint8, offset=header).reshape(shape)


def shuffle_split(x, y, test_split, seed):
    """Keras's housing-data split: shuffle with ``RandomState(seed)``, then cut.

    Args:
        x: Features, samples first.
        y: Targets, samples first.
        test_split: Fraction of the samples kept for testing.
        seed: Seed of the shuffle.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``.

    Example:
        >>> (x_train, _), (x_test, _) = shuffle_split(np.arange(5), np.arange(5), 0.4, 113)
        >>> len(x_train), len(x_test), sorted(x_train.tolist() + x_test.tolist())
        (3, 2, [0, 1, 2, 3, 4])
    """
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))


def prepare_sequences(xs, labels, num_words, skip_top, maxlen, start_char, oov_char,
                      index_from, owner):
    """Keras's word-index sequence preparation for IMDB and Reuters.

    Shifts word ids by ``index_from``, prepends ``start_char``, drops
    sequences of ``maxlen`` or more words, then maps ids outside
    ``[skip_top, num_words)`` to ``oov_char`` (or drops them when it is ``None``).

    Args:
        xs: Sequences of word ids.
        labels: One label per sequence.
        num_words: Keep ids below this (``None``: all).
        skip_top: Treat ids below this as out of vocabulary.
        maxlen: Drop sequences of this many ids or more (``None``: keep all).
        start_char: Id put first in each sequence, or ``None``.
        oov_char: Id replacing out-of-vocabulary ids, or ``None`` to drop them.
        index_from: Offset added to every word id.
        owner: How messages name the loader.

    Returns:
        ``(sequences, labels, kept)``: ``kept`` holds the positions (in ``xs``)
        of the sequences that ``maxlen`` kept.

    Example:
        >>> prepare_sequences([[1, 2, 3], [4, 5, 6, 7, 8]], [0, 1], num_words=8,
        ...                   skip_top=0, maxlen=5, start_char=1, oov_char=2,
        ...                   index_from=3, owner="demo")
        ([[1, 4, 5, 6]], array([0]), [0])
    """
    if start_char is not None:
        xs = [[start_char] + [w + index_from for w in x] for x in xs]
    elif index_from:
        xs = [[w + index_from for w in x] for x in xs]
    else:
        xs = [list(x) for x in xs]
    kept = [i for i, x in enumerate(xs) if not maxlen or len(x) < maxlen]
    xs, labels = [xs[i] for i in kept], np.asarray(labels)[kept]
    if not num_words:
        num_words = max((max(x) for x in xs if len(x)), default=0)
    if oov_char is not None:
        xs = [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    else:
        xs = [[w for w in x if skip_top <= w < num_words] for x in xs]
    return xs, labels, kept


def object_array(sequences):
    """A 1-D object array of lists (``np.array`` would make a 2-D array of equal lengths).

    Args:
        sequences: A list of lists.

    Returns:
        An object array with one list per element.

    Example:
        >>> object_array([[1, 2], [3, 4]]).shape
        (2,)
    """
    out = np.empty(len(sequences), dtype=object)
    out[:] = sequences
    return out


__all__ = ["ArrayUnpickler", "load_pickle", "load_npz", "read_idx", "shuffle_split",
           "prepare_sequences", "object_array"]
