"""Writing Keras 3 files: the ``config.json`` schema and the ``.weights.h5`` layout.

The inverse of :mod:`jaxlayers.saving.keras_reader`.  jaxlayers configs
already carry Keras's class names and arguments; writing one for Keras renames
the envelope (``jaxlayers.layers`` -> ``keras.layers``, tensor references ->
``__keras_tensor__`` records, build shapes -> Keras's ``input_shape``).

The HDF5 layout: every layer is a group holding ``vars/0..n`` (its own
weights, trainable-declared first) and one sub-group per sublayer, named after
the attribute holding it (``lstm/cell``, ``bidirectional/forward_layer``);
models hold their layers under ``layers/<snake class name>`` made unique in
order (``dense``, ``dense_1``); the optimizer's variables go to
``optimizer/vars``.  Each ``vars`` group records the object's name in its
``name`` attribute, as Keras does.  h5py is imported only when writing.
"""

import numpy as np

from jaxlayers.core import tracking
from jaxlayers.distribution import multihost
from jaxlayers.errors import SerializationError
from jaxlayers.saving import keras_layout, keras_reader

# jaxlayers modules whose registry matches a Keras public module of the same name.
_PUBLIC = ("layers", "initializers", "regularizers", "constraints", "activations", "losses",
           "metrics", "optimizers")
# Config keys of jaxlayers layers that Keras 3 layers do not take, with their value
# when unused (dropped then; any other value cannot be written for Keras).
_JAXLAYERS_ONLY = {
    "BatchNormalization": {"axis_name": None},
    "LayerNormalization": {"rms_scaling": False},
    "SpatialDropout1D": {"data_format": "channels_last"},
}
_MODEL_MODULES = {"Functional": ("keras.src.models.functional", "Functional"),
                  "Sequential": ("keras", None), "Model": ("keras.src.models.model", "Model")}
_COMPILE_KEYS = ("optimizer", "loss", "loss_weights", "metrics", "weighted_metrics",
                 "run_eagerly", "steps_per_execution")
_OPS = {op: class_name for class_name, op in keras_reader.KERAS_OPS.items()
        if class_name != "Divide"}


def import_h5py(what):
    """h5py, or an ImportError saying ``what`` needs it and how to get it.

    Args:
        what: What needs h5py, for the message.

    Returns:
        The ``h5py`` module.

    Example:
        >>> import_h5py("Writing .weights.h5 files").__name__
        'h5py'
    """
    try:
        import h5py
    except ImportError as e:
        raise ImportError(f"{what} needs the optional dependency h5py: pip install h5py "
                          "(or pip install jaxlayers[h5]).") from e
    return h5py


# ----------------------------------------------------------------------------- config
def _module(module, class_name):
    if class_name in _MODEL_MODULES and str(module or "").startswith("jaxlayers"):
        return _MODEL_MODULES[class_name][0]
    if module == "jaxlayers":
        return "keras"
    # A registry package's last part names Keras's public module, wherever it
    # sits in jaxlayers ('jaxlayers.training.losses' -> 'keras.losses').
    parts = str(module or "").split(".")
    if parts[0] == "jaxlayers" and parts[-1] in _PUBLIC:
        return f"keras.{parts[-1]}"
    return module


def _tensor(history, specs):
    """A Keras tensor record; Keras needs a shape there but rewires it by ``keras_history``."""
    shape, dtype = specs.get(tuple(history), ([], "float32"))
    return {"class_name": "__keras_tensor__",
            "config": {"shape": shape, "dtype": dtype, "keras_history": history}}


def tensor_specs(model):
    """``{(layer name, 0, i): (shape, dtype)}`` of the graph outputs of ``model``'s layers.

    Args:
        model: A graph model.

    Returns:
        The dict Keras's ``build_config`` of nested graphs needs.

    Example:
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)])
        >>> tensor_specs(model)
        {('input_layer', 0, 0): ([None, 3], 'float32')}
    """
    specs = {}
    for layer in tracking.flatten(model):
        try:
            output = layer.output
        except (AttributeError, ValueError, TypeError, RuntimeError):
            continue
        tensors = [t for t in _leaves(output) if hasattr(t, "shape") and hasattr(t, "dtype")]
        for i, t in enumerate(tensors):
            specs[(layer.name, 0, i)] = (list(t.shape), str(np.dtype(t.dtype).name))
    return specs


def _leaves(value):
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in _leaves(v)]
    if isinstance(value, dict):
        return [x for v in value.values() for x in _leaves(v)]
    return [value]


def _convert(value, specs):
    if isinstance(value, dict) and set(value) == {"__tensor__"}:
        return _tensor(value["__tensor__"], specs)
    if isinstance(value, dict) and isinstance(value.get("class_name"), str) and (
            "module" in value or "config" in value):
        return _object(value, specs)
    if isinstance(value, dict):
        return {k: _convert(v, specs) for k, v in value.items()}
    if isinstance(value, (list, tuple)):  # configs may hold tuples before JSON makes lists
        return [_convert(v, specs) for v in value]
    return value


def _build_config(build):
    """jaxlayers's ``{"input_shape": {"pos", "named"}}`` as Keras's, when Keras has one."""
    shapes = (build or {}).get("input_shape")
    if not isinstance(shapes, dict):
        return build
    pos, named = shapes.get("pos") or [], shapes.get("named") or {}
    if len(pos) == 1 and not named:
        return {"input_shape": pos[0]}
    if not pos and not named:
        return {"input_shape": None}
    return None  # several inputs: Keras builds such layers when the graph is called


def _io(value):
    if isinstance(value, dict) and set(value) == {"__tensor__"}:
        return value["__tensor__"]
    if isinstance(value, dict):
        return {k: _io(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_io(v) for v in value]
    return value


def _op_entry(entry, specs):
    """A jaxlayers ``SymbolicOp`` (``x + y`` in a graph) as Keras's recorded operation."""
    config = entry.get("config") or {}
    class_name = _OPS.get(config.get("op_name"))
    if class_name is None or config.get("reverse") or config.get("index") is not None:
        raise SerializationError(
            f"The graph operation {config.get('op_name')!r} ({entry.get('name')!r}) has no "
            "Keras file form; wrap it in a layer to save the model for Keras.")
    name = entry.get("name")
    return {"module": "keras.src.ops.numpy", "class_name": class_name,
            "config": {"name": name}, "registered_name": class_name, "name": name,
            "inbound_nodes": _convert(entry.get("inbound_nodes", []), specs)}


def _keras_keys(class_name, module, config):
    """``config`` without the jaxlayers-only keys of a built-in layer that hold their default."""
    extra = _JAXLAYERS_ONLY.get(class_name) if module == "jaxlayers.layers" else None
    if not extra or not isinstance(config, dict):
        return config
    for key, default in extra.items():
        if key in config and config[key] not in (default, None):
            raise SerializationError(
                f"{class_name} '{config.get('name')}': {key}={config[key]!r} is a jaxlayers "
                "option Keras 3 does not have, so this model cannot be saved for Keras.")
    return {k: v for k, v in config.items() if k not in extra}


def _object(obj, specs):
    class_name = obj["class_name"]
    out = {"module": _module(obj.get("module"), class_name), "class_name": class_name}
    config = obj.get("config")
    if isinstance(config, dict) and class_name in _MODEL_MODULES and "layers" in config:
        config = dict(config)
        layers = []
        for entry in config["layers"]:
            layers.append(_op_entry(entry, specs) if entry.get("class_name") == "SymbolicOp"
                          else _object(entry, specs))
        config = {k: _convert(v, specs) for k, v in config.items() if k != "layers"}
        config["layers"] = layers
        for key in ("input_layers", "output_layers"):
            if key in obj["config"]:
                config[key] = _io(obj["config"][key])
        registered = _MODEL_MODULES[class_name][1]
    else:
        config = _convert(_keras_keys(class_name, obj.get("module"), config), specs)
        registered = obj.get("registered_name")
    out["config"] = config
    out["registered_name"] = registered
    if "build_config" in obj:
        build = _build_config(obj["build_config"])
        if build is not None:
            out["build_config"] = build
    for key in ("name", "inbound_nodes"):
        if key in obj:
            out[key] = _convert(obj[key], specs)
    if "compile_config" in obj and obj["compile_config"] is not None:
        out["compile_config"] = compile_config(obj["compile_config"])
    return out


def compile_config(config):
    """jaxlayers's ``compile_config`` in Keras's schema (keys Keras's ``compile`` takes).

    Args:
        config: ``model.get_compile_config()``.

    Returns:
        A new dict (configs in Keras's envelopes, ``jit_compile`` added).

    Example:
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> config = compile_config(model.get_compile_config())
        >>> config["optimizer"]["module"], config["jit_compile"]
        ('keras.optimizers', True)
    """
    out = {k: _convert(config.get(k), {}) for k in _COMPILE_KEYS}
    out["jit_compile"] = True
    return out


def model_config(config, specs=None):
    """A jaxlayers model config (``api.model_config``) in Keras's ``config.json`` schema.

    Args:
        config: The jaxlayers config.
        specs: :func:`tensor_specs` of the model (the shapes Keras's tensor
            records carry); default: none known.

    Example:
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)])
        >>> model_config(jl.saving.api.model_config(model))["module"]
        'keras'
    """
    return _object(config, specs or {})


# ----------------------------------------------------------------------------- weights
def _write_vars(h5file, path, name, arrays):
    group = h5file.create_group(f"{path}/vars" if path else "vars")
    group.attrs["name"] = name
    for i, value in enumerate(arrays):
        array = multihost.to_host_array(value)
        if array.dtype.name == "bfloat16":  # opaque 2-byte data, marked, as Keras stores it
            dataset = group.create_dataset(str(i), data=array)
            dataset.attrs["dtype"] = "bfloat16"
        else:
            group[str(i)] = array


def write_h5(model, fileobj, optimizer=None):
    """Writes ``model``'s weights (and optimizer variables) as a Keras ``.weights.h5``.

    Args:
        model: A built model.
        fileobj: A writable, seekable binary file object.
        optimizer: ``(name, [arrays])`` of the optimizer variables in Keras's
            order, or ``None``.

    Example:
        >>> import io
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)])
        >>> buffer = io.BytesIO()
        >>> write_h5(model, buffer)
        >>> buffer.getvalue()[:4]
        b'\x89HDF'
    """
    h5py = import_h5py("Writing Keras '.h5' weights")
    with h5py.File(fileobj, "w") as h5file:
        for path, name, variables in keras_layout.layer_groups(model):
            _write_vars(h5file, path, name, (v.materialize() for v in variables))
        if optimizer is not None:
            _write_vars(h5file, "optimizer", optimizer[0], optimizer[1])


__all__ = ["model_config", "compile_config", "tensor_specs", "write_h5", "import_h5py"]
