"""Initializers: Keras values bit for bit, keys and seeds, fans, distributions, configs."""

import json
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxlayers import backend, initializers
from jaxlayers.errors import (
    ConfigError,
    ConfigTypeError,
    DTypeError,
    SerializationError,
    ShapeError,
)

TRUNC = 0.87962566103423978

# (class name, constructor kwargs) of every seeded random initializer, with non-default args.
SEEDED = [
    ("RandomNormal", {"mean": 0.5, "stddev": 2.0, "seed": 3}),
    ("RandomUniform", {"minval": -1.5, "maxval": 0.5, "seed": 4}),
    ("TruncatedNormal", {"mean": -1.0, "stddev": 0.3, "seed": 5}),
    ("VarianceScaling", {"scale": 2.0, "mode": "fan_out", "distribution": "uniform", "seed": 6}),
    ("VarianceScaling", {"scale": 0.5, "mode": "fan_avg", "distribution": "untruncated_normal",
                         "seed": 7}),
    ("VarianceScaling", {"scale": 1.5, "mode": "fan_in", "distribution": "truncated_normal",
                         "seed": 8}),
    ("VarianceScaling", {"mode": "fan_in", "seed": 9, "input_axes": [0, 1], "output_axes": [3]}),
    ("GlorotNormal", {"seed": 10}),
    ("GlorotUniform", {"seed": 11}),
    ("HeNormal", {"seed": 12}),
    ("HeUniform", {"seed": 13}),
    ("LecunNormal", {"seed": 14}),
    ("LecunUniform", {"seed": 15}),
    ("Orthogonal", {"gain": 1.5, "seed": 16}),
]
FLOAT16_CHECKED = ("RandomNormal", "VarianceScaling")  # Keras has no float16 QR for Orthogonal
SEEDED_IDS = [f"{name}-{i}" for i, (name, _) in enumerate(SEEDED)]
DETERMINISTIC = [
    ("Zeros", {}), ("Ones", {}), ("Constant", {"value": 2.5}), ("Identity", {"gain": 3.0}),
]
# One shape for every random draw: each new (sampler, shape, dtype) costs an XLA compile.
SHAPE = (3, 3, 16, 32)
FANS = (144, 288)
# Keras's string names (lowercase and aliases) and the class each one means.
ALIASES = {
    "random_normal": "RandomNormal", "normal": "RandomNormal", "random_uniform": "RandomUniform",
    "uniform": "RandomUniform", "truncated_normal": "TruncatedNormal",
    "variance_scaling": "VarianceScaling", "glorot_normal": "GlorotNormal",
    "glorot_uniform": "GlorotUniform", "he_normal": "HeNormal", "he_uniform": "HeUniform",
    "lecun_normal": "LecunNormal", "lecun_uniform": "LecunUniform", "orthogonal": "Orthogonal",
    "OrthogonalInitializer": "Orthogonal", "zeros": "Zeros", "zero": "Zeros", "ones": "Ones",
    "one": "Ones", "constant": "Constant", "identity": "Identity",
    "IdentityInitializer": "Identity", "stft": "STFT", "STFTInitializer": "STFT",
}


def _make(name, kwargs):
    return getattr(initializers, name)(**kwargs)


def _shape_for(name):
    return (4, 6) if name == "Identity" else SHAPE


def test_exports_cover_keras(keras):
    keras_names = {n for n in dir(keras.initializers) if not n.startswith("_")}
    missing = keras_names - set(initializers.__all__)
    assert not missing


@pytest.mark.parametrize("name,kwargs", SEEDED, ids=SEEDED_IDS)
def test_seeded_values_match_keras_bit_for_bit(name, kwargs, keras):
    for dtype in ("float32", "float16") if name in FLOAT16_CHECKED else ("float32",):
        expected = np.asarray(getattr(keras.initializers, name)(**kwargs)(SHAPE, dtype=dtype))
        out = np.asarray(_make(name, kwargs)(SHAPE, dtype=dtype))
        assert out.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("name,kwargs", DETERMINISTIC)
def test_deterministic_values_match_keras(name, kwargs, keras):
    shape = _shape_for(name)
    expected = np.asarray(getattr(keras.initializers, name)(**kwargs)(shape))
    np.testing.assert_array_equal(np.asarray(_make(name, kwargs)(shape)), expected)


@pytest.mark.parametrize("name,kwargs", SEEDED, ids=SEEDED_IDS)
def test_keys_and_seeds_are_deterministic(name, kwargs):
    init = _make(name, kwargs)
    np.testing.assert_array_equal(init(SHAPE), init(SHAPE))
    unseeded = _make(name, {k: v for k, v in kwargs.items() if k != "seed"})
    key = jax.random.key(1)
    a = unseeded(SHAPE, key=key)
    np.testing.assert_array_equal(a, unseeded(SHAPE, key=key))
    np.testing.assert_array_equal(a, init(SHAPE, key=key))  # an explicit key wins over the seed
    assert not np.array_equal(a, unseeded(SHAPE, key=jax.random.key(2)))
    assert not np.array_equal(unseeded(SHAPE), unseeded(SHAPE))  # the eager stream moves on


def test_traced_key_under_jit_equals_eager():
    inits = [_make(name, kwargs) for name, kwargs in (SEEDED[1], SEEDED[5], SEEDED[-1])]
    key = jax.random.key(3)
    for init, traced in zip(inits, jax.jit(lambda k: [i(SHAPE, key=k) for i in inits])(key)):
        np.testing.assert_allclose(traced, init(SHAPE, key=key), rtol=1e-6, atol=1e-6,
                                   err_msg=repr(init))


def test_legacy_raw_key_is_accepted():
    init = initializers.RandomNormal()
    np.testing.assert_array_equal(init(SHAPE, key=jax.random.PRNGKey(0)),
                                  init(SHAPE, key=jax.random.key(0)))


def test_seed_draws_keras_raw_key():
    expected = jax.random.normal(jnp.array([3, 0], jnp.uint32), SHAPE) * 0.05
    np.testing.assert_array_equal(initializers.RandomNormal(seed=3)(SHAPE), expected)


def test_dtype_is_honoured():
    for name, kwargs in SEEDED:
        assert _make(name, kwargs)(SHAPE, "float16").dtype == jnp.float16, name
    for name, kwargs in DETERMINISTIC + [SEEDED[-1]]:
        assert _make(name, kwargs)(_shape_for(name), "bfloat16").dtype == jnp.bfloat16, name


def test_default_dtype_follows_floatx():
    previous = backend.floatx()
    backend.set_floatx("float16")
    try:
        assert initializers.GlorotNormal(seed=0)(SHAPE).dtype == jnp.float16
        assert initializers.Zeros()((2,)).dtype == jnp.float16
    finally:
        backend.set_floatx(previous)
    assert initializers.Ones()((2,), "int32").dtype == jnp.int32


def test_random_initializers_refuse_integer_dtypes():
    match = r"RandomNormal draws floating point .*Received: dtype=int32"
    with pytest.raises(DTypeError, match=match):
        initializers.RandomNormal(seed=0)((2,), "int32")


@pytest.mark.parametrize("shape,fans", [
    ((), (1, 1)), ((5,), (5, 5)), ((4, 6), (4, 6)), ((3, 3, 16, 32), (144, 288)),
    ((2, 5, 7), (10, 14)), ((2, 2, 2, 3, 4), (24, 32)),
])
def test_compute_fans(shape, fans, keras):
    from keras.src.initializers.random_initializers import compute_fans as keras_fans

    assert initializers.compute_fans(shape) == fans == keras_fans(shape)
    assert initializers.compute_fans((3, 3, 16, 32), [0, 1, 2], [3]) == (144, 32)


@pytest.mark.parametrize("name,scale,mode,distribution", [
    ("GlorotNormal", 1.0, "fan_avg", "truncated_normal"),
    ("HeUniform", 2.0, "fan_in", "uniform"),
    ("VarianceScaling", 3.0, "fan_out", "untruncated_normal"),
])
def test_variance_follows_the_fan_rules(name, scale, mode, distribution, key):
    shape = SHAPE
    fan_in, fan_out = FANS
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    kwargs = {"scale": scale, "mode": mode, "distribution": distribution} \
        if name == "VarianceScaling" else {}
    w = np.asarray(_make(name, kwargs)(shape, key=key), np.float64)
    assert abs(w.mean()) < 0.1 * math.sqrt(scale / n)
    np.testing.assert_allclose(w.std(), math.sqrt(scale / n), rtol=0.04)
    if distribution == "uniform":
        limit = math.sqrt(3 * scale / n)
        assert np.abs(w).max() <= limit and np.abs(w).max() > 0.99 * limit
    elif distribution == "truncated_normal":
        bound = 2 * math.sqrt(scale / n) / TRUNC
        assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound


def test_truncated_normal_bounds_and_moments(key):
    w = np.asarray(initializers.TruncatedNormal(mean=1.0, stddev=0.5)(SHAPE, key=key), np.float64)
    assert w.min() >= 0.0 and w.max() <= 2.0 and w.min() < 0.05 and w.max() > 1.95
    np.testing.assert_allclose(w.mean(), 1.0, atol=0.03)
    np.testing.assert_allclose(w.std(), 0.5 * TRUNC, rtol=0.04)


def test_normal_and_uniform_moments(key):
    w = np.asarray(initializers.RandomNormal(mean=-2.0, stddev=3.0)(SHAPE, key=key), np.float64)
    np.testing.assert_allclose([w.mean(), w.std()], [-2.0, 3.0], atol=0.15)
    u = np.asarray(initializers.RandomUniform(2.0, 5.0)(SHAPE, key=key), np.float64)
    assert u.min() >= 2.0 and u.max() < 5.0
    np.testing.assert_allclose([u.mean(), u.var()], [3.5, 0.75], atol=0.05)


# All three are (144, 32) or its transpose once flattened, so they share one compiled QR.
@pytest.mark.parametrize("shape", [SHAPE, (144, 32), (32, 144)])
def test_orthogonal_is_orthogonal_times_gain(shape, key):
    gain = 1.7
    q = np.asarray(initializers.Orthogonal(gain=gain)(shape, key=key), np.float64)
    assert q.shape == shape
    m = q.reshape(-1, shape[-1])
    gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    np.testing.assert_allclose(gram, gain ** 2 * np.eye(gram.shape[0]), atol=1e-5)


def test_orthogonal_low_precision(key):
    q16 = initializers.Orthogonal()(SHAPE, "bfloat16", key=key)
    q32 = initializers.Orthogonal()(SHAPE, "float32", key=key)
    assert q16.dtype == jnp.bfloat16
    np.testing.assert_array_equal(q16, q32.astype(jnp.bfloat16))


def test_orthogonal_and_identity_shape_errors():
    with pytest.raises(ShapeError, match=r"rank >= 2\. Received: shape=\(5,\) of rank 1"):
        initializers.Orthogonal(seed=0)((5,))
    match = r"2D matrices only\. Received: shape=\(2, 2, 2\) of rank 3"
    with pytest.raises(ShapeError, match=match):
        initializers.Identity()((2, 2, 2))


def test_identity_and_constant_values():
    np.testing.assert_array_equal(initializers.Identity(gain=2.0)((3, 5)), 2.0 * np.eye(3, 5))
    np.testing.assert_array_equal(initializers.Constant([1.0, 2.0])((3, 2)), [[1.0, 2.0]] * 3)
    np.testing.assert_array_equal(initializers.Zeros()((2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(initializers.Ones()(4), np.ones(4))
    with pytest.raises(ShapeError, match=r"does not broadcast .*Received: shape=\(2, 3\)"):
        initializers.Constant([1.0, 2.0])((2, 3))
    match = r"Constant: `value` must be a number .*Received: value='a'"
    with pytest.raises(ConfigError, match=match):
        initializers.Constant("a")


@pytest.mark.parametrize("name,kwargs",
                         SEEDED + DETERMINISTIC + [("Constant", {"value": [[1, 2]]})],
                         ids=SEEDED_IDS + [n for n, _ in DETERMINISTIC] + ["Constant-array"])
def test_config_round_trip(name, kwargs):
    init = _make(name, kwargs)
    config = init.get_config()
    json.dumps(config)
    for other in (type(init).from_config(config), init.clone(),
                  initializers.deserialize(initializers.serialize(init)),
                  initializers.get(json.loads(json.dumps(initializers.serialize(init))))):
        assert type(other) is type(init) and other.get_config() == config
        shape = _shape_for(name) if name != "Constant" else (2, 2)
        np.testing.assert_array_equal(other(shape), init(shape))
    serialized = initializers.serialize(init)
    assert serialized["module"] == "jaxlayers.initializers" and serialized["class_name"] == name


@pytest.mark.parametrize("name,kwargs", SEEDED + DETERMINISTIC,
                         ids=SEEDED_IDS + [n for n, _ in DETERMINISTIC])
def test_keras_configs_load_and_give_keras_values(name, kwargs, keras):
    if name == "Identity":
        kwargs = {}  # Keras 3.15's Identity.get_config() leaves `gain` out
    k_init = getattr(keras.initializers, name)(**kwargs)
    init = initializers.deserialize(keras.initializers.serialize(k_init))
    assert type(init).__name__ == name
    shape = _shape_for(name)
    np.testing.assert_array_equal(np.asarray(init(shape)), np.asarray(k_init(shape)))


@pytest.mark.parametrize("alias,class_name", sorted(ALIASES.items()))
def test_string_aliases(alias, class_name, keras):
    assert type(initializers.get(alias)).__name__ == class_name
    if alias != "constant":  # Keras 3.15's Constant.from_config({}) raises KeyError
        assert type(keras.initializers.get(alias)).__name__ == class_name
    assert type(initializers.get(class_name)).__name__ == class_name


def test_get_other_identifiers():
    assert initializers.get(None) is None
    assert isinstance(initializers.get(initializers.HeNormal), initializers.HeNormal)
    fn = lambda shape, dtype=None: jnp.full(shape, 7.0)  # noqa: E731
    assert initializers.get(fn) is fn
    from_array = initializers.get(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(from_array((2, 3)), np.arange(6.0).reshape(2, 3))
    with pytest.raises(ShapeError, match=r"Received: shape=\(3, 2\)"):
        from_array((3, 2))
    lowercase = initializers.glorot_uniform(seed=1)
    assert isinstance(lowercase, initializers.GlorotUniform)
    assert initializers.IdentityInitializer is initializers.Identity


def test_bad_names_and_identifiers_raise():
    match = r"Unknown initializer: 'glorot_uniformx'\. Known names"
    with pytest.raises(SerializationError, match=match):
        initializers.get("glorot_uniformx")
    with pytest.raises(SerializationError, match=r"Unknown initializer class 'Nope'"):
        initializers.deserialize({"class_name": "Nope", "config": {}})
    with pytest.raises(ConfigTypeError, match=r"Received: identifier=3\.5"):
        initializers.get(3.5)


@pytest.mark.parametrize("kwargs,error,match", [
    ({"scale": 0}, ConfigError,
     r"VarianceScaling: `scale` must be a positive float\. Received: scale=0"),
    ({"scale": -1.0}, ConfigError, r"Received: scale=-1\.0"),
    ({"mode": "fan"}, ConfigError, r"`mode` must be one of .*Received: mode='fan'"),
    ({"distribution": "gamma"}, ConfigError, r"Received: distribution='gamma'"),
    ({"seed": "a"}, ConfigTypeError,
     r"VarianceScaling: `seed` must be an int or None\. Received: seed='a'"),
    ({"seed": 1.5}, ConfigTypeError, r"Received: seed=1\.5"),
    ({"input_axes": ["a"], "output_axes": [1]}, ConfigError, r"Received: input_axes=\['a'\]"),
])
def test_bad_arguments_raise(kwargs, error, match):
    with pytest.raises(error, match=match):
        initializers.VarianceScaling(**kwargs)


def test_normal_distribution_alias_and_case():
    assert initializers.VarianceScaling(distribution="Normal").distribution == "truncated_normal"


def test_bad_shape_raises():
    match = r"Zeros: `shape` must be a tuple of ints\. Received: shape='ab'"
    with pytest.raises(ShapeError, match=match):
        initializers.Zeros()("ab")
