"""Recurrent layers: Keras 3 parity (same weights, same outputs), float64 NumPy references
(dropout with the drawn masks, every option), masks through models, state, errors."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers import errors, layers
from jaxlayers.ops import _rnn as rnn_ops
from tests.cases.recurrent import MinimalRNNCell
from tests.helpers import assert_close, sigmoid

B, T, F, U = 2, 4, 3, 5


@pytest.fixture
def x(rng):
    return rng.standard_normal((B, T, F)).astype("float32")


MASK = np.array([[True, True, True, False], [False, True, False, True]])


def leaves(tree):
    return [np.asarray(t) for t in jax.tree_util.tree_leaves(tree)]


def run(layer, x, **kwargs):
    """Pure apply on the facade's own values (the layer must be built)."""
    return layer.apply(layer.params, layer.state, x, **kwargs)[0]


def matched(keras_layer, our_layer, x):
    """Builds both layers on ``x`` and copies Keras's weights into ours."""
    keras_layer(x)
    if getattr(keras_layer, "stateful", False):
        keras_layer.reset_states()
    our_layer.init(jax.random.key(0), x)
    # A stateful layer's carried states are its own first (non-trainable) weights;
    # Keras 3 keeps them out of its weight lists.
    states = [np.zeros(v.shape, "float32") for v in (getattr(our_layer, "states", None) or ())]
    our_layer.set_weights(states + keras_layer.get_weights())
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


@pytest.mark.parametrize("input_projection", ["before_scan"], indirect=True)
def test_bidirectional_fused_scan_equals_two_layer_calls(x, input_projection):
    """Both directions run in one scan (projections hoisted); a regularizer forces two calls."""
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


@pytest.mark.parametrize("name,kwargs", [
    ("LSTM", dict(activation="relu", recurrent_activation="hard_sigmoid", use_bias=False)),
    ("GRU", dict(activation="sigmoid", recurrent_activation="tanh", reset_after=False)),
    ("GRU", dict(use_bias=False)),
    ("SimpleRNN", dict(activation=None, use_bias=False)),
])
def test_activations_and_no_bias_match_keras(keras, x, name, kwargs):
    ref_layer = getattr(keras.layers, name)(U, return_sequences=True, **kwargs)
    ours = matched(ref_layer, getattr(layers, name)(U, return_sequences=True, **kwargs), x)
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in ref_layer.weights]
    assert_close(ours(x), ref_layer(x))


@pytest.mark.parametrize("name", ["LSTM", "GRU", "SimpleRNN"])
def test_stateful_calls_and_reset_match_keras(keras, x, name):
    ref_layer = getattr(keras.layers, name)(U, stateful=True, return_sequences=True,
                                            return_state=True)
    ours = matched(ref_layer, getattr(layers, name)(U, stateful=True, return_sequences=True,
                                                    return_state=True), x)
    for _ in range(2):
        for chunk in (x[:, :2], x[:, 2:]):
            assert_close(ours(chunk), ref_layer(chunk))
        ours.reset_states()
        ref_layer.reset_states()
    assert all(not np.any(np.asarray(v)) for v in ours.states)


def test_conv_lstm_3d_matches_keras(keras, rng):
    x = rng.standard_normal((2, 3, 4, 3, 4, 2)).astype("float32")
    kwargs = dict(filters=2, kernel_size=(2, 2, 3), padding="same", return_sequences=True,
                  return_state=True, go_backwards=True)
    ref_layer = keras.layers.ConvLSTM3D(**kwargs)
    ours = matched(ref_layer, layers.ConvLSTM3D(**kwargs), x)
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in ref_layer.weights]
    assert_close(ours(x), ref_layer(x), atol=3e-5)


def test_conv_lstm_1d_initial_state_matches_keras(keras, rng):
    x = rng.standard_normal((2, 3, 6, 2)).astype("float32")
    h0, c0 = rng.standard_normal((2, 2, 5, 3)).astype("float32")
    ref_layer = keras.layers.ConvLSTM1D(3, 2, return_state=True)
    ref = ref_layer(x, initial_state=[h0, c0])
    ours = matched(ref_layer, layers.ConvLSTM1D(3, 2, return_state=True), x)
    assert_close(ours(x, initial_state=[h0, c0]), ref, atol=3e-5)


def test_bidirectional_last_output_with_mask_matches_keras(keras, x):
    mask = np.array([[True, True, False, False], [True, True, True, True]])
    for merge_mode in ("concat", None):
        ref_layer = keras.layers.Bidirectional(keras.layers.LSTM(3, return_state=True),
                                               merge_mode=merge_mode)
        ref = ref_layer(x, mask=mask)
        ours = matched(ref_layer, layers.Bidirectional(layers.LSTM(3, return_state=True),
                                                       merge_mode=merge_mode), x)
        assert_close(ours(x, mask=mask), ref)


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


def test_masks_flow_through_sequential_and_functional_like_keras(keras):
    ids = np.array([[3, 5, 0, 0, 2], [0, 2, 7, 1, 0], [4, 0, 0, 0, 0]], "int32")
    model = jl.Sequential([jl.Input((5,), dtype="int32"),
                           layers.Embedding(10, 3, mask_zero=True),
                           layers.Bidirectional(layers.GRU(4, return_sequences=True)),
                           layers.LSTM(3, return_sequences=True),
                           layers.GlobalAveragePooling1D()])
    ref = keras.Sequential([keras.Input((5,), dtype="int32"),
                            keras.layers.Embedding(10, 3, mask_zero=True),
                            keras.layers.Bidirectional(keras.layers.GRU(4, return_sequences=True)),
                            keras.layers.LSTM(3, return_sequences=True),
                            keras.layers.GlobalAveragePooling1D()])
    model.set_weights(ref.get_weights())
    assert_close(model(ids), ref(ids))

    def functional(lib):
        inp = lib.Input((5,), dtype="int32")
        emb = lib.layers.Embedding(10, 3, mask_zero=True)(inp)
        a = lib.layers.LSTM(4, return_sequences=True)(emb)
        b = lib.layers.SimpleRNN(4, return_sequences=True, go_backwards=True)(emb)
        merged = lib.layers.Add()([a, b])
        out = lib.layers.GlobalAveragePooling1D()(merged)
        last = lib.layers.GRU(2)(merged)
        return lib.Model(inp, [out, last])

    ours, theirs = functional(jl), functional(keras)
    ours.set_weights(theirs.get_weights())
    assert_close(ours(ids), theirs(ids))
    assert_close(jax.jit(lambda p, s, i: ours.apply(p, s, i)[0])(ours.params, ours.state, ids),
                 theirs(ids))


def test_masks_through_sequential_into_rnn_match_keras(keras):
    ids = np.array([[3, 1, 4, 0, 0], [2, 7, 0, 0, 0]], np.int32)
    ref = keras.Sequential([keras.layers.Input(shape=(5,), dtype="int32"),
                            keras.layers.Embedding(10, 4, mask_zero=True),
                            keras.layers.LSTM(3)])
    model = jl.Sequential([layers.Input(shape=(5,), dtype="int32"),
                           layers.Embedding(10, 4, mask_zero=True), layers.LSTM(3)])
    model.set_weights(ref.get_weights())
    np.testing.assert_allclose(model.predict(ids, verbose=0), np.asarray(ref(ids)),
                               rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------- dropout
@pytest.fixture
def recorded_masks(monkeypatch):
    """Every dropout mask drawn by the layers, in draw order (input, then recurrent)."""
    drawn = []
    original = rnn_ops.dropout_mask

    def record(*args, **kwargs):
        mask = original(*args, **kwargs)
        drawn.append(np.asarray(mask, np.float64))
        return mask

    monkeypatch.setattr(rnn_ops, "dropout_mask", record)
    return drawn


def _gates(mask, n):
    """Per-gate masks: ``(n, ...)`` as drawn, or one shared mask repeated."""
    return list(mask) if mask.ndim == 3 else [mask] * n


def np_lstm(x, k, r, b, dp, rdp):
    h = c = np.zeros((x.shape[0], r.shape[0]))
    u, outs = r.shape[0], []
    dp, rdp = _gates(dp, 4), _gates(rdp, 4)
    for t in range(x.shape[1]):
        z = [(x[:, t] * dp[g]) @ k[:, g * u:(g + 1) * u] + (h * rdp[g]) @ r[:, g * u:(g + 1) * u]
             + b[g * u:(g + 1) * u] for g in range(4)]
        c = sigmoid(z[1]) * c + sigmoid(z[0]) * np.tanh(z[2])
        h = sigmoid(z[3]) * np.tanh(c)
        outs.append(h)
    return np.stack(outs, 1)


def np_gru(x, k, r, b, dp, rdp, reset_after):
    u = r.shape[0]
    h, outs = np.zeros((x.shape[0], u)), []
    dp, rdp = _gates(dp, 3), _gates(rdp, 3)
    bi, br = (b[0], b[1]) if reset_after else (b, np.zeros(3 * u))
    sl = [slice(g * u, (g + 1) * u) for g in range(3)]
    for t in range(x.shape[1]):
        xz, xr, xh = [(x[:, t] * dp[g]) @ k[:, sl[g]] + bi[sl[g]] for g in range(3)]
        z = sigmoid(xz + (h * rdp[0]) @ r[:, sl[0]] + br[sl[0]])
        g_r = sigmoid(xr + (h * rdp[1]) @ r[:, sl[1]] + br[sl[1]])
        if reset_after:
            hh = np.tanh(xh + g_r * ((h * rdp[2]) @ r[:, sl[2]] + br[sl[2]]))
        else:
            hh = np.tanh(xh + (g_r * h * rdp[2]) @ r[:, sl[2]])
        h = z * h + (1 - z) * hh
        outs.append(h)
    return np.stack(outs, 1)


@pytest.mark.parametrize("name,kwargs", [
    ("LSTM", dict(dropout=0.4, recurrent_dropout=0.3)),   # per-gate masks
    ("LSTM", dict(dropout=0.4)),                           # one shared input mask
    ("GRU", dict(dropout=0.3, recurrent_dropout=0.5)),
    ("GRU", dict(dropout=0.3, recurrent_dropout=0.5, reset_after=False)),
    ("SimpleRNN", dict(dropout=0.5, recurrent_dropout=0.5)),
])
def test_dropout_in_training_matches_numpy_with_the_drawn_masks(recorded_masks, x, name,
                                                                 kwargs):
    layer = getattr(layers, name)(U, return_sequences=True, bias_initializer="uniform",
                                  **kwargs)
    params, state = layer.init(jax.random.key(0), x)
    y, _ = layer.apply(params, state, x, training=True, key=jax.random.key(7))
    assert len(recorded_masks) == 1 + ("recurrent_dropout" in kwargs)
    dp = recorded_masks[0]
    rdp = recorded_masks[1] if len(recorded_masks) == 2 else np.ones((B, U))
    # Masks are inverted dropout: 0 or 1 / (1 - rate), drawn once per sequence.
    values = np.unique(dp)
    np.testing.assert_allclose(values, [0.0, 1 / (1 - kwargs["dropout"])], rtol=1e-6)
    assert dp.shape == ((B, F) if dp.ndim == 2 else (dp.shape[0], B, F))
    layer.set_params(params, state)
    k, r, *b = [np.asarray(w, np.float64) for w in layer.get_weights()]
    xd = np.asarray(x, np.float64)
    if name == "LSTM":
        want = np_lstm(xd, k, r, b[0], dp, rdp)
    elif name == "GRU":
        want = np_gru(xd, k, r, b[0], dp, rdp, layer.reset_after)
    else:
        h, outs = np.zeros((B, U)), []
        for t in range(T):
            h = np.tanh((xd[:, t] * dp) @ k + (h * rdp) @ r + b[0])
            outs.append(h)
        want = np.stack(outs, 1)
    np.testing.assert_allclose(y, want, rtol=1e-4, atol=1e-5)
    # Same key, same masks; another key, other masks; inference ignores dropout.
    again, _ = layer.apply(params, state, x, training=True, key=jax.random.key(7))
    np.testing.assert_array_equal(again, y)
    other, _ = layer.apply(params, state, x, training=True, key=jax.random.key(8))
    assert not np.allclose(other, y)
    plain = layer.apply(params, state, x)[0]
    with pytest.raises(errors.KeyRequiredError, match="key=jax.random.key"):
        layer.apply(params, state, x, training=True)
    assert not np.allclose(plain, y)


def test_dropout_inside_jit_takes_the_key_as_an_argument(x):
    layer = layers.GRU(U, dropout=0.5, recurrent_dropout=0.5)
    params, state = layer.init(jax.random.key(0), x)
    step = jax.jit(lambda p, s, x, k: layer.apply(p, s, x, training=True, key=k)[0])
    a, b = step(params, state, x, jax.random.key(1)), step(params, state, x, jax.random.key(2))
    assert not np.allclose(a, b)
    np.testing.assert_array_equal(step(params, state, x, jax.random.key(1)), a)


# --------------------------------------------------------------------------- NumPy sweep
def np_cell(name, reset_after, k, r, b):
    """One float64 step ``(x_t, states) -> states`` of the built-in cell (gates as Keras)."""
    u = r.shape[0]
    sl = [slice(g * u, (g + 1) * u) for g in range(4)]
    if name == "LSTM":
        def step(x_t, s):
            z = x_t @ k + s[0] @ r + b
            c = sigmoid(z[:, sl[1]]) * s[1] + sigmoid(z[:, sl[0]]) * np.tanh(z[:, sl[2]])
            return [sigmoid(z[:, sl[3]]) * np.tanh(c), c]
    elif name == "GRU":
        def step(x_t, s):
            (h,) = s
            bi, br = (b[0], b[1]) if reset_after else (b, np.zeros_like(b))
            xz = x_t @ k + bi
            z = sigmoid(xz[:, sl[0]] + h @ r[:, sl[0]] + br[sl[0]])
            g = sigmoid(xz[:, sl[1]] + h @ r[:, sl[1]] + br[sl[1]])
            if reset_after:
                hh = np.tanh(xz[:, sl[2]] + g * (h @ r[:, sl[2]] + br[sl[2]]))
            else:
                hh = np.tanh(xz[:, sl[2]] + (g * h) @ r[:, sl[2]])
            return [z * h + (1 - z) * hh]
    else:
        def step(x_t, s):
            return [np.tanh(x_t @ k + s[0] @ r + b)]
    return step


def np_layer(step, x, n_states, mask, go_backwards, return_sequences, return_state):
    states = [np.zeros((x.shape[0], U))] * n_states
    order = range(x.shape[1] - 1, -1, -1) if go_backwards else range(x.shape[1])
    outs = []
    for t in order:
        new = step(x[:, t], states)
        if mask is not None:
            m = mask[:, t][:, None]
            new = [np.where(m, n, s) for n, s in zip(new, states)]
        states = new
        outs.append(states[0])  # a masked step repeats the previous output
    out = np.stack(outs, 1) if return_sequences else outs[-1]
    return (out, *states) if return_state else out


@pytest.mark.parametrize("name,reset_after", [("LSTM", None), ("GRU", True), ("GRU", False),
                                              ("SimpleRNN", None)])
def test_every_option_matches_a_float64_numpy_reference(x, name, reset_after):
    mask = np.array([[True, False, True, False], [False, True, True, True]])
    extra = {} if reset_after is None else {"reset_after": reset_after}
    layer = getattr(layers, name)(U, bias_initializer="uniform", name="rnn", **extra)
    params, state = layer.init(jax.random.key(1), x)
    layer.set_params(params, state)
    k, r, b = [np.asarray(w, np.float64) for w in layer.get_weights()]
    step = np_cell(name, reset_after, k, r, b)
    n_states = 2 if name == "LSTM" else 1
    cases = list(itertools.product((False, True), repeat=4))

    def sweep(params, state, x):
        outs = []
        for rs, rst, gb, masked in cases:
            layer.return_sequences, layer.return_state, layer.go_backwards = rs, rst, gb
            outs.append(layer.apply(params, state, x, mask=mask if masked else None)[0])
        return outs

    for (rs, rst, gb, masked), got in zip(cases, jax.jit(sweep)(params, state, x)):
        want = np_layer(step, np.asarray(x, np.float64), n_states, mask if masked else None,
                        gb, rs, rst)
        assert_close(got, want, atol=2e-5)


class TwoStateCell(jl.layers.Layer):
    """A user cell with two states whose step reads ``training``."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = [units, units]

    def build(self, input_shape):
        self.w = self.add_weight(name="w", shape=(input_shape[-1], self.units))

    def call(self, inputs, states, training=False):
        h, total = states
        h = jnp.tanh(inputs @ self.w + 0.5 * h) * (2.0 if training else 1.0)
        return h, [h, total + h]


def test_user_cell_with_two_states_gets_training_and_masks(x):
    mask = np.array([[True, True, False, True], [False, True, True, False]])
    layer = layers.RNN(TwoStateCell(3), return_sequences=True, return_state=True)
    params, state = layer.init(jax.random.key(0), x)
    layer.set_params(params, state)
    (w,) = [np.asarray(v, np.float64) for v in layer.get_weights()]
    for training in (False, True):
        out, h, total = layer.apply(params, state, x, mask=mask, training=training)[0]
        sh, st, outs = np.zeros((B, 3)), np.zeros((B, 3)), []
        for t in range(T):
            nh = np.tanh(np.asarray(x[:, t], np.float64) @ w + 0.5 * sh) * (
                2.0 if training else 1.0)
            m = mask[:, t][:, None]
            sh, st = np.where(m, nh, sh), np.where(m, st + nh, st)
            outs.append(sh)
        assert_close((out, h, total), (np.stack(outs, 1), sh, st))
    assert layer.compute_mask(x, mask)[0] is mask


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
        def fn(p, s, layer=layer, t=t):
            return layer.apply(p, s, jnp.zeros((2, t, 3)))[0]
        return len(jax.make_jaxpr(fn)(params, state).eqns)

    assert eqns(5) == eqns(400)


def test_unit_forget_bias_initializes_the_forget_gate_to_one(x):
    for unit_forget_bias, expected in ((True, 1.0), (False, 0.0)):
        layer = layers.LSTM(U, unit_forget_bias=unit_forget_bias)
        params, _ = layer.init(jax.random.key(0), x)
        bias = np.asarray(params[layer.name]["lstm_cell"]["bias"])
        np.testing.assert_array_equal(bias[U:2 * U], expected)
        np.testing.assert_array_equal(np.delete(bias, np.s_[U:2 * U]), 0.0)
    layer = layers.LSTM(U, bias_initializer="ones", unit_forget_bias=True)
    params, _ = layer.init(jax.random.key(0), x)
    np.testing.assert_array_equal(params[layer.name]["lstm_cell"]["bias"], 1.0)


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


def test_more_bad_inputs_raise_clear_errors(x):
    with pytest.raises(errors.ShapeError, match="RNN 'r'.*expected min_ndim=3"):
        layers.RNN(MinimalRNNCell(2), name="r").init(jax.random.key(0), x[:, 0])
    with pytest.raises(errors.ShapeError, match="expected ndim=3"):
        layers.Bidirectional(layers.GRU(2)).init(jax.random.key(0), x[:, 0])
    with pytest.raises(errors.ShapeError, match="ConvLSTM2D.*expected ndim=5"):
        layers.ConvLSTM2D(2, 2).init(jax.random.key(0), x)
    gru = layers.GRU(3, name="g")
    gru.init(jax.random.key(0), x)
    with pytest.raises(errors.ShapeError, match=r"GRU 'g'.*`initial_state` must be 1 array\(s\) "
                                                r"of shape\(s\) \[\(2, 3\)\].*Received: shapes "
                                                r"\[\(2, 4\)\]"):
        gru.apply(gru.params, gru.state, x, initial_state=jnp.zeros((B, 4)))
    stacked = layers.RNN([layers.LSTMCell(3), MinimalRNNCell(2)], name="st")
    stacked.init(jax.random.key(0), x)
    with pytest.raises(errors.ShapeError, match=r"RNN 'st'.*must be 3 array\(s\)"):
        stacked.apply(stacked.params, stacked.state, x, initial_state=[jnp.zeros((B, 3))] * 2)
    bi = layers.Bidirectional(layers.LSTM(3))
    bi.init(jax.random.key(0), x)
    with pytest.raises(errors.ShapeError, match=r"`initial_state` must be 2 array\(s\)"):
        bi.apply(bi.params, bi.state, x, initial_state=[jnp.zeros((B, 3))] * 2)

    class BadStateSize(jl.layers.Layer):
        state_size = "four"

        def call(self, inputs, states):
            return inputs, states

    with pytest.raises(errors.ConfigError, match="must be an int or a list of ints. "
                                                 "Received: state_size='four'"):
        layers.RNN(BadStateSize())
    with pytest.raises(errors.ShapeError, match="`stateful=True` needs a fixed batch size"):
        layers.Bidirectional(layers.GRU(3, stateful=True))(jl.Input((T, F)))
