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
from tests.helpers import assert_close, random_weights

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
    """Per layer: its name (auto names by class only) and weight shapes."""
    rows = []
    for layer in model.layers:
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


def test_convnext_tiny_matches_keras_and_trains_one_step_under_fit(keras, rng):
    x = rng.uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    model = apps.ConvNeXtTiny(**SMALL)
    theirs = keras_twin(keras, "convnext", "ConvNeXtTiny", **SMALL)
    logits = np.asarray(check_against_keras(keras, rng, model, theirs, x))
    # ConvNeXt has neither batch norm nor (at drop_path_rate=0) dropout, so the loss
    # fit reports for its one step is the loss of the pre-step inference outputs.
    y = np.array([0, 2])
    expected = np.mean(np.log(np.exp(logits).sum(-1)) - logits[np.arange(2), y])
    before = {w.path: np.asarray(w) for w in model.weights}
    model.compile(optimizer=jl.optimizers.SGD(0.1),
                  loss=jl.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(x, y, batch_size=2, epochs=1, verbose=0)
    assert_close(history.history["loss"][0], expected, rtol=1e-4)
    trained = [w.path for w in model.weights
               if "layer_scale" in w.path or "stem_conv" in w.path or "head_dense" in w.path]
    assert len(trained) == 18 + 2 + 2
    after = {w.path: np.asarray(w) for w in model.weights}
    assert [p for p in trained if np.array_equal(after[p], before[p])] == []


def test_nasnet_mobile_matches_keras(keras, rng):
    x = rng.uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    ours = apps.NASNetMobile(**SMALL)
    theirs = keras_twin(keras, "nasnet", "NASNetMobile", **SMALL)
    check_against_keras(keras, rng, ours, theirs, x)


# ------------------------------------------------------------------ larger variants
# Layer names and weight shapes only: no forward pass. Building costs about a second
# per few hundred layers here (Keras's twin is cheap without initial values), so only
# variants whose tables or code paths differ from the family's smallest are checked:
# EfficientNet's width/depth rounding, EfficientNetV2's S stage table and [-1, 1]
# scaling, ConvNeXt's headless pooling and norm, NASNetLarge's skipped reductions
# (every variant matched when this was written; the rest only scale the same code).
HEADLESS = dict(weights=None, input_shape=(32, 32, 3), include_top=False)


@pytest.mark.parametrize("family, variant, kwargs", [
    ("efficientnet", "EfficientNetB3", dict(pooling="avg")),
    ("efficientnet_v2", "EfficientNetV2S", dict(include_preprocessing=True)),
    ("convnext", "ConvNeXtSmall", dict(pooling="max", include_preprocessing=False)),
])
def test_larger_variants_have_keras_layout(keras, family, variant, kwargs):
    ours = getattr(apps, variant)(**HEADLESS, **kwargs)
    assert_same_layout(ours, keras_twin(keras, family, variant, **HEADLESS, **kwargs))


@pytest.mark.slow
def test_nasnet_large_has_keras_layout(keras):
    ours = apps.NASNetLarge(**HEADLESS)
    assert_same_layout(ours, keras_twin(keras, "nasnet", "NASNetLarge", **HEADLESS))


def test_input_tensor_and_name(keras):
    image = jl.Input((32, 32, 3), name="image")
    ours = apps.EfficientNetB0(weights=None, include_top=False, input_tensor=image,
                               name="features")
    assert ours.name == "features" and ours.inputs[0] is image
    assert ours.outputs[0].shape == (None, 1, 1, 1280)
    theirs = keras_twin(keras, "efficientnet", "EfficientNetB0", weights=None,
                        include_top=False, input_tensor=keras.Input((32, 32, 3), name="image"),
                        name="features")
    assert_same_layout(ours, theirs)


# ------------------------------------------------------------------ argument rules
@pytest.mark.parametrize("application", [apps.DenseNet121, apps.ConvNeXtTiny,
                                         apps.NASNetMobile])
def test_channels_last_only_families_refuse_channels_first(application):
    saved = jl.backend.image_data_format()
    jl.backend.set_image_data_format("channels_first")
    try:
        with pytest.raises(ConfigError, match=rf"{application.__name__}: the model is built "
                                              r"for channels-last images only"):
            application(weights=None)
    finally:
        jl.backend.set_image_data_format(saved)


def test_nasnet_rejects_a_dynamic_shape_with_imagenet_weights():
    with pytest.raises(ConfigError, match=r"NASNetLarge: `input_shape` must be static .* "
                                          r"Received: input_shape=\(None, None, 3\)"):
        apps.NASNetLarge(input_shape=(None, None, 3), include_top=False)


def test_efficientnet_with_imagenet_weights_undoes_the_files_stddev(keras, monkeypatch):
    # Keras's ImageNet files store the standard deviation where the variance goes; the
    # model then rescales once more. No download: both sides skip the loading.
    from keras.src.applications import efficientnet as keras_efficientnet

    from jaxlayers.applications import common

    monkeypatch.setattr(common, "load_weights", lambda model, *args: model)
    monkeypatch.setattr(keras_efficientnet.file_utils, "get_file", lambda *a, **k: "w.h5")
    monkeypatch.setattr(keras.Model, "load_weights", lambda self, path: None)
    kwargs = dict(weights="imagenet", include_top=False, input_shape=(32, 32, 3))
    ours = apps.EfficientNetB0(**kwargs)
    theirs = keras_twin(keras, "efficientnet", "EfficientNetB0", **kwargs)
    assert_same_layout(ours, theirs)
    assert [type(layer).__name__ for layer in ours.layers[1:4]] == \
        ["Rescaling", "Normalization", "Rescaling"]
    assert_close(np.asarray(ours.layers[3].scale), np.asarray(theirs.layers[3].scale))


# ------------------------------------------------------------------ preprocessing
@pytest.mark.parametrize("module", ["densenet", "efficientnet", "efficientnet_v2",
                                    "convnext", "nasnet"])
def test_preprocess_input_matches_keras(keras, rng, module):
    x = rng.uniform(0, 255, (2, 4, 4, 3)).astype("float32")
    expected = getattr(keras.applications, module).preprocess_input(x.copy())
    assert_close(getattr(apps, module).preprocess_input(x.copy()), expected)


@pytest.mark.parametrize("module", ["densenet", "efficientnet", "efficientnet_v2",
                                    "convnext", "nasnet"])
def test_decode_predictions_is_imagenets(module):
    with pytest.raises(ConfigError, match=r"shape \(samples, 1000\)"):
        getattr(apps, module).decode_predictions(np.zeros((2, 10)))


# ------------------------------------------------------------------ ConvNeXt's layers
def test_layer_scale_and_stochastic_depth(keras, key):
    from jaxlayers.applications.convnext import LayerScale, StochasticDepth

    scale = LayerScale(0.25, 3, name="ls")
    assert_close(scale(np.ones((2, 3), "float32")), np.full((2, 3), 0.25))
    again = LayerScale.from_config(scale.get_config())
    assert (again.init_values, again.projection_dim) == (0.25, 3)

    drop = StochasticDepth(0.5)
    x = np.ones((64, 2, 2, 3), "float32")
    assert_close(drop(x), x)
    y, _ = drop.apply({}, {}, x, training=True, key=key)
    per_example = np.asarray(y).reshape(64, -1)
    # whole examples are dropped or scaled by 1 / (1 - rate), never single values
    assert set(np.unique(per_example)) <= {0.0, 2.0}
    assert all(len(np.unique(row)) == 1 for row in per_example)
    assert 0 < (per_example[:, 0] == 0).sum() < 64
    assert StochasticDepth.from_config(drop.get_config()).drop_path_rate == 0.5
    with pytest.raises(ConfigError, match=r"`drop_path_rate` must be a float in \[0, 1\)"):
        StochasticDepth(1.5)
