"""Symbolic tensors (what ``jl.Input`` and layers called on it return): ``is_keras_tensor``
and ``get_source_inputs``."""

from jaxlayers.backend import is_keras_tensor
from jaxlayers.core.symbolic import is_symbolic
from jaxlayers.errors import ConfigTypeError


def get_source_inputs(tensor):
    """The ``jl.Input`` tensors that ``tensor`` was computed from, in first-seen order.

    Args:
        tensor: A symbolic tensor.

    Returns:
        A list of input tensors (``[tensor]`` when it is itself an input).

    Example:
        >>> a, b = jl.Input((2,), name="a"), jl.Input((3,), name="b")
        >>> y = jl.layers.Dense(1)(jl.layers.Concatenate()([a, b]))
        >>> [t.name for t in get_source_inputs(y)]
        ['a', 'b']
    """
    if not is_symbolic(tensor):
        raise ConfigTypeError(
            "get_source_inputs: expected a symbolic tensor (from jl.Input or a layer called on "
            f"one). Received: {type(tensor).__name__}."
        )
    found, seen_tensors, seen_nodes = [], set(), set()

    def visit(t):
        if id(t) in seen_tensors:
            return
        seen_tensors.add(id(t))
        if t.node is None:
            found.append(t)
        elif t.node.id not in seen_nodes:
            seen_nodes.add(t.node.id)
            for parent in t.node.input_tensors:
                visit(parent)

    visit(tensor)
    return found


__all__ = ["is_keras_tensor", "get_source_inputs"]
