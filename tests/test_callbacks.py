"""jaxlayers.training.callbacks one by one, driven by a fake model through a scripted fit
loop (and against Keras's callbacks where they share the hooks).  Callbacks in a real
``fit``, BackupAndRestore included: tests/test_callbacks_in_fit.py."""

import csv
import math
import os

import numpy as np
import pytest

from jaxlayers import optimizers
from jaxlayers.errors import ArchiveError, ConfigError, ConfigTypeError
from jaxlayers.training import callbacks as C
from jaxlayers.training.callback_base import HOOKS


class FakeOptimizer:
    def __init__(self, learning_rate=0.1):
        self.learning_rate = learning_rate
        self.iterations = 0
        self.state = [np.zeros(2), np.array(0)]

    @property
    def variables(self):
        return [np.array(s) for s in self.state]

    def set_weights(self, weights):
        self.state = [np.array(w) for w in weights]


class FakeModel:
    """What callbacks may use: stop_training, get/set_weights, save, save_weights, optimizer,
    training_state / restore_training_state."""

    def __init__(self, learning_rate=0.1):
        self.stop_training = False
        self.history = None
        self.weights = [np.zeros(2, "float32"), np.zeros((), "float32")]
        self.optimizer = FakeOptimizer(learning_rate)
        self.saved = []

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]

    def save(self, path):
        self.saved.append(("model", path))
        with open(path, "w") as f:
            f.write("model")

    def save_weights(self, path):
        self.saved.append(("weights", path))
        with open(path, "w") as f:
            f.write("weights")

    def training_state(self):
        return {"optimizer_state": getattr(self, "_opt_state", None)}

    def restore_training_state(self, optimizer_state=None):
        self._opt_state = optimizer_state


class LazyLogs(dict):
    """Mimics the trainer's batch logs: counts how often values are materialized."""

    reads = 0

    def __init__(self, values):
        super().__init__()
        self._values = values

    def _fill(self):
        LazyLogs.reads += 1
        super().update(self._values)

    def items(self):
        self._fill()
        return super().items()

    def get(self, key, default=None):
        self._fill()
        return super().get(key, default)

    def __len__(self):
        self._fill()
        return super().__len__()

    def __getitem__(self, key):
        self._fill()
        return super().__getitem__(key)

    def keys(self):
        self._fill()
        return super().keys()


def fit(model, callbacks, epoch_logs, steps=2, batch_loss=None, verbose=0, add_progbar=False,
        known_steps=True):
    """The trainer's loop, with weights that grow by one per batch."""
    cbs = C.CallbackList(callbacks, add_history=True, add_progbar=add_progbar, model=model,
                         verbose=verbose, epochs=len(epoch_logs),
                         steps=steps if known_steps else None)
    model.stop_training = False
    cbs.on_train_begin()
    start = getattr(model, "_initial_epoch_override", None) or 0
    model._initial_epoch_override = None
    logs = {}
    for epoch in range(start, len(epoch_logs)):
        cbs.on_epoch_begin(epoch)
        for batch in range(steps):
            if model.stop_training:
                break
            cbs.on_train_batch_begin(batch)
            model.weights = [w + 1 for w in model.weights]
            loss = batch_loss(epoch, batch) if batch_loss else 1.0 / (1 + epoch + batch)
            cbs.on_train_batch_end(batch, LazyLogs({"loss": loss}))
        logs = dict(epoch_logs[epoch])
        cbs.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    cbs.on_train_end(logs)
    return cbs.history


def drive(callback, model, values, monitor):
    """Calls epoch hooks directly (works for Keras callbacks too); returns epochs run."""
    callback.set_model(model)
    callback.on_train_begin({})
    ran = []
    for epoch, value in enumerate(values):
        callback.on_epoch_begin(epoch, {})
        model.weights = [w + 1 for w in model.weights]
        callback.on_epoch_end(epoch, {monitor: value})
        ran.append(epoch)
        if model.stop_training:
            break
    callback.on_train_end({})
    return ran


# ----------------------------------------------------------------------------- base and list
def test_callback_has_every_keras_hook():
    keras = pytest.importorskip("keras")
    cb = C.Callback()
    for hook in HOOKS:
        assert callable(getattr(cb, hook)) and hasattr(keras.callbacks.Callback, hook)
    seen = []

    class Alias(C.Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append(batch)

    Alias().on_train_batch_end(3, {})
    assert seen == [3]
    assert cb.model is None and cb.params is None


def test_callback_list_defaults_params_and_shared_logs():
    model = FakeModel()

    class AddKey(C.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["extra"] = 1.0

        def on_train_batch_end(self, batch, logs=None):
            self.batch_logs = logs

    adder = AddKey()
    cbs = C.CallbackList([[adder]], add_history=True, add_progbar=True, model=model,
                         verbose=0, epochs=1, steps=1)
    assert [type(c).__name__ for c in cbs.callbacks] == ["AddKey", "History", "ProgbarLogger"]
    assert model.history is cbs.history and adder.model is model
    assert adder.params == {"verbose": 0, "epochs": 1, "steps": 1}
    lazy = LazyLogs({"loss": 1.0})
    cbs.on_train_batch_end(0, lazy)
    assert adder.batch_logs is lazy  # passed through, not read
    epoch_logs = {"loss": 0.5}
    cbs.on_train_begin()
    cbs.on_epoch_end(0, epoch_logs)
    assert cbs.history.history == {"loss": [0.5], "extra": [1.0]}
    assert epoch_logs == {"loss": 0.5}  # the caller's dict is not modified
    history = C.History()
    again = C.CallbackList([history], add_history=True, model=model)
    assert again.callbacks == [history] and again.history is history
    with pytest.raises(ConfigTypeError, match="LambdaCallback\\(on_epoch_end=fn\\)"):
        C.CallbackList([lambda epoch, logs: None])


def test_history_records_epochs():
    model = FakeModel()
    history = fit(model, [], [{"loss": 0.5, "val_loss": 0.6}, {"loss": 0.4, "val_loss": 0.5}])
    assert history.history == {"loss": [0.5, 0.4], "val_loss": [0.6, 0.5]}
    assert history.epoch == [0, 1] and history.model is model and model.history is history
    assert history.params == {"verbose": 0, "epochs": 2, "steps": 2}


# ----------------------------------------------------------------------------- EarlyStopping
EARLY_CASES = [
    (dict(monitor="val_loss", patience=2), [1.0, 0.9, 0.95, 0.96, 0.97, 0.5]),
    (dict(monitor="val_loss", patience=1, min_delta=0.1), [1.0, 0.95, 0.9, 0.7, 0.65]),
    (dict(monitor="val_accuracy", patience=1, mode="max"), [0.5, 0.6, 0.55, 0.56, 0.9]),
    (dict(monitor="loss", patience=2, baseline=0.5), [0.9, 0.95, 0.97, 0.4]),
    (dict(monitor="loss", patience=0, start_from_epoch=2), [1.0, 2.0, 3.0, 4.0]),
    (dict(monitor="loss", patience=1, restore_best_weights=True), [1.0, 0.5, 0.7, 0.8]),
    (dict(monitor="loss", patience=5, mode="max"), [1.0, 0.5, 0.7, 0.8]),
]


@pytest.mark.parametrize("kwargs,values", EARLY_CASES)
def test_early_stopping_matches_keras(kwargs, values):
    keras = pytest.importorskip("keras")
    ours_model, keras_model = FakeModel(), FakeModel()
    ours = C.EarlyStopping(**kwargs)
    theirs = keras.callbacks.EarlyStopping(**kwargs)
    monitor = kwargs["monitor"]
    assert drive(ours, ours_model, values, monitor) == drive(theirs, keras_model, values,
                                                             monitor)
    assert (ours.stopped_epoch, ours.best_epoch, ours.best, ours.wait) == \
        (theirs.stopped_epoch, theirs.best_epoch, theirs.best, theirs.wait)
    for a, b in zip(ours_model.weights, keras_model.weights):
        np.testing.assert_array_equal(a, b)


def test_early_stopping_semantics_and_errors(capsys):
    model = FakeModel()
    stop = C.EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True,
                           verbose=1)
    logs = [{"val_loss": v} for v in (1.0, 0.5, 0.8, 0.9, 0.1)]
    history = fit(model, [stop], logs, steps=2)
    assert history.epoch == [0, 1, 2]  # best at epoch 1, one epoch of patience
    np.testing.assert_array_equal(model.weights[0], [4, 4])  # weights after epoch 1
    out = capsys.readouterr().out
    assert "Epoch 3: early stopping" in out
    assert "Restoring model weights from the end of the best epoch: 2." in out
    with pytest.raises(ConfigError, match="cannot tell whether monitor='val_foo'"):
        drive(C.EarlyStopping(monitor="val_foo"), FakeModel(), [1.0, 2.0], "val_foo")
    with pytest.raises(ConfigError, match="`mode` must be 'auto', 'min' or 'max'"):
        C.EarlyStopping(mode="up")
    with pytest.raises(ConfigError, match="`patience` must be an int >= 0"):
        C.EarlyStopping(patience=-1)
    with pytest.warns(UserWarning, match="Available metrics are: loss"):
        drive(C.EarlyStopping(monitor="val_loss"), FakeModel(), [1.0], "loss")


def test_auto_mode_directions():
    cases = {"loss": "min", "val_loss": "min", "val_accuracy": "max", "acc": "max",
             "val_sparse_categorical_accuracy": "max", "mean_absolute_error": "min",
             "dense_1_loss": "min", "auc": "max", "val_mse": "min"}
    for monitor, mode in cases.items():
        cb = C.EarlyStopping(monitor=monitor)
        cb.set_model(FakeModel())
        cb._set_monitor_op()
        assert cb._is_improvement(2.0, 1.0) == (mode == "max"), monitor


# ----------------------------------------------------------------------------- ModelCheckpoint
def test_model_checkpoint_paths_and_best_only(tmp_path):
    model = FakeModel()
    path = str(tmp_path / "ckpt" / "{epoch:02d}-{val_loss:.2f}.keras")
    cb = C.ModelCheckpoint(path, monitor="val_loss", save_best_only=True)
    logs = [{"val_loss": v} for v in (0.5, 0.7, 0.25, 0.3)]
    fit(model, [cb], logs)
    names = [os.path.basename(p) for _, p in model.saved]
    assert names == ["01-0.50.keras", "03-0.25.keras"]
    assert sorted(os.listdir(tmp_path / "ckpt")) == names

    weights = C.ModelCheckpoint(str(tmp_path / "w.weights.npz"), save_weights_only=True,
                                initial_value_threshold=0.4, monitor="val_loss",
                                save_best_only=True)
    model = FakeModel()
    fit(model, [weights], logs)
    assert model.saved == [("weights", str(tmp_path / "w.weights.npz"))]  # only 0.25 < 0.4


def test_model_checkpoint_takes_keras_weights_file_names(tmp_path):
    # Keras 3 requires '.weights.h5' for weights-only checkpoints; its programs must run as written.
    model = FakeModel()
    fit(model, [C.ModelCheckpoint(str(tmp_path / "w.weights.h5"), save_weights_only=True)],
        [{"val_loss": 1.0}])
    assert model.saved == [("weights", str(tmp_path / "w.weights.h5"))]


def test_model_checkpoint_batch_frequency_and_verbose(tmp_path, capsys):
    model = FakeModel()
    cb = C.ModelCheckpoint(str(tmp_path / "e{epoch}-b{batch}.keras"), save_freq=3, verbose=1)
    fit(model, [cb], [{"loss": 1.0}, {"loss": 0.5}], steps=2)
    assert [os.path.basename(p) for _, p in model.saved] == ["e2-b1.keras"]
    assert "Epoch 2: saving model to" in capsys.readouterr().out


def test_model_checkpoint_errors(tmp_path):
    with pytest.raises(ConfigError, match="filepath for a model must end in .keras"):
        C.ModelCheckpoint("model.h5")
    with pytest.raises(ConfigError, match="must end in .weights.h5 or .weights.npz"):
        C.ModelCheckpoint("model.keras", save_weights_only=True)
    with pytest.raises(ConfigError, match="`save_freq` must be 'epoch' or a positive int"):
        C.ModelCheckpoint("m.keras", save_freq="batch")
    cb = C.ModelCheckpoint(str(tmp_path / "{val_acc}.keras"))
    with pytest.raises(ConfigError, match="no value for 'val_acc'"):
        fit(FakeModel(), [cb], [{"loss": 1.0}])

    class NoSave:
        stop_training = False

    cb = C.ModelCheckpoint(str(tmp_path / "m.keras"))
    cb.set_model(NoSave())
    with pytest.raises(ConfigError, match="has no `save` method"):
        cb.on_epoch_end(0, {"val_loss": 1.0})


# ----------------------------------------------------------------------------- learning rate
LR_CASES = [
    dict(monitor="val_loss", factor=0.5, patience=1, cooldown=1, min_lr=0.02),
    dict(monitor="val_loss", factor=0.1, patience=2, min_delta=0.05),
    dict(monitor="val_accuracy", factor=0.5, patience=0, mode="max", cooldown=2),
]


@pytest.mark.parametrize("kwargs", LR_CASES)
def test_reduce_lr_on_plateau_matches_keras(kwargs):
    keras = pytest.importorskip("keras")
    values = [1.0, 1.0, 0.99, 0.97, 0.98, 0.99, 1.0, 0.5, 0.6, 0.7, 0.8]
    runs = []
    for cb in (C.ReduceLROnPlateau(**kwargs), keras.callbacks.ReduceLROnPlateau(**kwargs)):
        model = FakeModel(learning_rate=0.1)
        cb.set_model(model)
        cb.on_train_begin({})
        lrs = []
        for epoch, value in enumerate(values):
            cb.on_epoch_end(epoch, {kwargs["monitor"]: value})
            lrs.append(model.optimizer.learning_rate)
        runs.append(lrs)
    np.testing.assert_allclose(runs[0], runs[1], rtol=1e-6)
    assert runs[0][-1] < 0.1


def test_reduce_lr_logs_rate_and_works_on_bound_and_raw_optax(capsys):
    import jax.numpy as jnp
    import optax

    model = FakeModel(learning_rate=0.1)
    cb = C.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, verbose=1)
    history = fit(model, [cb], [{"loss": 1.0}, {"loss": 1.0}])
    assert history.history["learning_rate"] == [0.1, 0.1]
    assert model.optimizer.learning_rate == 0.05
    assert "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.05." in capsys.readouterr().out

    # A jaxlayers optimizer bound to a live optax state, as compile() does.
    model = FakeModel()
    model.optimizer = optimizers.Adam(learning_rate=0.1)
    tx = model.optimizer.to_optax()
    model._opt_state = tx.init({"w": jnp.zeros(2)})
    model.optimizer.bind_state(lambda: model._opt_state, lambda s: setattr(model, "_opt_state", s))
    fit(model, [C.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0)],
        [{"loss": 1.0}, {"loss": 1.0}])
    assert model.optimizer.learning_rate == 0.05
    np.testing.assert_allclose(optimizers.get_hyperparam(model._opt_state, "learning_rate"),
                               0.05)

    # A raw optax transform: works through inject_hyperparams, else a clear error.
    model.optimizer = optax.inject_hyperparams(optax.sgd)(learning_rate=0.2)
    model._opt_state = model.optimizer.init({"w": jnp.zeros(2)})
    fit(model, [C.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0)],
        [{"loss": 1.0}, {"loss": 1.0}])
    np.testing.assert_allclose(optimizers.get_hyperparam(model._opt_state, "learning_rate"),
                               0.1)
    model.optimizer = optax.sgd(0.1)
    model._opt_state = model.optimizer.init({"w": jnp.zeros(2)})
    with pytest.raises(ConfigError, match="no injectable 'learning_rate' \\(a raw optax"):
        fit(model, [C.ReduceLROnPlateau(monitor="loss")], [{"loss": 1.0}])
    with pytest.raises(ConfigError, match="does not support|`factor` must be a float in"):
        C.ReduceLROnPlateau(factor=1.0)


def test_learning_rate_scheduler(capsys):
    model = FakeModel(learning_rate=0.1)
    seen = []

    def schedule(epoch, lr):
        seen.append((epoch, lr))
        return lr * 0.5 if epoch > 0 else lr

    history = fit(model, [C.LearningRateScheduler(schedule, verbose=1)],
                  [{"loss": 1.0}] * 3)
    assert seen == [(0, 0.1), (1, 0.1), (2, 0.05)]
    assert history.history["learning_rate"] == [0.1, 0.05, 0.025]
    assert "Epoch 3: LearningRateScheduler setting learning rate to 0.025." in \
        capsys.readouterr().out
    fit(model, [C.LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1))], [{"loss": 1}] * 2)
    assert model.optimizer.learning_rate == 0.02
    with pytest.raises(ConfigTypeError, match="the schedule must return a float. Received: 1"):
        fit(model, [C.LearningRateScheduler(lambda epoch, lr: 1)], [{"loss": 1.0}])


# ----------------------------------------------------------------------------- others
def test_terminate_on_nan(capsys):
    model = FakeModel()
    loss = lambda epoch, batch: math.nan if (epoch, batch) == (1, 0) else 0.5  # noqa: E731
    history = fit(model, [C.TerminateOnNaN()], [{"loss": 1.0}] * 3, steps=3, batch_loss=loss)
    assert history.epoch == [0, 1] and model.stop_training
    np.testing.assert_array_equal(model.weights[0], [4, 4])  # 3 + 1 batches ran
    assert "Batch 0: Invalid loss, terminating training" in capsys.readouterr().out
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 0"):
        fit(FakeModel(), [C.TerminateOnNaN(raise_error=True)], [{"loss": 1.0}],
            batch_loss=lambda e, b: math.inf)
    assert issubclass(C.NonFiniteLossError, RuntimeError)


def test_csv_logger(tmp_path):
    path = tmp_path / "log.csv"
    fit(FakeModel(), [C.CSVLogger(path)], [{"loss": 0.5, "acc": 0.25}, {"loss": 0.25}])
    assert path.read_text().splitlines() == [
        "epoch,acc,loss,val_acc,val_loss", "0,0.25,0.5,NA,NA", "1,NA,0.25,NA,NA"]
    fit(FakeModel(), [C.CSVLogger(path, append=True)], [{"loss": 0.125, "acc": 1.0}])
    assert path.read_text().splitlines()[-1] == "0,1.0,0.125,NA,NA"
    assert path.read_text().count("epoch") == 1
    semi = tmp_path / "semi.csv"
    fit(FakeModel(), [C.CSVLogger(semi, separator=";")], [{"loss": 1.0, "val_loss": 2.0}])
    rows = list(csv.reader(open(semi), delimiter=";"))
    assert rows == [["epoch", "loss", "val_loss"], ["0", "1.0", "2.0"]]


def test_lambda_callback():
    calls = []
    cb = C.LambdaCallback(on_epoch_end=lambda epoch, logs: calls.append(("end", epoch)),
                          on_train_begin=lambda logs: calls.append("begin"),
                          on_train_batch_end=lambda batch, logs: calls.append(batch),
                          on_test_end=lambda logs: calls.append("test"))
    fit(FakeModel(), [cb], [{"loss": 1.0}], steps=2)
    cb.on_test_end({})
    assert calls == ["begin", 0, 1, ("end", 0), "test"]
    with pytest.raises(ConfigError, match="unknown hook name\\(s\\) \\['on_step'\\]"):
        C.LambdaCallback(on_step=print)


# ----------------------------------------------------------------------------- progbar
class FakeClock:
    def __init__(self, step):
        self.now, self.step = 0.0, step

    def __call__(self):
        self.now += self.step
        return self.now


def progbar(clock_step):
    bar = C.ProgbarLogger()
    bar._clock = FakeClock(clock_step)
    return bar


def test_progbar_verbose_1_text_and_lazy_reads(capsys):
    model = FakeModel()
    LazyLogs.reads = 0
    fit(model, [progbar(0.1)], [{"loss": 0.25, "accuracy": 0.91}] * 2, steps=20, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2"
    # Reads: the first batch, then one per 0.5 s of (fake) wall time: 4 per epoch, not 20.
    assert LazyLogs.reads == 8
    assert lines[1] == " 1/20 ━─────────────────── 1s 100ms/step - loss: 1.0000"
    assert lines[2] == " 7/20 ━━━━━━━───────────── 1s 100ms/step - loss: 0.1429"  # ETA 1s
    finals = [line for line in lines if line.startswith("20/20")]
    assert finals[0] == ("20/20 ━━━━━━━━━━━━━━━━━━━━ 2s 105ms/step - loss: 0.2500 - "
                         "accuracy: 0.9100")
    assert "Epoch 2/2" in lines and len(finals) == 2 and len(lines) == 12


def test_progbar_verbose_2_0_and_unknown_steps(capsys):
    fit(FakeModel(), [progbar(0.25)], [{"loss": 1e-4}], steps=4, verbose=2)
    assert capsys.readouterr().out == "4/4 - 1s - 333ms/step - loss: 1.0000e-04\n"
    fit(FakeModel(), [progbar(0.1)], [{"loss": 1.0}], steps=4, verbose=0)
    assert capsys.readouterr().out == ""
    fit(FakeModel(), [progbar(1.0)], [{"loss": 0.5}], steps=3, verbose=1, known_steps=False)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("      1/Unknown")
    assert lines[-1] == "3/3 ━━━━━━━━━━━━━━━━━━━━ 4s 2s/step - loss: 0.5000"


def test_progbar_evaluate_and_predict(capsys):
    bar = progbar(0.1)
    bar.set_params({"verbose": 1, "epochs": 1, "steps": 2})
    bar.on_test_begin()
    bar.on_test_batch_end(0, LazyLogs({"loss": 0.5}))
    bar.on_test_batch_end(1, LazyLogs({"loss": 0.5}))
    bar.on_test_end({"loss": 0.5})
    bar.on_predict_begin()
    bar.on_predict_batch_end(0, None)
    bar.on_predict_batch_end(1, None)
    bar.on_predict_end()
    lines = capsys.readouterr().out.splitlines()
    finals = [line for line in lines if line.startswith("2/2 ━━━━━━━━━━━━━━━━━━━━ ")]
    assert len(finals) == 2 and finals[0].endswith("ms/step - loss: 0.5000")
    assert finals[1].endswith("ms/step") and lines[-1] == finals[1]  # predict: no metrics


def test_progbar_redraws_in_place_on_a_terminal(capsys, monkeypatch):
    from jaxlayers.training import progbar as progbar_module

    monkeypatch.setattr(progbar_module, "_dynamic_display", lambda: True)
    fit(FakeModel(), [progbar(1.0)], [{"loss": 0.5}], steps=2, verbose=1)
    out = capsys.readouterr().out
    assert out.startswith("\r\x1b[1m1/2\x1b[0m \x1b[32m━━━━━━━━━━\x1b[0m")
    assert out.count("\r") == 3 and out.endswith("- loss: 0.5000\n") and out.count("\n") == 1


def test_more_error_messages(tmp_path):
    with pytest.raises(ConfigTypeError, match="LambdaCallback: `on_epoch_end` must be callable"):
        C.LambdaCallback(on_epoch_end=3)
    with pytest.raises(ConfigTypeError, match="`schedule` must be a function"):
        C.LearningRateScheduler(0.1)
    with pytest.raises(ConfigError, match="`min_delta` must be a finite float"):
        C.EarlyStopping(min_delta=math.nan)
    with pytest.raises(ConfigError, match=r"argument\(s\) not recognized: \['epsilon'\]"):
        C.ReduceLROnPlateau(epsilon=1e-4)
    with pytest.raises(ConfigError, match="`min_lr` must be a float >= 0"):
        C.ReduceLROnPlateau(min_lr=-1.0)
    with pytest.raises(ConfigError, match="BackupAndRestore: `save_freq` must be 'epoch'"):
        C.BackupAndRestore(tmp_path, save_freq=0)
    with pytest.raises(ConfigError, match="`backup_dir` must be a directory path"):
        C.BackupAndRestore("")
    model = FakeModel()
    model.optimizer = None
    with pytest.raises(ConfigError, match="the model has no optimizer. Call model.compile"):
        fit(model, [C.ReduceLROnPlateau(monitor="loss")], [{"loss": 1.0}])
    (tmp_path / "dir.keras").mkdir()
    with pytest.raises(ConfigError, match="the filepath is an existing directory"):
        fit(FakeModel(), [C.ModelCheckpoint(str(tmp_path / "dir.keras"))], [{"loss": 1.0}])

    unbuilt = FakeModel()
    unbuilt.built = False
    with pytest.raises(ConfigError, match="the model must be built before fit"):
        fit(unbuilt, [C.BackupAndRestore(tmp_path / "b")], [{"loss": 1.0}])
    backup = tmp_path / "broken"
    backup.mkdir()
    (backup / "latest.backup").write_text("{not a zip")
    with pytest.raises(ArchiveError, match="no backup in .* can be restored .* Delete the "
                                           "directory"):
        fit(FakeModel(), [C.BackupAndRestore(backup)], [{"loss": 1.0}])
