"""Activation functions with the names, arguments and numerics of ``keras.activations``.

Every function is pure ``jax.numpy`` / ``jax.nn`` code, so it works under
``jit``, ``vmap`` and ``grad``.  Scalar arguments such as ``alpha`` or ``axis``
are static Python values.  :func:`get` turns what a layer receives as its
``activation=`` argument (``None``, a name, a callable or a config dict) into a
function; :func:`serialize` gives a built-in's name back, as Keras does.

Example:
    >>> import jax.numpy as jnp
    >>> from jaxlayers import activations
    >>> activations.get("relu")(jnp.array([-1.0, 2.0]))
    Array([0., 2.], dtype=float32)
    >>> activations.serialize(activations.swish)
    'silu'
"""

import inspect

import jax
import jax.numpy as jnp

from jaxlayers.core import serialization
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigTypeError, SerializationError

_CATEGORY = "activations"


def _register(fn):
    return register_builtin(_CATEGORY)(fn)


@_register
def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit with an optional slope, ceiling and threshold.

    With the defaults this is ``max(x, 0)``.  Otherwise values above
    ``threshold`` pass through (clipped to ``[0, max_value]`` when ``max_value``
    is set) and values at or below it become ``negative_slope * (x - threshold)``.

    Args:
        x: Input array.
        negative_slope: Slope applied below the threshold.
        max_value: Optional upper bound of the output.
        threshold: Values at or below this are treated as "negative".

    Example:
        >>> relu(jnp.array([-2.0, 1.0, 9.0]), negative_slope=0.5, max_value=6.0)
        Array([-1.,  1.,  6.], dtype=float32)
    """
    x = jnp.asarray(x)
    if negative_slope != 0.0 and max_value is None and threshold == 0:
        return jax.nn.leaky_relu(x, negative_slope=negative_slope)
    if threshold != 0:
        out = jnp.where(x > jnp.asarray(threshold, x.dtype), x, 0)
    else:
        out = jax.nn.relu(x)
    if max_value is not None:
        out = jnp.clip(out, jnp.asarray(0, x.dtype), jnp.asarray(max_value, x.dtype))
    if negative_slope != 0.0:
        out = out - negative_slope * jax.nn.relu(threshold - x)
    return out


@_register
def leaky_relu(x, negative_slope=0.2):
    """``x`` where positive, ``negative_slope * x`` elsewhere.

    Example:
        >>> leaky_relu(jnp.array([-1.0, 3.0]))
        Array([-0.2,  3. ], dtype=float32)
    """
    return jax.nn.leaky_relu(jnp.asarray(x), negative_slope=negative_slope)


@_register
def relu6(x):
    """``min(max(x, 0), 6)``."""
    return jax.nn.relu6(jnp.asarray(x))


@_register
def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x))`` along ``axis`` (computed stably).

    Example:
        >>> softmax(jnp.array([0.0, 0.0]))
        Array([0.5, 0.5], dtype=float32)
    """
    return jax.nn.softmax(jnp.asarray(x), axis=axis)


@_register
def log_softmax(x, axis=-1):
    """``log(softmax(x))`` along ``axis``, computed without forming the softmax."""
    return jax.nn.log_softmax(jnp.asarray(x), axis=axis)


@_register
def elu(x, alpha=1.0):
    """Exponential linear unit: ``x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``."""
    return jax.nn.elu(jnp.asarray(x), alpha=alpha)


@_register
def selu(x):
    """Scaled ELU (Klambauer et al., 2017) with its fixed ``alpha`` and ``scale``."""
    return jax.nn.selu(jnp.asarray(x))


@_register
def celu(x, alpha=1.0):
    """Continuously differentiable ELU: ``max(x, 0) + min(0, alpha * (exp(x / alpha) - 1))``."""
    return jax.nn.celu(jnp.asarray(x), alpha=alpha)


@_register
def softplus(x):
    """``log(exp(x) + 1)``, computed stably."""
    return jax.nn.softplus(jnp.asarray(x))


@_register
def softsign(x):
    """``x / (abs(x) + 1)``."""
    return jax.nn.soft_sign(jnp.asarray(x))


@_register
def squareplus(x, b=4):
    """Smooth ReLU ``(x + sqrt(x**2 + b)) / 2`` (So, 2021)."""
    return jax.nn.squareplus(jnp.asarray(x), b=b)


@_register
def sparse_plus(x):
    """Piecewise softplus: ``0`` below -1, ``(x + 1)**2 / 4`` on [-1, 1], ``x`` above 1."""
    return jax.nn.sparse_plus(jnp.asarray(x))


@_register
def soft_shrink(x, threshold=0.5):
    """Shrinks ``x`` toward zero by ``threshold``; values within it become 0."""
    x = jnp.asarray(x)
    return jnp.where(x > threshold, x - threshold, jnp.where(x < -threshold, x + threshold, 0.0))


@_register
def hard_shrink(x, threshold=0.5):
    """``x`` where ``abs(x) > threshold``, else 0."""
    x = jnp.asarray(x)
    return jnp.where(jnp.abs(x) > threshold, x, 0.0)


@_register
def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else ``default_value``.

    Example:
        >>> threshold(jnp.array([0.5, 2.0]), 1.0, -1.0)
        Array([-1.,  2.], dtype=float32)
    """
    x = jnp.asarray(x)
    return jnp.where(x > threshold, x, default_value)


@_register
def silu(x):
    """Sigmoid linear unit (a.k.a. swish): ``x * sigmoid(x)``."""
    return jax.nn.silu(jnp.asarray(x))


@_register
def hard_silu(x):
    """``x * hard_sigmoid(x)`` (a.k.a. hard swish, Howard et al., 2019)."""
    return jax.nn.hard_silu(jnp.asarray(x))


@_register
def gelu(x, approximate=False):
    """Gaussian error linear unit ``x * Phi(x)`` (Hendrycks & Gimpel, 2016).

    Args:
        x: Input array.
        approximate: Use the tanh approximation instead of the exact ``erf`` form.
    """
    return jax.nn.gelu(jnp.asarray(x), approximate=approximate)


@_register
def glu(x, axis=-1):
    """Gated linear unit: splits ``x`` in two along ``axis`` and returns ``a * sigmoid(b)``."""
    return jax.nn.glu(jnp.asarray(x), axis=axis)


@_register
def tanh(x):
    """Hyperbolic tangent."""
    return jnp.tanh(jnp.asarray(x))


@_register
def tanh_shrink(x):
    """``x - tanh(x)``."""
    x = jnp.asarray(x)
    return x - jnp.tanh(x)


@_register
def hard_tanh(x):
    """``clip(x, -1, 1)``."""
    return jax.nn.hard_tanh(jnp.asarray(x))


@_register
def sigmoid(x):
    """Logistic sigmoid ``1 / (1 + exp(-x))``."""
    return jax.nn.sigmoid(jnp.asarray(x))


@_register
def hard_sigmoid(x):
    """Piecewise linear sigmoid ``relu6(x + 3) / 6``.

    Example:
        >>> hard_sigmoid(jnp.array([-4.0, 0.0, 4.0]))
        Array([0. , 0.5, 1. ], dtype=float32)
    """
    return jax.nn.hard_sigmoid(jnp.asarray(x))


@_register
def sparse_sigmoid(x):
    """Piecewise linear sigmoid: ``0`` below -1, ``(x + 1) / 2`` on [-1, 1], ``1`` above."""
    return jax.nn.sparse_sigmoid(jnp.asarray(x))


@_register
def log_sigmoid(x):
    """``log(sigmoid(x))``, computed stably."""
    return jax.nn.log_sigmoid(jnp.asarray(x))


@_register
def exponential(x):
    """``exp(x)``."""
    return jnp.exp(jnp.asarray(x))


@_register
def mish(x):
    """``x * tanh(softplus(x))`` (Misra, 2019)."""
    x = jnp.asarray(x)
    return x * jnp.tanh(jax.nn.softplus(x))


@_register
def linear(x):
    """The identity: returns ``x`` unchanged."""
    return x


@_register
def sparsemax(x, axis=-1):
    """Euclidean projection of ``x`` onto the probability simplex along ``axis``.

    Like softmax the output is non-negative and sums to one, but it can be
    exactly zero (Martins & Astudillo, 2016).

    Example:
        >>> sparsemax(jnp.array([1.0, 0.5, -2.0]))
        Array([0.75, 0.25, 0.  ], dtype=float32)
    """
    x = jnp.asarray(x)
    z = jnp.moveaxis(x, axis, -1)
    z_sorted = -jnp.sort(-z, axis=-1)
    cumsum = jnp.cumsum(z_sorted, axis=-1)
    ranks = jnp.arange(1, z.shape[-1] + 1, dtype=z.dtype)
    # The support is a prefix of the sorted values; its size k picks the k-th cumsum.
    support = 1 + ranks * z_sorted > cumsum
    k = jnp.sum(support, axis=-1, keepdims=True)
    cumsum_k = jnp.take_along_axis(cumsum, k - 1, axis=-1)
    tau = (cumsum_k - 1) / k.astype(z.dtype)
    return jnp.moveaxis(jnp.maximum(z - tau, 0), -1, axis)


swish = silu
hard_swish = hard_silu
register_builtin(_CATEGORY, name="swish")(silu)
register_builtin(_CATEGORY, name="hard_swish")(hard_silu)


def _builtin_name(fn):
    """The registry name of a built-in activation function, else None."""
    name = getattr(fn, "__name__", None)
    if name is not None and serialization.builtins(_CATEGORY).get(name) is fn:
        return name
    return None


def serialize(activation):
    """The config of ``activation``: a name for built-ins, a dict otherwise.

    Built-in functions serialize to their name (aliases to the canonical name:
    ``swish`` gives ``'silu'``).  A function registered with
    ``jl.saving.register_serializable`` gives
    ``{"class_name": "function", "config": <registered name>, ...}``; an object
    with ``get_config`` gives the usual class config.

    Example:
        >>> serialize(relu)
        'relu'
    """
    name = _builtin_name(activation)
    if name is not None:
        return name
    if inspect.isfunction(activation):
        registered = serialization.get_registered_name(activation)
        if serialization.get_registered_object(registered) is not activation:
            raise SerializationError(
                f"Cannot serialize activation {activation!r}: it is neither a built-in "
                "activation nor registered. Decorate it with "
                "@jl.saving.register_serializable() or pass a built-in name. "
                f"Received: activation={activation!r}."
            )
        return {
            "module": "builtins",
            "class_name": "function",
            "config": registered,
            "registered_name": registered,
        }
    return serialization.serialize_object(activation, "jaxlayers.activations")


def deserialize(config, custom_objects=None):
    """The activation function named or described by ``config``.

    Args:
        config: A name (``"relu"``), or a dict produced by :func:`serialize`.
        custom_objects: Optional ``{name: function}`` for user activations.

    Example:
        >>> deserialize("swish") is silu
        True
    """
    if isinstance(config, dict) and config.get("class_name") == "function":
        name = config.get("registered_name") or config.get("config")
        return serialization.deserialize_object(name, _CATEGORY, custom_objects, "activation")
    return serialization.deserialize_object(config, _CATEGORY, custom_objects, "activation")


def get(identifier):
    """Resolves a layer's ``activation=`` argument to a function.

    ``None`` gives :func:`linear`, a string or dict is deserialized, and a
    callable is returned as is.

    Example:
        >>> get(None) is linear, get("gelu") is gelu
        (True, True)
    """
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        obj = deserialize(identifier)
    else:
        obj = identifier
    if inspect.isclass(obj):
        obj = obj()
    if callable(obj):
        return obj
    raise ConfigTypeError(
        "Could not interpret activation identifier: expected None, a name, a config "
        f"dict or a callable. Received: identifier={identifier!r}."
    )


__all__ = [
    "celu", "elu", "exponential", "gelu", "glu", "hard_shrink", "hard_sigmoid",
    "hard_silu", "hard_swish", "hard_tanh", "leaky_relu", "linear", "log_sigmoid",
    "log_softmax", "mish", "relu", "relu6", "selu", "sigmoid", "silu", "soft_shrink",
    "softmax", "softplus", "softsign", "sparse_plus", "sparse_sigmoid", "sparsemax",
    "squareplus", "swish", "tanh", "tanh_shrink", "threshold",
    "get", "serialize", "deserialize",
]
