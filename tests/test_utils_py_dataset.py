"""``jl.utils.PyDataset``: batches by index, epoch hooks, threaded read-ahead, ``fit``."""

import math
import threading
import time

import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers.errors import ConfigError, ConfigTypeError


class _Counting(jl.utils.PyDataset):
    """``n`` batches of 2 samples; records the hooks and which threads loaded batches."""

    def __init__(self, n=4, delay=0.0, **kwargs):
        super().__init__(**kwargs)
        self.n, self.delay = n, delay
        self.events, self.threads = [], set()

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        if index >= self.n:
            raise IndexError(index)
        self.threads.add(threading.current_thread().name)
        time.sleep(self.delay * ((index * 7) % 3))  # uneven: out-of-order completion
        x = np.full((2, 3), float(index), np.float32)
        return x, np.full((2, 1), float(index), np.float32)

    def on_epoch_begin(self):
        self.events.append("begin")

    def on_epoch_end(self):
        self.events.append("end")


def test_iteration_is_one_epoch_with_hooks():
    ds = _Counting()
    assert ds.num_batches == 4 and (ds.workers, ds.use_multiprocessing, ds.max_queue_size) == (
        1, False, 10)
    assert [int(x[0, 0]) for x, _ in ds] == [0, 1, 2, 3]
    assert ds.events == ["begin", "end"]
    assert ds.threads == {threading.current_thread().name}


@pytest.mark.parametrize("kwargs", [{"workers": 3}, {"workers": 2, "use_multiprocessing": True,
                                                     "max_queue_size": 1}])
def test_workers_read_ahead_on_threads_in_order(kwargs):
    ds = _Counting(n=9, delay=0.01, **kwargs)
    assert [int(x[0, 0]) for x, _ in ds] == list(range(9))
    assert ds.threads and threading.current_thread().name not in ds.threads
    assert ds.events == ["begin", "end"]


def test_a_dataset_without_len_ends_at_index_error():
    class Endless(jl.utils.PyDataset):
        def __getitem__(self, index):
            if index == 3:
                raise IndexError(index)
            return (np.array([index]),)

    ds = Endless(workers=2)
    assert ds.num_batches is None
    assert [int(x[0]) for (x,) in ds] == [0, 1, 2]


def test_batches_become_tuples_and_map_applies_to_them():
    class Mixed(jl.utils.PyDataset):
        def __len__(self):
            return 3

        def __getitem__(self, index):
            return [np.ones(2), np.zeros(2)] if index == 0 else (
                np.ones(2) if index == 1 else {"a": np.ones(2)})

    batches = list(Mixed())
    assert [type(b) for b in batches] == [tuple] * 3 and [len(b) for b in batches] == [2, 1, 1]
    mapped = _Counting(n=2).map(lambda x, y: (x + 1, y * 0))
    assert len(mapped) == 2 and [int(x[0, 0]) for x, _ in mapped] == [1, 2]
    assert mapped.source.events == ["begin", "end"]


def test_adapt_reads_a_mapped_dataset_of_inputs_only():
    class Texts(jl.utils.PyDataset):
        def __len__(self):
            return 2

        def __getitem__(self, index):
            texts = [["red fox", "blue fox"], ["red hen", "fox"]][index]
            return np.array(texts), np.array([index, index])

    vectorize = jl.layers.TextVectorization()
    vectorize.adapt(Texts().map(lambda x, y: x))  # batches arrive as (x,)
    assert vectorize.get_vocabulary() == ["", "[UNK]", "fox", "red", "hen", "blue"]


def test_argument_errors_and_missing_pieces():
    with pytest.raises(ConfigError, match=r"_Counting: `workers` must be an int >= 0"):
        _Counting(workers=-1)
    with pytest.raises(ConfigError, match=r"`max_queue_size` must be an int >= 0"):
        _Counting(max_queue_size=1.5)

    class NoItems(jl.utils.PyDataset):
        def __len__(self):
            return 1

    with pytest.raises(ConfigTypeError, match=r"must define __getitem__"):
        iter(NoItems())

    class NoSuper(jl.utils.PyDataset):
        def __init__(self):
            pass

        def __len__(self):
            return 1

        def __getitem__(self, index):
            return (np.zeros(1),)

    with pytest.warns(UserWarning, match=r"should call super\(\).__init__"):
        assert len(list(NoSuper())) == 1
    assert jl.utils.Sequence is jl.utils.PyDataset


def test_fit_reads_a_py_dataset_and_calls_its_hooks_every_epoch():
    model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    ds = _Counting(n=3, workers=2)
    history = model.fit(ds, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 3
    assert ds.events == ["begin", "end"] * 3
    assert model.evaluate(ds, verbose=0) >= 0 and ds.events[-2:] == ["begin", "end"]
    assert model.predict(ds, verbose=0).shape == (6, 1)


def test_a_keras_3_script_runs_with_only_the_import_changed():
    import jaxlayers as keras

    rng = np.random.default_rng(7)
    # Token sequences of varied length; the class is the first token modulo 3.
    sequences = [list(rng.integers(1, 12, rng.integers(2, 9))) for _ in range(96)]
    labels = np.array([s[0] % 3 for s in sequences])
    x = keras.utils.pad_sequences(sequences, maxlen=8, padding="post", truncating="post")
    y = keras.utils.to_categorical(labels, num_classes=3)

    class Batches(keras.utils.PyDataset):
        def __init__(self, x, y, batch_size, **kwargs):
            super().__init__(**kwargs)
            self.x, self.y, self.batch_size = x, y, batch_size
            self.order = np.arange(len(x))
            self.epochs_seen = 0

        def __len__(self):
            return math.ceil(len(self.x) / self.batch_size)

        def __getitem__(self, idx):
            rows = self.order[idx * self.batch_size:(idx + 1) * self.batch_size]
            return self.x[rows], self.y[rows]

        def on_epoch_end(self):
            self.epochs_seen += 1
            rng.shuffle(self.order)

    model = keras.Sequential([
        keras.Input(shape=(8,), dtype="int32"),
        keras.layers.Embedding(12, 16),
        keras.layers.Flatten(),
        keras.layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    train = Batches(x, y, batch_size=16, workers=2)
    history = model.fit(train, epochs=8, verbose=0)
    assert train.epochs_seen == 8
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.9
