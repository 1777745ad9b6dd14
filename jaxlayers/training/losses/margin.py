"""Margin (hinge) losses for -1/1 (or 0/1) labels: hinge, squared hinge, categorical hinge."""

import jax.numpy as jnp

from jaxlayers.core.serialization import register_builtin
from jaxlayers.training.losses.base import BuiltinLoss, builtin_function
from jaxlayers.training.losses.checks import prepare

_R = "sum_over_batch_size"


def _signed_labels(y_true):
    """Maps 0/1 labels to -1/1; labels already in -1/1 (or anything else) stay."""
    is_binary = jnp.all((y_true == 0) | (y_true == 1))
    return jnp.where(is_binary, 2.0 * y_true - 1.0, y_true)


@builtin_function()
def hinge(y_true, y_pred):
    """Hinge loss ``mean(max(1 - y * p, 0))``; 0/1 labels are mapped to -1/1.

    Args:
        y_true: Array of labels ``(batch, ...)``.
        y_pred: Array of predictions, shaped like ``y_true``.

    Example:
        >>> losses.hinge(jnp.array([[1.0, 0.0]]), jnp.array([[0.5, -2.0]]))
        Array([0.25], dtype=float32)
    """
    y_true, y_pred = prepare("elementwise", "hinge", y_true, y_pred)
    return jnp.mean(jnp.maximum(1.0 - _signed_labels(y_true) * y_pred, 0.0), axis=-1)


@builtin_function()
def squared_hinge(y_true, y_pred):
    """Squared hinge loss ``mean(max(1 - y * p, 0) ** 2)``; 0/1 labels map to -1/1.

    Args:
        y_true: Array of labels ``(batch, ...)``.
        y_pred: Array of predictions, shaped like ``y_true``.

    Example:
        >>> losses.squared_hinge(jnp.array([[1.0, 0.0]]), jnp.array([[0.5, -2.0]]))
        Array([0.125], dtype=float32)
    """
    y_true, y_pred = prepare("elementwise", "squared_hinge", y_true, y_pred)
    margin = jnp.maximum(1.0 - _signed_labels(y_true) * y_pred, 0.0)
    return jnp.mean(jnp.square(margin), axis=-1)


@builtin_function()
def categorical_hinge(y_true, y_pred):
    """``max(max_wrong - true_score + 1, 0)`` for one-hot ``y_true``.

    Args:
        y_true: Array of labels ``(batch, ...)``.
        y_pred: Array of predictions, shaped like ``y_true``.

    Example:
        >>> losses.categorical_hinge(jnp.array([[0.0, 1.0]]), jnp.array([[0.3, 0.8]]))
        Array([0.5], dtype=float32)
    """
    y_true, y_pred = prepare("elementwise", "categorical_hinge", y_true, y_pred)
    positive = jnp.sum(y_true * y_pred, axis=-1)
    negative = jnp.max((1.0 - y_true) * y_pred, axis=-1)
    return jnp.maximum(negative - positive + 1.0, 0.0)


@register_builtin("losses")
class Hinge(BuiltinLoss):
    """Reduced :func:`hinge`.

    Args:
        reduction: How per-sample losses are reduced: ``'sum_over_batch_size'``, ``'sum'``,
            ``'mean'``, ``'mean_with_sample_weight'`` or ``None``.
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> float(losses.Hinge()(jnp.array([[1.0, 0.0]]), jnp.array([[0.5, -2.0]])))
        0.25
    """

    def __init__(self, reduction=_R, name="hinge", dtype=None):
        super().__init__(hinge, reduction, name, dtype)


@register_builtin("losses")
class SquaredHinge(BuiltinLoss):
    """Reduced :func:`squared_hinge`.

    Args:
        reduction: How per-sample losses are reduced: ``'sum_over_batch_size'``, ``'sum'``,
            ``'mean'``, ``'mean_with_sample_weight'`` or ``None``.
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> float(losses.SquaredHinge()(jnp.array([[1.0, 0.0]]), jnp.array([[0.5, -2.0]])))
        0.125
    """

    def __init__(self, reduction=_R, name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, reduction, name, dtype)


@register_builtin("losses")
class CategoricalHinge(BuiltinLoss):
    """Reduced :func:`categorical_hinge`.

    Args:
        reduction: How per-sample losses are reduced: ``'sum_over_batch_size'``, ``'sum'``,
            ``'mean'``, ``'mean_with_sample_weight'`` or ``None``.
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> float(losses.CategoricalHinge()(jnp.array([[0.0, 1.0]]), jnp.array([[0.3, 0.8]])))
        0.5
    """

    def __init__(self, reduction=_R, name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, reduction, name, dtype)


__all__ = [
    "Hinge", "SquaredHinge", "CategoricalHinge", "hinge", "squared_hinge", "categorical_hinge",
]
