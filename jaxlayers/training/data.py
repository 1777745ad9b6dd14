"""Data given to ``fit``/``evaluate``/``predict``: arrays (kept on device) or iterables.

Array data is placed on the device once; each epoch's shuffled order is one
``(steps, batch_size)`` index array, and the jitted step gathers its batch
from the device-resident arrays by step number.  So the Python loop per step
does nothing but call the compiled step.  The last partial batch (if any) has
its own static size: at most a second compiled shape, never a retrace per step.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np

from jaxlayers.errors import DataError


def _is_array(x):
    return isinstance(x, (np.ndarray, jax.Array)) or (
        hasattr(x, "shape") and hasattr(x, "dtype") and hasattr(x, "__array__"))


def is_array_struct(data):
    leaves = jax.tree_util.tree_leaves(data)
    return bool(leaves) and all(_is_array(x) or isinstance(x, (list, float, int))
                                for x in leaves) and not _is_iterator(data)


def _is_iterator(data):
    return hasattr(data, "__next__") or (
        hasattr(data, "__iter__") and not isinstance(data, (list, tuple, dict, np.ndarray))
        and not _is_array(data))


def to_arrays(data):
    """Numeric leaves as arrays (float64 -> float32, int64 -> int32, as JAX would)."""
    def convert(x):
        if isinstance(x, jax.Array):
            return x
        arr = np.asarray(x)
        if arr.dtype.kind in "OUSV":
            raise DataError(
                "fit/evaluate/predict take numeric arrays. Received: an array of dtype "
                f"{arr.dtype} (strings?). Apply text and string-lookup layers in the data "
                "pipeline first, e.g. x = vectorizer(texts), then fit on x."
            )
        if arr.dtype == np.float64:
            arr = arr.astype(np.float32)
        elif arr.dtype == np.int64:
            arr = arr.astype(np.int32)
        return arr

    return jax.tree_util.tree_map(convert, data)


def num_samples(owner, x, y=None, sample_weight=None):
    """The common leading size of every array in ``x``, ``y`` and ``sample_weight``."""
    sizes = {}
    for name, struct in (("x", x), ("y", y), ("sample_weight", sample_weight)):
        for leaf in jax.tree_util.tree_leaves(struct):
            shape = np.shape(leaf)
            if not shape:
                raise DataError(
                    f"{owner}: every array in `{name}` needs a leading sample axis. "
                    f"Received: a scalar."
                )
            sizes.setdefault(name, set()).add(shape[0])
    all_sizes = set().union(*sizes.values()) if sizes else set()
    if len(all_sizes) > 1:
        detail = ", ".join(f"{k}: {sorted(v)}" for k, v in sizes.items())
        raise DataError(
            f"{owner}: x, y and sample_weight must have the same number of samples. "
            f"Received sizes {detail}."
        )
    if not all_sizes:
        raise DataError(f"{owner}: no data was given. Received: x=None.")
    return all_sizes.pop()


def take(struct, index):
    return jax.tree_util.tree_map(lambda a: a[index], struct)


def split_validation(owner, x, y, sample_weight, validation_split):
    """Keras semantics: the LAST ``validation_split`` fraction, before shuffling."""
    if not 0.0 <= validation_split < 1.0:
        raise DataError(
            f"{owner}: `validation_split` must be in [0, 1). "
            f"Received: validation_split={validation_split!r}."
        )
    n = num_samples(owner, x, y, sample_weight)
    cut = int(math.floor(n * (1.0 - validation_split)))
    if cut == 0 or cut == n:
        raise DataError(
            f"{owner}: validation_split={validation_split} leaves "
            f"{'no training' if cut == 0 else 'no validation'} samples out of {n}."
        )
    train = (take(x, slice(0, cut)), take(y, slice(0, cut)),
             None if sample_weight is None else take(sample_weight, slice(0, cut)))
    val = (take(x, slice(cut, n)), take(y, slice(cut, n)),
           None if sample_weight is None else take(sample_weight, slice(cut, n)))
    return train, val


def class_weights_to_sample_weights(owner, y, class_weight):
    """Per-sample weights ``class_weight[label]`` for int or one-hot labels."""
    if not isinstance(class_weight, dict):
        raise DataError(
            f"{owner}: `class_weight` must be a dict {{class_id: weight}}. "
            f"Received: class_weight={class_weight!r}."
        )
    leaves = jax.tree_util.tree_leaves(y)
    if len(leaves) != 1:
        raise DataError(
            f"{owner}: `class_weight` is only supported for a single output. "
            "Use sample_weight for multi-output models."
        )
    labels = np.asarray(leaves[0])
    if labels.ndim >= 2 and labels.shape[-1] > 1:
        labels = labels.argmax(axis=-1)
    elif labels.ndim >= 2:
        labels = np.round(labels[..., 0])
    labels = labels.astype(np.int64).reshape(labels.shape[0], -1)[:, 0]
    table = np.ones(int(max(labels.max(initial=0), max(class_weight)) + 1), np.float32)
    for cls, weight in class_weight.items():
        table[int(cls)] = weight
    return table[labels]


class ArrayData:
    """Arrays on the device plus per-epoch index plans for full and partial batches."""

    def __init__(self, owner, x, y=None, sample_weight=None, batch_size=32):
        self.n = num_samples(owner, x, y, sample_weight)
        if not isinstance(batch_size, int) or batch_size <= 0:
            raise DataError(
                f"{owner}: `batch_size` must be a positive int. Received: "
                f"batch_size={batch_size!r}."
            )
        self.batch_size = min(batch_size, self.n)
        self.arrays = jax.device_put(to_arrays((x, y, sample_weight)))
        self.full_steps = self.n // self.batch_size
        self.remainder = self.n - self.full_steps * self.batch_size

    @property
    def steps(self):
        return self.full_steps + (1 if self.remainder else 0)

    def plan(self, rng=None):
        """``(full_index (steps, batch), partial_index or None)`` for one epoch."""
        order = rng.permutation(self.n) if rng is not None else np.arange(self.n)
        order = order.astype(np.int32)
        cut = self.full_steps * self.batch_size
        full = order[:cut].reshape(self.full_steps, self.batch_size)
        partial = order[cut:] if self.remainder else None
        return jnp.asarray(full), (jnp.asarray(partial) if partial is not None else None)


def gather(arrays, index):
    """The batch of ``arrays`` at ``index`` (inside jit)."""
    return jax.tree_util.tree_map(lambda a: jnp.take(a, index, axis=0), arrays)


def unpack_batch(owner, batch):
    """``(x, y, sample_weight)`` from an element of an iterable of batches."""
    if isinstance(batch, tuple):
        if len(batch) == 1:
            return batch[0], None, None
        if len(batch) == 2:
            return batch[0], batch[1], None
        if len(batch) == 3:
            return batch
    if isinstance(batch, list) and len(batch) in (2, 3):
        return tuple(batch) + ((None,) if len(batch) == 2 else ())
    raise DataError(
        f"{owner}: each element of an iterable dataset must be a tuple (x,), (x, y) or "
        f"(x, y, sample_weight). Received: {type(batch).__name__}."
    )


__all__ = ["ArrayData", "gather", "split_validation", "class_weights_to_sample_weights",
           "unpack_batch", "num_samples", "is_array_struct", "to_arrays"]
