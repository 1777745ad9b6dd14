"""Pooling, reshaping and merging layers: Keras parity, shapes, masks, errors, functional forms."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers import layers
from jaxlayers.errors import ConfigError, ConfigTypeError, ShapeError
from tests.helpers import random_image
from tests.test_ops_conv import ref_pool

# (class name, kwargs, input shapes); several shapes means a merge layer called on a list.
CONFIGS = [
    ("MaxPooling1D", dict(), [(2, 7, 3)]),
    ("MaxPooling2D", dict(pool_size=3, strides=2, padding="same"), [(2, 7, 6, 3)]),
    ("MaxPooling3D", dict(data_format="channels_first"), [(1, 2, 4, 5, 4)]),
    ("AveragePooling1D", dict(pool_size=2, padding="same", data_format="channels_first"),
     [(2, 3, 7)]),
    ("AveragePooling2D", dict(pool_size=(3, 2), strides=(2, 1), padding="same"),
     [(2, 7, 6, 3)]),
    ("AveragePooling3D", dict(pool_size=2, strides=1), [(1, 3, 3, 3, 2)]),
    ("GlobalMaxPooling1D", dict(keepdims=True), [(2, 7, 3)]),
    ("GlobalMaxPooling2D", dict(data_format="channels_first"), [(2, 3, 4, 5)]),
    ("GlobalMaxPooling3D", dict(), [(2, 3, 4, 5, 2)]),
    ("GlobalAveragePooling1D", dict(data_format="channels_first"), [(2, 3, 7)]),
    ("GlobalAveragePooling2D", dict(keepdims=True), [(2, 4, 5, 3)]),
    ("GlobalAveragePooling3D", dict(keepdims=True, data_format="channels_first"),
     [(2, 3, 4, 5, 2)]),
    ("Reshape", dict(target_shape=(-1, 4)), [(2, 3, 8)]),
    ("Reshape", dict(target_shape=(4, 2, 3)), [(2, 24)]),
    ("Flatten", dict(data_format="channels_first"), [(2, 3, 4, 5)]),
    ("Flatten", dict(), [(2,)]),
    ("RepeatVector", dict(n=3), [(2, 4)]),
    ("Permute", dict(dims=(3, 1, 2)), [(2, 3, 4, 5)]),
    ("Cropping1D", dict(cropping=(1, 2)), [(2, 7, 3)]),
    ("Cropping2D", dict(cropping=((1, 0), (2, 1)), data_format="channels_first"),
     [(2, 3, 7, 6)]),
    ("Cropping2D", dict(cropping=(1, 2)), [(2, 5, 6, 3)]),
    ("Cropping3D", dict(cropping=1), [(1, 4, 5, 6, 2)]),
    ("UpSampling1D", dict(size=3), [(2, 4, 3)]),
    ("UpSampling2D", dict(size=(2, 3), interpolation="bilinear"), [(2, 4, 5, 3)]),
    ("UpSampling2D", dict(size=2, interpolation="bicubic", data_format="channels_first"),
     [(2, 3, 4, 5)]),
    ("UpSampling2D", dict(size=(3, 2)), [(2, 4, 5, 3)]),
    ("UpSampling3D", dict(size=(1, 2, 3), data_format="channels_first"), [(1, 2, 2, 3, 4)]),
    ("ZeroPadding1D", dict(padding=(1, 2)), [(2, 4, 3)]),
    ("ZeroPadding2D", dict(padding=((1, 0), (2, 3)), data_format="channels_first"),
     [(2, 3, 4, 5)]),
    ("ZeroPadding3D", dict(padding=(1, 0, 2)), [(1, 2, 3, 4, 2)]),
    ("Add", dict(), [(2, 4, 3), (2, 3), (2, 1, 3)]),
    ("Subtract", dict(), [(2, 3), (2, 1)]),
    ("Multiply", dict(), [(2, 3), (2, 3), (2, 3)]),
    ("Average", dict(), [(2, 5, 3), (2, 5, 1)]),
    ("Maximum", dict(), [(2, 3), (2, 3)]),
    ("Minimum", dict(), [(2, 5, 3), (2, 5, 3)]),
    ("Concatenate", dict(axis=1), [(2, 3, 4), (2, 5, 4)]),
    ("Concatenate", dict(), [(2, 3, 4), (2, 3, 1)]),
    ("Dot", dict(axes=2), [(2, 3, 4), (2, 5, 4)]),
    ("Dot", dict(axes=1), [(2, 4), (2, 4)]),
    ("Dot", dict(axes=(1, 2), normalize=True), [(2, 4, 3), (2, 5, 4)]),
    ("Dot", dict(axes=(1, 1)), [(2, 4, 3, 2), (2, 4, 5)]),
]


def _ids(configs):
    return [f"{name}-{i}" for i, (name, _, _) in enumerate(configs)]


def _layer_and_inputs(rng, name, kwargs, shapes):
    """``(layer, argument, unknown)``: several shapes make a merge layer's list argument."""
    ours = getattr(layers, name)(**kwargs)
    xs = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    merge = len(shapes) > 1
    unknown = [(None,) + s[1:] for s in shapes] if merge else (None,) + shapes[0][1:]
    return ours, (xs if merge else xs[0]), unknown


@pytest.mark.parametrize("name,kwargs,shapes", CONFIGS, ids=_ids(CONFIGS))
def test_output_shapes(rng, name, kwargs, shapes):
    """compute_output_shape == real shape, with a None batch and on symbolic inputs."""
    ours, arg, unknown = _layer_and_inputs(rng, name, kwargs, shapes)
    merge = len(shapes) > 1
    y = ours(arg)
    known = list(shapes) if merge else shapes[0]
    assert ours.compute_output_shape(known) == y.shape
    assert ours.compute_output_shape(unknown) == (None,) + y.shape[1:]
    symbolic = [jl.Input(shape=s[1:]) for s in shapes]
    assert ours(symbolic if merge else symbolic[0]).shape == (None,) + y.shape[1:]


@pytest.mark.parametrize("name,kwargs,shapes", CONFIGS, ids=_ids(CONFIGS))
def test_keras_parity(rng, name, kwargs, shapes, keras):
    """Same outputs, output shapes and config as Keras."""
    ours, arg, unknown = _layer_and_inputs(rng, name, kwargs, shapes)
    y = ours(arg)
    theirs = getattr(keras.layers, name)(**kwargs)
    np.testing.assert_allclose(y, theirs(arg), rtol=1e-5, atol=1e-5)
    assert tuple(theirs.compute_output_shape(unknown)) == ours.compute_output_shape(unknown)
    ours_config, their_config = ours.get_config(), theirs.get_config()
    assert set(ours_config) == set(their_config)
    for key, value in their_config.items():
        if key not in ("name", "dtype"):
            assert ours_config[key] == value, key


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_pooling_layers_match_float64_reference(rng, padding):
    x = rng.standard_normal((2, 7, 5, 3)).astype(np.float32)
    for cls, mode in ((layers.MaxPooling2D, "max"), (layers.AveragePooling2D, "average")):
        y = cls(pool_size=(3, 2), strides=(2, 2), padding=padding)(x)
        np.testing.assert_allclose(y, ref_pool(x, (3, 2), (2, 2), padding, "channels_last",
                                               mode), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layers.GlobalMaxPooling2D()(x), x.max((1, 2)), rtol=1e-6)


@pytest.mark.parametrize("name", [f"{k}Pooling{r}D" for k in ("Max", "Average")
                                  for r in (1, 2, 3)])
def test_pooling_layers_match_keras_over_padding_stride_format(name, rng, keras):
    rank = int(name[-2])
    combos = [("valid", 2, None, "channels_last"), ("same", 3, 2, "channels_first"),
              ("same", 2, 1, "channels_last"), ("valid", 3, 1, "channels_first"),
              ("same", 2, None, "channels_first"), ("valid", 3, 2, "channels_last")]
    for padding, pool, stride, data_format in combos:
        kwargs = dict(pool_size=pool, strides=stride, padding=padding, data_format=data_format)
        x = random_image(rng, rank, data_format, channels=3)
        ours, theirs = getattr(layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs)
        y = ours(x)
        np.testing.assert_allclose(y, theirs(x), rtol=1e-5, atol=1e-5, err_msg=str(kwargs))
        unknown = (None,) + x.shape[1:]
        assert ours.compute_output_shape(unknown) == tuple(theirs.compute_output_shape(unknown))


def test_global_pooling_and_upsampling_match_keras(rng, keras):
    for kind, rank, keepdims, data_format in itertools.product(
            ("Max", "Average"), (1, 2, 3), (False, True), ("channels_last", "channels_first")):
        name = f"Global{kind}Pooling{rank}D"
        kwargs = dict(keepdims=keepdims, data_format=data_format)
        x = random_image(rng, rank, data_format, channels=3)
        np.testing.assert_allclose(getattr(layers, name)(**kwargs)(x),
                                   getattr(keras.layers, name)(**kwargs)(x), rtol=1e-5,
                                   atol=1e-6, err_msg=f"{name} {kwargs}")
    for interpolation, data_format in itertools.product(
            ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5"),
            ("channels_last", "channels_first")):
        kwargs = dict(size=(2, 3), interpolation=interpolation, data_format=data_format)
        x = random_image(rng, 2, data_format, channels=2)
        np.testing.assert_allclose(layers.UpSampling2D(**kwargs)(x),
                                   keras.layers.UpSampling2D(**kwargs)(x), rtol=1e-5,
                                   atol=1e-5, err_msg=str(kwargs))


def test_hand_computed_reshaping():
    x = jnp.arange(6.0).reshape(1, 3, 2)
    np.testing.assert_array_equal(layers.Cropping1D((1, 1))(x), [[[2.0, 3.0]]])
    np.testing.assert_array_equal(layers.ZeroPadding1D((1, 0))(x)[0, :, 0], [0, 0, 2, 4])
    np.testing.assert_array_equal(layers.UpSampling1D(2)(x)[0, :, 1], [1, 1, 3, 3, 5, 5])
    np.testing.assert_array_equal(layers.Permute((2, 1))(x)[0], [[0, 2, 4], [1, 3, 5]])
    np.testing.assert_array_equal(layers.Reshape((-1,))(x)[0], np.arange(6.0))
    np.testing.assert_array_equal(layers.RepeatVector(2)(x[:, 0])[0], [[0, 1], [0, 1]])
    image = jnp.arange(4.0).reshape(1, 2, 2, 1)
    np.testing.assert_array_equal(layers.UpSampling2D(2)(image)[0, :, :, 0],
                                  [[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]])


def test_reshape_with_unknown_sizes():
    layer = layers.Reshape((-1, 4))
    assert layer.compute_output_shape((None, None, 8)) == (None, None, 4)
    assert layers.Flatten().compute_output_shape((None, None, 3)) == (None, None)
    assert layer(jl.Input(shape=(None, 8))).shape == (None, None, 4)
    y, _ = jax.jit(layer.apply)({}, {}, jnp.ones((3, 5, 8)))
    assert y.shape == (3, 10, 4)


def _bilinear_ref(x, sy, sx):
    """Half-pixel-centre bilinear upsampling of ``(batch, h, w, c)``, edges clamped."""
    x = np.asarray(x, np.float64)

    def axis_weights(n, s):
        src = np.clip((np.arange(n * s) + 0.5) / s - 0.5, 0, n - 1)
        lo = np.floor(src).astype(int)
        hi = np.minimum(lo + 1, n - 1)
        w = src - lo
        m = np.zeros((n * s, n))
        m[np.arange(n * s), lo] += 1 - w
        m[np.arange(n * s), hi] += w
        return m

    wy, wx = axis_weights(x.shape[1], sy), axis_weights(x.shape[2], sx)
    return np.einsum("Yh,Xw,bhwc->bYXc", wy, wx, x)


def test_reshaping_layers_match_float64_numpy(rng):
    x = rng.standard_normal((2, 4, 5, 3)).astype(np.float32)
    xd = x.astype(np.float64)
    np.testing.assert_allclose(layers.UpSampling2D((2, 3), interpolation="bilinear")(x),
                               _bilinear_ref(xd, 2, 3), rtol=1e-5, atol=1e-5)
    xc = np.moveaxis(x, -1, 1)
    np.testing.assert_allclose(
        layers.UpSampling2D(2, interpolation="bilinear", data_format="channels_first")(xc),
        np.moveaxis(_bilinear_ref(xd, 2, 2), -1, 1), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(layers.UpSampling2D((2, 3))(x),
                                  np.repeat(np.repeat(x, 2, 1), 3, 2))
    x5 = rng.standard_normal((2, 2, 3, 4, 3)).astype(np.float32)
    np.testing.assert_array_equal(
        layers.UpSampling3D((1, 2, 3), data_format="channels_first")(x5),
        np.repeat(np.repeat(x5, 2, 3), 3, 4))
    np.testing.assert_array_equal(layers.Cropping2D(((1, 0), (2, 1)))(x), x[:, 1:, 2:-1])
    np.testing.assert_array_equal(
        layers.Cropping3D(((1, 0), (0, 1), (1, 1)), data_format="channels_first")(x5),
        x5[:, :, 1:, :-1, 1:-1])
    np.testing.assert_array_equal(layers.ZeroPadding2D(((1, 0), (2, 1)))(x),
                                  np.pad(x, [(0, 0), (1, 0), (2, 1), (0, 0)]))
    np.testing.assert_array_equal(
        layers.ZeroPadding3D((1, 0, 2), data_format="channels_first")(x5),
        np.pad(x5, [(0, 0), (0, 0), (1, 1), (0, 0), (2, 2)]))
    np.testing.assert_array_equal(layers.Permute((3, 1, 2))(x), np.transpose(x, (0, 3, 1, 2)))
    np.testing.assert_array_equal(layers.Flatten(data_format="channels_first")(xc),
                                  x.reshape(2, -1))
    np.testing.assert_array_equal(layers.Reshape((-1, 5))(x), x.reshape(2, -1, 5))
    np.testing.assert_array_equal(layers.RepeatVector(4)(x[:, 0, 0]),
                                  np.repeat(x[:, 0, 0][:, None], 4, 1))


# --------------------------------------------------------------------------- masks
def test_global_average_pooling_1d_mask(rng):
    x = rng.standard_normal((2, 5, 3)).astype(np.float32)
    mask = np.array([[1, 1, 0, 0, 1], [0, 1, 1, 1, 1]], bool)
    want = np.stack([x[i][mask[i]].mean(0) for i in range(2)])
    layer = layers.GlobalAveragePooling1D()
    np.testing.assert_allclose(layer(x, mask=mask), want, rtol=1e-5, atol=1e-6)
    y, _, aux = layer.apply_with_aux({}, {}, x, mask=mask)
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-6)
    assert aux["mask"] is None and layer.compute_mask(x, mask) is None
    first = layers.GlobalAveragePooling1D(data_format="channels_first", keepdims=True)
    np.testing.assert_allclose(first(np.moveaxis(x, -1, 1), mask=mask)[..., 0], want,
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(ShapeError, match=r"GlobalAveragePooling1D 'gap': `mask` must have "
                                         r"shape \(batch, steps\) = \(2, 5\)"):
        layers.GlobalAveragePooling1D(name="gap")(x, mask=mask[:, :4])


def test_global_average_pooling_1d_mask_matches_keras(rng, keras):
    x = rng.standard_normal((2, 5, 3)).astype(np.float32)
    mask = np.array([[1, 1, 0, 0, 1], [0, 1, 1, 1, 1]], bool)
    layer = layers.GlobalAveragePooling1D()
    np.testing.assert_allclose(layer(x, mask=mask),
                               keras.layers.GlobalAveragePooling1D()(x, mask=mask),
                               rtol=1e-5, atol=1e-6)


def _masked_pair(rng):
    """Two sequences whose masked steps are all zeros (what keras.layers.Masking gives)."""
    a = rng.standard_normal((2, 4, 3)).astype(np.float32)
    b = rng.standard_normal((2, 4, 3)).astype(np.float32)
    a[0, 1:] = 0.0
    b[0, 2] = 0.0
    b[1, 3] = 0.0
    return a, b, np.any(a != 0, -1), np.any(b != 0, -1)


def _keras_masked(keras, layer, xs):
    """A Keras model: Masking on each input, then ``layer``: masks flow as in a real model."""
    inputs = [keras.Input(shape=x.shape[1:]) for x in xs]
    out = layer([keras.layers.Masking()(t) for t in inputs])
    return np.asarray(keras.Model(inputs, out)(xs))


_MERGES = ["Maximum", "Minimum", "Multiply", "Add", "Average", "Subtract", "Concatenate"]


@pytest.mark.parametrize("name", _MERGES)
def test_merge_masks(rng, name):
    a, b, ma, mb = _masked_pair(rng)
    layer = getattr(layers, name)()
    _, _, aux = layer.apply_with_aux({}, {}, [a, b], mask=[ma, mb])
    np.testing.assert_array_equal(aux["mask"], ma | mb)
    if name != "Concatenate":       # Concatenate stands in all-True for a missing mask
        assert layer.compute_mask([a, b], [ma, None]) is None


@pytest.mark.parametrize("name", _MERGES)
def test_merge_masks_match_keras(rng, name, keras):
    a, b, ma, mb = _masked_pair(rng)
    layer = getattr(layers, name)()
    y, _, aux = layer.apply_with_aux({}, {}, [a, b], mask=[ma, mb])
    theirs = getattr(keras.layers, name)()
    np.testing.assert_allclose(y, _keras_masked(keras, theirs, [a, b]), rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(aux["mask"], theirs.compute_mask([a, b], [ma, mb]))


def test_masked_maximum_and_multiply_by_hand():
    a = jnp.array([[[1.0], [5.0]]])
    b = jnp.array([[[-3.0], [-4.0]]])
    ma, mb = jnp.array([[True, False]]), jnp.array([[True, True]])
    # Step 1 of `a` is masked: Maximum takes `b` there even though it is smaller.
    np.testing.assert_array_equal(layers.Maximum()([a, b], mask=[ma, mb])[0, :, 0], [1, -4])
    # Masked entries count as 1 in a product.
    np.testing.assert_array_equal(layers.Multiply()([a, b], mask=[ma, mb])[0, :, 0], [-3, -4])
    np.testing.assert_array_equal(layers.Multiply()([a, b])[0, :, 0], [-3, -20])


def test_concatenate_and_dot_masks(rng):
    a, b, ma, mb = _masked_pair(rng)
    time_cat = layers.Concatenate(axis=1)
    np.testing.assert_array_equal(time_cat.compute_mask([a, b], [ma, None]),
                                  np.concatenate([ma, np.ones_like(mb)], axis=1))
    assert time_cat.compute_mask([a, b], [None, None]) is None
    np.testing.assert_array_equal(layers.Concatenate().compute_mask([a, b], [ma, None]),
                                  np.ones_like(ma))
    assert layers.Dot(axes=2).compute_mask([a, b], [ma, mb]) is None
    with pytest.raises(ShapeError, match=r"Add 'm': `mask` must be a list with one entry"):
        layers.Add(name="m").compute_mask([a, b], ma)


def test_concatenate_mask_matches_keras(rng, keras):
    a, b, ma, _ = _masked_pair(rng)
    time_cat = layers.Concatenate(axis=1)
    np.testing.assert_array_equal(time_cat.compute_mask([a, b], [ma, None]),
                                  keras.layers.Concatenate(axis=1).compute_mask(
                                      [a, b], [ma, None]))


def test_merging_layers_match_float64_numpy(rng):
    a = rng.standard_normal((2, 3, 4)).astype(np.float32)
    b = rng.standard_normal((2, 5, 4)).astype(np.float32)
    c = rng.standard_normal((2, 1, 4)).astype(np.float32)
    ad, bd, cd = (v.astype(np.float64) for v in (a, b, c))
    np.testing.assert_allclose(layers.Dot(axes=2)([a, b]), np.einsum("btd,bsd->bts", ad, bd),
                               rtol=1e-5, atol=1e-5)
    an = ad / np.linalg.norm(ad, axis=1, keepdims=True)
    bn = bd[:, :3, :3] / np.linalg.norm(bd[:, :3, :3], axis=2, keepdims=True)
    np.testing.assert_allclose(layers.Dot(axes=(1, 2), normalize=True)([a, b[:, :3, :3]]),
                               np.einsum("btd,bst->bds", an, bn), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(layers.Add()([a, c]), ad + cd, rtol=1e-6)
    np.testing.assert_allclose(layers.Subtract()([a, c]), ad - cd, rtol=1e-6)
    np.testing.assert_allclose(layers.Multiply()([a, c, a]), ad * cd * ad, rtol=1e-5)
    np.testing.assert_allclose(layers.Average()([a, c]), (ad + cd) / 2, rtol=1e-6)
    np.testing.assert_allclose(layers.Maximum()([a, c]), np.maximum(ad, cd))
    np.testing.assert_allclose(layers.Minimum()([a, c]), np.minimum(ad, cd))
    # A lower-rank input gets size-1 axes after the batch axis (Keras's rule).
    np.testing.assert_allclose(layers.Add()([a, c[:, 0]]), ad + cd, rtol=1e-6)
    np.testing.assert_array_equal(layers.Concatenate(axis=1)([a, b]),
                                  np.concatenate([a, b], 1))


def test_global_max_pooling_1d_ignores_masks_like_keras(rng):
    a, _, ma, _ = _masked_pair(rng)
    a[0, 1:] = -5.0       # masked steps below every real value, so a max never picks them
    layer = layers.GlobalMaxPooling1D()
    y, _, aux = layer.apply_with_aux({}, {}, a, mask=ma)
    np.testing.assert_allclose(y, a.max(1))
    assert aux["mask"] is None


# --------------------------------------------------------------------------- functional forms
def test_functional_forms_on_arrays_and_symbolic_tensors(rng):
    a = rng.standard_normal((2, 3)).astype(np.float32)
    b = rng.standard_normal((2, 3)).astype(np.float32)
    forms = {
        "add": a + b, "subtract": a - b, "multiply": a * b, "average": (a + b) / 2,
        "maximum": np.maximum(a, b), "minimum": np.minimum(a, b),
        "concatenate": np.concatenate([a, b], -1), "dot": np.sum(a * b, -1, keepdims=True),
    }
    for name, want in forms.items():
        fn = getattr(layers, name)
        np.testing.assert_allclose(fn([a, b]), want, rtol=1e-5, atol=1e-6, err_msg=name)
        sa, sb = jl.Input(shape=(3,)), jl.Input(shape=(3,))
        out = fn([sa, sb])
        assert out.shape == (None,) + want.shape[1:], name
        model = jl.Model([sa, sb], out)
        np.testing.assert_allclose(model([a, b]), want, rtol=1e-5, atol=1e-6, err_msg=name)
    assert layers.concatenate([a, b], axis=0).shape == (4, 3)
    assert layers.dot([a, b], axes=1, normalize=True).shape == (2, 1)
    assert layers.add([a, b], name="plus") is not None


# --------------------------------------------------------------------------- errors
def test_config_errors():
    p = {"name": "p"}
    cases = [
        (lambda: layers.MaxPooling2D(0, **p), r"MaxPooling2D 'p': .*`pool_size`"),
        (lambda: layers.AveragePooling1D(2, padding="causal"), r"`padding` must be one of"),
        (lambda: layers.GlobalMaxPooling1D(keepdims="yes"), r"`keepdims` must be a bool"),
        (lambda: layers.Reshape((-1, -1), **p), r"Reshape 'p': `target_shape` may contain at "
                                                r"most one -1"),
        (lambda: layers.Reshape((2, -3)), r"`target_shape` must be a tuple of non-negative"),
        (lambda: layers.Permute((1, 3), **p), r"Permute 'p': `dims` must be a permutation"),
        (lambda: layers.RepeatVector(0, **p), r"RepeatVector 'p': `n` must be a positive int"),
        (lambda: layers.UpSampling2D(interpolation="area"), r"`interpolation` must be one of"),
        (lambda: layers.UpSampling1D(size=1.5), r"`size` must be a positive int"),
        (lambda: layers.Cropping2D(((1, 2, 3), 1), **p), r"Cropping2D 'p': .*`cropping`"),
        (lambda: layers.ZeroPadding3D((1, 2), **p), r"ZeroPadding3D 'p': `padding`"),
        (lambda: layers.Dot(axes=(1, 2, 3), **p), r"Dot 'p': `axes` must be an int or a pair"),
    ]
    for make, match in cases:
        with pytest.raises((ConfigError, ConfigTypeError), match=match):
            make()


def test_shape_errors_name_the_layer_and_shapes():
    checks = [
        (lambda: layers.MaxPooling2D(3, name="mp").build((None, 2, 8, 3)),
         r"MaxPooling2D 'mp': pool_size=\(3, 3\) is larger than the input's spatial size "
         r"\(2, 8\).*\(None, 2, 8, 3\)"),
        (lambda: layers.AveragePooling1D(2, name="ap")(jnp.ones((2, 3, 4, 5))),
         r"AveragePooling1D 'ap'.*expected ndim=3"),
        (lambda: layers.GlobalAveragePooling2D(name="g").compute_output_shape((None, 3)),
         r"GlobalAveragePooling2D 'g' expects inputs of rank 4"),
        (lambda: layers.Reshape((5, 5), name="r").build((None, 3, 8)),
         r"Reshape 'r': cannot reshape inputs of shape \(None, 3, 8\) \(24 values per "
         r"example\) to target_shape=\(5, 5\)"),
        (lambda: layers.Reshape((-1, 5), name="r")(jnp.ones((2, 3, 8))),
         r"Reshape 'r': cannot reshape inputs of shape \(2, 3, 8\)"),
        (lambda: layers.Cropping2D(2, name="c").build((None, 4, 9, 3)),
         r"Cropping2D 'c': cropping .* removes all of the input .* \(None, 4, 9, 3\)"),
        (lambda: layers.Add(name="a")([jnp.ones((2, 3)), jnp.ones((2, 4))]),
         r"Add 'a': the inputs' shapes do not broadcast together.*\[\(2, 3\), \(2, 4\)\]"),
        (lambda: layers.Add(name="a")(jnp.ones((2, 3))),
         r"Add 'a' must be called on a list of inputs"),
        (lambda: layers.Multiply(name="a")([jnp.ones((2, 3)), jnp.ones((3, 3))]),
         r"Multiply 'a': all inputs must have the same batch size"),
        (lambda: layers.Subtract(name="s")([jnp.ones((2, 3))] * 3),
         r"Subtract 's' must be called on exactly 2 inputs. Received 3"),
        (lambda: layers.Concatenate(name="c").build([(None, 3, 4), (None, 2, 4)]),
         r"Concatenate 'c': inputs must have the same rank and matching sizes.*"
         r"\[\(None, 3, 4\), \(None, 2, 4\)\]"),
        (lambda: layers.Dot(axes=1, name="d").build([(None, 3), (None, 4)]),
         r"Dot 'd': the contracted axes differ in size: axis 1 of the first input has 3"),
        (lambda: layers.Dot(axes=0, name="d").build([(None, 3), (None, 3)]),
         r"Dot 'd': axes=0 must name a non-batch axis"),
    ]
    for make, match in checks:
        with pytest.raises(ShapeError, match=match):
            make()
    # Built layers check the shapes of every later call, before any math.
    add = layers.Add(name="late")
    add([jnp.ones((2, 3)), jnp.ones((2, 3))])
    with pytest.raises(ShapeError, match="Add 'late'"):
        add([jnp.ones((2, 3)), jnp.ones((2, 5))])


def test_adaptive_pooling_layers_match_keras(rng, keras):
    # Uneven sizes, so neighbouring bins overlap; both data formats.
    for rank, size, out in ((1, (7,), 3), (2, (7, 5), (3, 2)), (3, (5, 4, 3), 2)):
        for mode in ("Max", "Average"):
            for data_format in ("channels_last", "channels_first"):
                name = f"Adaptive{mode}Pooling{rank}D"
                shape = ((2,) + size + (3,) if data_format == "channels_last"
                         else (2, 3) + size)
                x = rng.standard_normal(shape).astype(np.float32)
                kwargs = dict(output_size=out, data_format=data_format)
                ours = getattr(layers, name)(**kwargs)
                theirs = getattr(keras.layers, name)(**kwargs)
                np.testing.assert_allclose(ours(x), theirs(x), rtol=1e-5, atol=1e-6,
                                           err_msg=f"{name} {data_format}")
                assert ours.compute_output_shape(shape) == theirs.compute_output_shape(shape)


def test_adaptive_pooling_rejects_a_bad_output_size():
    with pytest.raises(ConfigError, match=r"AdaptiveMaxPooling2D .*`output_size` must be an "
                                          r"int or a tuple of 2 ints"):
        layers.AdaptiveMaxPooling2D(output_size=(2, 2, 2))
