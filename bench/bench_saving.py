"""Saving and loading a model of about 100M float32 parameters (400 MB).

Six ``Dense(4096)`` layers on 4096 features (100.7M parameters).  Times
``model.save`` / ``jl.saving.load_model``, ``save_weights`` / ``load_weights``
and ``save_params`` / ``load_params``, next to the floor of writing and reading
the same bytes with ``np.savez`` / ``np.load``.  Every write is atomic
(temporary file + fsync + rename), so the save times include one fsync.
Prints the table and writes ``bench/results/saving.json``.

Run: ``python bench/bench_saving.py [folder]`` (needs about 1.5 GB of memory and
1.2 GB of disk in ``folder``, default the system temporary folder).
"""

import json
import os
import platform
import shutil
import sys
import tempfile
import time

import jax
import numpy as np

import jaxlayers as jl
import jaxlayers.saving  # noqa: F401  (jl.saving)
from jaxlayers.core import tracking

WIDTH = 4096
DEPTH = 6
REPEAT = 3


def build():
    model = jl.Sequential([jl.Input((WIDTH,))] + [jl.layers.Dense(WIDTH, name=f"dense_{i}")
                                                   for i in range(DEPTH)])
    params, state = jax.jit(model.init)(jax.random.key(0), jax.ShapeDtypeStruct(
        (1, WIDTH), np.float32))
    model.set_params(params, state)
    return model


def best(fn, repeat=REPEAT):
    """Best wall-clock seconds over ``repeat`` runs (the least disturbed on a shared box)."""
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        jax.block_until_ready(jax.tree_util.tree_leaves(getattr(out, "params", out)))
        times.append(time.perf_counter() - start)
    return min(times), out


def main(folder):
    model = build()
    n_params = model.count_params()
    size_mb = n_params * 4 / 2**20
    paths = {k: os.path.join(folder, name) for k, name in
             (("model", "bench.keras"), ("weights", "bench.weights.npz"),
              ("params", "bench.params.npz"), ("numpy", "bench.numpy.npz"))}
    results = {}

    host = {"/".join(p): np.asarray(v.materialize()) for p, v in tracking.entries(model)}
    results["np.savez (floor)"] = best(lambda: np.savez(paths["numpy"], **host))[0]
    results["np.load (floor)"] = best(
        lambda: {k: v for k, v in np.load(paths["numpy"], allow_pickle=False).items()})[0]
    del host

    results["model.save"] = best(lambda: model.save(paths["model"]))[0]
    results["load_model"], loaded = best(lambda: jl.saving.load_model(paths["model"]))
    for a, b in zip(model.get_weights()[:2], loaded.get_weights()[:2]):
        np.testing.assert_array_equal(a, b)
    del loaded

    results["save_weights"] = best(lambda: model.save_weights(paths["weights"]))[0]
    results["load_weights"] = best(lambda: model.load_weights(paths["weights"]))[0]

    params, state = model.params, model.state
    results["save_params"] = best(lambda: jl.saving.save_params(paths["params"], params,
                                                                state))[0]
    results["load_params"] = best(lambda: jl.saving.load_params(paths["params"]))[0]

    print(f"{n_params / 1e6:.1f}M float32 parameters ({size_mb:.0f} MiB), best of {REPEAT}")
    for name, seconds in results.items():
        print(f"  {name:18s} {seconds:7.3f} s  {size_mb / seconds:8.0f} MiB/s")
    out = {
        "benchmark": "save/load of a 100M-parameter Dense stack",
        "n_params": n_params,
        "megabytes": round(size_mb, 1),
        "seconds": {k: round(v, 4) for k, v in results.items()},
        "mib_per_second": {k: round(size_mb / v, 1) for k, v in results.items()},
        "file_bytes": os.path.getsize(paths["model"]),
        "jax": jax.__version__,
        "backend": jax.default_backend(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }
    os.makedirs(os.path.join(os.path.dirname(__file__), "results"), exist_ok=True)
    with open(os.path.join(os.path.dirname(__file__), "results", "saving.json"), "w") as f:
        json.dump(out, f, indent=2)
    return out


if __name__ == "__main__":
    tmp = tempfile.mkdtemp(prefix="jl_bench_saving_", dir=sys.argv[1] if len(sys.argv) > 1
                           else None)
    try:
        main(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
