"""Helpers shared by several test files.

Closeness checks over pytrees, float64 conversion for NumPy references, the
small classifier and data that the fit and callback tests train, a layer that
counts traces, a counter of XLA compiles, the Keras twin of a layer given the
same weights, and child Python processes that import this checkout of jaxlayers.
"""

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax

import jaxlayers as jl

ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- compiles
_COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"


@contextlib.contextmanager
def count_compiles():
    """The names of the XLA programs compiled inside the block (every one, however small)."""
    names = []

    def listener(event, duration, **kwargs):
        if event == _COMPILE_EVENT:
            names.append(kwargs.get("fun_name", "?"))

    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        yield names
    finally:
        jax.monitoring.unregister_event_duration_listener(listener)


# --------------------------------------------------------------------------- closeness
def _comparable(value):
    """A NumPy array in float64 (complex128 for complex values) where it holds numbers.

    Half-precision dtypes (bfloat16) are not understood by ``assert_allclose``;
    widening every number keeps one comparison for all of them.
    """
    array = np.asarray(value)
    if np.iscomplexobj(array):
        return array.astype(np.complex128)
    if array.dtype.kind in "biufV":
        return array.astype(np.float64)
    return array


def assert_close(actual, expected, rtol=1e-5, atol=1e-5, tol=None, same_structure=False,
                 err_msg=""):
    """Asserts that two pytrees hold the same number of leaves, each pair close.

    Args:
        actual: A pytree of arrays (or one array).
        expected: A pytree with as many leaves.
        rtol: Relative tolerance.
        atol: Absolute tolerance.
        tol: When given, both ``rtol`` and ``atol``.
        same_structure: Also require the two tree structures to be equal.
        err_msg: Printed with a failure.
    """
    if tol is not None:
        rtol = atol = tol
    if same_structure:
        assert jax.tree.structure(actual) == jax.tree.structure(expected), err_msg
    got, want = jax.tree.leaves(actual), jax.tree.leaves(expected)
    assert len(got) == len(want), (len(got), len(want), err_msg)
    for a, b in zip(got, want):
        np.testing.assert_allclose(_comparable(a), _comparable(b), rtol=rtol, atol=atol,
                                   err_msg=err_msg)


def assert_same_array(ours, theirs, rtol=1e-6):
    """The same shape and values (compared in float64) as an oracle's array."""
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours.astype(np.float64), theirs.astype(np.float64), rtol=rtol,
                               atol=1e-6)


def f64(*arrays):
    """The arrays as float64 NumPy arrays: one array for one argument, else a list."""
    out = [np.asarray(a, np.float64) for a in arrays]
    return out[0] if len(out) == 1 else out


def sigmoid(v):
    """The logistic function in NumPy (float64 references)."""
    return 1.0 / (1.0 + np.exp(-v))


def random_image(rng, rank, data_format, channels):
    """A batch of 2 float32 images of spatial rank 1, 2 or 3 (small odd sizes)."""
    spatial = {1: (9,), 2: (7, 6), 3: (5, 4, 5)}[rank]
    shape = (2,) + spatial + (channels,) if data_format == "channels_last" else \
        (2, channels) + spatial
    return rng.standard_normal(shape).astype(np.float32)


# --------------------------------------------------------------------------- Keras twins
def set_same_random_weights(ours, theirs, rng):
    """Gives a built layer and its built Keras twin the same random weights.

    Both must list the same weights (last path component and shape, in order);
    returns the values given.
    """
    def listing(weights):
        return [(w.path.split("/")[-1], tuple(w.shape)) for w in weights]

    assert listing(ours.weights) == listing(theirs.weights)
    weights = [rng.standard_normal(w.shape).astype(np.float32) for w in theirs.weights]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    return weights


def random_weights(model, rng):
    """Weights a deep random network stays finite and non-trivial with."""
    values = []
    for w in model.weights:
        shape, dtype = tuple(w.shape), np.dtype(str(w.dtype))
        leaf = w.path.split("/")[-1]
        if not np.issubdtype(dtype, np.floating):
            values.append(np.zeros(shape, dtype))
        elif "variance" in leaf:
            values.append(rng.uniform(0.5, 1.5, shape).astype(dtype))
        elif leaf in ("gamma", "scale"):
            values.append(rng.uniform(0.8, 1.2, shape).astype(dtype))
        elif len(shape) <= 1:
            values.append(rng.normal(0.0, 0.1, shape).astype(dtype))
        else:
            fan_in = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
            values.append((rng.normal(0.0, 1.0, shape) / np.sqrt(fan_in)).astype(dtype))
    return values


# --------------------------------------------------------------------------- fit
def blobs(n=96, d=6, classes=3, seed=0):
    """``(x, y)``: ``n`` points around ``classes`` random centres, float32 and int32."""
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((classes, d)) * 3
    y = rng.integers(0, classes, n)
    x = centers[y] + rng.standard_normal((n, d))
    return x.astype(np.float32), y.astype(np.int32)


def linear_classifier(name=None, **compile_kwargs):
    """``Dense(3)`` on 6 features, compiled (SGD and logits cross-entropy by default)."""
    model = jl.Sequential([jl.layers.Input(shape=(6,)), jl.layers.Dense(3)], name=name)
    compile_kwargs.setdefault("optimizer", "sgd")
    compile_kwargs.setdefault("loss",
                              jl.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.compile(**compile_kwargs)
    return model


def sgd_steps(params, x, y, lr, batch_size):
    """Plain SGD on softmax cross-entropy, batches in order: the reference of a linear fit."""
    def loss(p, xb, yb):
        logits = xb @ p["kernel"] + p["bias"]
        return optax.softmax_cross_entropy_with_integer_labels(logits, yb).mean()

    for i in range(0, len(x), batch_size):
        g = jax.grad(loss)(params, x[i:i + batch_size], y[i:i + batch_size])
        params = jax.tree.map(lambda p, d: p - lr * d, params, g)
    return params


class MyCustomLayer(jl.layers.Layer):
    """Seed 000/001's custom layer, with tf.matmul written as jnp.matmul."""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="uniform", trainable=True)

    def call(self, inputs):
        return jnp.matmul(inputs, self.kernel)


class Counter(jl.layers.Layer):
    """A layer with state: counts calls in training mode."""

    def build(self, input_shape):
        self.count = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                     name="count")
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones",
                                     name="scale")

    def call(self, x, training=None):
        if training:
            self.count = self.count + 1.0
        return x * self.scale


class NoisyLayer(jl.layers.Layer):
    """Adds standard normal noise in training, from the layer's own key."""

    def call(self, x, training=None):
        if training:
            return x + jax.random.normal(self.next_key(), x.shape)
        return x


class TraceCounter(jl.layers.Layer):
    """Identity whose Python ``call`` body runs only while tracing: counts traces."""

    traces = 0

    def call(self, x):
        TraceCounter.traces += 1
        return x


# --------------------------------------------------------------------------- processes
def child_env(**extra):
    """The environment of a child Python that imports this checkout's jaxlayers on the CPU."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "JAX_PLATFORMS": "cpu", "PYTHONPATH": path, **extra}


def run_python(code, *argv, env=None, **kwargs):
    """Runs ``python -c code argv...`` from the repository root; returns the CompletedProcess."""
    return subprocess.run([sys.executable, "-c", code, *map(str, argv)], cwd=ROOT,
                          env=child_env(**(env or {})), **kwargs)


def start_python(code, *argv, env=None, **kwargs):
    """Starts ``python -c code argv...`` from the repository root; returns the Popen."""
    return subprocess.Popen([sys.executable, "-c", code, *map(str, argv)], cwd=ROOT,
                            env=child_env(**(env or {})), **kwargs)


# --------------------------------------------------------------------------- files
def save_npz_layout(model, path, **kwargs):
    """``model.save`` as on a machine without h5py: jaxlayers's data-only npz layout.

    The tests of that layout (and of hostile files built from it) write it this
    way; ``save`` warns that Keras cannot read it, which is expected here.
    """
    import warnings

    missing = object()
    old = sys.modules.get("h5py", missing)
    sys.modules["h5py"] = None  # `import h5py` now raises ImportError
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*npz layout")
            model.save(path, **kwargs)
    finally:
        if old is missing:
            del sys.modules["h5py"]
        else:
            sys.modules["h5py"] = old
