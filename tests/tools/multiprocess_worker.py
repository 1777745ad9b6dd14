"""One process of the 2-process training job that tests/test_multiprocess.py starts.

Run as ``python multiprocess_worker.py PORT PROCESS_ID MODES OUT_DIR`` (MODES:
``data`` (DataParallel), ``model`` (ModelParallel), or ``data,model``). Each
process owns 4 forced CPU devices, joins the job through
``jl.distribution.initialize``, trains on its own share of the data and prints
one ``RESULT {json}`` line. The test imports ``build``, ``dataset`` and
``share`` to train the same model in one process on all the data.
"""

import json
import os
import sys

BATCH = 8  # global batch: 4 rows from each of the 2 processes
PROCESSES = 2


def dataset():
    import numpy as np

    rng = np.random.default_rng(0)
    return (rng.standard_normal((16, 4)).astype(np.float32),
            rng.standard_normal((16, 2)).astype(np.float32))


def share(array, process):
    """Process ``process``'s rows: its half of every global batch, in order."""
    rows = [i for i in range(len(array)) if (i // (BATCH // PROCESSES)) % PROCESSES == process]
    return array[rows]


def build(mode):
    """``(model, distribution)``: a compiled 2-layer MLP with fixed initial weights."""
    import jax
    import numpy as np

    import jaxlayers as jl

    D = jl.distribution
    model = jl.Sequential([jl.Input((4,)), jl.layers.Dense(8, activation="tanh", name="hidden"),
                           jl.layers.Dense(2, name="out")])
    rng = np.random.default_rng(1)
    model.set_weights([0.5 * rng.standard_normal(w.shape).astype(np.float32)
                       for w in model.get_weights()])
    # DataParallel runs both steps of an epoch in one execution (a host loop per process).
    model.compile(optimizer=jl.optimizers.Adam(0.05), loss="mse", metrics=["mae"],
                  steps_per_execution=2 if mode == "data" else 1)
    if mode == "data":
        return model, D.DataParallel(devices=jax.devices())
    mesh = D.DeviceMesh((2, 4), ("batch", "model"), jax.devices())
    layout = D.LayoutMap(mesh)
    layout["hidden/kernel"] = (None, "model")
    layout["out/kernel"] = ("model", None)
    return model, D.ModelParallel(layout_map=layout)


def main(port, process, modes, out_dir):
    os.environ["XLA_FLAGS"] = ("--xla_force_host_platform_device_count=4 "
                               "--xla_backend_optimization_level=0")
    import jax

    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.config.update("jax_default_matmul_precision", "float32")
    import numpy as np
    from jax.experimental import multihost_utils

    import jaxlayers as jl

    jl.distribution.initialize(f"127.0.0.1:{port}", PROCESSES, process)
    results = {"process": jl.distribution.process_index(),
               "count": jl.distribution.process_count(),
               "seed_draw": int(np.random.randint(2**31))}  # equal: the agreed seed
    for mode in modes:
        folder = os.path.join(out_dir, mode)
        if jl.distribution.is_chief():
            os.makedirs(folder, exist_ok=True)
        multihost_utils.sync_global_devices(f"{mode} folder")
        results[mode] = _train(jl, mode, process, folder)
    results["uneven"] = _uneven(jl, process)
    print("RESULT " + json.dumps(results), flush=True)


def _uneven(jl, process):
    """The error each call raises on every process when one holds fewer samples.

    fit: 8 rows against 4 (a step fewer); evaluate and predict: 8 against 6 (as
    many steps, but a last global batch the processes disagree on).
    """
    model, dist = build("data")
    x, y = (share(a, process) for a in dataset())
    calls = {"fit": lambda: model.fit(x[:-4], y[:-4], batch_size=BATCH // PROCESSES,
                                      verbose=0) if process else model.fit(
        x, y, batch_size=BATCH // PROCESSES, verbose=0),
             "evaluate": lambda: model.evaluate(x[:-2] if process else x,
                                                y[:-2] if process else y,
                                                batch_size=BATCH // PROCESSES, verbose=0),
             "predict": lambda: model.predict(x[:-2] if process else x,
                                              batch_size=BATCH // PROCESSES, verbose=0)}
    errors = {}
    with dist.scope():
        for name, call in calls.items():
            try:
                call()
                errors[name] = None
            except jl.errors.DataError as e:
                errors[name] = str(e)
    return errors


def _train(jl, mode, process, folder):
    import numpy as np
    from jax.experimental import multihost_utils

    model, dist = build(mode)
    x, y = (share(a, process) for a in dataset())
    with dist.scope():
        before = model.evaluate(x, y, batch_size=BATCH // PROCESSES, verbose=0)
        history = model.fit(x, y, batch_size=BATCH // PROCESSES, epochs=2, shuffle=False,
                            verbose=0)
        evaluation = model.evaluate(x, y, batch_size=BATCH // PROCESSES, verbose=0,
                                    return_dict=True)
        prediction = model.predict(x, batch_size=BATCH // PROCESSES, verbose=0)
    weights = model.get_weights()
    kernel_spec = list(model.layers[0].kernel.value.sharding.spec)
    # Every process saves; only process 0's files may appear.
    model.save_weights(os.path.join(folder, "final.weights.npz"))
    model.save_weights(os.path.join(folder, f"from_process_{process}.weights.npz"))
    model.save(os.path.join(folder, "final.keras"))
    multihost_utils.sync_global_devices(f"{mode} saved")
    model.load_weights(os.path.join(folder, "final.weights.npz"))
    loaded = jl.saving.load_model(os.path.join(folder, "final.keras"))
    return {
        "before": before,
        "loss": history.history["loss"],
        "evaluate": evaluation,
        "prediction": np.asarray(prediction).tolist(),
        "weights": [w.tolist() for w in weights],
        "reloaded": [w.tolist() for w in model.get_weights()],
        "loaded_model": [w.tolist() for w in loaded.get_weights()],
        "kernel_spec": kernel_spec,
    }


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].split(","), sys.argv[4])
