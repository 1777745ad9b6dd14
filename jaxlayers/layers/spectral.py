"""Audio spectrogram layers: ``MelSpectrogram`` and ``STFTSpectrogram``.

``MelSpectrogram`` has no weights: it runs :func:`jaxlayers.ops.stft` (the one
home of the short-time Fourier math), takes the magnitude to ``mag_exp``,
re-weights the bins onto the mel scale and optionally converts to decibels.

``STFTSpectrogram`` computes the same kind of transform as two 1-D
convolutions whose kernels (``real_kernel``, ``imag_kernel``) start as the
windowed Fourier basis (:class:`jaxlayers.initializers.STFT`) and are trainable,
as in Keras, so the front end can be fine-tuned with the model.

As in Keras, ``MelSpectrogram(power_to_db=True)`` clips at ``top_db`` below the
largest value of the WHOLE input batch, so that output row depends on the
other rows; with ``power_to_db=False`` every row is independent.
"""

import math
import warnings

import jax.numpy as jnp
import numpy as np

from jaxlayers import backend, initializers
from jaxlayers.core import args as _args
from jaxlayers.core.input_spec import InputSpec
from jaxlayers.core.layer import Layer
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError, DTypeError, ShapeError
from jaxlayers.ops import math as math_ops
from jaxlayers.ops import nn as nn_ops

__all__ = ["MelSpectrogram", "STFTSpectrogram"]

# The HTK mel scale: mel(f) = 1127 * ln(1 + f / 700).
_MEL_BREAK_HZ = 700.0
_MEL_HIGH_Q = 1127.0
_STFT_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")


def _hz_to_mel(hz):
    return _MEL_HIGH_Q * np.log1p(np.asarray(hz, np.float64) / _MEL_BREAK_HZ)


def mel_weight_matrix(num_mel_bins, num_spectrogram_bins, sampling_rate, lower_edge_hertz,
                      upper_edge_hertz):
    """``(num_spectrogram_bins, num_mel_bins)`` triangular mel filters, peak 1, float64.

    Bin ``k`` of a one-sided spectrum sits at ``k * sampling_rate / (2 * (bins - 1))``
    Hz; filter ``m`` rises from mel edge ``m`` to ``m + 1`` and falls to ``m + 2``
    over ``num_mel_bins + 2`` mel points evenly spaced between the two edges.  The
    DC bin gets no weight.

    Example:
        >>> jl.layers.spectral.mel_weight_matrix(4, 9, 8000, 0.0, 4000.0).shape
        (9, 4)
    """
    freqs = np.linspace(0.0, sampling_rate / 2.0, num_spectrogram_bins)[1:]
    bins_mel = _hz_to_mel(freqs)[:, None]
    edges = np.linspace(_hz_to_mel(lower_edge_hertz), _hz_to_mel(upper_edge_hertz),
                        num_mel_bins + 2)
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (bins_mel - lower) / (center - lower)
    falling = (upper - bins_mel) / (upper - center)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return np.pad(weights, ((1, 0), (0, 0)))


def _window_arg(who, window, length=None):
    """A window name (kept), ``None``, or an array (kept as a list for the config)."""
    if window is None:
        return None
    if isinstance(window, str):
        initializers.named_window(who, window, 1, False)
        return window
    return _args.float_list(who, "window", window,
                            f"a name, None or a 1-D array of length {length}", length,
                            shown=lambda values: f"window shape={values.shape}")


@register_builtin("layers")
class MelSpectrogram(Layer):
    """Mel spectrogram of raw audio: STFT magnitude, mel filter bank, decibels.

    Args:
        fft_length: FFT size of each frame.
        sequence_stride: Samples between successive frames.
        sequence_length: Window length (``None``: ``fft_length``).
        window: ``"hann"``, ``"hamming"``, an array of length ``sequence_length``,
            or ``None`` for no window.
        sampling_rate: Samples per second of the input.
        num_mel_bins: Number of mel filters.
        min_freq: Lower edge of the lowest filter, in Hz.
        max_freq: Upper edge of the highest filter (``None``: ``sampling_rate / 2``).
        power_to_db: Convert to decibels ``10 * log10(S / ref_power)``.
        top_db: Clip decibels at this far below the input's maximum.
        mag_exp: Exponent of the magnitude (1: magnitude, 2: power).
        min_power: Floor for the power and ``ref_power`` before the log.
        ref_power: Reference power of 0 dB.

    Input shape: ``(samples,)`` or ``(batch, samples)``, float.  Output shape:
    ``(..., num_mel_bins, 1 + samples // sequence_stride)`` for even ``fft_length``.

    Example:
        >>> layer = jl.layers.MelSpectrogram(fft_length=64, sequence_stride=32,
        ...                                  num_mel_bins=8, sampling_rate=8000)
        >>> layer(jnp.zeros((2, 256))).shape
        (2, 8, 9)
    """

    supports_complex_inputs = False  # real signals: a complex input is refused

    def __init__(self, fft_length=2048, sequence_stride=512, sequence_length=None,
                 window="hann", sampling_rate=16000, num_mel_bins=128, min_freq=20.0,
                 max_freq=None, power_to_db=True, top_db=80.0, mag_exp=2.0, min_power=1e-10,
                 ref_power=1.0, **kwargs):
        super().__init__(**kwargs)
        who = _args.owner(self)
        self.fft_length = _args.positive_int(who, "fft_length", fft_length)
        self.sequence_stride = _args.positive_int(who, "sequence_stride", sequence_stride)
        self.sequence_length = _args.positive_int(
            who, "sequence_length", self.fft_length if sequence_length is None
            else sequence_length)
        if self.fft_length < self.sequence_length:
            raise ConfigError(
                f"{who}: `fft_length` must be >= `sequence_length`. Received: "
                f"fft_length={fft_length}, sequence_length={sequence_length}."
            )
        if isinstance(window, str):
            _args.one_of(who, "window", window, ("hann", "hamming"))
        self.window = _window_arg(who, window, self.sequence_length)
        self.sampling_rate = _args.positive_int(who, "sampling_rate", sampling_rate)
        self.num_mel_bins = _args.positive_int(who, "num_mel_bins", num_mel_bins)
        self.min_freq = _args.non_negative_float(who, "min_freq", min_freq)
        self.max_freq = _args.non_negative_float(
            who, "max_freq", int(self.sampling_rate / 2) if max_freq is None else max_freq)
        if self.min_freq >= self.max_freq:
            # Equal or crossed edges give empty or reversed filters (NaN at equality).
            raise ConfigError(
                f"{who}: `min_freq` must be < `max_freq`. Received: "
                f"min_freq={min_freq}, max_freq={self.max_freq}."
            )
        self.power_to_db = _args.boolean(who, "power_to_db", power_to_db)
        self.top_db = _args.non_negative_float(who, "top_db", top_db)
        self.mag_exp = _args.finite_float(who, "mag_exp", mag_exp)
        self.min_power = _args.non_negative_float(who, "min_power", min_power)
        self.ref_power = _args.finite_float(who, "ref_power", ref_power)
        self.input_spec = InputSpec(min_ndim=1)

    def linear_to_mel_weight_matrix(self, num_mel_bins=20, num_spectrogram_bins=129,
                                    sampling_rate=8000, lower_edge_hertz=125.0,
                                    upper_edge_hertz=3800.0, dtype="float32"):
        """Keras's method name for :func:`mel_weight_matrix`, as an array of ``dtype``."""
        return jnp.asarray(mel_weight_matrix(num_mel_bins, num_spectrogram_bins,
                                             sampling_rate, lower_edge_hertz,
                                             upper_edge_hertz), dtype)

    def call(self, inputs):
        # stft needs float32 or float64; half-precision policies compute it in float32.
        dtype = self.compute_dtype if self.compute_dtype in ("float32", "float64") \
            else "float32"
        window = self.window if self.window is None or isinstance(self.window, str) \
            else np.asarray(self.window, dtype)
        real, imag = math_ops.stft(jnp.asarray(inputs, dtype), self.sequence_length,
                                   self.sequence_stride, self.fft_length, window=window,
                                   center=True)
        spectrum = jnp.power(jnp.sqrt(real * real + imag * imag), self.mag_exp)
        mel = jnp.tensordot(spectrum, self.linear_to_mel_weight_matrix(
            self.num_mel_bins, spectrum.shape[-1], self.sampling_rate, self.min_freq,
            self.max_freq, dtype), axes=1)
        if self.power_to_db:
            mel = self._decibels(mel)
        return jnp.swapaxes(mel, -1, -2).astype(self.compute_dtype)

    def _decibels(self, power):
        db = 10.0 * jnp.log10(jnp.maximum(power, self.min_power))
        db = db - 10.0 * math.log10(max(abs(self.ref_power), self.min_power))
        return jnp.maximum(db, jnp.max(db) - self.top_db)

    def get_config(self):
        config = super().get_config()
        config.update({
            "fft_length": self.fft_length, "sequence_stride": self.sequence_stride,
            "sequence_length": self.sequence_length, "window": self.window,
            "sampling_rate": self.sampling_rate, "num_mel_bins": self.num_mel_bins,
            "min_freq": self.min_freq, "max_freq": self.max_freq,
            "power_to_db": self.power_to_db, "top_db": self.top_db, "mag_exp": self.mag_exp,
            "min_power": self.min_power, "ref_power": self.ref_power,
        })
        return config


@register_builtin("layers")
class STFTSpectrogram(Layer):
    """Spectrogram of multi-channel signals by trainable Fourier-basis convolutions.

    Args:
        mode: ``'log'`` (log magnitude), ``'magnitude'``, ``'psd'`` (power, the
            non-edge bins doubled), ``'real'``, ``'imag'``, ``'angle'`` or
            ``'stft'`` (real bins then imaginary bins).
        frame_length: Window length in samples.
        frame_step: Samples between frames (default ``frame_length // 2``).
        fft_length: FFT size (default: the next power of two >= ``frame_length``).
        window: A ``scipy.signal.get_window`` name, a 1-D array of length
            ``frame_length``, or ``None``.
        periodic: Use the periodic form of a named window.
        scaling: ``'density'``, ``'spectrum'`` or ``None`` (see
            :class:`jaxlayers.initializers.STFT`).
        padding: ``'valid'`` or ``'same'``.
        expand_dims: Keep channels and frequencies on separate axes.
        data_format: ``'channels_last'`` (inputs ``(batch, time, channels)``) or
            ``'channels_first'`` (``(batch, channels, time)``).

    Output shape: ``channels_last``: ``(batch, frames, channels * bins)``, or
    ``(batch, frames, bins, channels)`` with ``expand_dims``; ``channels_first``:
    ``(batch, channels * bins, frames)``, or ``(batch, channels, frames, bins)``.
    ``bins = fft_length // 2 + 1`` (twice that in ``'stft'`` mode).

    Example:
        >>> layer = jl.layers.STFTSpectrogram(frame_length=8, frame_step=4)
        >>> params, state = layer.init(jax.random.key(0), jnp.zeros((2, 32, 1)))
        >>> jax.tree.map(jnp.shape, params)["stft_spectrogram"]
        {'imag_kernel': (8, 1, 5), 'real_kernel': (8, 1, 5)}
    """

    supports_complex_inputs = False  # real signals: a complex input is refused

    def __init__(self, mode="log", frame_length=256, frame_step=None, fft_length=None,
                 window="hann", periodic=False, scaling="density", padding="valid",
                 expand_dims=False, data_format=None, **kwargs):
        super().__init__(**kwargs)
        who = _args.owner(self)
        self.frame_length = _args.positive_int(who, "frame_length", frame_length)
        self.frame_step = _args.positive_int_or_none(who, "frame_step", frame_step)
        if self.frame_step is not None and self.frame_step > self.frame_length:
            raise ConfigError(
                f"{who}: `frame_step` must be at most `frame_length`. Received: "
                f"frame_step={frame_step}, frame_length={frame_length}."
            )
        self.fft_length = _args.positive_int_or_none(who, "fft_length", fft_length)
        if self.fft_length is not None and self.fft_length < self.frame_length:
            raise ConfigError(
                f"{who}: `fft_length` must be >= `frame_length`. Received: "
                f"fft_length={fft_length}, frame_length={frame_length}."
            )
        if self.fft_length is not None and self.fft_length & (self.fft_length - 1):
            warnings.warn(f"{who}: `fft_length` is fastest as a power of two. Received: "
                          f"fft_length={fft_length}.", stacklevel=2)
        self.mode = _args.one_of(who, "mode", mode, _STFT_MODES)
        self.scaling = _args.one_of(who, "scaling", scaling, ("density", "spectrum", None))
        self.padding = _args.padding_mode(who, padding)
        self.window = _window_arg(who, window, self.frame_length)
        self.periodic = _args.boolean(who, "periodic", periodic)
        self.expand_dims = _args.boolean(who, "expand_dims", expand_dims)
        self.data_format = _args.data_format(who, data_format)
        self.input_spec = InputSpec(ndim=3)

    @property
    def _step(self):
        return self.frame_step or self.frame_length // 2

    @property
    def _fft(self):
        return self.fft_length or 2 ** math.ceil(math.log2(self.frame_length))

    def build(self, input_shape):
        shape = (self.frame_length, 1, self._fft // 2 + 1)
        for side in ("real", "imag"):
            if self.mode != {"real": "imag", "imag": "real"}[side]:
                setattr(self, f"{side}_kernel", self.add_weight(
                    name=f"{side}_kernel", shape=shape,
                    initializer=initializers.STFT(side, self.window, self.scaling,
                                                  self.periodic)))

    def _transform(self, signals, kernel):
        """``(batch, channels, time)`` signals -> ``(batch, channels, frames, bins)``."""
        batch, channels, time = signals.shape
        flat = signals.reshape(batch * channels, time, 1)
        out = nn_ops.conv(flat, kernel.astype(signals.dtype), strides=self._step,
                          padding=self.padding, data_format="channels_last")
        return out.reshape(batch, channels, out.shape[1], out.shape[2])

    def call(self, inputs):
        if not jnp.issubdtype(inputs.dtype, jnp.floating):
            raise DTypeError(
                f"{_args.owner(self)}: inputs must be float16, float32 or float64. "
                f"Received: inputs.dtype={inputs.dtype}."
            )
        signals = jnp.swapaxes(inputs, 1, 2) if self.data_format == "channels_last" \
            else inputs
        if self.padding == "valid" and signals.shape[-1] < self.frame_length:
            # A valid convolution of a shorter signal has no frame (Keras raises too).
            raise ShapeError(
                f"{_args.owner(self)}: inputs must have at least `frame_length` = "
                f"{self.frame_length} samples with padding='valid'. "
                f"Received: inputs.shape={tuple(inputs.shape)}."
            )
        real = self._transform(signals, self.real_kernel) if self.mode != "imag" else None
        imag = self._transform(signals, self.imag_kernel) if self.mode != "real" else None
        if self.mode == "real":
            out = real
        elif self.mode == "imag":
            out = imag
        elif self.mode == "angle":
            out = jnp.arctan2(imag, real)
        elif self.mode == "stft":
            out = jnp.concatenate([real, imag], axis=-1)
        else:
            power = real * real + imag * imag
            if self.mode == "psd":
                out = power + jnp.pad(power[..., 1:-1], ((0, 0), (0, 0), (0, 0), (1, 1)))
            else:
                eps = backend.epsilon()
                out = jnp.sqrt(jnp.maximum(power, eps))
                if self.mode == "log":
                    out = jnp.log(jnp.maximum(out, eps))
        return self._arrange(out)

    def _arrange(self, out):
        """``(batch, channels, frames, bins)`` -> the documented output layout."""
        batch, channels, frames, bins = out.shape
        if self.data_format == "channels_last":
            if self.expand_dims:
                return jnp.transpose(out, (0, 2, 3, 1))
            return jnp.transpose(out, (0, 2, 1, 3)).reshape(batch, frames, channels * bins)
        if self.expand_dims:
            return out
        return jnp.transpose(out, (0, 1, 3, 2)).reshape(batch, channels * bins, frames)

    def get_config(self):
        config = super().get_config()
        config.update({
            "mode": self.mode, "frame_length": self.frame_length,
            "frame_step": self.frame_step, "fft_length": self.fft_length,
            "window": self.window, "periodic": self.periodic, "scaling": self.scaling,
            "padding": self.padding, "data_format": self.data_format,
            "expand_dims": self.expand_dims,
        })
        return config
