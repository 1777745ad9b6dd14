"""Reading and writing an optax state: injected hyperparameters, step count, leaves.

Example:
    >>> tx = jl.optimizers.SGD(learning_rate=0.5).to_optax()
    >>> float(jl.optimizers.get_hyperparam(tx.init({"w": jnp.zeros(2)}), "learning_rate"))
    0.5
"""

import math
import numbers

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxlayers.errors import ConfigError, ConfigTypeError, WeightsError

_INJECT_STATES = (optax.InjectHyperparamsState, optax.InjectStatefulHyperparamsState)

# ----------------------------------------------------------------------------- validation
def _number(owner, name, value, low=0.0, high=math.inf, allow_none=False, high_open=False):
    """``value`` as a float in ``[low, high]`` (or ``[low, high)``), else a ConfigError."""
    if value is None and allow_none:
        return None
    ok = (not isinstance(value, bool) and isinstance(value, numbers.Real)
          and math.isfinite(value) and low <= value and (value < high if high_open
                                                         else value <= high))
    if not ok:
        bound = f"[{low}, {high})" if high_open else f"[{low}, {high}]"
        allowed = " or None" if allow_none else ""
        raise ConfigError(
            f"{owner}: `{name}` must be a finite float in {bound}{allowed}. "
            f"Received: {name}={value!r}."
        )
    return float(value)


def _learning_rate(owner, value):
    if callable(value):
        return value
    if isinstance(value, (np.ndarray, jax.Array)) and np.ndim(value) == 0:
        value = float(value)
    return _number(owner, "learning_rate", value)


# ----------------------------------------------------------------------------- state helpers
def _is_inject(node):
    return isinstance(node, _INJECT_STATES)


def _inject_states(opt_state):
    """Every InjectHyperparamsState in ``opt_state``, outermost first."""
    for node in jax.tree_util.tree_leaves(opt_state, is_leaf=_is_inject):
        if _is_inject(node):
            yield node
            yield from _inject_states(node.inner_state)


def _no_hyperparam(name):
    return ConfigError(
        f"The optimizer has no injectable '{name}' (a raw optax transform was given to "
        f"compile, or it does not inject '{name}'). Use a jaxlayers optimizer, e.g. "
        f"compile(optimizer=jl.optimizers.Adam(learning_rate=1e-3)), or wrap the optax "
        f"transform: optax.inject_hyperparams(optax.adam)(learning_rate=1e-3)."
    )


def get_hyperparam(opt_state, name):
    """The current value of an injected hyperparameter anywhere in ``opt_state``.

    Args:
        opt_state: An optax state, possibly nested (chains, masks, ``MultiSteps``).
        name: Hyperparameter name, e.g. ``"learning_rate"``.

    Returns:
        The scalar array stored by ``optax.inject_hyperparams``.

    Raises:
        ConfigError: No ``inject_hyperparams`` state holds ``name``.

    Example:
        >>> tx = jl.optimizers.SGD(learning_rate=0.5).to_optax()
        >>> float(jl.optimizers.get_hyperparam(tx.init({"w": jnp.zeros(2)}), "learning_rate"))
        0.5
    """
    for node in _inject_states(opt_state):
        if name in node.hyperparams:
            return node.hyperparams[name]
    raise _no_hyperparam(name)


def _replace_hyperparam(opt_state, name, value, done):
    def replace(node):
        if not _is_inject(node) or done:
            return node
        if name in node.hyperparams:
            if name in getattr(node, "hyperparams_states", {}):
                raise ConfigTypeError(
                    f"'{name}' follows a schedule given to the optimizer, so it cannot be set. "
                    f"Create the optimizer with a float {name} to change it during training."
                )
            done.append(True)
            old = node.hyperparams[name]
            new = jnp.asarray(value, dtype=jnp.asarray(old).dtype)
            return node._replace(hyperparams={**node.hyperparams, name: new})
        return node._replace(inner_state=_replace_hyperparam(node.inner_state, name, value,
                                                             done))

    return jax.tree_util.tree_map(replace, opt_state, is_leaf=_is_inject)


def set_hyperparam(opt_state, name, value):
    """A copy of ``opt_state`` with the injected hyperparameter ``name`` set to ``value``.

    The dtype and shape of the stored value are kept, so a jitted step that takes
    ``opt_state`` does not retrace.

    Args:
        opt_state: An optax state holding an ``inject_hyperparams`` state.
        name: Hyperparameter name, e.g. ``"learning_rate"``.
        value: The new scalar value.

    Returns:
        The new optax state (the input is not modified).

    Raises:
        ConfigError: No ``inject_hyperparams`` state holds ``name``.
        ConfigTypeError: The hyperparameter is driven by a schedule.

    Example:
        >>> tx = jl.optimizers.Adam().to_optax()
        >>> s = jl.optimizers.set_hyperparam(tx.init({"w": jnp.zeros(2)}), "learning_rate", 0.1)
        >>> round(float(jl.optimizers.get_hyperparam(s, "learning_rate")), 6)
        0.1
    """
    done = []
    new_state = _replace_hyperparam(opt_state, name, value, done)
    if not done:
        raise _no_hyperparam(name)
    return new_state


def _has_count(node):
    return hasattr(node, "_fields") and "count" in node._fields


def iterations(opt_state):
    """The number of optimizer updates applied so far (a scalar int array).

    Read from the outermost ``inject_hyperparams`` state, else from the first
    optax state with a ``count`` field (e.g. ``ScaleByAdamState``).

    Args:
        opt_state: The optimizer state of a jaxlayers optimizer.

    Example:
        >>> tx = jl.optimizers.SGD().to_optax()
        >>> int(jl.optimizers.iterations(tx.init({"w": jnp.zeros(2)})))
        0
    """
    for node in _inject_states(opt_state):
        return node.count
    for node in jax.tree_util.tree_leaves(opt_state, is_leaf=_has_count):
        if _has_count(node):
            return node.count
    raise ConfigError(
        "The optimizer state has no step counter: it holds no optax state with a `count` "
        "(e.g. a bare optax.sgd without momentum). Wrap the transform with "
        "optax.inject_hyperparams to count steps."
    )


def _per_tensor_clip(clipnorm):
    """Scales each gradient array to L2 norm at most ``clipnorm`` (Keras's ``clipnorm``)."""

    def clip(g, _params):
        norm = jnp.sqrt(jnp.sum(jnp.square(g)))
        return g * clipnorm / jnp.maximum(norm, clipnorm)

    return optax.stateless_with_tree_map(clip)


def fill_state(owner, state, leaves, cast=False):
    """``state`` with its leaves replaced by ``leaves`` (in ``tree_leaves`` order), checked.

    Args:
        owner: Who is asking, for messages.
        state: The optax state whose structure, leaf count and shapes are kept.
        leaves: The new arrays: a list, or any pytree with the same leaves.
        cast: Cast each new array to the dtype of the leaf it replaces.

    Raises:
        WeightsError: A different number of arrays, or an array of another shape.

    Example:
        >>> state = jl.optimizers.SGD().to_optax().init({"w": jnp.zeros(2)})
        >>> new = fill_state("me", state, jax.tree_util.tree_leaves(state))
        >>> jax.tree_util.tree_structure(new) == jax.tree_util.tree_structure(state)
        True
    """
    old_leaves, treedef = jax.tree_util.tree_flatten(state)
    new_leaves = jax.tree_util.tree_leaves(leaves)
    if len(new_leaves) != len(old_leaves):
        raise WeightsError(
            f"{owner}: expected {len(old_leaves)} arrays for the optimizer state. Received: "
            f"{len(new_leaves)} arrays."
        )
    for i, (old, new) in enumerate(zip(old_leaves, new_leaves)):
        if np.shape(old) != np.shape(new):
            raise WeightsError(
                f"{owner}: optimizer state array {i} has shape {np.shape(old)}. "
                f"Received: shape {np.shape(new)}."
            )
    if cast:
        new_leaves = [jnp.asarray(new, dtype=jnp.asarray(old).dtype)
                      for old, new in zip(old_leaves, new_leaves)]
    return jax.tree_util.tree_unflatten(treedef, new_leaves)



__all__ = ["get_hyperparam", "set_hyperparam", "iterations", "fill_state"]
