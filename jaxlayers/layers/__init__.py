"""All public layers, one family per module; each family module defines ``__all__``.

Names are re-exported explicitly (``from family import Name as Name``) so that IDEs,
linters and type checkers see them; ``tests/test_layers_namespace.py`` checks that
they are exactly ``Layer``, ``InputSpec`` and the union of the families' ``__all__``.
"""

from jaxlayers.core.input_spec import InputSpec as InputSpec
from jaxlayers.core.layer import Layer as Layer
from jaxlayers.layers.activation import ELU as ELU
from jaxlayers.layers.activation import LeakyReLU as LeakyReLU
from jaxlayers.layers.activation import PReLU as PReLU
from jaxlayers.layers.activation import ReLU as ReLU
from jaxlayers.layers.activation import Softmax as Softmax
from jaxlayers.layers.attention import AdditiveAttention as AdditiveAttention
from jaxlayers.layers.attention import Attention as Attention
from jaxlayers.layers.attention import GroupedQueryAttention as GroupedQueryAttention
from jaxlayers.layers.attention import GroupQueryAttention as GroupQueryAttention
from jaxlayers.layers.attention import MultiHeadAttention as MultiHeadAttention
from jaxlayers.layers.convolution import Conv1D as Conv1D
from jaxlayers.layers.convolution import Conv1DTranspose as Conv1DTranspose
from jaxlayers.layers.convolution import Conv2D as Conv2D
from jaxlayers.layers.convolution import Conv2DTranspose as Conv2DTranspose
from jaxlayers.layers.convolution import Conv3D as Conv3D
from jaxlayers.layers.convolution import Conv3DTranspose as Conv3DTranspose
from jaxlayers.layers.convolution import Convolution1D as Convolution1D
from jaxlayers.layers.convolution import Convolution1DTranspose as Convolution1DTranspose
from jaxlayers.layers.convolution import Convolution2D as Convolution2D
from jaxlayers.layers.convolution import Convolution2DTranspose as Convolution2DTranspose
from jaxlayers.layers.convolution import Convolution3D as Convolution3D
from jaxlayers.layers.convolution import Convolution3DTranspose as Convolution3DTranspose
from jaxlayers.layers.convolution import DepthwiseConv1D as DepthwiseConv1D
from jaxlayers.layers.convolution import DepthwiseConv2D as DepthwiseConv2D
from jaxlayers.layers.convolution import SeparableConv1D as SeparableConv1D
from jaxlayers.layers.convolution import SeparableConv2D as SeparableConv2D
from jaxlayers.layers.convolution import SeparableConvolution1D as SeparableConvolution1D
from jaxlayers.layers.convolution import SeparableConvolution2D as SeparableConvolution2D
from jaxlayers.layers.core import Activation as Activation
from jaxlayers.layers.core import Dense as Dense
from jaxlayers.layers.core import EinsumDense as EinsumDense
from jaxlayers.layers.core import Embedding as Embedding
from jaxlayers.layers.core import Identity as Identity
from jaxlayers.layers.core import Input as Input
from jaxlayers.layers.core import InputLayer as InputLayer
from jaxlayers.layers.core import Lambda as Lambda
from jaxlayers.layers.core import Masking as Masking
from jaxlayers.layers.interop import FlaxLayer as FlaxLayer
from jaxlayers.layers.interop import JaxLayer as JaxLayer
from jaxlayers.layers.interop import TFSMLayer as TFSMLayer
from jaxlayers.layers.interop import TorchModuleWrapper as TorchModuleWrapper
from jaxlayers.layers.merging import Add as Add
from jaxlayers.layers.merging import Average as Average
from jaxlayers.layers.merging import Concatenate as Concatenate
from jaxlayers.layers.merging import Dot as Dot
from jaxlayers.layers.merging import Maximum as Maximum
from jaxlayers.layers.merging import Minimum as Minimum
from jaxlayers.layers.merging import Multiply as Multiply
from jaxlayers.layers.merging import Subtract as Subtract
from jaxlayers.layers.merging import add as add
from jaxlayers.layers.merging import average as average
from jaxlayers.layers.merging import concatenate as concatenate
from jaxlayers.layers.merging import dot as dot
from jaxlayers.layers.merging import maximum as maximum
from jaxlayers.layers.merging import minimum as minimum
from jaxlayers.layers.merging import multiply as multiply
from jaxlayers.layers.merging import subtract as subtract
from jaxlayers.layers.normalization import BatchNormalization as BatchNormalization
from jaxlayers.layers.normalization import GroupNormalization as GroupNormalization
from jaxlayers.layers.normalization import LayerNormalization as LayerNormalization
from jaxlayers.layers.normalization import RMSNormalization as RMSNormalization
from jaxlayers.layers.normalization import UnitNormalization as UnitNormalization
from jaxlayers.layers.pooling import AdaptiveAveragePooling1D as AdaptiveAveragePooling1D
from jaxlayers.layers.pooling import AdaptiveAveragePooling2D as AdaptiveAveragePooling2D
from jaxlayers.layers.pooling import AdaptiveAveragePooling3D as AdaptiveAveragePooling3D
from jaxlayers.layers.pooling import AdaptiveMaxPooling1D as AdaptiveMaxPooling1D
from jaxlayers.layers.pooling import AdaptiveMaxPooling2D as AdaptiveMaxPooling2D
from jaxlayers.layers.pooling import AdaptiveMaxPooling3D as AdaptiveMaxPooling3D
from jaxlayers.layers.pooling import AveragePooling1D as AveragePooling1D
from jaxlayers.layers.pooling import AveragePooling2D as AveragePooling2D
from jaxlayers.layers.pooling import AveragePooling3D as AveragePooling3D
from jaxlayers.layers.pooling import AvgPool1D as AvgPool1D
from jaxlayers.layers.pooling import AvgPool2D as AvgPool2D
from jaxlayers.layers.pooling import AvgPool3D as AvgPool3D
from jaxlayers.layers.pooling import GlobalAveragePooling1D as GlobalAveragePooling1D
from jaxlayers.layers.pooling import GlobalAveragePooling2D as GlobalAveragePooling2D
from jaxlayers.layers.pooling import GlobalAveragePooling3D as GlobalAveragePooling3D
from jaxlayers.layers.pooling import GlobalAvgPool1D as GlobalAvgPool1D
from jaxlayers.layers.pooling import GlobalAvgPool2D as GlobalAvgPool2D
from jaxlayers.layers.pooling import GlobalAvgPool3D as GlobalAvgPool3D
from jaxlayers.layers.pooling import GlobalMaxPool1D as GlobalMaxPool1D
from jaxlayers.layers.pooling import GlobalMaxPool2D as GlobalMaxPool2D
from jaxlayers.layers.pooling import GlobalMaxPool3D as GlobalMaxPool3D
from jaxlayers.layers.pooling import GlobalMaxPooling1D as GlobalMaxPooling1D
from jaxlayers.layers.pooling import GlobalMaxPooling2D as GlobalMaxPooling2D
from jaxlayers.layers.pooling import GlobalMaxPooling3D as GlobalMaxPooling3D
from jaxlayers.layers.pooling import MaxPool1D as MaxPool1D
from jaxlayers.layers.pooling import MaxPool2D as MaxPool2D
from jaxlayers.layers.pooling import MaxPool3D as MaxPool3D
from jaxlayers.layers.pooling import MaxPooling1D as MaxPooling1D
from jaxlayers.layers.pooling import MaxPooling2D as MaxPooling2D
from jaxlayers.layers.pooling import MaxPooling3D as MaxPooling3D
from jaxlayers.layers.preprocessing import AugMix as AugMix
from jaxlayers.layers.preprocessing import AutoContrast as AutoContrast
from jaxlayers.layers.preprocessing import CategoryEncoding as CategoryEncoding
from jaxlayers.layers.preprocessing import CenterCrop as CenterCrop
from jaxlayers.layers.preprocessing import (
    ContrastLimitedAdaptiveHistogramEqualization as ContrastLimitedAdaptiveHistogramEqualization,
)
from jaxlayers.layers.preprocessing import CutMix as CutMix
from jaxlayers.layers.preprocessing import Discretization as Discretization
from jaxlayers.layers.preprocessing import Equalization as Equalization
from jaxlayers.layers.preprocessing import HashedCrossing as HashedCrossing
from jaxlayers.layers.preprocessing import Hashing as Hashing
from jaxlayers.layers.preprocessing import IntegerLookup as IntegerLookup
from jaxlayers.layers.preprocessing import MaxNumBoundingBoxes as MaxNumBoundingBoxes
from jaxlayers.layers.preprocessing import MixUp as MixUp
from jaxlayers.layers.preprocessing import Normalization as Normalization
from jaxlayers.layers.preprocessing import Pipeline as Pipeline
from jaxlayers.layers.preprocessing import RandAugment as RandAugment
from jaxlayers.layers.preprocessing import RandomBrightness as RandomBrightness
from jaxlayers.layers.preprocessing import RandomColorDegeneration as RandomColorDegeneration
from jaxlayers.layers.preprocessing import RandomColorJitter as RandomColorJitter
from jaxlayers.layers.preprocessing import RandomContrast as RandomContrast
from jaxlayers.layers.preprocessing import RandomCrop as RandomCrop
from jaxlayers.layers.preprocessing import RandomElasticTransform as RandomElasticTransform
from jaxlayers.layers.preprocessing import RandomErasing as RandomErasing
from jaxlayers.layers.preprocessing import RandomFlip as RandomFlip
from jaxlayers.layers.preprocessing import RandomGaussianBlur as RandomGaussianBlur
from jaxlayers.layers.preprocessing import RandomGrayscale as RandomGrayscale
from jaxlayers.layers.preprocessing import RandomHue as RandomHue
from jaxlayers.layers.preprocessing import RandomInvert as RandomInvert
from jaxlayers.layers.preprocessing import RandomPerspective as RandomPerspective
from jaxlayers.layers.preprocessing import RandomPosterization as RandomPosterization
from jaxlayers.layers.preprocessing import RandomRotation as RandomRotation
from jaxlayers.layers.preprocessing import RandomSaturation as RandomSaturation
from jaxlayers.layers.preprocessing import RandomSharpness as RandomSharpness
from jaxlayers.layers.preprocessing import RandomShear as RandomShear
from jaxlayers.layers.preprocessing import RandomTranslation as RandomTranslation
from jaxlayers.layers.preprocessing import RandomZoom as RandomZoom
from jaxlayers.layers.preprocessing import Rescaling as Rescaling
from jaxlayers.layers.preprocessing import Resizing as Resizing
from jaxlayers.layers.preprocessing import Solarization as Solarization
from jaxlayers.layers.preprocessing import SpectralNormalization as SpectralNormalization
from jaxlayers.layers.preprocessing import StringLookup as StringLookup
from jaxlayers.layers.preprocessing import TextVectorization as TextVectorization
from jaxlayers.layers.recurrent import GRU as GRU
from jaxlayers.layers.recurrent import LSTM as LSTM
from jaxlayers.layers.recurrent import RNN as RNN
from jaxlayers.layers.recurrent import Bidirectional as Bidirectional
from jaxlayers.layers.recurrent import ConvLSTM1D as ConvLSTM1D
from jaxlayers.layers.recurrent import ConvLSTM2D as ConvLSTM2D
from jaxlayers.layers.recurrent import ConvLSTM3D as ConvLSTM3D
from jaxlayers.layers.recurrent import GRUCell as GRUCell
from jaxlayers.layers.recurrent import LSTMCell as LSTMCell
from jaxlayers.layers.recurrent import RNNCell as RNNCell
from jaxlayers.layers.recurrent import SimpleRNN as SimpleRNN
from jaxlayers.layers.recurrent import SimpleRNNCell as SimpleRNNCell
from jaxlayers.layers.recurrent import StackedRNNCells as StackedRNNCells
from jaxlayers.layers.recurrent import TimeDistributed as TimeDistributed
from jaxlayers.layers.regularization import ActivityRegularization as ActivityRegularization
from jaxlayers.layers.regularization import AlphaDropout as AlphaDropout
from jaxlayers.layers.regularization import Dropout as Dropout
from jaxlayers.layers.regularization import GaussianDropout as GaussianDropout
from jaxlayers.layers.regularization import GaussianNoise as GaussianNoise
from jaxlayers.layers.regularization import SpatialDropout1D as SpatialDropout1D
from jaxlayers.layers.regularization import SpatialDropout2D as SpatialDropout2D
from jaxlayers.layers.regularization import SpatialDropout3D as SpatialDropout3D
from jaxlayers.layers.repeat import Repeat as Repeat
from jaxlayers.layers.reshaping import Cropping1D as Cropping1D
from jaxlayers.layers.reshaping import Cropping2D as Cropping2D
from jaxlayers.layers.reshaping import Cropping3D as Cropping3D
from jaxlayers.layers.reshaping import Flatten as Flatten
from jaxlayers.layers.reshaping import Permute as Permute
from jaxlayers.layers.reshaping import RepeatVector as RepeatVector
from jaxlayers.layers.reshaping import Reshape as Reshape
from jaxlayers.layers.reshaping import UpSampling1D as UpSampling1D
from jaxlayers.layers.reshaping import UpSampling2D as UpSampling2D
from jaxlayers.layers.reshaping import UpSampling3D as UpSampling3D
from jaxlayers.layers.reshaping import ZeroPadding1D as ZeroPadding1D
from jaxlayers.layers.reshaping import ZeroPadding2D as ZeroPadding2D
from jaxlayers.layers.reshaping import ZeroPadding3D as ZeroPadding3D
from jaxlayers.layers.reversible_embedding import ReversibleEmbedding as ReversibleEmbedding
from jaxlayers.layers.serialization import deserialize as deserialize
from jaxlayers.layers.serialization import serialize as serialize
from jaxlayers.layers.spectral import MelSpectrogram as MelSpectrogram
from jaxlayers.layers.spectral import STFTSpectrogram as STFTSpectrogram
from jaxlayers.layers.wrapper import Wrapper as Wrapper

__all__ = [
    "ELU",
    "GRU",
    "LSTM",
    "RNN",
    "Activation",
    "ActivityRegularization",
    "Add",
    "AdaptiveAveragePooling1D",
    "AdaptiveAveragePooling2D",
    "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D",
    "AdaptiveMaxPooling2D",
    "AdaptiveMaxPooling3D",
    "AdditiveAttention",
    "AlphaDropout",
    "Attention",
    "Average",
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "AvgPool1D",
    "AvgPool2D",
    "AvgPool3D",
    "BatchNormalization",
    "Bidirectional",
    "CategoryEncoding",
    "CenterCrop",
    "Concatenate",
    "Conv1D",
    "Conv1DTranspose",
    "Conv2D",
    "Conv2DTranspose",
    "Conv3D",
    "Conv3DTranspose",
    "ConvLSTM1D",
    "ConvLSTM2D",
    "ConvLSTM3D",
    "Convolution1D",
    "Convolution1DTranspose",
    "Convolution2D",
    "Convolution2DTranspose",
    "Convolution3D",
    "Convolution3DTranspose",
    "Cropping1D",
    "Cropping2D",
    "Cropping3D",
    "Dense",
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "Discretization",
    "Dot",
    "Dropout",
    "EinsumDense",
    "Embedding",
    "Flatten",
    "FlaxLayer",
    "GRUCell",
    "GaussianDropout",
    "GaussianNoise",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalAvgPool3D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "GlobalMaxPool3D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
    "GroupNormalization",
    "GroupQueryAttention",
    "GroupedQueryAttention",
    "HashedCrossing",
    "Hashing",
    "Identity",
    "Input",
    "InputLayer",
    "InputSpec",
    "IntegerLookup",
    "JaxLayer",
    "LSTMCell",
    "Lambda",
    "Layer",
    "LayerNormalization",
    "LeakyReLU",
    "Masking",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPool3D",
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
    "Maximum",
    "MelSpectrogram",
    "Minimum",
    "MultiHeadAttention",
    "Multiply",
    "Normalization",
    "PReLU",
    "Permute",
    "RMSNormalization",
    "RNNCell",
    "RandomBrightness",
    "RandomContrast",
    "RandomCrop",
    "RandomFlip",
    "RandomRotation",
    "RandomTranslation",
    "RandomZoom",
    "CutMix",
    "MaxNumBoundingBoxes",
    "MixUp",
    "Pipeline",
    "RandomErasing",
    "AutoContrast",
    "Equalization",
    "RandomGrayscale",
    "RandomInvert",
    "RandomPosterization",
    "Solarization",
    "ReLU",
    "Repeat",
    "RepeatVector",
    "Rescaling",
    "Reshape",
    "Resizing",
    "ReversibleEmbedding",
    "STFTSpectrogram",
    "SeparableConv1D",
    "SeparableConv2D",
    "SeparableConvolution1D",
    "SeparableConvolution2D",
    "SimpleRNN",
    "SimpleRNNCell",
    "Softmax",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "SpectralNormalization",
    "StackedRNNCells",
    "StringLookup",
    "Subtract",
    "TFSMLayer",
    "TextVectorization",
    "TimeDistributed",
    "TorchModuleWrapper",
    "UnitNormalization",
    "UpSampling1D",
    "UpSampling2D",
    "UpSampling3D",
    "Wrapper",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "ZeroPadding3D",
    "add",
    "average",
    "concatenate",
    "deserialize",
    "dot",
    "maximum",
    "minimum",
    "multiply",
    "serialize",
    "subtract",
    "ContrastLimitedAdaptiveHistogramEqualization",
    "RandomColorDegeneration",
    "RandomColorJitter",
    "RandomElasticTransform",
    "RandomGaussianBlur",
    "RandomHue",
    "RandomPerspective",
    "RandomSaturation",
    "RandomSharpness",
    "RandomShear",
    "RandAugment",
    "AugMix",
]
