"""Threshold metrics: confusion counts, Precision, Recall and AUC.

Each is a pure ``(init, update, result)`` triple like the metrics of
:mod:`jaxlayers.training.metrics` (which re-exports them). The counts follow
Keras 3: a prediction is positive when ``y_pred > threshold``; a label is
positive when it is non-zero. For evenly spaced thresholds (AUC's default)
the counts come from one bucketing pass instead of a ``thresholds x batch``
comparison, as in Keras, so memory stays linear in the batch.

Example:
    >>> m = metrics.AUC(num_thresholds=3)
    >>> state = m.update(m.init(), jnp.array([0, 0, 1, 1]), jnp.array([0.0, 0.5, 0.3, 0.9]))
    >>> float(m.result(state))
    0.75
"""

import jax
import jax.numpy as jnp
import numpy as np

from jaxlayers.backend import epsilon
from jaxlayers.core import args as _args
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError, ConfigTypeError, ShapeError
from jaxlayers.training.losses.reduction import align_ranks, divide_no_nan
from jaxlayers.training.metrics.base import Metric

_NEG_INF = -1e10


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple, np.ndarray)) else [x]


def _parse_thresholds(owner, thresholds, default):
    if thresholds is None:
        return [float(default)]
    values = _as_list(thresholds)
    bad = [t for t in values if t is None or not 0.0 <= float(t) <= 1.0]
    if bad or not values:
        raise ConfigError(
            f"{owner}: `thresholds` must be a float or a non-empty list of floats in [0, 1]. "
            f"Received: thresholds={thresholds!r}."
        )
    return [float(t) for t in values]


def check_class_id(owner, class_id):
    """``class_id`` if it is ``None`` or an int, else a ``ConfigTypeError`` naming ``owner``."""
    if class_id is not None and not _args.is_int(class_id):
        raise ConfigTypeError(
            f"{owner}: `class_id` must be None or an int. Received: class_id={class_id!r}."
        )
    return None if class_id is None else int(class_id)


def _evenly_spaced(thresholds):
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(thresholds, even, atol=epsilon()))


def _keep_top_k(y_pred, k):
    """Leaves the ``k`` largest scores of each row and sets the others very low."""
    _, idx = jax.lax.top_k(y_pred, k)
    keep = jnp.sum(jax.nn.one_hot(idx, y_pred.shape[-1], dtype=y_pred.dtype), axis=-2)
    return y_pred * keep + _NEG_INF * (1 - keep)


def _bucket_counts(labels, y_pred, weights, num_thresholds, with_epsilon, multi_label):
    """tp/fp per evenly spaced threshold from one bucketing pass (Keras's fast path)."""
    y_pred = jnp.clip(y_pred, 0.0, 1.0)
    positives, negatives = labels * weights, (1.0 - labels) * weights
    bucket = jnp.ceil(y_pred * (num_thresholds - 1)) - 1
    if with_epsilon:
        bucket = jnp.maximum(bucket, 0)
    bucket = bucket.astype(jnp.int32)

    def cumulative(values, ids):
        per_bucket = jax.ops.segment_sum(values, ids, num_segments=num_thresholds)
        return jnp.flip(jnp.cumsum(jnp.flip(per_bucket)))

    if multi_label:
        per_label = jax.vmap(cumulative)
        tp = per_label(positives.T, bucket.T).T
        fp = per_label(negatives.T, bucket.T).T
        return tp, fp, jnp.sum(positives, axis=0), jnp.sum(negatives, axis=0)
    return cumulative(positives, bucket), cumulative(negatives, bucket), jnp.sum(
        positives), jnp.sum(negatives)


def confusion_counts(
    y_true,
    y_pred,
    thresholds,
    sample_weight=None,
    top_k=None,
    class_id=None,
    multi_label=False,
    label_weights=None,
    evenly_spaced=None,
    dtype="float32",
):
    """Weighted true/false positive/negative counts at each threshold.

    Args:
        y_true: Labels; non-zero means positive.
        y_pred: Scores, usually in ``[0, 1]``.
        thresholds: Python list of floats.
        sample_weight: Optional weights, ``(batch,)`` or ``y_pred``'s shape.
        top_k: Keep only each row's ``top_k`` scores before thresholding.
        class_id: Count only this column of ``(batch, num_classes)`` inputs.
        multi_label: Count each column separately: results ``(T, labels)``.
        label_weights: Optional per-column weights (not with ``multi_label``).
        evenly_spaced: Whether ``thresholds`` are ``i / (T - 1)`` (possibly with
            the end points moved by epsilon); computed when ``None``.
        dtype: Dtype of the counts.

    Returns:
        Dict ``{"tp", "fp", "tn", "fn"}`` of arrays of shape ``(T,)`` (or
        ``(T, labels)`` with ``multi_label``).

    Example:
        >>> c = confusion_counts(
        ...     jnp.array([1, 0, 1]), jnp.array([0.8, 0.6, 0.2]), [0.5])
        >>> {k: float(v[0]) for k, v in c.items()}
        {'tp': 1.0, 'fp': 1.0, 'tn': 0.0, 'fn': 1.0}
    """
    y_true = jnp.asarray(y_true).astype(dtype)
    y_pred = jnp.asarray(y_pred).astype(dtype)
    y_pred, y_true = align_ranks(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = jnp.asarray(sample_weight).astype(dtype)[..., None]
        _, sample_weight = align_ranks(y_true, sample_weight, expand_rank_1=False)
    if top_k is not None:
        y_pred = _keep_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim < 2:
            raise ShapeError(
                f"confusion_counts: with class_id={class_id}, y_pred must have shape "
                f"(batch, num_classes). Received: y_pred.shape={y_pred.shape}."
            )
        # An index past the end would be clamped to the last class, silently.
        if not -y_pred.shape[-1] <= class_id < y_pred.shape[-1]:
            raise ShapeError(
                f"confusion_counts: class_id={class_id} is not a class of y_pred with "
                f"{y_pred.shape[-1]} classes. Received: y_pred.shape={y_pred.shape}."
            )
        y_true, y_pred = y_true[..., class_id, None], y_pred[..., class_id, None]
    weights = jnp.ones_like(y_pred) if sample_weight is None else jnp.broadcast_to(
        sample_weight, y_pred.shape)
    if label_weights is not None and not multi_label:
        weights = weights * jnp.broadcast_to(jnp.asarray(label_weights, dtype), y_pred.shape)
    labels = (y_true != 0).astype(dtype)
    if not multi_label:
        labels, y_pred, weights = labels.reshape(-1), y_pred.reshape(-1), weights.reshape(-1)
    if evenly_spaced is None:
        evenly_spaced = _evenly_spaced(thresholds)
    if evenly_spaced:
        with_epsilon = thresholds[0] < 0.0 or thresholds[-1] > 1.0
        tp, fp, pos, neg = _bucket_counts(
            labels, y_pred, weights, len(thresholds), with_epsilon, multi_label)
        return {"tp": tp, "fp": fp, "tn": neg - fp, "fn": pos - tp}
    t = jnp.asarray(thresholds, dtype).reshape((-1,) + (1,) * y_pred.ndim)
    predicted = (y_pred[None] > t).astype(dtype)
    positives, negatives = (labels * weights)[None], ((1 - labels) * weights)[None]
    return {
        "tp": jnp.sum(positives * predicted, axis=1),
        "fp": jnp.sum(negatives * predicted, axis=1),
        "tn": jnp.sum(negatives * (1 - predicted), axis=1),
        "fn": jnp.sum(positives * (1 - predicted), axis=1),
    }


def zero_counts(shape, dtype):
    """A state of the four confusion counts, named as Keras names its variables.

    Args:
        shape: Shape of each count (one entry per threshold).
        dtype: The counts' dtype.

    Example:
        >>> sorted(zero_counts((2,), 'float32'))
        ['false_negatives', 'false_positives', 'true_negatives', 'true_positives']
    """
    zeros = jnp.zeros(shape, dtype)
    return {"true_positives": zeros, "false_positives": zeros,
            "true_negatives": zeros, "false_negatives": zeros}


def add_counts(state, counts):
    """``state`` of :func:`zero_counts` plus the ``counts`` of :func:`confusion_counts`.

    Args:
        state: Dict of the four running totals.
        counts: Dict with ``tp``, ``fp``, ``tn`` and ``fn`` of one batch.

    Returns:
        The new state dict.

    Example:
        >>> state = add_counts(zero_counts((), "float32"), {"tp": 1, "fp": 2, "tn": 3, "fn": 4})
        >>> {name: int(value) for name, value in state.items()}
        {'true_positives': 1, 'false_positives': 2, 'true_negatives': 3, 'false_negatives': 4}
    """
    return {
        "true_positives": state["true_positives"] + counts["tp"],
        "false_positives": state["false_positives"] + counts["fp"],
        "true_negatives": state["true_negatives"] + counts["tn"],
        "false_negatives": state["false_negatives"] + counts["fn"],
    }


class _ConfusionCount(Metric):
    _key = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = _parse_thresholds(type(self).__name__, thresholds, 0.5)
        self._evenly = _evenly_spaced(self.thresholds)

    def init(self, y_true=None, y_pred=None):
        return {"accumulator": jnp.zeros((len(self.thresholds),), self.dtype)}

    def update(self, state, y_true, y_pred, sample_weight=None):
        counts = confusion_counts(y_true, y_pred, self.thresholds, sample_weight,
                                  evenly_spaced=self._evenly, dtype=self.dtype)
        return {"accumulator": state["accumulator"] + counts[self._key]}

    def compute_result(self, state):
        acc = state["accumulator"]
        return acc[0] if len(self.thresholds) == 1 else acc

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


@register_builtin("metrics")
class TruePositives(_ConfusionCount):
    """Weighted count of positive labels predicted positive (``y_pred > threshold``).

    Args:
        thresholds: A float or list of floats in ``[0, 1]`` (default 0.5); with
            a list the result has one count per threshold.

    Example:
        >>> float(metrics.TruePositives()(jnp.array([0, 1, 1, 1]), jnp.array([1, 0, 1, 1])))
        2.0
    """

    _key = "tp"


@register_builtin("metrics")
class FalsePositives(_ConfusionCount):
    """Weighted count of negative labels predicted positive.

    Args:
        thresholds: Float or list of floats in ``[0, 1]``; ``None`` means 0.5.
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> float(metrics.FalsePositives()(jnp.array([0, 1, 0, 0]), jnp.array([0, 0, 1, 1])))
        2.0
    """

    _key = "fp"


@register_builtin("metrics")
class TrueNegatives(_ConfusionCount):
    """Weighted count of negative labels predicted negative.

    Args:
        thresholds: Float or list of floats in ``[0, 1]``; ``None`` means 0.5.
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> float(metrics.TrueNegatives()(jnp.array([0, 1, 0, 0]), jnp.array([1, 1, 0, 0])))
        2.0
    """

    _key = "tn"


@register_builtin("metrics")
class FalseNegatives(_ConfusionCount):
    """Weighted count of positive labels predicted negative.

    Args:
        thresholds: Float or list of floats in ``[0, 1]``; ``None`` means 0.5.
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> float(metrics.FalseNegatives()(jnp.array([0, 1, 1, 1]), jnp.array([0, 1, 0, 0])))
        2.0
    """

    _key = "fn"


class _PrecisionRecall(Metric):
    _other = None

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = check_class_id(_args.owner(self), class_id)
        default = 0.5 if top_k is None else _NEG_INF
        self.thresholds = _parse_thresholds(type(self).__name__, thresholds, default)
        self._evenly = _evenly_spaced(self.thresholds)

    def init(self, y_true=None, y_pred=None):
        zeros = jnp.zeros((len(self.thresholds),), self.dtype)
        return {"true_positives": zeros, self._other[1]: zeros}

    def update(self, state, y_true, y_pred, sample_weight=None):
        counts = confusion_counts(y_true, y_pred, self.thresholds, sample_weight,
                                  top_k=self.top_k, class_id=self.class_id,
                                  evenly_spaced=self._evenly, dtype=self.dtype)
        key, name = self._other
        return {
            "true_positives": state["true_positives"] + counts["tp"],
            name: state[name] + counts[key],
        }

    def compute_result(self, state):
        tp = state["true_positives"]
        value = divide_no_nan(tp, tp + state[self._other[1]])
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds,
                "top_k": self.top_k, "class_id": self.class_id}


@register_builtin("metrics")
class Precision(_PrecisionRecall):
    """Precision ``tp / (tp + fp)`` at one or more thresholds.

    Args:
        thresholds: Float or list of floats in ``[0, 1]``; default 0.5, or no
            threshold (every kept score counts) when ``top_k`` is set.
        top_k: Only each row's ``top_k`` scores can be positive.
        class_id: Only this class column is evaluated.

    Example:
        >>> float(metrics.Precision()(jnp.array([0, 1, 1, 1]), jnp.array([1, 0, 1, 1])))
        0.6666666865348816
    """

    _other = ("fp", "false_positives")


@register_builtin("metrics")
class Recall(_PrecisionRecall):
    """Recall ``tp / (tp + fn)`` at one or more thresholds (arguments as Precision).

    Args:
        thresholds: Float or list of floats in ``[0, 1]``; ``None`` means 0.5.
        top_k: Optional int: only the top ``k`` predictions count as positive.
        class_id: Optional int: only this class's column counts.
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> float(metrics.Recall()(jnp.array([0, 1, 1, 1]), jnp.array([1, 0, 1, 1])))
        0.6666666865348816
    """

    _other = ("fn", "false_negatives")


_CURVES = {"roc": "ROC", "pr": "PR", "prgain": "PRGAIN"}
_SUMMATIONS = ("interpolation", "majoring", "minoring")


@register_builtin("metrics")
class AUC(Metric):
    """Area under the ROC or precision-recall curve, from counts at fixed thresholds.

    Args:
        num_thresholds: Number of thresholds (> 1), evenly spaced on ``[0, 1]``.
        curve: ``"ROC"``, ``"PR"`` or ``"PRGAIN"``.
        summation_method: ``"interpolation"`` (trapezoids; for PR the
            interpolation of Davis & Goadrich, 2006), ``"minoring"`` or
            ``"majoring"``.
        name: Name of the metric.
        dtype: Dtype of the state.
        thresholds: Explicit thresholds in ``[0, 1]``, used instead of
            ``num_thresholds`` (0 and 1 are added, each moved by epsilon).
        multi_label: One curve per label column, averaged (weighted by
            ``label_weights``); otherwise all columns are pooled.
        num_labels: Number of label columns with ``multi_label``, to size the
            state without example inputs.
        label_weights: Optional per-label weights.
        from_logits: Apply a sigmoid to ``y_pred`` first.

    Example:
        >>> m = metrics.AUC(num_thresholds=3)
        >>> float(m(jnp.array([0, 0, 1, 1]), jnp.array([0.0, 0.5, 0.3, 0.9])))
        0.75
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        super().__init__(name=name, dtype=dtype)
        owner = f"AUC '{self.name}'"
        if str(curve).lower() not in _CURVES:
            raise ConfigError(
                f"{owner}: `curve` must be one of {list(_CURVES.values())}. "
                f"Received: curve={curve!r}."
            )
        if str(summation_method).lower() not in _SUMMATIONS:
            raise ConfigError(
                f"{owner}: `summation_method` must be one of {list(_SUMMATIONS)}. "
                f"Received: summation_method={summation_method!r}."
            )
        if num_labels and not multi_label:
            raise ConfigError(
                f"{owner}: `num_labels` is only used with multi_label=True. "
                f"Received: num_labels={num_labels!r}, multi_label={multi_label!r}."
            )
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(_parse_thresholds(owner, thresholds, 0.5))
            self.num_thresholds = len(inner) + 2
            self._evenly = _evenly_spaced([0.0] + inner + [1.0])
        else:
            if not isinstance(num_thresholds, (int, np.integer)) or num_thresholds <= 1:
                raise ConfigError(
                    f"{owner}: `num_thresholds` must be an int > 1. "
                    f"Received: num_thresholds={num_thresholds!r}."
                )
            self.num_thresholds = int(num_thresholds)
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._evenly = True
        self._thresholds = [0.0 - epsilon()] + inner + [1.0 + epsilon()]
        self.curve = _CURVES[str(curve).lower()]
        self.summation_method = str(summation_method).lower()
        self.multi_label = bool(multi_label)
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else [float(w) for w in label_weights]
        self.from_logits = from_logits

    @property
    def thresholds(self):
        return list(self._thresholds)

    @property
    def _state_needs_shapes(self):
        return self.multi_label and not self.num_labels

    def init(self, y_true=None, y_pred=None):
        shape = (self.num_thresholds,)
        if self.multi_label:
            labels = self.num_labels
            if not labels:
                if y_pred is None or len(y_pred.shape) != 2:
                    got = None if y_pred is None else tuple(y_pred.shape)
                    raise ShapeError(
                        f"AUC '{self.name}' with multi_label=True needs the number of labels "
                        "to size its state: pass num_labels=..., or init(y_true, y_pred) with "
                        f"y_pred of shape (batch, num_labels). Received: y_pred.shape={got}."
                    )
                labels = y_pred.shape[1]
            shape = (self.num_thresholds, labels)
        return zero_counts(shape, self.dtype)

    def update(self, state, y_true, y_pred, sample_weight=None):
        y_pred = jnp.asarray(y_pred)
        if self.multi_label and y_pred.ndim != 2:
            raise ShapeError(
                f"AUC '{self.name}' with multi_label=True expects y_pred of shape "
                f"(batch, num_labels). Received: y_pred.shape={y_pred.shape}."
            )
        if self.from_logits:
            y_pred = jax.nn.sigmoid(y_pred)
        label_weights = None if self.multi_label else self.label_weights
        counts = confusion_counts(y_true, y_pred, self._thresholds, sample_weight,
                                  multi_label=self.multi_label, label_weights=label_weights,
                                  evenly_spaced=self._evenly, dtype=self.dtype)
        return add_counts(state, counts)

    def _average(self, per_threshold):
        if not self.multi_label:
            return jnp.sum(per_threshold)
        by_label = jnp.sum(per_threshold, axis=0)
        if self.label_weights is None:
            return jnp.mean(by_label)
        weights = jnp.asarray(self.label_weights, by_label.dtype)
        return divide_no_nan(jnp.sum(by_label * weights), jnp.sum(weights))

    def _interpolated_pr_auc(self, tp, fp, fn):
        # Precision is interpolated linearly in tp between thresholds (Davis & Goadrich).
        d_tp = tp[:-1] - tp[1:]
        p = tp + fp
        d_p = p[:-1] - p[1:]
        slope = divide_no_nan(d_tp, jnp.maximum(d_p, 0))
        intercept = tp[1:] - slope * p[1:]
        both_positive = (p[:-1] > 0) & (p[1:] > 0)
        ratio = jnp.where(both_positive, divide_no_nan(p[:-1], jnp.maximum(p[1:], 0)),
                          jnp.ones_like(p[1:]))
        area = slope * (d_tp + intercept * jnp.log(ratio))
        return self._average(divide_no_nan(area, jnp.maximum(tp[1:] + fn[1:], 0)))

    def compute_result(self, state):
        tp, fp = state["true_positives"], state["false_positives"]
        tn, fn = state["true_negatives"], state["false_negatives"]
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolated_pr_auc(tp, fp, fn)
        recall = divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, divide_no_nan(tp, tp + fp)
        else:
            scale = divide_no_nan(tp + fn, tn + fp)
            recall_gain = 1.0 - scale * divide_no_nan(fn, tp)
            precision_gain = 1.0 - scale * divide_no_nan(fp, tp)
            x = jnp.maximum(jnp.where(tp == 0, 0.0, recall_gain), 0.0)
            y = jnp.where(tp == 0, 1.0, precision_gain)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = jnp.minimum(y[:-1], y[1:])
        else:
            heights = jnp.maximum(y[:-1], y[1:])
        return self._average((x[:-1] - x[1:]) * heights)

    def get_config(self):
        config = {
            **super().get_config(), "num_thresholds": self.num_thresholds, "curve": self.curve,
            "summation_method": self.summation_method, "multi_label": self.multi_label,
            "num_labels": self.num_labels, "label_weights": self.label_weights,
            "from_logits": self.from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config



__all__ = [
    "AUC", "Precision", "Recall", "TruePositives", "TrueNegatives", "FalsePositives",
    "FalseNegatives", "confusion_counts", "zero_counts", "add_counts",
]
