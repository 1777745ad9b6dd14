"""Optimizers as Keras objects: build, variables, iterations, learning_rate, apply, the fit link."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers import optimizers as O
from jaxlayers.errors import ConfigError, ShapeError, StateError, WeightsError


def _variables():
    return [jl.Variable(name=n, shape=s, dtype="float32",
                        initializer=lambda shape, dtype: jnp.ones(shape, dtype))
            for n, s in (("a", (2,)), ("b", (2, 2)))]


def test_build_variables_and_iterations_are_handles_on_one_state():
    variables = _variables()
    opt = O.SGD(learning_rate=0.5, momentum=0.5)
    assert opt.variables == [] and opt.iterations == 0 and not opt.built
    opt.build(variables)
    handles = opt.variables
    assert all(isinstance(v, jl.Variable) for v in handles)
    assert [v.shape for v in handles] == [(), (), (2,), (2, 2)]
    opt.build(variables)  # same list: idempotent, same handles
    assert opt.variables == handles
    opt.apply([jnp.ones(2), jnp.ones((2, 2))])
    opt.apply_gradients(zip([jnp.ones(2), jnp.ones((2, 2))], variables))
    assert int(opt.iterations) == 2 and opt.iterations == 2
    # momentum 0.5: the trace holds 1 then 1.5 times the gradient (lr-scaled: -0.5, -0.75)
    np.testing.assert_allclose(handles[2].numpy(), [-0.75, -0.75])
    np.testing.assert_allclose(variables[0].numpy(), [1 - 0.5 - 0.75] * 2)
    handles[2].assign(np.zeros(2))  # writes into the state
    np.testing.assert_allclose(opt.get_weights()[2], [0.0, 0.0])
    opt.iterations.assign(7)
    assert int(opt.iterations) == 7
    with pytest.raises(ShapeError, match="Cannot assign to optimizer variable"):
        handles[2].assign(np.zeros(3))


def test_learning_rate_get_set_and_schedule():
    variables = _variables()
    opt = O.SGD(learning_rate=0.5)
    opt.build(variables)
    opt.learning_rate = 0.25
    assert opt.learning_rate == 0.25
    opt.apply([jnp.ones(2), jnp.ones((2, 2))])
    np.testing.assert_allclose(variables[0].numpy(), [0.75, 0.75])
    sched = O.schedules.ExponentialDecay(0.5, decay_steps=1, decay_rate=0.5)
    scheduled = O.SGD(learning_rate=sched)
    scheduled.apply([jnp.ones(2)], variables[:1])
    assert scheduled.learning_rate == pytest.approx(0.25)  # evaluated at iterations == 1
    np.testing.assert_allclose(variables[0].numpy(), [0.25, 0.25])


def test_stateless_apply_is_pure_and_checked():
    opt = O.Adam(learning_rate=0.1)
    weights = [jnp.ones(2), jnp.ones((2, 2))]
    opt.build(weights)
    before = opt.get_weights()
    values = [v.value for v in opt.variables]
    grads = [jnp.ones(2), jnp.ones((2, 2))]
    new_w, new_o = jax.jit(opt.stateless_apply)(values, grads, weights)
    assert int(opt.iterations) == 0  # nothing assigned
    for a, b in zip(before, opt.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert len(new_o) == len(values) and int(new_o[0]) == 1
    np.testing.assert_allclose(new_w[0], [0.9, 0.9], rtol=1e-5)
    with pytest.raises(WeightsError, match="expects 11 optimizer variables"):
        opt.stateless_apply(values[:-1], grads, weights)
    with pytest.raises(WeightsError, match="one gradient per trainable variable"):
        opt.stateless_apply(values, grads[:1], weights)
    with pytest.raises(WeightsError, match="built over another structure"):
        opt.stateless_apply(values, grads[:1], weights[:1])
    with pytest.raises(ConfigError, match="needs a gradient. Received: None for \\[1\\]"):
        opt.stateless_apply(values, [grads[0], None], weights)


def test_apply_errors():
    opt = O.SGD()
    with pytest.raises(StateError, match="needs a built optimizer"):
        opt.apply([jnp.ones(2)])
    opt.apply([])  # no gradients: nothing to do, as in Keras
    with pytest.raises(WeightsError, match="set_weights needs the optimizer state"):
        opt.set_weights([])
    variables = _variables()
    opt.build(variables)
    with pytest.raises(WeightsError, match="one gradient per variable: 2 variables"):
        opt.apply([jnp.ones(2)])


def test_fit_shares_its_state_with_the_optimizer_object():
    model = jl.Sequential([jl.Input((2,)), jl.layers.Dense(1)])
    opt = O.Adam(learning_rate=0.01)
    model.compile(optimizer=opt, loss="mse")
    x, y = np.ones((8, 2), "float32"), np.zeros((8, 1), "float32")
    model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    assert int(model.optimizer.iterations) == 4
    leaves = jax.tree_util.tree_leaves(model.training_state()["optimizer_state"])
    assert len(opt.variables) == len(leaves)
    for var, leaf in zip(opt.variables, leaves):
        np.testing.assert_array_equal(var.numpy(), np.asarray(leaf))
    opt.learning_rate = 0.5  # written into the trainer's state
    assert float(O.get_hyperparam(model.training_state()["optimizer_state"],
                                  "learning_rate")) == 0.5
