"""Recurrent layers under jit vs the same recurrences hand-written with ``lax.scan``.

Train steps (adam, MSE on a linear readout of the last output) and forward
passes for ``LSTM(64)``, ``GRU(64)`` and ``Bidirectional(LSTM(64))`` on
sequences of 50 steps of 32 features, batch 64.  The floor is the faster of two
hand-written scans: the input projection hoisted out of the loop (one matmul)
or computed inside each step; for the bidirectional LSTM also two separate
scans (projection in the step on CPU, hoisted elsewhere) next to one scan
running both directions.  ``jaxlayers`` is
``model.apply`` (a ``jl.Sequential``) inside the same hand-written optax step,
with the projection placed as ``jaxlayers.ops._rnn.input_projection`` chooses
for the backend; ``jaxlayers_<placement>`` rows force each placement.  Every
number is the median over interleaved rounds (all variants of a model take turns
in each round, so drift on a shared machine hits them alike), in wall time
(``*_ms``) and in process CPU time (``*_cpu_ms``, steadier on a loaded machine).  Also the compile
time of the LSTM train step for 50 vs 200 steps (it must not grow: the scan body
is traced once), and Keras 3 (JAX backend) when importable.  Then the same
models trained by ``fit`` against a hand-written epoch loop over the floor scan.
Prints ratios (1.00 = same speed) and writes ``bench/results/rnn.json``.

Run: ``python bench/bench_rnn.py`` (a few minutes on a laptop CPU), or
``python bench/bench_rnn.py --quick`` (fewer rounds, no compile-time rows).
"""

import os
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
from _timing import report, timeit  # noqa: E402 - bench/ helper
from bench_fit import hand_loop_seconds, time_fit  # noqa: E402 - bench/ helper
from jax import lax  # noqa: E402

import jaxlayers as jl  # noqa: E402
from jaxlayers.ops import _rnn as rnn_ops  # noqa: E402

BATCH, STEPS, FEATURES, UNITS = 64, 50, 32, 64
QUICK = "--quick" in sys.argv
ROUNDS, CALLS = (5, 5) if QUICK else (15, 10)
PLACEMENTS = ("before_scan", "in_step")


# --------------------------------------------------------------------------- hand-written
def _lstm(z, c):
    i, f, g, o = jnp.split(z, 4, axis=-1)
    c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
    return jax.nn.sigmoid(o) * jnp.tanh(c), c


def _inputs(w, x, in_step, reverse=False):
    """What the scan reads: raw time-major inputs (in-step) or their projections."""
    xs = jnp.swapaxes(x, 0, 1)
    if reverse:
        xs = jnp.flip(xs, 0)
    return xs if in_step else xs @ w["kernel"] + w["bias"]


def _project(w, xt, in_step):
    return xt @ w["kernel"] + w["bias"] if in_step else xt


def lstm_scan(w, x, in_step, reverse=False):
    """Last ``h`` of an LSTM (Keras gate order i, f, c, o)."""
    def step(carry, xt):
        h, c = carry
        return _lstm(_project(w, xt, in_step) + h @ w["recurrent_kernel"], c), None

    zeros = jnp.zeros((x.shape[0], w["recurrent_kernel"].shape[0]), x.dtype)
    (h, _), _ = lax.scan(step, (zeros, zeros), _inputs(w, x, in_step, reverse))
    return h


def bilstm_one_scan(wf, wb, x, in_step):
    """Both directions of a bidirectional LSTM in one scan."""
    def step(carry, xt):
        (hf, cf), (hb, cb) = carry
        return (_lstm(_project(wf, xt[0], in_step) + hf @ wf["recurrent_kernel"], cf),
                _lstm(_project(wb, xt[1], in_step) + hb @ wb["recurrent_kernel"], cb)), None

    zeros = jnp.zeros((x.shape[0], wf["recurrent_kernel"].shape[0]), x.dtype)
    xs = (_inputs(wf, x, in_step), _inputs(wb, x, in_step, reverse=True))
    ((hf, _), (hb, _)), _ = lax.scan(step, ((zeros, zeros), (zeros, zeros)), xs)
    return jnp.concatenate([hf, hb], -1)


def gru_scan(w, x, in_step):
    """Last ``h`` of a GRU with ``reset_after=True`` (Keras's default)."""
    wi = {"kernel": w["kernel"], "bias": w["bias"][0]}

    def step(h, xt):
        xz, xr, xh = jnp.split(_project(wi, xt, in_step), 3, axis=-1)
        rz, rr, rh = jnp.split(h @ w["recurrent_kernel"] + w["bias"][1], 3, axis=-1)
        z, r = jax.nn.sigmoid(xz + rz), jax.nn.sigmoid(xr + rr)
        return z * h + (1 - z) * jnp.tanh(xh + r * rh), None

    h, _ = lax.scan(step, jnp.zeros((x.shape[0], w["recurrent_kernel"].shape[0]), x.dtype),
                    _inputs(wi, x, in_step))
    return h


def readout(w, h):
    return h @ w["kernel"] + w["bias"]


# --------------------------------------------------------------------------- models
def models():
    """``name -> (jl model factory, hand forward (w, x, in_step), params -> hand params)``."""
    layers = jl.layers

    def dense(cell):
        return lambda p: {"rnn": p["rnn"][cell], "out": p["out"]}

    def bi_hand(p):
        return {"fwd": p["bi"]["forward_rnn"]["lstm_cell"],
                "bwd": p["bi"]["backward_rnn"]["lstm_cell"], "out": p["out"]}

    def seq(rnn):
        return lambda: jl.Sequential([rnn(), layers.Dense(1, name="out")])

    return {
        "lstm": (seq(lambda: layers.LSTM(UNITS, name="rnn")),
                 lambda w, x, s: readout(w["out"], lstm_scan(w["rnn"], x, s)),
                 dense("lstm_cell")),
        "gru": (seq(lambda: layers.GRU(UNITS, name="rnn")),
                lambda w, x, s: readout(w["out"], gru_scan(w["rnn"], x, s)),
                dense("gru_cell")),
        "bidirectional_lstm": (
            seq(lambda: layers.Bidirectional(layers.LSTM(UNITS, name="rnn"), name="bi")),
            lambda w, x, s: readout(w["out"], bilstm_one_scan(w["fwd"], w["bwd"], x, s)),
            bi_hand),
    }


def bi_two_scans(w, x, in_step):
    """The obvious hand-written bidirectional LSTM: two scans."""
    return readout(w["out"], jnp.concatenate(
        [lstm_scan(w["fwd"], x, in_step), lstm_scan(w["bwd"], x, in_step, reverse=True)], -1))


def make_step(loss, tx):
    def step(p, o, x, y):
        value, g = jax.value_and_grad(loss)(p, x, y)
        u, o = tx.update(g, o, p)
        return optax.apply_updates(p, u), o, value
    return step


def interleaved_ms(fns):
    """Median wall and process-CPU ms per call of each ``name -> (compiled fn, args)``.

    Rounds are interleaved (every function takes a turn in each round).  CPU time
    is the steadier number on a shared machine: time spent waiting for a core
    is not counted.
    """
    wall, cpu = {name: [] for name in fns}, {name: [] for name in fns}
    for fn, args in fns.values():
        jax.block_until_ready(fn(*args))
    for _ in range(ROUNDS):
        for name, (fn, args) in fns.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            for _ in range(CALLS):
                out = fn(*args)
            jax.block_until_ready(out)
            wall[name].append((time.perf_counter() - start) / CALLS * 1e3)
            cpu[name].append((time.process_time() - start_cpu) / CALLS * 1e3)
    return ({name: float(np.median(v)) for name, v in wall.items()},
            {name: float(np.median(v)) for name, v in cpu.items()})


def _compiled(fn, args, placement=None):
    """``fn`` jitted and compiled now, with the RNN input projection at ``placement``."""
    if placement is not None:
        rnn_ops.set_input_projection(placement)
    try:
        return jax.jit(fn).lower(*args).compile()
    finally:
        rnn_ops.set_input_projection("auto")


def bench_model(name, make_model, hand_forward, to_hand, x, y, tx):
    """Train-step and forward rows of one model: the floor, each hand form, jaxlayers."""
    model = make_model()
    params, state = model.init(jax.random.key(2), x)
    hand = to_hand(params)

    def jl_loss(p, x, y):
        return jnp.mean((model.apply(p, state, x)[0] - y) ** 2)

    def hand_loss(in_step, forward=hand_forward):
        return lambda w, x, y: jnp.mean((forward(w, x, in_step) - y) ** 2)

    hand_forms = {f"hand_{pl}": (hand_forward, pl == "in_step") for pl in PLACEMENTS}
    if name == "bidirectional_lstm":
        hand_forms["hand_two_scans"] = (bi_two_scans, jax.default_backend() == "cpu")
    expected = jax.jit(jl_loss)(params, x, y)
    for forward, in_step in hand_forms.values():
        np.testing.assert_allclose(jax.jit(hand_loss(in_step, forward))(hand, x, y), expected,
                                   rtol=1e-4)
    rows = {}
    for kind in ("train", "forward"):
        fns = {}
        for label, (forward, in_step) in hand_forms.items():
            if kind == "train":
                fn = make_step(hand_loss(in_step, forward), tx)
                args = (hand, tx.init(hand), x, y)
            else:
                fn, args = (lambda w, x, f=forward, s=in_step: f(w, x, s)), (hand, x)
            fns[label] = (_compiled(fn, args), args)
        for placement in (None,) + PLACEMENTS:
            label = "jaxlayers" if placement is None else f"jaxlayers_{placement}"
            if kind == "train":
                fn, args = make_step(jl_loss, tx), (params, tx.init(params), x, y)
            else:
                fn, args = (lambda p, x: model.apply(p, state, x)[0]), (params, x)
            fns[label] = (_compiled(fn, args, placement), args)
        for clock, ms in zip(("ms", "cpu_ms"), interleaved_ms(fns)):
            floor = min(hand_forms, key=ms.get)
            rows[f"{name}_{kind}_{clock}"] = {
                **ms, "floor": floor,
                "jaxlayers_placement": rnn_ops.input_projection(),
                "ratio": ms["jaxlayers"] / ms[floor]}
    return rows


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


def fit_rows(floors, steps_per_epoch=32, epochs=2):
    """``fit`` vs a hand-written epoch loop over the floor scan, and vs Keras ``fit``."""
    rng = np.random.default_rng(0)
    n = BATCH * steps_per_epoch
    x = rng.standard_normal((n, STEPS, FEATURES)).astype(np.float32)
    y = rng.standard_normal((n, 1)).astype(np.float32)
    rows = {}
    for name, (make_model, hand_forward, to_hand) in models().items():
        model = make_model()
        model.compile(optimizer=optax.adam(1e-3), loss="mse")
        model.build((None, STEPS, FEATURES))
        forward, in_step = hand_forward, floors[name] != "hand_before_scan"
        if floors[name] == "hand_two_scans":
            forward = bi_two_scans
        fit_ms, hand_ms = [], []
        for _ in range(2 if QUICK else 3):  # alternate; medians
            hand_ms.append(1e3 * hand_loop_seconds(
                lambda w, s, xb, f=forward, i=in_step: (f(w, xb, i), s),
                to_hand(model.params), {},
                x, y, BATCH, epochs, loss=lambda out, yb: jnp.mean((out - yb) ** 2)))
            fit_ms.append(1e3 * time_fit(model, x, y, BATCH, epochs))
        row = {"jaxlayers_fit": float(np.median(fit_ms)),
               "hand_written_loop": float(np.median(hand_ms)), "floor": floors[name]}
        row["ratio"] = row["jaxlayers_fit"] / row["hand_written_loop"]
        kmodel = None if QUICK else keras_model(name)
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
                         "units": UNITS},
               "timing": {"rounds": ROUNDS, "calls_per_round": CALLS, "statistic": "median",
                          "quick": QUICK}}
    for name, (make_model, hand_forward, to_hand) in models().items():
        results.update(bench_model(name, make_model, hand_forward, to_hand, x, y, tx))
    if not QUICK:
        compile_cost(20, tx)  # warm-up: first-compile costs that are not per length
        runs = {n: [compile_cost(n, tx) for _ in range(2)] for n in (50, 200)}
        wall = {n: min(r[0] for r in runs[n]) for n in runs}
        cpu = {n: min(r[1] for r in runs[n]) for n in runs}
        results["lstm_compile_s"] = {"steps_50": wall[50], "steps_200": wall[200],
                                     "ratio": wall[200] / wall[50]}
        results["lstm_compile_cpu_s"] = {"steps_50": cpu[50], "steps_200": cpu[200],
                                         "ratio": cpu[200] / cpu[50]}
        results["lstm_program_lines"] = {"steps_50": runs[50][0][2],
                                         "steps_200": runs[200][0][2]}
        keras_ms = keras_step_ms(x, y)
        if keras_ms is not None:
            t_jl = results["lstm_train_ms"]["jaxlayers"]
            results["keras_lstm_train_on_batch_ms"] = {"keras": keras_ms, "jaxlayers": t_jl,
                                                       "ratio": t_jl / keras_ms}
    floors = {name: results[f"{name}_train_cpu_ms"]["floor"] for name in models()}
    results.update(fit_rows(floors))
    return report("rnn", results)


if __name__ == "__main__":
    main()
