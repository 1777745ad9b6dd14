"""Transposed convolution layers ``Conv1DTranspose``, ``Conv2DTranspose``, ``Conv3DTranspose``.

Re-exported by ``jaxlayers.layers.convolution``; the math is
:func:`jaxlayers.ops.conv.conv_transpose`.
"""

from jaxlayers.core import args as _args
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError
from jaxlayers.layers._conv_base import ConvFamily
from jaxlayers.ops import _conv as conv_ops
from jaxlayers.ops import _layout as layout
from jaxlayers.ops import nn as nn_ops


class BaseConvTranspose(ConvFamily):
    """N-D transposed convolution (a.k.a. deconvolution); subclasses set ``rank``.

    The gradient of a convolution with respect to its input: each input entry
    scatters ``kernel`` into the output, which is ``strides`` times larger.

    Args:
        filters: Positive int, the number of output channels.
        kernel_size: Int or tuple of ``rank`` ints.
        strides: Int or tuple of ``rank`` ints, the upsampling factor.
        padding: ``'valid'`` or ``'same'``.  Per spatial axis of size ``n``, with
            ``k_eff = (k - 1) * dilation + 1``, the output size is
            ``n * s`` (``'same'``) or ``(n - 1) * s + max(k_eff, s)`` (``'valid'``).
        output_padding: ``None`` or int / tuple of ``rank`` ints, each smaller than
            its stride; when given, the output size is ``(n - 1) * s + k_eff + p``
            (``'valid'``) or ``(n - 1) * s + k_eff % 2 + p`` (``'same'``).
        data_format: ``'channels_last'`` or ``'channels_first'`` (``None``: global default).
        dilation_rate: Int or tuple of ``rank`` ints (not with ``strides > 1``).
        activation, use_bias, kernel_*, bias_*, activity_regularizer: As in ``Conv2D``.

    Weights: ``kernel`` ``(*kernel_size, filters, in_channels)`` (note the order),
    then ``bias`` ``(filters,)``.

    Example:
        ``'valid'`` with stride 2 and kernel 3: ``(5 - 1) * 2 + 3 = 11`` steps.

        >>> jl.layers.Conv1DTranspose(4, 3, strides=2)(np.zeros((1, 5, 2))).shape
        (1, 11, 4)
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        who = _args.owner(self)
        self.filters = _args.positive_int(who, "filters", filters)
        self._parse_common(kernel_size, strides, padding, data_format, dilation_rate,
                           activation, use_bias)
        if output_padding is None:
            self.output_padding = None
        else:
            self.output_padding = _args.int_tuple(who, "output_padding", output_padding,
                                                  self.rank, allow_zero=True)
            if any(p >= s for p, s in zip(self.output_padding, self.strides)):
                raise ConfigError(
                    f"{who}: every entry of `output_padding` must be smaller than the "
                    f"matching stride. Received: output_padding={self.output_padding}, "
                    f"strides={self.strides}."
                )
        self._forbid_strided_dilation()
        self._set_weight_args("kernel", kernel_initializer, kernel_regularizer,
                              kernel_constraint)
        self._set_weight_args("bias", bias_initializer, bias_regularizer, bias_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.kernel = self._add_weight_from_args("kernel",
                                                 self.kernel_size + (self.filters, channels))
        self.bias = self._add_bias(self.filters)
        self.input_spec = self._channel_spec(channels)

    def call(self, inputs):
        kernel = self.kernel
        outputs = nn_ops.conv_transpose(
            inputs.astype(kernel.dtype), kernel, strides=self.strides, padding=self.padding,
            output_padding=self.output_padding, data_format=self.data_format,
            dilation_rate=self.dilation_rate)
        return self._finish(outputs)

    def compute_output_shape(self, input_shape):
        input_shape = self._check_rank(input_shape)
        pads = self.output_padding or (None,) * self.rank
        spatial = tuple(
            conv_ops.conv_transpose_output_length(n, k, s, self.padding, p, d)
            for n, k, s, p, d in zip(layout.spatial_shape(input_shape, self.data_format),
                                     self.kernel_size, self.strides, pads, self.dilation_rate))
        return layout.assemble_shape(input_shape[0], spatial, self.filters,
                                     self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update({"filters": self.filters, **self._common_config(),
                       "output_padding": self.output_padding})
        config.update(self._weights_config("kernel", "bias"))
        return config


@register_builtin("layers")
class Conv1DTranspose(BaseConvTranspose):
    """1-D transposed convolution over ``(batch, steps, channels)``.

    See :class:`BaseConvTranspose` for the arguments.

    Example:
        >>> jl.layers.Conv1DTranspose(4, 3, strides=2, padding="same"
        ...                           ).compute_output_shape((None, 10, 3))
        (None, 20, 4)
    """

    rank = 1


@register_builtin("layers")
class Conv2DTranspose(BaseConvTranspose):
    """2-D transposed convolution over ``(batch, height, width, channels)``.

    See :class:`BaseConvTranspose` for the arguments.

    Example:
        >>> layer = jl.layers.Conv2DTranspose(8, 3, strides=2, name="up")
        >>> params, _ = layer.init(jax.random.key(0), jnp.zeros((1, 4, 4, 3)))
        >>> jax.tree.map(jnp.shape, params)
        {'up': {'bias': (8,), 'kernel': (3, 3, 8, 3)}}
        >>> layer.compute_output_shape((None, 4, 4, 3))
        (None, 9, 9, 8)
    """

    rank = 2


@register_builtin("layers")
class Conv3DTranspose(BaseConvTranspose):
    """3-D transposed convolution over ``(batch, depth, height, width, channels)``.

    See :class:`BaseConvTranspose` for the arguments (Keras puts
    ``data_format`` before ``output_padding`` in this one signature; so do we).

    Args:
        filters: Positive int, the number of output channels.
        kernel_size: Int or tuple of ints, the window size.
        strides: Int or tuple of ints, the step of the window.
        padding: ``'valid'`` (no padding) or ``'same'`` (output size ``ceil(input /
            strides)``).
        data_format: ``'channels_last'`` or ``'channels_first'``; ``None`` reads
            ``jl.config.image_data_format()``.
        output_padding: Int or tuple of ints added to one side of each output axis, or
            ``None``.
        dilation_rate: Int or tuple of ints, the spacing between kernel taps.
        activation: Activation name or callable; ``None`` means linear.
        use_bias: Whether to add a bias vector.
        kernel_initializer: Initializer (name, instance or config) of the kernel.
        bias_initializer: Initializer (name, instance or config) of the bias.
        kernel_regularizer: Optional regularizer of the kernel.
        bias_regularizer: Optional regularizer of the bias.
        activity_regularizer: Optional regularizer of the output.
        kernel_constraint: Optional constraint applied to the kernel after each update.
        bias_constraint: Optional constraint applied to the bias after each update.
        **kwargs: Base arguments (``name``, ``dtype``, ...), as for every instance of its
            kind.

    Example:
        >>> jl.layers.Conv3DTranspose(2, 2, strides=2).compute_output_shape((None, 3, 3, 3, 1))
        (None, 6, 6, 6, 2)
    """

    rank = 3

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 output_padding=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(
            filters, kernel_size, strides=strides, padding=padding,
            output_padding=output_padding, data_format=data_format,
            dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint, **kwargs)


Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
for _alias, _cls in (("Convolution1DTranspose", Conv1DTranspose),
                     ("Convolution2DTranspose", Conv2DTranspose),
                     ("Convolution3DTranspose", Conv3DTranspose)):
    register_builtin("layers", name=_alias)(_cls)

__all__ = ["BaseConvTranspose", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
           "Convolution1DTranspose", "Convolution2DTranspose", "Convolution3DTranspose"]
