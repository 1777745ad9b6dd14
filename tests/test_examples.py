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


def test_digits_cnn_reaches_97_percent():
    pytest.importorskip("sklearn")
    assert _example("digits_cnn").main() >= 0.97


def test_transformer_encoder_learns_token_matching():
    assert _example("transformer_encoder").main() >= 0.95


def test_text_classification_separates_topics():
    example = _example("text_classification")
    assert example.main() >= example.TARGET_ACCURACY


def test_timeseries_lstm_beats_its_stated_rmse():
    example = _example("timeseries_lstm")
    assert example.main() < example.TARGET_RMSE
