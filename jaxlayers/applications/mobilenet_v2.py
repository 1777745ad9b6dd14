"""``keras.applications.mobilenet_v2``: MobileNetV2.

Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks" (CVPR
2018). Inverted residual blocks: a 1x1 expansion, a 3x3 depthwise convolution
and a linear 1x1 projection, with a shortcut where shapes allow. ``alpha``
scales the widths. Inputs are scaled with ``preprocess_input`` (``"tf"``).
"""

from jaxlayers import layers
from jaxlayers.applications import common, imagenet_utils
from jaxlayers.core import args as _args

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"
PRETRAINED_ALPHAS = (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)
PRETRAINED_SIZES = (96, 128, 160, 192, 224)
# (filters, stride, expansion) of the 17 inverted residual blocks.
_BLOCKS = ((16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6), (64, 2, 6),
           (64, 1, 6), (64, 1, 6), (64, 1, 6), (96, 1, 6), (96, 1, 6), (96, 1, 6),
           (160, 2, 6), (160, 1, 6), (160, 1, 6), (320, 1, 6))


def _bn(name):
    return layers.BatchNormalization(axis=common.channel_axis(), epsilon=1e-3, momentum=0.999,
                                     name=name)


def _inverted_residual(inputs, expansion, stride, alpha, filters, block_id):
    in_channels = inputs.shape[common.channel_axis()]
    out_channels = common.make_divisible(int(filters * alpha), 8)
    x = inputs
    if block_id:
        prefix = f"block_{block_id}_"
        x = layers.Conv2D(expansion * in_channels, kernel_size=1, padding="same",
                          use_bias=False, name=f"{prefix}expand")(x)
        x = layers.ReLU(6.0, name=f"{prefix}expand_relu")(_bn(f"{prefix}expand_BN")(x))
    else:
        prefix = "expanded_conv_"
    if stride == 2:
        x = layers.ZeroPadding2D(padding=common.correct_pad(x, 3), name=f"{prefix}pad")(x)
    x = layers.DepthwiseConv2D(kernel_size=3, strides=stride, use_bias=False,
                               padding="same" if stride == 1 else "valid",
                               name=f"{prefix}depthwise")(x)
    x = layers.ReLU(6.0, name=f"{prefix}depthwise_relu")(_bn(f"{prefix}depthwise_BN")(x))
    x = layers.Conv2D(out_channels, kernel_size=1, padding="same", use_bias=False,
                      name=f"{prefix}project")(x)
    x = _bn(f"{prefix}project_BN")(x)
    if in_channels == out_channels and stride == 1:
        return layers.Add(name=f"{prefix}add")([inputs, x])
    return x


def MobileNetV2(input_shape=None, alpha=1.0, include_top=True, weights="imagenet",
                input_tensor=None, pooling=None, classes=1000,
                classifier_activation="softmax", name=None):
    """MobileNetV2, as ``keras.applications.MobileNetV2``.

    Args:
        input_shape: ``(height, width, channels)``, each size at least 32;
            with the top and ImageNet weights, square of a size in (96, 128,
            160, 192, 224) (default 224).
        alpha: Width multiplier (0.35, 0.5, 0.75, 1.0, 1.3 or 1.4 with ImageNet weights).
        include_top: Whether to end with global average pooling and the
            ``predictions`` Dense layer.
        weights: ``None`` (random), ``"imagenet"`` or the path of a weights file.
        input_tensor: Optional symbolic tensor (``jl.Input``) to use as the image input.
        pooling: Without the top: ``None``, ``"avg"`` or ``"max"``.
        classes: Number of classes of the top (1000 with ImageNet weights).
        classifier_activation: Activation of the top (``None`` gives logits).
        name: The model's name (default ``"mobilenetv2_{alpha:.2f}_{rows}"``).

    Returns:
        A Functional ``jl.Model``.
    """
    who = "MobileNetV2"
    alpha = _args.positive_float(who, "alpha", alpha)
    common.check_imagenet_option(who, "alpha", alpha, PRETRAINED_ALPHAS, weights)
    common.check_input_tensor(who, input_shape, input_tensor)
    img_input = common.start(
        who, weights=weights, include_top=include_top, classes=classes, pooling=pooling,
        classifier_activation=classifier_activation, input_shape=input_shape,
        input_tensor=input_tensor, min_size=32,
        default_size=common.pretrained_size(input_shape, PRETRAINED_SIZES, input_tensor))
    rows = common.pretrained_rows(who, img_input, PRETRAINED_SIZES, weights)
    x = layers.Conv2D(common.make_divisible(32 * alpha, 8), kernel_size=3, strides=(2, 2),
                      padding="same", use_bias=False, name="Conv1")(img_input)
    x = layers.ReLU(6.0, name="Conv1_relu")(_bn("bn_Conv1")(x))
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = _inverted_residual(x, expansion, stride, alpha, filters, block_id)
    last_filters = common.make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = layers.Conv2D(last_filters, kernel_size=1, use_bias=False, name="Conv_1")(x)
    x = layers.ReLU(6.0, name="out_relu")(_bn("Conv_1_bn")(x))
    x = common.pooled_top(x, include_top, pooling, classes, classifier_activation,
                          pool_name=None, feature_names=(None, None))
    model = common.finish(input_tensor, img_input, x, name or f"mobilenetv2_{alpha:0.2f}_{rows}")
    file_name = (f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}"
                 f"{'' if include_top else '_no_top'}.h5")
    # Keras publishes no hash for these files.
    return common.load_weights(model, weights, file_name, BASE_WEIGHT_PATH + file_name)


preprocess_input = imagenet_utils.preprocessor("tf")
decode_predictions = imagenet_utils.decode_predictions


MobileNetV2.__doc__ += common.example_doc("MobileNetV2")


__all__ = ["MobileNetV2", "preprocess_input", "decode_predictions"]
