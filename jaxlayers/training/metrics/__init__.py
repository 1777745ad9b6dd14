"""Keras 3 metrics as pure ``(init, update, result)`` triples over a state pytree.

A metric object carries only its options. Its state is a dict of arrays that
the caller owns, like an optax optimizer state, so metrics live inside a
jitted train step::

    state = metric.init()                                   # {"total": 0., "count": 0.}
    state = metric.update(state, y_true, y_pred, sample_weight)   # pure, jittable
    value = metric.result(state)                            # pure, jittable

The same object is also the Keras facade: ``update_state``, ``result()`` (no
argument), ``reset_state``, ``variables``, ``get_config`` / ``from_config``.
The facade keeps one state inside the object and calls the pure methods.

Subclasses implement ``init``, ``update`` and ``compute_result(state)``;
``result(state)`` calls ``compute_result`` on the given state, or on the
facade's own state when no state is passed. Metrics whose state size depends
on the data (``AUC(multi_label=True)``, ``F1Score``) take example inputs, or
``jax.ShapeDtypeStruct`` s, in ``init(y_true, y_pred)``.

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
    binary_focal_crossentropy as binary_focal_crossentropy,
    categorical_crossentropy as categorical_crossentropy,
    categorical_focal_crossentropy as categorical_focal_crossentropy,
    categorical_hinge as categorical_hinge,
    hinge as hinge,
    huber as huber,
    kl_divergence as kl_divergence,
    log_cosh as log_cosh,
    mean_absolute_error as mean_absolute_error,
    mean_absolute_percentage_error as mean_absolute_percentage_error,
    mean_squared_error as mean_squared_error,
    mean_squared_logarithmic_error as mean_squared_logarithmic_error,
    poisson as poisson,
    sparse_categorical_crossentropy as sparse_categorical_crossentropy,
    squared_hinge as squared_hinge,
)
from jaxlayers.training.metrics.accuracies import (
    Accuracy as Accuracy,
    BinaryAccuracy as BinaryAccuracy,
    CategoricalAccuracy as CategoricalAccuracy,
    SparseCategoricalAccuracy as SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy as SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy as TopKCategoricalAccuracy,
    accuracy as accuracy,
    binary_accuracy as binary_accuracy,
    categorical_accuracy as categorical_accuracy,
    sparse_categorical_accuracy as sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy as sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy as top_k_categorical_accuracy,
)
from jaxlayers.training.metrics.base import Metric as Metric
from jaxlayers.training.metrics.confusion import (
    AUC as AUC,
    FalseNegatives as FalseNegatives,
    FalsePositives as FalsePositives,
    Precision as Precision,
    Recall as Recall,
    TrueNegatives as TrueNegatives,
    TruePositives as TruePositives,
)
from jaxlayers.training.metrics.correlation import (
    ConcordanceCorrelation as ConcordanceCorrelation,
    PearsonCorrelation as PearsonCorrelation,
    concordance_correlation as concordance_correlation,
    pearson_correlation as pearson_correlation,
)
from jaxlayers.training.metrics.fscores import F1Score as F1Score, FBetaScore as FBetaScore
from jaxlayers.training.metrics.iou import (
    BinaryIoU as BinaryIoU,
    IoU as IoU,
    MeanIoU as MeanIoU,
    OneHotIoU as OneHotIoU,
    OneHotMeanIoU as OneHotMeanIoU,
)
from jaxlayers.training.metrics.margin import (
    CategoricalHinge as CategoricalHinge,
    Hinge as Hinge,
    SquaredHinge as SquaredHinge,
)
from jaxlayers.training.metrics.operating_points import (
    PrecisionAtRecall as PrecisionAtRecall,
    RecallAtPrecision as RecallAtPrecision,
    SensitivityAtSpecificity as SensitivityAtSpecificity,
    SpecificityAtSensitivity as SpecificityAtSensitivity,
)
from jaxlayers.training.metrics.probabilistic import (
    BinaryCrossentropy as BinaryCrossentropy,
    CategoricalCrossentropy as CategoricalCrossentropy,
    KLDivergence as KLDivergence,
    Poisson as Poisson,
    SparseCategoricalCrossentropy as SparseCategoricalCrossentropy,
)
from jaxlayers.training.metrics.reduction import (
    Mean as Mean,
    MeanMetricWrapper as MeanMetricWrapper,
    Sum as Sum,
)
from jaxlayers.training.metrics.registry import (
    class_id_labels as class_id_labels,
    deserialize as deserialize,
    get as get,
    resolve_accuracy as resolve_accuracy,
    serialize as serialize,
    takes_values_only as takes_values_only,
)
from jaxlayers.training.metrics.regression import (
    CosineSimilarity as CosineSimilarity,
    LogCoshError as LogCoshError,
    MeanAbsoluteError as MeanAbsoluteError,
    MeanAbsolutePercentageError as MeanAbsolutePercentageError,
    MeanSquaredError as MeanSquaredError,
    MeanSquaredLogarithmicError as MeanSquaredLogarithmicError,
    R2Score as R2Score,
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
