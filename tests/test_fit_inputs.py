"""What `fit` accepts besides arrays, read as Keras reads it: PyDataset order and class
weights, `validation_freq` as a list of epochs."""

import numpy as np
import pytest

import jaxlayers as jl


class Recorded(jl.utils.PyDataset):
    """Three batches of four samples; records which batch index each read asked for."""

    def __init__(self, x, y, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.reads, self.ends = x, y, [], 0

    def __len__(self):
        return 3

    def __getitem__(self, index):
        self.reads.append(index)
        return self.x[4 * index:4 * index + 4], self.y[4 * index:4 * index + 4]

    def on_epoch_end(self):
        self.ends += 1


@pytest.fixture(scope="module")
def setup():
    rng = np.random.default_rng(11)
    x = rng.normal(size=(12, 3)).astype("float32")
    y = rng.integers(0, 2, size=(12, 1)).astype("float32")
    model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=jl.optimizers.SGD(0.1), loss="binary_crossentropy")
    return model, x, y, model.get_weights()


def test_fit_shuffles_the_batch_order_of_a_py_dataset_each_epoch_as_keras(setup):
    model, x, y, _ = setup
    data = Recorded(x, y)
    model.fit(data, epochs=4, verbose=0)
    epochs = [data.reads[3 * e:3 * e + 3] for e in range(4)]
    assert all(sorted(order) == [0, 1, 2] for order in epochs) and data.ends == 4
    assert len({tuple(order) for order in epochs}) > 1
    data = Recorded(x, y)
    model.fit(data, epochs=2, verbose=0, shuffle=False)
    assert data.reads == [0, 1, 2, 0, 1, 2]


def test_class_weight_applies_to_py_dataset_batches_as_to_arrays(setup):
    model, x, y, start = setup
    weights = {0: 0.5, 1: 2.0}
    model.set_weights(start)
    arrays = model.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False,
                       class_weight=weights).history["loss"]
    model.set_weights(start)
    batches = model.fit(Recorded(x, y), epochs=2, verbose=0, shuffle=False,
                        class_weight=weights).history["loss"]
    np.testing.assert_allclose(batches, arrays, rtol=1e-6)


def test_validation_freq_takes_a_list_of_epochs(setup):
    model, x, y, _ = setup
    history = model.fit(x, y, batch_size=4, epochs=3, verbose=0,
                        validation_data=(x, y), validation_freq=[1, 3])
    assert len(history.history["loss"]) == 3 and len(history.history["val_loss"]) == 2
    with pytest.raises(jl.errors.ConfigError, match=r"`validation_freq` must be a positive "
                                                    r"int\. Received: validation_freq=0"):
        model.fit(x, y, verbose=0, validation_data=(x, y), validation_freq=[0, 2])
