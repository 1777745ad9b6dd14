"""The ``Metric`` base class: a pure ``(init, update, result)`` triple plus a Keras facade."""

import jax
import jax.numpy as jnp

from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError
from jaxlayers.training.losses.reduction import snake_case, standardize_dtype


def _spec(x):
    if x is None or isinstance(x, jax.ShapeDtypeStruct):
        return x
    x = x if hasattr(x, "shape") and hasattr(x, "dtype") else jnp.asarray(x)
    return jax.ShapeDtypeStruct(tuple(x.shape), x.dtype)


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
    ``variables``, ``__call__``, ``get_config``, ``from_config`` and the
    ``stateless_*`` methods of ``keras.metrics.Metric``.

    Example:
        >>> class Count(metrics.Metric):
        ...     def init(self, y_true=None, y_pred=None):
        ...         return {"n": jnp.zeros((), self.dtype)}
        ...     def update(self, state, y_true, y_pred, sample_weight=None):
        ...         return {"n": state["n"] + jnp.shape(y_true)[0]}
        ...     def compute_result(self, state):
        ...         return state["n"]
        >>> m = Count()
        >>> m.update_state(jnp.zeros(3), jnp.zeros(3))
        >>> float(m.result())
        3.0
    """

    # True when ``init`` needs example inputs to size the state.
    _state_needs_shapes = False

    def __init__(self, name=None, dtype=None):
        self.name = name or snake_case(type(self).__name__)
        self._dtype = standardize_dtype(dtype, owner=type(self).__name__)
        self._state = None
        self._specs = ()

    @property
    def dtype(self):
        return self._dtype

    # Pure API -------------------------------------------------------------

    def init(self, y_true=None, y_pred=None):
        """A fresh state (a dict of arrays); some metrics need example inputs."""
        raise NotImplementedError(f"{type(self).__name__} must implement init().")

    def update(self, state, y_true, y_pred, sample_weight=None):
        """The state after one more batch; pure and jittable."""
        raise NotImplementedError(f"{type(self).__name__} must implement update().")

    def compute_result(self, state):
        """The metric value for ``state``; implemented by subclasses."""
        raise NotImplementedError(f"{type(self).__name__} must implement compute_result().")

    def result(self, state=None):
        """``compute_result(state)``; without a state, the facade's current value."""
        if state is None:
            state = self._current_state()
        return self.compute_result(state)

    # Facade ---------------------------------------------------------------

    def _current_state(self):
        if self._state is None:
            self._state = self.init(*self._specs)
        return self._state

    def update_state(self, *args, **kwargs):
        """Accumulates a batch into the facade's state (like Keras)."""
        if self._state is None:
            self._specs = tuple(_spec(a) for a in args[:2])
            self._state = self.init(*self._specs)
        self._state = self.update(self._state, *args, **kwargs)

    def reset_state(self):
        """Sets the facade's state back to its initial value."""
        if self._state is not None or not self._state_needs_shapes:
            self._state = self.init(*self._specs)

    def __call__(self, *args, **kwargs):
        """``update_state(...)`` then ``result()``."""
        self.update_state(*args, **kwargs)
        return self.result()

    def _state_keys(self):
        if self._state is None:
            return sorted(self.init(*self._specs))
        return sorted(self._state)

    @property
    def variables(self):
        """The facade's state arrays, in sorted key order (as JAX flattens dicts)."""
        if self._state is None and self._state_needs_shapes:
            return []
        state = self._current_state()
        return [state[k] for k in sorted(state)]

    def _from_list(self, metric_variables):
        keys = self._state_keys()
        if len(metric_variables) != len(keys):
            raise ConfigError(
                f"{type(self).__name__} '{self.name}': `metric_variables` must hold one array "
                f"per state entry {keys}. Received: {len(metric_variables)} arrays."
            )
        return dict(zip(keys, metric_variables))

    def stateless_update_state(self, metric_variables, *args, **kwargs):
        """Keras's list form of ``update``: new ``variables`` from old ones and a batch."""
        if self._state is None and not self._specs:
            self._specs = tuple(_spec(a) for a in args[:2])
        state = self.update(self._from_list(metric_variables), *args, **kwargs)
        return [state[k] for k in sorted(state)]

    def stateless_result(self, metric_variables):
        """Keras's list form of ``result(state)``."""
        return self.compute_result(self._from_list(metric_variables))

    def stateless_reset_state(self):
        """Keras's list form of ``init``."""
        state = self.init(*self._specs)
        return [state[k] for k in sorted(state)]

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


register_builtin("metrics")(Metric)

__all__ = ["Metric"]
