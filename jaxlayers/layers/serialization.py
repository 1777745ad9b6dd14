"""``jl.layers.serialize`` / ``deserialize``: a layer to and from its config dict.

Class names resolve through the registry of built-in layers, classes registered
with ``jl.saving.register_serializable`` and ``custom_objects``; no module path
named in a config is ever imported.
"""

from jaxlayers.layers._sublayers import deserialize_layer, serialize_layer

__all__ = ["serialize", "deserialize"]


def serialize(layer):
    """``{"module", "class_name", "config", "registered_name"}`` describing ``layer``.

    Args:
        layer: A ``Layer`` instance.

    Example:
        >>> config = jl.layers.serialize(jl.layers.Dense(3, name="d"))
        >>> config["class_name"], config["config"]["units"]
        ('Dense', 3)
    """
    return serialize_layer(layer)


def deserialize(config, custom_objects=None):
    """A new (unbuilt) layer from a :func:`serialize` dict.

    A ``keras.layers.serialize`` dict works too when its config keys are ones
    the jaxlayers layer takes; Keras-only keys such as ``quantization_config``
    are translated when a whole Keras file is loaded (``jl.saving.load_model``).

    Args:
        config: The dict :func:`serialize` returned.
        custom_objects: ``{name: class}`` for user layers not registered by name.

    Example:
        >>> layer = jl.layers.deserialize(jl.layers.serialize(jl.layers.Dense(3)))
        >>> type(layer).__name__, layer.units
        ('Dense', 3)
    """
    return deserialize_layer(config, custom_objects)
