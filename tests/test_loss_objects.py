"""User ``Loss`` subclasses and the reduction names, against Keras 3 with sample weights."""

import jax
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers.errors import ConfigError

REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None]


def scaled_error_class(base, ops):
    """The same user loss on ``base`` (``jl.losses.Loss`` or Keras's): only ``call`` overridden."""

    class ScaledError(base):
        def __init__(self, scale=1.0, **kwargs):
            super().__init__(**kwargs)
            self.scale = scale

        def call(self, y_true, y_pred):
            error = y_pred - y_true
            return self.scale * ops.mean(ops.square(error) + ops.abs(error), axis=-1)

        def get_config(self):
            return {**super().get_config(), "scale": self.scale}

    return ScaledError


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    y = rng.normal(size=(4, 3)).astype(np.float32)
    p = rng.normal(size=(4, 3)).astype(np.float32)
    return y, p, {
        "none": None,
        "per_sample": rng.uniform(0, 2, (4,)).astype(np.float32),
        "scalar": np.float32(0.5),
    }


@pytest.mark.parametrize("reduction", REDUCTIONS, ids=str)
def test_user_loss_subclass_matches_keras_for_every_reduction(reduction, keras, data):
    y, p, weights = data
    ours = scaled_error_class(jl.losses.Loss, jl.ops)(scale=0.5, reduction=reduction)
    theirs = scaled_error_class(keras.losses.Loss, keras.ops)(scale=0.5, reduction=reduction)
    assert ours.name == "scaled_error"
    for sw in weights.values():
        want = np.asarray(theirs(y, p, sample_weight=sw))
        np.testing.assert_allclose(ours(y, p, sample_weight=sw), want, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(jax.jit(ours)(y, p, sw), want, rtol=1e-6, atol=1e-7)
    config = ours.get_config()
    assert config == {"name": "scaled_error", "reduction": reduction, "dtype": "float32",
                      "scale": 0.5}
    assert type(ours).from_config(config).get_config() == config


def test_reduction_names_are_checked():
    loss_class = scaled_error_class(jl.losses.Loss, jl.ops)
    with pytest.raises(ConfigError, match=r"ScaledError: `reduction` must be one of "
                       r"\['sum_over_batch_size', 'sum', 'mean', 'mean_with_sample_weight', "
                       r"'none', None\]\. Received: reduction='auto'\."):
        loss_class(reduction="auto")
