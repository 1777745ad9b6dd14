"""F-scores: ``FBetaScore`` and ``F1Score`` from per-class counts.

Example:
    >>> m = metrics.F1Score(average="macro", threshold=0.5)
    >>> round(float(m(jnp.array([[1, 0], [0, 1]]), jnp.array([[0.9, 0.2], [0.6, 0.4]]))), 4)
    0.3333
"""

import jax.numpy as jnp

from jaxlayers.backend import epsilon
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError, ShapeError
from jaxlayers.training.metrics.base import Metric


@register_builtin("metrics")
class FBetaScore(Metric):
    """F-beta score ``(1 + b^2) P R / (b^2 P + R)`` from per-class counts.

    Args:
        average: ``None`` (one score per class), ``"micro"`` (pool all
            classes), ``"macro"`` (mean over classes) or ``"weighted"``
            (mean weighted by each class's label count).
        beta: Positive float; recall weighs ``beta`` times as much as precision.
        threshold: Predictions above it are positive; with ``None`` the
            arg-max of each row (if non-zero) is the positive one.
        name: Name of the metric.
        dtype: Dtype of the state.

    Inputs are ``(batch, num_classes)``; ``init`` needs them (or specs) except
    with ``average="micro"``.

    Example:
        >>> m = metrics.FBetaScore(beta=2.0, threshold=0.5)
        >>> y = jnp.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]])
        >>> p = jnp.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
        >>> [round(float(v), 3) for v in m(y, p)]
        [0.385, 0.909, 0.833]
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        owner = f"{type(self).__name__} '{self.name}'"
        if average not in (None, "micro", "macro", "weighted"):
            raise ConfigError(
                f"{owner}: `average` must be one of None, 'micro', 'macro', 'weighted'. "
                f"Received: average={average!r}."
            )
        if not isinstance(beta, float) or beta <= 0.0:
            raise ConfigError(f"{owner}: `beta` must be a float > 0. Received: beta={beta!r}.")
        if threshold is not None and (not isinstance(threshold, float)
                                      or not 0.0 < threshold <= 1.0):
            raise ConfigError(
                f"{owner}: `threshold` must be None or a float in (0, 1]. "
                f"Received: threshold={threshold!r}."
            )
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self._axis = None if average == "micro" else 0

    @property
    def _state_needs_shapes(self):
        return self.average != "micro"

    def _check_shapes(self, y_true_shape, y_pred_shape):
        if len(y_true_shape) != 2 or len(y_pred_shape) != 2 or y_pred_shape[-1] is None:
            raise ShapeError(
                f"{type(self).__name__} '{self.name}' expects y_true and y_pred of shape "
                f"(batch, num_classes). Received: y_true.shape={y_true_shape}, "
                f"y_pred.shape={y_pred_shape}."
            )

    def init(self, y_true=None, y_pred=None):
        if self.average == "micro":
            shape = ()
        elif y_true is None or y_pred is None:
            raise ShapeError(
                f"{type(self).__name__} '{self.name}' needs example inputs to size its state: "
                "call init(y_true, y_pred) with arrays or jax.ShapeDtypeStruct of shape "
                "(batch, num_classes). Received: y_true=None or y_pred=None."
            )
        else:
            self._check_shapes(tuple(y_true.shape), tuple(y_pred.shape))
            shape = (y_pred.shape[-1],)
        zeros = jnp.zeros(shape, self.dtype)
        return {"true_positives": zeros, "false_positives": zeros,
                "false_negatives": zeros, "intermediate_weights": zeros}

    def update(self, state, y_true, y_pred, sample_weight=None):
        y_true = jnp.asarray(y_true).astype(self.dtype)
        y_pred = jnp.asarray(y_pred).astype(self.dtype)
        self._check_shapes(y_true.shape, y_pred.shape)
        if self.threshold is None:
            top = jnp.max(y_pred, axis=-1, keepdims=True)
            y_pred = (y_pred >= top) & (jnp.abs(y_pred) > 1e-9)
        else:
            y_pred = y_pred > self.threshold
        y_pred = y_pred.astype(self.dtype)
        weights = None if sample_weight is None else jnp.asarray(sample_weight, self.dtype)

        def weighted_sum(values):
            if weights is not None:
                values = values * weights[:, None]
            return jnp.sum(values, axis=self._axis)

        return {
            "true_positives": state["true_positives"] + weighted_sum(y_pred * y_true),
            "false_positives": state["false_positives"] + weighted_sum(y_pred * (1 - y_true)),
            "false_negatives": state["false_negatives"] + weighted_sum((1 - y_pred) * y_true),
            "intermediate_weights": state["intermediate_weights"] + weighted_sum(y_true),
        }

    def compute_result(self, state):
        eps = epsilon()
        tp = state["true_positives"]
        precision = tp / (tp + state["false_positives"] + eps)
        recall = tp / (tp + state["false_negatives"] + eps)
        b2 = self.beta**2
        score = (1 + b2) * precision * recall / (b2 * precision + recall + eps)
        if self.average == "weighted":
            support = state["intermediate_weights"]
            return jnp.sum(score * support / (jnp.sum(support) + eps))
        if self.average is not None:
            return jnp.mean(score)
        return score

    def get_config(self):
        return {**super().get_config(), "average": self.average, "beta": self.beta,
                "threshold": self.threshold}


@register_builtin("metrics")
class F1Score(FBetaScore):
    """F1 score: :class:`FBetaScore` with ``beta=1``.

    Args:
        average: ``None`` (per class), ``'micro'``, ``'macro'`` or ``'weighted'``.
        threshold: Float decision threshold.
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> m = metrics.F1Score(average="micro", threshold=0.5)
        >>> round(float(m(jnp.array([[1, 0], [0, 1]]), jnp.array([[0.9, 0.2], [0.6, 0.4]]))), 4)
        0.5
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config



__all__ = [
    "FBetaScore", "F1Score",
]
