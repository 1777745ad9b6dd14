"""Weight regularizers with the names, arguments and numerics of ``keras.regularizers``.

A regularizer maps a weight array to a scalar penalty that is added to the
training loss.  Calls are pure, so they run inside a jitted train step.

Example:
    >>> import jax.numpy as jnp
    >>> from jaxlayers import regularizers
    >>> float(regularizers.get("l2")(jnp.ones((2, 2))))
    0.03999999910593033
    >>> regularizers.serialize(regularizers.l2(1e-4))["config"]
    {'l2': 0.0001}
"""

import math
import numbers

import jax.numpy as jnp

from jaxlayers import backend, hooks
from jaxlayers.core import serialization
from jaxlayers.errors import ConfigError, ShapeError
from jaxlayers.ops._normalization import l2_normalize

_CATEGORY = "regularizers"
_MODULE = "jaxlayers.regularizers"


def _register(*aliases):
    return serialization.register_builtin_with_aliases(_CATEGORY, *aliases)


def _validate_factor(owner, name, value):
    """``value`` as a float, or a ConfigError unless it is a finite number >= 0."""
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not math.isfinite(value) or value < 0):
        raise ConfigError(
            f"{owner}: `{name}` must be a non-negative finite float. Received: {name}={value!r}."
        )
    return float(value)


class Regularizer:
    """Base class: a callable ``(weights) -> scalar penalty``.

    Subclasses implement ``__call__`` and ``get_config``.

    Example:
        >>> class SumSquares(Regularizer):
        ...     def __call__(self, x):
        ...         return jnp.sum(x ** 2)
        ...     def get_config(self):
        ...         return {}
        >>> float(SumSquares()(jnp.array([1.0, 2.0])))
        5.0
    """

    def __call__(self, x):
        return 0.0

    def get_config(self):
        """The constructor arguments as a JSON-friendly dict."""
        raise NotImplementedError(
            f"{type(self).__name__} does not implement get_config(); define it to return its "
            "constructor arguments so the regularizer can be saved."
        )

    @classmethod
    def from_config(cls, config):
        """Rebuilds a regularizer from :meth:`get_config` output."""
        return cls(**config)

    def __repr__(self):
        return serialization.config_repr(self)


@_register("l1_l2", "l1l2")
class L1L2(Regularizer):
    """``l1 * sum(abs(x)) + l2 * sum(square(x))``.

    Args:
        l1: Non-negative L1 factor (``None`` means 0).
        l2: Non-negative L2 factor (``None`` means 0).

    Example:
        >>> float(L1L2(l1=0.5, l2=0.25)(jnp.array([1.0, -2.0])))
        2.75
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _validate_factor("L1L2", "l1", 0.0 if l1 is None else l1)
        self.l2 = _validate_factor("L1L2", "l2", 0.0 if l2 is None else l2)

    def __call__(self, x):
        x = jnp.asarray(x)
        penalty = jnp.zeros((), x.dtype)
        if self.l1:
            penalty += jnp.asarray(self.l1, x.dtype) * jnp.sum(jnp.abs(x))
        if self.l2:
            penalty += jnp.asarray(self.l2, x.dtype) * jnp.sum(jnp.square(x))
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


@_register("l1")
class L1(Regularizer):
    """``l1 * sum(abs(x))``.

    Args:
        l1: Non-negative factor (``None`` means the default 0.01).

    Example:
        >>> float(L1(0.5)(jnp.array([1.0, -2.0])))
        1.5
    """

    def __init__(self, l1=0.01):
        self.l1 = _validate_factor("L1", "l1", 0.01 if l1 is None else l1)

    def __call__(self, x):
        x = jnp.asarray(x)
        return jnp.asarray(self.l1, x.dtype) * jnp.sum(jnp.abs(x))

    def get_config(self):
        return {"l1": self.l1}


@_register("l2")
class L2(Regularizer):
    """``l2 * sum(square(x))``.

    Args:
        l2: Non-negative factor (``None`` means the default 0.01).

    Example:
        >>> float(L2(0.5)(jnp.array([1.0, -2.0])))
        2.5
    """

    def __init__(self, l2=0.01):
        self.l2 = _validate_factor("L2", "l2", 0.01 if l2 is None else l2)

    def __call__(self, x):
        x = jnp.asarray(x)
        return jnp.asarray(self.l2, x.dtype) * jnp.sum(jnp.square(x))

    def get_config(self):
        return {"l2": self.l2}


@_register("orthogonal_regularizer")
class OrthogonalRegularizer(Regularizer):
    """Penalizes non-orthogonal rows (or columns) of a 2D weight.

    The rows (``mode="rows"``) or columns (``mode="columns"``) are L2-normalized;
    the penalty is ``factor * 0.5 * mean(|<v_i, v_j>|)`` over the ``n (n - 1) / 2``
    distinct pairs ``i != j`` (each pair counted twice in the sum, hence the 0.5).

    Args:
        factor: Non-negative scale of the penalty.
        mode: ``"rows"`` or ``"columns"``.

    Example:
        >>> float(OrthogonalRegularizer(factor=1.0)(jnp.eye(3)))
        0.0
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _validate_factor("OrthogonalRegularizer", "factor", factor)
        if mode not in ("rows", "columns"):
            raise ConfigError(
                "OrthogonalRegularizer: `mode` must be 'rows' or 'columns'. "
                f"Received: mode={mode!r}."
            )
        self.mode = mode

    def __call__(self, x):
        x = jnp.asarray(x)
        if x.ndim != 2:
            raise ShapeError(
                f"OrthogonalRegularizer applies to 2D weights only. Received: shape={x.shape} "
                f"of rank {x.ndim}."
            )
        axis = 1 if self.mode == "rows" else 0
        x = l2_normalize(x, axis, epsilon=backend.epsilon())
        product = x @ x.T if self.mode == "rows" else x.T @ x
        size = product.shape[0]
        off_diagonal = product * (1.0 - jnp.eye(size, dtype=x.dtype))
        num_pairs = size * (size - 1.0) / 2.0
        return self.factor * 0.5 * jnp.sum(jnp.abs(off_diagonal)) / num_pairs

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


# Lowercase names, as exported by keras.regularizers (they are the classes).
l1 = L1
l2 = L2
l1_l2 = L1L2
orthogonal_regularizer = OrthogonalRegularizer


def serialize(regularizer):
    """The config dict of ``regularizer``.

    Args:
        regularizer: A regularizer instance.

    Example:
        >>> serialize(L1(0.5))["class_name"]
        'L1'
    """
    return serialization.serialize_object(regularizer, _MODULE)


def deserialize(config, custom_objects=None):
    """Rebuilds a regularizer from a name or a :func:`serialize` dict.

    Args:
        config: A dict made by ``serialize`` / ``get_config``, or a name.
        custom_objects: Optional ``{name: object}`` for user-defined objects.

    Example:
        >>> deserialize({"class_name": "L2", "config": {"l2": 0.1}}).l2
        0.1
    """
    return serialization.deserialize_object(config, _CATEGORY, custom_objects, "regularizer")


def get(identifier):
    """Resolves a layer's ``*_regularizer=`` argument (``None`` stays ``None``).

    Args:
        identifier: A name, a config dict, an instance, or ``None``.

    Example:
        >>> get("l1_l2").get_config()
        {'l1': 0.0, 'l2': 0.0}
    """
    return serialization.resolve_object(identifier, _CATEGORY, "regularizer")


# core (add_weight) resolves regularizer arguments through this hook: it sits below us.
hooks.provide("regularizers.get", get)

__all__ = [
    "Regularizer", "L1", "L2", "L1L2", "OrthogonalRegularizer",
    "l1", "l2", "l1_l2", "orthogonal_regularizer", "get", "serialize", "deserialize",
]
