"""The ``Metric`` base class: a pure ``(init, update, result)`` triple plus a Keras facade.

A metric is written in one of two ways, and both get the whole API:

* pure (the built-ins): ``init`` returns the state dict, ``update`` and
  ``compute_result`` are pure functions of it; the facade keeps the state in
  one :class:`~jaxlayers.core.variables.Variable` per state entry;
* Keras style: ``add_variable``/``add_weight`` in ``__init__``,
  ``update_state`` writing them with ``assign``/``assign_add``, ``result()``
  reading them; the pure ``init``/``update``/``compute_result`` run those
  methods under a scope that binds each variable to an array of the state dict
  (the scope ``Layer.apply`` uses), so they trace inside ``jax.jit``.
"""

import functools
import inspect

import jax
import jax.numpy as jnp

from jaxlayers import backend
from jaxlayers.core import args as _args
from jaxlayers.core import scope as scope_lib
from jaxlayers.core.serialization import register_builtin
from jaxlayers.core.variables import Variable
from jaxlayers.core.weights import resolve
from jaxlayers.errors import ConfigError, ConfigTypeError, ShapeError, StateError
from jaxlayers.training.losses.reduction import snake_case, standardize_dtype


def _spec(x):
    if x is None or isinstance(x, jax.ShapeDtypeStruct):
        return x
    x = x if hasattr(x, "shape") and hasattr(x, "dtype") else jnp.asarray(x)
    return jax.ShapeDtypeStruct(tuple(x.shape), x.dtype)


def _takes_no_state(fn):
    """Whether ``fn(self)`` is a Keras-style ``result`` (no state parameter)."""
    try:
        params = list(inspect.signature(fn).parameters.values())[1:]
    except (TypeError, ValueError):
        return False
    return not any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
                   for p in params)


def _result_taking_state(keras_result):
    """``result(self, state=None)`` around a Keras-style ``result(self)``."""

    @functools.wraps(keras_result)
    def result(self, state=None):
        if state is None:
            return keras_result(self)
        return self.compute_result(state)

    return result


def _input_names(update):
    """The names of a pure ``update(self, state, ...)``'s data arguments, in order."""
    try:
        params = list(inspect.signature(update).parameters.values())[2:]
    except (TypeError, ValueError):
        return []
    return [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _constant(value):
    def initializer(shape, dtype=None):
        return value
    return initializer


class Metric:
    """Base class of metrics: a pure state triple plus a Keras-style facade.

    Args:
        name: Name of the metric; defaults to the snake-cased class name.
        dtype: Dtype of the state and result; defaults to :func:`floatx`.

    Pure API (jittable, the state is a dict of arrays):
        ``init(y_true=None, y_pred=None) -> state``,
        ``update(state, y_true, y_pred, sample_weight=None) -> state``,
        ``result(state) -> value``.

    Facade (Keras): ``update_state``, ``result()``, ``reset_state()``,
    ``variables`` (``Variable`` s), ``__call__``, ``get_config``, ``from_config``,
    ``add_variable``/``add_weight`` and the ``stateless_*`` methods of
    ``keras.metrics.Metric``.

    A subclass implements either the pure triple (``init``, ``update``,
    ``compute_result``) or, as in Keras, ``update_state`` and ``result()`` over
    variables made with ``add_variable`` (and ``reset_state``, which by default
    sets every variable to zeros). Metrics assigned as attributes of a
    Keras-style metric are tracked: their variables follow its own.

    Example:
        >>> class Count(metrics.Metric):
        ...     def __init__(self, name="count"):
        ...         super().__init__(name=name)
        ...         self.n = self.add_variable((), "zeros", name="n")
        ...     def update_state(self, y_true, y_pred, sample_weight=None):
        ...         self.n.assign_add(jnp.shape(y_true)[0])
        ...     def result(self):
        ...         return self.n.value
        >>> m = Count()
        >>> m.update_state(jnp.zeros(3), jnp.zeros(3))
        >>> float(m.result())
        3.0
        >>> state = jax.jit(m.update)(m.init(), jnp.zeros(2), jnp.zeros(2))
        >>> float(m.result(state))
        2.0
    """

    # True when ``init`` needs example inputs to size the state.
    _state_needs_shapes = False
    # Filled per class by ``__init_subclass__``: the nearest pure ``update`` and
    # ``compute_result``, and whether ``update_state``/``result()`` are Keras style.
    _pure_update = None
    _pure_compute = None
    _stateful_update = False
    _stateful_result = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        own = cls.__dict__
        if "update" in own:
            cls._pure_update = own["update"]
            cls._stateful_update = False
        elif "update_state" in own and own["update_state"] is not Metric.update_state:
            cls._stateful_update = True
            # A Keras-style subclass of a pure metric: its update_state decides.
            cls.update = Metric.update
        if "compute_result" in own:
            cls._pure_compute = own["compute_result"]
            cls._stateful_result = False
        elif "result" in own and _takes_no_state(own["result"]):
            cls._stateful_result = True
            cls.result = _result_taking_state(own["result"])
            cls.compute_result = Metric.compute_result

    def __init__(self, name=None, dtype=None):
        self.name = name or snake_case(type(self).__name__)
        self._dtype = standardize_dtype(dtype, owner=type(self).__name__)
        self._specs = ()
        self._own_variables = []
        self._state_variables = None
        self._sub_metrics = {}

    def __setattr__(self, name, value):
        subs = self.__dict__.get("_sub_metrics")
        if subs is not None:
            subs.pop(name, None)
            if isinstance(value, Metric) and value is not self:
                subs[name] = value
        object.__setattr__(self, name, value)

    @property
    def dtype(self):
        return self._dtype

    @property
    def path(self):
        """The prefix of the paths of this metric's variables (``"mean/total"``)."""
        return self.name

    # Variables --------------------------------------------------------------

    def _who(self):
        return f"{type(self).__name__} '{self.__dict__.get('name', '?')}'"

    def add_variable(self, shape, initializer, dtype=None, aggregation="sum", name=None):
        """Creates a state variable of this metric (Keras's ``Metric.add_variable``).

        Args:
            shape: Shape tuple (``()`` for a scalar) or int.
            initializer: Initializer object, name (``"zeros"``) or callable.
            dtype: Dtype; defaults to :func:`floatx`.
            aggregation: How replicas would combine the variable; accepted for
                Keras compatibility (one program holds the whole state here).
            name: Variable name; defaults to ``"variable"``, ``"variable_1"``, ...

        Returns:
            The :class:`~jaxlayers.core.variables.Variable` (not trainable).
        """
        if "_own_variables" not in self.__dict__:
            raise StateError(
                f"{type(self).__name__}: call super().__init__() in __init__ before "
                "add_variable/add_weight."
            )
        if isinstance(shape, int):
            shape = (shape,)
        try:
            shape = tuple(int(d) for d in (() if shape is None else shape))
        except (TypeError, ValueError) as e:
            raise ShapeError(
                f"{self._who()}: add_variable needs a fully known shape of ints. "
                f"Received: shape={shape!r}."
            ) from e
        taken = {v.name for v in self._own_variables}
        if name is None or name in taken:
            base, i = name or "variable", 1
            name = base
            while name in taken:
                name, i = f"{base}_{i}", i + 1
        var = Variable(
            name=name, shape=shape, dtype=dtype or backend.floatx(),
            initializer=resolve("initializers", initializer, f"{self._who()}.add_variable"),
            trainable=False, owner=self, init_key=backend.next_eager_key(), autocast=False,
        )
        self._own_variables.append(var)
        return var

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """``add_variable`` with Keras's ``add_weight`` defaults (``initializer="zeros"``)."""
        return self.add_variable(shape, initializer or "zeros", dtype=dtype, name=name)

    def _has_pure_init(self):
        return type(self).init is not Metric.init

    def _keyed_variables(self):
        """``[(state key, Variable)]`` in the order of ``variables``."""
        if self._has_pure_init():
            if self._state_variables is None:
                if self._state_needs_shapes and not self._specs:
                    return []
                self._state_variables = self._variables_for(self.init(*self._specs))
            return list(self._state_variables.items())
        keyed = [(v.name, v) for v in self._own_variables]
        for attr, metric in self._sub_metrics.items():
            keyed += [(f"{attr}/{k}", v) for k, v in metric._keyed_variables()]
        return keyed

    def _variables_for(self, state):
        out = {}
        with jax.ensure_compile_time_eval():
            for key in sorted(state):
                value = jnp.asarray(state[key])
                var = Variable(name=key, shape=value.shape, dtype=value.dtype,
                               initializer=_constant(value), trainable=False, owner=self)
                var.materialize()
                out[key] = var
        return out

    @property
    def variables(self):
        """The metric's state as ``Variable`` s (a pure metric's in sorted key order).

        A metric whose state size depends on the data (``F1Score``) has none
        before its first update.
        """
        return [v for _, v in self._keyed_variables()]

    def _bound(self, state, fn, *args, **kwargs):
        """Runs ``fn`` with the variables bound to ``state``; ``(output, new state)``."""
        keyed = self._keyed_variables()
        bindings = {id(v): state[k] for k, v in keyed}
        with scope_lib.Scope(bindings, {id(v): v for _, v in keyed}) as scope:
            out = fn(*args, **kwargs)
        return out, {k: scope.current_value(v) for k, v in keyed}

    def _current_values(self):
        return {k: v.value for k, v in self._keyed_variables()}

    # Pure API ---------------------------------------------------------------

    def init(self, y_true=None, y_pred=None):
        """A fresh state (a dict of arrays); some metrics need example inputs.

        For a Keras-style metric: the state ``reset_state()`` would leave.
        """
        return self._bound(self._current_values(), self.reset_state)[1]

    def update(self, state, *args, **kwargs):
        """The state after one more batch; pure and jittable."""
        if not type(self)._stateful_update:
            raise ConfigTypeError(
                f"{self._who()}: a Metric subclass implements update_state(...) (Keras "
                "style, over variables from add_variable) or the pure update(state, ...)."
            )
        return self._bound(state, self.update_state, *args, **kwargs)[1]

    def compute_result(self, state):
        """The metric value for ``state``."""
        if not type(self)._stateful_result:
            raise ConfigTypeError(
                f"{self._who()}: a Metric subclass implements result() (Keras style) or "
                "the pure compute_result(state)."
            )
        return self._bound(state, self.result)[0]

    def result(self, state=None):
        """The value for ``state``; without a state, the facade's current value."""
        compute = type(self)._pure_compute
        if compute is None:
            raise ConfigTypeError(
                f"{self._who()}: a Metric subclass implements result() (Keras style) or "
                "the pure compute_result(state)."
            )
        if state is None:
            state = self._current_values() if self.variables else self.init(*self._specs)
        return compute(self, state)

    # Facade -----------------------------------------------------------------

    def _check_inputs(self, args, kwargs):
        """A ``DTypeError`` naming a batch argument that holds text, before any tracing.

        Only the built-in (pure) metrics are checked: a Keras-style subclass's
        ``update_state`` decides what it accepts.
        """
        update = type(self)._pure_update
        if update is None or type(self)._stateful_update:
            return
        names = _input_names(update)
        for i, value in enumerate(args):
            _args.numeric_array(self._who(), names[i] if i < len(names) else f"args[{i}]",
                                value)
        for name, value in kwargs.items():
            _args.numeric_array(self._who(), name, value)

    def update_state(self, *args, **kwargs):
        """Accumulates a batch into the metric's variables (like Keras)."""
        update = type(self)._pure_update
        if update is None:
            raise ConfigTypeError(
                f"{self._who()}: a Metric subclass implements update_state(...) (Keras "
                "style, over variables from add_variable) or the pure update(state, ...)."
            )
        self._check_inputs(args, kwargs)
        if self._state_variables is None:
            self._specs = tuple(_spec(a) for a in args[:2])
        keyed = self._keyed_variables()
        new = update(self, {k: v.value for k, v in keyed}, *args, **kwargs)
        for k, v in keyed:
            v.assign(new[k])

    def reset_state(self):
        """Sets the variables back: a pure metric's to ``init``, others' to zeros (Keras)."""
        if self._has_pure_init():
            keyed = self._keyed_variables()
            fresh = self.init(*self._specs) if keyed else {}
            for k, v in keyed:
                v.assign(fresh[k])
            return
        for v in self.variables:
            v.assign(jnp.zeros(v.shape, v.dtype))

    def __call__(self, *args, **kwargs):
        """``update_state(...)`` then ``result()``."""
        self.update_state(*args, **kwargs)
        return self.result()

    def _state_keys(self):
        return [k for k, _ in self._keyed_variables()]

    def _from_list(self, metric_variables):
        keys = self._state_keys()
        if len(metric_variables) != len(keys):
            raise ConfigError(
                f"{type(self).__name__} '{self.name}': `metric_variables` must hold one array "
                f"per state entry {keys}. Received: {len(metric_variables)} arrays."
            )
        return {k: v.value if isinstance(v, Variable) else v
                for k, v in zip(keys, metric_variables)}

    def _to_list(self, state):
        return [state[k] for k in self._state_keys()]

    def stateless_update_state(self, metric_variables, *args, **kwargs):
        """Keras's list form of ``update``: new ``variables`` values from old ones and a batch."""
        self._check_inputs(args, kwargs)
        if self._has_pure_init() and self._state_variables is None and not self._specs:
            self._specs = tuple(_spec(a) for a in args[:2])
        return self._to_list(self.update(self._from_list(metric_variables), *args, **kwargs))

    def stateless_result(self, metric_variables):
        """Keras's list form of ``result(state)``."""
        return self.result(self._from_list(metric_variables))

    def stateless_reset_state(self):
        """Keras's list form of ``reset_state``: the values it would leave."""
        return self._to_list(self._bound(self._current_values(), self.reset_state)[1])

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


register_builtin("metrics")(Metric)

__all__ = ["Metric"]
