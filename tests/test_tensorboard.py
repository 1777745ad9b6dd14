"""TensorBoard writes event files (through tensorboardX) whose values are fit's logs."""

import builtins
import glob
import os
import struct

import numpy as np
import pytest

import jaxlayers as jl

pytest.importorskip("tensorboardX")


def read_events(run_dir):
    """Every event of the run's event files, parsed from the TFRecord framing."""
    from tensorboardX.proto.event_pb2 import Event

    events = []
    for path in sorted(glob.glob(os.path.join(run_dir, "events.out.tfevents.*"))):
        with open(path, "rb") as f:
            data = f.read()
        offset = 0
        while offset < len(data):
            (length,) = struct.unpack("<Q", data[offset:offset + 8])
            start = offset + 12  # the length, then its 4-byte checksum
            events.append(Event.FromString(data[start:start + length]))
            offset = start + length + 4
    return events


def by_tag(events):
    """``{tag: [(step, summary value), ...]}`` in the order written."""
    out = {}
    for event in events:
        for value in event.summary.value:
            out.setdefault(value.tag, []).append((event.step, value))
    return out


def scalars(values):
    return [(step, value.simple_value) for step, value in values]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("tb")
    jl.set_random_seed(3)  # module fixtures run before the per-test seeding
    model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2, name="d"),
                           jl.layers.Dense(1, name="out")])
    model.compile(optimizer=jl.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    x = np.linspace(-1, 1, 24, dtype=np.float32).reshape(8, 3)
    y = x.sum(axis=1, keepdims=True)
    batch_logs = []
    record = jl.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: batch_logs.append(dict(logs)))
    tb = jl.callbacks.TensorBoard(log_dir, histogram_freq=1, update_freq=3, write_images=True)
    history = model.fit(x, y, epochs=2, batch_size=2, verbose=0, validation_data=(x, y),
                        callbacks=[record, tb])
    evaluation = model.evaluate(x, y, verbose=0, return_dict=True, callbacks=[tb])
    return {"dir": log_dir, "model": model, "history": history.history,
            "batch_logs": batch_logs, "evaluation": evaluation}


def test_epoch_scalars_equal_history_in_train_and_validation_runs(run):
    history = run["history"]
    train = by_tag(read_events(os.path.join(run["dir"], "train")))
    val = by_tag(read_events(os.path.join(run["dir"], "validation")))
    for name in ("loss", "mae"):
        np.testing.assert_allclose(scalars(train[f"epoch_{name}"]),
                                   list(enumerate(history[name])), rtol=1e-6)
        np.testing.assert_allclose(scalars(val[f"epoch_{name}"]),
                                   list(enumerate(history[f"val_{name}"])), rtol=1e-6)
    np.testing.assert_allclose(scalars(train["epoch_learning_rate"]), [(0, 0.05), (1, 0.05)])
    assert not any(tag.startswith("epoch_val") for tag in train)


def test_batch_scalars_every_update_freq_batches(run):
    train = by_tag(read_events(os.path.join(run["dir"], "train")))
    # 4 batches per epoch, 8 in all; update_freq=3 logs global batches 3 and 6 (1-based).
    logged = scalars(train["batch_loss"])
    assert [step for step, _ in logged] == [3, 6]
    expected = [run["batch_logs"][step - 1]["loss"] for step in (3, 6)]
    np.testing.assert_allclose([v for _, v in logged], expected, rtol=1e-6)
    assert [step for step, _ in scalars(train["batch_mae"])] == [3, 6]


def test_evaluate_writes_metrics_against_optimizer_iterations(run):
    # As Keras: every test pass writes them, fit's validation after each epoch included.
    val = by_tag(read_events(os.path.join(run["dir"], "validation")))
    logged = scalars(val["evaluation_loss_vs_iterations"])
    assert [step for step, _ in logged] == [4, 8, 8]
    assert int(run["model"].optimizer.iterations) == 8
    np.testing.assert_allclose([value for _, value in logged],
                               run["history"]["val_loss"] + [run["evaluation"]["loss"]],
                               rtol=1e-6)


def test_weight_histograms_images_and_model_config(run):
    train = by_tag(read_events(os.path.join(run["dir"], "train")))
    model = run["model"]
    for weight in model.weights:
        (step0, first), (step1, last) = train[f"{weight.path}/histogram"]
        assert (step0, step1) == (0, 1)
        values = np.asarray(weight.value)
        histo = last.histo
        assert histo.num == values.size
        np.testing.assert_allclose([histo.min, histo.max, histo.sum],
                                   [values.min(), values.max(), values.sum()], rtol=1e-5)
        # As Keras: a weight that squeezes to a scalar (the (1,) bias) has no image.
        images = train.get(f"{weight.path}/image", [])
        assert len(images) == (2 if np.squeeze(values).ndim else 0)
    (step, config), = train["keras"]
    assert step == 0 and config.metadata.plugin_data.plugin_name == "graph_keras_model"
    assert jl.models.model_from_json(config.tensor.string_val[0].decode()).get_config() == \
        model.get_config()


def test_missing_tensorboardx_is_a_clear_error(monkeypatch):
    real_import = builtins.__import__

    def no_tensorboardx(name, *args, **kwargs):
        if name.split(".")[0] == "tensorboardX":
            raise ImportError("No module named 'tensorboardX'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tensorboardx)
    with pytest.raises(ImportError, match=r"TensorBoard callback .* `pip install tensorboardX`"):
        jl.callbacks.TensorBoard("logs")


@pytest.mark.parametrize("kwargs, match", [
    ({"update_freq": 0}, r"`update_freq` must be 'epoch', 'batch' or a positive int"),
    ({"update_freq": "step"}, r"`update_freq` must be"),
    ({"histogram_freq": -1}, r"histogram_freq"),
    ({"profile_batch": (5, 2)}, r"`profile_batch` must be a non-negative int or a pair"),
    ({"profile_batch": "a,b"}, r"`profile_batch` must be"),
    ({"embeddings_metadata": 3}, r"`embeddings_metadata` must be a file name or a dict"),
])
def test_bad_arguments(tmp_path, kwargs, match):
    with pytest.raises(ValueError if "metadata" not in str(kwargs) else TypeError, match=match):
        jl.callbacks.TensorBoard(tmp_path, **kwargs)


def test_embeddings_with_metadata_and_a_profiled_batch(tmp_path):
    model = jl.Sequential([jl.Input((2,), dtype="int32"), jl.layers.Embedding(4, 3, name="emb"),
                           jl.layers.GlobalAveragePooling1D(), jl.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    labels = tmp_path / "labels.tsv"
    labels.write_text("word\tcount\na\t1\nb\t2\nc\t3\nd\t4\n")
    tb = jl.callbacks.TensorBoard(tmp_path / "logs", embeddings_freq=1, write_graph=False,
                                  embeddings_metadata={"emb": str(labels)}, profile_batch=1)
    x = np.array([[0, 1], [2, 3]], np.int32)
    model.fit(x, np.ones((2, 1), np.float32), epochs=1, verbose=0, callbacks=[tb])
    tensors = glob.glob(str(tmp_path / "logs" / "train" / "*" / "emb" / "tensors.tsv"))
    assert len(tensors) == 1
    np.testing.assert_allclose(np.loadtxt(tensors[0], ndmin=2), np.asarray(model.weights[0].value),
                               rtol=1e-5)
    metadata = os.path.join(os.path.dirname(tensors[0]), "metadata.tsv")
    assert open(metadata).read().splitlines() == ["word\tcount", "a\t1", "b\t2", "c\t3", "d\t4"]
    assert "emb/tensors.tsv" in open(tmp_path / "logs" / "train" / "projector_config.pbtxt").read()
    assert glob.glob(str(tmp_path / "logs" / "train" / "plugins" / "profile" / "*" / "*.xplane.pb"))

    unknown = jl.callbacks.TensorBoard(tmp_path / "l2", embeddings_freq=1,
                                       embeddings_metadata={"nope": str(labels)})
    with pytest.raises(ValueError, match=r"names layers that are not Embedding layers.*'nope'"):
        unknown.set_model(model)
