"""The Layer facade and its pure pair: keys and initial weights folded by path, weight
tracking, add_weight, facade calls under JAX transforms, the eager call, named
constructor, weight and input-spec errors, saveable names.  (The user-facing Layer API
of custom layers: tests/test_layer_api.py.)"""

import zlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers import errors
from jaxlayers.core.scope import stable_hash
from jaxlayers.layers import Layer
from tests.helpers import Counter, NoisyLayer

L = jl.layers


class Branches(Layer):
    """Sublayers held in a dict; returns each branch's output by name."""

    def __init__(self, names, **kwargs):
        super().__init__(**kwargs)
        self.branches = {n: NoisyLayer(name=n) for n in names}

    def call(self, x, training=None):
        return {n: layer(x, training=training) for n, layer in self.branches.items()}


def test_stable_hash_is_crc32_and_process_independent():
    # Pinned values: Python's salted hash() would change between processes.
    assert stable_hash("dense") == zlib.crc32(b"dense") & 0x7FFFFFFF == 1575712873
    assert stable_hash("block/b") == 966846778


def test_random_key_is_folded_by_path_and_per_call_counter():
    x = jnp.zeros((2, 3))
    key = jax.random.key(7)
    only_b = Branches(["b"], name="block")
    both = Branches(["a", "b"], name="block")
    p1, s1 = only_b.init(key, x)
    p2, s2 = both.init(key, x)
    y1, _ = only_b.apply(p1, s1, x, training=True, key=key)
    y2, _ = both.apply(p2, s2, x, training=True, key=key)
    # Adding branch 'a' never changes branch 'b''s noise.
    np.testing.assert_array_equal(y1["b"], y2["b"])
    assert not np.allclose(y2["a"], y2["b"])
    # The documented derivation: key folded with hash("block/b"), then call counter 0.
    expected = jax.random.normal(
        jax.random.fold_in(jax.random.fold_in(key, stable_hash("block/b")), 0), x.shape)
    np.testing.assert_array_equal(y1["b"], expected)


def test_calling_a_random_sublayer_twice_draws_fresh_keys():
    class Twice(Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.noise = NoisyLayer(name="noise")

        def call(self, x, training=None):
            return self.noise(x, training=training), self.noise(x, training=training)

    layer = Twice(name="twice")
    x = jnp.zeros((2, 2))
    a, b = layer.apply(*layer.init(jax.random.key(0), x), x, training=True,
                       key=jax.random.key(3))[0]
    assert not np.allclose(a, b)
    base = jax.random.fold_in(jax.random.key(3), stable_hash("twice/noise"))
    np.testing.assert_array_equal(b, jax.random.normal(jax.random.fold_in(base, 1), x.shape))


def test_initial_weights_are_folded_by_weight_path():
    class Pair(Layer):
        def __init__(self, names, **kwargs):
            super().__init__(**kwargs)
            self.parts = [L.Dense(2, name=n) for n in names]

        def call(self, x):
            return [p(x) for p in self.parts]

    x = jnp.ones((1, 3))
    one, _ = Pair(["b"], name="pair").init(jax.random.key(0), x)
    two, _ = Pair(["a", "b"], name="pair").init(jax.random.key(0), x)
    np.testing.assert_array_equal(one["pair"]["b"]["kernel"], two["pair"]["b"]["kernel"])
    assert not np.allclose(two["pair"]["a"]["kernel"], two["pair"]["b"]["kernel"])


def test_weights_are_plain_arrays_inside_call():
    seen = []

    class Probe(Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 2), initializer="ones")

        def call(self, x):
            seen.append(type(self.w))
            assert isinstance(self.w, jax.Array)
            assert not isinstance(self.w, jl.Variable)
            return jnp.matmul(x, self.w)

    layer = Probe()
    x = jnp.ones((2, 3))
    params, state = layer.init(jax.random.key(0), x)
    np.testing.assert_allclose(jax.jit(layer.apply)(params, state, x)[0], np.full((2, 2), 3.0))
    np.testing.assert_allclose(layer(x), np.full((2, 2), 3.0))
    assert seen and not any(issubclass(t, jl.Variable) for t in seen)
    # Outside call the attribute is the Variable handle.
    assert isinstance(layer.w, jl.Variable)


def test_sublayers_in_dicts_and_attributes_are_tracked_in_order():
    class Net(Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.first = L.Dense(3, name="first")
            self.heads = {"h1": L.Dense(1, name="h1"), "h2": L.Dense(2, name="h2")}

        def call(self, x):
            h = self.first(x)
            return self.heads["h1"](h) + self.heads["h2"](h).sum(-1, keepdims=True)

    net = Net(name="net")
    x = np.arange(8.0, dtype=np.float32).reshape(2, 4)
    y = net(x)
    assert [w.path for w in net.weights] == [
        "net/first/kernel", "net/first/bias", "net/h1/kernel", "net/h1/bias",
        "net/h2/kernel", "net/h2/bias"]
    assert jax.tree.map(jnp.shape, net.params) == {"net": {
        "first": {"kernel": (4, 3), "bias": (3,)}, "h1": {"kernel": (3, 1), "bias": (1,)},
        "h2": {"kernel": (3, 2), "bias": (2,)}}}
    k0, b0, k1, b1, k2, b2 = [np.asarray(w, np.float64) for w in net.get_weights()]
    h = x.astype(np.float64) @ k0 + b0
    ref = h @ k1 + b1 + (h @ k2 + b2).sum(-1, keepdims=True)
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)
    assert net.count_params() == 4 * 3 + 3 + 3 + 1 + 3 * 2 + 2


def test_add_weight_arguments_are_honoured():
    class W(Layer):
        def build(self, input_shape):
            self.a = self.add_weight(shape=(2,), initializer="ones", dtype="float16",
                                     name="a")
            self.b = self.add_weight(shape=(3,), initializer=jl.initializers.Constant(2.0),
                                     trainable=False, name="b")
            self.c = self.add_weight(shape=(2, 2), initializer="ones",
                                     regularizer=jl.regularizers.L1(0.5),
                                     constraint=jl.constraints.NonNeg(), name="c")

        def call(self, x):
            return x

    layer = W()
    layer.build((None, 1))
    a, b, c = layer.a, layer.b, layer.c
    assert (a.dtype, a.trainable, a.shape) == (jnp.float16, True, (2,))
    assert (b.trainable, b.dtype) == (False, jnp.float32)
    np.testing.assert_array_equal(b.value, [2.0, 2.0, 2.0])
    assert [v.name for v in layer.trainable_weights] == ["a", "c"]
    assert [v.name for v in layer.non_trainable_weights] == ["b"]
    assert isinstance(c.constraint, jl.constraints.NonNeg)
    np.testing.assert_allclose(c.constraint(-jnp.ones((2, 2))), np.zeros((2, 2)))
    # The regularizer's penalty is a loss: 0.5 * sum(|ones(2, 2)|) = 2.
    np.testing.assert_allclose(layer.losses, [2.0])
    params, state = layer.init(jax.random.key(0), jnp.ones((1, 1)))
    assert set(params[layer.name]) == {"a", "c"} and set(state[layer.name]) == {"b"}
    assert params[layer.name]["a"].dtype == jnp.float16


def test_weights_from_init_work_under_jit_grad_and_stateless_call():
    class RegLayer(Layer):
        def __init__(self, units=3, input_dim=2):
            super().__init__()
            self.weight = self.add_weight(shape=(input_dim, units), initializer="random_normal",
                                          regularizer=jl.regularizers.l2(0.1), trainable=True)
            self.bias = self.add_weight(shape=(units,), initializer="zeros", trainable=True)

        def call(self, inputs):
            return jnp.matmul(inputs, self.weight) + self.bias

    layer = RegLayer()
    # Weights made in __init__ exist before the first call, as in Keras.
    assert not layer.built and [w.shape for w in layer.get_weights()] == [(2, 3), (3,)]
    layer.set_weights([np.ones((2, 3)), np.zeros(3)])
    np.testing.assert_allclose(layer(jnp.ones((1, 2))), np.full((1, 3), 2.0))
    x = jnp.array([[1.0, 2.0]])
    params, state = layer.init(jax.random.key(0), x)

    def total(p):
        y, _, aux = layer.apply_with_aux(p, state, x)
        return jnp.sum(y) + sum(aux["losses"])

    grads = jax.jit(jax.grad(total))(params)
    w = params[layer.name]["weight"]
    # d/dW [sum(xW + b) + 0.1 * sum(W^2)] = x^T 1 + 0.2 W
    np.testing.assert_allclose(grads[layer.name]["weight"],
                               np.array([[1.0] * 3, [2.0] * 3]) + 0.2 * np.asarray(w),
                               rtol=1e-5)
    np.testing.assert_allclose(grads[layer.name]["bias"], np.ones(3))
    tv = [jnp.ones((2, 3)), jnp.zeros(3)]
    out, ntv, losses = layer.stateless_call(tv, [], x, return_losses=True)
    np.testing.assert_allclose(out, [[3.0, 3.0, 3.0]])
    assert ntv == []
    np.testing.assert_allclose(losses, [0.1 * 6.0], rtol=1e-6)


def test_activity_regularizer_is_scaled_by_batch_like_keras(rng):
    layer = L.Dense(2, activity_regularizer=jl.regularizers.L2(0.1))
    x = rng.standard_normal((4, 3)).astype(np.float32)
    y = np.asarray(layer(x), np.float64)
    np.testing.assert_allclose(layer.losses, [0.1 * np.sum(y ** 2) / 4], rtol=1e-5)
    _, _, aux = layer.apply_with_aux(layer.params, layer.state, x)
    np.testing.assert_allclose(aux["losses"], [0.1 * np.sum(y ** 2) / 4], rtol=1e-5)


def test_activity_regularizer_matches_keras(rng):
    keras = pytest.importorskip("keras")
    x = rng.standard_normal((4, 3)).astype(np.float32)
    kl = keras.layers.Dense(2, activity_regularizer=keras.regularizers.L2(0.1))
    kl(x)
    layer = L.Dense(2, activity_regularizer=jl.regularizers.L2(0.1))
    layer.build((None, 3))
    layer.set_weights(kl.get_weights())
    layer(x)
    np.testing.assert_allclose(layer.losses, [np.asarray(v) for v in kl.losses], rtol=1e-5)


def test_params_and_state_of_an_unbuilt_layer_are_errors():
    layer = L.Dense(2, name="lazy")
    assert layer.weights == [] and not layer.built  # Keras: an unbuilt layer lists none
    for read in (lambda: layer.params, lambda: layer.state):
        with pytest.raises(errors.NotBuiltError, match="Dense 'lazy' isn't built yet"):
            read()
    with pytest.raises(errors.NotBuiltError, match=r"Dense 'lazy'.*layer.build\(input_shape\)"):
        layer.set_params({"lazy": {"kernel": jnp.zeros((3, 2)), "bias": jnp.zeros(2)}})
    layer.set_params({}, {})  # nothing to assign is not an error (loading weightless models)
    with pytest.raises(errors.NotBuiltError, match="Dense 'lazy' isn't built yet"):
        layer.set_weights([np.zeros((3, 2)), np.zeros(2)])
    layer.build((None, 3))
    assert jax.tree.map(jnp.shape, layer.params) == {"lazy": {"kernel": (3, 2), "bias": (2,)}}
    assert layer.state == {}


def test_set_weights_wrong_count_changes_nothing():
    layer = L.Dense(2, name="d")
    layer.build((None, 3))
    before = layer.get_weights()
    with pytest.raises(errors.WeightsError,
                       match=r"Dense 'd': set_weights expects a list of 2 arrays.*Received: "
                             r"a list of 3"):
        layer.set_weights(before + [np.zeros(2)])
    with pytest.raises(errors.WeightsError,
                       match=r"weight 'd/kernel' expects shape \(3, 2\). Received: an array "
                             r"of shape \(2, 3\)"):
        layer.set_weights([np.ones((2, 3)), np.ones(2)])
    for a, b in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(a, b)


_ANY_ERROR = (errors.JaxlayersError, ValueError, TypeError)


@pytest.mark.parametrize("make, error, match", [
    (lambda: L.Dense(2, activation="relux", name="bad"), errors.ConfigError,
     r"Dense 'bad': Unknown activation: 'relux'.*Received: activation='relux'"),
    (lambda: L.Dense(2, kernel_initializer="glorot_unicorn", name="bad"), errors.ConfigError,
     r"Dense 'bad': Unknown initializer.*Received: kernel_initializer='glorot_unicorn'"),
    (lambda: L.Dense(2, bias_regularizer="l7", name="bad"), errors.ConfigError,
     r"Dense 'bad': Unknown regularizer.*Received: bias_regularizer='l7'"),
    (lambda: L.Dense(2, kernel_constraint="nonneg", name="bad"), errors.ConfigError,
     r"Dense 'bad': Unknown constraint.*Received: kernel_constraint='nonneg'"),
    (lambda: L.Dense(2, activation=3, name="bad"), errors.ConfigTypeError,
     r"Dense 'bad': Could not interpret activation.*Received: activation=3\."),
    (lambda: L.Dense(2, activity_regularizer="l3", name="bad"), errors.ConfigError,
     r"Dense 'bad': Unknown regularizer.*Received: activity_regularizer='l3'"),
    (lambda: L.Dense("a", name="bad"), errors.ConfigError,
     r"Dense 'bad': `units` must be a positive int. Received: units='a'"),
    (lambda: L.Dense(-1, name="bad"), errors.ConfigError,
     r"Dense 'bad': `units` must be a positive int. Received: units=-1"),
    (lambda: L.Dense(True, name="bad"), errors.ConfigError, r"Received: units=True"),
    (lambda: L.Activation("nope", name="bad"), errors.ConfigError,
     r"Activation 'bad': Unknown activation: 'nope'.*Received: activation='nope'"),
    (lambda: L.EinsumDense("ab,bc->ac", 3, activation="zz", name="bad"), errors.ConfigError,
     r"EinsumDense 'bad': Unknown activation.*Received: activation='zz'"),
    (lambda: L.Embedding(10, 3, embeddings_initializer="zz", name="bad"), errors.ConfigError,
     r"Embedding 'bad': Unknown initializer.*Received: embeddings_initializer='zz'"),
    (lambda: L.Embedding(10, 0, name="bad"), errors.ConfigError,
     r"Embedding 'bad': `output_dim` must be a positive int. Received: output_dim=0"),
    (lambda: L.Masking("a", name="bad"), errors.ConfigError,
     r"Masking 'bad': `mask_value` must be a finite float. Received: mask_value='a'"),
    # Any of the framework's errors (or the builtins they subclass) will do below.
    (lambda: L.Dense(units=0), _ANY_ERROR, r"`units` must be a positive int. Received: units=0"),
    (lambda: L.Dense(units="a"), _ANY_ERROR, r"Received: units='a'"),
    (lambda: L.Dense(units=2, activation="relux"), _ANY_ERROR, "Unknown activation"),
    (lambda: L.Dense(units=2, kernel_initializer="glorot_unicorn"), _ANY_ERROR,
     "glorot_unicorn"),
    (lambda: L.Dense(units=2, foo=1), _ANY_ERROR,
     "Unrecognized keyword arguments passed to Dense"),
])
def test_bad_constructor_arguments_name_the_layer(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_user_layer_constructor_errors_name_the_user_class():
    class MyDense(L.Dense):
        def __init__(self, units, **kwargs):
            super().__init__(units, **kwargs)

    with pytest.raises(errors.ConfigError,
                       match=r"MyDense 'mine': Unknown activation.*Received: activation='x'"):
        MyDense(2, activation="x", name="mine")
    # Errors that already name the layer are not wrapped twice.
    with pytest.raises(errors.ConfigError, match=r"^Dense 'once': `units`"):
        L.Dense(0, name="once")


@pytest.mark.parametrize("shape, match", [
    ((3,), r"Dense 'rank'.*expected min_ndim=2, found ndim=1"),
    ((2, 5), r"Dense 'rank'.*axis -1.*value 4.*\(2, 5\)"),
])
def test_wrong_rank_or_last_dimension(shape, match):
    layer = L.Dense(2, name="rank")
    layer.build((None, 4))
    with pytest.raises(errors.ShapeError, match=match):
        layer(jnp.ones(shape))
    params, state = layer.init(jax.random.key(0), jnp.ones((1, 4)))
    with pytest.raises(errors.ShapeError, match=match):
        layer.apply(params, state, jnp.ones(shape))


def test_input_spec_errors_name_layer_and_shape():
    layer = L.Dense(2, name="d")
    layer(jnp.ones((1, 3)))
    with pytest.raises(errors.ShapeError, match=r"Dense 'd'.*axis -1.*value 3.*\(1, 4\)"):
        layer(jnp.ones((1, 4)))
    with pytest.raises(errors.ShapeError, match="expected min_ndim=2, found ndim=1"):
        L.Dense(2)(jnp.ones((3,)))
    with pytest.raises(ValueError):  # ShapeError is also a ValueError
        layer(jnp.ones((1, 4)))


class Spec(Layer):
    def __init__(self, spec, **kwargs):
        super().__init__(**kwargs)
        self.input_spec = spec

    def call(self, x):
        return x


@pytest.mark.parametrize("spec, x, error, match", [
    (jl.InputSpec(ndim=3), np.ones((2, 3)), errors.ShapeError,
     r"Input 0 of Spec 's' is incompatible.*expected ndim=3, found ndim=2. "
     r"Received: input shape \(2, 3\)"),
    (jl.InputSpec(max_ndim=2), np.ones((1, 2, 3)), errors.ShapeError,
     r"Spec 's'.*expected max_ndim=2, found ndim=3"),
    (jl.InputSpec(min_ndim=2), np.ones(3), errors.ShapeError,
     r"Spec 's'.*expected min_ndim=2, found ndim=1"),
    (jl.InputSpec(dtype="int32"), np.ones((2, 2), np.float32), errors.DTypeError,
     r"Spec 's'.*expected dtype=int32. Received: dtype=float32"),
    (jl.InputSpec(shape=(None, 4)), np.ones((2, 5)), errors.ShapeError,
     r"Spec 's'.*expected shape=\(None, 4\). Received: input shape \(2, 5\)"),
    (jl.InputSpec(axes={1: 4}), np.ones((2, 5, 4)), errors.ShapeError,
     r"Spec 's'.*expected axis 1 of input shape to have value 4. "
     r"Received: input shape \(2, 5, 4\)"),
    ([jl.InputSpec(), jl.InputSpec()], np.ones((2, 2)), errors.ShapeError,
     r"Spec 's' expects 2 input\(s\), but it received 1 input tensors"),
])
def test_input_spec_errors(spec, x, error, match):
    layer = Spec(spec, name="s")
    with pytest.raises(error, match=match):
        layer(x)
    with pytest.raises(error, match=match):
        layer.apply({}, {}, x)


def test_input_spec_accepts_matching_inputs_and_checks_config():
    ok = [
        (jl.InputSpec(ndim=2, axes={-1: 3}), np.ones((4, 3))),
        (jl.InputSpec(shape=(None, 3, 1), allow_last_axis_squeeze=True), np.ones((2, 3))),
        (jl.InputSpec(dtype="int32", min_ndim=1, max_ndim=2), np.ones((2,), np.int32)),
    ]
    for spec, x in ok:
        np.testing.assert_array_equal(Spec(spec)(x), x)
    with pytest.raises(errors.ConfigError, match=r"`axes` keys must be ints. Received"):
        jl.InputSpec(axes={"a": 1})
    with pytest.raises(errors.ConfigError, match=r"beyond the rank. Received: axes=\{3: 1\}"):
        jl.InputSpec(ndim=2, axes={3: 1})


def test_assign_on_a_weight_inside_call_is_a_clear_error_and_handles_still_assign():
    class AssignAdd(Layer):
        def build(self, input_shape):
            self.count = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                         name="count")

        def call(self, x):
            self.count.assign_add(1.0)
            return x

    class ViaHandle(AssignAdd):
        def call(self, x):
            handle = next(v for v in self.weights if v.name == "count")
            handle.assign(self.count + 2.0)
            return x

    x = jnp.ones((1, 2))
    match = r"AssignAdd 'acc': inside call a weight is a plain jax.Array.*self.count = "
    with pytest.raises(errors.StateError, match=match):
        AssignAdd(name="acc").init(jax.random.key(0), x)
    with pytest.raises(errors.StateError, match=match):
        AssignAdd(name="acc")(x)
    with pytest.raises(errors.StateError, match=match):
        AssignAdd(name="acc").apply({}, {"acc": {"count": jnp.zeros(())}}, x)
    handle = ViaHandle(name="h")
    params, state = handle.init(jax.random.key(0), x)
    _, new_state = jax.jit(handle.apply)(params, state, x)
    assert float(new_state["h"]["count"]) == 2.0
    handle(x)
    handle(x)
    assert float(handle.state["h"]["count"]) == 4.0


# --- facade calls under JAX transforms ------------------------------------------------
def _tracer_free(tree):
    return not any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(tree))


def test_facade_calls_under_jit_grad_and_vmap_leave_stored_values_untouched():
    x = jnp.arange(12.0).reshape(4, 3)
    bn = L.BatchNormalization(name="bn")
    counter = Counter(name="counter")
    for layer in (bn, counter):
        layer(x)
        before = layer.state
        expected_out, expected_state = layer.apply(layer.params, before, x, training=True)
        outs = [
            jax.jit(lambda v, layer=layer: layer(v, training=True))(x),
            jax.jit(lambda layer=layer: layer(x, training=True))(),  # concrete x closed over
            jax.vmap(lambda v, layer=layer: layer(v[None], training=True)[0])(x),
        ]
        jax.grad(lambda v, layer=layer: layer(v, training=True).sum())(x)
        for out in outs[:2]:
            np.testing.assert_allclose(out, expected_out, rtol=1e-6)
        jax.tree_util.tree_map(np.testing.assert_array_equal, layer.state, before)
        assert _tracer_free((layer.state, layer.losses))
        np.testing.assert_allclose(layer(x, training=True), expected_out, rtol=1e-6)
        jax.tree_util.tree_map(np.testing.assert_allclose, layer.state, expected_state)
    drop = L.Dropout(0.5, name="drop")
    ones = jnp.ones((4, 8))
    for out in (jax.jit(lambda v: drop(v, training=True))(ones),
                jax.vmap(lambda v: drop(v, training=True))(ones),
                jax.grad(lambda v: drop(v, training=True).sum())(ones),
                drop(ones, training=True)):
        assert set(np.unique(np.asarray(out)).tolist()) <= {0.0, 2.0}


def test_first_facade_call_under_jit_builds_with_concrete_weights():
    dense = L.Dense(2, name="d")
    x = jnp.ones((1, 3))
    traced = jax.jit(lambda v: dense(v))(x)
    assert dense.built and _tracer_free(dense.params)
    np.testing.assert_allclose(dense(x), traced, rtol=1e-6)


# --- the eager facade call ------------------------------------------------------------
class ValueDependent(Layer):
    """Python control flow on the input's values: Keras runs such a call eagerly."""

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones",
                                     name="scale")

    def call(self, x):
        host = np.asarray(x)
        if jnp.sum(x) > 0:
            return x * self.scale + float(host.max())
        return x * self.scale


class ValueDependentWithShape(ValueDependent):
    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class Gated(Layer):
    """A Dense reached through value-dependent Python, built when the call reaches it."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = L.Dense(2, name="dense")

    def call(self, x):
        if float(jnp.sum(x)) > 0:
            return self.dense(x)
        return self.dense(-x)


def test_first_eager_call_runs_value_dependent_python(key):
    x = np.array([[1.0, -2.0, 4.0]], np.float32)
    layer = ValueDependent(name="vd")
    np.testing.assert_allclose(layer(x), x + 4.0)
    np.testing.assert_allclose(layer(-x), -x)
    assert layer.built and [w.path for w in layer.weights] == ["vd/scale"]
    np.testing.assert_allclose(layer.apply(layer.params, layer.state, x)[0], x + 4.0)
    params, _ = ValueDependent(name="vd").init(key, x)  # concrete inputs build eagerly too
    assert jax.tree.map(jnp.shape, params) == {"vd": {"scale": (3,)}}
    gated = Gated(name="gated")
    y = gated(x)
    assert gated.built and gated.dense.built
    assert [w.path for w in gated.weights] == ["gated/dense/kernel", "gated/dense/bias"]
    kernel, bias = gated.get_weights()
    np.testing.assert_allclose(y, x @ kernel + bias, rtol=1e-5)
    np.testing.assert_allclose(gated(-x), y, rtol=1e-5)


class GatedModel(jl.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.vd = ValueDependent(name="vd")
        self.gated = Gated(name="gated")

    def call(self, x):
        return self.gated(self.vd(x))


def test_models_holding_a_value_dependent_layer_call_and_predict_eagerly():
    x = np.array([[1.0, -2.0, 4.0], [0.5, 0.5, 0.5]], np.float32)
    seq = jl.Sequential([jl.Input((3,)), ValueDependentWithShape(name="vd"),
                         L.Dense(2, name="out")])
    inputs = jl.Input((3,))
    func = jl.Model(inputs, L.Dense(2, name="out")(ValueDependentWithShape(name="vd")(inputs)))
    # A subclassed model builds on its first call, or on predict's first batch.
    for model, call_first in ((seq, False), (func, False), (GatedModel(), True),
                              (GatedModel(), False)):
        called = model(x) if call_first else None
        model.compile(loss="mse", run_eagerly=True)
        predicted = model.predict(x, verbose=0)
        called = model(x) if called is None else called
        out = model.get_layer("gated").dense if isinstance(model, GatedModel) else \
            model.get_layer("out")
        kernel, bias = out.get_weights()
        expected = (x + 4.0) @ kernel + bias  # sum(x) > 0: the batch gets max(x) added
        np.testing.assert_allclose(called, expected, rtol=1e-5)
        np.testing.assert_allclose(predicted, expected, rtol=1e-5)


def test_concurrent_eager_calls_keep_every_state_update():
    from concurrent.futures import ThreadPoolExecutor

    n_threads, n_calls = 4, 10
    x = jnp.arange(12.0).reshape(4, 3)
    counter, bn, reference = Counter(name="c"), L.BatchNormalization(), L.BatchNormalization()
    for layer in (counter, bn, reference):
        layer(x)
    reference.set_weights(bn.get_weights())

    def work(layer):
        for _ in range(n_calls):
            layer(x, training=True)

    with ThreadPoolExecutor(2 * n_threads) as pool:
        for future in [pool.submit(work, layer) for layer in (counter, bn) * n_threads]:
            future.result()
    assert float(counter.state["c"]["count"]) == n_threads * n_calls
    for _ in range(n_threads * n_calls):
        reference(x, training=True)
    for got, want in zip(bn.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5)


@pytest.mark.parametrize("name", ["", "a/b", ".", "..", "a\\b", "a\x00b", "\udc80", 3])
def test_names_that_cannot_be_saved_are_refused_by_the_constructor(name):
    match = r"^Dense: `name` must be a non-empty string usable as a path part.*Received: name="
    with pytest.raises(errors.ConfigError, match=match):
        L.Dense(2, name=name)


@pytest.mark.parametrize("name", ["..", "a/b", "a\\b"])
def test_weight_names_that_cannot_be_saved_are_refused(name):
    class Named(Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(), name=name)

    with pytest.raises(errors.ConfigError,
                       match=r"^Named 'named': add_weight `name` must be a non-empty string "
                             r"usable as a path part"):
        Named(name="named").build((1,))


def test_odd_but_saveable_names_round_trip(tmp_path):
    model = jl.Sequential([jl.Input((2,)), L.Dense(1, name="a:b c.d")])
    model.save(tmp_path / "m.keras")
    assert jl.saving.load_model(tmp_path / "m.keras").layers[0].name == "a:b c.d"


def test_input_spec_config_matches_keras_and_round_trips_through_json(keras):
    import json

    kwargs = {"dtype": "float32", "shape": (None, 3), "axes": {-1: 3}, "optional": True}
    ours = jl.InputSpec(**kwargs)
    theirs = keras.InputSpec(**kwargs)
    assert ours.get_config() == theirs.get_config()
    assert jl.InputSpec(min_ndim=2).get_config() == keras.InputSpec(min_ndim=2).get_config()
    back = jl.InputSpec.from_config(json.loads(json.dumps(ours.get_config())))
    assert back.get_config() == ours.get_config()
    layer = Spec(back, name="s")
    with pytest.raises(errors.ShapeError, match=r"expected axis -1 of input shape to have value 3"):
        layer(np.ones((2, 4), np.float32))
