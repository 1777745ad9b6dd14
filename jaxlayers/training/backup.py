"""``BackupAndRestore``: resumable training, and the hook that gives it a file format.

Saving sits above training (DESIGN.md section 8), so this module never imports
it: it reaches ``jaxlayers.saving``'s ``save_backup``/``load_backup`` through
:mod:`jaxlayers.hooks`.

Example:
    >>> cb = BackupAndRestore(backup_dir="/tmp/backup", save_freq=100)
"""

import os
import warnings

from jaxlayers import hooks
from jaxlayers.distribution import multihost
from jaxlayers.errors import ArchiveError, ConfigError
from jaxlayers.training.callback_base import Callback
from jaxlayers.training.monitor_callbacks import _BatchCounter, _check_save_freq


def _saving(name):
    return hooks.get(f"saving.{name}", "jaxlayers.saving", "BackupAndRestore")


class BackupAndRestore(Callback):
    """Backs up training so that an interrupted ``fit`` resumes exactly where it stopped.

    At each epoch end (or every ``save_freq`` batches) it writes ONE file,
    ``backup_dir/latest.backup``, atomically: the model weights, the optimizer
    state, the epochs done and ``fit``'s random state (its key and the state of
    its shuffling generator).  The format is ``model.save``'s without the config
    (:func:`jaxlayers.saving.api.save_backup`).
    At the start of the next ``fit`` it restores all of it, and ``fit`` resumes
    from the saved epoch: with epoch-end backups the resumed run is bit-identical
    to one never interrupted (same shuffling, same dropout masks).  A mid-epoch
    backup (``save_freq`` as an int) resumes at the start of that epoch with the
    mid-epoch weights, as in Keras, with the epoch's shuffling and keys as they
    were when it began.  A ``fit`` that finishes normally deletes the backup.

    Args:
        backup_dir: Directory for the backup files (created if needed).
        save_freq: ``"epoch"`` or a number of batches between backups.
        double_checkpoint: Keep the previous backup as ``latest.backup.bkp``;
            when the latest cannot be read, training resumes from it (with a
            warning).
        delete_checkpoint: Delete the backup files when training ends normally.

    Example:
        >>> cb = BackupAndRestore(backup_dir="/tmp/backup")
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ConfigError(
                f"BackupAndRestore: `backup_dir` must be a directory path. Received: "
                f"backup_dir={backup_dir!r}."
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = _check_save_freq("BackupAndRestore", save_freq)
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._path = os.path.join(self.backup_dir, "latest.backup")
        self._previous = self._path + ".bkp"
        self._counter = _BatchCounter(save_freq)
        self._current_epoch = 0
        self._epoch_shuffle = None

    def on_train_begin(self, logs=None):
        if getattr(self.model, "built", True) is False:
            raise ConfigError(
                "BackupAndRestore: the model must be built before fit() so its weights can be "
                "restored. Call it on a batch of data or build() it first."
            )
        training = self._restore()
        self._current_epoch = training["epoch"] if training else 0
        if self._current_epoch > 0:
            self.model.restore_training_state(initial_epoch=self._current_epoch)

    def _restore(self):
        """Restores the latest readable backup; its training record, or None if none."""
        failures = []
        for path in (self._path, self._previous):
            if not os.path.lexists(path):
                continue
            try:
                training = _saving("load_backup")(self.model, path)
            except ArchiveError as error:
                failures.append(str(error))
                continue
            if failures:
                warnings.warn(
                    f"BackupAndRestore: the latest backup cannot be read ({failures[0]}); "
                    f"training resumes from the previous backup {path!r}.", stacklevel=3)
            return training
        if failures:
            raise ArchiveError(
                f"BackupAndRestore: no backup in {self.backup_dir!r} can be restored "
                f"({'; '.join(failures)}). Delete the directory to start training from "
                "scratch."
            )
        return None

    def on_epoch_begin(self, epoch, logs=None):
        # A mid-epoch backup resumes at this epoch's start: it records the shuffling
        # state this epoch began with (the key only advances at epoch end).
        self._epoch_shuffle = self.model.fit_random_state()["shuffle"]

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._counter.last_batch = None
        if self.save_freq == "epoch":
            self._save(None, self.model.fit_random_state()["shuffle"])

    def on_train_batch_end(self, batch, logs=None):
        if self._counter.should_fire(batch):
            self._save(batch, self._epoch_shuffle)

    def _save(self, batch, shuffle):
        if multihost.is_chief():  # every process saves (a collective); process 0 writes
            os.makedirs(self.backup_dir, exist_ok=True)
        training = {"epoch": self._current_epoch, "batch": batch, "shuffle": shuffle}
        _saving("save_backup")(self.model, self._path, training,
                               previous=self._previous if self.double_checkpoint else None)

    def on_train_end(self, logs=None):
        if not self.delete_checkpoint or not multihost.is_chief():
            return
        for path in (self._path, self._previous):
            if os.path.lexists(path):
                os.remove(path)
        if os.path.isdir(self.backup_dir) and not os.listdir(self.backup_dir):
            os.rmdir(self.backup_dir)


__all__ = ["BackupAndRestore"]
