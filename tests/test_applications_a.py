"""jl.applications, part A: the shared machinery (input scalings, class names, argument
rules, weights from files and from Keras's download path) and the families ResNet(V2),
VGG, MobileNet(V2, V3), Xception, InceptionV3 and InceptionResNetV2, against Keras.

Each family is built at its smallest input with ``weights=None``; Keras's randomly
initialised weights are copied in with ``set_weights`` and the outputs compared.  No
test downloads anything: ``weights="imagenet"`` is pointed at local ``file://`` copies.
"""

import contextlib
import hashlib
import json

import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers.applications import common, imagenet_utils
from jaxlayers.errors import ConfigError, FileHashError
from jaxlayers.saving import legacy_h5
from tests.helpers import assert_close


# ----------------------------------------------------------------------- imagenet_utils
@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_preprocess_input_matches_keras(keras, rng, mode, data_format):
    shape = (2, 4, 5, 3) if data_format == "channels_last" else (2, 3, 4, 5)
    x = rng.uniform(0, 255, shape).astype("float32")
    expected = keras.applications.imagenet_utils.preprocess_input(
        x.copy(), data_format=data_format, mode=mode)
    ours_numpy = imagenet_utils.preprocess_input(x.copy(), data_format=data_format, mode=mode)
    ours_tensor = imagenet_utils.preprocess_input(jl.ops.convert_to_tensor(x),
                                                  data_format=data_format, mode=mode)
    assert_close(ours_numpy, expected)
    assert_close(ours_tensor, expected)
    # a single image (rank 3) too
    expected_one = keras.applications.imagenet_utils.preprocess_input(
        x[0].copy(), data_format=data_format, mode=mode)
    assert_close(imagenet_utils.preprocess_input(x[0].copy(), data_format=data_format,
                                                 mode=mode), expected_one)


def test_preprocess_input_scales_numpy_in_place_and_ints_to_floats():
    x = np.full((1, 1, 1, 3), 255.0, "float32")
    out = imagenet_utils.preprocess_input(x, mode="tf")
    assert np.shares_memory(out, x) and x.ravel().tolist() == [1.0, 1.0, 1.0]
    ints = imagenet_utils.preprocess_input(np.array([[[[0, 0, 255]]]], "uint8"), mode="caffe")
    assert ints.dtype == np.float32
    np.testing.assert_allclose(ints.ravel(), [255 - 103.939, -116.779, -123.68], rtol=1e-6)


def test_preprocess_input_on_a_symbolic_input_builds_a_model():
    inputs = jl.Input((2, 2, 3))
    model = jl.Model(inputs, imagenet_utils.preprocess_input(inputs, mode="torch"))
    x = np.full((1, 2, 2, 3), 255.0, "float32")
    expected = imagenet_utils.preprocess_input(x.copy(), mode="torch")
    assert_close(model(x), expected)


def test_preprocess_input_rejects_a_bad_mode_or_data_format():
    with pytest.raises(ConfigError, match=r"`mode` must be one of \('caffe', 'tf', 'torch'\)"):
        imagenet_utils.preprocess_input(np.zeros((1, 2, 2, 3)), mode="keras")
    with pytest.raises(ConfigError, match="data_format"):
        imagenet_utils.preprocess_input(np.zeros((1, 2, 2, 3)), data_format="nhwc")


@pytest.fixture
def class_index(tmp_path, monkeypatch):
    """A local copy of Keras's class-index file behind a file:// URL and an empty cache."""
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    path = tmp_path / "imagenet_class_index.json"
    path.write_text(json.dumps(index))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_PATH", path.as_uri())
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_HASH",
                        hashlib.md5(path.read_bytes()).hexdigest())
    monkeypatch.setattr(imagenet_utils, "_class_index", {})
    return tmp_path


def test_decode_predictions_ranks_classes_from_the_downloaded_index(class_index, rng):
    preds = rng.uniform(size=(2, 1000)).astype("float32")
    decoded = imagenet_utils.decode_predictions(preds, top=3)
    assert (class_index / "home" / "models" / "imagenet_class_index.json").is_file()
    for pred, ranked in zip(preds, decoded):
        best = np.argsort(pred)[::-1][:3]
        assert [r[:2] for r in ranked] == [(f"n{i:08d}", f"class_{i}") for i in best]
        assert [r[2] for r in ranked] == [pred[i] for i in best]


def test_decode_predictions_refuses_a_wrong_shape_or_a_tampered_index(class_index,
                                                                      monkeypatch):
    with pytest.raises(ConfigError, match=r"shape \(samples, 1000\). Received: "
                                          r"preds.shape=\(2, 10\)"):
        imagenet_utils.decode_predictions(np.zeros((2, 10)))
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_HASH", "0" * 32)
    with pytest.raises(FileHashError):
        imagenet_utils.decode_predictions(np.zeros((1, 1000)))


# ----------------------------------------------------------------------- argument rules
def test_weights_and_classes_rules():
    with pytest.raises(ConfigError, match=r"`weights` must be None .* Received: "
                                          r"weights='no/such/file.h5'"):
        common.check_weights("ResNet50", "no/such/file.h5", True, 1000)
    with pytest.raises(ConfigError, match=r"`classes` must be 1000 to load "
                                          r"weights='imagenet' .* Received: classes=10"):
        common.check_weights("ResNet50", "imagenet", True, 10)
    assert common.check_weights("ResNet50", "imagenet", False, 10) == "imagenet"
    with pytest.raises(ConfigError, match="`classes` must be a positive int"):
        common.check_weights("ResNet50", None, True, 0)
    with pytest.raises(ConfigError, match=r"`pooling` must be one of \(None, 'avg', 'max'\)"):
        common.check_pooling("ResNet50", "mean")
    with pytest.raises(ConfigError, match=r"`classifier_activation` must be None or "
                                          r"'softmax' .* classifier_activation='relu'"):
        common.check_classifier_activation("ResNet50", "relu", "imagenet")
    assert common.check_classifier_activation("ResNet50", "relu", None) == "relu"


@pytest.mark.parametrize("shape, include_top, weights", [
    (None, True, None), (None, False, None), (None, True, "imagenet"),
    ((64, 48, 3), False, "imagenet"), ((40, 40, 1), True, None), ((None, 40, 3), False, None),
])
def test_input_shape_matches_keras(keras, shape, include_top, weights):
    from keras.src.applications.imagenet_utils import obtain_input_shape

    expected = obtain_input_shape(shape, default_size=224, min_size=32,
                                  data_format="channels_last", require_flatten=include_top,
                                  weights=weights)
    ours = common.obtain_input_shape("ResNet50", shape, 224, 32, include_top, weights)
    assert tuple(ours) == tuple(expected)


@pytest.mark.parametrize("shape, include_top, weights, message", [
    ((64, 64, 3), True, "imagenet", r"`input_shape` must be \(224, 224, 3\) to load "
                                    r"weights='imagenet' with include_top=True"),
    ((64, 64, 1), False, "imagenet", "must have 3 channels to load weights='imagenet'"),
    ((31, 64, 3), False, None, r"at least 32. Received: input_shape=\(31, 64, 3\)"),
    ((None, 64, 3), True, None, "must be static"),
    ((64, 64), False, None, "a tuple of three positive ints"),
])
def test_input_shape_errors(keras, shape, include_top, weights, message):
    from keras.src.applications.imagenet_utils import obtain_input_shape

    with pytest.raises(ValueError):  # Keras refuses the same shapes
        obtain_input_shape(shape, default_size=224, min_size=32, data_format="channels_last",
                           require_flatten=include_top, weights=weights)
    with pytest.raises(ConfigError, match=message):
        common.obtain_input_shape("ResNet50", shape, 224, 32, include_top, weights)


def test_correct_pad_matches_keras(keras):
    from keras.src.applications.imagenet_utils import correct_pad

    for size in [(None, None), (7, 8), (8, 7)]:
        ours = common.correct_pad(jl.Input(size + (3,)), 3)
        assert ours == correct_pad(keras.Input(size + (3,)), 3)


# ----------------------------------------------------------------------- layer order
def test_functional_lists_layers_in_keras_order(keras, rng):
    """A branch's longer path comes first, as in Keras (a ResNet's shortcut conv after
    its main path): Keras's get_weights() lists then fit set_weights()."""
    def build(lib):
        inputs = lib.Input((3,))
        shortcut = lib.layers.Dense(4, name="shortcut")(inputs)
        main = lib.layers.Dense(5, name="main_1")(inputs)
        main = lib.layers.Dense(4, name="main_2")(main)
        merged = lib.layers.Add(name="add")([shortcut, main])
        return lib.Model(inputs, lib.layers.Dense(2, name="head")(merged))

    ours, theirs = build(jl), build(keras)
    assert [layer.name for layer in theirs.layers][1:] == [
        "main_1", "shortcut", "main_2", "add", "head"]
    assert [layer.name for layer in ours.layers][1:] == [
        layer.name for layer in theirs.layers][1:]
    ours.set_weights(theirs.get_weights())
    x = rng.normal(size=(2, 3)).astype("float32")
    assert_close(ours(x), theirs(x))


# ----------------------------------------------------------------------- weights files
def _tiny(keras_module, classes=3):
    """A small conv net with batch norm, the same in Keras and jaxlayers (same names)."""
    L = keras_module.layers
    inputs = keras_module.Input((8, 8, 3))
    x = L.Conv2D(4, 3, name="conv")(inputs)
    x = L.BatchNormalization(name="bn")(x)
    x = L.GlobalAveragePooling2D(name="avg_pool")(x)
    x = L.Dense(classes, name="predictions")(x)
    return keras_module.Model(inputs, x)


def _keras_tiny(keras, rng, classes=3):
    """The Keras twin of ``_tiny``, with random weights (positive where a variance is)."""
    with _uninitialized(keras):
        model = _tiny(keras, classes)
    model.set_weights([rng.uniform(0.5, 1.5, tuple(w.shape)).astype("float32")
                       for w in model.weights])
    return model


def _write_legacy_h5(keras_model, path):
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, keras_model)


def test_keras_2_layout_file_loads_by_layer_order(keras, rng, tmp_path):
    kmodel = _keras_tiny(keras, rng)
    path = tmp_path / "tiny_weights_tf_dim_ordering_tf_kernels.h5"
    _write_legacy_h5(kmodel, path)
    assert legacy_h5.is_legacy_h5(path)
    model = _tiny(jl)
    common.load_weights_file(model, path)
    for ours, theirs in zip(model.get_weights(), kmodel.get_weights()):
        np.testing.assert_array_equal(ours, theirs)
    x = rng.uniform(size=(2, 8, 8, 3)).astype("float32")
    assert_close(model(x), kmodel(x), atol=1e-4)


def test_keras_2_layout_file_of_another_model_is_refused(keras, rng, tmp_path):
    path = tmp_path / "other.h5"
    _write_legacy_h5(_keras_tiny(keras, rng, classes=5), path)
    model = _tiny(jl)
    before = [np.copy(w) for w in model.get_weights()]
    with pytest.raises(jl.saving.WeightsMismatchError,
                       match=r"layer 'predictions' expects weights of shapes \[\(4, 3\), "
                             r"\(3,\)\] but the file's layer 'predictions' holds"):
        common.load_weights_file(model, path)
    for ours, old in zip(model.get_weights(), before):  # all or nothing
        np.testing.assert_array_equal(ours, old)


def test_keras_3_weights_file_loads_through_load_weights(keras, rng, tmp_path):
    kmodel = _keras_tiny(keras, rng)
    path = tmp_path / "tiny.weights.h5"
    kmodel.save_weights(path)
    assert not legacy_h5.is_legacy_h5(path)
    model = _tiny(jl)
    common.load_weights(model, str(path))
    for ours, theirs in zip(model.get_weights(), kmodel.get_weights()):
        np.testing.assert_array_equal(ours, theirs)


def test_imagenet_weights_come_through_get_file_with_their_hash(keras, rng, tmp_path,
                                                               monkeypatch):
    kmodel = _keras_tiny(keras, rng)
    served = tmp_path / "served" / "tiny_notop.h5"
    served.parent.mkdir()
    _write_legacy_h5(kmodel, served)
    digest = hashlib.md5(served.read_bytes()).hexdigest()
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    model = common.load_weights(_tiny(jl), "imagenet", "tiny_notop.h5", served.as_uri(),
                                digest)
    assert (tmp_path / "home" / "models" / "tiny_notop.h5").is_file()
    for ours, theirs in zip(model.get_weights(), kmodel.get_weights()):
        np.testing.assert_array_equal(ours, theirs)
    with pytest.raises(FileHashError):
        common.load_weights(_tiny(jl), "imagenet", "tiny_other.h5", served.as_uri(), "0" * 32)


# ----------------------------------------------------------------------- the families
def _structure(model):
    """Layer names and weight shapes, in order."""
    names = [layer.name for layer in model.layers]
    return names, [tuple(w.shape) for w in model.weights]


@contextlib.contextmanager
def _uninitialized(keras):
    """Keras models built inside get no initial values, after a fresh session.

    Keras's eager initializers compile one random op per weight shape, which costs far
    more than these tests; every test gives the variables values instead
    (``set_weights``, or the mapping of ``stateless_call``).
    """
    from keras.src.backend.common import global_state

    keras.backend.clear_session()
    with keras.StatelessScope(initialize_variables=False):
        yield
    global_state.set_global_attribute("uninitialized_variables", [])


def _keras_model(keras, name, **kwargs):
    """Keras's application, its variables left without values (see ``_uninitialized``)."""
    with _uninitialized(keras):
        return getattr(keras.applications, name)(weights=None, **kwargs)


def _twins(keras, name, **kwargs):
    """``(jaxlayers model, Keras model)`` of one application, both with weights=None.

    Automatic layer names restart in both sessions first, so that they agree.
    """
    jl.clear_session(free_memory=False)
    ours = getattr(jl.applications, name)(weights=None, **kwargs)
    return ours, _keras_model(keras, name, **kwargs)


def _random_weights(keras_model, rng):
    """Values for Keras's weights, in Keras's order (its ``get_weights`` layout): kernels
    scaled by their fan-in, every 1-D weight (biases, batch-norm gamma, beta, mean and
    variance) drawn in [0.5, 1.5], so that a mix-up of any two shows in the outputs."""
    values = []
    for w in keras_model.weights:
        shape = tuple(w.shape)
        if len(shape) == 1:
            values.append(rng.uniform(0.5, 1.5, shape).astype("float32"))
        else:
            fan_in = np.prod(shape[:-1]) if shape[-1] > 1 else np.prod(shape[:-2])
            values.append((rng.normal(size=shape) / np.sqrt(fan_in)).astype("float32"))
    return values


def _run_unoptimized(fn, *args):
    """``fn(*args)`` jitted with XLA's CPU optimizations off: compiling these deep graphs
    optimized costs several seconds each, and the outputs agree to float32 rounding."""
    import jax

    options = {"xla_backend_optimization_level": 0, "xla_llvm_disable_expensive_passes": True}
    return np.asarray(jax.jit(fn).lower(*args).compile(compiler_options=options)(*args))


def _keras_outputs(keras_model, values, x):
    """Keras's inference outputs with ``values`` as its weights."""
    by_id = {id(w): v for w, v in zip(keras_model.weights, values)}
    trainable = [by_id[id(w)] for w in keras_model.trainable_variables]
    # Variables that are not weights (a Dropout's seed) keep their initial value.
    non_trainable = [by_id.get(id(w), w.value) for w in keras_model.non_trainable_variables]
    return _run_unoptimized(lambda t, n, x: keras_model.stateless_call(t, n, x)[0],
                            trainable, non_trainable, x)


def _outputs(model, x):
    """The model's inference outputs through its pure ``apply`` (what ``model(x)`` runs)."""
    return _run_unoptimized(lambda p, s, x: model.apply(p, s, x)[0], model.params,
                            model.state, x)


FORWARD = [
    ("ResNet50", dict(input_shape=(32, 32, 3), classes=3, classifier_activation=None)),
    ("ResNet50V2", dict(input_shape=(32, 32, 3), include_top=False, pooling="avg")),
    ("VGG16", dict(input_shape=(32, 32, 3), include_top=False, pooling="max")),
    ("MobileNet", dict(input_shape=(32, 32, 3), alpha=0.25, classes=3)),
    ("MobileNetV2", dict(input_shape=(32, 32, 3), alpha=0.35, classes=3,
                         classifier_activation=None)),
    ("MobileNetV3Small", dict(input_shape=(32, 32, 3), alpha=0.75, classes=3,
                              classifier_activation=None)),
    ("Xception", dict(input_shape=(71, 71, 3), include_top=False)),
    ("InceptionV3", dict(input_shape=(75, 75, 3), classes=3, classifier_activation=None)),
    pytest.param("InceptionResNetV2", dict(input_shape=(75, 75, 3), include_top=False,
                                           pooling="avg"), marks=pytest.mark.slow,
                 id="InceptionResNetV2"),
]


@pytest.mark.parametrize("name, kwargs", FORWARD,
                         ids=[c[0] if isinstance(c, tuple) else None for c in FORWARD])
def test_family_matches_keras_with_the_same_weights(keras, rng, name, kwargs):
    ours, theirs = _twins(keras, name, **kwargs)
    assert _structure(ours) == _structure(theirs)
    values = _random_weights(theirs, rng)
    ours.set_weights(values)  # Keras's get_weights layout
    x = rng.uniform(0, 255 if name == "MobileNetV3Small" else 1,
                    (2,) + kwargs["input_shape"]).astype("float32")
    expected = _keras_outputs(theirs, values, x)
    assert_close(_outputs(ours, x), expected, rtol=1e-4,
                 atol=1e-4 * max(1.0, np.abs(expected).max()))


@pytest.mark.parametrize("name, kwargs", [
    ("ResNet101", dict(input_shape=(32, 32, 3), classes=3)),
    ("ResNet152V2", dict(input_shape=(32, 32, 3), include_top=False, pooling="max")),
    ("VGG19", dict(input_shape=(32, 32, 3), classes=3)),
    ("MobileNetV3Large", dict(include_top=True, classes=3)),
    ("MobileNetV3Small", dict(input_shape=(48, 48, 3), minimalistic=True, include_top=False,
                              include_preprocessing=False, pooling="max")),
])
def test_variant_has_keras_layer_names_and_weight_shapes(keras, name, kwargs):
    ours, theirs = _twins(keras, name, **kwargs)
    assert ours.name == theirs.name
    assert _structure(ours) == _structure(theirs)


@pytest.mark.parametrize("module, mode", [
    ("resnet", "caffe"), ("resnet50", "caffe"), ("resnet_v2", "tf"), ("vgg16", "caffe"),
    ("vgg19", "caffe"), ("mobilenet", "tf"), ("mobilenet_v2", "tf"), ("xception", "tf"),
    ("inception_v3", "tf"), ("inception_resnet_v2", "tf"), ("mobilenet_v3", None),
])
def test_family_preprocess_input_matches_keras(keras, rng, module, mode):
    x = rng.uniform(0, 255, (1, 2, 3, 3)).astype("float32")
    expected = getattr(keras.applications, module).preprocess_input(x.copy())
    ours = getattr(jl.applications, module)
    assert_close(ours.preprocess_input(x.copy()), expected)
    if mode is not None:
        assert_close(ours.preprocess_input(x.copy()),
                     imagenet_utils.preprocess_input(x.copy(), mode=mode))
    assert ours.decode_predictions.__module__.startswith("jaxlayers.applications")


def test_family_argument_errors():
    apps = jl.applications
    with pytest.raises(ConfigError, match=r"Xception: the input height and width must be at "
                                          r"least 71. Received: input_shape=\(70, 80, 3\)"):
        apps.Xception(weights=None, include_top=False, input_shape=(70, 80, 3))
    with pytest.raises(ConfigError, match="InceptionV3: the input height and width must be at "
                                          "least 75"):
        apps.InceptionV3(weights=None, include_top=False, input_shape=(74, 75, 3))
    with pytest.raises(ConfigError, match=r"MobileNet: `alpha` must be one of \(0.25, 0.5, "
                                          r"0.75, 1.0\) to load weights='imagenet'"):
        apps.MobileNet(weights="imagenet", alpha=0.3)
    with pytest.raises(ConfigError, match="MobileNet: `depth_multiplier` must be one of "
                                          r"\(1,\) to load weights='imagenet'"):
        apps.MobileNet(weights="imagenet", depth_multiplier=2)
    with pytest.raises(ConfigError, match=r"MobileNetV2: `alpha` must be one of \(0.35, "):
        apps.MobileNetV2(weights="imagenet", alpha=0.6)
    with pytest.raises(ConfigError, match=r"MobileNetV3Small: `alpha` must be one of "
                                          r"\(1.0,\) to load weights='imagenet'"):
        apps.MobileNetV3Small(weights="imagenet", alpha=0.75, minimalistic=True)
    with pytest.raises(ConfigError, match="MobileNetV3Large: the input height and width must "
                                          "be at least 32"):
        apps.MobileNetV3Large(weights=None, input_shape=(16, 16, 3))
    with pytest.raises(ConfigError, match="`classes` must be 1000 to load weights='imagenet'"):
        apps.VGG19(weights="imagenet", classes=10)
    with pytest.raises(ConfigError, match=r"ResNet152: `pooling` must be one of"):
        apps.ResNet152(weights=None, include_top=False, pooling="sum")
    with pytest.raises(ConfigError, match="MobileNet: `alpha` must be a finite positive float"):
        apps.MobileNet(weights=None, alpha=0)
    inputs = jl.Input((40, 40, 3))
    with pytest.raises(ConfigError, match="MobileNetV2: `input_shape` must match the shape of "
                                          "`input_tensor`"):
        apps.MobileNetV2(weights=None, input_tensor=inputs, input_shape=(32, 32, 3))


def test_input_tensor_keeps_the_layers_before_it():
    inputs = jl.Input((32, 32, 3), name="pixels")
    scaled = jl.layers.Rescaling(1 / 255, name="scale")(inputs)
    model = jl.applications.MobileNetV3Small(
        weights=None, input_tensor=scaled, include_top=False, minimalistic=True,
        include_preprocessing=False, pooling="avg")
    assert model.inputs[0] is inputs
    assert model.layers[1].name == "scale"
    assert model.output_shape == (None, 576)


def test_imagenet_weights_of_a_family_come_from_keras_url_and_hash(keras, rng, tmp_path,
                                                                   monkeypatch):
    """Keras's file name, URL and hash, served from a local copy of the right layout."""
    from jaxlayers.applications import mobilenet_v3

    kwargs = dict(input_shape=(32, 32, 3), include_top=False, minimalistic=True)
    kmodel = _keras_model(keras, "MobileNetV3Small", **kwargs)
    kmodel.set_weights(_random_weights(kmodel, rng))
    served = tmp_path / "served"
    served.mkdir()
    file_name = "weights_mobilenet_v3_small_minimalistic_224_1.0_float_no_top_v2.h5"
    _write_legacy_h5(kmodel, served / file_name)
    digest = hashlib.md5((served / file_name).read_bytes()).hexdigest()
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(mobilenet_v3, "BASE_WEIGHT_PATH", served.as_uri() + "/")
    monkeypatch.setitem(mobilenet_v3.WEIGHTS_HASHES, "small_minimalistic_224_1.0_float",
                        ("unused", digest))
    with pytest.warns(UserWarning, match="not 224x224"):
        model = jl.applications.MobileNetV3Small(weights="imagenet", **kwargs)
    assert (tmp_path / "home" / "models" / file_name).is_file()
    for ours, theirs in zip(model.get_weights(), kmodel.get_weights()):
        np.testing.assert_array_equal(ours, theirs)
    monkeypatch.setitem(mobilenet_v3.WEIGHTS_HASHES, "small_minimalistic_224_1.0_float",
                        ("unused", "0" * 32))
    (tmp_path / "home" / "models" / file_name).unlink()
    with pytest.raises(FileHashError), pytest.warns(UserWarning, match="not 224x224"):
        jl.applications.MobileNetV3Small(weights="imagenet", **kwargs)


def test_one_fit_step_matches_keras(keras, rng):
    """MobileNet (alpha 0.25) trains one SGD step under fit as Keras does: same loss,
    same new weights and batch-norm statistics."""
    kwargs = dict(input_shape=(32, 32, 3), alpha=0.25, classes=3, dropout=0.0)
    ours, theirs = _twins(keras, "MobileNet", **kwargs)
    values = _random_weights(theirs, rng)
    theirs.set_weights(values)
    ours.set_weights(values)
    x = rng.uniform(0, 1, (4, 32, 32, 3)).astype("float32")
    y = np.array([0, 1, 2, 1])
    for model, lib in ((ours, jl), (theirs, keras)):
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    loss = ours.fit(x, y, batch_size=4, epochs=1, verbose=0).history["loss"][0]
    expected = theirs.fit(x, y, batch_size=4, epochs=1, verbose=0).history["loss"][0]
    np.testing.assert_allclose(loss, expected, rtol=1e-4)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        assert_close(a, b, rtol=1e-3, atol=1e-4)
    assert not np.allclose(ours.get_weights()[0], values[0])


def test_custom_scale_layer_config_round_trip():
    from jaxlayers.applications.inception_resnet_v2 import CustomScaleLayer

    layer = CustomScaleLayer(0.17, name="scale")
    config = jl.saving.serialize_keras_object(layer)
    assert config["class_name"] == "CustomScaleLayer"
    copy = jl.saving.deserialize_keras_object(config)
    assert isinstance(copy, CustomScaleLayer) and copy.scale == 0.17
    a, b = np.ones((1, 2), "float32"), np.full((1, 2), 2.0, "float32")
    np.testing.assert_allclose(copy([a, b]), [[1.34, 1.34]], rtol=1e-6)
    with pytest.raises(ConfigError, match="CustomScaleLayer 'bad': `scale` must be a finite "
                                          "float. Received: scale=nan"):
        CustomScaleLayer(float("nan"), name="bad")
