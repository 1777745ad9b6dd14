"""Hostile, truncated and corrupted files: always a clear SerializationError, never a crash."""

import io
import itertools
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
from jaxlayers.saving import archive, files
from tests.helpers import run_python, save_npz_layout, start_python

L = jl.layers


def _model():
    return jl.Sequential([jl.Input((3,)), L.Dense(2, name="d")], name="m")


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "good.keras"
    save_npz_layout(_model(), path)
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
        with pytest.raises(archive.ArchiveError, match="truncated or corrupt"):
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


def test_zip64_end_records_and_comments_still_read(tmp_path, saved, monkeypatch):
    """The end-record check accepts what zip writers legitimately put at the end."""
    members = _members(saved)
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 1)  # zip64 end records for 3 members
    with zipfile.ZipFile(tmp_path / "z64.keras", "w") as zf:
        for name, raw in members.items():
            zf.writestr(name, raw)
        zf.comment = b"written by another tool"
    monkeypatch.undo()
    assert b"PK\x06\x06" in (tmp_path / "z64.keras").read_bytes()
    model = _load(tmp_path / "z64.keras")
    for got, want in zip(model.get_weights(), _load(saved).get_weights()):
        np.testing.assert_array_equal(got, want)


def test_big_endian_arrays_load_with_their_values(tmp_path, saved):
    """Arrays in the other byte order are converted, never reinterpreted (bfloat16 views)."""
    import ml_dtypes

    kernel = np.arange(6, dtype=">f4").reshape(3, 2)
    bias = np.array([1.5, -2.25], ml_dtypes.bfloat16)
    path = _with_weights(tmp_path, saved, {
        "params/d/kernel": kernel, "params/d/bias": bias.view("<u2").astype(">u2")},
        {"format": "jaxlayers", "format_version": 1,
         "keys": ["params/d/kernel", "params/d/bias"], "dtypes": {"params/d/bias": "bfloat16"}})
    params, _ = jl.saving.load_params(path)
    assert params["d"]["kernel"].dtype == np.dtype("<f4")
    np.testing.assert_array_equal(params["d"]["kernel"], kernel)
    assert params["d"]["bias"].dtype == ml_dtypes.bfloat16
    np.testing.assert_array_equal(params["d"]["bias"].astype(np.float32), [1.5, -2.25])
    h5py = pytest.importorskip("h5py")
    with h5py.File(tmp_path / "be.weights.h5", "w") as f:
        f["layers/dense/vars/0"] = kernel
        f["layers/dense/vars/1"] = np.array([3.0, 4.0], ">f4")
    model = _model()
    model.load_weights(tmp_path / "be.weights.h5")
    np.testing.assert_array_equal(model.get_layer("d").kernel.numpy(), kernel)
    np.testing.assert_array_equal(model.get_layer("d").bias.numpy(), [3.0, 4.0])


def test_backup_training_records_are_checked(tmp_path):
    from jaxlayers.saving import api

    model = _model()
    model.compile(optimizer="adam", loss="mse")
    model.train_on_batch(np.ones((2, 3), np.float32), np.ones((2, 2), np.float32))
    pcg = np.random.default_rng(0).bit_generator.state
    api.save_backup(model, tmp_path / "b.backup", {"epoch": 3, "batch": None, "shuffle": pcg})
    assert api.load_backup(model, tmp_path / "b.backup") == {"epoch": 3, "batch": None,
                                                            "shuffle": pcg}
    members = _members(tmp_path / "b.backup")
    metadata = json.loads(members["metadata.json"])
    bad = {"no record": None, "epoch -1": {"epoch": -1, "batch": None, "shuffle": None},
           "epoch True": {"epoch": True, "batch": None, "shuffle": None},
           "batch '2'": {"epoch": 1, "batch": "2", "shuffle": None},
           "other generator": {"epoch": 1, "batch": None,
                               "shuffle": {**pcg, "bit_generator": "MT19937"}},
           "huge state": {"epoch": 1, "batch": None,
                          "shuffle": {**pcg, "state": {"state": 2**130, "inc": 1}}},
           "extra key": {"epoch": 1, "batch": None, "shuffle": {**pcg, "x": 1}}}
    for record in bad.values():
        members["metadata.json"] = json.dumps({**metadata, "training": record}).encode()
        path = _write(tmp_path / "bad.backup", members)
        with pytest.raises(archive.ArchiveError, match="training record|not a training "
                                                       "backup"):
            api.load_backup(model, path)


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
    save_npz_layout(model, tmp_path / "opt.keras")
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
    members["optimizer.npz"] = _npz(fewer, {
        **meta, "keys": [k for k in meta["keys"] if k != first],
        "dtypes": {k: v for k, v in meta["dtypes"].items() if k != first}})
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
sys.modules["h5py"] = None  # jaxlayers's npz layout, written array by array
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
    import signal
    import subprocess

    path = tmp_path / "good.keras"
    before = path.read_bytes()
    expected = jl.saving.load_model(path).get_weights()
    proc = start_python(_KILLED_SAVE, path, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
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
        monkeypatch.setattr(files, "_link_fd", lambda fd, dest: False)
    elif route == "named_temp":
        monkeypatch.setattr(files, "_unnamed_file", lambda folder: None)
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


def _race_to_create(barrier, folder, rounds, me, results):
    """One of several processes saving to the same new paths with ``overwrite=False``.

    The first half of the rounds writes through an unnamed file (``O_TMPFILE``),
    the second half through a named temporary file, as where that is missing.
    """
    from jaxlayers.saving import files as files_lib

    unnamed, won = files_lib._unnamed_file, []
    for i in range(rounds):
        files_lib._unnamed_file = unnamed if i < rounds // 2 else (lambda folder: None)
        barrier.wait()
        try:
            files_lib.atomic_write(os.path.join(folder, f"r{i}.bin"),
                                   lambda f: f.write(me.encode() * 4096), overwrite=False)
            won.append(i)
        except FileExistsError:
            pass
    results.put((me, won))


def test_overwrite_false_has_exactly_one_winner_among_processes(tmp_path):
    """Processes started together save to one new path: exactly one succeeds each round,
    and the file holds that one's complete content."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    n, rounds = 2, 60
    barrier, results = ctx.Barrier(n), ctx.Queue()
    procs = [ctx.Process(target=_race_to_create,
                         args=(barrier, str(tmp_path), rounds, str(i), results))
             for i in range(n)]
    for proc in procs:
        proc.start()
    try:
        won = dict(results.get(timeout=120) for _ in procs)
    finally:
        for proc in procs:
            proc.join(timeout=30)
    for i in range(rounds):
        winners = [me for me, rounds_won in won.items() if i in rounds_won]
        assert len(winners) == 1, f"round {i}: winners {winners}"
        assert (tmp_path / f"r{i}.bin").read_bytes() == winners[0].encode() * 4096
    assert sorted(os.listdir(tmp_path)) == sorted(f"r{i}.bin" for i in range(rounds))


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


# ----------------------------------------------------------------------------- bounded loads
# Each hostile file below is a few KB; loading it once exhausted memory, hung, crashed
# with a raw Python/JAX error or silently read something else.  All are loaded in ONE
# child process whose address space is capped a little above what a normal load needs
# (measured in the child after one normal load of each kind), each load under an alarm.
_BOUNDED_LOADS = r"""
import json, os, re, resource, signal, sys

import jaxlayers as jl
from jaxlayers.errors import ArchiveError

good, cases = sys.argv[1], json.loads(sys.argv[2])


def model():
    return jl.Sequential([jl.Input((3,)), jl.layers.Dense(2, name="d")], name="m")


def wide():  # a 4 GiB kernel, created only when weights are assigned to it
    return jl.Sequential([jl.Input((2**15,)), jl.layers.Dense(2**15, use_bias=False)])


loaders = {"load_model": jl.saving.load_model,
           "load_weights": lambda path: model().load_weights(path),
           "load_weights_wide": lambda path: wide().load_weights(path),
           "load_params": jl.saving.load_params}
for name in ("load_model", "load_weights", "load_params"):
    loaders[name](good)
status = open("/proc/self/status").read()
cap = int(re.search(r"VmSize:\s+(\d+) kB", status).group(1)) * 1024 + 2**30
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


class Timeout(BaseException):
    pass


def alarm(*_):
    raise Timeout()


signal.signal(signal.SIGALRM, alarm)
for name, loader, path in cases:
    signal.alarm(10)
    try:
        loaders[loader](path)
        kind, message = "no error", ""
    except Timeout:
        kind, message = "timeout (10 s)", ""
    except BaseException as e:  # MemoryError, RecursionError, ... are what is tested
        kind = "ArchiveError" if isinstance(e, ArchiveError) else type(e).__name__
        message = str(e)
    finally:
        signal.alarm(0)
    print(json.dumps([name, kind, message[:600]]), flush=True)
"""


def _npy(array=None, header=None, data=b""):
    """The bytes of a ``.npy``: of ``array``, or of a raw ``header`` dict and ``data``."""
    stream = io.BytesIO()
    if array is not None:
        np.lib.format.write_array(stream, np.asarray(array))
        return stream.getvalue()
    np.lib.format.write_array_header_1_0(stream, header)
    return stream.getvalue() + data


def _zip_bytes(members, compression=zipfile.ZIP_STORED):
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", compression) as zf:
        for name, raw in members.items():
            zf.writestr(name, raw)
    return stream.getvalue()


def _manifest(keys, dtypes=None, **extra):
    meta = {"format": "jaxlayers", "format_version": 1, "keys": keys, "dtypes": dtypes or {},
            **extra}
    return _npy(np.frombuffer(json.dumps(meta).encode(), np.uint8))


def _keras_h5_file(path, units, in_dim, write_h5, compression=zipfile.ZIP_STORED):
    """A Keras 3 ``.keras``: ``Input(in_dim) -> Dense(units, use_bias=False)``."""
    h5py = pytest.importorskip("h5py")
    config = {"module": "keras", "class_name": "Sequential", "registered_name": None,
              "config": {"name": "s", "trainable": True, "layers": [
                  {"module": "keras.layers", "class_name": "InputLayer",
                   "registered_name": None,
                   "config": {"batch_shape": [None, in_dim], "dtype": "float32",
                              "name": "in"}},
                  {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
                   "config": {"name": "dense", "units": units, "use_bias": False},
                   "build_config": {"input_shape": [None, in_dim]}}]},
              "build_config": {"input_shape": [None, in_dim]}}
    stream = io.BytesIO()
    with h5py.File(stream, "w") as f:
        write_h5(f)
    members = {"metadata.json": json.dumps({"keras_version": "3.15.1"}).encode(),
               "config.json": json.dumps(config).encode(), "model.weights.h5": stream.getvalue()}
    return _write(path, members, compression)


def _hostile_files(tmp_path):
    """``[(name, loader, path, regex the ArchiveError must match)]``."""
    cases = []

    def case(name, loader, path, match):
        cases.append((name, loader, str(path), match))

    model = _model()
    model.compile(optimizer="adam", loss="mse")
    model.train_on_batch(np.ones((2, 3), np.float32), np.ones((2, 2), np.float32))
    save_npz_layout(model, tmp_path / "good.keras")
    raw = (tmp_path / "good.keras").read_bytes()
    members = _members(tmp_path / "good.keras")

    # Truncation: without its end record the file's last bytes are the nested optimizer
    # archive's own end record, which zip readers took for the whole file's.
    end = raw.rindex(b"PK\x05\x06")
    directory = struct.unpack_from("<I", raw, end + 16)[0]
    for cut in (22, 60, len(raw) - directory):
        (tmp_path / f"cut{cut}.keras").write_bytes(raw[:-cut])
        for loader in ("load_params", "load_model", "load_weights"):
            case(f"truncated by {cut} bytes ({loader})", loader, tmp_path / f"cut{cut}.keras",
                 "truncated or corrupt")
    moved = bytearray(raw)  # the end record points one byte before the directory
    struct.pack_into("<I", moved, end + 16, struct.unpack_from("<I", raw, end + 16)[0] - 1)
    (tmp_path / "moved.keras").write_bytes(bytes(moved))
    case("central directory offset off by one", "load_model", tmp_path / "moved.keras",
         "truncated or corrupt")

    # Counts in a manifest are checked against the arrays really stored.
    with zipfile.ZipFile(io.BytesIO(members["optimizer.npz"])) as zf:
        opt = {n: zf.read(n) for n in zf.namelist()}
    meta = json.loads(np.load(io.BytesIO(opt["__jaxlayers_meta__.npy"])).tobytes())
    for count in (10**9, True, "3", [1]):
        opt["__jaxlayers_meta__.npy"] = _npy(np.frombuffer(
            json.dumps({**meta, "count": count}).encode(), np.uint8))
        path = tmp_path / f"count{len(cases)}.keras"
        _write(path, {**members, "optimizer.npz": _zip_bytes(opt)})
        case(f"optimizer count {count!r}", "load_model", path, "leaf count|declares")
    opt["__jaxlayers_meta__.npy"] = _npy(np.frombuffer(json.dumps(meta).encode(), np.uint8))
    opt["train_key.npy"] = _npy(np.zeros(2, np.float32))
    with_float_key = {**meta, "dtypes": {**meta["dtypes"], "train_key": "float32"}}
    opt["__jaxlayers_meta__.npy"] = _npy(np.frombuffer(json.dumps(with_float_key).encode(),
                                                       np.uint8))
    _write(tmp_path / "float_key.keras", {**members, "optimizer.npz": _zip_bytes(opt)})
    case("float train_key", "load_model", tmp_path / "float_key.keras",
         "'train_key' .*not a PRNG key")

    # .npy headers and manifests.
    kernel = _npy(np.ones((3, 2), np.float32))
    for i, (shape, data) in enumerate((((2**64,), b""), ((2**63, 2), b""),
                                       ((2**32, 2**32), b""), ((True, 2), b"\0" * 2),
                                       ((-1, 2), b""), ((1,) * 70, b"\0"))):
        header = {"descr": "|u1", "fortran_order": False, "shape": shape}
        path = tmp_path / f"shape{i}.npz"
        path.write_bytes(_zip_bytes({"params/d/kernel.npy": _npy(header=header, data=data)}))
        case(f"npy shape {shape if len(shape) < 9 else '70 dims'}", "load_params", path,
             r"bad shape|declares shape \(\d+, ?(\d+)?\) and dtype uint8 \(\d{20} bytes\)")
    for i, keys in enumerate(([["params/d/kernel"]], [1], "params/d/kernel",
                              ["params/d/kernel", "params/d/kernel"])):
        path = tmp_path / f"keys{i}.npz"
        path.write_bytes(_zip_bytes({"params/d/kernel.npy": kernel,
                                     "__jaxlayers_meta__.npy": _manifest(keys)}))
        case(f"manifest keys {keys!r}", "load_params", path, "manifest is malformed")
    path = tmp_path / "dtypes.npz"
    path.write_bytes(_zip_bytes({"params/d/kernel.npy": kernel, "__jaxlayers_meta__.npy":
                                 _manifest(["params/d/kernel"], {"params/ghost": "float32"})}))
    case("manifest dtype of a missing key", "load_params", path, "manifest is malformed")
    for i, key_data in enumerate((np.zeros(3, np.uint32), np.zeros((2, 3), np.uint32))):
        path = tmp_path / f"prng{i}.npz"
        path.write_bytes(_zip_bytes({
            "state/seed.npy": _npy(key_data),
            "__jaxlayers_meta__.npy": _manifest(["state/seed"],
                                                {"state/seed": "prng_key:threefry2x32"})}))
        case(f"PRNG key data of shape {key_data.shape}", "load_params", path,
             r"key data of shape .* threefry2x32 keys have data of shape \(\.\.\., 2\)")

    # Compression: one level only, and a total decompressed size per file.
    zeros = np.zeros(2**26, np.uint8)  # 64 MiB of zeros: a ~65 KB deflate stream
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as zf, \
            zf.open("params/d/kernel.npy", "w") as f:
        np.lib.format.write_array(f, zeros)
    nested = _write(tmp_path / "nested.keras", {**members, "model.weights.npz":
                                                inner.getvalue()}, zipfile.ZIP_DEFLATED)
    assert nested.stat().st_size < 2**14
    case("deflate inside a deflated member", "load_params", nested, "is compressed inside")
    overlap = bytearray(_zip_bytes({"params/d/kernel.npy": kernel, "params/d/kerneL.npy":
                                    kernel}))
    second = overlap.rindex(b"PK\x01\x02")
    struct.pack_into("<I", overlap, second + 42, 0)  # both entries point at one local file
    (tmp_path / "overlap.npz").write_bytes(bytes(overlap))
    case("members sharing their bytes", "load_params", tmp_path / "overlap.npz",
         "overlap")

    # Only regular files are opened.
    fifo = tmp_path / "fifo.keras"
    os.mkfifo(fifo)
    for loader in ("load_model", "load_weights", "load_params"):
        case(f"/dev/zero ({loader})", loader, "/dev/zero", "not a regular file")
        case(f"FIFO ({loader})", loader, fifo, "not a regular file")
    try:
        import h5py
    except ImportError:
        return tmp_path / "good.keras", cases

    # HDF5 datasets must hold the bytes they declare; groups are visited once.
    n = 2**15  # a 4 GiB kernel, never written: the file holds no data for it

    def unwritten(f):
        f.create_dataset("layers/dense/vars/0", shape=(n, n), dtype="<f4", chunks=(256, 256))

    case("unwritten chunked HDF5 dataset", "load_model",
         _keras_h5_file(tmp_path / "unwritten.keras", n, n, unwritten),
         "stores 0 bytes for 4294967296 bytes")

    def gzipped(f):
        f.create_dataset("layers/dense/vars/0", data=np.ones((3, 2), np.float32),
                         compression="gzip")

    case("compressed HDF5 dataset inside a .keras", "load_model",
         _keras_h5_file(tmp_path / "gzip.keras", 2, 3, gzipped), "is compressed inside")
    sparse = tmp_path / "sparse.weights.h5"
    with h5py.File(sparse, "w") as f:  # compression is allowed here, within the size cap
        dataset = f.create_dataset("layers/dense/vars/0", shape=(n, n), dtype="<f4",
                                   chunks=(256, 256), compression="gzip")
        dataset[:256, :256] = 1.0  # one chunk written: the other 16383 read as fill values
    case("compressed HDF5 dataset mostly unwritten", "load_weights_wide", sparse,
         "decompresses to more than")
    dag = tmp_path / "dag.weights.h5"
    with h5py.File(dag, "w") as f:
        f["layers/dense/vars/0"] = np.ones((3, 2), np.float32)
        f["layers/dense/vars/1"] = np.ones((2,), np.float32)
        groups = [f.create_group(f"g{i}") for i in range(40)]
        for parent, child in itertools.pairwise(groups):
            parent["a"], parent["b"] = child, child  # 2**39 paths through 40 groups
        f["layers/dense/deep"] = groups[0]
    case("HDF5 groups hard-linked into a DAG", "load_weights", dag, "reached twice")
    cycle = tmp_path / "cycle.weights.h5"
    with h5py.File(cycle, "w") as f:
        f["layers/dense/vars/0"] = np.ones((3, 2), np.float32)
        f["layers/dense/vars/1"] = np.ones((2,), np.float32)
        f["layers/dense/loop"] = f["layers/dense"]
    case("HDF5 group cycle", "load_weights", cycle, "reached twice")
    return tmp_path / "good.keras", cases


@pytest.mark.skipif(sys.platform != "linux", reason="uses /proc, RLIMIT_AS and FIFOs")
def test_hostile_files_fail_fast_with_bounded_memory(tmp_path):
    import re

    good, cases = _hostile_files(tmp_path)
    proc = run_python(_BOUNDED_LOADS, good, json.dumps([c[:3] for c in cases]),
                      env={"MALLOC_ARENA_MAX": "2"}, capture_output=True, text=True,
                      timeout=300, check=False)
    results = {name: (kind, message) for name, kind, message in
               (json.loads(line) for line in proc.stdout.splitlines() if line.startswith("["))}
    failures = []
    for name, _, _, match in cases:
        kind, message = results.get(name, ("child died before this case", proc.stderr[-2000:]))
        if kind != "ArchiveError" or not re.search(match, message):
            failures.append(f"{name}: {kind}: {message[:300]!r} (expected ArchiveError "
                            f"matching {match!r})")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("layer", ["StringLookup", "IntegerLookup", "TextVectorization"])
def test_a_vocabulary_path_in_a_file_is_never_read(tmp_path, layer):
    """A config naming a vocabulary file would make loading read any local file."""
    secret = tmp_path / "secret.txt"
    secret.write_text("alpha\nbeta\n")
    vocabulary = ["7", "8"] if layer == "IntegerLookup" else ["x", "y"]
    if layer == "IntegerLookup":
        vocabulary = [7, 8]
    model = jl.Sequential([getattr(jl.layers, layer)(vocabulary=vocabulary, name="lookup")])
    model.build((None, 1))
    path = tmp_path / "v.keras"
    model.save(path)
    members = _members(path)
    config = json.loads(members["config.json"])
    config["config"]["layers"][-1]["config"]["vocabulary"] = str(secret)
    members["config.json"] = json.dumps(config).encode()
    with pytest.raises(SerializationError, match="vocabulary.*file path"):
        _load(_write(tmp_path / "hostile.keras", members))


def test_legacy_weights_reader_names_a_keras_3_weights_file(tmp_path):
    # A Keras 3 ``.weights.h5`` has no Keras 2 ``layer_names``: a clear error, not an
    # AttributeError from the missing group.
    from jaxlayers.saving import legacy_h5

    model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)])
    model.save_weights(tmp_path / "new.weights.h5")
    with pytest.raises(archive.ArchiveError, match=r"not a Keras 2 .*model.load_weights"):
        legacy_h5.load_weights(model, tmp_path / "new.weights.h5")
