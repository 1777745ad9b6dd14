"""64-bit words and byte sources for the preprocessing hashes (``_hashing``).

The hash algorithms are written once against 64-bit words: on the host a
word is a NumPy ``uint64`` array, under JAX a :class:`Words` pair of
``uint32`` arrays (JAX has no ``uint64`` unless ``jax_enable_x64`` is on, and
a model's bins must not depend on that flag).  The helpers here (``shr``,
``rotr``, ``where``, ...) accept either kind.  A byte source gives the
algorithms their input: :class:`HostBytes` (NumPy strings of any length) or
:class:`DeviceBytes` (short JAX byte matrices, such as a number's text).
"""

import functools
import operator

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["MASK32", "MASK64", "DeviceBytes", "HostBytes", "Words", "const", "full", "rotl",
           "rotr", "shl", "shr", "u64", "where"]

MASK64 = (1 << 64) - 1
MASK32 = 0xFFFFFFFF


# ============================================================ words in JAX
def _mul32(a, b):
    """Full 64-bit product of two uint32 arrays, as ``(hi, lo)`` uint32 arrays."""
    a0, a1 = a & 0xFFFF, a >> 16
    b0, b1 = b & 0xFFFF, b >> 16
    p00, p01, p10, p11 = a0 * b0, a0 * b1, a1 * b0, a1 * b1
    mid = p01 + p10
    mid_carry = (mid < p01).astype(jnp.uint32)
    lo = p00 + (mid << 16)
    lo_carry = (lo < p00).astype(jnp.uint32)
    hi = p11 + (mid >> 16) + (mid_carry << 16) + lo_carry
    return hi, lo


@jax.tree_util.register_pytree_node_class
class Words:
    """Unsigned 64-bit words as two uint32 JAX arrays (wrapping arithmetic); a pytree."""

    __slots__ = ("hi", "lo")

    def __init__(self, hi, lo):
        self.hi = hi
        self.lo = lo

    def tree_flatten(self):
        return (self.hi, self.lo), None

    @classmethod
    def tree_unflatten(cls, _, children):
        return cls(*children)

    @staticmethod
    def of(value):
        if isinstance(value, Words):
            return value
        value = int(value) & MASK64
        return Words(jnp.uint32(value >> 32), jnp.uint32(value & MASK32))

    def __add__(self, other):
        other = Words.of(other)
        lo = self.lo + other.lo
        return Words(self.hi + other.hi + (lo < self.lo).astype(jnp.uint32), lo)

    __radd__ = __add__

    def __mul__(self, other):
        other = Words.of(other)
        hi, lo = _mul32(self.lo, other.lo)
        return Words(hi + self.lo * other.hi + self.hi * other.lo, lo)

    __rmul__ = __mul__

    def __xor__(self, other):
        other = Words.of(other)
        return Words(self.hi ^ other.hi, self.lo ^ other.lo)

    __rxor__ = __xor__

    def __or__(self, other):
        other = Words.of(other)
        return Words(self.hi | other.hi, self.lo | other.lo)

    def __and__(self, other):
        other = Words.of(other)
        return Words(self.hi & other.hi, self.lo & other.lo)

    def __neg__(self):
        return Words(~self.hi, ~self.lo) + 1

    def shr(self, n):
        if n == 0:
            return self
        if n >= 32:
            return Words(jnp.zeros_like(self.hi), self.hi >> (n - 32))
        return Words(self.hi >> n, (self.lo >> n) | (self.hi << (32 - n)))

    def shl(self, n):
        if n == 0:
            return self
        if n >= 32:
            return Words(self.lo << (n - 32), jnp.zeros_like(self.lo))
        return Words((self.hi << n) | (self.lo >> (32 - n)), self.lo << n)

    def rotr(self, n):
        if n == 0:
            return self
        if n >= 32:
            return Words(self.lo, self.hi).rotr(n - 32)
        return Words((self.hi >> n) | (self.lo << (32 - n)),
                      (self.lo >> n) | (self.hi << (32 - n)))

    def divmod10(self):
        """Quotient and remainder by 10 (words, uint32 remainder): 16 bits at a time."""
        q_hi, r = self.hi // 10, self.hi % 10
        t = (r << 16) | (self.lo >> 16)
        q1, r = t // 10, t % 10
        t = (r << 16) | (self.lo & 0xFFFF)
        q0, r = t // 10, t % 10
        return Words(q_hi, (q1 << 16) | q0), r

    def mod(self, m):
        """``self % m`` for a Python int ``0 < m < 2**31``, as uint32."""
        # Long division in chunks small enough that ``r << chunk`` stays in 32 bits.
        chunk = max(1, min(16, 32 - (m - 1).bit_length()))
        r = self.hi % m
        pos = 32
        while pos > 0:
            step = min(chunk, pos)
            pos -= step
            r = ((r << step) | ((self.lo >> pos) & ((1 << step) - 1))) % m
        return r


# ============================================================ word operations
def u64(value):
    return np.uint64(int(value) & MASK64)


def const(like, value):
    """The constant ``value`` in the word type of ``like``."""
    return Words.of(value) if isinstance(like, Words) else u64(value)


def shr(v, n):
    return v.shr(n) if isinstance(v, Words) else v >> u64(n)


def shl(v, n):
    return v.shl(n) if isinstance(v, Words) else v << u64(n)


def rotr(v, n):
    if isinstance(v, Words):
        return v.rotr(n)
    return v if n == 0 else (v >> u64(n)) | (v << u64(64 - n))


def rotl(v, n):
    return rotr(v, 64 - n)


def full(like, value):
    """``value`` in every row of ``like``'s word array."""
    if isinstance(like, Words):
        const = Words.of(value)
        return Words(jnp.full_like(like.hi, const.hi), jnp.full_like(like.lo, const.lo))
    return np.full(like.shape, u64(value))


def where(cond, a, b):
    if isinstance(a, Words):
        b = Words.of(b)
        return Words(jnp.where(cond, a.hi, b.hi), jnp.where(cond, a.lo, b.lo))
    return np.where(cond, a, b)


# ============================================================ byte sources
class HostBytes:
    """Strings as one flat NumPy byte buffer plus per-row start and length."""

    def __init__(self, data, starts, lengths):
        self.data = data
        self.starts = starts
        self.n = lengths
        # Every 8-byte little-endian word of the buffer, one per byte offset:
        # an unaligned strided view, so a fetch is one gather.
        self._words = np.ndarray((len(data) - 7,), "<u8", data, 0, (1,))

    @classmethod
    def of(cls, strings):
        encoded = [s if isinstance(s, bytes) else s.encode("utf-8") for s in strings]
        lengths = np.fromiter(map(len, encoded), np.int64, len(encoded))
        starts = np.cumsum(lengths) - lengths
        data = np.frombuffer(b"".join(encoded) + bytes(8), np.uint8)
        return cls(data, starts, lengths)

    def take(self, rows):
        return HostBytes(self.data, self.starts[rows], self.n[rows])

    def length(self):
        return self.n.astype(np.uint64)

    def fetch64(self, off):
        return self._words[self.starts + off].astype(np.uint64)

    def fetch32(self, off):
        return self.fetch64(off) & u64(MASK32)

    def byte(self, off):
        return self.data[self.starts + off].astype(np.uint64)

    def tail(self, off):
        """The bytes from ``off`` to the row's end (< 8 of them), zero-padded."""
        keep = (self.n - off).astype(np.uint64) * np.uint64(8)
        mask = (np.uint64(1) << keep) - np.uint64(1)
        return self.fetch64(off) & mask


class DeviceBytes:
    """Short byte strings as a JAX ``(..., width)`` matrix of byte values plus lengths."""

    def __init__(self, matrix, lengths):
        self.n = lengths
        self.width = width = matrix.shape[-1]
        padded = jnp.pad(matrix, [(0, 0)] * (matrix.ndim - 1) + [(0, 8)])
        self.matrix = padded

        def word32_at(first):  # the little-endian uint32 at every offset 0..width
            return functools.reduce(operator.or_, (
                padded[..., first + k:first + k + width + 1] << (8 * k) for k in range(4)))

        # Every fetch is then one gather per half instead of eight byte gathers.
        self._lo, self._hi = word32_at(0), word32_at(4)

    def length(self):
        return Words(jnp.zeros_like(self.n, jnp.uint32), self.n.astype(jnp.uint32))

    def _at(self, table, off):
        off = jnp.broadcast_to(jnp.clip(off, 0, self.width), self.n.shape).astype(jnp.int32)
        return jnp.take_along_axis(table, off[..., None], axis=-1)[..., 0]

    def fetch64(self, off):
        return Words(self._at(self._hi, off), self._at(self._lo, off))

    def fetch32(self, off):
        lo = self._at(self._lo, off)
        return Words(jnp.zeros_like(lo), lo)

    def byte(self, off):
        lo = self._at(self.matrix, off)
        return Words(jnp.zeros_like(lo), lo)

    def tail(self, off):
        # Bytes past a row's length are zero in the matrix.
        return self.fetch64(off)
