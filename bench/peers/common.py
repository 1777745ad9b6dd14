"""What every peer shares: the model specs, the data, the optimizer, the hand-written loop."""

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax import lax

CLASSES = 10
# name -> (input shape without batch, batch size)
SPECS = {
    "mlp": ((784,), 128),
    "cnn": ((32, 32, 3), 64),
    "lstm": ((50, 32), 64),
    "transformer": ((64, 128), 32),
}
SCAN = 10  # steps per dispatch of the scanned floor


def make_tx():
    """Adam with Keras's defaults (epsilon 1e-7), the same for every column."""
    return optax.adam(1e-3, eps=1e-7)


def sparse_ce(logits, labels):
    return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()


@dataclasses.dataclass
class Data:
    """The same batches for every column: host arrays for ``fit``, device batches otherwise."""

    x: np.ndarray
    y: np.ndarray
    batch: int

    def __post_init__(self):
        b = self.batch
        self.steps = len(self.x) // b
        self.xb = [jnp.asarray(self.x[i:i + b]) for i in range(0, len(self.x), b)]
        self.yb = [jnp.asarray(self.y[i:i + b]) for i in range(0, len(self.y), b)]
        groups = self.steps // SCAN
        self.xs = jnp.asarray(self.x.reshape((groups, SCAN, b) + self.x.shape[1:]))
        self.ys = jnp.asarray(self.y.reshape((groups, SCAN, b)))


def make_data(model_name, steps, seed=0):
    shape, batch = SPECS[model_name]
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch * steps,) + shape).astype(np.float32)
    y = rng.integers(0, CLASSES, batch * steps).astype(np.int32)
    return Data(x, y, batch)


@dataclasses.dataclass
class Column:
    """One timed training variant.

    ``start()`` runs the first step (trace + compile + one step) and blocks; ``run()`` trains
    over every batch of the data once and blocks; ``fit_one()`` (``fit`` columns) is one
    ``fit`` call on one batch, for the fixed cost per call; ``memory()`` the compiled step's
    bytes (arguments + outputs + temporaries - aliased) where the step is ours to lower;
    ``peak(probe)`` trains over the data once more calling ``probe()`` after every step (an
    untimed pass for the peak memory); ``preloaded`` is whether the column keeps its data on
    the device before training (the hand-written loops do; ``fit`` puts it there), and
    ``footprint()`` a hand-written loop's ``(weights + optimizer state, data)`` bytes.
    """

    start: Callable[[], None]
    run: Callable[[], None]
    fit_one: Callable[[], None] | None = None
    memory: Callable[[], int] | None = None
    peak: Callable[[Callable[[], None]], None] | None = None
    preloaded: bool = False
    footprint: Callable[[], tuple[int, int]] | None = None


def live_bytes():
    """Bytes of every array alive on the devices now (no temporaries inside a program)."""
    return sum(a.nbytes for a in jax.live_arrays())


def compiled_bytes(jitted, *args):
    """Bytes a compiled step needs: what XLA reports for its buffers (no allocator slack)."""
    m = jitted.lower(*args).compile().memory_analysis()
    if m is None:
        return None
    return int(m.argument_size_in_bytes + m.output_size_in_bytes + m.temp_size_in_bytes
               - m.alias_size_in_bytes)


def hand_columns(loss_fn, params, data, scanned=False):
    """Columns for a hand-written optax step on ``loss_fn(params, x, y)``.

    Buffers are donated, as ``fit`` does; ``scanned`` adds a variant that runs ``SCAN`` steps
    per dispatch with ``lax.scan`` over batches already stacked on the device.
    """
    tx = make_tx()

    def body(p, o, x, y):
        loss, g = jax.value_and_grad(loss_fn)(p, x, y)
        u, o = tx.update(g, o, p)
        return optax.apply_updates(p, u), o, loss

    def many(p, o, xs, ys):
        def scan_body(carry, batch):
            p, o, loss = body(*carry, *batch)
            return (p, o), loss
        (p, o), losses = lax.scan(scan_body, (p, o), (xs, ys))
        return p, o, losses[-1]

    def fresh():  # each column trains its own copy (donation consumes the buffers)
        p = jax.tree.map(jnp.copy, params)
        return p, tx.init(p)

    out = {"step": loop(jax.jit(body, donate_argnums=(0, 1)), *fresh(), data.xb, data.yb)}
    if scanned:
        out["scan"] = loop(jax.jit(many, donate_argnums=(0, 1)), *fresh(), data.xs, data.ys)
    return out


def loop(step, params, opt_state, xs, ys):
    """A column over ``step(params, opt_state, x, y) -> (params, opt_state, loss)``."""
    carry = [params, opt_state]

    def start():
        p, o, loss = step(*carry, xs[0], ys[0])
        carry[:] = [p, o]
        jax.block_until_ready(loss)

    def run():
        p, o = carry
        for x, y in zip(xs, ys):
            p, o, loss = step(p, o, x, y)
        carry[:] = [p, o]
        jax.block_until_ready(loss)

    def memory():
        return compiled_bytes(step, *carry, xs[0], ys[0])

    def peak(probe):
        p, o = carry
        for x, y in zip(xs, ys):
            p, o, loss = step(p, o, x, y)
            probe()
        carry[:] = [p, o]
        jax.block_until_ready(loss)

    def footprint():  # (weights + optimizer state, data on the device) in bytes
        return (sum(a.nbytes for a in jax.tree.leaves(carry)),
                sum(a.nbytes for a in jax.tree.leaves((xs, ys))))

    return Column(start, run, memory=memory, peak=peak, preloaded=True, footprint=footprint)


def fit_columns(model, data, lambda_callback=None):
    """A Keras-style ``fit`` over the whole data, and ``fit`` on one batch (fixed cost).

    ``lambda_callback`` is the library's ``LambdaCallback`` (for the peak-memory pass).
    """
    one_x, one_y = data.x[:data.batch], data.y[:data.batch]

    def fit(x, y, callbacks=None):
        model.fit(x, y, batch_size=data.batch, epochs=1, shuffle=False, verbose=0,
                  callbacks=callbacks)

    def peak(probe):
        fit(data.x, data.y, [lambda_callback(on_train_batch_end=lambda batch, logs: probe())])

    return Column(start=lambda: fit(one_x, one_y), run=lambda: fit(data.x, data.y),
                  fit_one=lambda: fit(one_x, one_y),
                  peak=peak if lambda_callback is not None else None)


def jitted_predict(forward, x, batch):
    """The floor for ``predict``: a jitted forward over host batches, gathered on the host.

    Every batch is dispatched before any result is fetched, so the host never waits per batch.
    """
    outs = [forward(jnp.asarray(x[i:i + batch])) for i in range(0, len(x), batch)]
    return np.concatenate([np.asarray(out) for out in outs])


def keras_style(lib, name):
    """The four models through the Keras API (``lib`` is ``keras`` or ``jaxlayers``)."""
    L = lib.layers
    if name == "mlp":
        return lib.Sequential([L.Input(shape=(784,)), L.Dense(512, activation="relu"),
                               L.Dense(512, activation="relu"), L.Dense(CLASSES)])
    if name == "cnn":
        return lib.Sequential([L.Input(shape=(32, 32, 3)),
                               L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
                               L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2),
                               L.Conv2D(64, 3, activation="relu"), L.Flatten(),
                               L.Dense(64, activation="relu"), L.Dense(CLASSES)])
    if name == "lstm":
        return lib.Sequential([L.Input(shape=(50, 32)), L.LSTM(64), L.Dense(CLASSES)])
    x = L.Input(shape=(64, 128))
    h = L.MultiHeadAttention(num_heads=4, key_dim=32)(x, x)
    h = L.LayerNormalization()(L.Add()([x, h]))
    f = L.Dense(128)(L.Dense(256, activation="relu")(h))
    h = L.LayerNormalization()(L.Add()([h, f]))
    return lib.Model(x, L.Dense(CLASSES)(L.GlobalAveragePooling1D()(h)))


def keras_style_eager(lib, label):
    """One eager ``Dense(32)`` call on (8, 16) through a Keras-style facade, already built."""
    layer = lib.layers.Dense(32)
    x = jnp.asarray(np.random.default_rng(0).standard_normal((8, 16)).astype(np.float32))
    layer(x)
    return {label: lambda: layer(x)}


def count(tree):
    return int(sum(np.size(leaf) for leaf in jax.tree.leaves(tree)))
