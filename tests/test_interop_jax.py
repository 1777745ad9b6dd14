"""JaxLayer: pure JAX functions (hand-written, stax, Haiku-style) as jaxlayers layers."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.example_libraries import stax

import jaxlayers as jl
from jaxlayers import errors
from jaxlayers.core.serialization import custom_object_scope
from jaxlayers.layers.interop import JaxLayer
from tests.cases import interop as cases
from tests.helpers import assert_close

X = np.linspace(-1.0, 1.0, 12, dtype=np.float32).reshape(4, 3)


def test_hand_written_pair_matches_direct_call_and_gradients(key):
    layer = JaxLayer(cases.affine_call, cases.affine_init, name="aff")
    params, state = layer.init(key, X)
    assert jax.tree_util.tree_map(jnp.shape, params) == {
        "aff": {"params_b": (4,), "params_w": (3, 4)}}
    assert state == {}
    wrapped = {"w": params["aff"]["params_w"], "b": params["aff"]["params_b"]}
    out, _ = layer.apply(params, state, X)
    assert_close(out, cases.affine_call(wrapped, X), tol=1e-6)

    def loss_layer(p, x):
        return jnp.sum(layer.apply(p, state, x)[0] ** 3)

    def loss_direct(w, x):
        return jnp.sum(cases.affine_call(w, x) ** 3)

    gp, gx = jax.grad(loss_layer, argnums=(0, 1))(params, X)
    gw, gx2 = jax.grad(loss_direct, argnums=(0, 1))(wrapped, X)
    assert_close(gp["aff"]["params_w"], gw["w"], tol=1e-6)
    assert_close(gp["aff"]["params_b"], gw["b"], tol=1e-6)
    assert_close(gx, gx2, tol=1e-6)
    # The facade holds the same function: layer(x) == call_fn(wrapped_params, x).
    assert_close(layer(X), cases.affine_call(layer.wrapped_params, X), tol=1e-6)


def test_each_leaf_drawn_from_init_fn_with_its_key():
    layer = JaxLayer(cases.affine_call, cases.affine_init)
    p1, _ = layer.init(jax.random.key(1), X)
    p2, _ = layer.init(jax.random.key(2), X)
    w1, w2 = (p[layer.name]["params_w"] for p in (p1, p2))
    assert not np.allclose(w1, w2)
    np.testing.assert_array_equal(p1[layer.name]["params_b"], 0.0)
    jitted, _ = jax.jit(layer.init)(jax.random.key(1), X)
    assert_close(jitted, p1, tol=1e-6)


def test_seed_draws_all_leaves_from_one_init_call():
    layer = JaxLayer(cases.affine_call, cases.affine_init, seed=7)
    p1, _ = layer.init(jax.random.key(1), X)
    p2, _ = layer.init(jax.random.key(2), X)
    assert_close(p1, p2, tol=1e-6)
    expected = cases.affine_init(jax.random.key(7), jnp.ones((1, 3)))
    assert_close(p1[layer.name]["params_w"], expected["w"], tol=1e-6)
    assert_close(layer.wrapped_params, expected, tol=1e-6)


def test_stax_pair_wraps_without_glue(key):
    init_fun, apply_fun = stax.serial(stax.Dense(5), stax.Relu, stax.Dense(2))
    layer = JaxLayer(apply_fun, init_fun, name="st")
    params, state = layer.init(key, X)
    assert sorted(params["st"]) == ["params_0_0", "params_0_1", "params_2_0", "params_2_1"]
    out, _ = layer.apply(params, state, X)
    p = params["st"]
    wrapped = [(p["params_0_0"], p["params_0_1"]), (), (p["params_2_0"], p["params_2_1"])]
    assert_close(out, apply_fun(wrapped, X), tol=1e-6)


def test_stax_dropout_gets_rng_in_training():
    init_fun, apply_fun = stax.serial(stax.Dense(6), stax.Dropout(0.5))
    layer = JaxLayer(apply_fun, init_fun)
    params, state = layer.init(jax.random.key(0), X, training=True)
    a, _ = layer.apply(params, state, X, training=True, key=jax.random.key(1))
    b, _ = layer.apply(params, state, X, training=True, key=jax.random.key(1))
    c, _ = layer.apply(params, state, X, training=True, key=jax.random.key(2))
    assert_close(a, b, tol=1e-6)
    assert not np.allclose(a, c)
    with pytest.raises(errors.KeyRequiredError, match="key=jax.random.key"):
        layer.apply(params, state, X, training=True)


def test_haiku_style_pairs(key):
    # The signatures hk.transform / hk.transform_with_state give (names, not code).
    def init(rng, inputs):
        return {"linear": {"w": jax.random.normal(rng, (3, 2)), "b": jnp.zeros(2)}}

    def apply(params, rng, inputs):
        assert rng is None  # inference: no key, as Keras passes
        return inputs @ params["linear"]["w"] + params["linear"]["b"]

    layer = JaxLayer(apply, init, name="hk")
    params, state = layer.init(key, X)
    assert sorted(params["hk"]) == ["params_linear_b", "params_linear_w"]
    wrapped = {"linear": {"w": params["hk"]["params_linear_w"],
                          "b": params["hk"]["params_linear_b"]}}
    assert_close(layer.apply(params, state, X)[0], apply(wrapped, None, X), tol=1e-6)

    def init_s(rng, inputs):
        return {"w": jnp.ones((3, 2))}, {"count": jnp.zeros((), jnp.int32)}

    def apply_s(params, state, rng, inputs):
        return inputs @ params["w"], {"count": state["count"] + 1}

    stateful = JaxLayer(apply_s, init_s, name="hks")
    params, state = stateful.init(key, X)
    assert state == {"hks": {"state_count": 0}}
    _, state = stateful.apply(params, state, X)
    _, state = stateful.apply(params, state, X)
    assert int(state["hks"]["state_count"]) == 2
    stateful(X)
    assert int(stateful.wrapped_state["count"]) == 1


def test_arguments_bound_by_name_in_any_order():
    def call(inputs, scale=2.0, *, params):
        return inputs * params["s"] * scale

    layer = JaxLayer(call, params={"s": np.float32(3.0)})
    assert_close(layer(X), X * 6.0, tol=1e-6)

    def reordered(training, inputs, params, state):
        return inputs * params["s"] + (1.0 if training else 0.0), state

    layer = JaxLayer(reordered, params={"s": np.float32(1.0)}, state={"n": np.zeros(2)})
    assert_close(layer(X, training=True), X + 1.0, tol=1e-6)


def test_training_flag_rng_and_state():
    layer = JaxLayer(cases.counting_call, cases.counting_init, name="cnt")
    params, state = layer.init(jax.random.key(0), X)
    assert jax.tree_util.tree_map(jnp.shape, params) == {"cnt": {"params_0_w": (3, 3)}}
    y_inf, s1 = layer.apply(params, state, X)
    assert_close(y_inf, X @ params["cnt"]["params_0_w"], tol=1e-6)
    assert int(s1["cnt"]["state_calls"]) == 1
    y_tr, _ = layer.apply(params, state, X, training=True, key=jax.random.key(3))
    assert (np.asarray(y_tr) == 0).any()


def test_fit_trains_the_wrapped_weights_and_summary(capsys):
    init_fun, apply_fun = stax.serial(stax.Dense(8), stax.Relu, stax.Dense(1))
    model = jl.Sequential([jl.layers.Input((3,)), JaxLayer(apply_fun, init_fun, name="st")])
    model.compile(optimizer="adam", loss="mse")
    before = model.layers[0].get_weights()
    y = (X.sum(axis=1, keepdims=True) > 0).astype(np.float32)
    history = model.fit(X, y, epochs=5, batch_size=2, verbose=0)
    after = model.layers[0].get_weights()
    assert all(not np.allclose(a, b) for a, b in zip(before, after))
    assert history.history["loss"][-1] < history.history["loss"][0]
    model.summary()
    text = capsys.readouterr().out
    assert "st (JaxLayer)" in text and str(3 * 8 + 8 + 8 + 1) in text


def test_pytree_and_int_inputs_survive_save_load(tmp_path):
    def embed_call(params, inputs):
        ids, scale = inputs
        return params["table"][ids] * scale

    def embed_init(rng, inputs):
        ids, _ = inputs
        assert jnp.issubdtype(ids.dtype, jnp.integer)  # dtypes of the real input
        return {"table": jax.random.normal(rng, (10, 2))}

    layer = JaxLayer(embed_call, embed_init)
    ids, scale = np.array([1, 2, 9], np.int32), np.full((3, 1), 2.0, np.float32)
    out = layer((ids, scale))
    assert_close(out, layer.wrapped_params["table"][ids] * 2.0, tol=1e-6)

    ids_in, scale_in = jl.layers.Input((), dtype="int32"), jl.layers.Input((1,))
    model = jl.Model([ids_in, scale_in], JaxLayer(embed_call, embed_init)((ids_in, scale_in)))
    model.predict([ids, scale], verbose=0)
    path = str(tmp_path / "embed.keras")
    model.save(path)
    loaded = jl.saving.load_model(
        path, custom_objects={"embed_call": embed_call, "embed_init": embed_init})
    assert_close(loaded.predict([ids, scale], verbose=0), model.predict([ids, scale], verbose=0),
                 tol=1e-6)


def test_functional_model_and_jit():
    inputs = jl.layers.Input((3,))
    outputs = jl.layers.Dense(1)(JaxLayer(cases.affine_call, cases.affine_init)(inputs))
    model = jl.Model(inputs, outputs)
    params, state = model.init(jax.random.key(0), X)
    y, _ = jax.jit(model.apply)(params, state, X)
    assert y.shape == (4, 1)


def test_config_round_trip_needs_functions_resupplied():
    def my_call(params, inputs):
        return inputs * params["s"]

    layer = JaxLayer(my_call, params={"s": np.float32(2.0)}, name="scaled")
    config = layer.get_config()
    assert config["call_fn"] == {"class_name": "function", "config": {"name": "my_call"}}
    assert config["params"] == {"dict": {"s": {"shape": [], "dtype": "float32"}}}
    with pytest.raises(errors.SerializationError, match="cannot find `call_fn` 'my_call'"):
        JaxLayer.from_config(config)
    with custom_object_scope({"my_call": my_call}):
        clone = JaxLayer.from_config(config)
    clone.set_weights(layer.get_weights())
    assert_close(clone(X), layer(X), tol=1e-6)
    clone = JaxLayer.from_config(config, call_fn=my_call)
    assert clone.get_config() == config


def test_save_load_round_trip(tmp_path):
    model = jl.Sequential([jl.layers.Input((3,)),
                           JaxLayer(cases.counting_call, cases.counting_init, name="cnt")])
    model(X)
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = jl.saving.load_model(path)
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert_close(loaded.predict(X, verbose=0), model.predict(X, verbose=0), tol=1e-6)


@pytest.mark.parametrize("fn, match", [
    (lambda params, x: x, "unsupported argument `x` in `call_fn`"),
    (lambda params, training=False: params, "must take an argument named `inputs`"),
    (lambda params, inputs, scale: inputs, "unsupported argument `scale` in `call_fn`"),
    (lambda *args: args[0], r"takes \*args"),
])
def test_bad_call_fn_signatures(fn, match):
    with pytest.raises(errors.ConfigError, match=match):
        JaxLayer(fn, params={"w": np.ones(2)})


def test_bad_arguments():
    with pytest.raises(errors.ConfigTypeError, match="`call_fn` must be a callable"):
        JaxLayer("not a function")
    with pytest.raises(errors.ConfigError, match="cannot all be None"):
        JaxLayer(cases.affine_call)
    with pytest.raises(errors.ConfigError, match="`state` was given but `call_fn` has no"):
        JaxLayer(cases.affine_call, params={"w": np.ones(2)}, state={"n": np.zeros(())})
    with pytest.raises(errors.ConfigError, match="unsupported argument `key` in `init_fn`"):
        JaxLayer(cases.affine_call, lambda key, inputs: {})
    with pytest.raises(errors.ConfigTypeError, match="`seed` must be an int"):
        JaxLayer(cases.affine_call, cases.affine_init, seed="0")


def test_bad_return_values():
    bad = JaxLayer(lambda inputs: "not an array", name="bad")
    with pytest.raises(errors.ConfigTypeError,
                       match="JaxLayer 'bad': `call_fn` must return a JAX array"):
        bad(X)
    no_tuple = JaxLayer(lambda params, state, inputs: inputs,
                        params={"w": np.ones(2)}, state={"n": np.zeros(())})
    with pytest.raises(errors.ConfigTypeError, match=r"must return \(outputs, new_state\)"):
        no_tuple(X)
    wrong_state = JaxLayer(lambda params, state, inputs: (inputs, {"other": 1}),
                           params={"w": np.ones(2)}, state={"n": np.zeros(())})
    with pytest.raises(errors.StateError, match="new state whose structure differs"):
        wrong_state(X)
    bad_init = JaxLayer(lambda params, state, inputs: (inputs, state),
                        lambda rng, inputs: {"w": jnp.ones(2)})
    with pytest.raises(errors.ConfigTypeError, match=r"must return \(params, state\)"):
        bad_init(X)


def test_keras_oracle_same_outputs_weights_and_config_keys():
    keras = pytest.importorskip("keras")
    params = {"w": cases.FIXED_PARAMS["w"], "b": cases.FIXED_PARAMS["b"]}
    ours = JaxLayer(cases.affine_call, params=params)
    theirs = keras.layers.JaxLayer(cases.affine_call, params=params)
    assert_close(ours(X), np.asarray(theirs(X)), tol=1e-6)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert set(theirs.get_config()) <= set(ours.get_config())


def test_reads_a_keras_jax_layer_config():
    keras = pytest.importorskip("keras")
    from jaxlayers.core import serialization
    from jaxlayers.saving import keras_reader

    theirs = keras.layers.JaxLayer(cases.affine_call, cases.affine_init, name="from_keras")
    record = keras.saving.serialize_keras_object(theirs)
    assert record["config"]["call_fn"]["config"] == "affine_call"
    with serialization.CustomObjectScope({"affine_call": cases.affine_call,
                                          "affine_init": cases.affine_init}):
        ours = serialization.deserialize_object(
            keras_reader.translate_layer(record, "test"), "layers")
    assert type(ours) is JaxLayer and ours.name == "from_keras"
    assert ours.call_fn is cases.affine_call and ours.init_fn is cases.affine_init
    assert_close(ours(X), cases.affine_call(ours.wrapped_params, X), tol=1e-6)
