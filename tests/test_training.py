"""compile / fit / evaluate / predict: Keras semantics over one jitted pure step."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxlayers as jl
from jaxlayers import errors

L = jl.layers


class MyCustomLayer(L.Layer):
    def __init__(self, units=32, **kwargs):
        super(MyCustomLayer, self).__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                      initializer="uniform", trainable=True)

    def call(self, inputs):
        return jnp.matmul(inputs, self.kernel)


class TraceCounter(L.Layer):
    """Identity whose Python ``call`` body runs only while tracing: counts traces."""

    traces = 0

    def call(self, x):
        TraceCounter.traces += 1
        return x


def _blobs(n=96, d=6, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((classes, d)) * 3
    y = rng.integers(0, classes, n)
    x = centers[y] + rng.standard_normal((n, d))
    return x.astype(np.float32), y.astype(np.int32)


def test_seed_000_example_runs_and_learns(capsys):
    model = jl.Sequential([
        L.Input(shape=(784,)),
        MyCustomLayer(units=64),
        L.Activation("relu"),
        L.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    x_train = np.random.rand(256, 784)
    y_train = np.random.randint(10, size=(256,))
    history = model.fit(x_train, y_train, epochs=3, batch_size=32, verbose=0)
    loss, accuracy = model.evaluate(x_train, y_train, verbose=0)
    assert np.isfinite(loss) and 0.0 <= accuracy <= 1.0
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert set(history.history) == {"loss", "accuracy"}


def test_seed_004_deferred_build_fits():
    model = jl.Sequential([L.Dense(32, activation="relu"), L.Dense(3)])
    assert not model.built
    model.compile(optimizer="adam", loss=jl.losses.SparseCategoricalCrossentropy(
        from_logits=True), metrics=["accuracy"])
    x, y = _blobs()
    # 120 Adam steps at Keras's default rate: >= 0.97 for every seed tried (24 steps were not).
    model.fit(x, y, epochs=40, verbose=0)
    assert model.built and model.count_params() == 6 * 32 + 32 + 32 * 3 + 3
    assert model.evaluate(x, y, verbose=0, return_dict=True)["accuracy"] > 0.9


def test_fit_equals_hand_written_optax_loop():
    x, y = _blobs(n=40)
    model = jl.Sequential([L.Input(shape=(6,)), L.Dense(16, activation="relu"),
                           L.Dropout(0.3), L.Dense(3)])
    tx = optax.adam(1e-2)
    model.compile(optimizer=tx, loss=jl.losses.SparseCategoricalCrossentropy(
        from_logits=True))
    params0, state0 = model.params, model.state
    key = model._train_key
    model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)

    def loss_fn(p, s, xb, yb, k):
        logits, s = model.apply(p, s, xb, training=True, key=k)
        return optax.softmax_cross_entropy_with_integer_labels(logits, yb).mean(), s

    params, state, opt_state = params0, state0, tx.init(params0)
    for _ in range(2):
        for i in range(0, 40, 16):
            key, sub = jax.random.split(key)
            (_, state), g = jax.value_and_grad(loss_fn, has_aux=True)(
                params, state, x[i:i + 16], y[i:i + 16], sub)
            updates, opt_state = tx.update(g, opt_state, params)
            params = optax.apply_updates(params, updates)
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6),
                 model.params, params)


def test_no_retrace_across_epochs_and_partial_batch():
    x, y = _blobs(n=50)  # 50 = 3 full batches of 16 + a partial batch of 2
    model = jl.Sequential([L.Input(shape=(6,)), TraceCounter(), L.Dense(3)])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    TraceCounter.traces = 0
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    first = TraceCounter.traces
    model.fit(x, y, batch_size=16, epochs=4, verbose=0)
    assert TraceCounter.traces == first
    # At most two compiled shapes for training (full and partial batch) plus shape passes.
    assert first <= 5


def test_steps_per_execution_matches_single_steps():
    x, y = _blobs(n=64)
    results = []
    for k in (1, 4):
        jl.set_random_seed(3)
        model = jl.Sequential([L.Input(shape=(6,)), L.Dense(8, activation="tanh"),
                               L.Dense(3)], name="spe")
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                      steps_per_execution=k)
        model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        results.append(model.get_weights())
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_run_eagerly_matches_jit():
    x, y = _blobs(n=32)
    results = []
    for eager in (False, True):
        jl.set_random_seed(4)
        model = jl.Sequential([L.Input(shape=(6,)), L.Dense(4), L.Dense(3)])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      run_eagerly=eager)
        model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
        results.append(model.get_weights())
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_multi_input_multi_output_dict_and_list_data():
    a = jl.Input(shape=(4,), name="a")
    b = jl.Input(shape=(3,), name="b")
    shared = L.Dense(8, activation="relu", name="shared")
    h = L.Concatenate()([shared(a), L.Dense(8, name="bproj")(b)])
    cls = L.Dense(2, name="cls")(h)
    reg = L.Dense(1, name="reg")(h)
    model = jl.Model({"a": a, "b": b}, {"cls": cls, "reg": reg})
    model.compile(optimizer="adam",
                  loss={"cls": jl.losses.SparseCategoricalCrossentropy(from_logits=True),
                        "reg": "mse"},
                  loss_weights={"cls": 1.0, "reg": 0.5},
                  metrics={"cls": ["accuracy"], "reg": ["mae"]})
    rng = np.random.default_rng(0)
    xa, xb = rng.standard_normal((40, 4)), rng.standard_normal((40, 3))
    yc, yr = rng.integers(0, 2, 40), rng.standard_normal((40, 1))
    hist = model.fit({"a": xa, "b": xb}, {"cls": yc, "reg": yr}, epochs=2, batch_size=8,
                     verbose=0)
    assert {"loss", "cls_loss", "reg_loss", "cls_accuracy", "reg_mae"} <= set(hist.history)
    logs = model.evaluate({"a": xa, "b": xb}, {"cls": yc, "reg": yr}, verbose=0,
                          return_dict=True)
    np.testing.assert_allclose(logs["loss"], logs["cls_loss"] + 0.5 * logs["reg_loss"],
                               rtol=1e-4)
    out = model.predict({"a": xa, "b": xb}, batch_size=16, verbose=0)
    assert out["cls"].shape == (40, 2) and isinstance(out["reg"], np.ndarray)

    # The same model fed with lists (inputs in model order, targets in output order).
    model2 = jl.Model([a, b], [cls, reg])
    model2.compile(optimizer="adam", loss=[jl.losses.SparseCategoricalCrossentropy(
        from_logits=True), "mse"])
    model2.fit([xa, xb], [yc, yr], epochs=1, batch_size=8, verbose=0)


def test_nested_model_and_shared_layer_train():
    inner = jl.Sequential([L.Dense(5, activation="relu")], name="inner")
    x = jl.Input(shape=(6,))
    shared = L.Dense(6, name="shared_dense")
    h = shared(shared(x))  # one layer called twice shares its weights
    model = jl.Model(x, L.Dense(3)(inner(h)))
    assert len(model.params["shared_dense"]) == 2
    before = model.get_weights()
    model.compile("adam", jl.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(*_blobs(n=32), epochs=1, batch_size=8, verbose=0)
    assert all(not np.allclose(a, b) for a, b in zip(before, model.get_weights()))


def test_frozen_layer_does_not_change():
    model = jl.Sequential([L.Input(shape=(6,)), L.Dense(8, name="frozen"), L.Dense(3)])
    model.get_layer("frozen").trainable = False
    before = [w.copy() for w in model.get_layer("frozen").get_weights()]
    model.compile("adam", jl.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(*_blobs(n=32), epochs=2, batch_size=8, verbose=0)
    for a, b in zip(before, model.get_layer("frozen").get_weights()):
        np.testing.assert_array_equal(a, b)
    assert model.summary(print_fn=lambda s: None, return_string=True).count("frozen") == 1


def test_sample_and_class_weights():
    x, y = _blobs(n=32)
    model = jl.Sequential([L.Input(shape=(6,)), L.Dense(3)])
    model.compile("sgd", jl.losses.SparseCategoricalCrossentropy(from_logits=True))
    sw = (y == 0).astype(np.float32)
    weighted = model.evaluate(x, y, sample_weight=sw, verbose=0, batch_size=32)
    logits = model.predict(x, verbose=0)
    per = optax.softmax_cross_entropy_with_integer_labels(jnp.asarray(logits), y)
    np.testing.assert_allclose(weighted, float(jnp.sum(per * sw) / 32), rtol=1e-5)
    hist = model.fit(x, y, class_weight={0: 1.0, 1: 0.0, 2: 0.0}, epochs=1, verbose=0,
                     batch_size=32, shuffle=False)
    np.testing.assert_allclose(hist.history["loss"][0], weighted, rtol=1e-5)


def test_validation_split_and_validation_data():
    x, y = _blobs(n=50)
    model = jl.Sequential([L.Input(shape=(6,)), L.Dense(3)])
    model.compile("adam", jl.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    hist = model.fit(x, y, validation_split=0.2, epochs=2, verbose=0)
    assert {"val_loss", "val_accuracy"} <= set(hist.history)
    val = model.evaluate(x[40:], y[40:], verbose=0)
    np.testing.assert_allclose(hist.history["val_loss"][-1], val[0], rtol=1e-5)
    hist = model.fit(x, y, validation_data=(x[:10], y[:10]), epochs=1, verbose=0)
    assert "val_loss" in hist.history


def test_regularization_and_constraints_in_training():
    x, y = _blobs(n=32)
    model = jl.Sequential([L.Input(shape=(6,)),
                           L.Dense(3, kernel_regularizer=jl.regularizers.L2(10.0),
                                   kernel_constraint="non_neg")])
    model.compile("sgd", jl.losses.SparseCategoricalCrossentropy(from_logits=True))
    plain = model.evaluate(x, y, verbose=0, batch_size=32)
    kernel = model.layers[0].get_weights()[0]
    assert plain > 10.0 * np.sum(kernel ** 2) - 1e-4  # the penalty is part of the loss
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert np.all(model.layers[0].get_weights()[0] >= 0.0)


def test_generator_data_and_per_batch_methods():
    x, y = _blobs(n=48)

    def batches():
        for i in range(0, 48, 16):
            yield x[i:i + 16], y[i:i + 16]

    model = jl.Sequential([L.Input(shape=(6,)), L.Dense(3)])
    model.compile("adam", jl.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    hist = model.fit(list(batches()), epochs=2, verbose=0)
    assert len(hist.history["loss"]) == 2
    model.fit(batches(), epochs=1, verbose=0)
    loss, acc = model.train_on_batch(x[:8], y[:8])
    assert np.isfinite(loss)
    logs = model.test_on_batch(x[:8], y[:8], return_dict=True)
    assert set(logs) == {"loss", "accuracy"}
    assert model.predict_on_batch(x[:5]).shape == (5, 3)


def test_bad_inputs_give_clear_errors():
    model = jl.Sequential([L.Input(shape=(6,)), L.Dense(3)])
    x, y = _blobs(n=16)
    with pytest.raises(errors.NotCompiledError, match=r"call compile\(\) before fit"):
        model.fit(x, y)
    with pytest.raises(errors.ConfigError, match="Unknown loss: 'not_a_loss'"):
        model.compile("adam", "not_a_loss")
    model.compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(errors.DataError, match="same number of samples"):
        model.fit(x, y[:10], verbose=0)
    with pytest.raises(errors.DataError, match=r"Expected samples of shape \(6,\)"):
        model.fit(np.zeros((16, 5)), y, verbose=0)
    with pytest.raises(errors.ShapeError, match="CategoricalCrossentropy"):
        model.fit(x, jax.nn.one_hot(y, 3), verbose=0)


def test_terminate_on_nan_stops_cleanly(capsys):
    x, y = _blobs(n=32)
    x[3, 0] = np.nan
    model = jl.Sequential([L.Input(shape=(6,)), L.Dense(3)])
    model.compile("sgd", jl.losses.SparseCategoricalCrossentropy(from_logits=True))
    hist = model.fit(x, y, epochs=5, batch_size=8, verbose=0, shuffle=False,
                     callbacks=[jl.callbacks.TerminateOnNaN()])
    assert len(hist.history.get("loss", [])) <= 1
    assert model.stop_training


def test_early_stopping_and_lr_scheduler_integration():
    x, y = _blobs(n=32)
    model = jl.Sequential([L.Input(shape=(6,)), L.Dense(3)])
    model.compile(jl.optimizers.SGD(learning_rate=0.0),
                  jl.losses.SparseCategoricalCrossentropy(from_logits=True))
    stop = jl.callbacks.EarlyStopping(monitor="loss", patience=1, min_delta=1e-3)
    hist = model.fit(x, y, epochs=10, verbose=0, callbacks=[stop])
    assert len(hist.history["loss"]) == 2  # lr 0: no improvement, stops after patience
    sched = jl.callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 * (epoch + 1))
    model.fit(x, y, epochs=2, verbose=0, callbacks=[sched])
    np.testing.assert_allclose(model.optimizer.learning_rate, 0.2, rtol=1e-6)


def test_progress_bar_prints_keras_style(capsys):
    x, y = _blobs(n=32)
    model = jl.Sequential([L.Input(shape=(6,)), L.Dense(3)])
    model.compile("adam", jl.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=8, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "loss" in out and "4/4" in out


def test_model_checkpoint_and_backup_restore_with_real_files(tmp_path):
    x, y = _blobs(n=32)
    model = jl.Sequential([L.Input(shape=(6,)), L.Dense(3)])
    model.compile("adam", jl.losses.SparseCategoricalCrossentropy(from_logits=True))
    ckpt = jl.callbacks.ModelCheckpoint(str(tmp_path / "m-{epoch:02d}.keras"), monitor="loss")
    weights = jl.callbacks.ModelCheckpoint(str(tmp_path / "w.weights.npz"), monitor="loss",
                                           save_weights_only=True, save_best_only=True)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[ckpt, weights])
    loaded = jl.models.load_model(str(tmp_path / "m-02.keras"))
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)
    other = jl.Sequential([L.Input(shape=(6,)), L.Dense(3)])
    other.load_weights(str(tmp_path / "w.weights.npz"))
    np.testing.assert_allclose(other.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)

    class Crash(jl.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise RuntimeError("simulated crash")

    backup = jl.callbacks.BackupAndRestore(str(tmp_path / "backup"))
    with pytest.raises(RuntimeError, match="simulated crash"):
        model.fit(x, y, epochs=4, verbose=0, callbacks=[backup, Crash()])
    hist = model.fit(x, y, epochs=4, verbose=0, callbacks=[backup])
    # The backup ran before the crash at the end of epoch 1: epochs 2 and 3 remain.
    assert len(hist.history["loss"]) == 2


def test_add_metric_and_add_loss_reach_fit_logs():
    class Probe(L.Layer):
        def call(self, x):
            self.add_metric(jnp.mean(jnp.abs(x)), name="mean_abs")
            self.add_loss(0.0 * jnp.sum(x))
            return x

    x, y = _blobs(n=32)
    model = jl.Sequential([L.Input(shape=(6,)), Probe(), L.Dense(3)])
    model.compile("adam", jl.losses.SparseCategoricalCrossentropy(from_logits=True))
    hist = model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    np.testing.assert_allclose(hist.history["mean_abs"][0], np.mean(np.abs(x)), rtol=1e-5)
    assert "mean_abs" in model.evaluate(x, y, verbose=0, return_dict=True)


def test_masks_through_sequential_into_rnn_match_keras():
    keras = pytest.importorskip("keras")
    ids = np.array([[3, 1, 4, 0, 0], [2, 7, 0, 0, 0]], np.int32)
    ref = keras.Sequential([keras.layers.Input(shape=(5,), dtype="int32"),
                            keras.layers.Embedding(10, 4, mask_zero=True),
                            keras.layers.LSTM(3)])
    model = jl.Sequential([L.Input(shape=(5,), dtype="int32"),
                           L.Embedding(10, 4, mask_zero=True), L.LSTM(3)])
    model.set_weights(ref.get_weights())
    np.testing.assert_allclose(model.predict(ids, verbose=0), np.asarray(ref(ids)),
                               rtol=1e-5, atol=1e-6)
