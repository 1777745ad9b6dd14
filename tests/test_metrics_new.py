"""Keras 3.15's remaining metrics: IoU family, R2Score, correlations, operating points.

Each case runs the pure API under ``jax.jit`` over several batches, with and
without sample weights, against Keras on the same inputs; the facade, the
state entries (Keras's variable names), the configs and the error messages are
checked too. The fit/evaluate path is covered by test_metrics_losses_in_fit.py.
"""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from test_metrics import run_keras, run_pure_jitted_with_state

import jaxlayers as jl
from jaxlayers.errors import ConfigError, ConfigTypeError, ShapeError
from jaxlayers.training import losses, metrics

BATCH, NUM_BATCHES = 8, 3

# name, kwargs, kind of data
CASES = [
    ("IoU", {"num_classes": 3, "target_class_ids": [0, 2]}, "ids"),
    ("IoU", {"num_classes": 3, "target_class_ids": [1], "ignore_class": 0, "dtype": "float32"},
     "ids"),
    ("IoU", {"num_classes": 3, "target_class_ids": [0, 1], "sparse_y_true": False,
             "sparse_y_pred": False}, "dense"),
    ("MeanIoU", {"num_classes": 3}, "ids_out_of_range"),
    ("MeanIoU", {"num_classes": 3, "dtype": "float32", "sparse_y_pred": False}, "ids_scores"),
    ("BinaryIoU", {}, "binary"),
    ("BinaryIoU", {"target_class_ids": [1], "threshold": 0.3, "dtype": "float32"}, "binary"),
    ("OneHotIoU", {"num_classes": 3, "target_class_ids": [0, 2]}, "dense"),
    ("OneHotMeanIoU", {"num_classes": 3, "ignore_class": 1}, "dense"),
    ("OneHotMeanIoU", {"num_classes": 3, "sparse_y_pred": True}, "onehot_ids"),
    ("R2Score", {}, "regression"),
    ("R2Score", {"class_aggregation": None}, "regression"),
    ("R2Score", {"class_aggregation": "variance_weighted_average", "num_regressors": 2},
     "regression"),
    ("R2Score", {}, "regression_rank1"),
    ("PearsonCorrelation", {}, "regression"),
    ("PearsonCorrelation", {"axis": 0}, "regression"),
    ("ConcordanceCorrelation", {}, "regression"),
    ("ConcordanceCorrelation", {"axis": 0}, "regression"),
    ("PrecisionAtRecall", {"recall": 0.6}, "binary"),
    ("PrecisionAtRecall", {"recall": 0.3, "num_thresholds": 7, "class_id": 1}, "binary_multi"),
    ("RecallAtPrecision", {"precision": 0.6}, "binary"),
    ("RecallAtPrecision", {"precision": 0.5, "num_thresholds": 2}, "binary_multi"),
    ("SensitivityAtSpecificity", {"specificity": 0.4}, "binary"),
    ("SensitivityAtSpecificity", {"specificity": 0.7, "num_thresholds": 1}, "binary_multi"),
    ("SpecificityAtSensitivity", {"sensitivity": 0.5}, "binary"),
    ("SpecificityAtSensitivity", {"sensitivity": 0.8, "num_thresholds": 13, "class_id": 2},
     "binary_multi"),
]
CASE_IDS = [f"{n}-{k}-{'-'.join(map(str, kw))}" for n, kw, k in CASES]


def make_batch(kind, rng):
    f32 = np.float32
    if kind in ("ids", "ids_out_of_range"):
        y, p = rng.integers(0, 3, (2, BATCH, 2))
        if kind == "ids_out_of_range":  # left out of the confusion matrix, as in Keras
            y[0, 0], p[1, 1] = 5, -1
        return y.astype(np.int32), p.astype(np.int32)
    if kind == "ids_scores":
        ids = rng.integers(0, 3, (BATCH,)).astype(np.int32)
        return ids, rng.uniform(size=(BATCH, 3)).astype(f32)
    if kind == "dense":
        return (np.eye(3, dtype=f32)[rng.integers(0, 3, BATCH)],
                rng.uniform(size=(BATCH, 3)).astype(f32))
    if kind == "onehot_ids":
        return np.eye(3, dtype=f32)[rng.integers(0, 3, BATCH)], rng.integers(0, 3, BATCH)
    if kind == "binary":
        return rng.integers(0, 2, (BATCH,)).astype(f32), rng.uniform(size=(BATCH,)).astype(f32)
    if kind == "binary_multi":
        return (rng.integers(0, 2, (BATCH, 3)).astype(f32),
                rng.uniform(size=(BATCH, 3)).astype(f32))
    if kind == "regression":
        y = rng.normal(size=(BATCH, 3)).astype(f32)
        return y, (y + rng.normal(size=(BATCH, 3))).astype(f32)
    if kind == "regression_rank1":  # (batch,) labels against (batch, 1) predictions
        y = rng.normal(size=(BATCH,)).astype(f32)
        return y, (y[:, None] + rng.normal(size=(BATCH, 1))).astype(f32)
    raise ValueError(kind)


def make_batches(name, kwargs, kind, rng, weighted):
    int_state = "IoU" in name and "dtype" not in kwargs
    batches = []
    for _ in range(NUM_BATCHES):
        y, p = make_batch(kind, rng)
        sw = None
        # One weight per class id (several per sample for 2-D ids), integer for an
        # integer confusion matrix (Keras truncates float weights there).
        shape = np.shape(y) if kind.startswith("ids") else (BATCH,)
        if kwargs.get("axis") == 0:  # one correlation per column: one weight per column
            shape = np.shape(y)[1:]
        if weighted:
            sw = (rng.integers(0, 3, shape).astype(np.int32) if int_state
                  else rng.uniform(0, 2, shape).astype(np.float32))
        batches.append((y, p, sw))
    return batches


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("name,kwargs,kind", CASES, ids=CASE_IDS)
def test_pure_api_under_jit_matches_keras(keras, name, kwargs, kind, weighted, rng):
    batches = make_batches(name, kwargs, kind, rng, weighted)
    state, got = run_pure_jitted_with_state(getattr(metrics, name)(**kwargs), batches)
    theirs = getattr(keras.metrics, name)(**kwargs)
    want = run_keras(theirs, batches)
    assert np.all(np.isfinite(want)), "a case must exercise a defined value"
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert got.shape == want.shape
    # The state holds what Keras's variables hold, under the same names.
    assert sorted(state) == sorted(v.name for v in theirs.variables)
    for variable in theirs.variables:
        assert state[variable.name].dtype == np.dtype(variable.dtype), variable.name
        np.testing.assert_allclose(state[variable.name], np.asarray(variable), rtol=1e-5,
                                   atol=1e-5)


@pytest.mark.parametrize("name,kwargs,kind", CASES[::2], ids=CASE_IDS[::2])
def test_facade_update_result_reset(name, kwargs, kind, rng):
    batches = make_batches(name, kwargs, kind, rng, weighted=True)
    metric = getattr(metrics, name)(**kwargs)
    for y, p, sw in batches:
        metric.update_state(y, p, sample_weight=sw)
    _, pure = run_pure_jitted_with_state(getattr(metrics, name)(**kwargs), batches)
    np.testing.assert_allclose(metric.result(), pure, rtol=1e-6)
    before = [np.asarray(v) for v in metric.variables]
    assert any(np.abs(v).sum() > 0 for v in before)
    metric.reset_state()
    assert all(float(jnp.abs(v).sum()) == 0.0 for v in metric.variables)
    fresh = getattr(metrics, name)(**kwargs)
    fresh.update_state(*batches[0][:2], sample_weight=batches[0][2])
    stateless = fresh.stateless_update_state(
        [jnp.zeros_like(v) for v in before], *batches[0][:2], sample_weight=batches[0][2])
    np.testing.assert_allclose(fresh.stateless_result(stateless), fresh.result(), rtol=1e-6)


@pytest.mark.parametrize("name,kwargs,kind", CASES, ids=CASE_IDS)
def test_config_round_trip_matches_keras(keras, name, kwargs, kind):
    metric = getattr(metrics, name)(name="m", **kwargs)
    config = metric.get_config()
    assert config == getattr(keras.metrics, name)(name="m", **kwargs).get_config()
    assert type(metric).from_config(config).get_config() == config
    rebuilt = metrics.deserialize(metrics.serialize(metric))
    assert type(rebuilt) is type(metric) and rebuilt.get_config() == config


def test_default_names_match_keras(keras):
    for name, kwargs, _ in CASES:
        ours, theirs = getattr(metrics, name)(**kwargs), getattr(keras.metrics, name)(**kwargs)
        assert ours.name == theirs.name.rsplit("_", 1)[0] or ours.name == theirs.name, name


def test_iou_float_weights_are_truncated_by_an_integer_state_with_a_warning(keras):
    y, p, w = [0, 0, 1, 1], [0, 1, 0, 1], np.array([1.7, 0.3, 2.2, 1.0], np.float32)
    theirs = keras.metrics.MeanIoU(num_classes=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs.update_state(y, p, sample_weight=w)
    ours = metrics.MeanIoU(num_classes=2)
    with pytest.warns(UserWarning, match=r"MeanIoU 'mean_io_u': float sample weights are "
                      r"truncated to the integer state dtype int32; pass dtype='float32'"):
        ours.update_state(y, p, sample_weight=w)
    np.testing.assert_array_equal(ours.variables[0], [[1, 0], [2, 1]])
    np.testing.assert_allclose(ours.result(), theirs.result(), rtol=1e-6)


def test_iou_of_absent_classes_is_left_out_of_the_mean():
    m = metrics.MeanIoU(num_classes=4)
    m.update_state([0, 0, 1], [0, 1, 1])  # classes 2 and 3 never occur
    np.testing.assert_allclose(m.result(), (0.5 + 0.5) / 2, rtol=1e-6)
    empty = metrics.IoU(num_classes=3, target_class_ids=[2])
    empty.update_state([0, 1], [1, 0])
    assert float(empty.result()) == 0.0


def test_r2_score_adjusted_falls_back_with_a_warning(keras):
    y = np.array([[1.0], [4.0], [3.0]], np.float32)
    p = np.array([[2.0], [4.0], [4.0]], np.float32)
    m = metrics.R2Score(num_regressors=2)
    m.update_state(y, p)
    with pytest.warns(UserWarning, match=r"R2Score 'r2_score': num_regressors=2 needs more "
                      r"than 3 values seen for the adjusted score; saw 3"):
        got = m.result()
    np.testing.assert_allclose(got, 1 - 2 / (14 / 3), rtol=1e-6)  # the plain score
    # Under jit the same state gives the same value (no Python branch on data).
    np.testing.assert_allclose(jax.jit(m.stateless_result)(m.variables), got, rtol=1e-6)
    m.update_state(y, p)
    theirs = keras.metrics.R2Score(num_regressors=2)
    theirs.update_state(y, p)
    theirs.update_state(y, p)
    np.testing.assert_allclose(m.result(), theirs.result(), rtol=1e-6)


def test_correlation_functions_match_keras_and_numpy(keras, rng):
    y = rng.normal(size=(4, 5)).astype(np.float32)
    p = (y + rng.normal(size=(4, 5))).astype(np.float32)
    for axis in (-1, 0):
        rows = zip(y, p) if axis == -1 else zip(y.T, p.T)
        ref = np.mean([np.corrcoef(a, b)[0, 1] for a, b in rows])
        np.testing.assert_allclose(np.mean(metrics.pearson_correlation(y, p, axis=axis)), ref,
                                   rtol=1e-5)
        for fn in ("pearson_correlation", "concordance_correlation"):
            np.testing.assert_allclose(getattr(metrics, fn)(y, p, axis=axis),
                                       getattr(keras.metrics, fn)(y, p, axis=axis), rtol=1e-5)


def test_wrapper_config_names_the_correlation_functions():
    m = metrics.MeanMetricWrapper(metrics.concordance_correlation, axis=0)
    config = m.get_config()
    assert config["fn"] == "concordance_correlation"
    assert metrics.MeanMetricWrapper.from_config(config)._fn is metrics.concordance_correlation


def test_names_match_keras(keras):
    """Every public name of keras.losses / keras.metrics exists here, of the same kind."""
    import inspect

    for ours, theirs in ((losses, keras.losses), (metrics, keras.metrics)):
        names = [n for n in dir(theirs) if not n.startswith("_")]
        for name in names:
            assert hasattr(ours, name), f"{theirs.__name__}.{name}"
            assert inspect.isclass(getattr(ours, name)) == inspect.isclass(getattr(theirs, name))
            assert name in ours.__all__, name
    for name in dir(keras.metrics):
        if getattr(keras.metrics, name) is getattr(keras.losses, name, None):
            assert getattr(metrics, name) is getattr(losses, name), name


def test_get_resolves_the_new_names():
    assert type(metrics.get("r2_score")).__name__ == "R2Score"
    assert type(metrics.get("PearsonCorrelation")).__name__ == "PearsonCorrelation"
    iou = metrics.get({"class_name": "IoU", "config": {"num_classes": 2,
                                                       "target_class_ids": [1]}})
    assert iou.target_class_ids == [1]


def test_compiled_model_with_new_losses_and_metrics_saves_and_loads(tmp_path, rng):
    inputs = jl.Input(shape=(4,))
    hidden = jl.layers.Dense(5, activation="tanh")(inputs)
    outputs = {"emb": jl.layers.Dense(3, activation="softmax", name="emb")(hidden),
               "score": jl.layers.Dense(1, activation="sigmoid", name="score")(hidden)}
    model = jl.Model(inputs, outputs)
    model.compile("sgd", loss={"emb": losses.Circle(gamma=8.0, margin=0.3),
                               "score": losses.CategoricalGeneralizedCrossEntropy(q=0.3)},
                  metrics={"emb": [metrics.MeanIoU(num_classes=3, sparse_y_pred=False)],
                           "score": [metrics.SpecificityAtSensitivity(0.4, num_thresholds=11),
                                     metrics.BinaryIoU(threshold=0.6)]})
    x = rng.normal(size=(8, 4)).astype(np.float32)
    y = {"emb": rng.integers(0, 3, 8), "score": rng.integers(0, 2, 8)}
    model.fit(x, y, batch_size=4, verbose=0)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    model.save(tmp_path / "m.keras")
    restored = jl.saving.load_model(tmp_path / "m.keras")
    assert restored.get_compile_config() == model.get_compile_config()
    assert type(restored.loss["emb"]).__name__ == "Circle" and restored.loss["emb"].gamma == 8.0
    again = restored.evaluate(x, y, verbose=0, return_dict=True)
    assert set(again) == set(logs) and len(logs) == 6
    for key in logs:
        np.testing.assert_allclose(again[key], logs[key], rtol=1e-5, err_msg=key)


def test_config_errors():
    with pytest.raises(ConfigError, match=r"IoU 'io_u': `target_class_ids` must be a non-empty "
                       r"list of class ids in \[0, 3\)\. Received: target_class_ids=\[3\]\."):
        metrics.IoU(num_classes=3, target_class_ids=[3])
    with pytest.raises(ConfigError, match=r"MeanIoU 'mean_io_u': `num_classes` must be a "
                       r"positive int\. Received: num_classes=0\."):
        metrics.MeanIoU(num_classes=0)
    with pytest.raises(ConfigError, match=r"OneHotIoU 'one_hot_io_u': `ignore_class` must be "
                       r"None or an int\. Received: ignore_class=0\.5\."):
        metrics.OneHotIoU(3, [0], ignore_class=0.5)
    with pytest.raises(ConfigError, match=r"R2Score 'r2_score': `class_aggregation` must be one "
                       r"of \[None, 'uniform_average', 'variance_weighted_average'\]\. "
                       r"Received: class_aggregation='mean'\."):
        metrics.R2Score(class_aggregation="mean")
    with pytest.raises(ConfigError, match=r"`num_regressors` must be an int >= 0\. "
                       r"Received: num_regressors=-1\."):
        metrics.R2Score(num_regressors=-1)
    with pytest.raises(ConfigError, match=r"PrecisionAtRecall 'precision_at_recall': `recall` "
                       r"must be a float in \[0, 1\]\. Received: recall=1\.5\."):
        metrics.PrecisionAtRecall(1.5)
    with pytest.raises(ConfigError, match=r"SensitivityAtSpecificity 'sens': `num_thresholds` "
                       r"must be a positive int\. Received: num_thresholds=0\."):
        metrics.SensitivityAtSpecificity(0.5, num_thresholds=0, name="sens")


def test_shape_errors():
    with pytest.raises(ShapeError, match=r"R2Score 'r2_score' needs example inputs to size its "
                       r"state"):
        metrics.R2Score().init()
    with pytest.raises(ShapeError, match=r"R2Score 'r2_score' expects y_true and y_pred of "
                       r"shape \(batch, output_dim\)\. Received: y_true\.shape=\(2, 3, 4\)"):
        metrics.R2Score().update_state(np.zeros((2, 3, 4)), np.zeros((2, 3, 4)))
    with pytest.raises(ShapeError, match=r"with class_id=1, y_pred must have shape"):
        metrics.RecallAtPrecision(0.5, class_id=1).update_state(np.ones(4), np.ones(4))


def test_direction_matches_keras(keras):
    """Larger is better for every new metric, as Keras marks it for mode="auto" monitoring."""
    for name, kwargs, _ in CASES:
        theirs = getattr(keras.metrics, name)(**kwargs)
        assert getattr(metrics, name)(**kwargs)._direction == theirs._direction == "up", name


def test_a_keras_file_compiled_with_the_new_loss_and_metrics_loads_compiled(keras, tmp_path):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile("sgd", loss=keras.losses.Circle(gamma=8.0),
                  metrics=[keras.metrics.MeanIoU(3, sparse_y_pred=False, name="iou"),
                           keras.metrics.PrecisionAtRecall(0.4, num_thresholds=9, name="p")])
    model.save(tmp_path / "k.keras")
    restored = jl.saving.load_model(tmp_path / "k.keras")
    config = restored.get_compile_config()
    assert config["loss"]["class_name"] == "Circle" and config["loss"]["config"]["gamma"] == 8.0
    got = [(m["class_name"], m["config"]) for m in config["metrics"]]
    assert got == [("MeanIoU", metrics.MeanIoU(3, sparse_y_pred=False, name="iou").get_config()),
                   ("PrecisionAtRecall",
                    metrics.PrecisionAtRecall(0.4, num_thresholds=9, name="p").get_config())]


def test_argument_errors_are_named_before_any_update():
    """Each bad argument is refused by the constructor, not deep inside a traced update."""
    with pytest.raises(ConfigTypeError, match=r"IoU 'iou': `axis` must be an int\. "
                       r"Received: axis='a'\."):
        metrics.IoU(3, [0], axis="a", sparse_y_true=False, name="iou")
    with pytest.raises(ConfigTypeError, match=r"OneHotMeanIoU 'one_hot_mean_io_u': `axis` must "
                       r"be an int\. Received: axis=1\.5\."):
        metrics.OneHotMeanIoU(3, axis=1.5)
    with pytest.raises(ConfigTypeError, match=r"MeanIoU 'mean_io_u': `sparse_y_pred` must be a "
                       r"bool\. Received: sparse_y_pred='no'\."):
        metrics.MeanIoU(3, sparse_y_pred="no")
    with pytest.raises(ConfigError, match=r"BinaryIoU 'binary_io_u': `threshold` must be a "
                       r"finite float\. Received: threshold='x'\."):
        metrics.BinaryIoU(threshold="x")
    with pytest.raises(ConfigTypeError, match=r"PearsonCorrelation 'pearson_correlation': "
                       r"`axis` must be an int or a non-empty list of ints\. "
                       r"Received: axis='x'\."):
        metrics.PearsonCorrelation(axis="x")
    with pytest.raises(ConfigTypeError, match=r"ConcordanceCorrelation 'cc': `axis` must be an "
                       r"int or a non-empty list of ints\. Received: axis=2\.0\."):
        metrics.ConcordanceCorrelation(axis=2.0, name="cc")
    with pytest.raises(ConfigTypeError, match=r"SensitivityAtSpecificity 'sas': `class_id` must "
                       r"be None or an int\. Received: class_id='a'\."):
        metrics.SensitivityAtSpecificity(0.5, class_id="a", name="sas")
    with pytest.raises(ConfigTypeError, match=r"Precision 'precision': `class_id` must be None "
                       r"or an int\. Received: class_id=1\.0\."):
        metrics.Precision(class_id=1.0)


def test_a_class_id_past_the_last_class_is_refused_not_clamped():
    # JAX clamps an out-of-range index, which would count the last class silently.
    y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], np.float32)
    with pytest.raises(ShapeError, match=r"class_id=3 is not a class of y_pred with 3 "
                       r"classes"):
        metrics.PrecisionAtRecall(0.5, class_id=3).update_state(y, y)
    with pytest.raises(ShapeError, match=r"class_id=-4 is not a class"):
        metrics.Recall(class_id=-4).update_state(y, y)


def test_correlation_axes_given_as_a_list_reduce_like_a_tuple():
    y = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    p = np.sqrt(y + 1.0)
    got = metrics.pearson_correlation(y, p, axis=(1, 2))
    m = metrics.PearsonCorrelation(axis=[1, 2])
    m.update_state(y, p)
    np.testing.assert_allclose(m.result(), np.mean(got), rtol=1e-6)
