"""Every built-in metric and loss through compile / fit / evaluate, driven by their registries.

One tiny multi-output model has a head per built-in loss class; the metrics
ride on the heads whose labels suit them, so one compile covers them all.  A
class added to the ``losses`` or ``metrics`` registry without an entry in the
tables below fails :func:`test_the_tables_cover_the_registries`.
"""

import inspect

import chex
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers import errors
from jaxlayers.core.serialization import builtins

L = jl.layers
N, BATCH = 8, 4  # with steps_per_execution=2: one scanned pair of steps per epoch

# Label kinds: the head that produces the predictions, and the labels for it.
#   binary:   Dense(1, sigmoid),   labels (N, 1) in {0, 1}
#   onehot:   Dense(3, softmax),   labels (N, 3) one-hot
#   sparse:   Dense(3, softmax),   labels (N,) class ids in [0, 3)
#   positive: Dense(3, softplus),  labels (N, 3) in [0.2, 1)
#   sequence: Dense(12) as (4, 3) logits over time, labels (N, 2) ids in [1, 3) (0 = blank)

# Loss class -> (constructor kwargs, label kind).
LOSSES = {
    "BinaryCrossentropy": ({}, "binary"),
    "BinaryFocalCrossentropy": ({"gamma": 1.5}, "binary"),
    "Hinge": ({}, "binary"),
    "SquaredHinge": ({}, "binary"),
    "CategoricalCrossentropy": ({"label_smoothing": 0.1}, "onehot"),
    "CategoricalFocalCrossentropy": ({}, "onehot"),
    "CategoricalHinge": ({}, "onehot"),
    "KLDivergence": ({}, "onehot"),
    "Dice": ({}, "onehot"),
    "Tversky": ({"alpha": 0.3, "beta": 0.7}, "onehot"),
    "SparseCategoricalCrossentropy": ({}, "sparse"),
    "CategoricalGeneralizedCrossEntropy": ({"q": 0.7}, "sparse"),
    "Circle": ({"gamma": 4.0}, "sparse"),  # the softmax rows serve as embeddings
    "MeanSquaredError": ({}, "positive"),
    "MeanAbsoluteError": ({}, "positive"),
    "MeanAbsolutePercentageError": ({}, "positive"),
    "MeanSquaredLogarithmicError": ({}, "positive"),
    "Huber": ({"delta": 0.5}, "positive"),
    "LogCosh": ({}, "positive"),
    "Poisson": ({}, "positive"),
    "CosineSimilarity": ({}, "positive"),
    "LossFunctionWrapper": ({"fn": jl.losses.mean_absolute_error}, "positive"),
    "CTC": ({}, "sequence"),
}
LOSSES_NOT_IN_FIT = {"Loss": "the abstract base; subclasses implement call()"}

# Metric class -> (constructor kwargs, label kind).
METRICS = {
    "Accuracy": ({}, "binary"),
    "BinaryAccuracy": ({"threshold": 0.4}, "binary"),
    "BinaryCrossentropy": ({}, "binary"),
    "AUC": ({"num_thresholds": 50}, "binary"),
    "Precision": ({}, "binary"),
    "Recall": ({"thresholds": [0.3, 0.6]}, "binary"),
    "TruePositives": ({}, "binary"),
    "TrueNegatives": ({}, "binary"),
    "FalsePositives": ({}, "binary"),
    "FalseNegatives": ({}, "binary"),
    "BinaryIoU": ({"threshold": 0.4}, "binary"),
    "PrecisionAtRecall": ({"recall": 0.5, "num_thresholds": 20}, "binary"),
    "RecallAtPrecision": ({"precision": 0.5}, "binary"),
    "SensitivityAtSpecificity": ({"specificity": 0.5, "num_thresholds": 1}, "binary"),
    "SpecificityAtSensitivity": ({"sensitivity": 0.4}, "binary"),
    "Hinge": ({}, "binary"),
    "SquaredHinge": ({}, "binary"),
    "CategoricalAccuracy": ({}, "onehot"),
    "CategoricalCrossentropy": ({}, "onehot"),
    "CategoricalHinge": ({}, "onehot"),
    "KLDivergence": ({}, "onehot"),
    "TopKCategoricalAccuracy": ({"k": 2}, "onehot"),
    "F1Score": ({"average": None}, "onehot"),  # one value per class, an array in the logs
    "FBetaScore": ({"beta": 2.0, "average": None, "threshold": 0.4}, "onehot"),
    "SparseCategoricalAccuracy": ({}, "sparse"),
    "SparseCategoricalCrossentropy": ({}, "sparse"),
    "SparseTopKCategoricalAccuracy": ({"k": 2}, "sparse"),
    "IoU": ({"num_classes": 3, "target_class_ids": [0, 2], "sparse_y_pred": False}, "sparse"),
    "MeanIoU": ({"num_classes": 3, "sparse_y_pred": False}, "sparse"),
    "OneHotIoU": ({"num_classes": 3, "target_class_ids": [1]}, "onehot"),
    "OneHotMeanIoU": ({"num_classes": 3}, "onehot"),
    "MeanSquaredError": ({}, "positive"),
    "MeanAbsoluteError": ({}, "positive"),
    "MeanAbsolutePercentageError": ({}, "positive"),
    "MeanSquaredLogarithmicError": ({}, "positive"),
    "RootMeanSquaredError": ({}, "positive"),
    "CosineSimilarity": ({}, "positive"),
    "LogCoshError": ({}, "positive"),
    "Poisson": ({}, "positive"),
    "MeanMetricWrapper": ({"fn": jl.losses.huber, "name": "huber_mean"}, "positive"),
    "R2Score": ({"class_aggregation": "variance_weighted_average"}, "positive"),
    "PearsonCorrelation": ({}, "positive"),
    "ConcordanceCorrelation": ({}, "positive"),
}
# compile() refuses the reducers of plain values with a named error (checked below).
METRICS_NOT_IN_FIT = {"Metric": "the abstract base", "Mean": "reduces values",
                      "Sum": "reduces values"}


def _registered_classes(category):
    return {name for name, obj in builtins(category).items() if inspect.isclass(obj)}


def test_the_tables_cover_the_registries():
    assert set(LOSSES) | set(LOSSES_NOT_IN_FIT) == _registered_classes("losses")
    assert set(METRICS) | set(METRICS_NOT_IN_FIT) == _registered_classes("metrics")
    # Every registered loss function is the math of a tabled class.
    functions = {obj for obj in builtins("losses").values() if not inspect.isclass(obj)}
    tabled = {getattr(jl.losses, name)(**kwargs).fn for name, (kwargs, _) in LOSSES.items()}
    assert functions <= tabled


def _head(kind, name, hidden):
    if kind == "binary":
        return L.Dense(1, activation="sigmoid", name=name)(hidden)
    if kind == "sequence":
        return L.Reshape((4, 3))(L.Dense(12, name=name)(hidden))
    activation = {"onehot": "softmax", "sparse": "softmax", "positive": "softplus"}[kind]
    return L.Dense(3, activation=activation, name=name)(hidden)


def _labels(kind, rng):
    if kind == "binary":
        return rng.integers(0, 2, (N, 1)).astype("float32")
    if kind == "onehot":
        return np.eye(3, dtype="float32")[rng.integers(0, 3, N)]
    if kind == "sparse":
        return rng.integers(0, 3, N).astype("int32")
    if kind == "positive":
        return rng.uniform(0.2, 1.0, (N, 3)).astype("float32")
    return rng.integers(1, 3, (N, 2)).astype("int32")


def _make(table, module, name):
    kwargs, _ = table[name]
    return getattr(module, name)(**kwargs)


@pytest.fixture(scope="module")
def trained():
    """The model with one head per loss, fitted with steps_per_execution=2, and its data.

    Its train step is the suite's largest compile, so the data makes exactly one
    scanned pair of steps per epoch; the single and partial steps are covered by
    the donation test below.
    """
    rng = np.random.default_rng(12)
    inputs = jl.Input(shape=(5,))
    hidden = L.Dense(8, activation="tanh", name="hidden")(inputs)
    heads = {name: _head(kind, name, hidden) for name, (_, kind) in LOSSES.items()}
    model = jl.Model(inputs, heads)
    first_head = {}
    for name, (_, kind) in LOSSES.items():
        first_head.setdefault(kind, name)
    metrics = {}
    for name, (_, kind) in METRICS.items():
        metrics.setdefault(first_head[kind], []).append(_make(METRICS, jl.metrics, name))
    model.compile(optimizer=jl.optimizers.Adam(1e-3),
                  loss={name: _make(LOSSES, jl.losses, name) for name in LOSSES},
                  metrics=metrics, steps_per_execution=2)
    x = rng.standard_normal((N, 5)).astype("float32")
    y = {name: _labels(kind, rng) for name, (_, kind) in LOSSES.items()}
    history = model.fit(x, y, batch_size=BATCH, epochs=2, verbose=0).history
    logs = model.evaluate(x, y, batch_size=N, verbose=0, return_dict=True)
    return model, x, y, first_head, history, logs


def test_fit_logs_every_loss_and_metric_finite(trained):
    _, _, _, first_head, history, _ = trained
    expected = {"loss"} | {f"{name}_loss" for name in LOSSES}
    expected |= {f"{first_head[kind]}_{_make(METRICS, jl.metrics, name).name}"
                 for name, (_, kind) in METRICS.items()}
    assert set(history) == expected
    for key, values in history.items():
        assert len(values) == 2 and all(np.all(np.isfinite(v)) for v in values), key
    assert np.shape(history[f"{first_head['onehot']}_f1_score"][-1]) == (3,)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_evaluate_equals_the_loss_computed_directly(trained, name):
    model, x, y, _, _, logs = trained
    pred = model.predict(x, verbose=0)[name]
    direct = float(_make(LOSSES, jl.losses, name)(y[name], pred))
    assert np.isfinite(direct)
    np.testing.assert_allclose(logs[f"{name}_loss"], direct, rtol=2e-5, atol=1e-6)


def test_the_total_loss_is_the_sum_of_the_heads(trained):
    logs = trained[5]
    np.testing.assert_allclose(logs["loss"], sum(logs[f"{n}_loss"] for n in LOSSES),
                               rtol=1e-5)


@pytest.mark.parametrize("name", sorted(METRICS))
def test_evaluate_equals_the_metric_computed_directly(trained, name):
    model, x, y, first_head, _, logs = trained
    head = first_head[METRICS[name][1]]
    metric = _make(METRICS, jl.metrics, name)
    metric.update_state(y[head], model.predict(x, verbose=0)[head])
    direct = np.asarray(metric.result())
    assert np.all(np.isfinite(direct))
    logged = logs[f"{head}_{metric.name}"]
    assert np.shape(logged) == direct.shape
    np.testing.assert_allclose(logged, direct, rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(set(METRICS_NOT_IN_FIT) - {"Metric"}))
def test_compile_refuses_value_reducers_by_name(name, rng):
    model = jl.Sequential([L.Input(shape=(2,)), L.Dense(1)])
    model.compile("sgd", "mse", metrics=[getattr(jl.metrics, name)()])
    with pytest.raises(errors.ConfigTypeError, match=rf"{name} '{name.lower()}' reduces plain "
                                                     r"values and cannot score \(y_true, "
                                                     r"y_pred\)"):
        model.fit(rng.standard_normal((4, 2)), rng.standard_normal((4, 1)), verbose=0)


def test_metrics_whose_states_share_one_array_survive_donation_without_retracing(rng):
    """Precision/Recall/AUC/F1 start from one zeros array for several counters; fit donates."""
    x = rng.standard_normal((17, 3)).astype("float32")  # batches of 5: 3 full, 1 partial
    y = np.eye(2, dtype="float32")[rng.integers(0, 2, 17)]

    class Probe(L.Layer):
        def call(self, inputs):
            return inputs

    # Two for the build, one shape pass, then one per compiled step: the scanned pair, the
    # single step, the partial batch, evaluate's full and partial batches, and the
    # train_on_batch and test_on_batch steps at the end.
    Probe.call = chex.assert_max_traces(Probe.call, n=10)
    model = jl.Sequential([L.Input(shape=(3,)), Probe(), L.Dense(2, activation="softmax")])
    model.compile("sgd", "categorical_crossentropy", steps_per_execution=2,
                  metrics=[jl.metrics.Precision(), jl.metrics.Recall(), jl.metrics.AUC(),
                           jl.metrics.F1Score(), jl.metrics.FBetaScore(beta=0.5)])
    for _ in range(2):  # the second round compiles nothing new
        history = model.fit(x, y, batch_size=5, epochs=2, verbose=0).history
        logs = model.evaluate(x, y, batch_size=5, verbose=0, return_dict=True)
    assert all(np.all(np.isfinite(v)) for vs in history.values() for v in vs)
    assert np.shape(logs["f1_score"]) == (2,) and np.shape(logs["fbeta_score"]) == (2,)
    values = model.evaluate(x, y, batch_size=5, verbose=0)
    assert len(values) == 6 and np.shape(values[4]) == (2,)
    model.train_on_batch(x[:5], y[:5])
    assert np.isfinite(model.test_on_batch(x[:5], y[:5])[0])


def test_a_user_state_aliasing_one_array_survives_donation(rng):
    shared = jnp.zeros((2,))

    class TwoCounters(L.Layer):
        def build(self, input_shape):
            self.a = self.add_weight(shape=(2,), initializer="zeros", trainable=False)
            self.b = self.add_weight(shape=(2,), initializer="zeros", trainable=False)

        def call(self, inputs, training=False):
            if training:
                self.a = self.a + 1.0
                self.b = self.b + 1.0
            return inputs

    model = jl.Sequential([L.Input(shape=(2,)), TwoCounters(name="counters"), L.Dense(1)])
    model.compile("sgd", "mse")
    model.set_params(model.params, {"counters": {"a": shared, "b": shared}})
    model.fit(rng.standard_normal((8, 2)), rng.standard_normal((8, 1)), batch_size=4,
              epochs=2, verbose=0)
    np.testing.assert_array_equal(model.state["counters"]["a"], [4.0, 4.0])
    np.testing.assert_array_equal(shared, [0.0, 0.0])  # the caller's array stays valid
