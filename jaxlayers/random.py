"""Random number ops with Keras 3's ``keras.random`` names, arguments and numerics.

Every op takes ``seed``, one of:

* an ``int``: the same values on every call, as in Keras (the draw is
  bit-identical to Keras 3 on its JAX backend, whose key is ``[seed, 0]``);
* a :class:`SeedGenerator`: a fresh draw on every call.  Inside a layer's
  ``init``/``apply``/facade call (and so inside ``fit``) the generator draws
  from that layer's key, folded with the layer's path and a per-call counter
  (DESIGN.md section 3): the layer stays a pure function of the ``key`` given
  to ``apply``, ``fit`` gives a different key each step, and no seed is ever
  baked into a compiled step.  Outside any layer it advances its own
  ``[seed, counter]`` state eagerly, as Keras's does;
* a ``jax.random`` key (typed, or a raw ``uint32[2]``): used as given, the way
  to draw inside your own ``jax.jit`` function;
* ``None``: inside a layer's call, that layer's key (as a generator would);
  outside, a global generator eagerly.

Under ``jax.jit`` outside any layer a generator or ``None`` has no key to draw
from (its counter would be frozen into the compiled function), so it raises
:class:`~jaxlayers.errors.KeyRequiredError` saying to pass a key as ``seed``.

Example:
    >>> x = normal((2, 3), seed=1)
    >>> bool(jnp.all(x == normal((2, 3), seed=1)))
    True
    >>> gen = SeedGenerator(42)
    >>> bool(jnp.all(uniform((2,), seed=gen) == uniform((2,), seed=gen)))
    False
"""

import contextlib
import random as _py_random
import threading

import jax
import jax.numpy as jnp
import numpy as np

from jaxlayers import backend
from jaxlayers.core import scope as scope_lib
from jaxlayers.errors import ConfigError, ConfigTypeError, KeyRequiredError
from jaxlayers.ops import _args
from jaxlayers.ops import _regularization as reg_ops

_global = {"generator": None, "generation": None}
_global_lock = threading.Lock()
_state_lock = threading.Lock()


def _tracing():
    """Whether a ``jax.jit`` (or ``lax`` loop) is tracing the caller now."""
    return isinstance(jnp.zeros((), jnp.uint32) + 0, jax.core.Tracer)


_sources = threading.local()


@contextlib.contextmanager
def key_source(next_key):
    """Within, a draw that has no layer key takes ``next_key()`` instead of failing under jit.

    The trainer enters it while it traces a model's own ``train_step``, so a
    ``SeedGenerator`` (or ``seed=None``) used there, as in Keras's GAN
    examples, draws from the step's key: a new draw each step, no seed baked
    into the compiled step.

    Example:
        >>> with jl.random.key_source(lambda: jax.random.key_data(jax.random.key(0))):
        ...     a = jl.random.normal((2,), seed=jl.random.SeedGenerator(1))
        >>> a.shape
        (2,)
    """
    stack = _sources.__dict__.setdefault("stack", [])
    stack.append(next_key)
    try:
        yield
    finally:
        stack.pop()


def _source_key():
    stack = getattr(_sources, "stack", None)
    return stack[-1]() if stack else None


def _jit_error(what):
    return KeyRequiredError(
        f"jl.random: {what} cannot draw under jax.jit outside a layer: its counter would be "
        "frozen into the compiled function. Pass a key as the seed, e.g. "
        "`jl.random.normal(shape, seed=key)` with `key` an argument of the jitted function "
        "(split it per call with jax.random.split), or call the op inside a layer's call "
        "and pass `key=` to apply."
    )


def _seed_words(seed):
    """``[seed, 0]`` as Keras's JAX backend keys an int seed (uint32 bits)."""
    return np.array([seed & 0xFFFFFFFF, 0], dtype=np.uint32)


class SeedGenerator:
    """A stream of keys: a fresh draw for each random op that takes it as ``seed``.

    Create it in a layer's ``__init__`` and pass it to ``jl.random`` ops in
    ``call``; there it draws from the layer's key (see the module docstring),
    so ``seed`` only matters for draws outside any layer, which follow
    Keras's ``[seed, counter]`` state exactly.

    Args:
        seed: Initial int seed; ``None`` picks one at random.
        name: Name of the generator (automatic when ``None``).

    Example:
        >>> gen = SeedGenerator(1337)
        >>> a = normal((3,), seed=gen)
        >>> b = normal((3,), seed=gen)
        >>> bool(jnp.any(a != b))
        True
    """

    def __init__(self, seed=None, name=None, **kwargs):
        if kwargs:
            raise ConfigTypeError(
                f"SeedGenerator: unrecognized keyword arguments. Received: "
                f"kwargs={kwargs!r}."
            )
        self._initial_seed = seed
        if seed is None:
            seed = _py_random.randint(1, int(1e9))
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise ConfigTypeError(
                f"SeedGenerator: `seed` must be an int or None. Received: seed={seed!r}."
            )
        self.name = name if name is not None else backend.unique_name("seed_generator")
        self._state = _seed_words(int(seed))

    @property
    def state(self):
        """The eager ``[seed, counter]`` state, as Keras's ``uint32[2]`` variable holds it."""
        return jnp.asarray(self._state)

    def next(self, ordered=True):
        """The key for one draw.

        Inside a layer's call: that layer's next key.  Outside: the current
        ``[seed, counter]`` state, then the counter advances (``ordered=False``
        scrambles the state instead, as Keras's global generator does).
        """
        scope = scope_lib.current()
        if scope is not None:
            return scope.next_key()
        key = _source_key()
        if key is not None:
            return key
        if _tracing():
            raise _jit_error(f"SeedGenerator '{self.name}'")
        # One module lock (not one per generator) keeps layers that own one copyable.
        with _state_lock:
            value = self._state.copy()
            if ordered:
                self._state[1] += np.uint32(1)
            else:
                # uint32 arithmetic that wraps, as Keras's state variable does.
                self._state = (self._state + np.uint32(1)) * np.uint32(5387) % np.uint32(933199)
        return jnp.asarray(value)

    def get_config(self):
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<SeedGenerator name={self.name}>"


def _global_generator():
    """The generator of ``seed=None`` draws; ``set_random_seed`` makes a new one, as in Keras."""
    with _global_lock:
        if _global["generator"] is None or _global["generation"] != backend.seed_generation():
            _global["generator"] = SeedGenerator()
            _global["generation"] = backend.seed_generation()
        return _global["generator"]


def draw_key(seed):
    """The ``jax.random`` key for one op from its ``seed`` argument.

    Example:
        >>> jl.random.draw_key(3)
        Array([3, 0], dtype=uint32)
    """
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if isinstance(seed, jax.Array):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return jnp.asarray(_seed_words(int(seed)))
    if seed is None:
        scope = scope_lib.current()
        if scope is not None:
            return scope.next_key()
        key = _source_key()
        if key is not None:
            return key
        if _tracing():
            raise _jit_error("seed=None")
        return _global_generator().next(ordered=False)
    raise ConfigTypeError(
        "jl.random: `seed` must be an int, a SeedGenerator, a jax.random key or None. "
        f"Received: seed={seed!r} (of type {type(seed).__name__})."
    )


def _shape(op, shape):
    """``shape`` as a tuple of non-negative ints; checked before a key is drawn, so a
    refused call leaves a ``SeedGenerator`` where it was."""
    dims = tuple(shape) if isinstance(shape, (tuple, list, np.ndarray)) else None
    if dims is None or not all(_args.is_int(d) and d >= 0 for d in dims):
        raise ConfigError(
            f"jl.random.{op}: `shape` must be a tuple of non-negative ints. "
            f"Received: shape={shape!r}."
        )
    return tuple(int(d) for d in dims)


def _float_dtype(dtype):
    return backend.standardize_dtype(dtype)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples of a normal distribution ``N(mean, stddev**2)``.

    Args:
        shape: Output shape.
        mean: Mean of the distribution.
        stddev: Standard deviation of the distribution.
        dtype: Float dtype; ``None`` means ``jl.config.floatx()``.
        seed: An int, a :class:`SeedGenerator`, a key or ``None``.

    Example:
        >>> normal((2, 2), seed=0).shape
        (2, 2)
    """
    shape = _shape("normal", shape)
    return jax.random.normal(draw_key(seed), shape=shape, dtype=_float_dtype(dtype)) * stddev + mean


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples of a uniform distribution on ``[minval, maxval)``.

    Args:
        shape: Output shape.
        minval: Lower bound (inclusive).
        maxval: Upper bound (exclusive).
        dtype: Float dtype; ``None`` means ``jl.config.floatx()``.
        seed: An int, a :class:`SeedGenerator`, a key or ``None``.

    Example:
        >>> bool(jnp.all(uniform((4,), 2.0, 3.0, seed=0) >= 2.0))
        True
    """
    shape = _shape("uniform", shape)
    dtype = _float_dtype(dtype)
    if not jnp.issubdtype(dtype, jnp.floating):
        raise ConfigError(
            "jl.random.uniform: `dtype` must be a float dtype (use randint for integers). "
            f"Received: dtype={dtype!r}."
        )
    return jax.random.uniform(draw_key(seed), shape=shape, dtype=dtype,
                              minval=minval, maxval=maxval)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal samples redrawn outside two standard deviations of the mean.

    Args:
        shape: Output shape.
        mean: Mean of the distribution before truncation.
        stddev: Standard deviation of the distribution before truncation.
        dtype: Float dtype; ``None`` means ``jl.config.floatx()``.
        seed: An int, a :class:`SeedGenerator`, a key or ``None``.

    Example:
        >>> bool(jnp.all(jnp.abs(truncated_normal((100,), seed=0)) <= 2.0))
        True
    """
    shape = _shape("truncated_normal", shape)
    sample = jax.random.truncated_normal(draw_key(seed), -2.0, 2.0, shape=shape,
                                         dtype=_float_dtype(dtype))
    return sample * stddev + mean


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers drawn uniformly from ``[minval, maxval)``.

    Args:
        shape: Output shape.
        minval: Lower bound (inclusive).
        maxval: Upper bound (exclusive).
        dtype: Integer dtype.
        seed: An int, a :class:`SeedGenerator`, a key or ``None``.

    Example:
        >>> randint((3,), 0, 1, seed=0).tolist()
        [0, 0, 0]
    """
    shape = _shape("randint", shape)
    dtype = backend.standardize_dtype(dtype)
    if not jnp.issubdtype(dtype, jnp.integer):
        raise ConfigError(
            f"jl.random.randint: `dtype` must be an integer dtype. Received: dtype={dtype!r}."
        )
    return jax.random.randint(draw_key(seed), shape=shape, minval=minval,
                              maxval=maxval, dtype=dtype)


def categorical(logits, num_samples, dtype="int32", seed=None):
    """Class indices drawn from each row of ``logits`` (unnormalized log-probabilities).

    Args:
        logits: ``(batch_size, num_classes)`` array.
        num_samples: Number of draws per row.
        dtype: Integer dtype of the result.
        seed: An int, a :class:`SeedGenerator`, a key or ``None``.

    Returns:
        A ``(batch_size, num_samples)`` array of class indices.

    Example:
        >>> categorical(jnp.array([[0.0, -1e9]]), 3, seed=0).tolist()
        [[0, 0, 0]]
    """
    logits = jnp.asarray(logits)
    if logits.ndim != 2:
        raise ConfigError(
            "jl.random.categorical: `logits` must be a 2-D array of shape (batch_size, "
            f"num_classes). Received: logits.shape={logits.shape}."
        )
    if not _args.is_int(num_samples) or num_samples < 0:
        raise ConfigError(
            "jl.random.categorical: `num_samples` must be a non-negative int. "
            f"Received: num_samples={num_samples!r}."
        )
    shape = (logits.shape[0], int(num_samples))
    sample = jax.random.categorical(draw_key(seed), logits[..., None], shape=shape, axis=1)
    return sample.astype(backend.standardize_dtype(dtype))


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zeroes entries with probability ``rate`` and scales the rest by ``1 / (1 - rate)``.

    Args:
        inputs: Input array.
        rate: Drop probability in ``[0, 1]``; ``1`` gives zeros.
        noise_shape: Shape of the keep mask, broadcast against ``inputs``
            (``None`` entries take the input's size).
        seed: An int, a :class:`SeedGenerator`, a key or ``None``.

    Example:
        >>> dropout(jnp.ones(4), 0.0, seed=0).tolist()
        [1.0, 1.0, 1.0, 1.0]
    """
    inputs = jnp.asarray(inputs)
    if not (_args.is_int(rate) or isinstance(rate, (float, np.floating))) or not 0 <= rate <= 1:
        raise ConfigError(
            f"jl.random.dropout: `rate` must be a float in [0, 1]. Received: rate={rate!r}."
        )
    if rate == 1.0:
        return jnp.zeros_like(inputs)
    if rate == 0.0:
        return inputs
    return reg_ops.dropout(draw_key(seed), inputs, rate, noise_shape)


def shuffle(x, axis=0, seed=None):
    """``x`` with its entries along ``axis`` in a random order.

    Args:
        x: Input array.
        axis: Axis to permute.
        seed: An int, a :class:`SeedGenerator`, a key or ``None``.

    Example:
        >>> sorted(shuffle(jnp.arange(4), seed=0).tolist())
        [0, 1, 2, 3]
    """
    return jax.random.permutation(draw_key(seed), jnp.asarray(x), axis, independent=True)


def gamma(shape, alpha, dtype=None, seed=None):
    """Samples of a Gamma distribution with concentration ``alpha`` and scale 1.

    Args:
        shape: Output shape.
        alpha: Concentration (shape) parameter, broadcast against ``shape``.
        dtype: Float dtype; ``None`` means ``jl.config.floatx()``.
        seed: An int, a :class:`SeedGenerator`, a key or ``None``.

    Example:
        >>> gamma((2,), 2.0, seed=0).shape
        (2,)
    """
    shape = _shape("gamma", shape)
    return jax.random.gamma(draw_key(seed), alpha, shape=shape,
                            dtype=_float_dtype(dtype))


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Number of successes in ``counts`` trials of success probability ``probabilities``.

    Args:
        shape: Output shape.
        counts: Number of trials, broadcast against ``shape``.
        probabilities: Success probability of each trial, broadcast against ``shape``.
        dtype: Float dtype of the counts; ``None`` means ``jl.config.floatx()``.
        seed: An int, a :class:`SeedGenerator`, a key or ``None``.

    Example:
        >>> binomial((2,), 5, 1.0, seed=0).tolist()
        [5.0, 5.0]
    """
    shape = _shape("binomial", shape)
    return jax.random.binomial(draw_key(seed), jnp.asarray(counts),
                               jnp.asarray(probabilities), shape=shape,
                               dtype=_float_dtype(dtype))


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Samples of a Beta distribution with parameters ``alpha`` and ``beta``.

    Args:
        shape: Output shape.
        alpha: First concentration parameter, broadcast against ``shape``.
        beta: Second concentration parameter, broadcast against ``shape``.
        dtype: Float dtype; ``None`` means ``jl.config.floatx()``.
        seed: An int, a :class:`SeedGenerator`, a key or ``None``.

    Example:
        >>> bool(jnp.all((beta((3,), 2.0, 2.0, seed=0) > 0)))
        True
    """
    shape = _shape("beta", shape)
    return jax.random.beta(draw_key(seed), jnp.asarray(alpha), jnp.asarray(beta),
                           shape=shape, dtype=_float_dtype(dtype))


# Keras's names; ``draw_key`` is public for layers that take Keras's ``seed`` argument.
__all__ = ["SeedGenerator", "beta", "binomial", "categorical", "dropout", "gamma", "normal",
           "randint", "shuffle", "truncated_normal", "uniform"]
