"""Sequential, Functional and subclassed models: structure, pure pair, config, summary, errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers import errors

L = jl.layers


def test_seed_003_cifar_cnn_builds_summarizes_and_fits():
    model = jl.models.Sequential()
    model.add(L.Conv2D(32, (3, 3), activation="relu", input_shape=(32, 32, 3)))
    model.add(L.MaxPooling2D((2, 2)))
    model.add(L.Conv2D(64, (3, 3), activation="relu"))
    model.add(L.MaxPooling2D((2, 2)))
    model.add(L.Conv2D(64, (3, 3), activation="relu"))
    model.add(L.Flatten())
    model.add(L.Dense(64, activation="relu"))
    model.add(L.Dense(10, activation="softmax"))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    text = model.summary(print_fn=lambda s: None, return_string=True)
    assert "(None, 30, 30, 32)" in text and "(None, 4, 4, 64)" in text
    assert "Total params: 122,570" in text  # the count Keras prints for this model
    rng = np.random.default_rng(0)
    x_train = rng.integers(0, 256, (24, 32, 32, 3)).astype(np.uint8)
    y_train = rng.integers(0, 10, (24, 1))
    x_test, y_test = x_train[:8], y_train[:8]
    x_train, x_test = x_train / 255.0, x_test / 255.0
    hist = model.fit(x_train, y_train, epochs=1, validation_data=(x_test, y_test),
                     verbose=0)
    assert set(hist.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}


def test_sequential_add_pop_get_layer_and_config_round_trip():
    model = jl.Sequential(name="seq")
    model.add(jl.Input(shape=(4,)))
    model.add(L.Dense(3, name="a"))
    model.add(L.Dense(2, name="b"))
    assert model.built and model.output_shape == (None, 2)
    assert model.get_layer("b") is model.layers[1] and model.get_layer(index=0).name == "a"
    popped = model.pop()
    assert popped.name == "b" and model.output_shape == (None, 3)
    model.add(L.Dense(5, name="c"))
    clone = jl.Sequential.from_config(model.get_config())
    assert [layer.name for layer in clone.layers] == ["a", "c"] and clone.built
    clone.set_weights(model.get_weights())
    x = jnp.ones((2, 4))
    np.testing.assert_allclose(clone(x), model(x), rtol=1e-6)
    with pytest.raises(errors.ConfigError, match="no layer named 'zzz'"):
        model.get_layer("zzz")
    with pytest.raises(errors.ConfigError, match="unique names"):
        model.add(L.Dense(1, name="a"))
    with pytest.raises(errors.ConfigTypeError, match="only Layer instances"):
        model.add("dense")


def test_sequential_pure_pair_and_params_keys():
    model = jl.Sequential([L.Dense(4, name="d1"), L.Dense(2, name="d2")])
    params, state = model.init(jax.random.key(0), jnp.zeros((1, 3)))
    assert sorted(params) == ["d1", "d2"] and state == {}
    y, _ = jax.jit(model.apply)(params, state, jnp.ones((5, 3)))
    model.set_params(params)
    np.testing.assert_allclose(model(jnp.ones((5, 3))), y, rtol=1e-6)


def test_functional_masks_flow_along_edges():
    ids = jl.Input(shape=(5,), dtype="int32")
    emb = L.Embedding(10, 4, mask_zero=True)(ids)
    pooled = L.GlobalAveragePooling1D()(emb)
    model = jl.Model(ids, pooled)
    x = jnp.array([[3, 4, 0, 0, 0]])
    out = model(x)
    table = model.layers[1].get_weights()[0]
    np.testing.assert_allclose(out[0], (table[3] + table[4]) / 2, rtol=1e-5)
    _, _, aux = model.apply_with_aux(model.params, model.state, x)
    assert aux["mask"] is None  # pooling consumes the mask
    seq = jl.Model(ids, emb)
    _, _, aux = seq.apply_with_aux(seq.params, seq.state, x)
    np.testing.assert_array_equal(aux["mask"], x != 0)


def test_functional_errors():
    a, b = jl.Input(shape=(3,)), jl.Input(shape=(3,))
    out = L.Dense(2)(L.Add()([a, b]))
    with pytest.raises(errors.ConfigError, match="graph disconnected"):
        jl.Model(a, out)
    x = jl.Input(shape=(3,))
    with pytest.raises(errors.ConfigError, match="used by two"):
        jl.Model(x, L.Dense(2, name="twin")(L.Dense(3, name="twin")(x)))
    model = jl.Model(x, L.Dense(2)(x))
    with pytest.raises(errors.ShapeError, match=r"expects shape \(None, 3\)"):
        model(jnp.ones((2, 4)))
    with pytest.raises(errors.DataError, match="expects 1 input"):
        model([jnp.ones((2, 3)), jnp.ones((2, 3))])


def test_functional_config_round_trip_with_shared_and_nested():
    inner = jl.Sequential([L.Dense(4, name="inner_dense")], name="inner")
    x = jl.Input(shape=(3,), name="x")
    shared = L.Dense(3, name="shared")
    h = shared(shared(x))
    y = L.Dense(2, name="head")(inner(h) * 2.0)
    model = jl.Model(x, y, name="net")
    clone = jl.Functional.from_config(model.get_config())
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    clone.set_weights(model.get_weights())
    data = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    np.testing.assert_allclose(clone(data), model(data), rtol=1e-5)
    assert jax.tree.map(jnp.shape, model.params)["inner"] == {
        "inner_dense": {"kernel": (3, 4), "bias": (4,)}}


class TwoTower(jl.Model):
    def __init__(self, hidden=8, **kwargs):
        super().__init__(**kwargs)
        self.hidden = hidden
        self.encoder = L.Dense(hidden, activation="relu")
        self.dropout = L.Dropout(0.5)
        self.head = L.Dense(2)

    def call(self, inputs, training=None):
        return self.head(self.dropout(self.encoder(inputs), training=training))


def test_subclassed_model_trains_and_round_trips_config():
    model = TwoTower(hidden=8, name="towers")
    x = np.random.default_rng(0).standard_normal((32, 5)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int32)
    model.compile("adam", jl.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert sorted(model.params) == sorted(layer.name for layer in model.layers
                                          if layer.weights)
    config = model.get_config()
    assert config["hidden"] == 8
    clone = TwoTower.from_config(config)
    clone(x[:1])
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5)
    a, _ = model.apply(model.params, model.state, x, training=True, key=jax.random.key(0))
    b, _ = model.apply(model.params, model.state, x, training=False)
    assert not np.allclose(a, b)


def test_summary_nested_and_unbuilt():
    model = jl.Sequential([L.Dense(3)], name="lazy")
    text = model.summary(print_fn=lambda s: None, return_string=True)
    assert "not built" in text
    model.build((None, 2))
    text = model.summary(print_fn=lambda s: None, return_string=True)
    assert 'Model: "lazy"' in text and "Total params: 9" in text and "(None, 3)" in text


def test_summary_of_a_nested_model_with_non_trainable_weights(capsys):
    inner = jl.Sequential([L.Input(shape=(6,)), L.Dense(4, name="d_in"),
                           L.BatchNormalization(name="bn")], name="inner")
    inp = jl.Input(shape=(6,), name="inp")
    model = jl.Model(inp, L.Dense(2, name="head")(inner(inp)), name="outer")
    model.summary()
    printed = capsys.readouterr().out
    text = model.summary(print_fn=lambda s: None, return_string=True)
    assert text.strip() == printed.strip()
    # 6*4+4 + 4 gamma/beta pairs (8 trainable, 8 moving) + 4*2+2; float32 = 4 bytes each.
    assert 'Model: "outer"' in text and "inner (Sequential)" in text and "(None, 4)" in text
    assert "Total params: 54 (216.00 B)" in text
    assert "Trainable params: 46 (184.00 B)" in text
    assert "Non-trainable params: 8 (32.00 B)" in text
    rows = {line.split("│")[1].strip(): line.split("│")[3].strip()
            for line in text.splitlines() if line.startswith("│")}
    assert rows["inner (Sequential)"] == "44" and rows["head (Dense)"] == "10"


def test_model_vmap_for_per_example_gradients():
    model = jl.Sequential([L.Dense(4, activation="tanh"), L.Dense(1)])
    params, state = model.init(jax.random.key(0), jnp.zeros((1, 3)))
    x = jax.random.normal(jax.random.key(1), (6, 3))

    def loss(p, xi):
        return jnp.sum(model.apply(p, state, xi[None])[0] ** 2)

    per_example = jax.vmap(jax.grad(loss), in_axes=(None, 0))(params, x)
    total = jax.grad(lambda p: sum(loss(p, x[i]) for i in range(6)))(params)
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a.sum(0), b, rtol=1e-4, atol=1e-5),
                 per_example, total)


def test_functional_input_and_output_keep_the_structure_as_keras(keras):
    def build(lib):
        a, b = lib.Input((2,), name="a"), lib.Input((3,), name="b")
        merged = lib.layers.Concatenate()([a, b])
        single = lib.Model(a, lib.layers.Dense(1)(a))
        pair = lib.Model([a, b], [merged, lib.layers.Dense(2)(merged)])
        return single, pair

    for ours, theirs in zip(build(jl), build(keras)):
        for attr in ("input", "output"):
            got, want = getattr(ours, attr), getattr(theirs, attr)
            assert isinstance(got, list) == isinstance(want, list)
            got, want = (got, want) if isinstance(got, list) else ([got], [want])
            assert [tuple(t.shape) for t in got] == [tuple(t.shape) for t in want]


def test_graph_ops_are_operations_not_layers_as_keras(keras, capsys):
    def build(lib):
        a, b = lib.Input((3,), name="a"), lib.Input((3,), name="b")
        hidden = lib.layers.Dense(3, name="d")(lib.ops.add(a, b) * 2.0)
        return lib.Model([a, b], lib.layers.Dense(2, name="e")(hidden[:, :2] + hidden[:, 1:]))

    ours, theirs = build(jl), build(keras)
    names = [layer.name for layer in theirs.layers]
    assert [layer.name for layer in ours.layers] == names == ["a", "b", "d", "e"]
    assert len(ours.operations) == len(theirs.operations) == 9
    assert [w.path for w in ours.weights] == [w.path for w in theirs.weights]
    assert ours.get_layer(index=2).name == "d"
    with pytest.raises(errors.ConfigError, match="no layer named 'symbolic_op'.*'d', 'e'"):
        ours.get_layer("symbolic_op")
    # Keras's summary, plot and saved config still show every operation.
    ours.summary()
    rows = [line for line in capsys.readouterr().out.splitlines() if "(SymbolicOp)" in line]
    assert len(rows) == 5
    config_classes = [entry["class_name"] for entry in ours.get_config()["layers"]]
    assert config_classes.count("SymbolicOp") == 5 and len(config_classes) == 9
    clone = jl.models.clone_model(ours)
    assert [layer.name for layer in clone.layers] == names
    pydot = pytest.importorskip("pydot")
    del pydot
    dot = jl.utils.model_to_dot(ours).to_string()
    assert dot.count("(SymbolicOp)") == 5
