"""The token <-> index table behind StringLookup, IntegerLookup and TextVectorization.

A plain object (not a layer), so a TextVectorization does not own a hidden
sublayer.  Index layout, as in Keras: ``[mask] + [oov] * num_oov_indices +
tokens``, where the mask index exists only with a ``mask_token`` in ``'int'``
output mode.  ``adapt`` counts tokens on the host and keeps the most frequent
ones, ties broken by the token itself (higher first), so vocabularies are
deterministic.
"""

import collections
import math

import numpy as np

from jaxlayers.core import args as _args
from jaxlayers.errors import ConfigError

__all__ = ["Vocabulary", "VocabularyLayer", "config_without_paths"]


def config_without_paths(cls, config):
    """``config`` with its vocabulary checked to be data, never a file path.

    A vocabulary may be a file path when the caller passes it, but a config comes
    from a file: honouring a path there would let a saved model make the loader
    read any local file into the model (and quote it in error messages).
    """
    vocabulary = config.get("vocabulary")
    if isinstance(vocabulary, (str, bytes)):
        raise ConfigError(
            f"{cls.__name__} '{config.get('name')}': a config's `vocabulary` must be the "
            "list of tokens, not a file path (paths are read only when passed to the "
            "constructor, never from a saved file). Received: a vocabulary string of "
            f"{len(vocabulary)} characters."
        )
    return config


def _listify(values):
    if isinstance(values, np.ndarray):
        values = values.tolist()
    return [v.item() if isinstance(v, np.generic) else v for v in values]


class Vocabulary:
    """Vocabulary, IDF weights and adapt statistics of one lookup.

    Args:
        who: How errors name the layer (``"StringLookup 'string_lookup'"``).
        is_string: Tokens are ``str`` (else Python ``int``).
        max_tokens, num_oov_indices, mask_token, oov_token, output_mode,
        pad_to_max_tokens, invert: As in the lookup layers.
    """

    def __init__(self, who, *, is_string, max_tokens, num_oov_indices, mask_token, oov_token,
                 output_mode, pad_to_max_tokens, invert):
        self.who = who
        self.is_string = is_string
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.output_mode = output_mode
        self.pad_to_max_tokens = pad_to_max_tokens
        self.invert = invert
        self.tokens = None
        self.token_idf = None
        self.idf = None
        self._table = None
        self.reset()

    # ------------------------------------------------------------------ layout
    @property
    def oov_start(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    @property
    def token_start(self):
        return self.oov_start + self.num_oov_indices

    def size(self):
        return self.token_start + len(self.tokens or ())

    def depth(self):
        """Width of non-int outputs: ``max_tokens`` when padding, else the size."""
        return self.max_tokens if self.pad_to_max_tokens else self.size()

    def special_tokens(self):
        return [self.mask_token] * self.oov_start + [self.oov_token] * self.num_oov_indices

    def get(self, include_special_tokens=True):
        tokens = list(self.tokens or ())
        return self.special_tokens() + tokens if include_special_tokens else tokens

    def table(self):
        """``{token: index}`` (cached)."""
        if self._table is None:
            start = self.token_start
            self._table = {t: start + i for i, t in enumerate(self.tokens or ())}
        return self._table

    # ------------------------------------------------------------------ setting
    def _token(self, value):
        if self.is_string:
            return value.decode("utf-8") if isinstance(value, bytes) else str(value)
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            raise ConfigError(
                f"{self.who}: vocabulary entries must be ints. Received: {value!r}."
            )
        return int(value)

    def set(self, vocabulary, idf_weights=None):
        """Replaces the vocabulary (a list/array of tokens, or a text file path)."""
        who = self.who
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ConfigError(
                f"{who}: `idf_weights` must be given with the vocabulary when "
                f"output_mode='tf_idf'."
            )
        if self.output_mode != "tf_idf" and idf_weights is not None:
            raise ConfigError(
                f"{who}: `idf_weights` is only used with output_mode='tf_idf'. Received: "
                f"output_mode={self.output_mode!r}."
            )
        if isinstance(vocabulary, str):
            with open(vocabulary, encoding="utf-8") as f:
                vocabulary = f.read().splitlines()
            while vocabulary and vocabulary[-1] == "":
                vocabulary.pop()
        vocabulary = [self._token(v) for v in _listify(vocabulary)]
        if not vocabulary:
            raise ConfigError(f"{who}: cannot set an empty vocabulary. Received: vocabulary=[].")
        specials = self.special_tokens()
        has_specials = vocabulary[:len(specials)] == specials
        tokens = vocabulary[len(specials):] if has_specials else vocabulary
        repeated = [t for t, n in collections.Counter(tokens).items() if n > 1]
        if repeated:
            raise ConfigError(
                f"{who}: the vocabulary has repeated tokens {repeated[:10]}; each token must "
                f"appear once (deduplicate it, e.g. with dict.fromkeys(vocabulary))."
            )
        reserved = [(self.mask_token, "mask_token")]
        if self.invert:
            reserved.append((self.oov_token, "oov_token"))
        for token, name in reserved:
            if token is not None and token in tokens:
                raise ConfigError(
                    f"{who}: the vocabulary contains the reserved {name} {token!r}. Leave "
                    f"the special tokens out, or put exactly {specials} first."
                )
        if self.max_tokens is not None and self.token_start + len(tokens) > self.max_tokens:
            raise ConfigError(
                f"{who}: the vocabulary has {self.token_start + len(tokens)} entries with "
                f"the special tokens, more than max_tokens={self.max_tokens}."
            )
        self.tokens = tokens
        self._table = None
        if self.output_mode == "tf_idf":
            idf = np.asarray(_listify(idf_weights), np.float64)
            if idf.ndim != 1 or len(idf) != len(vocabulary):
                raise ConfigError(
                    f"{who}: `idf_weights` must be a 1-D list as long as the vocabulary "
                    f"({len(vocabulary)}). Received: {len(np.atleast_1d(idf))} values."
                )
            self.token_idf = idf[len(specials):] if has_specials else idf
            front = idf[:len(specials)] if has_specials else np.full(
                len(specials), np.mean(idf))
            self._set_idf(front, self.token_idf)

    def _set_idf(self, front, token_idf):
        idf = np.concatenate([front, token_idf]).astype(np.float32)
        if self.pad_to_max_tokens and self.max_tokens is not None:
            idf = np.pad(idf, (0, max(self.max_tokens - len(idf), 0)))
        self.idf = idf

    # ------------------------------------------------------------------ adapt
    def reset(self):
        self._counts = collections.Counter()
        self._doc_counts = collections.Counter()
        self._num_docs = 0

    def update(self, documents):
        """Counts tokens; ``documents`` is a list of token lists (one per document)."""
        for doc in documents:
            self._counts.update(doc)
            if self.output_mode == "tf_idf":
                self._doc_counts.update(set(doc))
        self._num_docs += len(documents)

    def finalize(self):
        for special in (self.mask_token, self.oov_token):
            self._counts.pop(special, None)
        ranked = sorted(self._counts.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
        if self.max_tokens is not None:
            ranked = ranked[:max(self.max_tokens - self.token_start, 0)]
        self.tokens = [t for t, _ in ranked]
        self._table = None
        if self.output_mode == "tf_idf":
            docs = self._num_docs
            token_idf = np.asarray(
                [math.log(1.0 + docs / (1.0 + self._doc_counts[t])) for t in self.tokens],
                np.float64)
            mean = float(np.mean(token_idf.astype(np.float32))) if len(token_idf) else 0.0
            self.token_idf = token_idf
            self._set_idf(np.full(self.token_start, mean), token_idf)
        self.reset()

    # ------------------------------------------------------------------ lookup (host)
    def lookup(self, keys, oov_hash=None):
        """Indices (int64) of a NumPy array of tokens; masked ones give 0 or -1.

        Args:
            keys: Object array of tokens.
            oov_hash: ``keys -> uint hashes`` used to spread OOV tokens over
                several OOV indices.
        """
        table = self.table()
        flat = keys.ravel()
        uniq, inverse = np.unique(flat, return_inverse=True) if flat.size else (flat, flat)
        idx = np.asarray([table.get(k, -1) for k in uniq], np.int64)
        out = idx[inverse] if flat.size else np.zeros(0, np.int64)
        oov = out < 0
        if self.mask_token is not None:
            is_mask = flat == self.mask_token
            oov &= ~is_mask
        if oov.any():
            if self.num_oov_indices == 0:
                missing = sorted(set(flat[oov].tolist()))[:10]
                raise ConfigError(
                    f"{self.who}: found tokens outside the vocabulary {missing} while "
                    f"num_oov_indices=0; set num_oov_indices=1 to map them to an OOV index."
                )
            if self.num_oov_indices == 1:
                out[oov] = self.oov_start
            else:
                hashes = oov_hash(flat[oov])
                out[oov] = (hashes % np.uint64(self.num_oov_indices)).astype(np.int64) \
                    + self.oov_start
        if self.mask_token is not None:
            out[is_mask] = 0 if self.output_mode == "int" else -1
        return out.reshape(keys.shape)

    def invert_lookup(self, indices):
        """Tokens of an int array of indices (OOV and out-of-range give ``oov_token``)."""
        vocab = self.get(True)
        if self.mask_token is not None and self.output_mode == "int":
            vocab[0] = self.mask_token
        indices = np.asarray(indices)
        flat = indices.ravel()
        out = np.empty(flat.shape, dtype=object)
        for i, k in enumerate(flat.tolist()):
            out[i] = vocab[k] if 0 <= k < len(vocab) else self.oov_token
        return out.reshape(indices.shape)


class VocabularyLayer:
    """Mixin of the layers with a :class:`Vocabulary` (lookups, TextVectorization).

    ``_init_vocabulary`` creates the table (``self._vocab``); the mixin gives the
    Keras vocabulary API, the adapt guard, the output width and the config
    entries every such layer shares.
    """

    def _init_vocabulary(self, who, vocabulary, idf_weights, has_input_vocabulary,
                         **table_args):
        self._has_input_vocabulary = (vocabulary is not None if has_input_vocabulary is None
                                      else bool(has_input_vocabulary))
        self._vocab = Vocabulary(who, **table_args)
        if vocabulary is not None:
            self._vocab.set(vocabulary, idf_weights)
        elif idf_weights is not None:
            raise ConfigError(f"{who}: `idf_weights` needs a `vocabulary`.")
        self.built = True  # no weights: the vocabulary is configuration

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary; with the special tokens a token's position is its index."""
        return self._vocab.get(include_special_tokens)

    def vocabulary_size(self):
        """Number of indices, the special ones (mask or padding, OOV) included."""
        return self._vocab.size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Replaces the vocabulary (and the IDF weights with ``output_mode='tf_idf'``)."""
        self._vocab.set(vocabulary, idf_weights)

    def _check_adaptable(self):
        if self._has_input_vocabulary:
            raise ConfigError(
                f"{_args.owner(self)}: cannot adapt a layer built with a "
                f"fixed `vocabulary`; create it without one, or call set_vocabulary()."
            )

    def _depth(self):
        if self._vocab.tokens is None and not self.pad_to_max_tokens:
            raise ConfigError(
                f"{_args.owner(self)}: with output_mode={self.output_mode!r} the "
                f"vocabulary must be known before the layer is called: pass "
                f"`vocabulary=` or call adapt(data) first."
            )
        return self._vocab.depth()

    def _vocabulary_config(self):
        """The vocabulary and IDF entries of ``get_config``."""
        vocab = self._vocab
        config = {
            "vocabulary": None if vocab.tokens is None else list(vocab.tokens),
            "idf_weights": (None if vocab.token_idf is None
                            else [float(v) for v in vocab.token_idf]),
        }
        if vocab.tokens is not None and not self._has_input_vocabulary:
            config["has_input_vocabulary"] = False
        return config
