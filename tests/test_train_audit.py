"""fit / callbacks on a real model: gaps of the models-and-training issue, checked by numbers."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxlayers as jl
from jaxlayers import errors, optimizers

L = jl.layers


def _blobs(n=40, d=6, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((classes, d)) * 3
    y = rng.integers(0, classes, n)
    return (centers[y] + rng.standard_normal((n, d))).astype(np.float32), y.astype(np.int32)


def _linear(name=None, **compile_kwargs):
    model = jl.Sequential([L.Input(shape=(6,)), L.Dense(3)], name=name)
    compile_kwargs.setdefault("optimizer", "sgd")
    compile_kwargs.setdefault("loss", jl.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.compile(**compile_kwargs)
    return model


class TraceCounter(L.Layer):
    """Identity whose Python ``call`` body runs only while tracing: counts traces."""

    traces = 0

    def call(self, x):
        TraceCounter.traces += 1
        return x


def _sgd_steps(params, x, y, lr, batch_size):
    """Plain SGD on softmax cross-entropy, in order, as a hand-written reference."""
    def loss(p, xb, yb):
        logits = xb @ p["kernel"] + p["bias"]
        return optax.softmax_cross_entropy_with_integer_labels(logits, yb).mean()

    for i in range(0, len(x), batch_size):
        g = jax.grad(loss)(params, x[i:i + batch_size], y[i:i + batch_size])
        params = jax.tree.map(lambda p, d: p - lr * d, params, g)
    return params


# ----------------------------------------------------------------------------- mid-epoch state
def test_callbacks_see_the_live_weights_mid_epoch():
    x, y = _blobs(n=32)
    model = _linear()
    start = {k: jnp.asarray(v) for k, v in model.params[model.layers[0].name].items()}
    seen = []

    class Peek(jl.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append([w.copy() for w in self.model.get_weights()])

    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0, callbacks=[Peek()])
    assert len(seen) == 4
    for i, weights in enumerate(seen):  # weights after i + 1 SGD steps (default lr 0.01)
        ref = _sgd_steps(start, x[:8 * (i + 1)], y[:8 * (i + 1)], 0.01, 8)
        np.testing.assert_allclose(weights[0], ref["kernel"], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(weights[1], ref["bias"], rtol=1e-5, atol=1e-6)
    # The synced copy did not break the donated carry: training went on to the end.
    np.testing.assert_allclose(model.get_weights()[0], seen[-1][0], rtol=1e-6)


def test_model_checkpoint_every_n_batches_saves_current_weights(tmp_path):
    x, y = _blobs(n=40)
    model = _linear()
    path = str(tmp_path / "w.weights.npz")

    class StopAfterTwo(jl.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                self.model.stop_training = True

    ckpt = jl.callbacks.ModelCheckpoint(path, save_weights_only=True, save_freq=2)
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0,
              callbacks=[ckpt, StopAfterTwo()])
    other = jl.Sequential([L.Input(shape=(6,)), L.Dense(3)])
    other.load_weights(path)
    for a, b in zip(other.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)  # after step 2, not the epoch start


def test_fit_donates_the_carry():
    if jax.default_backend() not in ("cpu", "gpu", "tpu"):
        pytest.skip("donation support depends on the backend")
    x, y = _blobs(n=24)
    model = _linear()
    kept = []

    class Grab(jl.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            # self._model: read the carry without the sync that self.model performs.
            kept.append(jax.tree_util.tree_leaves(self._model._live_carry[0])[0])

    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[Grab()])
    assert kept[0].is_deleted() and kept[1].is_deleted()  # consumed by the next step
    assert not kept[-1].is_deleted()


# ----------------------------------------------------------------------------- fit arguments
def test_initial_epoch_and_steps_per_epoch():
    x, y = _blobs(n=40)
    model = _linear()
    start = {k: jnp.asarray(v) for k, v in model.params[model.layers[0].name].items()}
    batches = []
    hist = model.fit(x, y, batch_size=8, epochs=3, initial_epoch=1, steps_per_epoch=2,
                     shuffle=False, verbose=0,
                     callbacks=[jl.callbacks.LambdaCallback(
                         on_train_batch_end=lambda b, logs: batches.append(b))])
    assert hist.epoch == [1, 2] and batches == [0, 1, 0, 1]
    ref = _sgd_steps(start, np.concatenate([x[:16]] * 2), np.concatenate([y[:16]] * 2),
                     0.01, 8)
    np.testing.assert_allclose(model.get_weights()[0], ref["kernel"], rtol=1e-5, atol=1e-6)


def test_steps_per_execution_with_remainder_partial_batch_and_dropout():
    x, y = _blobs(n=60)  # 7 full batches of 8 (K=3: 3 + 3 + 1 single) and a partial of 4
    results = []
    for k in (1, 3):
        jl.set_random_seed(11)
        # Fixed names: a dropout mask depends on the layer's path, as designed.
        model = jl.Sequential([L.Input(shape=(6,)), L.Dense(8, activation="relu", name="h"),
                               L.Dropout(0.3, name="drop"), L.Dense(3, name="out")],
                              name="spe_rem")
        model.compile("adam", jl.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"], steps_per_execution=k)
        hist = model.fit(x, y, batch_size=8, epochs=2, verbose=0)  # shuffled, same seed
        results.append((model.get_weights(), hist.history))
    for a, b in zip(results[0][0], results[1][0]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for name in ("loss", "accuracy"):
        np.testing.assert_allclose(results[0][1][name], results[1][1][name], rtol=1e-5)


def test_no_retrace_with_a_generator_and_its_partial_last_batch():
    x, y = _blobs(n=40)

    def batches():
        for i in range(0, 40, 16):  # 16, 16 and a partial 8
            yield x[i:i + 16], y[i:i + 16]

    model = jl.Sequential([L.Input(shape=(6,)), TraceCounter(), L.Dense(3)])
    model.compile("adam", jl.losses.SparseCategoricalCrossentropy(from_logits=True))
    TraceCounter.traces = 0
    model.fit(list(batches()), epochs=1, verbose=0)
    first = TraceCounter.traces
    model.fit(list(batches()), epochs=3, verbose=0)
    model.fit(batches(), epochs=1, verbose=0)
    assert TraceCounter.traces == first
    # Shape passes plus two compiled batch shapes (16 and 8), never one per step.
    assert first <= 5


def test_input_with_batch_size_name_and_dtype():
    inp = jl.Input(shape=(3,), batch_size=4, name="features", dtype="float32")
    model = jl.Model(inp, L.Dense(2)(inp))
    assert model.input_shape == (4, 3) and model.layers[0].name == "features"
    # As in Keras, the batch size of an Input is not enforced on the data.
    assert model.predict(np.ones((6, 3)), batch_size=4, verbose=0).shape == (6, 2)
    model.compile("sgd", "mse")
    assert len(model.fit(np.ones((8, 3)), np.ones((8, 2)), batch_size=4,
                         verbose=0).history["loss"]) == 1


# ----------------------------------------------------------------------------- callbacks, real fit
def test_early_stopping_restores_best_weights_in_fit():
    x, y = _blobs(n=32)
    model = _linear(optimizer=jl.optimizers.SGD(learning_rate=0.1))
    per_epoch = []
    record = jl.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: per_epoch.append(model.get_weights()))
    # The loss falls every epoch, so with mode="max" epoch 0 stays the best.
    stop = jl.callbacks.EarlyStopping(monitor="loss", mode="max", patience=1,
                                      restore_best_weights=True)
    hist = model.fit(x, y, epochs=10, batch_size=8, verbose=0, callbacks=[record, stop])
    assert hist.epoch == [0, 1] and stop.stopped_epoch == 1
    assert not np.allclose(per_epoch[0][0], per_epoch[1][0])
    for a, b in zip(model.get_weights(), per_epoch[0]):
        np.testing.assert_array_equal(a, b)


def test_learning_rate_callbacks_change_the_steps_taken():
    x, y = _blobs(n=16)
    model = _linear(optimizer=jl.optimizers.SGD(learning_rate=0.5))
    before = model.get_weights()
    sched = jl.callbacks.LearningRateScheduler(lambda epoch, lr: 0.0)
    hist = model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[sched])
    assert hist.history["learning_rate"] == [0.0, 0.0]
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)  # a zero rate really reached the jitted step

    start = {k: jnp.asarray(v) for k, v in model.params[model.layers[0].name].items()}
    sched = jl.callbacks.LearningRateScheduler(lambda epoch, lr: 0.05)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0, callbacks=[sched])
    ref = _sgd_steps(start, x, y, 0.05, 16)
    np.testing.assert_allclose(model.get_weights()[0], ref["kernel"], rtol=1e-5, atol=1e-6)

    plateau = jl.callbacks.ReduceLROnPlateau(monitor="loss", mode="max", factor=0.5,
                                             patience=0)
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[plateau])
    # Epoch 0 sets the best; epoch 1 does not improve: one halving of 0.05.
    np.testing.assert_allclose(
        optimizers.get_hyperparam(model._opt_state, "learning_rate"), 0.025, rtol=1e-6)


def test_terminate_on_nan_in_fit_prints_the_reason_or_raises(capsys):
    x, y = _blobs(n=32)
    x[9, 0] = np.nan  # in the second batch of 8
    model = _linear()
    hist = model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0,
                     callbacks=[jl.callbacks.TerminateOnNaN()])
    assert model.stop_training and hist.epoch == [0]
    assert "Batch 1: Invalid loss, terminating training" in capsys.readouterr().out
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 1"):
        _linear().fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0,
                      callbacks=[jl.callbacks.TerminateOnNaN(raise_error=True)])


def test_csv_logger_in_fit(tmp_path):
    x, y = _blobs(n=16)
    model = _linear(metrics=["accuracy"])
    path = tmp_path / "log.csv"
    hist = model.fit(x, y, epochs=2, batch_size=8, verbose=0,
                     callbacks=[jl.callbacks.CSVLogger(str(path))])
    rows = [line.split(",") for line in path.read_text().splitlines()]
    # As Keras: without validation data the val_ columns are still there, as NA.
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1"] and rows[1][3:] == ["NA", "NA"]
    np.testing.assert_allclose([float(r[2]) for r in rows[1:]], hist.history["loss"],
                               rtol=1e-6)


# ----------------------------------------------------------------------------- bad input
def test_bad_labels_and_inputs_through_fit():
    x, y = _blobs(n=16)
    model = _linear()
    with pytest.raises(errors.DataError, match=r"Received: an array of dtype <U1 \(strings\?\)"):
        model.fit(x, np.array(["a"] * 16), verbose=0)
    with pytest.raises(errors.DTypeError, match=r"expects integer class ids .* "
                       r"Received: y_true\.dtype=complex64"):
        model.fit(x, y.astype(np.complex64), verbose=0)
    with pytest.raises(errors.ShapeError, match=r"Received: y_true\.shape=\(None, 2\)"):
        model.fit(x, np.zeros((16, 2), np.int32), verbose=0)
    model.compile("sgd", "mse", metrics=["not_a_metric"])
    with pytest.raises(ValueError, match="Unknown metric: 'not_a_metric'"):
        model.fit(x, np.zeros((16, 3)), verbose=0)

    a, b = jl.Input(shape=(4,), name="a"), jl.Input(shape=(3,), name="b")
    two = jl.Model({"a": a, "b": b}, L.Dense(1)(L.Concatenate()([a, b])))
    two.compile("adam", "mse")
    with pytest.raises(errors.DataError, match=r"expects inputs named \['a', 'b'\]\. "
                       r"Missing: \['b'\]"):
        two.fit({"a": np.zeros((8, 4))}, np.zeros((8, 1)), verbose=0)
    with pytest.raises(errors.ShapeError, match=r"input 'b' expects shape \(None, 3\)"):
        two.fit({"a": np.zeros((8, 4)), "b": np.zeros((8, 5))}, np.zeros((8, 1)), verbose=0)
    with pytest.raises(errors.DataError, match=r"expects 2 input\(s\)"):
        two.fit([np.zeros((8, 4))], np.zeros((8, 1)), verbose=0)
    with pytest.raises(errors.NotCompiledError, match=r"call compile\(\) before evaluate"):
        jl.Sequential([L.Dense(1)]).evaluate(x, y)
    deferred = jl.Sequential([L.Dense(3)])
    deferred.compile("sgd", "sparse_categorical_crossentropy")
    deferred.fit(x, y, verbose=0)
    with pytest.raises(errors.DataError, match=r"Expected samples of shape \(6,\)\. "
                       r"Received: samples of shape \(5,\)"):
        deferred.fit(np.zeros((16, 5)), y, verbose=0)
    assert math.isfinite(two.evaluate({"a": np.zeros((8, 4)), "b": np.zeros((8, 3))},
                                      np.zeros((8, 1)), verbose=0))


# ----------------------------------------------------------------------------- summary
def test_summary_of_a_nested_model_with_non_trainable_weights(capsys):
    inner = jl.Sequential([L.Input(shape=(6,)), L.Dense(4, name="d_in"),
                           L.BatchNormalization(name="bn")], name="inner")
    inp = jl.Input(shape=(6,), name="inp")
    model = jl.Model(inp, L.Dense(2, name="head")(inner(inp)), name="outer")
    model.summary()
    printed = capsys.readouterr().out
    text = model.summary(print_fn=lambda s: None, return_string=True)
    assert text.strip() == printed.strip()
    # 6*4+4 + 4 gamma/beta pairs (8 trainable, 8 moving) + 4*2+2; float32 = 4 bytes each.
    assert 'Model: "outer"' in text and "inner (Sequential)" in text and "(None, 4)" in text
    assert "Total params: 54 (216.00 B)" in text
    assert "Trainable params: 46 (184.00 B)" in text
    assert "Non-trainable params: 8 (32.00 B)" in text
    rows = {line.split("│")[1].strip(): line.split("│")[3].strip()
            for line in text.splitlines() if line.startswith("│")}
    assert rows["inner (Sequential)"] == "44" and rows["head (Dense)"] == "10"


# ----------------------------------------------------------------------------- exact math
def test_regularizer_and_add_loss_terms_are_exactly_in_the_loss():
    class Penalty(L.Layer):
        def call(self, x):
            self.add_loss(0.5 * jnp.mean(x ** 2))
            return x

    x, y = _blobs(n=16)
    model = jl.Sequential([L.Input(shape=(6,)), Penalty(),
                           L.Dense(3, kernel_regularizer=jl.regularizers.L2(0.1), name="d")])
    model.compile(jl.optimizers.SGD(learning_rate=0.1),
                  jl.losses.SparseCategoricalCrossentropy(from_logits=True))
    p0 = {k: np.asarray(v, np.float64) for k, v in model.params["d"].items()}

    def total(kernel, bias):
        logits = x.astype(np.float64) @ kernel + bias
        logits = logits - logits.max(-1, keepdims=True)
        logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
        ce = -logp[np.arange(16), y].mean()
        return ce + 0.1 * np.sum(kernel ** 2) + 0.5 * np.mean(x.astype(np.float64) ** 2)

    np.testing.assert_allclose(model.evaluate(x, y, batch_size=16, verbose=0),
                               total(p0["kernel"], p0["bias"]), rtol=1e-5)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    logits = x @ p0["kernel"] + p0["bias"]
    soft = np.exp(logits - logits.max(-1, keepdims=True))
    soft /= soft.sum(-1, keepdims=True)
    dlogits = (soft - np.eye(3)[y]) / 16
    kernel = p0["kernel"] - 0.1 * (x.T @ dlogits + 0.2 * p0["kernel"])
    np.testing.assert_allclose(model.get_weights()[0], kernel, rtol=1e-4, atol=1e-6)


def test_fit_with_a_schedule_equals_a_hand_written_optax_loop():
    x, y = _blobs(n=24)
    schedule = optax.exponential_decay(0.5, transition_steps=1, decay_rate=0.7)
    # Keras's momentum accumulates lr_t * g (unlike optax.sgd's), so none here.
    model = _linear(optimizer=jl.optimizers.SGD(learning_rate=schedule))
    params = {k: jnp.asarray(v) for k, v in model.params[model.layers[0].name].items()}
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)

    def loss(p, xb, yb):
        return optax.softmax_cross_entropy_with_integer_labels(
            xb @ p["kernel"] + p["bias"], yb).mean()

    tx = optax.sgd(schedule)
    opt_state = tx.init(params)
    for _ in range(2):
        for i in range(0, 24, 8):
            updates, opt_state = tx.update(jax.grad(loss)(params, x[i:i + 8], y[i:i + 8]),
                                           opt_state, params)
            params = optax.apply_updates(params, updates)
    np.testing.assert_allclose(model.get_weights()[0], params["kernel"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.get_weights()[1], params["bias"], rtol=1e-5, atol=1e-6)
