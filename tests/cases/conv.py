"""LayerCases for the convolution family (jaxlayers/layers/convolution*.py)."""

from jaxlayers import layers
from tests.cases import LayerCase

CASES = [
    LayerCase(layers.Conv1D, dict(filters=3, kernel_size=3, padding="causal", dilation_rate=2),
              input_shapes=((2, 7, 2),), n_params=2, n_state=0),
    LayerCase(layers.Conv2D, dict(filters=4, kernel_size=3, strides=2, padding="same",
                                  activation="relu"),
              input_shapes=((2, 6, 6, 3),), n_params=2),
    LayerCase(layers.Conv2D, dict(filters=4, kernel_size=(2, 3), groups=2,
                                  data_format="channels_first", use_bias=False,
                                  kernel_regularizer="l2"),
              input_shapes=((2, 4, 5, 5),), n_params=1, id="Conv2D-groups-channels_first"),
    LayerCase(layers.Conv3D, dict(filters=2, kernel_size=2), input_shapes=((2, 3, 3, 3, 2),),
              n_params=2),
    LayerCase(layers.Conv1DTranspose, dict(filters=3, kernel_size=3, strides=2),
              input_shapes=((2, 4, 2),), n_params=2),
    LayerCase(layers.Conv2DTranspose, dict(filters=3, kernel_size=3, strides=2, padding="same",
                                           output_padding=1),
              input_shapes=((2, 3, 3, 2),), n_params=2),
    LayerCase(layers.Conv2DTranspose, dict(filters=2, kernel_size=2, dilation_rate=2,
                                           data_format="channels_first", use_bias=False),
              input_shapes=((2, 3, 3, 3),), n_params=1, id="Conv2DTranspose-dilated-cf"),
    LayerCase(layers.Conv3DTranspose, dict(filters=2, kernel_size=2, strides=2),
              input_shapes=((2, 2, 2, 2, 2),), n_params=2),
    LayerCase(layers.DepthwiseConv1D, dict(kernel_size=3, depth_multiplier=2),
              input_shapes=((2, 6, 3),), n_params=2),
    LayerCase(layers.DepthwiseConv2D, dict(kernel_size=3, padding="same",
                                           data_format="channels_first"),
              input_shapes=((2, 3, 5, 5),), n_params=2),
    LayerCase(layers.SeparableConv1D, dict(filters=4, kernel_size=3, padding="same"),
              input_shapes=((2, 6, 3),), n_params=3),
    LayerCase(layers.SeparableConv2D, dict(filters=4, kernel_size=3, depth_multiplier=2,
                                           strides=2),
              input_shapes=((2, 5, 5, 3),), n_params=3),
]
