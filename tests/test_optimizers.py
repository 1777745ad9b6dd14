"""jaxlayers.optimizers: Keras names and numerics on optax, hyperparameter access, get/config."""

import inspect

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxlayers import optimizers as O
from jaxlayers.core import serialization
from jaxlayers.errors import ConfigError, ConfigTypeError, SerializationError, WeightsError

_RNG = np.random.default_rng(7)
W0 = [_RNG.normal(size=(3,)).astype("float32"), _RNG.normal(size=(2, 2)).astype("float32")]
GRADS = [[(_RNG.normal(size=w.shape) * s).astype("float32") for w in W0]
         for s in (1.0, 0.5, 2.0, 0.1, 1e-3)]


def run_ours(opt, grads=GRADS, w0=W0):
    tx = opt.to_optax()
    params = [jnp.asarray(w) for w in w0]
    state = tx.init(params)
    for g in grads:
        updates, state = tx.update([jnp.asarray(x) for x in g], state, params)
        params = optax.apply_updates(params, updates)
    return [np.asarray(p) for p in params], state


def run_keras(opt, grads=GRADS, w0=W0):
    keras = pytest.importorskip("keras")
    variables = [keras.Variable(w) for w in w0]
    for g in grads:
        opt.apply([jnp.asarray(x) for x in g], variables)
    return [np.asarray(v.value) for v in variables]


# Every configuration below reproduces Keras to float32 rounding (1e-7 absolute on
# weights of size ~1).
KERAS_CASES = [
    ("SGD", dict(learning_rate=0.1)),
    ("SGD", dict(learning_rate=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(learning_rate=0.1, momentum=0.9, weight_decay=0.1, clipnorm=1.0)),
    ("RMSprop", dict(learning_rate=0.01)),
    ("RMSprop", dict(learning_rate=0.01, momentum=0.5, centered=True, clipvalue=0.3)),
    ("Adam", dict(learning_rate=0.01, global_clipnorm=1.0)),
    ("Adam", dict(learning_rate=0.01, amsgrad=True)),
    ("AdamW", dict(learning_rate=0.01, weight_decay=0.1)),
    ("Adagrad", dict(learning_rate=0.1)),
    ("Adadelta", dict(learning_rate=1.0)),
    ("Adamax", dict(learning_rate=0.01)),
    ("Lion", dict(learning_rate=0.01, weight_decay=0.05)),
    ("Nadam", dict(learning_rate=0.01)),
]


@pytest.mark.parametrize("name,kwargs", KERAS_CASES,
                         ids=[f"{n}-{'-'.join(k)}" for n, k in KERAS_CASES])
def test_matches_keras(name, kwargs):
    keras = pytest.importorskip("keras")
    expected = run_keras(getattr(keras.optimizers, name)(**kwargs))
    ours, _ = run_ours(getattr(O, name)(**kwargs))
    for a, b, w in zip(ours, expected, W0):
        assert np.max(np.abs(b - w)) > 1e-3  # the weights did move
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=3e-7)


DEFAULT_NAMES = ["sgd", "rmsprop", "adam", "adamw", "adagrad", "adadelta", "adamax", "lion",
                 "nadam"]


@pytest.mark.parametrize("name", DEFAULT_NAMES)
def test_names_given_to_compile_match_keras_defaults(name):
    """``compile(optimizer=name)``: the same steps as ``keras.optimizers.get(name)``."""
    keras = pytest.importorskip("keras")
    grads = [[g * 50.0 for g in step] for step in GRADS]  # default rates are small
    expected = run_keras(keras.optimizers.get(name), grads)
    ours, _ = run_ours(O.get(name), grads)
    for a, b, w in zip(ours, expected, W0):
        assert np.max(np.abs(b - w)) > 1e-6  # the weights did move (adadelta: barely)
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=3e-7)


def test_adam_epsilon_placement_vs_plain_optax():
    """Keras's epsilon sits before bias correction; plain optax.adam differs by a known amount."""
    keras = pytest.importorskip("keras")
    g = [[np.full(3, 1e-4, "float32"), np.full((2, 2), -1e-4, "float32")]]
    expected = run_keras(keras.optimizers.Adam(learning_rate=1.0), grads=g)
    ours, _ = run_ours(O.Adam(learning_rate=1.0), grads=g)
    for a, b in zip(ours, expected):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    tx = optax.adam(1.0, eps=1e-7)
    plain = optax.apply_updates(W0, tx.update(g[0], tx.init(W0), W0)[0])
    step_keras = np.abs(expected[0] - W0[0])
    step_plain = np.abs(np.asarray(plain[0]) - W0[0])
    # Step 1 is m_hat / (|g| + eps_eff): eps_eff = eps / sqrt(1 - b2) for Keras, eps for optax.
    predicted = (1e-4 + 1e-7 / np.sqrt(1 - 0.999)) / (1e-4 + 1e-7)
    np.testing.assert_allclose(step_plain / step_keras, predicted, rtol=1e-4)
    assert abs(predicted - 1) > 0.03  # a 3% difference for gradients of size 1e-4


def test_signatures_and_config_keys_match_keras():
    keras = pytest.importorskip("keras")
    for name in ("SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax", "Nadam",
                 "Lion", "Ftrl", "Lamb", "Adafactor", "Muon", "ScheduleFreeAdamW"):
        ours = inspect.signature(getattr(O, name)).parameters
        theirs = inspect.signature(getattr(keras.optimizers, name)).parameters
        assert [(p.name, p.default) for p in ours.values()] == \
            [(p.name, p.default) for p in theirs.values()], name
        k_config = getattr(keras.optimizers, name)().get_config()
        config = getattr(O, name)().get_config()
        assert list(config) == list(k_config), name
        for key, value in k_config.items():
            if key not in ("name", "learning_rate"):
                assert config[key] == value, (name, key)
        assert np.float32(config["learning_rate"]) == np.float32(k_config["learning_rate"])


def test_keras_config_deserializes():
    keras = pytest.importorskip("keras")
    k = keras.optimizers.RMSprop(learning_rate=0.02, rho=0.8, centered=True, clipnorm=2.0)
    opt = O.deserialize(keras.optimizers.serialize(k))
    assert isinstance(opt, O.RMSprop)
    assert (opt.rho, opt.centered, opt.clipnorm) == (0.8, True, 2.0)
    assert np.float32(opt.learning_rate) == np.float32(0.02)
    converted = O.get(keras.optimizers.Adam(learning_rate=0.01, amsgrad=True))
    assert type(converted) is O.Adam and converted.amsgrad


def test_config_round_trip_and_registry():
    opt = O.AdamW(learning_rate=0.003, weight_decay=0.01, beta_1=0.8, amsgrad=True,
                  global_clipnorm=1.5, gradient_accumulation_steps=4, name="w")
    config = O.serialize(opt)
    assert config["class_name"] == "AdamW" and config["module"] == "jaxlayers.optimizers"
    again = O.deserialize(config)
    assert type(again) is O.AdamW and again.get_config() == opt.get_config()
    assert O.deserialize({"class_name": "adam", "config": {}}).__class__ is O.Adam
    assert set(serialization.builtins("optimizers")) >= {"SGD", "Adam", "Lion", "Nadam"}
    with pytest.raises(SerializationError, match="raw optax transform has no config"):
        O.serialize(optax.adam(1e-3))


def test_default_names_are_unique_snake_case():
    a, b = O.RMSprop(), O.RMSprop()
    assert a.name.startswith("rm_sprop") and a.name != b.name
    assert O.Adam(name="mine").name == "mine"


# ----------------------------------------------------------------------------- get
def test_get_names_instances_and_optax_passthrough():
    for name, cls in [("sgd", O.SGD), ("rmsprop", O.RMSprop), ("adam", O.Adam),
                      ("adamw", O.AdamW), ("adagrad", O.Adagrad), ("adadelta", O.Adadelta),
                      ("adamax", O.Adamax), ("nadam", O.Nadam), ("lion", O.Lion),
                      ("Adam", O.Adam), ("RMSprop", O.RMSprop)]:
        assert type(O.get(name)) is cls
    assert O.get("adam") is not O.get("adam")
    assert O.get("adam").epsilon == 1e-7
    opt = O.SGD()
    assert O.get(opt) is opt
    tx = optax.adam(1e-3)
    assert O.get(tx) is tx
    assert type(O.get(O.Lion)) is O.Lion
    assert O.get({"class_name": "SGD", "config": {"momentum": 0.5}}).momentum == 0.5


def test_get_errors():
    for name, cls in [("ftrl", O.Ftrl), ("lamb", O.Lamb), ("adafactor", O.Adafactor),
                      ("muon", O.Muon)]:  # once missing, now provided
        assert type(O.get(name)) is cls
    assert type(O.deserialize({"class_name": "Ftrl", "config": {}})) is O.Ftrl
    with pytest.raises(ConfigError, match=r"Unknown optimizer: 'adamz'. Known names: \["):
        O.get("adamz")
    with pytest.raises(ConfigTypeError, match="Could not interpret optimizer identifier"):
        O.get(3)


@pytest.mark.parametrize("make,match", [
    (lambda: O.SGD(clipnorm=1.0, clipvalue=1.0), "only one of `clipnorm`, `clipvalue`"),
    (lambda: O.Adam(learning_rate=-1.0), r"`learning_rate` must be a finite float in \[0.0"),
    (lambda: O.SGD(momentum=1.5), r"SGD: `momentum` must be a finite float in \[0.0, 1.0\]"),
    (lambda: O.Adam(beta_1=1.0), r"`beta_1` must be a finite float in \[0.0, 1.0\)"),
    (lambda: O.Adam(use_ema=True, ema_momentum=1.5), "`ema_momentum` must be a finite"),
    (lambda: O.Adam(use_ema=True, ema_overwrite_frequency=0),
     "`ema_overwrite_frequency` must be a positive int"),
    (lambda: O.Adam(loss_scale_factor=0.0), "`loss_scale_factor` must be a positive"),
    (lambda: O.Adam(gradient_accumulation_steps=1), "must be an int >= 2 or None"),
    (lambda: O.Adam(foo=1), r"argument\(s\) not recognized: \['foo'\]"),
    (lambda: O.AdamW(weight_decay=None), "AdamW: `weight_decay` must be a float >= 0"),
])
def test_constructor_errors(make, match):
    with pytest.raises(ConfigError, match=match):
        make()


# ----------------------------------------------------------------------------- hyperparams
def _bound(opt, params):
    """Binds ``opt`` to a dict holding the state, as the trainer does."""
    box = {"state": None}
    opt.bind_state(lambda: box["state"], lambda s: box.update(state=s))
    tx = opt.to_optax()
    return tx, box


def test_bound_facade_reads_and_writes_the_live_state():
    params = {"w": jnp.ones(2)}
    opt = O.SGD(learning_rate=0.1)
    assert opt.learning_rate == 0.1 and opt.iterations == 0  # unbound: configured value
    tx, box = _bound(opt, params)
    assert opt.learning_rate == 0.1 and opt.variables == []  # bound, no state yet
    opt.learning_rate = 0.2  # before init: init picks it up
    box["state"] = tx.init(params)
    assert opt.learning_rate == 0.2
    np.testing.assert_allclose(O.get_hyperparam(box["state"], "learning_rate"), 0.2)
    opt.learning_rate = 0.5
    assert isinstance(opt.learning_rate, float) and opt.learning_rate == 0.5
    for _ in range(3):
        updates, box["state"] = tx.update({"w": jnp.ones(2)}, box["state"], params)
    np.testing.assert_allclose(updates["w"], [-0.5, -0.5])
    assert opt.iterations == 3 and int(O.iterations(box["state"])) == 3
    assert opt.get_config()["learning_rate"] == 0.5


def test_set_hyperparam_does_not_retrace_a_jitted_step():
    tx = O.Adam(learning_rate=0.1).to_optax()
    params = {"w": jnp.ones(3)}
    traces = []

    @jax.jit
    def step(state, params):
        traces.append(1)
        updates, state = tx.update({"w": jnp.ones(3)}, state, params)
        return state, optax.apply_updates(params, updates)

    state = tx.init(params)
    state, p1 = step(state, params)
    state = O.set_hyperparam(state, "learning_rate", 0.0)
    state, p2 = step(state, p1)
    assert len(traces) == 1
    np.testing.assert_array_equal(p1["w"], p2["w"])  # lr 0 froze the weights


def test_hyperparams_in_raw_nested_optax_states():
    params = {"w": jnp.ones(2)}
    tx = optax.chain(optax.clip(1.0), optax.inject_hyperparams(optax.adam)(learning_rate=0.3))
    state = O.set_hyperparam(tx.init(params), "learning_rate", 0.01)
    np.testing.assert_allclose(O.get_hyperparam(state, "learning_rate"), 0.01)
    multi = O.Adam(learning_rate=0.2, gradient_accumulation_steps=2).to_optax()
    np.testing.assert_allclose(O.get_hyperparam(multi.init(params), "learning_rate"), 0.2)
    assert int(O.iterations(optax.adam(0.1).init(params))) == 0
    with pytest.raises(ConfigError, match="no injectable 'learning_rate' \\(a raw optax"):
        O.get_hyperparam(optax.adam(0.1).init(params), "learning_rate")
    with pytest.raises(ConfigError, match="no injectable 'learning_rate'"):
        O.set_hyperparam(optax.adam(0.1).init(params), "learning_rate", 0.1)
    with pytest.raises(ConfigError, match="has no step counter"):
        O.iterations(optax.sgd(0.1).init(params))


def test_schedules_match_keras_and_are_not_settable():
    keras = pytest.importorskip("keras")
    k_sched = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    expected = run_keras(keras.optimizers.SGD(learning_rate=k_sched, momentum=0.5))
    sched = optax.exponential_decay(0.1, transition_steps=1, decay_rate=0.5)
    ours, _ = run_ours(O.SGD(learning_rate=sched, momentum=0.5))
    for a, b in zip(ours, expected):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    lambda_ours, _ = run_ours(O.SGD(learning_rate=lambda step: 0.1 * 0.5 ** step,
                                    momentum=0.5))
    for a, b in zip(lambda_ours, expected):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)

    opt = O.SGD(learning_rate=sched)
    tx, box = _bound(opt, None)
    params = {"w": jnp.ones(2)}
    box["state"] = tx.init(params)
    for _ in range(2):
        _, box["state"] = tx.update({"w": jnp.ones(2)}, box["state"], params)
    assert opt.learning_rate == pytest.approx(0.025)  # Keras: schedule(iterations)
    with pytest.raises(ConfigTypeError, match="created with a learning-rate schedule"):
        opt.learning_rate = 0.1
    with pytest.raises(ConfigError, match="schedule can only be set before compile"):
        opt.learning_rate = sched
    with pytest.raises(ConfigTypeError, match="follows a schedule"):
        O.set_hyperparam(box["state"], "learning_rate", 0.1)


def test_schedule_serialization():
    def warm(step):
        return 0.1 * step

    with pytest.raises(SerializationError, match="register_serializable"):
        O.Adam(learning_rate=warm).get_config()
    serialization.register_serializable(package="test_opt")(warm)
    config = O.serialize(O.Adam(learning_rate=warm))
    assert config["config"]["learning_rate"] == {"registered_name": "test_opt>warm"}
    assert O.deserialize(config)._learning_rate is warm


# ----------------------------------------------------------------------------- transforms
def test_clipping_behaviour():
    params = [jnp.zeros(2), jnp.zeros(2)]
    grads = [jnp.array([3.0, 4.0]), jnp.array([0.3, 0.4])]  # norms 5 and 0.5

    def step(opt):
        tx = opt.to_optax()
        return [np.asarray(u) for u in tx.update(grads, tx.init(params), params)[0]]

    per_tensor = step(O.SGD(learning_rate=1.0, clipnorm=1.0))
    np.testing.assert_allclose(per_tensor[0], [-0.6, -0.8], rtol=1e-6)
    np.testing.assert_allclose(per_tensor[1], [-0.3, -0.4], rtol=1e-6)  # under the limit
    global_norm = np.sqrt(25 + 0.25)
    clipped = step(O.SGD(learning_rate=1.0, global_clipnorm=1.0))
    np.testing.assert_allclose(clipped[1], -np.array([0.3, 0.4]) / global_norm, rtol=1e-5)
    by_value = step(O.SGD(learning_rate=1.0, clipvalue=0.35))
    np.testing.assert_allclose(by_value[0], [-0.35, -0.35])
    np.testing.assert_allclose(by_value[1], [-0.3, -0.35])


def test_weight_decay_and_exclusion():
    params = {"dense": {"kernel": jnp.full(2, 2.0), "bias": jnp.full(2, 2.0)}}
    zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
    opt = O.SGD(learning_rate=0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    tx = opt.to_optax()
    updates, _ = tx.update(zeros, tx.init(params), params)
    np.testing.assert_allclose(updates["dense"]["kernel"], [-0.1, -0.1], rtol=1e-6)  # lr*wd*w
    np.testing.assert_allclose(updates["dense"]["bias"], [0.0, 0.0])


def test_gradient_accumulation_matches_keras_for_sgd():
    keras = pytest.importorskip("keras")
    grads = GRADS[:4]
    expected = run_keras(keras.optimizers.SGD(learning_rate=0.1, gradient_accumulation_steps=2),
                         grads)
    ours, state = run_ours(O.SGD(learning_rate=0.1, gradient_accumulation_steps=2), grads)
    for a, b in zip(ours, expected):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert int(O.iterations(state)) == 2  # applied updates, as Keras's `iterations`


def test_gradient_accumulation_schedule_sees_every_call_as_in_keras():
    keras = pytest.importorskip("keras")
    grads = GRADS[:4]
    k_sched = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    expected = run_keras(keras.optimizers.Adam(k_sched, gradient_accumulation_steps=2), grads)
    sched = O.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    ours, _ = run_ours(O.Adam(sched, gradient_accumulation_steps=2), grads)
    for a, b in zip(ours, expected):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_variables_and_set_weights_round_trip():
    params = {"w": jnp.ones(2)}
    opt = O.Adam(learning_rate=0.1)
    tx, box = _bound(opt, params)
    with pytest.raises(WeightsError, match="set_weights needs the optimizer state"):
        opt.set_weights([])
    box["state"] = tx.init(params)
    saved = opt.get_weights()
    _, box["state"] = tx.update({"w": jnp.ones(2)}, box["state"], params)
    assert opt.iterations == 1
    opt.set_weights(saved)
    assert opt.iterations == 0
    with pytest.raises(WeightsError, match=f"expected {len(saved)} arrays"):
        opt.set_weights(saved[:-1])


def test_more_error_messages():
    params = {"w": jnp.ones(2)}
    with pytest.raises(NotImplementedError, match="must implement _update"):
        O.Optimizer(0.1).to_optax().init(params)
    opt = O.SGD(momentum=0.5)
    tx, box = _bound(opt, params)
    box["state"] = tx.init(params)
    bad = [np.zeros((3,)) for _ in opt.variables]
    with pytest.raises(WeightsError, match=r"optimizer state array \d has shape"):
        opt.set_weights(bad)
    config = {"class_name": "Adam", "config": {"learning_rate": {"registered_name": "x>nope"}}}
    with pytest.raises(SerializationError, match="unknown learning-rate schedule 'x>nope'"):
        O.deserialize(config)
