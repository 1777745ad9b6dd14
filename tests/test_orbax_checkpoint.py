"""OrbaxCheckpoint saves weights and optimizer state with Orbax; restoring resumes training."""

import builtins

import numpy as np
import pytest

import jaxlayers as jl

pytest.importorskip("orbax.checkpoint")


def _model():
    model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2, name="d"),
                           jl.layers.Dense(1, name="out")])
    model.compile(optimizer=jl.optimizers.Adam(0.05), loss="mse")
    return model


X = np.linspace(-1, 1, 24, dtype=np.float32).reshape(8, 3)
Y = X.sum(axis=1, keepdims=True)


def test_restore_puts_back_weights_and_optimizer_state_and_training_resumes(tmp_path):
    model = _model()
    ckpt = jl.callbacks.OrbaxCheckpoint(tmp_path / "ckpt", max_to_keep=2)
    model.fit(X, Y, epochs=3, batch_size=4, shuffle=False, verbose=0, callbacks=[ckpt])
    assert ckpt.all_steps() == [1, 2]                     # epochs; max_to_keep=2
    saved = [np.asarray(w) for w in model.get_weights()]
    # Training on from the checkpoint equals training on from the model itself: train
    # one epoch past the checkpoint, restore it into the same model, train it again.
    reference = model.fit(X, Y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    assert int(model.optimizer.iterations) == 8
    assert ckpt.restore() == 2
    for a, b in zip(model.get_weights(), saved):
        np.testing.assert_array_equal(np.asarray(a), b)
    assert int(model.optimizer.iterations) == 6
    resumed = model.fit(X, Y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    np.testing.assert_allclose(resumed.history["loss"], reference.history["loss"], rtol=1e-6)
    config = ckpt.manager.restore(2, args=ckpt._ocp.args.Composite(
        model_config=ckpt._ocp.args.JsonRestore()))["model_config"]
    assert jl.models.model_from_json(__import__("json").dumps(config)).get_config() == \
        model.get_config()


def test_batch_frequency_best_only_and_weights_only(tmp_path):
    model = _model()
    # 2 batches per epoch, 3 epochs: every 3 batches -> global batches 3 and 6.
    every3 = jl.callbacks.OrbaxCheckpoint(tmp_path / "b", save_freq=3, max_to_keep=None,
                                          save_weights_only=True, save_on_background=False)
    losses = iter([3.0, 1.0, 2.0])
    best = jl.callbacks.OrbaxCheckpoint(tmp_path / "best", monitor="loss", mode="min",
                                        save_best_only=True, max_to_keep=None)
    fake = jl.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: logs.update(loss=next(losses)))
    model.fit(X, Y, epochs=3, batch_size=4, verbose=0, callbacks=[every3, fake, best])
    assert every3.all_steps() == [3, 6]
    assert best.all_steps() == [0, 1]                     # epoch 2's loss 2.0 is no better
    metadata = every3.manager.item_metadata(6)["pytree"]
    assert set(metadata) == {"params"}


def test_errors(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match=r"OrbaxCheckpoint: `save_freq` must be 'epoch'"):
        jl.callbacks.OrbaxCheckpoint(tmp_path, save_freq=0)
    with pytest.raises(ValueError, match=r"OrbaxCheckpoint: `max_to_keep` must be a positive"):
        jl.callbacks.OrbaxCheckpoint(tmp_path, max_to_keep=0)
    empty = jl.callbacks.OrbaxCheckpoint(tmp_path / "none")
    with pytest.raises(ValueError, match=r"OrbaxCheckpoint: no checkpoint in"):
        empty.restore(_model())
    real_import = builtins.__import__

    def no_orbax(name, *args, **kwargs):
        if name.startswith("orbax"):
            raise ImportError("No module named 'orbax'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_orbax)
    with pytest.raises(ImportError, match=r"OrbaxCheckpoint callback .* `pip install orbax-"):
        jl.callbacks.OrbaxCheckpoint(tmp_path)
