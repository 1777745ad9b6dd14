"""Pure train / test / predict steps and what ``compile`` turns losses and metrics into.

``make_train_step`` returns ``step(carry, batch) -> (carry, loss)`` with
``carry = (params, state, opt_state, metric_states, key)``: the same function
``fit`` jits (with the carry donated) or scans ``steps_per_execution`` times.
Nothing in it is specific to the facade: it only calls ``model.apply_with_aux``.
"""

import inspect
import threading

import jax
import jax.numpy as jnp
import optax

from jaxlayers.core import args as _args
from jaxlayers.core import tracking
from jaxlayers.errors import ConfigError, ConfigTypeError, DataError
from jaxlayers.training import losses as losses_lib
from jaxlayers.training import metrics as metrics_lib


def _output_names(model, pred, n):
    flat, _ = jax.tree_util.tree_flatten_with_path(pred)
    if isinstance(pred, dict) and all(
            len(path) == 1 and isinstance(path[0], jax.tree_util.DictKey) for path, _ in flat):
        return [str(path[0].key) for path, _ in flat]
    names = model.declared_output_names() if model is not None else None
    if names and len(names) == n and len(set(names)) == len(names):
        return names
    return [f"output_{i}" for i in range(n)] if n > 1 else ["output"]


class Outputs:
    """The model's output order: the one order every per-output structure is read in.

    Outputs flatten as JAX flattens them (``jax.tree_util.tree_leaves``: dict keys
    sorted, at every level of nesting), which is also the order of
    ``model.outputs``.  Predictions go through :meth:`flatten`; targets, sample
    weights, losses, loss weights and metrics, whether given as a dict by output
    name, a structure shaped like the outputs, or a flat list in output order, go
    through :meth:`align`.  Nothing else flattens them, so a head is always
    paired with its own targets, loss and metrics whatever order a dict was
    written in.

    Args:
        model: The model (its ``declared_output_names()`` name the outputs when
            they are not a flat dict).
        pred: The model's outputs, or a structure of ``jax.ShapeDtypeStruct``.

    Example:
        >>> outputs = Outputs(None, {"second": jnp.zeros(2), "first": jnp.ones(2)})
        >>> outputs.names
        ['first', 'second']
        >>> outputs.align("model", {"second": "mse", "first": "mae"}, "loss")
        ['mae', 'mse']
    """

    def __init__(self, model, pred):
        self.treedef = jax.tree_util.tree_structure(pred)
        self.n = self.treedef.num_leaves
        self.names = _output_names(model, pred, self.n)

    def flatten(self, pred):
        """The model's outputs as a list in output order."""
        return self.treedef.flatten_up_to(pred)

    def align(self, owner, spec, what, broadcast=True, nested=True, error=ConfigError):
        """A per-output ``spec`` as a list with one entry per output, in output order.

        Args:
            owner: Who is asking, for error messages.
            spec: ``None``; a dict by output name; a structure like the outputs
                (``nested``); a list or tuple in output order; or one value.
            what: The argument's name, for error messages.
            broadcast: Whether one value applies to every output (a loss does;
                targets of a multi-output model do not).
            nested: Whether a dict or list may be a structure like the outputs
                (not for metrics, whose entries are themselves lists).
            error: The error class to raise.
        """
        n = self.n
        if spec is None:
            return [None] * n
        if isinstance(spec, dict):
            if all(k in self.names for k in spec):
                return [spec.get(name) for name in self.names]
            if nested:
                try:
                    return self.treedef.flatten_up_to(spec)
                except (ValueError, TypeError):
                    pass
            unknown = [k for k in spec if k not in self.names]
            raise error(
                f"{owner}: `{what}` names outputs {unknown} that the model does not have. "
                f"Output names: {self.names}."
            )
        if isinstance(spec, (list, tuple)):
            if n == 1 and len(spec) == 1:
                return [spec[0]]
            if n > 1:
                if nested:
                    try:
                        return self.treedef.flatten_up_to(spec)
                    except (ValueError, TypeError):
                        pass
                if len(spec) != n:
                    raise error(
                        f"{owner}: `{what}` must have one entry per output ({n}: "
                        f"{self.names}). Received: {len(spec)} entries."
                    )
                return list(spec)
        if broadcast or n == 1:
            return [spec] * n
        raise error(
            f"{owner}: the model has {n} outputs {self.names}, so `{what}` must be a dict by "
            f"output name or a list in output order. Received: a single "
            f"{type(spec).__name__}."
        )


def as_loss(identifier):
    loss = losses_lib.get(identifier)
    if loss is None or isinstance(loss, losses_lib.Loss):
        return loss
    return losses_lib.LossFunctionWrapper(loss)


class CompiledLoss:
    """The weighted sum of per-output losses: ``(total, [loss per output])``.

    ``required=False`` accepts no loss at all (the total is then 0).

    Args:
        owner: How messages name the model.
        loss: ``compile``'s ``loss``: one loss, or one per output (dict by name,
            structure like the outputs, or list).
        loss_weights: ``None`` (all 1) or one float per output, given the same ways.
        outputs: The model's :class:`Outputs`.
        required: Whether a missing loss is an error.

    Raises:
        ConfigError: No loss while ``required``, or a per-output entry that
            does not fit the outputs.

    Example:
        >>> outputs = Outputs(None, {"a": jnp.zeros((2, 1)), "b": jnp.zeros((2, 1))})
        >>> loss = CompiledLoss("model", {"a": "mse", "b": "mae"}, {"a": 1.0, "b": 0.5}, outputs)
        >>> ones, zeros = [jnp.ones((2, 1))] * 2, [jnp.zeros((2, 1))] * 2
        >>> total, per_output = loss(ones, zeros, [None, None])
        >>> float(total), [float(v) for v in per_output]
        (1.5, [1.0, 1.0])
    """

    def __init__(self, owner, loss, loss_weights, outputs, required=True):
        self.outputs = outputs
        self.names = outputs.names
        self.specs = outputs.align(owner, loss, "loss")
        self.losses = [as_loss(s) for s in self.specs]
        # A model with its own compute_loss or train_step may train without one.
        if required and all(loss is None for loss in self.losses):
            raise ConfigError(
                f"{owner}: compile() needs a `loss` to train. Received: loss={loss!r}."
            )
        weights = outputs.align(owner, loss_weights, "loss_weights")
        self.weights = [1.0 if w is None else float(w) for w in weights]

    def __call__(self, y_true, y_pred, sample_weight):
        """Lists in output order in; the total and the per-output losses out."""
        per_output, total = [], 0.0
        for loss, w, yt, yp, sw in zip(self.losses, self.weights, y_true, y_pred,
                                       sample_weight):
            if loss is None:
                per_output.append(jnp.zeros(()))
                continue
            value = loss(yt, yp, sample_weight=sw)
            per_output.append(value)
            total = total + w * value
        return total, per_output


class MetricSet:
    """All metrics of a compiled model: loss trackers first, then per-output metrics.

    Args:
        owner: How messages name the model.
        metrics: ``compile``'s ``metrics``.
        weighted_metrics: ``compile``'s ``weighted_metrics``.
        compiled_loss: The model's :class:`CompiledLoss`.
        y_specs: One ``jax.ShapeDtypeStruct`` (or ``None``) per output's targets.
        pred_specs: One ``jax.ShapeDtypeStruct`` per output's predictions.
        added_names: Names of the metrics the model's layers add (``add_metric``).

    Example:
        >>> outputs = Outputs(None, {"a": jnp.zeros((2, 1)), "b": jnp.zeros((2, 1))})
        >>> loss = CompiledLoss("model", "mse", None, outputs)
        >>> spec = jax.ShapeDtypeStruct((2, 1), jnp.float32)
        >>> metric_set = MetricSet("model", ["mae"], None, loss, [spec] * 2, [spec] * 2)
        >>> [entry[0] for entry in metric_set.entries]
        ['loss', 'a_loss', 'b_loss', 'a_mae', 'b_mae']
    """

    def __init__(self, owner, metrics, weighted_metrics, compiled_loss, y_specs, pred_specs,
                 added_names=()):
        outputs = compiled_loss.outputs
        names = outputs.names
        multi = len(names) > 1
        self.entries = [("loss", metrics_lib.Mean(name="loss"), "total", False)]
        if multi:
            for i, name in enumerate(names):
                if compiled_loss.losses[i] is not None:
                    self.entries.append((f"{name}_loss", metrics_lib.Mean(name=f"{name}_loss"),
                                         ("loss", i), False))
        for weighted, spec in ((False, metrics), (True, weighted_metrics)):
            if spec is None:
                continue
            per_output = self._split(owner, spec, outputs, multi)
            for i, items in enumerate(per_output):
                for item in ([] if items is None else items if isinstance(items, (list, tuple))
                             else [items]):
                    metric = self._resolve(owner, item, compiled_loss.specs[i], y_specs[i],
                                           pred_specs[i])
                    log = f"{names[i]}_{metric.name}" if multi else metric.name
                    self.entries.append((log, metric, ("output", i), weighted))
        # Values a layer reports with add_metric(value, name): averaged over the epoch.
        for name in added_names:
            self.entries.append((name, metrics_lib.Mean(name=name), ("added", name), False))
        self.y_specs, self.pred_specs = y_specs, pred_specs

    @staticmethod
    def _split(owner, spec, outputs, multi):
        what = "metrics"
        if isinstance(spec, dict):
            return outputs.align(owner, spec, what, nested=False)
        if not isinstance(spec, (list, tuple)):
            spec = [spec]
        if multi and spec and all(isinstance(s, (list, tuple)) or s is None for s in spec):
            return outputs.align(owner, list(spec), what, nested=False)
        return [list(spec)] * outputs.n

    @staticmethod
    def _resolve(owner, item, loss_spec, y_spec, pred_spec):
        if isinstance(item, str) and item in ("accuracy", "acc"):
            return metrics_lib.resolve_accuracy(loss_spec, y_spec.shape, pred_spec.shape,
                                                name=item)
        metric = metrics_lib.get(item)
        if isinstance(metric, metrics_lib.Metric):
            if metrics_lib.takes_values_only(metric):
                raise ConfigTypeError(
                    f"{owner}: {type(metric).__name__} '{metric.name}' reduces plain values "
                    "and cannot score (y_true, y_pred) in compile(metrics=...). Wrap a "
                    "function instead: jl.metrics.MeanMetricWrapper(fn), or report values "
                    "from a layer with add_metric."
                )
            if isinstance(item, str):
                metric.name = item
            return metric
        return metrics_lib.MeanMetricWrapper(metric, name=item if isinstance(item, str)
                                             else getattr(metric, "__name__", "metric"))

    @property
    def names(self):
        return [e[0] for e in self.entries]

    def class_id_checks(self, compiled_loss):
        """``(output index, axis, ignore_class, who)`` for every loss or metric that reads
        its labels as integer class ids along an axis of the output."""
        checks = []
        for i, loss in enumerate(compiled_loss.losses):
            spec = None if loss is None else metrics_lib.class_id_labels(loss)
            if spec is not None:
                checks.append((i, *spec, f"loss {loss.name!r}"))
        for log, metric, target, _ in self.entries:
            spec = metrics_lib.class_id_labels(metric) if target[0] == "output" else None
            if spec is not None:
                checks.append((target[1], *spec, f"metric {log!r}"))
        return checks

    def init(self):
        states = {}
        for log, metric, target, _ in self.entries:
            if target == "total" or target[0] in ("loss", "added"):
                states[log] = metric.init()
            else:
                i = target[1]
                states[log] = metric.init(self.y_specs[i], self.pred_specs[i])
        return states

    def update(self, states, y_true, y_pred, sample_weight, total, per_output, batch_size,
               added=None):
        """Lists in output order for ``y_true``, ``y_pred`` and ``sample_weight``."""
        new = dict(states)
        count = jnp.asarray(batch_size, jnp.float32)
        for log, metric, target, weighted in self.entries:
            if target == "total":
                new[log] = metric.update(states[log], total, None, sample_weight=count)
            elif target[0] == "loss":
                new[log] = metric.update(states[log], per_output[target[1]], None,
                                         sample_weight=count)
            elif target[0] == "added":
                new[log] = metric.update(states[log], (added or {})[target[1]], None,
                                         sample_weight=count)
            else:
                i = target[1]
                sw = sample_weight[i] if weighted else None
                new[log] = metric.update(states[log], y_true[i], y_pred[i], sample_weight=sw)
        return new

    def results(self, states):
        return {log: metric.result(states[log]) for log, metric, _, _ in self.entries}


class Partition:
    """Splits params into the leaves the optimizer trains and the frozen rest.

    Args:
        model: A built model; its ``trainable_weights`` decide.

    Example:
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2, name="d"),
        ...                        jl.layers.Dense(1, name="e")])
        >>> model.layers[0].trainable = False
        >>> partition = Partition(model)
        >>> partition.train_paths, partition.frozen_paths
        ([('e', 'kernel'), ('e', 'bias')], [('d', 'kernel'), ('d', 'bias')])
    """

    def __init__(self, model):
        entries = tracking.entries(model)
        trainable = {id(v) for v in model.trainable_weights}
        self.train_paths, self.frozen_paths, self.constraints = [], [], []
        for path, var in entries:
            if var.collection != "params":
                continue
            if id(var) in trainable:
                self.train_paths.append(path)
                if var.constraint is not None:
                    self.constraints.append((path, var.constraint))
            else:
                self.frozen_paths.append(path)
        self.key = (tuple(self.train_paths), tuple(self.frozen_paths))

    def split(self, params):
        train, frozen = {}, {}
        for path in self.train_paths:
            tracking.set_path(train, path, tracking.get_path(params, path, "params", "fit"))
        for path in self.frozen_paths:
            tracking.set_path(frozen, path, tracking.get_path(params, path, "params", "fit"))
        return train, frozen

    @staticmethod
    def merge(a, b):
        out = dict(a)
        for k, v in b.items():
            out[k] = Partition.merge(out[k], v) if k in out and isinstance(v, dict) else v
        return out

    def constrain(self, train):
        if not self.constraints:
            return train
        train = jax.tree_util.tree_map(lambda x: x, train)
        for path, constraint in self.constraints:
            node = train
            for part in path[:-1]:
                node = node[part]
            node[path[-1]] = constraint(node[path[-1]])
        return train


def _batch_size(owner, x):
    size = jax.tree_util.tree_leaves(x)[0].shape[0]
    if size == 0:
        # Shapes are static, so this runs once per new batch shape, while tracing.
        raise DataError(
            f"{owner}: a batch of the data has 0 samples. Every batch needs at least one; "
            "check the dataset or generator for empty batches."
        )
    return size


def step_io(owner, outputs, y_pred, y, sw):
    """Predictions, targets and sample weights as lists in the model's output order."""
    return (outputs.flatten(y_pred), outputs.align(owner, y, "y", broadcast=False,
                                                   error=DataError),
            outputs.align(owner, sw, "sample_weight", error=DataError))


def scale_loss(optimizer, loss, optimizer_state):
    """Keras's ``optimizer.scale_loss`` inside a step: the loss the gradients are taken of.

    The optimizer's transform divides the gradients by the same scale (a fixed
    ``loss_scale_factor`` or a ``LossScaleOptimizer``'s dynamic one, read from
    ``optimizer_state``: its optax state or its variables' arrays), so the
    update is the unscaled one.  Without a loss scale the loss is unchanged.
    """
    fn = getattr(optimizer, "scale_loss", None)
    if fn is None:
        return loss
    if "optimizer_variables" in inspect.signature(fn).parameters:
        return fn(loss, optimizer_variables=optimizer_state)
    return fn(loss)


_MULTI_STEP_MODES = ("auto", "scan", "dispatch")
_multi_step = {"value": "auto"}


def set_multi_step_execution(mode):
    """Chooses how ``fit`` runs ``steps_per_execution`` steps (read when ``fit`` builds its steps).

    Args:
        mode: ``'scan'`` (one compiled ``lax.scan`` over the steps: one dispatch),
            ``'dispatch'`` (the compiled single step called that many times
            from Python, with no host sync between them) or ``'auto'`` (the
            default: ``'dispatch'`` on CPU, ``'scan'`` elsewhere).  XLA:CPU runs
            a convolutional step inside a ``while`` loop several times slower
            than the same step dispatched on its own; on GPU and TPU the scan
            saves the per-step launch.  Both give the same updates and the
            same callback calls.

    Example:
        >>> set_multi_step_execution("scan"); multi_step_execution("cpu")
        'scan'
        >>> set_multi_step_execution("auto")
    """
    _multi_step["value"] = _args.one_of("set_multi_step_execution", "mode", mode,
                                        _MULTI_STEP_MODES)


def multi_step_execution(backend=None):
    """``'scan'`` or ``'dispatch'``: how ``steps_per_execution`` steps run on ``backend``.

    Args:
        backend: A JAX platform name; default ``jax.default_backend()``.  Only
            consulted under ``'auto'``.

    Example:
        >>> multi_step_execution("cpu"), multi_step_execution("gpu")
        ('dispatch', 'scan')
    """
    if _multi_step["value"] != "auto":
        return _multi_step["value"]
    backend = jax.default_backend() if backend is None else backend
    return "dispatch" if backend == "cpu" else "scan"


def dispatch_steps(array_step, k, carry, arrays, index, i):
    """``k`` compiled steps from index row ``i`` on, queued without waiting for any."""
    for j in range(k):
        carry, loss = array_step(carry, arrays, index, i + j)
    return carry, loss


def make_carry_start(metric_set):
    """``start(key) -> (metric_states, key)``: the fresh part of a carry, compiled once.

    The rest of the carry is the model's own buffers (see :mod:`lending`).  The
    key is copied, because the step donates it and the trainer keeps its own;
    each metric state gets its own new buffer (one zeros array reused by
    several counters would be donated twice): one dispatch per epoch.
    """
    def start(key):
        return metric_set.init(), jnp.copy(key)

    return jax.jit(start)


def abstract_weights(model):
    """``(params, state)`` of ``model`` as ``jax.ShapeDtypeStruct`` trees (nothing is created)."""
    params, state = {}, {}
    for path, var in tracking.entries(model):
        tracking.set_path(params if var.collection == "params" else state, path,
                          jax.ShapeDtypeStruct(var.shape, var.dtype))
    return params, state


def compile_ahead(jitted, *args):
    """Starts compiling ``jitted`` for ``args`` (arrays or shape structs) in a thread.

    XLA compiles without holding the GIL, so the caller can meanwhile make the
    weights (whose initializers compile too).  The compiled program lands in
    ``jitted``'s own cache.  Returns the thread: join it before calling
    ``jitted``, or the call would compile a second time alongside.  A failure
    is left for that call, which traces again and raises where it should.
    """
    def run():
        try:
            jitted.lower(*args).compile()
        except Exception:  # noqa: BLE001 - the real call reports it
            pass

    thread = threading.Thread(target=run, name="jaxlayers-compile-ahead", daemon=True)
    thread.start()
    return thread


def compile_first_step(model, fns, dataset, metric_set):
    """The thread compiling ``fit``'s first step over ``dataset`` from shapes, or ``None``.

    Only for a step not compiled yet: a first ``fit`` then overlaps the
    step's compile with making the weights and optimizer state (their
    initializers compile too).  ``fns`` are the trainer's array steps.
    """
    k = model.steps_per_execution
    if dataset.full_steps == 0 or (k > 1 and dataset.full_steps >= k
                                   and multi_step_execution() == "scan"):
        return None
    data = dataset.shapes()
    # The carry's shapes are fixed for these steps: the data's decide a new compile.
    signature = ("ahead", id(fns["array_step"]), dataset.full_steps, dataset.batch_size,
                 tuple((a.shape, str(a.dtype)) for a in jax.tree_util.tree_leaves(data)))
    if signature in model._fn_cache:
        return None
    model._fn_cache[signature] = True
    params, state = abstract_weights(model)
    partition = Partition(model)
    opt_state = model._opt_state
    if opt_state is None or model._partition_key != partition.key:
        opt_state = jax.eval_shape(model._tx.init, partition.split(params)[0])
    carry = (params, state, opt_state, jax.eval_shape(metric_set.init), model._train_key)
    return compile_ahead(fns["array_step"], carry, data,
                         jax.ShapeDtypeStruct((dataset.full_steps, dataset.batch_size),
                                              jnp.int32),
                         jax.ShapeDtypeStruct((), jnp.int32))


def make_train_step(model, tx, compiled_loss, metric_set, partition):
    outputs = compiled_loss.outputs
    owner = f"{type(model).__name__} '{model.name}'.fit"

    def step(carry, batch):
        params, state, opt_state, mstates, key = carry
        x, y, sw = batch
        key, sub = jax.random.split(key)
        train, frozen = partition.split(params)
        size = _batch_size(owner, x)

        def loss_fn(train_params):
            p = Partition.merge(train_params, frozen)
            y_pred, new_state, aux = model.apply_with_aux(p, state, x, training=True, key=sub)
            preds, ys, sws = step_io(owner, outputs, y_pred, y, sw)
            total, per_output = compiled_loss(ys, preds, sws)
            reg = sum(aux["losses"]) if aux["losses"] else 0.0
            loss = total + reg
            return scale_loss(model.optimizer, loss, opt_state), (
                loss, preds, ys, sws, new_state, per_output, aux["metrics"])

        (_, (loss, preds, ys, sws, new_state, per_output, added)), grads = jax.value_and_grad(
            loss_fn, has_aux=True)(train)
        updates, opt_state = tx.update(grads, opt_state, train)
        train = partition.constrain(optax.apply_updates(train, updates))
        params = Partition.merge(train, frozen)
        mstates = metric_set.update(mstates, ys, preds, sws, loss, per_output, size, added)
        return (params, new_state, opt_state, mstates, key), loss

    return step


def make_test_step(model, compiled_loss, metric_set):
    outputs = compiled_loss.outputs
    owner = f"{type(model).__name__} '{model.name}'.evaluate"

    def step(params, state, mstates, batch):
        x, y, sw = batch
        size = _batch_size(owner, x)
        y_pred, _, aux = model.apply_with_aux(params, state, x, training=False)
        preds, ys, sws = step_io(owner, outputs, y_pred, y, sw)
        total, per_output = compiled_loss(ys, preds, sws)
        reg = sum(aux["losses"]) if aux["losses"] else 0.0
        return metric_set.update(mstates, ys, preds, sws, total + reg, per_output, size,
                                 aux["metrics"])

    return step


def make_predict_step(model):
    def step(params, state, x):
        return model.apply(params, state, x, training=False)[0]

    return step


__all__ = ["Outputs", "CompiledLoss", "MetricSet", "Partition", "set_multi_step_execution",
           "multi_step_execution"]
