"""Pure ``apply`` of a Dense/MLP stack under jit vs the same math hand-written in JAX.

Also: the eager facade call ``layer(x)`` against a jitted call, and the train step
through ``model.apply`` vs a hand-written one.  Prints ratios (1.00 = same speed)
and writes ``bench/results/core.json``.  Run: ``python bench/bench_core.py``.
"""


import jax
import jax.numpy as jnp
import numpy as np
import optax

import jaxlayers as jl
from _timing import compare, optax_step, report, timeit  # noqa: E402 - bench/ helper

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


def main():
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

    # Eager facade vs the jitted pure call (small layer: dispatch-bound).
    dense = jl.layers.Dense(64)
    xs = jnp.ones((32, 64))
    dense(xs)
    jitted = jax.jit(lambda p, s, x: dense.apply(p, s, x)[0])
    t_eager = timeit(dense, xs, number=20)
    t_jit = timeit(jitted, dense.params, dense.state, xs)

    results = {
                "mlp_forward_ms": {"jaxlayers": t_jl_fwd * 1e3, "hand_written": t_raw_fwd * 1e3,
                           "ratio": t_jl_fwd / t_raw_fwd},
        "mlp_train_step_ms": {"jaxlayers": t_jl_step * 1e3, "hand_written": t_raw_step * 1e3,
                              "ratio": t_jl_step / t_raw_step},
        "dense_eager_vs_jit_ms": {"eager_facade": t_eager * 1e3, "jit_apply": t_jit * 1e3,
                                  "ratio": t_eager / t_jit},
    }
    return report("core", results)


if __name__ == "__main__":
    main()
