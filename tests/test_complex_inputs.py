"""Complex inputs: every layer keeps the imaginary part or refuses complex dtypes by name.

Each case of tests/cases is built on its usual real inputs, then applied to a
complex version of them (``x + i*y``).  A layer with
``supports_complex_inputs = False`` must raise a ``DTypeError`` naming itself
and the dtype before any math runs; any other layer must return complex
outputs that differ from its outputs on the real part alone.  Nothing may drop
the imaginary part silently.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers.errors import DTypeError
from tests.cases import all_cases, case_ids

CASES = all_cases()
# Layers that keep complex values in inference but whose training step writes a complex
# statistic into a real state weight, which is refused by name (never cast):
STATE_REFUSES_COMPLEX = {
    "FlaxLayer",  # the wrapped Linen BatchNorm's running mean and variance
}


def _complex_like(value, rng):
    """A complex64 array shaped like ``value`` (strings too), with a nonzero imaginary part."""
    value = np.asarray(value)
    real = value.astype(np.float32) if value.dtype.kind in "iuf" else \
        rng.standard_normal(value.shape).astype(np.float32)
    return (real + 1j * (1.0 + rng.random(value.shape))).astype(np.complex64)


def _map_inputs(fn, inputs):
    return [[fn(b) for b in a] if isinstance(a, list) else fn(a) for a in inputs]


_IDS = case_ids(CASES)
_RUNS = [(c, False) for c in CASES] + [(c, True) for c in CASES if c.random]
_RUN_IDS = [f"{i}-inference" for i in _IDS] + [
    f"{i}-training" for i, c in zip(_IDS, CASES) if c.random]


@pytest.mark.parametrize("case,training", _RUNS, ids=_RUN_IDS)
def test_complex_inputs_keep_the_imaginary_part_or_are_refused(case, training):
    rng = np.random.default_rng(0)
    layer = case.cls(**case.kwargs)
    inputs = case.make_inputs(rng)
    params, state = layer.init(jax.random.key(0), *case.call_args(inputs), **case.call_kwargs)
    complex_inputs = _map_inputs(lambda a: _complex_like(a, rng), inputs)
    kw = dict(case.call_kwargs, training=training, key=jax.random.key(1))
    if training and case.name in STATE_REFUSES_COMPLEX:
        with pytest.raises(DTypeError, match=r"Cannot assign a complex value to the real "
                                             r"weight '.*' \(dtype float32\): its imaginary "
                                             r"part would be lost"):
            layer.apply(params, state, *case.call_args(complex_inputs), **kw)
        return
    if not layer.supports_complex_inputs:
        with pytest.raises(DTypeError, match=rf"{type(layer).__name__} '{layer.name}' is not "
                                             rf"defined for complex inputs\. Received: "
                                             rf"dtype=complex64"):
            layer.apply(params, state, *case.call_args(complex_inputs), **kw)
        return
    out, _ = layer.apply(params, state, *case.call_args(complex_inputs), **kw)
    real_out, _ = layer.apply(params, state, *case.call_args(
        _map_inputs(lambda a: np.real(a), complex_inputs)), **kw)
    for z, r in zip(jax.tree.leaves(out), jax.tree.leaves(real_out)):
        assert jnp.iscomplexobj(z), (
            f"{case.name}: output dtype {z.dtype} dropped the imaginary part")
        assert not np.allclose(np.asarray(z), np.asarray(r)), case.name


def test_the_facade_and_jit_refuse_complex_inputs_before_tracing():
    conv = jl.layers.Conv1D(2, 3, name="conv")
    x = jnp.ones((1, 5, 2), jnp.complex64)
    with pytest.raises(DTypeError, match=r"Conv1D 'conv' is not defined for complex inputs\. "
                                         r"Received: dtype=complex64"):
        conv(x)
    assert not conv.built
    params, state = conv.init(jax.random.key(0), jnp.ones((1, 5, 2)))
    with pytest.raises(DTypeError, match=r"Conv1D 'conv' is not defined for complex"):
        jax.jit(conv.apply)(params, state, x)
    # A keyword input is checked too, and a model names the inner layer that refuses.
    mha = jl.layers.MultiHeadAttention(2, 3, name="mha")
    q = jnp.ones((1, 2, 4))
    mha(q, q)
    with pytest.raises(DTypeError, match=r"MultiHeadAttention 'mha' is not defined"):
        mha(q, value=q.astype(jnp.complex64))
    model = jl.Sequential([jl.layers.Dense(3), jl.layers.BatchNormalization(name="bn")])
    model.build((None, 4))
    with pytest.raises(DTypeError, match=r"BatchNormalization 'bn' is not defined"):
        model(jnp.ones((2, 4), jnp.complex64))


def test_user_layers_accept_complex_inputs_unless_they_opt_out():
    class Scale(jl.layers.Layer):
        def call(self, x):
            return 2 * x

    z = jnp.array([1 + 2j], jnp.complex64)
    np.testing.assert_array_equal(Scale()(z), 2 * z)

    class RealOnly(Scale):
        supports_complex_inputs = False

    with pytest.raises(DTypeError, match=r"RealOnly 'real_only' is not defined for complex"):
        RealOnly(name="real_only")(z)


def test_a_complex_value_written_to_a_real_state_weight_is_refused():
    class RunningSum(jl.layers.Layer):
        def build(self, input_shape):
            self.total = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                         name="total")

        def call(self, x):
            self.total = self.total + jnp.sum(x)
            return x

    layer = RunningSum(name="running")
    params, state = layer.init(jax.random.key(0), jnp.ones((2,)))
    with pytest.raises(DTypeError, match=r"complex value to the real weight 'running/total' "
                                         r"\(dtype float32\): its imaginary part would be lost"):
        layer.apply(params, state, jnp.ones((2,), jnp.complex64))


def test_gaussian_dropout_scales_complex_values_by_real_noise():
    x = jnp.full((4, 64), 1.0 + 2.0j, jnp.complex64)
    layer = jl.layers.GaussianDropout(0.3)
    y, _ = layer.apply({}, {}, x, training=True, key=jax.random.key(0))
    ratio = np.asarray(y / x)
    np.testing.assert_allclose(ratio.imag, 0.0, atol=1e-6)
    assert np.std(ratio.real) > 0.1
