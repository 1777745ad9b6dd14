"""The pure pair of every layer: ``init``, ``apply_with_aux`` and ``stateless_call``.

Each is a function of a layer and explicit trees: the weights are bound to the
caller's arrays by a :class:`~jaxlayers.core.scope.Scope`, the layer's own
``call`` runs under it, and writes to non-trainable weights come back as the
new state.  ``Layer.init`` / ``Layer.apply`` are these functions; nothing here
reads or changes the facade's stored values.
"""

import functools

import jax
import numpy as np

from jaxlayers.core import calls, tracking
from jaxlayers.core import scope as scope_lib
from jaxlayers.distribution import distributions as distribution_lib
from jaxlayers.errors import WeightsError

# Errors of a call that needs concrete values (Python control flow on them, np.asarray).
_NEEDS_VALUES = (jax.errors.ConcretizationTypeError, jax.errors.TracerArrayConversionError,
                 jax.errors.TracerIntegerConversionError)


def _is_array_leaf(x):
    """Leaves that ``jax.eval_shape`` can trace (NumPy string/object arrays cannot)."""
    if isinstance(x, (np.ndarray, np.generic)):
        return x.dtype.kind not in "OUSV"
    return isinstance(x, (jax.Array, jax.ShapeDtypeStruct))


def _is_concrete_array(x):
    return isinstance(x, (np.ndarray, np.generic)) or (
        isinstance(x, jax.Array) and not isinstance(x, jax.core.Tracer))


def ensure_built(layer, args, kwargs=None, training=False):
    """Builds ``layer`` and every sublayer from the inputs' shapes, once.

    ``args`` and ``kwargs`` are the call's inputs: arrays or
    ``jax.ShapeDtypeStruct``s (only shapes are used).  The call is traced with
    ``jax.eval_shape`` under a structure scope, so every sublayer the call
    reaches builds; a call that needs input values runs once on concrete inputs.

    Args:
        layer: The layer or model to build.
        args: Positional call inputs (arrays or ``jax.ShapeDtypeStruct``).
        kwargs: Keyword call inputs, or ``None``.
        training: The training flag the structure pass calls with.

    Example:
        >>> model = jl.Sequential([jl.layers.Dense(2)])
        >>> ensure_built(model, (jax.ShapeDtypeStruct((1, 3), jnp.float32),))
        >>> [v.shape for v in model.weights]
        [(3, 2), (2,)]
    """
    kwargs = {} if kwargs is None else kwargs
    if layer.__dict__.get("_structure_built") and layer.built:
        return
    leaves, treedef = jax.tree_util.tree_flatten((args, kwargs))
    if not all(_is_array_leaf(leaf) for leaf in leaves):
        # Inputs that cannot be traced (strings, Python objects): build directly.
        with scope_lib.Scope(structure=True, training=training):
            layer.build_from_inputs(calls.convert_inputs(layer, args), kwargs)
    elif not tracking.all_built(layer):
        def run(*arrays):
            a, kw = jax.tree_util.tree_unflatten(treedef, arrays)
            kw = dict(kw)
            mask = kw.pop("mask", None)
            with scope_lib.Scope(structure=True, training=training) as s:
                out, _ = calls.invoke(layer, s, a, kw, training, mask)
            return jax.tree_util.tree_map(
                lambda x: x if _is_array_leaf(x) else None, out)

        try:
            jax.eval_shape(run, *leaves)
        except _NEEDS_VALUES:
            # The call reads input values (Python `if` on them, np.asarray): only
            # concrete inputs can build it, by running it once on them.
            if not all(_is_concrete_array(leaf) for leaf in leaves):
                raise
            run(*leaves)
    layer.__dict__["_structure_built"] = True


def bind_trees(layer, params, state):
    """``(bindings, variables, layer_paths)`` binding every weight to its entry in the trees.

    Args:
        layer: A built layer or model.
        params: The trainable tree (``init``'s first result).
        state: The non-trainable tree, or ``None`` for none.

    Returns:
        ``{id(variable): array}``, ``{id(variable): variable}`` and
        ``{id(layer): path}``, as :class:`~jaxlayers.core.scope.Scope` takes them.

    Raises:
        WeightsError: An entry is missing or of another shape.

    Example:
        >>> layer = jl.layers.Dense(2, name="d")
        >>> params, state = init(layer, jax.random.key(0), (jnp.ones((1, 3)),), {})
        >>> bindings, variables, paths = bind_trees(layer, params, state)
        >>> len(bindings), list(paths.values())
        (2, ['d'])
    """
    bindings, variables = {}, {}
    owner = f"{type(layer).__name__} '{layer.name}'"
    for path, var in tracking.entries(layer):
        what = var.collection
        tree = params if what == "params" else state
        if tree is None:
            tree = {}
        value = tracking.get_path(tree, path, what, owner)
        if tuple(np.shape(value)) != var.shape:
            raise WeightsError(
                f"{owner}: {what} entry '{'/'.join(path)}' has shape "
                f"{tuple(np.shape(value))}, expected {var.shape}."
            )
        bindings[id(var)] = value
        variables[id(var)] = var
    return bindings, variables, tracking.layer_paths(layer)


def run(layer, bindings, variables, paths, args, kwargs, training, key, mask):
    """Runs ``layer``'s call on bound weights: ``(outputs, scope, aux)``.

    Args:
        layer: A built layer or model.
        bindings: ``{id(variable): array}`` (:func:`bind_trees`).
        variables: ``{id(variable): variable}`` (:func:`bind_trees`).
        paths: ``{id(layer): path}`` (:func:`bind_trees`).
        args: As for :func:`apply_with_aux`'s ``inputs``.
        kwargs: As for :func:`apply_with_aux`.
        training: As for :func:`apply_with_aux`.
        key: As for :func:`apply_with_aux`.
        mask: As for :func:`apply_with_aux`.

    Returns:
        The outputs, the scope (its writes hold the new state, see
        :func:`state_tree`) and ``aux``: ``{"losses", "mask", "metrics"}``, the
        losses including the weights' regularization.

    Example:
        >>> layer = jl.layers.Dense(2, name="d")
        >>> x = jnp.ones((1, 3))
        >>> params, state = init(layer, jax.random.key(0), (x,), {})
        >>> outputs, scope, aux = run(layer, *bind_trees(layer, params, state), (x,), {},
        ...                           False, None, None)
        >>> outputs.shape, aux
        ((1, 2), {'losses': [], 'mask': None, 'metrics': {}})
    """
    scope = scope_lib.Scope(bindings, variables, training=training, key=key,
                            layer_paths=paths)
    with scope:
        outputs, out_mask = calls.invoke(layer, scope, args, kwargs, training, mask)
    losses = [value for _, value in scope.losses]
    for vid, var in variables.items():
        if var.regularizer is not None and vid in bindings:
            losses.append(var.regularizer(bindings[vid]))
    aux = {"losses": losses, "mask": out_mask,
           "metrics": {name: value for _, name, value in scope.metrics}}
    return outputs, scope, aux


def state_tree(layer, scope):
    """The new state after a call: each non-trainable weight's last value under ``scope``.

    Args:
        layer: The layer that was called.
        scope: The scope it was called under (:func:`run`'s).

    Returns:
        The state tree, keyed by weight path.

    Example:
        >>> layer = jl.layers.BatchNormalization(momentum=0.5, name="bn")
        >>> x = jnp.full((1, 3), 2.0)
        >>> params, state = init(layer, jax.random.key(0), (x,), {})
        >>> _, scope, _ = run(layer, *bind_trees(layer, params, state), (x,), {},
        ...                   True, None, None)
        >>> state_tree(layer, scope)["bn"]["moving_mean"].tolist()
        [1.0, 1.0, 1.0]
    """
    state = {}
    for path, var in tracking.entries(layer):
        if var.collection == "state":
            tracking.set_path(state, path, scope.current_value(var))
    return state


def _fresh_trees(layer, key):
    params, state = {}, {}
    for path, var in tracking.entries(layer):
        k = jax.random.fold_in(key, scope_lib.stable_hash("/".join(path)))
        tracking.set_path(params if var.collection == "params" else state, path,
                          var.initial_value(k))
    return params, state


def init(layer, key, inputs, kwargs, training=False):
    """``(params, state)``: fresh values, each weight's key folded with its path's hash.

    Under a distribution the trees come back placed by its layout, each value
    made on its devices (``jit`` with ``out_shardings``; inside a caller's
    ``jit``, a sharding constraint).

    Args:
        layer: The layer or model (built here from ``inputs`` if needed).
        key: A ``jax.random.key``.
        inputs: As for :func:`apply_with_aux` (shapes are enough).
        kwargs: As for :func:`apply_with_aux`.
        training: As for :func:`ensure_built`.

    Returns:
        The trainable and the non-trainable trees, keyed by weight path.

    Example:
        >>> params, state = init(jl.layers.Dense(2, name="d"), jax.random.key(0),
        ...                      (jnp.ones((1, 3)),), {})
        >>> jax.tree.map(jnp.shape, params), state
        ({'d': {'bias': (2,), 'kernel': (3, 2)}}, {})
    """
    ensure_built(layer, inputs, kwargs, training)
    make = functools.partial(_fresh_trees, layer)
    dist = distribution_lib.distribution()
    if dist is None:
        return make(key)
    shardings = dist.shardings(*jax.eval_shape(make, key))
    if isinstance(key, jax.core.Tracer):
        return jax.lax.with_sharding_constraint(make(key), shardings)
    return jax.jit(make, out_shardings=shardings)(key)


def apply_with_aux(layer, params, state, inputs, kwargs, training=False, key=None,
                   mask=None):
    """``(outputs, new_state, aux)`` of ``layer`` on the given trees.

    Args:
        layer: The layer or model.
        params: The trainable tree.
        state: The non-trainable tree.
        inputs: Tuple of the call's positional inputs.
        kwargs: Dict of the call's keyword inputs.
        training: Static bool passed to layers whose ``call`` takes ``training``.
        key: ``jax.random.key`` for random layers (dropout), or ``None``.
        mask: Optional mask of the first input.

    Returns:
        The outputs, the new state tree and ``aux`` (see :func:`run`).

    Example:
        >>> layer = jl.layers.BatchNormalization(momentum=0.5, name="bn")
        >>> x = jnp.full((1, 3), 2.0)
        >>> params, state = init(layer, jax.random.key(0), (x,), {})
        >>> y, state, aux = apply_with_aux(layer, params, state, (x,), {}, training=True)
        >>> state["bn"]["moving_variance"].tolist(), aux["losses"]
        ([0.5, 0.5, 0.5], [])
    """
    ensure_built(layer, inputs, kwargs, training)
    bindings, variables, paths = bind_trees(layer, params, state)
    outputs, scope, aux = run(layer, bindings, variables, paths, inputs, kwargs, training,
                              key, mask)
    return outputs, state_tree(layer, scope), aux


def stateless_call(layer, trainable_values, non_trainable_values, args, kwargs,
                   return_losses=False, key=None):
    """Keras's stateless call: weights as lists in the facade's order.

    Args:
        layer: The layer or model.
        trainable_values: One array per ``layer.trainable_variables``.
        non_trainable_values: One array per ``layer.non_trainable_variables``.
        args: Tuple of the call's positional inputs.
        kwargs: Dict of keyword inputs; ``training`` and ``mask`` are taken out.
        return_losses: Also return the losses of the call.
        key: As for :func:`apply_with_aux`.

    Returns:
        ``(outputs, new_non_trainable_values)``, plus the losses with
        ``return_losses=True``.

    Raises:
        WeightsError: The lists do not have one value per weight.

    Example:
        >>> layer = jl.layers.Dense(2)
        >>> outputs, _ = stateless_call(layer, [jnp.ones((3, 2)), jnp.zeros(2)], [],
        ...                             (jnp.ones((1, 3)),), {})
        >>> outputs.tolist()
        [[3.0, 3.0]]
    """
    training = kwargs.pop("training", False)
    mask = kwargs.pop("mask", None)
    ensure_built(layer, args, kwargs, training)
    tv, ntv = layer.trainable_variables, layer.non_trainable_variables
    if len(trainable_values) != len(tv) or len(non_trainable_values) != len(ntv):
        raise WeightsError(
            f"{type(layer).__name__} '{layer.name}': stateless_call expects "
            f"{len(tv)} trainable and {len(ntv)} non-trainable values. Received: "
            f"{len(trainable_values)} and {len(non_trainable_values)}."
        )
    bindings, variables = {}, {}
    for var, value in list(zip(tv, trainable_values)) + list(zip(ntv, non_trainable_values)):
        bindings[id(var)] = value
        variables[id(var)] = var
    outputs, scope, aux = run(layer, bindings, variables, tracking.layer_paths(layer), args,
                              kwargs, training, key, mask)
    new_ntv = [scope.current_value(v) for v in ntv]
    if return_losses:
        return outputs, new_ntv, aux["losses"]
    return outputs, new_ntv


__all__ = ["apply_with_aux", "bind_trees", "ensure_built", "init", "run", "state_tree",
           "stateless_call"]
