"""MNIST: 70,000 28x28 grayscale images of handwritten digits (``keras.datasets.mnist``)."""

import numpy as np

from jaxlayers.datasets.sources import fetch


def load_data(path="mnist.npz"):
    """Loads MNIST, downloading ``mnist.npz`` into the Keras cache on first use.

    Args:
        path: File name in the cache folder (``~/.keras/datasets`` or ``$KERAS_HOME``).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images of shape
        ``(60000, 28, 28)`` / ``(10000, 28, 28)`` (values 0-255) and uint8
        labels 0-9.

    License:
        Yann LeCun and Corinna Cortes hold the copyright of MNIST, a derivative
        of the NIST datasets, made available under the Creative Commons
        Attribution-Share Alike 3.0 license.

    Example:
        The arguments are checked before anything is downloaded:

        >>> load_data(path="data/mnist.npz")
        Traceback (most recent call last):
        ...
        jaxlayers.errors.ConfigError: get_file: `fname` must be a plain file name; ...
    """
    with np.load(fetch("mnist.npz", fname=path), allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])


__all__ = ["load_data"]
