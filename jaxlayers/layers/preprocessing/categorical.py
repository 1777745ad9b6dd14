"""Categorical encodings: CategoryEncoding, Hashing, HashedCrossing.

On integer (or float) inputs all three are pure JAX and jittable.  Hashing
and HashedCrossing also accept strings; those run on the host with NumPy
(and raise a clear error inside ``jax.jit``).

The bins are Keras's, bit for bit: the hashes are TensorFlow's FarmHash
``Fingerprint64`` (SipHash-2-4 with a ``salt``) of the UTF-8 bytes or of a
number's decimal text, and ``tf.sparse.cross_hashed``'s combination for
crosses (see ``_hashing``).  They are the same in every run and process.
"""

import jax.numpy as jnp
import numpy as np

from jaxlayers.core import args as _args
from jaxlayers.core.layer import Layer
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError, ShapeError
from jaxlayers.layers.preprocessing import _common, _hashing
from jaxlayers.layers.preprocessing.lookup import check_output_mode, check_sparse

__all__ = ["CategoryEncoding", "Hashing", "HashedCrossing"]


_positive_int = _args.positive_int


def _is_string_data(x):
    if isinstance(x, (str, bytes)):
        return True
    if isinstance(x, (list, tuple)):
        return bool(x) and any(_is_string_data(v) for v in x)
    return isinstance(x, np.ndarray) and x.dtype.kind in "OUS"


@register_builtin("layers")
class CategoryEncoding(Layer):
    """Encodes integer categories in ``[0, num_tokens)`` as one-hot, multi-hot or counts.

    Args:
        num_tokens: Number of categories (required).
        output_mode: ``'multi_hot'`` (default; alias ``'binary'``),
            ``'one_hot'`` or ``'count'``.
        sparse: Must be ``False``.

    Call arguments:
        inputs: Integer array; for ``'multi_hot'`` / ``'count'`` the last axis
            (axis 1) holds one sample's categories; a rank-1 input is one sample.
        count_weights: Same shape as ``inputs``; weights summed by ``'count'``.

    Values outside ``[0, num_tokens)`` are dropped (all-zero rows), as in Keras on JAX.

    Example:
        >>> layer = jl.layers.CategoryEncoding(num_tokens=4, output_mode="count")
        >>> layer(jnp.array([[0, 1, 1], [3, 3, 2]])).tolist()
        [[1.0, 2.0, 0.0, 0.0], [0.0, 0.0, 1.0, 2.0]]
    """

    # Inputs are integer ids or strings; complex ones would be cast.
    supports_complex_inputs = False

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        who = _common.owner(self)
        if num_tokens is None:
            raise ConfigError(
                f"{who}: `num_tokens` must be set (the number of categories); for an "
                f"unknown set of values use IntegerLookup. Received: num_tokens=None."
            )
        self.num_tokens = _positive_int(who, "num_tokens", num_tokens)
        self.output_mode = check_output_mode(who, output_mode,
                                             ("multi_hot", "one_hot", "count"))
        check_sparse(who, sparse)
        self.sparse = False
        # No weights; marking it built also keeps string inputs out of the shape pass.
        self.built = True

    def call(self, inputs, count_weights=None):
        if count_weights is not None and self.output_mode != "count":
            raise ConfigError(
                f"{_common.owner(self)}: `count_weights` is only used with "
                f"output_mode='count'. Received: output_mode={self.output_mode!r}."
            )
        x = jnp.asarray(inputs)
        if not jnp.issubdtype(x.dtype, jnp.integer):
            x = x.astype(jnp.int32)
        if count_weights is not None:
            count_weights = jnp.asarray(count_weights, self.compute_dtype)
        return _common.encode(x, self.output_mode, self.num_tokens, self.compute_dtype,
                              count_weights=count_weights)

    def compute_output_shape(self, input_shape):
        return _common.encode_output_shape(input_shape, self.output_mode, self.num_tokens)

    def get_config(self):
        config = super().get_config()
        config.update({"num_tokens": self.num_tokens, "output_mode": self.output_mode,
                       "sparse": self.sparse})
        return config


@register_builtin("layers")
class Hashing(Layer):
    """Hashes values into ``num_bins`` bins, with Keras's hash.

    Strings are hashed by their UTF-8 bytes, numbers by their decimal text
    (floats truncated to int64 first, booleans as ``true``/``false``), so
    ``Hashing`` of ``[[1]]`` and of ``[["1"]]`` agree, as in Keras.  Numbers
    are hashed in JAX (jittable); strings on the host with NumPy (not inside
    ``jax.jit``).

    Args:
        num_bins: Number of bins, including the mask bin when ``mask_value`` is set.
        mask_value: Value hashed to bin 0 (others go to ``[1, num_bins)``).
        salt: ``None`` for FarmHash ``Fingerprint64``; an int or a pair of
            ints for SipHash-2-4 keyed by the pair (an int is used twice).
        output_mode: ``'int'``, ``'one_hot'``, ``'multi_hot'`` or ``'count'``.
        sparse: Must be ``False``.

    Output: int32 bins (int64 NumPy for strings) of the input's shape, or
    float32 encodings.  The bins equal Keras's (which come from TensorFlow's
    ``to_hash_bucket_fast`` / ``_strong``).

    Example:
        >>> layer = jl.layers.Hashing(num_bins=3)
        >>> layer(np.array([["A"], ["B"], ["C"], ["D"], ["E"]])).ravel().tolist()
        [1, 0, 1, 1, 2]
        >>> layer(jnp.array([1, 2, 3])).tolist() == layer(np.array(["1", "2", "3"])).tolist()
        True
    """

    # Inputs are integer ids or strings; complex ones would be cast.
    supports_complex_inputs = False

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False,
                 **kwargs):
        super().__init__(**kwargs)
        who = _common.owner(self)
        self.num_bins = _positive_int(who, "num_bins", num_bins)
        if isinstance(mask_value, (bool, np.bool_)) or not isinstance(
                mask_value, (type(None), str, bytes, int, np.integer)):
            raise ConfigError(
                f"{who}: `mask_value` must be an int, a string or None (the hashed inputs are "
                f"ints or strings). Received: mask_value={mask_value!r}."
            )
        self.mask_value = mask_value
        self.salt = _common.normalize_salt(who, salt)
        self.output_mode = check_output_mode(who, output_mode,
                                             ("int", "one_hot", "multi_hot", "count"))
        check_sparse(who, sparse)
        self.sparse = False
        # No weights; marking it built also keeps string inputs out of the shape pass.
        self.built = True
        # Values are hashed, not computed with: a cast to the compute dtype
        # (float64 -> float32, or bfloat16 under a mixed policy) would change them.
        self.autocast = False

    def _bins(self, hashes, masked):
        # As in Keras, the mask takes bin 0 only when there is another bin left.
        if masked is None or self.num_bins == 1:
            return _hashing.buckets(hashes, self.num_bins)
        out = _hashing.buckets(hashes, self.num_bins - 1) + 1
        xp = np if isinstance(out, np.ndarray) else jnp
        return xp.where(masked, 0, out)

    def call(self, inputs):
        if _is_string_data(inputs):
            _common.check_host_call(self, inputs)
            keys = _common.to_str_array(inputs)
            masked = None if self.mask_value is None else keys == str(self.mask_value)
            bins = self._bins(_hashing.hash_strings(keys, self.salt), masked)
        else:
            _common.check_numeric_bins(_common.owner(self), "num_bins", self.num_bins)
            x = jnp.asarray(inputs)
            masked = None if self.mask_value is None else x == self.mask_value
            bins = self._bins(_hashing.hash_numbers(x, self.salt), masked)
        return _common.encode(bins, self.output_mode, self.num_bins, "float32")

    def compute_output_shape(self, input_shape):
        return _common.encode_output_shape(input_shape, self.output_mode, self.num_bins)

    def get_config(self):
        config = super().get_config()
        config.update({"num_bins": self.num_bins, "salt": self.salt,
                       "mask_value": self.mask_value, "output_mode": self.output_mode,
                       "sparse": self.sparse})
        return config


@register_builtin("layers")
class HashedCrossing(Layer):
    """Hashes the cross of two or more categorical features into ``num_bins`` bins.

    The bins are Keras's (``tf.sparse.cross_hashed``): each string feature
    contributes its FarmHash ``Fingerprint64``, each integer feature its
    int64 value, chained in order.  Integer inputs are crossed in JAX
    (jittable); as soon as one input holds strings the cross runs on the host
    with NumPy.

    Args:
        num_bins: Number of bins.
        output_mode: ``'int'`` or ``'one_hot'``.
        sparse: Must be ``False``.

    Input: a list or tuple of at least two arrays of equal shape ``()``,
    ``(batch,)`` or ``(batch, 1)``.  Output: int32 bins (int64 NumPy for
    strings) of that shape, or ``(batch, num_bins)`` one-hot.

    Example:
        >>> layer = jl.layers.HashedCrossing(num_bins=5)
        >>> layer((np.array(["A", "B", "A", "B", "A"]), np.array([101, 101, 101, 102, 102])))
        array([1, 4, 1, 1, 3])
        >>> layer([jnp.array([1, 2, 3]), jnp.array([4, 5, 6])]).shape
        (3,)
    """

    # Inputs are integer ids or strings; complex ones would be cast.
    supports_complex_inputs = False

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None,
                 **kwargs):
        super().__init__(name=name, dtype=dtype, **kwargs)
        who = _common.owner(self)
        self.num_bins = _positive_int(who, "num_bins", num_bins)
        self.output_mode = check_output_mode(who, output_mode, ("int", "one_hot"))
        check_sparse(who, sparse)
        self.sparse = False
        # No weights; marking it built also keeps string inputs out of the shape pass.
        self.built = True
        # Values are hashed, not computed with: a cast to the compute dtype
        # (float64 -> float32, or bfloat16 under a mixed policy) would change them.
        self.autocast = False

    def _check_inputs(self, inputs):
        who = _common.owner(self)
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            count = len(inputs) if isinstance(inputs, (list, tuple)) else 1
            raise ShapeError(
                f"{who} crosses a list or tuple of at least two features. Received: "
                f"{type(inputs).__name__} holding {count} feature(s)."
            )
        shapes = [tuple(np.shape(x)) for x in inputs]
        first = shapes[0]
        if len(first) > 2 or (len(first) == 2 and first[-1] != 1):
            raise ShapeError(
                f"{who}: each feature must have shape (), (batch,) or (batch, 1). "
                f"Received shapes {shapes}."
            )
        if any(s != first for s in shapes[1:]):
            raise ShapeError(f"{who}: all features must have the same shape. Received {shapes}.")

    def call(self, inputs):
        self._check_inputs(inputs)
        if any(_is_string_data(x) for x in inputs):
            _common.check_host_call(self, inputs)
            words = [_hashing.hash_strings(_common.to_str_array(x)) if _is_string_data(x)
                     else _hashing.number_words(np.asarray(x)) for x in inputs]
        else:
            _common.check_numeric_bins(_common.owner(self), "num_bins", self.num_bins)
            words = [_hashing.number_words(jnp.asarray(x)) for x in inputs]
        bins = _hashing.buckets(_hashing.cross_hash(words), self.num_bins)
        return _common.encode(bins, self.output_mode, self.num_bins, "float32")

    def compute_output_shape(self, input_shape):
        first = tuple(input_shape[0])
        return _common.encode_output_shape(first, self.output_mode, self.num_bins)

    def get_config(self):
        config = super().get_config()
        config.update({"num_bins": self.num_bins, "output_mode": self.output_mode,
                       "sparse": self.sparse})
        return config
