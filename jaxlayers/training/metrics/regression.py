"""Regression metrics: mean errors, root mean squared error, cosine similarity, log-cosh."""

import jax.numpy as jnp

from jaxlayers.core.serialization import register_builtin
from jaxlayers.training import losses as losses_lib
from jaxlayers.training.losses.reduction import align_ranks
from jaxlayers.training.metrics.base import Metric
from jaxlayers.training.metrics.reduction import BuiltinMeanMetric, Mean


def _cosine_similarity(y_true, y_pred, axis=-1):
    return -losses_lib.cosine_similarity(y_true, y_pred, axis=axis)


@register_builtin("metrics")
class MeanSquaredError(BuiltinMeanMetric):
    """Mean of :func:`~jaxlayers.training.losses.mean_squared_error`.

    Example:
        >>> float(metrics.MeanSquaredError()(jnp.zeros((2, 2)), jnp.ones((2, 2))))
        1.0
    """

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(losses_lib.mean_squared_error, name, dtype)


@register_builtin("metrics")
class MeanAbsoluteError(BuiltinMeanMetric):
    """Mean of :func:`~jaxlayers.training.losses.mean_absolute_error`.

    Example:
        >>> float(metrics.MeanAbsoluteError()(jnp.zeros((2, 2)), -jnp.ones((2, 2))))
        1.0
    """

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(losses_lib.mean_absolute_error, name, dtype)


@register_builtin("metrics")
class MeanAbsolutePercentageError(BuiltinMeanMetric):
    """Mean of :func:`~jaxlayers.training.losses.mean_absolute_percentage_error`.

    Example:
        >>> float(metrics.MeanAbsolutePercentageError()(jnp.full((1, 2), 2.0), jnp.ones((1, 2))))
        50.0
    """

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(losses_lib.mean_absolute_percentage_error, name, dtype)


@register_builtin("metrics")
class MeanSquaredLogarithmicError(BuiltinMeanMetric):
    """Mean of :func:`~jaxlayers.training.losses.mean_squared_logarithmic_error`.

    Example:
        >>> float(metrics.MeanSquaredLogarithmicError()(jnp.zeros((1, 2)), jnp.zeros((1, 2))))
        0.0
    """

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(losses_lib.mean_squared_logarithmic_error, name, dtype)


@register_builtin("metrics")
class RootMeanSquaredError(Mean):
    """Square root of the (weighted) mean squared error over all elements.

    Example:
        >>> float(metrics.RootMeanSquaredError()(jnp.zeros((2, 2)), jnp.full((2, 2), 2.0)))
        2.0
    """

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update(self, state, y_true, y_pred, sample_weight=None):
        y_true = jnp.asarray(y_true).astype(self.dtype)
        y_pred = jnp.asarray(y_pred).astype(self.dtype)
        y_true, y_pred = align_ranks(y_true, y_pred)
        return self._accumulate(state, jnp.square(y_pred - y_true), sample_weight)

    update_state = Metric.update_state

    def compute_result(self, state):
        return jnp.sqrt(super().compute_result(state))


@register_builtin("metrics")
class CosineSimilarity(BuiltinMeanMetric):
    """Mean cosine similarity along ``axis`` (1 when the vectors align).

    Example:
        >>> float(metrics.CosineSimilarity()(jnp.array([[0.0, 1.0]]), jnp.array([[0.0, 3.0]])))
        1.0
    """

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(_cosine_similarity, name, dtype, axis=axis)


@register_builtin("metrics")
class LogCoshError(BuiltinMeanMetric):
    """Mean of :func:`~jaxlayers.training.losses.log_cosh`.

    Example:
        >>> round(float(metrics.LogCoshError()(jnp.zeros((1, 1)), jnp.ones((1, 1)))), 4)
        0.4338
    """

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(losses_lib.log_cosh, name, dtype)


__all__ = [
    "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "RootMeanSquaredError", "CosineSimilarity", "LogCoshError",
]
