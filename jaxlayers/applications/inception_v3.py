"""``keras.applications.inception_v3``: InceptionV3.

Szegedy et al., "Rethinking the Inception Architecture for Computer Vision"
(CVPR 2016). A convolutional stem, then eleven Inception modules (``mixed0`` to
``mixed10``) whose parallel branches are concatenated on the channel axis.
Every convolution is followed by batch norm (without scale) and ReLU; Keras
names these automatically, so their names depend only on the order built here,
which is Keras's. Inputs are scaled with ``preprocess_input`` (``"tf"``).
"""

from jaxlayers import layers
from jaxlayers.applications import common, imagenet_utils

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
# (file name, md5) of Keras's files: with the top, without it.
WEIGHTS = (("inception_v3_weights_tf_dim_ordering_tf_kernels.h5",
            "9a0d58056eeedaa3f26cb7ebd46da564"),
           ("inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
            "bcbd6486424b2319ff4ef7d526e38f63"))


def conv2d_bn(x, filters, kernel, strides=1, padding="same"):
    """Conv (no bias), batch norm without scale, ReLU; all named automatically."""
    x = layers.Conv2D(filters, kernel, strides=strides, padding=padding, use_bias=False)(x)
    x = layers.BatchNormalization(axis=common.channel_axis(), scale=False)(x)
    return layers.Activation("relu")(x)


def _chain(x, *convs):
    """``conv2d_bn`` applied in turn for each ``(filters, kernel)``."""
    for filters, kernel in convs:
        x = conv2d_bn(x, filters, kernel)
    return x


def _avg_branch(x, filters):
    x = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)
    return conv2d_bn(x, filters, 1)


def _concat(branches, name=None):
    return layers.concatenate(branches, axis=common.channel_axis(), name=name)


def _module_35(x, pool_filters, name):
    """Branches 1x1 | 1x1-5x5 | 1x1-3x3-3x3 | pool-1x1."""
    return _concat([conv2d_bn(x, 64, 1), _chain(x, (48, 1), (64, 5)),
                    _chain(x, (64, 1), (96, 3), (96, 3)), _avg_branch(x, pool_filters)], name)


def _module_17(x, width, name):
    """Branches 1x1 | factorized 7x7 | two factorized 7x7 | pool-1x1."""
    return _concat([conv2d_bn(x, 192, 1),
                    _chain(x, (width, 1), (width, (1, 7)), (192, (7, 1))),
                    _chain(x, (width, 1), (width, (7, 1)), (width, (1, 7)), (width, (7, 1)),
                           (192, (1, 7))),
                    _avg_branch(x, 192)], name)


def _module_8(x, i):
    """Branches 1x1 | 1x1 then split 1x3/3x1 | 1x1-3x3 then split | pool-1x1."""
    branch1x1 = conv2d_bn(x, 320, 1)
    branch3x3 = conv2d_bn(x, 384, 1)
    branch3x3 = _concat([conv2d_bn(branch3x3, 384, (1, 3)), conv2d_bn(branch3x3, 384, (3, 1))],
                        f"mixed9_{i}")
    double = _chain(x, (448, 1), (384, 3))
    double = _concat([conv2d_bn(double, 384, (1, 3)), conv2d_bn(double, 384, (3, 1))])
    return _concat([branch1x1, branch3x3, double, _avg_branch(x, 192)], f"mixed{9 + i}")


def inception_v3_features(img_input, pool_filters=(32, 64, 64), widths=(128, 160, 160, 192),
                          top_modules=2):
    """The InceptionV3 trunk, from the image to the last mixed module.

    The defaults build InceptionV3; fewer entries build a shallower trunk with the
    same kinds of modules (the tests train one that way).

    Args:
        img_input: The image tensor (a symbolic input).
        pool_filters: Filters of the pooled branch of each 35x35 module.
        widths: Width of the factorized 7x7 branches of each 17x17 module.
        top_modules: How many 8x8 modules end the trunk.

    Returns:
        The trunk's output tensor.
    """
    x = conv2d_bn(img_input, 32, 3, strides=2, padding="valid")
    x = conv2d_bn(x, 32, 3, padding="valid")
    x = conv2d_bn(x, 64, 3)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = conv2d_bn(x, 80, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, padding="valid")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    for i, filters in enumerate(pool_filters):
        x = _module_35(x, filters, f"mixed{i}")
    x = _concat([conv2d_bn(x, 384, 3, strides=2, padding="valid"),
                 conv2d_bn(_chain(x, (64, 1), (96, 3)), 96, 3, strides=2, padding="valid"),
                 layers.MaxPooling2D((3, 3), strides=(2, 2))(x)], "mixed3")
    for i, width in enumerate(widths):
        x = _module_17(x, width, f"mixed{4 + i}")
    x = _concat([conv2d_bn(conv2d_bn(x, 192, 1), 320, 3, strides=2, padding="valid"),
                 conv2d_bn(_chain(x, (192, 1), (192, (1, 7)), (192, (7, 1))), 192, 3,
                           strides=2, padding="valid"),
                 layers.MaxPooling2D((3, 3), strides=(2, 2))(x)], "mixed8")
    for i in range(top_modules):
        x = _module_8(x, i)
    return x


def InceptionV3(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="inception_v3"):
    img_input = common.start(
        "InceptionV3", weights=weights, include_top=include_top, classes=classes,
        pooling=pooling, classifier_activation=classifier_activation, input_shape=input_shape,
        input_tensor=input_tensor, default_size=299, min_size=75)
    x = inception_v3_features(img_input)
    x = common.pooled_top(x, include_top, pooling, classes, classifier_activation,
                          feature_names=(None, None))
    model = common.finish(input_tensor, img_input, x, name)
    file_name, file_hash = WEIGHTS[0 if include_top else 1]
    return common.load_weights(model, weights, file_name, _BASE + file_name, file_hash)


InceptionV3.__doc__ = common.application_doc(
    "InceptionV3, as ``keras.applications.InceptionV3``.", 75, 299) \
    + common.example_doc("InceptionV3")


preprocess_input = imagenet_utils.preprocessor("tf")
decode_predictions = imagenet_utils.decode_predictions


__all__ = ["InceptionV3", "preprocess_input", "decode_predictions"]
