"""Recurrent math as pure functions: cell steps, projections and a masked scan.

Conventions shared by every function here:

* Sequences are **time major** inside this module: ``(time, batch, ...)``.
  Layers transpose the (small) raw inputs once and either project them for
  all timesteps with ONE matmul (:func:`project_inputs`) or one convolution
  before :func:`rnn`, or project each step's inputs inside the scan step;
  :func:`input_projection` says which (it depends on the backend).  The scan
  body is traced once, so compile time does not grow with the sequence
  length (unless ``unroll=True``).
* Gate kernels are laid out as in Keras: ``kernel`` ``(features, gates * units)``
  and ``recurrent_kernel`` ``(units, gates * units)`` with gates in the order
  ``i, f, c, o`` (LSTM) and ``z, r, h`` (GRU).
* Dropout masks follow Keras: masks of ones dropped to ``0`` with probability
  ``rate`` and scaled by ``1 / (1 - rate)``, drawn once per sequence and
  reused at every step.  ``masks`` arguments are ``None`` (no dropout), one
  mask ``(batch, features)`` shared by all gates, or one mask per gate
  ``(gates, batch, features)``.
* A sequence ``mask`` is a bool ``(time, batch)`` array; ``False`` steps are
  skipped: the states are carried through unchanged and the output at that
  step is the previous output, exactly as Keras 3 does (see :func:`rnn`).

Example:
    >>> x = jnp.ones((5, 2, 3))                      # (time, batch, features)
    >>> k, r = jnp.ones((3, 16)) * 0.1, jnp.eye(4, 16)
    >>> xs = project_inputs(x, k)                    # all timesteps at once
    >>> step = lambda x_t, s: (lambda h, c: (h, [h, c]))(*lstm_step(x_t, s[0], s[1], r))
    >>> last, outputs, states = rnn(step, xs, [jnp.zeros((2, 4))] * 2)
    >>> last.shape, outputs.shape
    ((2, 4), (5, 2, 4))
"""

import jax
import jax.numpy as jnp
from jax import lax

from jaxlayers.ops import _args
from jaxlayers.ops import _conv as conv_ops
from jaxlayers.ops import _layout as layout

# Where recurrent layers compute the input part of a step (x @ kernel + bias, or
# the input convolution).  Measured with the optimized HLO of an LSTM(64), T=50,
# batch 64, 32 features, forward and train step (see bench/bench_rnn.py):
#
# * "before_scan" (one matmul over every timestep) materializes the projection,
#   (time, batch, 4 * units), 8x the inputs here, in memory.  XLA:CPU computes the
#   big dot gates-major ([4u, time * batch]) and transposes its result twice
#   before the loop; every step then re-reads a slice of that buffer from memory
#   (two loop fusions each re-read it); the backward loop writes the projection's
#   gradient, the same size, one dynamic-update-slice per step, and after the loop
#   XLA transposes it again to feed the kernel-gradient dot, which runs on the
#   generic (non-YNNPACK) dot path because both of its operands are transposed.
#   About ten passes over a buffer that does not stay in cache: on a 2-core CPU the
#   forward pass is ~2.3x and the train step ~1.3-1.4x slower than the in-step form.
# * "in_step" keeps each step's (batch, features) input and (batch, 4 * units)
#   projection in cache, its small dots run on YNNPACK, and the backward loop
#   accumulates the kernel gradient in the carry (one (features, 4u) add per step):
#   no large buffer, no transpose.
#
# On GPU/TPU one large matmul uses the device far better than `time` small ones that
# sit on the sequential critical path (what cuDNN's RNN kernels do too), so there
# the projection is hoisted.  A convolution projection (ConvLSTM) stays hoisted on
# CPU too: its per-step input-gradient convolutions cost more than the buffer
# (ConvLSTM2D(8, 3), 8x8x3 inputs, T=10, batch 8: train step ~1.15x slower in the
# step, forward equal).  Both forms compute the same expression in the same
# order (x @ kernel + bias, then + h @ recurrent_kernel), so they agree to float
# rounding of the dots.
_PLACEMENTS = ("auto", "before_scan", "in_step")
_placement = {"value": "auto"}


def set_input_projection(placement):
    """Chooses where recurrent layers project their inputs (read when a layer is traced).

    Args:
        placement: ``'before_scan'`` (one matmul/convolution for every timestep,
            then the scan), ``'in_step'`` (inside each scan step) or ``'auto'``
            (the default: ``'in_step'`` on CPU, ``'before_scan'`` elsewhere).

    Example:
        >>> set_input_projection("before_scan"); input_projection()
        'before_scan'
        >>> set_input_projection("auto")
    """
    _placement["value"] = _args.choice("rnn.set_input_projection", "placement", placement,
                                       _PLACEMENTS)


def input_projection(backend=None, kind="matmul"):
    """``'before_scan'`` or ``'in_step'``: where inputs are projected on ``backend``.

    Args:
        backend: A JAX platform name (``'cpu'``, ``'gpu'``, ``'tpu'``); default
            ``jax.default_backend()``.  Only consulted under ``'auto'``.
        kind: What the projection is: ``'matmul'`` (dense cells, the default)
            or ``'convolution'`` (ConvLSTM), hoisted on every backend under ``'auto'``.

    Example:
        >>> input_projection("cpu"), input_projection("gpu")
        ('in_step', 'before_scan')
        >>> input_projection("cpu", kind="convolution")
        'before_scan'
    """
    kind = _args.choice("rnn.input_projection", "kind", kind, ("matmul", "convolution"))
    if _placement["value"] != "auto":
        return _placement["value"]
    backend = jax.default_backend() if backend is None else backend
    return "in_step" if backend == "cpu" and kind == "matmul" else "before_scan"


def dropout_mask(key, shape, rate, count=None, dtype=jnp.float32):
    """A Keras-style dropout mask: ``0`` with probability ``rate``, else ``1 / (1 - rate)``.

    Args:
        key: A ``jax.random`` key.
        shape: Shape of one mask (the shape of one step's input or state).
        rate: Fraction dropped, in ``[0, 1]``; ``1`` gives zeros.
        count: ``None`` for one mask; an int for ``count`` independent masks
            stacked on a new leading axis (one per gate).
        dtype: Mask dtype.

    Example:
        >>> m = dropout_mask(jax.random.key(0), (2, 3), 0.5, count=4)
        >>> m.shape, set(m.ravel().tolist()) <= {0.0, 2.0}
        ((4, 2, 3), True)
    """
    full = tuple(shape) if count is None else (int(count),) + tuple(shape)
    if rate >= 1.0:
        return jnp.zeros(full, dtype)
    keep = jax.random.bernoulli(key, 1.0 - rate, full)
    return jnp.where(keep, jnp.asarray(1.0 / (1.0 - rate), dtype), jnp.zeros((), dtype))


def _per_gate(x, masks, gates):
    """``x`` masked once per gate: ``(gates, ..., batch, features)``."""
    lead = (1,) * (x.ndim - masks.ndim + 1)
    return x[None] * masks.reshape((gates,) + lead + masks.shape[1:])


def project_inputs(x, kernel, bias=None, masks=None):
    """``x @ kernel + bias`` for every timestep at once (one matmul).

    Args:
        x: ``(..., batch, features)``, e.g. a whole time-major sequence.
        kernel: ``(features, gates * units)``.
        bias: ``(gates * units,)`` or ``None``.
        masks: Input dropout masks (see the module docstring); a per-gate mask
            multiplies the inputs of gate ``g`` only.

    Returns:
        ``(..., batch, gates * units)``.
    """
    if masks is None:
        y = jnp.matmul(x, kernel)
    elif masks.ndim == 2:
        y = jnp.matmul(x * masks, kernel)
    else:
        gates = masks.shape[0]
        k = kernel.reshape(kernel.shape[0], gates, -1)
        y = jnp.einsum("g...f,fgu->...gu", _per_gate(x, masks, gates), k)
        y = y.reshape(y.shape[:-2] + (kernel.shape[-1],))
    if bias is not None:
        y = y + bias
    return y


def recurrent_matmul(h, recurrent_kernel, masks=None):
    """``h @ recurrent_kernel``, with per-gate recurrent dropout when ``masks`` is 3-D."""
    if masks is None:
        return jnp.matmul(h, recurrent_kernel)
    if masks.ndim == h.ndim:
        return jnp.matmul(h * masks, recurrent_kernel)
    gates = masks.shape[0]
    k = recurrent_kernel.reshape(recurrent_kernel.shape[0], gates, -1)
    y = jnp.einsum("gbu,ugv->bgv", h[None] * masks, k)
    return y.reshape(h.shape[:-1] + (recurrent_kernel.shape[-1],))


def lstm_gates(z, c, activation=jnp.tanh, recurrent_activation=jax.nn.sigmoid, axis=-1):
    """The LSTM update from pre-activations ``z = [i, f, c, o]``: returns ``(h, c)``."""
    zi, zf, zc, zo = jnp.split(z, 4, axis=axis)
    i = recurrent_activation(zi)
    f = recurrent_activation(zf)
    c = f * c + i * activation(zc)
    o = recurrent_activation(zo)
    return o * activation(c), c


def lstm_step(x_t, h, c, recurrent_kernel, activation=jnp.tanh,
              recurrent_activation=jax.nn.sigmoid, recurrent_masks=None):
    """One LSTM step (Hochreiter & Schmidhuber, 1997) from a projected input.

    Args:
        x_t: ``(batch, 4 * units)``: ``x @ kernel + bias`` for this step.
        h, c: ``(batch, units)`` previous output and carry.
        recurrent_kernel: ``(units, 4 * units)``.
        activation, recurrent_activation: Functions (``tanh``, ``sigmoid`` in Keras).
        recurrent_masks: Recurrent dropout masks or ``None``.

    Returns:
        ``(h, c)`` of the next step.
    """
    z = x_t + recurrent_matmul(h, recurrent_kernel, recurrent_masks)
    return lstm_gates(z, c, activation, recurrent_activation)


def gru_step(x_t, h, recurrent_kernel, recurrent_bias=None, activation=jnp.tanh,
             recurrent_activation=jax.nn.sigmoid, reset_after=True, recurrent_masks=None):
    """One GRU step (Cho et al., 2014) from a projected input.

    Args:
        x_t: ``(batch, 3 * units)``: ``x @ kernel + input_bias`` for this step.
        h: ``(batch, units)`` previous state.
        recurrent_kernel: ``(units, 3 * units)``.
        recurrent_bias: ``(3 * units,)`` (only with ``reset_after``) or ``None``.
        reset_after: Apply the reset gate after the recurrent matmul (Keras's
            default, the cuDNN convention) instead of before it.
        recurrent_masks: Recurrent dropout masks or ``None``.

    Returns:
        The next state ``h`` (also the output).
    """
    units = h.shape[-1]
    xz, xr, xh = jnp.split(x_t, 3, axis=-1)
    if reset_after:
        inner = recurrent_matmul(h, recurrent_kernel, recurrent_masks)
        if recurrent_bias is not None:
            inner = inner + recurrent_bias
        rz, rr, rh = jnp.split(inner, 3, axis=-1)
        z = recurrent_activation(xz + rz)
        r = recurrent_activation(xr + rr)
        hh = activation(xh + r * rh)
    else:
        zr_masks = h_mask = None
        if recurrent_masks is not None:
            if recurrent_masks.ndim == h.ndim:
                zr_masks = h_mask = recurrent_masks
            else:
                zr_masks, h_mask = recurrent_masks[:2], recurrent_masks[2]
        inner = recurrent_matmul(h, recurrent_kernel[:, :2 * units], zr_masks)
        rz, rr = jnp.split(inner, 2, axis=-1)
        z = recurrent_activation(xz + rz)
        r = recurrent_activation(xr + rr)
        h_h = h if h_mask is None else h * h_mask
        hh = activation(xh + jnp.matmul(r * h_h, recurrent_kernel[:, 2 * units:]))
    return z * h + (1.0 - z) * hh


def simple_rnn_step(x_t, h, recurrent_kernel, activation=jnp.tanh, recurrent_mask=None):
    """One fully connected RNN step: ``activation(x_t + h @ recurrent_kernel)``."""
    return activation(x_t + recurrent_matmul(h, recurrent_kernel, recurrent_mask))


def conv_lstm_input(x, kernel, bias=None, masks=None, strides=1, padding="valid",
                    dilation_rate=1, data_format="channels_last"):
    """The input convolution of a ConvLSTM for every timestep at once.

    Args:
        x: ``(time, batch, *spatial, channels)`` (or channels first after the
            time and batch axes).
        kernel: ``(*kernel_size, channels, 4 * filters)``.
        bias: ``(4 * filters,)`` or ``None``.
        masks: ``None`` or per-gate dropout masks ``(4, batch, *spatial, channels)``
            (channels first likewise); gate ``g`` convolves its own masked copy.

    Returns:
        ``(time, batch, *out_spatial, 4 * filters)`` (channels first likewise).
    """
    t, b = x.shape[:2]
    flat = x.reshape((t * b,) + x.shape[2:])
    if masks is not None:
        flat = _grouped_copies(flat, jnp.tile(masks, (1, t) + (1,) * (masks.ndim - 2)),
                               data_format)
    y = conv_ops.conv(flat, kernel, strides=strides,
                      padding=padding, dilation_rate=dilation_rate, data_format=data_format)
    if bias is not None:
        y = conv_ops.bias_add(y, bias, data_format)
    return y.reshape((t, b) + y.shape[1:])


def _grouped_copies(x, masks, data_format):
    """``[x * m_0, ..., x * m_3]`` on the channel axis: grouped-conv input, one group per gate."""
    return jnp.concatenate([x * m for m in masks], axis=layout.channel_axis(data_format))


def conv_lstm_step(x_t, h, c, recurrent_kernel, activation=jnp.tanh,
                   recurrent_activation=jax.nn.sigmoid, recurrent_masks=None,
                   data_format="channels_last"):
    """One ConvLSTM step (Shi et al., 2015) from a convolved input.

    Args:
        x_t: ``(batch, *spatial, 4 * filters)``: the input convolution plus bias.
        h, c: ``(batch, *spatial, filters)`` previous output and carry.
        recurrent_kernel: ``(*kernel_size, filters, 4 * filters)``, applied with
            stride 1 and ``'same'`` padding.
        recurrent_masks: ``None`` or ``(4, batch, *spatial, filters)``.

    Returns:
        ``(h, c)`` of the next step.
    """
    h_in = h if recurrent_masks is None else _grouped_copies(h, recurrent_masks, data_format)
    z = x_t + conv_ops.conv(h_in, recurrent_kernel, padding="same", data_format=data_format)
    return lstm_gates(z, c, activation, recurrent_activation,
                      axis=layout.channel_axis(data_format))


def _expand_to(m, x):
    """A ``(batch,)`` bool mask shaped to broadcast against ``x`` ``(batch, ...)``."""
    return m.reshape(m.shape + (1,) * (x.ndim - 1))


def first_state(states):
    """Keras's output for a masked step: the first state (of the last cell when stacked).

    States holding nested lists are taken to be per-cell (stacked cells); pass
    ``previous_output`` to :func:`rnn` where that guess is not right.
    """
    if any(isinstance(s, (list, tuple)) for s in states):
        return jax.tree_util.tree_leaves(states[-1])[0]
    return states[0]


def _conform(new_states, treedef, owner="rnn"):
    leaves = jax.tree_util.tree_leaves(new_states)
    if len(leaves) != treedef.num_leaves:
        raise ValueError(
            f"{owner}: the cell returned {len(leaves)} state arrays, but its initial state "
            f"has {treedef.num_leaves}. A cell's call must return (output, new_states) with "
            "new_states shaped like its states."
        )
    return jax.tree_util.tree_unflatten(treedef, leaves)


def rnn(step_fn, inputs, initial_states, *, mask=None, go_backwards=False, unroll=False,
        zero_output_for_mask=False, return_sequences=True, previous_output=first_state):
    """Runs ``step_fn`` over the time axis with ``lax.scan`` (or unrolled), skipping masked steps.

    Args:
        step_fn: ``(inputs_t, states) -> (output_t, new_states)``; ``states`` has
            the structure of ``initial_states``.
        inputs: A pytree of time-major arrays ``(time, batch, ...)``, typically
            input projections for every step.
        initial_states: A pytree (list) of ``(batch, ...)`` arrays.
        mask: Optional bool ``(time, batch)``; ``False`` skips the step for that row.
        go_backwards: Process the sequence from the last step to the first.
            ``outputs`` are then in processing order (reversed), as in Keras.
        unroll: Trace ``time`` copies of the step in a Python loop (fast for
            very short sequences; compile time grows with ``time``).
        zero_output_for_mask: Output zeros at masked steps instead of the
            previous output (scan only: the unrolled loop, like Keras's, always
            repeats the previous output).
        return_sequences: Build ``outputs``; otherwise only the last output is
            carried (no per-step writes).
        previous_output: ``states -> array``: which state is the output of a
            masked step (default :func:`first_state`).

    Returns:
        ``(last_output, outputs, final_states)``; ``outputs`` is
        ``(time, batch, ...)`` or ``None`` when ``return_sequences=False``.

    Masked steps follow Keras 3 exactly: states are carried through; in the
    scan the output at a masked step is the previous step's first state
    (``h`` for LSTM/GRU; for stacked cells the last cell's first state) or
    zeros with ``zero_output_for_mask``; unrolled, it is the previous output
    (zeros before the first step).
    """
    lane = _Lane(step_fn, inputs, initial_states, _as_mask(mask), zero_output_for_mask,
                 previous_output)
    if unroll:
        return _unrolled(lane, go_backwards, return_sequences)
    return _scan([lane], return_sequences, reverse=go_backwards)[0]


def bidirectional_rnn(step_fns, inputs, initial_states, *, mask=None,
                      zero_output_for_mask=(False, False), return_sequences=True,
                      previous_output=(first_state, first_state)):
    """A forward and a backward recurrence in ONE scan (half the loop steps of two scans).

    Each argument is a pair ``(forward, backward)`` with the meaning it has in
    :func:`rnn`; ``mask`` is shared.  Returns the pair of ``rnn`` results, the
    backward one exactly as ``rnn(..., go_backwards=True)`` gives it (outputs in
    processing order).
    """
    mask = _as_mask(mask)
    flipped = jax.tree_util.tree_map(lambda a: jnp.flip(a, 0), inputs[1])
    lanes = [
        _Lane(step_fns[0], inputs[0], initial_states[0], mask, zero_output_for_mask[0],
              previous_output[0]),
        _Lane(step_fns[1], flipped, initial_states[1],
              None if mask is None else jnp.flip(mask, 0), zero_output_for_mask[1],
              previous_output[1]),
    ]
    return tuple(_scan(lanes, return_sequences, reverse=False))


def _as_mask(mask):
    return None if mask is None else jnp.asarray(mask).astype(bool)


class _Lane:
    """One recurrence of a scan: its step, inputs, states, mask and masking rules."""

    def __init__(self, step_fn, inputs, initial_states, mask, zero_output_for_mask,
                 previous_output):
        self.step_fn = step_fn
        self.inputs = inputs
        self.initial_states = initial_states
        self.mask = mask
        self.zero_output = zero_output_for_mask
        self.previous_output = previous_output
        self.treedef = jax.tree_util.tree_structure(initial_states)

    def raw_step(self, x_t, states):
        out, new = self.step_fn(x_t, states)
        return out, _conform(new, self.treedef)

    def step(self, x_t, m_t, states):
        out, new = self.raw_step(x_t, states)
        if m_t is None:
            return out, new
        prev = jnp.zeros_like(out) if self.zero_output else self.previous_output(states)
        out = jnp.where(_expand_to(m_t, out), out, prev)
        new = jax.tree_util.tree_map(
            lambda n, s: jnp.where(_expand_to(m_t, n), n, s), new, states)
        return out, new

    def last_carry(self, return_sequences):
        """Initial value of a carried last output, or ``None`` when it need not be carried.

        Without sequences the last output is carried, unless the step's output IS
        its (last cell's) first state, as for every built-in cell: then it is that state.
        """
        if return_sequences:
            return None
        found = []

        def probe(x, s):
            out, new = self.raw_step(x, s)
            found.append(out is self.previous_output(new))
            return out

        x0 = jax.tree_util.tree_map(lambda a: a[0], self.inputs)
        spec = jax.eval_shape(probe, x0, self.initial_states)
        if found[0] and not (self.mask is not None and self.zero_output):
            return None
        return jnp.zeros(spec.shape, spec.dtype)


def _scan(lanes, return_sequences, reverse):
    lasts = [lane.last_carry(return_sequences) for lane in lanes]
    carried = [last is not None for last in lasts]

    def body(carry, xs):
        new_carry, ys = [], []
        for lane, keep, (states, _), (x_t, m_t) in zip(lanes, carried, carry, xs):
            out, new = lane.step(x_t, m_t, states)
            new_carry.append((new, out if keep else None))
            ys.append(out if return_sequences else None)
        return new_carry, ys

    init = [(lane.initial_states, last) for lane, last in zip(lanes, lasts)]
    xs = [(lane.inputs, lane.mask) for lane in lanes]
    carry, ys = lax.scan(body, init, xs, reverse=reverse)
    results = []
    for lane, keep, (states, last), outputs in zip(lanes, carried, carry, ys):
        if return_sequences:
            if reverse:
                outputs = jnp.flip(outputs, axis=0)
            last = outputs[-1]
        elif not keep:
            last = lane.previous_output(states)
        results.append((last, outputs, states))
    return results


def _unrolled(lane, go_backwards, return_sequences):
    time = jax.tree_util.tree_leaves(lane.inputs)[0].shape[0]
    order = range(time - 1, -1, -1) if go_backwards else range(time)
    outputs, prev, states = [], None, lane.initial_states
    for t in order:
        x_t = jax.tree_util.tree_map(lambda a: a[t], lane.inputs)  # noqa: B023 (called in this iteration)
        out, new = lane.raw_step(x_t, states)
        if lane.mask is not None:
            # Keras's unrolled loop repeats the previous OUTPUT (zeros at first).
            m_t = lane.mask[t]
            prev = jnp.zeros_like(out) if prev is None else prev
            out = jnp.where(_expand_to(m_t, out), out, prev)
            new = jax.tree_util.tree_map(
                lambda n, s: jnp.where(_expand_to(m_t, n), n, s), new, states)  # noqa: B023 (called in this iteration)
        outputs.append(out)
        states, prev = new, out
    return outputs[-1], jnp.stack(outputs) if return_sequences else None, states


__all__ = [
    "set_input_projection", "input_projection", "dropout_mask", "project_inputs",
    "recurrent_matmul", "lstm_gates", "lstm_step",
    "gru_step", "simple_rnn_step", "conv_lstm_input", "conv_lstm_step", "rnn",
    "bidirectional_rnn", "first_state",
]
