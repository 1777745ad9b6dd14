"""``jl.ops.numpy`` against ``keras.ops.numpy`` (JAX backend) on the same inputs.

One table of cases drives the comparison: for every case the values, shapes and
dtypes must equal Keras's, for our op called eagerly on NumPy inputs and for our
op inside ``jax.jit`` (the cases of a block share one compiled function, which
keeps the test fast). Argument errors are compared by kind in a second table.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers.ops as ops
from jaxlayers import errors
from jaxlayers.ops import _settings as settings
from jaxlayers.ops import numpy as jlnp

# Keras names that are deliberately not compared here, with the reason (keep short).
OMITTED = {}

X = np.array([[0.5, -1.25, 2.0], [3.0, 0.0, -0.75]], np.float32)
Y = np.array([[1.5, 0.25, 2.0], [0.5, 4.0, 1.0]], np.float32)    # positive
U = np.array([[0.5, -0.25, 0.9], [-0.8, 0.0, 0.3]], np.float32)  # inside (-1, 1)
G = np.array([[1.5, 2.0, 1.0], [3.0, 1.25, 4.0]], np.float32)    # at least 1
N = np.array([[1.0, np.nan, 2.0], [np.nan, -3.0, 0.5]], np.float32)
INF = np.array([[1.0, np.inf, -np.inf], [np.nan, -3.0, 0.5]], np.float32)
Z = np.array([[1.0, 0.0, 2.0], [0.0, -4.0, 0.5]], np.float32)     # zeros to divide by
I = np.array([[1, -2, 3], [0, 4, -5]], np.int32)  # noqa: E741 (the int operand, beside G, N, Z, J)
J = np.array([[2, 3, 1], [4, 1, 6]], np.int32)                     # positive
B = np.array([[True, False, True], [False, False, True]])
B2 = np.array([[True, True, False], [False, True, True]])
C = (X + 1j * Y).astype(np.complex64)
M = np.array([[2.0, 0.5, 0.0], [1.0, 3.0, -1.0], [0.5, 0.0, 1.5]], np.float32)
V = np.array([0.5, -1.0, 2.0], np.float32)
W = np.array([1.0, 2.5, -0.5], np.float32)
S = np.array([-1.0, 0.0, 0.5, 2.5], np.float32)                     # sorted
K = np.array([1, 3, 0, 3, 5], np.int32)                             # counts
X4 = np.arange(8, dtype=np.float32).reshape(2, 4) - 3.0
X3 = np.arange(12, dtype=np.float32).reshape(2, 3, 2) / 4.0
I8 = np.array([[1, -2], [3, 4]], np.int8)
ORDER = np.array([[1, 0, 2], [2, 1, 0]], np.int32)
IDX = np.array([2, 0], np.int32)
SHIFT = np.array([[1, 2, 0], [3, 1, 2]], np.int32)
H = X.astype(np.float16)


def _add_one(v):
    return v * 2.0 + 1.0


# (name, args, kwargs, jittable, how): `how` calls the op when a case needs more
# than `op(*args, **kwargs)`; arrays anywhere in args/kwargs are the jit's inputs.
def case(name, *args, jit=True, how=None, **kwargs):
    return (name, args, kwargs, jit, how)


CASES = [
    case("abs", X), case("abs", I), case("absolute", X),
    case("add", X, Y), case("add", I, J), case("add", I, X), case("add", I, 2),
    case("all", B, axis=1), case("all", X),
    case("allclose", X, X + 1e-7),
    case("amax", X, axis=0), case("amin", X, axis=1, keepdims=True),
    case("angle", C), case("angle", I),
    case("any", B, axis=0),
    case("append", X, Y, axis=0), case("append", X, V),
    case("arange", 5), case("arange", 1, 7, 2), case("arange", 0, 1, 0.25),
    case("arange", 2, dtype="float32"),
    case("arccos", U), case("arccos", I), case("arccosh", G), case("arcsin", U),
    case("arcsinh", X), case("arctan", X), case("arctan", I), case("arctanh", U),
    case("arctan2", X, Y), case("arctan2", I, J),
    case("argmax", X), case("argmax", X, axis=1, keepdims=True), case("argmin", X, axis=0),
    case("argmax", np.float32([-0.0, 0.0, -1.0])),
    case("argmin", np.float32([[0.0, -0.0]]), axis=1),
    case("argpartition", V, 1), case("argpartition", X, 1, axis=None),
    case("argsort", X), case("argsort", I, axis=0),
    case("array", X), case("array", X, dtype="int32"),
    case("array_split", np.arange(7, dtype=np.float32), 3),
    case("average", X, axis=1), case("average", X, axis=0, weights=np.float32([1, 3])),
    case("average", I),
    case("bartlett", 5), case("blackman", 6), case("hamming", 5), case("hanning", 5),
    case("kaiser", 5, 14.0),
    case("bincount", K, jit=False), case("bincount", K, weights=V[[0, 1, 2, 0, 1]], minlength=7,
                                         jit=False),
    case("bincount", np.abs(I), minlength=6, jit=False),
    case("bitwise_and", I, J), case("bitwise_or", I, J), case("bitwise_xor", I, J),
    case("bitwise_invert", I), case("bitwise_not", B),
    case("bitwise_left_shift", J, 2), case("bitwise_left_shift", J, SHIFT),
    case("bitwise_right_shift", I, SHIFT), case("left_shift", J, 1), case("right_shift", J, 1),
    case("broadcast_to", V, (2, 3)),
    case("cbrt", X), case("cbrt", I),
    case("ceil", X), case("ceil", I),
    case("clip", X, -0.5, 1.0), case("clip", B, 0, 1), case("clip", I, -1, 2),
    case("concatenate", [X, Y], axis=1), case("concatenate", [X, Y], axis=None),
    case("conj", C), case("conjugate", C), case("copy", X),
    case("corrcoef", X),
    case("correlate", V, W, mode="full"), case("correlate", S, V),
    case("cos", X), case("cos", I), case("cosh", X),
    case("count_nonzero", I), case("count_nonzero", I, axis=1),
    case("cross", X, Y),
    case("cumprod", X, axis=1), case("cumprod", I, dtype="float32"),
    case("cumsum", X), case("cumsum", B, axis=0),
    case("deg2rad", X), case("deg2rad", I),
    case("diag", M), case("diag", V, k=1), case("diagflat", V, k=-1),
    case("diagonal", M, offset=1), case("diagonal", X3, axis1=1, axis2=2),
    case("diff", X), case("diff", X, n=2, axis=1),
    case("digitize", X, np.float32([-1.0, 0.0, 1.0])),
    case("divide", X, Y), case("divide", I, J), case("true_divide", I, J),
    case("divide_no_nan", X, Z),
    case("dot", M, V), case("dot", X, M),
    case("dsplit", X3, 2), case("dstack", [X, Y]),
    case("einsum", "ij,jk->ik", X, M), case("einsum", "ij,jk->ik", I8, I8),
    case("empty", (2, 3)), case("empty", (2,), "int32"),
    case("empty_like", X), case("empty_like", X, "int32"),
    case("equal", X, Y),
    case("exp", X), case("exp", I), case("exp2", I), case("expm1", X), case("expm1", B),
    case("expand_dims", X, 1), case("expand_dims", X, (0, 3)),
    case("eye", 3), case("eye", 2, 4, 1), case("eye", 3, dtype="int32"),
    case("fabs", X), case("fabs", I),
    case("flip", X), case("flip", X, axis=1), case("fliplr", X), case("flipud", X),
    case("floor", X), case("floor", I),
    case("floor_divide", X, Y), case("floor_divide", I, J),
    case("fmax", N, X), case("fmin", N, X),
    case("fmod", X, Y), case("fmod", I, J),
    case("full", (2, 2), 3.0), case("full", (2,), 1, "int32"),
    case("full_like", X, 2), case("full_like", I, 0.5),
    case("gcd", I, J), case("lcm", J, J + 1),
    case("geomspace", 1.0, 100.0, num=5),
    case("get_item", X, (1, slice(0, 2))), case("get_item", X, IDX - 1),
    case("greater", X, Y), case("greater_equal", X, Y), case("less", X, Y),
    case("less_equal", I, J), case("not_equal", X, Y),
    case("heaviside", X, np.float32(0.5)),
    case("histogram", V, bins=4), case("histogram", S, bins=3, range=(0.0, 2.0)),
    case("hsplit", X4, 2), case("hstack", [X, Y]),
    case("hypot", X, Y),
    case("i0", X), case("i0", I),
    case("identity", 3), case("identity", 2, "int32"),
    case("imag", C), case("real", C), case("isreal", C),
    case("inner", X, Y),
    case("isclose", X, X + 1e-7), case("isclose", N, N, equal_nan=True),
    case("isfinite", INF), case("isinf", INF), case("isnan", INF), case("isneginf", INF),
    case("isposinf", INF),
    case("isin", I, J), case("isin", I, J, invert=True),
    case("kron", M[:2, :2], V[:2]),
    case("ldexp", X, I),
    case("linspace", 0, 1, num=5), case("linspace", 0, 10, 4, endpoint=False, retstep=True),
    case("linspace", V, W, num=3, axis=1),
    case("log", Y), case("log", J), case("log10", Y), case("log1p", Y), case("log2", J),
    case("logaddexp", X, Y), case("logaddexp", I, J), case("logaddexp2", X, Y),
    case("logical_and", B, B2), case("logical_not", B), case("logical_or", B, B2),
    case("logical_xor", B, X),
    case("logspace", 0, 2, num=3), case("logspace", 0, 3, num=4, base=2, endpoint=False),
    case("matmul", X, M), case("matmul", I8, I8),
    case("max", X), case("max", X, axis=1, initial=2.5), case("min", X, axis=0),
    case("min", I, keepdims=True),
    case("maximum", X, Y), case("minimum", I, J),
    case("mean", X, axis=0), case("mean", I), case("mean", B, axis=1),
    case("median", X), case("median", X, axis=[0, 1]), case("median", I, axis=1),
    case("meshgrid", V, S), case("meshgrid", V, S, indexing="ij"),
    case("mod", X, Y), case("mod", I, J),
    case("moveaxis", X3, 0, -1),
    case("multiply", X, Y), case("multiply", I, 2),
    case("nan_to_num", INF), case("nan_to_num", INF, nan=1.0, posinf=9.0, neginf=-9.0),
    case("nanargmax", N), case("nanargmin", N, axis=1),
    case("nancumprod", N), case("nancumsum", N, axis=1),
    case("nanmax", N, axis=0), case("nanmean", N), case("nanmedian", N, axis=1),
    case("nanmin", N), case("nanprod", N, axis=1), case("nanstd", N), case("nansum", N),
    case("nanvar", N, axis=0, keepdims=True),
    case("nanpercentile", N, 50.0), case("nanquantile", N, np.float32([0.25, 0.75]), axis=1),
    case("ndim", X, jit=False), case("size", X, jit=False),
    case("negative", X), case("negative", I),
    case("nextafter", X, Y),
    case("nonzero", I, jit=False),
    case("ones", (2, 3)), case("ones", (2,), "int32"), case("ones_like", I),
    case("ones_like", I, "float32"),
    case("outer", V, S),
    case("pad", X, 1), case("pad", X, ((1, 0), (0, 2)), constant_values=3.0),
    case("pad", X, 1, mode="reflect"),
    case("percentile", X, 50.0), case("percentile", I, np.float32([10.0, 90.0]), axis=0),
    case("power", Y, X), case("power", I, J), case("power", X, 2),
    case("prod", X, axis=0), case("prod", I), case("prod", I, dtype="float32"),
    case("ptp", X, axis=1),
    case("quantile", X, 0.5), case("quantile", I, np.float32([0.25, 0.75]), axis=1,
                                   method="nearest"),
    case("rad2deg", X), case("ravel", X), case("reciprocal", Y),
    case("repeat", X, 2), case("repeat", X, 2, axis=1),
    case("reshape", X, (3, 2)), case("reshape", X, -1),
    case("roll", X, 1), case("roll", X, -1, axis=1),
    case("rot90", X), case("rot90", X, k=2), case("rot90", X3, axes=(1, 2)),
    case("round", X), case("round", X, decimals=1), case("round", I * 17, decimals=-1),
    case("searchsorted", S, X), case("searchsorted", S, V, side="right"),
    case("select", [B, ~B], [X, Y]), case("select", [B], [X], default=-1.0),
    case("sign", X), case("sign", I), case("signbit", X),
    case("sin", X), case("sin", I), case("sinc", X), case("sinh", X),
    case("slogdet", M),
    case("sort", X), case("sort", X, axis=0),
    case("split", X4, 2, axis=1), case("split", X, [1], axis=1),
    case("sqrt", Y), case("sqrt", J),
    case("square", X), case("square", I),
    case("squeeze", X[None, :, :1]), case("squeeze", X[None], axis=0),
    case("stack", [X, Y], axis=1),
    case("std", X), case("std", I, axis=1),
    case("subtract", X, Y), case("subtract", I, J),
    case("sum", X, axis=1), case("sum", B),
    case("swapaxes", X3, 0, 2),
    case("take", X, IDX, axis=1), case("take", X, IDX),
    case("take_along_axis", X, ORDER, axis=1),
    case("tan", X), case("tanh", X), case("tanh", I),
    case("tensordot", X, M, axes=1), case("tensordot", X, Y, axes=([0], [0])),
    case("tile", V, 2), case("tile", X, (2, 1)),
    case("trace", M), case("trace", M, offset=1),
    case("transpose", X), case("transpose", X3, (1, 0, 2)),
    case("trapezoid", X), case("trapezoid", X, x=V, axis=1), case("trapezoid", X, dx=0.5),
    case("tri", 3), case("tri", 2, 3, 1, "int32"),
    case("tril", M), case("triu", M, k=1),
    case("trunc", X), case("trunc", I),
    case("unique", I, jit=False),
    case("unique", I, size=7, fill_value=0, return_counts=True, return_inverse=True),
    case("unravel_index", np.int32([1, 5]), (2, 3)),
    case("vander", V), case("vander", V, N=2, increasing=True),
    case("var", X), case("var", I, axis=0),
    case("vdot", V, W),
    case("vectorize", X, how=lambda op, x: op(_add_one)(x)),
    case("vectorize", V, how=lambda op, v: op(jnp.outer, signature="(n),(n)->(n,n)")(v, v)),
    case("view", X, "int32"),
    case("vsplit", X, 2), case("vstack", [X, Y]),
    case("where", B, X, Y), case("where", B, jit=False),
    case("zeros", (2, 3)), case("zeros", (2,), "int32"), case("zeros_like", X, "int32"),
    # Keras's dtype rules on integer, boolean and float16 inputs.
    *[case(name, I) for name in ("arccosh", "arcsin", "arcsinh", "arctanh", "cosh", "sinc",
                                 "sinh", "tan", "log10", "log1p", "expm1", "cbrt",
                                 "reciprocal", "rad2deg", "nanmean", "nanstd", "ptp")],
    *[case(name, B) for name in ("sin", "exp", "sqrt", "mean", "var", "sum",
                                 "trunc", "cumprod")],
    *[case(name, H) for name in ("sin", "exp", "mean", "var", "std", "i0", "average",
                                 "ceil", "angle", "median", "cumsum")],
    case("logaddexp2", I, J), case("arctan2", H, I), case("hypot", I, J), case("power", H, I),
    case("divide", B, J), case("add", B, B), case("average", I, weights=H),
    case("arange", np.int32(1), 4.5), case("arange", 0, np.float16(2.0), 0.5),
]


def _is_array(leaf):
    return isinstance(leaf, np.ndarray) and leaf.dtype != object


def _binder(args, kwargs):
    """``(arrays, call)``: the NumPy arrays of a case and ``call(op, arrays)``."""
    leaves, treedef = jax.tree.flatten((args, kwargs), is_leaf=lambda v: v is None)
    where = [i for i, leaf in enumerate(leaves) if _is_array(leaf)]

    def call(op, how, arrays):
        filled = list(leaves)
        for i, a in zip(where, arrays):
            filled[i] = a
        a, k = jax.tree.unflatten(treedef, filled)
        return how(op, *a, **k) if how else op(*a, **k)

    return [leaves[i] for i in where], call


def _assert_same(ours, theirs, label):
    assert jax.tree.structure(ours) == jax.tree.structure(theirs), label
    for a, b in zip(jax.tree.leaves(ours), jax.tree.leaves(theirs)):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape, f"{label}: shape {a.shape} != {b.shape}"
        assert a.dtype == b.dtype, f"{label}: dtype {a.dtype} != {b.dtype}"
        if a.dtype.kind in "biu":
            np.testing.assert_array_equal(a, b, err_msg=label)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, equal_nan=True,
                                       err_msg=label)


def _label(c):
    name, args, kwargs, _, _ = c
    shown = [f"{a.dtype}{list(a.shape)}" if _is_array(a) else repr(a) for a in args]
    return f"{name}({', '.join(shown + [f'{k}={v!r}' for k, v in kwargs.items()])})"


BLOCK = 40
BLOCKS = [CASES[i:i + BLOCK] for i in range(0, len(CASES), BLOCK)]


@pytest.mark.parametrize("block", range(len(BLOCKS)))
def test_numpy_ops_match_keras_eagerly_and_under_jit(keras, block):
    knp = keras.ops.numpy
    cases = BLOCKS[block]
    bound = [_binder(args, kwargs) for _, args, kwargs, _, _ in cases]
    expected = []
    for c, (arrays, call) in zip(cases, bound):
        name, how = c[0], c[4]
        expected.append(call(getattr(knp, name), how, arrays))
        _assert_same(call(getattr(jlnp, name), how, arrays), expected[-1], f"eager {_label(c)}")
    jittable = [i for i, c in enumerate(cases) if c[3]]

    @jax.jit
    def run_all(all_arrays):
        return [bound[i][1](getattr(jlnp, cases[i][0]), cases[i][4], all_arrays[n])
                for n, i in enumerate(jittable)]

    outs = run_all([bound[i][0] for i in jittable])
    for i, out in zip(jittable, outs):
        _assert_same(out, expected[i], f"jit {_label(cases[i])}")


def test_the_table_covers_every_keras_numpy_name(keras):
    names = {n for n in dir(keras.ops.numpy) if not n.startswith("_")}
    assert sorted(jlnp.__all__) == sorted(names)
    tested = {c[0] for c in CASES}
    assert names - tested == set(OMITTED), sorted(names - tested - set(OMITTED))
    assert tested <= names, sorted(tested - names)


def test_every_op_is_reachable_from_jl_ops_and_the_numpy_submodule():
    import jaxlayers as jl

    assert jl.ops is ops and jl.ops.numpy is jlnp
    for name in jlnp.__all__:
        assert getattr(ops, name) is getattr(jlnp, name), name
    np.testing.assert_array_equal(jl.ops.add(np.int32([1, 2]), 3), [4, 5])


def test_floatx_sets_the_default_and_integer_result_dtypes(keras):
    previous, keras_previous = settings.floatx(), keras.config.floatx()
    settings.set_floatx("float16")
    keras.config.set_floatx("float16")
    try:
        for name, args in [("zeros", ((2,),)), ("eye", (2,)), ("exp", (I,)), ("sin", (I,)),
                           ("arange", (0, 1, 0.5)), ("hamming", (4,)), ("var", (I,)),
                           ("arctan2", (I, J)), ("mean", (X.astype(np.float16),))]:
            ours, theirs = getattr(jlnp, name)(*args), getattr(keras.ops.numpy, name)(*args)
            assert ours.dtype == theirs.dtype == np.float16, (name, ours.dtype, theirs.dtype)
    finally:
        settings.set_floatx(previous)
        keras.config.set_floatx(keras_previous)


def test_backend_floatx_is_the_ops_setting():
    from jaxlayers import backend

    previous = backend.floatx()
    backend.set_floatx("bfloat16")
    try:
        assert settings.floatx() == "bfloat16"
        assert jlnp.ones((1,)).dtype == jnp.bfloat16
    finally:
        backend.set_floatx(previous)
    with pytest.raises(errors.ConfigError, match=r"set_floatx: unknown float dtype"):
        settings.set_floatx("float7")


# (name, args, kwargs, our error class, message) for arguments Keras rejects too.
ERRORS = [
    ("fabs", (C,), {}, errors.ConfigTypeError, r"ops.fabs: `x` must be real"),
    ("ldexp", (X, Y), {}, errors.ConfigTypeError, r"ops.ldexp: `x2` must be an integer"),
    ("where", (B, X), {}, errors.ConfigError, r"ops.where: `x1` must be given together"),
    ("diagonal", (M,), {"axis1": 1, "axis2": -1}, errors.ConfigError,
     r"ops.diagonal: `axis2` must be an axis other than axis1=1. Received: axis2=-1"),
    ("eye", (2.0,), {}, errors.ConfigTypeError, r"ops.eye: `N` must be an int"),
    ("eye", (2, 3.0), {}, errors.ConfigTypeError, r"ops.eye: `M` must be an int or None"),
    ("vander", (X,), {}, errors.ConfigError, r"ops.vander: `x` must be 1-D"),
    ("vander", (V,), {"N": -1}, errors.ConfigError, r"ops.vander: `N` must be non-negative"),
    ("vander", (V,), {"N": 1.5}, errors.ConfigTypeError, r"ops.vander: `N` must be an int"),
    ("vander", (V,), {"increasing": 1}, errors.ConfigTypeError,
     r"`increasing` must be a bool. Received: increasing=1\."),
    ("select", (B, [X]), {}, errors.ConfigError, r"ops.select: `condlist` must be a non-empty"),
    ("select", ([B], []), {}, errors.ConfigError, r"`choicelist` must be a non-empty"),
    ("histogram", (V,), {"bins": 2.0}, errors.ConfigTypeError, r"`bins` must be an int"),
    ("histogram", (V,), {"bins": -1}, errors.ConfigError, r"`bins` must be a non-negative"),
    ("histogram", (V,), {"range": (1.0, 0.0)}, errors.ConfigError,
     r"`range` must be a tuple \(low, high\)"),
    ("histogram", (X,), {}, errors.ConfigError, r"ops.histogram: `x` must be 1-D"),
    ("array_split", (X, 2.0), {}, errors.ConfigTypeError, r"`indices_or_sections` must be an"),
    ("array_split", (X, 0), {}, errors.ConfigError, r"`indices_or_sections` must be a positive"),
    ("array_split", (X, 2), {"axis": 0.5}, errors.ConfigTypeError, r"`axis` must be an int"),
    ("rot90", (V,), {}, errors.ConfigError, r"ops.rot90: `array` must be at least 2-D"),
    ("rot90", (X,), {"axes": (1, 1)}, errors.ConfigError, r"`axes` must be two different axes"),
    ("pad", (X, 1), {"mode": "reflect", "constant_values": 1.0}, errors.ConfigError,
     r"ops.pad: `mode` must be 'constant' when `constant_values` is given"),
    ("pad", (X, ((1, 1),) * 3), {}, errors.ConfigError, r"`pad_width` must be one pair or 2"),
    ("searchsorted", (X, V), {}, errors.ConfigError, r"`sorted_sequence` must be 1-D"),
    ("reshape", (X, (-1, -1)), {}, errors.ConfigError, r"`newshape` must be non-negative ints"),
    ("reshape", (X, (-2, 3)), {}, errors.ConfigError, r"Received: newshape=\(-2, 3\)"),
]


@pytest.mark.parametrize("name,args,kwargs,cls,match", ERRORS,
                         ids=[f"{e[0]}-{i}" for i, e in enumerate(ERRORS)])
def test_bad_arguments_raise_the_kind_of_error_keras_raises(keras, name, args, kwargs, cls,
                                                            match):
    builtin = TypeError if issubclass(cls, TypeError) else ValueError
    with pytest.raises(builtin):
        getattr(keras.ops.numpy, name)(*args, **kwargs)
    with pytest.raises(cls, match=match):
        getattr(jlnp, name)(*args, **kwargs)


def test_bincount_refuses_sparse_outputs():
    with pytest.raises(errors.ConfigError, match=r"ops.bincount: `sparse` must be False"):
        jlnp.bincount(K, sparse=True)


def test_meshgrid_refuses_an_unknown_indexing():
    with pytest.raises(errors.ConfigError, match=r"`indexing` must be 'xy' or 'ij'"):
        jlnp.meshgrid(V, V, indexing="yx")
