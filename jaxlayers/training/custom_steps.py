"""Keras 3's JAX-backend step protocol: ``train_step(state, data)`` over lists of arrays.

A ``Model`` subclass may override ``train_step``, ``test_step``,
``predict_step``, ``compute_loss``, ``compute_loss_and_updates`` or the
``metrics`` property exactly as in Keras 3 with the JAX backend.  ``fit``,
``evaluate`` and ``predict`` (and the ``*_on_batch`` methods) then drive those
methods instead of the trainer's own fused steps (:mod:`steps`):

- train: ``state = (trainable, non_trainable, optimizer, metrics)`` variables
  as lists of arrays; ``train_step(state, data) -> (logs, state)``.
- test: ``state = (trainable, non_trainable, metrics)``; the same return.
- predict: ``state = (trainable, non_trainable)``;
  ``predict_step(state, data) -> (outputs, non_trainable)``.

Each step is jitted once (per data shape) with its state donated, and the
running values are written back into the model's variables, the optimizer
state and the metric objects at the end of the epoch (and before a callback
reads the model mid-epoch).  The optimizer state is the trainer's optax state
over the list of trainable values, so ``optimizer_variables`` are its leaves.

A model that overrides none of these runs the fused steps: same results,
no per-step Python.  Randomness: inside a step, ``self.stateless_call``
without a ``key`` draws one from the step's key (split per step by the
trainer), so dropout works in a custom ``train_step`` as it does in Keras.
"""

import contextlib
import inspect
import threading
import weakref

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxlayers import random as random_lib
from jaxlayers.errors import ConfigTypeError
from jaxlayers.training import data as data_lib
from jaxlayers.training import metrics as metrics_lib
from jaxlayers.training import steps as steps_lib

# Keras's JAX-backend signatures, the placeholders bound to check an override.
_SIGNATURES = {
    "train_step": ("train_step(self, state, data)", 2, {}),
    "test_step": ("test_step(self, state, data)", 2, {}),
    "predict_step": ("predict_step(self, state, data)", 2, {}),
    "compute_loss": ("compute_loss(self, x, y, y_pred, sample_weight, training=True)", 4, {}),
    "compute_loss_and_updates": (
        "compute_loss_and_updates(self, trainable_variables, non_trainable_variables, "
        "metrics_variables, x, y, sample_weight, training=False, optimizer_variables=None)",
        6, {"training": True, "optimizer_variables": None}),
}

# Which overrides make each entry point run the Keras-protocol steps.
_HOOKS = {
    "fit": ("train_step", "compute_loss", "compute_loss_and_updates", "metrics"),
    "evaluate": ("test_step", "compute_loss", "compute_loss_and_updates", "metrics"),
    "predict": ("predict_step",),
}


class LazyLogs(dict):
    """Batch logs whose values are fetched from the device only when read.

    A callback that never reads the logs costs no device-to-host copy.

    Args:
        compute: Callable without arguments returning the logs dict; called
            once, on the first read.

    Example:
        >>> logs = LazyLogs(lambda: {"loss": 0.5})
        >>> logs["loss"], len(logs)
        (0.5, 1)
    """

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


def to_host(results):
    """Scalars as floats; per-class results (``F1Score(average=None)``) as arrays.

    A value that is itself a dict (a custom step returning the compiled
    metrics' result under one key) is merged into the logs, as Keras does.
    """
    host = {}
    for k, v in jax.device_get(dict(results)).items():
        if isinstance(v, dict):
            host.update(to_host(v))
        else:
            host[k] = float(v) if np.ndim(v) == 0 else np.asarray(v)
    return host


# ----------------------------------------------------------------------------- overrides
def _static(cls, name):
    """``name`` as the class defines it, without running descriptors (``getattr_static``'s
    answer for a class attribute, about 10x faster: predict asks 8 times per call)."""
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return klass.__dict__[name]
    return None


def overridden(model, name):
    """Whether ``type(model)`` replaces the :class:`KerasSteps` default of ``name``."""
    return _static(type(model), name) is not _static(KerasSteps, name)


# Model classes that override none of the step methods (nothing to check): the
# answer for them is False for every entry point, found once per class.
_PLAIN_CLASSES = weakref.WeakSet()
_STEP_METHODS = ("train_step", "test_step", "predict_step", "compute_loss",
                 "compute_loss_and_updates", "metrics")


def uses_custom_steps(model, entry):
    """Whether ``entry`` (``"fit"``, ``"evaluate"``, ``"predict"``) runs the model's
    Keras-protocol step methods, after checking their signatures."""
    cls = type(model)
    if cls in _PLAIN_CLASSES:
        return False
    if not any(overridden(model, name) for name in _STEP_METHODS):
        _PLAIN_CLASSES.add(cls)
        return False
    # Every overridden step is checked whatever the entry point: fit's validation
    # runs test_step, and a wrong override is an error before anything is traced.
    for name in ("train_step", "test_step", "predict_step"):
        check_signature(model, name)
    hooks = [name for name in _HOOKS[entry] if overridden(model, name)]
    if not hooks:
        return False
    step = {"fit": "train_step", "evaluate": "test_step", "predict": "predict_step"}[entry]
    if entry != "predict" and not overridden(model, step):
        caller = f"the default {step}"
        check_signature(model, "compute_loss_and_updates", caller)
        if not overridden(model, "compute_loss_and_updates"):
            check_signature(model, "compute_loss", "the default compute_loss_and_updates")
    return True


def check_signature(model, name, caller=None):
    """A ``ConfigTypeError`` naming the method and Keras's signature when an override
    cannot be called the way the trainer calls it (before anything is traced).

    ``caller`` names the default method that calls ``name`` (an override of a
    helper is only checked when the trainer's default step uses it).
    """
    if not overridden(model, name):
        return
    expected, n, kwargs = _SIGNATURES[name]
    method = getattr(model, name)
    try:
        signature = inspect.signature(method)
    except (TypeError, ValueError):  # a builtin or C callable: nothing to check
        return
    kwargs = {k: v for k, v in kwargs.items() if k != "training" or _takes(signature, k)}
    try:
        signature.bind(*([None] * n), **kwargs)
    except TypeError:
        hint = (" Keras's TensorFlow-style train_step(self, data) does not apply here: "
                "unpack the variables from `state` and return (logs, new_state)."
                if name.endswith("_step") else
                f" It is called by {caller}: give it that signature, or override "
                f"{caller.split()[-1]} too.")
        raise ConfigTypeError(
            f"{type(model).__name__} '{model.name}': the override of `{name}` must have "
            f"the signature {expected}, as in Keras 3's JAX backend.{hint} Received: "
            f"{name}{signature}."
        ) from None


def _takes(signature, name):
    return name in signature.parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values())


def check_step_result(model, name, result, state):
    """A ``ConfigTypeError`` when a step returns another structure than Keras's (at trace)."""
    expected = ("(y_pred, non_trainable_variables)" if name == "predict_step"
                else "(logs, new_state)")
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise ConfigTypeError(
            f"{type(model).__name__} '{model.name}': `{name}` must return {expected}, as in "
            f"Keras 3's JAX backend. Received: {type(result).__name__}"
            f"{f' of length {len(result)}' if isinstance(result, (tuple, list)) else ''}."
        )
    new_state = result[1] if name != "predict_step" else (state[0], result[1])
    sizes = [len(part) for part in state]
    got = ([len(part) if isinstance(part, (list, tuple)) else None for part in new_state]
           if isinstance(new_state, (list, tuple)) else None)
    if got != sizes:
        raise ConfigTypeError(
            f"{type(model).__name__} '{model.name}': `{name}` must return its state as "
            f"{len(sizes)} lists of {sizes} arrays, in the order it received them. "
            f"Received: {got if got is not None else type(new_state).__name__}."
        )
    return result[0], tuple(list(part) for part in new_state)


# ----------------------------------------------------------------------------- step key
_STEP = threading.local()


@contextlib.contextmanager
def step_key(key):
    """Makes ``key`` the source of keys for ``stateless_call`` and ``jl.random`` draws
    inside one traced step."""
    previous = getattr(_STEP, "key", None), getattr(_STEP, "count", 0)
    _STEP.key, _STEP.count = key, 0
    try:
        with random_lib.key_source(_next_step_key):  # jl.random draws in the step itself
            yield
    finally:
        _STEP.key, _STEP.count = previous


def _next_step_key():
    key = getattr(_STEP, "key", None)
    if key is None:
        return None
    _STEP.count += 1
    return jax.random.fold_in(key, _STEP.count)


def tracked_optimizers(model):
    """The optimizers whose variables make a train step's ``optimizer_variables``.

    The compiled ``model.optimizer`` first (all Keras has), then optimizer
    objects set as attributes of the model (a GAN's ``d_optimizer`` and
    ``g_optimizer``), in the order they were set; each appears once.
    """
    out = [model.optimizer]
    for value in vars(model).values():
        if (hasattr(value, "stateless_apply") and hasattr(value, "variables")
                and all(value is not o for o in out)):
            out.append(value)
    return out


# ----------------------------------------------------------------------------- metrics
def metric_values(metric):
    """The arrays of ``metric.variables`` (plain arrays or ``Variable``s)."""
    return [getattr(v, "value", v) for v in metric.variables]


def set_metric_values(metric, values):
    """Writes ``values`` (one array per ``metric.variables`` entry) back into ``metric``."""
    if isinstance(metric, CompileMetrics):
        metric.set_values(values)
        return
    variables = metric.variables
    if variables and all(hasattr(v, "assign") for v in variables):
        for var, value in zip(variables, values):
            var.assign(value)
    elif values:
        metric._state = metric._from_list(list(values))


def split_metric_values(metrics, values):
    """``values`` cut into one list per metric, by each metric's number of variables."""
    out, start = [], 0
    for metric in metrics:
        n = len(metric.variables)
        out.append(list(values[start:start + n]))
        start += n
    return out


def metric_results(metrics, values):
    """Keras's ``get_metrics_result`` over explicit values: a dict result is merged in."""
    logs = {}
    for metric, vals in zip(metrics, split_metric_values(metrics, values)):
        result = metric.stateless_result(vals)
        if isinstance(result, dict):
            logs.update(result)
        else:
            logs[metric.name] = result
    return logs


class CompileMetrics:
    """The metrics given to ``compile(metrics=...)`` as one Keras-style metric object.

    ``model.metrics`` lists it after the loss tracker, as Keras does:
    ``stateless_update_state(variables, y, y_pred, sample_weight)`` updates every
    compiled metric and ``stateless_result`` returns their values as a dict.

    Args:
        metric_set: The model's :class:`~jaxlayers.training.steps.MetricSet`.
        outputs: The model's :class:`~jaxlayers.training.steps.Outputs`.

    Example:
        >>> from jaxlayers.training import steps
        >>> outputs = steps.Outputs(None, jnp.zeros((2, 1)))
        >>> loss = steps.CompiledLoss("model", "mse", None, outputs)
        >>> spec = jax.ShapeDtypeStruct((2, 1), jnp.float32)
        >>> metric_set = steps.MetricSet("model", ["mae"], None, loss, [spec], [spec])
        >>> metrics = CompileMetrics(metric_set, outputs)
        >>> metrics.name, [m.name for m in metrics.metrics]
        ('compile_metrics', ['mae'])
    """

    name = "compile_metrics"

    def __init__(self, metric_set, outputs):
        self._outputs = outputs
        self._set = metric_set
        self._entries = [e for e in metric_set.entries if e[2] != "total"
                         and e[2][0] == "output"]
        self._treedef = jax.tree_util.tree_structure(self._init())
        self._values = None

    def _init(self):
        return {log: metric.init(self._set.y_specs[target[1]], self._set.pred_specs[target[1]])
                for log, metric, target, _ in self._entries}

    @property
    def metrics(self):
        return [metric for _, metric, _, _ in self._entries]

    @property
    def names(self):
        """The log names of the compiled metrics, in order."""
        return [e[0] for e in self._entries]

    @property
    def variables(self):
        if self._values is None:
            self._values = jax.tree_util.tree_leaves(self._init())
        return list(self._values)

    def set_values(self, values):
        self._values = list(values)

    def reset_state(self):
        self._values = None

    def stateless_reset_state(self):
        return jax.tree_util.tree_leaves(self._init())

    def stateless_update_state(self, metric_variables, y_true, y_pred, sample_weight=None):
        state = self._treedef.unflatten(list(metric_variables))
        outputs = self._outputs
        preds = outputs.flatten(y_pred)
        ys = outputs.align(f"{self.name}", y_true, "y", broadcast=False)
        sws = outputs.align(f"{self.name}", sample_weight, "sample_weight")
        new = {}
        for log, metric, target, weighted in self._entries:
            i = target[1]
            new[log] = metric.update(state[log], ys[i], preds[i],
                                     sample_weight=sws[i] if weighted else None)
        return jax.tree_util.tree_leaves(new)

    def stateless_result(self, metric_variables):
        state = self._treedef.unflatten(list(metric_variables))
        return {log: metric.result(state[log]) for log, metric, _, _ in self._entries}

    def result(self):
        return self.stateless_result(self.variables)

    def __repr__(self):
        return f"<CompileMetrics {[e[0] for e in self._entries]}>"


# ----------------------------------------------------------------------------- defaults
class KerasSteps:
    """Keras 3's overridable step methods (a mixin of ``Trainer``); see the module notes.

    Example:
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> isinstance(model, KerasSteps), [m.name for m in model.metrics]
        (True, ['loss'])
    """

    # ---------------------------------------------------------------- metrics
    @property
    def metrics(self):
        """The metric objects whose variables make ``metrics_variables``, in order.

        By default (after ``compile``) the loss tracker, then the compiled metrics
        as one object (once ``fit`` or ``evaluate`` has seen the outputs), then
        metric objects set as attributes of the model.  Override it to list your
        own trackers, as in Keras's custom ``train_step`` guide.
        """
        out = []
        if self.compiled:
            out.append(self._keras_loss_tracker())
            compiled = self.__dict__.get("_keras_compile_metrics")
            if compiled is not None:
                out.append(compiled)
        out.extend(v for v in vars(self).values() if isinstance(v, metrics_lib.Metric)
                   and v not in out)
        return out

    @property
    def metrics_variables(self):
        """The current values of every metric in ``self.metrics``, as one flat list."""
        return [v for m in self.metrics for v in metric_values(m)]

    def reset_metrics(self):
        """Resets every metric in ``self.metrics``."""
        for metric in self.metrics:
            metric.reset_state()

    def get_metrics_result(self):
        """``{name: value}`` of every metric in ``self.metrics`` (dict results merged)."""
        metrics = self.metrics
        return metric_results(metrics, [v for m in metrics for v in metric_values(m)])

    def _keras_loss_tracker(self):
        tracker = self.__dict__.get("_keras_tracker")
        if tracker is None:
            tracker = self.__dict__["_keras_tracker"] = metrics_lib.Mean(name="loss")
        return tracker

    # ---------------------------------------------------------------- losses
    @property
    def losses(self):
        override = self.__dict__.get("_keras_losses_override")
        return list(override) if override is not None else super().losses

    def stateless_call(self, trainable_variables, non_trainable_variables, *args,
                       return_losses=False, key=None, **kwargs):
        """Keras's stateless call (see ``Layer.stateless_call``).

        Inside a step run by ``fit``/``evaluate``, a call without ``key`` gets one
        derived from the step's key, so random layers work in a custom step.
        """
        if key is None:
            key = _next_step_key()
        return super().stateless_call(trainable_variables, non_trainable_variables, *args,
                                      return_losses=return_losses, key=key, **kwargs)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss of ``(y, y_pred)`` plus ``self.losses`` (regularizers,
        ``add_loss``), as a scalar; overridable as in Keras."""
        del x, training
        total = jnp.zeros(())
        compiled = self.__dict__.get("_keras_compiled_loss")
        if compiled is not None and y is not None:
            outputs = compiled.outputs
            owner = f"{type(self).__name__} '{self.name}'"
            preds, ys, sws = steps_lib.step_io(owner, outputs, y_pred, y, sample_weight)
            total = total + compiled(ys, preds, sws)[0]
        for loss in self.losses:
            total = total + jnp.sum(jnp.asarray(loss, jnp.float32))
        return total

    def compute_loss_and_updates(self, trainable_variables, non_trainable_variables,
                                 metrics_variables, x, y, sample_weight, training=False,
                                 optimizer_variables=None):
        """``(loss, (unscaled_loss, y_pred, non_trainable, metrics_variables))``.

        Pure, for ``jax.value_and_grad(..., has_aux=True)``: runs the model with
        ``stateless_call`` and scores it with :meth:`compute_loss`; in training
        the loss is scaled by the optimizer's loss scale (``optimizer_variables``
        hold the dynamic one), as in Keras.
        """
        y_pred, non_trainable_variables, losses = self.stateless_call(
            trainable_variables, non_trainable_variables, x, return_losses=True,
            training=training)
        self.__dict__["_keras_losses_override"] = losses
        try:
            if _takes(inspect.signature(self.compute_loss), "training"):
                loss = self.compute_loss(x, y, y_pred, sample_weight, training=training)
            else:
                loss = self.compute_loss(x, y, y_pred, sample_weight)
        finally:
            self.__dict__["_keras_losses_override"] = None
        unscaled = loss
        if training and self.optimizer is not None and optimizer_variables is not None:
            n = self.__dict__.get("_keras_opt_treedef")
            own = optimizer_variables[:n.num_leaves] if n is not None else optimizer_variables
            loss = steps_lib.scale_loss(self.optimizer, loss, list(own))
        return loss, (unscaled, y_pred, non_trainable_variables, metrics_variables)

    def _keras_update_metrics(self, metrics_variables, loss, x, y, y_pred, sample_weight):
        metrics = self.metrics
        size = jax.tree_util.tree_leaves(x)[0].shape[0]
        tracker = self.__dict__.get("_keras_tracker")
        compiled = self.__dict__.get("_keras_compile_metrics")
        new = []
        for metric, vals in zip(metrics, split_metric_values(metrics, metrics_variables)):
            if metric is tracker:
                vals = metric.stateless_update_state(vals, loss, sample_weight=jnp.asarray(
                    size, jnp.float32))
            elif metric is compiled and y is not None:
                vals = metric.stateless_update_state(vals, y, y_pred, sample_weight)
            new.extend(vals)
        return metric_results(metrics, new), new

    # ---------------------------------------------------------------- steps
    def train_step(self, state, data):
        """One optimizer step: ``(logs, new_state)`` from ``(trainable, non_trainable,
        optimizer, metrics)`` variables and a batch; overridable as in Keras."""
        trainable, non_trainable, optimizer_vars, metrics_vars = state
        x, y, sample_weight = data_lib.unpack_batch_data(data)
        (_, aux), grads = jax.value_and_grad(self.compute_loss_and_updates, has_aux=True)(
            trainable, non_trainable, metrics_vars, x, y, sample_weight, training=True,
            optimizer_variables=optimizer_vars)
        loss, y_pred, non_trainable, metrics_vars = aux
        # The compiled optimizer's leaves come first; optimizers the model holds follow.
        n = self._keras_opt_treedef.num_leaves
        trainable, own = self._keras_apply_optimizer(optimizer_vars[:n], grads, trainable)
        optimizer_vars = list(own) + list(optimizer_vars[n:])
        logs, metrics_vars = self._keras_update_metrics(metrics_vars, loss, x, y, y_pred,
                                                        sample_weight)
        return logs, (trainable, non_trainable, optimizer_vars, metrics_vars)

    def test_step(self, state, data):
        """Loss and metrics on a batch: ``(logs, (trainable, non_trainable, metrics))``."""
        trainable, non_trainable, metrics_vars = state
        x, y, sample_weight = data_lib.unpack_batch_data(data)
        _, (loss, y_pred, non_trainable, metrics_vars) = self.compute_loss_and_updates(
            trainable, non_trainable, metrics_vars, x, y, sample_weight, training=False)
        logs, metrics_vars = self._keras_update_metrics(metrics_vars, loss, x, y, y_pred,
                                                        sample_weight)
        return logs, (trainable, non_trainable, metrics_vars)

    def predict_step(self, state, data):
        """The outputs on a batch: ``(y_pred, non_trainable)``."""
        trainable, non_trainable = state
        x, _, _ = data_lib.unpack_batch_data(data)
        return self.stateless_call(trainable, non_trainable, x, training=False)

    def _keras_apply_optimizer(self, optimizer_variables, grads, trainable_variables):
        """``optimizer.stateless_apply``, or for a raw optax transform the same on lists."""
        if hasattr(self.optimizer, "stateless_apply"):
            return self.optimizer.stateless_apply(optimizer_variables, grads,
                                                  trainable_variables)
        opt_state = jax.tree_util.tree_unflatten(self._keras_opt_treedef,
                                                 list(optimizer_variables))
        grads, trainable = list(grads), list(trainable_variables)
        updates, opt_state = self._tx.update(grads, opt_state, trainable)
        new = optax.apply_updates(trainable, updates)
        new = [var.constraint(v) if var.constraint is not None else v
               for var, v in zip(self.trainable_variables, new)]
        return new, jax.tree_util.tree_leaves(opt_state)


__all__ = ["KerasSteps", "CompileMetrics", "LazyLogs"]
