"""``jl.datasets``: loaders read small files the tests write in the Keras cache layout.

No network: each test points ``$KERAS_HOME`` at a temporary folder, writes a
fabricated file where Keras would cache the real one, and sets that file's
hash in ``jl.datasets.sources.SOURCES`` (the real hashes are of the real
files).  Where Keras's own loader can read the same small file, its output
is the oracle (its ``get_file`` is pointed at the file).
"""

import gzip
import hashlib
import importlib
import io
import json
import os
import pickle
import struct
import tarfile
import urllib.error

import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers.datasets import readers, sources
from jaxlayers.errors import ArchiveError, ConfigError, DownloadError

UNREACHABLE = "http://127.0.0.1:1/"  # a closed port: fails like a machine without network


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """``$KERAS_HOME`` in a temporary folder; returns its ``datasets`` folder."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    folder = tmp_path / "keras" / "datasets"
    folder.mkdir(parents=True)
    return folder


def _place(monkeypatch, folder, source, data, name=None):
    """Writes ``data`` as the cached file of ``source`` and makes it the expected one."""
    path = folder / (name or source)
    path.write_bytes(data)
    url = UNREACHABLE + source
    monkeypatch.setitem(sources.SOURCES, source, (url, hashlib.sha256(data).hexdigest()))
    return path


def _npz(**arrays):
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _keras_loader(monkeypatch, keras, module, paths):
    """Keras's ``keras.src.datasets.<module>``, its get_file returning our files by name."""
    mod = importlib.import_module(f"keras.src.datasets.{module}")

    def get_file(fname=None, origin=None, **kwargs):
        return str(paths[os.path.basename(origin)])

    monkeypatch.setattr(mod, "get_file", get_file)
    return mod


def _assert_same(ours, theirs):
    """Equal ``(x_train, y_train), (x_test, y_test)`` structures: dtypes, shapes, values."""
    assert len(ours) == len(theirs) == 2
    for our_split, their_split in zip(ours, theirs, strict=True):
        for a, b in zip(our_split, their_split, strict=True):
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_array_equal(a, b)


def _sequences(rng, n, vocab=30):
    seqs = [list(map(int, rng.integers(1, vocab, rng.integers(2, 9)))) for _ in range(n)]
    return readers.object_array(seqs)


# ------------------------------------------------------------------ numeric npz datasets
def test_mnist_matches_keras_and_detects_a_tampered_file(cache, monkeypatch, keras, rng):
    arrays = dict(x_train=rng.integers(0, 255, (5, 28, 28), dtype=np.uint8),
                  y_train=rng.integers(0, 10, 5, dtype=np.uint8),
                  x_test=rng.integers(0, 255, (2, 28, 28), dtype=np.uint8),
                  y_test=rng.integers(0, 10, 2, dtype=np.uint8))
    path = _place(monkeypatch, cache, "mnist.npz", _npz(**arrays))
    ours = jl.datasets.mnist.load_data()
    theirs = _keras_loader(monkeypatch, keras, "mnist", {"mnist.npz": path}).load_data()
    _assert_same(ours, theirs)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one byte changed in the cache
    path.write_bytes(bytes(data))
    with pytest.raises(DownloadError, match=r"does not have the expected hash") as info:
        jl.datasets.mnist.load_data()
    assert UNREACHABLE + "mnist.npz" in str(info.value) and str(path) in str(info.value)


def test_a_missing_file_without_network_names_the_keras_url_and_cache_path(cache,
                                                                            monkeypatch):
    from jaxlayers.utils import downloads

    def no_network(url):
        raise urllib.error.URLError("Temporary failure in name resolution")

    monkeypatch.setattr(downloads, "_open_url", no_network)
    with pytest.raises(DownloadError, match=r"Temporary failure in name resolution") as info:
        jl.datasets.mnist.load_data()
    message = str(info.value)
    assert "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz" in message
    assert str(cache / "mnist.npz") in message
    assert os.listdir(cache) == []  # no partial file left behind


@pytest.mark.parametrize("name,kwargs", [
    ("boston_housing", {}), ("boston_housing", {"test_split": 0.3, "seed": 7}),
    ("california_housing", {}), ("california_housing", {"version": "small", "seed": 3}),
])
def test_housing_splits_match_keras(cache, monkeypatch, keras, rng, name, kwargs):
    n, features = (30, 13) if name == "boston_housing" else (700, 8)
    data = _npz(x=rng.normal(size=(n, features)), y=rng.normal(size=n))
    path = _place(monkeypatch, cache, f"{name}.npz", data)
    ours = getattr(jl.datasets, name).load_data(**kwargs)
    theirs = _keras_loader(monkeypatch, keras, name, {f"{name}.npz": path}).load_data(**kwargs)
    _assert_same(ours, theirs)
    (x_train, _), (x_test, _) = ours
    assert len(x_train) + len(x_test) == (600 if kwargs.get("version") == "small" else n)


def test_housing_argument_errors(cache):
    with pytest.raises(ConfigError, match=r"`test_split` must be a float in \[0, 1\)"):
        jl.datasets.boston_housing.load_data(test_split=1.0)
    with pytest.raises(ConfigError, match=r"`version` must be 'small' or 'large'"):
        jl.datasets.california_housing.load_data(version="medium")


# ------------------------------------------------------------------ fashion-mnist (IDX)
def _idx(array):
    header = (0x0800 + array.ndim).to_bytes(4, "big") + b"".join(
        d.to_bytes(4, "big") for d in array.shape)
    return gzip.compress(header + array.tobytes())


def test_fashion_mnist_matches_keras_and_checks_idx_headers(cache, monkeypatch, keras, rng):
    folder = cache / "fashion-mnist"
    folder.mkdir()
    arrays = {"train-labels-idx1-ubyte.gz": rng.integers(0, 10, 4, dtype=np.uint8),
              "train-images-idx3-ubyte.gz": rng.integers(0, 255, (4, 28, 28), dtype=np.uint8),
              "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, 3, dtype=np.uint8),
              "t10k-images-idx3-ubyte.gz": rng.integers(0, 255, (3, 28, 28), dtype=np.uint8)}
    paths = {name: _place(monkeypatch, folder, name, _idx(a)) for name, a in arrays.items()}
    ours = jl.datasets.fashion_mnist.load_data()
    _assert_same(ours, _keras_loader(monkeypatch, keras, "fashion_mnist", paths).load_data())
    truncated = _idx(arrays["train-images-idx3-ubyte.gz"])
    truncated = gzip.compress(gzip.decompress(truncated)[:-10])
    _place(monkeypatch, folder, "train-images-idx3-ubyte.gz", truncated)
    with pytest.raises(ArchiveError, match=r"truncated or corrupt"):
        jl.datasets.fashion_mnist.load_data()


# ------------------------------------------------------------------ IMDB and Reuters
def _imdb(rng):
    return _npz(x_train=_sequences(rng, 12), y_train=rng.integers(0, 2, 12),
                x_test=_sequences(rng, 6), y_test=rng.integers(0, 2, 6))


def _reuters(rng):
    return _npz(x=_sequences(rng, 15), y=rng.integers(0, 46, 15))


@pytest.mark.parametrize("name,make,kwargs", [
    ("imdb", _imdb, {}), ("imdb", _imdb, {"num_words": 12, "skip_top": 2}),
    ("imdb", _imdb, {"maxlen": 7, "seed": 5}),
    ("imdb", _imdb, {"start_char": None, "oov_char": None, "index_from": 0, "num_words": 20}),
    ("reuters", _reuters, {}), ("reuters", _reuters, {"num_words": 10, "test_split": 0.5}),
    ("reuters", _reuters, {"maxlen": 6, "oov_char": None, "seed": 1}),
])
def test_word_sequences_match_keras(cache, monkeypatch, keras, rng, name, make, kwargs):
    path = _place(monkeypatch, cache, f"{name}.npz", make(rng))
    ours = getattr(jl.datasets, name).load_data(**kwargs)
    theirs = _keras_loader(monkeypatch, keras, name, {f"{name}.npz": path}).load_data(**kwargs)
    for (x, y), (kx, ky) in zip(ours, theirs, strict=True):
        assert x.dtype == object and x.ndim == 1
        assert [list(s) for s in x] == [list(s) for s in kx]
        np.testing.assert_array_equal(y, ky)


def test_word_indexes_and_label_names(cache, monkeypatch, keras):
    for source, module in (("imdb_word_index.json", jl.datasets.imdb),
                           ("reuters_word_index.json", jl.datasets.reuters)):
        _place(monkeypatch, cache, source, json.dumps({"the": 1, "film": 2}).encode())
        assert module.get_word_index() == {"the": 1, "film": 2}
    assert jl.datasets.reuters.get_label_names() == keras.datasets.reuters.get_label_names()


def test_sequence_argument_errors(cache):
    with pytest.raises(ConfigError, match=r"`num_words` must be a positive int or None"):
        jl.datasets.imdb.load_data(num_words=0)
    with pytest.raises(ConfigError, match=r"`test_split` must be a float in \[0, 1\)"):
        jl.datasets.reuters.load_data(test_split=-0.1)


# ------------------------------------------------------------------ CIFAR (pickles in a tar)
class _Python2Pickler(pickle._Pickler):
    """Writes pickles as Python 2 wrote CIFAR's: str/bytes as BINSTRING, ``numpy.core`` globals."""

    dispatch = pickle._Pickler.dispatch.copy()

    def save_str8(self, obj):
        data = obj if isinstance(obj, bytes) else obj.encode("latin1")
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(data)) + data)
        self.memoize(obj)

    def save_global(self, obj, name=None):
        module = obj.__module__.replace("numpy._core", "numpy.core")
        self.write(pickle.GLOBAL + f"{module}\n{name or obj.__qualname__}\n".encode())
        self.memoize(obj)

    dispatch[bytes] = dispatch[str] = save_str8
    dispatch[type] = dispatch[type(np.empty(0).__reduce__()[0])] = save_global


def _python2_pickle(obj):
    buf = io.BytesIO()
    _Python2Pickler(buf, protocol=2).dump(obj)
    return buf.getvalue()


def _cifar_archive(rng, folder, files, label_key, n=3):
    """A .tar.gz like CIFAR's: ``folder/<file>`` Python 2 pickles of dicts."""
    expected = {}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name in files:
            data = rng.integers(0, 255, (n, 3072), dtype=np.uint8)
            labels = [int(v) for v in rng.integers(0, 10, n)]
            blob = _python2_pickle({"batch_label": "x", "data": data, label_key: labels})
            info = tarfile.TarInfo(f"{folder}/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
            expected[name] = (data.reshape(n, 3, 32, 32), labels)
    return buf.getvalue(), expected


def test_cifar10_reads_the_pickled_batches(cache, monkeypatch, rng):
    files = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    archive, expected = _cifar_archive(rng, "cifar-10-batches-py", files, "labels")
    _place(monkeypatch, cache, "cifar-10-batches-py-target", archive,
           name="cifar-10-batches-py-target_archive")
    (x_train, y_train), (x_test, y_test) = jl.datasets.cifar10.load_data()
    want_x = np.concatenate([expected[f][0] for f in files[:5]]).transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(x_train, want_x)
    np.testing.assert_array_equal(y_train[:, 0], sum((expected[f][1] for f in files[:5]), []))
    np.testing.assert_array_equal(x_test, expected["test_batch"][0].transpose(0, 2, 3, 1))
    assert (x_train.dtype, y_train.dtype, y_train.shape, y_test.shape) == (
        np.uint8, np.uint8, (15, 1), (3, 1))
    jl.backend.set_image_data_format("channels_first")
    try:
        (x_first, _), _ = jl.datasets.cifar10.load_data()
    finally:
        jl.backend.set_image_data_format("channels_last")
    assert x_first.shape == (15, 3, 32, 32)


def test_cifar100_label_modes(cache, monkeypatch, rng):
    archive, expected = _cifar_archive(rng, "cifar-100-python", ["train", "test"], "coarse_labels")
    _place(monkeypatch, cache, "cifar-100-python-target", archive,
           name="cifar-100-python-target_archive")
    (x_train, y_train), (_, y_test) = jl.datasets.cifar100.load_data(label_mode="coarse")
    np.testing.assert_array_equal(y_train[:, 0], expected["train"][1])
    assert y_train.dtype == np.int64 and y_test.shape == (3, 1)
    with pytest.raises(ConfigError, match=r"`label_mode` must be 'fine' or 'coarse'"):
        jl.datasets.cifar100.load_data(label_mode="medium")


# ------------------------------------------------------------------ no code from files
class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_pickle_naming_code_is_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "data_batch"
    path.write_bytes(pickle.dumps({b"data": _Payload(marker)}, protocol=3))
    with pytest.raises(ArchiveError, match=r"refusing to load `(posix|os|nt)\.system`"):
        readers.load_pickle(path, encoding="bytes")
    assert not marker.exists()


def test_an_npz_object_member_naming_code_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    arrays = {"x_train": np.array([_Payload(marker)], dtype=object)}
    path = tmp_path / "evil.npz"
    np.savez(path, **arrays)
    with pytest.raises(ArchiveError, match=r"refusing to load"):
        readers.load_npz(path)
    assert not marker.exists()


def test_the_unpickler_cannot_call_ndarray_directly(tmp_path):
    # REDUCE on numpy.ndarray with a huge shape would allocate at the file's request.
    path = tmp_path / "batch"
    path.write_bytes(b"\x80\x02cnumpy\nndarray\nJ\x00\x00\x00\x7f\x85\x85R.")
    with pytest.raises(ArchiveError, match=r"not a valid pickle"):
        readers.load_pickle(path)
