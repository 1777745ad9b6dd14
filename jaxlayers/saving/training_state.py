"""The training side of a saved model: compile configuration and optimizer state.

Everything here goes through the trainer's public protocol
(:class:`jaxlayers.training.trainer_state.TrainerState`):
``model.get_compile_config()`` is stored in ``config.json`` and given back to
``model.compile_from_config`` on load; ``model.training_state()`` gives the
optimizer state, saved as its leaves in ``tree_leaves`` order (``"0" ..
"n-1"``), plus ``fit``'s key.  The tree structure itself is not stored: on
load the model is compiled, ``model.training_state(init_optimizer=True)`` gives
a fresh state for the loaded weights, the saved leaves are checked against its
number, shapes and dtypes, and ``model.restore_training_state`` puts them in.
So ``fit`` continues exactly where it stopped.

A training backup (``BackupAndRestore``) is a model file without
``config.json`` whose ``metadata.json`` also holds a ``training`` record: the
epochs done, the last batch, and the state of ``fit``'s shuffling generator
(see :func:`check_training`).
"""

import warnings

import jax
import numpy as np

from jaxlayers.saving import archive

_TRAIN_KEY = "train_key"


# ----------------------------------------------------------------------------- compile
def compile_config(model):
    """What ``compile`` was given, as JSON data; ``None`` if the model is not compiled.

    Args:
        model: A model.

    Returns:
        ``model.get_compile_config()``, or ``None``.

    Example:
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> compile_config(model)["loss"]
        'mse'
    """
    get = getattr(model, "get_compile_config", None)
    return None if get is None else get()


def compile_from_config(model, config, source):
    """Compiles ``model`` as described by ``config``; warns and returns False if it can't.

    Args:
        model: The loaded model.
        config: A :func:`compile_config` dict.
        source: How warnings name the file.

    Returns:
        Whether the model was compiled.

    Example:
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> twin = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)])
        >>> compile_from_config(twin, compile_config(model), "'m.keras'"), twin.compiled
        (True, True)
    """
    try:
        model.compile_from_config(config)
    except Exception as e:  # noqa: BLE001 - Keras loads uncompiled, with a warning
        warnings.warn(
            f"{source}: the model was loaded but could not be compiled ({type(e).__name__}: "
            f"{e}). Call model.compile(...) yourself, or pass compile=False.", stacklevel=3)
        return False
    return True


# ----------------------------------------------------------------------------- optimizer
def optimizer_items(model):
    """``(items, manifest)`` of the optimizer state and the trainer key, or ``None``.

    Args:
        model: A compiled model.

    Returns:
        ``[(key, array)]`` for :func:`archive.write_npz` and its manifest
        (leaf count and trained weight paths), or ``None`` before ``compile``.

    Example:
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> _ = model.training_state(init_optimizer=True)  # as when training starts
        >>> items, manifest = optimizer_items(model)
        >>> [key for key, _ in items], manifest["count"]
        (['0', '1', 'train_key'], 2)
    """
    state = model.training_state() if hasattr(model, "training_state") else None
    if state is None or state["optimizer_state"] is None:
        return None
    leaves = jax.tree_util.tree_leaves(state["optimizer_state"])
    items = [(str(i), leaf) for i, leaf in enumerate(leaves)]
    if state["key"] is not None:
        items.append((_TRAIN_KEY, state["key"]))
    manifest = {"kind": "optimizer_state", "count": len(leaves),
                "trained_paths": ["/".join(p) for p in state["trained_paths"]]}
    return items, manifest


def _short(value, limit=200):
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}..."


def restore_optimizer(model, npz, source, skip_hint=" Load with compile=False to skip it."):
    """Puts the saved optimizer leaves and trainer key into the compiled ``model``.

    Everything is checked against the arrays really stored, then against what
    the model's optimizer needs, before anything is read or assigned.

    Args:
        model: A compiled model.
        npz: An open :class:`archive.NpzReader` of :func:`optimizer_items`.
        source: How messages name the file.
        skip_hint: Appended to errors: how to load without the optimizer.

    Raises:
        ArchiveError: The stored state does not fit the model's optimizer.

    Example:
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> from jaxlayers.saving import archive
        >>> _ = model.training_state(init_optimizer=True)  # as when training starts
        >>> items, manifest = optimizer_items(model)
        >>> with open("opt.npz", "wb") as f:
        ...     archive.write_npz(f, items, manifest)
        >>> with archive.NpzReader("opt.npz") as npz:
        ...     restore_optimizer(model, npz, "'opt.npz'")
        >>> int(model.optimizer.iterations)
        0
    """
    meta = npz.manifest or {}
    count = meta.get("count")
    stored = [k for k in npz.keys() if k != _TRAIN_KEY]
    if type(count) is not int or count < 0:
        raise archive.ArchiveError(f"{source}: the optimizer state has no valid leaf count. "
                                   f"Received: count={_short(count)}.")
    # Compared with the stored arrays before anything is built from the count.
    if count != len(stored) or set(stored) != {str(i) for i in range(count)}:
        raise archive.ArchiveError(
            f"{source}: the optimizer state declares {count} arrays but holds "
            f"{len(stored)} ({sorted(stored)[:10]}). The file is truncated or was edited."
            f"{skip_hint}")
    leaves = jax.tree_util.tree_leaves(
        model.training_state(init_optimizer=True)["optimizer_state"])
    owner = f"{type(model).__name__} '{model.name}'"
    if count != len(leaves):
        raise archive.ArchiveError(
            f"{source}: the saved optimizer state has {count} arrays but {owner} compiled "
            f"with this optimizer needs {len(leaves)}. Trained paths when saved: "
            f"{_short(meta.get('trained_paths'))}.{skip_hint}"
        )
    dtypes = []
    for i, leaf in enumerate(leaves):
        shape, dtype = npz.header(str(i))
        want_shape, want_dtype = _shape_and_dtype(leaf)
        if shape != want_shape or dtype != want_dtype:
            raise archive.ArchiveError(
                f"{source}: optimizer state array {i} has shape {shape} and dtype {dtype}; "
                f"{owner}'s optimizer expects shape {want_shape} and dtype {want_dtype}."
                f"{skip_hint}"
            )
        dtypes.append(dtype)
    key_dtype = None
    if _TRAIN_KEY in npz.keys():
        shape, key_dtype = npz.header(_TRAIN_KEY)
        if (not key_dtype.startswith("prng_key:")
                or shape != archive.key_data_shape(key_dtype)):
            raise archive.ArchiveError(
                f"{source}: the optimizer state's {_TRAIN_KEY!r} is stored as {key_dtype} "
                f"with shape {shape}, which is not a PRNG key. The file is truncated or "
                f"corrupt, or was edited.{skip_hint}"
            )
    values = [archive.to_jax(npz.read(str(i)), d, source) for i, d in enumerate(dtypes)]
    key = None if key_dtype is None else archive.to_jax(npz.read(_TRAIN_KEY), key_dtype,
                                                        source)
    model.restore_training_state(optimizer_state=values, key=key)


# ----------------------------------------------------------------------------- backups
def check_training(training, source):
    """The ``training`` record of a backup's ``metadata.json``, checked (a new dict).

    ``{"epoch": epochs done, "batch": last batch or None, "shuffle": the
    shuffling generator's state or None}``.

    Args:
        training: The record read from the file.
        source: How messages name the file.

    Returns:
        The record with every key present.

    Raises:
        ArchiveError: The record is missing or malformed.

    Example:
        >>> check_training({"epoch": 3}, "'b.keras'")
        {'epoch': 3, 'batch': None, 'shuffle': None}
    """
    if not isinstance(training, dict):
        raise archive.ArchiveError(f"{source}: metadata.json has no 'training' record; the "
                                   "file is not a training backup.")
    epoch, batch, shuffle = (training.get(k) for k in ("epoch", "batch", "shuffle"))
    if not _is_count(epoch) or not (batch is None or _is_count(batch)):
        raise archive.ArchiveError(
            f"{source}: the training record needs an epoch and a batch count. Received: "
            f"epoch={_short(epoch)}, batch={_short(batch)}.")
    if shuffle is not None and not _is_pcg64_state(shuffle):
        raise archive.ArchiveError(
            f"{source}: the training record's shuffling state is not a PCG64 generator "
            f"state. Received: {_short(shuffle)}.")
    return {"epoch": epoch, "batch": batch, "shuffle": shuffle}


def _is_count(value, bound=2**63):
    return type(value) is int and 0 <= value < bound


def _is_pcg64_state(state):
    """NumPy's ``PCG64().state`` layout: the only generator ``fit`` shuffles with."""
    if not isinstance(state, dict) or set(state) != {"bit_generator", "state", "has_uint32",
                                                      "uinteger"}:
        return False
    inner = state["state"]
    return (state["bit_generator"] == "PCG64" and isinstance(inner, dict)
            and set(inner) == {"state", "inc"}
            and all(_is_count(v, 2**128) for v in inner.values())
            and state["has_uint32"] in (0, 1) and type(state["has_uint32"]) is int
            and _is_count(state["uinteger"], 2**32))


def _shape_and_dtype(leaf):
    """The shape and dtype name a leaf is saved with (PRNG keys as their key data)."""
    dtype = getattr(leaf, "dtype", None)
    if dtype is not None and jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key):
        return tuple(jax.random.key_data(leaf).shape), f"prng_key:{jax.random.key_impl(leaf)}"
    if dtype is None:
        leaf = np.asarray(leaf)
    return tuple(np.shape(leaf)), np.dtype(leaf.dtype).name


__all__ = [
    "check_training",
    "compile_config",
    "compile_from_config",
    "optimizer_items",
    "restore_optimizer",
]
