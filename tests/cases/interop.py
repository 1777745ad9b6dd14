"""LayerCases of the interop family (JaxLayer, FlaxLayer, TorchModuleWrapper, TFSMLayer).

The wrapped functions are registered with ``register_serializable`` so that the
shared config round trip finds them by name.  Wrappers of optional libraries
use small factory subclasses (named like the public class, so the "every public
layer has a case" check counts them) that build their foreign model lazily and
skip the test when the library is missing.

``JaxLayer`` cases go through a factory FUNCTION named ``JaxLayer``: a config
names a registered function ``"package>name"`` (as for ``Lambda``) where Keras,
which does not know these test functions, writes the bare name, so the
Keras-config comparison of tests/test_keras_files.py would report the
difference on ``/call_fn``.  It skips factories; reading Keras's JaxLayer
configs is tested in tests/test_interop_jax.py instead.
"""

import functools
import os
import tempfile

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.example_libraries import stax

from jaxlayers.core.serialization import register_serializable
from jaxlayers.layers import interop
from tests.cases import LayerCase

_PKG = "interop_cases"


# --- JaxLayer: hand-written, stateful/random, stax -------------------------------------
@register_serializable(package=_PKG)
def affine_init(rng, inputs):
    k1, _ = jax.random.split(rng)
    return {"w": jax.random.normal(k1, (inputs.shape[-1], 4)) * 0.5, "b": jnp.zeros((4,))}


@register_serializable(package=_PKG)
def affine_call(params, inputs):
    return jnp.tanh(inputs @ params["w"] + params["b"])


@register_serializable(package=_PKG)
def counting_init(rng, inputs, training):
    del training
    params = [{"w": jax.random.normal(rng, (inputs.shape[-1], 3))}]
    return params, {"calls": jnp.zeros((), jnp.int32)}


@register_serializable(package=_PKG)
def counting_call(params, state, rng, inputs, training):
    """Dropout in training (needs ``rng``) and a call counter as state."""
    y = inputs @ params[0]["w"]
    if training:
        keep = jax.random.bernoulli(rng, 0.7, y.shape)
        y = jnp.where(keep, y / 0.7, 0.0)
    return y, {"calls": state["calls"] + 1}


STAX_INIT, STAX_APPLY = stax.serial(stax.Dense(5), stax.Relu, stax.Dense(2))
register_serializable(package=_PKG, name="stax_init")(STAX_INIT)
register_serializable(package=_PKG, name="stax_apply")(STAX_APPLY)

FIXED_PARAMS = {"w": np.arange(12, dtype=np.float32).reshape(3, 4) / 10.0,
                "b": np.ones(4, np.float32)}


def JaxLayer(**kwargs):  # noqa: N802 - named like the class it builds (see module doc)
    """Builds a ``jaxlayers.layers.interop.JaxLayer``."""
    return interop.JaxLayer(**kwargs)


# --- lazy factories for the optional libraries ------------------------------------------
@functools.cache
def _flax_module_class():
    nn = pytest.importorskip("flax.linen")

    @register_serializable(package=_PKG)
    class TinyFlax(nn.Module):
        features: int = 4

        @nn.compact
        def __call__(self, inputs, train: bool = False):
            x = nn.Dense(self.features)(inputs)
            x = nn.BatchNorm(use_running_average=not train)(x)
            x = nn.Dropout(0.3, deterministic=not train)(x)
            return nn.Dense(2)(jax.nn.relu(x))

    return TinyFlax


class FlaxLayer(interop.FlaxLayer):
    """Conformance factory: wraps a small Linen MLP (BatchNorm + Dropout)."""

    def __init__(self, module=None, **kwargs):
        super().__init__(module if module is not None else _flax_module_class()(), **kwargs)

    @classmethod
    def from_config(cls, config, **kwargs):
        _flax_module_class()  # registers the module class the config names
        return super().from_config(config, **kwargs)


def _torch_mlp():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 6), torch.nn.Tanh(),
                               torch.nn.Dropout(0.25), torch.nn.Linear(6, 2))


class TorchModuleWrapper(interop.TorchModuleWrapper):
    """Conformance factory: wraps a small torch MLP (with Dropout)."""

    def __init__(self, module=None, **kwargs):
        super().__init__(module if module is not None else _torch_mlp(), **kwargs)

    @classmethod
    def from_config(cls, config, module=None):
        return super().from_config(config, module=module if module is not None
                                   else _torch_mlp())


@functools.cache
def _saved_model_dir():
    tf = pytest.importorskip("tensorflow")

    class Affine(tf.Module):
        def __init__(self):
            super().__init__()
            rng = np.random.default_rng(0)
            self.kernel = tf.Variable(rng.standard_normal((3, 2)).astype("float32"),
                                      name="kernel")
            self.bias = tf.Variable(np.zeros(2, "float32"), name="bias")

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
        def serve(self, x):
            return tf.tanh(tf.matmul(x, self.kernel) + self.bias)

    path = os.path.join(tempfile.mkdtemp(prefix="jl_tfsm_"), "model")
    module = Affine()
    tf.saved_model.save(module, path, signatures={"serving_default": module.serve})
    return path


class TFSMLayer(interop.TFSMLayer):
    """Conformance factory: a tiny SavedModel written by TensorFlow on first use."""

    def __init__(self, filepath=None, **kwargs):
        super().__init__(filepath or _saved_model_dir(), **kwargs)

    @classmethod
    def from_config(cls, config, filepath=None):
        return super().from_config(config, filepath=filepath or config["filepath"])


CASES = [
    LayerCase(JaxLayer, dict(call_fn=affine_call, init_fn=affine_init),
              input_shapes=((2, 3),), n_params=2, n_state=0),
    LayerCase(JaxLayer, dict(call_fn=counting_call, init_fn=counting_init),
              input_shapes=((2, 3),), n_params=1, n_state=1, random=True,
              id="JaxLayer-state-rng"),
    LayerCase(JaxLayer, dict(call_fn=STAX_APPLY, init_fn=STAX_INIT),
              input_shapes=((2, 3),), n_params=4, id="JaxLayer-stax"),
    LayerCase(JaxLayer, dict(call_fn=affine_call, params=FIXED_PARAMS),
              input_shapes=((2, 3),), n_params=2, id="JaxLayer-params"),
    LayerCase(FlaxLayer, {}, input_shapes=((3, 3),), n_params=6, n_state=2, random=True),
    LayerCase(TorchModuleWrapper, {}, input_shapes=((2, 3),), n_params=4, n_state=0,
              random=True),
    LayerCase(TFSMLayer, {}, input_shapes=((2, 3),), n_params=2, n_state=0),
]
