"""Mixed precision: float32 weights, float16 (or bfloat16) math, loss scaling, same accuracy.

``jl.mixed_precision.set_global_policy("mixed_float16")`` makes every layer
created afterwards keep its weights in float32 (the *variable* dtype, so small
updates are not rounded away) and compute in float16 (the *compute* dtype: half
the memory traffic, and the fast path on GPUs).  float16 gradients of a small
loss underflow to zero, so under ``mixed_float16`` ``compile`` wraps the
optimizer in a ``LossScaleOptimizer``: the loss is multiplied by a large scale
before differentiation and the gradients divided by it after, the scale
halving whenever a step overflows and growing again after a run of good steps.
``"mixed_bfloat16"`` (the usual choice on TPUs) needs no scaling: bfloat16 has
float32's exponent range.

The last layer is given ``dtype="float32"``, as Keras recommends, so the
softmax and the loss see float32.  The data is scikit-learn's 8x8 digits
(shipped with it, nothing downloaded).  The same small MLP is trained under the
mixed policy and under float32.  Stated result: the mixed-precision model
reaches a test accuracy of at least 0.93, within 0.03 of float32.  Runs in
seconds on a CPU (a CPU has no fast float16 path: the point here is the
mechanics, the speed comes on accelerators).

Run: ``python examples/mixed_precision.py [--policy mixed_bfloat16]`` (also saves both runs'
training curves to ``examples/output/mixed_precision.png``; ``--no-plot`` skips it).
"""

import time

import numpy as np
from _common import load_digits, pyplot, run_cli, save_figure

import jaxlayers as jl
from jaxlayers import layers

TARGET_ACCURACY = 0.93
TARGET_GAP = 0.03


def build_model():
    return jl.Sequential([
        jl.Input(shape=(64,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(10),
        # float32 output: the softmax and the loss stay exact whatever the policy.
        layers.Activation("softmax", dtype="float32"),
    ], name="digits_mlp")


def train(policy, data, epochs):
    (x_train, y_train), (x_test, y_test) = data
    jl.mixed_precision.set_global_policy(policy)
    try:
        model = build_model()  # layers take the global policy when they are created
        model.compile(optimizer=jl.optimizers.Adam(learning_rate=5e-3),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    finally:
        jl.mixed_precision.set_global_policy("float32")
    dense = model.layers[0]
    print(f"{policy}: Dense variable dtype {dense.kernel.dtype}, compute dtype "
          f"{dense.compute_dtype}, Dense output {dense(x_test[:2]).dtype}, model output "
          f"{model(x_test[:2]).dtype}; optimizer {type(model.optimizer).__name__}")
    start = time.perf_counter()
    history = model.fit(x_train, y_train, batch_size=32, epochs=epochs, verbose=0)
    seconds = time.perf_counter() - start
    _, accuracy = model.evaluate(x_test, y_test, batch_size=360, verbose=0)
    if isinstance(model.optimizer, jl.mixed_precision.LossScaleOptimizer):
        print(f"  loss scale after training: {float(model.optimizer.dynamic_scale):g}")
    print(f"  test accuracy {accuracy:.3f} ({epochs} epochs in {seconds:.1f}s)")
    return accuracy, history.history


def main(policy="mixed_float16", epochs=15, seed=0, plot=None):
    jl.set_random_seed(seed)
    data = load_digits(seed, flat=True)
    mixed, mixed_history = train(policy, data, epochs)
    jl.set_random_seed(seed)  # the same initial weights for the float32 run
    full, full_history = train("float32", data, epochs)
    met = mixed >= TARGET_ACCURACY and full - mixed <= TARGET_GAP
    print(f"{policy} {mixed:.3f} vs float32 {full:.3f}: target >= {TARGET_ACCURACY} within "
          f"{TARGET_GAP} of float32: {'met' if met else 'NOT met'}")
    if plot:
        plt = pyplot()
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
        for key, ax in zip(["loss", "accuracy"], axes):
            for name, history in ((policy, mixed_history), ("float32", full_history)):
                ax.plot(np.arange(1, epochs + 1), history[key], label=name)
            ax.set_xlabel("epoch")
            ax.set_title(f"training {key}")
            ax.legend()
        fig.suptitle(f"{policy}: test accuracy {mixed:.3f}; float32: {full:.3f}")
        save_figure(fig, plot)
    return {policy: mixed, "float32": full}


if __name__ == "__main__":
    run_cli(main, __file__, __doc__)
