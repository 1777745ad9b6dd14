"""A hand-written JAX training loop, as Keras 3's guide writes it, gives Keras's numbers.

``model.stateless_call`` + ``optimizer.stateless_apply`` +
``metric.stateless_update_state`` / ``stateless_result`` inside one ``jax.jit``
step; the same program runs on Keras 3 from the same initial weights, and the
losses, metric and weights after three steps must agree.
"""

import jax
import jax.numpy as jnp
import numpy as np

import jaxlayers as jl

STEPS = 3


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 3)).astype("float32")
    y = rng.normal(size=(4, 1)).astype("float32")
    return [x] * STEPS, [y] * STEPS  # one batch, three times: the loss must fall


def run_loop(lib, model, optimizer, x, y):
    """The guide's loop, written once for either library (only ``lib`` differs)."""
    loss_fn = lib.losses.MeanSquaredError()
    metric = lib.metrics.MeanAbsoluteError()

    def compute_loss_and_updates(trainable, non_trainable, xb, yb):
        y_pred, non_trainable = model.stateless_call(trainable, non_trainable, xb,
                                                     training=True)
        return loss_fn(yb, y_pred), (y_pred, non_trainable)

    grad_fn = jax.value_and_grad(compute_loss_and_updates, has_aux=True)

    @jax.jit
    def train_step(state, xb, yb):
        trainable, non_trainable, opt_values, metric_values = state
        (loss, (y_pred, non_trainable)), grads = grad_fn(trainable, non_trainable, xb, yb)
        trainable, opt_values = optimizer.stateless_apply(opt_values, grads, trainable)
        metric_values = metric.stateless_update_state(metric_values, yb, y_pred)
        return loss, (trainable, non_trainable, opt_values, metric_values)

    optimizer.build(model.trainable_variables)
    state = tuple([jnp.asarray(v) for v in group] for group in (
        model.trainable_variables, model.non_trainable_variables, optimizer.variables,
        metric.variables))
    losses = []
    for xb, yb in zip(x, y):
        loss, state = train_step(state, xb, yb)
        losses.append(float(loss))
    trainable, non_trainable, opt_values, metric_values = state
    for var, value in zip(model.trainable_variables + model.non_trainable_variables,
                          trainable + non_trainable):
        var.assign(value)
    for var, value in zip(optimizer.variables, opt_values):
        var.assign(value)
    return losses, float(metric.stateless_result(metric_values)), model.get_weights()


def _model(lib):
    return lib.Sequential([lib.Input((3,)), lib.layers.Dense(4, activation="relu"),
                           lib.layers.BatchNormalization(), lib.layers.Dense(1)])


def test_custom_loop_matches_keras(keras):
    x, y = _data()
    k_model = _model(keras)
    model = _model(jl)
    model.set_weights(k_model.get_weights())
    k_out = run_loop(keras, k_model, keras.optimizers.Adam(0.05), x, y)
    optimizer = jl.optimizers.Adam(0.05)
    out = run_loop(jl, model, optimizer, x, y)

    np.testing.assert_allclose(out[0], k_out[0], rtol=1e-5)  # the loss of every step
    np.testing.assert_allclose(out[1], k_out[1], rtol=1e-5)  # the metric
    for ours, theirs in zip(out[2], k_out[2]):  # kernels, biases, BatchNorm statistics
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    assert out[0][-1] < out[0][0]
    assert int(optimizer.iterations) == STEPS  # the state was written back
