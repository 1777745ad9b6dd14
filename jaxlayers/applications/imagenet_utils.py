"""``keras.applications.imagenet_utils``: the ImageNet input scalings and class names.

Three scalings cover every application (``mode``):

* ``"caffe"``: RGB to BGR, then each channel minus the ImageNet mean pixel
  (``103.939, 116.779, 123.68`` in BGR order), no scaling;
* ``"tf"``: pixels from ``[0, 255]`` to ``[-1, 1]``;
* ``"torch"``: pixels to ``[0, 1]``, then each channel standardized with the
  ImageNet mean ``(0.485, 0.456, 0.406)`` and std ``(0.229, 0.224, 0.225)``.

A NumPy array is scaled in place when its dtype is floating (as Keras does;
pass ``np.copy(x)`` to keep the original); anything else (a ``jax.Array``, a
symbolic tensor from ``jl.Input``) goes through ``jl.ops`` and comes back new.
"""

import json

import numpy as np

from jaxlayers import backend, ops
from jaxlayers.core import args as _args
from jaxlayers.errors import ConfigError
from jaxlayers.utils.downloads import get_file

CLASS_INDEX_PATH = ("https://storage.googleapis.com/download.tensorflow.org/"
                    "data/imagenet_class_index.json")
CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"
# Read once per process, like Keras: the 1000 ImageNet ids and names by class number.
_class_index = {}

_CAFFE_MEAN = (103.939, 116.779, 123.68)
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)
MODES = ("caffe", "tf", "torch")


def preprocess_input(x, data_format=None, mode="caffe"):
    """Scales a batch of RGB images with values in ``[0, 255]`` as an ImageNet model expects.

    Args:
        x: NumPy array, ``jax.Array`` or symbolic tensor of rank 3 or 4 with 3
            color channels. A floating NumPy array is modified in place.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses
            ``jl.backend.image_data_format()``.
        mode: ``"caffe"``, ``"tf"`` or ``"torch"`` (see the module docstring).

    Returns:
        The scaled images (floating; ``floatx()`` for integer inputs).

    Example:
        >>> x = np.full((1, 1, 1, 3), 255.0)
        >>> preprocess_input(x, mode="tf").ravel().tolist()
        [1.0, 1.0, 1.0]
    """
    who = "preprocess_input"
    _args.one_of(who, "mode", mode, MODES)
    data_format = _args.data_format(who, data_format)
    if isinstance(x, np.ndarray):
        return _scale_numpy(x, data_format, mode)
    return _scale_tensor(x, data_format, mode)


# A white pixel (255, 255, 255) after each scaling, worked out by hand from the
# constants above: what each family's ``preprocess_input`` example prints.
_WHITE = {"caffe": "[151.06, 138.22, 131.32]", "tf": "[1.0, 1.0, 1.0]",
          "torch": "[2.25, 2.43, 2.64]"}
_FAMILY_DOC = """Scales RGB images in ``[0, 255]`` as the family's pretrained weights expect.

    ``imagenet_utils.preprocess_input`` with ``mode={mode!r}``.

    Args:
        x: NumPy array, ``jax.Array`` or symbolic tensor of rank 3 or 4 with 3
            color channels. A floating NumPy array is modified in place.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses
            ``jl.backend.image_data_format()``.

    Returns:
        The scaled images (floating; ``floatx()`` for integer inputs).

    Example:
        >>> white = np.full((1, 1, 1, 3), 255.0)
        >>> preprocess_input(white).ravel().round(2).tolist()
        {white}
    """


def preprocessor(mode):
    """A family's ``preprocess_input(x, data_format=None)``: this module's with ``mode``.

    Args:
        mode: ``"caffe"``, ``"tf"`` or ``"torch"`` (see the module docstring).

    Returns:
        The function, named ``preprocess_input``, with its own docstring.

    Raises:
        ConfigError: ``mode`` is not one of :data:`MODES`.

    Example:
        >>> scale = preprocessor("tf")
        >>> scale(np.array([[[0.0, 127.5, 255.0]]])).tolist()
        [[[-1.0, 0.0, 1.0]]]
    """
    _args.one_of("preprocessor", "mode", mode, MODES)

    def scale(x, data_format=None):
        return preprocess_input(x, data_format=data_format, mode=mode)

    scale.__name__ = scale.__qualname__ = "preprocess_input"
    scale.__doc__ = _FAMILY_DOC.format(mode=mode, white=_WHITE[mode])
    return scale


def _channel_axis(ndim, data_format):
    return -1 if data_format == "channels_last" else ndim - 3


def _scale_numpy(x, data_format, mode):
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(backend.floatx(), copy=False)
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    axis = _channel_axis(x.ndim, data_format)
    if mode == "caffe":
        x = np.flip(x, axis)  # a view: the in-place updates below still reach the caller's array
        mean, std = _CAFFE_MEAN, None
    else:
        x /= 255.0
        mean, std = _TORCH_MEAN, _TORCH_STD
    for c in range(3):
        channel = (slice(None),) * (axis % x.ndim) + (c,)
        x[channel] -= mean[c]
        if std is not None:
            x[channel] /= std[c]
    return x


def _scale_tensor(x, data_format, mode):
    x = ops.convert_to_tensor(x) if not backend.is_keras_tensor(x) else x
    if not backend.standardize_dtype(x.dtype).startswith(("float", "bfloat")):
        x = ops.cast(x, backend.floatx())
    if mode == "tf":
        return x / 127.5 - 1.0
    axis = _channel_axis(len(x.shape), data_format)
    shape = [1] * len(x.shape)
    shape[axis] = 3
    if mode == "caffe":
        x = ops.flip(x, axis=axis)
        return x + ops.reshape(ops.convert_to_tensor(-np.array(_CAFFE_MEAN), x.dtype), shape)
    x = x / 255.0 + ops.reshape(ops.convert_to_tensor(-np.array(_TORCH_MEAN), x.dtype), shape)
    return x / ops.reshape(ops.convert_to_tensor(np.array(_TORCH_STD), x.dtype), shape)


def _load_class_index():
    if not _class_index:
        path = get_file("imagenet_class_index.json", CLASS_INDEX_PATH, cache_subdir="models",
                        file_hash=CLASS_INDEX_HASH)
        with open(path, encoding="utf-8") as f:
            _class_index.update(json.load(f))
    return _class_index


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each prediction, best first.

    The class names come from Keras's ``imagenet_class_index.json``, downloaded
    once into ``~/.keras/models`` (``jl.utils.get_file``, hash-checked).

    Args:
        preds: Array of shape ``(samples, 1000)``.
        top: Positive int, how many classes per sample.

    Returns:
        One list per sample of ``(class_id, class_name, score)`` tuples.

    Raises:
        ConfigError: ``preds`` is not of shape ``(samples, 1000)`` (checked
            before the class names are downloaded).

    Example:
        The class names need a download, so this example shows the shape check:

        >>> decode_predictions(np.zeros((2, 10)))
        Traceback (most recent call last):
        ...
        jaxlayers.errors.ConfigError: decode_predictions: `preds` must be ... preds.shape=(2, 10).
    """
    who = "decode_predictions"
    _args.positive_int(who, "top", top)
    preds = np.asarray(preds)
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ConfigError(
            f"{who}: `preds` must be a batch of ImageNet predictions, of shape (samples, 1000). "
            f"Received: preds.shape={preds.shape}.")
    index = _load_class_index()
    results = []
    for pred in preds:
        best = pred.argsort()[-top:][::-1]
        ranked = [tuple(index[str(i)]) + (pred[i],) for i in best]
        ranked.sort(key=lambda item: item[2], reverse=True)
        results.append(ranked)
    return results


__all__ = ["preprocess_input", "decode_predictions", "preprocessor", "CLASS_INDEX_PATH", "MODES"]
