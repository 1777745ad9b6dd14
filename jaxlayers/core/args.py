"""Argument checks shared by layers, metrics, schedules and utils: one wording per kind.

Each helper raises one ``ConfigError`` (``ConfigTypeError`` for a bool given as
something else) naming the layer (``who`` is a string like ``"Conv2D 'conv2d'"``,
see :func:`owner`), the argument, what was expected and what was received, and
returns the value in its canonical Python type.  Numbers are Python or NumPy
ints/floats, never bools, strings or NaN.
"""

import codecs
import math

import jax.numpy as jnp
import numpy as np

from jaxlayers import backend
from jaxlayers.errors import ConfigError, ConfigTypeError, DTypeError


def owner(layer):
    """``"Conv2D 'conv2d'"``: how error messages name a layer.

    Args:
        layer: Any object with a ``name`` attribute.

    Example:
        >>> owner(jl.layers.Dense(2, name='head'))
        "Dense 'head'"
    """
    return f"{type(layer).__name__} '{layer.name}'"


def is_int(value):
    """A Python or NumPy int, never a bool.

    Args:
        value: The value to check.

    Example:
        >>> is_int(3), is_int(np.int8(3)), is_int(True), is_int(3.0)
        (True, True, False, False)
    """
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_))


def _is_finite_number(value):
    return _is_number(value) and math.isfinite(float(value))


def _checked(who, name, value, ok, expected, cast=float):
    """``cast(value)`` if ``ok``, else the one ``ConfigError`` wording of every check."""
    if not ok:
        raise ConfigError(f"{who}: `{name}` must be {expected}. Received: {name}={value!r}.")
    return cast(value)


def positive_int(who, name, value):
    """``value`` as an int, or a ``ConfigError`` if it is not a positive int.

    Args:
        who: How the error message names the owner (``"Dense 'dense'"``, see :func:`owner`).
        name: The argument's name, as the message shows it.
        value: The value to check.

    Example:
        >>> positive_int("Dense 'd'", 'units', np.int64(4))
        4
        >>> try:
        ...     positive_int("Dense 'd'", 'units', 0)
        ... except jl.errors.ConfigError as e:
        ...     print(e)
        Dense 'd': `units` must be a positive int. Received: units=0.
    """
    return _checked(who, name, value, is_int(value) and value > 0, "a positive int", int)


def positive_int_or_none(who, name, value):
    """``None``, or ``value`` as an int if it is a positive int.

    Args:
        who: How the error message names the owner (``"Dense 'dense'"``, see :func:`owner`).
        name: The argument's name, as the message shows it.
        value: The value to check.

    Example:
        >>> print(positive_int_or_none("Conv1D 'c'", 'groups', None))
        None
        >>> positive_int_or_none("Conv1D 'c'", 'groups', 2)
        2
    """
    if value is None:
        return None
    return _checked(who, name, value, is_int(value) and value > 0, "a positive int or None",
                    int)


def int_tuple(who, name, value, n, allow_zero=False):
    """``(value,) * n`` for an int, else a tuple of ``n`` ints; all ``> 0`` (``>= 0``).

    Args:
        who: How the error message names the owner (``"Dense 'dense'"``, see :func:`owner`).
        name: The argument's name, as the message shows it.
        value: The value to check.
        n: The tuple's length (the layer's rank).
        allow_zero: Whether 0 is allowed (``>= 0`` instead of ``> 0``).

    Example:
        >>> int_tuple("Conv2D 'c'", 'strides', 2, 2)
        (2, 2)
        >>> int_tuple("Conv2D 'c'", 'strides', [1, 2], 2)
        (1, 2)
    """
    if is_int(value):
        values = (int(value),) * n
    else:
        try:
            values = tuple(value)
        except TypeError:
            values = None
        if values is None or len(values) != n or not all(is_int(v) for v in values):
            raise ConfigError(
                f"{who}: `{name}` must be an int or a tuple of {n} ints. "
                f"Received: {name}={value!r}."
            )
        values = tuple(int(v) for v in values)
    low = 0 if allow_zero else 1
    if any(v < low for v in values):
        bound = "non-negative" if allow_zero else "positive"
        raise ConfigError(
            f"{who}: every entry of `{name}` must be {bound}. Received: {name}={value!r}."
        )
    return values


def axes(who, name, value):
    """An axis: an int, or a non-empty list of ints (a tuple becomes a list).

    Args:
        who: How the error message names the owner (``"Dense 'dense'"``, see :func:`owner`).
        name: The argument's name, as the message shows it.
        value: The value to check.

    Example:
        >>> axes("LayerNormalization 'ln'", 'axis', -1)
        -1
        >>> axes("LayerNormalization 'ln'", 'axis', (1, 2))
        [1, 2]
    """
    if isinstance(value, (list, tuple)) and value and all(is_int(a) for a in value):
        return [int(a) for a in value]
    if not is_int(value):
        raise ConfigTypeError(
            f"{who}: `{name}` must be an int or a non-empty list of ints. "
            f"Received: {name}={value!r}."
        )
    return int(value)


def sizes(who, name, value):
    """A shape: a positive int or a tuple of positive ints and ``None`` (unknown) entries.

    Args:
        who: How the error message names the owner (``"Dense 'dense'"``, see :func:`owner`).
        name: The argument's name, as the message shows it.
        value: The value to check.

    Example:
        >>> sizes("Reshape 'r'", 'target_shape', (2, None))
        (2, None)
    """
    entries = (value,) if is_int(value) else value
    if isinstance(entries, (list, tuple)) and all(
            e is None or (is_int(e) and e > 0) for e in entries):
        return tuple(None if e is None else int(e) for e in entries)
    raise ConfigError(
        f"{who}: `{name}` must be a positive int or a tuple of positive ints (None for a "
        f"size taken from the input). Received: {name}={value!r}."
    )


def pair_tuples(who, name, value, n):
    """Per-axis ``(before, after)`` pairs: from an int, ``n`` ints or ``n`` pairs.

    Args:
        who: How the error message names the owner (``"Dense 'dense'"``, see :func:`owner`).
        name: The argument's name, as the message shows it.
        value: The value to check.
        n: The number of axes.

    Example:
        >>> pair_tuples("ZeroPadding2D 'z'", 'padding', 1, 2)
        ((1, 1), (1, 1))
        >>> pair_tuples("ZeroPadding2D 'z'", 'padding', ((1, 0), (0, 2)), 2)
        ((1, 0), (0, 2))
    """
    if is_int(value):
        return tuple(int_tuple(who, name, value, 2, allow_zero=True) for _ in range(n))
    try:
        entries = tuple(value)
    except TypeError:
        entries = ()
    if len(entries) != n:
        raise ConfigError(
            f"{who}: `{name}` must be an int, a tuple of {n} ints or a tuple of {n} "
            f"(before, after) pairs. Received: {name}={value!r}."
        )
    return tuple(int_tuple(who, name, e, 2, allow_zero=True) for e in entries)


def padding_mode(who, value, allowed=("valid", "same")):
    """Lower-cased ``padding`` string, checked against ``allowed``.

    Args:
        who: How the error message names the owner (``"Dense 'dense'"``, see :func:`owner`).
        value: The ``padding`` string.
        allowed: The accepted lower-case modes.

    Example:
        >>> padding_mode("Conv2D 'c'", 'SAME')
        'same'
    """
    if not isinstance(value, str) or value.lower() not in allowed:
        raise ConfigError(
            f"{who}: `padding` must be one of {allowed}. Received: padding={value!r}."
        )
    return value.lower()


def data_format(who, value):
    """``value`` or the global ``image_data_format()``, checked.

    Args:
        who: How the error message names the owner (``"Dense 'dense'"``, see :func:`owner`).
        value: ``'channels_last'``, ``'channels_first'`` or ``None``.

    Example:
        >>> data_format("Conv2D 'c'", None), data_format("Conv2D 'c'", 'channels_first')
        ('channels_last', 'channels_first')
    """
    return backend.standardize_data_format(value, who)


def boolean(who, name, value):
    """``value`` as a bool; a ``ConfigTypeError`` for anything but a bool (``'False'`` too).

    Args:
        who: How the error message names the owner (``"Dense 'dense'"``, see :func:`owner`).
        name: The argument's name, as the message shows it.
        value: The value to check.

    Example:
        >>> boolean("Dense 'd'", 'use_bias', np.bool_(False))
        False
        >>> try:
        ...     boolean("Dense 'd'", 'use_bias', 1)
        ... except jl.errors.ConfigTypeError as e:
        ...     print(e)
        Dense 'd': `use_bias` must be a bool. Received: use_bias=1.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise ConfigTypeError(f"{who}: `{name}` must be a bool. Received: {name}={value!r}.")
    return bool(value)


def string(who, name, value):
    """``value`` if it is a ``str``; a ``ConfigTypeError`` for anything else."""
    if not isinstance(value, str):
        raise ConfigTypeError(f"{who}: `{name}` must be a str. Received: {name}={value!r}.")
    return value


def _short_repr(value, limit=80):
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def numeric_array(who, name, value):
    """``value`` unchanged if it is ``None`` or array-like with a bool or number dtype.

    Text or objects (``'abc'``, ``np.array(['a'])``) get a ``DTypeError``
    here, before JAX sees them inside a traced function. Tracers and arrays
    are judged by their dtype alone, so the check costs nothing in a trace.
    """
    if value is None:
        return value
    dtype = getattr(value, "dtype", None)
    if dtype is None:
        try:
            dtype = np.asarray(value).dtype
        except (TypeError, ValueError):  # ragged nests: JAX's own error says more
            return value
    # jnp, not np: NumPy does not count bfloat16 or float8 as numbers.
    if not (jnp.issubdtype(dtype, jnp.number) or jnp.issubdtype(dtype, jnp.bool_)):
        raise DTypeError(
            f"{who}: `{name}` must be a numeric array (bool, int, float or complex). "
            f"Received: {name}={_short_repr(value)} (dtype {dtype})."
        )
    return value


def optional(check, who, name, value, *args):
    """``None``, or ``value`` checked by ``check(who, name, value, *args)``.

    Args:
        check: The check run on a value that is not ``None``.
        who: How the error message names the owner (``"Dense 'dense'"``, see :func:`owner`).
        name: The argument's name, as the message shows it.
        value: The value to check.
        *args: Extra arguments of ``check``.

    Example:
        >>> print(optional(rate, "Dropout 'd'", 'rate', None))
        None
        >>> optional(rate, "Dropout 'd'", 'rate', 0.5)
        0.5
    """
    return None if value is None else check(who, name, value, *args)


def non_negative_int(who, name, value):
    """``value`` as an int, or a ``ConfigError`` if it is not an int ``>= 0``.

    Args:
        who: How the error message names the owner (``"Dense 'dense'"``, see :func:`owner`).
        name: The argument's name, as the message shows it.
        value: The value to check.

    Example:
        >>> non_negative_int("Cropping1D 'c'", 'cropping', 0)
        0
        >>> try:
        ...     non_negative_int("Cropping1D 'c'", 'cropping', -1)
        ... except jl.errors.ConfigError as e:
        ...     print(e)
        Cropping1D 'c': `cropping` must be a non-negative int. Received: cropping=-1.
    """
    return _checked(who, name, value, is_int(value) and value >= 0, "a non-negative int", int)


def rate(who, name, value):
    """A drop rate: a float in ``[0, 1)``.

    Args:
        who: How the error message names the owner (``"Dense 'dense'"``, see :func:`owner`).
        name: The argument's name, as the message shows it.
        value: The value to check.

    Example:
        >>> rate("Dropout 'd'", 'rate', 0.25)
        0.25
        >>> try:
        ...     rate("Dropout 'd'", 'rate', 1.0)
        ... except jl.errors.ConfigError as e:
        ...     print(e)
        Dropout 'd': `rate` must be a float in [0, 1) ... Received: rate=1.0.
    """
    return _checked(who, name, value, _is_number(value) and 0 <= value < 1,
                    "a float in [0, 1) (the fraction of values dropped)")


def unit_interval(who, name, value):
    """A float in ``[0, 1]`` (momentum, factors).

    Args:
        who: How the error message names the owner (``"Dense 'dense'"``, see :func:`owner`).
        name: The argument's name, as the message shows it.
        value: The value to check.

    Example:
        >>> unit_interval("BatchNormalization 'bn'", 'momentum', 1)
        1.0
    """
    return _checked(who, name, value, _is_number(value) and 0 <= value <= 1,
                    "a float in [0, 1]")


def non_negative_float(who, name, value):
    """A finite float ``>= 0`` (epsilon, a standard deviation, a penalty factor).

    Args:
        who: How the error message names the owner (``"Dense 'dense'"``, see :func:`owner`).
        name: The argument's name, as the message shows it.
        value: The value to check.

    Example:
        >>> non_negative_float("GaussianNoise 'g'", 'stddev', 0)
        0.0
    """
    return _checked(who, name, value, _is_finite_number(value) and value >= 0,
                    "a finite non-negative float")


def positive_float(who, name, value):
    """A finite float ``> 0`` (a scale, a cap).

    Args:
        who: How the error message names the owner (``"Dense 'dense'"``, see :func:`owner`).
        name: The argument's name, as the message shows it.
        value: The value to check.

    Example:
        >>> positive_float("ReLU 'r'", 'max_value', 6)
        6.0
        >>> try:
        ...     positive_float("ReLU 'r'", 'max_value', float('inf'))
        ... except jl.errors.ConfigError as e:
        ...     print(e)
        ReLU 'r': `max_value` must be a finite positive float. Received: max_value=inf.
    """
    return _checked(who, name, value, _is_finite_number(value) and value > 0,
                    "a finite positive float")


def finite_float(who, name, value):
    """Any finite float (not NaN or infinite).

    Args:
        who: How the error message names the owner (``"Dense 'dense'"``, see :func:`owner`).
        name: The argument's name, as the message shows it.
        value: The value to check.

    Example:
        >>> finite_float("Rescaling 'r'", 'offset', -1)
        -1.0
    """
    return _checked(who, name, value, _is_finite_number(value), "a finite float")


def finite_floats(who, name, value, non_negative=False):
    """A finite float or an array-like of them (``>= 0`` if ``non_negative``), as float64.

    Args:
        who: How the error message names the owner (``"Dense 'dense'"``, see :func:`owner`).
        name: The argument's name, as the message shows it.
        value: The value to check.
        non_negative: Whether negative entries are refused.

    Example:
        >>> finite_floats("Normalization 'n'", 'variance', [1.0, 4.0], non_negative=True)
        array([1., 4.])
    """
    try:
        array = np.asarray(value, np.float64)
        bad = np.asarray(value).dtype.kind not in "iuf" or not np.all(np.isfinite(array)) \
            or (non_negative and np.any(array < 0))
    except (TypeError, ValueError):
        bad = True
    if bad:
        kind = "finite non-negative float" if non_negative else "finite float"
        raise ConfigError(
            f"{who}: `{name}` must be a {kind} or a list of them. Received: {name}={value!r}."
        )
    return array


def float_list(who, name, value, expected, length=None, increasing=False, shown=None):
    """``value`` as a list of finite floats: 1-D, ``length`` long, sorted if ``increasing``.

    ``expected`` completes "must be ..." for a wrong rank, length or order (the
    numbers themselves are checked by :func:`finite_floats`); ``shown`` replaces
    the received value in that message (a long window is named by its shape).

    Args:
        who: How the error message names the owner (``"Dense 'dense'"``, see :func:`owner`).
        name: The argument's name, as the message shows it.
        value: The value to check.
        expected: What the message says was expected.
        length: Required length, or ``None`` for any.
        increasing: Whether the values must increase strictly.
        shown: What the message shows as received; ``None`` means ``value``.

    Example:
        >>> float_list("Discretization 'd'", 'bin_boundaries', (0, 1.5),
        ...            'a list of increasing floats', increasing=True)
        [0.0, 1.5]
    """
    array = finite_floats(who, name, value)
    if array.ndim != 1 or (length is not None and array.shape[0] != length) \
            or (increasing and np.any(np.diff(array) < 0)):
        received = f"{name}={value!r}" if shown is None else shown(array)
        raise ConfigError(f"{who}: `{name}` must be {expected}. Received: {received}.")
    return array.tolist()


def one_of(who, name, value, allowed):
    """``value`` if it is one of ``allowed`` (compared as given, strings included).

    Args:
        who: How the error message names the owner (``"Dense 'dense'"``, see :func:`owner`).
        name: The argument's name, as the message shows it.
        value: The value to check.
        allowed: The accepted values.

    Example:
        >>> one_of("Resizing 'r'", 'interpolation', 'nearest', ('bilinear', 'nearest'))
        'nearest'
        >>> try:
        ...     one_of("Resizing 'r'", 'interpolation', 'cubic!', ('bilinear', 'nearest'))
        ... except jl.errors.ConfigError as e:
        ...     print(e)
        Resizing 'r': `interpolation` must be one of ('bilinear', 'nearest'). ...
    """
    if not isinstance(value, (str, bool, type(None))) or value not in allowed:
        raise ConfigError(
            f"{who}: `{name}` must be one of {tuple(allowed)}. Received: {name}={value!r}."
        )
    return value


def text_encoding(who, value):
    """The name of a Python text codec (``'utf-8'``).

    Args:
        who: How the error message names the owner (``"Dense 'dense'"``, see :func:`owner`).
        value: A codec name.

    Example:
        >>> text_encoding("TextVectorization 't'", 'UTF8')
        'UTF8'
    """
    try:
        codecs.lookup(value)
    except (LookupError, TypeError):
        raise ConfigError(
            f"{who}: `encoding` must be the name of a text encoding such as 'utf-8'. "
            f"Received: encoding={value!r}."
        ) from None
    return value


def no_strided_dilation(who, strides, dilation_rate):
    """A ``ConfigError`` when a stride and a dilation above 1 are asked together.

    Args:
        who: How the error message names the owner (``"Dense 'dense'"``, see :func:`owner`).
        strides: Tuple of ints.
        dilation_rate: Tuple of ints.

    Example:
        >>> no_strided_dilation("Conv1D 'c'", (1,), (2,))
        >>> try:
        ...     no_strided_dilation("Conv1D 'c'", (2,), (2,))
        ... except jl.errors.ConfigError as e:
        ...     print(e)
        Conv1D 'c': `strides` > 1 cannot be combined with `dilation_rate` > 1. Received: ...
    """
    if max(strides) > 1 and max(dilation_rate) > 1:
        raise ConfigError(
            f"{who}: `strides` > 1 cannot be combined with `dilation_rate` > 1. "
            f"Received: strides={strides}, dilation_rate={dilation_rate}."
        )


def seed(who, value):
    """A seed: an int or ``None``.

    Args:
        who: How the error message names the owner (``"Dense 'dense'"``, see :func:`owner`).
        value: The seed to check.

    Example:
        >>> print(seed("Dropout 'd'", None)), seed("Dropout 'd'", np.int32(7))
        None
        (None, 7)
    """
    if value is not None and not is_int(value):
        raise ConfigTypeError(f"{who}: `seed` must be an int or None. Received: seed={value!r}.")
    return None if value is None else int(value)


__all__ = ["owner", "is_int", "positive_int", "positive_int_or_none", "non_negative_int",
           "int_tuple", "axes", "sizes", "pair_tuples", "padding_mode", "data_format", "boolean",
           "optional", "rate", "unit_interval", "non_negative_float", "positive_float",
           "finite_float", "finite_floats", "float_list", "one_of", "text_encoding", "seed",
           "no_strided_dilation"]
