"""Regression metrics: mean errors, root mean squared error, cosine similarity, log-cosh, R2."""

import warnings

import jax
import jax.numpy as jnp

from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError, ShapeError
from jaxlayers.training import losses as losses_lib
from jaxlayers.training.losses.reduction import align_ranks
from jaxlayers.training.metrics.base import Metric
from jaxlayers.training.metrics.reduction import BuiltinMeanMetric, Mean


def _cosine_similarity(y_true, y_pred, axis=-1):
    return -losses_lib.cosine_similarity(y_true, y_pred, axis=axis)


@register_builtin("metrics")
class MeanSquaredError(BuiltinMeanMetric):
    """Mean of :func:`~jaxlayers.training.losses.mean_squared_error`.

    Args:
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> float(metrics.MeanSquaredError()(jnp.zeros((2, 2)), jnp.ones((2, 2))))
        1.0
    """

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(losses_lib.mean_squared_error, name, dtype)


@register_builtin("metrics")
class MeanAbsoluteError(BuiltinMeanMetric):
    """Mean of :func:`~jaxlayers.training.losses.mean_absolute_error`.

    Args:
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> float(metrics.MeanAbsoluteError()(jnp.zeros((2, 2)), -jnp.ones((2, 2))))
        1.0
    """

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(losses_lib.mean_absolute_error, name, dtype)


@register_builtin("metrics")
class MeanAbsolutePercentageError(BuiltinMeanMetric):
    """Mean of :func:`~jaxlayers.training.losses.mean_absolute_percentage_error`.

    Args:
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> float(metrics.MeanAbsolutePercentageError()(jnp.full((1, 2), 2.0), jnp.ones((1, 2))))
        50.0
    """

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(losses_lib.mean_absolute_percentage_error, name, dtype)


@register_builtin("metrics")
class MeanSquaredLogarithmicError(BuiltinMeanMetric):
    """Mean of :func:`~jaxlayers.training.losses.mean_squared_logarithmic_error`.

    Args:
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> float(metrics.MeanSquaredLogarithmicError()(jnp.zeros((1, 2)), jnp.zeros((1, 2))))
        0.0
    """

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(losses_lib.mean_squared_logarithmic_error, name, dtype)


@register_builtin("metrics")
class RootMeanSquaredError(Mean):
    """Square root of the (weighted) mean squared error over all elements.

    Args:
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

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

    Args:
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.
        axis: Int axis.

    Example:
        >>> float(metrics.CosineSimilarity()(jnp.array([[0.0, 1.0]]), jnp.array([[0.0, 3.0]])))
        1.0
    """

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(_cosine_similarity, name, dtype, axis=axis)


@register_builtin("metrics")
class LogCoshError(BuiltinMeanMetric):
    """Mean of :func:`~jaxlayers.training.losses.log_cosh`.

    Args:
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> round(float(metrics.LogCoshError()(jnp.zeros((1, 1)), jnp.ones((1, 1)))), 4)
        0.4338
    """

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(losses_lib.log_cosh, name, dtype)


_AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


@register_builtin("metrics")
class R2Score(Metric):
    """Coefficient of determination ``1 - SS_res / SS_tot`` per output column, aggregated.

    Args:
        class_aggregation: How the per-column scores are combined: ``None``
            (one score per column), ``"uniform_average"`` or
            ``"variance_weighted_average"`` (weighted by each column's
            total sum of squares).
        num_regressors: Number of independent regressors; a positive value
            gives the adjusted R2 ``1 - (1 - R2) (n - 1) / (n - p - 1)``, where
            ``n`` counts every element seen (as in Keras), and falls back to
            the plain score (with a warning, when run eagerly) while
            ``p >= n - 1``.
        name: Name of the metric.
        dtype: Dtype of the state.

    Inputs are ``(batch, output_dim)``; ``init`` needs them (or specs) to size
    the state. A column whose labels do not vary scores 0.

    Example:
        >>> m = metrics.R2Score()
        >>> round(float(m(jnp.array([[1.0], [4.0], [3.0]]), jnp.array([[2.0], [4.0], [4.0]]))), 4)
        0.5714
    """

    _state_needs_shapes = True
    # Read by callbacks in mode="auto": larger is better (as Keras marks it).
    _direction = "up"

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score",
                 dtype=None):
        super().__init__(name=name, dtype=dtype)
        owner = f"R2Score '{self.name}'"
        if class_aggregation not in _AGGREGATIONS:
            raise ConfigError(
                f"{owner}: `class_aggregation` must be one of {list(_AGGREGATIONS)}. "
                f"Received: class_aggregation={class_aggregation!r}."
            )
        if isinstance(num_regressors, bool) or not isinstance(num_regressors, int) or (
                num_regressors < 0):
            raise ConfigError(
                f"{owner}: `num_regressors` must be an int >= 0. "
                f"Received: num_regressors={num_regressors!r}."
            )
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors

    def _check_shapes(self, y_true_shape, y_pred_shape):
        if len(y_true_shape) != 2 or len(y_pred_shape) != 2 or y_pred_shape[-1] is None:
            raise ShapeError(
                f"R2Score '{self.name}' expects y_true and y_pred of shape (batch, output_dim). "
                f"Received: y_true.shape={y_true_shape}, y_pred.shape={y_pred_shape}."
            )

    def init(self, y_true=None, y_pred=None):
        if y_true is None or y_pred is None:
            raise ShapeError(
                f"R2Score '{self.name}' needs example inputs to size its state: call "
                "init(y_true, y_pred) with arrays or jax.ShapeDtypeStruct of shape "
                "(batch, output_dim). Received: y_true=None or y_pred=None."
            )
        y_true_shape, y_pred_shape = tuple(y_true.shape), tuple(y_pred.shape)
        if len(y_true_shape) == 1 and len(y_pred_shape) == 2 and y_pred_shape[-1] == 1:
            y_true_shape = y_true_shape + (1,)
        self._check_shapes(y_true_shape, y_pred_shape)
        zeros = jnp.zeros((y_pred_shape[-1],), self.dtype)
        return {"sum": zeros, "squared_sum": zeros, "residual": zeros, "count": zeros,
                "num_samples": jnp.zeros((), self.dtype)}

    def update(self, state, y_true, y_pred, sample_weight=None):
        y_true = jnp.asarray(y_true).astype(self.dtype)
        y_pred = jnp.asarray(y_pred).astype(self.dtype)
        y_true, y_pred = align_ranks(y_true, y_pred)
        self._check_shapes(y_true.shape, y_pred.shape)
        if sample_weight is None:
            weights = jnp.ones_like(y_true)
        else:
            weights = jnp.asarray(sample_weight, self.dtype)
            if weights.ndim == 1:
                weights = weights[:, None]
            weights = jnp.broadcast_to(weights, y_true.shape)
        weighted = y_true * weights
        return {
            "sum": state["sum"] + jnp.sum(weighted, axis=0),
            "squared_sum": state["squared_sum"] + jnp.sum(y_true * weighted, axis=0),
            "residual": state["residual"] + jnp.sum(jnp.square(y_true - y_pred) * weights,
                                                    axis=0),
            "count": state["count"] + jnp.sum(weights, axis=0),
            "num_samples": state["num_samples"] + y_true.size,
        }

    def compute_result(self, state):
        mean = state["sum"] / state["count"]
        total = state["squared_sum"] - state["sum"] * mean
        scores = 1.0 - state["residual"] / total
        scores = jnp.where(jnp.isinf(scores), 0.0, scores)
        if self.class_aggregation == "uniform_average":
            score = jnp.mean(scores)
        elif self.class_aggregation == "variance_weighted_average":
            score = jnp.sum(total * scores) / jnp.sum(total)
        else:
            score = scores
        if not self.num_regressors:
            return score
        n, p = state["num_samples"], float(self.num_regressors)
        if not isinstance(n, jax.core.Tracer) and p >= float(n) - 1:
            warnings.warn(
                f"R2Score '{self.name}': num_regressors={self.num_regressors} needs more than "
                f"{self.num_regressors + 1} values seen for the adjusted score; saw {float(n):g}. "
                "Falling back to the plain R2 score.",
                stacklevel=2,
            )
        adjusted = 1.0 - (1.0 - score) * (n - 1.0) / jnp.where(p < n - 1.0, n - p - 1.0, 1.0)
        return jnp.where(p < n - 1.0, adjusted, score)

    def get_config(self):
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}


__all__ = [
    "R2Score", "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "RootMeanSquaredError", "CosineSimilarity", "LogCoshError",
]
