"""Host-side string layers: TextVectorization and StringLookup.

Keras 3's versions of these layers run on TensorFlow string ops, so the
expectations are computed by hand from Keras's documented behaviour
(vocabulary order, index layout, TF-IDF formula); where TensorFlow is
installed, Keras itself is the oracle too (same data in, same vocabulary and
outputs out).  Hashing strings: tests/test_preprocessing_hashing.py.
"""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers import errors
from tests.helpers import assert_same_array

L = jl.layers

TEXTS = np.array(["The cat sat on the mat.", "The dog ate my homework!", "a cat, A DOG"])


WORDS = ["the", "cat", "dog", "sat", "on", "mat", "ate", "my", "homework", "a", "big",
         "red", "emu", "ran", "far"]


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


# ----------------------------------------------------------------------- TextVectorization
def test_text_vectorization_adapt_and_int_output():
    layer = L.TextVectorization(max_tokens=8, output_sequence_length=5)
    layer.adapt(TEXTS)
    # Counts after lowercasing and stripping punctuation: the x3, cat x2, dog x2, a x2,
    # then once each; ties are broken by the token, larger first; 8 - 2 special slots.
    assert layer.get_vocabulary() == ["", "[UNK]", "the", "dog", "cat", "a", "sat", "on"]
    assert layer.vocabulary_size() == 8
    out = layer(np.array(["the cat sat on the mat", "A dog"]))
    assert out.dtype == np.int64
    assert out.tolist() == [[2, 4, 6, 7, 2], [5, 3, 0, 0, 0]]
    ragged = L.TextVectorization(vocabulary=["the", "cat"])
    assert ragged(["the cat", "the"]).tolist() == [[2, 3], [2, 0]]  # pad to the longest
    assert ragged(["the cat"]).shape == (1, 2)
    assert ragged("the cat").tolist() == [2, 3]  # one string, no batch axis


def test_text_vectorization_standardize_split_ngrams():
    vocab = ["hello", "world", "hello world", "héllo"]
    plain = L.TextVectorization(vocabulary=vocab, standardize=None)
    assert plain(["Hello world"]).tolist() == [[1, 3]]
    lower = L.TextVectorization(vocabulary=vocab, standardize="lower")
    assert lower(["HELLO world!"]).tolist() == [[2, 1]]  # 'world!' keeps its '!'
    # Like tf.strings.lower, only ASCII letters are lowercased.
    assert lower(["HÉLLO héllo"]).tolist() == [[1, 5]]
    strip = L.TextVectorization(vocabulary=vocab, standardize="strip_punctuation")
    assert strip(["hello, world!!"]).tolist() == [[2, 3]]
    bigrams = L.TextVectorization(vocabulary=vocab, ngrams=2)
    # 1-grams first, then 2-grams.
    assert bigrams(["Hello  world"]).tolist() == [[2, 3, 4]]
    only_bigrams = L.TextVectorization(vocabulary=vocab, ngrams=(2,))
    assert only_bigrams(["hello world", "hello"]).tolist() == [[4], [0]]
    chars = L.TextVectorization(vocabulary=["a", "b", " "], split="character",
                                standardize=None)
    assert chars(["ab a"]).tolist() == [[2, 3, 4, 2]]
    tokens = L.TextVectorization(vocabulary=["x", "y"], split=None, standardize=None)
    assert tokens(np.array([["x", "y", ""], ["y", "z", "x"]])).tolist() == [[2, 3, 0],
                                                                           [3, 1, 2]]
    assert tokens(np.array(["y", "x"])).tolist() == [3, 2]
    custom = L.TextVectorization(
        vocabulary=["b", "c"], standardize=lambda x: np.char.replace(x, "a", "b"),
        split=lambda x: [s.split("-") for s in x.tolist()])
    assert custom(["a-c-d"]).tolist() == [[2, 3, 1]]


def test_text_vectorization_bag_of_words_modes():
    vocab = ["the", "cat", "dog"]
    multi = L.TextVectorization(vocabulary=vocab, output_mode="multi_hot")
    # In non-int modes there is no padding index: [UNK], the, cat, dog.
    assert multi(["the cat the bird", "dog"]).tolist() == [[1, 1, 1, 0], [0, 0, 0, 1]]
    count = L.TextVectorization(vocabulary=vocab, output_mode="count", max_tokens=6,
                                pad_to_max_tokens=True)
    assert count(["the cat the bird"]).tolist() == [[1, 2, 1, 0, 0, 0]]
    assert count(["the cat the bird"]).dtype == np.float32
    tf_idf = L.TextVectorization(output_mode="tf_idf")
    tf_idf.adapt(["the cat", "the dog", "the the bird"])
    assert tf_idf.get_vocabulary() == ["[UNK]", "the", "dog", "cat", "bird"]
    # idf = log(1 + num_docs / (1 + doc_freq)); OOV gets the mean idf.
    idf = {"the": np.log(1 + 3 / 4), "cat": np.log(1 + 3 / 2)}
    oov = np.mean([np.log(1 + 3 / 4)] + [np.log(1 + 3 / 2)] * 3)
    np.testing.assert_allclose(tf_idf(["the the cat emu"]),
                               [[oov, 2 * idf["the"], 0, idf["cat"], 0]], rtol=1e-6)
    one_hot = L.TextVectorization(vocabulary=vocab, output_mode="one_hot")
    assert one_hot(["dog", "cat"]).tolist() == [[0, 0, 0, 1], [0, 0, 1, 0]]
    with pytest.raises(errors.ShapeError, match="encodes one token per sample"):
        one_hot(["the cat"])


def test_text_vectorization_config_round_trip_and_batches():
    layer = L.TextVectorization(max_tokens=6, output_mode="tf_idf", ngrams=2)
    layer.adapt(iter([TEXTS[:2], TEXTS[2:]]))
    config = layer.get_config()
    assert config["vocabulary"] == layer.get_vocabulary(include_special_tokens=False)
    assert config["vocabulary_size"] == 6 and config["ngrams"] == 2
    clone = L.TextVectorization.from_config(config)
    assert clone.get_config() == config
    np.testing.assert_allclose(clone(TEXTS), layer(TEXTS))
    whole = L.TextVectorization(max_tokens=6, output_mode="tf_idf", ngrams=2)
    whole.adapt(TEXTS, batch_size=2)
    assert whole.get_vocabulary() == layer.get_vocabulary()
    given = L.TextVectorization(vocabulary=["a", "b"])
    assert "has_input_vocabulary" not in given.get_config()
    assert L.TextVectorization.from_config(given.get_config()).get_vocabulary() == \
        ["", "[UNK]", "a", "b"]
    # set_vocabulary accepts the vocabulary with its special tokens.
    other = L.TextVectorization()
    other.set_vocabulary(["", "[UNK]", "x"])
    assert other.get_vocabulary() == ["", "[UNK]", "x"]


def test_text_vectorization_errors():
    with pytest.raises(errors.DataError, match="empty data"):
        L.TextVectorization().adapt([])
    with pytest.raises(errors.DataError, match="empty data"):
        L.TextVectorization().adapt(iter([]))
    with pytest.raises(errors.ConfigError, match="repeated tokens \\['a'\\]"):
        L.TextVectorization(vocabulary=["a", "b", "a"])
    with pytest.raises(errors.ConfigError, match="`standardize` must be one of"):
        L.TextVectorization(standardize="upper")
    with pytest.raises(errors.ConfigError, match="only applies to output_mode='int'"):
        L.TextVectorization(output_mode="count", output_sequence_length=3)
    with pytest.raises(errors.ConfigError, match="`idf_weights` must be given"):
        L.TextVectorization(output_mode="tf_idf", vocabulary=["a"])
    with pytest.raises(errors.ShapeError, match="shape \\(batch,\\) or \\(batch, 1\\)"):
        L.TextVectorization(vocabulary=["a"])(np.array([["a", "b"]]))
    layer = L.TextVectorization(vocabulary=["a"])
    with pytest.raises(errors.DataError,
                       match="TextVectorization 'text_vectorization.*' works on host string "
                             "data and cannot run inside jax.jit"):
        jax.jit(lambda: jnp.asarray(layer(np.array(["a"]))))()


@pytest.mark.parametrize("kwargs", [
    dict(max_tokens=12, output_sequence_length=6),
    dict(standardize="lower", ngrams=2),
    dict(standardize="strip_punctuation", max_tokens=20, output_mode="multi_hot"),
    dict(max_tokens=10, output_mode="count", pad_to_max_tokens=True),
    dict(ngrams=(1, 3), output_mode="tf_idf", max_tokens=30),
    dict(standardize=None, split="character", output_sequence_length=9),
])
def test_text_vectorization_adapt_matches_keras(keras_tf, kwargs):
    keras = keras_tf
    train, test = corpus(0), corpus(1, n=6)
    ref = keras.layers.TextVectorization(**kwargs)
    ref.adapt(train)
    layer = L.TextVectorization(**kwargs)
    layer.adapt(iter([train[:15], train[15:]]))  # batches give the same vocabulary
    assert layer.get_vocabulary() == [str(t) for t in ref.get_vocabulary()]
    assert layer.vocabulary_size() == ref.vocabulary_size()
    assert_same_array(layer(test), ref(test), rtol=1e-5)


def test_text_vectorization_given_vocabulary_matches_keras(keras_tf):
    keras = keras_tf
    vocab = ["the", "cat", "dog", "the cat", "sat"]
    test = corpus(2, n=5)
    for mode in ("int", "multi_hot", "count"):
        ref = keras.layers.TextVectorization(vocabulary=vocab, ngrams=2, output_mode=mode)
        layer = L.TextVectorization(vocabulary=vocab, ngrams=2, output_mode=mode)
        assert layer.get_vocabulary() == [str(t) for t in ref.get_vocabulary()]
        assert_same_array(layer(test), ref(test))
    idf = [0.5, 1.5, 2.0, 0.25, 1.0]
    ref = keras.layers.TextVectorization(vocabulary=vocab, output_mode="tf_idf",
                                         idf_weights=idf)
    layer = L.TextVectorization(vocabulary=vocab, output_mode="tf_idf", idf_weights=idf)
    assert_same_array(layer(test), ref(test), rtol=1e-5)


# ----------------------------------------------------------------------- StringLookup
def test_string_lookup_modes():
    vocab = ["a", "b", "c", "d"]
    data = np.array([["a", "c", "d"], ["d", "z", "b"]])
    assert L.StringLookup(vocabulary=vocab)(data).tolist() == [[1, 3, 4], [4, 0, 2]]
    masked = L.StringLookup(vocabulary=vocab, mask_token="")
    assert masked(np.array([["a", ""], ["", "b"]])).tolist() == [[2, 0], [0, 3]]
    assert masked.get_vocabulary() == ["", "[UNK]", "a", "b", "c", "d"]
    inverse = L.StringLookup(vocabulary=vocab, invert=True)
    assert inverse(np.array([[1, 3, 4], [4, 0, 9]])).tolist() == [["a", "c", "d"],
                                                                   ["d", "[UNK]", "[UNK]"]]
    hot = L.StringLookup(vocabulary=vocab, output_mode="multi_hot")
    assert hot(data).tolist() == [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]]
    one_hot = L.StringLookup(vocabulary=vocab, output_mode="one_hot")
    assert one_hot(np.array(["a", "q"])).tolist() == [[0, 1, 0, 0, 0], [1, 0, 0, 0, 0]]
    counted = L.StringLookup(vocabulary=vocab, output_mode="count", mask_token="")
    assert counted(np.array(["a", "a", "", "q"])).tolist() == [1, 2, 0, 0, 0]  # mask dropped
    assert L.StringLookup(vocabulary=vocab)(np.array([b"c"])).tolist() == [3]  # bytes input
    spread = L.StringLookup(vocabulary=vocab, num_oov_indices=3)
    oov = spread(np.array(["x", "y", "z", "x", "a"]))
    assert oov[0] == oov[3] and set(oov[:4].tolist()) <= {0, 1, 2} and oov[4] == 3
    assert oov.tolist() == KERAS_OOV_BUCKETS  # Keras's FarmHash buckets


def test_string_lookup_adapt_and_config():
    layer = L.StringLookup(max_tokens=4)
    layer.adapt([["b", "a", "b"], ["c", "a", "b"], ["[UNK]", "d", "d"]])
    # b x3, then a x2 and d x2 (ties: larger first), c dropped by max_tokens.
    assert layer.get_vocabulary() == ["[UNK]", "b", "d", "a"]
    clone = L.StringLookup.from_config(layer.get_config())
    assert clone.get_vocabulary() == layer.get_vocabulary()
    assert clone.get_config() == layer.get_config()


def test_string_lookup_errors():
    with pytest.raises(errors.ConfigError, match="repeated tokens \\['b'\\]"):
        L.StringLookup(vocabulary=["a", "b", "b"])
    with pytest.raises(errors.ConfigError, match="reserved mask_token ''"):
        L.StringLookup(vocabulary=["a", ""], mask_token="")
    with pytest.raises(errors.ConfigError, match="cannot set an empty vocabulary"):
        L.StringLookup(vocabulary=[])
    with pytest.raises(errors.ConfigError, match="outside the vocabulary \\['q'\\]"):
        L.StringLookup(vocabulary=["a"], num_oov_indices=0)(np.array(["a", "q"]))
    with pytest.raises(errors.DataError, match="empty data"):
        L.StringLookup().adapt(np.array([], str))
    layer = L.StringLookup(vocabulary=["a"], invert=True, name="inv")
    with pytest.raises(errors.DataError,
                       match="StringLookup 'inv' works on host string data and cannot run "
                             "inside jax.jit; apply it in your data pipeline before fit"):
        jax.jit(lambda i: layer(i))(jnp.array([1]))


def test_string_lookup_matches_keras(keras_tf):
    keras = keras_tf
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
        assert_same_array(layer(data), ref(data), rtol=1e-5)
    vocab = ["a", "b", "c", "d"]
    # (Keras's invert=True cannot hand TF strings back on the JAX backend; the
    # inverse lookup is checked by hand in test_preprocessing_text.py.)
    words = np.array(["a", "q", "d"])
    ref = keras.layers.StringLookup(vocabulary=vocab, output_mode="one_hot")
    assert_same_array(L.StringLookup(vocabulary=vocab, output_mode="one_hot")(words), ref(words))


def test_adapted_string_layers_round_trip_through_json():
    texts = np.array(["The cat sat.", "a dog, a cat!", "the dog ran far"])
    for layer in (L.TextVectorization(max_tokens=9, output_mode="tf_idf", ngrams=2),
                  L.TextVectorization(output_sequence_length=5, split="character"),
                  L.StringLookup(output_mode="tf_idf", mask_token="")):
        layer.adapt(texts)
        config = json.loads(json.dumps(jl.saving.serialize_keras_object(layer)))
        clone = jl.saving.deserialize_keras_object(config)
        assert clone.get_vocabulary() == layer.get_vocabulary()
        np.testing.assert_allclose(clone(texts), layer(texts), rtol=1e-6)
    hashed = L.Hashing(num_bins=7, salt=[3, 4], mask_value="")
    config = json.loads(json.dumps(jl.saving.serialize_keras_object(hashed)))
    words = np.array(["cat", "", "dog"])
    assert jl.saving.deserialize_keras_object(config)(words).tolist() == hashed(words).tolist()


# What Keras 3.15 (TensorFlow 2.21 hashes) returns for the same calls; more
# cases against Keras itself are in tests/test_preprocessing_hashing.py.
KERAS_OOV_BUCKETS = [2, 2, 1, 2, 3]
