"""Mixed precision as Keras 3 does it: dtype policies, per-path policies, loss scaling.

Keras 3 (JAX backend) is the oracle for the dtypes of weights and outputs under
each policy and for the values computed in the half types; training stories
check that ``mixed_bfloat16`` learns as well as float32 and that
``mixed_float16``'s automatic loss scaling survives gradients that overflow
plain float16.
"""

import json
import zipfile

import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers.errors import ConfigError, ConfigTypeError, SerializationError

POLICIES = ("float32", "bfloat16", "float16", "mixed_bfloat16", "mixed_float16")
# Keras 3.15's JAX LSTM raises "Unsupported dtype" for whole-half policies; there
# the layer is checked against the policy's own dtypes instead.
KERAS_REFUSES = {("LSTM", "bfloat16"), ("LSTM", "float16")}


@pytest.fixture(autouse=True)
def _reset_policy():
    """Every test starts and ends with the float32 global policy (Keras's too)."""
    jl.mixed_precision.set_global_policy(None)
    yield
    jl.mixed_precision.set_global_policy(None)
    try:
        import keras
    except ImportError:
        return
    keras.config.set_dtype_policy("float32")


def _layer_cases(m):
    """``{name: (constructor, input shapes, input dtype)}`` of the layers compared."""
    L = m.layers
    return {
        "Dense": (lambda: L.Dense(3), [(2, 4)], "float32"),
        "Conv2D": (lambda: L.Conv2D(2, 2), [(1, 3, 3, 2)], "float32"),
        "BatchNormalization": (lambda: L.BatchNormalization(), [(4, 3)], "float32"),
        "LayerNormalization": (lambda: L.LayerNormalization(), [(2, 3)], "float32"),
        "Softmax": (lambda: L.Softmax(), [(2, 3)], "float32"),
        "Embedding": (lambda: L.Embedding(5, 3), [(1, 2)], "int32"),
        "MultiHeadAttention": (lambda: L.MultiHeadAttention(2, 2), [(2, 3, 4)] * 2, "float32"),
        "LSTM": (lambda: L.LSTM(3), [(2, 3, 4)], "float32"),
    }


def _dtypes(layer, out):
    return {"compute": layer.compute_dtype, "variable": layer.variable_dtype,
            "output": jnp.dtype(out.dtype).name,
            "weights": [jnp.dtype(w.dtype).name for w in layer.weights]}


def _symbolic_dtypes(m, policy, case):
    """The layer's dtypes when created under ``policy`` and called on symbolic inputs."""
    make, shapes, dtype = case
    m.config.set_dtype_policy(policy)
    try:
        layer = make()
        out = layer(*[m.Input(batch_shape=shape, dtype=dtype) for shape in shapes])
    finally:
        m.config.set_dtype_policy("float32")
    return _dtypes(layer, out)


@pytest.mark.parametrize("policy", POLICIES)
def test_layer_dtypes_match_keras(keras, policy):
    ours_cases, keras_cases = _layer_cases(jl), _layer_cases(keras)
    for name, case in ours_cases.items():
        ours = _symbolic_dtypes(jl, policy, case)
        if (name, policy) in KERAS_REFUSES:
            assert ours == {"compute": policy, "variable": policy, "output": policy,
                            "weights": [policy] * 3}, name
        else:
            assert ours == _symbolic_dtypes(keras, policy, keras_cases[name]), name


def _activations_model(m):
    """A Functional model whose outputs are the activations of every compared layer."""
    L = m.layers
    x = m.Input(batch_shape=(2, 3, 4))
    tokens = m.Input(batch_shape=(2, 3), dtype="int32")
    dense = L.Dense(4)(x)
    conv = L.Conv1D(2, 2)(dense)
    norm = L.BatchNormalization()(dense)
    layer_norm = L.LayerNormalization()(dense)
    soft = L.Softmax()(dense)
    embedded = L.Embedding(5, 4)(tokens)
    attended = L.MultiHeadAttention(2, 2)(layer_norm, embedded)
    recurrent = L.LSTM(3)(attended)
    return m.Model([x, tokens], [dense, conv, norm, layer_norm, soft, embedded, attended,
                                 recurrent])


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
def test_mixed_activations_and_statistics_match_keras(keras, policy):
    """Eager training-mode call: every activation's dtype and value, and BN's float32 stats."""
    rng = np.random.default_rng(0)
    data = [(rng.normal(size=(2, 3, 4)) * 30 + 10).astype("float32"),
            np.array([[1, 4, 0], [2, 2, 3]], "int32")]
    models = {}
    for m in (keras, jl):
        m.config.set_dtype_policy(policy)
        try:
            models[m] = _activations_model(m)
        finally:
            m.config.set_dtype_policy("float32")
    models[jl].set_weights(models[keras].get_weights())
    outs = {m: ([np.asarray(y) for y in model(data, training=True)],
                [np.asarray(w) for w in model.get_weights()]) for m, model in models.items()}
    (ours, our_weights), (theirs, their_weights) = outs[jl], outs[keras]
    assert [y.dtype for y in ours] == [y.dtype for y in theirs] == [jnp.dtype(
        policy.split("_")[1])] * 8
    for i, (a, b) in enumerate(zip(ours, theirs)):
        # The LSTM's bfloat16 gate math may round differently in its last bit.
        tol = 2e-2 if policy == "mixed_bfloat16" and i == 7 else 1e-6
        np.testing.assert_allclose(a.astype("float32"), b.astype("float32"), rtol=tol,
                                   atol=tol, err_msg=f"output {i}")
    assert [w.dtype for w in our_weights] == [w.dtype for w in their_weights]
    assert all(w.dtype == np.float32 for w in our_weights)
    for a, b in zip(our_weights, their_weights):  # moving mean/variance updated in float32
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


# ----------------------------------------------------------------------------- policies
def test_policy_objects_match_keras(keras):
    for name in POLICIES:
        ours, theirs = jl.dtype_policies.get(name), keras.dtype_policies.get(name)
        assert (ours.name, ours.variable_dtype, ours.compute_dtype) == (
            theirs.name, theirs.variable_dtype, theirs.compute_dtype)
        ours_config, their_config = (jl.dtype_policies.serialize(ours),
                                     keras.dtype_policies.serialize(theirs))
        assert (ours_config["class_name"], ours_config["config"]) == (
            their_config["class_name"], their_config["config"])
        assert jl.dtype_policies.deserialize(their_config) == ours
        assert jl.dtype_policies.get(their_config) == ours
        assert repr(ours) == repr(theirs)
    assert jl.FloatDTypePolicy("bfloat16") == jl.dtype_policies.DTypePolicy("bfloat16")
    assert repr(jl.FloatDTypePolicy("bfloat16")) == repr(keras.FloatDTypePolicy("bfloat16"))
    assert jl.dtype_policies.deserialize(keras.dtype_policies.serialize(
        keras.FloatDTypePolicy("float16"))) == jl.DTypePolicy("float16")


def test_global_policy_names_and_reset():
    mp = jl.mixed_precision
    assert mp.Policy is mp.DTypePolicy is jl.DTypePolicy
    assert mp.LossScaleOptimizer is jl.optimizers.LossScaleOptimizer
    mp.set_global_policy("mixed_bfloat16")
    assert mp.global_policy() == jl.config.dtype_policy() == mp.dtype_policy()
    # A policy made without a name is the global one, as in Keras.
    assert jl.DTypePolicy().name == "mixed_bfloat16"
    layer = jl.layers.Dense(2)
    assert (layer.compute_dtype, layer.variable_dtype) == ("bfloat16", "float32")
    mp.set_dtype_policy("float16")
    assert jl.layers.Dense(2).dtype_policy.name == "float16"
    assert layer.compute_dtype == "bfloat16"  # a layer keeps the policy it was made with
    mp.set_global_policy(None)
    assert jl.layers.Dense(2).dtype_policy.name == "float32"


def test_policy_errors():
    with pytest.raises(ConfigError, match=r"unknown dtype.*Received: name='mixed_int8'"):
        jl.DTypePolicy("mixed_int8")
    with pytest.raises(SerializationError, match=r"unknown policy class 'Int8DTypePolicy'"):
        jl.dtype_policies.deserialize({"class_name": "Int8DTypePolicy", "config": {}})
    with pytest.raises(SerializationError, match=r"expected a dict.*Received: config='float32'"):
        jl.dtype_policies.deserialize("float32")
    Map = jl.dtype_policies.DTypePolicyMap
    with pytest.raises(ConfigTypeError, match=r"`policy_map` must be a dict.*Received: "
                                              r"policy_map=\['dense'\]"):
        Map("float32", ["dense"])
    with pytest.raises(ConfigTypeError, match=r"`default_policy` must be a single policy"):
        Map(Map("float32"))
    with pytest.raises(ConfigError, match=r"unknown dtype.*Received: name='float17'"):
        Map("float17")
    policies = Map("float32", {"enc": "bfloat16"})
    with pytest.raises(ConfigError, match=r"the key 'enc' is already mapped.*delete it first"):
        policies["enc"] = "float16"
    with pytest.raises(ConfigTypeError, match=r"keys must be layer paths.*Received: key=3"):
        policies[3] = "float16"
    with pytest.raises(ConfigTypeError, match=r"a path maps to a single policy"):
        policies["dec"] = Map("float16")
    # Found at the key, not at the first lookup of a layer's path.
    with pytest.raises(ConfigError, match=r"DTypePolicyMap: key '\[enc' is not a valid "
                                          r"regular expression \(unterminated character set"):
        policies["[enc"] = "float16"
    assert "[enc" not in policies


def test_a_map_without_entries_gives_its_default_policy():
    # An empty map is a falsy Mapping: it must still be the layer's policy.
    layer = jl.layers.Dense(2, dtype=jl.dtype_policies.DTypePolicyMap("float16"))
    assert (layer.compute_dtype, layer.variable_dtype) == ("float16", "float16")
    assert layer.dtype_policy.name == "map_float16"


def test_policy_map_lookup_matches_keras(keras):
    entries = {"encoder/layer_0/dense": "bfloat16", "encoder/.*": "float16",
               "decoder": "bfloat16"}
    ours = jl.dtype_policies.DTypePolicyMap("float32", entries)
    theirs = keras.dtype_policies.DTypePolicyMap("float32")
    for key, value in entries.items():
        theirs[key] = value
    for path in ("encoder/layer_0/dense", "encoder/attention/query", "decoder",
                 "decoder/attention", "head"):
        assert ours[path] == jl.DTypePolicy(theirs[path].name), path
    assert (ours.name, len(ours), "decoder" in ours) == (theirs.name, len(theirs), True)
    ours["encoder/attention/.*"] = "bfloat16"
    with pytest.raises(ConfigError, match=r"'encoder/attention/query' matches several keys"):
        ours["encoder/attention/query"]
    del ours["encoder/attention/.*"]
    assert ours["encoder/attention/query"].name == "float16"
    # Keras's serialized map is read, and ours is written in its form.
    assert jl.dtype_policies.get(keras.dtype_policies.serialize(theirs)) == ours
    assert keras.dtype_policies.get(jl.dtype_policies.serialize(ours)).name == theirs.name
    assert jl.dtype_policies.deserialize(jl.dtype_policies.serialize(ours)) == ours



def _mapped_model(m, policies):
    """``enc`` (mapped to mixed_bfloat16 by ``policies``) then ``head`` (its default)."""
    x = m.Input(batch_shape=(2, 3))
    hidden = m.layers.Dense(4, dtype=policies, name="enc")(x)
    return m.Model(x, m.layers.Dense(2, dtype=policies, name="head")(hidden))


def _layer_dtypes(model):
    return {layer.name: (layer.compute_dtype, [jnp.dtype(w.dtype).name for w in layer.weights])
            for layer in model.layers if layer.weights}


def test_policy_map_sets_each_layers_policy_and_survives_files(keras, tmp_path):
    policies = jl.dtype_policies.DTypePolicyMap("float32", {"enc": "mixed_bfloat16"})
    model = _mapped_model(jl, policies)
    expected = {"enc": ("bfloat16", ["float32", "float32"]),
                "head": ("float32", ["float32", "float32"])}
    assert _layer_dtypes(model) == expected
    k_policies = keras.dtype_policies.DTypePolicyMap("float32")
    k_policies["enc"] = "mixed_bfloat16"
    assert _layer_dtypes(_mapped_model(keras, k_policies)) == expected
    x = np.ones((2, 3), "float32")
    assert model.layers[1](x).dtype == jnp.bfloat16 and model(x).dtype == jnp.float32
    # Setting a mapped layer's policy changes its own entry, as Keras does.
    model.get_layer("head").dtype_policy = "float16"
    assert policies["head"].name == "float16" and model.get_layer("enc").compute_dtype == (
        "bfloat16")
    del policies["head"]
    # Sublayers share their parent's map and look up their own paths.
    for m in (jl, keras):
        mapped = m.dtype_policies.DTypePolicyMap("float32")
        mapped["mha/query"] = "mixed_bfloat16"
        attention = m.layers.MultiHeadAttention(2, 2, dtype=mapped, name="mha")
        seq = m.Input((3, 4))
        assert attention(seq, seq).dtype == "float32"
        assert [(sub.path, sub.compute_dtype) for sub in (
            attention._query_dense, attention._key_dense, attention._output_dense)] == [
            ("mha/query", "bfloat16"), ("mha/key", "float32"),
            ("mha/attention_output", "float32")], m.__name__
    path = str(tmp_path / "mapped.keras")
    model.save(path)
    assert _layer_dtypes(keras.saving.load_model(path)) == expected
    assert _layer_dtypes(jl.saving.load_model(path)) == expected
    k_path = str(tmp_path / "keras_mapped.keras")
    _mapped_model(keras, k_policies).save(k_path)
    assert _layer_dtypes(jl.saving.load_model(k_path)) == expected


def test_policies_saved_in_configs_and_files_both_ways(keras, tmp_path):
    def build(m):
        m.config.set_dtype_policy("mixed_float16")
        try:
            return m.Sequential([m.Input((3,)), m.layers.Dense(4),
                                 m.layers.Dense(2, dtype="bfloat16"),
                                 m.layers.Activation("softmax", dtype="float32")])
        finally:
            m.config.set_dtype_policy("float32")

    ours, theirs = build(jl), build(keras)
    layer_config = ours.layers[0].get_config()["dtype"]
    assert layer_config == theirs.layers[0].get_config()["dtype"]
    assert layer_config["config"] == {"name": "mixed_float16"}
    policies = ["mixed_float16", "bfloat16", "float32"]
    for source, m in ((ours, "jl"), (theirs, "keras")):
        path = str(tmp_path / f"{m}.keras")
        source.save(path)
        for loaded in (jl.saving.load_model(path), keras.saving.load_model(path)):
            assert [layer.dtype_policy.name for layer in loaded.layers] == policies
            assert [jnp.dtype(w.dtype).name for w in loaded.weights] == [
                "float32", "float32", "bfloat16", "bfloat16"]
    # The model's own policy comes back too (Keras writes it but drops it on load),
    # so compile still adds loss scaling to a model saved under mixed_float16.
    config = json.loads(zipfile.ZipFile(str(tmp_path / "jl.keras")).read("config.json"))
    assert config["config"]["dtype"] == theirs.get_config()["dtype"]
    assert jl.saving.load_model(str(tmp_path / "jl.keras")).dtype_policy.name == (
        "mixed_float16")


# ----------------------------------------------------------------------------- training
def test_compile_adds_loss_scaling_under_mixed_float16_as_keras(keras, tmp_path):
    def compiled(m, policy, optimizer="sgd", **kwargs):
        m.config.set_dtype_policy(policy)
        try:
            model = m.Sequential([m.Input((3,)), m.layers.Dense(2)])
        finally:
            m.config.set_dtype_policy("float32")
        model.compile(optimizer, "mse", **kwargs)
        return model

    for m in (jl, keras):
        model = compiled(m, "mixed_float16")
        assert type(model.optimizer).__name__ == "LossScaleOptimizer"
        assert model.optimizer.name == "loss_scale_optimizer"
        assert type(model.optimizer.inner_optimizer).__name__ == "SGD"
        config = model.optimizer.get_config()
        assert (config["initial_scale"], config["dynamic_growth_steps"]) == (2.0 ** 15, 2000)
        unscaled = compiled(m, "mixed_float16", auto_scale_loss=False)
        assert type(unscaled.optimizer).__name__ == "SGD"
        assert type(compiled(m, "mixed_bfloat16").optimizer).__name__ == "SGD"
        wrapped = m.optimizers.LossScaleOptimizer(m.optimizers.SGD(), initial_scale=8.0)
        assert compiled(m, "mixed_float16", wrapped).optimizer is wrapped
    model = compiled(jl, "mixed_float16")
    model.fit(np.ones((2, 3), "float32"), np.ones((2, 2), "float32"), verbose=0)
    path = str(tmp_path / "scaled.keras")
    model.save(path)
    assert type(jl.saving.load_model(path).optimizer).__name__ == "LossScaleOptimizer"


@pytest.fixture(scope="module")
def overflow_runs():
    """A float16 regression whose gradients overflow float16, trained under two policies.

    ``y = 4e4`` and ``x = 8``: the kernel's gradient (about 1e6) is past float16's
    largest value (65504), while the loss itself is computed in float32.
    """
    x = np.full((256, 4), 8.0, "float32")
    y = np.full((256, 1), 4.0e4, "float32")
    runs = {}
    for policy in ("float16", "mixed_float16"):
        jl.mixed_precision.set_global_policy(policy)
        try:
            model = jl.Sequential([jl.Input((4,)),
                                   jl.layers.Dense(1, kernel_initializer="zeros")])
        finally:
            jl.mixed_precision.set_global_policy(None)
        model.compile(jl.optimizers.SGD(1e-5), "mse")
        history = model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
        runs[policy] = (model, history.history["loss"][0],
                        model.evaluate(x, y, batch_size=256, verbose=0))
    return x, y, runs


def test_mixed_float16_loss_scaling_trains_where_float16_overflows(overflow_runs):
    x, y, runs = overflow_runs
    plain, plain_loss, _ = runs["float16"]
    assert not np.isfinite(plain_loss)
    assert not all(np.isfinite(w).all() for w in plain.get_weights())
    model, _, final_loss = runs["mixed_float16"]
    optimizer = model.optimizer
    assert isinstance(optimizer, jl.optimizers.LossScaleOptimizer)
    assert all(np.isfinite(w).all() and w.dtype == np.float32 for w in model.get_weights())
    initial_loss = float(np.mean(y ** 2))  # zero weights predict 0
    assert np.isfinite(final_loss) and final_loss < 0.95 * initial_loss
    # Each overflowing step was skipped and halved the scale; the others updated.
    steps = len(x) // 8
    skipped = steps - int(optimizer.iterations.value)
    assert 0 < skipped < steps
    assert optimizer.dynamic_scale == 2.0 ** 15 / 2 ** skipped


def test_mixed_float16_loss_scaling_matches_keras(keras, overflow_runs):
    x, y, runs = overflow_runs
    keras.config.set_dtype_policy("mixed_float16")
    try:
        k_model = keras.Sequential([keras.Input((4,)),
                                    keras.layers.Dense(1, kernel_initializer="zeros")])
    finally:
        keras.config.set_dtype_policy("float32")
    k_model.compile(keras.optimizers.SGD(1e-5), "mse")
    k_model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    model = runs["mixed_float16"][0]
    assert int(model.optimizer.iterations.value) == int(k_model.optimizer.iterations.value)
    assert model.optimizer.dynamic_scale == float(k_model.optimizer.dynamic_scale.value)
    for ours, theirs in zip(model.get_weights(), k_model.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5)


def test_mixed_bfloat16_digits_accuracy_near_float32():
    datasets = pytest.importorskip("sklearn.datasets")
    digits = datasets.load_digits()
    x = (digits.data / 16.0).astype("float32")
    y = digits.target.astype("int32")
    x_train, y_train, x_test, y_test = x[:1400], y[:1400], x[1400:], y[1400:]
    accuracy = {}
    for policy in ("float32", "mixed_bfloat16"):
        jl.mixed_precision.set_global_policy(policy)
        jl.set_random_seed(0)
        try:
            model = jl.Sequential([jl.Input((64,)), jl.layers.Dense(32, activation="relu"),
                                   jl.layers.Dense(10, activation="softmax")])
        finally:
            jl.mixed_precision.set_global_policy(None)
        model.compile(jl.optimizers.Adam(0.01), "sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        model.fit(x_train, y_train, batch_size=100, epochs=4, verbose=0)
        assert model.predict(x_test[:2], verbose=0).dtype == (
            jnp.float32 if policy == "float32" else jnp.bfloat16)
        accuracy[policy] = model.evaluate(x_test, y_test, verbose=0, return_dict=True)[
            "accuracy"]
    assert accuracy["float32"] > 0.85
    assert accuracy["mixed_bfloat16"] > accuracy["float32"] - 0.03
