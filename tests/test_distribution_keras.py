"""Keras's distribution semantics on 8 forced CPU devices.

A Keras program sets a distribution, then builds, compiles and fits: every
weight is made already placed by its layout, stays so through ``fit``, and the
numbers equal one-device training.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

import jaxlayers as jl
from jaxlayers import errors
from jaxlayers.core import variables as variables_lib

D = jl.distribution
L = jl.layers

pytestmark = pytest.mark.skipif(len(jax.devices()) < 8, reason="needs 8 (forced host) devices")


@pytest.fixture(autouse=True)
def _no_global_distribution():
    # Other tests share the process: never leave a distribution set behind.
    D.set_distribution(None)
    yield
    D.set_distribution(None)


def _model_parallel():
    mesh = D.DeviceMesh((4, 2), ("batch", "model"), D.list_devices()[:8])
    layout = D.LayoutMap(mesh)
    layout[".*hidden.*kernel"] = (None, "model")  # Keras-style regular expressions
    layout[".*hidden.*bias"] = ("model",)
    layout["out/kernel"] = ("model", None)
    return D.ModelParallel(layout_map=layout, batch_dim_name="batch")


EXPECTED = {"hidden/kernel": P(None, "model"), "hidden/bias": P("model"),
            "out/kernel": P("model", None), "out/bias": P()}


def _sequential():
    return jl.Sequential([L.Input((6,)), L.Dense(8, activation="relu", name="hidden"),
                          L.Dense(4, name="out")])


def _functional():
    inputs = jl.Input((6,))
    hidden = L.Dense(8, activation="relu", name="hidden")(inputs)
    return jl.Model(inputs, L.Dense(4, name="out")(hidden))


def _data():
    rng = np.random.default_rng(0)
    return (rng.standard_normal((32, 6)).astype(np.float32),
            rng.integers(0, 4, 32).astype(np.int32))


def _train(build, dist):
    """A Keras program: set the distribution, build, compile, fit, evaluate, predict."""
    x, y = _data()
    jl.set_random_seed(11)
    D.set_distribution(dist)
    try:
        model = build()
        created = {v.path: (v.value.sharding, v.ndim) for v in model.weights}
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        model.fit(x, y, epochs=1, batch_size=8, verbose=0)
        fitted = {v.path: (v.value.sharding, v.ndim) for v in model.weights}
        result = {"created": created, "fitted": fitted,
                  "weights": model.get_weights(),
                  "evaluate": model.evaluate(x, y, batch_size=8, verbose=0),
                  "predict": model.predict(x, batch_size=8, verbose=0)}
    finally:
        D.set_distribution(None)
    return result


def test_keras_program_is_sharded_from_creation_and_equals_one_device():
    data_parallel = D.DataParallel(devices=[f"cpu:{d.id}" for d in jax.devices()[:4]])
    ref = _train(_sequential, None)
    for dist, expected in ((_model_parallel(), EXPECTED),
                           (data_parallel, dict.fromkeys(EXPECTED, P()))):
        got = _train(_sequential, dist)
        for when in ("created", "fitted"):
            for path, spec in expected.items():
                sharding, ndim = got[when][path]
                # After jit, P('model', None) may read P('model'): the same placement.
                assert sharding.is_equivalent_to(NamedSharding(dist.mesh, spec), ndim), (
                    dist, when, path)
                assert sharding.mesh == dist.mesh
        for a, b in zip(got["weights"], ref["weights"]):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got["evaluate"], ref["evaluate"], rtol=1e-5)
        np.testing.assert_allclose(got["predict"], ref["predict"], rtol=1e-5, atol=1e-6)


class _Scale(L.Layer):
    """A custom layer whose weight comes from add_weight in build."""

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones",
                                     name="scale")

    def call(self, x):
        return x * self.scale


def test_every_way_of_making_weights_places_them_by_the_layout(key, monkeypatch):
    dist = _model_parallel()
    dist.layout_map[".*custom/scale"] = ("model",)
    # init checks that every rule names a weight of the model it makes.
    mesh = dist.device_mesh
    layout = D.LayoutMap(mesh)
    layout["hidden/kernel"] = (None, "model")
    layout["hidden/bias"] = ("model",)
    dense_only = D.ModelParallel(layout_map=layout)
    traced = []
    original = variables_lib.Variable.initial_value

    def recording(self, k):
        traced.append(isinstance(k, jax.core.Tracer))
        return original(self, k)

    monkeypatch.setattr(variables_lib.Variable, "initial_value", recording)
    with dist.scope():
        hidden = L.Dense(8, name="hidden")
        custom = _Scale(name="custom")
        custom(hidden(jnp.ones((4, 6))))  # facade build on a first eager call
        with dense_only.scope():
            params, state = jl.Sequential([L.Dense(8, name="hidden")]).init(
                key, jnp.zeros((4, 6)))
        functional = _functional()
        later = L.Dense(8, name="hidden")
        later.build((None, 6))  # declared inside the scope ...
        loaded = L.Dense(8, name="hidden")
        loaded.build((None, 6))
    # Assigned before any read (set_weights, load_weights): placed as declared.
    loaded.set_weights([np.ones((6, 8)), np.zeros(8)])
    assert loaded.kernel.value.sharding.spec == P(None, "model")
    assert loaded.bias.value.sharding.spec == P("model")
    # ... made outside it: the distribution at declaration decides, as in Keras.
    assert later.kernel.value.sharding.spec == P(None, "model")
    # Every value was made inside a jit that placed it: no full copy on one device.
    assert traced and all(traced)
    assert hidden.kernel.value.sharding == NamedSharding(dist.mesh, P(None, "model"))
    assert hidden.kernel.value.addressable_shards[0].data.shape == (6, 4)
    assert custom.scale.value.sharding.spec == P("model")
    assert {v.path: v.value.sharding for v in functional.weights} == {
        path: NamedSharding(dist.mesh, spec) for path, spec in EXPECTED.items()}
    assert params["hidden"]["kernel"].sharding.spec == P(None, "model")
    assert params["hidden"]["bias"].sharding.spec == P("model")
    # set_weights of host arrays keeps each weight's placement.
    hidden.set_weights([np.ones((6, 8)), np.zeros(8)])
    assert hidden.kernel.value.sharding.spec == P(None, "model")
    np.testing.assert_array_equal(hidden.kernel.numpy(), 1.0)
    # Inside the caller's jit, init constrains its outputs to the layout.
    with dense_only.scope():
        jitted, _ = jax.jit(lambda k: jl.Sequential([L.Dense(8, name="hidden")]).init(
            k, jax.ShapeDtypeStruct((4, 6), jnp.float32)))(key)
    assert jitted["hidden"]["kernel"].sharding.spec == P(None, "model")


def test_summary_lists_each_weights_layout():
    D.set_distribution(_model_parallel())
    text = _sequential().summary(return_string=True, print_fn=lambda _: None)
    lines = text.splitlines()
    start = lines.index(" Weight layouts (ModelParallel, mesh batch=4, model=2, batch "
                        "axis 'batch'):")
    assert [line.split() for line in lines[start + 1:]] == [
        ["hidden/kernel", "(6,", "8)", "(None,", "'model')", "rule", "'.*hidden.*kernel'"],
        ["hidden/bias", "(8,)", "('model',)", "rule", "'.*hidden.*bias'"],
        ["out/kernel", "(8,", "4)", "('model',", "None)", "rule", "'out/kernel'"],
        ["out/bias", "(4,)", "replicated"]]
    D.set_distribution(None)
    assert "Weight layouts" not in _sequential().summary(return_string=True,
                                                         print_fn=lambda _: None)


def test_layout_errors_name_the_weight_and_the_rule(key):
    mesh = D.DeviceMesh((4, 2), ("batch", "model"), jax.devices()[:8])
    layout = D.LayoutMap(mesh)
    with pytest.raises(errors.ConfigError, match=r"LayoutMap rule '\.\*kernel': TensorLayout: "
                                                 r"mesh axis 'model' splits more than one"):
        layout[".*kernel"] = ("model", "model")
    layout[".*hidden/kernel"] = (None, "model")
    with pytest.raises(errors.ConfigError, match=r"rule '\.\*hidden/kernel' is already set"):
        layout[".*hidden/kernel"] = ("model", None)
    D.set_distribution(D.ModelParallel(layout_map=layout))
    with pytest.raises(errors.ShapeError, match=r"weight 'hidden/kernel' \(LayoutMap rule "
                                                r"'\.\*hidden/kernel'\): dimension 1 \(size 5\)"):
        L.Dense(5, name="hidden")(jnp.ones((2, 6)))
    layout["typo/kernel"] = (None, "model")
    with pytest.raises(errors.ConfigError, match=r"layout rule\(s\) \['typo/kernel'\] match no "
                                                 r"weight.*\['hidden/bias', 'hidden/kernel'\]"):
        L.Dense(4, name="hidden").init(key, jnp.ones((2, 6)))


def test_keras_names_and_arguments():
    devices = D.list_devices("CPU")
    assert devices == jax.devices("cpu") and D.get_device_count("cpu") == len(devices)
    mesh = D.DeviceMesh((4, 2), ["batch", "model"], [f"cpu:{d.id}" for d in devices[:8]])
    assert mesh.backend_mesh is mesh.jax_mesh and mesh.devices.shape == (4, 2)
    # Keras's lookup: an exact key, else the one key that fullmatches; None if none.
    ours = D.LayoutMap(mesh)
    ours["dense/kernel"] = (None, "model")
    ours[".*conv2d.*kernel"] = (None, None, None, "model")
    ours[".*bias"] = ("model",)
    expected = {"dense/kernel": (None, "model"), "model/dense/kernel": None,
                "my/conv2d_1/kernel": (None, None, None, "model"), "conv2d/bias": ("model",),
                "dense_1/kernel": None, "dense/kernel/extra": None}
    assert {p: ours[p] and ours[p].axes for p in expected} == expected
    assert ours.get("nothing") is None and "dense/kernel" in ours and "dense" not in ours
    layout = D.TensorLayout(("batch", None))
    layout.device_mesh = mesh
    assert layout.backend_layout == NamedSharding(mesh.jax_mesh, P("batch", None))
    with pytest.raises(errors.ConfigError, match="the device mesh is already set"):
        layout.device_mesh = mesh
    # ModelParallel: keyword-only Keras 3 form, and the older device_mesh= form.
    dist = D.ModelParallel(device_mesh=mesh, layout_map=ours, auto_shard_dataset=False)
    assert (dist.batch_dim_name, dist.num_model_replicas, dist.auto_shard_dataset) == (
        "batch", 4, False)
    assert dist.get_data_layout((8, 3)).axes == ("batch", None)
    assert dist.get_tensor_layout("x/bias").axes == ("model",)
    assert dist.get_tensor_layout("x/act") is None
    kernel = L.Dense(2, name="dense")
    kernel.build((None, 3))
    assert dist.get_variable_layout(kernel.kernel).axes == (None, "model")
    assert dist.get_variable_layout(kernel.bias).axes == ("model",)
    with pytest.raises(errors.ConfigError, match="`device_mesh` must be the layout map's mesh"):
        D.ModelParallel(device_mesh=D.DeviceMesh((8,), ["batch"], devices[:8]), layout_map=ours)
    with pytest.raises(errors.ConfigTypeError, match=r"unexpected argument\(s\) \['mesh'\]"):
        D.ModelParallel(layout_map=ours, mesh=mesh)
    with pytest.raises(TypeError):
        D.ModelParallel(mesh, ours)  # keyword-only, as in Keras 3
    with pytest.raises(errors.ConfigError, match=r"non-empty tuple of positive ints. "
                                                 r"Received: shape=\(\)"):
        D.DeviceMesh((), (), devices[:1])
    with pytest.raises(errors.ConfigError, match="no device 'cpu:99'"):
        D.DeviceMesh((1,), ["batch"], ["cpu:99"])
    data = D.DataParallel(device_mesh=D.DeviceMesh((2,), ["data"], devices[:2]),
                          auto_shard_dataset=False)
    assert (data.batch_dim_name, data.num_model_replicas) == ("data", 2)
    assert data.get_variable_layout(kernel.kernel).axes == (None, None)
    x = D.distribute_tensor(jnp.ones((8, 2)), dist.get_data_layout((8, 2)))
    assert D.distribute_tensor(x, dist.get_data_layout((8, 2))) is x  # already placed


def test_evaluate_and_predict_split_their_batches_over_the_batch_axis(monkeypatch):
    # Like fit's step, the compiled evaluate and predict steps constrain each batch to the
    # distribution's batch axis (one device would otherwise hold every row).
    dist = D.DataParallel(devices=jax.devices()[:4])
    seen = []
    original = D.Distribution.constrain_batch

    def spy(self, batch):
        seen.append(jax.tree_util.tree_map(jnp.shape, batch))
        return original(self, batch)

    monkeypatch.setattr(D.Distribution, "constrain_batch", spy)
    x, y = _data()
    with dist.scope():
        model = _sequential()
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        model.evaluate(x, y, batch_size=8, verbose=0)
        assert seen, "evaluate's step did not split its batch"
        seen.clear()
        model.predict(x, batch_size=8, verbose=0)
        assert seen, "predict's step did not split its batch"
