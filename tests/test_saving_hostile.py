"""Hostile, truncated and corrupted files: always a clear SerializationError, never a crash."""

import io
import json
import os
import stat
import struct
import sys
import zipfile

import numpy as np
import pytest

import jaxlayers as jl
import jaxlayers.saving  # noqa: F401  (jl.saving)
from jaxlayers.errors import SerializationError, UnsafeLoadError
from jaxlayers.saving import archive

L = jl.layers


def _model():
    return jl.Sequential([jl.Input((3,)), L.Dense(2, name="d")], name="m")


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "good.keras"
    _model().save(path)
    return path


def _members(path):
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _write(path, members, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, raw in members.items():
            zf.writestr(name, raw)
    return path


def _npz(arrays, manifest=None):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for key, array in arrays.items():
            with zf.open(key + ".npy", "w") as f:
                np.lib.format.write_array(f, np.asarray(array), allow_pickle=True)
        if manifest is not None:
            raw = np.frombuffer(json.dumps(manifest).encode(), np.uint8)
            with zf.open("__jaxlayers_meta__.npy", "w") as f:
                np.lib.format.write_array(f, raw)
    return buffer.getvalue()


def _with_weights(tmp_path, saved, arrays, manifest=None, name="w.keras"):
    members = _members(saved)
    members["model.weights.npz"] = _npz(arrays, manifest)
    return _write(tmp_path / name, members)


def _load(path):
    return jl.saving.load_model(path)


# ----------------------------------------------------------------------------- containers
def test_not_a_zip_empty_and_truncated_files(tmp_path, saved):
    (tmp_path / "text.keras").write_text("hello, not a zip")
    (tmp_path / "empty.keras").write_bytes(b"")
    raw = saved.read_bytes()
    (tmp_path / "head.keras").write_bytes(raw[: len(raw) // 2])
    (tmp_path / "tail.keras").write_bytes(raw[len(raw) // 2:])
    for name in ("text", "empty", "head", "tail"):
        with pytest.raises(archive.ArchiveError, match="truncated, corrupted"):
            _load(tmp_path / f"{name}.keras")
    with pytest.raises(FileNotFoundError):
        _load(tmp_path / "missing.keras")


def test_corrupted_array_bytes_fail_the_crc(tmp_path, saved):
    raw = bytearray(saved.read_bytes())
    with zipfile.ZipFile(saved) as zf, zipfile.ZipFile(
            io.BytesIO(zf.read("model.weights.npz"))) as inner:
        blob = inner.read("params/d/kernel.npy")  # header + 3 * 2 float32
    start = bytes(raw).find(blob[-24:])
    assert start > 0
    raw[start + 4] ^= 0xFF
    (tmp_path / "flip.keras").write_bytes(bytes(raw))
    with pytest.raises(archive.ArchiveError, match="array 'params/d/kernel' .*Bad CRC-32"):
        _load(tmp_path / "flip.keras")


def test_missing_members(tmp_path, saved):
    for missing in ("config.json", "metadata.json", "model.weights.npz"):
        members = _members(saved)
        del members[missing]
        path = _write(tmp_path / f"no_{missing}.keras", members)
        with pytest.raises(archive.ArchiveError, match=f"member '{missing}' is missing"):
            _load(path)


def test_path_traversal_and_absolute_names_are_refused_without_writing(tmp_path, saved):
    for i, evil in enumerate(("../evil.txt", "/tmp/evil.txt", "a/../../evil.txt",
                              "C:/evil.txt", "dir\\..\\evil.txt")):
        members = _members(saved)
        members[evil] = b"owned"
        path = _write(tmp_path / f"t{i}.keras", members)
        with pytest.raises(archive.ArchiveError, match="unsafe name"):
            _load(path)
    assert not (tmp_path.parent / "evil.txt").exists()


def test_zip_bomb_by_declared_size_is_refused_before_reading(tmp_path, saved):
    members = _members(saved)
    path = _write(tmp_path / "bomb.keras", members, zipfile.ZIP_DEFLATED)
    raw = bytearray(path.read_bytes())
    # Declare 4 GiB of config.json in the central directory (uncompressed size field).
    entry = raw.find(b"PK\x01\x02")
    while entry >= 0:
        name_len = struct.unpack_from("<H", raw, entry + 28)[0]
        if raw[entry + 46: entry + 46 + name_len] == b"config.json":
            struct.pack_into("<I", raw, entry + 24, 0xFFFFFFF0)
            break
        entry = raw.find(b"PK\x01\x02", entry + 4)
    (tmp_path / "bomb.keras").write_bytes(bytes(raw))
    with pytest.raises(archive.ArchiveError, match="zip bomb"):
        _load(tmp_path / "bomb.keras")


def test_real_deflate_bomb_with_honest_sizes_is_refused_by_the_member_limit(tmp_path, saved):
    """70 MB of JSON whitespace deflates about 1000:1, within deflate's real ratio: the
    declared size, checked before any inflating, is what refuses it."""
    members = _members(saved)
    members["config.json"] = b" " * (70 * 2**20) + members["config.json"]
    path = _write(tmp_path / "honest_bomb.keras", members, zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < 2**20
    with pytest.raises(archive.ArchiveError, match="more than the limit"):
        _load(path)


def test_oversized_json_and_unsupported_compression(tmp_path, saved, monkeypatch):
    monkeypatch.setattr(archive, "MAX_JSON_BYTES", 64)
    with pytest.raises(archive.ArchiveError, match="more than the limit 64"):
        _load(saved)
    monkeypatch.undo()
    path = _write(tmp_path / "bz.keras", _members(saved), zipfile.ZIP_BZIP2)
    with pytest.raises(archive.ArchiveError, match="compression method 12"):
        _load(path)


def test_bad_json_and_deep_nesting(tmp_path, saved):
    members = _members(saved)
    members["config.json"] = b"{not json"
    with pytest.raises(archive.ArchiveError, match="not valid JSON"):
        _load(_write(tmp_path / "a.keras", members))
    members["config.json"] = b"[" * 100000 + b"]" * 100000
    with pytest.raises(SerializationError):
        _load(_write(tmp_path / "b.keras", members))
    members["config.json"] = b'"just a string"'
    with pytest.raises(archive.ArchiveError, match="no 'class_name'"):
        _load(_write(tmp_path / "c.keras", members))


def test_wrong_format_and_future_version(tmp_path, saved):
    members = _members(saved)
    members["metadata.json"] = json.dumps({"format": "other"}).encode()
    with pytest.raises(archive.ArchiveError, match="does not describe a jaxlayers model"):
        _load(_write(tmp_path / "a.keras", members))
    members["metadata.json"] = json.dumps({"format": "jaxlayers", "format_version": 99,
                                           "jaxlayers_version": "9.0"}).encode()
    with pytest.raises(SerializationError, match="format version 99 .* Upgrade jaxlayers"):
        _load(_write(tmp_path / "b.keras", members))


def test_legacy_h5_model_is_refused(tmp_path):
    (tmp_path / "old.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)
    with pytest.raises(SerializationError, match="legacy Keras 2"):
        _load(tmp_path / "old.h5")


# ----------------------------------------------------------------------------- classes
def test_unknown_classes_never_import_modules(tmp_path, saved):
    members = _members(saved)
    config = json.loads(members["config.json"])
    config["config"]["layers"][1].update({"module": "this", "class_name": "Zen"})
    members["config.json"] = json.dumps(config).encode()
    assert "this" not in sys.modules
    with pytest.raises(SerializationError, match="Unknown layer class 'Zen'"):
        _load(_write(tmp_path / "a.keras", members))
    assert "this" not in sys.modules
    config["config"]["layers"][1].update({"module": "os", "class_name": "system",
                                          "registered_name": "os>system"})
    members["config.json"] = json.dumps(config).encode()
    with pytest.raises(SerializationError, match="Unknown layer class 'system'"):
        _load(_write(tmp_path / "b.keras", members))


def test_bad_layer_arguments_become_serialization_errors(tmp_path, saved):
    members = _members(saved)
    config = json.loads(members["config.json"])
    config["config"]["layers"][1]["config"]["units"] = -3
    members["config.json"] = json.dumps(config).encode()
    with pytest.raises(SerializationError, match="could not rebuild the model"):
        _load(_write(tmp_path / "a.keras", members))
    config["config"]["layers"][1]["config"]["evil_kwarg"] = 1
    members["config.json"] = json.dumps(config).encode()
    with pytest.raises(SerializationError, match="could not rebuild the model"):
        _load(_write(tmp_path / "b.keras", members))


def test_keras_marshalled_lambda_is_refused_even_without_safe_mode(tmp_path):
    config = {
        "module": "keras", "class_name": "Sequential", "registered_name": None,
        "config": {"name": "s", "trainable": True, "layers": [
            {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
             "config": {"batch_shape": [None, 2], "dtype": "float32", "name": "in"}},
            {"module": "keras.layers", "class_name": "Lambda", "registered_name": None,
             "config": {"name": "lam", "function": {"class_name": "__lambda__",
                                                    "config": {"code": "YWJj"}}}}]}}
    members = {"metadata.json": json.dumps({"keras_version": "3.15.1"}).encode(),
               "config.json": json.dumps(config).encode(), "model.weights.h5": b""}
    path = _write(tmp_path / "k.keras", members)
    for safe_mode in (True, False):
        with pytest.raises(UnsafeLoadError, match="never loads bytecode"):
            jl.saving.load_model(path, safe_mode=safe_mode)


# ----------------------------------------------------------------------------- arrays
def test_wrong_shape_dtype_and_count(tmp_path, saved):
    kernel, bias = np.ones((3, 2), np.float32), np.zeros((2,), np.float32)
    cases = {
        "shape": ({"params/d/kernel": np.ones((2, 3), np.float32), "params/d/bias": bias},
                  r"weight 'd/kernel' expects shape \(3, 2\)"),
        "dtype": ({"params/d/kernel": kernel.astype(np.int32), "params/d/bias": bias},
                  "weight 'd/kernel' has dtype float32 .* dtype int32"),
        "missing": ({"params/d/kernel": kernel}, "weight 'd/bias' .* is not in the file"),
        "extra": ({"params/d/kernel": kernel, "params/d/bias": bias,
                   "params/d/extra": bias}, "'params/d/extra' matches no weight"),
    }
    for name, (arrays, match) in cases.items():
        path = _with_weights(tmp_path, saved, arrays, name=f"{name}.keras")
        with pytest.raises(SerializationError, match=match):
            _load(path)


def test_optimizer_state_with_wrong_shapes_or_count(tmp_path):
    model = _model()
    model.compile(optimizer="adam", loss="mse")
    model.train_on_batch(np.ones((2, 3), np.float32), np.ones((2, 2), np.float32))
    model.save(tmp_path / "opt.keras")
    members = _members(tmp_path / "opt.keras")
    with zipfile.ZipFile(io.BytesIO(members["optimizer.npz"])) as zf:
        meta = json.loads(np.load(io.BytesIO(zf.read("__jaxlayers_meta__.npy"))).tobytes())
        arrays = {n[:-4]: np.load(io.BytesIO(zf.read(n))) for n in zf.namelist()
                  if n != "__jaxlayers_meta__.npy"}
    shapes = {k: v.shape for k, v in arrays.items()}
    first = next(k for k in meta["keys"] if k != "train_key" and len(shapes[k]) == 2)
    wrong = {**arrays, first: np.zeros(shapes[first][::-1] + (1,), arrays[first].dtype)}
    members["optimizer.npz"] = _npz(wrong, meta)
    with pytest.raises(archive.ArchiveError, match=f"optimizer state array {first} has shape"):
        _load(_write(tmp_path / "shape.keras", members))
    fewer = {k: v for k, v in arrays.items() if k != first}
    members["optimizer.npz"] = _npz(fewer, {**meta, "keys": [k for k in meta["keys"]
                                                             if k != first]})
    with pytest.raises(archive.ArchiveError, match=f"declares {meta['count']} arrays but "
                                                   f"holds {meta['count'] - 1}"):
        _load(_write(tmp_path / "count.keras", members))
    assert jl.saving.load_model(tmp_path / "count.keras", compile=False).get_weights()


def test_pickled_objects_and_structured_dtypes_are_never_read(tmp_path, saved):
    objects = np.array([{"a": 1}, None], dtype=object)
    path = _with_weights(tmp_path, saved, {"params/d/kernel": objects,
                                           "params/d/bias": np.zeros(2, np.float32)})
    with pytest.raises(archive.ArchiveError, match="never pickled objects"):
        _load(path)
    record = np.zeros(2, dtype=[("a", "f4"), ("b", "i4")])
    path = _with_weights(tmp_path, saved, {"params/d/kernel": np.ones((3, 2), np.float32),
                                           "params/d/bias": record}, name="s.keras")
    with pytest.raises(archive.ArchiveError, match="only plain bool, integer"):
        _load(path)


def test_array_header_lying_about_its_size(tmp_path, saved):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (100000, 100000)})
    blob = header.getvalue() + b"\0" * 24
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("params/d/kernel.npy", blob)
        with zf.open("params/d/bias.npy", "w") as f:
            np.lib.format.write_array(f, np.zeros(2, np.float32))
    members = _members(saved)
    members["model.weights.npz"] = buffer.getvalue()
    with pytest.raises(archive.ArchiveError, match=r"declares shape \(100000, 100000\)"):
        _load(_write(tmp_path / "lie.keras", members))


def test_manifest_mismatches(tmp_path, saved):
    kernel, bias = np.ones((3, 2), np.float32), np.zeros((2,), np.float32)
    arrays = {"params/d/kernel": kernel, "params/d/bias": bias}
    listed = {"format": "jaxlayers", "format_version": 1,
              "keys": ["params/d/kernel", "params/d/bias", "params/d/ghost"],
              "dtypes": {}}
    with pytest.raises(archive.ArchiveError, match="do not match the manifest"):
        _load(_with_weights(tmp_path, saved, arrays, listed, name="a.keras"))
    lying = {**listed, "keys": list(arrays), "dtypes": {"params/d/kernel": "object"}}
    with pytest.raises(archive.ArchiveError, match="manifest says 'object'"):
        _load(_with_weights(tmp_path, saved, arrays, lying, name="b.keras"))
    broken = {"keys": "nope"}
    with pytest.raises(archive.ArchiveError, match="manifest is malformed"):
        _load(_with_weights(tmp_path, saved, arrays, broken, name="c.keras"))


def test_hostile_weight_files_for_load_weights_and_load_params(tmp_path):
    model = _model()
    (tmp_path / "x.npz").write_bytes(b"garbage")
    with pytest.raises(archive.ArchiveError):
        model.load_weights(tmp_path / "x.npz")
    with pytest.raises(archive.ArchiveError):
        jl.saving.load_params(tmp_path / "x.npz")
    (tmp_path / "clash.npz").write_bytes(_npz({"params/a": np.ones(1), "params/a/b": np.ones(1)}))
    with pytest.raises(archive.ArchiveError, match="names clash"):
        jl.saving.load_params(tmp_path / "clash.npz")
    (tmp_path / "h.weights.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\xff" * 64)
    pytest.importorskip("h5py")
    with pytest.raises(archive.ArchiveError, match="not a readable HDF5 file"):
        model.load_weights(tmp_path / "h.weights.h5")


def test_missing_h5py_names_the_install_command(tmp_path, monkeypatch):
    (tmp_path / "k.weights.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(ImportError, match="pip install h5py"):
        _model().load_weights(tmp_path / "k.weights.h5")


def test_saved_files_get_ordinary_permissions(saved):
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(saved).st_mode) == 0o666 & ~umask


# ----------------------------------------------------------------------------- atomic writes
_KILLED_SAVE = """
import sys, time
import jaxlayers as jl
from jaxlayers.saving import archive

model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2, name="d")], name="m")
real = archive._write_array

def stalled(stream, array):
    real(stream, array)
    print("mid-save", flush=True)
    time.sleep(120)

archive._write_array = stalled
model.save(sys.argv[1])
"""


def test_killed_mid_save_leaves_the_old_file_loadable(tmp_path, saved):
    import subprocess
    import signal

    path = tmp_path / "good.keras"
    before = path.read_bytes()
    expected = jl.saving.load_model(path).get_weights()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_SAVE, str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=root,
                            env={**os.environ, "JAX_PLATFORMS": "cpu"})
    try:
        assert proc.stdout.readline().strip() == b"mid-save"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    assert path.read_bytes() == before
    for got, want in zip(jl.saving.load_model(path).get_weights(), expected):
        np.testing.assert_array_equal(got, want)
    leftovers = sorted(set(os.listdir(tmp_path)) - {"good.keras"})
    if sys.platform == "linux":  # O_TMPFILE: the unfinished file never had a name
        assert leftovers == []
    else:
        assert all(n.startswith(".good.keras.") and n.endswith(".tmp") for n in leftovers)


@pytest.mark.parametrize("route", ["unnamed", "unnamed_then_copied", "named_temp"])
def test_every_write_route_is_atomic(tmp_path, monkeypatch, route):
    """O_TMPFILE + link, O_TMPFILE + copy (linking refused), and a plain named temp file."""
    if route == "unnamed_then_copied":
        monkeypatch.setattr(archive, "_link_fd", lambda fd, dest: False)
    elif route == "named_temp":
        monkeypatch.setattr(archive, "_unnamed_file", lambda folder: None)
    path = tmp_path / "m.weights.npz"
    model = _model()
    model.save_weights(path)
    before = path.read_bytes()

    def fail(stream):
        stream.write(b"partial")
        raise RuntimeError("crash while writing (simulated)")

    with pytest.raises(RuntimeError, match="simulated"):
        archive.atomic_write(path, fail)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.weights.npz"]
    model.get_layer("d").kernel.assign(np.full((3, 2), 3.0, np.float32))
    model.save_weights(path)
    assert os.listdir(tmp_path) == ["m.weights.npz"]
    other = _model()
    other.load_weights(path)
    np.testing.assert_array_equal(other.get_layer("d").kernel.numpy(), 3.0)


# ----------------------------------------------------------------------------- HDF5 links
def test_h5_links_and_external_storage_are_refused(tmp_path):
    """A Keras weights file cannot make the loader read other files into a model."""
    h5py = pytest.importorskip("h5py")
    secret = tmp_path / "secret.h5"
    with h5py.File(secret, "w") as f:
        f["layers/dense/vars/0"] = np.full((3, 2), 7.0, np.float32)
        f["layers/dense/vars/1"] = np.full((2,), 7.0, np.float32)
    raw = tmp_path / "raw.bin"
    np.full((3, 2), 5.0, np.float32).tofile(raw)
    files = {}
    with h5py.File(tmp_path / "ext.weights.h5", "w") as f:
        f.create_group("layers")["dense"] = h5py.ExternalLink(str(secret), "/layers/dense")
        files["ExternalLink"] = f.filename
    with h5py.File(tmp_path / "soft.weights.h5", "w") as f:
        f["elsewhere/vars/0"] = np.ones((3, 2), np.float32)
        f["elsewhere/vars/1"] = np.ones((2,), np.float32)
        f["layers/dense"] = h5py.SoftLink("/elsewhere")
        files["SoftLink"] = f.filename
    with h5py.File(tmp_path / "stor.weights.h5", "w") as f:
        f.create_dataset("layers/dense/vars/0", shape=(3, 2), dtype="<f4",
                         external=[(str(raw), 0, h5py.h5f.UNLIMITED)])
        f["layers/dense/vars/1"] = np.zeros((2,), np.float32)
        files["storage"] = f.filename
    model = jl.Sequential([jl.Input((3,)), L.Dense(2)])
    before = model.get_weights()
    for kind, filename in files.items():
        match = ("keeps its data outside the HDF5 file" if kind == "storage"
                 else f"'dense' is an HDF5 {kind}; only data stored in the weights file")
        with pytest.raises(archive.ArchiveError, match=match):
            model.load_weights(filename)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)
