"""Learning-rate schedules: Keras's values step by step, optax use, configs and errors."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxlayers as jl
from jaxlayers.errors import ConfigError

S = jl.optimizers.schedules

CASES = [
    ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=7, decay_rate=0.5)),
    ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=7, decay_rate=0.5,
                              staircase=True)),
    ("PiecewiseConstantDecay", dict(boundaries=[3, 10], values=[1.0, 0.5, 0.1])),
    ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=9, power=2.0)),
    ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=9, end_learning_rate=0.01,
                             cycle=True)),
    ("InverseTimeDecay", dict(initial_learning_rate=0.1, decay_steps=5, decay_rate=0.3)),
    ("InverseTimeDecay", dict(initial_learning_rate=0.1, decay_steps=5, decay_rate=0.3,
                              staircase=True)),
    ("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=12, alpha=0.1)),
    ("CosineDecay", dict(initial_learning_rate=0.0, decay_steps=12, warmup_target=0.2,
                         warmup_steps=4)),
    ("CosineDecayRestarts", dict(initial_learning_rate=0.1, first_decay_steps=4)),
    ("CosineDecayRestarts", dict(initial_learning_rate=0.1, first_decay_steps=4, t_mul=1.0,
                                 m_mul=0.5, alpha=0.05)),
]
STEPS = np.arange(0, 30)


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{i}" for i, (n, _) in
                                                    enumerate(CASES)])
def test_values_equal_keras_step_by_step(keras, name, kwargs):
    ours = getattr(S, name)(**kwargs)
    theirs = getattr(keras.optimizers.schedules, name)(**kwargs)
    want = np.array([float(theirs(int(s))) for s in STEPS])
    got_eager = np.array([float(ours(int(s))) for s in STEPS])
    got_jit = np.asarray(jax.jit(jax.vmap(ours))(jnp.asarray(STEPS)))
    np.testing.assert_allclose(got_eager, want, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(got_jit, want, rtol=1e-6, atol=1e-8)
    assert ours.get_config() == theirs.get_config()


def test_every_keras_schedule_name_exists(keras):
    names = {n for n in dir(keras.optimizers.schedules) if not n.startswith("_")}
    assert names <= set(S.__all__)


@pytest.mark.parametrize("name,kwargs", CASES[::3])
def test_serialize_round_trip(name, kwargs):
    schedule = getattr(S, name)(**kwargs)
    again = S.deserialize(S.serialize(schedule))
    assert type(again) is type(schedule) and again.get_config() == schedule.get_config()


def test_keras_serialized_schedule_deserializes(keras):
    config = keras.optimizers.schedules.serialize(
        keras.optimizers.schedules.CosineDecay(0.1, 10, alpha=0.2))
    assert S.deserialize(config).get_config()["alpha"] == 0.2


def test_optimizer_with_schedule_steps_like_optax_and_round_trips():
    schedule = S.ExponentialDecay(0.5, decay_steps=1, decay_rate=0.5)
    opt = jl.optimizers.SGD(learning_rate=schedule)
    tx = opt.to_optax()
    params = {"w": jnp.ones(2)}
    state = tx.init(params)
    ref_tx = optax.sgd(schedule)
    ref_state = ref_tx.init(params)
    for _ in range(3):
        grads = {"w": jnp.ones(2)}
        upd, state = tx.update(grads, state, params)
        ref_upd, ref_state = ref_tx.update(grads, ref_state, params)
        np.testing.assert_allclose(upd["w"], ref_upd["w"], rtol=1e-6)
    rebuilt = jl.optimizers.deserialize(jl.optimizers.serialize(opt))
    assert isinstance(rebuilt._learning_rate, S.ExponentialDecay)


def test_schedule_in_fit_lowers_the_rate():
    model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(1)])
    schedule = S.PiecewiseConstantDecay([1], [0.1, 0.0])  # steps 0-1: 0.1, then 0.0
    model.compile(optimizer=jl.optimizers.SGD(schedule), loss="mse")
    x, y = np.ones((8, 3), "float32"), np.zeros((8, 1), "float32")
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)      # steps 0 and 1: rate 0.1
    before = [np.array(w) for w in model.get_weights()]
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)      # steps 2 and 3: rate 0.0
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("make,match", [
    (lambda: S.ExponentialDecay(0.1, 0, 0.5), "ExponentialDecay: `decay_steps` must be a "
                                              "number > 0. Received: decay_steps=0"),
    (lambda: S.CosineDecayRestarts(0.1, -1), "`first_decay_steps` must be a number > 0"),
    (lambda: S.PiecewiseConstantDecay([1, 2], [0.1, 0.2]), "one entry fewer than `values`"),
])
def test_bad_arguments_are_named(make, match):
    with pytest.raises(ConfigError, match=match):
        make()


@pytest.mark.parametrize("make,match", [
    (lambda: S.ExponentialDecay("a", 10, 0.5), r"ExponentialDecay: `initial_learning_rate` "
                                               r"must be a finite number\. "
                                               r"Received: initial_learning_rate='a'\."),
    (lambda: S.InverseTimeDecay(0.1, 10, float("nan")), r"InverseTimeDecay: `decay_rate` must "
                                                        r"be a finite number"),
    (lambda: S.PolynomialDecay(0.1, 10, end_learning_rate=None),
     r"PolynomialDecay: `end_learning_rate` must be a finite number\. "
     r"Received: end_learning_rate=None\."),
    (lambda: S.CosineDecay(0.1, 10, warmup_steps=-1), r"CosineDecay: `warmup_steps` must be a "
                                                      r"finite number >= 0\. "
                                                      r"Received: warmup_steps=-1\."),
    (lambda: S.CosineDecay(0.1, 10, warmup_target="x"), r"`warmup_target` must be a finite"),
    (lambda: S.CosineDecayRestarts(0.1, 10, t_mul=[2.0]), r"CosineDecayRestarts: `t_mul` must "
                                                          r"be a finite number"),
    (lambda: S.PiecewiseConstantDecay([1], [0.1, "b"]), r"PiecewiseConstantDecay: `values` "
                                                        r"must be a finite number"),
])
def test_bad_rates_are_named_before_the_schedule_is_traced(make, match):
    with pytest.raises(ConfigError, match=match):
        make()


def test_numpy_and_jax_scalar_rates_are_accepted():
    schedule = S.ExponentialDecay(np.float32(0.1), 10, jnp.asarray(0.5))
    np.testing.assert_allclose(schedule(10), 0.05, rtol=1e-6)


def test_a_user_schedule_subclass_works_and_an_incomplete_one_is_named():
    class Halving(S.LearningRateSchedule):
        def __init__(self, rate):
            self.rate = rate

        def __call__(self, step):
            return self.rate / (step + 1)

        def get_config(self):
            return {"rate": self.rate}

    assert float(Halving(0.2)(jnp.asarray(1.0))) == pytest.approx(0.1)

    class Empty(S.LearningRateSchedule):
        pass

    with pytest.raises(TypeError, match=r"Empty: a learning-rate schedule must define "
                                        r"__call__\(self, step\)"):
        Empty()(0)
