"""Callbacks that watch a logged metric: EarlyStopping, ModelCheckpoint, ReduceLROnPlateau.

They follow Keras 3's rules exactly (when a value counts as an improvement, how
patience and cooldown are counted, which files are written).

Example:
    >>> stop = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
"""

import math
import os
import warnings

import numpy as np

from jaxlayers.distribution import multihost
from jaxlayers.errors import ConfigError
from jaxlayers.training.callback_base import (
    MonitorCallback,
    get_learning_rate,
    print_msg,
    set_learning_rate,
)
from jaxlayers.training.data import count_arg


def _count(owner, name, value):
    """``patience``, ``cooldown``, ...: an int >= 0 (the trainer's one count check)."""
    return count_arg(owner, name, value, minimum=0, allow_none=False)


def _check_save_freq(owner, save_freq):
    if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                 or save_freq < 1):
        raise ConfigError(
            f"{owner}: `save_freq` must be 'epoch' or a positive int (a number of batches). "
            f"Received: save_freq={save_freq!r}."
        )
    return save_freq


class _BatchCounter:
    """Counts batches across epochs to trigger every ``save_freq`` batches (Keras's rule)."""

    def __init__(self, save_freq):
        self.save_freq = save_freq
        self.since_last = 0
        self.last_batch = None

    def should_fire(self, batch):
        if self.save_freq == "epoch":
            return False
        if self.last_batch is None or batch <= self.last_batch:
            added = batch + 1  # a new epoch started: batches are 0-based
        else:
            added = batch - self.last_batch
        self.since_last += added
        self.last_batch = batch
        if self.since_last >= self.save_freq:
            self.since_last = 0
            return True
        return False


class EarlyStopping(MonitorCallback):
    """Stops training when ``monitor`` has stopped improving.

    Each epoch (from ``start_from_epoch`` on) either improves on the best value so
    far by more than ``min_delta`` (which resets the wait, unless ``baseline`` is set
    and not yet beaten), or adds one to the wait; training stops once the wait
    reaches ``patience`` (never at epoch 0).

    Args:
        monitor: Epoch-log key to watch.
        min_delta: Minimum change counted as an improvement.
        patience: Epochs without improvement before stopping.
        verbose: 1 prints when training stops or weights are restored.
        mode: ``"auto"``, ``"min"`` or ``"max"``.
        baseline: Value the monitor must beat; until then epochs count as waiting.
        restore_best_weights: At the end of training, set the weights of the best epoch.
        start_from_epoch: Epochs of warm-up during which nothing is monitored.

    Example:
        >>> cb = EarlyStopping(monitor="loss", patience=2)
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = _count("EarlyStopping", "patience", patience)
        self.start_from_epoch = _count("EarlyStopping", "start_from_epoch", start_from_epoch)
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.wait = 0
        self.stopped_epoch = 0
        self.best_weights = None
        self.best_epoch = 0

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # Something to restore even if no epoch ever improves on the baseline.
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print_msg(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print_msg("Restoring model weights from the end of the best epoch: "
                          f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        """``logs[monitor]``, or None with a warning listing the available keys."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(
                f"Early stopping conditioned on metric `{self.monitor}` which is not available. "
                f"Available metrics are: {','.join(list(logs.keys()))}",
                stacklevel=2,
            )
        return value


_MODEL_SUFFIXES = (".keras",)
_WEIGHTS_SUFFIXES = (".weights.h5", ".weights.npz")


class ModelCheckpoint(MonitorCallback):
    """Saves the model (``model.save``) or its weights (``model.save_weights``) during training.

    ``filepath`` may hold ``str.format`` fields filled from the epoch (1-based), the
    batch (1-based, with ``save_freq`` as an int) and the logs, e.g.
    ``"ckpt/{epoch:02d}-{val_loss:.2f}.keras"``.

    Args:
        filepath: Target path; ``.keras`` for a model, ``.weights.h5`` (Keras's
            layout) or ``.weights.npz`` with ``save_weights_only=True``.
        monitor: Epoch-log key compared with ``save_best_only``.
        verbose: 1 prints a message for each save decision.
        save_best_only: Save only when ``monitor`` improves on the best value so far.
        save_weights_only: Call ``model.save_weights`` instead of ``model.save``.
        mode: ``"auto"``, ``"min"`` or ``"max"``.
        save_freq: ``"epoch"`` or a number of batches between saves.
        initial_value_threshold: Best value to beat before the first save.

    Example:
        >>> cb = ModelCheckpoint("best.keras", monitor="val_loss", save_best_only=True)
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        super().__init__(monitor, mode, initial_value_threshold)
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = _check_save_freq("ModelCheckpoint", save_freq)
        self._counter = _BatchCounter(self.save_freq)
        self._current_epoch = 0
        suffixes = _WEIGHTS_SUFFIXES if save_weights_only else _MODEL_SUFFIXES
        if not self.filepath.endswith(suffixes):
            what = "weights (save_weights_only=True)" if save_weights_only else "a model"
            raise ConfigError(
                f"ModelCheckpoint: the filepath for {what} must end in "
                f"{' or '.join(suffixes)}. Received: filepath={self.filepath!r}."
            )

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._counter.should_fire(batch):
            self._save(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)

    def _file_path(self, epoch, batch, logs):
        fields = dict(logs or {})
        fields["epoch"] = epoch + 1
        if batch is not None and "batch" not in fields:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except (KeyError, IndexError) as e:
            raise ConfigError(
                f"ModelCheckpoint: cannot fill filepath={self.filepath!r}: no value for {e}. "
                f"Available fields: {sorted(fields)}."
            ) from None

    def _should_save(self, epoch, logs, filepath):
        if not self.save_best_only:
            if self.verbose > 0:
                print_msg(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.",
                          stacklevel=2)
            return True
        if np.ndim(current) > 0:
            warnings.warn(
                f"Can save best model only when `monitor` is a scalar value. Received: "
                f"{current}. Falling back to `save_best_only=False`.", stacklevel=2)
            return True
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print_msg(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to "
                          f"{current:.5f}, saving model to {filepath}")
            self.best = current
            return True
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def _save(self, epoch, batch, logs):
        filepath = self._file_path(epoch, batch, logs)
        if os.path.isdir(filepath):
            raise ConfigError(
                "ModelCheckpoint: the filepath is an existing directory; give a file path. "
                f"Received: {filepath!r}."
            )
        if not self._should_save(epoch, logs, filepath):
            return
        method = "save_weights" if self.save_weights_only else "save"
        save = getattr(self.model, method, None)
        if save is None:
            raise ConfigError(
                f"ModelCheckpoint: the model ({type(self.model).__name__}) has no `{method}` "
                f"method, so it cannot be saved to {filepath!r}."
            )
        dirname = os.path.dirname(filepath)
        if dirname and multihost.is_chief():  # every process saves; process 0 writes
            os.makedirs(dirname, exist_ok=True)
        save(filepath)
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")


class ReduceLROnPlateau(MonitorCallback):
    """Multiplies the learning rate by ``factor`` when ``monitor`` stops improving.

    After ``patience`` epochs without an improvement larger than ``min_delta``, the
    learning rate becomes ``max(lr * factor, min_lr)``; then ``cooldown`` epochs pass
    before waiting starts again.  The current rate is added to the epoch logs as
    ``learning_rate`` (so it appears in ``History``).

    Args:
        monitor: Epoch-log key to watch.
        factor: Multiplier in ``(0, 1)``.
        patience: Epochs without improvement before reducing.
        verbose: 1 prints each reduction.
        mode: ``"auto"``, ``"min"`` or ``"max"``.
        min_delta: Minimum change counted as an improvement.
        cooldown: Epochs to wait after a reduction before counting again.
        min_lr: Lower bound of the learning rate.

    Example:
        >>> cb = ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, min_lr=1e-5)
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0, **kwargs):
        super().__init__(monitor, mode, min_delta=min_delta)
        if kwargs:
            raise ConfigError(
                f"ReduceLROnPlateau: argument(s) not recognized: {sorted(kwargs)}. "
                f"Received: {kwargs!r}."
            )
        if not isinstance(factor, (int, float)) or not 0 <= factor < 1:
            raise ConfigError(
                "ReduceLROnPlateau: `factor` must be a float in [0, 1) (it multiplies the "
                f"learning rate). Received: factor={factor!r}."
            )
        if not isinstance(min_lr, (int, float)) or not math.isfinite(min_lr) or min_lr < 0:
            raise ConfigError(
                f"ReduceLROnPlateau: `min_lr` must be a float >= 0. Received: min_lr={min_lr!r}."
            )
        self.factor = float(factor)
        self.patience = _count("ReduceLROnPlateau", "patience", patience)
        self.cooldown = _count("ReduceLROnPlateau", "cooldown", cooldown)
        self.min_lr = min_lr
        self.verbose = verbose
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self):
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def in_cooldown(self):
        """Whether the epochs after the last reduction are still being skipped."""
        return self.cooldown_counter > 0

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["learning_rate"] = get_learning_rate(self.model, "ReduceLROnPlateau")
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"Learning rate reduction is conditioned on metric `{self.monitor}` which is "
                f"not available. Available metrics are: {','.join(list(logs.keys()))}.",
                stacklevel=2,
            )
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce(epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0

    def _reduce(self, epoch):
        old_lr = get_learning_rate(self.model, "ReduceLROnPlateau")
        if not old_lr > np.float32(self.min_lr):
            return False
        new_lr = max(old_lr * self.factor, self.min_lr)
        set_learning_rate(self.model, new_lr, "ReduceLROnPlateau")
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to "
                      f"{new_lr}.")
        return True


__all__ = ["EarlyStopping", "ModelCheckpoint", "ReduceLROnPlateau"]
