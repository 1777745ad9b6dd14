"""``SwapEMAWeights``: evaluate, predict and checkpoint with the optimizer's EMA weights.

An optimizer built with ``use_ema=True`` keeps an exponential moving average of
the trainable weights.  It exposes the averages as
``optimizer.model_variables_moving_average``: one Variable per trainable weight,
in the order of ``model.trainable_variables`` (the list the optimizer was built
for).  This callback swaps the two sets of values around evaluation and
prediction, and optionally from each epoch's end to the next epoch's start.

Example:
    >>> cb = SwapEMAWeights(swap_on_epoch=True)
"""

import numpy as np

from jaxlayers.errors import ConfigError
from jaxlayers.training.callback_base import Callback

_OWNER = "SwapEMAWeights"


def _ema_optimizer(model):
    optimizer = getattr(model, "optimizer", None)
    optimizer = getattr(optimizer, "inner_optimizer", optimizer)
    averages = getattr(optimizer, "model_variables_moving_average", None)
    if not getattr(optimizer, "use_ema", False) or averages is None:
        raise ConfigError(
            f"{_OWNER}: the model's optimizer must keep an EMA of the weights: compile with "
            f"an optimizer built with use_ema=True. Received: use_ema="
            f"{getattr(optimizer, 'use_ema', None)!r} ({type(optimizer).__name__})."
        )
    return optimizer


def _pairs(model):
    variables = list(model.trainable_variables)
    averages = list(_ema_optimizer(model).model_variables_moving_average)
    if len(averages) != len(variables) or any(
            tuple(a.shape) != tuple(v.shape) for a, v in zip(averages, variables)):
        raise ConfigError(
            f"{_OWNER}: the optimizer's moving averages "
            f"{[tuple(a.shape) for a in averages]} do not match the model's trainable "
            f"weights {[tuple(v.shape) for v in variables]}; was it built for this model?"
        )
    return list(zip(variables, averages))


class SwapEMAWeights(Callback):
    """Puts the optimizer's moving-average (EMA) weights into the model when they are used.

    ``evaluate`` and ``predict`` run with the EMA weights and the training
    weights come back afterwards.  With ``swap_on_epoch=True`` the EMA weights
    are also in the model from each epoch's end (callbacks after this one, such
    as ``ModelCheckpoint``, see them) to the start of the next epoch; after the
    last epoch they stay, and the averages are set to them.

    Args:
        swap_on_epoch: Also swap at epoch boundaries (place it before the
            checkpoint callbacks).

    Raises:
        ConfigError: At the first swap, when the optimizer keeps no EMA
            (``use_ema=False``).

    Example:
        >>> cb = SwapEMAWeights(swap_on_epoch=True)
    """

    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = bool(swap_on_epoch)
        self._ema_in_model = False

    def _swap(self):
        for variable, average in _pairs(self.model):
            current = np.asarray(variable.value)
            variable.assign(average.value)
            average.assign(current)
        self._ema_in_model = not self._ema_in_model

    def _finalize(self):
        for variable, average in _pairs(self.model):
            average.assign(variable.value)

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch and self._ema_in_model:
            self._swap()

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch and not self._ema_in_model:
            self._swap()
            if epoch == (self.params or {}).get("epochs", 0) - 1:
                self._finalize()

    def on_test_begin(self, logs=None):
        if not self._ema_in_model:
            self._swap()

    def on_test_end(self, logs=None):
        if self._ema_in_model:
            self._swap()

    def on_predict_begin(self, logs=None):
        if not self._ema_in_model:
            self._swap()

    def on_predict_end(self, logs=None):
        if self._ema_in_model:
            self._swap()


__all__ = ["SwapEMAWeights"]
