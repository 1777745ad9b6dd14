"""A Keras 3 program, written once against the `keras` name, runs under Keras and jaxlayers.

The program is ours (not from the Keras docs): a custom layer made of `ops` calls with a
`SeedGenerator`-driven dropout, one-hot labels from `utils.to_categorical`, a learning-rate
schedule, `fit` and `evaluate`. Run with `import jaxlayers as keras` it must reach the accuracy
it reaches under Keras 3 itself.
"""

import pytest

import jaxlayers


def _digits():
    datasets = pytest.importorskip("sklearn.datasets")
    x, y = datasets.load_digits(return_X_y=True)
    x = (x / 16.0).astype("float32")
    return x[:1400], y[:1400], x[1400:], y[1400:]


def keras_program(keras, data):
    """What a Keras user writes; only the module passed as `keras` changes."""
    ops = keras.ops
    x_train, y_train, x_test, y_test = data

    class NoisyResidual(keras.layers.Layer):
        def __init__(self, units, rate=0.1, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.rate = rate
            self.seed_generator = keras.random.SeedGenerator(7)

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                     initializer="glorot_uniform", name="w")
            self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")

        def call(self, x, training=False):
            h = ops.relu(ops.matmul(x, self.w) + self.b)
            if training:
                h = keras.random.dropout(h, self.rate, seed=self.seed_generator)
            return h + ops.mean(h, axis=-1, keepdims=True)

        def get_config(self):
            return {**super().get_config(), "units": self.units, "rate": self.rate}

    keras.utils.set_random_seed(1)
    model = keras.Sequential([
        keras.Input((64,)),
        NoisyResidual(64),
        keras.layers.Dense(10, activation="softmax"),
    ])
    schedule = keras.optimizers.schedules.ExponentialDecay(
        0.05, decay_steps=50, decay_rate=0.7)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=schedule, momentum=0.9),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, keras.utils.to_categorical(y_train, 10), batch_size=32, epochs=6,
              verbose=0)
    _, accuracy = model.evaluate(x_test, keras.utils.to_categorical(y_test, 10), verbose=0)
    return accuracy


@pytest.mark.slow
def test_the_same_program_reaches_keras_accuracy(keras):
    data = _digits()
    ours = keras_program(jaxlayers, data)
    theirs = keras_program(keras, data)
    assert ours > 0.85, ours
    assert abs(ours - theirs) < 0.04, (ours, theirs)
