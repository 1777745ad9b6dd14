"""Keras 3 metrics as pure ``(init, update, result)`` triples over a state pytree.

A metric object carries only its options. Its state is a dict of arrays that
the caller owns, like an optax optimizer state, so metrics live inside a
jitted train step::

    state = metric.init()                                   # {"total": 0., "count": 0.}
    state = metric.update(state, y_true, y_pred, sample_weight)   # pure, jittable
    value = metric.result(state)                            # pure, jittable

The same object is also the Keras facade: ``update_state``, ``result()`` (no
argument), ``reset_state``, ``variables`` (``Variable`` s holding the state),
the ``stateless_*`` list API, ``get_config`` / ``from_config``.

Subclasses implement ``init``, ``update`` and ``compute_result(state)``;
``result(state)`` calls ``compute_result`` on the given state, or on the
facade's own state when no state is passed. Metrics whose state size depends
on the data (``AUC(multi_label=True)``, ``F1Score``) take example inputs, or
``jax.ShapeDtypeStruct`` s, in ``init(y_true, y_pred)``. A subclass written as
in Keras (``add_variable`` in ``__init__``, ``update_state`` with ``assign``,
``result()``) gets the pure triple derived from those methods (see
:mod:`.base`), so it runs inside a jitted train step too.

The metrics live in one module per family: :mod:`.reduction` (``Sum``,
``Mean``, ``MeanMetricWrapper``), :mod:`.accuracies`, :mod:`.probabilistic`,
:mod:`.regression` (with ``R2Score``), :mod:`.correlation`, :mod:`.margin`
(hinge), :mod:`.confusion` (``AUC``, ``Precision``, ``Recall``,
``TruePositives``, ...), :mod:`.operating_points` (``PrecisionAtRecall``, ...),
:mod:`.iou` and :mod:`.fscores`, over :mod:`.base` (``Metric``); :mod:`.registry`
looks them up by name. The loss functions are re-exported here, as in Keras.

Example:
    >>> m = metrics.SparseCategoricalAccuracy()
    >>> step = jax.jit(m.update)
    >>> state = m.init()
    >>> state = step(state, jnp.array([0, 1]), jnp.array([[0.9, 0.1], [0.8, 0.2]]))
    >>> state = step(state, jnp.array([1, 1]), jnp.array([[0.3, 0.7], [0.4, 0.6]]))
    >>> float(m.result(state))
    0.75
"""

# Keras exposes the loss functions under keras.metrics too (the same objects).
from jaxlayers.training.losses import (
    binary_crossentropy as binary_crossentropy,
)
from jaxlayers.training.losses import (
    binary_focal_crossentropy as binary_focal_crossentropy,
)
from jaxlayers.training.losses import (
    categorical_crossentropy as categorical_crossentropy,
)
from jaxlayers.training.losses import (
    categorical_focal_crossentropy as categorical_focal_crossentropy,
)
from jaxlayers.training.losses import (
    categorical_hinge as categorical_hinge,
)
from jaxlayers.training.losses import (
    hinge as hinge,
)
from jaxlayers.training.losses import (
    huber as huber,
)
from jaxlayers.training.losses import (
    kl_divergence as kl_divergence,
)
from jaxlayers.training.losses import (
    log_cosh as log_cosh,
)
from jaxlayers.training.losses import (
    mean_absolute_error as mean_absolute_error,
)
from jaxlayers.training.losses import (
    mean_absolute_percentage_error as mean_absolute_percentage_error,
)
from jaxlayers.training.losses import (
    mean_squared_error as mean_squared_error,
)
from jaxlayers.training.losses import (
    mean_squared_logarithmic_error as mean_squared_logarithmic_error,
)
from jaxlayers.training.losses import (
    poisson as poisson,
)
from jaxlayers.training.losses import (
    sparse_categorical_crossentropy as sparse_categorical_crossentropy,
)
from jaxlayers.training.losses import (
    squared_hinge as squared_hinge,
)
from jaxlayers.training.metrics.accuracies import (
    Accuracy as Accuracy,
)
from jaxlayers.training.metrics.accuracies import (
    BinaryAccuracy as BinaryAccuracy,
)
from jaxlayers.training.metrics.accuracies import (
    CategoricalAccuracy as CategoricalAccuracy,
)
from jaxlayers.training.metrics.accuracies import (
    SparseCategoricalAccuracy as SparseCategoricalAccuracy,
)
from jaxlayers.training.metrics.accuracies import (
    SparseTopKCategoricalAccuracy as SparseTopKCategoricalAccuracy,
)
from jaxlayers.training.metrics.accuracies import (
    TopKCategoricalAccuracy as TopKCategoricalAccuracy,
)
from jaxlayers.training.metrics.accuracies import (
    accuracy as accuracy,
)
from jaxlayers.training.metrics.accuracies import (
    binary_accuracy as binary_accuracy,
)
from jaxlayers.training.metrics.accuracies import (
    categorical_accuracy as categorical_accuracy,
)
from jaxlayers.training.metrics.accuracies import (
    sparse_categorical_accuracy as sparse_categorical_accuracy,
)
from jaxlayers.training.metrics.accuracies import (
    sparse_top_k_categorical_accuracy as sparse_top_k_categorical_accuracy,
)
from jaxlayers.training.metrics.accuracies import (
    top_k_categorical_accuracy as top_k_categorical_accuracy,
)
from jaxlayers.training.metrics.base import Metric as Metric
from jaxlayers.training.metrics.confusion import (
    AUC as AUC,
)
from jaxlayers.training.metrics.confusion import (
    FalseNegatives as FalseNegatives,
)
from jaxlayers.training.metrics.confusion import (
    FalsePositives as FalsePositives,
)
from jaxlayers.training.metrics.confusion import (
    Precision as Precision,
)
from jaxlayers.training.metrics.confusion import (
    Recall as Recall,
)
from jaxlayers.training.metrics.confusion import (
    TrueNegatives as TrueNegatives,
)
from jaxlayers.training.metrics.confusion import (
    TruePositives as TruePositives,
)
from jaxlayers.training.metrics.correlation import (
    ConcordanceCorrelation as ConcordanceCorrelation,
)
from jaxlayers.training.metrics.correlation import (
    PearsonCorrelation as PearsonCorrelation,
)
from jaxlayers.training.metrics.correlation import (
    concordance_correlation as concordance_correlation,
)
from jaxlayers.training.metrics.correlation import (
    pearson_correlation as pearson_correlation,
)
from jaxlayers.training.metrics.fscores import F1Score as F1Score
from jaxlayers.training.metrics.fscores import FBetaScore as FBetaScore
from jaxlayers.training.metrics.iou import (
    BinaryIoU as BinaryIoU,
)
from jaxlayers.training.metrics.iou import (
    IoU as IoU,
)
from jaxlayers.training.metrics.iou import (
    MeanIoU as MeanIoU,
)
from jaxlayers.training.metrics.iou import (
    OneHotIoU as OneHotIoU,
)
from jaxlayers.training.metrics.iou import (
    OneHotMeanIoU as OneHotMeanIoU,
)
from jaxlayers.training.metrics.margin import (
    CategoricalHinge as CategoricalHinge,
)
from jaxlayers.training.metrics.margin import (
    Hinge as Hinge,
)
from jaxlayers.training.metrics.margin import (
    SquaredHinge as SquaredHinge,
)
from jaxlayers.training.metrics.operating_points import (
    PrecisionAtRecall as PrecisionAtRecall,
)
from jaxlayers.training.metrics.operating_points import (
    RecallAtPrecision as RecallAtPrecision,
)
from jaxlayers.training.metrics.operating_points import (
    SensitivityAtSpecificity as SensitivityAtSpecificity,
)
from jaxlayers.training.metrics.operating_points import (
    SpecificityAtSensitivity as SpecificityAtSensitivity,
)
from jaxlayers.training.metrics.probabilistic import (
    BinaryCrossentropy as BinaryCrossentropy,
)
from jaxlayers.training.metrics.probabilistic import (
    CategoricalCrossentropy as CategoricalCrossentropy,
)
from jaxlayers.training.metrics.probabilistic import (
    KLDivergence as KLDivergence,
)
from jaxlayers.training.metrics.probabilistic import (
    Poisson as Poisson,
)
from jaxlayers.training.metrics.probabilistic import (
    SparseCategoricalCrossentropy as SparseCategoricalCrossentropy,
)
from jaxlayers.training.metrics.reduction import (
    Mean as Mean,
)
from jaxlayers.training.metrics.reduction import (
    MeanMetricWrapper as MeanMetricWrapper,
)
from jaxlayers.training.metrics.reduction import (
    Sum as Sum,
)
from jaxlayers.training.metrics.registry import (
    class_id_labels as class_id_labels,
)
from jaxlayers.training.metrics.registry import (
    deserialize as deserialize,
)
from jaxlayers.training.metrics.registry import (
    get as get,
)
from jaxlayers.training.metrics.registry import (
    resolve_accuracy as resolve_accuracy,
)
from jaxlayers.training.metrics.registry import (
    serialize as serialize,
)
from jaxlayers.training.metrics.registry import (
    takes_values_only as takes_values_only,
)
from jaxlayers.training.metrics.regression import (
    CosineSimilarity as CosineSimilarity,
)
from jaxlayers.training.metrics.regression import (
    LogCoshError as LogCoshError,
)
from jaxlayers.training.metrics.regression import (
    MeanAbsoluteError as MeanAbsoluteError,
)
from jaxlayers.training.metrics.regression import (
    MeanAbsolutePercentageError as MeanAbsolutePercentageError,
)
from jaxlayers.training.metrics.regression import (
    MeanSquaredError as MeanSquaredError,
)
from jaxlayers.training.metrics.regression import (
    MeanSquaredLogarithmicError as MeanSquaredLogarithmicError,
)
from jaxlayers.training.metrics.regression import (
    R2Score as R2Score,
)
from jaxlayers.training.metrics.regression import (
    RootMeanSquaredError as RootMeanSquaredError,
)

__all__ = [
    "Metric", "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy",
    "CategoricalAccuracy", "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy", "MeanSquaredError", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "RootMeanSquaredError",
    "CosineSimilarity", "LogCoshError", "BinaryCrossentropy", "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy", "KLDivergence", "Poisson", "Hinge", "SquaredHinge",
    "CategoricalHinge", "AUC", "Precision", "Recall", "F1Score", "FBetaScore", "TruePositives",
    "TrueNegatives", "FalsePositives", "FalseNegatives", "accuracy", "binary_accuracy",
    "categorical_accuracy", "sparse_categorical_accuracy", "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy", "IoU", "MeanIoU", "BinaryIoU", "OneHotIoU",
    "OneHotMeanIoU", "R2Score", "PearsonCorrelation", "ConcordanceCorrelation",
    "PrecisionAtRecall", "RecallAtPrecision", "SensitivityAtSpecificity",
    "SpecificityAtSensitivity", "pearson_correlation", "concordance_correlation",
    "binary_crossentropy", "binary_focal_crossentropy", "categorical_crossentropy",
    "categorical_focal_crossentropy", "categorical_hinge", "hinge", "huber", "kl_divergence",
    "log_cosh", "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error",
    "mean_squared_logarithmic_error", "poisson", "sparse_categorical_crossentropy",
    "squared_hinge", "get", "serialize", "deserialize", "resolve_accuracy",
    "takes_values_only", "class_id_labels",
]
