"""TextVectorization, StringLookup and IntegerLookup against Keras 3 itself.

Keras's versions of these layers run on TensorFlow string ops even with the
JAX backend; where TensorFlow is installed they are the oracle here (same data
in, same vocabulary and outputs out), including the hashed OOV buckets of
``num_oov_indices > 1`` (Hashing and HashedCrossing: test_preprocessing_hashing.py).
"""

import numpy as np
import pytest

import jaxlayers as jl

L = jl.layers

WORDS = ["the", "cat", "dog", "sat", "on", "mat", "ate", "my", "homework", "a", "big",
         "red", "emu", "ran", "far"]


@pytest.fixture(scope="module")
def keras():
    keras = pytest.importorskip("keras")
    pytest.importorskip("tensorflow")
    return keras


def corpus(seed, n=40):
    """Short sentences with case and punctuation, so ties and standardization matter."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        words = list(rng.choice(WORDS, rng.integers(2, 8)))
        if rng.random() < 0.3:
            words[0] = words[0].upper()
        out.append(" ".join(words) + str(rng.choice([".", "!", ",", "?", ""])))
    return np.array(out)


def assert_same(ours, theirs, rtol=1e-6):
    theirs = np.asarray(theirs)
    ours = np.asarray(ours)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours.astype(np.float64), theirs.astype(np.float64), rtol=rtol,
                               atol=1e-6)


@pytest.mark.parametrize("kwargs", [
    dict(max_tokens=12, output_sequence_length=6),
    dict(standardize="lower", ngrams=2),
    dict(standardize="strip_punctuation", max_tokens=20, output_mode="multi_hot"),
    dict(max_tokens=10, output_mode="count", pad_to_max_tokens=True),
    dict(ngrams=(1, 3), output_mode="tf_idf", max_tokens=30),
    dict(standardize=None, split="character", output_sequence_length=9),
])
def test_text_vectorization_adapt_matches_keras(keras, kwargs):
    train, test = corpus(0), corpus(1, n=6)
    ref = keras.layers.TextVectorization(**kwargs)
    ref.adapt(train)
    layer = L.TextVectorization(**kwargs)
    layer.adapt(iter([train[:15], train[15:]]))  # batches give the same vocabulary
    assert layer.get_vocabulary() == [str(t) for t in ref.get_vocabulary()]
    assert layer.vocabulary_size() == ref.vocabulary_size()
    assert_same(layer(test), ref(test), rtol=1e-5)


def test_text_vectorization_given_vocabulary_matches_keras(keras):
    vocab = ["the", "cat", "dog", "the cat", "sat"]
    test = corpus(2, n=5)
    for mode in ("int", "multi_hot", "count"):
        ref = keras.layers.TextVectorization(vocabulary=vocab, ngrams=2, output_mode=mode)
        layer = L.TextVectorization(vocabulary=vocab, ngrams=2, output_mode=mode)
        assert layer.get_vocabulary() == [str(t) for t in ref.get_vocabulary()]
        assert_same(layer(test), ref(test))
    idf = [0.5, 1.5, 2.0, 0.25, 1.0]
    ref = keras.layers.TextVectorization(vocabulary=vocab, output_mode="tf_idf",
                                         idf_weights=idf)
    layer = L.TextVectorization(vocabulary=vocab, output_mode="tf_idf", idf_weights=idf)
    assert_same(layer(test), ref(test), rtol=1e-5)


def test_string_lookup_matches_keras(keras):
    data = np.array([["b", "a", "b", "z"], ["c", "a", "b", ""], ["", "d", "d", "q"]])
    for kwargs in (dict(), dict(max_tokens=4), dict(mask_token=""),
                   dict(output_mode="multi_hot"), dict(output_mode="count", mask_token=""),
                   dict(output_mode="tf_idf"), dict(num_oov_indices=0, mask_token=""),
                   dict(num_oov_indices=3, mask_token=""), dict(num_oov_indices=2, salt=5)):
        ref = keras.layers.StringLookup(**kwargs)
        ref.adapt(data)
        layer = L.StringLookup(**kwargs)
        layer.adapt(iter([data[:1], data[1:]]))
        assert layer.get_vocabulary() == [str(t) for t in ref.get_vocabulary()], kwargs
        assert_same(layer(data), ref(data), rtol=1e-5)
    vocab = ["a", "b", "c", "d"]
    # (Keras's invert=True cannot hand TF strings back on the JAX backend; the
    # inverse lookup is checked by hand in test_preprocessing_text.py.)
    words = np.array(["a", "q", "d"])
    ref = keras.layers.StringLookup(vocabulary=vocab, output_mode="one_hot")
    assert_same(L.StringLookup(vocabulary=vocab, output_mode="one_hot")(words), ref(words))


def test_integer_lookup_matches_keras(keras):
    data = np.array([[12, 1138, 42, 7], [42, 1000, 36, 0], [0, 42, 12, 12]])
    vocab = [12, 36, 1138, 42]
    for kwargs in (dict(), dict(mask_token=0), dict(num_oov_indices=2),
                   dict(num_oov_indices=3, oov_method="farmhash", mask_token=0),
                   dict(num_oov_indices=2, oov_method="farmhash", salt=[4, 2]),
                   dict(output_mode="multi_hot"), dict(output_mode="count", mask_token=0),
                   dict(output_mode="one_hot")):
        inputs = data[:, 0] if kwargs.get("output_mode") == "one_hot" else data
        ref = keras.layers.IntegerLookup(vocabulary=vocab, **kwargs)
        layer = L.IntegerLookup(vocabulary=vocab, **kwargs)
        assert layer.get_vocabulary() == [int(t) for t in ref.get_vocabulary()], kwargs
        assert_same(layer(inputs), ref(inputs))
    ref = keras.layers.IntegerLookup(vocabulary=vocab, invert=True)
    ids = np.array([[1, 3, 4], [4, 0, 2]])
    assert_same(L.IntegerLookup(vocabulary=vocab, invert=True)(ids), ref(ids))
    for kwargs in (dict(max_tokens=4), dict(output_mode="tf_idf"), dict(mask_token=0)):
        ref = keras.layers.IntegerLookup(**kwargs)
        ref.adapt(data)
        layer = L.IntegerLookup(**kwargs)
        layer.adapt(data)
        assert layer.get_vocabulary() == [int(t) for t in ref.get_vocabulary()], kwargs
        assert_same(layer(data), ref(data), rtol=1e-5)
