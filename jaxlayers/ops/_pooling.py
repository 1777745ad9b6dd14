"""Pooling math as pure functions over arrays: no layers, no state.

Inputs are ``(batch, *spatial, channels)`` (``'channels_last'``) or
``(batch, channels, *spatial)`` (``'channels_first'``).  ``padding='same'``
pads like TensorFlow/Keras (see ``same_padding`` in ``ops/_conv.py``);
padded entries never win a max and are not counted in an average.  Adaptive
pooling splits each spatial axis of length ``n`` into ``out`` bins, bin ``i``
covering ``[floor(i * n / out), ceil((i + 1) * n / out))`` (PyTorch's and
Keras's rule), so bins overlap when ``out`` does not divide ``n``.

Example:
    >>> max_pool(jnp.arange(8.0).reshape(1, 8, 1), 2)[0, :, 0]
    Array([1., 3., 5., 7.], dtype=float32)
"""

import math

import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxlayers.ops import _args
from jaxlayers.ops import _layout as layout
from jaxlayers.ops._conv import same_padding


def pool_output_length(length, pool_size, stride, padding="valid"):
    """Output size of one spatial axis (``None`` stays ``None``; ``'valid'`` may give ``<= 0``)."""
    if length is None:
        return None
    if padding == "valid":
        return (length - pool_size) // stride + 1
    return -(-length // stride)


def _window(op, inputs, pool_size, strides, padding, data_format):
    """Full-rank window dims, strides and padding for ``lax.reduce_window``."""
    _args.rank(op, "inputs", inputs, (3, 4, 5))
    rank = inputs.ndim - 2
    pool_size = _args.int_tuple(op, "pool_size", pool_size, rank)
    strides = pool_size if strides is None else _args.int_tuple(op, "strides", strides, rank)
    padding = _args.padding(op, padding)
    dims, steps, pads = [1] * inputs.ndim, [1] * inputs.ndim, [(0, 0)] * inputs.ndim
    for axis, k, s in zip(layout.spatial_axes(inputs.ndim, data_format), pool_size, strides):
        dims[axis], steps[axis] = k, s
        if padding == "same":
            pads[axis] = same_padding(inputs.shape[axis], k, s)
    return tuple(dims), tuple(steps), tuple(pads)


def _lowest(dtype):
    # A NumPy constant (not a traced jnp value) lets JAX see a max-pool monoid and
    # differentiate it, also under jit.
    if jnp.issubdtype(dtype, jnp.floating):
        return np.array(-np.inf, dtype)
    if jnp.issubdtype(dtype, jnp.bool_):
        return np.array(False)
    return np.array(jnp.iinfo(dtype).min, dtype)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Max over windows of ``pool_size`` moved by ``strides`` (default ``pool_size``).

    Args:
        inputs: Array of shape ``(batch, *spatial, channels)`` (or channels first).
        pool_size: Int or tuple, the window size.
        strides: Int or tuple; ``None`` means ``pool_size``.
        padding: ``'valid'`` or ``'same'``.
        data_format: ``'channels_last'`` or ``'channels_first'``; ``None`` means the global
            default.

    Example:
        >>> max_pool(jnp.ones((2, 5, 5, 3)), 2, padding="same").shape
        (2, 3, 3, 3)
    """
    inputs = _args.array(inputs)
    data_format = _args.data_format("max_pool", data_format)
    dims, steps, pads = _window("max_pool", inputs, pool_size, strides, padding, data_format)
    return lax.reduce_window(inputs, _lowest(inputs.dtype), lax.max, dims, steps, pads)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Mean over windows; with ``'same'`` each window averages only its real entries.

    Args:
        inputs: Array of shape ``(batch, *spatial, channels)`` (or channels first).
        pool_size: Int or tuple, the window size.
        strides: Int or tuple; ``None`` means ``pool_size``.
        padding: ``'valid'`` or ``'same'``.
        data_format: ``'channels_last'`` or ``'channels_first'``; ``None`` means the global
            default.

    Example:
        >>> average_pool(jnp.ones((2, 6, 3)), 3).shape
        (2, 2, 3)
    """
    inputs = _args.array(inputs)
    data_format = _args.data_format("average_pool", data_format)
    padding = _args.padding("average_pool", padding)
    dims, steps, pads = _window("average_pool", inputs, pool_size, strides, padding,
                                data_format)
    zero = np.array(0, inputs.dtype)
    total = lax.reduce_window(inputs, zero, lax.add, dims, steps, pads)
    if padding == "valid":
        return total / math.prod(dims)
    # Counts depend on the spatial axes only: reduce a ones array broadcastable to the output.
    spatial = set(layout.spatial_axes(inputs.ndim, data_format))
    shape = tuple(n if axis in spatial else 1 for axis, n in enumerate(inputs.shape))
    ones = np.ones(shape, inputs.dtype)
    keep = tuple(d if axis in spatial else 1 for axis, d in enumerate(dims))
    keep_steps = tuple(s if axis in spatial else 1 for axis, s in enumerate(steps))
    keep_pads = tuple(p if axis in spatial else (0, 0) for axis, p in enumerate(pads))
    counts = lax.reduce_window(ones, zero, lax.add, keep, keep_steps, keep_pads)
    return total / counts


def global_max_pool(inputs, data_format="channels_last", keepdims=False):
    """Max over all spatial axes: ``(batch, channels)`` (or size-1 spatial axes kept)."""
    return jnp.max(inputs, axis=layout.spatial_axes(inputs.ndim, data_format), keepdims=keepdims)


def global_average_pool(inputs, data_format="channels_last", keepdims=False, mask=None):
    """Mean over all spatial axes; with ``mask`` only the unmasked steps are averaged.

    Args:
        inputs: ``(batch, *spatial, channels)`` or channels first.
        mask: Optional boolean ``(batch, *spatial)``; masked steps are left out of
            the mean.  A row whose steps are all masked divides zero by zero (NaN),
            as in Keras.

    Example:
        >>> x = jnp.array([[[1.0], [3.0], [100.0]]])
        >>> global_average_pool(x, mask=jnp.array([[True, True, False]]))
        Array([[2.]], dtype=float32)
    """
    axes = layout.spatial_axes(inputs.ndim, data_format)
    if mask is None:
        return jnp.mean(inputs, axis=axes, keepdims=keepdims)
    keep = jnp.expand_dims(jnp.asarray(mask).astype(bool),
                           layout.channel_axis(data_format, inputs.ndim))
    total = jnp.sum(jnp.where(keep, inputs, jnp.zeros((), inputs.dtype)), axis=axes,
                    keepdims=keepdims)
    count = jnp.sum(keep.astype(inputs.dtype), axis=axes, keepdims=keepdims)
    return total / count


def _bins(length, out):
    """``(starts, ends)`` of the ``out`` adaptive bins over an axis of ``length``."""
    starts = [(i * length) // out for i in range(out)]
    ends = [-(-((i + 1) * length) // out) for i in range(out)]
    return starts, ends


def _adaptive(op, inputs, output_size, data_format, reduce):
    inputs = _args.array(inputs)
    data_format = _args.data_format(op, data_format)
    _args.rank(op, "inputs", inputs, (3, 4, 5))
    axes = layout.spatial_axes(inputs.ndim, data_format)
    output_size = _args.int_tuple(op, "output_size", output_size, len(axes))
    # Max and mean over a box are a max (mean) per axis in turn: pool one axis at a
    # time with a static (out, n) membership table.
    for axis, out in zip(axes, output_size):
        n = inputs.shape[axis]
        starts, ends = _bins(n, out)
        member = np.zeros((out, n), bool)
        for i, (a, b) in enumerate(zip(starts, ends)):
            member[i, a:b] = True
        moved = jnp.moveaxis(inputs, axis, -1)
        pooled = reduce(moved[..., None, :], member)
        inputs = jnp.moveaxis(pooled, -1, axis)
    return inputs


def _bin_max(x, member):
    return jnp.max(jnp.where(member, x, _lowest(x.dtype)), axis=-1)


def _bin_mean(x, member):
    weights = member / member.sum(axis=1, keepdims=True)
    dtype = x.dtype if jnp.issubdtype(x.dtype, jnp.inexact) else jnp.float32
    return jnp.sum(x.astype(dtype) * weights.astype(dtype), axis=-1)


def adaptive_max_pool(inputs, output_size, data_format=None):
    """Max over adaptive bins: the spatial output size is ``output_size`` whatever the input's.

    Args:
        inputs: ``(batch, *spatial, channels)`` or channels first, 1 to 3 spatial axes.
        output_size: Int or one int per spatial axis.
        data_format: ``'channels_last'``, ``'channels_first'`` or ``None``.

    Example:
        >>> adaptive_max_pool(jnp.arange(5.0).reshape(1, 5, 1), 2)[0, :, 0]
        Array([2., 4.], dtype=float32)
    """
    return _adaptive("adaptive_max_pool", inputs, output_size, data_format, _bin_max)


def adaptive_average_pool(inputs, output_size, data_format=None):
    """Mean over adaptive bins (see the module docstring for the bins).

    Args:
        inputs: Array of shape ``(batch, *spatial, channels)`` (or channels first).
        output_size: Int or tuple, the output's spatial size.
        data_format: ``'channels_last'`` or ``'channels_first'``; ``None`` means the global
            default.

    Example:
        >>> adaptive_average_pool(jnp.arange(5.0).reshape(1, 5, 1), 2)[0, :, 0]
        Array([1., 3.], dtype=float32)
    """
    return _adaptive("adaptive_average_pool", inputs, output_size, data_format, _bin_mean)


__all__ = ["max_pool", "average_pool", "adaptive_max_pool", "adaptive_average_pool",
           "global_max_pool", "global_average_pool", "pool_output_length"]
