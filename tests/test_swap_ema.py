"""SwapEMAWeights swaps the model's weights with the optimizer's moving averages.

jaxlayers' optimizers do not keep a weight EMA yet (``use_ema=True`` is refused),
so the optimizer here is an SGD that exposes averages the way an EMA optimizer
does (``use_ema`` and ``model_variables_moving_average``); the values are set by
the test, so every swap is checked against known arrays.
"""

import numpy as np
import pytest

import jaxlayers as jl


class _Slot:
    """An optimizer-state variable: ``value``, ``shape`` and ``assign``."""

    def __init__(self, value):
        self.value = np.asarray(value)
        self.shape = self.value.shape

    def assign(self, value):
        self.value = np.asarray(value)


class _AveragingSGD(jl.optimizers.SGD):
    def __init__(self, averages):
        super().__init__(0.1)
        self.use_ema = True
        self.model_variables_moving_average = averages


def _setup():
    model = jl.Sequential([jl.Input((2,)), jl.layers.Dense(1, kernel_initializer="ones",
                                                           bias_initializer="zeros")])
    averages = [_Slot(np.full((2, 1), 0.5, np.float32)), _Slot(np.full((1,), 1.0, np.float32))]
    model.compile(optimizer=_AveragingSGD(averages), loss="mse")
    cb = jl.callbacks.SwapEMAWeights(swap_on_epoch=True)
    cb.set_model(model)
    cb.set_params({"epochs": 2})
    return model, averages, cb


X = np.array([[1.0, 3.0]], np.float32)          # training weights give 4.0; EMA weights 0.5 * 4 + 1


def _out(model):
    return float(np.asarray(model(X))[0, 0])


def test_evaluate_uses_the_ema_weights_and_training_weights_come_back():
    model, averages, cb = _setup()
    loss = model.evaluate(X, np.zeros((1, 1), np.float32), verbose=0, callbacks=[cb])
    assert loss == pytest.approx(9.0)                        # (0.5*1 + 0.5*3 + 1)^2
    assert _out(model) == 4.0
    np.testing.assert_array_equal(np.asarray(averages[1].value), [1.0])


def test_epoch_swaps_and_finalize_after_the_last_epoch():
    model, averages, cb = _setup()
    cb.on_epoch_end(0)
    assert _out(model) == 3.0                                # EMA weights in the model
    np.testing.assert_array_equal(np.asarray(averages[0].value), np.ones((2, 1)))
    cb.on_epoch_begin(1)
    assert _out(model) == 4.0 and float(np.asarray(averages[1].value)[0]) == 1.0
    cb.on_test_begin()
    cb.on_test_end()
    assert _out(model) == 4.0
    cb.on_predict_begin()
    assert _out(model) == 3.0
    cb.on_predict_end()
    assert float(np.asarray(model.trainable_variables[1].value)[0]) == 0.0
    cb.on_epoch_end(1)                                        # the last epoch: EMA stays in
    assert _out(model) == 3.0
    np.testing.assert_array_equal(np.asarray(averages[1].value), [1.0])
    np.testing.assert_array_equal(np.asarray(averages[0].value), np.full((2, 1), 0.5))


def test_an_optimizer_without_ema_is_a_clear_error():
    model = jl.Sequential([jl.Input((2,)), jl.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    cb = jl.callbacks.SwapEMAWeights()
    cb.set_model(model)
    with pytest.raises(ValueError, match=r"SwapEMAWeights: the model's optimizer must keep an EMA"):
        cb.on_test_begin()
