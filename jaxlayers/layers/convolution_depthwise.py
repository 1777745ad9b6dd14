"""Depthwise and separable convolution layers (1-D and 2-D).

Re-exported by ``jaxlayers.layers.convolution``; the math is
:func:`jaxlayers.ops.conv.depthwise_conv` and :func:`~jaxlayers.ops.conv.separable_conv`.
"""

from jaxlayers.core import args as _args
from jaxlayers.core.serialization import register_builtin
from jaxlayers.layers._conv_base import ConvFamily
from jaxlayers.ops import _layout as layout
from jaxlayers.ops import nn as nn_ops


class BaseDepthwiseConv(ConvFamily):
    """Depthwise convolution: every input channel is convolved with its own filters.

    Args:
        kernel_size: Int or tuple of ``rank`` ints.
        strides: Int or tuple of ``rank`` ints.
        padding: ``'valid'`` or ``'same'``.
        depth_multiplier: Positive int, filters per input channel; the output has
            ``in_channels * depth_multiplier`` channels (channel ``c * m + j`` comes
            from input channel ``c``).
        data_format: ``'channels_last'`` or ``'channels_first'`` (``None``: global default).
        dilation_rate: Int or tuple of ``rank`` ints.
        activation: Activation name or callable; ``None`` means linear.
        use_bias: Whether to add a bias vector.
        depthwise_initializer, bias_initializer: Default ``'glorot_uniform'``, ``'zeros'``.
        depthwise_regularizer, bias_regularizer, activity_regularizer: Optional penalties.
        depthwise_constraint, bias_constraint: Optional projections after each update.

    Weights: ``kernel`` ``(*kernel_size, in_channels, depth_multiplier)``, then
    ``bias`` ``(in_channels * depth_multiplier,)``.

    Example:
        Two filters for each of two channels, over 5 steps with a width-3 kernel:

        >>> jl.layers.DepthwiseConv1D(3, depth_multiplier=2)(np.zeros((1, 5, 2))).shape
        (1, 3, 4)
    """

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.depth_multiplier = _args.positive_int(_args.owner(self), "depth_multiplier",
                                                   depth_multiplier)
        self._parse_common(kernel_size, strides, padding, data_format, dilation_rate,
                           activation, use_bias)
        self._set_weight_args("depthwise", depthwise_initializer, depthwise_regularizer,
                              depthwise_constraint)
        self._set_weight_args("bias", bias_initializer, bias_regularizer, bias_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.compute_output_shape(input_shape)
        self.kernel = self._add_weight_from_args(
            "depthwise", self.kernel_size + (channels, self.depth_multiplier), name="kernel")
        self.bias = self._add_bias(channels * self.depth_multiplier)
        self.input_spec = self._channel_spec(channels)

    def call(self, inputs):
        self._conv_spatial(inputs.shape)
        kernel = self.kernel
        outputs = nn_ops.depthwise_conv(inputs.astype(kernel.dtype), kernel, strides=self.strides,
                                        padding=self.padding, data_format=self.data_format,
                                        dilation_rate=self.dilation_rate)
        return self._finish(outputs)

    def compute_output_shape(self, input_shape):
        channels = self._check_rank(input_shape)[layout.channel_axis(self.data_format)]
        out_channels = None if channels is None else channels * self.depth_multiplier
        return self._conv_output_shape(input_shape, out_channels)

    def get_config(self):
        config = super().get_config()
        config.update({"depth_multiplier": self.depth_multiplier, **self._common_config()})
        config.update(self._weights_config("depthwise", "bias"))
        return config


class BaseSeparableConv(ConvFamily):
    """Depthwise convolution followed by a pointwise (1x1) convolution mixing channels.

    Args:
        filters: Positive int, the number of output channels.
        kernel_size: Int or tuple of ``rank`` ints (of the depthwise step).
        strides: Int or tuple of ``rank`` ints.
        padding: ``'valid'`` or ``'same'``.
        data_format: ``'channels_last'`` or ``'channels_first'`` (``None``: global default).
        dilation_rate: Int or tuple of ``rank`` ints.
        depth_multiplier: Positive int, depthwise filters per input channel.
        activation: Activation name or callable; ``None`` means linear.
        use_bias: Whether to add a bias vector.
        depthwise_initializer, pointwise_initializer, bias_initializer: Defaults
            ``'glorot_uniform'``, ``'glorot_uniform'``, ``'zeros'``.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer,
            activity_regularizer: Optional penalties.
        depthwise_constraint, pointwise_constraint, bias_constraint: Optional projections.

    Weights: ``depthwise_kernel`` ``(*kernel_size, in_channels, depth_multiplier)``,
    ``pointwise_kernel`` ``(1, ..., 1, in_channels * depth_multiplier, filters)``,
    then ``bias`` ``(filters,)``.

    Example:
        >>> jl.layers.SeparableConv1D(4, 3)(np.zeros((1, 5, 2))).shape
        (1, 3, 4)
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        who = _args.owner(self)
        self.depth_multiplier = _args.positive_int(who, "depth_multiplier", depth_multiplier)
        self.filters = _args.positive_int(who, "filters", filters)
        self._parse_common(kernel_size, strides, padding, data_format, dilation_rate,
                           activation, use_bias)
        self._set_weight_args("depthwise", depthwise_initializer, depthwise_regularizer,
                              depthwise_constraint)
        self._set_weight_args("pointwise", pointwise_initializer, pointwise_regularizer,
                              pointwise_constraint)
        self._set_weight_args("bias", bias_initializer, bias_regularizer, bias_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.compute_output_shape(input_shape)
        self.depthwise_kernel = self._add_weight_from_args(
            "depthwise", self.kernel_size + (channels, self.depth_multiplier),
            name="depthwise_kernel")
        self.pointwise_kernel = self._add_weight_from_args(
            "pointwise", (1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            name="pointwise_kernel")
        self.bias = self._add_bias(self.filters)
        self.input_spec = self._channel_spec(channels)

    def call(self, inputs):
        self._conv_spatial(inputs.shape)
        depthwise, pointwise = self.depthwise_kernel, self.pointwise_kernel
        outputs = nn_ops.separable_conv(
            inputs.astype(depthwise.dtype), depthwise, pointwise, strides=self.strides,
            padding=self.padding, data_format=self.data_format,
            dilation_rate=self.dilation_rate)
        return self._finish(outputs)

    def compute_output_shape(self, input_shape):
        return self._conv_output_shape(input_shape, self.filters)

    def get_config(self):
        config = super().get_config()
        config.update({"depth_multiplier": self.depth_multiplier, "filters": self.filters,
                       **self._common_config()})
        config.update(self._weights_config("depthwise", "pointwise", "bias"))
        return config


@register_builtin("layers")
class DepthwiseConv1D(BaseDepthwiseConv):
    """1-D depthwise convolution over ``(batch, steps, channels)``.

    See :class:`BaseDepthwiseConv` for the arguments.

    Example:
        >>> jl.layers.DepthwiseConv1D(3, depth_multiplier=2).compute_output_shape((None, 10, 4))
        (None, 8, 8)
    """

    rank = 1


@register_builtin("layers")
class DepthwiseConv2D(BaseDepthwiseConv):
    """2-D depthwise convolution over ``(batch, height, width, channels)``.

    See :class:`BaseDepthwiseConv` for the arguments.

    Example:
        >>> layer = jl.layers.DepthwiseConv2D(3, padding="same", name="dw")
        >>> params, _ = layer.init(jax.random.key(0), jnp.zeros((1, 8, 8, 3)))
        >>> jax.tree.map(jnp.shape, params)
        {'dw': {'bias': (3,), 'kernel': (3, 3, 3, 1)}}
    """

    rank = 2


@register_builtin("layers")
class SeparableConv1D(BaseSeparableConv):
    """1-D separable convolution over ``(batch, steps, channels)``.

    See :class:`BaseSeparableConv` for the arguments.

    Example:
        >>> jl.layers.SeparableConv1D(8, 3).compute_output_shape((None, 10, 4))
        (None, 8, 8)
    """

    rank = 1


@register_builtin("layers")
class SeparableConv2D(BaseSeparableConv):
    """2-D separable convolution over ``(batch, height, width, channels)``.

    See :class:`BaseSeparableConv` for the arguments.

    Example:
        >>> layer = jl.layers.SeparableConv2D(8, 3, depth_multiplier=2, name="sep")
        >>> params, _ = layer.init(jax.random.key(0), jnp.zeros((1, 8, 8, 3)))
        >>> jax.tree.map(jnp.shape, params)["sep"]
        {'bias': (8,), 'depthwise_kernel': (3, 3, 3, 2), 'pointwise_kernel': (1, 1, 6, 8)}
    """

    rank = 2


SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
for _alias, _cls in (("SeparableConvolution1D", SeparableConv1D),
                     ("SeparableConvolution2D", SeparableConv2D)):
    register_builtin("layers", name=_alias)(_cls)

__all__ = ["BaseDepthwiseConv", "BaseSeparableConv", "DepthwiseConv1D", "DepthwiseConv2D",
           "SeparableConv1D", "SeparableConv2D", "SeparableConvolution1D",
           "SeparableConvolution2D"]
