"""Numpy reductions, statistics, sorting and searching.

Keras's dtype rules: ``mean`` of integers or booleans is a float32 (floats keep
their dtype, computed in at least float32); ``var`` computes in at least float32
and returns a float (integers give floatx's width); ``average`` computes in the
common float dtype of ``x`` and ``weights``; ``count_nonzero`` is int32.
"""

import builtins

import jax.numpy as jnp

from jaxlayers.ops import _args
from jaxlayers.ops._numpy_dtypes import (
    inexact_dtype,
    is_int_or_bool,
    named,
    tensor,
)

_X = ("x", "Array-like input of any shape.")
_AXIS = ("axis", "Int, tuple or list of axes to reduce; ``None`` reduces all axes.")
_KEEPDIMS = ("keepdims", "Whether reduced axes stay as size-1 axes.")


def _axis(axis):
    # jnp wants a hashable axis; Keras programs pass lists too.
    return tuple(axis) if isinstance(axis, list) else axis


def _reduction(fn, name=None, example=None):
    def op(x, axis=None, keepdims=False):
        return fn(tensor(x), axis=_axis(axis), keepdims=keepdims)

    name = name or fn.__name__
    return named(op, name, f"``{name}`` of ``x`` over ``axis`` (all axes when ``None``).",
                 [_X, _AXIS, _KEEPDIMS], example)


def _cumulative(fn, example=None):
    def op(x, axis=None, dtype=None):
        return fn(tensor(x), axis=axis, dtype=dtype)

    return named(op, fn.__name__, f"``{fn.__name__}`` of ``x`` along ``axis`` (of the flattened "
                 "array when ``None``), in ``dtype`` when given.",
                 [_X, ("axis", "Int axis, or ``None`` to flatten ``x`` first."),
                  ("dtype", "Result dtype, or ``None`` for numpy's default.")], example)


def _quantiles(fn, example=None):
    def op(x, q, axis=None, method="linear", keepdims=False):
        return fn(tensor(x), tensor(q), axis=_axis(axis), method=method, keepdims=keepdims)

    return named(op, fn.__name__, f"``{fn.__name__}`` of ``x`` at ``q`` over ``axis``; "
                 "``method`` is numpy's interpolation method.",
                 [_X, ("q", "Scalar or 1-D array of the quantiles (percentiles) to compute."),
                  _AXIS, ("method", "``'linear'``, ``'lower'``, ``'higher'``, ``'midpoint'`` "
                          "or ``'nearest'``."), _KEEPDIMS], example)


all = _reduction(jnp.all, "all",
    example=('np.array([[True, False], [True, True]]), axis=1',
             'Array([False, True], dtype=bool)'))  # noqa: A001 - Keras's names
any = _reduction(jnp.any, "any",
    example=('np.array([[True, False], [False, False]]), axis=1',
             'Array([ True, False], dtype=bool)'))  # noqa: A001
amax = _reduction(jnp.amax, "amax",
    example=('np.array([[1, 5], [3, 2]]), axis=0',
             'Array([3, 5], dtype=int32)'))
amin = _reduction(jnp.amin, "amin",
    example=('np.array([[1, 5], [3, 2]]), axis=0',
             'Array([1, 2], dtype=int32)'))
median = _reduction(jnp.median, example=('np.array([3.0, 1.0, 2.0])', 'Array(2., dtype=float32)'))
nanmax = _reduction(jnp.nanmax,
    example=('np.array([1.0, np.nan, 3.0])',
             'Array(3., dtype=float32)'))
nanmean = _reduction(jnp.nanmean,
    example=('np.array([1.0, np.nan, 3.0])',
             'Array(2., dtype=float32)'))
nanmedian = _reduction(jnp.nanmedian,
    example=('np.array([1.0, np.nan, 3.0])',
             'Array(2., dtype=float32)'))
nanmin = _reduction(jnp.nanmin,
    example=('np.array([1.0, np.nan, 3.0])',
             'Array(1., dtype=float32)'))
nanprod = _reduction(jnp.nanprod,
    example=('np.array([2.0, np.nan, 3.0])',
             'Array(6., dtype=float32)'))
nanstd = _reduction(jnp.nanstd,
    example=('np.array([1.0, np.nan, 3.0])',
             'Array(1., dtype=float32)'))
nansum = _reduction(jnp.nansum,
    example=('np.array([1.0, np.nan, 3.0])',
             'Array(4., dtype=float32)'))
nanvar = _reduction(jnp.nanvar,
    example=('np.array([1.0, np.nan, 3.0])',
             'Array(1., dtype=float32)'))
ptp = _reduction(jnp.ptp,
    example=('np.array([[1, 5], [3, 2]]), axis=1',
             'Array([4, 1], dtype=int32)'))
std = _reduction(jnp.std, example=('np.array([1.0, 3.0])', 'Array(1., dtype=float32)'))
sum = _reduction(jnp.sum, "sum",
    example=('np.array([[1, 2], [3, 4]]), axis=1, keepdims=True',
             'Array([[3], [7]], dtype=int32)'))  # noqa: A001

cumprod = _cumulative(jnp.cumprod, example=('np.array([1, 2, 3])', 'Array([1, 2, 6], dtype=int32)'))
cumsum = _cumulative(jnp.cumsum, example=('np.array([1, 2, 3])', 'Array([1, 3, 6], dtype=int32)'))
nancumprod = _cumulative(jnp.nancumprod,
    example=('np.array([2.0, np.nan, 3.0])',
             'Array([2., 2., 6.], dtype=float32)'))
nancumsum = _cumulative(jnp.nancumsum,
    example=('np.array([1.0, np.nan, 3.0])',
             'Array([1., 1., 4.], dtype=float32)'))

nanpercentile = _quantiles(jnp.nanpercentile,
    example=('np.array([1.0, np.nan, 3.0]), 50',
             'Array(2., dtype=float32)'))
nanquantile = _quantiles(jnp.nanquantile,
    example=('np.array([1.0, np.nan, 3.0]), 0.5',
             'Array(2., dtype=float32)'))
percentile = _quantiles(jnp.percentile,
    example=('np.array([1.0, 2.0, 3.0, 4.0]), 50',
             'Array(2.5, dtype=float32)'))
quantile = _quantiles(jnp.quantile,
    example=('np.array([1.0, 2.0, 3.0, 4.0]), 0.25',
             'Array(1.75, dtype=float32)'))


def max(x, axis=None, keepdims=False, initial=None):  # noqa: A001 - Keras's name
    """Maximum of ``x`` over ``axis``; ``initial`` is a lower bound (needed for empty ``x``).

    Args:
        x: Array-like input.
        axis: Int axis (``None`` where allowed: all axes, or the flattened array).
        keepdims: Whether reduced axes stay as size-1 axes.
        initial: Lower bound of the result; required when reducing an empty array.

    Example:
        >>> jl.ops.numpy.max(np.array([[1, 5], [3, 2]]), axis=1)
        Array([5, 3], dtype=int32)
    """
    return jnp.max(tensor(x), axis=_axis(axis), keepdims=keepdims, initial=initial)


def min(x, axis=None, keepdims=False, initial=None):  # noqa: A001 - Keras's name
    """Minimum of ``x`` over ``axis``; ``initial`` is an upper bound (needed for empty ``x``).

    Args:
        x: Array-like input.
        axis: Int axis (``None`` where allowed: all axes, or the flattened array).
        keepdims: Whether reduced axes stay as size-1 axes.
        initial: Upper bound of the result; required when reducing an empty array.

    Example:
        >>> jl.ops.numpy.min(np.array([[1, 5], [3, 2]]), axis=0)
        Array([1, 2], dtype=int32)
    """
    return jnp.min(tensor(x), axis=_axis(axis), keepdims=keepdims, initial=initial)


def prod(x, axis=None, keepdims=False, dtype=None):
    """Product of ``x`` over ``axis``, in ``dtype`` when given.

    Args:
        x: Array-like input.
        axis: Int axis (``None`` where allowed: all axes, or the flattened array).
        keepdims: Whether reduced axes stay as size-1 axes.
        dtype: Result dtype; ``None`` for the default named in the summary.

    Example:
        >>> jl.ops.numpy.prod(np.array([[1, 2], [3, 4]]), axis=0)
        Array([3, 8], dtype=int32)
    """
    return jnp.prod(tensor(x), axis=_axis(axis), keepdims=keepdims, dtype=dtype)


def mean(x, axis=None, keepdims=False):
    """Mean of ``x`` over ``axis``.

    Computed in at least float32 (so float16 does not overflow); integers and
    booleans give float32, floats keep their dtype.

    Args:
        x: Array-like input.
        axis: Int axis (``None`` where allowed: all axes, or the flattened array).
        keepdims: Whether reduced axes stay as size-1 axes.

    Example:
        >>> jl.ops.mean(np.array([1, 2], "int32"))
        Array(1.5, dtype=float32)
    """
    x = tensor(x)
    compute = jnp.result_type(x.dtype, jnp.float32)
    out = jnp.mean(x, axis=_axis(axis), keepdims=keepdims, dtype=compute)
    return out if is_int_or_bool(x.dtype) else out.astype(x.dtype)


def var(x, axis=None, keepdims=False):
    """Variance of ``x`` over ``axis``, computed in at least float32, returned as a float.

    Args:
        x: Array-like input.
        axis: Int axis (``None`` where allowed: all axes, or the flattened array).
        keepdims: Whether reduced axes stay as size-1 axes.

    Example:
        >>> jl.ops.numpy.var(np.array([1.0, 3.0]))
        Array(1., dtype=float32)
    """
    x = tensor(x)
    compute = jnp.result_type(x.dtype, jnp.float32)
    out = jnp.var(x, axis=_axis(axis), keepdims=keepdims, dtype=compute)
    return out.astype(inexact_dtype(x.dtype))


def average(x, axis=None, weights=None):
    """Weighted mean of ``x`` over ``axis``, in the common float dtype of ``x`` and ``weights``.

    Args:
        x: Array-like input.
        axis: Int axis (``None`` where allowed: all axes, or the flattened array).
        weights: Array-like weights, broadcastable to ``x`` along ``axis``; ``None`` means
            equal weights.

    Example:
        >>> jl.ops.numpy.average(np.array([1.0, 4.0]), weights=np.array([3.0, 1.0]))
        Array(1.75, dtype=float32)
    """
    x = tensor(x)
    if weights is None:
        return jnp.average(x.astype(inexact_dtype(x.dtype)), axis=axis)
    weights = tensor(weights)
    dtype = inexact_dtype(x.dtype, weights.dtype)
    return jnp.average(x.astype(dtype), axis=axis, weights=weights.astype(dtype))


def count_nonzero(x, axis=None):
    """Number of non-zero entries of ``x`` over ``axis``, as int32.

    Args:
        x: Array-like input.
        axis: Int axis (``None`` where allowed: all axes, or the flattened array).

    Example:
        >>> jl.ops.numpy.count_nonzero(np.array([[0, 1], [2, 3]]), axis=1)
        Array([1, 2], dtype=int32)
    """
    return jnp.count_nonzero(tensor(x), axis=_axis(axis)).astype("int32")


def _signed_zeros(x):
    """``x`` with -0.0 just below +0.0, so argmax/argmin tell them apart.

    Keras does this on CPU (where XLA flushes subnormals to zero); doing it on
    every platform gives one answer everywhere. Computed in at least float32,
    whose smallest normal number survives the flush.
    """
    x = tensor(x)
    if x.ndim == 0 or not jnp.issubdtype(x.dtype, jnp.floating):
        return x
    x = x.astype(jnp.result_type(x.dtype, jnp.float32))
    return jnp.where((x == 0) & jnp.signbit(x), -jnp.finfo(x.dtype).tiny, x)


def argmax(x, axis=None, keepdims=False):
    """Index of the maximum of ``x`` along ``axis`` (of the flattened ``x`` when ``None``).

    Ties go to the first index; -0.0 counts as smaller than +0.0.

    Args:
        x: Array-like input.
        axis: Int axis (``None`` where allowed: all axes, or the flattened array).
        keepdims: Whether reduced axes stay as size-1 axes.

    Example:
        >>> jl.ops.numpy.argmax(np.array([[1, 5], [3, 2]]), axis=1)
        Array([1, 0], dtype=int32)
    """
    return jnp.argmax(_signed_zeros(x), axis=axis, keepdims=keepdims)


def argmin(x, axis=None, keepdims=False):
    """Index of the minimum of ``x`` along ``axis`` (of the flattened ``x`` when ``None``).

    Ties go to the first index; -0.0 counts as smaller than +0.0.

    Args:
        x: Array-like input.
        axis: Int axis (``None`` where allowed: all axes, or the flattened array).
        keepdims: Whether reduced axes stay as size-1 axes.

    Example:
        >>> jl.ops.numpy.argmin(np.array([[1, 5], [3, 2]]), axis=1)
        Array([0, 1], dtype=int32)
    """
    return jnp.argmin(_signed_zeros(x), axis=axis, keepdims=keepdims)


def nanargmax(x, axis=None, keepdims=False):
    """Index of the maximum of ``x`` along ``axis``, ignoring NaNs.

    Args:
        x: Array-like input.
        axis: Int axis (``None`` where allowed: all axes, or the flattened array).
        keepdims: Whether reduced axes stay as size-1 axes.

    Example:
        >>> jl.ops.numpy.nanargmax(np.array([1.0, np.nan, 3.0]))
        Array(2, dtype=int32)
    """
    return jnp.nanargmax(tensor(x), axis=axis, keepdims=keepdims)


def nanargmin(x, axis=None, keepdims=False):
    """Index of the minimum of ``x`` along ``axis``, ignoring NaNs.

    Args:
        x: Array-like input.
        axis: Int axis (``None`` where allowed: all axes, or the flattened array).
        keepdims: Whether reduced axes stay as size-1 axes.

    Example:
        >>> jl.ops.numpy.nanargmin(np.array([np.nan, 2.0, 3.0]))
        Array(1, dtype=int32)
    """
    return jnp.nanargmin(tensor(x), axis=axis, keepdims=keepdims)


def argsort(x, axis=-1):
    """Indices that sort ``x`` along ``axis`` (a scalar sorts as a 1-element array).

    Args:
        x: Array-like input.
        axis: Int axis (``None`` where allowed: all axes, or the flattened array).

    Example:
        >>> jl.ops.numpy.argsort(np.array([3, 1, 2]))
        Array([1, 2, 0], dtype=int32)
    """
    x = tensor(x)
    return jnp.argsort(x, axis=None if x.ndim == 0 else axis)


def sort(x, axis=-1):
    """``x`` sorted along ``axis``.

    Args:
        x: Array-like input.
        axis: Int axis (``None`` where allowed: all axes, or the flattened array).

    Example:
        >>> jl.ops.numpy.sort(np.array([3, 1, 2]))
        Array([1, 2, 3], dtype=int32)
    """
    return jnp.sort(tensor(x), axis=axis)


def argpartition(x, kth, axis=-1):
    """Indices that put the ``kth`` smallest entry of ``x`` in place along ``axis``.

    ``axis=None`` partitions the flattened ``x``.

    Args:
        x: Array-like input.
        kth: Int position whose entry ends up in sorted place.
        axis: Int axis (``None`` where allowed: all axes, or the flattened array).

    Example:
        >>> int(jl.ops.numpy.argpartition(np.array([30, 10, 20]), 0)[0])
        1
    """
    x = tensor(x)
    if axis is None:
        return jnp.argpartition(jnp.ravel(x), kth, axis=0)
    return jnp.argpartition(x, kth, axis=axis)


def searchsorted(sorted_sequence, values, side="left"):
    """Indices where ``values`` would be inserted into the 1-D ``sorted_sequence``.

    Args:
        sorted_sequence: 1-D array-like in increasing order.
        values: Array-like of values to place.
        side: ``'left'`` (first suitable index) or ``'right'`` (last).

    Raises:
        ConfigError: ``sorted_sequence`` is not 1-D (map over rows with
            ``jax.vmap`` instead).

    Example:
        >>> jl.ops.numpy.searchsorted(np.array([1, 3, 5]), np.array([0, 3, 6]))
        Array([0, 1, 3], dtype=int32)
    """
    sorted_sequence, values = tensor(sorted_sequence), tensor(values)
    if sorted_sequence.ndim != 1:
        raise _args.invalid("searchsorted", "sorted_sequence",
                            f"<array of shape {sorted_sequence.shape}>",
                            "1-D (use jax.vmap for N-D)")
    return jnp.searchsorted(sorted_sequence, values, side=side)


def digitize(x, bins):
    """Index of the bin of ``bins`` (increasing or decreasing) each entry of ``x`` falls in.

    Args:
        x: Array-like input.
        bins: 1-D monotonic array-like of bin edges.

    Example:
        >>> jl.ops.numpy.digitize(np.array([0.5, 1.5, 3.0]), np.array([1.0, 2.0]))
        Array([0, 1, 2], dtype=int32)
    """
    return jnp.digitize(tensor(x), tensor(bins))


def bincount(x, weights=None, minlength=0, sparse=False):
    """Count (or sum ``weights``) per non-negative integer value of ``x``.

    A 2-D ``x`` counts each row on its own. The output length depends on the
    values of ``x``, so this op does not run under ``jax.jit``.

    Args:
        x: 1-D array-like of non-negative ints.
        weights: Array-like like ``x``; ``None`` counts ones.
        minlength: Minimum length of the result.
        sparse: Must be false (sparse results are not supported).

    Raises:
        ConfigError: ``sparse=True`` (jaxlayers has no sparse tensors).

    Example:
        >>> jl.ops.numpy.bincount(np.array([0, 1, 1, 3]))
        Array([1, 2, 0, 1], dtype=int32)
    """
    if sparse:
        raise _args.invalid("bincount", "sparse", sparse, "False (jaxlayers has no sparse tensors)")
    x = tensor(x)
    weights = None if weights is None else tensor(weights)
    if x.ndim == 2:
        length = builtins.max(int(jnp.max(x)) + 1 if x.size else 0, minlength)
        rows = [jnp.bincount(row, weights=None if weights is None else weights[i],
                             length=length) for i, row in enumerate(x)]
        return jnp.stack(rows)
    return jnp.bincount(x, weights=weights, minlength=minlength)


def histogram(x, bins=10, range=None):  # noqa: A002 - Keras's argument name
    """Counts of the 1-D ``x`` in ``bins`` equal bins over ``range``, and the bin edges.

    Args:
        x: 1-D array-like.
        bins: Number of equal-width bins.
        range: ``(low, high)``; ``None`` means ``(x.min(), x.max())``.

    Raises:
        ConfigTypeError: ``bins`` is not an int.
        ConfigError: ``bins`` is negative, ``range`` is not an increasing pair, or
            ``x`` is not 1-D.

    Example:
        >>> counts, edges = jl.ops.numpy.histogram(np.array([1.0, 2.0, 2.5, 4.0]), bins=3)
        >>> counts, edges
        (Array([1., 2., 1.], dtype=float32), Array([1., 2., 3., 4.], dtype=float32))
    """
    if not isinstance(bins, int) or isinstance(bins, bool):
        raise _args.type_error("histogram", "bins", bins, "an int")
    if bins < 0:
        raise _args.invalid("histogram", "bins", bins, "a non-negative int")
    if range:
        if not isinstance(range, tuple) or len(range) != 2 or range[1] < range[0]:
            raise _args.invalid("histogram", "range", range, "a tuple (low, high) with low <= high")
    x = tensor(x)
    if x.ndim > 1:
        raise _args.invalid("histogram", "x", f"<array of shape {x.shape}>", "1-D")
    return jnp.histogram(x, bins=bins, range=range)


def unique(x, sorted=True, return_index=False, return_inverse=False,  # noqa: A002
           return_counts=False, axis=None, size=None, fill_value=None):
    """The distinct values of ``x`` (with indices, inverse and counts on request).

    Under ``jax.jit`` give ``size`` (the static output length; ``fill_value`` pads).

    Args:
        x: Array-like input.
        sorted: Whether the values come back sorted.
        return_index: Also return the index of each value's first occurrence.
        return_inverse: Also return the indices that rebuild ``x`` from the values.
        return_counts: Also return how often each value occurs.
        axis: Axis along which slices are compared; ``None`` flattens ``x``.
        size: Fixed result length (needed under ``jax.jit``); ``None`` means data-dependent.
        fill_value: Value padding the result up to ``size``.

    Example:
        >>> jl.ops.numpy.unique(np.array([3, 1, 3, 2]))
        Array([1, 2, 3], dtype=int32)
    """
    return jnp.unique(tensor(x), return_index=return_index, return_inverse=return_inverse,
                      return_counts=return_counts, axis=axis, equal_nan=False, size=size,
                      sorted=sorted, fill_value=fill_value)


def corrcoef(x):
    """Pearson correlation coefficients of the rows of ``x``.

    Args:
        x: Array of shape ``(variables, observations)``.

    Example:
        >>> jl.ops.numpy.corrcoef(np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]]))
        Array([[1., 1.],
               [1., 1.]], dtype=float32)
    """
    return jnp.corrcoef(tensor(x))


def correlate(x1, x2, mode="valid"):
    """Cross-correlation of the 1-D ``x1`` and ``x2``; ``mode`` is valid, same or full.

    Args:
        x1: 1-D array-like.
        x2: 1-D array-like.
        mode: ``'valid'``, ``'same'`` or ``'full'``.

    Example:
        >>> jl.ops.numpy.correlate(np.array([1, 2, 3]), np.array([1, 1]))
        Array([3., 5.], dtype=float32)
    """
    return jnp.correlate(tensor(x1), tensor(x2), mode)


def diff(a, n=1, axis=-1):
    """``n``-th discrete difference of ``a`` along ``axis``.

    Args:
        a: Array-like input.
        n: Number of times to difference.
        axis: Int axis along which to difference.

    Example:
        >>> jl.ops.numpy.diff(np.array([1, 4, 9]))
        Array([3, 5], dtype=int32)
    """
    return jnp.diff(tensor(a), n=n, axis=axis)


def trace(x, offset=0, axis1=0, axis2=1):
    """Sum of the ``offset`` diagonal of ``x`` in the plane ``(axis1, axis2)``.

    Args:
        x: Array-like input.
        offset: Diagonal offset: positive above the main diagonal, negative below.
        axis1: First axis of the plane.
        axis2: Second axis of the plane.

    Example:
        >>> jl.ops.numpy.trace(np.array([[1, 2], [3, 4]]))
        Array(5, dtype=int32)
    """
    return jnp.trace(tensor(x), offset=offset, axis1=axis1, axis2=axis2)


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Integral of ``y`` along ``axis`` by the trapezoid rule (at ``x``, else spacing ``dx``).

    Args:
        y: Array-like of sample values.
        x: Sample points along ``axis``; ``None`` means spacing ``dx``.
        dx: Spacing of the samples when ``x`` is ``None``.
        axis: Int axis to integrate along.

    Example:
        >>> jl.ops.numpy.trapezoid(np.array([0.0, 1.0, 2.0]))
        Array(2., dtype=float32)
    """
    return jnp.trapezoid(tensor(y), None if x is None else tensor(x), dx=tensor(dx), axis=axis)

