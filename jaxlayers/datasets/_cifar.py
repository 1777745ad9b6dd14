"""Reading CIFAR's pickled batches (see :mod:`jaxlayers.datasets.readers` on safety)."""

import os

import numpy as np

from jaxlayers import backend
from jaxlayers.datasets import readers
from jaxlayers.errors import ArchiveError


def load_batch(path, label_key="labels"):
    """``(images (n, 3, 32, 32) uint8, labels list)`` from one pickled CIFAR batch."""
    batch = readers.load_pickle(path, encoding="bytes")
    if not isinstance(batch, dict):
        raise ArchiveError(f"{path} is not a CIFAR batch: expected a pickled dict.")
    batch = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in batch.items()}
    data, labels = batch.get("data"), batch.get(label_key)
    if not isinstance(data, np.ndarray) or data.ndim != 2 or data.shape[1] != 3 * 32 * 32 \
            or labels is None or len(labels) != data.shape[0]:
        raise ArchiveError(
            f"{path} is not a CIFAR batch: expected 'data' of shape (n, 3072) and n "
            f"'{label_key}'."
        )
    return data.reshape(data.shape[0], 3, 32, 32), labels


def to_data_format(x):
    """Images as ``(n, 32, 32, 3)`` unless the global image data format is channels_first."""
    return x.transpose(0, 2, 3, 1) if backend.image_data_format() == "channels_last" else x


def folder(root, name):
    path = os.path.join(root, name)
    if not os.path.isdir(path):
        raise ArchiveError(
            f"The extracted CIFAR archive at {root} has no folder {name!r}: it is not the "
            "expected archive. Delete the folder and its _archive file, then load again."
        )
    return path
