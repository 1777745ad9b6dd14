"""Cost of the interop wrappers: forward+backward of a small MLP, jitted.

* ``TorchModuleWrapper`` (torch ``nn.Sequential`` through ``jax.pure_callback`` and a
  ``custom_vjp`` calling torch autograd) against the same MLP written with
  jaxlayers ``Dense`` layers, and against plain torch (forward+backward in torch,
  no JAX), which shows how much of the time is the callback boundary.
* ``JaxLayer`` wrapping a hand-written pure function against the same jaxlayers MLP
  (it should cost nothing: the wrapper disappears under jit).

Honest summary of what to expect: the torch wrapper pays two host round trips per
step (forward, then backward which recomputes the forward inside torch), plus
copies of every weight and activation between XLA and torch.  On the 2-core CPU
this was measured on (shared with other jobs, so noisy), the 64-128-128-10 MLP
(batch 64) took 2.3-2.7 ms per jitted forward+backward through the wrapper:
1.1-3.6x plain torch (0.6-2.4 ms) and 16-18x the same MLP in jaxlayers
(0.14-0.2 ms).  ``JaxLayer`` costs nothing (ratio 0.8-0.9, i.e. noise).  Before the wrapper pinned torch to
one intra-op thread inside its callbacks it took ~100 ms: torch's spin-waiting
OpenMP workers starved XLA's threads.  It is a bridge for reusing torch modules,
not a way to run them fast.  Prints ratios and writes ``bench/results/interop.json``.
Run: ``python bench/bench_interop.py`` (needs torch for the torch rows).
"""


import jax
import jax.numpy as jnp
import numpy as np

import jaxlayers as jl
from _timing import report, timeit  # noqa: E402 - bench/ helper
from jaxlayers.layers.interop import JaxLayer, TorchModuleWrapper

WIDTHS = (64, 128, 128, 10)
BATCH = 64




def jaxlayers_mlp():
    layers = [jl.layers.Dense(w, activation="relu") for w in WIDTHS[1:-1]]
    return jl.Sequential(layers + [jl.layers.Dense(WIDTHS[-1])])


def grad_step(layer):
    """Jitted ``grad`` of a scalar loss w.r.t. params and inputs (forward + backward)."""

    def loss(p, s, x):
        return jnp.sum(layer.apply(p, s, x)[0] ** 2)

    return jax.jit(jax.grad(loss, argnums=(0, 2)))


def bench_torch(x, results):
    try:
        import torch
    except ImportError:
        print("torch not installed: skipping the TorchModuleWrapper rows")
        return
    torch.manual_seed(0)
    mods = []
    for i, (a, b) in enumerate(zip(WIDTHS[:-1], WIDTHS[1:])):
        mods.append(torch.nn.Linear(a, b))
        if i < len(WIDTHS) - 2:
            mods.append(torch.nn.ReLU())
    module = torch.nn.Sequential(*mods)
    wrapped = TorchModuleWrapper(module)
    native = jaxlayers_mlp()
    native.init(jax.random.key(0), x)
    t_wrapped = timeit(grad_step(wrapped), wrapped.params, wrapped.state, x)
    t_native = timeit(grad_step(native), native.params, native.state, x)
    xt = torch.from_numpy(np.array(x)).requires_grad_(True)

    def torch_step():
        module.zero_grad()
        (module(xt) ** 2).sum().backward()
        return jnp.zeros(())

    t_torch = timeit(torch_step)
    results["torch_mlp_fwd_bwd_ms"] = {
        "torch_module_wrapper": t_wrapped * 1e3, "jaxlayers_dense": t_native * 1e3,
        "plain_torch": t_torch * 1e3, "wrapper_over_jaxlayers": t_wrapped / t_native,
        "wrapper_over_plain_torch": t_wrapped / t_torch}


def bench_jax_layer(x, results):
    native = jaxlayers_mlp()
    params, state = native.init(jax.random.key(0), x)

    def call_fn(params, inputs):
        return native.apply(params, state, inputs)[0]

    wrapped = JaxLayer(call_fn, params=params)
    t_wrapped = timeit(grad_step(wrapped), wrapped.params, wrapped.state, x)
    t_native = timeit(grad_step(native), params, state, x)
    results["jax_layer_mlp_fwd_bwd_ms"] = {
        "jax_layer": t_wrapped * 1e3, "jaxlayers_dense": t_native * 1e3,
        "ratio": t_wrapped / t_native}


def main():
    x = jax.random.normal(jax.random.key(1), (BATCH, WIDTHS[0]))
    results = {"mlp": {"widths": list(WIDTHS), "batch": BATCH}}
    bench_torch(x, results)
    bench_jax_layer(x, results)
    return report("interop", results)


if __name__ == "__main__":
    main()
