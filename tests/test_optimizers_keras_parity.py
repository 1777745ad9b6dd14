"""Optimizer objects against Keras 3: the same gradients in give the same weights out.

One tiny quadratic problem, ``loss = sum(c * (w - t)**2)`` over two weights;
each library computes the gradient at its own current weights, three steps.
Our weights go through ``apply_gradients`` (eager, in place) and, in the same
test, through ``stateless_apply`` under ``jax.jit``; both must equal Keras's.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers import optimizers as O

W0 = [np.array([0.5, -1.0, 2.0], "float32"), np.array([[1.5, -0.5], [0.25, 3.0]], "float32")]
TARGET = [np.array([1.0, 2.0, -1.0], "float32"), np.array([[0.0, 1.0], [-2.0, 0.5]], "float32")]
SCALE = [np.array([1.0, 0.3, 2.0], "float32"), np.array([[0.05, 1.0], [4.0, 0.5]], "float32")]
STEPS = 3


def grads_at(weights):
    return [2.0 * c * (np.asarray(w) - t) for w, t, c in zip(weights, TARGET, SCALE)]


def keras_run(keras, opt, setup=None, grads_fn=None):
    """Keras's weights after each step, through its jitted ``stateless_apply``."""
    grads_fn = grads_fn or (lambda weights, step: grads_at(weights))
    variables = [keras.Variable(w, name=f"w{i}") for i, w in enumerate(W0)]
    if setup is not None:
        setup(opt, variables)
    opt.build(variables)
    step = jax.jit(opt.stateless_apply)
    weights, opt_values = [v.value for v in variables], [v.value for v in opt.variables]
    history = []
    for i in range(STEPS):
        weights, opt_values = step(opt_values, grads_fn(weights, i), weights)
        history.append([np.asarray(w) for w in weights])
    for var, value in zip(opt.variables, opt_values):
        var.assign(value)
    return history, int(opt.iterations)


def our_variables():
    """Standalone jaxlayers Variables holding W0."""
    return [jl.Variable(name=f"w{i}", shape=w.shape, dtype="float32",
                        initializer=lambda shape, dtype, w=w: jnp.asarray(w))
            for i, w in enumerate(W0)]


def _exclude_second(opt, variables):
    opt.exclude_from_weight_decay(var_list=[variables[1]])


# (class name, arguments, what to call before the first step, also check stateless_apply)
CASES = [
    # RMSprop, Nadam and the rest of the classic ones: test_optimizers.py (same transforms).
    ("SGD", dict(learning_rate=0.1, momentum=0.9, nesterov=True), None, True),
    ("Adam", dict(learning_rate=0.1), None, True),
    ("Ftrl", dict(learning_rate=0.1, learning_rate_power=-0.3, l1_regularization_strength=0.01,
                  l2_regularization_strength=0.1, l2_shrinkage_regularization_strength=0.05,
                  beta=0.2), None, False),
    ("Lamb", dict(learning_rate=0.1, weight_decay=0.1), None, False),
    ("Adafactor", dict(learning_rate=0.1), None, False),
    ("Muon", dict(learning_rate=0.1), None, False),  # w1 (2x2) takes Muon's step, w0 Adam's
    ("Adam", dict(learning_rate=0.1, use_ema=True, ema_momentum=0.9, ema_overwrite_frequency=2,
                  loss_scale_factor=4.0, global_clipnorm=1.0), None, False),
    ("SGD", dict(learning_rate=0.1, momentum=0.5, gradient_accumulation_steps=2), None, False),
    ("AdamW", dict(learning_rate=0.1, weight_decay=0.3, clipvalue=0.5), _exclude_second, False),
    ("ScheduleFreeAdamW", dict(learning_rate=0.1, beta_1=0.8, warmup_steps=2), None, False),
]
@pytest.mark.parametrize("name,kwargs,setup,pure", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_object_api_matches_keras(keras, name, kwargs, setup, pure):
    expected, k_iterations = keras_run(keras, getattr(keras.optimizers, name)(**kwargs), setup)

    # Eager, in place: apply_gradients builds on first use.
    variables = our_variables()
    opt = getattr(O, name)(**kwargs)
    if setup is not None:
        setup(opt, variables)
    eager = []
    for _ in range(STEPS):
        opt.apply_gradients(zip(grads_at([v.numpy() for v in variables]), variables))
        eager.append([v.numpy() for v in variables])
    assert int(opt.iterations) == k_iterations
    for got, want in zip(eager, expected):
        for a, b in zip(got, want):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert max(np.max(np.abs(a - w)) for a, w in zip(eager[-1], W0)) > 1e-2  # they moved
    if not pure:
        return

    # Pure, jitted: the optimizer's state travels as a list of arrays.
    pure_opt = getattr(O, name)(**kwargs)
    pure_opt.build([jnp.asarray(w) for w in W0])
    step = jax.jit(pure_opt.stateless_apply)
    weights = [jnp.asarray(w) for w in W0]
    opt_values = [v.value for v in pure_opt.variables]
    for want in expected:
        weights, opt_values = step(opt_values, grads_at(weights), weights)
        for a, b in zip(weights, want):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert len(opt_values) == len(pure_opt.variables)


def _scaled_grads(weights, step):
    grads = [g * 1000.0 for g in grads_at(weights)]
    if step == 1:
        grads[0] = grads[0] * np.inf  # skipped: the scale halves, Adam's state stays
    return grads


def test_loss_scale_optimizer_matches_keras(keras):
    k_opt = keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(0.1),
                                                initial_scale=1000.0, dynamic_growth_steps=1)
    expected, k_iterations = keras_run(keras, k_opt, grads_fn=_scaled_grads)
    variables = our_variables()
    opt = O.LossScaleOptimizer(O.Adam(0.1), initial_scale=1000.0, dynamic_growth_steps=1)
    assert float(opt.scale_loss(2.0)) == 2000.0
    for step, want in enumerate(expected):
        opt.apply(_scaled_grads([v.numpy() for v in variables], step), variables)
        for a, b in zip(variables, want):
            np.testing.assert_allclose(a.numpy(), b, rtol=1e-5, atol=1e-6)
    assert opt.dynamic_scale == float(k_opt.dynamic_scale) == 2000.0  # x2, /2, x2
    assert int(opt.iterations) == k_iterations == 2  # the skipped step did not count
    assert opt.learning_rate == opt.inner_optimizer.learning_rate == 0.1
    values = [v.value for v in opt.variables]
    assert float(opt.scale_loss(1.0, values)) == 2000.0  # read from traced-style arrays


def test_multi_optimizer_routes_by_path_like_keras(keras):
    k_opt = keras.optimizers.MultiOptimizer(keras.optimizers.OptimizerMap(
        keras.optimizers.SGD(0.1), {"w1": keras.optimizers.Adam(0.1)}))
    expected, _ = keras_run(keras, k_opt)
    variables = our_variables()
    opt = O.MultiOptimizer(O.OptimizerMap(O.SGD(0.1), {"w1": O.Adam(0.1)}))
    for want in expected:
        opt.apply_gradients(zip(grads_at([v.numpy() for v in variables]), variables))
        for a, b in zip(variables, want):
            np.testing.assert_allclose(a.numpy(), b, rtol=1e-5, atol=1e-6)
    adam, sgd = opt.optimizers
    assert (type(adam).__name__, type(sgd).__name__) == ("Adam", "SGD")
    assert int(adam.iterations) == int(sgd.iterations) == int(opt.iterations) == STEPS
    sgd.learning_rate = 0.0  # written into the MultiOptimizer's state: w0 stops moving
    before = variables[0].numpy()
    opt.apply(grads_at([v.numpy() for v in variables]))
    np.testing.assert_array_equal(variables[0].numpy(), before)
