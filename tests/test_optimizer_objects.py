"""Optimizers as Keras objects: build, variables, iterations, learning_rate, apply, the fit link."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers import optimizers as O
from jaxlayers.errors import ConfigError, ConfigTypeError, ShapeError, StateError, WeightsError


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
    model = jl.Sequential([jl.Input((2,)), jl.layers.Dense(1, name="d")])
    adam, frozen = O.Adam(learning_rate=0.01), O.SGD(0.0)
    opt = O.MultiOptimizer(O.OptimizerMap(adam, {"d/bias": frozen}))  # routed by path
    model.compile(optimizer=opt, loss="mse")
    x, y = np.ones((8, 2), "float32"), np.zeros((8, 1), "float32")
    bias = model.get_weights()[1]
    model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    assert int(model.optimizer.iterations) == int(adam.iterations) == 4
    np.testing.assert_array_equal(model.get_weights()[1], bias)
    leaves = jax.tree_util.tree_leaves(model.training_state()["optimizer_state"])
    assert len(opt.variables) == len(leaves)
    for var, leaf in zip(opt.variables, leaves):
        np.testing.assert_array_equal(var.numpy(), np.asarray(leaf))
    adam.learning_rate = 0.5  # written into the trainer's state, beside SGD's 0.0
    scalars = [float(x) for x in jax.tree_util.tree_leaves(
        model.training_state()["optimizer_state"]) if np.ndim(x) == 0]
    assert 0.5 in scalars and 0.01 not in [round(v, 6) for v in scalars]
    assert frozen.learning_rate == 0.0


ALL = ["SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax", "Nadam", "Lion",
       "Ftrl", "Lamb", "Adafactor", "Muon", "ScheduleFreeAdamW"]


def test_every_optimizer_round_trips_its_config():
    for name in ALL:
        opt = getattr(O, name)(learning_rate=0.05, clipnorm=1.0, use_ema=True)
        again = O.deserialize(O.serialize(opt))
        assert type(again) is type(opt) and again.get_config() == opt.get_config(), name
    scaled = O.LossScaleOptimizer(O.Adam(0.01, beta_1=0.8), initial_scale=8.0,
                                  dynamic_growth_steps=5)
    again = O.deserialize(O.serialize(scaled))
    assert again.get_config() == scaled.get_config()
    assert again.inner_optimizer.beta_1 == 0.8 and again.dynamic_growth_steps == 5
    multi = O.MultiOptimizer(O.OptimizerMap(O.SGD(0.1), {"enc/.*": O.Adam(0.2)}))
    again = O.deserialize(O.serialize(multi))
    assert [type(o).__name__ for o in again.optimizers] == ["Adam", "SGD"]
    assert again.get_config() == multi.get_config()


def test_keras_wrapper_configs_deserialize(keras):
    k_scaled = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.3, momentum=0.5),
                                                   initial_scale=16.0)
    scaled = O.deserialize(keras.optimizers.serialize(k_scaled))
    assert isinstance(scaled.inner_optimizer, O.SGD) and scaled.inner_optimizer.momentum == 0.5
    assert scaled.initial_scale == 16.0 and scaled.learning_rate == pytest.approx(0.3)
    k_multi = keras.optimizers.MultiOptimizer(keras.optimizers.OptimizerMap(
        keras.optimizers.SGD(0.1), {"enc/.*": keras.optimizers.Adam(0.2)}))
    multi = O.deserialize(keras.optimizers.serialize(k_multi))
    adam, sgd = multi.optimizers
    assert isinstance(adam, O.Adam) and adam.learning_rate == pytest.approx(0.2)
    assert isinstance(sgd, O.SGD)


def test_moving_average_and_finalize():
    variables = _variables()
    opt = O.SGD(learning_rate=0.5, use_ema=True, ema_momentum=0.5)
    assert opt.moving_averages is None
    grads = [jnp.ones(2), jnp.ones((2, 2))]
    opt.apply(grads, variables)  # w: 0.5; first step: the average is the weight
    opt.apply(grads)  # w: 0.0; average 0.5 * 0.5 + 0.5 * 0.0
    np.testing.assert_allclose(opt.moving_averages[0], [0.25, 0.25])
    np.testing.assert_allclose(variables[0].numpy(), [0.0, 0.0])
    opt.finalize_variable_values(variables)
    np.testing.assert_allclose(variables[0].numpy(), [0.25, 0.25])


def test_muon_routes_by_shape_and_path():
    variables = [jl.Variable(name=n, shape=s, dtype="float32",
                             initializer=lambda shape, dtype: jnp.ones(shape, dtype))
                 for n, s in (("bias", (2,)), ("kernel", (2, 2)), ("embeddings", (2, 2)),
                              ("skip_me", (2, 2)))]
    opt = O.Muon(exclude_layers=["skip"])
    opt.build(variables)
    muon = [v.name for v in opt.variables if "/muon/" in v.name and "/trace/" in v.name]
    adam = [v.name for v in opt.variables if "/adam/" in v.name and "/mu/" in v.name]
    assert [n.rsplit("/", 1)[1] for n in muon] == ["1"]  # the kernel
    # rank 1, an embedding (exclude_embeddings), a path matching exclude_layers
    assert [n.rsplit("/", 1)[1] for n in adam] == ["0", "2", "3"]


def test_scale_loss_and_wrapper_errors():
    assert float(O.Adam(loss_scale_factor=4.0).scale_loss(0.5)) == 2.0
    assert O.Adam().scale_loss(0.5) == 0.5
    with pytest.raises(ConfigError, match="`dynamic=False` is not supported"):
        O.LossScaleOptimizer(O.SGD(), dynamic=False)
    with pytest.raises(ConfigError, match=r"not recognized: \['clipnorm'\]"):
        O.LossScaleOptimizer(O.SGD(), clipnorm=1.0)
    with pytest.raises(ConfigTypeError, match="`inner_optimizer` must be a jaxlayers"):
        O.LossScaleOptimizer("sgd")
    with pytest.raises(ConfigTypeError, match="`default_optimizer` must be a jaxlayers"):
        O.OptimizerMap("sgd")
    mapping = O.OptimizerMap(O.SGD(), {"a/.*": O.Adam()})
    with pytest.raises(ConfigError, match="key 'a/.\\*' is already mapped"):
        mapping["a/.*"] = O.Adam()
    mapping[".*/b"] = O.Adam()
    with pytest.raises(ConfigError, match="matches several keys"):
        mapping["a/b"]
    multi = O.MultiOptimizer(mapping)
    with pytest.raises(AttributeError, match="no single learning rate"):
        multi.learning_rate  # noqa: B018
    opt = O.AdamW()
    opt.build(_variables())
    with pytest.raises(StateError, match="only be called before the optimizer is built"):
        opt.exclude_from_weight_decay(var_names=["bias"])


def test_multi_optimizer_with_a_selector_function():
    variables = _variables()  # paths "a" (2,) and "b" (2, 2)

    def select(variable):  # a new optimizer per call, as in Keras's example
        return O.SGD(0.5) if len(variable.shape) == 1 else O.SGD(0.0)

    opt = O.MultiOptimizer(select)
    grads = [jnp.ones(2), jnp.ones((2, 2))]
    opt.apply(grads, variables)
    opt.apply(grads)
    assert len(opt.optimizers) == 2
    np.testing.assert_allclose(variables[0].numpy(), [0.0, 0.0])  # 1 - 2 * 0.5
    np.testing.assert_allclose(variables[1].numpy(), np.ones((2, 2)))
    with pytest.raises(ConfigTypeError, match="a selector function cannot be saved"):
        opt.get_config()


def test_a_gradient_of_another_shape_is_named_before_the_update():
    model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)])
    opt = jl.optimizers.Adam()
    opt.build(model.trainable_variables)
    values = [v.value for v in model.trainable_variables]
    bad = [jnp.ones((4,)), jnp.ones((2,))]
    with pytest.raises(ValueError, match=r"Adam 'adam(_\d+)?': gradient 0 must have the "
                                         r"shape of its variable .*\(3, 2\)\. Received: "
                                         r"shape \(4,\)"):
        opt.stateless_apply([v.value for v in opt.variables], bad, values)
    with pytest.raises(ValueError, match=r"gradient 0 must have the shape"):
        jax.jit(opt.stateless_apply)([v.value for v in opt.variables], bad, values)
    with pytest.raises(ValueError, match=r"gradient 0 must have the shape"):
        opt.apply_gradients([(jnp.ones((5,)), model.trainable_variables[0])])
