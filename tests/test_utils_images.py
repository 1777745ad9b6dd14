"""Image helpers and ``image/text_dataset_from_directory`` against Keras 3.

The Keras oracle here is its default ``tf.data`` path (TensorFlow is a test
extra); its batches are compared as NumPy arrays.  The folders are written
by the tests.
"""

import os

import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers.errors import ConfigError, ConfigTypeError, DataError, ShapeError

Image = pytest.importorskip("PIL.Image")


@pytest.fixture
def keras_tf(keras):
    """Keras, with TensorFlow importable for its tf.data dataset functions."""
    pytest.importorskip("tensorflow")
    return keras


@pytest.fixture
def image_dir(tmp_path, rng):
    """``cats`` (3) and ``dogs`` (4) PNG images of varied sizes, plus files to ignore."""
    root = tmp_path / "images"
    for name, count in (("cats", 3), ("dogs", 4)):
        (root / name).mkdir(parents=True)
        for i in range(count):
            h, w = (int(v) for v in rng.integers(5, 12, 2))
            pixels = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / name / f"im{i}.png")
    (root / "dogs" / "notes.txt").write_text("not an image")
    (root / ".hidden").mkdir()
    return str(root)


@pytest.fixture
def text_dir(tmp_path):
    root = tmp_path / "texts"
    texts = ["good film", "bad movie", "great", "awful plot", "fine acting", "meh"]
    for i, text in enumerate(texts):
        folder = root / ("neg", "pos")[i % 2]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"t{i}.txt").write_text(text, encoding="utf-8")
    (root / "pos" / "sub").mkdir()
    (root / "pos" / "sub" / "deep.txt").write_text("nested")
    (root / "pos" / "readme.md").write_text("ignored")
    return str(root)


def _collect(batches, decode=False):
    xs, ys = [], []
    for x, y in batches:
        xs.extend([v.decode() for v in x] if decode else list(x))
        ys.append(y)
    return xs, np.concatenate(ys)


# ------------------------------------------------------------------ image files and arrays
def test_image_arrays_round_trip_like_keras(keras, tmp_path, rng):
    pixels = rng.random((4, 5, 3)).astype(np.float32)
    for data_format in ("channels_last", "channels_first"):
        x = pixels if data_format == "channels_last" else pixels.transpose(2, 0, 1)
        ours = jl.utils.array_to_img(x, data_format=data_format)
        theirs = keras.utils.array_to_img(x, data_format=data_format)
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
        back = jl.utils.img_to_array(ours, data_format=data_format)
        np.testing.assert_array_equal(back, keras.utils.img_to_array(theirs,
                                                                     data_format=data_format))
        assert back.dtype == np.float32
    gray = jl.utils.array_to_img(rng.random((3, 3, 1)) * 1000, scale=False)
    assert gray.mode == "I"  # values beyond 8 bits keep 32-bit grayscale
    path = tmp_path / "img.jpg"
    jl.utils.save_img(str(path), pixels)
    loaded = jl.utils.load_img(str(path), target_size=(2, 3))
    assert loaded.size == (3, 2) and loaded.mode == "RGB"
    with pytest.warns(UserWarning, match=r"JPEG cannot store an alpha channel"):
        jl.utils.save_img(str(path), rng.random((4, 4, 4)))


@pytest.mark.parametrize("kwargs", [
    {}, {"color_mode": "grayscale"}, {"target_size": (4, 6), "interpolation": "bilinear"},
    {"target_size": (5, 5), "keep_aspect_ratio": True, "color_mode": "rgba"},
])
def test_load_img_matches_keras(keras, tmp_path, rng, kwargs):
    path = tmp_path / "img.png"
    Image.fromarray(rng.integers(0, 255, (9, 13, 3), dtype=np.uint8)).save(path)
    ours, theirs = jl.utils.load_img(str(path), **kwargs), keras.utils.load_img(str(path),
                                                                                 **kwargs)
    assert ours.mode == theirs.mode
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    with open(path, "rb") as f:
        np.testing.assert_array_equal(np.asarray(jl.utils.load_img(f, **kwargs)),
                                      np.asarray(ours))


def test_image_helper_errors(tmp_path):
    with pytest.raises(ShapeError, match=r"expected one image of rank 3"):
        jl.utils.array_to_img(np.zeros((2, 2)))
    with pytest.raises(ShapeError, match=r"expected 1, 3 or 4 channels"):
        jl.utils.array_to_img(np.zeros((2, 2, 2)))
    with pytest.raises(ShapeError, match=r"expected an image of rank 2 or 3"):
        jl.utils.img_to_array(np.zeros((1, 2, 2, 3)))
    path = tmp_path / "x.png"
    Image.new("RGB", (4, 4)).save(path)
    with pytest.raises(ConfigError, match=r"load_img: `color_mode` must be one of"):
        jl.utils.load_img(str(path), color_mode="cmyk")
    with pytest.raises(ConfigError, match=r"`interpolation` must be one of"):
        jl.utils.load_img(str(path), target_size=(2, 2), interpolation="cubic")
    with pytest.raises(ConfigTypeError, match=r"`path` must be a path or a binary file"):
        jl.utils.load_img(42)


# ------------------------------------------------------------------ image datasets
@pytest.mark.parametrize("kwargs,atol", [
    ({"image_size": (8, 8), "batch_size": 3}, 0),
    ({"image_size": (6, 9), "interpolation": "nearest", "label_mode": "categorical"}, 0),
    ({"image_size": (7, 7), "crop_to_aspect_ratio": True, "label_mode": "binary",
      "class_names": ["dogs", "cats"]}, 1e-4),
    ({"image_size": (16, 16), "interpolation": "bicubic", "batch_size": None}, 1e-3),
    ({"image_size": (5, 8), "color_mode": "rgba"}, 1e-4),
    # Pillow's grayscale rounds a few pixels differently from TensorFlow's decoder.
    ({"image_size": (8, 8), "color_mode": "grayscale"}, 1.0),
])
def test_image_dataset_matches_keras(keras_tf, image_dir, kwargs, atol):
    kwargs = dict(kwargs, shuffle=False, verbose=False)
    ours = jl.utils.image_dataset_from_directory(image_dir, **kwargs)
    theirs = keras_tf.utils.image_dataset_from_directory(image_dir, **kwargs)
    assert ours.class_names == theirs.class_names and ours.file_paths == theirs.file_paths
    if kwargs.get("batch_size", 32) is None:
        pairs = list(zip(ours, theirs.as_numpy_iterator(), strict=True))
        assert len(pairs) == 7 and pairs[0][0][0].shape == (16, 16, 3)
        ours, theirs = [p[0] for p in pairs], [p[1] for p in pairs]
        ours = [(x[None], np.asarray(y)[None]) for x, y in ours]
        theirs = [(x[None], np.asarray(y)[None]) for x, y in theirs]
    else:
        assert len(ours) == len(list(theirs))
        theirs = theirs.as_numpy_iterator()
    xs, ys = _collect(ours)
    kxs, kys = _collect(theirs)
    np.testing.assert_allclose(np.stack(xs), np.stack(kxs), rtol=1e-5, atol=atol)  # 0-255 values
    assert ys.dtype == kys.dtype
    np.testing.assert_array_equal(ys, kys)


def test_image_dataset_pads_to_the_aspect_ratio_as_keras_ops_resize(keras, image_dir):
    # Keras's tf.data path pads after resizing (tf.image.resize_with_pad); its
    # TensorFlow-free path, like jaxlayers, pads first with keras.ops.image.resize.
    ds = jl.utils.image_dataset_from_directory(image_dir, image_size=(5, 8), shuffle=False,
                                               pad_to_aspect_ratio=True, verbose=False)
    images = np.concatenate([x for x, _ in ds])
    for image, path in zip(images, ds.file_paths, strict=True):
        pixels = np.asarray(Image.open(path).convert("RGB"), np.float32)
        want = keras.ops.image.resize(pixels, (5, 8), pad_to_aspect_ratio=True)
        np.testing.assert_allclose(image, want, atol=1e-4)


def test_image_dataset_shuffle_and_subsets_follow_keras(keras_tf, image_dir):
    kwargs = dict(image_size=(6, 6), seed=5, validation_split=0.3, verbose=False)
    train, val = jl.utils.image_dataset_from_directory(image_dir, subset="both", **kwargs)
    k_train, k_val = keras_tf.utils.image_dataset_from_directory(image_dir, subset="both",
                                                                 **kwargs)
    assert train.file_paths == k_train.file_paths and val.file_paths == k_val.file_paths
    assert len(train.file_paths) == 5 and len(val.file_paths) == 2
    # Validation is not shuffled: batches match; training holds the same samples.
    np.testing.assert_allclose(next(iter(val))[0], next(k_val.as_numpy_iterator())[0],
                               rtol=1e-5)
    ours, theirs = _collect(train), _collect(k_train.as_numpy_iterator())
    key = lambda pair: float(pair[0].sum())  # noqa: E731
    assert (sorted(zip(*ours, strict=True), key=key)[0][1]
            == sorted(zip(*theirs, strict=True), key=key)[0][1])
    np.testing.assert_allclose(sorted(x.sum() for x in ours[0]),
                               sorted(x.sum() for x in theirs[0]), rtol=1e-6)
    first = [float(x.sum()) for x in _collect(train)[0]]
    assert first != [float(x.sum()) for x in ours[0]]  # a new order each epoch
    only_val = jl.utils.image_dataset_from_directory(image_dir, subset="validation", **kwargs)
    assert only_val.file_paths == val.file_paths


def test_image_dataset_argument_errors(image_dir, tmp_path):
    make = jl.utils.image_dataset_from_directory
    with pytest.raises(ConfigError, match=r"pass `validation_split` and `subset` together"):
        make(image_dir, validation_split=0.2)
    with pytest.raises(ConfigError, match=r"with `validation_split` and shuffle=True, pass a "
                                          r"`seed`"):
        make(image_dir, validation_split=0.2, subset="training")
    with pytest.raises(ConfigError, match=r"`subset` must be one of"):
        make(image_dir, validation_split=0.2, subset="test", seed=1)
    with pytest.raises(ConfigError, match=r"`label_mode` must be one of"):
        make(image_dir, label_mode="sparse")
    with pytest.raises(ConfigError, match=r"`image_size` must be \(height, width\)"):
        make(image_dir, image_size=(8,))
    with pytest.raises(ConfigError, match=r"`interpolation` must be one of"):
        make(image_dir, interpolation="area")
    with pytest.raises(ConfigError, match=r"set at most one of `crop_to_aspect_ratio`"):
        make(image_dir, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)
    with pytest.raises(ConfigError, match=r"every name in `class_names` must be a subfolder"):
        make(image_dir, class_names=["cats", "birds"])
    with pytest.raises(ConfigError, match=r"label_mode='binary' needs exactly 2 classes"):
        make(image_dir, class_names=["cats"], label_mode="binary")
    with pytest.raises(DataError, match=r"one label per file: 7 files"):
        make(image_dir, labels=[0, 1])
    with pytest.raises(ConfigTypeError, match=r"`labels` must be 'inferred'"):
        make(image_dir, labels="folders")
    (tmp_path / "empty" / "class_a").mkdir(parents=True)
    with pytest.raises(DataError, match=r"no files found in .*empty"):
        make(str(tmp_path / "empty"))
    with pytest.raises(DataError, match=r"`directory` must be a folder"):
        make(os.path.join(image_dir, "nowhere"))


def test_image_dataset_manual_labels_and_fit(image_dir):
    ds = jl.utils.image_dataset_from_directory(image_dir, labels=[0, 1, 0, 1, 1, 0, 1],
                                               image_size=(4, 4), batch_size=4, shuffle=False,
                                               verbose=False)
    assert ds.class_names == ["0", "1"]
    ys = np.concatenate([y for _, y in ds])
    assert ys.tolist() == [0, 1, 0, 1, 1, 0, 1]
    model = jl.Sequential([jl.Input((4, 4, 3)), jl.layers.Rescaling(1 / 255),
                           jl.layers.Flatten(), jl.layers.Dense(2)])
    model.compile(optimizer="adam",
                  loss=jl.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert len(model.fit(ds, epochs=2, verbose=0).history["loss"]) == 2
    unlabeled = jl.utils.image_dataset_from_directory(image_dir, labels=None, image_size=(4, 4),
                                                      verbose=False)
    assert unlabeled.class_names is None and model.predict(unlabeled, verbose=0).shape == (7, 2)


# ------------------------------------------------------------------ text datasets
@pytest.mark.parametrize("kwargs", [
    {"batch_size": 2}, {"max_length": 4}, {"label_mode": "categorical"},
    {"label_mode": None}, {"labels": [0, 1, 1, 0, 1, 1, 0], "label_mode": "binary"},
])
def test_text_dataset_matches_keras(keras_tf, text_dir, kwargs):
    kwargs = dict(kwargs, shuffle=False, verbose=False)
    ours = jl.utils.text_dataset_from_directory(text_dir, **kwargs)
    theirs = keras_tf.utils.text_dataset_from_directory(text_dir, **kwargs)
    assert ours.class_names == theirs.class_names
    if kwargs.get("label_mode", "int") is None:
        assert [list(x) for (x,) in ours] == [[v.decode() for v in x] for x in
                                              theirs.as_numpy_iterator()]
        return
    xs, ys = _collect(ours)
    kxs, kys = _collect(theirs.as_numpy_iterator(), decode=True)
    assert xs == kxs and ys.dtype == kys.dtype
    np.testing.assert_array_equal(ys, kys)


def test_text_dataset_shuffled_split_and_vectorized_fit(keras_tf, text_dir):
    kwargs = dict(seed=3, validation_split=0.4, verbose=False)
    train, val = jl.utils.text_dataset_from_directory(text_dir, subset="both", **kwargs)
    k_train, k_val = keras_tf.utils.text_dataset_from_directory(text_dir, subset="both",
                                                                **kwargs)
    assert _collect(val)[0] == _collect(k_val.as_numpy_iterator(), decode=True)[0]
    ours, theirs = _collect(train), _collect(k_train.as_numpy_iterator(), decode=True)
    assert sorted(zip(ours[0], ours[1].tolist(), strict=True)) == sorted(
        zip(theirs[0], theirs[1].tolist(), strict=True))
    vectorize = jl.layers.TextVectorization(max_tokens=20, output_sequence_length=3)
    vectorize.adapt(train.map(lambda x, y: x))
    model = jl.Sequential([jl.Input((3,), dtype="int32"), jl.layers.Embedding(20, 4),
                           jl.layers.GlobalAveragePooling1D(), jl.layers.Dense(2)])
    model.compile(optimizer="adam",
                  loss=jl.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(train.map(lambda x, y: (vectorize(x), y)), epochs=2, verbose=0,
                        validation_data=val.map(lambda x, y: (vectorize(x), y)))
    assert set(history.history) == {"loss", "val_loss"}
