"""The public protocol of core that the other packages (and user layers) build on.

Saving, training, export, the models and wrapper layers use these names instead of
core's private attributes; each is checked here on its own.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers import errors
from jaxlayers.core import pure, tracking
from jaxlayers.core import scope as scope_lib

L = jl.layers


def test_entries_give_paths_and_collections_in_keras_order():
    bn = L.BatchNormalization(name="bn")
    bn.build((None, 3))
    assert [("/".join(p), v.collection) for p, v in tracking.entries(bn)] == [
        ("bn/gamma", "params"), ("bn/beta", "params"),
        ("bn/moving_mean", "state"), ("bn/moving_variance", "state")]
    # Freezing changes `trainable`, never the tree a weight lives in.
    bn.trainable = False
    assert [v.collection for _, v in tracking.entries(bn)] == ["params"] * 2 + ["state"] * 2


def test_ensure_built_builds_the_whole_tree_from_specs_only():
    model = jl.Sequential([L.Dense(4), L.Dense(2)])
    assert not tracking.all_built(model)
    model.ensure_built(jax.ShapeDtypeStruct((1, 3), jnp.float32))
    assert tracking.all_built(model)
    assert [v.shape for v in model.weights] == [(3, 4), (4,), (4, 2), (2,)]
    pure.ensure_built(model, (jax.ShapeDtypeStruct((1, 3), jnp.float32),))  # once


def test_a_user_layer_declares_sublayers_kept_out_of_sight_with_tracked_sublayers(key):
    class Registry:
        def __init__(self, *layers):
            self.items = layers

    class Chain(jl.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.registry = Registry(L.Dense(3, name="a"), L.Dense(2, name="b"))

        def tracked_sublayers(self):
            return list(self.registry.items)

        def call(self, x):
            for layer in self.registry.items:
                x = layer(x)
            return x

    chain = Chain(name="chain")
    params, _ = chain.init(key, jnp.ones((1, 4)))
    assert jax.tree.map(jnp.shape, params) == {
        "chain": {"a": {"bias": (3,), "kernel": (4, 3)}, "b": {"bias": (2,), "kernel": (3, 2)}}}
    assert [layer.name for layer in tracking.flatten(chain)] == ["chain", "a", "b"]


def test_build_from_inputs_is_the_hook_that_sees_the_inputs():
    class RemembersDtype(L.Dense):
        def build_from_inputs(self, args, kwargs):
            if not self.built:
                self.seen_dtype = args[0].dtype
            super().build_from_inputs(args, kwargs)

    layer = RemembersDtype(2)
    layer(np.ones((1, 3), "float32"))
    assert layer.seen_dtype == jnp.float32 and layer.built


def test_scope_override_changes_reads_inside_the_block_only(key):
    dense = L.Dense(2, use_bias=False, name="dense")
    params, state = dense.init(key, jnp.ones((1, 3)))
    kernel_var = tracking.weight_attributes(dense)["kernel"]
    with scope_lib.Scope({id(kernel_var): params["dense"]["kernel"]},
                         {id(kernel_var): kernel_var}) as scope:
        with scope.override(kernel_var, jnp.zeros((3, 2))):
            np.testing.assert_array_equal(dense(jnp.ones((1, 3))), jnp.zeros((1, 2)))
        np.testing.assert_allclose(dense(jnp.ones((1, 3))),
                                   jnp.ones((1, 3)) @ params["dense"]["kernel"])


def test_declared_input_shape_and_dtype_come_from_the_constructor():
    layer = L.Dense(2, input_shape=(5,), input_dtype="int32")
    assert layer.declared_input_shape == (None, 5)
    assert layer.declared_input_dtype == "int32"
    assert L.Dense(2).declared_input_shape is None


def test_check_built_names_what_is_missing():
    with pytest.raises(errors.NotBuiltError,
                       match=r"Dense '.*' isn't built yet, so it has no params. Call it on "
                             r"data \(layer\(x\)\)"):
        L.Dense(2).check_built("params")
