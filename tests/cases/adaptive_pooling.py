"""LayerCases for the adaptive pooling layers (jaxlayers/layers/pooling.py)."""

from jaxlayers import layers
from tests.cases import LayerCase

CASES = [
    LayerCase(layers.AdaptiveMaxPooling1D, dict(output_size=3), input_shapes=((2, 7, 3),),
              n_params=0),
    LayerCase(layers.AdaptiveMaxPooling2D, dict(output_size=(2, 3)),
              input_shapes=((2, 5, 7, 2),), n_params=0),
    LayerCase(layers.AdaptiveMaxPooling3D, dict(output_size=2, data_format="channels_first"),
              input_shapes=((2, 2, 3, 4, 5),), n_params=0),
    LayerCase(layers.AdaptiveAveragePooling1D, dict(output_size=4,
                                                    data_format="channels_first"),
              input_shapes=((2, 3, 6),), n_params=0),
    LayerCase(layers.AdaptiveAveragePooling2D, dict(output_size=3),
              input_shapes=((2, 7, 5, 2),), n_params=0),
    LayerCase(layers.AdaptiveAveragePooling3D, dict(output_size=(1, 2, 3)),
              input_shapes=((2, 3, 4, 5, 2),), n_params=0),
]
