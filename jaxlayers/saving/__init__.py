"""Saving and loading models, weights and params; the registry of serializable classes.

Example:
    >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)])
    >>> model.save("m.keras")
    >>> model = jl.saving.load_model("m.keras")
    >>> jl.saving.save_params("ckpt.npz", model.params, model.state)
    >>> params, state = jl.saving.load_params("ckpt.npz")
    >>> jax.tree.map(jnp.shape, params) == jax.tree.map(jnp.shape, model.params)
    True
"""

from jaxlayers.core.serialization import (
    CustomObjectScope,
    SafeModeScope,
    builtins,
    custom_object_scope,
    deserialize_object,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    register_serializable,
    registered_category,
    serialize_object,
)
from jaxlayers.errors import SerializationError
from jaxlayers.saving.api import (
    WeightsMismatchError,
    load_model,
    load_params,
    load_weights,
    save_model,
    save_params,
    save_weights,
)
from jaxlayers.saving.archive import ArchiveError
from jaxlayers.saving.file_editor import KerasFileEditor

# The registries a config's ``module`` can point at ("keras.initializers",
# "jaxlayers.losses"...): read as data to pick a registry, never imported.
_CATEGORIES = ("layers", "initializers", "regularizers", "constraints", "activations", "losses",
               "metrics", "optimizers")
_FUNCTION_CATEGORIES = ("activations", "losses", "metrics")


def _category_of(module):
    for part in reversed(str(module or "").split(".")):
        if part in _CATEGORIES:
            return part
    return None


def serialize_keras_object(obj):
    """A JSON-friendly description of ``obj``, as ``keras.saving.serialize_keras_object``.

    Objects become ``{"module", "class_name", "config", "registered_name"}``;
    functions ``{"class_name": "function", "config": name, ...}``; lists,
    tuples and dicts are serialized item by item; plain values are kept.

    Args:
        obj: A serializable object (layer, loss, metric, function, ...).

    Example:
        >>> serialize_keras_object(jl.activations.relu)["config"]
        'relu'
    """
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, (list, tuple)):
        return type(obj)(serialize_keras_object(item) for item in obj)
    if isinstance(obj, dict):
        return {key: serialize_keras_object(value) for key, value in obj.items()}
    if callable(obj) and not isinstance(obj, type) and not hasattr(obj, "get_config"):
        registered = get_registered_name(obj)
        category = registered_category(obj)
        return {"module": f"jaxlayers.{category}" if category else "builtins",
                "class_name": "function", "config": registered,
                "registered_name": registered if ">" in registered else "function"}
    category = registered_category(obj, "layers")
    return serialize_object(obj, f"jaxlayers.{category}")


def _deserialize_function(config, custom_objects):
    name = config.get("config")
    registered = config.get("registered_name")
    for key in (registered, name):
        found = get_registered_object(key, custom_objects) if isinstance(key, str) else None
        if found is not None:
            return found
    category = _category_of(config.get("module"))
    for cat in (category,) if category else _FUNCTION_CATEGORIES:
        found = builtins(cat).get(name) if isinstance(name, str) else None
        if found is not None:
            return found
    raise SerializationError(
        f"Unknown function {name!r} (module {config.get('module')!r}). Functions are looked up "
        "by name among jaxlayers' activations, losses and metrics, custom_objects and "
        "registered objects; no module is ever imported from a config."
    )


def deserialize_keras_object(config, custom_objects=None, safe_mode=None, category=None):
    """Rebuilds what :func:`serialize_keras_object` describes (registry names only).

    Args:
        config: A description from :func:`serialize_keras_object` (jaxlayers'
            or Keras's), a list/dict of them, or a plain value.
        custom_objects: ``{name: class or function}`` for user objects.
        safe_mode: ``False`` allows configs that carry Python code (``Lambda``);
            default: the current setting (safe, unless inside ``SafeModeScope(False)``).
        category: Registry to look names up in; default: the one the config's
            ``module`` names (``"keras.initializers"`` -> initializers), else layers.

    Returns:
        The rebuilt object (or structure of objects).

    Example:
        >>> config = serialize_keras_object(jl.layers.Dense(2))
        >>> deserialize_keras_object(config).units
        2
    """
    if isinstance(config, (list, tuple)):
        return [deserialize_keras_object(item, custom_objects, safe_mode, category)
                for item in config]
    if isinstance(config, dict) and "class_name" not in config:
        return {key: deserialize_keras_object(value, custom_objects, safe_mode, category)
                for key, value in config.items()}
    if not isinstance(config, dict):
        if isinstance(config, str) and category is None:
            return get_registered_object(config, custom_objects) or config
        return config if category is None or config is None else deserialize_object(
            config, category, custom_objects)
    if config["class_name"] == "function":
        return _deserialize_function(config, custom_objects)
    category = category or _category_of(config.get("module")) or "layers"
    if safe_mode is None:
        return deserialize_object(config, category, custom_objects)
    with SafeModeScope(safe_mode):
        return deserialize_object(config, category, custom_objects)


__all__ = [
    "load_model", "save_model", "save_weights", "load_weights", "save_params", "load_params",
    "register_serializable", "register_keras_serializable", "custom_object_scope",
    "CustomObjectScope", "SafeModeScope", "get_custom_objects", "get_registered_object",
    "get_registered_name", "serialize_keras_object", "deserialize_keras_object", "ArchiveError",
    "WeightsMismatchError", "KerasFileEditor",
]
