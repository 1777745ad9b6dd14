"""EfficientNetV2B0 to B3, S, M and L (Tan and Le, 2021).

EfficientNetV2: Smaller Models and Faster Training, https://arxiv.org/abs/2104.00298.
Early stages use fused MBConv blocks (one regular conv instead of the expansion
and depthwise pair), later ones MBConv blocks with squeeze-and-excitation. With
``include_preprocessing`` the model takes raw ``[0, 255]`` pixels (B variants:
ImageNet mean and variance; S, M, L: scaled to ``[-1, 1]``). Layer names, weight
order and ``get_weights`` layout are Keras 3's.
"""

import math

from jaxlayers import layers
from jaxlayers.applications import common, imagenet_utils
from jaxlayers.applications._family import application_doc, preprocess_input_identity
from jaxlayers.applications.efficientnet import (
    classifier,
    conv_bn,
    conv_initializer,
    residual,
    squeeze_excite,
)

BASE_WEIGHTS_PATH = (
    "https://storage.googleapis.com/tensorflow/keras-applications/efficientnet_v2/")
# md5 of Keras's files: (with the top, without it).
WEIGHTS_HASHES = {
    "b0": ("21ecbf6da12460d5c40bb2f29ceb2188", "893217f2bb855e2983157299931e43ff"),
    "b1": ("069f0534ff22adf035c89e2d9547a9dc", "0e80663031ca32d657f9caa404b6ec37"),
    "b2": ("424e49f28180edbde1e94797771950a7", "1dfe2e7a5d45b6632553a8961ea609eb"),
    "b3": ("1f1fc43bd98a6e4fd8fdfd551e02c7a0", "f6abf7b5849ac99a89b50dd3fd532856"),
    "s": ("e1d88a8495beba45748fedd0cecbe016", "af0682fb74e8c54910f2d4393339c070"),
    "m": ("a3bf6aa3276309f4fc6a34aa114c95cd", "1b8dc055df72dde80d614482840fe342"),
    "l": ("27e6d408b53c7ebc868fefa357689935", "b0b66b5c863aef5b46e8608fe1711615"),
}

# Stages: (fused, repeats, filters in, filters out, expansion ratio, SE ratio,
# stride of the first block); every kernel is 3x3.
_B_STAGES = (
    (True, 1, 32, 16, 1, 0.0, 1),
    (True, 2, 16, 32, 4, 0.0, 2),
    (True, 2, 32, 48, 4, 0.0, 2),
    (False, 3, 48, 96, 4, 0.25, 2),
    (False, 5, 96, 112, 6, 0.25, 1),
    (False, 8, 112, 192, 6, 0.25, 2),
)
STAGES = {
    "b": _B_STAGES,
    "s": (
        (True, 2, 24, 24, 1, 0.0, 1),
        (True, 4, 24, 48, 4, 0.0, 2),
        (True, 4, 48, 64, 4, 0.0, 2),
        (False, 6, 64, 128, 4, 0.25, 2),
        (False, 9, 128, 160, 6, 0.25, 1),
        (False, 15, 160, 256, 6, 0.25, 2),
    ),
    "m": (
        (True, 3, 24, 24, 1, 0.0, 1),
        (True, 5, 24, 48, 4, 0.0, 2),
        (True, 5, 48, 80, 4, 0.0, 2),
        (False, 7, 80, 160, 4, 0.25, 2),
        (False, 14, 160, 176, 6, 0.25, 1),
        (False, 18, 176, 304, 6, 0.25, 2),
        (False, 5, 304, 512, 6, 0.25, 1),
    ),
    "l": (
        (True, 4, 32, 32, 1, 0.0, 1),
        (True, 7, 32, 64, 4, 0.0, 2),
        (True, 7, 64, 96, 4, 0.0, 2),
        (False, 10, 96, 192, 4, 0.25, 2),
        (False, 19, 192, 224, 6, 0.25, 1),
        (False, 25, 224, 384, 6, 0.25, 2),
        (False, 7, 384, 640, 6, 0.25, 1),
    ),
}

# (width coefficient, depth coefficient, default input size).
VARIANTS = {
    "b0": (1.0, 1.0, 224),
    "b1": (1.0, 1.1, 240),
    "b2": (1.1, 1.2, 260),
    "b3": (1.2, 1.4, 300),
    "s": (1.0, 1.0, 384),
    "m": (1.0, 1.0, 480),
    "l": (1.0, 1.0, 480),
}
_BN_MOMENTUM = 0.9
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STDDEV = (0.229, 0.224, 0.225)


def round_filters(filters, width, divisor=8):
    """Scales ``filters`` by ``width`` to the nearest multiple of ``divisor`` (at least it)."""
    scaled = filters * width
    return int(max(divisor, int(scaled + divisor / 2) // divisor * divisor))


def mbconv_block(inputs, activation, drop_rate, name, filters_in, filters_out, expand_ratio,
                 se_ratio, strides, fused):
    """A (fused) MBConv block of EfficientNetV2 with 3x3 kernels."""
    filters = filters_in * expand_ratio
    x = inputs
    if fused:
        if expand_ratio != 1:
            x = conv_bn(x, filters, 3, f"{name}expand", strides=strides,
                        activation=activation, momentum=_BN_MOMENTUM)
    else:
        if expand_ratio != 1:
            x = conv_bn(x, filters, 1, f"{name}expand", activation=activation,
                        momentum=_BN_MOMENTUM)
        x = layers.DepthwiseConv2D(3, strides=strides, padding="same", use_bias=False,
                                   depthwise_initializer=conv_initializer(),
                                   name=f"{name}dwconv2")(x)
        x = layers.BatchNormalization(axis=common.channel_axis(), momentum=_BN_MOMENTUM,
                                      name=f"{name}bn")(x)
        x = layers.Activation(activation, name=f"{name}activation")(x)
    if 0 < se_ratio <= 1:
        x = squeeze_excite(x, filters, max(1, int(filters_in * se_ratio)), activation, name)
    # A fused block without expansion does its one conv (and stride) here.
    alone = fused and expand_ratio == 1
    x = conv_bn(x, filters_out, 3 if alone else 1, f"{name}project",
                strides=strides if alone else 1,
                activation=activation if alone else None, momentum=_BN_MOMENTUM)
    if strides == 1 and filters_in == filters_out:
        x = residual(x, inputs, drop_rate, name)
    return x


def preprocessing(x, variant, channels):
    """The model's own input scaling for raw ``[0, 255]`` pixels."""
    if variant.startswith("b") and channels == 3:
        x = layers.Rescaling(scale=1.0 / 255)(x)
        return layers.Normalization(mean=list(_IMAGENET_MEAN),
                                    variance=[s ** 2 for s in _IMAGENET_STDDEV],
                                    axis=common.channel_axis())(x)
    return layers.Rescaling(scale=1.0 / 128.0, offset=-1)(x)


def efficientnet_v2_features(x, stages, width, depth, activation="swish",
                             drop_connect_rate=0.2):
    """The EfficientNetV2 trunk, from the (preprocessed) image to the top conv.

    Args:
        x: The image tensor (a symbolic input, after any preprocessing).
        stages: Rows of ``STAGES``: (fused, repeats, filters in, filters out,
            expand ratio, squeeze-excite ratio, stride) per stage.
        width: Width coefficient (scales every filter count).
        depth: Depth coefficient; a stage has ``ceil(depth * repeats)`` blocks, so a
            small one gives a one-block-per-stage trunk of the same blocks.
        activation: Activation of every block.
        drop_connect_rate: The largest stochastic-depth rate (of the last block).

    Returns:
        The trunk's output tensor.
    """
    x = conv_bn(x, round_filters(stages[0][2], width), 3, "stem", strides=2,
                activation=activation, momentum=_BN_MOMENTUM)

    total, done = float(sum(stage[1] for stage in stages)), 0
    for i, (fused, repeats, f_in, f_out, expand, se_ratio, stride) in enumerate(stages):
        f_in, f_out = round_filters(f_in, width), round_filters(f_out, width)
        for j in range(int(math.ceil(depth * repeats))):
            x = mbconv_block(x, activation, drop_connect_rate * done / total,
                             f"block{i + 1}{chr(ord('a') + j)}_",
                             f_in if j == 0 else f_out, f_out, expand, se_ratio,
                             stride if j == 0 else 1, fused)
            done += 1
    x = conv_bn(x, round_filters(1280, width), 1, "top", activation=activation,
                momentum=_BN_MOMENTUM)
    return x


def build_efficientnet_v2(who, variant, include_top=True, weights="imagenet",
                          input_tensor=None, input_shape=None, pooling=None, classes=1000,
                          classifier_activation="softmax", include_preprocessing=True,
                          name=None, activation="swish", drop_connect_rate=0.2,
                          dropout_rate=0.2):
    """The EfficientNetV2 of ``variant`` (``"b0"``..``"b3"``, ``"s"``, ``"m"``, ``"l"``)."""
    width, depth, default_size = VARIANTS[variant]
    img_input = common.start(
        who, weights=weights, include_top=include_top, classes=classes, pooling=pooling,
        classifier_activation=classifier_activation, input_shape=input_shape,
        input_tensor=input_tensor, default_size=default_size, min_size=32)
    axis = common.channel_axis()
    x = img_input
    if include_preprocessing:
        x = preprocessing(x, variant, x.shape[axis])
    x = efficientnet_v2_features(x, STAGES["b" if variant.startswith("b") else variant],
                                 width, depth, activation, drop_connect_rate)
    x = classifier(x, include_top, pooling, classes, classifier_activation, dropout_rate)
    model = common.finish(input_tensor, img_input, x,
                          f"efficientnetv2-{variant}" if name is None else name)
    file_name = f"efficientnetv2-{variant}{'' if include_top else '_notop'}.h5"
    return common.load_weights(model, weights, file_name, BASE_WEIGHTS_PATH + file_name,
                               WEIGHTS_HASHES[variant][0 if include_top else 1])


def _efficientnet_v2(who, variant):
    def application(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                    pooling=None, classes=1000, classifier_activation="softmax",
                    include_preprocessing=True, name=f"efficientnetv2-{variant}"):
        return build_efficientnet_v2(who, variant, include_top, weights, input_tensor,
                                     input_shape, pooling, classes, classifier_activation,
                                     include_preprocessing, name)

    application.__name__ = application.__qualname__ = who
    application.__doc__ = application_doc(f"{who}, as ``keras.applications.{who}``.",
                                          VARIANTS[variant][2], preprocessing=True) \
        + common.example_doc(who)
    return application


EfficientNetV2B0 = _efficientnet_v2("EfficientNetV2B0", "b0")
EfficientNetV2B1 = _efficientnet_v2("EfficientNetV2B1", "b1")
EfficientNetV2B2 = _efficientnet_v2("EfficientNetV2B2", "b2")
EfficientNetV2B3 = _efficientnet_v2("EfficientNetV2B3", "b3")
EfficientNetV2S = _efficientnet_v2("EfficientNetV2S", "s")
EfficientNetV2M = _efficientnet_v2("EfficientNetV2M", "m")
EfficientNetV2L = _efficientnet_v2("EfficientNetV2L", "l")


preprocess_input = preprocess_input_identity


# The ImageNet class names, as every Keras application family re-exports them.
decode_predictions = imagenet_utils.decode_predictions


__all__ = ["EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3",
           "EfficientNetV2S", "EfficientNetV2M", "EfficientNetV2L", "preprocess_input",
           "decode_predictions"]
