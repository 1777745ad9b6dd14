"""Keras 3 on its JAX backend: ``fit``, and ``stateless_call`` in a hand-written optax step."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

from . import common  # noqa: E402

if keras.backend.backend() != "jax":
    raise ImportError(f"Keras runs on {keras.backend.backend()!r}, not jax",
                      name="keras[jax backend]")


def build(name):
    keras.utils.set_random_seed(0)
    model = common.keras_style(keras, name)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def n_params(model):
    return int(sum(np.size(v) for v in model.trainable_weights))


def set_weights(model, weights):
    model.set_weights(weights)


def forward(model, x):
    return np.asarray(model(jnp.asarray(x), training=False))


def predict(model, x, batch):
    return model.predict(x, batch_size=batch, verbose=0)


def columns(model, name, data):
    trainable = [jnp.asarray(v.value) for v in model.trainable_variables]
    frozen = [jnp.asarray(v.value) for v in model.non_trainable_variables]

    def loss(tv, x, y):
        logits, _ = model.stateless_call(tv, frozen, x, training=True)
        return common.sparse_ce(logits, y)

    stateless = common.hand_columns(loss, trainable, data)["step"]
    return {"keras fit": common.fit_columns(
        model, data, keras.callbacks.LambdaCallback), "keras stateless": stateless}


def eager_dense():
    return common.keras_style_eager(keras, "keras layer(x)")
