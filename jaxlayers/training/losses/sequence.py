"""Sequence losses: connectionist temporal classification (CTC)."""

import jax.numpy as jnp
import optax

from jaxlayers.core.serialization import register_builtin
from jaxlayers.training.losses.base import BuiltinLoss, builtin_function
from jaxlayers.training.losses.checks import prepare

_R = "sum_over_batch_size"


@builtin_function(kind="ctc")
def ctc(y_true, y_pred):
    """Connectionist temporal classification loss (Graves et al., 2006).

    Args:
        y_true: Integer labels ``(batch, max_label_length)``; 0 is the blank
            id and pads each label sequence at its end.
        y_pred: Logits ``(batch, time, num_classes)``, every step used.

    Returns:
        The negative log-likelihood of each label sequence, shape ``(batch,)``.

    Example:
        >>> logits = jnp.zeros((1, 3, 3))  # 5 of the 27 paths spell "1 2"
        >>> round(float(losses.ctc(jnp.array([[1, 2]]), logits)[0]), 4)
        1.6864
    """
    y_true, y_pred = prepare("ctc", "ctc", y_true, y_pred)
    labels = y_true.astype(jnp.int32)
    batch, steps = y_pred.shape[:2]
    lengths = jnp.sum(labels != 0, axis=-1)
    label_paddings = (jnp.arange(labels.shape[1])[None, :] >= lengths[:, None])
    logit_paddings = jnp.zeros((batch, steps), y_pred.dtype)
    return optax.ctc_loss(
        y_pred, logit_paddings, labels, label_paddings.astype(y_pred.dtype), blank_id=0
    )


@register_builtin("losses")
class CTC(BuiltinLoss):
    """Reduced :func:`ctc`.

    Args:
        reduction: How per-sample losses are reduced: ``'sum_over_batch_size'``, ``'sum'``,
            ``'mean'``, ``'mean_with_sample_weight'`` or ``None``.
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> round(float(losses.CTC()(jnp.array([[1, 2]]), jnp.zeros((1, 3, 3)))), 4)
        1.6864
    """

    def __init__(self, reduction=_R, name="ctc", dtype=None):
        super().__init__(ctc, reduction, name, dtype)


__all__ = [
    "CTC", "ctc",
]
