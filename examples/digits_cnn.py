"""Trains a small CNN on scikit-learn's 8x8 digits with ``fit`` and reports test accuracy.

Run: ``pip install -e ".[examples]" && python examples/digits_cnn.py``
(1,797 images that ship with scikit-learn; nothing is downloaded.)
"""

import argparse
import time

import numpy as np

import jaxlayers as jl
from jaxlayers import layers


def load_digits(seed=0):
    try:
        from sklearn.datasets import load_digits as sk_load_digits
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise SystemExit(
            "This example needs scikit-learn for its bundled digits data: "
            "pip install -e '.[examples]'"
        ) from e
    digits = sk_load_digits()
    x = (digits.images.astype(np.float32) / 16.0)[..., None]  # (n, 8, 8, 1) in [0, 1]
    y = digits.target.astype(np.int32)
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    split = int(0.8 * len(x))
    return (x[:split], y[:split]), (x[split:], y[split:])


def build_model():
    return jl.Sequential([
        jl.Input(shape=(8, 8, 1)),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.GlobalAveragePooling2D(),
        layers.Dense(64, activation="relu"),
        layers.Dropout(0.2),
        layers.Dense(10, activation="softmax"),
    ], name="digits_cnn")


def main(epochs=30, seed=0):
    jl.set_random_seed(seed)
    (x_train, y_train), (x_test, y_test) = load_digits(seed)
    model = build_model()
    model.summary()
    model.compile(optimizer=jl.optimizers.Adam(learning_rate=3e-3),
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, validation_split=0.1,
              verbose=2)
    elapsed = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test loss: {loss:.4f}  test accuracy: {accuracy:.4f}  "
          f"(trained {epochs} epochs in {elapsed:.1f}s)")
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(args.epochs, args.seed)
