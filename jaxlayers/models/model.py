"""``Model``: a Layer that is a namespace root and can be trained.

``jl.Model(inputs, outputs)`` builds a Functional model; subclassing
``jl.Model`` with layers as attributes and a ``call`` gives a subclassed one.
Both share the pure ``init``/``apply`` pair of every Layer; a model's params
tree is keyed by its layers' names (the model's own name is not part of the
paths, so renaming a model never invalidates its checkpoints).
"""

from jaxlayers.core import scope as scope_lib
from jaxlayers.core import symbolic
from jaxlayers.core.layer import Layer
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError
from jaxlayers.models import summary as summary_lib
from jaxlayers.training.trainer import Trainer


def _looks_functional(args, kwargs):
    if "inputs" in kwargs or "outputs" in kwargs:
        return True
    return len(args) >= 2 or (len(args) == 1 and symbolic.any_symbolic(args, {}))


@register_builtin("layers")
class Model(Trainer, Layer):
    """A trainable group of layers: ``compile``, ``fit``, ``evaluate``, ``predict``, ``summary``.

    Either ``jl.Model(inputs, outputs)`` (Functional) or a subclass defining
    ``call(inputs, training=None)``.

    Example:
        >>> inputs = jl.Input(shape=(3,))
        >>> outputs = jl.layers.Dense(2)(inputs)
        >>> model = jl.Model(inputs, outputs)
        >>> model.output_shape
        (None, 2)
    """

    _is_namespace_root = True

    def __new__(cls, *args, **kwargs):
        if cls is Model and _looks_functional(args, kwargs):
            from jaxlayers.models.functional import Functional

            return Functional.__new__(Functional, *args, **kwargs)
        return super().__new__(cls, *args, **kwargs)

    def __init__(self, *args, **kwargs):
        trainable = kwargs.pop("trainable", True)
        name = kwargs.pop("name", None)
        dtype = kwargs.pop("dtype", None)
        Layer.__init__(self, trainable=trainable, name=name, dtype=dtype, **kwargs)
        Trainer.__init__(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if cls is Model and "input_layers" in config and "layers" in config:
            from jaxlayers.models.functional import Functional

            return Functional.from_config(config, custom_objects=custom_objects)
        return super().from_config(config)

    # ------------------------------------------------------------------ layers
    def get_layer(self, name=None, index=None):
        """A layer of this model by ``name`` or by ``index`` in ``model.layers``."""
        if (name is None) == (index is None):
            raise ConfigError(
                f"{type(self).__name__} '{self.name}': get_layer needs exactly one of "
                f"`name` or `index`. Received: name={name!r}, index={index!r}."
            )
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ConfigError(
                    f"{type(self).__name__} '{self.name}': get_layer index {index} is out "
                    f"of range; the model has {len(layers)} layers."
                )
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ConfigError(
            f"{type(self).__name__} '{self.name}' has no layer named {name!r}. Layers: "
            f"{[layer.name for layer in layers]}."
        )

    def compute_mask(self, inputs, mask=None):
        scope = scope_lib.current()
        if scope is not None and id(self) in getattr(scope, "output_masks", {}):
            return scope.output_masks[id(self)]
        return None

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None, return_string=False):
        """Prints the Keras table of layers, output shapes and parameter counts.

        Returns the text as well when ``return_string=True``.
        """
        text = summary_lib.summary_text(self, line_length=line_length,
                                        expand_nested=expand_nested,
                                        show_trainable=show_trainable)
        (print_fn or print)(text)
        return text if return_string else None

    # ------------------------------------------------------------------ saving
    def save(self, filepath, overwrite=True, include_optimizer=True):
        """Saves architecture, weights, state and compile config to a data-only ``.keras`` zip."""
        from jaxlayers.saving import api

        return api.save_model(self, filepath, overwrite=overwrite,
                              include_optimizer=include_optimizer)

    def save_weights(self, filepath, overwrite=True):
        """Saves the weights (params and state) keyed by weight path."""
        from jaxlayers.saving import api

        return api.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False):
        """Loads weights saved by ``save_weights`` or ``save`` (checked by weight path)."""
        from jaxlayers.saving import api

        return api.load_weights(self, filepath, skip_mismatch=skip_mismatch)

    @property
    def output_shape(self):
        out = getattr(self, "_output_specs", None)
        if out is None:
            raise AttributeError(
                f"{type(self).__name__} '{self.name}' has no known output shape yet: build "
                "it with an input shape or call it on data first."
            )
        import jax

        shapes = jax.tree_util.tree_map(lambda t: t.shape, out,
                                        is_leaf=symbolic.is_symbolic)
        return shapes



def set_output_mask(model, mask):
    scope = scope_lib.current()
    if scope is None:
        return
    if not hasattr(scope, "output_masks"):
        scope.output_masks = {}
    scope.output_masks[id(model)] = mask


__all__ = ["Model"]
