"""Cases of ReversibleEmbedding: the embedding direction and the reverse (logits) one.

The embedding direction also goes through the shape, Functional and save/load
checks (``SHAPE_CASES``: ``compute_output_shape`` is asked without call
keywords); tests/test_reversible_embedding.py saves a model using both directions.
"""

from jaxlayers import layers
from tests.cases import LayerCase

CASES = [
    LayerCase(layers.ReversibleEmbedding, dict(input_dim=10, output_dim=4, mask_zero=True),
              input_shapes=((3, 5),), input_dtype="int32", int_max=10, n_params=1),
    LayerCase(layers.ReversibleEmbedding, dict(input_dim=10, output_dim=4, tie_weights=False,
                                               logit_soft_cap=2.0),
              input_shapes=((3, 5, 4),), call_kwargs=dict(reverse=True), n_params=2,
              id="ReversibleEmbedding-reverse-untied"),
    LayerCase(layers.ReversibleEmbedding, dict(input_dim=7, output_dim=3,
                                               reverse_dtype="float32"),
              input_shapes=((2, 3),), call_kwargs=dict(reverse=True), n_params=1,
              id="ReversibleEmbedding-reverse-tied"),
]
SHAPE_CASES = CASES[:1]
