"""``ProgbarLogger``: Keras's progress bar, without a device sync on every step.

Batch logs from the trainer are lazy: their values are fetched from the device
only when read.  The bar keeps a reference to the latest batch logs and reads
them at most once every ``refresh_interval`` seconds (and at the end of the
epoch, from the epoch logs), so a fast training loop is never throttled by it.

Output (``verbose=1``; on a terminal the line is redrawn in place)::

    Epoch 1/3
    32/32 ━━━━━━━━━━━━━━━━━━━━ 1s 12ms/step - accuracy: 0.9100 - loss: 0.2500

``verbose=2`` prints one line per epoch: ``32/32 - 1s - 12ms/step - loss: 0.2500``.
"""

import math
import sys
import time

from jaxlayers.training.callback_base import Callback

_WIDTH = 20


def _format_value(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    return _format_value(value)


def _format_time_per_unit(seconds, unit):
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit}"
    return f"{seconds * 1e6:.0f}us/{unit}"


def _format_eta(seconds):
    if seconds > 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds > 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(seconds)}s"


def _dynamic_display():
    """Whether the line can be redrawn in place (a terminal or a notebook)."""
    isatty = getattr(sys.stdout, "isatty", None)
    return bool(isatty and isatty()) or "ipykernel" in sys.modules


class ProgbarLogger(Callback):
    """Prints a Keras-style progress bar and metrics during fit / evaluate / predict.

    Added automatically by ``fit`` / ``evaluate`` / ``predict`` when ``verbose != 0``.
    ``verbose=1``: a bar refreshed at most every ``refresh_interval`` seconds (0.5)
    and at the end of each epoch; ``verbose=2``: one line per epoch; 0: silent.
    ``Epoch i/N`` headers are printed when ``epochs > 1``, as in Keras.

    Attributes:
        refresh_interval: Minimum seconds between two redraws (and log reads).

    Example:
        >>> bar = ProgbarLogger()
        >>> bar.set_params({"verbose": 2, "epochs": 1, "steps": 2})
    """

    refresh_interval = 0.5

    def __init__(self):
        super().__init__()
        self.verbose = 1
        self.epochs = 1
        self.target = None
        self._called_in_fit = False
        self._clock = time.monotonic
        self._reset()

    def set_params(self, params):
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else int(verbose)
        self.epochs = params.get("epochs", 1) or 1
        self.target = params.get("steps")

    # ------------------------------------------------------------------ hooks
    def on_train_begin(self, logs=None):
        self._called_in_fit = True

    def on_epoch_begin(self, epoch, logs=None):
        self._reset()
        if self.verbose and self.epochs > 1:
            sys.stdout.write(f"Epoch {epoch + 1}/{self.epochs}\n")
            sys.stdout.flush()

    def on_train_batch_end(self, batch, logs=None):
        self._batch_done(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._finalize(logs)

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._reset()

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._batch_done(batch, logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finalize(logs)

    def on_predict_begin(self, logs=None):
        self._reset()

    def on_predict_batch_end(self, batch, logs=None):
        self._batch_done(batch, None)

    def on_predict_end(self, logs=None):
        self._finalize(None)

    def on_train_end(self, logs=None):
        self._called_in_fit = False

    # ------------------------------------------------------------------ bar state
    def _reset(self):
        self._start = self._clock()
        self._seen = 0
        self._last_draw = -math.inf
        self._time_after_first = None
        self._logs = None
        self._prev_width = 0

    def _time_per_step(self, now):
        if not self._seen:
            return 0.0
        if self._time_after_first is not None and self._seen > 1:
            return (now - self._time_after_first) / (self._seen - 1)
        return (now - self._start) / self._seen

    def _batch_done(self, batch, logs):
        now = self._clock()
        self._seen = batch + 1
        if self._seen == 1:
            # The first step includes compilation: later estimates leave it out.
            self._time_after_first = now
        self._logs = logs  # kept lazy: read only when drawn
        if self.verbose == 1 and now - self._last_draw >= self.refresh_interval:
            self._draw(now, finalize=False)

    def _finalize(self, logs):
        if self.target is None:
            self.target = self._seen
        if logs is not None:
            self._logs = logs
        self._seen = max(self._seen, self.target or 0)
        if self.verbose == 1:
            self._draw(self._clock(), finalize=True)
        elif self.verbose == 2:
            self._line_per_epoch(self._clock())

    # ------------------------------------------------------------------ rendering
    def _metrics_text(self):
        items = list(self._logs.items()) if self._logs is not None else []
        return "".join(f" - {k}: {_format_value(v)}" for k, v in items)

    def _count_text(self):
        digits = int(math.log10(self.target)) + 1
        return f"{self._seen:>{digits}d}/{self.target}"

    def _draw(self, now, finalize):
        self._last_draw = now
        dynamic = _dynamic_display()
        per_step = self._time_per_step(now)
        if self.target:
            done = int(_WIDTH * min(self._seen / self.target, 1.0))
            if dynamic:
                bar = (f"\x1b[1m{self._count_text()}\x1b[0m \x1b[32m{'━' * done}\x1b[0m"
                       f"\x1b[37m{'━' * (_WIDTH - done)}\x1b[0m")
                visible = len(self._count_text()) + 1 + _WIDTH
            else:
                bar = f"{self._count_text()} {'━' * done}{'─' * (_WIDTH - done)}"
                visible = len(bar)
        else:
            bar = f"{self._seen:7d}/Unknown"
            visible = len(bar)
        if self.target and not finalize:
            info = f" {_format_eta(per_step * (self.target - self._seen))}"
        else:
            info = f" {now - self._start:.0f}s"
        info += f" {_format_time_per_unit(per_step, 'step')}{self._metrics_text()}"
        width = visible + len(info)
        if dynamic:
            pad = " " * max(self._prev_width - width, 0)
            sys.stdout.write(f"\r{bar}{info}{pad}" + ("\n" if finalize else ""))
        else:
            sys.stdout.write(f"{bar}{info}\n")
        sys.stdout.flush()
        self._prev_width = width

    def _line_per_epoch(self, now):
        if not self.target:
            return
        per_step = self._time_per_step(now)
        sys.stdout.write(f"{self._count_text()} - {now - self._start:.0f}s - "
                         f"{_format_time_per_unit(per_step, 'step')}{self._metrics_text()}\n")
        sys.stdout.flush()


__all__ = ["ProgbarLogger"]
