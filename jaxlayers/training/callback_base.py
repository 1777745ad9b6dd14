"""The ``Callback`` base class and the monitor logic shared by the metric-watching callbacks.

Callbacks run in the Python loop of ``fit`` / ``evaluate`` / ``predict``, never inside
the jitted step.  Batch-level ``logs`` are lazy mappings: reading a value waits for
the device, so a callback that reads batch logs every batch costs one host sync per
batch.  Epoch-level logs are plain dicts of floats.

Example:
    >>> class PrintLoss(Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         print(epoch, logs["loss"])
"""

import math

from jaxlayers.errors import ConfigError

HOOKS = (
    "on_train_begin", "on_train_end", "on_test_begin", "on_test_end", "on_predict_begin",
    "on_predict_end", "on_epoch_begin", "on_epoch_end", "on_batch_begin", "on_batch_end",
    "on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin", "on_test_batch_end",
    "on_predict_batch_begin", "on_predict_batch_end",
)


class Callback:
    """Base class of callbacks: every hook exists and does nothing.

    Attributes:
        model: The model being trained (set by ``fit`` through :meth:`set_model`).
        params: Dict of training parameters (``verbose``, ``epochs``, ``steps``).

    ``on_train_batch_begin`` / ``on_train_batch_end`` call ``on_batch_begin`` /
    ``on_batch_end`` by default, as in Keras.

    Example:
        >>> class Count(Callback):
        ...     def on_train_batch_end(self, batch, logs=None):
        ...         self.batches = batch + 1
    """

    def __init__(self):
        self.params = None
        self._model = None

    def set_params(self, params):
        """Stores the training parameters dict."""
        self.params = params

    def set_model(self, model):
        """Stores the model the callback acts on."""
        self._model = model

    @property
    def model(self):
        # Mid-epoch, fit's live weights sit in its donated carry; reading the model
        # through a callback first copies them into the model (no-op when in sync).
        sync = getattr(self._model, "_sync_training_state", None)
        if sync is not None:
            sync()
        return self._model

    @model.setter
    def model(self, model):
        self.set_model(model)

    def on_batch_begin(self, batch, logs=None):
        """Alias hook called by :meth:`on_train_batch_begin`."""

    def on_batch_end(self, batch, logs=None):
        """Alias hook called by :meth:`on_train_batch_end`."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of epoch ``epoch`` (0-based)."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of an epoch with its metrics (``val_*`` included)."""

    def on_train_batch_begin(self, batch, logs=None):
        """Called before training batch ``batch`` (0-based within the epoch)."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        """Called after a training batch with the running (lazy) metrics."""
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        """Called before an ``evaluate`` batch."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after an ``evaluate`` batch with the running (lazy) metrics."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before a ``predict`` batch."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after a ``predict`` batch."""

    def on_train_begin(self, logs=None):
        """Called once at the start of ``fit``."""

    def on_train_end(self, logs=None):
        """Called once at the end of ``fit`` with the last epoch's logs."""

    def on_test_begin(self, logs=None):
        """Called at the start of ``evaluate``."""

    def on_test_end(self, logs=None):
        """Called at the end of ``evaluate`` with its metrics."""

    def on_predict_begin(self, logs=None):
        """Called at the start of ``predict``."""

    def on_predict_end(self, logs=None):
        """Called at the end of ``predict``."""


def print_msg(message):
    """Prints a callback message to stdout, flushed (Keras prints there too).

    Args:
        message: The text to print.

    Example:
        >>> print_msg("Epoch 1: saving model")
        Epoch 1: saving model
    """
    print(message, flush=True)


# ----------------------------------------------------------------------------- learning rate
def _optimizer(model, owner):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        raise ConfigError(
            f"{owner}: the model has no optimizer. Call model.compile(optimizer=...) before "
            "fit()."
        )
    return optimizer


def get_learning_rate(model, owner):
    """The model optimizer's current learning rate as a float.

    Uses ``model.optimizer.learning_rate``; for a raw optax transform given to
    ``compile``, the ``learning_rate`` injected by ``optax.inject_hyperparams`` in the
    live optimizer state (``model.training_state()``), else a ConfigError.

    Args:
        model: A compiled model.
        owner: The callback's name, for messages.

    Returns:
        The learning rate.

    Raises:
        ConfigError: The model has no optimizer, or its transform has no
            injected ``learning_rate``.

    Example:
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(1)])
        >>> model.compile(optimizer=jl.optimizers.SGD(0.01), loss="mse")
        >>> get_learning_rate(model, "LearningRateScheduler")
        0.01
    """
    from jaxlayers import optimizers

    optimizer = _optimizer(model, owner)
    if hasattr(optimizer, "learning_rate"):
        return float(optimizer.learning_rate)
    return float(optimizers.get_hyperparam(_optimizer_state(model), "learning_rate"))


def set_learning_rate(model, value, owner):
    """Sets the model optimizer's learning rate (see :func:`get_learning_rate`).

    Args:
        model: A compiled model.
        value: The new learning rate.
        owner: The callback's name, for messages.

    Raises:
        ConfigError: As for :func:`get_learning_rate`.

    Example:
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> set_learning_rate(model, 0.5, "ReduceLROnPlateau")
        >>> get_learning_rate(model, "ReduceLROnPlateau")
        0.5
    """
    from jaxlayers import optimizers

    optimizer = _optimizer(model, owner)
    if hasattr(optimizer, "learning_rate"):
        optimizer.learning_rate = value
        return
    state = optimizers.set_hyperparam(_optimizer_state(model), "learning_rate", value)
    model.restore_training_state(optimizer_state=state)


def _optimizer_state(model):
    """The model's live optax state (``None`` before training or for a model without one)."""
    state = model.training_state() if hasattr(model, "training_state") else None
    return None if state is None else state["optimizer_state"]


# ----------------------------------------------------------------------------- monitoring
# Name parts of metrics for which larger is better / smaller is better, used by
# mode="auto" when the model's metrics do not say (Keras 3 reads a direction from
# the metric objects and raises otherwise).
_MAX_PARTS = {"acc", "accuracy", "auc", "precision", "recall", "f1", "fbeta", "iou", "r2",
              "similarity"}
_MIN_PARTS = {"loss", "error", "mae", "mse", "mape", "msle", "rmse", "crossentropy", "hinge",
              "divergence", "kld", "poisson", "logcosh"}


def _direction_from_name(name):
    parts = name.lower().split("_")
    if parts[-1] == "loss":
        return "min"
    if _MAX_PARTS.intersection(parts):
        return "max"
    if _MIN_PARTS.intersection(parts):
        return "min"
    return None


def _metric_direction(model, name):
    for metric in getattr(model, "metrics", None) or []:
        direction = getattr(metric, "_direction", None)
        if getattr(metric, "name", None) == name and direction in ("up", "down"):
            return "max" if direction == "up" else "min"
    return None


class MonitorCallback(Callback):
    """Base of callbacks that watch one logged quantity (``monitor``) for improvement.

    Args:
        monitor: Key of the epoch logs to watch, e.g. ``"val_loss"``.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (from the metric: losses and errors
            are minimized; accuracy, AUC, precision, recall, ... maximized).
        baseline: Initial reference value (``None``: the first value is an improvement).
        min_delta: Minimum change that counts as an improvement.

    Example:
        >>> class Best(MonitorCallback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         if self._is_improvement(logs[self.monitor], self.best):
        ...             self.best = logs[self.monitor]
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        owner = type(self).__name__
        if mode not in ("auto", "min", "max"):
            raise ConfigError(
                f"{owner}: `mode` must be 'auto', 'min' or 'max'. Received: mode={mode!r}."
            )
        if not isinstance(min_delta, (int, float)) or isinstance(min_delta, bool) or \
                not math.isfinite(min_delta):
            raise ConfigError(
                f"{owner}: `min_delta` must be a finite float. Received: min_delta={min_delta!r}."
            )
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self):
        mode = self.mode
        if mode == "auto":
            name = self.monitor.removeprefix("val_")
            mode = _metric_direction(self.model, name) or _direction_from_name(name)
            if mode is None:
                raise ConfigError(
                    f"{type(self).__name__}: cannot tell whether monitor={self.monitor!r} should "
                    "be maximized or minimized. Pass mode='max' to keep the highest value or "
                    "mode='min' to keep the lowest."
                )
        self.monitor_op = _greater if mode == "max" else _less
        if mode == "min":
            self.min_delta = -abs(self.min_delta)
        else:
            self.min_delta = abs(self.min_delta)

    def _is_improvement(self, monitor_value, reference_value):
        if self.monitor_op is None:
            self._set_monitor_op()
        if reference_value is None:
            return True
        return bool(self.monitor_op(monitor_value - self.min_delta, reference_value))


def _less(a, b):
    return a < b


def _greater(a, b):
    return a > b


__all__ = ["Callback", "MonitorCallback", "HOOKS", "print_msg", "get_learning_rate",
           "set_learning_rate"]
