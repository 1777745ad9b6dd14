"""LayerCases for the reshaping family (jaxlayers/layers/reshaping.py)."""

from jaxlayers import layers
from tests.cases import LayerCase

CASES = [
    LayerCase(layers.Reshape, dict(target_shape=(-1, 4)), input_shapes=((2, 3, 8),),
              n_params=0),
    LayerCase(layers.Flatten, dict(), input_shapes=((2, 3, 4, 2),), n_params=0),
    LayerCase(layers.Flatten, dict(data_format="channels_first"), input_shapes=((2, 3, 2, 2),),
              n_params=0, id="Flatten-channels_first"),
    LayerCase(layers.RepeatVector, dict(n=3), input_shapes=((2, 4),), n_params=0),
    LayerCase(layers.Permute, dict(dims=(2, 1)), input_shapes=((2, 3, 4),), n_params=0),
    LayerCase(layers.Cropping1D, dict(cropping=(1, 2)), input_shapes=((2, 6, 3),), n_params=0),
    LayerCase(layers.Cropping2D, dict(cropping=((1, 0), (0, 2))), input_shapes=((2, 5, 5, 2),),
              n_params=0),
    LayerCase(layers.Cropping3D, dict(cropping=1, data_format="channels_first"),
              input_shapes=((2, 2, 3, 4, 5),), n_params=0),
    LayerCase(layers.UpSampling1D, dict(size=3), input_shapes=((2, 3, 2),), n_params=0),
    LayerCase(layers.UpSampling2D, dict(size=(2, 3)), input_shapes=((2, 3, 3, 2),), n_params=0),
    LayerCase(layers.UpSampling2D, dict(interpolation="bilinear", data_format="channels_first"),
              input_shapes=((2, 2, 3, 3),), n_params=0, id="UpSampling2D-bilinear-cf"),
    LayerCase(layers.UpSampling3D, dict(size=2), input_shapes=((2, 2, 2, 2, 1),), n_params=0),
    LayerCase(layers.ZeroPadding1D, dict(padding=(1, 2)), input_shapes=((2, 3, 2),),
              n_params=0),
    LayerCase(layers.ZeroPadding2D, dict(padding=((1, 0), (2, 1)), data_format="channels_first"),
              input_shapes=((2, 2, 3, 3),), n_params=0),
    LayerCase(layers.ZeroPadding3D, dict(padding=1), input_shapes=((2, 2, 2, 2, 1),),
              n_params=0),
]
