"""Functional models: a graph of layer calls recorded on ``jl.Input`` tensors.

The graph is walked once at construction into a topologically ordered list of
nodes.  ``call`` replays it: each node's layer runs on the values (and masks)
of its input tensors, and masks travel along the edges with the values.
"""

import jax
import jax.numpy as jnp
import numpy as np

from jaxlayers import hooks
from jaxlayers.core import graph, serialization, tracking
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError, DataError, ShapeError
from jaxlayers.layers.core import InputLayer
from jaxlayers.models.model import Model


def _flatten_tensors(struct):
    return [t for t in jax.tree_util.tree_leaves(struct, is_leaf=graph.is_symbolic)
            if graph.is_symbolic(t)]


def _topological_nodes(outputs, inputs, owner):
    """Nodes producing ``outputs`` from ``inputs``, dependencies first."""
    input_ids = {id(t) for t in inputs}
    order, state = [], {}

    def visit_tensor(t, path):
        if id(t) in input_ids:
            return
        node = t.node
        if node is None:
            source = getattr(t, "input_layer", None)
            raise ConfigError(
                f"Functional model '{owner}': graph disconnected. Cannot obtain a value for "
                f"tensor {t} (from input layer '{source.name if source else t.name}'), "
                f"which is not among the model's inputs {[i.name for i in inputs]}. "
                f"Pass every jl.Input the outputs depend on in `inputs`."
            )
        if state.get(node.id) == "done":
            return
        if state.get(node.id) == "visiting":
            raise ConfigError(f"Functional model '{owner}': the graph has a cycle.")
        state[node.id] = "visiting"
        for parent in node.input_tensors:
            visit_tensor(parent, path)
        state[node.id] = "done"
        order.append(node)

    for t in outputs:
        visit_tensor(t, ())
    return order


def _keras_layer_order(nodes, outputs, inputs):
    """The layers of ``nodes`` in Keras's order: farthest from the outputs first.

    Keras lists a Functional model's layers (and so its weights and
    ``get_weights()``) by decreasing depth, the number of calls between a
    layer and the outputs, ties broken by the order a depth-first walk from the
    outputs first meets them. Matching it lets Keras's weight lists and its
    order-matched weight files fit models with branches (a ResNet's shortcut
    comes after its longer main path).
    """
    input_ids = {id(t) for t in inputs}
    first_seen, visited = {}, set()
    stack = list(reversed(outputs))
    while stack:  # pre-order, iteratively: deep graphs must not exhaust the recursion limit
        t = stack.pop()
        node = t.node
        if id(t) in input_ids or node is None or node.id in visited:
            continue
        visited.add(node.id)
        first_seen.setdefault(id(node.layer), len(first_seen))
        stack.extend(reversed(node.input_tensors))
    node_depth, layer_depth = {}, {}
    for node in reversed(nodes):
        depth = max(node_depth.get(node.id, 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = node_depth[node.id] = depth
        for t in node.input_tensors:
            if id(t) not in input_ids and t.node is not None:
                node_depth[t.node.id] = max(depth + 1, node_depth.get(t.node.id, 0))
    layers = list({id(n.layer): n.layer for n in nodes}.values())
    return sorted(layers, key=lambda lay: (-layer_depth[id(lay)], first_seen[id(lay)]))


@register_builtin("layers")
class Functional(Model):
    """A model defined by calling layers on ``jl.Input`` tensors.

    Args:
        inputs: A ``jl.Input`` tensor, or a list or dict of them.
        outputs: A tensor, or a list or dict of tensors, computed from ``inputs``.
        name: Model name.

    Example:
        >>> a, b = jl.Input(shape=(3,), name="a"), jl.Input(shape=(2,), name="b")
        >>> merged = jl.layers.Dense(4)(a) + jl.layers.Dense(4)(b)
        >>> model = jl.Model({"a": a, "b": b}, merged)
        >>> model.output_shape
        (None, 4)
    """

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self._input_tensors = _flatten_tensors(inputs)
        self._output_tensors = _flatten_tensors(outputs)
        if not self._input_tensors:
            raise ConfigError(
                f"Functional model '{self.name}': `inputs` must hold jl.Input tensors. "
                f"Received: inputs={inputs!r}."
            )
        for t in self._input_tensors:
            if getattr(t, "input_layer", None) is None:
                raise ConfigError(
                    f"Functional model '{self.name}': every input must come straight from "
                    f"jl.Input(...). Received: {t}, produced by layer "
                    f"'{t.node.layer.name if t.node else '?'}'."
                )
        if not self._output_tensors:
            raise ConfigError(
                f"Functional model '{self.name}': `outputs` must hold tensors computed "
                f"from the inputs. Received: outputs={outputs!r}."
            )
        self._nodes = _topological_nodes(self._output_tensors, self._input_tensors, self.name)
        self._input_layers = [t.input_layer for t in self._input_tensors]
        layers = _keras_layer_order(self._nodes, self._output_tensors, self._input_tensors)
        names = {}
        for layer in self._input_layers + layers:
            if layer.name in names and names[layer.name] is not layer:
                raise ConfigError(
                    f"Functional model '{self.name}': the name '{layer.name}' is used by two "
                    "different layers. All layer names in a model must be unique; pass "
                    "distinct name= arguments."
                )
            names[layer.name] = layer
        # Every operation of the graph, array ops included: the config, the
        # summary and the plot show them all; ``layers`` leaves the ops out.
        self._graph_layers = layers
        self._output_specs = outputs
        self.built = True
        tracking.bump()

    @property
    def layers(self):
        """The model's layers, inputs first, in Keras's order; as in Keras, not the array
        operations recorded on its tensors (``a + b``), which ``operations`` adds."""
        return list(self._input_layers) + [
            layer for layer in self._graph_layers if not graph.is_op_layer(layer)]

    @property
    def operations(self):
        """Every operation of the graph in Keras's order: input layers, layers and the
        array operations recorded on symbolic tensors (``jl.ops.add(a, b)``, ``x[:, 0]``)."""
        return list(self._input_layers) + list(self._graph_layers)

    @property
    def inputs(self):
        return list(self._input_tensors)

    @property
    def input(self):
        """The ``inputs`` the model was built with, in their structure (one tensor, a list,
        a dict), as Keras's ``model.input``."""
        return self._inputs_struct

    @property
    def output(self):
        """The ``outputs`` the model was built with, in their structure, as Keras's
        ``model.output``."""
        return self._outputs_struct

    @property
    def outputs(self):
        """The output tensors in the model's output order: as JAX flattens ``outputs``
        (dict keys sorted), the order fit pairs with targets, losses and metrics."""
        return list(self._output_tensors)

    @property
    def input_shape(self):
        shapes = [t.shape for t in self._input_tensors]
        return shapes[0] if len(shapes) == 1 else shapes

    def tracked_sublayers(self):
        # Input layers hold no weights: only the graph's layers make the params tree.
        return list(self._graph_layers)

    def get_build_config(self):
        return {"input_shape": {"pos": [], "named": {}}}

    # ------------------------------------------------------------------ running
    def _flat_inputs(self, inputs):
        tensors = self._input_tensors
        if isinstance(inputs, dict):
            if isinstance(self._inputs_struct, dict):
                missing = [k for k in self._inputs_struct if k not in inputs]
                if missing:
                    raise DataError(
                        f"Functional model '{self.name}' expects inputs named "
                        f"{list(self._inputs_struct)}. Missing: {missing}. Received keys: "
                        f"{list(inputs)}."
                    )
                leaves = jax.tree_util.tree_leaves(
                    {k: inputs[k] for k in self._inputs_struct})
                order = jax.tree_util.tree_leaves(self._inputs_struct,
                                                  is_leaf=graph.is_symbolic)
                by_id = {id(t): v for t, v in zip(order, leaves)}
                return [by_id[id(t)] for t in tensors]
            names = [t.name for t in tensors]
            missing = [n for n in names if n not in inputs]
            if missing:
                raise DataError(
                    f"Functional model '{self.name}' expects inputs named {names}. "
                    f"Missing: {missing}. Received keys: {list(inputs)}."
                )
            return [inputs[n] for n in names]
        flat = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(flat) != len(tensors):
            raise DataError(
                f"Functional model '{self.name}' expects {len(tensors)} input(s) "
                f"({[t.name for t in tensors]}). Received: {len(flat)} input(s)."
            )
        return flat

    def _check_input(self, tensor, value):
        shape = tuple(np.shape(value))
        expected = tensor.shape
        if expected:  # as Keras: an Input's batch_size is not enforced on the data
            expected = (None,) + tuple(expected[1:])
        if len(shape) != len(expected) or any(
                e is not None and e != s for e, s in zip(expected, shape)):
            raise ShapeError(
                f"Functional model '{self.name}': input '{tensor.name}' expects shape "
                f"{expected} (None = any size). Received: shape {shape}."
            )

    def call(self, inputs, training=None, mask=None):
        values, masks = {}, {}
        flat = self._flat_inputs(inputs)
        flat_masks = (list(mask) if isinstance(mask, (list, tuple)) else [mask]
                      if mask is not None else [None] * len(flat))
        for tensor, value, m in zip(self._input_tensors, flat, flat_masks):
            self._check_input(tensor, value)
            if hasattr(value, "dtype") and value.dtype != tensor.dtype and (
                    jnp.issubdtype(value.dtype, jnp.number) or value.dtype == bool):
                value = jnp.asarray(value).astype(tensor.dtype)
            values[id(tensor)] = value
            masks[id(tensor)] = m
        for node in self._nodes:
            def resolve(x):
                return values[id(x)] if graph.is_symbolic(x) else x

            args = jax.tree_util.tree_map(resolve, node.args, is_leaf=graph.is_symbolic)
            kwargs = jax.tree_util.tree_map(resolve, node.kwargs,
                                            is_leaf=graph.is_symbolic)
            kwargs = dict(kwargs)
            node_training = kwargs.pop("training", None)
            node_mask = kwargs.pop("mask", None)
            if node_mask is None:
                in_masks = [masks.get(id(t)) for t in _flatten_tensors(node.args)]
                if any(m is not None for m in in_masks):
                    node_mask = in_masks[0] if len(in_masks) == 1 else in_masks
            out, out_mask = node.layer.call_with_mask(
                *args, training=training if node_training is None else node_training,
                mask=node_mask, **kwargs)
            out_leaves = jax.tree_util.tree_leaves(out)
            out_tensors = node.output_tensors
            if len(out_leaves) != len(out_tensors):
                raise ShapeError(
                    f"Functional model '{self.name}': layer '{node.layer.name}' returned "
                    f"{len(out_leaves)} outputs at call time but {len(out_tensors)} when the "
                    "model was built."
                )
            if isinstance(out_mask, (list, tuple)):
                mask_leaves = list(out_mask)[:len(out_tensors)]
                mask_leaves += [None] * (len(out_tensors) - len(mask_leaves))
            else:
                mask_leaves = [out_mask] * len(out_tensors)
            for t, v, m in zip(out_tensors, out_leaves, mask_leaves):
                values[id(t)] = v
                masks[id(t)] = m
        outputs = jax.tree_util.tree_map(lambda t: values[id(t)], self._outputs_struct,
                                         is_leaf=graph.is_symbolic)
        out_masks = [masks.get(id(t)) for t in self._output_tensors]
        self.set_output_mask(out_masks[0] if len(out_masks) == 1 else out_masks)
        return outputs

    # ------------------------------------------------------------------ training
    def declared_input_dtypes(self):
        return [np.dtype(t.dtype) for t in self._input_tensors]

    def check_input_data(self, x_sample):
        for tensor, value in zip(self._input_tensors, self._flat_inputs(x_sample)):
            self._check_input(tensor, value)

    def declared_output_names(self):
        return [t.node.layer.name if t.node is not None else t.name
                for t in self._output_tensors]

    def _summary_layers(self):
        pairs, connections = [], []
        for layer in self.operations:
            nodes = [n for n in self._nodes if n.layer is layer]
            out = nodes[0].outputs if nodes else getattr(layer, "output", None)
            pairs.append((layer, out))
            inbound = []
            for node in nodes:
                for t in node.input_tensors:
                    src = t.node.layer.name if t.node else t.input_layer.name
                    inbound.append(src)
            connections.append(", ".join(inbound) if inbound else "-")
        return pairs, connections

    # ------------------------------------------------------------------ config
    def _node_index(self):
        per_layer = {}
        for node in self._nodes:
            per_layer.setdefault(id(node.layer), []).append(node)
        return per_layer

    def _tensor_ref(self, t, per_layer):
        if t.node is None:
            return {"__tensor__": [t.input_layer.name, 0, 0]}
        nodes = per_layer[id(t.node.layer)]
        return {"__tensor__": [t.node.layer.name, nodes.index(t.node), t.index]}

    def get_config(self):
        per_layer = self._node_index()

        def encode(struct):
            return jax.tree_util.tree_map(
                lambda x: self._tensor_ref(x, per_layer) if graph.is_symbolic(x) else
                (x.item() if isinstance(x, (np.generic,)) else x),
                struct, is_leaf=graph.is_symbolic)

        layer_configs = []
        for layer in self._input_layers:
            entry = serialization.serialize_object(layer, "jaxlayers.layers")
            entry["name"] = layer.name
            entry["inbound_nodes"] = []
            layer_configs.append(entry)
        for layer in self._graph_layers:
            entry = serialization.serialize_object(layer, "jaxlayers.layers")
            entry["name"] = layer.name
            entry["inbound_nodes"] = [
                {"args": encode(list(node.args)), "kwargs": encode(node.kwargs)}
                for node in per_layer[id(layer)]
            ]
            layer_configs.append(entry)
        return {
            "name": self.name,
            "trainable": self.trainable,
            "layers": layer_configs,
            "input_layers": encode(self._inputs_struct),
            "output_layers": encode(self._outputs_struct),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        layers, created = {}, {}
        for entry in config["layers"]:
            layer = serialization.deserialize_object(entry, "layers", custom_objects,
                                                     printable="layer")
            layers[entry["name"]] = (layer, entry.get("inbound_nodes", []))
            if isinstance(layer, InputLayer):
                created[(layer.name, 0, 0)] = layer.output

        def is_ref(x):
            return isinstance(x, dict) and "__tensor__" in x

        def decode(struct):
            return jax.tree_util.tree_map(
                lambda x: created[tuple(x["__tensor__"])] if is_ref(x) else x,
                struct, is_leaf=is_ref)

        def ready(struct):
            refs = [x for x in jax.tree_util.tree_leaves(struct, is_leaf=is_ref) if is_ref(x)]
            return all(tuple(r["__tensor__"]) in created for r in refs)

        pending = {name: 0 for name in layers}
        progress = True
        while progress:
            progress = False
            for name, (layer, nodes) in layers.items():
                while pending[name] < len(nodes) and ready(nodes[pending[name]]):
                    node = nodes[pending[name]]
                    out = layer(*decode(node["args"]), **decode(node["kwargs"]))
                    for i, t in enumerate(_flatten_tensors(out)):
                        created[(name, pending[name], i)] = t
                    pending[name] += 1
                    progress = True
        stuck = [n for n, (_, nodes) in layers.items() if pending[n] < len(nodes)]
        if stuck:
            raise ConfigError(
                f"Functional model config '{config.get('name')}': could not rebuild the "
                f"calls of layers {stuck}; their inputs are never produced."
            )
        return cls(decode(config["input_layers"]), decode(config["output_layers"]),
                   name=config.get("name"), trainable=config.get("trainable", True))


# Model(inputs, outputs) builds this class; model.py reaches it through this hook.
hooks.provide("models.Functional", Functional)

__all__ = ["Functional"]
