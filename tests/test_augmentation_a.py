"""Color, filter and geometric augmentation layers (issue 14, part a).

Against Keras 3 (JAX backend) on fixed transformation parameters: the
transformation Keras's ``get_random_transformation`` draws is applied by both
layers' ``transform_images`` (or the factor range is one value), so only the
math is compared.  Key semantics: the same key gives the same output, another
key another one, and inference is the identity.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers import errors

L = jl.layers
RNG = np.random.default_rng(0)
UNIT = RNG.random((3, 7, 6, 3)).astype("float32")
PIXELS = (UNIT * 255).astype("float32")


def _keras_transform(theirs, x, seed=3):
    import keras

    return theirs.get_random_transformation(x, training=True,
                                            seed=keras.random.SeedGenerator(seed))


def _same_transformation(mine, theirs, x, atol=1e-4, adapt=None, channels_first=False):
    t = _keras_transform(theirs, x)
    expected = theirs.transform_images(x, t, training=True)
    t = adapt(t) if adapt else t
    got = jax.jit(lambda v: mine.transform_images(v, t))(x)
    np.testing.assert_allclose(got, expected, atol=atol, rtol=1e-5)
    return t


@pytest.mark.parametrize("name, kwargs, x", [
    ("RandomHue", dict(factor=0.8, value_range=(0, 255)), PIXELS),
    ("RandomHue", dict(factor=(0.3, 0.6), value_range=(0, 1), data_format="channels_first"),
     np.transpose(UNIT, (0, 3, 1, 2))),
    ("RandomSaturation", dict(factor=(0.0, 0.9), value_range=(0, 1)), UNIT),
    ("RandomSaturation", dict(factor=(0.1, 0.5), value_range=(0, 255)), PIXELS),
    ("RandomColorDegeneration", dict(factor=(0.2, 1.0), value_range=(0, 255)), PIXELS),
    ("RandomSharpness", dict(factor=(0.0, 1.0), value_range=(0, 1)), UNIT),
    ("RandomSharpness", dict(factor=(0.0, 1.0), value_range=(0, 255),
                             data_format="channels_first"), np.transpose(PIXELS, (0, 3, 1, 2))),
    ("RandomShear", dict(x_factor=0.3, y_factor=(0.1, 0.4), fill_mode="constant",
                         fill_value=9.0), PIXELS),
    ("RandomShear", dict(x_factor=(0.2, 0.5), interpolation="nearest", fill_mode="wrap"),
     UNIT),
    ("RandomPerspective", dict(factor=(0.5, 1.0), scale=0.6), PIXELS),
    ("RandomPerspective", dict(scale=0.4, interpolation="nearest", fill_value=0.5,
                               data_format="channels_first"), np.transpose(UNIT, (0, 3, 1, 2))),
])
def test_keras_transformations_give_keras_outputs(name, kwargs, x, keras):
    theirs = getattr(keras.layers, name)(**kwargs)
    mine = getattr(L, name)(**kwargs)
    _same_transformation(mine, theirs, x, atol=1e-3 if x is PIXELS else 1e-5)


def test_gaussian_blur_with_keras_transformation(keras):
    kwargs = dict(factor=(0.5, 1.0), kernel_size=5, sigma=(0.2, 1.0), value_range=(0, 255))
    theirs, mine = keras.layers.RandomGaussianBlur(**kwargs), L.RandomGaussianBlur(**kwargs)
    # Keras's JAX blur reads blur_factor as (along width, along height); ours
    # as (rows, columns), the documented order: swap to compare.
    t = _same_transformation(mine, theirs, PIXELS, atol=1e-3,
                             adapt=lambda t: dict(t, blur_factor=t["blur_factor"][::-1]))
    assert not np.allclose(t["blur_factor"][0], t["blur_factor"][1])


def test_elastic_transform_with_keras_parameters(keras):
    # Keras's transformation carries a seed its op draws both fields from
    # (so both are equal); ours carries the fields: give ours that field twice.
    x = PIXELS[:2]
    kwargs = dict(factor=1.0, scale=(0.6, 0.6), value_range=(0, 255), fill_mode="constant",
                  fill_value=4.0)
    theirs, mine = keras.layers.RandomElasticTransform(**kwargs), \
        L.RandomElasticTransform(**kwargs)
    applied = jnp.array([True, False])
    expected = theirs.transform_images(
        x, {"apply_transform": applied, "distortion_factor": 0.6, "seed": 11}, training=True)
    field = jax.random.normal(jnp.asarray([11, 0], jnp.uint32), x.shape[:3], jnp.float32)
    got = mine.transform_images(x, {"apply_transform": applied, "distortion_factor": 0.6,
                                    "noise": jnp.stack([field, field])})
    np.testing.assert_allclose(got, expected, atol=1e-3)
    np.testing.assert_array_equal(got[1], x[1])
    assert not np.allclose(got[0], x[0])


def test_fixed_factors_match_keras_end_to_end(keras):
    cases = [
        ("RandomSaturation", dict(factor=(0.8, 0.8), value_range=(0, 1)), UNIT),
        ("RandomColorDegeneration", dict(factor=(0.4, 0.4), value_range=(0, 1)), UNIT),
        ("RandomSharpness", dict(factor=(0.9, 0.9), value_range=(0, 255)), PIXELS),
        ("RandomColorJitter", dict(value_range=(0, 1), brightness_factor=(0.1, 0.1),
                                   saturation_factor=(0.3, 0.3)), UNIT),
        ("RandomGaussianBlur", dict(factor=(1.0, 1.0), sigma=(0.7, 0.7), value_range=(0, 1)),
         UNIT),
    ]
    for name, kwargs, x in cases:
        expected = getattr(keras.layers, name)(**kwargs)(x, training=True)
        layer = getattr(L, name)(**kwargs)
        got = layer.apply({}, {}, x, training=True, key=jax.random.key(0))[0]
        np.testing.assert_allclose(got, expected, atol=1e-3 if x is PIXELS else 1e-5,
                                   err_msg=name)


@pytest.mark.parametrize("kwargs, x", [
    (dict(tile_grid_size=(2, 3)), PIXELS),
    (dict(tile_grid_size=(3, 2), clip_limit=1.5), PIXELS),
    (dict(tile_grid_size=(2, 2), clip_limit=0.0, value_range=(0, 1)), UNIT[0]),
    (dict(tile_grid_size=(4, 4), data_format="channels_first"),
     np.transpose(PIXELS, (0, 3, 1, 2))),
    (dict(tile_grid_size=(2, 2)), PIXELS.astype("uint8")),
])
def test_clahe_matches_keras(kwargs, x, keras):
    expected = keras.layers.ContrastLimitedAdaptiveHistogramEqualization(**kwargs)(x)
    layer = L.ContrastLimitedAdaptiveHistogramEqualization(**kwargs)
    got = jax.jit(lambda v: layer.apply({}, {}, v)[0])(x)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_allclose(np.asarray(got, "float32"), np.asarray(expected, "float32"),
                               atol=1e-3 if x.dtype.kind == "f" else 1)


RANDOM_LAYERS = [
    lambda: L.RandomHue(0.5, value_range=(0, 1)),
    lambda: L.RandomSaturation(0.9, value_range=(0, 1)),
    lambda: L.RandomColorDegeneration(0.9, value_range=(0, 1)),
    lambda: L.RandomSharpness(0.9, value_range=(0, 1)),
    lambda: L.RandomColorJitter((0, 1), brightness_factor=0.3, hue_factor=0.3),
    lambda: L.RandomGaussianBlur(1.0, sigma=(0.5, 1.0), value_range=(0, 1)),
    lambda: L.RandomShear(0.4, 0.4),
    lambda: L.RandomPerspective(scale=0.6),
    lambda: L.RandomElasticTransform(scale=1.0, value_range=(0, 1)),
]


@pytest.mark.parametrize("make", RANDOM_LAYERS, ids=lambda m: type(m()).__name__)
def test_key_semantics(make):
    layer = make()
    layer._name = "augmenter"  # keys fold in the layer path: keep it fixed
    x = UNIT[:2]
    np.testing.assert_array_equal(layer(x), x)
    np.testing.assert_array_equal(layer.apply({}, {}, x, training=False)[0], x)
    step = jax.jit(lambda v, k: layer.apply({}, {}, v, training=True, key=k)[0])
    a = step(x, jax.random.key(1))
    np.testing.assert_array_equal(step(x, jax.random.key(1)), a)
    assert a.shape == x.shape and not np.allclose(a, x, atol=1e-4)
    assert any(not np.allclose(step(x, jax.random.key(k)), a) for k in range(2, 5))
    with pytest.raises(errors.KeyRequiredError, match="key=jax.random.key"):
        layer.apply({}, {}, x, training=True)
    # Unbatched images: the same math as a batch of one.
    np.testing.assert_allclose(
        layer.transform_images(x[0], layer.get_random_transformation(x[0], seed=jax.random.key(
            4))), layer.transform_images(x[:1], layer.get_random_transformation(
                x[:1], seed=jax.random.key(4)))[0], atol=1e-5)


def test_draw_ranges():
    x = np.full((400, 1, 1, 3), 0.5, "float32")
    hue = L.RandomHue((0.2, 0.4), value_range=(0, 1)).get_random_transformation(
        x, seed=jax.random.key(0))["factor"]
    assert np.all((np.abs(hue) >= 0.1 - 1e-6) & (np.abs(hue) <= 0.2 + 1e-6))
    assert 0.4 < np.mean(hue > 0) < 0.6
    sat = L.RandomSaturation(0.5, value_range=(0, 1)).get_random_transformation(
        x, seed=jax.random.key(0))["factor"]
    assert sat.min() >= 0 and sat.max() <= 1.0 + 1e-5 and sat.max() > 0.8
    shear = L.RandomShear(0.3, (0.1, 0.2)).get_random_transformation(
        x, seed=jax.random.key(0))["shear_factor"]
    assert np.all(np.abs(shear[:, 0]) <= 0.3) and np.all(np.abs(shear[:, 1]) >= 0.1)
    assert np.all(np.abs(shear[:, 1]) <= 0.2)
    assert np.any(shear[:, 1] < 0) and np.any(shear[:, 1] > 0)   # a random sign, as Keras
    blur = L.RandomGaussianBlur((0.25, 0.25)).get_random_transformation(
        x, seed=jax.random.key(0))["should_apply_blur"]
    assert 0.15 < np.mean(blur) < 0.35
    persp = L.RandomPerspective(0.0).get_random_transformation(x, seed=jax.random.key(0))
    assert not np.any(persp["apply_perspective"])
    np.testing.assert_array_equal(L.RandomHue(0.3).transform_images(x, None), x)


def test_shear_moves_a_dot_as_documented():
    # Output (x, y) reads input (x + 0.5 y, y).
    layer = L.RandomShear(fill_mode="constant", interpolation="nearest")
    shear = {"shear_factor": jnp.array([[0.5, 0.0]])}
    gone = np.zeros((1, 7, 7, 1), "float32")
    gone[0, 4, 1] = 1.0  # x=1, y=4 is read by x=-1: outside
    assert float(layer.transform_images(gone, shear).sum()) == 0.0
    kept = np.zeros((1, 7, 7, 1), "float32")
    kept[0, 2, 5] = 1.0  # x=5, y=2 is read by x=4
    assert np.argwhere(np.asarray(layer.transform_images(kept, shear))[0, :, :, 0]).tolist() \
        == [[2, 4]]


def test_color_jitter_is_its_steps_in_order():
    layer = L.RandomColorJitter((0, 1), brightness_factor=0.2, contrast_factor=0.3,
                                saturation_factor=0.8, hue_factor=0.2)
    key = jax.random.key(5)
    t = layer.get_random_transformation(UNIT, seed=key)
    y = UNIT
    steps = [L.RandomBrightness(0.2, value_range=(0, 1)),
             L.RandomContrast(0.3, value_range=(0, 1)),
             L.RandomSaturation(0.8, value_range=(0, 1)), L.RandomHue(0.2, value_range=(0, 1))]
    for step, k in zip(steps, t["keys"]):
        y = step._augment(k, y)
    np.testing.assert_allclose(layer.transform_images(UNIT, t), y, atol=1e-6)
    assert layer.compute_output_shape((None, 7, 6, 3)) == (None, 7, 6, 3)


def test_errors():
    with pytest.raises(errors.ConfigError, match="`factor` must be a number or a pair of "
                                                 "numbers in \\[0.0, 1.0\\]"):
        L.RandomHue(1.5)
    with pytest.raises(errors.ConfigError, match="`value_range` must be a pair"):
        L.RandomSaturation(0.5, value_range=(1, 1))
    with pytest.raises(errors.ConfigError, match="`kernel_size` must be an odd positive int"):
        L.RandomGaussianBlur(kernel_size=4)
    with pytest.raises(errors.ConfigError, match="`sigma` must be a number or a pair"):
        L.RandomGaussianBlur(sigma=-1.0)
    with pytest.raises(errors.ConfigError, match="`x_factor` must be a number or a pair"):
        L.RandomShear(x_factor=(0.1, 2.0))
    with pytest.raises(errors.ConfigError, match="`fill_mode` must be one of"):
        L.RandomShear(fill_mode="mirror")
    with pytest.raises(errors.ConfigError, match="`interpolation` must be one of"):
        L.RandomPerspective(interpolation="bicubic")
    with pytest.raises(errors.ConfigError, match="`scale` must be a float in \\[0, 1\\]"):
        L.RandomPerspective(scale=1.5)
    with pytest.raises(errors.ConfigError, match="`tile_grid_size` must be an int or a tuple"):
        L.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 2, 2))
    with pytest.raises(errors.ConfigError, match="`clip_limit` must be a finite float"):
        L.ContrastLimitedAdaptiveHistogramEqualization(clip_limit=float("nan"))
    with pytest.raises(errors.ConfigError, match="images must have 3 channels"):
        L.RandomColorDegeneration(0.5).compute_output_shape((None, 4, 4, 1))
    with pytest.raises(errors.ShapeError, match="expects images of rank 3"):
        L.RandomHue(0.5).apply({}, {}, jnp.ones((4, 4)), training=True, key=jax.random.key(0))


def test_new_layers_inside_fit():
    model = jl.Sequential([L.Input((6, 6, 3)), L.RandomHue(0.2, value_range=(0, 1)),
                           L.RandomShear(0.2), L.RandomGaussianBlur(0.5, value_range=(0, 1)),
                           L.Flatten(), L.Dense(2)])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x = RNG.random((8, 6, 6, 3)).astype("float32")
    history = model.fit(x, np.arange(8) % 2, epochs=2, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               model.apply(model.params, model.state, x)[0], rtol=1e-5)


@pytest.mark.parametrize("make", [
    lambda: L.RandomHue(0.5),
    lambda: L.RandomSaturation(0.5),
    lambda: L.RandomColorDegeneration(0.5),
    lambda: L.RandomColorJitter(hue_factor=0.2),
    lambda: L.RandAugment(),
    lambda: L.AugMix(),
], ids=["hue", "saturation", "degeneration", "jitter", "randaugment", "augmix"])
def test_color_layers_need_rgb(make):
    # RandomHue turned one channel into three; the policies failed in dot_general.
    layer = make()
    with pytest.raises(errors.ShapeError, match=type(layer).__name__ + r" '\w+': images must "
                                                r"have 3 channels \(RGB\)"):
        layer.apply({}, {}, jnp.ones((1, 4, 4, 1)), training=True, key=jax.random.key(0))
    with pytest.raises(errors.ShapeError, match="images must have 3 channels"):
        layer.get_random_transformation(jnp.ones((2, 4, 4)), seed=jax.random.key(0))


def test_gray_images_pass_the_layers_without_color_picks():
    # Without hue/saturation/luma every step is per channel: a gray image comes out
    # as one channel of the same image repeated in RGB.
    x = PIXELS[:2, ..., :1]
    for layer in (L.RandomColorJitter(brightness_factor=0.2, contrast_factor=0.2),
                  L.AugMix(num_chains=2, chain_depth=2, all_ops=False)):
        layer._name = "augmenter"  # keys fold in the layer path: keep it fixed
        gray, rgb = (layer.apply({}, {}, v, training=True, key=jax.random.key(0))[0]
                     for v in (x, np.repeat(x, 3, axis=-1)))
        assert gray.shape == x.shape
        np.testing.assert_allclose(gray, rgb[..., :1], atol=1e-3)
        assert not np.allclose(gray, x, atol=1e-2)
