"""Issue 5/7 audit: synchronized BatchNormalization on a device mesh, the fused attention
path, random-layer statistics, and bad inputs raised (with the layer's name) before tracing.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import Mesh, PartitionSpec as P

from jaxlayers import layers
from jaxlayers.errors import ConfigError, ShapeError


def _f64(x):
    return np.asarray(x, np.float64)


# --------------------------------------------------------------------------- BatchNorm
def test_synchronized_batch_norm_pmean_over_a_device_mesh(rng):
    devices = jax.devices()
    if len(devices) < 8:
        pytest.skip("needs the 8 forced CPU devices of tests/conftest.py")
    mesh = Mesh(np.array(devices[:8]), ("data",))
    x0 = rng.standard_normal((16, 3, 2)).astype(np.float32) * 2 + 1
    full = layers.BatchNormalization(momentum=0.8, name="bn")
    sync = layers.BatchNormalization(momentum=0.8, synchronized=True, axis_name="data",
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
        xd = _f64(x0) * (i + 1) - i
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
    bn = layers.BatchNormalization(axis=[1, -1], momentum=0.7, epsilon=0.01, name="bn")
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
        xd = _f64(x)
        want = (xd - xd.mean(0)) / np.sqrt(xd.var(0) + 0.01) * gamma + beta
        np.testing.assert_allclose(y, want, rtol=1e-4, atol=1e-4)
        mean = 0.7 * mean + 0.3 * xd.mean(0)
        var = 0.7 * var + 0.3 * xd.var(0)
    np.testing.assert_allclose(state["bn"]["moving_mean"], mean, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(state["bn"]["moving_variance"], var, rtol=1e-5, atol=1e-5)
    y, _ = bn.apply(params, state, x0)
    np.testing.assert_allclose(y, (_f64(x0) - mean) / np.sqrt(var + 0.01) * gamma + beta,
                               rtol=1e-4, atol=1e-4)


# --------------------------------------------------------------------------- attention
def test_multi_head_attention_uses_jax_dot_product_attention(monkeypatch, rng):
    calls = []
    real = jax.nn.dot_product_attention

    def spy(*args, **kwargs):
        calls.append(kwargs.get("implementation"))
        return real(*args, **kwargs)

    monkeypatch.setattr(jax.nn, "dot_product_attention", spy)
    q = rng.standard_normal((2, 4, 6)).astype(np.float32)
    v = rng.standard_normal((2, 5, 6)).astype(np.float32)
    vm = np.ones((2, 5), bool)
    vm[0, 3:] = False
    for layer in (layers.MultiHeadAttention(num_heads=2, key_dim=3),
                  layers.GroupQueryAttention(head_dim=3, num_query_heads=4,
                                             num_key_value_heads=2)):
        params, state = layer.init(jax.random.key(0), q, v)
        calls.clear()
        fused, _ = jax.jit(lambda p, s, a, b, m: layer.apply(p, s, a, b, value_mask=m))(
            params, state, q, v, vm)
        assert calls, type(layer).__name__
        calls.clear()
        (explicit, scores), _ = layer.apply(params, state, q, v, value_mask=vm,
                                            return_attention_scores=True)
        assert not calls      # probabilities requested: the einsum path
        np.testing.assert_allclose(fused, explicit, rtol=1e-5, atol=1e-5)
        calls.clear()
        causal, _ = layer.apply(params, state, q, q, use_causal_mask=True)
        assert calls
        (ref, _), _ = layer.apply(params, state, q, q, use_causal_mask=True,
                                  return_attention_scores=True)
        np.testing.assert_allclose(causal, ref, rtol=1e-5, atol=1e-5)


# --------------------------------------------------------------------------- random layers
def test_spatial_dropout_drops_whole_channels_at_the_rate(key):
    rate = 0.4
    for layer, shape, spatial in ((layers.SpatialDropout1D(rate), (400, 3, 250), (1,)),
                                  (layers.SpatialDropout2D(rate), (400, 2, 2, 250), (1, 2)),
                                  (layers.SpatialDropout3D(rate, data_format="channels_first"),
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
    layer = layers.Dropout(0.25, noise_shape=(None, 1, 500))
    x = jnp.ones((200, 4, 500))
    y = np.asarray(layer.apply({}, {}, x, training=True, key=key)[0])
    np.testing.assert_array_equal(y, np.broadcast_to(y[:, :1], y.shape))
    assert abs(float(np.mean(y == 0)) - 0.25) < 0.01


# --------------------------------------------------------------------------- bad inputs
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


def test_dropout_rates_outside_unit_interval_are_config_errors():
    makers = {
        "Dropout": lambda r: layers.Dropout(r, name="d"),
        "SpatialDropout1D": lambda r: layers.SpatialDropout1D(r, name="d"),
        "SpatialDropout3D": lambda r: layers.SpatialDropout3D(r, name="d"),
        "GaussianDropout": lambda r: layers.GaussianDropout(r, name="d"),
        "AlphaDropout": lambda r: layers.AlphaDropout(r, name="d"),
        "MultiHeadAttention": lambda r: layers.MultiHeadAttention(2, 3, dropout=r, name="d"),
        "GroupedQueryAttention": lambda r: layers.GroupQueryAttention(2, 2, 1, dropout=r,
                                                                      name="d"),
        "AdditiveAttention": lambda r: layers.AdditiveAttention(dropout=r, name="d"),
    }
    for cls, make in makers.items():
        for rate in (1.0, -0.1, 3):
            with pytest.raises(ConfigError, match=rf"{cls} 'd': `(rate|dropout)`.* must be a "
                                                  rf"float in \[0, 1\).*=({rate!r})"):
                make(rate)
    with pytest.raises(ConfigError, match=r"MultiHeadAttention 'k': `key_dim` .* is required"):
        layers.MultiHeadAttention(num_heads=2, name="k")


def test_activity_regularization_penalty_reaches_the_training_loss():
    import jaxlayers as jl

    model = jl.Sequential([jl.Input(shape=(3,)), layers.Dense(2, kernel_initializer="ones"),
                           layers.ActivityRegularization(l2=0.5)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((4, 3), np.float32), np.zeros((4, 2), np.float32)
    # Dense outputs are all 3: mse 9, penalty 0.5 * sum(3 ** 2) / batch = 9.
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), 18.0, rtol=1e-6)
    history = model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    np.testing.assert_allclose(history.history["loss"][0], 18.0, rtol=1e-6)


def test_attention_query_value_batch_mismatch_is_a_shape_error():
    q, v = jnp.ones((2, 3, 4)), jnp.ones((3, 5, 4))
    for cls in (layers.Attention, layers.AdditiveAttention):
        with pytest.raises(ShapeError, match=rf"{cls.__name__} 'a': query, value and key must "
                                             r"agree on their leading \(batch\) axes.*"
                                             r"value_shape=\(3, 5, 4\)"):
            cls(name="a")([q, v])
    built = layers.Attention(name="b")
    built([q, jnp.ones((2, 5, 4))])
    with pytest.raises(ShapeError, match=r"Attention 'b': query, value and key must agree"):
        jax.jit(lambda a, b: built.apply({}, {}, [a, b])[0])(q, v)
    with pytest.raises(ShapeError, match=r"Attention 'b': query, value and key must agree"):
        built.compute_output_shape([(2, 3, 4), (3, 5, 4)])
