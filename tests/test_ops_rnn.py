"""jaxlayers.ops.rnn against float64 NumPy references written step by step."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxlayers.ops import _rnn as rnn_ops
from tests.helpers import sigmoid

B, T, F, U = 2, 5, 3, 4


def np_lstm_step(x, h, c, k, r, b):
    z = x @ k + h @ r + b
    i, f, g, o = np.split(z, 4, axis=-1)
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    return sigmoid(o) * np.tanh(c), c


def np_gru_step(x, h, k, r, b, reset_after):
    u = h.shape[-1]
    if reset_after:
        xz, xr, xh = np.split(x @ k + b[0], 3, axis=-1)
        rz, rr, rh = np.split(h @ r + b[1], 3, axis=-1)
        z, g = sigmoid(xz + rz), sigmoid(xr + rr)
        hh = np.tanh(xh + g * rh)
    else:
        xz, xr, xh = np.split(x @ k + b, 3, axis=-1)
        z = sigmoid(xz + h @ r[:, :u])
        g = sigmoid(xr + h @ r[:, u:2 * u])
        hh = np.tanh(xh + (g * h) @ r[:, 2 * u:])
    return z * h + (1 - z) * hh


def np_run(step, x, states, mask=None, go_backwards=False, zero_output=False, unroll=False):
    """Keras's masked loop: skipped steps keep states; output = previous h (or zeros)."""
    order = range(x.shape[1] - 1, -1, -1) if go_backwards else range(x.shape[1])
    outs, prev = [], np.zeros_like(states[0])
    for t in order:
        new = step(x[:, t], states)
        out = new[0]
        if mask is not None:
            m = mask[:, t][:, None]
            fill = prev if unroll else (np.zeros_like(out) if zero_output else states[0])
            out = np.where(m, out, fill)
            new = [np.where(m, n, s) for n, s in zip(new, states)]
        outs.append(out)
        states, prev = new, out
    return np.stack(outs, 1), states


def f32(*arrays):
    return [jnp.asarray(a, jnp.float32) for a in arrays]


@pytest.fixture
def data(rng):
    x = rng.standard_normal((B, T, F))
    mask = np.ones((B, T), bool)
    mask[0, 3:] = False
    mask[1, :2] = False
    return x, mask


def lstm_params(rng, scale=0.5):
    return (rng.standard_normal((F, 4 * U)) * scale, rng.standard_normal((U, 4 * U)) * scale,
            rng.standard_normal(4 * U) * scale)


@pytest.mark.parametrize("go_backwards,masked,unroll,return_sequences", [
    (False, False, False, True), (True, True, False, True), (False, True, True, True),
    (True, True, True, False), (False, True, False, False),
])
def test_lstm_scan_matches_numpy(rng, data, go_backwards, masked, unroll, return_sequences):
    x, mask = data
    k, r, b = lstm_params(rng)
    h0, c0 = rng.standard_normal((B, U)), rng.standard_normal((B, U))
    mask = mask if masked else None
    ref_out, ref_states = np_run(lambda xt, s: list(np_lstm_step(xt, s[0], s[1], k, r, b)),
                                 x, [h0, c0], mask, go_backwards, unroll=unroll)
    jk, jr, jb = f32(k, r, b)
    xs = rnn_ops.project_inputs(jnp.swapaxes(jnp.asarray(x, jnp.float32), 0, 1), jk, jb)

    def step(x_t, s):
        h, c = rnn_ops.lstm_step(x_t, s[0], s[1], jr)
        return h, [h, c]

    last, outs, states = rnn_ops.rnn(
        step, xs, f32(h0, c0), mask=None if mask is None else mask.T,
        go_backwards=go_backwards, unroll=unroll, return_sequences=return_sequences)
    np.testing.assert_allclose(last, ref_out[:, -1], atol=1e-5)
    for got, want in zip(states, ref_states):
        np.testing.assert_allclose(got, want, atol=1e-5)
    if return_sequences:
        np.testing.assert_allclose(jnp.swapaxes(outs, 0, 1), ref_out, atol=1e-5)
    else:
        assert outs is None


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_scan_matches_numpy(rng, data, reset_after):
    x, mask = data
    k, r = rng.standard_normal((F, 3 * U)) * 0.5, rng.standard_normal((U, 3 * U)) * 0.5
    b = rng.standard_normal((2, 3 * U) if reset_after else (3 * U,)) * 0.5
    h0 = rng.standard_normal((B, U))
    ref_out, (ref_h,) = np_run(lambda xt, s: [np_gru_step(xt, s[0], k, r, b, reset_after)],
                               x, [h0], mask, go_backwards=True)
    jk, jr, jb = f32(k, r, b)
    in_bias, rec_bias = (jb[0], jb[1]) if reset_after else (jb, None)
    xs = rnn_ops.project_inputs(jnp.swapaxes(jnp.asarray(x, jnp.float32), 0, 1), jk, in_bias)

    def step(x_t, s):
        h = rnn_ops.gru_step(x_t, s[0], jr, rec_bias, reset_after=reset_after)
        return h, [h]

    _, outs, (h,) = rnn_ops.rnn(step, xs, f32(h0), mask=mask.T, go_backwards=True)
    np.testing.assert_allclose(jnp.swapaxes(outs, 0, 1), ref_out, atol=1e-5)
    np.testing.assert_allclose(h, ref_h, atol=1e-5)


def test_simple_rnn_zero_output_for_mask(rng, data):
    x, mask = data
    k, r, b = (rng.standard_normal((F, U)), rng.standard_normal((U, U)) * 0.5,
               rng.standard_normal(U))
    ref_out, _ = np_run(lambda xt, s: [np.tanh(xt @ k + s[0] @ r + b)], x,
                        [np.zeros((B, U))], mask, zero_output=True)
    jk, jr, jb = f32(k, r, b)
    xs = rnn_ops.project_inputs(jnp.swapaxes(jnp.asarray(x, jnp.float32), 0, 1), jk, jb)

    def step(x_t, s):
        h = rnn_ops.simple_rnn_step(x_t, s[0], jr)
        return h, [h]

    _, outs, _ = rnn_ops.rnn(step, xs, [jnp.zeros((B, U))], mask=mask.T,
                             zero_output_for_mask=True)
    np.testing.assert_allclose(jnp.swapaxes(outs, 0, 1), ref_out, atol=1e-5)


def test_per_gate_dropout_projection_and_recurrence(rng):
    x = rng.standard_normal((T, B, F))
    k, r = rng.standard_normal((F, 3 * U)), rng.standard_normal((U, 3 * U))
    dp = rng.uniform(size=(3, B, F))
    rdp = rng.uniform(size=(3, B, U))
    h = rng.standard_normal((B, U))
    want = np.concatenate([(x * dp[g]) @ k[:, g * U:(g + 1) * U] for g in range(3)], -1)
    got = rnn_ops.project_inputs(*f32(x, k), masks=jnp.asarray(dp, jnp.float32))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    want = np.concatenate([(h * rdp[g]) @ r[:, g * U:(g + 1) * U] for g in range(3)], -1)
    got = rnn_ops.recurrent_matmul(*f32(h, r), masks=jnp.asarray(rdp, jnp.float32))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    # GRU with the reset gate before the matmul: the third gate's mask hits r * h.
    xt = rng.standard_normal((B, 3 * U))
    got = rnn_ops.gru_step(*f32(xt, h, r), reset_after=False,
                           recurrent_masks=jnp.asarray(rdp, jnp.float32))
    z = sigmoid(xt[:, :U] + (h * rdp[0]) @ r[:, :U])
    g = sigmoid(xt[:, U:2 * U] + (h * rdp[1]) @ r[:, U:2 * U])
    want = z * h + (1 - z) * np.tanh(xt[:, 2 * U:] + (g * h * rdp[2]) @ r[:, 2 * U:])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def np_conv1d_same(x, w):
    """(B, L, C) x (k, C, O), stride 1, TF 'same' padding."""
    k = w.shape[0]
    total = k - 1
    xp = np.pad(x, ((0, 0), (total // 2, total - total // 2), (0, 0)))
    return np.stack([np.einsum("bkc,kco->bo", xp[:, i:i + k], w)
                     for i in range(x.shape[1])], 1)


def test_conv_lstm_step_matches_numpy(rng):
    L, C, Fi, k = 5, 2, 3, 3
    x = rng.standard_normal((T, B, L, C))
    w, rw = rng.standard_normal((k, C, 4 * Fi)) * 0.4, rng.standard_normal((k, Fi, 4 * Fi)) * 0.4
    b = rng.standard_normal(4 * Fi) * 0.4
    dp = (rng.uniform(size=(4, B, L, C)) > 0.3) * 1.5
    rdp = (rng.uniform(size=(4, B, L, Fi)) > 0.3) * 1.5
    h, c = np.zeros((B, L, Fi)), np.zeros((B, L, Fi))
    for t in range(T):
        z = np.concatenate(
            [np_conv1d_same(x[t] * dp[g], w[..., g * Fi:(g + 1) * Fi])
             + np_conv1d_same(h * rdp[g], rw[..., g * Fi:(g + 1) * Fi])
             for g in range(4)], -1) + b
        i, f, cc, o = np.split(z, 4, axis=-1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(cc)
        h = sigmoid(o) * np.tanh(c)
    jx, jw, jrw, jb, jdp, jrdp = f32(x, w, rw, b, dp, rdp)
    xs = rnn_ops.conv_lstm_input(jx, jw, jb, jdp, padding="same")

    def step(x_t, s):
        hh, cc = rnn_ops.conv_lstm_step(x_t, s[0], s[1], jrw, recurrent_masks=jrdp)
        return hh, [hh, cc]

    last, _, (hj, cj) = rnn_ops.rnn(step, xs, f32(np.zeros((B, L, Fi)), np.zeros((B, L, Fi))),
                                    return_sequences=False)
    np.testing.assert_allclose(hj, h, atol=1e-5)
    np.testing.assert_allclose(cj, c, atol=1e-5)
    np.testing.assert_allclose(last, h, atol=1e-5)


def test_dropout_mask_values():
    m = rnn_ops.dropout_mask(jax.random.key(0), (200, 50), 0.25)
    np.testing.assert_allclose(np.unique(np.asarray(m)), [0.0, 1 / 0.75], rtol=1e-6)
    assert abs(float(jnp.mean(m == 0)) - 0.25) < 0.02
    assert rnn_ops.dropout_mask(jax.random.key(0), (2, 3), 0.5, count=4).shape == (4, 2, 3)
    assert not np.any(rnn_ops.dropout_mask(jax.random.key(0), (2, 3), 1.0))


def test_cell_returning_wrong_state_count_errors():
    def step(x_t, s):
        return x_t, [x_t, x_t]

    with pytest.raises(ValueError, match="returned 2 state arrays"):
        rnn_ops.rnn(step, jnp.ones((3, 2, 4)), [jnp.zeros((2, 4))])


def test_scan_compile_does_not_grow_with_length():
    r = jnp.eye(4, 16)

    def step(x_t, s):
        h, c = rnn_ops.lstm_step(x_t, s[0], s[1], r)
        return h, [h, c]

    def size(t, unroll=False):
        def fn(xs, unroll=unroll):
            return rnn_ops.rnn(step, xs, [jnp.zeros((2, 4))] * 2, unroll=unroll)[0]
        return len(jax.make_jaxpr(fn)(jnp.ones((t, 2, 16))).eqns)

    assert size(5) == size(500)
    assert size(6, unroll=True) > size(3, unroll=True)
