"""Convolution layers: Keras parity (weights, config, outputs), shapes, errors, regularizers."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers import layers
from jaxlayers.errors import ConfigError, ShapeError
from tests.helpers import random_image, set_same_random_weights
from tests.test_ops_conv import ref_conv, ref_depthwise

# (class name, kwargs, input shape): every class, every option family.
CONFIGS = [
    ("Conv1D", dict(filters=3, kernel_size=3, padding="causal", dilation_rate=2), (2, 9, 2)),
    ("Conv1D", dict(filters=4, kernel_size=2, strides=2, padding="same", groups=2,
                    data_format="channels_first", activation="tanh"), (2, 4, 7)),
    ("Conv2D", dict(filters=4, kernel_size=3, strides=2, padding="same", activation="relu"),
     (2, 7, 6, 3)),
    ("Conv2D", dict(filters=6, kernel_size=(2, 3), dilation_rate=(2, 1), groups=3,
                    data_format="channels_first", use_bias=False), (2, 3, 7, 6)),
    ("Conv3D", dict(filters=2, kernel_size=2, strides=(1, 2, 1), padding="same"),
     (1, 3, 4, 5, 2)),
    ("Conv1DTranspose", dict(filters=3, kernel_size=4, strides=3, output_padding=2),
     (2, 4, 2)),
    ("Conv2DTranspose", dict(filters=3, kernel_size=3, strides=2, padding="same"),
     (2, 3, 4, 2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=2, dilation_rate=2,
                             data_format="channels_first"), (1, 3, 4, 4)),
    ("Conv3DTranspose", dict(filters=2, kernel_size=3, strides=2, padding="same",
                             output_padding=1), (1, 2, 2, 3, 2)),
    ("DepthwiseConv1D", dict(kernel_size=3, depth_multiplier=2, strides=2), (2, 9, 3)),
    ("DepthwiseConv2D", dict(kernel_size=3, padding="same", dilation_rate=2,
                             data_format="channels_first"), (2, 3, 6, 6)),
    ("SeparableConv1D", dict(filters=4, kernel_size=3, padding="same", depth_multiplier=2),
     (2, 7, 3)),
    ("SeparableConv2D", dict(filters=4, kernel_size=3, strides=2, activation="relu"),
     (2, 7, 7, 3)),
]


def _ids(configs):
    return [f"{name}-{i}" for i, (name, _, _) in enumerate(configs)]


@pytest.mark.parametrize("name,kwargs,shape", CONFIGS, ids=_ids(CONFIGS))
def test_output_shapes(rng, name, kwargs, shape):
    """compute_output_shape == real shape, with a None batch and on a symbolic input."""
    ours = getattr(layers, name)(**kwargs)
    x = rng.standard_normal(shape).astype(np.float32)
    y = ours(x)
    assert ours.compute_output_shape(shape) == y.shape
    assert ours.compute_output_shape((None,) + shape[1:]) == (None,) + y.shape[1:]
    assert ours(jl.Input(shape=shape[1:])).shape == (None,) + y.shape[1:]


@pytest.mark.parametrize("name,kwargs,shape", CONFIGS, ids=_ids(CONFIGS))
def test_keras_parity(rng, name, kwargs, shape, keras):
    """Same weights (names, shapes), outputs, config and output shapes as Keras."""
    ours = getattr(layers, name)(**kwargs)
    x = rng.standard_normal(shape).astype(np.float32)
    theirs = getattr(keras.layers, name)(**kwargs)
    theirs.build(shape)
    ours.build(shape)
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    set_same_random_weights(ours, theirs, rng)
    np.testing.assert_allclose(ours(x), theirs(x), rtol=1e-5, atol=1e-5)
    ours_config, their_config = ours.get_config(), theirs.get_config()
    assert set(ours_config) == set(their_config)
    for key, value in their_config.items():
        if key in ("name", "dtype") or key.endswith(("initializer", "regularizer",
                                                     "constraint")):
            continue
        assert ours_config[key] == value, key
    unknown = (None, shape[1]) + (None,) * (len(shape) - 2) \
        if kwargs.get("data_format") == "channels_first" \
        else (None,) * (len(shape) - 1) + (shape[-1],)
    for batch_shape in [(None,) + shape[1:], unknown]:
        assert tuple(ours.compute_output_shape(batch_shape)) == \
            tuple(theirs.compute_output_shape(batch_shape))


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


@pytest.mark.parametrize("name,rank,base", _CONV_SPECS, ids=[s[0] for s in _CONV_SPECS])
def test_conv_layers_match_keras_over_padding_stride_dilation_format(name, rank, base, rng,
                                                                      keras):
    combos = list(_CONV_COMBOS)
    if name == "Conv1D":
        combos += [("causal", 1, 2, "channels_last"), ("causal", 2, 1, "channels_first")]
    for padding, stride, dilation, data_format in combos:
        kwargs = dict(base, kernel_size=3 if rank < 3 else 2, strides=stride,
                      dilation_rate=dilation, padding=padding, data_format=data_format)
        x = random_image(rng, rank, data_format, channels=4)
        ours, theirs = getattr(layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs)
        theirs.build(x.shape)
        ours.build(x.shape)
        set_same_random_weights(ours, theirs, rng)
        y = ours(x)
        np.testing.assert_allclose(y, theirs(x), rtol=1e-4, atol=1e-4, err_msg=str(kwargs))
        unknown = (None,) + x.shape[1:]
        assert ours.compute_output_shape(unknown) == tuple(theirs.compute_output_shape(unknown))
        assert ours.compute_output_shape(x.shape) == y.shape


def test_conv_layer_matches_float64_reference(rng):
    x = rng.standard_normal((2, 6, 5, 4)).astype(np.float32)
    for data_format in ("channels_last", "channels_first"):
        xin = x if data_format == "channels_last" else np.moveaxis(x, -1, 1)
        layer = layers.Conv2D(6, (3, 2), strides=(2, 1), padding="same", groups=2,
                              activation="relu", data_format=data_format,
                              bias_initializer="random_normal")
        y = layer(xin)
        kernel, bias = (np.asarray(w, np.float64) for w in layer.get_weights())
        ref = ref_conv(xin, kernel, (2, 1), "same", (1, 1), data_format)
        ref = ref + (bias if data_format == "channels_last" else bias[:, None, None])
        np.testing.assert_allclose(y, np.maximum(ref, 0), rtol=2e-5, atol=2e-5)
    dw = layers.DepthwiseConv1D(3, depth_multiplier=2, padding="same",
                                bias_initializer="ones")
    x1 = rng.standard_normal((2, 7, 3)).astype(np.float32)
    y = dw(x1)
    kernel, bias = dw.get_weights()
    ref = ref_depthwise(x1, kernel, (1,), "same", (1,), "channels_last") + bias
    np.testing.assert_allclose(y, ref, rtol=2e-5, atol=2e-5)


def test_pure_pair_and_param_tree():
    layer = layers.SeparableConv2D(8, 3, depth_multiplier=2, name="sep")
    params, state = jax.jit(layer.init)(jax.random.key(0),
                                        jax.ShapeDtypeStruct((4, 9, 9, 3), jnp.float32))
    assert state == {}
    assert jax.tree.map(jnp.shape, params) == {"sep": {
        "bias": (8,), "depthwise_kernel": (3, 3, 3, 2), "pointwise_kernel": (1, 1, 6, 8)}}
    y, new_state = jax.jit(layer.apply)(params, state, jnp.ones((4, 9, 9, 3)))
    assert y.shape == (4, 7, 7, 8) and new_state == {}


def test_regularizers_constraints_and_activity_losses(rng):
    layer = layers.Conv1D(2, 3, kernel_regularizer=jl.regularizers.L2(0.1),
                          bias_regularizer="l1", activity_regularizer=jl.regularizers.L1(0.5),
                          kernel_constraint="non_neg", bias_constraint=jl.constraints.MaxNorm(2))
    x = rng.standard_normal((2, 5, 3)).astype(np.float32)
    params, state = layer.init(jax.random.key(0), x)
    y, _, aux = layer.apply_with_aux(params, state, x)
    kernel = params[layer.name]["kernel"]
    # Keras divides the activity penalty by the batch size.
    expected = [0.5 * jnp.sum(jnp.abs(y)) / x.shape[0], 0.1 * jnp.sum(kernel ** 2)]
    np.testing.assert_allclose(sorted(float(v) for v in aux["losses"][:2]),
                               sorted(float(v) for v in expected), rtol=1e-5)
    assert len(aux["losses"]) == 3
    by_name = {w.name: w for w in layer.weights}
    assert type(by_name["kernel"].constraint).__name__ == "NonNeg"
    assert type(by_name["bias"].constraint).__name__ == "MaxNorm"
    for name in ("DepthwiseConv2D", "SeparableConv2D"):
        kw = dict(depthwise_regularizer="l2", depthwise_constraint="unit_norm")
        if name == "SeparableConv2D":
            kw.update(filters=2, pointwise_regularizer="l2", pointwise_constraint="non_neg")
        sep = getattr(layers, name)(kernel_size=2, **kw)
        sep.build((None, 4, 4, 3))
        assert all(w.regularizer is not None for w in sep.weights if "kernel" in w.name)
        assert all(w.constraint is not None for w in sep.weights if "kernel" in w.name)


def test_aliases_and_registry():
    assert layers.Convolution2D is layers.Conv2D
    assert layers.Convolution3DTranspose is layers.Conv3DTranspose
    assert layers.SeparableConvolution1D is layers.SeparableConv1D
    from jaxlayers.core import serialization

    known = serialization.builtins("layers")
    for alias in ("Convolution1D", "Convolution2DTranspose", "SeparableConvolution2D"):
        assert known[alias] is getattr(layers, alias)


# --------------------------------------------------------------------------- errors
def test_config_errors():
    cases = [
        (lambda: layers.Conv2D(0, 3, name="c"), r"Conv2D 'c': `filters` must be a positive int"),
        (lambda: layers.Conv2D(4, (3, 0), name="c"), r"Conv2D 'c': .*kernel_size.*positive"),
        (lambda: layers.Conv2D(4, (3, 3, 3)), r"`kernel_size` must be an int or a tuple of 2"),
        (lambda: layers.Conv2D(5, 3, groups=2), r"`filters` must be divisible by `groups`"),
        (lambda: layers.Conv2D(4, 3, padding="causal"), r"`padding` must be one of"),
        (lambda: layers.Conv1D(4, 3, padding="full"), r"padding='full'"),
        (lambda: layers.Conv2D(4, 3, strides=2, dilation_rate=2), r"`strides` > 1 cannot"),
        (lambda: layers.Conv2D(4, 3, data_format="NHWC"), r"data_format"),
        (lambda: layers.Conv2DTranspose(4, 3, strides=2, output_padding=2),
         r"`output_padding` must be smaller than the matching stride"),
        (lambda: layers.DepthwiseConv2D(3, depth_multiplier=0), r"`depth_multiplier`"),
        (lambda: layers.SeparableConv1D(-1, 3, name="c"), r"SeparableConv1D 'c': `filters`"),
    ]
    for make, match in cases:
        with pytest.raises(ConfigError, match=match):
            make()


def test_kernel_larger_than_input_is_a_build_error():
    layer = layers.Conv2D(4, 5, name="big")
    with pytest.raises(ShapeError, match=r"Conv2D 'big': the kernel .* is larger than the "
                                         r"input's spatial size \(3, 8\).*\(None, 3, 8, 2\)"):
        layer.build((None, 3, 8, 2))
    with pytest.raises(ShapeError, match="Conv2D 'big'"):
        layer.init(jax.random.key(0), jax.ShapeDtypeStruct((1, 3, 3, 2), jnp.float32))
    # 'same' always fits; dilation makes the kernel span larger.
    assert layers.Conv2D(4, 5, padding="same").compute_output_shape((None, 3, 3, 2)) == \
        (None, 3, 3, 4)
    with pytest.raises(ShapeError, match="DepthwiseConv1D 'dw'.*dilation_rate=\\(3,\\)"):
        layers.DepthwiseConv1D(3, dilation_rate=3, name="dw").build((None, 6, 2))
    # A built layer called on a smaller input fails before any math, naming the shapes.
    ok = layers.Conv1D(2, 3, name="c1")
    ok(jnp.ones((1, 8, 2)))
    with pytest.raises(ShapeError, match=r"Conv1D 'c1'.*\(1, 2, 2\)"):
        ok(jnp.ones((1, 2, 2)))


def test_wrong_rank_and_channels():
    with pytest.raises(ShapeError, match=r"Conv2D 'c2'.*expected ndim=4.*\(5, 5, 3\)"):
        layers.Conv2D(4, 3, name="c2")(jnp.ones((5, 5, 3)))
    with pytest.raises(ShapeError, match=r"Conv3D 'c3' expects inputs of rank 5 \(batch, "
                                         r"depth, height, width, channels\).*x\[None\]"):
        layers.Conv3D(4, 3, name="c3").compute_output_shape((None, 5, 5, 3))
    with pytest.raises(ShapeError, match=r"Conv2D 'g': the input's 5 channels cannot be split "
                                         r"into groups=2.*\(None, 8, 8, 5\)"):
        layers.Conv2D(4, 3, groups=2, name="g").build((None, 8, 8, 5))
    with pytest.raises(ShapeError, match=r"Conv1D 'u': the channel axis .* must be known"):
        layers.Conv1D(4, 3, name="u").build((None, 8, None))
    layer = layers.Conv1D(2, 3, name="c4")
    layer(jnp.ones((1, 5, 3)))
    with pytest.raises(ShapeError, match=r"Conv1D 'c4'.*axis -1.*value 3"):
        layer(jnp.ones((1, 5, 4)))
