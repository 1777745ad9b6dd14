"""Pure ``apply`` of a Dense/MLP stack under jit vs the same math hand-written in JAX.

Also: the eager facade call ``layer(x)`` against a jitted call, and the train step
through ``model.apply`` vs a hand-written one.  Prints ratios (1.00 = same speed)
and writes ``bench/results/core.json``.  Run: ``python bench/bench_core.py``.
"""

import json
import os
import platform
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

import jaxlayers as jl

WIDTHS = (784, 512, 512, 256, 10)
BATCH = 256


def timeit(fn, *args, repeat=7, number=50):
    """Best seconds per call over ``repeat`` runs, after a warm-up that compiles.

    The minimum is the least disturbed by other work on a shared machine.
    """
    jax.block_until_ready(fn(*args))
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            out = fn(*args)
        jax.block_until_ready(out)
        samples.append((time.perf_counter() - start) / number)
    return float(np.min(samples))


def compare(a, a_args, b, b_args, rounds=3, **kwargs):
    """Times two functions in alternation (so drift hits both); best of each."""
    ta, tb = [], []
    for _ in range(rounds):
        ta.append(timeit(a, *a_args, **kwargs))
        tb.append(timeit(b, *b_args, **kwargs))
    return min(ta), min(tb)


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

    def make_step(loss):
        @jax.jit
        def step(p, o, x, y):
            g = jax.grad(loss)(p, x, y)
            u, o = tx.update(g, o, p)
            return optax.apply_updates(p, u), o
        return step

    jl_step, raw_step = make_step(jl_loss), make_step(raw_loss)
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
        "device": str(jax.devices()[0]),
        "platform": platform.platform(),
        "mlp_forward_ms": {"jaxlayers": t_jl_fwd * 1e3, "hand_written": t_raw_fwd * 1e3,
                           "ratio": t_jl_fwd / t_raw_fwd},
        "mlp_train_step_ms": {"jaxlayers": t_jl_step * 1e3, "hand_written": t_raw_step * 1e3,
                              "ratio": t_jl_step / t_raw_step},
        "dense_eager_vs_jit_ms": {"eager_facade": t_eager * 1e3, "jit_apply": t_jit * 1e3,
                                  "ratio": t_eager / t_jit},
    }
    for name, row in results.items():
        if isinstance(row, dict):
            print(f"{name:24s} " + "  ".join(f"{k}={v:.4f}" for k, v in row.items()))
    os.makedirs(os.path.join(os.path.dirname(__file__), "results"), exist_ok=True)
    with open(os.path.join(os.path.dirname(__file__), "results", "core.json"), "w") as f:
        json.dump(results, f, indent=2)
    return results


if __name__ == "__main__":
    main()
