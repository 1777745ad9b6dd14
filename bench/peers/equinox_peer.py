"""Equinox: a per-example model under ``jax.vmap``, trained by an ``eqx.filter_jit`` step."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from . import common


class LSTM(eqx.Module):
    cell: eqx.nn.LSTMCell
    out: eqx.nn.Linear

    def __init__(self, key):
        k1, k2 = jax.random.split(key)
        self.cell = eqx.nn.LSTMCell(32, 64, key=k1)
        self.out = eqx.nn.Linear(64, common.CLASSES, key=k2)

    def __call__(self, xs):
        def step(carry, x):
            return self.cell(x, carry), None

        zeros = jnp.zeros((64,), xs.dtype)
        (h, _), _ = lax.scan(step, (zeros, zeros), xs)
        return self.out(h)


class Transformer(eqx.Module):
    attention: eqx.nn.MultiheadAttention
    norm1: eqx.nn.LayerNorm
    up: eqx.nn.Linear
    down: eqx.nn.Linear
    norm2: eqx.nn.LayerNorm
    out: eqx.nn.Linear

    def __init__(self, key):
        k = jax.random.split(key, 4)
        d = 128
        self.attention = eqx.nn.MultiheadAttention(
            4, d, use_query_bias=True, use_key_bias=True, use_value_bias=True,
            use_output_bias=True, key=k[0])
        self.norm1 = eqx.nn.LayerNorm(d, eps=1e-3)
        self.up = eqx.nn.Linear(d, 256, key=k[1])
        self.down = eqx.nn.Linear(256, d, key=k[2])
        self.norm2 = eqx.nn.LayerNorm(d, eps=1e-3)
        self.out = eqx.nn.Linear(d, common.CLASSES, key=k[3])

    def __call__(self, x):
        h = jax.vmap(self.norm1)(x + self.attention(x, x, x))
        f = jax.vmap(self.down)(jax.nn.relu(jax.vmap(self.up)(h)))
        return self.out(jax.vmap(self.norm2)(h + f).mean(0))


class Batched(eqx.Module):
    """The per-example model vmapped over the batch; images arrive NHWC, Equinox wants CHW."""

    model: eqx.Module
    channels_first: bool = eqx.field(static=True)

    def __call__(self, x):
        if self.channels_first:
            x = jnp.transpose(x, (0, 3, 1, 2))
        return jax.vmap(self.model)(x)


def build(name):
    key = jax.random.key(0)
    relu = eqx.nn.Lambda(jax.nn.relu)
    if name == "mlp":
        return Batched(eqx.nn.MLP(784, common.CLASSES, 512, 2, activation=jax.nn.relu,
                                  key=key), False)
    if name == "cnn":
        k = jax.random.split(key, 5)
        return Batched(eqx.nn.Sequential([
            eqx.nn.Conv2d(3, 32, 3, key=k[0]), relu, eqx.nn.MaxPool2d(2, 2),
            eqx.nn.Conv2d(32, 64, 3, key=k[1]), relu, eqx.nn.MaxPool2d(2, 2),
            eqx.nn.Conv2d(64, 64, 3, key=k[2]), relu, eqx.nn.Lambda(jnp.ravel),
            eqx.nn.Linear(1024, 64, key=k[3]), relu,
            eqx.nn.Linear(64, common.CLASSES, key=k[4])]), True)
    return Batched(LSTM(key) if name == "lstm" else Transformer(key), False)


def n_params(model):
    return common.count(eqx.filter(model, eqx.is_array))


def forward(model, x):
    return np.asarray(eqx.filter_jit(lambda m, x: m(x))(model, jnp.asarray(x)))


def columns(model, name, data):
    tx = common.make_tx()

    @eqx.filter_jit(donate="all-except-first")
    def step(y, model, opt_state, x):
        value, grads = eqx.filter_value_and_grad(
            lambda m: common.sparse_ce(m(x), y))(model)
        updates, opt_state = tx.update(grads, opt_state, eqx.filter(model, eqx.is_array))
        return eqx.apply_updates(model, updates), opt_state, value

    def ordered(m, o, x, y):  # donate everything but the labels
        return step(y, m, o, x)

    opt_state = tx.init(eqx.filter(model, eqx.is_array))
    copy = jax.tree.map(lambda v: jnp.copy(v) if eqx.is_array(v) else v, model)
    column = common.loop(ordered, copy, opt_state, data.xb, data.yb)
    column.memory = None  # filter_jit hides the lowered step
    return {"equinox": column}


def eager_dense():
    layer = eqx.nn.Linear(16, 32, key=jax.random.key(0))
    x = jnp.asarray(np.random.default_rng(0).standard_normal((8, 16)).astype(np.float32))
    return {"equinox vmap(layer)(x)": lambda: jax.vmap(layer)(x)}
