"""jaxlayers.ops.conv and jaxlayers.ops.pooling against direct float64 NumPy references.

The references below are written from the definitions (sliding windows over an
explicitly padded array, scatter for the transposed convolution), not from the
implementation: 'same' pads ``max((ceil(n/s) - 1) * s + k_eff - n, 0)`` with
the odd pixel at the end, 'causal' pads ``k_eff - 1`` at the start.
"""

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxlayers.ops import _conv as conv_ops
from jaxlayers.ops import _pooling as pool_ops

RTOL = ATOL = 2e-5


# --------------------------------------------------------------------------- references
def _to_last(x, data_format):
    return x if data_format == "channels_last" else np.moveaxis(x, 1, -1)


def _from_last(y, data_format):
    return y if data_format == "channels_last" else np.moveaxis(y, -1, 1)


def _pads(spatial, window, strides, padding, dilation):
    pads = []
    for n, k, s, d in zip(spatial, window, strides, dilation):
        k_eff = (k - 1) * d + 1
        if padding == "valid":
            pads.append((0, 0))
        elif padding == "causal":
            pads.append((k_eff - 1, 0))
        else:
            total = max((math.ceil(n / s) - 1) * s + k_eff - n, 0)
            pads.append((total // 2, total - total // 2))
    return pads


def _windows(xp, window, strides, dilation):
    """Yields ``(offset, patch)``: the input entries each kernel tap sees, per output position."""
    rank = len(window)
    out = [(xp.shape[1 + i] - ((window[i] - 1) * dilation[i] + 1)) // strides[i] + 1
           for i in range(rank)]
    for offset in itertools.product(*[range(k) for k in window]):
        index = tuple(slice(o * d, o * d + (m - 1) * s + 1, s)
                      for o, d, m, s in zip(offset, dilation, out, strides))
        yield offset, xp[(slice(None),) + index + (slice(None),)]


def ref_conv(x, kernel, strides, padding, dilation, data_format):
    x = _to_last(np.asarray(x, np.float64), data_format)
    kernel = np.asarray(kernel, np.float64)
    rank = x.ndim - 2
    pads = _pads(x.shape[1:-1], kernel.shape[:rank], strides, padding, dilation)
    xp = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    groups = x.shape[-1] // kernel.shape[-2]
    cg, og = kernel.shape[-2], kernel.shape[-1] // groups
    y = 0.0
    for offset, patch in _windows(xp, kernel.shape[:rank], strides, dilation):
        taps = kernel[offset]
        parts = [patch[..., g * cg:(g + 1) * cg] @ taps[:, g * og:(g + 1) * og]
                 for g in range(groups)]
        y = y + np.concatenate(parts, axis=-1)
    return _from_last(y, data_format)


def ref_depthwise(x, kernel, strides, padding, dilation, data_format):
    x = _to_last(np.asarray(x, np.float64), data_format)
    kernel = np.asarray(kernel, np.float64)
    rank = x.ndim - 2
    pads = _pads(x.shape[1:-1], kernel.shape[:rank], strides, padding, dilation)
    xp = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    y = 0.0
    for offset, patch in _windows(xp, kernel.shape[:rank], strides, dilation):
        prod = patch[..., :, None] * kernel[offset]          # (..., in, multiplier)
        y = y + prod.reshape(prod.shape[:-2] + (-1,))
    return _from_last(y, data_format)


def ref_conv_transpose_tf(x, kernel, strides, padding, dilation, data_format):
    """Scatter definition; 'same' crops like the input-gradient of a 'same' conv of size n*s."""
    x = _to_last(np.asarray(x, np.float64), data_format)
    kernel = np.asarray(kernel, np.float64)                # (*k, out, in)
    rank = x.ndim - 2
    spatial = x.shape[1:-1]
    k_eff = [(k - 1) * d + 1 for k, d in zip(kernel.shape[:rank], dilation)]
    full = np.zeros((x.shape[0],) + tuple((n - 1) * s + e for n, s, e in
                                          zip(spatial, strides, k_eff)) + (kernel.shape[-2],))
    for offset in itertools.product(*[range(k) for k in kernel.shape[:rank]]):
        index = tuple(slice(o * d, o * d + (n - 1) * s + 1, s)
                      for o, d, n, s in zip(offset, dilation, spatial, strides))
        full[(slice(None),) + index + (slice(None),)] += x @ kernel[offset].T
    windows = []
    for n, s, e in zip(spatial, strides, k_eff):
        if padding == "valid":
            windows.append(slice(0, (n - 1) * s + max(e, s)))
        else:
            start = max(e - s, 0) // 2
            windows.append(slice(start, start + n * s))
    stop = [w.stop for w in windows]
    pad = [(0, max(0, t - f)) for t, f in zip(stop, full.shape[1:-1])]
    full = np.pad(full, [(0, 0)] + pad + [(0, 0)])
    return _from_last(full[(slice(None),) + tuple(windows) + (slice(None),)], data_format)


def ref_pool(x, window, strides, padding, data_format, mode):
    x = _to_last(np.asarray(x, np.float64), data_format)
    rank = x.ndim - 2
    pads = _pads(x.shape[1:-1], window, strides, padding, (1,) * rank)
    fill = -np.inf if mode == "max" else 0.0
    xp = np.pad(x, [(0, 0)] + pads + [(0, 0)], constant_values=fill)
    real = np.pad(np.ones_like(x), [(0, 0)] + pads + [(0, 0)])
    patches = [p for _, p in _windows(xp, window, strides, (1,) * rank)]
    if mode == "max":
        y = np.max(np.stack(patches), axis=0)
    else:
        counts = sum(p for _, p in _windows(real, window, strides, (1,) * rank))
        y = sum(patches) / counts
    return _from_last(y, data_format)


def _input(rng, rank, data_format, channels=4, size=(7, 6, 5)):
    spatial = size[:rank]
    shape = (2,) + spatial + (channels,) if data_format == "channels_last" else \
        (2, channels) + spatial
    return rng.standard_normal(shape).astype(np.float32)


def _check(actual, expected, what):
    actual = np.asarray(actual, np.float64)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL, err_msg=what)


FORMATS = ("channels_last", "channels_first")


# --------------------------------------------------------------------------- conv
@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_conv_every_padding_stride_dilation(rng, rank, data_format):
    x = _input(rng, rank, data_format)
    kernel = rng.standard_normal((3, 2, 2)[:rank] + (4, 5)).astype(np.float32)
    paddings = ("valid", "same", "causal") if rank == 1 else ("valid", "same")
    for padding, stride, dilation in itertools.product(paddings, (1, 2), (1, 2)):
        strides, dilations = (stride,) * rank, (dilation,) * rank
        got = conv_ops.conv(x, kernel, strides, padding, data_format, dilations)
        want = ref_conv(x, kernel, strides, padding, dilations, data_format)
        _check(got, want, f"conv rank={rank} {padding} s={stride} d={dilation} {data_format}")
        spatial = x.shape[1:-1] if data_format == "channels_last" else x.shape[2:]
        lengths = tuple(conv_ops.conv_output_length(n, k, stride, padding, dilation)
                        for n, k in zip(spatial, kernel.shape[:rank]))
        out_spatial = got.shape[1:-1] if data_format == "channels_last" else got.shape[2:]
        assert out_spatial == lengths


@pytest.mark.parametrize("data_format", FORMATS)
def test_grouped_conv(rng, data_format):
    x = _input(rng, 2, data_format, channels=6)
    kernel = rng.standard_normal((3, 3, 2, 9)).astype(np.float32)   # 3 groups
    for padding in ("valid", "same"):
        got = conv_ops.conv(x, kernel, (2, 1), padding, data_format, 1)
        _check(got, ref_conv(x, kernel, (2, 1), padding, (1, 1), data_format), padding)


def test_conv_rejects_mismatched_kernel(rng):
    x = rng.standard_normal((1, 5, 5, 4)).astype(np.float32)
    with pytest.raises(ValueError, match=r"kernel of shape \(3, 3, 3, 2\)"):
        conv_ops.conv(x, np.ones((3, 3, 3, 2), np.float32))
    with pytest.raises(ValueError, match="padding"):
        conv_ops.conv(x, np.ones((3, 3, 4, 2), np.float32), padding="full")


def test_hand_computed_conv1d():
    x = jnp.array([[[1.0], [2.0], [3.0], [4.0]]])
    k = jnp.array([[[1.0]], [[10.0]]])                      # y[t] = x[t] + 10 x[t+1]
    np.testing.assert_allclose(conv_ops.conv(x, k)[0, :, 0], [21.0, 32.0, 43.0])
    # causal: y[t] = x[t-1] + 10 x[t], with x[-1] = 0.
    np.testing.assert_allclose(conv_ops.conv(x, k, padding="causal")[0, :, 0],
                               [10.0, 21.0, 32.0, 43.0])
    # same with an even kernel pads the extra zero at the end.
    np.testing.assert_allclose(conv_ops.conv(x, k, padding="same")[0, :, 0],
                               [21.0, 32.0, 43.0, 4.0])


# --------------------------------------------------------------------------- depthwise
@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("rank", [1, 2])
def test_depthwise_and_separable(rng, rank, data_format):
    x = _input(rng, rank, data_format, channels=3)
    dw = rng.standard_normal((3, 2)[:rank] + (3, 2)).astype(np.float32)
    pw = rng.standard_normal((1,) * rank + (6, 4)).astype(np.float32)
    for padding, stride, dilation in itertools.product(("valid", "same"), (1, 2), (1, 2)):
        strides, dilations = (stride,) * rank, (dilation,) * rank
        what = f"rank={rank} {padding} s={stride} d={dilation} {data_format}"
        want = ref_depthwise(x, dw, strides, padding, dilations, data_format)
        got = conv_ops.depthwise_conv(x, dw, strides, padding, data_format, dilations)
        _check(got, want, "depthwise " + what)
        want_sep = ref_conv(want, pw, (1,) * rank, "valid", (1,) * rank, data_format)
        got_sep = conv_ops.separable_conv(x, dw, pw, strides, padding, data_format, dilations)
        _check(got_sep, want_sep, "separable " + what)


# --------------------------------------------------------------------------- transpose
@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_conv_transpose_every_padding_stride_dilation(rng, rank, data_format):
    x = _input(rng, rank, data_format, channels=3, size=(4, 3, 3))
    configs = [(3, 2, 1), (4, 3, 1), (2, 3, 1), (3, 1, 2)]
    if rank < 3:
        configs += [(3, 1, 1), (2, 2, 1), (2, 1, 3)]
    for k, stride, dilation in configs:
        kernel = rng.standard_normal((k,) * rank + (2, 3)).astype(np.float32)
        for padding in ("valid", "same"):
            strides, dilations = (stride,) * rank, (dilation,) * rank
            got = conv_ops.conv_transpose(x, kernel, strides, padding, None, data_format,
                                          dilations)
            want = ref_conv_transpose_tf(x, kernel, strides, padding, dilations, data_format)
            _check(got, want, f"transpose rank={rank} k={k} {padding} s={stride} "
                              f"d={dilation} {data_format}")


def test_conv_transpose_is_the_input_gradient_of_conv(rng):
    """<conv(x), y> == <x, conv_transpose(y)> for 'valid' and 'same' with matching sizes."""
    kernel = rng.standard_normal((3, 3, 2, 4)).astype(np.float32)    # conv: 2 -> 4 channels
    for padding, stride in itertools.product(("valid", "same"), (1, 2)):
        x = rng.standard_normal((1, 8, 8, 2)).astype(np.float32)
        y = conv_ops.conv(x, kernel, stride, padding)
        g = rng.standard_normal(y.shape).astype(np.float32)
        # 'valid' with stride 2 leaves the last input row unseen: output_padding=1 restores it.
        extra = 1 if (padding, stride) == ("valid", 2) else None
        back = conv_ops.conv_transpose(g, kernel, stride, padding, output_padding=extra)
        vjp = jax.vjp(lambda t: conv_ops.conv(t, kernel, stride, padding), x)[1](g)[0]
        _check(back, np.asarray(vjp, np.float64), f"{padding} s={stride}")


def test_conv_transpose_explicit_output_padding(rng):
    keras = pytest.importorskip("keras")
    for rank, padding, k, stride, pad, data_format in [
            (1, "same", 4, 3, 0, "channels_last"), (1, "same", 4, 3, 2, "channels_first"),
            (2, "same", 3, 2, 1, "channels_first"), (2, "valid", 3, 2, 1, "channels_last"),
            (1, "valid", 2, 3, 2, "channels_last"), (2, "same", 5, 2, 0, "channels_last")]:
        x = _input(rng, rank, data_format, channels=3, size=(5, 4))
        kernel = rng.standard_normal((k,) * rank + (2, 3)).astype(np.float32)
        got = conv_ops.conv_transpose(x, kernel, stride, padding, pad, data_format, 1)
        want = keras.ops.conv_transpose(x, kernel, stride, padding, pad, data_format, 1)
        _check(got, np.asarray(want, np.float64), f"{rank} {padding} k={k} s={stride} p={pad}")
        spatial = x.shape[1:-1] if data_format == "channels_last" else x.shape[2:]
        expect = tuple(conv_ops.conv_transpose_output_length(n, k, stride, padding, pad)
                       for n in spatial)
        out_spatial = got.shape[1:-1] if data_format == "channels_last" else got.shape[2:]
        assert out_spatial == expect


# --------------------------------------------------------------------------- pooling
@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_pooling_every_padding_and_stride(rng, rank, data_format):
    x = _input(rng, rank, data_format, channels=2)
    for mode, padding, (pool, stride) in itertools.product(
            ("max", "average"), ("valid", "same"), [(2, None), (3, 2), (2, 1)]):
        window = (pool,) * rank
        strides = window if stride is None else (stride,) * rank
        fn = pool_ops.max_pool if mode == "max" else pool_ops.average_pool
        got = fn(x, window, None if stride is None else strides, padding, data_format)
        want = ref_pool(x, window, strides, padding, data_format, mode)
        _check(got, want, f"{mode} rank={rank} {padding} pool={pool} s={stride} {data_format}")


def test_global_pooling(rng):
    x = rng.standard_normal((2, 5, 3)).astype(np.float32)
    np.testing.assert_allclose(pool_ops.global_max_pool(x), x.max(1), rtol=1e-6)
    np.testing.assert_allclose(pool_ops.global_average_pool(x, keepdims=True),
                               x.mean(1, keepdims=True), rtol=1e-5, atol=1e-6)
    xc = np.moveaxis(x, -1, 1)
    np.testing.assert_allclose(pool_ops.global_average_pool(xc, "channels_first"), x.mean(1),
                               rtol=1e-5, atol=1e-6)
    mask = np.array([[1, 1, 0, 0, 1], [0, 1, 1, 1, 1]], bool)
    want = np.stack([x[i][mask[i]].mean(0) for i in range(2)])
    np.testing.assert_allclose(pool_ops.global_average_pool(x, mask=mask), want, rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(pool_ops.global_average_pool(xc, "channels_first", mask=mask),
                               want, rtol=1e-5, atol=1e-6)


def test_ops_jit_and_grad(rng):
    x = rng.standard_normal((2, 6, 6, 3)).astype(np.float32)
    k = rng.standard_normal((3, 3, 3, 4)).astype(np.float32)

    def loss(x, k):
        y = conv_ops.conv(x, k, 2, "same")
        y = pool_ops.max_pool(y, 2, padding="same") + pool_ops.average_pool(y, 2,
                                                                            padding="same")
        return jnp.sum(conv_ops.conv_transpose(y, k, 2, "same") ** 2)

    gx, gk = jax.jit(jax.grad(loss, argnums=(0, 1)))(x, k)
    assert np.all(np.isfinite(gx)) and np.all(np.isfinite(gk))
    assert gx.shape == x.shape and gk.shape == k.shape
