"""``clone_model``, ``model_from_json`` and the JSON form of a model (``Model.to_json``).

A clone has the architecture (and the compile settings) of its model with new
layers, hence new weights: Sequential and Functional models are rebuilt layer by
layer (``clone_function`` decides what each layer becomes), any other model
from its config.
"""

import json

import jax

from jaxlayers import hooks
from jaxlayers.core import graph, serialization
from jaxlayers.errors import ConfigError, ConfigTypeError, SerializationError
from jaxlayers.layers.core import Input
from jaxlayers.models.functional import Functional
from jaxlayers.models.model import Model
from jaxlayers.models.sequential import Sequential

_OWNER = "clone_model"


def _default_clone(layer):
    """A fresh layer of the same class and config (new, unbuilt weights)."""
    return type(layer).from_config(layer.get_config())


def _clone_functions(clone_function, call_function, recursive, cache):
    """``clone_function`` applied once per layer (shared layers stay shared in the clone).

    With ``recursive``, nested Sequential and Functional models are cloned layer by
    layer with the same functions instead of being handed to ``clone_function``.
    """
    if clone_function is None:
        clone_function = _default_clone
    elif not callable(clone_function):
        raise ConfigTypeError(
            f"{_OWNER}: `clone_function` must be a callable layer -> layer. "
            f"Received: clone_function={clone_function!r}."
        )

    def clone_layer(layer):
        if id(layer) not in cache:
            if recursive and isinstance(layer, (Sequential, Functional)):
                cache[id(layer)] = clone_model(
                    layer, clone_function=clone_function,
                    call_function=call_function if isinstance(layer, Functional) else None,
                    recursive=True, cache=cache)
            else:
                cache[id(layer)] = clone_function(layer)
        return cache[id(layer)]

    return clone_layer


def _compile_like(clone, model):
    if getattr(model, "compiled", False):
        clone.compile_from_config(model.get_compile_config())
    return clone


def _clone_sequential(model, clone_layer, input_tensors):
    layers = [clone_layer(layer) for layer in model.layers]
    source = model._input_layer
    name = source.name if source is not None else None
    optional = bool(getattr(source, "optional", False))
    if input_tensors is not None:
        if isinstance(input_tensors, (list, tuple)):
            if len(input_tensors) != 1:
                raise ConfigError(
                    f"{_OWNER}: a Sequential model takes a single input tensor. Received "
                    f"{len(input_tensors)} in `input_tensors`."
                )
            input_tensors = input_tensors[0]
        if not graph.is_symbolic(input_tensors):
            raise ConfigTypeError(
                f"{_OWNER}: `input_tensors` must be a symbolic tensor (jl.Input(...) or a "
                f"layer's output on one). Received: input_tensors={input_tensors!r}."
            )
        layers = [Input(tensor=input_tensors, name=name, optional=optional)] + layers
    elif source is not None:
        layers = [Input(batch_shape=source.batch_shape, dtype=source.output.dtype.name,
                        name=name, optional=optional)] + layers
    clone = Sequential(layers, name=model.name, trainable=model.trainable)
    if not clone.built and model.built and model._build_input_shape is not None:
        clone.build(model._build_input_shape)
    return clone


def _same_structure(input_tensors, model):
    treedef = jax.tree_util.tree_structure(input_tensors, is_leaf=graph.is_symbolic)
    expected = jax.tree_util.tree_structure(model._inputs_struct, is_leaf=graph.is_symbolic)
    if treedef != expected:
        raise ConfigError(
            f"{_OWNER}: `input_tensors` must have the structure of the model's inputs "
            f"{model._inputs_struct}. Received: {input_tensors}."
        )
    for tensor in jax.tree_util.tree_leaves(input_tensors, is_leaf=graph.is_symbolic):
        if not graph.is_symbolic(tensor):
            raise ConfigTypeError(
                f"{_OWNER}: every entry of `input_tensors` must be a symbolic tensor "
                f"(jl.Input(...)). Received: {tensor!r}."
            )


def _functional_class(model):
    """The model's own class when it is built as ``cls(inputs, outputs)``, else Functional."""
    cls = type(model)
    if cls is Functional or not issubclass(cls, Functional):
        return Functional
    return cls


def _clone_functional(model, clone_layer, input_tensors, call_function):
    if input_tensors is None:
        input_tensors = jax.tree_util.tree_map(
            lambda t: Input(batch_shape=t.shape, dtype=t.dtype.name, name=t.name,
                            optional=bool(getattr(t.input_layer, "optional", False))),
            model._inputs_struct, is_leaf=graph.is_symbolic)
    else:
        _same_structure(input_tensors, model)
    values = {id(old): new for old, new in zip(
        model._input_tensors,
        jax.tree_util.tree_leaves(input_tensors, is_leaf=graph.is_symbolic))}

    def resolve(x):
        return values[id(x)] if graph.is_symbolic(x) else x

    for node in model._nodes:
        args = jax.tree_util.tree_map(resolve, node.args, is_leaf=graph.is_symbolic)
        kwargs = jax.tree_util.tree_map(resolve, node.kwargs, is_leaf=graph.is_symbolic)
        layer = clone_layer(node.layer)
        if call_function is None:
            outputs = layer(*args, **kwargs)
        else:
            outputs = call_function(layer, *args, **kwargs)
        leaves = [t for t in jax.tree_util.tree_leaves(outputs, is_leaf=graph.is_symbolic)
                  if graph.is_symbolic(t)]
        if len(leaves) != len(node.output_tensors):
            raise ConfigError(
                f"{_OWNER}: the clone of layer '{node.layer.name}' returned {len(leaves)} "
                f"output tensor(s) where the model's layer returned "
                f"{len(node.output_tensors)}."
            )
        values.update(zip(map(id, node.output_tensors), leaves))
    outputs = jax.tree_util.tree_map(lambda t: values[id(t)], model._outputs_struct,
                                     is_leaf=graph.is_symbolic)
    return _functional_class(model)(input_tensors, outputs, name=model.name,
                                    trainable=model.trainable)


def clone_model(model, input_tensors=None, clone_function=None, call_function=None,
                recursive=False, **kwargs):
    """A new model with the architecture of ``model`` and new weights, as Keras's.

    Sequential and Functional models are rebuilt layer by layer; any other model
    from ``model.get_config()``.  A compiled model's clone is compiled the same
    way.  Weights are never copied: use ``clone.set_weights(model.get_weights())``.

    Args:
        model: The model to clone.
        input_tensors: Symbolic tensors (``jl.Input``) to build the clone on, in
            the structure of the model's inputs; new ``Input``s by default.
        clone_function: ``fn(layer) -> layer`` applied to every layer (not the
            inputs); default: a new layer from ``layer.get_config()``.  Return
            the layer itself to share it (and its weights) with the model.
        call_function: Functional models only: ``fn(layer, *args, **kwargs)``
            calls each cloned layer on its inputs, e.g. to insert a layer after it.
        recursive: Clone the layers of nested Sequential and Functional models
            with ``clone_function`` instead of passing the nested model to it.

    Raises:
        ConfigError: ``input_tensors``, ``clone_function`` or ``call_function`` for a
            model that is neither Sequential nor Functional, ``call_function`` for a
            Sequential model, or an unknown keyword argument.

    Example:
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2, activation="relu")])
        >>> def no_relu(layer):
        ...     config = layer.get_config()
        ...     config["activation"] = "linear"
        ...     return type(layer).from_config(config)
        >>> clone = jl.models.clone_model(model, clone_function=no_relu)
        >>> clone.layers[0].get_config()["activation"]
        'linear'
    """
    cache = kwargs.pop("cache", None)
    if kwargs:
        raise ConfigError(f"{_OWNER}: unexpected keyword argument(s) {sorted(kwargs)}.")
    cache = {} if cache is None else cache
    if not isinstance(model, Model):
        raise ConfigTypeError(
            f"{_OWNER}: `model` must be a jaxlayers Model (Sequential, Functional or a "
            f"subclass). Received: {type(model).__name__}."
        )
    if isinstance(model, Sequential):
        if call_function is not None:
            raise ConfigError(
                f"{_OWNER}: `call_function` works with Functional models only; a Sequential "
                f"model's layers are listed, not called. Received model '{model.name}' with "
                f"call_function={call_function!r}."
            )
        clone_layer = _clone_functions(clone_function, None, recursive, cache)
        return _compile_like(_clone_sequential(model, clone_layer, input_tensors), model)
    if isinstance(model, Functional):
        clone_layer = _clone_functions(clone_function, call_function, recursive, cache)
        return _compile_like(_clone_functional(model, clone_layer, input_tensors,
                                               call_function), model)
    if clone_function is not None or input_tensors is not None or call_function is not None:
        raise ConfigError(
            f"{_OWNER}: `clone_function`, `input_tensors` and `call_function` work with "
            f"Sequential and Functional models only. Received a {type(model).__name__}; "
            "it is cloned from its config without them."
        )
    config = serialization.serialize_object(model, "jaxlayers.models")
    clone = serialization.deserialize_object(
        config, "layers", custom_objects={type(model).__name__: type(model)}, printable="model")
    build_config = model.get_build_config()
    if build_config is not None and not clone.built:
        clone.build_from_config(build_config)
    return _compile_like(clone, model)


# ----------------------------------------------------------------------------- JSON
def model_from_json(json_string, custom_objects=None):
    """A model (new weights) from the JSON text of ``model.to_json()``.

    Only class names known to jaxlayers, registered, or in ``custom_objects``
    are used; nothing in the text selects code to import.  A model that was
    compiled when written is compiled again from its compile config.

    Args:
        json_string: The text of ``model.to_json()``.
        custom_objects: ``{name: class or function}`` for user classes.

    Example:
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)])
        >>> twin = jl.models.model_from_json(model.to_json())
        >>> twin.get_config() == model.get_config()
        True
    """
    try:
        config = json.loads(json_string)
    except (TypeError, ValueError) as error:
        raise SerializationError(
            f"model_from_json: `json_string` must be the JSON text of model.to_json() "
            f"({error})."
        ) from None
    if not isinstance(config, dict) or "class_name" not in config:
        raise SerializationError(
            "model_from_json: the JSON does not describe a model (no 'class_name')."
        )
    if str(config.get("module", "")).split(".")[0] == "keras":  # written by Keras itself
        translate = hooks.get("saving.translate_keras_config", "jaxlayers.saving",
                              "model_from_json")
        config = translate(config, "model_from_json")
    model = serialization.deserialize_object(config, "layers", custom_objects,
                                             printable="model")
    build = config.get("build_config")
    if build is not None and not model.built:
        model.build_from_config(build)
    if config.get("compile_config") is not None:
        model.compile_from_config(config["compile_config"])
    return model


__all__ = ["clone_model", "model_from_json"]
