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

from jaxlayers.backend import print_msg
from jaxlayers.errors import ConfigError
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


class Progbar:
    """A text progress bar for any loop (``keras.utils.Progbar``).

    Values passed to :meth:`update` are averaged over the steps they cover,
    except those named in ``stateful_metrics``, shown as given.  Output goes
    through :func:`jaxlayers.backend.print_msg`, so it follows
    ``disable_interactive_logging()``.

    Args:
        target: Total number of steps, or ``None`` when unknown.
        width: Width of the bar in characters.
        verbose: 0 silent, 1 a bar redrawn in place, 2 one line at the end.
        interval: Minimum seconds between two redraws with ``verbose=1``.
        stateful_metrics: Names of values shown as given (the others are averaged).
        stateless_metrics: Names of values averaged (the others are shown as
            given); pass at most one of the two lists.
        unit_name: What one step is called in the timing (``"step"``, ``"byte"``).

    Example:
        >>> bar = Progbar(3, verbose=2)
        >>> for i in range(3):
        ...     bar.update(i + 1, values=[("loss", 0.25)])
        3/3 - 0s - ...s/step - loss: 0.2500
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None,
                 stateless_metrics=None, unit_name="step"):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ConfigError(
                "Progbar: pass `stateful_metrics` or `stateless_metrics`, not both. Received: "
                f"stateful_metrics={stateful_metrics!r}, stateless_metrics={stateless_metrics!r}."
            )
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = None if stateless_metrics is not None else set(
            stateful_metrics or ())
        self.stateless_metrics = None if stateless_metrics is None else set(stateless_metrics)
        self._sums = {}  # name -> [weighted sum, weight]
        self._seen_so_far = 0
        self._start = time.monotonic()
        self._last_update = -math.inf
        self._time_after_first = None
        self._prev_width = 0

    def _averaged(self, name):
        if self.stateful_metrics is not None:
            return name not in self.stateful_metrics
        return name in self.stateless_metrics

    def update(self, current, values=None, finalize=None):
        """Moves the bar to step ``current``.

        Args:
            current: Steps done so far.
            values: ``[(name, value), ...]`` for the steps since the last update.
            finalize: Whether this is the last update; default ``current >= target``.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for name, value in values or ():
            if self._averaged(name) and not finalize:
                weight = max(current - self._seen_so_far, 1)
                total = self._sums.setdefault(name, [0.0, 0])
                total[0] += value * weight
                total[1] += weight
            else:
                self._sums[name] = [value, 1]
        now = time.monotonic()
        per_step = self._time_per_step(current, now)
        self._seen_so_far = current
        if self.verbose == 1 and (finalize or now - self._last_update >= self.interval):
            self._draw(current, now, per_step, finalize)
        elif self.verbose == 2 and finalize and self.target:
            print_msg(f"{self._count(current)} - {now - self._start:.0f}s - "
                      f"{_format_time_per_unit(per_step, self.unit_name)}{self._values_text()}")
        self._last_update = now

    def add(self, n, values=None):
        """Advances the bar by ``n`` steps."""
        self.update(self._seen_so_far + n, values)

    def _time_per_step(self, current, now):
        # The first step often includes compilation: later estimates leave it out.
        if not current:
            return 0.0
        if self._time_after_first is not None and current > 1:
            per_step = (now - self._time_after_first) / (current - 1)
        else:
            per_step = (now - self._start) / current
        if current == 1:
            self._time_after_first = now
        return per_step

    def _count(self, current):
        digits = int(math.log10(self.target)) + 1
        return f"{current:>{digits}d}/{self.target}"

    def _values_text(self):
        return "".join(f" - {k}: {_format_value(v / max(n, 1))}" for k, (v, n) in
                       self._sums.items())

    def _draw(self, current, now, per_step, finalize):
        dynamic = _dynamic_display()
        if self.target:
            done = int(self.width * min(current / self.target, 1.0))
            bar = f"{self._count(current)} {'━' * done}{'─' * (self.width - done)}"
        else:
            bar = f"{current:7d}/Unknown"
        if self.target and not finalize:
            info = f" {_format_eta(per_step * (self.target - current))}"
        else:
            info = f" {now - self._start:.0f}s"
        info += f" {_format_time_per_unit(per_step, self.unit_name)}{self._values_text()}"
        line = bar + info
        if dynamic:
            pad = " " * max(self._prev_width - len(line), 0)
            print_msg(f"\r{line}{pad}" + ("\n" if finalize else ""), line_break=False)
        else:
            print_msg(line)
        self._prev_width = len(line)


__all__ = ["ProgbarLogger", "Progbar"]
