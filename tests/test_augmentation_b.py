"""Tone and mixing augmentation layers against Keras 3, and their key semantics.

Numerics: Keras draws a transformation (its ``get_random_transformation``),
both layers apply that same dict, and the outputs must agree; where a
factor range collapses to one value, whole training calls are compared.
Keys: the same key gives the same output, other keys other outputs, and
inference behaves as Keras's ``training=False``.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers import errors
from jaxlayers.ops import _tone_mix as aug

L = jl.layers


@pytest.fixture(scope="module")
def images():
    return (np.random.default_rng(0).random((4, 6, 5, 3)) * 255).astype("float32")


def _as_numpy(tree):
    return jax.tree.map(np.asarray, tree)


def _keras_draw(layer, keras, x):
    """Keras's own transformation for ``x``, as NumPy arrays."""
    t = layer.get_random_transformation(x, training=True, seed=keras.random.SeedGenerator(7))
    return _as_numpy(t)


def _channels_first(x):
    return np.ascontiguousarray(np.transpose(x, (0, 3, 1, 2)))


# (layer name, constructor arguments, input scale, channels_first)
DRAWN = [
    ("RandomGrayscale", dict(factor=0.5), 1.0, False),
    ("RandomGrayscale", dict(factor=0.5, data_format="channels_first"), 1.0, True),
    ("RandomInvert", dict(), 1.0, False),
    ("Solarization", dict(addition_factor=0.3, threshold_factor=0.5), 1.0, False),
    ("Solarization", dict(addition_factor=0.2, threshold_factor=0.7, value_range=(0, 1)),
     1 / 255, False),
    ("RandomPosterization", dict(factor=6), 1.0, False),
    ("RandomPosterization", dict(factor=(3, 3), value_range=(0, 1)), 1 / 255, False),
    ("CutMix", dict(), 1.0, False),
    ("CutMix", dict(factor=0.4, data_format="channels_first"), 1.0, True),
    ("MixUp", dict(alpha=0.3), 1.0, False),
    ("RandomErasing", dict(), 1.0, False),
    ("RandomErasing", dict(factor=(1, 1), scale=(0.1, 0.5), fill_value=30.0,
                           data_format="channels_first"), 1.0, True),
]


@pytest.mark.parametrize("name, kwargs, scale, first", DRAWN,
                         ids=[f"{d[0]}-{i}" for i, d in enumerate(DRAWN)])
def test_keras_transformations_give_keras_outputs(name, kwargs, scale, first, images, keras):
    x = images * scale
    x = _channels_first(x) if first else x
    theirs, mine = getattr(keras.layers, name)(**kwargs), getattr(L, name)(**kwargs)
    t = _keras_draw(theirs, keras, x)
    expected = theirs.transform_images(jnp.asarray(x), t, training=True)
    got = jax.jit(lambda v, t: mine.transform_images(v, t, training=True))(x, t)
    np.testing.assert_allclose(got, expected, atol=1e-4 * max(scale, 1e-2) * 255)
    assert not np.allclose(got, x) or name == "RandomGrayscale"
    if name in ("CutMix", "MixUp"):
        labels = np.eye(4, dtype="float32")[[2, 0, 3, 1]]
        np.testing.assert_allclose(mine.transform_labels(jnp.asarray(labels), t),
                                   theirs.transform_labels(labels, t), atol=1e-6)


@pytest.mark.parametrize("value_range, bins", [((0, 255), 256), ((0, 1), 16), ((-1, 1), 64)])
def test_autocontrast_and_equalization_match_keras(value_range, bins, images, keras):
    low, high = value_range
    x = images / 255 * 0.6 * (high - low) + low + 0.1 * (high - low)
    x[1, ..., 2] = low + 0.5  # a constant channel is left as it is
    np.testing.assert_allclose(
        L.AutoContrast(value_range=value_range)(x),
        keras.layers.AutoContrast(value_range=value_range)(x), atol=1e-5 * (high - low))
    # Keras pools one histogram over the batch; each image here has its own, so
    # they agree image by image.
    mine = L.Equalization(value_range=value_range, bins=bins)
    got = jax.jit(lambda v: mine.apply({}, {}, v, training=True)[0])(x)
    for i in range(len(x)):
        expected = keras.layers.Equalization(value_range=value_range, bins=bins)(x[i:i + 1])
        np.testing.assert_allclose(got[i:i + 1], expected, atol=1e-5 * (high - low))
    assert not np.allclose(got, x)


def test_collapsed_ranges_match_whole_keras_calls(images, keras):
    x = images
    cases = [
        ("RandomGrayscale", dict(factor=1.0)),
        ("RandomInvert", dict(factor=(1.0, 1.0))),
        ("Solarization", dict()),
        ("Solarization", dict(value_range=(0, 1))),
        ("RandomPosterization", dict(factor=(4, 4))),
        ("RandomErasing", dict(factor=(0.0, 0.0))),
    ]
    for name, kwargs in cases:
        v = x / 255 if kwargs.get("value_range") == (0, 1) else x
        expected = getattr(keras.layers, name)(**kwargs)(v, training=True)
        got = getattr(L, name)(**kwargs).apply({}, {}, v, training=True,
                                               key=jax.random.key(0))[0]
        np.testing.assert_allclose(got, expected, atol=1e-4, err_msg=f"{name} {kwargs}")


def test_dict_inputs_match_keras(images, keras):
    labels = np.eye(4, dtype="float32")
    masks = (images[..., :1] > 128).astype("float32")
    data = {"images": images, "labels": labels, "segmentation_masks": masks}
    # (Keras 3.15's RandomGrayscale takes no dict.)
    for name, kwargs in (("RandomInvert", dict(factor=(1.0, 1.0))),
                         ("RandomPosterization", dict(factor=(2, 2)))):
        expected = getattr(keras.layers, name)(**kwargs)(dict(data), training=True)
        got, _ = getattr(L, name)(**kwargs).apply({}, {}, data, training=True,
                                                  key=jax.random.key(0))
        assert sorted(got) == sorted(expected)
        for k in expected:
            np.testing.assert_allclose(got[k], expected[k], atol=1e-4, err_msg=f"{name} {k}")
    # One image (rank 3) with its label: as a batch of one.
    single = {"images": images[0], "labels": labels[0]}
    layer = L.MixUp()
    one, _ = layer.apply({}, {}, single, training=True, key=jax.random.key(1))
    assert one["images"].shape == images[0].shape and one["labels"].shape == (4,)
    np.testing.assert_allclose(one["images"], images[0], rtol=1e-6)  # mixed with itself
    # Bounding boxes: tone layers keep them; MixUp keeps those of both images it mixes.
    boxes = {"boxes": np.arange(32.0).reshape(4, 2, 4), "labels": np.arange(8.0).reshape(4, 2)}
    data = {"images": images, "bounding_boxes": boxes}
    kept, _ = L.Solarization(bounding_box_format="xyxy").apply({}, {}, data, training=True,
                                                               key=jax.random.key(0))
    np.testing.assert_array_equal(kept["bounding_boxes"]["boxes"], boxes["boxes"])
    mixer = L.MixUp(bounding_box_format="xyxy")
    t = mixer.get_random_transformation(jnp.asarray(images), seed=jax.random.key(0))
    both = mixer.transform_bounding_boxes({k: jnp.asarray(v) for k, v in boxes.items()}, t)
    order = np.asarray(t["permutation_order"])
    np.testing.assert_array_equal(both["labels"], np.concatenate(
        [boxes["labels"], boxes["labels"][order]], axis=1))
    assert both["boxes"].shape == (4, 4, 4)


def test_inference_matches_keras(images, keras):
    specs = [("RandomGrayscale", {}), ("RandomInvert", {}), ("Solarization", {}),
             ("RandomPosterization", dict(factor=3)), ("CutMix", {}), ("MixUp", {}),
             ("RandomErasing", {}), ("Equalization", {}), ("AutoContrast", {})]
    for name, kwargs in specs:
        expected = getattr(keras.layers, name)(**kwargs)(images, training=False)
        mine = getattr(L, name)(**kwargs)
        np.testing.assert_allclose(mine(images), expected, atol=1e-4, err_msg=name)
        np.testing.assert_allclose(mine.apply({}, {}, images)[0], expected, atol=1e-4)
    # AutoContrast is the only one of them that acts at inference.
    assert not np.allclose(L.AutoContrast()(images), images)


def test_max_num_bounding_boxes_matches_keras(images, keras):
    boxes = np.random.default_rng(1).random((4, 3, 4)).astype("float32") * 5
    box_labels = np.arange(12, dtype="float32").reshape(4, 3)
    for max_number in (2, 5):
        data = {"images": images, "bounding_boxes": {"boxes": boxes, "labels": box_labels}}
        theirs = keras.layers.MaxNumBoundingBoxes(max_number, bounding_box_format="xyxy")
        expected = theirs(data, training=False)
        layer = L.MaxNumBoundingBoxes(max_number, bounding_box_format="xyxy")
        got = jax.jit(lambda d, layer=layer: layer.apply({}, {}, d)[0])(data)
        np.testing.assert_array_equal(got["images"], expected["images"])
        for k in ("boxes", "labels"):
            np.testing.assert_array_equal(got["bounding_boxes"][k],
                                          expected["bounding_boxes"][k])
    single = {"images": images[0], "bounding_boxes": {"boxes": boxes[0], "labels": box_labels[0]}}
    got = L.MaxNumBoundingBoxes(4, fill_value=-7, bounding_box_format="xyxy")(single)
    assert got["bounding_boxes"]["labels"].tolist() == [0.0, 1.0, 2.0, -7.0]
    shape = L.MaxNumBoundingBoxes(4).compute_output_shape(
        {"images": (None, 6, 5, 3), "bounding_boxes": {"boxes": (None, 9, 4),
                                                       "labels": (None, 9)}})
    assert shape["bounding_boxes"] == {"boxes": (None, 4, 4), "labels": (None, 4)}


def test_pipeline_matches_keras_and_round_trips(images, keras, tmp_path):
    x = images / 255
    theirs = keras.layers.Pipeline([keras.layers.AutoContrast(value_range=(0, 1)),
                                    keras.layers.Solarization(value_range=(0, 1)),
                                    keras.layers.Rescaling(2.0)])
    pipeline = L.Pipeline([L.AutoContrast(value_range=(0, 1)),
                           L.Solarization(value_range=(0, 1)), L.Rescaling(2.0)])
    np.testing.assert_allclose(
        pipeline.apply({}, {}, x, training=True, key=jax.random.key(0))[0],
        theirs(x, training=True), atol=1e-5)
    np.testing.assert_allclose(pipeline(x), theirs(x, training=False), atol=1e-5)
    clone = L.Pipeline.from_config(pipeline.get_config())
    assert [type(la).__name__ for la in clone.layers] == \
        ["AutoContrast", "Solarization", "Rescaling"]
    # pipeline's second call runs compiled, clone's first op by op: equal up to rounding.
    np.testing.assert_allclose(clone(x), pipeline(x), rtol=1e-6, atol=1e-7)
    assert len(pipeline.layers) == 3 and pipeline.compute_output_shape((2, 6, 5, 3)) == \
        (2, 6, 5, 3)
    # A Keras model file holding a Pipeline loads with Keras's outputs.
    km = keras.Sequential([keras.Input((6, 5, 3)), theirs, keras.layers.Flatten(),
                           keras.layers.Dense(2)])
    km.save(tmp_path / "pipeline.keras")
    loaded = jl.saving.load_model(tmp_path / "pipeline.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), km.predict(x, verbose=0),
                               atol=1e-5)


def _normalized(config):
    return {k: list(v) if isinstance(v, tuple) else v for k, v in config.items()}


def test_configs_hold_keras_configs(keras):
    specs = [("RandomGrayscale", dict(factor=0.3)), ("RandomInvert", dict(factor=0.4)),
             ("Solarization", dict(addition_factor=(0.1, 0.2), threshold_factor=0.5)),
             ("RandomPosterization", dict(factor=5, value_range=(0, 1))),
             ("AutoContrast", dict(value_range=(0, 1))), ("Equalization", dict(bins=64)),
             ("CutMix", dict(factor=0.7)), ("MixUp", dict(alpha=0.5)),
             ("RandomErasing", dict(factor=0.5, scale=(0.1, 0.2), fill_value=3.0)),
             ("MaxNumBoundingBoxes", dict(max_number=4))]
    for name, kwargs in specs:
        theirs = _normalized(getattr(keras.layers, name)(**kwargs).get_config())
        mine = _normalized(getattr(L, name)(**kwargs).get_config())
        for k in theirs.keys() - {"name", "dtype", "trainable"}:
            assert mine[k] == theirs[k], (name, k)


def test_ops_hand_computed():
    row = jnp.array([0.0, 100.0, 200.0]).reshape(1, 1, 3, 1)
    assert aug.solarize(row, 0.0, 150.0, (0, 255)).ravel().tolist() == [0.0, 100.0, 55.0]
    assert aug.solarize(row, 60.0, 0.0, (0, 255)).ravel().tolist() == [195.0, 95.0, 0.0]
    # 100 = 0b01100100 and 200 = 0b11001000 keep their 2 highest bits.
    assert aug.posterize(row, jnp.array([6]), (0, 255)).ravel().tolist() == [0.0, 64.0, 192.0]
    assert aug.invert(jnp.array([0.25, -1.0]), (-1, 1)).tolist() == [-0.25, 1.0]
    pair = jnp.array([[0.2, 0.5], [0.4, 0.5], [0.6, 0.5]]).reshape(1, 1, 3, 2)
    stretched = aug.autocontrast(pair, (0, 1))[0, 0]
    np.testing.assert_allclose(stretched, [[0.0, 0.5], [0.5, 0.5], [1.0, 0.5]], atol=1e-6)
    # Histogram 1, 2, 1: the cumulative counts 1, 3, 4 map to 0, 170, 255.
    levels = jnp.array([10.0, 20.0, 20.0, 30.0]).reshape(1, 2, 2, 1)
    assert aug.equalize(levels, (0, 255)).ravel().tolist() == [0.0, 170.0, 170.0, 255.0]
    assert aug.equalize(jnp.full((1, 2, 2, 1), 7.0), (0, 255)).ravel().tolist() == [7.0] * 4
    masks = aug.box_masks(3, 4, jnp.array([1.0]), jnp.array([2.5]), jnp.array([0.0]),
                          jnp.array([1.0]))
    assert masks.shape == (1, 3, 4, 1)
    assert np.argwhere(np.asarray(masks[0, ..., 0])).tolist() == [[0, 1], [0, 2]]
    gray = aug.grayscale(jnp.array([[[[1.0, 0.0, 0.0]]]]))
    assert gray.shape == (1, 1, 1, 1) and float(gray.ravel()[0]) == pytest.approx(0.2989)
    np.testing.assert_allclose(aug.mix(jnp.ones((2, 3)), jnp.zeros((2, 3)),
                                       jnp.array([0.25, 1.0])),
                               [[0.25] * 3, [1.0] * 3])


# ----------------------------------------------------------------------- keys
KEYED = [
    lambda: L.RandomGrayscale(), lambda: L.RandomInvert(value_range=(0, 1)),
    lambda: L.Solarization(addition_factor=0.3, threshold_factor=0.6, value_range=(0, 1)),
    lambda: L.RandomPosterization((1, 8), value_range=(0, 1)), lambda: L.CutMix(),
    lambda: L.MixUp(), lambda: L.RandomErasing(value_range=(0, 1)),
]


@pytest.mark.parametrize("make", KEYED, ids=lambda m: type(m()).__name__)
def test_draws_are_pure_functions_of_the_key(make, images):
    x = images / 255
    layer = make()
    step = jax.jit(lambda v, k: layer.apply({}, {}, v, training=True, key=k)[0])
    a = step(x, jax.random.key(3))
    np.testing.assert_array_equal(step(x, jax.random.key(3)), a)
    assert any(not np.allclose(step(x, jax.random.key(k)), a) for k in range(4, 10))
    with pytest.raises(errors.KeyRequiredError, match="key=jax.random.key"):
        layer.apply({}, {}, x, training=True)
    np.testing.assert_array_equal(layer.apply({}, {}, x)[0], x)  # inference: no key needed


@pytest.mark.parametrize("make", KEYED, ids=lambda m: type(m()).__name__)
def test_keras_two_step_signature(make, images):
    # get_random_transformation(data, training, seed) as Keras (and RandomHue) take it.
    x = images / 255
    layer = make()
    t = layer.get_random_transformation(x, training=True, seed=jax.random.key(3))
    again = layer.get_random_transformation({"images": x}, seed=jax.random.key(3))
    jax.tree.map(np.testing.assert_array_equal, t, again)
    assert layer.get_random_transformation(x, training=False, seed=jax.random.key(3)) is None
    # One image draws for a batch of one.
    one = layer.get_random_transformation(x[0], seed=jax.random.key(3))
    for batched, single in zip(jax.tree.leaves(t), jax.tree.leaves(one)):
        if np.ndim(batched) and batched.shape[0] == len(x):
            assert single.shape == (1,) + batched.shape[1:]
    assert any(not np.allclose(layer.transform_images(
        x, layer.get_random_transformation(x, seed=jax.random.key(k))), x, atol=1e-3)
        for k in range(3, 9))


def test_deterministic_layers_need_no_key(images):
    for layer in (L.AutoContrast(), L.Equalization(), L.MaxNumBoundingBoxes(2)):
        out = jax.jit(lambda v, layer=layer: layer.apply({}, {}, v, training=True)[0])(images)
        assert out.shape == images.shape


# ----------------------------------------------------------------------- statistics
def _many(layer, x, n=400, seed=0):
    batch = jnp.broadcast_to(x, (n,) + x.shape)
    return jax.jit(lambda b, k: layer.apply({}, {}, b, training=True, key=k)[0])(
        batch, jax.random.key(seed))


def test_grayscale_and_invert_frequencies():
    x = np.array([[[0.2, 0.5, 0.9]]], "float32")
    gray = np.asarray(_many(L.RandomGrayscale(factor=0.3), x))[:, 0, 0]
    converted = np.all(gray == gray[:, :1], axis=-1)
    assert 0.22 < converted.mean() < 0.38
    np.testing.assert_allclose(gray[converted][0], [np.dot(x[0, 0], (0.2989, 0.5870, 0.1140))] * 3,
                               rtol=1e-6)
    inverted = np.asarray(_many(L.RandomInvert(value_range=(-1, 1)), x))[:, 0, 0]
    flipped = np.all(np.isclose(inverted, -x[0, 0]), axis=-1)
    assert np.all(flipped | np.all(inverted == x[0, 0], axis=-1))
    assert 0.42 < flipped.mean() < 0.58  # p uniform in [0, 1]: one half on average


def test_cutmix_and_mixup_weights(rng):
    x = jnp.asarray(rng.random((64, 10, 10, 1)), jnp.float32)
    labels = jnp.eye(64)
    for layer in (L.CutMix(), L.MixUp(alpha=0.5)):
        out = jax.jit(lambda d, k, layer=layer: layer.apply({}, {}, d, training=True,
                                                             key=k)[0])(
            {"images": x, "labels": labels}, jax.random.key(2))
        mixed = np.asarray(out["labels"])
        np.testing.assert_allclose(mixed.sum(-1), 1.0, rtol=1e-5)
        assert mixed.min() >= -1e-6 and 0.0 < (mixed.max(-1) < 1 - 1e-3).mean()
        # Row i is w_i * e_i + (1 - w_i) * e_partner(i) (e_i when paired with itself).
        off = np.where(np.eye(64) > 0, -1.0, mixed)
        partner = np.where(off.max(-1) > 0, off.argmax(-1), np.arange(64))
        own = mixed[np.arange(64), np.arange(64)]
        expected = own[:, None, None, None] * np.asarray(x) + \
            (1 - own[:, None, None, None]) * np.asarray(x)[partner]
        if isinstance(layer, L.MixUp):
            # Images and labels share weights and partners.
            keep = own < 1 - 1e-3
            np.testing.assert_allclose(np.asarray(out["images"])[keep], expected[keep],
                                       atol=1e-5)
        else:
            # The kept share of pixels follows the label weight (boxes are fractional).
            kept = np.mean(np.asarray(out["images"]) == np.asarray(x), axis=(1, 2, 3))
            np.testing.assert_allclose(kept, own, atol=0.25)


def test_random_erasing_box_sizes():
    out = np.asarray(_many(L.RandomErasing(factor=(1, 1), scale=(0.25, 0.25), fill_value=0,
                                           value_range=(0, 1)),
                           np.ones((20, 20, 1), "float32"), n=50))
    rows = (out == 0).any(axis=2)[..., 0].sum(-1)
    cols = (out == 0).any(axis=1)[..., 0].sum(-1)
    # Sides of sqrt(0.25) * 20 = 10 pixels, placed at fractional offsets.
    assert set(rows) <= {10, 11} and set(cols) <= {10, 11}
    per_channel = L.RandomErasing(factor=(1, 1), fill_value=[0.25, 0.5, 2.0],
                                  value_range=(0, 1))
    erased = np.asarray(per_channel.apply({}, {}, np.full((2, 8, 8, 3), 0.75, "float32"),
                                          training=True, key=jax.random.key(0))[0])
    assert {tuple(v) for v in erased.reshape(-1, 3)} == {(0.75,) * 3, (0.25, 0.5, 1.0)}


def test_augmentation_b_inside_fit_and_saved(rng, tmp_path):
    model = jl.Sequential([
        L.Input((6, 6, 3)), L.RandomGrayscale(), L.RandomInvert(value_range=(0, 1)),
        L.Solarization(value_range=(0, 1), threshold_factor=0.5),
        L.RandomPosterization(4, value_range=(0, 1)), L.AutoContrast(value_range=(0, 1)),
        L.Pipeline([L.Equalization(value_range=(0, 1)), L.CutMix(), L.MixUp()]),
        L.RandomErasing(value_range=(0, 1)), L.Flatten(), L.Dense(2)])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x = rng.random((8, 6, 6, 3)).astype("float32")
    history = model.fit(x, np.arange(8) % 2, epochs=2, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    predicted = model.predict(x, verbose=0)
    np.testing.assert_allclose(predicted, model.apply(model.params, model.state, x)[0],
                               rtol=1e-5, atol=1e-6)
    model.save(tmp_path / "augmented.keras")
    restored = jl.saving.load_model(tmp_path / "augmented.keras")
    np.testing.assert_allclose(restored.predict(x, verbose=0), predicted, rtol=1e-5)


# ----------------------------------------------------------------------- errors
def test_argument_and_input_errors(images):
    with pytest.raises(errors.ConfigError, match="`factor` must be a float in \\[0, 1\\]"):
        L.RandomGrayscale(factor=1.5)
    with pytest.raises(errors.ConfigError, match="`factor` must be a number or a pair"):
        L.RandomInvert(factor=-0.2)
    with pytest.raises(errors.ConfigError, match="`threshold_factor` must be a number"):
        L.Solarization(threshold_factor=(0.2, 1.4))
    with pytest.raises(errors.ConfigError, match="`factor` must be an int or a pair of ints"):
        L.RandomPosterization(9)
    with pytest.raises(errors.ConfigError, match="`value_range` must be a pair"):
        L.AutoContrast(value_range=(1, 1))
    with pytest.raises(errors.ConfigError, match="`bins` must be a positive int"):
        L.Equalization(bins=0)
    with pytest.raises(errors.ConfigError, match="`alpha` must be a positive float"):
        L.MixUp(alpha=0.0)
    with pytest.raises(errors.ConfigError, match="`fill_value` must be None, a number or a "
                                                 "list of 3"):
        L.RandomErasing(fill_value=[1.0, 2.0])
    with pytest.raises(errors.ConfigError, match="`max_number` must be a positive int"):
        L.MaxNumBoundingBoxes(0)
    with pytest.raises(errors.ConfigTypeError, match="`layers` must be a list of layers"):
        L.Pipeline(L.Dense(2))
    with pytest.raises(errors.ShapeError, match="converts RGB \\(3 channels\\)"):
        L.RandomGrayscale().apply({}, {}, images[..., :2], training=True,
                                  key=jax.random.key(0))
    with pytest.raises(errors.ShapeError, match="`fill_value` of 3 numbers fills 3 channels"):
        L.RandomErasing(fill_value=[1, 2, 3]).apply({}, {}, images[..., :1], training=True,
                                                    key=jax.random.key(0))
    with pytest.raises(errors.DataError, match="needs an 'images' entry"):
        L.MixUp()({"pixels": images})
    with pytest.raises(errors.ConfigError, match="needs a `bounding_box_format`"):
        L.MaxNumBoundingBoxes(2)({"images": images, "bounding_boxes": {
            "boxes": np.zeros((4, 1, 4)), "labels": np.zeros((4, 1))}})
    with pytest.raises(errors.DataError, match="'boxes' of shape \\(batch, n, 4\\)"):
        L.MaxNumBoundingBoxes(2, bounding_box_format="xyxy")({"images": images,
                                                              "bounding_boxes": {
            "boxes": np.zeros((4, 1, 3)), "labels": np.zeros((4, 1))}})
    with pytest.raises(errors.DataError, match="CutMix .* cannot transform bounding boxes"):
        L.CutMix(bounding_box_format="xyxy").apply(
            {}, {}, {"images": images, "bounding_boxes": {
                "boxes": np.zeros((4, 1, 4)), "labels": np.zeros((4, 1))}},
            training=True, key=jax.random.key(0))
    with pytest.raises(errors.ShapeError, match="expects images of rank 3"):
        L.Solarization()(np.zeros((2, 2)))


@pytest.mark.parametrize("make", [L.MixUp, L.CutMix, L.RandomGrayscale])
def test_labels_and_masks_need_one_entry_per_image(make, images):
    # A batch mismatch used to reach a broadcasting error inside jnp.
    with pytest.raises(errors.DataError, match=make.__name__ + r" '\w+': 'labels' must hold "
                                               r"one entry per image, a leading axis of 4"):
        make().apply({}, {}, {"images": images, "labels": np.zeros((3, 2))}, training=True,
                     key=jax.random.key(0))
    with pytest.raises(errors.DataError, match="'segmentation_masks' must hold one entry"):
        make().apply({}, {}, {"images": images, "segmentation_masks": images[:2, ..., :1]},
                     training=True, key=jax.random.key(0))
