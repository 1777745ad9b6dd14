"""``model_to_dot`` and ``plot_model``: a model's layer graph as Graphviz.

pydot (``pip install pydot``) builds the graph; rendering it to an image
(``plot_model``) also needs the Graphviz programs (``dot``).  Both are
optional: a clear ``ImportError`` says what to install.  Each layer is one
box (its name and class, optionally shapes, dtype, activation and whether it
trains); edges follow the model's connections, read from the symbolic graph
that calling layers on ``jl.Input`` recorded.  A subclassed model, whose
connections are Python code, is a single box.
"""

import os

from jaxlayers.core import symbolic
from jaxlayers.errors import ConfigError
from jaxlayers.models import Functional, Sequential

_INSTALL = ("install pydot (`pip install pydot`) and Graphviz (https://graphviz.org/download/, "
            "e.g. `apt install graphviz` or `brew install graphviz`)")


def _pydot(owner):
    try:
        import pydot
    except ImportError:
        raise ImportError(f"{owner} needs pydot and Graphviz: {_INSTALL}.") from None
    return pydot


def _graph_nodes(model):
    """The nodes of a Functional model's graph, walked back from its outputs."""
    inputs = {id(t) for t in model.inputs}
    seen, nodes, stack = set(), [], list(model.outputs)
    while stack:
        tensor = stack.pop()
        node = tensor.node
        if id(tensor) in inputs or node is None or node.id in seen:
            continue
        seen.add(node.id)
        nodes.append(node)
        stack.extend(node.input_tensors)
    return sorted(nodes, key=lambda n: n.id)


def _source_layer(tensor):
    return tensor.node.layer if tensor.node is not None else tensor.input_layer


def _format_shape(shape):
    """``(None, 3)`` for a shape, ``[(None, 3), (None, 2)]`` for several (JSON lists too)."""
    if shape is None:
        return "?"
    if all(d is None or isinstance(d, int) for d in shape):
        return str(tuple(shape)).replace(",)", ")")
    return "[" + ", ".join(_format_shape(s) for s in shape) + "]"


def _shapes(layer, nodes):
    """``(input shape, output shape, output dtype)`` of ``layer`` in this model, or ``?``s."""
    mine = [n for n in nodes if n.layer is layer]
    if mine:
        ins = [t.shape for t in mine[0].input_tensors]
        outs = mine[0].output_tensors
        return (ins[0] if len(ins) == 1 else ins,
                outs[0].shape if len(outs) == 1 else [t.shape for t in outs],
                outs[0].dtype.name if outs else None)
    output = getattr(layer, "output", None)
    if symbolic.is_symbolic(output):  # an InputLayer
        return None, output.shape, output.dtype.name
    try:
        shapes = layer.get_build_config()["input_shape"]["pos"]
        out = layer.compute_output_shape(*shapes)
        return (shapes[0] if len(shapes) == 1 else shapes), out, layer.compute_dtype
    except (AttributeError, KeyError, TypeError, ValueError, IndexError):
        return None, None, None


def _label(layer, nodes, show_shapes, show_dtype, show_layer_names, show_layer_activations,
           show_trainable):
    """An HTML-like Graphviz label: a title row, then the optional detail cells."""
    title = (f"<b>{layer.name}</b> ({type(layer).__name__})" if show_layer_names
             else f"<b>{type(layer).__name__}</b>")
    rows = [f'<tr><td colspan="{{span}}" bgcolor="black"><font color="white">'
            f"{title}</font></td></tr>"]
    activation = getattr(layer, "activation", None)
    if show_layer_activations and activation is not None:
        name = getattr(activation, "__name__", None) or str(activation)
        rows.append(f'<tr><td colspan="{{span}}">Activation: {name}</td></tr>')
    cells = []
    in_shape, out_shape, dtype = _shapes(layer, nodes) if (show_shapes or show_dtype) else (
        None, None, None)
    if show_shapes:
        if type(layer).__name__ != "InputLayer":
            cells.append(f"Input shape: <b>{_format_shape(in_shape)}</b>")
        cells.append(f"Output shape: <b>{_format_shape(out_shape)}</b>")
    if show_dtype:
        cells.append(f"Output dtype: <b>{dtype or '?'}</b>")
    if show_trainable and layer.weights:
        cells.append("<b>Trainable</b>" if layer.trainable else "<b>Non-trainable</b>")
    if cells:
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    body = "".join(rows).replace("{span}", str(max(len(cells), 1)))
    return f'<<table border="0" cellborder="1" cellpadding="8">{body}</table>>'


def _is_graph(layer):
    return isinstance(layer, (Functional, Sequential))


def _entry(layer):
    """The box an edge INTO ``layer`` points at when nested models are expanded."""
    while _is_graph(layer) and layer.layers:
        layer = layer.layers[0]
    return layer


def _exit(layer, index):
    """The box an edge OUT of output ``index`` of ``layer`` starts from, when expanded."""
    while _is_graph(layer) and layer.layers:
        if isinstance(layer, Functional):
            tensor = layer.outputs[index]
            layer, index = _source_layer(tensor), tensor.index
        else:
            layer = layer.layers[-1]
    return layer


def _add_edge(pydot, dot, source, destination):
    src, dst = str(id(source)), str(id(destination))
    if not dot.get_edge(src, dst):
        dot.add_edge(pydot.Edge(src, dst, penwidth="2"))


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True,
                 rankdir="TB", expand_nested=False, dpi=200, subgraph=False,
                 show_layer_activations=False, show_trainable=False, splines="ortho",
                 **kwargs):
    """The layer graph of ``model`` as a ``pydot.Dot`` (``to_string()`` gives the dot source).

    Args:
        model: A built model (Sequential, Functional, or subclassed: one box).
        show_shapes: Show each layer's input and output shapes.
        show_dtype: Show each layer's output dtype.
        show_layer_names: Title boxes ``name (Class)`` rather than ``Class``.
        rankdir: Graphviz direction: ``'TB'`` (vertical) or ``'LR'`` (horizontal).
        expand_nested: Draw nested models as clusters of their layers.
        dpi: Image resolution.
        subgraph: Return a ``pydot.Cluster`` (used for nested models).
        show_layer_activations: Show the ``activation`` of layers that have one.
        show_trainable: Mark layers with weights as trainable or not.
        splines: Graphviz edge style (``'ortho'``, ``'curved'``, ``'polyline'``...).

    Returns:
        A ``pydot.Dot`` (or ``pydot.Cluster`` with ``subgraph=True``).

    Example:
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2, name="d")])
        >>> "<b>d</b> (Dense)" in model_to_dot(model).to_string()
        True
    """
    if kwargs:
        raise ConfigError(
            f"model_to_dot: unknown arguments {sorted(kwargs)} (Keras 3 removed `layer_range`)."
        )
    if not model.built:
        raise ConfigError(
            f"model_to_dot: model '{model.name}' is not built yet. Build it first: give it an "
            "Input, call model.build(input_shape), or call it on a batch of data."
        )
    pydot = _pydot("model_to_dot")
    if subgraph:
        dot = pydot.Cluster(graph_name=model.name, style="dashed", label=model.name,
                            labeljust="l")
    else:
        dot = pydot.Dot(rankdir=rankdir, concentrate=True, dpi=dpi, splines=splines)
        dot.set_node_defaults(shape="plaintext", fontname="Helvetica")
    options = dict(show_shapes=show_shapes, show_dtype=show_dtype,
                   show_layer_names=show_layer_names,
                   show_layer_activations=show_layer_activations, show_trainable=show_trainable)
    if not _is_graph(model):
        dot.add_node(pydot.Node(str(id(model)), label=_label(model, [], **options)))
        return dot
    nodes = _graph_nodes(model) if isinstance(model, Functional) else []
    # As Keras's plot, a graph's boxes include its array operations (``a + b``).
    boxes = model.operations if isinstance(model, Functional) else model.layers
    for layer in boxes:
        if expand_nested and _is_graph(layer):
            dot.add_subgraph(model_to_dot(layer, rankdir=rankdir, expand_nested=True, dpi=dpi,
                                          subgraph=True, **options))
        else:
            dot.add_node(pydot.Node(str(id(layer)), label=_label(layer, nodes, **options)))
    if isinstance(model, Sequential):
        for before, after in zip(model.layers, model.layers[1:], strict=False):
            source = _exit(before, 0) if expand_nested else before
            _add_edge(pydot, dot, source, _entry(after) if expand_nested else after)
        return dot
    for node in nodes:
        for position, tensor in enumerate(node.input_tensors):
            source, destination = _source_layer(tensor), node.layer
            if expand_nested:
                source = _exit(source, tensor.index)
                if isinstance(destination, Functional):
                    destination = destination.layers[position]
                destination = _entry(destination)
            _add_edge(pydot, dot, source, destination)
    return dot


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=False, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, splines="ortho", **kwargs):
    """Draws ``model``'s layer graph into an image file (needs pydot and Graphviz).

    Args:
        model: A built model.
        to_file: Output file; its extension picks the format (``.png``,
            ``.svg``, ``.pdf``, ``.dot``...).
        show_shapes, show_dtype, show_layer_names, rankdir, expand_nested, dpi,
            show_layer_activations, show_trainable, splines: As in :func:`model_to_dot`.

    Returns:
        In a notebook (IPython importable), an ``IPython.display.Image`` of a
        ``.png`` file; otherwise ``None``.

    Raises:
        ImportError: pydot is missing, or Graphviz is needed and missing.

    Example:
        A ``.dot`` file needs no Graphviz:

        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2, name="d")])
        >>> plot_model(model, to_file="model.dot", show_layer_names=True)
        >>> open("model.dot").read().startswith("digraph")
        True
    """
    dot = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype,
                       show_layer_names=show_layer_names, rankdir=rankdir,
                       expand_nested=expand_nested, dpi=dpi,
                       show_layer_activations=show_layer_activations,
                       show_trainable=show_trainable, splines=splines, **kwargs)
    extension = os.path.splitext(os.fspath(to_file))[1][1:].lower() or "png"
    if extension == "dot":
        dot.write_raw(to_file)
        return None
    try:
        dot.write(to_file, format=extension)
    except (OSError, FileNotFoundError, AssertionError) as e:
        raise ImportError(
            f"plot_model could not run Graphviz to draw {to_file!r} ({e}). To render images, "
            f"{_INSTALL}; or save the dot source with to_file='model.dot'."
        ) from None
    if extension == "png":
        try:
            from IPython import display
        except ImportError:
            return None
        return display.Image(filename=to_file)
    return None


__all__ = ["model_to_dot", "plot_model"]
