"""The eager facade call: ``layer(x)`` outside ``apply``, on the layer's own values.

A facade call is ``apply`` on the values the facade stores.  Once a layer is
built, its call dispatches a compiled ``apply`` cached per (layer, input
structure, static arguments, training flag): the stored weights go in as
arguments (never as constants, so ``set_weights`` and ``assign`` take effect),
and the new state, losses and metrics come back as results and are stored in
the layers.  A call whose Python reads values (issue 10) cannot be traced:
that layer then runs op by op, as Keras 3 runs it, from then on.  A call runs
op by op until its signature comes a second time (compiling costs more than
a few op-by-op calls), so the first call builds sublayers as the call reaches
them.  Under a JAX transform nothing is stored: the layer never holds a tracer.

Choices recorded here:

* A compiled call is reused while the layer tree is unchanged
  (``tracking.version``) and no public attribute of a built layer of the tree
  was set since (``attributes_changed``): ``call`` may read such attributes
  (``Dropout.rate``, ``trainable``), and the trace baked their values in.
  Attribute names that never affect ``call`` (the trainer's bookkeeping)
  are registered with :func:`ignore_attributes`.
* Python scalars, strings and ``None`` among the arguments are static (part
  of the cache key); arrays are arguments of the compiled call.
* A key is drawn exactly when the op-by-op call would draw one: every
  ``training=True`` call, and every call of a layer whose trace asked for one.
"""

import threading
import weakref

import jax
import numpy as np

from jaxlayers import backend
from jaxlayers.core import calls, tracking
from jaxlayers.core import scope as scope_lib
from jaxlayers.core import variables as variables_lib

# One lock per layer serializes its eager facade calls (read values, run, store).  Kept
# beside the layer, by id (a user layer may define __eq__), rather than in it so that
# layers stay copyable; dropped when the layer is collected.
_facade_locks = {}
_facade_locks_guard = threading.Lock()

# Bumped when a public attribute of a built layer is set outside any call: compiled
# calls traced before may have read it.
_attribute_epoch = [0]
# Weights go into a compiled call as arguments, so setting them keeps it valid.
_ignored_attributes = {"params", "state"}


def _facade_lock(layer):
    lock = _facade_locks.get(id(layer))
    if lock is not None:
        return lock
    with _facade_locks_guard:
        lock = _facade_locks.get(id(layer))
        if lock is None:
            lock = _facade_locks[id(layer)] = threading.RLock()
            weakref.finalize(layer, _facade_locks.pop, id(layer), None)
    return lock


def ignore_attributes(*names):
    """Registers attribute names that ``call`` never reads (compiled calls survive them).

    Args:
        *names: Attribute names, e.g. a trainer's ``"stop_training"``.

    Example:
        A callback may note its progress on the model without making the
        next eager call compile again:

        >>> ignore_attributes("progress_note")
        >>> layer = jl.layers.Dense(1)
        >>> _ = layer(np.ones((1, 2)))
        >>> layer.progress_note = "epoch 3"
        >>> layer(np.ones((1, 2))).shape
        (1, 1)
    """
    _ignored_attributes.update(names)


def attributes_changed(layer, name):
    """Notes that attribute ``name`` of the built ``layer`` was set outside any call.

    The layer's compiled eager calls are then made again on their next use,
    since ``call`` may read the attribute; private names (``_x``) and those of
    :func:`ignore_attributes` are not counted.

    Args:
        layer: The layer whose attribute was set.
        name: The attribute's name.

    Example:
        ``Layer.__setattr__`` calls it; a call after the change sees the new value:

        >>> layer = jl.layers.Activation("relu")
        >>> _ = layer(np.array([-1.0]))
        >>> layer.activation = jl.activations.get("linear")
        >>> layer(np.array([-1.0])).tolist()
        [-1.0]
    """
    if not name.startswith("_") and name not in _ignored_attributes:
        _attribute_epoch[0] += 1
        d = layer.__dict__
        d["_attribute_epoch"] = d.get("_attribute_epoch", 0) + 1


def _same(a, b):
    """Whether two lists hold the same objects (by identity: a user class may define ==)."""
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


def _same_entries(a, b):
    """Whether two ``tracking.entries`` lists hold the same weights at the same paths.

    By identity: ``Variable.__eq__`` compares values elementwise.
    """
    return len(a) == len(b) and all(pa == pb and va is vb
                                    for (pa, va), (pb, vb) in zip(a, b))


def _tree_epoch(nodes):
    # Epochs only grow, so the sum moves whenever any layer of the tree changed.
    return sum(node.__dict__.get("_attribute_epoch", 0) for node in nodes)


def _holds_tracer(tree):
    return any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(tree))


def _facade_key(layer):
    d = layer.__dict__
    if d.get("_facade_key") is None:
        d["_facade_key"] = backend.next_eager_key()
    return d["_facade_key"]


def _count_call(layer):
    """The layer's call number, advancing its call counter."""
    d = layer.__dict__
    count = d["_facade_calls"]
    d["_facade_calls"] = count + 1
    return count


def _next_key(layer):
    """The facade's key for this call: the layer's own eager key folded with a counter."""
    return jax.random.fold_in(_facade_key(layer), _count_call(layer))


def _key_args(layer):
    """``(raw key data, call number)`` for a compiled call that draws a key.

    Raw data, not a typed key: jit dispatches plain arrays on its fast path.
    """
    d = layer.__dict__
    key = _facade_key(layer)
    cached = d.get("_facade_key_data")
    if cached is None or cached[0] is not key:
        cached = d["_facade_key_data"] = (key, jax.random.key_data(key),
                                          jax.random.key_impl(key))
    return cached[1], _count_call(layer)


def call(layer, args, kwargs):
    """``layer(*args, **kwargs)`` outside ``apply``: ``(outputs, output_mask)``.

    One call at a time per layer (a lock), so concurrent calls from several
    threads each see the values the previous one stored.  Under a JAX transform
    (an input is a tracer, or an enclosing ``jit`` traced the call, so its
    results are tracers) the outputs are returned and nothing is stored.

    Args:
        layer: The layer (built on its first call).
        args: The positional inputs.
        kwargs: The keyword inputs; ``training`` and ``mask`` are taken out.

    Returns:
        ``(outputs, output_mask)``.

    Example:
        >>> layer = jl.layers.Dense(2, kernel_initializer="ones")
        >>> outputs, mask = call(layer, (np.ones((1, 3)),), {})
        >>> outputs.tolist(), mask
        ([[3.0, 3.0]], None)
    """
    training = kwargs.pop("training", None)
    mask = kwargs.pop("mask", None)
    training = bool(training) if training is not None else False
    with _facade_lock(layer):
        d = layer.__dict__
        if d.get("_eager_op_by_op"):
            return _op_by_op_call(layer, args, kwargs, training, mask)
        if d.get("_structure_built") and d.get("_built"):
            done = _compiled_call(layer, args, kwargs, training, mask)
            if done is not None:
                return done
            return _op_by_op_call(layer, args, kwargs, training, mask)
        outcome = _op_by_op_call(layer, args, kwargs, training, mask)
        # The call that built the layer counts as the first of its signature.
        split = _split(args, kwargs, mask)
        d["_eager_first_signature"] = None if split is None else (split[1], training)
        return outcome


def _op_by_op_call(layer, args, kwargs, training, mask):
    # Outside training the key is made only if a draw asks for one (a user
    # layer calling jl.random with its SeedGenerator), so built-in layers
    # leave the facade's key stream as it was.
    key = _next_key(layer) if training else None
    outputs, out_mask, scope = _run(layer, args, kwargs, training, key, mask)
    if _holds_tracer((args, kwargs, outputs, scope.writes, scope.losses, scope.metrics)):
        return outputs, out_mask
    _store_results(layer, scope)
    return outputs, out_mask


# --- the compiled call ------------------------------------------------------------
_UNSEEN = object()
_STATIC = "static"


class _NeedsKey(Exception):
    """Raised inside a trace without a key when the call draws one."""


class _Compiled:
    """The compiled calls of one layer while its tree and attributes are unchanged."""

    def __init__(self, layer):
        # A copy of the layer (copy.deepcopy) carries this cache along: the id
        # tells the copy to make its own, bound to its own weights.
        self.owner = id(layer)
        self.version = tracking.version()
        self.epoch = _attribute_epoch[0]
        self.entries = list(tracking.entries(layer))
        self.variables = [var for _, var in self.entries]
        variables_lib.materialize_all(self.variables)
        self.index = {id(var): i for i, var in enumerate(self.variables)}
        self.paths = dict(tracking.layer_paths(layer))
        self.nodes = tracking.flatten(layer)
        self.tree_size = len(self.nodes)
        self.tree_epoch = _tree_epoch(self.nodes)
        self.node_index = {id(node): i for i, node in enumerate(self.nodes)}
        self.checks_values = any(getattr(node, "checks_values_eagerly", False)
                                 for node in self.nodes)
        self.fns = {}

    def refresh(self, layer):
        """Keeps the compiled calls when a change elsewhere moved the global counters.

        Building any layer moves ``tracking.version`` and setting any attribute
        moves the attribute epoch; only a change of this layer's own tree
        (its weights, paths, layers or their attributes) drops its calls.
        """
        if self.version != tracking.version() and (
                _same_entries(tracking.entries(layer), self.entries)
                and tracking.layer_paths(layer) == self.paths
                and _same(tracking.flatten(layer), self.nodes[:self.tree_size])):
            self.version = tracking.version()
        if self.epoch != _attribute_epoch[0] and self.tree_epoch == _tree_epoch(self.nodes):
            self.epoch = _attribute_epoch[0]

    def node_id(self, node):
        i = self.node_index.get(id(node))
        if i is None:
            i = self.node_index[id(node)] = len(self.nodes)
            self.nodes.append(node)
        return i


def _split(args, kwargs, mask):
    """``(arrays, signature)`` of a call's arguments, or ``None`` when it cannot be compiled.

    The signature is the tree structure, each array's shape and dtype, and
    every other leaf's value (static); arrays are the compiled call's arguments.
    """
    leaves, treedef = jax.tree_util.tree_flatten((args, kwargs, mask))
    arrays, statics = [], []
    for leaf in leaves:
        if isinstance(leaf, jax.Array):
            if isinstance(leaf, jax.core.Tracer):
                return None
            arrays.append(leaf)
            statics.append((leaf.shape, leaf.dtype))
        elif isinstance(leaf, np.ndarray):
            if leaf.dtype.kind in "OUSV":
                return None
            arrays.append(leaf)
            statics.append((leaf.shape, leaf.dtype))
        elif leaf is None or isinstance(leaf, (bool, int, float, str)):
            statics.append((type(leaf), leaf, _STATIC))
        else:
            return None
    return arrays, (treedef, tuple(statics))


def _make_fn(layer, compiled, signature, training):
    treedef, statics = signature

    def apply(values, arrays, key, count):
        it = iter(arrays)
        leaves = [s[1] if len(s) == 3 else next(it) for s in statics]
        args, kwargs, mask = jax.tree_util.tree_unflatten(treedef, leaves)
        variables = compiled.variables
        bindings = {id(var): value for var, value in zip(variables, values)}
        by_id = {id(var): var for var in variables}

        def key_source():
            raise _NeedsKey

        scope = scope_lib.Scope(
            bindings, by_id, training=training,
            key=None if key is None else jax.random.fold_in(
                jax.random.wrap_key_data(key, impl=_facade_key_impl(layer)), count),
            layer_paths=tracking.layer_paths(layer), key_source=key_source)
        with scope:
            outputs, out_mask = calls.invoke(layer, scope, args, dict(kwargs), training,
                                             mask)
        writes = {compiled.index[vid]: value for vid, value in scope.writes.items()}
        losses, metrics = {}, {}
        for node, value in scope.losses:
            losses.setdefault(compiled.node_id(node), []).append(value)
        for node, name, value in scope.metrics:
            metrics.setdefault(compiled.node_id(node), {})[name] = value
        return outputs, out_mask, writes, losses, metrics

    return {"fn": jax.jit(apply), "needs_key": training}


def _facade_key_impl(layer):
    """The PRNG implementation of the key data :func:`_key_args` handed out."""
    return layer.__dict__["_facade_key_data"][2]


def _compiled_call(layer, args, kwargs, training, mask):
    """The call through a cached compiled ``apply``; ``None`` when it must run op by op."""
    split = _split(args, kwargs, mask)
    if split is None:
        return None
    arrays, signature = split
    d = layer.__dict__
    compiled = d.get("_eager_compiled")
    if compiled is not None:
        compiled.refresh(layer)
    if (compiled is None or compiled.version != tracking.version()
            or compiled.epoch != _attribute_epoch[0] or compiled.owner != id(layer)):
        compiled = d["_eager_compiled"] = _Compiled(layer)
        first = d.pop("_eager_first_signature", None)
        if first is not None:
            compiled.fns[first] = None
    if compiled.checks_values:
        return None
    cache_key = (signature, training)
    entry = compiled.fns.get(cache_key, _UNSEEN)
    if entry is _UNSEEN:
        # Compiling costs more than many op-by-op calls: only a call seen twice
        # is worth it (a layer called once per input shape never compiles).
        compiled.fns[cache_key] = None
        return None
    if entry is None:
        entry = compiled.fns[cache_key] = _make_fn(layer, compiled, signature, training)
    values = [var._value for var in compiled.variables]
    if variables_lib.lending():  # a running fit holds some weights: read their copies
        values = [var.materialize() for var in compiled.variables]
    calls_before = d["_facade_calls"]
    try:
        result = _dispatch(layer, entry, values, arrays)
    except Exception:
        # A call that cannot be traced (Python reading values, NumPy on inputs,
        # outputs that are not arrays) runs op by op: from now on if that works.
        # The failed trace's draw is undone, so the key stream is op by op's.
        del compiled.fns[cache_key]
        d["_facade_calls"] = calls_before
        outcome = _op_by_op_call(layer, args, kwargs, training, mask)
        d["_eager_op_by_op"] = True
        return outcome
    outputs, out_mask, writes, losses, metrics = result
    if _holds_tracer(outputs):
        return outputs, out_mask
    variables = compiled.variables
    for i, value in writes.items():
        variables[i]._value = value
    for node in compiled.nodes:
        node.__dict__["_eager_losses"] = []
    for i, values_ in losses.items():
        compiled.nodes[i].__dict__["_eager_losses"].extend(values_)
    for i, named in metrics.items():
        compiled.nodes[i].__dict__["_eager_metrics"].update(named)
    return outputs, out_mask


def _dispatch(layer, entry, values, arrays):
    if entry["needs_key"]:
        return entry["fn"](values, arrays, *_key_args(layer))
    try:
        return entry["fn"](values, arrays, None, None)
    except _NeedsKey:
        entry["needs_key"] = True
    return entry["fn"](values, arrays, *_key_args(layer))


def _run(layer, args, kwargs, training, key, mask):
    """Runs ``call`` op by op on the facade's values; returns ``(outputs, mask, scope)``.

    Nothing is traced, so a ``call`` whose Python reads values works: the layer
    builds from the inputs' shapes, its weights get their stored values, and
    the call runs on the inputs.  A sublayer builds when the call reaches it
    (as in Keras) and each weight is bound, when first read, to its stored
    value, exactly the value ``layer.params`` / ``layer.state`` give ``apply``;
    the call and the key derivation are ``apply``'s, so the outputs equal
    ``apply``'s.
    """
    scope = scope_lib.Scope(training=training, key=key,
                            layer_paths=tracking.layer_paths(layer),
                            resolve=lambda var: _facade_value(layer, var),
                            refresh_paths=lambda: tracking.layer_paths(layer),
                            key_source=lambda: _next_key(layer))
    with scope:
        if not layer.built:
            calls.prepare_inputs(layer, args, kwargs)
        variables_lib.materialize_all([v for _, v in tracking.entries(layer)])
        outputs, out_mask = calls.invoke(layer, scope, args, kwargs, training, mask)
    if not layer.__dict__.get("_structure_built") and tracking.all_built(layer):
        layer.__dict__["_structure_built"] = True
    return outputs, out_mask, scope


def _facade_value(layer, var):
    """The stored value of ``var`` if it is a weight of ``layer``'s tree, else ``None``."""
    cache = layer.__dict__.get("_entry_ids")
    if cache is None or cache[0] != tracking.version():
        cache = (tracking.version(), {id(v) for _, v in tracking.entries(layer)})
        layer.__dict__["_entry_ids"] = cache
    return var.materialize() if id(var) in cache[1] else None


def _store_results(layer, scope):
    for vid, value in scope.writes.items():
        scope.variables[vid]._value = value
    for node in tracking.flatten(layer):
        node.__dict__["_eager_losses"] = []
    for node, value in scope.losses:
        node.__dict__["_eager_losses"].append(value)
    for node, name, value in scope.metrics:
        node.__dict__["_eager_metrics"][name] = value


__all__ = ["attributes_changed", "call", "ignore_attributes"]
