"""``compile`` / ``fit`` / ``evaluate`` / ``predict``: a thin loop around jitted pure steps.

Per training step the Python loop only calls one compiled function with the
carry ``(params, state, opt_state, metric_states, key)`` (donated) and the
step number; array data lives on the device and the batch is gathered inside
the step (the epoch runners are in :mod:`~jaxlayers.training.epochs`).  Values
reach the host only when a callback reads them (batch logs are lazy) and once
per epoch for the history.

Memory: the carry is made of the model's own weight and optimizer-state
buffers, lent to the step (:mod:`~jaxlayers.training.lending`), so ``fit``
holds one copy of them, as Keras's JAX trainer does.  Only a leaf something
else references (an array the user kept) is copied.  While an epoch runs,
every read of the model (a callback, a held layer or weight, ``predict`` in
another thread, saving) gets a copy of the running step's values; at the end
of the epoch, and on any exception or interrupt, the model gets the carry's
arrays back without copies.

Concurrency: ``fit``, ``evaluate``, ``train_on_batch`` and ``test_on_batch`` hold
one re-entrant lock per model, so calls from several threads run one after the
other (a callback may still call ``evaluate`` from inside ``fit``).  ``predict``
takes no lock: it reads the weights (during ``fit``, a copy of one step's,
taken under the loan's lock) and never donates them, so it runs concurrently
with anything.
"""
import functools
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import numpy as np

from jaxlayers import backend
from jaxlayers.core import eager, tracking
from jaxlayers.distribution import distributions as distribution_lib
from jaxlayers.distribution import multihost
from jaxlayers.errors import DataError, NotCompiledError
from jaxlayers.training import custom_loop, custom_steps, ema, sharded_steps
from jaxlayers.training import data as data_lib
from jaxlayers.training import epochs as epoch_lib
from jaxlayers.training import steps as steps_lib
from jaxlayers.training.custom_steps import to_host
from jaxlayers.training.trainer_state import TrainerState


def _signature(tree):
    """What the checks of a batch like ``tree`` depend on: its structure, shapes and dtypes."""
    leaves, treedef = jax.tree_util.tree_flatten(tree)
    return treedef, tuple((np.shape(a), getattr(a, "dtype", type(a))) for a in leaves)


def _exclusive(method):
    """Runs a training method under the model's lock (see the module docstring)."""
    @functools.wraps(method)
    def locked(self, *args, **kwargs):
        with self._train_lock:
            return method(self, *args, **kwargs)

    return locked


# The trainer's bookkeeping never changes what ``call`` computes, so setting it
# keeps the model's compiled eager calls.
eager.ignore_attributes("compiled", "stop_training", "history", "optimizer", "loss",
                        "run_eagerly", "steps_per_execution")


class Trainer(custom_steps.KerasSteps, TrainerState):
    """Mixin giving a Model Keras's training API over the pure ``apply``.

    >>> isinstance(jl.Sequential([jl.layers.Dense(1)]), Trainer)
    True
    """

    def __init__(self):
        self.compiled = False
        self.stop_training = False
        self.history = None
        self.optimizer = None
        self._opt_state = None
        self._partition_key = None
        self._fn_cache = {}
        self._train_key = None
        self._compiled_io = None
        self.run_eagerly = False
        self.steps_per_execution = 1
        self.loss = None
        self._train_lock = threading.RLock()

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, loss_weights: Any = None,
                metrics: Any = None, weighted_metrics: Any = None, run_eagerly: bool = False,
                steps_per_execution: int = 1, jit_compile: bool | str = True,
                auto_scale_loss: bool = True) -> None:
        """Configures training: optimizer (Keras name, jl optimizer or optax), loss, metrics.

        Under a ``"mixed_float16"`` model policy with ``auto_scale_loss=True``, a
        jaxlayers optimizer is wrapped in a :class:`~jaxlayers.optimizers.LossScaleOptimizer`
        (dynamic loss scaling, Keras's defaults), as Keras does.  An optax transform
        or a ``MultiOptimizer`` is used as given: wrap its parts yourself.

        Example:
            >>> model = jl.Sequential([jl.layers.Dense(1)])
            >>> model.compile(optimizer="adam", loss="mse", metrics=["mae"])
        """
        from jaxlayers import optimizers

        owner = f"{type(self).__name__} '{self.name}'.compile"
        steps_per_execution = data_lib.count_arg(owner, "steps_per_execution",
                                                 steps_per_execution, allow_none=False)
        self.optimizer = optimizers.get(optimizer)
        if (auto_scale_loss and self.dtype_policy.name == "mixed_float16"
                and isinstance(self.optimizer, optimizers.Optimizer)
                and not isinstance(self.optimizer, (optimizers.LossScaleOptimizer,
                                                    optimizers.MultiOptimizer))):
            self.optimizer = optimizers.LossScaleOptimizer(self.optimizer,
                                                           name="loss_scale_optimizer")
        self._tx = (self.optimizer.to_optax() if hasattr(self.optimizer, "to_optax")
                    else self.optimizer)
        for spec in jax.tree_util.tree_leaves(loss):  # per output, possibly nested
            steps_lib.as_loss(spec)  # unknown names fail here, at compile time
        self.loss = loss
        self._loss_weights = loss_weights
        self._metrics_spec = metrics
        self._weighted_metrics_spec = weighted_metrics
        self.run_eagerly = bool(run_eagerly) or jit_compile is False
        self.steps_per_execution = steps_per_execution
        self._opt_state = None
        self._partition_key = None
        self._fn_cache = {}
        self._compiled_io = None
        self._train_key = backend.next_eager_key()
        if hasattr(self.optimizer, "bind_state"):
            self.optimizer.bind_state(lambda: self._opt_state, self._set_opt_state)
        self.compiled = True

    def _require_compiled(self, method):
        """A ``NotCompiledError`` (a ValueError, as in Keras) before ``compile``."""
        if not self.compiled:
            raise NotCompiledError(
                f"{type(self).__name__} '{self.name}': call compile() before {method}(). "
                "Example: model.compile(optimizer='adam', loss='mse')."
            )

    # ------------------------------------------------------------------ setup
    def _jit(self, fn, **kwargs):
        return fn if self.run_eagerly else jax.jit(fn, **kwargs)

    def _sample(self, struct):
        return jax.tree_util.tree_map(lambda a: np.asarray(a[:1]) if not isinstance(
            a, jax.Array) else a[:1], struct)

    def _method_owner(self, method):
        return f"{type(self).__name__} '{self.name}'.{method}"

    # --- what a model declares about its data (Sequential and Functional override) ------
    def declared_input_dtypes(self):
        """The dtypes of the model's declared inputs, or ``None`` when it declares none.

        A subclassed model declares none; ``Sequential`` (with an ``Input``) and
        Functional models give their inputs' dtypes.
        """
        return None

    def check_input_data(self, x_sample):
        """Raises a clear error when ``x_sample`` (a batch of data) misfits the declared inputs.

        A model that declares no input shapes accepts any data here; its ``call``
        is the check.
        """

    def declared_output_names(self):
        """Names of the model's outputs for logs and per-output losses, or ``None``.

        A Functional model names each output after the layer that produces it.
        """
        return None

    def _prepare_model(self, owner, x_sample, predicting=False):
        """Checks ``x_sample`` against the model's inputs and builds the model on it.

        Complex ``x`` is refused for training and evaluation (losses are real), and
        for ``predict`` where the model declares real inputs, whose cast would
        drop the imaginary part.
        """
        x_sample = data_lib.to_arrays(x_sample)
        # Data of shapes and dtypes already checked on this structure passes again.
        key = (_signature(x_sample), predicting, tracking.version())
        if self.__dict__.get("_prepared") == key:
            return
        declared = self.declared_input_dtypes()
        if not predicting or (declared and not any(d.kind == "c" for d in declared)):
            data_lib.check_real(owner, "x", x_sample)
        self.check_input_data(x_sample)
        self.ensure_built(x_sample)
        # After the build, which may change the structure's version.
        self.__dict__["_prepared"] = (key[0], predicting, tracking.version())

    def _prediction_specs(self, x_sample):
        """Shapes of the outputs (and names of add_metric values) for inputs like ``x_sample``."""
        x_sample = data_lib.to_arrays(x_sample)
        spec_key = str(jax.tree_util.tree_map(lambda a: (a.shape[1:], str(a.dtype)), x_sample))
        cache = self.__dict__.setdefault("_pred_specs", {})
        if spec_key not in cache:
            def outputs_and_added(p, s, x):
                y, _, aux = self.apply_with_aux(p, s, x)
                return y, aux["metrics"]

            # From the weights' shapes: the values need not exist yet (fit makes
            # them while its step compiles).
            cache[spec_key] = jax.eval_shape(outputs_and_added, *steps_lib.abstract_weights(self),
                                             x_sample)
        return cache[spec_key]

    def _setup_io(self, owner, x_sample, y_sample, require_loss=True):
        """Compiled loss and metrics for outputs shaped like the model's on ``x_sample``.

        ``require_loss=False`` (a model with its own steps) accepts ``loss=None``.
        Data of the shapes and dtypes of the last call's gets its results again.
        """
        key = (_signature(x_sample), _signature(y_sample), require_loss, tracking.version())
        cached = self.__dict__.get("_io_for")
        if cached is not None and cached[0] == key and cached[1] is self._compiled_io:
            return self._compiled_io[1], self._compiled_io[2]
        io = self._new_io(owner, x_sample, y_sample, require_loss)
        self.__dict__["_io_for"] = (key, self._compiled_io)
        return io

    def _new_io(self, owner, x_sample, y_sample, require_loss):
        pred, added = self._prediction_specs(x_sample)
        outputs = steps_lib.Outputs(self, pred)
        pred_leaves = outputs.flatten(pred)
        ys = outputs.align(owner, data_lib.to_arrays(y_sample), "y", broadcast=False,
                           error=DataError)
        if self._compiled_io is not None and self._compiled_io[0] == outputs.treedef:
            data_lib.check_real(owner, "y", y_sample)
            return self._compiled_io[1], self._compiled_io[2]
        model_owner = f"{type(self).__name__} '{self.name}'"
        compiled_loss = steps_lib.CompiledLoss(model_owner, self.loss, self._loss_weights,
                                               outputs, required=require_loss)
        from jaxlayers.training import losses as losses_lib

        for loss_spec, y, p in zip(compiled_loss.specs, ys, pred_leaves):
            if y is None or loss_spec is None:
                continue
            losses_lib.check_loss_inputs(loss_spec, (None,) + tuple(np.shape(y))[1:],
                                         tuple(p.shape), np.asarray(y).dtype)
        y_specs = [jax.ShapeDtypeStruct((1,) + tuple(np.shape(y))[1:], np.asarray(y).dtype)
                   if y is not None else None for y in ys]
        metric_set = steps_lib.MetricSet(model_owner, self._metrics_spec,
                                         self._weighted_metrics_spec, compiled_loss, y_specs,
                                         pred_leaves, added_names=sorted(added))
        # After the losses' own checks, whose messages are more specific.
        data_lib.check_real(owner, "y", y_sample)
        self._compiled_io = (outputs.treedef, compiled_loss, metric_set)
        return compiled_loss, metric_set

    def _check_labels(self, owner, y):
        """Integer labels against the width of their output, once per call on the host."""
        _, compiled_loss, metric_set = self._compiled_io
        outputs = compiled_loss.outputs
        ys = outputs.align(owner, y, "y", broadcast=False, error=DataError)
        for i, axis, ignore_class, who in metric_set.class_id_checks(compiled_loss):
            if ys[i] is not None:
                width = metric_set.pred_specs[i].shape[axis]
                data_lib.check_class_ids(owner, outputs.names[i], ys[i], width, ignore_class,
                                         who)

    def _class_weights(self, owner, y, class_weight):
        pred = self._compiled_io[2].pred_specs[0]
        width = pred.shape[-1] if len(pred.shape) >= 2 else 1
        return data_lib.class_weights_to_sample_weights(owner, y, class_weight,
                                                        width if width > 1 else 2)

    def _weigh_batch(self, owner, class_weight, batch):
        """A batch of an indexed dataset with ``class_weight`` as its sample weights."""
        bx, by, bsw = data_lib.unpack_batch(owner, batch)
        if bsw is not None:
            raise DataError(
                f"{owner}: `class_weight` cannot be combined with batches that carry their "
                "own sample weights; weigh the samples in the dataset instead."
            )
        return bx, by, self._class_weights(owner, by, class_weight)

    def _metric_fns(self, metric_set):
        """``(init, results)`` of ``metric_set``, compiled once: one dispatch each per use."""
        key = ("metrics", id(metric_set))
        if key not in self._fn_cache:
            self._fn_cache[key] = (jax.jit(metric_set.init), jax.jit(metric_set.results))
        return self._fn_cache[key]

    def _train_fns(self, compiled_loss, metric_set, partition, dist=None):
        multi = steps_lib.multi_step_execution()
        # The distribution itself, not its id: a freed one's id may be reused.
        key = ("train", id(compiled_loss), id(metric_set), partition.key, dist, multi)
        if key in self._fn_cache:
            return self._fn_cache[key]
        step = steps_lib.make_train_step(self, self._tx, compiled_loss, metric_set, partition)
        if dist is not None:
            step = dist.wrap_train_step(step)

        def array_step(carry, arrays, index, i):
            return step(carry, data_lib.gather(arrays, index[i]))

        k = self.steps_per_execution

        def array_multi(carry, arrays, index, i):
            block = jax.lax.dynamic_slice_in_dim(index, i, k)

            def body(c, idx):
                return step(c, data_lib.gather(arrays, idx))

            carry, losses = jax.lax.scan(body, carry, block)
            return carry, losses[-1]

        def partial_step(carry, arrays, index):
            return step(carry, data_lib.gather(arrays, index))

        donate = {} if self.run_eagerly else {"donate_argnums": (0,)}
        fns = {
            "step": self._jit(step, **donate),
            "array_step": self._jit(array_step, **donate),
            "partial": self._jit(partial_step, **donate),
        }
        if multi == "scan":
            fns["array_multi"] = self._jit(array_multi, **donate)
        else:
            fns["array_multi"] = functools.partial(steps_lib.dispatch_steps, fns["array_step"], k)
        self._fn_cache[key] = fns = sharded_steps.process_local(fns, dist, k)
        return fns

    def _test_fns(self, compiled_loss, metric_set, dist=None):
        key = ("test", id(compiled_loss), id(metric_set), dist)
        if key not in self._fn_cache:
            step = steps_lib.make_test_step(self, compiled_loss, metric_set)
            if dist is not None:
                step = sharded_steps.split_batch(step, dist, 3)

            def array_step(params, state, mstates, arrays, index):
                return step(params, state, mstates, data_lib.gather(arrays, index))

            self._fn_cache[key] = sharded_steps.process_local(
                {"step": self._jit(step), "array_step": self._jit(array_step)}, dist)
        return self._fn_cache[key]

    # ------------------------------------------------------------------ fit
    @_exclusive
    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1,
            verbose: str | int = "auto", callbacks: Sequence[Any] | None = None,
            validation_split: float = 0.0, validation_data: Any = None, shuffle: bool = True,
            class_weight: Mapping[int, float] | None = None, sample_weight: Any = None,
            initial_epoch: int = 0, steps_per_epoch: int | None = None,
            validation_steps: int | None = None, validation_batch_size: int | None = None,
            validation_freq: int = 1) -> Any:
        """Trains for ``epochs`` epochs; returns a ``History``. Keras's arguments and semantics.

        ``class_weight`` weighs the training loss only, never the validation loss.
        An iterable dataset that runs out of batches (a one-shot generator given
        for several epochs) makes ``fit`` warn and stop, as Keras does; no epoch
        is logged over zero batches.  Integer labels of sparse categorical losses
        and metrics are checked against the width of their output first (for an
        iterable, on its first batch).  Calls from several threads run one at a
        time, under the model's lock.  A model that overrides ``train_step``
        (or ``compute_loss``, ``compute_loss_and_updates``, ``metrics``) trains
        through it with Keras 3's JAX-backend state tuple, jitted once; with
        it, ``y`` may be omitted.  A ``PyDataset`` is read in a new batch
        order each epoch when ``shuffle``, and takes ``class_weight``.

        Raises:
            NotCompiledError: Before ``compile``.
            ConfigError: For a bad count (``batch_size=0``, ``epochs=2.5``,
                ``steps_per_epoch=0``, which Keras reads as ``None``) or a
                ``class_weight`` naming a class the output cannot have (Keras's JAX
                trainer ignores it).
            DataError: For empty data, or labels out of range.
            DTypeError: For complex ``x`` or ``y``.
        """
        from jaxlayers.training import callbacks as callbacks_lib

        self._require_compiled("fit")
        owner = self._method_owner("fit")
        count = data_lib.count_arg
        batch_size = count(owner, "batch_size", batch_size)
        # jl.config.set_max_epochs / set_max_steps_per_epoch cap debugging runs.
        epochs = backend.cap_epochs(count(owner, "epochs", epochs, minimum=0,
                                          allow_none=False))
        initial_epoch = count(owner, "initial_epoch", initial_epoch, minimum=0,
                              allow_none=False)
        steps_per_epoch = backend.cap_steps(count(owner, "steps_per_epoch", steps_per_epoch))
        validation_steps = count(owner, "validation_steps", validation_steps)
        validation_batch_size = count(owner, "validation_batch_size", validation_batch_size)
        validation_freq = data_lib.validation_freq_arg(owner, validation_freq)
        custom = custom_steps.uses_custom_steps(self, "fit")
        dist = distribution_lib.distribution()
        verbose = 1 if verbose == "auto" else int(verbose)
        arrays_given = y is not None or data_lib.is_plain_arrays(x)
        # Keras weighs a PyDataset's batches by class_weight; other iterables refuse it.
        if not arrays_given and (validation_split or sample_weight is not None or (
                class_weight is not None and not data_lib.is_indexed_dataset(x))):
            raise DataError(
                f"{owner}: validation_split, class_weight and sample_weight need array data "
                "(class_weight also works with a PyDataset); with an iterable dataset, yield "
                "(x, y, sample_weight) batches instead."
            )
        # Without shuffling there is no order to resume: no generator, and no
        # seed read back from the device.
        rng = self._shuffle_rng = data_lib.shuffle_rng(self._train_key) if shuffle else None
        if arrays_given:
            if y is None and not custom:  # a custom train_step may train on x alone
                raise DataError(
                    f"{owner}: `y` is required with array inputs. Pass fit(x, y, ...), or an "
                    "iterable of (x, y) batches as x."
                )
            data_lib.num_samples(owner, x, y, sample_weight)
            if validation_split and validation_data is None:
                (x, y, sample_weight), validation_data = data_lib.split_validation(
                    owner, x, y, sample_weight, validation_split)
            fy = y
            x_sample = self._sample(x)
        else:
            weigh = None if class_weight is None else functools.partial(
                self._weigh_batch, owner, class_weight)
            stream = data_lib.BatchStream(owner, x, steps_per_epoch,
                                          rng if shuffle else None, weigh)
            fx, fy, _ = (data_lib.unpack_batch_data(stream.first) if custom
                         else data_lib.unpack_batch(owner, stream.first))
            x_sample = self._sample(fx)
        y_sample = None if fy is None else self._sample(fy)
        if custom:
            custom_loop.prepare(self, owner, x_sample, y_sample)
        else:
            self._prepare_model(owner, x_sample)
            compiled_loss, metric_set = self._setup_io(owner, x_sample, y_sample)
        # A custom step without a compiled loss has no outputs to check labels against.
        check_labels = not custom or self._keras_compiled_loss is not None
        if check_labels:
            self._check_labels(owner, fy)
        if arrays_given:
            if class_weight is not None:
                # After the split: the validation loss stays unweighted, as in Keras.
                cw = self._class_weights(owner, y, class_weight)
                sample_weight = cw if sample_weight is None else np.asarray(sample_weight) * cw
            if dist is not None and not multihost.is_multi_process():
                dist.check_batch_size(owner, batch_size or 32)
            dataset = data_lib.ArrayData(owner, x, y, sample_weight, batch_size or 32)
            sharded_steps.check_process_shares(owner, dist, dataset.n, dataset.batch_size)
            steps = dataset.steps if steps_per_epoch is None else min(steps_per_epoch,
                                                                       dataset.steps)
        else:
            dataset, steps = None, steps_per_epoch
        validation = data_lib.validation_args(validation_data)
        if validation is not None and validation[1] is not None and check_labels:
            data_lib.check_real(owner, "validation_data", validation[:2])
            self._check_labels(owner, validation[1])
        if custom:
            return custom_loop.fit(self, stream if dataset is None else dataset, steps, epochs,
                                   verbose, callbacks, validation, rng if shuffle else None,
                                   initial_epoch,
                                   validation_steps, validation_batch_size or batch_size,
                                   validation_freq)
        fns = self._train_fns(compiled_loss, metric_set, steps_lib.Partition(self), dist)
        ahead = None
        # Only while there are weights to make: then compiling ahead overlaps with it.
        if not self.run_eagerly and dist is None and dataset is not None and \
                epochs > initial_epoch and self._opt_state is None:
            ahead = steps_lib.compile_first_step(self, fns, dataset, metric_set)
        self._train_state()  # makes the weights and optimizer state while that compiles
        if ahead is not None:
            ahead.join()
        cb = callbacks_lib.CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self,
            verbose=verbose, epochs=epochs, steps=steps)
        self.stop_training = False
        cb.on_train_begin()
        start = getattr(self, "_initial_epoch_override", None)
        self._initial_epoch_override = None
        initial_epoch = max(initial_epoch, start or 0)
        epoch_logs = {}
        for epoch in range(initial_epoch, epochs):
            if dataset is None:
                stream.start_epoch()
                first = stream.take()
                if first is None:
                    data_lib.ran_out_warning(owner, 0, epoch)
                    break
            cb.on_epoch_begin(epoch)  # first: a callback may set weights (SwapEMAWeights)
            self._train_state()
            # The step donates the model's own buffers (see lending.py).
            loan = epoch_lib.lend(self, metric_set, dist)
            try:
                if dataset is not None:
                    epoch_lib.run_array_epoch(self, fns, dataset, loan, metric_set, cb, steps,
                                           rng if shuffle else None)
                else:
                    done = epoch_lib.run_iterable_epoch(self, fns, stream, first, loan,
                                                     metric_set, cb, steps, owner)
                    if steps is not None and done < steps and not self.stop_training:
                        data_lib.ran_out_warning(owner, done, epoch)
                        self.stop_training = True
            finally:
                mstates = epoch_lib.end(self, loan)
            epoch_logs = to_host(self._metric_fns(metric_set)[1](mstates))
            self._validate(epoch_logs, epoch, validation, validation_freq,
                           validation_batch_size or batch_size, validation_steps, cb)
            cb.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        return self._end_fit(cb, epoch_logs, epochs > initial_epoch)

    def _validate(self, logs, epoch, validation, validation_freq, batch_size, steps, cb):
        """Adds ``val_*`` entries to ``logs`` after the epochs ``validation_freq`` names.

        The fit's callbacks see the validation pass (``on_test_begin`` ...), as in Keras.
        """
        if validation is not None and data_lib.should_validate(epoch, validation_freq):
            vx, vy, vsw = validation
            val = self.evaluate(vx, vy, sample_weight=vsw, verbose=0, return_dict=True,
                                batch_size=batch_size, steps=steps, _internal=True,
                                _callbacks=cb)
            logs.update({f"val_{k}": v for k, v in val.items()})

    def _end_fit(self, cb, logs, trained):
        """Keras's end of ``fit``: with ``use_ema`` the moving averages become the
        weights, then ``on_train_end``; returns the ``History``."""
        self._finalize_optimizer(trained)
        cb.on_train_end(logs)
        self.history = cb.history
        return cb.history

    def _finalize_optimizer(self, trained):
        if trained and ema.has_average(self):  # Keras's end of fit with use_ema
            ema.finalize(self)

    # ------------------------------------------------------------------ evaluate
    @_exclusive
    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None,
                 verbose: str | int = "auto", sample_weight: Any = None,
                 steps: int | None = None, callbacks: Sequence[Any] | None = None,
                 return_dict: bool = False, _internal: bool = False,
                 _callbacks: Any = None) -> float | list[float] | dict[str, float]:
        """Loss and metrics on the data: a scalar, a list, or a dict (``return_dict``).

        A per-class metric (``F1Score(average=None)``) gives an array.  Labels
        are checked as in :meth:`fit`; an iterable that gives no batch (an
        exhausted generator) is a ``DataError``, never a loss of 0.
        """
        from jaxlayers.training import callbacks as callbacks_lib

        self._require_compiled("evaluate")
        owner = self._method_owner("evaluate")
        batch_size = data_lib.count_arg(owner, "batch_size", batch_size)
        steps = backend.cap_steps(data_lib.count_arg(owner, "steps", steps))
        verbose = 1 if verbose == "auto" else int(verbose)
        custom = custom_steps.uses_custom_steps(self, "evaluate")
        if y is not None or data_lib.is_plain_arrays(x):
            if y is None and not custom:
                raise DataError(f"{owner}: `y` is required with array inputs.")
            dataset = data_lib.ArrayData(owner, x, y, sample_weight, batch_size or 32)
            sharded_steps.check_process_shares(owner, distribution_lib.distribution(),
                                               dataset.n, dataset.batch_size)
            batches, fx, labels = None, x, y
        else:
            batches = data_lib.take_batches(owner, x, steps)
            fx, labels, _ = (data_lib.unpack_batch_data(batches[0]) if custom
                             else data_lib.unpack_batch(owner, batches[0]))
            dataset = None
        x_sample = self._sample(fx)
        y_sample = None if labels is None else self._sample(labels)
        if custom:
            custom_loop.prepare(self, owner, x_sample, y_sample)
            if self._keras_compiled_loss is not None:
                self._check_labels(owner, labels)
            cb = _callbacks
            if not _internal:
                cb = callbacks_lib.CallbackList(callbacks, add_progbar=verbose != 0,
                                                model=self, verbose=verbose, epochs=1,
                                                steps=dataset.steps if dataset else len(batches))
            if cb is not None:
                cb.on_test_begin()
            logs = custom_loop.evaluate(self, batches if dataset is None else dataset, steps,
                                        cb)
            if cb is not None:
                cb.on_test_end(logs)
            return custom_loop.format_results(self, logs, return_dict)
        self._prepare_model(owner, x_sample)
        compiled_loss, metric_set = self._setup_io(owner, x_sample, y_sample)
        if not (_internal and dataset is not None):  # fit checked its validation arrays
            self._check_labels(owner, labels)
        fns = self._test_fns(compiled_loss, metric_set, distribution_lib.distribution())
        mstates = self._metric_fns(metric_set)[0]()
        cb = _callbacks
        if not _internal:
            cb = callbacks_lib.CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                            verbose=verbose, epochs=1,
                                            steps=dataset.steps if dataset else len(batches))
        if cb is not None:
            cb.on_test_begin()
        # Read after on_test_begin: a callback may put other weights in (SwapEMAWeights).
        params, state = self.params, self.state
        if dataset is not None:
            full, partial = dataset.plan(None)
            n = dataset.full_steps if steps is None else min(steps, dataset.full_steps)
            for i in range(n):
                if cb is not None:
                    cb.on_test_batch_begin(i)
                mstates = fns["array_step"](params, state, mstates, dataset.arrays, full[i])
                if cb is not None:
                    cb.on_test_batch_end(i, epoch_lib.batch_logs(self, metric_set, mstates))
            if partial is not None and (steps is None or steps > dataset.full_steps):
                if cb is not None:
                    cb.on_test_batch_begin(n)
                mstates = fns["array_step"](params, state, mstates, dataset.arrays, partial)
                if cb is not None:
                    cb.on_test_batch_end(n, epoch_lib.batch_logs(self, metric_set, mstates))
        else:
            for i, batch in enumerate(batches):
                bx, by, bsw = data_lib.unpack_batch(owner, batch)
                if cb is not None:
                    cb.on_test_batch_begin(i)
                mstates = fns["step"](params, state, mstates, data_lib.to_arrays((bx, by, bsw)))
                if cb is not None:
                    cb.on_test_batch_end(i, epoch_lib.batch_logs(self, metric_set, mstates))
        logs = to_host(self._metric_fns(metric_set)[1](mstates))
        if cb is not None:
            cb.on_test_end(logs)
        return self._format(metric_set, logs, return_dict)

    # ------------------------------------------------------------------ predict
    def predict(self, x: Any, batch_size: int | None = None, verbose: str | int = "auto",
                steps: int | None = None, callbacks: Sequence[Any] | None = None) -> Any:
        """Outputs for ``x`` in batches, as NumPy arrays (jitted, training=False).

        Takes no lock: it runs concurrently with other predicts and with ``fit``.
        Zero samples give empty outputs of the model's output shapes, as Keras.
        """
        from jaxlayers.training import callbacks as callbacks_lib

        owner = self._method_owner("predict")
        batch_size = data_lib.count_arg(owner, "batch_size", batch_size)
        steps = backend.cap_steps(data_lib.count_arg(owner, "steps", steps))
        if data_lib.is_array_struct(x):
            n = data_lib.num_samples(owner, x, allow_empty=True)
            if n == 0:
                return self._empty_prediction(owner, x)
            batch_size = batch_size or 32
            sharded_steps.check_process_shares(owner, distribution_lib.distribution(), n,
                                               batch_size)
            batches = [data_lib.take(x, slice(i, i + batch_size)) for i in
                       range(0, n, batch_size)]
            if steps is not None:
                batches = batches[:steps]
            raw = batches
        else:
            raw = data_lib.take_batches(owner, x, steps, stacklevel=3)
            batches = [data_lib.unpack_batch_data(b)[0] for b in raw]
        self._prepare_model(owner, self._sample(batches[0]), predicting=True)
        verbose = 1 if verbose == "auto" else int(verbose)
        cb = callbacks_lib.CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                        verbose=verbose, epochs=1, steps=len(batches))
        cb.on_predict_begin()  # before the weights are read: a callback may swap them
        if custom_steps.uses_custom_steps(self, "predict"):
            # predict_step receives each batch as given, as in Keras.
            out = custom_loop.predict_outputs(
                self, (("batch", (data_lib.to_arrays(b),)) for b in raw),
                self._train_key if self._train_key is not None else backend.next_eager_key())
            cb.on_predict_end()
            return out
        dist = distribution_lib.distribution()
        key = ("predict", dist)
        if key not in self._fn_cache:
            step = steps_lib.make_predict_step(self)
            if dist is not None:
                step = sharded_steps.split_batch(step, dist, 2)
            self._fn_cache[key] = self._jit(step)
        fn = self._fn_cache[key]
        if dist is not None and multihost.is_multi_process():
            multihost.check_same_across_processes(owner, "number of batches", len(batches))
            fn = functools.partial(sharded_steps.predict_process_local, fn, dist)
        params, state = self.params, self.state
        outs = []
        for i, batch in enumerate(batches):
            cb.on_predict_batch_begin(i)
            outs.append(fn(params, state, data_lib.to_arrays(batch)))
            cb.on_predict_batch_end(i, {"outputs": outs[-1]})
        cb.on_predict_end()
        return jax.tree_util.tree_map(lambda *o: np.concatenate([np.asarray(a) for a in o]),
                                      *outs)

    def _empty_prediction(self, owner, x):
        one = jax.tree_util.tree_map(
            lambda a: np.zeros((1,) + tuple(np.shape(a))[1:], np.asarray(a).dtype), x)
        self._prepare_model(owner, one, predicting=True)
        pred, _ = self._prediction_specs(one)
        return jax.tree_util.tree_map(lambda s: np.zeros((0,) + s.shape[1:], s.dtype), pred)

    # ------------------------------------------------------------------ per batch
    @_exclusive
    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                       class_weight: Mapping[int, float] | None = None,
                       return_dict: bool = False) -> float | list[float] | dict[str, float]:
        """One optimizer step on one batch; returns its loss and metrics."""
        self._require_compiled("train_on_batch")
        owner = self._method_owner("train_on_batch")
        data_lib.num_samples(owner, x, y, sample_weight)
        if custom_steps.uses_custom_steps(self, "fit"):
            return custom_loop.on_batch(self, "train", owner, x, y, sample_weight,
                                        class_weight, return_dict)
        self._prepare_model(owner, self._sample(x))
        compiled_loss, metric_set = self._setup_io(owner, self._sample(x), self._sample(y))
        self._check_labels(owner, y)
        if class_weight is not None:
            cw = self._class_weights(owner, y, class_weight)
            sample_weight = cw if sample_weight is None else np.asarray(sample_weight) * cw
        partition = self._train_state()
        dist = distribution_lib.distribution()
        fns = self._train_fns(compiled_loss, metric_set, partition, dist)
        loan = epoch_lib.lend(self, metric_set, dist)
        try:
            loan.run(fns["step"], data_lib.to_arrays((x, y, sample_weight)))
        finally:
            mstates = epoch_lib.end(self, loan)
        logs = to_host(self._metric_fns(metric_set)[1](mstates))
        return self._format(metric_set, logs, return_dict)

    @_exclusive
    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                      return_dict: bool = False) -> float | list[float] | dict[str, float]:
        """Loss and metrics on one batch, without updating anything."""
        self._require_compiled("test_on_batch")
        owner = self._method_owner("test_on_batch")
        data_lib.num_samples(owner, x, y, sample_weight)
        if custom_steps.uses_custom_steps(self, "evaluate"):
            return custom_loop.on_batch(self, "test", owner, x, y, sample_weight, None,
                                        return_dict)
        self._prepare_model(owner, self._sample(x))
        compiled_loss, metric_set = self._setup_io(owner, self._sample(x), self._sample(y))
        self._check_labels(owner, y)
        fns = self._test_fns(compiled_loss, metric_set, distribution_lib.distribution())
        mstates = fns["step"](self.params, self.state, self._metric_fns(metric_set)[0](),
                              data_lib.to_arrays((x, y, sample_weight)))
        logs = to_host(self._metric_fns(metric_set)[1](mstates))
        return self._format(metric_set, logs, return_dict)

    def predict_on_batch(self, x: Any) -> Any:
        """Outputs for one batch as NumPy arrays."""
        n = data_lib.num_samples(self._method_owner("predict_on_batch"), x, allow_empty=True)
        return self.predict(x, batch_size=n or None, verbose=0)

    @staticmethod
    def _format(metric_set, logs, return_dict):
        if return_dict:
            return logs
        values = [logs[n] for n in metric_set.names]
        return values[0] if len(values) == 1 else values

    @property
    def metrics_names(self):
        if any(custom_steps.overridden(self, n) for n in ("metrics", "train_step", "test_step")):
            return [m.name for m in self.metrics]  # Keras: the names of `metrics`
        io = getattr(self, "_compiled_io", None)
        return io[2].names if io else []


__all__ = ["Trainer"]
