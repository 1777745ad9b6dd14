"""LayerCases of the normalization family."""

from jaxlayers.layers import normalization as norm
from tests.cases import LayerCase

CASES = [
    # BatchNormalization mixes rows in training, so rows are not independent.
    LayerCase(norm.BatchNormalization, {}, input_shapes=((4, 3),), n_params=2, n_state=2,
              batch_independent=False),
    LayerCase(norm.BatchNormalization, dict(axis=1, momentum=0.9, center=False),
              input_shapes=((3, 4, 2),), n_params=1, n_state=2, batch_independent=False,
              id="BatchNormalization-axis1"),
    LayerCase(norm.BatchNormalization, dict(axis=[1, 2]), input_shapes=((3, 2, 4),),
              n_params=2, n_state=2, batch_independent=False,
              id="BatchNormalization-axislist"),
    LayerCase(norm.BatchNormalization, dict(renorm=True, renorm_clipping={"rmax": 2.0}),
              input_shapes=((4, 3),), n_params=2, n_state=5, batch_independent=False,
              id="BatchNormalization-renorm"),
    LayerCase(norm.LayerNormalization, {}, input_shapes=((2, 5),), n_params=2),
    LayerCase(norm.LayerNormalization, dict(axis=[1, 2], center=False),
              input_shapes=((2, 3, 4),), n_params=1, id="LayerNormalization-axislist"),
    LayerCase(norm.LayerNormalization, dict(rms_scaling=True), input_shapes=((2, 5),),
              n_params=1, id="LayerNormalization-rms"),
    LayerCase(norm.GroupNormalization, dict(groups=2), input_shapes=((2, 3, 4),), n_params=2),
    LayerCase(norm.GroupNormalization, dict(groups=-1, axis=1, scale=False),
              input_shapes=((2, 3, 4),), n_params=1, id="GroupNormalization-instance"),
    LayerCase(norm.RMSNormalization, {}, input_shapes=((2, 5),), n_params=1),
    LayerCase(norm.UnitNormalization, dict(axis=[1, 2]), input_shapes=((2, 3, 4),),
              n_params=0),
]
