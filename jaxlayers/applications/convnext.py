"""ConvNeXtTiny, Small, Base, Large and XLarge (Liu et al., 2022).

A ConvNet for the 2020s, https://arxiv.org/abs/2201.03545. A patchify stem,
four stages of blocks (7x7 depthwise conv, layer norm, an MLP of 1x1 projections
with GELU, a per-channel ``LayerScale``) joined by residual sums, and layer
norm + 2x2 conv downsampling between stages. With ``include_preprocessing`` the
model normalizes raw ``[0, 255]`` pixels itself. Layer names, weight order and
``get_weights`` layout are Keras 3's (including its nested ``Sequential`` stem and
downsampling blocks).
"""

import numpy as np

from jaxlayers import initializers, layers
from jaxlayers.applications import common, imagenet_utils
from jaxlayers.applications._family import (
    application_doc,
    channels_last_only,
    preprocess_input_identity,
)
from jaxlayers.core import args as _args
from jaxlayers.core.serialization import register_builtin
from jaxlayers.models.sequential import Sequential
from jaxlayers.ops import _regularization as reg_ops

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/convnext/"
# sha256 of Keras's files: (with the top, without it).
WEIGHTS_HASHES = {
    "convnext_tiny": (
        "8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff",
        "d547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1"),
    "convnext_small": (
        "ce1277d8f1ee5a0ef0e171469089c18f5233860ceaf9b168049cb9263fd7483c",
        "6fc8009faa2f00c1c1dfce59feea9b0745eb260a7dd11bee65c8e20843da6eab"),
    "convnext_base": (
        "52cbb006d3dadd03f6e095a8ca1aca47aecdd75acb4bc74bce1f5c695d0086e6",
        "40a20c5548a5e9202f69735ecc06c990e6b7c9d2de39f0361e27baeb24cb7c45"),
    "convnext_large": (
        "070c5ed9ed289581e477741d3b34beffa920db8cf590899d6d2c67fba2a198a6",
        "96f02b6f0753d4f543261bc9d09bed650f24dd6bc02ddde3066135b63d23a1cd"),
    "convnext_xlarge": (
        "c1f5ccab661354fc3a79a10fa99af82f0fbf10ec65cb894a3ae0815f17a889ee",
        "de3f8a54174130e0cecdc71583354753d557fcf1f4487331558e2a16ba0cfe05"),
}

# Blocks per stage and channels per stage.
VARIANTS = {
    "tiny": ((3, 3, 9, 3), (96, 192, 384, 768)),
    "small": ((3, 3, 27, 3), (96, 192, 384, 768)),
    "base": ((3, 3, 27, 3), (128, 256, 512, 1024)),
    "large": ((3, 3, 27, 3), (192, 384, 768, 1536)),
    "xlarge": ((3, 3, 27, 3), (256, 512, 1024, 2048)),
}
_LN_EPSILON = 1e-6
_MEAN_RGB = (0.485 * 255, 0.456 * 255, 0.406 * 255)
_STDDEV_RGB = (0.229 * 255, 0.224 * 255, 0.225 * 255)


@register_builtin("layers")
class StochasticDepth(layers.Layer):
    """Drops a whole residual branch per example with probability ``drop_path_rate``.

    Huang et al., Deep Networks with Stochastic Depth, https://arxiv.org/abs/1603.09382.
    In training each example's branch is zeroed or scaled by
    ``1 / (1 - drop_path_rate)``; at inference it is the identity.

    Args:
        drop_path_rate: Probability of dropping the branch, in ``[0, 1)``.

    Example:
        >>> layer = StochasticDepth(0.5)
        >>> y, _ = layer.apply({}, {}, jnp.ones((4, 2, 2, 3)), training=True,
        ...                    key=jax.random.key(0))
        >>> sorted({float(v) for v in y[:, 0, 0, 0]}) in ([0.0, 2.0], [0.0], [2.0])
        True
    """

    def __init__(self, drop_path_rate, **kwargs):
        super().__init__(**kwargs)
        self.drop_path_rate = _args.rate(_args.owner(self), "drop_path_rate", drop_path_rate)

    def call(self, x, training=False):
        if not training or self.drop_path_rate == 0:
            return x
        per_example = (x.shape[0],) + (1,) * (x.ndim - 1)
        return reg_ops.dropout(self.next_key(), x, self.drop_path_rate, per_example)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["drop_path_rate"] = self.drop_path_rate
        return config


@register_builtin("layers")
class LayerScale(layers.Layer):
    """Multiplies the last axis by a learned per-channel ``gamma`` (CaiT's LayerScale).

    Touvron et al., Going deeper with Image Transformers, https://arxiv.org/abs/2103.17239.

    Args:
        init_values: Initial value of every entry of ``gamma``.
        projection_dim: Size of the last axis (of ``gamma``).

    Example:
        >>> layer = LayerScale(0.5, 3)
        >>> layer(jnp.ones((1, 3))).tolist()
        [[0.5, 0.5, 0.5]]
    """

    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        owner = _args.owner(self)
        self.init_values = float(init_values)
        self.projection_dim = _args.positive_int(owner, "projection_dim", projection_dim)

    def build(self, input_shape):
        # Keras's LayerScale leaves its weight unnamed, so its path ends in "variable".
        self.gamma = self.add_weight(name="variable", shape=(self.projection_dim,),
                                     initializer=initializers.Constant(self.init_values))

    def call(self, x):
        return x * self.gamma

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"init_values": self.init_values, "projection_dim": self.projection_dim})
        return config


def convnext_block(x, dim, drop_path_rate, layer_scale_init_value, name):
    """One ConvNeXt block: depthwise 7x7, layer norm, MLP, layer scale, residual sum."""
    inputs = x
    x = layers.Conv2D(dim, 7, padding="same", groups=dim, name=f"{name}_depthwise_conv")(x)
    x = layers.LayerNormalization(epsilon=_LN_EPSILON, name=f"{name}_layernorm")(x)
    x = layers.Dense(4 * dim, name=f"{name}_pointwise_conv_1")(x)
    x = layers.Activation("gelu", name=f"{name}_gelu")(x)
    x = layers.Dense(dim, name=f"{name}_pointwise_conv_2")(x)
    if layer_scale_init_value is not None:
        x = LayerScale(layer_scale_init_value, dim, name=f"{name}_layer_scale")(x)
    if drop_path_rate:
        x = StochasticDepth(drop_path_rate, name=f"{name}_stochastic_depth")(x)
    else:
        x = layers.Activation("linear", name=f"{name}_identity")(x)
    return inputs + x


def _downsampling(name, dims):
    """The patchify stem (index 0) and the three layer norm + 2x2 conv downsamplings."""
    stem = Sequential([
        layers.Conv2D(dims[0], 4, strides=4, name=f"{name}_stem_conv"),
        layers.LayerNormalization(epsilon=_LN_EPSILON, name=f"{name}_stem_layernorm"),
    ], name=f"{name}_stem")
    return [stem] + [Sequential([
        layers.LayerNormalization(epsilon=_LN_EPSILON,
                                  name=f"{name}_downsampling_layernorm_{i}"),
        layers.Conv2D(dims[i + 1], 2, strides=2, name=f"{name}_downsampling_conv_{i}"),
    ], name=f"{name}_downsampling_block_{i}") for i in range(3)]


def build_convnext(who, variant, include_top=True, include_preprocessing=True,
                   weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                   classes=1000, classifier_activation="softmax", name=None,
                   drop_path_rate=0.0, layer_scale_init_value=1e-6):
    """The ConvNeXt of ``variant`` (a key of ``VARIANTS``); arguments as ConvNeXtTiny."""
    channels_last_only(who)
    depths, dims = VARIANTS[variant]
    name = f"convnext_{variant}" if name is None else name
    img_input = common.start(
        who, weights=weights, include_top=include_top, classes=classes, pooling=pooling,
        classifier_activation=classifier_activation, input_shape=input_shape,
        input_tensor=input_tensor, default_size=224, min_size=32)
    x = img_input
    if include_preprocessing and x.shape[-1] == 3:
        x = layers.Normalization(mean=list(_MEAN_RGB), variance=[s ** 2 for s in _STDDEV_RGB],
                                 name=f"{name}_prestem_normalization")(x)
    rates = [float(r) for r in np.linspace(0.0, drop_path_rate, sum(depths))]
    done = 0
    for stage, (downsample, depth) in enumerate(zip(_downsampling(name, dims), depths)):
        x = downsample(x)
        for j in range(depth):
            x = convnext_block(x, dims[stage], rates[done + j], layer_scale_init_value,
                               f"{name}_stage_{stage}_block_{j}")
        done += depth
    if include_top:
        x = layers.GlobalAveragePooling2D(name=f"{name}_head_gap")(x)
        x = layers.LayerNormalization(epsilon=_LN_EPSILON, name=f"{name}_head_layernorm")(x)
        x = layers.Dense(classes, activation=classifier_activation,
                         name=f"{name}_head_dense")(x)
    else:
        # Keras leaves these unnamed; the layer norm comes even without pooling.
        if pooling == "avg":
            x = layers.GlobalAveragePooling2D()(x)
        elif pooling == "max":
            x = layers.GlobalMaxPooling2D()(x)
        x = layers.LayerNormalization(epsilon=_LN_EPSILON)(x)
    model = common.finish(input_tensor, img_input, x, name)
    file_name = f"convnext_{variant}{'' if include_top else '_notop'}.h5"
    return common.load_weights(model, weights, file_name, BASE_WEIGHTS_PATH + file_name,
                               WEIGHTS_HASHES[f"convnext_{variant}"][0 if include_top else 1])


def _convnext(who, variant):
    def application(include_top=True, include_preprocessing=True, weights="imagenet",
                    input_tensor=None, input_shape=None, pooling=None, classes=1000,
                    classifier_activation="softmax", name=f"convnext_{variant}"):
        return build_convnext(who, variant, include_top, include_preprocessing, weights,
                              input_tensor, input_shape, pooling, classes,
                              classifier_activation, name)

    application.__name__ = application.__qualname__ = who
    application.__doc__ = application_doc(f"{who}, as ``keras.applications.{who}``.", 224,
                                          preprocessing=True) + common.example_doc(who)
    return application


ConvNeXtTiny = _convnext("ConvNeXtTiny", "tiny")
ConvNeXtSmall = _convnext("ConvNeXtSmall", "small")
ConvNeXtBase = _convnext("ConvNeXtBase", "base")
ConvNeXtLarge = _convnext("ConvNeXtLarge", "large")
ConvNeXtXLarge = _convnext("ConvNeXtXLarge", "xlarge")


preprocess_input = preprocess_input_identity


# The ImageNet class names, as every Keras application family re-exports them.
decode_predictions = imagenet_utils.decode_predictions


__all__ = ["ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtXLarge",
           "LayerScale", "StochasticDepth", "preprocess_input", "decode_predictions"]
