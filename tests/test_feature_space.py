"""jl.utils.FeatureSpace: against Keras's FeatureSpace on the same data, plus its errors."""

import json

import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers.errors import (
    ConfigError,
    ConfigTypeError,
    DataError,
    DTypeError,
    SerializationError,
)

FS = jl.utils.FeatureSpace

DATA = {
    "x": np.array([0.5, -1.0, 2.0, 3.5, 0.0, 1.5, -2.5, 4.0], "float32"),
    "r": np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], "float32"),
    "s": np.array(["a", "b", "a", "c", "b", "a", "d", "a"]),
    "i": np.array([3, 1, 3, 7, 1, 3, 9, 1], "int32"),
}
NEW = {
    "x": np.array([1.0, -3.0, 9.0], "float32"),
    "r": np.array([0.0, 2.5, -1.0], "float32"),
    "s": np.array(["b", "zz", "a"]),
    "i": np.array([7, 3, 42], "int32"),
}


def _specs(space):
    """The same feature specs, built by jaxlayers's or Keras's FeatureSpace."""
    return {
        "x": "float_normalized",
        "r": space.float_rescaled(scale=0.5, offset=1.0),
        "s": "string_categorical",
        "i": "integer_categorical",
    }


def _assert_same(ours, theirs):
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-5, atol=1e-6)


def test_concat_matches_keras_for_the_common_features(keras_tf):
    kfs = keras_tf.utils.FeatureSpace(_specs(keras_tf.utils.FeatureSpace),
                                      crosses=[("s", "i")], crossing_dim=8)
    fs = FS(_specs(FS), crosses=[("s", "i")], crossing_dim=8)
    kfs.adapt(DATA)
    fs.adapt(DATA)
    for data in (DATA, NEW):
        ours, theirs = fs(data), kfs(data)
        assert ours.shape == tuple(theirs.shape) and ours.dtype == np.float32
        _assert_same(ours, theirs)
    one = {k: v[1] for k, v in NEW.items()}
    ours, theirs = fs(one), kfs(one)
    assert ours.shape == tuple(theirs.shape) == (ours.shape[0],)
    _assert_same(ours, theirs)


def test_every_feature_type_and_dict_output_match_keras(keras_tf):
    def specs(space):
        return {
            "x": space.float(),
            "r": space.float_discretized(num_bins=3),
            "s": space.string_hashed(num_bins=5),
            "i": space.integer_hashed(num_bins=6, output_mode="int"),
            "s2": space.string_categorical(max_tokens=3, output_mode="int"),
            "i2": space.integer_categorical(num_oov_indices=2),
        }

    data = dict(DATA, s2=DATA["s"], i2=DATA["i"])
    new = dict(NEW, s2=NEW["s"], i2=NEW["i"])
    kspace = keras_tf.utils.FeatureSpace
    crosses = [kspace.cross(("s", "i2"), crossing_dim=4, output_mode="int"), ("r", "s")]
    kfs = kspace(specs(kspace), crosses=crosses, crossing_dim=7, output_mode="dict")
    crosses = [FS.cross(("s", "i2"), crossing_dim=4, output_mode="int"), ("r", "s")]
    fs = FS(specs(FS), crosses=crosses, crossing_dim=7, output_mode="dict")
    kfs.adapt(data)
    fs.adapt(data)
    for batch in (data, new):
        ours, theirs = fs(batch), kfs(batch)
        assert list(ours) == list(theirs)
        for key in theirs:
            assert ours[key].shape == tuple(theirs[key].shape), key
            assert np.asarray(ours[key]).dtype.kind == np.asarray(theirs[key]).dtype.kind, key
            _assert_same(ours[key], theirs[key])


def test_adapt_on_dict_batches_equals_adapt_on_the_whole_dict():
    whole, batched, samples = (FS(_specs(FS), crosses=[("s", "i")], crossing_dim=4)
                               for _ in range(3))
    whole.adapt(DATA)
    batched.adapt([{k: v[:5] for k, v in DATA.items()}, {k: v[5:] for k, v in DATA.items()}])
    samples.adapt({k: v[j] for k, v in DATA.items()} for j in range(len(DATA["x"])))
    for fs in (batched, samples):
        _assert_same(fs(NEW), whole(NEW))


def test_adapt_reads_a_tf_data_dataset_of_dicts(tf):
    whole, batched = (FS(_specs(FS), crosses=[("s", "i")], crossing_dim=4) for _ in range(2))
    whole.adapt(DATA)
    batched.adapt(tf.data.Dataset.from_tensor_slices(DATA).batch(3))
    _assert_same(batched(NEW), whole(NEW))


def test_config_round_trip_rebuilds_the_same_space():
    fs = FS(_specs(FS), crosses=[FS.cross(("s", "i"), 4, output_mode="int")],
            output_mode="dict", hashing_dim=9)
    config = fs.get_config()
    clone = FS.from_config(config)
    assert clone.get_config() == config
    for space in (fs, clone):
        space.adapt(DATA)
    ours, theirs = clone(NEW), fs(NEW)
    assert list(ours) == list(theirs)
    for key in ours:
        _assert_same(ours[key], theirs[key])


def test_features_without_state_need_no_adapt():
    fs = FS({"s": "string_hashed", "i": "integer_hashed"}, hashing_dim=3)
    out = fs({"s": ["a", "b"], "i": [1, 2]})
    assert out.shape == (2, 6)
    np.testing.assert_array_equal(np.asarray(out).sum(-1), [2.0, 2.0])


@pytest.mark.parametrize("make, error, match", [
    (lambda: FS({}), ConfigError, "`features` must be a non-empty dict"),
    (lambda: FS({"a": "floaty"}), ConfigError,
     "feature 'a' must be a FeatureSpace.<type>.*Received: 'floaty'"),
    (lambda: FS({"a": "float"}, output_mode="list"), ConfigError,
     "`output_mode` must be one of 'concat', 'dict'. Received: output_mode='list'"),
    (lambda: FS({"a": "float"}, crosses=[("a", "b")]), ConfigError,
     r"unknown features \['b'\] in cross \('a', 'b'\)"),
    (lambda: FS({"a": "float", "b": "float"}, crosses=[("a", "b")], crossing_dim=None),
     ConfigError, "`crosses` given as names need `crossing_dim`"),
    (lambda: FS({"a": "float"}, hashing_dim=0), ConfigError,
     "`hashing_dim` must be a positive int. Received: hashing_dim=0"),
    (lambda: FS.cross(("a",), 4), ConfigError, "`feature_names` must be a tuple of at least two"),
    (lambda: FS.cross(("a", "b"), 4, output_mode="float"), ConfigError,
     "`output_mode` must be one of 'int', 'one_hot'. Received: output_mode='float'"),
    (lambda: FS.integer_categorical(output_mode="multi_hot"), ConfigError,
     "FeatureSpace.feature: `output_mode` must be one of 'int', 'one_hot', 'float'"),
    (lambda: FS.feature("float64", jl.layers.Identity(), "float"), ConfigError,
     "`dtype` must be one of 'float32', 'int32', 'string'. Received: dtype='float64'"),
    (lambda: FS.feature("float32", 3, "float"), ConfigTypeError,
     "`preprocessor` must be a layer"),
])
def test_bad_feature_specs_are_rejected(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_encodings_that_cannot_work_are_rejected_before_data():
    fs = FS({"a": FS.integer_categorical(output_mode="int")})
    with pytest.raises(ConfigError, match="cannot concatenate feature 'a': output_mode='int'"):
        fs.adapt({"a": [1, 2]})
    fs = FS({"a": FS.feature("float32", jl.layers.Identity(), "one_hot")})
    with pytest.raises(ConfigError, match="preprocessor Identity has no known number of"):
        fs({"a": [1.0]})


def test_bad_data_is_rejected():
    fs = FS({"a": "string_categorical", "b": "float"})
    with pytest.raises(DataError, match=r"call adapt\(dataset\) before.*\['a'\]"):
        fs({"a": ["x"], "b": [1.0]})
    with pytest.raises(DataError, match="adapt\\(\\) accepts a dict of columns.*Received: "
                                        "dataset of type ndarray"):
        fs.adapt(np.zeros(3))
    with pytest.raises(DataError, match="adapt\\(\\) data has no column for feature 'a'"):
        fs.adapt({"b": [1.0]})
    fs.adapt({"a": ["x", "y"], "b": [1.0, 2.0]})
    with pytest.raises(DataError, match="call it on a dict.*Received: data of type list"):
        fs([1.0])
    with pytest.raises(DataError, match=r"missing input columns \['b'\]"):
        fs({"a": ["x"]})
    with pytest.raises(DTypeError, match="feature 'a' is a string feature.*dtype float"):
        fs({"a": [1.0], "b": [1.0]})
    with pytest.raises(DTypeError, match="feature 'b' is a float32 feature.*dtype <U1"):
        fs({"a": ["x"], "b": ["y"]})


def test_encoded_features_build_a_model_equal_to_the_space():
    data = {"x": DATA["x"], "i": DATA["i"], "r": DATA["r"], "h": DATA["i"]}
    fs = FS({"x": "float_normalized", "i": "integer_categorical", "r": FS.float_discretized(3),
             "h": "integer_hashed"}, crosses=[("i", "r")], crossing_dim=4)
    fs.adapt(data)
    inputs = fs.get_inputs()
    assert fs.get_inputs() is inputs
    model = jl.Model(inputs, fs.get_encoded_features())
    columns = {k: v[:, None] for k, v in data.items()}
    _assert_same(model.predict(columns, verbose=0), fs(data))
    _assert_same(model(columns), fs(data))


def test_string_features_have_no_inputs_and_float_features_no_crosses():
    fs = FS({"s": "string_categorical", "x": "float"}, crosses=[("s", "x")])
    with pytest.raises(DTypeError, match=r"string features \['s'\] cannot be jl.Input tensors"):
        fs.get_inputs()
    fs.adapt({"s": ["a"], "x": [1.0]})
    with pytest.raises(DTypeError, match="cross 's_X_x' hashes integer or string features, "
                                         "but feature 'x' is preprocessed to float32"):
        fs({"s": ["a"], "x": [1.0]})


def test_save_and_load_keep_the_adapted_state(tmp_path):
    fs = FS(dict(_specs(FS), d=FS.float_discretized(3)), crosses=[("s", "i")],
            crossing_dim=4)
    fs.adapt(dict(DATA, d=DATA["x"]))
    fs.save(tmp_path / "space.keras")
    loaded = FS.load(tmp_path / "space.keras")
    assert json_round_trip(loaded.get_config()) == json_round_trip(fs.get_config())
    new = dict(NEW, d=NEW["x"])
    _assert_same(loaded(new), fs(new))
    with pytest.raises(SerializationError, match="must end in '.keras'.*space.h5"):
        fs.save(tmp_path / "space.h5")
    jl.saving.save_model(jl.layers.Identity(), tmp_path / "layer.keras")
    with pytest.raises(SerializationError, match="is not a FeatureSpace file"):
        FS.load(tmp_path / "layer.keras")


def json_round_trip(config):
    return json.loads(json.dumps(config))


def test_preprocessors_with_given_state_are_not_adapted():
    fs = FS({
        "s": FS.feature("string", jl.layers.StringLookup(vocabulary=["b", "a"]), "one_hot"),
        "x": FS.feature("float32", jl.layers.Normalization(mean=1.0, variance=4.0), "float"),
        "d": FS.float_discretized(4, bin_boundaries=[0.0, 1.0]),
    })
    # d: bins (-inf, 0), [0, 1), [1, inf); s: [UNK], b, a; x: (x - 1) / 2.
    expected = [[0.0, 1.0, 0.0, 0.0, 1.0, 0.0, -1.0], [1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.5]]
    data = {"s": ["b", "a"], "x": [-1.0, 2.0], "d": [0.5, -3.0]}
    np.testing.assert_allclose(fs(data), expected)
    fs.adapt({"s": ["c", "c"], "x": [9.0, 9.0], "d": [5.0, 6.0]})  # nothing to learn
    np.testing.assert_allclose(fs(data), expected)
