"""Trains a small CNN on scikit-learn's 8x8 digits with ``fit`` and reports test accuracy.

Run: ``pip install -e ".[examples]" && python examples/digits_cnn.py``
(1,797 images that ship with scikit-learn; nothing is downloaded.)  Stated result: test
accuracy >= 0.97.  The command also saves the test confusion matrix to
``examples/output/digits_cnn.png`` (``--no-plot`` skips it).
"""

import time

import numpy as np
from _common import load_digits, plot_confusion, run_cli

import jaxlayers as jl
from jaxlayers import layers

TARGET_ACCURACY = 0.97


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


def main(epochs=30, seed=0, plot=None):
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
    verdict = "met" if accuracy >= TARGET_ACCURACY else "NOT met"
    print(f"target test accuracy >= {TARGET_ACCURACY}: {verdict}")
    if plot:
        predicted = np.argmax(model.predict(x_test, verbose=0), axis=-1)
        plot_confusion(plot, y_test, predicted, list(range(10)),
                       f"digits CNN: test accuracy {accuracy:.3f}")
    return accuracy


if __name__ == "__main__":
    run_cli(main, __file__, __doc__)
