"""``keras.applications`` for jaxlayers: the Keras image classification models.

Each application is a function returning a Functional model made of jaxlayers
layers, with Keras's layer names and weight order, so that
``model.set_weights(keras_model.get_weights())`` and Keras's weight files fit.
``weights`` is ``None`` (random), a weights file, or ``"imagenet"`` (Keras's
file, downloaded once into ``~/.keras/models`` and hash-checked). Each family
module has its ``preprocess_input`` and ``decode_predictions``.

Example:
    >>> from jaxlayers.applications import imagenet_utils
    >>> imagenet_utils.preprocess_input(np.zeros((1, 2, 2, 3)), mode="tf").min()
    -1.0
"""

from jaxlayers.applications import convnext as convnext
from jaxlayers.applications import densenet as densenet
from jaxlayers.applications import efficientnet as efficientnet
from jaxlayers.applications import efficientnet_v2 as efficientnet_v2
from jaxlayers.applications import imagenet_utils as imagenet_utils
from jaxlayers.applications import nasnet as nasnet
from jaxlayers.applications.convnext import ConvNeXtBase as ConvNeXtBase
from jaxlayers.applications.convnext import ConvNeXtLarge as ConvNeXtLarge
from jaxlayers.applications.convnext import ConvNeXtSmall as ConvNeXtSmall
from jaxlayers.applications.convnext import ConvNeXtTiny as ConvNeXtTiny
from jaxlayers.applications.convnext import ConvNeXtXLarge as ConvNeXtXLarge
from jaxlayers.applications.densenet import DenseNet121 as DenseNet121
from jaxlayers.applications.densenet import DenseNet169 as DenseNet169
from jaxlayers.applications.densenet import DenseNet201 as DenseNet201
from jaxlayers.applications.efficientnet import EfficientNetB0 as EfficientNetB0
from jaxlayers.applications.efficientnet import EfficientNetB1 as EfficientNetB1
from jaxlayers.applications.efficientnet import EfficientNetB2 as EfficientNetB2
from jaxlayers.applications.efficientnet import EfficientNetB3 as EfficientNetB3
from jaxlayers.applications.efficientnet import EfficientNetB4 as EfficientNetB4
from jaxlayers.applications.efficientnet import EfficientNetB5 as EfficientNetB5
from jaxlayers.applications.efficientnet import EfficientNetB6 as EfficientNetB6
from jaxlayers.applications.efficientnet import EfficientNetB7 as EfficientNetB7
from jaxlayers.applications.efficientnet_v2 import EfficientNetV2B0 as EfficientNetV2B0
from jaxlayers.applications.efficientnet_v2 import EfficientNetV2B1 as EfficientNetV2B1
from jaxlayers.applications.efficientnet_v2 import EfficientNetV2B2 as EfficientNetV2B2
from jaxlayers.applications.efficientnet_v2 import EfficientNetV2B3 as EfficientNetV2B3
from jaxlayers.applications.efficientnet_v2 import EfficientNetV2L as EfficientNetV2L
from jaxlayers.applications.efficientnet_v2 import EfficientNetV2M as EfficientNetV2M
from jaxlayers.applications.efficientnet_v2 import EfficientNetV2S as EfficientNetV2S
from jaxlayers.applications.nasnet import NASNetLarge as NASNetLarge
from jaxlayers.applications.nasnet import NASNetMobile as NASNetMobile

__all__ = ["imagenet_utils",
           "densenet", "efficientnet", "efficientnet_v2", "convnext", "nasnet",
           "DenseNet121", "DenseNet169", "DenseNet201", "EfficientNetB0",
           "EfficientNetB1", "EfficientNetB2", "EfficientNetB3", "EfficientNetB4",
           "EfficientNetB5", "EfficientNetB6", "EfficientNetB7", "EfficientNetV2B0",
           "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3",
           "EfficientNetV2S", "EfficientNetV2M", "EfficientNetV2L", "ConvNeXtTiny",
           "ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtXLarge",
           "NASNetMobile", "NASNetLarge"]
