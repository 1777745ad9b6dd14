"""Losses: float64 NumPy references, Keras 3 as an oracle, reductions, errors, config."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxlayers.errors import (
    ConfigError,
    ConfigTypeError,
    DTypeError,
    SerializationError,
    ShapeError,
)
from jaxlayers.training import losses

EPS = 1e-7
RTOL, ATOL = 2e-5, 2e-6

# ---------------------------------------------------------------------------
# Independent float64 references
# ---------------------------------------------------------------------------


def _f64(*xs):
    return [np.asarray(x, np.float64) for x in xs]


def _log_softmax(x, axis=-1):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _probs_log(p, axis=-1):
    p = p / p.sum(axis=axis, keepdims=True)
    return np.log(np.clip(p, EPS, 1 - EPS))


def ref_binary_crossentropy(y, p, from_logits=False, label_smoothing=0.0, axis=-1):
    y, p = _f64(y, p)
    y = y * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:  # stable form of the logistic loss
        e = np.maximum(p, 0) - p * y + np.log1p(np.exp(-np.abs(p)))
    else:
        q = np.clip(p, EPS, 1 - EPS)
        e = -(y * np.log(q) + (1 - y) * np.log(1 - q))
    return e.mean(axis=axis)


def ref_binary_focal(y, p, apply_class_balancing=False, alpha=0.25, gamma=2.0,
                     from_logits=False, label_smoothing=0.0, axis=-1):
    y, p = _f64(y, p)
    y = y * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        p = 1 / (1 + np.exp(-p))
    q = np.clip(p, EPS, 1 - EPS)
    ce = -(y * np.log(q) + (1 - y) * np.log(1 - q))
    pt = np.where(True, y * p + (1 - y) * (1 - p), 0)
    out = (1 - pt) ** gamma * ce
    if apply_class_balancing:
        out = out * (alpha * y + (1 - alpha) * (1 - y))
    return out.mean(axis=axis)


def ref_categorical_crossentropy(y, p, from_logits=False, label_smoothing=0.0, axis=-1):
    y, p = _f64(y, p)
    y = y * (1 - label_smoothing) + label_smoothing / p.shape[axis]
    logp = _log_softmax(p, axis) if from_logits else _probs_log(p, axis)
    return -(y * logp).sum(axis=axis)


def ref_categorical_focal(y, p, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0,
                          axis=-1):
    y, p = _f64(y, p)
    y = y * (1 - label_smoothing) + label_smoothing / p.shape[axis]
    if from_logits:
        p = np.exp(_log_softmax(p, axis))
    q = np.clip(p / p.sum(axis=axis, keepdims=True), EPS, 1 - EPS)
    return (-alpha * (1 - q) ** gamma * y * np.log(q)).sum(axis=axis)


def ref_sparse_crossentropy(y, p, from_logits=False, ignore_class=None, axis=-1):
    p = np.asarray(p, np.float64)
    ids = np.asarray(y).astype(np.int64)
    if ids.ndim == p.ndim:
        ids = np.squeeze(ids, axis)
    logp = _log_softmax(p, axis) if from_logits else _probs_log(p, axis)
    logp = np.moveaxis(logp, axis, -1)
    safe = np.where(ids == ignore_class, 0, ids) if ignore_class is not None else ids
    out = -np.take_along_axis(logp, safe[..., None], axis=-1)[..., 0]
    if ignore_class is not None:
        out = np.where(ids == ignore_class, 0.0, out)
    return out


def ref_mse(y, p):
    y, p = _f64(y, p)
    return ((y - p) ** 2).mean(-1)


def ref_mae(y, p):
    y, p = _f64(y, p)
    return np.abs(y - p).mean(-1)


def ref_mape(y, p):
    y, p = _f64(y, p)
    return 100 * (np.abs(y - p) / np.maximum(np.abs(y), EPS)).mean(-1)


def ref_msle(y, p):
    y, p = _f64(y, p)
    return ((np.log1p(np.maximum(p, EPS)) - np.log1p(np.maximum(y, EPS))) ** 2).mean(-1)


def ref_cosine(y, p, axis=-1):
    y, p = _f64(y, p)
    ny = y / np.linalg.norm(y, axis=axis, keepdims=True)
    np_ = p / np.linalg.norm(p, axis=axis, keepdims=True)
    return -(ny * np_).sum(axis=axis)


def ref_huber(y, p, delta=1.0):
    y, p = _f64(y, p)
    a = np.abs(p - y)
    return np.where(a <= delta, 0.5 * a**2, delta * a - 0.5 * delta**2).mean(-1)


def ref_log_cosh(y, p):
    y, p = _f64(y, p)
    return np.log(np.cosh(p - y)).mean(-1)


def _pm1(y):
    return 2 * y - 1 if np.all((y == 0) | (y == 1)) else y


def ref_hinge(y, p):
    y, p = _f64(y, p)
    return np.maximum(1 - _pm1(y) * p, 0).mean(-1)


def ref_squared_hinge(y, p):
    y, p = _f64(y, p)
    return (np.maximum(1 - _pm1(y) * p, 0) ** 2).mean(-1)


def ref_categorical_hinge(y, p):
    y, p = _f64(y, p)
    return np.maximum(((1 - y) * p).max(-1) - (y * p).sum(-1) + 1, 0)


def ref_kld(y, p):
    y, p = _f64(y, p)
    y, p = np.clip(y, EPS, 1), np.clip(p, EPS, 1)
    return (y * np.log(y / p)).sum(-1)


def ref_poisson(y, p):
    y, p = _f64(y, p)
    return (p - y * np.log(p + EPS)).mean(-1)


def ref_dice(y, p, axis=None):
    y, p = _f64(y, p)
    return 1 - 2 * (y * p).sum(axis=axis) / (y.sum(axis=axis) + p.sum(axis=axis) + EPS)


def ref_tversky(y, p, alpha=0.5, beta=0.5, axis=None):
    y, p = _f64(y, p)
    tp = (y * p).sum(axis=axis)
    return 1 - tp / (tp + alpha * ((1 - p) * y).sum(axis=axis)
                     + beta * (p * (1 - y)).sum(axis=axis) + EPS)


def ref_ctc(labels, logits):
    """Brute force: log of the summed probability of every path that collapses to the label."""
    logp = _log_softmax(np.asarray(logits, np.float64))
    batch, steps, classes = logp.shape
    out = []
    for b in range(batch):
        target = [int(t) for t in labels[b] if t != 0]
        total = 0.0
        for path in itertools.product(range(classes), repeat=steps):
            collapsed = [c for i, c in enumerate(path) if c != 0 and (i == 0 or c != path[i - 1])]
            if collapsed == target:
                total += np.exp(sum(logp[b, t, c] for t, c in enumerate(path)))
        out.append(-np.log(total))
    return np.array(out)


def ref_gce(y, p, q):
    p = np.asarray(p, np.float64)
    picked = np.array([row[int(i)] for row, i in zip(p, np.ravel(y))])
    return (1 - picked**q) / q


def ref_circle(y, e, remove_diagonal=True, gamma=80.0, margin=0.4):
    """Sun et al.'s form over similarities s = min(cos, 1): optima 1 + m and -m,
    margins 1 - m and m."""
    e, y = np.asarray(e, np.float64), np.ravel(y)
    out = []
    for i in range(len(y)):
        pos, neg = [], []
        for j in range(len(y)):
            s = min(e[i] @ e[j], 1.0)
            if y[i] != y[j]:
                neg.append(gamma * max(s + margin, 0.0) * (s - margin))
            elif j != i or not remove_diagonal:
                pos.append(-gamma * max(1 + margin - s, 0.0) * (s - (1 - margin)))
        if not pos or not neg:
            out.append(0.0)
            continue
        lse = np.logaddexp.reduce(pos) + np.logaddexp.reduce(neg)
        out.append(np.logaddexp(0.0, lse))
    return np.array(out)


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


def make_data(kind, rng, from_logits=False):
    """(y_true, y_pred) float32/int32 arrays for a kind of loss."""
    f32 = np.float32
    if kind == "binary":
        y = rng.integers(0, 2, (6, 3)).astype(f32)
        x = rng.normal(size=(6, 3)).astype(f32) * 2
        return y, x if from_logits else (1 / (1 + np.exp(-x))).astype(f32)
    if kind == "binary_rank1":  # labels (batch,) with predictions (batch, 1)
        y = rng.integers(0, 2, (6,)).astype(f32)
        x = rng.normal(size=(6, 1)).astype(f32)
        return y, x if from_logits else (1 / (1 + np.exp(-x))).astype(f32)
    if kind in ("categorical", "sparse", "sparse_seq"):
        shape = (3, 5, 4) if kind == "sparse_seq" else (6, 4)
        x = rng.normal(size=shape).astype(f32) * 2
        ids = rng.integers(0, 4, shape[:-1])
        y = ids.astype(np.int32) if kind != "categorical" else np.eye(4, dtype=f32)[ids]
        p = np.exp(x) / np.exp(x).sum(-1, keepdims=True)
        return y, x if from_logits else p.astype(f32)
    if kind == "regression":
        return rng.normal(size=(6, 3)).astype(f32), rng.normal(size=(6, 3)).astype(f32)
    if kind == "positive":
        return (rng.uniform(0.1, 2.0, (6, 3)).astype(f32),
                rng.uniform(0.1, 2.0, (6, 3)).astype(f32))
    if kind == "prob":
        a, b = rng.uniform(0.05, 1, (2, 6, 3))
        a, b = a / a.sum(-1, keepdims=True), b / b.sum(-1, keepdims=True)
        return a.astype(f32), b.astype(f32)
    if kind == "hinge01":
        return rng.integers(0, 2, (6, 3)).astype(f32), rng.normal(size=(6, 3)).astype(f32)
    if kind == "hinge_pm1":
        return (rng.integers(0, 2, (6, 3)) * 2 - 1).astype(f32), rng.normal(size=(6, 3)).astype(f32)
    if kind == "seg":
        return rng.integers(0, 2, (4, 5)).astype(f32), rng.uniform(0, 1, (4, 5)).astype(f32)
    if kind == "embedding":  # label 2 has no positive pair: its loss is 0 (and masked)
        e = rng.normal(size=(6, 4))
        e = (e / np.linalg.norm(e, axis=1, keepdims=True)).astype(f32)
        return np.array([0, 1, 0, 2, 1, 0], np.int32), e
    if kind == "ctc":
        labels = np.array([[1, 2, 0], [2, 2, 1]], np.int32)
        return labels, rng.normal(size=(2, 6, 3)).astype(f32)
    raise ValueError(kind)


# ---------------------------------------------------------------------------
# Functions against NumPy
# ---------------------------------------------------------------------------

FUNCTION_CASES = [
    (losses.binary_crossentropy, ref_binary_crossentropy, "binary", {}),
    (losses.binary_crossentropy, ref_binary_crossentropy, "binary", {"from_logits": True}),
    (losses.binary_crossentropy, ref_binary_crossentropy, "binary",
     {"from_logits": True, "label_smoothing": 0.2}),
    (losses.binary_crossentropy, ref_binary_crossentropy, "binary", {"axis": 0}),
    (losses.binary_focal_crossentropy, ref_binary_focal, "binary", {}),
    (losses.binary_focal_crossentropy, ref_binary_focal, "binary",
     {"from_logits": True, "apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5}),
    (losses.binary_focal_crossentropy, ref_binary_focal, "binary", {"label_smoothing": 0.1}),
    (losses.categorical_crossentropy, ref_categorical_crossentropy, "categorical", {}),
    (losses.categorical_crossentropy, ref_categorical_crossentropy, "categorical",
     {"from_logits": True, "label_smoothing": 0.1}),
    (losses.categorical_crossentropy, ref_categorical_crossentropy, "categorical", {"axis": 0}),
    (losses.categorical_focal_crossentropy, ref_categorical_focal, "categorical", {}),
    (losses.categorical_focal_crossentropy, ref_categorical_focal, "categorical",
     {"from_logits": True, "alpha": 0.5, "gamma": 3.0, "label_smoothing": 0.2}),
    (losses.sparse_categorical_crossentropy, ref_sparse_crossentropy, "sparse", {}),
    (losses.sparse_categorical_crossentropy, ref_sparse_crossentropy, "sparse",
     {"from_logits": True}),
    (losses.sparse_categorical_crossentropy, ref_sparse_crossentropy, "sparse",
     {"from_logits": True, "ignore_class": 2}),
    (losses.sparse_categorical_crossentropy, ref_sparse_crossentropy, "sparse_seq",
     {"from_logits": True}),
    (losses.mean_squared_error, ref_mse, "regression", {}),
    (losses.mean_absolute_error, ref_mae, "regression", {}),
    (losses.mean_absolute_percentage_error, ref_mape, "regression", {}),
    (losses.mean_squared_logarithmic_error, ref_msle, "positive", {}),
    (losses.cosine_similarity, ref_cosine, "regression", {}),
    (losses.cosine_similarity, ref_cosine, "regression", {"axis": 0}),
    (losses.huber, ref_huber, "regression", {}),
    (losses.huber, ref_huber, "regression", {"delta": 0.3}),
    (losses.log_cosh, ref_log_cosh, "regression", {}),
    (losses.hinge, ref_hinge, "hinge01", {}),
    (losses.hinge, ref_hinge, "hinge_pm1", {}),
    (losses.squared_hinge, ref_squared_hinge, "hinge01", {}),
    (losses.squared_hinge, ref_squared_hinge, "hinge_pm1", {}),
    (losses.categorical_hinge, ref_categorical_hinge, "categorical", {}),
    (losses.kl_divergence, ref_kld, "prob", {}),
    (losses.poisson, ref_poisson, "positive", {}),
    (losses.dice, ref_dice, "seg", {}),
    (losses.dice, ref_dice, "seg", {"axis": -1}),
    (losses.tversky, ref_tversky, "seg", {}),
    (losses.tversky, ref_tversky, "seg", {"alpha": 0.7, "beta": 0.3, "axis": 1}),
    (losses.ctc, ref_ctc, "ctc", {}),
    (losses.categorical_generalized_cross_entropy, ref_gce, "sparse", {"q": 0.5}),
    (losses.categorical_generalized_cross_entropy, ref_gce, "sparse", {"q": 0.9}),
    (losses.circle, ref_circle, "embedding", {}),
    (losses.circle, ref_circle, "embedding",
     {"gamma": 2.0, "margin": 0.25, "remove_diagonal": False}),
]


def _case_id(case):
    fn, _, kind, kwargs = case
    opts = ",".join(f"{k}={v}" for k, v in kwargs.items())
    return f"{fn.__name__}-{kind}-{opts}"


@pytest.mark.parametrize("case", FUNCTION_CASES, ids=[_case_id(c) for c in FUNCTION_CASES])
def test_function_matches_numpy(case, rng):
    fn, ref, kind, kwargs = case
    y, p = make_data(kind, rng, kwargs.get("from_logits", False))
    got = np.asarray(fn(y, p, **kwargs))
    want = ref(y, p, **kwargs)
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


def test_aliases_and_every_function_covered():
    assert losses.mse is losses.mean_squared_error and losses.mae is losses.mean_absolute_error
    assert losses.mape is losses.mean_absolute_percentage_error
    assert losses.msle is losses.mean_squared_logarithmic_error
    assert losses.kld is losses.kl_divergence
    covered = {case[0] for case in FUNCTION_CASES}
    assert covered == set(losses.LOSS_FUNCTIONS)


def test_functions_jit_and_grad(rng):
    y, x = make_data("sparse", rng, from_logits=True)
    fn = jax.jit(lambda y, x: losses.sparse_categorical_crossentropy(
        y, x, from_logits=True, ignore_class=1).sum())
    np.testing.assert_allclose(
        fn(y, x), ref_sparse_crossentropy(y, x, True, ignore_class=1).sum(), rtol=RTOL)
    grads = jax.grad(fn, argnums=1)(y, x)
    assert np.all(np.isfinite(grads))
    np.testing.assert_array_equal(np.asarray(grads)[y == 1], 0.0)


def test_sparse_out_of_range_ids_give_nan():
    out = losses.sparse_categorical_crossentropy(jnp.array([0, 7, -1]), jnp.ones((3, 3)) / 3)
    assert np.isfinite(out[0]) and np.isnan(out[1]) and np.isnan(out[2])


# ---------------------------------------------------------------------------
# Classes against Keras
# ---------------------------------------------------------------------------

CLASS_CASES = [
    ("BinaryCrossentropy", {}, "binary"),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "binary"),
    ("BinaryCrossentropy", {"from_logits": True}, "binary_rank1"),
    ("BinaryFocalCrossentropy", {}, "binary"),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "alpha": 0.3, "gamma": 1.0,
                                 "from_logits": True, "label_smoothing": 0.05}, "binary"),
    ("CategoricalCrossentropy", {}, "categorical"),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, "categorical"),
    ("CategoricalFocalCrossentropy", {}, "categorical"),
    ("CategoricalFocalCrossentropy", {"from_logits": True, "alpha": 0.5, "gamma": 1.0},
     "categorical"),
    ("SparseCategoricalCrossentropy", {}, "sparse"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse"),
    ("SparseCategoricalCrossentropy", {"from_logits": True, "ignore_class": 1}, "sparse"),
    ("MeanSquaredError", {}, "regression"),
    ("MeanAbsoluteError", {}, "regression"),
    ("MeanAbsolutePercentageError", {}, "regression"),
    ("MeanSquaredLogarithmicError", {}, "positive"),
    ("CosineSimilarity", {}, "regression"),
    ("CosineSimilarity", {"axis": 0}, "regression"),
    ("Huber", {}, "regression"),
    ("Huber", {"delta": 0.5}, "regression"),
    ("LogCosh", {}, "regression"),
    ("Hinge", {}, "hinge01"),
    ("SquaredHinge", {}, "hinge_pm1"),
    ("CategoricalHinge", {}, "categorical"),
    ("KLDivergence", {}, "prob"),
    ("Poisson", {}, "positive"),
    ("Dice", {}, "seg"),
    ("Dice", {"axis": 1}, "seg"),
    ("Tversky", {}, "seg"),
    ("Tversky", {"alpha": 0.7, "beta": 0.3, "axis": 1}, "seg"),
    ("CTC", {}, "ctc"),
    ("CategoricalGeneralizedCrossEntropy", {}, "sparse"),
    ("CategoricalGeneralizedCrossEntropy", {"q": 0.2}, "sparse"),
    ("Circle", {}, "embedding"),
    ("Circle", {"gamma": 4.0, "margin": 0.3, "remove_diagonal": False}, "embedding"),
]
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None]


@pytest.mark.parametrize("name,kwargs,kind", CLASS_CASES,
                         ids=[f"{c[0]}-{c[2]}-{len(c[1])}" for c in CLASS_CASES])
def test_class_matches_keras(name, kwargs, kind, rng):
    keras = pytest.importorskip("keras")
    y, p = make_data(kind, rng, kwargs.get("from_logits", False))
    per_sample = np.shape(getattr(losses, name)(reduction="none", **kwargs)(y, p))
    n = per_sample[0] if per_sample else y.shape[0]
    weights = [None, rng.uniform(0.0, 2.0, (n,)).astype(np.float32)]
    for reduction, sw in itertools.product(REDUCTIONS, weights):
        ours = getattr(losses, name)(reduction=reduction, **kwargs)
        theirs = getattr(keras.losses, name)(reduction=reduction, **kwargs)
        got = ours(y, p, sample_weight=sw)
        want = np.asarray(theirs(y, p, sample_weight=sw))
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL,
                                   err_msg=f"reduction={reduction} sw={sw is not None}")
        assert ours.name == theirs.name


def test_sequence_weights_are_per_sample(rng):
    """(batch,) weights on (batch, time) values weigh whole sequences (Keras would misalign)."""
    y, x = make_data("sparse_seq", rng, from_logits=True)
    sw = np.array([1.0, 0.0, 2.0], np.float32)
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum")
    per = ref_sparse_crossentropy(y, x, from_logits=True)
    np.testing.assert_allclose(loss(y, x, sample_weight=sw), (per * sw[:, None]).sum(), rtol=RTOL)
    keras = pytest.importorskip("keras")
    sw2 = np.repeat(sw[:, None], 5, axis=1)
    want = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y, x, sample_weight=sw2)
    np.testing.assert_allclose(losses.SparseCategoricalCrossentropy(from_logits=True)(
        y, x, sample_weight=sw2), want, rtol=RTOL)


def test_reduce_weighted_values_numpy():
    v = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    w = np.array([1.0, 0.0, 2.0, 0.5], np.float32)
    r = losses.reduce_weighted_values
    np.testing.assert_allclose(r(v, w, reduction="sum"), (v * w).sum())
    np.testing.assert_allclose(r(v, w), (v * w).sum() / 4)
    np.testing.assert_allclose(r(v, w, reduction="mean"), (v * w).sum() / 4)
    np.testing.assert_allclose(r(v, w, reduction="mean_with_sample_weight"),
                               (v * w).sum() / w.sum())
    np.testing.assert_allclose(r(v, None, reduction="mean_with_sample_weight"), v.mean())
    np.testing.assert_allclose(r(v, w, reduction="none"), v * w)
    assert r(v, w, reduction=None).shape == (4,)
    np.testing.assert_allclose(r(v, np.zeros(4), reduction="mean_with_sample_weight"), 0.0)
    mask = np.array([True, False, True, True])
    np.testing.assert_allclose(r(v, None, mask=mask), v[mask].mean(), rtol=1e-6)
    np.testing.assert_allclose(r(v, w, mask=mask, reduction="sum"), (v * w * mask).sum())
    np.testing.assert_allclose(r(v, None, mask=np.zeros(4, bool)), 0.0)
    assert float(r(jnp.float32(3.0), None)) == 3.0


def test_loss_mask_argument(rng):
    y, p = make_data("regression", rng)
    mask = np.array([1, 1, 0, 1, 0, 1], bool)
    got = losses.MeanSquaredError()(y, p, mask=mask)
    np.testing.assert_allclose(got, ref_mse(y, p)[mask].mean(), rtol=RTOL)
    loss = losses.SparseCategoricalCrossentropy(ignore_class=0, reduction="sum")
    ys, ps = make_data("sparse", rng)
    got = loss(ys, ps, mask=np.arange(6) < 3)
    want = ref_sparse_crossentropy(ys, ps, ignore_class=0)[:3].sum()
    np.testing.assert_allclose(got, want, rtol=RTOL)


def test_loss_is_jittable_without_retracing(rng):
    y, x = make_data("categorical", rng, from_logits=True)
    loss = losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)
    traces = []

    @jax.jit
    def f(y, x, sw):
        traces.append(1)
        return loss(y, x, sample_weight=sw)

    sw = np.ones(6, np.float32)
    np.testing.assert_allclose(f(y, x, sw), loss(y, x, sw), rtol=1e-6)
    f(y, x * 2, sw)
    assert len(traces) == 1
    grads = jax.grad(lambda x: loss(y, x))(jnp.asarray(x))
    assert np.all(np.isfinite(grads))


def test_custom_loss_subclass():
    class Quartic(losses.Loss):
        def call(self, y_true, y_pred):
            return jnp.mean((y_true - y_pred) ** 4, axis=-1)

    loss = Quartic(reduction="sum")
    assert loss.name == "quartic"
    assert float(loss(jnp.zeros((2, 3)), jnp.ones((2, 3)))) == 2.0
    assert loss.get_config() == {"name": "quartic", "reduction": "sum", "dtype": "float32"}
    with pytest.raises(NotImplementedError, match="Loss must implement call"):
        losses.Loss()(jnp.zeros(2), jnp.zeros(2))


# ---------------------------------------------------------------------------
# get / serialize / config
# ---------------------------------------------------------------------------


def test_get_names():
    assert losses.get(None) is None
    assert losses.get("mse") is losses.mean_squared_error
    assert losses.get("mae") is losses.mean_absolute_error
    assert losses.get("huber") is losses.huber
    assert losses.get("binary_crossentropy") is losses.binary_crossentropy
    assert losses.get("sparse_categorical_crossentropy") is losses.sparse_categorical_crossentropy
    assert losses.get("categorical_crossentropy") is losses.categorical_crossentropy
    assert isinstance(losses.get("Huber"), losses.Huber)
    assert isinstance(losses.get(losses.Huber), losses.Huber)
    fn = lambda y, p: y - p  # noqa: E731
    assert losses.get(fn) is fn
    inst = losses.MeanSquaredError()
    assert losses.get(inst) is inst
    loss = losses.get({"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}})
    assert loss.from_logits is True
    with pytest.raises(ConfigError, match=r"Unknown loss: 'xyz'\. Known names: \[.*'mse'"):
        losses.get("xyz")
    with pytest.raises(ConfigTypeError, match="Received: identifier=3"):
        losses.get(3)


def test_get_knows_every_keras_name():
    keras = pytest.importorskip("keras")
    from keras.src.losses import ALL_OBJECTS_DICT

    skipped = {"LossFunctionWrapper"}
    for name, obj in ALL_OBJECTS_DICT.items():
        if name in skipped:
            continue
        ours = losses.get(name)
        if isinstance(obj, type):
            assert type(ours).__name__ == name
        else:
            assert ours.__name__ == obj.__name__, name
    assert keras is not None


@pytest.mark.parametrize("name,kwargs,kind", CLASS_CASES,
                         ids=[f"{c[0]}-{c[2]}-{len(c[1])}" for c in CLASS_CASES])
def test_config_round_trip(name, kwargs, kind):
    loss = getattr(losses, name)(reduction="sum", **kwargs)
    config = loss.get_config()
    clone = type(loss).from_config(config)
    assert clone.get_config() == config
    rebuilt = losses.deserialize(losses.serialize(loss))
    assert type(rebuilt) is type(loss) and rebuilt.get_config() == config
    keras = pytest.importorskip("keras")
    theirs = getattr(keras.losses, name)(reduction="sum", **kwargs).get_config()
    for key, value in theirs.items():
        if key in config:
            assert config[key] == value, key


def test_function_wrapper_and_serialization():
    wrapper = losses.LossFunctionWrapper(losses.huber, delta=0.5, reduction="sum")
    config = wrapper.get_config()
    assert config["fn"] == "huber" and config["delta"] == 0.5
    clone = losses.LossFunctionWrapper.from_config(config)
    assert clone.fn is losses.huber and clone.get_config() == config
    assert losses.serialize(losses.mse) == "mean_squared_error"
    assert losses.deserialize("mse") is losses.mean_squared_error
    with pytest.raises(SerializationError, match="Cannot serialize loss function"):
        losses.LossFunctionWrapper(lambda y, p: y).get_config()
    with pytest.raises(ConfigTypeError, match="`fn` must be a callable"):
        losses.LossFunctionWrapper(3)


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


def test_sparse_given_one_hot_labels():
    y, p = np.zeros((8, 10), np.float32), np.full((8, 10), 0.1, np.float32)
    msg = (r"SparseCategoricalCrossentropy expects integer class ids of shape \(batch,\), "
           r"here \(8,\) or \(8, 1\) for y_pred\.shape=\(8, 10\)\. "
           r"Received: y_true\.shape=\(8, 10\)\. For one-hot labels use CategoricalCrossentropy")
    with pytest.raises(ShapeError, match=msg):
        losses.SparseCategoricalCrossentropy()(y, p)
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy expects integer"):
        losses.sparse_categorical_crossentropy(y, p)
    with pytest.raises(ShapeError, match=r"SparseCategoricalCrossentropy expects integer"):
        losses.check_loss_inputs(losses.SparseCategoricalCrossentropy(), (8, 10), (8, 10))
    with pytest.raises(ShapeError, match="For one-hot labels"):
        losses.check_loss_inputs("sparse_categorical_crossentropy", (None, 10), (None, 10))
    with pytest.raises(ShapeError, match=r"Received: y_true\.shape=\(8, 3\)\.$"):
        losses.check_loss_inputs("sparse_categorical_crossentropy", (8, 3), (8, 5, 10))


def test_check_loss_inputs_accepts_good_labels():
    check = losses.check_loss_inputs
    check("sparse_categorical_crossentropy", (None,), (None, 10), np.int32)
    check("sparse_categorical_crossentropy", (None, 1), (None, 10), np.float32)
    check("sparse_categorical_crossentropy", (4, 7), (4, 7, 10))
    check(losses.SparseCategoricalCrossentropy(axis=1), (4, 7), (4, 10, 7))
    check("categorical_crossentropy", (None, 10), (None, 10))
    check("binary_crossentropy", (None,), (None, 1))
    check("mse", (None, 1), (None,))
    check("ctc", (2, 5), (2, 9, 4), np.int32)
    check(lambda y, p: y, (3,), (5, 5))  # custom losses are not checked


def test_categorical_given_integer_ids():
    with pytest.raises(ShapeError, match=r"CategoricalCrossentropy expects one-hot \(or soft\) "
                       r"labels with the same shape as y_pred, \(8, 10\)\. Received: "
                       r"y_true\.shape=\(8,\)\. For integer class ids use "
                       r"SparseCategoricalCrossentropy"):
        losses.CategoricalCrossentropy()(np.zeros(8, np.int32), np.ones((8, 10)) / 10)
    with pytest.raises(ShapeError, match=r"categorical_crossentropy expects one-hot"):
        losses.check_loss_inputs("categorical_crossentropy", (None, 1), (None, 10))


def test_binary_and_elementwise_shape_errors():
    with pytest.raises(ShapeError, match=r"BinaryCrossentropy expects 0/1 \(or soft\) labels "
                       r"with the same shape as y_pred, \(8, 10\)\. Received: "
                       r"y_true\.shape=\(8,\)\. For integer class ids"):
        losses.BinaryCrossentropy()(np.zeros(8), np.full((8, 10), 0.5))
    with pytest.raises(ShapeError, match=r"MeanSquaredError expects y_true and y_pred of the "
                       r"same \(or broadcastable\) shape\. Received: y_true\.shape=\(8, 3\), "
                       r"y_pred\.shape=\(8, 4\)"):
        losses.MeanSquaredError()(np.zeros((8, 3)), np.zeros((8, 4)))
    with pytest.raises(ShapeError, match=r"ctc expects y_true of integer labels"):
        losses.ctc(np.zeros((2, 3, 1), np.int32), np.zeros((2, 5, 4)))


def test_dtype_errors():
    with pytest.raises(DTypeError, match=r"SparseCategoricalCrossentropy expects integer class "
                       r"ids .* Received: y_true\.dtype=complex64"):
        losses.check_loss_inputs("SparseCategoricalCrossentropy", (4,), (4, 3), np.complex64)
    with pytest.raises(DTypeError, match=r"mean_squared_error expects numeric labels .* "
                       r"Received: y_true\.dtype=complex64"):
        losses.mean_squared_error(np.zeros(3, np.complex64), np.zeros(3))
    losses.check_loss_inputs("binary_crossentropy", (4, 1), (4, 1), np.bool_)


def test_config_errors():
    with pytest.raises(ConfigError, match=r"MeanSquaredError: `reduction` must be one of .* "
                       r"Received: reduction='avg'"):
        losses.MeanSquaredError(reduction="avg")
    with pytest.raises(ConfigError, match=r"BinaryCrossentropy: `label_smoothing` must be in "
                       r"\[0, 1\]\. Received: label_smoothing=1\.5"):
        losses.BinaryCrossentropy(label_smoothing=1.5)
    with pytest.raises(ConfigTypeError, match=r"CategoricalCrossentropy: `axis` must be an int\. "
                       r"Received: axis=True"):
        losses.CategoricalCrossentropy(axis=True)
    with pytest.raises(ConfigError, match=r"Huber: `dtype` must be a float dtype name"):
        losses.Huber(dtype="nonsense")
