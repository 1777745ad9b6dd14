"""The public RNN cell protocol: a user cell gets what the built-in cells get.

A cell that implements ``get_dropout_masks`` / ``project_inputs`` / ``step``
(``jl.layers.RNNCell``) has its input projection traced once per sequence
(hoisted out of the scan, or inside the step: ops/_rnn.py) and runs in
Bidirectional's fused scan, with the numbers of the step-by-step reference;
a Keras-style cell with only ``call`` still works.
"""

import ast
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxlayers import errors, layers
from jaxlayers.layers import rnn_cell
from tests.cases.recurrent import MinimalRNNCell

B, T, F, U = 2, 5, 3, 4
MASK = np.array([[True, True, False, True, True], [False, True, True, True, False]])


class ProjectedCell(layers.RNNCell):
    """``h = tanh(x @ w + h @ u)`` written with the protocol, counting projections.

    The step-by-step reference is ``MinimalRNNCell``: the same math with only ``call``.
    """

    def __init__(self, units, rate=0.0, **kwargs):
        super().__init__(**kwargs)
        self.units, self.rate = units, rate
        self.state_size = units
        self.projections = 0
        self.mask_draws = 0

    def build(self, input_shape):
        self.w = self.add_weight(name="w", shape=(input_shape[-1], self.units))
        self.u = self.add_weight(name="u", shape=(self.units, self.units),
                                 initializer="orthogonal")

    def get_dropout_masks(self, inputs_shape, training=False):
        if not (training and self.rate):
            return None
        self.mask_draws += 1
        keep = jax.random.bernoulli(self.next_key(), 1.0 - self.rate, tuple(inputs_shape))
        return keep.astype(self.compute_dtype) / (1.0 - self.rate)

    def project_inputs(self, inputs, dropout_masks=None):
        self.projections += 1
        if dropout_masks is not None:
            inputs = inputs * dropout_masks
        return inputs @ self.w

    def step(self, inputs, states, dropout_masks=None, training=False):
        h = jnp.tanh(inputs + states[0] @ self.u)
        return h, [h]


@pytest.fixture
def x(rng):
    return rng.standard_normal((B, T, F)).astype("float32")


def _assert_close(a, b):
    la, lb = jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)
    assert len(la) == len(lb)
    for u, v in zip(la, lb):
        np.testing.assert_allclose(np.asarray(u), np.asarray(v), rtol=1e-5, atol=1e-5)


def _primitives(jaxpr):
    """``(top-level primitive names, primitive names inside scan bodies)``."""
    top = [e.primitive.name for e in jaxpr.eqns]
    inner = []
    for e in jaxpr.eqns:
        if e.primitive.name == "scan":
            inner += [i.primitive.name for i in e.params["jaxpr"].jaxpr.eqns]
    return top, inner


def _same_weights(src, dst, x):
    dst.init(jax.random.key(1), x)
    dst.set_weights(src.get_weights())
    return dst


def test_built_in_cells_implement_the_protocol():
    cells = [layers.SimpleRNNCell(2), layers.LSTMCell(2), layers.GRUCell(2),
             layers.ConvLSTM2D(2, 3).cell,
             layers.StackedRNNCells([layers.LSTMCell(2), layers.GRUCell(2)])]
    for cell in cells:
        assert isinstance(cell, layers.RNNCell)
        assert rnn_cell.implements_cell_protocol(cell)
        assert rnn_cell.cell_protocol(cell) is cell
    assert not rnn_cell.implements_cell_protocol(MinimalRNNCell(2))


def test_user_cell_projection_runs_once_before_or_inside_the_scan(x, input_projection):
    cell = ProjectedCell(U)
    layer = layers.RNN(cell, return_sequences=True)
    params, state = layer.init(jax.random.key(0), x)
    cell.projections = 0
    jaxpr = jax.make_jaxpr(lambda p, s, v: layer.apply(p, s, v)[0])(params, state, x)
    # One projection traced per sequence of T steps: one matmul before the scan and the
    # recurrent one inside it, or both inside the scan step.
    assert cell.projections == 1
    top, inner = _primitives(jaxpr.jaxpr)
    assert top.count("scan") == 1
    hoisted = input_projection == "before_scan"
    assert (top.count("dot_general"), inner.count("dot_general")) == ((1, 1) if hoisted
                                                                      else (0, 2))
    cell.projections = 0
    layer.apply(params, state, x, mask=MASK)
    assert cell.projections == 1


@pytest.mark.parametrize("kwargs", [dict(return_sequences=True),
                                    dict(go_backwards=True, return_state=True)])
def test_user_cell_numbers_equal_the_step_by_step_reference(x, kwargs):
    ours = layers.RNN(ProjectedCell(U), **kwargs)
    ours.init(jax.random.key(0), x)
    reference = _same_weights(ours, layers.RNN(MinimalRNNCell(U), **kwargs), x)
    for mask in (None, MASK):
        _assert_close(ours.apply(ours.params, ours.state, x, mask=mask)[0],
                      reference.apply(reference.params, reference.state, x, mask=mask)[0])
    # Used alone, the cell runs one step (call is derived from the protocol).
    h0 = jnp.zeros((B, U))
    _assert_close(ours.cell(jnp.asarray(x[:, 0]), [h0]),
                  reference.cell(jnp.asarray(x[:, 0]), [h0]))


def test_user_cell_dropout_masks_are_drawn_once_per_sequence(x):
    cell = ProjectedCell(U, rate=0.5)
    layer = layers.RNN(cell, return_sequences=True)
    params, state = layer.init(jax.random.key(0), x)
    y, _ = layer.apply(params, state, x, training=True, key=jax.random.key(3))
    assert cell.mask_draws == 1
    # The same key gives the same mask; inference draws none.
    again, _ = layer.apply(params, state, x, training=True, key=jax.random.key(3))
    np.testing.assert_array_equal(y, again)
    assert not np.allclose(y, layer.apply(params, state, x)[0])


@pytest.mark.parametrize("input_projection", ["before_scan"], indirect=True)
def test_user_cell_gets_the_fused_bidirectional_scan(x, input_projection):
    fused = layers.Bidirectional(layers.RNN(ProjectedCell(U), return_sequences=True))
    assert fused._fusable()
    params, state = fused.init(jax.random.key(0), x)
    fused.set_params(params, state)
    jaxpr = jax.make_jaxpr(lambda p, s, v: fused.apply(p, s, v, mask=MASK)[0])(
        params, state, x)
    assert _primitives(jaxpr.jaxpr)[0].count("scan") == 1
    # Reference: the two directions as two separate step-by-step layers.
    fwd = layers.RNN(MinimalRNNCell(U), return_sequences=True, zero_output_for_mask=True)
    bwd = layers.RNN(MinimalRNNCell(U), return_sequences=True, go_backwards=True,
                     zero_output_for_mask=True)
    fwd.init(jax.random.key(1), x)
    bwd.init(jax.random.key(1), x)
    fwd.set_weights(fused.forward_layer.get_weights())
    bwd.set_weights(fused.backward_layer.get_weights())
    y_fwd = fwd.apply(fwd.params, fwd.state, x, mask=MASK)[0]
    y_bwd = jnp.flip(bwd.apply(bwd.params, bwd.state, x, mask=MASK)[0], axis=1)
    _assert_close(fused.apply(params, state, x, mask=MASK)[0],
                  jnp.concatenate([y_fwd, y_bwd], axis=-1))


def test_a_subclass_that_overrides_call_is_not_fused():
    class LoggingRNN(layers.RNN):
        def call(self, sequences, **kwargs):
            return super().call(sequences * 2.0, **kwargs)

    assert layers.RNN(ProjectedCell(U)).plain_scan
    assert not LoggingRNN(ProjectedCell(U)).plain_scan
    assert not layers.RNN(ProjectedCell(U), unroll=True).plain_scan


def test_rnn_cell_with_only_call_is_called_step_by_step(x):
    class CallCell(layers.RNNCell):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.state_size = units

        def build(self, input_shape):
            self.w = self.add_weight(name="w", shape=(input_shape[-1], self.state_size))

        def call(self, inputs, states, training=False):
            h = jnp.tanh(inputs @ self.w + states[0])
            return h, [h]

    layer = layers.RNN(CallCell(U))
    params, state = layer.init(jax.random.key(0), x)
    (w,) = [np.asarray(v, np.float64) for v in jax.tree_util.tree_leaves(params)]
    h = np.zeros((B, U))
    for t in range(T):
        h = np.tanh(np.asarray(x[:, t], np.float64) @ w + h)
    _assert_close(layer.apply(params, state, x)[0], h)


def test_rnn_cell_without_call_or_step_raises_a_clear_error(x):
    class Empty(layers.RNNCell):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.state_size = 2

    layer = layers.RNN(Empty(name="empty"))
    with pytest.raises(errors.ConfigTypeError,
                       match="Empty 'empty': an RNNCell must override `call"):
        layer.init(jax.random.key(0), x)


def test_the_recurrent_modules_import_without_a_cycle():
    """rnn_cell <- rnn_base <- conv_lstm / rnn_wrappers <- recurrent, every import counted."""
    root = pathlib.Path(layers.__file__).parent
    names = ("rnn_cell", "rnn_base", "conv_lstm", "rnn_wrappers", "recurrent")
    graph = {}
    for name in names:
        tree = ast.parse((root / f"{name}.py").read_text())
        graph[name] = {node.module.rsplit(".", 1)[-1] for node in ast.walk(tree)
                       if isinstance(node, ast.ImportFrom) and node.module
                       and node.module.rsplit(".", 1)[-1] in names}
    order = []
    while graph:
        ready = sorted(n for n, deps in graph.items() if deps <= set(order))
        assert ready, f"import cycle among {sorted(graph)}: {graph}"
        order += ready
        for n in ready:
            del graph[n]
    assert order.index("rnn_cell") < order.index("rnn_base") < order.index("recurrent")


def test_the_documented_cell_example_runs():
    doc = pathlib.Path(layers.__file__).parents[2] / "docs" / "writing_layers.md"
    section = doc.read_text().split("## Recurrent cells", 1)[1]
    code = section.split("```python", 1)[1].split("```", 1)[0]
    exec(compile(code, str(doc), "exec"), {})
