"""Looking up losses by name and (de)serializing them: ``get``, ``serialize``, ``deserialize``.

Importing this module imports every family module, so every built-in loss is
registered before a name is looked up.
"""

from jaxlayers.core.serialization import deserialize_object, resolve_object, serialize_object
from jaxlayers.errors import SerializationError
from jaxlayers.training.losses import (  # noqa: F401 - imported for their registrations
    margin,
    metric_learning,
    probabilistic,
    regression,
    segmentation,
    sequence,
)
from jaxlayers.training.losses.base import Loss, builtin_functions, function_kind, function_name
from jaxlayers.training.losses.checks import check_kind

LOSS_FUNCTIONS = builtin_functions()


def get(identifier):
    """A loss from a name, a config dict, a class, an instance or a function.

    Like ``keras.losses.get``: a function name (``"mse"``,
    ``"sparse_categorical_crossentropy"``) gives the function; a class name
    (``"MeanSquaredError"``) gives an instance with default options; a
    callable is returned as is; ``None`` gives ``None``.

    Args:
        identifier: A name, a config dict, an instance, or ``None``.

    Raises:
        ConfigError: For an unknown name, listing the known ones.

    Example:
        >>> losses.get("mse") is losses.mean_squared_error
        True
        >>> losses.get("Huber").get_config()["delta"]
        1.0
    """
    return resolve_object(identifier, "losses", "loss", base=Loss)


def serialize(loss):
    """A JSON-friendly config: a name for built-in functions, a dict for ``Loss`` objects.

    Args:
        loss: A loss function or instance.

    Example:
        >>> losses.serialize(losses.mean_squared_error)
        'mean_squared_error'
        >>> losses.serialize(losses.Huber(delta=2.0))["config"]["delta"]
        2.0
    """
    if loss is None:
        return None
    if isinstance(loss, Loss):
        return serialize_object(loss, "jaxlayers.training.losses")
    if callable(loss):
        return function_name(loss)
    raise SerializationError(
        f"losses.serialize: expected a Loss or a loss function. Received: loss={loss!r}."
    )


def deserialize(config, custom_objects=None):
    """Rebuilds a loss from :func:`serialize` output (names resolve as in :func:`get`).

    Args:
        config: A dict made by ``serialize`` / ``get_config``, or a name.
        custom_objects: Optional ``{name: object}`` for user-defined objects.

    Example:
        >>> loss = losses.deserialize(losses.serialize(losses.Huber(delta=2.0)))
        >>> type(loss).__name__, loss.delta
        ('Huber', 2.0)
    """
    return deserialize_object(config, "losses", custom_objects, printable="loss")


def check_loss_inputs(loss, y_true_shape, y_pred_shape, y_true_dtype=None):
    """Checks that labels of this shape and dtype suit ``loss``, before tracing.

    Args:
        loss: A loss name, function or ``Loss``; custom losses are not checked.
        y_true_shape: Shape of the labels (``None`` entries match anything).
        y_pred_shape: Shape of the predictions.
        y_true_dtype: Optional dtype of the labels.

    Raises:
        ShapeError: E.g. one-hot labels given to sparse categorical crossentropy.
        DTypeError: Labels of a non-numeric dtype.

    Example:
        >>> losses.check_loss_inputs("sparse_categorical_crossentropy", (8,), (8, 10))
        >>> losses.check_loss_inputs("sparse_categorical_crossentropy", (8, 10), (8, 10))
        Traceback (most recent call last):
        ...
        jaxlayers.errors.ShapeError: sparse_categorical_crossentropy expects integer class ids ...
    """
    if isinstance(loss, (str, dict)):
        loss = get(loss)
    if isinstance(loss, Loss):
        loss.check_inputs(y_true_shape, y_pred_shape, y_true_dtype)
        return
    kind = function_kind(loss)
    if kind is not None:
        check_kind(kind, loss.__name__, y_true_shape, y_pred_shape, y_true_dtype)


__all__ = ["get", "serialize", "deserialize", "check_loss_inputs", "LOSS_FUNCTIONS"]
