"""What ``fit`` costs per call beyond its steps: compiles, and the ``steps_per_execution`` paths."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers.core import variables as variables_lib
from jaxlayers.training import steps as steps_lib
from tests.helpers import count_compiles


def _model(k=1):
    model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"], steps_per_execution=k)
    return model


class Recorder(jl.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def on_train_batch_begin(self, batch, logs=None):
        self.calls.append(("begin", batch))

    def on_train_batch_end(self, batch, logs=None):
        self.calls.append(("end", batch, round(float(logs["loss"]), 6)))


def test_fit_compiles_its_step_once_and_nothing_on_repeated_calls(rng):
    x = rng.standard_normal((8, 3)).astype(np.float32)
    y = rng.standard_normal((8, 2)).astype(np.float32)
    model = _model()
    with count_compiles() as first:
        # The step compiles from shapes while the weights are made; the call
        # with the real carry must find that program, not compile another.
        model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert first.count("jit(array_step)") == 1
    with count_compiles() as names:
        for shuffle in (True, False):
            model.fit(x + 1, y, batch_size=4, epochs=2, verbose=0, shuffle=shuffle)
    assert names == []


@pytest.mark.parametrize("k", [2, 3])
def test_steps_per_execution_scan_and_dispatch_agree(rng, k):
    x = rng.standard_normal((10, 3)).astype(np.float32)
    y = rng.standard_normal((10, 2)).astype(np.float32)
    weights = _model().get_weights()
    runs = {}
    try:
        for mode in ("scan", "dispatch"):
            steps_lib.set_multi_step_execution(mode)
            model = _model(k)
            model.set_weights(weights)
            rec = Recorder()
            # 10 samples in batches of 2: 5 steps, run as blocks of k, then single steps.
            history = model.fit(x, y, batch_size=2, epochs=1, verbose=0, shuffle=False,
                                callbacks=[rec])
            runs[mode] = (model.get_weights(), rec.calls, history.history)
    finally:
        steps_lib.set_multi_step_execution("auto")
    (w_scan, calls_scan, hist_scan), (w_disp, calls_disp, hist_disp) = runs.values()
    for a, b in zip(w_scan, w_disp):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(hist_scan["loss"], hist_disp["loss"], rtol=1e-6)
    # Keras's blocks: begin at the block's first batch, end at its last one.
    blocks = [(0, k - 1), (k, 2 * k - 1)] if k == 2 else [(0, 2)]
    singles = list(range(blocks[-1][1] + 1, 5))
    expected = [(b, e) for b, e in blocks] + [(s, s) for s in singles]
    for calls in (calls_scan, calls_disp):
        begins = [c[1] for c in calls if c[0] == "begin"]
        ends = [c[1] for c in calls if c[0] == "end"]
        assert list(zip(begins, ends)) == expected
    np.testing.assert_allclose([c[2] for c in calls_scan if c[0] == "end"],
                               [c[2] for c in calls_disp if c[0] == "end"], rtol=1e-5)


def test_multi_step_execution_choice():
    assert steps_lib.multi_step_execution("cpu") == "dispatch"
    assert steps_lib.multi_step_execution("tpu") == "scan"
    with pytest.raises(jl.errors.ConfigError, match=r"`mode` must be one of .*'unrolled'"):
        steps_lib.set_multi_step_execution("unrolled")
    assert steps_lib.multi_step_execution("cpu") == "dispatch"


def _mlp():
    return jl.Sequential([jl.Input((5,)), jl.layers.Dense(4), jl.layers.Dense(3,
                          kernel_initializer="he_normal", bias_initializer="ones")])


def test_initializer_program_is_shared_by_identical_models():
    first = _mlp()
    first.get_weights()
    with count_compiles() as names:
        second = _mlp()
        values = second.get_weights()
    assert names == []
    # Same program, the second model's own keys: its own values, as drawn one by one.
    for var, value in zip(second.weights, values):
        expected = var.initial_value(var._init_key)
        np.testing.assert_allclose(value, expected, rtol=1e-6, atol=1e-7)
    assert not np.allclose(values[0], first.get_weights()[0])


def test_weights_first_read_inside_a_trace_are_concrete():
    model = _mlp()
    total = jax.jit(lambda x: x + sum(jnp.sum(v.value) for v in model.weights))(1.0)
    stored = [v._value for v in model.weights]
    assert all(isinstance(a, jax.Array) and not isinstance(a, jax.core.Tracer) for a in stored)
    np.testing.assert_allclose(total, 1.0 + sum(float(jnp.sum(a)) for a in stored), rtol=1e-5)


def test_uncacheable_initializer_is_traced_per_model():
    draws = []

    def init(shape, dtype=None):
        draws.append(shape)  # Python side effect: runs at every trace
        return jnp.full(shape, float(len(draws)), dtype)

    for _ in range(2):
        model = jl.Sequential([jl.Input((2,)), jl.layers.Dense(2, kernel_initializer=init),
                               jl.layers.Dense(1, kernel_initializer=init)])
        model.get_weights()
    assert len(draws) == 4
    assert variables_lib._initializer_signature(init) is None
