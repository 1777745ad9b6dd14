"""The floor: the four models hand-written in JAX, trained with a hand-written optax step.

Weights are a flat list in Keras's ``get_weights()`` order, so the same list can be loaded into
the jaxlayers and Keras models to check that every column computes the same function.
"""

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from . import common

HEADS, KEY_DIM = 4, 32


def shapes(name):
    """Weight shapes in Keras's order."""
    def dense(i, o):
        return [(i, o), (o,)]
    if name == "mlp":
        return dense(784, 512) + dense(512, 512) + dense(512, 10)
    if name == "cnn":
        return ([(3, 3, 3, 32), (32,), (3, 3, 32, 64), (64,), (3, 3, 64, 64), (64,)]
                + dense(4 * 4 * 64, 64) + dense(64, 10))
    if name == "lstm":
        return [(32, 256), (64, 256), (256,)] + dense(64, 10)
    d, hk = 128, (HEADS, KEY_DIM)
    attention = [(d,) + hk, hk] * 3 + [hk + (d,), (d,)]
    return (attention + [(d,), (d,)] + dense(d, 256) + dense(256, d) + [(d,), (d,)]
            + dense(d, 10))


def _fan_in(shape):
    if len(shape) == 4:  # conv HWIO
        return int(np.prod(shape[:3]))
    if len(shape) == 3 and shape[0] == HEADS:  # attention output (heads, key_dim, d)
        return HEADS * KEY_DIM
    return shape[0]


def init_weights(name, seed=0):
    """Random weights: fan-in scaled kernels, small non-zero biases, scales near one."""
    rng = np.random.default_rng(seed)
    out = []
    for shape in shapes(name):
        if len(shape) == 1 or shape == (HEADS, KEY_DIM):
            w = 0.1 * rng.standard_normal(shape)
        else:
            w = rng.standard_normal(shape) / np.sqrt(_fan_in(shape))
        out.append(w.astype(np.float32))
    if name == "transformer":  # the two layer-norm scales
        for i in (8, 14):
            out[i] = out[i] + 1.0
    return out


def _layer_norm(x, gamma, beta):
    mean = x.mean(-1, keepdims=True)
    var = jnp.square(x - mean).mean(-1, keepdims=True)
    return (x - mean) * lax.rsqrt(var + 1e-3) * gamma + beta


def _conv_relu(x, k, b):
    y = lax.conv_general_dilated(x, k, (1, 1), "VALID",
                                 dimension_numbers=("NHWC", "HWIO", "NHWC"))
    return jax.nn.relu(y + b)


def _pool(x):
    return lax.reduce_window(x, -jnp.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")


def _lstm_last(x, kernel, recurrent, bias):
    """Last ``h``; the input projection is inside the step (gate order i, f, c, o)."""
    def step(carry, xt):
        h, c = carry
        i, f, g, o = jnp.split(xt @ kernel + h @ recurrent + bias, 4, axis=-1)
        c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
        return (jax.nn.sigmoid(o) * jnp.tanh(c), c), None

    zeros = jnp.zeros((x.shape[0], recurrent.shape[0]), x.dtype)
    (h, _), _ = lax.scan(step, (zeros, zeros), jnp.swapaxes(x, 0, 1))
    return h


def _attention(x, w):
    qk, qb, kk, kb, vk, vb, ok, ob = w
    q = jnp.einsum("btd,dhk->bthk", x, qk) + qb
    k = jnp.einsum("btd,dhk->bthk", x, kk) + kb
    v = jnp.einsum("btd,dhk->bthk", x, vk) + vb
    scores = jnp.einsum("bqhk,bshk->bhqs", q / np.sqrt(KEY_DIM).astype(np.float32), k)
    heads = jnp.einsum("bhqs,bshk->bqhk", jax.nn.softmax(scores, -1), v)
    return jnp.einsum("bqhk,hkd->bqd", heads, ok) + ob


def apply(name, w, x):
    """Logits of model ``name`` with the weight list ``w``."""
    if name == "mlp":
        x = jax.nn.relu(x @ w[0] + w[1])
        x = jax.nn.relu(x @ w[2] + w[3])
        return x @ w[4] + w[5]
    if name == "cnn":
        x = _pool(_conv_relu(x, w[0], w[1]))
        x = _pool(_conv_relu(x, w[2], w[3]))
        x = _conv_relu(x, w[4], w[5]).reshape(x.shape[0], -1)
        return jax.nn.relu(x @ w[6] + w[7]) @ w[8] + w[9]
    if name == "lstm":
        return _lstm_last(x, w[0], w[1], w[2]) @ w[3] + w[4]
    h = _layer_norm(x + _attention(x, w[:8]), w[8], w[9])
    f = jax.nn.relu(h @ w[10] + w[11]) @ w[12] + w[13]
    h = _layer_norm(h + f, w[14], w[15])
    return h.mean(1) @ w[16] + w[17]


class Model:
    def __init__(self, name):
        self.name = name
        self.weights = [jnp.asarray(w) for w in init_weights(name)]
        self.fwd = jax.jit(lambda w, x: apply(name, w, x))


def build(name):
    return Model(name)


def n_params(model):
    return common.count(model.weights)


def set_weights(model, weights):
    model.weights = [jnp.asarray(w) for w in weights]


def forward(model, x):
    return np.asarray(model.fwd(model.weights, jnp.asarray(x)))


def predict(model, x, batch):
    return common.jitted_predict(lambda xb: model.fwd(model.weights, xb), x, batch)


def columns(model, name, data):
    def loss(w, x, y):
        return common.sparse_ce(apply(name, w, x), y)

    cols = common.hand_columns(loss, model.weights, data, scanned=True)
    return {"floor": cols["step"], "floor scan x10": cols["scan"]}


def eager_dense():
    rng = np.random.default_rng(0)
    w, b, x = (jnp.asarray(rng.standard_normal(s).astype(np.float32))
               for s in ((16, 32), (32,), (8, 16)))
    jitted = jax.jit(lambda w, b, x: x @ w + b)
    return {"raw JAX jit": lambda: jitted(w, b, x), "raw JAX op by op": lambda: x @ w + b}
