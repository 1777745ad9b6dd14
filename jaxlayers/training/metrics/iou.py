"""Intersection-over-union metrics from a confusion matrix: IoU, MeanIoU and their variants.

Each metric accumulates a ``(num_classes, num_classes)`` confusion matrix
(rows: labels, columns: predictions), weighted by ``sample_weight``. The IoU of
class ``c`` is ``tp / (tp + fp + fn)``; the result is the mean over the target
classes that occurred (in labels or predictions). As in Keras the matrix is
integer by default (``dtype=None``), so float sample weights are truncated:
pass ``dtype="float32"`` for fractional weights. Labels or predictions outside
``[0, num_classes)``, and labels equal to ``ignore_class``, are left out.

Example:
    >>> m = metrics.MeanIoU(num_classes=2)
    >>> round(float(m(jnp.array([0, 0, 1, 1]), jnp.array([0, 1, 0, 1]))), 4)
    0.3333
"""

import warnings

import jax
import jax.numpy as jnp

from jaxlayers.backend import epsilon
from jaxlayers.core import args as _args
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError
from jaxlayers.training.losses.checks import check_axis
from jaxlayers.training.metrics.base import Metric


def _default_int():
    """Keras's ``"int"``: the platform int JAX uses (int32 unless x64 is enabled)."""
    return jax.dtypes.canonicalize_dtype(jnp.int64).name


class _IoUBase(Metric):
    """The confusion-matrix state and update shared by the IoU metrics."""

    # Read by callbacks in mode="auto": larger is better (as Keras marks it).
    _direction = "up"

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(name=name, dtype=dtype or _default_int())
        owner = _args.owner(self)
        self.num_classes = _args.positive_int(owner, "num_classes", num_classes)
        if ignore_class is not None and not _args.is_int(ignore_class):
            raise ConfigError(
                f"{owner}: `ignore_class` must be None or an int. "
                f"Received: ignore_class={ignore_class!r}."
            )
        check_axis(owner, axis)
        self.ignore_class = ignore_class
        self.sparse_y_true = _args.boolean(owner, "sparse_y_true", sparse_y_true)
        self.sparse_y_pred = _args.boolean(owner, "sparse_y_pred", sparse_y_pred)
        self.axis = axis

    def init(self, y_true=None, y_pred=None):
        shape = (self.num_classes, self.num_classes)
        return {"total_confusion_matrix": jnp.zeros(shape, self.dtype)}

    def _class_ids(self, y_true, y_pred):
        """Labels and predictions as flat class ids (in the state dtype, not yet cast)."""
        if not self.sparse_y_true:
            y_true = jnp.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = jnp.argmax(y_pred, axis=self.axis)
        return (jnp.asarray(y_true).astype(self.dtype).reshape(-1),
                jnp.asarray(y_pred).astype(self.dtype).reshape(-1))

    def update(self, state, y_true, y_pred, sample_weight=None):
        labels, preds = self._class_ids(y_true, y_pred)
        if sample_weight is None:
            weights = jnp.ones_like(labels)
        else:
            sample_weight = jnp.asarray(sample_weight)
            if (jnp.issubdtype(sample_weight.dtype, jnp.floating)
                    and jnp.issubdtype(self.dtype, jnp.integer)):
                warnings.warn(
                    f"{type(self).__name__} '{self.name}': float sample weights are truncated "
                    f"to the integer state dtype {self.dtype}; pass dtype='float32' to keep "
                    "fractional weights.",
                    stacklevel=2,
                )
            weights = sample_weight.astype(self.dtype)
            weights = jnp.broadcast_to(weights.reshape(-1) if weights.ndim > 1 else weights,
                                       labels.shape)
        valid = (labels >= 0) & (labels < self.num_classes) & (preds >= 0) & (
            preds < self.num_classes)
        if self.ignore_class is not None:
            valid = valid & (labels != self.ignore_class)
        labels = jnp.where(valid, labels, 0).astype(jnp.int32)
        preds = jnp.where(valid, preds, 0).astype(jnp.int32)
        weights = jnp.where(valid, weights, jnp.zeros_like(weights))
        matrix = state["total_confusion_matrix"].at[labels, preds].add(weights)
        return {"total_confusion_matrix": matrix}

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


def _check_targets(owner, target_class_ids, num_classes):
    ids = list(target_class_ids) if isinstance(target_class_ids, (list, tuple)) else None
    if not ids or not all(_args.is_int(i) and 0 <= i < num_classes for i in ids):
        raise ConfigError(
            f"{owner}: `target_class_ids` must be a non-empty list of class ids in "
            f"[0, {num_classes}). Received: target_class_ids={target_class_ids!r}."
        )
    return [int(i) for i in ids]


@register_builtin("metrics")
class IoU(_IoUBase):
    """Mean intersection-over-union of the classes in ``target_class_ids``.

    Args:
        num_classes: Number of classes; the state is a
            ``(num_classes, num_classes)`` confusion matrix.
        target_class_ids: List of the class ids whose IoUs are averaged (one id
            gives that class's IoU).
        name: Name of the metric.
        dtype: Dtype of the confusion matrix; Keras's int by default.
        ignore_class: Optional label id left out (e.g. a "void" class).
        sparse_y_true: Whether labels are class ids; if False, the arg-max
            along ``axis`` is taken.
        sparse_y_pred: Whether predictions are class ids; if False, the arg-max
            along ``axis`` is taken.
        axis: The class axis of dense labels or predictions.

    Example:
        >>> m = metrics.IoU(num_classes=2, target_class_ids=[0])
        >>> round(float(m(jnp.array([0, 0, 1, 1]), jnp.array([0, 1, 0, 1]))), 4)
        0.3333
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)
        self.target_class_ids = _check_targets(_args.owner(self),
                                               target_class_ids, self.num_classes)

    def compute_result(self, state):
        matrix = state["total_confusion_matrix"].astype(jnp.float32)
        tp = jnp.diagonal(matrix)
        union = jnp.sum(matrix, axis=0) + jnp.sum(matrix, axis=1) - tp
        ids = jnp.asarray(self.target_class_ids, jnp.int32)
        tp, union = tp[ids], union[ids]
        present = union > 1e-9
        iou = jnp.where(present, tp / (union + epsilon()), 0.0)
        return jnp.sum(iou) / (jnp.sum(present.astype(jnp.float32)) + epsilon())

    def get_config(self):
        return {**super().get_config(), "target_class_ids": self.target_class_ids}


@register_builtin("metrics")
class BinaryIoU(IoU):
    """IoU of a binary task: ``y_pred >= threshold`` is class 1, below it class 0.

    Args:
        target_class_ids: ``[0]``, ``[1]`` or ``[0, 1]`` (the mean of both).
        threshold: Predictions at or above it count as class 1.
        name: Name of the metric.
        dtype: Dtype of the confusion matrix; Keras's int by default.

    Example:
        >>> m = metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
        >>> round(float(m(jnp.array([0, 1, 0, 1]), jnp.array([0.1, 0.2, 0.4, 0.7]))), 4)
        0.3333
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(2, target_class_ids, name=name, dtype=dtype)
        _args.finite_float(_args.owner(self), "threshold", threshold)
        self.threshold = threshold

    def _class_ids(self, y_true, y_pred):
        y_pred = jnp.asarray(y_pred).astype(jnp.float32) >= self.threshold
        return super()._class_ids(y_true, y_pred)

    def get_config(self):
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold,
                "name": self.name, "dtype": self.dtype}


@register_builtin("metrics")
class MeanIoU(IoU):
    """Mean IoU over all ``num_classes`` classes (arguments as :class:`IoU`).

    Args:
        num_classes: Positive int, the number of classes.
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.
        ignore_class: Optional int label whose entries are left out.
        sparse_y_true: Whether ``y_true`` holds class indices rather than one-hot rows.
        sparse_y_pred: Whether ``y_pred`` holds class indices rather than scores.
        axis: Int axis.

    Example:
        >>> m = metrics.MeanIoU(num_classes=2, dtype="float32")
        >>> w = jnp.array([0.3, 0.3, 0.3, 0.1])
        >>> round(float(m(jnp.array([0, 0, 1, 1]), jnp.array([0, 1, 0, 1]), sample_weight=w)), 4)
        0.2381
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        classes = num_classes if _args.is_int(num_classes) and num_classes > 0 else 1
        super().__init__(num_classes, list(range(classes)), name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["target_class_ids"]
        return config


@register_builtin("metrics")
class OneHotIoU(IoU):
    """:class:`IoU` for one-hot labels (and, by default, class scores as predictions).

    Args:
        num_classes: Positive int, the number of classes.
        target_class_ids: List of class ids averaged over.
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.
        ignore_class: Optional int label whose entries are left out.
        sparse_y_pred: Whether ``y_pred`` holds class indices rather than scores.
        axis: Int axis.

    Example:
        >>> m = metrics.OneHotIoU(num_classes=3, target_class_ids=[0, 2])
        >>> y = jnp.array([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]])
        >>> p = jnp.array([[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]])
        >>> round(float(m(y, p)), 4)
        0.1667
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config


@register_builtin("metrics")
class OneHotMeanIoU(MeanIoU):
    """:class:`MeanIoU` for one-hot labels (and, by default, class scores as predictions).

    Args:
        num_classes: Positive int, the number of classes.
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.
        ignore_class: Optional int label whose entries are left out.
        sparse_y_pred: Whether ``y_pred`` holds class indices rather than scores.
        axis: Int axis.

    Example:
        >>> m = metrics.OneHotMeanIoU(num_classes=3)
        >>> y = jnp.array([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]])
        >>> p = jnp.array([[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]])
        >>> round(float(m(y, p)), 4)
        0.1111
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config


__all__ = ["IoU", "MeanIoU", "BinaryIoU", "OneHotIoU", "OneHotMeanIoU"]
