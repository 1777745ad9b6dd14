"""One module per framework for ``bench/run.py``; each defines the same four models.

Every peer module exposes the same small protocol (see ``common.py``):

* ``build(model_name) -> model``: the framework's own model, freshly initialized;
* ``n_params(model)``: trainable parameter count;
* ``forward(model, x) -> np.ndarray``: inference logits;
* ``set_weights(model, weights)`` (optional): load the floor's Keras-order weight list;
* ``columns(model, model_name, data) -> {column: Column}``: the timed training variants;
* ``eager_dense() -> {row: callable}``: one eager ``Dense(32)`` call on (8, 16);
* ``predict(model, x, batch)`` (optional): the framework's batched inference.

A peer whose framework is missing fails to import; ``load`` turns that into ``None`` so the
runner prints "not installed" instead of crashing.
"""

import importlib

PEERS = ("floor", "jaxlayers_peer", "keras_peer", "nnx_peer", "equinox_peer", "haiku_peer")


def load(name):
    """The peer module ``name``, or ``None`` with the reason when its framework is missing."""
    try:
        return importlib.import_module(f"{__name__}.{name}"), None
    except ImportError as err:
        return None, f"not installed ({err.name or err})"
