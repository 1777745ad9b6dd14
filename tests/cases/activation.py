"""LayerCases of the activation-layer family."""

from jaxlayers.layers import activation as act
from tests.cases import LayerCase

CASES = [
    LayerCase(act.ReLU, {}, input_shapes=((3, 4),), n_params=0),
    LayerCase(act.ReLU, dict(max_value=1.0, negative_slope=0.1, threshold=0.2),
              input_shapes=((3, 4),), id="ReLU-options"),
    LayerCase(act.LeakyReLU, dict(negative_slope=0.2), input_shapes=((3, 4),)),
    LayerCase(act.ELU, dict(alpha=0.5), input_shapes=((3, 4),)),
    LayerCase(act.Softmax, {}, input_shapes=((3, 4),)),
    LayerCase(act.Softmax, dict(axis=[1, 2]), input_shapes=((2, 3, 4),), id="Softmax-axes"),
    LayerCase(act.PReLU, {}, input_shapes=((3, 4),), n_params=1),
    LayerCase(act.PReLU, dict(shared_axes=[1], alpha_initializer="ones"),
              input_shapes=((2, 3, 4),), n_params=1, id="PReLU-shared"),
]
