"""ReversibleEmbedding against Keras 3, the Wrapper base, and ``jl.layers.serialize``."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers import errors, layers
from tests.helpers import assert_close, set_same_random_weights

_IDS = np.array([[1, 0, 7], [3, 9, 0]], np.int32)


@pytest.mark.parametrize("config", [
    dict(input_dim=10, output_dim=4),
    dict(input_dim=10, output_dim=4, tie_weights=False, mask_zero=True),
    dict(input_dim=10, output_dim=4, logit_soft_cap=0.5),
    dict(input_dim=10, output_dim=4, tie_weights=False, reverse_dtype="float32",
         logit_soft_cap=3.0),
])
def test_matches_keras_on_the_same_weights(keras, rng, config):
    ours, theirs = layers.ReversibleEmbedding(**config), \
        keras.layers.ReversibleEmbedding(**config)
    ours(_IDS)
    theirs(_IDS)
    set_same_random_weights(ours, theirs, rng)
    assert_close(ours(_IDS), np.asarray(theirs(_IDS)))
    hidden = rng.standard_normal((2, 3, 4)).astype(np.float32)
    assert_close(ours(hidden, reverse=True), np.asarray(theirs(hidden, reverse=True)))
    assert ours.compute_output_shape((2, 3)) == tuple(theirs.compute_output_shape((2, 3)))
    # jaxlayers has no quantization: Keras's quantization_config is the only extra key.
    skip = ("name", "dtype", "quantization_config")
    config_ours = {k: v for k, v in ours.get_config().items() if k not in skip}
    config_theirs = {k: v for k, v in theirs.get_config().items() if k not in skip}
    config_ours["embeddings_initializer"] = config_ours["embeddings_initializer"]["class_name"]
    config_theirs["embeddings_initializer"] = \
        config_theirs["embeddings_initializer"]["class_name"]
    assert config_ours == config_theirs


def test_forward_mask_and_no_mask_on_logits():
    layer = layers.ReversibleEmbedding(10, 4, mask_zero=True)
    vectors, mask = layer.call_with_mask(_IDS)
    assert mask.tolist() == (_IDS != 0).tolist()
    logits, logits_mask = layer.call_with_mask(vectors, reverse=True)
    assert logits.shape == (2, 3, 10) and logits_mask is None


def test_tied_logits_are_the_transposed_embeddings_and_soft_cap_bounds_them(rng):
    layer = layers.ReversibleEmbedding(10, 3, logit_soft_cap=1.5, name="re")
    params, state = layer.init(jax.random.key(0), _IDS)
    table = rng.standard_normal((10, 3)).astype(np.float32) * 10
    params = {"re": {"embeddings": jnp.asarray(table)}}
    hidden = rng.standard_normal((4, 3)).astype(np.float32)
    logits, _ = layer.apply(params, state, hidden, reverse=True)
    assert_close(logits, 1.5 * np.tanh(hidden @ table.T / 1.5), tol=1e-5)
    assert float(jnp.max(jnp.abs(logits))) <= 1.5
    # Gradients reach the one shared table from both directions.
    grads = jax.grad(lambda p: jnp.sum(layer.apply(p, state, layer.apply(
        p, state, _IDS)[0], reverse=True)[0]))(params)
    assert float(jnp.abs(grads["re"]["embeddings"]).sum()) > 0


def test_a_language_model_using_both_directions_saves_and_loads(tmp_path):
    embed = layers.ReversibleEmbedding(12, 4, tie_weights=False, logit_soft_cap=5.0)
    tokens = jl.Input((3,), dtype="int32")
    logits = embed(layers.Dense(4)(embed(tokens)), reverse=True)
    model = jl.Model(tokens, logits)
    expected = model(_IDS)
    assert expected.shape == (2, 3, 12)
    model.save(tmp_path / "lm.keras")
    restored = jl.saving.load_model(tmp_path / "lm.keras")
    assert_close(restored(_IDS), expected, tol=1e-6)


def test_bad_arguments():
    with pytest.raises(errors.ConfigError, match=r"`logit_soft_cap` must be a finite positive "
                                                 r"float. Received: logit_soft_cap=0"):
        layers.ReversibleEmbedding(5, 2, logit_soft_cap=0)
    with pytest.raises(errors.ConfigTypeError, match=r"`tie_weights` must be a bool"):
        layers.ReversibleEmbedding(5, 2, tie_weights="no")
    with pytest.raises(errors.ConfigError, match=r"standardize_dtype: unknown dtype"):
        layers.ReversibleEmbedding(5, 2, reverse_dtype="float31")


def test_reverse_inputs_of_the_wrong_width_are_refused_by_name():
    # Before: dot_general's TypeError about contracting dimensions, from inside JAX.
    layer = layers.ReversibleEmbedding(10, 4, name="rev")
    params, state = layer.init(jax.random.key(0), np.array([[1, 2]]))
    message = (r"ReversibleEmbedding 'rev': reverse inputs must have `output_dim` = 4 "
               r"features on the last axis. Received: inputs.shape=\(2, 5\)")
    with pytest.raises(errors.ShapeError, match=message):
        layer.apply(params, state, np.ones((2, 5), np.float32), reverse=True)
    untied = layers.ReversibleEmbedding(10, 4, tie_weights=False, name="rev")
    untied(np.array([[1, 2]]))
    with pytest.raises(errors.ShapeError, match=message):
        untied(np.ones((2, 5), np.float32), reverse=True)


# --------------------------------------------------------------------------- Wrapper
def test_wrappers_derive_from_wrapper_and_share_its_config(keras):
    assert issubclass(layers.TimeDistributed, layers.Wrapper)
    assert issubclass(layers.SpectralNormalization, layers.Wrapper)
    assert not issubclass(layers.Bidirectional, layers.Wrapper)  # as in Keras
    for ours, theirs in ((layers.TimeDistributed, keras.layers.TimeDistributed),
                         (layers.SpectralNormalization, keras.layers.SpectralNormalization),
                         (layers.Bidirectional, keras.layers.Bidirectional)):
        assert issubclass(ours, layers.Wrapper) == issubclass(theirs, keras.layers.Wrapper)
    wrapped = layers.TimeDistributed(layers.Dense(3, name="inner"))
    config = wrapped.get_config()
    assert config["layer"]["class_name"] == "Dense"
    clone = layers.TimeDistributed.from_config(config)
    assert clone.layer.name == "inner" and clone.get_config() == config


def test_a_user_wrapper_builds_calls_and_round_trips(rng):
    @jl.saving.register_serializable(package="tests")
    class Residual(layers.Wrapper):
        def call(self, x):
            return x + self.layer(x)

    layer = Residual(layers.Dense(4, name="d"), name="res")
    x = rng.standard_normal((2, 4)).astype(np.float32)
    params, state = layer.init(jax.random.key(0), x)
    assert jax.tree.map(jnp.shape, params) == {"res": {"d": {"bias": (4,), "kernel": (4, 4)}}}
    out, _ = layer.apply(params, state, x)
    inner = params["res"]["d"]
    assert_close(out, x + x @ inner["kernel"] + inner["bias"], tol=1e-5)
    clone = layers.deserialize(layers.serialize(layer))
    assert type(clone) is Residual and type(clone.layer) is layers.Dense
    with pytest.raises(errors.ConfigTypeError, match=r"Residual '.+': `layer` must be a "
                                                     r"Layer instance, e.g. Residual\("):
        Residual("dense")


# --------------------------------------------------------------------------- serialize
def test_serialize_round_trips_and_reads_keras_configs(keras):
    layer = layers.Conv1D(3, 2, activation="relu", name="c")
    config = layers.serialize(layer)
    assert config["class_name"] == "Conv1D"
    clone = layers.deserialize(config)
    assert clone.get_config() == layer.get_config()
    from_keras = layers.deserialize(keras.layers.serialize(keras.layers.Dropout(0.25)))
    assert type(from_keras) is layers.Dropout and from_keras.rate == 0.25
    nested = layers.deserialize(keras.layers.serialize(
        keras.layers.TimeDistributed(keras.layers.Flatten())))
    assert type(nested) is layers.TimeDistributed and type(nested.layer) is layers.Flatten


def test_deserialize_uses_custom_objects_and_never_imports():
    class Scale(layers.Layer):
        def call(self, x):
            return 2 * x

    config = layers.serialize(Scale(name="s"))
    assert type(layers.deserialize(config, custom_objects={"Scale": Scale})) is Scale
    with pytest.raises(errors.SerializationError, match=r"Unknown layer class 'Scale'"):
        layers.deserialize(config)
