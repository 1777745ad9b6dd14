"""Overlap losses for segmentation masks: Dice and Tversky."""

import jax.numpy as jnp

from jaxlayers.backend import epsilon
from jaxlayers.core.serialization import register_builtin
from jaxlayers.training.losses.base import BuiltinLoss, builtin_function
from jaxlayers.training.losses.checks import prepare

_R = "sum_over_batch_size"


@builtin_function()
def dice(y_true, y_pred, axis=None):
    """Dice loss ``1 - 2 |y p| / (|y| + |p|)``, summed over ``axis`` (all axes if None).

    Args:
        y_true: Array of labels ``(batch, ...)``.
        y_pred: Array of predictions, shaped like ``y_true``.
        axis: Int axis.

    Example:
        >>> round(float(losses.dice(jnp.array([1.0, 0.0]), jnp.array([1.0, 1.0]))), 4)
        0.3333
    """
    y_true, y_pred = prepare("elementwise", "dice", y_true, y_pred)
    overlap = jnp.sum(y_true * y_pred, axis=axis)
    total = jnp.sum(y_true, axis=axis) + jnp.sum(y_pred, axis=axis)
    return 1.0 - 2.0 * overlap / (total + epsilon())


@builtin_function()
def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """Tversky loss ``1 - TP / (TP + alpha FP + beta FN)`` over ``axis``.

    As in Keras, ``alpha`` weighs ``sum((1 - y_pred) * y_true)`` and ``beta``
    weighs ``sum(y_pred * (1 - y_true))``.

    Args:
        y_true: Array of labels ``(batch, ...)``.
        y_pred: Array of predictions, shaped like ``y_true``.
        alpha: Float weight (see the summary).
        beta: Float weight (see the summary).
        axis: Int axis.

    Example:
        >>> round(float(losses.tversky(jnp.array([1.0, 0.0]), jnp.array([1.0, 1.0]))), 4)
        0.3333
    """
    y_true, y_pred = prepare("elementwise", "tversky", y_true, y_pred)
    tp = jnp.sum(y_true * y_pred, axis=axis)
    missed = jnp.sum((1 - y_pred) * y_true, axis=axis)
    spurious = jnp.sum(y_pred * (1 - y_true), axis=axis)
    return 1.0 - tp / (tp + alpha * missed + beta * spurious + epsilon())


@register_builtin("losses")
class Tversky(BuiltinLoss):
    """Reduced :func:`tversky`; ``axis=None`` reduces each call to one value.

    Args:
        alpha: Float weight (see the summary).
        beta: Float weight (see the summary).
        reduction: How per-sample losses are reduced: ``'sum_over_batch_size'``, ``'sum'``,
            ``'mean'``, ``'mean_with_sample_weight'`` or ``None``.
        name: Optional name of the instance.
        axis: Int axis.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> round(float(losses.Tversky()(jnp.array([1.0, 0.0]), jnp.array([1.0, 1.0]))), 4)
        0.3333
    """

    def __init__(self, alpha=0.5, beta=0.5, reduction=_R, name="tversky", axis=None, dtype=None):
        super().__init__(tversky, reduction, name, dtype, alpha=alpha, beta=beta, axis=axis)


@register_builtin("losses")
class Dice(BuiltinLoss):
    """Reduced :func:`dice`; ``axis=None`` reduces each call to one value.

    Args:
        reduction: How per-sample losses are reduced: ``'sum_over_batch_size'``, ``'sum'``,
            ``'mean'``, ``'mean_with_sample_weight'`` or ``None``.
        name: Optional name of the instance.
        axis: Int axis.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> round(float(losses.Dice()(jnp.array([1.0, 0.0]), jnp.array([1.0, 1.0]))), 4)
        0.3333
    """

    def __init__(self, reduction=_R, name="dice", axis=None, dtype=None):
        super().__init__(dice, reduction, name, dtype, axis=axis)


__all__ = [
    "Dice", "Tversky", "dice", "tversky",
]
