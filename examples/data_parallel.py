"""Data-parallel training with ``fit`` over 8 devices, on a laptop: forced host (CPU) devices.

``jl.distribution.DataParallel`` replicates the weights on every device and
splits each batch along its first axis; under ``set_distribution`` (or inside
``with dist.scope():``) ``fit``, ``evaluate`` and ``predict`` run one jitted
step with the batch split, and the gradients are summed across devices by
XLA.  ``batch_size`` stays the global batch.  On a machine without several
accelerators, XLA can pretend the CPU is 8 devices, which is what this
example does, so the same script runs unchanged on a GPU or TPU host.

The example checks three things and prints them:

* inside the compiled training step, the batch is split over all devices (a
  small layer asks XLA for the sharding of what it receives);
* the weights after ``fit`` are replicated on every device;
* data-parallel training gives the same weights as single-device training
  from the same initial weights and batches (within float32 round-off: the
  devices sum their partial gradients in another order).

Stated result: 8 devices, the largest weight difference from single-device
training below 1e-4 after 3 epochs, and a test accuracy of at least 0.9 on
scikit-learn's digits (shipped with it, nothing downloaded).  Runs in seconds
on a CPU.

Run: ``python examples/data_parallel.py`` (also saves both runs' loss curves to
``examples/output/data_parallel.png``; ``--no-plot`` skips it).
"""

import os

# XLA reads its flags once, when jax is first imported: the forced device count
# must be in the environment before that (so before `import jaxlayers`, which
# imports jax).  An XLA_FLAGS that already names a device count is kept as is.
if "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                               + " --xla_force_host_platform_device_count=8").strip()

import jax  # noqa: E402  (after the flag above, on purpose)
import numpy as np  # noqa: E402
from _common import load_digits, pyplot, run_cli, save_figure  # noqa: E402

import jaxlayers as jl  # noqa: E402
from jaxlayers import layers  # noqa: E402

TARGET_DEVICES = 8
TARGET_MAX_DIFF = 1e-4
TARGET_ACCURACY = 0.9


class ShardingProbe(layers.Layer):
    """Passes its input through; records how XLA splits it over devices in each trace."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def call(self, inputs):
        # Called when the step is compiled, with the sharding XLA chose for `inputs`.
        jax.debug.inspect_array_sharding(inputs, callback=self.seen.append)
        return inputs


def build_model():
    return jl.Sequential([
        jl.Input(shape=(64,)),
        ShardingProbe(name="probe"),
        layers.Dense(32, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ], name="digits_mlp")


def train(initial_weights, data, epochs, distribution=None):
    """Trains one model from ``initial_weights``; under ``distribution`` when one is given."""
    (x_train, y_train), (x_test, y_test) = data
    jl.distribution.set_distribution(distribution)
    try:
        model = build_model()
        model.set_weights(initial_weights)
        model.compile(optimizer=jl.optimizers.SGD(learning_rate=0.1, momentum=0.9),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        # No shuffling: both runs must see the same batches in the same order.
        history = model.fit(x_train, y_train, batch_size=64, epochs=epochs, shuffle=False,
                            verbose=0)
        _, accuracy = model.evaluate(x_test, y_test, batch_size=64, verbose=0)
    finally:
        jl.distribution.set_distribution(None)
    return model, history.history, accuracy


def main(epochs=3, seed=0, plot=None):
    jl.set_random_seed(seed)
    data = load_digits(seed, flat=True)
    devices = jl.distribution.list_devices()
    print(f"{len(devices)} devices: {devices[0].platform}")
    initial_weights = build_model().get_weights()

    single, single_history, _ = train(initial_weights, data, epochs)
    parallel, parallel_history, accuracy = train(
        initial_weights, data, epochs, jl.distribution.DataParallel(devices=devices))

    seen = parallel.get_layer("probe").seen  # one sharding per compiled step (fit, evaluate)
    batch_devices = min(len(sharding.device_set) for sharding in seen)
    print(f"batch inside the compiled steps: {seen[0]} -> split over {batch_devices} devices")
    kernel = parallel.weights[0].value
    print(f"first kernel after fit: on {len(kernel.sharding.device_set)} devices, "
          f"replicated: {kernel.sharding.is_fully_replicated}")
    max_diff = max(float(np.max(np.abs(a - b)))
                   for a, b in zip(single.get_weights(), parallel.get_weights()))
    print(f"largest weight difference from single-device training: {max_diff:.2e}; "
          f"data-parallel test accuracy {accuracy:.3f}")
    met = (batch_devices == TARGET_DEVICES and max_diff < TARGET_MAX_DIFF
           and accuracy >= TARGET_ACCURACY)
    print(f"target {TARGET_DEVICES} devices, difference < {TARGET_MAX_DIFF}, accuracy >= "
          f"{TARGET_ACCURACY}: {'met' if met else 'NOT met'}")
    if plot:
        plt = pyplot()
        fig, ax = plt.subplots(figsize=(6, 3.6))
        epochs_axis = np.arange(1, epochs + 1)
        ax.plot(epochs_axis, single_history["loss"], marker="o", label="1 device")
        ax.plot(epochs_axis, parallel_history["loss"], marker="x", linestyle="--",
                label=f"{batch_devices} devices, data parallel")
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss")
        ax.set_title(f"same training, largest weight difference {max_diff:.1e}")
        ax.legend()
        save_figure(fig, plot)
    return {"devices": batch_devices, "max_weight_diff": max_diff, "accuracy": accuracy}


if __name__ == "__main__":
    run_cli(main, __file__, __doc__)
