"""``jl.utils.audio_dataset_from_directory`` on .wav files the tests write, against Keras 3.

Keras's oracle is its ``tf.data`` path (TensorFlow's ``decode_wav``); its
batches are compared as NumPy arrays.
"""

import wave

import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers.errors import ConfigError, DataError
from jaxlayers.utils.directory_datasets import read_wav


def _write(path, samples, rate=8000, width=2):
    """Writes int PCM ``samples`` (length, channels) as a .wav file."""
    samples = np.asarray(samples)
    with wave.open(str(path), "wb") as f:
        f.setnchannels(samples.shape[1])
        f.setsampwidth(width)
        f.setframerate(rate)
        if width == 3:
            raw = samples.astype("<i4").reshape(-1, 1).view(np.uint8)[:, :3].tobytes()
        elif width == 1:
            raw = (samples + 128).astype(np.uint8).tobytes()
        else:
            raw = samples.astype(f"<i{width}").tobytes()
        f.writeframes(raw)


@pytest.fixture
def audio_dir(tmp_path, rng):
    """``no`` (3) and ``yes`` (4) mono 16-bit .wav files of 5 to 12 samples, plus a .txt."""
    root = tmp_path / "audio"
    for name, count in (("no", 3), ("yes", 4)):
        (root / name).mkdir(parents=True)
        for i in range(count):
            length = int(rng.integers(5, 13))
            _write(root / name / f"a{i}.wav", rng.integers(-32768, 32767, (length, 1)))
    (root / "yes" / "notes.txt").write_text("not audio")
    return str(root)


def _collect(batches):
    xs, ys = zip(*batches, strict=True)
    return list(xs), np.concatenate(ys)


@pytest.mark.parametrize("kwargs", [
    {"batch_size": 3},
    {"batch_size": 2, "output_sequence_length": 8, "label_mode": "categorical"},
    {"batch_size": 4, "label_mode": "binary"},
])
def test_audio_dataset_matches_keras(keras_tf, audio_dir, kwargs):
    kwargs = dict(kwargs, shuffle=False, verbose=False)
    ours = jl.utils.audio_dataset_from_directory(audio_dir, **kwargs)
    theirs = keras_tf.utils.audio_dataset_from_directory(audio_dir, **kwargs)
    assert ours.class_names == list(theirs.class_names)
    xs, ys = _collect(ours)
    kxs, kys = _collect(theirs.as_numpy_iterator())
    assert len(xs) == len(kxs) == -(-7 // kwargs["batch_size"])
    for x, kx in zip(xs, kxs, strict=True):
        assert x.shape == kx.shape and x.dtype == kx.dtype == np.float32
        np.testing.assert_allclose(x, kx, rtol=1e-6, atol=1e-7)
    assert ys.dtype == kys.dtype
    np.testing.assert_array_equal(ys, kys)


def test_audio_dataset_subsets_and_unbatched_samples_follow_keras(keras_tf, audio_dir):
    kwargs = dict(seed=3, validation_split=0.3, verbose=False, batch_size=None)
    train, val = jl.utils.audio_dataset_from_directory(audio_dir, subset="both", **kwargs)
    k_train, k_val = keras_tf.utils.audio_dataset_from_directory(audio_dir, subset="both",
                                                                 **kwargs)
    assert len(train) == 5 and len(val) == 2
    # Validation is not shuffled: samples match one by one.
    for (x, y), (kx, ky) in zip(val, k_val.as_numpy_iterator(), strict=True):
        np.testing.assert_allclose(x, kx, rtol=1e-6)
        assert y == ky
    # Training is shuffled by each side's own stream: the same samples, as a set.
    ours = sorted(float(np.abs(x).sum()) for x, _ in train)
    theirs = sorted(float(np.abs(x).sum()) for x, _ in k_train.as_numpy_iterator())
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_audio_dataset_ragged_and_unlabelled(audio_dir):
    ds = jl.utils.audio_dataset_from_directory(audio_dir, labels=None, ragged=True,
                                               batch_size=4, shuffle=False, verbose=False)
    batch = ds[0]
    assert isinstance(batch, list) and len(batch) == 4
    lengths = [len(x) for x in batch]
    assert lengths == [read_wav(p)[0].shape[0] for p in ds.file_paths[:4]]
    assert all(x.shape[1] == 1 for x in batch)


def test_read_wav_scales_every_pcm_width_to_unit_range(tmp_path):
    ints = {1: [-128, 0, 64, 127], 2: [-32768, 0, 16384, 32767],
            3: [-2**23, 0, 2**22, 2**23 - 1], 4: [-2**31, 0, 2**30, 2**31 - 1]}
    for width, values in ints.items():
        stereo = np.stack([values, values[::-1]], axis=1)
        _write(tmp_path / f"w{width}.wav", stereo, rate=100, width=width)
        x, rate = read_wav(tmp_path / f"w{width}.wav")
        assert rate == 100 and x.dtype == np.float32 and x.shape == (4, 2)
        want = np.asarray(stereo, np.float64) / 2.0 ** (8 * width - 1)
        np.testing.assert_allclose(x, want, atol=1e-7)


def test_audio_dataset_resamples_to_sampling_rate(tmp_path):
    (tmp_path / "a").mkdir()
    t = np.arange(400) / 400.0
    tone = np.round(10000 * np.sin(2 * np.pi * 5 * t))[:, None]
    _write(tmp_path / "a" / "tone.wav", tone, rate=400)
    (x, _), = jl.utils.audio_dataset_from_directory(str(tmp_path), sampling_rate=200,
                                                    verbose=False)
    assert x.shape == (1, 200, 1)
    want = 10000 / 32768 * np.sin(2 * np.pi * 5 * np.arange(200) / 200.0)
    np.testing.assert_allclose(x[0, :, 0], want, atol=1e-3)


def test_audio_dataset_argument_errors(audio_dir, tmp_path):
    make = jl.utils.audio_dataset_from_directory
    with pytest.raises(ConfigError, match=r"set at most one of `ragged` and "
                                          r"`output_sequence_length`"):
        make(audio_dir, ragged=True, output_sequence_length=4)
    with pytest.raises(ConfigError, match=r"`sampling_rate` must be a positive int or None. "
                                          r"Received: sampling_rate=0"):
        make(audio_dir, sampling_rate=0)
    with pytest.raises(ConfigError, match=r"`output_sequence_length` must be a positive int"):
        make(audio_dir, output_sequence_length=2.5)
    (tmp_path / "bad" / "c").mkdir(parents=True)
    (tmp_path / "bad" / "c" / "x.wav").write_bytes(b"RIFF1234notawave")
    ds = make(str(tmp_path / "bad"), verbose=False)
    with pytest.raises(DataError, match=r"is not a PCM .wav file"):
        ds[0]
