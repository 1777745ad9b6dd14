"""``model.save("m.keras")`` writes Keras 3's archive: ``keras.models.load_model`` rebuilds the
model with equal outputs and its compile configuration; without h5py the data-only npz layout is
written with a warning saying how to get Keras's."""

import json
import sys
import zipfile

import numpy as np
import pytest

import jaxlayers as jl
import jaxlayers.saving  # noqa: F401  (jl.saving)

keras = pytest.importorskip("keras")
pytest.importorskip("h5py")


@pytest.fixture(scope="module")
def model():
    inputs = jl.Input((3, 4))
    x = jl.layers.MultiHeadAttention(2, 2)(inputs, inputs)
    x = jl.layers.BatchNormalization()(x)
    x = jl.layers.Bidirectional(jl.layers.LSTM(3))(x)
    y = jl.Sequential([jl.Input((6,)), jl.layers.Dense(2, activation="tanh")])(x)
    model = jl.Model(inputs, y + jl.layers.Dense(2)(x))
    rng = np.random.default_rng(0)
    model.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("float32")
                       for w in model.get_weights()])
    model.compile(optimizer=jl.optimizers.Adam(learning_rate=0.003), loss="mse",
                  metrics=["mae"])
    return model


def test_keras_loads_the_archive_with_equal_outputs(model, tmp_path):
    x = np.random.default_rng(1).normal(size=(2, 3, 4)).astype("float32")
    jl.models.save_model(model, tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        names = set(zf.namelist())
        config = json.loads(zf.read("config.json"))
    assert {"config.json", "metadata.json", "model.weights.h5"} <= names
    assert config["module"] == "keras.src.models.functional"
    assert {layer["module"] for layer in config["config"]["layers"]} >= {
        "keras.layers", "keras", "keras.src.ops.numpy"}

    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), rtol=1e-5,
                               atol=1e-6)
    assert type(loaded.optimizer).__name__ == "Adam"
    assert float(loaded.optimizer.learning_rate) == pytest.approx(0.003)
    assert int(loaded.optimizer.iterations) == 0

    back = jl.saving.load_model(tmp_path / "m.keras")  # and jaxlayers reads it back
    np.testing.assert_allclose(np.asarray(back(x)), np.asarray(model(x)), rtol=1e-6)


def test_without_h5py_the_npz_layout_is_written_with_the_way_to_keras(model, tmp_path,
                                                                       monkeypatch):
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.warns(UserWarning, match=r"pip install h5py.*npz layout instead"):
        model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        assert "model.weights.npz" in zf.namelist()
    monkeypatch.delitem(sys.modules, "h5py")
    restored = jl.saving.load_model(tmp_path / "m.keras")
    for got, want in zip(restored.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(got, want)


def test_a_model_keras_cannot_express_is_saved_data_only_with_a_warning(tmp_path):
    model = jl.Sequential([jl.Input((3,)), jl.layers.LayerNormalization(rms_scaling=True)])
    with pytest.warns(UserWarning, match=r"rms_scaling=True is a jaxlayers option Keras 3 "
                                         r"does not have.*npz layout instead"):
        model.save(tmp_path / "m.keras")
    restored = jl.saving.load_model(tmp_path / "m.keras")
    assert restored.layers[-1].get_config()["rms_scaling"] is True


def test_keras_loads_a_compile_config_made_of_objects(tmp_path):
    # Loss, metric and optimizer objects (not strings) must be written under Keras's modules.
    model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(4)])
    model.compile(optimizer=jl.optimizers.SGD(0.1),
                  loss=jl.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[jl.metrics.SparseCategoricalAccuracy(name="acc"),
                           jl.metrics.SparseTopKCategoricalAccuracy(k=2)])
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert type(loaded.loss).__name__ == "SparseCategoricalCrossentropy"
    assert loaded.loss.get_config()["from_logits"] is True
    x = np.zeros((2, 3), "float32")
    y = np.array([0, 1])
    logs = loaded.evaluate(x, y, verbose=0, return_dict=True)
    assert {"acc", "sparse_top_k_categorical_accuracy"} <= set(logs)
