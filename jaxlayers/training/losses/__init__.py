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
    LossFunctionWrapper as LossFunctionWrapper,
    loss_mask as loss_mask,
)
from jaxlayers.training.losses.margin import (
    CategoricalHinge as CategoricalHinge,
    Hinge as Hinge,
    SquaredHinge as SquaredHinge,
    categorical_hinge as categorical_hinge,
    hinge as hinge,
    squared_hinge as squared_hinge,
)
from jaxlayers.training.losses.metric_learning import Circle as Circle, circle as circle
from jaxlayers.training.losses.probabilistic import (
    BCE as BCE,
    KLD as KLD,
    BinaryCrossentropy as BinaryCrossentropy,
    BinaryFocalCrossentropy as BinaryFocalCrossentropy,
    CategoricalCrossentropy as CategoricalCrossentropy,
    CategoricalFocalCrossentropy as CategoricalFocalCrossentropy,
    CategoricalGeneralizedCrossEntropy as CategoricalGeneralizedCrossEntropy,
    KLDivergence as KLDivergence,
    Poisson as Poisson,
    SparseCategoricalCrossentropy as SparseCategoricalCrossentropy,
    bce as bce,
    binary_crossentropy as binary_crossentropy,
    binary_focal_crossentropy as binary_focal_crossentropy,
    categorical_crossentropy as categorical_crossentropy,
    categorical_focal_crossentropy as categorical_focal_crossentropy,
    categorical_generalized_cross_entropy as categorical_generalized_cross_entropy,
    kl_divergence as kl_divergence,
    kld as kld,
    poisson as poisson,
    sparse_categorical_crossentropy as sparse_categorical_crossentropy,
)
from jaxlayers.training.losses.reduction import (
    REDUCTIONS as REDUCTIONS,
    align_ranks as align_ranks,
    divide_no_nan as divide_no_nan,
    reduce_weighted_values as reduce_weighted_values,
    standardize_reduction as standardize_reduction,
)
from jaxlayers.training.losses.registry import (
    LOSS_FUNCTIONS as LOSS_FUNCTIONS,
    check_loss_inputs as check_loss_inputs,
    deserialize as deserialize,
    get as get,
    serialize as serialize,
)
from jaxlayers.training.losses.regression import (
    MAE as MAE,
    MAPE as MAPE,
    MSE as MSE,
    MSLE as MSLE,
    CosineSimilarity as CosineSimilarity,
    Huber as Huber,
    LogCosh as LogCosh,
    MeanAbsoluteError as MeanAbsoluteError,
    MeanAbsolutePercentageError as MeanAbsolutePercentageError,
    MeanSquaredError as MeanSquaredError,
    MeanSquaredLogarithmicError as MeanSquaredLogarithmicError,
    cosine_similarity as cosine_similarity,
    huber as huber,
    log_cosh as log_cosh,
    mae as mae,
    mape as mape,
    mean_absolute_error as mean_absolute_error,
    mean_absolute_percentage_error as mean_absolute_percentage_error,
    mean_squared_error as mean_squared_error,
    mean_squared_logarithmic_error as mean_squared_logarithmic_error,
    mse as mse,
    msle as msle,
)
from jaxlayers.training.losses.segmentation import (
    Dice as Dice,
    Tversky as Tversky,
    dice as dice,
    tversky as tversky,
)
from jaxlayers.training.losses.sequence import CTC as CTC, ctc as ctc

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

