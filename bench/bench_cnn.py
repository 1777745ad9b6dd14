"""The CIFAR-sized CNN of the Keras Models-API example: jaxlayers vs hand-written JAX.

Conv2D(32, 3, relu) -> MaxPooling2D(2) -> Conv2D(64, 3, relu) -> MaxPooling2D(2)
-> Conv2D(64, 3, relu) -> Flatten -> Dense(64, relu) -> Dense(10), on 32x32x3
inputs, batch 32.  Times one jitted train step (optax adam, sparse softmax
cross-entropy on logits) through ``model.apply`` against the same network
written with ``lax.conv_general_dilated`` / ``lax.reduce_window``; then, when
they work, steady-state steps of ``jl.Sequential.fit`` and of ``keras`` fit on
its JAX backend.  Prints the ratios and writes ``bench/results/cnn.json``.

Run: ``python bench/bench_cnn.py`` (about a minute on a laptop CPU).
"""

import json
import os
import platform
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
from jax import lax  # noqa: E402

import jaxlayers as jl  # noqa: E402

BATCH = 32
SHAPE = (32, 32, 3)
CLASSES = 10
FIT_BATCHES = 8          # batches per fit epoch (steady-state timing uses the 2nd epoch)


def _run(fn, args, number):
    start = time.perf_counter()
    for _ in range(number):
        out = fn(*args)
    jax.block_until_ready(out)
    return (time.perf_counter() - start) / number


def compare(a, a_args, b, b_args, rounds=12, number=2):
    """Median seconds per call of two functions timed in alternation, after compiling both.

    Alternating short runs spreads the noise of a shared machine evenly over
    both; the median is robust to the runs another process disturbed.
    """
    jax.block_until_ready(a(*a_args))
    jax.block_until_ready(b(*b_args))
    ta, tb = [], []
    for _ in range(rounds):
        ta.append(_run(a, a_args, number))
        tb.append(_run(b, b_args, number))
    return float(np.median(ta)), float(np.median(tb))


def layer_specs(module):
    """The network, written once for any module with Keras's layer names."""
    L = module.layers
    return [
        L.Conv2D(32, (3, 3), activation="relu"),
        L.MaxPooling2D((2, 2)),
        L.Conv2D(64, (3, 3), activation="relu"),
        L.MaxPooling2D((2, 2)),
        L.Conv2D(64, (3, 3), activation="relu"),
        L.Flatten(),
        L.Dense(64, activation="relu"),
        L.Dense(CLASSES),
    ]


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


def make_step(loss, tx):
    @jax.jit
    def step(p, o, x, y):
        g = jax.grad(loss)(p, x, y)
        u, o = tx.update(g, o, p)
        return optax.apply_updates(p, u), o
    return step


# --------------------------------------------------------------------------- fit timings
def _fit_seconds_per_step(model, x, y):
    start = time.perf_counter()
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
    return (time.perf_counter() - start) / (len(x) // BATCH)


def jaxlayers_fit_model():
    try:
        model = jl.Sequential([jl.layers.Input(shape=SHAPE)] + layer_specs(jl))
        model.compile(optimizer="adam",
                      loss=jl.losses.SparseCategoricalCrossentropy(from_logits=True))
        return model
    except Exception as e:  # fit is optional here: report why it was skipped
        print(f"jl.Sequential.fit skipped: {type(e).__name__}: {e}")
        return None


def keras_fit_model():
    try:
        import keras
    except ImportError:
        return None
    if keras.backend.backend() != "jax":
        return None
    model = keras.Sequential([keras.Input(shape=SHAPE)] + layer_specs(keras))
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def time_fits(models, x, y, rounds=3):
    """Median seconds per steady-state ``fit`` step of each model (epochs alternate)."""
    times = {}
    for name, model in list(models.items()):
        try:
            model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)  # compile
            times[name] = []
        except Exception as e:
            print(f"{name} fit skipped: {type(e).__name__}: {e}")
            models.pop(name)
    for _ in range(rounds):
        for name, model in models.items():
            times[name].append(_fit_seconds_per_step(model, x, y))
    return {name: float(np.median(t)) for name, t in times.items()}


def main():
    model = jl.Sequential(layer_specs(jl))
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

    jl_step, raw_step = make_step(jl_loss, tx), make_step(raw_loss, tx)
    jl_args, raw_args = (params, tx.init(params), x, y), (ws, tx.init(ws), x, y)
    t_jl, t_raw = compare(jl_step, jl_args, raw_step, raw_args)
    flops = {"jaxlayers_apply": compiled_flops(jl_step, *jl_args),
             "hand_written": compiled_flops(raw_step, *raw_args)}

    rng = np.random.default_rng(0)
    fx = rng.standard_normal((BATCH * FIT_BATCHES,) + SHAPE).astype(np.float32)
    fy = rng.integers(0, CLASSES, size=(BATCH * FIT_BATCHES,))
    models = {"jaxlayers": jaxlayers_fit_model(), "keras": keras_fit_model()}
    fit_times = time_fits({k: m for k, m in models.items() if m is not None}, fx, fy)
    t_fit, t_keras = fit_times.get("jaxlayers"), fit_times.get("keras")

    results = {
        "device": str(jax.devices()[0]),
        "platform": platform.platform(),
        "batch": BATCH,
        "train_step_ms": {"jaxlayers_apply": t_jl * 1e3, "hand_written": t_raw * 1e3,
                          "ratio": t_jl / t_raw},
        "train_step_compiled_gflops": {k: v / 1e9 for k, v in flops.items()},
    }
    if t_fit is not None:
        results["fit_step_ms"] = {"jaxlayers_fit": t_fit * 1e3,
                                  "ratio_vs_hand_written_step": t_fit / t_raw}
    if t_keras is not None:
        results["keras_jax_fit_step_ms"] = {"keras_fit": t_keras * 1e3,
                                            "ratio_vs_hand_written_step": t_keras / t_raw}
        if t_fit is not None:
            results["fit_step_ms"]["ratio_vs_keras_fit"] = t_fit / t_keras
    for name, row in results.items():
        if isinstance(row, dict):
            print(f"{name:22s} " + "  ".join(f"{k}={v:.4f}" for k, v in row.items()))
    os.makedirs(os.path.join(os.path.dirname(__file__), "results"), exist_ok=True)
    with open(os.path.join(os.path.dirname(__file__), "results", "cnn.json"), "w") as f:
        json.dump(results, f, indent=2)
    return results


if __name__ == "__main__":
    main()
