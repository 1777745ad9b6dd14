"""``OrbaxCheckpoint``: checkpoints of weights and optimizer state through Orbax.

``orbax-checkpoint`` is an optional extra (``pip install orbax-checkpoint`` or
``pip install jaxlayers[orbax]``).  Each checkpoint is one step directory written
by Orbax's ``CheckpointManager`` with two items: ``pytree`` (the weights, the
optimizer state's arrays and its step count) and, unless ``save_weights_only``,
``model_config`` (the model's JSON description, ``model.to_json()``).

Example:
    >>> cb = OrbaxCheckpoint("/tmp/ckpt", monitor="val_loss", save_best_only=True)
"""

import json
import os
import warnings

import jax
import numpy as np

from jaxlayers.errors import ConfigError
from jaxlayers.training.callback_base import MonitorCallback, print_msg
from jaxlayers.training.monitor_callbacks import _BatchCounter, _check_save_freq

_OWNER = "OrbaxCheckpoint"


def _orbax():
    """``orbax.checkpoint``, or an ImportError saying how to install it."""
    try:
        import orbax.checkpoint as ocp
    except ImportError:
        raise ImportError(
            "The OrbaxCheckpoint callback needs orbax-checkpoint, which is not installed. "
            "Install it with `pip install orbax-checkpoint` (or "
            "`pip install jaxlayers[orbax]`)."
        ) from None
    return ocp


def _non_empty(tree):
    """Orbax refuses empty containers: drop empty dicts (a model without state)."""
    if isinstance(tree, dict):
        kept = {k: _non_empty(v) for k, v in tree.items()}
        return {k: v for k, v in kept.items() if not (isinstance(v, dict) and not v)}
    return tree


class OrbaxCheckpoint(MonitorCallback):
    """Saves the model's weights and optimizer state with Orbax, like ``ModelCheckpoint``.

    Checkpoint steps are the epoch index (``save_freq="epoch"``) or the number of
    batches trained so far (an int ``save_freq``).  :meth:`restore` puts a
    checkpoint back into a model (weights, optimizer state and step count), so
    ``fit`` resumes where it was saved.

    Args:
        directory: Directory of the checkpoints (one subdirectory per step).
        monitor: Logged quantity for ``save_best_only``, e.g. ``"val_loss"``.
        verbose: 1 prints a line per saved checkpoint.
        save_best_only: Save only when ``monitor`` improves.
        mode: ``"auto"``, ``"min"`` or ``"max"``: the direction of improvement.
        save_freq: ``"epoch"`` or a number of batches between checkpoints.
        initial_value_threshold: The value ``monitor`` must beat for the first
            save (``save_best_only``).
        max_to_keep: Keep the newest this many checkpoints (``None``: all).
        save_on_background: Write checkpoints asynchronously while training
            goes on (:meth:`wait_until_finished` waits for them).
        save_weights_only: Save the weights only (no optimizer state, no
            model config).

    Raises:
        ImportError: orbax-checkpoint is not installed.

    Example:
        >>> cb = OrbaxCheckpoint("/tmp/ckpt", save_freq=100, max_to_keep=3)
    """

    def __init__(self, directory, monitor="val_loss", verbose=0, save_best_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None, max_to_keep=1,
                 save_on_background=True, save_weights_only=False):
        self._ocp = _orbax()
        super().__init__(monitor, mode, initial_value_threshold)
        if not directory:
            raise ConfigError(f"{_OWNER}: `directory` must be a directory path. "
                              f"Received: directory={directory!r}.")
        if max_to_keep is not None and (isinstance(max_to_keep, bool) or not isinstance(
                max_to_keep, int) or max_to_keep < 1):
            raise ConfigError(f"{_OWNER}: `max_to_keep` must be a positive int or None. "
                              f"Received: max_to_keep={max_to_keep!r}.")
        self.directory = os.path.abspath(os.fspath(directory))
        self.verbose = verbose
        self.save_best_only = bool(save_best_only)
        self.save_freq = _check_save_freq(_OWNER, save_freq)
        self.max_to_keep = max_to_keep
        self.save_on_background = bool(save_on_background)
        self.save_weights_only = bool(save_weights_only)
        self._counter = _BatchCounter(self.save_freq)
        self._total_batches = 0
        self._manager = None

    # ------------------------------------------------------------------ orbax
    @property
    def manager(self):
        """Orbax's ``CheckpointManager`` over :attr:`directory` (created on first use)."""
        if self._manager is None:
            ocp = self._ocp
            options = ocp.CheckpointManagerOptions(
                max_to_keep=self.max_to_keep, create=True,
                enable_async_checkpointing=self.save_on_background)
            self._manager = ocp.CheckpointManager(
                self.directory, options=options, item_names=("pytree", "model_config"))
        return self._manager

    def all_steps(self):
        """The steps of the checkpoints on disk, oldest first."""
        return list(self.manager.all_steps())

    def latest_step(self):
        """The newest checkpoint's step, or None when there is none."""
        return self.manager.latest_step()

    def wait_until_finished(self):
        """Blocks until every checkpoint written in the background is on disk."""
        if self._manager is not None:
            self._manager.wait_until_finished()

    # ------------------------------------------------------------------ what is saved
    def _tree(self, model):
        tree = {"params": model.params, "state": model.state}
        if not self.save_weights_only:
            training = model.training_state(init_optimizer=True) if getattr(
                model, "compiled", False) else None
            if training is not None and training["optimizer_state"] is not None:
                tree["optimizer_state"] = jax.tree_util.tree_leaves(training["optimizer_state"])
        return _non_empty(tree)

    def _save(self, step):
        ocp = self._ocp
        model = self.model
        items = {"pytree": ocp.args.StandardSave(self._tree(model))}
        if not self.save_weights_only:
            items["model_config"] = ocp.args.JsonSave(self._model_config(model))
        self.manager.save(step, args=ocp.args.Composite(**items), force=True)
        if self.verbose > 0:
            print_msg(f"\n{_OWNER}: saved step {step} to {self.directory}")

    @staticmethod
    def _model_config(model):
        try:
            return json.loads(model.to_json())
        except Exception as error:  # noqa: BLE001 - the arrays are still worth saving
            warnings.warn(f"{_OWNER}: the model has no JSON config; the checkpoint holds its "
                          f"arrays only ({error}).", stacklevel=4)
            return {}

    def restore(self, model=None, step=None):
        """Loads a checkpoint's arrays into ``model`` (default: the callback's model).

        Args:
            model: A model of the same architecture (compiled, to receive the
                optimizer state).
            step: The checkpoint to load; default: the newest.

        Returns:
            The step restored.

        Raises:
            ConfigError: There is no checkpoint (or no checkpoint ``step``).
        """
        ocp = self._ocp
        model = self.model if model is None else model
        self.wait_until_finished()
        steps = self.all_steps()
        step = steps[-1] if step is None and steps else step
        if step is None or step not in steps:
            raise ConfigError(
                f"{_OWNER}: no checkpoint {'' if step is None else f'at step {step} '}in "
                f"{self.directory!r}. Steps on disk: {steps}."
            )
        target = jax.tree_util.tree_map(
            lambda a: jax.ShapeDtypeStruct(np.shape(a), np.asarray(a).dtype
                                           if not hasattr(a, "dtype") else a.dtype),
            self._tree(model))
        saved = self.manager.item_metadata(step)["pytree"]
        if "optimizer_state" in target and "optimizer_state" not in (saved or {}):
            target.pop("optimizer_state")
        restored = self.manager.restore(step, args=ocp.args.Composite(
            pytree=ocp.args.StandardRestore(target)))["pytree"]
        model.set_params(restored["params"], restored.get("state", model.state))
        if "optimizer_state" in restored:
            model.restore_training_state(optimizer_state=restored["optimizer_state"])
        return step

    # ------------------------------------------------------------------ hooks
    def set_model(self, model):
        super().set_model(model)
        optimizer = getattr(model, "optimizer", None)
        count = getattr(optimizer, "iterations", None)
        if count is not None:
            self._total_batches = int(np.asarray(getattr(count, "value", count)))

    def _should_save(self, logs, where):
        if not self.save_best_only:
            return True
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(f"{_OWNER}: can save the best model only with {self.monitor} "
                          f"available; skipping the save at {where}.", stacklevel=3)
            return False
        if not self._is_improvement(float(current), self.best):
            return False
        self.best = float(current)
        return True

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        last = self._counter.last_batch
        self._total_batches += batch + 1 if last is None or batch <= last else batch - last
        if self._counter.should_fire(batch) and self._should_save(logs, f"batch {batch}"):
            self._save(self._total_batches)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch" and self._should_save(logs, f"epoch {epoch}"):
            self._save(epoch)

    def on_train_end(self, logs=None):
        self.wait_until_finished()


__all__ = ["OrbaxCheckpoint"]
