"""``keras.applications.inception_resnet_v2``: InceptionResNetV2.

Szegedy et al., "Inception-v4, Inception-ResNet and the Impact of Residual
Connections on Learning" (AAAI 2017). Inception modules whose concatenated
branches are projected by a 1x1 conv, scaled, and added to the module's input
(``CustomScaleLayer``): ten ``block35``, twenty ``block17`` and ten ``block8``.
Inputs are scaled with ``preprocess_input`` (``"tf"``).
"""

from jaxlayers import layers
from jaxlayers.applications import common, imagenet_utils
from jaxlayers.core import args as _args
from jaxlayers.core.layer import Layer
from jaxlayers.core.serialization import register_builtin

BASE_WEIGHT_URL = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                   "inception_resnet_v2/")
# (file name, md5) of Keras's files: with the top, without it.
WEIGHTS = (("inception_resnet_v2_weights_tf_dim_ordering_tf_kernels.h5",
            "e693bd0210a403b3192acc6073ad2e96"),
           ("inception_resnet_v2_weights_tf_dim_ordering_tf_kernels_notop.h5",
            "d19885ff4a710c122648d3b5c3b684e4"))


@register_builtin("layers")
class CustomScaleLayer(Layer):
    """``inputs[0] + scale * inputs[1]``: the scaled residual sum of InceptionResNetV2.

    The class keeps Keras's name, so its layers are named (``custom_scale_layer``)
    and serialized as Keras's are.

    Args:
        scale: Finite float, the factor of the residual branch.

    Example:
        >>> layer = CustomScaleLayer(0.5)
        >>> layer([jnp.ones((1, 2)), jnp.ones((1, 2))]).tolist()
        [[1.5, 1.5]]
    """

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        self.scale = _args.finite_float(_args.owner(self), "scale", scale)

    def call(self, inputs):
        return inputs[0] + inputs[1] * self.scale

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


def conv2d_bn(x, filters, kernel_size, strides=1, padding="same", activation="relu",
              use_bias=False, name=None):
    """Conv, then batch norm without scale (when there is no bias), then ``activation``."""
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding,
                      use_bias=use_bias, name=name)(x)
    if not use_bias:
        x = layers.BatchNormalization(axis=common.channel_axis(), scale=False,
                                      name=None if name is None else f"{name}_bn")(x)
    if activation is not None:
        x = layers.Activation(activation, name=None if name is None else f"{name}_ac")(x)
    return x


def _chain(x, *convs):
    for filters, kernel in convs:
        x = conv2d_bn(x, filters, kernel)
    return x


# The branches of each residual block type, as chains of (filters, kernel).
_BRANCHES = {
    "block35": (((32, 1),), ((32, 1), (32, 3)), ((32, 1), (48, 3), (64, 3))),
    "block17": (((192, 1),), ((128, 1), (160, (1, 7)), (192, (7, 1)))),
    "block8": (((192, 1),), ((192, 1), (224, (1, 3)), (256, (3, 1)))),
}


def inception_resnet_block(x, scale, block_type, block_idx, activation="relu"):
    """One residual Inception block: ``activation(x + scale * conv1x1(concat(branches)))``.

    Args:
        x: The block's input.
        scale: Factor of the residual branch.
        block_type: ``"block35"``, ``"block17"`` or ``"block8"``.
        block_idx: Index within its type, part of the layer names.
        activation: Activation after the sum (``None`` for none).
    """
    _args.one_of("inception_resnet_block", "block_type", block_type, tuple(_BRANCHES))
    channel_axis = common.channel_axis()
    name = f"{block_type}_{block_idx}"
    branches = [_chain(x, *chain) for chain in _BRANCHES[block_type]]
    mixed = layers.Concatenate(axis=channel_axis, name=f"{name}_mixed")(branches)
    up = conv2d_bn(mixed, x.shape[channel_axis], 1, activation=None, use_bias=True,
                   name=f"{name}_conv")
    x = CustomScaleLayer(scale)([x, up])
    if activation is not None:
        x = layers.Activation(activation, name=f"{name}_ac")(x)
    return x


def inception_resnet_v2_features(img_input, repeats=(10, 20, 10)):
    """The InceptionResNetV2 trunk, from the image to ``conv_7b``.

    Args:
        img_input: The image tensor (a symbolic input).
        repeats: How many residual blocks of each kind (35x35, 17x17, 8x8) the
            trunk has; the last 8x8 block has no activation. The defaults build
            InceptionResNetV2; smaller counts a shallower trunk of the same blocks.

    Returns:
        The trunk's output tensor.
    """
    channel_axis = common.channel_axis()
    x = conv2d_bn(img_input, 32, 3, strides=2, padding="valid")
    x = conv2d_bn(x, 32, 3, padding="valid")
    x = conv2d_bn(x, 64, 3)
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = conv2d_bn(x, 80, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, padding="valid")
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = layers.Concatenate(axis=channel_axis, name="mixed_5b")([
        conv2d_bn(x, 96, 1), _chain(x, (48, 1), (64, 5)), _chain(x, (64, 1), (96, 3), (96, 3)),
        conv2d_bn(layers.AveragePooling2D(3, strides=1, padding="same")(x), 64, 1)])
    for block_idx in range(1, repeats[0] + 1):
        x = inception_resnet_block(x, 0.17, "block35", block_idx)
    x = layers.Concatenate(axis=channel_axis, name="mixed_6a")([
        conv2d_bn(x, 384, 3, strides=2, padding="valid"),
        conv2d_bn(_chain(x, (256, 1), (256, 3)), 384, 3, strides=2, padding="valid"),
        layers.MaxPooling2D(3, strides=2, padding="valid")(x)])
    for block_idx in range(1, repeats[1] + 1):
        x = inception_resnet_block(x, 0.1, "block17", block_idx)
    x = layers.Concatenate(axis=channel_axis, name="mixed_7a")([
        conv2d_bn(conv2d_bn(x, 256, 1), 384, 3, strides=2, padding="valid"),
        conv2d_bn(conv2d_bn(x, 256, 1), 288, 3, strides=2, padding="valid"),
        conv2d_bn(_chain(x, (256, 1), (288, 3)), 320, 3, strides=2, padding="valid"),
        layers.MaxPooling2D(3, strides=2, padding="valid")(x)])
    for block_idx in range(1, repeats[2]):
        x = inception_resnet_block(x, 0.2, "block8", block_idx)
    x = inception_resnet_block(x, 1.0, "block8", repeats[2], activation=None)
    x = conv2d_bn(x, 1536, 1, name="conv_7b")
    return x


def InceptionResNetV2(include_top=True, weights="imagenet", input_tensor=None,
                      input_shape=None, pooling=None, classes=1000,
                      classifier_activation="softmax", name="inception_resnet_v2"):
    img_input = common.start(
        "InceptionResNetV2", weights=weights, include_top=include_top, classes=classes,
        pooling=pooling, classifier_activation=classifier_activation, input_shape=input_shape,
        input_tensor=input_tensor, default_size=299, min_size=75)
    x = inception_resnet_v2_features(img_input)
    x = common.pooled_top(x, include_top, pooling, classes, classifier_activation,
                          feature_names=(None, None))
    model = common.finish(input_tensor, img_input, x, name)
    file_name, file_hash = WEIGHTS[0 if include_top else 1]
    return common.load_weights(model, weights, file_name, BASE_WEIGHT_URL + file_name,
                               file_hash)


InceptionResNetV2.__doc__ = common.application_doc(
    "InceptionResNetV2, as ``keras.applications.InceptionResNetV2``.", 75, 299) \
    + common.example_doc("InceptionResNetV2")


preprocess_input = imagenet_utils.preprocessor("tf")
decode_predictions = imagenet_utils.decode_predictions


__all__ = ["InceptionResNetV2", "CustomScaleLayer", "preprocess_input", "decode_predictions"]
