"""Numpy ops that make arrays: filled arrays, ranges, grids and window functions.

Keras's dtype rules: ``zeros``, ``ones``, ``empty``, ``full``, ``eye``,
``identity`` and ``tri`` default to floatx; ``arange`` takes the dtype of its
arguments (a Python float among integers gives a float of floatx's width); the
window functions return floatx.
"""

import jax.numpy as jnp

from jaxlayers.ops import _args
from jaxlayers.ops._numpy_dtypes import inexact_dtype, named, tensor
from jaxlayers.ops._settings import floatx


def _dtype(dtype):
    return floatx() if dtype is None else dtype


def zeros(shape, dtype=None):
    """An array of zeros of ``shape`` in ``dtype`` (floatx by default).

    Args:
        shape: Int or tuple of ints, the result's shape.
        dtype: Result dtype; ``None`` for the default named in the summary.

    Example:
        >>> jl.ops.numpy.zeros((2,))
        Array([0., 0.], dtype=float32)
    """
    return jnp.zeros(shape, dtype=_dtype(dtype))


def ones(shape, dtype=None):
    """An array of ones of ``shape`` in ``dtype`` (floatx by default).

    Args:
        shape: Int or tuple of ints, the result's shape.
        dtype: Result dtype; ``None`` for the default named in the summary.

    Example:
        >>> jl.ops.numpy.ones((1, 2), 'int32')
        Array([[1, 1]], dtype=int32)
    """
    return jnp.ones(shape, dtype=_dtype(dtype))


def empty(shape, dtype=None):
    """An array of ``shape`` in ``dtype`` (floatx by default); JAX fills it with zeros.

    Args:
        shape: Int or tuple of ints, the result's shape.
        dtype: Result dtype; ``None`` for the default named in the summary.

    Example:
        >>> jl.ops.numpy.empty((2, 3)).shape
        (2, 3)
    """
    return jnp.empty(shape, dtype=_dtype(dtype))


def full(shape, fill_value, dtype=None):
    """An array of ``shape`` filled with ``fill_value``, in ``dtype`` (floatx by default).

    Args:
        shape: Int or tuple of ints, the result's shape.
        fill_value: Scalar filling the result.
        dtype: Result dtype; ``None`` for the default named in the summary.

    Example:
        >>> jl.ops.numpy.full((2,), 7)
        Array([7., 7.], dtype=float32)
    """
    return jnp.full(shape, fill_value, dtype=_dtype(dtype))


def zeros_like(x, dtype=None):
    """Zeros with the shape of ``x``, in ``dtype`` or the dtype of ``x``.

    Args:
        x: Array-like input.
        dtype: Result dtype; ``None`` for the default named in the summary.

    Example:
        >>> jl.ops.numpy.zeros_like(np.array([1, 2]))
        Array([0, 0], dtype=int32)
    """
    return jnp.zeros_like(tensor(x), dtype=dtype)


def ones_like(x, dtype=None):
    """Ones with the shape of ``x``, in ``dtype`` or the dtype of ``x``.

    Args:
        x: Array-like input.
        dtype: Result dtype; ``None`` for the default named in the summary.

    Example:
        >>> jl.ops.numpy.ones_like(np.array([1, 2]), 'float32')
        Array([1., 1.], dtype=float32)
    """
    return jnp.ones_like(tensor(x), dtype=dtype)


def empty_like(x, dtype=None):
    """An array with the shape of ``x``, in ``dtype`` or the dtype of ``x``.

    Args:
        x: Array-like input.
        dtype: Result dtype; ``None`` for the default named in the summary.

    Example:
        >>> jl.ops.numpy.empty_like(np.zeros((2, 3))).shape
        (2, 3)
    """
    return jnp.empty_like(tensor(x), dtype=dtype)


def full_like(x, fill_value, dtype=None):
    """``fill_value`` with the shape of ``x``, in ``dtype`` or the dtype of ``x``.

    Args:
        x: Array-like input.
        fill_value: Scalar filling the result.
        dtype: Result dtype; ``None`` for the default named in the summary.

    Example:
        >>> jl.ops.numpy.full_like(np.array([1, 2]), 5)
        Array([5, 5], dtype=int32)
    """
    return jnp.full_like(tensor(x), fill_value, dtype=dtype)


def _is_float(value):
    return isinstance(value, float) or (
        hasattr(value, "dtype") and jnp.issubdtype(value.dtype, jnp.floating))


def eye(N, M=None, k=0, dtype=None):  # noqa: N803 - Keras's argument names
    """An ``N x M`` array with ones on the ``k``-th diagonal, in ``dtype`` (floatx by default).

    Args:
        N: Number of rows.
        M: Number of columns; ``None`` means ``N``.
        k: Diagonal offset: 0 is the main diagonal, positive above, negative below.
        dtype: Result dtype; ``None`` for the default named in the summary.

    Raises:
        ConfigTypeError: ``N`` or ``M`` is a float.

    Example:
        >>> jl.ops.numpy.eye(2, 3, k=1).tolist()
        [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    if _is_float(N):
        raise _args.type_error("eye", "N", N, "an int")
    if _is_float(M):
        raise _args.type_error("eye", "M", M, "an int or None")
    return jnp.eye(N, M=M, k=k, dtype=_dtype(dtype))


def identity(n, dtype=None):
    """The ``n x n`` identity matrix in ``dtype`` (floatx by default).

    Args:
        n: Number of rows and columns.
        dtype: Result dtype; ``None`` for the default named in the summary.

    Example:
        >>> jl.ops.numpy.identity(2).tolist()
        [[1.0, 0.0], [0.0, 1.0]]
    """
    return jnp.identity(n, dtype=_dtype(dtype))


def tri(N, M=None, k=0, dtype=None):  # noqa: N803 - Keras's argument names
    """An ``N x M`` array with ones at and below the ``k``-th diagonal (floatx by default).

    Args:
        N: Number of rows.
        M: Number of columns; ``None`` means ``N``.
        k: Diagonal offset: 0 is the main diagonal, positive above, negative below.
        dtype: Result dtype; ``None`` for the default named in the summary.

    Example:
        >>> jl.ops.numpy.tri(3, dtype='int32').tolist()
        [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
    """
    return jnp.tri(N, M=M, k=k, dtype=_dtype(dtype))


def arange(start, stop=None, step=None, dtype=None):
    """Evenly spaced values in ``[start, stop)`` (``[0, start)`` when ``stop`` is None).

    Without ``dtype``, the dtype comes from the arguments: Python ints give
    int32, a Python float gives a float of floatx's width, arrays their dtype.

    Args:
        start: First value, or the end when ``stop`` is ``None``.
        stop: End, excluded.
        step: Spacing; ``None`` means 1.
        dtype: Result dtype; ``None`` for the default named in the summary.

    Example:
        >>> jl.ops.arange(3), jl.ops.arange(0, 1, 0.5)
        (Array([0, 1, 2], dtype=int32), Array([0. , 0.5], dtype=float32))
    """
    if dtype is None:
        values = [v for v in (start, stop, step) if v is not None]
        typed = [v.dtype if hasattr(v, "dtype") else type(v) for v in values
                 if not isinstance(v, float)]
        dtype = jnp.result_type(*typed) if typed else None
        if dtype is None or len(typed) < len(values):
            # A Python float among them: floats keep their width, integers give floatx's.
            dtype = inexact_dtype(*(typed or [jnp.int32]))
    return jnp.arange(start, stop, step, dtype=dtype)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop`` (and the step on request).

    Args:
        start: First value.
        stop: End value (included when ``endpoint`` is true).
        num: Number of values, a non-negative int.
        endpoint: Whether ``stop`` is the last value.
        retstep: Whether to also return the spacing.
        dtype: Result dtype; ``None`` for the default named in the summary.
        axis: Axis of the result holding the values, when ``start``/``stop`` are arrays.

    Example:
        >>> jl.ops.numpy.linspace(0, 1, 5)
        Array([0.  , 0.25, 0.5 , 0.75, 1.  ], dtype=float32)
    """
    return jnp.linspace(start, stop, num=num, endpoint=endpoint, retstep=retstep,
                        dtype=dtype, axis=axis)


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    """``num`` values spaced evenly on a log scale, from ``base ** start`` to ``base ** stop``.

    Args:
        start: Exponent of the first value.
        stop: Exponent of the end value.
        num: Number of values, a non-negative int.
        endpoint: Whether ``stop`` is the last value.
        base: Base of the exponents.
        dtype: Result dtype; ``None`` for the default named in the summary.
        axis: Axis of the result holding the values, when ``start``/``stop`` are arrays.

    Example:
        >>> jl.ops.numpy.logspace(0, 2, 3)
        Array([  1.,  10., 100.], dtype=float32)
    """
    return jnp.logspace(start, stop, num=num, endpoint=endpoint, base=base, dtype=dtype,
                        axis=axis)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """``num`` values in geometric progression from ``start`` to ``stop``.

    Args:
        start: First value.
        stop: End value (included when ``endpoint`` is true).
        num: Number of values, a non-negative int.
        endpoint: Whether ``stop`` is the last value.
        dtype: Result dtype; ``None`` for the default named in the summary.
        axis: Axis of the result holding the values, when ``start``/``stop`` are arrays.

    Example:
        >>> jl.ops.numpy.geomspace(1, 8, 4)
        Array([1.       , 2.       , 4.0000005, 8.       ], dtype=float32)
    """
    return jnp.geomspace(start, stop, num=num, endpoint=endpoint, dtype=dtype, axis=axis)


def meshgrid(*x, indexing="xy"):
    """Coordinate grids from 1-D arrays; ``indexing`` is ``'xy'`` (Cartesian) or ``'ij'``.

    Args:
        *x: 1-D array-likes, one per axis of the grid.
        indexing: ``'xy'`` or ``'ij'``.

    Example:
        >>> xx, yy = jl.ops.numpy.meshgrid(np.array([1, 2, 3]), np.array([4, 5]))
        >>> xx.tolist(), yy.tolist()
        ([[1, 2, 3], [1, 2, 3]], [[4, 4, 4], [5, 5, 5]])
    """
    if indexing not in ("xy", "ij"):
        raise _args.invalid("meshgrid", "indexing", indexing, "'xy' or 'ij'")
    return jnp.meshgrid(*(tensor(v) for v in x), indexing=indexing)


def array(x, dtype=None):
    """A new array holding ``x``, in ``dtype`` when given.

    Args:
        x: Array-like input.
        dtype: Result dtype; ``None`` for the default named in the summary.

    Example:
        >>> jl.ops.numpy.array([1, 2], dtype='float32')
        Array([1., 2.], dtype=float32)
    """
    return jnp.array(x, dtype=dtype)


def view(x, dtype=None):
    """The bits of ``x`` read as ``dtype`` (the last axis rescales if the widths differ).

    Args:
        x: Array-like input.
        dtype: Dtype to read the bits as; ``None`` keeps ``x``'s dtype.

    Example:
        >>> jl.ops.numpy.view(np.array([1.0], 'float32'), 'int32')
        Array([1065353216], dtype=int32)
    """
    return tensor(x).view(dtype)


def vander(x, N=None, increasing=False):  # noqa: N803 - Keras's argument name
    """The Vandermonde matrix of the 1-D ``x``: columns are powers of ``x``.

    Args:
        x: 1-D array-like.
        N: Number of columns; ``None`` means ``len(x)``.
        increasing: Whether powers increase from left to right.

    Raises:
        ConfigError: ``x`` is not 1-D or ``N`` is negative.
        ConfigTypeError: ``N`` is not an int or ``increasing`` not a bool.

    Example:
        >>> jl.ops.numpy.vander(np.array([1, 2, 3]), 3).tolist()
        [[1, 1, 1], [4, 2, 1], [9, 3, 1]]
    """
    x = tensor(x)
    if x.ndim != 1:
        raise _args.invalid("vander", "x", f"<array of shape {x.shape}>", "1-D")
    if N is not None:
        if not isinstance(N, int) or isinstance(N, bool):
            raise _args.type_error("vander", "N", N, "an int or None")
        if N < 0:
            raise _args.invalid("vander", "N", N, "non-negative")
    if not isinstance(increasing, bool):
        raise _args.type_error("vander", "increasing", increasing, "a bool")
    return jnp.vander(x, N=N, increasing=increasing)


def _window(fn, example=None):
    def op(x):
        return fn(x).astype(floatx())

    return named(op, fn.__name__, f"The {fn.__name__} window of length ``x`` (a Python int or "
                 "a concrete scalar), in floatx.",
                 [("x", "Window length, a non-negative int.")], example)


bartlett = _window(jnp.bartlett, example=('5', 'Array([0. , 0.5, 1. , 0.5, 0. ], dtype=float32)'))
blackman = _window(jnp.blackman,
    example=('3',
             'Array([-1.4901161e-08, 9.9999994e-01, -1.4901161e-08], dtype=float32)'))
hamming = _window(jnp.hamming, example=('3', 'Array([0.08000001, 1. , 0.08000001], dtype=float32)'))
hanning = _window(jnp.hanning, example=('3', 'Array([0., 1., 0.], dtype=float32)'))


def kaiser(x, beta):
    """The Kaiser window of length ``x`` with shape parameter ``beta``, in floatx.

    Args:
        x: Window length, a non-negative int.
        beta: Shape parameter; 0 gives a rectangular window.

    Example:
        >>> jl.ops.numpy.kaiser(3, 0.0)
        Array([1., 1., 1.], dtype=float32)
    """
    return jnp.kaiser(x, beta).astype(floatx())
