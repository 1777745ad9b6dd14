"""The generic ``RNN`` layer and the helpers of layers built around one cell.

``RNN(cell)`` runs any cell over the time axis with one ``lax.scan``
(:func:`jaxlayers.ops.rnn.rnn`).  It asks the cell for the public cell
protocol of :mod:`jaxlayers.layers.rnn_cell`: dropout masks drawn once per
sequence, the input projection (of every timestep before the scan on GPU/TPU,
of each step inside it on CPU: :func:`jaxlayers.ops.rnn.input_projection`),
and ``step`` inside the scan.  A Keras-style cell with only ``state_size`` and
``call(inputs, states)`` is called step by step.  Built-in and user cells go
through the same path.

Stateful layers keep their last states as non-trainable weights
``rnn_state_0, rnn_state_1, ...`` (in ``state`` under ``apply``), written at
the end of each call.  Being the layer's own weights, they come first in
``layer.weights`` (Keras 3 keeps them out of its weight lists).

Where jaxlayers differs from Keras 3 on purpose:

* Dropout masks come from the ``apply`` key (``self.next_key()``), not from
  ``seed`` (kept in the config).  ``use_cudnn`` is accepted and ignored: XLA
  compiles the scan on every backend.
* With ``recurrent_dropout`` the LSTM and GRU cells draw one mask per gate
  (input and recurrent), each of shape ``(batch, size)``, once per sequence.
  Keras 3 means the same but indexes its single ``(batch, size)`` mask by
  gate, so every sample reuses one batch row per gate.
* A masked step of stacked cells outputs the last cell's first state even when
  that cell keeps a bare state array (no ``get_initial_state``); Keras 3 then
  takes its first *batch row* or fails to broadcast.
"""

import inspect
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from jaxlayers import backend, regularizers
from jaxlayers.core import args as _args
from jaxlayers.core.input_spec import InputSpec
from jaxlayers.core.layer import Layer, to_snake_case
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError, ConfigTypeError, ShapeError
from jaxlayers.layers import _sublayers
from jaxlayers.layers.rnn_cell import (
    StackedRNNCells,
    as_list,
    cell_protocol,
    is_nested,
    output_from_states,
    project_step,
    zero_states,
)
from jaxlayers.ops import _rnn as rnn_ops

__all__ = ["RNN", "ScanPlan", "OwnCellRNN"]


def make_own_cell(layer, layer_kwargs, cell_cls, *args, **cell_kwargs):
    """The cell a layer builds from its own arguments (``LSTM`` -> ``LSTMCell``).

    The cell checks the arguments; its config errors are re-raised naming the
    layer the user constructed (``LSTM 'lstm'``), not the inner cell.  The
    layer's name is fixed here (in ``layer_kwargs``) so that the message can
    use it before ``Layer.__init__`` runs.
    """
    if layer_kwargs.get("name") is None:
        layer_kwargs["name"] = backend.unique_name(to_snake_case(type(layer).__name__))
    try:
        return cell_cls(*args, **cell_kwargs)
    except (ConfigError, ConfigTypeError) as e:
        cell_who = f"{cell_cls.__name__} '{cell_kwargs.get('name')}'"
        who = f"{type(layer).__name__} '{layer_kwargs['name']}'"
        raise type(e)(str(e).replace(cell_who, who, 1)) from e


def forwarding_signature(layer_cls, cell_cls, forwarded):
    """``layer_cls``'s signature with the ``forwarded`` cell arguments listed by name.

    Layers like ``LSTM`` take their cell's arguments through ``**kwargs``;
    this makes ``inspect.signature(LSTM)`` (and ``help``) show them, with the
    cell's defaults.
    """
    own = [p for name, p in inspect.signature(layer_cls.__init__).parameters.items()
           if name != "self" and p.kind != p.VAR_KEYWORD]
    cell_params = {}
    for klass in cell_cls.__mro__:
        if klass is Layer:
            break
        if "__init__" in klass.__dict__:
            for name, p in inspect.signature(klass.__dict__["__init__"]).parameters.items():
                cell_params.setdefault(name, p)
    taken = {p.name for p in own}
    extra = [cell_params[name].replace(kind=inspect.Parameter.KEYWORD_ONLY)
             for name in forwarded if name in cell_params and name not in taken]
    kwargs = inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD)
    return inspect.Signature(own + extra + [kwargs])


def _cell_state_spec(cell):
    size = getattr(cell, "state_size", None)
    if size is None:
        return None
    if isinstance(size, int) or (is_nested(size) and all(
            isinstance(s, int) or is_nested(s) for s in size)):
        return size
    return False


class ScanPlan(NamedTuple):
    """One recurrence ready for :func:`jaxlayers.ops.rnn.rnn` (see :meth:`RNN.plan_scan`).

    Args:
        inputs: Time-major inputs (a pytree of ``(time, batch, ...)``): the
            projected inputs, or the raw ones when ``step`` projects each step.
        step: ``(inputs_t, states) -> (output, new_states)``.
        initial_states: List of ``(batch, ...)`` arrays.
        mask: Bool ``(time, batch)`` or ``None``.
        previous_output: ``states -> array``, the output repeated at masked steps.

    Example:
        >>> layer = jl.layers.SimpleRNN(2)
        >>> _ = layer(np.ones((1, 4, 3)))
        >>> plan = layer.plan_scan(jnp.ones((1, 4, 3)))
        >>> plan.inputs.shape, [s.shape for s in plan.initial_states], plan.mask
        ((4, 1, 3), [(1, 2)], None)
    """

    inputs: Any
    step: Callable
    initial_states: list
    mask: Any
    previous_output: Callable


@register_builtin("layers")
class RNN(Layer):
    """Runs a recurrent cell over the time axis of a sequence (one ``lax.scan``).

    Args:
        cell: An RNN cell (``state_size`` attribute and
            ``call(inputs, states, training=False) -> (output, new_states)``),
            or a list of cells (stacked with :class:`StackedRNNCells`).
        return_sequences: Return the output of every step, not only the last.
        return_state: Also return the final states: ``(output, *states)``.
        go_backwards: Process the sequence in reverse; returned sequences are
            then in processing (reversed) order.
        stateful: Carry the final states of one call into the next, per batch
            row (needs a fixed batch size).  The states live in ``state`` as
            non-trainable weights; ``reset_states()`` zeroes them.
        unroll: Unroll the loop in Python (short sequences only; compile time
            grows with the length).
        zero_output_for_mask: Output zeros (instead of the previous output) at
            masked steps.

    Call arguments:
        sequences: ``(batch, timesteps, ...)``.
        initial_state: A state array or list of state arrays (default zeros).
        mask: Bool ``(batch, timesteps)``; ``False`` steps are skipped.
        training: Enables the cell's dropout.

    Output shape: ``(batch, output_size)``, or ``(batch, timesteps, output_size)``
    with ``return_sequences``; with ``return_state`` a tuple ``(output, *states)``.

    Example:
        >>> layer = jl.layers.RNN(jl.layers.SimpleRNNCell(4), return_sequences=True)
        >>> params, state = layer.init(jax.random.key(0), jnp.zeros((2, 5, 3)))
        >>> layer.apply(params, state, jnp.ones((2, 5, 3)))[0].shape
        (2, 5, 4)
    """

    # The initial states are real, so a complex scan would not type-check.
    supports_complex_inputs = False

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(list(cell))
        if not callable(getattr(cell, "call", None)):
            raise ConfigTypeError(
                f"{_args.owner(self)}: `cell` must have a `call(inputs, states)` method. "
                f"Received: cell={cell!r}."
            )
        spec = _cell_state_spec(cell)
        if spec is None:
            raise ConfigError(
                f"{_args.owner(self)}: the cell must have a `state_size` attribute (an int, or a "
                f"list of ints, one per state). Set `self.state_size = units` in the cell's "
                f"__init__. Received: cell={cell!r}."
            )
        if spec is False:
            raise ConfigError(
                f"{_args.owner(self)}: the cell's `state_size` must be an int or a list of ints. "
                f"Received: state_size={cell.state_size!r}."
            )
        self.cell = cell
        flags = {"return_sequences": return_sequences, "return_state": return_state,
                 "go_backwards": go_backwards, "stateful": stateful, "unroll": unroll,
                 "zero_output_for_mask": zero_output_for_mask}
        for flag, value in flags.items():
            setattr(self, flag, _args.boolean(_args.owner(self), flag, value))
        self.state_size = list(spec) if is_nested(spec) else [spec]
        self.single_state = not is_nested(spec)
        self.supports_masking = True
        self.input_spec = InputSpec(min_ndim=3)
        self._state_vars = None

    # --- building -----------------------------------------------------------------
    def build(self, sequences_shape, initial_state_shape=None):
        if self.unroll and sequences_shape[1] is None:
            raise ShapeError(
                f"{_args.owner(self)}: cannot unroll over an unknown number of timesteps. "
                f"Give the time axis a size (e.g. jl.Input((timesteps, features))) or use "
                f"unroll=False. Received: input shape {tuple(sequences_shape)}."
            )
        step_shape = (sequences_shape[0],) + tuple(sequences_shape[2:])
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell.build(step_shape)
        if self.stateful:
            batch = sequences_shape[0]
            if batch is None:
                raise ShapeError(
                    f"{_args.owner(self)}: `stateful=True` needs a fixed batch size, and the "
                    f"inputs have none. Pass batch_size= to jl.Input (or batch_input_shape= "
                    f"to the first layer). Received: input shape {tuple(sequences_shape)}."
                )
            shapes = [tuple(x.shape) for x in
                      jax.tree_util.tree_leaves(self.get_initial_state(batch))]
            self._state_vars = [
                self.add_weight(name=f"rnn_state_{i}", shape=s, initializer="zeros",
                                trainable=False)
                for i, s in enumerate(shapes)
            ]

    # --- states -------------------------------------------------------------------
    def get_initial_state(self, batch_size):
        """Zero states (or the cell's ``get_initial_state``) for ``batch_size`` rows."""
        fn = getattr(self.cell, "get_initial_state", None)
        if fn is not None:
            return as_list(fn(batch_size=batch_size))
        return zero_states(self.state_size, batch_size, self.compute_dtype)

    @property
    def states(self):
        """The stateful layer's state weights (``None`` unless ``stateful``)."""
        return self._state_vars

    def reset_states(self):
        """Zeroes the carried states of a stateful layer (facade values)."""
        self.reset_state()

    def reset_state(self):
        for var in self._state_vars or ():
            var.assign(jnp.zeros(var.shape, var.dtype))

    def _initial_states(self, sequences, initial_state):
        batch = sequences.shape[0]
        expected = self.get_initial_state(batch)
        treedef = jax.tree_util.tree_structure(expected)
        want = [tuple(x.shape) for x in jax.tree_util.tree_leaves(expected)]
        if self.stateful:
            if batch != self._state_vars[0].shape[0]:
                raise ShapeError(
                    f"{_args.owner(self)} is stateful with batch size "
                    f"{self._state_vars[0].shape[0]}; every call must use that batch size. "
                    f"Received: input shape {tuple(sequences.shape)}."
                )
        if initial_state is None:
            if self.stateful:
                leaves = [v.value for v in self._state_vars]
                return jax.tree_util.tree_unflatten(treedef, leaves)
            return expected
        leaves = jax.tree_util.tree_leaves(initial_state)
        got = [tuple(jnp.shape(x)) for x in leaves]
        if got != want:
            raise ShapeError(
                f"{_args.owner(self)}: `initial_state` must be {len(want)} array(s) of shape(s) "
                f"{want} (batch, state size), one per state of the cell. "
                f"Received: shapes {got}."
            )
        leaves = [jnp.asarray(x).astype(self.compute_dtype) for x in leaves]
        return jax.tree_util.tree_unflatten(treedef, leaves)

    # --- calling ------------------------------------------------------------------
    @property
    def plain_scan(self):
        """Whether ``call`` is exactly :meth:`plan_scan`, one scan, then :meth:`finish_scan`.

        True unless the loop is unrolled, an activity regularizer applies to the
        outputs, or a subclass overrides ``call`` (it may override this property
        too when its ``call`` stays a plain scan).  ``Bidirectional`` runs the
        scans of two plain-scan layers as one.
        """
        return (not self.unroll and self.activity_regularizer is None
                and type(self).call is RNN.call)

    def plan_scan(self, sequences, initial_state=None, mask=None, training=False):
        """Everything one scan of the cell needs, as a :class:`ScanPlan`.

        Draws the cell's dropout masks once (``get_dropout_masks``) and
        projects the inputs (``project_inputs``) of every timestep before the
        scan or of each step inside it, as
        :func:`jaxlayers.ops.rnn.input_projection` says for the backend; the
        plan's ``step`` runs the cell's ``step`` inside the scan.

        Args:
            sequences: ``(batch, timesteps, ...)``.
            initial_state: As for ``call``.
            mask: Bool ``(batch, timesteps)`` or ``None``.
            training: The static training flag.
        """
        initial = self._initial_states(sequences, initial_state)
        sequences_tm = jnp.swapaxes(sequences, 0, 1)
        if mask is not None:
            if is_nested(mask):
                mask = mask[0]
            mask = jnp.swapaxes(jnp.asarray(mask).astype(bool), 0, 1)
        cell = cell_protocol(self.cell)
        masks = cell.get_dropout_masks(tuple(sequences_tm.shape[1:]), training)
        # Where the projection runs is a per-backend speed choice: see ops/_rnn.py.
        kind = getattr(cell, "projection_kind", "matmul")
        hoisted = rnn_ops.input_projection(kind=kind) == "before_scan"
        inputs = cell.project_inputs(sequences_tm, masks) if hoisted else sequences_tm

        def step(inputs_t, states):
            if not hoisted:
                inputs_t = project_step(cell, inputs_t, masks)
            output, new_states = cell.step(inputs_t, states, masks, training)
            return output, as_list(new_states)

        return ScanPlan(inputs, step, initial, mask,
                        lambda states: output_from_states(self.cell, states))

    def finish_scan(self, last, outputs, states):
        """``call``'s result from a scan's ``(last_output, outputs, final_states)``.

        Casts to the compute dtype, writes a stateful layer's states, and packs
        ``(output, *states)`` with ``return_state``.
        """
        dtype = self.compute_dtype
        states = jax.tree_util.tree_map(lambda s: s.astype(dtype), states)
        if self.stateful:
            for var, value in zip(self._state_vars, jax.tree_util.tree_leaves(states)):
                var.assign(value)
        if self.return_sequences:
            output = jnp.swapaxes(outputs, 0, 1).astype(dtype)
        else:
            output = last.astype(dtype)
        if self.return_state:
            return (output, *states)
        return output

    def call(self, sequences, initial_state=None, mask=None, training=False):
        plan = self.plan_scan(sequences, initial_state, mask, training)
        last, outputs, states = rnn_ops.rnn(
            plan.step, plan.inputs, plan.initial_states, mask=plan.mask,
            go_backwards=self.go_backwards, unroll=self.unroll,
            zero_output_for_mask=self.zero_output_for_mask,
            return_sequences=self.return_sequences, previous_output=plan.previous_output)
        return self.finish_scan(last, outputs, states)

    def compute_mask(self, inputs, mask=None):
        if is_nested(mask):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self.state_size)
        return output_mask

    # --- config -------------------------------------------------------------------
    def _rnn_config(self):
        return {
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        }

    def get_config(self):
        config = super().get_config()
        config.update(self._rnn_config())
        config["cell"] = _sublayers.serialize_layer(self.cell)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cell = _sublayers.deserialize_layer(config.pop("cell"), custom_objects)
        if "batch_input_shape" in config and config["batch_input_shape"] is not None:
            config["batch_input_shape"] = tuple(config["batch_input_shape"])
        return cls(cell, **config)


class OwnCellRNN(RNN):
    """An ``RNN`` over one cell built from the layer's own arguments (``LSTM`` -> ``LSTMCell``).

    Subclasses set ``cell_class``, ``cell_name``, ``cell_args`` (the keyword
    arguments handed to the cell: listed in the layer's signature, readable as
    layer attributes, and stored flat in the layer's config, as Keras does) and
    ``cell_attrs`` (more cell attributes readable on the layer), and create the
    cell with :meth:`_own_cell` in ``__init__``.

    Example:
        >>> layer = jl.layers.LSTM(2, recurrent_dropout=0.1)
        >>> isinstance(layer, OwnCellRNN), type(layer.cell).__name__
        (True, 'LSTMCell')
        >>> layer.recurrent_dropout == layer.cell.recurrent_dropout
        True
    """

    cell_class = None
    cell_name = None
    cell_args = ()
    cell_attrs = ()
    # Cell config entries the layer's config leaves out.
    not_in_config = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.cell_class is not None:
            cls.__signature__ = forwarding_signature(cls, cls.cell_class, cls.cell_args)

    def _own_cell(self, layer_kwargs, *args, **cell_kwargs):
        """The cell from ``args``, ``cell_kwargs`` and the cell arguments in ``layer_kwargs``."""
        for name in self.cell_args:
            if name in layer_kwargs:
                cell_kwargs[name] = layer_kwargs.pop(name)
        return make_own_cell(self, layer_kwargs, self.cell_class, *args,
                             dtype=layer_kwargs.get("dtype"),
                             trainable=layer_kwargs.get("trainable", True), name=self.cell_name,
                             **cell_kwargs)

    def __getattr__(self, name):
        # Keras exposes the cell's arguments on the layer (layer.units, layer.dropout, ...).
        if name in self.cell_attrs or name in self.cell_args:
            cell = self.__dict__.get("cell")
            if cell is not None:
                return getattr(cell, name)
        return super().__getattr__(name)

    def get_config(self):
        config = super().get_config()
        del config["cell"]
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype") + self.not_in_config:
            cell_config.pop(key, None)
        config.update(cell_config)
        config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config):
        # The config holds the cell's arguments, not a cell: skip RNN.from_config.
        return super(RNN, cls).from_config(config)
