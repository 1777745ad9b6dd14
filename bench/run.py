"""One benchmark command: the same four models trained by every framework, in one process.

MLP (batch 128), CNN (batch 64), LSTM(64) over 50 steps (batch 64) and a Transformer block
(batch 32) get the same data, the same optimizer (Adam, Keras's defaults) and the same batch
size in every column:

* ``floor``: hand-written JAX + optax, one jitted step per batch; ``floor scan x10``: ten
  steps per dispatch with ``lax.scan``;
* ``jaxlayers pure`` (``model.apply`` in the floor's step) and ``jaxlayers fit``;
* ``keras stateless`` (``stateless_call`` in the floor's step) and ``keras fit``;
* ``nnx split/merge`` (``jax.jit``) and ``nnx jit``; ``equinox`` (``eqx.filter_jit``);
  ``haiku`` (``hk.transform`` + ``jax.jit``).

Before timing, every column is checked to compute the same function: equal parameter counts,
and equal outputs from the floor's weights where they can be loaded (jaxlayers, Keras).
Repetitions are interleaved (one epoch of each column in turn, the order reversed every
round) and reported as medians, IQRs and ratios to the floor. Also: the eager call of one
``Dense(32)`` on (8, 16), ``fit``'s fixed cost per call, the time to the first step (trace +
compile + one step), ``predict`` on 10k samples, saving and loading a ~100M-parameter model,
and memory (each compiled step's buffers; each training column's peak of live arrays against
the floor's, see :func:`peak_training_bytes`; the process peak).

Writes a table to stdout, ``bench/results/run.json`` and ``bench/results/run.png``.
A framework that is not installed gives columns marked "not installed".

Run: ``python bench/run.py [--quick]`` (install the peers with ``pip install -e .[bench]``).
"""

import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import sys
import tempfile
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers import PEERS, common, load  # noqa: E402 - bench/ package

COLUMNS = {  # column -> peer module, in table order
    "floor": "floor", "floor scan x10": "floor",
    "jaxlayers pure": "jaxlayers_peer", "jaxlayers fit": "jaxlayers_peer",
    "keras stateless": "keras_peer", "keras fit": "keras_peer",
    "nnx split/merge": "nnx_peer", "nnx jit": "nnx_peer",
    "equinox": "equinox_peer", "haiku": "haiku_peer",
}
RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def load_peers():
    """``{peer: module or None}`` and ``{peer: why it is missing}``."""
    modules, missing = {}, {}
    for name in PEERS:
        modules[name], why = load(name)
        if why:
            missing[name] = why
    if modules["floor"] is None:
        raise RuntimeError(f"the floor needs JAX and optax: {missing['floor']}")
    return modules, missing


def check(name, peers, x):
    """Builds model ``name`` in every peer and checks they compute the same function.

    Every peer must have the floor's parameter count; peers that can load the floor's
    weights must give its outputs on ``x``. Returns the built models and what was checked.
    """
    floor = peers["floor"]
    weights = floor.init_weights(name)
    ref_model = floor.build(name)
    ref = floor.forward(ref_model, x)
    built, counts, same_outputs = {"floor": ref_model}, {}, []
    for peer, module in peers.items():
        if module is None:
            continue
        model = ref_model if peer == "floor" else module.build(name)
        counts[peer] = module.n_params(model)
        if counts[peer] != counts["floor"]:
            raise AssertionError(f"{name}: {peer} has {counts[peer]} parameters, the floor "
                                 f"{counts['floor']}")
        if peer != "floor" and hasattr(module, "set_weights"):
            module.set_weights(model, weights)
            np.testing.assert_allclose(module.forward(model, x), ref, rtol=1e-4, atol=1e-4,
                                       err_msg=f"{name}: {peer} differs from the floor")
            same_outputs.append(peer)
        built[peer] = model
    return built, {"params": counts, "same_outputs_as_floor": same_outputs}


def _stats(samples, scale=1e3):
    q25, q50, q75 = np.percentile(np.asarray(samples) * scale, [25, 50, 75])
    return {"median": float(q50), "iqr": float(q75 - q25), "n": len(samples)}


def _seconds(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def time_training(name, peers, built, data, rounds):
    """Per-step times, first-step time, ``fit`` fixed cost and step memory for each column."""
    cols, first, errors = {}, {}, {}
    for peer, model in built.items():
        try:
            cols.update(peers[peer].columns(model, name, data))
        except Exception as err:  # noqa: BLE001 - one broken peer must not end the run
            errors[peer] = f"error: {type(err).__name__}"
            print(f"{name}: {peer} failed: {err!r}", flush=True)
    for c in [c for c in COLUMNS if c in cols]:
        try:
            first[c] = _seconds(cols[c].start)
        except Exception as err:  # noqa: BLE001
            errors[c] = f"error: {type(err).__name__}"
            print(f"{name}: {c} failed: {err!r}", flush=True)
    cols = {c: cols[c] for c in COLUMNS if c in first}
    for col in cols.values():  # one untimed epoch: caches and allocators settle
        col.run()
    steps, fixed = {c: [] for c in cols}, {c: [] for c, col in cols.items() if col.fit_one}
    for r in range(rounds):
        for c in (list(cols) if r % 2 == 0 else list(cols)[::-1]):
            whole = _seconds(cols[c].run)
            steps[c].append(whole / data.steps)
            if c in fixed:  # fit(S steps) = F + S s and fit(1 step) = F + s
                one = _seconds(cols[c].fit_one)
                per_step = (whole - one) / (data.steps - 1)
                fixed[c].append(one - per_step)
    out = {}
    floor = float(np.median(steps["floor"]))
    for c, col in cols.items():
        row = {"step_ms": _stats(steps[c]), "ratio": float(np.median(steps[c])) / floor,
               "first_step_s": first[c], "first_step_ratio": first[c] / first["floor"]}
        if c in fixed:
            row["fit_fixed_ms"] = _stats(fixed[c])
        if col.peak is not None:
            try:
                row["train_peak_bytes"] = peak_training_bytes(col, cols["floor"])
            except Exception as err:  # noqa: BLE001 - a memory pass must not end the run
                row["train_peak_error"] = repr(err)
        try:
            row["step_memory_bytes"] = col.memory() if col.memory else None
        except Exception as err:  # noqa: BLE001 - memory analysis is best effort per backend
            row["step_memory_bytes"] = None
            row["step_memory_error"] = repr(err)
        out[c] = row
    return out, errors


def peak_training_bytes(col, floor):
    """Device bytes a training pass needs at its peak: the memory row of ``fit`` vs the floor.

    ``memory_stats()`` (GPU, TPU) has no per-column peak, and CPU has none at all, so
    this counts live arrays after every step: the peak growth during the pass, plus the
    bytes the floor holds before it (its weights, optimizer state and, for columns that
    keep it there, its data on the device).  Temporaries inside a step are not
    counted (see the compiled step memory table).
    """
    base = common.live_bytes()
    peak = [base]
    col.peak(lambda: peak.__setitem__(0, max(peak[0], common.live_bytes())))
    state, data = floor.footprint()
    return (peak[0] - base) + state + (data if col.preloaded else 0)


def time_calls(fns, rounds, number):
    """Median seconds of one blocking call of each function, interleaved."""
    samples = {k: [] for k in fns}
    for fn in fns.values():
        for _ in range(3):
            jax.block_until_ready(fn())
    for r in range(rounds):
        for k in (list(fns) if r % 2 == 0 else list(fns)[::-1]):
            start = time.perf_counter()
            for _ in range(number):
                jax.block_until_ready(fns[k]())
            samples[k].append((time.perf_counter() - start) / number)
    return samples


def eager_rows(peers, rounds, number):
    fns = {}
    for module in peers.values():
        if module is not None:
            fns.update(module.eager_dense())
    samples = time_calls(fns, rounds, number)
    base = float(np.median(samples["raw JAX jit"]))
    return {k: {**_stats(v, 1e6), "ratio": float(np.median(v)) / base}
            for k, v in samples.items()}


def predict_rows(peers, built, rounds, n=10_000, batch=250):
    """``predict`` of the MLP on ``n`` samples, against a jitted forward loop (the floor)."""
    x = np.random.default_rng(1).standard_normal((n, 784)).astype(np.float32)
    mlp = built["mlp"]
    weights = peers["floor"].init_weights("mlp")  # fit trained some models in place
    for p, model in mlp.items():
        if hasattr(peers[p], "set_weights"):
            peers[p].set_weights(model, weights)
    fns = {f"{p.removesuffix('_peer')} predict":
           (lambda p=p: peers[p].predict(mlp[p], x, batch))
           for p in ("floor", "jaxlayers_peer", "keras_peer") if p in mlp}
    ref = fns["floor predict"]()
    for k, fn in fns.items():
        np.testing.assert_allclose(fn(), ref, rtol=1e-4, atol=1e-4, err_msg=k)
    samples = time_calls(fns, rounds, 1)
    base = float(np.median(samples["floor predict"]))
    return {k: {**_stats(v), "ratio": float(np.median(v)) / base,
                "samples_per_s": n / float(np.median(v))} for k, v in samples.items()}


def save_load_rows(peers, repeat=2, width=4096, depth=6):
    """``save`` and ``load_model`` of a ``depth`` x ``Dense(width)`` stack (~100M params)."""
    rows = {}
    folder = tempfile.mkdtemp(prefix="jl_bench_run_")
    try:
        libs = {}
        if peers["jaxlayers_peer"] is not None:
            import jaxlayers as jl
            import jaxlayers.saving  # noqa: F401 - jl.saving
            libs["jaxlayers"] = (jl, jl.saving.load_model)
        if peers["keras_peer"] is not None:
            import keras
            libs["keras"] = (keras, keras.saving.load_model)
        for lib_name, (lib, load_model) in libs.items():
            rows[lib_name] = _save_load(lib, load_model, os.path.join(folder, "m.keras"),
                                        repeat, width, depth)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return rows


def _save_load(lib, load_model, path, repeat, width, depth):
    model = lib.Sequential([lib.Input((width,))]
                           + [lib.layers.Dense(width) for _ in range(depth)])
    save = min(_seconds(lambda: model.save(path)) for _ in range(repeat))
    loaded = []
    load = min(_seconds(lambda: loaded.append(load_model(path))) for _ in range(repeat))
    np.testing.assert_array_equal(loaded[-1].get_weights()[0], model.get_weights()[0])
    row = {"params": int(model.count_params()), "save_s": save, "load_s": load,
           "file_bytes": os.path.getsize(path)}
    os.remove(path)
    return row


def memory_row():
    stats = jax.devices()[0].memory_stats()
    row = {"process_peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}
    if stats:
        row["device_peak_bytes"] = stats.get("peak_bytes_in_use")
    return row


def versions(peers):
    out = {"jax": jax.__version__, "jaxlib": jax.lib.__version__}
    for dist in ("optax", "jaxlayers", "keras", "flax", "equinox", "dm-haiku"):
        try:
            from importlib.metadata import version
            out[dist] = version(dist)
        except Exception:  # noqa: BLE001 - a missing distribution is reported, not fatal
            out[dist] = None
    return out


def machine():
    device = jax.devices()[0]
    return {"platform": platform.platform(), "processor": platform.processor(),
            "cpu_count": os.cpu_count(), "backend": jax.default_backend(),
            "device": getattr(device, "device_kind", str(device)),
            "python": platform.python_version()}


def format_table(results, missing):
    models = list(results["train"])
    lines = ["| column | " + " | ".join(f"{m} (ms/step, ratio)" for m in models) + " |",
             "| --- |" + " --- |" * len(models)]
    for c, peer in COLUMNS.items():
        cells = []
        for m in models:
            row = results["train"][m].get(c)
            if row is None:
                errors = results.get("errors", {}).get(m, {})
                cells.append(missing.get(peer) or errors.get(peer) or errors.get(c, "n/a"))
            else:
                s = row["step_ms"]
                cells.append(f"{s['median']:.2f} ±{s['iqr']:.2f} ({row['ratio']:.2f}x)")
        lines.append(f"| {c} | " + " | ".join(cells) + " |")
    lines += ["", "| time to first step (s, ratio) | " + " | ".join(models) + " |",
              "| --- |" + " --- |" * len(models)]
    for c in COLUMNS:
        if any(c in results["train"][m] for m in models):
            lines.append(f"| {c} | " + " | ".join(
                f"{results['train'][m][c]['first_step_s']:.2f} "
                f"({results['train'][m][c]['first_step_ratio']:.2f}x)"
                if c in results["train"][m] else "n/a" for m in models) + " |")
    lines += ["", "| fit fixed cost per call (ms) | " + " | ".join(models) + " |",
              "| --- |" + " --- |" * len(models)]
    for c in ("jaxlayers fit", "keras fit"):
        if any(c in results["train"][m] for m in models):
            lines.append(f"| {c} | " + " | ".join(
                f"{results['train'][m][c]['fit_fixed_ms']['median']:.2f}"
                if c in results["train"][m] else "n/a" for m in models) + " |")
    lines += ["", "| compiled step memory (MiB) | " + " | ".join(models) + " |",
              "| --- |" + " --- |" * len(models)]
    for c in COLUMNS:
        cells = [results["train"][m].get(c, {}).get("step_memory_bytes") for m in models]
        if any(v is not None for v in cells):
            lines.append(f"| {c} | " + " | ".join(
                f"{v / 2**20:.1f}" if v is not None else "n/a" for v in cells) + " |")
    lines += ["", "| training peak memory (MiB, ratio) | " + " | ".join(models) + " |",
              "| --- |" + " --- |" * len(models)]
    for c in COLUMNS:
        cells = [results["train"][m].get(c, {}).get("train_peak_bytes") for m in models]
        floors = [results["train"][m].get("floor", {}).get("train_peak_bytes") for m in models]
        if any(v is not None for v in cells):
            lines.append(f"| {c} | " + " | ".join(
                f"{v / 2**20:.1f} ({v / f:.2f}x)" if v is not None and f else "n/a"
                for v, f in zip(cells, floors)) + " |")
    lines += ["", "| eager Dense(32) on (8, 16) | µs | ratio to jitted |", "| --- | --- | --- |"]
    lines += [f"| {k} | {v['median']:.1f} | {v['ratio']:.1f}x |"
              for k, v in results["eager_us"].items()]
    if results.get("predict_ms"):
        lines += ["", "| MLP predict, 10k samples | ms | ratio |", "| --- | --- | --- |"]
        lines += [f"| {k} | {v['median']:.1f} | {v['ratio']:.2f}x |"
                  for k, v in results["predict_ms"].items()]
    if results.get("save_load"):
        lines += ["", "| ~100M params | save (s) | load (s) |", "| --- | --- | --- |"]
        lines += [f"| {k} ({v['params'] / 1e6:.1f}M) | {v['save_s']:.2f} | {v['load_s']:.2f} |"
                  for k, v in results["save_load"].items()]
    mem = results["memory"]
    lines += ["", f"Process peak RSS: {mem['process_peak_rss_bytes'] / 2**20:.0f} MiB"
              + (f"; device peak: {mem['device_peak_bytes'] / 2**20:.0f} MiB"
                 if mem.get("device_peak_bytes") else "")]
    return "\n".join(lines)


def chart(results, path):
    """Bars of each column's ratio to the floor per model, and the eager-call ratios."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = list(results["train"])
    cols = [c for c in COLUMNS if any(c in results["train"][m] for m in models)]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(14, 5), gridspec_kw={"width_ratios": [3, 1]})
    width = 0.8 / len(cols)
    for i, c in enumerate(cols):
        ratios = [results["train"][m].get(c, {}).get("ratio", np.nan) for m in models]
        ax.bar(np.arange(len(models)) + i * width, ratios, width, label=c)
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_xticks(np.arange(len(models)) + 0.4 - width / 2, models)
    ax.set_ylabel("time per training step / floor (lower is faster)")
    ax.legend(fontsize=7, ncol=2)
    eager = results["eager_us"]
    ax2.barh(list(eager), [v["ratio"] for v in eager.values()])
    ax2.set_xscale("log")
    ax2.set_xlabel("eager Dense(32) call / jitted call")
    ax2.tick_params(axis="y", labelsize=7)
    m = results["machine"]
    fig.suptitle(f"{m['device']} ({m['backend']}, {m['cpu_count']} CPU cores), "
                 f"{results['date'][:10]}, {results['mode']}")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _guarded(fn, results):
    """``fn()``, or ``{}`` with the error recorded: the training table must survive."""
    try:
        return fn()
    except Exception as err:  # noqa: BLE001
        print(f"failed: {err!r}", flush=True)
        results["errors"].setdefault("rows", []).append(repr(err))
        return {}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer steps and rounds, one save/load (a few minutes)")
    parser.add_argument("--models", default=",".join(common.SPECS))
    parser.add_argument("--no-save", action="store_true", help="skip the ~100M save/load")
    parser.add_argument("--out", default=RESULTS)
    args = parser.parse_args(argv)
    steps, rounds, eager_rounds = (10, 3, 5) if args.quick else (30, 7, 11)
    peers, missing = load_peers()
    for peer, why in missing.items():
        print(f"{peer}: {why}", flush=True)
    results = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               "mode": "quick" if args.quick else "full", "steps_per_round": steps,
               "rounds": rounds, "machine": machine(), "versions": versions(peers),
               "missing": missing, "equivalence": {}, "train": {},
               "errors": {}}
    built_all = {}
    for name in args.models.split(","):
        data = common.make_data(name, steps)
        built, checked = check(name, peers, data.x[:8])
        results["equivalence"][name] = checked
        print(f"{name}: same function ({checked})", flush=True)
        results["train"][name], results["errors"][name] = time_training(
            name, peers, built, data, rounds)
        built_all[name] = built
    results["eager_us"] = _guarded(lambda: eager_rows(peers, eager_rounds, 200), results)
    results["predict_ms"] = _guarded(lambda: predict_rows(peers, built_all, rounds)
                                     if "mlp" in built_all else {}, results)
    built_all.clear()  # the models are not needed past here
    results["save_load"] = _guarded(lambda: {} if args.no_save
                                    else save_load_rows(peers, repeat=1 if args.quick else 2),
                                    results)
    results["memory"] = memory_row()
    table = format_table(results, missing)
    print(table)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "run.json"), "w") as f:
        json.dump({**results, "table": table}, f, indent=2)
    chart(results, os.path.join(args.out, "run.png"))
    return results


if __name__ == "__main__":
    main()
