"""Keras 3's ``keras.ops.linalg``: decompositions, solvers and norms over ``jax.numpy.linalg``.

Every function takes a matrix ``(M, N)`` or a stack of them ``(..., M, N)`` unless
its docstring says otherwise, and checks ranks and squareness before any tracing
(a :class:`~jaxlayers.errors.ShapeError`, a ``ValueError`` as in Keras).
"""

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl

from jaxlayers.errors import ConfigError, DataError, ShapeError
from jaxlayers.ops.core import convert_to_tensor

__all__ = [
    "cholesky", "cholesky_inverse", "det", "eig", "eigh", "inv", "jvp", "lstsq", "lu_factor",
    "matrix_rank", "norm", "pinv", "qr", "solve", "solve_triangular", "svd",
]

_MATRIX_ORDS = (None, "fro", "nuc", float("inf"), float("-inf"), 1, -1, 2, -2)


def _matrices(x, op, arg="x", square=False):
    """``x`` as an array of rank >= 2 (and square matrices when ``square``)."""
    x = convert_to_tensor(x)
    if x.ndim < 2:
        raise ShapeError(
            f"ops.{op}: `{arg}` must be a matrix or a stack of matrices (rank >= 2). "
            f"Received: {arg}.shape={x.shape}.")
    if square and x.shape[-1] != x.shape[-2]:
        raise ShapeError(
            f"ops.{op}: `{arg}` must hold square matrices. Received: {arg}.shape={x.shape}.")
    return x


def _solve_each(solver, a, b, op):
    """``solver(a, b)`` for ``a`` of ``(..., M, M)`` and ``b`` of ``(..., M)`` or ``(..., M, N)``.

    ``b`` with one axis fewer than ``a`` (or one axis) holds vectors, as Keras
    documents; JAX alone would read a 2-D ``b`` beside a 3-D ``a`` as matrices.
    """
    b = convert_to_tensor(b)
    vectors = b.ndim == 1 or b.ndim == a.ndim - 1
    if b.ndim < 1 or b.shape[-1 if vectors else -2] != a.shape[-1]:
        raise ShapeError(
            f"ops.{op}: `b` must have shape (..., M) or (..., M, N) for `a` of shape "
            f"(..., M, M). Received: a.shape={a.shape}, b.shape={b.shape}.")
    return solver(a, b[..., None])[..., 0] if vectors else solver(a, b)


def cholesky(x, upper=False):
    """The Cholesky factor ``L`` (``x = L @ L.T``), or ``U = L.T`` when ``upper``.

    ``x`` must be symmetric positive definite.  Eagerly, a matrix that is not
    raises a ``ValueError``; under ``jit`` the factor is NaN instead.

    Args:
        x: Array ``(..., n, n)`` of symmetric positive-definite matrices.
        upper: Whether to return the upper factor instead of the lower.

    Example:
        >>> cholesky(jnp.array([[4.0, 2.0], [2.0, 2.0]]))
        Array([[2., 0.],
               [1., 1.]], dtype=float32)
    """
    x = _matrices(x, "cholesky", square=True)
    out = jnp.linalg.cholesky(x, upper=upper)
    try:
        failed = bool(jnp.isnan(out).any())
    except jax.errors.TracerBoolConversionError:
        failed = False  # traced: the values are unknown until run
    if failed:
        raise DataError(
            "ops.cholesky: `x` must be symmetric positive definite (its factorization has "
            f"NaN values). Received: x of shape {x.shape} that is not.")
    return out


def cholesky_inverse(x, upper=False):
    """The inverse of ``A`` given its Cholesky factor ``x`` (``L``, or ``U`` when ``upper``).

    Args:
        x: Array ``(..., n, n)`` of triangular Cholesky factors.
        upper: Whether ``x`` holds upper factors.

    Example:
        >>> cholesky_inverse(jnp.array([[2.0, 0.0], [1.0, 1.0]]))
        Array([[ 0.5, -0.5],
               [-0.5,  1. ]], dtype=float32)
    """
    x = _matrices(x, "cholesky_inverse", square=True)
    eye = jnp.broadcast_to(jnp.eye(x.shape[-1], dtype=x.dtype), x.shape)
    factor_inv = jsl.solve_triangular(x, eye, lower=not upper)
    # A = L L^T gives A^-1 = L^-T L^-1; A = U^T U gives A^-1 = U^-1 U^-T.
    if upper:
        return factor_inv @ jnp.swapaxes(factor_inv, -1, -2)
    return jnp.swapaxes(factor_inv, -1, -2) @ factor_inv


def det(x):
    """The determinant of each square matrix, shape ``(...,)``.

    Args:
        x: Input array.

    Example:
        >>> det(jnp.array([[1.0, 2.0], [3.0, 4.0]]))
        Array(-2., dtype=float32)
    """
    return jnp.linalg.det(_matrices(x, "det", square=True))


def eig(x):
    """Eigenvalues ``(..., M)`` and eigenvectors ``(..., M, M)`` (complex) of general matrices.

    JAX computes this on CPU only.

    Args:
        x: Input array.

    Example:
        >>> eig(jnp.diag(jnp.array([2.0, 3.0])))[0]
        Array([2.+0.j, 3.+0.j], dtype=complex64)
    """
    return jnp.linalg.eig(_matrices(x, "eig", square=True))


def eigh(x):
    """Eigenvalues (ascending) and eigenvectors of symmetric or Hermitian matrices.

    Args:
        x: Input array.

    Example:
        >>> eigh(jnp.array([[2.0, 1.0], [1.0, 2.0]]))[0]
        Array([1., 3.], dtype=float32)
    """
    return jnp.linalg.eigh(_matrices(x, "eigh", square=True))


def inv(x):
    """The inverse of each square matrix.

    Args:
        x: Input array.

    Example:
        >>> inv(jnp.array([[2.0, 0.0], [0.0, 4.0]]))
        Array([[0.5 , 0.  ],
               [0.  , 0.25]], dtype=float32)
    """
    return jnp.linalg.inv(_matrices(x, "inv", square=True))


def lu_factor(x):
    """LU factorization with partial pivoting: ``(lu, pivots)`` as ``scipy.linalg.lu_factor``.

    ``lu`` holds ``L`` (unit diagonal, not stored) below the diagonal and ``U``
    on and above it; ``pivots`` (int32) are the row swaps.

    Args:
        x: Input array.

    Example:
        >>> lu, pivots = lu_factor(jnp.array([[1.0, 2.0], [3.0, 4.0]]))
        >>> pivots
        Array([1, 1], dtype=int32)
    """
    x = _matrices(x, "lu_factor")
    factor = jsl.lu_factor
    for _ in range(x.ndim - 2):
        factor = jax.vmap(factor)
    return factor(x)


def norm(x, ord=None, axis=None, keepdims=False):
    """Vector or matrix norm, as ``numpy.linalg.norm``; integer inputs give floats.

    Args:
        x: An array.
        ord: The order: a number, ``inf``/``-inf``, or for matrices ``'fro'`` or ``'nuc'``.
            ``None`` is the 2-norm of vectors and the Frobenius norm of matrices.
        axis: An int (vector norms), a pair of ints (matrix norms), or ``None``:
            the whole of a 1-D or 2-D ``x``, otherwise the flattened ``x``.
        keepdims: Keep the reduced axes with size one.

    Example:
        >>> norm(jnp.array([[3, 4], [0, 0]]), axis=1)
        Array([5., 0.], dtype=float32)
    """
    x = convert_to_tensor(x)
    if isinstance(axis, list):
        axis = tuple(axis)  # JAX takes axes as a static, hashable argument
    axes = (axis,) if isinstance(axis, int) else axis
    if isinstance(ord, str) and (ord not in ("fro", "nuc") or (axes and len(axes) == 1)
                                 or (axes is None and x.ndim != 2)):
        raise ConfigError(
            "ops.norm: a string `ord` must be 'fro' or 'nuc', for matrix norms only. "
            f"Received: ord={ord!r}, axis={axis!r}.")
    if axes is not None and len(axes) == 2 and ord not in _MATRIX_ORDS:
        raise ConfigError(
            f"ops.norm: `ord` of a matrix norm must be one of {_MATRIX_ORDS}. "
            f"Received: ord={ord!r}.")
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        x = x.astype(jnp.result_type(float))
    return jnp.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)


def qr(x, mode="reduced"):
    """QR decomposition ``x = q @ r``.

    Args:
        x: Shape ``(..., M, N)``.
        mode: ``'reduced'`` gives ``q`` of ``(..., M, K)`` and ``r`` of ``(..., K, N)``
            with ``K = min(M, N)``; ``'complete'`` gives ``(..., M, M)`` and ``(..., M, N)``.

    Example:
        >>> q, r = qr(jnp.ones((3, 2)))
        >>> q.shape, r.shape
        ((3, 2), (2, 2))
    """
    if mode not in ("reduced", "complete"):
        raise ConfigError(
            f"ops.qr: `mode` must be 'reduced' or 'complete'. Received: mode={mode!r}.")
    return jnp.linalg.qr(_matrices(x, "qr"), mode=mode)


def solve(a, b):
    """The solution ``x`` of ``a @ x = b``, shaped like ``b`` (broadcast over batch axes).

    Args:
        a: Square matrices ``(..., M, M)``.
        b: ``(..., M)`` or ``(..., M, N)``.

    Example:
        >>> solve(jnp.array([[2.0, 0.0], [0.0, 4.0]]), jnp.array([1.0, 1.0]))
        Array([0.5 , 0.25], dtype=float32)
    """
    return _solve_each(jnp.linalg.solve, _matrices(a, "solve", "a", square=True), b, "solve")


def solve_triangular(a, b, lower=False):
    """The solution of ``a @ x = b`` for triangular ``a`` (upper unless ``lower``).

    Args:
        a: Array ``(..., n, n)`` of triangular matrices.
        b: Array ``(..., n)`` or ``(..., n, k)``.
        lower: Whether ``a`` is lower triangular.

    Example:
        >>> solve_triangular(jnp.array([[1.0, 0.0], [1.0, 1.0]]), jnp.array([1.0, 3.0]),
        ...                  lower=True)
        Array([1., 2.], dtype=float32)
    """
    a = _matrices(a, "solve_triangular", "a", square=True)
    return _solve_each(lambda a, b: jsl.solve_triangular(a, b, lower=lower), a, b,
                       "solve_triangular")


def svd(x, full_matrices=True, compute_uv=True):
    """Singular value decomposition: ``(u, s, vh)``, or only ``s`` when not ``compute_uv``.

    Args:
        x: Shape ``(..., M, N)``.
        full_matrices: ``u`` of ``(..., M, M)`` and ``vh`` of ``(..., N, N)``; else
            ``(..., M, K)`` and ``(..., K, N)`` with ``K = min(M, N)``.
        compute_uv: Also return the singular vectors.

    Example:
        >>> svd(jnp.diag(jnp.array([1.0, 3.0])), compute_uv=False)
        Array([3., 1.], dtype=float32)
    """
    return jnp.linalg.svd(_matrices(x, "svd"), full_matrices=full_matrices,
                          compute_uv=compute_uv)


def lstsq(a, b, rcond=None):
    """The least-squares solution ``x`` minimizing ``|a @ x - b|`` (the smallest, if many).

    Unlike ``numpy.linalg.lstsq``, only the solution is returned, as in Keras.

    Args:
        a: Shape ``(M, N)``.
        b: Shape ``(M,)`` or ``(M, K)``.
        rcond: Singular values below ``rcond`` times the largest count as zero.

    Example:
        >>> lstsq(jnp.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]), jnp.array([1.0, 2.0, 5.0]))
        Array([1., 2.], dtype=float32)
    """
    a, b = convert_to_tensor(a), convert_to_tensor(b)
    if a.ndim != 2 or b.ndim not in (1, 2) or b.shape[0] != a.shape[0]:
        raise ShapeError(
            "ops.lstsq: `a` must have shape (M, N) and `b` shape (M,) or (M, K). "
            f"Received: a.shape={a.shape}, b.shape={b.shape}.")
    return jnp.linalg.lstsq(a, b, rcond=rcond)[0]


def matrix_rank(x, tol=None):
    """The rank of each matrix (int32): singular values above ``tol`` (or JAX's default).

    Args:
        x: Array ``(..., m, n)``.
        tol: Singular values at or below it count as zero; ``None`` picks one from the
            dtype.

    Example:
        >>> matrix_rank(jnp.array([[1.0, 2.0], [2.0, 4.0]]))
        Array(1, dtype=int32)
    """
    return jnp.linalg.matrix_rank(_matrices(x, "matrix_rank"), rtol=tol).astype("int32")


def pinv(x, rcond=None):
    """The Moore-Penrose pseudo-inverse of each matrix, shape ``(..., N, M)``.

    Args:
        x: Array ``(..., m, n)``.
        rcond: Relative cutoff of small singular values; ``None`` picks one from the dtype.

    Example:
        >>> pinv(jnp.array([[2.0, 0.0]]))
        Array([[0.5],
               [0. ]], dtype=float32)
    """
    return jnp.linalg.pinv(_matrices(x, "pinv"), rtol=rcond)


def jvp(fun, primals, tangents, has_aux=False):
    """Forward-mode Jacobian-vector product: ``(fun(*primals), J @ tangents)`` (and ``aux``).

    Args:
        fun: A function of ``len(primals)`` positional arguments.
        primals: Tuple or list of the point's arguments.
        tangents: The direction, with the structure and shapes of ``primals``.
        has_aux: ``fun`` returns ``(output, aux)``; ``aux`` is returned third.

    Example:
        >>> jvp(jnp.sin, (0.0,), (2.0,))
        (Array(0., dtype=float32, weak_type=True), Array(2., dtype=float32, weak_type=True))
    """
    return jax.jvp(fun, tuple(primals), tuple(tangents), has_aux=has_aux)
