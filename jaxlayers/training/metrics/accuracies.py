"""Accuracy metrics: exact, binary, categorical, sparse categorical and top-k."""

import jax.numpy as jnp

from jaxlayers.backend import floatx
from jaxlayers.core.serialization import register_builtin
from jaxlayers.training.losses.reduction import align_ranks
from jaxlayers.training.metrics.reduction import BuiltinMeanMetric, builtin_metric_function


@builtin_metric_function
def accuracy(y_true, y_pred):
    """1.0 where ``y_true == y_pred`` exactly, else 0.0.

    Args:
        y_true: Array of labels ``(batch, ...)``.
        y_pred: Array of predictions, shaped like ``y_true``.

    Example:
        >>> metrics.accuracy(jnp.array([1, 2, 3]), jnp.array([1, 2, 4]))
        Array([1., 1., 0.], dtype=float32)
    """
    y_pred = jnp.asarray(y_pred)
    y_true, y_pred = align_ranks(jnp.asarray(y_true).astype(y_pred.dtype), y_pred)
    return (y_true == y_pred).astype(floatx())


@builtin_metric_function
def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where ``y_pred > threshold`` agrees with the 0/1 label.

    Args:
        y_true: Array of labels ``(batch, ...)``.
        y_pred: Array of predictions, shaped like ``y_true``.
        threshold: Float decision threshold.

    Example:
        >>> metrics.binary_accuracy(jnp.array([[1], [0]]), jnp.array([[0.7], [0.6]]))
        Array([[1.],
               [0.]], dtype=float32)
    """
    y_true, y_pred = align_ranks(jnp.asarray(y_true), jnp.asarray(y_pred))
    predicted = (y_pred > threshold).astype(y_true.dtype)
    return (y_true == predicted).astype(floatx())


@builtin_metric_function
def categorical_accuracy(y_true, y_pred):
    """1.0 where the arg-max of the one-hot label and of ``y_pred`` agree.

    Args:
        y_true: Array of labels ``(batch, ...)``.
        y_pred: Array of predictions, shaped like ``y_true``.

    Example:
        >>> metrics.categorical_accuracy(jnp.array([[0, 1], [1, 0]]), jnp.array([[0.2, 0.8]] * 2))
        Array([1., 0.], dtype=float32)
    """
    y_true, y_pred = jnp.asarray(y_true), jnp.asarray(y_pred)
    return (jnp.argmax(y_true, axis=-1) == jnp.argmax(y_pred, axis=-1)).astype(floatx())


def _squeezed_ids(y_true, y_pred):
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = jnp.squeeze(y_true, axis=-1)
    return y_true


@builtin_metric_function
def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the integer label equals the arg-max of ``y_pred``.

    Args:
        y_true: Array of labels ``(batch, ...)``.
        y_pred: Array of predictions, shaped like ``y_true``.

    Example:
        >>> metrics.sparse_categorical_accuracy(jnp.array([1, 0]), jnp.array([[0.2, 0.8]] * 2))
        Array([1., 0.], dtype=float32)
    """
    y_true, y_pred = jnp.asarray(y_true), jnp.asarray(y_pred)
    ids = _squeezed_ids(y_true, y_pred)
    predicted = jnp.argmax(y_pred, axis=-1)
    return (ids.astype(jnp.float32) == predicted.astype(jnp.float32)).astype(floatx())


def _in_top_k(ids, scores, k):
    """Whether each id's score is among the ``k`` largest (ties count in its favour)."""
    picked = jnp.take_along_axis(scores, ids[:, None], axis=-1, mode="fill", fill_value=jnp.nan)
    picked = jnp.where(jnp.isnan(picked), -jnp.inf, picked)
    rank = 1 + jnp.sum(scores > picked, axis=-1)
    return rank <= k


@builtin_metric_function
def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """1.0 where the integer label is among the ``k`` highest scores.

    With ``from_sorted_ids=True``, ``y_pred`` holds class ids sorted by score
    (e.g. from ``jax.lax.top_k``) and the first ``k`` columns are searched.

    Args:
        y_true: Array of labels ``(batch, ...)``.
        y_pred: Array of predictions, shaped like ``y_true``.
        k: Positive int, how many top predictions count.
        from_sorted_ids: Whether ``y_pred`` already holds the top class ids, best first.

    Example:
        >>> scores = jnp.array([[0.1, 0.5, 0.4], [0.6, 0.3, 0.1]])
        >>> metrics.sparse_top_k_categorical_accuracy(jnp.array([2, 2]), scores, k=2)
        Array([1., 0.], dtype=float32)
    """
    y_true, y_pred = jnp.asarray(y_true), jnp.asarray(y_pred)
    out_shape = y_true.shape
    y_pred = jnp.reshape(y_pred, (-1, y_pred.shape[-1]))
    if from_sorted_ids:
        ids = jnp.reshape(y_true.astype(y_pred.dtype), (-1,))
        matches = jnp.any(ids[:, None] == y_pred[:, :k], axis=1)
    else:
        matches = _in_top_k(jnp.reshape(y_true.astype(jnp.int32), (-1,)), y_pred, k)
    return jnp.reshape(matches.astype(floatx()), out_shape)


@builtin_metric_function
def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the one-hot label's class is among the ``k`` highest scores.

    Args:
        y_true: Array of labels ``(batch, ...)``.
        y_pred: Array of predictions, shaped like ``y_true``.
        k: Positive int, how many top predictions count.

    Example:
        >>> scores = jnp.array([[0.1, 0.5, 0.4], [0.6, 0.3, 0.1]])
        >>> metrics.top_k_categorical_accuracy(jnp.eye(3)[jnp.array([2, 2])], scores, k=2)
        Array([1., 0.], dtype=float32)
    """
    ids = jnp.argmax(jnp.asarray(y_true), axis=-1)
    return sparse_top_k_categorical_accuracy(ids, y_pred, k=k)


@register_builtin("metrics")
class Accuracy(BuiltinMeanMetric):
    """How often predictions equal labels exactly (see :func:`accuracy`).

    Args:
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> m = metrics.Accuracy()
        >>> float(m(jnp.array([1, 2, 3, 4]), jnp.array([0, 2, 3, 4])))
        0.75
    """

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name, dtype)


@register_builtin("metrics")
class BinaryAccuracy(BuiltinMeanMetric):
    """How often ``y_pred > threshold`` matches 0/1 labels.

    Args:
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.
        threshold: Float decision threshold.

    Example:
        >>> m = metrics.BinaryAccuracy()
        >>> float(m(jnp.array([[1], [1], [0], [0]]), jnp.array([[0.98], [1], [0], [0.6]])))
        0.75
    """

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name, dtype, threshold=threshold)


@register_builtin("metrics")
class CategoricalAccuracy(BuiltinMeanMetric):
    """How often the arg-max of ``y_pred`` matches one-hot labels.

    Args:
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> m = metrics.CategoricalAccuracy()
        >>> scores = jnp.array([[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
        >>> float(m(jnp.array([[0, 0, 1], [0, 1, 0]]), scores))
        0.5
    """

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name, dtype)


@register_builtin("metrics")
class SparseCategoricalAccuracy(BuiltinMeanMetric):
    """How often the arg-max of ``y_pred`` matches integer labels.

    Args:
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> m = metrics.SparseCategoricalAccuracy()
        >>> float(m(jnp.array([[2], [1]]), jnp.array([[0.1, 0.6, 0.3], [0.05, 0.95, 0]])))
        0.5
    """

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name, dtype)


@register_builtin("metrics")
class TopKCategoricalAccuracy(BuiltinMeanMetric):
    """How often the one-hot label's class is in the top ``k`` predictions.

    Args:
        k: Positive int, how many top predictions count.
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> m = metrics.TopKCategoricalAccuracy(k=1)
        >>> scores = jnp.array([[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
        >>> float(m(jnp.array([[0, 0, 1], [0, 1, 0]]), scores))
        0.5
    """

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name, dtype, k=k)


@register_builtin("metrics")
class SparseTopKCategoricalAccuracy(BuiltinMeanMetric):
    """How often the integer label is in the top ``k`` predictions.

    Args:
        k: Positive int, how many top predictions count.
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.
        from_sorted_ids: Whether ``y_pred`` already holds the top class ids, best first.

    Example:
        >>> m = metrics.SparseTopKCategoricalAccuracy(k=1)
        >>> float(m(jnp.array([2, 1]), jnp.array([[0.1, 0.9, 0.8], [0.05, 0.95, 0]])))
        0.5
    """

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None,
                 from_sorted_ids=False):
        super().__init__(sparse_top_k_categorical_accuracy, name, dtype, k=k,
                         from_sorted_ids=from_sorted_ids)

    def get_config(self):
        config = super().get_config()
        if not self.from_sorted_ids:
            del config["from_sorted_ids"]
        return config


__all__ = [
    "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy", "accuracy", "binary_accuracy",
    "categorical_accuracy", "sparse_categorical_accuracy", "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
]
