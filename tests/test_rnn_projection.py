"""The two placements of the RNN input projection compute the same function.

``RNN`` projects the inputs of every timestep before the scan (GPU/TPU) or
inside each scan step (CPU), as ``jaxlayers.ops._rnn.input_projection`` says.
Each recurrent layer and option must give the same outputs, states and
gradients under both placements.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxlayers import errors, layers
from jaxlayers.ops import _rnn as rnn_ops

B, T, F, U = 2, 4, 3, 2
MASK = np.array([[True, False, True, True], [True, True, True, False]])


def _models():
    """``name -> (layer, call kwargs)``: every option of the recurrent path, in few layers."""
    stacked = [layers.LSTMCell(U, dropout=0.3, recurrent_dropout=0.3),
               layers.GRUCell(U, reset_after=False, dropout=0.3)]
    return {
        "stacked_stateful_backwards": (
            layers.RNN(stacked, return_sequences=True, return_state=True, go_backwards=True,
                       stateful=True), {"mask": MASK, "training": True}),
        "simple_rnn_unrolled": (layers.SimpleRNN(U, unroll=True, return_sequences=True),
                                {"mask": MASK}),
        "bidirectional_gru": (layers.Bidirectional(layers.GRU(U, return_sequences=True)),
                              {"mask": MASK}),
        "conv_lstm": (layers.ConvLSTM1D(U, 2, padding="same"), {}),
    }


def _inputs():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((B, T, F)).astype("float32")
    return {"conv_lstm": x[..., None]}, x


def _loss_and_grads(models, placement):
    """Outputs, new states and parameter gradients of every model under ``placement``."""
    conv_x, x = _inputs()
    rnn_ops.set_input_projection(placement)
    try:
        def loss(params, states, key):
            outs, total = {}, 0.0
            for name, (layer, kwargs) in models.items():
                y, new_state = layer.apply(params[name], states[name],
                                           conv_x.get(name, x), key=key, **kwargs)
                outs[name] = (y, new_state)
                total += sum(jnp.sum(jnp.sin(leaf)) for leaf in jax.tree.leaves(y))
            return total, outs

        params = {name: layer.params for name, (layer, _) in models.items()}
        states = {name: layer.state for name, (layer, _) in models.items()}
        grad = jax.jit(jax.grad(loss, has_aux=True))
        return grad(params, states, jax.random.key(3))
    finally:
        rnn_ops.set_input_projection("auto")


def test_both_placements_give_the_same_outputs_states_and_gradients():
    models = _models()
    conv_x, x = _inputs()
    for name, (layer, _) in models.items():
        layer.init(jax.random.key(1), conv_x.get(name, x))
    hoisted = _loss_and_grads(models, "before_scan")
    in_step = _loss_and_grads(models, "in_step")
    leaves_a, tree_a = jax.tree.flatten(hoisted)
    leaves_b, tree_b = jax.tree.flatten(in_step)
    assert tree_a == tree_b
    for a, b in zip(leaves_a, leaves_b):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)
    # The options really ran: dropout drew masks, masked steps repeat, states came back.
    grads, outs = in_step
    assert all(np.any(np.asarray(g)) for g in jax.tree.leaves(grads))
    (y, *last_states), new_state = outs["stacked_stateful_backwards"]
    np.testing.assert_array_equal(y[0, 2], y[0, 1])  # masked step (t=1, processed 3rd)
    assert len(jax.tree.leaves(last_states)) == len(jax.tree.leaves(new_state)) == 3


def test_bidirectional_fuses_its_two_scans_only_with_hoisted_projections(input_projection):
    layer = layers.Bidirectional(layers.SimpleRNN(U))
    x = jnp.zeros((B, T, F))
    params, state = layer.init(jax.random.key(0), x)
    jaxpr = jax.make_jaxpr(lambda p, s: layer.apply(p, s, x)[0])(params, state)
    scans = [e for e in jaxpr.jaxpr.eqns if e.primitive.name == "scan"]
    assert len(scans) == (1 if input_projection == "before_scan" else 2)


def test_placement_is_checked_and_auto_follows_the_backend():
    assert rnn_ops.input_projection("cpu") == "in_step"
    assert rnn_ops.input_projection("gpu") == rnn_ops.input_projection("tpu") == "before_scan"
    assert rnn_ops.input_projection("cpu", kind="convolution") == "before_scan"
    with pytest.raises(errors.ConfigError, match=r"`kind` must be one of"):
        rnn_ops.input_projection("cpu", kind="conv")
    with pytest.raises(errors.ConfigError, match=r"`placement` must be one of"):
        rnn_ops.set_input_projection("inside")
    assert rnn_ops.input_projection("cpu") == "in_step"
