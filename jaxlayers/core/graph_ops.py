"""``SymbolicOp``: array operations on ``jl.Input`` tensors, recorded as graph nodes.

``a + b``, ``x[:, 0]`` or ``jl.ops.mean(x, axis=1)`` on symbolic tensors
records this layer, so a Functional model replays (and saves) it like any other
layer.
"""

from jaxlayers.core import graph
from jaxlayers.core.layer import Layer
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError


@graph.register_op_layer
@register_builtin("layers")
class SymbolicOp(Layer):
    """An array operation recorded in a Functional graph (``x + y`` on ``jl.Input``s).

    Args:
        fn: The op function to record, or ``None`` when ``op_name`` names a public op.
        op_name: The op's name (``'numpy.add'``), saved in configs.
        reverse: Whether the layer's input is the op's second operand (``2 - x``).
        index: Optional index applied to the op's result.
        op_kwargs: Keyword arguments passed to the op.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Example:
        >>> x = jl.Input(shape=(3,))
        >>> type((x + 1).node.layer).__name__
        'SymbolicOp'
    """

    supports_complex_inputs = True

    def __init__(self, fn=None, op_name="op", reverse=False, index=None, op_kwargs=None,
                 **kwargs):
        # An op keeps its inputs' dtypes, as Keras's ops on symbolic tensors do.
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.op_name = op_name
        self.reverse = reverse
        self.index = index
        self.op_kwargs = dict(op_kwargs or {})
        self.fn = fn if fn is not None else graph.resolve_op(op_name)
        if self.fn is None and op_name != "get_item":
            raise ConfigError(
                f"SymbolicOp '{self.name}': unknown op. Expected one of "
                f"{sorted(graph.SYMBOLIC_OPS)}, 'get_item', or a public op such as "
                f"'numpy.mean' or 'nn.relu'. Received: op_name={op_name!r}."
            )

    def call(self, *args):
        if self.op_name == "get_item" and self.index is not None:
            return args[0][graph.decode_index(self.index)]
        return self.fn(*args, **self.op_kwargs)

    def get_config(self):
        config = super().get_config()
        config.update({"op_name": self.op_name, "reverse": self.reverse,
                       "index": self.index})
        if self.op_kwargs:
            config["op_kwargs"] = self.op_kwargs
        return config


__all__ = ["SymbolicOp"]
