"""The trainer's public state protocol (compile config, training state) and the one format
and writer that model.save, ModelCheckpoint and BackupAndRestore share."""

import zipfile

import jax
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers.errors import NotCompiledError, WeightsError
from jaxlayers.saving import archive
from jaxlayers.training import callbacks as C

_X = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
_Y = np.random.default_rng(1).normal(size=(8, 1)).astype("float32")


def _model(optimizer="adam"):
    model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2, name="h"),
                           jl.layers.Dense(1, name="out")], name="net")
    model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
    return model


def _leaves(state):
    return [np.asarray(x) for x in jax.tree_util.tree_leaves(state)]


def test_compile_config_round_trips_through_the_public_methods():
    model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(1)])
    assert model.get_compile_config() is None  # before compile, as in Keras
    model.compile(optimizer=jl.optimizers.SGD(learning_rate=0.3), loss=jl.losses.Huber(2.0),
                  metrics=["mae"], loss_weights=[0.5], steps_per_execution=2)
    config = model.get_compile_config()
    assert config["loss"]["config"]["delta"] == 2.0
    assert config["metrics"] == ["mae"] and config["loss_weights"] == [0.5]
    twin = jl.Sequential([jl.Input((3,)), jl.layers.Dense(1)])
    twin.compile_from_config(config)
    assert twin.compiled and twin.steps_per_execution == 2
    assert twin.optimizer.learning_rate == pytest.approx(0.3)
    assert twin.get_compile_config() == config
    with pytest.raises(jl.errors.SerializationError, match="holds no optimizer config"):
        twin.compile_from_config({**config, "optimizer": None})


def test_training_state_reports_what_a_checkpoint_needs():
    model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(1, name="d")])
    assert model.training_state() is None  # not compiled
    model.compile(optimizer="adam", loss="mse")
    state = model.training_state()
    assert state["optimizer_state"] is None and state["iterations"] is None
    assert state["key"] is not None and state["shuffle"] is None
    model.train_on_batch(_X, _Y)
    model.train_on_batch(_X, _Y)
    state = model.training_state()
    assert state["iterations"] == 2
    assert state["trained_paths"] == [("d", "kernel"), ("d", "bias")]
    # Frozen weights are not the optimizer's: its state is for the trainable ones only.
    model.layers[0].trainable = False
    frozen = model.training_state(init_optimizer=True)
    assert frozen["trained_paths"] == [] and frozen["iterations"] == 0


def test_a_raw_optax_transform_without_a_step_counter_has_no_iterations():
    import optax

    model = _model(optimizer=optax.sgd(0.1))
    model.train_on_batch(_X, _Y)
    state = model.training_state()
    assert state["optimizer_state"] is not None and state["iterations"] is None


def test_restore_training_state_puts_the_optimizer_state_and_key_back():
    trained, fresh = _model(), _model()
    fresh.set_weights(trained.get_weights())
    trained.train_on_batch(_X, _Y)
    saved = trained.training_state()
    # Leaves in tree_leaves order are enough: the structure is the optimizer's own.
    fresh.restore_training_state(optimizer_state=_leaves(saved["optimizer_state"]),
                                 key=saved["key"])
    assert fresh.training_state()["iterations"] == 1
    for got, want in zip(_leaves(fresh.training_state()["optimizer_state"]),
                         _leaves(saved["optimizer_state"])):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(jax.random.key_data(fresh.training_state()["key"]),
                                  jax.random.key_data(saved["key"]))


def test_restore_training_state_refuses_another_optimizers_state():
    model = _model()
    leaves = _leaves(model.training_state(init_optimizer=True)["optimizer_state"])
    with pytest.raises(WeightsError, match=rf"Sequential 'net': expected {len(leaves)} arrays "
                                           r"for the optimizer state. Received: 1 arrays"):
        model.restore_training_state(optimizer_state=leaves[:1])
    leaves[-1] = np.zeros(leaves[-1].shape + (2,), leaves[-1].dtype)
    with pytest.raises(WeightsError, match=rf"optimizer state array {len(leaves) - 1} has "
                                           r"shape .*\. Received: shape"):
        model.restore_training_state(optimizer_state=leaves)
    uncompiled = jl.Sequential([jl.Input((3,)), jl.layers.Dense(1)])
    with pytest.raises(NotCompiledError, match="call compile\\(\\) before "
                                               "restore_training_state"):
        uncompiled.restore_training_state(optimizer_state=leaves)


def test_restore_training_state_sets_the_epoch_a_running_fit_starts_at():
    class StartAt(C.Callback):
        def on_train_begin(self, logs=None):
            self.model.restore_training_state(initial_epoch=2)

    history = _model().fit(_X, _Y, epochs=4, verbose=0, callbacks=[StartAt()])
    assert history.epoch == [2, 3]


def _optimizer_npz(path):
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
    with archive.ZipReader(path) as z, z.open_npz(archive.OPTIMIZER_MEMBER) as npz:
        return names, npz.manifest, {k: np.asarray(npz.read(k)) for k in npz.keys()
                                     if k != "train_key"}


def test_checkpoint_backup_and_save_share_one_format_and_one_writer(tmp_path, monkeypatch):
    writes = []
    real = archive.atomic_write

    def counting(path, *args, **kwargs):
        writes.append(str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(archive, "atomic_write", counting)
    model = _model()
    model.fit(_X, _Y, epochs=2, batch_size=4, verbose=0, callbacks=[
        C.ModelCheckpoint(str(tmp_path / "ckpt.keras")),
        C.BackupAndRestore(tmp_path / "backup", delete_checkpoint=False)])
    model.save(tmp_path / "saved.keras")
    backup = tmp_path / "backup" / "latest.backup"
    assert writes == [str(tmp_path / "ckpt.keras"), str(backup)] * 2 + [
        str(tmp_path / "saved.keras")]
    # The .keras files (checkpoint and save) are one format, with the optimizer in Keras's
    # layout; the backup keeps the optax state itself. Each restores the same state.
    names = []
    for name in ("ckpt.keras", "saved.keras"):
        with zipfile.ZipFile(tmp_path / name) as zf:
            names.append(set(zf.namelist()))
    assert names[0] == names[1]
    _, backup_manifest, _ = _optimizer_npz(backup)
    assert backup_manifest["trained_paths"] == ["h/kernel", "h/bias", "out/kernel", "out/bias"]
    resumed = [jl.saving.load_model(tmp_path / name) for name in ("ckpt.keras",
                                                                   "saved.keras")]
    steps = [m.train_on_batch(_X, _Y) for m in resumed]
    np.testing.assert_allclose(steps, [model.train_on_batch(_X, _Y)] * 2, rtol=1e-6)
    for m in resumed:
        for got, want in zip(m.get_weights(), model.get_weights(), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-6)
    loaded = jl.saving.load_model(tmp_path / "ckpt.keras")
    assert loaded.training_state()["iterations"] == 4


