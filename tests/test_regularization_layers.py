"""Regularization layers: identity at inference, training statistics, keys, losses, errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxlayers.errors import ConfigError, KeyRequiredError, ShapeError
from jaxlayers.layers import regularization as reg
from jaxlayers.ops import _regularization as reg_ops

BIG = (200, 500)  # 100k values: binomial sd of the drop fraction ~0.0015.


def _train(layer, x, key):
    params, state = layer.init(jax.random.key(0), x)
    return layer.apply(params, state, x, training=True, key=key)[0]


@pytest.mark.parametrize("layer", [
    reg.Dropout(0.5), reg.Dropout(0.3, noise_shape=(None, 1, 4)), reg.SpatialDropout1D(0.5),
    reg.GaussianDropout(0.4), reg.GaussianNoise(0.7), reg.AlphaDropout(0.3),
    reg.ActivityRegularization(l1=0.1),
], ids=lambda layer: type(layer).__name__)
def test_identity_at_inference_and_shape_in_training(layer, rng, key):
    x = jnp.asarray(rng.standard_normal((2, 3, 4)), jnp.float32)
    params, state = layer.init(jax.random.key(0), x)
    y, _ = layer.apply(params, state, x)
    np.testing.assert_array_equal(y, x)
    np.testing.assert_array_equal(layer(x), x)
    y, _ = layer.apply(params, state, x, training=True, key=key)
    assert y.shape == x.shape and y.dtype == x.dtype


def test_dropout_statistics(key):
    rate = 0.3
    x = jnp.ones(BIG)
    y = _train(reg.Dropout(rate), x, key)
    dropped = float(jnp.mean(y == 0))
    assert abs(dropped - rate) < 0.01
    np.testing.assert_allclose(np.unique(np.asarray(y)), [0.0, 1.0 / (1 - rate)], rtol=1e-6)
    assert abs(float(jnp.mean(y)) - 1.0) < 0.02  # expectation is preserved


def test_noise_shape_and_spatial_masks(key):
    x = jnp.ones((64, 5, 8))
    y = _train(reg.Dropout(0.5, noise_shape=(None, 1, None)), x, key)
    np.testing.assert_array_equal(y, jnp.broadcast_to(y[:, :1], y.shape))
    y = _train(reg.SpatialDropout1D(0.5), x, key)
    np.testing.assert_array_equal(y, jnp.broadcast_to(y[:, :1], y.shape))
    assert 0.35 < float(jnp.mean(y == 0)) < 0.65
    x4 = jnp.ones((16, 3, 3, 6))
    y = _train(reg.SpatialDropout2D(0.5), x4, key)
    np.testing.assert_array_equal(y, jnp.broadcast_to(y[:, :1, :1], y.shape))
    y = _train(reg.SpatialDropout2D(0.5, data_format="channels_first"), x4, key)
    np.testing.assert_array_equal(y, jnp.broadcast_to(y[:, :, :1, :1], y.shape))
    x5 = jnp.ones((8, 2, 2, 2, 4))
    y = _train(reg.SpatialDropout3D(0.5), x5, key)
    np.testing.assert_array_equal(y, jnp.broadcast_to(y[:, :1, :1, :1], y.shape))


def test_spatial_dropout_drops_whole_channels_at_the_rate(key):
    rate = 0.4
    for layer, shape, spatial in ((reg.SpatialDropout1D(rate), (400, 3, 250), (1,)),
                                  (reg.SpatialDropout2D(rate), (400, 2, 2, 250), (1, 2)),
                                  (reg.SpatialDropout3D(rate, data_format="channels_first"),
                                   (400, 250, 2, 1, 2), (2, 3, 4))):
        x = jnp.ones(shape)
        params, state = layer.init(jax.random.key(0), x)
        y, _ = jax.jit(lambda k: layer.apply(params, state, x, training=True, key=k))(key)
        y = np.asarray(y)
        first = y[(slice(None),) + tuple(slice(0, 1) if a in spatial else slice(None)
                                         for a in range(1, y.ndim))]
        np.testing.assert_array_equal(y, np.broadcast_to(first, y.shape))
        assert abs(float(np.mean(y == 0)) - rate) < 0.01      # 100k channels: sd ~0.0015
        np.testing.assert_allclose(np.unique(y), [0.0, 1 / (1 - rate)], rtol=1e-6)


def test_dropout_with_noise_shape_statistics(key):
    layer = reg.Dropout(0.25, noise_shape=(None, 1, 500))
    x = jnp.ones((200, 4, 500))
    y = np.asarray(layer.apply({}, {}, x, training=True, key=key)[0])
    np.testing.assert_array_equal(y, np.broadcast_to(y[:, :1], y.shape))
    assert abs(float(np.mean(y == 0)) - 0.25) < 0.01


def test_gaussian_layers_statistics(key):
    rate = 0.25
    y = _train(reg.GaussianDropout(rate), jnp.ones(BIG), key)
    assert abs(float(jnp.mean(y)) - 1.0) < 0.01
    assert abs(float(jnp.var(y)) - rate / (1 - rate)) < 0.01
    y = _train(reg.GaussianNoise(0.5), jnp.full(BIG, 3.0), key)
    assert abs(float(jnp.mean(y)) - 3.0) < 0.01
    assert abs(float(jnp.var(y)) - 0.25) < 0.01


def test_alpha_dropout_keeps_mean_and_variance(key):
    x = jax.random.normal(jax.random.key(7), BIG)
    y = _train(reg.AlphaDropout(0.2), x, key)
    assert abs(float(jnp.mean(y))) < 0.02
    assert abs(float(jnp.var(y)) - 1.0) < 0.02
    alpha_p = -reg_ops.SELU_ALPHA * reg_ops.SELU_SCALE
    a = ((1 - 0.2) * (1 + 0.2 * alpha_p ** 2)) ** -0.5
    dropped_level = a * alpha_p - a * alpha_p * 0.2
    assert abs(float(jnp.mean(jnp.isclose(y, dropped_level))) - 0.2) < 0.01


def test_keys_decide_the_masks(key):
    x = jnp.ones((32, 32))
    layer = reg.Dropout(0.5)
    a = _train(layer, x, jax.random.key(1))
    b = _train(layer, x, jax.random.key(1))
    c = _train(layer, x, jax.random.key(2))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # The eager facade owns a key stream: successive training calls differ.
    assert not np.array_equal(layer(x, training=True), layer(x, training=True))
    with pytest.raises(KeyRequiredError, match=r"key=jax.random.key\(0\)"):
        layer.apply({}, {}, x, training=True)
    # Under jit the key is an argument, never a baked-in constant.
    step = jax.jit(lambda k: layer.apply({}, {}, x, training=True, key=k)[0])
    assert not np.array_equal(step(jax.random.key(3)), step(jax.random.key(4)))


def test_ops_match_numpy_masks():
    key = jax.random.key(5)
    x = jnp.arange(1.0, 13.0).reshape(3, 4)
    keep = np.asarray(jax.random.bernoulli(key, 0.75, (3, 4)))
    np.testing.assert_allclose(reg_ops.dropout(key, x, 0.25),
                               np.where(keep, np.asarray(x) / 0.75, 0.0), rtol=1e-6)
    kept = np.asarray(jax.random.uniform(key, (3, 4))) >= 0.25
    alpha_p = -reg_ops.SELU_ALPHA * reg_ops.SELU_SCALE
    a = ((1 - 0.25) * (1 + 0.25 * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * 0.25
    expected = a * np.where(kept, np.asarray(x, np.float64), alpha_p) + b
    np.testing.assert_allclose(reg_ops.alpha_dropout(key, x, 0.25), expected, rtol=1e-5)


def test_activity_regularization_loss_reaches_aux_and_matches_keras(rng):
    x = rng.standard_normal((4, 3)).astype(np.float32)
    layer = reg.ActivityRegularization(l1=0.1, l2=0.2)
    y, _, aux = layer.apply_with_aux({}, {}, x)
    expected = (0.1 * np.abs(x).sum() + 0.2 * (x.astype(np.float64) ** 2).sum()) / 4
    np.testing.assert_array_equal(y, x)
    assert len(aux["losses"]) == 1
    np.testing.assert_allclose(aux["losses"][0], expected, rtol=1e-5)
    grad = jax.grad(lambda v: layer.apply_with_aux({}, {}, v)[2]["losses"][0])(x)
    np.testing.assert_allclose(grad, (0.1 * np.sign(x) + 0.4 * x) / 4, rtol=1e-5)
    layer(x)
    np.testing.assert_allclose(layer.losses[0], expected, rtol=1e-5)
    keras = pytest.importorskip("keras")
    klayer = keras.layers.ActivityRegularization(l1=0.1, l2=0.2)
    klayer(x)
    np.testing.assert_allclose(layer.losses[0], klayer.losses[0], rtol=1e-6)
    assert set(klayer.get_config()) <= set(layer.get_config())


def test_activity_regularization_penalty_reaches_the_training_loss():
    import jaxlayers as jl

    model = jl.Sequential([jl.Input(shape=(3,)), jl.layers.Dense(2, kernel_initializer="ones"),
                           reg.ActivityRegularization(l2=0.5)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((4, 3), np.float32), np.zeros((4, 2), np.float32)
    # Dense outputs are all 3: mse 9, penalty 0.5 * sum(3 ** 2) / batch = 9.
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), 18.0, rtol=1e-6)
    history = model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    np.testing.assert_allclose(history.history["loss"][0], 18.0, rtol=1e-6)


def test_configs_cover_keras(rng):
    keras = pytest.importorskip("keras")
    for name, kwargs in [("Dropout", dict(rate=0.2, noise_shape=(None, 1))),
                         ("SpatialDropout2D", dict(rate=0.1, data_format="channels_first")),
                         ("GaussianDropout", dict(rate=0.1)), ("GaussianNoise", dict(stddev=0.1)),
                         ("AlphaDropout", dict(rate=0.1))]:
        ours = getattr(reg, name)(**kwargs).get_config()
        theirs = getattr(keras.layers, name)(**kwargs).get_config()
        assert set(theirs) <= set(ours), name
        for k in kwargs:
            assert list(np.atleast_1d(ours[k])) == list(np.atleast_1d(theirs[k])), (name, k)


def test_errors():
    for rate in (1.0, -0.1, 1.5, "0.5"):
        with pytest.raises(ConfigError, match=r"`rate` must be a float in \[0, 1\)"):
            reg.Dropout(rate)
    with pytest.raises(ConfigError, match=r"SpatialDropout2D .*`rate` must be a float in"):
        reg.SpatialDropout2D(1.0)
    with pytest.raises(ConfigError, match=r"GaussianDropout .*`rate` must be a float in"):
        reg.GaussianDropout(1.0)
    with pytest.raises(ConfigError, match=r"AlphaDropout .*`rate` must be a float in"):
        reg.AlphaDropout(2)
    with pytest.raises(ConfigError, match=r"`stddev` must be a finite non-negative float"):
        reg.GaussianNoise(-1.0)
    with pytest.raises(ConfigError, match=r"`noise_shape` entries must be positive ints"):
        reg.Dropout(0.5, noise_shape=(None, 0))
    with pytest.raises(ConfigError, match=r"`noise_shape` must be a tuple"):
        reg.Dropout(0.5, noise_shape="batch")
    with pytest.raises(ConfigError, match=r"`data_format` must be 'channels_last'"):
        reg.SpatialDropout2D(0.5, data_format="nhwc")
    with pytest.raises(ShapeError, match=r"expected ndim=3, found ndim=2"):
        reg.SpatialDropout1D(0.5)(jnp.zeros((2, 3)))
    with pytest.raises(ConfigError, match=r"`l1` must be"):
        reg.ActivityRegularization(l1=-1.0)
