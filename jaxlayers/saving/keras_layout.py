"""Where each weight of a model goes in Keras 3's HDF5 weights layout (reader and writer).

Every saved object is a group holding ``vars/0..n``: its own weights,
trainable-declared first.  A Functional or Sequential model keeps its layers
under ``layers/<snake-cased class name>`` made unique in order (``dense``,
``dense_1``).  Any other layer, subclassed models included, keeps each
sublayer under the name of the attribute holding it, visiting attributes in
alphabetical order with private ones (``_x``) last; a subclassed model also
has Keras's ``layers`` list among its attributes, and lists of sublayers are
containers named like a model's layers.  An object reached twice is saved
the first time only.
"""

from jaxlayers.core import tracking
from jaxlayers.core.layer import to_snake_case
from jaxlayers.models.functional import Functional
from jaxlayers.models.model import Model
from jaxlayers.models.sequential import Sequential

MODEL_CLASSES = ("Functional", "Model", "Sequential")
# Non-trainable weights jaxlayers keeps that Keras does not save (a stateful RNN's
# carried states).
UNSAVED_PREFIXES = ("rnn_state_",)
# Keras names a layer's HDF5 group after its Python class, which for these differs
# from the name its config records.
PYTHON_CLASS = {"GroupQueryAttention": "GroupedQueryAttention"}
# The attributes Keras reaches a sublayer through first (public aliases of private ones).
_KERAS_ATTRIBUTE = {
    "MultiHeadAttention": {"_query_dense": "query_dense", "_key_dense": "key_dense",
                           "_value_dense": "value_dense", "_output_dense": "output_dense"},
}


def unique_name(class_name, counts):
    """Keras's container name for the next object of ``class_name`` (``dense``, ``dense_1``).

    Args:
        class_name: The object's class name.
        counts: ``{snake_case name: count}`` so far; updated.

    Returns:
        The name.

    Example:
        >>> counts = {}
        >>> unique_name("Dense", counts), unique_name("Dense", counts), counts
        ('dense', 'dense_1', {'dense': 2})
    """
    base = to_snake_case(PYTHON_CLASS.get(class_name, class_name))
    n = counts.get(base, 0)
    counts[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


def is_graph_model(layer):
    """Functional and Sequential models: their layers, not attributes, make the layout.

    Args:
        layer: A layer or model.

    Returns:
        A bool.

    Example:
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)])
        >>> is_graph_model(model), is_graph_model(model.layers[0])
        (True, False)
    """
    return isinstance(layer, (Functional, Sequential))


def graph_layers(model):
    """The layers of a Functional/Sequential model that Keras's ``model.layers`` lists.

    Args:
        model: A graph model.

    Returns:
        The layers, in order (no ``InputLayer``).

    Example:
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2, name="d")])
        >>> [layer.name for layer in graph_layers(model)]
        ['d']
    """
    if isinstance(model, Functional):
        layers = list(model.layers)
    else:
        layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    return [layer for layer in layers if type(layer).__name__ != "SymbolicOp"]


def saved_weights(layer):
    """``layer``'s own weights in the order Keras saves them (sublayers' excluded).

    Args:
        layer: A built layer.

    Returns:
        The weight handles.

    Example:
        >>> layer = jl.layers.Dense(2)
        >>> layer.build((None, 3))
        >>> [w.name for w in saved_weights(layer)]
        ['kernel', 'bias']
    """
    declared = tracking.own_weights(layer)
    own = [v for v in declared if v.collection == "params"] + [
        v for v in declared if v.collection != "params"]
    return [v for v in own if v.trainable or not str(v.name).startswith(UNSAVED_PREFIXES)]


def _children(layer):
    """``[(group name, sublayer or list of sublayers)]`` in the order Keras visits them."""
    tracked = {id(child) for child in layer.tracked_sublayers()}
    aliases = _KERAS_ATTRIBUTE.get(type(layer).__name__, {})
    found = []
    for attr, value in vars(layer).items():
        if attr in tracking.INTERNAL_ATTRIBUTES:
            continue
        subs = [s for s in tracking.flatten_layers(value) if id(s) in tracked]
        if subs:
            single = isinstance(value, tracking.Trackable)
            found.append((aliases.get(attr, attr), subs[0] if single else subs))
    if isinstance(layer, Model):
        found.append(("layers", list(layer.layers)))
    found.sort(key=lambda item: ("~" + item[0]) if item[0].startswith("_") else item[0])
    return found


def layer_groups(layer, path="", seen=None):
    """``[(group path, object name, [Variable])]`` of ``layer``'s tree in Keras's layout.

    Args:
        layer: A layer or model.
        path: Its group (``"layers/dense"``; ``""`` for the file's root).
        seen: Ids of layers already placed (a shared layer is saved once).

    Example:
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)])
        >>> [(p, len(v)) for p, _, v in layer_groups(model)]
        [('', 0), ('layers/dense', 2)]
    """
    seen = set() if seen is None else seen
    if id(layer) in seen:
        return []
    seen.add(id(layer))
    prefix = f"{path}/" if path else ""
    out = [(path, layer.name, saved_weights(layer))]
    if is_graph_model(layer):
        counts = {}
        for sub in graph_layers(layer):
            unique = unique_name(type(sub).__name__, counts)
            out.extend(layer_groups(sub, f"{prefix}layers/{unique}", seen))
        return out
    for name, child in _children(layer):
        if isinstance(child, list):
            counts = {}
            for sub in child:
                unique = unique_name(type(sub).__name__, counts)
                out.extend(layer_groups(sub, f"{prefix}{name}/{unique}", seen))
        else:
            out.extend(layer_groups(child, f"{prefix}{name}", seen))
    return out


__all__ = ["MODEL_CLASSES", "UNSAVED_PREFIXES", "PYTHON_CLASS", "unique_name", "is_graph_model",
           "graph_layers", "saved_weights", "layer_groups"]
