"""Hashing, HashedCrossing and the lookups' OOV buckets give Keras's bins.

Keras hashes through TensorFlow: FarmHash ``Fingerprint64`` of the UTF-8
bytes (or of a number's decimal text), SipHash-2-4 keyed by ``salt``, and
``tf.sparse.cross_hashed`` for crosses.  The bins printed in Keras's
docstrings are checked without TensorFlow; where TensorFlow is installed its
ops are the oracle for the hashes themselves, and Keras's layers for the bins.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers import errors
from jaxlayers.layers.preprocessing import _hashing
from tests.helpers import run_python

L = jl.layers


def random_strings(seed, n=400, max_len=100):
    """ASCII, accents, CJK, emoji and NUL, every length from 0 to ``max_len`` and beyond."""
    rng = np.random.default_rng(seed)
    alphabet = list("abcXYZ019 -_.") + ["é", "ß", "中", "😀", "\x00"]
    lengths = np.concatenate([np.arange(max_len + 1), rng.integers(0, 3 * max_len, n)])
    return ["".join(rng.choice(alphabet, size=k)) for k in lengths]


# ----------------------------------------------------------------------- Keras's docstrings
def test_bins_printed_in_keras_docstrings():
    letters = np.array([["A"], ["B"], ["C"], ["D"], ["E"]])
    assert L.Hashing(num_bins=3)(letters).ravel().tolist() == [1, 0, 1, 1, 2]
    masked = np.array([["A"], ["B"], [""], ["C"], ["D"]])
    assert L.Hashing(num_bins=3, mask_value="")(masked).ravel().tolist() == [1, 1, 0, 2, 2]
    assert L.Hashing(num_bins=3, salt=[133, 137])(letters).ravel().tolist() == [1, 2, 1, 0, 2]
    assert L.Hashing(num_bins=3, salt=133)(letters).ravel().tolist() == [0, 0, 2, 1, 0]
    crossed = L.HashedCrossing(num_bins=5)((np.array(["A", "B", "A", "B", "A"]),
                                            np.array([101, 101, 101, 102, 102])))
    assert crossed.tolist() == [1, 4, 1, 1, 3]
    lookup = L.StringLookup(vocabulary=["a", "b", "c", "d"], num_oov_indices=2)
    assert lookup(np.array([["a", "c", "d"], ["m", "z", "b"]])).tolist() == [[2, 4, 5],
                                                                             [0, 1, 3]]
    farm = L.IntegerLookup(vocabulary=[10, 20, 30], num_oov_indices=4, oov_method="farmhash")
    assert farm(jnp.array([100, 300, 700, 1100, 1700, 2000])).tolist() == [3, 3, 2, 2, 0, 1]


def test_string_hash_is_kerass_in_every_process():
    # Python's own hash() is salted per process; the layers' hashes must not be.
    code = ("import numpy as np, jaxlayers as jl; x = np.array(['A', 'B', 'C', 'D', 'E']); "
            "print(jl.layers.Hashing(num_bins=3)(x).tolist(), "
            "jl.layers.Hashing(num_bins=3, salt=[133, 137])(x).tolist())")
    outs = {run_python(code, env={"PYTHONHASHSEED": seed}, capture_output=True, text=True,
                       check=True).stdout.strip() for seed in ("1", "2")}
    assert outs == {"[1, 0, 1, 1, 2] [1, 2, 1, 0, 2]"}  # the bins in Keras's docstring


# ----------------------------------------------------------------------- numbers as text
def test_numbers_hash_as_their_decimal_text():
    """Keras writes numbers as text before hashing: Hashing(ints) == Hashing(their str)."""
    rng = np.random.default_rng(0)
    ints = np.concatenate([[0, -1, 9, 10, -10, 2**31 - 1, -2**31],
                           rng.integers(-2**31, 2**31, 200)]).astype(np.int32)
    layer = L.Hashing(num_bins=1009)
    cases = [(ints, ints), (ints.astype(np.uint16), ints.astype(np.uint16)),
             (np.array([-2.7, -0.5, 0.5, 3.9, 1e9], np.float32), np.array([-2, 0, 0, 3, 10**9])),
             (np.array([True, False]), np.array(["true", "false"]))]
    for values, text in cases:
        want = layer(np.array([str(v) for v in text.tolist()]))
        np.testing.assert_array_equal(jax.jit(layer)(jnp.asarray(values)), want,
                                      err_msg=str(values.dtype))
    # IntegerLookup's "farmhash" OOV buckets are StringLookup's buckets of the same text.
    oov = ints[ints > 100]
    for salt in (None, [7, 9]):
        by_value = L.IntegerLookup(vocabulary=[1, 2], num_oov_indices=5, oov_method="farmhash",
                                   salt=salt)
        by_text = L.StringLookup(vocabulary=["1", "2"], num_oov_indices=5, salt=salt)
        np.testing.assert_array_equal(jax.jit(by_value)(jnp.asarray(oov)),
                                      by_text(np.array([str(v) for v in oov.tolist()])))


def test_numeric_bins_must_fit_int32():
    with pytest.raises(errors.ConfigError,
                       match=r"Hashing 'big': `num_bins` must be below 2\*\*31 to hash numbers"):
        L.Hashing(num_bins=2**31, name="big")(jnp.array([1, 2]))
    assert L.Hashing(num_bins=2**31)(np.array(["a"])).dtype == np.int64  # strings: host int64


# ----------------------------------------------------------------------- TensorFlow as oracle
def test_string_hashes_match_tensorflow(tf):
    strings = random_strings(0)
    data = np.array(strings, dtype=object)
    # Two moduli near 2**63 pin down the 64-bit hash, a small one the usual use.
    for num_bins in (2**63 - 1, 2**62 + 1, 1009):
        fast = tf.strings.to_hash_bucket_fast(strings, num_bins).numpy()
        np.testing.assert_array_equal(L.Hashing(num_bins=num_bins)(data), fast)
        for salt in ([133, 137], [2**63 - 1, 1]):
            strong = tf.strings.to_hash_bucket_strong(strings, num_bins, key=salt).numpy()
            np.testing.assert_array_equal(L.Hashing(num_bins=num_bins, salt=salt)(data), strong)
    as_bytes = np.array([s.encode("utf-8") for s in strings], dtype=object)
    np.testing.assert_array_equal(L.Hashing(num_bins=2**63 - 1)(as_bytes),
                                  tf.strings.to_hash_bucket_fast(strings, 2**63 - 1).numpy())


def _tf_text(tf, values):
    tensor = tf.constant(values)
    if values.dtype.kind == "f":  # Keras truncates floats to int64 before writing them
        tensor = tf.cast(tensor, tf.int64)
    return tf.strings.as_string(tensor)


def _assert_number_hashes_match(tf, values, salt):
    """The 64-bit hash of ``values``'s text (one compile), against TensorFlow's."""
    words = jax.jit(lambda v: _hashing.hash_numbers(v, salt))(jnp.asarray(values))
    ours = (np.asarray(words.hi).astype(np.uint64) << np.uint64(32)) | np.asarray(words.lo)
    text = _tf_text(tf, values)
    if salt is None:  # tf.fingerprint gives Fingerprint64's 8 bytes, little-endian
        want = tf.fingerprint(text, method="farmhash64").numpy().view("<u8")[:, 0]
        np.testing.assert_array_equal(ours, want, err_msg=str(values.dtype))
        return
    for num_bins in (2**63 - 1, 2**62 + 1, 7):
        want = tf.strings.to_hash_bucket_strong(text, num_bins, key=salt).numpy()
        np.testing.assert_array_equal((ours % np.uint64(num_bins)).astype(np.int64), want,
                                      err_msg=str(values.dtype))


@pytest.mark.parametrize("salt", [None, [133, 137]])
def test_number_hashes_match_tensorflow(tf, salt):
    rng = np.random.default_rng(1)
    ints = np.concatenate([np.arange(-300, 300), rng.integers(-2**31, 2**31, 1000),
                           [2**31 - 1, -2**31]])
    floats = np.concatenate([rng.standard_normal(300) * 10.0 ** rng.integers(0, 22, 300),
                             [np.nan, np.inf, -np.inf, -0.5, 2.0**63, -2.0**63]])
    for values in (ints.astype(np.int32), ints.astype(np.int8), ints.astype(np.uint32),
                   floats.astype(np.float32), np.array([True, False, True])):
        _assert_number_hashes_match(tf, values, salt)


def test_64_bit_numbers_match_tensorflow(tf):
    rng = np.random.default_rng(2)
    big = np.concatenate([rng.integers(-2**63, 2**63 - 1, 500, endpoint=True),
                          [-2**63, 2**63 - 1, 0]]).astype(np.int64)
    floats = rng.standard_normal(300) * 10.0 ** rng.integers(0, 22, 300)
    with jax.enable_x64(True):
        _assert_number_hashes_match(tf, big, None)
        _assert_number_hashes_match(tf, big.view(np.uint64), [5, 6])
        _assert_number_hashes_match(tf, floats, None)
        # The layer keeps float64 values as they are (no cast to the compute dtype).
        layer = L.Hashing(num_bins=2**31 - 1)
        want = tf.strings.to_hash_bucket_fast(_tf_text(tf, floats), 2**31 - 1).numpy()
        np.testing.assert_array_equal(layer(jnp.asarray(floats)), want)


def test_bins_of_numbers_are_the_hash_modulo_num_bins(tf):
    values = np.random.default_rng(3).integers(-2**31, 2**31, 500).astype(np.int32)
    text = _tf_text(tf, values)
    for num_bins in (2**31 - 1, 65537, 1):
        want = tf.strings.to_hash_bucket_fast(text, num_bins).numpy()
        np.testing.assert_array_equal(L.Hashing(num_bins=num_bins)(jnp.asarray(values)), want)


def test_crossing_matches_tensorflow(tf):
    rng = np.random.default_rng(3)
    a, b = (rng.integers(-2**31, 2**31, 300) for _ in range(2))
    words = np.array(random_strings(4, n=0, max_len=299), dtype=object)
    for num_bins in (5, 2**31 - 1):
        ints = tf.sparse.cross_hashed([tf.constant(a[:, None]), tf.constant(b[:, None])],
                                      num_bins)
        layer = L.HashedCrossing(num_bins=num_bins)
        np.testing.assert_array_equal(
            jax.jit(layer)([jnp.asarray(a, jnp.int32), jnp.asarray(b, jnp.int32)]),
            tf.sparse.to_dense(ints).numpy()[:, 0])
        mixed = tf.sparse.cross_hashed([tf.constant(words.astype(str)[:, None]),
                                        tf.constant(a[:, None]),
                                        tf.constant(words.astype(str)[::-1, None])], num_bins)
        np.testing.assert_array_equal(layer([words[:, None], a[:, None], words[::-1, None]]),
                                      tf.sparse.to_dense(mixed).numpy())


# ----------------------------------------------------------------------- Keras's layers
def test_hashing_layers_match_keras(keras_tf):
    keras = keras_tf
    words = np.array(random_strings(5, n=100, max_len=40)).reshape(-1, 1)
    ints = np.random.default_rng(6).integers(-10**6, 10**6, words.shape)
    for kwargs in ({"num_bins": 17}, {"num_bins": 17, "mask_value": "", "salt": [3, 4]},
                   {"num_bins": 9, "output_mode": "one_hot"}):
        np.testing.assert_array_equal(L.Hashing(**kwargs)(words),
                                      keras.layers.Hashing(**kwargs)(words), err_msg=str(kwargs))
    for kwargs in ({"num_bins": 17, "mask_value": 0}, {"num_bins": 17, "salt": 11},
                   {"num_bins": 5, "output_mode": "count"}):
        np.testing.assert_array_equal(L.Hashing(**kwargs)(jnp.asarray(ints)),
                                      keras.layers.Hashing(**kwargs)(ints), err_msg=str(kwargs))
    crossing = (words[:, 0], ints[:, 0])
    np.testing.assert_array_equal(L.HashedCrossing(num_bins=23)(crossing),
                                  keras.layers.HashedCrossing(num_bins=23)(crossing))


def test_lookup_oov_buckets_match_keras(keras_tf):
    keras = keras_tf
    words = np.array(random_strings(7, n=99, max_len=30)).reshape(-1, 2)
    vocab = sorted(set(words.ravel().tolist()))[:20]
    for kwargs in ({"num_oov_indices": 3}, {"num_oov_indices": 4, "mask_token": "\x01", "salt": 9},
                   {"num_oov_indices": 3, "output_mode": "count"}):
        ours = L.StringLookup(vocabulary=vocab, **kwargs)
        theirs = keras.layers.StringLookup(vocabulary=vocab, **kwargs)
        np.testing.assert_array_equal(ours(words), theirs(words), err_msg=str(kwargs))
    ints = np.random.default_rng(8).integers(-500, 500, (60, 2))
    for kwargs in ({"num_oov_indices": 3, "oov_method": "farmhash"},
                   {"num_oov_indices": 5, "oov_method": "farmhash", "salt": [1, 2],
                    "mask_token": 0}):
        ours = L.IntegerLookup(vocabulary=[3, 7, 11], **kwargs)
        theirs = keras.layers.IntegerLookup(vocabulary=[3, 7, 11], **kwargs)
        np.testing.assert_array_equal(ours(jnp.asarray(ints)), theirs(ints), err_msg=str(kwargs))


# ----------------------------------------------------------------------- recorded Keras bins
def test_hashing_and_crossing_strings_give_keras_bins():
    words = np.array([["cat"], ["dog"], ["émû"], [""]])
    assert L.Hashing(num_bins=100)(words).tolist() == KERAS_STRING_BINS
    assert L.Hashing(num_bins=100, salt=1)(words).tolist() != KERAS_STRING_BINS
    masked = L.Hashing(num_bins=4, mask_value="")(words)
    assert masked[3, 0] == 0 and bool((masked[:3] > 0).all())
    hot = L.Hashing(num_bins=100, output_mode="one_hot")(words)
    assert hot.shape == (4, 100) and hot.sum() == 4
    crossed = L.HashedCrossing(num_bins=50)([np.array(["a", "b", "a"]), np.array([1, 2, 1])])
    assert crossed.tolist() == KERAS_CROSSED and crossed[0] == crossed[2]


def test_hashing_integers_keras_bins_masked_salted_and_jittable():
    x = jnp.array([[0, 1, 2, 3, 4, 5, -7, 123456]])
    bins = L.Hashing(num_bins=10)(x)
    assert bins.tolist() == KERAS_INT_BINS
    assert bins.dtype == jnp.int32
    masked = L.Hashing(num_bins=10, mask_value=0)(x)
    assert masked[0, 0] == 0 and bool((masked[0, 1:] >= 1).all())
    salted = L.Hashing(num_bins=1000, salt=[7, 9])(x)
    assert salted.tolist() != L.Hashing(num_bins=1000)(x).tolist()
    assert L.Hashing(num_bins=1000, salt=7)(x).tolist() == \
        L.Hashing(num_bins=1000, salt=(7, 7))(x).tolist()
    np.testing.assert_array_equal(jax.jit(L.Hashing(num_bins=10))(x), bins)
    counts = L.Hashing(num_bins=4, output_mode="count")(jnp.arange(400).reshape(2, 200))
    assert counts.shape == (2, 4) and counts.sum() == 400 and counts.min() > 30
    np.testing.assert_array_equal(L.Hashing(num_bins=10)(x.astype(jnp.float32)), bins)


def test_hashed_crossing_integers():
    a, b = jnp.array([1, 2, 3, 1]), jnp.array([4, 5, 6, 4])
    layer = L.HashedCrossing(num_bins=5)
    out = layer([a, b])
    assert out.shape == (4,) and out[0] == out[3]
    assert out.tolist() == KERAS_CROSS_BINS
    assert layer([a, b]).tolist() != layer([b, a]).tolist()  # the cross is ordered
    hot = L.HashedCrossing(num_bins=5, output_mode="one_hot")([a[:, None], b[:, None]])
    np.testing.assert_array_equal(hot, jax.nn.one_hot(out, 5))
    np.testing.assert_array_equal(jax.jit(layer)([a, b]), out)
    with pytest.raises(errors.ShapeError, match="at least two features"):
        layer([a])
    with pytest.raises(errors.ShapeError, match="same shape"):
        layer([a, b[:2]])


# What Keras 3.15 (TensorFlow 2.21 hashes) returns for the same calls.
KERAS_STRING_BINS = [[96], [12], [93], [63]]
KERAS_CROSSED = [35, 7, 35]
KERAS_INT_BINS = [[5, 9, 9, 1, 3, 1, 2, 8]]
KERAS_CROSS_BINS = [0, 3, 3, 0]
