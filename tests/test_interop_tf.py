"""TFSMLayer: a TensorFlow SavedModel as a jaxlayers layer, checked against TensorFlow.

The error-path tests run without TensorFlow; the others skip unless it is installed.
"""

import os
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers import errors
from jaxlayers.core.serialization import SafeModeScope
from jaxlayers.layers.interop import TFSMLayer

X = np.linspace(-1.0, 1.0, 12, dtype=np.float32).reshape(4, 3)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """``(tf, module, path)``: a SavedModel with a ``serve`` function, signatures and a
    training endpoint, written by TensorFlow itself."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    tf = pytest.importorskip("tensorflow")

    class Net(tf.Module):
        def __init__(self):
            super().__init__()
            rng = np.random.default_rng(0)
            self.kernel = tf.Variable(rng.standard_normal((3, 2)).astype("float32"),
                                      name="dense/kernel")
            self.bias = tf.Variable(np.full(2, 0.1, "float32"), name="dense/bias")
            self.scale = tf.Variable(np.full(2, 2.0, "float32"), trainable=False,
                                     name="scale")

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
        def serve(self, x):
            return tf.tanh(tf.matmul(x, self.kernel) + self.bias) * self.scale

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
        def train_fn(self, x):
            return tf.tanh(tf.matmul(x, self.kernel) + self.bias)

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="a"),
                                      tf.TensorSpec([None, 2], tf.float32, name="b")])
        def pair(self, a, b):
            return {"out": tf.matmul(a, self.kernel) + b}

    net = Net()
    path = str(tmp_path_factory.mktemp("tfsm") / "net")
    tf.saved_model.save(net, path, signatures={"serving_default": net.serve,
                                               "pair": net.pair})
    return tf, net, path


def test_missing_path_is_a_clear_error():
    with pytest.raises(errors.ConfigError, match="no SavedModel directory at '/no/such/dir'"):
        TFSMLayer("/no/such/dir")
    with pytest.raises(errors.ConfigTypeError, match="`filepath` must be a path"):
        TFSMLayer(3)


def test_missing_tensorflow_gives_install_hint(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow", None)
    with pytest.raises(ImportError, match="TFSMLayer needs tensorflow: pip install tensorflow-cpu"):
        TFSMLayer(str(tmp_path))


def test_a_folder_without_a_savedmodel_is_a_clear_error(tmp_path):
    pytest.importorskip("tensorflow")
    with pytest.raises(errors.ConfigError, match="is not a readable TensorFlow SavedModel"):
        TFSMLayer(str(tmp_path))  # an empty folder
    (tmp_path / "saved_model.pb").write_bytes(b"not a protobuf")
    with pytest.raises(errors.ConfigError, match="is not a readable TensorFlow SavedModel"):
        TFSMLayer(str(tmp_path))


def test_outputs_gradients_and_weights_match_tensorflow(saved):
    tf, net, path = saved
    layer = TFSMLayer(path, name="tfsm")
    assert jax.tree_util.tree_map(jnp.shape, layer.params) == {
        "tfsm": {"dense_bias": (2,), "dense_kernel": (3, 2)}}
    assert jax.tree_util.tree_map(jnp.shape, layer.state) == {"tfsm": {"scale": (2,)}}
    np.testing.assert_allclose(layer(X), net.serve(X).numpy(), rtol=1e-6)

    params, state = layer.params, layer.state

    def loss(p, x):
        return jnp.sum(layer.apply(p, state, x)[0] ** 2)

    gp, gx = jax.jit(jax.grad(loss, argnums=(0, 1)))(params, jnp.asarray(X))
    xt = tf.constant(X)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        value = tf.reduce_sum(net.serve(xt) ** 2)
    gk, gb, gxt = tape.gradient(value, [net.kernel, net.bias, xt])
    np.testing.assert_allclose(gp["tfsm"]["dense_kernel"], gk.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gp["tfsm"]["dense_bias"], gb.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gx, gxt.numpy(), rtol=1e-5, atol=1e-6)


def test_endpoints(saved):
    tf, net, path = saved
    by_signature = TFSMLayer(path, call_endpoint="serving_default")
    out = by_signature(X)
    assert list(out) == ["output_0"]
    np.testing.assert_allclose(out["output_0"], net.serve(X).numpy(), rtol=1e-6)
    pair = TFSMLayer(path, call_endpoint="pair")
    b = np.ones((4, 2), np.float32)
    np.testing.assert_allclose(pair({"a": X, "b": b})["out"], net.pair(X, b)["out"].numpy(),
                               rtol=1e-6)
    train = TFSMLayer(path, call_training_endpoint="train_fn")
    np.testing.assert_allclose(train(X, training=True), net.train_fn(X).numpy(), rtol=1e-6)
    np.testing.assert_allclose(train(X), net.serve(X).numpy(), rtol=1e-6)
    with pytest.raises(errors.ConfigError, match="the endpoint 'nope' is neither"):
        TFSMLayer(path, call_endpoint="nope")


def test_fit_trains_the_savedmodel_variables(saved):
    _, _, path = saved
    layer = TFSMLayer(path)
    model = jl.Sequential([jl.layers.Input((3,)), layer])
    model.compile(optimizer="adam", loss="mse")
    before = [w.copy() for w in layer.get_weights()]
    model.fit(X, np.ones((4, 2), np.float32), epochs=2, batch_size=4, verbose=0)
    after = layer.get_weights()
    assert not np.allclose(before[0], after[0]) and not np.allclose(before[1], after[1])
    np.testing.assert_array_equal(before[2], after[2])  # non-trainable `scale`
    frozen = TFSMLayer(path, trainable=False)
    assert frozen.trainable_weights == [] and len(frozen.non_trainable_weights) == 3


def test_config_round_trip_needs_the_path_resupplied(saved, tmp_path):
    _, _, path = saved
    layer = TFSMLayer(path, call_endpoint="serving_default", name="tfsm")
    config = layer.get_config()
    assert config["filepath"] == path
    assert config["call_endpoint"] == "serving_default"
    with pytest.raises(errors.UnsafeLoadError, match="run the TensorFlow graph"):
        TFSMLayer.from_config(config)
    clone = TFSMLayer.from_config(config, filepath=path)
    assert clone.get_config() == config
    with SafeModeScope(False):
        clone = TFSMLayer.from_config(config)
    np.testing.assert_allclose(clone(X)["output_0"], layer(X)["output_0"])

    model = jl.Sequential([jl.layers.Input((3,)), TFSMLayer(path)])
    model_path = str(tmp_path / "tfsm.keras")
    model.save(model_path)
    with pytest.raises(errors.SerializationError, match="run the TensorFlow graph"):
        jl.saving.load_model(model_path)
    loaded = jl.saving.load_model(model_path, safe_mode=False)
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


def test_trained_weights_are_saved_and_restored_around_the_resupplied_savedmodel(saved, tmp_path):
    """The SavedModel on disk keeps its old values; the .keras file holds the trained ones."""
    tf, net, path = saved
    model = jl.Sequential([jl.layers.Input((3,)), TFSMLayer(path, name="tfsm")])
    model.compile(optimizer="adam", loss="mse")
    model.fit(X, np.ones((4, 2), np.float32), epochs=2, batch_size=4, verbose=0)
    trained = model.get_weights()
    assert not np.allclose(trained[0], TFSMLayer(path).get_weights()[0])
    model.save(tmp_path / "trained.keras")
    loaded = jl.saving.load_model(tmp_path / "trained.keras", safe_mode=False)
    for got, want in zip(loaded.get_weights(), trained):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0),
                               rtol=1e-6)
