"""``keras.applications.resnet_v2``: ResNet50V2, ResNet101V2 and ResNet152V2.

He et al., "Identity Mappings in Deep Residual Networks" (ECCV 2016): the
ResNet of ``resnet`` with pre-activation blocks. Inputs are scaled with
``preprocess_input`` (``"tf"``: pixels to ``[-1, 1]``).
"""

from jaxlayers.applications import imagenet_utils
from jaxlayers.applications.resnet import resnet_application

ResNet50V2 = resnet_application("ResNet50V2", (3, 4, 6, 3), "resnet50v2", preact=True)
ResNet101V2 = resnet_application("ResNet101V2", (3, 4, 23, 3), "resnet101v2", preact=True)
ResNet152V2 = resnet_application("ResNet152V2", (3, 8, 36, 3), "resnet152v2", preact=True)


preprocess_input = imagenet_utils.preprocessor("tf")
decode_predictions = imagenet_utils.decode_predictions


__all__ = ["ResNet50V2", "ResNet101V2", "ResNet152V2", "preprocess_input",
           "decode_predictions"]
