"""jl.distribution on 8 forced CPU devices: layouts, sharded init, sharded steps and fit."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from jax.sharding import PartitionSpec as P

import jaxlayers as jl
from jaxlayers import errors

D = jl.distribution
L = jl.layers

pytestmark = pytest.mark.skipif(len(jax.devices()) < 8, reason="needs 8 (forced host) devices")


def _mesh(shape=(4, 2), names=("batch", "model")):
    return D.DeviceMesh(shape, names, jax.devices()[:int(np.prod(shape))])


def _mlp():
    return jl.Sequential([L.Input((6,)), L.Dense(16, activation="relu", name="hidden"),
                          L.Dense(4, name="out")])


def _layout(mesh):
    layout = D.LayoutMap(mesh)
    layout["hidden/kernel"] = (None, "model")
    layout["hidden/bias"] = ("model",)
    layout["out/kernel"] = ("model", None)
    return layout


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, 6)).astype(np.float32),
            rng.integers(0, 4, n).astype(np.int32))


def test_sharded_init_places_weights_by_layout_with_the_same_values(key):
    model = _mlp()
    dist = D.ModelParallel(layout_map=_layout(_mesh()))
    params, state = dist.init(model, key, jax.ShapeDtypeStruct((8, 6), jnp.float32))
    ref, _ = model.init(key, jnp.zeros((8, 6)))
    assert params["hidden"]["kernel"].sharding.spec == P(None, "model")
    assert params["hidden"]["bias"].sharding.spec == P("model")
    assert params["out"]["kernel"].sharding.spec == P("model", None)
    assert params["out"]["bias"].sharding.spec == P()  # no rule: replicated
    # Each device holds half of the hidden kernel's columns.
    shard = params["hidden"]["kernel"].addressable_shards[0].data
    assert shard.shape == (6, 8)
    jax.tree_util.tree_map(np.testing.assert_array_equal, params, ref)


def test_sharded_train_step_matches_single_device(key):
    model = _mlp()
    dist = D.ModelParallel(layout_map=_layout(_mesh()))
    x, y = _data()
    params, state = model.init(key, x)
    tx = optax.sgd(0.1)

    def step(params, opt_state, x, y):
        def loss_fn(p):
            logits, _ = model.apply(p, state, x)
            return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
        loss, grads = jax.value_and_grad(loss_fn)(params)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    ref_p, _, ref_loss = jax.jit(step)(params, tx.init(params), x, y)
    sp = dist.shard(params)
    sx, sy = dist.shard_batch((x, y))
    assert sx.sharding.spec == P("batch")
    new_p, _, loss = jax.jit(step)(sp, tx.init(sp), sx, sy)
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-5)
    jax.tree_util.tree_map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6),
                           new_p, ref_p)


def test_fit_under_model_parallel_equals_fit_on_one_device():
    x, y = _data()
    results = {}
    for name in ("single", "sharded"):
        jl.set_random_seed(3)
        model = _mlp()
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        if name == "single":
            history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
        else:
            dist = D.ModelParallel(layout_map=_layout(_mesh()))
            with dist.scope():
                history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
            kernel = model.params["hidden"]["kernel"]
            assert kernel.sharding.spec == P(None, "model")
            # Adam's moments follow their weight's layout.
            mu = [leaf for leaf in jax.tree_util.tree_leaves(model._opt_state)
                  if getattr(leaf, "shape", None) == (6, 16)]
            assert mu and all(m.sharding.spec == P(None, "model") for m in mu)
        results[name] = (history.history["loss"], model.get_weights())
    np.testing.assert_allclose(results["sharded"][0], results["single"][0], rtol=1e-5)
    for a, b in zip(results["sharded"][1], results["single"][1]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


class _TraceCounter(L.Layer):
    """Identity whose Python ``call`` runs only while JAX traces it."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.traces = 0

    def call(self, x):
        self.traces += 1
        return x


def test_data_parallel_fit_splits_batches_and_does_not_retrace():
    x, y = _data(n=72)  # 4 full batches of 16 and a partial batch of 8 (< 8 devices x 2)
    counter = _TraceCounter()
    model = jl.Sequential([L.Input((6,)), L.Dense(16, activation="relu", name="hidden"),
                           counter, L.Dense(4, name="out")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    dist = D.DataParallel(devices=jax.devices()[:8])
    with dist.scope():
        model.fit(x, y, epochs=1, batch_size=16, verbose=0)
        traced = counter.traces
        model.fit(x, y, epochs=3, batch_size=16, verbose=0)
        assert counter.traces == traced  # epochs and a second fit reuse the compiled steps
    assert model.params["hidden"]["kernel"].sharding.spec == P()
    assert model.params["hidden"]["kernel"].sharding.mesh.shape == {"batch": 8}


def test_set_distribution_is_global_until_cleared():
    dist = D.DataParallel(devices=jax.devices()[:2])
    D.set_distribution(dist)
    try:
        assert D.distribution() is dist
        other = D.DataParallel(devices=jax.devices()[:4])
        with other.scope():
            assert D.distribution() is other
        assert D.distribution() is dist
    finally:
        D.set_distribution(None)
    assert D.distribution() is None


def test_a_rule_that_matches_nothing_is_an_error(key):
    model = _mlp()
    layout = _layout(_mesh())
    layout["dense_typo/kernel"] = (None, "model")
    with pytest.raises(errors.ConfigError,
                       match=r"rule\(s\) \['dense_typo/kernel'\] match no weight"):
        D.ModelParallel(layout_map=layout).init(model, key, jnp.zeros((8, 6)))


def test_a_dimension_that_does_not_divide_is_an_error(key):
    model = jl.Sequential([L.Input((6,)), L.Dense(5, name="hidden")])
    layout = D.LayoutMap(_mesh())
    layout["hidden/kernel"] = (None, "model")
    with pytest.raises(errors.ShapeError, match=r"weight 'hidden/kernel' \(LayoutMap rule "
                                                r"'hidden/kernel'\): dimension 1 \(size 5\) "
                                                r"is not divisible by mesh axis model of size 2"):
        D.ModelParallel(layout_map=layout).init(model, key, jnp.zeros((8, 6)))


def test_layout_errors_name_what_is_wrong(key):
    mesh = _mesh()
    layout = D.LayoutMap(mesh)
    with pytest.raises(errors.ConfigError, match="axis 'tensor' is not an axis of the mesh"):
        layout["hidden/kernel"] = (None, "tensor")
    layout["hidden/kernel"] = ("model",)
    with pytest.raises(errors.ShapeError, match="has 1 entries but the array has rank 2"):
        D.ModelParallel(layout_map=layout).init(_mlp(), key, jnp.zeros((8, 6)))
    layout = D.LayoutMap(mesh)
    layout["hidden/k.*"] = (None, "model")
    layout[".*kernel"] = (None, "model")
    with pytest.raises(errors.ConfigError, match="matches several rules"):
        D.ModelParallel(layout_map=layout).init(_mlp(), key, jnp.zeros((8, 6)))
    with pytest.raises(errors.ConfigError, match="needs 8 devices. Received: 3 devices"):
        D.DeviceMesh((4, 2), ("batch", "model"), jax.devices()[:3])
    with pytest.raises(errors.ConfigError, match="`batch_dim_name` must be an axis"):
        D.ModelParallel(layout_map=D.LayoutMap(mesh), batch_dim_name="data")
    with pytest.raises(errors.ConfigTypeError, match="`layout_map` must be a"):
        D.ModelParallel(layout_map={"a": (None,)})
    with pytest.raises(errors.ConfigError, match="give example inputs .* Received: no inputs"):
        D.DataParallel(devices=jax.devices()[:2]).init(_mlp(), key)
    # Plain nested lists are inputs too, as for model.init.
    params, _ = D.DataParallel(devices=jax.devices()[:2]).init(_mlp(), key, [[0.0] * 6] * 2)
    assert params["hidden"]["kernel"].shape == (6, 16)


@pytest.mark.parametrize("make,error,match", [
    (lambda: D.DeviceMesh((True,), ("batch",), jax.devices()[:1]), errors.ConfigError,
     r"DeviceMesh: `shape` must be a non-empty tuple of positive ints\. "
     r"Received: shape=\(True,\)\."),
    (lambda: D.DeviceMesh((1,), ("batch",), [3]), errors.ConfigTypeError,
     r"DeviceMesh: `devices` must hold jax\.Device objects or 'platform:id' strings such "
     r"as 'cpu:0'\. Received: devices containing 3\."),
    (lambda: D.DeviceMesh((1,), ("batch",), ["gpu:0"]), errors.ConfigError,
     r"DeviceMesh: no device 'gpu:0'; devices are named like 'cpu:0'"),
    (lambda: D.DeviceMesh((2,), ("batch",), jax.devices()[:1] * 2), errors.ConfigError,
     r"DeviceMesh: each device may appear once\. Received: devices .*CpuDevice\(id=0\) "
     r"twice\."),
    (lambda: D.DataParallel(devices=3), errors.ConfigTypeError,
     r"DataParallel: `devices` must be a non-empty list of devices\. Received: devices=3\."),
    (lambda: D.DataParallel(devices=[]), errors.ConfigError,
     r"DataParallel: `devices` must be a non-empty list of devices\. Received: devices=\[\]\."),
    (lambda: D.DataParallel(devices=jax.devices()[:1], auto_shard_dataset="no"),
     errors.ConfigTypeError,
     r"DataParallel: `auto_shard_dataset` must be a bool\. Received: auto_shard_dataset='no'"),
    (lambda: D.ModelParallel(layout_map=D.LayoutMap(_mesh()), batch_dim_name=""),
     errors.ConfigError, r"ModelParallel: `batch_dim_name` must be an axis of the mesh "),
    (lambda: D.LayoutMap(_mesh()).__setitem__("hidden/kernel", "model"),
     errors.ConfigTypeError,
     r"LayoutMap rule 'hidden/kernel': the layout must be a TensorLayout or a tuple of mesh "
     r"axis names \(or None\), one per dimension\. Received: layout='model'\."),
    (lambda: D.LayoutMap(_mesh()).__setitem__("hidden/kernel", None),
     errors.ConfigTypeError, r"the layout must be a TensorLayout .* Received: layout=None\."),
    (lambda: D.distribute_tensor(jnp.zeros(8), "batch"), errors.ConfigTypeError,
     r"distribute_tensor: `layout` must be a TensorLayout or a jax\.sharding\.Sharding\. "
     r"Received: layout='batch'\."),
], ids=["bool-shape", "int-device", "absent-platform", "device-twice", "devices-int",
        "devices-empty", "auto-shard", "empty-batch-dim", "layout-str", "layout-none",
        "distribute-str"])
def test_bad_distribution_arguments_are_clear_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize("axes", [("model", "model"), (("batch", "model"), "model"),
                                  (("model", "model"), None)],
                         ids=["two-dims", "tuple-and-dim", "within-a-tuple"])
def test_a_mesh_axis_named_twice_is_a_layout_error(axes, key):
    match = (r"TensorLayout: mesh axis 'model' splits more than one dimension \(or one "
             r"dimension twice\)\. Name each mesh axis at most once\. Received: axes=")
    layout = D.LayoutMap(_mesh())
    with pytest.raises(errors.ConfigError, match=match):
        layout["hidden/kernel"] = axes
    with pytest.raises(errors.ConfigError, match=match):
        D.TensorLayout(axes, device_mesh=_mesh())
    assert "hidden/kernel" not in layout
    # Distinct axes are fine: 'model' and 'batch' (size 2 and 4) split (16, 4).
    layout["out/kernel"] = ("batch", "model")
    params, _ = D.ModelParallel(layout_map=layout).init(_mlp(), key, jnp.zeros((8, 6)))
    assert params["out"]["kernel"].sharding.spec == P("batch", "model")


def test_batch_size_must_divide_over_the_batch_axis():
    x, y = _data(n=32)
    model = _mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with D.DataParallel(devices=jax.devices()[:8]).scope():
        with pytest.raises(errors.DataError, match="batch_size must be a multiple of 8. "
                                                   "Received: batch_size=12"):
            model.fit(x, y, batch_size=12, verbose=0)
    with pytest.raises(errors.DataError, match="batch size 12 is not divisible"):
        D.DataParallel(devices=jax.devices()[:8]).shard_batch(x[:12])


def test_batch_norm_statistics_under_data_parallel_fit_match_one_device():
    x, y = _data(n=32)
    weights = {}
    for name in ("single", "sharded"):
        jl.set_random_seed(5)
        model = jl.Sequential([L.Input((6,)), L.Dense(8, name="hidden"),
                               L.BatchNormalization(name="bn"), L.Dense(4, name="out")])
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        if name == "single":
            model.fit(x, y, epochs=1, batch_size=16, verbose=0, shuffle=False)
        else:
            with D.DataParallel(devices=jax.devices()[:4]).scope():
                model.fit(x, y, epochs=1, batch_size=16, verbose=0, shuffle=False)
        weights[name] = model.get_weights()
    # Under jit, XLA computes whole-batch statistics over the sharded batch: the
    # moving statistics equal single-device ones.
    for a, b in zip(weights["sharded"], weights["single"]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_distribute_tensor_places_and_constrains():
    mesh = _mesh()
    layout = D.TensorLayout(("batch", None), mesh)
    x = D.distribute_tensor(jnp.ones((8, 4)), layout)
    assert x.sharding.spec == P("batch", None)
    y = jax.jit(lambda a: D.distribute_tensor(a * 2, layout.sharding_for((8, 4), "y")))(x)
    np.testing.assert_array_equal(y, 2.0)
