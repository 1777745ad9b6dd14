"""DenseNet121, DenseNet169 and DenseNet201 (Huang et al., 2017).

Densely Connected Convolutional Networks, https://arxiv.org/abs/1608.06993.
Every layer of a dense block sees the concatenation of all earlier outputs of
the block; transition blocks halve the channels and the resolution between
blocks. Layer names, weight order and ``get_weights`` layout are Keras 3's, so
Keras's weight files and ``get_weights()`` lists load unchanged.
"""

from jaxlayers import layers

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
