"""Haiku: ``hk.transform`` of the model function, a ``jax.jit`` optax step over its params."""

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np

from . import common


def _pool(x):
    return hk.max_pool(x, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")


def _lstm(x):
    core = hk.LSTM(64)
    outs, _ = hk.dynamic_unroll(core, jnp.swapaxes(x, 0, 1), core.initial_state(x.shape[0]))
    return hk.Linear(common.CLASSES)(outs[-1])


def _transformer(x):
    attention = hk.MultiHeadAttention(4, 32, w_init=hk.initializers.VarianceScaling(1.0),
                                      model_size=128)
    h = hk.LayerNorm(-1, True, True, eps=1e-3)(x + attention(x, x, x))
    f = hk.Linear(128)(jax.nn.relu(hk.Linear(256)(h)))
    h = hk.LayerNorm(-1, True, True, eps=1e-3)(h + f)
    return hk.Linear(common.CLASSES)(h.mean(1))


def _net(name):
    relu = jax.nn.relu
    if name == "mlp":
        return lambda x: hk.Sequential([hk.Linear(512), relu, hk.Linear(512), relu,
                                        hk.Linear(common.CLASSES)])(x)
    if name == "cnn":
        def conv(o):
            return hk.Conv2D(o, 3, padding="VALID")
        return lambda x: hk.Sequential([conv(32), relu, _pool, conv(64), relu, _pool,
                                        conv(64), relu, hk.Flatten(), hk.Linear(64), relu,
                                        hk.Linear(common.CLASSES)])(x)
    return _lstm if name == "lstm" else _transformer


class Model:
    def __init__(self, name):
        shape, batch = common.SPECS[name]
        self.net = hk.without_apply_rng(hk.transform(_net(name)))
        self.params = self.net.init(jax.random.key(0), jnp.zeros((batch,) + shape))
        self.fwd = jax.jit(self.net.apply)


def build(name):
    return Model(name)


def n_params(model):
    return common.count(model.params)


def forward(model, x):
    return np.asarray(model.fwd(model.params, jnp.asarray(x)))


def columns(model, name, data):
    def loss(p, x, y):
        return common.sparse_ce(model.net.apply(p, x), y)

    return {"haiku": common.hand_columns(loss, model.params, data)["step"]}


def eager_dense():
    net = hk.without_apply_rng(hk.transform(lambda x: hk.Linear(32)(x)))
    x = jnp.asarray(np.random.default_rng(0).standard_normal((8, 16)).astype(np.float32))
    params = net.init(jax.random.key(0), x)
    return {"haiku apply(x)": lambda: net.apply(params, x)}
