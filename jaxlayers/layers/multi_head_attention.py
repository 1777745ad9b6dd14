"""Multi-head attention layers: MultiHeadAttention and GroupedQueryAttention.

Weights have Keras's names, shapes and order: ``query``, ``key``, (``gate``,)
``value`` and ``attention_output`` EinsumDense sublayers, each with ``kernel``
and ``bias``.  The math is in :mod:`jaxlayers.ops.attention`:
``jax.nn.dot_product_attention`` (fused kernels) whenever nobody needs the
probabilities, an explicit einsum path for dropout on the probabilities,
returned scores and attention over several axes.  Both layers are exported
from :mod:`jaxlayers.layers.attention` (the family module).
"""

import math

import jax.numpy as jnp

from jaxlayers import backend, regularizers
from jaxlayers.core import args as _args
from jaxlayers.core.layer import Layer
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError, ShapeError
from jaxlayers.layers._weight_args import WeightArgs
from jaxlayers.layers.core import EinsumDense
from jaxlayers.ops import _attention as attn_ops
from jaxlayers.ops import nn as nn_ops

__all__ = ["MultiHeadAttention", "GroupedQueryAttention", "GroupQueryAttention"]


def _shape(x):
    return tuple(x.shape)



class _MultiHeadBase(WeightArgs, Layer):
    """Weight arguments, masks and the attention dispatch shared by MHA and GQA."""

    # A softmax over complex scores is not a distribution.
    supports_complex_inputs = False

    def _init_common(self, dropout, use_bias, sliding_window, flash_attention,
                     kernel_initializer, bias_initializer, kernel_regularizer,
                     bias_regularizer, activity_regularizer, kernel_constraint,
                     bias_constraint, use_gate, seed):
        owner = _args.owner(self)
        self._dropout = _args.rate(owner, "dropout", dropout)
        self._use_bias = _args.boolean(owner, "use_bias", use_bias)
        self._use_gate = _args.boolean(owner, "use_gate", use_gate)
        self._sliding_window = _args.optional(_args.positive_int, owner, "sliding_window",
                                              sliding_window)
        self._flash_attention = _args.optional(_args.boolean, owner, "flash_attention",
                                               flash_attention)
        if flash_attention and self._dropout > 0:
            raise ConfigError(
                f"{owner}: flash attention does not support dropout on the probabilities. "
                f"Set dropout=0.0 or flash_attention=None. Received: dropout={dropout!r}, "
                f"flash_attention={flash_attention!r}."
            )
        self._set_weight_args("kernel", kernel_initializer, kernel_regularizer,
                              kernel_constraint)
        self._set_weight_args("bias", bias_initializer, bias_regularizer, bias_constraint)
        # Keras applies the activity regularizer to the projections, not to the output.
        self._sub_activity_regularizer = regularizers.get(activity_regularizer)
        self.seed = _args.seed(owner, seed)
        self.supports_masking = True

    def _owner(self):
        return _args.owner(self)

    def _dense(self, equation, output_shape, bias_axes, name, activation=None):
        return EinsumDense(
            equation, output_shape=output_shape, activation=activation,
            bias_axes=bias_axes if self._use_bias else None, name=name,
            activity_regularizer=self._sub_activity_regularizer, dtype=self.dtype_policy,
            **self._weight_args("kernel", "bias"))

    def _common_config(self):
        return {
            "dropout": self._dropout,
            "use_bias": self._use_bias,
            "use_gate": self._use_gate,
            "sliding_window": self._sliding_window,
            "flash_attention": self._flash_attention,
            "activity_regularizer": regularizers.serialize(self._sub_activity_regularizer),
            "seed": self.seed,
            **self._weight_args_config("kernel", "bias"),
        }

    # --- masks -------------------------------------------------------------------
    def _check_masks(self, query, value, key, query_mask, value_mask, key_mask,
                     attention_mask, n_attn):
        owner = _args.owner(self)
        for name, m, x in (("query_mask", query_mask, query), ("value_mask", value_mask, value),
                           ("key_mask", key_mask, key)):
            if m is not None and _shape(m) != _shape(x)[:-1]:
                raise ShapeError(
                    f"{owner}: `{name}` must have the shape of its input without the "
                    f"feature axis, {_shape(x)[:-1]}. Received: {name}.shape={_shape(m)}."
                )
        if attention_mask is not None:
            q_axes = _shape(query)[-1 - n_attn:-1]
            k_axes = _shape(key)[-1 - n_attn:-1]
            target = (_shape(query)[0],) + q_axes + k_axes
            ms = _shape(attention_mask)
            # Right-aligned (query, key) axes must match; before them an optional
            # batch axis and then an optional heads axis (Keras expands masks so).
            lead = ms[:len(ms) - 2 * n_attn]
            if len(ms) < 2 * n_attn or len(lead) > 2 or any(
                    m not in (1, t) for m, t in zip(ms[len(lead):], target[1:])) or (
                    lead and lead[0] not in (1, target[0])):
                raise ShapeError(
                    f"{owner}: `attention_mask` must have shape (batch, query positions, key "
                    f"positions) = {target}, or broadcast to it (a heads axis after the batch "
                    f"is allowed). Received: attention_mask.shape={ms}, query.shape="
                    f"{_shape(query)}, key.shape={_shape(key)}."
                )

    def _attention_mask(self, query, value, query_mask, value_mask, key_mask, attention_mask,
                        use_causal_mask):
        """The combined boolean mask ``(batch or 1, q, k)``, or ``None``."""
        auto = None

        def both(a, b):
            return b if a is None else a & b

        if query_mask is not None:
            auto = query_mask.astype(bool)[..., :, None]
        for m in (value_mask, key_mask):
            if m is not None:
                auto = both(auto, m.astype(bool)[..., None, :])
        q_len, k_len = query.shape[1], value.shape[1]
        if use_causal_mask:
            auto = both(auto, attn_ops.causal_mask(q_len, k_len)[None])
        if self._sliding_window is not None:
            auto = both(auto, attn_ops.sliding_window_mask(q_len, k_len,
                                                           self._sliding_window)[None])
        if attention_mask is not None:
            attention_mask = attention_mask.astype(bool)
            return attention_mask if auto is None else attention_mask & auto
        return auto

    @staticmethod
    def _split_mask(mask):
        if isinstance(mask, (list, tuple)):
            mask = list(mask) + [None] * (3 - len(mask))
            return mask[0], mask[1], mask[2]
        return mask, None, None

    def compute_mask(self, inputs, mask=None):
        return self._split_mask(mask)[0]

    # --- attention ---------------------------------------------------------------
    def _flash_mode(self):
        """The layer's ``flash_attention``; when ``None``, the global switch's
        (``jl.config.disable_flash_attention()`` gives ``False``)."""
        if self._flash_attention is not None:
            return self._flash_attention
        return backend.is_flash_attention_enabled()

    def _attend(self, query, key, value, mask, causal_only, training, return_scores,
                scale, dot_eq, combine_eq, norm_axes, n_attn):
        """Projected ``(batch, *axes, heads, dim)`` inputs -> ``(output, scores or None)``."""
        dropout_now = bool(training) and self._dropout > 0
        fused = (query.ndim == 4 and not return_scores and not dropout_now
                 # Keras masks on the einsum path whenever dropout is configured;
                 # that only differs from the fused path for fully masked rows.
                 and not (self._dropout > 0 and mask is not None))
        if fused:
            if mask is not None:
                mask = attn_ops.expand_mask(mask, 4, n_attn)
            out = nn_ops.dot_product_attention(query, key, value, mask=mask, scale=scale,
                                               is_causal=causal_only,
                                               flash_attention=self._flash_mode())
            return out, None
        if causal_only:
            mask = attn_ops.causal_mask(query.shape[1], key.shape[1])[None]
        if mask is not None:
            # Scores are (batch dims incl. heads, query axes, key axes).
            mask = attn_ops.expand_mask(mask, query.ndim + n_attn - 1, n_attn)
        rate_key = self.next_key() if dropout_now else None
        return attn_ops.einsum_attention(query, key, value, dot_eq, combine_eq, norm_axes,
                                         scale, mask=mask, dropout_rate=self._dropout,
                                         dropout_key=rate_key)

    def _multi_head_call(self, query, value, key, query_mask, value_mask, key_mask,
                         attention_mask, return_attention_scores, training, use_causal_mask,
                         mask, n_attn):
        if key is None:
            key = value
        from_mask = self._split_mask(mask)
        query_mask = from_mask[0] if query_mask is None else query_mask
        value_mask = from_mask[1] if value_mask is None else value_mask
        key_mask = from_mask[2] if key_mask is None else key_mask
        self._check_masks(query, value, key, query_mask, value_mask, key_mask, attention_mask,
                          n_attn)
        if use_causal_mask and n_attn != 1:
            raise ShapeError(
                f"{_args.owner(self)}: use_causal_mask needs attention over one axis. Received: "
                f"attention_axes={self._attention_axes}."
            )
        causal_only = (use_causal_mask and query_mask is None and value_mask is None
                       and key_mask is None and attention_mask is None
                       and self._sliding_window is None)
        combined = None if causal_only else self._attention_mask(
            query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask)
        gate = self._gate_dense(query) if self._use_gate else None
        q = self._query_dense(query)
        k = self._key_dense(key)
        v = self._value_dense(value)
        out, scores = self._project_and_attend(q, k, v, combined, causal_only, training,
                                               return_attention_scores)
        if gate is not None:
            out = out * gate
        out = self._output_dense(out)
        if return_attention_scores:
            return out, scores
        return out


@register_builtin("layers")
class MultiHeadAttention(_MultiHeadBase):
    """Multi-head attention (Vaswani et al., 2017), with Keras's arguments and weights.

    Query, key and value are projected to ``num_heads`` heads by EinsumDense
    sublayers ``query``/``key``/``value``; scaled dot-product attention runs per
    head (over ``attention_axes``); ``attention_output`` projects the
    concatenated heads back to the query's last size (or ``output_shape``).

    Args:
        num_heads: Number of attention heads.
        key_dim: Size of each head for query and key (required).
        value_dim: Size of each head for value; default ``key_dim``.
        dropout: Dropout rate on the attention probabilities, in ``[0, 1)``.
        use_bias: Whether the projections have biases.
        output_shape: Size (int or tuple) of the output's last axes; default
            the query's last axis.
        attention_axes: Axes attention runs over (default all axes between batch
            and features), e.g. ``(2, 3)`` for 2D attention on ``(B, T, H, W, C)``.
        sliding_window: Only attend to keys with ``|i - j| < sliding_window``.
        flash_attention: ``True`` to require the cuDNN flash kernel, ``None`` to
            use it when it applies (GPU, half precision), ``False`` never.
        kernel_initializer, bias_initializer, kernel_regularizer,
            bias_regularizer, activity_regularizer, kernel_constraint,
            bias_constraint: Passed to the projection sublayers.
        use_gate: Multiply the attended values by a sigmoid gate projected from
            the query (a ``gate`` sublayer) before the output projection.
        seed: Kept for Keras compatibility (dropout masks come from the key).

    Call args:
        query: ``(B, T, dim)``.  value: ``(B, S, dim_v)``.  key: optional
            ``(B, S, dim_k)``, default ``value``.
        query_mask, value_mask, key_mask: Optional ``(B, T)`` / ``(B, S)``
            boolean masks (``mask=`` of ``apply`` gives the query mask, or a list
            ``[query_mask, value_mask, key_mask]``).
        attention_mask: Optional ``(B, T, S)`` boolean mask, true where query
            position ``t`` may attend to key position ``s``.
        return_attention_scores: Also return the ``(B, heads, T, S)``
            probabilities.
        training: Dropout on the probabilities when true.
        use_causal_mask: Each position attends only to itself and earlier ones.

    Weights (in order): ``query/kernel (dim, heads, key_dim)``, ``query/bias
    (heads, key_dim)``, ``key/...``, ``value/...``, ``attention_output/kernel
    (heads, value_dim, dim)``, ``attention_output/bias (dim,)``.

    Example:
        >>> mha = jl.layers.MultiHeadAttention(num_heads=2, key_dim=4)
        >>> x = jnp.ones((1, 3, 8))
        >>> mha(x, x).shape
        (1, 3, 8)
    """

    def __init__(self, num_heads, key_dim=None, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, sliding_window=None,
                 flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 use_gate=False, seed=None, **kwargs):
        super().__init__(**kwargs)
        owner = _args.owner(self)
        self._num_heads = _args.positive_int(owner, "num_heads", num_heads)
        if key_dim is None:
            raise ConfigError(
                f"{owner}: `key_dim` (the size of each attention head for query and key) is "
                f"required, e.g. MultiHeadAttention(num_heads={num_heads!r}, key_dim=64). "
                f"Received: key_dim=None."
            )
        self._key_dim = _args.positive_int(owner, "key_dim", key_dim)
        self._value_dim = _args.optional(_args.positive_int, owner, "value_dim", value_dim) \
            or self._key_dim
        self._output_shape = _args.optional(_args.sizes, owner, "output_shape",
                                            output_shape) or None
        attention_axes = _args.optional(_args.axes, owner, "attention_axes", attention_axes)
        if attention_axes is not None:
            attention_axes = tuple(attention_axes) if isinstance(attention_axes, list) \
                else (attention_axes,)
        self._attention_axes_arg = attention_axes
        self._attention_axes = attention_axes
        self._init_common(dropout, use_bias, sliding_window, flash_attention,
                          kernel_initializer, bias_initializer, kernel_regularizer,
                          bias_regularizer, activity_regularizer, kernel_constraint,
                          bias_constraint, use_gate, seed)
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(self._key_dim))

    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)

    def _check_shapes(self, query_shape, value_shape, key_shape):
        owner = _args.owner(self)
        if len(query_shape) < 3:
            raise ShapeError(
                f"{owner}: query must have rank 3 or more (batch, positions..., features). "
                f"Received: query_shape={tuple(query_shape)}."
            )
        if len(value_shape) != len(query_shape):
            raise ShapeError(
                f"{owner}: query and value must have the same rank. Received: "
                f"query_shape={tuple(query_shape)}, value_shape={tuple(value_shape)}."
            )
        if tuple(value_shape[1:-1]) != tuple(key_shape[1:-1]) or len(key_shape) != len(
                value_shape):
            raise ShapeError(
                f"{owner}: value and key must have the same shape except the last axis. "
                f"Received: value_shape={tuple(value_shape)}, key_shape={tuple(key_shape)}."
            )
        rank = len(query_shape) + 1
        axes = self._resolved_axes(rank)
        batch_axes = [0] + [i for i in range(1, len(query_shape) - 1) if i not in axes]
        for i in batch_axes:
            q, v = query_shape[i], value_shape[i]
            if q is not None and v is not None and q != v:
                raise ShapeError(
                    f"{owner}: query and value must agree on axis {i} (a batch axis, not "
                    f"attended over). Received: query_shape={tuple(query_shape)}, "
                    f"value_shape={tuple(value_shape)}."
                )

    def _resolved_axes(self, rank):
        """Attention axes of the projected ``(batch, *axes, heads, dim)`` tensor."""
        if self._attention_axes_arg is None:
            return tuple(range(1, rank - 2))
        axes = tuple(a if a >= 0 else (rank - 1) + a for a in self._attention_axes_arg)
        if any(not 1 <= a < rank - 2 for a in axes):
            raise ShapeError(
                f"{_args.owner(self)}: `attention_axes` must name axes between the batch and the "
                f"feature axis of inputs of rank {rank - 1}. Received: "
                f"attention_axes={self._attention_axes_arg}."
            )
        return axes

    def build(self, query_shape, value_shape, key_shape=None):
        key_shape = value_shape if key_shape is None else key_shape
        self._check_shapes(query_shape, value_shape, key_shape)
        free = len(query_shape) - 1
        eq, bias, out_rank = attn_ops.projection_equation(free, 1, 2)
        lead = [None] * (out_rank - 1 - 2)
        self._query_dense = self._dense(eq, lead + [self._num_heads, self._key_dim], bias,
                                        "query")
        self._query_dense.build(tuple(query_shape))
        eq_k, bias_k, _ = attn_ops.projection_equation(len(key_shape) - 1, 1, 2)
        self._key_dense = self._dense(eq_k, lead + [self._num_heads, self._key_dim], bias_k,
                                      "key")
        self._key_dense.build(tuple(key_shape))
        if self._use_gate:
            self._gate_dense = self._dense(eq, lead + [self._num_heads, self._value_dim], bias,
                                           "gate", activation="sigmoid")
            self._gate_dense.build(tuple(query_shape))
        eq_v, bias_v, _ = attn_ops.projection_equation(len(value_shape) - 1, 1, 2)
        self._value_dense = self._dense(eq_v, lead + [self._num_heads, self._value_dim],
                                        bias_v, "value")
        self._value_dense.build(tuple(value_shape))
        self._attention_axes = self._resolved_axes(out_rank)
        self._dot_eq, self._combine_eq, scores_rank = attn_ops.attention_equations(
            out_rank, self._attention_axes)
        n = len(self._attention_axes)
        self._norm_axes = tuple(range(scores_rank - n, scores_rank))
        out_shape = list(self._output_shape or [query_shape[-1]])
        eq_o, bias_o, o_rank = attn_ops.projection_equation(free, 2, len(out_shape))
        self._output_dense = self._dense(eq_o, [None] * (o_rank - 1 - len(out_shape))
                                         + out_shape, bias_o, "attention_output")
        self._output_dense.build(tuple(query_shape[:-1]) + (self._num_heads, self._value_dim))

    def _project_and_attend(self, q, k, v, mask, causal_only, training, return_scores):
        return self._attend(q, k, v, mask, causal_only, training, return_scores,
                            self._inverse_sqrt_key_dim, self._dot_eq, self._combine_eq,
                            self._norm_axes, len(self._attention_axes))

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False, mask=None):
        return self._multi_head_call(query, value, key, query_mask, value_mask, key_mask,
                                     attention_mask, return_attention_scores, training,
                                     use_causal_mask, mask, len(self._attention_axes))

    def compute_output_shape(self, query_shape, value_shape, key_shape=None):
        key_shape = value_shape if key_shape is None else key_shape
        self._check_shapes(query_shape, value_shape, key_shape)
        if self._output_shape:
            return tuple(query_shape[:-1]) + tuple(self._output_shape)
        return tuple(query_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "num_heads": self._num_heads,
            "key_dim": self._key_dim,
            "value_dim": self._value_dim,
            "output_shape": list(self._output_shape) if self._output_shape else None,
            "attention_axes": (list(self._attention_axes_arg)
                               if self._attention_axes_arg is not None else None),
        })
        config.update(self._common_config())
        return config


@register_builtin("layers")
class GroupedQueryAttention(_MultiHeadBase):
    """Grouped-query attention (Ainslie et al., 2023): fewer key/value heads than query heads.

    Each of ``num_key_value_heads`` key/value heads serves
    ``num_query_heads // num_key_value_heads`` consecutive query heads.
    Exported as ``GroupQueryAttention`` too (Keras's public name).

    Args:
        head_dim: Size of each head.
        num_query_heads: Number of query heads.
        num_key_value_heads: Number of key and value heads; must divide
            ``num_query_heads``.
        dropout, use_bias, sliding_window, flash_attention, *_initializer,
            *_regularizer, *_constraint, use_gate, seed: As in MultiHeadAttention.

    Call args: as MultiHeadAttention, with ``(B, T, dim)`` / ``(B, S, dim)`` inputs.

    Weights (in order): ``query/kernel (dim, num_query_heads, head_dim)``,
    ``query/bias``, ``key/kernel (dim, num_key_value_heads, head_dim)``,
    ``key/bias``, ``value/...``, ``attention_output/kernel (num_query_heads,
    head_dim, dim)``, ``attention_output/bias (dim,)``.

    Example:
        >>> gqa = jl.layers.GroupQueryAttention(head_dim=4, num_query_heads=4,
        ...                                     num_key_value_heads=2)
        >>> x = jnp.ones((1, 3, 8))
        >>> gqa(x, x).shape
        (1, 3, 8)
    """

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0,
                 use_bias=True, sliding_window=None, flash_attention=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        owner = _args.owner(self)
        self.head_dim = _args.positive_int(owner, "head_dim", head_dim)
        self.num_query_heads = _args.positive_int(owner, "num_query_heads", num_query_heads)
        self.num_key_value_heads = _args.positive_int(owner, "num_key_value_heads",
                                                      num_key_value_heads)
        if num_query_heads % num_key_value_heads:
            raise ConfigError(
                f"{owner}: `num_query_heads` must be a multiple of `num_key_value_heads`. "
                f"Received: num_query_heads={num_query_heads}, "
                f"num_key_value_heads={num_key_value_heads}."
            )
        self.num_repeats = num_query_heads // num_key_value_heads
        self._init_common(dropout, use_bias, sliding_window, flash_attention,
                          kernel_initializer, bias_initializer, kernel_regularizer,
                          bias_regularizer, activity_regularizer, kernel_constraint,
                          bias_constraint, use_gate, seed)
        self._attention_axes = (1,)
        self._inverse_sqrt_head_dim = 1.0 / math.sqrt(float(self.head_dim))

    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)

    def _check_shapes(self, query_shape, value_shape, key_shape):
        owner = _args.owner(self)
        for name, shape in (("query", query_shape), ("value", value_shape),
                            ("key", key_shape)):
            if len(shape) != 3:
                raise ShapeError(
                    f"{owner}: {name} must have rank 3 (batch, positions, features). "
                    f"Received: {name}_shape={tuple(shape)}."
                )
        if value_shape[1] != key_shape[1]:
            raise ShapeError(
                f"{owner}: value and key must have the same number of positions. Received: "
                f"value_shape={tuple(value_shape)}, key_shape={tuple(key_shape)}."
            )
        for other, shape in (("value", value_shape), ("key", key_shape)):
            if None not in (query_shape[0], shape[0]) and query_shape[0] != shape[0]:
                raise ShapeError(
                    f"{owner}: query and {other} must have the same batch size. Received: "
                    f"query_shape={tuple(query_shape)}, {other}_shape={tuple(shape)}."
                )

    def build(self, query_shape, value_shape, key_shape=None):
        key_shape = value_shape if key_shape is None else key_shape
        self._check_shapes(query_shape, value_shape, key_shape)
        self.feature_dim = query_shape[-1]
        nq, nkv, h = self.num_query_heads, self.num_key_value_heads, self.head_dim
        self._query_dense = self._dense("bqm,muh->bquh", (None, nq, h), "uh", "query")
        self._query_dense.build(tuple(query_shape))
        self._key_dense = self._dense("bkm,mvh->bkvh", (None, nkv, h), "vh", "key")
        self._key_dense.build(tuple(key_shape))
        if self._use_gate:
            self._gate_dense = self._dense("bqm,muh->bquh", (None, nq, h), "uh", "gate",
                                           activation="sigmoid")
            self._gate_dense.build(tuple(query_shape))
        self._value_dense = self._dense("bkm,mvh->bkvh", (None, nkv, h), "vh", "value")
        self._value_dense.build(tuple(value_shape))
        self._output_dense = self._dense("bquh,uhm->bqm", (None, self.feature_dim), "m",
                                         "attention_output")
        self._output_dense.build((None, None, nq, h))
        self._dot_eq, self._combine_eq, _ = attn_ops.attention_equations(4, (1,))

    def _project_and_attend(self, q, k, v, mask, causal_only, training, return_scores):
        dropout_now = bool(training) and self._dropout > 0
        if return_scores or dropout_now or (self._dropout > 0 and mask is not None):
            # The explicit path needs one key/value head per query head.
            k = jnp.repeat(k, self.num_repeats, axis=2)
            v = jnp.repeat(v, self.num_repeats, axis=2)
        return self._attend(q, k, v, mask, causal_only, training, return_scores,
                            self._inverse_sqrt_head_dim, self._dot_eq, self._combine_eq,
                            (3,), 1)

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False, mask=None):
        return self._multi_head_call(query, value, key, query_mask, value_mask, key_mask,
                                     attention_mask, return_attention_scores, training,
                                     use_causal_mask, mask, 1)

    def compute_output_shape(self, query_shape, value_shape, key_shape=None):
        key_shape = value_shape if key_shape is None else key_shape
        self._check_shapes(query_shape, value_shape, key_shape)
        return tuple(query_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "head_dim": self.head_dim,
            "num_query_heads": self.num_query_heads,
            "num_key_value_heads": self.num_key_value_heads,
        })
        config.update(self._common_config())
        return config


GroupQueryAttention = GroupedQueryAttention
register_builtin("layers", name="GroupQueryAttention")(GroupedQueryAttention)
