"""fit/evaluate/predict steps under a distribution: batches split over the mesh, several processes.

One process: each compiled step constrains its batch to the distribution's batch
axis. Several processes: each feeds its own share of the global batch, and
``predict`` hands each process its own rows back.
"""

import jax
import numpy as np

from jaxlayers.distribution import multihost


def split_batch(step, dist, position):
    """``step`` with its batch argument (at ``position``) split over ``dist``'s batch axis."""

    def split_step(*args):
        args = list(args)
        args[position] = dist.constrain_batch(args[position])
        return step(*args)

    return split_step


def process_local(fns, dist, k=1):
    """``fns`` fed with this process's share of each global batch, in a multi-process job.

    Each process takes its own share of a batch from its arrays on the host
    (NumPy indexing: ``ArrayData`` keeps them there in such a job), and
    :func:`~jaxlayers.distribution.multihost.global_batch` turns the shares into
    one global batch for the jitted ``fns["step"]``, whose batch is its last
    argument.  ``fns`` has the train keys (``step``, ``array_step``,
    ``array_multi`` of ``k`` steps, ``partial``) or the test keys (``step``,
    ``array_step``).
    """
    if dist is None or not multihost.is_multi_process():
        return fns
    step = fns["step"]

    def fed(*args):
        *head, batch = args
        return step(*head, multihost.global_batch(dist, batch))

    def rows(arrays, index):
        index = np.asarray(index)
        return jax.tree_util.tree_map(lambda a: np.asarray(a)[index], arrays)

    if "partial" not in fns:  # evaluate's: (params, state, metric_states, arrays, index)
        return {"step": fed, "array_step": lambda *a: fed(*a[:-2], rows(*a[-2:]))}

    def array_multi(carry, arrays, index, i):
        for j in range(k):
            carry, logs = fed(carry, rows(arrays, index[i + j]))
        return carry, logs

    return {"step": fed, "array_step": lambda c, a, index, i: fed(c, rows(a, index[i])),
            "array_multi": array_multi, "partial": lambda c, a, index: fed(c, rows(a, index))}


def check_process_shares(owner, dist, num_samples, batch_size):
    """In a multi-process job, checks before any step that the array shares fit together.

    Every process must hold as many samples (or one would wait forever in a
    step the others never run, or build a global batch of another shape), and
    each global batch, the last one too, must split over the batch axis.
    """
    if dist is not None and multihost.is_multi_process():
        size = min(batch_size, num_samples)
        multihost.check_process_batches(owner, dist, num_samples,
                                        (size, num_samples % size if size else 0))


def predict_process_local(fn, dist, params, state, batch):
    """``predict``'s step on a global batch; this process gets its own rows back."""
    return multihost.host_local(dist, fn(params, state, multihost.global_batch(dist, batch)))


# The trainer's own helpers: no public API here.
__all__ = []
