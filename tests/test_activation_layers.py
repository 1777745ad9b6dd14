"""Activation layers: float64 NumPy references, Keras 3 as oracle, masks, errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxlayers.errors import ConfigError, ConfigTypeError, ShapeError
from jaxlayers.layers import activation as act
from tests.helpers import set_same_random_weights


def _relu_ref(x, max_value=None, negative_slope=0.0, threshold=0.0):
    out = np.where(x > threshold, x, 0.0)
    if max_value is not None:
        out = np.minimum(out, max_value)
    return out + negative_slope * np.minimum(x - threshold, 0.0)


def _softmax_ref(x, axis=-1, mask=None):
    if mask is not None:
        x = np.where(mask, x, -1e9)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    p = e / e.sum(axis=axis, keepdims=True)
    return p if mask is None else np.where(mask, p, 0.0)


@pytest.fixture
def x(rng):
    return (rng.standard_normal((2, 3, 4)) * 3).astype(np.float32)


def test_float64_references(x, rng):
    xd = x.astype(np.float64)
    for kwargs in ({}, dict(max_value=2.0), dict(negative_slope=0.1, threshold=0.5),
                   dict(max_value=6.0, negative_slope=0.2, threshold=1.0)):
        np.testing.assert_allclose(act.ReLU(**kwargs)(x), _relu_ref(xd, **kwargs), rtol=1e-6,
                                   atol=1e-6)
    np.testing.assert_allclose(act.LeakyReLU()(x), np.where(xd > 0, xd, 0.3 * xd), rtol=1e-6)
    np.testing.assert_allclose(act.ELU(alpha=0.5)(x), np.where(xd > 0, xd, 0.5 * np.expm1(xd)),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(act.Softmax(axis=1)(x), _softmax_ref(xd, axis=1), rtol=1e-5,
                               atol=1e-7)
    np.testing.assert_allclose(act.Softmax(axis=[1, 2])(x), _softmax_ref(
        xd.reshape(2, 12)).reshape(x.shape), rtol=1e-5, atol=1e-7)
    mask = rng.random((2, 1, 4)) > 0.4
    np.testing.assert_allclose(act.Softmax()(x, mask=mask),
                               _softmax_ref(xd, mask=np.broadcast_to(mask, x.shape)),
                               rtol=1e-5, atol=1e-7)
    prelu = act.PReLU(shared_axes=[1], name="prelu")
    params, _ = prelu.init(jax.random.key(0), x)
    assert jax.tree.map(jnp.shape, params) == {"prelu": {"alpha": (1, 4)}}
    alpha = rng.standard_normal((1, 4)).astype(np.float32)
    y, _ = prelu.apply({"prelu": {"alpha": alpha}}, {}, x)
    np.testing.assert_allclose(y, np.where(xd > 0, xd, alpha * xd), rtol=1e-6)


@pytest.mark.parametrize("name,kwargs", [
    ("ReLU", dict(max_value=2.0, negative_slope=0.1, threshold=0.5)),
    ("LeakyReLU", {}),
    ("ELU", dict(alpha=0.7)),
    ("Softmax", dict(axis=[1, 2])),
    ("PReLU", dict(shared_axes=[1, 2], alpha_initializer="ones")),
])
def test_matches_keras(name, kwargs, x, rng, keras):
    ours, theirs = getattr(act, name)(**kwargs), getattr(keras.layers, name)(**kwargs)
    ours.init(jax.random.key(0), x)
    theirs.build(x.shape)
    set_same_random_weights(ours, theirs, rng)
    np.testing.assert_allclose(ours(x), theirs(x), rtol=1e-6, atol=1e-6)
    assert set(theirs.get_config()) <= set(ours.get_config())
    if name == "Softmax":
        mask = rng.random((2, 3, 1)) > 0.5
        np.testing.assert_allclose(ours(x, mask=mask), theirs(x, mask=mask), rtol=1e-6,
                                   atol=1e-7)


def test_softmax_mask_flows_through_apply(x):
    sm = act.Softmax()
    mask = jnp.asarray([True, False, True, True])
    y, _, aux = sm.apply_with_aux({}, {}, x, mask=mask)
    np.testing.assert_array_equal(y[..., 1], 0.0)
    np.testing.assert_allclose(y.sum(-1), 1.0, rtol=1e-6)
    assert aux["mask"] is mask


def test_errors(x):
    with pytest.raises(ConfigError,
                       match=r"ReLU .*`max_value` must be a finite non-negative float"):
        act.ReLU(max_value=-1.0)
    with pytest.raises(ConfigError, match=r"`negative_slope` must be a finite non-negative"):
        act.ReLU(negative_slope=-0.1)
    with pytest.raises(ConfigError, match=r"`threshold` must be a finite non-negative float"):
        act.ReLU(threshold=None)
    with pytest.raises(ConfigError, match=r"LeakyReLU .*`negative_slope` must be"):
        act.LeakyReLU(negative_slope=-1)
    with pytest.raises(ConfigError, match=r"`alpha` must be a finite float"):
        act.ELU(alpha="big")
    with pytest.raises(ConfigError, match=r"`shared_axes` must be positive ints"):
        act.PReLU(shared_axes=[0])
    with pytest.raises(ShapeError, match=r"shared axis 3 does not exist"):
        act.PReLU(shared_axes=[3])(x)
    with pytest.raises(ConfigTypeError, match=r"Softmax .*`axis` must be an int"):
        act.Softmax(axis="last")
    with pytest.raises(ShapeError, match=r"the mask must broadcast to the inputs"):
        act.Softmax()(x, mask=jnp.ones((2, 3, 3), bool))
    with pytest.raises(ShapeError, match=r"axis 3 does not exist for inputs of rank 3"):
        act.Softmax(axis=3)(x)
    prelu = act.PReLU()
    prelu(x)
    with pytest.raises(ShapeError, match=r"expected axis 2 of input shape to have value 4"):
        prelu(x[..., :2])
