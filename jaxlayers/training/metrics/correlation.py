"""Correlation metrics: Pearson and concordance correlation coefficients, averaged per sample.

Each coefficient is computed along ``axis`` of every sample, then averaged over
samples like any :class:`~jaxlayers.training.metrics.MeanMetricWrapper`.
"""

import jax.numpy as jnp

from jaxlayers.backend import epsilon
from jaxlayers.core import args as _args
from jaxlayers.core.serialization import register_builtin
from jaxlayers.training.losses.checks import prepare
from jaxlayers.training.metrics.reduction import BuiltinMeanMetric, builtin_metric_function


@builtin_metric_function
def pearson_correlation(y_true, y_pred, axis=-1):
    """Pearson correlation coefficient of ``y_true`` and ``y_pred`` along ``axis``.

    Both are centred and divided by their (population) standard deviation; a
    constant row gives NaN, as in Keras.

    Args:
        y_true: Array of labels ``(batch, ...)``.
        y_pred: Array of predictions, shaped like ``y_true``.
        axis: Int axis.

    Example:
        >>> y = jnp.array([[0.0, 1.0, 0.5], [1.0, 1.0, 0.2]])
        >>> p = jnp.array([[0.1, 0.9, 0.5], [1.0, 0.9, 0.2]])
        >>> metrics.pearson_correlation(y, p).round(4)
        Array([1.    , 0.9934], dtype=float32)
    """
    y_true, y_pred = prepare("elementwise", "pearson_correlation", y_true, y_pred)

    def standardized(x):
        x = x - jnp.mean(x, axis=axis, keepdims=True)
        return x / jnp.std(x, axis=axis, keepdims=True)

    return jnp.mean(standardized(y_true) * standardized(y_pred), axis=axis)


@builtin_metric_function
def concordance_correlation(y_true, y_pred, axis=-1):
    """Concordance correlation coefficient along ``axis``, with Keras 3's formula.

    ``mean(2 (y - mean(p)) (p - mean(p)) / (var(y) + var(p) + (mean(y) - mean(p))^2))``:
    Keras 3.15 centres ``y_true`` on the mean of ``y_pred`` in the covariance
    term; it is kept so results match Keras.

    Args:
        y_true: Array of labels ``(batch, ...)``.
        y_pred: Array of predictions, shaped like ``y_true``.
        axis: Int axis.

    Example:
        >>> y = jnp.array([[0.0, 1.0, 0.5], [1.0, 1.0, 0.2]])
        >>> p = jnp.array([[0.1, 0.9, 0.5], [1.0, 0.9, 0.2]])
        >>> metrics.concordance_correlation(y, p).round(4)
        Array([0.9756, 0.9877], dtype=float32)
    """
    y_true, y_pred = prepare("elementwise", "concordance_correlation", y_true, y_pred)
    true_mean = jnp.mean(y_true, axis=axis, keepdims=True)
    pred_mean = jnp.mean(y_pred, axis=axis, keepdims=True)
    covariance = (y_true - pred_mean) * (y_pred - pred_mean)
    norm = (jnp.var(y_true, axis=axis, keepdims=True) + jnp.var(y_pred, axis=axis, keepdims=True)
            + jnp.square(true_mean - pred_mean))
    return jnp.mean(2.0 * covariance / (norm + epsilon()), axis=axis)


@register_builtin("metrics")
class PearsonCorrelation(BuiltinMeanMetric):
    """Mean over samples of :func:`pearson_correlation` (higher is better).

    Args:
        name: Name of the metric.
        dtype: Dtype of the state.
        axis: The axis (or axes) each coefficient is computed along.

    Example:
        >>> m = metrics.PearsonCorrelation()
        >>> y = jnp.array([[0.0, 1.0, 0.5], [1.0, 1.0, 0.2]])
        >>> round(float(m(y, jnp.array([[0.1, 0.9, 0.5], [1.0, 0.9, 0.2]]))), 4)
        0.9967
    """

    # Read by callbacks in mode="auto": larger is better (as Keras marks it).
    _direction = "up"

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(pearson_correlation, name, dtype, axis=axis)
        _args.axes(_args.owner(self), "axis", axis)


@register_builtin("metrics")
class ConcordanceCorrelation(BuiltinMeanMetric):
    """Mean over samples of :func:`concordance_correlation` (higher is better).

    Args:
        name: Name of the metric.
        dtype: Dtype of the state.
        axis: The axis (or axes) each coefficient is computed along.

    Example:
        >>> m = metrics.ConcordanceCorrelation()
        >>> y = jnp.array([[0.0, 1.0, 0.5], [1.0, 1.0, 0.2]])
        >>> round(float(m(y, jnp.array([[0.1, 0.9, 0.5], [1.0, 0.9, 0.2]]))), 4)
        0.9816
    """

    # Read by callbacks in mode="auto": larger is better (as Keras marks it).
    _direction = "up"

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(concordance_correlation, name, dtype, axis=axis)
        _args.axes(_args.owner(self), "axis", axis)


__all__ = [
    "PearsonCorrelation", "ConcordanceCorrelation", "pearson_correlation",
    "concordance_correlation",
]
