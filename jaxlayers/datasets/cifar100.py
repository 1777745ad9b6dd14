"""CIFAR-100: 60,000 32x32 color images in 100 fine classes grouped into 20 coarse ones."""

import os

import numpy as np

from jaxlayers.datasets import _cifar
from jaxlayers.datasets.sources import fetch
from jaxlayers.errors import ConfigError


def load_data(label_mode="fine"):
    """Loads CIFAR-100, downloading and extracting it into the Keras cache on first use.

    Args:
        label_mode: ``'fine'`` (100 classes) or ``'coarse'`` (20 superclasses).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images of shape
        ``(50000, 32, 32, 3)`` / ``(10000, 32, 32, 3)`` (channels first if the
        global image data format is ``channels_first``) and int64 labels of
        shape ``(n, 1)``, as Keras returns them.

    Example:
        The arguments are checked before anything is downloaded:

        >>> load_data(label_mode="coarsest")
        Traceback (most recent call last):
        ...
        jaxlayers.errors.ConfigError: cifar100.load_data: `label_mode` must be ...
    """
    if label_mode not in ("fine", "coarse"):
        raise ConfigError(
            "cifar100.load_data: `label_mode` must be 'fine' or 'coarse'. "
            f"Received: label_mode={label_mode!r}."
        )
    root = _cifar.folder(fetch("cifar-100-python-target", extract=True), "cifar-100-python")
    out = []
    for name in ("train", "test"):
        x, y = _cifar.load_batch(os.path.join(root, name), label_key=f"{label_mode}_labels")
        out.append((_cifar.to_data_format(x.astype(np.uint8)), np.reshape(y, (len(y), 1))))
    return tuple(out)


__all__ = ["load_data"]
