"""jaxlayers.export: a model as a plain pure pair, and as serialized StableHLO."""

import gc
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers import errors, export
from jaxlayers.layers.interop import JaxLayer
from tests.helpers import assert_close

X = np.linspace(-1.0, 1.0, 15, dtype=np.float32).reshape(3, 5)


@pytest.fixture
def flatbuffers():
    """jax.export (de)serialization needs the optional flatbuffers package."""
    return pytest.importorskip("flatbuffers")


def _model():
    return jl.Sequential([jl.layers.Dense(4, activation="relu"),
                          jl.layers.BatchNormalization(), jl.layers.Dropout(0.5),
                          jl.layers.Dense(2)])


def test_to_pure_equals_the_model_and_reads_no_facade_values():
    model = _model()
    init_fn, apply_fn = export.to_pure(model)
    params, state = jax.jit(init_fn)(jax.random.key(0), X)
    ref_params, ref_state = model.init(jax.random.key(0), X)
    assert_close(params, ref_params, tol=1e-6)
    step = jax.jit(apply_fn, static_argnames="training")
    y, new_state = step(params, state, X)
    assert_close(y, model.apply(params, state, X)[0], tol=1e-6)
    # Training mode: needs the key, updates BatchNorm's state, same as model.apply.
    yt, st = step(params, state, X, training=True, key=jax.random.key(1))
    yt2, st2 = model.apply(params, state, X, training=True, key=jax.random.key(1))
    assert_close((yt, st), (yt2, st2), tol=1e-6)
    # Changing the facade's weights changes nothing: the functions take everything as args.
    model.set_params(jax.tree_util.tree_map(jnp.zeros_like, params))
    assert_close(step(params, state, X)[0], y, tol=1e-6)
    grads = jax.grad(lambda p: jnp.sum(apply_fn(p, state, X)[0] ** 2))(params)
    assert jax.tree_util.tree_structure(grads) == jax.tree_util.tree_structure(params)


def test_to_pure_pair_rewraps_as_a_jax_layer():
    model = _model()
    init_fn, apply_fn = export.to_pure(model)

    def call_fn(params, state, rng, inputs, training):
        return apply_fn(params, state, inputs, training=training, key=rng)

    def wrapped_init(rng, inputs):
        return init_fn(rng, inputs)

    layer = JaxLayer(call_fn, wrapped_init, name="wrapped")
    params, state = layer.init(jax.random.key(0), X)
    assert any(k.startswith("params_dense") and k.endswith("_kernel") for k in params["wrapped"])
    assert any(k.endswith("_moving_mean") for k in state["wrapped"])
    y = layer(X)
    assert_close(y, model.apply(layer.wrapped_params, layer.wrapped_state, X)[0], tol=1e-6)


def test_stablehlo_round_trip(flatbuffers):
    model = _model()
    params, state = model.init(jax.random.key(0), X)
    expected = model.apply(params, state, X)[0]
    blob = export.to_stablehlo(model, X, params=params, state=state)
    assert isinstance(blob, bytes) and len(blob) > 100
    del model  # the bytes need neither the model object nor its Python code
    gc.collect()
    run = export.load_stablehlo(blob)
    y, new_state = run(params, state, X)
    assert_close(y, expected, tol=1e-5)
    assert_close(new_state, state, tol=1e-6)
    assert_close(jax.jit(run)(params, state, X)[0], y, tol=1e-6)
    with pytest.raises(Exception, match="shape"):
        run(params, state, X[:, :4])


def test_stablehlo_defaults_to_facade_weights_and_dynamic_batch(flatbuffers):
    model = jl.Sequential([jl.layers.Dense(3, activation="tanh")])
    blob = export.to_stablehlo(model, X, dynamic_batch=True)
    run = export.load_stablehlo(blob)
    x7 = np.ones((7, 5), np.float32)
    assert_close(run(model.params, model.state, x7)[0], model(x7), tol=1e-5)
    assert "batch" in str(run.exported.in_avals[-1])


def test_stablehlo_multi_input_functional_model(flatbuffers):
    a, b = jl.layers.Input((5,)), jl.layers.Input((2,))
    out = jl.layers.Dense(1)(jl.layers.Concatenate()([jl.layers.Dense(2)(a), b]))
    model = jl.Model([a, b], out)
    xb = np.ones((3, 2), np.float32)
    params, state = model.init(jax.random.key(0), [X, xb])
    run = export.load_stablehlo(export.to_stablehlo(model, [X, xb], params=params,
                                                    state=state))
    assert_close(run(params, state, [X, xb])[0], model.apply(params, state, [X, xb])[0], tol=1e-5)


def test_export_errors(monkeypatch):
    with pytest.raises(errors.ConfigTypeError, match="needs a jaxlayers Layer or Model"):
        export.to_pure(lambda x: x)
    with pytest.raises(errors.ConfigTypeError, match="needs example inputs"):
        export.to_stablehlo(_model())
    with pytest.raises(errors.ConfigTypeError, match="expects the bytes returned"):
        export.load_stablehlo("not bytes")
    with monkeypatch.context() as m:
        m.setitem(sys.modules, "flatbuffers", None)
        with pytest.raises(ImportError, match="needs flatbuffers: pip install flatbuffers"):
            export.to_stablehlo(_model(), X)
    pytest.importorskip("flatbuffers")
    with pytest.raises(errors.SerializationError, match="not a serialized jax.export"):
        export.load_stablehlo(b"garbage")


def test_host_callback_layers_cannot_be_exported(flatbuffers):
    torch = pytest.importorskip("torch")
    from jaxlayers.layers.interop import TorchModuleWrapper

    model = jl.Sequential([TorchModuleWrapper(torch.nn.Linear(5, 2))])
    with pytest.raises(errors.SerializationError, match="runs host callbacks"):
        export.to_stablehlo(model, X)


def test_pure_pair_public_surface_holds_only_functions_dicts_and_arrays():
    import types

    model = _model()
    init_fn, apply_fn = export.to_pure(model)
    for fn in (init_fn, apply_fn):
        assert type(fn) is types.FunctionType
        assert vars(fn) == {}  # no attribute leads back to the model
    del model
    gc.collect()
    params, state = init_fn(jax.random.key(0), jax.ShapeDtypeStruct((3, 5), jnp.float32))
    out, new_state = apply_fn(params, state, X, training=True, key=jax.random.key(1))

    def plain(tree):
        if isinstance(tree, dict):
            return all(isinstance(k, str) and plain(v) for k, v in tree.items())
        return isinstance(tree, jax.Array)

    assert plain(params) and plain(state) and plain(new_state) and plain({"out": out})
    assert jax.tree_util.tree_structure(new_state) == jax.tree_util.tree_structure(state)
