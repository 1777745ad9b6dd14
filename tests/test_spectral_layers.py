"""MelSpectrogram, STFTSpectrogram and the STFT initializer against Keras 3 and NumPy."""

import jax
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers import errors, initializers, layers
from tests.helpers import assert_close, set_same_random_weights


def _arguments(layer):
    """The layer's own config entries (not its name or dtype policy)."""
    return {k: v for k, v in layer.get_config().items() if k not in ("name", "dtype")}


_MEL_CONFIGS = [
    dict(fft_length=64, sequence_stride=16, num_mel_bins=10, sampling_rate=8000),
    dict(fft_length=64, sequence_stride=20, sequence_length=48, window="hamming",
         num_mel_bins=8, sampling_rate=16000, min_freq=100.0, max_freq=6000.0,
         power_to_db=False, mag_exp=1.0),
    dict(fft_length=32, sequence_stride=8, window=None, num_mel_bins=6, sampling_rate=4000,
         top_db=20.0, ref_power=0.5, min_power=1e-6),
]


@pytest.mark.parametrize("config", _MEL_CONFIGS)
def test_mel_spectrogram_matches_keras(keras, rng, config):
    x = rng.standard_normal((2, 300)).astype(np.float32)
    ours, theirs = layers.MelSpectrogram(**config), keras.layers.MelSpectrogram(**config)
    expected = np.asarray(theirs(x))
    assert_close(ours(x), expected, rtol=1e-4, atol=2e-3)
    # Unbatched audio: (samples,) -> (num_mel_bins, frames).
    assert_close(ours(x[0]), np.asarray(theirs(x[0])), rtol=1e-4, atol=2e-3)
    assert _arguments(ours) == _arguments(theirs)


def test_mel_spectrogram_reads_a_keras_config_and_matches_numpy(keras, rng):
    theirs = keras.layers.MelSpectrogram(fft_length=32, sequence_stride=16, num_mel_bins=5,
                                         sampling_rate=8000, power_to_db=False)
    ours = layers.deserialize(keras.layers.serialize(theirs))
    assert type(ours) is layers.MelSpectrogram and ours.num_mel_bins == 5
    x = rng.standard_normal(96).astype(np.float64)
    # Independent reference: centred hann-windowed power spectrum through the filter bank.
    padded = np.pad(x, 16, mode="reflect")
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(32) / 32)
    frames = np.stack([padded[s:s + 32] * window for s in range(0, len(padded) - 31, 16)])
    power = np.abs(np.fft.rfft(frames)) ** 2
    filters = layers.spectral.mel_weight_matrix(5, 17, 8000, 20.0, 4000.0)
    assert_close(ours(x.astype(np.float32)), (power @ filters).T, rtol=1e-4, atol=1e-4)


def test_mel_filters_are_triangles_with_unit_peaks():
    filters = layers.spectral.mel_weight_matrix(6, 257, 16000, 0.0, 8000.0)
    assert filters.shape == (257, 6) and np.all(filters[0] == 0)
    assert np.all(filters <= 1.0) and np.all(filters.max(axis=0) > 0.9)


_STFT_CONFIGS = [
    dict(mode=mode, frame_length=8, frame_step=3) for mode in
    ("log", "magnitude", "psd", "real", "imag", "angle", "stft")
] + [
    dict(mode="stft", frame_length=6, fft_length=16, window="hamming", periodic=True,
         padding="same", expand_dims=True),
    dict(mode="log", frame_length=8, scaling="spectrum", data_format="channels_first"),
    dict(mode="magnitude", frame_length=5, window=None, scaling=None, expand_dims=True,
         data_format="channels_first"),
    dict(mode="psd", frame_length=8, window="blackman", padding="same",
         data_format="channels_first"),
]


def _assert_spectra_close(mode, ours, theirs):
    if mode == "angle":
        # Bins whose imaginary part is zero up to rounding sit at +-pi: compare on the circle.
        ours = np.angle(np.exp(1j * (np.asarray(ours, np.float64) - theirs)))
        theirs = np.zeros_like(ours)
    assert_close(ours, theirs, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("config", _STFT_CONFIGS,
                         ids=[f"{c['mode']}-{i}" for i, c in enumerate(_STFT_CONFIGS)])
def test_stft_spectrogram_matches_keras(keras, rng, config):
    channels_first = config.get("data_format") == "channels_first"
    x = rng.standard_normal((2, 3, 40) if channels_first else (2, 40, 3)).astype(np.float32)
    ours, theirs = layers.STFTSpectrogram(**config), keras.layers.STFTSpectrogram(**config)
    expected = np.asarray(theirs(x))
    ours(x)
    # The STFT initializer gives Keras's kernels ...
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        assert_close(a, b, rtol=1e-5, atol=1e-6)
    _assert_spectra_close(config["mode"], ours(x), expected)
    # ... and trained (any) kernels are used the same way.
    set_same_random_weights(ours, theirs, rng)
    _assert_spectra_close(config["mode"], ours(x), np.asarray(theirs(x)))
    assert _arguments(ours) == _arguments(theirs)


def test_stft_spectrogram_trains_its_kernels(rng):
    model = jl.Sequential([jl.Input((32, 1)), layers.STFTSpectrogram(frame_length=8),
                           layers.GlobalAveragePooling1D(), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    before = [np.asarray(w) for w in model.layers[0].get_weights()]
    model.fit(rng.standard_normal((8, 32, 1)).astype(np.float32), np.ones((8, 1)), epochs=1,
              verbose=0)
    after = model.layers[0].get_weights()
    assert all(not np.allclose(a, b) for a, b in zip(before, after))


# --------------------------------------------------------------------------- initializer
@pytest.mark.parametrize("config", [
    dict(), dict(side="imag"), dict(window="hamming", periodic=True, scaling="spectrum"),
    dict(window=None, scaling=None), dict(window=list(np.linspace(0.0, 1.0, 8))),
])
def test_stft_initializer_matches_keras_and_round_trips(keras, config):
    theirs = keras.initializers.STFT(**config)
    ours = initializers.deserialize(keras.initializers.serialize(theirs))
    assert type(ours) is initializers.STFT
    assert_close(ours((8, 1, 5)), np.asarray(theirs((8, 1, 5))), rtol=1e-5, atol=1e-6)
    assert initializers.deserialize(initializers.serialize(ours)).get_config() == \
        ours.get_config()
    assert initializers.get("stft").get_config() == initializers.STFT().get_config()


def test_stft_initializer_is_the_fourier_basis():
    kernel = np.asarray(initializers.STFT("real", window=None, scaling=None)((8, 1, 5)),
                        np.float64)
    imag = np.asarray(initializers.STFT("imag", window=None, scaling=None)((8, 1, 5)))
    signal = np.arange(8.0)
    want = np.fft.rfft(signal)
    assert_close(signal @ kernel[:, 0], want.real, tol=1e-4)
    assert_close(signal @ imag[:, 0], want.imag, tol=1e-4)


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize("make,error,message", [
    (lambda: layers.MelSpectrogram(fft_length=16, sequence_length=32), errors.ConfigError,
     r"`fft_length` must be >= `sequence_length`. Received: fft_length=16"),
    (lambda: layers.MelSpectrogram(window="blackman"), errors.ConfigError,
     r"`window` must be one of \('hann', 'hamming'\). Received: window='blackman'"),
    (lambda: layers.MelSpectrogram(fft_length=8, window=[1.0, 2.0]), errors.ConfigError,
     r"`window` must be a name, None or a 1-D array of length 8"),
    (lambda: layers.MelSpectrogram(sampling_rate=8000, min_freq=5000.0), errors.ConfigError,
     r"`min_freq` must be < `max_freq`. Received: min_freq=5000.0, max_freq=4000"),
    (lambda: layers.MelSpectrogram(min_freq=100.0, max_freq=100.0), errors.ConfigError,
     r"`min_freq` must be < `max_freq`. Received: min_freq=100.0, max_freq=100.0"),
    (lambda: layers.MelSpectrogram(num_mel_bins=0), errors.ConfigError,
     r"`num_mel_bins` must be a positive int. Received: num_mel_bins=0"),
    (lambda: layers.MelSpectrogram(power_to_db="yes"), errors.ConfigTypeError,
     r"`power_to_db` must be a bool"),
    (lambda: layers.STFTSpectrogram(mode="power"), errors.ConfigError,
     r"`mode` must be one of \('log', 'magnitude', 'psd', 'real', 'imag', 'angle', 'stft'\)"),
    (lambda: layers.STFTSpectrogram(frame_length=8, frame_step=9), errors.ConfigError,
     r"`frame_step` must be at most `frame_length`. Received: frame_step=9"),
    (lambda: layers.STFTSpectrogram(frame_length=8, fft_length=4), errors.ConfigError,
     r"`fft_length` must be >= `frame_length`. Received: fft_length=4"),
    (lambda: layers.STFTSpectrogram(scaling="power"), errors.ConfigError,
     r"`scaling` must be one of \('density', 'spectrum', None\)"),
    (lambda: layers.STFTSpectrogram(window="no-such-window"), errors.ConfigError,
     r"`window` must be a window name scipy.signal.get_window knows"),
    (lambda: layers.STFTSpectrogram(padding="causal"), errors.ConfigError,
     r"`padding` must be one of \('valid', 'same'\)"),
    (lambda: initializers.STFT(side="both"), errors.ConfigError,
     r"STFT: `side` must be one of \('real', 'imag'\). Received: side='both'"),
    (lambda: initializers.STFT()((8, 5)), errors.ShapeError,
     r"STFT: `shape` must be \(frame_length, channels, fft_length // 2 \+ 1\)"),
    (lambda: initializers.STFT(window=[1.0, 2.0])((8, 1, 5)), errors.ShapeError,
     r"STFT: `window` must have shape \(frame_length,\) = \(8,\)"),
])
def test_bad_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_stft_spectrogram_refuses_integer_signals_and_warns_on_odd_fft_length():
    layer = layers.STFTSpectrogram(frame_length=4)
    with pytest.raises(errors.DTypeError, match=r"inputs must be float16, float32 or float64"):
        layer.apply(*layer.init(jax.random.key(0), np.zeros((1, 8, 1), np.float32)),
                    np.zeros((1, 8, 1), np.int32))
    with pytest.warns(UserWarning, match=r"`fft_length` is fastest as a power of two"):
        layers.STFTSpectrogram(frame_length=4, fft_length=6)


def test_mel_spectrogram_names_itself_for_a_scalar_input():
    # Before: ops.stft's rank error, which does not say which layer was called.
    layer = layers.MelSpectrogram(fft_length=8, sequence_stride=4, num_mel_bins=2,
                                  sampling_rate=800, name="mel")
    with pytest.raises(errors.ShapeError, match=r"MelSpectrogram 'mel'.*min_ndim=1"):
        layer(np.zeros((), np.float32))


def test_stft_spectrogram_refuses_a_signal_shorter_than_a_frame():
    # Before: a (2, 0, 9) output with no frame at all.
    layer = layers.STFTSpectrogram(frame_length=16)
    with pytest.raises(errors.ShapeError, match=r"STFTSpectrogram '.*': inputs must have at "
                       r"least `frame_length` = 16 samples with padding='valid'. Received: "
                       r"inputs.shape=\(2, 8, 1\)"):
        layer(np.zeros((2, 8, 1), np.float32))
    channels_first = layers.STFTSpectrogram(frame_length=16, data_format="channels_first")
    with pytest.raises(errors.ShapeError, match=r"inputs.shape=\(2, 1, 8\)"):
        channels_first(np.zeros((2, 1, 8), np.float32))
    same = layers.STFTSpectrogram(frame_length=16, padding="same")
    assert same(np.zeros((2, 8, 1), np.float32)).shape == (2, 1, 9)


def test_mel_output_shape_is_the_real_one_where_keras_formula_is_off():
    layer = layers.MelSpectrogram(fft_length=32, sequence_stride=16, num_mel_bins=4,
                                  sampling_rate=8000)
    # 15 + 1 divides by the stride: Keras 3.15's compute_output_shape says 2 frames.
    assert tuple(layer.compute_output_shape((2, 15))) == layer(np.zeros((2, 15))).shape \
        == (2, 4, 1)
