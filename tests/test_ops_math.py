"""``jaxlayers.ops.math``: Keras 3's top-level math ops against ``keras.ops``, eager and jit.

One table row per call: array arguments (NumPy) and static arguments.  Each row
is run through our op eagerly and under ``jax.jit`` and through ``keras.ops``;
values, shapes and dtypes must agree.  A test checks the table covers every name
Keras defines in ``keras.src.ops.math``, and float64 NumPy references check the
Fourier ops independently of Keras.
"""

import jax
import numpy as np
import pytest

from jaxlayers import errors, ops
from jaxlayers.ops import math as math_ops
from tests.helpers import assert_close

_RNG = np.random.default_rng(14)


def _f32(*shape):
    return _RNG.standard_normal(shape).astype(np.float32)


def _pair(*shape):
    return (_f32(*shape), _f32(*shape))


_SIGNAL = _f32(2, 40)
_SPD = np.einsum("bij,bkj->bik", _f32(2, 3, 3), _f32(2, 3, 3)) + 3 * np.eye(3, dtype=np.float32)
_SPEC = tuple(np.asarray(p) for p in math_ops.stft(_SIGNAL, 8, 4, 16))
_SPEC_NOWIN = tuple(np.asarray(p) for p in math_ops.stft(_SIGNAL, 16, 4, 16, window=None))
_IDS = np.array([0, 0, 2, 1, 2], np.int32)

# (name, array args, static kwargs)
TABLE = [
    ("segment_sum", (_f32(5, 3), _IDS), dict(num_segments=3)),
    ("segment_sum", (_f32(5), np.sort(_IDS)), dict(num_segments=4, sorted=True)),
    ("segment_max", (_f32(5, 3), _IDS), dict(num_segments=3)),
    ("segment_min", (_f32(5, 3), _IDS), dict(num_segments=3)),
    ("segment_prod", (_f32(5, 3), _IDS), dict(num_segments=3)),
    ("top_k", (_f32(3, 7),), dict(k=3)),
    ("top_k", (np.array([5, 2, 7, 1, 9], np.int32),), dict(k=2, sorted=False)),
    ("in_top_k", (np.array([2, 0, 4], np.int32), _f32(3, 5)), dict(k=2)),
    ("in_top_k", (np.array([1, 3], np.int32),
                  np.array([[0.1, 0.5, 0.5, 0.2], [0.3, 0.3, 0.2, np.nan]], np.float32)),
     dict(k=1)),
    ("logsumexp", (_f32(3, 4),), {}),
    ("logsumexp", (_f32(3, 4),), dict(axis=1, keepdims=True)),
    ("logsumexp", (np.array([[1, 2], [3, 4]], np.int32),), dict(axis=0)),
    ("cdist", (_f32(2, 4, 3), _f32(2, 5, 3)), {}),
    ("extract_sequences", (_f32(2, 10),), dict(sequence_length=4, sequence_stride=3)),
    ("extract_sequences", (np.arange(6, dtype=np.int32),),
     dict(sequence_length=3, sequence_stride=2)),
    ("fft", (_pair(2, 6),), {}),
    ("fft2", (_pair(2, 4, 6),), {}),
    ("ifft2", (_pair(2, 4, 6),), {}),
    ("rfft", (_f32(2, 9),), {}),
    ("rfft", (_f32(2, 9),), dict(fft_length=16)),
    ("irfft", (_pair(2, 5),), {}),
    ("irfft", (_pair(2, 5),), dict(fft_length=9)),
    ("stft", (_SIGNAL,), dict(sequence_length=8, sequence_stride=4, fft_length=16)),
    ("stft", (_SIGNAL,), dict(sequence_length=7, sequence_stride=3, fft_length=12,
                              window="hamming", center=False)),
    ("stft", (_SIGNAL,), dict(sequence_length=8, sequence_stride=5, fft_length=8,
                              window=None)),
    ("stft", (_SIGNAL[0],), dict(sequence_length=6, sequence_stride=2, fft_length=8,
                                 window=np.linspace(0.1, 1.0, 6).astype(np.float32))),
    ("istft", (_SPEC,), dict(sequence_length=8, sequence_stride=4, fft_length=16)),
    ("istft", (_SPEC,), dict(sequence_length=8, sequence_stride=4, fft_length=16,
                             length=30)),
    ("istft", (_SPEC,), dict(sequence_length=8, sequence_stride=4, fft_length=16,
                             center=False, window="hamming")),
    ("istft", (_SPEC_NOWIN,), dict(sequence_length=16, sequence_stride=4, fft_length=16,
                                   window=None)),
    ("rsqrt", (np.abs(_f32(3, 4)) + 0.1,), {}),
    ("erf", (_f32(3, 4),), {}),
    ("erfc", (_f32(3, 4),), {}),
    ("erfc", (np.array([0, 1, -1], np.int32),), {}),
    ("erfinv", (np.tanh(_f32(3, 4)),), {}),
    ("logdet", (_SPD,), {}),
    ("view_as_complex", (_f32(3, 2),), {}),
    ("view_as_real", ((_f32(3) + 1j * _f32(3)).astype(np.complex64),), {}),
]
# Keras names deliberately left out of the table (none).
OMITTED = set()


def _ids(table):
    seen = {}
    out = []
    for name, _, _ in table:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}-{seen[name] - 1}")
    return out


def _ours(name, args, kwargs, jit):
    fn = getattr(ops, name)
    if not jit:
        return fn(*args, **kwargs)
    return jax.jit(lambda *a: fn(*a, **kwargs))(*args)


def _check(ours, theirs):
    ours, theirs = jax.tree.leaves(ours), jax.tree.leaves(tuple(theirs) if isinstance(
        theirs, list) else theirs)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape
        assert a.dtype == b.dtype, (a.dtype, b.dtype)
        if a.dtype == np.bool_:
            np.testing.assert_array_equal(a, b)
        else:
            np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-5)


def test_table_covers_every_keras_math_name(keras):
    from keras.src.ops import math as keras_math

    names = {n for n in dir(keras_math) if not n.startswith("_")
             and callable(getattr(keras_math, n))
             and getattr(keras.ops, n, None) is getattr(keras_math, n)}
    assert names - {name for name, _, _ in TABLE} == OMITTED
    assert set(math_ops.__all__) == names
    for name in names:
        assert getattr(ops, name) is getattr(math_ops, name)


@pytest.mark.parametrize("row", TABLE, ids=_ids(TABLE))
def test_matches_keras_eager_and_jit(keras, row):
    name, args, kwargs = row
    theirs = getattr(keras.ops, name)(*args, **kwargs)
    _check(_ours(name, args, kwargs, jit=False), theirs)
    _check(_ours(name, args, kwargs, jit=True), theirs)


# --------------------------------------------------------------------------- NumPy references
def _hann(n):
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)


def test_stft_is_windowed_rfft_of_centred_frames():
    x = _SIGNAL.astype(np.float64)
    real, imag = ops.stft(_SIGNAL, 6, 3, 10)
    padded = np.pad(x, ((0, 0), (5, 5)), mode="reflect")
    window = np.pad(_hann(6), (2, 2))
    starts = range(0, padded.shape[-1] - 10 + 1, 3)
    want = np.stack([np.fft.rfft(padded[:, s:s + 10] * window) for s in starts], axis=1)
    assert_close((real, imag), (want.real, want.imag), tol=1e-4)


def test_istft_inverts_stft():
    x = _SIGNAL
    for center, length in ((True, 40), (False, None)):
        spec = ops.stft(x, 16, 4, 16, center=center)
        y = ops.istft(spec, 16, 4, 16, length=length, center=center)
        # Without centring the first and last samples lack overlap; compare the middle.
        lo = 0 if center else 16
        assert_close(y[..., lo:40 - lo], x[..., lo:40 - lo], tol=1e-4)


def test_fft_pairs_match_numpy():
    real, imag = _pair(3, 4, 5)
    z = real.astype(np.float64) + 1j * imag
    for op, ref in ((ops.fft, np.fft.fft), (ops.fft2, np.fft.fft2), (ops.ifft2, np.fft.ifft2)):
        want = ref(z)
        assert_close(op((real, imag)), (want.real, want.imag), tol=1e-4)
    assert_close(ops.irfft(ops.rfft(real[0], fft_length=5), fft_length=5), real[0], tol=1e-5)


def test_segment_ops_infer_num_segments_eagerly_and_need_it_under_jit():
    data = np.arange(5.0, dtype=np.float32)
    assert ops.segment_sum(data, _IDS).tolist() == [1.0, 3.0, 6.0]
    with pytest.raises(errors.ConfigError, match=r"ops.segment_max: `num_segments` must be "
                                                 r"given when `segment_ids` is traced"):
        jax.jit(ops.segment_max)(data, _IDS)


def test_in_top_k_ties_favour_the_target_and_nan_never_wins():
    preds = np.array([[0.5, 0.5, 0.1], [np.nan, 0.2, 0.3]], np.float32)
    assert ops.in_top_k(np.array([1, 0]), preds, 1).tolist() == [True, False]


def test_complex_views_round_trip():
    x = _f32(4, 2)
    z = ops.view_as_complex(x)
    np.testing.assert_array_equal(z, x[:, 0] + 1j * x[:, 1])
    assert_close(ops.view_as_real(z), x, tol=0)


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize("call,error,message", [
    (lambda: ops.fft(_f32(3)), errors.ConfigError,
     r"ops.fft: `x` must be a tuple \(real, imag\) of two float arrays. Received"),
    (lambda: ops.fft2((_f32(3, 2), _f32(2, 3))), errors.ShapeError,
     r"ops.fft2: the real and imaginary parts of `x` must have the same shape"),
    (lambda: ops.ifft2(_pair(3)), errors.ShapeError, r"ops.ifft2: `x` must have rank >= 2"),
    (lambda: ops.irfft((np.zeros(3, np.int32),) * 2), errors.ConfigError,
     r"ops.irfft: both parts of `x` must be float arrays"),
    (lambda: ops.stft(np.zeros(8, np.int32), 4, 2, 4), errors.DTypeError,
     r"ops.stft: `x` must be float32 or float64. Received: x.dtype=int32"),
    (lambda: ops.stft(_f32(8), 4, 0, 4), errors.ConfigError,
     r"ops.stft: `sequence_stride` must be a positive int. Received: sequence_stride=0"),
    (lambda: ops.stft(_f32(8), 4, 2, 2), errors.ConfigError,
     r"ops.stft: `fft_length` must be >= `sequence_length`. Received: fft_length=2"),
    (lambda: ops.istft(_pair(3, 3), 4, 2, 4, window="blackman"), errors.ConfigError,
     r"ops.istft: `window` must be one of \('hann', 'hamming'\)"),
    (lambda: ops.stft(_f32(8), 4, 2, 4, window=np.ones(3)), errors.ShapeError,
     r"ops.stft: `window` must have shape \(sequence_length,\) = \(4,\)"),
    (lambda: ops.istft(_pair(3), 4, 2, 4), errors.ShapeError,
     r"ops.istft: `x` must have rank >= 2"),
    (lambda: ops.segment_sum(_f32(4), np.zeros((2, 2), np.int32)), errors.ShapeError,
     r"ops.segment_sum: `segment_ids` must be a 1-D vector"),
    (lambda: ops.segment_sum(_f32(4), np.zeros(3, np.int32), 2), errors.ShapeError,
     r"ops.segment_sum: `data` and `segment_ids` must have the same leading size"),
    (lambda: ops.top_k(_f32(3), 4), errors.ShapeError,
     r"ops.top_k: `k` must be at most the size of the last axis"),
    (lambda: ops.top_k(_f32(3), 1.5), errors.ConfigError,
     r"ops.top_k: `k` must be an int >= 0. Received: k=1.5"),
    (lambda: ops.in_top_k(np.zeros(2, np.int32), _f32(3, 4), 1), errors.ShapeError,
     r"ops.in_top_k: `predictions` must have the shape of `targets` plus a class axis"),
    (lambda: ops.cdist(_f32(3), _f32(2, 3)), errors.ShapeError,
     r"ops.cdist: inputs must have rank >= 2"),
    (lambda: ops.cdist(_f32(2, 3), _f32(2, 4)), errors.ShapeError,
     r"ops.cdist: the last axes of `x` and `y` must have the same size"),
    (lambda: ops.extract_sequences(_f32(6), 0, 1), errors.ConfigError,
     r"ops.extract_sequences: `sequence_length` must be a positive int"),
    (lambda: ops.view_as_complex(_f32(3, 3)), errors.ShapeError,
     r"ops.view_as_complex: the last axis of `x` must have size 2"),
])
def test_bad_arguments_raise_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
