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

import jax
import numpy as np
import pytest

jax.config.update("jax_default_matmul_precision", "float32")


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
