"""Metrics as the objects Keras users hold: eager, stateless in jit, user subclasses, in fit.

Every metric class of ``jl.metrics`` is probed against its Keras 3 twin with
the same two batches (the second weighted): the eager ``update_state`` /
``result`` / ``reset_state`` facade, and the ``stateless_*`` list API inside
one ``jax.jit``.  A metric written the Keras way (``add_variable`` /
``add_weight``, ``assign``/``assign_add``, ``result()`` reading variables) is
checked eagerly, through the stateless API and in ``compile(metrics=...)``.
"""

import inspect

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers.core.variables import Variable
from jaxlayers.errors import ConfigError, ConfigTypeError, DTypeError, StateError

N = 4

# Metric class -> (constructor kwargs, kind of (y_true, y_pred) it scores).
CASES = {
    "Mean": ({}, "values"),
    "Sum": ({}, "values"),
    "MeanMetricWrapper": ({"fn": "mean_squared_error"}, "regression"),
    "Accuracy": ({}, "ids"),
    "BinaryAccuracy": ({"threshold": 0.4}, "binary"),
    "CategoricalAccuracy": ({}, "onehot"),
    "SparseCategoricalAccuracy": ({}, "sparse"),
    "TopKCategoricalAccuracy": ({"k": 2}, "onehot"),
    "SparseTopKCategoricalAccuracy": ({"k": 2}, "sparse"),
    "MeanSquaredError": ({}, "regression"),
    "MeanAbsoluteError": ({}, "regression"),
    "MeanAbsolutePercentageError": ({}, "regression"),
    "MeanSquaredLogarithmicError": ({}, "positive"),
    "RootMeanSquaredError": ({}, "regression"),
    "CosineSimilarity": ({}, "regression"),
    "LogCoshError": ({}, "regression"),
    "BinaryCrossentropy": ({}, "binary"),
    "CategoricalCrossentropy": ({}, "onehot"),
    "SparseCategoricalCrossentropy": ({}, "sparse"),
    "KLDivergence": ({}, "onehot"),
    "Poisson": ({}, "positive"),
    "Hinge": ({}, "binary"),
    "SquaredHinge": ({}, "binary"),
    "CategoricalHinge": ({}, "onehot"),
    "AUC": ({"num_thresholds": 9}, "binary"),
    "Precision": ({}, "binary"),
    "Recall": ({"thresholds": [0.3, 0.6]}, "binary"),
    "F1Score": ({"threshold": 0.5}, "multilabel"),
    "FBetaScore": ({"beta": 2.0, "threshold": 0.5}, "multilabel"),
    "TruePositives": ({}, "binary"),
    "TrueNegatives": ({}, "binary"),
    "FalsePositives": ({}, "binary"),
    "FalseNegatives": ({}, "binary"),
    "IoU": ({"num_classes": 3, "target_class_ids": [0, 2]}, "ids"),
    "MeanIoU": ({"num_classes": 3}, "ids"),
    "BinaryIoU": ({}, "binary"),
    "OneHotIoU": ({"num_classes": 3, "target_class_ids": [1]}, "onehot"),
    "OneHotMeanIoU": ({"num_classes": 3}, "onehot"),
    "R2Score": ({}, "regression"),
    "PearsonCorrelation": ({}, "regression"),
    "ConcordanceCorrelation": ({}, "regression"),
    "PrecisionAtRecall": ({"recall": 0.5, "num_thresholds": 9}, "binary"),
    "RecallAtPrecision": ({"precision": 0.5, "num_thresholds": 9}, "binary"),
    "SensitivityAtSpecificity": ({"specificity": 0.5, "num_thresholds": 9}, "binary"),
    "SpecificityAtSensitivity": ({"sensitivity": 0.5, "num_thresholds": 9}, "binary"),
}


def metric_classes():
    return sorted(n for n in jl.metrics.__all__ if inspect.isclass(getattr(jl.metrics, n))
                  and issubclass(getattr(jl.metrics, n), jl.metrics.Metric)
                  and n != "Metric")


def batch(kind, rng):
    """One ``(args, sample_weight)`` batch of ``kind``."""
    f32 = np.float32
    sw = rng.uniform(0.2, 2, (N,)).astype(f32)
    if kind == "values":
        return (rng.normal(size=(N,)).astype(f32),), sw
    if kind == "ids":
        return (rng.integers(0, 3, (N,)), rng.integers(0, 3, (N,))), sw
    if kind == "binary":
        return (rng.integers(0, 2, (N, 1)).astype(f32), rng.uniform(0, 1, (N, 1)).astype(f32)), sw
    if kind == "multilabel":
        return (rng.integers(0, 2, (N, 3)).astype(f32), rng.uniform(0, 1, (N, 3)).astype(f32)), sw
    if kind in ("onehot", "sparse"):
        ids, x = rng.integers(0, 3, (N,)), rng.normal(size=(N, 3))
        p = (np.exp(x) / np.exp(x).sum(-1, keepdims=True)).astype(f32)
        return ((np.eye(3, dtype=f32)[ids] if kind == "onehot" else ids.astype(np.int32)), p), sw
    if kind == "regression":
        return (rng.normal(size=(N, 2)).astype(f32), rng.normal(size=(N, 2)).astype(f32)), sw
    assert kind == "positive"
    return (rng.uniform(0.1, 2, (N, 2)).astype(f32), rng.uniform(0.1, 2, (N, 2)).astype(f32)), sw


def make(module, name):
    kwargs, _ = CASES[name]
    if "fn" in kwargs:
        kwargs = dict(kwargs, fn=getattr(module, kwargs["fn"]))
    return getattr(module, name)(**kwargs)


def close(ours, theirs):
    if isinstance(theirs, list):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            close(a, b)
        return
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=2e-5, atol=2e-6)


def test_every_metric_class_has_a_case():
    assert sorted(CASES) == metric_classes()


def run_stateless(metric, variables, a1, a2, sw2):
    """Two updates (the second weighted) and the result, through the stateless list API."""
    variables = metric.stateless_update_state(variables, *a1)
    variables = metric.stateless_update_state(variables, *a2, sample_weight=sw2)
    return variables, metric.stateless_result(variables)


# The IoU metrics count in int32, as Keras's do, and say so for fractional weights.
@pytest.mark.filterwarnings("ignore:.*truncated to the integer state dtype")
@pytest.mark.parametrize("name", sorted(CASES))
def test_builtin_metric_objects_match_keras(name, keras, rng):
    (a1, _), (a2, sw2) = batch(CASES[name][1], rng), batch(CASES[name][1], rng)
    theirs = make(keras.metrics, name)
    if not theirs.variables:  # Keras sizes F1Score's state on its first update
        theirs._build(np.shape(a1[0]), np.shape(a1[1]))
    # One compiled call instead of Keras's op-by-op eager updates keeps this cheap.
    _, want = jax.jit(lambda *a: run_stateless(theirs, *a))(
        [v.value for v in theirs.variables], a1, a2, sw2)
    want = np.asarray(want)

    ours = make(jl.metrics, name)
    ours.update_state(*a1)
    ours.update_state(*a2, sample_weight=sw2)
    close(ours.result(), want)
    assert ours.variables and all(isinstance(v, Variable) for v in ours.variables)
    stored = [v.numpy() for v in ours.variables]

    # From reset values, the stateless path in one jit gives the same result and
    # leaves the metric's own variables alone; Variables go into jit directly.
    fresh = make(jl.metrics, name)
    fresh.update_state(*a1)
    fresh.reset_state()
    reset_values = fresh.stateless_reset_state()
    close(reset_values, [v.numpy() for v in fresh.variables])
    unused = make(jl.metrics, name)
    if unused.variables:  # F1Score, R2Score: no state before data sizes it
        close(fresh.result(), unused.result())
    new, value = jax.jit(lambda *a: run_stateless(ours, *a))(fresh.variables, a1, a2, sw2)
    close(value, want)
    close(new, stored)
    close([v.numpy() for v in ours.variables], stored)


def test_stateless_update_checks_the_number_of_variables():
    with pytest.raises(ConfigError, match=r"Mean 'mean': `metric_variables` must hold one array "
                       r"per state entry \['count', 'total'\]\. Received: 3 arrays\."):
        jl.metrics.Mean().stateless_update_state([0.0, 0.0, 0.0], jnp.ones(2))


# Each case fails before anything is traced or compiled, so all of them stay cheap.
@pytest.mark.parametrize("name", sorted(CASES))
def test_text_given_to_a_metric_is_named_before_tracing(name, rng):
    args, weights = batch(CASES[name][1], rng)
    metric = make(jl.metrics, name)
    first = "values" if CASES[name][1] == "values" else "y_true"
    with pytest.raises(DTypeError, match=rf"{name} '\w+': `{first}` must be a numeric array "
                       r"\(bool, int, float or complex\)\. Received: \w+='abc' \(dtype <U3\)\."):
        metric.update_state("abc", *args[1:])
    with pytest.raises(DTypeError, match=r"`sample_weight` must be a numeric array.*"
                       r"Received: sample_weight=array\(\['a', 'b'"):
        metric.update_state(*args, sample_weight=np.array(["a", "b", "c", "d"]))
    if first == "y_true":
        with pytest.raises(DTypeError, match=r"`y_pred` must be a numeric array.*"
                           r"Received: y_pred=\[\['x'\]\]"):
            metric.update_state(args[0], [["x"]])
    variables = [v.value for v in metric.variables]
    with pytest.raises(DTypeError, match=rf"`{first}` must be a numeric array"):
        metric.stateless_update_state(variables, "abc", *args[1:])
    # Nothing was accumulated by the refused calls.
    fresh = make(jl.metrics, name)
    close([v.numpy() for v in metric.variables], [v.numpy() for v in fresh.variables])
    del weights


# --------------------------------------------------------------------------- user subclass
def hit_rate_class(base, ops):
    """The same Keras-style metric on ``base`` (``jl.metrics.Metric`` or Keras's)."""

    class HitRate(base):
        """Weighted share of predictions within 0.5 of the label, and a batch counter."""

        def __init__(self, name="hit_rate", **kwargs):
            super().__init__(name=name, **kwargs)
            self.hits = self.add_variable(shape=(), initializer="zeros", name="hits")
            self.seen = self.add_weight(name="seen", initializer="zeros")
            self.batches = self.add_variable((), "zeros", dtype="int32", name="batches")

        def update_state(self, y_true, y_pred, sample_weight=None):
            close_enough = ops.cast(ops.abs(y_true - y_pred) < 0.5, "float32")
            close_enough = ops.mean(close_enough, axis=-1)
            weight = ops.ones_like(close_enough) if sample_weight is None else sample_weight
            self.hits.assign(self.hits + ops.sum(close_enough * weight))
            self.seen.assign_add(ops.sum(weight))
            self.batches.assign_add(1)

        def result(self):
            return self.hits / (self.seen.value + 1e-9) + 0 * ops.cast(self.batches, "float32")

    return HitRate


@pytest.fixture(scope="module")
def regression_batches():
    rng = np.random.default_rng(15)
    return [batch("regression", rng) for _ in range(2)]


def test_keras_style_metric_subclass_eager_and_stateless(keras, regression_batches):
    (a1, _), (a2, sw2) = regression_batches
    ours = hit_rate_class(jl.metrics.Metric, jl.ops)()
    theirs = hit_rate_class(keras.metrics.Metric, keras.ops)()
    for m in (ours, theirs):
        m.update_state(*a1)
        m.update_state(*a2, sample_weight=sw2)
    want = np.asarray(theirs.result())
    close(ours.result(), want)
    assert [v.path for v in ours.variables] == ["hit_rate/hits", "hit_rate/seen",
                                                 "hit_rate/batches"]
    assert int(ours.batches.numpy()) == 2 and ours.batches.dtype == jnp.int32

    def run(variables, a1, a2, sw2):
        variables = ours.stateless_update_state(variables, *a1)
        variables = ours.stateless_update_state(variables, *a2, sample_weight=sw2)
        return variables, ours.stateless_result(variables)

    new, value = jax.jit(run)(ours.stateless_reset_state(), a1, a2, sw2)
    close(value, want)
    close([np.asarray(v) for v in new], [v.numpy() for v in ours.variables])
    # The pure triple the trainer uses is derived from the same methods.
    state = jax.jit(ours.update)(ours.init(), *a1)
    state = jax.jit(ours.update)(state, *a2, sample_weight=sw2)
    close(jax.jit(ours.result)(state), want)

    ours.reset_state()
    theirs.reset_state()
    assert [float(v.numpy()) for v in ours.variables] == [0.0, 0.0, 0.0]
    close(ours(*a1), theirs(*a1))


def test_tracked_sub_metric_and_keras_style_override_of_a_builtin(regression_batches):
    (a1, _), (a2, sw2) = regression_batches

    class ErrorAndMean(jl.metrics.Metric):
        def __init__(self):
            super().__init__(name="error_and_mean")
            self.total = self.add_weight()
            self.mae = jl.metrics.MeanAbsoluteError()

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.total.assign_add(jnp.sum(y_pred))
            self.mae.update_state(y_true, y_pred, sample_weight=sample_weight)

        def result(self):
            return self.total + self.mae.result()

    class DoubledMean(jl.metrics.Mean):
        def update_state(self, y_true, y_pred, sample_weight=None):
            super().update_state(2 * jnp.abs(y_true - y_pred), sample_weight=sample_weight)

    for metric, expect in [
        (ErrorAndMean(), lambda: float(np.sum(a1[1]) + np.sum(a2[1])) + _mae_of(a1, a2, sw2)),
        (DoubledMean(), lambda: 2 * _mae_of(a1, a2, sw2)),
    ]:
        metric.update_state(*a1)
        metric.update_state(*a2, sample_weight=sw2)
        np.testing.assert_allclose(float(metric.result()), expect(), rtol=1e-5)
        new = jax.jit(metric.stateless_update_state)(metric.stateless_reset_state(), *a1)
        new = jax.jit(metric.stateless_update_state)(new, *a2, sample_weight=sw2)
        np.testing.assert_allclose(float(metric.stateless_result(new)), expect(), rtol=1e-5)
    assert not jl.metrics.takes_values_only(DoubledMean())


def _mae_of(a1, a2, sw2):
    e1 = np.abs(a1[0] - a1[1]).mean(-1)
    e2 = np.abs(a2[0] - a2[1]).mean(-1)
    return float((e1.sum() + (e2 * sw2).sum()) / (len(e1) + sw2.sum()))


def test_metric_subclass_mistakes_are_clear_errors():
    class NoSuper(jl.metrics.Metric):
        def __init__(self):
            self.v = self.add_variable((), "zeros")

    with pytest.raises(StateError, match=r"NoSuper: call super\(\)\.__init__\(\) in __init__ "
                       r"before add_variable/add_weight\."):
        NoSuper()

    class NoUpdate(jl.metrics.Metric):
        def result(self):
            return 0.0

    with pytest.raises(ConfigTypeError, match=r"NoUpdate 'no_update': a Metric subclass "
                       r"implements update_state\(\.\.\.\)"):
        NoUpdate().update_state(jnp.ones(2), jnp.ones(2))

    class ReadsTracer(jl.metrics.Metric):
        def __init__(self):
            super().__init__()
            self.v = self.add_weight()

        def update_state(self, values):
            self.v.assign_add(jnp.sum(values))

        def result(self):
            return self.v.value

    m = ReadsTracer()
    with pytest.raises(StateError, match=r"Cannot assign a traced value to weight "
                       r"'reads_tracer/variable' outside apply"):
        jax.jit(lambda x: m.update_state(x))(jnp.ones(2))


# --------------------------------------------------------------------------- in fit
def test_user_metric_and_loss_subclasses_in_fit_match_keras(keras, rng):
    from test_loss_objects import scaled_error_class

    x = rng.normal(size=(8, 3)).astype(np.float32)
    y = rng.normal(size=(8, 2)).astype(np.float32)
    sw = rng.uniform(0.5, 1.5, (8,)).astype(np.float32)
    histories = []
    weights = None
    for lib in (keras, jl):
        model = lib.Sequential([lib.layers.Input(shape=(3,)), lib.layers.Dense(2)])
        if weights is None:
            weights = [w.numpy() for w in model.weights]
        model.set_weights(weights)
        model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.1),
                      loss=scaled_error_class(lib.losses.Loss, lib.ops)(scale=0.5),
                      metrics=[hit_rate_class(lib.metrics.Metric, lib.ops)()])
        history = model.fit(x, y, sample_weight=sw, batch_size=4, epochs=2, shuffle=False,
                            verbose=0)
        histories.append(history.history)
    theirs, ours = histories
    assert sorted(ours) == sorted(theirs) == ["hit_rate", "loss"]
    for key in theirs:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-5, atol=1e-6)
