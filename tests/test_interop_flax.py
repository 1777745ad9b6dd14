"""FlaxLayer: Flax Linen and NNX modules as jaxlayers layers, checked against Flax itself."""

import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers import errors
from jaxlayers.core.serialization import custom_object_scope
from jaxlayers.layers.interop import FlaxLayer
from tests.helpers import assert_close

flax = pytest.importorskip("flax")
nn = pytest.importorskip("flax.linen")
nnx = pytest.importorskip("flax.nnx")

X = np.linspace(-1.0, 1.0, 15, dtype=np.float32).reshape(5, 3)


class Block(nn.Module):
    features: int = 4

    @nn.compact
    def __call__(self, inputs, train: bool = False):
        x = nn.Dense(self.features)(inputs)
        x = nn.BatchNorm(use_running_average=not train)(x)
        x = nn.Dropout(0.5, deterministic=not train)(x)
        return nn.Dense(2)(x)


class Encoder(nn.Module):
    def setup(self):
        self.enc = nn.Dense(3)
        self.head = nn.Dense(2)

    def __call__(self, inputs):
        return self.head(self.enc(inputs))

    def encode(self, inputs):
        return self.enc(inputs)


class Deterministic(nn.Module):
    @nn.compact
    def __call__(self, inputs, deterministic: bool = True):
        return nn.Dropout(0.5, deterministic=deterministic)(nn.Dense(3)(inputs))


def _variables(layer, params, state):
    """The Flax variables dict a FlaxLayer's (params, state) stand for."""
    out = {}
    for tree in (params, state):
        for name, value in tree[layer.name].items():
            coll, rest = name.split("_", 1) if not name.startswith("batch_stats_") else (
                "batch_stats", name[len("batch_stats_"):])
            mod, leaf = rest.rsplit("_", 1)
            out.setdefault(coll, {}).setdefault(mod, {})[leaf] = value
    return out


def test_linen_outputs_gradients_and_state_match_flax():
    layer = FlaxLayer(Block(), name="blk")
    params, state = layer.init(jax.random.key(0), X)
    assert sorted(params["blk"]) == [
        "params_BatchNorm_0_bias", "params_BatchNorm_0_scale", "params_Dense_0_bias",
        "params_Dense_0_kernel", "params_Dense_1_bias", "params_Dense_1_kernel"]
    assert sorted(state["blk"]) == ["batch_stats_BatchNorm_0_mean",
                                    "batch_stats_BatchNorm_0_var"]
    variables = _variables(layer, params, state)
    out, _ = layer.apply(params, state, X)
    assert_close(out, Block().apply(variables, X), tol=1e-5)

    def loss(p):
        return jnp.sum(layer.apply(p, state, X)[0] ** 2)

    def loss_flax(v):
        return jnp.sum(Block().apply({**v, "batch_stats": variables["batch_stats"]}, X) ** 2)

    grads = jax.grad(loss)(params)
    ref = jax.grad(loss_flax)({"params": variables["params"]})
    assert_close(_variables(layer, grads, {layer.name: {}})["params"], ref["params"], tol=1e-5)

    # training: BatchNorm statistics updated like Flax's mutable apply.
    _, new_state = layer.apply(params, state, X, training=True, key=jax.random.key(1))
    _, mutated = Block().apply(variables, X, train=True, mutable=["batch_stats"],
                               rngs={"dropout": jax.random.key(1)})
    assert_close(_variables(layer, {layer.name: {}}, new_state)["batch_stats"],
                 mutated["batch_stats"], tol=1e-5)
    with pytest.raises(errors.KeyRequiredError, match="key=jax.random.key"):
        layer.apply(params, state, X, training=True)


def test_deterministic_flag_and_methods():
    layer = FlaxLayer(Deterministic())
    params, state = layer.init(jax.random.key(0), X)
    a, _ = layer.apply(params, state, X)
    b, _ = layer.apply(params, state, X, training=True, key=jax.random.key(0))
    assert (np.asarray(b) == 0).any() and not (np.asarray(a) == 0).any()

    by_name = FlaxLayer(Encoder(), method="encode")
    p, _ = by_name.init(jax.random.key(0), X)
    assert sorted(p[by_name.name]) == ["params_enc_bias", "params_enc_kernel"]
    assert by_name.get_config()["method"] == "encode"

    def encode_twice(module, inputs, training):
        return module.encode(inputs) * (2.0 if training else 1.0)

    by_fn = FlaxLayer(Encoder(), method=encode_twice)
    p, s = by_fn.init(jax.random.key(0), X)
    y1, _ = by_fn.apply(p, s, X)
    y2, _ = by_fn.apply(p, s, X, training=True, key=jax.random.key(0))
    assert_close(y2, 2 * y1, tol=1e-5)


def test_given_variables_and_fit():
    variables = Block().init({"params": jax.random.key(0), "dropout": jax.random.key(1)}, X)
    layer = FlaxLayer(Block(), variables=variables, name="given")
    assert_close(layer(X), Block().apply(variables, X), tol=1e-5)
    model = jl.Sequential([jl.layers.Input((3,)), layer])
    model.compile(optimizer="adam", loss="mse")
    before = [w.copy() for w in layer.get_weights()]
    model.fit(X, np.ones((5, 2), np.float32), epochs=2, batch_size=5, verbose=0)
    after = layer.get_weights()
    kernel = [w.name for w in layer.weights].index("params_Dense_0_kernel")
    assert not np.allclose(before[kernel], after[kernel])
    mean = [w.name for w in layer.weights].index("batch_stats_BatchNorm_0_mean")
    assert not np.allclose(before[mean], after[mean])


def test_config_round_trip(tmp_path):
    layer = FlaxLayer(Block(features=5), name="blk")
    layer(X)
    config = layer.get_config()
    assert config["module"]["class_name"] == "Block"
    assert config["module"]["config"] == {"features": 5}
    with pytest.raises(errors.SerializationError, match="must be passed again at load"):
        FlaxLayer.from_config(config)
    with custom_object_scope({"Block": Block}):
        clone = FlaxLayer.from_config(config)
    assert clone.get_config() == config
    assert clone.module.features == 5
    clone = FlaxLayer.from_config(config, module=Block(features=5))
    clone(X)
    clone.set_weights(layer.get_weights())
    assert_close(clone(X), layer(X), tol=1e-5)

    model = jl.Sequential([jl.layers.Input((3,)), layer])
    path = str(tmp_path / "flax.keras")
    model.save(path)
    loaded = jl.saving.load_model(path, custom_objects={f"{__name__}.Block": Block})
    assert_close(loaded.predict(X, verbose=0), model.predict(X, verbose=0), tol=1e-5)


def test_nnx_module():
    class Net(nnx.Module):
        def __init__(self, rngs):
            self.lin = nnx.Linear(3, 4, rngs=rngs)
            self.bn = nnx.BatchNorm(4, rngs=rngs)
            self.drop = nnx.Dropout(0.5, rngs=rngs)
            self.out = nnx.Linear(4, 2, rngs=rngs)

        def __call__(self, x):
            return self.out(self.drop(self.bn(self.lin(x))))

    net = Net(nnx.Rngs(0))
    layer = FlaxLayer(net, name="nx")
    assert sorted(layer.params["nx"]) == ["bn_bias", "bn_scale", "lin_bias", "lin_kernel",
                                          "out_bias", "out_kernel"]
    assert sorted(layer.state["nx"]) == ["bn_mean", "bn_var"]
    net.eval()
    assert_close(layer(X), net(X), tol=1e-5)
    params, state = layer.params, layer.state
    step = jax.jit(lambda p, s, k: layer.apply(p, s, X, training=True, key=k))
    y1, s1 = step(params, state, jax.random.key(0))
    y2, _ = step(params, state, jax.random.key(0))
    assert_close(y1, y2, tol=1e-5)
    assert not np.allclose(s1["nx"]["bn_mean"], state["nx"]["bn_mean"])

    model = jl.Sequential([jl.layers.Input((3,)), layer])
    model.compile(optimizer="sgd", loss="mse")
    before = layer.get_weights()[0].copy()
    model.fit(X, np.ones((5, 2), np.float32), epochs=1, batch_size=5, verbose=0)
    assert not np.allclose(before, layer.get_weights()[0])
    config = layer.get_config()
    assert config["module"]["config"] is None
    with pytest.raises(errors.SerializationError, match="must be passed again"):
        FlaxLayer.from_config(config)
    clone = FlaxLayer.from_config(config, module=Net(nnx.Rngs(1)))
    assert [w.shape for w in clone.weights] == [w.shape for w in layer.weights]


def test_bad_modules(monkeypatch):
    with pytest.raises(errors.ConfigTypeError, match="must be a flax.linen.Module or a flax.nnx"):
        FlaxLayer(lambda x: x)
    with pytest.raises(errors.ConfigError, match="the module has no method 'decode'"):
        FlaxLayer(Block(), method="decode")
    monkeypatch.setitem(sys.modules, "flax", None)
    with pytest.raises(ImportError, match="FlaxLayer needs flax: pip install flax"):
        FlaxLayer(Block())


def test_keras_oracle_same_outputs():
    keras = pytest.importorskip("keras")
    variables = Block().init({"params": jax.random.key(0), "dropout": jax.random.key(1)}, X)
    ours = FlaxLayer(Block(), variables=variables)
    theirs = keras.layers.FlaxLayer(Block(), variables=variables)
    assert_close(ours(X), np.asarray(theirs(X)), tol=1e-5)
    assert sorted(w.shape for w in ours.get_weights()) == sorted(
        w.shape for w in theirs.get_weights())
    # Keras's own get_config cannot serialize an unregistered module; its keys are these.
    keras_keys = {"name", "trainable", "dtype", "module", "method",
                  "native_serialization_platforms"}
    assert keras_keys <= set(ours.get_config())


def test_nnx_module_save_load_with_the_module_resupplied(tmp_path):
    class Small(nnx.Module):
        def __init__(self, rngs):
            self.lin = nnx.Linear(3, 2, rngs=rngs)
            self.bn = nnx.BatchNorm(2, rngs=rngs)

        def __call__(self, x):
            return self.bn(self.lin(x))

    model = jl.Sequential([jl.layers.Input((3,)), FlaxLayer(Small(nnx.Rngs(0)), name="nx")])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(X, np.ones((5, 2), np.float32), epochs=1, batch_size=5, verbose=0)
    model.save(tmp_path / "nnx.keras")
    with pytest.raises(errors.SerializationError, match="must be passed again at load"):
        jl.saving.load_model(tmp_path / "nnx.keras")
    loaded = jl.saving.load_model(tmp_path / "nnx.keras",
                                  custom_objects={"nx": Small(nnx.Rngs(7))})
    for got, want in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(got, want)
    assert_close(loaded.predict(X, verbose=0), model.predict(X, verbose=0), tol=1e-5)


def test_flax_module_returning_a_non_array_is_a_clear_error():
    class Text(nn.Module):
        @nn.compact
        def __call__(self, inputs):
            nn.Dense(2)(inputs)
            return "text"

    with pytest.raises(errors.ConfigTypeError, match="must return a JAX array or a pytree"):
        FlaxLayer(Text(), name="txt")(X)
