"""LayerCases of ``Repeat`` (a block's copies stacked and scanned)."""

from jaxlayers import layers
from tests.cases import LayerCase, fresh

CASES = [
    LayerCase(fresh(layers.Repeat, lambda: dict(layer=layers.Dense(3, activation="tanh"),
                                                  n=3)),
              input_shapes=((2, 3),), n_params=2, n_state=0),
]
