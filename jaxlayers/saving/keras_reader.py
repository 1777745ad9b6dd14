"""Reading Keras 3 ``.keras`` archives: their model and compile configs.

A Keras 3 ``.keras`` file is a zip of ``metadata.json``, ``config.json`` and
``model.weights.h5``.  jaxlayers layers use Keras's class names and config
keys, so reading one is mostly a translation of the config's envelope:

* module paths (``"keras.layers"``) are ignored; only class names (and
  ``registered_name`` for custom classes) are looked up, in jaxlayers's
  registry and the caller's ``custom_objects``; nothing is ever imported;
* Keras config keys jaxlayers does not have are dropped when they hold their
  "off" value (``quantization_config=None``, ``synchronized=False``, ...) and
  are an error naming the key otherwise;
* Functional graphs: ``__keras_tensor__`` references become jaxlayers tensor
  references; the recorded ``training`` argument of each call is dropped, as
  Keras itself overrides it with the outer call's;
* a Keras ``Lambda`` stores marshalled bytecode, which is never loaded.

The weights (``model.weights.h5``, and ``.weights.h5`` files) are read by
:mod:`jaxlayers.saving.keras_h5`.
"""

import inspect

from jaxlayers.core import serialization
from jaxlayers.core.layer import Layer
from jaxlayers.errors import SerializationError, UnsafeLoadError
from jaxlayers.saving.keras_layout import MODEL_CLASSES

# Operations recorded in Keras Functional graphs (``x + y`` on KerasTensors).
KERAS_OPS = {"Add": "add", "Subtract": "subtract", "Multiply": "multiply",
              "TrueDivide": "divide", "Divide": "divide", "Matmul": "matmul",
              "Negative": "negative", "GetItem": "get_item"}
_BASE_ACCEPTED = {"activity_regularizer", "trainable", "dtype", "autocast", "name",
                  "input_shape", "input_dim", "batch_size", "batch_input_shape", "weights",
                  "input_dtype"}


# ----------------------------------------------------------------------------- config
def _strip(value):
    """Drops Keras's ``shared_object_id`` bookkeeping everywhere in a config."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k != "shared_object_id"}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _lookup(class_name, registered_name, categories):
    for name in (registered_name, class_name):
        if isinstance(name, str):
            found = serialization.get_registered_object(name)
            if found is not None:
                return found
    for category in categories:
        found = serialization.builtins(category).get(class_name)
        if found is not None:
            return found
    return None


def _accepted_args(cls):
    """Constructor argument names of ``cls`` (``None``: it takes any keyword)."""
    names = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        if klass is Layer:
            return names | _BASE_ACCEPTED
        params = inspect.signature(init).parameters.values()
        names |= {p.name for p in params
                  if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
        if not any(p.kind == p.VAR_KEYWORD for p in params):
            return names
    return None


def _is_off(value):
    return value is None or value is False or value == {} or value == [] or value == ""


def _fit_config(cls, config, where):
    """Drops Keras-only keys holding their "off" value; errors on the others."""
    accepted = _accepted_args(cls)
    if accepted is None or all(k in accepted for k in config):
        return config
    if isinstance(cls, type) and issubclass(cls, Layer):
        # Arguments a layer takes through **kwargs show up in its own get_config().
        try:
            trial = cls.from_config({k: v for k, v in config.items() if k in accepted})
            accepted = accepted | set(trial.get_config())
        except Exception:  # noqa: BLE001 - then only the signature's names are known
            pass
    out = {}
    for key, value in config.items():
        if key in accepted:
            out[key] = value
        elif not _is_off(value):
            raise SerializationError(
                f"{where}: the Keras option {key}={value!r} of {cls.__name__} is not "
                "supported by jaxlayers."
            )
    if cls.__name__ == "BatchNormalization" and not config.get("renorm"):
        for key in ("renorm_momentum", "renorm_clipping"):
            if key not in accepted:
                out.pop(key, None)
    return out


def _translate_object(obj, where):
    """A nested serialized object (initializer, regularizer, sublayer, ...)."""
    class_name = obj.get("class_name")
    if class_name == "__lambda__":
        raise UnsafeLoadError(
            f"{where}: this Keras file stores a Python lambda as marshalled bytecode. "
            "jaxlayers never loads bytecode, even with safe_mode=False. Define the function "
            "in code, register it with jl.saving.register_serializable, and rebuild the "
            "layer."
        )
    if class_name == "function" and isinstance(obj.get("config"), str):
        return {"class_name": "function", "config": {"registered_name": obj["config"]}}
    config = obj.get("config")
    registered = obj.get("registered_name")
    if class_name in MODEL_CLASSES or _lookup(class_name, registered, ("layers",)) is not None:
        return translate_layer(obj, where)
    cls = _lookup(class_name, registered,
                  ("initializers", "regularizers", "constraints", "activations"))
    out = {"class_name": class_name, "registered_name": registered}
    module = obj.get("module")
    if isinstance(module, str) and module.split(".")[0] != "keras":
        # A user object's module names it for custom_objects ("pkg.mod.Block"); it is
        # only matched against the names given, never imported.
        out["module"] = module
    if isinstance(config, dict):
        config = {k: _translate_value(v, where) for k, v in config.items()}
        if inspect.isclass(cls):
            config = _fit_config(cls, config, where)
    out["config"] = config
    return out


def _translate_value(value, where):
    if isinstance(value, dict) and "class_name" in value and "config" in value:
        return _translate_object(value, where)
    if isinstance(value, dict):
        return {k: _translate_value(v, where) for k, v in value.items()}
    if isinstance(value, list):
        return [_translate_value(v, where) for v in value]
    return value


def _is_history(value):
    return (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)
            and all(isinstance(v, int) for v in value[1:]))


def _tensors(value):
    """Keras ``__keras_tensor__`` records become jaxlayers ``{"__tensor__": ...}`` refs."""
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        history = value.get("config", {}).get("keras_history")
        if not _is_history(history):
            raise SerializationError(f"Unreadable Keras tensor record {value!r}.")
        return {"__tensor__": history}
    if isinstance(value, dict):
        return {k: _tensors(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_tensors(v) for v in value]
    return value


def _io_tensors(value):
    if _is_history(value):
        return {"__tensor__": value}
    if isinstance(value, dict):
        return {k: _io_tensors(v) for k, v in value.items()}
    if isinstance(value, list):
        out = [_io_tensors(v) for v in value]
        return out[0] if len(out) == 1 else out
    raise SerializationError(f"Unreadable Keras model inputs/outputs record {value!r}.")


def _node(node, where):
    if not isinstance(node, dict) or "args" not in node:
        raise SerializationError(
            f"{where}: unreadable call record {str(node)[:120]}; only Keras 3 files are read."
        )
    kwargs = {k: v for k, v in (node.get("kwargs") or {}).items()
              if k != "training" and not (k == "mask" and v is None)}
    return {"args": _tensors(node["args"]), "kwargs": _tensors(kwargs)}


def _index(key):
    """A Keras ``GetItem`` key as jaxlayers's ``SymbolicOp`` index encoding."""
    if isinstance(key, list):
        return {"tuple": [_index(k) for k in key]}
    if isinstance(key, dict) and key.get("class_name") == "__slice__":
        c = key.get("config", {})
        return {"slice": [c.get("start"), c.get("stop"), c.get("step")]}
    if isinstance(key, dict) and key.get("class_name") == "__ellipsis__":
        return "..."
    if key is None:
        return {"newaxis": True}
    if isinstance(key, int) and not isinstance(key, bool):
        return key
    raise SerializationError(f"Unsupported index {key!r} in a Keras GetItem operation.")


def _keras_op(entry, where):
    """A Keras ``ops`` call recorded in a Functional graph, as a jaxlayers ``SymbolicOp``."""
    class_name = entry.get("class_name")
    op = KERAS_OPS.get(class_name)
    if op is None:
        raise SerializationError(
            f"{where}: the Keras operation {class_name!r} recorded in the Functional graph has "
            f"no jaxlayers equivalent (supported: {sorted(KERAS_OPS)}). Wrap it in a layer."
        )
    name = entry.get("name", (entry.get("config") or {}).get("name"))
    nodes = [_node(n, where) for n in entry.get("inbound_nodes", [])]
    index = None
    if op == "get_item":
        if len(nodes) != 1 or len(nodes[0]["args"]) != 2:
            raise SerializationError(f"{where}: unreadable Keras GetItem call.")
        index = _index(nodes[0]["args"][1])
        nodes[0]["args"] = nodes[0]["args"][:1]
    return {"class_name": "SymbolicOp", "registered_name": None, "name": name,
            "config": {"name": name, "op_name": op, "reverse": False, "index": index},
            "inbound_nodes": nodes}


def _model_config(class_name, config, where):
    layers = []
    for entry in config.get("layers", []):
        if not isinstance(entry, dict):
            raise SerializationError(f"{where}: unreadable layer entry {str(entry)[:120]}.")
        layer_where = f"{where} > layer {entry.get('config', {}).get('name')!r}"
        if class_name != "Sequential" and str(entry.get("module", "")).startswith(
                "keras.src.ops"):
            layers.append(_keras_op(_strip(entry), layer_where))
            continue
        out = translate_layer(entry, layer_where)
        if class_name != "Sequential":
            out["name"] = entry.get("name", (entry.get("config") or {}).get("name"))
            out["inbound_nodes"] = [_node(n, layer_where) for n in entry.get("inbound_nodes",
                                                                               [])]
        layers.append(out)
    result = {"name": config.get("name"), "trainable": config.get("trainable", True),
              "layers": layers}
    if class_name == "Sequential":
        if config.get("build_input_shape") is not None:
            result["build_input_shape"] = config["build_input_shape"]
        if config.get("dtype") is not None:
            result["dtype"] = config["dtype"]
    else:
        result["input_layers"] = _io_tensors(config["input_layers"])
        result["output_layers"] = _io_tensors(config["output_layers"])
    return result


def translate_layer(obj, where="config.json"):
    """A Keras serialized layer or model as the jaxlayers equivalent (a new dict).

    Args:
        obj, where: A Keras ``{"class_name", "config", ...}`` dict, and its file for messages.

    Example:
        >>> translate_layer({"class_name": "Dense", "config": {"units": 2}})["config"]
        {'units': 2}
    """
    if not isinstance(obj, dict) or not isinstance(obj.get("class_name"), str):
        raise SerializationError(f"{where}: expected a serialized layer, got {str(obj)[:120]}.")
    obj = _strip(obj)
    class_name = obj["class_name"]
    registered = obj.get("registered_name")
    config = obj.get("config") or {}
    if class_name == "Model" and "layers" in config:
        class_name = "Functional"
    if class_name in MODEL_CLASSES and "layers" in config:
        out_config = _model_config(class_name, config, where)
    else:
        cls = _lookup(class_name, registered, ("layers",))
        if cls is None:
            known = sorted(serialization.builtins("layers"))
            raise SerializationError(
                f"{where}: the Keras layer class {class_name!r} (registered name "
                f"{registered!r}) has no jaxlayers equivalent. Known layers: {known}. For a "
                "custom layer, pass custom_objects={...} or register it with "
                "jl.saving.register_serializable."
            )
        out_config = {k: _translate_value(v, where) for k, v in config.items()}
        out_config = _fit_config(cls, out_config, where) if inspect.isclass(cls) else out_config
    out = {"class_name": class_name, "config": out_config, "registered_name": registered}
    build = obj.get("build_config")
    if isinstance(build, dict) and class_name not in MODEL_CLASSES:
        shape = build.get("input_shape")
        out["build_config"] = {"input_shape": {"pos": [shape] if shape is not None else [],
                                               "named": {}}}
    return out


def translate_compile_config(config):
    """Keras's ``compile_config`` with its envelopes stripped (names and configs kept).

    Args:
        config: The ``compile_config`` of a Keras ``config.json``.

    Example:
        >>> translate_compile_config({"loss": {"module": "keras.losses", "class_name": "MSE"}})
        {'loss': {'class_name': 'MSE', 'config': {}, 'registered_name': None}}
    """
    config = _strip(config or {})

    def clean(value):
        if isinstance(value, dict) and "class_name" in value:
            return {"class_name": value["class_name"], "config": value.get("config") or {},
                    "registered_name": value.get("registered_name")}
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    return {k: clean(v) for k, v in config.items()}


__all__ = ["KERAS_OPS", "translate_layer", "translate_compile_config"]
