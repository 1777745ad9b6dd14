"""Weighting and reduction of per-sample loss values, shared by losses and metrics.

Reductions (``Loss(reduction=...)``), as Keras 3 defines them:

* ``"sum_over_batch_size"`` / ``"mean"``: sum of the weighted values divided by
  their number of elements;
* ``"sum"``: sum of the weighted values;
* ``"mean_with_sample_weight"``: sum divided by the sum of the sample weights
  (by the number of elements when there are none);
* ``"none"`` / ``None``: the weighted values themselves.

A mask counts as a 0/1 sample weight; for ``"sum_over_batch_size"`` and
``"mean"`` it is rescaled so the result is the mean over the unmasked
elements.  Sample weights of lower rank than the per-sample values are aligned
on the leading (batch) axes, so ``(batch,)`` weights work with
``(batch, time)`` values.
"""

import re

import jax.numpy as jnp

from jaxlayers.backend import floatx
from jaxlayers.errors import ConfigError

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def snake_case(name):
    """``"MeanSquaredError"`` -> ``"mean_squared_error"``: default names of losses and metrics.

    Args:
        name: A CamelCase class name.

    Example:
        >>> snake_case('MeanSquaredError')
        'mean_squared_error'
    """
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def standardize_dtype(dtype, owner="Loss"):
    """The dtype name for ``dtype``, or :func:`floatx` when it is ``None``.

    Args:
        dtype: A dtype name, NumPy dtype or ``None``.
        owner: How error messages name the caller (``'MeanSquaredError'``).

    Example:
        >>> standardize_dtype(None), standardize_dtype(np.float16)
        ('float32', 'float16')
    """
    if dtype is None:
        return floatx()
    try:
        return jnp.dtype(dtype).name
    except TypeError:
        raise ConfigError(
            f"{owner}: `dtype` must be a float dtype name such as 'float32'. "
            f"Received: dtype={dtype!r}."
        ) from None


def aligned_shapes(shape1, shape2, expand_rank_1=True):
    """Shapes after dropping (or adding) one trailing size-1 axis to match ranks.

    Args:
        shape1: The first shape tuple.
        shape2: The second shape tuple.
        expand_rank_1: Whether a rank-1 ``shape1`` gains a trailing axis to match.

    Example:
        >>> aligned_shapes((2,), (2, 1))
        ((2, 1), (2, 1))
    """
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

    Args:
        x1: Array.
        x2: Array whose rank differs from ``x1``'s by at most one.
        expand_rank_1: Whether a rank-1 ``x1`` gains a trailing axis to match.

    Example:
        >>> a, b = losses.align_ranks(jnp.zeros((4,)), jnp.zeros((4, 1)))
        >>> a.shape, b.shape
        ((4, 1), (4, 1))
    """
    x1, x2 = jnp.asarray(x1), jnp.asarray(x2)
    s1, s2 = aligned_shapes(x1.shape, x2.shape, expand_rank_1)
    return jnp.reshape(x1, s1), jnp.reshape(x2, s2)


def _expand_trailing(weights, ndim):
    """Adds trailing axes so lower-rank weights broadcast on the leading axes."""
    if weights.ndim < ndim:
        weights = jnp.reshape(weights, weights.shape + (1,) * (ndim - weights.ndim))
    return weights


def divide_no_nan(x, y):
    """``x / y``, and 0 where ``y == 0`` (with finite gradients there).

    Args:
        x: Numerator array.
        y: Denominator array, broadcastable with ``x``.

    Example:
        >>> divide_no_nan(jnp.array([1.0, 2.0]), jnp.array([2.0, 0.0]))
        Array([0.5, 0. ], dtype=float32)
    """
    safe = jnp.where(y == 0, jnp.ones_like(y), y)
    return jnp.where(y == 0, jnp.zeros_like(x / safe), x / safe)


def standardize_reduction(reduction, owner="Loss"):
    """Checks ``reduction`` against the Keras 3 names and returns it.

    Args:
        reduction: A Keras reduction name or ``None``.
        owner: How error messages name the caller (``'MeanSquaredError'``).

    Example:
        >>> standardize_reduction('sum'), standardize_reduction(None)
        ('sum', None)
    """
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


__all__ = [
    "REDUCTIONS", "snake_case", "standardize_dtype", "aligned_shapes", "align_ranks",
    "divide_no_nan", "standardize_reduction", "reduce_weighted_values",
]
