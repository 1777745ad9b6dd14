"""Element-wise numpy ops: arithmetic, transcendental, comparison, logical and bitwise.

Each is ``jax.numpy``'s function with Keras's dtype rule where Keras has one:
trigonometric and hyperbolic functions, ``ceil``/``floor``, ``angle``, ``arctan2``
and ``logaddexp`` compute in a float (integers give a float of floatx's width);
``exp``, ``exp2`` and ``expm1`` cast integers to floatx; ``trunc`` returns
integers unchanged; ``clip`` computes booleans as int32.
"""

import math

import jax.numpy as jnp

from jaxlayers.ops import _args
from jaxlayers.ops._numpy_dtypes import (
    as_inexact,
    dtype_name,
    inexact_dtype,
    int_to_floatx,
    is_int_or_bool,
    named,
    tensor,
)
from jaxlayers.ops._settings import floatx

_X = [("x", "Array-like input of any shape.")]
_X1_X2 = [("x1", "Array-like input."), ("x2", "Array-like input, broadcastable with ``x1``.")]


def _unary(fn, prepare=tensor, doc=None, example=None, name=None):
    def op(x):
        return fn(prepare(x))

    name = name or fn.__name__
    return named(op, name, doc or f"Element-wise ``{name}`` of ``x`` (``jnp.{name}``).",
                 _X, example)


def _binary(fn, name=None, doc=None, example=None):
    def op(x1, x2):
        return fn(tensor(x1), tensor(x2))

    name = name or fn.__name__
    return named(op, name, doc or f"Element-wise ``{name}`` of ``x1`` and ``x2`` (broadcasting).",
                 _X1_X2, example)


def _inexact_binary(fn, example=None):
    def op(x1, x2):
        x1, x2 = tensor(x1), tensor(x2)
        dtype = inexact_dtype(x1.dtype, x2.dtype)
        return fn(x1.astype(dtype), x2.astype(dtype))

    return named(op, fn.__name__, f"Element-wise ``{fn.__name__}`` of ``x1`` and ``x2`` in their "
                 "common float dtype (integers give floatx's width).", _X1_X2, example)


def _shift(fn, name, example=None):
    def op(x, y):
        # A Python int shift stays weakly typed, so an int8 ``x`` keeps its dtype.
        return fn(tensor(x), y if isinstance(y, int) else tensor(y))

    return named(op, name, f"Bitwise ``{fn.__name__}`` of the integers ``x`` by ``y``.",
                 [("x", "Integer array-like input."),
                  ("y", "Integer shift counts, broadcastable with ``x``.")], example)


absolute = _unary(jnp.absolute, example=('np.array([-1, 2])', 'Array([1, 2], dtype=int32)'))
angle = _unary(jnp.angle, as_inexact,
    example=('np.array([1j, -1.0])',
             'Array([1.5707964, 3.1415927], dtype=float32)'))
arccos = _unary(jnp.arccos, as_inexact,
    example=('np.array([1.0, 0.0])',
             'Array([0. , 1.5707964], dtype=float32)'))
arccosh = _unary(jnp.arccosh, as_inexact, example=('np.array([1.0])', 'Array([0.], dtype=float32)'))
arcsin = _unary(jnp.arcsin, as_inexact, example=('np.array([0.0])', 'Array([0.], dtype=float32)'))
arcsinh = _unary(jnp.arcsinh, as_inexact, example=('np.array([0.0])', 'Array([0.], dtype=float32)'))
arctan = _unary(jnp.arctan, as_inexact, example=('np.array([0.0])', 'Array([0.], dtype=float32)'))
arctanh = _unary(jnp.arctanh, as_inexact, example=('np.array([0.0])', 'Array([0.], dtype=float32)'))
bitwise_invert = _unary(jnp.invert, name="bitwise_invert",
                        doc="Bitwise NOT of the integers or booleans ``x``.",
    example=("np.array([0, 5], 'int8')",
             'Array([-1, -6], dtype=int8)'))
cbrt = _unary(jnp.cbrt, example=('np.array([8.0, -27.0])', 'Array([ 2., -3.], dtype=float32)'))
ceil = _unary(jnp.ceil, as_inexact,
    example=('np.array([-1.5, 0.2])',
             'Array([-1., 1.], dtype=float32)'))
conjugate = _unary(jnp.conjugate,
    example=('np.array([1 + 2j])',
             'Array([1.-2.j], dtype=complex64)'))
copy = _unary(jnp.copy, example=('np.array([1, 2])', 'Array([1, 2], dtype=int32)'))
cos = _unary(jnp.cos, as_inexact, example=('np.array([0.0])', 'Array([1.], dtype=float32)'))
cosh = _unary(jnp.cosh, as_inexact, example=('np.array([0.0])', 'Array([1.], dtype=float32)'))
deg2rad = _unary(jnp.deg2rad, example=('np.array([180.0])', 'Array([3.1415927], dtype=float32)'))
exp = _unary(jnp.exp, int_to_floatx,
    example=('np.array([0, 1])',
             'Array([1. , 2.7182817], dtype=float32)'))
exp2 = _unary(jnp.exp2, int_to_floatx,
    example=('np.array([0, 3])',
             'Array([1., 8.], dtype=float32)'))
expm1 = _unary(jnp.expm1, int_to_floatx, example=('np.array([0])', 'Array([0.], dtype=float32)'))
floor = _unary(jnp.floor, as_inexact,
    example=('np.array([-1.5, 0.7])',
             'Array([-2., 0.], dtype=float32)'))
imag = _unary(jnp.imag, example=('np.array([1 + 2j])', 'Array([2.], dtype=float32)'))
isfinite = _unary(jnp.isfinite,
    example=('np.array([1.0, np.inf, np.nan])',
             'Array([ True, False, False], dtype=bool)'))
isinf = _unary(jnp.isinf, example=('np.array([1.0, -np.inf])', 'Array([False, True], dtype=bool)'))
isnan = _unary(jnp.isnan, example=('np.array([1.0, np.nan])', 'Array([False, True], dtype=bool)'))
isneginf = _unary(jnp.isneginf,
    example=('np.array([-np.inf, np.inf])',
             'Array([ True, False], dtype=bool)'))
isposinf = _unary(jnp.isposinf,
    example=('np.array([-np.inf, np.inf])',
             'Array([False, True], dtype=bool)'))
isreal = _unary(jnp.isreal, example=('np.array([1 + 0j, 1j])', 'Array([ True, False], dtype=bool)'))
log = _unary(jnp.log, example=('np.array([1.0])', 'Array([0.], dtype=float32)'))
log10 = _unary(jnp.log10, example=('np.array([1.0, 100.0])', 'Array([0., 2.], dtype=float32)'))
log1p = _unary(jnp.log1p, example=('np.array([0.0])', 'Array([0.], dtype=float32)'))
log2 = _unary(jnp.log2, example=('np.array([1.0, 8.0])', 'Array([0., 3.], dtype=float32)'))
logical_not = _unary(jnp.logical_not,
    example=('np.array([True, False])',
             'Array([False, True], dtype=bool)'))
negative = _unary(jnp.negative, example=('np.array([1, -2])', 'Array([-1, 2], dtype=int32)'))
rad2deg = _unary(jnp.rad2deg, example=('np.array([0.0])', 'Array([0.], dtype=float32)'))
real = _unary(jnp.real, example=('np.array([1 + 2j])', 'Array([1.], dtype=float32)'))
reciprocal = _unary(jnp.reciprocal,
    example=('np.array([2.0, 4.0])',
             'Array([0.5 , 0.25], dtype=float32)'))
sign = _unary(jnp.sign, example=('np.array([-3, 0, 2])', 'Array([-1, 0, 1], dtype=int32)'))
signbit = _unary(jnp.signbit,
    example=('np.array([-1.0, 1.0])',
             'Array([ True, False], dtype=bool)'))
sin = _unary(jnp.sin, as_inexact, example=('np.array([0.0])', 'Array([0.], dtype=float32)'))
sinc = _unary(jnp.sinc, as_inexact, example=('np.array([0.0])', 'Array([1.], dtype=float32)'))
sinh = _unary(jnp.sinh, as_inexact, example=('np.array([0.0])', 'Array([0.], dtype=float32)'))
sqrt = _unary(jnp.sqrt, example=('np.array([1.0, 4.0])', 'Array([1., 2.], dtype=float32)'))
square = _unary(jnp.square, example=('np.array([2, -3])', 'Array([4, 9], dtype=int32)'))
tan = _unary(jnp.tan, as_inexact, example=('np.array([0.0])', 'Array([0.], dtype=float32)'))
tanh = _unary(jnp.tanh, as_inexact, example=('np.array([0.0])', 'Array([0.], dtype=float32)'))

add = _binary(jnp.add, example=('np.array([1, 2]), 10', 'Array([11, 12], dtype=int32)'))
bitwise_and = _binary(jnp.bitwise_and,
    example=('np.array([6]), np.array([3])',
             'Array([2], dtype=int32)'))
bitwise_or = _binary(jnp.bitwise_or,
    example=('np.array([6]), np.array([3])',
             'Array([7], dtype=int32)'))
bitwise_xor = _binary(jnp.bitwise_xor,
    example=('np.array([6]), np.array([3])',
             'Array([5], dtype=int32)'))
divide = _binary(jnp.divide,
    example=('np.array([1.0, 3.0]), 2.0',
             'Array([0.5, 1.5], dtype=float32)'))
equal = _binary(jnp.equal, example=('np.array([1, 2]), 2', 'Array([False, True], dtype=bool)'))
floor_divide = _binary(jnp.floor_divide,
    example=('np.array([7, -7]), 2',
             'Array([ 3, -4], dtype=int32)'))
fmax = _binary(jnp.fmax,
    example=('np.array([1.0, np.nan]), np.array([2.0, 0.0])',
             'Array([2., 0.], dtype=float32)'))
fmin = _binary(jnp.fmin,
    example=('np.array([1.0, np.nan]), np.array([2.0, 0.0])',
             'Array([1., 0.], dtype=float32)'))
fmod = _binary(jnp.fmod, example=('np.array([7, -7]), 3', 'Array([ 1, -1], dtype=int32)'))
gcd = _binary(jnp.gcd, example=('np.array([12, 18]), 8', 'Array([4, 2], dtype=int32)'))
greater = _binary(jnp.greater, example=('np.array([1, 3]), 2', 'Array([False, True], dtype=bool)'))
greater_equal = _binary(jnp.greater_equal,
    example=('np.array([1, 2]), 2',
             'Array([False, True], dtype=bool)'))
heaviside = _binary(jnp.heaviside,
    example=('np.array([-1.0, 0.0, 2.0]), 0.5',
             'Array([0. , 0.5, 1. ], dtype=float32)'))
hypot = _binary(jnp.hypot,
    example=('np.array([3.0]), np.array([4.0])',
             'Array([5.], dtype=float32)'))
lcm = _binary(jnp.lcm, example=('np.array([4, 6]), 6', 'Array([12, 6], dtype=int32)'))
less = _binary(jnp.less, example=('np.array([1, 3]), 2', 'Array([ True, False], dtype=bool)'))
less_equal = _binary(jnp.less_equal,
    example=('np.array([1, 2]), 2',
             'Array([ True, True], dtype=bool)'))
logical_and = _binary(jnp.logical_and,
    example=('np.array([True, False]), True',
             'Array([ True, False], dtype=bool)'))
logical_or = _binary(jnp.logical_or,
    example=('np.array([True, False]), False',
             'Array([ True, False], dtype=bool)'))
logical_xor = _binary(jnp.logical_xor,
    example=('np.array([True, False]), True',
             'Array([False, True], dtype=bool)'))
maximum = _binary(jnp.maximum, example=('np.array([1, 5]), 3', 'Array([3, 5], dtype=int32)'))
minimum = _binary(jnp.minimum, example=('np.array([1, 5]), 3', 'Array([1, 3], dtype=int32)'))
mod = _binary(jnp.mod, example=('np.array([7, -7]), 3', 'Array([1, 2], dtype=int32)'))
multiply = _binary(jnp.multiply, example=('np.array([1, 2]), 3', 'Array([3, 6], dtype=int32)'))
nextafter = _binary(jnp.nextafter,
    example=("np.array([1.0], 'float32'), 2.0",
             'Array([1.0000001], dtype=float32)'))
not_equal = _binary(jnp.not_equal,
    example=('np.array([1, 2]), 2',
             'Array([ True, False], dtype=bool)'))
power = _binary(jnp.power, example=('np.array([2, 3]), 2', 'Array([4, 9], dtype=int32)'))
subtract = _binary(jnp.subtract, example=('np.array([5, 7]), 2', 'Array([3, 5], dtype=int32)'))
true_divide = _binary(jnp.divide, "true_divide",
    example=('np.array([1, 3]), 2',
             'Array([0.5, 1.5], dtype=float32)'))

arctan2 = _inexact_binary(jnp.arctan2,
    example=('np.array([1.0]), np.array([1.0])',
             'Array([0.7853982], dtype=float32)'))
logaddexp = _inexact_binary(jnp.logaddexp,
    example=('np.array([0.0]), np.array([0.0])',
             'Array([0.6931472], dtype=float32)'))
logaddexp2 = _inexact_binary(jnp.logaddexp2,
    example=('np.array([1.0]), np.array([1.0])',
             'Array([2.], dtype=float32)'))

bitwise_left_shift = _shift(jnp.left_shift, "bitwise_left_shift",
    example=('np.array([1, 3]), 2',
             'Array([ 4, 12], dtype=int32)'))
bitwise_right_shift = _shift(jnp.right_shift, "bitwise_right_shift",
    example=('np.array([8, 12]), 2',
             'Array([2, 3], dtype=int32)'))
left_shift = _shift(jnp.left_shift, "left_shift",
    example=('np.array([1, 3]), 2',
             'Array([ 4, 12], dtype=int32)'))
right_shift = _shift(jnp.right_shift, "right_shift",
    example=('np.array([8, 12]), 2',
             'Array([2, 3], dtype=int32)'))


def abs(x):  # noqa: A001 - Keras's name
    """Element-wise absolute value (the same op as :func:`absolute`).

    Args:
        x: Array-like input.

    Example:
        >>> jl.ops.numpy.abs(np.array([-2, 3]))
        Array([2, 3], dtype=int32)
    """
    return absolute(x)


def bitwise_not(x):
    """Bitwise NOT (the same op as :func:`bitwise_invert`).

    Args:
        x: Integer or boolean array-like.

    Example:
        >>> jl.ops.numpy.bitwise_not(np.array([0, 1], 'uint8'))
        Array([255, 254], dtype=uint8)
    """
    return bitwise_invert(x)


def conj(x):
    """Complex conjugate (the same op as :func:`conjugate`).

    Args:
        x: Array-like input.

    Example:
        >>> jl.ops.numpy.conj(np.array([1 + 2j]))
        Array([1.-2.j], dtype=complex64)
    """
    return conjugate(x)


def fabs(x):
    """Element-wise absolute value of real ``x`` as a float.

    Args:
        x: Real array-like.

    Raises:
        DTypeError: ``x`` is complex.

    Example:
        >>> jl.ops.numpy.fabs(np.array([-2, 3]))
        Array([2., 3.], dtype=float32)
    """
    x = tensor(x)
    if jnp.issubdtype(x.dtype, jnp.complexfloating):
        raise _args.type_error("fabs", "x", f"<array of {dtype_name(x)}>", "real (not complex)")
    return jnp.fabs(x)


def i0(x):
    """Modified Bessel function of the first kind, order 0.

    float64 stays float64, float16/bfloat16 keep their width, everything else is
    computed in floatx.

    Args:
        x: Array-like input.

    Example:
        >>> jl.ops.numpy.i0(np.array([0.0]))
        Array([1.0000001], dtype=float32)
    """
    x = tensor(x)
    name = dtype_name(x)
    dtype = name if name in ("float64", "float16", "bfloat16") else floatx()
    return jnp.i0(x.astype(dtype))


def ldexp(x1, x2):
    """``x1 * 2 ** x2`` element-wise; ``x2`` must hold integers.

    Args:
        x1: Array-like mantissas.
        x2: Integer exponents, broadcastable with ``x1``.

    Raises:
        ConfigTypeError: ``x2`` is not an integer array.

    Example:
        >>> jl.ops.numpy.ldexp(np.array([1.0, 3.0]), np.array([2, 1]))
        Array([4., 6.], dtype=float32)
    """
    x1, x2 = tensor(x1), tensor(x2)
    if not jnp.issubdtype(x2.dtype, jnp.integer):
        raise _args.type_error("ldexp", "x2", f"<array of {dtype_name(x2)}>",
                        "an integer array (the exponent)")
    return jnp.ldexp(x1, x2)


def clip(x, x_min, x_max):
    """``x`` limited to ``[x_min, x_max]``; booleans are clipped as int32, as in Keras.

    Args:
        x: Array-like input.
        x_min: Lower bound (scalar or broadcastable array).
        x_max: Upper bound (scalar or broadcastable array).

    Example:
        >>> jl.ops.numpy.clip(np.array([-1, 5, 20]), 0, 10)
        Array([ 0,  5, 10], dtype=int32)
    """
    x = tensor(x)
    if x.dtype == jnp.bool_:
        x = x.astype("int32")
    return jnp.clip(x, x_min, x_max)


def divide_no_nan(x1, x2):
    """``x1 / x2``, with 0 wherever ``x2 == 0`` (also where ``x1`` is 0 or inf).

    Args:
        x1: Array-like input.
        x2: Array-like input, broadcastable with ``x1``.

    Example:
        >>> jl.ops.numpy.divide_no_nan(np.array([1.0, 2.0]), np.array([2.0, 0.0]))
        Array([0.5, 0. ], dtype=float32)
    """
    x1, x2 = tensor(x1), tensor(x2)
    zero = x2 == 0
    return jnp.where(zero, 0, jnp.divide(x1, jnp.where(zero, 1, x2)))


def trunc(x):
    """Element-wise rounding toward zero; integers and booleans come back unchanged.

    Args:
        x: Array-like input.

    Example:
        >>> jl.ops.numpy.trunc(np.array([-1.7, 1.7]))
        Array([-1.,  1.], dtype=float32)
    """
    x = tensor(x)
    return x if is_int_or_bool(x.dtype) else jnp.trunc(x)


def round(x, decimals=0):  # noqa: A001 - Keras's name
    """Round half to even to ``decimals`` digits; integers accept ``decimals < 0``.

    Args:
        x: Array-like input.
        decimals: Number of decimals; negative rounds to tens, hundreds, ...

    Example:
        >>> jl.ops.numpy.round(np.array([0.5, 1.5, 2.25]), 1).tolist()
        [0.5, 1.5, 2.200000047683716]
        >>> jl.ops.numpy.round(np.array([1234]), -2)
        Array([1200], dtype=int32)
    """
    x = tensor(x)
    if jnp.issubdtype(x.dtype, jnp.integer) and decimals < 0:
        # jnp.round refuses negative decimals for integers: round in floatx, then back.
        factor = jnp.asarray(math.pow(10, decimals), floatx())
        return (jnp.round(x.astype(floatx()) * factor) / factor).astype(x.dtype)
    return jnp.round(x, decimals=decimals)


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """``x`` with NaN, +inf and -inf replaced (by default 0 and the dtype's extremes).

    Args:
        x: Array-like input.
        nan: Value replacing NaN.
        posinf: Value replacing +inf; ``None``: the dtype's largest value.
        neginf: Value replacing -inf; ``None``: the dtype's smallest value.

    Example:
        >>> jl.ops.numpy.nan_to_num(np.array([np.nan, 1.0, np.inf]), posinf=9.0)
        Array([0., 1., 9.], dtype=float32)
    """
    return jnp.nan_to_num(tensor(x), nan=nan, posinf=posinf, neginf=neginf)


def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Element-wise ``|x1 - x2| <= atol + rtol * |x2|``.

    Args:
        x1: Array-like input.
        x2: Array-like input, broadcastable with ``x1``.
        rtol: Relative tolerance.
        atol: Absolute tolerance.
        equal_nan: Whether two NaNs compare equal.

    Example:
        >>> jl.ops.numpy.isclose(np.array([1.0, 1.1]), 1.0)
        Array([ True, False], dtype=bool)
    """
    return jnp.isclose(tensor(x1), tensor(x2), rtol=rtol, atol=atol, equal_nan=equal_nan)


def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Whether :func:`isclose` holds everywhere (a scalar boolean array).

    Args:
        x1: Array-like input.
        x2: Array-like input, broadcastable with ``x1``.
        rtol: Relative tolerance.
        atol: Absolute tolerance.
        equal_nan: Whether two NaNs compare equal.

    Example:
        >>> jl.ops.numpy.allclose(np.array([1.0, 1.0 + 1e-7]), 1.0)
        Array(True, dtype=bool)
    """
    return jnp.allclose(tensor(x1), tensor(x2), rtol=rtol, atol=atol, equal_nan=equal_nan)



def _int8_accumulator(*arrays):
    # Keras accumulates int8 products in int32, which accelerators do natively.
    return "int32" if all(a.dtype == jnp.int8 for a in arrays) else None


def matmul(x1, x2):
    """Matrix product of ``x1`` and ``x2`` (batched over leading axes); int8 gives int32.

    Args:
        x1: Array of shape ``(..., n, k)`` (or 1-D ``(k,)``).
        x2: Array of shape ``(..., k, m)`` (or 1-D ``(k,)``).

    Example:
        >>> jl.ops.numpy.matmul(np.array([[1, 2]]), np.array([[3], [4]]))
        Array([[11]], dtype=int32)
    """
    x1, x2 = tensor(x1), tensor(x2)
    return jnp.matmul(x1, x2, preferred_element_type=_int8_accumulator(x1, x2))


def einsum(subscripts, *operands, **kwargs):
    """Einstein summation of ``operands`` as ``subscripts`` says; int8 gives int32.

    Args:
        subscripts: Einstein notation, e.g. ``'ij,jk->ik'``.
        *operands: The arrays the subscripts name.
        **kwargs: Passed to ``jnp.einsum`` (``precision``, ...).

    Example:
        >>> jl.ops.numpy.einsum('ij,j->i', np.array([[1, 2], [3, 4]]), np.array([1, 1]))
        Array([3, 7], dtype=int32)
    """
    operands = [tensor(x) for x in operands]
    kwargs["preferred_element_type"] = _int8_accumulator(*operands)
    return jnp.einsum(subscripts, *operands, **kwargs)


dot = _binary(jnp.dot, doc="Dot product: matrix product for 2-D, sum over the last axes else.",
    example=('np.array([1, 2]), np.array([3, 4])',
             'Array(11, dtype=int32)'))
inner = _binary(jnp.inner, doc="Inner product of ``x1`` and ``x2`` over their last axes.",
    example=('np.array([1, 2]), np.array([3, 4])',
             'Array(11, dtype=int32)'))
kron = _binary(jnp.kron, doc="Kronecker product of ``x1`` and ``x2``.",
    example=('np.array([1, 2]), np.array([1, 10])',
             'Array([ 1, 10, 2, 20], dtype=int32)'))
outer = _binary(jnp.outer, doc="Outer product of the flattened ``x1`` and ``x2``.",
    example=('np.array([1, 2]), np.array([3, 4])',
             'Array([[3, 4], [6, 8]], dtype=int32)'))
vdot = _binary(jnp.vdot, doc="Dot product of the flattened ``x1`` and ``x2`` (conjugating x1).",
    example=('np.array([1, 2]), np.array([3, 4])',
             'Array(11, dtype=int32)'))


def tensordot(x1, x2, axes=2):
    """Sum of products of ``x1`` and ``x2`` over ``axes`` (a count or two axis lists).

    Args:
        x1: Array-like input.
        x2: Array-like input, broadcastable with ``x1``.
        axes: Number of trailing/leading axes to contract, or two lists of axes.

    Example:
        >>> jl.ops.numpy.tensordot(np.ones((2, 3)), np.ones((3, 4)), axes=1).shape
        (2, 4)
    """
    return jnp.tensordot(tensor(x1), tensor(x2), axes=axes)


def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of 3-vectors (or 2-vectors) of ``x1`` and ``x2``.

    Args:
        x1: Array of 3- (or 2-) vectors along ``axisa``.
        x2: Array of 3- (or 2-) vectors along ``axisb``.
        axisa: Vector axis of ``x1``.
        axisb: Vector axis of ``x2``.
        axisc: Vector axis of the result.
        axis: When given, the vector axis of all three.

    Example:
        >>> jl.ops.numpy.cross(np.array([1, 0, 0]), np.array([0, 1, 0]))
        Array([0, 0, 1], dtype=int32)
    """
    return jnp.cross(tensor(x1), tensor(x2), axisa=axisa, axisb=axisb, axisc=axisc, axis=axis)


def slogdet(x):
    """``(sign, log|det|)`` of the square matrices ``x``.

    Args:
        x: Array of shape ``(..., n, n)``.

    Example:
        >>> sign, logdet = jl.ops.numpy.slogdet(np.array([[2.0, 0.0], [0.0, 3.0]]))
        >>> float(sign), round(float(logdet), 4)
        (1.0, 1.7918)
    """
    return tuple(jnp.linalg.slogdet(tensor(x)))
