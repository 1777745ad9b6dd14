"""The eager facade call: ``layer(x)`` outside ``apply``, on the layer's own values.

A facade call is ``apply`` on the values the facade stores, run op by op as
Keras 3 runs it: Python that reads values works, and sublayers build when the
call reaches them.  Afterwards the new state, losses and metrics are stored in
the layers, unless the call ran under a JAX transform (then nothing is stored:
the layer never holds a tracer).
"""

import threading
import weakref

import jax

from jaxlayers import backend
from jaxlayers.core import calls, tracking
from jaxlayers.core import scope as scope_lib
from jaxlayers.core import variables as variables_lib

# One lock per layer serializes its eager facade calls (read values, run, store).  Kept
# beside the layer, by id (a user layer may define __eq__), rather than in it so that
# layers stay copyable; dropped when the layer is collected.
_facade_locks = {}
_facade_locks_guard = threading.Lock()


def _facade_lock(layer):
    with _facade_locks_guard:
        lock = _facade_locks.get(id(layer))
        if lock is None:
            lock = _facade_locks[id(layer)] = threading.RLock()
            weakref.finalize(layer, _facade_locks.pop, id(layer), None)
    return lock


def _holds_tracer(tree):
    return any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(tree))


def _next_key(layer):
    """The facade's key for this call: the layer's own eager key folded with a counter."""
    if layer.__dict__.get("_facade_key") is None:
        layer.__dict__["_facade_key"] = backend.next_eager_key()
    count = layer.__dict__["_facade_calls"]
    layer.__dict__["_facade_calls"] = count + 1
    return jax.random.fold_in(layer.__dict__["_facade_key"], count)


def call(layer, args, kwargs):
    """``layer(*args, **kwargs)`` outside ``apply``: ``(outputs, output_mask)``.

    One call at a time per layer (a lock), so concurrent calls from several
    threads each see the values the previous one stored.  Under a JAX transform
    (an input is a tracer, or an enclosing ``jit`` traced the call, so its
    results are tracers) the outputs are returned and nothing is stored.
    """
    training = kwargs.pop("training", None)
    mask = kwargs.pop("mask", None)
    training = bool(training) if training is not None else False
    with _facade_lock(layer):
        # Outside training the key is made only if a draw asks for one (a user
        # layer calling jl.random with its SeedGenerator), so built-in layers
        # leave the facade's key stream as it was.
        key = _next_key(layer) if training else None
        outputs, out_mask, scope = _run(layer, args, kwargs, training, key, mask)
        if _holds_tracer((args, kwargs, outputs, scope.writes, scope.losses,
                          scope.metrics)):
            return outputs, out_mask
        _store_results(layer, scope)
    return outputs, out_mask


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


__all__ = ["call"]
