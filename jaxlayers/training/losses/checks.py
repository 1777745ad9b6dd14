"""Checks of loss inputs from static shapes and dtypes: before tracing, never in traced math.

Each built-in loss function declares a *kind* of labels (``"binary"``,
``"categorical"``, ``"sparse"``, ``"ids"``, ``"ctc"`` or ``"elementwise"``); one check per
kind gives the messages users see for labels that cannot suit the loss (one-hot
labels given to a sparse loss, and so on).
"""

import jax.numpy as jnp
import numpy as np

from jaxlayers.backend import floatx
from jaxlayers.errors import ConfigError, ConfigTypeError, DTypeError, ShapeError
from jaxlayers.training.losses.reduction import align_ranks, aligned_shapes

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


def _check_sparse(owner, yt, yp, axis, hint=True):
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
    one_hot = hint and _dims_equal(yt, yp) and yp[ax] not in (None, 1)
    hint = _ONE_HOT_HINT if one_hot else ""
    raise ShapeError(
        f"{owner} expects integer class ids of shape {desc}, here {ids_shape} or "
        f"{ids_shape_1} for y_pred.shape={yp}. Received: y_true.shape={yt}.{hint}"
    )


def _check_same_shape(owner, yt, yp, what):
    yt, yp = aligned_shapes(yt, yp)
    if _dims_equal(yt, yp):
        return
    sparse_like = len(yp) >= 1 and yp[-1] not in (None, 1) and len(yt) < len(yp)
    sparse_like = sparse_like or (len(yt) == len(yp) and yt[-1:] == (1,) and yp[-1] != 1)
    raise ShapeError(
        f"{owner} expects {what} with the same shape as y_pred, {yp}. "
        f"Received: y_true.shape={yt}.{_SPARSE_HINT if sparse_like else ''}"
    )


def _check_broadcast(owner, yt, yp):
    yt, yp = aligned_shapes(yt, yp)
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


def check_kind(kind, owner, yt_shape, yp_shape, yt_dtype, axis=-1):
    """Raises ``ShapeError``/``DTypeError`` when labels cannot suit a loss of this kind.

    Args:
        kind: ``"binary"``, ``"categorical"``, ``"sparse"``, ``"ids"`` (integer
            labels of shape ``y_pred.shape[:-1]``, checked like ``"sparse"`` but
            with no hint towards a one-hot crossentropy), ``"ctc"`` or
            ``"elementwise"`` (same or broadcastable shapes).
        owner: The loss's name, for messages.
        yt_shape: Static shape of the labels (``None`` entries match anything).
        yp_shape: Static shape of the predictions.
        yt_dtype: Dtype of the labels, or ``None`` to skip the dtype check.
        axis: The class axis of ``y_pred`` (sparse losses).

    Example:
        >>> check_kind("sparse", "sparse_categorical_crossentropy", (2, 3), (2, 3), jnp.int32)
        Traceback (most recent call last):
        ...
        jaxlayers.errors.ShapeError: sparse_categorical_crossentropy expects integer class ids ...
    """
    yt, yp = tuple(yt_shape), tuple(yp_shape)
    _check_dtype(owner, yt_dtype, ids=kind in ("sparse", "ids", "ctc"))
    if kind == "sparse":
        _check_sparse(owner, yt, yp, axis)
    elif kind == "ids":
        _check_sparse(owner, yt, yp, -1, hint=False)
    elif kind == "categorical":
        _check_same_shape(owner, yt, yp, "one-hot (or soft) labels")
    elif kind == "binary":
        _check_same_shape(owner, yt, yp, "0/1 (or soft) labels")
    elif kind == "ctc":
        _check_ctc(owner, yt, yp)
    else:
        _check_broadcast(owner, yt, yp)


def prepare(kind, owner, y_true, y_pred, axis=-1):
    """Checks shapes, then casts ``y_pred`` to float and ``y_true`` to its dtype.

    Elementwise, binary and categorical labels are also given ``y_pred``'s rank
    (``(batch,)`` labels against ``(batch, 1)`` predictions).

    Args:
        kind: As for :func:`check_kind`.
        owner: The loss's name, for messages.
        y_true: The labels.
        y_pred: The predictions.
        axis: The class axis of ``y_pred`` (sparse losses).

    Returns:
        ``(y_true, y_pred)`` as arrays.

    Raises:
        ShapeError: As for :func:`check_kind`.
        DTypeError: As for :func:`check_kind`.

    Example:
        >>> y_true, y_pred = prepare("elementwise", "mse", [1, 2], [[1], [2]])
        >>> y_true.shape, y_true.dtype, y_pred.dtype
        ((2, 1), dtype('float32'), dtype('float32'))
    """
    y_true, y_pred = jnp.asarray(y_true), jnp.asarray(y_pred)
    check_kind(kind, owner, y_true.shape, y_pred.shape, y_true.dtype, axis)
    if not jnp.issubdtype(y_pred.dtype, jnp.floating):
        y_pred = y_pred.astype(floatx())
    if kind in ("sparse", "ids", "ctc"):
        return y_true, y_pred
    y_true, y_pred = align_ranks(y_true.astype(y_pred.dtype), y_pred)
    return y_true, y_pred


def check_axis(owner, axis):
    """A ``ConfigTypeError`` unless ``axis`` is an int.

    Args:
        owner: How error messages name the caller (``'MeanSquaredError'``).
        axis: The value given as ``axis``.

    Example:
        >>> check_axis('CategoricalCrossentropy', -1)
        >>> try:
        ...     check_axis('CategoricalCrossentropy', 1.5)
        ... except jl.errors.ConfigTypeError as e:
        ...     print(type(e).__name__)
        ConfigTypeError
    """
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise ConfigTypeError(f"{owner}: `axis` must be an int. Received: axis={axis!r}.")


def check_label_smoothing(owner, label_smoothing):
    """A ``ConfigError`` unless ``label_smoothing`` is in ``[0, 1]``.

    Args:
        owner: How error messages name the caller (``'MeanSquaredError'``).
        label_smoothing: The value given as ``label_smoothing``.

    Example:
        >>> check_label_smoothing('BinaryCrossentropy', 0.1)
        >>> try:
        ...     check_label_smoothing('BinaryCrossentropy', 2.0)
        ... except jl.errors.ConfigError as e:
        ...     print(type(e).__name__)
        ConfigError
    """
    if not 0.0 <= float(label_smoothing) <= 1.0:
        raise ConfigError(
            f"{owner}: `label_smoothing` must be in [0, 1]. "
            f"Received: label_smoothing={label_smoothing!r}."
        )


__all__ = ["check_kind", "prepare", "check_axis", "check_label_smoothing"]
