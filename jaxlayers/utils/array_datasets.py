"""Datasets made from in-memory arrays: ``split_dataset`` and ``timeseries_dataset_from_array``.

Keras returns ``tf.data`` datasets here.  jaxlayers needs no TensorFlow:
``split_dataset`` returns the two halves as arrays in the input's structure
(ready for ``fit(x, y)``), and ``timeseries_dataset_from_array`` returns a
:class:`~jaxlayers.utils.PyDataset` of NumPy batches (ready for ``fit(ds)``).
Shuffled orders follow Keras's generators, so the same seed picks the same
samples.
"""

import random

import jax
import numpy as np

from jaxlayers.errors import ConfigError, ConfigTypeError, DataError
from jaxlayers.training.data import count_arg
from jaxlayers.utils.py_dataset import SampleBatches


# ------------------------------------------------------------------ split_dataset
def _split_size(name, value, total):
    """``value`` checked: an int in ``[1, total)``, a float in ``(0, 1)``, or ``None``."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                      np.floating)):
        raise ConfigTypeError(
            f"split_dataset: `{name}` must be an int (a number of samples), a float (a "
            f"fraction) or None. Received: {name}={value!r}."
        )
    if isinstance(value, (int, np.integer)):
        if not 0 < value < total:
            raise ConfigError(
                f"split_dataset: `{name}` as an int must be a number of samples in [1, {total}) "
                f"(the dataset has {total}). Received: {name}={value!r}."
            )
        return int(value)
    if not 0.0 < value < 1.0:
        raise ConfigError(
            f"split_dataset: `{name}` as a float must be a fraction in (0, 1). "
            f"Received: {name}={value!r}."
        )
    return float(value)


def _split_sizes(left_size, right_size, total):
    """Integer ``(left, right)`` sizes following Keras's rules."""
    if left_size is None and right_size is None:
        raise ConfigError(
            "split_dataset: pass `left_size`, `right_size` or both. Received: left_size=None, "
            "right_size=None."
        )
    left = _split_size("left_size", left_size, total)
    right = _split_size("right_size", right_size, total)
    if isinstance(left, float) and isinstance(right, float) and left + right > 1:
        raise ConfigError(
            "split_dataset: the fractions `left_size` + `right_size` must not exceed 1. "
            f"Received: left_size={left_size!r}, right_size={right_size!r}."
        )
    left = round(left * total) if isinstance(left, float) else left
    right = round(right * total) if isinstance(right, float) else right
    left = total - right if left is None else left
    right = total - left if right is None else right
    if left + right > total or left == 0 or right == 0:
        raise ConfigError(
            f"split_dataset: with {total} samples, left_size={left_size!r} and "
            f"right_size={right_size!r} give {left} and {right} samples; each side needs at "
            f"least one and together at most {total}."
        )
    return left, right


def _num_samples(leaves):
    sizes = {np.shape(leaf)[0] if np.ndim(leaf) else None for leaf in leaves}
    if None in sizes or len(sizes) != 1:
        raise DataError(
            "split_dataset: every array of `dataset` must have the same leading (sample) "
            f"axis. Received shapes {[np.shape(leaf) for leaf in leaves]}."
        )
    return sizes.pop()


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None,
                  preferred_backend=None):
    """Splits arrays into a left part and a right part (e.g. train and test).

    Args:
        dataset: An array, or a tuple / list / dict (possibly nested) of arrays
            sharing their first (sample) axis.
        left_size: Samples on the left: an int count, a float fraction, or
            ``None`` for the complement of ``right_size``.
        right_size: Samples on the right, the same way.  Samples beyond
            ``left_size + right_size`` are left out.
        shuffle: Whether to shuffle the samples before splitting.
        seed: Seed of the shuffle (Python's ``random``, as Keras uses, so a
            seed selects the same samples).
        preferred_backend: ``None``, ``"jax"`` or ``"numpy"``; both give arrays.

    Returns:
        ``(left, right)``, each with ``dataset``'s structure (a list becomes a
        tuple): ``(x_train, y_train), (x_test, y_test) = split_dataset((x, y), 0.8)``.

    Example:
        >>> left, right = split_dataset(np.arange(10), left_size=0.8)
        >>> left.tolist(), right.tolist()
        ([0, 1, 2, 3, 4, 5, 6, 7], [8, 9])
    """
    if preferred_backend not in (None, "jax", "numpy"):
        raise ConfigError(
            "split_dataset: jaxlayers splits arrays into arrays; `preferred_backend` must be "
            f"None, 'jax' or 'numpy'. Received: preferred_backend={preferred_backend!r}."
        )
    if isinstance(dataset, list):
        dataset = tuple(dataset)
    leaves, treedef = jax.tree_util.tree_flatten(dataset)
    if not leaves or not all(hasattr(leaf, "shape") for leaf in leaves):
        raise ConfigTypeError(
            "split_dataset: `dataset` must be an array, or a tuple / list / dict of arrays. "
            f"Received: {type(dataset).__name__}"
            f"{'' if leaves else ' without arrays'}."
        )
    total = _num_samples(leaves)
    left, right = _split_sizes(left_size, right_size, total)
    order = list(range(total))
    if shuffle:
        random.Random(random.randint(0, 10**6) if seed is None else seed).shuffle(order)
    order = np.asarray(order)
    parts = [order[:left], order[total - right:]]
    return tuple(jax.tree_util.tree_unflatten(treedef, [leaf[idx] for leaf in leaves])
                 for idx in parts)


# ------------------------------------------------------------------ timeseries
class TimeseriesDataset(SampleBatches):
    """Batches of sliding windows over an array (what ``timeseries_dataset_from_array`` returns).

    Its ``order`` holds the windows' start steps (offsets from ``start_index``).

    Args:
        data: Array of time steps, steps first.
        targets: Array with one target per window start, or ``None``.
        start_positions: Start step of each window, in first-pass order.
        sequence_length: Steps per window.
        sampling_rate: Step between the window's samples.
        batch_size: Windows per batch, or ``None`` for single windows.
        shuffle_seed: As for :class:`~jaxlayers.utils.py_dataset.SampleBatches`.

    Example:
        >>> data = TimeseriesDataset(np.arange(10), None, np.array([0, 2, 4]), 3, 1, 2)
        >>> [batch[0].tolist() for batch in data]
        [[[0, 1, 2], [2, 3, 4]], [[4, 5, 6]]]
    """

    def __init__(self, data, targets, start_positions, sequence_length, sampling_rate,
                 batch_size, shuffle_seed=None):
        super().__init__(start_positions, batch_size, shuffle_seed)
        self.data, self.targets = data, targets
        self._offsets = np.arange(sequence_length) * sampling_rate

    def make_batch(self, starts):
        windows = self.data[np.asarray(starts)[..., None] + self._offsets]
        return windows if self.targets is None else (windows, self.targets[starts])


def _index_arg(name, value, length, allow_end=False):
    if value is None:
        return None
    value = count_arg("timeseries_dataset_from_array", name, value, minimum=0,
                      allow_none=False)
    if value > length or (value == length and not allow_end):
        raise ConfigError(
            f"timeseries_dataset_from_array: `{name}` must be lower than the length of the "
            f"data ({length}). Received: {name}={value}."
        )
    return value


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1,
                                  sampling_rate=1, batch_size=128, shuffle=False, seed=None,
                                  start_index=None, end_index=None):
    """Sliding windows over a timeseries, as batches ``fit`` can read.

    Window ``j`` starts at ``s = start_index + j * sequence_stride`` and holds
    ``data[s], data[s + sampling_rate], ...`` (``sequence_length`` steps); its
    target is ``targets[s]``.

    Args:
        data: Array whose first axis is time.
        targets: Array of targets (``targets[i]`` belongs to the window
            starting at ``i``), or ``None`` to yield windows only.
        sequence_length: Steps per window.
        sequence_stride: Steps between the starts of two windows.
        sampling_rate: Steps between two samples within a window.
        batch_size: Windows per batch (the last may be smaller); ``None`` yields
            single windows.
        shuffle: Whether to shuffle the windows.
        seed: Seed of the shuffle (NumPy's ``RandomState``, as Keras draws the
            window order).
        start_index: First step used (default 0).
        end_index: Steps from here on are not used (default: the end).

    Returns:
        A :class:`PyDataset` of ``(windows, targets)`` batches (``windows`` alone
        when ``targets`` is ``None``), as NumPy arrays.

    Example:
        >>> ds = timeseries_dataset_from_array(np.arange(10), np.arange(10) * 10,
        ...                                    sequence_length=3, batch_size=4)
        >>> x, y = ds[0]
        >>> x.tolist(), y.tolist()
        ([[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]], [0, 10, 20, 30])
    """
    owner = "timeseries_dataset_from_array"
    data = np.asarray(data)
    if data.ndim == 0:
        raise DataError(f"{owner}: `data` must have a time axis. Received: a scalar.")
    targets = None if targets is None else np.asarray(targets)
    sequence_length = count_arg(owner, "sequence_length", sequence_length, allow_none=False)
    stride = count_arg(owner, "sequence_stride", sequence_stride, allow_none=False)
    rate = count_arg(owner, "sampling_rate", sampling_rate, allow_none=False)
    batch_size = count_arg(owner, "batch_size", batch_size)
    for name, value in (("sampling_rate", rate), ("sequence_stride", stride)):
        if value >= len(data):
            raise ConfigError(
                f"{owner}: `{name}` must be lower than the length of the data ({len(data)}). "
                f"Received: {name}={value}."
            )
    start = _index_arg("start_index", start_index, len(data)) or 0
    end = _index_arg("end_index", end_index, len(data), allow_end=True)
    end = len(data) if end is None else end
    if end <= start:
        raise ConfigError(
            f"{owner}: `end_index` must be higher than `start_index`. Received: "
            f"start_index={start_index!r}, end_index={end_index!r}."
        )
    num_windows = end - start - (sequence_length - 1) * rate
    if targets is not None:
        num_windows = min(num_windows, len(targets) - start)
    if num_windows <= 0:
        raise DataError(
            f"{owner}: no window of sequence_length={sequence_length} with "
            f"sampling_rate={rate} fits in steps [{start}, {end}) of the data"
            f"{'' if targets is None else ' and its targets'}."
        )
    positions = np.arange(0, num_windows, stride)
    reshuffle_seed = None
    if shuffle:
        seed = np.random.randint(10**6) if seed is None else seed
        np.random.RandomState(seed).shuffle(positions)
        reshuffle_seed = seed + 1
    return TimeseriesDataset(data[start:end], None if targets is None else targets[start:],
                             positions, sequence_length, rate, batch_size, reshuffle_seed)


__all__ = ["split_dataset", "timeseries_dataset_from_array", "TimeseriesDataset"]
