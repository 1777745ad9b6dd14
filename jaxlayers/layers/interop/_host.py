"""A host (CPU, Python) computation as a differentiable, jittable JAX function.

Torch and TensorFlow run outside XLA.  :func:`host_function` wraps a host
forward function in ``jax.pure_callback`` and gives it a ``jax.custom_vjp``
whose backward pass is a second host callback (torch's autograd, or a
``tf.GradientTape``).  The backward callback recomputes the forward pass from
the saved inputs (plus a seed, so random ops repeat exactly) rather than
keeping the foreign graph alive between the two callbacks: that keeps both
callbacks pure, which jit, remat and vmap require.

Under ``vmap`` both callbacks run once per example (``vmap_method='sequential'``):
always correct, never fast.
"""

import jax
import jax.numpy as jnp
import numpy as np


def canonical_dtype(dtype):
    """The dtype JAX uses for ``dtype`` (int64 becomes int32 unless x64 is on)."""
    return jnp.dtype(jax.dtypes.canonicalize_dtype(np.dtype(dtype)))


def _zero_cotangent(x):
    if jnp.issubdtype(x.dtype, jnp.inexact):
        return jnp.zeros(x.shape, x.dtype)
    return np.zeros(x.shape, jax.dtypes.float0)


def grad_output_indices(out_specs, n_grad_outputs):
    """Indices of the outputs whose cotangents the backward callback receives."""
    return [i for i in range(n_grad_outputs) if jnp.issubdtype(out_specs[i].dtype, jnp.inexact)]


def host_function(forward, backward, out_specs, diff, n_grad_outputs):
    """A JAX function ``f(*args) -> list`` computed by host callbacks.

    Args:
        forward: ``forward(*np_args) -> list of np arrays`` matching ``out_specs``.
        backward: ``backward(*np_args, *np_cotangents) -> list of np arrays``: the
            gradients with respect to the args flagged in ``diff``, in order.  It
            receives the cotangents of the floating outputs among the first
            ``n_grad_outputs`` (see :func:`grad_output_indices`).
        out_specs: ``jax.ShapeDtypeStruct`` of each output.
        diff: One bool per argument: whether it gets a gradient.
        n_grad_outputs: How many leading outputs are differentiable (the rest,
            e.g. updated buffers, get no cotangent).
    """
    out_specs = list(out_specs)
    diff = tuple(diff)
    grad_out_idx = grad_output_indices(out_specs, n_grad_outputs)

    def run_forward(*args):
        return jax.pure_callback(forward, out_specs, *args, vmap_method="sequential")

    @jax.custom_vjp
    def f(*args):
        return run_forward(*args)

    def f_fwd(*args):
        return run_forward(*args), args

    def f_bwd(args, cotangents):
        grad_specs = [jax.ShapeDtypeStruct(a.shape, a.dtype)
                      for a, d in zip(args, diff) if d]
        cts = [cotangents[i] for i in grad_out_idx]
        grads = (jax.pure_callback(backward, grad_specs, *args, *cts,
                                   vmap_method="sequential") if grad_specs else [])
        grads = iter(grads)
        return tuple(next(grads) if d else _zero_cotangent(a) for a, d in zip(args, diff))

    f.defvjp(f_fwd, f_bwd)
    return f


__all__ = []
