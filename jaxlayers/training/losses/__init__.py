"""Keras 3 losses as pure JAX functions, and `Loss` objects that reduce them.

Every loss is written once, as a function returning one value per sample
(``(batch,)`` for ``(batch, features)`` inputs, as in Keras).  Each ``Loss``
class wraps its function and adds the reduction and the sample weighting of
``keras.losses.Loss``.  All of it is pure ``jax.numpy`` and jittable; shape
and dtype errors are raised from static shapes (at trace time, or before
tracing through :func:`check_loss_inputs`), never inside traced math.

Reductions (``Loss(reduction=...)``), as Keras 3 defines them:

* ``"sum_over_batch_size"`` / ``"mean"``: sum of the weighted values divided by
  their number of elements;
* ``"sum"``: sum of the weighted values;
* ``"mean_with_sample_weight"``: sum divided by the sum of the sample weights
  (by the number of elements when there are none);
* ``"none"`` / ``None``: the weighted values themselves.

A mask (the explicit ``mask=`` argument of ``Loss.__call__``, or the one a loss
makes itself, e.g. ``ignore_class`` of sparse categorical crossentropy) counts
as a 0/1 sample weight; for ``"sum_over_batch_size"`` and ``"mean"`` it is
rescaled so the result is the mean over the unmasked elements.  Sample weights
of lower rank than the per-sample values are aligned on the leading (batch)
axes, so ``(batch,)`` weights work with ``(batch, time)`` values.

Example:
    >>> y_true = jnp.array([0, 2])
    >>> logits = jnp.array([[2.0, 0.0, 0.0], [0.0, 0.0, 2.0]])
    >>> loss = losses.SparseCategoricalCrossentropy(from_logits=True)
    >>> round(float(loss(y_true, logits)), 4)
    0.2395

The losses live in one module per family: :mod:`.probabilistic`
(crossentropies, KL divergence, Poisson), :mod:`.regression`, :mod:`.margin`
(hinge losses), :mod:`.segmentation` (Dice, Tversky), :mod:`.metric_learning`
(Circle) and :mod:`.sequence` (CTC), over :mod:`.base` (``Loss`` and the table
of built-in functions), :mod:`.reduction` and :mod:`.checks`; :mod:`.registry`
looks them up by name.
"""

from jaxlayers.training.losses.base import (
    Loss as Loss,
)
from jaxlayers.training.losses.base import (
    LossFunctionWrapper as LossFunctionWrapper,
)
from jaxlayers.training.losses.base import (
    loss_mask as loss_mask,
)
from jaxlayers.training.losses.margin import (
    CategoricalHinge as CategoricalHinge,
)
from jaxlayers.training.losses.margin import (
    Hinge as Hinge,
)
from jaxlayers.training.losses.margin import (
    SquaredHinge as SquaredHinge,
)
from jaxlayers.training.losses.margin import (
    categorical_hinge as categorical_hinge,
)
from jaxlayers.training.losses.margin import (
    hinge as hinge,
)
from jaxlayers.training.losses.margin import (
    squared_hinge as squared_hinge,
)
from jaxlayers.training.losses.metric_learning import Circle as Circle
from jaxlayers.training.losses.metric_learning import circle as circle
from jaxlayers.training.losses.probabilistic import (
    BCE as BCE,
)
from jaxlayers.training.losses.probabilistic import (
    KLD as KLD,
)
from jaxlayers.training.losses.probabilistic import (
    BinaryCrossentropy as BinaryCrossentropy,
)
from jaxlayers.training.losses.probabilistic import (
    BinaryFocalCrossentropy as BinaryFocalCrossentropy,
)
from jaxlayers.training.losses.probabilistic import (
    CategoricalCrossentropy as CategoricalCrossentropy,
)
from jaxlayers.training.losses.probabilistic import (
    CategoricalFocalCrossentropy as CategoricalFocalCrossentropy,
)
from jaxlayers.training.losses.probabilistic import (
    CategoricalGeneralizedCrossEntropy as CategoricalGeneralizedCrossEntropy,
)
from jaxlayers.training.losses.probabilistic import (
    KLDivergence as KLDivergence,
)
from jaxlayers.training.losses.probabilistic import (
    Poisson as Poisson,
)
from jaxlayers.training.losses.probabilistic import (
    SparseCategoricalCrossentropy as SparseCategoricalCrossentropy,
)
from jaxlayers.training.losses.probabilistic import (
    bce as bce,
)
from jaxlayers.training.losses.probabilistic import (
    binary_crossentropy as binary_crossentropy,
)
from jaxlayers.training.losses.probabilistic import (
    binary_focal_crossentropy as binary_focal_crossentropy,
)
from jaxlayers.training.losses.probabilistic import (
    categorical_crossentropy as categorical_crossentropy,
)
from jaxlayers.training.losses.probabilistic import (
    categorical_focal_crossentropy as categorical_focal_crossentropy,
)
from jaxlayers.training.losses.probabilistic import (
    categorical_generalized_cross_entropy as categorical_generalized_cross_entropy,
)
from jaxlayers.training.losses.probabilistic import (
    kl_divergence as kl_divergence,
)
from jaxlayers.training.losses.probabilistic import (
    kld as kld,
)
from jaxlayers.training.losses.probabilistic import (
    poisson as poisson,
)
from jaxlayers.training.losses.probabilistic import (
    sparse_categorical_crossentropy as sparse_categorical_crossentropy,
)
from jaxlayers.training.losses.reduction import (
    REDUCTIONS as REDUCTIONS,
)
from jaxlayers.training.losses.reduction import (
    align_ranks as align_ranks,
)
from jaxlayers.training.losses.reduction import (
    divide_no_nan as divide_no_nan,
)
from jaxlayers.training.losses.reduction import (
    reduce_weighted_values as reduce_weighted_values,
)
from jaxlayers.training.losses.reduction import (
    standardize_reduction as standardize_reduction,
)
from jaxlayers.training.losses.registry import (
    LOSS_FUNCTIONS as LOSS_FUNCTIONS,
)
from jaxlayers.training.losses.registry import (
    check_loss_inputs as check_loss_inputs,
)
from jaxlayers.training.losses.registry import (
    deserialize as deserialize,
)
from jaxlayers.training.losses.registry import (
    get as get,
)
from jaxlayers.training.losses.registry import (
    serialize as serialize,
)
from jaxlayers.training.losses.regression import (
    MAE as MAE,
)
from jaxlayers.training.losses.regression import (
    MAPE as MAPE,
)
from jaxlayers.training.losses.regression import (
    MSE as MSE,
)
from jaxlayers.training.losses.regression import (
    MSLE as MSLE,
)
from jaxlayers.training.losses.regression import (
    CosineSimilarity as CosineSimilarity,
)
from jaxlayers.training.losses.regression import (
    Huber as Huber,
)
from jaxlayers.training.losses.regression import (
    LogCosh as LogCosh,
)
from jaxlayers.training.losses.regression import (
    MeanAbsoluteError as MeanAbsoluteError,
)
from jaxlayers.training.losses.regression import (
    MeanAbsolutePercentageError as MeanAbsolutePercentageError,
)
from jaxlayers.training.losses.regression import (
    MeanSquaredError as MeanSquaredError,
)
from jaxlayers.training.losses.regression import (
    MeanSquaredLogarithmicError as MeanSquaredLogarithmicError,
)
from jaxlayers.training.losses.regression import (
    cosine_similarity as cosine_similarity,
)
from jaxlayers.training.losses.regression import (
    huber as huber,
)
from jaxlayers.training.losses.regression import (
    log_cosh as log_cosh,
)
from jaxlayers.training.losses.regression import (
    mae as mae,
)
from jaxlayers.training.losses.regression import (
    mape as mape,
)
from jaxlayers.training.losses.regression import (
    mean_absolute_error as mean_absolute_error,
)
from jaxlayers.training.losses.regression import (
    mean_absolute_percentage_error as mean_absolute_percentage_error,
)
from jaxlayers.training.losses.regression import (
    mean_squared_error as mean_squared_error,
)
from jaxlayers.training.losses.regression import (
    mean_squared_logarithmic_error as mean_squared_logarithmic_error,
)
from jaxlayers.training.losses.regression import (
    mse as mse,
)
from jaxlayers.training.losses.regression import (
    msle as msle,
)
from jaxlayers.training.losses.segmentation import (
    Dice as Dice,
)
from jaxlayers.training.losses.segmentation import (
    Tversky as Tversky,
)
from jaxlayers.training.losses.segmentation import (
    dice as dice,
)
from jaxlayers.training.losses.segmentation import (
    tversky as tversky,
)
from jaxlayers.training.losses.sequence import CTC as CTC
from jaxlayers.training.losses.sequence import ctc as ctc

__all__ = [
    "Loss", "LossFunctionWrapper", "BinaryCrossentropy", "BinaryFocalCrossentropy",
    "CategoricalCrossentropy", "CategoricalFocalCrossentropy", "SparseCategoricalCrossentropy",
    "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "CosineSimilarity", "Huber", "LogCosh", "Hinge",
    "SquaredHinge", "CategoricalHinge", "KLDivergence", "Poisson", "Tversky", "Dice", "CTC",
    "Circle", "CategoricalGeneralizedCrossEntropy", "circle",
    "categorical_generalized_cross_entropy",
    "binary_crossentropy", "binary_focal_crossentropy", "categorical_crossentropy",
    "categorical_focal_crossentropy", "sparse_categorical_crossentropy", "mean_squared_error",
    "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_logarithmic_error",
    "cosine_similarity", "huber", "log_cosh", "hinge", "squared_hinge", "categorical_hinge",
    "kl_divergence", "poisson", "tversky", "dice", "ctc", "mse", "mae", "mape", "msle", "kld",
    "get", "serialize", "deserialize", "check_loss_inputs", "reduce_weighted_values",
    "standardize_reduction", "align_ranks", "loss_mask", "divide_no_nan", "REDUCTIONS",
]

