"""Argument checks shared by the convolution, pooling and reshaping families.

Each helper raises one ``ConfigError`` naming the layer (``owner`` is a string
like ``"Conv2D 'conv2d'"``), what was expected and what was received.
"""

import numpy as np

from jaxlayers import backend
from jaxlayers.errors import ConfigError, ConfigTypeError


def owner(layer):
    """``"Conv2D 'conv2d'"``: how error messages name a layer."""
    return f"{type(layer).__name__} '{layer.name}'"


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def positive_int(who, name, value):
    """``value`` as an int, or a ``ConfigError`` if it is not a positive int."""
    if not _is_int(value) or value <= 0:
        raise ConfigError(f"{who}: `{name}` must be a positive int. Received: {name}={value!r}.")
    return int(value)


def int_tuple(who, name, value, n, allow_zero=False):
    """``(value,) * n`` for an int, else a tuple of ``n`` ints; all ``> 0`` (``>= 0``)."""
    if _is_int(value):
        values = (int(value),) * n
    else:
        try:
            values = tuple(value)
        except TypeError:
            values = None
        if values is None or len(values) != n or not all(_is_int(v) for v in values):
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


def pair_tuples(who, name, value, n):
    """Per-axis ``(before, after)`` pairs: from an int, ``n`` ints or ``n`` pairs."""
    if _is_int(value):
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
    """Lower-cased ``padding`` string, checked against ``allowed``."""
    if not isinstance(value, str) or value.lower() not in allowed:
        raise ConfigError(
            f"{who}: `padding` must be one of {allowed}. Received: padding={value!r}."
        )
    return value.lower()


def data_format(who, value):
    """``value`` or the global ``image_data_format()``, checked."""
    return backend.standardize_data_format(value, who)


def boolean(who, name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise ConfigTypeError(f"{who}: `{name}` must be a bool. Received: {name}={value!r}.")
    return bool(value)


__all__ = ["owner", "positive_int", "int_tuple", "pair_tuples", "padding_mode", "data_format",
           "boolean"]
