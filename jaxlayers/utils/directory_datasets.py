"""``image_``, ``text_`` and ``audio_dataset_from_directory`` without TensorFlow.

Both return a :class:`DirectoryDataset`: a :class:`~jaxlayers.utils.PyDataset`
of NumPy batches that ``fit``/``evaluate``/``predict`` read directly, with
Keras's ``class_names`` and ``file_paths`` attributes.  Files are read when
their batch is requested (``workers > 1`` reads ahead on threads).  Images are
decoded with Pillow and resized with :func:`jaxlayers.ops.image.resize` (on
the CPU); texts are read as UTF-8 strings, as Keras's non-TensorFlow path
reads them (``max_length`` counts characters).

With ``shuffle=True`` the first pass follows ``file_paths`` (Keras's
seeded global shuffle) and every later pass a new seeded permutation.
"""

import wave

import jax
import numpy as np

from jaxlayers import backend
from jaxlayers.errors import ConfigError, DataError
from jaxlayers.ops import _augment as augment
from jaxlayers.ops import image as image_ops
from jaxlayers.training.data import count_arg
from jaxlayers.utils import directory_index as index_lib
from jaxlayers.utils import images as images_lib
from jaxlayers.utils.py_dataset import SampleBatches

IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
TEXT_FORMATS = (".txt",)
AUDIO_FORMATS = (".wav",)
_CHANNELS = {"rgb": 3, "rgba": 4, "grayscale": 1}


class DirectoryDataset(SampleBatches):
    """Batches of samples read from files: ``(x, labels)``, or ``x`` without labels.

    Attributes:
        file_paths: The files, in the order of the first pass.
        class_names: The class names (``None`` without labels).

    Args:
        file_paths: The files.
        labels: One label per file (already encoded), or ``None``.
        class_names: The class names, or ``None``.
        load: Callable reading one file into an array.
        batch_size: Files per batch, or ``None`` for single samples.
        shuffle_seed: As for :class:`~jaxlayers.utils.py_dataset.SampleBatches`.
        collate: Callable joining the loaded samples of a batch.

    Example:
        >>> data = DirectoryDataset(["a.txt", "b.txt"], np.array([0, 1]), ["x", "y"],
        ...                         load=lambda path: np.array(len(path)), batch_size=2)
        >>> x, labels = data[0]
        >>> x.tolist(), labels.tolist()
        ([5, 5], [0, 1])
    """

    def __init__(self, file_paths, labels, class_names, load, batch_size, shuffle_seed=None,
                 collate=np.stack):
        super().__init__(np.arange(len(file_paths)), batch_size, shuffle_seed)
        self.file_paths = list(file_paths)
        self.class_names = class_names
        self._labels = labels
        self._load = load
        self._collate = collate

    def make_batch(self, picked):
        if self.batch_size is None:
            x = self._load(self.file_paths[picked])
        else:
            x = self._collate([self._load(self.file_paths[i]) for i in picked])
        return x if self._labels is None else (x, self._labels[picked])


def _datasets(owner, directory, labels, label_mode, class_names, batch_size, shuffle, seed,
              validation_split, subset, follow_links, verbose, formats, load, collate=np.stack):
    """The shared body of the public functions: index, split, encode, wrap."""
    index_lib.check_arguments(owner, labels, label_mode, class_names, validation_split, subset,
                              shuffle, seed)
    batch_size = count_arg(owner, "batch_size", batch_size)
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    if seed is None:
        seed = np.random.randint(10**6)
    paths, found, names = index_lib.index_directory(
        owner, directory, labels, formats, class_names=class_names, shuffle=shuffle, seed=seed,
        follow_links=follow_links, verbose=verbose)
    if label_mode == "binary" and len(names) != 2:
        raise ConfigError(
            f"{owner}: label_mode='binary' needs exactly 2 classes. Received: "
            f"class_names={names!r}."
        )
    encoded = None if found is None else index_lib.encode_labels(found, label_mode, len(names))
    subsets = ("training", "validation") if subset == "both" else (subset,)
    datasets = []
    for part in subsets:
        part_paths, part_labels = index_lib.split_subset(owner, paths, encoded, validation_split,
                                                         part, verbose)
        if not part_paths:
            raise DataError(
                f"{owner}: no {'' if part is None else part + ' '}files found in "
                f"{directory!r}. Accepted extensions: {formats}."
            )
        reshuffle = seed + 1 if shuffle and part != "validation" else None
        datasets.append(DirectoryDataset(part_paths, part_labels, names, load, batch_size,
                                         reshuffle, collate))
    return datasets if subset == "both" else datasets[0]


def _image_size(owner, image_size):
    if isinstance(image_size, int) and not isinstance(image_size, bool):
        image_size = (image_size, image_size)
    if (not isinstance(image_size, (list, tuple)) or len(image_size) != 2
            or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0
                       for s in image_size)):
        raise ConfigError(
            f"{owner}: `image_size` must be (height, width), two positive ints. "
            f"Received: image_size={image_size!r}."
        )
    return tuple(image_size)


def image_loader(image_size, color_mode, interpolation, crop_to_aspect_ratio,
                 pad_to_aspect_ratio, data_format):
    """A function path -> float32 image array of ``image_size``, Keras's way."""
    cpu = jax.devices("cpu")[0]

    def load(path):
        img = images_lib.convert_mode(images_lib.open_image(path, "image_dataset_from_directory"),
                                      color_mode, "image_dataset_from_directory")
        x = np.asarray(img, np.float32)
        x = x[..., None] if x.ndim == 2 else x
        if data_format == "channels_first":
            x = np.transpose(x, (2, 0, 1))
        with jax.default_device(cpu):
            out = image_ops.resize(jax.device_put(x, cpu), image_size,
                                   interpolation=interpolation,
                                   crop_to_aspect_ratio=crop_to_aspect_ratio,
                                   pad_to_aspect_ratio=pad_to_aspect_ratio,
                                   data_format=data_format)
        return np.asarray(out)

    return load


def image_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, color_mode="rgb", batch_size=32,
                                 image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear",
                                 follow_links=False, crop_to_aspect_ratio=False,
                                 pad_to_aspect_ratio=False, data_format=None, format="tf",
                                 verbose=True):
    """Batches of images (and labels) from a folder with one subfolder per class.

    Args:
        directory: Folder of images; with ``labels='inferred'`` each subfolder is a class.
        labels: ``'inferred'``, ``None`` or a list of int labels (sorted path order).
        label_mode: ``'int'`` (int32 ids), ``'categorical'`` (one-hot float32),
            ``'binary'`` (float32 ``(n, 1)``, two classes) or ``None`` (no labels).
        class_names: With ``labels='inferred'``: the subfolders to use, in class order.
        color_mode: ``'rgb'``, ``'rgba'`` or ``'grayscale'``.
        batch_size: Images per batch, or ``None`` for single images.
        image_size: ``(height, width)`` every image is resized to.
        shuffle: Shuffle the files (else alphanumeric order).
        seed: Seed of the shuffle and of the validation split.
        validation_split: Fraction of the files kept for validation.
        subset: ``'training'``, ``'validation'`` or ``'both'`` (a list of two datasets).
        interpolation: Resize method: one of ``jaxlayers.ops._augment.RESIZE_INTERPOLATIONS``.
        follow_links: Walk into symlinked subfolders.
        crop_to_aspect_ratio: Crop to the target's aspect ratio before resizing.
        pad_to_aspect_ratio: Pad to the target's aspect ratio before resizing.
        data_format: ``'channels_last'`` or ``'channels_first'`` (default: global setting).
        format: Keras's ``'tf'`` or ``'grain'``; both give this NumPy dataset here.
        verbose: Print how many files and classes were found.

    Returns:
        A :class:`DirectoryDataset` of ``(images, labels)`` float32 batches (a
        list of two for ``subset='both'``).

    Example:
        >>> import os
        >>> for name in ("cat", "dog"):
        ...     os.makedirs(f"pets/{name}")
        ...     for i in range(2):
        ...         jl.utils.save_img(f"pets/{name}/{i}.png", np.zeros((4, 6, 3)))
        >>> data = image_dataset_from_directory("pets", image_size=(4, 6), batch_size=4,
        ...                                     shuffle=False)
        Found 4 files belonging to 2 classes.
        >>> images, labels = next(iter(data))
        >>> images.shape, labels.tolist(), data.class_names
        ((4, 4, 6, 3), [0, 0, 1, 1], ['cat', 'dog'])
    """
    owner = "image_dataset_from_directory"
    if color_mode not in _CHANNELS:
        raise ConfigError(
            f"{owner}: `color_mode` must be one of {sorted(_CHANNELS)}. "
            f"Received: color_mode={color_mode!r}."
        )
    image_size = _image_size(owner, image_size)
    interpolation = str(interpolation).lower()
    if interpolation not in augment.RESIZE_INTERPOLATIONS:
        raise ConfigError(
            f"{owner}: `interpolation` must be one of {augment.RESIZE_INTERPOLATIONS}. "
            f"Received: interpolation={interpolation!r}."
        )
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ConfigError(
            f"{owner}: set at most one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio`."
        )
    _check_format(owner, format)
    data_format = backend.standardize_data_format(data_format, owner=owner)
    images_lib.pil_image()  # a clear ImportError now, not at the first batch
    load = image_loader(image_size, color_mode, interpolation, crop_to_aspect_ratio,
                        pad_to_aspect_ratio, data_format)
    return _datasets(owner, directory, labels, label_mode, class_names, batch_size, shuffle,
                     seed, validation_split, subset, follow_links, verbose, IMAGE_FORMATS, load)


def _check_format(owner, format):
    if format not in ("tf", "grain"):
        raise ConfigError(
            f"{owner}: `format` must be 'tf' or 'grain' (both give a NumPy PyDataset in "
            f"jaxlayers). Received: format={format!r}."
        )


def text_loader(max_length):
    """A function path -> the file's text (UTF-8), cut to ``max_length`` characters."""

    def load(path):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        return text if max_length is None else text[:max_length]

    return load


def text_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                class_names=None, batch_size=32, max_length=None, shuffle=True,
                                seed=None, validation_split=None, subset=None,
                                follow_links=False, format="tf", verbose=True):
    """Batches of texts (and labels) from a folder of ``.txt`` files, one subfolder per class.

    Args:
        directory: Folder of ``.txt`` files; with ``labels='inferred'`` each
            subfolder is a class.
        labels: ``'inferred'``, ``None`` or a list of int labels (sorted path order).
        label_mode: ``'int'``, ``'categorical'``, ``'binary'`` or ``None``.
        class_names: With ``labels='inferred'``: the subfolders to use, in class order.
        batch_size: Texts per batch, or ``None`` for single texts.
        max_length: Keep at most this many characters of each text.
        shuffle: Shuffle the files (else alphanumeric order).
        seed: Seed of the shuffle and of the validation split.
        validation_split: Fraction of the files kept for validation.
        subset: ``'training'``, ``'validation'`` or ``'both'``.
        follow_links: Walk into symlinked subfolders.
        format: Keras's ``'tf'`` or ``'grain'``; both give this NumPy dataset here.
        verbose: Print how many files and classes were found.

    Returns:
        A :class:`DirectoryDataset` of ``(texts, labels)`` batches, ``texts`` a
        NumPy string array (feed it to a ``TextVectorization`` layer, e.g. with
        ``ds.map(lambda x, y: (vectorize(x), y))``).

    Example:
        >>> import os
        >>> for name in ("neg", "pos"):
        ...     os.makedirs(f"reviews/{name}")
        ...     with open(f"reviews/{name}/a.txt", "w") as f:
        ...         _ = f.write(f"a {name} review")
        >>> data = text_dataset_from_directory("reviews", batch_size=2, shuffle=False)
        Found 2 files belonging to 2 classes.
        >>> texts, labels = next(iter(data))
        >>> texts.tolist(), labels.tolist()
        (['a neg review', 'a pos review'], [0, 1])
    """
    owner = "text_dataset_from_directory"
    max_length = count_arg(owner, "max_length", max_length)
    _check_format(owner, format)
    return _datasets(owner, directory, labels, label_mode, class_names, batch_size, shuffle,
                     seed, validation_split, subset, follow_links, verbose, TEXT_FORMATS,
                     text_loader(max_length))


def read_wav(path, owner="audio_dataset_from_directory"):
    """``(float32 samples (length, channels) in [-1, 1], sampling rate)`` of a PCM ``.wav`` file."""
    try:
        with wave.open(str(path), "rb") as f:
            width, channels, rate = f.getsampwidth(), f.getnchannels(), f.getframerate()
            raw = f.readframes(f.getnframes())
    except (wave.Error, EOFError) as err:
        raise DataError(f"{owner}: {path!r} is not a PCM .wav file ({err}).") from err
    if width == 1:  # 8-bit PCM is unsigned, centered on 128
        x = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 3:  # 24-bit little-endian: widen each sample to the top of an int32
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        x = ((b[:, 0] << 8) | (b[:, 1] << 16) | (b[:, 2] << 24)).astype(np.float32) / 2.0**31
    else:
        x = np.frombuffer(raw, f"<i{width}").astype(np.float32) / 2.0 ** (8 * width - 1)
    return x.reshape(-1, channels), rate


def _resample(x, rate_in, rate_out):
    """Band-limited (Fourier) resampling along axis 0."""
    if rate_in == rate_out or len(x) == 0:
        return x
    n_out = max(1, round(len(x) * rate_out / rate_in))
    spectrum = np.fft.rfft(x, axis=0)
    return (np.fft.irfft(spectrum, n=n_out, axis=0) * (n_out / len(x))).astype(np.float32)


def audio_loader(sampling_rate, output_sequence_length):
    """A function path -> float32 ``(length, channels)`` audio, Keras's way."""

    def load(path):
        x, rate = read_wav(path)
        if sampling_rate is not None:
            x = _resample(x, rate, sampling_rate)
        if output_sequence_length is not None:
            x = x[:output_sequence_length]
            x = np.pad(x, ((0, output_sequence_length - len(x)), (0, 0)))
        return x

    return load


def pad_to_longest(samples):
    """Stacks ``(length, channels)`` arrays, zero-padding each to the longest length."""
    longest = max(len(x) for x in samples)
    return np.stack([np.pad(x, ((0, longest - len(x)), (0, 0))) for x in samples])


def audio_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, batch_size=32, sampling_rate=None,
                                 output_sequence_length=None, ragged=False, shuffle=True,
                                 seed=None, validation_split=None, subset=None,
                                 follow_links=False, verbose=True):
    """Batches of audio (and labels) from a folder of ``.wav`` files, one subfolder per class.

    Files are read with the standard library's ``wave`` module (PCM, 8 to 32
    bits), as float32 ``(length, channels)`` in ``[-1, 1]``, like TensorFlow's
    ``decode_wav``.

    Args:
        directory: Folder of ``.wav`` files; with ``labels='inferred'`` each
            subfolder is a class.
        labels: ``'inferred'``, ``None`` or a list of int labels (sorted path order).
        label_mode: ``'int'``, ``'categorical'``, ``'binary'`` or ``None``.
        class_names: With ``labels='inferred'``: the subfolders to use, in class order.
        batch_size: Sequences per batch, or ``None`` for single sequences.
        sampling_rate: Resample every file to this rate (Fourier resampling;
            Keras uses tensorflow-io's); ``None`` keeps each file's rate.
        output_sequence_length: Cut or zero-pad every sequence to this length;
            ``None`` pads each batch to its longest sequence.
        ragged: Give each batch as a list of unpadded ``(length, channels)``
            arrays (Keras gives a ragged tensor).
        shuffle: Shuffle the files (else alphanumeric order).
        seed: Seed of the shuffle and of the validation split.
        validation_split: Fraction of the files kept for validation.
        subset: ``'training'``, ``'validation'`` or ``'both'``.
        follow_links: Walk into symlinked subfolders.
        verbose: Print how many files and classes were found.

    Returns:
        A :class:`DirectoryDataset` of ``(audio, labels)`` batches, ``audio``
        float32 ``(batch, length, channels)`` (a list of two for ``subset='both'``).

    Example:
        >>> import os, wave
        >>> for name in ("no", "yes"):
        ...     os.makedirs(f"words/{name}")
        ...     with wave.open(f"words/{name}/a.wav", "wb") as f:
        ...         f.setnchannels(1); f.setsampwidth(2); f.setframerate(8000)
        ...         f.writeframes(np.zeros(80, "int16").tobytes())
        >>> data = audio_dataset_from_directory("words", batch_size=2, shuffle=False)
        Found 2 files belonging to 2 classes.
        >>> audio, labels = next(iter(data))
        >>> audio.shape, labels.tolist()
        ((2, 80, 1), [0, 1])
    """
    owner = "audio_dataset_from_directory"
    output_sequence_length = count_arg(owner, "output_sequence_length", output_sequence_length)
    sampling_rate = count_arg(owner, "sampling_rate", sampling_rate)
    if ragged and output_sequence_length is not None:
        raise ConfigError(
            f"{owner}: set at most one of `ragged` and `output_sequence_length`. Received: "
            f"ragged={ragged!r}, output_sequence_length={output_sequence_length!r}."
        )
    collate = list if ragged else pad_to_longest
    return _datasets(owner, directory, labels, label_mode, class_names, batch_size, shuffle,
                     seed, validation_split, subset, follow_links, verbose, AUDIO_FORMATS,
                     audio_loader(sampling_rate, output_sequence_length), collate)


__all__ = ["image_dataset_from_directory", "text_dataset_from_directory",
           "audio_dataset_from_directory", "DirectoryDataset"]
