"""Shared checks over every registered layer case (tests/cases/).

Every case: eager == apply == jit, vmap, finite grads, no retrace, config round trip,
keys for random layers.  The cases of the conv, pooling, reshaping, merging,
normalization, regularization, attention and activation families also:
``compute_output_shape`` equals the real output shape, with known and ``None``
batch, and a Functional model built on ``jl.Input`` (``None`` batch) gives the
layer's own outputs, before and after a save/load round trip.
"""

import importlib

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers
import jaxlayers as jl
from jaxlayers.core.layer import Layer
from tests.cases import all_cases, case_ids
from tests.helpers import assert_close

CASES = all_cases()
# Public names that are not standalone layers with a call of their own.
NOT_CASED = {"Layer", "InputLayer", "InputSpec", "RNNCell", "Wrapper"}


def _setup(case, seed=0):
    rng = np.random.default_rng(seed)
    layer = case.cls(**case.kwargs)
    inputs = case.make_inputs(rng)
    args = case.call_args(inputs)
    params, state = layer.init(jax.random.key(seed), *args, **case.call_kwargs)
    return layer, args, params, state


def test_every_public_layer_has_a_case():
    cased = {c.cls.__name__ for c in CASES}
    public = {
        name for name in jaxlayers.layers.__all__
        if isinstance(getattr(jaxlayers.layers, name), type)
        and issubclass(getattr(jaxlayers.layers, name), Layer)
    }
    aliases = {name for name in public if getattr(jaxlayers.layers, name).__name__ != name}
    missing = sorted(public - cased - NOT_CASED - aliases)
    assert not missing, f"public layers without a LayerCase: {missing}"


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_conformance(case):
    chex.clear_trace_counter()
    layer, args, params, state = _setup(case)
    kw = dict(case.call_kwargs)
    if case.n_params is not None:
        assert len(jax.tree_util.tree_leaves(params)) == case.n_params
    if case.n_state is not None:
        assert len(jax.tree_util.tree_leaves(state)) == case.n_state

    # apply always returns two values; facade == apply on the same values.
    out, new_state = layer.apply(params, state, *args, **kw)
    layer.set_params(params, state)
    assert_close(layer(*args, **kw), out)
    assert jax.tree_util.tree_structure(new_state) == jax.tree_util.tree_structure(state)

    # One compiled function per case checks jit, vmap and grads together (compile time
    # dominates this suite): eager == jit, vmap over rows == batched call, finite grads,
    # and no retrace on a second call with new values of the same shape.
    if case.jit:
        check_vmap = case.batch_independent
        float_mask = [jnp.issubdtype(jnp.asarray(a).dtype, jnp.floating)
                      for a in jax.tree_util.tree_leaves(args)]

        def one(p, s, *rows):
            rows = jax.tree_util.tree_map(lambda r: r[None], rows)
            y, _ = layer.apply(p, s, *rows, **kw)
            return jax.tree_util.tree_map(lambda t: t[0], y)

        def loss(p, s, fa, a):
            leaves, treedef = jax.tree_util.tree_flatten(a)
            it = iter(fa)
            leaves = [next(it) if f else x for f, x in zip(float_mask, leaves)]
            y, _ = layer.apply(p, s, *jax.tree_util.tree_unflatten(treedef, leaves), **kw)
            return sum(jnp.sum(jnp.square(t.astype(jnp.float32)))
                       for t in jax.tree_util.tree_leaves(y)
                       if jnp.issubdtype(t.dtype, jnp.floating))

        def combined(p, s, *a):
            y, _ = layer.apply(p, s, *a, **kw)
            vm = jax.vmap(one, in_axes=(None, None) + (0,) * len(a))(p, s, *a) \
                if check_vmap else None
            grads = None
            if case.grad:
                fa = [x for f, x in zip(float_mask, jax.tree_util.tree_leaves(a)) if f]
                grads = jax.grad(loss, argnums=(0, 2))(p, s, fa, a)
            return y, vm, grads

        jitted = jax.jit(chex.assert_max_traces(combined, n=1))
        y, vm, grads = jitted(params, state, *args)
        assert_close(y, out, rtol=2e-5, atol=2e-5)
        if check_vmap:
            assert_close(vm, out, rtol=1e-4, atol=1e-4)
        for g in jax.tree_util.tree_leaves(grads):
            assert np.all(np.isfinite(np.asarray(g)))
        args2 = case.call_args(case.make_inputs(np.random.default_rng(1)))
        jitted(params, state, *args2)

    # config round trip: same config, same outputs from the same params.
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    clone_params, clone_state = clone.init(jax.random.key(0), *args, **kw)
    assert (jax.tree_util.tree_structure(clone_params)
            == jax.tree_util.tree_structure(params))
    assert_close(clone.apply(params, state, *args, **kw)[0], out)


@pytest.mark.parametrize("case", [c for c in CASES if c.random], ids=case_ids(
    [c for c in CASES if c.random]))
def test_random_layers_need_and_use_keys(case):
    layer, args, params, state = _setup(case)
    kw = dict(case.call_kwargs)
    with pytest.raises(jaxlayers.errors.KeyRequiredError, match="key=jax.random.key"):
        layer.apply(params, state, *args, training=True, **kw)
    a, _ = layer.apply(params, state, *args, training=True, key=jax.random.key(1), **kw)
    b, _ = layer.apply(params, state, *args, training=True, key=jax.random.key(1), **kw)
    assert_close(a, b, rtol=0, atol=0)
    # Inference needs no key.
    layer.apply(params, state, *args, training=False, **kw)


# --------------------------------------------------------------------------- shapes
# The families whose cases also go through a Functional model (None batch) and a file.
_SHAPE_FAMILIES = ("conv", "pooling", "reshaping", "merging", "normalization",
                   "regularization", "attention", "activation", "spectral", "embedding")
# A family may limit these checks to the cases whose output shape needs no call keyword
# (its ``SHAPE_CASES``).
SHAPE_CASES = [c for f in _SHAPE_FAMILIES
               for module in [importlib.import_module(f"tests.cases.{f}")]
               for c in getattr(module, "SHAPE_CASES", module.CASES)]


def _shapes(tree):
    return jax.tree.map(lambda a: tuple(a.shape), tree)


@pytest.mark.parametrize("case", SHAPE_CASES, ids=case_ids(SHAPE_CASES))
def test_compute_output_shape_functional_none_batch_and_save_load(case, tmp_path):
    rng = np.random.default_rng(0)
    xs = case.make_inputs(rng)
    shapes = [tuple(x.shape) for x in xs]
    unknown = [(None,) + s[1:] for s in shapes]
    layer = case.cls(**case.kwargs)
    symbolic = [jl.Input(shape=s[1:]) for s in shapes]
    sym_out = layer(*case.call_args(symbolic), **case.call_kwargs)
    model = jl.Model(symbolic if len(symbolic) > 1 else symbolic[0], sym_out)
    real = layer(*case.call_args(xs), **case.call_kwargs)
    # With return_attention_scores the layer returns (output, scores); compute_output_shape
    # describes the output, as in Keras.
    first = real[0] if isinstance(real, tuple) else real
    if case.list_input:
        known_shape, none_shape = (layer.compute_output_shape(shapes),
                                   layer.compute_output_shape(unknown))
    else:
        known_shape, none_shape = (layer.compute_output_shape(*shapes),
                                   layer.compute_output_shape(*unknown))
    assert tuple(known_shape) == first.shape
    assert tuple(none_shape) == (None,) + first.shape[1:]
    sym_shapes = jax.tree.map(lambda t: tuple(t.shape), sym_out,
                              is_leaf=lambda t: hasattr(t, "shape"))
    assert sym_shapes == jax.tree.map(lambda s: (None,) + s[1:], _shapes(real),
                                      is_leaf=lambda t: isinstance(t, tuple)
                                      and all(isinstance(d, int) for d in t))
    arg = xs if len(xs) > 1 else xs[0]
    out = model(arg)
    for a, b in zip(jax.tree.leaves(out), jax.tree.leaves(real)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)
    model.save(tmp_path / "m.keras")
    restored = jl.saving.load_model(tmp_path / "m.keras")
    for a, b in zip(jax.tree.leaves(restored(arg)), jax.tree.leaves(real)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)
