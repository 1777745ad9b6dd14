"""``keras.applications`` for jaxlayers: the Keras image classification models.

Each application is a function returning a Functional model made of jaxlayers
layers, with Keras's layer names and weight order, so that
``model.set_weights(keras_model.get_weights())`` and Keras's weight files fit.
``weights`` is ``None`` (random), a weights file, or ``"imagenet"`` (Keras's
file, downloaded once into ``~/.keras/models`` and hash-checked). Each family
module has its ``preprocess_input`` and ``decode_predictions``.

Example:
    >>> from jaxlayers.applications import imagenet_utils
    >>> float(imagenet_utils.preprocess_input(np.zeros((1, 2, 2, 3)), mode="tf").min())
    -1.0
"""

from jaxlayers.applications import convnext as convnext
from jaxlayers.applications import densenet as densenet
from jaxlayers.applications import efficientnet as efficientnet
from jaxlayers.applications import efficientnet_v2 as efficientnet_v2
from jaxlayers.applications import imagenet_utils as imagenet_utils
from jaxlayers.applications import inception_resnet_v2 as inception_resnet_v2
from jaxlayers.applications import inception_v3 as inception_v3
from jaxlayers.applications import mobilenet as mobilenet
from jaxlayers.applications import mobilenet_v2 as mobilenet_v2
from jaxlayers.applications import mobilenet_v3 as mobilenet_v3
from jaxlayers.applications import nasnet as nasnet
from jaxlayers.applications import resnet as resnet
from jaxlayers.applications import resnet50 as resnet50
from jaxlayers.applications import resnet_v2 as resnet_v2
from jaxlayers.applications import vgg16 as vgg16
from jaxlayers.applications import vgg19 as vgg19
from jaxlayers.applications import xception as xception
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
from jaxlayers.applications.inception_resnet_v2 import InceptionResNetV2 as InceptionResNetV2
from jaxlayers.applications.inception_v3 import InceptionV3 as InceptionV3
from jaxlayers.applications.mobilenet import MobileNet as MobileNet
from jaxlayers.applications.mobilenet_v2 import MobileNetV2 as MobileNetV2
from jaxlayers.applications.mobilenet_v3 import MobileNetV3Large as MobileNetV3Large
from jaxlayers.applications.mobilenet_v3 import MobileNetV3Small as MobileNetV3Small
from jaxlayers.applications.nasnet import NASNetLarge as NASNetLarge
from jaxlayers.applications.nasnet import NASNetMobile as NASNetMobile
from jaxlayers.applications.resnet import ResNet50 as ResNet50
from jaxlayers.applications.resnet import ResNet101 as ResNet101
from jaxlayers.applications.resnet import ResNet152 as ResNet152
from jaxlayers.applications.resnet_v2 import ResNet50V2 as ResNet50V2
from jaxlayers.applications.resnet_v2 import ResNet101V2 as ResNet101V2
from jaxlayers.applications.resnet_v2 import ResNet152V2 as ResNet152V2
from jaxlayers.applications.vgg16 import VGG16 as VGG16
from jaxlayers.applications.vgg19 import VGG19 as VGG19
from jaxlayers.applications.xception import Xception as Xception

__all__ = [
    "imagenet_utils", "inception_resnet_v2", "inception_v3", "mobilenet", "mobilenet_v2",
    "mobilenet_v3", "resnet", "resnet50", "resnet_v2", "vgg16", "vgg19", "xception",
    "InceptionResNetV2", "InceptionV3", "MobileNet", "MobileNetV2", "MobileNetV3Large",
    "MobileNetV3Small", "ResNet50", "ResNet101", "ResNet152", "ResNet50V2", "ResNet101V2",
    "ResNet152V2", "VGG16", "VGG19", "Xception", "densenet", "efficientnet", "efficientnet_v2",
    "convnext", "nasnet", "DenseNet121", "DenseNet169", "DenseNet201", "EfficientNetB0",
    "EfficientNetB1", "EfficientNetB2", "EfficientNetB3", "EfficientNetB4", "EfficientNetB5",
    "EfficientNetB6", "EfficientNetB7", "EfficientNetV2B0", "EfficientNetV2B1",
    "EfficientNetV2B2", "EfficientNetV2B3", "EfficientNetV2S", "EfficientNetV2M",
    "EfficientNetV2L", "ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge",
    "ConvNeXtXLarge", "NASNetMobile", "NASNetLarge",
]
