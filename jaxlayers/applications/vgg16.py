"""``keras.applications.vgg16``: VGG16, and the VGG builder that ``vgg19`` shares.

Simonyan and Zisserman, "Very Deep Convolutional Networks for Large-Scale Image
Recognition" (ICLR 2015). Five blocks of 3x3 ReLU convolutions, each ending in
2x2 max pooling; the top flattens into two 4096-unit layers. Inputs are scaled
with ``preprocess_input`` (``"caffe"``).
"""

from jaxlayers import layers
from jaxlayers.applications import common, imagenet_utils

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/"
# (file name, md5) of Keras's files per depth: (with the top, without it).
WEIGHTS = {
    16: (("vgg16_weights_tf_dim_ordering_tf_kernels.h5", "64373286793e3c8b2b4e3219cbf3544b"),
         ("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
          "6d6bbae143d832006294945121d1f1fc")),
    19: (("vgg19_weights_tf_dim_ordering_tf_kernels.h5", "cbe5617147190e668d6c5d5026f83318"),
         ("vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
          "253f8cb515780f3b799900260a226db6")),
}
_WIDTHS = (64, 128, 256, 512, 512)
TOP = "``flatten``, ``fc1``, ``fc2`` and the ``predictions`` Dense layer"

def build_vgg(who, depth, convs, include_top=True, weights="imagenet", input_tensor=None,
              input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
              name=None):
    """A VGG network with ``convs[i]`` convolutions in block ``i + 1``.

    Args:
        who: How error messages name the application (``"VGG16"``).
        depth: 16 or 19, the key of Keras's ImageNet files.
        convs: Convolutions per block, five ints.
        Others: as :func:`VGG16`.
    """
    img_input = common.start(
        who, weights=weights, include_top=include_top, classes=classes, pooling=pooling,
        classifier_activation=classifier_activation, input_shape=input_shape,
        input_tensor=input_tensor, default_size=224, min_size=32)
    x = img_input
    for block, (width, count) in enumerate(zip(_WIDTHS, convs), start=1):
        for i in range(1, count + 1):
            x = layers.Conv2D(width, (3, 3), activation="relu", padding="same",
                              name=f"block{block}_conv{i}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = common.feature_pooling(x, pooling, names=(None, None))
    model = common.finish(input_tensor, img_input, x, name)
    file_name, file_hash = WEIGHTS[depth][0 if include_top else 1]
    return common.load_weights(model, weights, file_name, f"{_BASE}vgg{depth}/{file_name}",
                               file_hash)


def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
          pooling=None, classes=1000, classifier_activation="softmax", name="vgg16"):
    return build_vgg("VGG16", 16, (2, 2, 3, 3, 3), include_top, weights, input_tensor,
                     input_shape, pooling, classes, classifier_activation, name)


VGG16.__doc__ = common.application_doc(
    "VGG16: 13 convolutions and 3 dense layers, as ``keras.applications.VGG16``.", 32, 224,
    TOP) + common.example_doc("VGG16")


preprocess_input = imagenet_utils.preprocessor("caffe")
decode_predictions = imagenet_utils.decode_predictions


__all__ = ["VGG16", "preprocess_input", "decode_predictions"]
