"""Callbacks on a real model in fit: the weights they see mid-epoch, checkpoints, early
stopping, learning-rate changes that reach the jitted step, NaN termination, CSV logs,
and BackupAndRestore resuming bit for bit.  (Callbacks one by one, on a scripted fit
loop: tests/test_callbacks.py.)"""

import json
import os
import zipfile

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers import optimizers
from jaxlayers.errors import ArchiveError
from jaxlayers.training import callbacks as C
from tests.helpers import blobs, linear_classifier, sgd_steps

L = jl.layers


# ----------------------------------------------------------------------------- mid-epoch state
def test_callbacks_see_the_live_weights_mid_epoch():
    x, y = blobs(n=32)
    model = linear_classifier()
    start = {k: jnp.asarray(v) for k, v in model.params[model.layers[0].name].items()}
    seen = []

    class Peek(jl.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append([w.copy() for w in self.model.get_weights()])

    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0, callbacks=[Peek()])
    assert len(seen) == 4
    for i, weights in enumerate(seen):  # weights after i + 1 SGD steps (default lr 0.01)
        ref = sgd_steps(start, x[:8 * (i + 1)], y[:8 * (i + 1)], 0.01, 8)
        np.testing.assert_allclose(weights[0], ref["kernel"], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(weights[1], ref["bias"], rtol=1e-5, atol=1e-6)
    # The synced copy did not break the donated carry: training went on to the end.
    np.testing.assert_allclose(model.get_weights()[0], seen[-1][0], rtol=1e-6)


# ----------------------------------------------------------------------------- checkpoints
def test_model_checkpoint_every_n_batches_saves_current_weights(tmp_path):
    x, y = blobs(n=40)
    model = linear_classifier()
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


def test_model_checkpoint_and_backup_restore_with_real_files(tmp_path):
    x, y = blobs(n=32)
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


# ----------------------------------------------------------------------------- stopping and rates
def test_early_stopping_restores_best_weights_in_fit():
    x, y = blobs(n=32)
    model = linear_classifier(optimizer=jl.optimizers.SGD(learning_rate=0.1))
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


def test_early_stopping_and_lr_scheduler_integration():
    x, y = blobs(n=32)
    model = jl.Sequential([L.Input(shape=(6,)), L.Dense(3)])
    model.compile(jl.optimizers.SGD(learning_rate=0.0),
                  jl.losses.SparseCategoricalCrossentropy(from_logits=True))
    stop = jl.callbacks.EarlyStopping(monitor="loss", patience=1, min_delta=1e-3)
    hist = model.fit(x, y, epochs=10, verbose=0, callbacks=[stop])
    assert len(hist.history["loss"]) == 2  # lr 0: no improvement, stops after patience
    sched = jl.callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 * (epoch + 1))
    model.fit(x, y, epochs=2, verbose=0, callbacks=[sched])
    np.testing.assert_allclose(model.optimizer.learning_rate, 0.2, rtol=1e-6)


def test_learning_rate_callbacks_change_the_steps_taken():
    x, y = blobs(n=16)
    model = linear_classifier(optimizer=jl.optimizers.SGD(learning_rate=0.5))
    before = model.get_weights()
    sched = jl.callbacks.LearningRateScheduler(lambda epoch, lr: 0.0)
    hist = model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[sched])
    assert hist.history["learning_rate"] == [0.0, 0.0]
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)  # a zero rate really reached the jitted step

    start = {k: jnp.asarray(v) for k, v in model.params[model.layers[0].name].items()}
    sched = jl.callbacks.LearningRateScheduler(lambda epoch, lr: 0.05)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0, callbacks=[sched])
    ref = sgd_steps(start, x, y, 0.05, 16)
    np.testing.assert_allclose(model.get_weights()[0], ref["kernel"], rtol=1e-5, atol=1e-6)

    plateau = jl.callbacks.ReduceLROnPlateau(monitor="loss", mode="max", factor=0.5,
                                             patience=0)
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[plateau])
    # Epoch 0 sets the best; epoch 1 does not improve: one halving of 0.05.
    np.testing.assert_allclose(
        optimizers.get_hyperparam(model._opt_state, "learning_rate"), 0.025, rtol=1e-6)


def test_terminate_on_nan_in_fit_prints_the_reason_or_raises(capsys):
    x, y = blobs(n=32)
    x[3, 0] = np.nan
    model = linear_classifier()
    hist = model.fit(x, y, epochs=5, batch_size=8, verbose=0, shuffle=False,
                     callbacks=[jl.callbacks.TerminateOnNaN()])
    assert len(hist.history.get("loss", [])) <= 1
    assert model.stop_training

    x, y = blobs(n=32)
    x[9, 0] = np.nan  # in the second batch of 8
    model = linear_classifier()
    hist = model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0,
                     callbacks=[jl.callbacks.TerminateOnNaN()])
    assert model.stop_training and hist.epoch == [0]
    assert "Batch 1: Invalid loss, terminating training" in capsys.readouterr().out
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 1"):
        linear_classifier().fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0,
                      callbacks=[jl.callbacks.TerminateOnNaN(raise_error=True)])


# ----------------------------------------------------------------------------- logs
def test_csv_logger_in_fit(tmp_path):
    x, y = blobs(n=16)
    model = linear_classifier(metrics=["accuracy"])
    path = tmp_path / "log.csv"
    hist = model.fit(x, y, epochs=2, batch_size=8, verbose=0,
                     callbacks=[jl.callbacks.CSVLogger(str(path))])
    rows = [line.split(",") for line in path.read_text().splitlines()]
    # As Keras: without validation data the val_ columns are still there, as NA.
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1"] and rows[1][3:] == ["NA", "NA"]
    np.testing.assert_allclose([float(r[2]) for r in rows[1:]], hist.history["loss"],
                               rtol=1e-6)


# ----------------------------------------------------------------------------- BackupAndRestore
class Crash(C.Callback):
    def __init__(self, at_epoch):
        super().__init__()
        self.at_epoch = at_epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at_epoch:
            raise KeyboardInterrupt("simulated crash")


class EpochStart(C.Callback):
    """Records the shuffling state and the weights each epoch starts with."""

    def __init__(self):
        super().__init__()
        self.shuffle, self.weights = {}, {}

    def on_epoch_begin(self, epoch, logs=None):
        self.shuffle[epoch] = self.model.fit_random_state()["shuffle"]
        self.weights[epoch] = self.model.get_weights()


_X = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
_Y = np.random.default_rng(1).normal(size=(32, 1)).astype("float32")


def _trainee(seed):
    """A model whose training depends on shuffling AND dropout, seeded by ``seed``."""
    import jaxlayers as jl

    jl.set_random_seed(seed)
    # Fixed names: dropout keys are folded from layer paths.
    model = jl.Sequential([jl.Input((4,)), jl.layers.Dense(8, activation="relu", name="h"),
                           jl.layers.Dropout(0.5, name="drop"), jl.layers.Dense(1, name="out")],
                          name="trainee")
    model.compile(optimizer="adam", loss="mse")
    return model


def _train(model, callbacks=(), epochs=4):
    return model.fit(_X, _Y, batch_size=8, epochs=epochs, shuffle=True, verbose=0,
                     callbacks=list(callbacks))


def _assert_same_training(model, reference, steps):
    assert int(optimizers.iterations(model._opt_state)) == steps
    for got, want in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(got, want)
    for got, want in zip(jax.tree_util.tree_leaves(model._opt_state),
                         jax.tree_util.tree_leaves(reference._opt_state)):
        np.testing.assert_array_equal(got, want)


@pytest.fixture(scope="module")
def uninterrupted():
    model = _trainee(1)
    _train(model)
    return model


def test_resumed_fit_is_bit_identical_to_an_uninterrupted_one(tmp_path, uninterrupted):
    backup = tmp_path / "backup"
    with pytest.raises(KeyboardInterrupt):
        _train(_trainee(1), [C.BackupAndRestore(backup), Crash(2)])
    assert os.listdir(backup) == ["latest.backup"]  # one file: weights, optimizer, counters
    resumed = _trainee(2)  # another process: other initial weights and keys
    history = _train(resumed, [C.BackupAndRestore(backup)])
    assert history.epoch == [2, 3]
    _assert_same_training(resumed, uninterrupted, steps=16)
    assert not backup.exists()  # deleted after a normal end


def test_a_kill_right_after_a_backup_rename_never_repeats_an_epoch(
        tmp_path, monkeypatch, uninterrupted):
    """Killed just after the first file of the epoch-3 backup got its final name."""
    backup = tmp_path / "backup"
    real_replace = os.replace

    class Arm(C.Callback):
        armed = False

        def on_epoch_end(self, epoch, logs=None):
            Arm.armed = epoch == 2

    def replace(src, dst, **kwargs):
        real_replace(src, dst, **kwargs)
        if Arm.armed and os.path.dirname(os.fspath(dst)) == str(backup):
            raise KeyboardInterrupt("killed")

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(KeyboardInterrupt, match="killed"):
        _train(_trainee(1), [Arm(), C.BackupAndRestore(backup)])
    monkeypatch.undo()
    resumed = _trainee(2)
    history = _train(resumed, [C.BackupAndRestore(backup)])
    assert history.epoch == [3]
    _assert_same_training(resumed, uninterrupted, steps=16)


def test_a_corrupt_latest_backup_falls_back_to_the_previous_one(tmp_path, uninterrupted):
    backup = tmp_path / "backup"
    with pytest.raises(KeyboardInterrupt):
        _train(_trainee(1), [C.BackupAndRestore(backup, double_checkpoint=True), Crash(2)])
    assert sorted(os.listdir(backup)) == ["latest.backup", "latest.backup.bkp"]
    raw = (backup / "latest.backup").read_bytes()
    (backup / "latest.backup").write_bytes(raw[:-22])
    resumed = _trainee(2)
    with pytest.warns(UserWarning, match="latest backup cannot be read .*truncated or "
                                         "corrupt.* resumes from the previous backup"):
        history = _train(resumed, [C.BackupAndRestore(backup)])
    assert history.epoch == [1, 2, 3]
    _assert_same_training(resumed, uninterrupted, steps=16)

    with pytest.raises(KeyboardInterrupt):
        _train(_trainee(1), [C.BackupAndRestore(backup, double_checkpoint=True), Crash(2)])
    for name in ("latest.backup", "latest.backup.bkp"):
        (backup / name).write_bytes(b"not a zip")
    with pytest.raises(ArchiveError, match="no backup in .* can be restored .* Delete the "
                                           "directory"):
        _train(_trainee(2), [C.BackupAndRestore(backup)])


def test_mid_epoch_backups_resume_at_the_start_of_their_epoch(tmp_path):
    import jaxlayers as jl

    backup = tmp_path / "b"
    record = EpochStart()
    with pytest.raises(KeyboardInterrupt):
        _train(_trainee(1), [record, C.BackupAndRestore(backup, save_freq=3,
                                                        double_checkpoint=True), Crash(2)])
    # 4 batches an epoch: saved after batch 2 of epoch 0 and batch 1 of epoch 1.
    for name, epoch, batch in (("latest.backup", 1, 1), ("latest.backup.bkp", 0, 2)):
        with zipfile.ZipFile(backup / name) as zf:
            training = json.loads(zf.read("metadata.json"))["training"]
        assert (training["epoch"], training["batch"]) == (epoch, batch)
        assert training["shuffle"] == record.shuffle[epoch]
    saved, _ = jl.saving.load_params(backup / "latest.backup")
    resumed_start = EpochStart()
    history = _train(_trainee(2), [C.BackupAndRestore(backup), resumed_start])
    assert history.epoch == [1, 2, 3]
    assert resumed_start.shuffle[1] == record.shuffle[1]  # epoch 1 shuffled as before
    np.testing.assert_array_equal(resumed_start.weights[1][0],
                                  saved["h"]["kernel"])


_HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
          "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
          "on_test_batch_begin", "on_test_batch_end", "on_predict_begin", "on_predict_end",
          "on_predict_batch_begin", "on_predict_batch_end")


def _hooks_called(lib):
    seen = []

    def recorder(name):
        return lambda self, *args, **kwargs: seen.append(name)

    recording = type("Recording", (lib.callbacks.Callback,),
                     {name: recorder(name) for name in _HOOKS})
    model = lib.Sequential([lib.Input((2,)), lib.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((5, 2), "float32"), np.ones((5, 1), "float32")  # a partial last batch
    model.fit(x, y, batch_size=2, epochs=1, validation_data=(x, y), verbose=0,
              callbacks=[recording()])
    model.evaluate(x, y, batch_size=2, verbose=0, callbacks=[recording()])
    model.predict(x, batch_size=2, verbose=0, callbacks=[recording()])
    return seen


def test_fit_validation_evaluate_and_predict_call_the_hooks_keras_calls(keras):
    """fit's validation pass runs the fit's callbacks' test hooks, and predict its
    callbacks' predict hooks, batch by batch, in Keras's order."""
    assert _hooks_called(jl) == _hooks_called(keras)
