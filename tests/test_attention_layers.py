"""Attention layers: float64 NumPy references, Keras 3 as oracle, both attention paths, errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxlayers.errors import ConfigError, ShapeError
from jaxlayers.layers import attention as att
from jaxlayers.ops import _attention as attn_ops

B, T, S, D = 2, 4, 5, 6


def _softmax(x, mask=None):
    if mask is not None:
        x = np.where(mask, x, -1e9)
    e = np.exp(x - x.max(-1, keepdims=True))
    p = e / e.sum(-1, keepdims=True)
    return p if mask is None else np.where(mask, p, 0.0)


def _mha_ref(w, q, v, k=None, mask=None, num_heads=2, key_dim=3):
    """Float64 multi-head attention from Keras-ordered weights (with biases)."""
    k = v if k is None else k
    wq, bq, wk, bk, wv, bv, wo, bo = [np.asarray(a, np.float64) for a in w]
    qh = np.einsum("btd,dnh->btnh", q, wq) + bq
    kh = np.einsum("bsd,dnh->bsnh", k, wk) + bk
    vh = np.einsum("bsd,dnh->bsnh", v, wv) + bv
    logits = np.einsum("btnh,bsnh->bnts", qh, kh) / np.sqrt(key_dim)
    probs = _softmax(logits, None if mask is None else mask[:, None])
    out = np.einsum("bnts,bsnh->btnh", probs, vh)
    return np.einsum("btnh,nhd->btd", out, wo) + bo, probs


@pytest.fixture
def data(rng):
    q = rng.standard_normal((B, T, D)).astype(np.float32)
    v = rng.standard_normal((B, S, D)).astype(np.float32)
    vm = np.ones((B, S), bool)
    vm[0, 3:] = False
    am = rng.random((B, T, S)) > 0.3
    am[:, :, 0] = True
    return q, v, vm, am


def _set_random_weights(layers, rng, scale=0.5):
    weights = [scale * rng.standard_normal(w.shape).astype(np.float32)
               for w in layers[0].get_weights()]
    for layer in layers:
        layer.set_weights(weights)
    return weights


# ----------------------------------------------------------------------------- ops
def test_ops_fused_and_einsum_paths_match_float64(rng):
    q, k, v = (rng.standard_normal((B, n, 2, 3)).astype(np.float32) for n in (T, S, S))
    mask = rng.random((B, 1, T, S)) > 0.3
    mask[..., 0] = True
    logits = np.einsum("btnh,bsnh->bnts", q.astype(np.float64), k) / np.sqrt(3)
    ref = np.einsum("bnts,bsnh->btnh", _softmax(logits, mask), v)
    fused = attn_ops.fused_attention(jnp.asarray(q), jnp.asarray(k), jnp.asarray(v),
                                     mask=jnp.asarray(mask), scale=1 / np.sqrt(3))
    dot_eq, combine_eq, _ = attn_ops.attention_equations(4, (1,))
    out, probs = attn_ops.einsum_attention(jnp.asarray(q), jnp.asarray(k), jnp.asarray(v),
                                           dot_eq, combine_eq, (3,), 1 / np.sqrt(3),
                                           mask=jnp.asarray(mask))
    np.testing.assert_allclose(fused, ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(probs, _softmax(logits, mask), rtol=1e-5, atol=1e-6)
    # Value heads of another size and grouped key/value heads take the hand-written path.
    v5 = rng.standard_normal((B, S, 1, 5)).astype(np.float32)
    k1 = k[:, :, :1]
    logits = np.einsum("btnh,bsh->bnts", q.astype(np.float64), k1[:, :, 0]) / np.sqrt(3)
    ref = np.einsum("bnts,bsh->btnh", _softmax(logits), v5[:, :, 0])
    np.testing.assert_allclose(attn_ops.fused_attention(q, k1, v5), ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(attn_ops.causal_mask(3, 4), np.tril(np.ones((3, 4), bool)))
    np.testing.assert_array_equal(attn_ops.sliding_window_mask(3, 3, 2),
                                  np.abs(np.arange(3)[:, None] - np.arange(3)) < 2)


def test_masked_softmax_zeroes_masked_and_fully_masked_rows():
    x = jnp.asarray([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
    mask = jnp.asarray([[True, False, True], [False, False, False]])
    y = attn_ops.masked_softmax(x, mask)
    np.testing.assert_allclose(y[0], _softmax(np.asarray(x[0:1]), np.asarray(mask[0:1]))[0],
                               rtol=1e-6)
    np.testing.assert_array_equal(y[1], 0.0)


# ----------------------------------------------------------------------------- MHA
def test_mha_weights_and_numerics_match_float64(data, rng):
    q, v, vm, am = data
    mha = att.MultiHeadAttention(num_heads=2, key_dim=3, name="mha")
    params, _ = mha.init(jax.random.key(0), q, v)
    assert [w.path for w in mha.weights] == [
        f"mha/{n}/{w}" for n in ("query", "key", "value", "attention_output")
        for w in ("kernel", "bias")]
    assert jax.tree.map(jnp.shape, params)["mha"]["attention_output"] == {
        "kernel": (2, 3, D), "bias": (D,)}
    weights = _set_random_weights([mha], rng)
    qd, vd = q.astype(np.float64), v.astype(np.float64)
    ref, probs = _mha_ref(weights, qd, vd)
    np.testing.assert_allclose(mha(q, v), ref, rtol=1e-4, atol=1e-4)
    ref, probs = _mha_ref(weights, qd, vd, mask=am & vm[:, None, :])
    out, scores = mha(q, v, value_mask=vm, attention_mask=am, return_attention_scores=True)
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(scores, probs, rtol=1e-4, atol=1e-5)
    # The fused path (no scores requested) gives the same values.
    np.testing.assert_allclose(mha(q, v, value_mask=vm, attention_mask=am), out, rtol=1e-5,
                               atol=1e-5)


_MHA_KERAS = [
    (dict(num_heads=2, key_dim=3), dict(value_mask=True)),
    (dict(num_heads=2, key_dim=3, value_dim=4, output_shape=(2, 5)),
     dict(return_attention_scores=True, key=True)),
    (dict(num_heads=3, key_dim=2, use_bias=False, dropout=0.3),
     dict(attention_mask=True, return_attention_scores=True)),
    (dict(num_heads=2, key_dim=2, use_gate=True, sliding_window=2),
     dict(use_causal_mask=True, value_mask=True, self=True)),
]


@pytest.mark.parametrize("kwargs,call", _MHA_KERAS)
def test_mha_matches_keras(kwargs, call, data, rng):
    keras = pytest.importorskip("keras")
    q, v, vm, am = data
    if call.pop("self", False):
        v, vm, am = q, vm[:, :T], am[:, :, :T]
    args = (q, v, rng.standard_normal((B, v.shape[1], 3)).astype(np.float32)) \
        if call.pop("key", False) else (q, v)
    if call.get("value_mask"):
        call["value_mask"] = vm
    if call.get("attention_mask"):
        call["attention_mask"] = am
    ours = att.MultiHeadAttention(**kwargs)
    ours.init(jax.random.key(0), *args)
    theirs = keras.layers.MultiHeadAttention(**kwargs)
    theirs.build(*[a.shape for a in args])
    assert [(w.path.split("/", 1)[1], w.shape) for w in ours.weights] == [
        (w.path.split("/", 1)[1], tuple(w.shape)) for w in theirs.weights]
    _set_random_weights([ours, theirs], rng)
    for a, b in zip(jax.tree.leaves(ours(*args, **call)),
                    jax.tree.leaves(theirs(*args, **call))):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    assert set(theirs.get_config()) <= set(ours.get_config())


def test_mha_masks_from_apply_and_output_mask(data, rng):
    q, v, vm, _ = data
    qm = np.ones((B, T), bool)
    qm[1, 2:] = False
    mha = att.MultiHeadAttention(num_heads=2, key_dim=3)
    params, state = mha.init(jax.random.key(0), q, v)
    explicit = mha.apply(params, state, q, v, query_mask=qm, value_mask=vm)[0]
    out, _, aux = mha.apply_with_aux(params, state, q, v, mask=[jnp.asarray(qm),
                                                                 jnp.asarray(vm)])
    np.testing.assert_allclose(out, explicit, rtol=1e-6)
    np.testing.assert_array_equal(aux["mask"], qm)
    full = np.broadcast_to(qm[:, :, None] & vm[:, None, :], (B, T, S))
    np.testing.assert_allclose(mha.apply(params, state, q, v, attention_mask=full)[0],
                               explicit, rtol=1e-6)
    # A per-head mask (batch, heads, T, S) is accepted as well.
    np.testing.assert_allclose(mha.apply(params, state, q, v,
                                         attention_mask=full[:, None])[0], explicit, rtol=1e-6)


def test_mha_dropout_on_probabilities(data, key):
    q, v, _, _ = data
    mha = att.MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.5)
    params, state = mha.init(jax.random.key(0), q, v)
    infer = mha.apply(params, state, q, v)[0]
    a = mha.apply(params, state, q, v, training=True, key=key)[0]
    b = mha.apply(params, state, q, v, training=True, key=key)[0]
    c = mha.apply(params, state, q, v, training=True, key=jax.random.key(99))[0]
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, infer) and not np.allclose(a, c)
    _, scores = mha.apply(params, state, q, v, training=True, key=key,
                          return_attention_scores=True)[0]
    np.testing.assert_allclose(scores.sum(-1), 1.0, rtol=1e-5)  # scores are pre-dropout


def test_multi_head_attention_uses_jax_dot_product_attention(monkeypatch, rng):
    calls = []
    real = jax.nn.dot_product_attention

    def spy(*args, **kwargs):
        calls.append(kwargs.get("implementation"))
        return real(*args, **kwargs)

    monkeypatch.setattr(jax.nn, "dot_product_attention", spy)
    q = rng.standard_normal((2, 4, 6)).astype(np.float32)
    v = rng.standard_normal((2, 5, 6)).astype(np.float32)
    vm = np.ones((2, 5), bool)
    vm[0, 3:] = False
    for layer in (att.MultiHeadAttention(num_heads=2, key_dim=3),
                  att.GroupQueryAttention(head_dim=3, num_query_heads=4,
                                          num_key_value_heads=2)):
        params, state = layer.init(jax.random.key(0), q, v)
        calls.clear()
        fused, _ = jax.jit(lambda p, s, a, b, m: layer.apply(p, s, a, b, value_mask=m))(
            params, state, q, v, vm)
        assert calls, type(layer).__name__
        calls.clear()
        (explicit, scores), _ = layer.apply(params, state, q, v, value_mask=vm,
                                            return_attention_scores=True)
        assert not calls      # probabilities requested: the einsum path
        np.testing.assert_allclose(fused, explicit, rtol=1e-5, atol=1e-5)
        calls.clear()
        causal, _ = layer.apply(params, state, q, q, use_causal_mask=True)
        assert calls
        (ref, _), _ = layer.apply(params, state, q, q, use_causal_mask=True,
                                  return_attention_scores=True)
        np.testing.assert_allclose(causal, ref, rtol=1e-5, atol=1e-5)


def test_gqa_matches_keras_and_repeated_head_reference(data, rng):
    keras = pytest.importorskip("keras")
    q, v, vm, am = data
    kwargs = dict(head_dim=3, num_query_heads=4, num_key_value_heads=2)
    ours = att.GroupQueryAttention(**kwargs)
    assert att.GroupQueryAttention is att.GroupedQueryAttention
    ours.init(jax.random.key(0), q, v)
    theirs = keras.layers.GroupQueryAttention(**kwargs)
    theirs.build(q.shape, v.shape)
    assert [(w.path.split("/", 1)[1], w.shape) for w in ours.weights] == [
        (w.path.split("/", 1)[1], tuple(w.shape)) for w in theirs.weights]
    weights = _set_random_weights([ours, theirs], rng)
    for call in ({}, dict(value_mask=vm, attention_mask=am, return_attention_scores=True),
                 dict(use_causal_mask=True)):
        args = (q, q) if call.get("use_causal_mask") else (q, v)
        for a, b in zip(jax.tree.leaves(ours(*args, **call)),
                        jax.tree.leaves(theirs(*args, **call))):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    # Each key/value head serves two consecutive query heads.
    rep = [np.repeat(w, 2, axis=1 if w.ndim == 3 else 0) if i in (2, 3, 4, 5) else w
           for i, w in enumerate(weights)]
    ref, _ = _mha_ref(rep, q.astype(np.float64), v.astype(np.float64), num_heads=4,
                      key_dim=3)
    np.testing.assert_allclose(ours(q, v), ref, rtol=1e-4, atol=1e-4)


# ----------------------------------------------------------------------------- Attention
@pytest.mark.parametrize("name,kwargs", [
    ("Attention", {}), ("Attention", dict(use_scale=True, score_mode="concat")),
    ("AdditiveAttention", {}),
])
def test_attention_matches_keras(name, kwargs, data, rng):
    keras = pytest.importorskip("keras")
    q, v, vm, _ = data
    qm = np.ones((B, T), bool)
    qm[0, -1] = False
    k = rng.standard_normal(v.shape).astype(np.float32)
    ours, theirs = getattr(att, name)(**kwargs), getattr(keras.layers, name)(**kwargs)
    ours.init(jax.random.key(0), [q, v, k])
    theirs.build([q.shape, v.shape, k.shape])
    assert [(w.path.split("/")[-1], w.shape) for w in ours.weights] == [
        (w.path.split("/")[-1], tuple(w.shape)) for w in theirs.weights]
    _set_random_weights([ours, theirs], rng, scale=1.0)
    for inputs, call in (([q, v], {}), ([q, v, k], dict(mask=[qm, vm])),
                         ([q, v], dict(use_causal_mask=True, mask=[qm, vm],
                                       return_attention_scores=True))):
        for a, b in zip(jax.tree.leaves(ours(inputs, **call)),
                        jax.tree.leaves(theirs(inputs, **call))):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    assert set(theirs.get_config()) <= set(ours.get_config())


def test_dot_attention_float64_reference(data):
    q, v, vm, _ = data
    layer = att.Attention()
    out, scores = layer([q, v], mask=[None, vm], return_attention_scores=True)
    logits = np.einsum("btd,bsd->bts", q.astype(np.float64), v)
    probs = _softmax(logits - 1e9 * ~vm[:, None, :])
    np.testing.assert_allclose(scores, probs, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out, probs @ v, rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------------------------- errors
def test_errors(data):
    q, v, vm, am = data
    with pytest.raises(ConfigError, match=r"`key_dim` \(the size of each attention head"):
        att.MultiHeadAttention(num_heads=2)
    with pytest.raises(ConfigError, match=r"`num_heads` must be a positive int"):
        att.MultiHeadAttention(num_heads=0, key_dim=2)
    with pytest.raises(ConfigError, match=r"`dropout` must be a float in \[0, 1\)"):
        att.MultiHeadAttention(num_heads=2, key_dim=2, dropout=1.0)
    with pytest.raises(ConfigError, match=r"`dropout` must be a float in \[0, 1\)"):
        att.Attention(dropout=-0.5)
    with pytest.raises(ConfigError, match=r"multiple of `num_key_value_heads`"):
        att.GroupQueryAttention(head_dim=2, num_query_heads=3, num_key_value_heads=2)
    with pytest.raises(ConfigError, match=r"`score_mode` must be 'dot' or 'concat'"):
        att.Attention(score_mode="general")
    mha = att.MultiHeadAttention(num_heads=2, key_dim=3)
    with pytest.raises(ShapeError, match=r"query and value must have the same rank"):
        mha(q, v[:, 0])
    with pytest.raises(ShapeError, match=r"query and value must agree on axis 0"):
        att.MultiHeadAttention(num_heads=2, key_dim=3)(q, v[:1])
    with pytest.raises(ShapeError, match=r"value and key must have the same shape except"):
        att.MultiHeadAttention(num_heads=2, key_dim=3)(q, v, v[:, :2])
    mha(q, v)
    with pytest.raises(ShapeError, match=r"`value_mask` must have the shape of its input"):
        mha(q, v, value_mask=vm[:, :3])
    with pytest.raises(ShapeError, match=r"`attention_mask` must have shape \(batch, query"):
        mha(q, v, attention_mask=am[:, :, :2])
    with pytest.raises(ShapeError, match=r"key and value .*|value and key must have the same"):
        att.GroupQueryAttention(head_dim=2, num_query_heads=2, num_key_value_heads=1)(
            q, v, v[:, :2])
    with pytest.raises(ShapeError, match=r"must be called on a list \[query, value\]"):
        att.Attention()(q)
    with pytest.raises(ShapeError, match=r"query and key must have the same feature size"):
        att.Attention()([q, v[..., :3]])
    layer = att.Attention()
    layer([q, v])
    with pytest.raises(ShapeError, match=r"value_mask must have shape \(2, 5\)"):
        layer([q, v], mask=[None, vm[:, :2]])


def test_attention_query_value_batch_mismatch_is_a_shape_error():
    q, v = jnp.ones((2, 3, 4)), jnp.ones((3, 5, 4))
    for cls in (att.Attention, att.AdditiveAttention):
        with pytest.raises(ShapeError, match=rf"{cls.__name__} 'a': query, value and key must "
                                             r"agree on their leading \(batch\) axes.*"
                                             r"value_shape=\(3, 5, 4\)"):
            cls(name="a")([q, v])
    built = att.Attention(name="b")
    built([q, jnp.ones((2, 5, 4))])
    with pytest.raises(ShapeError, match=r"Attention 'b': query, value and key must agree"):
        jax.jit(lambda a, b: built.apply({}, {}, [a, b])[0])(q, v)
    with pytest.raises(ShapeError, match=r"Attention 'b': query, value and key must agree"):
        built.compute_output_shape([(2, 3, 4), (3, 5, 4)])
