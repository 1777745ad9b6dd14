"""Recurrent layers: LSTM, GRU, SimpleRNN and their cells; the recurrent family's names.

The cell protocol (``RNNCell``) and ``StackedRNNCells`` live in ``rnn_cell``;
the generic :class:`RNN` layer in ``rnn_base``; ``TimeDistributed`` and
``Bidirectional`` in ``rnn_wrappers``; the ConvLSTM family in ``conv_lstm``.
This module's ``__all__`` lists the whole family.  Imports go one way:
``rnn_cell`` <- ``rnn_base`` <- ``conv_lstm``/``rnn_wrappers`` <- ``recurrent``.

Weights, names and numerics follow Keras 3: ``LSTM(4)`` owns a cell named
``lstm_cell`` with ``kernel (features, 4 * units)``, ``recurrent_kernel
(units, 4 * units)`` and ``bias (4 * units,)``, gates ``i, f, c, o``, so Keras
weights load with ``set_weights`` unchanged.  The math is in
:mod:`jaxlayers.ops.rnn`: the input projection is one matmul for every
timestep before the scan (GPU/TPU) or one per step inside it (CPU, where it
is faster: :func:`jaxlayers.ops.rnn.input_projection`); the scan carries only
the recurrence.
"""

from jaxlayers import activations
from jaxlayers.core import args as _args
from jaxlayers.core.input_spec import InputSpec
from jaxlayers.core.serialization import register_builtin
from jaxlayers.layers._weight_args import WeightArgs
from jaxlayers.layers.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from jaxlayers.layers.rnn_base import RNN, OwnCellRNN
from jaxlayers.layers.rnn_cell import (
    DropoutRNNCell,
    RNNCell,
    StackedRNNCells,
    UnitForgetBias,
    split_masks,
)
from jaxlayers.layers.rnn_wrappers import Bidirectional, TimeDistributed
from jaxlayers.ops import _rnn as rnn_ops

__all__ = [
    "RNN", "RNNCell", "LSTM", "LSTMCell", "GRU", "GRUCell", "SimpleRNN", "SimpleRNNCell",
    "StackedRNNCells", "TimeDistributed", "Bidirectional", "ConvLSTM1D", "ConvLSTM2D",
    "ConvLSTM3D",
]

_WEIGHTS = ("kernel", "recurrent", "bias")


class _DenseCell(WeightArgs, DropoutRNNCell):
    """Argument handling and weights shared by LSTMCell, GRUCell and SimpleRNNCell."""

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 implementation=2, **kwargs):
        super().__init__(**kwargs)
        self.units = _args.positive_int(_args.owner(self), "units", units)
        self.activation = activations.get(activation)
        self.use_bias = _args.boolean(_args.owner(self), "use_bias", use_bias)
        self._set_weight_args("kernel", kernel_initializer, kernel_regularizer,
                              kernel_constraint)
        self._set_weight_args("recurrent", recurrent_initializer, recurrent_regularizer,
                              recurrent_constraint)
        self._set_weight_args("bias", bias_initializer, bias_regularizer, bias_constraint)
        self.init_dropout(dropout, recurrent_dropout, seed, implementation)
        self.state_size = self.units
        self.output_size = self.units

    def _add_kernels(self, input_dim, bias_shape, bias_initializer=None):
        width = self.gates * self.units
        self.kernel = self._add_weight_from_args("kernel", (input_dim, width))
        self.recurrent_kernel = self._add_weight_from_args(
            "recurrent", (self.units, width), name="recurrent_kernel")
        self.bias = None
        if self.use_bias:
            self.bias = self._add_weight_from_args("bias", bias_shape,
                                                   initializer=bias_initializer)

    def project_step(self, inputs, dropout_masks=None):
        # project_inputs is a matmul over any leading axes: no length-one time axis.
        return self.project_inputs(inputs, dropout_masks)

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units,
                       "activation": activations.serialize(self.activation),
                       "use_bias": self.use_bias})
        config.update(self._weight_args_config(*_WEIGHTS))
        config.update(self.dropout_config())
        return config


@register_builtin("layers")
class SimpleRNNCell(_DenseCell):
    """One fully connected RNN step: ``h = activation(x @ kernel + h @ recurrent_kernel + b)``.

    Args:
        units: Positive int, size of the state and output.
        activation: Default ``'tanh'``; ``None`` is linear.
        use_bias: Whether to add ``bias``.
        kernel_initializer, recurrent_initializer, bias_initializer: Defaults
            ``'glorot_uniform'``, ``'orthogonal'``, ``'zeros'``.
        kernel_regularizer, recurrent_regularizer, bias_regularizer,
        kernel_constraint, recurrent_constraint, bias_constraint: Optional.
        dropout, recurrent_dropout: Fractions of the inputs / states dropped in
            training (one mask per sequence).
        seed: Kept for Keras compatibility; masks come from the apply key.

    Call: ``cell(inputs (batch, features), states [h]) -> (h, [h])``.

    Example:
        >>> cell = jl.layers.SimpleRNNCell(4, name="cell")
        >>> params, _ = cell.init(jax.random.key(0), jnp.zeros((2, 3)), [jnp.zeros((2, 4))])
        >>> sorted(params["cell"])
        ['bias', 'kernel', 'recurrent_kernel']
    """

    def build(self, input_shape):
        self._add_kernels(input_shape[-1], (self.units,))

    def dropout_mask_count(self):
        return None

    def uses_dropout_rate(self, rate):
        return rate > 0.0

    def project_inputs(self, inputs, dropout_masks=None):
        return rnn_ops.project_inputs(inputs, self.kernel, self.bias,
                                      split_masks(dropout_masks)[0])

    def step(self, inputs, states, dropout_masks=None, training=False):
        h = rnn_ops.simple_rnn_step(inputs, states[0], self.recurrent_kernel, self.activation,
                                    split_masks(dropout_masks)[1])
        return h, [h]


@register_builtin("layers")
class LSTMCell(_DenseCell):
    """One LSTM step (Hochreiter & Schmidhuber, 1997); gates ``i, f, c, o``.

    Args:
        units: Positive int, size of ``h`` and ``c``.
        activation: Default ``'tanh'``.  recurrent_activation: Default ``'sigmoid'``.
        unit_forget_bias: Initialize the forget-gate bias to one (and the rest
            with ``bias_initializer``).
        Other arguments: as :class:`SimpleRNNCell`.

    Call: ``cell(inputs (batch, features), [h, c]) -> (h, [h, c])``.

    Example:
        >>> cell = jl.layers.LSTMCell(4, name="cell")
        >>> params, _ = cell.init(jax.random.key(0), jnp.zeros((2, 3)),
        ...                       [jnp.zeros((2, 4)), jnp.zeros((2, 4))])
        >>> params["cell"]["kernel"].shape
        (3, 16)
    """

    gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = _args.boolean(_args.owner(self), "unit_forget_bias",
                                              unit_forget_bias)
        self.state_size = [self.units, self.units]

    def build(self, input_shape):
        init = UnitForgetBias(self.bias_initializer) if self.unit_forget_bias else None
        self._add_kernels(input_shape[-1], (4 * self.units,), init)

    def project_inputs(self, inputs, dropout_masks=None):
        return rnn_ops.project_inputs(inputs, self.kernel, self.bias,
                                      split_masks(dropout_masks)[0])

    def step(self, inputs, states, dropout_masks=None, training=False):
        h, c = rnn_ops.lstm_step(inputs, states[0], states[1], self.recurrent_kernel,
                                 self.activation, self.recurrent_activation,
                                 split_masks(dropout_masks)[1])
        return h, [h, c]

    def get_config(self):
        config = super().get_config()
        config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        config["unit_forget_bias"] = self.unit_forget_bias
        return config


@register_builtin("layers")
class GRUCell(_DenseCell):
    """One GRU step (Cho et al., 2014); gates ``z, r, h``.

    Args:
        units: Positive int, size of the state.
        recurrent_activation: Default ``'sigmoid'``.
        reset_after: Apply the reset gate after the recurrent matmul (default,
            the cuDNN convention; ``bias`` is then ``(2, 3 * units)``: input and
            recurrent biases) or before it (``bias`` ``(3 * units,)``).
        Other arguments: as :class:`SimpleRNNCell`.

    Call: ``cell(inputs (batch, features), [h]) -> (h, [h])``.

    Example:
        >>> cell = jl.layers.GRUCell(4, name="cell")
        >>> params, _ = cell.init(jax.random.key(0), jnp.zeros((2, 3)), [jnp.zeros((2, 4))])
        >>> params["cell"]["bias"].shape
        (2, 12)
    """

    gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, reset_after=True, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = _args.boolean(_args.owner(self), "reset_after", reset_after)

    def build(self, input_shape):
        shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
        self._add_kernels(input_shape[-1], shape)

    def _biases(self):
        if self.bias is None:
            return None, None
        if self.reset_after:
            return self.bias[0], self.bias[1]
        return self.bias, None

    def project_inputs(self, inputs, dropout_masks=None):
        return rnn_ops.project_inputs(inputs, self.kernel, self._biases()[0],
                                      split_masks(dropout_masks)[0])

    def step(self, inputs, states, dropout_masks=None, training=False):
        h = rnn_ops.gru_step(inputs, states[0], self.recurrent_kernel, self._biases()[1],
                             self.activation, self.recurrent_activation, self.reset_after,
                             split_masks(dropout_masks)[1])
        return h, [h]

    def get_config(self):
        config = super().get_config()
        config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        config["reset_after"] = self.reset_after
        return config


# --------------------------------------------------------------------------- layers
_CELL_ARGS = ("activation", "use_bias", "kernel_initializer", "recurrent_initializer",
              "bias_initializer", "kernel_regularizer", "recurrent_regularizer",
              "bias_regularizer", "kernel_constraint", "recurrent_constraint",
              "bias_constraint", "dropout", "recurrent_dropout", "seed")


class _CellLayer(OwnCellRNN):
    """An ``RNN`` over one dense cell created from the layer's own arguments."""

    cell_attrs = ("units", "unit_forget_bias", "reset_after", "recurrent_activation")

    def __init__(self, units, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, use_cudnn="auto",
                 activity_regularizer=None, implementation=2, **kwargs):
        cell = self._own_cell(kwargs, units, implementation=implementation)
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        # XLA compiles the scan for every backend; the flag is kept for Keras compatibility.
        self.use_cudnn = _args.one_of(_args.owner(self), "use_cudnn", use_cudnn,
                                      ("auto", True, False))
        self.input_spec = InputSpec(ndim=3)


@register_builtin("layers")
class SimpleRNN(_CellLayer):
    """Fully connected RNN over a sequence: ``RNN(SimpleRNNCell(units, ...))``.

    Args:
        units: Positive int, size of the output.
        Cell arguments: see :class:`SimpleRNNCell`.
        return_sequences, return_state, go_backwards, stateful, unroll: see :class:`RNN`.

    Input shape: ``(batch, timesteps, features)``.
    Output shape: ``(batch, units)`` or ``(batch, timesteps, units)``.

    Example:
        >>> layer = jl.layers.SimpleRNN(4)
        >>> params, state = layer.init(jax.random.key(0), jnp.zeros((2, 5, 3)))
        >>> layer.apply(params, state, jnp.ones((2, 5, 3)))[0].shape
        (2, 4)
    """

    cell_class = SimpleRNNCell
    cell_name = "simple_rnn_cell"
    cell_args = _CELL_ARGS
    not_in_config = ("seed",)  # as in Keras 3


@register_builtin("layers")
class LSTM(_CellLayer):
    """Long Short-Term Memory layer (Hochreiter & Schmidhuber, 1997).

    ``LSTM(units)`` is ``RNN(LSTMCell(units))`` with the cell's arguments on the
    layer.  ``return_state=True`` returns ``(output, h, c)``.

    Args:
        units: Positive int, size of the output.
        Cell arguments: see :class:`LSTMCell` (``unit_forget_bias``,
            ``recurrent_activation``, ``dropout``, ``recurrent_dropout``, ...).
        return_sequences, return_state, go_backwards, stateful, unroll: see :class:`RNN`.
        use_cudnn: Accepted for Keras compatibility (XLA compiles the scan).

    Input shape: ``(batch, timesteps, features)``.
    Output shape: ``(batch, units)`` or ``(batch, timesteps, units)``.

    Example:
        >>> layer = jl.layers.LSTM(4, return_sequences=True, name="lstm")
        >>> params, state = layer.init(jax.random.key(0), jnp.zeros((2, 5, 3)))
        >>> jax.tree.map(jnp.shape, params)
        {'lstm': {'lstm_cell': {'bias': (16,), 'kernel': (3, 16), 'recurrent_kernel': (4, 16)}}}
    """

    cell_class = LSTMCell
    cell_name = "lstm_cell"
    cell_args = _CELL_ARGS + ("recurrent_activation", "unit_forget_bias")


@register_builtin("layers")
class GRU(_CellLayer):
    """Gated Recurrent Unit layer (Cho et al., 2014): ``RNN(GRUCell(units, ...))``.

    Args:
        units: Positive int, size of the output.
        reset_after: See :class:`GRUCell` (default ``True``, Keras's default).
        Cell arguments: see :class:`GRUCell`.
        return_sequences, return_state, go_backwards, stateful, unroll: see :class:`RNN`.

    Input shape: ``(batch, timesteps, features)``.
    Output shape: ``(batch, units)`` or ``(batch, timesteps, units)``.

    Example:
        >>> layer = jl.layers.GRU(4, go_backwards=True)
        >>> params, state = layer.init(jax.random.key(0), jnp.zeros((2, 5, 3)))
        >>> layer.apply(params, state, jnp.ones((2, 5, 3)))[0].shape
        (2, 4)
    """

    cell_class = GRUCell
    cell_name = "gru_cell"
    cell_args = _CELL_ARGS + ("recurrent_activation", "reset_after")
