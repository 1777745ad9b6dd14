"""The recurrent cell protocol: what ``RNN`` and ``Bidirectional`` ask of a cell.

A cell is one step of a recurrence.  The smallest cell is Keras's: a
``state_size`` attribute and ``call(inputs, states, training=False) ->
(output, new_states)``; ``RNN`` then calls it once per timestep.

A cell that also implements the public protocol of :class:`RNNCell` lets
``RNN`` split its work so that most of it leaves the loop:

1. ``get_dropout_masks(inputs_shape, training)``: the dropout masks of one
   sequence, drawn ONCE before the scan (``None`` when there are none).
2. ``project_inputs(inputs, dropout_masks)``: the part of a step that reads
   only the inputs, for EVERY timestep at once on the time-major sequence
   ``(time, batch, ...)`` (one matmul or convolution instead of ``time``).
   ``RNN`` runs it before the scan where that is faster (GPU/TPU), and
   ``project_step(inputs_t, dropout_masks)`` (optional; by default
   ``project_inputs`` of a one-step sequence) inside each step elsewhere (CPU):
   see :func:`jaxlayers.ops.rnn.input_projection`; a cell whose projection
   is a convolution sets ``projection_kind = "convolution"``.
3. ``step(projected_t, states, dropout_masks, training)``: the rest of a step,
   inside ``lax.scan``.
4. ``output_from_states(states)`` (optional): the step output that the states
   of a step imply (the first state by default); ``RNN`` repeats it at masked
   timesteps.

Every method has a default in :class:`RNNCell` (no masks, identity
projection, ``step`` runs ``call``), so a subclass overrides only what it
needs, and ``call`` (one step, the Keras API) is derived from the protocol
when the subclass writes ``project_inputs``/``step`` instead.  The built-in
cells (``SimpleRNNCell``, ``LSTMCell``, ``GRUCell``, ``ConvLSTMCell``,
``StackedRNNCells``) implement exactly this protocol and get nothing else:
a user cell that implements it gets the same hoisted projection and the same
fused ``Bidirectional`` scan.

:class:`DropoutRNNCell` adds Keras's input and recurrent dropout masks for
cells with ``dropout``/``recurrent_dropout`` arguments.
"""

import jax
import jax.numpy as jnp

from jaxlayers.core import args as _args
from jaxlayers.core.layer import Layer
from jaxlayers.core.serialization import register_builtin
from jaxlayers.core.variables import call_initializer
from jaxlayers.errors import ConfigError, ConfigTypeError
from jaxlayers.initializers import Initializer
from jaxlayers.layers import _sublayers
from jaxlayers.ops import _rnn as rnn_ops

__all__ = ["RNNCell", "DropoutRNNCell", "StackedRNNCells", "implements_cell_protocol",
           "cell_protocol", "project_step"]

_PROTOCOL = ("get_dropout_masks", "project_inputs", "step")


def is_nested(x):
    return isinstance(x, (list, tuple))


def as_list(states):
    return list(states) if is_nested(states) else [states]


def zero_states(state_size, batch_size, dtype):
    """One zero array ``(batch_size, size)`` per entry of ``state_size``."""
    sizes = state_size if is_nested(state_size) else [state_size]
    return [jnp.zeros((batch_size, d), dtype) for d in sizes]


def output_size(cell):
    """A cell's ``output_size``, else the size of its first state."""
    size = getattr(cell, "output_size", None)
    if size is not None:
        return size
    state_size = cell.state_size
    return state_size[0] if is_nested(state_size) else state_size


def implements_cell_protocol(cell):
    """Whether ``cell`` has the protocol methods (``get_dropout_masks``, ``project_inputs``,
    ``step``), as every :class:`RNNCell` does.

    Args:
        cell: An RNN cell instance.

    Example:
        >>> implements_cell_protocol(jl.layers.LSTMCell(2))
        True
    """
    return all(callable(getattr(cell, name, None)) for name in _PROTOCOL)


class _StepByStep:
    """The protocol over a Keras-style cell that has only ``call``: no masks, no hoisting."""

    def __init__(self, cell):
        self.cell = cell

    def get_dropout_masks(self, inputs_shape, training=False):
        return None

    def project_inputs(self, inputs, dropout_masks=None):
        return inputs

    def step(self, inputs, states, dropout_masks=None, training=False):
        if isinstance(self.cell, Layer):
            output, new_states = self.cell(inputs, states, training=training)
        else:
            output, new_states = self.cell.call(inputs, states)
        return output, as_list(new_states)


def cell_protocol(cell):
    """``cell`` itself if it implements the protocol, else a step-by-step view of its ``call``.

    Args:
        cell: An RNN cell instance.

    Example:
        >>> cell = jl.layers.GRUCell(2)
        >>> cell_protocol(cell) is cell
        True
    """
    return cell if implements_cell_protocol(cell) else _StepByStep(cell)


def project_step(cell, inputs, dropout_masks=None):
    """One timestep's projected inputs from a protocol cell (``cell_protocol(cell)``).

    The cell's ``project_step`` when it has one, else its ``project_inputs`` on
    a sequence of length one.

    Args:
        cell: A cell implementing the protocol.
        inputs: One timestep's inputs, ``(batch, ...)``.
        dropout_masks: The cell's dropout masks from ``get_dropout_masks``, or None.

    Example:
        >>> cell = jl.layers.SimpleRNNCell(4)
        >>> cell.build((2, 3))
        >>> project_step(cell, jnp.ones((2, 3))).shape
        (2, 4)
    """
    own = getattr(cell, "project_step", None)
    if own is not None:
        return own(inputs, dropout_masks)
    return jax.tree_util.tree_map(lambda p: p[0], cell.project_inputs(inputs[None],
                                                                       dropout_masks))


def output_from_states(cell, states):
    """What ``cell``'s step outputs given its new ``states`` (its rule, else the first state)."""
    rule = getattr(cell, "output_from_states", None)
    return rnn_ops.first_state(states) if rule is None else rule(states)


class RNNCell(Layer):
    """Base of recurrent cells: the protocol ``RNN`` uses, with defaults.

    Set ``self.state_size`` (an int, or a list with one int per state) and
    optionally ``self.output_size`` in ``__init__``.  Then either override
    ``call(inputs, states, training=False)`` (one step, the Keras cell API:
    ``RNN`` calls it at every timestep), or override ``project_inputs`` and
    ``step`` (and ``get_dropout_masks`` for dropout): ``RNN`` then runs
    ``project_inputs`` once per sequence, outside the scan, and ``call`` is
    derived from them.

    Example:
        >>> class MinimalCell(jl.layers.RNNCell):
        ...     def __init__(self, units, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.state_size = units
        ...     def build(self, input_shape):
        ...         self.w = self.add_weight(name="w", shape=(input_shape[-1], self.state_size))
        ...     def project_inputs(self, inputs, dropout_masks=None):
        ...         return inputs @ self.w            # (time, batch, units): one matmul
        ...     def step(self, inputs, states, dropout_masks=None, training=False):
        ...         h = jnp.tanh(inputs + states[0])
        ...         return h, [h]
        >>> layer = jl.layers.RNN(MinimalCell(3))
        >>> layer.apply(*layer.init(jax.random.key(0), jnp.zeros((2, 5, 4))),
        ...             jnp.ones((2, 5, 4)))[0].shape
        (2, 3)
    """

    # Gates and real initial states are not defined for complex values.
    supports_complex_inputs = False

    state_size = None
    # What project_inputs computes, for ops.rnn.input_projection: "matmul" or "convolution".
    projection_kind = "matmul"

    def get_initial_state(self, batch_size=None):
        """Zero states, one ``(batch_size, size)`` array per entry of ``state_size``."""
        return zero_states(self.state_size, batch_size, self.compute_dtype)

    def get_dropout_masks(self, inputs_shape, training=False):
        """The dropout masks of one sequence (any pytree), or ``None`` (the default).

        Args:
            inputs_shape: Shape of one timestep's input, ``(batch, ...)``.
            training: The static training flag; masks are usually drawn only
                when it is true, with keys from ``self.next_key()``.
        """
        return None

    def project_inputs(self, inputs, dropout_masks=None):
        """The inputs' part of every step at once; the default keeps them as they are.

        Args:
            inputs: Time-major inputs ``(time, batch, ...)``.
            dropout_masks: What ``get_dropout_masks`` returned.

        Returns:
            A pytree of time-major arrays; ``step`` gets one timestep of it.
        """
        return inputs

    def project_step(self, inputs, dropout_masks=None):
        """The inputs' part of ONE step, ``inputs`` ``(batch, ...)``: what ``step`` gets.

        The default is :meth:`project_inputs` on a one-step sequence.  A cell
        whose projection works on any leading axes (a matmul) returns
        ``project_inputs(inputs, dropout_masks)`` instead: in a scan step, the
        extra length-one axis costs a layout copy per step in the backward pass
        on XLA:CPU.
        """
        return jax.tree_util.tree_map(lambda p: p[0],
                                      self.project_inputs(inputs[None], dropout_masks))

    def step(self, inputs, states, dropout_masks=None, training=False):
        """One step from projected inputs: ``(output, new_states)``.

        The default calls the cell (``call``) on the step's inputs.
        """
        if type(self).call is RNNCell.call:
            raise ConfigTypeError(
                f"{_args.owner(self)}: an RNNCell must override `call(inputs, states)` "
                f"or `step(inputs, states, dropout_masks, training)`."
            )
        output, new_states = self(inputs, states, training=training)
        return output, as_list(new_states)

    def output_from_states(self, states):
        """The step output implied by ``states``: the first state (``h``) by default."""
        return rnn_ops.first_state(states)

    def call(self, inputs, states, training=False):
        masks = self.get_dropout_masks(tuple(inputs.shape), training)
        return self.step(self.project_step(inputs, masks), as_list(states), masks, training)


class UnitForgetBias(Initializer):
    """Bias of ``4 * units`` with the forget-gate quarter set to one (Jozefowicz et al., 2015)."""

    def __init__(self, initializer):
        self.initializer = initializer

    def __call__(self, shape, dtype=None, *, key=None):
        units = shape[0] // 4
        k1, k2 = jax.random.split(key) if key is not None else (None, None)
        return jnp.concatenate([
            call_initializer(self.initializer, (units,), dtype, k1),
            jnp.ones((units,), dtype),
            call_initializer(self.initializer, (2 * units,), dtype, k2),
        ])


class DropoutRNNCell(RNNCell):
    """An :class:`RNNCell` with Keras's ``dropout`` and ``recurrent_dropout``.

    ``get_dropout_masks`` returns ``(input_masks, recurrent_masks)`` (each
    ``None`` when unused), drawn once per sequence in training; with
    ``gates > 1`` and ``implementation == 1`` (recurrent dropout) one mask per
    gate.  Subclasses call ``init_dropout`` in ``__init__`` and set ``gates``.

    Example:
        >>> cell = jl.layers.LSTMCell(4, dropout=0.5)
        >>> inputs_mask, recurrent_masks = cell.get_dropout_masks((2, 3), training=True)
        >>> inputs_mask.shape, recurrent_masks
        ((2, 3), None)
        >>> jl.layers.LSTMCell(4, recurrent_dropout=0.5).dropout_mask_count()
        4
    """

    gates = 1

    def init_dropout(self, dropout, recurrent_dropout, seed, implementation=2):
        who = _args.owner(self)
        self.dropout = _args.rate(who, "dropout", dropout)
        self.recurrent_dropout = _args.rate(who, "recurrent_dropout", recurrent_dropout)
        self.seed = _args.seed(who, seed)
        # Keras: recurrent dropout switches to per-gate masks ("implementation 1").
        self.implementation = 1 if self.recurrent_dropout else implementation

    def dropout_mask_count(self):
        """``None`` for one mask shared by the gates, else the number of per-gate masks."""
        return self.gates if self.implementation == 1 and self.gates > 1 else None

    def uses_dropout_rate(self, rate):
        return 0.0 < rate < 1.0

    def get_dropout_masks(self, inputs_shape, training=False):
        dtype = jnp.dtype(self.compute_dtype)
        input_masks = recurrent_masks = None
        if training and self.uses_dropout_rate(self.dropout):
            input_masks = rnn_ops.dropout_mask(self.next_key(), tuple(inputs_shape),
                                               self.dropout, self.dropout_mask_count(), dtype)
        if training and self.uses_dropout_rate(self.recurrent_dropout):
            state_shape = tuple(self.get_initial_state(inputs_shape[0])[0].shape)
            recurrent_masks = rnn_ops.dropout_mask(
                self.next_key(), state_shape, self.recurrent_dropout,
                self.dropout_mask_count(), dtype)
        return input_masks, recurrent_masks

    def dropout_config(self):
        return {"dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout,
                "seed": self.seed}


def split_masks(dropout_masks):
    """``(input_masks, recurrent_masks)`` of a :class:`DropoutRNNCell` (``None`` -> neither)."""
    return (None, None) if dropout_masks is None else dropout_masks


@register_builtin("layers")
class StackedRNNCells(RNNCell):
    """Several cells used as one: the output of each is the input of the next.

    Args:
        cells: List of cells.  ``state_size`` is the list of the cells'
            state sizes; the states are a list with one entry per cell.

    Only the first cell's input projection can leave the loop; the others
    project their inputs step by step.

    Example:
        >>> cells = jl.layers.StackedRNNCells([jl.layers.LSTMCell(4), jl.layers.GRUCell(3)])
        >>> layer = jl.layers.RNN(cells)
        >>> layer.apply(*layer.init(jax.random.key(0), jnp.zeros((2, 5, 6))),
        ...             jnp.ones((2, 5, 6)))[0].shape
        (2, 3)
    """

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
        return output_size(self.cells[-1])

    def get_initial_state(self, batch_size=None):
        states = []
        for cell in self.cells:
            fn = getattr(cell, "get_initial_state", None)
            if fn is not None:
                states.append(fn(batch_size=batch_size))
            elif is_nested(cell.state_size):
                states.append(zero_states(cell.state_size, batch_size, self.compute_dtype))
            else:
                states.append(jnp.zeros((batch_size, cell.state_size), self.compute_dtype))
        return states

    def build(self, input_shape):
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell.build(input_shape)
            input_shape = (input_shape[0], output_size(cell))

    def get_dropout_masks(self, inputs_shape, training=False):
        masks, batch = [], inputs_shape[0]
        for cell in self.cells:
            masks.append(cell_protocol(cell).get_dropout_masks(tuple(inputs_shape), training))
            inputs_shape = (batch, output_size(cell))
        return masks

    def project_inputs(self, inputs, dropout_masks=None):
        masks = dropout_masks or [None] * len(self.cells)
        return cell_protocol(self.cells[0]).project_inputs(inputs, masks[0])

    def project_step(self, inputs, dropout_masks=None):
        masks = dropout_masks or [None] * len(self.cells)
        return project_step(cell_protocol(self.cells[0]), inputs, masks[0])

    @property
    def projection_kind(self):
        # Only the first cell's projection leaves the step.
        return getattr(self.cells[0], "projection_kind", "matmul")

    def step(self, inputs, states, dropout_masks=None, training=False):
        masks = dropout_masks or [None] * len(self.cells)
        new_states = []
        for i, (cell, cell_states) in enumerate(zip(self.cells, states)):
            protocol = cell_protocol(cell)
            is_list = is_nested(cell_states)
            if i > 0:
                inputs = project_step(protocol, inputs, masks[i])
            inputs, new = protocol.step(inputs, as_list(cell_states), masks[i], training)
            new = as_list(new)
            new_states.append(new if is_list or len(new) != 1 else new[0])
        return inputs, new_states

    def output_from_states(self, states):
        # A masked step outputs the last cell's first state (Keras 3).
        return output_from_states(self.cells[-1], as_list(states[-1]))

    def get_config(self):
        config = super().get_config()
        config["cells"] = [_sublayers.serialize_layer(c) for c in self.cells]
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cells = [_sublayers.deserialize_layer(c, custom_objects) for c in config.pop("cells")]
        return cls(cells, **config)
