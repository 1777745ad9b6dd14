"""The CIFAR-sized CNN of the Keras Models-API example: jaxlayers vs hand-written JAX.

Conv2D(32, 3, relu) -> MaxPooling2D(2) -> Conv2D(64, 3, relu) -> MaxPooling2D(2)
-> Conv2D(64, 3, relu) -> Flatten -> Dense(64, relu) -> Dense(10), on 32x32x3
inputs, batch 32. Three measurements:

* ``train_step_ms``: one jitted optax step through ``model.apply`` against the
  same network written with ``lax.conv_general_dilated`` / ``lax.reduce_window``
  (plus XLA's flop count of both compiled steps, free of timing noise);
* ``fit_step_ms``: steady-state steps of ``model.fit`` against a hand-written
  epoch loop (one jitted, donated optax step per batch) over the hand-written
  network, on the same data;
* Keras 3 ``fit`` on its JAX backend on the same data, when it is installed.

Prints the ratios and writes ``bench/results/cnn.json``.
Run: ``python bench/bench_cnn.py`` (a minute or two on a laptop CPU).
"""

import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
from jax import lax  # noqa: E402

import jaxlayers as jl  # noqa: E402
from _timing import compare, optax_step, report  # noqa: E402
from bench_fit import cnn as build_cnn, hand_loop_seconds, time_fit  # noqa: E402

BATCH = 32
SHAPE = (32, 32, 3)
CLASSES = 10
FIT_BATCHES = 32
FIT_EPOCHS = 3


# --------------------------------------------------------------------------- hand-written
def hand_written_params(params, model):
    return [(params[layer.name]["kernel"], params[layer.name]["bias"])
            for layer in model.layers if layer.name in params]


def _conv_relu(x, w, b):
    y = lax.conv_general_dilated(x, w, (1, 1), "VALID",
                                 dimension_numbers=("NHWC", "HWIO", "NHWC"))
    return jax.nn.relu(y + b)


def _max_pool(x):
    return lax.reduce_window(x, -jnp.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")


def cnn(ws, x):
    (w1, b1), (w2, b2), (w3, b3), (w4, b4), (w5, b5) = ws
    x = _max_pool(_conv_relu(x, w1, b1))
    x = _max_pool(_conv_relu(x, w2, b2))
    x = _conv_relu(x, w3, b3)
    x = jnp.reshape(x, (x.shape[0], -1))
    x = jax.nn.relu(x @ w4 + b4)
    return x @ w5 + b5


def compiled_flops(step, *args):
    """XLA's flop count of the compiled step: a timing-noise-free comparison."""
    cost = step.lower(*args).compile().cost_analysis()
    cost = cost[0] if isinstance(cost, list) else cost
    return float(cost.get("flops", float("nan")))


def keras_fit_ms(x, y):
    try:
        import keras
    except ImportError:
        return None
    if keras.backend.backend() != "jax":
        return None
    model = build_cnn(keras)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return 1e3 * time_fit(model, x, y, BATCH, FIT_EPOCHS)


def main():
    jl.set_random_seed(0)
    model = build_cnn(jl)
    x = jax.random.normal(jax.random.key(0), (BATCH,) + SHAPE)
    y = jax.random.randint(jax.random.key(1), (BATCH,), 0, CLASSES)
    params, state = model.init(jax.random.key(2), x)
    ws = hand_written_params(params, model)
    np.testing.assert_allclose(model.apply(params, state, x)[0], cnn(ws, x), rtol=1e-4,
                               atol=1e-4)

    tx = optax.adam(1e-3)

    def jl_loss(p, x, y):
        logits = model.apply(p, state, x, training=True)[0]
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    def raw_loss(w, x, y):
        return optax.softmax_cross_entropy_with_integer_labels(cnn(w, x), y).mean()

    jl_step, raw_step = optax_step(jl_loss, tx), optax_step(raw_loss, tx)
    jl_args, raw_args = (params, tx.init(params), x, y), (ws, tx.init(ws), x, y)
    t_jl, t_raw = compare(jl_step, jl_args, raw_step, raw_args, number=10)

    rng = np.random.default_rng(0)
    fx = rng.standard_normal((BATCH * FIT_BATCHES,) + SHAPE).astype(np.float32)
    fy = rng.integers(0, CLASSES, size=(BATCH * FIT_BATCHES,)).astype(np.int32)
    model.compile(optimizer=optax.adam(1e-3),
                  loss=jl.losses.SparseCategoricalCrossentropy(from_logits=True))
    fit_ms, hand_ms = [], []
    for _ in range(2):  # alternate, keep the best of each
        hand_ms.append(1e3 * hand_loop_seconds(lambda w, s, xb: (cnn(w, xb), s), ws, {},
                                               fx, fy, BATCH, FIT_EPOCHS))
        fit_ms.append(1e3 * time_fit(model, fx, fy, BATCH, FIT_EPOCHS))
    fit_row = {"jaxlayers_fit": min(fit_ms), "hand_written_loop": min(hand_ms),
               "ratio": min(fit_ms) / min(hand_ms)}
    keras_ms = keras_fit_ms(fx, fy)
    if keras_ms is not None:
        fit_row["keras_fit"] = keras_ms
        fit_row["keras_over_jaxlayers"] = keras_ms / min(fit_ms)
    return report("cnn", {
        "batch": BATCH,
        "train_step_ms": {"jaxlayers_apply": t_jl * 1e3, "hand_written": t_raw * 1e3,
                          "ratio": t_jl / t_raw},
        "train_step_compiled_gflops": {
            "jaxlayers_apply": compiled_flops(jl_step, *jl_args) / 1e9,
            "hand_written": compiled_flops(raw_step, *raw_args) / 1e9},
        "fit_step_ms": fit_row,
    })


if __name__ == "__main__":
    main()
