"""Flax NNX: ``nnx.jit`` on the stateful model, and ``nnx.split``/``merge`` under ``jax.jit``."""

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from . import common


def _flatten(x):
    return x.reshape(x.shape[0], -1)


def _pool(x):
    return nnx.max_pool(x, (2, 2), (2, 2))


class LSTM(nnx.Module):
    def __init__(self, rngs):
        self.rnn = nnx.RNN(nnx.OptimizedLSTMCell(32, 64, rngs=rngs), rngs=False)
        self.out = nnx.Linear(64, common.CLASSES, rngs=rngs)

    def __call__(self, x):
        zeros = jnp.zeros((x.shape[0], 64), x.dtype)
        return self.out(self.rnn(x, initial_carry=(zeros, zeros))[:, -1])


class Transformer(nnx.Module):
    def __init__(self, rngs):
        d = 128
        self.attention = nnx.MultiHeadAttention(4, d, qkv_features=d, decode=False, rngs=rngs)
        self.norm1 = nnx.LayerNorm(d, epsilon=1e-3, rngs=rngs)
        self.up = nnx.Linear(d, 256, rngs=rngs)
        self.down = nnx.Linear(256, d, rngs=rngs)
        self.norm2 = nnx.LayerNorm(d, epsilon=1e-3, rngs=rngs)
        self.out = nnx.Linear(d, common.CLASSES, rngs=rngs)

    def __call__(self, x):
        h = self.norm1(x + self.attention(x))
        h = self.norm2(h + self.down(jax.nn.relu(self.up(h))))
        return self.out(h.mean(1))


def build(name):
    rngs = nnx.Rngs(0)
    relu = jax.nn.relu
    if name == "mlp":
        return nnx.Sequential(nnx.Linear(784, 512, rngs=rngs), relu,
                              nnx.Linear(512, 512, rngs=rngs), relu,
                              nnx.Linear(512, common.CLASSES, rngs=rngs))
    if name == "cnn":
        def conv(i, o):
            return nnx.Conv(i, o, (3, 3), padding="VALID", rngs=rngs)
        return nnx.Sequential(conv(3, 32), relu, _pool, conv(32, 64), relu, _pool,
                              conv(64, 64), relu, _flatten,
                              nnx.Linear(1024, 64, rngs=rngs), relu,
                              nnx.Linear(64, common.CLASSES, rngs=rngs))
    return LSTM(rngs) if name == "lstm" else Transformer(rngs)


def n_params(model):
    return common.count(nnx.state(model, nnx.Param))


def forward(model, x):
    return np.asarray(model(jnp.asarray(x)))


def columns(model, name, data):
    graphdef, params, rest = nnx.split(model, nnx.Param, ...)

    def loss(p, x, y):
        return common.sparse_ce(nnx.merge(graphdef, p, rest)(x), y)

    split_merge = common.hand_columns(loss, params, data)["step"]

    optimizer = nnx.Optimizer(model, common.make_tx(), wrt=nnx.Param)

    @nnx.jit
    def step(model, optimizer, x, y):
        value, grads = nnx.value_and_grad(lambda m: common.sparse_ce(m(x), y))(model)
        optimizer.update(model, grads)
        return value

    def stateful(m, o, x, y):
        return m, o, step(m, o, x, y)

    return {"nnx jit": common.loop(stateful, model, optimizer, data.xb, data.yb),
            "nnx split/merge": split_merge}


def eager_dense():
    layer = nnx.Linear(16, 32, rngs=nnx.Rngs(0))
    x = jnp.asarray(np.random.default_rng(0).standard_normal((8, 16)).astype(np.float32))
    return {"nnx layer(x)": lambda: layer(x)}
