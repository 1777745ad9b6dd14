"""CIFAR-10: 60,000 32x32 color images in 10 classes.

Labels: 0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog, 6 frog,
7 horse, 8 ship, 9 truck.
"""

import os

import numpy as np

from jaxlayers.datasets import _cifar
from jaxlayers.datasets.sources import fetch


def load_data():
    """Loads CIFAR-10, downloading and extracting it into the Keras cache on first use.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images of shape
        ``(50000, 32, 32, 3)`` / ``(10000, 32, 32, 3)`` (channels first if the
        global image data format is ``channels_first``) and uint8 labels of
        shape ``(n, 1)``.

    Example:
        The archive comes from the CIFAR authors' site, hash-checked:

        >>> from jaxlayers.datasets.sources import SOURCES
        >>> SOURCES["cifar-10-batches-py-target"][0]
        'https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz'
    """
    root = _cifar.folder(fetch("cifar-10-batches-py-target", extract=True),
                         "cifar-10-batches-py")
    parts = [_cifar.load_batch(os.path.join(root, f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([x for x, _ in parts]).astype(np.uint8)
    y_train = np.concatenate([np.asarray(y) for _, y in parts]).astype(np.uint8)
    x_test, y_test = _cifar.load_batch(os.path.join(root, "test_batch"))
    return ((_cifar.to_data_format(x_train), y_train.reshape(-1, 1)),
            (_cifar.to_data_format(x_test.astype(np.uint8)),
             np.asarray(y_test).astype(np.uint8).reshape(-1, 1)))


__all__ = ["load_data"]
