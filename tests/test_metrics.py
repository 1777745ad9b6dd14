"""Metrics: pure API under jit vs Keras 3 over several batches, NumPy references, facade."""

import inspect

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from test_losses import (
    ref_binary_crossentropy,
    ref_categorical_crossentropy,
    ref_categorical_hinge,
    ref_hinge,
    ref_kld,
    ref_log_cosh,
    ref_mae,
    ref_mape,
    ref_mse,
    ref_msle,
    ref_poisson,
    ref_sparse_crossentropy,
    ref_squared_hinge,
)

from jaxlayers.core.variables import Variable
from jaxlayers.errors import ConfigError, ConfigTypeError, SerializationError, ShapeError
from jaxlayers.training import losses, metrics

EPS = 1e-7
BATCH, NUM_BATCHES = 8, 3


def make_batch(kind, rng):
    f32 = np.float32
    if kind == "exact":
        y, p = rng.integers(0, 3, (2, BATCH, 1)).astype(f32)
        return y, p
    if kind == "binary":
        return rng.integers(0, 2, (BATCH, 1)).astype(f32), rng.uniform(0, 1, (BATCH, 1)).astype(f32)
    if kind == "binary_multi":
        return rng.integers(0, 2, (BATCH, 3)).astype(f32), rng.uniform(0, 1, (BATCH, 3)).astype(f32)
    if kind == "binary_logits":
        return rng.integers(0, 2, (BATCH, 3)).astype(f32), rng.normal(0, 2, (BATCH, 3)).astype(f32)
    if kind in ("categorical", "sparse", "sparse_col", "categorical_logits", "sparse_logits"):
        x = rng.normal(0, 2, (BATCH, 4)).astype(f32)
        ids = rng.integers(0, 4, (BATCH,))
        p = x if kind.endswith("logits") else np.exp(x) / np.exp(x).sum(-1, keepdims=True)
        if kind.startswith("categorical"):
            return np.eye(4, dtype=f32)[ids], p.astype(f32)
        return (ids[:, None] if kind == "sparse_col" else ids).astype(np.int32), p.astype(f32)
    if kind == "regression":
        return rng.normal(size=(BATCH, 3)).astype(f32), rng.normal(size=(BATCH, 3)).astype(f32)
    if kind == "positive":
        return (rng.uniform(0.1, 2, (BATCH, 3)).astype(f32),
                rng.uniform(0.1, 2, (BATCH, 3)).astype(f32))
    if kind == "prob":
        a, b = rng.uniform(0.05, 1, (2, BATCH, 3))
        a, b = a / a.sum(-1, keepdims=True), b / b.sum(-1, keepdims=True)
        return a.astype(f32), b.astype(f32)
    if kind == "hinge01":
        return rng.integers(0, 2, (BATCH, 3)).astype(f32), rng.normal(size=(BATCH, 3)).astype(f32)
    raise ValueError(kind)


def make_batches(kind, rng, weighted):
    out = []
    for _ in range(NUM_BATCHES):
        y, p = make_batch(kind, rng)
        sw = rng.uniform(0, 2, (BATCH,)).astype(np.float32) if weighted else None
        out.append((y, p, sw))
    return out


# ---------------------------------------------------------------------------
# Independent float64 references of the accumulated value
# ---------------------------------------------------------------------------


def _weighted_mean(values, sw):
    values = np.asarray(values, np.float64)
    values = values.reshape(values.shape[0], -1).mean(axis=1)
    w = np.ones_like(values) if sw is None else np.asarray(sw, np.float64)
    return (values * w).sum() / w.sum()


def _mean_ref(fn):
    return lambda y, p, sw, **kw: _weighted_mean(fn(y, p, **kw), sw)


def _top_k_hits(ids, p, k):
    score = np.take_along_axis(p, ids[:, None].astype(int), axis=1)
    return ((p > score).sum(axis=1) < k).astype(float)


def _cosine(y, p, axis=-1):
    y, p = np.asarray(y, np.float64), np.asarray(p, np.float64)
    return (y * p).sum(axis) / np.linalg.norm(y, axis=axis) / np.linalg.norm(p, axis=axis)


def _counts(y, p, thresholds, sw):
    """tp, fp, tn, fn at each threshold from explicit comparisons (no bucketing)."""
    y = (np.asarray(y) != 0).reshape(len(y), -1)
    p = np.asarray(p, np.float64).reshape(len(y), -1)
    w = np.ones(len(y)) if sw is None else np.asarray(sw, np.float64)
    w = np.broadcast_to(w[:, None], y.shape)
    out = []
    for t in thresholds:
        pos = p > t
        out.append([(w * (y & pos)).sum(), (w * (~y & pos)).sum(),
                    (w * (~y & ~pos)).sum(), (w * (y & ~pos)).sum()])
    return np.array(out).T  # (4, T)


def _safe_div(a, b):
    return np.where(b == 0, 0.0, a / np.where(b == 0, 1, b))


def ref_auc(y, p, sw, num_thresholds=200, curve="ROC", summation_method="interpolation",
            from_logits=False, thresholds=None, **_):
    p = np.asarray(p, np.float64)
    if from_logits:
        p = 1 / (1 + np.exp(-p))
    inner = sorted(thresholds) if thresholds is not None else [
        (i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    ts = [-EPS] + list(inner) + [1 + EPS]
    tp, fp, tn, fn = _counts(y, np.clip(p, 0, 1), ts, sw)
    if curve == "PR" and summation_method == "interpolation":
        d_tp, pp = tp[:-1] - tp[1:], tp + fp
        d_p = pp[:-1] - pp[1:]
        slope = _safe_div(d_tp, np.maximum(d_p, 0))
        intercept = tp[1:] - slope * pp[1:]
        ratio = np.where((pp[:-1] > 0) & (pp[1:] > 0), _safe_div(pp[:-1], pp[1:]), 1.0)
        area = slope * (d_tp + intercept * np.log(ratio))
        return _safe_div(area, tp[1:] + fn[1:]).sum()
    recall = _safe_div(tp, tp + fn)
    x, h = (_safe_div(fp, fp + tn), recall) if curve == "ROC" else (recall, _safe_div(tp, tp + fp))
    heights = {"interpolation": (h[:-1] + h[1:]) / 2, "minoring": np.minimum(h[:-1], h[1:]),
               "majoring": np.maximum(h[:-1], h[1:])}[summation_method]
    return ((x[:-1] - x[1:]) * heights).sum()


def _filter(y, p, top_k=None, class_id=None):
    p = np.asarray(p, np.float64).copy()
    if top_k is not None:
        rank = (-p).argsort(axis=1).argsort(axis=1)
        p = np.where(rank < top_k, p, -1e10)
    if class_id is not None:
        y, p = np.asarray(y)[:, class_id:class_id + 1], p[:, class_id:class_id + 1]
    return y, p


def ref_precision(y, p, sw, thresholds=None, top_k=None, class_id=None, **_):
    y, p = _filter(y, p, top_k, class_id)
    ts = [0.5 if top_k is None else -1e10] if thresholds is None else np.atleast_1d(thresholds)
    tp, fp, _, _ = _counts(y, p, ts, sw)
    out = _safe_div(tp, tp + fp)
    return out[0] if len(ts) == 1 else out


def ref_recall(y, p, sw, thresholds=None, top_k=None, class_id=None, **_):
    y, p = _filter(y, p, top_k, class_id)
    ts = [0.5 if top_k is None else -1e10] if thresholds is None else np.atleast_1d(thresholds)
    tp, _, _, fn = _counts(y, p, ts, sw)
    out = _safe_div(tp, tp + fn)
    return out[0] if len(ts) == 1 else out


def _ref_count(index):
    def ref(y, p, sw, thresholds=None, **_):
        ts = [0.5] if thresholds is None else np.atleast_1d(thresholds)
        out = _counts(y, p, ts, sw)[index]
        return out[0] if len(ts) == 1 else out
    return ref


def ref_fbeta(y, p, sw, average=None, beta=1.0, threshold=None, **_):
    y, p = np.asarray(y, np.float64), np.asarray(p, np.float64)
    pred = (p > threshold) if threshold is not None else (
        (p >= p.max(axis=1, keepdims=True)) & (np.abs(p) > 1e-9))
    w = np.ones((len(y), 1)) if sw is None else np.asarray(sw, np.float64)[:, None]
    axis = None if average == "micro" else 0
    tp = (w * pred * y).sum(axis)
    fp = (w * pred * (1 - y)).sum(axis)
    fn = (w * ~pred * y).sum(axis)
    support = (w * y).sum(axis)
    prec, rec = tp / (tp + fp + EPS), tp / (tp + fn + EPS)
    f = (1 + beta**2) * prec * rec / (beta**2 * prec + rec + EPS)
    if average == "weighted":
        return (f * support / (support.sum() + EPS)).sum()
    return f.mean() if average is not None else f


REFS = {
    "Accuracy": _mean_ref(lambda y, p: (y == p).astype(float)),
    "BinaryAccuracy": _mean_ref(lambda y, p, threshold=0.5: (y == (p > threshold)).astype(float)),
    "CategoricalAccuracy": _mean_ref(lambda y, p: (y.argmax(-1) == p.argmax(-1)).astype(float)),
    "SparseCategoricalAccuracy": _mean_ref(
        lambda y, p: (y.reshape(-1) == p.argmax(-1)).astype(float)),
    "TopKCategoricalAccuracy": _mean_ref(lambda y, p, k=5: _top_k_hits(y.argmax(-1), p, k)),
    "SparseTopKCategoricalAccuracy": _mean_ref(lambda y, p, k=5: _top_k_hits(y.reshape(-1), p, k)),
    "MeanSquaredError": _mean_ref(ref_mse),
    "MeanAbsoluteError": _mean_ref(ref_mae),
    "MeanAbsolutePercentageError": _mean_ref(ref_mape),
    "MeanSquaredLogarithmicError": _mean_ref(ref_msle),
    "RootMeanSquaredError": lambda y, p, sw: np.sqrt(_mean_ref(ref_mse)(y, p, sw)),
    "CosineSimilarity": _mean_ref(_cosine),
    "LogCoshError": _mean_ref(ref_log_cosh),
    "BinaryCrossentropy": _mean_ref(ref_binary_crossentropy),
    "CategoricalCrossentropy": _mean_ref(ref_categorical_crossentropy),
    "SparseCategoricalCrossentropy": _mean_ref(ref_sparse_crossentropy),
    "KLDivergence": _mean_ref(ref_kld),
    "Poisson": _mean_ref(ref_poisson),
    "Hinge": _mean_ref(ref_hinge),
    "SquaredHinge": _mean_ref(ref_squared_hinge),
    "CategoricalHinge": _mean_ref(ref_categorical_hinge),
    "AUC": ref_auc,
    "Precision": ref_precision,
    "Recall": ref_recall,
    "TruePositives": _ref_count(0),
    "FalsePositives": _ref_count(1),
    "TrueNegatives": _ref_count(2),
    "FalseNegatives": _ref_count(3),
    "FBetaScore": ref_fbeta,
    "F1Score": ref_fbeta,
}

CASES = [
    ("Accuracy", {}, "exact"),
    ("BinaryAccuracy", {}, "binary"),
    ("BinaryAccuracy", {"threshold": 0.7}, "binary_multi"),
    ("CategoricalAccuracy", {}, "categorical"),
    ("SparseCategoricalAccuracy", {}, "sparse"),
    ("SparseCategoricalAccuracy", {}, "sparse_col"),
    ("TopKCategoricalAccuracy", {"k": 2}, "categorical"),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse"),
    ("SparseTopKCategoricalAccuracy", {"k": 3}, "sparse_col"),
    ("MeanSquaredError", {}, "regression"),
    ("MeanAbsoluteError", {}, "regression"),
    ("MeanAbsolutePercentageError", {}, "regression"),
    ("MeanSquaredLogarithmicError", {}, "positive"),
    ("RootMeanSquaredError", {}, "regression"),
    ("CosineSimilarity", {}, "regression"),
    ("LogCoshError", {}, "regression"),
    ("BinaryCrossentropy", {}, "binary_multi"),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "binary_logits"),
    ("CategoricalCrossentropy", {}, "categorical"),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.2},
     "categorical_logits"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits"),
    ("KLDivergence", {}, "prob"),
    ("Poisson", {}, "positive"),
    ("Hinge", {}, "hinge01"),
    ("SquaredHinge", {}, "hinge01"),
    ("CategoricalHinge", {}, "categorical"),
    ("AUC", {}, "binary"),
    ("AUC", {"curve": "PR"}, "binary_multi"),
    ("AUC", {"curve": "PR", "summation_method": "minoring", "num_thresholds": 20}, "binary"),
    ("AUC", {"summation_method": "majoring", "from_logits": True, "num_thresholds": 50},
     "binary_logits"),
    ("AUC", {"thresholds": [0.1, 0.35, 0.5, 0.9]}, "binary_multi"),
    ("Precision", {}, "binary_multi"),
    ("Precision", {"thresholds": [0.0, 0.5, 1.0]}, "binary_multi"),
    ("Precision", {"top_k": 2}, "binary_multi"),
    ("Precision", {"class_id": 1, "thresholds": 0.4}, "binary_multi"),
    ("Recall", {}, "binary_multi"),
    ("Recall", {"thresholds": [0.3, 0.6]}, "binary_multi"),
    ("Recall", {"top_k": 1, "class_id": 2}, "binary_multi"),
    ("TruePositives", {}, "binary_multi"),
    ("FalsePositives", {"thresholds": [0.2, 0.7]}, "binary_multi"),
    ("TrueNegatives", {"thresholds": [0.0, 0.25, 0.5, 0.75, 1.0]}, "binary_multi"),
    ("FalseNegatives", {}, "binary"),
    ("F1Score", {}, "categorical"),
    ("F1Score", {"average": "micro", "threshold": 0.5}, "binary_multi"),
    ("F1Score", {"average": "macro", "threshold": 0.4}, "binary_multi"),
    ("FBetaScore", {"beta": 2.0, "average": "weighted", "threshold": 0.5}, "binary_multi"),
    ("FBetaScore", {"beta": 0.5}, "categorical"),
]
CASE_IDS = [f"{n}-{k}-{'-'.join(f'{a}={b}' for a, b in kw.items())}" for n, kw, k in CASES]


def run_pure_jitted_with_state(metric, batches):
    """The final state and result of the pure API, jitted, over ``(y, p, sw)`` batches."""
    y0, p0, _ = batches[0]
    state = metric.init(jax.ShapeDtypeStruct(np.shape(y0), np.asarray(y0).dtype), p0)
    update = jax.jit(metric.update)
    for y, p, sw in batches:
        state = update(state, y, p, sw)
    return state, np.asarray(jax.jit(metric.result)(state))


def _run_pure_jitted(metric, batches):
    return run_pure_jitted_with_state(metric, batches)[1]


def run_keras(metric, batches):
    for y, p, sw in batches:
        metric.update_state(y, p, sample_weight=sw)
    return np.asarray(metric.result())


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("name,kwargs,kind", CASES, ids=CASE_IDS)
def test_pure_api_under_jit_matches_keras_and_numpy(name, kwargs, kind, weighted, rng):
    batches = make_batches(kind, rng, weighted)
    got = _run_pure_jitted(getattr(metrics, name)(**kwargs), batches)
    y = np.concatenate([b[0] for b in batches])
    p = np.concatenate([b[1] for b in batches])
    sw = np.concatenate([b[2] for b in batches]) if weighted else None
    np.testing.assert_allclose(got, REFS[name](y, p, sw, **kwargs), rtol=1e-4, atol=1e-5)
    keras = pytest.importorskip("keras")
    want = run_keras(getattr(keras.metrics, name)(**kwargs), batches)
    # Counts such as tn = negatives - fp cancel; allow float32 noise of the totals.
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6 * max(1.0, np.abs(want).max()))


@pytest.mark.parametrize("kwargs", [
    {"multi_label": True, "num_labels": 3, "curve": "PR"},
    {"multi_label": True, "label_weights": [0.2, 1.0, 0.5], "num_thresholds": 11},
    {"multi_label": True, "thresholds": [0.2, 0.3, 0.9], "summation_method": "minoring"},
    {"label_weights": [0.2, 1.0, 0.5], "num_thresholds": 11, "curve": "PRGAIN"},
], ids=["multi-num_labels-pr", "multi-label_weights", "multi-uneven", "label_weights-prgain"])
def test_auc_multi_label_matches_keras(kwargs, rng):
    keras = pytest.importorskip("keras")
    batches = make_batches("binary_multi", rng, weighted=True)
    got = _run_pure_jitted(metrics.AUC(**kwargs), batches)
    want = run_keras(keras.metrics.AUC(**kwargs), batches)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_auc_approaches_exact_roc_auc(rng):
    y = rng.integers(0, 2, 400)
    p = np.clip(0.3 * y + rng.uniform(0, 0.7, 400), 0, 1)
    pos, neg = p[y == 1], p[y == 0]
    exact = ((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum())
    exact /= pos.size * neg.size
    m = metrics.AUC(num_thresholds=2000)
    assert abs(float(m.result(m.update(m.init(), y, p))) - exact) < 2e-3


def test_sparse_crossentropy_metric_ignore_class(rng):
    y, x = make_batch("sparse_logits", rng)
    y[:3] = -1
    m = metrics.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    got = m.result(m.update(m.init(), y, x))
    np.testing.assert_allclose(got, ref_sparse_crossentropy(y[3:], x[3:], True).mean(), rtol=1e-5)
    keras = pytest.importorskip("keras")
    sw = rng.uniform(0, 2, BATCH).astype(np.float32)
    theirs = keras.metrics.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    theirs.update_state(y, x, sample_weight=sw)
    got = m.result(m.update(m.init(), y, x, sw))
    np.testing.assert_allclose(got, theirs.result(), rtol=1e-5)


def test_mean_and_sum_match_keras(rng):
    keras = pytest.importorskip("keras")
    for name in ("Mean", "Sum"):
        ours, theirs = getattr(metrics, name)(), getattr(keras.metrics, name)()
        state = ours.init()
        for values, sw in [(rng.normal(size=(4,)), None), (rng.normal(size=(4, 3)), None),
                           (rng.normal(size=(4, 3)), rng.uniform(size=(4,))),
                           (rng.normal(size=(4, 3)), rng.uniform(size=(4, 3))),
                           (np.float32(2.5), None), (rng.normal(size=(4,)), 2.0)]:
            values = np.asarray(values, np.float32)
            state = ours.update(state, values, sample_weight=sw)
            theirs.update_state(values, sample_weight=sw)
            ours.update_state(values, sw)
            np.testing.assert_allclose(ours.result(state), theirs.result(), rtol=1e-5)
            np.testing.assert_allclose(ours.result(), theirs.result(), rtol=1e-5)


# ---------------------------------------------------------------------------
# Facade, stateless list API, config
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name,kwargs,kind", CASES[::3], ids=CASE_IDS[::3])
def test_facade_reset_variables(name, kwargs, kind, rng):
    batches = make_batches(kind, rng, weighted=True)
    metric = getattr(metrics, name)(**kwargs)
    pure = getattr(metrics, name)(**kwargs)
    state = pure.init(*batches[0][:2])
    for y, p, sw in batches:
        metric.update_state(y, p, sample_weight=sw)
        state = pure.update(state, y, p, sample_weight=sw)
    np.testing.assert_allclose(metric.result(), pure.result(state), rtol=1e-6)
    variables = metric.variables
    # Keras's facade: Variables (usable as arrays), not the bare state arrays.
    assert variables and all(isinstance(v, Variable) for v in variables)
    stateless = getattr(metrics, name)(**kwargs)
    new_vars = stateless.stateless_update_state(
        [jnp.zeros_like(v) for v in variables], *batches[0][:2], sample_weight=batches[0][2])
    metric.reset_state()
    assert all(float(jnp.abs(v).sum()) == 0.0 for v in metric.variables)
    metric.update_state(*batches[0][:2], sample_weight=batches[0][2])
    np.testing.assert_allclose(stateless.stateless_result(new_vars), metric.result(), rtol=1e-6)
    value = metric(*batches[1][:2], sample_weight=batches[1][2])
    np.testing.assert_allclose(value, metric.result())


def test_facade_before_any_update():
    assert float(metrics.Mean().result()) == 0.0
    assert float(metrics.BinaryAccuracy().result()) == 0.0
    assert float(metrics.AUC().result()) == 0.0
    assert metrics.AUC(multi_label=True).variables == []
    assert metrics.F1Score().variables == []
    m = metrics.AUC(multi_label=True)
    m.reset_state()
    m.update_state(np.ones((2, 3)), np.ones((2, 3)))
    assert m.variables[0].shape == (200, 3)


@pytest.mark.parametrize("name,kwargs,kind", CASES, ids=CASE_IDS)
def test_config_round_trip(name, kwargs, kind):
    metric = getattr(metrics, name)(name="my_metric", **kwargs)
    config = metric.get_config()
    assert config["name"] == "my_metric" and config["dtype"] == "float32"
    assert type(metric).from_config(config).get_config() == config
    rebuilt = metrics.deserialize(metrics.serialize(metric))
    assert type(rebuilt) is type(metric) and rebuilt.get_config() == config
    keras = pytest.importorskip("keras")
    theirs = getattr(keras.metrics, name)(name="my_metric", **kwargs).get_config()
    assert set(theirs) <= set(config)
    for key in theirs:
        if key != "label_weights":
            assert config[key] == theirs[key], key


def test_mean_metric_wrapper_config():
    m = metrics.MeanMetricWrapper(losses.huber, name="h", delta=0.5)
    config = m.get_config()
    assert config == {"name": "h", "dtype": "float32", "fn": "huber", "delta": 0.5}
    clone = metrics.MeanMetricWrapper.from_config(config)
    assert clone._fn is losses.huber and clone.get_config() == config
    acc = metrics.MeanMetricWrapper(metrics.binary_accuracy, threshold=0.2)
    assert metrics.MeanMetricWrapper.from_config(acc.get_config())._fn is metrics.binary_accuracy
    with pytest.raises(SerializationError, match="Cannot serialize metric function"):
        metrics.MeanMetricWrapper(lambda y, p: y).get_config()
    with pytest.raises(ConfigTypeError, match="`fn` must be a callable"):
        metrics.MeanMetricWrapper("huber")


# ---------------------------------------------------------------------------
# get / resolve_accuracy
# ---------------------------------------------------------------------------


def test_get_names():
    expect = {"accuracy": "Accuracy", "acc": "Accuracy", "mse": "MeanSquaredError",
              "mae": "MeanAbsoluteError", "mape": "MeanAbsolutePercentageError",
              "msle": "MeanSquaredLogarithmicError", "bce": "BinaryCrossentropy",
              "auc": "AUC", "precision": "Precision", "recall": "Recall", "f1_score": "F1Score",
              "binary_accuracy": "BinaryAccuracy", "AUC": "AUC",
              "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
              "root_mean_squared_error": "RootMeanSquaredError",
              "sparse_top_k_categorical_accuracy": "SparseTopKCategoricalAccuracy"}
    for name, cls in expect.items():
        assert type(metrics.get(name)).__name__ == cls, name
    assert metrics.get(None) is None
    m = metrics.Recall()
    assert metrics.get(m) is m
    assert isinstance(metrics.get(metrics.AUC), metrics.AUC)
    assert metrics.get(losses.huber) is losses.huber
    assert metrics.get({"class_name": "AUC", "config": {"curve": "PR"}}).curve == "PR"
    with pytest.raises(ConfigError, match=r"Unknown metric: 'xyz'\. Known names: \[.*'auc'"):
        metrics.get("xyz")
    with pytest.raises(ConfigTypeError, match="Received: identifier=3"):
        metrics.get(3)


def test_get_knows_keras_names_of_implemented_classes():
    pytest.importorskip("keras")
    from keras.src.metrics import ALL_OBJECTS_DICT

    ours = set(metrics.__all__)
    checked = 0
    for name, cls in ALL_OBJECTS_DICT.items():
        # As in Keras, a name alone cannot build a class with required arguments (IoU).
        required = [p for p in inspect.signature(cls).parameters.values()
                    if p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD]
        if required:
            continue
        if cls.__name__ in ours and cls.__name__ not in ("Metric", "MeanMetricWrapper"):
            assert type(metrics.get(name)).__name__ == cls.__name__, name
            checked += 1
    assert checked > 60


@pytest.mark.parametrize("loss,yt,yp,expected", [
    ("sparse_categorical_crossentropy", (None,), (None, 10), "SparseCategoricalAccuracy"),
    (losses.SparseCategoricalCrossentropy(), (None, 1), (None, 10), "SparseCategoricalAccuracy"),
    ("categorical_crossentropy", (None, 10), (None, 10), "CategoricalAccuracy"),
    (losses.CategoricalCrossentropy(from_logits=True), (8, 10), (8, 10), "CategoricalAccuracy"),
    ("binary_crossentropy", (None, 5), (None, 5), "BinaryAccuracy"),
    (losses.BinaryFocalCrossentropy(), (None, 3), (None, 3), "BinaryAccuracy"),
    ("mse", (None, 1), (None, 1), "BinaryAccuracy"),
    ("categorical_crossentropy", (None, 1), (None, 1), "BinaryAccuracy"),
    ("hinge", (None,), (None, 4), "SparseCategoricalAccuracy"),
    ("mse", (None, 4), (None, 4), "CategoricalAccuracy"),
    (None, (None, 1), (None, 4), "SparseCategoricalAccuracy"),
])
def test_resolve_accuracy(loss, yt, yp, expected):
    metric = metrics.resolve_accuracy(loss, yt, yp, name="acc")
    assert type(metric).__name__ == expected and metric.name == "acc"


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


def test_shape_dependent_init_errors():
    with pytest.raises(ShapeError, match=r"AUC 'auc' with multi_label=True needs the number of "
                       r"labels .* Received: y_pred\.shape=None"):
        metrics.AUC(multi_label=True).init()
    with pytest.raises(ShapeError, match=r"expects y_pred of shape \(batch, num_labels\)\. "
                       r"Received: y_pred\.shape=\(4,\)"):
        m = metrics.AUC(multi_label=True, num_labels=3)
        m.update(m.init(), np.ones(4), np.ones(4))
    with pytest.raises(ShapeError, match=r"F1Score 'f1_score' needs example inputs"):
        metrics.F1Score().init()
    with pytest.raises(ShapeError, match=r"FBetaScore 'fbeta_score' expects y_true and y_pred of "
                       r"shape \(batch, num_classes\)\. Received: y_true\.shape=\(4,\), "
                       r"y_pred\.shape=\(4,\)"):
        metrics.FBetaScore().update_state(np.ones(4), np.ones(4))
    assert metrics.F1Score(average="micro").init()["true_positives"].shape == ()
    with pytest.raises(ShapeError, match=r"with class_id=1, y_pred must have shape"):
        metrics.Precision(class_id=1).update_state(np.ones(4), np.ones(4))


def test_config_errors():
    with pytest.raises(ConfigError, match=r"AUC 'auc': `curve` must be one of \['ROC', 'PR', "
                       r"'PRGAIN'\]\. Received: curve='XY'"):
        metrics.AUC(curve="XY")
    with pytest.raises(ConfigError, match=r"`summation_method` must be one of .* "
                       r"Received: summation_method='riemann'"):
        metrics.AUC(summation_method="riemann")
    with pytest.raises(ConfigError, match=r"`num_thresholds` must be an int > 1\. "
                       r"Received: num_thresholds=1"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ConfigError, match=r"`num_labels` is only used with multi_label=True"):
        metrics.AUC(num_labels=3)
    with pytest.raises(ConfigError, match=r"Precision: `thresholds` must be a float or a "
                       r"non-empty list of floats in \[0, 1\]\. Received: thresholds=\[0\.5, 2\]"):
        metrics.Precision(thresholds=[0.5, 2])
    with pytest.raises(ConfigError, match=r"`average` must be one of .* Received: average='avg'"):
        metrics.F1Score(average="avg")
    with pytest.raises(ConfigError, match=r"`beta` must be a float > 0\. Received: beta=0\.0"):
        metrics.FBetaScore(beta=0.0)
    with pytest.raises(ConfigError, match=r"`threshold` must be None or a float in \(0, 1\]\. "
                       r"Received: threshold=1\.5"):
        metrics.F1Score(threshold=1.5)
    with pytest.raises(ConfigTypeError, match=r"Mean 'loss': update\(state, values, "
                       r"y_pred=None, sample_weight=None\) takes the values"):
        m = metrics.Mean(name="loss")
        m.update(m.init(), np.ones(3), np.ones(3))
    with pytest.raises(ConfigError, match=r"`metric_variables` must hold one array per state "
                       r"entry \['count', 'total'\]\. Received: 1 arrays"):
        metrics.Mean().stateless_result([jnp.zeros(())])
    with pytest.raises(ConfigError, match=r"Accuracy: `dtype` must be a float dtype name"):
        metrics.Accuracy(dtype="nonsense")


def test_custom_metric_subclass():
    class Count(metrics.Metric):
        def init(self, y_true=None, y_pred=None):
            return {"n": jnp.zeros((), self.dtype)}

        def update(self, state, y_true, y_pred, sample_weight=None):
            return {"n": state["n"] + jnp.shape(y_true)[0]}

        def compute_result(self, state):
            return state["n"]

    m = Count()
    assert m.name == "count"
    state = jax.jit(m.update)(m.init(), jnp.zeros(3), jnp.zeros(3))
    assert float(m.result(state)) == 3.0
    m.update_state(jnp.zeros(2), jnp.zeros(2))
    m.update_state(jnp.zeros(2), jnp.zeros(2))
    assert float(m.result()) == 4.0
