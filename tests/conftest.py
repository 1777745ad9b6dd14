import os
import zlib

# Keras is only an optional oracle; it must run on JAX when present.
os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=8")

import jax
import numpy as np
import pytest

jax.config.update("jax_default_matmul_precision", "float32")


@pytest.fixture
def key(request):
    """A deterministic key derived from the test id."""
    return jax.random.key(zlib.crc32(request.node.nodeid.encode()))


@pytest.fixture
def rng(request):
    """A deterministic NumPy generator derived from the test id."""
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))


def keras_or_skip():
    return pytest.importorskip("keras")
