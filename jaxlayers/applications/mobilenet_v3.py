"""``keras.applications.mobilenet_v3``: MobileNetV3Small and MobileNetV3Large.

Howard et al., "Searching for MobileNetV3" (ICCV 2019). MobileNetV2's inverted
residual blocks with squeeze-and-excite units and hard-swish activations
(``minimalistic=True`` drops both, and the 5x5 kernels). The models scale their
own inputs (a ``Rescaling`` layer to ``[-1, 1]``) unless
``include_preprocessing=False``, so ``preprocess_input`` returns its input.
"""

import warnings

from jaxlayers import backend, layers
from jaxlayers.applications import common, imagenet_utils
from jaxlayers.applications._family import preprocess_input_identity
from jaxlayers.core import args as _args

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v3/"
# md5 of Keras's files: (with the top, without it).
WEIGHTS_HASHES = {
    "large_224_0.75_float": ("765b44a33ad4005b3ac83185abf1d0eb",
                             "40af19a13ebea4e2ee0c676887f69a2e"),
    "large_224_1.0_float": ("59e551e166be033d707958cf9e29a6a7",
                            "07fb09a5933dd0c8eaafa16978110389"),
    "large_minimalistic_224_1.0_float": ("675e7b876c45c57e9e63e6d90a36599c",
                                         "ec5221f64a2f6d1ef965a614bdae7973"),
    "small_224_0.75_float": ("cb65d4e5be93758266aa0a7f2c6708b7",
                             "ebdb5cc8e0b497cd13a7c275d475c819"),
    "small_224_1.0_float": ("8768d4c2e7dee89b9d02b2d03d65d862",
                            "d3e8ec802a04aa4fc771ee12a9a9b836"),
    "small_minimalistic_224_1.0_float": ("99cd97fb2fcdad2bf028eb838de69e37",
                                         "cde8136e733e811080d9fcd8a252f7e4"),
}
# Per block: (expansion, filters, kernel, stride, squeeze-excite, activation); a kernel
# of None is the model's (5, or 3 when minimalistic), "relu" is always ReLU and "act"
# the model's activation (hard-swish, or ReLU when minimalistic).
_SMALL = ((1, 16, 3, 2, True, "relu"), (72 / 16, 24, 3, 2, False, "relu"),
          (88 / 24, 24, 3, 1, False, "relu"), (4, 40, None, 2, True, "act"),
          (6, 40, None, 1, True, "act"), (6, 40, None, 1, True, "act"),
          (3, 48, None, 1, True, "act"), (3, 48, None, 1, True, "act"),
          (6, 96, None, 2, True, "act"), (6, 96, None, 1, True, "act"),
          (6, 96, None, 1, True, "act"))
_LARGE = ((1, 16, 3, 1, False, "relu"), (4, 24, 3, 2, False, "relu"),
          (3, 24, 3, 1, False, "relu"), (3, 40, None, 2, True, "relu"),
          (3, 40, None, 1, True, "relu"), (3, 40, None, 1, True, "relu"),
          (6, 80, 3, 2, False, "act"), (2.5, 80, 3, 1, False, "act"),
          (2.3, 80, 3, 1, False, "act"), (2.3, 80, 3, 1, False, "act"),
          (6, 112, 3, 1, True, "act"), (6, 112, 3, 1, True, "act"),
          (6, 160, None, 2, True, "act"), (6, 160, None, 1, True, "act"),
          (6, 160, None, 1, True, "act"))
_SE_RATIO = 0.25


def _relu(x):
    return layers.ReLU()(x)


def _hard_swish(x):
    return layers.Activation("hard_swish")(x)


def _hard_sigmoid(x):
    # Written with ReLU6 (not the hard_sigmoid activation) as in the pretrained graph.
    return layers.ReLU(6.0)(x + 3.0) * (1.0 / 6.0)


def _bn(name):
    return layers.BatchNormalization(axis=common.channel_axis(), epsilon=1e-3, momentum=0.999,
                                     name=name)


def _squeeze_excite(inputs, filters, prefix):
    x = layers.GlobalAveragePooling2D(keepdims=True, name=f"{prefix}squeeze_excite_avg_pool")(
        inputs)
    x = layers.Conv2D(common.make_divisible(filters * _SE_RATIO), kernel_size=1, padding="same",
                      name=f"{prefix}squeeze_excite_conv")(x)
    x = layers.ReLU(name=f"{prefix}squeeze_excite_relu")(x)
    x = layers.Conv2D(filters, kernel_size=1, padding="same",
                      name=f"{prefix}squeeze_excite_conv_1")(x)
    return layers.Multiply(name=f"{prefix}squeeze_excite_mul")([inputs, _hard_sigmoid(x)])


def _inverted_residual(x, expansion, filters, kernel_size, stride, se, activation, block_id):
    shortcut = x
    in_channels = x.shape[common.channel_axis()]
    expanded = common.make_divisible(in_channels * expansion)
    prefix = "expanded_conv_"
    if block_id:
        prefix = f"expanded_conv_{block_id}_"
        x = layers.Conv2D(expanded, kernel_size=1, padding="same", use_bias=False,
                          name=f"{prefix}expand")(x)
        x = activation(_bn(f"{prefix}expand_bn")(x))
    if stride == 2:
        x = layers.ZeroPadding2D(padding=common.correct_pad(x, kernel_size),
                                 name=f"{prefix}depthwise_pad")(x)
    x = layers.DepthwiseConv2D(kernel_size, strides=stride, use_bias=False,
                               padding="same" if stride == 1 else "valid",
                               name=f"{prefix}depthwise")(x)
    x = activation(_bn(f"{prefix}depthwise_bn")(x))
    if se:
        x = _squeeze_excite(x, expanded, prefix)
    x = layers.Conv2D(filters, kernel_size=1, padding="same", use_bias=False,
                      name=f"{prefix}project")(x)
    x = _bn(f"{prefix}project_bn")(x)
    if stride == 1 and in_channels == filters:
        x = layers.Add(name=f"{prefix}add")([shortcut, x])
    return x


def _input_shape(who, input_shape, input_tensor):
    """MobileNetV3 takes any input size of at least 32, the top included."""
    common.check_input_tensor(who, input_shape, input_tensor)
    if input_shape is None and backend.is_keras_tensor(input_tensor):
        input_shape = tuple(input_tensor.shape[1:])
    if input_shape is None:
        first = backend.image_data_format() == "channels_first"
        input_shape = (3, None, None) if first else (None, None, 3)
    return common.check_input_shape(who, input_shape, 32)


def build_mobilenet_v3(who, blocks, last_point_channels, model_type, input_shape=None,
                       alpha=1.0, minimalistic=False, include_top=True, weights="imagenet",
                       input_tensor=None, classes=1000, pooling=None, dropout_rate=0.2,
                       classifier_activation="softmax", include_preprocessing=True,
                       name=None):
    """A MobileNetV3 of ``blocks`` (``_SMALL`` or ``_LARGE``); arguments as MobileNetV3Small."""
    alpha = _args.positive_float(who, "alpha", alpha)
    minimalistic = _args.boolean(who, "minimalistic", minimalistic)
    include_preprocessing = _args.boolean(who, "include_preprocessing", include_preprocessing)
    dropout_rate = _args.rate(who, "dropout_rate", dropout_rate)
    common.check_weights(who, weights, include_top, classes)
    common.check_pooling(who, pooling)
    if include_top:
        common.check_classifier_activation(who, classifier_activation, weights)
    common.check_imagenet_option(who, "alpha", alpha, (1.0,) if minimalistic else (0.75, 1.0),
                                 weights)
    shape = _input_shape(who, input_shape, input_tensor)
    if weights == "imagenet" and common.spatial_size(shape) != (224, 224):
        warnings.warn(f"{who}: the input is not 224x224; the weights for 224x224 inputs are "
                      "loaded.", stacklevel=3)
    img_input = common.image_input(input_tensor, shape)
    kernel, activation, se = (3, _relu, False) if minimalistic else (5, _hard_swish, True)
    x = img_input
    if include_preprocessing:
        x = layers.Rescaling(scale=1.0 / 127.5, offset=-1.0)(x)
    x = layers.Conv2D(16, kernel_size=3, strides=(2, 2), padding="same", use_bias=False,
                      name="conv")(x)
    x = activation(_bn("conv_bn")(x))
    for block_id, (expansion, filters, k, stride, with_se, act) in enumerate(blocks):
        x = _inverted_residual(x, expansion, common.make_divisible(filters * alpha),
                               kernel if k is None else k, stride, with_se and se,
                               _relu if act == "relu" else activation, block_id)
    last_conv_channels = common.make_divisible(x.shape[common.channel_axis()] * 6)
    if alpha > 1.0:
        last_point_channels = common.make_divisible(last_point_channels * alpha)
    x = layers.Conv2D(last_conv_channels, kernel_size=1, padding="same", use_bias=False,
                      name="conv_1")(x)
    x = activation(_bn("conv_1_bn")(x))
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Conv2D(last_point_channels, kernel_size=1, padding="same", use_bias=True,
                          name="conv_2")(x)
        x = activation(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate)(x)
        x = layers.Conv2D(classes, kernel_size=1, padding="same", name="logits")(x)
        x = layers.Flatten()(x)
        x = layers.Activation(classifier_activation, name="predictions")(x)
    else:
        x = common.feature_pooling(x, pooling)
    model = common.finish(input_tensor, img_input, x, name)
    key = f"{model_type}{'_minimalistic' if minimalistic else ''}_224_{alpha}_float"
    suffix = "" if include_top else "_no_top_v2"
    file_name = f"weights_mobilenet_v3_{key}{suffix}.h5"
    file_hash = WEIGHTS_HASHES[key][0 if include_top else 1] if key in WEIGHTS_HASHES else None
    return common.load_weights(model, weights, file_name, BASE_WEIGHT_PATH + file_name,
                               file_hash)


ARGS_DOC = """
    Args:
        input_shape: ``(height, width, channels)``, each size at least 32 (any
            size, the top included; the pretrained weights are for 224x224).
        alpha: Width multiplier (0.75 or 1.0 with ImageNet weights, 1.0 if minimalistic).
        minimalistic: No squeeze-and-excite, hard-swish or 5x5 kernels.
        include_top: Whether to end with the 1x1-convolution classifier.
        weights: ``None`` (random), ``"imagenet"`` or the path of a weights file.
        input_tensor: Optional symbolic tensor (``jl.Input``) to use as the image input.
        classes: Number of classes of the top (1000 with ImageNet weights).
        pooling: Without the top: ``None``, ``"avg"`` or ``"max"``.
        dropout_rate: Dropout rate before the classifier.
        classifier_activation: Activation of the top (``None`` gives logits).
        include_preprocessing: Start with a ``Rescaling`` of ``[0, 255]`` pixels to ``[-1, 1]``.
        name: The model's name.

    Returns:
        A Functional ``jl.Model``.
"""


def MobileNetV3Small(input_shape=None, alpha=1.0, minimalistic=False, include_top=True,
                     weights="imagenet", input_tensor=None, classes=1000, pooling=None,
                     dropout_rate=0.2, classifier_activation="softmax",
                     include_preprocessing=True, name="MobileNetV3Small"):
    return build_mobilenet_v3("MobileNetV3Small", _SMALL, 1024, "small", input_shape, alpha,
                              minimalistic, include_top, weights, input_tensor, classes,
                              pooling, dropout_rate, classifier_activation,
                              include_preprocessing, name)


def MobileNetV3Large(input_shape=None, alpha=1.0, minimalistic=False, include_top=True,
                     weights="imagenet", input_tensor=None, classes=1000, pooling=None,
                     dropout_rate=0.2, classifier_activation="softmax",
                     include_preprocessing=True, name="MobileNetV3Large"):
    return build_mobilenet_v3("MobileNetV3Large", _LARGE, 1280, "large", input_shape, alpha,
                              minimalistic, include_top, weights, input_tensor, classes,
                              pooling, dropout_rate, classifier_activation,
                              include_preprocessing, name)


MobileNetV3Small.__doc__ = ("MobileNetV3Small, as ``keras.applications.MobileNetV3Small``.\n"
                            + ARGS_DOC + common.example_doc("MobileNetV3Small"))
MobileNetV3Large.__doc__ = ("MobileNetV3Large, as ``keras.applications.MobileNetV3Large``.\n"
                            + ARGS_DOC + common.example_doc("MobileNetV3Large"))


preprocess_input = preprocess_input_identity


decode_predictions = imagenet_utils.decode_predictions


__all__ = ["MobileNetV3Small", "MobileNetV3Large", "preprocess_input", "decode_predictions"]
