"""Pure ``apply`` of a Dense/MLP stack under jit vs the same math hand-written in JAX.

Also: the eager facade call ``layer(x)`` of small built-in layers (Dense;
BatchNormalization and Dropout with ``training=True``) against a jitted
``apply``, and the train step through ``model.apply`` vs a hand-written one.
Prints ratios (1.00 = same speed) and writes ``bench/results/core.json``.
Run: ``python bench/bench_core.py [--eager]`` (``--eager``: only the eager rows).
"""
import functools
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax
from _timing import compare, optax_step, report  # noqa: E402 - bench/ helper

import jaxlayers as jl

WIDTHS = (784, 512, 512, 256, 10)
BATCH = 256


def build():
    layers = [jl.layers.Dense(w, activation="relu") for w in WIDTHS[1:-1]]
    layers.append(jl.layers.Dense(WIDTHS[-1]))
    return jl.Sequential(layers)


def hand_written_params(params, model):
    return [(params[layer.name]["kernel"], params[layer.name]["bias"])
            for layer in model.layers]


def mlp(ws, x):
    for i, (w, b) in enumerate(ws):
        x = x @ w + b
        if i < len(ws) - 1:
            x = jax.nn.relu(x)
    return x


def eager_rows():
    """The eager facade call of built-in layers against a jitted ``apply`` of the same call."""
    rows = {}
    x = jnp.ones((8, 16))
    cases = {
        "dense_eager_vs_jit_ms": (jl.layers.Dense(32), False),
        "batchnorm_train_eager_vs_jit_ms": (jl.layers.BatchNormalization(), True),
        "dropout_train_eager_vs_jit_ms": (jl.layers.Dropout(0.5), True),
    }
    for name, (layer, training) in cases.items():
        layer(x, training=training)
        key = jax.random.key(0)
        jitted = jax.jit(lambda p, s, x, k, layer=layer, training=training: layer.apply(
            p, s, x, training=training, key=k)[0])
        eager = functools.partial(layer, training=training)
        t_eager, t_jit = compare(eager, (x,), jitted, (layer.params, layer.state, x, key),
                                 number=50)
        rows[name] = {"eager_facade": t_eager * 1e3, "jit_apply": t_jit * 1e3,
                      "ratio": t_eager / t_jit}
    return rows


def main():
    if "--eager" in sys.argv:
        return report("core_eager", eager_rows())
    model = build()
    x = jax.random.normal(jax.random.key(0), (BATCH, WIDTHS[0]))
    y = jax.random.randint(jax.random.key(1), (BATCH,), 0, WIDTHS[-1])
    params, state = model.init(jax.random.key(2), x)
    ws = hand_written_params(params, model)

    # Forward.
    jl_fwd = jax.jit(lambda p, s, x: model.apply(p, s, x)[0])
    raw_fwd = jax.jit(mlp)
    np.testing.assert_allclose(jl_fwd(params, state, x), raw_fwd(ws, x), rtol=1e-4,
                               atol=1e-4)
    t_jl_fwd, t_raw_fwd = compare(jl_fwd, (params, state, x), raw_fwd, (ws, x))

    # Train step (adam, softmax cross-entropy).
    tx = optax.adam(1e-3)

    def jl_loss(p, x, y):
        logits = model.apply(p, state, x)[0]
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    def raw_loss(w, x, y):
        return optax.softmax_cross_entropy_with_integer_labels(mlp(w, x), y).mean()

    jl_step, raw_step = optax_step(jl_loss, tx), optax_step(raw_loss, tx)
    t_jl_step, t_raw_step = compare(jl_step, (params, tx.init(params), x, y),
                                    raw_step, (ws, tx.init(ws), x, y))

    results = {
        "mlp_forward_ms": {"jaxlayers": t_jl_fwd * 1e3, "hand_written": t_raw_fwd * 1e3,
                           "ratio": t_jl_fwd / t_raw_fwd},
        "mlp_train_step_ms": {"jaxlayers": t_jl_step * 1e3, "hand_written": t_raw_step * 1e3,
                              "ratio": t_jl_step / t_raw_step},
        # Small layers: the eager call is dispatch-bound.
        **eager_rows(),
    }
    return report("core", results)


if __name__ == "__main__":
    main()
