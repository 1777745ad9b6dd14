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
"""

import functools
import inspect
import re
import threading
import weakref

import jax
import jax.numpy as jnp
import numpy as np

from jaxlayers import backend
from jaxlayers.core import dtype_policy as dtype_policy_lib
from jaxlayers.core import scope as scope_lib
from jaxlayers.core import tracking
from jaxlayers.core.input_spec import assert_input_compatibility
from jaxlayers.core.serialization import register_builtin
from jaxlayers.core.variables import Variable
from jaxlayers.errors import (
    ConfigError,
    ConfigTypeError,
    DTypeError,
    NotBuiltError,
    SerializationError,
    ShapeError,
    StateError,
    WeightsError,
)

_BASE_KWARGS = ("input_shape", "input_dim", "batch_size", "batch_input_shape", "weights",
                "input_dtype")
_JSON_TYPES = (str, int, float, bool, type(None))
_ASSIGN_ON_ARRAY = re.compile(r"(Tracer|ArrayImpl|Array).*attribute '?assign(_add|_sub)?'?")
# Errors of a call that needs concrete values (Python control flow on them, np.asarray).
_NEEDS_VALUES = (jax.errors.ConcretizationTypeError, jax.errors.TracerArrayConversionError,
                 jax.errors.TracerIntegerConversionError)
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


def _is_concrete_array(x):
    return isinstance(x, (np.ndarray, np.generic)) or (
        isinstance(x, jax.Array) and not isinstance(x, jax.core.Tracer))


def to_snake_case(name):
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _is_plain(value):
    if isinstance(value, _JSON_TYPES):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    return False


def _shape_of(x):
    if x is None:
        return None
    if isinstance(x, (list, tuple)):
        return type(x)(_shape_of(v) for v in x) if not hasattr(x, "shape") else tuple(x.shape)
    if isinstance(x, dict):
        return {k: _shape_of(v) for k, v in x.items()}
    shape = getattr(x, "shape", None)
    if shape is None:
        return tuple(np.shape(x))
    return tuple(shape)


def _is_array_leaf(x):
    """Leaves that ``jax.eval_shape`` can trace (NumPy string/object arrays cannot)."""
    if isinstance(x, (np.ndarray, np.generic)):
        return x.dtype.kind not in "OUSV"
    return isinstance(x, (jax.Array, jax.ShapeDtypeStruct))


class Layer:
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
            from its first layer, as in Keras.

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
    # Built-in layers whose math is real-only (comparisons, casts to a float
    # dtype, statistics) set this to False: complex inputs are then refused by
    # name instead of losing their imaginary part.  User layers keep True.
    supports_complex_inputs = True
    _is_namespace_root = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "build" in cls.__dict__ and not getattr(cls.__dict__["build"], "_jl_wrapped", False):
            cls.build = _wrap_build(cls.__dict__["build"])
        if "__init__" in cls.__dict__ and not getattr(cls.__dict__["__init__"], "_jl_wrapped",
                                                      False):
            cls.__init__ = _wrap_init(cls.__dict__["__init__"])

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
        d["_auto_config"] = _capture_init_args(cls, obj, args, kwargs)
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
        from jaxlayers import regularizers

        self.activity_regularizer = regularizers.get(activity_regularizer)
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
            return "" if self._is_namespace_root else self.name
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
            if var._in_params:
                var.trainable = value
        for layer in self._sublayers():
            layer.trainable = value

    @property
    def dtype_policy(self):
        return self.__dict__.get("_dtype_policy") or dtype_policy_lib.get(None)

    @dtype_policy.setter
    def dtype_policy(self, value):
        self.__dict__["_dtype_policy"] = dtype_policy_lib.get(value)

    @property
    def dtype(self):
        """The dtype of the layer's weights (Keras: the variable dtype)."""
        return self.dtype_policy.variable_dtype

    @property
    def compute_dtype(self):
        return self.dtype_policy.compute_dtype

    @property
    def variable_dtype(self):
        return self.dtype_policy.variable_dtype

    @property
    def input_dtype(self):
        return self.compute_dtype

    # ------------------------------------------------------------------ tracking
    def _sublayers(self):
        seen, out = set(), []
        for key, value in self.__dict__.items():
            if key in ("_parent", "_weights_attr", "_own_vars", "_auto_config",
                       "_layers_cache"):
                continue
            for layer in tracking.flatten_layers(value):
                if layer is not self and id(layer) not in seen:
                    seen.add(id(layer))
                    out.append(layer)
        return out

    @property
    def layers(self):
        """Directly tracked sublayers, in the order they were assigned."""
        return self._sublayers()

    def _flatten_layers(self, include_self=True):
        # Cached like _entries: every eager call walks the tree to reset losses, and a
        # fresh walk visits every attribute of every layer.
        cache = self.__dict__.get("_layers_cache")
        if cache is None or cache[0] != tracking.version():
            out, seen = [], set()

            def visit(layer):
                if id(layer) in seen:
                    return
                seen.add(id(layer))
                out.append(layer)
                for child in layer._sublayers():
                    visit(child)

            visit(self)
            cache = self.__dict__["_layers_cache"] = (tracking.version(), out)
        return list(cache[1]) if include_self else cache[1][1:]

    def _entries(self):
        cache = self.__dict__.get("_entries_cache")
        if cache is not None and cache[0] == tracking.version():
            return cache[1], cache[2]
        entries, paths = tracking.walk(self)
        self.__dict__["_entries_cache"] = (tracking.version(), entries, paths)
        return entries, paths

    def _all_built(self):
        return all(layer.built for layer in self._flatten_layers())

    # ------------------------------------------------------------------ weights
    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True,
                   autocast=True, regularizer=None, constraint=None, aggregation="none",
                   overwrite_with_gradient=False, name=None):
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
        from jaxlayers import constraints, initializers, regularizers

        shape = () if shape is None else shape
        if isinstance(shape, int):
            shape = (shape,)
        try:
            shape = tuple(int(d) for d in shape)
        except (TypeError, ValueError) as e:
            raise ShapeError(
                f"{type(self).__name__} '{self.name}': add_weight needs a fully known shape "
                f"of ints. Received: shape={shape!r}."
            ) from e
        if any(d < 0 for d in shape):
            raise ShapeError(
                f"{type(self).__name__} '{self.name}': add_weight shape must be "
                f"non-negative. Received: shape={shape}."
            )
        dtype = jnp.dtype(dtype or self.variable_dtype)
        if initializer is None:
            initializer = "glorot_uniform" if jnp.issubdtype(dtype, jnp.floating) else "zeros"
        initializer = initializers.get(initializer)
        auto_named = name is None
        if name is not None and not tracking.is_path_part(name):
            raise ConfigError(
                f"{type(self).__name__} '{self.name}': add_weight `name` must be a non-empty "
                f"string usable as a path part ({tracking.PATH_PART_RULE}). "
                f"Received: name={name!r}."
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
            regularizer=regularizers.get(regularizer),
            constraint=constraints.get(constraint),
            owner=self,
            init_key=backend.next_eager_key(),
            autocast=autocast,
            auto_named=auto_named,
        )
        self._own_vars.append(var)
        tracking.bump()
        return var

    @property
    def weights(self):
        """All weights: own trainable-declared, own others, then sublayers' (Keras order)."""
        return [var for _, var in self._entries()[0]]

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

    def _check_built(self, what):
        if not self.built:
            raise NotBuiltError(
                f"{type(self).__name__} '{self.name}' isn't built yet, so it has no "
                f"{what}. Call it on data (layer(x)), call layer.build(input_shape), or "
                f"layer.init(key, x) first."
            )

    def _check_weights_exist(self, what):
        # Weights made in __init__ exist before build; a Sequential grown with add()
        # is unbuilt but its layers' weights are real.  Only "nothing yet" is an error.
        if not self.built and not self._entries()[0]:
            self._check_built(what)

    def get_weights(self):
        """NumPy copies of ``weights``, in order."""
        self._check_weights_exist("weights")
        self._materialize_all()
        return [v.numpy() for v in self.weights]

    def set_weights(self, weights):
        """Sets ``weights`` from NumPy arrays in ``get_weights`` order (all or nothing)."""
        self._check_weights_exist("weights")
        own = self.weights
        weights = list(weights)
        if len(weights) != len(own):
            raise WeightsError(
                f"{type(self).__name__} '{self.name}': set_weights expects a list of "
                f"{len(own)} arrays ({[v.name for v in own]}). Received: a list of "
                f"{len(weights)} arrays."
            )
        for var, value in zip(own, weights):
            shape = tuple(np.shape(value))
            if shape != var.shape:
                raise WeightsError(
                    f"{type(self).__name__} '{self.name}': weight '{var.path}' expects shape "
                    f"{var.shape}. Received: an array of shape {shape}."
                )
        for var, value in zip(own, weights):
            var.assign(jnp.asarray(value))

    def count_params(self):
        """The number of scalars in all weights."""
        if not self.built:
            raise NotBuiltError(
                f"You tried to call count_params on {type(self).__name__} '{self.name}', "
                "but the layer isn't built. Build it first: call it on data or call "
                "layer.build(input_shape)."
            )
        return int(sum(v.size for v in self.weights))

    def _materialize_all(self):
        """Creates every not-yet-created facade value in ONE compiled call.

        Creating values one by one would compile each initializer for each shape;
        a model with many layers would spend seconds per layer doing that.
        """
        pending = [v for _, v in self._entries()[0] if v._value is None]
        if len(pending) <= 1:
            for v in pending:
                v._materialize()
            return

        def make(keys):
            return [v.initial_value(k) for v, k in zip(pending, keys)]

        with jax.ensure_compile_time_eval():
            values = jax.jit(make)([v._init_key for v in pending])
        for v, value in zip(pending, values):
            v._value = value

    # --- pytree views of the facade's values ---------------------------------------
    def _jl_trees(self, read):
        self._materialize_all()
        params, state = {}, {}
        for path, var in self._entries()[0]:
            tracking.set_path(params if var._in_params else state, path, read(var))
        return params, state

    @property
    def params(self):
        """The facade's trainable-declared weights as a nested dict (see ``init``)."""
        self._check_weights_exist("params")
        return self._jl_trees(lambda v: v._materialize())[0]

    @params.setter
    def params(self, tree):
        self.set_params(tree)

    @property
    def state(self):
        """The facade's non-trainable-declared weights as a nested dict."""
        self._check_weights_exist("state")
        return self._jl_trees(lambda v: v._materialize())[1]

    @state.setter
    def state(self, tree):
        self.set_params(None, tree)

    def set_params(self, params=None, state=None):
        """Assigns ``params`` and/or ``state`` trees back to the facade (checked, atomic)."""
        entries = self._entries()[0]
        if not entries and any(tracking.flat_paths(t) for t in (params, state) if t):
            self._check_built("weights to assign")
        updates = []
        for tree, in_params, what in ((params, True, "params"), (state, False, "state")):
            if tree is None:
                continue
            expected = {path: var for path, var in entries if var._in_params == in_params}
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
            var.assign(jnp.asarray(value))

    # ------------------------------------------------------------------ build
    def build(self, input_shape=None):
        """Creates the layer's weights from the first input's shape (override me)."""
        self.built = True
        tracking.bump()

    def _build_args(self, args, kwargs):
        build_params = [
            p for p in inspect.signature(self.build).parameters.values()
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        if len(build_params) <= 1 or build_params[0].name == "input_shape":
            first = args[0] if args else next(iter(kwargs.values()), None)
            return [_shape_of(first)], {}
        try:
            bound = inspect.signature(self.call).bind_partial(*args, **kwargs).arguments
        except TypeError:
            bound = {}
        shapes = {}
        for p in build_params:
            arg = p.name[: -len("_shape")] if p.name.endswith("_shape") else p.name
            if arg in bound:
                shapes[p.name] = _shape_of(bound[arg])
        return [], shapes

    def _maybe_build(self, args, kwargs):
        if self.built:
            return
        pos, named = self._build_args(args, kwargs)
        self._build_shapes = {"pos": pos, "named": named}
        self.build(*pos, **named)
        self.built = True
        if self._initial_weights is not None:
            weights, self._initial_weights = self._initial_weights, None
            self.set_weights(weights)

    def get_build_config(self):
        if self._build_shapes is None:
            return None
        return {"input_shape": _jsonable(self._build_shapes)}

    def build_from_config(self, config):
        if not config:
            return
        shapes = config["input_shape"]
        pos = [_as_shape(s) for s in shapes.get("pos", [])]
        named = {k: _as_shape(v) for k, v in shapes.get("named", {}).items()}
        self._build_shapes = {"pos": pos, "named": named}
        self.build(*pos, **named)

    # ------------------------------------------------------------------ calling
    def call(self, *args, **kwargs):
        raise NotImplementedError(
            f"{type(self).__name__} must implement call(self, inputs, ...)."
        )

    def _call_params(self):
        cls = type(self)
        cache = cls.__dict__.get("_jl_call_params")
        if cache is None:
            params = inspect.signature(cls.call).parameters
            cache = {
                "training": "training" in params,
                "mask": "mask" in params,
                "var_kw": any(p.kind == p.VAR_KEYWORD for p in params.values()),
            }
            type.__setattr__(cls, "_jl_call_params", cache)
        return cache

    def _convert_input(self, x):
        if isinstance(x, (np.ndarray, np.generic)):
            if x.dtype.kind in "OUS":
                return x
            x = jnp.asarray(x)
        if isinstance(x, jax.Array) and self.autocast and jnp.issubdtype(x.dtype, jnp.floating):
            compute = jnp.dtype(self.compute_dtype)
            if x.dtype != compute:
                x = x.astype(compute)
        return x

    def _convert_inputs(self, args):
        return jax.tree_util.tree_map(self._convert_input, args,
                                      is_leaf=lambda x: x is None)

    def __call__(self, *args, **kwargs):
        from jaxlayers.core import symbolic

        if symbolic.any_symbolic(args, kwargs):
            return symbolic.symbolic_call(self, args, kwargs)
        scope = scope_lib.current()
        if scope is None:
            return self._eager_call(args, kwargs)
        training = kwargs.pop("training", None)
        mask = kwargs.pop("mask", None)
        return self._invoke(scope, args, kwargs, training, mask)[0]

    def _prepare_inputs(self, args, kwargs):
        """Converts and checks the inputs, building the layer from their shapes if needed.

        Returns ``(converted_args, first_input)``.
        """
        if args and args[0] is None:
            raise DTypeError(
                f"{type(self).__name__} '{self.name}' was called with None as its input. "
                "Expected an array (or a structure of arrays). Received: inputs=None."
            )
        args = self._convert_inputs(args)
        if not self.supports_complex_inputs:
            _refuse_complex(self, (args, kwargs))
        first = args[0] if args else next(iter(kwargs.values()), None)
        assert_input_compatibility(self.input_spec, first, self.name, type(self).__name__)
        if not self.built:
            self._maybe_build(args, kwargs)
        return args, first

    def _invoke(self, scope, args, kwargs, training=None, mask=None):
        """Runs ``call`` under ``scope``; returns ``(outputs, output_mask)``."""
        args, first = self._prepare_inputs(args, kwargs)
        flags = self._call_params()
        call_kwargs = dict(kwargs)
        outer_training = scope.training
        if training is not None:
            scope.training = bool(training)
        if flags["training"] or (flags["var_kw"] and training is not None):
            call_kwargs["training"] = scope.training
        if mask is not None and (flags["mask"] or flags["var_kw"]):
            call_kwargs["mask"] = mask
        try:
            outputs = self.call(*args, **call_kwargs)
        except AttributeError as e:
            if not _ASSIGN_ON_ARRAY.search(str(e)):
                raise
            raise StateError(
                f"{type(self).__name__} '{self.name}': inside call a weight is a plain "
                "jax.Array, so it has no .assign(). To update a non-trainable weight, assign "
                "the attribute instead: `self.count = new_value` (for assign_add: "
                f"`self.count = self.count + delta`). Received: AttributeError: {e}"
            ) from e
        finally:
            scope.training = outer_training
        if self.activity_regularizer is not None:
            # Keras scales the activity penalty by the batch size.
            for out in jax.tree_util.tree_leaves(outputs):
                batch = out.shape[0] if out.ndim else 1
                scope.add_loss(self, self.activity_regularizer(out) / batch)
        out_mask = None
        if self.supports_masking or type(self).compute_mask is not Layer.compute_mask:
            out_mask = self.compute_mask(first, mask)
        return outputs, out_mask

    def compute_mask(self, inputs, mask=None):
        """The output mask; by default the input mask passes through if masking is supported."""
        return mask if self.supports_masking else None

    def next_key(self):
        """A fresh ``jax.random`` key for this layer's current call.

        Derived from the key given to ``apply`` (or the facade's own key), folded
        with a stable hash of this layer's path and a per-call counter.
        """
        scope = scope_lib.current()
        if scope is None:
            return backend.next_eager_key()
        return scope.next_key(self)

    # --- the pure pair -------------------------------------------------------------
    def _ensure_structure(self, args, kwargs, training=False):
        """Builds this layer and every sublayer from the inputs' shapes, once."""
        if self.__dict__.get("_structure_built") and self.built:
            return
        leaves, treedef = jax.tree_util.tree_flatten((args, kwargs))
        if not all(_is_array_leaf(leaf) for leaf in leaves):
            # Inputs that cannot be traced (strings, Python objects): build directly.
            with scope_lib.Scope(structure=True, training=training):
                self._maybe_build(self._convert_inputs(args), kwargs)
        elif not self._all_built():
            def run(*arrays):
                a, kw = jax.tree_util.tree_unflatten(treedef, arrays)
                kw = dict(kw)
                mask = kw.pop("mask", None)
                with scope_lib.Scope(structure=True, training=training) as s:
                    out, _ = self._invoke(s, a, kw, training, mask)
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
        self.__dict__["_structure_built"] = True

    def _jl_bind_trees(self, params, state):
        entries, paths = self._entries()
        bindings, variables = {}, {}
        owner = f"{type(self).__name__} '{self.name}'"
        for path, var in entries:
            tree, what = (params, "params") if var._in_params else (state, "state")
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
        return bindings, variables, paths

    def _jl_run(self, bindings, variables, paths, args, kwargs, training, key, mask):
        scope = scope_lib.Scope(bindings, variables, training=training, key=key,
                                layer_paths=paths)
        with scope:
            outputs, out_mask = self._invoke(scope, args, kwargs, training, mask)
        losses = [value for _, value in scope.losses]
        for vid, var in variables.items():
            if var.regularizer is not None and vid in bindings:
                losses.append(var.regularizer(bindings[vid]))
        aux = {"losses": losses, "mask": out_mask,
               "metrics": {name: value for _, name, value in scope.metrics}}
        return outputs, scope, aux

    def _jl_state_tree(self, scope):
        state = {}
        for path, var in self._entries()[0]:
            if not var._in_params:
                tracking.set_path(state, path, scope.current_value(var))
        return state

    def init(self, key, *inputs, training=False, **kwargs):
        """Pure: builds the layer from the inputs' shapes and returns ``(params, state)``.

        ``inputs`` may be arrays or ``jax.ShapeDtypeStruct``s; only shapes are
        used.  Each weight gets its own key: ``key`` folded with a stable hash of
        the weight's path.  Jittable (``jax.jit(layer.init)``, with
        ``out_shardings`` to create sharded params).
        """
        self._ensure_structure(inputs, kwargs, training)
        params, state = {}, {}
        for path, var in self._entries()[0]:
            k = jax.random.fold_in(key, scope_lib.stable_hash("/".join(path)))
            tracking.set_path(params if var._in_params else state, path, var.initial_value(k))
        return params, state

    def apply_with_aux(self, params, state, *inputs, training=False, key=None, mask=None,
                       **kwargs):
        """Pure: ``(outputs, new_state, aux)``; ``aux`` has ``losses``, ``mask``, ``metrics``."""
        self._ensure_structure(inputs, kwargs, training)
        bindings, variables, paths = self._jl_bind_trees(params, state)
        outputs, scope, aux = self._jl_run(bindings, variables, paths, inputs, kwargs,
                                        training, key, mask)
        return outputs, self._jl_state_tree(scope), aux

    def apply(self, params, state, *inputs, training=False, key=None, mask=None, **kwargs):
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

    def stateless_call(self, trainable_variables, non_trainable_variables, *args,
                       return_losses=False, key=None, **kwargs):
        """Keras's stateless call: weights given as lists in the facade's order.

        Returns ``(outputs, non_trainable_variables)`` (and the losses when
        ``return_losses=True``), leaving the facade untouched.
        """
        training = kwargs.pop("training", False)
        mask = kwargs.pop("mask", None)
        self._ensure_structure(args, kwargs, training)
        tv, ntv = self.trainable_variables, self.non_trainable_variables
        if len(trainable_variables) != len(tv) or len(non_trainable_variables) != len(ntv):
            raise WeightsError(
                f"{type(self).__name__} '{self.name}': stateless_call expects "
                f"{len(tv)} trainable and {len(ntv)} non-trainable values. Received: "
                f"{len(trainable_variables)} and {len(non_trainable_variables)}."
            )
        bindings, variables = {}, {}
        for var, value in list(zip(tv, trainable_variables)) + list(
                zip(ntv, non_trainable_variables)):
            bindings[id(var)] = value
            variables[id(var)] = var
        outputs, scope, aux = self._jl_run(bindings, variables, self._entries()[1], args,
                                        kwargs, training, key, mask)
        new_ntv = [scope.current_value(v) for v in ntv]
        if return_losses:
            return outputs, new_ntv, aux["losses"]
        return outputs, new_ntv

    # --- the eager facade ----------------------------------------------------------
    def _facade_next_key(self):
        if self.__dict__.get("_facade_key") is None:
            self.__dict__["_facade_key"] = backend.next_eager_key()
        count = self.__dict__["_facade_calls"]
        self.__dict__["_facade_calls"] = count + 1
        return jax.random.fold_in(self.__dict__["_facade_key"], count)

    def _eager_call(self, args, kwargs):
        """``layer(x)`` outside ``apply``: runs the call, then keeps its new values.

        One call at a time per layer (a lock), so concurrent calls from several
        threads each see the values the previous one stored.  Under a JAX
        transform (an input is a tracer, or an enclosing ``jit`` traced the
        call, so its results are tracers) the outputs are returned and nothing
        is stored: the layer never holds a tracer.
        """
        training = kwargs.pop("training", None)
        mask = kwargs.pop("mask", None)
        training = bool(training) if training is not None else False
        with _facade_lock(self):
            key = self._facade_next_key() if training else None
            outputs, scope = self._run_eagerly(args, kwargs, training, key, mask)
            if _holds_tracer((args, kwargs, outputs, scope.writes, scope.losses,
                              scope.metrics)):
                return outputs
            self._store_facade_results(scope)
        return outputs

    def _run_eagerly(self, args, kwargs, training, key, mask):
        """Runs ``call`` op by op on the facade's values; returns ``(outputs, scope)``.

        Nothing is traced, so a ``call`` whose Python reads values works: this
        layer builds from the inputs' shapes, its weights get their stored
        values, and the call runs on the inputs.  A sublayer builds when the
        call reaches it (as in Keras) and each weight is bound, when first
        read, to its stored value, exactly the value ``layer.params`` /
        ``layer.state`` give ``apply``; the call and the key derivation are
        ``apply``'s, so the outputs equal ``apply``'s.
        """
        scope = scope_lib.Scope(training=training, key=key, layer_paths=self._entries()[1],
                                resolve=self._facade_value,
                                refresh_paths=lambda: self._entries()[1])
        with scope:
            if not self.built:
                self._prepare_inputs(args, kwargs)
            self._materialize_all()
            outputs, _ = self._invoke(scope, args, kwargs, training, mask)
        if not self.__dict__.get("_structure_built") and self._all_built():
            self.__dict__["_structure_built"] = True
        return outputs, scope

    def _facade_value(self, var):
        """The stored value of ``var`` if it is a weight of this layer's tree, else ``None``."""
        cache = self.__dict__.get("_entry_ids")
        if cache is None or cache[0] != tracking.version():
            cache = (tracking.version(), {id(v) for _, v in self._entries()[0]})
            self.__dict__["_entry_ids"] = cache
        return var._materialize() if id(var) in cache[1] else None

    def _store_facade_results(self, scope):
        for vid, value in scope.writes.items():
            scope.variables[vid]._value = value
        for layer in self._flatten_layers():
            layer.__dict__["_eager_losses"] = []
        for layer, value in scope.losses:
            layer.__dict__["_eager_losses"].append(value)
        for layer, name, value in scope.metrics:
            layer.__dict__["_eager_metrics"][name] = value

    # ------------------------------------------------------------------ losses
    def add_loss(self, loss):
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
        for layer in self._flatten_layers():
            out.extend(layer.__dict__.get("_eager_losses", []))
        for var in self.weights:
            if var.regularizer is not None:
                out.append(var.regularizer(var.value))
        return out

    @property
    def metrics_values(self):
        out = {}
        for layer in self._flatten_layers():
            out.update(layer.__dict__.get("_eager_metrics", {}))
        return out

    # ------------------------------------------------------------------ shapes
    def compute_output_spec(self, *args, **kwargs):
        """Output ``jax.ShapeDtypeStruct``s for inputs given as specs (``None`` dims allowed)."""
        from jaxlayers.core import symbolic

        specs = jax.tree_util.tree_map(
            lambda x: symbolic.SymbolicTensor(x.shape, x.dtype) if hasattr(x, "shape") else x,
            args)
        return symbolic.compute_output_spec(self, specs, kwargs)

    def compute_output_shape(self, input_shape, *more_shapes):
        """The output shape for ``input_shape`` (``None`` for unknown sizes)."""
        from jaxlayers.core import symbolic

        specs = [symbolic.shape_to_spec(s, self.compute_dtype) for s in
                 (input_shape,) + more_shapes]
        out = symbolic.compute_output_spec(self, specs, {})
        return jax.tree_util.tree_map(
            lambda s: tuple(s.shape), out, is_leaf=lambda s: hasattr(s, "shape"))

    # ------------------------------------------------------------------ config
    def get_config(self):
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


def _refuse_complex(layer, inputs):
    """A ``DTypeError`` if any input leaf of ``layer`` has a complex dtype."""
    for leaf in jax.tree_util.tree_leaves(inputs):
        dtype = getattr(leaf, "dtype", None)
        if dtype is not None and np.dtype(dtype).kind == "c":
            raise DTypeError(
                f"{type(layer).__name__} '{layer.name}' is not defined for complex inputs. "
                f"Received: dtype={np.dtype(dtype).name}. Split the values into real "
                f"channels first (e.g. jnp.stack([x.real, x.imag], -1))."
            )


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


def _wrap_init(init):
    """Makes config errors raised while constructing a layer name the layer and argument.

    ``activations.get('relux')`` cannot know it runs for ``Dense(activation='relux')``;
    the constructor can.  Errors that already name the layer's class pass unchanged.
    """

    @functools.wraps(init)
    def wrapper(self, *args, **kwargs):
        try:
            return init(self, *args, **kwargs)
        except (ConfigError, ConfigTypeError, SerializationError) as e:
            message = str(e)
            if getattr(e, "_jl_layer_named", False) or type(self).__name__ in message:
                raise
            named = type(e)(_layer_error_message(self, init, args, kwargs, message))
            named._jl_layer_named = True
            raise named from e

    wrapper._jl_wrapped = True
    return wrapper


def _layer_error_message(layer, init, args, kwargs, message):
    name = layer.__dict__.get("_name") or kwargs.get("name")
    owner = type(layer).__name__ + (f" '{name}'" if isinstance(name, str) else "")
    culprit = _culprit_argument(layer, init, args, kwargs, message)
    if culprit is None:
        return f"{owner}: {message}"
    arg, value = culprit
    if f"identifier={value!r}" in message:
        return f"{owner}: " + message.replace(f"identifier={value!r}", f"{arg}={value!r}")
    return f"{owner}: {message.rstrip()} Received: {arg}={value!r}."


def _culprit_argument(layer, init, args, kwargs, message):
    """The constructor argument whose value the error message quotes, if any."""
    try:
        signature = inspect.signature(init)
        bound = signature.bind(layer, *args, **kwargs).arguments
    except (TypeError, ValueError):
        return None
    flat = {}
    for arg, value in list(bound.items())[1:]:
        kind = signature.parameters[arg].kind
        if kind == inspect.Parameter.VAR_KEYWORD:
            flat.update(value)
        elif kind != inspect.Parameter.VAR_POSITIONAL:
            flat[arg] = value
    candidates = []
    for arg, value in flat.items():
        if arg == "name" or value is None or isinstance(value, bool):
            continue
        try:
            text = repr(value)
        except Exception:  # noqa: BLE001 - an object without a usable repr is no culprit
            continue
        quoted = f"identifier={text}"
        if quoted not in message and isinstance(value, (str, dict)):
            quoted = text
        if quoted in message:
            candidates.append((message.index(quoted), arg, value))
    # Several arguments may be quoted (`filters=3, kernel_initializer=3`, or a name listed
    # among the known ones): the message's kind ("initializer identifier") picks the
    # arguments of that kind, and the value quoted first is the one the message is about.
    kind = re.search(r"(\w+) identifier|Unknown (\w+)", message)
    kind = kind and (kind.group(1) or kind.group(2))
    if kind:
        candidates = [c for c in candidates if kind in c[1]] or candidates
    return min(candidates)[1:] if candidates else None


def _capture_init_args(cls, obj, args, kwargs):
    init = cls.__init__
    if init is Layer.__init__:
        return dict(kwargs) if _is_plain(kwargs) else None
    try:
        bound = inspect.signature(init).bind(obj, *args, **kwargs)
    except TypeError:
        return None
    bound.apply_defaults()
    config = {}
    for name, value in list(bound.arguments.items())[1:]:
        param = inspect.signature(init).parameters[name]
        if param.kind == param.VAR_POSITIONAL:
            if value:
                return None
            continue
        if param.kind == param.VAR_KEYWORD:
            config.update(value)
        else:
            config[name] = value
    return config if _is_plain(config) else None


def _jsonable(value):
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def _as_shape(value):
    if isinstance(value, list) and all(v is None or isinstance(v, int) for v in value):
        return tuple(value)
    if isinstance(value, list):
        return [_as_shape(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_shape(v) for k, v in value.items()}
    return value


register_builtin("layers")(Layer)

__all__ = ["Layer", "to_snake_case"]
