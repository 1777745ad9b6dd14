"""``Repeat`` (scan over a block's stacked copies) and rematerialization (``RematScope``).

Repeat must equal the unrolled stack of its copies (values, gradients, state
updates, weights order), compile one block whatever ``n`` is, and give each
repetition its own random key; every remat mode must leave values and gradients
unchanged while putting the calls it names under ``jax.checkpoint``.
"""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import PartitionSpec as P

import jaxlayers as jl
from jaxlayers import errors
from jaxlayers.core import remat as remat_lib
from tests.helpers import assert_close

L = jl.layers
N = 3


def _block(name="block"):
    return jl.Sequential([L.Dense(4, activation="tanh", name="dense"),
                          L.BatchNormalization(name="bn")], name=name)


def _tree_get(tree, path):
    for part in path.split("/"):
        tree = tree[part]
    return tree


def _grads(layer, params, state, x, key=None):
    def loss(p):
        y, new_state = layer.apply(p, state, x, training=True, key=key)
        return jnp.sum(y ** 2), (y, new_state)

    return jax.jit(jax.grad(loss, has_aux=True))(params)


@pytest.fixture(scope="module")
def data():
    return np.random.default_rng(0).standard_normal((4, 4)).astype(np.float32)


def test_repeat_equals_the_unrolled_stack_values_grads_state_and_weights_order(data):
    rep = L.Repeat(_block, N, name="rep")
    params, state = rep.init(jax.random.key(0), data)
    rep.set_params(params, state)
    unrolled = jl.Sequential([_block(f"block_{i}") for i in range(N)])
    unrolled.ensure_built(data)
    # Keras's order for N separate blocks: block 0's weight list, then block 1's, ...
    unrolled.set_weights(rep.get_weights())
    g_rep, (y_rep, s_rep) = _grads(rep, params, state, data)
    g_ref, (y_ref, s_ref) = _grads(unrolled, unrolled.params, unrolled.state, data)
    assert_close(y_rep, y_ref)
    # Training mode: gradients and BatchNormalization's state updates, copy by copy.
    for tree, ref, weights, ref_weights in (
            (g_rep, g_ref, rep.trainable_weights, unrolled.trainable_weights),
            (s_rep, s_ref, rep.non_trainable_weights, unrolled.non_trainable_weights)):
        stacked = [_tree_get(tree, v.path) for v in weights]
        assert_close([a[i] for i in range(N) for a in stacked],
                     [_tree_get(ref, v.path) for v in ref_weights])

    # Each repetition rematerialized (RematScope around the construction): same grads.
    with jl.RematScope(mode="full"):
        remat = L.Repeat(_block, N, name="rep")
    remat.ensure_built(data)
    assert_close(_grads(remat, params, state, data), (g_rep, (y_rep, s_rep)))

    with pytest.raises(errors.WeightsError, match=r"set_weights expects a list of 18 arrays"):
        rep.set_weights(rep.get_weights()[:-1])
    wrong = rep.get_weights()
    wrong[6] = wrong[6][:2]
    with pytest.raises(errors.WeightsError, match=r"weight 'rep/block/dense/kernel' \(copy 1\) "
                                                  r"expects shape \(4, 4\)"):
        rep.set_weights(wrong)


def test_repeat_traces_one_block_whatever_n(data):
    def program(n):
        rep = L.Repeat(L.Dense(4, name="dense"), n, name="rep")
        params, state = rep.init(jax.random.key(0), data)
        return jax.make_jaxpr(jax.grad(lambda p: jnp.sum(rep.apply(p, state, data)[0])))(
            params)

    assert len(program(2).eqns) == len(program(16).eqns)
    rep = L.Repeat(L.Dense(4), 4)
    params, state = rep.init(jax.random.key(0), data)
    chex.clear_trace_counter()
    step = jax.jit(chex.assert_max_traces(lambda p, x: rep.apply(p, state, x)[0], n=1))
    step(params, data)
    step(params, data + 1.0)


class _Draw(L.Layer):
    """Ignores its input's values and returns fresh uniform noise of its shape."""

    def call(self, x):
        return jax.random.uniform(self.next_key(), x.shape)


def test_each_repetition_draws_with_its_own_key(data):
    key = jax.random.key(3)
    outs = [L.Repeat(_Draw(name="draw"), n, name="rep").apply({}, {}, data, key=key)[0]
            for n in (1, 2)]
    # The output is the last repetition's draw: equal keys would give equal outputs.
    assert not np.allclose(outs[0], outs[1])
    with pytest.raises(errors.KeyRequiredError, match="needs a key"):
        L.Repeat(_Draw(), 2).apply({}, {}, data)


class _MaskedShift(L.Layer):
    """Adds one to the unmasked steps only: the unrolled result depends on the mask."""

    supports_masking = True

    def call(self, x, mask=None):
        if mask is None:
            return x
        return x + mask[..., None].astype(x.dtype)


def test_repeat_passes_the_mask_to_every_repetition_and_on():
    tokens = jnp.array([[3, 1, 0], [2, 0, 0]])
    inputs = jl.Input((3,), dtype="int32")
    x = L.Embedding(5, 2, mask_zero=True, name="embed")(inputs)
    out = L.Repeat(_MaskedShift(), N, name="rep")(x)
    model = jl.Model(inputs, out)
    embedded = model.get_layer("embed")(tokens)
    mask = np.asarray(tokens != 0, np.float32)[..., None]
    assert_close(model(tokens), embedded + N * mask)
    _, out_mask = model.get_layer("rep").call_with_mask(embedded, mask=tokens != 0)
    np.testing.assert_array_equal(out_mask, tokens != 0)


class _ScaleByMask(L.Layer):
    """Reads its mask but does not support masking: like Keras, it drops the mask."""

    def call(self, x, mask=None):
        if mask is None:
            return x + 1.0
        return (x + 1.0) * mask[..., None].astype(x.dtype)


def _dropping_block(name="block"):
    return jl.Sequential([_ScaleByMask(name="scale"), L.BatchNormalization(name="bn")],
                         name=name)


def test_repeat_of_a_block_that_drops_the_mask_equals_the_stack():
    # Keras: a layer without mask support destroys the mask, so only the first of
    # n stacked copies sees it, and nothing downstream does.
    x = jnp.arange(12.0).reshape(2, 3, 2)
    mask = jnp.array([[True, True, False], [True, False, False]])
    rep = L.Repeat(_dropping_block, N)
    y, state, aux = rep.apply_with_aux(*rep.init(jax.random.key(0), x), x, mask=mask,
                                       training=True)
    stack = jl.Sequential([_dropping_block(f"b{i}") for i in range(N)])
    expected, stack_state, stack_aux = stack.apply_with_aux(
        *stack.init(jax.random.key(0), x), x, mask=mask, training=True)
    assert_close(y, expected)
    assert aux["mask"] is None and stack_aux["mask"] is None
    # Moving statistics: (copy, statistic) stacked like the Repeat's (statistic, copy).
    per_copy = np.reshape(jax.tree.leaves(stack_state), (N, 2, -1))
    assert_close(np.stack(jax.tree.leaves(state), 1), per_copy)


def test_freezing_the_block_or_the_repeat_freezes_every_copy(data):
    rep = L.Repeat(_block, 2, name="rep")
    rep(data)
    rep.layer.get_layer("bn").trainable = False
    assert [w.path for w in rep.trainable_weights] == ["rep/block/dense/kernel",
                                                       "rep/block/dense/bias"]
    rep.layer.get_layer("bn").trainable = True
    rep.trainable = False
    assert rep.trainable_weights == [] and not rep.layer.get_layer("bn").trainable
    # As a frozen stack in Keras: a frozen BatchNormalization runs in inference mode.
    stack = jl.Sequential([_block("b0"), _block("b1")])
    stack(data)
    stack.set_weights(rep.get_weights())
    stack.trainable = False
    assert_close(rep(data, training=True), stack(data, training=True))
    assert not L.Repeat(_block, 2, trainable=False).layer.get_layer("bn").trainable


def test_repeat_fit_save_load_config_and_sharded_stacked_axis(data, tmp_path):
    y = np.ones((4, 2), np.float32)
    model = jl.Sequential([L.Input((4,)), L.Repeat(_block, N, name="rep"),
                           L.Dropout(0.5), L.Dense(2, name="out")])
    model.compile(optimizer="adam", loss="mse")
    before = model.get_layer("rep").state
    model.fit(data, y, epochs=1, batch_size=2, verbose=0)
    rep = model.get_layer("rep")
    shapes = jax.tree.map(jnp.shape, model.params["rep"])
    assert shapes["block"]["dense"] == {"kernel": (N, 4, 4), "bias": (N, 4)}
    moved = jax.tree.map(lambda a, b: not np.allclose(a, b), before,
                         model.get_layer("rep").state)
    assert all(jax.tree.leaves(moved))
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = jl.models.load_model(path)
    weights = model.get_weights()
    assert len(weights) == 6 * N + 2  # N copies of the block's list, then the head's
    assert_close(loaded.get_weights(), weights)
    loaded.set_weights(weights[:6] * N + weights[-2:])
    assert_close(loaded.get_weights()[6:12], weights[:6])
    assert [v.path for v in loaded.weights] == [v.path for v in model.weights]
    again = L.Repeat.from_config(rep.get_config())
    assert (again.n, again.name, type(again.layer)) == (N, "rep", jl.Sequential)

    if len(jax.devices()) < 2:
        pytest.skip("needs 2 (forced host) devices")
    mesh = jl.distribution.DeviceMesh((2,), ("stage",), jax.devices()[:2])
    layout = jl.distribution.LayoutMap(mesh)
    layout["rep/dense/kernel"] = ("stage", None, None)
    stack = jl.Sequential([L.Input((4,)), L.Repeat(L.Dense(4, name="dense"), 2, name="rep")])
    dist = jl.distribution.ModelParallel(layout_map=layout)
    params, state = dist.init(stack, jax.random.key(0), jax.ShapeDtypeStruct((4, 4),
                                                                             jnp.float32))
    assert params["rep"]["dense"]["kernel"].sharding.spec == P("stage", None, None)
    assert params["rep"]["dense"]["kernel"].addressable_shards[0].data.shape == (1, 4, 4)
    assert params["rep"]["dense"]["bias"].sharding.spec == P()
    assert_close(params, stack.init(jax.random.key(0), data)[0])


def _checkpoints(jaxpr):
    return str(jaxpr).count("checkpoint[") + str(jaxpr).count("remat2[")


def _mlp():
    return jl.Sequential([L.Dense(8, activation="relu", name="d0"), L.Dropout(0.3, name="drop"),
                          L.BatchNormalization(name="bn"), L.Dense(4, activation="tanh",
                                                                   name="d1")])


def test_remat_modes_leave_values_and_grads_unchanged(data):
    plain = _mlp()
    params, state = plain.init(jax.random.key(0), data)

    def count(model):
        return _checkpoints(jax.make_jaxpr(
            lambda p: model.apply(p, state, data, training=True, key=jax.random.key(1)))(params))

    for kwargs, expected in [
        (dict(mode="full"), 5),  # the model and each of its 4 layers
        (dict(mode="activations"), 2),
        (dict(mode="larger_than", output_size_threshold=20), 3),  # (4, 8) outputs, not (4, 4)
        (dict(mode="list_of_layers", layer_names=["d1"], policy="dots_saveable"), 1),
        (dict(mode=None), 0),
    ]:
        with jl.RematScope(**kwargs):
            model = _mlp()
        assert count(model) == expected, kwargs

    # One model mixing every mode, per layer and per model: values, gradients and the
    # state updates (dropout keys, BatchNormalization) equal the plain model's.
    mixed = _mlp()
    mixed.ensure_built(data)
    mixed.get_layer("d0").remat_mode = "activations"
    jl.remat(mixed.get_layer("drop"))
    mixed.get_layer("bn").remat_mode = jl.RematScope("larger_than", output_size_threshold=20)
    mixed.get_layer("d1").remat_mode = jl.RematScope("list_of_layers", layer_names=["d1"],
                                                     policy="dots_saveable")
    mixed.remat_mode = "full"
    assert count(mixed) == 5
    key = jax.random.key(1)
    assert_close(_grads(mixed, params, state, data, key), _grads(plain, params, state, data, key))
    jl.RematScope(mode=None).apply(mixed)
    assert count(mixed) == 0
    jl.RematScope(mode="full").apply(mixed)
    assert count(mixed) == 5
    assert float(jax.grad(jl.remat(lambda v: jnp.sin(jnp.sin(v))))(0.0)) == 1.0


def test_repeat_and_remat_errors(data):
    with pytest.raises(errors.ConfigError, match=r"Repeat 'r': `n` must be a positive int. "
                                                 r"Received: n=0"):
        L.Repeat(L.Dense(4), 0, name="r")
    with pytest.raises(errors.ConfigTypeError, match=r"`layer` must be a Layer instance or a "
                                                     r"function of no arguments"):
        L.Repeat("dense", 2)
    with pytest.raises(errors.ShapeError, match=r"Repeat 'r': the block Dense 'dense' must "
                                                r"map its input to one array of the same shape"):
        L.Repeat(L.Dense(5, name="dense"), 2, name="r")(data)
    with pytest.raises(errors.ConfigError, match=r"RematScope: `mode` must be one of .*"
                                                 r"Received: mode='some'"):
        jl.RematScope(mode="some")
    with pytest.raises(errors.ConfigError, match=r"`policy` must be None or one of"):
        jl.RematScope(policy="dots")
    with pytest.raises(errors.ConfigError, match=r"`output_size_threshold` must be a "
                                                 r"non-negative int"):
        jl.RematScope(mode="larger_than", output_size_threshold=-1)
    with pytest.raises(errors.ConfigTypeError, match=r"Dense 'd': `remat_mode` must be"):
        L.Dense(2, name="d").remat_mode = 3
    with pytest.raises(errors.ConfigTypeError, match=r"remat: `f` must be a function"):
        jl.remat(3)
    with pytest.raises(errors.ConfigTypeError, match=r"RematScope: `layer_names` must be a "
                                                     r"list of layer names\. Received: "
                                                     r"layer_names=5\."):
        jl.RematScope(mode="list_of_layers", layer_names=5)
    with pytest.raises(errors.ConfigTypeError, match=r"RematScope\.apply: `layer` must be a "
                                                     r"Layer\. Received: layer=3\."):
        jl.RematScope().apply(3)
    with pytest.raises(errors.ShapeError, match=r"Repeat 'r': the block takes one array; .* "
                                                r"Received: input shape \[\(4, 4\), \(4, 4\)\]"):
        L.Repeat(L.Add(), 2, name="r")([data, data])
    assert remat_lib.current_mode() is None
