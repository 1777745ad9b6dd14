"""The ``Layer`` facade: Keras's stateful API over a pure ``init``/``apply`` pair.

A layer is written once, Keras style: ``__init__`` for config, ``build`` for
weights (``add_weight``), ``call`` for the math.  From that, every layer gets

* ``params, state = layer.init(key, *inputs)``
* ``outputs, state = layer.apply(params, state, *inputs, training=False, key=None, mask=None)``
* ``outputs, state, aux = layer.apply_with_aux(...)`` (``aux["losses"]``, ``aux["mask"]``)
* ``layer.stateless_call(trainable_variables, non_trainable_variables, *inputs)``

and the facade: ``layer(x)``, ``weights``, ``get_weights``/``set_weights``,
``params``/``state``, ``get_config``, ``losses``.  A facade call is ``apply``
on the facade's own values, so the two always agree.

Choices recorded here:

* Inside ``call`` a weight attribute is a plain ``jax.Array``, so it has no
  ``.assign()``; state is updated by assigning the attribute
  (``self.count = self.count + 1``).  Calling ``.assign`` on it raises a
  ``StateError`` saying so; the ``Variable`` handles in ``self.weights`` still
  accept ``.assign`` inside ``call``.
* ``weights`` of an unbuilt layer is ``[]`` (as in Keras), while
  ``get_weights``, ``set_weights``, ``params`` and ``state`` raise
  ``NotBuiltError`` when the layer is unbuilt and has no weights yet (weights
  made in ``__init__`` are readable before the first call).
* Config errors raised while a layer is constructed (an unknown activation or
  initializer name, ...) are re-raised naming the layer and the argument.
* A facade call on concrete inputs runs ``call`` eagerly, op by op, as Keras 3
  does: Python that reads values works, and sublayers build when the call
  reaches them.  ``init``/``apply`` build by tracing (``jax.eval_shape``), and
  fall back to one concrete run when the call needs values and the inputs have
  them.
* A facade call under a JAX transform (``jit``, ``grad``, ``vmap`` around
  ``layer(x)``) returns its outputs and stores nothing: state, losses and
  metrics keep their values, so the layer never holds a tracer.  It still
  advances the layer's Python call counter, so each traced call draws its own
  random key.
* Eager facade calls of one layer run one at a time (a lock per called layer),
  so concurrent calls from several threads lose no state update.
* Masks: ``sublayer(x, mask=m)`` reaches the sublayer's ``call(mask=...)``;
  ``sublayer.call_with_mask(x, mask=m)`` also returns the output mask; a
  composite declares its own output mask with ``self.set_output_mask(m)``.

This module holds the class (attributes, properties, build, calling, config); the
machinery lives beside it: :mod:`~jaxlayers.core.weights` (``add_weight`` and the
weight views, mixed in), :mod:`~jaxlayers.core.calls` (one call under a scope),
:mod:`~jaxlayers.core.pure` (init and apply), :mod:`~jaxlayers.core.eager` (the
facade call), :mod:`~jaxlayers.core.tracking` (trees of weights),
:mod:`~jaxlayers.core.config` (automatic configs) and :mod:`~jaxlayers.core.graph`
(symbolic calls).  docs/architecture.md follows one call through them.
"""

import functools
import weakref
from typing import Any

import jax
import jax.numpy as jnp

from jaxlayers import backend
from jaxlayers.core import calls, eager, graph, pure, tracking
from jaxlayers.core import config as config_lib
from jaxlayers.core import dtype_policy as dtype_policy_lib
from jaxlayers.core import remat as remat_lib
from jaxlayers.core import scope as scope_lib
from jaxlayers.core.naming import to_snake_case
from jaxlayers.core.serialization import register_builtin
from jaxlayers.core.variables import Variable
from jaxlayers.core.weights import LayerWeights, resolve
from jaxlayers.errors import ConfigError, ConfigTypeError, StateError
from jaxlayers.typing import Array, ArrayLike, Params, PRNGKey, PyTree, Shape, State

_BASE_KWARGS = ("input_shape", "input_dim", "batch_size", "batch_input_shape", "weights",
                "input_dtype")


class Layer(LayerWeights, tracking.Trackable):
    """Base class of every layer: config in ``__init__``, weights in ``build``, math in ``call``.

    Args:
        activity_regularizer: Regularizer applied to the outputs; its value is
            added to the losses.
        trainable: Whether the layer's weights are updated by training.
        dtype: Dtype or dtype policy name (``'float32'``, ``'mixed_bfloat16'``);
            ``None`` uses ``jl.backend.floatx()``.
        autocast: Cast floating inputs (and weights, under a mixed policy) to the
            compute dtype.
        name: Layer name; unique automatic names (``dense``, ``dense_1``, ...) when ``None``.
        input_shape / input_dim / batch_size: Let a ``Sequential`` model build
            from its first layer, as in Keras (``declared_input_shape``).

    Example:
        >>> class Linear(jl.layers.Layer):
        ...     def __init__(self, units, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.units = units
        ...     def build(self, input_shape):
        ...         self.w = self.add_weight(shape=(input_shape[-1], self.units))
        ...     def call(self, x):
        ...         return jnp.matmul(x, self.w)
        >>> layer = Linear(4, name="linear")
        >>> params, state = layer.init(jax.random.key(0), jnp.zeros((2, 3)))
        >>> jax.tree.map(jnp.shape, params)
        {'linear': {'w': (3, 4)}}
    """

    supports_masking = False
    # Layers whose eager call checks concrete input values (ids outside a table or a
    # vocabulary) set this to True: their facade calls, and those of any model holding
    # them, run op by op, never through a compiled call that would see only tracers.
    checks_values_eagerly = False
    # Built-in layers whose math is real-only (comparisons, casts to a float
    # dtype, statistics) set this to False: complex inputs are then refused by
    # name instead of losing their imaginary part.  User layers keep True.
    supports_complex_inputs = True
    # A namespace root (a model) keys its params tree by its layers' names, not by
    # its own name, so renaming a model never changes its weights' paths.
    is_namespace_root = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "build" in cls.__dict__ and not getattr(cls.__dict__["build"], "_jl_wrapped", False):
            cls.build = _wrap_build(cls.__dict__["build"])
        if "__init__" in cls.__dict__ and not getattr(cls.__dict__["__init__"], "_jl_wrapped",
                                                      False):
            cls.__init__ = config_lib.wrap_init(cls.__dict__["__init__"])

    def __new__(cls, *args, **kwargs):
        obj = object.__new__(cls)
        d = obj.__dict__
        d["_weights_attr"] = {}
        d["_own_vars"] = []
        d["_built"] = False
        d["_structure_built"] = False
        d["_eager_losses"] = []
        d["_eager_metrics"] = {}
        d["_parent"] = None
        d["_facade_key"] = None
        d["_facade_calls"] = 0
        d["_build_shapes"] = None
        d["_initial_weights"] = None
        d["_batch_input_shape"] = None
        # Keras: the RematScope active at construction decides, not the one at call time.
        d["_remat_mode"] = remat_lib.current_mode()
        d["_auto_config"] = config_lib.capture_init_args(cls, obj, args, kwargs, Layer.__init__)
        return obj

    def __init__(self, *, activity_regularizer=None, trainable=True, dtype=None,
                 autocast=True, name=None, **kwargs):
        unknown = {k: v for k, v in kwargs.items() if k not in _BASE_KWARGS}
        if unknown:
            raise ConfigTypeError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: {unknown}. "
                f"Check the argument names against the layer's documentation."
            )
        if name is None:
            name = backend.unique_name(to_snake_case(type(self).__name__))
        elif not tracking.is_path_part(name):
            raise ConfigError(
                f"{type(self).__name__}: `name` must be a non-empty string usable as a path "
                f"part ({tracking.PATH_PART_RULE}). Received: name={name!r}."
            )
        self._name = name
        self._trainable = bool(trainable)
        self._dtype_policy = dtype_policy_lib.get(dtype)
        self.autocast = bool(autocast)
        self.activity_regularizer = resolve("regularizers", activity_regularizer,
                                             f"{type(self).__name__} '{name}'")
        self.input_spec = None
        input_shape = kwargs.get("input_shape")
        if input_shape is None and kwargs.get("input_dim") is not None:
            input_shape = (kwargs["input_dim"],)
        batch_input_shape = kwargs.get("batch_input_shape")
        if batch_input_shape is None and input_shape is not None:
            batch_input_shape = (kwargs.get("batch_size"),) + tuple(input_shape)
        self._batch_input_shape = (
            tuple(batch_input_shape) if batch_input_shape is not None else None
        )
        self._input_dtype = kwargs.get("input_dtype")
        self._initial_weights = kwargs.get("weights")

    # ------------------------------------------------------------------ attributes
    def __setattr__(self, name, value):
        d = self.__dict__
        weights_attr = d.get("_weights_attr")
        if isinstance(value, Variable):
            if value._auto_named and name not in {v.name for v in d.get("_own_vars", ())}:
                value.name = name
                value._auto_named = False
            if weights_attr is not None:
                weights_attr[name] = value
                if not any(v is value for v in d["_own_vars"]) and value.owner is None:
                    value._owner = weakref.ref(self)
                    d["_own_vars"].append(value)
                    tracking.bump()
            d.pop(name, None)
            return
        if weights_attr and name in weights_attr:
            if value is None or isinstance(value, Layer) or not hasattr(value, "shape") and \
                    not isinstance(value, (int, float)):
                del weights_attr[name]
            else:
                var = weights_attr[name]
                var.assign(value)
                return
        if isinstance(value, Layer) or (
            isinstance(value, (list, tuple, dict)) and tracking.flatten_layers(value)
        ):
            for child in tracking.flatten_layers(value):
                if child.__dict__.get("_parent") is None and child is not self:
                    child.__dict__["_parent"] = weakref.ref(self)
            d["_structure_built"] = False
            tracking.bump()
        elif d.get("_built") and scope_lib.current() is None:
            eager.attributes_changed(self, name)
        object.__setattr__(self, name, value)

    def __getattr__(self, name):
        # Only reached when normal lookup fails: weights assigned as attributes.
        weights_attr = self.__dict__.get("_weights_attr")
        if weights_attr is not None and name in weights_attr:
            var = weights_attr[name]
            scope = scope_lib.current()
            if scope is not None and scope.binds(var):
                return scope.read(var, jnp.dtype(self.compute_dtype))
            return var
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"

    # ------------------------------------------------------------------ properties
    @property
    def name(self):
        return self.__dict__.get("_name") or to_snake_case(type(self).__name__)

    @property
    def path(self):
        """This layer's path in the params tree of the outermost layer tracking it."""
        parent_ref = self.__dict__.get("_parent")
        parent = parent_ref() if parent_ref is not None else None
        if parent is None:
            return "" if self.is_namespace_root else self.name
        prefix = parent.path
        return f"{prefix}/{self.name}" if prefix else self.name

    @property
    def built(self):
        return self.__dict__.get("_built", False)

    @built.setter
    def built(self, value):
        self.__dict__["_built"] = bool(value)
        if not value:
            self.__dict__["_structure_built"] = False

    @property
    def trainable(self):
        return self.__dict__.get("_trainable", True)

    @trainable.setter
    def trainable(self, value):
        value = bool(value)
        self.__dict__["_trainable"] = value
        for var in self._own_vars:
            if var.collection == "params":
                var.trainable = value
        for layer in self.tracked_sublayers():
            layer.trainable = value

    @property
    def dtype_policy(self):
        policy = self.__dict__.get("_dtype_policy")
        return dtype_policy_lib.get(None) if policy is None else policy

    @dtype_policy.setter
    def dtype_policy(self, value):
        policy = dtype_policy_lib.get(value)
        current = self.__dict__.get("_dtype_policy")
        if isinstance(current, dtype_policy_lib.DTypePolicyMap) and self.path:
            # Keras: a layer whose policy is a map changes its own entry only.
            if self.path in current:
                del current[self.path]
            current[self.path] = policy
        else:
            self.__dict__["_dtype_policy"] = policy

    @property
    def _own_policy(self):
        """The single policy this layer follows (its entry when its policy is a map)."""
        policy = self.dtype_policy
        if isinstance(policy, dtype_policy_lib.DTypePolicyMap):  # path walks the parents
            path = self.path
            return policy[path] if path else policy.default_policy
        return policy

    @property
    def remat_mode(self):
        """The layer's rematerialization mode (a ``RematMode``), or ``None``.

        Taken from the ``RematScope`` active when the layer was constructed; assign
        a mode name (``"full"``), a ``RematScope`` or ``None`` to change it for this
        layer alone (``jl.RematScope(...).apply(model)`` changes a whole model).
        """
        return self.__dict__.get("_remat_mode")

    @remat_mode.setter
    def remat_mode(self, value):
        self.__dict__["_remat_mode"] = remat_lib.as_mode(f"{type(self).__name__} '{self.name}'",
                                                         value)

    @property
    def dtype(self):
        """The dtype of the layer's weights (Keras: the variable dtype)."""
        return self.variable_dtype

    @property
    def compute_dtype(self):
        return self._own_policy.compute_dtype

    @property
    def variable_dtype(self):
        return self._own_policy.variable_dtype

    @property
    def input_dtype(self):
        return self.compute_dtype

    @property
    def declared_input_shape(self):
        """The batch input shape given as ``input_shape=``/``batch_input_shape=``, or ``None``.

        A ``Sequential`` model builds from its first layer's declared shape.
        """
        return self.__dict__.get("_batch_input_shape")

    @property
    def declared_input_dtype(self):
        """The ``input_dtype=`` given to the constructor, or ``None``."""
        return self.__dict__.get("_input_dtype")

    # ------------------------------------------------------------------ tracking
    def tracked_sublayers(self):
        """The sublayers whose weights belong to this layer's tree, in order.

        By default every layer found in an attribute (directly, or in a list,
        tuple or dict), in the order the attributes were assigned.  Override it
        when a layer keeps its sublayers where attributes cannot show them.
        """
        seen, out = set(), []
        for key, value in self.__dict__.items():
            if key in tracking.INTERNAL_ATTRIBUTES:
                continue
            for layer in tracking.flatten_layers(value):
                if layer is not self and id(layer) not in seen:
                    seen.add(id(layer))
                    out.append(layer)
        return out

    @property
    def layers(self):
        """Directly tracked sublayers, in the order they were assigned."""
        return self.tracked_sublayers()

    # ------------------------------------------------------------------ build
    def build(self, input_shape: Shape | None = None) -> None:
        """Creates the layer's weights from the first input's shape (override me)."""
        self.built = True
        tracking.bump()

    def build_from_inputs(self, args, kwargs):
        """Builds this layer (not its sublayers) from a call's inputs, if it is unbuilt.

        ``build`` receives the first input's shape, or ``<arg>_shape`` keywords for
        a ``build`` that names several.  Override it to remember more of the
        inputs than their shapes (call ``super().build_from_inputs`` after).
        """
        if self.built:
            return
        pos, named = calls.build_args(self, args, kwargs)
        self._build_shapes = {"pos": pos, "named": named}
        self.build(*pos, **named)
        self.built = True
        if self._initial_weights is not None:
            weights, self._initial_weights = self._initial_weights, None
            self.set_weights(weights)

    def ensure_built(self, *inputs: Any, training: bool = False, **kwargs: Any) -> None:
        """Builds this layer and every sublayer for inputs like ``inputs`` (shapes only).

        ``inputs`` may be arrays or ``jax.ShapeDtypeStruct``s; a layer already
        built for a call is left as it is.  ``init`` and ``apply`` do this first.
        """
        pure.ensure_built(self, inputs, kwargs, training)

    def get_build_config(self) -> dict[str, Any] | None:
        if self._build_shapes is None:
            return None
        return {"input_shape": config_lib.jsonable(self._build_shapes)}

    @config_lib.default_method
    def build_from_config(self, config: dict[str, Any] | None) -> None:
        if not config:
            return
        shapes = config["input_shape"]
        pos = [config_lib.as_shape(s) for s in shapes.get("pos", [])]
        named = {k: config_lib.as_shape(v) for k, v in shapes.get("named", {}).items()}
        self._build_shapes = {"pos": pos, "named": named}
        self.build(*pos, **named)

    # ------------------------------------------------------------------ calling
    def call(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} must implement call(self, inputs, ...)."
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if graph.any_symbolic(args, kwargs):
            return graph.symbolic_call(self, args, kwargs)
        scope = scope_lib.current()
        if scope is None:
            return eager.call(self, args, kwargs)[0]
        training = kwargs.pop("training", None)
        mask = kwargs.pop("mask", None)
        return calls.invoke(self, scope, args, kwargs, training, mask)[0]

    def call_with_mask(self, *args: Any, mask: Any = None, training: bool | None = None,
                       **kwargs: Any) -> tuple[Any, Any]:
        """Calls the layer like ``layer(...)`` and returns ``(outputs, output_mask)``.

        How a composite layer passes masks between its sublayers: the mask given
        here reaches the sublayer's ``call(mask=...)``, and the output mask is
        what the sublayer declared (``set_output_mask``) or computed
        (``compute_mask``), ``None`` for a layer that does not mask.

        Example:
            >>> embed = jl.layers.Embedding(10, 2, mask_zero=True)
            >>> y, mask = embed.call_with_mask(jnp.array([[3, 0]]))
            >>> mask
            Array([[ True, False]], dtype=bool)
        """
        if graph.any_symbolic(args, kwargs):
            raise ConfigTypeError(
                f"{type(self).__name__} '{self.name}': call_with_mask runs on arrays. On "
                "jl.Input tensors call the layer itself: a Functional model carries masks "
                "along its edges."
            )
        scope = scope_lib.current()
        if scope is None:
            return eager.call(self, args, dict(kwargs, training=training, mask=mask))
        return calls.invoke(self, scope, args, kwargs, training, mask)

    def set_output_mask(self, mask: Any) -> None:
        """Declares ``mask`` as the output mask of this layer's running call.

        Call it inside ``call`` when the output mask is known only there (a
        composite layer passing on its last sublayer's mask); it takes precedence
        over ``compute_mask``.
        """
        scope = scope_lib.current()
        if scope is None:
            raise StateError(
                f"{type(self).__name__} '{self.name}': set_output_mask declares the mask of "
                "the layer's own running call, so call it inside that layer's call()."
            )
        scope.set_output_mask(self, mask)

    @config_lib.default_method
    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The output mask; by default the input mask passes through if masking is supported."""
        return mask if self.supports_masking else None

    def next_key(self) -> PRNGKey:
        """A fresh ``jax.random`` key for this layer's current call.

        Derived from the key given to ``apply`` (or the facade's own key), folded
        with a stable hash of this layer's path and a per-call counter.
        """
        scope = scope_lib.current()
        if scope is None:
            return backend.next_eager_key()
        return scope.next_key(self)

    # --- the pure pair -------------------------------------------------------------
    def init(self, key: PRNGKey, *inputs: Any, training: bool = False,
             **kwargs: Any) -> tuple[Params, State]:
        """Pure: builds the layer from the inputs' shapes and returns ``(params, state)``.

        ``inputs`` may be arrays or ``jax.ShapeDtypeStruct``s; only shapes are
        used.  Each weight gets its own key: ``key`` folded with a stable hash of
        the weight's path.  Jittable (``jax.jit(layer.init)``, with
        ``out_shardings`` to create sharded params).
        """
        return pure.init(self, key, inputs, kwargs, training)

    def apply_with_aux(self, params: Params, state: State, *inputs: Any, training: bool = False,
                       key: PRNGKey | None = None, mask: Any = None,
                       **kwargs: Any) -> tuple[PyTree, State, dict[str, Any]]:
        """Pure: ``(outputs, new_state, aux)``; ``aux`` has ``losses``, ``mask``, ``metrics``."""
        return pure.apply_with_aux(self, params, state, inputs, kwargs, training, key, mask)

    def apply(self, params: Params, state: State, *inputs: Any, training: bool = False,
              key: PRNGKey | None = None, mask: Any = None,
              **kwargs: Any) -> tuple[PyTree, State]:
        """Pure: ``(outputs, new_state)``, always two values (``new_state`` may be ``{}``).

        Args:
            params: The trainable-declared weights, as returned by ``init``.
            state: The non-trainable weights, as returned by ``init``.
            *inputs: The call's positional inputs.
            training: Static bool passed to every nested ``call`` that takes it.
            key: A ``jax.random.key`` for random layers in training mode.
            mask: Optional mask for the first input.
        """
        outputs, new_state, _ = self.apply_with_aux(
            params, state, *inputs, training=training, key=key, mask=mask, **kwargs
        )
        return outputs, new_state

    def stateless_call(self, trainable_variables: list[Array],
                       non_trainable_variables: list[Array], *args: Any,
                       return_losses: bool = False, key: PRNGKey | None = None,
                       **kwargs: Any) -> tuple[Any, ...]:
        """Keras's stateless call: weights given as lists in the facade's order.

        Returns ``(outputs, non_trainable_variables)`` (and the losses when
        ``return_losses=True``), leaving the facade untouched.
        """
        return pure.stateless_call(self, trainable_variables, non_trainable_variables, args,
                                   kwargs, return_losses, key)

    # ------------------------------------------------------------------ losses
    def add_loss(self, loss: ArrayLike) -> None:
        """Adds a scalar loss: collected by ``apply_with_aux`` and included by ``fit``."""
        scope = scope_lib.current()
        if scope is not None:
            if not scope.structure:
                scope.add_loss(self, loss)
            return
        self.__dict__["_eager_losses"].append(loss)

    def add_metric(self, value, name=None):
        """Records a named scalar metric; ``fit`` reports its mean per epoch."""
        name = name or f"{self.name}_metric"
        scope = scope_lib.current()
        if scope is not None:
            if not scope.structure:
                scope.add_metric(self, name, value)
            return
        self.__dict__["_eager_metrics"][name] = value

    @property
    def losses(self):
        """Losses of the last eager call (``add_loss``) plus weight-regularizer penalties."""
        out = []
        for layer in tracking.flatten(self):
            out.extend(layer.__dict__.get("_eager_losses", []))
        for var in self.weights:
            if var.regularizer is not None:
                out.append(var.regularizer(var.value))
        return out

    @property
    def metrics_values(self):
        out = {}
        for layer in tracking.flatten(self):
            out.update(layer.__dict__.get("_eager_metrics", {}))
        return out

    # ------------------------------------------------------------------ shapes
    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        """Output ``jax.ShapeDtypeStruct``s for inputs given as specs (``None`` dims allowed)."""
        specs = jax.tree_util.tree_map(
            lambda x: graph.SymbolicTensor(x.shape, x.dtype) if hasattr(x, "shape") else x,
            args)
        return graph.compute_output_spec(self, specs, kwargs)

    @config_lib.default_method
    def compute_output_shape(self, input_shape: Shape, *more_shapes: Shape) -> Any:
        """The output shape for ``input_shape`` (``None`` for unknown sizes)."""
        specs = [graph.shape_to_spec(s, self.compute_dtype) for s in
                 (input_shape,) + more_shapes]
        out = graph.compute_output_spec(self, specs, {})
        return jax.tree_util.tree_map(
            lambda s: tuple(s.shape), out, is_leaf=lambda s: hasattr(s, "shape"))

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict[str, Any]:
        """A JSON-friendly dict from which ``from_config`` rebuilds the layer."""
        config = {}
        auto = self.__dict__.get("_auto_config")
        if type(self).get_config is Layer.get_config:
            if auto is None:
                raise NotImplementedError(
                    f"{type(self).__name__} takes constructor arguments that are not plain "
                    "values, so it needs its own get_config() returning them (call "
                    "super().get_config() and update it)."
                )
            config.update(auto)
        config.update({
            "name": self.name,
            "trainable": self.trainable,
            "dtype": dtype_policy_lib.serialize(self.dtype_policy),
        })
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = list(self._batch_input_shape)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "batch_input_shape" in config and config["batch_input_shape"] is not None:
            config["batch_input_shape"] = tuple(config["batch_input_shape"])
        return cls(**config)


def _wrap_build(build):
    """Makes any ``build`` run eagerly on shapes and mark the layer built afterwards."""

    @functools.wraps(build)
    def wrapper(self, *args, **kwargs):
        if self.__dict__.get("_build_shapes") is None:
            self.__dict__["_build_shapes"] = {"pos": list(args), "named": dict(kwargs)}
        with jax.ensure_compile_time_eval():
            result = build(self, *args, **kwargs)
        self.built = True
        tracking.bump()
        return result

    wrapper._jl_wrapped = True
    return wrapper


register_builtin("layers")(Layer)

__all__ = ["Layer", "to_snake_case"]
