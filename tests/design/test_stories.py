"""Design stories: short end-to-end uses of the pure API with JAX transforms.

Each story is what a researcher would write with jaxlayers and nothing but JAX
and optax around it; each checks numbers, not only that it runs.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax

import jaxlayers as jl
from tests.helpers import assert_close

L = jl.layers


def test_per_example_gradients_with_vmap(key):
    """vmap over examples of grad of apply: equals a Python loop of single-example grads."""
    model = jl.Sequential([L.Dense(8, activation="tanh"), L.Dense(1)])
    x = jax.random.normal(key, (5, 3))
    y = jnp.arange(5.0)[:, None]
    params, state = model.init(jax.random.key(1), x)

    def loss(p, xi, yi):
        out, _ = model.apply(p, state, xi[None])
        return jnp.sum((out - yi) ** 2)

    per_example = jax.jit(jax.vmap(jax.grad(loss), in_axes=(None, 0, 0)))(params, x, y)
    for i in range(5):
        assert_close(jax.tree_util.tree_map(lambda g: g[i], per_example),
                     jax.grad(loss)(params, x[i], y[i]), rtol=1e-5, atol=1e-6,
                     same_structure=True)
    # The mean of per-example gradients is the batch gradient.
    batch = jax.grad(lambda p: jnp.mean(jax.vmap(loss, (None, 0, 0))(p, x, y)))(params)
    assert_close(jax.tree_util.tree_map(lambda g: g.mean(0), per_example), batch, rtol=1e-5,
                 atol=1e-6, same_structure=True)


def test_ensemble_by_vmapping_init_over_keys(key):
    """Four independent models: init vmapped over keys, apply vmapped over params."""
    model = jl.Sequential([L.Dense(4, activation="relu", name="hidden"), L.Dense(2)])
    x = jax.random.normal(key, (3, 6))
    keys = jax.random.split(jax.random.key(7), 4)
    params, state = jax.vmap(lambda k: model.init(k, x))(keys)
    assert params["hidden"]["kernel"].shape == (4, 6, 4)
    outs = jax.vmap(lambda p: model.apply(p, {}, x)[0])(params)
    for i in range(4):
        p_i, _ = model.init(keys[i], x)
        np.testing.assert_allclose(outs[i], model.apply(p_i, {}, x)[0], rtol=1e-6)
    assert not np.allclose(outs[0], outs[1])  # different keys, different members


def test_scan_over_a_stack_of_identical_layers(key):
    """Params of N identical blocks stacked on a leading axis, applied with lax.scan."""
    block = L.Dense(8, activation="tanh")
    x = jax.random.normal(key, (2, 8))
    keys = jax.random.split(jax.random.key(3), 6)
    stacked, _ = jax.vmap(lambda k: block.init(k, x))(keys)

    def body(h, p):
        h, _ = block.apply(p, {}, h)
        return h, None

    out, _ = jax.jit(lambda s, h: jax.lax.scan(body, h, s))(stacked, x)
    h = x
    for i in range(6):
        h, _ = block.apply(jax.tree_util.tree_map(lambda a: a[i], stacked), {}, h)
    np.testing.assert_allclose(out, h, rtol=1e-5, atol=1e-6)


class TiedAutoencoder(jl.Model):
    """The decoder reuses the encoder's kernel, transposed: one weight, two uses."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.encoder = L.Dense(3, use_bias=False, name="encoder")

    def build(self, input_shape):
        self.decoder_bias = self.add_weight(shape=(input_shape[-1],), initializer="zeros")

    def call(self, x):
        h = jnp.tanh(self.encoder(x))
        return h @ self.encoder.kernel.T + self.decoder_bias


def test_tied_weights_share_one_leaf_and_its_gradient(key):
    model = TiedAutoencoder()
    x = jax.random.normal(key, (4, 5))
    params, state = model.init(jax.random.key(0), x)
    leaves = jax.tree_util.tree_leaves(params)
    assert sorted(a.shape for a in leaves) == [(5,), (5, 3)]  # one kernel, no copy
    w = params["encoder"]["kernel"]

    def by_hand(w, b):
        return jnp.sum((jnp.tanh(x @ w) @ w.T + b - x) ** 2)

    def through_model(p):
        return jnp.sum((model.apply(p, state, x)[0] - x) ** 2)

    grads = jax.grad(through_model)(params)
    gw, gb = jax.grad(by_hand, argnums=(0, 1))(w, params["decoder_bias"])
    np.testing.assert_allclose(grads["encoder"]["kernel"], gw, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grads["decoder_bias"], gb, rtol=1e-5, atol=1e-6)


def test_custom_training_loop_with_optax_and_batch_norm_state(key):
    """A hand-written loop: params through optax, BatchNorm statistics through state."""
    model = jl.Sequential([L.Dense(16), L.BatchNormalization(), L.Activation("relu"),
                           L.Dropout(0.1), L.Dense(1)])
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5, 3.0], np.float32))[:, None]
    params, state = model.init(key, x)
    tx = optax.adam(1e-2)
    opt_state = tx.init(params)

    @jax.jit
    def step(params, state, opt_state, k):
        def loss(p):
            out, s = model.apply(p, state, x, training=True, key=k)
            return jnp.mean((out - y) ** 2), s

        (value, state), grads = jax.value_and_grad(loss, has_aux=True)(params)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), state, opt_state, value

    first = None
    for i in range(150):
        params, state, opt_state, value = step(params, state, opt_state,
                                               jax.random.fold_in(key, i))
        first = value if first is None else first
    assert float(value) < 0.1 * float(first)
    # The moving statistics moved toward the batch statistics of the first Dense.
    bn = [k for k in state if k.startswith("batch_normalization")][0]
    assert not np.allclose(state[bn]["moving_mean"], 0.0)
    # Inference uses them: the facade, given the trained trees, agrees with apply.
    model.set_params(params, state)
    np.testing.assert_allclose(model(x), model.apply(params, state, x)[0], rtol=1e-5,
                               atol=1e-5)


def test_keras_stateless_call_idiom_in_a_jitted_step(key):
    """Keras's 'custom training loop in JAX' guide, unchanged: lists of variables."""
    model = jl.Sequential([L.Input((3,)), L.Dense(4, name="first"), L.Dense(1)])
    x = jax.random.normal(key, (8, 3))
    y = jnp.ones((8, 1))
    tv = [v.value for v in model.trainable_variables]
    ntv = [v.value for v in model.non_trainable_variables]

    def loss_fn(tv, ntv, x, y):
        out, ntv = model.stateless_call(tv, ntv, x)
        return jnp.mean((out - y) ** 2), ntv

    grad_fn = jax.jit(jax.value_and_grad(loss_fn, has_aux=True))
    (loss, _), grads = grad_fn(tv, ntv, x, y)
    params = model.params
    ref = jax.grad(lambda p: jnp.mean((model.apply(p, model.state, x)[0] - y) ** 2))(params)
    assert [g.shape for g in grads] == [v.shape for v in model.trainable_variables]
    np.testing.assert_allclose(grads[0], ref["first"]["kernel"], rtol=1e-5, atol=1e-6)
