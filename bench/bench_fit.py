"""``fit`` steady-state step time vs a hand-written jitted optax loop, and vs Keras 3 ``fit``.

For each model (MLP, seed 003's CNN, LSTM, Transformer block) the same
architecture is trained three ways on the same data and batch size:

* ``jaxlayers``: ``model.fit`` (after a warm-up epoch that compiles),
* ``hand``: a ``jax.jit`` step over ``model.apply`` + optax with donated
  buffers, looping over batches already on the device (no ``fit`` machinery),
* ``keras``: Keras 3 ``fit`` on its JAX backend, when Keras is installed.

Also the fixed cost of one ``fit`` / ``predict`` call on a tiny model (what a
call costs beyond its steps).  Prints ms/step and the ratios, writes
``bench/results/fit.json``; ``--spe`` times ``steps_per_execution=10`` scanned and dispatched.
Run: ``python bench/bench_fit.py [--quick | --fixed | --spe]``.
"""

import argparse
import json
import os
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import jax.numpy as jnp
import numpy as np
import optax

import jaxlayers as jl


def mlp(lib):
    return lib.Sequential([lib.layers.Input(shape=(784,)),
                           lib.layers.Dense(512, activation="relu"),
                           lib.layers.Dense(512, activation="relu"),
                           lib.layers.Dense(10)])


def cnn(lib):
    L = lib.layers
    return lib.Sequential([L.Input(shape=(32, 32, 3)),
                           L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
                           L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2),
                           L.Conv2D(64, 3, activation="relu"), L.Flatten(),
                           L.Dense(64, activation="relu"), L.Dense(10)])


def lstm(lib):
    L = lib.layers
    return lib.Sequential([L.Input(shape=(50, 32)), L.LSTM(64), L.Dense(10)])


def transformer(lib):
    L = lib.layers
    x = L.Input(shape=(64, 128))
    h = L.MultiHeadAttention(num_heads=4, key_dim=32)(x, x)
    h = L.LayerNormalization()(x + h)
    f = L.Dense(128)(L.Dense(256, activation="relu")(h))
    h = L.LayerNormalization()(h + f)
    out = L.Dense(10)(L.GlobalAveragePooling1D()(h))
    return lib.Model(x, out)


MODELS = {
    "mlp": (mlp, (784,), 128),
    "cnn": (cnn, (32, 32, 3), 32),
    "lstm": (lstm, (50, 32), 64),
    "transformer": (transformer, (64, 128), 32),
}


def data(shape, batch, steps, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch * steps,) + shape).astype(np.float32)
    y = rng.integers(0, 10, batch * steps).astype(np.int32)
    return x, y


def time_fit(model, x, y, batch, epochs):
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False)  # compile
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0, shuffle=False)
    return (time.perf_counter() - start) / (epochs * (len(x) // batch))


def sparse_ce(logits, labels):
    return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()


def hand_loop_seconds(forward, params, state, x, y, batch, epochs, loss=sparse_ce):
    """Seconds per step of a hand-written epoch loop: one jitted optax step per batch.

    ``forward(params, state, xb) -> (outputs, state)``; ``loss(outputs, yb)``.
    Batches are put on the device before timing; buffers are donated, as ``fit``
    does.
    """
    tx = optax.adam(1e-3)

    def loss_fn(p, s, xb, yb):
        outputs, s = forward(p, s, xb)
        return loss(outputs, yb), s

    def step(p, s, o, xb, yb):
        (loss, s), g = jax.value_and_grad(loss_fn, has_aux=True)(p, s, xb, yb)
        u, o = tx.update(g, o, p)
        return optax.apply_updates(p, u), s, o, loss

    step = jax.jit(step, donate_argnums=(0, 1, 2))
    xs = [jnp.asarray(x[i:i + batch]) for i in range(0, len(x), batch)]
    ys = [jnp.asarray(y[i:i + batch]) for i in range(0, len(y), batch)]
    p, s, o = (jax.tree.map(jnp.copy, params), jax.tree.map(jnp.copy, state),
               tx.init(params))
    p, s, o, loss = step(p, s, o, xs[0], ys[0])
    jax.block_until_ready(loss)
    start = time.perf_counter()
    for _ in range(epochs):
        for xb, yb in zip(xs, ys):
            p, s, o, loss = step(p, s, o, xb, yb)
    jax.block_until_ready(loss)
    return (time.perf_counter() - start) / (epochs * len(xs))


def time_hand(model, x, y, batch, epochs):
    return hand_loop_seconds(lambda p, s, xb: model.apply(p, s, xb, training=True),
                             model.params, model.state, x, y, batch, epochs)


def run(name, steps, epochs, with_keras):
    build, shape, batch = MODELS[name]
    x, y = data(shape, batch, steps)
    jl.set_random_seed(0)
    model = build(jl)
    model.compile(optimizer=optax.adam(1e-3),
                  loss=jl.losses.SparseCategoricalCrossentropy(from_logits=True))
    row = {"batch": batch, "steps_per_epoch": steps}
    row["hand_ms"] = 1e3 * time_hand(model, x, y, batch, epochs)
    row["jaxlayers_fit_ms"] = 1e3 * time_fit(model, x, y, batch, epochs)
    row["fit_over_hand"] = row["jaxlayers_fit_ms"] / row["hand_ms"]
    if with_keras:
        try:
            import keras
        except ImportError:
            keras = None
        if keras is not None:
            kmodel = build(keras)
            kmodel.compile(optimizer=keras.optimizers.Adam(1e-3),
                           loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
            row["keras_fit_ms"] = 1e3 * time_fit(kmodel, x, y, batch, epochs)
            row["keras_over_jaxlayers"] = row["keras_fit_ms"] / row["jaxlayers_fit_ms"]
    print(f"{name:12s} " + "  ".join(
        f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()),
        flush=True)
    return row


def _best_seconds(fn, calls, rounds, clock=time.perf_counter):
    """Best over ``rounds`` of the mean seconds per call over ``calls`` calls.

    ``clock=time.process_time`` counts the CPU the process used (all its
    threads): on a loaded machine that moves less than wall time.
    """
    best = float("inf")
    for _ in range(rounds):
        start = clock()
        for _ in range(calls):
            fn()
        best = min(best, (clock() - start) / calls)
    return best


def fixed_cost(lib, calls=20, rounds=5):
    """``fit``'s cost per call beyond its steps, and ``predict``'s beyond its apply.

    A tiny model and one batch per call, so the steps cost almost nothing: the
    fit time minus a hand-written jitted step's time is the per-call overhead
    (argument checks, data placement, callbacks, logs, copying weights back).
    """
    L = lib.layers
    model = lib.Sequential([L.Input(shape=(8,)), L.Dense(4, activation="relu"), L.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x, y = np.ones((16, 8), np.float32), np.ones((16, 1), np.float32)

    def fit():
        model.fit(x, y, batch_size=16, epochs=1, verbose=0, shuffle=False)

    def predict():
        model.predict(x, batch_size=16, verbose=0)

    fit()
    predict()
    row = {"fit_call_ms": 1e3 * _best_seconds(fit, calls, rounds),
           "fit_call_cpu_ms": 1e3 * _best_seconds(fit, calls, rounds, time.process_time),
           "predict_call_ms": 1e3 * _best_seconds(predict, calls, rounds),
           "predict_call_cpu_ms": 1e3 * _best_seconds(predict, calls, rounds,
                                                      time.process_time)}
    if lib is jl:
        row["hand_step_ms"] = 1e3 * hand_loop_seconds(
            lambda p, s, xb: model.apply(p, s, xb, training=True), model.params, model.state,
            x, y, 16, calls * rounds, loss=lambda o, t: jnp.mean((o - t) ** 2))
        row["fit_fixed_ms"] = row["fit_call_ms"] - row["hand_step_ms"]
    return row


def predict_throughput(rounds=5, n=10_000, batch=256):
    """``predict`` on ``n`` samples vs a loop of a jitted ``apply`` over the same batches.

    Interleaved rounds, best of each; both read NumPy batches and return NumPy.
    """
    L = jl.layers
    model = jl.Sequential([L.Input(shape=(64,)), L.Dense(256, activation="relu"),
                           L.Dense(10)])
    x = np.random.default_rng(0).standard_normal((n, 64)).astype(np.float32)
    forward = jax.jit(lambda p, s, xb: model.apply(p, s, xb)[0])

    def hand():
        p, s = model.params, model.state
        outs = [forward(p, s, x[i:i + batch]) for i in range(0, n, batch)]
        return np.concatenate([np.asarray(o) for o in outs])

    def predict():
        return model.predict(x, batch_size=batch, verbose=0)

    np.testing.assert_allclose(predict(), hand(), rtol=1e-5, atol=1e-5)
    t_predict, t_hand = [], []
    for _ in range(rounds):
        t_predict.append(_best_seconds(predict, 1, 3))
        t_hand.append(_best_seconds(hand, 1, 3))
    return {"predict_ms": 1e3 * min(t_predict), "jit_apply_loop_ms": 1e3 * min(t_hand),
            "ratio": min(t_predict) / min(t_hand)}


def steps_per_execution_rows(names=("mlp", "cnn"), k=10, rounds=3):
    """``fit`` with ``steps_per_execution=k`` run both ways (one ``lax.scan`` of k steps per
    dispatch, or k dispatched steps), against ``steps_per_execution=1``: ms per step.

    The two ways compute the same updates; which is faster depends on the backend
    (``jl.training.steps.set_multi_step_execution``; ``'auto'`` picks per backend).
    """
    from jaxlayers.training import steps as steps_lib

    rows = {}
    for name in names:
        build, shape, batch = MODELS[name]
        x, y = data(shape, batch, 2 * k)
        models = {}
        for label, spe, mode in (("spe1", 1, "auto"), ("scan", k, "scan"),
                                 ("dispatch", k, "dispatch")):
            steps_lib.set_multi_step_execution(mode)
            jl.set_random_seed(0)
            model = build(jl)
            model.compile(optimizer=optax.adam(1e-3), steps_per_execution=spe,
                          loss=jl.losses.SparseCategoricalCrossentropy(from_logits=True))
            model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False)  # compile
            models[label] = (model, mode)
        times = {label: [] for label in models}
        for r in range(rounds):
            for label in (list(models) if r % 2 == 0 else list(models)[::-1]):
                model, mode = models[label]
                steps_lib.set_multi_step_execution(mode)
                start = time.perf_counter()
                model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False)
                times[label].append((time.perf_counter() - start) / (2 * k))
        steps_lib.set_multi_step_execution("auto")
        base = float(np.median(times["spe1"]))
        rows[name] = {label: {"ms_per_step": 1e3 * float(np.median(t)),
                              "ratio_to_spe1": float(np.median(t)) / base}
                      for label, t in times.items()}
        print(f"{name:12s} " + "  ".join(
            f"{label}={v['ms_per_step']:.2f}ms ({v['ratio_to_spe1']:.2f}x)"
            for label, v in rows[name].items()), flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer steps, MLP and CNN only")
    parser.add_argument("--no-keras", action="store_true")
    parser.add_argument("--models", default="mlp,cnn,lstm,transformer")
    parser.add_argument("--fixed", action="store_true",
                        help="only the per-call fixed cost of fit and predict")
    parser.add_argument("--spe", action="store_true",
                        help="only steps_per_execution=10, scanned vs dispatched")
    args = parser.parse_args()
    results = {"device": str(jax.devices()[0]), "models": {}}
    if args.spe:
        results["steps_per_execution"] = steps_per_execution_rows(
            ("mlp", "cnn") if args.quick else args.models.split(","))
        out = os.path.join(os.path.dirname(__file__), "results")
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "fit_spe.json"), "w") as f:
            json.dump(results, f, indent=2)
        return
    results["fixed_cost"] = {"jaxlayers": fixed_cost(jl)}
    if not args.no_keras:
        try:
            import keras
        except ImportError:
            keras = None
        if keras is not None:
            results["fixed_cost"]["keras"] = fixed_cost(keras)
    results["predict_10k"] = predict_throughput()
    rows = [(f"fixed cost {lib}", row) for lib, row in results["fixed_cost"].items()]
    for label, row in rows + [("predict 10k", results["predict_10k"])]:
        print(f"{label:22s} " + "  ".join(f"{k}={v:.3f}" for k, v in row.items()), flush=True)
    names = [] if args.fixed else ["mlp", "cnn"] if args.quick else args.models.split(",")
    steps, epochs = (8, 2) if args.quick else (32, 3)
    for name in names:
        results["models"][name] = run(name, steps, epochs, not args.no_keras)
    out = os.path.join(os.path.dirname(__file__), "results")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "fit_fixed.json" if args.fixed else "fit.json"), "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
