"""``keras.datasets`` for jaxlayers: the small standard datasets, loaded with NumPy only.

Each module's ``load_data()`` downloads from the same public URLs as Keras
into the same cache folder (``~/.keras/datasets`` or ``$KERAS_HOME``),
checks the file's hash (:mod:`jaxlayers.datasets.sources`), and returns
NumPy arrays in Keras's structure.  Nothing read from a file can run code
(:mod:`jaxlayers.datasets.readers`).  Like :mod:`jaxlayers.utils`, a
high-level package: nothing in jaxlayers imports it.
"""

from jaxlayers.datasets import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)

__all__ = ["boston_housing", "california_housing", "cifar10", "cifar100", "fashion_mnist",
           "imdb", "mnist", "reuters"]
