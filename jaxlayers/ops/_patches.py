"""Patch rearrangements: ``unfold``/``fold`` (im2col and its adjoint) and
``depth_to_space``/``space_to_depth`` (pixel shuffle), public as ``jl.ops.nn.*``.

``unfold`` and ``fold`` take channels-first ``(N, C, H, W)`` images, as Keras
does; a column holds ``C * kH * kW`` values, channel-major.

Example:
    >>> from jaxlayers.ops import nn
    >>> nn.unfold(jnp.ones((1, 2, 4, 4)), kernel_size=2, stride=2).shape
    (1, 8, 4)
"""

import jax
import jax.numpy as jnp
from jax import lax

from jaxlayers.errors import ShapeError
from jaxlayers.ops import _args


def _pairs(op, kernel_size, dilation, padding, stride):
    return (_args.int_tuple(op, "kernel_size", kernel_size, 2),
            _args.int_tuple(op, "dilation", dilation, 2),
            _args.int_tuple(op, "padding", padding, 2, minimum=0),
            _args.int_tuple(op, "stride", stride, 2))


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding ``kernel_size`` blocks of a ``(N, C, H, W)`` image as columns.

    Args:
        x: ``(N, C, H, W)``.
        kernel_size, dilation, padding, stride: An int or two ints (zero
            padding on both sides of each spatial axis).

    Returns:
        ``(N, C * kH * kW, L)`` with ``L`` the number of block positions.

    Example:
        >>> unfold(jnp.arange(4.0).reshape(1, 1, 2, 2), 1)[0]
        Array([[0., 1., 2., 3.]], dtype=float32)
    """
    x = _args.array(x)
    _args.rank("unfold", "x", x, (4,))
    k, d, p, s = _pairs("unfold", kernel_size, dilation, padding, stride)
    patches = lax.conv_general_dilated_patches(
        x, filter_shape=k, window_strides=s, padding=[(p[0], p[0]), (p[1], p[1])],
        rhs_dilation=d, dimension_numbers=("NCHW", "OIHW", "NCHW"))
    n, ckk = patches.shape[:2]
    return jnp.reshape(patches, (n, ckk, -1))


def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sums columns of blocks back into a ``(N, C, *output_size)`` image (``unfold``'s adjoint).

    Overlapping blocks add up, so ``fold(unfold(x))`` counts each pixel once per
    block covering it.

    Args:
        x: Array ``(N, C * prod(kernel_size), L)`` of columns.
        output_size: Int or pair, the image's spatial size.
        kernel_size: Int or pair.
        dilation: Int or pair.
        padding: Int or pair.
        stride: Int or pair.

    Example:
        >>> fold(jnp.ones((1, 4, 4)), 3, 2)[0, 0]
        Array([[1., 2., 1.],
               [2., 4., 2.],
               [1., 2., 1.]], dtype=float32)
    """
    op = "fold"
    x = _args.array(x)
    _args.rank(op, "x", x, (3,))
    out_h, out_w = _args.int_tuple(op, "output_size", output_size, 2)
    k, d, p, s = _pairs(op, kernel_size, dilation, padding, stride)
    n, ckk, length = x.shape
    positions = [(size + 2 * pad - dil * (kk - 1) - 1) // st + 1
                 for size, pad, dil, kk, st in zip((out_h, out_w), p, d, k, s)]
    if ckk % (k[0] * k[1]) or length != positions[0] * positions[1]:
        raise ShapeError(
            f"ops.{op}: `x` must be (N, C * {k[0] * k[1]}, {positions[0] * positions[1]}) for "
            f"output_size={(out_h, out_w)} and these blocks. Received: x.shape={tuple(x.shape)}.")
    image = jax.ShapeDtypeStruct((n, ckk // (k[0] * k[1]), out_h, out_w), x.dtype)
    # unfold is linear: its transpose scatters each column back onto the image.
    transpose = jax.linear_transpose(lambda t: unfold(t, k, d, p, s), image)
    return transpose(x)[0]


def _blocks(op, x, block_size, data_format):
    """``(x, block_size, channels_first, (n, c, h, w))`` checked."""
    x = _args.array(x)
    _args.rank(op, "x", x, (4,))
    data_format = _args.data_format(op, data_format)
    if not _args.is_int(block_size) or block_size < 2:
        raise _args.invalid(op, "block_size", block_size, "an int >= 2")
    first = data_format == "channels_first"
    n, c, h, w = x.shape if first else (x.shape[0], x.shape[3], x.shape[1], x.shape[2])
    return x, int(block_size), first, (n, c, h, w)


def depth_to_space(x, block_size, data_format="channels_last"):
    """Moves ``block_size**2`` channel groups into ``block_size x block_size`` pixel blocks.

    Channels last reads a block's pixels from the outer channel index (as
    TensorFlow); channels first from the inner one (PyTorch's ``pixel_shuffle``),
    both as in Keras.

    Args:
        x: Array ``(batch, height, width, channels)`` (or channels first), channels
            divisible by ``block_size**2``.
        block_size: Int >= 2.
        data_format: ``'channels_last'`` or ``'channels_first'``.

    Example:
        >>> depth_to_space(jnp.arange(4.0).reshape(1, 1, 1, 4), 2)[0, :, :, 0]
        Array([[0., 1.],
               [2., 3.]], dtype=float32)
    """
    x, b, first, (n, c, h, w) = _blocks("depth_to_space", x, block_size, data_format)
    if c % (b * b):
        raise ShapeError(f"ops.depth_to_space: the channels must divide by block_size**2 = "
                         f"{b * b}. Received: x.shape={tuple(x.shape)}.")
    c_out = c // (b * b)
    if first:
        x = jnp.reshape(x, (n, c_out, b, b, h, w))
        return jnp.reshape(jnp.transpose(x, (0, 1, 4, 2, 5, 3)), (n, c_out, h * b, w * b))
    x = jnp.reshape(x, (n, h, w, b, b, c_out))
    return jnp.reshape(jnp.transpose(x, (0, 1, 3, 2, 4, 5)), (n, h * b, w * b, c_out))


def space_to_depth(x, block_size, data_format="channels_last"):
    """Moves each ``block_size x block_size`` pixel block into the channels (inverse of
    :func:`depth_to_space`).

    Args:
        x: Array ``(batch, height, width, channels)`` (or channels first), height and width
            divisible by ``block_size``.
        block_size: Int >= 2.
        data_format: ``'channels_last'`` or ``'channels_first'``.

    Example:
        >>> space_to_depth(jnp.arange(4.0).reshape(1, 2, 2, 1), 2)[0, 0, 0]
        Array([0., 1., 2., 3.], dtype=float32)
    """
    x, b, first, (n, c, h, w) = _blocks("space_to_depth", x, block_size, data_format)
    if h % b or w % b:
        raise ShapeError(f"ops.space_to_depth: the height and width must divide by "
                         f"block_size = {b}. Received: x.shape={tuple(x.shape)}.")
    if first:
        x = jnp.reshape(x, (n, c, h // b, b, w // b, b))
        return jnp.reshape(jnp.transpose(x, (0, 1, 3, 5, 2, 4)), (n, c * b * b, h // b, w // b))
    x = jnp.reshape(x, (n, h // b, b, w // b, b, c))
    return jnp.reshape(jnp.transpose(x, (0, 1, 3, 2, 4, 5)), (n, h // b, w // b, b * b * c))


__all__ = ["unfold", "fold", "depth_to_space", "space_to_depth"]
