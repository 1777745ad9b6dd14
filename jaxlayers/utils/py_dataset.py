"""``PyDataset`` (alias ``Sequence``): batches from Python code, indexed by batch number.

A subclass defines ``__len__`` (the number of batches) and
``__getitem__(index)`` (one whole batch: ``x``, ``(x, y)`` or
``(x, y, sample_weight)``).  Iterating over it gives one epoch: it calls
``on_epoch_begin()``, yields the batches in order, then calls
``on_epoch_end()`` once the pass is complete.  ``fit`` iterates over an
iterable dataset once per epoch, so those hooks run at each epoch there too,
without the trainer having to know this class.

``workers > 1`` loads batches ahead on a pool of threads (at most
``max_queue_size`` in flight), still yielded in order.  Threads suit the
usual work of a dataset (reading files, decoding images: NumPy and Pillow
release the GIL).  ``use_multiprocessing=True`` is accepted for Keras code and
also runs on threads: forking a process that has started JAX is unsafe.
"""

import collections
import concurrent.futures
import itertools
import warnings

import numpy as np

from jaxlayers.errors import ConfigTypeError
from jaxlayers.training.data import count_arg


def _setting_property(name):
    """A read-ahead setting, defaulted (with a warning) when ``__init__`` was not called."""
    return property(lambda self: self._setting(name),
                    lambda self, value: setattr(self, "_" + name, value))


class PyDataset:
    """Base class for datasets written in Python: define ``__len__`` and ``__getitem__``.

    Args:
        workers: Number of threads that load batches ahead while iterating
            (1: load each batch when it is needed).
        use_multiprocessing: Accepted for Keras code; batches are loaded on
            threads either way (see the module notes).
        max_queue_size: Most batches loaded ahead at once (0: no limit).

    Example:
        >>> class Squares(PyDataset):
        ...     def __len__(self):
        ...         return 2
        ...     def __getitem__(self, index):
        ...         x = np.arange(3.0) + 3 * index
        ...         return x, x ** 2
        >>> [y.tolist() for _, y in Squares()]
        [[0.0, 1.0, 4.0], [9.0, 16.0, 25.0]]
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        owner = type(self).__name__
        self._workers = count_arg(owner, "workers", workers, minimum=0, allow_none=False)
        self._use_multiprocessing = bool(use_multiprocessing)
        self._max_queue_size = count_arg(owner, "max_queue_size", max_queue_size, minimum=0,
                                         allow_none=False)

    workers = _setting_property("workers")
    use_multiprocessing = _setting_property("use_multiprocessing")
    max_queue_size = _setting_property("max_queue_size")

    def _setting(self, name):
        if not hasattr(self, "_" + name):
            warnings.warn(
                f"{type(self).__name__}: your PyDataset subclass should call "
                "super().__init__(**kwargs) in its __init__, so that workers, "
                "use_multiprocessing and max_queue_size are set; using their defaults.",
                UserWarning, stacklevel=3)
            self._workers, self._use_multiprocessing, self._max_queue_size = 1, False, 10
        return getattr(self, "_" + name)

    @property
    def num_batches(self):
        """``len(self)``, or ``None`` for a dataset without ``__len__`` (endless)."""
        return len(self) if hasattr(self, "__len__") else None

    def on_epoch_begin(self):
        """Called before the first batch of each pass (each epoch of ``fit``)."""

    def on_epoch_end(self):
        """Called after the last batch of each complete pass (e.g. to reshuffle)."""

    def map(self, fn, num_parallel_calls=None, deterministic=None):
        """A dataset whose batches are ``fn(*batch)`` (tuple batches) or ``fn(batch)``.

        The ``tf.data`` idiom ``ds.map(lambda x, y: (vectorize(x), y))``;
        ``num_parallel_calls`` and ``deterministic`` are accepted for such
        code (parallelism comes from ``workers``; the order is always kept).

        Example:
            >>> class Pairs(PyDataset):
            ...     def __len__(self):
            ...         return 1
            ...     def __getitem__(self, index):
            ...         return np.ones(2), np.zeros(2)
            >>> Pairs().map(lambda x, y: (2 * x, y))[0][0].tolist()
            [2.0, 2.0]
        """
        del num_parallel_calls, deterministic
        return MappedDataset(self, fn)

    def __iter__(self):
        return self.epoch()

    def epoch(self, order=None):
        """One pass over the batches (what iterating gives), in ``order`` when given.

        ``fit(shuffle=True)`` passes a permutation of ``range(len(self))`` each
        epoch, reading the batches in a new order as Keras does.

        Example:
            >>> class Three(PyDataset):
            ...     def __len__(self):
            ...         return 3
            ...     def __getitem__(self, index):
            ...         return np.full(1, index)
            >>> [int(x[0]) for (x,) in Three().epoch(order=[2, 0, 1])]
            [2, 0, 1]
        """
        if not hasattr(self, "__getitem__"):
            raise ConfigTypeError(
                f"{type(self).__name__}: a PyDataset subclass must define "
                "__getitem__(self, index) returning one batch, and __len__(self) returning the "
                "number of batches."
            )
        return self._epoch(order)

    def _epoch(self, order=None):
        self.on_epoch_begin()
        count = self.num_batches
        indices = ([int(i) for i in order] if order is not None
                   else range(count) if count is not None else itertools.count())
        if self.workers > 1 or (self.workers > 0 and self.use_multiprocessing):
            batches = _prefetched(self, indices, self.workers, self.max_queue_size, count)
        else:
            batches = _in_order(self, indices, count)
        for batch in batches:
            yield _as_tuple(batch)
        self.on_epoch_end()


class MappedDataset(PyDataset):
    """The batches of ``source`` passed through ``fn`` (what :meth:`PyDataset.map` returns).

    A tuple batch is unpacked into ``fn``'s arguments.

    Args:
        source: A :class:`PyDataset`.
        fn: Callable applied to each batch.

    Example:
        >>> class Steps(PyDataset):
        ...     def __len__(self):
        ...         return 2
        ...     def __getitem__(self, index):
        ...         return np.full((2,), index)
        >>> scaled = Steps().map(lambda batch: batch * 10)
        >>> type(scaled).__name__, scaled[1].tolist()
        ('MappedDataset', [10, 10])
    """

    def __init__(self, source, fn):
        super().__init__(workers=source.workers, use_multiprocessing=source.use_multiprocessing,
                         max_queue_size=source.max_queue_size)
        self.source, self.fn = source, fn

    @property
    def num_batches(self):
        return self.source.num_batches

    def __len__(self):
        return len(self.source)

    def __getitem__(self, index):
        batch = self.source[index]
        return self.fn(*batch) if isinstance(batch, tuple) else self.fn(batch)

    def on_epoch_begin(self):
        self.source.on_epoch_begin()

    def on_epoch_end(self):
        self.source.on_epoch_end()


class SampleBatches(PyDataset):
    """Batches of samples taken in ``order``, reshuffled after each complete pass if seeded.

    The shared base of the datasets ``jl.utils`` builds: a subclass defines
    ``make_batch(picked)``, where ``picked`` holds entries of ``order`` (one
    entry, not an array, when ``batch_size`` is ``None``).

    Args:
        order: The samples (indices, or anything ``make_batch`` reads) in
            first-pass order.
        batch_size: Samples per batch (the last may be smaller), or ``None``.
        shuffle_seed: Seed of the new order drawn after each pass; ``None``
            keeps ``order``.

    Example:
        >>> class Squares(SampleBatches):
        ...     def make_batch(self, picked):
        ...         return np.asarray(picked) ** 2
        >>> batches = Squares(np.arange(5), batch_size=2)
        >>> len(batches), [batches[i].tolist() for i in range(len(batches))]
        (3, [[0, 1], [4, 9], [16]])
    """

    def __init__(self, order, batch_size, shuffle_seed=None):
        super().__init__()
        self.order = np.array(order)
        self.batch_size = batch_size
        self._reshuffle = None if shuffle_seed is None else np.random.RandomState(shuffle_seed)

    def __len__(self):
        n = len(self.order)
        return n if self.batch_size is None else -(-n // self.batch_size)

    def __getitem__(self, index):
        if not -len(self) <= index < len(self):
            raise IndexError(f"{type(self).__name__}: batch {index} of {len(self)}.")
        index %= len(self)
        if self.batch_size is None:
            return self.make_batch(self.order[index])
        return self.make_batch(self.order[index * self.batch_size:(index + 1) * self.batch_size])

    def on_epoch_end(self):
        if self._reshuffle is not None:
            self._reshuffle.shuffle(self.order)


def _get(dataset, index, sized):
    """``dataset[index]``, or ``None`` at the end of a dataset without a length."""
    try:
        return dataset[index]
    except IndexError:
        if sized:
            raise
        return None


def _in_order(dataset, indices, count):
    for index in indices:
        batch = _get(dataset, index, count is not None)
        if batch is None:
            return
        yield batch


def _prefetched(dataset, indices, workers, max_queue_size, count):
    limit = max(max_queue_size, workers) if max_queue_size else (count or 4 * workers)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers,
                                                 thread_name_prefix="PyDataset")
    pending = collections.deque()
    indices = iter(indices)
    try:
        for index in itertools.islice(indices, limit):
            pending.append(pool.submit(_get, dataset, index, count is not None))
        while pending:
            batch = pending.popleft().result()
            if batch is None:
                return
            nxt = next(indices, None)
            if nxt is not None:
                pending.append(pool.submit(_get, dataset, nxt, count is not None))
            yield batch
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=False)


def _as_tuple(batch):
    """A batch as ``fit`` reads it: tuples stay, a list becomes a tuple, anything else is ``x``."""
    if isinstance(batch, tuple):
        return batch
    if isinstance(batch, list):
        return tuple(batch)
    return (batch,)


Sequence = PyDataset

__all__ = ["PyDataset", "Sequence", "MappedDataset", "SampleBatches"]
