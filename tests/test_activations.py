"""Activations: float64 NumPy references, Keras as an oracle, jit/grad/vmap, get/serialize."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxlayers import activations
from jaxlayers.core import serialization
from jaxlayers.errors import ConfigTypeError, SerializationError

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_erf = np.vectorize(math.erf)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softplus(x):
    return np.logaddexp(0.0, x)


def _relu_ref(x, negative_slope=0.0, max_value=None, threshold=0.0):
    out = np.where(x > threshold, x, 0.0)
    if max_value is not None:
        out = np.clip(out, 0.0, max_value)
    return out - negative_slope * np.maximum(threshold - x, 0.0)


def _softmax_ref(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax_ref(x, axis=-1):
    z = x - x.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def _glu_ref(x, axis=-1):
    a, b = np.split(x, 2, axis=axis)
    return a * _sigmoid(b)


def _sparsemax_ref(x, axis=-1):
    """Projection onto the simplex, one slice at a time (Martins & Astudillo, 2016)."""
    z = np.moveaxis(x, axis, -1)
    out = np.empty_like(z)
    for idx in np.ndindex(z.shape[:-1]):
        v = z[idx]
        s = np.sort(v)[::-1]
        cumsum = np.cumsum(s)
        k = max(j for j in range(1, len(s) + 1) if 1 + j * s[j - 1] > cumsum[j - 1])
        tau = (cumsum[k - 1] - 1) / k
        out[idx] = np.maximum(v - tau, 0.0)
    return np.moveaxis(out, -1, axis)


# (name, kwargs, float64 reference). Every exported activation appears at least once.
CASES = [
    ("relu", {}, lambda x: np.maximum(x, 0.0)),
    ("relu", {"negative_slope": 0.1}, lambda x: _relu_ref(x, 0.1)),
    ("relu", {"max_value": 6.0}, lambda x: _relu_ref(x, max_value=6.0)),
    ("relu", {"max_value": 2.5}, lambda x: _relu_ref(x, max_value=2.5)),
    ("relu", {"threshold": 0.5}, lambda x: _relu_ref(x, threshold=0.5)),
    ("relu", {"negative_slope": 0.1, "max_value": 2.0}, lambda x: _relu_ref(x, 0.1, 2.0)),
    ("relu", {"negative_slope": 0.3, "max_value": 6.0, "threshold": -1.0},
     lambda x: _relu_ref(x, 0.3, 6.0, -1.0)),
    ("leaky_relu", {}, lambda x: np.where(x > 0, x, 0.2 * x)),
    ("leaky_relu", {"negative_slope": 0.01}, lambda x: np.where(x > 0, x, 0.01 * x)),
    ("relu6", {}, lambda x: np.clip(x, 0.0, 6.0)),
    ("softmax", {}, _softmax_ref),
    ("softmax", {"axis": 0}, lambda x: _softmax_ref(x, axis=0)),
    ("log_softmax", {}, _log_softmax_ref),
    ("log_softmax", {"axis": 0}, lambda x: _log_softmax_ref(x, axis=0)),
    ("elu", {}, lambda x: np.where(x > 0, x, np.expm1(x))),
    ("elu", {"alpha": 0.5}, lambda x: np.where(x > 0, x, 0.5 * np.expm1(x))),
    ("selu", {}, lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x))),
    ("celu", {}, lambda x: np.maximum(x, 0) + np.minimum(0, np.expm1(x))),
    ("celu", {"alpha": 2.0}, lambda x: np.maximum(x, 0) + np.minimum(0, 2.0 * np.expm1(x / 2.0))),
    ("softplus", {}, _softplus),
    ("softsign", {}, lambda x: x / (1.0 + np.abs(x))),
    ("squareplus", {}, lambda x: (x + np.sqrt(x * x + 4.0)) / 2.0),
    ("squareplus", {"b": 1.5}, lambda x: (x + np.sqrt(x * x + 1.5)) / 2.0),
    ("sparse_plus", {}, lambda x: np.where(x <= -1, 0.0, np.where(x >= 1, x, (x + 1) ** 2 / 4))),
    ("soft_shrink", {}, lambda x: np.sign(x) * np.maximum(np.abs(x) - 0.5, 0.0)),
    ("soft_shrink", {"threshold": 1.5}, lambda x: np.sign(x) * np.maximum(np.abs(x) - 1.5, 0.0)),
    ("hard_shrink", {}, lambda x: np.where(np.abs(x) > 0.5, x, 0.0)),
    ("hard_shrink", {"threshold": 1.5}, lambda x: np.where(np.abs(x) > 1.5, x, 0.0)),
    ("threshold", {"threshold": 0.3, "default_value": -2.0}, lambda x: np.where(x > 0.3, x, -2.0)),
    ("silu", {}, lambda x: x * _sigmoid(x)),
    ("swish", {}, lambda x: x * _sigmoid(x)),
    ("hard_silu", {}, lambda x: x * np.clip(x + 3.0, 0.0, 6.0) / 6.0),
    ("hard_swish", {}, lambda x: x * np.clip(x + 3.0, 0.0, 6.0) / 6.0),
    ("gelu", {}, lambda x: 0.5 * x * (1.0 + _erf(x / np.sqrt(2.0)))),
    ("gelu", {"approximate": True},
     lambda x: 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)))),
    ("glu", {}, _glu_ref),
    ("glu", {"axis": 0}, lambda x: _glu_ref(x, axis=0)),
    ("tanh", {}, np.tanh),
    ("tanh_shrink", {}, lambda x: x - np.tanh(x)),
    ("hard_tanh", {}, lambda x: np.clip(x, -1.0, 1.0)),
    ("sigmoid", {}, _sigmoid),
    ("hard_sigmoid", {}, lambda x: np.clip(x + 3.0, 0.0, 6.0) / 6.0),
    ("sparse_sigmoid", {}, lambda x: np.clip((x + 1.0) / 2.0, 0.0, 1.0)),
    ("log_sigmoid", {}, lambda x: -np.logaddexp(0.0, -x)),
    ("exponential", {}, np.exp),
    ("mish", {}, lambda x: x * np.tanh(_softplus(x))),
    ("linear", {}, lambda x: x),
    ("sparsemax", {}, _sparsemax_ref),
    ("sparsemax", {"axis": 0}, lambda x: _sparsemax_ref(x, axis=0)),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for name, kw, _ in CASES]
# Sparsemax is compared with Keras separately (test_sparsemax_matches_keras_where_keras_is_right).
KERAS_CASES = [case for case in CASES if case[0] != "sparsemax"]
KERAS_IDS = [i for i, case in zip(IDS, CASES) if case[0] != "sparsemax"]
FUNCTION_NAMES = sorted(set(activations.__all__) - {"get", "serialize", "deserialize"})


@pytest.fixture(scope="module")
def x():
    """A (4, 6) float32 input spread over [-4, 4], away from the kinks of piecewise functions."""
    values = np.random.default_rng(0).uniform(-4.0, 4.0, size=(4, 6))
    for kink in (-3.0, -1.5, -1.0, -0.5, 0.0, 0.3, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 6.0):
        values = np.where(np.abs(values - kink) < 1e-3, kink + 0.01, values)
    return values.astype(np.float32)


def test_every_case_is_exported_and_every_export_has_a_case():
    assert {name for name, _, _ in CASES} == set(FUNCTION_NAMES)


def test_exports_match_keras(keras):
    keras_names = {n for n in dir(keras.activations) if not n.startswith("_")}
    assert keras_names == set(activations.__all__)


@pytest.mark.parametrize("name,kwargs,ref", CASES, ids=IDS)
def test_matches_float64_numpy(name, kwargs, ref, x):
    out = getattr(activations, name)(jnp.asarray(x), **kwargs)
    assert out.dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(out), ref(x.astype(np.float64)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,kwargs,ref", KERAS_CASES, ids=KERAS_IDS)
def test_matches_keras(name, kwargs, ref, x, keras):
    expected = getattr(keras.activations, name)(x, **kwargs)
    out = getattr(activations, name)(jnp.asarray(x), **kwargs)
    np.testing.assert_allclose(np.asarray(out), np.asarray(expected), rtol=1e-6, atol=1e-7)


def test_sparsemax_matches_keras_where_keras_is_right(keras):
    # Keras 3.15 computes the sparsemax threshold from the sum of the cumulative
    # sums over the support (keras-team/keras#23425, fixed upstream by #23469), so
    # it is only right when the support has one element; compare on such inputs.
    x = np.array([[3.0, 0.5, -1.0, 1.2], [-2.0, 0.1, 4.0, 2.5]], np.float32)
    expected = np.asarray(keras.activations.sparsemax(x))
    np.testing.assert_allclose(np.asarray(activations.sparsemax(x)), expected, rtol=1e-6)


def test_sparsemax_is_a_projection_onto_the_simplex(x):
    out = np.asarray(activations.sparsemax(jnp.asarray(x)))
    np.testing.assert_allclose(out.sum(-1), 1.0, rtol=1e-6)
    assert (out >= 0).all()
    np.testing.assert_allclose(activations.sparsemax(jnp.array([1.0, 0.5, 0.2])), [0.75, 0.25, 0.0])


def test_jit_equals_eager_and_grad_is_finite(x):
    # Every case in one compiled program: the jitted outputs come back as aux of the gradient.
    def loss(v, fn, kwargs):
        out = fn(v, **kwargs)
        return jnp.sum(jnp.sin(out)), out

    def all_cases(v):
        return [jax.grad(loss, has_aux=True)(v, getattr(activations, name), kwargs)
                for name, kwargs, _ in CASES]

    xj = jnp.asarray(x)
    for (grads, out), case_id, (name, kwargs, _) in zip(jax.jit(all_cases)(xj), IDS, CASES):
        eager = getattr(activations, name)(xj, **kwargs)
        np.testing.assert_allclose(np.asarray(out), np.asarray(eager), rtol=1e-6, atol=1e-6,
                                   err_msg=case_id)
        assert grads.shape == x.shape and bool(jnp.all(jnp.isfinite(grads))), case_id


def test_vmap_over_rows_equals_batched_call(x):
    names = ("softmax", "log_softmax", "glu", "sparsemax", "gelu", "relu")
    fns = [getattr(activations, name) for name in names]
    pairs = jax.jit(lambda v: [(jax.vmap(fn)(v), fn(v)) for fn in fns])(jnp.asarray(x))
    for name, (mapped, batched) in zip(names, pairs):
        np.testing.assert_allclose(mapped, batched, rtol=1e-6, atol=1e-7, err_msg=name)


def test_hand_computed_values():
    np.testing.assert_allclose(activations.hard_sigmoid(jnp.array([-3.0, 0.0, 1.5, 3.0])),
                               [0.0, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(
        activations.relu(jnp.array([-2.0, 0.5, 1.0, 3.0]), negative_slope=0.5, max_value=2.0,
                         threshold=0.75), [-1.375, -0.125, 1.0, 2.0])
    np.testing.assert_allclose(activations.softmax(jnp.log(jnp.array([1.0, 3.0]))), [0.25, 0.75])
    assert activations.linear(x := jnp.ones(3)) is x


def test_dtype_is_preserved():
    def all_cases(v):
        return [getattr(activations, name)(v, **kwargs) for name, kwargs, _ in CASES]

    # Traced once under jit: only the output dtypes are needed.
    outs = jax.eval_shape(all_cases, jax.ShapeDtypeStruct((2, 4), jnp.bfloat16))
    for case_id, out in zip(IDS, outs):
        assert out.dtype == jnp.bfloat16, case_id


def test_get_resolves_none_names_callables_and_dicts():
    assert activations.get(None) is activations.linear
    assert activations.get("relu") is activations.relu
    assert activations.get("swish") is activations.silu
    assert activations.get("hard_swish") is activations.hard_silu
    fn = lambda v: v * 2  # noqa: E731
    assert activations.get(fn) is fn
    assert activations.get({"class_name": "function", "config": "tanh"}) is activations.tanh


def test_get_rejects_unknown_names_and_bad_types():
    match = r"Unknown activation: 'relux'\. Known names: \[.*'relu'"
    with pytest.raises(SerializationError, match=match):
        activations.get("relux")
    with pytest.raises(ConfigTypeError, match=r"Received: identifier=42"):
        activations.get(42)


def test_serialize_builtins_to_names_like_keras(keras):
    for name in FUNCTION_NAMES:
        fn = getattr(activations, name)
        keras_fn = getattr(keras.activations, name)
        assert activations.serialize(fn) == keras.activations.serialize(keras_fn)
        assert activations.deserialize(activations.serialize(fn)) is fn


def test_deserialize_reads_keras_output(keras):
    for name in FUNCTION_NAMES:
        config = keras.activations.serialize(getattr(keras.activations, name))
        assert activations.deserialize(config) is getattr(activations, name)


def test_registered_custom_function_round_trips():
    @serialization.register_serializable(package="test_activations")
    def double(v):
        return 2 * v

    config = activations.serialize(double)
    assert config["config"] == "test_activations>double"
    assert activations.deserialize(config) is double
    assert activations.get(config) is double


def test_custom_objects_and_unserializable_functions():
    def triple(v):
        return 3 * v

    assert activations.deserialize("triple", custom_objects={"triple": triple}) is triple
    match = r"Cannot serialize activation .*Received: activation="
    with pytest.raises(SerializationError, match=match):
        activations.serialize(triple)
