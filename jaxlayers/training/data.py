"""Data given to ``fit``/``evaluate``/``predict``: arrays (kept on device) or iterables.

Array data is placed on the device once; each epoch's shuffled order is one
``(steps, batch_size)`` index array, and the jitted step gathers its batch
from the device-resident arrays by step number.  So the Python loop per step
does nothing but call the compiled step.  The last partial batch (if any) has
its own static size: at most a second compiled shape, never a retrace per step.
"""

import itertools
import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from jaxlayers.distribution import distributions as distribution_lib
from jaxlayers.distribution import multihost
from jaxlayers.errors import ConfigError, DataError, DTypeError


def _is_array(x):
    return isinstance(x, (np.ndarray, jax.Array)) or (
        hasattr(x, "shape") and hasattr(x, "dtype") and hasattr(x, "__array__"))


def is_array_struct(data):
    """Whether ``data`` is a structure of arrays (or numbers and lists), not an iterable of batches.

    Args:
        data: What was passed as ``x``.

    Returns:
        A bool; ``False`` for an iterator, a generator or an empty structure.

    Example:
        >>> is_array_struct({"a": np.ones(2)}), is_array_struct(iter([np.ones(2)]))
        (True, False)
    """
    if _is_iterator(data):
        return False
    leaves = jax.tree_util.tree_leaves(data)
    return bool(leaves) and all(_is_array(x) or isinstance(x, (list, float, int))
                                for x in leaves)


def _is_iterator(data):
    return hasattr(data, "__next__") or (
        hasattr(data, "__iter__") and not isinstance(data, (list, tuple, dict, np.ndarray))
        and not _is_array(data))


def to_arrays(data):
    """Numeric leaves as arrays (float64 -> float32, int64 -> int32, as JAX would).

    Args:
        data: A structure of arrays, lists or numbers.

    Returns:
        The same structure with NumPy (or untouched ``jax.Array``) leaves.

    Raises:
        DataError: A leaf holds strings or objects.

    Example:
        >>> [a.dtype.name for a in to_arrays((np.ones(2), np.arange(2)))]
        ['float32', 'int32']
    """
    if type(data) is np.ndarray and data.dtype.kind not in "OUSV" and data.dtype not in (
            np.float64, np.int64):  # one batch of a predict loop: nothing to convert
        return data
    if isinstance(data, jax.Array):
        return data

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


def count_arg(owner, name, value, minimum=1, allow_none=True):
    """``value`` as an int ``>= minimum`` (or ``None`` where allowed), else a ``ConfigError``.

    The one check of the counts fit/evaluate/predict take (``batch_size``,
    ``epochs``, ``steps``, ...), run before anything is traced.

    Args:
        owner: How messages name the caller.
        name: The argument's name.
        value: Its value.
        minimum: The smallest int allowed.
        allow_none: Whether ``None`` is allowed.

    Returns:
        ``value`` as an int, or ``None``.

    Raises:
        ConfigError: Anything else.

    Example:
        >>> count_arg("Model 'm'.fit", "epochs", 3, minimum=0)
        3
    """
    if value is None and allow_none:
        return None
    if (not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_))
            or value < minimum):
        kind = "a positive int" if minimum == 1 else f"an int >= {minimum}"
        raise ConfigError(
            f"{owner}: `{name}` must be {kind}{' or None' if allow_none else ''}. "
            f"Received: {name}={value!r}."
        )
    return int(value)


def check_real(owner, name, struct):
    """A ``DTypeError`` if an array in ``struct`` is complex (the math would drop .imag).

    Args:
        owner: How messages name the caller.
        name: The argument's name (``"x"``, ``"y"``).
        struct: Structure of arrays.

    Raises:
        DTypeError: An array is complex.

    Example:
        >>> check_real("Model 'm'.fit", "y", np.zeros(2, np.complex64))
        Traceback (most recent call last):
        ...
        jaxlayers.errors.DTypeError: Model 'm'.fit: `y` has dtype complex64, ...
    """
    for leaf in jax.tree_util.tree_leaves(struct):
        dtype = np.dtype(getattr(leaf, "dtype", np.asarray(leaf).dtype))
        if dtype.kind == "c":
            raise DTypeError(
                f"{owner}: `{name}` has dtype {dtype}, but complex data is refused here rather "
                "than silently losing its imaginary part (losses and metrics are real, and a "
                "real Input casts it away). Pass real arrays, e.g. "
                "np.stack([z.real, z.imag], axis=-1)."
            )


def num_samples(owner, x, y=None, sample_weight=None, allow_empty=False):
    """The common leading size of every array in ``x``, ``y`` and ``sample_weight``.

    Args:
        owner: How messages name the caller (``"Model 'm'.fit"``).
        x: Structure of input arrays.
        y: Structure of target arrays, or ``None``.
        sample_weight: Structure of weights, or ``None``.
        allow_empty: Whether zero samples is allowed (``predict``).

    Returns:
        The number of samples.

    Raises:
        DataError: On mismatched sizes, a scalar, no data, or (unless
            ``allow_empty``, as ``predict`` does) zero samples.

    Example:
        >>> num_samples("Model 'm'.fit", np.ones((4, 2)), np.ones(4))
        4
    """
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
    n = all_sizes.pop()
    if n == 0 and not allow_empty:
        shapes = [tuple(np.shape(a)) for a in jax.tree_util.tree_leaves(x)]
        raise DataError(
            f"{owner}: the data has no samples (x has shape(s) {shapes}). Pass at least one "
            "sample."
        )
    return n


def take(struct, index):
    """``struct``'s leaves indexed by ``index`` (a slice or an index array).

    Example:
        >>> from jaxlayers.training.data import take
        >>> take({"a": np.arange(5)}, slice(1, 3))["a"].tolist()
        [1, 2]
    """
    if isinstance(struct, (np.ndarray, jax.Array)):  # one array: no tree walk per batch
        return struct[index]
    return jax.tree_util.tree_map(lambda a: a[index], struct)


def split_validation(owner, x, y, sample_weight, validation_split):
    """Keras semantics: the LAST ``validation_split`` fraction, before shuffling.

    Args:
        owner: How messages name the caller (``"Model 'm'.fit"``).
        x: Structure of input arrays.
        y: Structure of target arrays, or ``None``.
        sample_weight: Structure of weights, or ``None``.
        validation_split: Float in ``[0, 1)``.

    Returns:
        ``((x, y, sample_weight), (x_val, y_val, sample_weight_val))``.

    Raises:
        DataError: The fraction is out of range, or leaves one side empty.

    Example:
        >>> train, val = split_validation("Model 'm'.fit", np.arange(10), np.arange(10), None, 0.2)
        >>> train[0].tolist(), val[0].tolist()
        ([0, 1, 2, 3, 4, 5, 6, 7], [8, 9])
    """
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


def class_weights_to_sample_weights(owner, y, class_weight, num_classes):
    """Per-sample weights ``class_weight[label]`` for int or one-hot labels.

    Args:
        owner: Who is asking, for error messages.
        y: The labels of the (only) output.
        class_weight: Dict ``{class_id: weight}``; classes it leaves out weigh 1.
        num_classes: How many classes the output can tell apart (its width, or 2
            for a single unit); a class id outside ``[0, num_classes)`` is an error.

    Returns:
        One float32 weight per sample.

    Raises:
        ConfigError: ``class_weight`` is not a dict of class ids to finite numbers.
        DataError: The model has several outputs.

    Example:
        >>> class_weights_to_sample_weights("Model 'm'.fit", np.array([0, 1, 1]), {1: 2.0}, 2)
        array([1., 2., 2.], dtype=float32)
    """
    if not isinstance(class_weight, dict):
        raise ConfigError(
            f"{owner}: `class_weight` must be a dict {{class_id: weight}}. "
            f"Received: class_weight={class_weight!r}."
        )
    leaves = jax.tree_util.tree_leaves(y)
    if len(leaves) != 1:
        raise DataError(
            f"{owner}: `class_weight` is only supported for a single output. "
            "Use sample_weight for multi-output models."
        )
    for cls, weight in class_weight.items():
        if (not isinstance(cls, (int, np.integer)) or isinstance(cls, (bool, np.bool_))
                or not 0 <= cls < num_classes):
            raise ConfigError(
                f"{owner}: `class_weight` names class {cls!r}, which the labels cannot have: "
                f"the output tells {num_classes} classes apart, ids 0 to {num_classes - 1}. "
                f"Received: class_weight={class_weight!r}."
            )
        if not isinstance(weight, (int, float, np.number)) or not np.isfinite(weight):
            raise ConfigError(
                f"{owner}: `class_weight` values must be finite numbers. Received: "
                f"class_weight[{cls!r}]={weight!r}."
            )
    labels = np.asarray(leaves[0])
    if labels.ndim >= 2 and labels.shape[-1] > 1:
        labels = labels.argmax(axis=-1)
    elif labels.ndim >= 2:
        labels = np.round(labels[..., 0])
    labels = labels.astype(np.int64).reshape(labels.shape[0], -1)[:, 0]
    table = np.ones(max(int(labels.max(initial=0)) + 1, num_classes), np.float32)
    for cls, weight in class_weight.items():
        table[int(cls)] = weight
    return table[np.clip(labels, 0, None)]


def check_class_ids(owner, output, labels, num_classes, ignore_class, who):
    """A ``DataError`` unless every label (but ``ignore_class``) is in ``[0, num_classes)``.

    Run once per call on the host, before any step: inside the step an id out
    of range gives NaN (crossentropy) or a silent 0 (accuracy).

    Args:
        owner: How messages name the caller (``"Model 'm'.fit"``).
        output: The output's name, for messages.
        labels: The integer labels.
        num_classes: The width of the output.
        ignore_class: A label id to skip, or ``None``.
        who: The loss or metric that needs the ids, for messages.

    Raises:
        DataError: A label is out of range.

    Example:
        >>> check_class_ids("Model 'm'.fit", "out", np.array([0, 3]), 3, None, "accuracy")
        Traceback (most recent call last):
        ...
        jaxlayers.errors.DataError: Model 'm'.fit: the labels of output 'out' must be class ids ...
    """
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iufb" or labels.size == 0:
        return
    if ignore_class is not None:
        labels = labels[labels != ignore_class]
    bad = labels[(labels < 0) | (labels >= num_classes)]
    if bad.size:
        value = bad.flat[0].item()
        raise DataError(
            f"{owner}: the labels of output '{output}' must be class ids in "
            f"[0, {num_classes}) for {who}, the width of the output"
            f"{'' if ignore_class is None else f' (or ignore_class={ignore_class})'}. "
            f"Received: label {value!r} ({bad.size} label(s) out of range)."
        )


class ArrayData:
    """Arrays on the device plus per-epoch index plans for full and partial batches.

    In a job of several processes under a distribution, each step builds its
    global batch from this process's rows on the host
    (:func:`~jaxlayers.distribution.multihost.global_batch`), so the arrays and
    the plans stay NumPy there: :func:`~jaxlayers.training.sharded_steps.process_local`
    indexes them on the host, with no device gather and no copy back per step.

    Args:
        owner: How messages name the caller (``"Model 'm'.fit"``).
        x: Structure of input arrays.
        y: Structure of target arrays, or ``None``.
        sample_weight: Structure of weights, or ``None``.
        batch_size: Positive int (capped at the number of samples).

    Example:
        >>> data = ArrayData("Model 'm'.fit", np.arange(5.0), np.arange(5.0), batch_size=2)
        >>> data.steps, data.remainder
        (3, 1)
        >>> full, partial = data.plan()
        >>> full.tolist(), partial.tolist()
        ([[0, 1], [2, 3]], [4])
    """

    def __init__(self, owner, x, y=None, sample_weight=None, batch_size=32):
        self.n = num_samples(owner, x, y, sample_weight)
        batch_size = count_arg(owner, "batch_size", batch_size, allow_none=False)
        self.batch_size = min(batch_size, self.n)
        self._host = to_arrays((x, y, sample_weight))
        self._arrays = None
        self._on_host = (multihost.is_multi_process()
                         and distribution_lib.distribution() is not None)
        self.full_steps = self.n // self.batch_size
        self.remainder = self.n - self.full_steps * self.batch_size

    @property
    def steps(self):
        return self.full_steps + (1 if self.remainder else 0)

    def shapes(self):
        """``(x, y, sample_weight)`` as the ``jax.ShapeDtypeStruct`` s they have on the device."""
        return jax.tree_util.tree_map(
            lambda a: jax.ShapeDtypeStruct(a.shape, jax.dtypes.canonicalize_dtype(a.dtype)),
            self._host if self._arrays is None else self._arrays)

    @property
    def arrays(self):
        """``(x, y, sample_weight)`` as the trainer's steps take them: on the device
        (placed by the first :meth:`plan`), or NumPy for the steps of several processes."""
        if self._on_host:
            return self._host
        return self.device_arrays

    @property
    def device_arrays(self):
        """``(x, y, sample_weight)`` on the device (placed once)."""
        if self._arrays is None:
            self._arrays = jax.device_put(self._host)
            if not self._on_host:
                self._host = None
        return self._arrays

    def plan(self, rng=None):
        """``(full_index (steps, batch), partial_index or None)`` for one epoch.

        Without ``rng`` (no shuffling) the plan of a small dataset is the same
        every epoch: it is placed on the device once per shape and reused (the
        steps never donate it), saving a transfer per ``fit``/``evaluate`` call.
        In a multi-process job the data and the plans stay on the host.
        """
        if rng is None and not self._on_host and self.n <= _PLAN_CACHE_MAX_SAMPLES:
            key = (self.n, self.batch_size, jax.config.jax_default_device)
            cached = _PLAN_CACHE.get(key)
            if cached is None:
                cached = _PLAN_CACHE[key] = self._plan(None)
                if len(_PLAN_CACHE) > 16:
                    _PLAN_CACHE.pop(next(iter(_PLAN_CACHE)))
            elif self._arrays is None:
                self._arrays, self._host = jax.device_put(self._host), None
            return cached
        return self._plan(rng)

    def _plan(self, rng):
        order = rng.permutation(self.n) if rng is not None else np.arange(self.n)
        order = order.astype(np.int32)
        cut = self.full_steps * self.batch_size
        full = order[:cut].reshape(self.full_steps, self.batch_size)
        partial = order[cut:] if self.remainder else None
        if self._on_host:
            return full, partial
        if self._arrays is None:
            # One transfer for the data and the first epoch's plan: each
            # device_put call costs a host round trip of its own.
            self._arrays, full, partial = jax.device_put((self._host, full, partial))
            self._host = None
            return full, partial
        return jax.device_put((full, partial))


# Unshuffled plans on the device, by (samples, batch size, default device).
_PLAN_CACHE = {}
_PLAN_CACHE_MAX_SAMPLES = 1 << 16


def shuffle_rng(key):
    """The host generator that shuffles array data in ``fit``, seeded from its key.

    ``BackupAndRestore`` saves the key, so a resumed ``fit`` draws the same
    shuffles.  The seed comes from one compiled program (not op by op on
    every call); ``fit`` asks for it only when it shuffles.
    """
    return np.random.default_rng(int(_shuffle_seed(key)))


@jax.jit
def _shuffle_seed(key):
    return jax.random.randint(jax.random.fold_in(key, 7), (), 0, 2**31 - 1)


def gather(arrays, index):
    """The batch of ``arrays`` at ``index`` (inside jit).

    Args:
        arrays: Structure of arrays, samples first.
        index: Integer array of sample positions.

    Returns:
        The same structure with the indexed samples.

    Example:
        >>> gather((jnp.arange(5.0),), jnp.array([4, 0]))[0].tolist()
        [4.0, 0.0]
    """
    return jax.tree_util.tree_map(lambda a: jnp.take(a, index, axis=0), arrays)


def unpack_batch(owner, batch):
    """``(x, y, sample_weight)`` from an element of an iterable of batches.

    Args:
        owner: How messages name the caller (``"Model 'm'.fit"``).
        batch: A tuple ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` (a list
            of two or three counts too).

    Returns:
        The three parts, ``None`` for those missing.

    Raises:
        DataError: Any other element.

    Example:
        >>> unpack_batch("Model 'm'.fit", (np.ones(2), np.zeros(2)))[2] is None
        True
    """
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


def pack_batch(x, y=None, sample_weight=None):
    """The shortest batch holding the given parts, as Keras packs ``(x, y, sample_weight)``.

    ``x`` alone is returned as is (as a 1-tuple when it is itself a tuple or
    list, so it is not read as ``(x, y)``).  A custom ``train_step`` receives
    array data packed this way.

    Args:
        x: The inputs.
        y: The targets, or ``None``.
        sample_weight: The sample weights, or ``None``.

    Returns:
        ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``.

    Example:
        >>> pack_batch(1, 2)
        (1, 2)
    """
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_batch_data(data):
    """``(x, y, sample_weight)`` from a batch: ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sw)``.

    Missing parts are ``None``; a list counts as a tuple, anything else (an
    array, a dict) as ``x``.

    Args:
        data: The batch.

    Returns:
        ``(x, y, sample_weight)``.

    Example:
        >>> unpack_batch_data((np.ones(2), np.zeros(2)))[2] is None
        True
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return (data, None, None)
    return unpack_batch("unpack_x_y_sample_weight", data)


def validation_freq_arg(owner, value):
    """``validation_freq`` as Keras takes it: a positive int, or a list of (1-based) epochs.

    Args:
        owner: How messages name the caller.
        value: The user's ``validation_freq``.

    Returns:
        The int, or the list of ints.

    Raises:
        ConfigError: Not a positive int or a list of them.

    Example:
        >>> validation_freq_arg("Model 'm'.fit", [1, 3])
        [1, 3]
    """
    if isinstance(value, (list, tuple)):
        for epoch in value:
            count_arg(owner, "validation_freq", epoch, allow_none=False)
        return [int(epoch) for epoch in value]
    return count_arg(owner, "validation_freq", value, allow_none=False)


def should_validate(epoch, validation_freq):
    """Whether ``fit`` validates after 0-based ``epoch`` (Keras counts epochs from 1).

    Args:
        epoch: The 0-based epoch just done.
        validation_freq: A positive int (every that many epochs) or a list of
            1-based epochs (:func:`validation_freq_arg`).

    Returns:
        A bool.

    Example:
        >>> should_validate(1, 2), should_validate(0, [1, 3]), should_validate(1, [1, 3])
        (True, True, False)
    """
    if isinstance(validation_freq, list):
        return epoch + 1 in validation_freq
    return (epoch + 1) % validation_freq == 0


_END = object()


def _no_batches(owner):
    return DataError(
        f"{owner}: the dataset gave no batches. An iterator or generator that an earlier "
        "call already consumed is empty: pass a fresh one, or arrays."
    )


def ran_out_warning(owner, steps_run, epoch):
    """Keras's warning when an iterable dataset ends before training does.

    Args:
        owner: How messages name the caller (``"Model 'm'.fit"``).
        steps_run: Batches taken in the epoch that ran out.
        epoch: That 0-based epoch.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     ran_out_warning("Model 'm'.fit", 3, 0)
        >>> str(caught[0].message)[:56]
        "Model 'm'.fit: your input ran out of data after 3 batch("
    """
    warnings.warn(
        f"{owner}: your input ran out of data after {steps_run} batch(es) of epoch "
        f"{epoch + 1}; training stops here. Make sure the dataset or generator can give "
        "steps_per_epoch * epochs batches (one-shot generators give one pass in all).",
        UserWarning, stacklevel=4,  # the user's fit(), under the lock's wrapper
    )


class BatchStream:
    """The batches of an iterable dataset over the epochs of ``fit``, as Keras reads them.

    Without ``steps_per_epoch`` an epoch is one pass: a re-iterable dataset (a
    list, an object with ``__iter__``) starts a fresh pass each epoch, and a
    one-shot iterator or generator has nothing left after its first.  With
    ``steps_per_epoch`` the epochs take consecutive batches from one stream.
    Either way ``take()`` returns ``None`` when the data has run out, and the
    trainer warns and stops instead of logging a loss over zero batches.

    A dataset of indexed batches (a ``PyDataset``: ``num_batches`` and
    ``epoch(order)``) is read in a new batch order each pass when given
    ``shuffle_rng``, as Keras's ``fit(shuffle=True)`` does.

    Args:
        owner: Who is asking, for error messages.
        source: The iterable given as ``x``.
        steps_per_epoch: ``None`` or the number of batches per epoch.
        shuffle_rng: A NumPy ``Generator`` to shuffle the batch order of an
            indexed dataset with, or ``None``.
        transform: Applied to each batch as it is taken (``fit``'s class weights).

    Raises:
        DataError: When the dataset gives no batch at all (e.g. a generator
            already consumed by an earlier call).

    Example:
        A list is re-iterable: each epoch is a fresh pass.

        >>> stream = BatchStream("Model 'm'.fit", [(1, 2), (3, 4)], None)
        >>> stream.start_epoch()
        >>> stream.take(), stream.take(), stream.take()
        ((1, 2), (3, 4), None)
    """

    def __init__(self, owner, source, steps_per_epoch, shuffle_rng=None, transform=None):
        self._source = source
        self._reiterable = not hasattr(source, "__next__")
        self._steps = steps_per_epoch
        self._rng = shuffle_rng if is_indexed_dataset(source) else None
        self._transform = transform
        self._it = self._pass()
        self.first = next(self._it, _END)
        if self.first is _END:
            raise _no_batches(owner)
        self._held = self.first
        self._passes = 0

    def _pass(self):
        if self._rng is None:
            return iter(self._source)
        return iter(self._source.epoch(self._rng.permutation(self._source.num_batches)))

    def start_epoch(self):
        """Starts a fresh pass where an epoch is one pass of a re-iterable dataset."""
        self._passes += 1
        if self._passes > 1 and self._steps is None and self._reiterable:
            self._it, self._held = self._pass(), None

    def take(self):
        """The next batch of this epoch, or ``None`` when the data has run out."""
        if self._held is not None:
            batch, self._held = self._held, None
        else:
            batch = next(self._it, _END)
            if batch is _END:
                return None
        return batch if self._transform is None else self._transform(batch)


def is_indexed_dataset(source):
    """Whether ``source`` is a dataset of numbered batches with a length (a ``PyDataset``).

    Args:
        source: What was passed as ``x``.

    Returns:
        A bool.

    Example:
        >>> class Steps(jl.utils.PyDataset):
        ...     def __len__(self):
        ...         return 2
        ...     def __getitem__(self, index):
        ...         return np.ones((1, 2))
        >>> is_indexed_dataset(Steps()), is_indexed_dataset([np.ones((1, 2))])
        (True, False)
    """
    return (callable(getattr(source, "epoch", None)) and hasattr(source, "__getitem__")
            and getattr(source, "num_batches", None) is not None)


def take_batches(owner, source, steps, stacklevel=4):
    """Up to ``steps`` batches (all when ``None``) of an iterable, for evaluate/predict.

    Args:
        owner: How messages name the caller (``"Model 'm'.fit"``).
        source: The iterable of batches.
        steps: The most batches to take, or ``None`` for all.
        stacklevel: Of the warning when fewer than ``steps`` come.

    Returns:
        The list of batches.

    Raises:
        DataError: When it gives none (an exhausted iterator).

    Example:
        >>> len(take_batches("Model 'm'.evaluate", [(np.ones(1),)] * 5, 2))
        2
    """
    batches = list(source if steps is None else itertools.islice(iter(source), steps))
    if not batches:
        raise _no_batches(owner)
    if steps is not None and len(batches) < steps:
        warnings.warn(
            f"{owner}: your input ran out of data after {len(batches)} of steps={steps} "
            "batches; the results are over those batches.", UserWarning, stacklevel=stacklevel)
    return batches


def validation_args(validation_data):
    """``(x, y, sample_weight)`` from Keras's ``validation_data``, or ``None``."""
    if validation_data is None:
        return None
    if isinstance(validation_data, (tuple, list)):
        return (tuple(validation_data) + (None, None))[:3]
    return validation_data, None, None  # an iterable dataset of batches


def is_plain_arrays(x):
    """An array, or a dict of arrays (not a list of batches or a generator)."""
    if isinstance(x, dict):
        return is_array_struct(x)
    return isinstance(x, (np.ndarray, jax.Array))


__all__ = ["is_indexed_dataset", "pack_batch", "unpack_batch_data", "should_validate",
           "validation_freq_arg", "ArrayData", "BatchStream", "gather", "split_validation",
           "class_weights_to_sample_weights", "check_class_ids", "check_real", "count_arg",
           "take_batches", "ran_out_warning", "unpack_batch", "num_samples", "is_array_struct",
           "to_arrays"]
