"""``.weights.h5`` files move both ways: Keras loads what jaxlayers writes and the other way,
for graph models with nested models and layers with sublayers, and for subclassed models."""

import numpy as np
import pytest

import jaxlayers as jl
import jaxlayers.saving  # noqa: F401  (jl.saving)
from jaxlayers.errors import ConfigError

keras = pytest.importorskip("keras")
pytest.importorskip("h5py")


def _build(lib):
    """The same graph in Keras or jaxlayers: attention, batch norm, a bidirectional LSTM and
    a nested Sequential, so every kind of HDF5 group (own vars, sublayers, nested models) is
    written."""
    inputs = lib.Input((3, 4))
    x = lib.layers.MultiHeadAttention(2, 2)(inputs, inputs)
    x = lib.layers.BatchNormalization()(x)
    x = lib.layers.Bidirectional(lib.layers.LSTM(3))(x)
    head = lib.Sequential([lib.Input((6,)), lib.layers.Dense(2)])
    return lib.Model(inputs, head(x))


def _randomize(model, seed):
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(0.5, 1.5, np.shape(w)).astype("float32")
                       for w in model.get_weights()])


@pytest.fixture(scope="module")
def pair():
    return _build(jl), _build(keras), np.random.default_rng(0).normal(size=(2, 3, 4)).astype(
        "float32")


def _same(model, keras_model, x):
    np.testing.assert_allclose(np.asarray(model(x)), np.asarray(keras_model(x)), rtol=1e-5,
                               atol=1e-6)
    for got, want in zip(model.get_weights(), keras_model.get_weights()):
        np.testing.assert_array_equal(got, np.asarray(want))


@pytest.mark.parametrize("writer", ["jaxlayers", "keras"])
def test_weights_files_move_both_ways(pair, tmp_path, writer):
    model, keras_model, x = pair
    source, target = (model, keras_model) if writer == "jaxlayers" else (keras_model, model)
    _randomize(source, seed=len(writer))
    source.save_weights(tmp_path / f"{writer}.weights.h5")
    target.load_weights(tmp_path / f"{writer}.weights.h5")
    _same(model, keras_model, x)


def _subclassed(lib):
    class Twin(lib.Model):
        """Sublayers under attributes on both sides of Keras's ``layers`` (a < layers < z)."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.a_proj = lib.layers.Dense(3)
            self.z_norm = lib.layers.LayerNormalization()
            self._hidden = lib.layers.Dense(2)

        def call(self, x):
            return self._hidden(self.z_norm(self.a_proj(x)))

    return Twin()


def test_subclassed_models_both_ways(tmp_path):
    x = np.random.default_rng(3).normal(size=(2, 4)).astype("float32")
    model, keras_model = _subclassed(jl), _subclassed(keras)
    model(x), keras_model(x)
    _randomize(keras_model, 4)
    keras_model.save_weights(tmp_path / "k.weights.h5")
    model.load_weights(tmp_path / "k.weights.h5")
    _same(model, keras_model, x)
    _randomize(model, 5)
    model.save_weights(tmp_path / "jl.weights.h5")
    keras_model.load_weights(tmp_path / "jl.weights.h5")
    _same(model, keras_model, x)


def test_bad_weights_file_names_are_clear_errors(pair, tmp_path, monkeypatch):
    model, _, _ = pair
    with pytest.raises(ConfigError, match=r"must end in '\.weights\.h5' .*Received: "
                                          r"filepath='.*m\.weights\.json'"):
        model.save_weights(tmp_path / "m.weights.json")
    monkeypatch.setitem(__import__("sys").modules, "h5py", None)
    with pytest.raises(ImportError, match=r"'\.weights\.h5' files needs .*pip install h5py"):
        model.save_weights(tmp_path / "m.weights.h5")
    assert not (tmp_path / "m.weights.h5").exists()
