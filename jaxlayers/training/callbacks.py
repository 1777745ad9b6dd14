"""Keras 3 callbacks for ``fit`` / ``evaluate`` / ``predict``.

The trainer builds a :class:`CallbackList` (adding :class:`History` and
:class:`ProgbarLogger` as Keras does) and calls its hooks from the Python loop
around the jitted step.  Batch-level logs are lazy mappings whose values are
fetched from the device only when read; epoch-level logs are dicts of floats.

Example:
    >>> from jaxlayers.training import callbacks
    >>> cbs = [callbacks.EarlyStopping(patience=2), callbacks.CSVLogger("log.csv")]
"""

import collections.abc
import csv
import inspect
import math
import os

import numpy as np

from jaxlayers.distribution import multihost
from jaxlayers.errors import ConfigError, ConfigTypeError, NonFiniteLossError
from jaxlayers.training.backup import BackupAndRestore
from jaxlayers.training.callback_base import (
    HOOKS,
    Callback,
    MonitorCallback,
    get_learning_rate,
    print_msg,
    set_learning_rate,
)
from jaxlayers.training.ema_callbacks import SwapEMAWeights
from jaxlayers.training.logging_callbacks import RemoteMonitor, TensorBoard
from jaxlayers.training.monitor_callbacks import EarlyStopping, ModelCheckpoint, ReduceLROnPlateau
from jaxlayers.training.orbax_checkpoint import OrbaxCheckpoint
from jaxlayers.training.progbar import ProgbarLogger


def _flatten(callbacks):
    if callbacks is None:
        return []
    if isinstance(callbacks, (list, tuple)):
        return [c for item in callbacks for c in _flatten(item)]
    if not all(callable(getattr(callbacks, hook, None)) for hook in ("set_model",
                                                                     "on_epoch_end")):
        raise ConfigTypeError(
            "callbacks must be Callback instances. Received: "
            f"{callbacks!r}. Wrap a function with LambdaCallback(on_epoch_end=fn)."
        )
    return [callbacks]


class CallbackList(Callback):
    """Calls every hook on a list of callbacks; what ``fit`` uses internally.

    Args:
        callbacks: A list (possibly nested) of :class:`Callback` instances.
        add_history: Append a :class:`History` unless the list has one.
        add_progbar: Append a :class:`ProgbarLogger` unless the list has one.
        model: Model given to every callback (``set_model``); it also receives
            ``model.history``.
        **params: Training parameters given to every callback (``set_params``),
            e.g. ``verbose=1, epochs=3, steps=32``.

    Batch hooks pass the (lazy) logs through untouched.  Epoch and begin/end hooks
    give all callbacks the same copy of the logs, so a key added by one callback
    (``learning_rate`` from ReduceLROnPlateau) is seen by the later ones and by History.

    Example:
        >>> cbs = CallbackList([EarlyStopping()], add_history=True, epochs=2, steps=4)
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None,
                 **params):
        super().__init__()
        self.callbacks = _flatten(callbacks)
        self._history = next((c for c in self.callbacks if isinstance(c, History)), None)
        self._progbar = next((c for c in self.callbacks if isinstance(c, ProgbarLogger)), None)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)
        self.set_model(model)
        self.set_params(params)

    @property
    def history(self):
        """The :class:`History` callback of the list (None if there is none)."""
        return self._history

    def set_params(self, params):
        self.params = params
        if params:
            for callback in self.callbacks:
                callback.set_params(params)

    def set_model(self, model):
        if model is None:
            return
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    def _call(self, hook, *args, logs, copy):
        if logs is None:
            logs = {}
        elif copy:
            logs = dict(logs)
        for callback in self.callbacks:
            getattr(callback, hook)(*args, logs)

    def on_batch_begin(self, batch, logs=None):
        self._call("on_batch_begin", batch, logs=logs, copy=False)

    def on_batch_end(self, batch, logs=None):
        self._call("on_batch_end", batch, logs=logs, copy=False)

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, logs=logs, copy=True)

    def on_epoch_end(self, epoch, logs=None):
        self._call("on_epoch_end", epoch, logs=logs, copy=True)

    def on_train_batch_begin(self, batch, logs=None):
        self._call("on_train_batch_begin", batch, logs=logs, copy=False)

    def on_train_batch_end(self, batch, logs=None):
        self._call("on_train_batch_end", batch, logs=logs, copy=False)

    def on_test_batch_begin(self, batch, logs=None):
        self._call("on_test_batch_begin", batch, logs=logs, copy=False)

    def on_test_batch_end(self, batch, logs=None):
        self._call("on_test_batch_end", batch, logs=logs, copy=False)

    def on_predict_batch_begin(self, batch, logs=None):
        self._call("on_predict_batch_begin", batch, logs=logs, copy=False)

    def on_predict_batch_end(self, batch, logs=None):
        self._call("on_predict_batch_end", batch, logs=logs, copy=False)

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs=logs, copy=True)

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs=logs, copy=True)

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", logs=logs, copy=True)

    def on_test_end(self, logs=None):
        self._call("on_test_end", logs=logs, copy=True)

    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", logs=logs, copy=True)

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", logs=logs, copy=True)


class History(Callback):
    """Records the epoch logs; ``fit`` returns it.

    Attributes:
        history: Dict of lists, one value per epoch for each logged key.
        epoch: The epoch indices that were recorded.

    Example:
        >>> h = History()
        >>> h.on_train_begin(); h.on_epoch_end(0, {"loss": 0.5})
        >>> h.history
        {'loss': [0.5]}
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self


class LambdaCallback(Callback):
    """A callback made of plain functions, one per hook.

    Args:
        on_epoch_begin, on_epoch_end: ``fn(epoch, logs)``.
        on_train_begin, on_train_end: ``fn(logs)``.
        on_train_batch_begin, on_train_batch_end: ``fn(batch, logs)``.
        **kwargs: Any other hook by name, e.g. ``on_test_end=fn``.

    Example:
        >>> cb = LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs["loss"]))
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **kwargs):
        super().__init__()
        unknown = sorted(set(kwargs) - set(HOOKS))
        if unknown:
            raise ConfigError(
                f"LambdaCallback: unknown hook name(s) {unknown}. Hooks are: {list(HOOKS)}."
            )
        hooks = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end, **kwargs)
        for name, fn in hooks.items():
            if fn is not None:
                if not callable(fn):
                    raise ConfigTypeError(
                        f"LambdaCallback: `{name}` must be callable. Received: {name}={fn!r}."
                    )
                setattr(self, name, fn)


class TerminateOnNaN(Callback):
    """Stops training on the first batch whose loss is NaN or infinite.

    It reads the batch ``loss`` after every training batch, which waits for the
    device each batch (unavoidable: the check needs the value).

    Args:
        raise_error: If True, raise :class:`NonFiniteLossError` (a ``RuntimeError``,
            as in Keras) instead of setting ``model.stop_training``.

    Example:
        >>> cb = TerminateOnNaN()
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = bool(raise_error)

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        loss = float(loss)
        if math.isnan(loss) or math.isinf(loss):
            if self.raise_error:
                raise NonFiniteLossError(
                    f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                    "Terminating training immediately."
                )
            print_msg(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class CSVLogger(Callback):
    """Writes one CSV row per epoch: ``epoch`` then the sorted log keys.

    Columns are fixed by the first epoch's logs; if those have no ``val_*`` key,
    ``val_`` columns are added for each key anyway (filled with ``NA``), as Keras does.

    Args:
        filename: Path of the CSV file.
        separator: Field separator.
        append: Append to an existing file (no second header) instead of overwriting.

    Example:
        >>> cb = CSVLogger("training.log", separator=";", append=True)
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.keys = None
        self.writer = None
        self.csv_file = None
        self.append_header = True

    def on_train_begin(self, logs=None):
        if self.append and os.path.exists(self.filename):
            with open(self.filename) as f:
                self.append_header = not f.readline()
        else:
            self.append_header = True
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        # In a job of several processes, process 0 alone writes the (global) logs.
        target = self.filename if multihost.is_chief() else os.devnull
        self.csv_file = open(target, "a" if self.append else "w", newline="")
        self.writer = None
        self.keys = None

    @staticmethod
    def _cell(value):
        if isinstance(value, str):
            return value
        if isinstance(value, collections.abc.Iterable) and np.ndim(value) > 0:
            return f'"[{", ".join(map(str, value))}]"'
        return value

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(k.startswith("val_") for k in self.keys):
                self.keys += [f"val_{k}" for k in self.keys]
        if self.writer is None:
            class Dialect(csv.excel):
                delimiter = self.sep

            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys,
                                         dialect=Dialect)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((k, self._cell(logs.get(k, "NA"))) for k in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None


class LearningRateScheduler(Callback):
    """Sets the learning rate at the start of each epoch from ``schedule(epoch, lr)``.

    Args:
        schedule: ``fn(epoch, lr) -> new_lr`` (0-based epoch, current rate as a float);
            a one-argument ``fn(epoch)`` also works.  It must return a float.
        verbose: 1 prints each new rate.

    The rate is also added to the epoch logs as ``learning_rate``.

    Example:
        >>> cb = LearningRateScheduler(lambda epoch, lr: lr if epoch < 10 else lr * 0.9)
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise ConfigTypeError(
                "LearningRateScheduler: `schedule` must be a function (epoch, lr) -> lr. "
                f"Received: schedule={schedule!r}."
            )
        self.schedule = schedule
        self.verbose = verbose

    def _takes_lr(self):
        try:
            params = inspect.signature(self.schedule).parameters.values()
        except (TypeError, ValueError):
            return True
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY,
                                                      p.POSITIONAL_OR_KEYWORD)]
        return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params)

    def on_epoch_begin(self, epoch, logs=None):
        owner = "LearningRateScheduler"
        if self._takes_lr():
            lr = self.schedule(epoch, get_learning_rate(self.model, owner))
        else:
            lr = self.schedule(epoch)
        if isinstance(lr, bool) or not isinstance(lr, (float, np.floating)):
            raise ConfigTypeError(
                f"{owner}: the schedule must return a float. Received: {lr!r} at epoch {epoch}."
            )
        set_learning_rate(self.model, float(lr), owner)
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                      f"{float(lr)}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = get_learning_rate(self.model, "LearningRateScheduler")


__all__ = [
    "Callback", "CallbackList", "History", "ProgbarLogger", "EarlyStopping", "ModelCheckpoint",
    "ReduceLROnPlateau", "LearningRateScheduler", "TerminateOnNaN", "CSVLogger",
    "LambdaCallback", "BackupAndRestore", "MonitorCallback", "NonFiniteLossError", "TensorBoard",
    "RemoteMonitor", "OrbaxCheckpoint", "SwapEMAWeights",
]
