"""Pure attention math: masks, masked softmax, scaled dot-product, additive scores.

Two paths compute multi-head attention:

* :func:`fused_attention` calls ``jax.nn.dot_product_attention`` (XLA, or the
  cuDNN flash kernel on GPU when the inputs allow it) on ``(batch, seq,
  heads, dim)`` arrays.  It is used whenever nothing needs the probabilities.
* :func:`einsum_attention` forms the probabilities explicitly, for dropout on
  them, for returning them, and for attention over several axes.

Keras masks logits differently on the two paths (the fused one with a very
large negative number, the einsum one with ``-1e9`` followed by zeroing masked
probabilities); both are mirrored so outputs match Keras exactly, including
fully masked rows.

:func:`dot_product_attention` is the public op (``jl.ops.nn``); the rest serve
the attention layers.

Example:
    >>> import jax.numpy as jnp
    >>> from jaxlayers.ops import _attention as attn_ops
    >>> attn_ops.causal_mask(2, 3)
    Array([[ True, False, False],
           [ True,  True, False]], dtype=bool)
"""

import math
import string

import jax
import jax.numpy as jnp

from jaxlayers.errors import ConfigError, ShapeError
from jaxlayers.ops import _args
from jaxlayers.ops import _regularization as reg_ops

__all__ = [
    "dot_product_attention",
    "large_negative",
    "causal_mask",
    "sliding_window_mask",
    "masked_softmax",
    "projection_equation",
    "attention_equations",
    "expand_mask",
    "fused_attention",
    "einsum_attention",
    "dot_scores",
    "concat_scores",
    "additive_scores",
    "attend_with_scores",
]


def large_negative(dtype):
    """The logit Keras gives masked positions before a softmax: ``-1e9`` (``-3e4`` in fp16)."""
    return -3e4 if jnp.dtype(dtype) == jnp.float16 else -1e9


def causal_mask(q_len, k_len):
    """``(q_len, k_len)`` boolean mask, true where key position ``j <= i`` (query position)."""
    return jnp.tril(jnp.ones((q_len, k_len), dtype=bool))


def sliding_window_mask(q_len, k_len, window):
    """``(q_len, k_len)`` boolean mask, true where ``|i - j| < window``."""
    i = jnp.arange(q_len)[:, None]
    j = jnp.arange(k_len)[None, :]
    return jnp.abs(i - j) < window


def masked_softmax(x, mask=None, axis=-1):
    """Softmax over ``axis`` (an int or a tuple of axes) ignoring masked positions.

    Masked logits are replaced by :func:`large_negative` and their
    probabilities set to exactly zero, so a fully masked slice gives zeros.

    Args:
        x: Logits.
        mask: Optional array broadcastable to ``x``; boolean, or numeric with
            ``> 0.5`` meaning kept.
        axis: Axis or axes normalized over.
    """
    if mask is not None:
        if mask.dtype != jnp.bool_:
            mask = mask > jnp.asarray(0.5, mask.dtype)
        x = jnp.where(mask, x, jnp.asarray(large_negative(x.dtype), x.dtype))
    if isinstance(axis, (tuple, list)) and len(axis) > 1:
        out = jnp.exp(x - jax.nn.logsumexp(x, axis=tuple(axis), keepdims=True))
    else:
        if isinstance(axis, (tuple, list)):
            axis = axis[0]
        out = jax.nn.softmax(x, axis=axis)
    if mask is not None:
        out = jnp.where(mask, out, jnp.zeros((), out.dtype))
    return out


# ------------------------------------------------------------------ einsum equations
def _letters(start, count):
    return string.ascii_lowercase[start:start + count]


def projection_equation(free_dims, bound_dims, output_dims):
    """``(equation, bias_axes, output_rank)`` of a projection ``EinsumDense``.

    The input has ``free_dims`` axes kept as is followed by ``bound_dims``
    contracted axes; the kernel maps the contracted axes to ``output_dims``
    new axes (e.g. ``(heads, key_dim)``), which the bias spans.

    Example:
        >>> projection_equation(2, 1, 2)
        ('abc,cde->abde', 'de', 4)
    """
    free = _letters(0, free_dims)
    bound = _letters(free_dims, bound_dims)
    new = _letters(free_dims + bound_dims, output_dims)
    return f"{free}{bound},{bound}{new}->{free}{new}", new, free_dims + output_dims


def attention_equations(rank, attn_axes):
    """``(dot_equation, combine_equation, scores_rank)`` for attention over ``attn_axes``.

    ``rank`` is the rank of the projected query ``(batch, *axes, heads, dim)``.
    The dot equation contracts ``key, query -> scores`` with scores laid out
    as ``(batch dims..., query attn axes..., key attn axes...)``, heads being a
    batch dim; the combine equation contracts ``scores, value -> output``.

    Example:
        >>> attention_equations(4, (1,))
        ('aecd,abcd->acbe', 'acbe,aecd->abcd', 4)
    """
    attn_axes = tuple(attn_axes)
    target = _letters(0, rank)
    batch_dims = [i for i in range(rank) if i not in attn_axes and i != rank - 1]
    source, extra = list(target), rank
    for i in attn_axes:
        source[i] = string.ascii_lowercase[extra]
        extra += 1
    source = "".join(source)
    product = ("".join(target[i] for i in batch_dims)
               + "".join(target[i] for i in attn_axes)
               + "".join(source[i] for i in attn_axes))
    return (f"{source},{target}->{product}", f"{product},{source}->{target}",
            len(product))


def expand_mask(mask, rank, n_attn_axes=1):
    """Inserts size-1 (head) axes into an attention mask until it has ``rank`` axes.

    A mask of shape ``(batch, q..., k...)`` becomes ``(batch, 1, q..., k...)``
    for scores of shape ``(batch, heads, q..., k...)``.
    """
    axis = -2 * n_attn_axes - 1
    while mask.ndim < rank:
        mask = jnp.expand_dims(mask, axis)
    return mask


# ------------------------------------------------------------------ multi-head attention
def _use_cudnn(query, flash_attention):
    if flash_attention is False:
        return False
    if flash_attention:
        return True
    return (jax.devices()[0].platform == "gpu"
            and query.dtype in (jnp.float16, jnp.bfloat16))


def _grouped_attention(query, key, value, mask, scale, is_causal, bias=None):
    """What ``jax.nn.dot_product_attention`` (XLA) computes, for any value head size."""
    b, t, n, h = query.shape
    s, k = key.shape[1], key.shape[2]
    scale = 1.0 / math.sqrt(h) if scale is None else scale
    q = jnp.reshape(query, (b, t, k, n // k, h))
    logits_dtype = jnp.promote_types(query.dtype, jnp.float32)
    logits = jnp.einsum("btkgh,bskh->bkgts", q, key,
                        preferred_element_type=logits_dtype) * scale
    if bias is not None:
        bias = jnp.reshape(bias, (1,) * (4 - bias.ndim) + tuple(bias.shape))
        bias = jnp.broadcast_to(bias, (bias.shape[0], n, t, s))
        logits = logits + jnp.reshape(bias, (bias.shape[0], k, n // k, t, s)).astype(
            logits.dtype)
    keep = None
    if mask is not None:
        mask = jnp.reshape(mask, (1,) * (4 - mask.ndim) + tuple(mask.shape))
        keep = jnp.broadcast_to(mask, (mask.shape[0], n, t, s))
        keep = jnp.reshape(keep, (mask.shape[0], k, n // k, t, s))
    if is_causal:
        causal = causal_mask(t, s)
        keep = causal if keep is None else keep & causal
    if keep is not None:
        big = jnp.asarray(-0.7 * jnp.finfo(logits.dtype).max, logits.dtype)
        logits = jnp.where(keep, logits, big)
    probs = jax.nn.softmax(logits.astype(jnp.float32), axis=-1).astype(key.dtype)
    out = jnp.einsum("bkgts,bskd->btkgd", probs, value)
    return jnp.reshape(out, (b, t, n, value.shape[-1]))


def fused_attention(query, key, value, mask=None, scale=None, is_causal=False,
                    flash_attention=None, bias=None):
    """Scaled dot-product attention through ``jax.nn.dot_product_attention``.

    Args:
        query: ``(batch, q_len, num_heads, dim)``.
        key: ``(batch, k_len, num_kv_heads, dim)``; ``num_heads`` must be a
            multiple of ``num_kv_heads`` (grouped-query attention).
        value: ``(batch, k_len, num_kv_heads, value_dim)``.
        mask: Optional boolean mask broadcastable to
            ``(batch, num_heads, q_len, k_len)``.
        scale: Logit scale; default ``1 / sqrt(dim)``.
        is_causal: Apply a causal mask.
        flash_attention: ``True`` requires the cuDNN kernel, ``None`` uses it on
            GPU for half-precision inputs when it applies, ``False`` never.
        bias: Optional logit bias broadcastable like ``mask``.

    Returns:
        ``(batch, q_len, num_heads, value_dim)``.
    """
    if mask is not None:
        mask = mask.astype(bool)
    if value.shape[-1] != query.shape[-1]:
        # jax.nn.dot_product_attention needs equal head sizes; same math by hand.
        return _grouped_attention(query, key, value, mask, scale, is_causal, bias)
    kwargs = dict(bias=bias, mask=mask, scale=scale, is_causal=is_causal)
    if _use_cudnn(query, flash_attention):
        try:
            return jax.nn.dot_product_attention(query, key, value, implementation="cudnn",
                                                **kwargs)
        except Exception:  # noqa: BLE001 - unsupported shape/dtype/platform: use XLA
            if flash_attention:
                raise
    return jax.nn.dot_product_attention(query, key, value, implementation="xla", **kwargs)


def dot_product_attention(query, key, value, bias=None, mask=None, scale=None,
                          is_causal=False, flash_attention=None, attn_logits_soft_cap=None):
    """Scaled dot-product attention, ``softmax(q k^T * scale + bias) v`` per head.

    Args:
        query: ``(batch, q_len, num_heads, dim)``.
        key: ``(batch, k_len, num_kv_heads, dim)``; ``num_heads`` must be a
            multiple of ``num_kv_heads`` (grouped-query attention).
        value: ``(batch, k_len, num_kv_heads, value_dim)``.
        bias: Optional logit bias broadcastable to
            ``(batch, num_heads, q_len, k_len)``.
        mask: Optional boolean mask broadcastable like ``bias``; false positions
            get (almost) no weight.
        scale: Logit scale; default ``1 / sqrt(dim)``.
        is_causal: Also mask the keys after each query position.
        flash_attention: ``True`` requires the cuDNN kernel, ``None`` uses it
            where it applies, ``False`` never.
        attn_logits_soft_cap: Only supported by Keras on TPU (a ``ConfigError``
            here, as Keras raises off TPU); leave it ``None``.

    Returns:
        ``(batch, q_len, num_heads, value_dim)`` in the inputs' common dtype.

    Example:
        >>> q = jnp.ones((2, 4, 8, 16))
        >>> dot_product_attention(q, q[:, :3], q[:, :3]).shape
        (2, 4, 8, 16)
    """
    op = "dot_product_attention"
    if attn_logits_soft_cap is not None:
        raise ConfigError(
            f"ops.{op}: `attn_logits_soft_cap` needs the TPU splash-attention kernel, "
            f"which jaxlayers does not use; pass None. "
            f"Received: attn_logits_soft_cap={attn_logits_soft_cap!r}.")
    query, key, value = _args.array(query), _args.array(key), _args.array(value)
    for name, x in (("query", query), ("key", key), ("value", value)):
        _args.rank(op, name, x, (4,))
    if query.shape[2] % key.shape[2] or key.shape[:3] != value.shape[:3]:
        raise ShapeError(
            f"ops.{op}: `key` and `value` must share (batch, k_len, num_kv_heads) and "
            f"num_kv_heads must divide the query's num_heads. Received: "
            f"query.shape={tuple(query.shape)}, key.shape={tuple(key.shape)}, "
            f"value.shape={tuple(value.shape)}.")
    dtype = jnp.result_type(query.dtype, key.dtype, value.dtype)
    query, key, value = query.astype(dtype), key.astype(dtype), value.astype(dtype)
    if bias is not None:
        bias = _args.array(bias, dtype)
    if mask is not None:
        mask = _args.array(mask)
    return fused_attention(query, key, value, mask=mask, scale=scale, is_causal=is_causal,
                           flash_attention=flash_attention, bias=bias)


def einsum_attention(query, key, value, dot_equation, combine_equation, norm_axes,
                     scale, mask=None, dropout_rate=0.0, dropout_key=None):
    """Attention with explicit probabilities: ``(output, probabilities)``.

    Args:
        query, key, value: Projected inputs, ``(batch, *axes, heads, dim)``.
        dot_equation, combine_equation: From :func:`attention_equations`.
        norm_axes: Axes of the scores the softmax normalizes over (the key axes).
        scale: Multiplies the query before the dot product.
        mask: Optional boolean mask broadcastable to the scores.
        dropout_rate: Dropout on the probabilities (used when ``dropout_key`` is given).
        dropout_key: ``jax.random`` key; ``None`` means no dropout (inference).

    Returns:
        The attended values shaped like the query (with the value's last
        axis), and the probabilities before dropout.
    """
    query = query * jnp.asarray(scale, query.dtype)
    scores = jnp.einsum(dot_equation, key, query)
    probs = masked_softmax(scores, mask, axis=norm_axes)
    dropped = probs
    if dropout_key is not None and dropout_rate > 0:
        dropped = reg_ops.dropout(dropout_key, probs, dropout_rate)
    return jnp.einsum(combine_equation, dropped, value), probs


# ------------------------------------------------------------------ Luong / Bahdanau scores
def dot_scores(query, key, scale=None):
    """``query @ key^T`` (times ``scale``): ``(..., Tq, dim), (..., Tv, dim) -> (..., Tq, Tv)``."""
    scores = jnp.matmul(query, jnp.swapaxes(key, -2, -1))
    if scale is not None:
        scores = scores * scale
    return scores


def concat_scores(query, key, concat_weight, scale=None):
    """``concat_weight * sum(tanh(scale * (q_i + k_j)))`` over the feature axis."""
    pair = jnp.expand_dims(query, -2) + jnp.expand_dims(key, -3)
    if scale is not None:
        pair = scale * pair
    return concat_weight * jnp.sum(jnp.tanh(pair), axis=-1)


def additive_scores(query, key, scale=None):
    """Bahdanau scores ``sum(scale * tanh(q_i + k_j))`` over the feature axis."""
    pair = jnp.tanh(jnp.expand_dims(query, -2) + jnp.expand_dims(key, -3))
    if scale is not None:
        pair = scale * pair
    return jnp.sum(pair, axis=-1)


def attend_with_scores(scores, value, scores_mask=None, dropout_rate=0.0, dropout_key=None):
    """Softmax over the last axis of ``scores`` then ``@ value``: ``(output, weights)``.

    Masked scores (``scores_mask`` false) are lowered by ``1e9`` (``65504`` in
    fp16) before the softmax, as Keras's ``Attention`` does.
    """
    if scores_mask is not None:
        pad = jnp.logical_not(scores_mask.astype(bool))
        if pad.ndim == 2:
            pad = jnp.expand_dims(pad, -2)
        big = 65504.0 if scores.dtype == jnp.float16 else 1.0e9
        scores = jnp.where(pad, scores - jnp.asarray(big, scores.dtype), scores)
    weights = jax.nn.softmax(scores, axis=-1)
    dropped = weights
    if dropout_key is not None and dropout_rate > 0:
        dropped = reg_ops.dropout(dropout_key, weights, dropout_rate)
    return jnp.matmul(dropped, value), weights

