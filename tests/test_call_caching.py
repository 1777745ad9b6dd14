"""Compiled calls are cached: the eager facade call ``layer(x)`` and ``fit``/``predict``.

An eager call's signature compiles on its second call; later calls dispatch it
with the stored weights as arguments.  Each eager test checks that what Keras
users see (outputs, state updates, losses, masks, random draws) is what the
op-by-op call and ``apply`` give.  Repeated ``fit``/``predict`` calls reuse
their compiled steps.
"""

import copy

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers.layers import Layer

X = jnp.arange(8.0).reshape(2, 4) / 8.0


class Counting(Layer):
    """Counts how often its Python ``call`` runs: once per op-by-op call or trace."""

    def __init__(self, value_dependent=False, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.value_dependent = value_dependent
        self.scale = scale
        self.runs = 0

    def call(self, x):
        self.runs += 1
        if self.value_dependent and float(jnp.sum(x)) < 0:
            return -x
        self.add_loss(jnp.mean(x) * self.scale)
        return x * self.scale


def test_repeated_calls_trace_once_and_a_new_shape_compiles_on_its_second_call():
    layer = Counting()
    for _ in range(4):
        np.testing.assert_allclose(layer(X), X)
    # Call 1 ran op by op, call 2 traced, calls 3-4 reused the compiled call.
    assert layer.runs == 2
    y = jnp.ones((3, 4))
    layer(y)
    layer(y)
    layer(y)
    assert layer.runs == 4
    # The losses are those of the last call, as after an op-by-op call.
    assert len(layer.losses) == 1
    np.testing.assert_allclose(layer.losses[0], 1.0)


def test_value_dependent_layer_falls_back_to_op_by_op_once():
    layer = Counting(value_dependent=True)
    for sign in (1.0, 1.0, -1.0, -1.0):
        np.testing.assert_allclose(layer(sign * X), X)
    # Op by op, then one failed trace and the op-by-op rerun, then op by op twice.
    assert layer.runs == 5


def test_set_weights_assign_and_attributes_take_effect_after_a_compiled_call():
    dense = jl.layers.Dense(3)
    dense(X)
    dense(X)
    kernel = np.ones((4, 3), np.float32)
    dense.set_weights([kernel, np.zeros(3, np.float32)])
    np.testing.assert_allclose(dense(X), X @ kernel, rtol=1e-6)
    dense.bias.assign(jnp.full((3,), 2.0))
    np.testing.assert_allclose(dense(X), X @ kernel + 2.0, rtol=1e-6)
    # A copy made after compiled calls runs on its own weights.
    twin = copy.deepcopy(dense)
    twin.set_weights([2 * kernel, np.zeros(3, np.float32)])
    for _ in range(2):
        np.testing.assert_allclose(twin(X), X @ (2 * kernel), rtol=1e-6)
        np.testing.assert_allclose(dense(X), X @ kernel + 2.0, rtol=1e-6)
    # A Python attribute the trace read is part of what a compiled call bakes in.
    layer = Counting(scale=2.0)
    layer(X)
    layer(X)
    layer.scale = 3.0
    np.testing.assert_allclose(layer(X), 3.0 * X)
    np.testing.assert_allclose(layer.losses[0], 3.0 * jnp.mean(X))
    # An attribute set on a layer of another tree keeps this tree's compiled calls.
    layer(X)
    runs = layer.runs
    other = Counting()
    other(X)
    other.scale = 5.0
    np.testing.assert_allclose(layer(X), 3.0 * X)
    assert layer.runs == runs


def test_trainable_dtype_policy_and_input_dtype_changes_after_compiled_calls():
    bn = jl.layers.BatchNormalization()
    for _ in range(3):
        bn(X, training=True)
    bn.trainable = False  # Keras: a frozen BatchNormalization normalizes with its statistics
    mean, var = np.asarray(bn.moving_mean.value), np.asarray(bn.moving_variance.value)
    for _ in range(2):
        np.testing.assert_allclose(bn(X, training=True), (X - mean) / np.sqrt(var + 1e-3),
                                   rtol=1e-5)
    np.testing.assert_array_equal(bn.moving_mean.value, mean)
    dense = jl.layers.Dense(2)
    dense(X)
    dense(X)
    dense.dtype_policy = "mixed_bfloat16"
    assert dense(X).dtype == dense(X).dtype == jnp.bfloat16
    # A new input dtype is a new signature: op by op once, then one more trace.
    layer = Counting()
    for x in (X, X, X, X.astype(jnp.float16), X.astype(jnp.float16), X.astype(jnp.float16)):
        layer(x)
    assert layer.runs == 4


def test_batch_norm_training_calls_update_moving_stats_like_apply():
    bn = jl.layers.BatchNormalization(momentum=0.5)
    bn(X, training=True)
    params, state = bn.params, bn.state
    for i in range(3):
        x = X * (i + 1)
        want, state = bn.apply(params, state, x, training=True)
        np.testing.assert_allclose(bn(x, training=True), want, rtol=1e-6, atol=1e-6)
        for name, value in state[bn.name].items():
            np.testing.assert_allclose(getattr(bn, name).value, value, rtol=1e-6)
    np.testing.assert_allclose(bn(X), bn.apply(params, state, X)[0], rtol=1e-6, atol=1e-6)


class Gated(Layer):
    """Dropout behind a gate; a value-dependent gate keeps the call op by op."""

    def __init__(self, value_dependent, **kwargs):
        super().__init__(**kwargs)
        self.value_dependent = value_dependent
        self.drop = jl.layers.Dropout(0.5, name="drop")

    def call(self, x, training=None):
        if self.value_dependent and not bool(jnp.all(jnp.isfinite(x))):
            return x
        return self.drop(x, training=training)


def test_dropout_draws_the_same_fresh_keys_as_op_by_op_calls():
    def masks(value_dependent):
        jl.set_random_seed(7)
        layer = Gated(value_dependent, name="gated")
        outs = [layer(jnp.ones((4, 8)), training=True) for _ in range(4)]
        return outs, layer(jnp.ones((4, 8)))

    compiled, compiled_eval = masks(False)
    op_by_op, op_by_op_eval = masks(True)
    for a, b in zip(compiled, op_by_op):
        np.testing.assert_array_equal(a, b)
    assert len({np.asarray(m).tobytes() for m in compiled}) == 4
    np.testing.assert_array_equal(compiled_eval, op_by_op_eval)
    np.testing.assert_array_equal(compiled_eval, jnp.ones((4, 8)))


def test_masks_and_enclosing_jit_under_compiled_calls():
    embed = jl.layers.Embedding(5, 2, mask_zero=True)
    ids = jnp.array([[1, 0, 3]])
    for _ in range(3):
        y, mask = embed.call_with_mask(ids)
        np.testing.assert_array_equal(mask, [[True, False, True]])
    np.testing.assert_allclose(y, embed.embeddings.value[ids])
    bn = jl.layers.BatchNormalization()
    bn(X, training=True)
    bn(X, training=True)
    before = np.asarray(bn.moving_mean.value)
    # Inside an enclosing jit the call's results are tracers: nothing is stored.
    jax.jit(lambda: bn(X * 5.0, training=True))()
    stored = bn.moving_mean.value
    assert not isinstance(stored, jax.core.Tracer)
    np.testing.assert_array_equal(stored, before)


class CountingNoLoss(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.runs = 0

    def call(self, x):
        self.runs += 1
        return x


def test_repeated_fit_evaluate_and_predict_calls_trace_nothing_new():
    counting = CountingNoLoss()
    model = jl.Sequential([jl.layers.Input(shape=(4,)), counting, jl.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((4, 4), np.float32), np.ones((4, 1), np.float32)

    def run_all():
        model.fit(x, y, batch_size=2, epochs=1, verbose=0)
        model.evaluate(x, y, batch_size=2, verbose=0)
        return model.predict(x, batch_size=2, verbose=0)

    run_all()
    traced = counting.runs
    out = run_all()
    assert counting.runs == traced
    np.testing.assert_allclose(out, model(x), rtol=1e-6)


def test_layers_that_check_input_values_keep_their_eager_checks():
    # An eager call checks concrete values (ids outside a vocabulary or embedding table);
    # a compiled call sees tracers, so these layers never take the compiled path.
    lookup = jl.layers.IntegerLookup(vocabulary=[1, 2, 3], num_oov_indices=0)
    good = np.array([[1, 2], [3, 1]])
    lookup(good)
    lookup(good)
    with pytest.raises(ValueError, match="outside the vocabulary"):
        lookup(np.array([[1, 7], [3, 1]]))
    embedding = jl.layers.Embedding(4, 2, name="emb")
    model = jl.Sequential([jl.Input((2,), dtype="int32"), embedding])
    ids = np.array([[0, 1], [2, 3]], np.int32)
    model(ids)
    model(ids)
    with pytest.raises(ValueError, match="Embedding 'emb': indices must be in"):
        model(np.array([[0, 1], [2, 9]], np.int32))


def test_numpy_weights_and_inputs_reach_the_device_without_compiling(caplog):
    # jnp.asarray of a NumPy array compiles an identity or cast program per new
    # shape and dtype; set_weights and eager calls convert on the host instead.
    import logging

    layer = jl.layers.Dense(13)
    layer.build((None, 11))
    kernel = np.random.default_rng(0).random((11, 13))  # float64: a cast too
    with jax.log_compiles(True), caplog.at_level(logging.WARNING):
        layer.set_weights([kernel, np.zeros(13, np.float32)])
        layer(np.ones((3, 11)))
    compiled = [r.getMessage() for r in caplog.records if "Compiling" in r.getMessage()]
    assert not [m for m in compiled if "stage" in m or "convert_element_type" in m], compiled
    np.testing.assert_allclose(layer.kernel, kernel.astype("float32"))
