"""Reuters newswires: 11,228 stories as word-index sequences, labelled with 46 topics."""

import numpy as np

from jaxlayers.datasets import _text, readers
from jaxlayers.datasets.sources import fetch
from jaxlayers.errors import ConfigError

_LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply",
    "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas",
    "cpi", "money-fx", "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin",
    "strategic-metal", "livestock", "retail", "ipi", "iron-steel", "rubber", "heat", "jobs",
    "lei", "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog", "lead",
)


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2,
              seed=113, start_char=1, oov_char=2, index_from=3):
    """Loads Reuters, downloading ``reuters.npz`` into the Keras cache on first use.

    Args:
        path: File name in the cache folder.
        num_words: Keep the ``num_words`` most frequent words (``None``: all).
        skip_top: Also treat the ``skip_top`` most frequent words as out of vocabulary.
        maxlen: Drop stories of ``maxlen`` words or more (``None``: keep all).
        test_split: Fraction of the (shuffled) stories kept for the test split.
        seed: Seed of the shuffle.
        start_char: Index that starts every sequence (``None``: none).
        oov_char: Index of out-of-vocabulary words (``None``: drop them).
        index_from: Shift of the word indices.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: 1-D object arrays of int
        lists and int topic labels (names from :func:`get_label_names`).

    Example:
        The arguments are checked before anything is downloaded:

        >>> load_data(test_split=1.0)
        Traceback (most recent call last):
        ...
        jaxlayers.errors.ConfigError: reuters.load_data: `test_split` must be a float in [0, 1). ...
    """
    owner = "reuters.load_data"
    _text.check_arguments(owner, num_words, skip_top, maxlen, start_char, oov_char, index_from)
    if not isinstance(test_split, (int, float)) or not 0 <= test_split < 1:
        raise ConfigError(
            f"{owner}: `test_split` must be a float in [0, 1). Received: "
            f"test_split={test_split!r}."
        )
    arrays = readers.load_npz(fetch("reuters.npz", fname=path))
    xs, labels = arrays["x"], arrays["y"]
    order = np.arange(len(xs))
    np.random.RandomState(seed).shuffle(order)
    xs, labels, _ = readers.prepare_sequences(list(xs[order]), labels[order], num_words,
                                              skip_top, maxlen, start_char, oov_char,
                                              index_from, owner)
    cut = int(len(xs) * (1 - test_split))
    return ((readers.object_array(xs[:cut]), np.array(labels[:cut])),
            (readers.object_array(xs[cut:]), np.array(labels[cut:])))


def get_word_index(path="reuters_word_index.json"):
    """The ``{word: index}`` dict of Reuters (add ``index_from`` to match ``load_data``).

    Args:
        path: As for ``jl.datasets.imdb.get_word_index``.

    Returns:
        The Reuters vocabulary, most frequent words first.

    Example:
        The file comes from Keras's dataset bucket, hash-checked:

        >>> from jaxlayers.datasets.sources import SOURCES
        >>> SOURCES["reuters_word_index.json"][0].rsplit("/", 1)[-1]
        'reuters_word_index.json'
    """
    return _text.word_index("reuters_word_index.json", path)


def get_label_names():
    """The 46 topic names, in label order.

    Example:
        >>> get_label_names()[:3]
        ('cocoa', 'grain', 'veg-oil')
    """
    return _LABEL_NAMES


__all__ = ["load_data", "get_word_index", "get_label_names"]
