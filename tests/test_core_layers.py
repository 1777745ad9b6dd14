"""Core layers against float64 NumPy references and Keras 3 (same weights in, same outputs)."""

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers import errors

L = jl.layers


def test_dense_numpy_reference(rng):
    x = rng.standard_normal((4, 5)).astype(np.float32)
    layer = L.Dense(3, activation="tanh")
    layer.build((None, 5))
    k, b = rng.standard_normal((5, 3)), rng.standard_normal(3)
    layer.set_weights([k, b])
    np.testing.assert_allclose(layer(x), np.tanh(x.astype(np.float64) @ k + b), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("kwargs, shape", [
    (dict(units=4, activation="relu"), (3, 5)),
    (dict(units=2, use_bias=False), (2, 3, 5)),
])
def test_dense_matches_keras(kwargs, shape, rng, keras):
    x = rng.standard_normal(shape).astype(np.float32)
    kl = keras.layers.Dense(**kwargs)
    expected = np.asarray(kl(x))
    jl_layer = L.Dense(**kwargs)
    jl_layer.build(shape)
    jl_layer.set_weights(kl.get_weights())
    np.testing.assert_allclose(jl_layer(x), expected, rtol=1e-5, atol=1e-6)
    assert [w.shape for w in jl_layer.weights] == [tuple(w.shape) for w in kl.weights]
    assert set(kl.get_config()) - {"quantization_config"} == set(jl_layer.get_config())


@pytest.mark.parametrize("equation, out, bias, shape", [
    ("ab,bc->ac", (6,), "c", (2, 3)),
    ("abc,cde->abde", (None, 2, 4), "de", (2, 5, 3)),
    ("...b,bc->...c", (4,), None, (2, 5, 3)),
    ("abc,bcd->ad", (7,), "d", (2, 5, 3)),
    ("ab...,bc->ac...", (4,), "c", (2, 3, 5)),
])
def test_einsum_dense_matches_keras_and_numpy(equation, out, bias, shape, rng, keras):
    x = rng.standard_normal(shape).astype(np.float32)
    kl = keras.layers.EinsumDense(equation, out, bias_axes=bias)
    expected = np.asarray(kl(x))
    layer = L.EinsumDense(equation, out, bias_axes=bias)
    layer.build(shape)
    assert [w.shape for w in layer.weights] == [tuple(w.shape) for w in kl.weights]
    weights = [rng.standard_normal(w.shape) for w in layer.weights]
    layer.set_weights(weights)
    kl.set_weights(weights)
    np.testing.assert_allclose(layer(x), np.asarray(kl(x)), rtol=1e-5, atol=1e-5)
    ref = np.einsum(equation, x.astype(np.float64), weights[0])
    if bias:
        ref = ref + weights[1]
    np.testing.assert_allclose(layer(x), ref, rtol=1e-5, atol=1e-5)
    assert expected.shape == layer(x).shape


@pytest.mark.parametrize("equation, out, input_shape", [
    ("ab,bc->ac", (4,), (None, 3)),
    ("abc,cd->abd", (None, 4), (None, None, 3)),
    ("abc,cd->abd", (None, 4), (2, 5, 3)),
    ("abc,cde->abde", (None, 2, 4), (None, 5, 3)),
    ("...b,bc->...c", (4,), (None, None, 3)),
    ("ab...,bc->ac...", (4,), (None, 3, None)),
    ("abc,cd->ad", (4,), (None, None, 3)),
    ("abcd,cde->abe", (None, 4), (None, None, 3, 5)),
    ("abc,bcd->ad", (4,), (None, None, 3)),
])
def test_einsum_dense_output_shape_matches_keras_with_unknown_sizes(equation, out,
                                                                   input_shape, keras):
    expected = keras.layers.EinsumDense(equation, out).compute_output_shape(input_shape)
    assert L.EinsumDense(equation, out).compute_output_shape(input_shape) == tuple(expected)


def test_einsum_dense_bad_equation():
    with pytest.raises(errors.ConfigError, match="`equation` must look like"):
        L.EinsumDense("ab->c", 3)
    with pytest.raises(errors.ConfigError, match="bias axis 'z'"):
        L.EinsumDense("ab,bc->ac", 3, bias_axes="z").build((2, 4))


def test_embedding_and_mask_zero_match_keras(rng, keras):
    ids = np.array([[1, 2, 0, 4], [0, 0, 3, 9]], np.int32)
    kl = keras.layers.Embedding(10, 3, mask_zero=True)
    kl.build(ids.shape)
    layer = L.Embedding(10, 3, mask_zero=True)
    layer.build(ids.shape)
    layer.set_weights(kl.get_weights())
    np.testing.assert_allclose(layer(ids), np.asarray(kl(ids)), rtol=1e-6)
    np.testing.assert_array_equal(layer.compute_mask(ids), np.asarray(kl.compute_mask(ids)))
    np.testing.assert_allclose(layer(ids), layer.get_weights()[0][ids])
    with pytest.raises(errors.ConfigError, match="input_dim"):
        L.Embedding(0, 3)


@pytest.mark.parametrize("bad, where", [(10, "(0, 3)"), (-1, "(1, 0)"), (57, "(0, 3)")])
def test_embedding_eager_call_refuses_indices_out_of_range(bad, where):
    layer = L.Embedding(10, 3, name="emb")
    ids = np.array([[1, 2, 0, 4], [0, 0, 3, 9]], np.int32)
    layer(ids)
    ids[tuple(int(i) for i in where.strip("()").split(","))] = bad
    with pytest.raises(errors.DataError,
                       match=rf"^Embedding 'emb': indices must be in \[0, 10\) \(input_dim=10\)\. "
                             rf"Received: index {bad} at position {re.escape(where)}\."):
        layer(ids)
    model = jl.Sequential([jl.Input((4,), dtype="int32"), layer])
    with pytest.raises(errors.DataError, match=r"Embedding 'emb': indices must be in"):
        model(ids)


def test_embedding_out_of_range_under_jit_gives_keras_numbers(keras):
    ids = np.array([[1, 12, 0, -1], [0, 10, 3, 9]], np.int32)
    kl = keras.layers.Embedding(10, 3)
    kl.build(ids.shape)
    layer = L.Embedding(10, 3)
    layer.build(ids.shape)
    layer.set_weights(kl.get_weights())
    out, _ = jax.jit(layer.apply)(layer.params, layer.state, ids)
    np.testing.assert_allclose(out, np.asarray(kl(ids)), rtol=1e-6, equal_nan=True)
    # Keras on JAX: an index past the end gives a NaN row, -1 the last row.
    assert np.isnan(out[0, 1]).all() and np.isnan(out[1, 1]).all()
    np.testing.assert_allclose(out[0, 3], layer.get_weights()[0][-1])


def test_masking_matches_keras(rng, keras):
    x = rng.standard_normal((2, 4, 3)).astype(np.float32)
    x[0, 1] = 0.0
    x[1, 3] = 0.0
    kl = keras.layers.Masking(0.0)
    layer = L.Masking(0.0)
    np.testing.assert_allclose(layer(x), np.asarray(kl(x)))
    np.testing.assert_array_equal(layer.compute_mask(x), np.asarray(kl.compute_mask(x)))
    _, _, aux = layer.apply_with_aux({}, {}, x)
    np.testing.assert_array_equal(aux["mask"], [[True, False, True, True],
                                                [True, True, True, False]])


@pytest.mark.parametrize("name", ["relu", "softmax", "gelu", "selu", "hard_sigmoid", "mish",
                                  "log_softmax", "silu"])
def test_activation_layer_matches_keras(name, rng, keras):
    x = rng.standard_normal((3, 5)).astype(np.float32)
    np.testing.assert_allclose(L.Activation(name)(x),
                               np.asarray(keras.layers.Activation(name)(x)), rtol=1e-5,
                               atol=1e-6)


def test_identity_and_lambda():
    x = jnp.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(L.Identity()(x), x)
    layer = L.Lambda(lambda t: t * 2 + 1)
    np.testing.assert_array_equal(layer(x), x * 2 + 1)
    assert layer.compute_output_shape((None, 3)) == (None, 3)
    with pytest.raises(errors.ConfigTypeError, match="must be callable"):
        L.Lambda(3)


def test_lambda_source_needs_safe_mode_off():
    from jaxlayers.core.serialization import SafeModeScope

    layer = L.Lambda(lambda t: t * 3.0)
    config = layer.get_config()
    with pytest.raises(errors.UnsafeLoadError, match="safe_mode=False"):
        L.Lambda.from_config(config)
    with SafeModeScope(False):
        clone = L.Lambda.from_config(config)
    np.testing.assert_allclose(clone(jnp.ones(2)), 3.0)


def test_input_and_input_layer():
    x = jl.Input(shape=(4,), name="features", dtype="int32")
    assert x.shape == (None, 4) and x.dtype == jnp.int32 and x.name == "features"
    assert jl.Input(batch_shape=(8, 2)).shape == (8, 2)
    with pytest.raises(errors.ConfigError, match="pass `shape`"):
        jl.Input()


def _square(t):
    return t * t


@pytest.mark.parametrize("name, kwargs", [
    ("Dense", dict(units=3, activation="gelu", kernel_regularizer="l2")),
    ("Dense", dict(units=3, activity_regularizer="l2", dtype="mixed_bfloat16")),
    ("EinsumDense", dict(equation="abc,cd->abd", output_shape=(None, 3), bias_axes="d")),
    ("Activation", dict(activation="relu")),
    ("Embedding", dict(input_dim=5, output_dim=2, mask_zero=True)),
    ("Masking", dict(mask_value=1.0)),
    ("Identity", {}),
    ("Lambda", dict(function=_square)),
    ("Lambda", dict(function=_square, output_shape=(3,))),
    ("InputLayer", dict(shape=(3,))),
])
def test_config_keys_match_keras_and_keras_configs_load(name, kwargs, keras):
    keras_config = getattr(keras.layers, name)(**kwargs).get_config()
    keras_config.pop("quantization_config", None)
    ours = getattr(L, name)(**kwargs).get_config()
    assert set(ours) == set(keras_config)
    if name != "Lambda":  # Keras stores Lambda functions as marshalled bytecode
        loaded = getattr(L, name).from_config(keras_config)
        assert set(loaded.get_config()) == set(keras_config)


def test_masking_float64_reference(rng):
    x = rng.standard_normal((2, 5, 3))
    x[0, 2] = 0.5
    x[1, [0, 4]] = 0.5
    x[1, 1, 0] = 0.5  # only one feature equal: not masked
    layer = L.Masking(mask_value=0.5)
    keep = np.any(x != 0.5, axis=-1)
    out, _, aux = layer.apply_with_aux({}, {}, x.astype(np.float32))
    np.testing.assert_allclose(out, x * keep[..., None], rtol=1e-6)
    np.testing.assert_array_equal(aux["mask"], keep)
    np.testing.assert_array_equal(keep, [[1, 1, 0, 1, 1], [0, 1, 1, 1, 0]])


def test_embedding_float64_reference_and_mask_through_apply(rng):
    table = rng.standard_normal((6, 4))
    ids = np.array([[0, 5, 2], [3, 0, 0]], np.int32)
    layer = L.Embedding(6, 4, mask_zero=True, name="emb")
    params = {"emb": {"embeddings": jnp.asarray(table, jnp.float32)}}
    out, state, aux = layer.apply_with_aux(params, {}, ids)
    np.testing.assert_allclose(out, table[ids], rtol=1e-6)
    np.testing.assert_array_equal(aux["mask"], ids != 0)
    assert state == {}
    y, _ = jax.jit(layer.apply)(params, {}, ids)
    np.testing.assert_allclose(y, table[ids], rtol=1e-6)


def test_einsum_dense_activation_and_bias_float64_reference(rng):
    x = rng.standard_normal((2, 3, 4))
    layer = L.EinsumDense("abc,cd->abd", output_shape=(None, 5), bias_axes="d",
                          activation="relu")
    layer.build(x.shape)
    k, b = rng.standard_normal((4, 5)), rng.standard_normal(5)
    layer.set_weights([k, b])
    ref = np.maximum(np.einsum("abc,cd->abd", x, k) + b, 0.0)
    np.testing.assert_allclose(layer(x.astype(np.float32)), ref, rtol=1e-5, atol=1e-5)
    # As in Keras, a size given as None in output_shape stays unknown.
    assert layer.compute_output_shape((None, 3, 4)) == (None, None, 5)


def test_activation_layer_float64_reference_with_arguments():
    x = np.linspace(-3.0, 8.0, 12).reshape(3, 4)
    layer = L.Activation(lambda t: jl.activations.relu(t, max_value=6.0, negative_slope=0.1))
    ref = np.where(x > 0, np.minimum(x, 6.0), 0.1 * x)
    np.testing.assert_allclose(layer(x.astype(np.float32)), ref, rtol=1e-6)
    softmax = L.Activation("softmax")
    e = np.exp(x - x.max(-1, keepdims=True))
    np.testing.assert_allclose(softmax(x.astype(np.float32)), e / e.sum(-1, keepdims=True),
                               rtol=1e-5)


def test_lambda_with_arguments_mask_and_output_shape():
    layer = L.Lambda(lambda t, scale: t * scale, arguments={"scale": 3.0},
                     mask=lambda t, m: t[..., 0] > 0, output_shape=(2,))
    x = np.array([[1.0, 2.0], [-1.0, 0.5]], np.float32)
    out, _, aux = layer.apply_with_aux({}, {}, x)
    np.testing.assert_allclose(out, 3.0 * x)
    np.testing.assert_array_equal(aux["mask"], [True, False])
    assert layer.compute_output_shape((None, 2)) == (None, 2)


def test_dense_bad_inputs_are_named_errors():
    layer = L.Dense(2, name="dd")
    with pytest.raises(errors.ShapeError,
                       match=r"Dense 'dd': the last axis of the input must be known.*"
                             r"Received: input_shape=\(None, None\)"):
        layer.build((None, None))


def test_symbolic_call_of_an_untraceable_lambda_raises_its_own_error():
    # Lambda.compute_output_shape falls back to tracing, which once looped forever.
    inputs = jl.Input((2,))
    layer = L.Lambda(lambda t: t if float(t.sum()) > 0 else -t)
    with pytest.raises(jax.errors.ConcretizationTypeError):
        layer(inputs)
    x = np.array([[1.0, -3.0]], np.float32)
    np.testing.assert_allclose(layer(x), -x)  # eager calls run the Python as written


def test_lambda_source_is_each_functions_own_or_refused(monkeypatch):
    from jaxlayers.layers import core as core_layers

    first, second = L.Lambda(lambda t: t + 1.0, name="a"), L.Lambda(lambda t: t * 2.0, name="b")
    assert first.get_config()["function"]["config"]["source"] == "lambda t: t + 1.0"
    assert second.get_config()["function"]["config"]["source"] == "lambda t: t * 2.0"
    split = L.Lambda(lambda t:
                     t - 1.0)
    assert split.get_config()["function"]["config"]["source"] == "(lambda t:\n" \
        "                     t - 1.0)"
    match = r"Lambda '{}': cannot isolate the source text of .*register_serializable"
    with pytest.raises(errors.SerializationError, match=match.format("made")):
        L.Lambda(eval("lambda t: t"), name="made").get_config()
    # Without instruction columns (Python 3.10) two different lambdas on a line are ambiguous.
    monkeypatch.setattr(core_layers, "_instruction_spans", lambda code: [])
    with pytest.raises(errors.SerializationError, match=match.format("b")):
        second.get_config()
