"""``keras.applications.resnet``: ResNet50, ResNet101 and ResNet152, and the ResNet builder.

He et al., "Deep Residual Learning for Image Recognition" (CVPR 2016), and
"Identity Mappings in Deep Residual Networks" (ECCV 2016) for the V2 blocks
(``resnet_v2`` uses :func:`build_resnet` with ``preact=True``).

Layer names follow Keras (``conv1_conv``, ``conv2_block1_1_conv``, ...), so
Keras's weight files and ``get_weights`` lists fit. Inputs are scaled with
``preprocess_input`` (``"caffe"``: BGR, mean-centred, not scaled).
"""

from jaxlayers import layers
from jaxlayers.applications import common, imagenet_utils

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
# md5 of Keras's files: (with the top, without it).
WEIGHTS_HASHES = {
    "resnet50": ("2cb95161c43110f7111970584f804107", "4d473c1dd8becc155b73f8504c6f6626"),
    "resnet101": ("f1aeb4b969a6efcfb50fad2f0c20cfc5", "88cf7a10940856eca736dc7b7e228a21"),
    "resnet152": ("100835be76be38e30d865e96f2aaae62", "ee4c566cf9a93f14d82f913c2dc6dd0c"),
    "resnet50v2": ("3ef43a0b657b3be2300d5770ece849e0", "fac2f116257151a9d068a22e544a4917"),
    "resnet101v2": ("6343647c601c52e1368623803854d971", "c0ed64b8031c3730f411d2eb4eea35b5"),
    "resnet152v2": ("a49b44d1979771252814e80f8ec446f9", "ed17cf2e0169df9d443503ef94b23b33"),
}
_EPSILON = 1.001e-5  # the batch-norm epsilon of the original Caffe models

def _bn(name):
    return layers.BatchNormalization(axis=common.channel_axis(), epsilon=_EPSILON, name=name)


def block_v1(x, filters, kernel_size=3, stride=1, conv_shortcut=True, name=None):
    """A bottleneck block, batch norm after each conv, ReLU after the sum."""
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = _bn(f"{name}_0_bn")(shortcut)
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(_bn(f"{name}_1_bn")(x))
    x = layers.Conv2D(filters, kernel_size, padding="same", name=f"{name}_2_conv")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(_bn(f"{name}_2_bn")(x))
    x = _bn(f"{name}_3_bn")(layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x))
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def stack_v1(x, filters, blocks, stride1=2, name=None):
    """``blocks`` V1 blocks; the first has the projection shortcut and the stride."""
    x = block_v1(x, filters, stride=stride1, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        x = block_v1(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def block_v2(x, filters, kernel_size=3, stride=1, conv_shortcut=False, name=None):
    """A pre-activation bottleneck block (batch norm and ReLU before each conv)."""
    preact = layers.Activation("relu", name=f"{name}_preact_relu")(_bn(f"{name}_preact_bn")(x))
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(preact)
    else:
        # Keras leaves this pooling unnamed; it has no weights.
        shortcut = layers.MaxPooling2D(1, strides=stride)(x) if stride > 1 else x
    x = layers.Conv2D(filters, 1, strides=1, use_bias=False, name=f"{name}_1_conv")(preact)
    x = layers.Activation("relu", name=f"{name}_1_relu")(_bn(f"{name}_1_bn")(x))
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name=f"{name}_2_pad")(x)
    x = layers.Conv2D(filters, kernel_size, strides=stride, use_bias=False,
                      name=f"{name}_2_conv")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(_bn(f"{name}_2_bn")(x))
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    return layers.Add(name=f"{name}_out")([shortcut, x])


def stack_v2(x, filters, blocks, stride1=2, name=None):
    """``blocks`` V2 blocks; the first projects the shortcut, the last has the stride."""
    x = block_v2(x, filters, conv_shortcut=True, name=f"{name}_block1")
    for i in range(2, blocks):
        x = block_v2(x, filters, name=f"{name}_block{i}")
    return block_v2(x, filters, stride=stride1, name=f"{name}_block{blocks}")


def build_resnet(who, depths, preact, include_top=True, weights="imagenet", input_tensor=None,
                 input_shape=None, pooling=None, classes=1000,
                 classifier_activation="softmax", name="resnet", weights_name=None):
    """A ResNet with ``depths`` blocks in its four stages (V2 when ``preact``).

    Args:
        who: How error messages name the application (``"ResNet50"``).
        depths: Blocks per stage, e.g. ``(3, 4, 6, 3)``.
        preact: Pre-activation (V2) blocks, and a final batch norm and ReLU.
        weights_name: Key of the ImageNet file in ``WEIGHTS_HASHES``.
        Others: as :func:`ResNet50`.
    """
    img_input = common.start(
        who, weights=weights, include_top=include_top, classes=classes, pooling=pooling,
        classifier_activation=classifier_activation, input_shape=input_shape,
        input_tensor=input_tensor, default_size=224, min_size=32)
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=True, name="conv1_conv")(x)
    if not preact:
        x = layers.Activation("relu", name="conv1_relu")(_bn("conv1_bn")(x))
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    stack, strides = (stack_v2, (2, 2, 2, 1)) if preact else (stack_v1, (1, 2, 2, 2))
    for stage, (filters, blocks, stride) in enumerate(zip((64, 128, 256, 512), depths,
                                                          strides)):
        x = stack(x, filters, blocks, stride1=stride, name=f"conv{stage + 2}")
    if preact:
        x = layers.Activation("relu", name="post_relu")(_bn("post_bn")(x))
    x = common.pooled_top(x, include_top, pooling, classes, classifier_activation)
    model = common.finish(input_tensor, img_input, x, name)
    suffix = "" if include_top else "_notop"
    file_name = f"{weights_name}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
    return common.load_weights(model, weights, file_name, BASE_WEIGHTS_PATH + file_name,
                               WEIGHTS_HASHES[weights_name][0 if include_top else 1])


def resnet_application(who, depths, weights_name, preact=False):
    """The public function of one ResNet depth (``ResNet50``, ``ResNet50V2``, ...)."""
    kind = "pre-activation ResNet" if preact else "ResNet (V1)"

    def application(include_top=True, weights="imagenet", input_tensor=None,
                    input_shape=None, pooling=None, classes=1000,
                    classifier_activation="softmax", name=weights_name):
        return build_resnet(who, depths, preact, include_top, weights, input_tensor,
                            input_shape, pooling, classes, classifier_activation, name,
                            weights_name)

    application.__name__ = application.__qualname__ = who
    application.__doc__ = common.application_doc(
        f"{who}: the {sum(depths) * 3 + 2}-layer {kind}, as ``keras.applications.{who}``.",
        32, 224) + common.example_doc(who)
    return application


ResNet50 = resnet_application("ResNet50", (3, 4, 6, 3), "resnet50")
ResNet101 = resnet_application("ResNet101", (3, 4, 23, 3), "resnet101")
ResNet152 = resnet_application("ResNet152", (3, 8, 36, 3), "resnet152")


preprocess_input = imagenet_utils.preprocessor("caffe")
decode_predictions = imagenet_utils.decode_predictions


__all__ = ["ResNet50", "ResNet101", "ResNet152", "preprocess_input", "decode_predictions"]
