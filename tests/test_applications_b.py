"""jl.applications, part B: DenseNet, EfficientNet, EfficientNetV2, ConvNeXt and NASNet
against Keras 3.

The smallest variant of each family is built at 32x32 with ``weights=None``; Keras's
twin gets the same random weights (scaled so that a deep stack neither vanishes nor
explodes, with positive variances) and both outputs are compared. The larger variants
compare layer names and weight shapes only. Keras's twins are built inside a
``StatelessScope`` that leaves their variables uninitialised: drawing Keras's own random
weights compiles one initializer per weight shape, which costs more than the test.
"""

import re

import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers import applications as apps
from jaxlayers.errors import ConfigError
from tests.helpers import assert_close

pytestmark = pytest.mark.keras


def keras_twin(keras, family, variant, **kwargs):
    """Keras's application with uninitialised variables (set them before use)."""
    with keras.StatelessScope(initialize_variables=False):
        return getattr(getattr(keras.applications, family), variant)(**kwargs)


def _auto_name(layer):
    """True when ``layer.name`` is the one Keras makes up from the class name."""
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", type(layer).__name__).lower()
    snake = snake.replace("2_d", "2d")
    return re.fullmatch(rf"{snake}(_\d+)?", layer.name) is not None


def layout(model):
    """Per layer (ops excluded): its name (auto names by class only) and weight shapes."""
    rows = []
    for layer in model.layers:
        if type(layer).__name__ == "SymbolicOp":
            continue
        name = f"<{type(layer).__name__}>" if _auto_name(layer) else layer.name
        rows.append((name, [tuple(w.shape) for w in layer.weights]))
    return rows


def _weight_names(model):
    # Keras numbers its unnamed weights ("variable_3") by a process-wide counter.
    return [re.sub(r"^variable_\d+$", "variable", w.path.split("/")[-1])
            for w in model.weights]


def assert_same_layout(ours, theirs):
    assert ours.name == theirs.name
    assert layout(ours) == layout(theirs)
    assert _weight_names(ours) == _weight_names(theirs)


def random_weights(model, rng):
    """Weights a deep random network stays finite and non-trivial with."""
    values = []
    for w in model.weights:
        shape, dtype = tuple(w.shape), np.dtype(str(w.dtype))
        leaf = w.path.split("/")[-1]
        if not np.issubdtype(dtype, np.floating):
            values.append(np.zeros(shape, dtype))
        elif "variance" in leaf:
            values.append(rng.uniform(0.5, 1.5, shape).astype(dtype))
        elif leaf in ("gamma", "scale"):
            values.append(rng.uniform(0.8, 1.2, shape).astype(dtype))
        elif len(shape) <= 1:
            values.append(rng.normal(0.0, 0.1, shape).astype(dtype))
        else:
            fan_in = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
            values.append((rng.normal(0.0, 1.0, shape) / np.sqrt(fan_in)).astype(dtype))
    return values


def check_against_keras(keras, rng, ours, theirs, x, rtol=2e-4, atol=2e-5):
    """Same layout; Keras's weights copied in give Keras's outputs."""
    assert_same_layout(ours, theirs)
    weights = random_weights(theirs, rng)
    theirs.set_weights(weights)
    ours.set_weights(theirs.get_weights())
    for a, b in zip(ours.get_weights(), weights):
        np.testing.assert_array_equal(np.asarray(a), b)
    # predict compiles each whole model once: both eager calls run op by op and
    # compile every op of a few hundred layers, several times the cost.
    expected = theirs.predict(x, verbose=0)
    actual = ours.predict(x, verbose=0)
    assert np.abs(expected).max() > 1e-3
    assert_close(actual, expected, rtol=rtol, atol=atol)
    return actual


SMALL = dict(weights=None, input_shape=(32, 32, 3), classes=3, classifier_activation=None)


def test_densenet121_matches_keras(keras, rng):
    x = rng.uniform(0, 1, (2, 32, 32, 3)).astype("float32")
    ours = apps.DenseNet121(**SMALL)
    check_against_keras(keras, rng, ours, keras_twin(keras, "densenet", "DenseNet121", **SMALL),
                        x)


def test_efficientnetb0_matches_keras(keras, rng):
    x = rng.uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    ours = apps.EfficientNetB0(**SMALL)
    theirs = keras_twin(keras, "efficientnet", "EfficientNetB0", **SMALL)
    check_against_keras(keras, rng, ours, theirs, x)


def test_efficientnetv2b0_matches_keras(keras, rng):
    x = rng.uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    ours = apps.EfficientNetV2B0(**SMALL)
    theirs = keras_twin(keras, "efficientnet_v2", "EfficientNetV2B0", **SMALL)
    check_against_keras(keras, rng, ours, theirs, x)


def test_convnext_tiny_matches_keras(keras, rng):
    x = rng.uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    ours = apps.ConvNeXtTiny(**SMALL)
    theirs = keras_twin(keras, "convnext", "ConvNeXtTiny", **SMALL)
    check_against_keras(keras, rng, ours, theirs, x)


def test_nasnet_mobile_matches_keras(keras, rng):
    x = rng.uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    ours = apps.NASNetMobile(**SMALL)
    theirs = keras_twin(keras, "nasnet", "NASNetMobile", **SMALL)
    check_against_keras(keras, rng, ours, theirs, x)
