"""``SwapEMAWeights``: evaluate, predict and checkpoint with the optimizer's EMA weights.

An optimizer built with ``use_ema=True`` keeps an exponential moving average of
the trainable weights in its state (see :mod:`jaxlayers.training.ema`).  This
callback swaps the model's weights with the averages around evaluation and
prediction, and optionally from each epoch's end to the next epoch's start.

Example:
    >>> cb = SwapEMAWeights(swap_on_epoch=True)
"""

from jaxlayers.training import ema
from jaxlayers.training.callback_base import Callback

_OWNER = "SwapEMAWeights"


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
        ema.swap(self.model, _OWNER)
        self._ema_in_model = not self._ema_in_model

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch and self._ema_in_model:
            self._swap()

    def on_epoch_end(self, epoch, logs=None):
        if not self.swap_on_epoch or self._ema_in_model:
            return
        if epoch == (self.params or {}).get("epochs", 0) - 1:
            # After the last epoch the EMA weights stay, and the averages are them too.
            ema.finalize(self.model, _OWNER)
            self._ema_in_model = True
        else:
            self._swap()

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
