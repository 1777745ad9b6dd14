"""Probabilistic metrics: the crossentropies, KL divergence and Poisson losses, averaged."""

from jaxlayers.core.serialization import register_builtin
from jaxlayers.training import losses as losses_lib
from jaxlayers.training.metrics.reduction import BuiltinMeanMetric


@register_builtin("metrics")
class BinaryCrossentropy(BuiltinMeanMetric):
    """Mean of :func:`~jaxlayers.training.losses.binary_crossentropy`.

    Args:
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: Float in ``[0, 1]``: labels move this far toward uniform.

    Example:
        >>> m = metrics.BinaryCrossentropy()
        >>> round(float(m(jnp.array([[0, 1], [0, 0]]), jnp.array([[0.6, 0.4], [0.4, 0.6]]))), 4)
        0.8149
    """

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0):
        super().__init__(losses_lib.binary_crossentropy, name, dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)


@register_builtin("metrics")
class CategoricalCrossentropy(BuiltinMeanMetric):
    """Mean of :func:`~jaxlayers.training.losses.categorical_crossentropy`.

    Args:
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: Float in ``[0, 1]``: labels move this far toward uniform.
        axis: Int axis.

    Example:
        >>> m = metrics.CategoricalCrossentropy()
        >>> round(float(m(jnp.array([[0, 1]]), jnp.array([[0.1, 0.9]]))), 4)
        0.1054
    """

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0, axis=-1):
        super().__init__(losses_lib.categorical_crossentropy, name, dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


@register_builtin("metrics")
class SparseCategoricalCrossentropy(BuiltinMeanMetric):
    """Mean of :func:`~jaxlayers.training.losses.sparse_categorical_crossentropy`.

    Entries labelled ``ignore_class`` are left out of the mean (Keras 3.15
    leaves them out only when a ``sample_weight`` is given).

    Args:
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        ignore_class: Optional int label whose entries are left out.
        axis: Int axis.

    Example:
        >>> m = metrics.SparseCategoricalCrossentropy()
        >>> round(float(m(jnp.array([1]), jnp.array([[0.1, 0.9]]))), 4)
        0.1054
    """

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False,
                 ignore_class=None, axis=-1):
        super().__init__(losses_lib.sparse_categorical_crossentropy, name, dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)


@register_builtin("metrics")
class KLDivergence(BuiltinMeanMetric):
    """Mean of :func:`~jaxlayers.training.losses.kl_divergence`.

    Args:
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> m = metrics.KLDivergence()
        >>> round(float(m(jnp.array([[0.5, 0.5]]), jnp.array([[0.9, 0.1]]))), 4)
        0.5108
    """

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(losses_lib.kl_divergence, name, dtype)


@register_builtin("metrics")
class Poisson(BuiltinMeanMetric):
    """Mean of :func:`~jaxlayers.training.losses.poisson`.

    Args:
        name: Optional name of the instance.
        dtype: Dtype (or dtype policy) it computes in; ``None`` means the global default.

    Example:
        >>> float(metrics.Poisson()(jnp.array([[1.0, 0.0]]), jnp.array([[1.0, 2.0]])))
        1.5
    """

    def __init__(self, name="poisson", dtype=None):
        super().__init__(losses_lib.poisson, name, dtype)


__all__ = [
    "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
    "KLDivergence", "Poisson",
]
