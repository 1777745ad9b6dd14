"""Pure train / test / predict steps and what ``compile`` turns losses and metrics into.

``make_train_step`` returns ``step(carry, batch) -> (carry, loss)`` with
``carry = (params, state, opt_state, metric_states, key)``: the same function
``fit`` jits (with the carry donated) or scans ``steps_per_execution`` times.
Nothing in it is specific to the facade: it only calls ``model.apply_with_aux``.
"""

import jax
import jax.numpy as jnp
import optax

from jaxlayers.core import tracking
from jaxlayers.errors import ConfigError
from jaxlayers.training import losses as losses_lib
from jaxlayers.training import metrics as metrics_lib


def output_names(model, n_outputs):
    tensors = getattr(model, "_output_tensors", None)
    if tensors and len(tensors) == n_outputs:
        names = [t.node.layer.name if t.node is not None else t.name for t in tensors]
        if isinstance(getattr(model, "_outputs_struct", None), dict):
            names = list(model._outputs_struct)
        if len(set(names)) == len(names):
            return names
    return [f"output_{i}" for i in range(n_outputs)] if n_outputs > 1 else ["output"]


def _per_output(owner, spec, names, what, allow_none=True):
    """A list (one entry per output) from a single value, a list or a dict by name."""
    n = len(names)
    if isinstance(spec, dict):
        unknown = [k for k in spec if k not in names]
        if unknown:
            raise ConfigError(
                f"{owner}: `{what}` names outputs {unknown} that the model does not have. "
                f"Output names: {names}."
            )
        return [spec.get(name) for name in names]
    if isinstance(spec, (list, tuple)) and n > 1:
        if len(spec) != n:
            raise ConfigError(
                f"{owner}: `{what}` must have one entry per output ({n}: {names}). "
                f"Received: {len(spec)} entries."
            )
        return list(spec)
    return [spec] * n


def as_loss(identifier):
    loss = losses_lib.get(identifier)
    if loss is None or isinstance(loss, losses_lib.Loss):
        return loss
    return losses_lib.LossFunctionWrapper(loss)


class CompiledLoss:
    """The weighted sum of per-output losses: ``(total, [loss per output])``."""

    def __init__(self, owner, loss, loss_weights, names):
        self.names = names
        self.specs = _per_output(owner, loss, names, "loss")
        self.losses = [as_loss(s) for s in self.specs]
        if all(loss is None for loss in self.losses):
            raise ConfigError(
                f"{owner}: compile() needs a `loss` to train. Received: loss={loss!r}."
            )
        weights = _per_output(owner, loss_weights, names, "loss_weights")
        self.weights = [1.0 if w is None else float(w) for w in weights]

    def __call__(self, y_true, y_pred, sample_weight=None):
        per_output, total = [], 0.0
        sws = sample_weight if isinstance(sample_weight, list) else [sample_weight] * len(
            self.names)
        for loss, w, yt, yp, sw in zip(self.losses, self.weights, y_true, y_pred, sws):
            if loss is None:
                per_output.append(jnp.zeros(()))
                continue
            value = loss(yt, yp, sample_weight=sw)
            per_output.append(value)
            total = total + w * value
        return total, per_output


class MetricSet:
    """All metrics of a compiled model: loss trackers first, then per-output metrics."""

    def __init__(self, owner, metrics, weighted_metrics, compiled_loss, y_specs, pred_specs,
                 added_names=()):
        names = compiled_loss.names
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
            per_output = self._split(owner, spec, names, multi)
            for i, items in enumerate(per_output):
                for item in items or []:
                    metric = self._resolve(item, compiled_loss.specs[i], y_specs[i],
                                           pred_specs[i])
                    log = f"{names[i]}_{metric.name}" if multi else metric.name
                    self.entries.append((log, metric, ("output", i), weighted))
        # Values a layer reports with add_metric(value, name): averaged over the epoch.
        for name in added_names:
            self.entries.append((name, metrics_lib.Mean(name=name), ("added", name), False))
        self.y_specs, self.pred_specs = y_specs, pred_specs

    @staticmethod
    def _split(owner, spec, names, multi):
        if isinstance(spec, dict):
            return _per_output(owner, spec, names, "metrics")
        if not isinstance(spec, (list, tuple)):
            spec = [spec]
        if multi and spec and all(isinstance(s, (list, tuple)) or s is None for s in spec):
            return _per_output(owner, list(spec), names, "metrics")
        return [list(spec)] * len(names)

    @staticmethod
    def _resolve(item, loss_spec, y_spec, pred_spec):
        if isinstance(item, str) and item in ("accuracy", "acc"):
            return metrics_lib.resolve_accuracy(loss_spec, y_spec.shape, pred_spec.shape,
                                                name=item)
        metric = metrics_lib.get(item)
        if isinstance(metric, metrics_lib.Metric):
            if isinstance(item, str):
                metric.name = item
            return metric
        return metrics_lib.MeanMetricWrapper(metric, name=item if isinstance(item, str)
                                             else getattr(metric, "__name__", "metric"))

    @property
    def names(self):
        return [e[0] for e in self.entries]

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
        new = dict(states)
        sws = sample_weight if isinstance(sample_weight, list) else [sample_weight] * len(
            y_pred)
        for log, metric, target, weighted in self.entries:
            if target == "total":
                new[log] = metric.update(states[log], total, None,
                                         sample_weight=jnp.asarray(batch_size, jnp.float32))
            elif target[0] == "loss":
                new[log] = metric.update(states[log], per_output[target[1]], None,
                                         sample_weight=jnp.asarray(batch_size, jnp.float32))
            elif target[0] == "added":
                new[log] = metric.update(states[log], (added or {})[target[1]], None,
                                         sample_weight=jnp.asarray(batch_size, jnp.float32))
            else:
                i = target[1]
                sw = sws[i] if weighted else None
                new[log] = metric.update(states[log], y_true[i], y_pred[i], sample_weight=sw)
        return new

    def results(self, states):
        return {log: metric.result(states[log]) for log, metric, _, _ in self.entries}


class Partition:
    """Splits params into the leaves the optimizer trains and the frozen rest."""

    def __init__(self, model):
        entries = model._entries()[0]
        trainable = {id(v) for v in model.trainable_weights}
        self.train_paths, self.frozen_paths, self.constraints = [], [], []
        for path, var in entries:
            if not var._in_params:
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


def flatten_outputs(y):
    if y is None:
        return None
    if isinstance(y, dict):
        return y
    return jax.tree_util.tree_leaves(y)


def align_targets(names, y):
    """Labels as a list in output order, from an array, a list or a dict by output name."""
    if isinstance(y, dict):
        return [y.get(n) for n in names]
    if isinstance(y, (list, tuple)):
        return list(y)
    return [y]


def _batch_size(x):
    return jax.tree_util.tree_leaves(x)[0].shape[0]


def make_train_step(model, tx, compiled_loss, metric_set, partition):
    names = compiled_loss.names

    def step(carry, batch):
        params, state, opt_state, mstates, key = carry
        x, y, sw = batch
        key, sub = jax.random.split(key)
        train, frozen = partition.split(params)

        def loss_fn(train_params):
            p = Partition.merge(train_params, frozen)
            y_pred, new_state, aux = model.apply_with_aux(p, state, x, training=True, key=sub)
            preds = jax.tree_util.tree_leaves(y_pred)
            total, per_output = compiled_loss(align_targets(names, y), preds,
                                              align_targets(names, sw) if isinstance(
                                                  sw, (list, dict)) else sw)
            reg = sum(aux["losses"]) if aux["losses"] else 0.0
            return total + reg, (preds, new_state, per_output, aux["metrics"])

        (loss, (preds, new_state, per_output, added)), grads = jax.value_and_grad(
            loss_fn, has_aux=True)(train)
        updates, opt_state = tx.update(grads, opt_state, train)
        train = partition.constrain(optax.apply_updates(train, updates))
        params = Partition.merge(train, frozen)
        mstates = metric_set.update(
            mstates, align_targets(names, y), preds,
            align_targets(names, sw) if isinstance(sw, (list, dict)) else sw,
            loss, per_output, _batch_size(x), added)
        return (params, new_state, opt_state, mstates, key), loss

    return step


def make_test_step(model, compiled_loss, metric_set):
    names = compiled_loss.names

    def step(params, state, mstates, batch):
        x, y, sw = batch
        y_pred, _, aux = model.apply_with_aux(params, state, x, training=False)
        preds = jax.tree_util.tree_leaves(y_pred)
        sws = align_targets(names, sw) if isinstance(sw, (list, dict)) else sw
        total, per_output = compiled_loss(align_targets(names, y), preds, sws)
        reg = sum(aux["losses"]) if aux["losses"] else 0.0
        return metric_set.update(mstates, align_targets(names, y), preds, sws, total + reg,
                                 per_output, _batch_size(x), aux["metrics"])

    return step


def make_predict_step(model):
    def step(params, state, x):
        return model.apply(params, state, x, training=False)[0]

    return step


__all__ = ["CompiledLoss", "MetricSet", "Partition", "make_train_step", "make_test_step",
           "make_predict_step", "output_names", "align_targets"]
