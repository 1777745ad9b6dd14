"""Fashion-MNIST: 70,000 28x28 grayscale images of clothes in 10 classes.

Labels: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal,
6 Shirt, 7 Sneaker, 8 Bag, 9 Ankle boot.
"""

import os

from jaxlayers.datasets import readers
from jaxlayers.datasets.sources import fetch
from jaxlayers.errors import ArchiveError

_FILES = ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
          "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz")


def load_data():
    """Loads Fashion-MNIST into ``~/.keras/datasets/fashion-mnist`` on first use.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images of shape
        ``(60000, 28, 28)`` / ``(10000, 28, 28)`` and uint8 labels 0-9.

    License:
        The copyright for Fashion-MNIST is held by Zalando SE; it is licensed
        under the MIT license.

    Example:
        The four IDX files it downloads:

        >>> from jaxlayers.datasets.sources import SOURCES
        >>> [name for name in SOURCES if "idx" in name]  # doctest: +NORMALIZE_WHITESPACE
        ['train-labels-idx1-ubyte.gz', 'train-images-idx3-ubyte.gz',
         't10k-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz']
    """
    subdir = os.path.join("datasets", "fashion-mnist")
    paths = [fetch(name, cache_subdir=subdir) for name in _FILES]
    y_train, x_train = readers.read_idx(paths[0], 1), readers.read_idx(paths[1], 3)
    y_test, x_test = readers.read_idx(paths[2], 1), readers.read_idx(paths[3], 3)
    for images, labels, path in ((x_train, y_train, paths[1]), (x_test, y_test, paths[3])):
        if images.shape[0] != labels.shape[0]:
            raise ArchiveError(
                f"{path} holds {images.shape[0]} images but its labels file {labels.shape[0]} "
                "labels: the cached files do not belong together. Delete them and load again."
            )
    return (x_train, y_train), (x_test, y_test)


__all__ = ["load_data"]
