"""TextVectorization: strings to token indices or bag-of-words vectors, on the host.

Strings cannot live in JAX arrays, so this layer works on NumPy (or Python)
string data and returns NumPy arrays; it raises a clear error inside
``jax.jit``.  Use it in the data pipeline (``x = vectorizer(texts)``) and feed
the integer arrays to a jitted model.

The text steps follow TensorFlow's string ops that Keras uses (the tests
compare with hand-computed results, and with Keras itself where TensorFlow is
installed):
``'lower'`` lowercases ASCII letters only (``tf.strings.lower``),
``'strip_punctuation'`` removes the ASCII punctuation characters
``!"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~``, ``'whitespace'`` splits on runs of ASCII
whitespace and ``'character'`` into Unicode code points; n-grams are joined
with a space, all the 1-grams first, then the 2-grams, and so on.
"""

import re
import string

import numpy as np

from jaxlayers.core import args as _args
from jaxlayers.core.layer import Layer
from jaxlayers.core.serialization import (
    get_registered_name,
    get_registered_object,
    register_builtin,
)
from jaxlayers.errors import ConfigError, SerializationError, ShapeError
from jaxlayers.layers.preprocessing import _common
from jaxlayers.layers.preprocessing._vocabulary import VocabularyLayer, config_without_paths
from jaxlayers.layers.preprocessing.lookup import check_output_mode, check_sparse

__all__ = ["TextVectorization"]

_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = ("whitespace", "character")
_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_PUNCT = str.maketrans("", "", string.punctuation)
_WHITESPACE = re.compile(r"[^ \t\n\r\f\v]+")


def _serialize_fn(fn):
    if fn is None or isinstance(fn, str):
        return fn
    name = get_registered_name(fn)
    return {"module": None, "class_name": "function", "config": name, "registered_name": name}


def _deserialize_fn(value, arg, custom_objects=None):
    if value is None or isinstance(value, str) or callable(value):
        return value
    name = value.get("registered_name") or value.get("config")
    fn = get_registered_object(name, custom_objects)
    if fn is None:
        raise SerializationError(
            f"TextVectorization: unknown `{arg}` function {name!r}. Register it with "
            f"@jl.saving.register_serializable() or pass custom_objects={{{name!r}: fn}}."
        )
    return fn


def _str_array(values):
    """A NumPy unicode (``<U``) array, what user ``standardize`` callables receive."""
    values = np.asarray(values, dtype=object)
    return np.array(values.tolist(), dtype=str).reshape(values.shape) if values.size \
        else np.zeros(values.shape, dtype=str)


@register_builtin("layers")
class TextVectorization(VocabularyLayer, Layer):
    """Standardizes, splits and indexes text: strings in, int or float NumPy arrays out.

    Host only: it works on NumPy/Python string data and cannot run inside
    ``jax.jit`` (it raises there); apply it in your data pipeline before ``fit``.

    Args:
        max_tokens: Largest vocabulary size, including the padding token ``''``
            (index 0 in ``'int'`` mode) and the OOV token ``'[UNK]'``.
        standardize: ``'lower_and_strip_punctuation'``, ``'lower'``,
            ``'strip_punctuation'``, ``None``, or a callable taking and returning
            a NumPy string array.
        split: ``'whitespace'``, ``'character'``, ``None`` (inputs are already
            tokens), or a callable taking a 1-D NumPy string array and returning
            one list of tokens per string.
        ngrams: ``None``, an int ``n`` (all 1- to n-grams) or a tuple of widths.
        output_mode: ``'int'``, ``'multi_hot'``, ``'count'``, ``'tf_idf'`` or
            ``'one_hot'`` (one token per sample).
        output_sequence_length: With ``'int'``: pad or cut every sequence to
            this length (default: pad to the longest in the batch).
        pad_to_max_tokens: Make non-int outputs ``max_tokens`` wide.
        vocabulary: List of tokens or a text file path; or call ``adapt``.
        idf_weights: IDF weights with ``output_mode='tf_idf'``.
        sparse, ragged: Must be ``False``.
        encoding: Encoding of byte-string inputs.

    Input shape: ``(batch,)`` or ``(batch, 1)`` strings.  Output shape:
    ``(batch, sequence_length)`` int64 in ``'int'`` mode, else
    ``(batch, vocabulary_size)`` float32.

    Example:
        >>> layer = jl.layers.TextVectorization(output_sequence_length=4)
        >>> layer.adapt(["The cat sat.", "The dog!"])
        >>> layer.get_vocabulary()
        ['', '[UNK]', 'the', 'sat', 'dog', 'cat']
        >>> layer(np.array(["the cat ran"])).tolist()
        [[2, 5, 1, 0]]
    """

    # Inputs are strings.
    supports_complex_inputs = False

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation",
                 split="whitespace", ngrams=None, output_mode="int",
                 output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", name=None,
                 has_input_vocabulary=None, vocabulary_size=None, **kwargs):
        super().__init__(name=name, **kwargs)
        who = _common.owner(self)
        if not (standardize is None or callable(standardize) or standardize in _STANDARDIZE):
            raise ConfigError(
                f"{who}: `standardize` must be one of {_STANDARDIZE}, None or a callable. "
                f"Received: standardize={standardize!r}."
            )
        if not (split is None or callable(split) or split in _SPLIT):
            raise ConfigError(
                f"{who}: `split` must be one of {_SPLIT}, None or a callable. "
                f"Received: split={split!r}."
            )
        if isinstance(ngrams, list):
            ngrams = tuple(ngrams)
        if not (ngrams is None or (_args.is_int(ngrams) and ngrams > 0)
                or (isinstance(ngrams, tuple) and ngrams
                    and all(_args.is_int(n) and n > 0 for n in ngrams))):
            raise ConfigError(
                f"{who}: `ngrams` must be None, a positive int or a tuple of positive ints. "
                f"Received: ngrams={ngrams!r}."
            )
        output_mode = check_output_mode(who, output_mode)
        if output_sequence_length is not None:
            if output_mode != "int":
                raise ConfigError(
                    f"{who}: `output_sequence_length` only applies to output_mode='int'. "
                    f"Received: output_mode={output_mode!r}, "
                    f"output_sequence_length={output_sequence_length!r}."
                )
            output_sequence_length = _args.positive_int_or_none(
                who, "output_sequence_length", output_sequence_length)
        if max_tokens is not None and (not _args.is_int(max_tokens) or max_tokens <= 1):
            raise ConfigError(
                f"{who}: `max_tokens` must be None or an int greater than 1. Received: "
                f"max_tokens={max_tokens!r}."
            )
        if pad_to_max_tokens and max_tokens is None:
            raise ConfigError(
                f"{who}: pad_to_max_tokens=True needs `max_tokens`. Received: max_tokens=None."
            )
        check_sparse(who, sparse)
        if ragged:
            raise ConfigError(
                f"{who}: ragged outputs are not supported (JAX arrays are dense); use "
                f"ragged=False. Received: ragged={ragged!r}."
            )
        self.max_tokens = max_tokens
        self.standardize = standardize
        self.split = split
        self.ngrams = ngrams
        self._widths = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self.output_mode = output_mode
        self.output_sequence_length = output_sequence_length
        self.pad_to_max_tokens = _args.boolean(_args.owner(self), "pad_to_max_tokens",
                                               pad_to_max_tokens)
        self.encoding = _args.text_encoding(_args.owner(self), encoding)
        self._init_vocabulary(
            who, vocabulary, idf_weights, has_input_vocabulary, is_string=True,
            max_tokens=max_tokens, num_oov_indices=1, mask_token="", oov_token="[UNK]",
            output_mode=output_mode, pad_to_max_tokens=self.pad_to_max_tokens, invert=False)

    def adapt(self, data, batch_size=None, steps=None):
        """Learns the vocabulary from text: the most frequent tokens first.

        Args:
            data: A NumPy array or list of strings, or an iterable of batches.
            batch_size: Split array data into batches of this size.
            steps: Stop after this many batches.
        """
        self._check_adaptable()
        self._vocab.reset()
        for batch in _common.adapt_batches(self, data, batch_size, steps):
            self._vocab.update(self._tokenize(batch)[0])
        self._vocab.finalize()

    # ------------------------------------------------------------------ text steps
    def _standardize(self, texts):
        if callable(self.standardize):
            return _common.to_str_array(self.standardize(_str_array(texts)), self.encoding)
        shape = texts.shape
        lower = self.standardize in ("lower", "lower_and_strip_punctuation")
        strip = self.standardize in ("strip_punctuation", "lower_and_strip_punctuation")
        texts = texts.ravel().tolist()
        if lower:
            texts = [t.translate(_LOWER) for t in texts]
        if strip:
            texts = [t.translate(_PUNCT) for t in texts]
        out = np.empty(len(texts), dtype=object)
        out[:] = texts
        return out.reshape(shape)

    def _split(self, texts):
        if self.split is None:
            return [list(row) for row in texts.reshape(len(texts), -1).tolist()]
        if texts.ndim == 2 and texts.shape[-1] == 1:
            texts = texts[:, 0]
        elif texts.ndim != 1:
            raise ShapeError(
                f"{_common.owner(self)} splits one string per sample: inputs must have "
                f"shape (batch,) or (batch, 1). Received input shape {texts.shape}."
            )
        if self.split == "whitespace":
            return [_WHITESPACE.findall(t) for t in texts.tolist()]
        if self.split == "character":
            return [list(t) for t in texts.tolist()]
        return [[str(tok) for tok in _common.to_str_array(row, self.encoding).ravel()]
                for row in self.split(_str_array(texts))]

    def _ngrams(self, tokens):
        out = []
        for width in self._widths:
            out.extend(" ".join(tokens[i:i + width]) for i in range(len(tokens) - width + 1))
        return out

    def _tokenize(self, inputs):
        """``(token lists, was_scalar, input_shape)`` for a batch of strings."""
        texts = _common.to_str_array(inputs, self.encoding, _common.owner(self))
        scalar = texts.ndim == 0
        if scalar:
            texts = texts.reshape(1)
        shape = texts.shape
        texts = self._standardize(texts) if self.standardize is not None else texts
        docs = self._split(texts)
        if self._widths is not None:
            docs = [self._ngrams(doc) for doc in docs]
        return docs, scalar, shape

    # ------------------------------------------------------------------ call
    def call(self, inputs):
        _common.check_host_call(self, inputs)
        docs, scalar, shape = self._tokenize(inputs)
        lengths = [len(d) for d in docs]
        flat = np.empty(sum(lengths), dtype=object)
        flat[:] = [t for d in docs for t in d]
        indices = self._vocab.lookup(flat)
        width = self.output_sequence_length or max(lengths, default=0)
        fill = 0 if self.output_mode == "int" else -1
        padded = np.full((len(docs), width), fill, np.int64)
        start = 0
        for row, n in enumerate(lengths):
            keep = min(n, width)
            padded[row, :keep] = indices[start:start + keep]
            start += n
        if self.output_mode == "int":
            if (self.split is None and self._widths is None
                    and self.output_sequence_length is None and len(shape) == 1):
                padded = padded.reshape(shape)
            out = padded
        elif self.output_mode == "one_hot":
            if any(n != 1 for n in lengths):
                raise ShapeError(
                    f"{_common.owner(self)}: output_mode='one_hot' encodes one token per "
                    f"sample, but got samples with {sorted(set(lengths))} tokens; use "
                    f"'multi_hot' or 'count' for several tokens."
                )
            out = _common.encode(padded, "one_hot", self._depth())
        else:
            out = _common.encode(padded, self.output_mode, self._depth(), "float32",
                                 idf=self._vocab.idf)
        return out[0] if scalar else out

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return (input_shape[0], self.output_sequence_length)
        return (input_shape[0], self._depth())

    # ------------------------------------------------------------------ config
    def get_config(self):
        vocab = self._vocab
        config = super().get_config()
        config.update({
            "max_tokens": self.max_tokens,
            "standardize": _serialize_fn(self.standardize),
            "split": _serialize_fn(self.split),
            "ngrams": list(self.ngrams) if isinstance(self.ngrams, tuple) else self.ngrams,
            "output_mode": self.output_mode,
            "output_sequence_length": self.output_sequence_length,
            "pad_to_max_tokens": self.pad_to_max_tokens,
            "sparse": False,
            "ragged": False,
            "encoding": self.encoding,
            "vocabulary_size": vocab.size(),
            **self._vocabulary_config(),
        })
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config_without_paths(cls, config))
        for arg in ("standardize", "split"):
            config[arg] = _deserialize_fn(config.get(arg), arg, custom_objects)
        return super().from_config(config)
