"""fit/evaluate/predict steps under a distribution: batches split over the mesh, several processes.

One process: each compiled step constrains its batch to the distribution's batch
axis. Several processes: each feeds its own share of the global batch, and
``predict`` hands each process its own rows back.
"""

import functools

from jaxlayers.distribution import multihost
from jaxlayers.training import data as data_lib


def split_batch(step, dist, position):
    """``step`` with its batch argument (at ``position``) split over ``dist``'s batch axis."""

    def split_step(*args):
        args = list(args)
        args[position] = dist.constrain_batch(args[position])
        return step(*args)

    return split_step


def process_local(fns, dist, k=1):
    """``fns`` fed with this process's share of each global batch, in a multi-process job."""
    if dist is None or not multihost.is_multi_process():
        return fns
    return data_lib.process_local_fns(fns, functools.partial(multihost.global_batch, dist), k)


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
