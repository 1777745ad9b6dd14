"""A layer's Variables act as arrays: JAX transforms, jnp, NumPy, operators, assignment.

As in Keras 3, ``jax.jit(f)(layer.trainable_variables)``, ``jnp.sum(v)`` and
``jax.device_put(v)`` accept Variables directly, and ``Layer.add_variable``
takes Keras 3's arguments.
"""

import operator

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers.core.variables import Variable


def counter_layer_class(base):
    """A layer made with ``add_variable`` (Keras 3's signature) on ``base``."""

    class Counter(base):
        def build(self, input_shape):
            self.scale = self.add_variable((input_shape[-1],), "ones", name="scale")
            self.calls = self.add_variable((), "zeros", dtype="float32", trainable=False,
                                           name="calls")

        def call(self, x):
            return x * self.scale

    return Counter


@pytest.fixture(scope="module")
def layer():
    layer = counter_layer_class(jl.layers.Layer)(name="counter")
    layer(np.ones((2, 3), np.float32))
    layer.scale.assign(np.array([1.0, -2.0, 3.0], np.float32))
    layer.calls.assign_add(1.0)
    return layer


def test_add_variable_and_variables_as_keras(layer, keras):
    theirs = counter_layer_class(keras.layers.Layer)(name="counter")
    theirs(np.ones((2, 3), np.float32))

    def listing(variables):
        return [(v.path, tuple(v.shape), v.trainable) for v in variables]

    assert listing(layer.variables) == listing(theirs.variables)
    assert listing(layer.trainable_variables) == listing(theirs.trainable_variables)
    assert listing(layer.non_trainable_variables) == listing(theirs.non_trainable_variables)
    assert layer.variables[0] is layer.scale and layer.variables[1] is layer.calls
    assert float(layer.calls.numpy()) == 1.0


def test_jax_accepts_variables_directly(layer):
    scale = layer.scale
    values = [np.asarray(v) for v in layer.trainable_variables]

    out = jax.jit(lambda vs: [2 * v for v in vs])(layer.trainable_variables)
    assert all(isinstance(o, jax.Array) for o in out)
    np.testing.assert_array_equal(out[0], 2 * values[0])
    grads = jax.grad(lambda vs: jnp.sum(vs[0] ** 2))(layer.trainable_variables)
    np.testing.assert_array_equal(grads[0], 2 * values[0])
    np.testing.assert_array_equal(jax.vmap(lambda r: r + 1)(scale), values[0] + 1)

    placed = jax.device_put(scale)
    assert isinstance(placed, jax.Array)
    np.testing.assert_array_equal(placed, values[0])
    assert all(isinstance(a, jax.Array) for a in jax.device_put(layer.variables))

    assert float(jnp.sum(scale)) == 2.0
    np.testing.assert_array_equal(jnp.where(scale > 0, scale, 0.0), [1.0, 0.0, 3.0])
    np.testing.assert_array_equal(jnp.stack([scale, scale]).shape, (2, 3))
    np.testing.assert_array_equal(jl.ops.maximum(scale, 0.0), [1.0, 0.0, 3.0])
    # Closed over inside jit, a Variable reads as its value.
    np.testing.assert_array_equal(jax.jit(lambda x: x @ scale)(np.ones(3, np.float32)), 2.0)
    # Keras's tree utilities keep treating a Variable as one leaf.
    assert jl.tree.flatten({"a": scale})[0] is scale


OPS = [operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv,
       operator.mod, operator.pow, operator.lt, operator.le, operator.gt, operator.ge,
       operator.eq, operator.ne]


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.__name__)
def test_operators_match_keras_variables(op, layer, keras):
    ours = layer.scale
    theirs = keras.Variable(np.asarray(ours))
    other = np.array([2.0, 2.0, -1.0], np.float32)
    for a, b, ka, kb in [(ours, other, theirs, other), (other, ours, other, theirs),
                         (ours, ours, theirs, theirs), (ours, 3.0, theirs, 3.0),
                         (jnp.asarray(other), ours, jnp.asarray(other), theirs)]:
        np.testing.assert_allclose(np.asarray(op(a, b)), np.asarray(op(ka, kb)), rtol=1e-6)


def test_variable_as_an_array(layer):
    v = layer.scale
    expect = np.array([1.0, -2.0, 3.0], np.float32)
    assert (v.shape, v.dtype, v.ndim, len(v), v.size) == ((3,), jnp.float32, 1, 3, 3)
    np.testing.assert_array_equal(v.numpy(), expect)
    np.testing.assert_array_equal(np.asarray(v), expect)
    np.testing.assert_array_equal(np.asarray(v, np.float64).dtype, np.float64)
    np.testing.assert_array_equal(v[1:], expect[1:])
    np.testing.assert_array_equal(-v, -expect)
    np.testing.assert_array_equal(abs(v), np.abs(expect))
    np.testing.assert_array_equal(v @ expect, expect @ expect)
    np.testing.assert_array_equal(np.ones(3) + v, 1 + expect)
    assert float(v[2]) == 3.0 and int(layer.calls) == 1 and bool(layer.calls)
    assert {v: "kernel"}[v] == "kernel"  # hashed by identity, though == is elementwise
    assert isinstance(v, Variable)


def test_assign_family_outside_call():
    layer = jl.layers.Layer(name="holder")
    v = layer.add_variable((2,), "zeros", name="v")
    assert v.assign([1.0, 2.0]) is v
    v.assign_add(np.ones(2))
    v.assign_sub(jnp.array([0.5, 0.5]))
    np.testing.assert_array_equal(v.numpy(), [1.5, 2.5])
    v.assign(v * 2)
    np.testing.assert_array_equal(v.numpy(), [3.0, 5.0])


def test_a_variable_subclass_is_accepted_by_jax_too():
    class Scaled(Variable):
        @property
        def value(self):
            return 10 * self.materialize()

    v = Scaled(name="s", shape=(2,), dtype="float32", initializer=jnp.ones)
    np.testing.assert_array_equal(jax.jit(lambda a: a + 1)(v), [11.0, 11.0])
    np.testing.assert_array_equal(jnp.sum(v), 20.0)
