"""``keras.applications.mobilenet``: MobileNet (V1).

Howard et al., "MobileNets: Efficient Convolutional Neural Networks for Mobile
Vision Applications" (2017). A 3x3 convolution, then 13 depthwise-separable
blocks (depthwise 3x3, pointwise 1x1, each with batch norm and ReLU6). ``alpha``
scales every width, ``depth_multiplier`` the depthwise channels. Inputs are
scaled with ``preprocess_input`` (``"tf"``: pixels to ``[-1, 1]``).
"""

from jaxlayers import layers
from jaxlayers.applications import common, imagenet_utils
from jaxlayers.core import args as _args

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/"
PRETRAINED_ALPHAS = (0.25, 0.5, 0.75, 1.0)
PRETRAINED_SIZES = (128, 160, 192, 224)
# (pointwise filters, stride) of the 13 depthwise-separable blocks.
_BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1),
           (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1))


def _separable_block(x, filters, alpha, depth_multiplier, stride, block_id):
    channel_axis = common.channel_axis()
    if stride == 1:
        padding = "same"
    else:
        # TF's "same" pads a stride-2 3x3 conv at the bottom right only.
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
        padding = "valid"
    x = layers.DepthwiseConv2D((3, 3), padding=padding, depth_multiplier=depth_multiplier,
                               strides=stride, use_bias=False, name=f"conv_dw_{block_id}")(x)
    x = layers.BatchNormalization(axis=channel_axis, name=f"conv_dw_{block_id}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = layers.Conv2D(int(filters * alpha), (1, 1), padding="same", use_bias=False,
                      name=f"conv_pw_{block_id}")(x)
    x = layers.BatchNormalization(axis=channel_axis, name=f"conv_pw_{block_id}_bn")(x)
    return layers.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


def MobileNet(input_shape=None, alpha=1.0, depth_multiplier=1, dropout=1e-3, include_top=True,
              weights="imagenet", input_tensor=None, pooling=None, classes=1000,
              classifier_activation="softmax", name=None):
    """MobileNet (V1), as ``keras.applications.MobileNet``.

    Args:
        input_shape: ``(height, width, channels)``, each size at least 32;
            with the top and ImageNet weights, square of a size in (128, 160,
            192, 224) (default 224).
        alpha: Width multiplier of every layer (0.25, 0.5, 0.75 or 1.0 with
            ImageNet weights).
        depth_multiplier: Channels per input channel of the depthwise
            convolutions (1 with ImageNet weights).
        dropout: Dropout rate before the classifier.
        include_top: Whether to end with the 1x1-convolution classifier.
        weights: ``None`` (random), ``"imagenet"`` or the path of a weights file.
        input_tensor: Optional symbolic tensor (``jl.Input``) to use as the image input.
        pooling: Without the top: ``None``, ``"avg"`` or ``"max"``.
        classes: Number of classes of the top (1000 with ImageNet weights).
        classifier_activation: Activation of the top (``None`` gives logits).
        name: The model's name (default ``"mobilenet_{alpha:.2f}_{rows}"``).

    Returns:
        A Functional ``jl.Model``.
    """
    who = "MobileNet"
    alpha = _args.positive_float(who, "alpha", alpha)
    depth_multiplier = _args.positive_int(who, "depth_multiplier", depth_multiplier)
    dropout = _args.rate(who, "dropout", dropout)
    common.check_imagenet_option(who, "alpha", alpha, PRETRAINED_ALPHAS, weights)
    common.check_imagenet_option(who, "depth_multiplier", depth_multiplier, (1,), weights)
    img_input = common.start(
        who, weights=weights, include_top=include_top, classes=classes, pooling=pooling,
        classifier_activation=classifier_activation, input_shape=input_shape,
        input_tensor=input_tensor, min_size=32,
        default_size=common.pretrained_size(input_shape, PRETRAINED_SIZES))
    rows = common.pretrained_rows(who, img_input, PRETRAINED_SIZES, weights)
    x = layers.Conv2D(int(32 * alpha), (3, 3), padding="same", use_bias=False, strides=(2, 2),
                      name="conv1")(img_input)
    x = layers.BatchNormalization(axis=common.channel_axis(), name="conv1_bn")(x)
    x = layers.ReLU(6.0, name="conv1_relu")(x)
    for block_id, (filters, stride) in enumerate(_BLOCKS, start=1):
        x = _separable_block(x, filters, alpha, depth_multiplier, stride, block_id)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        x = layers.Activation(classifier_activation, name="predictions")(x)
    else:
        x = common.feature_pooling(x, pooling, names=(None, None))
    model = common.finish(input_tensor, img_input, x, name or f"mobilenet_{alpha:0.2f}_{rows}")
    alpha_text = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0", 0.25: "2_5"}.get(alpha)
    file_name = f"mobilenet_{alpha_text}_{rows}_tf{'' if include_top else '_no_top'}.h5"
    # Keras publishes no hash for these files.
    return common.load_weights(model, weights, file_name, BASE_WEIGHT_PATH + file_name)


preprocess_input = imagenet_utils.preprocessor("tf")
decode_predictions = imagenet_utils.decode_predictions


MobileNet.__doc__ += common.example_doc("MobileNet")


__all__ = ["MobileNet", "preprocess_input", "decode_predictions"]
