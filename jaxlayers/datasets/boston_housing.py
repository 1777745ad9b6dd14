"""Boston Housing prices: 506 samples of 13 attributes (Keras warns of an ethical problem:
the feature "B" encodes an assumption about racial self-segregation; use it only to
illustrate such issues)."""

import numpy as np

from jaxlayers.datasets import readers
from jaxlayers.datasets.sources import fetch
from jaxlayers.errors import ConfigError


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """Loads Boston Housing, downloading it into the Keras cache on first use.

    Args:
        path: File name in the cache folder.
        test_split: Fraction of the (shuffled) samples kept for testing.
        seed: Seed of the shuffle.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: features ``(n, 13)`` and
        median home values in k$ ``(n,)``.

    Example:
        The arguments are checked before anything is downloaded:

        >>> load_data(test_split=1.5)
        Traceback (most recent call last):
        ...
        jaxlayers.errors.ConfigError: boston_housing.load_data: `test_split` must be ...
    """
    if not isinstance(test_split, (int, float)) or not 0 <= test_split < 1:
        raise ConfigError(
            "boston_housing.load_data: `test_split` must be a float in [0, 1). "
            f"Received: test_split={test_split!r}."
        )
    with np.load(fetch("boston_housing.npz", fname=path), allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    return readers.shuffle_split(x, y, test_split, seed)


__all__ = ["load_data"]
