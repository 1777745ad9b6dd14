"""``fit`` trains on the model's own buffers: lent to its donated step, never copied.

At the start of each epoch (and each ``train_on_batch``) a :class:`Loan` builds
the training carry ``(params, state, opt_state, metric_states, key)`` from the
weights' own arrays and the stored optimizer state's, and the jitted step
donates them, as Keras's JAX trainer donates its variables' buffers: ``fit``
holds one copy of the weights and optimizer state, not two.

What stays guaranteed:

* **Arrays held elsewhere are never donated.** A leaf that something besides
  its weight (or its optimizer-state container) references, such as a
  ``layer.kernel.value`` the user kept, a ``model.params`` tree, a kept
  ``training_state()``, or one array shared by two weights, is copied, and only
  that leaf (:func:`copy_leaf`).  The test is ``sys.getrefcount`` against the
  count of an object held by exactly one slot, measured by the same code at
  import (:data:`BASELINE`).  Containers inside the optimizer state other than
  its root are not checked: hold the arrays, not an inner tuple.
* **No reader ever sees a deleted buffer.** While lent, each weight holds a
  :class:`~jaxlayers.core.variables.Lent` mark and the trainer's optimizer
  state another: any read (``Variable.value``, ``numpy()``, ``model.params``,
  ``get_weights``, ``predict`` or saving from a callback or another thread,
  ``optimizer.variables``, ``training_state()``) gets a copy of the current
  carry, made under :attr:`Loan.lock`, which the loop also holds while it
  dispatches a step and keeps the new carry (dispatch is asynchronous, so
  the lock is held for microseconds).  Reads within one step share one copy.
* **The model always gets its arrays back**, without copies, at the end of
  the epoch, and on any exception or ``KeyboardInterrupt`` in between
  (:meth:`Loan.release` runs in a ``finally``): a crashed ``fit`` leaves the
  weights and optimizer state of the last step it ran.
* A weight assigned while lent is overwritten by the epoch's result when the
  loan ends (as before: the step never saw the assignment).
"""

import sys
import threading

import jax
import jax.numpy as jnp

from jaxlayers.core import tracking
from jaxlayers.core import variables as variables_lib


def copy_leaf(array):
    """A new buffer holding ``array``'s value: what a leaf held elsewhere is lent as.

    Args:
        array: A ``jax.Array`` (or an array-like, which becomes one).

    Example:
        >>> a = jnp.ones(2)
        >>> b = copy_leaf(a)
        >>> b is a, b.tolist()
        (False, [1.0, 1.0])
    """
    return jnp.array(array, copy=True)


def _counts(values):
    return [sys.getrefcount(v) for v in values]


class _Slot:
    __slots__ = ("value",)


def _baseline():
    """The reference count :func:`_counts` sees for an object held by exactly one slot."""
    slots = [_Slot() for _ in range(3)]
    for slot in slots:
        slot.value = object()
    counts = set(_counts([slot.value for slot in slots]))
    if len(counts) != 1:  # the interpreter counts references in a way we cannot read
        return 0
    return counts.pop()


#: The reference count of an array held only by its weight or container (0: no test,
#: every leaf is copied).
BASELINE = _baseline()


def held_elsewhere(values):
    """For each of ``values`` (a list, each item held by one slot besides it), whether
    something else holds it too, or it is not an array this process may donate.

    Args:
        values: A new list of the arrays, each also held by exactly one weight
            or container (the count :data:`BASELINE` is measured for).

    Returns:
        A list of bools: ``True`` for an item to copy rather than lend.

    Example:
        >>> slot, kept = [jnp.zeros(2), jnp.ones(2)], []
        >>> kept.append(slot[1])
        >>> held_elsewhere(list(slot))
        [False, True]
    """
    seen, flags = set(), []
    for value, count in zip(values, _counts(values)):
        flags.append(count != BASELINE or id(value) in seen
                     or not isinstance(value, jax.Array) or value.is_deleted())
        seen.add(id(value))
    return flags


def _lendable(values, held):
    return [copy_leaf(v) if h else v for v, h in zip(values, held)]


_copy_tree = jax.jit(lambda tree: jax.tree_util.tree_map(jnp.copy, tree))


def _order(model):
    """The model's weights in the leaf order of its params and state trees, and the trees'
    structures (cached per model structure)."""
    key = ("loan order", tracking.version())
    cache = model._fn_cache
    if key not in cache:
        entries = tracking.entries(model)
        trees, variables = ({}, {}), ([], [])
        for path, var in entries:
            which = 0 if var.collection == "params" else 1
            tracking.set_path(trees[which], path, len(variables[which]))
            variables[which].append(var)
        flat = [jax.tree_util.tree_flatten(t) for t in trees]
        ordered = [[variables[w][i] for i in flat[w][0]] for w in (0, 1)]
        cache[key] = (ordered[0] + ordered[1], len(ordered[0]), flat[0][1], flat[1][1])
    return cache[key]


class Loan:
    """One epoch's training carry, built from the model's own buffers.

    Args:
        model: A compiled model whose weights and optimizer state exist.
        mstates: The metrics' fresh states.
        key: A fresh copy of the trainer's PRNG key.
        place: Optional ``carry -> carry`` placing it for a distribution.

    Example:
        >>> model = jl.Sequential([jl.Input((2,)), jl.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> _ = model.training_state(init_optimizer=True)
        >>> loan = Loan(model, {}, jax.random.key(0))
        >>> kernel = model.layers[0].kernel.value  # a copy of the lent array
        >>> _ = loan.release()
        >>> bool((model.layers[0].kernel.value == kernel).all())
        True
    """

    def __init__(self, model, mstates, key, place=None):
        self.lock = threading.RLock()
        self._model = model
        self._snap = self._snap_opt = None
        variables, n_params, params_def, state_def = _order(model)
        variables_lib.materialize_all(variables)
        self._ids = [id(v) for v in variables]
        self._variables = variables
        # Measured before anything else here references the arrays (see BASELINE).
        values = variables_lib.stored_values(variables)
        held = held_elsewhere(values)
        opt_root = _counts([model._opt_state])[0] != BASELINE
        opt_leaves, opt_def = jax.tree_util.tree_flatten(model._opt_state)
        opt_held = held_elsewhere(opt_leaves)
        if opt_root:  # someone kept the whole tree (a training_state() result)
            opt_held = [True] * len(opt_leaves)
        values = _lendable(values, held)
        opt_leaves = _lendable(opt_leaves, opt_held)
        carry = (jax.tree_util.tree_unflatten(params_def, values[:n_params]),
                 jax.tree_util.tree_unflatten(state_def, values[n_params:]),
                 jax.tree_util.tree_unflatten(opt_def, opt_leaves), mstates, key)
        del values, opt_leaves
        self.carry = carry if place is None else place(carry)
        self._open = True  # before the marks: another thread may read through them at once
        variables_lib.lend(variables, self)
        model.lend_optimizer_state(variables_lib.Lent(self))
        model.__dict__["_loan"] = self

    def run(self, fn, *args):
        """``fn(carry, *args) -> (carry, loss)``, the new carry kept under the lock."""
        with self.lock:
            self.carry, loss = fn(self.carry, *args)
            self._snap = self._snap_opt = None
        return loss

    def read(self, variable):
        """A copy of ``variable``'s current value (one copy of all weights per step)."""
        with self.lock:
            if not self._open:  # given back since the caller saw the mark
                return variable.materialize()
            if self._snap is None:
                self._snap = dict(zip(self._ids, jax.tree_util.tree_leaves(
                    _copy_tree(self.carry[:2]))))
            return self._snap[id(variable)]

    def optimizer_state(self):
        """A copy of the current optimizer state (one per step)."""
        with self.lock:
            if not self._open:
                return self._model._opt_state
            if self._snap_opt is None:
                self._snap_opt = _copy_tree(self.carry[2])
            return self._snap_opt

    def release(self):
        """Gives the model its arrays back from the carry, without copies.

        Returns:
            ``(metric_states, key)`` of the carry.
        """
        with self.lock:
            if not self._open:
                return self._rest
            self._open = False
            params, state, opt_state, mstates, key = self.carry
            # The loan keeps no reference: the next epoch's may lend these again.
            self.carry, self._rest = None, (mstates, key)
            values = jax.tree_util.tree_leaves(params) + jax.tree_util.tree_leaves(state)
            variables_lib.give_back(self._variables, values)
            self._model.lend_optimizer_state(opt_state)
            self._model.__dict__["_loan"] = None
            self._snap = self._snap_opt = None
            return mstates, key


__all__ = ["Loan", "copy_leaf", "held_elsewhere", "BASELINE"]
