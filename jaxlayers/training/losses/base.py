"""The ``Loss`` base class, the function wrapper, and the table of built-in loss functions.

Every built-in loss is written once, as a function returning one value per
sample; the family modules register it with :func:`builtin_function`, which
records the kind of labels it checks and the mask it makes (if any), and wrap
it in a :class:`BuiltinLoss` subclass.  ``Loss.__call__`` adds the reduction and
the sample weighting of ``keras.losses.Loss``.
"""

import jax.numpy as jnp

from jaxlayers.core.serialization import (
    deserialize_object,
    get_registered_name,
    get_registered_object,
    register_builtin,
)
from jaxlayers.errors import ConfigTypeError, SerializationError
from jaxlayers.training.losses.checks import check_axis, check_kind, check_label_smoothing
from jaxlayers.training.losses.reduction import (
    align_ranks,
    reduce_weighted_values,
    snake_case,
    standardize_dtype,
    standardize_reduction,
)

# Built-in loss function -> (kind of labels it checks, function making its mask or None).
_FUNCTIONS = {}


def builtin_function(kind="elementwise", mask=None, aliases=()):
    """Registers a built-in loss function for ``get`` / ``serialize`` and the input checks.

    Args:
        kind: The labels it expects, as :func:`~jaxlayers.training.losses.checks.check_kind`
            names them.
        mask: Optional ``mask(y_true, y_pred, **kwargs)`` giving the entries its
            values leave out (``None`` where it leaves out nothing).
        aliases: Other names ``get`` knows it by (``"mse"``).

    Returns:
        A decorator registering the function and returning it unchanged.

    Example:
        Every built-in loss function is registered this way, under its name
        and its aliases:

        >>> from jaxlayers.training.losses import mean_squared_error
        >>> jl.losses.get("mse") is mean_squared_error
        True
    """

    def decorator(fn):
        _FUNCTIONS[fn] = (kind, mask)
        register_builtin("losses")(fn)
        for alias in aliases:
            register_builtin("losses", name=alias)(fn)
        return fn

    return decorator


def _entry(fn):
    try:
        return _FUNCTIONS.get(fn)
    except TypeError:  # an unhashable callable is never a built-in
        return None


def builtin_functions():
    """The built-in loss functions, in registration order.

    Example:
        >>> jl.losses.mean_squared_error in builtin_functions()
        True
    """
    return tuple(_FUNCTIONS)


def function_kind(fn):
    """The kind of labels a built-in loss function checks; ``None`` for other callables.

    Args:
        fn: A function.

    Example:
        >>> function_kind(jl.losses.sparse_categorical_crossentropy), function_kind(len)
        ('sparse', None)
    """
    entry = _entry(fn)
    return None if entry is None else entry[0]


def loss_mask(fn, y_true, y_pred, **kwargs):
    """The mask a built-in loss function makes for its values, or ``None``.

    Only ``sparse_categorical_crossentropy`` with ``ignore_class`` makes one.
    ``Loss`` objects and loss-named metrics use it to leave those entries
    out of means.

    Args:
        fn: A built-in loss function.
        y_true: Labels.
        y_pred: Predictions.
        **kwargs: The loss function's options.

    Example:
        >>> print(loss_mask(jl.losses.mean_squared_error, np.zeros((2, 1)), np.zeros((2, 1))))
        None
    """
    entry = _entry(fn)
    make = None if entry is None else entry[1]
    return None if make is None else make(y_true, y_pred, **kwargs)


def registered_function_name(fn):
    """The name a function is saved under: built-in or registered; ``None`` if neither.

    Args:
        fn: A function.

    Example:
        >>> registered_function_name(jl.losses.mean_squared_error)
        'mean_squared_error'
    """
    if _entry(fn) is not None:
        return fn.__name__
    name = get_registered_name(fn)
    return name if get_registered_object(name) is fn else None


def function_name(fn):
    """:func:`registered_function_name`, or a ``SerializationError`` for other functions.

    Args:
        fn: A function.

    Example:
        >>> function_name(jl.losses.huber)
        'huber'
    """
    name = registered_function_name(fn)
    if name is None:
        raise SerializationError(
            f"Cannot serialize loss function {fn!r}: it is not a built-in loss. Register it "
            "with jl.saving.register_serializable(), or subclass Loss with a get_config()."
        )
    return name


def wrapper_config(config, fn_name, fn_kwargs):
    """A function wrapper's config: ``config``, ``fn`` saved by name (unless ``None``), its options.

    Loss and metric wrappers save the same layout; ``from_wrapper_config`` reads it.

    Args:
        config: The base config (``name``, ``reduction``, ...); updated in place.
        fn_name: The registered name of the wrapped function, or ``None``.
        fn_kwargs: The options passed to the function on each call.

    Returns:
        ``config``.

    Example:
        >>> wrapper_config({"name": "l"}, "mean_squared_error", {"axis": -1})
        {'name': 'l', 'fn': 'mean_squared_error', 'axis': -1}
    """
    if fn_name is not None:
        config["fn"] = fn_name
    config.update(fn_kwargs)
    return config


def from_wrapper_config(cls, config, resolve):
    """``cls(**config)`` with the saved ``fn`` name turned back into a function by ``resolve``.

    Args:
        cls: The wrapper class.
        config: A dict made by :func:`wrapper_config`.
        resolve: Callable mapping a function's name to the function.

    Returns:
        The wrapper.

    Example:
        >>> loss = from_wrapper_config(LossFunctionWrapper,
        ...                            {"name": "l", "fn": "mean_squared_error"}, jl.losses.get)
        >>> loss.fn.__name__
        'mean_squared_error'
    """
    config = dict(config)
    if "fn" in config:
        config["fn"] = resolve(config["fn"])
    return cls(**config)


def check_loss_fn(owner, fn):
    """A ``ConfigTypeError`` unless ``fn`` is callable (the wrappers of losses and metrics).

    Args:
        owner: How error messages name the caller (``'MeanSquaredError'``).
        fn: The value given as the loss function.

    Example:
        >>> try:
        ...     check_loss_fn('LossFunctionWrapper', 3)
        ... except jl.errors.ConfigTypeError as e:
        ...     print(type(e).__name__)
        ConfigTypeError
    """
    if not callable(fn):
        raise ConfigTypeError(
            f"{owner}: `fn` must be a callable fn(y_true, y_pred). Received: fn={fn!r}."
        )


class Loss:
    """Base class of losses: per-sample values from ``call``, then a reduction.

    Subclasses implement ``call(y_true, y_pred)``, returning per-sample values.
    ``__call__`` weights them by ``sample_weight`` and ``mask`` and reduces
    them (the reductions are described in :mod:`.reduction`). It is pure: jit it,
    or call it inside a jitted step.

    Args:
        name: Name of the loss; defaults to the snake-cased class name.
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"``, ``"none"`` or ``None``.
        dtype: Dtype of the computation; defaults to :func:`floatx`.

    Example:
        >>> class Quartic(losses.Loss):
        ...     def call(self, y_true, y_pred):
        ...         return jnp.mean((y_true - y_pred) ** 4, axis=-1)
        >>> float(Quartic()(jnp.zeros((2, 3)), jnp.ones((2, 3))))
        1.0
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or snake_case(type(self).__name__)
        self.reduction = standardize_reduction(reduction, owner=f"{type(self).__name__}")
        self._dtype = standardize_dtype(dtype, owner=f"{type(self).__name__}")

    @property
    def dtype(self):
        return self._dtype

    def __call__(self, y_true, y_pred, sample_weight=None, mask=None):
        """Reduced (weighted) loss, a scalar unless ``reduction`` is ``"none"``.

        Args:
            y_true: Labels.
            y_pred: Predictions.
            sample_weight: Optional weights of shape ``(batch,)`` or of the
                per-sample values' shape.
            mask: Optional boolean mask over the per-sample values (e.g. the
                ``(batch, time)`` mask of a sequence output).
        """
        y_true, y_pred = jnp.asarray(y_true), jnp.asarray(y_pred)
        self.check_inputs(y_true.shape, y_pred.shape, y_true.dtype)
        y_pred = y_pred.astype(self.dtype)
        if jnp.issubdtype(y_true.dtype, jnp.floating):
            y_true = y_true.astype(self.dtype)
        values = self.call(y_true, y_pred)
        own_mask = self.compute_mask(y_true, y_pred)
        if own_mask is not None:
            mask = own_mask if mask is None else jnp.logical_and(*align_ranks(mask, own_mask))
        return reduce_weighted_values(values, sample_weight, mask, self.reduction, self.dtype)

    def call(self, y_true, y_pred):
        """Per-sample loss values; implemented by subclasses."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement call(y_true, y_pred) returning per-sample "
            "loss values."
        )

    def compute_mask(self, y_true, y_pred):
        """A boolean mask over the values of ``call`` (entries to leave out), or None."""
        return None

    def check_inputs(self, y_true_shape, y_pred_shape, y_true_dtype=None):
        """Raises ``ShapeError``/``DTypeError`` if labels cannot suit this loss."""
        return None

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


@register_builtin("losses")
class LossFunctionWrapper(Loss):
    """A ``Loss`` around a function ``fn(y_true, y_pred, **kwargs)`` of per-sample values.

    Args:
        fn: The loss function.
        reduction: As in :class:`Loss`.
        name: Defaults to ``fn.__name__``.
        dtype: As in :class:`Loss`.
        **kwargs: Passed to ``fn`` on every call.

    Example:
        >>> loss = losses.LossFunctionWrapper(losses.huber, delta=0.5)
        >>> float(loss(jnp.zeros((1, 2)), jnp.array([[0.25, 2.0]])))
        0.453125
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        check_loss_fn("LossFunctionWrapper", fn)
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction,
                         dtype=dtype)
        self.fn = fn
        self._fn_kwargs = dict(kwargs)

    def call(self, y_true, y_pred):
        y_true, y_pred = align_ranks(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def compute_mask(self, y_true, y_pred):
        return loss_mask(self.fn, y_true, y_pred, **self._fn_kwargs)

    def check_inputs(self, y_true_shape, y_pred_shape, y_true_dtype=None):
        owner = type(self).__name__
        if owner == "LossFunctionWrapper":
            owner = getattr(self.fn, "__name__", owner)
        kind = function_kind(self.fn)
        if kind is not None:
            axis = self._fn_kwargs.get("axis", -1)
            check_kind(kind, owner, y_true_shape, y_pred_shape, y_true_dtype, axis)

    def get_config(self):
        # A built-in loss class names its function by being that class.
        fn_name = function_name(self.fn) if type(self) is LossFunctionWrapper else None
        return wrapper_config(super().get_config(), fn_name, self._fn_kwargs)

    @classmethod
    def from_config(cls, config):
        return from_wrapper_config(
            cls, config, lambda name: deserialize_object(name, "losses", printable="loss"))

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} fn={self.fn!r} kwargs={self._fn_kwargs}>"


class BuiltinLoss(LossFunctionWrapper):
    """A built-in loss class: its options are attributes and config entries.

    Args:
        fn: The loss function.
        reduction: As for :class:`Loss`.
        name: As for :class:`Loss`.
        dtype: As for :class:`Loss`.
        **options: The function's options (``axis``, ``label_smoothing``, ...),
            checked, passed on each call and kept as attributes.

    Example:
        >>> loss = jl.losses.Huber(delta=2.0)
        >>> isinstance(loss, BuiltinLoss), loss.delta, loss.get_config()["delta"]
        (True, 2.0, 2.0)
    """

    def __init__(self, fn, reduction, name, dtype, **options):
        owner = type(self).__name__
        if "axis" in options and options["axis"] is not None:
            check_axis(owner, options["axis"])
        if "label_smoothing" in options:
            check_label_smoothing(owner, options["label_smoothing"])
        super().__init__(fn, reduction=reduction, name=name, dtype=dtype, **options)
        for key, value in options.items():
            setattr(self, key, value)


register_builtin("losses")(Loss)

__all__ = [
    "Loss", "LossFunctionWrapper", "BuiltinLoss", "builtin_function", "builtin_functions",
    "function_kind", "loss_mask", "registered_function_name", "function_name",
    "check_loss_fn", "wrapper_config", "from_wrapper_config",
]
