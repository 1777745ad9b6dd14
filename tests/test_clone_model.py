"""clone_model, Model.to_json and model_from_json, compared with Keras where it has numbers."""

import json

import numpy as np
import pytest

import jaxlayers as jl


def _no_relu(module):
    """A clone_function (for either library) turning every relu into a linear activation."""
    def clone(layer):
        config = layer.get_config()
        if config.get("activation") == "relu":
            config["activation"] = "linear"
        return type(layer).from_config(config)
    return clone


def _arrays(model):
    return [np.asarray(w) for w in model.get_weights()]


def test_sequential_clone_has_the_config_and_new_weights():
    model = jl.Sequential([jl.Input((3,), name="x"), jl.layers.Dense(4, activation="relu"),
                           jl.layers.Dense(2)], name="seq")
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    clone = jl.models.clone_model(model)
    assert clone.get_config() == model.get_config()
    assert clone.compiled and clone.get_compile_config() == model.get_compile_config()
    assert all(a is not b for a, b in zip(clone.layers, model.layers))
    assert not any(np.array_equal(a, b) for a, b in zip(_arrays(clone)[::2], _arrays(model)[::2]))
    clone.set_weights(model.get_weights())
    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(np.asarray(clone(x)), np.asarray(model(x)))


def test_clone_function_and_call_function_match_keras(keras):
    def build(lib):
        inputs = lib.Input((3,), name="x")
        shared = lib.layers.Dense(3, activation="relu", name="shared")
        hidden = shared(shared(inputs)) + inputs
        return lib.Model(inputs, lib.layers.Dense(2, activation="relu", name="out")(hidden))

    def add_tanh(lib):
        def call(layer, *args, **kwargs):
            out = layer(*args, **kwargs)
            return lib.layers.Activation("tanh")(out) if layer.name == "out" else out
        return call

    ours, theirs = build(jl), build(keras)
    theirs.set_weights(ours.get_weights())
    our_clone = jl.models.clone_model(ours, clone_function=_no_relu(jl),
                                      call_function=add_tanh(jl))
    their_clone = keras.models.clone_model(theirs, clone_function=_no_relu(keras),
                                           call_function=add_tanh(keras))
    assert [type(layer).__name__ for layer in our_clone.layers] == \
        [type(layer).__name__ for layer in their_clone.layers]
    assert our_clone.get_layer("shared").get_config()["activation"] == "linear"
    # The shared layer stays one layer with one set of weights in the clone.
    assert len(our_clone.weights) == len(their_clone.weights) == 4
    our_clone.set_weights(ours.get_weights())
    their_clone.set_weights(ours.get_weights())
    x = np.linspace(-2, 2, 12, dtype=np.float32).reshape(4, 3)
    np.testing.assert_allclose(np.asarray(our_clone(x)), np.asarray(their_clone(x)),
                               rtol=1e-5, atol=1e-6)
    assert not np.allclose(np.asarray(our_clone(x)), np.asarray(ours(x)))


def test_input_tensors_and_recursive_nested_models():
    inner = jl.Sequential([jl.Input((3,)), jl.layers.Dense(3, name="inner_dense")], name="inner")
    a = jl.Input((3,), name="a")
    model = jl.Model(a, jl.layers.Dense(1, name="head")(inner(a)))
    seen = []

    def record(layer):
        seen.append(layer.name)
        return type(layer).from_config(layer.get_config())

    new_input = jl.Input((3,), name="renamed")
    flat = jl.models.clone_model(model, input_tensors=new_input, clone_function=record)
    assert flat.inputs[0] is new_input
    assert seen == ["inner", "head"]
    seen.clear()
    deep = jl.models.clone_model(model, clone_function=record, recursive=True)
    assert seen == ["inner_dense", "head"]
    assert deep.get_config() == model.get_config()


def test_clone_errors():
    seq = jl.Sequential([jl.Input((2,)), jl.layers.Dense(1)])
    with pytest.raises(ValueError, match=r"`call_function` works with Functional models only"):
        jl.models.clone_model(seq, call_function=lambda layer, x: layer(x))
    with pytest.raises(ValueError, match=r"unexpected keyword argument\(s\) \['colne'\]"):
        jl.models.clone_model(seq, colne=True)
    with pytest.raises(TypeError, match=r"`clone_function` must be a callable"):
        jl.models.clone_model(seq, clone_function=3)
    a = jl.Input((2,), name="a")
    functional = jl.Model(a, jl.layers.Dense(1)(a))
    with pytest.raises(ValueError, match=r"`input_tensors` must have the structure"):
        jl.models.clone_model(functional, input_tensors=[jl.Input((2,)), jl.Input((2,))])


def test_to_json_round_trip_and_keras_schema(keras):
    model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2, activation="relu")])
    model.compile(optimizer="sgd", loss="mse")
    text = model.to_json(indent=1)
    twin = jl.models.model_from_json(text)
    assert twin.get_config() == model.get_config() and twin.compiled
    assert twin.get_compile_config() == model.get_compile_config()
    reference = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    reference.compile(optimizer="sgd", loss="mse")
    assert set(json.loads(text)) == set(json.loads(reference.to_json()))
    with pytest.raises(ValueError, match=r"model_from_json: `json_string` must be the JSON"):
        jl.models.model_from_json("{not json")
    with pytest.raises(ValueError, match=r"does not describe a model"):
        jl.models.model_from_json("[1, 2]")


def test_model_from_json_reads_the_json_keras_writes(keras):
    inputs = keras.Input((3,))
    hidden = keras.layers.Dense(4, activation="relu", name="hidden")(inputs)
    theirs = keras.Model(inputs, keras.layers.Dense(2, name="out")(hidden))
    ours = jl.models.model_from_json(theirs.to_json())
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    ours.set_weights(theirs.get_weights())
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(ours(x), theirs(x), rtol=1e-6)


def test_clone_model_names_a_non_model_argument():
    with pytest.raises(TypeError, match=r"clone_model: `model` must be a jaxlayers Model .*"
                                        r"Received: int"):
        jl.models.clone_model(3)
    with pytest.raises(TypeError, match=r"Received: Dense"):
        jl.models.clone_model(jl.layers.Dense(2))
