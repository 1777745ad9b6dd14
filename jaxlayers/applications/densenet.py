"""DenseNet121, DenseNet169 and DenseNet201 (Huang et al., 2017).

Densely Connected Convolutional Networks, https://arxiv.org/abs/1608.06993.
Every layer of a dense block sees the concatenation of all earlier outputs of
the block; transition blocks halve the channels and the resolution between
blocks. Layer names, weight order and ``get_weights`` layout are Keras 3's, so
Keras's weight files and ``get_weights()`` lists load unchanged.
"""

from jaxlayers import layers
from jaxlayers.applications import common, imagenet_utils
from jaxlayers.applications._family import application_doc, channels_last_only

_BN_EPSILON = 1.001e-5
_GROWTH_RATE = 32

# Numbers of conv blocks in the four dense blocks of each depth.
_BLOCKS = {
    "densenet121": (6, 12, 24, 16),
    "densenet169": (6, 12, 32, 32),
    "densenet201": (6, 12, 48, 32),
}


def _bn_relu(x, prefix):
    x = layers.BatchNormalization(axis=-1, epsilon=_BN_EPSILON, name=f"{prefix}_bn")(x)
    return layers.Activation("relu", name=f"{prefix}_relu")(x)


def _conv_block(x, name):
    """Bottleneck (1x1 then 3x3) whose ``_GROWTH_RATE`` new channels join ``x``."""
    y = _bn_relu(x, f"{name}_0")
    y = layers.Conv2D(4 * _GROWTH_RATE, 1, use_bias=False, name=f"{name}_1_conv")(y)
    y = _bn_relu(y, f"{name}_1")
    y = layers.Conv2D(_GROWTH_RATE, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(y)
    return layers.Concatenate(axis=-1, name=f"{name}_concat")([x, y])


def _transition(x, name):
    """Halves the channels (1x1 conv) and the resolution (2x2 average pool)."""
    x = _bn_relu(x, name)
    x = layers.Conv2D(int(x.shape[-1] * 0.5), 1, use_bias=False, name=f"{name}_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def densenet_features(img_input, blocks):
    """The convolutional trunk, from the image to the last ReLU."""
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)))(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = _bn_relu(x, "conv1")
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    for stage, count in enumerate(blocks, start=2):
        for i in range(count):
            x = _conv_block(x, f"conv{stage}_block{i + 1}")
        if stage < 5:
            x = _transition(x, f"pool{stage}")
    x = layers.BatchNormalization(axis=-1, epsilon=_BN_EPSILON, name="bn")(x)
    return layers.Activation("relu", name="relu")(x)


BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/densenet/"
# md5 of Keras's files: (with the top, without it).
WEIGHTS_HASHES = {
    "densenet121": ("9d60b8095a5708f2dcce2bca79d332c7", "30ee3e1110167f948a6b9946edeeb738"),
    "densenet169": ("d699b8f76981ab1b30698df4c175e90b", "b8c4d4c20dd625c148057b9ff1c1176b"),
    "densenet201": ("1ceb130c1ea1b78c3bf6114dbdfd8807", "c13680b51ded0fb44dff2d8f86ac8bb1"),
}


def build_densenet(who, variant, include_top=True, weights="imagenet", input_tensor=None,
                   input_shape=None, pooling=None, classes=1000,
                   classifier_activation="softmax", name=None):
    """The DenseNet of ``variant`` (a key of ``WEIGHTS_HASHES``); arguments as DenseNet121."""
    channels_last_only(who)
    img_input = common.start(
        who, weights=weights, include_top=include_top, classes=classes, pooling=pooling,
        classifier_activation=classifier_activation, input_shape=input_shape,
        input_tensor=input_tensor, default_size=224, min_size=32)
    x = densenet_features(img_input, _BLOCKS[variant])
    x = common.pooled_top(x, include_top, pooling, classes, classifier_activation)
    model = common.finish(input_tensor, img_input, x, variant if name is None else name)
    suffix = "" if include_top else "_notop"
    file_name = f"{variant}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
    return common.load_weights(model, weights, file_name, BASE_WEIGHTS_PATH + file_name,
                               WEIGHTS_HASHES[variant][0 if include_top else 1])


def _densenet(who, variant):
    def application(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                    pooling=None, classes=1000, classifier_activation="softmax", name=variant):
        return build_densenet(who, variant, include_top, weights, input_tensor, input_shape,
                              pooling, classes, classifier_activation, name)

    application.__name__ = application.__qualname__ = who
    application.__doc__ = application_doc(
        f"{who}: the DenseNet with {sum(_BLOCKS[variant])} dense blocks, as "
        f"``keras.applications.{who}``.", 224) + common.example_doc(who)
    return application


DenseNet121 = _densenet("DenseNet121", "densenet121")
DenseNet169 = _densenet("DenseNet169", "densenet169")
DenseNet201 = _densenet("DenseNet201", "densenet201")


def preprocess_input(x, data_format=None):
    """DenseNet's input scaling: ``imagenet_utils.preprocess_input`` with ``mode="torch"``.

    Args:
        x: Input array.
        data_format: ``'channels_last'`` or ``'channels_first'``; ``None`` reads
            ``jl.config.image_data_format()``.

    Example:
        >>> float(preprocess_input(np.full((1, 1, 1, 3), 255.0))[0, 0, 0, 0])  # doctest: +ELLIPSIS
        2.24...
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="torch")


# The ImageNet class names, as every Keras application family re-exports them.
decode_predictions = imagenet_utils.decode_predictions


__all__ = ["DenseNet121", "DenseNet169", "DenseNet201", "preprocess_input",
           "decode_predictions"]
