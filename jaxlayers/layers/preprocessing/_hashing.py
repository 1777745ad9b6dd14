"""The hashes Keras's preprocessing layers compute, bit for bit.

Keras hashes with TensorFlow ops, so jaxlayers reproduces those ops:

* :func:`hash_strings` (host, NumPy): FarmHash ``Fingerprint64`` (FarmHash's
  ``farmhashna::Hash64``, what ``tf.strings.to_hash_bucket_fast`` uses) of
  each string's UTF-8 bytes, or SipHash-2-4 keyed by a two-word ``salt``
  (``tf.strings.to_hash_bucket_strong``).
* :func:`hash_numbers` (JAX, jittable): the same hashes of a number's decimal
  text, as Keras writes numbers before hashing them (``tf.as_string``; floats
  are first truncated to int64, booleans read ``true``/``false``).
* :func:`cross_hash`: ``tf.sparse.cross_hashed``'s combination
  (``FingerprintCat64`` from a fixed key) of per-feature words: the
  ``Fingerprint64`` of a string (:func:`hash_strings`), or the int64 value
  itself for an integer (:func:`number_words`).
* :func:`buckets`: ``hash % num_bins`` on the unsigned 64-bit hash.

The algorithms are written once against 64-bit words (``_words``): NumPy
``uint64`` on the host, pairs of ``uint32`` under JAX.  Strings of different
lengths are processed lane-wise: rows are grouped by FarmHash's length class
and block loops run over the rows still active.
"""

import jax
import jax.numpy as jnp
import numpy as np

from jaxlayers.layers.preprocessing._words import (
    MASK32,
    MASK64,
    DeviceBytes,
    HostBytes,
    Words,
    const,
    full,
    rotl,
    rotr,
    shl,
    shr,
    u64,
    where,
)

__all__ = ["buckets", "cross_hash", "hash_numbers", "hash_strings", "number_words", "salt_key"]

# FarmHash's multipliers.
_K0 = 0xC3A5C85C97CB3127
_K1 = 0xB492B66FBE98F273
_K2 = 0x9AE16A3B2F90404F
# TensorFlow's FingerprintCat64 multiplier and the default key of cross_hashed.
_CAT_MUL = 0xC6A4A7935BD1E995
_CROSS_KEY = 0xDECAFCAFFE
# SipHash's initialisation words ("somepseudorandomlygeneratedbytes").
_SIP_INIT = (0x736F6D6570736575, 0x646F72616E646F6D, 0x6C7967656E657261, 0x7465646279746573)
_INT64_MIN = 1 << 63


# ============================================================ FarmHash Fingerprint64
def _shift_mix(v):
    return v ^ shr(v, 47)


def _hash_len16(u, v, mul):
    a = _shift_mix((u ^ v) * mul)
    b = _shift_mix((v ^ a) * mul)
    return b * mul


def _farm_len0(src):
    return full(src.length(), _K2)


def _farm_len1to3(src):
    n = src.length()
    a, b, c = src.byte(0), src.byte(src.n >> 1), src.byte(src.n - 1)
    y = a + shl(b, 8)
    z = n + shl(c, 2)
    return _shift_mix(y * const(n, _K2) ^ z * const(n, _K0)) * const(n, _K2)


def _length_mul(n):
    return shl(n, 1) + const(n, _K2)


# The 4..32-byte classes end in the same ``_hash_len16(u, v, mul)``: they
# return its inputs, so the JAX path can select them and mix once.
def _farm_len4to7(src):
    n = src.length()
    return n + shl(src.fetch32(0), 3), src.fetch32(src.n - 4), _length_mul(n)


def _farm_len8to16(src):
    n = src.length()
    mul = _length_mul(n)
    a = src.fetch64(0) + const(n, _K2)
    b = src.fetch64(src.n - 8)
    return rotr(b, 37) * mul + a, (rotr(a, 25) + b) * mul, mul


def _fold_ends(src, n, mul, first_mul):
    """The first and last 16 bytes folded as the 17..64-byte classes do: ``(a, u, v)``."""
    a = src.fetch64(0) * const(n, first_mul)
    b = src.fetch64(8)
    c = src.fetch64(src.n - 8) * mul
    d = src.fetch64(src.n - 16) * const(n, _K2)
    return a, rotr(a + b, 43) + rotr(c, 30) + d, a + rotr(b + const(n, _K2), 18) + c


def _farm_len17to32(src):
    n = src.length()
    mul = _length_mul(n)
    _, u, v = _fold_ends(src, n, mul, _K1)
    return u, v, mul


def _farm_len33to64(src):
    n = src.length()
    mul = _length_mul(n)
    a, y, v = _fold_ends(src, n, mul, _K2)
    z = _hash_len16(y, v, mul)
    e = src.fetch64(16) * mul
    f = src.fetch64(24)
    g = (y + src.fetch64(src.n - 32)) * mul
    h = (z + src.fetch64(src.n - 24)) * mul
    return _hash_len16(rotr(e + f, 43) + rotr(g, 30) + h,
                       e + rotr(f + a, 18) + g, mul)


def _weak_hash32(w, x, y, z, a, b):
    a = a + w
    b = rotr(b + a + z, 21)
    c = a
    a = a + x + y
    b = b + rotr(a, 44)
    return a + z, b + c


def _weak_hash32_at(src, off, a, b):
    return _weak_hash32(src.fetch64(off), src.fetch64(off + 8), src.fetch64(off + 16),
                        src.fetch64(off + 24), a, b)


def _farm_long(src):
    """Strings over 64 bytes (host only): 64-byte blocks, then the last 64 bytes."""
    rows = len(src.n)
    seed = 81
    y0 = (seed * _K1 + 113) & MASK64
    t = (y0 * _K2 + 113) & MASK64
    z0 = (t ^ (t >> 47)) * _K2
    # Rows sorted by block count, most first, so the rows still looping are a prefix.
    iters = (src.n - 1) // 64
    order = np.argsort(-iters, kind="stable")
    src = src.take(order)
    iters = iters[order]
    x = np.full(rows, u64(seed)) * u64(_K2) + src.fetch64(0)
    y = np.full(rows, u64(y0))
    z = np.full(rows, u64(z0))
    v0, v1, w0, w1 = (np.zeros(rows, np.uint64) for _ in range(4))
    k1 = u64(_K1)
    for block in range(int(iters[0])):
        live = int(np.count_nonzero(iters > block))
        s = src.take(slice(0, live))
        o = 64 * block
        x_, y_, z_ = x[:live], y[:live], z[:live]
        v0_, v1_, w0_, w1_ = v0[:live], v1[:live], w0[:live], w1[:live]
        x_ = rotr(x_ + y_ + v0_ + s.fetch64(o + 8), 37) * k1
        y_ = rotr(y_ + v1_ + s.fetch64(o + 48), 42) * k1
        x_ = x_ ^ w1_
        y_ = y_ + v0_ + s.fetch64(o + 40)
        z_ = rotr(z_ + w0_, 33) * k1
        v0_, v1_ = _weak_hash32_at(s, o, v1_ * k1, x_ + w0_)
        w0_, w1_ = _weak_hash32_at(s, o + 32, z_ + w1_, y_ + s.fetch64(o + 16))
        x[:live], z[:live] = z_, x_
        y[:live], v0[:live], v1[:live], w0[:live], w1[:live] = y_, v0_, v1_, w0_, w1_
    mul = k1 + ((z & u64(0xFF)) << u64(1))
    last = src.n - 64
    w0 = w0 + ((src.n - 1) & 63).astype(np.uint64)
    v0 = v0 + w0
    w0 = w0 + v0
    x = rotr(x + y + v0 + src.fetch64(last + 8), 37) * mul
    y = rotr(y + v1 + src.fetch64(last + 48), 42) * mul
    x = x ^ (w1 * u64(9))
    y = y + v0 * u64(9) + src.fetch64(last + 40)
    z = rotr(z + w0, 33) * mul
    v0, v1 = _weak_hash32_at(src, last, v1 * mul, x + w0)
    w0, w1 = _weak_hash32_at(src, last + 32, z + w1, y + src.fetch64(last + 16))
    x, z = z, x
    out = _hash_len16(_hash_len16(v0, w0, mul) + _shift_mix(y) * u64(_K0) + z,
                      _hash_len16(v1, w1, mul) + x, mul)
    result = np.empty_like(out)
    result[order] = out
    return result


# Length classes of Fingerprint64: (shortest, longest, function, whether the
# function returns the inputs of a final ``_hash_len16`` rather than the hash).
_FARM_CLASSES = ((0, 0, _farm_len0, False), (1, 3, _farm_len1to3, False),
                 (4, 7, _farm_len4to7, True), (8, 16, _farm_len8to16, True),
                 (17, 32, _farm_len17to32, True), (33, 64, _farm_len33to64, False),
                 (65, None, _farm_long, False))


def _fingerprint_host(src):
    out = np.empty(len(src.n), np.uint64)
    for low, high, fn, mix_last in _FARM_CLASSES:
        rows = np.nonzero((src.n >= low) & (src.n <= (high if high is not None else src.n)))[0]
        if rows.size:
            value = fn(src.take(rows))
            out[rows] = _hash_len16(*value) if mix_last else value
    return out


def _fingerprint_device(src):
    """Fingerprint64 of non-empty texts of at most 32 bytes, every class computed then selected."""
    short, mix = None, None
    for low, high, fn, mix_last in _FARM_CLASSES:
        if low > src.width or high < 1:
            continue
        in_class = (src.n >= low) & (src.n <= high)
        value = fn(src)
        if not mix_last:
            short = value if short is None else where(in_class, value, short)
        else:
            mix = value if mix is None else tuple(
                where(in_class, a, b) for a, b in zip(value, mix))
    if mix is None:
        return short
    return where(src.n <= 3, short, _hash_len16(*mix))


# ============================================================ SipHash-2-4
def _sip_rounds(v, count):
    v0, v1, v2, v3 = v
    for _ in range(count):
        v0 = v0 + v1
        v1 = rotl(v1, 13) ^ v0
        v0 = rotl(v0, 32)
        v2 = v2 + v3
        v3 = rotl(v3, 16) ^ v2
        v0 = v0 + v3
        v3 = rotl(v3, 21) ^ v0
        v2 = v2 + v1
        v1 = rotl(v1, 17) ^ v2
        v2 = rotl(v2, 32)
    return [v0, v1, v2, v3]


def _sip_absorb(v, m):
    v = list(v)
    v[3] = v[3] ^ m
    v = _sip_rounds(v, 2)
    v[0] = v[0] ^ m
    return v


def _sip_init(like, key):
    return [full(like, key[i % 2] ^ init) for i, init in enumerate(_SIP_INIT)]


def _sip_finish(src, v, full_blocks):
    last = src.tail(8 * full_blocks) | shl(src.length() & const(src.length(), 0xFF), 56)
    v = _sip_absorb(v, last)
    v[2] = v[2] ^ const(v[2], 0xFF)
    v0, v1, v2, v3 = _sip_rounds(v, 4)
    return v0 ^ v1 ^ v2 ^ v3


def _siphash_host(src, key):
    rows = len(src.n)
    blocks = src.n // 8
    order = np.argsort(-blocks, kind="stable")
    src = src.take(order)
    blocks = blocks[order]
    v = _sip_init(src.length(), key)
    for block in range(int(blocks[0]) if rows else 0):
        live = int(np.count_nonzero(blocks > block))
        m = src.take(slice(0, live)).fetch64(8 * block)
        new = _sip_absorb([w[:live] for w in v], m)
        for w, w_new in zip(v, new):
            w[:live] = w_new
    out = _sip_finish(src, v, blocks)
    result = np.empty_like(out)
    result[order] = out
    return result


def _siphash_device(src, key):
    v = _sip_init(src.length(), key)
    blocks = src.n // 8
    for block in range(src.width // 8):
        new = _sip_absorb(v, src.fetch64(jnp.full_like(src.n, 8 * block)))
        v = [where(blocks > block, a, b) for a, b in zip(new, v)]
    return _sip_finish(src, v, blocks)


# ============================================================ public entry points
def salt_key(salt):
    """SipHash's two key words from a layer's ``salt`` (``[k0, k1]``, as Keras stores it)."""
    return (int(salt[0]) & MASK64, int(salt[1]) & MASK64)


def _as_str_list(strings):
    return [v if isinstance(v, (str, bytes)) else str(v) for v in strings]


def hash_strings(strings, salt=None):
    """``uint64`` hashes of a NumPy array of ``str``/``bytes`` (host).

    Args:
        strings: Array (any shape) of ``str`` (hashed as UTF-8) or ``bytes``.
        salt: ``None`` for FarmHash ``Fingerprint64``; ``[k0, k1]`` for
            SipHash-2-4 with that key.

    Returns:
        A ``uint64`` NumPy array of ``strings``'s shape.
    """
    arr = strings if isinstance(strings, np.ndarray) else np.asarray(strings, dtype=object)
    src = HostBytes.of(_as_str_list(arr.ravel().tolist()))
    with np.errstate(over="ignore"):
        if salt is None:
            out = _fingerprint_host(src)
        else:
            out = _siphash_host(src, salt_key(salt))
    return out.reshape(arr.shape)


def _int64_words(x):
    """JAX array -> (int64 value as words, whether the value is negative)."""
    dtype = x.dtype
    if jnp.issubdtype(dtype, jnp.floating):
        # Keras truncates floats to int64 first; NaN, inf and values out of
        # int64's range become INT64_MIN, as TensorFlow's CPU cast gives.
        x = x.astype(jnp.float64 if x.dtype == jnp.float64 else jnp.float32)
        mag = jnp.trunc(jnp.abs(x))
        bad = ~jnp.isfinite(x) | (mag >= 2.0 ** 63)
        mag = jnp.where(bad, 0, mag)
        hi = jnp.floor(mag / 2.0 ** 32)
        words = Words(hi.astype(jnp.uint32), (mag - hi * 2.0 ** 32).astype(jnp.uint32))
        words = where(x < 0, -words, words)
        return where(bad, Words.of(_INT64_MIN), words), (x <= -1) | bad
    if dtype.itemsize > 4:
        hi = (x >> 32).astype(jnp.uint32)
        lo = (x & MASK32).astype(jnp.uint32)
    else:
        lo = x.astype(jnp.int32).astype(jnp.uint32) if jnp.issubdtype(
            dtype, jnp.signedinteger) else x.astype(jnp.uint32)
        hi = jnp.where(x < 0, jnp.uint32(MASK32), jnp.uint32(0))
    negative = x < 0 if jnp.issubdtype(dtype, jnp.signedinteger) else jnp.zeros(x.shape, bool)
    return Words(hi, lo), negative


def _decimal_width(dtype):
    if jnp.issubdtype(dtype, jnp.floating) or dtype.itemsize > 4:
        return 20
    return len(str(jnp.iinfo(dtype).min)) if jnp.issubdtype(dtype, jnp.signedinteger) \
        else len(str(jnp.iinfo(dtype).max))


def _text_bytes(x):
    """The bytes ``tf.as_string`` writes for a numeric JAX array: ``(matrix, lengths)``."""
    if x.dtype == jnp.bool_:
        table = jnp.asarray([list(b"false"), list(b"true\0")], jnp.uint32)
        return table[x.astype(jnp.int32)], jnp.where(x, 4, 5).astype(jnp.int32)
    words, negative = _int64_words(x)
    magnitude = where(negative, -words, words)
    width = _decimal_width(x.dtype)

    def next_digit(q, _):
        q, r = Words(*q).divmod10()
        return (q.hi, q.lo), (r, (q.hi | q.lo) != 0)

    # One scan step per digit keeps the traced program (and its compile time) small.
    _, (digits, more) = jax.lax.scan(next_digit, (magnitude.hi, magnitude.lo), None,
                                     length=width)
    count = 1 + jnp.sum(more[:-1], axis=0, dtype=jnp.int32)
    digits = jnp.moveaxis(digits, 0, -1)
    sign = negative.astype(jnp.int32)
    pos = jnp.arange(width)
    # Position p of the text holds digit (count - 1 - (p - sign)), most significant first.
    which = (count + sign - 1)[..., None] - pos
    digit = jnp.take_along_axis(digits, jnp.clip(which, 0, width - 1), axis=-1) + ord("0")
    length = count + sign
    matrix = jnp.where((sign[..., None] == 1) & (pos == 0), ord("-"), digit)
    matrix = jnp.where(pos < length[..., None], matrix, 0).astype(jnp.uint32)
    return matrix, length


def hash_numbers(x, salt=None):
    """Hashes of the decimal text of a numeric JAX array (jittable), as words.

    The text is what Keras hashes (``tf.as_string`` of the value; floats are
    truncated to int64 first). ``salt`` as in :func:`hash_strings`.
    """
    x = jnp.asarray(x)
    src = DeviceBytes(*_text_bytes(x))
    if salt is None:
        return _fingerprint_device(src)
    return _siphash_device(src, salt_key(salt))


def number_words(x):
    """Per-feature words of an integer feature for :func:`cross_hash`: its int64 value."""
    if isinstance(x, np.ndarray):
        return x.astype(np.int64).view(np.uint64)
    return _int64_words(jnp.asarray(x))[0]


def _fingerprint_cat(fp1, fp2):
    mul = const(fp2, _CAT_MUL)
    result = _shift_mix(fp2 * mul) * mul ^ fp1 ^ mul
    result = result * mul
    result = _shift_mix(result) * mul
    return _shift_mix(result)


def cross_hash(words):
    """``tf.sparse.cross_hashed``'s hash of features given as per-feature words.

    Args:
        words: List of word arrays, all NumPy (host) or all ``Words`` (JAX),
            from :func:`hash_strings` / :func:`number_words`.
    """
    with np.errstate(over="ignore"):
        out = full(words[0], _CROSS_KEY)
        for w in words:
            out = _fingerprint_cat(out, w)
    return out


def buckets(words, num_bins):
    """``words % num_bins``: int64 NumPy on the host, int32 JAX for ``Words``."""
    if isinstance(words, Words):
        return words.mod(int(num_bins)).astype(jnp.int32)
    return (words % u64(num_bins)).astype(np.int64)
