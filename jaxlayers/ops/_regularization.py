"""Pure random regularization math: dropout variants and Gaussian noise.

Each function takes an explicit ``jax.random`` key; layers get theirs from
``self.next_key()``.  Rates are static Python floats.

Example:
    >>> import jax, jax.numpy as jnp
    >>> from jaxlayers.ops import _regularization as reg_ops
    >>> y = reg_ops.dropout(jax.random.key(0), jnp.ones((2, 3)), rate=0.5)
    >>> sorted(set(y.ravel().tolist())) in ([0.0, 2.0], [2.0], [0.0])
    True
"""

import math

import jax
import jax.numpy as jnp
from jax import lax

__all__ = [
    "concrete_noise_shape",
    "dropout",
    "gaussian_dropout",
    "gaussian_noise",
    "alpha_dropout",
    "SELU_ALPHA",
    "SELU_SCALE",
]

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def concrete_noise_shape(x_shape, noise_shape):
    """``noise_shape`` with each ``None`` replaced by the input's size on that axis."""
    if noise_shape is None:
        return tuple(x_shape)
    return tuple(x_shape[i] if d is None else int(d) for i, d in enumerate(noise_shape))


def dropout(key, x, rate, noise_shape=None):
    """Zeroes entries with probability ``rate`` and scales the rest by ``1 / (1 - rate)``.

    Args:
        key: A ``jax.random`` key.
        x: Input array.
        rate: Drop probability in ``[0, 1)``.
        noise_shape: Shape of the keep mask, broadcast against ``x``
            (``None`` entries take ``x``'s size), e.g. ``(batch, 1, channels)``
            to drop whole channels.
    """
    if rate <= 0:
        return x
    keep_prob = 1.0 - rate
    shape = concrete_noise_shape(x.shape, noise_shape)
    keep = jax.random.bernoulli(key, p=keep_prob, shape=shape)
    keep = jnp.broadcast_to(keep, x.shape)
    return lax.select(keep, x / jnp.asarray(keep_prob, x.dtype), jnp.zeros_like(x))


def gaussian_dropout(key, x, rate):
    """Multiplies ``x`` by noise drawn from ``N(1, rate / (1 - rate))``."""
    if rate <= 0:
        return x
    stddev = math.sqrt(rate / (1.0 - rate))
    # Real noise: a complex ``x`` keeps its phase, as under Dropout's real mask.
    real_dtype = jnp.finfo(x.dtype).dtype
    noise = 1.0 + stddev * jax.random.normal(key, x.shape, dtype=real_dtype)
    return x * noise


def gaussian_noise(key, x, stddev):
    """Adds noise drawn from ``N(0, stddev**2)``."""
    if stddev <= 0:
        return x
    return x + stddev * jax.random.normal(key, x.shape, dtype=x.dtype)


def alpha_dropout(key, x, rate, noise_shape=None):
    """Dropout that keeps the mean and variance of SELU activations (Klambauer et al., 2017).

    Dropped entries are set to SELU's negative saturation value
    ``-SELU_ALPHA * SELU_SCALE``, then an affine map restores zero mean and unit
    variance for standard-normal inputs.
    """
    if rate <= 0:
        return x
    alpha_p = -SELU_ALPHA * SELU_SCALE
    shape = concrete_noise_shape(x.shape, noise_shape)
    keep = jax.random.uniform(key, shape) >= rate
    keep = jnp.broadcast_to(keep, x.shape).astype(x.dtype)
    a = ((1.0 - rate) * (1.0 + rate * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * rate
    return a * (x * keep + alpha_p * (1.0 - keep)) + b
