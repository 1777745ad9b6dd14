"""Several processes for real: 2 local processes x 4 CPU devices, gloo collectives.

The job (tests/tools/multiprocess_worker.py) trains with DataParallel, then
with ModelParallel over the 8 global devices, each process on its own half of
every global batch; the reference is one process (this one, 8 forced devices)
trained on all the data.
"""

import importlib.util
import json
import os
import socket
import subprocess
import sys

import jax
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers import errors

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKER = os.path.join(ROOT, "tests", "tools", "multiprocess_worker.py")
TIMEOUT_S = 180

_spec = importlib.util.spec_from_file_location("multiprocess_worker", WORKER)
worker = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(worker)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_job(out_dir):
    """Both processes' RESULT dicts; kills the job on a failure or a timeout."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    port = _free_port()
    procs = [subprocess.Popen([sys.executable, WORKER, str(port), str(i), "data,model",
                               str(out_dir)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for i in range(2)]
    try:
        outputs = [p.communicate(timeout=TIMEOUT_S)[0] for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    results = []
    for p, out in zip(procs, outputs):
        lines = [ln for ln in out.splitlines() if ln.startswith("RESULT ")]
        assert p.returncode == 0 and lines, f"worker failed ({p.returncode}):\n{out[-4000:]}"
        results.append(json.loads(lines[-1][len("RESULT "):]))
    return results


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    if len(jax.devices()) < 8:
        pytest.skip("the single-process reference needs 8 (forced host) devices")
    out_dir = tmp_path_factory.mktemp("multiprocess")
    return out_dir, _run_job(out_dir)


def _reference(mode):
    model, dist = worker.build(mode)
    x, y = worker.dataset()
    with dist.scope():
        before = model.evaluate(x, y, batch_size=worker.BATCH, verbose=0)
        history = model.fit(x, y, batch_size=worker.BATCH, epochs=2, shuffle=False, verbose=0)
        evaluation = model.evaluate(x, y, batch_size=worker.BATCH, verbose=0, return_dict=True)
        prediction = model.predict(x, batch_size=worker.BATCH, verbose=0)
    return before, history.history["loss"], evaluation, prediction, model.get_weights()


def _close(a, b):
    np.testing.assert_allclose(np.asarray(a, np.float32), np.asarray(b, np.float32),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode,kernel_spec", [("data", []), ("model", [None, "model"])])
def test_two_processes_train_like_one_on_all_the_data(job, mode, kernel_spec):
    out_dir, results = job
    assert [r["process"] for r in results] == [0, 1]
    assert [r["count"] for r in results] == [2, 2]
    # initialize agreed on one seed, so both processes draw the same numbers.
    assert results[0]["seed_draw"] == results[1]["seed_draw"]
    before, loss, evaluation, prediction, weights = _reference(mode)
    for i, r in enumerate(results):
        got = r[mode]
        assert got["kernel_spec"] == kernel_spec
        _close(got["before"], before)  # before fit: weights not yet on the mesh
        _close(got["loss"], loss)  # the loss is the global batch's, on every process
        for name in evaluation:
            _close(got["evaluate"][name], evaluation[name])
        _close(got["prediction"], worker.share(prediction, i))  # each gets its own rows
        for w in ("weights", "reloaded", "loaded_model"):
            assert len(got[w]) == len(weights)
            for a, b in zip(got[w], weights):
                _close(a, b)
    folder = out_dir / mode
    # Only process 0 wrote; what it wrote holds the global (gathered) weights.
    assert sorted(os.listdir(folder)) == ["final.keras", "final.weights.npz",
                                          "from_process_0.weights.npz"]
    saved = jl.Sequential([jl.Input((4,)), jl.layers.Dense(8, name="hidden"),
                           jl.layers.Dense(2, name="out")])
    saved.load_weights(str(folder / "final.weights.npz"))
    for a, b in zip(saved.get_weights(), weights):
        _close(a, b)


def test_processes_holding_different_sample_counts_all_fail_before_training(job):
    _, results = job
    for r in results:  # no process is left waiting in a collective
        for call, counts in (("fit", "[8, 4]"), ("evaluate", "[8, 6]"), ("predict", "[8, 6]")):
            assert r["uneven"][call] is not None and r["uneven"][call].endswith(
                f".{call}: every process must give the same number of samples (each feeds "
                f"its own share of every global batch). Received: {counts} on processes 0..1.")


def test_global_batches_must_split_over_the_batch_axis():
    dist = jl.distribution.DataParallel(devices=jax.devices()[:8])
    with pytest.raises(errors.DataError, match=(
            r"fit: with 1 processes each batch of 4 samples per process makes a global batch "
            r"of 4, which the 'batch' mesh axis of size 8 does not divide\.")):
        jl.distribution.multihost.check_process_batches("fit", dist, 12, (8, 4))


def test_each_process_takes_its_share_of_a_batch_on_the_host(monkeypatch, rng):
    # Each share is NumPy rows of the host arrays (was: an eager gather on the
    # device, copied back to the host for the global batch, per step).
    from jaxlayers.distribution import multihost

    x = rng.standard_normal((10, 4)).astype(np.float32)
    y = rng.standard_normal((10, 2)).astype(np.float32)
    shares, global_batch = [], multihost.global_batch
    monkeypatch.setattr(multihost, "is_multi_process", lambda: True)
    monkeypatch.setattr(multihost, "global_batch",
                        lambda dist, batch: shares.append(batch) or global_batch(dist, batch))
    model = jl.Sequential([jl.Input((4,)), jl.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    with jl.distribution.DataParallel(devices=jax.devices()[:2]).scope():
        model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
        model.evaluate(x, y, batch_size=4, verbose=0)
    # Fit's and evaluate's batches: the rows in order, the last one partial.
    expected = [(x[i:i + 4], y[i:i + 4]) for i in (0, 4, 8)] * 2
    assert len(shares) == len(expected)
    for share, (xs, ys) in zip(shares, expected):
        assert all(type(a) is np.ndarray for a in jax.tree_util.tree_leaves(share))
        np.testing.assert_array_equal(share[0], xs)
        np.testing.assert_array_equal(share[1], ys)


# ----------------------------------------------------------------------------- initialize
@pytest.fixture
def started(monkeypatch):
    """The arguments ``jax.distributed.initialize`` received (nothing is started)."""
    calls = []
    monkeypatch.setattr(jax.distributed, "initialize", lambda **kw: calls.append(kw))
    for name in ("KERAS_DISTRIBUTION_JOB_ADDRESSES", "KERAS_DISTRIBUTION_NUM_PROCESSES",
                 "KERAS_DISTRIBUTION_PROCESS_ID"):
        monkeypatch.delenv(name, raising=False)
    return calls


def test_initialize_reads_keras_environment_variables(started, monkeypatch):
    monkeypatch.setenv("KERAS_DISTRIBUTION_JOB_ADDRESSES", "10.0.0.1:1234,10.0.0.2:2345")
    monkeypatch.setenv("KERAS_DISTRIBUTION_NUM_PROCESSES", "2")
    monkeypatch.setenv("KERAS_DISTRIBUTION_PROCESS_ID", "1")
    jl.distribution.initialize()
    # The first of Keras's list of addresses is the coordinator.
    assert started == [{"coordinator_address": "10.0.0.1:1234", "num_processes": 2,
                        "process_id": 1}]
    jl.distribution.initialize("10.0.0.9:99", 4, 3)  # arguments win over the environment
    assert started[-1] == {"coordinator_address": "10.0.0.9:99", "num_processes": 4,
                           "process_id": 3}


def test_initialize_without_arguments_lets_jax_detect_the_cluster(started):
    jl.distribution.initialize()
    assert started == [{"coordinator_address": None, "num_processes": None,
                        "process_id": None}]


@pytest.mark.parametrize("kwargs,env,error,match", [
    ({"job_addresses": "a:1,b:2", "num_processes": 3}, {},
     errors.ConfigError, r"`job_addresses` lists 2 processes but `num_processes` is 3"),
    ({"num_processes": 2, "process_id": 2}, {},
     errors.ConfigError, r"`process_id` must be below `num_processes` \(2\)"),
    ({"num_processes": 0}, {}, errors.ConfigError, r"`num_processes` must be a positive int"),
    ({"process_id": -1}, {}, errors.ConfigError,
     r"`process_id` must be a non-negative int\. Received: process_id=-1"),
    ({}, {"KERAS_DISTRIBUTION_NUM_PROCESSES": "two"}, errors.ConfigError,
     r"the environment variable KERAS_DISTRIBUTION_NUM_PROCESSES must be a non-negative "
     r"int\. Received: num_processes='two'"),
    ({"job_addresses": 1234}, {}, errors.ConfigTypeError,
     r"`job_addresses` must be a 'host:port' string"),
    ({"job_addresses": "10.0.0.1"}, {}, errors.ConfigError,
     r"initialize: `job_addresses` must be 'host:port' addresses \(a port from 1 to 65535\)"
     r", separated by commas\. Received: job_addresses='10\.0\.0\.1'\."),
    ({"job_addresses": "a:1,", "num_processes": 2}, {}, errors.ConfigError,
     r"`job_addresses` must be 'host:port' addresses .* Received: job_addresses='a:1,'"),
    ({"job_addresses": "a:http"}, {}, errors.ConfigError,
     r"`job_addresses` must be 'host:port' addresses"),
    ({}, {"KERAS_DISTRIBUTION_JOB_ADDRESSES": ":99"}, errors.ConfigError,
     r"`job_addresses` must be 'host:port' addresses .* Received: job_addresses=':99'"),
])
def test_initialize_rejects_bad_arguments_before_starting(started, monkeypatch, kwargs, env,
                                                          error, match):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(error, match=match):
        jl.distribution.initialize(**kwargs)
    assert started == []


# ----------------------------------------------------------------------------- files
def test_only_process_0_writes_files(tmp_path, monkeypatch):
    """Every saving entry point runs on each process, and writes on process 0 alone."""
    x = np.linspace(-1, 1, 16, dtype=np.float32).reshape(8, 2)
    y = x[:, :1] * 2.0
    model = jl.Sequential([jl.Input((2,)), jl.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")

    def train_and_save(folder):
        folder.mkdir()
        callbacks = [jl.callbacks.CSVLogger(str(folder / "log.csv")),
                     jl.callbacks.ModelCheckpoint(str(folder / "ckpt" / "m.weights.npz"),
                                                  save_weights_only=True),
                     jl.callbacks.BackupAndRestore(str(folder / "backup"),
                                                   delete_checkpoint=False),
                     jl.callbacks.TensorBoard(str(folder / "tb"))]
        model.fit(x, y, batch_size=4, epochs=1, callbacks=callbacks, verbose=0)
        model.save(str(folder / "m.keras"))
        model.save_weights(str(folder / "m.weights.npz"))
        jl.saving.save_params(str(folder / "p.npz"), model.params)
        return sorted(os.listdir(folder))

    chief = train_and_save(tmp_path / "chief")
    assert chief == ["backup", "ckpt", "log.csv", "m.keras", "m.weights.npz", "p.npz", "tb"]
    monkeypatch.setattr(jl.distribution.multihost, "is_chief", lambda: False)
    assert train_and_save(tmp_path / "other") == []
