"""Label and array helpers: ``to_categorical`` and ``normalize``.

NumPy in, NumPy out (float64, as Keras returns); a JAX array in gives a JAX
array out, computed with ``jax.numpy`` so it also works under ``jax.jit``.
"""

import jax
import jax.numpy as jnp
import numpy as np

from jaxlayers import backend
from jaxlayers.errors import ConfigError, DataError
from jaxlayers.ops._normalization import l2_normalize


def _check_num_classes(num_classes):
    if num_classes is None:
        return None
    if (isinstance(num_classes, (bool, np.bool_)) or not isinstance(num_classes, (int, np.integer))
            or num_classes < 1):
        raise ConfigError(
            "to_categorical: `num_classes` must be a positive int or None. "
            f"Received: num_classes={num_classes!r}."
        )
    return int(num_classes)


def _check_labels(labels, num_classes):
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        bad = labels[(labels < 0) | (labels >= num_classes)].flat[0]
        raise DataError(
            f"to_categorical: `x` must hold class ids in [0, {num_classes}). Received: "
            f"label {bad.item()!r}. Pass num_classes larger than the largest label."
        )


def to_categorical(x, num_classes=None):
    """One-hot encodes integer class labels; the class axis goes last.

    A trailing axis of size 1 (labels of shape ``(n, 1)``) is dropped first.

    Args:
        x: Integer labels in ``[0, num_classes)``: a list, NumPy array or JAX array.
        num_classes: Number of classes; ``None`` means ``max(x) + 1``.

    Returns:
        A float64 NumPy array for NumPy/list input (as Keras returns); a
        float32 JAX array for a JAX array.

    Example:
        >>> to_categorical([0, 2, 1], num_classes=3)
        array([[1., 0., 0.],
               [0., 0., 1.],
               [0., 1., 0.]])
    """
    num_classes = _check_num_classes(num_classes)
    if isinstance(x, jax.Array):
        if x.ndim > 1 and x.shape[-1] == 1:
            x = x.reshape(x.shape[:-1])
        if not isinstance(x, jax.core.Tracer):
            labels = np.asarray(x)
            if num_classes is None:
                num_classes = int(labels.max(initial=-1)) + 1 or 1
            _check_labels(labels, num_classes)
        elif num_classes is None:
            raise ConfigError(
                "to_categorical: under jax.jit the number of classes cannot be read from the "
                "labels. Pass num_classes=... . Received: num_classes=None."
            )
        return jax.nn.one_hot(x, num_classes, dtype=backend.floatx())
    labels = np.asarray(x)
    if labels.dtype.kind not in "iub" and not (
            labels.dtype.kind == "f" and np.all(np.mod(labels, 1) == 0)):
        raise DataError(
            "to_categorical: `x` must hold integer class ids. Received: an array of dtype "
            f"{labels.dtype}."
        )
    labels = labels.astype(np.int64)
    shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    labels = labels.reshape(-1)
    if num_classes is None:
        num_classes = int(labels.max(initial=-1)) + 1 or 1
    _check_labels(labels, num_classes)
    out = np.zeros((labels.size, num_classes))
    out[np.arange(labels.size), labels] = 1.0
    return out.reshape(shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """Divides ``x`` by its ``order``-norm along ``axis`` (all-zero slices stay zero).

    Args:
        x: A NumPy or JAX array.
        axis: The axis to normalize along.
        order: The norm's order (2 for L2, 1 for L1, ``np.inf``, ...).

    Returns:
        A NumPy array for NumPy input; a JAX array (norms floored at
        ``backend.epsilon()``, as ``keras.ops.normalize``) for a JAX array.

    Example:
        >>> normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
        array([[0.6, 0.8],
               [0. , 0. ]])
    """
    if isinstance(x, jax.Array):
        if order == 2:
            return l2_normalize(x, axis=axis, epsilon=backend.epsilon())
        norm = jnp.linalg.norm(x, ord=order, axis=axis, keepdims=True)
        return x / jnp.maximum(norm, backend.epsilon())
    x = np.asarray(x)
    if x.ndim == 0:
        raise DataError("normalize: `x` must have at least one axis. Received: a scalar.")
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)


__all__ = ["to_categorical", "normalize"]
