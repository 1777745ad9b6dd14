"""Saving and loading: whole models, weights, and bare params/state trees.

* ``model.save("m.keras")`` / ``jl.saving.load_model("m.keras")``: architecture,
  weights, compile configuration and (optionally) optimizer state, in Keras 3's
  layout (:mod:`jaxlayers.saving.keras_writer`; Keras loads it) or, without
  h5py, the data-only npz layout.  Loading reads both and Keras 3's own files
  (configs: :mod:`jaxlayers.saving.keras_reader`; weights:
  :mod:`jaxlayers.saving.keras_h5`), optimizer state included
  (:mod:`jaxlayers.saving.optimizer_layout`).
* ``model.save_weights("m.weights.h5" | "m.weights.npz")`` /
  ``model.load_weights(...)``: weights only, in Keras's HDF5 layout or as arrays
  matched by weight path (``dense/kernel``).
* ``jl.saving.save_params(path, params, state)`` / ``load_params(path)``: the
  pure API's trees, one call each.

The format is data only (DESIGN.md section 6; details in
:mod:`jaxlayers.saving.archive`): loading never unpickles, never imports a
module named in a file and only instantiates registered classes.
"""

import datetime
import os
import shutil
import tempfile
import warnings
import zipfile

import jax

from jaxlayers import backend, hooks
from jaxlayers.core import serialization, tracking
from jaxlayers.core.layer import Layer
from jaxlayers.errors import ConfigError, JaxlayersError, SerializationError
from jaxlayers.saving import (
    archive,
    keras_h5,
    keras_reader,
    keras_writer,
    optimizer_layout,
    training_state,
)
from jaxlayers.saving.archive import WeightsMismatchError
from jaxlayers.version import __version__

_H5_MAGIC = b"\x89HDF\r\n\x1a\n"
# The Keras file layout jaxlayers writes (recorded as Keras records its version).
KERAS_LAYOUT_VERSION = "3.15.1"
# The extra ``.keras`` member holding ``fit``'s random key (Keras has none).
FIT_STATE_MEMBER = "jaxlayers_fit_state.npz"
FIT_KEY = "train_key"
_REBUILD_ERRORS = (JaxlayersError, TypeError, ValueError, KeyError, AttributeError,
                   IndexError, RecursionError, NotImplementedError)


# ----------------------------------------------------------------------------- helpers
def _path(filepath, what):
    try:
        return os.fspath(filepath)
    except TypeError:
        raise ConfigError(
            f"{what}: `filepath` must be a str or os.PathLike. Received: filepath={filepath!r}."
        ) from None


def _check_suffix(filepath, suffix, what, example):
    path = _path(filepath, what)
    if not path.endswith(suffix):
        raise ConfigError(
            f"{what}: the file name must end in '{suffix}' (e.g. '{example}'). Received: "
            f"filepath={path!r}."
        )
    return path


def _is_h5(path):
    """Whether ``path`` starts like an HDF5 file; devices, FIFOs and sockets are refused."""
    try:
        with archive.open_regular(path) as f:
            return f.read(8) == _H5_MAGIC
    except (FileNotFoundError, IsADirectoryError):
        return False


def _owner(model):
    return f"{type(model).__name__} '{model.name}'"


def _entry_key(path, var, prefixed=True):
    name = "/".join(path)
    if not prefixed:
        return name
    return ("params/" if var.collection == "params" else "state/") + name


def _weight_items(model):
    """``(file key, value)`` per weight, read lazily so arrays are copied one at a time."""
    for path, var in tracking.entries(model):
        yield _entry_key(path, var), var.materialize()


def _metadata():
    return {
        "format": archive.FORMAT_NAME,
        "format_version": archive.FORMAT_VERSION,
        "jaxlayers_version": __version__,
        "jax_version": jax.__version__,
        "date_saved": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"),
    }


def _check_metadata(metadata, source):
    if not isinstance(metadata, dict) or metadata.get("format") != archive.FORMAT_NAME:
        raise archive.ArchiveError(
            f"{source}: metadata.json does not describe a jaxlayers model file. Received: "
            f"{str(metadata)[:200]}."
        )
    version = metadata.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise archive.ArchiveError(f"{source}: metadata.json has no valid format_version. "
                                   f"Received: format_version={version!r}.")
    if version > archive.FORMAT_VERSION:
        raise SerializationError(
            f"{source} uses file format version {version} (written by jaxlayers "
            f"{metadata.get('jaxlayers_version')}); this jaxlayers reads versions up to "
            f"{archive.FORMAT_VERSION}. Upgrade jaxlayers to load it."
        )


# ----------------------------------------------------------------------------- config
def model_config(model):
    """The ``config.json`` content of ``model``: class, config, build and compile configs.

    Args:
        model: A model (a layer works too).

    Returns:
        A dict of JSON data.

    Example:
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)])
        >>> config = model_config(model)
        >>> config["class_name"], "build_config" in config
        ('Sequential', True)
    """
    try:
        config = serialization.serialize_object(model, "jaxlayers.models")
    except SerializationError:
        raise
    except (NotImplementedError, TypeError, ValueError, AttributeError) as e:
        raise SerializationError(
            f"{_owner(model)}: get_config() failed ({type(e).__name__}: {e}). A subclassed "
            "model needs a get_config() returning its constructor arguments to be saved "
            "whole; save_weights() works without one."
        ) from e
    build = model.get_build_config()
    if build is not None:
        config["build_config"] = build
    compile_config = training_state.compile_config(model)
    if compile_config is not None:
        config["compile_config"] = compile_config
    return config


def _input_specs(shapes):
    """``jax.ShapeDtypeStruct``s for saved build shapes (unknown sizes become 1)."""
    if isinstance(shapes, dict):
        return {k: _input_specs(v) for k, v in shapes.items()}
    if isinstance(shapes, list) and all(d is None or isinstance(d, int) for d in shapes):
        return jax.ShapeDtypeStruct(tuple(1 if d is None else d for d in shapes),
                                    backend.floatx())
    if isinstance(shapes, list):
        return [_input_specs(s) for s in shapes]
    raise SerializationError(f"Unreadable input shape {shapes!r} in build_config.")


def build_model(model, build_config, source):
    """Creates the weights of a freshly deserialized model from its ``build_config``."""
    if not build_config or tracking.all_built(model):
        return
    try:
        if not model.built:
            model.build_from_config(build_config)
        if not tracking.all_built(model):
            specs = _input_specs(build_config["input_shape"]["pos"])
            model.ensure_built(*specs)
    except SerializationError:
        raise
    except _REBUILD_ERRORS as e:
        raise SerializationError(
            f"{source}: could not build {_owner(model)} from its build_config "
            f"{build_config} ({type(e).__name__}: {e}). Give the class a "
            "build(input_shape) method that creates every weight."
        ) from e


def model_from_config(config, source="config"):
    """Rebuilds (and builds) a model from :func:`model_config` output; registry names only.

    Args:
        config: A dict made by :func:`model_config` (or Keras's ``config.json``
            after translation).
        source: How messages name where the config came from.

    Returns:
        The model, built, with fresh weights.

    Example:
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)])
        >>> twin = model_from_config(model_config(model))
        >>> type(twin).__name__, [w.shape for w in twin.get_weights()]
        ('Sequential', [(3, 2), (2,)])
    """
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise archive.ArchiveError(f"{source}: config.json does not describe a model "
                                   "(no 'class_name').")
    try:
        model = serialization.deserialize_object(config, "layers", printable="model")
    except SerializationError:
        raise
    except _REBUILD_ERRORS as e:
        raise SerializationError(
            f"{source}: could not rebuild the model from config.json ({type(e).__name__}: "
            f"{e})."
        ) from e
    if not isinstance(model, Layer):
        raise SerializationError(
            f"{source}: config.json names {config['class_name']!r}, which is not a layer "
            "or model."
        )
    build_model(model, config.get("build_config"), source)
    return model


# ----------------------------------------------------------------------------- weights
def assign_weights(model, npz, source, skip_mismatch=False):
    """Assigns the arrays of ``npz`` (an :class:`archive.NpzReader`) by weight path.

    All or nothing: every path, shape and dtype is checked first.

    Args:
        model: The built model to fill.
        npz: An open :class:`archive.NpzReader`.
        source: How messages name the file.
        skip_mismatch: Assign what matches and warn about the rest.

    Raises:
        WeightsMismatchError: A weight is missing, extra, or of another shape.

    Example:
        >>> from jaxlayers.saving import archive
        >>> with open("w.npz", "wb") as f:
        ...     archive.write_npz(f, [("d/kernel", np.ones((3, 2))), ("d/bias", np.zeros(2))])
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2, name="d")])
        >>> with archive.NpzReader("w.npz") as npz:
        ...     assign_weights(model, npz, "'w.npz'")
        >>> model.get_weights()[0].tolist()
        [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]
    """
    entries = tracking.entries(model)
    keys = npz.keys()
    key_set = set(keys)
    prefixed = any(k.startswith(("params/", "state/")) for k in keys)
    plan, problems, used = [], [], set()
    for path, var in entries:
        name = "/".join(path)
        key = _entry_key(path, var, prefixed)
        if key not in key_set:
            problems.append(f"weight '{name}' (shape {var.shape}) is not in the file")
            continue
        used.add(key)
        shape, dtype = npz.header(key)
        if shape != var.shape:
            problems.append(f"weight '{name}' expects shape {var.shape} but the file's "
                            f"'{key}' has shape {shape}")
        elif archive.dtype_kind(dtype) != archive.dtype_kind(var.dtype.name):
            problems.append(f"weight '{name}' has dtype {var.dtype.name} but the file's "
                            f"'{key}' has dtype {dtype}")
        else:
            plan.append((path, var, key, dtype))
    problems += [f"the file's array '{k}' matches no weight of the model"
                 for k in keys if k not in used]
    if problems and not used:
        # No path in common: the same architecture built again under other automatic
        # names (dense_3 instead of dense). Files keep the saving model's weight order,
        # so fall back to that order when every shape and dtype lines up, as Keras does.
        by_order = _plan_by_order(entries, keys, npz)
        if by_order is not None:
            plan, problems = by_order, []
    if problems:
        more = (f" ({len(problems) - 1} more: {'; '.join(problems[1:4])}"
                f"{'; ...' if len(problems) > 4 else ''})" if len(problems) > 1 else "")
        message = (f"{source}: the weights do not match {_owner(model)}: first mismatch: "
                   f"{problems[0]}{more}.")
        if not skip_mismatch:
            raise WeightsMismatchError(
                message + " Check that the model is built the same way as the saved one, "
                "or pass skip_mismatch=True to load only the matching weights."
            )
        warnings.warn(message + " Those weights were skipped (skip_mismatch=True).",
                      stacklevel=3)
    planned = {id(var) for _, var, _, _ in plan}
    params, state = {}, {}
    for path, var in entries:
        if id(var) not in planned:
            tracking.set_path(params if var.collection == "params" else state, path,
                              var.materialize())
    for path, var, key, dtype in plan:
        value = archive.to_jax(npz.read(key), dtype, source)
        tracking.set_path(params if var.collection == "params" else state, path, value)
    model.set_params(params, state)


def _plan_by_order(entries, keys, npz):
    if len(entries) != len(keys):
        return None
    plan = []
    for (path, var), key in zip(entries, keys):
        shape, dtype = npz.header(key)
        if (shape != var.shape
                or archive.dtype_kind(dtype) != archive.dtype_kind(var.dtype.name)
                or key.startswith("params/") != (var.collection == "params")):
            return None
        plan.append((path, var, key, dtype))
    return plan


def _flatten_tree(tree, prefix, what):
    if tree is None:
        return []
    if not isinstance(tree, dict):
        raise SerializationError(
            f"save_params: `{what}` must be a nested dict of arrays, as returned by "
            f"layer.init(). Received: {type(tree).__name__}."
        )
    out = []
    for k, v in tree.items():
        if not isinstance(k, str):
            raise SerializationError(f"save_params: `{what}` keys must be strings. "
                                     f"Received: key {k!r} at '{prefix}'.")
        key = f"{prefix}/{k}"
        if isinstance(v, dict):
            out.extend(_flatten_tree(v, key, what))
        elif isinstance(v, (list, tuple)) or v is None:
            raise SerializationError(
                f"save_params: `{what}` must hold arrays in nested dicts. Received: "
                f"{type(v).__name__} at '{key}'."
            )
        else:
            out.append((key, v))
    return out


# ----------------------------------------------------------------------------- public API
def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Saves ``model`` to a ``.keras`` zip that Keras 3 and jaxlayers load, atomically.

    With h5py installed the file is Keras 3's layout: ``config.json`` in
    Keras's schema, ``model.weights.h5`` (weights and, when compiled, the
    optimizer variables as Keras orders them) and ``metadata.json``; ``fit``'s
    random key goes in an extra member Keras ignores.  Without h5py, or for a
    model Keras's schema cannot express (a jaxlayers-only option), the file is
    jaxlayers's data-only npz layout, with a warning saying why.

    Args:
        model: A built or unbuilt ``jl.Model`` (Sequential, Functional or a
            registered subclass with ``get_config``).
        filepath: Path ending in ``.keras``.
        overwrite: Replace an existing file (default); ``False`` raises
            ``FileExistsError`` instead.
        include_optimizer: Also store the optimizer state, so that ``fit``
            continues exactly where it stopped after ``load_model``.

    Example:
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)])
        >>> model.save("m.keras")
        >>> restored = jl.saving.load_model("m.keras")
        >>> bool(jnp.allclose(restored(jnp.ones((1, 3))), model(jnp.ones((1, 3)))))
        True
    """
    path = _check_suffix(filepath, ".keras", "save_model", "model.keras")
    config = model_config(model)
    try:
        keras_writer.import_h5py("Saving a '.keras' file that Keras 3 can load")
        keras_config = keras_writer.model_config(config, keras_writer.tensor_specs(model))
    except (ImportError, SerializationError) as e:
        warnings.warn(
            f"{e} Saved {path!r} in jaxlayers's data-only npz layout instead, which jaxlayers "
            "loads but Keras cannot.", stacklevel=2)
        _write_model_file(path, model, config, include_optimizer, overwrite)
        return
    _write_keras_file(path, model, keras_config, include_optimizer, overwrite)


def _write_keras_file(path, model, keras_config, include_optimizer, overwrite):
    """``model.save`` in Keras 3's layout: Keras's ``config.json`` and ``model.weights.h5``.

    ``metadata.json`` holds Keras's keys and jaxlayers's; ``fit``'s random key,
    which Keras has no place for, goes in the extra member ``FIT_STATE_MEMBER``,
    and the optax state of an optimizer Keras has no layout for in
    ``optimizer.npz`` (Keras ignores members it does not know).
    """
    optimizer = (optimizer_layout.keras_optimizer_variables(model) if include_optimizer
                 else None)
    fit_key = optax_state = None
    if include_optimizer and optimizer is None:
        # No Keras layout for this optimizer (a raw optax transform...): its optax state
        # and fit's key go in the jaxlayers member, so jaxlayers still resumes exactly.
        optax_state = training_state.optimizer_items(model)
    elif include_optimizer:
        fit_key = model.training_state().get("key")
    metadata = {"keras_version": KERAS_LAYOUT_VERSION, **_metadata()}

    def write(f):
        with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
            archive.write_json(zf, archive.METADATA_MEMBER, metadata)
            archive.write_json(zf, archive.CONFIG_MEMBER, keras_config)
            # h5py needs a seekable file: build the HDF5 file aside, then store it.
            with tempfile.SpooledTemporaryFile(max_size=64 * 2**20) as h5, \
                    zf.open(archive.KERAS_WEIGHTS_MEMBER, "w", force_zip64=True) as member:
                keras_writer.write_h5(model, h5, optimizer)
                h5.seek(0)
                shutil.copyfileobj(h5, member, 2**20)
            if fit_key is not None:
                with zf.open(FIT_STATE_MEMBER, "w") as member:
                    archive.write_npz(member, [(FIT_KEY, fit_key)], {"kind": "fit_state"})
            if optax_state is not None:
                with zf.open(archive.OPTIMIZER_MEMBER, "w", force_zip64=True) as member:
                    archive.write_npz(member, *optax_state)

    archive.atomic_write(path, write, overwrite=overwrite)


def _write_model_file(path, model, config, include_optimizer, overwrite, training=None,
                      previous=None):
    """The one writer of model files: ``model.save``'s and training backups'.

    ``metadata.json`` (with the ``training`` record when given), ``config.json``
    (when ``config`` is given), ``model.weights.npz`` and ``optimizer.npz``.
    """
    metadata = _metadata()
    if training is not None:
        metadata["training"] = training
    optimizer = training_state.optimizer_items(model) if include_optimizer else None

    def write(f):
        with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
            archive.write_json(zf, archive.METADATA_MEMBER, metadata)
            if config is not None:
                archive.write_json(zf, archive.CONFIG_MEMBER, config)
            with zf.open(archive.WEIGHTS_MEMBER, "w", force_zip64=True) as member:
                archive.write_npz(member, _weight_items(model), {"kind": "weights"})
            if optimizer is not None:
                with zf.open(archive.OPTIMIZER_MEMBER, "w", force_zip64=True) as member:
                    archive.write_npz(member, *optimizer)

    archive.atomic_write(path, write, overwrite=overwrite, previous=previous)


def save_backup(model, filepath, training, previous=None):
    """Writes a training backup of ``model`` as one file, atomically (``BackupAndRestore``).

    The file is ``model.save``'s format without ``config.json``: the same
    weights and optimizer-state members (the trainer's key included), and
    ``training`` in ``metadata.json``.

    Args:
        model: A compiled model.
        filepath: Target path.
        training: ``{"epoch", "batch", "shuffle"}``: epochs done, last batch
            (or None) and the state of ``fit``'s shuffling generator (or None).
        previous: Optional path where the backup being replaced is kept.

    Example:
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(1)])
        >>> model.compile(optimizer="adam", loss="mse")
        >>> save_backup(model, "run.backup", {"epoch": 2, "batch": None, "shuffle": None})
        >>> load_backup(model, "run.backup")["epoch"]
        2
    """
    path = _path(filepath, "save_backup")
    _write_model_file(path, model, None, True, True, training, previous)


def load_backup(model, filepath):
    """Restores a :func:`save_backup` file into ``model``; returns its ``training`` record.

    Restores the weights (by path, all of them), the optimizer state, the
    trainer's key and, inside a running ``fit``, its shuffling generator.

    Args:
        model: The compiled model the backup was written from (or its twin).
        filepath: The backup's path.

    Returns:
        The ``training`` record (see :func:`save_backup`).

    Raises:
        ArchiveError: The file is unreadable, truncated or corrupt, or its
            optimizer state does not fit the model's optimizer.
        WeightsMismatchError: The weights are those of another model.

    Example:
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> save_backup(model, "b.backup", {"epoch": 1, "batch": 4, "shuffle": None})
        >>> load_backup(model, "b.backup")["batch"]
        4
    """
    path = _path(filepath, "load_backup")
    source = repr(path)
    with archive.ZipReader(path) as z:
        metadata = z.read_json(archive.METADATA_MEMBER)
        _check_metadata(metadata, source)
        training = training_state.check_training(metadata.get("training"), source)
        with z.open_npz(archive.WEIGHTS_MEMBER) as npz:
            assign_weights(model, npz, source)
        if archive.OPTIMIZER_MEMBER in z.names:
            with z.open_npz(archive.OPTIMIZER_MEMBER) as npz:
                training_state.restore_optimizer(model, npz, source, skip_hint="")
    model.restore_training_state(shuffle=training["shuffle"])
    return training


# BackupAndRestore sits below saving: it writes and reads its backups through this hook.


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a model saved by ``model.save`` (or a Keras 3 ``.keras`` file).

    Args:
        filepath: Path of the ``.keras`` file.
        custom_objects: ``{name: class_or_function}`` for user classes that are
            not registered with :func:`register_serializable`.
        compile: Compile the model as it was when saved (and restore the
            optimizer state if the file holds one).
        safe_mode: Refuse to rebuild ``Lambda`` layers holding Python source
            (the default).  Only the caller can turn this off; no file can.

    Returns:
        The model, with its weights and state.

    Raises:
        SerializationError: An unknown class, a config that does not rebuild,
            weights that do not match; ``archive.ArchiveError`` (a subclass) for
            files that are truncated, corrupt or hostile; ``UnsafeLoadError``
            for Python code with ``safe_mode=True``.

    Example:
        >>> jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)]).save("m.keras")
        >>> model = jl.models.load_model("m.keras")
        >>> model.count_params()
        8
    """
    path = _path(filepath, "load_model")
    source = repr(path)
    if _is_h5(path):
        raise SerializationError(
            f"{source} is an HDF5 file: legacy Keras 2 '.h5' models are not supported. "
            "Re-save it with Keras 3 as '.keras', or load only its weights with "
            "model.load_weights(path) if it is a Keras 3 '.weights.h5' file."
        )
    with archive.ZipReader(path) as z, \
            serialization.CustomObjectScope(custom_objects or {}), \
            serialization.SafeModeScope(safe_mode):
        if archive.WEIGHTS_MEMBER not in z.names and archive.KERAS_WEIGHTS_MEMBER in z.names:
            return _load_keras_archive(z, source, compile=compile)
        _check_metadata(z.read_json(archive.METADATA_MEMBER), source)
        config = z.read_json(archive.CONFIG_MEMBER)
        model = model_from_config(config, source)
        with z.open_npz(archive.WEIGHTS_MEMBER) as npz:
            assign_weights(model, npz, source)
        compile_config = config.get("compile_config")
        if compile and isinstance(compile_config, dict):
            compiled = training_state.compile_from_config(model, compile_config, source)
            if compiled and archive.OPTIMIZER_MEMBER in z.names:
                with z.open_npz(archive.OPTIMIZER_MEMBER) as npz:
                    training_state.restore_optimizer(model, npz, source)
    return model


def _load_keras_archive(z, source, compile=True):
    """Loads a Keras 3 ``.keras`` file (an open :class:`archive.ZipReader`)."""
    keras_config = z.read_json(archive.CONFIG_MEMBER)
    config = keras_reader.translate_layer(keras_config, f"{source} config.json")
    model = model_from_config(config, source)
    with z.open_member(archive.KERAS_WEIGHTS_MEMBER) as stream:
        keras_h5.assign_h5(model, stream, source, config=config,
                           **z.nested_limits(archive.KERAS_WEIGHTS_MEMBER))
    compile_config = keras_config.get("compile_config")
    if compile and isinstance(compile_config, dict) and compile_config:
        compiled = training_state.compile_from_config(
            model, keras_reader.translate_compile_config(compile_config), source)
        if compiled:
            _restore_keras_optimizer(z, model, source)
    return model


def _restore_keras_optimizer(z, model, source):
    """The optimizer variables and ``fit``'s key of a Keras-layout ``.keras`` (if stored)."""
    with z.open_member(archive.KERAS_WEIGHTS_MEMBER) as stream:
        arrays = keras_h5.read_h5_optimizer(
            stream, source, **z.nested_limits(archive.KERAS_WEIGHTS_MEMBER))
    if arrays is not None:
        optimizer_layout.restore_keras_optimizer(model, arrays, source)
    elif archive.OPTIMIZER_MEMBER in z.names:
        with z.open_npz(archive.OPTIMIZER_MEMBER) as npz:
            training_state.restore_optimizer(model, npz, source)
    if FIT_STATE_MEMBER in z.names:
        with z.open_npz(FIT_STATE_MEMBER) as npz:
            shape, dtype = npz.header(FIT_KEY)
            if not dtype.startswith("prng_key:") or shape != archive.key_data_shape(dtype):
                raise archive.ArchiveError(
                    f"{source}: {FIT_STATE_MEMBER} holds no PRNG key ({FIT_KEY!r} is {dtype} "
                    f"of shape {shape}). The file is corrupt or was edited.")
            model.restore_training_state(key=archive.to_jax(npz.read(FIT_KEY), dtype, source))


def save_weights(model, filepath, overwrite=True):
    """Saves ``model``'s weights as Keras 3's ``.weights.h5`` or jaxlayers's ``.weights.npz``.

    ``.weights.h5`` is Keras's layout (``keras_model.load_weights`` reads it;
    needs h5py), with the optimizer variables of a compiled model as Keras
    writes them.  ``.npz`` is the data-only layout: one array per weight,
    named ``params/<path>`` and ``state/<path>`` (``params/dense/kernel``),
    readable with ``np.load(path, allow_pickle=False)``.

    Args:
        model: A ``Model`` instance.
        filepath: Path of the file.
        overwrite: Whether an existing file may be replaced.

    Raises:
        ConfigError: The name ends in neither ``.weights.h5`` nor ``.npz``.

    Example:
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)])
        >>> model.save_weights("m.weights.npz")
        >>> model.load_weights("m.weights.npz")
    """
    path = _path(filepath, "save_weights")
    if path.endswith(".weights.h5"):
        keras_writer.import_h5py("Saving '.weights.h5' files")
        optimizer = optimizer_layout.keras_optimizer_variables(model)
        archive.atomic_write(path, lambda f: keras_writer.write_h5(model, f, optimizer),
                             overwrite=overwrite)
        return
    if not path.endswith(".npz"):
        raise ConfigError(
            "save_weights: the file name must end in '.weights.h5' (Keras's layout) or "
            f"'.weights.npz' (data-only arrays). Received: filepath={path!r}."
        )
    archive.atomic_write(
        path, lambda f: archive.write_npz(f, _weight_items(model), {"kind": "weights"}),
        overwrite=overwrite)


def load_weights(model, filepath, skip_mismatch=False):
    """Loads weights into ``model`` by weight path, all or nothing.

    Reads ``.npz`` weight files (``save_weights``, ``save_params``), the weights
    of a ``.keras`` file written by jaxlayers or Keras 3, and Keras 3
    ``.weights.h5`` files.  A model whose structure differs raises a
    ``WeightsMismatchError`` naming the first mismatching weight path;
    ``skip_mismatch=True`` loads the matching weights and warns about the rest.

    Args:
        model: The built model to fill.
        filepath: Path of a ``.npz``, ``.keras`` or ``.weights.h5`` file.
        skip_mismatch: Load what matches and warn about the rest instead of
            raising.

    Raises:
        WeightsMismatchError: The file's weights do not fit the model.
        ArchiveError: The file is unreadable, truncated or corrupt.

    Example:
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2, name="d")])
        >>> model.save_weights("m.weights.h5")
        >>> wider = jl.Sequential([jl.Input((4,)), jl.layers.Dense(2, name="d")])
        >>> load_weights(wider, "m.weights.h5")
        Traceback (most recent call last):
        ...
        jaxlayers.saving.archive.WeightsMismatchError: 'm.weights.h5': the Keras weights ...
    """
    path = _path(filepath, "load_weights")
    source = repr(path)
    if _is_h5(path):
        keras_h5.load_h5_weights(model, path, source, skip_mismatch=skip_mismatch)
        return
    with archive.ZipReader(path) as z:
        if archive.WEIGHTS_MEMBER in z.names:
            with z.open_npz(archive.WEIGHTS_MEMBER) as npz:
                assign_weights(model, npz, source, skip_mismatch)
            return
        if archive.KERAS_WEIGHTS_MEMBER in z.names:
            with z.open_member(archive.KERAS_WEIGHTS_MEMBER) as stream:
                keras_h5.assign_h5(model, stream, source, skip_mismatch,
                                   **z.nested_limits(archive.KERAS_WEIGHTS_MEMBER))
            return
    with archive.NpzReader(path) as npz:
        assign_weights(model, npz, source, skip_mismatch)


def save_params(filepath, params, state=None, overwrite=True):
    """Saves pure-API trees (``params, state = layer.init(...)``) to one ``.npz``.

    Args:
        filepath: Path ending in ``.npz``.
        params: Nested dict of arrays.
        state: Optional nested dict of arrays (``None`` or ``{}`` for none).
        overwrite: Replace an existing file.

    Example:
        >>> model = jl.Sequential([jl.layers.Dense(2)])
        >>> params, state = model.init(jax.random.key(0), jnp.zeros((1, 3)))
        >>> jl.saving.save_params("ckpt.npz", params, state)
        >>> params, state = jl.saving.load_params("ckpt.npz")
        >>> sorted(jax.tree.map(jnp.shape, params)[model.layers[0].name].items())
        [('bias', (2,)), ('kernel', (3, 2))]
    """
    path = _check_suffix(filepath, ".npz", "save_params", "params.npz")
    items = _flatten_tree(params, "params", "params") + _flatten_tree(state, "state", "state")
    archive.atomic_write(path, lambda f: archive.write_npz(f, items, {"kind": "params"}),
                         overwrite=overwrite)


def load_params(filepath):
    """Reads ``(params, state)`` trees saved by :func:`save_params` (or any weights file).

    Returns nested dicts of NumPy arrays keyed by weight path (PRNG keys come
    back as JAX key arrays).  Also reads the weights of a ``.keras`` file
    written by jaxlayers.

    Args:
        filepath: Path of a ``.npz`` file (or a jaxlayers ``.keras``).

    Returns:
        ``(params, state)``.

    Example:
        >>> layer = jl.layers.Dense(2, name="d")
        >>> save_params("p.npz", *layer.init(jax.random.key(0), jnp.zeros((1, 3))))
        >>> params, state = load_params("p.npz")
        >>> jax.tree.map(np.shape, params), state
        ({'d': {'bias': (2,), 'kernel': (3, 2)}}, {})
    """
    path = _path(filepath, "load_params")
    with archive.ZipReader(path) as z:
        if archive.WEIGHTS_MEMBER in z.names:
            with z.open_npz(archive.WEIGHTS_MEMBER) as npz:
                return _read_trees(npz)
    with archive.NpzReader(path) as npz:
        return _read_trees(npz)


def _read_trees(npz):
    params, state = {}, {}
    for key in npz.keys():
        tree, name = params, key
        if key.startswith("params/"):
            name = key[len("params/"):]
        elif key.startswith("state/"):
            tree, name = state, key[len("state/"):]
        value = npz.read(key)
        dtype = npz.true_dtype(key)
        if dtype.startswith("prng_key:"):
            value = archive.to_jax(value, dtype, npz.source)
        node, parts = tree, name.split("/")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                node = None
                break
        if node is None or parts[-1] in node:
            raise archive.ArchiveError(
                f"{npz.source}: the array names clash ({key!r} is both an array and a "
                "folder of arrays)."
            )
        node[parts[-1]] = value
    return params, state


# Model.save / save_weights / load_weights, jl.models.load_model, model_from_json (for
# Keras's JSON) and BackupAndRestore sit below this package and reach these functions through hooks.
for _name, _fn in (("save_model", save_model), ("save_weights", save_weights),
                   ("load_weights", load_weights), ("load_model", load_model),
                   ("save_backup", save_backup), ("load_backup", load_backup),
                   ("translate_keras_config", keras_reader.translate_layer)):
    hooks.provide(f"saving.{_name}", _fn)
del _name, _fn

__all__ = ["save_model", "load_model", "save_weights", "load_weights", "save_params",
           "load_params", "save_backup", "load_backup", "model_config", "model_from_config",
           "assign_weights", "WeightsMismatchError"]
