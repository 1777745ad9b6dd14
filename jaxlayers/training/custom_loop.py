"""The loops of ``fit``/``evaluate``/``predict`` around a model's own Keras-protocol steps.

Used when a model overrides ``train_step`` and friends (see :mod:`custom_steps`).
Per step the Python loop calls one jitted function ``(state, data, key) ->
(logs, state, key)`` with the state donated; array data stays on the device and
the batch is gathered inside the step, as in the fused loop.  The state is
written back into the model's variables, the optimizer state and the metric
objects at each epoch's end, or earlier when a callback reads the model
(``Trainer._sync_training_state``).
"""

import jax
import jax.numpy as jnp
import numpy as np

from jaxlayers.core import tracking
from jaxlayers.errors import StateError
from jaxlayers.training import custom_steps
from jaxlayers.training import data as data_lib


# ----------------------------------------------------------------------------- state
def _values(variables):
    return [v.value for v in variables]


def _optimizer_values(model):
    """The leaves of every tracked optimizer's state, the compiled optimizer's first.

    The compiled optimizer's state is the trainer's (``bind_state``), built over
    the list of trainable values unless it already exists (the user built it, or
    an earlier ``fit`` did), as Keras builds an unbuilt optimizer.  Other
    optimizers the model holds as attributes must be built by the user.
    """
    from jaxlayers.training import steps as steps_lib

    key = ("list",) + steps_lib.Partition(model).key
    if hasattr(model.optimizer, "build"):
        if model._opt_state is None:
            model.optimizer.build(model.trainable_variables)  # writes model._opt_state
            model._partition_key = key
    elif model._opt_state is None or model._partition_key != key:  # a raw optax transform
        model._opt_state = model._tx.init(_values(model.trainable_variables))
        model._partition_key = key
    model._keras_opt_treedef = jax.tree_util.tree_structure(model._opt_state)
    values = jax.tree_util.tree_leaves(model._opt_state)
    for optimizer in custom_steps.tracked_optimizers(model)[1:]:
        if not optimizer.variables:
            raise StateError(
                f"{type(model).__name__} '{model.name}': the optimizer '{optimizer.name}' it "
                "holds has no state yet, so its variables cannot join `optimizer_variables`. "
                "Build it for the weights it trains before fit, e.g. in compile(): "
                "self.d_optimizer.build(self.discriminator.trainable_variables)."
            )
        values.extend(_values(optimizer.variables))
    return values


def _write_optimizer_values(model, values):
    n = model._keras_opt_treedef.num_leaves
    model._opt_state = jax.tree_util.tree_unflatten(model._keras_opt_treedef,
                                                    list(values[:n]))
    for optimizer in custom_steps.tracked_optimizers(model)[1:]:
        variables = optimizer.variables
        for var, value in zip(variables, values[n:n + len(variables)]):
            var.assign(value)
        n += len(variables)


def initial_state(model, kind, reset_metrics=True):
    """Fresh copies (the step donates them) of the state tuple for ``kind``.

    ``reset_metrics=False`` (``train_on_batch``, ``test_on_batch``) keeps what
    the metrics hold, so they accumulate over calls until ``reset_metrics()``,
    as in Keras.
    """
    parts = [_values(model.trainable_variables), _values(model.non_trainable_variables)]
    if kind == "train":
        parts.append(_optimizer_values(model))
    if kind in ("train", "test"):
        if reset_metrics:
            model.reset_metrics()
        parts.append(list(model.metrics_variables))
    return jax.tree_util.tree_map(jnp.copy, tuple(parts))


def write_state(model, state, kind):
    """Puts a step's state back into the model, the optimizer and the metrics."""
    trainable, non_trainable = state[0], state[1]
    for var, value in zip(model.trainable_variables, trainable):
        var.assign(value)
    for var, value in zip(model.non_trainable_variables, non_trainable):
        var.assign(value)
    if kind == "train":
        _write_optimizer_values(model, state[2])
    if kind in ("train", "test"):
        metrics = model.metrics
        values = state[-1]
        for metric, vals in zip(metrics, custom_steps.split_metric_values(metrics, values)):
            custom_steps.set_metric_values(metric, vals)


def sync_live_state(model):
    """Copies a running loop's state into the model (a callback reads it mid-epoch)."""
    live, model._live_keras_state = model.__dict__.get("_live_keras_state"), None
    if live is not None:
        state, kind = live
        write_state(model, jax.tree_util.tree_map(jnp.copy, state), kind)


# ----------------------------------------------------------------------------- steps
def _step_fns(model, kind):
    """The jitted ``(state, data, key)`` step for ``kind``, and its array-data forms."""
    cache_key = ("keras", kind)
    if cache_key in model._fn_cache:
        return model._fn_cache[cache_key]
    name = {"train": "train_step", "test": "test_step", "predict": "predict_step"}[kind]

    def run(state, data, key):
        key, sub = jax.random.split(key)
        with custom_steps.step_key(sub):
            result = getattr(model, name)(state, data)
        # predict_step returns only the non-trainable values; the check completes them.
        out, new_state = custom_steps.check_step_result(model, name, result, state)
        return out, new_state, key

    def run_rows(state, arrays, index, i, key):
        return run(state, data_lib.pack_batch(*data_lib.gather(arrays, index[i])), key)

    def run_index(state, arrays, index, key):
        return run(state, data_lib.pack_batch(*data_lib.gather(arrays, index)), key)

    donate = {} if model.run_eagerly else {"donate_argnums": (0,)}
    fns = {"batch": model._jit(run, **donate), "rows": model._jit(run_rows, **donate),
           "index": model._jit(run_index, **donate)}
    model._fn_cache[cache_key] = fns
    return fns


def _batches(data, steps, rng=None):
    """``(fn name, args)`` per step of one pass: array rows, or iterable batches."""
    if isinstance(data, data_lib.ArrayData):
        full, partial = data.plan(rng)
        n = data.full_steps if steps is None else min(steps, data.full_steps)
        for i in range(n):
            yield "rows", (data.device_arrays, full, np.int32(i))
        if partial is not None and (steps is None or steps > data.full_steps):
            yield "index", (data.device_arrays, partial)
    else:
        for batch in data:
            yield "batch", (data_lib.to_arrays(batch),)


def run_pass(model, kind, state, batches, key, on_begin=None, on_end=None):
    """Runs the step over ``batches``; ``(last logs, state, key, steps run)``."""
    fns = _step_fns(model, kind)
    logs, i = None, 0
    for i, (fn, args) in enumerate(batches):
        if on_begin:
            on_begin(i)
        logs, state, key = fns[fn](state, *args, key)
        model._live_keras_state = (state, kind)
        if on_end and on_end(i, logs):
            return logs, state, key, i + 1
    else:
        i = i + 1 if logs is not None else 0
    return logs, state, key, i


def epoch_logs(model, state, logs):
    """Keras's choice: the metrics' results when they name the same values as the
    step's logs, else the last step's logs (a custom step may log anything)."""
    results = custom_steps.metric_results(model.metrics, state[-1])
    if isinstance(logs, dict) and set(results) == set(logs):
        logs = results
    return custom_steps.to_host(logs if isinstance(logs, dict) else {})


def lazy(logs):
    return custom_steps.LazyLogs(lambda: custom_steps.to_host(logs or {}))


# ----------------------------------------------------------------------------- setup
def _built(model):
    """Whether the model's weights all exist (a GAN of built sub-models has no call)."""
    layers = tracking.flatten(model, include_self=False)
    return bool(layers) and all(layer.built for layer in layers)


def prepare(model, owner, x_sample, y_sample):
    """Builds the model and the default steps' compiled loss and metrics.

    As Keras does, a model whose layers are all built is not called on the data,
    and the outputs are only traced when ``compile`` was given a loss or metrics.
    """
    if not model.built and _built(model):
        data_lib.check_real(owner, "x", data_lib.to_arrays(x_sample))
    else:
        model._prepare_model(owner, x_sample)
    model._keras_compiled_loss = None
    if y_sample is None or (model.loss is None and not model._metrics_spec
                            and not model._weighted_metrics_spec):
        return
    compiled_loss, metric_set = model._setup_io(owner, x_sample, y_sample, require_loss=False)
    model._keras_compiled_loss = compiled_loss
    current = model.__dict__.get("_keras_compile_metrics")
    if current is None or current._set is not metric_set:
        has_metrics = any(e[2] != "total" and e[2][0] == "output" for e in metric_set.entries)
        model._keras_compile_metrics = (
            custom_steps.CompileMetrics(metric_set, compiled_loss.outputs)
            if has_metrics else None)


def format_results(model, logs, return_dict):
    """Keras's order for ``evaluate``'s list: ``metrics`` names first, then the rest sorted."""
    if return_dict:
        return logs
    names = []
    for metric in model.metrics:
        names.extend(metric.names if isinstance(metric, custom_steps.CompileMetrics)
                     else [metric.name])
    values = [logs[n] for n in names if n in logs]
    values += [logs[k] for k in sorted(logs) if k not in names]
    return values[0] if len(values) == 1 else values


def fit(model, data, steps, epochs, verbose, callbacks, validation, rng, initial_epoch,
        validation_steps, validation_batch_size, validation_freq):
    """The epochs of ``fit`` over ``data`` (``ArrayData`` or a ``BatchStream``)."""
    from jaxlayers.training import callbacks as callbacks_lib

    cb = callbacks_lib.CallbackList(
        callbacks, add_history=True, add_progbar=verbose != 0, model=model,
        verbose=verbose, epochs=epochs, steps=steps)
    model.stop_training = False
    model._live_keras_state = None
    cb.on_train_begin()
    start = getattr(model, "_initial_epoch_override", None)
    model._initial_epoch_override = None
    logs = {}
    for epoch in range(max(initial_epoch, start or 0), epochs):
        cb.on_epoch_begin(epoch)
        state = initial_state(model, "train")
        if isinstance(data, data_lib.ArrayData):
            batches = _batches(data, steps, rng)
        else:
            data.start_epoch()
            batches = _stream_batches(data, steps)

        def on_end(i, step_logs):
            cb.on_train_batch_end(i, lazy(step_logs))
            return model.stop_training

        step_logs, state, model._train_key, done = run_pass(
            model, "train", state, batches, model._train_key, cb.on_train_batch_begin, on_end)
        model._live_keras_state = None
        if done == 0:
            data_lib.ran_out_warning(f"{type(model).__name__} '{model.name}'.fit", 0, epoch)
            break
        write_state(model, state, "train")
        logs = epoch_logs(model, state, step_logs)
        model._validate(logs, epoch, validation, validation_freq, validation_batch_size,
                        validation_steps, cb)
        cb.on_epoch_end(epoch, logs)
        if steps is not None and done < steps and not isinstance(data, data_lib.ArrayData):
            data_lib.ran_out_warning(f"{type(model).__name__} '{model.name}'.fit", done, epoch)
            model.stop_training = True
        if model.stop_training:
            break
    return model._end_fit(cb, logs, epochs > initial_epoch)


def _stream_batches(stream, steps):
    i = 0
    while steps is None or i < steps:
        batch = stream.take()
        if batch is None:
            return
        i += 1
        yield "batch", (data_lib.to_arrays(batch),)


def evaluate(model, data, steps, cb):
    """One pass of ``test_step``; the logs as host values."""
    state = initial_state(model, "test")
    batches = _batches(data, steps) if isinstance(data, data_lib.ArrayData) else (
        ("batch", (data_lib.to_arrays(b),)) for b in data)

    def on_end(i, step_logs):
        if cb is not None:
            cb.on_test_batch_end(i, lazy(step_logs))
        return False

    step_logs, state, _, _ = run_pass(model, "test", state, batches, model._train_key,
                                      None if cb is None else cb.on_test_batch_begin, on_end)
    model._live_keras_state = None
    write_state(model, state, "test")
    return epoch_logs(model, state, step_logs)


def on_batch(model, kind, owner, x, y, sample_weight, class_weight, return_dict):
    """``train_on_batch`` / ``test_on_batch`` through the model's own step."""
    prepare(model, owner, model._sample(x), None if y is None else model._sample(y))
    if class_weight is not None:
        cw = model._class_weights(owner, y, class_weight)
        sample_weight = cw if sample_weight is None else np.asarray(sample_weight) * cw
    state = initial_state(model, kind, reset_metrics=False)
    data = data_lib.to_arrays(data_lib.pack_batch(x, y, sample_weight))
    step_logs, state, key, _ = run_pass(model, kind, state, [("batch", (data,))],
                                        model._train_key)
    model._live_keras_state = None
    if kind == "train":
        model._train_key = key
    write_state(model, state, kind)
    return format_results(model, epoch_logs(model, state, step_logs), return_dict)


def predict_outputs(model, batches, key):
    """Runs ``predict_step`` over ``batches``; the outputs concatenated as NumPy arrays."""
    state = initial_state(model, "predict")
    outs = []
    fns = _step_fns(model, "predict")
    for fn, args in batches:
        out, state, key = fns[fn](state, *args, key)
        outs.append(out)
    write_state(model, state, "predict")
    return jax.tree_util.tree_map(lambda *o: np.concatenate([np.asarray(a) for a in o]),
                                  *outs)


# The trainer's machinery, imported by name inside jaxlayers: no public API here.
__all__ = []
