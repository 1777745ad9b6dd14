"""Weight constraints with the names, arguments and numerics of ``keras.constraints``.

A constraint projects a weight array after each optimizer update (for
example onto a ball of bounded norm).  Calls are pure functions of the weight.
Norms are taken over ``axis`` (an int or a list of ints) and kept as size-1
axes; as in Keras, ``backend.epsilon()`` is added to the norm in the
denominator, so a zero weight stays zero.

Example:
    >>> import jax.numpy as jnp
    >>> from jaxlayers import constraints
    >>> constraints.get("non_neg")(jnp.array([-1.0, 2.0]))
    Array([0., 2.], dtype=float32)
"""

import numbers

import jax.numpy as jnp

from jaxlayers import backend, hooks
from jaxlayers.core import serialization
from jaxlayers.errors import ConfigError

_CATEGORY = "constraints"
_MODULE = "jaxlayers.constraints"


def _register(*aliases):
    return serialization.register_builtin_with_aliases(_CATEGORY, *aliases)


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _validate_axis(owner, axis):
    if isinstance(axis, numbers.Integral) and not isinstance(axis, bool):
        return int(axis)
    if isinstance(axis, (list, tuple)) and all(
            isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in axis):
        return [int(a) for a in axis]
    raise ConfigError(f"{owner}: `axis` must be an int or a list of ints. Received: axis={axis!r}.")


def _validate_bound(owner, name, value):
    if not _is_number(value) or value < 0:
        raise ConfigError(
            f"{owner}: `{name}` must be a non-negative number. Received: {name}={value!r}."
        )
    return value


def _norms(w, axis):
    axis = tuple(axis) if isinstance(axis, list) else axis
    return jnp.sqrt(jnp.sum(jnp.square(w), axis=axis, keepdims=True))


class Constraint:
    """Base class: a callable ``(w) -> projected w``; the base leaves ``w`` unchanged.

    Example:
        >>> class Clip(Constraint):
        ...     def __call__(self, w):
        ...         return jnp.clip(w, -1.0, 1.0)
        >>> Clip()(jnp.array([-3.0, 0.5])).tolist()
        [-1.0, 0.5]
    """

    def __call__(self, w):
        return w

    def get_config(self):
        """The constructor arguments as a JSON-friendly dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Rebuilds a constraint from :meth:`get_config` output."""
        return cls(**config)

    def __repr__(self):
        return serialization.config_repr(self)


@_register("max_norm")
class MaxNorm(Constraint):
    """Rescales slices whose L2 norm along ``axis`` exceeds ``max_value``.

    ``w * clip(norm, 0, max_value) / (epsilon + norm)``.

    Args:
        max_value: Largest allowed norm.
        axis: Axis or axes the norm is taken over (0 for a Dense kernel's
            incoming weights; ``[0, 1, 2]`` for a channels-last Conv2D kernel).

    Example:
        >>> [round(float(v), 4) for v in MaxNorm(1.0)(jnp.array([3.0, 4.0]))]
        [0.6, 0.8]
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value = _validate_bound("MaxNorm", "max_value", max_value)
        self.axis = _validate_axis("MaxNorm", axis)

    def __call__(self, w):
        w = jnp.asarray(w)
        norms = _norms(w, self.axis)
        desired = jnp.clip(norms, 0, self.max_value)
        return w * (desired / (backend.epsilon() + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


@_register("min_max_norm")
class MinMaxNorm(Constraint):
    """Moves slice norms along ``axis`` into ``[min_value, max_value]``.

    The target norm is ``rate * clip(norm, min_value, max_value) + (1 - rate) * norm``
    and the weight becomes ``w * target / (epsilon + norm)``.

    Args:
        min_value: Smallest allowed norm.
        max_value: Largest allowed norm.
        rate: In ``[0, 1]``; 1 enforces the bounds at once, smaller values
            move toward them gradually.
        axis: Axis or axes the norm is taken over.

    Example:
        >>> [round(float(v), 4) for v in MinMaxNorm(1.0, 2.0)(jnp.array([0.3, 0.4]))]
        [0.6, 0.8]
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = _validate_bound("MinMaxNorm", "min_value", min_value)
        self.max_value = _validate_bound("MinMaxNorm", "max_value", max_value)
        if min_value > max_value:
            raise ConfigError(
                "MinMaxNorm: `min_value` must not exceed `max_value`. "
                f"Received: min_value={min_value!r}, max_value={max_value!r}."
            )
        if not _is_number(rate) or not 0 <= rate <= 1:
            raise ConfigError(
                f"MinMaxNorm: `rate` must be a number in [0, 1]. Received: rate={rate!r}."
            )
        self.rate = rate
        self.axis = _validate_axis("MinMaxNorm", axis)

    def __call__(self, w):
        w = jnp.asarray(w)
        norms = _norms(w, self.axis)
        clipped = jnp.clip(norms, self.min_value, self.max_value)
        desired = self.rate * clipped + (1 - self.rate) * norms
        return w * (desired / (backend.epsilon() + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


@_register("non_neg")
class NonNeg(Constraint):
    """Replaces negative weights by zero.

    Example:
        >>> NonNeg()(jnp.array([-1.0, 2.0])).tolist()
        [0.0, 2.0]
    """

    def __call__(self, w):
        return jnp.maximum(jnp.asarray(w), 0)


@_register("unit_norm")
class UnitNorm(Constraint):
    """Scales slices along ``axis`` to unit L2 norm: ``w / (epsilon + norm)``.

    Args:
        axis: Axis or axes the norm is taken over.

    Example:
        >>> [round(float(v), 4) for v in UnitNorm()(jnp.array([3.0, 4.0]))]
        [0.6, 0.8]
    """

    def __init__(self, axis=0):
        self.axis = _validate_axis("UnitNorm", axis)

    def __call__(self, w):
        w = jnp.asarray(w)
        return w / (backend.epsilon() + _norms(w, self.axis))

    def get_config(self):
        return {"axis": self.axis}


# Lowercase names, as exported by keras.constraints (they are the classes).
max_norm = MaxNorm
min_max_norm = MinMaxNorm
non_neg = NonNeg
unit_norm = UnitNorm


def serialize(constraint):
    """The config dict of ``constraint``.

    Args:
        constraint: A constraint instance (or ``None``).

    Example:
        >>> serialize(MaxNorm(3))["config"]
        {'max_value': 3, 'axis': 0}
    """
    return serialization.serialize_object(constraint, _MODULE)


def deserialize(config, custom_objects=None):
    """Rebuilds a constraint from a name or a :func:`serialize` dict.

    Args:
        config: A dict made by ``serialize`` / ``get_config``, or a name.
        custom_objects: Optional ``{name: object}`` for user-defined objects.

    Example:
        >>> deserialize("unit_norm").axis
        0
    """
    return serialization.deserialize_object(config, _CATEGORY, custom_objects, "constraint")


def get(identifier):
    """Resolves a layer's ``*_constraint=`` argument (``None`` stays ``None``).

    Args:
        identifier: A name, a config dict, an instance, or ``None``.

    Example:
        >>> type(get("max_norm")).__name__
        'MaxNorm'
    """
    return serialization.resolve_object(identifier, _CATEGORY, "constraint")


# core (add_weight) resolves constraint arguments through this hook: it sits below us.
hooks.provide("constraints.get", get)

__all__ = [
    "Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm",
    "max_norm", "min_max_norm", "non_neg", "unit_norm", "get", "serialize", "deserialize",
]
