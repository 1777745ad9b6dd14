"""Argument checks shared by the public ops: one wording per kind of error.

Every message reads ``"ops.<name>: `arg` must be ... Received: arg=...."``.
Global settings (``epsilon()``, ``image_data_format()``) come from
``ops._settings``, their one home (``jaxlayers.backend`` re-exports them).
"""

import jax.numpy as jnp
import numpy as np

from jaxlayers.errors import ConfigError, ConfigTypeError, ShapeError
from jaxlayers.ops import _settings

_DATA_FORMATS = ("channels_last", "channels_first")


def epsilon(value):
    """``value``, or the global fuzz factor (``1e-7`` unless ``set_epsilon`` changed it)."""
    if value is not None:
        return value
    return _settings.epsilon()


def data_format(op, value):
    """``value`` or the global ``image_data_format()``, checked."""
    if value is None:
        value = _settings.image_data_format()
    return choice(op, "data_format", value, _DATA_FORMATS)


def padding(op, value, allowed=("valid", "same")):
    """Lower-cased ``padding``, checked against ``allowed``."""
    if not isinstance(value, str) or value.lower() not in allowed:
        raise invalid(op, "padding", value, f"one of {allowed}")
    return value.lower()


def is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def int_tuple(op, name, value, n, minimum=1):
    """An int, or ``n`` ints, as a tuple of ``n`` ints ``>= minimum``."""
    items = (value,) * n if is_int(value) else value
    try:
        items = tuple(items)
    except TypeError:
        items = None
    if (items is None or len(items) != n or not all(is_int(v) for v in items)
            or any(v < minimum for v in items)):
        kind = "positive" if minimum == 1 else f">= {minimum}"
        raise ConfigError(f"ops.{op}: `{name}` must be an int or a tuple of {n} ints, each "
                          f"{kind}. Received: {name}={value!r}.")
    return tuple(int(v) for v in items)


def positive_int(op, name, value):
    """``value`` as an int, or a ``ConfigError`` unless it is an int ``>= 1``."""
    if not is_int(value) or value < 1:
        raise ConfigError(f"ops.{op}: `{name}` must be a positive int. "
                          f"Received: {name}={value!r}.")
    return int(value)


def rank(op, name, x, allowed):
    """Raises a ``ShapeError`` unless ``x.ndim`` is in ``allowed``."""
    if x.ndim not in allowed:
        ranks = " or ".join(str(r) for r in allowed)
        raise ShapeError(f"ops.{op}: `{name}` must have rank {ranks}. "
                         f"Received: {name}.shape={tuple(x.shape)}.")


def same_shape(op, a_name, a, b_name, b):
    """Raises a ``ShapeError`` unless two arrays have the same shape."""
    if tuple(a.shape) != tuple(b.shape):
        raise ShapeError(f"ops.{op}: `{a_name}` and `{b_name}` must have the same shape. "
                         f"Received: {a_name}.shape={tuple(a.shape)}, "
                         f"{b_name}.shape={tuple(b.shape)}.")


def array(x, dtype=None):
    """``x`` as a JAX array (NumPy arrays, lists and scalars welcome)."""
    return jnp.asarray(x, dtype=dtype)


def choice(op, name, value, allowed):
    """``value`` unless it is not one of ``allowed``."""
    if value not in allowed:
        raise invalid(op, name, value, f"one of {allowed}")
    return value


def invalid(op, name, value, expected):
    """A ``ConfigError`` for an argument with a bad value."""
    return ConfigError(f"ops.{op}: `{name}` must be {expected}. Received: {name}={value!r}.")


def type_error(op, name, value, expected):
    """A ``ConfigTypeError`` for an argument of the wrong type."""
    return ConfigTypeError(f"ops.{op}: `{name}` must be {expected}. "
                           f"Received: {name}={value!r}.")


# Python types name dtypes as on Keras's JAX backend (``int`` is int32, ``float`` float32).
PYTHON_DTYPES = {bool: "bool", int: "int32", "int": "int32", float: "float32",
                 complex: "complex64"}


def dtype_name(op, dtype):
    """The Keras name (``'float32'``, ``'bfloat16'``, ...) of a dtype given any usual way.

    ``None`` is JAX's default float dtype.
    """
    if dtype is None:
        return jnp.dtype(jnp.result_type(float)).name
    if isinstance(dtype, (type, str)) and dtype in PYTHON_DTYPES:
        return PYTHON_DTYPES[dtype]
    try:
        return jnp.dtype(dtype).name
    except TypeError:
        raise ConfigError(
            f"ops.{op}: `dtype` must be a dtype name such as 'float32', or a NumPy/JAX dtype. "
            f"Received: dtype={dtype!r}.") from None


def _is_axis_item(value, nested):
    if is_int(value):
        return True
    return nested and type(value) in (list, tuple) and all(is_int(v) for v in value)


def axis(op, name, value, nested=False):
    """Raises a ``ConfigTypeError`` unless ``value`` is None, an int or a list/tuple of ints.

    ``nested`` also allows lists of int lists (``tensordot``'s ``axes=((0,), (1,))``).
    """
    if value is None or is_int(value):
        return
    if type(value) in (list, tuple) and all(_is_axis_item(v, nested) for v in value):
        return
    raise type_error(op, name, value, "an int, a tuple of ints or None")


def axis_in_range(op, name, value, ndim):
    """Raises a ``ShapeError`` unless every axis in ``value`` fits an ``ndim``-rank ``x``."""
    for item in (value,) if is_int(value) else (value or ()):
        if not -ndim <= item < ndim:
            raise ShapeError(f"ops.{op}: `{name}` must be in [-{ndim}, {ndim}) for `x` of rank "
                             f"{ndim}. Received: {name}={value!r}.")


# Ops whose ``axis`` counts the axes of their result, not of ``x``.
AXIS_OF_RESULT = frozenset({"expand_dims", "one_hot", "multi_hot"})

# The arguments every public op checks the same way, before any tracing: name -> check.
COMMON = {
    "axis": axis, "axes": lambda op, name, value: axis(op, name, value, nested=True),
    "axis1": axis, "axis2": axis, "axisa": axis, "axisb": axis, "axisc": axis,
    "dtype": lambda op, name, value: value is None or dtype_name(op, value),
}
