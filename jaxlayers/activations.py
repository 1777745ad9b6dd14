"""Activation functions with the names, arguments and numerics of ``keras.activations``.

Most are the ``jl.ops.nn`` functions themselves; ``relu`` (with Keras's slope,
ceiling and threshold), ``gelu`` (exact by default), ``tanh``, ``exponential``,
``mish`` and ``linear`` are defined here over them.  All work under ``jit``,
``vmap`` and ``grad``.  Scalar arguments such as ``alpha`` or ``axis``
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

import jax.numpy as jnp

from jaxlayers.core import serialization
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigTypeError, SerializationError
from jaxlayers.ops import nn

_CATEGORY = "activations"


def _register(fn):
    return register_builtin(_CATEGORY)(fn)


@_register
def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit with an optional slope, ceiling and threshold.

    With the defaults this is ``max(x, 0)`` (``jl.ops.nn.relu``).  Otherwise
    values above ``threshold`` pass through (clipped to ``[0, max_value]`` when
    ``max_value`` is set) and values at or below it become
    ``negative_slope * (x - threshold)``.

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
        return nn.leaky_relu(x, negative_slope=negative_slope)
    if threshold != 0:
        out = jnp.where(x > jnp.asarray(threshold, x.dtype), x, 0)
    else:
        out = nn.relu(x)
    if max_value is not None:
        out = jnp.clip(out, jnp.asarray(0, x.dtype), jnp.asarray(max_value, x.dtype))
    if negative_slope != 0.0:
        out = out - negative_slope * nn.relu(threshold - x)
    return out


@_register
def gelu(x, approximate=False):
    """Gaussian error linear unit ``x * Phi(x)`` (Hendrycks & Gimpel, 2016).

    Unlike ``jl.ops.nn.gelu`` (and as in ``keras.activations``), the exact
    ``erf`` form is the default.

    Args:
        x: Input array.
        approximate: Use the tanh approximation instead of the exact ``erf`` form.

    Example:
        >>> np.asarray(jl.activations.gelu(np.array([-2.0, 0.0, 2.0]))).round(3)
        array([-0.046,  0.   ,  1.954], dtype=float32)
    """
    return nn.gelu(x, approximate=approximate)


@_register
def tanh(x):
    """Hyperbolic tangent.

    Args:
        x: Array of any shape.

    Example:
        >>> np.asarray(jl.activations.tanh(np.array([0.0]))).round(3)
        array([0.], dtype=float32)
    """
    return jnp.tanh(jnp.asarray(x))


@_register
def exponential(x):
    """``exp(x)``.

    Args:
        x: Array of any shape.

    Example:
        >>> np.asarray(jl.activations.exponential(np.array([0.0, 1.0]))).round(3)
        array([1.   , 2.718], dtype=float32)
    """
    return jnp.exp(jnp.asarray(x))


@_register
def mish(x):
    """``x * tanh(softplus(x))`` (Misra, 2019).

    Args:
        x: Array of any shape.

    Example:
        >>> np.asarray(jl.activations.mish(np.array([-2.0, 0.0, 2.0]))).round(3)
        array([-0.253,  0.   ,  1.944], dtype=float32)
    """
    x = jnp.asarray(x)
    return x * jnp.tanh(nn.softplus(x))


@_register
def linear(x):
    """The identity: returns ``x`` unchanged.

    Args:
        x: Array of any shape.

    Example:
        >>> np.asarray(jl.activations.linear(np.array([-2.0, 0.0, 2.0]))).round(3)
        array([-2.,  0.,  2.])
    """
    return x


# The other activations are the ``jl.ops.nn`` functions themselves (same names,
# arguments and defaults as ``keras.activations``).
(celu, elu, glu, hard_shrink, hard_sigmoid, hard_silu, hard_tanh, leaky_relu, log_sigmoid,
 log_softmax, relu6, selu, sigmoid, silu, soft_shrink, softmax, softplus, softsign,
 sparse_plus, sparse_sigmoid, sparsemax, squareplus, tanh_shrink, threshold) = (
    _register(fn) for fn in (
        nn.celu, nn.elu, nn.glu, nn.hard_shrink, nn.hard_sigmoid, nn.hard_silu, nn.hard_tanh,
        nn.leaky_relu, nn.log_sigmoid, nn.log_softmax, nn.relu6, nn.selu, nn.sigmoid,
        nn.silu, nn.soft_shrink, nn.softmax, nn.softplus, nn.softsign, nn.sparse_plus,
        nn.sparse_sigmoid, nn.sparsemax, nn.squareplus, nn.tanh_shrink, nn.threshold))
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

    Args:
        activation: A built-in activation function, a registered function, or an object with
            ``get_config``.

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

    Args:
        identifier: ``None``, a name (``'relu'``), a config dict, or a callable.

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
