"""What every convolution layer shares: argument parsing, shape checks, bias, config.

The public classes live in ``convolution.py`` (``Conv*D``),
``convolution_transpose.py`` (``Conv*DTranspose``) and
``convolution_depthwise.py`` (``DepthwiseConv*D``, ``SeparableConv*D``); each
rank variant is a thin subclass that only sets ``rank``.
"""

from jaxlayers import activations, regularizers
from jaxlayers.core import args as _args
from jaxlayers.core.input_spec import InputSpec
from jaxlayers.core.layer import Layer
from jaxlayers.errors import ShapeError
from jaxlayers.layers._shapes import check_spatial_rank
from jaxlayers.layers._weight_args import WeightArgs
from jaxlayers.ops import _conv as conv_ops
from jaxlayers.ops import _layout as layout


def set_window_args(layer, rank, kernel_size, strides, padding, data_format, dilation_rate,
                    paddings=("valid", "same")):
    """Parses a convolution's window arguments onto ``layer`` (``kernel_size``, ...).

    Also used by ``ConvLSTMCell``, whose input convolution takes the same arguments.
    """
    who = _args.owner(layer)
    layer.kernel_size = _args.int_tuple(who, "kernel_size", kernel_size, rank)
    layer.strides = _args.int_tuple(who, "strides", strides, rank)
    layer.padding = _args.padding_mode(who, padding, paddings)
    layer.data_format = _args.data_format(who, data_format)
    layer.dilation_rate = _args.int_tuple(who, "dilation_rate", dilation_rate, rank)


def window_config(layer):
    """The config entries of :func:`set_window_args`."""
    return {
        "kernel_size": layer.kernel_size,
        "strides": layer.strides,
        "padding": layer.padding,
        "data_format": layer.data_format,
        "dilation_rate": layer.dilation_rate,
    }


class ConvFamily(WeightArgs, Layer):
    """Base of the convolution family (not public): set ``rank`` in subclasses."""

    # The kernels are real and lax.conv takes one dtype: complex inputs would be cast.
    supports_complex_inputs = False

    rank = None
    paddings = ("valid", "same")

    def _parse_common(self, kernel_size, strides, padding, data_format, dilation_rate,
                      activation, use_bias):
        set_window_args(self, self.rank, kernel_size, strides, padding, data_format,
                        dilation_rate, self.paddings)
        self.activation = activations.get(activation)
        self.use_bias = _args.boolean(_args.owner(self), "use_bias", use_bias)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _forbid_strided_dilation(self):
        _args.no_strided_dilation(_args.owner(self), self.strides, self.dilation_rate)

    def _add_bias(self, size):
        return self._add_weight_from_args("bias", (size,)) if self.use_bias else None

    # --- shapes --------------------------------------------------------------------
    def _check_rank(self, input_shape):
        return check_spatial_rank(_args.owner(self), input_shape, self.rank, self.data_format)

    def _input_channels(self, input_shape):
        input_shape = self._check_rank(input_shape)
        channels = input_shape[layout.channel_axis(self.data_format)]
        if channels is None:
            raise ShapeError(
                f"{_args.owner(self)}: the channel axis of the input must be known to "
                f"create the kernel. Received input shape {input_shape} ({self.data_format})."
            )
        return channels

    def _channel_spec(self, channels):
        """The input spec once the kernel fixed the channel count."""
        return InputSpec(ndim=self.rank + 2,
                         axes={layout.channel_axis(self.data_format): channels})

    def _conv_output_shape(self, input_shape, channels):
        """Output shape of a forward convolution with ``channels`` output channels."""
        input_shape = self._check_rank(input_shape)
        return layout.assemble_shape(input_shape[0], self._conv_spatial(input_shape), channels,
                                     self.data_format)

    def _conv_spatial(self, input_shape):
        """Output spatial sizes of a forward convolution; an error if the kernel does not fit."""
        spatial = layout.spatial_shape(input_shape, self.data_format)
        out = tuple(
            conv_ops.conv_output_length(n, k, s, self.padding, d)
            for n, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate))
        if any(o is not None and o <= 0 for o in out):
            span = tuple(conv_ops.effective_kernel_size(k, d)
                         for k, d in zip(self.kernel_size, self.dilation_rate))
            raise ShapeError(
                f"{_args.owner(self)}: the kernel (kernel_size={self.kernel_size}, "
                f"dilation_rate={self.dilation_rate}, spanning {span}) is larger than the "
                f"input's spatial size {spatial} with padding='valid' (output size {out}). "
                f"Received input shape {tuple(input_shape)}. Use padding='same', a smaller "
                f"kernel_size or dilation_rate, or a larger input."
            )
        return out

    # --- call ------------------------------------------------------------------------
    def _finish(self, outputs):
        if self.use_bias:
            outputs = conv_ops.bias_add(outputs, self.bias, self.data_format)
        return self.activation(outputs)

    def _common_config(self):
        return {**window_config(self), "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias}

    def _weights_config(self, *prefixes):
        config = self._weight_args_config(*prefixes)
        config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config


__all__ = ["ConvFamily", "set_window_args", "window_config"]
