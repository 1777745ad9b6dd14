"""Best value of one rate where another meets a constraint: operating points of a classifier.

``SensitivityAtSpecificity``, ``SpecificityAtSensitivity``, ``PrecisionAtRecall``
and ``RecallAtPrecision`` accumulate confusion counts at ``num_thresholds``
evenly spaced thresholds on ``[0, 1]`` (like
:class:`~jaxlayers.training.metrics.AUC`) and report the largest value of one
rate over the thresholds where the other rate is at least the given value
(0 when no threshold qualifies).

Example:
    >>> m = metrics.PrecisionAtRecall(recall=0.5)
    >>> float(m(jnp.array([0, 0, 0, 1, 1]), jnp.array([0.0, 0.3, 0.8, 0.3, 0.8])))
    0.5
"""

import jax.numpy as jnp

from jaxlayers.core import args as _args
from jaxlayers.core.serialization import register_builtin
from jaxlayers.training.losses.reduction import divide_no_nan
from jaxlayers.training.metrics.base import Metric
from jaxlayers.training.metrics.confusion import (
    add_counts,
    check_class_id,
    confusion_counts,
    zero_counts,
)


class _OperatingPoint(Metric):
    """Counts at evenly spaced thresholds; subclasses pick the two rates."""

    # Read by callbacks in mode="auto": larger is better (as Keras marks it).
    _direction = "up"

    # (name of the constrained value, its rate, the rate maximized).
    _value_name = None
    _rates = (None, None)

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        owner = _args.owner(self)
        arg = self._value_name
        _args.unit_interval(owner, arg, value)
        self.num_thresholds = _args.positive_int(owner, "num_thresholds", num_thresholds)
        self.class_id = check_class_id(owner, class_id)
        setattr(self, arg, value)
        self.value = value
        if num_thresholds == 1:
            self.thresholds, self._evenly = [0.5], False
        else:
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds, self._evenly = [0.0] + inner + [1.0], True

    def init(self, y_true=None, y_pred=None):
        return zero_counts((len(self.thresholds),), self.dtype)

    def update(self, state, y_true, y_pred, sample_weight=None):
        counts = confusion_counts(y_true, y_pred, self.thresholds, sample_weight,
                                  class_id=self.class_id, evenly_spaced=self._evenly,
                                  dtype=self.dtype)
        return add_counts(state, counts)

    def compute_result(self, state):
        tp, fp = state["true_positives"], state["false_positives"]
        tn, fn = state["true_negatives"], state["false_negatives"]
        rates = {
            "sensitivity": divide_no_nan(tp, tp + fn),
            "specificity": divide_no_nan(tn, tn + fp),
            "precision": divide_no_nan(tp, tp + fp),
        }
        constrained, maximized = (rates[r] for r in self._rates)
        feasible = constrained >= self.value
        return jnp.max(jnp.where(feasible, maximized, 0.0), initial=0.0)

    def get_config(self):
        return {**super().get_config(), "class_id": self.class_id,
                "num_thresholds": self.num_thresholds,
                self._value_name: getattr(self, self._value_name)}


_DOC_ARGS = """num_thresholds: Number of thresholds (default 200); 1 means the single
            threshold 0.5.
        class_id: Only this class column of ``(batch, num_classes)`` inputs counts.
        name: Name of the metric.
        dtype: Dtype of the state."""


@register_builtin("metrics")
class SensitivityAtSpecificity(_OperatingPoint):
    """Best sensitivity (recall) at the thresholds where specificity >= ``specificity``.

    Args:
        specificity: Float in ``[0, 1]``.
        {args}

    Example:
        >>> m = metrics.SensitivityAtSpecificity(specificity=0.5)
        >>> float(m(jnp.array([0, 0, 0, 1, 1]), jnp.array([0.0, 0.3, 0.8, 0.3, 0.8])))
        0.5
    """

    _value_name = "specificity"
    _rates = ("specificity", "sensitivity")

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)


@register_builtin("metrics")
class SpecificityAtSensitivity(_OperatingPoint):
    """Best specificity at the thresholds where sensitivity >= ``sensitivity``.

    Args:
        sensitivity: Float in ``[0, 1]``.
        {args}

    Example:
        >>> m = metrics.SpecificityAtSensitivity(sensitivity=0.5)
        >>> round(float(m(jnp.array([0, 0, 0, 1, 1]), jnp.array([0.0, 0.3, 0.8, 0.3, 0.8]))), 4)
        0.6667
    """

    _value_name = "sensitivity"
    _rates = ("sensitivity", "specificity")

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)


@register_builtin("metrics")
class PrecisionAtRecall(_OperatingPoint):
    """Best precision at the thresholds where recall >= ``recall``.

    Args:
        recall: Float in ``[0, 1]``.
        {args}

    Example:
        >>> m = metrics.PrecisionAtRecall(recall=0.5)
        >>> float(m(jnp.array([0, 0, 0, 1, 1]), jnp.array([0.0, 0.3, 0.8, 0.3, 0.8])))
        0.5
    """

    _value_name = "recall"
    _rates = ("sensitivity", "precision")

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)


@register_builtin("metrics")
class RecallAtPrecision(_OperatingPoint):
    """Best recall at the thresholds where precision >= ``precision``.

    Args:
        precision: Float in ``[0, 1]``.
        {args}

    Example:
        >>> m = metrics.RecallAtPrecision(precision=0.8)
        >>> float(m(jnp.array([0, 0, 1, 1]), jnp.array([0.0, 0.5, 0.3, 0.9])))
        0.5
    """

    _value_name = "precision"
    _rates = ("precision", "sensitivity")

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)


for _cls in (SensitivityAtSpecificity, SpecificityAtSensitivity, PrecisionAtRecall,
             RecallAtPrecision):
    _cls.__doc__ = _cls.__doc__.replace("{args}", _DOC_ARGS)

__all__ = [
    "SensitivityAtSpecificity", "SpecificityAtSensitivity", "PrecisionAtRecall",
    "RecallAtPrecision",
]
