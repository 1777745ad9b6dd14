"""EfficientNetB0 to EfficientNetB7 (Tan and Le, 2019).

EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks,
https://arxiv.org/abs/1905.11946. One baseline of inverted-residual (MBConv)
blocks with squeeze-and-excitation, scaled in width, depth and input size by
one coefficient per variant. The model takes raw ``[0, 255]`` pixels: it starts
with ``Rescaling(1/255)`` and a ``Normalization`` whose statistics are weights
(Keras's ImageNet files hold them), so ``preprocess_input`` is the identity.
Layer names, weight order and ``get_weights`` layout are Keras 3's.
"""

import math

from jaxlayers import initializers, layers
from jaxlayers.applications import common, imagenet_utils
from jaxlayers.applications._family import application_doc, preprocess_input_identity

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/keras-applications/"
# md5 of Keras's files: (with the top, without it).
WEIGHTS_HASHES = {
    "b0": ("902e53a9f72be733fc0bcb005b3ebbac", "50bc09e76180e00e4465e1a485ddc09d"),
    "b1": ("1d254153d4ab51201f1646940f018540", "74c4e6b3e1f6a1eea24c589628592432"),
    "b2": ("b15cce36ff4dcbd00b6dd88e7857a6ad", "111f8e2ac8aa800a7a99e3239f7bfb39"),
    "b3": ("ffd1fdc53d0ce67064dc6a9c7960ede0", "af6d107764bb5b1abb91932881670226"),
    "b4": ("18c95ad55216b8f92d7e70b3a046e2fc", "ebc24e6d6c33eaebbd558eafbeedf1ba"),
    "b5": ("ace28f2a6363774853a83a0b21b9421a", "38879255a25d3c92d5e44e04ae6cec6f"),
    "b6": ("165f6e37dce68623721b423839de8be5", "9ecce42647a20130c1f39a5d4cb75743"),
    "b7": ("8c03f828fec3ef71311cd463b6759d99", "cbcfe4450ddf6f3ad90b1b398090fe4a"),
}

# (width coefficient, depth coefficient, default input size, top dropout rate).
VARIANTS = {
    "b0": (1.0, 1.0, 224, 0.2),
    "b1": (1.0, 1.1, 240, 0.2),
    "b2": (1.1, 1.2, 260, 0.3),
    "b3": (1.2, 1.4, 300, 0.3),
    "b4": (1.4, 1.8, 380, 0.4),
    "b5": (1.6, 2.2, 456, 0.4),
    "b6": (1.8, 2.6, 528, 0.5),
    "b7": (2.0, 3.1, 600, 0.5),
}

# The baseline's stages: (kernel size, repeats, filters in, filters out,
# expansion ratio, stride of the first block); all use SE ratio 0.25.
STAGES = (
    (3, 1, 32, 16, 1, 1),
    (3, 2, 16, 24, 6, 2),
    (5, 2, 24, 40, 6, 2),
    (3, 3, 40, 80, 6, 2),
    (5, 3, 80, 112, 6, 1),
    (5, 4, 112, 192, 6, 2),
    (3, 1, 192, 320, 6, 1),
)
SE_RATIO = 0.25


def conv_initializer():
    """He-style truncated normal over the fan-out, the initializer of every conv."""
    return initializers.VarianceScaling(scale=2.0, mode="fan_out",
                                        distribution="truncated_normal")


def dense_initializer():
    """Uniform with a third of the fan-out variance, the classifier's initializer."""
    return initializers.VarianceScaling(scale=1.0 / 3.0, mode="fan_out",
                                        distribution="uniform")


# Keras's ImageNet statistics: the ImageNet files store the variance as the
# standard deviation, which the model undoes with a second Rescaling.
IMAGENET_STDDEV_RGB = (0.229, 0.224, 0.225)


def round_filters(filters, width, divisor=8):
    """Scales ``filters`` by ``width`` to a multiple of ``divisor``, losing at most 10%."""
    scaled = filters * width
    rounded = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * scaled:
        rounded += divisor
    return int(rounded)


def squeeze_excite(x, filters, filters_se, activation, name):
    """Channel gates from the pooled features (two 1x1 convs), multiplied into ``x``."""
    axis = common.channel_axis()
    se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
    se_shape = (1, 1, filters) if axis == 3 else (filters, 1, 1)
    se = layers.Reshape(se_shape, name=f"{name}se_reshape")(se)
    se = layers.Conv2D(filters_se, 1, padding="same", activation=activation,
                       kernel_initializer=conv_initializer(), name=f"{name}se_reduce")(se)
    se = layers.Conv2D(filters, 1, padding="same", activation="sigmoid",
                       kernel_initializer=conv_initializer(), name=f"{name}se_expand")(se)
    return layers.multiply([x, se], name=f"{name}se_excite")


def conv_bn(x, filters, kernel_size, name, strides=1, activation=None, momentum=0.99,
            bn_name=None):
    """A bias-free conv and its batch norm (and activation when given)."""
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding="same", use_bias=False,
                      kernel_initializer=conv_initializer(), name=f"{name}_conv")(x)
    x = layers.BatchNormalization(axis=common.channel_axis(), momentum=momentum,
                                  name=bn_name or f"{name}_bn")(x)
    if activation is not None:
        x = layers.Activation(activation, name=f"{name}_activation")(x)
    return x


def residual(x, inputs, drop_rate, name):
    """Adds the block's input back, after stochastic depth (whole-sample dropout)."""
    if drop_rate > 0:
        x = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
    return layers.add([x, inputs], name=f"{name}add")


def mbconv_block(inputs, activation, drop_rate, name, filters_in, filters_out, kernel_size,
                 strides, expand_ratio):
    """An inverted-residual block: expand, depthwise conv, SE, project (EfficientNet V1)."""
    axis = common.channel_axis()
    filters = filters_in * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = conv_bn(x, filters, 1, f"{name}expand", activation=activation)
    padding = "same"
    if strides == 2:
        x = layers.ZeroPadding2D(padding=common.correct_pad(x, kernel_size),
                                 name=f"{name}dwconv_pad")(x)
        padding = "valid"
    x = layers.DepthwiseConv2D(kernel_size, strides=strides, padding=padding, use_bias=False,
                               depthwise_initializer=conv_initializer(),
                               name=f"{name}dwconv")(x)
    x = layers.BatchNormalization(axis=axis, name=f"{name}bn")(x)
    x = layers.Activation(activation, name=f"{name}activation")(x)
    x = squeeze_excite(x, filters, max(1, int(filters_in * SE_RATIO)), activation, name)
    x = conv_bn(x, filters_out, 1, f"{name}project")
    if strides == 1 and filters_in == filters_out:
        x = residual(x, inputs, drop_rate, name)
    return x


def classifier(x, include_top, pooling, classes, classifier_activation, dropout_rate):
    """The EfficientNet top: pooling, dropout and the ``predictions`` Dense."""
    if not include_top:
        return common.feature_pooling(x, pooling)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if dropout_rate > 0:
        x = layers.Dropout(dropout_rate, name="top_dropout")(x)
    return layers.Dense(classes, activation=classifier_activation,
                        kernel_initializer=dense_initializer(), name="predictions")(x)


def build_efficientnet(who, variant, include_top=True, weights="imagenet", input_tensor=None,
                       input_shape=None, pooling=None, classes=1000,
                       classifier_activation="softmax", name=None, activation="swish",
                       drop_connect_rate=0.2):
    """The EfficientNet of ``variant`` (``"b0"`` to ``"b7"``); arguments as EfficientNetB0."""
    width, depth, default_size, dropout_rate = VARIANTS[variant]
    img_input = common.start(
        who, weights=weights, include_top=include_top, classes=classes, pooling=pooling,
        classifier_activation=classifier_activation, input_shape=input_shape,
        input_tensor=input_tensor, default_size=default_size, min_size=32)
    axis = common.channel_axis()
    x = layers.Rescaling(1.0 / 255.0)(img_input)
    x = layers.Normalization(axis=axis)(x)
    if weights == "imagenet":
        x = layers.Rescaling([1.0 / math.sqrt(s) for s in IMAGENET_STDDEV_RGB])(x)
    x = layers.ZeroPadding2D(padding=common.correct_pad(x, 3), name="stem_conv_pad")(x)
    x = layers.Conv2D(round_filters(32, width), 3, strides=2, padding="valid", use_bias=False,
                      kernel_initializer=conv_initializer(), name="stem_conv")(x)
    x = layers.BatchNormalization(axis=axis, name="stem_bn")(x)
    x = layers.Activation(activation, name="stem_activation")(x)

    repeats = [int(math.ceil(depth * stage[1])) for stage in STAGES]
    total, done = float(sum(repeats)), 0
    for i, ((kernel, _, f_in, f_out, expand, stride), count) in enumerate(zip(STAGES, repeats)):
        f_in, f_out = round_filters(f_in, width), round_filters(f_out, width)
        for j in range(count):
            x = mbconv_block(x, activation, drop_connect_rate * done / total,
                             f"block{i + 1}{chr(ord('a') + j)}_",
                             f_in if j == 0 else f_out, f_out, kernel,
                             stride if j == 0 else 1, expand)
            done += 1
    x = conv_bn(x, round_filters(1280, width), 1, "top", activation=activation)
    x = classifier(x, include_top, pooling, classes, classifier_activation, dropout_rate)
    name = f"efficientnet{variant}" if name is None else name
    model = common.finish(input_tensor, img_input, x, name)
    file_name = f"efficientnet{variant}{'' if include_top else '_notop'}.h5"
    return common.load_weights(model, weights, file_name, BASE_WEIGHTS_PATH + file_name,
                               WEIGHTS_HASHES[variant][0 if include_top else 1])


def _efficientnet(who, variant):
    def application(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                    pooling=None, classes=1000, classifier_activation="softmax",
                    name=f"efficientnet{variant}"):
        return build_efficientnet(who, variant, include_top, weights, input_tensor,
                                  input_shape, pooling, classes, classifier_activation, name)

    application.__name__ = application.__qualname__ = who
    application.__doc__ = application_doc(
        f"{who}, as ``keras.applications.{who}``; it takes raw ``[0, 255]`` pixels.",
        VARIANTS[variant][2]) + common.example_doc(who)
    return application


EfficientNetB0 = _efficientnet("EfficientNetB0", "b0")
EfficientNetB1 = _efficientnet("EfficientNetB1", "b1")
EfficientNetB2 = _efficientnet("EfficientNetB2", "b2")
EfficientNetB3 = _efficientnet("EfficientNetB3", "b3")
EfficientNetB4 = _efficientnet("EfficientNetB4", "b4")
EfficientNetB5 = _efficientnet("EfficientNetB5", "b5")
EfficientNetB6 = _efficientnet("EfficientNetB6", "b6")
EfficientNetB7 = _efficientnet("EfficientNetB7", "b7")


preprocess_input = preprocess_input_identity


# The ImageNet class names, as every Keras application family re-exports them.
decode_predictions = imagenet_utils.decode_predictions


__all__ = [f"EfficientNetB{i}" for i in range(8)] + ["preprocess_input", "decode_predictions"]
