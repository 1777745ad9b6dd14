import os
import zlib

# Keras is only an optional oracle; it must run on JAX when present.
os.environ.setdefault("KERAS_BACKEND", "jax")
# Tests compile hundreds of small programs and run each a few times: LLVM's
# optimisation passes cost more than they save there (about 20% of the suite's
# CPU time). Both sides of every oracle comparison run under the same flags.
os.environ.setdefault(
    "XLA_FLAGS",
    "--xla_force_host_platform_device_count=8 --xla_backend_optimization_level=0")

import atexit
import shutil
import tempfile

import jax
import numpy as np
import pytest

jax.config.update("jax_default_matmul_precision", "float32")

# Many tests compile the same program (the same small layers at the same shapes) from fresh
# closures, which JAX's in-memory caches key by function identity and miss. The persistent
# cache keys by the program text, so it serves those (about a tenth of a test file's CPU time).
# Each process has its own, for this run only: JAX locks a shared cache only when eviction is
# on, and eviction rescans the whole directory on every write. JAXLAYERS_TEST_XLA_CACHE=off
# turns it off (to measure, or to rule it out).
def _xla_cache_dir():
    """A fresh cache directory for this process; those left by killed runs are removed."""
    root = os.path.join(tempfile.gettempdir(), "jaxlayers-xla-cache")
    os.makedirs(root, exist_ok=True)
    for pid in os.listdir(root):
        try:
            os.kill(int(pid), 0)  # signal 0: only asks whether the process exists
        except ProcessLookupError:
            shutil.rmtree(os.path.join(root, pid), ignore_errors=True)
        except (ValueError, PermissionError):
            pass
    path = os.path.join(root, str(os.getpid()))
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


if os.environ.get("JAXLAYERS_TEST_XLA_CACHE") != "off":
    _cache = _xla_cache_dir()
    jax.config.update("jax_compilation_cache_dir", _cache)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)


@pytest.fixture(autouse=True)
def _seeded(request):
    """Every test starts from seeds derived from its id, not from test order.

    Facade weights are drawn from jaxlayers' eager stream and several tests use
    NumPy's global generator; with xdist the order of tests on a worker varies
    between runs, so without this a test's initial weights would too.
    """
    import jaxlayers as jl

    jl.set_random_seed(zlib.crc32(request.node.nodeid.encode()))
    yield


@pytest.fixture
def key(request):
    """A deterministic key derived from the test id."""
    return jax.random.key(zlib.crc32(request.node.nodeid.encode()))


@pytest.fixture
def rng(request):
    """A deterministic NumPy generator derived from the test id."""
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))


@pytest.fixture(scope="session")
def keras():
    """Keras 3 on its JAX backend, the optional numerical oracle (skips without it)."""
    return pytest.importorskip("keras")


@pytest.fixture(scope="session")
def tf():
    """TensorFlow, the oracle of the string ops (skips without it)."""
    return pytest.importorskip("tensorflow")


@pytest.fixture(scope="session")
def keras_tf(keras, tf):
    """Keras where its TensorFlow-backed preprocessing layers run (skips without either)."""
    return keras


def pytest_collection_modifyitems(config, items):
    # Every test that takes the Keras oracle is marked, so `-m "not keras"` runs the rest.
    for item in items:
        if {"keras", "keras_tf"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.keras)


@pytest.fixture(params=["before_scan", "in_step"])
def input_projection(request):
    """Runs the test under each placement of the RNN input projection (see ops/_rnn.py)."""
    from jaxlayers.ops import _rnn as rnn_ops

    rnn_ops.set_input_projection(request.param)
    yield request.param
    rnn_ops.set_input_projection("auto")
