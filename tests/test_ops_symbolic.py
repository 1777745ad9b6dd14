"""Public ops called on jl.Input tensors record Functional graph nodes, as Keras's ops do."""

import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers.core.graph_ops import SymbolicOp
from jaxlayers.errors import ConfigError


def _model():
    a, b = jl.Input((4, 3), name="a"), jl.Input((4, 3), name="b")
    joined = jl.ops.concatenate([a, b], axis=-1)                 # numpy, a list argument
    pooled = jl.ops.mean(joined, axis=1)                         # a constant keyword
    probs = jl.ops.nn.softmax(jl.layers.Dense(5)(pooled), axis=-1)
    norms = jl.ops.linalg.norm(a, axis=-1)
    top, _ = jl.ops.top_k(probs, k=2)                            # math, two outputs
    gray = jl.ops.image.rgb_to_grayscale(a[:, :, None, :], data_format="channels_last")
    return jl.Model([a, b], [probs, norms, top, gray])


def test_ops_on_inputs_build_a_model_that_computes_the_same(rng):
    model = _model()
    a = rng.random((2, 4, 3), dtype=np.float32)
    b = rng.random((2, 4, 3), dtype=np.float32)
    probs, norms, top, gray = model([a, b])
    assert probs.shape == (2, 5) and top.shape == (2, 2) and gray.shape == (2, 4, 1, 1)
    np.testing.assert_allclose(norms, np.linalg.norm(a, axis=-1), rtol=1e-5)
    np.testing.assert_allclose(top, np.sort(np.asarray(probs), axis=-1)[:, ::-1][:, :2],
                               rtol=1e-6)
    assert model.output_shape == [(None, 5), (None, 4), (None, 2), (None, 4, 1, 1)]


def test_the_graph_saves_and_loads(tmp_path, rng):
    model = _model()
    a = rng.random((2, 4, 3), dtype=np.float32)
    want = model([a, a])
    model.save(tmp_path / "m.keras")
    loaded = jl.models.load_model(tmp_path / "m.keras")
    for w, g in zip(want, loaded([a, a])):
        np.testing.assert_allclose(g, w, rtol=1e-6)
    again = jl.Model.from_config(model.get_config())
    again.set_weights(model.get_weights())
    for w, g in zip(want, again([a, a])):
        np.testing.assert_allclose(g, w, rtol=1e-6)


def test_a_symbolic_keyword_argument_becomes_an_input(rng):
    x = jl.Input((3,))
    y = jl.ops.maximum(x1=x, x2=0.5)
    model = jl.Model(x, y)
    data = rng.random((2, 3), dtype=np.float32)
    np.testing.assert_allclose(model(data), np.maximum(data, 0.5))


def test_ops_on_arrays_are_unchanged_and_metadata_ops_read_the_tensor():
    assert float(jl.ops.add(np.float32(1), 2.0)) == 3.0
    x = jl.Input((4, 3))
    assert jl.ops.shape(x) == (None, 4, 3)
    assert jl.ops.dtype(x) == "float32"
    assert not jl.ops.is_tensor(x)


def test_a_saved_graph_names_only_public_ops():
    with pytest.raises(ConfigError, match="unknown op.*Received: op_name='numpy.__class__'"):
        SymbolicOp(op_name="numpy.__class__")
    with pytest.raises(ConfigError, match="Received: op_name='os.system'"):
        SymbolicOp(op_name="os.system")


@pytest.mark.parametrize("dtype", [jnp.float16, np.float16, np.dtype("float16"), "float16"])
def test_an_op_with_a_dtype_argument_saves_and_loads(tmp_path, dtype):
    x = jl.Input((3,))
    model = jl.Model(x, jl.ops.cast(x, dtype=dtype) * 2)
    model.save(tmp_path / "m.keras")
    out = jl.models.load_model(tmp_path / "m.keras")(np.ones((1, 3), np.float32))
    assert out.dtype == np.float16
    np.testing.assert_array_equal(out, np.full((1, 3), 2, np.float16))


def _ops_taking(arg):
    """(path, op) for every public op with an argument named ``arg``."""
    import inspect

    from jaxlayers.ops import PUBLIC_MODULES

    found = []
    for short, module in PUBLIC_MODULES.items():
        for name in module.__all__:
            op = getattr(module, name)
            if callable(op) and not isinstance(op, type) and arg in inspect.signature(
                    getattr(op, "array_fn", op)).parameters:
                found.append((f"{short}.{name}", op))
    return found


AXIS_OPS = _ops_taking("axis")
DTYPE_OPS = _ops_taking("dtype")


def test_every_public_op_names_a_bad_axis_or_dtype_before_tracing():
    from jaxlayers.errors import ConfigTypeError

    assert len(AXIS_OPS) > 60 and len(DTYPE_OPS) > 20
    for path, op in AXIS_OPS:
        name = path.rpartition(".")[2]
        for bad in (1.5, "0", (0, 1.0)):
            with pytest.raises(ConfigTypeError, match=rf"^ops\.{name}: `axis` must be an int, "
                               rf"a tuple of ints or None\. Received: axis="):
                op(np.ones((2, 3), np.float32), axis=bad)
    for path, op in DTYPE_OPS:
        name = path.rpartition(".")[2]
        with pytest.raises(ConfigError, match=rf"^ops\.{name}: `dtype` must be a dtype name "
                           r"such as 'float32', or a NumPy/JAX dtype\. Received: dtype='flaot32'"):
            op(np.ones((2, 3), np.float32), dtype="flaot32")


def test_positional_and_symbolic_axes_are_checked_too():
    from jaxlayers.errors import ConfigTypeError

    with pytest.raises(ConfigTypeError, match=r"ops\.sum: `axis` must be an int"):
        jl.ops.sum(np.ones((2, 3)), 1.0)
    with pytest.raises(ConfigTypeError, match=r"ops\.tensordot: `axes` must be an int"):
        jl.ops.tensordot(np.ones((2, 3)), np.ones((3, 2)), axes=((1,), (0.5,)))
    with pytest.raises(ConfigError, match=r"ops\.cast: `dtype` must be a dtype name"):
        jl.ops.cast(np.ones(2), "flaot32")
    with pytest.raises(ConfigTypeError, match=r"ops\.mean: `axis` must be an int"):
        jl.ops.mean(jl.Input((3,)), axis="1")


def test_good_axes_and_dtypes_still_pass(rng):
    x = rng.random((2, 3, 4), dtype=np.float32)
    np.testing.assert_allclose(jl.ops.sum(x, axis=[0, np.int64(2)]), x.sum(axis=(0, 2)),
                               rtol=1e-6)
    np.testing.assert_allclose(jl.ops.tensordot(x, x, axes=([1, 2], [1, 2])),
                               np.tensordot(x, x, axes=([1, 2], [1, 2])), rtol=1e-5)
    assert jl.ops.zeros((2,), dtype=int).dtype == np.int32
    assert jl.ops.cast(x, np.float16).dtype == np.float16


def test_the_op_wrapper_costs_no_retrace(rng):
    import chex
    import jax

    @jax.jit
    @chex.assert_max_traces(n=1)
    def step(x):
        return jl.ops.nn.softmax(jl.ops.mean(x, axis=-1, keepdims=True) * x, axis=1)

    chex.clear_trace_counter()
    for _ in range(3):
        x = rng.random((2, 3), dtype=np.float32)
        want = np.exp(x.mean(-1, keepdims=True) * x)
        np.testing.assert_allclose(step(x), want / want.sum(1, keepdims=True), rtol=1e-5)


def test_an_axis_outside_the_rank_of_x_is_named():
    from jaxlayers.errors import ShapeError

    x = np.ones((2, 3), np.float32)
    for op, kwargs in ((jl.ops.mean, {"axis": 5}), (jl.ops.std, {"axis": (0, -3)}),
                       (jl.ops.nn.softmax, {"axis": 2}), (jl.ops.cumsum, {"axis": -3})):
        with pytest.raises(ShapeError, match=rf"ops\.{op.__name__}: `axis` must be in \[-2, 2\) "
                           rf"for `x` of rank 2\. Received: axis="):
            op(x, **kwargs)
    # Ops whose axis counts the axes of their result still take ndim.
    assert jl.ops.expand_dims(x, 2).shape == (2, 3, 1)
    assert jl.ops.nn.one_hot(np.array([[0, 1]]), 3, axis=2).shape == (1, 2, 3)
