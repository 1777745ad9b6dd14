"""LayerCases of the regularization family (the random ones are ``random=True``)."""

from jaxlayers.layers import regularization as reg
from tests.cases import LayerCase

CASES = [
    LayerCase(reg.Dropout, dict(rate=0.5), input_shapes=((3, 4),), n_params=0, random=True),
    LayerCase(reg.Dropout, dict(rate=0.3, noise_shape=(None, 1, 4), seed=3),
              input_shapes=((2, 3, 4),), n_params=0, random=True, id="Dropout-noise_shape"),
    LayerCase(reg.SpatialDropout1D, dict(rate=0.5), input_shapes=((2, 3, 4),), random=True),
    LayerCase(reg.SpatialDropout2D, dict(rate=0.5), input_shapes=((2, 3, 3, 2),),
              random=True),
    LayerCase(reg.SpatialDropout2D, dict(rate=0.5, data_format="channels_first"),
              input_shapes=((2, 2, 3, 3),), random=True, id="SpatialDropout2D-cf"),
    LayerCase(reg.SpatialDropout3D, dict(rate=0.5), input_shapes=((2, 2, 2, 2, 3),),
              random=True),
    LayerCase(reg.GaussianDropout, dict(rate=0.3), input_shapes=((3, 4),), random=True),
    LayerCase(reg.GaussianNoise, dict(stddev=0.5), input_shapes=((3, 4),), random=True),
    LayerCase(reg.AlphaDropout, dict(rate=0.2), input_shapes=((3, 4),), random=True),
    LayerCase(reg.ActivityRegularization, dict(l1=0.01, l2=0.02), input_shapes=((3, 4),),
              n_params=0),
]
