"""California Housing: 20,640 census block groups, 8 features, median house value in dollars.

Features: MedInc, HouseAge, AveRooms, AveBedrms, Population, AveOccup,
Latitude, Longitude (1990 U.S. census, one row per block group).
"""

import numpy as np

from jaxlayers.datasets import readers
from jaxlayers.datasets.sources import fetch
from jaxlayers.errors import ConfigError


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """Loads California Housing, downloading it into the Keras cache on first use.

    Args:
        version: ``'large'`` (all 20,640 samples) or ``'small'`` (the first 600).
        path: File name in the cache folder.
        test_split: Fraction of the (shuffled) samples kept for testing.
        seed: Seed of the shuffle.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: features ``(n, 8)`` and
        targets ``(n,)``.

    Example:
        The arguments are checked before anything is downloaded:

        >>> load_data(version="huge")
        Traceback (most recent call last):
        ...
        jaxlayers.errors.ConfigError: california_housing.load_data: `version` must be ...
    """
    owner = "california_housing.load_data"
    if version not in ("large", "small"):
        raise ConfigError(
            f"{owner}: `version` must be 'small' or 'large'. Received: version={version!r}."
        )
    if not isinstance(test_split, (int, float)) or not 0 <= test_split < 1:
        raise ConfigError(
            f"{owner}: `test_split` must be a float in [0, 1). Received: "
            f"test_split={test_split!r}."
        )
    with np.load(fetch("california_housing.npz", fname=path), allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    if version == "small":
        x, y = x[:600], y[:600]
    return readers.shuffle_split(x, y, test_split, seed)


__all__ = ["load_data"]
