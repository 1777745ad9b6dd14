"""Several processes, one per host: start-up, who is who, global batches, host copies.

A TPU pod (or several GPU hosts) runs the same script once per host. Each
process sees all devices in ``jax.devices()`` but owns only
``jax.local_devices()``; a ``jax.jit`` over a mesh of all devices runs on every
process at once, in lockstep. So every process must make the same sequence of
jitted calls and collectives, feed its own part of each global batch, and
agree on anything random. Files are written by process 0 only (see
:func:`is_chief`); reading works on every process.
"""

import os

import jax
import numpy as np
from jax.experimental import multihost_utils

from jaxlayers import backend
from jaxlayers.errors import ConfigError, ConfigTypeError, DataError

__all__ = ["initialize", "process_index", "process_count", "is_chief", "is_multi_process",
           "global_batch", "host_local", "to_host_array", "put_global",
           "check_same_across_processes", "check_process_batches"]

_ENV_ADDRESSES = "KERAS_DISTRIBUTION_JOB_ADDRESSES"
_ENV_COUNT = "KERAS_DISTRIBUTION_NUM_PROCESSES"
_ENV_ID = "KERAS_DISTRIBUTION_PROCESS_ID"


def _env_int(name, value, env):
    """``value``, else the environment variable ``env`` read as an int, else ``None``."""
    where = f"`{name}`"
    if value is None:
        if env not in os.environ:
            return None
        value, where = os.environ[env], f"the environment variable {env}"
        try:
            value = int(value)
        except ValueError:
            value = os.environ[env]
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ConfigError(
            f"initialize: {where} must be a non-negative int. Received: {name}={value!r}."
        )
    return int(value)


def _is_address(address):
    host, _, port = address.rpartition(":")
    return bool(host) and port.isdigit() and 0 < int(port) < 65536


def initialize(job_addresses=None, num_processes=None, process_id=None):
    """Joins this process to a multi-process job (``jax.distributed.initialize``).

    Call it once, first, in every process, before any other JAX call that
    touches devices. Arguments left ``None`` are read from Keras's environment
    variables ``KERAS_DISTRIBUTION_JOB_ADDRESSES``,
    ``KERAS_DISTRIBUTION_NUM_PROCESSES`` and ``KERAS_DISTRIBUTION_PROCESS_ID``;
    where those are unset too, JAX detects the cluster itself (Cloud TPU pods,
    SLURM, Open MPI), so ``initialize()`` alone is the usual call on a pod.

    Unless ``jl.utils.set_random_seed`` ran before, the processes then agree
    on one random seed (process 0's), so that every process creates the same
    initial weights.

    Args:
        job_addresses: ``"host:port"`` of the coordinator (process 0), or every
            process's address separated by commas, as Keras takes them (the
            first is the coordinator).
        num_processes: How many processes form the job.
        process_id: This process's index, ``0 .. num_processes - 1``.

    Raises:
        ConfigError: A count or index that is not a non-negative int, an
            index not below the count, or a list of addresses whose length
            differs from ``num_processes``.

    Example:
        >>> jl.distribution.initialize("10.0.0.1:1234", 2, 0)  # doctest: +SKIP
    """
    if job_addresses is None:
        job_addresses = os.environ.get(_ENV_ADDRESSES) or None
    if job_addresses is not None and not isinstance(job_addresses, str):
        raise ConfigTypeError(
            "initialize: `job_addresses` must be a 'host:port' string (or several, separated "
            f"by commas). Received: job_addresses={job_addresses!r}."
        )
    num_processes = _env_int("num_processes", num_processes, _ENV_COUNT)
    process_id = _env_int("process_id", process_id, _ENV_ID)
    if num_processes is not None and num_processes < 1:
        raise ConfigError(
            f"initialize: `num_processes` must be a positive int. Received: "
            f"num_processes={num_processes!r}."
        )
    if None not in (num_processes, process_id) and process_id >= num_processes:
        raise ConfigError(
            f"initialize: `process_id` must be below `num_processes` ({num_processes}). "
            f"Received: process_id={process_id!r}."
        )
    coordinator = job_addresses
    if job_addresses is not None:
        addresses = [a.strip() for a in job_addresses.split(",")]
        if not all(_is_address(a) for a in addresses):
            # jax.distributed.initialize would only fail (or wait) when it connects.
            raise ConfigError(
                "initialize: `job_addresses` must be 'host:port' addresses (a port from 1 to "
                f"65535), separated by commas. Received: job_addresses={job_addresses!r}."
            )
        if len(addresses) > 1 and num_processes is not None \
                and len(addresses) != num_processes:
            raise ConfigError(
                f"initialize: `job_addresses` lists {len(addresses)} processes but "
                f"`num_processes` is {num_processes}. Received: job_addresses={job_addresses!r}."
            )
        coordinator = addresses[0]
    jax.distributed.initialize(coordinator_address=coordinator, num_processes=num_processes,
                               process_id=process_id)
    if backend.seed_generation() == 0 and process_count() > 1:
        # Every process must draw the same initial weights: take process 0's seed.
        seed = np.frombuffer(os.urandom(4), np.uint32)
        backend.set_random_seed(int(multihost_utils.broadcast_one_to_all(seed)[0]))


def process_index():
    """This process's index in the job (0 in a single-process program).


    Example:
        In a single-process program:

        >>> process_index()
        0
    """
    return jax.process_index()


def process_count():
    """How many processes run the job (1 in a single-process program).


    Example:
        In a single-process program:

        >>> process_count()
        1
    """
    return jax.process_count()


def is_chief():
    """Whether this process writes files: process 0 does, the others do not.

    Saving still runs on every process (it gathers sharded weights, a
    collective all processes join); only the chief's bytes reach the disk.

    Example:
        In a single-process program:

        >>> is_chief()
        True
    """
    return jax.process_index() == 0


def is_multi_process():
    """Whether the job has several processes (``initialize`` joined one).


    Example:
        In a single-process program:

        >>> is_multi_process()
        False
    """
    return jax.process_count() > 1


def _global_shape(shape):
    return (shape[0] * jax.process_count(),) + tuple(shape[1:]) if shape else ()


def global_batch(dist, batch):
    """This process's part of a batch turned into global arrays, split over ``dist``'s mesh.

    Each leaf's first axis is this process's share; the global batch stacks
    the processes' shares in the order of their devices on the batch axis.
    ``None`` leaves stay ``None``.

    Args:
        dist: The :class:`~jaxlayers.distribution.Distribution`.
        batch: Structure of this process's arrays, samples first.

    Returns:
        The structure of global ``jax.Array``s.

    Example:
        >>> data_parallel = jl.distribution.DataParallel(devices=jax.devices()[:1])
        >>> x, y = global_batch(data_parallel, (np.ones((2, 3)), None))
        >>> x.shape, y
        ((2, 3), None)
    """
    def one(a):
        a = np.asarray(a)
        sharding = dist.batch_sharding(_global_shape(a.shape), "global batch")
        return jax.make_array_from_process_local_data(sharding, a)

    return jax.tree_util.tree_map(one, batch)


def host_local(dist, tree):
    """The rows of global batch arrays that belong to this process, as NumPy.

    The inverse of :func:`global_batch` for outputs of a jitted call on a
    global batch (``predict``): each leaf is first split like the inputs were
    (a no-op where the partitioner already split it so).

    Args:
        dist: The :class:`~jaxlayers.distribution.Distribution`.
        tree: Structure of global arrays.

    Returns:
        The structure of NumPy arrays.

    Example:
        >>> data_parallel = jl.distribution.DataParallel(devices=jax.devices()[:1])
        >>> host_local(data_parallel, jnp.ones((2,))).tolist()
        [1.0, 1.0]
    """
    def one(a):
        if not isinstance(a, jax.Array) or a.is_fully_addressable:
            return np.asarray(a)
        a = jax.device_put(a, dist.batch_sharding(a.shape, "global output"))
        rows = {}
        for shard in a.addressable_shards:  # replicas on other mesh axes repeat rows
            rows.setdefault(shard.index[0].start or 0, shard.data)
        return np.concatenate([np.asarray(rows[k]) for k in sorted(rows)])

    return jax.tree_util.tree_map(one, tree)


def to_host_array(value):
    """A NumPy copy of ``value``; a weight split over other processes' devices is gathered.

    Gathering is a collective: every process must fetch the same weights in
    the same order (as saving does on every process).

    Args:
        value: An array.

    Returns:
        A NumPy array.

    Example:
        >>> to_host_array(jnp.arange(3)).tolist()
        [0, 1, 2]
    """
    if isinstance(value, jax.Array) and not value.is_fully_addressable \
            and not value.is_fully_replicated:
        return np.asarray(multihost_utils.process_allgather(value, tiled=True))
    return np.asarray(value)


def check_same_across_processes(owner, what, value):
    """Raises a ``DataError`` on every process when processes disagree on ``value``.

    A step count that differs between processes would leave one process
    waiting forever in a collective; this check fails everywhere instead.

    Args:
        owner: How messages name the caller.
        what: What ``value`` counts, for messages.
        value: An int, this process's value.

    Raises:
        DataError: The processes' values differ.

    Example:
        A single process always agrees with itself:

        >>> check_same_across_processes("Model 'm'.fit", "number of steps", 3)
    """
    values = multihost_utils.process_allgather(np.asarray(value, np.int64))
    if len(set(np.ravel(values).tolist())) > 1:
        raise DataError(
            f"{owner}: every process must give the same {what} (each feeds its own share of "
            f"every global batch). Received: {np.ravel(values).tolist()} on processes "
            f"0..{len(np.ravel(values)) - 1}."
        )


def check_process_batches(owner, dist, num_samples, batch_sizes):
    """Checks, before any step, that the processes' shares make valid global batches.

    Every process must hold the same number of samples (so all run the same
    steps), and each global batch (``batch_size`` rows from every process)
    must split evenly over ``dist``'s batch axis.

    Args:
        owner: How messages name the caller.
        dist: The :class:`~jaxlayers.distribution.Distribution`.
        num_samples: This process's number of samples.
        batch_sizes: The per-process batch sizes the call will use.

    Raises:
        DataError: The processes differ, or a global batch does not divide.

    Example:
        >>> data_parallel = jl.distribution.DataParallel(devices=jax.devices()[:1])
        >>> check_process_batches("Model 'm'.fit", data_parallel, 8, [4])
    """
    check_same_across_processes(owner, "number of samples", num_samples)
    n = dist.batch_size_multiple
    for size in batch_sizes:
        if size and size * jax.process_count() % n:
            raise DataError(
                f"{owner}: with {jax.process_count()} processes each batch of {size} samples "
                f"per process makes a global batch of {size * jax.process_count()}, which "
                f"the '{dist.batch_dim_name}' mesh axis of size {n} does not divide. Use a "
                f"batch_size (and a number of samples per process) whose global batches are "
                f"multiples of {n}. Received: batch_size={size}."
            )


def put_global(tree, shardings):
    """``jax.device_put(tree, shardings)``, also onto shardings over other processes' devices.

    JAX moves an array committed to this process's devices onto a sharding
    that spans other processes' devices only from the host. Every process
    holds the same full value here (the same seed or the same ``set_weights``),
    so each builds its own shards from it, with no communication.

    Args:
        tree: Structure of arrays (PRNG keys too).
        shardings: Matching structure of ``jax.sharding.Sharding``.

    Returns:
        The structure of placed arrays.

    Example:
        >>> one_device = jax.sharding.SingleDeviceSharding(jax.devices()[0])
        >>> put_global({"w": np.ones(2)}, {"w": one_device})["w"].tolist()
        [1.0, 1.0]
    """
    def one(x, sharding):
        if sharding.is_fully_addressable or (isinstance(x, jax.Array)
                                             and not x.is_fully_addressable):
            return jax.device_put(x, sharding)
        dtype = getattr(x, "dtype", None)
        if dtype is not None and jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key):
            data = one(jax.random.key_data(x), sharding)
            return jax.random.wrap_key_data(data, impl=jax.random.key_impl(x))
        host = np.asarray(x)
        return jax.make_array_from_callback(host.shape, sharding, lambda index: host[index])

    return jax.tree_util.tree_map(one, tree, shardings)
