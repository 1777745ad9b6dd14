"""Keras 3's top-level math ops (``keras.ops.segment_sum``, ``fft``, ``stft``, ``erf``, ...).

Thin functions over ``jax.numpy``, ``jax.lax`` and ``jax.scipy``.  Complex values
cross the API as Keras passes them: a ``(real, imag)`` pair of float arrays in,
a pair out.  Arguments are checked before any tracing; each function works on
NumPy inputs eagerly and under ``jax.jit``.

Differences from Keras on its JAX backend, all in the direction of working where
Keras refuses: ``segment_*`` infer ``num_segments`` from concrete ids outside
``jit`` (as Keras's TensorFlow backend does); ``rsqrt`` and ``erf`` accept
integer inputs (promoted to float).

Example:
    >>> from jaxlayers import ops
    >>> real, imag = ops.rfft(jnp.array([1.0, 2.0, 3.0, 4.0]))
    >>> real.tolist(), imag.tolist()
    ([10.0, -2.0, -2.0], [0.0, 2.0, 0.0])
"""

import jax
import jax.numpy as jnp
import numpy as np

from jaxlayers.errors import ConfigError, DTypeError, ShapeError
from jaxlayers.ops import _args

__all__ = [
    "segment_sum", "segment_max", "segment_min", "segment_prod", "top_k", "in_top_k",
    "logsumexp", "cdist", "extract_sequences", "fft", "fft2", "ifft2", "rfft", "irfft",
    "stft", "istft", "rsqrt", "erf", "erfc", "erfinv", "logdet", "view_as_complex",
    "view_as_real",
]

# The window names stft/istft understand (Keras's list; both periodic windows).
_WINDOWS = ("hann", "hamming")


# --------------------------------------------------------------------------- checks
def _int_arg(op, name, value, minimum=1, optional=False):
    if optional and value is None:
        return None
    if not _args.is_int(value) or value < minimum:
        kind = "a positive int" if minimum == 1 else f"an int >= {minimum}"
        if optional:
            kind += " or None"
        raise _args.invalid(op, name, value, kind)
    return int(value)


def _is_concrete(x):
    return not isinstance(x, jax.core.Tracer)


def _floating(x):
    """``x`` as an array, integer and bool inputs promoted to a float dtype."""
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        x = x.astype(jnp.result_type(x.dtype, jnp.float32))
    return x


def _complex_pair(op, x, min_rank=1):
    """The complex array a Keras ``(real, imag)`` pair stands for."""
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ConfigError(
            f"ops.{op}: `x` must be a tuple (real, imag) of two float arrays. "
            f"Received: x={x!r}."
        )
    real, imag = jnp.asarray(x[0]), jnp.asarray(x[1])
    if real.shape != imag.shape:
        raise ShapeError(
            f"ops.{op}: the real and imaginary parts of `x` must have the same shape. "
            f"Received: x[0].shape={real.shape}, x[1].shape={imag.shape}."
        )
    if not (jnp.issubdtype(real.dtype, jnp.floating) and jnp.issubdtype(imag.dtype, jnp.floating)):
        raise ConfigError(
            f"ops.{op}: both parts of `x` must be float arrays. Received: "
            f"x[0].dtype={real.dtype}, x[1].dtype={imag.dtype}."
        )
    if real.ndim < min_rank:
        raise ShapeError(
            f"ops.{op}: `x` must have rank >= {min_rank}. Received: x[0].shape={real.shape}."
        )
    return jax.lax.complex(real, imag)


def _pair(z):
    return jnp.real(z), jnp.imag(z)


# --------------------------------------------------------------------------- segments
def _segment(op, reduce, data, segment_ids, num_segments, sorted):
    data, segment_ids = jnp.asarray(data), jnp.asarray(segment_ids)
    if segment_ids.ndim != 1:
        raise ShapeError(
            f"ops.{op}: `segment_ids` must be a 1-D vector. Received: segment_ids.shape="
            f"{segment_ids.shape}. Flatten data and ids first, or map over the batch with "
            "jax.vmap."
        )
    if data.ndim < 1 or data.shape[0] != segment_ids.shape[0]:
        raise ShapeError(
            f"ops.{op}: `data` and `segment_ids` must have the same leading size. "
            f"Received: data.shape={data.shape}, segment_ids.shape={segment_ids.shape}."
        )
    if num_segments is None:
        if not _is_concrete(segment_ids):
            raise ConfigError(
                f"ops.{op}: `num_segments` must be given when `segment_ids` is traced "
                "(under jax.jit it fixes the output shape). Received: num_segments=None."
            )
        num_segments = int(np.max(np.asarray(segment_ids), initial=-1)) + 1
    num_segments = _int_arg(op, "num_segments", num_segments, minimum=0)
    return reduce(data, segment_ids, num_segments, indices_are_sorted=bool(sorted))


def segment_sum(data, segment_ids, num_segments=None, sorted=False):
    """Sum of the rows of ``data`` that share a segment id.

    Args:
        data: Array whose first axis is segmented.
        segment_ids: 1-D int array, one id per row of ``data``.
        num_segments: Number of segments (output rows).  Outside ``jit`` it
            defaults to ``max(segment_ids) + 1``.
        sorted: Whether ``segment_ids`` are sorted (a hint that may be faster).

    Example:
        >>> segment_sum(jnp.array([1, 2, 3]), jnp.array([0, 0, 1]), 2).tolist()
        [3, 3]
    """
    return _segment("segment_sum", jax.ops.segment_sum, data, segment_ids, num_segments,
                    sorted)


def segment_max(data, segment_ids, num_segments=None, sorted=False):
    """Maximum of the rows of ``data`` that share a segment id (see :func:`segment_sum`).

    Args:
        data: Array of values ``(n, ...)``.
        segment_ids: Int array ``(n,)``, each entry's segment.
        num_segments: Int, the number of segments; ``None`` infers it (not under ``jit``).
        sorted: Whether ``segment_ids`` are sorted (a speed hint).

    Example:
        >>> segment_max(jnp.array([1, 2, 3]), jnp.array([0, 0, 1]), 2).tolist()
        [2, 3]
    """
    return _segment("segment_max", jax.ops.segment_max, data, segment_ids, num_segments,
                    sorted)


def segment_min(data, segment_ids, num_segments=None, sorted=False):
    """Minimum of the rows of ``data`` that share a segment id (see :func:`segment_sum`).

    Args:
        data: Array of values ``(n, ...)``.
        segment_ids: Int array ``(n,)``, each entry's segment.
        num_segments: Int, the number of segments; ``None`` infers it (not under ``jit``).
        sorted: Whether ``segment_ids`` are sorted (a speed hint).

    Example:
        >>> segment_min(jnp.array([1, 2, 3]), jnp.array([0, 0, 1]), 2).tolist()
        [1, 3]
    """
    return _segment("segment_min", jax.ops.segment_min, data, segment_ids, num_segments,
                    sorted)


def segment_prod(data, segment_ids, num_segments=None, sorted=False):
    """Product of the rows of ``data`` that share a segment id (see :func:`segment_sum`).

    Args:
        data: Array of values ``(n, ...)``.
        segment_ids: Int array ``(n,)``, each entry's segment.
        num_segments: Int, the number of segments; ``None`` infers it (not under ``jit``).
        sorted: Whether ``segment_ids`` are sorted (a speed hint).

    Example:
        >>> segment_prod(jnp.array([1, 2, 3]), jnp.array([0, 0, 1]), 2).tolist()
        [2, 3]
    """
    return _segment("segment_prod", jax.ops.segment_prod, data, segment_ids, num_segments,
                    sorted)


# --------------------------------------------------------------------------- ranking
def top_k(x, k, sorted=True):
    """The ``k`` largest values along the last axis and their int32 indices.

    Args:
        x: Array of rank >= 1.
        k: Number of values to keep (``<= x.shape[-1]``).
        sorted: Kept for Keras; the values always come in descending order.

    Example:
        >>> values, indices = top_k(jnp.array([5, 2, 7, 1]), k=2)
        >>> values.tolist(), indices.tolist()
        ([7, 5], [2, 0])
    """
    x = jnp.asarray(x)
    k = _int_arg("top_k", "k", k, minimum=0)
    if x.ndim < 1 or k > x.shape[-1]:
        raise ShapeError(
            f"ops.top_k: `k` must be at most the size of the last axis of `x`. "
            f"Received: k={k}, x.shape={x.shape}."
        )
    values, indices = jax.lax.top_k(x, k)
    return values, indices


def in_top_k(targets, predictions, k):
    """Whether each target's prediction is among the ``k`` largest of its row.

    Ties count in the target's favour; a NaN prediction at the target never does.

    Args:
        targets: Int array of class ids, shape ``(batch,)``.
        predictions: Scores of shape ``(batch, classes)``.
        k: Number of top predictions to consider.

    Example:
        >>> in_top_k(jnp.array([2, 0]), jnp.array([[0.1, 0.2, 0.7], [0.1, 0.5, 0.4]]), 1)
        Array([ True, False], dtype=bool)
    """
    targets, predictions = jnp.asarray(targets), jnp.asarray(predictions)
    k = _int_arg("in_top_k", "k", k, minimum=0)
    if predictions.shape[:-1] != targets.shape:
        raise ShapeError(
            f"ops.in_top_k: `predictions` must have the shape of `targets` plus a class "
            f"axis. Received: targets.shape={targets.shape}, "
            f"predictions.shape={predictions.shape}."
        )
    at_target = jnp.take_along_axis(predictions, targets[..., None].astype(jnp.int32), axis=-1)
    at_target = jnp.where(jnp.isnan(at_target), -jnp.inf, at_target)
    better = jnp.sum(predictions > at_target, axis=-1)
    return better < k


# --------------------------------------------------------------------------- reductions
def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x)))`` over ``axis``, computed without overflow.

    Args:
        x: Input array.
        axis: Int axis.
        keepdims: Whether reduced axes stay as size-1 axes.

    Example:
        >>> round(float(logsumexp(jnp.array([1.0, 2.0, 3.0]))), 4)
        3.4076
    """
    return jax.scipy.special.logsumexp(_floating(x), axis=axis, keepdims=keepdims)


def cdist(x, y):
    """Euclidean distances between the rows of ``x`` ``(..., m, d)`` and ``y`` ``(..., n, d)``.

    Returns an array of shape ``(..., m, n)``.

    Args:
        x: Array ``(..., m, d)`` of points.
        y: Array ``(..., n, d)`` of points.

    Example:
        >>> cdist(jnp.array([[0.0, 0.0]]), jnp.array([[3.0, 4.0]])).tolist()
        [[5.0]]
    """
    x, y = _floating(x), _floating(y)
    if x.ndim < 2 or y.ndim < 2:
        raise ShapeError(
            f"ops.cdist: inputs must have rank >= 2. Received: x.shape={x.shape}, "
            f"y.shape={y.shape}."
        )
    if x.shape[-1] != y.shape[-1]:
        raise ShapeError(
            f"ops.cdist: the last axes of `x` and `y` must have the same size. "
            f"Received: x.shape={x.shape}, y.shape={y.shape}."
        )
    diff = x[..., :, None, :] - y[..., None, :, :]
    return jnp.sqrt(jnp.sum(diff * diff, axis=-1))


def logdet(x):
    """Natural log of the determinant of Hermitian positive definite matrices ``(..., n, n)``.

    Args:
        x: Input array.

    Example:
        >>> round(float(logdet(jnp.array([[2.0, 0.0], [0.0, 3.0]]))), 4)
        1.7918
    """
    return jnp.linalg.slogdet(_floating(x))[1]


# --------------------------------------------------------------------------- framing
def _frame_indices(length, frame_length, step):
    count = max(0, 1 + (length - frame_length) // step)
    return np.arange(count)[:, None] * step + np.arange(frame_length)[None, :]


def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of the last axis: ``(..., n)`` becomes ``(..., num_sequences, sequence_length)``.

    ``num_sequences = 1 + (n - sequence_length) // sequence_stride``.

    Args:
        x: Array ``(..., samples)``.
        sequence_length: Int, the frame length.
        sequence_stride: Int, the hop between frames.

    Example:
        >>> extract_sequences(jnp.arange(6), 3, 2).tolist()
        [[0, 1, 2], [2, 3, 4]]
    """
    x = jnp.asarray(x)
    length = _int_arg("extract_sequences", "sequence_length", sequence_length)
    step = _int_arg("extract_sequences", "sequence_stride", sequence_stride)
    if x.ndim < 1:
        raise ShapeError(f"ops.extract_sequences: `x` must have rank >= 1. Received: "
                         f"x.shape={x.shape}.")
    return x[..., _frame_indices(x.shape[-1], length, step)]


def _overlap_add(frames, step):
    """Inverse of framing: sums ``(..., count, frame_length)`` frames placed ``step`` apart."""
    count, frame_length = frames.shape[-2:]
    index = _frame_indices(frame_length + step * (count - 1), frame_length, step)
    out = jnp.zeros(frames.shape[:-2] + (frame_length + step * (count - 1),), frames.dtype)
    return out.at[..., index].add(frames)


# --------------------------------------------------------------------------- Fourier
def fft(x):
    """FFT along the last axis of a complex array given as ``(real, imag)``.

    Args:
        x: Input array.

    Example:
        >>> real, imag = fft((jnp.array([1.0, 2.0]), jnp.array([0.0, 1.0])))
        >>> real.tolist(), imag.tolist()
        ([3.0, -1.0], [1.0, -1.0])
    """
    return _pair(jnp.fft.fft(_complex_pair("fft", x)))


def fft2(x):
    """2-D FFT over the last two axes of ``(real, imag)``; returns ``(real, imag)``.

    Args:
        x: Input array.

    Example:
        >>> real, imag = fft2((jnp.ones((2, 2)), jnp.zeros((2, 2))))
        >>> real.tolist()
        [[4.0, 0.0], [0.0, 0.0]]
    """
    return _pair(jnp.fft.fft2(_complex_pair("fft2", x, min_rank=2)))


def ifft2(x):
    """Inverse 2-D FFT over the last two axes of ``(real, imag)``; returns ``(real, imag)``.

    Args:
        x: Input array.

    Example:
        >>> real, imag = ifft2((jnp.full((2, 2), 4.0), jnp.zeros((2, 2))))
        >>> real.tolist()
        [[4.0, 0.0], [0.0, 0.0]]
    """
    return _pair(jnp.fft.ifft2(_complex_pair("ifft2", x, min_rank=2)))


def rfft(x, fft_length=None):
    """FFT of a real signal along the last axis: the ``fft_length // 2 + 1`` unique bins.

    Args:
        x: Real array.
        fft_length: FFT size; the signal is cropped or zero-padded to it.
            Defaults to the size of the last axis.

    Returns:
        ``(real, imag)`` of shape ``(..., fft_length // 2 + 1)``.

    Example:
        >>> real, imag = rfft(jnp.array([1.0, 1.0]))
        >>> real.tolist(), imag.tolist()
        ([2.0, 0.0], [0.0, 0.0])
    """
    n = _int_arg("rfft", "fft_length", fft_length, optional=True)
    return _pair(jnp.fft.rfft(_floating(x), n=n, axis=-1))


def irfft(x, fft_length=None):
    """Inverse of :func:`rfft`: a real signal of length ``fft_length`` from ``(real, imag)``.

    ``fft_length`` defaults to ``2 * (x[0].shape[-1] - 1)``; pass it for odd lengths.

    Args:
        x: Pair ``(real, imag)`` of arrays ``(..., n // 2 + 1)``.
        fft_length: Int length of the output; ``None`` means ``2 * (n - 1)``.

    Example:
        >>> irfft((jnp.array([2.0, 0.0]), jnp.array([0.0, 0.0]))).tolist()
        [1.0, 1.0]
    """
    n = _int_arg("irfft", "fft_length", fft_length, optional=True)
    return jnp.fft.irfft(_complex_pair("irfft", x), n=n, axis=-1)


def named_window(owner, name, length, periodic):
    """The window ``scipy.signal.get_window`` names, as float64 NumPy.

    ``periodic`` selects the DFT-even form (scipy's ``fftbins=True``).  The one
    home of window values: :func:`stft`, :func:`istft` and the ``STFT``
    initializer all read their windows here.
    """
    from scipy import signal  # scipy comes with jax; imported only when a window is named

    try:
        return np.asarray(signal.get_window(name, length, fftbins=periodic), np.float64)
    except ValueError:
        raise ConfigError(
            f"{owner}: `window` must be a window name scipy.signal.get_window knows "
            f"('hann', 'hamming', 'blackman', ...), an array or None. Received: window={name!r}."
        ) from None


def _window(op, window, sequence_length, fft_length, dtype):
    """The analysis window, zero-padded on both sides to ``fft_length`` (ones for ``None``)."""
    if window is None:
        return jnp.ones((fft_length,), dtype)
    if isinstance(window, str):
        if window not in _WINDOWS:
            raise ConfigError(
                f"ops.{op}: `window` must be one of {_WINDOWS}, an array of length "
                f"sequence_length or None. Received: window={window!r}."
            )
        # Periodic windows (the DFT-even form), as Keras and scipy use for spectra.
        win = named_window(f"ops.{op}", window, sequence_length, True)
    else:
        win = window
    win = jnp.asarray(win, dtype)
    if win.shape != (sequence_length,):
        raise ShapeError(
            f"ops.{op}: `window` must have shape (sequence_length,) = ({sequence_length},). "
            f"Received: window shape={win.shape}."
        )
    left = (fft_length - sequence_length) // 2
    return jnp.pad(win, (left, fft_length - sequence_length - left))


def _stft_lengths(op, sequence_length, sequence_stride, fft_length):
    sequence_length = _int_arg(op, "sequence_length", sequence_length)
    sequence_stride = _int_arg(op, "sequence_stride", sequence_stride)
    fft_length = _int_arg(op, "fft_length", fft_length)
    if fft_length < sequence_length:
        raise ConfigError(
            f"ops.{op}: `fft_length` must be >= `sequence_length`. Received: "
            f"fft_length={fft_length}, sequence_length={sequence_length}."
        )
    return sequence_length, sequence_stride, fft_length


def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """Short-time Fourier transform along the last axis.

    Frames of ``fft_length`` samples every ``sequence_stride`` samples are
    multiplied by the window (``sequence_length`` long, zero-padded to
    ``fft_length`` in the middle of the frame) and transformed with :func:`rfft`.

    Args:
        x: float32 or float64 signal ``(..., samples)``.
        sequence_length: Window length.
        sequence_stride: Hop between frames.
        fft_length: FFT size (``>= sequence_length``).
        window: ``"hann"``, ``"hamming"`` (periodic), an array of length
            ``sequence_length``, or ``None`` for no windowing.
        center: Reflect-pad ``fft_length // 2`` samples on both sides so frame
            ``t`` is centred on sample ``t * sequence_stride``.

    Returns:
        ``(real, imag)`` of shape ``(..., num_frames, fft_length // 2 + 1)``.

    Example:
        >>> real, imag = stft(jnp.ones(8), 4, 2, 4, window=None, center=False)
        >>> real.shape, real[0].tolist()
        ((3, 3), [4.0, 0.0, 0.0])
    """
    length, step, n_fft = _stft_lengths("stft", sequence_length, sequence_stride, fft_length)
    x = jnp.asarray(x)
    if x.dtype not in (jnp.float32, jnp.float64):
        raise DTypeError(
            f"ops.stft: `x` must be float32 or float64. Received: x.dtype={x.dtype}."
        )
    if x.ndim < 1:
        raise ShapeError(f"ops.stft: `x` must have rank >= 1. Received: x.shape={x.shape}.")
    win = _window("stft", window, length, n_fft, x.dtype)
    if center:
        pad = [(0, 0)] * (x.ndim - 1) + [(n_fft // 2, n_fft // 2)]
        x = jnp.pad(x, pad, mode="reflect")
    frames = extract_sequences(x, n_fft, step)
    return _pair(jnp.fft.rfft(frames * win, n=n_fft, axis=-1))


def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann",
          center=True):
    """Inverse of :func:`stft`: overlap-add of the windowed inverse FFTs of ``(real, imag)``.

    Use the arguments given to :func:`stft`.  ``length`` crops the output to
    that many samples; otherwise a centred transform drops its padding.

    Args:
        x: Pair ``(real, imag)`` of arrays ``(..., frames, fft_length // 2 + 1)``.
        sequence_length: Int, the frame length.
        sequence_stride: Int, the hop between frames.
        fft_length: Int, the FFT size.
        length: Optional int, the output length (trimmed or padded).
        window: Window name (``'hann'``, ...), an array, or ``None``.
        center: Whether the frames were centred (padding removed).

    Example:
        >>> signal = jnp.arange(16.0)
        >>> spec = stft(signal, 8, 2, 8)
        >>> bool(jnp.allclose(istft(spec, 8, 2, 8, length=16), signal, atol=1e-4))
        True
    """
    seq_length, step, n_fft = _stft_lengths("istft", sequence_length, sequence_stride,
                                             fft_length)
    length = _int_arg("istft", "length", length, minimum=0, optional=True)
    spectrum = _complex_pair("istft", x, min_rank=2)
    frames = jnp.fft.irfft(spectrum, n=n_fft, axis=-1)
    win = _window("istft", window, seq_length, n_fft, frames.dtype)
    signal = _overlap_add(frames * win, step)
    norm = _overlap_add(jnp.broadcast_to(win * win, frames.shape[-2:]), step)
    signal = signal / jnp.where(norm > 1e-10, norm, 1.0)
    if window is None:
        # Without a window Keras rescales by fft_length / stride; kept for parity.
        signal = signal * (n_fft / step)
    start = n_fft // 2 if center else 0
    if length is not None:
        return signal[..., start:start + length]
    return signal[..., start:-(n_fft // 2)] if center else signal


# --------------------------------------------------------------------------- elementwise
def rsqrt(x):
    """``1 / sqrt(x)`` element-wise (integers are promoted to float).

    Args:
        x: Input array.

    Example:
        >>> rsqrt(jnp.array([4.0, 16.0])).tolist()
        [0.5, 0.25]
    """
    return jax.lax.rsqrt(_floating(x))


def erf(x):
    """The error function, element-wise.

    Args:
        x: Input array.

    Example:
        >>> float(erf(jnp.array(0.0)))
        0.0
    """
    return jax.scipy.special.erf(_floating(x))


def erfc(x):
    """The complementary error function ``1 - erf(x)``, element-wise.

    Args:
        x: Input array.

    Example:
        >>> float(erfc(jnp.array(0.0)))
        1.0
    """
    return jax.scipy.special.erfc(_floating(x))


def erfinv(x):
    """The inverse error function, element-wise (on ``(-1, 1)``).

    Args:
        x: Input array.

    Example:
        >>> float(erfinv(jnp.array(0.0)))
        0.0
    """
    return jax.scipy.special.erfinv(_floating(x))


# --------------------------------------------------------------------------- complex views
def view_as_complex(x):
    """A complex array from a real one whose last axis holds ``(real, imag)``.

    Args:
        x: Input array.

    Example:
        >>> view_as_complex(jnp.array([[1.0, 2.0]])).tolist()
        [(1+2j)]
    """
    x = _floating(x)
    if x.ndim < 1 or x.shape[-1] != 2:
        raise ShapeError(
            f"ops.view_as_complex: the last axis of `x` must have size 2 (real, imag). "
            f"Received: x.shape={x.shape}."
        )
    return jax.lax.complex(x[..., 0], x[..., 1])


def view_as_real(x):
    """A real array with a last axis of size 2 holding ``(real, imag)`` of ``x``.

    Args:
        x: Input array.

    Example:
        >>> view_as_real(jnp.array([1 + 2j])).tolist()
        [[1.0, 2.0]]
    """
    x = _floating(x)
    return jnp.stack([jnp.real(x), jnp.imag(x)], axis=-1)
