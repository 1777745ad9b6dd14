"""Vocabulary lookups: StringLookup (host) and IntegerLookup (pure JAX, jittable).

Both map tokens to indices laid out as ``[mask] + [OOV] * num_oov_indices +
vocabulary`` (the mask index exists only with a ``mask_token`` and
``output_mode='int'``), with Keras 3's arguments, defaults and vocabulary
order.  The vocabulary is configuration: it is in ``get_config()`` whether it
was given or learned by ``adapt`` (with ``idf_weights`` for ``'tf_idf'``), so
``from_config(get_config())`` rebuilds an adapted layer.

With ``num_oov_indices > 1`` OOV tokens spread over the OOV indices with
Keras's hashes (FarmHash ``Fingerprint64``, SipHash-2-4 with a ``salt``; an
integer is hashed by its decimal text), so the buckets are Keras's.

Differences from Keras, all forced by JAX: outputs are ``int32`` (IntegerLookup,
JAX's default integer) or ``int64`` NumPy (StringLookup) instead of int64
tensors; ``sparse=True`` is not supported.
"""

import jax
import jax.numpy as jnp
import numpy as np

from jaxlayers.core import args as _args
from jaxlayers.core.layer import Layer
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError
from jaxlayers.layers.preprocessing import _common, _hashing
from jaxlayers.layers.preprocessing._vocabulary import VocabularyLayer, config_without_paths

__all__ = ["StringLookup", "IntegerLookup"]

_ALIASES = {"binary": "multi_hot", "tf-idf": "tf_idf"}


def check_output_mode(who, output_mode, allowed=_common.OUTPUT_MODES):
    output_mode = _ALIASES.get(output_mode, output_mode)
    if output_mode not in allowed:
        raise ConfigError(
            f"{who}: `output_mode` must be one of {allowed}. Received: "
            f"output_mode={output_mode!r}."
        )
    return output_mode


def check_sparse(who, sparse):
    if sparse:
        raise ConfigError(
            f"{who}: sparse outputs are not supported in jaxlayers (JAX has no sparse "
            f"tensors in these layers); use sparse=False. Received: sparse={sparse!r}."
        )


class _IndexLookup(VocabularyLayer, Layer):
    """Shared logic: arguments, vocabulary, ``adapt``, config.  Subclasses do the lookup."""

    # With num_oov_indices=0 an eager call refuses values outside the vocabulary.
    checks_values_eagerly = True

    # Inputs are integer ids or strings; complex ones would be cast.
    supports_complex_inputs = False

    _is_string = True

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=None,
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, oov_method="floormod", salt=None,
                 has_input_vocabulary=None, vocabulary_size=None, **kwargs):
        super().__init__(**kwargs)
        who = _common.owner(self)
        if max_tokens is not None and (isinstance(max_tokens, bool)
                                       or not isinstance(max_tokens, int) or max_tokens <= 1):
            raise ConfigError(
                f"{who}: `max_tokens` must be None or an int greater than 1 (it counts the "
                f"mask and OOV indices). Received: max_tokens={max_tokens!r}."
            )
        if pad_to_max_tokens and max_tokens is None:
            raise ConfigError(
                f"{who}: pad_to_max_tokens=True needs `max_tokens`. Received: "
                f"max_tokens=None."
            )
        if isinstance(num_oov_indices, bool) or not isinstance(num_oov_indices, int) \
                or num_oov_indices < 0:
            raise ConfigError(
                f"{who}: `num_oov_indices` must be an int >= 0. Received: "
                f"num_oov_indices={num_oov_indices!r}."
            )
        if oov_method not in ("floormod", "farmhash"):
            raise ConfigError(
                f"{who}: `oov_method` must be 'floormod' or 'farmhash'. Received: "
                f"oov_method={oov_method!r}."
            )
        if salt is not None and not self._is_string and oov_method != "farmhash":
            raise ConfigError(
                f"{who}: `salt` is only used with oov_method='farmhash'. Received: "
                f"oov_method={oov_method!r}."
            )
        output_mode = check_output_mode(who, output_mode)
        if invert and output_mode != "int":
            raise ConfigError(
                f"{who}: invert=True needs output_mode='int'. Received: "
                f"output_mode={output_mode!r}."
            )
        check_sparse(who, sparse)
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.invert = _args.boolean(_args.owner(self), "invert", invert)
        self.output_mode = output_mode
        self.pad_to_max_tokens = _args.boolean(_args.owner(self), "pad_to_max_tokens",
                                               pad_to_max_tokens)
        self.sparse = False
        self.oov_method = oov_method
        self.salt = _common.normalize_salt(who, salt)
        self._init_vocabulary(
            who, vocabulary, idf_weights, has_input_vocabulary, is_string=self._is_string,
            max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token,
            oov_token=oov_token, output_mode=output_mode,
            pad_to_max_tokens=self.pad_to_max_tokens, invert=invert)

    def adapt(self, data, batch_size=None, steps=None):
        """Learns the vocabulary (most frequent tokens first) from ``data``.

        Args:
            data: A NumPy array or list of tokens, or an iterable of batches.
                Rows of a rank-2 array are documents (for ``'tf_idf'``).
            batch_size: Split array data into batches of this size.
            steps: Stop after this many batches.
        """
        self._check_adaptable()
        vocab = self._vocab
        vocab.reset()
        from_array = _common.is_array_data(data)
        for batch in _common.adapt_batches(self, data, batch_size, steps):
            vocab.update(self._documents(batch, from_array))
        vocab.finalize()

    def _documents(self, batch, from_array):
        batch = self._tokens_of(batch)
        if batch.ndim == 0:
            batch = batch.reshape(1, 1)
        elif batch.ndim == 1:
            batch = batch[:, None] if from_array else batch[None, :]
        return [row.ravel().tolist() for row in batch]

    # ------------------------------------------------------------------ shapes, config
    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        return _common.encode_output_shape(input_shape, self.output_mode, self._depth())

    def get_config(self):
        vocab = self._vocab
        config = super().get_config()
        config.update({
            "invert": self.invert,
            "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices,
            "oov_token": self.oov_token,
            "mask_token": self.mask_token,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "pad_to_max_tokens": self.pad_to_max_tokens,
            "vocabulary_size": None if vocab.tokens is None else vocab.size(),
            "oov_method": self.oov_method,
            "salt": self.salt,
            **self._vocabulary_config(),
        })
        return config

    @classmethod
    def from_config(cls, config):
        return super().from_config(config_without_paths(cls, config))


@register_builtin("layers")
class StringLookup(_IndexLookup):
    """Maps strings to vocabulary indices (or back, with ``invert=True``). Host only.

    Works on NumPy (or Python) string data on the host and returns NumPy
    arrays: strings cannot live in JAX arrays, so this layer cannot run
    inside ``jax.jit`` (it raises a clear error there).  Apply it in your data
    pipeline, before ``fit``.

    Args:
        max_tokens: Largest vocabulary size, special tokens included.
        num_oov_indices: Number of OOV indices (0: OOV inputs are an error).
        mask_token: Token mapped to index 0 (``'int'`` mode) or dropped.
        oov_token: Token returned for OOV indices when ``invert=True``.
        vocabulary: List of tokens or a text file path; or call ``adapt``.
        idf_weights: IDF weights with ``output_mode='tf_idf'``.
        invert: Map indices back to tokens.
        output_mode: ``'int'``, ``'one_hot'``, ``'multi_hot'``, ``'count'`` or
            ``'tf_idf'``; the last axis is the sample axis for the last three.
        pad_to_max_tokens: Make non-int outputs ``max_tokens`` wide.
        sparse: Must be ``False``.
        encoding: Encoding of byte-string inputs.
        salt: With ``num_oov_indices > 1``: ``None`` hashes OOV tokens with
            FarmHash ``Fingerprint64``; an int or a pair of ints with
            SipHash-2-4 keyed by the pair, as in Keras.

    Input shape: any shape of strings.  Output: ``int64`` indices of the same
    shape, or ``float32`` encodings (see ``output_mode``).

    Example:
        >>> layer = jl.layers.StringLookup(vocabulary=["a", "b", "c"])
        >>> layer(np.array([["a", "c"], ["d", "b"]])).tolist()
        [[1, 3], [0, 2]]
    """

    _is_string = True

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]",
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, encoding="utf-8", name=None, salt=None,
                 oov_method="floormod", **kwargs):
        self.encoding = encoding
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode,
                         pad_to_max_tokens=pad_to_max_tokens, sparse=sparse,
                         oov_method=oov_method, salt=salt, name=name, **kwargs)
        _args.text_encoding(_args.owner(self), encoding)

    def _tokens_of(self, batch):
        return _common.to_str_array(batch, self.encoding, _common.owner(self))

    def _hash(self, keys):
        return _hashing.hash_strings(keys, self.salt)

    def call(self, inputs):
        _common.check_host_call(self, inputs)
        if self.invert:
            return self._vocab.invert_lookup(np.asarray(inputs).astype(np.int64))
        keys = self._tokens_of(inputs)
        indices = self._vocab.lookup(keys, self._hash)
        if self.output_mode == "int":
            return indices
        return _common.encode(indices, self.output_mode, self._depth(), "float32",
                              idf=self._vocab.idf)

    def get_config(self):
        config = super().get_config()
        config["encoding"] = self.encoding
        return config


@register_builtin("layers")
class IntegerLookup(_IndexLookup):
    """Maps integers to vocabulary indices (or back); pure JAX, jittable.

    The vocabulary is a sorted constant table searched with
    ``jnp.searchsorted``, so the layer runs inside ``jit``, ``vmap`` and
    ``fit``.  ``adapt`` runs on the host.

    Args:
        max_tokens, num_oov_indices, mask_token, vocabulary, idf_weights,
        invert, output_mode, pad_to_max_tokens, sparse: As in ``StringLookup``.
        oov_token: Value returned for OOV indices with ``invert=True`` (-1).
        vocabulary_dtype: Must be ``'int64'`` (the Keras default); values must
            fit in int32 unless ``jax_enable_x64`` is on.
        oov_method: With ``num_oov_indices > 1``: ``'floormod'`` (OOV index
            ``value % num_oov_indices``, Keras's default) or ``'farmhash'``
            (FarmHash ``Fingerprint64`` of the value's decimal text, as Keras).
        salt: With ``'farmhash'``: an int or a pair of ints selects SipHash-2-4
            keyed by the pair, as in Keras.

    Inside ``jit`` an OOV value with ``num_oov_indices=0`` maps to -1
    (outside ``jit`` it raises, as Keras does).

    Example:
        >>> layer = jl.layers.IntegerLookup(vocabulary=[12, 36, 1138, 42])
        >>> layer(jnp.array([[12, 1138, 42], [42, 1000, 36]])).tolist()
        [[1, 3, 4], [4, 0, 2]]
    """

    _is_string = False

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1,
                 vocabulary=None, vocabulary_dtype="int64", idf_weights=None, invert=False,
                 output_mode="int", sparse=False, pad_to_max_tokens=False,
                 oov_method="floormod", salt=None, name=None, **kwargs):
        if vocabulary_dtype != "int64":
            raise ConfigError(
                f"IntegerLookup: only vocabulary_dtype='int64' is supported. Received: "
                f"vocabulary_dtype={vocabulary_dtype!r}."
            )
        self.vocabulary_dtype = vocabulary_dtype
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode,
                         pad_to_max_tokens=pad_to_max_tokens, sparse=sparse,
                         oov_method=oov_method, salt=salt, name=name, **kwargs)
        self._check_int_range()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        super().set_vocabulary(vocabulary, idf_weights)
        self._check_int_range()

    def _check_int_range(self):
        values = self._vocab.get(True) if self._vocab.tokens is not None else []
        values = [v for v in values + [self.mask_token, self.oov_token] if v is not None]
        info = np.iinfo(np.int64 if jax.config.jax_enable_x64 else np.int32)
        bad = [v for v in values if not info.min <= v <= info.max]
        if bad:
            raise ConfigError(
                f"{_common.owner(self)}: vocabulary values {bad[:5]} do not fit in "
                f"{info.dtype}; enable jax_enable_x64 for 64-bit tokens."
            )

    def adapt(self, data, batch_size=None, steps=None):
        super().adapt(data, batch_size, steps)
        self._check_int_range()

    def _tokens_of(self, batch):
        batch = np.asarray(batch)
        if not np.issubdtype(batch.dtype, np.integer):
            batch = batch.astype(np.int64)
        return batch

    def _int_dtype(self):
        return jnp.int64 if jax.config.jax_enable_x64 else jnp.int32

    def _lookup(self, x):
        vocab = self._vocab
        tokens = np.asarray(vocab.tokens or [], np.int64)
        order = np.argsort(tokens, kind="stable")
        keys = jnp.asarray(tokens[order], x.dtype)
        values = jnp.asarray(order + vocab.token_start, jnp.int32)
        if len(tokens):
            pos = jnp.clip(jnp.searchsorted(keys, x), 0, len(tokens) - 1)
            found = keys[pos] == x
            idx = jnp.where(found, values[pos], -1)
        else:
            found = jnp.zeros(x.shape, bool)
            idx = jnp.full(x.shape, -1, jnp.int32)
        n_oov = vocab.num_oov_indices
        if n_oov == 1:
            idx = jnp.where(found, idx, vocab.oov_start)
        elif n_oov > 1:
            if self.oov_method == "farmhash":
                _common.check_numeric_bins(_common.owner(self), "num_oov_indices", n_oov)
                bucket = _hashing.buckets(_hashing.hash_numbers(x, self.salt), n_oov)
            else:
                bucket = jnp.mod(x, n_oov).astype(jnp.int32)
            idx = jnp.where(found, idx, bucket + vocab.oov_start)
        if self.mask_token is not None:
            idx = jnp.where(x == self.mask_token, 0 if self.output_mode == "int" else -1, idx)
        if n_oov == 0 and not _common.is_traced(idx):
            missing = np.asarray(x)[np.asarray(idx) < 0]
            if missing.size:
                raise ConfigError(
                    f"{_common.owner(self)}: found values outside the vocabulary "
                    f"{sorted(set(missing.tolist()))[:10]} while num_oov_indices=0; set "
                    f"num_oov_indices=1 to map them to an OOV index."
                )
        return idx

    def _invert(self, idx):
        vocab = self._vocab.get(True)
        if self.mask_token is not None:
            vocab[0] = self.mask_token
        table = jnp.asarray(np.asarray(vocab, np.int64), self._int_dtype())
        idx = idx.astype(jnp.int32)
        inside = (idx >= 0) & (idx < len(vocab))
        return jnp.where(inside, table[jnp.clip(idx, 0, len(vocab) - 1)],
                         jnp.asarray(self.oov_token, table.dtype))

    def call(self, inputs):
        x = jnp.asarray(inputs)
        if not jnp.issubdtype(x.dtype, jnp.integer):
            x = x.astype(self._int_dtype())
        if self.invert:
            return self._invert(x)
        idx = self._lookup(x)
        if self.output_mode == "int":
            return idx
        return _common.encode(idx, self.output_mode, self._depth(), self.compute_dtype,
                              idf=self._vocab.idf)

    def get_config(self):
        config = super().get_config()
        config["vocabulary_dtype"] = self.vocabulary_dtype
        return config
