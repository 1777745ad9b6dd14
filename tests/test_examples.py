"""The examples reach the results their docstrings state (the README's first command)."""

import importlib.util
import os
import sys

import pytest

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def _example(name):
    # An example imports its shared helpers (examples/_common.py) from its own folder.
    if EXAMPLES not in sys.path:
        sys.path.insert(0, EXAMPLES)
    spec = importlib.util.spec_from_file_location(f"example_{name}",
                                                  os.path.join(EXAMPLES, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_example_is_run_here():
    examples = {f[:-3] for f in os.listdir(EXAMPLES) if f.endswith(".py") and f[0] != "_"}
    with open(__file__, encoding="utf-8") as f:
        source = f.read()
    assert len(examples) >= 12
    assert not {name for name in examples if f'_example("{name}")' not in source}


def test_digits_cnn_reaches_97_percent():
    pytest.importorskip("sklearn")
    example = _example("digits_cnn")
    assert example.main() >= example.TARGET_ACCURACY == 0.97


def test_transformer_encoder_learns_token_matching():
    example = _example("transformer_encoder")
    assert example.main() >= example.TARGET_ACCURACY


def test_text_classification_separates_topics():
    example = _example("text_classification")
    assert example.main() >= example.TARGET_ACCURACY


def test_timeseries_lstm_beats_its_stated_rmse():
    example = _example("timeseries_lstm")
    assert example.main() < example.TARGET_RMSE


def test_custom_layers_train_with_fit_and_as_a_pure_pair():
    example = _example("custom_layer")
    result = example.main()
    assert result["fit"] >= example.TARGET_ACCURACY
    assert result["pure"] >= example.TARGET_ACCURACY


def test_functional_multi_io_reaches_both_outputs_targets():
    example = _example("functional_multi_io")
    result = example.main()
    assert result["priority_accuracy"] >= example.TARGET_ACCURACY
    assert result["hours_mae"] < example.TARGET_MAE


def test_dp_sgd_with_per_example_gradients_stays_close_to_plain_training():
    pytest.importorskip("sklearn")
    example = _example("per_example_gradients")
    result = example.main()
    assert result["dp_sgd"] >= example.TARGET_ACCURACY
    assert result["plain"] - result["dp_sgd"] <= example.TARGET_GAP


@pytest.fixture(scope="module")
def ensemble_run(tmp_path_factory):
    """One run of the ensemble example, which also draws its picture when matplotlib is there."""
    pytest.importorskip("sklearn")
    example = _example("vmap_ensemble")
    try:
        import matplotlib  # noqa: F401
        path = tmp_path_factory.mktemp("plots") / "vmap_ensemble.png"
    except ImportError:
        path = None
    return example, example.main(plot=None if path is None else str(path)), path


def test_a_vmapped_ensemble_beats_its_mean_member(ensemble_run):
    example, result, _ = ensemble_run
    assert len(result["members"]) == 8
    assert result["ensemble"] >= sum(result["members"]) / len(result["members"])
    assert result["ensemble"] >= example.TARGET_ACCURACY


def test_an_example_writes_a_valid_png(ensemble_run):
    pytest.importorskip("matplotlib")
    import matplotlib.image

    _, _, path = ensemble_run
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    image = matplotlib.image.imread(str(path))
    assert image.shape[:2] == (height, width) and width >= 300 and height >= 200
    assert image[..., :3].std() > 0.05  # something was drawn, not a blank canvas


def test_data_parallel_splits_the_batch_and_matches_one_device():
    pytest.importorskip("sklearn")
    import jaxlayers as jl

    example = _example("data_parallel")
    result = example.main()
    assert result["devices"] == jl.distribution.get_device_count() == example.TARGET_DEVICES
    assert result["max_weight_diff"] < example.TARGET_MAX_DIFF
    assert result["accuracy"] >= example.TARGET_ACCURACY


def test_mixed_float16_matches_float32_accuracy():
    pytest.importorskip("sklearn")
    import jaxlayers as jl

    example = _example("mixed_precision")
    result = example.main()
    assert jl.mixed_precision.global_policy().name == "float32"  # restored
    assert result["mixed_float16"] >= example.TARGET_ACCURACY
    assert result["float32"] - result["mixed_float16"] <= example.TARGET_GAP


def test_gan_with_a_custom_train_step_matches_the_data_distribution():
    example = _example("gan_custom_train_step")
    result = example.main()
    assert result["mean_error"] < example.TARGET_MEAN_ERROR
    assert result["std_error"] < example.TARGET_STD_ERROR


@pytest.mark.slow
def test_finetuning_mobilenet_on_new_digits_reaches_its_stated_accuracy():
    pytest.importorskip("sklearn")
    example = _example("finetune_application")
    assert example.main() >= example.TARGET_ACCURACY
