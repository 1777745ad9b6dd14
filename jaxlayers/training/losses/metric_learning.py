"""Metric-learning losses over embeddings and integer labels: Circle loss."""

import jax
import jax.numpy as jnp

from jaxlayers.core.serialization import register_builtin
from jaxlayers.training.losses.base import BuiltinLoss, builtin_function
from jaxlayers.training.losses.checks import prepare

_R = "sum_over_batch_size"


def _row_ids(labels):
    """Integer labels as one column: ``(n,)`` and ``(n, 1)`` both become ``(n, 1)``."""
    labels = jnp.asarray(labels)
    return labels.reshape(-1, 1).astype(jnp.int32)


def _masked_logsumexp(values, mask):
    """Row-wise log-sum-exp over the entries of ``mask``: ``-inf`` for an empty row.

    Empty rows are summed over zeros instead of ``-inf`` entries, and then replaced,
    so their gradient is zero rather than NaN.
    """
    present = jnp.any(mask, axis=1)
    safe = jnp.where(present[:, None], jnp.where(mask, values, -jnp.inf), 0.0)
    return jnp.where(present, jax.nn.logsumexp(safe, axis=1), -jnp.inf)


def _circle_mask(y_true, y_pred, **kwargs):
    return circle(y_true, y_pred, **kwargs) > 0


@builtin_function(kind="ids", mask=_circle_mask)
def circle(
    y_true,
    y_pred,
    ref_labels=None,
    ref_embeddings=None,
    remove_diagonal=True,
    gamma=80,
    margin=0.4,
):
    """Circle loss (Sun et al., 2020) of L2-normalized embeddings with integer labels.

    Every pair of a query embedding and a reference embedding is a positive
    pair (same label) or a negative pair. Each similarity is weighted by how far
    it is from its optimum (``1 + margin`` for positives, ``-margin`` for
    negatives), so pairs far from their optimum are pushed harder.

    Args:
        y_true: Integer labels of the queries, ``(batch,)`` or ``(batch, 1)``.
        y_pred: L2-normalized embeddings ``(batch, dim)``.
        ref_labels: Labels of the reference embeddings; ``y_true`` if None.
        ref_embeddings: Reference embeddings ``(refs, dim)``; ``y_pred`` if None.
        remove_diagonal: Whether a query paired with itself is left out of
            the positive pairs.
        gamma: Scale of the similarities.
        margin: Relaxation margin.

    Returns:
        One value per query, ``(batch,)``; 0 for a query with no positive or no
        negative pair. ``Loss`` objects and metrics average over the non-zero
        values only, as Keras does.

    Example:
        >>> emb = jnp.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])
        >>> losses.circle(jnp.array([0, 0, 1]), emb, gamma=2.0).round(4)
        Array([0.5459, 1.2842, 0.    ], dtype=float32)
    """
    y_true, y_pred = prepare("ids", "circle", y_true, y_pred)
    query = _row_ids(y_true)
    refs = y_pred if ref_embeddings is None else jnp.asarray(ref_embeddings, y_pred.dtype)
    keys = query if ref_labels is None else _row_ids(ref_labels)
    distances = jnp.maximum(1.0 - y_pred @ refs.T, 0.0)
    positive = query == keys.T
    negative = ~positive
    if remove_diagonal:
        positive = positive & ~jnp.eye(query.shape[0], keys.shape[0], dtype=bool)
    pos_weights = jnp.maximum((margin + distances) * positive, 0.0)
    neg_weights = jnp.maximum((1.0 + margin - distances) * negative, 0.0)
    pos_logits = -gamma * pos_weights * (margin - distances)
    neg_logits = gamma * neg_weights * (1.0 - margin - distances)
    total = _masked_logsumexp(pos_logits, positive) + _masked_logsumexp(neg_logits, negative)
    return jax.nn.softplus(total)


@register_builtin("losses")
class Circle(BuiltinLoss):
    """Reduced :func:`circle`: the mean over the queries with a non-zero loss.

    Put it after embeddings without activation and a ``UnitNormalization``.

    Args:
        gamma: Float focusing exponent (see the summary).
        margin: Float margin.
        remove_diagonal: Whether each query's pair with itself is left out.
        reduction: How per-sample losses are reduced: ``'sum_over_batch_size'``, ``'sum'``,
            ``'mean'``, ``'mean_with_sample_weight'`` or ``None``.
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> emb = jnp.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])
        >>> round(float(losses.Circle(gamma=2.0)(jnp.array([0, 0, 1]), emb)), 4)
        0.915
    """

    def __init__(self, gamma=80.0, margin=0.4, remove_diagonal=True, reduction=_R,
                 name="circle", dtype=None):
        super().__init__(circle, reduction, name, dtype, gamma=gamma, margin=margin,
                         remove_diagonal=remove_diagonal)


__all__ = ["Circle", "circle"]
