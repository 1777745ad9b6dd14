"""The optimizer's weight EMA (use_ema=True): fit ends on the averages, SwapEMAWeights
evaluates with them, as Keras 3 does on the same weights and data."""

import numpy as np
import pytest

import jaxlayers as jl

X = np.array([[1.0, 3.0], [2.0, -1.0], [0.5, 0.5], [-1.0, 2.0]], np.float32)
Y = np.array([[1.0], [0.0], [2.0], [-1.0]], np.float32)


def _pair(lib):
    model = lib.Sequential([lib.Input((2,)), lib.layers.Dense(1, kernel_initializer="ones",
                                                              bias_initializer="zeros")])
    model.compile(optimizer=lib.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5),
                  loss="mse")
    return model


def _fit(model, callbacks=(), epochs=2):
    return model.fit(X, Y, batch_size=2, epochs=epochs, shuffle=False, verbose=0,
                     callbacks=list(callbacks)).history["loss"]


def test_fit_ends_on_the_averages_and_evaluate_swaps_them_in_as_keras(keras):
    ours, theirs = _pair(jl), _pair(keras)
    np.testing.assert_allclose(_fit(ours), _fit(theirs), rtol=1e-6)
    for got, want in zip(ours.get_weights(), theirs.get_weights()):  # Keras's finalize
        np.testing.assert_allclose(got, want, rtol=1e-6)
    # One more epoch without finalizing in between, then evaluate with and without the swap.
    before = [w.copy() for w in ours.get_weights()]
    np.testing.assert_allclose(_fit(ours, epochs=1), _fit(theirs, epochs=1), rtol=1e-6)
    assert any(not np.allclose(a, b) for a, b in zip(before, ours.get_weights()))
    trained = ours.get_weights()
    swapped = ours.evaluate(X, Y, verbose=0, callbacks=[jl.callbacks.SwapEMAWeights()])
    want = theirs.evaluate(X, Y, verbose=0, callbacks=[keras.callbacks.SwapEMAWeights()])
    np.testing.assert_allclose(swapped, want, rtol=1e-6)
    for got, kept in zip(ours.get_weights(), trained):  # the training weights come back
        np.testing.assert_array_equal(got, kept)
    assert swapped != pytest.approx(ours.evaluate(X, Y, verbose=0))


def test_swap_on_epoch_puts_the_averages_in_the_model_at_each_epoch_end():
    model, seen = _pair(jl), []
    recorder = jl.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.append(model.get_weights()))
    _fit(model, [jl.callbacks.SwapEMAWeights(swap_on_epoch=True), recorder])
    # fit ends on the averages, so one- and two-epoch runs give them after each epoch.
    one, two = _pair(jl), _pair(jl)
    _fit(one, epochs=1)
    _fit(two)
    for got, want in zip(seen[0] + seen[1] + model.get_weights(),
                         one.get_weights() + two.get_weights() + two.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_an_optimizer_without_ema_is_a_clear_error():
    model = jl.Sequential([jl.Input((2,)), jl.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    cb = jl.callbacks.SwapEMAWeights()
    cb.set_model(model)
    with pytest.raises(ValueError, match=r"SwapEMAWeights: the model's optimizer must keep an EMA"):
        cb.on_test_begin()
