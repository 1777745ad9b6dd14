"""Handles on the arrays of an optimizer's optax state (``optimizer.variables``).

The optax state is the one source of truth: it lives in the optimizer itself,
or, once a model is compiled, in the trainer (``Optimizer.bind_state``).  A
:class:`StateVariable` is a view on one leaf of that state, so the handles a
user holds keep reading the current values however the state was advanced
(``fit``, ``apply_gradients``, ``set_weights``).

Example:
    >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)])
    >>> opt = jl.optimizers.SGD(momentum=0.9)
    >>> opt.build(model.trainable_variables)
    >>> [v.name for v in opt.variables]
    ['count', 'hyperparams/learning_rate', 'inner_state/0/1/trace/0', 'inner_state/0/1/trace/1']
"""

import weakref

import jax.numpy as jnp
import numpy as np

from jaxlayers.core.variables import Variable
from jaxlayers.errors import ShapeError, StateError


class StateVariable(Variable):
    """One array of an optimizer's state, read and written through the optimizer.

    ``index`` is the leaf's position in ``jax.tree_util.tree_leaves(state)``;
    ``None`` stands for the step counter (``optimizer.iterations``), which reads
    0 before the state exists.  Comparisons and ``int``/``float`` use the value,
    so ``optimizer.iterations == 3`` reads as in Keras.

    Args:
        optimizer: The optimizer holding the state (kept by weak reference).
        index: The leaf's position in the state's leaves, or ``None`` for the
            step counter.
        name: The array's name (Keras's variable name, e.g. ``"iterations"``).
        shape: The array's shape.
        dtype: The array's dtype.

    Example:
        >>> opt = jl.optimizers.SGD()
        >>> isinstance(opt.iterations, StateVariable), int(opt.iterations)
        (True, 0)
        >>> bool(opt.iterations == 0)
        True
    """

    def __init__(self, optimizer, index, name, shape, dtype):
        super().__init__(name=name, shape=shape, dtype=dtype, initializer=None,
                         trainable=False)
        self._optimizer = weakref.ref(optimizer)
        self._index = index

    @property
    def optimizer(self):
        return self._optimizer()

    @property
    def path(self):
        return f"{self.optimizer.name}/{self.name}"

    @property
    def value(self):
        return self.optimizer.state_leaf(self._index)

    def materialize(self):
        return self.value

    def assign(self, value):
        """Writes ``value`` (cast to this array's dtype) into the optimizer state."""
        if isinstance(value, Variable):
            value = value.value
        value = jnp.asarray(value)
        if tuple(value.shape) != self.shape:
            raise ShapeError(
                f"Cannot assign to optimizer variable '{self.path}' of shape {self.shape}. "
                f"Received: value.shape={tuple(value.shape)}."
            )
        if not self.optimizer.set_state_leaf(self._index, value.astype(self.dtype)):
            raise StateError(
                f"Optimizer variable '{self.path}' has no state to write yet: build the "
                "optimizer first (optimizer.build(model.trainable_variables))."
            )
        return self

    # --- scalar conveniences, as a Keras variable offers ---------------------------
    def __int__(self):
        return int(np.asarray(self.value))

    def __float__(self):
        return float(np.asarray(self.value))

    def __index__(self):
        return int(self)

    def __bool__(self):
        return bool(np.asarray(self.value))

    def __eq__(self, other):
        return np.asarray(self.value) == np.asarray(other)

    def __ne__(self, other):
        return np.asarray(self.value) != np.asarray(other)

    def __lt__(self, other):
        return np.asarray(self.value) < np.asarray(other)

    def __le__(self, other):
        return np.asarray(self.value) <= np.asarray(other)

    def __gt__(self, other):
        return np.asarray(self.value) > np.asarray(other)

    def __ge__(self, other):
        return np.asarray(self.value) >= np.asarray(other)

    __hash__ = Variable.__hash__

    def __repr__(self):
        return (f"<StateVariable path={self.path}, shape={self.shape}, "
                f"dtype={self.dtype.name}, value={np.asarray(self.value)!r}>")


__all__ = ["StateVariable"]
