"""Regularizers and constraints: NumPy and Keras values, configs, get/serialize, errors."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxlayers import backend, constraints, regularizers
from jaxlayers.errors import ConfigError, ConfigTypeError, SerializationError, ShapeError

EPS = backend.epsilon()


def _orthogonal_penalty_ref(w, factor, mode):
    v = w if mode == "rows" else w.T
    v = v / np.sqrt((v * v).sum(axis=1, keepdims=True))
    gram = v @ v.T
    n = gram.shape[0]
    return factor * 0.5 * np.abs(gram - np.diag(np.diag(gram))).sum() / (n * (n - 1) / 2)


def _norms(w, axis):
    axis = tuple(axis) if isinstance(axis, list) else axis
    return np.sqrt((w * w).sum(axis=axis, keepdims=True))


REGULARIZERS = [
    ("L1", {}, lambda w: 0.01 * np.abs(w).sum()),
    ("L1", {"l1": 0.3}, lambda w: 0.3 * np.abs(w).sum()),
    ("L2", {}, lambda w: 0.01 * (w * w).sum()),
    ("L2", {"l2": 1e-4}, lambda w: 1e-4 * (w * w).sum()),
    ("L1L2", {}, lambda w: 0.0),
    ("L1L2", {"l1": 0.2}, lambda w: 0.2 * np.abs(w).sum()),
    ("L1L2", {"l1": 0.2, "l2": 0.05}, lambda w: 0.2 * np.abs(w).sum() + 0.05 * (w * w).sum()),
    ("OrthogonalRegularizer", {}, lambda w: _orthogonal_penalty_ref(w, 0.01, "rows")),
    ("OrthogonalRegularizer", {"factor": 0.5, "mode": "columns"},
     lambda w: _orthogonal_penalty_ref(w, 0.5, "columns")),
]
CONSTRAINTS = [
    ("MaxNorm", {}, lambda w: w * np.clip(_norms(w, 0), 0, 2) / (EPS + _norms(w, 0))),
    ("MaxNorm", {"max_value": 0.7, "axis": 1},
     lambda w: w * np.clip(_norms(w, 1), 0, 0.7) / (EPS + _norms(w, 1))),
    ("MinMaxNorm", {}, lambda w: w * np.clip(_norms(w, 0), 0, 1) / (EPS + _norms(w, 0))),
    ("MinMaxNorm", {"min_value": 1.5, "max_value": 2.5, "rate": 0.4, "axis": 1},
     lambda w: w * (0.4 * np.clip(_norms(w, 1), 1.5, 2.5) + 0.6 * _norms(w, 1))
     / (EPS + _norms(w, 1))),
    ("NonNeg", {}, lambda w: np.maximum(w, 0)),
    ("UnitNorm", {}, lambda w: w / (EPS + _norms(w, 0))),
    ("UnitNorm", {"axis": 1}, lambda w: w / (EPS + _norms(w, 1))),
]
CONV_CONSTRAINTS = [
    ("MaxNorm", {"max_value": 1.0, "axis": [0, 1, 2]},
     lambda w: w * np.clip(_norms(w, [0, 1, 2]), 0, 1) / (EPS + _norms(w, [0, 1, 2]))),
    ("UnitNorm", {"axis": [0, 1, 2]}, lambda w: w / (EPS + _norms(w, [0, 1, 2]))),
    ("MinMaxNorm", {"min_value": 0.5, "max_value": 0.8, "axis": [0, 1, 2]},
     lambda w: w * np.clip(_norms(w, [0, 1, 2]), 0.5, 0.8) / (EPS + _norms(w, [0, 1, 2]))),
]


def _ids(cases):
    return [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for name, kw, _ in cases]


@pytest.fixture(scope="module")
def w():
    return np.random.default_rng(1).normal(size=(5, 4)).astype(np.float32)


@pytest.fixture(scope="module")
def kernel():
    return np.random.default_rng(2).normal(size=(2, 3, 4, 5)).astype(np.float32) * 0.3


def test_exports_cover_keras(keras):
    pairs = ((keras.regularizers, regularizers), (keras.constraints, constraints))
    for keras_module, module in pairs:
        assert {n for n in dir(keras_module) if not n.startswith("_")} <= set(module.__all__)


# ----------------------------------------------------------------------------- regularizers


@pytest.mark.parametrize("name,kwargs,ref", REGULARIZERS, ids=_ids(REGULARIZERS))
def test_regularizer_values(name, kwargs, ref, w, keras):
    reg = getattr(regularizers, name)(**kwargs)
    out = reg(jnp.asarray(w))
    assert out.shape == () and out.dtype == jnp.float32
    np.testing.assert_allclose(out, ref(w.astype(np.float64)), rtol=1e-5, atol=1e-7)
    # A jax array, not NumPy: Keras's NumPy path of normalize() mishandles axis=0.
    expected = getattr(keras.regularizers, name)(**kwargs)(jnp.asarray(w))
    np.testing.assert_allclose(out, np.asarray(expected), rtol=1e-6, atol=1e-8)


def test_regularizers_under_jit_and_grad(w):
    regs = [getattr(regularizers, name)(**kwargs) for name, kwargs, _ in REGULARIZERS]
    grads, values = jax.jit(jax.grad(lambda v: (sum(r(v) for r in regs), [r(v) for r in regs]),
                                     has_aux=True))(jnp.asarray(w))
    assert bool(jnp.all(jnp.isfinite(grads)))
    for reg, value in zip(regs, values):
        np.testing.assert_allclose(value, reg(jnp.asarray(w)), rtol=1e-6, atol=1e-8)


def test_regularizer_hand_values():
    x = jnp.array([[1.0, -2.0], [0.0, 3.0]])
    assert float(regularizers.L1(0.5)(x)) == 3.0
    assert float(regularizers.L2(0.5)(x)) == 7.0
    assert float(regularizers.L1L2(1.0, 1.0)(x)) == 20.0
    assert float(regularizers.OrthogonalRegularizer(1.0)(jnp.eye(2))) == 0.0
    # Two identical rows: one pair with |cos| = 1, so 1.0 * 0.5 * 2 / 1.
    penalty = regularizers.OrthogonalRegularizer(1.0)(jnp.ones((2, 2)))
    np.testing.assert_allclose(penalty, 1.0, rtol=1e-6)


@pytest.mark.parametrize("name,kwargs,ref", REGULARIZERS, ids=_ids(REGULARIZERS))
def test_regularizer_config_round_trip(name, kwargs, ref, w, keras):
    reg = getattr(regularizers, name)(**kwargs)
    config = reg.get_config()
    serialized = json.loads(json.dumps(regularizers.serialize(reg)))
    assert serialized["class_name"] == name and serialized["module"] == "jaxlayers.regularizers"
    for other in (type(reg).from_config(config), regularizers.deserialize(serialized),
                  regularizers.get(serialized)):
        assert type(other) is type(reg) and other.get_config() == config
        np.testing.assert_array_equal(other(w), reg(w))
    from_keras = regularizers.deserialize(keras.regularizers.serialize(
        getattr(keras.regularizers, name)(**kwargs)))
    assert type(from_keras) is type(reg)
    np.testing.assert_allclose(from_keras(w), reg(w), rtol=1e-6)


@pytest.mark.parametrize("alias,class_name", [
    ("l1", "L1"), ("l2", "L2"), ("l1l2", "L1L2"), ("L1", "L1"), ("L2", "L2"), ("L1L2", "L1L2"),
    ("orthogonal_regularizer", "OrthogonalRegularizer"),
    ("OrthogonalRegularizer", "OrthogonalRegularizer"),
])
def test_regularizer_aliases(alias, class_name, keras):
    assert type(regularizers.get(alias)).__name__ == class_name
    assert type(keras.regularizers.get(alias)).__name__ == class_name
    if alias != "l1l2":
        assert getattr(regularizers, alias) is getattr(regularizers, class_name)


def test_l1_l2_string_alias():
    # Keras 3.15 exports keras.regularizers.l1_l2 but its get() only knows "l1l2".
    assert type(regularizers.get("l1_l2")) is regularizers.L1L2


def test_regularizer_lowercase_constructors_and_get():
    assert regularizers.l2(1e-4).get_config() == {"l2": 1e-4}
    assert regularizers.l1_l2(l1=0.1, l2=0.2).get_config() == {"l1": 0.1, "l2": 0.2}
    assert regularizers.L1(None).l1 == 0.01 and regularizers.L1L2(None, None).l2 == 0.0
    assert regularizers.get(None) is None
    assert isinstance(regularizers.get(regularizers.L2), regularizers.L2)
    fn = lambda x: jnp.sum(x)  # noqa: E731
    assert regularizers.get(fn) is fn


@pytest.mark.parametrize("make,error,match", [
    (lambda: regularizers.L2(-1), ConfigError,
     r"L2: `l2` must be a non-negative finite float\. Received: l2=-1\."),
    (lambda: regularizers.l2("a"), ConfigError, r"Received: l2='a'"),
    (lambda: regularizers.L1(-0.5), ConfigError, r"L1: .*Received: l1=-0\.5"),
    (lambda: regularizers.L1(True), ConfigError, r"Received: l1=True"),
    (lambda: regularizers.L1L2(l1=float("nan")), ConfigError, r"L1L2: .*Received: l1=nan"),
    (lambda: regularizers.L1L2(l2=float("inf")), ConfigError, r"Received: l2=inf"),
    (lambda: regularizers.OrthogonalRegularizer(factor=-1), ConfigError, r"Received: factor=-1"),
    (lambda: regularizers.OrthogonalRegularizer(mode="diag"), ConfigError,
     r"`mode` must be 'rows' or 'columns'\. Received: mode='diag'"),
    (lambda: regularizers.OrthogonalRegularizer()(jnp.ones((2, 2, 2))), ShapeError,
     r"2D weights only\. Received: shape=\(2, 2, 2\)"),
    (lambda: regularizers.get("l3"), SerializationError,
     r"Unknown regularizer: 'l3'\. Known names: \["),
    (lambda: regularizers.get(5), ConfigTypeError, r"Received: identifier=5"),
    (lambda: regularizers.Regularizer().get_config(), NotImplementedError,
     r"Regularizer does not implement"),
])
def test_regularizer_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


# ------------------------------------------------------------------------------ constraints


@pytest.mark.parametrize("name,kwargs,ref", CONSTRAINTS, ids=_ids(CONSTRAINTS))
def test_constraint_values(name, kwargs, ref, w, keras):
    con = getattr(constraints, name)(**kwargs)
    out = con(jnp.asarray(w))
    assert out.shape == w.shape and out.dtype == jnp.float32
    np.testing.assert_allclose(out, ref(w.astype(np.float64)), rtol=1e-5, atol=1e-7)
    expected = getattr(keras.constraints, name)(**kwargs)(w)
    np.testing.assert_allclose(out, np.asarray(expected), rtol=1e-6, atol=1e-7)


def test_constraints_under_jit(w):
    cons = [getattr(constraints, name)(**kwargs) for name, kwargs, _ in CONSTRAINTS]
    outs = jax.jit(lambda v: [c(v) for c in cons])(jnp.asarray(w))
    for con, out in zip(cons, outs):
        np.testing.assert_allclose(out, con(jnp.asarray(w)), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name,kwargs,ref", CONV_CONSTRAINTS, ids=_ids(CONV_CONSTRAINTS))
def test_constraint_values_on_conv_kernels(name, kwargs, ref, kernel, keras):
    out = getattr(constraints, name)(**kwargs)(jnp.asarray(kernel))
    np.testing.assert_allclose(out, ref(kernel.astype(np.float64)), rtol=1e-5, atol=1e-7)
    expected = getattr(keras.constraints, name)(**kwargs)(kernel)
    np.testing.assert_allclose(out, np.asarray(expected), rtol=1e-6, atol=1e-7)


def test_constraint_hand_values_and_epsilon():
    # Epsilon is added to the norm, not to the weights: the zero column stays zero, never NaN.
    w = jnp.array([[3.0, 0.0], [4.0, 0.0]])
    np.testing.assert_allclose(constraints.MaxNorm(1.0)(w), [[0.6, 0.0], [0.8, 0.0]], rtol=1e-6)
    np.testing.assert_allclose(constraints.MaxNorm(10.0)(w), w, rtol=1e-6)
    np.testing.assert_allclose(constraints.UnitNorm()(w), [[0.6, 0.0], [0.8, 0.0]], rtol=1e-6)
    np.testing.assert_allclose(constraints.MinMaxNorm(6.0, 8.0)(w), [[3.6, 0.0], [4.8, 0.0]],
                               rtol=1e-6)
    np.testing.assert_allclose(constraints.MinMaxNorm(6.0, 8.0, rate=0.5)(w),
                               [[3.3, 0.0], [4.4, 0.0]], rtol=1e-6)
    assert constraints.Constraint()(w) is w


@pytest.mark.parametrize("name,kwargs,ref", CONSTRAINTS + CONV_CONSTRAINTS,
                         ids=_ids(CONSTRAINTS + CONV_CONSTRAINTS))
def test_constraint_config_round_trip(name, kwargs, ref, w, keras):
    con = getattr(constraints, name)(**kwargs)
    config = con.get_config()
    serialized = json.loads(json.dumps(constraints.serialize(con)))
    assert serialized["class_name"] == name and serialized["module"] == "jaxlayers.constraints"
    for other in (type(con).from_config(config), constraints.deserialize(serialized),
                  constraints.get(serialized)):
        assert type(other) is type(con) and other.get_config() == config
    from_keras = constraints.deserialize(
        keras.constraints.serialize(getattr(keras.constraints, name)(**kwargs)))
    assert type(from_keras) is type(con) and from_keras.get_config() == config


@pytest.mark.parametrize("alias,class_name", [
    ("max_norm", "MaxNorm"), ("min_max_norm", "MinMaxNorm"), ("non_neg", "NonNeg"),
    ("unit_norm", "UnitNorm"), ("MaxNorm", "MaxNorm"), ("NonNeg", "NonNeg"),
])
def test_constraint_aliases(alias, class_name, keras):
    assert type(constraints.get(alias)).__name__ == class_name
    assert type(keras.constraints.get(alias)).__name__ == class_name
    assert getattr(constraints, alias) is getattr(constraints, class_name)


def test_constraint_get_other_identifiers():
    assert constraints.get(None) is None
    assert isinstance(constraints.get(constraints.UnitNorm), constraints.UnitNorm)
    fn = lambda v: jnp.clip(v, 0, 1)  # noqa: E731
    assert constraints.get(fn) is fn


@pytest.mark.parametrize("make,error,match", [
    (lambda: constraints.MaxNorm(max_value=-1), ConfigError,
     r"MaxNorm: `max_value` must be a non-negative number\. Received: max_value=-1\."),
    (lambda: constraints.MaxNorm(max_value="2"), ConfigError, r"Received: max_value='2'"),
    (lambda: constraints.MaxNorm(axis="0"), ConfigError,
     r"MaxNorm: `axis` must be an int or a list of ints\. Received: axis='0'"),
    (lambda: constraints.UnitNorm(axis=[0, 1.5]), ConfigError, r"Received: axis=\[0, 1\.5\]"),
    (lambda: constraints.MinMaxNorm(min_value=2.0, max_value=1.0), ConfigError,
     r"Received: min_value=2\.0, max_value=1\.0"),
    (lambda: constraints.MinMaxNorm(rate=1.5), ConfigError,
     r"`rate` must be a number in \[0, 1\]\. Received: rate=1\.5"),
    (lambda: constraints.get("max_normx"), SerializationError,
     r"Unknown constraint: 'max_normx'\. Known names"),
    (lambda: constraints.get(1.0), ConfigTypeError, r"Received: identifier=1\.0"),
])
def test_constraint_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()
