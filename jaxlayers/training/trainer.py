"""``compile`` / ``fit`` / ``evaluate`` / ``predict``: a thin loop around jitted pure steps.

Per training step the Python loop only calls one compiled function with the
carry ``(params, state, opt_state, metric_states, key)`` (donated) and the
step number; array data lives on the device and the batch is gathered inside
the step.  Values reach the host only when a callback reads them (batch logs
are lazy) and once per epoch for the history.  The model's own weights are
updated at epoch end; a callback that reads ``self.model`` mid-epoch first gets
the live values copied out of the carry (``_sync_training_state``), as Keras's
JAX trainer does.
"""

import numpy as np

import jax
import jax.numpy as jnp

from jaxlayers import backend
from jaxlayers.distribution import distributions as distribution_lib
from jaxlayers.errors import ConfigError, DataError, NotCompiledError
from jaxlayers.training import data as data_lib
from jaxlayers.training import steps as steps_lib


class _LazyLogs(dict):
    """Batch logs whose values are fetched from the device only when read."""

    def __init__(self, compute):
        super().__init__()
        self._compute = compute
        self._done = False

    def _fill(self):
        if not self._done:
            self._done = True
            super().update(self._compute())

    def __getitem__(self, k):
        self._fill()
        return super().__getitem__(k)

    def get(self, k, default=None):
        self._fill()
        return super().get(k, default)

    def __contains__(self, k):
        self._fill()
        return super().__contains__(k)

    def __iter__(self):
        self._fill()
        return super().__iter__()

    def __len__(self):
        self._fill()
        return super().__len__()

    def items(self):
        self._fill()
        return super().items()

    def keys(self):
        self._fill()
        return super().keys()

    def values(self):
        self._fill()
        return super().values()

    def copy(self):
        self._fill()
        return dict(super().items())


def _to_host(results):
    return {k: float(np.asarray(v)) for k, v in jax.device_get(results).items()}


class Trainer:
    """Mixin giving a Model Keras's training API over the pure ``apply``."""

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
        self._live_carry = None
        self.run_eagerly = False
        self.steps_per_execution = 1
        self.loss = None

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile=True, auto_scale_loss=True):
        """Configures training: optimizer (Keras name, jl optimizer or optax), loss, metrics.

        Example:
            >>> model = jl.Sequential([jl.layers.Dense(1)])
            >>> model.compile(optimizer="adam", loss="mse", metrics=["mae"])
        """
        from jaxlayers import optimizers

        owner = f"{type(self).__name__} '{self.name}'"
        if not isinstance(steps_per_execution, int) or steps_per_execution < 1:
            raise ConfigError(
                f"{owner}: `steps_per_execution` must be a positive int. Received: "
                f"steps_per_execution={steps_per_execution!r}."
            )
        self.optimizer = optimizers.get(optimizer)
        self._tx = (self.optimizer.to_optax() if hasattr(self.optimizer, "to_optax")
                    else self.optimizer)
        if loss is not None:
            for spec in (loss.values() if isinstance(loss, dict) else
                         loss if isinstance(loss, (list, tuple)) else [loss]):
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
        if hasattr(self.optimizer, "_bind"):
            self.optimizer._bind(lambda: self._opt_state, self._set_opt_state)
        self.compiled = True

    def _set_opt_state(self, opt_state):
        self._opt_state = opt_state

    def _sync_training_state(self):
        """Copies the running carry of ``fit`` into the facade (mid-epoch callbacks).

        Within an epoch the live values exist only in the donated carry; a callback
        reading ``self.model`` (checkpointing after N batches, ``get_weights``) calls
        this first.  Copies, because the next step donates the carry's buffers.
        """
        carry, self._live_carry = self.__dict__.get("_live_carry"), None
        if carry is not None:
            params, state, opt_state = jax.tree_util.tree_map(jnp.copy, carry[:3])
            self.set_params(params, state)
            self._opt_state = opt_state

    def _require_compiled(self, method):
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

    def _prepare_model(self, x_sample):
        owner = f"{type(self).__name__} '{self.name}'"
        x_sample = data_lib.to_arrays(x_sample)
        spec = getattr(self, "_build_input_spec", None)
        if spec is not None:
            leaves = jax.tree_util.tree_leaves(x_sample)
            if len(leaves) == 1:
                got = tuple(np.shape(leaves[0]))[1:]
                want = spec.shape[1:]
                if len(got) != len(want) or any(w is not None and w != g
                                                for w, g in zip(want, got)):
                    raise DataError(
                        f"{owner}: the data does not match the model's input. Expected "
                        f"samples of shape {want}. Received: samples of shape {got}."
                    )
        if hasattr(self, "_flat_inputs"):
            for t, v in zip(self._input_tensors, self._flat_inputs(x_sample)):
                self._check_input(t, v)
        self._ensure_structure((x_sample,), {})

    def _setup_io(self, x_sample, y_sample):
        """Compiled loss and metrics for outputs shaped like the model's on ``x_sample``."""
        owner = f"{type(self).__name__} '{self.name}'"
        x_sample = data_lib.to_arrays(x_sample)
        spec_key = str(jax.tree_util.tree_map(lambda a: (a.shape[1:], str(a.dtype)), x_sample))
        cache = self.__dict__.setdefault("_pred_specs", {})
        if spec_key not in cache:
            def outputs_and_added(p, s, x):
                y, _, aux = self.apply_with_aux(p, s, x)
                return y, aux["metrics"]

            cache[spec_key] = jax.eval_shape(outputs_and_added, self.params, self.state,
                                             x_sample)
        pred, added = cache[spec_key]
        pred_leaves = jax.tree_util.tree_leaves(pred)
        names = steps_lib.output_names(self, len(pred_leaves))
        if self._compiled_io is not None and self._compiled_io[0] == len(pred_leaves):
            return self._compiled_io[1], self._compiled_io[2]
        compiled_loss = steps_lib.CompiledLoss(owner, self.loss, self._loss_weights, names)
        ys = steps_lib.align_targets(names, data_lib.to_arrays(y_sample))
        if len(ys) != len(pred_leaves):
            raise DataError(
                f"{owner}: the model has {len(pred_leaves)} output(s) {names} but y holds "
                f"{len(ys)} target array(s)."
            )
        from jaxlayers.training import losses as losses_lib

        for loss_spec, y, p in zip(compiled_loss.specs, ys, pred_leaves):
            if y is None or loss_spec is None:
                continue
            losses_lib.check_loss_inputs(loss_spec, (None,) + tuple(np.shape(y))[1:],
                                         tuple(p.shape), np.asarray(y).dtype)
        y_specs = [jax.ShapeDtypeStruct((None,) + tuple(np.shape(y))[1:], np.asarray(y).dtype)
                   if y is not None else None for y in ys]
        y_specs = [jax.ShapeDtypeStruct(tuple(1 if d is None else d for d in s.shape), s.dtype)
                   if s is not None else None for s in y_specs]
        metric_set = steps_lib.MetricSet(owner, self._metrics_spec,
                                         self._weighted_metrics_spec, compiled_loss, y_specs,
                                         pred_leaves, added_names=sorted(added))
        self._compiled_io = (len(pred_leaves), compiled_loss, metric_set)
        return compiled_loss, metric_set

    def _train_state(self):
        partition = steps_lib.Partition(self)
        params, state = self.params, self.state
        if self._opt_state is None or self._partition_key != partition.key:
            train, _ = partition.split(params)
            self._opt_state = self._tx.init(train)
            self._partition_key = partition.key
        return partition, params, state

    def _train_fns(self, compiled_loss, metric_set, partition, dist=None):
        key = ("train", id(compiled_loss), id(metric_set), partition.key, id(dist))
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
            "array_multi": self._jit(array_multi, **donate),
            "partial": self._jit(partial_step, **donate),
        }
        self._fn_cache[key] = fns
        return fns

    def _test_fns(self, compiled_loss, metric_set):
        key = ("test", id(compiled_loss), id(metric_set))
        if key not in self._fn_cache:
            step = steps_lib.make_test_step(self, compiled_loss, metric_set)

            def array_step(params, state, mstates, arrays, index):
                return step(params, state, mstates, data_lib.gather(arrays, index))

            self._fn_cache[key] = {"step": self._jit(step), "array_step": self._jit(array_step)}
        return self._fn_cache[key]

    # ------------------------------------------------------------------ fit
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Trains for ``epochs`` epochs; returns a ``History``. Keras's arguments and semantics."""
        from jaxlayers.training import callbacks as callbacks_lib

        self._require_compiled("fit")
        owner = f"{type(self).__name__} '{self.name}'.fit"
        dist = distribution_lib.distribution()
        verbose = 1 if verbose == "auto" else int(verbose)
        arrays_given = y is not None or _is_plain_arrays(x)
        if not arrays_given and (validation_split or class_weight is not None
                                 or sample_weight is not None):
            raise DataError(
                f"{owner}: validation_split, class_weight and sample_weight need array data; "
                "with an iterable dataset, yield (x, y, sample_weight) batches instead."
            )
        if arrays_given:
            if y is None:
                raise DataError(
                    f"{owner}: `y` is required with array inputs. Pass fit(x, y, ...), or an "
                    "iterable of (x, y) batches as x."
                )
            data_lib.num_samples(owner, x, y, sample_weight)
            if class_weight is not None:
                cw = data_lib.class_weights_to_sample_weights(owner, y, class_weight)
                sample_weight = cw if sample_weight is None else np.asarray(sample_weight) * cw
            if validation_split and validation_data is None:
                (x, y, sample_weight), validation_data = data_lib.split_validation(
                    owner, x, y, sample_weight, validation_split)
            if dist is not None:
                dist.check_batch_size(owner, batch_size or 32)
            dataset = data_lib.ArrayData(owner, x, y, sample_weight, batch_size or 32)
            x_sample, y_sample = self._sample(x), self._sample(y)
            steps = dataset.steps if steps_per_epoch is None else min(steps_per_epoch,
                                                                       dataset.steps)
        else:
            iterable = x
            first = next(iter(iterable)) if not hasattr(iterable, "__next__") else None
            if first is None:
                first = next(iterable)
                iterable = _prepend(first, iterable)
            fx, fy, _ = data_lib.unpack_batch(owner, first)
            x_sample, y_sample = self._sample(fx), self._sample(fy)
            dataset, steps = None, steps_per_epoch
        self._prepare_model(x_sample)
        compiled_loss, metric_set = self._setup_io(x_sample, y_sample)
        partition, params, state = self._train_state()
        fns = self._train_fns(compiled_loss, metric_set, partition, dist)
        if validation_data is not None:
            validation_data = tuple(validation_data)
        cb = callbacks_lib.CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self,
            verbose=verbose, epochs=epochs, steps=steps)
        self.stop_training = False
        self._live_carry = None  # a crashed fit's carry is not this run's
        rng = self._shuffle_rng = np.random.default_rng(int(jax.random.randint(
            jax.random.fold_in(self._train_key, 7), (), 0, 2**31 - 1)))
        cb.on_train_begin()
        start = getattr(self, "_initial_epoch_override", None)
        self._initial_epoch_override = None
        initial_epoch = max(initial_epoch, start or 0)
        epoch_logs = {}
        for epoch in range(initial_epoch, epochs):
            partition, params, state = self._train_state()
            cb.on_epoch_begin(epoch)
            # The step donates its carry: start from copies so the facade's values,
            # the stored optimizer state and key stay valid for callbacks mid-epoch.
            carry = _fresh_carry(params, state, self._opt_state, metric_set.init(),
                                 self._train_key)
            if dist is not None:
                carry = dist.place_carry(carry)
            if dataset is not None:
                carry = self._run_array_epoch(fns, dataset, carry, metric_set, cb, steps,
                                              rng if shuffle else None)
            else:
                carry = self._run_iterable_epoch(fns, iterable, carry, metric_set, cb, steps,
                                                 owner)
            self._live_carry = None
            params, state, self._opt_state, mstates, self._train_key = carry
            epoch_logs = _to_host(metric_set.results(mstates))
            self.set_params(params, state)
            if validation_data is not None and (epoch + 1) % validation_freq == 0:
                vx, vy, vsw = (tuple(validation_data) + (None,))[:3]
                val = self.evaluate(vx, vy, sample_weight=vsw, verbose=0, return_dict=True,
                                    batch_size=validation_batch_size or batch_size,
                                    steps=validation_steps, _internal=True)
                epoch_logs.update({f"val_{k}": v for k, v in val.items()})
            cb.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        cb.on_train_end(epoch_logs)
        self.history = cb.history
        return cb.history

    def _batch_logs(self, metric_set, mstates):
        return _LazyLogs(lambda: _to_host(metric_set.results(mstates)))

    def _run_array_epoch(self, fns, dataset, carry, metric_set, cb, steps, rng):
        full, partial = dataset.plan(rng)
        k = self.steps_per_execution
        i = 0
        n_full = min(steps, dataset.full_steps)
        while i < n_full and not self.stop_training:
            if k > 1 and i + k <= n_full:
                cb.on_train_batch_begin(i)
                carry, loss = fns["array_multi"](carry, dataset.arrays, full, np.int32(i))
                i += k
            else:
                cb.on_train_batch_begin(i)
                carry, loss = fns["array_step"](carry, dataset.arrays, full, np.int32(i))
                i += 1
            self._live_carry = carry
            cb.on_train_batch_end(i - 1, self._batch_logs(metric_set, carry[3]))
        if partial is not None and steps > dataset.full_steps and not self.stop_training:
            cb.on_train_batch_begin(i)
            carry, loss = fns["partial"](carry, dataset.arrays, partial)
            self._live_carry = carry
            cb.on_train_batch_end(i, self._batch_logs(metric_set, carry[3]))
        return carry

    def _run_iterable_epoch(self, fns, iterable, carry, metric_set, cb, steps, owner):
        for i, batch in enumerate(iterable):
            if steps is not None and i >= steps or self.stop_training:
                break
            bx, by, bsw = data_lib.unpack_batch(owner, batch)
            cb.on_train_batch_begin(i)
            carry, loss = fns["step"](carry, data_lib.to_arrays((bx, by, bsw)))
            self._live_carry = carry
            cb.on_train_batch_end(i, self._batch_logs(metric_set, carry[3]))
        return carry

    # ------------------------------------------------------------------ evaluate
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False, _internal=False):
        """Loss and metrics on the data: a scalar, a list, or a dict (``return_dict``)."""
        from jaxlayers.training import callbacks as callbacks_lib

        self._require_compiled("evaluate")
        owner = f"{type(self).__name__} '{self.name}'.evaluate"
        verbose = 1 if verbose == "auto" else int(verbose)
        if y is not None or _is_plain_arrays(x):
            if y is None:
                raise DataError(f"{owner}: `y` is required with array inputs.")
            dataset = data_lib.ArrayData(owner, x, y, sample_weight, batch_size or 32)
            x_sample, y_sample = self._sample(x), self._sample(y)
            batches = None
        else:
            batches = list(x) if steps is None else [b for _, b in zip(range(steps), x)]
            fx, fy, _ = data_lib.unpack_batch(owner, batches[0])
            x_sample, y_sample, dataset = self._sample(fx), self._sample(fy), None
        self._prepare_model(x_sample)
        compiled_loss, metric_set = self._setup_io(x_sample, y_sample)
        fns = self._test_fns(compiled_loss, metric_set)
        params, state = self.params, self.state
        mstates = metric_set.init()
        cb = None
        if not _internal:
            cb = callbacks_lib.CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                            verbose=verbose, epochs=1,
                                            steps=dataset.steps if dataset else len(batches))
            cb.on_test_begin()
        if dataset is not None:
            full, partial = dataset.plan(None)
            n = dataset.full_steps if steps is None else min(steps, dataset.full_steps)
            for i in range(n):
                mstates = fns["array_step"](params, state, mstates, dataset.arrays, full[i])
                if cb:
                    cb.on_test_batch_end(i, self._batch_logs(metric_set, mstates))
            if partial is not None and (steps is None or steps > dataset.full_steps):
                mstates = fns["array_step"](params, state, mstates, dataset.arrays, partial)
        else:
            for i, batch in enumerate(batches):
                bx, by, bsw = data_lib.unpack_batch(owner, batch)
                mstates = fns["step"](params, state, mstates, data_lib.to_arrays((bx, by, bsw)))
                if cb:
                    cb.on_test_batch_end(i, self._batch_logs(metric_set, mstates))
        logs = _to_host(metric_set.results(mstates))
        if cb:
            cb.on_test_end(logs)
        if return_dict:
            return logs
        values = [logs[n] for n in metric_set.names]
        return values[0] if len(values) == 1 else values

    # ------------------------------------------------------------------ predict
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Outputs for ``x`` in batches, as NumPy arrays (jitted, training=False)."""
        owner = f"{type(self).__name__} '{self.name}'.predict"
        if data_lib.is_array_struct(x):
            n = data_lib.num_samples(owner, x)
            batch_size = batch_size or 32
            batches = [data_lib.take(x, slice(i, i + batch_size)) for i in
                       range(0, n, batch_size)]
        else:
            batches = [data_lib.unpack_batch(owner, b if isinstance(b, tuple) else (b,))[0]
                       for b in x]
        if steps is not None:
            batches = batches[:steps]
        self._prepare_model(self._sample(batches[0]))
        key = ("predict",)
        if key not in self._fn_cache:
            self._fn_cache[key] = self._jit(steps_lib.make_predict_step(self))
        fn = self._fn_cache[key]
        params, state = self.params, self.state
        outs = [fn(params, state, data_lib.to_arrays(b)) for b in batches]
        return jax.tree_util.tree_map(lambda *o: np.concatenate([np.asarray(a) for a in o]),
                                      *outs)

    # ------------------------------------------------------------------ per batch
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       return_dict=False):
        """One optimizer step on one batch; returns its loss and metrics."""
        self._require_compiled("train_on_batch")
        owner = f"{type(self).__name__} '{self.name}'.train_on_batch"
        data_lib.num_samples(owner, x, y, sample_weight)
        if class_weight is not None:
            cw = data_lib.class_weights_to_sample_weights(owner, y, class_weight)
            sample_weight = cw if sample_weight is None else np.asarray(sample_weight) * cw
        self._prepare_model(self._sample(x))
        compiled_loss, metric_set = self._setup_io(self._sample(x), self._sample(y))
        partition, params, state = self._train_state()
        dist = distribution_lib.distribution()
        fns = self._train_fns(compiled_loss, metric_set, partition, dist)
        carry = _fresh_carry(params, state, self._opt_state, metric_set.init(),
                             self._train_key)
        if dist is not None:
            carry = dist.place_carry(carry)
        carry, _ = fns["step"](carry, data_lib.to_arrays((x, y, sample_weight)))
        params, state, self._opt_state, mstates, self._train_key = carry
        self.set_params(params, state)
        return self._format(metric_set, _to_host(metric_set.results(mstates)), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss and metrics on one batch, without updating anything."""
        self._require_compiled("test_on_batch")
        self._prepare_model(self._sample(x))
        compiled_loss, metric_set = self._setup_io(self._sample(x), self._sample(y))
        fns = self._test_fns(compiled_loss, metric_set)
        mstates = fns["step"](self.params, self.state, metric_set.init(),
                              data_lib.to_arrays((x, y, sample_weight)))
        return self._format(metric_set, _to_host(metric_set.results(mstates)), return_dict)

    def predict_on_batch(self, x):
        """Outputs for one batch as NumPy arrays."""
        return self.predict(x, batch_size=data_lib.num_samples("predict_on_batch", x),
                            verbose=0)

    @staticmethod
    def _format(metric_set, logs, return_dict):
        if return_dict:
            return logs
        values = [logs[n] for n in metric_set.names]
        return values[0] if len(values) == 1 else values

    @property
    def metrics_names(self):
        io = getattr(self, "_compiled_io", None)
        return io[2].names if io else []

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


def _fresh_carry(params, state, opt_state, metric_states, key):
    copy = lambda tree: jax.tree_util.tree_map(jnp.copy, tree)  # noqa: E731
    return (copy(params), copy(state), copy(opt_state), metric_states, jnp.copy(key))


def _is_plain_arrays(x):
    """An array, or a dict of arrays (not a list of batches or a generator)."""
    if isinstance(x, dict):
        return data_lib.is_array_struct(x)
    return isinstance(x, (np.ndarray, jax.Array))


def _prepend(first, iterator):
    yield first
    yield from iterator


__all__ = ["Trainer"]
