"""Normalization layers: float64 NumPy references, Keras 3 as oracle, moving statistics, errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import Mesh
from jax.sharding import PartitionSpec as P

import jaxlayers as jl
from jaxlayers import errors
from jaxlayers.errors import ConfigError, ConfigTypeError, ShapeError
from jaxlayers.layers import normalization as norm
from jaxlayers.ops import _normalization as norm_ops
from tests.helpers import f64, set_same_random_weights

L = jl.layers


# ----------------------------------------------------------------------------- references
def _bn_ref(x, mean, var, gamma, beta, eps, axes):
    shape = [1] * x.ndim
    for a in axes:
        shape[a] = x.shape[a]
    m, v = mean.reshape(shape), var.reshape(shape)
    y = (x - m) / np.sqrt(v + eps)
    if gamma is not None:
        y = y * gamma.reshape(shape)
    if beta is not None:
        y = y + beta.reshape(shape)
    return y


def _ln_ref(x, gamma, beta, axes, eps):
    m = x.mean(axis=axes, keepdims=True)
    v = x.var(axis=axes, keepdims=True)
    shape = [x.shape[a] if a in axes else 1 for a in range(x.ndim)]
    return (x - m) / np.sqrt(v + eps) * gamma.reshape(shape) + beta.reshape(shape)


def _gn_ref(x, groups, gamma, beta, eps):
    b, *mid, c = x.shape
    xg = x.reshape(b, *mid, groups, c // groups)
    axes = tuple(range(1, xg.ndim - 2)) + (xg.ndim - 1,)
    m = xg.mean(axis=axes, keepdims=True)
    v = xg.var(axis=axes, keepdims=True)
    return ((xg - m) / np.sqrt(v + eps)).reshape(x.shape) * gamma + beta


# ----------------------------------------------------------------------------- ops
def test_ops_match_float64_references(rng):
    x = rng.standard_normal((3, 4, 6)) * 2 + 1
    xf = x.astype(np.float32)
    gamma, beta = rng.standard_normal(6), rng.standard_normal(6)
    mean, var = norm_ops.moments(jnp.asarray(xf), (0, 1))
    np.testing.assert_allclose(mean, x.mean((0, 1)), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(var, x.var((0, 1)), rtol=1e-4, atol=1e-5)
    y = norm_ops.batch_normalization(jnp.asarray(xf), mean, var, (2,), beta, gamma, 1e-3)
    np.testing.assert_allclose(y, _bn_ref(x, x.mean((0, 1)), x.var((0, 1)), gamma, beta,
                                          1e-3, (2,)), rtol=1e-4, atol=1e-4)
    g2, b2 = rng.standard_normal((4, 6)), rng.standard_normal((4, 6))
    y = norm_ops.layer_normalization(jnp.asarray(xf), jnp.asarray(g2), jnp.asarray(b2),
                                     [1, 2], 1e-3)
    np.testing.assert_allclose(y, _ln_ref(x, g2, b2, (1, 2), 1e-3), rtol=1e-4, atol=1e-4)
    y = norm_ops.layer_normalization(jnp.asarray(xf), jnp.asarray(gamma), None, -1, 1e-3,
                                     rms_scaling=True)
    np.testing.assert_allclose(y, x / np.sqrt(x.var(-1, keepdims=True) + 1e-3) * gamma,
                               rtol=1e-4, atol=1e-4)
    y = norm_ops.group_normalization(jnp.asarray(xf), 3, -1, jnp.asarray(gamma),
                                     jnp.asarray(beta), 1e-3)
    np.testing.assert_allclose(y, _gn_ref(x, 3, gamma, beta, 1e-3), rtol=1e-4, atol=1e-4)
    y = norm_ops.rms_normalization(jnp.asarray(xf), jnp.asarray(gamma), -1, 1e-6)
    np.testing.assert_allclose(y, x / np.sqrt((x ** 2).mean(-1, keepdims=True) + 1e-6)
                               * gamma, rtol=1e-4, atol=1e-4)
    y = norm_ops.l2_normalize(jnp.asarray(xf), [1, 2])
    np.testing.assert_allclose(y, x / np.sqrt((x ** 2).sum((1, 2), keepdims=True)),
                               rtol=1e-5, atol=1e-6)
    # Masked moments count only kept positions.
    mask = rng.random((3, 4)) > 0.4
    mean, var = norm_ops.masked_moments(jnp.asarray(xf), jnp.asarray(mask), (0, 1))
    kept = x[mask]
    np.testing.assert_allclose(mean, kept.mean(0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(var, kept.var(0), rtol=1e-4, atol=1e-5)


def test_batch_norm_half_precision_stats_in_float32():
    # Computed in float32, returned in the input's dtype (Keras's ops.moments).
    x = jnp.full((4, 3), 300.0, jnp.float16) + jnp.arange(4, dtype=jnp.float16)[:, None]
    mean, var = norm_ops.moments(x, (0,))
    assert mean.dtype == jnp.float16
    np.testing.assert_allclose(mean, 301.5)
    np.testing.assert_allclose(var, 1.25)
    y = norm_ops.batch_normalization(x, mean, var, (1,), epsilon=1e-3)
    assert y.dtype == jnp.float16 and bool(jnp.all(jnp.isfinite(y)))


# ----------------------------------------------------------------------------- BatchNorm
def test_batch_norm_training_updates_state_inference_does_not(rng):
    x = rng.standard_normal((8, 3)).astype(np.float32) * 2 + 5
    bn = norm.BatchNormalization(momentum=0.9, name="bn")
    params, state = bn.init(jax.random.key(0), x)
    assert jax.tree.map(jnp.shape, state) == {"bn": {"moving_mean": (3,),
                                                     "moving_variance": (3,)}}
    y, s1 = bn.apply(params, state, x, training=True)
    xd = x.astype(np.float64)
    np.testing.assert_allclose(y, (xd - xd.mean(0)) / np.sqrt(xd.var(0) + 1e-3),
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(s1["bn"]["moving_mean"], 0.1 * xd.mean(0), rtol=1e-5)
    np.testing.assert_allclose(s1["bn"]["moving_variance"], 0.9 + 0.1 * xd.var(0), rtol=1e-5)
    y, s2 = bn.apply(params, s1, x)
    np.testing.assert_allclose(y, (xd - f64(s1["bn"]["moving_mean"]))
                               / np.sqrt(f64(s1["bn"]["moving_variance"]) + 1e-3), rtol=1e-4,
                               atol=1e-4)
    jax.tree.map(np.testing.assert_array_equal, s2, s1)


def test_frozen_batch_norm_runs_in_inference_mode(rng):
    x = rng.standard_normal((6, 3)).astype(np.float32) + 2
    bn = norm.BatchNormalization()
    params, state = bn.init(jax.random.key(0), x)
    bn.trainable = False
    y, new_state = bn.apply(params, state, x, training=True)
    np.testing.assert_allclose(y, x / np.sqrt(1 + 1e-3), rtol=1e-6)
    jax.tree.map(np.testing.assert_array_equal, new_state, state)
    assert len(bn.non_trainable_weights) == 4 and not bn.trainable_weights


@pytest.mark.parametrize("kwargs,shape", [
    (dict(momentum=0.8), (6, 4, 3)),
    (dict(axis=1, center=False, epsilon=0.01), (6, 4, 3)),
    (dict(renorm=True, renorm_clipping={"rmax": 1.5, "rmin": 0.7, "dmax": 0.2}), (6, 4, 3)),
    (dict(axis=1, momentum=0.7, epsilon=0.01), (5, 3, 4, 2)),  # channels_first images
])
def test_batch_norm_training_matches_keras_over_steps(kwargs, shape, rng):
    keras = pytest.importorskip("keras")
    x0 = rng.standard_normal(shape).astype(np.float32)
    bn = norm.BatchNormalization(**kwargs)
    params, state = bn.init(jax.random.key(0), x0)
    facade = norm.BatchNormalization(**kwargs)
    facade.build(x0.shape)
    kbn = keras.layers.BatchNormalization(**kwargs)
    kbn.build(x0.shape)
    weights = [w + 0.1 * rng.standard_normal(w.shape).astype(np.float32)
               for w in bn.get_weights()]
    kbn.set_weights(weights)
    facade.set_weights(weights)
    bn.set_weights(weights)
    params, state = bn.params, bn.state
    step = jax.jit(lambda p, s, x: bn.apply(p, s, x, training=True))
    for i in range(3):
        x = x0 * (i + 1) + i
        y, state = step(params, state, x)
        ky = kbn(x, training=True)
        fy = facade(x, training=True)
        np.testing.assert_allclose(y, ky, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(fy, ky, rtol=1e-5, atol=1e-5)
    bn.set_params(params, state)
    assert [w.path.split("/")[-1] for w in bn.weights] == [
        w.path.split("/")[-1] for w in kbn.weights]
    for ours, facade_w, theirs in zip(bn.get_weights(), facade.get_weights(),
                                      kbn.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(facade_w, theirs, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn(x0), kbn(x0), rtol=1e-5, atol=1e-5)
    keras_config = kbn.get_config()
    assert set(keras_config) <= set(bn.get_config())


def test_batch_norm_masked_training_matches_keras(rng):
    keras = pytest.importorskip("keras")
    x = rng.standard_normal((3, 5, 2)).astype(np.float32)
    mask = rng.random((3, 5)) > 0.3
    bn, kbn = norm.BatchNormalization(), keras.layers.BatchNormalization()
    params, state = bn.init(jax.random.key(0), x)
    kbn.build(x.shape)
    y, state = bn.apply(params, state, x, training=True, mask=jnp.asarray(mask))
    np.testing.assert_allclose(y, kbn(x, training=True, mask=mask), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(state[bn.name]["moving_variance"], kbn.moving_variance.numpy(),
                               rtol=1e-6)


def test_batch_norm_axis_list_and_synchronized_pmean(rng):
    x = rng.standard_normal((8, 2, 3)).astype(np.float32)
    bn = norm.BatchNormalization(axis=[1, 2], name="bn")
    params, state = bn.init(jax.random.key(0), x)
    assert params["bn"]["gamma"].shape == (2, 3)
    y, _ = bn.apply(params, state, x, training=True)
    xd = x.astype(np.float64)
    np.testing.assert_allclose(y, (xd - xd.mean(0)) / np.sqrt(xd.var(0) + 1e-3), rtol=1e-4,
                               atol=1e-4)
    # Four shards of two rows each, averaged over a named axis == the full batch.
    sync = norm.BatchNormalization(axis=[1, 2], synchronized=True, axis_name="shards",
                                   name="bn")
    shards = x.reshape(4, 2, 2, 3)
    ys, ss = jax.vmap(lambda xs: sync.apply(params, state, xs, training=True),
                      axis_name="shards")(shards)
    np.testing.assert_allclose(ys.reshape(x.shape), y, rtol=1e-4, atol=1e-4)
    _, full_state = bn.apply(params, state, x, training=True)
    np.testing.assert_allclose(ss["bn"]["moving_variance"][0],
                               full_state["bn"]["moving_variance"], rtol=1e-5)


def test_synchronized_batch_norm_pmean_over_a_device_mesh(rng):
    devices = jax.devices()
    if len(devices) < 8:
        pytest.skip("needs the 8 forced CPU devices of tests/conftest.py")
    mesh = Mesh(np.array(devices[:8]), ("data",))
    x0 = rng.standard_normal((16, 3, 2)).astype(np.float32) * 2 + 1
    full = norm.BatchNormalization(momentum=0.8, name="bn")
    sync = norm.BatchNormalization(momentum=0.8, synchronized=True, axis_name="data",
                                   name="bn")
    params, state = full.init(jax.random.key(0), x0)
    params = jax.tree.map(lambda w: w + 0.3, params)

    def sharded_step(p, s, x):
        return sync.apply(p, s, x, training=True)

    step = jax.jit(jax.shard_map(sharded_step, mesh=mesh, in_specs=(P(), P(), P("data")),
                                 out_specs=(P("data"), P()), check_vma=False))
    s_full, s_sync = state, state
    for i in range(3):
        x = x0 * (i + 1) - i
        y_full, s_full = full.apply(params, s_full, x, training=True)
        y_sync, s_sync = step(params, s_sync, x)
        np.testing.assert_allclose(y_sync, y_full, rtol=1e-5, atol=1e-5)
        jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6),
                     s_sync, s_full)
    # Float64 reference of the moving statistics after the three steps.
    mean, var = np.zeros(2), np.ones(2)
    for i in range(3):
        xd = f64(x0) * (i + 1) - i
        mean = 0.8 * mean + 0.2 * xd.mean((0, 1))
        var = 0.8 * var + 0.2 * xd.var((0, 1))
    np.testing.assert_allclose(s_sync["bn"]["moving_mean"], mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(s_sync["bn"]["moving_variance"], var, rtol=1e-5, atol=1e-6)
    # Under plain jit a batch sharded over the mesh already gives global statistics.
    sharded_x = jax.device_put(x0, jax.sharding.NamedSharding(mesh, P("data")))
    y_jit, s_jit = jax.jit(lambda p, s, x: full.apply(p, s, x, training=True))(
        params, state, sharded_x)
    y_ref, s_ref = full.apply(params, state, x0, training=True)
    np.testing.assert_allclose(y_jit, y_ref, rtol=1e-5, atol=1e-5)
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6),
                 s_jit, s_ref)
    # Without synchronization each shard normalizes with its own statistics.
    local = jax.jit(jax.shard_map(lambda p, s, x: full.apply(p, s, x, training=True)[0],
                                  mesh=mesh, in_specs=(P(), P(), P("data")),
                                  out_specs=P("data"), check_vma=False))
    assert not np.allclose(local(params, state, x0), full.apply(params, state, x0,
                                                                 training=True)[0])


def test_batch_norm_axis_list_over_steps_float64(rng):
    # Keras 3 takes one int axis; a list is checked against float64 NumPy.
    x0 = rng.standard_normal((6, 3, 4)).astype(np.float32)
    bn = norm.BatchNormalization(axis=[1, -1], momentum=0.7, epsilon=0.01, name="bn")
    params, state = bn.init(jax.random.key(0), x0)
    gamma = rng.standard_normal((3, 4))
    beta = rng.standard_normal((3, 4))
    params = {"bn": {"gamma": jnp.asarray(gamma, jnp.float32),
                     "beta": jnp.asarray(beta, jnp.float32)}}
    mean, var = np.zeros((3, 4)), np.ones((3, 4))
    step = jax.jit(lambda p, s, x: bn.apply(p, s, x, training=True))
    for i in range(3):
        x = x0 * (i + 2) + i
        y, state = step(params, state, x)
        xd = f64(x)
        want = (xd - xd.mean(0)) / np.sqrt(xd.var(0) + 0.01) * gamma + beta
        np.testing.assert_allclose(y, want, rtol=1e-4, atol=1e-4)
        mean = 0.7 * mean + 0.3 * xd.mean(0)
        var = 0.7 * var + 0.3 * xd.var(0)
    np.testing.assert_allclose(state["bn"]["moving_mean"], mean, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(state["bn"]["moving_variance"], var, rtol=1e-5, atol=1e-5)
    y, _ = bn.apply(params, state, x0)
    np.testing.assert_allclose(y, (f64(x0) - mean) / np.sqrt(var + 0.01) * gamma + beta,
                               rtol=1e-4, atol=1e-4)


def test_batch_norm_errors():
    with pytest.raises(ShapeError, match=r"axis 3 does not exist for inputs of rank 3"):
        norm.BatchNormalization(axis=3).init(jax.random.key(0), jnp.zeros((2, 3, 4)))
    with pytest.raises(ShapeError, match=r"axis -4 does not exist"):
        norm.BatchNormalization(axis=[1, -4])(jnp.zeros((2, 3, 4)))
    with pytest.raises(ConfigError, match=r"`momentum` must be a float in \[0, 1\]"):
        norm.BatchNormalization(momentum=1.5)
    with pytest.raises(ConfigError, match=r"needs synchronized=True"):
        norm.BatchNormalization(axis_name="batch")
    with pytest.raises(ConfigError, match=r"renorm_clipping` accepts the keys"):
        norm.BatchNormalization(renorm=True, renorm_clipping={"rmaxx": 1.0})
    with pytest.raises(ConfigTypeError, match=r"`axis` must be an int or a non-empty list"):
        norm.BatchNormalization(axis="channels")
    bn = norm.BatchNormalization()
    with pytest.raises(ShapeError, match=r"mask must have one axis less than the inputs"):
        bn(jnp.zeros((2, 3, 4)), training=True, mask=jnp.ones((2, 3, 4), bool))
    with pytest.raises(ShapeError, match=r"expected axis 2 of input shape to have value 4"):
        bn(jnp.zeros((2, 3, 5)))


@pytest.mark.parametrize("kwargs", [{}, dict(renorm=True), dict(axis=1)],
                         ids=["plain", "renorm", "axis1"])
def test_batch_norm_empty_batch_leaves_statistics_unchanged(kwargs):
    bn = norm.BatchNormalization(momentum=0.5, **kwargs)
    x = jnp.asarray(np.arange(12, dtype=np.float32).reshape(3, 4))
    params, state = bn.init(jax.random.key(0), x)
    _, state = bn.apply(params, state, x, training=True)
    empty = jnp.zeros((0, 4))
    for step in (bn.apply, jax.jit(bn.apply, static_argnames="training")):
        y, new_state = step(params, state, empty, training=True)
        assert y.shape == (0, 4)
        jax.tree.map(np.testing.assert_array_equal, new_state, state)
    # The facade keeps its statistics too, and the next real batch updates them as usual.
    bn.set_params(params, state)
    assert bn(empty, training=True).shape == (0, 4)
    jax.tree.map(np.testing.assert_array_equal, bn.state, state)
    bn(x, training=True)
    _, expected = bn.apply(params, state, x, training=True)
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6), bn.state, expected)


@pytest.mark.parametrize("layer", [
    lambda: norm.LayerNormalization(), lambda: norm.GroupNormalization(groups=2),
    lambda: norm.GroupNormalization(groups=-1), lambda: norm.RMSNormalization(),
    lambda: norm.UnitNormalization(),
    lambda: norm.BatchNormalization(axis=-1, synchronized=True)],
    ids=["layer", "group", "instance", "rms", "unit", "batch-synchronized"])
def test_normalization_layers_give_empty_output_for_an_empty_batch(layer):
    layer = layer()
    params, state = layer.init(jax.random.key(0), jnp.ones((2, 3, 4)))
    y, new_state = layer.apply(params, state, jnp.zeros((0, 3, 4)), training=True)
    assert y.shape == (0, 3, 4)
    jax.tree.map(np.testing.assert_array_equal, new_state, state)


@pytest.mark.parametrize("cls", ["BatchNormalization", "LayerNormalization",
                                 "GroupNormalization", "RMSNormalization"])
@pytest.mark.parametrize("epsilon", [float("nan"), -1e-3, float("inf"), "1e-3"])
def test_every_normalization_layer_refuses_a_bad_epsilon(cls, epsilon):
    with pytest.raises(ConfigError, match=rf"{cls} .*`epsilon` must be a finite non-negative "
                                          rf"float. Received: epsilon="):
        getattr(norm, cls)(epsilon=epsilon)


# ----------------------------------------------------------------------------- other layers
_KERAS_CASES = [
    ("LayerNormalization", {}),
    ("LayerNormalization", dict(axis=[1, 2], epsilon=0.01)),
    ("LayerNormalization", dict(rms_scaling=True)),
    ("GroupNormalization", dict(groups=2)),
    ("GroupNormalization", dict(groups=-1, axis=1)),
    ("RMSNormalization", dict(axis=[1, 2])),
    ("UnitNormalization", {}),
]


@pytest.mark.filterwarnings("ignore:You passed `rms_scaling=True`")
@pytest.mark.parametrize("name,kwargs", _KERAS_CASES)
def test_matches_keras_with_same_weights(name, kwargs, rng, keras):
    x = (rng.standard_normal((2, 3, 4)) * 3 + 1).astype(np.float32)
    layer = getattr(norm, name)(**kwargs)
    layer.init(jax.random.key(0), x)
    klayer = getattr(keras.layers, name)(**kwargs)
    klayer.build(x.shape)
    set_same_random_weights(layer, klayer, rng)
    np.testing.assert_allclose(layer(x), klayer(x), rtol=1e-5, atol=1e-5)
    assert set(klayer.get_config()) <= set(layer.get_config())


def test_layer_norm_numerics_and_shapes(rng):
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    ln = norm.LayerNormalization(axis=[-1, 1], name="ln")
    params, _ = ln.init(jax.random.key(0), x)
    assert jax.tree.map(jnp.shape, params) == {"ln": {"beta": (3, 4), "gamma": (3, 4)}}
    y, _ = ln.apply(params, {}, x)
    np.testing.assert_allclose(y, _ln_ref(x.astype(np.float64), np.ones((3, 4)),
                                          np.zeros((3, 4)), (1, 2), 1e-3), rtol=1e-4,
                               atol=1e-4)
    gn = norm.GroupNormalization(groups=2)
    gp, _ = gn.init(jax.random.key(0), x)
    y, _ = gn.apply(gp, {}, x)
    np.testing.assert_allclose(y, _gn_ref(x.astype(np.float64), 2, 1.0, 0.0, 1e-3),
                               rtol=1e-4, atol=1e-4)


def test_other_normalization_errors():
    x = jnp.zeros((2, 3, 4))
    with pytest.raises(ShapeError, match=r"LayerNormalization .*axis 5 does not exist"):
        norm.LayerNormalization(axis=5)(x)
    with pytest.raises(ConfigError, match=r"`groups` must be a positive int, or -1"):
        norm.GroupNormalization(groups=0)
    with pytest.raises(ShapeError, match=r"`groups` must divide the number of channels \(4"):
        norm.GroupNormalization(groups=3)(x)
    with pytest.raises(ShapeError, match=r"`groups` must divide the number of channels"):
        norm.GroupNormalization(groups=8)(x)
    with pytest.raises(ConfigError, match=r"`epsilon` must be a finite non-negative float"):
        norm.RMSNormalization(epsilon=-1.0)
    with pytest.raises(ShapeError, match=r"UnitNormalization .*axis -4 does not exist"):
        norm.UnitNormalization(axis=-4)(x)
    with pytest.raises(ConfigTypeError, match=r"`axis` must be an int"):
        norm.GroupNormalization(axis=[1])


# ------------------------------------------------------------------------ SpectralNormalization
def test_spectral_normalization_training_matches_keras(keras):
    x = np.random.default_rng(4).standard_normal((3, 4)).astype("float32")
    ref = keras.layers.SpectralNormalization(keras.layers.Dense(5), power_iterations=2)
    ref.build((None, 4))
    by_name = {w.path.split("/")[-1]: np.asarray(w.value) for w in ref.weights}
    layer = L.SpectralNormalization(L.Dense(5), power_iterations=2)
    params, state = layer.init(jax.random.key(0), x)
    layer.set_weights([by_name[w.path.split("/")[-1]] for w in layer.weights])
    params, state = layer.params, layer.state
    expected = ref(x, training=True)
    y, new_state = jax.jit(lambda p, s, x: layer.apply(p, s, x, training=True))(
        params, state, x)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(new_state[layer.name]["vector_u"], ref.vector_u.value,
                               rtol=1e-5, atol=1e-6)
    # Inference leaves u alone and divides by sigma estimated from it.
    y_inf, same_state = layer.apply(params, state, x)
    assert np.array_equal(same_state[layer.name]["vector_u"], state[layer.name]["vector_u"])
    w = np.asarray(params[layer.name][layer.layer.name]["kernel"], np.float64)
    u = np.asarray(state[layer.name]["vector_u"], np.float64)
    v = u @ w.T / np.linalg.norm(u @ w.T)
    sigma = (v @ w @ u.T).item()
    bias = params[layer.name][layer.layer.name]["bias"]
    np.testing.assert_allclose(y_inf, x @ (w / sigma) + bias, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("wrapped,shape", [("Dense", (3, 4)), ("Conv2D", (2, 5, 5, 3))])
def test_spectral_normalization_lists_weights_in_keras_order(wrapped, shape, keras):
    x = np.random.default_rng(5).standard_normal(shape).astype("float32")
    args = (4,) if wrapped == "Dense" else (4, 3)
    ref = keras.layers.SpectralNormalization(getattr(keras.layers, wrapped)(*args))
    ref.build(shape)
    layer = L.SpectralNormalization(getattr(L, wrapped)(*args))
    layer.build(shape)
    assert [(w.path.split("/")[-1], w.shape) for w in layer.weights] == [
        (w.path.split("/")[-1], tuple(w.shape)) for w in ref.weights]
    assert [w.name for w in layer.trainable_weights] == ["kernel", "bias"]
    # Same weights in (Keras's get_weights order), same outputs and u out.
    weights = [w * 1.5 + 0.1 for w in ref.get_weights()]
    ref.set_weights(weights)
    layer.set_weights(weights)
    expected = ref(x, training=True)
    y, state = layer.apply(layer.params, layer.state, x, training=True)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(state[layer.name]["vector_u"], ref.vector_u.value,
                               rtol=1e-5, atol=1e-6)


def test_spectral_normalization_errors():
    with pytest.raises(errors.ConfigTypeError, match="must be a Layer instance"):
        L.SpectralNormalization("dense")
    with pytest.raises(errors.ConfigError, match="SpectralNormalization .*`power_iterations` "
                                                 "must be a positive int"):
        L.SpectralNormalization(L.Dense(2), power_iterations=0)
    with pytest.raises(errors.ShapeError, match="no 'kernel' or 'embeddings'"):
        L.SpectralNormalization(L.LayerNormalization())(jnp.ones((2, 3)))
