"""Recurrent layers under jit vs the same recurrences hand-written with ``lax.scan``.

Train steps (adam, MSE on a linear readout of the last output) for ``LSTM(64)``,
``GRU(64)`` and ``Bidirectional(LSTM(64))`` on sequences of 50 steps of 32
features, batch 64: ``model.apply`` (a ``jl.Sequential``) against a hand-written
scan with the input projection hoisted out of the loop.  ``Bidirectional`` runs
both directions in one scan; it is compared with two hand-written scans and
with one hand-written fused scan.  Also the compile time
of the LSTM train step for 50 vs 200 steps (it must not grow: the scan body is
traced once), and Keras 3 (JAX backend, ``train_on_batch``) when importable.
Then the same three models trained by ``fit`` (MSE, adam) against a
hand-written epoch loop over the hand-written scans on the same data, and
against Keras 3's ``fit`` on the same architecture.
Prints ratios (1.00 = same speed) and writes ``bench/results/rnn.json``.

Run: ``python bench/bench_rnn.py`` (about 1-2 minutes on a laptop CPU).
"""

import os
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
from jax import lax  # noqa: E402

import jaxlayers as jl  # noqa: E402
from _timing import compare, report, timeit  # noqa: E402 - bench/ helper
from bench_fit import hand_loop_seconds, time_fit  # noqa: E402 - bench/ helper

BATCH, STEPS, FEATURES, UNITS = 64, 50, 32, 64






# --------------------------------------------------------------------------- hand-written
def lstm_scan(w, x, reverse=False):
    """Last ``h`` of an LSTM (Keras gate order i, f, c, o), projection hoisted."""
    xs = jnp.einsum("btf,fg->tbg", x, w["kernel"]) + w["bias"]
    units = w["recurrent_kernel"].shape[0]

    def step(carry, z):
        h, c = carry
        i, f, g, o = jnp.split(z + h @ w["recurrent_kernel"], 4, axis=-1)
        c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
        return (jax.nn.sigmoid(o) * jnp.tanh(c), c), None

    zeros = jnp.zeros((x.shape[0], units), x.dtype)
    (h, _), _ = lax.scan(step, (zeros, zeros), xs, reverse=reverse)
    return h


def bilstm_one_scan(wf, wb, x):
    """Both directions of a bidirectional LSTM in one scan (what jaxlayers does)."""
    xf = jnp.einsum("btf,fg->tbg", x, wf["kernel"]) + wf["bias"]
    xb = jnp.flip(jnp.einsum("btf,fg->tbg", x, wb["kernel"]) + wb["bias"], 0)
    units = wf["recurrent_kernel"].shape[0]

    def lstm(z, c):
        i, f, g, o = jnp.split(z, 4, axis=-1)
        c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
        return jax.nn.sigmoid(o) * jnp.tanh(c), c

    def step(carry, z):
        (hf, cf), (hb, cb) = carry
        return (lstm(z[0] + hf @ wf["recurrent_kernel"], cf),
                lstm(z[1] + hb @ wb["recurrent_kernel"], cb)), None

    zeros = jnp.zeros((x.shape[0], units), x.dtype)
    ((hf, _), (hb, _)), _ = lax.scan(step, ((zeros, zeros), (zeros, zeros)), (xf, xb))
    return jnp.concatenate([hf, hb], -1)


def gru_scan(w, x):
    """Last ``h`` of a GRU with ``reset_after=True`` (Keras's default)."""
    xs = jnp.einsum("btf,fg->tbg", x, w["kernel"]) + w["bias"][0]
    units = w["recurrent_kernel"].shape[0]

    def step(h, xt):
        xz, xr, xh = jnp.split(xt, 3, axis=-1)
        rz, rr, rh = jnp.split(h @ w["recurrent_kernel"] + w["bias"][1], 3, axis=-1)
        z, r = jax.nn.sigmoid(xz + rz), jax.nn.sigmoid(xr + rr)
        h = z * h + (1 - z) * jnp.tanh(xh + r * rh)
        return h, None

    h, _ = lax.scan(step, jnp.zeros((x.shape[0], units), x.dtype), xs)
    return h


def readout(w, h):
    return h @ w["kernel"] + w["bias"]


# --------------------------------------------------------------------------- models
def models():
    """``name -> (jl model, hand-written forward, params -> hand-written params)``."""
    def cell_params(p, layer, cell):
        return p[layer][cell]

    lstm = jl.Sequential([jl.layers.LSTM(UNITS, name="rnn"), jl.layers.Dense(1, name="out")])
    gru = jl.Sequential([jl.layers.GRU(UNITS, name="rnn"), jl.layers.Dense(1, name="out")])
    bi = jl.Sequential([jl.layers.Bidirectional(jl.layers.LSTM(UNITS, name="rnn"), name="bi"),
                        jl.layers.Dense(1, name="out")])
    bi_hand = lambda p: {"fwd": p["bi"]["forward_rnn"]["lstm_cell"],  # noqa: E731
                         "bwd": p["bi"]["backward_rnn"]["lstm_cell"], "out": p["out"]}
    return {
        "lstm": (lstm, lambda w, x: readout(w["out"], lstm_scan(w["rnn"], x)),
                 lambda p: {"rnn": cell_params(p, "rnn", "lstm_cell"), "out": p["out"]}),
        "gru": (gru, lambda w, x: readout(w["out"], gru_scan(w["rnn"], x)),
                lambda p: {"rnn": cell_params(p, "rnn", "gru_cell"), "out": p["out"]}),
        # The obvious hand-written version: two scans.
        "bidirectional_lstm": (
            bi,
            lambda w, x: readout(w["out"], jnp.concatenate(
                [lstm_scan(w["fwd"], x), lstm_scan(w["bwd"], x, reverse=True)], -1)),
            bi_hand),
        # The same with both directions fused in one scan, as jaxlayers runs it.
        "bidirectional_lstm_vs_one_scan": (
            bi, lambda w, x: readout(w["out"], bilstm_one_scan(w["fwd"], w["bwd"], x)),
            bi_hand),
    }


def make_step(loss, tx):
    def step(p, o, x, y):
        value, g = jax.value_and_grad(loss)(p, x, y)
        u, o = tx.update(g, o, p)
        return optax.apply_updates(p, u), o, value
    return step


def bench_model(model, hand_forward, to_hand, x, y, tx):
    params, state = model.init(jax.random.key(2), x)
    hand = to_hand(params)

    def jl_loss(p, x, y):
        return jnp.mean((model.apply(p, state, x)[0] - y) ** 2)

    def hand_loss(w, x, y):
        return jnp.mean((hand_forward(w, x) - y) ** 2)

    np.testing.assert_allclose(jax.jit(jl_loss)(params, x, y), jax.jit(hand_loss)(hand, x, y),
                               rtol=1e-4)
    jl_step, hand_step = jax.jit(make_step(jl_loss, tx)), jax.jit(make_step(hand_loss, tx))
    t_jl, t_hand = compare(jl_step, (params, tx.init(params), x, y),
                           hand_step, (hand, tx.init(hand), x, y))
    return {"jaxlayers": t_jl * 1e3, "hand_written": t_hand * 1e3, "ratio": t_jl / t_hand}


def compile_cost(steps, tx):
    """Wall and CPU seconds to trace + compile a fresh LSTM train step for ``steps``
    timesteps, and the size of its StableHLO program in lines."""
    model = jl.Sequential([jl.layers.LSTM(UNITS), jl.layers.Dense(1)])
    x = jnp.zeros((BATCH, steps, FEATURES))
    y = jnp.zeros((BATCH, 1))
    params, state = model.init(jax.random.key(0), x)

    def loss(p, x, y):
        return jnp.mean((model.apply(p, state, x)[0] - y) ** 2)

    step = make_step(loss, tx)
    start, cpu = time.perf_counter(), time.process_time()
    lowered = jax.jit(step).lower(params, tx.init(params), x, y)
    lowered.compile()
    return (time.perf_counter() - start, time.process_time() - cpu,
            len(lowered.as_text().splitlines()))


def keras_step_ms(x, y):
    try:
        import keras
    except Exception:  # noqa: BLE001 - any import failure means "not available"
        return None
    if keras.backend.backend() != "jax":
        return None
    model = keras.Sequential([keras.Input((STEPS, FEATURES)), keras.layers.LSTM(UNITS),
                              keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    xn, yn = np.asarray(x), np.asarray(y)
    model.train_on_batch(xn, yn)

    def run():
        return model.train_on_batch(xn, yn)

    return timeit(run) * 1e3


def keras_model(name):
    try:
        import keras
    except Exception:  # noqa: BLE001 - any import failure means "not available"
        return None
    if keras.backend.backend() != "jax":
        return None
    rnn = {"lstm": lambda: keras.layers.LSTM(UNITS), "gru": lambda: keras.layers.GRU(UNITS),
           "bidirectional_lstm": lambda: keras.layers.Bidirectional(keras.layers.LSTM(UNITS))}
    model = keras.Sequential([keras.Input((STEPS, FEATURES)), rnn[name](),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    return model


def fit_rows(steps_per_epoch=32, epochs=2):
    """``fit`` vs a hand-written epoch loop over the hand-written scan, and vs Keras ``fit``."""
    rng = np.random.default_rng(0)
    n = BATCH * steps_per_epoch
    x = rng.standard_normal((n, STEPS, FEATURES)).astype(np.float32)
    y = rng.standard_normal((n, 1)).astype(np.float32)
    rows = {}
    for name, (model, hand_forward, to_hand) in models().items():
        if name.endswith("one_scan"):
            continue
        model.compile(optimizer=optax.adam(1e-3), loss="mse")
        model.build((None, STEPS, FEATURES))
        fit_ms, hand_ms = [], []
        for _ in range(2):  # alternate, keep the best of each
            hand_ms.append(1e3 * hand_loop_seconds(
                lambda w, s, xb: (hand_forward(w, xb), s), to_hand(model.params), {}, x, y,
                BATCH, epochs, loss=lambda out, yb: jnp.mean((out - yb) ** 2)))
            fit_ms.append(1e3 * time_fit(model, x, y, BATCH, epochs))
        row = {"jaxlayers_fit": min(fit_ms), "hand_written_loop": min(hand_ms),
               "ratio": min(fit_ms) / min(hand_ms)}
        kmodel = keras_model(name)
        if kmodel is not None:
            row["keras_fit"] = 1e3 * time_fit(kmodel, x, y, BATCH, epochs)
            row["keras_over_jaxlayers"] = row["keras_fit"] / row["jaxlayers_fit"]
        rows[f"{name}_fit_step_ms"] = row
    return rows


def main():
    x = jax.random.normal(jax.random.key(0), (BATCH, STEPS, FEATURES))
    y = jax.random.normal(jax.random.key(1), (BATCH, 1))
    tx = optax.adam(1e-3)
    results = {"shape": {"batch": BATCH, "steps": STEPS, "features": FEATURES,
                         "units": UNITS}}
    for name, (model, hand_forward, to_hand) in models().items():
        results[f"{name}_train_step_ms"] = bench_model(model, hand_forward, to_hand, x, y, tx)
    compile_cost(20, tx)  # warm-up: first-compile costs that are not per length
    runs = {n: [compile_cost(n, tx) for _ in range(2)] for n in (50, 200)}
    wall = {n: min(r[0] for r in runs[n]) for n in runs}
    cpu = {n: min(r[1] for r in runs[n]) for n in runs}
    results["lstm_compile_s"] = {"steps_50": wall[50], "steps_200": wall[200],
                                 "ratio": wall[200] / wall[50]}
    results["lstm_compile_cpu_s"] = {"steps_50": cpu[50], "steps_200": cpu[200],
                                     "ratio": cpu[200] / cpu[50]}
    results["lstm_program_lines"] = {"steps_50": runs[50][0][2], "steps_200": runs[200][0][2]}
    keras_ms = keras_step_ms(x, y)
    if keras_ms is not None:
        t_jl = results["lstm_train_step_ms"]["jaxlayers"]
        results["keras_lstm_train_on_batch_ms"] = {"keras": keras_ms, "jaxlayers": t_jl,
                                                   "ratio": t_jl / keras_ms}
    results.update(fit_rows())
    return report("rnn", results)


if __name__ == "__main__":
    main()
