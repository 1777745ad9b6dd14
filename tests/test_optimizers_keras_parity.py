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


def keras_run(keras, opt):
    variables = [keras.Variable(w) for w in W0]
    history = []
    for _ in range(STEPS):
        opt.apply_gradients(zip(grads_at([v.numpy() for v in variables]), variables))
        history.append([v.numpy() for v in variables])
    return history, int(opt.iterations)


def our_variables():
    """Standalone jaxlayers Variables holding W0."""
    return [jl.Variable(name=f"w{i}", shape=w.shape, dtype="float32",
                        initializer=lambda shape, dtype, w=w: jnp.asarray(w))
            for i, w in enumerate(W0)]


CASES = [
    ("SGD", dict(learning_rate=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(learning_rate=0.1, momentum=0.5)),
    ("Adam", dict(learning_rate=0.1)),
    ("AdamW", dict(learning_rate=0.1, weight_decay=0.2)),
    ("RMSprop", dict(learning_rate=0.05, momentum=0.3)),
]


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_object_api_matches_keras(keras, name, kwargs):
    expected, k_iterations = keras_run(keras, getattr(keras.optimizers, name)(**kwargs))

    # Eager, in place: apply_gradients builds on first use.
    variables = our_variables()
    opt = getattr(O, name)(**kwargs)
    eager = []
    for _ in range(STEPS):
        opt.apply_gradients(zip(grads_at([v.numpy() for v in variables]), variables))
        eager.append([v.numpy() for v in variables])
    assert int(opt.iterations) == k_iterations == STEPS

    # Pure, jitted: the optimizer's state travels as a list of arrays.
    pure_opt = getattr(O, name)(**kwargs)
    pure_opt.build([jnp.asarray(w) for w in W0])
    step = jax.jit(pure_opt.stateless_apply)
    weights = [jnp.asarray(w) for w in W0]
    opt_values = [v.value for v in pure_opt.variables]
    pure = []
    for _ in range(STEPS):
        weights, opt_values = step(opt_values, grads_at(weights), weights)
        pure.append([np.asarray(w) for w in weights])
    assert len(opt_values) == len(pure_opt.variables)

    for got_eager, got_pure, want in zip(eager, pure, expected):
        for a, b, c in zip(got_eager, got_pure, want):
            np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(b, c, rtol=1e-5, atol=1e-6)
