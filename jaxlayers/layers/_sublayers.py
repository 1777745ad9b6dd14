"""Config of layers that hold other layers (wrappers, RNN cells): one home for both ways."""

from jaxlayers.core import serialization


def serialize_layer(layer):
    """``{"class_name", "config", ...}`` of a nested layer, as Keras writes it."""
    return serialization.serialize_object(layer, "jaxlayers.layers")


def deserialize_layer(config, custom_objects=None):
    """The layer a :func:`serialize_layer` config describes (registered classes only)."""
    return serialization.deserialize_object(config, "layers", custom_objects, "layer")


def from_layer_config(cls, config, custom_objects=None):
    """``cls(layer, **rest)`` from a config holding one nested layer under ``"layer"``."""
    config = dict(config)
    layer = deserialize_layer(config.pop("layer"), custom_objects)
    return cls(layer, **config)


__all__ = ["serialize_layer", "deserialize_layer", "from_layer_config"]
