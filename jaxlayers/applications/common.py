"""What every application shares: argument checks, the input, the top and the weights.

A family module builds its graph between :func:`image_input` and
:func:`finish`; the checks here are Keras's rules with jaxlayers' wording:

* ``weights`` is ``None``, ``"imagenet"`` or the path of an existing weights
  file; ``"imagenet"`` with ``include_top=True`` needs ``classes=1000`` and a
  ``classifier_activation`` of ``None`` or ``"softmax"``;
* ``input_shape`` is three sizes, each spatial size at least the family's
  minimum; ``include_top=True`` needs static sizes, and with ImageNet weights
  exactly the family's default size;
* ``weights="imagenet"`` downloads Keras's file from Keras's URL into
  ``~/.keras/models`` through ``jl.utils.get_file``, which checks its hash.

Files: a Keras 3 ``.weights.h5``/``.keras``/jaxlayers ``.npz`` goes through
``model.load_weights``; Keras's published ImageNet files (the Keras 2 HDF5
layout) through ``jaxlayers.saving.legacy_h5``.
"""

import os
import warnings

from jaxlayers import activations, backend, layers
from jaxlayers.core import args as _args
from jaxlayers.errors import ConfigError
from jaxlayers.models.functional import Functional
from jaxlayers.saving import legacy_h5
from jaxlayers.utils.downloads import get_file
from jaxlayers.utils.symbolic import get_source_inputs

POOLINGS = (None, "avg", "max")
_GAP_TOP = "global average pooling and the ``predictions`` Dense layer"
_ARGS_DOC = """
    Args:
        include_top: Whether to end with {top}.
        weights: ``None`` (random), ``"imagenet"`` (Keras's pretrained file,
            downloaded once) or the path of a weights file.
        input_tensor: Optional symbolic tensor (``jl.Input``) to use as the image input.
        input_shape: ``(height, width, channels)``, each size at least {min_size};
            ``{default}`` with the top and ImageNet weights.
        pooling: Without the top: ``None`` (the 4-D features), ``"avg"`` or ``"max"``.
        classes: Number of classes of the top (1000 with ImageNet weights).
        classifier_activation: Activation of the top (``None`` gives logits;
            only ``None`` or ``"softmax"`` with pretrained weights).
        name: The model's name.

    Returns:
        A Functional ``jl.Model``.
"""


_EXAMPLE_DOC = """
    Example:
        The arguments are checked before any layer is built (building the
        network itself takes seconds, too long for this example):

        >>> jl.applications.{who}(weights="imagenet", classes=10)
        Traceback (most recent call last):
        ...
        jaxlayers.errors.ConfigError: {who}: `classes` must be 1000 to load weights='imagenet' ...

        ``{who}(weights=None, classes=10)`` is a 10-class classifier to train
        from scratch; ``{who}(include_top=False, pooling="avg")`` a pretrained
        feature extractor giving one vector per image.
"""


def application_doc(summary, min_size, default_size, top=_GAP_TOP):
    """The docstring of an application with the common arguments.

    Args:
        summary: The first paragraph (the family and its Keras name).
        min_size: Smallest input height and width the family accepts.
        default_size: Height and width of the pretrained model's input.
        top: What ``include_top=True`` adds, in words.

    Returns:
        The docstring, without the example (see :func:`example_doc`).

    Example:
        >>> print(application_doc("Net.", 32, 224).splitlines()[0])
        Net.
    """
    default = (default_size, default_size, 3)
    return summary + "\n" + _ARGS_DOC.format(top=top, min_size=min_size, default=default)


def example_doc(who):
    """The ``Example:`` section of the docstring of application ``who``.

    Args:
        who: The application's public name (``"ResNet50"``).

    Returns:
        Text to append to the application's docstring: a doctest of its
        argument checks, which runs in microseconds.

    Example:
        >>> "ResNet50(weights=None" in example_doc("ResNet50")
        True
    """
    return _EXAMPLE_DOC.format(who=who)


def check_weights(who, weights, include_top, classes):
    """Keras's rules for ``weights`` and ``classes``; returns ``weights``.

    Args:
        who: The application's name, for messages.
        weights: ``None``, ``"imagenet"`` or the path of an existing file.
        include_top: Bool, whether the model ends with the classifier.
        classes: Positive int; 1000 with ImageNet weights and the top.

    Returns:
        ``weights``.

    Raises:
        ConfigError: Any rule is broken.

    Example:
        >>> check_weights("Net", "imagenet", include_top=False, classes=10)
        'imagenet'
    """
    if not (weights is None or weights == "imagenet"
            or (isinstance(weights, (str, os.PathLike)) and os.path.isfile(weights))):
        raise ConfigError(
            f"{who}: `weights` must be None (random initialization), 'imagenet' (pre-trained "
            "on ImageNet) or the path of an existing weights file. "
            f"Received: weights={weights!r}.")
    _args.boolean(who, "include_top", include_top)
    classes = _args.positive_int(who, "classes", classes)
    if weights == "imagenet" and include_top and classes != 1000:
        raise ConfigError(
            f"{who}: `classes` must be 1000 to load weights='imagenet' with include_top=True "
            f"(pass include_top=False for another number of classes). Received: "
            f"classes={classes!r}.")
    return weights


def check_pooling(who, pooling):
    """``pooling`` is ``None``, ``"avg"`` or ``"max"``.

    Args:
        who: The application's name, for messages.
        pooling: The value to check.

    Returns:
        ``pooling``.

    Raises:
        ConfigError: Any other value.

    Example:
        >>> check_pooling("Net", "avg")
        'avg'
    """
    return _args.one_of(who, "pooling", pooling, POOLINGS)


def check_classifier_activation(who, classifier_activation, weights):
    """Pretrained weights allow only a softmax or linear classifier, as in Keras.

    Args:
        who: The application's name, for messages.
        classifier_activation: Activation name or callable of the top.
        weights: ``None``, ``"imagenet"`` or a file path.

    Returns:
        ``classifier_activation``.

    Raises:
        ConfigError: Another activation with pretrained weights.

    Example:
        >>> check_classifier_activation("Net", "relu", weights=None)
        'relu'
    """
    activation = activations.get(classifier_activation)
    if weights is not None and activation not in (activations.get("softmax"),
                                                  activations.get(None)):
        raise ConfigError(
            f"{who}: `classifier_activation` must be None or 'softmax' when loading pretrained "
            f"weights with include_top=True. Received: "
            f"classifier_activation={classifier_activation!r}.")
    return classifier_activation


def check_input_shape(who, shape, min_size, data_format=None):
    """``shape`` as a tuple of three sizes (``None`` allowed), height and width >= ``min_size``.

    Args:
        who: The application's name, for messages.
        shape: The input shape without the batch axis.
        min_size: Smallest height and width allowed.
        data_format: Defaults to ``jl.backend.image_data_format()``.

    Returns:
        ``shape`` as a tuple.

    Raises:
        ConfigError: Not three positive sizes, or too small.

    Example:
        >>> check_input_shape("Net", [None, None, 3], 32)
        (None, None, 3)
    """
    shape = tuple(shape)
    if len(shape) != 3 or not all(s is None or _args.is_int(s) and s > 0 for s in shape):
        raise ConfigError(
            f"{who}: `input_shape` must be a tuple of three positive ints (or None for a "
            f"size known at call time). Received: input_shape={shape!r}.")
    if any(s is not None and s < min_size for s in spatial_size(shape, data_format)):
        raise ConfigError(
            f"{who}: the input height and width must be at least {min_size}. Received: "
            f"input_shape={shape!r}.")
    return shape


def spatial_size(shape, data_format=None):
    """``(height, width)`` of an image shape without the batch axis.

    Args:
        shape: ``(height, width, channels)`` or ``(channels, height, width)``.
        data_format: Which of the two; defaults to ``jl.backend.image_data_format()``.

    Returns:
        The two spatial sizes.

    Example:
        >>> spatial_size((3, 224, 200), "channels_first")
        (224, 200)
    """
    first = _args.data_format("spatial_size", data_format) == "channels_first"
    return tuple(shape[1:3]) if first else tuple(shape[:2])


def obtain_input_shape(who, shape, default_size, min_size, include_top, weights,
                       data_format=None):
    """The model's input shape without the batch axis, checked as Keras does.

    Args:
        who: How messages name the application (``"ResNet50"``).
        shape: The user's ``input_shape`` or ``None``.
        default_size: Height and width of the pretrained model's input.
        min_size: Smallest height and width the family accepts.
        include_top: The classifier needs static sizes (the default ones with
            ImageNet weights).
        weights: ``None``, ``"imagenet"`` or a file path.
        data_format: Defaults to ``jl.backend.image_data_format()``.

    Returns:
        The shape tuple; ``None`` sizes where the model accepts any size.

    Raises:
        ConfigError: The shape breaks a rule above.

    Example:
        >>> obtain_input_shape("Net", None, 224, 32, include_top=True, weights="imagenet")
        (224, 224, 3)
        >>> obtain_input_shape("Net", None, 224, 32, include_top=False, weights=None)
        (None, None, 3)
    """
    data_format = _args.data_format(who, data_format)
    first = data_format == "channels_first"
    channels = 3
    if shape is not None:
        shape = check_input_shape(who, shape, 1, data_format)
        channels = shape[0] if first else shape[-1]
        if weights != "imagenet" and channels not in (1, 3):
            warnings.warn(f"{who}: the model usually expects 1 or 3 input channels; "
                          f"input_shape={shape} has {channels}.", stacklevel=3)
    default = ((channels, default_size, default_size) if first
               else (default_size, default_size, channels))
    if weights == "imagenet" and include_top:
        if shape is not None and shape != default:
            raise ConfigError(
                f"{who}: `input_shape` must be {default} to load weights='imagenet' with "
                f"include_top=True. Received: input_shape={shape!r}.")
        return default
    if shape is None:
        shape = default if include_top else ((3, None, None) if first else (None, None, 3))
    else:
        if weights == "imagenet" and channels != 3:
            raise ConfigError(
                f"{who}: `input_shape` must have 3 channels to load weights='imagenet'. "
                f"Received: input_shape={shape!r}.")
        check_input_shape(who, shape, min_size, data_format)
    if include_top and None in shape:
        raise ConfigError(
            f"{who}: `input_shape` must be static (no None) when include_top=True. Received: "
            f"input_shape={shape!r}.")
    return shape


def pretrained_size(input_shape, sizes, input_tensor=None, default=224):
    """The input size of the pretrained file to use: the input's, if square and in ``sizes``.

    Without ``input_shape`` the size of a symbolic ``input_tensor`` is used.

    Args:
        input_shape: The user's ``input_shape`` or ``None``.
        sizes: The square sizes with a pretrained file.
        input_tensor: Optional symbolic input.
        default: The size used otherwise.

    Returns:
        An int.

    Example:
        >>> pretrained_size((192, 192, 3), (128, 160, 192, 224)), pretrained_size(None, (128,))
        (192, 224)
    """
    if input_shape is None and backend.is_keras_tensor(input_tensor):
        input_shape = tuple(input_tensor.shape[1:])
    if input_shape is None or len(input_shape) != 3:
        return default
    rows, cols = spatial_size(input_shape)
    return rows if rows == cols and rows in sizes else default


def check_input_tensor(who, input_shape, input_tensor):
    """An ``input_tensor`` given with an ``input_shape`` must be symbolic and of that shape.

    Args:
        who: The application's name, for messages.
        input_shape: The user's ``input_shape`` or ``None`` (then nothing is checked).
        input_tensor: The user's ``input_tensor`` or ``None``.

    Raises:
        ConfigError: ``input_tensor`` is not symbolic, or its size differs.

    Example:
        >>> check_input_tensor("Net", (32, 32, 3), jl.Input((64, 64, 3)))
        Traceback (most recent call last):
        ...
        jaxlayers.errors.ConfigError: Net: `input_shape` must match the shape of `input_tensor`. ...
    """
    if input_shape is None or input_tensor is None:
        return
    if not backend.is_keras_tensor(input_tensor):
        raise ConfigError(
            f"{who}: `input_tensor` must be a symbolic tensor (from jl.Input) when "
            f"`input_shape` is given. Received: input_tensor of type "
            f"{type(input_tensor).__name__}.")
    if spatial_size(input_tensor.shape[1:]) != spatial_size(input_shape):
        raise ConfigError(
            f"{who}: `input_shape` must match the shape of `input_tensor`. Received: "
            f"input_shape={tuple(input_shape)!r}, input_tensor.shape={input_tensor.shape}.")


def pretrained_rows(who, img_input, sizes, weights):
    """The input size naming the model and its ImageNet file: the input's, else 224 (warned).

    Pretrained files exist for square inputs of the ``sizes``; any other input
    loads the 224x224 file, with a warning, as in Keras.

    Args:
        who: The application's name, for messages.
        img_input: The symbolic image input.
        sizes: The square sizes with a pretrained file.
        weights: ``None``, ``"imagenet"`` or a file path.

    Returns:
        An int.

    Example:
        >>> pretrained_rows("Net", jl.Input((96, 96, 3)), (96, 224), "imagenet")
        96
    """
    rows, cols = spatial_size(tuple(img_input.shape[1:]))
    if weights == "imagenet" and (rows != cols or rows not in sizes):
        warnings.warn(f"{who}: the input is not square of a size in {tuple(sizes)}; the "
                      "weights for 224x224 inputs are loaded.", stacklevel=3)
        return 224
    return rows


def make_divisible(value, divisor=8, min_value=None):
    """``value`` rounded to a multiple of ``divisor``, never more than 10% below it.

    The channel rounding of the MobileNet and EfficientNet papers.

    Args:
        value: The exact channel count (a float after a width multiplier).
        divisor: The multiple to round to.
        min_value: The smallest result; default ``divisor``.

    Returns:
        An int.

    Example:
        >>> make_divisible(37), make_divisible(35.0), make_divisible(10)
        (40, 32, 16)
    """
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def check_imagenet_option(who, name, value, allowed, weights):
    """With ``weights="imagenet"``, ``value`` must be one of the pretrained ``allowed``.

    Args:
        who: The application's name, for messages.
        name: The argument's name (``"alpha"``).
        value: Its value.
        allowed: The values with a pretrained file.
        weights: ``None``, ``"imagenet"`` or a file path.

    Returns:
        ``value``.

    Raises:
        ConfigError: ``value`` has no pretrained file.

    Example:
        >>> check_imagenet_option("Net", "alpha", 0.3, (0.5, 1.0), weights=None)
        0.3
    """
    if weights == "imagenet" and value not in allowed:
        raise ConfigError(
            f"{who}: `{name}` must be one of {tuple(allowed)} to load weights='imagenet' "
            f"(the pretrained variants). Received: {name}={value!r}.")
    return value


def start(who, *, weights, include_top, classes, pooling, classifier_activation,
          input_shape, input_tensor, default_size, min_size, data_format=None):
    """Every check an application makes, then its image input (what families call first).

    Args:
        who: The application's name, for messages.
        weights: As for :func:`check_weights`.
        include_top: As for :func:`check_weights`.
        classes: As for :func:`check_weights`.
        pooling: As for :func:`check_pooling`.
        classifier_activation: As for :func:`check_classifier_activation`.
        input_shape: As for :func:`obtain_input_shape`.
        input_tensor: Optional symbolic (or concrete) image input.
        default_size: As for :func:`obtain_input_shape`.
        min_size: As for :func:`obtain_input_shape`.
        data_format: As for :func:`obtain_input_shape`.

    Returns:
        The symbolic image input (``input_tensor`` itself when it is symbolic).

    Example:
        >>> start("Net", weights=None, include_top=False, classes=1000, pooling=None,
        ...       classifier_activation=None, input_shape=None, input_tensor=None,
        ...       default_size=224, min_size=32).shape
        (None, None, None, 3)
    """
    check_weights(who, weights, include_top, classes)
    check_pooling(who, pooling)
    if include_top:
        check_classifier_activation(who, classifier_activation, weights)
    shape = obtain_input_shape(who, input_shape, default_size, min_size, include_top, weights,
                               data_format)
    return image_input(input_tensor, shape)


def image_input(input_tensor, shape):
    """The model's image input: ``input_tensor`` itself when symbolic, else a new ``Input``.

    Args:
        input_tensor: ``None``, a symbolic tensor, or an array to wrap.
        shape: The input shape without the batch axis.

    Returns:
        A symbolic tensor.

    Example:
        >>> image_input(None, (32, 32, 3)).shape
        (None, 32, 32, 3)
    """
    if input_tensor is None:
        return layers.Input(shape=shape)
    if backend.is_keras_tensor(input_tensor):
        return input_tensor
    return layers.Input(tensor=input_tensor, shape=shape)


def channel_axis():
    """The channel axis of 4-D images under the global data format.

    Returns:
        3 for ``channels_last``, 1 for ``channels_first``.

    Example:
        >>> channel_axis()
        3
    """
    return 3 if backend.image_data_format() == "channels_last" else 1


def correct_pad(inputs, kernel_size):
    """``ZeroPadding2D`` padding that makes a stride-2 ``valid`` conv of ``inputs`` halve it.

    Even sizes lose a row and column on the top left, as in Keras (and TF's
    ``same`` padding), so pretrained weights see the same pixels.

    Args:
        inputs: Symbolic 4-D images.
        kernel_size: Int or pair, the convolution's kernel size.

    Returns:
        ``((top, bottom), (left, right))``.

    Example:
        >>> correct_pad(jl.Input((224, 224, 3)), 3), correct_pad(jl.Input((225, 225, 3)), 3)
        (((0, 1), (0, 1)), ((1, 1), (1, 1)))
    """
    first = 2 if backend.image_data_format() == "channels_first" else 1
    size = inputs.shape[first:first + 2]
    k = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
    adjust = (1, 1) if size[0] is None else (1 - size[0] % 2, 1 - size[1] % 2)
    return ((k[0] // 2 - adjust[0], k[0] // 2), (k[1] // 2 - adjust[1], k[1] // 2))


def pooled_top(x, include_top, pooling, classes, classifier_activation,
               pool_name="avg_pool", feature_names=("avg_pool", "max_pool")):
    """Global average pooling and a ``predictions`` Dense, or the feature pooling.

    ``pool_name`` names the top's pooling and ``feature_names`` the two feature
    poolings, as each Keras family does (``None`` leaves a layer named automatically).

    Args:
        x: The symbolic features.
        include_top: Whether to add the classifier.
        pooling: Without the top, as for :func:`feature_pooling`.
        classes: Units of the ``predictions`` layer.
        classifier_activation: Its activation.
        pool_name: Name of the top's pooling layer.
        feature_names: Names of the average and max feature poolings.

    Returns:
        The symbolic output.

    Example:
        >>> pooled_top(jl.Input((7, 7, 8)), True, None, 10, "softmax").shape
        (None, 10)
    """
    if include_top:
        x = layers.GlobalAveragePooling2D(name=pool_name)(x)
        return layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    return feature_pooling(x, pooling, feature_names)


def feature_pooling(x, pooling, names=("avg_pool", "max_pool")):
    """``pooling`` of the features when ``include_top=False``: avg, max or none.

    Args:
        x: The symbolic 4-D features.
        pooling: ``"avg"``, ``"max"`` or ``None`` (``x`` itself).
        names: Names of the average and the max pooling layers.

    Returns:
        The symbolic output.

    Example:
        >>> feature_pooling(jl.Input((7, 7, 8)), "max").shape
        (None, 8)
    """
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=names[0])(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=names[1])(x)
    return x


def finish(input_tensor, img_input, outputs, name):
    """The Functional model from the true sources of ``input_tensor`` to ``outputs``.

    Args:
        input_tensor: The user's ``input_tensor`` (its source inputs become the
            model's inputs) or ``None``.
        img_input: The image input made by :func:`image_input`.
        outputs: The symbolic outputs.
        name: The model's name.

    Returns:
        A ``Functional`` model.

    Example:
        >>> x = image_input(None, (8, 8, 3))
        >>> model = finish(None, x, feature_pooling(x, "avg"), "tiny")
        >>> model.name, model.output_shape
        ('tiny', (None, 3))
    """
    inputs = get_source_inputs(input_tensor) if backend.is_keras_tensor(input_tensor) \
        else img_input
    return Functional(inputs, outputs, name=name)


def load_weights(model, weights, file_name=None, origin=None, file_hash=None):
    """Loads ``weights`` into ``model``: nothing for ``None``, else a file or Keras's download.

    Args:
        model: The built application.
        weights: ``None``, ``"imagenet"`` or a weights file path.
        file_name: Name of Keras's ImageNet file in the cache (``"imagenet"`` only).
        origin: Its URL.
        file_hash: Its md5 or sha256 digest, checked by ``get_file``.

    Returns:
        ``model``.

    Example:
        >>> x = image_input(None, (4, 4, 3))
        >>> model = finish(None, x, feature_pooling(x, "avg"), "tiny")
        >>> load_weights(model, None) is model
        True
    """
    if weights is None:
        return model
    if weights == "imagenet":
        weights = get_file(file_name, origin, cache_subdir="models", file_hash=file_hash)
    load_weights_file(model, weights)
    return model


def load_weights_file(model, path):
    """Keras 2 layout HDF5 (Keras's ImageNet files) by layer order; anything else by path.

    Args:
        model: The built application.
        path: A weights file: Keras 2 HDF5, Keras 3 ``.weights.h5``/``.keras``
            or jaxlayers ``.npz``.

    Example:
        >>> x = image_input(None, (4, 4, 3))
        >>> model = finish(None, x, jl.layers.Dense(2)(x), "tiny")
        >>> model.save_weights("tiny.weights.h5")
        >>> load_weights_file(model, "tiny.weights.h5")
        >>> [w.shape for w in model.get_weights()]
        [(3, 2), (2,)]
    """
    if legacy_h5.is_legacy_h5(path):
        legacy_h5.load_weights(model, path)
    else:
        model.load_weights(path)


__all__ = ["application_doc", "example_doc", "start", "check_weights", "check_pooling",
           "check_classifier_activation", "obtain_input_shape", "image_input", "channel_axis",
           "correct_pad", "pooled_top", "feature_pooling", "finish", "load_weights",
           "load_weights_file", "POOLINGS", "check_input_shape", "spatial_size",
           "pretrained_size", "pretrained_rows", "make_divisible", "check_imagenet_option",
           "check_input_tensor"]
