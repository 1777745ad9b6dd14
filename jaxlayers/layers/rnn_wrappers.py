"""Wrappers over sequence layers: TimeDistributed and Bidirectional.

``TimeDistributed(layer)`` applies ``layer`` to every timestep by folding the
time axis into the batch axis: ONE call of the wrapped layer on
``(batch * time, ...)``, so compile time does not grow with the length.  For
layers whose rows are independent (Dense, Conv, Dropout, ...) this equals
Keras's step-by-step loop exactly.  A layer that mixes rows in training
(``BatchNormalization``) sees statistics over all ``batch * time`` rows instead
of one set per timestep.

``Bidirectional(layer)`` runs a copy of ``layer`` forwards and another
backwards (``go_backwards=True``) and merges their outputs.  When both report
a plain scan (:attr:`RNN.plain_scan`: any ``RNN`` over any cell, built-in or
user-written, without ``unroll``, an activity regularizer or an overridden
``call``) the two directions can run in ONE ``lax.scan``
(:func:`jaxlayers.ops.rnn.bidirectional_rnn`) from their public
:meth:`RNN.plan_scan` and :meth:`RNN.finish_scan`: half the loop steps, same
numbers.  They do where the input projection is hoisted (GPU/TPU, ConvLSTM);
with the projection inside the step (dense cells on CPU) two scans are faster.
Unlike Keras 3, ``compute_mask`` with ``return_state`` always returns one entry
per output (Keras does so only for stateful layers).
"""

import inspect

import jax
import jax.numpy as jnp

from jaxlayers.core import tracking
from jaxlayers.core.input_spec import InputSpec
from jaxlayers.core.layer import Layer
from jaxlayers.core.serialization import CustomObjectScope, register_builtin
from jaxlayers.errors import ConfigError, ConfigTypeError, ShapeError
from jaxlayers.layers._sublayers import deserialize_layer, serialize_layer
from jaxlayers.layers.wrapper import Wrapper
from jaxlayers.ops import _rnn as rnn_ops

__all__ = ["TimeDistributed", "Bidirectional"]

_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


def _classes(layer):
    return {type(sub).__name__: type(sub) for sub in tracking.flatten(layer)}


def _copy(layer, **overrides):
    """A new, unbuilt layer with ``layer``'s config updated by ``overrides``."""
    config = serialize_layer(layer)
    config["config"].update(overrides)
    with CustomObjectScope(_classes(layer)):
        return deserialize_layer(config)


def _state_kwarg(state):
    return {} if state is None else {"initial_state": state}


def _strip(name, prefix):
    return name[len(prefix):] if name.startswith(prefix) else name


@register_builtin("layers")
class TimeDistributed(Wrapper):
    """Applies ``layer`` to every timestep (axis 1) of the input, with shared weights.

    Args:
        layer: A layer taking ``(batch, ...)`` inputs.

    Input shape: ``(batch, timesteps, ...)``.  Output shape:
    ``(batch, timesteps, *layer_output_shape[1:])``.  The mask passes through.

    Example:
        >>> layer = jl.layers.TimeDistributed(jl.layers.Dense(4))
        >>> params, state = layer.init(jax.random.key(0), jnp.zeros((2, 5, 3)))
        >>> layer.apply(params, state, jnp.ones((2, 5, 3)))[0].shape
        (2, 5, 4)
    """

    def __init__(self, layer, **kwargs):
        super().__init__(layer, **kwargs)
        self.supports_masking = True
        self.input_spec = InputSpec(min_ndim=3)

    @property
    def supports_complex_inputs(self):
        return self.layer.supports_complex_inputs

    def build(self, input_shape):
        if not self.layer.built:
            self.layer.build((input_shape[0],) + tuple(input_shape[2:]))

    def call(self, inputs, training=None, mask=None):
        batch, time = inputs.shape[:2]
        kwargs = {}
        if mask is not None:
            if mask.ndim < 2 or tuple(mask.shape[:2]) != (batch, time):
                raise ShapeError(
                    f"TimeDistributed '{self.name}': the mask must start with the input's "
                    f"(batch, timesteps) = {(batch, time)}. Received: mask shape "
                    f"{tuple(mask.shape)}."
                )
            if "mask" in inspect.signature(type(self.layer).call).parameters:
                kwargs["mask"] = mask.reshape((batch * time,) + mask.shape[2:])
        flat = inputs.reshape((batch * time,) + inputs.shape[2:])
        outputs = self.layer(flat, training=training, **kwargs)
        return jax.tree_util.tree_map(
            lambda y: y.reshape((batch, time) + y.shape[1:]), outputs)



@register_builtin("layers")
class Bidirectional(Layer):
    """Runs a recurrent layer forwards and backwards and merges the two outputs.

    Args:
        layer: A recurrent layer (``RNN``, ``LSTM``, ``GRU``, ... or any layer with
            ``go_backwards``, ``return_sequences`` and ``return_state``).  It is
            copied (from its config) into ``forward_layer``, named
            ``forward_<name>``.
        merge_mode: ``'concat'`` (default), ``'sum'``, ``'mul'``, ``'ave'`` or
            ``None`` (return both outputs as a tuple).
        weights: Optional initial weights (forward layer's, then backward's).
        backward_layer: Optional layer for the backward direction; by default a
            copy of ``layer`` with ``go_backwards=True`` named ``backward_<name>``.

    Call arguments: ``sequences``, ``initial_state`` (forward states then
    backward states), ``mask``, ``training``.  Backward sequence outputs are
    flipped back to input order before merging.  With ``return_state`` the
    result is ``(output, *forward_states, *backward_states)``.

    Example:
        >>> layer = jl.layers.Bidirectional(jl.layers.LSTM(4, return_sequences=True))
        >>> params, state = layer.init(jax.random.key(0), jnp.zeros((2, 5, 3)))
        >>> layer.apply(params, state, jnp.ones((2, 5, 3)))[0].shape
        (2, 5, 8)
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None,
                 **kwargs):
        super().__init__(weights=weights, **kwargs)
        if not isinstance(layer, Layer):
            raise ConfigTypeError(
                f"Bidirectional '{self.name}': `layer` must be a Layer instance such as "
                f"jl.layers.LSTM(8). Received: layer={layer!r}."
            )
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ConfigTypeError(
                f"Bidirectional '{self.name}': `backward_layer` must be a Layer instance. "
                f"Received: backward_layer={backward_layer!r}."
            )
        if merge_mode not in _MERGE_MODES:
            raise ConfigError(
                f"Bidirectional '{self.name}': `merge_mode` must be one of {_MERGE_MODES}. "
                f"Received: merge_mode={merge_mode!r}."
            )
        self.forward_layer = _copy(layer, name=f"forward_{_strip(layer.name, 'forward_')}")
        if backward_layer is None:
            backward_layer = _copy(layer, go_backwards=True,
                                   name=f"backward_{_strip(layer.name, 'backward_')}")
        self.backward_layer = backward_layer
        self._check_pair()
        for sub in (self.forward_layer, self.backward_layer):
            if getattr(sub, "zero_output_for_mask", None) is not None:
                # Masked steps must give zeros in both directions so the merge is aligned.
                sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        self.input_spec = layer.input_spec

    @property
    def supports_complex_inputs(self):
        return (self.forward_layer.supports_complex_inputs
                and self.backward_layer.supports_complex_inputs)

    def _check_pair(self):
        fwd, bwd = self.forward_layer, self.backward_layer
        if fwd.go_backwards == bwd.go_backwards:
            raise ConfigError(
                f"Bidirectional '{self.name}': the forward and backward layers must have "
                f"different `go_backwards`. Received: forward go_backwards="
                f"{fwd.go_backwards}, backward go_backwards={bwd.go_backwards}."
            )
        for attr in ("stateful", "return_sequences", "return_state"):
            if getattr(fwd, attr) != getattr(bwd, attr):
                raise ConfigError(
                    f"Bidirectional '{self.name}': the forward and backward layers must "
                    f"have the same `{attr}`. Received: {getattr(fwd, attr)} (forward) and "
                    f"{getattr(bwd, attr)} (backward)."
                )

    def build(self, sequences_shape, initial_state_shape=None):
        for sub in (self.forward_layer, self.backward_layer):
            if not sub.built:
                sub.build(sequences_shape)

    def _merge(self, y, y_rev):
        if self.merge_mode == "concat":
            return jnp.concatenate([y, y_rev], axis=-1)
        if self.merge_mode == "sum":
            return y + y_rev
        if self.merge_mode == "ave":
            return (y + y_rev) / 2
        if self.merge_mode == "mul":
            return y * y_rev
        return (y, y_rev)

    def _fusable(self):
        """Both directions are plain scans (``RNN.plain_scan``): run them in ONE scan."""
        fwd, bwd = self.forward_layer, self.backward_layer
        return all(getattr(sub, "plain_scan", False) for sub in (fwd, bwd)) and (
            not fwd.go_backwards and bwd.go_backwards)

    def _fusion_pays(self):
        """Whether one scan beats two here: only with the projection hoisted out of the scan.

        Measured on XLA:CPU, Bidirectional(LSTM(64)), T=50, batch 64, projection in
        the step: the fused train step costs ~1.15x two scans (forward equal).  With
        hoisted projections two scans were measured at 3-4x one (issue 17), so they
        stay fused there.
        """
        kind = getattr(getattr(self.forward_layer, "cell", None), "projection_kind", "matmul")
        return rnn_ops.input_projection(kind=kind) == "before_scan"

    def _fused(self, sequences, forward_state, backward_state, mask, training):
        fwd, bwd = self.forward_layer, self.backward_layer
        plans = [sub.plan_scan(sequences, state, mask, training)
                 for sub, state in ((fwd, forward_state), (bwd, backward_state))]
        results = rnn_ops.bidirectional_rnn(
            [p.step for p in plans], [p.inputs for p in plans],
            [p.initial_states for p in plans], mask=plans[0].mask,
            zero_output_for_mask=(fwd.zero_output_for_mask, bwd.zero_output_for_mask),
            return_sequences=self.return_sequences,
            previous_output=[p.previous_output for p in plans])
        return fwd.finish_scan(*results[0]), bwd.finish_scan(*results[1])

    def call(self, sequences, initial_state=None, mask=None, training=None):
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = list(initial_state[:half]), list(
                initial_state[half:])
        if self._fusable() and self._fusion_pays():
            training = bool(training)
            y, y_rev = self._fused(sequences, forward_state, backward_state, mask, training)
        else:
            y = self.forward_layer(sequences, mask=mask, training=training,
                                   **_state_kwarg(forward_state))
            y_rev = self.backward_layer(sequences, mask=mask, training=training,
                                        **_state_kwarg(backward_state))
        states = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        dtype = self.compute_dtype
        y, y_rev = y.astype(dtype), y_rev.astype(dtype)
        if self.return_sequences:
            y_rev = jnp.flip(y_rev, axis=1)
        output = self._merge(y, y_rev)
        if self.return_state:
            return (output if self.merge_mode is None else (output,)) + states
        return output

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if self.return_sequences:
            output_mask = (mask, mask) if self.merge_mode is None else mask
        else:
            output_mask = (None, None) if self.merge_mode is None else None
        if not self.return_state:
            return output_mask
        n_states = 2 * len(getattr(self.forward_layer, "state_size", [None]))
        head = output_mask if self.merge_mode is None else (output_mask,)
        return tuple(head) + (None,) * n_states

    @property
    def states(self):
        fwd = getattr(self.forward_layer, "states", None)
        bwd = getattr(self.backward_layer, "states", None)
        if fwd and bwd:
            return tuple(fwd) + tuple(bwd)
        return None

    def reset_states(self):
        self.reset_state()

    def reset_state(self):
        if not self.stateful:
            raise ConfigError(
                f"Bidirectional '{self.name}': reset_states() needs a stateful layer "
                f"(create the wrapped layer with stateful=True)."
            )
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    def get_config(self):
        config = super().get_config()
        config["merge_mode"] = self.merge_mode
        config["layer"] = serialize_layer(self.forward_layer)
        config["backward_layer"] = serialize_layer(self.backward_layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["layer"] = deserialize_layer(config["layer"], custom_objects)
        backward = config.pop("backward_layer", None)
        if backward is not None:
            config["backward_layer"] = deserialize_layer(backward, custom_objects)
        return cls(**config)
