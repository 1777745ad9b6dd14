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
