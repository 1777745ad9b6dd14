"""``pack_x_y_sample_weight`` / ``unpack_x_y_sample_weight``: the batch tuples ``fit`` reads.

Both are the trainer's own (:func:`jaxlayers.training.data.pack_batch` and
:func:`~jaxlayers.training.data.unpack_batch_data`), so a custom ``train_step``
reads a batch exactly as ``fit`` packs it.

Example:
    >>> pack_x_y_sample_weight(1, 2)
    (1, 2)
    >>> unpack_x_y_sample_weight((np.ones(2), np.zeros(2)))[2] is None
    True
"""

from jaxlayers.training.data import pack_batch as pack_x_y_sample_weight
from jaxlayers.training.data import unpack_batch_data as unpack_x_y_sample_weight

__all__ = ["pack_x_y_sample_weight", "unpack_x_y_sample_weight"]
