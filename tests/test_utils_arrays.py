"""``jl.utils`` array helpers against Keras 3: to_categorical, normalize, pad_sequences,
split_dataset, timeseries_dataset_from_array."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers.errors import ConfigError, ConfigTypeError, DataError


def _same(ours, theirs):
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)


# ------------------------------------------------------------------ to_categorical / normalize
@pytest.mark.parametrize("labels,num_classes", [
    ([0, 2, 1], None), ([[1], [3], [0]], 5), (np.array([[0, 1], [2, 2]]), None),
    (np.array([2.0, 0.0]), 3),
])
def test_to_categorical_matches_keras(keras, labels, num_classes):
    _same(jl.utils.to_categorical(labels, num_classes),
          keras.utils.to_categorical(labels, num_classes))


def test_to_categorical_of_a_jax_array_is_a_jax_array_and_jits(keras):
    labels = jnp.array([[1], [0], [3]])
    out = jl.utils.to_categorical(labels, 4)
    assert isinstance(out, jax.Array) and out.dtype == jnp.float32
    np.testing.assert_array_equal(out, keras.utils.to_categorical(labels, 4))
    jitted = jax.jit(lambda y: jl.utils.to_categorical(y, 4))(labels)
    np.testing.assert_array_equal(jitted, out)
    np.testing.assert_array_equal(jl.utils.to_categorical(jnp.array([0, 2])),
                                  np.eye(3, dtype=np.float32)[[0, 2]])


def test_to_categorical_errors():
    with pytest.raises(DataError, match=r"class ids in \[0, 3\)\. Received: label 3"):
        jl.utils.to_categorical([0, 3], num_classes=3)
    with pytest.raises(DataError, match=r"Received: label -1"):
        jl.utils.to_categorical(jnp.array([-1, 0]), num_classes=2)
    with pytest.raises(ConfigError, match=r"`num_classes` must be a positive int or None"):
        jl.utils.to_categorical([0], num_classes=0)
    with pytest.raises(DataError, match=r"integer class ids"):
        jl.utils.to_categorical([0.5, 1.0])
    with pytest.raises(ConfigError, match=r"under jax.jit .* Pass num_classes"):
        jax.jit(jl.utils.to_categorical)(jnp.array([0, 1]))


@pytest.mark.parametrize("axis,order", [(-1, 2), (1, 1), (0, 2), (-1, np.inf)])
def test_normalize_matches_keras(keras, rng, axis, order):
    x = rng.normal(size=(3, 4, 5))
    x[0, 0] = 0.0  # an all-zero slice stays zero
    ours = jl.utils.normalize(x, axis=axis, order=order)
    norm = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    np.testing.assert_allclose(ours, x / np.where(norm == 0, 1, norm))
    if axis != 0:  # Keras expands axis 0 at -1 (``axis or -1``): not a reference there
        np.testing.assert_allclose(ours, keras.utils.normalize(x, axis=axis, order=order))
    jax_out = jl.utils.normalize(jnp.asarray(x, jnp.float32), axis=axis, order=order)
    assert isinstance(jax_out, jax.Array)
    np.testing.assert_allclose(jax_out, ours, rtol=1e-5, atol=1e-6)
    if order != np.inf:  # keras.ops.normalize takes int orders only
        np.testing.assert_allclose(jax_out, keras.ops.normalize(
            x.astype(np.float32), axis=axis, order=order), rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ pad_sequences
_SEQS = [[1, 2, 3, 4], [5], [], [6, 7]]


@pytest.mark.parametrize("kwargs", [
    {}, {"maxlen": 2}, {"maxlen": 3, "padding": "post"}, {"maxlen": 3, "truncating": "post"},
    {"maxlen": 6, "padding": "post", "truncating": "post", "value": -1},
    {"dtype": "float32", "value": 0.5}, {"dtype": "int64", "maxlen": 1},
])
def test_pad_sequences_matches_keras(keras, kwargs):
    _same(jl.utils.pad_sequences(_SEQS, **kwargs), keras.utils.pad_sequences(_SEQS, **kwargs))


@pytest.mark.parametrize("dtype,value", [(object, "<pad>"), ("<U6", "x")])
def test_pad_sequences_of_strings_matches_keras(keras, dtype, value):
    seqs = [["a", "bb"], ["ccc"], ["d", "e", "f"]]
    for padding in ("pre", "post"):
        _same(jl.utils.pad_sequences(seqs, maxlen=2, dtype=dtype, value=value, padding=padding),
              keras.utils.pad_sequences(seqs, maxlen=2, dtype=dtype, value=value,
                                        padding=padding))


def test_pad_sequences_of_vectors_matches_keras(keras, rng):
    seqs = [rng.normal(size=(n, 3)).astype(np.float32) for n in (2, 4, 1)]
    _same(jl.utils.pad_sequences(seqs, dtype="float32"),
          keras.utils.pad_sequences(seqs, dtype="float32"))


def test_pad_sequences_errors():
    with pytest.raises(ConfigError, match=r"`padding` must be 'pre' or 'post'"):
        jl.utils.pad_sequences(_SEQS, padding="middle")
    with pytest.raises(ConfigError, match=r"`truncating` must be 'pre' or 'post'"):
        jl.utils.pad_sequences(_SEQS, truncating="both")
    with pytest.raises(ConfigError, match=r"a string `value` needs a text dtype"):
        jl.utils.pad_sequences([["a"]], value="x")
    with pytest.raises(ConfigError, match=r"`maxlen` must be a non-negative int or None"):
        jl.utils.pad_sequences(_SEQS, maxlen=2.5)
    with pytest.raises(DataError, match=r"list of sequences \(lists or arrays\)\. Received: 3"):
        jl.utils.pad_sequences([[1], 3])
    with pytest.raises(DataError, match=r"every element must have shape \(2,\)"):
        jl.utils.pad_sequences([np.zeros((1, 2)), np.zeros((1, 3))], dtype="float32")
    assert jl.utils.pad_sequences([]).shape == (0, 0)


# ------------------------------------------------------------------ split_dataset
@pytest.mark.parametrize("kwargs", [
    {"left_size": 0.8}, {"right_size": 3}, {"left_size": 4, "right_size": 0.25},
    {"left_size": 0.5, "shuffle": True, "seed": 11}, {"left_size": 7, "shuffle": True, "seed": 3},
])
def test_split_dataset_takes_keras_samples(keras, kwargs):
    x = np.arange(40).reshape(20, 2)
    y = np.arange(20) * 10
    (xl, yl), (xr, yr) = jl.utils.split_dataset((x, y), **kwargs)
    left, right = keras.utils.split_dataset((x, y), **kwargs)
    for ours, theirs in (((xl, yl), left), ((xr, yr), right)):
        rows = list(theirs.as_numpy_iterator())
        np.testing.assert_array_equal(ours[0], np.stack([r[0] for r in rows]))
        np.testing.assert_array_equal(ours[1], np.stack([r[1] for r in rows]))


def test_split_dataset_structures():
    x = np.arange(10)
    left, right = jl.utils.split_dataset(x, right_size=0.3)
    assert left.tolist() == list(range(7)) and right.tolist() == [7, 8, 9]
    data = {"a": np.arange(6), "b": np.arange(12).reshape(6, 2)}
    left, right = jl.utils.split_dataset(data, left_size=2)
    assert left["b"].tolist() == [[0, 1], [2, 3]] and right["a"].tolist() == [2, 3, 4, 5]
    left, right = jl.utils.split_dataset([np.arange(4), np.arange(4) + 10], left_size=0.5)
    assert isinstance(left, tuple) and right[1].tolist() == [12, 13]
    xs, _ = jl.utils.split_dataset(jnp.arange(5.0), left_size=3)
    assert isinstance(xs, jax.Array) and xs.tolist() == [0.0, 1.0, 2.0]


def test_split_dataset_errors():
    x = np.arange(10)
    with pytest.raises(ConfigError, match=r"pass `left_size`, `right_size` or both"):
        jl.utils.split_dataset(x)
    with pytest.raises(ConfigError, match=r"`left_size` as an int must be a number of samples "
                                          r"in \[1, 10\)"):
        jl.utils.split_dataset(x, left_size=10)
    with pytest.raises(ConfigError, match=r"`right_size` as a float must be a fraction"):
        jl.utils.split_dataset(x, right_size=1.5)
    with pytest.raises(ConfigTypeError, match=r"`left_size` must be an int"):
        jl.utils.split_dataset(x, left_size="half")
    with pytest.raises(ConfigError, match=r"must not exceed 1"):
        jl.utils.split_dataset(x, left_size=0.6, right_size=0.6)
    with pytest.raises(ConfigError, match=r"give 8 and 3 samples"):
        jl.utils.split_dataset(x, left_size=8, right_size=3)
    with pytest.raises(DataError, match=r"same leading \(sample\) axis"):
        jl.utils.split_dataset((np.arange(3), np.arange(4)), left_size=1)
    with pytest.raises(ConfigTypeError, match=r"must be an array, or a tuple"):
        jl.utils.split_dataset("abc", left_size=1)
    with pytest.raises(ConfigError, match=r"`preferred_backend` must be None"):
        jl.utils.split_dataset(x, left_size=1, preferred_backend="torch")


# ------------------------------------------------------------------ timeseries
_TS = [
    {"sequence_length": 5},
    {"sequence_length": 4, "sequence_stride": 3, "sampling_rate": 2, "batch_size": 7},
    {"sequence_length": 3, "start_index": 5, "end_index": 40, "batch_size": 4},
    {"sequence_length": 3, "batch_size": None},
]


@pytest.mark.parametrize("kwargs", _TS)
def test_timeseries_batches_match_keras(keras, kwargs):
    data = np.arange(100, dtype=np.float32).reshape(50, 2)
    targets = np.arange(50) * 10
    ours = list(jl.utils.timeseries_dataset_from_array(data, targets, **kwargs))
    theirs = list(keras.utils.timeseries_dataset_from_array(data, targets,
                                                            **kwargs).as_numpy_iterator())
    assert len(ours) == len(theirs)
    for (x, y), (kx, ky) in zip(ours, theirs, strict=True):
        _same(x, kx)
        _same(y, ky)


def test_timeseries_shuffle_draws_keras_windows_and_reshuffles_each_epoch(keras):
    data, targets = np.arange(60.0), np.arange(60)
    kwargs = {"sequence_length": 4, "shuffle": True, "seed": 3, "batch_size": 5}
    ds = jl.utils.timeseries_dataset_from_array(data, targets, **kwargs)
    first = np.concatenate([y for _, y in ds])
    theirs = keras.utils.timeseries_dataset_from_array(data, targets, **kwargs)
    assert sorted(first) == sorted(np.concatenate([y for _, y in theirs.as_numpy_iterator()]))
    assert sorted(first) == list(range(57)) and list(first) != sorted(first)
    second = np.concatenate([y for _, y in ds])
    assert sorted(second) == sorted(first) and list(second) != list(first)
    for x, y in ds:  # each window starts at its target's step
        np.testing.assert_array_equal(x[:, 0], y)


def test_timeseries_without_targets_and_errors():
    ds = jl.utils.timeseries_dataset_from_array(np.arange(10), None, sequence_length=4,
                                                batch_size=3)
    assert [b.tolist() for (b,) in ds][-1] == [[6, 7, 8, 9]]
    with pytest.raises(ConfigError, match=r"`sampling_rate` must be lower than the length"):
        jl.utils.timeseries_dataset_from_array(np.arange(5), None, 2, sampling_rate=5)
    with pytest.raises(ConfigError, match=r"`sequence_length` must be a positive int"):
        jl.utils.timeseries_dataset_from_array(np.arange(5), None, 0)
    with pytest.raises(ConfigError, match=r"`end_index` must be higher than `start_index`"):
        jl.utils.timeseries_dataset_from_array(np.arange(9), None, 2, start_index=5,
                                               end_index=3)
    with pytest.raises(DataError, match=r"no window of sequence_length=20"):
        jl.utils.timeseries_dataset_from_array(np.arange(9), None, 20)
