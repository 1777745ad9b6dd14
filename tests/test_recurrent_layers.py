"""Recurrent layers: Keras 3 parity (same weights, same outputs), masks, state, errors."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers import errors, layers
from tests.cases.recurrent import MinimalRNNCell

B, T, F = 2, 4, 3


@pytest.fixture
def x(rng):
    return rng.standard_normal((B, T, F)).astype("float32")


MASK = np.array([[True, True, True, False], [False, True, False, True]])


def leaves(tree):
    return [np.asarray(t) for t in jax.tree_util.tree_leaves(tree)]


def assert_close(a, b, atol=1e-5):
    la, lb = leaves(a), leaves(b)
    assert len(la) == len(lb)
    for u, v in zip(la, lb):
        np.testing.assert_allclose(u, v, atol=atol, rtol=1e-5)


def run(layer, x, **kwargs):
    """Pure apply on the facade's own values (the layer must be built)."""
    return layer.apply(layer.params, layer.state, x, **kwargs)[0]


def matched(keras_layer, our_layer, x):
    """Builds both layers on ``x`` and copies Keras's weights into ours."""
    keras_layer(x)
    our_layer.init(jax.random.key(0), x)
    our_layer.set_weights(keras_layer.get_weights())
    return our_layer


# --------------------------------------------------------------------------- Keras parity
# Every (return_sequences, return_state, go_backwards, masked) combination.
SWEEP = list(itertools.product((False, True), repeat=4))


@pytest.mark.parametrize("name,kwargs", [
    ("LSTM", {}), ("GRU", {}), ("GRU", {"reset_after": False}), ("SimpleRNN", {}),
])
def test_same_outputs_as_keras_for_every_option(keras, x, name, kwargs):
    """Every return_sequences x return_state x go_backwards x mask, plus unroll.

    The options are plain attributes read at call time, so one built layer per
    framework serves every combination (this keeps the sweep cheap to compile).
    """
    ref_layer = getattr(keras.layers, name)(5, return_sequences=True, return_state=True,
                                            name="rnn", **kwargs)
    refs = {}
    for go_backwards, masked in itertools.product((False, True), (False, True)):
        ref_layer.go_backwards = go_backwards
        refs[go_backwards, masked] = ref_layer(x, mask=MASK if masked else None)
    ours = matched(ref_layer, getattr(layers, name)(5, name="rnn", **kwargs), x)
    assert [(w.path, w.shape) for w in ours.weights] == [
        (w.path, tuple(w.shape)) for w in ref_layer.weights]
    cases = SWEEP + [(True, False, True, True)]

    def sweep(params, state, x):
        outs = []
        for i, (rs, rst, gb, masked) in enumerate(cases):
            ours.return_sequences, ours.return_state, ours.go_backwards = rs, rst, gb
            ours.unroll = i == len(SWEEP)
            outs.append(ours.apply(params, state, x, mask=MASK if masked else None)[0])
        ours.unroll = False
        return outs

    for (rs, rst, gb, masked), got in zip(cases, jax.jit(sweep)(ours.params, ours.state, x)):
        ref = refs[gb, masked]
        want = ref[0] if rs else ref[0][:, -1]
        assert_close(got, (want, *ref[1:]) if rst else want)


def test_initial_state_matches_keras(keras, x, rng):
    h0, c0 = rng.standard_normal((2, B, 4)).astype("float32")
    ref_layer = keras.layers.LSTM(4, return_state=True, go_backwards=True)
    ref = ref_layer(x, initial_state=[h0, c0], mask=MASK)
    ours = matched(ref_layer, layers.LSTM(4, return_state=True, go_backwards=True), x)
    assert_close(run(ours, x, initial_state=[h0, c0], mask=MASK), ref)


def test_stacked_cells_and_user_cell_match_keras(keras, x):
    from keras import ops

    class KerasMinimalCell(keras.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units, self.state_size = units, units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units))
            self.u = self.add_weight(shape=(self.units, self.units))

        def call(self, inputs, states):
            h = ops.tanh(ops.matmul(inputs, self.w) + ops.matmul(states[0], self.u))
            return h, [h]

        def get_initial_state(self, batch_size=None):
            # Without it, Keras 3's masked stacked scan indexes a bare state array
            # by batch row (a Keras bug); jaxlayers handles both forms.
            return [ops.zeros((batch_size, self.units))]

    ref_layer = keras.layers.RNN([keras.layers.LSTMCell(3), KerasMinimalCell(2)],
                                 return_sequences=True, return_state=True)
    ref = ref_layer(x, mask=MASK)
    ours = matched(ref_layer, layers.RNN([layers.LSTMCell(3), MinimalRNNCell(2)],
                                         return_sequences=True, return_state=True), x)
    got = run(ours, x, mask=MASK)
    assert_close(got, ref)
    assert isinstance(got[1], list) and len(got[1]) == 2  # (out, [h1, c1], h2)


def test_bidirectional_matches_keras_in_every_merge_mode(keras, x):
    ref_layer = keras.layers.Bidirectional(
        keras.layers.LSTM(3, return_sequences=True, return_state=True, name="l"), name="bi")
    ours = matched(ref_layer, layers.Bidirectional(
        layers.LSTM(3, return_sequences=True, return_state=True, name="l"), name="bi"), x)
    assert [(w.path, w.shape) for w in ours.weights] == [
        (w.path, tuple(w.shape)) for w in ref_layer.weights]
    modes = ["concat", "sum", "mul", "ave", None]
    refs = []
    for mode in modes:
        ref_layer.merge_mode = mode
        refs.append(ref_layer(x, mask=MASK))

    def sweep(params, state, x):
        outs = []
        for mode in modes:
            ours.merge_mode = mode
            outs.append(ours.apply(params, state, x, mask=MASK)[0])
        return outs

    for got, ref in zip(jax.jit(sweep)(ours.params, ours.state, x), refs):
        assert_close(got, ref)


def test_bidirectional_backward_layer_and_initial_state_match_keras(keras, x, rng):
    states = list(rng.standard_normal((2, B, 2)).astype("float32"))
    ref_layer = keras.layers.Bidirectional(
        keras.layers.GRU(2), backward_layer=keras.layers.GRU(2, go_backwards=True,
                                                             reset_after=False))
    ref = ref_layer(x, initial_state=states)
    ours = matched(ref_layer, layers.Bidirectional(
        layers.GRU(2), backward_layer=layers.GRU(2, go_backwards=True, reset_after=False)), x)
    assert_close(run(ours, x, initial_state=states), ref)


def test_bidirectional_fused_scan_equals_two_layer_calls(x):
    """Both directions run in one scan; an activity regularizer forces two calls."""
    def make(regularizer):
        return layers.Bidirectional(
            layers.LSTM(3, return_sequences=True, return_state=True, stateful=True,
                        activity_regularizer=regularizer), merge_mode="sum")

    fused, separate = make(None), make("l2")
    assert fused._fusable() and not separate._fusable()
    fused.init(jax.random.key(0), x)
    separate.init(jax.random.key(0), x)
    separate.set_weights(fused.get_weights())
    a, a_state = fused.apply(fused.params, fused.state, x, mask=MASK)
    b, b_state = separate.apply(separate.params, separate.state, x, mask=MASK)
    assert_close(a, b)
    assert_close(a_state, b_state)
    assert not np.allclose(leaves(a_state)[0], 0)  # the stateful states were written


def test_time_distributed_matches_keras(keras, x):
    ref_layer = keras.layers.TimeDistributed(keras.layers.Dense(2, activation="tanh"))
    ours = matched(ref_layer, layers.TimeDistributed(layers.Dense(2, activation="tanh")), x)
    assert_close(run(ours, x, mask=MASK), ref_layer(x, mask=MASK))
    assert np.array_equal(ours.apply_with_aux(ours.params, ours.state, x, mask=MASK)[2]["mask"],
                          MASK)


@pytest.mark.parametrize("name,kwargs,shape", [
    ("ConvLSTM1D", dict(filters=2, kernel_size=2, strides=2, return_sequences=True,
                        go_backwards=True), (B, 3, 5, 2)),
    ("ConvLSTM2D", dict(filters=2, kernel_size=2, data_format="channels_first",
                        padding="same", dilation_rate=2, return_state=True), (1, 2, 2, 3, 3)),
])
def test_conv_lstm_matches_keras(keras, rng, name, kwargs, shape):
    x = rng.standard_normal(shape).astype("float32")
    ref_layer = getattr(keras.layers, name)(**kwargs)
    ours = matched(ref_layer, getattr(layers, name)(**kwargs), x)
    assert_close(run(ours, x), ref_layer(x), atol=2e-5)


def test_configs_match_keras_keys(keras):
    for name, args in [("LSTM", (3,)), ("GRU", (3,)), ("SimpleRNN", (3,)), ("LSTMCell", (3,)),
                       ("GRUCell", (3,)), ("SimpleRNNCell", (3,)), ("ConvLSTM2D", (2, 3))]:
        ours = getattr(layers, name)(*args).get_config()
        ref = getattr(keras.layers, name)(*args).get_config()
        assert set(ours) == set(ref), name
        assert {k: v for k, v in ours.items() if isinstance(v, (bool, int, float))} == {
            k: v for k, v in ref.items() if isinstance(v, (bool, int, float))}, name


# --------------------------------------------------------------------------- masking
class _Encoder(jl.layers.Layer):
    """Embedding(mask_zero) -> LSTM, wired by hand: the mask flows through apply."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.embed = layers.Embedding(10, 3, mask_zero=True)
        self.lstm = layers.LSTM(4, return_sequences=True)
        self.masking = layers.Masking()
        self.gru = layers.GRU(2)

    def call(self, ids):
        h = self.lstm(self.embed(ids), mask=self.embed.compute_mask(ids))
        return self.gru(self.masking(h), mask=self.masking.compute_mask(h))


def test_embedding_and_masking_masks_flow_end_to_end(keras):
    ids = np.array([[3, 5, 0, 0], [0, 2, 7, 1]], "int32")
    model = _Encoder()
    model.init(jax.random.key(0), ids)
    ref_model = keras.Sequential([keras.layers.Embedding(10, 3, mask_zero=True),
                                  keras.layers.LSTM(4, return_sequences=True),
                                  keras.layers.Masking(), keras.layers.GRU(2)])
    ref_model(ids)
    model.set_weights(ref_model.get_weights())
    got = model.apply(model.params, model.state, ids)[0]
    assert_close(got, ref_model(ids))


def test_compute_mask(x):
    seq = layers.LSTM(2, return_sequences=True)
    seq.init(jax.random.key(0), x)
    assert np.array_equal(seq.compute_mask(x, MASK), MASK)
    last = layers.GRU(2, return_state=True)
    assert last.compute_mask(x, MASK) == [None, None]


# --------------------------------------------------------------------------- state, dropout
def test_stateful_carries_states_between_calls_and_resets(x):
    layer = layers.LSTM(3, stateful=True, return_sequences=True)
    full = layers.LSTM(3, return_sequences=True)
    full.init(jax.random.key(0), x)
    layer.init(jax.random.key(0), x)
    # The carried states are the layer's own (non-trainable) weights, listed first.
    layer.set_weights([np.zeros((B, 3))] * 2 + full.get_weights())
    want = run(full, x)
    first, second = layer(x[:, :2]), layer(x[:, 2:])
    assert_close(jnp.concatenate([first, second], axis=1), want)
    # Under apply the new state comes back, and feeding it in continues the sequence.
    _, state = layer.apply(layer.params, jax.tree.map(jnp.zeros_like, layer.state), x[:, :2])
    assert_close(layer.apply(layer.params, state, x[:, 2:])[0], want[:, 2:])
    layer.reset_states()
    assert all(not np.any(np.asarray(v)) for v in layer.states)


def test_dropout_masks_are_drawn_once_per_sequence():
    layer = layers.SimpleRNN(6, dropout=0.5, activation=None, use_bias=False,
                             kernel_initializer="identity", recurrent_initializer="zeros",
                             return_sequences=True)
    x = jnp.ones((3, 4, 6))
    params, state = layer.init(jax.random.key(0), x)
    y, _ = layer.apply(params, state, x, training=True, key=jax.random.key(3))
    assert np.all((np.asarray(y) == 0) | (np.asarray(y) == 2))
    assert np.all(y == y[:, :1])  # the same mask at every step
    assert_close(layer.apply(params, state, x)[0], x)  # inference: no dropout


def test_regularizers_and_constraints_reach_the_weights(x):
    layer = layers.GRU(3, kernel_regularizer="l2", recurrent_constraint="non_neg")
    params, state = layer.init(jax.random.key(0), x)
    _, _, aux = layer.apply_with_aux(params, state, x)
    kernel = params[layer.name]["gru_cell"]["kernel"]
    np.testing.assert_allclose(sum(aux["losses"]), 0.01 * jnp.sum(kernel ** 2), rtol=1e-5)
    assert layer.cell.recurrent_kernel.constraint is not None


def test_compile_size_does_not_grow_with_length():
    layer = layers.LSTM(4)
    params, state = layer.init(jax.random.key(0), jnp.zeros((2, 5, 3)))

    def eqns(t):
        fn = lambda p, s: layer.apply(p, s, jnp.zeros((2, t, 3)))[0]
        return len(jax.make_jaxpr(fn)(params, state).eqns)

    assert eqns(5) == eqns(400)


# --------------------------------------------------------------------------- errors
def test_bad_inputs_raise_clear_errors(x):
    lstm = layers.LSTM(3, name="enc")
    with pytest.raises(errors.ShapeError, match="LSTM 'enc'.*expected ndim=3"):
        lstm.init(jax.random.key(0), x[:, 0])
    lstm.init(jax.random.key(0), x)
    with pytest.raises(errors.ShapeError, match=r"`initial_state` must be 2 array\(s\)"):
        lstm.apply(lstm.params, lstm.state, x, initial_state=[jnp.zeros((B, 5))] * 2)
    with pytest.raises(errors.ShapeError, match=r"`initial_state` must be 2 array\(s\)"):
        lstm.apply(lstm.params, lstm.state, x, initial_state=jnp.zeros((B, 3)))


def test_stateful_needs_a_fixed_batch_size(x):
    with pytest.raises(errors.ShapeError, match="`stateful=True` needs a fixed batch size"):
        layers.LSTM(3, stateful=True)(jl.Input((T, F)))
    layer = layers.GRU(3, stateful=True)
    layer.init(jax.random.key(0), x)
    with pytest.raises(errors.ShapeError, match="stateful with batch size 2"):
        layer.apply(layer.params, layer.state, x[:1])


def test_bad_cells_and_config_raise_clear_errors():
    class NoStateSize(jl.layers.Layer):
        def call(self, inputs, states):
            return inputs, states

    with pytest.raises(errors.ConfigError, match="must have a `state_size` attribute"):
        layers.RNN(NoStateSize())
    with pytest.raises(errors.ConfigTypeError, match="`cell` must have a `call"):
        layers.RNN(object())
    with pytest.raises(errors.ConfigError, match="`units` must be a positive int"):
        layers.LSTM(0)
    with pytest.raises(errors.ConfigError, match="`merge_mode` must be one of"):
        layers.Bidirectional(layers.LSTM(2), merge_mode="max")
    with pytest.raises(errors.ConfigError, match="different `go_backwards`"):
        layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(2))
    with pytest.raises(errors.ConfigError, match="same `return_sequences`"):
        layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(
            2, go_backwards=True, return_sequences=True))
    with pytest.raises(errors.ConfigTypeError, match="`layer` must be a Layer instance"):
        layers.TimeDistributed("dense")
    with pytest.raises(errors.ConfigError, match="`strides` > 1 cannot be combined"):
        layers.ConvLSTM2D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(errors.ShapeError, match="cannot unroll over an unknown number"):
        layers.SimpleRNN(2, unroll=True)(jl.Input((None, F)))
    with pytest.raises(errors.ConfigError, match="reset_states\\(\\) needs a stateful"):
        layers.Bidirectional(layers.LSTM(2)).reset_states()


def test_time_distributed_rejects_bad_mask_and_rank(x):
    layer = layers.TimeDistributed(layers.Dense(2))
    layer.init(jax.random.key(0), x)
    with pytest.raises(errors.ShapeError, match="the mask must start with"):
        run(layer, x, mask=MASK[:, :2])
    with pytest.raises(errors.ShapeError, match="expected min_ndim=3"):
        layers.TimeDistributed(layers.Dense(2)).init(jax.random.key(0), x[:, 0])
