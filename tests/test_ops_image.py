"""jaxlayers.ops.image against keras.ops.image (JAX backend): values, shapes and dtypes,
eagerly and under jax.jit, for every name Keras exports there."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers import errors
from jaxlayers.ops import _augment as augment
from jaxlayers.ops import image as image_ops

RNG = np.random.default_rng(0)
IMGS = RNG.random((2, 6, 5, 3)).astype("float32")
IMGS_CF = np.transpose(IMGS, (0, 3, 1, 2))
ONE = IMGS[0]
VOLS = RNG.random((2, 4, 6, 5, 2)).astype("float32")
AFFINE = np.array([[0.9, -0.3, 1.2, 0.4, 1.1, -0.7, 0, 0],
                   [1.2, 0.1, -0.5, -0.2, 0.8, 0.9, 0, 0]], "float32")
START = np.array([[0, 0], [4, 0], [0, 5], [4, 5]], "float32")
END = np.array([[[0.3, 0.2], [3.5, 0.4], [0.1, 4.6], [4.2, 5.1]],
                [[0.0, 0.5], [4.4, 0.0], [0.6, 5.0], [3.8, 4.7]]], "float32")
COORDS = RNG.uniform(-1, 6, (3, 4, 7)).astype("float32")


def _sobel_keras(keras, x, **kw):
    return keras.ops.image.sobel_edges(x, **kw)


# (name, args, kwargs); the same call is made on both sides.  The keras side of
# gaussian_blur swaps its (height, width) pairs: Keras 3.15's JAX code applies
# the first entry along the width (see ops.image.gaussian_blur).
CASES = [
    ("rgb_to_grayscale", (IMGS,), {}),
    ("rgb_to_grayscale", (IMGS_CF,), dict(data_format="channels_first")),
    ("rgb_to_grayscale", ((IMGS * 255).astype("uint8"),), {}),
    ("rgb_to_hsv", (IMGS,), {}),
    ("rgb_to_hsv", (IMGS_CF,), dict(data_format="channels_first")),
    ("hsv_to_rgb", (IMGS,), {}),
    ("hsv_to_rgb", (IMGS_CF[0],), dict(data_format="channels_first")),
    ("resize", (IMGS, (4, 7)), {}),
    ("resize", (IMGS_CF, (3, 3)), dict(interpolation="bicubic", crop_to_aspect_ratio=True,
                                       data_format="channels_first")),
    ("resize", (ONE, (5, 9)), dict(interpolation="nearest", pad_to_aspect_ratio=True,
                                   fill_value=0.5)),
    ("resize", ((IMGS * 255).astype("uint8"), (4, 4)), dict(antialias=True)),
    ("affine_transform", (IMGS, AFFINE), {}),
    ("affine_transform", (IMGS_CF, AFFINE), dict(interpolation="nearest",
                                                     fill_mode="wrap",
                                                     data_format="channels_first")),
    ("affine_transform", (ONE, AFFINE[1]), dict(fill_mode="mirror")),
    ("affine_transform", (IMGS, AFFINE), dict(fill_mode="reflect", fill_value=0.3)),
    ("perspective_transform", (IMGS, np.stack([START, START]), END), {}),
    ("perspective_transform", (IMGS_CF, np.stack([START, START]), END),
     dict(interpolation="nearest", fill_value=0.7, data_format="channels_first")),
    ("perspective_transform", (ONE, START, END[0]), {}),
    ("map_coordinates", (IMGS[0], COORDS, 1), {}),
    ("map_coordinates", (IMGS[0], COORDS, 0), dict(fill_mode="nearest")),
    ("map_coordinates", (IMGS[0], COORDS, 1), dict(fill_mode="constant", fill_value=2.0)),
    ("pad_images", (IMGS, 1, 2), dict(bottom_padding=0, target_width=9)),
    ("pad_images", (IMGS_CF[0],), dict(top_padding=1, bottom_padding=2, left_padding=0,
                                       right_padding=3, data_format="channels_first")),
    ("crop_images", (IMGS, 1, 2), dict(bottom_cropping=2, target_width=2)),
    ("crop_images", (IMGS_CF[0],), dict(top_cropping=1, target_height=4, right_cropping=1,
                                        target_width=3, data_format="channels_first")),
    ("gaussian_blur", (IMGS,), dict(kernel_size=(3, 3), sigma=(1.0, 1.0),
                                    data_format="channels_last")),
    ("gaussian_blur", (IMGS_CF,), dict(kernel_size=(5, 3), sigma=(2.0, 0.7),
                                       data_format="channels_first")),
    ("extract_patches", (IMGS, (2, 2)), {}),
    ("extract_patches", (IMGS, 3), dict(strides=1, padding="same")),
    ("extract_patches", (IMGS_CF[0], (2, 3)), dict(strides=(1, 2),
                                                  data_format="channels_first")),
    ("extract_patches", (IMGS, (2, 2)), dict(strides=1, dilation_rate=2)),
    ("extract_patches", (VOLS, (2, 2, 2)), {}),
    ("extract_patches_3d", (VOLS, (2, 3, 2)), dict(strides=1)),
    ("extract_patches_3d", (VOLS[0], 2), dict(padding="same")),
    ("scale_and_translate", (IMGS, (2, 9, 4, 3), np.array([1.5, 0.8], "float32"),
                             np.array([0.5, -1.0], "float32"), (1, 2), "bilinear"), {}),
    ("scale_and_translate", (IMGS, (2, 3, 5, 3), np.array([0.5, 1.0], "float32"),
                             np.array([0.0, 0.0], "float32"), (1, 2), "lanczos3"),
     dict(antialias=False)),
    ("sobel_edges", (IMGS,), {}),
    ("sobel_edges", (IMGS_CF,), dict(data_format="channels_first")),
    ("ssim", (IMGS, IMGS[::-1]), dict(filter_size=3)),
    ("ssim", (IMGS_CF[0], IMGS_CF[1]), dict(filter_size=5, filter_sigma=1.0, max_val=2.0,
                                            data_format="channels_first")),
    ("elastic_transform", (IMGS,), "noise-sampler"),
]

# Every keras.ops.image name is in CASES; nothing is omitted.
OMITTED = set()


def _keras_call(keras, name, args, kwargs):
    if name == "gaussian_blur":
        kwargs = dict(kwargs, kernel_size=kwargs["kernel_size"][::-1],
                      sigma=kwargs["sigma"][::-1])
    return getattr(keras.ops.image, name)(*args, **kwargs)


def test_every_keras_image_op_is_covered(keras):
    names = {n for n in dir(keras.ops.image) if not n.startswith("_")}
    assert set(image_ops.__all__) == names
    assert {c[0] for c in CASES} | OMITTED == names
    assert jl.ops.image is image_ops


@pytest.mark.parametrize("case", [c for c in CASES if isinstance(c[2], dict)],
                         ids=lambda c: c[0])
def test_matches_keras_eager_and_jit(case, keras):
    name, args, kwargs = case
    expected = np.asarray(_keras_call(keras, name, args, kwargs))
    fn = getattr(image_ops, name)
    eager = fn(*args, **kwargs)
    arrays = [i for i, a in enumerate(args) if isinstance(a, np.ndarray)]

    def traced(*values):
        full = list(args)
        for i, v in zip(arrays, values):
            full[i] = v
        return fn(*full, **kwargs)

    jitted = jax.jit(traced)(*[args[i] for i in arrays])
    for got in (eager, jitted):
        assert got.shape == expected.shape
        assert jnp.dtype(got.dtype) == expected.dtype
        np.testing.assert_allclose(np.asarray(got, "float64"), expected.astype("float64"),
                                   rtol=1e-5, atol=2e-5 if expected.dtype.kind == "f" else 1)


def test_elastic_transform_matches_keras_given_its_fields(keras):
    # Keras 3.15 draws both displacement fields from one key; with that same
    # field passed twice our sampler must give Keras's numbers exactly.
    x = RNG.random((2, 12, 10, 2)).astype("float32")
    alpha, sigma, seed = 3.0, 1.5, 7
    keras_key = jnp.asarray([seed, 0], jnp.uint32)
    field = jax.random.normal(keras_key, (2, 12, 10), jnp.float32)
    for kw in (dict(interpolation="bilinear", fill_mode="reflect"),
               dict(interpolation="nearest", fill_mode="constant", fill_value=0.5)):
        expected = keras.ops.image.elastic_transform(x, alpha, sigma, seed=seed,
                                                     data_format="channels_last", **kw)
        got = augment.elastic_displace(x, jnp.stack([field, field]), alpha, sigma,
                                       int(6 * sigma) | 1, 1 if kw["interpolation"] ==
                                       "bilinear" else 0, kw["fill_mode"],
                                       kw.get("fill_value", 0.0))
        np.testing.assert_allclose(got, expected, atol=1e-5)
    # The public op draws the horizontal field exactly as Keras does.
    noise = augment.elastic_noise(jnp.asarray([seed, 0], jnp.uint32), (2, 12, 10),
                                  jnp.float32)
    np.testing.assert_array_equal(noise[0], field)
    assert not np.allclose(noise[1], field)


def test_elastic_transform_keys_layouts_and_jit():
    x = RNG.random((2, 9, 8, 1)).astype("float32")
    a = image_ops.elastic_transform(x, 4.0, 1.0, seed=jax.random.key(1))
    np.testing.assert_array_equal(a, image_ops.elastic_transform(x, 4.0, 1.0,
                                                                 seed=jax.random.key(1)))
    assert not np.allclose(a, image_ops.elastic_transform(x, 4.0, 1.0,
                                                          seed=jax.random.key(2)))
    assert not np.allclose(a, x)
    step = jax.jit(lambda v, k: image_ops.elastic_transform(v, 4.0, 1.0, seed=k))
    np.testing.assert_allclose(step(x, jax.random.key(1)), a, atol=1e-6)
    first = image_ops.elastic_transform(np.transpose(x, (0, 3, 1, 2)), 4.0, 1.0, seed=3,
                                        data_format="channels_first")
    np.testing.assert_allclose(np.transpose(first, (0, 2, 3, 1)),
                               image_ops.elastic_transform(x, 4.0, 1.0, seed=3), atol=1e-6)
    assert image_ops.elastic_transform(x[0], 4.0, 1.0, seed=3).shape == x[0].shape
    with pytest.raises(errors.KeyRequiredError, match="seed=jax.random.key"):
        jax.jit(lambda v: image_ops.elastic_transform(v))(x)


def test_gaussian_blur_follows_documented_axes():
    # kernel_size and sigma are (height, width): a tall kernel spreads a dot along rows.
    dot = jnp.zeros((1, 7, 7, 1)).at[0, 3, 3, 0].set(1.0)
    out = image_ops.gaussian_blur(dot, kernel_size=(5, 1), sigma=(1.0, 1.0))[0, :, :, 0]
    taps = np.exp(-np.arange(-2.0, 3.0) ** 2 / 2.0)                 # float64 reference
    want = np.zeros((7, 7))
    want[1:6, 3] = taps / taps.sum()
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-7)


def test_hand_computed_values():
    gray = image_ops.rgb_to_grayscale(np.array([[[1.0, 2.0, 3.0]]], "float32"))
    np.testing.assert_allclose(gray, [[[0.2989 + 2 * 0.587 + 3 * 0.114]]], rtol=1e-6)
    hsv = image_ops.rgb_to_hsv(np.array([[[0.0, 0.5, 1.0]]], "float32"))
    np.testing.assert_allclose(hsv, [[[7 / 12, 1.0, 1.0]]], rtol=1e-6)
    patches = image_ops.extract_patches(np.arange(16.0).reshape(4, 4, 1), 2)
    assert patches[0, 1].tolist() == [2.0, 3.0, 6.0, 7.0]
    np.testing.assert_allclose(image_ops.ssim(IMGS, IMGS, filter_size=3), [1.0, 1.0], rtol=1e-6)


def test_default_data_format_is_the_global_setting():
    jl.backend.set_image_data_format("channels_first")
    try:
        np.testing.assert_allclose(image_ops.rgb_to_grayscale(IMGS_CF),
                                   image_ops.rgb_to_grayscale(IMGS_CF,
                                                              data_format="channels_first"))
    finally:
        jl.backend.set_image_data_format("channels_last")


def test_errors():
    with pytest.raises(errors.ShapeError, match="ops.rgb_to_grayscale expects images of rank 3"):
        image_ops.rgb_to_grayscale(np.ones((4, 4)))
    with pytest.raises(errors.ShapeError, match="must have 3 \\(RGB\\) or 1"):
        image_ops.rgb_to_grayscale(np.ones((4, 4, 2)))
    with pytest.raises(errors.DataError, match="`images` must be a float array"):
        image_ops.rgb_to_hsv(np.ones((4, 4, 3), "uint8"))
    with pytest.raises(errors.ShapeError, match="must have 3 channels"):
        image_ops.hsv_to_rgb(np.ones((4, 4, 4)))
    with pytest.raises(errors.ConfigError, match="`size` must be a pair of positive ints"):
        image_ops.resize(IMGS, (0, 3))
    with pytest.raises(errors.ConfigError, match="`interpolation` must be one of"):
        image_ops.resize(IMGS, (2, 3), interpolation="area")
    with pytest.raises(errors.ConfigError, match="`fill_mode` must be one of \\('constant',\\)"):
        image_ops.resize(IMGS, (2, 3), fill_mode="reflect")
    with pytest.raises(errors.ConfigError, match="only one of `crop_to_aspect_ratio`"):
        image_ops.resize(IMGS, (2, 3), crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)
    with pytest.raises(errors.ConfigError, match="`data_format` must be one of"):
        image_ops.resize(IMGS, (2, 3), data_format="NHWC")
    with pytest.raises(errors.ShapeError, match="`transform` must have shape \\(8,\\)"):
        image_ops.affine_transform(IMGS, np.ones((2, 6)))
    with pytest.raises(errors.ConfigError, match="`fill_mode` must be one of"):
        image_ops.affine_transform(IMGS, AFFINE, fill_mode="edge")
    with pytest.raises(errors.ShapeError, match="`start_points` must have shape \\(4, 2\\)"):
        image_ops.perspective_transform(IMGS, np.ones((3, 2)), np.ones((3, 2)))
    with pytest.raises(errors.ShapeError, match="must have the same shape"):
        image_ops.perspective_transform(IMGS, START, END)
    with pytest.raises(errors.ShapeError, match="one row per axis of `inputs` \\(3\\)"):
        image_ops.map_coordinates(ONE, COORDS[:2], 1)
    with pytest.raises(errors.ConfigError, match="`order` must be one of \\(0, 1\\)"):
        image_ops.map_coordinates(ONE, COORDS, 3)
    with pytest.raises(errors.ConfigError, match="give exactly two of `top_padding`"):
        image_ops.pad_images(IMGS, 1, 1, 1, 1, target_height=9)
    with pytest.raises(errors.ConfigError, match="`left_padding` must be a non-negative int"):
        image_ops.pad_images(IMGS, 1, -1, bottom_padding=1, right_padding=1)
    with pytest.raises(errors.ConfigError, match="`top_padding` must be >= 0 for images of 6"):
        image_ops.pad_images(IMGS, bottom_padding=1, target_height=3, left_padding=0,
                             right_padding=0)
    with pytest.raises(errors.ConfigError, match="`bottom_cropping` must be >= 0 for images"):
        image_ops.crop_images(IMGS, 4, 0, target_height=4, target_width=2)
    with pytest.raises(errors.ConfigError, match="`target_width` must be >= 0 for images of 5"):
        image_ops.crop_images(IMGS, 0, 3, target_height=4, right_cropping=3)
    with pytest.raises(errors.ConfigError, match="`method` must be one of"):
        image_ops.scale_and_translate(IMGS, (2, 3, 3, 3), np.ones(2), np.zeros(2), (1, 2),
                                      "area")
    with pytest.raises(errors.ShapeError, match="ops.sobel_edges expects images of rank 4"):
        image_ops.sobel_edges(ONE)
    with pytest.raises(errors.ShapeError, match="`image1` and `image2` must have the same"):
        image_ops.ssim(IMGS, IMGS[:1])
    with pytest.raises(errors.ConfigTypeError, match="`size` must be an int or a tuple"):
        image_ops.extract_patches(IMGS, "2")
    with pytest.raises(errors.ConfigError, match="tuple of 2 or 3 ints"):
        image_ops.extract_patches(IMGS, (2, 2, 2, 2))
    with pytest.raises(errors.ShapeError, match="must have rank 4 \\(one\\) or 5"):
        image_ops.extract_patches_3d(IMGS[0], 2)
    with pytest.raises(errors.ConfigError, match="`kernel_size` must be positive"):
        image_ops.gaussian_blur(IMGS, (0, 3))
    with pytest.raises(errors.ConfigTypeError, match="`sigma` must be a Python number"):
        image_ops.elastic_transform(IMGS, sigma=jnp.array(1.0), seed=0)
    with pytest.raises(errors.ConfigTypeError, match="`seed` must be an int, a jax.random.key"):
        image_ops.elastic_transform(IMGS, seed="a")
