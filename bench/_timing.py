"""Timing and reporting shared by the bench scripts (run them as ``python bench/X.py``)."""

import json
import os
import platform
import time

import jax
import numpy as np
import optax


def timeit(fn, *args, repeat=5, number=20):
    """Best seconds per call over ``repeat`` runs, after a warm-up call that compiles.

    The minimum is the sample least disturbed by other work on a shared machine.
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


def report(name, results):
    """Prints each row of ``results`` and writes ``bench/results/<name>.json``."""
    results = {"device": str(jax.devices()[0]), "platform": platform.platform(), **results}
    for key, row in results.items():
        if isinstance(row, dict):
            print(f"{key:28s} " + "  ".join(
                f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}"
                for k, v in row.items()), flush=True)
    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, f"{name}.json"), "w") as f:
        json.dump(results, f, indent=2)
    return results


def optax_step(loss, tx):
    """A jitted ``(params, opt_state, x, y) -> (params, opt_state)`` step on ``loss``."""
    @jax.jit
    def step(p, o, x, y):
        g = jax.grad(loss)(p, x, y)
        u, o = tx.update(g, o, p)
        return optax.apply_updates(p, u), o
    return step
