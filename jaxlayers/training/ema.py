"""The optimizer's moving average of the weights (``use_ema=True``) in a compiled model.

The average lives in the optax state (``optimizers.transforms.MovingAverageState``)
with the same tree as the trained weights; the model and the optimizer each keep
one copy of their values.  :func:`swap` exchanges the two (what ``SwapEMAWeights``
does around evaluation) and :func:`finalize` copies the average into the model
(what Keras's ``fit`` does when it ends).

Example:
    >>> model = jl.Sequential([jl.Input((2,)), jl.layers.Dense(1)])
    >>> model.compile(optimizer=jl.optimizers.SGD(0.1, use_ema=True), loss="mse")
    >>> _ = model.fit(np.ones((4, 2)), np.zeros((4, 1)), epochs=1, verbose=0)
    >>> has_average(model)
    True
"""

import jax
import jax.numpy as jnp

from jaxlayers.core import tracking
from jaxlayers.errors import ConfigError
from jaxlayers.optimizers.transforms import MovingAverageState


def _is_average(node):
    return isinstance(node, MovingAverageState)


def _average_node(opt_state):
    nodes = [n for n in jax.tree_util.tree_leaves(opt_state, is_leaf=_is_average)
             if _is_average(n)]
    return nodes[0] if len(nodes) == 1 else None


def has_average(model):
    """Whether ``model``'s optimizer state holds a moving average of the weights.

    Args:
        model: A model (compiled or not).

    Returns:
        ``True`` once a model compiled with ``use_ema=True`` has trained.

    Example:
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(1)])
        >>> model.compile(optimizer=jl.optimizers.SGD(use_ema=True), loss="mse")
        >>> has_average(model)
        False
    """
    # The optimizer state alone: training_state() would also fetch the step
    # count from the device, a host sync at the end of every fit.
    opt_state = getattr(model, "_opt_state", None) if getattr(model, "compiled", False) else None
    if opt_state is None:
        return False
    # Whether the state holds an average depends on its structure alone: found
    # once per structure (walking it with an is_leaf test costs ~50 µs a fit).
    structure = jax.tree_util.tree_structure(opt_state)
    found = _HAS_AVERAGE.get(structure)
    if found is None:
        if len(_HAS_AVERAGE) > 64:
            _HAS_AVERAGE.clear()
        found = _HAS_AVERAGE[structure] = _average_node(opt_state) is not None
    return found


_HAS_AVERAGE = {}


def _parts(model, owner):
    state = model.training_state() if getattr(model, "compiled", False) else None
    node = None if not state else _average_node(state["optimizer_state"])
    if node is None:
        optimizer = getattr(model, "optimizer", None)
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        use_ema = getattr(optimizer, "use_ema", None)
        raise ConfigError(
            f"{owner}: the model's optimizer must keep an EMA of the weights: compile with "
            f"an optimizer built with use_ema=True. Received: use_ema={use_ema!r} "
            f"({type(optimizer).__name__})." if not use_ema else
            f"{owner}: the optimizer (use_ema=True) has no moving average yet: train the "
            "model (fit or train_on_batch) before using the averages."
        )
    return state, node


def _get(average, index, path, owner):
    # A custom train_step's optimizer is built over the list model.trainable_variables,
    # in the order of trained_paths; fit's own state has the params' nested dict.
    if isinstance(average, (list, tuple)):
        return average[index]
    return tracking.get_path(average, path, "moving average", owner)


def _set(average, index, path, value):
    if isinstance(average, list):
        average[index] = value
    else:
        tracking.set_path(average, path, value)


def _copy(value, dtype):
    # Never the same buffer in the model and in the optimizer state: fit donates both.
    return jnp.array(value, dtype=dtype, copy=True)


def _exchange(model, owner, keep_training_weights):
    state, node = _parts(model, owner)
    params, average = model.params, node.average
    new_average = jax.tree_util.tree_map(lambda x: x, average)  # fresh containers
    if isinstance(new_average, tuple):
        new_average = list(new_average)
    for index, path in enumerate(state["trained_paths"]):
        weight = tracking.get_path(params, path, "params", owner)
        averaged = _get(average, index, path, owner)
        tracking.set_path(params, path, _copy(averaged, weight.dtype))
        if keep_training_weights:
            _set(new_average, index, path, _copy(weight, averaged.dtype))
    model.params = params
    if keep_training_weights:
        new_average = type(average)(new_average) if isinstance(average, tuple) else new_average
        new_state = jax.tree_util.tree_map(
            lambda n: n._replace(average=new_average) if _is_average(n) else n,
            state["optimizer_state"], is_leaf=_is_average)
        model.restore_training_state(optimizer_state=new_state)


def swap(model, owner="SwapEMAWeights"):
    """Exchanges the model's trained weights with the optimizer's moving averages.

    Calling it twice restores the trained weights (``SwapEMAWeights`` swaps
    before and after evaluation).

    Args:
        model: A model compiled with ``use_ema=True`` that has trained.
        owner: The caller's name, for messages.

    Raises:
        ConfigError: The optimizer keeps no average, or has none yet.

    Example:
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> swap(model)
        Traceback (most recent call last):
        ...
        jaxlayers.errors.ConfigError: SwapEMAWeights: the model's optimizer must keep an EMA ...
    """
    _exchange(model, owner, keep_training_weights=True)


def finalize(model, owner="fit"):
    """Copies the moving averages into the model's trained weights (the averages stay).

    Args:
        model, owner: As for :func:`swap`.

    Raises:
        ConfigError: As for :func:`swap`.

    Example:
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(1)])
        >>> model.compile(optimizer=jl.optimizers.SGD(use_ema=True), loss="mse")
        >>> finalize(model)
        Traceback (most recent call last):
        ...
        jaxlayers.errors.ConfigError: fit: the optimizer (use_ema=True) has no moving average ...
    """
    _exchange(model, owner, keep_training_weights=False)


__all__ = ["has_average", "swap", "finalize"]
