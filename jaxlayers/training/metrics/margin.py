"""Margin metrics: the hinge losses, averaged."""

from jaxlayers.core.serialization import register_builtin
from jaxlayers.training import losses as losses_lib
from jaxlayers.training.metrics.reduction import BuiltinMeanMetric


@register_builtin("metrics")
class Hinge(BuiltinMeanMetric):
    """Mean of :func:`~jaxlayers.training.losses.hinge`.

    Args:
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> float(metrics.Hinge()(jnp.array([[1.0, 0.0]]), jnp.array([[0.5, -2.0]])))
        0.25
    """

    def __init__(self, name="hinge", dtype=None):
        super().__init__(losses_lib.hinge, name, dtype)


@register_builtin("metrics")
class SquaredHinge(BuiltinMeanMetric):
    """Mean of :func:`~jaxlayers.training.losses.squared_hinge`.

    Args:
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> float(metrics.SquaredHinge()(jnp.array([[1.0, 0.0]]), jnp.array([[0.5, -2.0]])))
        0.125
    """

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(losses_lib.squared_hinge, name, dtype)


@register_builtin("metrics")
class CategoricalHinge(BuiltinMeanMetric):
    """Mean of :func:`~jaxlayers.training.losses.categorical_hinge`.

    Args:
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> float(metrics.CategoricalHinge()(jnp.array([[0.0, 1.0]]), jnp.array([[0.3, 0.8]])))
        0.5
    """

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(losses_lib.categorical_hinge, name, dtype)



__all__ = [
    "Hinge", "SquaredHinge", "CategoricalHinge",
]
