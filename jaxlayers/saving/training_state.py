"""The training side of a saved model: compile configuration and optimizer state.

``compile_config(model)`` records what ``compile`` was given, as names and
configs (never code): the optimizer's config (``jaxlayers.optimizers.serialize``),
losses, metrics, ``loss_weights`` and ``steps_per_execution``.  On load,
``compile_from_config`` calls ``model.compile`` again with those values.

The optimizer state is the optax state pytree ``model._opt_state``; it is saved
as its leaves in ``tree_leaves`` order (``"0" .. "n-1"``), plus the trainer's
key (``model.fit_random_state()["key"]``).  The tree structure itself is not stored: on load the model is compiled,
a fresh state is created for the loaded params (``model._train_state()``) and
the saved leaves are put into that structure after checking their number,
shapes and dtypes.  So ``fit`` continues exactly where it stopped.

A training backup (``BackupAndRestore``) is a model file without
``config.json`` whose ``metadata.json`` also holds a ``training`` record: the
epochs done, the last batch, and the state of ``fit``'s shuffling generator
(see :func:`check_training`).
"""

import inspect
import warnings

import jax
import numpy as np

from jaxlayers.errors import SerializationError
from jaxlayers.saving import archive

_TRAIN_KEY = "train_key"


# ----------------------------------------------------------------------------- compile
def _serialize_spec(spec, kind):
    """Losses / metrics given to ``compile``: names stay names, objects become configs."""
    from jaxlayers.training import losses as losses_lib
    from jaxlayers.training import metrics as metrics_lib

    if spec is None or isinstance(spec, str):
        return spec
    if isinstance(spec, dict):
        return {str(k): _serialize_spec(v, kind) for k, v in spec.items()}
    if isinstance(spec, (list, tuple)):
        return [_serialize_spec(v, kind) for v in spec]
    if kind == "loss":
        return losses_lib.serialize(spec)
    if isinstance(spec, metrics_lib.Metric):
        return metrics_lib.serialize(spec)
    if callable(spec) and not inspect.isclass(spec):
        return metrics_lib.reduction.function_name(spec)
    raise SerializationError(f"Cannot serialize the {kind} {spec!r} given to compile().")


def _deserialize_spec(spec, kind):
    from jaxlayers.training import losses as losses_lib
    from jaxlayers.training import metrics as metrics_lib

    if spec is None or isinstance(spec, (str, int, float, bool)):
        return spec
    if isinstance(spec, dict) and "class_name" in spec:
        return (losses_lib.deserialize(spec) if kind == "loss"
                else metrics_lib.deserialize(spec))
    if isinstance(spec, dict):
        return {k: _deserialize_spec(v, kind) for k, v in spec.items()}
    if isinstance(spec, list):
        return [_deserialize_spec(v, kind) for v in spec]
    raise SerializationError(f"Could not read the {kind} entry {spec!r} of compile_config.")


def _serialize_optimizer(optimizer):
    from jaxlayers import optimizers

    if isinstance(optimizer, str):
        return optimizer
    if not hasattr(optimizer, "get_config"):
        return None
    return optimizers.serialize(optimizer)


def compile_config(model):
    """What ``compile`` was given, as JSON data; ``None`` if the model is not compiled."""
    if not getattr(model, "compiled", False):
        return None
    owner = f"{type(model).__name__} '{model.name}'"
    try:
        optimizer = _serialize_optimizer(model.optimizer)
    except Exception as e:  # noqa: BLE001 - a custom optimizer without a config
        warnings.warn(f"{owner}: the optimizer could not be serialized ({e}); the file "
                      "will load uncompiled.", stacklevel=3)
        optimizer = None
    if optimizer is None:
        warnings.warn(
            f"{owner}: the optimizer {model.optimizer!r} has no config (a raw optax "
            "transformation?), so it is not saved and the model will load uncompiled. Pass "
            "a jaxlayers optimizer (jl.optimizers.Adam(...)) or a name to save it.",
            stacklevel=3)
    return {
        "optimizer": optimizer,
        "loss": _serialize_spec(model.loss, "loss"),
        "loss_weights": model._loss_weights,
        "metrics": _serialize_spec(model._metrics_spec, "metric"),
        "weighted_metrics": _serialize_spec(model._weighted_metrics_spec, "metric"),
        "run_eagerly": bool(model.run_eagerly),
        "steps_per_execution": model.steps_per_execution,
    }


def compile_from_config(model, config, source):
    """Compiles ``model`` as described by ``config``; warns and returns False if it can't."""
    from jaxlayers import optimizers

    try:
        if config.get("optimizer") is None:
            raise SerializationError("the file holds no optimizer config")
        opt = config["optimizer"]
        optimizer = opt if isinstance(opt, str) else optimizers.deserialize(opt)
        kwargs = {"optimizer": optimizer,
                  "loss": _deserialize_spec(config.get("loss"), "loss"),
                  "loss_weights": config.get("loss_weights"),
                  "metrics": _deserialize_spec(config.get("metrics"), "metric"),
                  "weighted_metrics": _deserialize_spec(config.get("weighted_metrics"),
                                                        "metric")}
        if isinstance(config.get("steps_per_execution"), int):
            kwargs["steps_per_execution"] = config["steps_per_execution"]
        if config.get("run_eagerly"):
            kwargs["run_eagerly"] = True
        model.compile(**kwargs)
    except Exception as e:  # noqa: BLE001 - Keras loads uncompiled, with a warning
        warnings.warn(
            f"{source}: the model was loaded but could not be compiled ({type(e).__name__}: "
            f"{e}). Call model.compile(...) yourself, or pass compile=False.", stacklevel=3)
        return False
    return True


# ----------------------------------------------------------------------------- optimizer
def optimizer_items(model):
    """``(key, array)`` pairs of the optimizer state and the trainer key, or ``None``."""
    opt_state = getattr(model, "_opt_state", None)
    if not getattr(model, "compiled", False) or opt_state is None:
        return None
    leaves = jax.tree_util.tree_leaves(opt_state)
    items = [(str(i), leaf) for i, leaf in enumerate(leaves)]
    key = model.fit_random_state()["key"]
    if key is not None:
        items.append((_TRAIN_KEY, key))
    return items


def optimizer_meta(model):
    from jaxlayers.training import steps as steps_lib

    partition = steps_lib.Partition(model)
    leaves = jax.tree_util.tree_leaves(model._opt_state)
    return {"kind": "optimizer_state", "count": len(leaves),
            "trained_paths": ["/".join(p) for p in partition.train_paths]}


def _short(value, limit=200):
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}..."


def restore_optimizer(model, npz, source, skip_hint=" Load with compile=False to skip it."):
    """Puts the saved optimizer leaves and trainer key into the compiled ``model``.

    Everything is checked against the arrays really stored, then against what
    the model's optimizer needs, before anything is read or assigned.
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
    model._train_state()
    leaves, treedef = jax.tree_util.tree_flatten(model._opt_state)
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
    model._opt_state = jax.tree_util.tree_unflatten(treedef, values)
    if key_dtype is not None:
        model.restore_fit_random_state(
            key=archive.to_jax(npz.read(_TRAIN_KEY), key_dtype, source))


# ----------------------------------------------------------------------------- backups
def check_training(training, source):
    """The ``training`` record of a backup's ``metadata.json``, checked (a new dict).

    ``{"epoch": epochs done, "batch": last batch or None, "shuffle": the
    shuffling generator's state or None}``.
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
    "optimizer_meta",
    "restore_optimizer",
]
