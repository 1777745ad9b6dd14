"""Convolutional LSTM layers: ConvLSTM1D, ConvLSTM2D, ConvLSTM3D (Shi et al., 2015).

An LSTM whose input and recurrent transformations are convolutions.  The
input convolution of every timestep runs once, before the scan, on the
``(time * batch, ...)`` stack; the scan carries only the recurrent
convolution (stride 1, ``'same'`` padding).  Weights follow Keras 3:
``kernel (*kernel_size, channels, 4 * filters)``, ``recurrent_kernel
(*kernel_size, filters, 4 * filters)``, ``bias (4 * filters,)``, gates
``i, f, c, o``, in a cell named ``conv_lstm_cell``.
"""

import jax.numpy as jnp

from jaxlayers import activations
from jaxlayers.core import args as _args
from jaxlayers.core.input_spec import InputSpec
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError, ShapeError
from jaxlayers.layers._conv_base import set_window_args, window_config
from jaxlayers.layers._weight_args import WeightArgs
from jaxlayers.layers.rnn_base import OwnCellRNN
from jaxlayers.layers.rnn_cell import DropoutRNNCell, UnitForgetBias, split_masks
from jaxlayers.ops import _conv as conv_ops
from jaxlayers.ops import _layout as layout
from jaxlayers.ops import _rnn as rnn_ops

__all__ = ["ConvLSTMCell", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"]

_WEIGHTS = ("kernel", "recurrent", "bias")


class ConvLSTMCell(WeightArgs, DropoutRNNCell):
    """One ConvLSTM step over ``(batch, *spatial, channels)`` inputs (used by ConvLSTM*D).

    Args: as :class:`ConvLSTM2D` plus ``rank`` (1, 2 or 3).  Dropout masks are
    drawn per gate, as in Keras.

    Example:
        >>> cell = ConvLSTMCell(1, 4, 3, padding="same")
        >>> h = c = jnp.zeros((2, 5, 4))
        >>> out, (h, c) = cell(np.zeros((2, 5, 3)), [h, c])
        >>> out.shape, c.shape
        ((2, 5, 4), (2, 5, 4))
    """

    gates = 4

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, activation="tanh",
                 recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        who = _args.owner(self)
        if rank not in (1, 2, 3):
            raise ConfigError(f"{who}: `rank` must be 1, 2 or 3. Received: rank={rank!r}.")
        self.rank = rank
        self.filters = _args.positive_int(who, "filters", filters)
        set_window_args(self, rank, kernel_size, strides, padding, data_format, dilation_rate)
        _args.no_strided_dilation(who, self.strides, self.dilation_rate)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = _args.boolean(who, "use_bias", use_bias)
        self.unit_forget_bias = _args.boolean(who, "unit_forget_bias", unit_forget_bias)
        self._set_weight_args("kernel", kernel_initializer, kernel_regularizer,
                              kernel_constraint)
        self._set_weight_args("recurrent", recurrent_initializer, recurrent_regularizer,
                              recurrent_constraint)
        self._set_weight_args("bias", bias_initializer, bias_regularizer, bias_constraint)
        self.init_dropout(dropout, recurrent_dropout, seed, implementation=1)
        self.state_size = [self.filters, self.filters]
        self.output_size = self.filters
        self.spatial_dims = None

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        spatial = layout.spatial_shape(input_shape, self.data_format)
        channels = input_shape[layout.channel_axis(self.data_format)]
        if None in spatial or channels is None:
            raise ShapeError(
                f"{_args.owner(self)}: ConvLSTM needs known spatial and channel sizes. "
                f"Received: step input shape {input_shape}."
            )
        self.spatial_dims = tuple(spatial)
        self.input_dim = channels
        out = self._out_spatial()
        if any(d <= 0 for d in out):
            raise ShapeError(
                f"{_args.owner(self)}: kernel_size={self.kernel_size} does not fit the "
                f"spatial input size {self.spatial_dims} with padding='{self.padding}'."
            )
        width = 4 * self.filters
        self.kernel = self._add_weight_from_args("kernel", self.kernel_size + (channels, width))
        self.recurrent_kernel = self._add_weight_from_args(
            "recurrent", self.kernel_size + (self.filters, width), name="recurrent_kernel")
        self.bias = None
        if self.use_bias:
            init = UnitForgetBias(self.bias_initializer) if self.unit_forget_bias else None
            self.bias = self._add_weight_from_args("bias", (width,), initializer=init)

    def _out_spatial(self):
        return tuple(
            conv_ops.conv_output_length(n, k, s, self.padding, d)
            for n, k, s, d in zip(self.spatial_dims, self.kernel_size, self.strides,
                                  self.dilation_rate))

    def get_initial_state(self, batch_size=None):
        shape = layout.assemble_shape(batch_size, self._out_spatial(), self.filters,
                                      self.data_format)
        return [jnp.zeros(shape, self.compute_dtype), jnp.zeros(shape, self.compute_dtype)]

    # Kept before the scan on CPU too (ops/_rnn.py: per-step input convolutions cost more).
    projection_kind = "convolution"

    def dropout_mask_count(self):
        return 4

    def project_inputs(self, inputs, dropout_masks=None):
        return rnn_ops.conv_lstm_input(inputs, self.kernel, self.bias,
                                       split_masks(dropout_masks)[0], self.strides,
                                       self.padding, self.dilation_rate, self.data_format)

    def step(self, inputs, states, dropout_masks=None, training=False):
        h, c = rnn_ops.conv_lstm_step(inputs, states[0], states[1], self.recurrent_kernel,
                                      self.activation, self.recurrent_activation,
                                      split_masks(dropout_masks)[1], self.data_format)
        return h, [h, c]

    def get_config(self):
        config = super().get_config()
        config.update({
            "rank": self.rank,
            "filters": self.filters,
            **window_config(self),
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "unit_forget_bias": self.unit_forget_bias,
        })
        config.update(self._weight_args_config(*_WEIGHTS))
        config.update(self.dropout_config())
        return config


class _ConvLSTM(OwnCellRNN):
    """Shared ConvLSTM layer: ``RNN(ConvLSTMCell(rank, ...))``."""

    _rank = None
    cell_class = ConvLSTMCell
    cell_name = "conv_lstm_cell"
    cell_args = ("strides", "padding", "data_format", "dilation_rate", "activation",
                 "recurrent_activation", "use_bias", "kernel_initializer",
                 "recurrent_initializer", "bias_initializer", "unit_forget_bias",
                 "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
                 "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout",
                 "recurrent_dropout", "seed")
    cell_attrs = ("filters", "kernel_size")
    not_in_config = ("rank",)

    def __init__(self, filters, kernel_size, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, activity_regularizer=None, **kwargs):
        cell = self._own_cell(kwargs, self._rank, filters, kernel_size)
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.input_spec = InputSpec(ndim=self._rank + 3)


_DOC = """{n}D convolutional LSTM (Shi et al., 2015) over ``(batch, time, {dims}, channels)``.

    Args:
        filters: Positive int, number of output channels (state channels).
        kernel_size: Int or tuple of {n} ints.
        strides: Int or tuple of {n} ints (input convolution only; the recurrent
            convolution uses stride 1 and ``'same'`` padding).
        padding: ``'valid'`` or ``'same'``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``
            (``(batch, time, channels, {dims})``).
        dilation_rate: Int or tuple of {n} ints.
        activation, recurrent_activation, use_bias, unit_forget_bias, and the
        initializers, regularizers and constraints: as :class:`LSTM`.
        dropout, recurrent_dropout: Per-gate dropout of inputs / states in training.
        return_sequences, return_state, go_backwards, stateful: see :class:`RNN`.

    Output shape: ``(batch, {dims_out}, filters)`` (or with a time axis when
    ``return_sequences``); with ``return_state`` ``(output, h, c)``.

    Example:
        >>> layer = jl.layers.ConvLSTM{n}D(2, 3, padding="same")
        >>> x = jnp.zeros({example})
        >>> params, state = layer.init(jax.random.key(0), x)
        >>> layer.apply(params, state, x)[0].shape
        {result}
"""


@register_builtin("layers")
class ConvLSTM1D(_ConvLSTM):
    __doc__ = _DOC.format(n=1, dims="steps", dims_out="new_steps",
                          example="(2, 4, 5, 3)", result="(2, 5, 2)")
    _rank = 1


@register_builtin("layers")
class ConvLSTM2D(_ConvLSTM):
    __doc__ = _DOC.format(n=2, dims="rows, cols", dims_out="new_rows, new_cols",
                          example="(2, 4, 5, 5, 3)", result="(2, 5, 5, 2)")
    _rank = 2


@register_builtin("layers")
class ConvLSTM3D(_ConvLSTM):
    __doc__ = _DOC.format(n=3, dims="d1, d2, d3", dims_out="new_d1, new_d2, new_d3",
                          example="(1, 2, 3, 3, 3, 2)", result="(1, 3, 3, 3, 2)")
    _rank = 3
