"""Bad inputs to built-in layers: shapes, masks and None are refused with the layer's
name (and, under jit, before tracing)."""

import jax
import jax.numpy as jnp
import pytest

import jaxlayers
from jaxlayers import layers
from jaxlayers.errors import ShapeError
from tests.cases import all_cases, case_ids

_CASES = all_cases()


# --------------------------------------------------------------------------- shapes and masks
def _spec(*shape):
    return jax.ShapeDtypeStruct(shape, jnp.float32)


def test_bad_shapes_raise_before_tracing_under_jit():
    k = jax.random.key(0)
    checks = [
        (layers.Conv2D(2, 5, name="cv"), [_spec(1, 3, 3, 2)],
         r"Conv2D 'cv': the kernel .* larger than the input's spatial size \(3, 3\)"),
        (layers.SeparableConv1D(2, 5, name="sp"), [_spec(1, 3, 2)],
         r"SeparableConv1D 'sp': the kernel .*\(1, 3, 2\)"),
        (layers.Conv2DTranspose(2, 3, name="ct"), [_spec(3, 3, 2)],
         r"Conv2DTranspose 'ct'.*expected ndim=4.*\(3, 3, 2\)"),
        (layers.Conv1D(4, 3, groups=2, name="g"), [_spec(1, 5, 3)],
         r"Conv1D 'g': the input's 3 channels cannot be split into groups=2"),
        (layers.MaxPooling1D(5, name="mp"), [_spec(1, 3, 2)],
         r"MaxPooling1D 'mp': pool_size=\(5,\) is larger"),
        (layers.Reshape((5, 5), name="rs"), [_spec(1, 3, 8)],
         r"Reshape 'rs': cannot reshape inputs of shape \(1, 3, 8\)"),
        (layers.Add(name="ad"), [[_spec(1, 3), _spec(1, 4)]],
         r"Add 'ad': the inputs' shapes do not broadcast.*\[\(1, 3\), \(1, 4\)\]"),
        (layers.Concatenate(name="cc"), [[_spec(1, 3, 2), _spec(1, 4, 3)]],
         r"Concatenate 'cc': .*\[\(1, 3, 2\), \(1, 4, 3\)\]"),
        (layers.MultiHeadAttention(2, 3, name="mh"), [_spec(2, 3, 4), _spec(3, 5, 4)],
         r"MultiHeadAttention 'mh': query and value must agree on axis 0"),
        (layers.GroupQueryAttention(2, 2, 1, name="gq"), [_spec(2, 3, 4), _spec(2, 5)],
         r"GroupedQueryAttention 'gq'"),
        (layers.BatchNormalization(axis=3, name="bn"), [_spec(2, 3, 4)],
         r"BatchNormalization 'bn': axis 3 does not exist for inputs of rank 3"),
        (layers.GroupNormalization(groups=3, name="gn"), [_spec(2, 3, 4)],
         r"GroupNormalization 'gn': `groups` must divide the number of channels"),
    ]
    for layer, args, match in checks:
        with pytest.raises(ShapeError, match=match):
            jax.jit(layer.init)(k, *args)


def test_masks_of_the_wrong_shape_are_shape_errors():
    x = jnp.ones((2, 3, 2))
    wrong = jnp.ones((2, 4), bool)
    with pytest.raises(ShapeError, match=r"Add 'ad': mask 0 must have the shape of input 0 "
                                         r"without its feature axis, \(2, 3\).*"
                                         r"mask.shape=\(2, 4\)"):
        layers.Add(name="ad")([x, x], mask=[wrong, None])
    with pytest.raises(ShapeError, match=r"Maximum 'mx': mask 1 must have"):
        jax.jit(lambda a, m: layers.Maximum(name="mx").apply({}, {}, [a, a],
                                                             mask=[None, m])[0])(x, wrong)
    with pytest.raises(ShapeError, match=r"Concatenate 'cc': mask 1 must have"):
        layers.Concatenate(name="cc").compute_mask([x, x], [None, wrong])
    # A full-shape mask is fine for Concatenate (as in Keras).
    full = layers.Concatenate(axis=1).compute_mask([x, x], [jnp.ones((2, 3, 2), bool), None])
    assert full.shape == (2, 6)
    with pytest.raises(ShapeError, match=r"BatchNormalization 'bn': the mask must have the "
                                         r"inputs' shape without the last axis, \(2, 3\)"):
        layers.BatchNormalization(name="bn")(x, training=True, mask=wrong)
    mha = layers.MultiHeadAttention(2, 3, name="mh")
    params, state = mha.init(jax.random.key(0), x, x)
    with pytest.raises(ShapeError, match=r"MultiHeadAttention 'mh': `query_mask` must have the "
                                         r"shape of its input"):
        jax.jit(lambda m: mha.apply(params, state, x, x, mask=m)[0])(wrong)
    with pytest.raises(ShapeError, match=r"Attention 'at': query_mask must have shape \(2, 3\)"):
        layers.Attention(name="at")([x, x], mask=[wrong, None])
    with pytest.raises(ShapeError, match=r"Softmax 'sm': the mask must broadcast"):
        jax.jit(layers.Softmax(name="sm").apply)({}, {}, x, mask=wrong)


# --------------------------------------------------------------------------- None
@pytest.mark.parametrize("cls", ["StringLookup", "TextVectorization"])
@pytest.mark.parametrize("inputs", [[None], ["a", None]], ids=["list", "entry"])
def test_string_layers_refuse_none_as_input(cls, inputs):
    layer = getattr(jaxlayers.layers, cls)(vocabulary=["a", "b"], name="strings")
    with pytest.raises(jaxlayers.errors.DTypeError,
                       match=rf"^{cls} 'strings': inputs must be strings \(str or bytes\), not "
                             rf"None\. Received: inputs="):
        layer(inputs)


@pytest.mark.parametrize("case", _CASES, ids=case_ids(_CASES))
def test_every_layer_names_none_as_its_input(case):
    layer = case.cls(**case.kwargs)
    with pytest.raises(jaxlayers.errors.DTypeError,
                       match=rf"^{type(layer).__name__} '{layer.name}' was called with None as "
                             r"its input\. Expected an array"):
        layer(None)
