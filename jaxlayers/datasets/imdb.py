"""IMDB movie reviews: 50,000 reviews as word-index sequences, labelled positive or negative."""

import numpy as np

from jaxlayers.datasets import _text, readers
from jaxlayers.datasets.sources import fetch
from jaxlayers.errors import DataError


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113,
              start_char=1, oov_char=2, index_from=3):
    """Loads IMDB, downloading ``imdb.npz`` into the Keras cache on first use.

    Words are indexed by frequency (index 1 is the most frequent word); each
    index is shifted by ``index_from``, leaving 0 for padding, ``start_char``
    and ``oov_char``.

    Args:
        path: File name in the cache folder.
        num_words: Keep the ``num_words`` most frequent words; rarer ones
            become ``oov_char`` (``None``: keep all).
        skip_top: Also treat the ``skip_top`` most frequent words as out of vocabulary.
        maxlen: Drop reviews of ``maxlen`` words or more (``None``: keep all).
        seed: Seed of the shuffle of each split.
        start_char: Index that starts every sequence (``None``: none).
        oov_char: Index of out-of-vocabulary words (``None``: drop them).
        index_from: Shift of the word indices.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: 1-D object arrays of int
        lists and int labels (0 negative, 1 positive).

    Example:
        The arguments are checked before anything is downloaded:

        >>> load_data(num_words=0)
        Traceback (most recent call last):
        ...
        jaxlayers.errors.ConfigError: imdb.load_data: `num_words` must be ... num_words=0.
    """
    _text.check_arguments("imdb.load_data", num_words, skip_top, maxlen, start_char, oov_char,
                          index_from)
    arrays = readers.load_npz(fetch("imdb.npz", fname=path))
    rng = np.random.RandomState(seed)
    parts = []
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        order = np.arange(len(x))
        rng.shuffle(order)
        parts.append((x[order], y[order]))
    n_train = len(parts[0][0])
    xs, labels, kept = readers.prepare_sequences(
        list(parts[0][0]) + list(parts[1][0]), np.concatenate([parts[0][1], parts[1][1]]),
        num_words, skip_top, maxlen, start_char, oov_char, index_from, "imdb.load_data")
    cut = sum(1 for i in kept if i < n_train)
    if maxlen and (cut == 0 or cut == len(kept)):
        raise DataError(
            f"imdb.load_data: no {'training' if cut == 0 else 'test'} review is shorter than "
            f"maxlen={maxlen}. Increase maxlen."
        )
    return ((readers.object_array(xs[:cut]), labels[:cut]),
            (readers.object_array(xs[cut:]), labels[cut:]))


def get_word_index(path="imdb_word_index.json"):
    """The ``{word: index}`` dict of IMDB (add ``index_from`` to match ``load_data``).

    Args:
        path: File name in the cache folder.

    Returns:
        ``{word: index}``, most frequent words first (index 1).

    Example:
        The arguments are checked before anything is downloaded:

        >>> get_word_index(path="../words.json")
        Traceback (most recent call last):
        ...
        jaxlayers.errors.ConfigError: get_file: `fname` must be a plain file name; ...
    """
    return _text.word_index("imdb_word_index.json", path)


__all__ = ["load_data", "get_word_index"]
