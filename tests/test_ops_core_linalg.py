"""``jl.ops`` core functions and ``jl.ops.linalg`` against ``keras.ops`` on the same inputs.

Each case is a function of the ops namespace, run with ``jaxlayers.ops`` and with
``keras.ops`` (JAX backend): eagerly, then under ``jax.jit`` with every NumPy array
of its arguments traced.  Results must agree in structure (tuple vs list
included), shapes, dtypes and values.  The semantics that Keras leaves to its
backend (``while_loop``'s tuple rule, ``scan`` without ``xs``, the
``custom_gradient`` convention) are cases of the same table.
"""

import collections

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest

import jaxlayers.ops as jops
from jaxlayers.errors import ConfigError, ConfigTypeError, DataError, ShapeError
from tests.helpers import assert_close

_rng = np.random.default_rng(14)


def _normal(*shape):
    return _rng.normal(size=shape).astype("float32")


_X = _normal(3, 4)
_V = _normal(5)
_SQ = _normal(2, 3, 3)
_SPD = (_SQ @ np.swapaxes(_SQ, -1, -2) + 3 * np.eye(3)).astype("float32")
_TRI = np.tril(_normal(3, 3)) + 4 * np.eye(3, dtype="float32")
_L = np.linalg.cholesky(_SPD).astype("float32")

# keras_jit=False: Keras itself fails under jit there, so the jitted result is
# compared with Keras's eager one.
Case = collections.namedtuple("Case", "name fn args tol keras_jit", defaults=(1e-5, True))


def _sum(a, b):
    return a + b


def _log1pexp(ops):
    """Keras's portable custom-gradient form: ``grad(*args, upstream=None)``."""
    @ops.custom_gradient
    def f(x):
        e = jnp.exp(x)

        def grad(*args, upstream=None):
            upstream = args[0] if upstream is None else upstream
            return upstream * (1.0 - 1.0 / (1.0 + e))

        return jnp.log1p(e), grad
    return f


def _two_args(ops):
    @ops.custom_gradient
    def f(x, y):
        return x * y, lambda g: (g * 10.0, g * 100.0)
    return f


CASES = [
    # ----------------------------------------------------------------- control flow
    Case("associative_scan", lambda o, x: o.associative_scan(_sum, x, axis=1), (_X,)),
    Case("associative_scan", lambda o, x: o.associative_scan(_sum, x, reverse=True), (_X,)),
    Case("associative_scan",
         lambda o, x, y: o.associative_scan(lambda a, b: [a[0] + b[0], a[1] * b[1]], [x, y]),
         (_V, _V)),
    Case("cond", lambda o, p, x: o.cond(p, lambda: x * 2, lambda: x - 1), (np.array(True), _X)),
    Case("cond", lambda o, p, x: o.cond(p, lambda: (x, x.sum()), lambda: (-x, x.max())),
         (np.array(False), _X)),
    Case("fori_loop", lambda o, x: o.fori_loop(0, 4, lambda i, v: v * 2 + i, x), (_X,)),
    Case("fori_loop", lambda o, x: o.fori_loop(1, 3, lambda i, v: (v[0] + i, v[1] * 2), (x, x)),
         (_V,)),
    Case("map", lambda o, x: o.map(lambda r: {"s": r.sum(), "d": r * 2}, x), (_X,)),
    Case("map", lambda o, x, y: o.map(lambda e: e[0] * e[1], (x, y)), (_X, _X)),
    Case("scan", lambda o, c, x: o.scan(lambda c, r: (c + r, c * r), c, x), (_X[0], _X)),
    # Without xs: f receives None and `length` sets the steps.
    Case("scan", lambda o, c: o.scan(lambda c, _: (c * 2, c + 1), c, None, length=3), (_V,)),
    Case("scan", lambda o, c, x: o.scan(lambda c, r: (c + r, c), c, x, reverse=True, unroll=2),
         (_X[0], _X)),
    Case("scan", lambda o, c, x: o.scan(lambda c, r: ({"a": c["a"] + r}, [r, c["a"]]), {"a": c},
                                        x, unroll=True), (_X[0], _X)),
    Case("switch", lambda o, i, x: o.switch(i, [jnp.sin, jnp.cos, jnp.tanh], x),
         (np.array(1), _V)),
    Case("switch", lambda o, i, x: o.switch(i, [jnp.sin, jnp.cos], x), (np.array(7), _V)),
    Case("switch", lambda o, i, x: o.switch(i, [jnp.sin, jnp.cos], x), (np.array(-2), _V)),
    Case("switch", lambda o, i, x, y: o.switch(i, [jnp.add, jnp.subtract], x, y),
         (np.array(1), _V, _V)),
    Case("vectorized_map", lambda o, x: o.vectorized_map(lambda r: r @ r, x), (_X,)),
    Case("vectorized_map", lambda o, x, y: o.vectorized_map(lambda e: e[0] - e[1], [x, y]),
         (_X, _X)),
    # A tuple or list of loop vars is spread over the arguments and comes back a tuple.
    Case("while_loop",
         lambda o, i, x: o.while_loop(lambda i, x: i < 5, lambda i, x: (i + 1, x * 1.5), (i, x)),
         (np.array(0), _V)),
    Case("while_loop",
         lambda o, i, x: o.while_loop(lambda i, x: i < 5, lambda i, x: [i + 2, x + 1], [i, x]),
         (np.array(0), _V)),
    # Any other value is the single argument and comes back as itself.
    Case("while_loop", lambda o, x: o.while_loop(lambda x: x.sum() < 50, lambda x: x + 1, x),
         (np.abs(_V),)),
    Case("while_loop", lambda o, x: o.while_loop(lambda d: d["i"] < 3,
                                                 lambda d: {"i": d["i"] + 1, "x": d["x"] * 2},
                                                 {"i": 0, "x": x}), (_V,)),
    Case("while_loop",
         lambda o, i, x: o.while_loop(lambda i, x: i < 100, lambda i, x: (i + 1, x * 2), (i, x),
                                      maximum_iterations=3), (np.array(0), _V)),
    Case("while_loop", lambda o, x: o.while_loop(lambda x: True, lambda x: x + 1, x,
                                                 maximum_iterations=4), (_V,)),
    # ----------------------------------------------------------------- gradients
    Case("stop_gradient", lambda o, x: o.stop_gradient(x * 2), (_X,)),
    Case("stop_gradient", lambda o, x: jax.grad(lambda x: (o.stop_gradient(x) * x).sum())(x),
         (_X,)),
    Case("custom_gradient", lambda o, x: jax.value_and_grad(lambda x: _log1pexp(o)(x).sum())(x),
         (_X,)),
    Case("custom_gradient",
         lambda o, x, y: jax.grad(lambda x, y: _two_args(o)(x, y).sum(), (0, 1))(x, y),
         (_V, _V)),
    # ----------------------------------------------------------------- conversion and dtypes
    Case("convert_to_tensor", lambda o, x: o.convert_to_tensor(x), (_X,)),
    Case("convert_to_tensor", lambda o, x: o.convert_to_tensor(x, dtype="float16"), (_X,)),
    Case("convert_to_tensor", lambda o: o.convert_to_tensor([[1, 2], [3, 4]]), ()),
    Case("convert_to_tensor", lambda o: o.convert_to_tensor([1.5, 2.0], "bfloat16"), ()),
    Case("convert_to_tensor", lambda o: o.convert_to_tensor(3.0, "int32"), ()),
    Case("cast", lambda o, x: o.cast(x * 10, "int32"), (_X,)),
    Case("cast", lambda o, x: o.cast(x, "bfloat16"), (_X,)),
    Case("cast", lambda o, x: o.cast(x, "bool"), (_X,)),
    Case("cast", lambda o, x: o.cast(x, np.float16), (_X,)),
    *[Case("cast", lambda o, x, d=d: o.cast(x, d), (_X,)) for d in (int, "int", float, complex,
                                                                    bool, None)],
    Case("cast", lambda o, x: o.cast(x, jnp.uint8), (np.arange(250, 260),)),
    Case("saturate_cast", lambda o, x: o.saturate_cast(x, "uint8"),
         (np.array([-1.0, 0.4, 255.6, 256.0, 1e9, np.inf, -np.inf], "float32"),)),
    Case("saturate_cast", lambda o, x: o.saturate_cast(x, "int32"),
         (np.array([-3e9, -5.5, 5.5, 2147483647.0, 3e9], "float32"),)),
    Case("saturate_cast", lambda o, x: o.saturate_cast(x, "int8"),
         (np.array([-1000, -128, 5, 127, 1000], "int32"),)),
    Case("saturate_cast", lambda o, x: o.saturate_cast(x, "float16"),
         (np.array([-1e6, -1.0, 70000.0, 1e6], "float32"),)),
    Case("saturate_cast", lambda o, x: o.saturate_cast(x, "uint32"),
         (np.array([-5, 7, 2 ** 31 - 1], "int32"),)),
    Case("saturate_cast", lambda o, x: o.saturate_cast(x, "float32"),
         (np.array([-1.5, 3.25], ml_dtypes.bfloat16),)),
    Case("dtype", lambda o, x: o.dtype(x), (_X,)),
    Case("dtype", lambda o, x: o.dtype(x), (np.ones(2, ml_dtypes.bfloat16),)),
    Case("dtype", lambda o, x: o.dtype(o.cast(x, "int16")), (_X,)),
    Case("shape", lambda o, x: o.shape(x), (_SQ,)),
    Case("shape", lambda o, x: o.shape(x[0]), (_V,)),
    Case("is_tensor", lambda o, x: (o.is_tensor(x), o.is_tensor(o.convert_to_tensor(x)),
                                    o.is_tensor([1.0]), o.is_tensor(2.0)), (_V,)),
    # ----------------------------------------------------------------- slicing and scatter
    Case("slice", lambda o, x, s: o.slice(x, s, [2, 2]), (_X, np.array([1, 1]))),
    # Starts past the end are clamped so that the block fits.
    Case("slice", lambda o, x, s: o.slice(x, s, (2, 3)), (_X, np.array([2, 3]))),
    Case("slice", lambda o, x: o.slice(x, [1, 2], [-1, 2]), (_X,)),
    Case("slice", lambda o, x: o.slice(x, (0, 1, 1), np.array([2, -1, 1])), (_SQ,)),
    Case("slice_update", lambda o, x, u: o.slice_update(x, [1, 2], u), (_X, np.ones((2, 2),
                                                                                    "float32"))),
    Case("slice_update", lambda o, x, s, u: o.slice_update(x, s, u),
         (_X, np.array([2, 3]), np.ones((1, 1), "float32"))),
    Case("scatter", lambda o, i, v: o.scatter(i, v, (3, 4)),
         (np.array([[0, 1], [2, 3], [0, 1]]), np.array([1.0, 2.0, 4.0], "float32"))),
    Case("scatter", lambda o, i, v: o.scatter(i, v, (3, 2)),
         (np.array([[0], [2]]), np.ones((2, 2), "float32"))),
    Case("scatter", lambda o, i, v: o.scatter(i, v, (5,)),
         (np.array([[1], [3]]), np.array([7, 9], "int32"))),
    Case("scatter_update", lambda o, x, i, u: o.scatter_update(x, i, u),
         (_X, np.array([[0, 0], [2, 3]]), np.array([10.0, 20.0], "float32"))),
    Case("scatter_update", lambda o, x, u: o.scatter_update(x, [[1]], u),
         (_X, np.ones((1, 4), "float32"))),
    *[Case("scatter_update", lambda o, x, u, r=r: o.scatter_update(x, [[0, 1], [0, 1], [2, 2]],
                                                                  u, reduction=r),
           (_X, np.array([3.0, -2.0, 5.0], "float32")))
      for r in ("add", "max", "min", "mul", "ADD")],
    Case("unstack", lambda o, x: o.unstack(x), (_X,)),
    Case("unstack", lambda o, x: o.unstack(x, num=4, axis=1), (_X,)),
    Case("unstack", lambda o, x: o.unstack(x, axis=-1), (_SQ,)),
    Case("rearrange", lambda o, x: o.rearrange(x, "b h w -> b w h"), (_SQ,)),
    Case("rearrange", lambda o, x: o.rearrange(x, "b h w -> (b h) w"), (_SQ,)),
    Case("rearrange", lambda o, x: o.rearrange(x, "b h w->h (b w)"), (_SQ,)),
    Case("rearrange", lambda o, x: o.rearrange(x, "(a b) c -> b (c a)", a=3), (_normal(6, 2),),
         1e-5, False),
    Case("rearrange", lambda o, x: o.rearrange(x, "b (h1 h) (w1 w) c -> (b h1 w1) h w c",
                                               h1=2, w1=2), (_normal(2, 4, 6, 3),), 1e-5, False),
    Case("rearrange", lambda o, x: o.rearrange(x, "b (h h1) (w w1) c -> b h w (c h1 w1)",
                                               h1=2, w1=3), (_normal(2, 4, 6, 3),), 1e-5, False),
    # ----------------------------------------------------------------- linalg
    Case("cholesky", lambda o, x: o.linalg.cholesky(x), (_SPD,)),
    Case("cholesky", lambda o, x: o.linalg.cholesky(x, upper=True), (_SPD,)),
    Case("cholesky_inverse", lambda o, x: o.linalg.cholesky_inverse(x), (_L[0],), 1e-4),
    Case("cholesky_inverse", lambda o, x: o.linalg.cholesky_inverse(x, upper=True),
         (np.swapaxes(_L[1], 0, 1).copy(),), 1e-4),
    Case("det", lambda o, x: o.linalg.det(x), (_SQ,), 1e-4),
    Case("eig", lambda o, x: o.linalg.eig(x), (_SPD[0],), 1e-4),
    Case("eigh", lambda o, x: o.linalg.eigh(x), (_SPD,), 1e-4),
    Case("inv", lambda o, x: o.linalg.inv(x), (_SPD,), 1e-4),
    Case("jvp", lambda o, x, t: o.linalg.jvp(lambda a: jnp.sin(a) * a, (x,), (t,)), (_V, _V)),
    Case("jvp", lambda o, x, y, t: o.linalg.jvp(lambda a, b: ((a * b).sum(), a - b), [x, y],
                                                [t, t], has_aux=True), (_V, _V, _V)),
    Case("lstsq", lambda o, a, b: o.linalg.lstsq(a, b), (_normal(5, 3), _V), 1e-4),
    Case("lstsq", lambda o, a, b: o.linalg.lstsq(a, b, rcond=1e-3), (_normal(5, 3),
                                                                      _normal(5, 2)), 1e-4),
    Case("lu_factor", lambda o, x: o.linalg.lu_factor(x), (_SQ,), 1e-4),
    Case("lu_factor", lambda o, x: o.linalg.lu_factor(x), (_SQ[0],), 1e-4),
    Case("matrix_rank", lambda o, x: o.linalg.matrix_rank(x),
         (np.array([[1, 2, 3], [2, 4, 6], [0, 1, 0]], "float32"),)),
    Case("matrix_rank", lambda o, x: o.linalg.matrix_rank(x, tol=0.5), (_SQ,)),
    Case("norm", lambda o, x: o.linalg.norm(x), (_X,)),
    Case("norm", lambda o, x: o.linalg.norm(x, axis=1, keepdims=True), (_X,)),
    Case("norm", lambda o, x: o.linalg.norm(x, ord=1, axis=-1), (_SQ,)),
    Case("norm", lambda o, x: o.linalg.norm(x, ord=3, axis=0), (_X,)),
    Case("norm", lambda o, x: o.linalg.norm(x, ord=np.inf), (_V,)),
    Case("norm", lambda o, x: o.linalg.norm(x, ord=0), (_V,)),
    Case("norm", lambda o, x: o.linalg.norm(x, ord="fro", axis=(1, 2)), (_SQ,)),
    Case("norm", lambda o, x: o.linalg.norm(x, ord="nuc"), (_X,), 1e-4),
    Case("norm", lambda o, x: o.linalg.norm(x, ord=-2, axis=(0, 1)), (_X,), 1e-4),
    Case("norm", lambda o, x: o.linalg.norm(x, ord=np.inf, axis=(-2, -1)), (_SQ,)),
    Case("norm", lambda o, x: o.linalg.norm(x), (np.arange(6, dtype="int32").reshape(2, 3),)),
    Case("norm", lambda o, x: o.linalg.norm(x, axis=0), (np.arange(6, dtype="float16"),), 1e-3),
    Case("pinv", lambda o, x: o.linalg.pinv(x), (_X,), 1e-4),
    Case("pinv", lambda o, x: o.linalg.pinv(x, rcond=0.5), (_SQ,), 1e-4),
    Case("qr", lambda o, x: o.linalg.qr(x), (_normal(4, 3),), 1e-4),
    Case("qr", lambda o, x: o.linalg.qr(x, mode="complete"), (_normal(2, 4, 3),), 1e-4),
    Case("solve", lambda o, a, b: o.linalg.solve(a, b), (_SPD, _normal(3)), 1e-4),
    Case("solve", lambda o, a, b: o.linalg.solve(a, b), (_SPD, _normal(2, 3, 4)), 1e-4),
    Case("solve", lambda o, a, b: o.linalg.solve(a, b), (_SPD[0], _normal(3)), 1e-4),
    Case("solve_triangular", lambda o, a, b: o.linalg.solve_triangular(a, b, lower=True),
         (_TRI, _normal(3, 2)), 1e-4),
    Case("solve_triangular", lambda o, a, b: o.linalg.solve_triangular(a, b),
         (_TRI.T.copy(), _normal(3)), 1e-4),
    Case("svd", lambda o, x: o.linalg.svd(x), (_X,), 1e-4),
    Case("svd", lambda o, x: o.linalg.svd(x, full_matrices=False), (_SQ,), 1e-4),
    Case("svd", lambda o, x: o.linalg.svd(x, compute_uv=False), (_X,), 1e-4),
]

# Keras names with no case: convert_to_numpy needs concrete values (no jit); it has
# its own eager test below.
NOT_IN_TABLE = {"convert_to_numpy"}


def _keras_names(keras):
    """Keras's core, einops and linalg op names (the namespace of this file)."""
    top = {name for name in dir(keras.ops) if not name.startswith("_") and getattr(
        getattr(keras.ops, name), "__module__", "") in ("keras.src.ops.core",
                                                         "keras.src.ops.einops")}
    linalg = {name for name in dir(keras.ops.linalg) if not name.startswith("_")}
    return top, linalg


def test_the_table_covers_every_keras_core_and_linalg_op(keras):
    top, linalg = _keras_names(keras)
    assert {case.name for case in CASES} | NOT_IN_TABLE == top | linalg
    assert set(jops.core.__all__) == top
    assert set(jops.linalg.__all__) == linalg
    # Keras also exposes the linalg names at the top level of keras.ops.
    assert all(getattr(jops, name) is getattr(jops.linalg, name) for name in linalg)


def _run(fn, ops, args, jit):
    """``fn(ops, *args)``, eagerly or jitted with the NumPy arrays of ``args`` traced.

    Python values in the result (shapes, dtype names, bools) are read at trace time.
    """
    if not jit:
        return fn(ops, *args)
    leaves, treedef = jax.tree.flatten(args)
    arrays = [i for i, leaf in enumerate(leaves) if isinstance(leaf, np.ndarray)]
    static = {}

    def traced(*traced_arrays):
        filled = list(leaves)
        for i, array in zip(arrays, traced_arrays):
            filled[i] = array
        out_leaves, static["treedef"] = jax.tree.flatten(fn(ops, *jax.tree.unflatten(treedef,
                                                                                     filled)))
        static["values"] = {i: v for i, v in enumerate(out_leaves) if not isinstance(v, jax.Array)}
        return [v for v in out_leaves if isinstance(v, jax.Array)]

    out = iter(jax.jit(traced)(*[leaves[i] for i in arrays]))
    n = static["treedef"].num_leaves
    return jax.tree.unflatten(static["treedef"], [static["values"][i] if i in static["values"]
                                                  else next(out) for i in range(n)])


def _describe(tree):
    """Structure, and per leaf its type, shape and dtype (arrays) or value (Python values)."""
    def leaf(x):
        if isinstance(x, (jax.Array, np.ndarray, np.generic)):
            return (isinstance(x, np.ndarray), np.shape(x), np.dtype(x.dtype).name)
        return (type(x), x)
    return jax.tree.structure(tree), [leaf(x) for x in jax.tree.leaves(tree)]


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
@pytest.mark.parametrize("case", CASES, ids=[f"{i}-{c.name}" for i, c in enumerate(CASES)])
def test_matches_keras(keras, case, jit):
    got = _run(case.fn, jops, case.args, jit)
    want = _run(case.fn, keras.ops, case.args, jit and case.keras_jit)
    assert _describe(got) == _describe(want)
    arrays = [x for x in jax.tree.leaves(want) if isinstance(x, (jax.Array, np.ndarray))]
    assert_close([x for x in jax.tree.leaves(got) if isinstance(x, (jax.Array, np.ndarray))],
                 arrays, tol=case.tol, err_msg=case.name)


def test_convert_to_numpy_matches_keras(keras):
    for x in (jnp.arange(4.0), _X, [1, 2], jnp.ones(2, "bfloat16"), 3.5):
        got, want = jops.convert_to_numpy(x), keras.ops.convert_to_numpy(x)
        assert type(got) is np.ndarray and got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_convert_to_numpy_and_tensor_read_variables():
    import jaxlayers as jl

    layer = jl.layers.Dense(3)
    layer.build((None, 2))
    variable = layer.bias
    variable.assign(np.arange(3.0, dtype="float32"))
    np.testing.assert_array_equal(jops.convert_to_numpy(variable), [0.0, 1.0, 2.0])
    assert jops.convert_to_tensor(variable, "int32").dtype == jnp.int32
    assert jops.shape(variable) == (3,) and jops.dtype(variable) == "float32"
    assert jax.grad(lambda v: (jops.stop_gradient(variable) * v).sum())(jnp.ones(3)).tolist() == [
        0.0, 1.0, 2.0]


def test_convert_to_tensor_keeps_or_densifies_sparse_arrays():
    from jax.experimental import sparse

    matrix = sparse.BCOO.fromdense(jnp.eye(2))
    assert jops.convert_to_tensor(matrix) is matrix and jops.is_tensor(matrix)
    dense = jops.convert_to_tensor(matrix, sparse=False)
    assert isinstance(dense, jax.Array) and dense.tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert jops.convert_to_numpy(matrix).tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_solve_reads_b_with_one_axis_fewer_than_a_as_vectors():
    """Keras documents ``b`` of ``(..., M)``; JAX alone rejects it beside a batched ``a``."""
    b = _normal(2, 3)
    lower = np.tril(_SPD)
    for got, a in ((jops.linalg.solve(_SPD, b), _SPD),
                   (jops.linalg.solve_triangular(lower, b, lower=True), lower)):
        want = np.linalg.solve(a.astype("float64"), b[..., None].astype("float64"))[..., 0]
        assert got.shape == b.shape
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_norm_takes_an_axis_list():
    """Keras's JAX backend hands a list to JAX, which rejects it (unhashable)."""
    np.testing.assert_allclose(jops.linalg.norm(_SQ, axis=[1, 2]),
                               jops.linalg.norm(_SQ, axis=(1, 2)))


def test_scatter_ops_take_index_lists():
    """Keras documents lists; its JAX backend only takes arrays for ``scatter``."""
    values = np.array([7.0, 9.0], "float32")
    assert jops.scatter([[1], [3]], values, (5,)).tolist() == [0, 7, 0, 9, 0]
    assert jops.scatter_update(np.zeros(5, "float32"), ((1,), (3,)), values).tolist() == [
        0, 7, 0, 9, 0]


def test_scan_and_while_loop_do_not_retrace():
    import chex

    @jax.jit
    @chex.assert_max_traces(n=1)
    def step(c, x):
        return jops.scan(lambda c, r: (c + r, c), c, x)[0], jops.while_loop(
            lambda i: i < 3, lambda i: i + 1, c[0])

    chex.clear_trace_counter()
    for _ in range(2):
        step(_X[0], _X)


# ----------------------------------------------------------------------------- errors
ERRORS = [
    (lambda: jops.scan(lambda c, x: (c, x), 0.0, _V, unroll=0), ConfigError,
     r"ops.scan: `unroll` must be a positive int or a bool. Received: unroll=0\."),
    (lambda: jops.scatter_update(_X, [[0, 0]], _V[:1], reduction="sum"), ConfigError,
     r"ops.scatter_update: `reduction` must be None or one of .*Received: reduction='sum'\."),
    (lambda: jops.cast(_X, "float31"), ConfigError,
     r"ops.cast: `dtype` must be a dtype name .*Received: dtype='float31'\."),
    (lambda: jops.saturate_cast(_X, "nope"), ConfigError, r"ops.saturate_cast: `dtype`"),
    (lambda: jops.convert_to_tensor(_X, ragged=True), ConfigError,
     r"ops.convert_to_tensor: `ragged` must be False or None.*Received: ragged=True\."),
    (lambda: jops.unstack(_X, num=5), ShapeError,
     r"ops.unstack: `num` must equal the size of axis 0 \(3\). Received: num=5\."),
    (lambda: jops.slice(_X, [0, 0], [1]), ShapeError,
     r"ops.slice: `shape` must have one size per axis of `inputs` \(2\). Received: shape=\[1\]"),
    (lambda: jax.jit(lambda s: jops.slice(_X, s, [-1, 1]))(np.array([0, 0])), ConfigTypeError,
     r"ops.slice: `start_indices` must be a list of Python ints known before tracing"),
    (lambda: jops.rearrange(_SQ, "b h w"), ConfigError,
     r"ops.rearrange: `pattern` must be a string 'input axes -> output axes'"),
    (lambda: jops.rearrange(_SQ, "b (h w -> b h w"), ConfigError, r"unbalanced or nested"),
    (lambda: jops.rearrange(_SQ, "b h h -> b h h"), ConfigError,
     r"must name each axis once"),
    (lambda: jops.rearrange(_SQ, "b h -> b h"), ShapeError,
     r"the input side of `pattern` names 2 axes, the tensor has 3"),
    (lambda: jops.rearrange(_SQ, "b h w -> b h"), ConfigError,
     r"both sides of `pattern` must name the same axes"),
    (lambda: jops.rearrange(_normal(6, 2), "(a b) c -> a b c"), ConfigError,
     r"axes \['a', 'b'\] of one group need their sizes"),
    (lambda: jops.rearrange(_normal(6, 2), "(a b) c -> a b c", a=4), ShapeError,
     r"axes \['a', 'b'\] of `pattern` do not divide the input dimension 6"),
    (lambda: jops.rearrange(_normal(6, 2), "a c -> c a", a=5), ShapeError,
     r"axes \['a'\] of `pattern` do not divide"),
    (lambda: jops.linalg.inv(_V), ShapeError,
     (r"ops.inv: `x` must be a matrix or a stack of matrices \(rank >= 2\). "
      r"Received: x.shape=\(5,\)\.")),
    (lambda: jax.jit(jops.linalg.det)(_X), ShapeError,
     r"ops.det: `x` must hold square matrices. Received: x.shape=\(3, 4\)\."),
    (lambda: jops.linalg.solve(_SPD, _normal(2, 4)), ShapeError,
     (r"ops.solve: `b` must have shape \(..., M\) or \(..., M, N\) for `a` of shape "
      r"\(..., M, M\). Received: a.shape=\(2, 3, 3\), b.shape=\(2, 4\)\.")),
    (lambda: jops.linalg.solve_triangular(_TRI, np.float32(1.0)), ShapeError,
     r"ops.solve_triangular: `b` must have shape"),
    (lambda: jops.linalg.solve(_X, _V), ShapeError, r"ops.solve: `a` must hold square"),
    (lambda: jops.linalg.lstsq(_X, _V), ShapeError,
     (r"ops.lstsq: `a` must have shape \(M, N\) and `b` shape \(M,\) or \(M, K\). "
      r"Received: a.shape=\(3, 4\), b.shape=\(5,\)\.")),
    (lambda: jops.linalg.qr(_X, mode="r"), ConfigError,
     r"ops.qr: `mode` must be 'reduced' or 'complete'. Received: mode='r'\."),
    (lambda: jops.linalg.norm(_X, ord="fro", axis=1), ConfigError,
     r"ops.norm: a string `ord` must be 'fro' or 'nuc', for matrix norms only"),
    (lambda: jops.linalg.norm(_X, ord="max"), ConfigError, r"ops.norm: a string `ord`"),
    (lambda: jops.linalg.norm(_X, ord=3, axis=(0, 1)), ConfigError,
     r"ops.norm: `ord` of a matrix norm must be one of .*Received: ord=3\."),
    (lambda: jops.linalg.cholesky(-np.eye(2, dtype="float32")), DataError,
     r"ops.cholesky: `x` must be symmetric positive definite"),
    (lambda: jops.linalg.matrix_rank(_V), ShapeError, r"ops.matrix_rank: `x` must be a matrix"),
    (lambda: jops.linalg.pinv(_V), ShapeError, r"ops.pinv: `x` must be a matrix"),
    (lambda: jops.linalg.lu_factor(_V), ShapeError, r"ops.lu_factor: `x` must be a matrix"),
    (lambda: jops.linalg.svd(_V), ShapeError, r"ops.svd: `x` must be a matrix"),
    (lambda: jops.linalg.eig(_X), ShapeError, r"ops.eig: `x` must hold square"),
    (lambda: jops.linalg.eigh(_X), ShapeError, r"ops.eigh: `x` must hold square"),
    (lambda: jops.linalg.cholesky_inverse(_X), ShapeError,
     r"ops.cholesky_inverse: `x` must hold square"),
]


@pytest.mark.parametrize("call, cls, match", ERRORS, ids=[m[:40] for _, _, m in ERRORS])
def test_bad_arguments_raise_clear_errors(call, cls, match):
    with pytest.raises(cls, match=match):
        call()


KERAS_REJECTS = [
    lambda o: o.scan(lambda c, x: (c, x), 0.0, _V, unroll=0),
    lambda o: o.scatter_update(_X, [[0, 0]], _V[:1], reduction="sum"),
    lambda o: o.cast(_X, "float31"),
    lambda o: o.convert_to_tensor(_X, ragged=True),
    lambda o: o.linalg.inv(_V),
    lambda o: o.linalg.det(_X),
    lambda o: o.linalg.qr(_X, mode="r"),
    lambda o: o.linalg.cholesky(-np.eye(2, dtype="float32")),
]


@pytest.mark.parametrize("call", KERAS_REJECTS)
def test_errors_have_the_builtin_kind_keras_raises(keras, call):
    """Code that catches Keras's ValueError (or TypeError) catches ours."""
    with pytest.raises(Exception) as theirs:
        call(keras.ops)
    kind = ValueError if isinstance(theirs.value, ValueError) else TypeError
    assert isinstance(theirs.value, kind)
    with pytest.raises(kind):
        call(jops)
