"""``Wrapper``: the base of layers that hold and augment one other layer.

``TimeDistributed`` and ``SpectralNormalization`` derive from it (as in Keras):
the wrapped layer is checked once here, serialized under ``"layer"`` in the
config and rebuilt from it by ``from_config``.
"""

from jaxlayers.core import args as _args
from jaxlayers.core.layer import Layer
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigTypeError
from jaxlayers.layers._sublayers import from_layer_config, serialize_layer

__all__ = ["Wrapper"]


@register_builtin("layers")
class Wrapper(Layer):
    """Abstract base of wrapper layers: ``self.layer`` is the wrapped layer.

    Subclasses write ``call``; the default ``build`` builds the wrapped layer
    from the same input shape.

    Args:
        layer: The wrapped ``Layer`` instance.

    Example:
        >>> class Twice(jl.layers.Wrapper):
        ...     def call(self, x):
        ...         return 2 * self.layer(x)
        >>> layer = Twice(jl.layers.Dense(3))
        >>> params, state = layer.init(jax.random.key(0), jnp.zeros((2, 4)))
        >>> layer.apply(params, state, jnp.ones((2, 4)))[0].shape
        (2, 3)
    """

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(layer, Layer):
            raise ConfigTypeError(
                f"{_args.owner(self)}: `layer` must be a Layer instance, e.g. "
                f"{type(self).__name__}(jl.layers.Dense(8)). Received: layer={layer!r}."
            )
        self.layer = layer

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer.build(input_shape)

    def get_config(self):
        config = super().get_config()
        config["layer"] = serialize_layer(self.layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return from_layer_config(cls, config, custom_objects)
