"""Image preprocessing and augmentation layers, and jaxlayers.ops.image.

Deterministic layers and the affine sampler are compared with Keras 3 on
the JAX backend.  Random layers: identity at inference, exact Keras outputs
when the factor range is a single value, and statistical checks of the draws.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers import errors
from jaxlayers.ops import _augment as augment
from jaxlayers.ops import image as image_ops

L = jl.layers


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).random((2, 6, 5, 2)).astype("float32")


# ----------------------------------------------------------------------- ops.image
def test_affine_transform_matches_keras(images, keras):
    transforms = np.array([[0.9, -0.3, 1.2, 0.4, 1.1, -0.7, 0, 0],
                           [1.2, 0.1, -0.5, -0.2, 0.8, 0.9, 0, 0]], "float32")
    # All four fill modes are also checked by hand in test_fill_modes_hand_computed.
    combos = [("bilinear", "constant"), ("bilinear", "reflect"), ("nearest", "nearest")]
    for interpolation, fill_mode in combos:
        kw = dict(interpolation=interpolation, fill_mode=fill_mode, fill_value=0.5)
        expected = jax.jit(lambda x: keras.ops.image.affine_transform(x, transforms, **kw))(
            images)
        got = jax.jit(lambda x: image_ops.affine_transform(x, transforms, **kw))(images)
        np.testing.assert_allclose(got, expected, atol=1e-6)
    first = np.transpose(images, (0, 3, 1, 2))
    kw = dict(fill_mode="wrap", data_format="channels_first")
    np.testing.assert_allclose(
        jax.jit(lambda x: image_ops.affine_transform(x, transforms, **kw))(first),
        jax.jit(lambda x: keras.ops.image.affine_transform(x, transforms, **kw))(first),
        atol=1e-6)


def test_fill_modes_hand_computed():
    row = jnp.arange(1.0, 5.0).reshape(1, 1, 4, 1)  # a b c d = 1 2 3 4
    shift = augment.translation_transforms(jnp.array([-3.0]), jnp.array([0.0]))
    expected = {"constant": [4, 9, 9, 9], "nearest": [4, 4, 4, 4], "wrap": [4, 1, 2, 3],
                "reflect": [4, 4, 3, 2]}
    for mode, values in expected.items():
        out = image_ops.affine_transform(row, shift, "nearest", mode, fill_value=9.0)
        assert out[0, 0, :, 0].tolist() == values, mode


# ----------------------------------------------------------------------- deterministic layers
@pytest.mark.parametrize("kwargs", [
    dict(interpolation="bilinear"), dict(interpolation="nearest", crop_to_aspect_ratio=True),
    dict(interpolation="bicubic", pad_to_aspect_ratio=True, fill_value=2.0),
    dict(interpolation="lanczos3", antialias=True),
])
def test_resizing_matches_keras(images, kwargs, keras):
    expected = keras.layers.Resizing(3, 7, **kwargs)(images)
    layer = L.Resizing(3, 7, **kwargs)
    np.testing.assert_allclose(layer(images), expected, atol=1e-5)
    mine, theirs = layer.get_config(), keras.layers.Resizing(3, 7, **kwargs).get_config()
    assert {k: mine[k] for k in theirs if k not in ("name", "dtype")} == \
        {k: v for k, v in theirs.items() if k not in ("name", "dtype")}


def test_resizing_ints_channels_first_and_unbatched(images, keras):
    ints = (images * 255).astype("uint8")
    out = L.Resizing(4, 3)(ints)
    assert out.dtype == jnp.uint8
    np.testing.assert_array_equal(out, keras.layers.Resizing(4, 3)(ints))
    first = np.transpose(images, (0, 3, 1, 2))
    np.testing.assert_allclose(
        L.Resizing(4, 3, data_format="channels_first")(first),
        keras.layers.Resizing(4, 3, data_format="channels_first")(first), atol=1e-6)
    np.testing.assert_allclose(L.Resizing(4, 3)(images[0]), keras.layers.Resizing(4, 3)(
        images[0]), atol=1e-6)


def test_rescaling_and_center_crop_match_keras(images, keras):
    np.testing.assert_allclose(L.Rescaling(1 / 255.0, offset=-1.0)(images * 255),
                               keras.layers.Rescaling(1 / 255.0, offset=-1.0)(images * 255),
                               rtol=1e-6)
    np.testing.assert_allclose(L.Rescaling([2.0, 0.5])(images),
                               keras.layers.Rescaling([2.0, 0.5])(images), rtol=1e-6)
    for height, width in ((3, 4), (8, 4), (6, 9)):
        np.testing.assert_allclose(L.CenterCrop(height, width)(images),
                                   keras.layers.CenterCrop(height, width)(images), atol=1e-6)


def test_image_layer_errors(images):
    with pytest.raises(errors.ShapeError, match="expects images of rank 3 .* or rank 4"):
        L.Resizing(2, 2)(jnp.ones((4, 4)))
    with pytest.raises(errors.ShapeError, match="Received input shape \\(1, 2, 4, 4, 3\\)"):
        L.RandomFlip()(jnp.ones((1, 2, 4, 4, 3)))
    with pytest.raises(errors.ShapeError, match="expects images of rank 3"):
        L.CenterCrop(2, 2)(jnp.ones((4,)))
    with pytest.raises(errors.ConfigError, match="`interpolation` must be one of"):
        L.Resizing(2, 2, interpolation="area")
    with pytest.raises(errors.ConfigError, match="only one of `crop_to_aspect_ratio`"):
        L.Resizing(2, 2, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)
    with pytest.raises(errors.ConfigError, match="`height` must be a positive int"):
        L.CenterCrop(0, 2)
    with pytest.raises(errors.ConfigError, match="`fill_mode` must be one of"):
        L.RandomRotation(0.1, fill_mode="mirror")
    with pytest.raises(errors.ConfigError, match="`factor` must be a number or a pair"):
        L.RandomRotation(1.5)
    with pytest.raises(errors.ConfigError, match="in \\(-1.0, 1.0\\]"):
        L.RandomZoom(-1.0)
    with pytest.raises(errors.ConfigError, match="`mode` must be one of"):
        L.RandomFlip("diagonal")
    with pytest.raises(errors.ConfigError, match="`value_range` must be a pair"):
        L.RandomBrightness(0.1, value_range=(1, 1))


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


# ----------------------------------------------------------------------- augmentation
AUGMENTERS = [
    L.RandomFlip, lambda: L.RandomTranslation(0.3, 0.3), lambda: L.RandomRotation(0.2),
    lambda: L.RandomZoom(0.3), lambda: L.RandomContrast(0.5, value_range=(0, 1)),
    lambda: L.RandomBrightness(0.3, value_range=(0, 1)),
]


def test_augmentation_is_identity_at_inference_and_keyed_in_training(images):
    key = jax.random.key(3)
    for i, make in enumerate(AUGMENTERS):
        layer = make()
        layer._name = f"augmenter_{i}"  # keys fold in the layer path: keep it fixed
        assert np.array_equal(layer(images), images)
        assert np.array_equal(layer.apply({}, {}, images)[0], images)
        step = jax.jit(lambda x, k: layer.apply({}, {}, x, training=True, key=k)[0])
        a = step(images, key)
        np.testing.assert_array_equal(step(images, key), a)  # same key, same draw
        assert a.shape == images.shape and not np.allclose(a, images)
        # Another key gives another draw (a flip of 2 images can repeat by chance).
        assert any(not np.allclose(step(images, jax.random.key(k)), a) for k in range(4, 10))


def test_deterministic_ranges_match_keras(keras):
    x = np.random.default_rng(1).random((2, 7, 6, 3)).astype("float32")
    pairs = [
        (dict(factor=(0.1, 0.1), fill_mode="constant", fill_value=0.5), "RandomRotation"),
        (dict(height_factor=(0.5, 0.5), width_factor=(-0.25, -0.25), fill_mode="nearest"),
         "RandomZoom"),
    ]
    for kwargs, name in pairs:
        expected = getattr(keras.layers, name)(**kwargs)(x, training=True)
        layer = getattr(L, name)(**kwargs)
        got = jax.jit(lambda x: layer.apply({}, {}, x, training=True,
                                            key=jax.random.key(0))[0])(x)
        np.testing.assert_allclose(got, expected, atol=1e-5, err_msg=name)


def test_more_fixed_draws_match_keras(keras):
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


def _many(layer, x, n=400, seed=0):
    """``n`` augmented copies of one image, in one jitted call."""
    batch = jnp.broadcast_to(x, (n,) + x.shape)
    step = jax.jit(lambda b, k: layer.apply({}, {}, b, training=True, key=k)[0])
    return step(batch, jax.random.key(seed))


def test_random_flip_statistics():
    x = jnp.arange(4.0).reshape(2, 2, 1)
    for mode, flipped in (("horizontal", x[:, ::-1]), ("vertical", x[::-1]),
                          ("horizontal_and_vertical", x[::-1, ::-1])):
        out = _many(L.RandomFlip(mode), x)
        is_flipped = np.all(np.asarray(out) == np.asarray(flipped), axis=(1, 2, 3))
        kept = np.all(np.asarray(out) == np.asarray(x), axis=(1, 2, 3))
        assert np.all(is_flipped | kept)
        assert 0.4 < is_flipped.mean() < 0.6


def _centroid(img):
    img = np.asarray(img)[..., 0]
    ys, xs = np.mgrid[:img.shape[0], :img.shape[1]]
    return (img * ys).sum() / img.sum(), (img * xs).sum() / img.sum()


def test_random_rotation_and_translation_stay_within_factor():
    size = 15
    dot = np.zeros((size, size, 1), "float32")
    dot[7, 13] = 1.0  # 6 pixels right of the center
    rotated = _many(L.RandomRotation(0.1, fill_mode="constant"), dot, n=100)
    angles = []
    for img in rotated:
        cy, cx = _centroid(img)
        angles.append(math.degrees(math.atan2(-(cy - 7), cx - 7)))
    angles = np.array(angles)
    assert np.all(np.abs(angles) <= 36.0 + 1.0)
    assert angles.min() < -20 and angles.max() > 20
    shifted = _many(L.RandomTranslation(0.2, (0.0, 0.1), fill_mode="constant",
                                        interpolation="nearest"), dot, n=100)
    for img in shifted:
        if np.asarray(img).sum() == 0:  # the dot left the image
            continue
        cy, cx = _centroid(img)
        assert abs(cy - 7) <= 0.2 * size + 1e-4 and -1e-4 <= cx - 13 <= 0.1 * size + 1e-4


def test_random_zoom_contrast_brightness_ranges():
    x = np.random.default_rng(2).random((8, 8, 1)).astype("float32")
    zoomed = _many(L.RandomZoom(0.5, fill_mode="constant"), np.ones((9, 9, 1), "float32"),
                   n=200)
    covered = np.asarray(zoomed).mean(axis=(1, 2, 3))  # zoom out leaves a border of zeros
    assert covered.min() >= 1 / 1.5 ** 2 - 0.1 and covered.max() == 1.0
    contrasted = np.asarray(_many(L.RandomContrast(0.5, value_range=(-10, 10)), x))
    factors = ((contrasted - x.mean()) / (x - x.mean()))[:, 0, 0, 0]
    assert factors.min() >= 0.5 - 1e-4 and factors.max() <= 1.5 + 1e-4
    assert factors.min() < 0.7 and factors.max() > 1.3
    bright = np.asarray(_many(L.RandomBrightness(0.2, value_range=(0, 1)),
                              np.full((2, 2, 1), 0.5, "float32")))
    deltas = bright[:, 0, 0, 0] - 0.5
    assert np.all(np.abs(deltas) <= 0.2 + 1e-6) and deltas.min() < -0.15 and deltas.max() > 0.15
    clipped = np.asarray(_many(L.RandomBrightness((0.5, 0.9), value_range=(0, 1)), x))
    assert clipped.max() <= 1.0 and clipped.min() >= 0.5


def test_random_crop_one_window_per_batch_with_keras_numbers():
    # Each pixel holds 100 * image + 8 * row + column, so a crop tells its window.
    x = (jnp.arange(3)[:, None, None] * 100 + jnp.arange(48.0).reshape(6, 8))[..., None]
    layer = L.RandomCrop(3, 4)
    crops = jax.jit(jax.vmap(lambda k: layer.apply({}, {}, x, training=True, key=k)[0]))(
        jax.random.split(jax.random.key(0), 100))
    starts = set()
    for crop in np.asarray(crops):
        top, left = divmod(int(crop[0, 0, 0, 0]), 8)
        # One window for the whole batch, as Keras draws it.
        np.testing.assert_array_equal(crop, np.asarray(x)[:, top:top + 3, left:left + 4])
        starts.add((top, left))
    assert {t for t, _ in starts} == set(range(4)) and {left for _, left in starts} == set(range(5))


def test_random_crop_matches_keras_in_training_and_documents_inference(keras):
    x = np.random.default_rng(4).random((2, 6, 8, 2)).astype("float32")
    layer, theirs = L.RandomCrop(3, 4), keras.layers.RandomCrop(3, 4)
    crop = layer.apply({}, {}, x, training=True, key=jax.random.key(1))[0]
    top, left = next((t, w) for t in range(4) for w in range(5)
                     if np.array_equal(crop, x[:, t:t + 3, w:w + 4]))
    np.testing.assert_array_equal(crop, theirs.transform_images(x, (top, left), training=True))
    # Not larger than the target on both sides: Keras's deterministic window, resized.
    for shape in ((2, 3, 8, 2), (2, 6, 4, 2), (2, 2, 3, 2), (2, 5, 2, 2)):
        small = x[:, :shape[1], :shape[2]]
        np.testing.assert_allclose(
            layer.apply({}, {}, small, training=True, key=jax.random.key(2))[0],
            theirs(small, training=True), atol=1e-6, err_msg=str(shape))
    # At inference Keras's documentation (not its 3.15 code, which returns the
    # input uncropped) is followed: the largest centered window of the aspect ratio.
    np.testing.assert_allclose(layer(x), L.Resizing(3, 4, crop_to_aspect_ratio=True)(x))
    assert layer.compute_output_shape((None, 6, 8, 1)) == (None, 3, 4, 1)


def test_augmentation_inside_fit():
    model = jl.Sequential([L.Input((4, 4, 1)), L.RandomFlip("horizontal"),
                           L.RandomRotation(0.05), L.Rescaling(0.5), L.Flatten(), L.Dense(2)])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(3).random((8, 4, 4, 1)).astype("float32")
    history = model.fit(x, np.arange(8) % 2, epochs=2, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               model.apply(model.params, model.state, x)[0], rtol=1e-5)
