"""Convolution math as pure functions over arrays: no layers, no state.

Conventions shared by every function here:

* ``inputs`` has shape ``(batch, *spatial, channels)`` for
  ``data_format='channels_last'`` or ``(batch, channels, *spatial)`` for
  ``'channels_first'``; the number of spatial axes is ``inputs.ndim - 2``.
* Kernels are always laid out ``(*kernel_size, in, out)`` whatever the data
  format (Keras's layout), so weights move between formats unchanged.
* ``strides`` and ``dilation_rate`` are an int or one int per spatial axis.
* ``padding='same'`` pads like TensorFlow/Keras: the total padding of an axis
  is ``max((ceil(n / s) - 1) * s + k_eff - n, 0)`` and the extra pixel of an
  odd total goes at the end.  ``'causal'`` (1-D) pads ``k_eff - 1`` at the start.

Every shape argument is static, so these functions jit without retracing
and work under ``vmap``.

Example:
    >>> x = jnp.ones((1, 5, 5, 2))
    >>> k = jnp.ones((3, 3, 2, 4))
    >>> conv(x, k, padding="same").shape
    (1, 5, 5, 4)

The public functions are ``jl.ops.nn.conv``, ``depthwise_conv``,
``separable_conv`` and ``conv_transpose`` (Keras's argument order: ``strides,
padding, data_format, dilation_rate``); the output-length rules are for layers.
"""

import jax.numpy as jnp
from jax import lax

from jaxlayers.errors import ShapeError
from jaxlayers.ops import _args
from jaxlayers.ops import _layout as layout

_PADDINGS = ("valid", "same", "causal")


def effective_kernel_size(kernel_size, dilation=1):
    """Extent of a dilated kernel: ``(k - 1) * d + 1``."""
    return (kernel_size - 1) * dilation + 1


def same_padding(length, kernel_size, stride=1, dilation=1):
    """``(before, after)`` padding of one axis for ``padding='same'``."""
    k_eff = effective_kernel_size(kernel_size, dilation)
    steps = -(-length // stride)
    total = max((steps - 1) * stride + k_eff - length, 0)
    return total // 2, total - total // 2


def conv_output_length(length, kernel_size, stride=1, padding="valid", dilation=1):
    """Output size of one spatial axis of a convolution (``None`` stays ``None``).

    ``'valid'``: ``floor((n - k_eff) / s) + 1`` (may be ``<= 0`` when the
    kernel does not fit; callers turn that into an error).  ``'same'`` and
    ``'causal'``: ``ceil(n / s)``.
    """
    if length is None:
        return None
    if padding == "valid":
        return (length - effective_kernel_size(kernel_size, dilation)) // stride + 1
    return -(-length // stride)


def conv_transpose_output_length(length, kernel_size, stride=1, padding="valid",
                                 output_padding=None, dilation=1):
    """Output size of one spatial axis of a transposed convolution (Keras's rule).

    With ``output_padding=None``: ``'same'`` gives ``n * s`` and ``'valid'``
    gives ``(n - 1) * s + max(k_eff, s)``.  With an explicit ``output_padding``
    ``p``: ``'valid'`` gives ``(n - 1) * s + k_eff + p`` and ``'same'`` gives
    ``(n - 1) * s + k_eff % 2 + p``.
    """
    if length is None:
        return None
    k_eff = effective_kernel_size(kernel_size, dilation)
    if padding == "valid":
        extra = max(k_eff, stride) - k_eff if output_padding is None else output_padding
        return (length - 1) * stride + k_eff + extra
    if output_padding is None:
        return length * stride
    return (length - 1) * stride + k_eff % 2 + output_padding


def conv_transpose_padding(kernel_size, stride=1, padding="valid", output_padding=None,
                           dilation=1):
    """``(before, after)`` padding of the stride-dilated input for a transposed conv.

    A transposed convolution is computed as an ordinary convolution of the
    input dilated by ``stride`` (``stride - 1`` zeros between entries) with
    the spatially flipped kernel.  Padding that dilated input with
    ``(k_eff - 1, k_eff - 1)`` gives the "full" result of length
    ``(n - 1) * s + k_eff``; Keras's conventions keep a window of it whose
    length is :func:`conv_transpose_output_length`, starting
    ``k_eff - 1 - before`` entries in (``after`` may exceed ``k_eff - 1``:
    the extra entries are zeros).
    """
    k_eff = effective_kernel_size(kernel_size, dilation)
    if padding == "valid":
        extra = max(k_eff, stride) - k_eff if output_padding is None else output_padding
        return k_eff - 1, k_eff - 1 + extra
    if output_padding is None:
        total = stride + k_eff - 2
    else:
        total = k_eff + k_eff % 2 - 2 + output_padding
    before = min((total + 1) // 2, k_eff - 1)
    return before, total - before


def _dimension_numbers(rank, data_format, kernel_io=(0, 1)):
    """``lax.ConvDimensionNumbers`` for inputs in ``data_format`` and ``(*k, a, b)`` kernels.

    ``kernel_io`` says which of the kernel's last two axes is the input
    feature axis and which the output one: ``(0, 1)`` for ``(*k, in, out)``,
    ``(1, 0)`` for ``(*k, out, in)``.
    """
    spatial = layout.spatial_axes(rank + 2, data_format)
    lhs = (0, layout.channel_axis(data_format, rank + 2)) + spatial
    in_axis, out_axis = rank + kernel_io[0], rank + kernel_io[1]
    rhs = (out_axis, in_axis) + tuple(range(rank))
    return lax.ConvDimensionNumbers(lhs_spec=lhs, rhs_spec=rhs, out_spec=lhs)


def _explicit_padding(inputs, kernel_size, strides, padding, dilation_rate, data_format):
    spatial = layout.spatial_shape(inputs.shape, data_format)
    pads = []
    for n, k, s, d in zip(spatial, kernel_size, strides, dilation_rate):
        if padding == "valid":
            pads.append((0, 0))
        elif padding == "same":
            pads.append(same_padding(n, k, s, d))
        else:
            pads.append((effective_kernel_size(k, d) - 1, 0))
    return pads


def _spatial_args(op, inputs, strides, dilation_rate, data_format):
    """``(inputs, rank, strides, dilation_rate, data_format)`` checked for an N-D op."""
    inputs = _args.array(inputs)
    _args.rank(op, "inputs", inputs, (3, 4, 5))
    rank = inputs.ndim - 2
    return (inputs, rank, _args.int_tuple(op, "strides", strides, rank),
            _args.int_tuple(op, "dilation_rate", dilation_rate, rank),
            _args.data_format(op, data_format))


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-D cross-correlation (what deep learning calls convolution), grouped if needed.

    Args:
        inputs: ``(batch, *spatial, in)`` or ``(batch, in, *spatial)``, 1 to 3
            spatial axes.
        kernel: ``(*kernel_size, in // groups, out)``; the number of groups is
            ``in // kernel.shape[-2]`` (``out`` must divide by it).
        strides: Int or one int per spatial axis.
        padding: ``'valid'``, ``'same'`` or ``'causal'`` (causal is meant for 1-D).
        data_format: ``'channels_last'``, ``'channels_first'``, or ``None`` for
            the global ``image_data_format()``.
        dilation_rate: Int or one int per spatial axis.

    Returns:
        ``(batch, *out_spatial, out)`` (or channels first), with
        ``out_spatial[i] = conv_output_length(...)``.

    Example:
        >>> conv(jnp.ones((2, 8, 3)), jnp.ones((3, 3, 4)), strides=2).shape
        (2, 3, 4)
    """
    return _conv("conv", inputs, kernel, strides, padding, data_format, dilation_rate)


def _conv(op, inputs, kernel, strides, padding, data_format, dilation_rate):
    inputs, rank, strides, dilation_rate, data_format = _spatial_args(
        op, inputs, strides, dilation_rate, data_format)
    kernel = _args.array(kernel)
    padding = _args.padding(op, padding, _PADDINGS)
    kernel_size = kernel.shape[:-2]
    channels = inputs.shape[layout.channel_axis(data_format)]
    if kernel.ndim != inputs.ndim or channels % kernel.shape[-2]:
        raise ShapeError(
            f"ops.{op}: a kernel of shape {tuple(kernel.shape)} does not fit inputs of shape "
            f"{tuple(inputs.shape)} ({data_format}): the kernel needs rank {inputs.ndim} and "
            f"an input-channel axis dividing {channels}. Received: "
            f"kernel.shape={tuple(kernel.shape)}."
        )
    groups = channels // kernel.shape[-2]
    if kernel.shape[-1] % groups:
        raise ShapeError(
            f"ops.{op}: the kernel's output channels must divide by the number of groups "
            f"({groups} = {channels} input channels // {kernel.shape[-2]}). Received: "
            f"kernel.shape={tuple(kernel.shape)}."
        )
    dtype = jnp.result_type(inputs.dtype, kernel.dtype)
    pads = _explicit_padding(inputs, kernel_size, strides, padding, dilation_rate, data_format)
    return lax.conv_general_dilated(
        inputs.astype(dtype), kernel.astype(dtype), window_strides=strides, padding=pads,
        rhs_dilation=dilation_rate, dimension_numbers=_dimension_numbers(rank, data_format),
        feature_group_count=groups)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    """Depthwise convolution: each input channel gets its own ``depth_multiplier`` filters.

    Args:
        inputs: ``(batch, *spatial, in)`` or channels first.
        kernel: ``(*kernel_size, in, depth_multiplier)``.

    Returns:
        ``(batch, *out_spatial, in * depth_multiplier)``; output channel
        ``c * depth_multiplier + m`` is input channel ``c`` convolved with
        ``kernel[..., c, m]``.

    Example:
        >>> depthwise_conv(jnp.ones((1, 5, 5, 3)), jnp.ones((3, 3, 3, 2))).shape
        (1, 3, 3, 6)
    """
    return _depthwise("depthwise_conv", inputs, kernel, strides, padding, data_format,
                      dilation_rate)


def _depthwise(op, inputs, kernel, strides, padding, data_format, dilation_rate):
    kernel = _args.array(kernel)
    _args.rank(op, "kernel", kernel, (3, 4, 5))
    channels, multiplier = kernel.shape[-2], kernel.shape[-1]
    grouped = jnp.reshape(kernel, kernel.shape[:-2] + (1, channels * multiplier))
    return _conv(op, inputs, grouped, strides, padding, data_format, dilation_rate)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1):
    """Depthwise convolution followed by a pointwise (``1 x ... x 1``) convolution.

    Args:
        depthwise_kernel: ``(*kernel_size, in, depth_multiplier)``.
        pointwise_kernel: ``(1, ..., 1, in * depth_multiplier, out)``.

    Example:
        >>> separable_conv(jnp.ones((1, 5, 3)), jnp.ones((3, 3, 2)),
        ...                jnp.ones((1, 6, 4))).shape
        (1, 3, 4)
    """
    y = _depthwise("separable_conv", inputs, depthwise_kernel, strides, padding, data_format,
                   dilation_rate)
    return _conv("separable_conv", y, pointwise_kernel, 1, "valid", data_format, 1)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1):
    """Transposed convolution (the gradient of :func:`conv` with respect to its input).

    Args:
        inputs: ``(batch, *spatial, in)`` or channels first.
        kernel: ``(*kernel_size, out, in)`` (Keras's ``Conv*DTranspose`` layout).
        strides: Int or one int per spatial axis (the upsampling factor).
        padding: ``'valid'`` or ``'same'``.
        output_padding: ``None``, an int, or one int per spatial axis: extra
            size at the end of each spatial axis (see
            :func:`conv_transpose_output_length`).
        data_format: ``'channels_last'``, ``'channels_first'`` or ``None``.
        dilation_rate: Int or one int per spatial axis.

    Example:
        >>> conv_transpose(jnp.ones((1, 4, 4, 3)), jnp.ones((3, 3, 8, 3)), strides=2,
        ...                padding="same").shape
        (1, 8, 8, 8)
    """
    op = "conv_transpose"
    inputs, rank, strides, dilation_rate, data_format = _spatial_args(
        op, inputs, strides, dilation_rate, data_format)
    kernel = _args.array(kernel)
    padding = _args.padding(op, padding)
    kernel_size = kernel.shape[:-2]
    channels = inputs.shape[layout.channel_axis(data_format)]
    if kernel.ndim != inputs.ndim or kernel.shape[-1] != channels:
        raise ShapeError(
            f"ops.{op}: a kernel of shape {tuple(kernel.shape)} does not fit inputs of shape "
            f"{tuple(inputs.shape)} ({data_format}): the kernel needs rank {inputs.ndim} and "
            f"{channels} input channels on its last axis. Received: "
            f"kernel.shape={tuple(kernel.shape)}."
        )
    if output_padding is None:
        output_padding = (None,) * rank
    else:
        output_padding = _args.int_tuple(op, "output_padding", output_padding, rank, 0)
    dtype = jnp.result_type(inputs.dtype, kernel.dtype)
    inputs, kernel = inputs.astype(dtype), kernel.astype(dtype)
    pads = [conv_transpose_padding(k, s, padding, p, d)
            for k, s, p, d in zip(kernel_size, strides, output_padding, dilation_rate)]
    flipped = jnp.flip(kernel, axis=tuple(range(rank)))
    return lax.conv_general_dilated(
        inputs, flipped, window_strides=(1,) * rank, padding=pads, lhs_dilation=strides,
        rhs_dilation=dilation_rate,
        dimension_numbers=_dimension_numbers(rank, data_format, kernel_io=(1, 0)))


def bias_add(outputs, bias, data_format="channels_last"):
    """Adds a per-channel ``bias`` to ``outputs`` in either data format."""
    if data_format == "channels_last":
        return outputs + bias
    return outputs + jnp.reshape(bias, (-1,) + (1,) * (outputs.ndim - 2))


__all__ = [
    "conv", "depthwise_conv", "separable_conv", "conv_transpose", "bias_add",
    "conv_output_length", "conv_transpose_output_length", "conv_transpose_padding",
    "same_padding", "effective_kernel_size",
]
