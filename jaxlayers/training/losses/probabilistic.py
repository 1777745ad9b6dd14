"""Probabilistic losses: binary, categorical, sparse and focal crossentropies; KLD; Poisson."""

import jax
import jax.numpy as jnp

from jaxlayers.backend import epsilon
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError
from jaxlayers.training.losses.base import BuiltinLoss, builtin_function
from jaxlayers.training.losses.checks import check_axis, prepare

_R = "sum_over_batch_size"


def _binary_xent(y_true, y_pred, from_logits):
    if from_logits:
        return -(y_true * jax.nn.log_sigmoid(y_pred) + (1 - y_true) * jax.nn.log_sigmoid(-y_pred))
    eps = epsilon()
    p = jnp.clip(y_pred, eps, 1.0 - eps)
    return -(y_true * jnp.log(p) + (1 - y_true) * jnp.log1p(-p))


def _class_log_probs(y_pred, from_logits, axis):
    if from_logits:
        return jax.nn.log_softmax(y_pred, axis=axis)
    eps = epsilon()
    p = y_pred / jnp.sum(y_pred, axis=axis, keepdims=True)
    return jnp.log(jnp.clip(p, eps, 1.0 - eps))


@builtin_function(kind="binary", aliases=("bce", "BCE"))
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary crossentropy, averaged over ``axis``: one value per sample.

    Args:
        y_true: 0/1 (or soft) labels, same shape as ``y_pred``.
        y_pred: Probabilities, or logits when ``from_logits=True``.
        from_logits: Whether ``y_pred`` holds logits.
        label_smoothing: In ``[0, 1]``; labels move towards 0.5 by this amount.
        axis: The axis averaged over.

    Example:
        >>> y = jnp.array([[0.0, 1.0], [0.0, 0.0]])
        >>> p = jnp.array([[0.6, 0.4], [0.4, 0.6]])
        >>> losses.binary_crossentropy(y, p).round(4)
        Array([0.9163, 0.7136], dtype=float32)
    """
    y_true, y_pred = prepare("binary", "binary_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return jnp.mean(_binary_xent(y_true, y_pred, from_logits), axis=axis)


@builtin_function(kind="binary")
def binary_focal_crossentropy(
    y_true,
    y_pred,
    apply_class_balancing=False,
    alpha=0.25,
    gamma=2.0,
    from_logits=False,
    label_smoothing=0.0,
    axis=-1,
):
    """Binary focal crossentropy (Lin et al., 2017), averaged over ``axis``.

    Each element's crossentropy is scaled by ``(1 - p_t) ** gamma``, where
    ``p_t`` is the probability given to the true label; with
    ``apply_class_balancing`` positives are also weighted by ``alpha`` and
    negatives by ``1 - alpha``.

    Args:
        y_true: Array of labels ``(batch, ...)``.
        y_pred: Array of predictions, shaped like ``y_true``.
        apply_class_balancing: Whether to weight positives by ``alpha`` and negatives by ``1
            - alpha``.
        alpha: Float weight (see the summary).
        gamma: Float focusing exponent (see the summary).
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: Float in ``[0, 1]``: labels move this far toward uniform.
        axis: Int axis.

    Example:
        >>> y = jnp.array([[0.0, 1.0]])
        >>> losses.binary_focal_crossentropy(y, jnp.array([[0.4, 0.6]]), gamma=2.0).round(4)
        Array([0.0817], dtype=float32)
    """
    y_true, y_pred = prepare("binary", "binary_focal_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = jax.nn.sigmoid(y_pred)
    p_t = y_true * y_pred + (1 - y_true) * (1 - y_pred)
    focal = jnp.power(1.0 - p_t, gamma) * _binary_xent(y_true, y_pred, from_logits=False)
    if apply_class_balancing:
        focal = (y_true * alpha + (1 - y_true) * (1 - alpha)) * focal
    return jnp.mean(focal, axis=axis)


@builtin_function(kind="categorical")
def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Crossentropy between one-hot (or soft) labels and class probabilities.

    Args:
        y_true: One-hot labels, same shape as ``y_pred``.
        y_pred: Probabilities (renormalized along ``axis``), or logits.
        from_logits: Whether ``y_pred`` holds logits.
        label_smoothing: In ``[0, 1]``; mixes the labels with the uniform
            distribution over the ``y_pred.shape[axis]`` classes.
        axis: The class axis.

    Example:
        >>> y = jnp.array([[0.0, 1.0, 0.0]])
        >>> losses.categorical_crossentropy(y, jnp.array([[0.05, 0.9, 0.05]])).round(4)
        Array([0.1054], dtype=float32)
    """
    check_axis("categorical_crossentropy", axis)
    y_true, y_pred = prepare("categorical", "categorical_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_pred.shape[axis]
    return -jnp.sum(y_true * _class_log_probs(y_pred, from_logits, axis), axis=axis)


@builtin_function(kind="categorical")
def categorical_focal_crossentropy(
    y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1
):
    """Categorical focal crossentropy: ``-sum(alpha * (1 - p) ** gamma * y * log p)``.

    Args:
        y_true: Array of labels ``(batch, ...)``.
        y_pred: Array of predictions, shaped like ``y_true``.
        alpha: Float weight (see the summary).
        gamma: Float focusing exponent (see the summary).
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: Float in ``[0, 1]``: labels move this far toward uniform.
        axis: Int axis.

    Example:
        >>> y = jnp.array([[0.0, 1.0, 0.0]])
        >>> losses.categorical_focal_crossentropy(y, jnp.array([[0.1, 0.8, 0.1]])).round(4)
        Array([0.0022], dtype=float32)
    """
    check_axis("categorical_focal_crossentropy", axis)
    y_true, y_pred = prepare("categorical", "categorical_focal_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_pred.shape[axis]
    if from_logits:
        y_pred = jax.nn.softmax(y_pred, axis=axis)
    log_p = _class_log_probs(y_pred, False, axis)
    weight = alpha * jnp.power(1.0 - jnp.exp(log_p), gamma)
    return jnp.sum(-weight * y_true * log_p, axis=axis)


def _sparse_ids(y_true, y_pred, axis):
    y_true = jnp.asarray(y_true)
    if y_true.ndim == y_pred.ndim:
        y_true = jnp.squeeze(y_true, axis=axis)
    return y_true.astype(jnp.int32)


def _sparse_ce_mask(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    if ignore_class is None:
        return None
    return _sparse_ids(y_true, jnp.asarray(y_pred), axis) != ignore_class


@builtin_function(kind="sparse", mask=_sparse_ce_mask)
def sparse_categorical_crossentropy(
    y_true, y_pred, from_logits=False, ignore_class=None, axis=-1
):
    """Crossentropy between integer class ids and class probabilities.

    Args:
        y_true: Integer ids of shape ``y_pred.shape`` without the class axis
            (a trailing size-1 axis is accepted too).
        y_pred: Probabilities (renormalized along ``axis``), or logits.
        from_logits: Whether ``y_pred`` holds logits.
        ignore_class: Optional id whose entries get loss 0 (``Loss`` objects
            and metrics also leave them out of the mean).
        axis: The class axis of ``y_pred``.

    Ids outside ``[0, num_classes)`` give NaN, so bad labels show up.

    Example:
        >>> losses.sparse_categorical_crossentropy(jnp.array([1]), jnp.array([[0.1, 0.9]])).round(4)
        Array([0.1054], dtype=float32)
    """
    check_axis("sparse_categorical_crossentropy", axis)
    y_true, y_pred = prepare("sparse", "sparse_categorical_crossentropy", y_true, y_pred, axis)
    ids = _sparse_ids(y_true, y_pred, axis)
    valid = None
    if ignore_class is not None:
        valid = ids != ignore_class
        ids = jnp.where(valid, ids, 0)
        # Uniform rows where ignored keep log-probs (and gradients) finite.
        y_pred = jnp.where(jnp.expand_dims(valid, axis), y_pred, jnp.ones_like(y_pred))
    log_probs = _class_log_probs(y_pred, from_logits, axis)
    in_range = (ids >= 0) & (ids < y_pred.shape[axis])
    picked = jnp.take_along_axis(log_probs, jnp.expand_dims(jnp.where(in_range, ids, 0), axis),
                                 axis=axis)
    loss = jnp.where(in_range, -jnp.squeeze(picked, axis=axis), jnp.nan)
    if valid is not None:
        loss = jnp.where(valid, loss, jnp.zeros_like(loss))
    return loss


@builtin_function(kind="ids")
def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """Generalized cross entropy (Zhang & Sabuncu, 2018): ``(1 - p ** q) / q``.

    ``p`` is the probability given to the true class. Small ``q`` behaves like
    crossentropy, ``q`` near 1 like mean absolute error, which is more robust
    to noisy labels.

    Args:
        y_true: Integer class ids ``(batch,)`` (or ``(batch, 1)``).
        y_pred: Class probabilities ``(batch, num_classes)``.
        q: The noise parameter, in ``(0, 1)``.

    An id outside ``[0, num_classes)`` gives ``p = 0`` (loss ``1 / q``), as in Keras.

    Example:
        >>> p = jnp.array([[0.7, 0.3], [0.2, 0.8]])
        >>> losses.categorical_generalized_cross_entropy(jnp.array([0, 1]), p, q=0.5).round(4)
        Array([0.3267, 0.2111], dtype=float32)
    """
    y_true, y_pred = prepare("ids", "categorical_generalized_cross_entropy", y_true, y_pred)
    one_hot = jax.nn.one_hot(_sparse_ids(y_true, y_pred, -1), y_pred.shape[-1],
                             dtype=y_pred.dtype)
    p = jnp.sum(y_pred * one_hot, axis=-1)
    return (1.0 - jnp.power(p, q)) / q


@builtin_function(aliases=("kld", "KLD"))
def kl_divergence(y_true, y_pred):
    """Kullback-Leibler divergence ``sum(y * log(y / p))`` over the last axis.

    Both arguments are clipped to ``[epsilon, 1]``.

    Args:
        y_true: Array of labels ``(batch, ...)``.
        y_pred: Array of predictions, shaped like ``y_true``.

    Example:
        >>> losses.kl_divergence(jnp.array([[0.5, 0.5]]), jnp.array([[0.9, 0.1]])).round(4)
        Array([0.5108], dtype=float32)
    """
    y_true, y_pred = prepare("elementwise", "kl_divergence", y_true, y_pred)
    y_true = jnp.clip(y_true, epsilon(), 1.0)
    y_pred = jnp.clip(y_pred, epsilon(), 1.0)
    return jnp.sum(y_true * jnp.log(y_true / y_pred), axis=-1)


@builtin_function()
def poisson(y_true, y_pred):
    """Poisson loss ``mean(p - y * log(p + epsilon))`` over the last axis.

    Args:
        y_true: Array of labels ``(batch, ...)``.
        y_pred: Array of predictions, shaped like ``y_true``.

    Example:
        >>> losses.poisson(jnp.array([[1.0, 0.0]]), jnp.array([[1.0, 2.0]])).round(4)
        Array([1.5], dtype=float32)
    """
    y_true, y_pred = prepare("elementwise", "poisson", y_true, y_pred)
    return jnp.mean(y_pred - y_true * jnp.log(y_pred + epsilon()), axis=-1)


kld = KLD = kl_divergence
bce = BCE = binary_crossentropy


@register_builtin("losses")
class BinaryCrossentropy(BuiltinLoss):
    """Reduced :func:`binary_crossentropy`.

    Args:
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: Float in ``[0, 1]``: labels move this far toward uniform.
        axis: Int axis.
        reduction: How per-sample losses are reduced: ``'sum_over_batch_size'``, ``'sum'``,
            ``'mean'``, ``'mean_with_sample_weight'`` or ``None``.
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> loss = losses.BinaryCrossentropy(from_logits=True)
        >>> round(float(loss(jnp.array([[1.0], [0.0]]), jnp.array([[2.0], [-1.0]]))), 4)
        0.2201
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction=_R,
                 name="binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, reduction, name, dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


@register_builtin("losses")
class BinaryFocalCrossentropy(BuiltinLoss):
    """Reduced :func:`binary_focal_crossentropy`.

    Args:
        apply_class_balancing: Whether to weight positives by ``alpha`` and negatives by ``1
            - alpha``.
        alpha: Float weight (see the summary).
        gamma: Float focusing exponent (see the summary).
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: Float in ``[0, 1]``: labels move this far toward uniform.
        axis: Int axis.
        reduction: How per-sample losses are reduced: ``'sum_over_batch_size'``, ``'sum'``,
            ``'mean'``, ``'mean_with_sample_weight'`` or ``None``.
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> loss = losses.BinaryFocalCrossentropy(gamma=2.0)
        >>> round(float(loss(jnp.array([[0.0, 1.0]]), jnp.array([[0.4, 0.6]]))), 4)
        0.0817
    """

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                 label_smoothing=0.0, axis=-1, reduction=_R, name="binary_focal_crossentropy",
                 dtype=None):
        super().__init__(binary_focal_crossentropy, reduction, name, dtype,
                         apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


@register_builtin("losses")
class CategoricalCrossentropy(BuiltinLoss):
    """Reduced :func:`categorical_crossentropy` (one-hot labels).

    Args:
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: Float in ``[0, 1]``: labels move this far toward uniform.
        axis: Int axis.
        reduction: How per-sample losses are reduced: ``'sum_over_batch_size'``, ``'sum'``,
            ``'mean'``, ``'mean_with_sample_weight'`` or ``None``.
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> loss = losses.CategoricalCrossentropy()
        >>> round(float(loss(jnp.array([[0.0, 1.0]]), jnp.array([[0.1, 0.9]]))), 4)
        0.1054
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction=_R,
                 name="categorical_crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, reduction, name, dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


@register_builtin("losses")
class CategoricalFocalCrossentropy(BuiltinLoss):
    """Reduced :func:`categorical_focal_crossentropy`.

    Args:
        alpha: Float weight (see the summary).
        gamma: Float focusing exponent (see the summary).
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: Float in ``[0, 1]``: labels move this far toward uniform.
        axis: Int axis.
        reduction: How per-sample losses are reduced: ``'sum_over_batch_size'``, ``'sum'``,
            ``'mean'``, ``'mean_with_sample_weight'`` or ``None``.
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> loss = losses.CategoricalFocalCrossentropy()
        >>> round(float(loss(jnp.array([[0.0, 1.0, 0.0]]), jnp.array([[0.1, 0.8, 0.1]]))), 4)
        0.0022
    """

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction=_R, name="categorical_focal_crossentropy", dtype=None):
        super().__init__(categorical_focal_crossentropy, reduction, name, dtype, alpha=alpha,
                         gamma=gamma, from_logits=from_logits, label_smoothing=label_smoothing,
                         axis=axis)


@register_builtin("losses")
class SparseCategoricalCrossentropy(BuiltinLoss):
    """Reduced :func:`sparse_categorical_crossentropy` (integer class ids).

    With ``ignore_class``, those entries are left out: the default reduction
    is then the mean over the other entries.

    Args:
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        ignore_class: Optional int label whose entries are left out.
        reduction: How per-sample losses are reduced: ``'sum_over_batch_size'``, ``'sum'``,
            ``'mean'``, ``'mean_with_sample_weight'`` or ``None``.
        axis: Int axis.
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
        >>> round(float(loss(jnp.array([1, -1]), jnp.array([[0.0, 2.0], [5.0, 0.0]]))), 4)
        0.1269
    """

    def __init__(self, from_logits=False, ignore_class=None, reduction=_R, axis=-1,
                 name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(sparse_categorical_crossentropy, reduction, name, dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)


@register_builtin("losses")
class CategoricalGeneralizedCrossEntropy(BuiltinLoss):
    """Reduced :func:`categorical_generalized_cross_entropy` (integer class ids).

    Args:
        q: The noise parameter, a float in ``(0, 1)`` (default 0.5).

    Example:
        >>> loss = losses.CategoricalGeneralizedCrossEntropy(q=0.5)
        >>> p = jnp.array([[0.7, 0.3], [0.2, 0.8]])
        >>> round(float(loss(jnp.array([0, 1]), p)), 4)
        0.2689
    """

    def __init__(self, q=0.5, reduction=_R, name="categorical_generalized_cross_entropy",
                 dtype=None):
        if isinstance(q, bool) or not isinstance(q, (int, float)) or not 0 < q < 1:
            raise ConfigError(
                f"CategoricalGeneralizedCrossEntropy '{name}': `q` must be a float in (0, 1). "
                f"Received: q={q!r}."
            )
        super().__init__(categorical_generalized_cross_entropy, reduction, name, dtype, q=q)


@register_builtin("losses")
class KLDivergence(BuiltinLoss):
    """Reduced :func:`kl_divergence`.

    Args:
        reduction: How per-sample losses are reduced: ``'sum_over_batch_size'``, ``'sum'``,
            ``'mean'``, ``'mean_with_sample_weight'`` or ``None``.
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> round(float(losses.KLDivergence()(jnp.array([[0.5, 0.5]]), jnp.array([[0.9, 0.1]]))), 4)
        0.5108
    """

    def __init__(self, reduction=_R, name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, reduction, name, dtype)


@register_builtin("losses")
class Poisson(BuiltinLoss):
    """Reduced :func:`poisson`.

    Args:
        reduction: How per-sample losses are reduced: ``'sum_over_batch_size'``, ``'sum'``,
            ``'mean'``, ``'mean_with_sample_weight'`` or ``None``.
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> float(losses.Poisson()(jnp.array([[1.0, 0.0]]), jnp.array([[1.0, 2.0]])))
        1.5
    """

    def __init__(self, reduction=_R, name="poisson", dtype=None):
        super().__init__(poisson, reduction, name, dtype)


__all__ = [
    "BinaryCrossentropy", "BinaryFocalCrossentropy", "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy", "SparseCategoricalCrossentropy", "KLDivergence", "Poisson",
    "CategoricalGeneralizedCrossEntropy", "categorical_generalized_cross_entropy",
    "binary_crossentropy", "binary_focal_crossentropy", "categorical_crossentropy",
    "categorical_focal_crossentropy", "sparse_categorical_crossentropy", "kl_divergence",
    "poisson", "kld", "bce",
]
