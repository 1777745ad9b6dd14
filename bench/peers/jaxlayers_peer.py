"""jaxlayers: ``fit``, and the pure ``apply`` inside a hand-written optax step."""

import jax
import jax.numpy as jnp
import numpy as np

import jaxlayers as jl

from . import common


def build(name):
    jl.set_random_seed(0)
    model = common.keras_style(jl, name)
    model.compile(optimizer=common.make_tx(),
                  loss=jl.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def n_params(model):
    return common.count(model.params)


def set_weights(model, weights):
    model.set_weights(weights)


def forward(model, x):
    return np.asarray(jax.jit(model.apply)(model.params, model.state, jnp.asarray(x))[0])


def predict(model, x, batch):
    return model.predict(x, batch_size=batch, verbose=0)


def columns(model, name, data):
    state = model.state

    def loss(p, x, y):
        return common.sparse_ce(model.apply(p, state, x, training=True)[0], y)

    pure = common.hand_columns(loss, model.params, data)["step"]
    # ``fit`` trains the facade's own weights; the pure column trains a copy.
    return {"jaxlayers fit": common.fit_columns(
        model, data, jl.callbacks.LambdaCallback), "jaxlayers pure": pure}


def eager_dense():
    return common.keras_style_eager(jl, "jaxlayers layer(x)")
