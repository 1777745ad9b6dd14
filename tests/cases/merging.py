"""LayerCases for the merging family (jaxlayers/layers/merging.py): one list argument."""

from jaxlayers import layers
from tests.cases import LayerCase

_TWO = ((2, 3, 4), (2, 3, 4))

CASES = [
    LayerCase(layers.Add, {}, input_shapes=((2, 3, 4), (2, 3, 4), (2, 3, 4)), list_input=True,
              n_params=0),
    LayerCase(layers.Add, {}, input_shapes=((2, 3, 4), (2, 4)), list_input=True, n_params=0,
              id="Add-broadcast-rank"),
    LayerCase(layers.Subtract, {}, input_shapes=((2, 3, 4), (2, 1, 4)), list_input=True,
              n_params=0),
    LayerCase(layers.Multiply, {}, input_shapes=_TWO, list_input=True, n_params=0),
    LayerCase(layers.Average, {}, input_shapes=_TWO, list_input=True, n_params=0),
    LayerCase(layers.Maximum, {}, input_shapes=_TWO, list_input=True, n_params=0),
    LayerCase(layers.Minimum, {}, input_shapes=_TWO, list_input=True, n_params=0),
    LayerCase(layers.Concatenate, dict(axis=1), input_shapes=((2, 3, 4), (2, 2, 4)),
              list_input=True, n_params=0),
    LayerCase(layers.Dot, dict(axes=2), input_shapes=((2, 3, 4), (2, 5, 4)), list_input=True,
              n_params=0),
    LayerCase(layers.Dot, dict(axes=(1, 1), normalize=True), input_shapes=((2, 4), (2, 4)),
              list_input=True, n_params=0, id="Dot-normalize"),
]
