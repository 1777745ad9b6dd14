"""SpectralNormalization uses only public layer APIs: a user layer is wrapped like Dense."""

import jax
import numpy as np

from jaxlayers import layers
from jaxlayers.ops import _normalization as norm_ops


class UserDense(layers.Layer):
    """``x @ kernel``, written as a user would."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units))

    def call(self, inputs):
        return inputs @ self.kernel


def test_a_user_layer_is_normalized_like_dense(rng):
    x = rng.standard_normal((2, 4)).astype("float32")
    ours = layers.SpectralNormalization(UserDense(3), power_iterations=2)
    ref = layers.SpectralNormalization(layers.Dense(3, use_bias=False), power_iterations=2)
    params, state = ours.init(jax.random.key(0), x)
    ours.set_params(params, state)
    ref.init(jax.random.key(1), x)
    ref.set_weights(ours.get_weights())
    for training in (False, True):
        got, got_state = ours.apply(ours.params, ours.state, x, training=training)
        want, want_state = ref.apply(ref.params, ref.state, x, training=training)
        np.testing.assert_allclose(got, want, rtol=1e-6)
        np.testing.assert_allclose(jax.tree_util.tree_leaves(got_state)[0],
                                   jax.tree_util.tree_leaves(want_state)[0], rtol=1e-6)
    # The kernel is reparametrized, never written: params keep the raw kernel.
    kernel = params[ours.name][ours.layer.name]["kernel"]
    u = jax.tree_util.tree_leaves(state)[0]
    normalized, _ = norm_ops.spectral_normalize(kernel, u, 2, update=False)
    np.testing.assert_allclose(ours.apply(params, state, x)[0], x @ normalized, rtol=1e-5,
                               atol=1e-6)
    assert not np.allclose(normalized, kernel)
    np.testing.assert_array_equal(ours.layer.get_weights()[0], kernel)
