"""Issue 5/7 audit: output shapes in Functional models, and layer sweeps vs Keras and NumPy.

* Every registered case of the conv, pooling, reshaping, merging, normalization,
  regularization, attention and activation families: ``compute_output_shape``
  equals the real output shape, with known and ``None`` batch, and a Functional
  model built on ``jl.Input`` (``None`` batch) gives the layer's own outputs,
  before and after a save/load round trip.
* Convolution and pooling layers over covering sets of padding / strides /
  dilation / data_format, against Keras 3 with the same weights.
* Reshaping and merging layers against direct float64 NumPy references.
"""

import importlib
import itertools

import jax
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers import layers
from tests.cases import case_ids

_FAMILIES = ("conv", "pooling", "reshaping", "merging", "normalization", "regularization",
             "attention", "activation")
CASES = [c for f in _FAMILIES for c in importlib.import_module(f"tests.cases.{f}").CASES]


def _shapes(tree):
    return jax.tree.map(lambda a: tuple(a.shape), tree)


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_compute_output_shape_functional_none_batch_and_save_load(case, tmp_path):
    rng = np.random.default_rng(0)
    xs = case.make_inputs(rng)
    shapes = [tuple(x.shape) for x in xs]
    unknown = [(None,) + s[1:] for s in shapes]
    layer = case.cls(**case.kwargs)
    symbolic = [jl.Input(shape=s[1:]) for s in shapes]
    sym_out = layer(*case.call_args(symbolic), **case.call_kwargs)
    model = jl.Model(symbolic if len(symbolic) > 1 else symbolic[0], sym_out)
    real = layer(*case.call_args(xs), **case.call_kwargs)
    # With return_attention_scores the layer returns (output, scores); compute_output_shape
    # describes the output, as in Keras.
    first = real[0] if isinstance(real, tuple) else real
    if case.list_input:
        known_shape, none_shape = (layer.compute_output_shape(shapes),
                                   layer.compute_output_shape(unknown))
    else:
        known_shape, none_shape = (layer.compute_output_shape(*shapes),
                                   layer.compute_output_shape(*unknown))
    assert tuple(known_shape) == first.shape
    assert tuple(none_shape) == (None,) + first.shape[1:]
    sym_shapes = jax.tree.map(lambda t: tuple(t.shape), sym_out,
                              is_leaf=lambda t: hasattr(t, "shape"))
    assert sym_shapes == jax.tree.map(lambda s: (None,) + s[1:], _shapes(real),
                                      is_leaf=lambda t: isinstance(t, tuple)
                                      and all(isinstance(d, int) for d in t))
    arg = xs if len(xs) > 1 else xs[0]
    out = model(arg)
    for a, b in zip(jax.tree.leaves(out), jax.tree.leaves(real)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)
    model.save(tmp_path / "m.keras")
    restored = jl.saving.load_model(tmp_path / "m.keras")
    for a, b in zip(jax.tree.leaves(restored(arg)), jax.tree.leaves(real)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)


# --------------------------------------------------------------------------- Keras sweeps
_SIZES = {1: (9,), 2: (7, 6), 3: (5, 4, 5)}
# (padding, strides, dilation_rate, data_format): each padding, stride and dilation
# appears with both data formats (Keras forbids strides > 1 with dilation > 1).
_CONV_COMBOS = [("valid", 1, 2, "channels_first"), ("same", 2, 1, "channels_last"),
                ("same", 1, 2, "channels_first"), ("valid", 2, 1, "channels_last"),
                ("same", 1, 1, "channels_last"), ("valid", 1, 1, "channels_first")]
_CONV_SPECS = [
    ("Conv1D", 1, dict(filters=3)), ("Conv2D", 2, dict(filters=4, groups=2)),
    ("Conv3D", 3, dict(filters=2)), ("DepthwiseConv1D", 1, dict(depth_multiplier=2)),
    ("DepthwiseConv2D", 2, dict()), ("SeparableConv1D", 1, dict(filters=3)),
    ("SeparableConv2D", 2, dict(filters=3, depth_multiplier=2)),
    ("Conv1DTranspose", 1, dict(filters=3)), ("Conv2DTranspose", 2, dict(filters=3)),
    ("Conv3DTranspose", 3, dict(filters=2)),
]


def _image(rng, rank, data_format, channels):
    spatial = _SIZES[rank]
    shape = (2,) + spatial + (channels,) if data_format == "channels_last" else \
        (2, channels) + spatial
    return rng.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("name,rank,base", _CONV_SPECS, ids=[s[0] for s in _CONV_SPECS])
def test_conv_layers_match_keras_over_padding_stride_dilation_format(name, rank, base, rng):
    keras = pytest.importorskip("keras")
    combos = list(_CONV_COMBOS)
    if name == "Conv1D":
        combos += [("causal", 1, 2, "channels_last"), ("causal", 2, 1, "channels_first")]
    for padding, stride, dilation, data_format in combos:
        kwargs = dict(base, kernel_size=3 if rank < 3 else 2, strides=stride,
                      dilation_rate=dilation, padding=padding, data_format=data_format)
        x = _image(rng, rank, data_format, channels=4)
        ours, theirs = getattr(layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs)
        theirs.build(x.shape)
        ours.build(x.shape)
        weights = [rng.standard_normal(w.shape).astype(np.float32) for w in theirs.weights]
        theirs.set_weights(weights)
        ours.set_weights(weights)
        y = ours(x)
        np.testing.assert_allclose(y, theirs(x), rtol=1e-4, atol=1e-4, err_msg=str(kwargs))
        unknown = (None,) + x.shape[1:]
        assert ours.compute_output_shape(unknown) == tuple(theirs.compute_output_shape(unknown))
        assert ours.compute_output_shape(x.shape) == y.shape


@pytest.mark.parametrize("name", [f"{k}Pooling{r}D" for k in ("Max", "Average")
                                  for r in (1, 2, 3)])
def test_pooling_layers_match_keras_over_padding_stride_format(name, rng):
    keras = pytest.importorskip("keras")
    rank = int(name[-2])
    combos = [("valid", 2, None, "channels_last"), ("same", 3, 2, "channels_first"),
              ("same", 2, 1, "channels_last"), ("valid", 3, 1, "channels_first"),
              ("same", 2, None, "channels_first"), ("valid", 3, 2, "channels_last")]
    for padding, pool, stride, data_format in combos:
        kwargs = dict(pool_size=pool, strides=stride, padding=padding, data_format=data_format)
        x = _image(rng, rank, data_format, channels=3)
        ours, theirs = getattr(layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs)
        y = ours(x)
        np.testing.assert_allclose(y, theirs(x), rtol=1e-5, atol=1e-5, err_msg=str(kwargs))
        unknown = (None,) + x.shape[1:]
        assert ours.compute_output_shape(unknown) == tuple(theirs.compute_output_shape(unknown))


def test_global_pooling_and_upsampling_match_keras(rng):
    keras = pytest.importorskip("keras")
    for kind, rank, keepdims, data_format in itertools.product(
            ("Max", "Average"), (1, 2, 3), (False, True), ("channels_last", "channels_first")):
        name = f"Global{kind}Pooling{rank}D"
        kwargs = dict(keepdims=keepdims, data_format=data_format)
        x = _image(rng, rank, data_format, channels=3)
        np.testing.assert_allclose(getattr(layers, name)(**kwargs)(x),
                                   getattr(keras.layers, name)(**kwargs)(x), rtol=1e-5,
                                   atol=1e-6, err_msg=f"{name} {kwargs}")
    for interpolation, data_format in itertools.product(
            ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5"),
            ("channels_last", "channels_first")):
        kwargs = dict(size=(2, 3), interpolation=interpolation, data_format=data_format)
        x = _image(rng, 2, data_format, channels=2)
        np.testing.assert_allclose(layers.UpSampling2D(**kwargs)(x),
                                   keras.layers.UpSampling2D(**kwargs)(x), rtol=1e-5,
                                   atol=1e-5, err_msg=str(kwargs))


# --------------------------------------------------------------------------- NumPy references
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
