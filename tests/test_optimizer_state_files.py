"""Optimizer state moves both ways: a Keras-trained ``.keras`` resumes in jaxlayers exactly as
Keras resumes it, and a jaxlayers-trained one resumes in Keras as jaxlayers resumes it."""

import numpy as np
import pytest

import jaxlayers as jl
import jaxlayers.saving  # noqa: F401  (jl.saving)
from jaxlayers.saving.optimizer_layout import keras_optimizer_variables

pytest.importorskip("h5py")

# (Keras/jaxlayers class name, constructor arguments): every optimizer both libraries have.
OPTIMIZERS = [
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9}),
    ("Adam", {"learning_rate": 0.05}),
    ("AdamW", {"learning_rate": 0.05, "weight_decay": 0.1}),
    ("RMSprop", {"learning_rate": 0.05}),
    ("Adagrad", {"learning_rate": 0.5}),
    ("Adadelta", {"learning_rate": 5.0}),
    ("Adamax", {"learning_rate": 0.05}),
    ("Nadam", {"learning_rate": 0.05}),
    ("Lion", {"learning_rate": 0.05}),
]



def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 3)).astype("float32")
    y = rng.normal(size=(8, 2)).astype("float32")
    return x, y


def _fit(model, x, y):
    return model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0).history["loss"][-1]


@pytest.mark.parametrize("name,kwargs", OPTIMIZERS, ids=[n for n, _ in OPTIMIZERS])
def test_resume_matches_keras_both_ways(keras, tmp_path, name, kwargs):
    x, y = _data()
    km = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, kernel_initializer="ones")])
    km.compile(optimizer=getattr(keras.optimizers, name)(**kwargs), loss="mse",
               run_eagerly=True, jit_compile=False)
    _fit(km, x, y)
    km.save(tmp_path / "keras.keras")
    saved_state = [np.asarray(v.value) for v in km.optimizer.variables]
    keras_epoch_2 = _fit(km, x, y)

    model = jl.saving.load_model(tmp_path / "keras.keras")
    assert model.training_state()["iterations"] == 2
    assert type(model.optimizer).__name__ == name
    # The restored optax state, laid out as Keras's variables, is Keras's state after epoch 1.
    _, restored = keras_optimizer_variables(model)
    assert len(restored) == len(saved_state)
    for i, (got, want) in enumerate(zip(restored, saved_state)):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7, err_msg=f"{name} var {i}")
    np.testing.assert_allclose(_fit(model, x, y), keras_epoch_2, rtol=2e-5, err_msg=name)
    for got, want in zip(model.get_weights(), km.get_weights()):
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-6, err_msg=name)

    model.save(tmp_path / "jaxlayers.keras")
    jl_epoch_3 = _fit(model, x, y)
    resumed = keras.models.load_model(tmp_path / "jaxlayers.keras")
    resumed.jit_compile, resumed.run_eagerly = False, True  # two tiny steps: no compiling
    assert int(resumed.optimizer.iterations) == 4
    np.testing.assert_allclose(_fit(resumed, x, y), jl_epoch_3, rtol=2e-5, err_msg=name)


def test_optimizer_state_of_another_optimizer_is_skipped_with_a_warning(tmp_path):
    """As Keras does: the weights load, the optimizer starts fresh, and a warning says so."""
    import json
    import zipfile

    model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    model.save(tmp_path / "adam.keras")
    with zipfile.ZipFile(tmp_path / "adam.keras") as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    config = json.loads(members["config.json"])
    config["compile_config"]["optimizer"] = {"module": "keras.optimizers", "class_name": "SGD",
                                             "config": {"momentum": 0.5}}
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(tmp_path / "sgd.keras", "w") as zf:
        for name, raw in members.items():
            zf.writestr(name, raw)
    with pytest.warns(UserWarning, match=r"holds 6 optimizer variables but optimizer SGD of "
                                         r"this model has 4; the optimizer state was not"):
        loaded = jl.saving.load_model(tmp_path / "sgd.keras")
    assert loaded.training_state()["iterations"] == 0


def test_optimizer_without_a_keras_layout_keeps_its_optax_state(tmp_path):
    """Gradient accumulation adds variables Keras lays out otherwise: the optax state goes in the
    jaxlayers member, so jaxlayers still resumes exactly (Keras starts that optimizer afresh)."""
    import jax

    x, y = _data()
    model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)])
    model.compile(optimizer=jl.optimizers.Adam(0.05, gradient_accumulation_steps=2), loss="mse")
    _fit(model, x, y)
    model.save(tmp_path / "acc.keras")
    loaded = jl.saving.load_model(tmp_path / "acc.keras")
    want = jax.tree_util.tree_leaves(model.training_state()["optimizer_state"])
    got = jax.tree_util.tree_leaves(loaded.training_state()["optimizer_state"])
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(np.asarray(g), np.asarray(w))
