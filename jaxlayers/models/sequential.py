"""``Sequential``: a linear stack of layers, each fed the previous one's output and mask."""

import jax
import numpy as np

from jaxlayers.core import dtype_policy as dtype_policy_lib
from jaxlayers.core import graph, serialization, tracking
from jaxlayers.core.config import jsonable
from jaxlayers.core.layer import Layer
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError, ConfigTypeError, DataError
from jaxlayers.layers.core import InputLayer
from jaxlayers.models.model import Model


@register_builtin("layers")
class Sequential(Model):
    """A stack of layers: ``Sequential([Dense(64, activation='relu'), Dense(10)])``.

    The input shape comes from a leading ``jl.Input(shape)``, from
    ``input_shape=`` on the first layer, from ``build(input_shape)``, or from
    the first data it sees (``model(x)``, ``fit``, ``init``).

    Args:
        layers: A list of layers.
        trainable: Whether the weights are trained.
        name: Optional name of the instance.
        **kwargs: Base arguments (``name``, ``dtype``, ...), as for every instance of its
            kind.

    Example:
        >>> model = jl.Sequential([jl.layers.Dense(4, name="hidden"),
        ...                        jl.layers.Dense(2, name="out")])
        >>> params, state = model.init(jax.random.key(0), jnp.zeros((1, 3)))
        >>> sorted(params)
        ['hidden', 'out']
    """

    builds_own_graph = True

    def __init__(self, layers=None, trainable=True, name=None, **kwargs):
        super().__init__(trainable=trainable, name=name, **kwargs)
        self._layers = []
        self._input_layer = None
        self._build_input_shape = None
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._maybe_build_from_input()

    # ------------------------------------------------------------------ editing
    def add(self, layer, rebuild=True):
        """Appends a layer (or a ``jl.Input`` tensor / InputLayer as the first element)."""
        if graph.is_symbolic(layer) and getattr(layer, "input_layer", None) is not None:
            layer = layer.input_layer
        if isinstance(layer, InputLayer):
            if self._layers or self._input_layer is not None:
                raise ConfigError(
                    f"Sequential '{self.name}': an Input can only be the first element. "
                    f"Received: {layer.name!r} after {len(self._layers)} layer(s)."
                )
            self._input_layer = layer
            self._maybe_build_from_input()
            return
        if not isinstance(layer, Layer):
            raise ConfigTypeError(
                f"Sequential '{self.name}': only Layer instances can be added. "
                f"Received: {layer!r} of type {type(layer).__name__}."
            )
        if any(existing.name == layer.name for existing in self._layers):
            raise ConfigError(
                f"Sequential '{self.name}': all layers must have unique names; "
                f"'{layer.name}' is already in the model."
            )
        # Assigned (not appended) so that attribute tracking adopts the new layer.
        self._layers = self._layers + [layer]
        self.built = False
        self._output_specs = None
        if rebuild:
            self._maybe_build_from_input()

    def pop(self, rebuild=True):
        """Removes and returns the last layer."""
        if not self._layers:
            raise ConfigError(f"Sequential '{self.name}': there is no layer to pop.")
        layer = self._layers.pop()
        tracking.bump()
        self.built = False
        self._output_specs = None
        if rebuild:
            self._maybe_build_from_input()
        return layer

    @property
    def layers(self):
        return list(self._layers)

    def _known_input_shape(self):
        if self._input_layer is not None:
            return self._input_layer.batch_shape, self._input_layer.output.dtype
        if self._layers and self._layers[0].declared_input_shape is not None:
            first = self._layers[0]
            return (first.declared_input_shape,
                    first.declared_input_dtype or first.compute_dtype)
        return None, None

    def _maybe_build_from_input(self):
        shape, dtype = self._known_input_shape()
        if shape is not None and self._layers:
            self.build(shape, dtype=dtype)

    # ------------------------------------------------------------------ build / call
    def build(self, input_shape=None, dtype=None):
        if input_shape is None:
            input_shape, dtype = self._known_input_shape()
            if input_shape is None:
                raise ConfigError(
                    f"Sequential '{self.name}': build needs an input shape, e.g. "
                    "model.build((None, 784)), or an Input as first layer."
                )
        if input_shape and isinstance(input_shape[0], (list, tuple)):
            spec = [graph.SymbolicTensor(tuple(s), dtype or self.compute_dtype)
                    for s in input_shape]
        else:
            spec = graph.SymbolicTensor(tuple(input_shape), dtype or self.compute_dtype)
        self._build_input_spec = spec
        specs = []
        for layer in self._layers:
            spec = graph.compute_output_spec(layer, (spec,), {})
            specs.append(spec)
        self._layer_output_specs = specs
        self._output_specs = specs[-1] if specs else spec
        self._build_input_shape = tuple(input_shape)
        self.built = True
        tracking.bump()

    def get_build_config(self):
        if self._build_input_shape is None:
            return None
        return {"input_shape": {"pos": [jsonable(self._build_input_shape)], "named": {}}}

    def build_from_inputs(self, args, kwargs):
        # Built from data: the batch size of the first batch is not part of the model.
        if not self.built:
            first = args[0]
            if isinstance(first, (list, tuple)) and all(hasattr(a, "shape") for a in first):
                if any(getattr(a, "dtype", None) is not None and a.dtype.kind in "OUSV"
                       for a in first if isinstance(a, np.ndarray)):
                    self.built = True  # host (string) inputs: layers build on first call
                    return
                self.build([(None,) + tuple(a.shape[1:]) for a in first],
                           dtype=getattr(first[0], "dtype", None))
                return
            shape = tuple(first.shape) if hasattr(first, "shape") else None
            if shape is None:
                return super().build_from_inputs(args, kwargs)
            if isinstance(first, np.ndarray) and first.dtype.kind in "OUSV":
                self.built = True
                return
            self.build((None,) + shape[1:], dtype=getattr(first, "dtype", None))

    def call(self, inputs, training=None, mask=None):
        x = inputs
        if self._input_layer is not None:
            x = jax.tree_util.tree_map(
                lambda a: a.astype(self._input_layer.output.dtype)
                if hasattr(a, "astype") else a, x)
        for layer in self._layers:
            x, mask = layer.call_with_mask(x, training=training, mask=mask)
        self.set_output_mask(mask)
        return x

    # ------------------------------------------------------------------ training
    def declared_input_dtypes(self):
        if self._input_layer is None:
            return None
        return [np.dtype(self._input_layer.output.dtype)]

    def check_input_data(self, x_sample):
        spec = getattr(self, "_build_input_spec", None)
        leaves = jax.tree_util.tree_leaves(x_sample)
        if spec is None or len(leaves) != 1:
            return
        got = tuple(np.shape(leaves[0]))[1:]
        want = spec.shape[1:]
        if len(got) != len(want) or any(w is not None and w != g for w, g in zip(want, got)):
            raise DataError(
                f"{type(self).__name__} '{self.name}': the data does not match the "
                f"model's input. Expected samples of shape {want}. Received: "
                f"samples of shape {got}."
            )

    def _summary_layers(self):
        specs = getattr(self, "_layer_output_specs", None) or [None] * len(self._layers)
        return list(zip(self.layers, specs)), None

    # ------------------------------------------------------------------ config
    def get_config(self):
        layer_configs = []
        if self._input_layer is not None:
            layer_configs.append(serialization.serialize_object(self._input_layer,
                                                                "jaxlayers.layers"))
        for layer in self._layers:
            entry = serialization.serialize_object(layer, "jaxlayers.layers")
            build = layer.get_build_config()
            if build is not None:
                entry["build_config"] = build
            layer_configs.append(entry)
        config = {"name": self.name, "trainable": self.trainable,
                  "dtype": dtype_policy_lib.serialize(self.dtype_policy), "layers": layer_configs}
        if self._build_input_shape is not None and self._input_layer is None:
            config["build_input_shape"] = list(self._build_input_shape)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        # Keras writes the model's policy but ignores it on load; restoring it keeps
        # compile's automatic loss scaling for a model saved under mixed_float16.
        model = cls(name=config.get("name"), trainable=config.get("trainable", True),
                    dtype=config.get("dtype"))
        for entry in config["layers"]:
            layer = serialization.deserialize_object(entry, "layers", custom_objects,
                                                     printable="layer")
            model.add(layer, rebuild=False)
        model._maybe_build_from_input()
        if not model.built and config.get("build_input_shape") is not None:
            model.build(tuple(config["build_input_shape"]))
        return model


__all__ = ["Sequential"]
