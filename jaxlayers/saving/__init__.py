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
    custom_object_scope,
    deserialize_object,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    register_serializable,
    registered_category,
    serialize_object,
)
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


def serialize_keras_object(obj):
    """``{"module", "class_name", "config", "registered_name"}`` for a layer or other object."""
    category = registered_category(obj, "layers")
    return serialize_object(obj, f"jaxlayers.{category}")


def deserialize_keras_object(config, custom_objects=None, category="layers"):
    """Rebuilds an object from :func:`serialize_keras_object` output (registry names only)."""
    return deserialize_object(config, category, custom_objects)


__all__ = [
    "load_model", "save_model", "save_weights", "load_weights", "save_params", "load_params",
    "register_serializable", "register_keras_serializable", "custom_object_scope",
    "CustomObjectScope", "SafeModeScope", "get_registered_object", "get_registered_name",
    "serialize_keras_object", "deserialize_keras_object", "ArchiveError",
    "WeightsMismatchError",
]
