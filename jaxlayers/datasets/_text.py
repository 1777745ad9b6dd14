"""What IMDB and Reuters share: argument checks and the word index."""

import json

from jaxlayers.datasets.sources import fetch
from jaxlayers.errors import ConfigError


def check_arguments(owner, num_words, skip_top, maxlen, start_char, oov_char, index_from):
    for name, value, minimum, optional in (("num_words", num_words, 1, True),
                                           ("skip_top", skip_top, 0, False),
                                           ("maxlen", maxlen, 1, True),
                                           ("start_char", start_char, 0, True),
                                           ("oov_char", oov_char, 0, True),
                                           ("index_from", index_from, 0, False)):
        if value is None and optional:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            kind = "a positive int" if minimum == 1 else "an int >= 0"
            raise ConfigError(
                f"{owner}: `{name}` must be {kind}{' or None' if optional else ''}. "
                f"Received: {name}={value!r}."
            )


def word_index(source, path):
    """The ``{word: index}`` dict of a dataset's JSON word index."""
    with open(fetch(source, fname=path), encoding="utf-8") as f:
        return json.load(f)
