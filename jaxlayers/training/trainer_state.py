"""The trainer's state that outlives a call: compile config, optimizer state, fit's randomness.

:class:`TrainerState` is the public protocol between the trainer and whatever
saves or restores training (``model.save``, ``load_model``,
``BackupAndRestore``, callbacks that change the learning rate):
``get_compile_config`` / ``compile_from_config`` for what ``compile`` was
given, and ``training_state`` / ``restore_training_state`` for the optimizer
state, the step count and ``fit``'s random key and shuffling state.  Nothing
outside the training package reads the trainer's private attributes.

While a ``fit`` epoch runs, the optimizer state's buffers are lent to the
donated step (:mod:`~jaxlayers.training.lending`): the stored state is a
``Lent`` mark, and reading it (``training_state()``, ``optimizer.variables``,
``optimizer.iterations``) gives a copy of the running step's state.  A state
set meanwhile is replaced by the epoch's result when the epoch ends, as the
step never saw it.
"""

from jaxlayers.core.variables import Lent
from jaxlayers.errors import ConfigError
from jaxlayers.optimizers.base import fill_state, iterations
from jaxlayers.training import compile_config as compile_config_lib
from jaxlayers.training import custom_loop
from jaxlayers.training import steps as steps_lib


class TrainerState:
    """The checkpointable part of :class:`~jaxlayers.training.trainer.Trainer` (a mixin).

    It reads the attributes ``Trainer`` sets: ``compiled``, ``optimizer``,
    ``_tx``, ``_opt_state``, ``_partition_key``, ``_train_key`` and the
    ``compile`` arguments.

    Example:
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(1)])
        >>> isinstance(model, TrainerState), model.training_state() is None
        (True, True)
    """

    def _set_opt_state(self, opt_state):
        self._opt_state = opt_state

    @property
    def _opt_state(self):
        """The optax state; while ``fit`` holds it (a :class:`~jaxlayers.core.variables.Lent`
        mark), a copy of its current value."""
        value = self.__dict__.get("_opt_value")
        if value.__class__ is Lent:
            return value.source.optimizer_state()
        return value

    @_opt_state.setter
    def _opt_state(self, value):
        self.__dict__["_opt_value"] = value

    def lend_optimizer_state(self, value):
        """Stores ``value`` (the state, or a ``Lent`` mark) as it is (see :mod:`lending`)."""
        self.__dict__["_opt_value"] = value

    def get_compile_config(self):
        """What ``compile`` was given, as JSON data (names and configs, never code).

        ``None`` before ``compile``.  ``model.save`` stores it and ``load_model``
        passes it to :meth:`compile_from_config`.  An optimizer without a config
        (a raw optax transform) is stored as ``None``, with a warning.

        Example:
            >>> model = jl.Sequential([jl.layers.Dense(1)])
            >>> model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
            >>> config = model.get_compile_config()
            >>> config["optimizer"]["class_name"], config["loss"], config["metrics"]
            ('SGD', 'mse', ['mae'])
        """
        if not self.compiled:
            return None
        return compile_config_lib.compile_config(
            f"{type(self).__name__} '{self.name}'",
            {"optimizer": self.optimizer, "loss": self.loss, "loss_weights": self._loss_weights,
             "metrics": self._metrics_spec, "weighted_metrics": self._weighted_metrics_spec,
             "run_eagerly": self.run_eagerly, "steps_per_execution": self.steps_per_execution})

    def compile_from_config(self, config):
        """Compiles the model as a :meth:`get_compile_config` dict describes.

        Raises:
            SerializationError: The config holds no optimizer (it was a raw
                optax transform), or names an unknown loss, metric or optimizer.

        Example:
            >>> model = jl.Sequential([jl.layers.Dense(1)])
            >>> model.compile(optimizer="sgd", loss="mse")
            >>> twin = jl.Sequential([jl.layers.Dense(1)])
            >>> twin.compile_from_config(model.get_compile_config())
            >>> twin.compiled, type(twin.optimizer).__name__
            (True, 'SGD')
        """
        self.compile(**compile_config_lib.compile_kwargs(config))

    def _sync_training_state(self):
        """Copies a running custom ``train_step`` loop's state into the model (a callback
        reads ``self.model`` mid-epoch).

        ``fit``'s own loop needs nothing here: its weights read the live carry
        themselves (see :mod:`~jaxlayers.training.lending`).
        """
        custom_loop.sync_live_state(self)

    def _train_state(self):
        """Makes the optimizer state for the current trainable weights if there is none;
        returns the :class:`~jaxlayers.training.steps.Partition`."""
        partition = steps_lib.Partition(self)
        if self._opt_state is None or self._partition_key != partition.key:
            train, _ = partition.split(self.params)
            self._opt_state = self._tx.init(train)
            self._partition_key = partition.key
        return partition

    # ------------------------------------------------------------------ training state
    def training_state(self, init_optimizer=False):
        """What resuming training needs besides the weights; ``None`` before ``compile``.

        Checkpoints (``model.save``, ``BackupAndRestore``) store this, and put it
        back with :meth:`restore_training_state`.

        Args:
            init_optimizer: When there is no optimizer state for the current
                trainable weights yet, create it first, as the first training
                step would (a loader learns from it which arrays to fill).

        Returns:
            A dict: ``optimizer_state``, the optax state (``None`` before the
            first training step); ``trained_paths``, the weight paths it is for,
            in order; ``iterations``, the optimizer updates applied so far
            (``None`` without a state or a step counter); and ``key`` and
            ``shuffle``, ``fit``'s random state (see :meth:`fit_random_state`).

        Example:
            >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(1, name="d")])
            >>> model.compile(optimizer="adam", loss="mse")
            >>> model.training_state()["optimizer_state"] is None
            True
            >>> state = model.training_state(init_optimizer=True)
            >>> state["trained_paths"], state["iterations"]
            ([('d', 'kernel'), ('d', 'bias')], 0)
        """
        if not self.compiled:
            return None
        partition = steps_lib.Partition(self)
        if init_optimizer:
            self._train_state()
        opt_state = self._opt_state
        count = None
        if opt_state is not None:
            try:
                count = int(iterations(opt_state))
            except ConfigError:  # a bare optax transform keeps no step counter
                count = None
        return {"optimizer_state": opt_state, "trained_paths": list(partition.train_paths),
                "iterations": count, **self.fit_random_state()}

    def restore_training_state(self, optimizer_state=None, key=None, shuffle=None,
                               initial_epoch=None):
        """Puts back what :meth:`training_state` returned; ``None`` leaves a part as it is.

        Args:
            optimizer_state: The optax state, or its leaves in
                ``jax.tree_util.tree_leaves`` order, for the current trainable
                weights: as many arrays, of the same shapes, as
                ``training_state(init_optimizer=True)["optimizer_state"]``.
            key: ``fit``'s PRNG key.
            shuffle: The state of ``fit``'s shuffling generator; it takes effect
                in a running ``fit`` (called from a callback's ``on_train_begin``).
            initial_epoch: Called from a callback's ``on_train_begin``, the
                running ``fit`` starts at this epoch (``BackupAndRestore``
                resumes this way).

        Raises:
            NotCompiledError: An ``optimizer_state`` before ``compile``.
            WeightsError: An optimizer state with other arrays than the
                optimizer's for these weights.

        Example:
            >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(1)])
            >>> model.compile(optimizer="adam", loss="mse")
            >>> saved = model.training_state(init_optimizer=True)
            >>> model.restore_training_state(saved["optimizer_state"], key=saved["key"])
        """
        if optimizer_state is not None:
            self._require_compiled("restore_training_state")
            self._train_state()
            self._opt_state = fill_state(f"{type(self).__name__} '{self.name}'",
                                         self._opt_state, optimizer_state)
        self.restore_fit_random_state(key=key, shuffle=shuffle)
        if initial_epoch is not None:
            self._initial_epoch_override = initial_epoch

    # ------------------------------------------------------------------ fit's random state
    def fit_random_state(self):
        """What makes the rest of a ``fit`` reproducible: ``{"key": ..., "shuffle": ...}``.

        ``key`` is the trainer's PRNG key (dropout and other random layers);
        ``shuffle`` the state of the generator that shuffles array data in the
        running ``fit``, as JSON data (``None`` before the first ``fit``).
        ``BackupAndRestore`` saves both, so a resumed ``fit`` is bit-identical
        to one that was never interrupted.

        Example:
            >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(1)])
            >>> model.compile(optimizer="sgd", loss="mse")
            >>> saved = model.fit_random_state()
            >>> model.restore_fit_random_state(**saved)
        """
        rng = self.__dict__.get("_shuffle_rng")
        return {"key": self._train_key,
                "shuffle": None if rng is None else rng.bit_generator.state}

    def restore_fit_random_state(self, key=None, shuffle=None):
        """Puts back what :meth:`fit_random_state` returned (``None`` leaves a part as is).

        Called from a callback's ``on_train_begin``, ``shuffle`` sets the running
        ``fit``'s shuffling generator.
        """
        if key is not None:
            self._train_key = key
        rng = self.__dict__.get("_shuffle_rng")
        if shuffle is not None and rng is not None:
            rng.bit_generator.state = shuffle


__all__ = ["TrainerState"]
