"""Keras 3's ``keras.ops.numpy``: numpy's API as thin functions over ``jax.numpy``.

Every name of ``keras.ops.numpy`` is here with Keras's arguments, defaults,
result dtypes (floatx defaults, float results of integer inputs) and errors (a
``ConfigError``/``ConfigTypeError``, which are ``ValueError``/``TypeError``).
Each works on NumPy inputs eagerly and inside ``jax.jit`` (except where the
output shape depends on values: ``bincount``, ``nonzero``, ``unique`` without
``size``, ``where`` with one argument).

Example:
    >>> jl.ops.numpy.sqrt(np.array([1, 4], "int32")), jl.ops.zeros((2,)).dtype
    (Array([1., 2.], dtype=float32), dtype('float32'))
"""

from jaxlayers.ops._numpy_create import (arange, array, bartlett, blackman, empty, empty_like,
                                         eye, full, full_like, geomspace, hamming, hanning,
                                         identity, kaiser, linspace, logspace, meshgrid, ones,
                                         ones_like, tri, vander, view, zeros, zeros_like)
from jaxlayers.ops._numpy_math import (abs, absolute, add, allclose, angle, arccos, arccosh,
                                       arcsin, arcsinh, arctan, arctan2, arctanh, bitwise_and,
                                       bitwise_invert, bitwise_left_shift, bitwise_not,
                                       bitwise_or, bitwise_right_shift, bitwise_xor, cbrt, ceil,
                                       clip, conj, conjugate, copy, cos, cosh, cross, deg2rad,
                                       divide, divide_no_nan, dot, einsum, equal, exp, exp2,
                                       expm1, fabs, floor, floor_divide, fmax, fmin, fmod, gcd,
                                       greater, greater_equal, heaviside, hypot, i0, imag, inner,
                                       isclose, isfinite, isinf, isnan, isneginf, isposinf,
                                       isreal, kron, lcm, ldexp, left_shift, less, less_equal,
                                       log, log1p, log2, log10, logaddexp, logaddexp2,
                                       logical_and, logical_not, logical_or, logical_xor, matmul,
                                       maximum, minimum, mod, multiply, nan_to_num, negative,
                                       nextafter, not_equal, outer, power, rad2deg, real,
                                       reciprocal, right_shift, round, sign, signbit, sin, sinc,
                                       sinh, slogdet, sqrt, square, subtract, tan, tanh,
                                       tensordot, true_divide, trunc, vdot)
from jaxlayers.ops._numpy_reduce import (all, amax, amin, any, argmax, argmin, argpartition,
                                         argsort, average, bincount, corrcoef, correlate,
                                         count_nonzero, cumprod, cumsum, diff, digitize,
                                         histogram, max, mean, median, min, nanargmax, nanargmin,
                                         nancumprod, nancumsum, nanmax, nanmean, nanmedian,
                                         nanmin, nanpercentile, nanprod, nanquantile, nanstd,
                                         nansum, nanvar, percentile, prod, ptp, quantile,
                                         searchsorted, sort, std, sum, trace, trapezoid, unique,
                                         var)
from jaxlayers.ops._numpy_shape import (append, array_split, broadcast_to, concatenate, diag,
                                        diagflat, diagonal, dsplit, dstack, expand_dims, flip,
                                        fliplr, flipud, get_item, hsplit, hstack, isin, moveaxis,
                                        ndim, nonzero, pad, ravel, repeat, reshape, roll, rot90,
                                        select, size, split, squeeze, stack, swapaxes, take,
                                        take_along_axis, tile, transpose, tril, triu,
                                        unravel_index, vectorize, vsplit, vstack, where)

__all__ = [
    "abs", "absolute", "add", "all", "allclose", "amax", "amin", "angle", "any", "append",
    "arange", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh",
    "argmax", "argmin", "argpartition", "argsort", "array", "array_split", "average",
    "bartlett", "bincount", "bitwise_and", "bitwise_invert", "bitwise_left_shift",
    "bitwise_not", "bitwise_or", "bitwise_right_shift", "bitwise_xor", "blackman",
    "broadcast_to", "cbrt", "ceil", "clip", "concatenate", "conj", "conjugate", "copy",
    "corrcoef", "correlate", "cos", "cosh", "count_nonzero", "cross", "cumprod", "cumsum",
    "deg2rad", "diag", "diagflat", "diagonal", "diff", "digitize", "divide", "divide_no_nan",
    "dot", "dsplit", "dstack", "einsum", "empty", "empty_like", "equal", "exp", "exp2",
    "expand_dims", "expm1", "eye", "fabs", "flip", "fliplr", "flipud", "floor",
    "floor_divide", "fmax", "fmin", "fmod", "full", "full_like", "gcd", "geomspace",
    "get_item", "greater", "greater_equal", "hamming", "hanning", "heaviside", "histogram",
    "hsplit", "hstack", "hypot", "i0", "identity", "imag", "inner", "isclose", "isfinite",
    "isin", "isinf", "isnan", "isneginf", "isposinf", "isreal", "kaiser", "kron", "lcm",
    "ldexp", "left_shift", "less", "less_equal", "linspace", "log", "log10", "log1p", "log2",
    "logaddexp", "logaddexp2", "logical_and", "logical_not", "logical_or", "logical_xor",
    "logspace", "matmul", "max", "maximum", "mean", "median", "meshgrid", "min", "minimum",
    "mod", "moveaxis", "multiply", "nan_to_num", "nanargmax", "nanargmin", "nancumprod",
    "nancumsum", "nanmax", "nanmean", "nanmedian", "nanmin", "nanpercentile", "nanprod",
    "nanquantile", "nanstd", "nansum", "nanvar", "ndim", "negative", "nextafter", "nonzero",
    "not_equal", "ones", "ones_like", "outer", "pad", "percentile", "power", "prod", "ptp",
    "quantile", "rad2deg", "ravel", "real", "reciprocal", "repeat", "reshape", "right_shift",
    "roll", "rot90", "round", "searchsorted", "select", "sign", "signbit", "sin", "sinc",
    "sinh", "size", "slogdet", "sort", "split", "sqrt", "square", "squeeze", "stack", "std",
    "subtract", "sum", "swapaxes", "take", "take_along_axis", "tan", "tanh", "tensordot",
    "tile", "trace", "transpose", "trapezoid", "tri", "tril", "triu", "true_divide", "trunc",
    "unique", "unravel_index", "vander", "var", "vdot", "vectorize", "view", "vsplit",
    "vstack", "where", "zeros", "zeros_like",
]
