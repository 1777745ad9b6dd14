"""Regression losses: squared, absolute, percentage and log errors; Huber, log-cosh, cosine."""

import jax
import jax.numpy as jnp
import numpy as np

from jaxlayers.backend import epsilon
from jaxlayers.core.serialization import register_builtin
from jaxlayers.ops._normalization import l2_normalize
from jaxlayers.training.losses.base import BuiltinLoss, builtin_function
from jaxlayers.training.losses.checks import prepare

_R = "sum_over_batch_size"


@builtin_function(aliases=("mse", "MSE"))
def mean_squared_error(y_true, y_pred):
    """Mean of ``(y_true - y_pred) ** 2`` over the last axis.

    Args:
        y_true: Array of labels ``(batch, ...)``.
        y_pred: Array of predictions, shaped like ``y_true``.

    Example:
        >>> losses.mean_squared_error(jnp.array([[0.0, 1.0]]), jnp.array([[1.0, 1.0]]))
        Array([0.5], dtype=float32)
    """
    y_true, y_pred = prepare("elementwise", "mean_squared_error", y_true, y_pred)
    return jnp.mean(jnp.square(y_true - y_pred), axis=-1)


@builtin_function(aliases=("mae", "MAE"))
def mean_absolute_error(y_true, y_pred):
    """Mean of ``|y_true - y_pred|`` over the last axis.

    Args:
        y_true: Array of labels ``(batch, ...)``.
        y_pred: Array of predictions, shaped like ``y_true``.

    Example:
        >>> losses.mean_absolute_error(jnp.array([[0.0, 1.0]]), jnp.array([[2.0, 1.0]]))
        Array([1.], dtype=float32)
    """
    y_true, y_pred = prepare("elementwise", "mean_absolute_error", y_true, y_pred)
    return jnp.mean(jnp.abs(y_true - y_pred), axis=-1)


@builtin_function(aliases=("mape", "MAPE"))
def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(|y_true - y_pred| / max(|y_true|, epsilon))`` over the last axis.

    Args:
        y_true: Array of labels ``(batch, ...)``.
        y_pred: Array of predictions, shaped like ``y_true``.

    Example:
        >>> losses.mean_absolute_percentage_error(jnp.array([[2.0, 4.0]]), jnp.array([[1.0, 4.0]]))
        Array([25.], dtype=float32)
    """
    y_true, y_pred = prepare("elementwise", "mean_absolute_percentage_error", y_true, y_pred)
    diff = jnp.abs((y_true - y_pred) / jnp.maximum(jnp.abs(y_true), epsilon()))
    return 100.0 * jnp.mean(diff, axis=-1)


@builtin_function(aliases=("msle", "MSLE"))
def mean_squared_logarithmic_error(y_true, y_pred):
    """Mean of ``(log(1 + y_pred) - log(1 + y_true)) ** 2``, inputs floored at epsilon.

    Args:
        y_true: Array of labels ``(batch, ...)``.
        y_pred: Array of predictions, shaped like ``y_true``.

    Example:
        >>> y_pred = jnp.array([[jnp.e - 1]])
        >>> round(float(losses.mean_squared_logarithmic_error(jnp.zeros((1, 1)), y_pred)[0]), 4)
        1.0
    """
    y_true, y_pred = prepare("elementwise", "mean_squared_logarithmic_error", y_true, y_pred)
    first = jnp.log(jnp.maximum(y_pred, epsilon()) + 1.0)
    second = jnp.log(jnp.maximum(y_true, epsilon()) + 1.0)
    return jnp.mean(jnp.square(first - second), axis=-1)


@builtin_function()
def cosine_similarity(y_true, y_pred, axis=-1):
    """Negative cosine similarity along ``axis``: -1 when the vectors align.

    Args:
        y_true: Array of labels ``(batch, ...)``.
        y_pred: Array of predictions, shaped like ``y_true``.
        axis: Int axis.

    Example:
        >>> losses.cosine_similarity(jnp.array([[1.0, 0.0]]), jnp.array([[2.0, 0.0]]))
        Array([-1.], dtype=float32)
    """
    y_true, y_pred = prepare("elementwise", "cosine_similarity", y_true, y_pred)
    return -jnp.sum(l2_normalize(y_true, axis, epsilon()) * l2_normalize(y_pred, axis, epsilon()),
                    axis=axis)


@builtin_function()
def huber(y_true, y_pred, delta=1.0):
    """Huber loss: quadratic for ``|error| <= delta``, linear beyond; mean over last axis.

    Args:
        y_true: Array of labels ``(batch, ...)``.
        y_pred: Array of predictions, shaped like ``y_true``.
        delta: Positive float, where the loss turns from quadratic to linear.

    Example:
        >>> losses.huber(jnp.array([[0.0, 0.0]]), jnp.array([[0.5, 3.0]]))
        Array([1.3125], dtype=float32)
    """
    y_true, y_pred = prepare("elementwise", "huber", y_true, y_pred)
    error = y_pred - y_true
    abs_error = jnp.abs(error)
    quadratic = 0.5 * jnp.square(error)
    linear = delta * abs_error - 0.5 * delta**2
    return jnp.mean(jnp.where(abs_error <= delta, quadratic, linear), axis=-1)


@builtin_function()
def log_cosh(y_true, y_pred):
    """Mean of ``log(cosh(y_pred - y_true))`` over the last axis, computed stably.

    Args:
        y_true: Array of labels ``(batch, ...)``.
        y_pred: Array of predictions, shaped like ``y_true``.

    Example:
        >>> round(float(losses.log_cosh(jnp.array([[0.0]]), jnp.array([[1.0]]))[0]), 4)
        0.4338
    """
    y_true, y_pred = prepare("elementwise", "log_cosh", y_true, y_pred)
    x = y_pred - y_true
    return jnp.mean(x + jax.nn.softplus(-2.0 * x) - np.log(2.0).astype(x.dtype), axis=-1)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error


@register_builtin("losses")
class MeanSquaredError(BuiltinLoss):
    """Reduced :func:`mean_squared_error`.

    Args:
        reduction: How per-sample losses are reduced: ``'sum_over_batch_size'``, ``'sum'``,
            ``'mean'``, ``'mean_with_sample_weight'`` or ``None``.
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> float(losses.MeanSquaredError()(jnp.zeros((2, 2)), jnp.ones((2, 2))))
        1.0
    """

    def __init__(self, reduction=_R, name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, reduction, name, dtype)


@register_builtin("losses")
class MeanAbsoluteError(BuiltinLoss):
    """Reduced :func:`mean_absolute_error`.

    Args:
        reduction: How per-sample losses are reduced: ``'sum_over_batch_size'``, ``'sum'``,
            ``'mean'``, ``'mean_with_sample_weight'`` or ``None``.
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> float(losses.MeanAbsoluteError()(jnp.zeros((2, 2)), -jnp.ones((2, 2))))
        1.0
    """

    def __init__(self, reduction=_R, name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, reduction, name, dtype)


@register_builtin("losses")
class MeanAbsolutePercentageError(BuiltinLoss):
    """Reduced :func:`mean_absolute_percentage_error`.

    Args:
        reduction: How per-sample losses are reduced: ``'sum_over_batch_size'``, ``'sum'``,
            ``'mean'``, ``'mean_with_sample_weight'`` or ``None``.
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> float(losses.MeanAbsolutePercentageError()(jnp.full((1, 2), 2.0), jnp.ones((1, 2))))
        50.0
    """

    def __init__(self, reduction=_R, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, reduction, name, dtype)


@register_builtin("losses")
class MeanSquaredLogarithmicError(BuiltinLoss):
    """Reduced :func:`mean_squared_logarithmic_error`.

    Args:
        reduction: How per-sample losses are reduced: ``'sum_over_batch_size'``, ``'sum'``,
            ``'mean'``, ``'mean_with_sample_weight'`` or ``None``.
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> float(losses.MeanSquaredLogarithmicError()(jnp.zeros((1, 1)), jnp.zeros((1, 1))))
        0.0
    """

    def __init__(self, reduction=_R, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, reduction, name, dtype)


@register_builtin("losses")
class CosineSimilarity(BuiltinLoss):
    """Reduced :func:`cosine_similarity` (negative: minimizing aligns the vectors).

    Args:
        axis: Int axis.
        reduction: How per-sample losses are reduced: ``'sum_over_batch_size'``, ``'sum'``,
            ``'mean'``, ``'mean_with_sample_weight'`` or ``None``.
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> float(losses.CosineSimilarity()(jnp.array([[0.0, 1.0]]), jnp.array([[0.0, 3.0]])))
        -1.0
    """

    def __init__(self, axis=-1, reduction=_R, name="cosine_similarity", dtype=None):
        super().__init__(cosine_similarity, reduction, name, dtype, axis=axis)


@register_builtin("losses")
class Huber(BuiltinLoss):
    """Reduced :func:`huber`.

    Args:
        delta: Positive float, where the loss turns from quadratic to linear.
        reduction: How per-sample losses are reduced: ``'sum_over_batch_size'``, ``'sum'``,
            ``'mean'``, ``'mean_with_sample_weight'`` or ``None``.
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> float(losses.Huber(delta=1.0)(jnp.zeros((1, 2)), jnp.array([[0.5, 3.0]])))
        1.3125
    """

    def __init__(self, delta=1.0, reduction=_R, name="huber_loss", dtype=None):
        super().__init__(huber, reduction, name, dtype, delta=delta)


@register_builtin("losses")
class LogCosh(BuiltinLoss):
    """Reduced :func:`log_cosh`.

    Args:
        reduction: How per-sample losses are reduced: ``'sum_over_batch_size'``, ``'sum'``,
            ``'mean'``, ``'mean_with_sample_weight'`` or ``None``.
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> round(float(losses.LogCosh()(jnp.zeros((1, 1)), jnp.ones((1, 1)))), 4)
        0.4338
    """

    def __init__(self, reduction=_R, name="log_cosh", dtype=None):
        super().__init__(log_cosh, reduction, name, dtype)


__all__ = [
    "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "CosineSimilarity", "Huber", "LogCosh",
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "cosine_similarity", "huber", "log_cosh", "mse", "mae",
    "mape", "msle",
]
