"""Convolution layers: ``Conv1D/2D/3D`` here, plus the transposed, depthwise and
separable variants (defined in ``convolution_transpose.py`` and
``convolution_depthwise.py``) re-exported under their Keras names and aliases.

Kernels use Keras's layout ``(*kernel_size, in_channels // groups, filters)``
in both data formats, so weights move between formats (and from Keras with
``set_weights``) unchanged.  The math is in :mod:`jaxlayers.ops.conv`.
"""

from jaxlayers.core import args as _args
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError, ShapeError
from jaxlayers.layers._conv_base import ConvFamily
from jaxlayers.layers.convolution_depthwise import (
    DepthwiseConv1D,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
    SeparableConvolution1D,
    SeparableConvolution2D,
)
from jaxlayers.layers.convolution_transpose import (
    Conv1DTranspose,
    Conv2DTranspose,
    Conv3DTranspose,
    Convolution1DTranspose,
    Convolution2DTranspose,
    Convolution3DTranspose,
)
from jaxlayers.ops import nn as nn_ops


class BaseConv(ConvFamily):
    """N-D convolution: ``activation(conv(inputs, kernel) + bias)``; subclasses set ``rank``.

    Args:
        filters: Positive int, the number of output channels.
        kernel_size: Int or tuple of ``rank`` ints, the window size.
        strides: Int or tuple of ``rank`` ints.  ``strides > 1`` cannot be
            combined with ``dilation_rate > 1``.
        padding: ``'valid'`` (no padding), ``'same'`` (output size
            ``ceil(n / stride)``, extra padding at the end) or, for ``Conv1D``
            only, ``'causal'`` (pad ``(k - 1) * dilation`` at the start, so step
            ``t`` sees only steps ``<= t``).
        data_format: ``'channels_last'`` (``(batch, *spatial, channels)``) or
            ``'channels_first'``; ``None`` uses ``jl.backend.image_data_format()``.
        dilation_rate: Int or tuple of ``rank`` ints, the spacing of kernel taps.
        groups: Positive int dividing both ``filters`` and the input channels;
            each group of input channels is convolved with its own
            ``filters // groups`` filters.
        activation: Activation name or callable; ``None`` means linear.
        use_bias: Whether to add a bias vector.
        kernel_initializer, bias_initializer: Default ``'glorot_uniform'``, ``'zeros'``.
        kernel_regularizer, bias_regularizer, activity_regularizer: Optional penalties.
        kernel_constraint, bias_constraint: Optional projections after each update.

    Weights: ``kernel`` ``(*kernel_size, in_channels // groups, filters)``, then
    ``bias`` ``(filters,)``.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        who = _args.owner(self)
        self.filters = _args.positive_int(who, "filters", filters)
        self.groups = _args.positive_int(who, "groups", groups)
        if self.filters % self.groups:
            raise ConfigError(
                f"{who}: `filters` must be divisible by `groups`. Received: "
                f"filters={self.filters}, groups={self.groups}."
            )
        self._parse_common(kernel_size, strides, padding, data_format, dilation_rate,
                           activation, use_bias)
        self._forbid_strided_dilation()
        self._set_weight_args("kernel", kernel_initializer, kernel_regularizer,
                              kernel_constraint)
        self._set_weight_args("bias", bias_initializer, bias_regularizer, bias_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        if channels % self.groups:
            raise ShapeError(
                f"{_args.owner(self)}: the input's {channels} channels cannot be split into "
                f"groups={self.groups} equal groups. Received input shape "
                f"{tuple(input_shape)}. Use a channel count divisible by `groups`."
            )
        self.compute_output_shape(input_shape)
        self.kernel = self._add_weight_from_args(
            "kernel", self.kernel_size + (channels // self.groups, self.filters))
        self.bias = self._add_bias(self.filters)
        self.input_spec = self._channel_spec(channels)

    def call(self, inputs):
        self._conv_spatial(inputs.shape)
        kernel = self.kernel
        outputs = nn_ops.conv(inputs.astype(kernel.dtype), kernel, strides=self.strides,
                              padding=self.padding, data_format=self.data_format,
                              dilation_rate=self.dilation_rate)
        return self._finish(outputs)

    def compute_output_shape(self, input_shape):
        return self._conv_output_shape(input_shape, self.filters)

    def get_config(self):
        config = super().get_config()
        config.update({"filters": self.filters, **self._common_config(),
                       "groups": self.groups})
        config.update(self._weights_config("kernel", "bias"))
        return config


@register_builtin("layers")
class Conv1D(BaseConv):
    """1-D convolution over ``(batch, steps, channels)`` (temporal convolution).

    Supports ``padding='causal'`` in addition to ``'valid'`` and ``'same'``.
    See :class:`BaseConv` for the arguments.

    Input shape: ``(batch, steps, channels)`` (channels last).
    Output shape: ``(batch, new_steps, filters)``.

    Example:
        >>> layer = jl.layers.Conv1D(4, 3, padding="causal", name="conv")
        >>> params, _ = layer.init(jax.random.key(0), jnp.zeros((2, 10, 3)))
        >>> jax.tree.map(jnp.shape, params)
        {'conv': {'bias': (4,), 'kernel': (3, 3, 4)}}
    """

    rank = 1
    paddings = ("valid", "same", "causal")


@register_builtin("layers")
class Conv2D(BaseConv):
    """2-D convolution over images ``(batch, height, width, channels)``.

    See :class:`BaseConv` for the arguments.

    Output shape: ``(batch, new_height, new_width, filters)`` (channels last).

    Example:
        >>> layer = jl.layers.Conv2D(8, 3, strides=2, padding="same")
        >>> layer.compute_output_shape((None, 32, 32, 3))
        (None, 16, 16, 8)
    """

    rank = 2


@register_builtin("layers")
class Conv3D(BaseConv):
    """3-D convolution over volumes ``(batch, depth, height, width, channels)``.

    See :class:`BaseConv` for the arguments.

    Example:
        >>> jl.layers.Conv3D(2, 3).compute_output_shape((None, 5, 6, 7, 1))
        (None, 3, 4, 5, 2)
    """

    rank = 3


Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
for _alias, _cls in (("Convolution1D", Conv1D), ("Convolution2D", Conv2D),
                     ("Convolution3D", Conv3D)):
    register_builtin("layers", name=_alias)(_cls)

__all__ = [
    "Conv1D", "Conv2D", "Conv3D", "Convolution1D", "Convolution2D", "Convolution3D",
    "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "Convolution1DTranspose",
    "Convolution2DTranspose", "Convolution3DTranspose",
    "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D",
    "SeparableConvolution1D", "SeparableConvolution2D",
]
