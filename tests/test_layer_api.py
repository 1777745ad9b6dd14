"""The base Layer API: facade, pure pair, weights, trainable, config, losses, keys, errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers import errors
from jaxlayers.layers import Layer
from tests.helpers import Counter, MyCustomLayer, NoisyLayer


class SimpleDense(jl.layers.Layer):
    """Seed 004's SimpleDense (super().__init__() with no kwargs)."""

    def __init__(self, units, activation=None):
        super().__init__()
        self.units = units
        self.activation = activation

    def build(self, input_shape):
        input_dim = input_shape[-1]
        self.W = self.add_weight(shape=(input_dim, self.units), initializer="random_normal")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros")

    def call(self, inputs):
        y = jnp.matmul(inputs, self.W) + self.b
        if self.activation is not None:
            y = self.activation(y)
        return y


class RegLayer(Layer):
    """Seed 002's regularization example: weights created in __init__."""

    def __init__(self, units=32, input_dim=32):
        super().__init__()
        self.units = units
        self.weight = self.add_weight(shape=(input_dim, units), initializer="random_normal",
                                      regularizer=jl.regularizers.l2(1e-4), trainable=True)
        self.bias = self.add_weight(shape=(units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return jnp.matmul(inputs, self.weight) + self.bias


def test_seed_custom_layer_eager_jit_grad_vmap(key):
    layer = MyCustomLayer(units=4)
    x = jnp.ones((2, 3))
    y = layer(x)
    assert y.shape == (2, 4)
    assert layer.built and len(layer.weights) == 1
    kernel = layer.weights[0]
    assert kernel.shape == (3, 4) and kernel.trainable and kernel.path.endswith("/kernel")
    np.testing.assert_allclose(y, x @ kernel.numpy(), rtol=1e-6)
    params, state = layer.init(key, x)
    assert jax.tree.map(jnp.shape, params) == {layer.name: {"kernel": (3, 4)}}
    assert state == {}
    out, new_state = jax.jit(layer.apply)(params, state, x)
    np.testing.assert_allclose(out, x @ params[layer.name]["kernel"], rtol=1e-6)
    grads = jax.grad(lambda p: layer.apply(p, state, x)[0].sum())(params)
    np.testing.assert_allclose(grads[layer.name]["kernel"], jnp.full((3, 4), 2.0))
    batched = jax.vmap(lambda xi: layer.apply(params, state, xi)[0])(jnp.ones((5, 2, 3)))
    assert batched.shape == (5, 2, 4)


def test_seed_simple_dense_shape_inference():
    my_dense = SimpleDense(units=32, activation=jax.nn.relu)
    out = my_dense(jnp.ones(shape=(2, 784)))
    assert out.shape == (2, 32)
    model = jl.Sequential([SimpleDense(32, activation=jax.nn.relu),
                           SimpleDense(64, activation=jax.nn.relu),
                           SimpleDense(10, activation=jax.nn.softmax)])
    y = model(jnp.ones((3, 20)))
    assert y.shape == (3, 10)
    assert [w.shape for w in model.weights] == [(20, 32), (32,), (32, 64), (64,), (64, 10),
                                                (10,)]


def test_weights_in_init_and_regularizer_losses():
    layer = RegLayer(10, 5)
    y = layer(jnp.ones((3, 5)))
    assert y.shape == (3, 10)
    assert [w.name for w in layer.weights] == ["weight", "bias"]
    assert len(layer.losses) == 1
    expected = 1e-4 * np.sum(np.square(layer.get_weights()[0]))
    np.testing.assert_allclose(layer.losses[0], expected, rtol=1e-5)
    params, state = layer.init(jax.random.key(0), jnp.ones((3, 5)))
    _, _, aux = layer.apply_with_aux(params, state, jnp.ones((3, 5)))
    w = params[layer.name]["weight"]
    np.testing.assert_allclose(aux["losses"][0], 1e-4 * jnp.sum(w * w), rtol=1e-5)


def test_facade_equals_apply_and_params_roundtrip(key):
    layer = jl.layers.Dense(3)
    x = jax.random.normal(key, (4, 2))
    y = layer(x)
    out, _ = layer.apply(layer.params, layer.state, x)
    np.testing.assert_allclose(y, out, rtol=1e-6)
    params, _ = layer.init(jax.random.key(5), x)
    layer.params = params
    np.testing.assert_allclose(layer(x), layer.apply(params, {}, x)[0], rtol=1e-6)
    with pytest.raises(errors.WeightsError, match="expects shape"):
        layer.set_params({layer.name: {"kernel": jnp.zeros((5, 3)), "bias": jnp.zeros(3)}})
    with pytest.raises(errors.WeightsError, match="Missing"):
        layer.set_params({layer.name: {"kernel": jnp.zeros((2, 3))}})


def test_state_updates_only_in_training_and_write_back():
    layer = Counter()
    x = jnp.ones((2, 3))
    params, state = layer.init(jax.random.key(0), x)
    _, s1 = layer.apply(params, state, x, training=True)
    _, s2 = jax.jit(lambda p, s: layer.apply(p, s, x, training=True))(params, s1)
    assert float(s2[layer.name]["count"]) == 2.0
    _, s3 = layer.apply(params, s2, x, training=False)
    assert float(s3[layer.name]["count"]) == 2.0
    layer(x, training=True)
    layer(x, training=True)
    assert float(layer.state[layer.name]["count"]) == 2.0


def test_writing_trainable_weight_in_call_is_an_error():
    class Bad(Layer):
        def build(self, shape):
            self.w = self.add_weight(shape=(), initializer="zeros")

        def call(self, x):
            self.w = self.w + 1.0
            return x

    with pytest.raises(errors.StateError, match="trainable weight"):
        Bad()(jnp.ones((1, 2)))


def test_trainable_flag_moves_weights_and_is_recursive():
    model = jl.Sequential([jl.layers.Dense(3), jl.layers.Dense(2)])
    model.build((None, 4))
    assert len(model.trainable_weights) == 4
    model.layers[0].trainable = False
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    model.trainable = False
    assert model.trainable_weights == [] and len(model.non_trainable_weights) == 4
    # Tree placement never changes: params still holds every kernel and bias.
    assert len(jax.tree_util.tree_leaves(model.params)) == 4


def test_get_set_weights_order_and_errors():
    layer = jl.layers.Dense(2)
    with pytest.raises(errors.NotBuiltError, match="isn't built"):
        layer.get_weights()
    with pytest.raises(errors.NotBuiltError, match="count_params"):
        layer.count_params()
    layer.build((None, 3))
    assert layer.count_params() == 8
    kernel, bias = np.ones((3, 2)), np.arange(2.0)
    layer.set_weights([kernel, bias])
    np.testing.assert_array_equal(layer.get_weights()[1], bias)
    before = layer.get_weights()
    with pytest.raises(errors.WeightsError, match="expects a list of 2 arrays"):
        layer.set_weights([kernel])
    with pytest.raises(errors.WeightsError, match=r"expects shape \(2,\)"):
        layer.set_weights([kernel, np.ones(5)])
    for a, b in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_explicit_build_and_compute_output_shape():
    layer = MyCustomLayer(5)
    layer.build((None, 7))
    assert layer.built and layer.weights[0].shape == (7, 5)
    assert layer.compute_output_shape((None, 7)) == (None, 5)
    assert jl.layers.Dense(3).compute_output_shape((None, 4, 2)) == (None, 4, 3)


def test_names_are_unique_and_nested_trees_follow_names():
    jl.clear_session()
    a, b = jl.layers.Dense(2), jl.layers.Dense(2)
    assert (a.name, b.name) == ("dense", "dense_1")

    class Block(Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = [jl.layers.Dense(3, name="d1"), jl.layers.Dense(2, name="d2")]

        def call(self, x):
            return self.inner[1](self.inner[0](x))

    block = Block(name="block")
    params, _ = block.init(jax.random.key(0), jnp.ones((1, 4)))
    assert jax.tree.map(jnp.shape, params) == {
        "block": {"d1": {"kernel": (4, 3), "bias": (3,)},
                  "d2": {"kernel": (3, 2), "bias": (2,)}}}
    assert [w.path for w in block.weights] == ["block/d1/kernel", "block/d1/bias",
                                               "block/d2/kernel", "block/d2/bias"]


def test_duplicate_sublayer_names_are_an_error():
    class Twins(Layer):
        def __init__(self):
            super().__init__()
            self.a, self.b = jl.layers.Dense(1, name="same"), jl.layers.Dense(1, name="same")

        def call(self, x):
            return self.a(x) + self.b(x)

    with pytest.raises(errors.ConfigError, match="two sublayers"):
        Twins().init(jax.random.key(0), jnp.ones((1, 2)))


def test_keys_required_and_folded_by_path():
    layer = NoisyLayer()
    x = jnp.zeros((2, 3))
    params, state = layer.init(jax.random.key(0), x)
    with pytest.raises(errors.KeyRequiredError, match=r"key=jax.random.key\(0\)"):
        layer.apply(params, state, x, training=True)
    a, _ = layer.apply(params, state, x, training=True, key=jax.random.key(1))
    b, _ = layer.apply(params, state, x, training=True, key=jax.random.key(1))
    c, _ = layer.apply(params, state, x, training=True, key=jax.random.key(2))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    # The eager facade owns a key and advances it per call.
    e1, e2 = layer(x, training=True), layer(x, training=True)
    assert not np.allclose(e1, e2)
    np.testing.assert_array_equal(layer(x), x)


def test_stateless_call_keras_semantics():
    layer = Counter()
    x = jnp.ones((2, 3))
    layer(x)
    tv = [v.value for v in layer.trainable_variables]
    ntv = [v.value for v in layer.non_trainable_variables]
    out, new_ntv = layer.stateless_call([t * 2 for t in tv], ntv, x, training=True)
    np.testing.assert_allclose(out, 2 * x)
    assert float(new_ntv[0]) == 1.0
    assert float(layer.non_trainable_variables[0].numpy()) == 0.0  # facade untouched
    _, _, losses = layer.stateless_call(tv, ntv, x, return_losses=True)
    assert losses == []


def test_add_loss_and_add_metric_collected():
    class ActReg(Layer):
        def call(self, x):
            self.add_loss(jnp.sum(x) * 0.5)
            self.add_metric(jnp.mean(x), name="mean_x")
            return x

    layer = ActReg()
    x = jnp.ones((2, 2))
    _, _, aux = layer.apply_with_aux({}, {}, x)
    np.testing.assert_allclose(aux["losses"][0], 2.0)
    np.testing.assert_allclose(aux["metrics"]["mean_x"], 1.0)
    layer(x)
    np.testing.assert_allclose(layer.losses[0], 2.0)


def test_config_round_trip_auto_and_explicit():
    layer = MyCustomLayer(units=7, name="mine")
    config = layer.get_config()
    assert config["units"] == 7 and config["name"] == "mine"
    clone = MyCustomLayer.from_config(config)
    assert clone.units == 7 and clone.name == "mine"
    dense = jl.layers.Dense(3, activation="relu", kernel_regularizer="l2")
    again = jl.layers.Dense.from_config(dense.get_config())
    assert again.get_config() == dense.get_config()


def test_dtype_policy_and_global_floatx():
    layer = jl.layers.Dense(2, dtype="float16")
    y = layer(np.ones((1, 3), np.float32))
    assert y.dtype == jnp.float16 and layer.weights[0].dtype == jnp.float16
    mixed = jl.layers.Dense(2, dtype="mixed_bfloat16")
    y = mixed(jnp.ones((1, 3)))
    assert y.dtype == jnp.bfloat16 and mixed.weights[0].dtype == jnp.float32
    jl.set_floatx("float16")
    try:
        assert jl.layers.Dense(2).dtype == "float16"
    finally:
        jl.set_floatx("float32")
    with pytest.raises(errors.ConfigError, match="set_floatx"):
        jl.set_floatx("float7")


def test_float64_numpy_inputs_are_cast_like_keras():
    layer = jl.layers.Dense(2)
    assert layer(np.random.rand(3, 4)).dtype == jnp.float32


def test_init_accepts_shape_structs_and_jits():
    layer = jl.layers.Dense(3)
    spec = jax.ShapeDtypeStruct((8, 5), jnp.float32)
    params, _ = jax.jit(layer.init)(jax.random.key(0), spec)
    assert params[layer.name]["kernel"].shape == (5, 3)
    again, _ = layer.init(jax.random.key(0), spec)
    np.testing.assert_array_equal(params[layer.name]["kernel"], again[layer.name]["kernel"])


def test_apply_with_wrong_tree_is_a_clear_error():
    layer = jl.layers.Dense(3, name="d3")
    params, state = layer.init(jax.random.key(0), jnp.ones((1, 2)))
    with pytest.raises(errors.WeightsError, match="has no entry 'd3/kernel'"):
        layer.apply({"d3": {"bias": params["d3"]["bias"]}}, state, jnp.ones((1, 2)))
    with pytest.raises(errors.WeightsError, match="has shape"):
        layer.apply({"d3": {"kernel": jnp.ones((4, 3)), "bias": jnp.ones(3)}}, state,
                    jnp.ones((1, 2)))


def test_variable_handle_api():
    layer = jl.layers.Dense(2)
    layer.build((None, 3))
    v = layer.kernel
    assert isinstance(v, jl.Variable)
    assert (v.name, v.path, v.shape, v.dtype) == ("kernel", f"{layer.name}/kernel", (3, 2),
                                                   jnp.float32)
    v.assign(np.zeros((3, 2)))
    np.testing.assert_array_equal(v.numpy(), 0)
    with pytest.raises(errors.ShapeError, match="Cannot assign"):
        v.assign(np.zeros((2, 2)))
