"""Scale: scan over repeated blocks, rematerialization, data parallelism on forced devices.

Three tables:

* **compile**: seconds to trace, lower and compile one jitted training gradient
  of a stack of N identical blocks, as ``jl.layers.Repeat(block, N)`` and as N
  separate layers, for N = 2, 8, 32.  Repeat's time should stay near constant.
* **memory**: XLA's temporary buffer bytes (``compiled.memory_analysis()``, a
  good proxy for peak activation memory on CPU) of the same gradient for a deep
  MLP and a Transformer-ish encoder stack, without and with rematerialization
  (``jl.RematScope``: ``"full"`` keeps only each block's input; the
  ``dots_saveable`` policy also keeps matmul results).
* **data_parallel**: milliseconds per jitted SGD step of a Repeat MLP under
  ``jl.distribution.DataParallel`` on 1, 2, 4 and 8 forced CPU devices, each in
  a fresh process (``XLA_FLAGS=--xla_force_host_platform_device_count=K``).
  Forced CPU devices share the machine's cores, so this shows the overhead of
  sharding, not a speed-up.

Prints the tables and writes ``bench/results/scale.json``.
Run: ``python bench/bench_scale.py`` (``--quick`` for smaller shapes and fewer runs).
"""

import argparse
import json
import os
import subprocess
import sys
import time

if __name__ == "__main__" and "--dp-worker" in sys.argv:
    # Before jax is imported: the worker's forced device count.
    _K = sys.argv[sys.argv.index("--dp-worker") + 1]
    os.environ["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={_K}"

import jax
import jax.numpy as jnp
import numpy as np
from _timing import report, timeit  # noqa: E402 - bench/ helper

import jaxlayers as jl  # noqa: E402

L = jl.layers


def mlp_block(width):
    return lambda name="block": jl.Sequential(
        [L.Dense(width, activation="relu"), L.Dense(width)], name=name)


def encoder_block(width, heads):
    class Encoder(L.Layer):
        """Post-norm self-attention and MLP, each with a residual connection."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.attention = L.MultiHeadAttention(heads, width // heads, name="mha")
            self.norm1 = L.LayerNormalization(name="ln1")
            self.up = L.Dense(2 * width, activation="gelu", name="up")
            self.down = L.Dense(width, name="down")
            self.norm2 = L.LayerNormalization(name="ln2")

        def call(self, x):
            h = self.norm1(x + self.attention(x, x))
            return self.norm2(h + self.down(self.up(h)))

    return lambda name="block": Encoder(name=name)


def stack(factory, n, repeat=True, remat=None):
    """A model of ``n`` blocks: ``Repeat`` or n separate layers, optionally rematerialized."""
    names = [f"block_{i}" for i in range(n)]
    if remat and not repeat:
        # Each block (not each of its sublayers) rematerialized, as Repeat does per step.
        remat = dict(remat, mode="list_of_layers", layer_names=names)
    with jl.RematScope(**remat) if remat else jl.RematScope(mode=None):
        if repeat:
            return jl.Sequential([L.Repeat(factory, n, name="repeat")])
        return jl.Sequential([factory(name) for name in names])


def grad_fn(model, x):
    params, state = model.init(jax.random.key(0), x)

    def loss(p, x):
        return jnp.mean(model.apply(p, state, x, training=True)[0] ** 2)

    return jax.jit(jax.grad(loss)), params


def compile_seconds(model, x):
    fn, params = grad_fn(model, x)
    start = time.perf_counter()
    compiled = fn.lower(params, x).compile()
    return time.perf_counter() - start, compiled


def compile_table(width, ns, batch):
    x = jnp.ones((batch, width), jnp.float32)
    rows = {}
    for n in ns:
        rep, _ = compile_seconds(stack(mlp_block(width), n), x)
        unrolled, _ = compile_seconds(stack(mlp_block(width), n, repeat=False), x)
        rows[f"compile N={n}"] = {"repeat_s": rep, "unrolled_s": unrolled}
    return rows


def memory_table(quick):
    depth = 8 if quick else 16
    width = 128 if quick else 512
    seq, d_model = (16, 32) if quick else (64, 128)
    batch = 32 if quick else 128
    cases = {
        "mlp": (mlp_block(width), jnp.ones((batch, width), jnp.float32)),
        "encoder": (encoder_block(d_model, 4), jnp.ones((batch // 4, seq, d_model),
                                                        jnp.float32)),
    }
    variants = {
        "repeat": dict(repeat=True, remat=None),
        "repeat_remat_full": dict(repeat=True, remat=dict(mode="full")),
        "repeat_remat_dots": dict(repeat=True, remat=dict(mode="full", policy="dots_saveable")),
        "unrolled": dict(repeat=False, remat=None),
        "unrolled_remat_full": dict(repeat=False, remat=dict(mode="full")),
    }
    rows = {}
    for name, (factory, x) in cases.items():
        row = {}
        for variant, kw in variants.items():
            model = stack(factory, depth, **kw)
            _, compiled = compile_seconds(model, x)
            row[f"{variant}_MiB"] = compiled.memory_analysis().temp_size_in_bytes / 2 ** 20
        rows[f"memory {name} depth={depth}"] = row
    return rows


def dp_worker(quick):
    """One data-parallel measurement on all of this process's (forced) devices."""
    width, n, batch = (128, 4, 64) if quick else (512, 8, 256)
    model = stack(mlp_block(width), n)
    dist = jl.distribution.DataParallel()
    x = np.random.default_rng(0).standard_normal((batch, width)).astype(np.float32)
    params, state = dist.init(model, jax.random.key(0), jax.ShapeDtypeStruct(x.shape, x.dtype))
    xs = dist.shard_batch(x)

    @jax.jit
    def step(p, x):
        g = jax.grad(lambda p: jnp.mean(model.apply(p, state, x)[0] ** 2))(p)
        return jax.tree.map(lambda a, b: a - 1e-3 * b, p, g)

    seconds = timeit(step, params, xs, repeat=3 if quick else 5, number=5 if quick else 20)
    print(json.dumps({"devices": len(jax.devices()), "step_ms": 1e3 * seconds}))


def dp_table(quick):
    rows = {}
    for k in (1, 2, 4, 8):
        args = [sys.executable, os.path.abspath(__file__), "--dp-worker", str(k)]
        if quick:
            args.append("--quick")
        out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
        result = json.loads(out.strip().splitlines()[-1])
        rows[f"data_parallel devices={k}"] = {"step_ms": result["step_ms"]}
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--dp-worker", default=None)
    args = parser.parse_args()
    if args.dp_worker is not None:
        dp_worker(args.quick)
        return
    results = {"note": "forced CPU devices share the machine's cores; memory is XLA's "
                       "temp bytes of the compiled training gradient"}
    results.update(compile_table(64 if args.quick else 256, (2, 8, 32), 16))
    results.update(memory_table(args.quick))
    results.update(dp_table(args.quick))
    report("scale", results)


if __name__ == "__main__":
    main()
