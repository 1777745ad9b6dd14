"""Rematerialization (gradient checkpointing) of layer calls on ``jax.checkpoint``.

Keras 3's names and rules: a layer takes the mode of the ``RematScope`` active
when it is constructed (``layer.remat_mode``), and that mode decides, at each
call, whether its ``call`` runs under ``jax.checkpoint``:

* ``"full"``: every call;
* ``"activations"``: only the layer's ``activation`` function;
* ``"larger_than"``: calls whose outputs hold more than ``output_size_threshold``
  scalars;
* ``"list_of_layers"``: layers whose name is in ``layer_names``.

jaxlayers adds ``policy=``, the name of a ``jax.checkpoint_policies`` entry
(``"dots_saveable"`` keeps matmul results and recomputes the rest); the default
saves nothing but the call's inputs, as Keras's ``jax.checkpoint(f)`` does.

A checkpointed call must be a pure function of its inputs and weights: the
layer's weights go in as arguments, and its state writes, losses and output mask
come out as results, recorded in the caller's scope afterwards (a write made
inside the transform would leak its tracers).  Outside a JAX transform (an eager
call on concrete values, with no gradient to save memory for) the call runs as
it is, so Python that reads values keeps working.
"""

import math
import threading
from collections import namedtuple

import jax

from jaxlayers.core import args as _args
from jaxlayers.core import scope as scope_lib
from jaxlayers.core import tracking
from jaxlayers.errors import ConfigError, ConfigTypeError

MODES = ("full", "activations", "larger_than", "list_of_layers")
# The policies that are functions of a primitive (the others are factories of one).
POLICIES = ("nothing_saveable", "everything_saveable", "dots_saveable", "checkpoint_dots",
            "dots_with_no_batch_dims_saveable", "checkpoint_dots_with_no_batch_dims")

RematMode = namedtuple("RematMode", ["mode", "output_size_threshold", "layer_names", "policy"],
                       defaults=(1024, (), None))

_local = threading.local()


def _stack():
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


def check_policy(who, policy):
    """``policy`` if it is ``None`` or the name of a ``jax.checkpoint_policies`` entry."""
    if policy is not None and policy not in POLICIES:
        raise ConfigError(
            f"{who}: `policy` must be None or one of {POLICIES}. Received: policy={policy!r}."
        )
    return policy


def make_mode(who, mode="full", output_size_threshold=1024, layer_names=None, policy=None):
    """A checked :class:`RematMode`, or ``None`` for ``mode=None`` (no rematerialization)."""
    _args.one_of(who, "mode", mode, MODES + (None,))
    _args.non_negative_int(who, "output_size_threshold", output_size_threshold)
    names = () if layer_names is None else layer_names
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        raise ConfigTypeError(
            f"{who}: `layer_names` must be a list of layer names. Received: "
            f"layer_names={layer_names!r}."
        )
    check_policy(who, policy)
    if mode is None:
        return None
    return RematMode(mode, output_size_threshold, tuple(names), policy)


class RematScope:
    """Rematerialization for the layers constructed inside the block (Keras 3's ``RematScope``).

    Args:
        mode: ``"full"``, ``"activations"``, ``"larger_than"``, ``"list_of_layers"``
            or ``None`` (no rematerialization; also ends an outer scope's).
        output_size_threshold: For ``"larger_than"``: calls whose outputs hold more
            scalars than this are rematerialized.
        layer_names: For ``"list_of_layers"``: the names of the layers to rematerialize.
        policy: ``None`` (save only the inputs) or the name of a
            ``jax.checkpoint_policies`` entry, e.g. ``"dots_saveable"``.

    ``scope.apply(model)`` gives every layer of an existing model this mode, as if
    the model had been built inside the block.

    Example:
        >>> with jl.RematScope(mode="full"):
        ...     layer = jl.layers.Dense(4, activation="relu")
        >>> layer.remat_mode.mode
        'full'
        >>> jl.layers.Dense(4).remat_mode is None
        True
    """

    def __init__(self, mode="full", output_size_threshold=1024, layer_names=None,
                 policy=None):
        self.remat_mode = make_mode("RematScope", mode, output_size_threshold, layer_names,
                                    policy)
        self.mode = mode
        self.output_size_threshold = output_size_threshold
        self.layer_names = list(layer_names or [])
        self.policy = policy

    def __enter__(self):
        _stack().append(self.remat_mode)
        return self

    def __exit__(self, *exc):
        _stack().pop()

    def apply(self, layer):
        """Gives ``layer`` and every layer below it this scope's mode; returns ``layer``."""
        if not isinstance(layer, tracking.Trackable):
            raise ConfigTypeError(
                f"RematScope.apply: `layer` must be a Layer. Received: layer={layer!r}."
            )
        for node in tracking.flatten(layer):
            node.__dict__["_remat_mode"] = self.remat_mode
        return layer

    def __repr__(self):
        return f"RematScope(mode={self.mode!r})"


def current_mode():
    """The :class:`RematMode` of the innermost active ``RematScope``, or ``None``."""
    stack = _stack()
    return stack[-1] if stack else None


def as_mode(who, value):
    """A layer's ``remat_mode`` from a mode name, a ``RematScope``, a ``RematMode`` or ``None``."""
    if value is None or isinstance(value, RematMode):
        return value
    if isinstance(value, RematScope):
        return value.remat_mode
    if isinstance(value, str):
        return make_mode(who, value)
    raise ConfigTypeError(
        f"{who}: `remat_mode` must be a mode name {MODES}, a RematScope or None. "
        f"Received: remat_mode={value!r}."
    )


def checkpoint(f, policy=None, prevent_cse=True):
    """``jax.checkpoint(f)`` with the named policy (``None`` saves only the inputs).

    ``prevent_cse=False`` only for a scan body, where XLA cannot merge the
    recomputation back into the forward pass anyway (JAX's advice).
    """
    check_policy("checkpoint", policy)
    named = None if policy is None else getattr(jax.checkpoint_policies, policy)
    return jax.checkpoint(f, policy=named, prevent_cse=prevent_cse)


def remat(f, policy=None):
    """Rematerializes ``f`` in the backward pass (Keras 3's ``keras.remat``).

    A function is wrapped in ``jax.checkpoint``.  A layer is given the mode
    ``"full"`` and returned, so it keeps its weights and name (``jl.remat(Dense(8))(x)``
    works in a Functional model too).

    Args:
        f: A function of arrays, or a ``Layer``.
        policy: ``None`` or the name of a ``jax.checkpoint_policies`` entry.

    Example:
        >>> f = jl.remat(lambda x: jnp.sin(jnp.sin(x)))
        >>> float(jax.grad(f)(0.0))
        1.0
    """
    if isinstance(f, tracking.Trackable):
        f.__dict__["_remat_mode"] = make_mode("remat", "full", policy=policy)
        return f
    if not callable(f):
        raise ConfigTypeError(f"remat: `f` must be a function or a Layer. Received: f={f!r}.")
    return checkpoint(f, policy)


def _is_array(x):
    return isinstance(x, jax.Array)


def _traced(tree):
    return any(isinstance(x, jax.core.Tracer) for x in jax.tree_util.tree_leaves(tree))


def _split(tree):
    """``(arrays, rebuild)``: the array leaves of ``tree`` and how to put them back."""
    leaves, treedef = jax.tree_util.tree_flatten(tree)
    where = [i for i, x in enumerate(leaves) if _is_array(x)]

    def rebuild(arrays):
        out = list(leaves)
        for i, a in zip(where, arrays):
            out[i] = a
        return jax.tree_util.tree_unflatten(treedef, out)

    return [leaves[i] for i in where], rebuild


def applies_to(layer, mode, output_size):
    """Whether ``mode`` rematerializes a whole call of ``layer`` with outputs of that size.

    ``output_size`` is a callable (the size is computed only for ``"larger_than"``).
    """
    if mode.mode == "full":
        return True
    if mode.mode == "list_of_layers":
        return layer.name in mode.layer_names
    if mode.mode == "larger_than":
        return output_size() > mode.output_size_threshold
    return False


def call(layer, scope, args, kwargs):
    """Runs ``layer.call(*args, **kwargs)`` under ``scope``, rematerialized if its mode says so.

    The hook of :func:`jaxlayers.core.calls.invoke`.  A layer that rematerializes
    inside its own call (``Repeat``, per repetition) sets ``remats_itself = True``.
    """
    mode = layer.__dict__.get("_remat_mode")
    if mode is None or scope.structure or getattr(layer, "remats_itself", False):
        return layer.call(*args, **kwargs)
    variables = [var for _, var in tracking.entries(layer) if scope.binds(var)]
    values = [scope.read(var) for var in variables]
    if not _traced((values, args, kwargs)):
        return layer.call(*args, **kwargs)
    if mode.mode == "activations":
        return _activation_call(layer, args, kwargs, mode.policy)
    body, side = _pure_body(layer, scope, variables, args, kwargs)
    arrays, _ = _split((args, kwargs))

    def output_size():
        probe, _ = _pure_body(layer, scope, variables, args, kwargs, probe=True)
        outs = jax.eval_shape(probe, values, arrays)[0]
        return sum(math.prod(o.shape) for o in jax.tree_util.tree_leaves(outs))

    if not applies_to(layer, mode, output_size):
        return layer.call(*args, **kwargs)
    outs, writes, losses, metrics, mask = checkpoint(body, mode.policy)(values, arrays)
    for var, value in zip(side["written"], writes):
        scope.write(var, value)
    for owner, value in zip(side["loss_owners"], losses):
        scope.add_loss(owner, value)
    for (owner, name), value in zip(side["metric_owners"], metrics):
        scope.add_metric(owner, name, value)
    if side["declared"]:
        scope.set_output_mask(layer, mask)
    return side["rebuild_out"](outs)


def _pure_body(layer, scope, variables, args, kwargs, probe=False):
    """``(body, side)``: ``body(values, arrays)`` runs the call as a pure function.

    ``side`` receives what the trace learns that is not an array (which weights
    were written, who added each loss, whether a mask was declared).  A probe (the
    output-size pass) draws from a copy of the counters and a stand-in key, so it
    changes nothing that the real call sees.
    """
    _, rebuild_in = _split((args, kwargs))
    side = {}

    def body(values, arrays):
        a, kw = rebuild_in(arrays)
        bindings = {id(v): x for v, x in zip(variables, values)}
        by_id = {id(v): v for v in variables}
        if probe:
            child = scope.child(bindings, by_id, key=jax.random.key(0),
                                counters=dict(scope.counters))
        else:
            child = scope.child(bindings, by_id)
        with child:
            child.push_call(layer)
            try:
                out = layer.call(*a, **kw)
            finally:
                declared = child.pop_call()
        outs, side["rebuild_out"] = _split(out)
        side["written"] = [child.variables[vid] for vid in child.writes]
        side["loss_owners"] = [owner for owner, _ in child.losses]
        side["metric_owners"] = [(owner, name) for owner, name, _ in child.metrics]
        side["declared"] = declared is not scope_lib.NO_MASK
        return (outs, list(child.writes.values()), [v for _, v in child.losses],
                [v for _, _, v in child.metrics], declared if side["declared"] else None)

    return body, side


def _activation_call(layer, args, kwargs, policy):
    """``"activations"`` mode: the layer's ``activation`` runs under ``jax.checkpoint``."""
    activation = layer.__dict__.get("activation")
    if activation is None:
        return layer.call(*args, **kwargs)
    layer.__dict__["activation"] = checkpoint(activation, policy)
    try:
        return layer.call(*args, **kwargs)
    finally:
        layer.__dict__["activation"] = activation


# The public names; the other functions serve core's call path (core.calls) and Repeat.
__all__ = ["MODES", "POLICIES", "RematScope", "remat"]
