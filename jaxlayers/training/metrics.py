"""Keras 3 metrics as pure ``(init, update, result)`` triples over a state pytree.

A metric object carries only its options. Its state is a dict of arrays that
the caller owns, like an optax optimizer state, so metrics live inside a
jitted train step::

    state = metric.init()                                   # {"total": 0., "count": 0.}
    state = metric.update(state, y_true, y_pred, sample_weight)   # pure, jittable
    value = metric.result(state)                            # pure, jittable

The same object is also the Keras facade: ``update_state``, ``result()`` (no
argument), ``reset_state``, ``variables``, ``get_config`` / ``from_config``.
The facade keeps one state inside the object and calls the pure methods.

Subclasses implement ``init``, ``update`` and ``compute_result(state)``;
``result(state)`` calls ``compute_result`` on the given state, or on the
facade's own state when no state is passed. Metrics whose state size depends
on the data (``AUC(multi_label=True)``, ``F1Score``) take example inputs, or
``jax.ShapeDtypeStruct`` s, in ``init(y_true, y_pred)``.

Threshold metrics (``AUC``, ``Precision``, ``Recall``, ``F1Score``,
``TruePositives``, ...) live in :mod:`jaxlayers.training.confusion_metrics`;
they are re-exported here and :func:`get` knows their names.

Example:
    >>> m = metrics.SparseCategoricalAccuracy()
    >>> step = jax.jit(m.update)
    >>> state = m.init()
    >>> state = step(state, jnp.array([0, 1]), jnp.array([[0.9, 0.1], [0.8, 0.2]]))
    >>> state = step(state, jnp.array([1, 1]), jnp.array([[0.3, 0.7], [0.4, 0.6]]))
    >>> float(m.result(state))
    0.75
"""

import inspect

import jax
import jax.numpy as jnp

from jaxlayers.backend import floatx
from jaxlayers.core.serialization import (
    builtins,
    deserialize_object,
    get_registered_name,
    get_registered_object,
    register_builtin,
    resolve_object,
    serialize_object,
)
from jaxlayers.errors import ConfigError, ConfigTypeError, SerializationError
from jaxlayers.training import losses as _losses
from jaxlayers.training.losses import _snake_case, align_ranks, divide_no_nan, standardize_dtype

_CONFUSION_NAMES = (
    "AUC", "Precision", "Recall", "F1Score", "FBetaScore", "TruePositives", "TrueNegatives",
    "FalsePositives", "FalseNegatives",
)


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
        self.name = name or _snake_case(type(self).__name__)
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


def _fn_name(fn):
    name = getattr(fn, "__name__", None)
    if _METRIC_FUNCTIONS.get(name) is fn or fn in _losses.LOSS_FUNCTIONS:
        return name
    registered = get_registered_name(fn)
    if get_registered_object(registered) is fn:
        return registered
    raise SerializationError(
        f"Cannot serialize metric function {fn!r}: it is not a built-in metric or loss "
        "function. Register it with jl.saving.register_serializable()."
    )


def _fn_from_name(name, custom_objects=None):
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
        if not callable(fn):
            raise ConfigTypeError(
                f"MeanMetricWrapper: `fn` must be a callable fn(y_true, y_pred). "
                f"Received: fn={fn!r}."
            )
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = dict(kwargs)

    def update(self, state, y_true, y_pred, sample_weight=None):
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        mask = _losses.loss_mask(self._fn, y_true, y_pred, **self._fn_kwargs)
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
        config = super().get_config()
        config["fn"] = _fn_name(self._fn)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "fn" in config:
            config["fn"] = _fn_from_name(config["fn"])
        return cls(**config)


class _FnMetric(MeanMetricWrapper):
    """A built-in mean metric: its options are attributes and config entries."""

    def __init__(self, fn, name, dtype, **options):
        super().__init__(fn, name=name, dtype=dtype, **options)
        for key, value in options.items():
            setattr(self, key, value)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


# ---------------------------------------------------------------------------
# Accuracy
# ---------------------------------------------------------------------------


def accuracy(y_true, y_pred):
    """1.0 where ``y_true == y_pred`` exactly, else 0.0.

    Example:
        >>> metrics.accuracy(jnp.array([1, 2, 3]), jnp.array([1, 2, 4]))
        Array([1., 1., 0.], dtype=float32)
    """
    y_pred = jnp.asarray(y_pred)
    y_true, y_pred = align_ranks(jnp.asarray(y_true).astype(y_pred.dtype), y_pred)
    return (y_true == y_pred).astype(floatx())


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where ``y_pred > threshold`` agrees with the 0/1 label.

    Example:
        >>> metrics.binary_accuracy(jnp.array([[1], [0]]), jnp.array([[0.7], [0.6]]))
        Array([[1.],
               [0.]], dtype=float32)
    """
    y_true, y_pred = align_ranks(jnp.asarray(y_true), jnp.asarray(y_pred))
    predicted = (y_pred > threshold).astype(y_true.dtype)
    return (y_true == predicted).astype(floatx())


def categorical_accuracy(y_true, y_pred):
    """1.0 where the arg-max of the one-hot label and of ``y_pred`` agree.

    Example:
        >>> metrics.categorical_accuracy(jnp.array([[0, 1], [1, 0]]), jnp.array([[0.2, 0.8]] * 2))
        Array([1., 0.], dtype=float32)
    """
    y_true, y_pred = jnp.asarray(y_true), jnp.asarray(y_pred)
    return (jnp.argmax(y_true, axis=-1) == jnp.argmax(y_pred, axis=-1)).astype(floatx())


def _squeezed_ids(y_true, y_pred):
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = jnp.squeeze(y_true, axis=-1)
    return y_true


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the integer label equals the arg-max of ``y_pred``.

    Example:
        >>> metrics.sparse_categorical_accuracy(jnp.array([1, 0]), jnp.array([[0.2, 0.8]] * 2))
        Array([1., 0.], dtype=float32)
    """
    y_true, y_pred = jnp.asarray(y_true), jnp.asarray(y_pred)
    ids = _squeezed_ids(y_true, y_pred)
    predicted = jnp.argmax(y_pred, axis=-1)
    return (ids.astype(jnp.float32) == predicted.astype(jnp.float32)).astype(floatx())


def _in_top_k(ids, scores, k):
    """Whether each id's score is among the ``k`` largest (ties count in its favour)."""
    picked = jnp.take_along_axis(scores, ids[:, None], axis=-1, mode="fill", fill_value=jnp.nan)
    picked = jnp.where(jnp.isnan(picked), -jnp.inf, picked)
    rank = 1 + jnp.sum(scores > picked, axis=-1)
    return rank <= k


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """1.0 where the integer label is among the ``k`` highest scores.

    With ``from_sorted_ids=True``, ``y_pred`` holds class ids sorted by score
    (e.g. from ``jax.lax.top_k``) and the first ``k`` columns are searched.

    Example:
        >>> scores = jnp.array([[0.1, 0.5, 0.4], [0.6, 0.3, 0.1]])
        >>> metrics.sparse_top_k_categorical_accuracy(jnp.array([2, 2]), scores, k=2)
        Array([1., 0.], dtype=float32)
    """
    y_true, y_pred = jnp.asarray(y_true), jnp.asarray(y_pred)
    out_shape = y_true.shape
    y_pred = jnp.reshape(y_pred, (-1, y_pred.shape[-1]))
    if from_sorted_ids:
        ids = jnp.reshape(y_true.astype(y_pred.dtype), (-1,))
        matches = jnp.any(ids[:, None] == y_pred[:, :k], axis=1)
    else:
        matches = _in_top_k(jnp.reshape(y_true.astype(jnp.int32), (-1,)), y_pred, k)
    return jnp.reshape(matches.astype(floatx()), out_shape)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the one-hot label's class is among the ``k`` highest scores.

    Example:
        >>> scores = jnp.array([[0.1, 0.5, 0.4], [0.6, 0.3, 0.1]])
        >>> metrics.top_k_categorical_accuracy(jnp.eye(3)[jnp.array([2, 2])], scores, k=2)
        Array([1., 0.], dtype=float32)
    """
    ids = jnp.argmax(jnp.asarray(y_true), axis=-1)
    return sparse_top_k_categorical_accuracy(ids, y_pred, k=k)


_METRIC_FUNCTIONS = {
    f.__name__: f
    for f in (
        accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
        top_k_categorical_accuracy, sparse_top_k_categorical_accuracy,
    )
}


@register_builtin("metrics")
class Accuracy(_FnMetric):
    """How often predictions equal labels exactly (see :func:`accuracy`).

    Example:
        >>> m = metrics.Accuracy()
        >>> float(m(jnp.array([1, 2, 3, 4]), jnp.array([0, 2, 3, 4])))
        0.75
    """

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name, dtype)


@register_builtin("metrics")
class BinaryAccuracy(_FnMetric):
    """How often ``y_pred > threshold`` matches 0/1 labels.

    Example:
        >>> m = metrics.BinaryAccuracy()
        >>> float(m(jnp.array([[1], [1], [0], [0]]), jnp.array([[0.98], [1], [0], [0.6]])))
        0.75
    """

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name, dtype, threshold=threshold)


@register_builtin("metrics")
class CategoricalAccuracy(_FnMetric):
    """How often the arg-max of ``y_pred`` matches one-hot labels.

    Example:
        >>> m = metrics.CategoricalAccuracy()
        >>> scores = jnp.array([[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
        >>> float(m(jnp.array([[0, 0, 1], [0, 1, 0]]), scores))
        0.5
    """

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name, dtype)


@register_builtin("metrics")
class SparseCategoricalAccuracy(_FnMetric):
    """How often the arg-max of ``y_pred`` matches integer labels.

    Example:
        >>> m = metrics.SparseCategoricalAccuracy()
        >>> float(m(jnp.array([[2], [1]]), jnp.array([[0.1, 0.6, 0.3], [0.05, 0.95, 0]])))
        0.5
    """

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name, dtype)


@register_builtin("metrics")
class TopKCategoricalAccuracy(_FnMetric):
    """How often the one-hot label's class is in the top ``k`` predictions.

    Example:
        >>> m = metrics.TopKCategoricalAccuracy(k=1)
        >>> scores = jnp.array([[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
        >>> float(m(jnp.array([[0, 0, 1], [0, 1, 0]]), scores))
        0.5
    """

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name, dtype, k=k)


@register_builtin("metrics")
class SparseTopKCategoricalAccuracy(_FnMetric):
    """How often the integer label is in the top ``k`` predictions.

    Example:
        >>> m = metrics.SparseTopKCategoricalAccuracy(k=1)
        >>> float(m(jnp.array([2, 1]), jnp.array([[0.1, 0.9, 0.8], [0.05, 0.95, 0]])))
        0.5
    """

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None,
                 from_sorted_ids=False):
        super().__init__(sparse_top_k_categorical_accuracy, name, dtype, k=k,
                         from_sorted_ids=from_sorted_ids)

    def get_config(self):
        config = super().get_config()
        if not self.from_sorted_ids:
            del config["from_sorted_ids"]
        return config


# ---------------------------------------------------------------------------
# Regression and loss-named metrics (the loss functions, averaged)
# ---------------------------------------------------------------------------


def _cosine_similarity(y_true, y_pred, axis=-1):
    return -_losses.cosine_similarity(y_true, y_pred, axis=axis)


@register_builtin("metrics")
class MeanSquaredError(_FnMetric):
    """Mean of :func:`~jaxlayers.training.losses.mean_squared_error`.

    Example:
        >>> float(metrics.MeanSquaredError()(jnp.zeros((2, 2)), jnp.ones((2, 2))))
        1.0
    """

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(_losses.mean_squared_error, name, dtype)


@register_builtin("metrics")
class MeanAbsoluteError(_FnMetric):
    """Mean of :func:`~jaxlayers.training.losses.mean_absolute_error`.

    Example:
        >>> float(metrics.MeanAbsoluteError()(jnp.zeros((2, 2)), -jnp.ones((2, 2))))
        1.0
    """

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(_losses.mean_absolute_error, name, dtype)


@register_builtin("metrics")
class MeanAbsolutePercentageError(_FnMetric):
    """Mean of :func:`~jaxlayers.training.losses.mean_absolute_percentage_error`.

    Example:
        >>> float(metrics.MeanAbsolutePercentageError()(jnp.full((1, 2), 2.0), jnp.ones((1, 2))))
        50.0
    """

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(_losses.mean_absolute_percentage_error, name, dtype)


@register_builtin("metrics")
class MeanSquaredLogarithmicError(_FnMetric):
    """Mean of :func:`~jaxlayers.training.losses.mean_squared_logarithmic_error`.

    Example:
        >>> float(metrics.MeanSquaredLogarithmicError()(jnp.zeros((1, 2)), jnp.zeros((1, 2))))
        0.0
    """

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(_losses.mean_squared_logarithmic_error, name, dtype)


@register_builtin("metrics")
class RootMeanSquaredError(Mean):
    """Square root of the (weighted) mean squared error over all elements.

    Example:
        >>> float(metrics.RootMeanSquaredError()(jnp.zeros((2, 2)), jnp.full((2, 2), 2.0)))
        2.0
    """

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update(self, state, y_true, y_pred, sample_weight=None):
        y_true = jnp.asarray(y_true).astype(self.dtype)
        y_pred = jnp.asarray(y_pred).astype(self.dtype)
        y_true, y_pred = align_ranks(y_true, y_pred)
        return self._accumulate(state, jnp.square(y_pred - y_true), sample_weight)

    update_state = Metric.update_state

    def compute_result(self, state):
        return jnp.sqrt(super().compute_result(state))


@register_builtin("metrics")
class CosineSimilarity(_FnMetric):
    """Mean cosine similarity along ``axis`` (1 when the vectors align).

    Example:
        >>> float(metrics.CosineSimilarity()(jnp.array([[0.0, 1.0]]), jnp.array([[0.0, 3.0]])))
        1.0
    """

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(_cosine_similarity, name, dtype, axis=axis)


@register_builtin("metrics")
class LogCoshError(_FnMetric):
    """Mean of :func:`~jaxlayers.training.losses.log_cosh`.

    Example:
        >>> round(float(metrics.LogCoshError()(jnp.zeros((1, 1)), jnp.ones((1, 1)))), 4)
        0.4338
    """

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(_losses.log_cosh, name, dtype)


@register_builtin("metrics")
class BinaryCrossentropy(_FnMetric):
    """Mean of :func:`~jaxlayers.training.losses.binary_crossentropy`.

    Example:
        >>> m = metrics.BinaryCrossentropy()
        >>> round(float(m(jnp.array([[0, 1], [0, 0]]), jnp.array([[0.6, 0.4], [0.4, 0.6]]))), 4)
        0.8149
    """

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0):
        super().__init__(_losses.binary_crossentropy, name, dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)


@register_builtin("metrics")
class CategoricalCrossentropy(_FnMetric):
    """Mean of :func:`~jaxlayers.training.losses.categorical_crossentropy`.

    Example:
        >>> m = metrics.CategoricalCrossentropy()
        >>> round(float(m(jnp.array([[0, 1]]), jnp.array([[0.1, 0.9]]))), 4)
        0.1054
    """

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0, axis=-1):
        super().__init__(_losses.categorical_crossentropy, name, dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


@register_builtin("metrics")
class SparseCategoricalCrossentropy(_FnMetric):
    """Mean of :func:`~jaxlayers.training.losses.sparse_categorical_crossentropy`.

    Entries labelled ``ignore_class`` are left out of the mean (Keras 3.15
    leaves them out only when a ``sample_weight`` is given).

    Example:
        >>> m = metrics.SparseCategoricalCrossentropy()
        >>> round(float(m(jnp.array([1]), jnp.array([[0.1, 0.9]]))), 4)
        0.1054
    """

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False,
                 ignore_class=None, axis=-1):
        super().__init__(_losses.sparse_categorical_crossentropy, name, dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)


@register_builtin("metrics")
class KLDivergence(_FnMetric):
    """Mean of :func:`~jaxlayers.training.losses.kl_divergence`.

    Example:
        >>> m = metrics.KLDivergence()
        >>> round(float(m(jnp.array([[0.5, 0.5]]), jnp.array([[0.9, 0.1]]))), 4)
        0.5108
    """

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(_losses.kl_divergence, name, dtype)


@register_builtin("metrics")
class Poisson(_FnMetric):
    """Mean of :func:`~jaxlayers.training.losses.poisson`.

    Example:
        >>> float(metrics.Poisson()(jnp.array([[1.0, 0.0]]), jnp.array([[1.0, 2.0]])))
        1.5
    """

    def __init__(self, name="poisson", dtype=None):
        super().__init__(_losses.poisson, name, dtype)


@register_builtin("metrics")
class Hinge(_FnMetric):
    """Mean of :func:`~jaxlayers.training.losses.hinge`.

    Example:
        >>> float(metrics.Hinge()(jnp.array([[1.0, 0.0]]), jnp.array([[0.5, -2.0]])))
        0.25
    """

    def __init__(self, name="hinge", dtype=None):
        super().__init__(_losses.hinge, name, dtype)


@register_builtin("metrics")
class SquaredHinge(_FnMetric):
    """Mean of :func:`~jaxlayers.training.losses.squared_hinge`.

    Example:
        >>> float(metrics.SquaredHinge()(jnp.array([[1.0, 0.0]]), jnp.array([[0.5, -2.0]])))
        0.125
    """

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(_losses.squared_hinge, name, dtype)


@register_builtin("metrics")
class CategoricalHinge(_FnMetric):
    """Mean of :func:`~jaxlayers.training.losses.categorical_hinge`.

    Example:
        >>> float(metrics.CategoricalHinge()(jnp.array([[0.0, 1.0]]), jnp.array([[0.3, 0.8]])))
        0.5
    """

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(_losses.categorical_hinge, name, dtype)


register_builtin("metrics")(Metric)

# ---------------------------------------------------------------------------
# Lookup
# ---------------------------------------------------------------------------

_ALIASES = {
    "acc": "Accuracy", "bce": "BinaryCrossentropy", "BCE": "BinaryCrossentropy",
    "mse": "MeanSquaredError", "MSE": "MeanSquaredError", "mae": "MeanAbsoluteError",
    "MAE": "MeanAbsoluteError", "mape": "MeanAbsolutePercentageError",
    "MAPE": "MeanAbsolutePercentageError", "msle": "MeanSquaredLogarithmicError",
    "MSLE": "MeanSquaredLogarithmicError",
}


def _name_table():
    """Class names, their snake_case forms and Keras's short aliases."""
    classes = {k: v for k, v in builtins("metrics").items() if inspect.isclass(v)}
    table = dict(classes)
    table.update({_snake_case(k): v for k, v in classes.items()})
    table.update({alias: classes[target] for alias, target in _ALIASES.items()})
    return table


def get(identifier):
    """A metric from a name, config dict, class, instance or function.

    Names are Keras's: class names (``"AUC"``), their snake_case forms
    (``"auc"``, ``"sparse_categorical_accuracy"``) and ``"mse"``, ``"mae"``,
    ``"mape"``, ``"msle"``, ``"bce"``, ``"acc"``. ``"accuracy"`` gives
    :class:`Accuracy`; a trainer resolving ``compile(metrics=["accuracy"])``
    should call :func:`resolve_accuracy` instead. Functions are returned as
    is (wrap them in :class:`MeanMetricWrapper`); ``None`` gives ``None``.

    Raises:
        ConfigError: For an unknown name, listing the known ones.

    Example:
        >>> type(metrics.get("auc")).__name__, type(metrics.get("mse")).__name__
        ('AUC', 'MeanSquaredError')
    """
    if identifier is None:
        return None
    if isinstance(identifier, Metric):
        return identifier
    return resolve_object(identifier, "metrics", "metric", base=Metric,
                          names=_name_table())


def serialize(metric):
    """``{"module", "class_name", "config", "registered_name"}`` for a metric.

    Example:
        >>> metrics.serialize(metrics.AUC(curve="PR"))["config"]["curve"]
        'PR'
    """
    return serialize_object(metric, "jaxlayers.training.metrics")


def deserialize(config, custom_objects=None):
    """Rebuilds a metric from :func:`serialize` output or a name.

    Example:
        >>> m = metrics.deserialize(metrics.serialize(metrics.BinaryAccuracy(threshold=0.7)))
        >>> m.threshold
        0.7
    """
    if isinstance(config, str):
        config = {"class_name": type(get(config)).__name__, "config": {}}
    return deserialize_object(config, "metrics", custom_objects, printable="metric")


def takes_values_only(metric):
    """Whether ``metric.update`` reduces plain values (``Mean``, ``Sum``), not labels.

    Such a metric cannot score ``(y_true, y_pred)`` in ``compile(metrics=...)``.

    Example:
        >>> metrics.takes_values_only(metrics.Mean()), metrics.takes_values_only(metrics.AUC())
        (True, False)
    """
    return type(metric).update in (Mean.update, Sum.update)


def class_id_labels(obj):
    """``(axis, ignore_class)`` when ``obj`` reads labels as class ids, else ``None``.

    ``obj`` is a loss or metric (object or function) whose integer labels index
    ``axis`` of ``y_pred``: the sparse categorical crossentropy and accuracies.
    A trainer uses it to check labels against the width of the output on the
    host, since an id out of range gives NaN (or a silent 0) inside the step.

    Example:
        >>> metrics.class_id_labels(losses.SparseCategoricalCrossentropy(ignore_class=-1))
        (-1, -1)
        >>> metrics.class_id_labels(metrics.CategoricalAccuracy()) is None
        True
    """
    fn = getattr(obj, "fn", None) or getattr(obj, "_fn", None) or obj
    kwargs = getattr(obj, "_fn_kwargs", {})
    if fn not in _CLASS_ID_FUNCTIONS or kwargs.get("from_sorted_ids"):
        return None
    return kwargs.get("axis", -1), kwargs.get("ignore_class")


_CLASS_ID_FUNCTIONS = (
    _losses.sparse_categorical_crossentropy, sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
)
_SPARSE_LOSSES = (_losses.sparse_categorical_crossentropy,)
_BINARY_LOSSES = (_losses.binary_crossentropy, _losses.binary_focal_crossentropy)
_CATEGORICAL_LOSSES = (
    _losses.categorical_crossentropy, _losses.categorical_focal_crossentropy,
)


def resolve_accuracy(loss, y_true_shape, y_pred_shape, name="accuracy"):
    """The accuracy metric that ``metrics=["accuracy"]`` means for this loss and data.

    Output dim 1 gives :class:`BinaryAccuracy`, as in Keras. Otherwise a known
    crossentropy decides (sparse -> :class:`SparseCategoricalAccuracy`, binary
    -> :class:`BinaryAccuracy`, categorical -> :class:`CategoricalAccuracy`),
    and for any other loss Keras's shape rule does: labels of lower rank, or
    with last dim 1, mean sparse labels; else categorical.

    Args:
        loss: A loss name, function, ``Loss`` object or ``None``.
        y_true_shape: Shape of the labels (``None`` entries allowed).
        y_pred_shape: Shape of the predictions.
        name: Name of the returned metric (``"accuracy"`` or ``"acc"``).

    Example:
        >>> m = metrics.resolve_accuracy("sparse_categorical_crossentropy", (32,), (32, 10))
        >>> type(m).__name__, m.name
        ('SparseCategoricalAccuracy', 'accuracy')
    """
    if isinstance(loss, (str, dict)):
        loss = _losses.get(loss)
    fn = getattr(loss, "fn", loss)
    yt, yp = tuple(y_true_shape), tuple(y_pred_shape)
    if yp and yp[-1] == 1 or fn in _BINARY_LOSSES:
        return BinaryAccuracy(name=name)
    if fn in _SPARSE_LOSSES:
        return SparseCategoricalAccuracy(name=name)
    if fn in _CATEGORICAL_LOSSES:
        return CategoricalAccuracy(name=name)
    if len(yt) < len(yp) or (yt and yt[-1] == 1 and yp and yp[-1] not in (None, 1)):
        return SparseCategoricalAccuracy(name=name)
    return CategoricalAccuracy(name=name)


def __getattr__(name):
    # The threshold metrics live in confusion_metrics, which imports this module, so
    # they are looked up on use rather than imported by name here.
    if name in _CONFUSION_NAMES:
        return getattr(confusion_metrics, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Metric", "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy",
    "CategoricalAccuracy", "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy", "MeanSquaredError", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "RootMeanSquaredError",
    "CosineSimilarity", "LogCoshError", "BinaryCrossentropy", "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy", "KLDivergence", "Poisson", "Hinge", "SquaredHinge",
    "CategoricalHinge", *_CONFUSION_NAMES, "accuracy", "binary_accuracy",
    "categorical_accuracy", "sparse_categorical_accuracy", "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy", "get", "serialize", "deserialize", "resolve_accuracy",
    "takes_values_only", "class_id_labels",
]

# Registers AUC, Precision, ... for get / deserialize (works in either import order).
from jaxlayers.training import confusion_metrics  # noqa: E402
