"""The weights of a layer: ``add_weight``, the weight lists, and the ``params``/``state`` views.

:class:`LayerWeights` is the part of ``Layer`` that declares and reads weights;
the weights themselves are :class:`~jaxlayers.core.variables.Variable` handles
whose place in the trees :mod:`~jaxlayers.core.tracking` gives.
"""

import inspect
from collections.abc import Sequence
from typing import Any

import jax.numpy as jnp
import numpy as np

from jaxlayers import backend, hooks
from jaxlayers.core import tracking
from jaxlayers.core import variables as variables_lib
from jaxlayers.core.variables import Variable
from jaxlayers.errors import ConfigError, NotBuiltError, ShapeError, WeightsError
from jaxlayers.typing import ArrayLike, DType, Params, State


def resolve(kind, identifier, needed_by):
    """``initializers.get`` (or ``regularizers``/``constraints``) through a hook.

    Those modules sit above core (they register their classes with it); each
    provides its ``get`` as the hook ``"<kind>.get"`` when it is imported.
    Callables need no lookup.

    Args:
        kind: ``"initializers"``, ``"regularizers"`` or ``"constraints"``.
        identifier: A name, config, instance, callable or ``None``.
        needed_by: What needs it, for the error when the module is missing.

    Returns:
        The resolved object, or ``None`` for ``None``.

    Example:
        >>> type(resolve("initializers", "zeros", "demo")).__name__
        'Zeros'
    """
    if identifier is None:
        return None
    if callable(identifier) and not inspect.isclass(identifier):
        return identifier
    return hooks.get(f"{kind}.get", f"jaxlayers.{kind}", needed_by)(identifier)


def weight_listing(layer):
    """``[(variable, copy)]``: what each entry of ``layer.get_weights()`` is.

    ``copy`` is ``None`` for a plain weight.  Weights stacked over the copies of
    one block (``Repeat``: each such weight has the same ``stack_group``) are
    listed copy by copy, the block's whole weight list for copy 0, then copy 1,
    ...: the order of that many separate blocks in Keras.

    Args:
        layer: A built layer or model.

    Example:
        >>> layer = jl.layers.Repeat(jl.layers.Dense(2), 3)
        >>> _ = layer(jnp.ones((1, 2)))
        >>> [(v.name, copy) for v, copy in weight_listing(layer)][:3]
        [('kernel', 0), ('bias', 0), ('kernel', 1)]
    """
    out, weights, i = [], layer.weights, 0
    while i < len(weights):
        group = getattr(weights[i], "stack_group", None)
        j = i + 1
        while group is not None and j < len(weights) and \
                getattr(weights[j], "stack_group", None) is group:
            j += 1
        if group is None:
            out.append((weights[i], None))
        else:
            out.extend((w, c) for c in range(weights[i].shape[0]) for w in weights[i:j])
        i = j
    return out


class LayerWeights:
    """Declaring and reading weights; mixed into ``Layer``.

    ``add_weight`` creates a handle; ``weights``, ``trainable_weights``,
    ``get_weights`` and ``set_weights`` read and write the stored values in
    Keras's order.

    Example:
        >>> layer = jl.layers.Dense(2)
        >>> layer.build((None, 3))
        >>> [w.shape for w in layer.get_weights()]
        [(3, 2), (2,)]
        >>> isinstance(layer, LayerWeights)
        True
    """

    def add_weight(self, shape: Sequence[int] | None = None, initializer: Any = None,
                   dtype: DType = None, trainable: bool = True, autocast: bool = True,
                   regularizer: Any = None, constraint: Any = None, aggregation: str = "none",
                   overwrite_with_gradient: bool = False, name: str | None = None) -> Variable:
        """Creates a weight of this layer and returns its handle.

        Args:
            shape: Shape tuple; ``()`` for a scalar.
            initializer: Initializer object, name (``'glorot_uniform'``) or callable
                ``(shape, dtype)``; default ``'glorot_uniform'`` for floats, ``'zeros'``
                otherwise.
            dtype: Weight dtype; default the layer's variable dtype.
            trainable: ``True`` puts the weight in ``params`` (updated by the
                optimizer), ``False`` in ``state`` (updated by ``call``).
            regularizer: Penalty on the weight, added to the losses.
            constraint: Projection applied after each optimizer update.
            name: Weight name; defaults to the attribute it is assigned to.
        """
        owner = f"{type(self).__name__} '{self.name}'"
        shape = () if shape is None else shape
        if isinstance(shape, int):
            shape = (shape,)
        try:
            shape = tuple(int(d) for d in shape)
        except (TypeError, ValueError) as e:
            raise ShapeError(
                f"{owner}: add_weight needs a fully known shape of ints. "
                f"Received: shape={shape!r}."
            ) from e
        if any(d < 0 for d in shape):
            raise ShapeError(
                f"{owner}: add_weight shape must be non-negative. Received: shape={shape}."
            )
        dtype = jnp.dtype(dtype or self.variable_dtype)
        if initializer is None:
            initializer = "glorot_uniform" if jnp.issubdtype(dtype, jnp.floating) else "zeros"
        needed_by = f"{owner}.add_weight"
        initializer = resolve("initializers", initializer, needed_by)
        auto_named = name is None
        if name is not None and not tracking.is_path_part(name):
            raise ConfigError(
                f"{owner}: add_weight `name` must be a non-empty string usable as a path "
                f"part ({tracking.PATH_PART_RULE}). Received: name={name!r}."
            )
        if name is None:
            taken = {v.name for v in self._own_vars}
            name, i = "variable", 1
            while name in taken:
                name, i = f"variable_{i}", i + 1
        var = Variable(
            name=name,
            shape=shape,
            dtype=dtype,
            initializer=initializer,
            trainable=trainable,
            regularizer=resolve("regularizers", regularizer, needed_by),
            constraint=resolve("constraints", constraint, needed_by),
            owner=self,
            init_key=backend.next_eager_key(),
            autocast=autocast,
            auto_named=auto_named,
        )
        self._own_vars.append(var)
        tracking.bump()
        return var

    def add_variable(self, shape: Sequence[int] | None, initializer: Any, dtype: DType = None,
                     trainable: bool = True, autocast: bool = True, regularizer: Any = None,
                     constraint: Any = None, name: str | None = None) -> Variable:
        """Keras 3's other spelling of :meth:`add_weight` (``shape`` and ``initializer`` first).

        Example:
            >>> layer = jl.layers.Layer()
            >>> v = layer.add_variable((2,), "ones", trainable=False, name="count")
            >>> v.path, layer.non_trainable_variables[0] is v
            ('layer/count', True)
        """
        return self.add_weight(shape=shape, initializer=initializer, dtype=dtype,
                               trainable=trainable, autocast=autocast, regularizer=regularizer,
                               constraint=constraint, name=name)

    @property
    def weights(self):
        """All weights: own trainable-declared, own others, then sublayers' (Keras order)."""
        return [var for _, var in tracking.entries(self)]

    @property
    def variables(self):
        return self.weights

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return [v for v in self.weights if v.trainable]

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return self.weights
        return [v for v in self.weights if not v.trainable]

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    def check_built(self, what):
        """Raises ``NotBuiltError`` naming ``what`` (e.g. ``"params"``) if the layer is unbuilt."""
        if not self.built:
            raise NotBuiltError(
                f"{type(self).__name__} '{self.name}' isn't built yet, so it has no "
                f"{what}. Call it on data (layer(x)), call layer.build(input_shape), or "
                f"layer.init(key, x) first."
            )

    def _check_weights_exist(self, what):
        # Weights made in __init__ exist before build; a Sequential grown with add()
        # is unbuilt but its layers' weights are real.  Only "nothing yet" is an error.
        if not self.built and not tracking.entries(self):
            self.check_built(what)

    def _materialize_all(self):
        variables_lib.materialize_all([v for _, v in tracking.entries(self)])

    def get_weights(self) -> list[np.ndarray]:
        """NumPy copies of the weights, in Keras's order (see :func:`weight_listing`)."""
        self._check_weights_exist("weights")
        self._materialize_all()
        listing = weight_listing(self)
        if variables_lib.lending():  # one step's values while a fit in another thread runs
            with variables_lib.holding(v for v, _ in listing):
                return _numpy(listing)
        return _numpy(listing)

    def set_weights(self, weights: Sequence[ArrayLike]) -> None:
        """Sets the weights from NumPy arrays in ``get_weights`` order (all or nothing)."""
        self._check_weights_exist("weights")
        listing = weight_listing(self)
        weights = list(weights)
        if len(weights) != len(listing):
            raise WeightsError(
                f"{type(self).__name__} '{self.name}': set_weights expects a list of "
                f"{len(listing)} arrays ({[v.name for v, _ in listing]}). Received: a list "
                f"of {len(weights)} arrays."
            )
        updates, stacked = [], {}
        for (var, copy), value in zip(listing, weights):
            shape = tuple(np.shape(value))
            expected = var.shape if copy is None else var.shape[1:]
            if shape != expected:
                where = "" if copy is None else f" (copy {copy})"
                raise WeightsError(
                    f"{type(self).__name__} '{self.name}': weight '{var.path}'{where} expects "
                    f"shape {expected}. Received: an array of shape {shape}."
                )
            if copy is None:
                updates.append((var, value))
            else:
                stacked.setdefault(id(var), (var, []))[1].append(value)
        updates.extend((var, np.stack(values)) for var, values in stacked.values())
        for var, value in updates:
            var.assign(value)  # converts and casts what needs it

    def count_params(self) -> int:
        """The number of scalars in all weights."""
        if not self.built:
            raise NotBuiltError(
                f"You tried to call count_params on {type(self).__name__} '{self.name}', "
                "but the layer isn't built. Build it first: call it on data or call "
                "layer.build(input_shape)."
            )
        return int(sum(v.size for v in self.weights))

    # --- pytree views of the facade's values ---------------------------------------
    def _stored_trees(self):
        self._materialize_all()
        entries = tracking.entries(self)
        if variables_lib.lending():  # one step's values while a fit in another thread runs
            with variables_lib.holding(var for _, var in entries):
                return _trees(entries)
        return _trees(entries)

    @property
    def params(self):
        """The facade's trainable-declared weights as a nested dict (see ``init``)."""
        self._check_weights_exist("params")
        return self._stored_trees()[0]

    @params.setter
    def params(self, tree):
        self.set_params(tree)

    @property
    def state(self):
        """The facade's non-trainable-declared weights as a nested dict."""
        self._check_weights_exist("state")
        return self._stored_trees()[1]

    @state.setter
    def state(self, tree):
        self.set_params(None, tree)

    def set_params(self, params: Params | None = None, state: State | None = None) -> None:
        """Assigns ``params`` and/or ``state`` trees back to the facade (checked, atomic)."""
        entries = tracking.entries(self)
        if not entries and any(tracking.flat_paths(t) for t in (params, state) if t):
            self.check_built("weights to assign")
        updates = []
        for tree, what in ((params, "params"), (state, "state")):
            if tree is None:
                continue
            expected = {path: var for path, var in entries if var.collection == what}
            given = tracking.flat_paths(tree)
            missing = sorted("/".join(p) for p in expected if p not in given)
            extra = sorted("/".join(p) for p in given if p not in expected)
            if missing or extra:
                raise WeightsError(
                    f"{type(self).__name__} '{self.name}': the {what} tree does not match "
                    f"the layer. Missing: {missing}. Unexpected: {extra}."
                )
            for path, var in expected.items():
                value = given[path]
                if tuple(np.shape(value)) != var.shape:
                    raise WeightsError(
                        f"{type(self).__name__} '{self.name}': {what} entry '{'/'.join(path)}' "
                        f"expects shape {var.shape}. Received: shape {tuple(np.shape(value))}."
                    )
                updates.append((var, value))
        for var, value in updates:
            var.assign(value)  # converts and casts what needs it


def _trees(entries):
    params, state = {}, {}
    for path, var in entries:
        tracking.set_path(params if var.collection == "params" else state, path,
                          var.materialize())
    return params, state


def _numpy(listing):
    return [v.numpy() if c is None else v.numpy()[c] for v, c in listing]


__all__ = ["LayerWeights", "resolve", "weight_listing"]
