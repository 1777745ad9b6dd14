"""Looking up metrics by name and (de)serializing them; what ``compile(metrics=...)`` means.

Importing this module imports every metric family, so every built-in metric is
registered before a name is looked up.
"""

import inspect

from jaxlayers.core.serialization import (
    builtins,
    deserialize_object,
    resolve_object,
    serialize_object,
)
from jaxlayers.training import losses as losses_lib
from jaxlayers.training.losses.reduction import snake_case
from jaxlayers.training.metrics import (  # noqa: F401 - imported for their registrations
    confusion,
    correlation,
    fscores,
    iou,
    margin,
    operating_points,
    probabilistic,
    regression,
)
from jaxlayers.training.metrics.accuracies import (
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
)
from jaxlayers.training.metrics.base import Metric
from jaxlayers.training.metrics.reduction import Mean, Sum

_ALIASES = {
    "acc": "Accuracy", "bce": "BinaryCrossentropy", "BCE": "BinaryCrossentropy",
    "mse": "MeanSquaredError", "MSE": "MeanSquaredError", "mae": "MeanAbsoluteError",
    "MAE": "MeanAbsoluteError", "mape": "MeanAbsolutePercentageError",
    "MAPE": "MeanAbsolutePercentageError", "msle": "MeanSquaredLogarithmicError",
    "MSLE": "MeanSquaredLogarithmicError",
}


def _name_table():
    """Class names, their snake_case forms and Keras's short aliases."""
    classes = {k: v for k, v in builtins("metrics").items() if inspect.isclass(v)}
    table = dict(classes)
    table.update({snake_case(k): v for k, v in classes.items()})
    table.update({alias: classes[target] for alias, target in _ALIASES.items()})
    return table


def get(identifier):
    """A metric from a name, config dict, class, instance or function.

    Names are Keras's: class names (``"AUC"``), their snake_case forms
    (``"auc"``, ``"sparse_categorical_accuracy"``) and ``"mse"``, ``"mae"``,
    ``"mape"``, ``"msle"``, ``"bce"``, ``"acc"``. ``"accuracy"`` gives
    :class:`Accuracy`; a trainer resolving ``compile(metrics=["accuracy"])``
    should call :func:`resolve_accuracy` instead. Functions are returned as
    is (wrap them in :class:`MeanMetricWrapper`); ``None`` gives ``None``.

    Args:
        identifier: A name, a config dict, an instance, or ``None``.

    Raises:
        ConfigError: For an unknown name, listing the known ones.

    Example:
        >>> type(metrics.get("auc")).__name__, type(metrics.get("mse")).__name__
        ('AUC', 'MeanSquaredError')
    """
    if identifier is None:
        return None
    if isinstance(identifier, Metric):
        return identifier
    return resolve_object(identifier, "metrics", "metric", base=Metric,
                          names=_name_table())


def serialize(metric):
    """``{"module", "class_name", "config", "registered_name"}`` for a metric.

    Args:
        metric: A metric instance.

    Example:
        >>> metrics.serialize(metrics.AUC(curve="PR"))["config"]["curve"]
        'PR'
    """
    return serialize_object(metric, "jaxlayers.training.metrics")


def deserialize(config, custom_objects=None):
    """Rebuilds a metric from :func:`serialize` output or a name.

    Args:
        config: A dict made by ``serialize`` / ``get_config``, or a name.
        custom_objects: Optional ``{name: object}`` for user-defined objects.

    Example:
        >>> m = metrics.deserialize(metrics.serialize(metrics.BinaryAccuracy(threshold=0.7)))
        >>> m.threshold
        0.7
    """
    if isinstance(config, str):
        config = {"class_name": type(get(config)).__name__, "config": {}}
    return deserialize_object(config, "metrics", custom_objects, printable="metric")


def takes_values_only(metric):
    """Whether ``metric.update`` reduces plain values (``Mean``, ``Sum``), not labels.

    Such a metric cannot score ``(y_true, y_pred)`` in ``compile(metrics=...)``.

    Args:
        metric: A metric instance.

    Example:
        >>> metrics.takes_values_only(metrics.Mean()), metrics.takes_values_only(metrics.AUC())
        (True, False)
    """
    return type(metric).update in (Mean.update, Sum.update)


def class_id_labels(obj):
    """``(axis, ignore_class)`` when ``obj`` reads labels as class ids, else ``None``.

    ``obj`` is a loss or metric (object or function) whose integer labels index
    ``axis`` of ``y_pred``: the sparse categorical crossentropy and accuracies.
    A trainer uses it to check labels against the width of the output on the
    host, since an id out of range gives NaN (or a silent 0) inside the step.

    Args:
        obj: The object to inspect.

    Example:
        >>> metrics.class_id_labels(losses.SparseCategoricalCrossentropy(ignore_class=-1))
        (-1, -1)
        >>> metrics.class_id_labels(metrics.CategoricalAccuracy()) is None
        True
    """
    fn = getattr(obj, "fn", None) or getattr(obj, "_fn", None) or obj
    kwargs = getattr(obj, "_fn_kwargs", {})
    if fn not in _CLASS_ID_FUNCTIONS or kwargs.get("from_sorted_ids"):
        return None
    return kwargs.get("axis", -1), kwargs.get("ignore_class")


_CLASS_ID_FUNCTIONS = (
    losses_lib.sparse_categorical_crossentropy, sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
)
_SPARSE_LOSSES = (losses_lib.sparse_categorical_crossentropy,)
_BINARY_LOSSES = (losses_lib.binary_crossentropy, losses_lib.binary_focal_crossentropy)
_CATEGORICAL_LOSSES = (
    losses_lib.categorical_crossentropy, losses_lib.categorical_focal_crossentropy,
)


def resolve_accuracy(loss, y_true_shape, y_pred_shape, name="accuracy"):
    """The accuracy metric that ``metrics=["accuracy"]`` means for this loss and data.

    Output dim 1 gives :class:`BinaryAccuracy`, as in Keras. Otherwise a known
    crossentropy decides (sparse -> :class:`SparseCategoricalAccuracy`, binary
    -> :class:`BinaryAccuracy`, categorical -> :class:`CategoricalAccuracy`),
    and for any other loss Keras's shape rule does: labels of lower rank, or
    with last dim 1, mean sparse labels; else categorical.

    Args:
        loss: A loss name, function, ``Loss`` object or ``None``.
        y_true_shape: Shape of the labels (``None`` entries allowed).
        y_pred_shape: Shape of the predictions.
        name: Name of the returned metric (``"accuracy"`` or ``"acc"``).

    Example:
        >>> m = metrics.resolve_accuracy("sparse_categorical_crossentropy", (32,), (32, 10))
        >>> type(m).__name__, m.name
        ('SparseCategoricalAccuracy', 'accuracy')
    """
    if isinstance(loss, (str, dict)):
        loss = losses_lib.get(loss)
    fn = getattr(loss, "fn", loss)
    yt, yp = tuple(y_true_shape), tuple(y_pred_shape)
    if yp and yp[-1] == 1 or fn in _BINARY_LOSSES:
        return BinaryAccuracy(name=name)
    if fn in _SPARSE_LOSSES:
        return SparseCategoricalAccuracy(name=name)
    if fn in _CATEGORICAL_LOSSES:
        return CategoricalAccuracy(name=name)
    if len(yt) < len(yp) or (yt and yt[-1] == 1 and yp and yp[-1] not in (None, 1)):
        return SparseCategoricalAccuracy(name=name)
    return CategoricalAccuracy(name=name)


__all__ = [
    "get", "serialize", "deserialize", "resolve_accuracy", "takes_values_only",
    "class_id_labels",
]
