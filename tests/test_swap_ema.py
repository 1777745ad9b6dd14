"""The optimizer's weight EMA (use_ema=True): fit ends on the averages as Keras 3's
does, and SwapEMAWeights evaluates with them and gives the training weights back."""

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


def test_fit_ends_on_the_averages_as_keras(keras):
    ours, theirs = _pair(jl), _pair(keras)
    np.testing.assert_allclose(_fit(ours), _fit(theirs), rtol=1e-6)
    for got, want in zip(ours.get_weights(), theirs.get_weights()):  # Keras's finalize
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_evaluate_with_swap_uses_the_averages_and_gives_the_training_weights_back():
    model = _pair(jl)
    _fit(model)
    finalized = model.get_weights()  # fit ended on the averages, which stay as they are
    model.train_on_batch(X[:2], Y[:2])
    trained = model.get_weights()
    # One more applied update with ema_momentum=0.5: average = (old average + new) / 2.
    probe = _pair(jl)
    probe.set_weights([(a + b) / 2 for a, b in zip(finalized, trained)])
    swapped = model.evaluate(X, Y, verbose=0, callbacks=[jl.callbacks.SwapEMAWeights()])
    assert swapped == pytest.approx(probe.evaluate(X, Y, verbose=0), rel=1e-6)
    for got, kept in zip(model.get_weights(), trained):
        np.testing.assert_array_equal(got, kept)
    assert swapped != pytest.approx(model.evaluate(X, Y, verbose=0))


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
