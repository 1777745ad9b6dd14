"""``keras.applications.xception``: Xception.

Chollet, "Xception: Deep Learning with Depthwise Separable Convolutions" (CVPR
2017). An entry flow of strided separable blocks with 1x1-conv shortcuts, eight
middle blocks of three separable convolutions with identity shortcuts, and an
exit flow. Inputs are scaled with ``preprocess_input`` (``"tf"``).
"""

from jaxlayers import layers
from jaxlayers.applications import common, imagenet_utils

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/xception/"
# (file name, md5) of Keras's files: with the top, without it.
WEIGHTS = (("xception_weights_tf_dim_ordering_tf_kernels.h5",
            "0a58e3b7378bc2990ea3b43d5981f1f6"),
           ("xception_weights_tf_dim_ordering_tf_kernels_notop.h5",
            "b0042744bf5b25fce3cb969f33bebb97"))


def _separable_bn(x, filters, name):
    x = layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
    return layers.BatchNormalization(axis=common.channel_axis(), name=f"{name}_bn")(x)


def _strided_block(x, widths, block, first_relu=True):
    """Two separable convs and a strided max pooling, plus a strided 1x1-conv shortcut."""
    # Keras leaves the shortcut's layers and the sum unnamed.
    residual = layers.Conv2D(widths[1], (1, 1), strides=(2, 2), padding="same",
                             use_bias=False)(x)
    residual = layers.BatchNormalization(axis=common.channel_axis())(residual)
    if first_relu:
        x = layers.Activation("relu", name=f"block{block}_sepconv1_act")(x)
    x = _separable_bn(x, widths[0], f"block{block}_sepconv1")
    x = layers.Activation("relu", name=f"block{block}_sepconv2_act")(x)
    x = _separable_bn(x, widths[1], f"block{block}_sepconv2")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=f"block{block}_pool")(x)
    return layers.add([x, residual])


def Xception(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax", name="xception"):
    img_input = common.start(
        "Xception", weights=weights, include_top=include_top, classes=classes, pooling=pooling,
        classifier_activation=classifier_activation, input_shape=input_shape,
        input_tensor=input_tensor, default_size=299, min_size=71)
    channel_axis = common.channel_axis()
    x = layers.Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(img_input)
    x = layers.BatchNormalization(axis=channel_axis, name="block1_conv1_bn")(x)
    x = layers.Activation("relu", name="block1_conv1_act")(x)
    x = layers.Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = layers.BatchNormalization(axis=channel_axis, name="block1_conv2_bn")(x)
    x = layers.Activation("relu", name="block1_conv2_act")(x)
    x = _strided_block(x, (128, 128), 2, first_relu=False)
    x = _strided_block(x, (256, 256), 3)
    x = _strided_block(x, (728, 728), 4)
    for block in range(5, 13):
        residual = x
        for i in (1, 2, 3):
            x = layers.Activation("relu", name=f"block{block}_sepconv{i}_act")(x)
            x = _separable_bn(x, 728, f"block{block}_sepconv{i}")
        x = layers.add([x, residual])
    x = _strided_block(x, (728, 1024), 13)
    for i, width in ((1, 1536), (2, 2048)):
        x = _separable_bn(x, width, f"block14_sepconv{i}")
        x = layers.Activation("relu", name=f"block14_sepconv{i}_act")(x)
    x = common.pooled_top(x, include_top, pooling, classes, classifier_activation,
                          feature_names=(None, None))
    model = common.finish(input_tensor, img_input, x, name)
    file_name, file_hash = WEIGHTS[0 if include_top else 1]
    return common.load_weights(model, weights, file_name, _BASE + file_name, file_hash)


Xception.__doc__ = common.application_doc(
    "Xception, as ``keras.applications.Xception``.", 71, 299) + common.example_doc("Xception")


preprocess_input = imagenet_utils.preprocessor("tf")
decode_predictions = imagenet_utils.decode_predictions


__all__ = ["Xception", "preprocess_input", "decode_predictions"]
