"""Layer cases of the recurrent family (RNN layers, cells, wrappers, ConvLSTM)."""

import jax.numpy as jnp
import numpy as np

from jaxlayers import layers
from jaxlayers.core.serialization import register_serializable
from tests.cases import LayerCase, fresh


@register_serializable(package="tests")
class MinimalRNNCell(layers.Layer):
    """A user-written cell: ``h = tanh(x @ w + h @ u)`` (Keras's documented example)."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.w = self.add_weight(name="w", shape=(input_shape[-1], self.units))
        self.u = self.add_weight(name="u", shape=(self.units, self.units),
                                 initializer="orthogonal")

    def call(self, inputs, states):
        h = jnp.tanh(inputs @ self.w + states[0] @ self.u)
        return h, [h]

    def get_config(self):
        config = super().get_config()
        config["units"] = self.units
        return config



def _masked_rows():
    mask = np.ones((2, 4), bool)
    mask[0, 3:] = False
    mask[1, 0] = False
    return mask


SEQ = ((2, 4, 3),)
CELL_STEP = ((2, 3),)

CASES = [
    LayerCase(layers.LSTM, dict(units=4), input_shapes=SEQ, n_params=3, n_state=0),
    LayerCase(layers.LSTM, dict(units=3, return_sequences=True, return_state=True,
                                go_backwards=True, unit_forget_bias=False),
              input_shapes=SEQ, n_params=3, id="LSTM-seq-state-backwards"),
    LayerCase(layers.LSTM, dict(units=3, return_sequences=True),
              input_shapes=SEQ, call_kwargs=dict(mask=_masked_rows()),
              batch_independent=False, id="LSTM-masked"),
    LayerCase(layers.LSTM, dict(units=3, dropout=0.3, recurrent_dropout=0.2),
              input_shapes=SEQ, random=True, id="LSTM-dropout"),
    LayerCase(layers.LSTM, dict(units=3, stateful=True), input_shapes=SEQ, n_state=2,
              batch_independent=False, id="LSTM-stateful"),
    LayerCase(layers.LSTM, dict(units=3, unroll=True, use_bias=False,
                                kernel_regularizer="l2"),
              input_shapes=SEQ, n_params=2, id="LSTM-unroll-nobias"),
    LayerCase(layers.GRU, dict(units=4), input_shapes=SEQ, n_params=3),
    LayerCase(layers.GRU, dict(units=3, reset_after=False, return_sequences=True,
                               go_backwards=True),
              input_shapes=SEQ, n_params=3, id="GRU-reset_before"),
    LayerCase(layers.GRU, dict(units=3, dropout=0.2, recurrent_dropout=0.3,
                               reset_after=False),
              input_shapes=SEQ, random=True, id="GRU-dropout"),
    LayerCase(layers.SimpleRNN, dict(units=4, activation="relu"), input_shapes=SEQ,
              n_params=3),
    LayerCase(layers.SimpleRNN, dict(units=3, return_state=True, dropout=0.5,
                                     recurrent_dropout=0.5),
              input_shapes=SEQ, random=True, id="SimpleRNN-dropout"),
    LayerCase(layers.LSTMCell, dict(units=3), input_shapes=CELL_STEP, n_params=3,
              inputs_fn=lambda rng: [rng.standard_normal((2, 3)).astype("float32"),
                                     [np.zeros((2, 3), "float32")] * 2]),
    LayerCase(layers.GRUCell, dict(units=3), n_params=3,
              inputs_fn=lambda rng: [rng.standard_normal((2, 3)).astype("float32"),
                                     [rng.standard_normal((2, 3)).astype("float32")]]),
    LayerCase(layers.SimpleRNNCell, dict(units=3), n_params=3,
              inputs_fn=lambda rng: [rng.standard_normal((2, 3)).astype("float32"),
                                     [rng.standard_normal((2, 3)).astype("float32")]]),
    LayerCase(fresh(layers.StackedRNNCells,
                    lambda: dict(cells=[layers.LSTMCell(3), layers.GRUCell(2)])),
              n_params=6,
              inputs_fn=lambda rng: [rng.standard_normal((2, 3)).astype("float32"),
                                     [[np.zeros((2, 3), "float32")] * 2,
                                      [np.zeros((2, 2), "float32")]]]),
    LayerCase(fresh(layers.RNN, lambda: dict(cell=MinimalRNNCell(3))), dict(
        return_sequences=True), input_shapes=SEQ, n_params=2, id="RNN-user-cell"),
    LayerCase(fresh(layers.RNN, lambda: dict(cell=[layers.LSTMCell(3), MinimalRNNCell(2)])),
              dict(return_state=True), input_shapes=SEQ, n_params=5,
              call_kwargs=dict(mask=_masked_rows()), batch_independent=False,
              id="RNN-stacked-masked"),
    LayerCase(fresh(layers.TimeDistributed, lambda: dict(layer=layers.Dense(2))),
              input_shapes=SEQ, n_params=2),
    LayerCase(fresh(layers.Bidirectional, lambda: dict(layer=layers.LSTM(3))),
              input_shapes=SEQ, n_params=6),
    LayerCase(fresh(layers.Bidirectional,
                    lambda: dict(layer=layers.GRU(2, return_sequences=True, return_state=True))),
              dict(merge_mode=None), input_shapes=SEQ, call_kwargs=dict(mask=_masked_rows()),
              batch_independent=False, id="Bidirectional-none-masked"),
    LayerCase(fresh(layers.Bidirectional,
                    lambda: dict(layer=layers.SimpleRNN(2, return_sequences=True),
                                 backward_layer=layers.GRU(2, return_sequences=True,
                                                           go_backwards=True))),
              dict(merge_mode="ave"), input_shapes=SEQ, id="Bidirectional-backward_layer"),
    LayerCase(layers.ConvLSTM1D, dict(filters=2, kernel_size=2), input_shapes=((2, 3, 5, 2),),
              n_params=3),
    LayerCase(layers.ConvLSTM2D, dict(filters=2, kernel_size=3, padding="same",
                                      return_sequences=True, dropout=0.2,
                                      recurrent_dropout=0.2),
              input_shapes=((2, 3, 4, 4, 2),), n_params=3, random=True),
    LayerCase(layers.ConvLSTM3D, dict(filters=2, kernel_size=2, data_format="channels_first",
                                      return_state=True),
              input_shapes=((1, 2, 2, 3, 3, 3),), n_params=3),
]
