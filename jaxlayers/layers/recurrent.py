"""Recurrent layers: LSTM, GRU, SimpleRNN, their cells, StackedRNNCells, and re-exports.

The generic :class:`RNN` layer lives in ``rnn_base``; ``TimeDistributed`` and
``Bidirectional`` in ``rnn_wrappers``; the ConvLSTM family in ``conv_lstm``.
All are exported from here (``jaxlayers.layers`` imports this module).

Weights, names and numerics follow Keras 3: ``LSTM(4)`` owns a cell named
``lstm_cell`` with ``kernel (features, 4 * units)``, ``recurrent_kernel
(units, 4 * units)`` and ``bias (4 * units,)``, gates ``i, f, c, o``, so Keras
weights load with ``set_weights`` unchanged.  The math is in
:mod:`jaxlayers.ops.rnn`: the input projection of every timestep is one
matmul before the scan; the scan carries only the recurrence.
"""

import jax.numpy as jnp

from jaxlayers import activations, constraints, initializers, regularizers
from jaxlayers.core.input_spec import InputSpec
from jaxlayers.core.layer import Layer
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError, ConfigTypeError
from jaxlayers.layers import _args
from jaxlayers.layers.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from jaxlayers.layers.rnn_base import (
    RNN, DropoutRNNCell, UnitForgetBias, deserialize_layer, forwarding_signature, is_nested,
    make_own_cell, positive_units, serialize_layer,
)
from jaxlayers.layers.rnn_wrappers import Bidirectional, TimeDistributed
from jaxlayers.ops import rnn as rnn_ops

__all__ = [
    "RNN", "LSTM", "LSTMCell", "GRU", "GRUCell", "SimpleRNN", "SimpleRNNCell",
    "StackedRNNCells", "TimeDistributed", "Bidirectional", "ConvLSTM1D", "ConvLSTM2D",
    "ConvLSTM3D",
]

_WEIGHTS = ("kernel", "recurrent", "bias")


class _DenseCell(DropoutRNNCell):
    """Argument handling and weights shared by LSTMCell, GRUCell and SimpleRNNCell."""

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 implementation=2, **kwargs):
        super().__init__(**kwargs)
        self.units = positive_units(self, units)
        self.activation = activations.get(activation)
        self.use_bias = _args.boolean(_args.owner(self), "use_bias", use_bias)
        for prefix, init, reg, con in (
                ("kernel", kernel_initializer, kernel_regularizer, kernel_constraint),
                ("recurrent", recurrent_initializer, recurrent_regularizer,
                 recurrent_constraint),
                ("bias", bias_initializer, bias_regularizer, bias_constraint)):
            setattr(self, f"{prefix}_initializer", initializers.get(init))
            setattr(self, f"{prefix}_regularizer", regularizers.get(reg))
            setattr(self, f"{prefix}_constraint", constraints.get(con))
        self._init_dropout(dropout, recurrent_dropout, seed, implementation)
        self.state_size = self.units
        self.output_size = self.units

    def _add_kernels(self, input_dim, bias_shape, bias_initializer=None):
        width = self._gates * self.units
        self.kernel = self.add_weight(
            name="kernel", shape=(input_dim, width), initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel", shape=(self.units, width),
            initializer=self.recurrent_initializer, regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=bias_shape,
                initializer=bias_initializer or self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint)

    def _weights_config(self):
        config = {}
        for kind, module in (("initializer", initializers), ("regularizer", regularizers),
                             ("constraint", constraints)):
            for prefix in _WEIGHTS:
                config[f"{prefix}_{kind}"] = module.serialize(getattr(self, f"{prefix}_{kind}"))
        return config

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units,
                       "activation": activations.serialize(self.activation),
                       "use_bias": self.use_bias})
        config.update(self._weights_config())
        config.update(self._dropout_config())
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

    def _mask_count(self):
        return None

    def _use_rate(self, rate):
        return rate > 0.0

    def _project(self, x, masks):
        return rnn_ops.project_inputs(x, self.kernel, self.bias, masks[0])

    def _step(self, x_t, states, masks):
        h = rnn_ops.simple_rnn_step(x_t, states[0], self.recurrent_kernel, self.activation,
                                    masks[1])
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

    _gates = 4

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

    def _project(self, x, masks):
        return rnn_ops.project_inputs(x, self.kernel, self.bias, masks[0])

    def _step(self, x_t, states, masks):
        h, c = rnn_ops.lstm_step(x_t, states[0], states[1], self.recurrent_kernel,
                                 self.activation, self.recurrent_activation, masks[1])
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

    _gates = 3

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

    def _project(self, x, masks):
        return rnn_ops.project_inputs(x, self.kernel, self._biases()[0], masks[0])

    def _step(self, x_t, states, masks):
        h = rnn_ops.gru_step(x_t, states[0], self.recurrent_kernel, self._biases()[1],
                             self.activation, self.recurrent_activation, self.reset_after,
                             masks[1])
        return h, [h]

    def get_config(self):
        config = super().get_config()
        config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        config["reset_after"] = self.reset_after
        return config


@register_builtin("layers")
class StackedRNNCells(Layer):
    """Several cells used as one: the output of each is the input of the next.

    Args:
        cells: List of cells.  ``state_size`` is the list of the cells'
            state sizes; the states are a list with one entry per cell.

    Example:
        >>> cells = jl.layers.StackedRNNCells([jl.layers.LSTMCell(4), jl.layers.GRUCell(3)])
        >>> layer = jl.layers.RNN(cells)
        >>> layer.apply(*layer.init(jax.random.key(0), jnp.zeros((2, 5, 6))),
        ...             jnp.ones((2, 5, 6)))[0].shape
        (2, 3)
    """

    # As RNN cells: real gates and states.
    supports_complex_inputs = False

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(cells, (list, tuple)) or not cells:
            raise ConfigError(
                f"StackedRNNCells '{self.name}': `cells` must be a non-empty list of cells. "
                f"Received: cells={cells!r}."
            )
        for cell in cells:
            if not callable(getattr(cell, "call", None)) or getattr(
                    cell, "state_size", None) is None:
                raise ConfigTypeError(
                    f"StackedRNNCells '{self.name}': every cell needs a `call` method and a "
                    f"`state_size` attribute. Received: cell={cell!r}."
                )
        self.cells = list(cells)

    @property
    def state_size(self):
        return [c.state_size for c in self.cells]

    @property
    def output_size(self):
        return _output_size(self.cells[-1])

    def get_initial_state(self, batch_size=None):
        states = []
        for cell in self.cells:
            fn = getattr(cell, "get_initial_state", None)
            if fn is not None:
                states.append(fn(batch_size=batch_size))
            elif is_nested(cell.state_size):
                states.append([jnp.zeros((batch_size, d), self.compute_dtype)
                               for d in cell.state_size])
            else:
                states.append(jnp.zeros((batch_size, cell.state_size), self.compute_dtype))
        return states

    def build(self, input_shape):
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell.build(input_shape)
            input_shape = (input_shape[0], _output_size(cell))

    # Fast path: only the first cell's projection can be hoisted out of the scan.
    def _rnn_masks(self, input_shape, state_shape, training):
        masks, batch = [], input_shape[0]
        for cell in self.cells:
            if hasattr(cell, "_rnn_masks"):
                shape = tuple(cell.get_initial_state(batch)[0].shape)
                masks.append(cell._rnn_masks(input_shape, shape, training))
            else:
                masks.append(None)
            input_shape = (batch, _output_size(cell))
        return {"cells": masks, "training": bool(training)}

    def _project(self, x, masks):
        first = self.cells[0]
        if hasattr(first, "_project"):
            return first._project(x, masks["cells"][0])
        return x

    def _step(self, x_t, states, masks):
        new_states = []
        for i, (cell, cell_states) in enumerate(zip(self.cells, states)):
            is_list = is_nested(cell_states)
            cell_states = list(cell_states) if is_list else [cell_states]
            cell_masks = masks["cells"][i]
            if hasattr(cell, "_step"):
                if i > 0:
                    x_t = cell._project(x_t, cell_masks)
                x_t, new = cell._step(x_t, cell_states, cell_masks)
            elif isinstance(cell, Layer):
                x_t, new = cell(x_t, cell_states, training=masks["training"])
            else:
                x_t, new = cell.call(x_t, cell_states)
            new = list(new) if is_nested(new) else [new]
            new_states.append(new if is_list or len(new) != 1 else new[0])
        return x_t, new_states

    def _previous_output(self, states):
        # A masked step outputs the last cell's first state (Keras 3).
        last = states[-1]
        return last[0] if is_nested(last) else last

    def call(self, inputs, states, training=False):
        masks = self._rnn_masks(tuple(inputs.shape), None, training)
        return self._step(self._project(inputs, masks), states, masks)

    def get_config(self):
        config = super().get_config()
        config["cells"] = [serialize_layer(c) for c in self.cells]
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cells = [deserialize_layer(c, custom_objects) for c in config.pop("cells")]
        return cls(cells, **config)


def _output_size(cell):
    size = getattr(cell, "output_size", None)
    if size is not None:
        return size
    state_size = cell.state_size
    return state_size[0] if is_nested(state_size) else state_size


# --------------------------------------------------------------------------- layers
_CELL_ARGS = ("activation", "use_bias", "kernel_initializer", "recurrent_initializer",
              "bias_initializer", "kernel_regularizer", "recurrent_regularizer",
              "bias_regularizer", "kernel_constraint", "recurrent_constraint",
              "bias_constraint", "dropout", "recurrent_dropout", "seed")


class _CellLayer(RNN):
    """An ``RNN`` over one built-in cell created from the layer's own arguments."""

    _cell_class = None
    _cell_name = None
    _extra_args = ()
    _not_in_config = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls._cell_class is not None:
            cls.__signature__ = forwarding_signature(cls, cls._cell_class,
                                                     _CELL_ARGS + cls._extra_args)

    def __init__(self, units, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, use_cudnn="auto",
                 activity_regularizer=None, implementation=2, **kwargs):
        cell_kwargs = {k: kwargs.pop(k) for k in _CELL_ARGS + self._extra_args
                       if k in kwargs}
        cell = make_own_cell(self, kwargs, self._cell_class, units, dtype=kwargs.get("dtype"),
                             trainable=kwargs.get("trainable", True), name=self._cell_name,
                             implementation=implementation, **cell_kwargs)
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        # XLA compiles the scan for every backend; the flag is kept for Keras compatibility.
        self.use_cudnn = _args.one_of(_args.owner(self), "use_cudnn", use_cudnn,
                                      ("auto", True, False))
        self.input_spec = InputSpec(ndim=3)

    def __getattr__(self, name):
        # Keras exposes the cell's arguments on the layer (layer.units, layer.dropout, ...).
        if name in ("units", "unit_forget_bias", "reset_after", "recurrent_activation") + \
                _CELL_ARGS:
            cell = self.__dict__.get("cell")
            if cell is not None:
                return getattr(cell, name)
        return super().__getattr__(name)

    def get_config(self):
        config = super().get_config()
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype") + self._not_in_config:
            cell_config.pop(key, None)
        del config["cell"]
        config.update(cell_config)
        config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if "batch_input_shape" in config and config["batch_input_shape"] is not None:
            config["batch_input_shape"] = tuple(config["batch_input_shape"])
        return cls(**config)


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

    _cell_class = SimpleRNNCell
    _cell_name = "simple_rnn_cell"
    _not_in_config = ("seed",)  # as in Keras 3


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

    _cell_class = LSTMCell
    _cell_name = "lstm_cell"
    _extra_args = ("recurrent_activation", "unit_forget_bias")


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

    _cell_class = GRUCell
    _cell_name = "gru_cell"
    _extra_args = ("recurrent_activation", "reset_after")
