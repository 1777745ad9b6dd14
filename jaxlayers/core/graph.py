"""The graph of a Functional model: symbolic tensors, nodes, and shape inference.

A :class:`SymbolicTensor` carries a shape (``None`` for unknown sizes), a
dtype and the :class:`Node` that produced it.  Output shapes are found with
``jax.eval_shape`` on the layer's own ``call`` (run twice with different
stand-in sizes for the unknown dimensions, so sizes that follow an unknown
one stay unknown), so no layer needs a hand-written shape rule.

Arithmetic and indexing on symbolic tensors (``a + b``, ``x[:, 0]``) record an
operation layer, as Keras does; that layer (``SymbolicOp``, a ``Layer``) is
defined above this module and registers itself with :func:`register_op_layer`.
"""

import inspect
import itertools
import threading

import jax
import jax.numpy as jnp
import numpy as np

from jaxlayers import hooks, ops
from jaxlayers.core import calls
from jaxlayers.core import config as config_lib
from jaxlayers.core import scope as scope_lib
from jaxlayers.ops import _symbolic as symbolic_ops

# Stand-in sizes for unknown dimensions; two distinct primes tell which output
# dimensions depend on them.
_FILLS = (83, 89)
_counter = itertools.count()
# The array operations symbolic arithmetic records (``SymbolicOp``'s ``op_name``).
SYMBOLIC_OPS = {
    "add": jnp.add, "subtract": jnp.subtract, "multiply": jnp.multiply,
    "divide": jnp.divide, "matmul": jnp.matmul, "negative": jnp.negative,
}
# Filled by jaxlayers.core.graph_ops at import (jaxlayers.core imports it, so it is
# always there): the op layer is a Layer, and the layer module imports this one.
_op_layer = []


def register_op_layer(cls):
    """Sets the layer class that records arithmetic on symbolic tensors (``SymbolicOp``).

    ``jaxlayers.core.graph_ops`` calls it at import: this module cannot import
    the layer facade, which imports it.

    Args:
        cls: The op layer class.

    Returns:
        ``cls``, so that it can decorate the class.

    Example:
        >>> op = (jl.Input((3,)) + 1).node.layer
        >>> register_op_layer(type(op)) is type(op), type(op).__name__
        (True, 'SymbolicOp')
    """
    _op_layer[:] = [cls]
    return cls


def is_op_layer(layer):
    """Whether ``layer`` records an array operation (``a + b`` on symbolic tensors).

    Such a layer is one of a graph's operations but, as in Keras, not one of
    its ``layers``: it holds no weights and users never built it themselves.
    """
    return bool(_op_layer) and isinstance(layer, _op_layer[0])


def encode_index(idx):
    """A JSON-friendly form of an index (ints, slices, ``...``, ``None``, tuples of them).

    Args:
        idx: An index: int, slice, ``None``, ``Ellipsis``, array or a tuple of these.

    Example:
        >>> encode_index((slice(None, 2), Ellipsis, 0))
        {'tuple': [{'slice': [None, 2, None]}, '...', 0]}
        >>> decode_index(encode_index((slice(None, 2), Ellipsis, 0)))
        (slice(None, 2, None), Ellipsis, 0)
    """
    if isinstance(idx, tuple):
        return {"tuple": [encode_index(i) for i in idx]}
    if isinstance(idx, slice):
        return {"slice": [idx.start, idx.stop, idx.step]}
    if idx is Ellipsis:
        return "..."
    if idx is None:
        return {"newaxis": True}
    return int(idx)


def decode_index(code):
    """The index that :func:`encode_index` encoded.

    Args:
        code: What :func:`encode_index` returned.

    Example:
        >>> decode_index(encode_index((slice(1, None), 0)))
        (slice(1, None, None), 0)
    """
    if isinstance(code, dict) and "tuple" in code:
        return tuple(decode_index(c) for c in code["tuple"])
    if isinstance(code, dict) and "slice" in code:
        return slice(*code["slice"])
    if isinstance(code, dict) and "newaxis" in code:
        return None
    if code == "...":
        return Ellipsis
    return code


class Node:
    """One call of ``layer`` on symbolic inputs: ``(layer, args, kwargs) -> outputs``.

    Functional models are graphs of nodes; each symbolic tensor a layer outputs
    knows its node.

    Args:
        layer: The layer that was called.
        args: The call's positional arguments (symbolic tensors and constants).
        kwargs: The call's keyword arguments.
        outputs: The symbolic outputs.

    Example:
        >>> x = jl.Input((3,))
        >>> node = jl.layers.Dense(2, name="d")(x).node
        >>> node.layer.name, [t.shape for t in node.input_tensors]
        ('d', [(None, 3)])
        >>> [t.shape for t in node.output_tensors]
        [(None, 2)]
    """

    def __init__(self, layer, args, kwargs, outputs):
        self.layer = layer
        self.args = args
        self.kwargs = kwargs
        self.outputs = outputs
        self.id = next(_counter)

    @property
    def input_tensors(self):
        return [x for x in jax.tree_util.tree_leaves((self.args, self.kwargs),
                                                     is_leaf=is_symbolic)
                if is_symbolic(x)]

    @property
    def output_tensors(self):
        return [x for x in jax.tree_util.tree_leaves(self.outputs, is_leaf=is_symbolic)
                if is_symbolic(x)]


class SymbolicTensor:
    """A placeholder with ``shape``, ``dtype`` and ``name``, used to build models.

    Args:
        shape: Tuple of ints and ``None`` (unknown sizes).
        dtype: Dtype name.
        name: Optional name.
        node: The :class:`Node` that produced it, or ``None`` for an input.
        index: Which output of that node it is.

    Example:
        >>> t = SymbolicTensor((None, 2), name='t')
        >>> t.shape, t.dtype, t.ndim
        ((None, 2), dtype('float32'), 2)
    """

    def __init__(self, shape, dtype="float32", name=None, node=None, index=0):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = jnp.dtype(dtype)
        self.name = name
        self.node = node
        self.index = index

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return (f"<SymbolicTensor shape={self.shape}, dtype={self.dtype.name}, "
                f"name={self.name}>")

    def __hash__(self):
        return id(self)

    def __eq__(self, other):
        return self is other

    def __len__(self):
        raise TypeError(
            "A symbolic tensor has no length; use its .shape (the batch size is None)."
        )

    def __bool__(self):
        return True

    # Arithmetic on symbolic tensors records an operation layer, as Keras does.
    def _op(self, name, *others, reverse=False, index=None):
        args = (others + (self,)) if reverse else ((self,) + others)
        return _op_layer[0](op_name=name, index=index)(*args)

    def __add__(self, o):
        return self._op("add", o)

    def __radd__(self, o):
        return self._op("add", o, reverse=True)

    def __sub__(self, o):
        return self._op("subtract", o)

    def __rsub__(self, o):
        return self._op("subtract", o, reverse=True)

    def __mul__(self, o):
        return self._op("multiply", o)

    def __rmul__(self, o):
        return self._op("multiply", o, reverse=True)

    def __truediv__(self, o):
        return self._op("divide", o)

    def __rtruediv__(self, o):
        return self._op("divide", o, reverse=True)

    def __matmul__(self, o):
        return self._op("matmul", o)

    def __neg__(self):
        return self._op("negative")

    def __getitem__(self, idx):
        return self._op("get_item", index=encode_index(idx))


def _dtype_as_name(value):
    """A dtype argument (``jnp.float16``, ``np.dtype``) as its name, so configs stay data."""
    if isinstance(value, np.dtype):
        return value.name
    if isinstance(getattr(value, "dtype", None), np.dtype) and not hasattr(value, "shape"):
        return value.dtype.name                     # jnp.float16 and the like
    if isinstance(value, type) and issubclass(value, np.generic):
        return np.dtype(value).name
    return value


def _record_op(path, args, kwargs):
    """``jl.ops.<path>(*args, **kwargs)`` on symbolic tensors: a ``SymbolicOp`` node.

    Symbolic keyword arguments become positional (the node's inputs); the other
    keyword arguments are constants of the op and go in its config.  Dtype
    arguments are recorded by name, so the graph saves as JSON.
    """
    if any_symbolic((), kwargs):
        bound = inspect.signature(resolve_op(path)).bind(*args, **kwargs)
        args, kwargs = bound.args, bound.kwargs
    args = tuple(_dtype_as_name(a) for a in args)
    kwargs = {k: _dtype_as_name(v) for k, v in kwargs.items()}
    return _op_layer[0](op_name=path, op_kwargs=kwargs or None)(*args)


symbolic_ops.set_recorder(SymbolicTensor, _record_op)


def resolve_op(op_name):
    """The function a ``SymbolicOp`` named ``op_name`` runs, or ``None`` if unknown.

    Arithmetic names (``"add"``) and public ops (``"numpy.mean"``, ``"nn.relu"``)
    resolve; nothing else does, so a saved graph cannot name other code.

    Args:
        op_name: A public op's name under ``jl.ops`` (``'numpy.add'``).

    Example:
        >>> resolve_op('numpy.add')(1, 2)
        Array(3, dtype=int32, weak_type=True)
    """
    if op_name in SYMBOLIC_OPS:
        return SYMBOLIC_OPS[op_name]
    return symbolic_ops.resolve(op_name, ops.PUBLIC_MODULES)


def is_symbolic(x):
    """
    Args:
        x: Any object.

    Example:
        >>> is_symbolic(jl.Input((3,))), is_symbolic(np.zeros(3))
        (True, False)
    """
    return isinstance(x, SymbolicTensor)


# jl.backend.is_keras_tensor (below core) asks through this hook.
hooks.provide("core.is_symbolic", is_symbolic)


def any_symbolic(args, kwargs):
    """
    Args:
        args: Positional arguments (searched recursively).
        kwargs: Keyword arguments (searched recursively).

    Example:
        >>> any_symbolic((np.zeros(2), [jl.Input((3,))]), {})
        True
    """
    for leaf in jax.tree_util.tree_leaves((args, kwargs), is_leaf=is_symbolic):
        if isinstance(leaf, SymbolicTensor):
            return True
    return False


def shape_to_spec(shape, dtype):
    """A spec for ``shape`` (``None`` dims allowed), recursing into lists/dicts of shapes.

    Args:
        shape: A shape tuple (``None`` dims allowed), or a list/tuple/dict of shapes.
        dtype: The specs' dtype.

    Example:
        >>> shape_to_spec((None, 3), 'float32')
        <SymbolicTensor shape=(None, 3), dtype=float32, name=None>
    """
    if isinstance(shape, dict):
        return {k: shape_to_spec(v, dtype) for k, v in shape.items()}
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return [shape_to_spec(s, dtype) for s in shape]
    return SymbolicTensor(tuple(shape), dtype)


def _is_spec(x):
    return isinstance(x, (SymbolicTensor, jax.ShapeDtypeStruct))


def _fill(x, size):
    if _is_spec(x):
        shape = tuple(size if d is None else d for d in x.shape)
        return jax.ShapeDtypeStruct(shape, x.dtype)
    if isinstance(x, (np.ndarray, jax.Array)):
        return jax.ShapeDtypeStruct(x.shape, x.dtype)
    return x


def compute_output_spec(layer, args, kwargs, with_mask=False):
    """Output specs (``None`` where a size follows an unknown input size).

    With ``with_mask=True`` returns ``(outputs, output_mask)`` specs.

    Args:
        layer: The layer being called.
        args: Its positional call arguments (a tuple).
        kwargs: Its keyword call arguments (a dict).
        with_mask: Whether to also return the output mask spec.

    Example:
        >>> compute_output_spec(jl.layers.Dense(2), (jl.Input((3,)),), {})
        <SymbolicTensor shape=(None, 2), dtype=float32, name=None>
    """
    kwargs = dict(kwargs)
    training = kwargs.pop("training", False) or False
    mask = kwargs.pop("mask", None)
    if not layer.built:
        layer.build_from_inputs(args, kwargs)
    results = []
    for size in _FILLS:
        filled = jax.tree_util.tree_map(lambda x: _fill(x, size), (args, kwargs, mask),  # noqa: B023 (called in this iteration)
                                        is_leaf=_is_spec)
        array_leaves, treedef = jax.tree_util.tree_flatten(
            filled, is_leaf=lambda x: isinstance(x, jax.ShapeDtypeStruct))
        is_arr = [isinstance(x, jax.ShapeDtypeStruct) for x in array_leaves]
        specs = [x for x, a in zip(array_leaves, is_arr) if a]

        def run(*arrays):
            it = iter(arrays)
            leaves = [next(it) if a else x for x, a in zip(array_leaves, is_arr)]  # noqa: B023 (called in this iteration)
            a, kw, m = jax.tree_util.tree_unflatten(treedef, leaves)  # noqa: B023 (called in this iteration)
            with scope_lib.Scope(structure=True, training=training) as s:
                out, out_mask = calls.invoke(layer, s, a, kw, training, m)
            return out, out_mask

        try:
            results.append(jax.eval_shape(run, *specs))
        except Exception:  # noqa: BLE001 - a stand-in size the layer cannot take
            fallback = _declared_output_spec(layer, args, with_mask)
            if fallback is None:
                raise
            return fallback
    first, second = results

    def merge(a, b):
        shape = tuple(x if x == y else None for x, y in zip(a.shape, b.shape))
        return SymbolicTensor(shape, a.dtype)

    merged = jax.tree_util.tree_map(merge, first, second)
    return merged if with_mask else merged[0]


_declaring = threading.local()


def _declared_output_spec(layer, args, with_mask):
    """The layer's own ``compute_output_shape`` for one symbolic input, if it has one."""
    if not config_lib.overrides(layer, "compute_output_shape") or len(args) != 1:
        return None
    if not _is_spec(args[0]):
        return None
    # A compute_output_shape that defers to the default (which traces) comes back
    # here when tracing fails: then the layer declares nothing, and the trace's own
    # error is raised instead of recursing forever.
    active = _declaring.__dict__.setdefault("layers", set())
    if id(layer) in active:
        return None
    active.add(id(layer))
    try:
        shape = layer.compute_output_shape(tuple(args[0].shape))
    finally:
        active.discard(id(layer))
    if not isinstance(shape, tuple) or not all(d is None or isinstance(d, int) for d in shape):
        return None
    out = SymbolicTensor(shape, layer.compute_dtype)
    return (out, None) if with_mask else out


def symbolic_call(layer, args, kwargs):
    """Records ``layer(*args, **kwargs)`` on symbolic inputs; returns symbolic outputs.

    Args:
        layer: The layer being called.
        args: Its positional call arguments (a tuple).
        kwargs: Its keyword call arguments (a dict).

    Example:
        >>> y = symbolic_call(jl.layers.Dense(2, name='d'), (jl.Input((3,)),), {})
        >>> y.shape, y.node.layer.name
        ((None, 2), 'd')
    """
    out, out_mask = compute_output_spec(layer, args, kwargs, with_mask=True)
    outputs = jax.tree_util.tree_map(
        lambda s: SymbolicTensor(s.shape, s.dtype), out, is_leaf=is_symbolic)
    node = Node(layer, args, dict(kwargs), outputs)
    for index, t in enumerate(jax.tree_util.tree_leaves(outputs, is_leaf=is_symbolic)):
        t.node = node
        t.index = index
        t.name = layer.name if index == 0 else f"{layer.name}_{index}"
    node.has_mask = out_mask is not None
    layer.__dict__.setdefault("_inbound_nodes", []).append(node)
    return outputs


__all__ = ["SYMBOLIC_OPS", "resolve_op", "SymbolicTensor", "Node", "is_symbolic", "any_symbolic",
           "compute_output_spec", "symbolic_call", "shape_to_spec", "encode_index",
           "decode_index", "register_op_layer"]
