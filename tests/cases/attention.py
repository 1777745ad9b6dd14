"""LayerCases of the attention family."""

from jaxlayers.layers import attention as att
from tests.cases import LayerCase

_QV = ((2, 3, 4), (2, 5, 4))

CASES = [
    LayerCase(att.MultiHeadAttention, dict(num_heads=2, key_dim=3), input_shapes=_QV,
              n_params=8),
    LayerCase(att.MultiHeadAttention, dict(num_heads=2, key_dim=3, value_dim=2, dropout=0.5,
                                           output_shape=6, use_bias=False),
              input_shapes=((2, 3, 4), (2, 5, 4), (2, 5, 3)), n_params=4, random=True,
              call_kwargs=dict(return_attention_scores=True), id="MultiHeadAttention-dropout"),
    LayerCase(att.MultiHeadAttention, dict(num_heads=2, key_dim=2, use_gate=True),
              input_shapes=((2, 3, 4), (2, 3, 4)), n_params=10,
              call_kwargs=dict(use_causal_mask=True), id="MultiHeadAttention-causal-gate"),
    LayerCase(att.MultiHeadAttention, dict(num_heads=1, key_dim=2, attention_axes=(1, 2)),
              input_shapes=((2, 2, 3, 4), (2, 2, 3, 4)), n_params=8,
              id="MultiHeadAttention-2d"),
    LayerCase(att.GroupedQueryAttention, dict(head_dim=2, num_query_heads=4,
                                              num_key_value_heads=2),
              input_shapes=_QV, n_params=8),
    LayerCase(att.GroupedQueryAttention, dict(head_dim=2, num_query_heads=2,
                                              num_key_value_heads=1, dropout=0.5),
              input_shapes=_QV, n_params=8, random=True,
              id="GroupedQueryAttention-dropout"),
    LayerCase(att.Attention, {}, input_shapes=_QV, list_input=True, n_params=0),
    LayerCase(att.Attention, dict(use_scale=True, score_mode="concat", dropout=0.5),
              input_shapes=((2, 3, 4), (2, 5, 4), (2, 5, 4)), list_input=True, n_params=2,
              random=True, call_kwargs=dict(use_causal_mask=True), id="Attention-concat"),
    LayerCase(att.AdditiveAttention, {}, input_shapes=_QV, list_input=True, n_params=1),
]
