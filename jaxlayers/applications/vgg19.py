"""``keras.applications.vgg19``: VGG19, the VGG of ``vgg16`` with four convolutions
in each of the last three blocks. Inputs are scaled with ``preprocess_input``
(``"caffe"``)."""

from jaxlayers.applications import common
from jaxlayers.applications.vgg16 import (
    TOP,
    build_vgg,
    decode_predictions,
    preprocess_input,
)


def VGG19(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
          pooling=None, classes=1000, classifier_activation="softmax", name="vgg19"):
    return build_vgg("VGG19", 19, (2, 2, 4, 4, 4), include_top, weights, input_tensor,
                     input_shape, pooling, classes, classifier_activation, name)


VGG19.__doc__ = common.application_doc(
    "VGG19: 16 convolutions and 3 dense layers, as ``keras.applications.VGG19``.", 32, 224,
    TOP) + common.example_doc("VGG19")

__all__ = ["VGG19", "preprocess_input", "decode_predictions"]
