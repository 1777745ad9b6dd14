"""NASNetMobile and NASNetLarge (Zoph et al., 2018), the NASNet-A cells.

Learning Transferable Architectures for Scalable Image Recognition,
https://arxiv.org/abs/1707.07012. A stem conv, two reduction cells, then three
stacks of normal cells separated by reduction cells; each cell combines the
previous two cells' outputs (``p`` and ``ip``) through separable convs and
poolings. Layer names, weight order and ``get_weights`` layout are Keras 3's
(Keras leaves many of the ReLUs, paddings and concatenations unnamed).
"""

from jaxlayers import layers
from jaxlayers.applications import common, imagenet_utils
from jaxlayers.applications._family import application_doc, channels_last_only
from jaxlayers.errors import ConfigError

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/nasnet/"
# Keras's files: variant -> (cache name, URL name, md5) with the top, then without it.
WEIGHTS = {
    "mobile": (("nasnet_mobile.h5", "NASNet-mobile.h5", "020fb642bf7360b370c678b08e0adf61"),
               ("nasnet_mobile_no_top.h5", "NASNet-mobile-no-top.h5",
                "1ed92395b5b598bdda52abe5c0dbfd63")),
    "large": (("nasnet_large.h5", "NASNet-large.h5", "11577c9a518f0070763c2b964a382f17"),
              ("nasnet_large_no_top.h5", "NASNet-large-no-top.h5",
               "d81d89dc07e6e56530c4e77faddd61b5")),
}
# penultimate filters, cells per stack, stem filters, skip_reduction, default size.
VARIANTS = {
    "mobile": (1056, 4, 32, False, 224),
    "large": (4032, 6, 96, True, 331),
}
_FILTER_MULTIPLIER = 2


def _bn(name):
    return layers.BatchNormalization(axis=-1, momentum=0.9997, epsilon=1e-3, name=name)


def _conv1x1(x, filters, name):
    return layers.Conv2D(filters, 1, padding="same", use_bias=False,
                         kernel_initializer="he_normal", name=name)(x)


def _separable_block(x, filters, kernel_size=3, strides=1, block_id=None):
    """ReLU, separable conv, batch norm, twice; the first conv may downsample."""
    x = layers.Activation("relu")(x)
    padding = "same"
    if strides == 2:
        x = layers.ZeroPadding2D(padding=common.correct_pad(x, kernel_size),
                                 name=f"separable_conv_1_pad_{block_id}")(x)
        padding = "valid"
    x = layers.SeparableConv2D(filters, kernel_size, strides=strides, padding=padding,
                               use_bias=False, name=f"separable_conv_1_{block_id}")(x)
    x = _bn(f"separable_conv_1_bn_{block_id}")(x)
    x = layers.Activation("relu")(x)
    x = layers.SeparableConv2D(filters, kernel_size, padding="same", use_bias=False,
                               name=f"separable_conv_2_{block_id}")(x)
    return _bn(f"separable_conv_2_bn_{block_id}")(x)


def _adjust(p, ip, filters, block_id):
    """Brings the previous-previous output ``p`` to the size and width of ``ip``."""
    if p is None:
        return ip
    if p.shape[-2] != ip.shape[-2]:
        # Halve p with two offset 1x1 strided paths, then concatenate them.
        p = layers.Activation("relu", name=f"adjust_relu_1_{block_id}")(p)
        p1 = layers.AveragePooling2D(1, strides=2, padding="valid",
                                     name=f"adjust_avg_pool_1_{block_id}")(p)
        p1 = _conv1x1(p1, filters // 2, f"adjust_conv_1_{block_id}")
        p2 = layers.ZeroPadding2D(padding=((0, 1), (0, 1)))(p)
        p2 = layers.Cropping2D(cropping=((1, 0), (1, 0)))(p2)
        p2 = layers.AveragePooling2D(1, strides=2, padding="valid",
                                     name=f"adjust_avg_pool_2_{block_id}")(p2)
        p2 = _conv1x1(p2, filters // 2, f"adjust_conv_2_{block_id}")
        p = layers.concatenate([p1, p2], axis=-1)
        return _bn(f"adjust_bn_{block_id}")(p)
    if p.shape[-1] != filters:
        p = layers.Activation("relu")(p)
        p = _conv1x1(p, filters, f"adjust_conv_projection_{block_id}")
        return _bn(f"adjust_bn_{block_id}")(p)
    return p


def _cell_input(ip, filters, kind, block_id):
    h = layers.Activation("relu")(ip)
    h = _conv1x1(h, filters, f"{kind}_conv_1_{block_id}")
    return _bn(f"{kind}_bn_1_{block_id}")(h)


def _pool(kind, strides, padding, name):
    cls = layers.MaxPooling2D if kind == "max" else layers.AveragePooling2D
    return cls(3, strides=strides, padding=padding, name=name)


def normal_cell(ip, p, filters, block_id):
    """A NASNet-A normal cell; returns its output and ``ip`` (the next cell's ``p``)."""
    p = _adjust(p, ip, filters, block_id)
    h = _cell_input(ip, filters, "normal", block_id)
    b = f"normal_{{}}_{block_id}"
    x1 = layers.add([_separable_block(h, filters, 5, block_id=b.format("left1")),
                     _separable_block(p, filters, block_id=b.format("right1"))],
                    name=b.format("add_1"))
    x2 = layers.add([_separable_block(p, filters, 5, block_id=b.format("left2")),
                     _separable_block(p, filters, 3, block_id=b.format("right2"))],
                    name=b.format("add_2"))
    x3 = layers.add([_pool("avg", 1, "same", b.format("left3"))(h), p],
                    name=b.format("add_3"))
    x4 = layers.add([_pool("avg", 1, "same", b.format("left4"))(p),
                     _pool("avg", 1, "same", b.format("right4"))(p)],
                    name=b.format("add_4"))
    x5 = layers.add([_separable_block(h, filters, block_id=b.format("left5")), h],
                    name=b.format("add_5"))
    x = layers.concatenate([p, x1, x2, x3, x4, x5], axis=-1, name=b.format("concat"))
    return x, ip


def reduction_cell(ip, p, filters, block_id):
    """A NASNet-A reduction cell (halves the resolution); returns it and ``ip``."""
    p = _adjust(p, ip, filters, block_id)
    h = _cell_input(ip, filters, "reduction", block_id)
    h3 = layers.ZeroPadding2D(padding=common.correct_pad(h, 3),
                              name=f"reduction_pad_1_{block_id}")(h)
    b = f"reduction_{{}}_{block_id}"
    x1 = layers.add([_separable_block(h, filters, 5, 2, block_id=b.format("left1")),
                     _separable_block(p, filters, 7, 2, block_id=b.format("right1"))],
                    name=b.format("add_1"))
    x2 = layers.add([_pool("max", 2, "valid", b.format("left2"))(h3),
                     _separable_block(p, filters, 7, 2, block_id=b.format("right2"))],
                    name=b.format("add_2"))
    x3 = layers.add([_pool("avg", 2, "valid", b.format("left3"))(h3),
                     _separable_block(p, filters, 5, 2, block_id=b.format("right3"))],
                    name=b.format("add3"))
    x4 = layers.add([x2, _pool("avg", 1, "same", b.format("left4"))(x1)])
    x5 = layers.add([_separable_block(x1, filters, 3, block_id=b.format("left4")),
                     _pool("max", 2, "valid", b.format("right5"))(h3)],
                    name=b.format("add4"))
    x = layers.concatenate([x2, x3, x4, x5], axis=-1, name=b.format("concat"))
    return x, ip


def nasnet_features(img_input, penultimate_filters, num_blocks, stem_filters,
                    skip_reduction):
    """The NASNet-A trunk from the image to the final ReLU."""
    m = _FILTER_MULTIPLIER
    filters = penultimate_filters // 24
    x = layers.Conv2D(stem_filters, 3, strides=2, padding="valid", use_bias=False,
                      kernel_initializer="he_normal", name="stem_conv1")(img_input)
    x = _bn("stem_bn1")(x)
    x, p = reduction_cell(x, None, filters // m ** 2, "stem_1")
    x, p = reduction_cell(x, p, filters // m, "stem_2")
    for stack in range(3):
        if stack:
            x, p_reduced = reduction_cell(x, p, filters * m ** stack,
                                          f"reduce_{stack * num_blocks}")
            if not skip_reduction:
                p = p_reduced
        for i in range(num_blocks):
            block = i if stack == 0 else stack * num_blocks + i + 1
            x, p = normal_cell(x, p, filters * m ** stack, str(block))
    return layers.Activation("relu")(x)


def build_nasnet(who, variant, input_shape=None, include_top=True, weights="imagenet",
                 input_tensor=None, pooling=None, classes=1000,
                 classifier_activation="softmax", name=None):
    """The NASNet of ``variant`` (``"mobile"`` or ``"large"``); arguments as NASNetMobile."""
    channels_last_only(who)
    penultimate, num_blocks, stem_filters, skip_reduction, default_size = VARIANTS[variant]
    if weights == "imagenet" and input_shape is not None and None in tuple(input_shape):
        raise ConfigError(
            f"{who}: `input_shape` must be static (no None) to load weights='imagenet'. "
            f"Received: input_shape={tuple(input_shape)!r}.")
    if variant == "mobile" and not include_top and input_shape is None:
        input_shape = (224, 224, 3)  # Keras fixes the size of the headless mobile model
    img_input = common.start(
        who, weights=weights, include_top=include_top, classes=classes, pooling=pooling,
        classifier_activation=classifier_activation, input_shape=input_shape,
        input_tensor=input_tensor, default_size=default_size, min_size=32)
    x = nasnet_features(img_input, penultimate, num_blocks, stem_filters, skip_reduction)
    if include_top:
        x = layers.GlobalAveragePooling2D()(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D()(x)
    model = common.finish(input_tensor, img_input, x,
                          f"nasnet_{variant}" if name is None else name)
    cache_name, url_name, file_hash = WEIGHTS[variant][0 if include_top else 1]
    return common.load_weights(model, weights, cache_name, BASE_WEIGHTS_PATH + url_name,
                               file_hash)


def _nasnet(who, variant):
    def application(input_shape=None, include_top=True, weights="imagenet", input_tensor=None,
                    pooling=None, classes=1000, classifier_activation="softmax",
                    name=f"nasnet_{variant}"):
        return build_nasnet(who, variant, input_shape, include_top, weights, input_tensor,
                            pooling, classes, classifier_activation, name)

    application.__name__ = application.__qualname__ = who
    application.__doc__ = application_doc(
        f"{who}, as ``keras.applications.{who}`` (``input_shape`` comes first, as there).",
        VARIANTS[variant][4]) + common.example_doc(who)
    return application


NASNetMobile = _nasnet("NASNetMobile", "mobile")
NASNetLarge = _nasnet("NASNetLarge", "large")


def preprocess_input(x, data_format=None):
    """NASNet's input scaling: ``imagenet_utils.preprocess_input`` with ``mode="tf"``.

    Args:
        x: Input array.
        data_format: ``'channels_last'`` or ``'channels_first'``; ``None`` reads
            ``jl.config.image_data_format()``.

    Example:
        >>> preprocess_input(np.array([[[[0.0, 127.5, 255.0]]]])).tolist()
        [[[[-1.0, 0.0, 1.0]]]]
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


# The ImageNet class names, as every Keras application family re-exports them.
decode_predictions = imagenet_utils.decode_predictions


__all__ = ["NASNetMobile", "NASNetLarge", "preprocess_input", "decode_predictions"]
