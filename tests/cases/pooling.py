"""LayerCases for the pooling family (jaxlayers/layers/pooling.py)."""

from jaxlayers import layers
from tests.cases import LayerCase

CASES = [
    LayerCase(layers.MaxPooling1D, dict(), input_shapes=((2, 7, 3),), n_params=0),
    LayerCase(layers.MaxPooling2D, dict(pool_size=3, strides=2, padding="same"),
              input_shapes=((2, 5, 5, 3),), n_params=0),
    LayerCase(layers.MaxPooling3D, dict(data_format="channels_first"),
              input_shapes=((2, 2, 4, 4, 4),), n_params=0),
    LayerCase(layers.AveragePooling1D, dict(pool_size=3, strides=2, padding="same"),
              input_shapes=((2, 7, 3),), n_params=0),
    LayerCase(layers.AveragePooling2D, dict(pool_size=2, data_format="channels_first"),
              input_shapes=((2, 3, 4, 5),), n_params=0),
    LayerCase(layers.AveragePooling3D, dict(pool_size=2, strides=1),
              input_shapes=((2, 3, 3, 3, 2),), n_params=0),
    LayerCase(layers.GlobalMaxPooling1D, dict(keepdims=True), input_shapes=((2, 5, 3),),
              n_params=0),
    LayerCase(layers.GlobalMaxPooling2D, dict(), input_shapes=((2, 4, 4, 3),), n_params=0),
    LayerCase(layers.GlobalMaxPooling3D, dict(data_format="channels_first"),
              input_shapes=((2, 3, 2, 2, 2),), n_params=0),
    LayerCase(layers.GlobalAveragePooling1D, dict(), input_shapes=((2, 5, 3),), n_params=0),
    LayerCase(layers.GlobalAveragePooling2D, dict(keepdims=True),
              input_shapes=((2, 4, 4, 3),), n_params=0),
    LayerCase(layers.GlobalAveragePooling3D, dict(), input_shapes=((2, 2, 2, 2, 3),),
              n_params=0),
]
