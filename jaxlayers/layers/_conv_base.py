"""What every convolution layer shares: argument parsing, shape checks, bias, config.

The public classes live in ``convolution.py`` (``Conv*D``),
``convolution_transpose.py`` (``Conv*DTranspose``) and
``convolution_depthwise.py`` (``DepthwiseConv*D``, ``SeparableConv*D``); each
rank variant is a thin subclass that only sets ``rank``.
"""

from jaxlayers import activations, constraints, initializers, regularizers
from jaxlayers.core.input_spec import InputSpec
from jaxlayers.core.layer import Layer
from jaxlayers.errors import ConfigError, ShapeError
from jaxlayers.layers import _args
from jaxlayers.ops import conv as conv_ops

_SPATIAL_NAMES = {1: ("steps",), 2: ("height", "width"), 3: ("depth", "height", "width")}


class ConvFamily(Layer):
    """Base of the convolution family (not public): set ``rank`` in subclasses."""

    # The kernels are real and lax.conv takes one dtype: complex inputs would be cast.
    supports_complex_inputs = False

    rank = None
    paddings = ("valid", "same")

    def _parse_common(self, kernel_size, strides, padding, data_format, dilation_rate,
                      activation, use_bias):
        who = _args.owner(self)
        self.kernel_size = _args.int_tuple(who, "kernel_size", kernel_size, self.rank)
        self.strides = _args.int_tuple(who, "strides", strides, self.rank)
        self.padding = _args.padding_mode(who, padding, self.paddings)
        self.data_format = _args.data_format(who, data_format)
        self.dilation_rate = _args.int_tuple(who, "dilation_rate", dilation_rate, self.rank)
        self.activation = activations.get(activation)
        self.use_bias = _args.boolean(who, "use_bias", use_bias)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _forbid_strided_dilation(self):
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ConfigError(
                f"{_args.owner(self)}: `strides` > 1 cannot be combined with "
                f"`dilation_rate` > 1. Received: strides={self.strides}, "
                f"dilation_rate={self.dilation_rate}."
            )

    def _set_weight_args(self, prefix, initializer, regularizer, constraint):
        setattr(self, f"{prefix}_initializer", initializers.get(initializer))
        setattr(self, f"{prefix}_regularizer", regularizers.get(regularizer))
        setattr(self, f"{prefix}_constraint", constraints.get(constraint))

    def _add_kernel(self, name, prefix, shape):
        return self.add_weight(
            name=name, shape=shape, initializer=getattr(self, f"{prefix}_initializer"),
            regularizer=getattr(self, f"{prefix}_regularizer"),
            constraint=getattr(self, f"{prefix}_constraint"))

    def _add_bias(self, size):
        if not self.use_bias:
            return None
        return self.add_weight(
            name="bias", shape=(size,), initializer=self.bias_initializer,
            regularizer=self.bias_regularizer, constraint=self.bias_constraint)

    # --- shapes --------------------------------------------------------------------
    def _layout(self):
        spatial = ", ".join(_SPATIAL_NAMES[self.rank])
        if self.data_format == "channels_last":
            return f"(batch, {spatial}, channels)"
        return f"(batch, channels, {spatial})"

    def _check_rank(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 2:
            raise ShapeError(
                f"{_args.owner(self)} expects inputs of rank {self.rank + 2} "
                f"{self._layout()}. Received input shape {input_shape}. For a single "
                f"example add a batch axis: x[None]."
            )
        return input_shape

    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def _input_channels(self, input_shape):
        input_shape = self._check_rank(input_shape)
        channels = input_shape[self._channel_axis()]
        if channels is None:
            raise ShapeError(
                f"{_args.owner(self)}: the channel axis of the input must be known to "
                f"create the kernel. Received input shape {input_shape} ({self.data_format})."
            )
        return channels

    def _spatial(self, input_shape):
        if self.data_format == "channels_last":
            return tuple(input_shape[1:-1])
        return tuple(input_shape[2:])

    def _assemble(self, input_shape, spatial, channels):
        if self.data_format == "channels_last":
            return (input_shape[0],) + tuple(spatial) + (channels,)
        return (input_shape[0], channels) + tuple(spatial)

    def _conv_spatial(self, input_shape):
        """Output spatial sizes of a forward convolution; an error if the kernel does not fit."""
        spatial = self._spatial(input_shape)
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
        return {
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
        }

    def _weights_config(self, *prefixes):
        config = {}
        for kind, module in (("initializer", initializers), ("regularizer", regularizers),
                             ("constraint", constraints)):
            for prefix in prefixes:
                config[f"{prefix}_{kind}"] = module.serialize(getattr(self, f"{prefix}_{kind}"))
        config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config


__all__ = ["ConvFamily"]
