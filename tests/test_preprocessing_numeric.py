"""Numerical and categorical preprocessing: Normalization, Discretization,
CategoryEncoding, IntegerLookup, and their adapted state through save/load.

Keras 3 (JAX backend) is the oracle where its layers run without TensorFlow
(Normalization, Discretization, CategoryEncoding); Keras's IntegerLookup
requires TensorFlow, so it is checked against hand-computed results, and
against Keras itself where TensorFlow is installed.  Hashing and
HashedCrossing: tests/test_preprocessing_hashing.py.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers import errors
from tests.helpers import assert_same_array

L = jl.layers


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((10, 4, 3)).astype("float32") * 3 + 1


# ----------------------------------------------------------------------- Normalization
@pytest.mark.parametrize("axis", [-1, None, (1, 2)])
def test_normalization_adapt_matches_keras(data, axis, keras):
    ref = keras.layers.Normalization(axis=axis)
    ref.adapt(data)
    layer = L.Normalization(axis=axis)
    layer.adapt(data)
    np.testing.assert_allclose(layer(data), ref(data), rtol=1e-5, atol=1e-5)
    for mine, theirs in zip(layer.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)
    # Same weight names and order (layer names depend on how many were made before).
    assert [w.path.split("/")[-1] for w in layer.weights] == [
        w.path.split("/")[-1] for w in ref.weights]


def test_normalization_given_stats_and_invert_match_keras(data, keras):
    for kwargs in (dict(mean=[1.0, 2.0, 3.0], variance=[4.0, 5.0, 6.0], invert=True),
                   dict(axis=(1, 2), mean=[1.0, 2.0, 3.0], variance=[4.0, 5.0, 6.0]),
                   dict(axis=None, mean=2.0, variance=9.0)):
        ref = keras.layers.Normalization(**kwargs)
        layer = L.Normalization(**kwargs)
        np.testing.assert_allclose(layer(data), ref(data), rtol=1e-6, atol=1e-6)
        assert layer.get_weights() == [] and layer.state == {}
        mine, theirs = layer.get_config(), ref.get_config()
        for key in ("axis", "invert", "mean", "variance"):
            assert mine[key] == theirs[key]


def test_normalization_adapt_on_batches_state_and_round_trip(data):
    whole = L.Normalization()
    whole.adapt(data)
    batched = L.Normalization()
    batched.adapt(iter([data[:3], (data[3:7], np.zeros(4)), data[7:]]))  # (x, y) batches too
    np.testing.assert_allclose(batched(data), whole(data), rtol=1e-5, atol=1e-5)
    by_size = L.Normalization()
    by_size.adapt(data, batch_size=3, steps=2)  # only the first 6 samples
    expected = (data[:6] - data[:6].mean((0, 1))) / data[:6].std((0, 1))
    np.testing.assert_allclose(by_size(data[:6]), expected, rtol=1e-4, atol=1e-4)
    # The statistics are state: init after adapt returns them, and they round-trip
    # through the weights of a layer rebuilt from the config.
    params, state = whole.init(jax.random.key(0), data)
    assert params == {}
    np.testing.assert_allclose(state[whole.name]["mean"], data.mean((0, 1)), rtol=1e-5)
    clone = L.Normalization.from_config(whole.get_config())
    clone.build(data.shape)
    clone.set_weights(whole.get_weights())
    np.testing.assert_allclose(clone(data), whole(data))
    y, _ = jax.jit(lambda p, s, x: whole.apply(p, s, x))(params, state, data)
    np.testing.assert_allclose(y, whole(data), rtol=1e-6)


def test_normalization_errors(data):
    with pytest.raises(errors.DataError, match="empty data"):
        L.Normalization().adapt(np.zeros((0, 3)))
    with pytest.raises(errors.DataError, match="empty data"):
        L.Normalization().adapt(iter([]))
    with pytest.raises(errors.ConfigError, match="give both `mean` and `variance`"):
        L.Normalization(mean=1.0)
    layer = L.Normalization()
    layer.adapt(data)
    with pytest.raises(errors.ShapeError, match="adapt\\(\\) got a batch of shape"):
        layer.adapt(np.zeros((4, 5)))
    with pytest.raises(errors.ShapeError, match="out of range"):
        L.Normalization(axis=3)(data)


def test_normalization_statistics_match_keras(keras):
    x = np.random.default_rng(5).random((2, 7, 6, 3)).astype("float32")
    # Normalization exposes its statistics as Keras does (broadcast shape).
    for kwargs in (dict(), dict(axis=None), dict(mean=[1.0, 2.0, 3.0], variance=[1, 2, 3])):
        ref, ours = keras.layers.Normalization(**kwargs), L.Normalization(**kwargs)
        if "mean" not in kwargs:
            ref.adapt(x)
            ours.adapt(x)
        else:
            ref.build(x.shape)
            ours.build(x.shape)
        np.testing.assert_allclose(ours.mean, ref.mean, rtol=1e-5)
        np.testing.assert_allclose(ours.variance, ref.variance, rtol=1e-5)


# ----------------------------------------------------------------------- Discretization
def test_discretization_adapt_boundaries_match_keras(keras):
    values = np.random.default_rng(1).standard_normal(500).astype("float32")
    batches = [values[i:i + 150] for i in range(0, 500, 150)]
    for num_bins, epsilon in ((4, 0.01), (7, 0.05)):
        # Keras's adapt needs TensorFlow for its type checks; its state API does not.
        ref = keras.layers.Discretization(num_bins=num_bins, epsilon=epsilon)
        for batch in batches:
            ref.update_state(batch)
        ref.finalize_state()
        layer = L.Discretization(num_bins=num_bins, epsilon=epsilon)
        layer.adapt(batches)
        assert layer.bin_boundaries == ref.bin_boundaries
        once = L.Discretization(num_bins=num_bins, epsilon=epsilon)
        once.adapt(values, batch_size=150)
        assert once.bin_boundaries == ref.bin_boundaries
    clone = L.Discretization.from_config(layer.get_config())
    assert clone.bin_boundaries == layer.bin_boundaries
    np.testing.assert_array_equal(clone(values), layer(values))


@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count"])
def test_discretization_outputs_match_keras(mode, keras):
    x = np.random.default_rng(2).standard_normal((3, 4)).astype("float32")
    ref = keras.layers.Discretization(bin_boundaries=[-0.5, 0.0, 0.5], output_mode=mode)
    layer = L.Discretization(bin_boundaries=[-0.5, 0.0, 0.5], output_mode=mode)
    for inputs in (x, x[0]):
        out = layer(inputs)
        np.testing.assert_array_equal(out, ref(inputs))
        assert out.dtype == np.dtype(ref(inputs).dtype)


def test_discretization_errors():
    with pytest.raises(errors.ConfigError, match="not both"):
        L.Discretization(bin_boundaries=[0.0], num_bins=2)
    with pytest.raises(errors.ConfigError, match="cannot adapt"):
        L.Discretization(bin_boundaries=[0.0]).adapt(np.ones(3))
    with pytest.raises(errors.ConfigError, match="no bin boundaries yet"):
        L.Discretization(num_bins=3)(jnp.ones(3))
    with pytest.raises(errors.DataError, match="empty data"):
        L.Discretization(num_bins=3).adapt([])


# ----------------------------------------------------------------------- CategoryEncoding
@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
def test_category_encoding_matches_keras(mode, keras):
    ids = np.array([[0, 1, 1, 5], [3, 3, 2, 0], [6, -1, 2, 2]])
    for inputs in (ids, ids[0], ids[:, :1]):
        ref = keras.layers.CategoryEncoding(num_tokens=6, output_mode=mode)
        np.testing.assert_array_equal(L.CategoryEncoding(num_tokens=6, output_mode=mode)(inputs),
                                      ref(inputs))
    if mode == "count":
        weights = np.random.default_rng(3).random(ids.shape).astype("float32")
        ref = keras.layers.CategoryEncoding(num_tokens=6, output_mode=mode)
        np.testing.assert_allclose(
            L.CategoryEncoding(num_tokens=6, output_mode=mode)(ids, count_weights=weights),
            ref(ids, count_weights=weights), rtol=1e-6)


def test_category_encoding_errors():
    with pytest.raises(errors.ConfigError, match="`num_tokens` must be set"):
        L.CategoryEncoding()
    with pytest.raises(errors.ConfigError, match="`output_mode` must be one of"):
        L.CategoryEncoding(num_tokens=3, output_mode="tf_idf")
    with pytest.raises(errors.ConfigError, match="sparse outputs are not supported"):
        L.CategoryEncoding(num_tokens=3, sparse=True)


# ----------------------------------------------------------------------- IntegerLookup
def test_integer_lookup_hand_computed():
    # Expected values follow Keras's documented IntegerLookup examples.
    data = jnp.array([[12, 1138, 42], [42, 1000, 36]])
    layer = L.IntegerLookup(vocabulary=[12, 36, 1138, 42])
    assert layer(data).tolist() == [[1, 3, 4], [4, 0, 2]]
    assert layer.get_vocabulary() == [-1, 12, 36, 1138, 42]
    assert layer.vocabulary_size() == 5
    masked = L.IntegerLookup(vocabulary=[12, 36, 1138, 42], mask_token=0)
    assert masked(jnp.array([[12, 0, 42]])).tolist() == [[2, 0, 5]]
    two_oov = L.IntegerLookup(vocabulary=[12, 36, 1138, 42], num_oov_indices=2)
    assert two_oov(jnp.array([[12, 1000, 1001]])).tolist() == [[2, 0, 1]]  # 1000 % 2, 1001 % 2
    inverse = L.IntegerLookup(vocabulary=[12, 36, 1138, 42], invert=True)
    assert inverse(jnp.array([[1, 3, 4], [4, 0, 9]])).tolist() == [[12, 1138, 42],
                                                                     [42, -1, -1]]
    hot = L.IntegerLookup(vocabulary=[12, 36, 1138, 42], output_mode="multi_hot")
    assert hot(data).tolist() == [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]]
    count = L.IntegerLookup(vocabulary=[12, 36], output_mode="count", pad_to_max_tokens=True,
                            max_tokens=5)
    assert count(jnp.array([12, 12, 7])).tolist() == [1, 2, 0, 0, 0]
    one_hot = L.IntegerLookup(vocabulary=[12, 36], output_mode="one_hot")
    assert one_hot(jnp.array([[36], [5]])).tolist() == [[0, 0, 1], [1, 0, 0]]
    tf_idf = L.IntegerLookup(vocabulary=[12, 36], output_mode="tf_idf",
                             idf_weights=[0.5, 0.25])
    np.testing.assert_allclose(tf_idf(jnp.array([[12, 12, 36, 7]])),
                               [[0.375 * 1, 0.5 * 2, 0.25 * 1]])
    # Jittable: the vocabulary is a constant searchsorted table.
    np.testing.assert_array_equal(jax.jit(layer)(data), layer(data))


def test_integer_lookup_adapt_order_config_and_tf_idf():
    layer = L.IntegerLookup(max_tokens=4)
    layer.adapt(np.array([[5, 5, 7], [9, 7, 3], [5, -1, 2]]))  # -1 is the OOV token
    # Counts: 5 x3, 7 x2, then 9, 3, 2 once each (ties: larger value first); 3 kept.
    assert layer.get_vocabulary() == [-1, 5, 7, 9]
    clone = L.IntegerLookup.from_config(layer.get_config())
    assert clone.get_vocabulary() == layer.get_vocabulary()
    clone.adapt(np.array([1, 1, 2]))  # an adapted vocabulary stays adaptable
    assert clone.get_vocabulary() == [-1, 1, 2]
    tf_idf = L.IntegerLookup(output_mode="tf_idf")
    tf_idf.adapt(iter([np.array([[1, 1, 2], [2, 3, 3]]), np.array([[3, 4, 4]])]))
    # 3 documents; document frequencies: 3 -> 2, 2 -> 2, 4 -> 1, 1 -> 1.
    assert tf_idf.get_vocabulary() == [-1, 3, 4, 2, 1]
    idf = {t: np.log(1 + 3 / (1 + d)) for t, d in {3: 2, 4: 1, 2: 2, 1: 1}.items()}
    oov_idf = np.mean([idf[t] for t in (3, 4, 2, 1)])
    np.testing.assert_allclose(tf_idf(jnp.array([[4, 4, 9]])),
                               [[oov_idf, 0, 2 * idf[4], 0, 0]], rtol=1e-6)
    rebuilt = L.IntegerLookup.from_config(tf_idf.get_config())
    np.testing.assert_allclose(rebuilt(jnp.array([[4, 4, 9]])), tf_idf(jnp.array([[4, 4, 9]])))


def test_integer_lookup_errors():
    with pytest.raises(errors.ConfigError, match="repeated tokens \\[3\\]"):
        L.IntegerLookup(vocabulary=[1, 3, 3])
    with pytest.raises(errors.ConfigError, match="outside the vocabulary \\[7\\]"):
        L.IntegerLookup(vocabulary=[1, 3], num_oov_indices=0)(jnp.array([1, 7]))
    with pytest.raises(errors.ConfigError, match="cannot adapt a layer built with a fixed"):
        L.IntegerLookup(vocabulary=[1]).adapt(np.array([1, 2]))
    with pytest.raises(errors.DataError, match="empty data"):
        L.IntegerLookup().adapt(np.array([], np.int64))
    with pytest.raises(errors.ConfigError, match="vocabulary must be known"):
        L.IntegerLookup(output_mode="multi_hot")(jnp.array([1]))
    with pytest.raises(errors.ConfigError, match="invert=True needs output_mode='int'"):
        L.IntegerLookup(invert=True, output_mode="count")
    with pytest.raises(errors.ConfigError, match="`salt` is only used with"):
        L.IntegerLookup(salt=3)
    with pytest.raises(errors.ConfigError, match="more than max_tokens=3"):
        L.IntegerLookup(vocabulary=[1, 2, 3], max_tokens=3)


def test_integer_lookup_matches_keras(keras_tf):
    keras = keras_tf
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
        assert_same_array(layer(inputs), ref(inputs))
    ref = keras.layers.IntegerLookup(vocabulary=vocab, invert=True)
    ids = np.array([[1, 3, 4], [4, 0, 2]])
    assert_same_array(L.IntegerLookup(vocabulary=vocab, invert=True)(ids), ref(ids))
    for kwargs in (dict(max_tokens=4), dict(output_mode="tf_idf"), dict(mask_token=0)):
        ref = keras.layers.IntegerLookup(**kwargs)
        ref.adapt(data)
        layer = L.IntegerLookup(**kwargs)
        layer.adapt(data)
        assert layer.get_vocabulary() == [int(t) for t in ref.get_vocabulary()], kwargs
        assert_same_array(layer(data), ref(data), rtol=1e-5)


# What Keras 3.15 (TensorFlow 2.21 hashes) returns for the same calls; more
# cases against Keras itself are in tests/test_preprocessing_hashing.py.


# ----------------------------------------------------------------------- saving
def test_adapted_statistics_and_vocabularies_survive_save_and_load(tmp_path, rng):
    values = (rng.standard_normal((64, 3)) * 2 + 1).astype("float32")
    ids = rng.integers(0, 20, (64, 4)).astype("int32")
    norm = L.Normalization(name="norm")
    norm.adapt(iter([values[:32], values[32:]]))
    disc = L.Discretization(num_bins=4, name="disc")
    disc.adapt(values)
    lookup = L.IntegerLookup(max_tokens=12, name="lookup")
    lookup.adapt(ids)

    num, tok = jl.Input((3,)), jl.Input((4,), dtype="int32")
    h1 = L.SpectralNormalization(L.Dense(2), name="sn")(norm(num))
    h2 = L.CategoryEncoding(num_tokens=4, output_mode="count")(disc(num))
    h3 = L.GlobalAveragePooling1D()(L.Embedding(12, 2)(lookup(tok)))
    model = jl.Model([num, tok], L.Concatenate()([h1, h2, h3]))
    # Training moves the spectral normalization's power-iteration state.
    model.compile(optimizer="sgd", loss="mse")
    model.fit([values, ids], np.zeros((64, 8), "float32"), epochs=1, batch_size=32, verbose=0)
    path = tmp_path / "prep.keras"
    model.save(path)
    loaded = jl.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict([values, ids], verbose=0),
                               model.predict([values, ids], verbose=0), rtol=1e-5, atol=1e-6)
    got = {layer.name: layer for layer in loaded.layers}
    # Keras's layer.mean / layer.variance: the statistics in the broadcast shape.
    np.testing.assert_allclose(got["norm"].mean, values.mean(0, keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(got["norm"].variance, values.var(0, keepdims=True), rtol=1e-5)
    assert got["disc"].bin_boundaries == disc.bin_boundaries
    assert got["lookup"].get_vocabulary() == lookup.get_vocabulary()
    assert jax.tree_util.tree_structure(loaded.state) == jax.tree_util.tree_structure(
        model.state)
    for a, b in zip(jax.tree_util.tree_leaves(loaded.state),
                    jax.tree_util.tree_leaves(model.state)):
        np.testing.assert_allclose(a, b, rtol=1e-6)
