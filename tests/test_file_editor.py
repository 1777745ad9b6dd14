"""``jl.saving.KerasFileEditor``: inspect and edit the weights of saved files, as Keras 3's."""

import numpy as np
import pytest

import jaxlayers as jl
import jaxlayers.saving  # noqa: F401  (jl.saving)
from jaxlayers.errors import ConfigError, ConfigTypeError

pytest.importorskip("h5py")


def _model(units=2):
    return jl.Sequential([jl.Input((3,)), jl.layers.Dense(4, name="d1"),
                          jl.layers.Dense(units, name="d2")])


@pytest.fixture
def saved(tmp_path):
    model = _model()
    model.save(tmp_path / "m.keras")
    return model, tmp_path


def test_reads_both_formats_and_compares_with_models(saved, capsys):
    model, tmp_path = saved
    model.save_weights(tmp_path / "m.weights.h5")
    for name in ("m.keras", "m.weights.h5"):
        editor = jl.saving.KerasFileEditor(tmp_path / name)
        dense = editor.weights_dict["layers"]["dense"]
        np.testing.assert_array_equal(dense["0"], model.get_layer("d1").kernel.numpy())
        assert editor.compare(model) == {"status": "success", "error_count": 0,
                                         "match_count": 4}
    assert editor.config is None and jl.saving.KerasFileEditor(
        tmp_path / "m.keras").config["class_name"] == "Sequential"
    editor.summary()
    assert "dense_1/" in capsys.readouterr().out
    result = editor.compare(_model(units=5))
    assert result["status"] == "error" and result["error_count"] == 2
    assert "layers/dense_1/0 has shape (4, 2) in the file but (4, 5)" in capsys.readouterr().out


def test_edits_are_saved_and_load_into_the_edited_model(saved):
    model, tmp_path = saved
    editor = jl.saving.KerasFileEditor(tmp_path / "m.keras")
    wide = _model(units=5)
    editor.delete_weight("dense_1", "1")
    editor.add_weights("layers/dense_1", {"0": np.ones((4, 5), np.float32),
                                          "1": np.full((5,), 2.0, np.float32)})
    editor.rename_object("dense", "renamed")
    editor.add_object("layers/extra", {"0": np.zeros((1,), np.float32)})
    editor.delete_object("layers/extra")
    editor.rename_object("renamed", "dense")
    assert editor.compare(wide)["status"] == "success"
    editor.save(tmp_path / "edited.weights.h5")
    wide.load_weights(tmp_path / "edited.weights.h5")
    np.testing.assert_array_equal(wide.get_layer("d1").kernel.numpy(),
                                  model.get_layer("d1").kernel.numpy())
    np.testing.assert_array_equal(wide.get_layer("d2").bias.numpy(), np.full((5,), 2.0))


def test_clear_errors(saved):
    _, tmp_path = saved
    with pytest.raises(ConfigError, match=r"must end in '\.keras' or '\.weights\.h5'"):
        jl.saving.KerasFileEditor(tmp_path / "m.h5")
    editor = jl.saving.KerasFileEditor(tmp_path / "m.keras")
    with pytest.raises(ConfigError, match="'nope' is not in the file; pass its full path"):
        editor.delete_object("nope")
    with pytest.raises(ConfigError, match=r"no object at path 'layers/nope'"):
        editor.rename_object("layers/nope", "x")
    with pytest.raises(ConfigError, match=r"`new_name` must be a name, not a path"):
        editor.rename_object("dense", "a/b")
    with pytest.raises(ConfigError, match=r"'dense' has no weight '7' \(its weights: "
                                          r"\['0', '1'\]\)"):
        editor.delete_weight("dense", "7")
    with pytest.raises(ConfigTypeError, match=r"`weights` must be a dict .*Received: "
                                              r"weights=list"):
        editor.add_weights("dense", [np.ones(2)])
    with pytest.raises(ConfigError, match=r"'layers/dense' already exists"):
        editor.add_object("layers/dense", {})
    with pytest.raises(ConfigError, match=r"save: `filepath` must end in '\.weights\.h5'"):
        editor.save(tmp_path / "out.keras")
