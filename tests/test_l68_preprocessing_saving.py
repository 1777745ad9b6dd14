"""Adapted preprocessing layers survive model.save / load_model and JSON configs;
every image layer rejects tensors of the wrong rank."""

import json
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
import jaxlayers.saving  # noqa: F401  (jl.saving)
from jaxlayers import errors

L = jl.layers


def test_adapted_statistics_and_vocabularies_survive_save_and_load(tmp_path, rng):
    values = (rng.standard_normal((64, 3)) * 2 + 1).astype("float32")
    ids = rng.integers(0, 20, (64, 4)).astype("int32")
    norm = L.Normalization(name="norm")
    norm.adapt(iter([values[:32], values[32:]]))
    disc = L.Discretization(num_bins=4, name="disc")
    disc.adapt(values)
    lookup = L.IntegerLookup(max_tokens=12, name="lookup")
    lookup.adapt(ids)

    num, tok = jl.Input((3,)), jl.Input((4,), dtype="int32")
    h1 = L.SpectralNormalization(L.Dense(2), name="sn")(norm(num))
    h2 = L.CategoryEncoding(num_tokens=4, output_mode="count")(disc(num))
    h3 = L.GlobalAveragePooling1D()(L.Embedding(12, 2)(lookup(tok)))
    model = jl.Model([num, tok], L.Concatenate()([h1, h2, h3]))
    # Training moves the spectral normalization's power-iteration state.
    model.compile(optimizer="sgd", loss="mse")
    model.fit([values, ids], np.zeros((64, 8), "float32"), epochs=1, batch_size=32, verbose=0)
    path = tmp_path / "prep.keras"
    model.save(path)
    loaded = jl.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict([values, ids], verbose=0),
                               model.predict([values, ids], verbose=0), rtol=1e-5, atol=1e-6)
    got = {layer.name: layer for layer in loaded.layers}
    # Keras's layer.mean / layer.variance: the statistics in the broadcast shape.
    np.testing.assert_allclose(got["norm"].mean, values.mean(0, keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(got["norm"].variance, values.var(0, keepdims=True), rtol=1e-5)
    assert got["disc"].bin_boundaries == disc.bin_boundaries
    assert got["lookup"].get_vocabulary() == lookup.get_vocabulary()
    assert jax.tree_util.tree_structure(loaded.state) == jax.tree_util.tree_structure(
        model.state)
    for a, b in zip(jax.tree_util.tree_leaves(loaded.state),
                    jax.tree_util.tree_leaves(model.state)):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_adapted_string_layers_round_trip_through_json():
    texts = np.array(["The cat sat.", "a dog, a cat!", "the dog ran far"])
    for layer in (L.TextVectorization(max_tokens=9, output_mode="tf_idf", ngrams=2),
                  L.TextVectorization(output_sequence_length=5, split="character"),
                  L.StringLookup(output_mode="tf_idf", mask_token="")):
        layer.adapt(texts)
        config = json.loads(json.dumps(jl.saving.serialize_keras_object(layer)))
        clone = jl.saving.deserialize_keras_object(config)
        assert clone.get_vocabulary() == layer.get_vocabulary()
        np.testing.assert_allclose(clone(texts), layer(texts), rtol=1e-6)
    hashed = L.Hashing(num_bins=7, salt=[3, 4], mask_value="")
    config = json.loads(json.dumps(jl.saving.serialize_keras_object(hashed)))
    words = np.array(["cat", "", "dog"])
    assert jl.saving.deserialize_keras_object(config)(words).tolist() == hashed(words).tolist()


IMAGE_LAYERS = [
    lambda: L.Resizing(2, 2), lambda: L.CenterCrop(2, 2), lambda: L.RandomCrop(2, 2),
    L.RandomFlip, lambda: L.RandomTranslation(0.1, 0.1), lambda: L.RandomRotation(0.1),
    lambda: L.RandomZoom(0.1), lambda: L.RandomContrast(0.1), lambda: L.RandomBrightness(0.1),
]


@pytest.mark.parametrize("make", IMAGE_LAYERS)
@pytest.mark.parametrize("shape", [(4, 4), (1, 2, 4, 4, 3)])
def test_image_layers_reject_the_wrong_rank(make, shape):
    layer = make()
    name = type(layer).__name__
    pattern = (f"{name} '{layer.name}' expects images of rank 3 .* or rank 4 .*"
               f"Received input shape {tuple(shape)}".replace("(", "\\(").replace(")", "\\)"))
    with pytest.raises(errors.ShapeError, match=pattern):
        layer.apply({}, {}, jnp.ones(shape), training=True, key=jax.random.key(0))


def test_more_fixed_draws_and_statistics_match_keras():
    keras = pytest.importorskip("keras")
    x = np.random.default_rng(5).random((2, 7, 6, 3)).astype("float32")
    cases = [
        ("RandomTranslation", dict(height_factor=(0.2, 0.2), width_factor=(-0.3, -0.3),
                                   fill_mode="reflect")),
        ("RandomTranslation", dict(height_factor=(-0.4, -0.4), width_factor=(0.1, 0.1),
                                   fill_mode="constant", interpolation="nearest",
                                   fill_value=0.25)),
        ("RandomBrightness", dict(factor=(0.3, 0.3), value_range=(0, 1))),
        ("RandomRotation", dict(factor=(-0.2, -0.2), fill_mode="wrap")),
        ("RandomZoom", dict(height_factor=(-0.3, -0.3), fill_mode="reflect")),
    ]
    for name, kwargs in cases:
        expected = getattr(keras.layers, name)(**kwargs)(x, training=True)
        layer = getattr(L, name)(**kwargs)
        got = layer.apply({}, {}, x, training=True, key=jax.random.key(0))[0]
        np.testing.assert_allclose(got, expected, atol=1e-5, err_msg=f"{name} {kwargs}")
    np.testing.assert_allclose(L.Resizing(4, 9, interpolation="lanczos5")(x),
                               keras.layers.Resizing(4, 9, interpolation="lanczos5")(x),
                               atol=1e-5)
    # Normalization exposes its statistics as Keras does (broadcast shape).
    for kwargs in (dict(), dict(axis=None), dict(mean=[1.0, 2.0, 3.0], variance=[1, 2, 3])):
        ref, ours = keras.layers.Normalization(**kwargs), L.Normalization(**kwargs)
        if "mean" not in kwargs:
            ref.adapt(x)
            ours.adapt(x)
        else:
            ref.build(x.shape)
            ours.build(x.shape)
        np.testing.assert_allclose(ours.mean, ref.mean, rtol=1e-5)
        np.testing.assert_allclose(ours.variance, ref.variance, rtol=1e-5)


def test_string_hash_is_kerass_in_every_process():
    # Python's own hash() is salted per process; the layers' hashes must not be.
    code = ("import numpy as np, jaxlayers as jl; x = np.array(['A', 'B', 'C', 'D', 'E']); "
            "print(jl.layers.Hashing(num_bins=3)(x).tolist(), "
            "jl.layers.Hashing(num_bins=3, salt=[133, 137])(x).tolist())")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env={**os.environ, "PYTHONHASHSEED": seed},
                           check=True).stdout.strip() for seed in ("1", "2")}
    assert outs == {"[1, 0, 1, 1, 2] [1, 2, 1, 0, 2]"}  # the bins in Keras's docstring
