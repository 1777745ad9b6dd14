"""Masks through composite layers: the public path every layer and model uses.

A composite layer passes a mask to a sublayer with ``sublayer(x, mask=m)`` or
``sublayer.call_with_mask(x, mask=m)`` (which also returns the sublayer's output
mask), and declares its own output mask with ``self.set_output_mask(m)``.
Sequential and Functional models use exactly this path.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers import errors

L = jl.layers

# Two sequences padded with 0 (the masked id); padding changes an unmasked LSTM's output.
IDS = np.array([[4, 2, 7, 0, 0], [3, 0, 0, 0, 0]])


class Encoder(jl.layers.Layer):
    """A user composite: embedding then LSTM, the mask handed over by hand."""

    def __init__(self, return_sequences=False, **kwargs):
        super().__init__(**kwargs)
        self.embed = L.Embedding(10, 4, mask_zero=True)
        self.lstm = L.LSTM(3, return_sequences=return_sequences)

    def call(self, ids):
        h, mask = self.embed.call_with_mask(ids)
        y, out_mask = self.lstm.call_with_mask(h, mask=mask)
        self.set_output_mask(out_mask)
        return y


def _same_weights_sequential(encoder, return_sequences=False):
    model = jl.Sequential([L.Embedding(10, 4, mask_zero=True),
                           L.LSTM(3, return_sequences=return_sequences)])
    model.build((None, IDS.shape[1]))
    model.set_weights(encoder.get_weights())
    return model


@pytest.mark.parametrize("return_sequences", [False, True])
def test_a_user_composite_passes_the_embedding_mask_to_the_lstm_like_sequential(
        return_sequences, key):
    encoder = Encoder(return_sequences=return_sequences)
    params, state = encoder.init(key, IDS)
    encoder.set_params(params, state)
    model = _same_weights_sequential(encoder, return_sequences)

    expected = np.asarray(model(IDS))
    np.testing.assert_allclose(encoder(IDS), expected, rtol=1e-6, atol=1e-6)
    y, _ = jax.jit(encoder.apply)(params, state, IDS)
    np.testing.assert_allclose(y, expected, rtol=1e-6, atol=1e-6)
    # The mask matters: the same LSTM reading the padding gives other outputs.
    unmasked = encoder.lstm(encoder.embed(IDS))
    assert not np.allclose(unmasked, expected, atol=1e-4)


def test_the_output_mask_a_composite_declares_reaches_apply_and_the_next_layer(key):
    encoder = Encoder(return_sequences=True)
    params, state = encoder.init(key, IDS)
    _, _, aux = encoder.apply_with_aux(params, state, IDS)
    np.testing.assert_array_equal(aux["mask"], IDS != 0)

    # In a Sequential the declared mask reaches the following LSTM.
    encoder = Encoder(return_sequences=True)
    top = L.LSTM(2)
    stacked = jl.Sequential([encoder, top])
    stacked.build((None, IDS.shape[1]))
    masked = top(encoder(IDS), mask=jnp.asarray(IDS != 0))
    np.testing.assert_allclose(stacked(IDS), masked, rtol=1e-6, atol=1e-6)


def test_call_with_mask_outside_any_call_returns_the_mask_and_keeps_state():
    embed = L.Embedding(10, 2, mask_zero=True)
    y, mask = embed.call_with_mask(IDS)
    np.testing.assert_array_equal(mask, IDS != 0)
    np.testing.assert_allclose(y, embed(IDS))

    dense = L.Dense(2)
    _, mask = dense.call_with_mask(np.ones((2, 3), "float32"))
    assert mask is None  # a layer that does not mask gives None


def test_sequential_and_functional_models_give_their_output_mask_the_same_way(key):
    seq = jl.Sequential([L.Embedding(10, 4, mask_zero=True), L.LSTM(3, return_sequences=True)])
    ids = jl.Input((IDS.shape[1],), dtype="int32")
    functional = jl.Model(ids, L.LSTM(3, return_sequences=True)(
        L.Embedding(10, 4, mask_zero=True)(ids)))
    for model in (seq, functional):
        _, mask = model.call_with_mask(IDS)
        np.testing.assert_array_equal(mask, IDS != 0)
        params, state = model.init(key, IDS)
        np.testing.assert_array_equal(model.apply_with_aux(params, state, IDS)[2]["mask"],
                                      IDS != 0)


def test_a_declared_mask_wins_over_supports_masking():
    class Declares(jl.layers.Layer):
        supports_masking = True

        def call(self, x, mask=None):
            self.set_output_mask(x > 1)
            return x

    x = jnp.array([[0.0, 2.0]])
    _, mask = Declares().call_with_mask(x, mask=jnp.array([[True, True]]))
    np.testing.assert_array_equal(mask, [[False, True]])


def test_set_output_mask_outside_the_layers_own_call_is_an_error():
    layer = L.Dense(2)
    with pytest.raises(errors.StateError, match=r"Dense '.*': set_output_mask declares the "
                                                r"mask of the layer's own running call"):
        layer.set_output_mask(None)

    class DeclaresForAnother(jl.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = L.Dense(2)

        def call(self, x):
            y = self.inner(x)
            self.inner.set_output_mask(None)
            return y

    with pytest.raises(errors.StateError, match=r"Dense '.*': set_output_mask declares"):
        DeclaresForAnother()(np.ones((1, 3), "float32"))


def test_call_with_mask_on_symbolic_inputs_is_refused():
    x = jl.Input((3,))
    with pytest.raises(errors.ConfigTypeError,
                       match=r"Dense '.*': call_with_mask runs on arrays. On jl.Input tensors "
                             r"call the layer itself"):
        L.Dense(2).call_with_mask(x)
