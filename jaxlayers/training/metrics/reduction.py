"""Reducing metrics: ``Sum``, ``Mean`` and the mean of a function, ``MeanMetricWrapper``.

``MeanMetricWrapper`` averages any function of ``(y_true, y_pred)`` giving one
value per sample; the built-in accuracy and loss-named metrics are its
subclasses.  Built-in metric functions are registered with
:func:`builtin_metric_function` so that a wrapper's config can name them.
"""

import inspect

import jax.numpy as jnp

from jaxlayers.core.serialization import builtins, get_registered_object, register_builtin
from jaxlayers.errors import ConfigTypeError, SerializationError
from jaxlayers.training.losses.base import (
    check_loss_fn,
    from_wrapper_config,
    loss_mask,
    registered_function_name,
    wrapper_config,
)
from jaxlayers.training.losses.reduction import align_ranks, divide_no_nan
from jaxlayers.training.metrics.base import Metric

# Built-in metric functions by name (the accuracies); loss functions are known too.
_METRIC_FUNCTIONS = {}


def builtin_metric_function(fn):
    """Registers a built-in metric function, so configs can name it.

    Args:
        fn: The metric function; registered under ``fn.__name__``.

    Returns:
        ``fn``.

    Example:
        Every accuracy function is registered this way, so a config can name it:

        >>> function_from_name("binary_accuracy").__name__
        'binary_accuracy'
    """
    _METRIC_FUNCTIONS[fn.__name__] = fn
    return fn


def _samplewise(values, sample_weight, reduce_fn, dtype):
    """Reduces values (and weights) to one per sample, weighting them first."""
    values = jnp.asarray(values).astype(dtype)
    if sample_weight is not None:
        sample_weight = jnp.asarray(sample_weight).astype(dtype)
        values, sample_weight = align_ranks(values, sample_weight)
        if values.ndim > sample_weight.ndim:
            values = reduce_fn(values, axis=tuple(range(sample_weight.ndim, values.ndim)))
        sample_weight = jnp.broadcast_to(sample_weight, values.shape)
        values = values * sample_weight
        if sample_weight.ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, sample_weight.ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


def _check_no_y_pred(metric, y_pred):
    if y_pred is not None:
        raise ConfigTypeError(
            f"{type(metric).__name__} '{metric.name}': update(state, values, y_pred=None, "
            "sample_weight=None) takes the values as its second argument and no y_pred; pass "
            f"weights by keyword, sample_weight=... Received: y_pred={y_pred!r}."
        )


@register_builtin("metrics")
class Sum(Metric):
    """Weighted sum of the values given to ``update``.

    The pure ``update(state, values, y_pred=None, sample_weight=None)`` keeps
    the uniform metric signature (``y_pred`` unused); the facade keeps Keras's
    ``update_state(values, sample_weight=None)``.

    Args:
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> m = metrics.Sum()
        >>> state = m.update(m.init(), jnp.array([1.0, 2.0]), sample_weight=jnp.array([1.0, 0.5]))
        >>> float(m.result(state))
        2.0
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def init(self, y_true=None, y_pred=None):
        return {"total": jnp.zeros((), self.dtype)}

    def update(self, state, values, y_pred=None, sample_weight=None):
        """Adds ``values`` (weighted); ``y_pred`` must be None (uniform signature)."""
        _check_no_y_pred(self, y_pred)
        values, _ = _samplewise(values, sample_weight, jnp.sum, self.dtype)
        return {"total": state["total"] + jnp.sum(values)}

    def update_state(self, values, sample_weight=None):
        super().update_state(values, None, sample_weight=sample_weight)

    def compute_result(self, state):
        return state["total"]


@register_builtin("metrics")
class Mean(Metric):
    """Weighted mean of the values given to ``update`` (one value per sample).

    Signatures as in :class:`Sum`: ``update(state, values, y_pred=None,
    sample_weight=None)`` and ``update_state(values, sample_weight=None)``.

    Args:
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> m = metrics.Mean()
        >>> state = m.update(m.init(), jnp.array([1.0, 3.0]), sample_weight=jnp.array([1.0, 3.0]))
        >>> float(m.result(state))
        2.5
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def init(self, y_true=None, y_pred=None):
        return {"total": jnp.zeros((), self.dtype), "count": jnp.zeros((), self.dtype)}

    def update(self, state, values, y_pred=None, sample_weight=None):
        """Adds ``values`` (weighted); ``y_pred`` must be None (uniform signature)."""
        _check_no_y_pred(self, y_pred)
        return self._accumulate(state, values, sample_weight)

    def update_state(self, values, sample_weight=None):
        super().update_state(values, None, sample_weight=sample_weight)

    def _accumulate(self, state, values, sample_weight):
        values, sample_weight = _samplewise(values, sample_weight, jnp.mean, self.dtype)
        if sample_weight is not None:
            count = jnp.sum(sample_weight)
        else:
            count = values.shape[0] if values.ndim >= 1 else 1
        return {
            "total": state["total"] + jnp.sum(values),
            "count": state["count"] + jnp.asarray(count, self.dtype),
        }

    def compute_result(self, state):
        return divide_no_nan(state["total"], state["count"])


def function_name(fn):
    """The name a metric function is saved under (built-in metric or loss, or registered).

    Args:
        fn: A metric or loss function.

    Example:
        >>> function_name(jl.metrics.binary_accuracy)
        'binary_accuracy'
    """
    name = getattr(fn, "__name__", None)
    if _METRIC_FUNCTIONS.get(name) is fn:
        return name
    name = registered_function_name(fn)
    if name is not None:
        return name
    raise SerializationError(
        f"Cannot serialize metric function {fn!r}: it is not a built-in metric or loss "
        "function. Register it with jl.saving.register_serializable()."
    )


def function_from_name(name, custom_objects=None):
    """The metric or loss function saved as ``name`` by :func:`function_name`.

    Args:
        name: A name from :func:`function_name`.
        custom_objects: Optional ``{name: function}`` searched first.

    Example:
        >>> function_from_name('binary_accuracy') is jl.metrics.binary_accuracy
        True
    """
    fn = (custom_objects or {}).get(name) or get_registered_object(name)
    fn = fn or _METRIC_FUNCTIONS.get(name) or builtins("losses").get(name)
    if fn is None or inspect.isclass(fn):
        raise SerializationError(
            f"MeanMetricWrapper: unknown function {name!r}. Known names: "
            f"{sorted(_METRIC_FUNCTIONS)} and the loss functions."
        )
    return fn


@register_builtin("metrics")
class MeanMetricWrapper(Mean):
    """Mean of ``fn(y_true, y_pred, **kwargs)`` over all samples seen.

    A mask made by the function (``sparse_categorical_crossentropy`` with
    ``ignore_class``) leaves those entries out of the mean.

    Args:
        fn: Function of per-sample values, e.g. a loss function.
        name: Defaults to ``fn.__name__``.
        dtype: Dtype of the state.
        **kwargs: Passed to ``fn``.

    Example:
        >>> m = metrics.MeanMetricWrapper(losses.huber, delta=0.5)
        >>> state = m.update(m.init(), jnp.zeros((2, 1)), jnp.array([[0.25], [2.0]]))
        >>> float(m.result(state))
        0.453125
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        check_loss_fn("MeanMetricWrapper", fn)
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = dict(kwargs)

    def update(self, state, y_true, y_pred, sample_weight=None):
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        mask = loss_mask(self._fn, y_true, y_pred, **self._fn_kwargs)
        if mask is not None:
            mask = mask.astype(self.dtype)
            if sample_weight is None:
                sample_weight = mask
            else:
                mask, sample_weight = align_ranks(mask, jnp.asarray(sample_weight, self.dtype))
                sample_weight = sample_weight * mask
        return self._accumulate(state, values, sample_weight)

    update_state = Metric.update_state

    def get_config(self):
        return wrapper_config(super().get_config(), function_name(self._fn), self._fn_kwargs)

    @classmethod
    def from_config(cls, config):
        return from_wrapper_config(cls, config, function_from_name)


class BuiltinMeanMetric(MeanMetricWrapper):
    """A built-in mean metric: its options are attributes and config entries.

    Args:
        fn: The metric function, averaged over samples.
        name: The metric's name.
        dtype: The dtype of its state.
        **options: The function's options, passed on each call and kept as
            attributes.

    Example:
        >>> metric = jl.metrics.MeanSquaredError()
        >>> isinstance(metric, BuiltinMeanMetric), metric.get_config()["name"]
        (True, 'mean_squared_error')
    """

    def __init__(self, fn, name, dtype, **options):
        super().__init__(fn, name=name, dtype=dtype, **options)
        for key, value in options.items():
            setattr(self, key, value)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


__all__ = [
    "Sum", "Mean", "MeanMetricWrapper", "BuiltinMeanMetric", "builtin_metric_function",
    "function_name", "function_from_name",
]
