"""``Model``: a Layer that is a namespace root and can be trained.

``jl.Model(inputs, outputs)`` builds a Functional model; subclassing
``jl.Model`` with layers as attributes and a ``call`` gives a subclassed one.
Both share the pure ``init``/``apply`` pair of every Layer; a model's params
tree is keyed by its layers' names (the model's own name is not part of the
paths, so renaming a model never invalidates its checkpoints).
"""

import json
import os
from typing import Any

import jax

from jaxlayers import hooks
from jaxlayers.core import graph, serialization
from jaxlayers.core.layer import Layer
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError
from jaxlayers.models import summary as summary_lib
from jaxlayers.training.trainer import Trainer


def _looks_functional(args, kwargs):
    if "inputs" in kwargs or "outputs" in kwargs:
        return True
    return len(args) >= 2 or (len(args) == 1 and graph.any_symbolic(args, {}))


def _subclass_looks_functional(cls, args, kwargs):
    """``CustomModel(inputs, outputs)``: Keras's stricter reading for subclasses, whose
    own ``__init__`` may take other arguments (one positional argument is never it)."""
    if cls.builds_own_graph:
        return False
    return (len(args) >= 2 and graph.any_symbolic(args[:2], {})) or (
        "outputs" in kwargs and (len(args) == 1 or "inputs" in kwargs))


def _functional_class(needed_by):
    # Model(inputs, outputs) makes a Functional model; functional.py subclasses Model, so
    # it provides its class as a hook when imported (the models package always does).
    return hooks.get("models.Functional", "jaxlayers.models", needed_by)


def _functional_variant(cls, functional):
    """``cls`` with ``functional`` behind it in the MRO: ``CustomModel(inputs, outputs)``.

    As in Keras, a ``Model`` subclass constructed Functional-style is a Functional
    model that keeps the subclass's methods (a custom ``train_step``, extra
    metrics made in ``__init__``).  The subclass itself is left untouched (Keras
    rewrites its bases); the variant is made once per subclass and carries its
    name, so messages and saved configs name ``CustomModel``.
    """
    variant = cls.__dict__.get("_jl_functional_variant")
    if variant is None:
        variant = type(cls.__name__, (cls, functional),
                       {"__module__": cls.__module__, "__qualname__": cls.__qualname__,
                        "__doc__": cls.__doc__})
        type.__setattr__(cls, "_jl_functional_variant", variant)
    return variant


def _saving(name, model, method):
    """The ``jaxlayers.saving`` function ``name``: saving sits above models."""
    return hooks.get(f"saving.{name}", "jaxlayers.saving",
                     f"{type(model).__name__} '{model.name}'.{method}")


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

    is_namespace_root = True
    # A subclass that makes its own graph from its arguments (Sequential) is never
    # turned into a Functional model by CustomModel(inputs, outputs)-like arguments.
    builds_own_graph = False

    def __new__(cls, *args, **kwargs):
        if cls is Model and _looks_functional(args, kwargs):
            functional = _functional_class("Model(inputs, outputs)")
            return functional.__new__(functional, *args, **kwargs)
        if cls is not Model and _subclass_looks_functional(cls, args, kwargs):
            functional = _functional_class("Model(inputs, outputs)")
            if not issubclass(cls, functional):
                variant = _functional_variant(cls, functional)
                return variant.__new__(variant, *args, **kwargs)
        return super().__new__(cls, *args, **kwargs)

    def __init__(self, *args, **kwargs):
        trainable = kwargs.pop("trainable", True)
        name = kwargs.pop("name", None)
        dtype = kwargs.pop("dtype", None)
        Layer.__init__(self, trainable=trainable, name=name, dtype=dtype, **kwargs)
        Trainer.__init__(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if "input_layers" in config and "layers" in config:
            functional = _functional_class("Model.from_config")
            if cls is Model:
                return functional.from_config(config, custom_objects=custom_objects)
            # A subclass saved Functional-style is rebuilt the same way, then called as
            # CustomModel(inputs, outputs, name=...) so it keeps its own methods.
            return functional.from_config.__func__(cls, config,
                                                   custom_objects=custom_objects)
        return super().from_config(config)

    # ------------------------------------------------------------------ layers
    def get_layer(self, name: str | None = None, index: int | None = None) -> Any:
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

    def _summary_layers(self):
        """``(pairs, connections)`` for ``summary``: ``[(layer, output spec)]``, and for a
        graph the names each layer is connected to (``None`` without a graph)."""
        return [(layer, None) for layer in self.layers], None

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None, return_string=False):
        """Prints the Keras table of layers, output shapes and parameter counts.

        Returns the text as well when ``return_string=True``. Under a
        distribution (``set_distribution`` or ``dist.scope()``), a "Weight
        layouts" section follows: per weight, its path, shape, the mesh axes
        splitting each dimension (or ``replicated``) and the ``LayoutMap`` rule.
        """
        text = summary_lib.summary_text(self, line_length=line_length,
                                        expand_nested=expand_nested,
                                        show_trainable=show_trainable)
        (print_fn or print)(text)
        return text if return_string else None

    # ------------------------------------------------------------------ saving
    def save(self, filepath: str | os.PathLike, overwrite: bool = True,
             include_optimizer: bool = True) -> None:
        """Saves architecture, weights, state and compile config to a data-only ``.keras`` zip."""
        return _saving("save_model", self, "save")(self, filepath, overwrite=overwrite,
                                                   include_optimizer=include_optimizer)

    def save_weights(self, filepath: str | os.PathLike, overwrite: bool = True) -> None:
        """Saves the weights (params and state) keyed by weight path."""
        return _saving("save_weights", self, "save_weights")(self, filepath,
                                                             overwrite=overwrite)

    def load_weights(self, filepath: str | os.PathLike, skip_mismatch: bool = False) -> None:
        """Loads weights saved by ``save_weights`` or ``save`` (checked by weight path)."""
        return _saving("load_weights", self, "load_weights")(self, filepath,
                                                             skip_mismatch=skip_mismatch)

    def to_json(self, **kwargs) -> str:
        """The model's description as JSON text; ``jl.models.model_from_json`` reads it.

        It holds ``module``, ``class_name``, ``config``, ``registered_name`` and,
        when known, ``build_config`` and ``compile_config`` (no weights).

        Args:
            **kwargs: Passed to ``json.dumps`` (``indent=2``...).
        """
        config = serialization.serialize_object(self, "jaxlayers.models")
        build = self.get_build_config()
        if build is not None:
            config["build_config"] = build
        compile_config = self.get_compile_config()
        if compile_config is not None:
            config["compile_config"] = compile_config
        return json.dumps(config, **kwargs)

    @property
    def output_shape(self):
        out = getattr(self, "_output_specs", None)
        if out is None:
            raise AttributeError(
                f"{type(self).__name__} '{self.name}' has no known output shape yet: build "
                "it with an input shape or call it on data first."
            )
        return jax.tree_util.tree_map(lambda t: t.shape, out, is_leaf=graph.is_symbolic)


__all__ = ["Model"]
