"""``pack_x_y_sample_weight`` / ``unpack_x_y_sample_weight``: the batch tuples ``fit`` reads.

Unpacking is the trainer's own (:func:`jaxlayers.training.data.unpack_batch`),
so a custom ``train_step`` reads a batch exactly as ``fit`` does.
"""

from jaxlayers.training.data import unpack_batch


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """The shortest batch tuple holding the given parts.

    ``x`` alone is returned as is (as a 1-tuple when it is itself a tuple or
    list, so it is not read as ``(x, y)``).

    Example:
        >>> pack_x_y_sample_weight(1, 2)
        (1, 2)
    """
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data):
    """``(x, y, sample_weight)`` from a batch: ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sw)``.

    Missing parts are ``None``; a list counts as a tuple, anything else as ``x``.

    Example:
        >>> unpack_x_y_sample_weight((np.ones(2), np.zeros(2)))[2] is None
        True
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return (data, None, None)
    return unpack_batch("unpack_x_y_sample_weight", data)


__all__ = ["pack_x_y_sample_weight", "unpack_x_y_sample_weight"]
