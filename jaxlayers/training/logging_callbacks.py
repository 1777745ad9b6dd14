"""Callbacks that send training progress elsewhere: ``TensorBoard`` and ``RemoteMonitor``.

``TensorBoard`` writes TensorBoard event files through ``tensorboardX``, an
optional extra (``pip install tensorboardX`` or ``pip install jaxlayers[tensorboard]``);
TensorFlow is not needed.  ``RemoteMonitor`` posts each epoch's logs to an HTTP
server with the standard library.

Example:
    >>> cb = RemoteMonitor(root="http://localhost:9000", send_as_json=True)
"""

import itertools
import json
import os
import shutil
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings

import jax
import numpy as np

from jaxlayers.core import args as _args
from jaxlayers.distribution import multihost
from jaxlayers.errors import ConfigError, ConfigTypeError
from jaxlayers.training.callback_base import Callback, get_learning_rate

_TB = "TensorBoard"
# Seconds RemoteMonitor waits for the server before warning and going on.
_POST_TIMEOUT = 30
# tensorboardX names event files by the second they were opened: writers opened
# within one second in one directory (fit, then evaluate) need distinct suffixes.
_WRITER_IDS = itertools.count()


def _summary_writer_class():
    """tensorboardX's ``SummaryWriter``, or an ImportError saying how to install it."""
    try:
        from tensorboardX import SummaryWriter
    except ImportError:
        raise ImportError(
            "The TensorBoard callback writes event files with tensorboardX, which is not "
            "installed. Install it with `pip install tensorboardX` (or "
            "`pip install jaxlayers[tensorboard]`)."
        ) from None
    return SummaryWriter


def _profile_range(value):
    """Keras's ``profile_batch``: 0, one batch, a pair, or the string ``"start,stop"``."""
    message = (f"{_TB}: `profile_batch` must be a non-negative int or a pair of positive ints "
               f"(start, stop) with start <= stop. Received: profile_batch={value!r}.")
    pair = value
    if isinstance(value, str):
        try:
            pair = tuple(int(part) for part in value.split(","))
        except ValueError:
            raise ConfigError(message) from None
    if _args.is_int(pair):
        pair = (pair, pair)
    if (not isinstance(pair, (tuple, list)) or len(pair) != 2
            or not all(_args.is_int(p) for p in pair)):
        raise ConfigError(message)
    start, stop = int(pair[0]), int(pair[1])
    if start < 0 or stop < start or (start == 0 and stop != 0):
        raise ConfigError(message)
    return start, stop


def _update_freq(value):
    if value == "batch":
        return 1
    if value == "epoch":
        return value
    if not _args.is_int(value) or value < 1:
        raise ConfigError(
            f"{_TB}: `update_freq` must be 'epoch', 'batch' or a positive int (a number of "
            f"batches). Received: update_freq={value!r}."
        )
    return int(value)


def _weight_image(weight):
    """A weight as an NHWC image batch (Keras's layout), or None when it has no such view."""
    image = np.squeeze(np.asarray(weight, np.float32))
    if image.ndim == 1:
        image = image.reshape(1, image.shape[0], 1, 1)
    elif image.ndim == 2:
        if image.shape[0] > image.shape[1]:
            image = image.T
        image = image.reshape(1, image.shape[0], image.shape[1], 1)
    elif image.ndim == 3:
        # A 1D convolution kernel (width, in, out): one image per output channel.
        image = np.transpose(image, (2, 0, 1))[..., None]
    if image.ndim != 4 or image.shape[-1] not in (1, 3, 4):
        return None
    low, high = float(image.min()), float(image.max())
    return (image - low) / (high - low) if high > low else np.zeros_like(image)


def _read_metadata(path, rows, layer_name):
    """A projector metadata file as (labels, header): one label per row, an optional header."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    if len(lines) == rows:
        return lines, None
    if len(lines) == rows + 1:
        return [line.split("\t") for line in lines[1:]], lines[0].split("\t")
    raise ConfigError(
        f"{_TB}: the embeddings metadata file {path!r} of layer '{layer_name}' must have one "
        f"line per embedding row ({rows}), or a header line and then one per row. It has "
        f"{len(lines)} lines."
    )


class TensorBoard(Callback):
    """Writes TensorBoard logs: metrics, weight histograms and images, embeddings, profiles.

    Logs go to ``log_dir/train`` and ``log_dir/validation`` as in Keras: each epoch
    writes ``epoch_<metric>`` at step ``epoch`` (``val_*`` metrics go to
    ``validation`` without the prefix) and ``epoch_learning_rate``; with an int
    ``update_freq``, every ``update_freq``-th training batch writes
    ``batch_<metric>`` at the step of the global batch count (1-based); ``evaluate``
    writes ``evaluation_<metric>_vs_iterations`` at the optimizer's step count.
    Event files are written with ``tensorboardX`` (an optional extra); view them
    with ``tensorboard --logdir=log_dir``.

    Args:
        log_dir: Directory of the logs; use it for this callback only.
        histogram_freq: Every this many epochs, write a histogram of each weight
            (``<weight path>/histogram``); 0 never.
        write_graph: Write the model's JSON config (the ``graph_keras_model``
            summary TensorBoard's graph page shows) for Sequential and
            Functional models.
        write_images: With ``histogram_freq``, also write each weight that has
            an image view (vectors, matrices, 1D kernels) as an image.
        write_steps_per_second: Also log ``steps_per_second`` each epoch and
            ``batch_steps_per_second`` each logged batch.
        update_freq: ``"epoch"``, ``"batch"`` (every batch) or an int: log the
            batch metrics every that many batches.
        profile_batch: Profile batch ``n`` (an int; 0 disables) or batches
            ``(start, stop)`` with the JAX profiler, into ``log_dir/train``.
        embeddings_freq: Every this many epochs, write each ``Embedding``
            layer's matrix for TensorBoard's projector; 0 never.
        embeddings_metadata: A metadata file for every embedding layer, or
            ``{layer name: file}``: one label per row, or a tab-separated
            header line then one row of labels per embedding row.

    Raises:
        ImportError: tensorboardX is not installed.

    Example:
        >>> cb = TensorBoard(log_dir="logs", histogram_freq=1, update_freq=10)
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None):
        super().__init__()
        self._writer_class = _summary_writer_class()
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = _args.non_negative_int(_TB, "histogram_freq", histogram_freq)
        self.write_graph = bool(write_graph)
        self.write_images = bool(write_images)
        self.write_steps_per_second = bool(write_steps_per_second)
        self.update_freq = _update_freq(update_freq)
        self._start_batch, self._stop_batch = _profile_range(profile_batch)
        self.embeddings_freq = _args.non_negative_int(_TB, "embeddings_freq", embeddings_freq)
        if embeddings_metadata is not None and not isinstance(embeddings_metadata, (str, dict)):
            raise ConfigTypeError(
                f"{_TB}: `embeddings_metadata` must be a file name or a dict "
                f"{{layer name: file name}}. Received: embeddings_metadata={embeddings_metadata!r}."
            )
        self.embeddings_metadata = embeddings_metadata
        self._train_dir = os.path.join(self.log_dir, "train")
        self._val_dir = os.path.join(self.log_dir, "validation")
        self._writers = {}
        self._scratch = None  # where a process other than 0 writes its discarded logs
        self._graph_written_for = None
        self._training = False
        self._global_train_batch = 0
        self._profiling = False
        self._epoch_start = (0.0, 0)
        self._batch_start_time = 0.0

    # ------------------------------------------------------------------ writers
    def _writer(self, name):
        if name not in self._writers:
            folder = self._train_dir if name == "train" else self._val_dir
            if not multihost.is_chief():
                # Other processes of a job log the same global values (and join the
                # same collectives reading sharded weights) into a scratch folder.
                if self._scratch is None:
                    self._scratch = tempfile.mkdtemp(prefix="jaxlayers-tensorboard-")
                folder = os.path.join(self._scratch, name)
            self._writers[name] = self._writer_class(
                folder, filename_suffix=f".{os.getpid()}.{next(_WRITER_IDS)}")
        return self._writers[name]

    def _close_writers(self):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def set_model(self, model):
        self._close_writers()
        super().set_model(model)
        if model is None:
            return
        if self.write_graph and self._graph_written_for is not model:
            self._graph_written_for = model
            self._write_model_config()
        if self.embeddings_freq:
            self._embedding_layers()

    def _write_model_config(self):
        from tensorboardX.proto.summary_pb2 import Summary, SummaryMetadata
        from tensorboardX.proto.tensor_pb2 import TensorProto

        model = self._model
        if type(model).__name__ not in ("Sequential", "Functional") or not hasattr(
                model, "to_json"):
            return
        try:
            text = model.to_json()
        except Exception as error:  # noqa: BLE001 - a model without a config is still trained
            warnings.warn(f"{_TB}: the model has no JSON config, so no graph is written "
                          f"({error}).", stacklevel=3)
            return
        metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(
            plugin_name="graph_keras_model", content=b"1"))
        tensor = TensorProto(dtype="DT_STRING", string_val=[text.encode("utf-8")])
        summary = Summary(value=[Summary.Value(tag="keras", metadata=metadata, tensor=tensor)])
        writer = self._writer("train")
        writer._get_file_writer().add_summary(summary, 0)
        writer.flush()

    # ------------------------------------------------------------------ hooks
    def on_train_begin(self, logs=None):
        self._global_train_batch = 0
        self._training = True

    def on_train_end(self, logs=None):
        if self._profiling:
            self._stop_profile()
        self._training = False
        self._close_writers()

    def on_epoch_begin(self, epoch, logs=None):
        if self.write_steps_per_second:
            self._epoch_start = (time.perf_counter(), self._iterations())

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start_time = time.perf_counter()
        if self._start_batch and self._global_train_batch == self._start_batch:
            jax.profiler.start_trace(self._train_dir)
            self._profiling = True

    def on_train_batch_end(self, batch, logs=None):
        step = self._global_train_batch
        if self._profiling and step >= self._stop_batch:
            self._stop_profile()
        if self.update_freq == "epoch" or step % self.update_freq:
            return
        writer = self._writer("train")
        if self.write_steps_per_second:
            elapsed = time.perf_counter() - self._batch_start_time
            writer.add_scalar("batch_steps_per_second", 1.0 / max(elapsed, 1e-12), step)
        for name, value in (logs or {}).items():
            writer.add_scalar(f"batch_{name}", float(value), step)

    def on_test_end(self, logs=None):
        step = self._iterations()
        if step is not None and logs:
            writer = self._writer("val")
            for name, value in logs.items():
                writer.add_scalar(f"evaluation_{name}_vs_iterations", float(value), step)
        if not self._training:
            # tensorboardX's flush leaves queued events unwritten; only close writes them,
            # so a standalone evaluate ends with complete files.
            self._close_writers()

    def on_epoch_end(self, epoch, logs=None):
        self._log_epoch_metrics(epoch, logs or {})
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        if self.embeddings_freq and epoch % self.embeddings_freq == 0:
            self._log_embeddings(epoch)

    # ------------------------------------------------------------------ what is written
    def _iterations(self):
        optimizer = getattr(self.model, "optimizer", None)
        count = getattr(optimizer, "iterations", None)
        return None if count is None else int(np.asarray(getattr(count, "value", count)))

    def _learning_rates(self):
        optimizer = getattr(self.model, "optimizer", None)
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        if optimizer is None:
            return {}
        inner = getattr(optimizer, "optimizers", None)
        if inner:
            return {f"learning_rate_{opt.name}": float(opt.learning_rate) for opt in inner}
        try:
            return {"learning_rate": get_learning_rate(self.model, _TB)}
        except (ConfigError, TypeError):  # a raw optax transform without a visible rate
            return {}

    def _log_epoch_metrics(self, epoch, logs):
        if not logs:
            return
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        train.update(self._learning_rates())
        if self.write_steps_per_second:
            started, count = self._epoch_start
            steps = (self._iterations() or 0) - (count or 0)
            train["steps_per_second"] = steps / max(time.perf_counter() - started, 1e-12)
        val = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        for name, values in (("train", train), ("val", val)):
            if not values:
                continue
            writer = self._writer(name)
            for key, value in values.items():
                writer.add_scalar(f"epoch_{key}", float(value), epoch)
            writer.flush()

    def _log_weights(self, epoch):
        writer = self._writer("train")
        for layer in self.model.layers:
            for weight in layer.weights:
                name = weight.path.replace(":", "_")
                value = np.asarray(weight.value if hasattr(weight, "value") else weight)
                writer.add_histogram(f"{name}/histogram", value, epoch)
                image = _weight_image(value) if self.write_images else None
                if image is not None:
                    writer.add_images(f"{name}/image", image, epoch, dataformats="NHWC")
        writer.flush()

    def _embedding_layers(self):
        from jaxlayers.layers.core import Embedding

        layers = [layer for layer in self._model.layers if isinstance(layer, Embedding)]
        if isinstance(self.embeddings_metadata, dict):
            unknown = sorted(set(self.embeddings_metadata) - {layer.name for layer in layers})
            if unknown:
                raise ConfigError(
                    f"{_TB}: `embeddings_metadata` names layers that are not Embedding layers "
                    f"of the model: {unknown}. Embedding layers: "
                    f"{[layer.name for layer in layers]}."
                )
        return layers

    def _log_embeddings(self, epoch):
        writer = self._writer("train")
        for layer in self._embedding_layers():
            matrix = np.asarray(layer.embeddings.value if hasattr(layer.embeddings, "value")
                                else layer.embeddings)
            path = self.embeddings_metadata
            if isinstance(path, dict):
                path = path.get(layer.name)
            labels, header = (None, None) if path is None else _read_metadata(
                path, matrix.shape[0], layer.name)
            writer.add_embedding(matrix, metadata=labels, metadata_header=header,
                                 global_step=epoch, tag=layer.name)
        writer.flush()

    def _stop_profile(self):
        jax.profiler.stop_trace()
        self._profiling = False


def _json_value(value):
    if isinstance(value, (np.ndarray, np.generic, jax.Array)):
        array = np.asarray(value)
        return array.item() if array.ndim == 0 else array.tolist()
    return value


class RemoteMonitor(Callback):
    """POSTs each epoch's logs to an HTTP server, e.g. a live dashboard.

    The payload is ``{"epoch": epoch, **logs}``.  By default it is sent as an HTML
    form (``application/x-www-form-urlencoded``) whose field ``field`` holds the
    payload as JSON text; with ``send_as_json`` the body is the JSON itself
    (``application/json``).  A server that cannot be reached gives a warning,
    never an error: training goes on.

    Args:
        root: Server address, e.g. ``"http://localhost:9000"``.
        path: Path appended to ``root`` for the requests.
        field: Form field holding the payload (form encoding only).
        headers: Dict of extra HTTP headers.
        send_as_json: Send the payload as the JSON body.

    Example:
        >>> cb = RemoteMonitor(root="http://localhost:9000", path="/publish/epoch/end/")
    """

    def __init__(self, root="http://localhost:9000", path="/publish/epoch/end/", field="data",
                 headers=None, send_as_json=False):
        super().__init__()
        if headers is not None and not isinstance(headers, dict):
            raise ConfigTypeError(
                f"RemoteMonitor: `headers` must be a dict of HTTP headers. "
                f"Received: headers={headers!r}."
            )
        self.root = _args.string("RemoteMonitor", "root", root)
        self.path = _args.string("RemoteMonitor", "path", path)
        self.field = _args.string("RemoteMonitor", "field", field)
        self.headers = headers
        self.send_as_json = _args.boolean("RemoteMonitor", "send_as_json", send_as_json)

    def on_epoch_end(self, epoch, logs=None):
        payload = {"epoch": epoch}
        payload.update((key, _json_value(value)) for key, value in (logs or {}).items())
        if self.send_as_json:
            body = json.dumps(payload).encode("utf-8")
            content_type = "application/json"
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(payload)}).encode("ascii")
            content_type = "application/x-www-form-urlencoded"
        headers = {"Content-Type": content_type, **(self.headers or {})}
        request = urllib.request.Request(self.root + self.path, data=body, headers=headers,
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=_POST_TIMEOUT) as response:
                response.read()
        except (urllib.error.URLError, OSError) as error:
            warnings.warn(f"RemoteMonitor: could not reach the server at {self.root} ({error}).",
                          stacklevel=2)


__all__ = ["TensorBoard", "RemoteMonitor"]
