"""Keras 3 losses as pure JAX functions, and `Loss` objects that reduce them.

Every loss is written once, as a function returning one value per sample
(``(batch,)`` for ``(batch, features)`` inputs, as in Keras).  Each ``Loss``
class wraps its function and adds the reduction and the sample weighting of
``keras.losses.Loss``.  All of it is pure ``jax.numpy`` and jittable; shape
and dtype errors are raised from static shapes (at trace time, or before
tracing through :func:`check_loss_inputs`), never inside traced math.

Reductions (``Loss(reduction=...)``), as Keras 3 defines them:

* ``"sum_over_batch_size"`` / ``"mean"``: sum of the weighted values divided by
  their number of elements;
* ``"sum"``: sum of the weighted values;
* ``"mean_with_sample_weight"``: sum divided by the sum of the sample weights
  (by the number of elements when there are none);
* ``"none"`` / ``None``: the weighted values themselves.

A mask (the explicit ``mask=`` argument of ``Loss.__call__``, or the one a loss
makes itself, e.g. ``ignore_class`` of sparse categorical crossentropy) counts
as a 0/1 sample weight; for ``"sum_over_batch_size"`` and ``"mean"`` it is
rescaled so the result is the mean over the unmasked elements.  Sample weights
of lower rank than the per-sample values are aligned on the leading (batch)
axes, so ``(batch,)`` weights work with ``(batch, time)`` values.

Example:
    >>> y_true = jnp.array([0, 2])
    >>> logits = jnp.array([[2.0, 0.0, 0.0], [0.0, 0.0, 2.0]])
    >>> loss = losses.SparseCategoricalCrossentropy(from_logits=True)
    >>> round(float(loss(y_true, logits)), 4)
    0.2395
"""

import re

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxlayers.backend import epsilon, floatx
from jaxlayers.core.serialization import (
    builtins,
    deserialize_object,
    get_registered_name,
    get_registered_object,
    register_builtin,
    resolve_object,
    serialize_object,
)
from jaxlayers.errors import (
    ConfigError,
    ConfigTypeError,
    DTypeError,
    SerializationError,
    ShapeError,
)
from jaxlayers.ops.normalization import l2_normalize

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)

# ---------------------------------------------------------------------------
# Shapes, dtypes and reductions
# ---------------------------------------------------------------------------


def _snake_case(name):
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def standardize_dtype(dtype, owner="Loss"):
    """The dtype name for ``dtype``, or :func:`floatx` when it is ``None``."""
    if dtype is None:
        return floatx()
    try:
        return jnp.dtype(dtype).name
    except TypeError:
        raise ConfigError(
            f"{owner}: `dtype` must be a float dtype name such as 'float32'. "
            f"Received: dtype={dtype!r}."
        ) from None


def _aligned_shapes(shape1, shape2, expand_rank_1=True):
    """Shapes after dropping (or adding) one trailing size-1 axis to match ranks."""
    s1, s2 = tuple(shape1), tuple(shape2)
    if len(s1) == len(s2) + 1 and s1[-1] == 1:
        return (s1, s2 + (1,)) if len(s2) == 1 and expand_rank_1 else (s1[:-1], s2)
    if len(s2) == len(s1) + 1 and s2[-1] == 1:
        return (s1 + (1,), s2) if len(s1) == 1 and expand_rank_1 else (s1, s2[:-1])
    return s1, s2


def align_ranks(x1, x2, expand_rank_1=True):
    """Squeezes or adds a trailing size-1 axis so ``x1`` and ``x2`` have equal rank.

    Labels of shape ``(batch,)`` and predictions of shape ``(batch, 1)`` become
    ``(batch, 1)`` and ``(batch, 1)``; ``(batch, n, 1)`` and ``(batch, n)``
    become ``(batch, n)`` twice. Any other pair is returned unchanged.

    Example:
        >>> a, b = losses.align_ranks(jnp.zeros((4,)), jnp.zeros((4, 1)))
        >>> a.shape, b.shape
        ((4, 1), (4, 1))
    """
    x1, x2 = jnp.asarray(x1), jnp.asarray(x2)
    s1, s2 = _aligned_shapes(x1.shape, x2.shape, expand_rank_1)
    return jnp.reshape(x1, s1), jnp.reshape(x2, s2)


def _expand_trailing(weights, ndim):
    """Adds trailing axes so lower-rank weights broadcast on the leading axes."""
    if weights.ndim < ndim:
        weights = jnp.reshape(weights, weights.shape + (1,) * (ndim - weights.ndim))
    return weights


def divide_no_nan(x, y):
    """``x / y``, and 0 where ``y == 0`` (with finite gradients there)."""
    safe = jnp.where(y == 0, jnp.ones_like(y), y)
    return jnp.where(y == 0, jnp.zeros_like(x / safe), x / safe)


def standardize_reduction(reduction, owner="Loss"):
    """Checks ``reduction`` against the Keras 3 names and returns it."""
    if reduction not in REDUCTIONS:
        raise ConfigError(
            f"{owner}: `reduction` must be one of {list(REDUCTIONS)}. "
            f"Received: reduction={reduction!r}."
        )
    return reduction


def _mask_to_weights(weights, mask, dtype, reduction):
    mask = jnp.asarray(mask)
    float_mask = mask.astype(dtype)
    if reduction in ("mean", "sum_over_batch_size"):
        scale = divide_no_nan(jnp.asarray(mask.size, dtype), jnp.sum(float_mask))
        float_mask = jnp.where(mask.astype(bool), scale, jnp.zeros((), dtype))
    if weights is None:
        return float_mask
    float_mask, weights = align_ranks(float_mask, weights)
    return _expand_trailing(weights, float_mask.ndim) * float_mask


def reduce_weighted_values(
    values, sample_weight=None, mask=None, reduction="sum_over_batch_size", dtype=None
):
    """Weights per-sample loss values and reduces them as ``Loss(reduction=...)``.

    Args:
        values: Per-sample loss values, e.g. of shape ``(batch,)``.
        sample_weight: Optional weights, broadcastable to ``values`` after
            aligning leading axes.
        mask: Optional boolean array; masked-out entries count as weight 0.
        reduction: One of ``"sum_over_batch_size"``, ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"``, ``"none"`` or ``None``.
        dtype: Dtype of the computation; defaults to :func:`floatx`.

    Returns:
        A scalar, or the weighted values when ``reduction`` is ``"none"``/``None``.

    Example:
        >>> float(losses.reduce_weighted_values(jnp.array([1.0, 3.0]), jnp.array([1.0, 0.0])))
        0.5
    """
    reduction = standardize_reduction(reduction, owner="reduce_weighted_values")
    dtype = standardize_dtype(dtype, owner="reduce_weighted_values")
    values = jnp.asarray(values, dtype)
    weights = None if sample_weight is None else jnp.asarray(sample_weight, dtype)
    if mask is not None:
        weights = _mask_to_weights(weights, mask, dtype, reduction)
    if weights is not None:
        values, weights = align_ranks(values, weights)
        values = values * _expand_trailing(weights, values.ndim)
    if reduction in (None, "none") or values.shape in ((), (0,)):
        return values
    total = jnp.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and weights is not None:
        divisor = jnp.sum(weights)
    else:
        divisor = jnp.asarray(values.size, dtype)
    return divide_no_nan(total, divisor)


# ---------------------------------------------------------------------------
# Input checks (static shapes only)
# ---------------------------------------------------------------------------

_ONE_HOT_HINT = " For one-hot labels use CategoricalCrossentropy ('categorical_crossentropy')."
_SPARSE_HINT = (
    " For integer class ids use SparseCategoricalCrossentropy "
    "('sparse_categorical_crossentropy')."
)


def _dims_equal(a, b):
    return len(a) == len(b) and all(x is None or y is None or x == y for x, y in zip(a, b))


def _broadcastable(a, b):
    return all(
        x is None or y is None or x == y or x == 1 or y == 1
        for x, y in zip(reversed(a), reversed(b))
    )


def _check_dtype(owner, dtype, ids):
    if dtype is None:
        return
    dtype = jnp.dtype(dtype)
    numeric = jnp.issubdtype(dtype, jnp.integer) or jnp.issubdtype(dtype, jnp.floating)
    if ids and not numeric:
        raise DTypeError(
            f"{owner} expects integer class ids (an int dtype, or floats holding whole "
            f"numbers). Received: y_true.dtype={dtype}."
        )
    if not (numeric or dtype == jnp.bool_):
        raise DTypeError(
            f"{owner} expects numeric labels (bool, int or float). "
            f"Received: y_true.dtype={dtype}."
        )


def _check_sparse(owner, yt, yp, axis):
    if len(yp) < 1:
        raise ShapeError(
            f"{owner} expects y_pred with a class axis (rank >= 1). Received: y_pred.shape={yp}."
        )
    ax = axis % len(yp)
    ids_shape = yp[:ax] + yp[ax + 1:]
    ids_shape_1 = yp[:ax] + (1,) + yp[ax + 1:]
    if _dims_equal(yt, ids_shape) or _dims_equal(yt, ids_shape_1):
        return
    desc = "(batch,)" if len(yp) == 2 and ax == 1 else "y_pred.shape without its class axis"
    hint = _ONE_HOT_HINT if _dims_equal(yt, yp) and yp[ax] not in (None, 1) else ""
    raise ShapeError(
        f"{owner} expects integer class ids of shape {desc}, here {ids_shape} or "
        f"{ids_shape_1} for y_pred.shape={yp}. Received: y_true.shape={yt}.{hint}"
    )


def _check_same_shape(owner, yt, yp, what):
    yt, yp = _aligned_shapes(yt, yp)
    if _dims_equal(yt, yp):
        return
    sparse_like = len(yp) >= 1 and yp[-1] not in (None, 1) and len(yt) < len(yp)
    sparse_like = sparse_like or (len(yt) == len(yp) and yt[-1:] == (1,) and yp[-1] != 1)
    raise ShapeError(
        f"{owner} expects {what} with the same shape as y_pred, {yp}. "
        f"Received: y_true.shape={yt}.{_SPARSE_HINT if sparse_like else ''}"
    )


def _check_broadcast(owner, yt, yp):
    yt, yp = _aligned_shapes(yt, yp)
    if not _broadcastable(yt, yp):
        raise ShapeError(
            f"{owner} expects y_true and y_pred of the same (or broadcastable) shape. "
            f"Received: y_true.shape={yt}, y_pred.shape={yp}."
        )


def _check_ctc(owner, yt, yp):
    if len(yt) != 2 or len(yp) != 3 or not _dims_equal(yt[:1], yp[:1]):
        raise ShapeError(
            f"{owner} expects y_true of integer labels (batch, max_label_length), 0 being "
            "the blank/padding id, and y_pred of logits (batch, time, num_classes). "
            f"Received: y_true.shape={yt}, y_pred.shape={yp}."
        )


def _run_check(kind, owner, yt_shape, yp_shape, yt_dtype, axis=-1):
    yt, yp = tuple(yt_shape), tuple(yp_shape)
    _check_dtype(owner, yt_dtype, ids=kind in ("sparse", "ctc"))
    if kind == "sparse":
        _check_sparse(owner, yt, yp, axis)
    elif kind == "categorical":
        _check_same_shape(owner, yt, yp, "one-hot (or soft) labels")
    elif kind == "binary":
        _check_same_shape(owner, yt, yp, "0/1 (or soft) labels")
    elif kind == "ctc":
        _check_ctc(owner, yt, yp)
    else:
        _check_broadcast(owner, yt, yp)


def _prepare(kind, owner, y_true, y_pred, axis=-1):
    """Checks shapes, then casts ``y_pred`` to float and ``y_true`` to its dtype."""
    y_true, y_pred = jnp.asarray(y_true), jnp.asarray(y_pred)
    _run_check(kind, owner, y_true.shape, y_pred.shape, y_true.dtype, axis)
    if not jnp.issubdtype(y_pred.dtype, jnp.floating):
        y_pred = y_pred.astype(floatx())
    if kind in ("sparse", "ctc"):
        return y_true, y_pred
    y_true, y_pred = align_ranks(y_true.astype(y_pred.dtype), y_pred)
    return y_true, y_pred


def _check_axis(owner, axis):
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise ConfigTypeError(f"{owner}: `axis` must be an int. Received: axis={axis!r}.")


def _check_label_smoothing(owner, label_smoothing):
    if not 0.0 <= float(label_smoothing) <= 1.0:
        raise ConfigError(
            f"{owner}: `label_smoothing` must be in [0, 1]. "
            f"Received: label_smoothing={label_smoothing!r}."
        )


# ---------------------------------------------------------------------------
# Probabilistic losses
# ---------------------------------------------------------------------------


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
    y_true, y_pred = _prepare("binary", "binary_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return jnp.mean(_binary_xent(y_true, y_pred, from_logits), axis=axis)


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

    Example:
        >>> y = jnp.array([[0.0, 1.0]])
        >>> losses.binary_focal_crossentropy(y, jnp.array([[0.4, 0.6]]), gamma=2.0).round(4)
        Array([0.0817], dtype=float32)
    """
    y_true, y_pred = _prepare("binary", "binary_focal_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = jax.nn.sigmoid(y_pred)
    p_t = y_true * y_pred + (1 - y_true) * (1 - y_pred)
    focal = jnp.power(1.0 - p_t, gamma) * _binary_xent(y_true, y_pred, from_logits=False)
    if apply_class_balancing:
        focal = (y_true * alpha + (1 - y_true) * (1 - alpha)) * focal
    return jnp.mean(focal, axis=axis)


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
    _check_axis("categorical_crossentropy", axis)
    y_true, y_pred = _prepare("categorical", "categorical_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_pred.shape[axis]
    return -jnp.sum(y_true * _class_log_probs(y_pred, from_logits, axis), axis=axis)


def categorical_focal_crossentropy(
    y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1
):
    """Categorical focal crossentropy: ``-sum(alpha * (1 - p) ** gamma * y * log p)``.

    Example:
        >>> y = jnp.array([[0.0, 1.0, 0.0]])
        >>> losses.categorical_focal_crossentropy(y, jnp.array([[0.1, 0.8, 0.1]])).round(4)
        Array([0.0022], dtype=float32)
    """
    _check_axis("categorical_focal_crossentropy", axis)
    y_true, y_pred = _prepare("categorical", "categorical_focal_crossentropy", y_true, y_pred)
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
    _check_axis("sparse_categorical_crossentropy", axis)
    y_true, y_pred = _prepare("sparse", "sparse_categorical_crossentropy", y_true, y_pred, axis)
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


def kl_divergence(y_true, y_pred):
    """Kullback-Leibler divergence ``sum(y * log(y / p))`` over the last axis.

    Both arguments are clipped to ``[epsilon, 1]``.

    Example:
        >>> losses.kl_divergence(jnp.array([[0.5, 0.5]]), jnp.array([[0.9, 0.1]])).round(4)
        Array([0.5108], dtype=float32)
    """
    y_true, y_pred = _prepare("elementwise", "kl_divergence", y_true, y_pred)
    y_true = jnp.clip(y_true, epsilon(), 1.0)
    y_pred = jnp.clip(y_pred, epsilon(), 1.0)
    return jnp.sum(y_true * jnp.log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred):
    """Poisson loss ``mean(p - y * log(p + epsilon))`` over the last axis.

    Example:
        >>> losses.poisson(jnp.array([[1.0, 0.0]]), jnp.array([[1.0, 2.0]])).round(4)
        Array([1.5], dtype=float32)
    """
    y_true, y_pred = _prepare("elementwise", "poisson", y_true, y_pred)
    return jnp.mean(y_pred - y_true * jnp.log(y_pred + epsilon()), axis=-1)


def ctc(y_true, y_pred):
    """Connectionist temporal classification loss (Graves et al., 2006).

    Args:
        y_true: Integer labels ``(batch, max_label_length)``; 0 is the blank
            id and pads each label sequence at its end.
        y_pred: Logits ``(batch, time, num_classes)``, every step used.

    Returns:
        The negative log-likelihood of each label sequence, shape ``(batch,)``.

    Example:
        >>> logits = jnp.zeros((1, 3, 3))  # 5 of the 27 paths spell "1 2"
        >>> round(float(losses.ctc(jnp.array([[1, 2]]), logits)[0]), 4)
        1.6864
    """
    y_true, y_pred = _prepare("ctc", "ctc", y_true, y_pred)
    labels = y_true.astype(jnp.int32)
    batch, steps = y_pred.shape[:2]
    lengths = jnp.sum(labels != 0, axis=-1)
    label_paddings = (jnp.arange(labels.shape[1])[None, :] >= lengths[:, None])
    logit_paddings = jnp.zeros((batch, steps), y_pred.dtype)
    return optax.ctc_loss(
        y_pred, logit_paddings, labels, label_paddings.astype(y_pred.dtype), blank_id=0
    )


# ---------------------------------------------------------------------------
# Regression losses
# ---------------------------------------------------------------------------


def mean_squared_error(y_true, y_pred):
    """Mean of ``(y_true - y_pred) ** 2`` over the last axis.

    Example:
        >>> losses.mean_squared_error(jnp.array([[0.0, 1.0]]), jnp.array([[1.0, 1.0]]))
        Array([0.5], dtype=float32)
    """
    y_true, y_pred = _prepare("elementwise", "mean_squared_error", y_true, y_pred)
    return jnp.mean(jnp.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """Mean of ``|y_true - y_pred|`` over the last axis.

    Example:
        >>> losses.mean_absolute_error(jnp.array([[0.0, 1.0]]), jnp.array([[2.0, 1.0]]))
        Array([1.], dtype=float32)
    """
    y_true, y_pred = _prepare("elementwise", "mean_absolute_error", y_true, y_pred)
    return jnp.mean(jnp.abs(y_true - y_pred), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(|y_true - y_pred| / max(|y_true|, epsilon))`` over the last axis.

    Example:
        >>> losses.mean_absolute_percentage_error(jnp.array([[2.0, 4.0]]), jnp.array([[1.0, 4.0]]))
        Array([25.], dtype=float32)
    """
    y_true, y_pred = _prepare("elementwise", "mean_absolute_percentage_error", y_true, y_pred)
    diff = jnp.abs((y_true - y_pred) / jnp.maximum(jnp.abs(y_true), epsilon()))
    return 100.0 * jnp.mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """Mean of ``(log(1 + y_pred) - log(1 + y_true)) ** 2``, inputs floored at epsilon.

    Example:
        >>> y_pred = jnp.array([[jnp.e - 1]])
        >>> round(float(losses.mean_squared_logarithmic_error(jnp.zeros((1, 1)), y_pred)[0]), 4)
        1.0
    """
    y_true, y_pred = _prepare("elementwise", "mean_squared_logarithmic_error", y_true, y_pred)
    first = jnp.log(jnp.maximum(y_pred, epsilon()) + 1.0)
    second = jnp.log(jnp.maximum(y_true, epsilon()) + 1.0)
    return jnp.mean(jnp.square(first - second), axis=-1)


def cosine_similarity(y_true, y_pred, axis=-1):
    """Negative cosine similarity along ``axis``: -1 when the vectors align.

    Example:
        >>> losses.cosine_similarity(jnp.array([[1.0, 0.0]]), jnp.array([[2.0, 0.0]]))
        Array([-1.], dtype=float32)
    """
    y_true, y_pred = _prepare("elementwise", "cosine_similarity", y_true, y_pred)
    y_true = l2_normalize(y_true, axis, epsilon=epsilon())
    return -jnp.sum(y_true * l2_normalize(y_pred, axis, epsilon=epsilon()), axis=axis)


def huber(y_true, y_pred, delta=1.0):
    """Huber loss: quadratic for ``|error| <= delta``, linear beyond; mean over last axis.

    Example:
        >>> losses.huber(jnp.array([[0.0, 0.0]]), jnp.array([[0.5, 3.0]]))
        Array([1.3125], dtype=float32)
    """
    y_true, y_pred = _prepare("elementwise", "huber", y_true, y_pred)
    error = y_pred - y_true
    abs_error = jnp.abs(error)
    quadratic = 0.5 * jnp.square(error)
    linear = delta * abs_error - 0.5 * delta**2
    return jnp.mean(jnp.where(abs_error <= delta, quadratic, linear), axis=-1)


def log_cosh(y_true, y_pred):
    """Mean of ``log(cosh(y_pred - y_true))`` over the last axis, computed stably.

    Example:
        >>> round(float(losses.log_cosh(jnp.array([[0.0]]), jnp.array([[1.0]]))[0]), 4)
        0.4338
    """
    y_true, y_pred = _prepare("elementwise", "log_cosh", y_true, y_pred)
    x = y_pred - y_true
    return jnp.mean(x + jax.nn.softplus(-2.0 * x) - np.log(2.0).astype(x.dtype), axis=-1)


def _signed_labels(y_true):
    """Maps 0/1 labels to -1/1; labels already in -1/1 (or anything else) stay."""
    is_binary = jnp.all((y_true == 0) | (y_true == 1))
    return jnp.where(is_binary, 2.0 * y_true - 1.0, y_true)


def hinge(y_true, y_pred):
    """Hinge loss ``mean(max(1 - y * p, 0))``; 0/1 labels are mapped to -1/1.

    Example:
        >>> losses.hinge(jnp.array([[1.0, 0.0]]), jnp.array([[0.5, -2.0]]))
        Array([0.25], dtype=float32)
    """
    y_true, y_pred = _prepare("elementwise", "hinge", y_true, y_pred)
    return jnp.mean(jnp.maximum(1.0 - _signed_labels(y_true) * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    """Squared hinge loss ``mean(max(1 - y * p, 0) ** 2)``; 0/1 labels map to -1/1.

    Example:
        >>> losses.squared_hinge(jnp.array([[1.0, 0.0]]), jnp.array([[0.5, -2.0]]))
        Array([0.125], dtype=float32)
    """
    y_true, y_pred = _prepare("elementwise", "squared_hinge", y_true, y_pred)
    margin = jnp.maximum(1.0 - _signed_labels(y_true) * y_pred, 0.0)
    return jnp.mean(jnp.square(margin), axis=-1)


def categorical_hinge(y_true, y_pred):
    """``max(max_wrong - true_score + 1, 0)`` for one-hot ``y_true``.

    Example:
        >>> losses.categorical_hinge(jnp.array([[0.0, 1.0]]), jnp.array([[0.3, 0.8]]))
        Array([0.5], dtype=float32)
    """
    y_true, y_pred = _prepare("elementwise", "categorical_hinge", y_true, y_pred)
    positive = jnp.sum(y_true * y_pred, axis=-1)
    negative = jnp.max((1.0 - y_true) * y_pred, axis=-1)
    return jnp.maximum(negative - positive + 1.0, 0.0)


def dice(y_true, y_pred, axis=None):
    """Dice loss ``1 - 2 |y p| / (|y| + |p|)``, summed over ``axis`` (all axes if None).

    Example:
        >>> round(float(losses.dice(jnp.array([1.0, 0.0]), jnp.array([1.0, 1.0]))), 4)
        0.3333
    """
    y_true, y_pred = _prepare("elementwise", "dice", y_true, y_pred)
    overlap = jnp.sum(y_true * y_pred, axis=axis)
    total = jnp.sum(y_true, axis=axis) + jnp.sum(y_pred, axis=axis)
    return 1.0 - 2.0 * overlap / (total + epsilon())


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """Tversky loss ``1 - TP / (TP + alpha FP + beta FN)`` over ``axis``.

    As in Keras, ``alpha`` weighs ``sum((1 - y_pred) * y_true)`` and ``beta``
    weighs ``sum(y_pred * (1 - y_true))``.

    Example:
        >>> round(float(losses.tversky(jnp.array([1.0, 0.0]), jnp.array([1.0, 1.0]))), 4)
        0.3333
    """
    y_true, y_pred = _prepare("elementwise", "tversky", y_true, y_pred)
    tp = jnp.sum(y_true * y_pred, axis=axis)
    missed = jnp.sum((1 - y_pred) * y_true, axis=axis)
    spurious = jnp.sum(y_pred * (1 - y_true), axis=axis)
    return 1.0 - tp / (tp + alpha * missed + beta * spurious + epsilon())


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kl_divergence
bce = BCE = binary_crossentropy

# Which input check each function needs, and which ones make their own mask.
_KINDS = {
    binary_crossentropy: "binary",
    binary_focal_crossentropy: "binary",
    categorical_crossentropy: "categorical",
    categorical_focal_crossentropy: "categorical",
    sparse_categorical_crossentropy: "sparse",
    ctc: "ctc",
}
_MASKS = {sparse_categorical_crossentropy: _sparse_ce_mask}
LOSS_FUNCTIONS = (
    binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy,
    categorical_focal_crossentropy, sparse_categorical_crossentropy, mean_squared_error,
    mean_absolute_error, mean_absolute_percentage_error, mean_squared_logarithmic_error,
    cosine_similarity, huber, log_cosh, hinge, squared_hinge, categorical_hinge,
    kl_divergence, poisson, tversky, dice, ctc,
)
_ALIASES = {
    "bce": bce, "BCE": bce, "kld": kld, "KLD": kld, "mae": mae, "MAE": mae,
    "mse": mse, "MSE": mse, "mape": mape, "MAPE": mape, "msle": msle, "MSLE": msle,
}
for _fn in LOSS_FUNCTIONS:
    register_builtin("losses")(_fn)
for _alias, _fn in _ALIASES.items():
    register_builtin("losses", name=_alias)(_fn)


def loss_mask(fn, y_true, y_pred, **kwargs):
    """The mask a built-in loss function makes for its values, or ``None``.

    Only ``sparse_categorical_crossentropy`` with ``ignore_class`` makes one.
    ``Loss`` objects and loss-named metrics use it to leave those entries
    out of means.
    """
    make = _MASKS.get(fn)
    return None if make is None else make(y_true, y_pred, **kwargs)


# ---------------------------------------------------------------------------
# Loss objects
# ---------------------------------------------------------------------------


class Loss:
    """Base class of losses: per-sample values from ``call``, then a reduction.

    Subclasses implement ``call(y_true, y_pred)``, returning per-sample values.
    ``__call__`` weights them by ``sample_weight`` and ``mask`` and reduces
    them (see the module docstring for the reductions). It is pure: jit it,
    or call it inside a jitted step.

    Args:
        name: Name of the loss; defaults to the snake-cased class name.
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"``, ``"none"`` or ``None``.
        dtype: Dtype of the computation; defaults to :func:`floatx`.

    Example:
        >>> class Quartic(losses.Loss):
        ...     def call(self, y_true, y_pred):
        ...         return jnp.mean((y_true - y_pred) ** 4, axis=-1)
        >>> float(Quartic()(jnp.zeros((2, 3)), jnp.ones((2, 3))))
        1.0
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or _snake_case(type(self).__name__)
        self.reduction = standardize_reduction(reduction, owner=f"{type(self).__name__}")
        self._dtype = standardize_dtype(dtype, owner=f"{type(self).__name__}")

    @property
    def dtype(self):
        return self._dtype

    def __call__(self, y_true, y_pred, sample_weight=None, mask=None):
        """Reduced (weighted) loss, a scalar unless ``reduction`` is ``"none"``.

        Args:
            y_true: Labels.
            y_pred: Predictions.
            sample_weight: Optional weights of shape ``(batch,)`` or of the
                per-sample values' shape.
            mask: Optional boolean mask over the per-sample values (e.g. the
                ``(batch, time)`` mask of a sequence output).
        """
        y_true, y_pred = jnp.asarray(y_true), jnp.asarray(y_pred)
        self.check_inputs(y_true.shape, y_pred.shape, y_true.dtype)
        y_pred = y_pred.astype(self.dtype)
        if jnp.issubdtype(y_true.dtype, jnp.floating):
            y_true = y_true.astype(self.dtype)
        values = self.call(y_true, y_pred)
        own_mask = self.compute_mask(y_true, y_pred)
        if own_mask is not None:
            mask = own_mask if mask is None else jnp.logical_and(*align_ranks(mask, own_mask))
        return reduce_weighted_values(values, sample_weight, mask, self.reduction, self.dtype)

    def call(self, y_true, y_pred):
        """Per-sample loss values; implemented by subclasses."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement call(y_true, y_pred) returning per-sample "
            "loss values."
        )

    def compute_mask(self, y_true, y_pred):
        """A boolean mask over the values of ``call`` (entries to leave out), or None."""
        return None

    def check_inputs(self, y_true_shape, y_pred_shape, y_true_dtype=None):
        """Raises ``ShapeError``/``DTypeError`` if labels cannot suit this loss."""
        return None

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


def _function_name(fn):
    if fn in LOSS_FUNCTIONS:
        return fn.__name__
    name = get_registered_name(fn)
    if get_registered_object(name) is fn:
        return name
    raise SerializationError(
        f"Cannot serialize loss function {fn!r}: it is not a built-in loss. Register it "
        "with jl.saving.register_serializable(), or subclass Loss with a get_config()."
    )


@register_builtin("losses")
class LossFunctionWrapper(Loss):
    """A ``Loss`` around a function ``fn(y_true, y_pred, **kwargs)`` of per-sample values.

    Args:
        fn: The loss function.
        reduction: As in :class:`Loss`.
        name: Defaults to ``fn.__name__``.
        dtype: As in :class:`Loss`.
        **kwargs: Passed to ``fn`` on every call.

    Example:
        >>> loss = losses.LossFunctionWrapper(losses.huber, delta=0.5)
        >>> float(loss(jnp.zeros((1, 2)), jnp.array([[0.25, 2.0]])))
        0.453125
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise ConfigTypeError(
                f"LossFunctionWrapper: `fn` must be a callable fn(y_true, y_pred). "
                f"Received: fn={fn!r}."
            )
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction,
                         dtype=dtype)
        self.fn = fn
        self._fn_kwargs = dict(kwargs)

    def call(self, y_true, y_pred):
        y_true, y_pred = align_ranks(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def compute_mask(self, y_true, y_pred):
        return loss_mask(self.fn, y_true, y_pred, **self._fn_kwargs)

    def check_inputs(self, y_true_shape, y_pred_shape, y_true_dtype=None):
        owner = type(self).__name__
        if owner == "LossFunctionWrapper":
            owner = getattr(self.fn, "__name__", owner)
        if self.fn in LOSS_FUNCTIONS:
            axis = self._fn_kwargs.get("axis", -1)
            kind = _KINDS.get(self.fn, "elementwise")
            _run_check(kind, owner, y_true_shape, y_pred_shape, y_true_dtype, axis)

    def get_config(self):
        config = super().get_config()
        if type(self) is LossFunctionWrapper:
            config["fn"] = _function_name(self.fn)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "fn" in config:
            config["fn"] = deserialize(config["fn"])
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} fn={self.fn!r} kwargs={self._fn_kwargs}>"


class _BuiltinLoss(LossFunctionWrapper):
    """A built-in loss class: its options are attributes and config entries."""

    def __init__(self, fn, reduction, name, dtype, **options):
        owner = type(self).__name__
        if "axis" in options and options["axis"] is not None:
            _check_axis(owner, options["axis"])
        if "label_smoothing" in options:
            _check_label_smoothing(owner, options["label_smoothing"])
        super().__init__(fn, reduction=reduction, name=name, dtype=dtype, **options)
        for key, value in options.items():
            setattr(self, key, value)


_R = "sum_over_batch_size"


@register_builtin("losses")
class BinaryCrossentropy(_BuiltinLoss):
    """Reduced :func:`binary_crossentropy`.

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
class BinaryFocalCrossentropy(_BuiltinLoss):
    """Reduced :func:`binary_focal_crossentropy`.

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
class CategoricalCrossentropy(_BuiltinLoss):
    """Reduced :func:`categorical_crossentropy` (one-hot labels).

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
class CategoricalFocalCrossentropy(_BuiltinLoss):
    """Reduced :func:`categorical_focal_crossentropy`.

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
class SparseCategoricalCrossentropy(_BuiltinLoss):
    """Reduced :func:`sparse_categorical_crossentropy` (integer class ids).

    With ``ignore_class``, those entries are left out: the default reduction
    is then the mean over the other entries.

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
class MeanSquaredError(_BuiltinLoss):
    """Reduced :func:`mean_squared_error`.

    Example:
        >>> float(losses.MeanSquaredError()(jnp.zeros((2, 2)), jnp.ones((2, 2))))
        1.0
    """

    def __init__(self, reduction=_R, name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, reduction, name, dtype)


@register_builtin("losses")
class MeanAbsoluteError(_BuiltinLoss):
    """Reduced :func:`mean_absolute_error`.

    Example:
        >>> float(losses.MeanAbsoluteError()(jnp.zeros((2, 2)), -jnp.ones((2, 2))))
        1.0
    """

    def __init__(self, reduction=_R, name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, reduction, name, dtype)


@register_builtin("losses")
class MeanAbsolutePercentageError(_BuiltinLoss):
    """Reduced :func:`mean_absolute_percentage_error`.

    Example:
        >>> float(losses.MeanAbsolutePercentageError()(jnp.full((1, 2), 2.0), jnp.ones((1, 2))))
        50.0
    """

    def __init__(self, reduction=_R, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, reduction, name, dtype)


@register_builtin("losses")
class MeanSquaredLogarithmicError(_BuiltinLoss):
    """Reduced :func:`mean_squared_logarithmic_error`.

    Example:
        >>> float(losses.MeanSquaredLogarithmicError()(jnp.zeros((1, 1)), jnp.zeros((1, 1))))
        0.0
    """

    def __init__(self, reduction=_R, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, reduction, name, dtype)


@register_builtin("losses")
class CosineSimilarity(_BuiltinLoss):
    """Reduced :func:`cosine_similarity` (negative: minimizing aligns the vectors).

    Example:
        >>> float(losses.CosineSimilarity()(jnp.array([[0.0, 1.0]]), jnp.array([[0.0, 3.0]])))
        -1.0
    """

    def __init__(self, axis=-1, reduction=_R, name="cosine_similarity", dtype=None):
        super().__init__(cosine_similarity, reduction, name, dtype, axis=axis)


@register_builtin("losses")
class Huber(_BuiltinLoss):
    """Reduced :func:`huber`.

    Example:
        >>> float(losses.Huber(delta=1.0)(jnp.zeros((1, 2)), jnp.array([[0.5, 3.0]])))
        1.3125
    """

    def __init__(self, delta=1.0, reduction=_R, name="huber_loss", dtype=None):
        super().__init__(huber, reduction, name, dtype, delta=delta)


@register_builtin("losses")
class LogCosh(_BuiltinLoss):
    """Reduced :func:`log_cosh`.

    Example:
        >>> round(float(losses.LogCosh()(jnp.zeros((1, 1)), jnp.ones((1, 1)))), 4)
        0.4338
    """

    def __init__(self, reduction=_R, name="log_cosh", dtype=None):
        super().__init__(log_cosh, reduction, name, dtype)


@register_builtin("losses")
class Hinge(_BuiltinLoss):
    """Reduced :func:`hinge`.

    Example:
        >>> float(losses.Hinge()(jnp.array([[1.0, 0.0]]), jnp.array([[0.5, -2.0]])))
        0.25
    """

    def __init__(self, reduction=_R, name="hinge", dtype=None):
        super().__init__(hinge, reduction, name, dtype)


@register_builtin("losses")
class SquaredHinge(_BuiltinLoss):
    """Reduced :func:`squared_hinge`.

    Example:
        >>> float(losses.SquaredHinge()(jnp.array([[1.0, 0.0]]), jnp.array([[0.5, -2.0]])))
        0.125
    """

    def __init__(self, reduction=_R, name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, reduction, name, dtype)


@register_builtin("losses")
class CategoricalHinge(_BuiltinLoss):
    """Reduced :func:`categorical_hinge`.

    Example:
        >>> float(losses.CategoricalHinge()(jnp.array([[0.0, 1.0]]), jnp.array([[0.3, 0.8]])))
        0.5
    """

    def __init__(self, reduction=_R, name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, reduction, name, dtype)


@register_builtin("losses")
class KLDivergence(_BuiltinLoss):
    """Reduced :func:`kl_divergence`.

    Example:
        >>> round(float(losses.KLDivergence()(jnp.array([[0.5, 0.5]]), jnp.array([[0.9, 0.1]]))), 4)
        0.5108
    """

    def __init__(self, reduction=_R, name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, reduction, name, dtype)


@register_builtin("losses")
class Poisson(_BuiltinLoss):
    """Reduced :func:`poisson`.

    Example:
        >>> float(losses.Poisson()(jnp.array([[1.0, 0.0]]), jnp.array([[1.0, 2.0]])))
        1.5
    """

    def __init__(self, reduction=_R, name="poisson", dtype=None):
        super().__init__(poisson, reduction, name, dtype)


@register_builtin("losses")
class Tversky(_BuiltinLoss):
    """Reduced :func:`tversky`; ``axis=None`` reduces each call to one value.

    Example:
        >>> round(float(losses.Tversky()(jnp.array([1.0, 0.0]), jnp.array([1.0, 1.0]))), 4)
        0.3333
    """

    def __init__(self, alpha=0.5, beta=0.5, reduction=_R, name="tversky", axis=None, dtype=None):
        super().__init__(tversky, reduction, name, dtype, alpha=alpha, beta=beta, axis=axis)


@register_builtin("losses")
class Dice(_BuiltinLoss):
    """Reduced :func:`dice`; ``axis=None`` reduces each call to one value.

    Example:
        >>> round(float(losses.Dice()(jnp.array([1.0, 0.0]), jnp.array([1.0, 1.0]))), 4)
        0.3333
    """

    def __init__(self, reduction=_R, name="dice", axis=None, dtype=None):
        super().__init__(dice, reduction, name, dtype, axis=axis)


@register_builtin("losses")
class CTC(_BuiltinLoss):
    """Reduced :func:`ctc`.

    Example:
        >>> round(float(losses.CTC()(jnp.array([[1, 2]]), jnp.zeros((1, 3, 3)))), 4)
        1.6864
    """

    def __init__(self, reduction=_R, name="ctc", dtype=None):
        super().__init__(ctc, reduction, name, dtype)


register_builtin("losses")(Loss)

# ---------------------------------------------------------------------------
# Lookup and serialization
# ---------------------------------------------------------------------------


def _known_names():
    return sorted(builtins("losses"))


def get(identifier):
    """A loss from a name, a config dict, a class, an instance or a function.

    Like ``keras.losses.get``: a function name (``"mse"``,
    ``"sparse_categorical_crossentropy"``) gives the function; a class name
    (``"MeanSquaredError"``) gives an instance with default options; a
    callable is returned as is; ``None`` gives ``None``.

    Raises:
        ConfigError: For an unknown name, listing the known ones.

    Example:
        >>> losses.get("mse") is losses.mean_squared_error
        True
        >>> losses.get("Huber").get_config()["delta"]
        1.0
    """
    return resolve_object(identifier, "losses", "loss", base=Loss)


def serialize(loss):
    """A JSON-friendly config: a name for built-in functions, a dict for ``Loss`` objects.

    Example:
        >>> losses.serialize(losses.mean_squared_error)
        'mean_squared_error'
        >>> losses.serialize(losses.Huber(delta=2.0))["config"]["delta"]
        2.0
    """
    if loss is None:
        return None
    if isinstance(loss, Loss):
        return serialize_object(loss, "jaxlayers.training.losses")
    if callable(loss):
        return _function_name(loss)
    raise SerializationError(
        f"losses.serialize: expected a Loss or a loss function. Received: loss={loss!r}."
    )


def deserialize(config, custom_objects=None):
    """Rebuilds a loss from :func:`serialize` output (names resolve as in :func:`get`).

    Example:
        >>> loss = losses.deserialize(losses.serialize(losses.Huber(delta=2.0)))
        >>> type(loss).__name__, loss.delta
        ('Huber', 2.0)
    """
    return deserialize_object(config, "losses", custom_objects, printable="loss")


def check_loss_inputs(loss, y_true_shape, y_pred_shape, y_true_dtype=None):
    """Checks that labels of this shape and dtype suit ``loss``, before tracing.

    Args:
        loss: A loss name, function or ``Loss``; custom losses are not checked.
        y_true_shape: Shape of the labels (``None`` entries match anything).
        y_pred_shape: Shape of the predictions.
        y_true_dtype: Optional dtype of the labels.

    Raises:
        ShapeError: E.g. one-hot labels given to sparse categorical crossentropy.
        DTypeError: Labels of a non-numeric dtype.

    Example:
        >>> losses.check_loss_inputs("sparse_categorical_crossentropy", (8,), (8, 10))
        >>> losses.check_loss_inputs("sparse_categorical_crossentropy", (8, 10), (8, 10))
        Traceback (most recent call last):
        ...
        jaxlayers.errors.ShapeError: sparse_categorical_crossentropy expects integer class ids ...
    """
    if isinstance(loss, (str, dict)):
        loss = get(loss)
    if isinstance(loss, Loss):
        loss.check_inputs(y_true_shape, y_pred_shape, y_true_dtype)
    elif loss in LOSS_FUNCTIONS:
        kind = _KINDS.get(loss, "elementwise")
        _run_check(kind, loss.__name__, y_true_shape, y_pred_shape, y_true_dtype)


__all__ = [
    "Loss", "LossFunctionWrapper", "BinaryCrossentropy", "BinaryFocalCrossentropy",
    "CategoricalCrossentropy", "CategoricalFocalCrossentropy", "SparseCategoricalCrossentropy",
    "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "CosineSimilarity", "Huber", "LogCosh", "Hinge",
    "SquaredHinge", "CategoricalHinge", "KLDivergence", "Poisson", "Tversky", "Dice", "CTC",
    "binary_crossentropy", "binary_focal_crossentropy", "categorical_crossentropy",
    "categorical_focal_crossentropy", "sparse_categorical_crossentropy", "mean_squared_error",
    "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_logarithmic_error",
    "cosine_similarity", "huber", "log_cosh", "hinge", "squared_hinge", "categorical_hinge",
    "kl_divergence", "poisson", "tversky", "dice", "ctc", "mse", "mae", "mape", "msle", "kld",
    "get", "serialize", "deserialize", "check_loss_inputs", "reduce_weighted_values",
    "standardize_reduction", "align_ranks", "loss_mask", "divide_no_nan", "REDUCTIONS",
]
