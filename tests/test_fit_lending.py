"""``fit`` lends the weights' and optimizer state's own buffers to its donated steps.

No second copy of the weights lives during an epoch, yet every reader of the
model (a held ``.value``, a callback, another thread, a crashed ``fit``) sees
valid, current values.
"""

import gc
import threading

import jax
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers.core import variables as variables_lib
from jaxlayers.training import lending


def _mlp(width=64):
    model = jl.Sequential([jl.Input((16,)), jl.layers.Dense(width, activation="relu"),
                           jl.layers.Dense(width), jl.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


def _data(n=32):
    rng = np.random.default_rng(0)
    return (rng.standard_normal((n, 16)).astype(np.float32),
            rng.standard_normal((n, 1)).astype(np.float32))


def _live_bytes():
    return sum(a.nbytes for a in jax.live_arrays())


def test_fit_holds_no_second_copy_of_weights_and_optimizer_state():
    x, y = _data()
    model = _mlp()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)  # weights and optimizer state exist
    gc.collect()
    state_bytes = sum(a.nbytes for a in jax.tree_util.tree_leaves(
        (model.params, model.state, model.training_state()["optimizer_state"])))
    data_bytes = x.nbytes + y.nbytes + 4 * len(x)  # the data and the epoch's batch plan
    before = _live_bytes()
    peak = [before]

    class Probe(jl.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            peak[0] = max(peak[0], _live_bytes())

    model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[Probe()])
    # The floor holds the weights, the optimizer state and the data; fit's
    # growth beyond the weights it already had is the data and its metrics.
    assert state_bytes + (peak[0] - before) <= 1.1 * (state_bytes + data_bytes)


def test_a_held_value_stays_valid_and_the_rest_is_lent(monkeypatch):
    x, y = _data()
    model = _mlp(8)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    copies = []
    copy = lending.copy_leaf
    monkeypatch.setattr(lending, "copy_leaf", lambda a: copies.append(a.shape) or copy(a))
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, validation_split=0.25)
    assert copies == []  # nothing else holds the weights or the optimizer state
    kernel = model.layers[0].kernel.value
    params = model.params
    opt_state = model.training_state()["optimizer_state"]
    held = np.asarray(kernel)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert not kernel.is_deleted()
    np.testing.assert_array_equal(np.asarray(kernel), held)
    assert not any(a.is_deleted() for a in jax.tree_util.tree_leaves((params, opt_state)))
    assert not np.array_equal(model.layers[0].kernel.numpy(), held)  # it trained
    # Every weight was held (by `params`), and the held optimizer state's leaves.
    assert len(copies) == len(jax.tree_util.tree_leaves((params, opt_state)))


def test_callbacks_and_held_layers_read_the_current_weights_mid_epoch():
    x, y = _data()
    model = _mlp(8)
    layer = model.layers[0]
    seen = []

    class Read(jl.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            # Through a held layer, not through self.model.
            seen.append((layer.kernel.numpy(), self.model.get_weights()[0],
                         int(model.optimizer.iterations)))

    model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False, callbacks=[Read()])
    assert [s[2] for s in seen] == [1, 2, 3, 4]
    for (held, via_model, _), (nxt, _, _) in zip(seen, seen[1:]):
        np.testing.assert_array_equal(held, via_model)
        assert not np.array_equal(held, nxt)
    np.testing.assert_array_equal(seen[-1][0], layer.kernel.numpy())


def test_another_thread_reads_the_weights_of_the_running_step():
    x, y = _data()
    model = _mlp(8)
    model.predict(x, verbose=0)
    reached, read = threading.Event(), threading.Event()
    expected, got, failures = [], [], []

    class Pause(jl.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                expected.append(self.model.get_weights())
                reached.set()
                read.wait(timeout=60)

    def reader():
        reached.wait(timeout=60)
        try:
            got.append(model.get_weights())
            got.append(model.predict(x, verbose=0))
        except Exception as e:  # noqa: BLE001 - reported by the main thread's assert
            failures.append(repr(e))
        read.set()

    thread = threading.Thread(target=reader)
    thread.start()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[Pause()])
    thread.join()
    assert failures == []
    for a, b in zip(expected[0], got[0]):
        np.testing.assert_array_equal(a, b)
    assert got[1].shape == (32, 1) and np.all(np.isfinite(got[1]))


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_a_fit_that_raises_mid_epoch_leaves_valid_weights(error):
    x, y = _data()
    model = _mlp(8)
    seen = []

    class Crash(jl.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(self.model.get_weights())
            if batch == 1:
                raise error("stop")

    with pytest.raises(error):
        model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[Crash()])
    weights = model.get_weights()
    for a, b in zip(weights, seen[-1]):
        np.testing.assert_array_equal(a, b)  # the weights of the last step run
    assert int(model.optimizer.iterations) == 2
    assert np.all(np.isfinite(model.predict(x, verbose=0)))
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)  # and it trains on
    assert int(model.optimizer.iterations) == 6


def test_train_on_batch_lends_and_keeps_held_values():
    x, y = _data(8)
    model = _mlp(8)
    model.train_on_batch(x, y)
    kernel = model.layers[0].kernel.value
    held = np.asarray(kernel)
    model.train_on_batch(x, y)
    np.testing.assert_array_equal(np.asarray(kernel), held)
    assert not np.array_equal(model.layers[0].kernel.numpy(), held)


def test_compiled_steps_are_never_reused_for_a_new_distribution_at_a_freed_address():
    devices = jax.devices()
    if len(devices) < 4:
        pytest.skip("needs several (forced host) devices")
    x, y = _data(16)
    model = jl.Sequential([jl.Input((16,)), jl.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    model.predict(x, verbose=0)
    first = jl.distribution.DataParallel(devices=devices[:4])
    with first.scope():
        model.fit(x, y, batch_size=8, verbose=0)
    address = id(first)
    del first
    gc.collect()
    # CPython reuses a freed object's address for the next one of its size: a
    # cache keyed by the address alone, whose entries did not keep the first
    # distribution alive, would hand the second its steps.
    candidates = [jl.distribution.DataParallel(devices=devices[:2]) for _ in range(20)]
    second = next((d for d in candidates if id(d) == address), candidates[0])
    with second.scope():
        model.fit(x, y, batch_size=8, verbose=0)
    assert model.layers[0].kernel.value.sharding.device_set == set(devices[:2])


def test_a_read_that_races_the_end_of_an_epoch_gets_the_returned_value():
    model = _mlp(4)
    model.training_state(init_optimizer=True)
    loan = lending.Loan(model, {}, jax.random.key(0))
    kernel = model.layers[0].kernel
    # Another thread saw the mark just before the loan ended.
    mark = variables_lib.stored_values([kernel])[0]
    assert isinstance(mark, variables_lib.Lent)
    loan.release()
    assert mark.source.read(kernel) is kernel.value
    assert mark.source.optimizer_state() is model.training_state()["optimizer_state"]
