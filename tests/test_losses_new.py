"""Circle and CategoricalGeneralizedCrossEntropy beyond the shared tables of test_losses.py.

The tables there compare both against float64 references and, for every
reduction with and without sample weights, against Keras; here: reference
embeddings, gradients, masks in metrics, and errors.
"""

import jax
import numpy as np
import pytest
from test_losses import make_data, ref_circle

from jaxlayers.errors import ConfigError, DTypeError, ShapeError
from jaxlayers.training import losses, metrics


def test_circle_with_reference_embeddings_matches_keras(keras, rng):
    y, e = make_data("embedding", rng)
    refs = rng.normal(size=(5, 4))
    refs = (refs / np.linalg.norm(refs, axis=1, keepdims=True)).astype(np.float32)
    ref_labels = np.array([0, 2, 2, 1, 0], np.int32)
    for kwargs in ({"gamma": 3.0}, {"gamma": 3.0, "remove_diagonal": False, "margin": 0.1}):
        got = losses.circle(y, e, ref_labels=ref_labels, ref_embeddings=refs, **kwargs)
        want = keras.losses.circle(y, e, ref_labels=ref_labels, ref_embeddings=refs, **kwargs)
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-6)


def test_circle_labels_as_a_column_and_as_floats(rng):
    y, e = make_data("embedding", rng)
    want = ref_circle(y, e, gamma=5.0)
    for labels in (y[:, None], y.astype(np.float32)):
        np.testing.assert_allclose(losses.circle(labels, e, gamma=5.0), want, rtol=2e-5,
                                   atol=1e-6)


def test_circle_gradients_are_finite_when_a_label_has_no_pair(rng):
    y, e = make_data("embedding", rng)  # label 2 occurs once: no positive pair
    loss = losses.Circle(gamma=10.0)
    grads = jax.jit(jax.grad(lambda emb: loss(y, emb)))(e)
    assert np.all(np.isfinite(grads)) and np.any(grads != 0.0)
    lone = np.array([0, 1, 2, 3, 4, 5])  # no positive pair anywhere: loss and grads are 0
    assert float(loss(lone, e)) == 0.0
    assert np.all(jax.grad(lambda emb: loss(lone, emb))(e) == 0.0)


def test_circle_metric_averages_the_non_zero_values(keras, rng):
    """Zero values (queries without pairs) are left out of the mean, with or without weights.

    Keras 3.15 leaves them out only when a sample_weight is given (as for
    ``ignore_class``); with weights the two agree.
    """
    y, e = make_data("embedding", rng)
    values = ref_circle(y, e, gamma=4.0)
    nonzero = values > 0
    assert not nonzero.all()
    sw = rng.uniform(0.5, 2.0, 6).astype(np.float32)
    ours = metrics.MeanMetricWrapper(losses.circle, gamma=4.0)
    ours.update_state(y, e)
    np.testing.assert_allclose(ours.result(), values[nonzero].mean(), rtol=2e-5)
    weighted = metrics.MeanMetricWrapper(losses.circle, gamma=4.0)
    theirs = keras.metrics.MeanMetricWrapper(keras.losses.circle, gamma=4.0)
    weighted.update_state(y, e, sample_weight=sw)
    theirs.update_state(y, e, sample_weight=sw)
    expected = (values * sw).sum() / sw[nonzero].sum()
    np.testing.assert_allclose(weighted.result(), expected, rtol=2e-5)
    np.testing.assert_allclose(weighted.result(), theirs.result(), rtol=2e-5)


def test_generalized_cross_entropy_out_of_range_ids_like_keras(keras):
    p = np.array([[0.7, 0.3], [0.2, 0.8]], np.float32)
    ids = np.array([0, 5])
    got = losses.categorical_generalized_cross_entropy(ids, p, q=0.5)
    np.testing.assert_allclose(got, [(1 - 0.7**0.5) / 0.5, 2.0], rtol=1e-6)
    want = keras.losses.categorical_generalized_cross_entropy(ids, p, q=0.5)
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_get_and_config():
    assert losses.get("circle") is losses.circle
    assert losses.get("categorical_generalized_cross_entropy") is (
        losses.categorical_generalized_cross_entropy)
    circle = losses.get("Circle")
    assert (circle.gamma, circle.margin, circle.remove_diagonal) == (80.0, 0.4, True)
    gce = losses.deserialize(losses.serialize(losses.CategoricalGeneralizedCrossEntropy(q=0.2)))
    assert type(gce).__name__ == "CategoricalGeneralizedCrossEntropy" and gce.q == 0.2


def test_errors():
    for q in (0.0, 1.0, -0.5, "0.5", True):
        with pytest.raises(ConfigError, match=r"CategoricalGeneralizedCrossEntropy "
                           r"'categorical_generalized_cross_entropy': `q` must be a float in "
                           r"\(0, 1\)\. Received: q="):
            losses.CategoricalGeneralizedCrossEntropy(q=q)
    with pytest.raises(ShapeError, match=r"Circle expects integer class ids of shape \(batch,\), "
                       r"here \(4,\) or \(4, 1\) for y_pred\.shape=\(4, 3\)\. Received: "
                       r"y_true\.shape=\(4, 3\)\.$"):
        losses.Circle()(np.eye(3)[[0, 1, 2, 0]], np.ones((4, 3)))
    with pytest.raises(ShapeError, match=r"categorical_generalized_cross_entropy expects integer "
                       r"class ids .* Received: y_true\.shape=\(4, 3\)\.$"):
        losses.categorical_generalized_cross_entropy(np.eye(3)[[0, 1, 2, 0]], np.ones((4, 3)), 0.5)
    with pytest.raises(DTypeError, match=r"circle expects integer class ids"):
        losses.check_loss_inputs("circle", (4,), (4, 3), np.dtype("U1"))
