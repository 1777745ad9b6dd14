"""Attention layers: MultiHeadAttention, GroupedQueryAttention (``GroupQueryAttention``),
Attention (dot-product, Luong) and AdditiveAttention (Bahdanau).

The multi-head layers live in :mod:`jaxlayers.layers.multi_head_attention` and
are re-exported here; this module holds the single-head ``Attention`` and
``AdditiveAttention``, whose math is in :mod:`jaxlayers.ops.attention`.
"""

import jax.numpy as jnp

from jaxlayers.core import args as _args
from jaxlayers.core.layer import Layer
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError, ShapeError
from jaxlayers.layers.multi_head_attention import (
    GroupedQueryAttention,
    GroupQueryAttention,
    MultiHeadAttention,
    _shape,
)
from jaxlayers.ops import _attention as attn_ops

__all__ = [
    "MultiHeadAttention",
    "GroupedQueryAttention",
    "GroupQueryAttention",
    "Attention",
    "AdditiveAttention",
]


@register_builtin("layers")
class Attention(Layer):
    """Dot-product (Luong-style) attention over ``[query, value]`` or ``[query, value, key]``.

    ``scores = query @ key^T`` (times a learned scalar ``scale`` with
    ``use_scale``), or with ``score_mode='concat'``
    ``concat_score_weight * sum(tanh(scale * (q + k)))``; then
    ``softmax(scores) @ value``.

    Args:
        use_scale: Learn a scalar ``scale`` multiplying the scores.
        score_mode: ``'dot'`` or ``'concat'``.
        dropout: Dropout rate on the attention weights, in ``[0, 1)``.
        seed: Kept for Keras compatibility.

    Call args:
        inputs: ``[query (B, Tq, dim), value (B, Tv, dim_v)]`` or with
            ``key (B, Tv, dim)``.
        mask: Optional ``[query_mask (B, Tq), value_mask (B, Tv)]``; masked
            values are ignored, masked query rows give zeros.
        return_attention_scores: Also return the ``(B, Tq, Tv)`` weights.
        training: Dropout when true.
        use_causal_mask: Query position ``i`` attends to value positions ``<= i``.

    Example:
        >>> att = jl.layers.Attention()
        >>> q, v = jnp.ones((1, 2, 4)), jnp.ones((1, 3, 4))
        >>> att([q, v]).shape
        (1, 2, 4)
    """

    # A softmax over complex scores is not a distribution.
    supports_complex_inputs = False

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        owner = _args.owner(self)
        if score_mode not in ("dot", "concat"):
            raise ConfigError(
                f"{owner}: `score_mode` must be 'dot' or 'concat'. "
                f"Received: score_mode={score_mode!r}."
            )
        self.use_scale = _args.boolean(owner, "use_scale", use_scale)
        self.score_mode = score_mode
        self.dropout = _args.rate(owner, "dropout", dropout)
        self.seed = _args.seed(owner, seed)
        self.supports_masking = True

    def _validate(self, inputs, mask=None):
        owner = _args.owner(self)
        if not isinstance(inputs, (list, tuple)) or not 2 <= len(inputs) <= 3 or any(
                isinstance(x, int) or x is None for x in inputs):
            raise ShapeError(
                f"{owner} must be called on a list [query, value] or [query, value, key]. "
                f"Received: inputs of type {type(inputs).__name__}"
                f"{f' and length {len(inputs)}' if isinstance(inputs, (list, tuple)) else ''}."
            )
        if mask is not None and (not isinstance(mask, (list, tuple)) or
                                 not 2 <= len(mask) <= 3):
            raise ShapeError(
                f"{owner}: `mask` must be a list [query_mask, value_mask]. Received: "
                f"mask of type {type(mask).__name__}."
            )

    def _check_shapes(self, shapes):
        owner = _args.owner(self)
        q, v = tuple(shapes[0]), tuple(shapes[1])
        k = tuple(shapes[2]) if len(shapes) > 2 else v
        if len(q) < 2 or len(v) != len(q) or len(k) != len(q):
            raise ShapeError(
                f"{owner}: query, value and key must have the same rank (at least 2). "
                f"Received: query_shape={q}, value_shape={v}, key_shape={k}."
            )
        for dims in zip(q[:-2], v[:-2], k[:-2]):
            if len(set(dims) - {None, 1}) > 1:
                raise ShapeError(
                    f"{owner}: query, value and key must agree on their leading (batch) "
                    f"axes. Received: query_shape={q}, value_shape={v}, key_shape={k}."
                )
        if None not in (k[-1], q[-1]) and k[-1] != q[-1]:
            raise ShapeError(
                f"{owner}: query and key must have the same feature size. Received: "
                f"query_shape={q}, key_shape={k}."
            )
        if None not in (k[-2], v[-2]) and k[-2] != v[-2]:
            raise ShapeError(
                f"{owner}: value and key must have the same number of positions. Received: "
                f"value_shape={v}, key_shape={k}."
            )
        return q, v, k

    def build(self, input_shape):
        self._validate(input_shape)
        self._check_shapes(input_shape)
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(name="concat_score_weight", shape=(),
                                                       initializer="ones")

    def _scores(self, query, key):
        if self.score_mode == "dot":
            return attn_ops.dot_scores(query, key, self.scale)
        return attn_ops.concat_scores(query, key, self.concat_score_weight, self.scale)

    def call(self, inputs, mask=None, training=False, return_attention_scores=False,
             use_causal_mask=False):
        self._validate(inputs, mask)
        self._check_shapes([_shape(x) for x in inputs])
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        q_mask = mask[0] if mask else None
        v_mask = mask[1] if mask else None
        owner = _args.owner(self)
        for name, m, x in (("query_mask", q_mask, q), ("value_mask", v_mask, v)):
            if m is not None and _shape(m) != _shape(x)[:-1]:
                raise ShapeError(
                    f"{owner}: {name} must have shape {_shape(x)[:-1]} (its input without "
                    f"the feature axis). Received: {name}.shape={_shape(m)}."
                )
        scores = self._scores(q, k)
        scores_mask = v_mask
        if use_causal_mask:
            causal = attn_ops.causal_mask(scores.shape[-2], scores.shape[-1])[None]
            scores_mask = causal if v_mask is None else (v_mask.astype(bool)[..., None, :]
                                                         & causal)
        dropout_now = bool(training) and self.dropout > 0
        out, weights = attn_ops.attend_with_scores(
            scores, v, scores_mask, self.dropout, self.next_key() if dropout_now else None)
        if q_mask is not None:
            out = jnp.where(q_mask.astype(bool)[..., None], out, jnp.zeros((), out.dtype))
        if return_attention_scores:
            return out, weights
        return out

    def compute_mask(self, inputs, mask=None):
        if not mask:
            return None
        return mask[0]

    def compute_output_shape(self, input_shape):
        q, v, _ = self._check_shapes(input_shape)
        return q[:-1] + (v[-1],)

    def get_config(self):
        config = super().get_config()
        config.update({"use_scale": self.use_scale, "score_mode": self.score_mode,
                       "dropout": self.dropout, "seed": self.seed})
        return config


@register_builtin("layers")
class AdditiveAttention(Attention):
    """Additive (Bahdanau-style) attention: ``scores = sum(scale * tanh(q_i + k_j))``.

    Args:
        use_scale: Learn a per-feature ``scale`` vector (glorot-uniform initialized).
        dropout: Dropout rate on the attention weights, in ``[0, 1)``.

    Call args: as Attention.

    Example:
        >>> att = jl.layers.AdditiveAttention(name="add")
        >>> q, v = jnp.ones((1, 2, 4)), jnp.ones((1, 3, 4))
        >>> params, _ = att.init(jax.random.key(0), [q, v])
        >>> jax.tree.map(jnp.shape, params)
        {'add': {'scale': (4,)}}
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        kwargs.pop("score_mode", None)
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._validate(input_shape)
        self._check_shapes(input_shape)
        self.scale = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(input_shape[0][-1],),
                                         initializer="glorot_uniform")

    def _scores(self, query, key):
        return attn_ops.additive_scores(query, key, self.scale)

    def get_config(self):
        config = super().get_config()
        config.pop("score_mode", None)
        return config
