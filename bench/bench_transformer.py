"""A Transformer encoder block: jitted train step through ``apply`` vs the same block in raw JAX.

Block: post-norm ``LN(x + Dropout(MHA(x)))`` then ``LN(h + Dropout(MLP(h)))``
with seq 64, d_model 128, 4 heads, MLP 256, batch 32, a mean-pool + Dense(10)
head, softmax cross-entropy and Adam.  The hand-written version uses the
same parameters (checked to give the same outputs) and
``jax.nn.dot_product_attention``.  Also times Keras 3 ``fit`` (JAX backend)
on the same model when Keras is importable.

Prints ratios (1.00 = same speed) and writes ``bench/results/transformer.json``.
Run: ``python bench/bench_transformer.py`` (about a minute on a CPU).
"""

import json
import os
import platform
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

import jaxlayers as jl
from jaxlayers import layers

BATCH, SEQ, D_MODEL, HEADS, MLP, CLASSES, RATE = 32, 64, 128, 4, 256, 10, 0.1
EPS = 1e-6


def timeit_pair(fn_a, args_a, fn_b, args_b, repeat=9, number=5):
    """Median seconds per call of two functions, sampled alternately.

    Interleaving the samples keeps a busy machine from favouring whichever
    function happens to run in a quieter moment.
    """
    jax.block_until_ready(fn_a(*args_a))  # warm-up, includes compilation
    jax.block_until_ready(fn_b(*args_b))
    samples = ([], [])
    for _ in range(repeat):
        for fn, args, out in ((fn_a, args_a, samples[0]), (fn_b, args_b, samples[1])):
            start = time.perf_counter()
            for _ in range(number):
                result = fn(*args)
            jax.block_until_ready(result)
            out.append((time.perf_counter() - start) / number)
    return float(np.median(samples[0])), float(np.median(samples[1]))


class EncoderBlock(layers.Layer):
    """The block under test, written with jaxlayers layers."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.attention = layers.MultiHeadAttention(HEADS, D_MODEL // HEADS, name="attention")
        self.norm1 = layers.LayerNormalization(epsilon=EPS, name="norm1")
        self.norm2 = layers.LayerNormalization(epsilon=EPS, name="norm2")
        self.mlp_in = layers.Dense(MLP, activation="relu", name="mlp_in")
        self.mlp_out = layers.Dense(D_MODEL, name="mlp_out")
        self.drop1 = layers.Dropout(RATE)
        self.drop2 = layers.Dropout(RATE)

    def call(self, x, training=False):
        h = self.norm1(x + self.drop1(self.attention(x, x), training=training))
        return self.norm2(h + self.drop2(self.mlp_out(self.mlp_in(h)), training=training))


def build_jl():
    return jl.Sequential([EncoderBlock(name="block"), layers.GlobalAveragePooling1D(),
                          layers.Dense(CLASSES, name="head")])


# ------------------------------------------------------------------ hand-written JAX
def _layer_norm(x, g, b):
    mean = x.mean(-1, keepdims=True)
    var = jnp.square(x - mean).mean(-1, keepdims=True)
    return (x - mean) * jax.lax.rsqrt(var + EPS) * g + b


def _dropout(key, x, training):
    if not training:
        return x
    keep = jax.random.bernoulli(key, 1.0 - RATE, x.shape)
    return jnp.where(keep, x / (1.0 - RATE), 0.0)


def raw_forward(p, x, training=False, key=None):
    k1, k2 = jax.random.split(key) if training else (None, None)
    a = p["attention"]
    q = jnp.einsum("btd,dnh->btnh", x, a["query"]["kernel"]) + a["query"]["bias"]
    k = jnp.einsum("btd,dnh->btnh", x, a["key"]["kernel"]) + a["key"]["bias"]
    v = jnp.einsum("btd,dnh->btnh", x, a["value"]["kernel"]) + a["value"]["bias"]
    o = jax.nn.dot_product_attention(q, k, v)
    o = jnp.einsum("btnh,nhd->btd", o, a["attention_output"]["kernel"])
    o = o + a["attention_output"]["bias"]
    h = _layer_norm(x + _dropout(k1, o, training), p["norm1"]["gamma"], p["norm1"]["beta"])
    m = jax.nn.relu(h @ p["mlp_in"]["kernel"] + p["mlp_in"]["bias"])
    m = m @ p["mlp_out"]["kernel"] + p["mlp_out"]["bias"]
    y = _layer_norm(h + _dropout(k2, m, training), p["norm2"]["gamma"], p["norm2"]["beta"])
    return y.mean(1) @ p["head"]["kernel"] + p["head"]["bias"]


def raw_params(params):
    out = dict(params["block"])
    out["head"] = params["head"]
    return out


# ------------------------------------------------------------------ Keras 3
def keras_fit_seconds_per_step(x, y, steps=20):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    try:
        import keras
    except Exception:  # noqa: BLE001 - Keras is optional
        return None
    if keras.backend.backend() != "jax":
        return None
    inputs = keras.Input((SEQ, D_MODEL))
    attn = keras.layers.MultiHeadAttention(HEADS, D_MODEL // HEADS)(inputs, inputs)
    h = keras.layers.LayerNormalization(epsilon=EPS)(inputs + keras.layers.Dropout(RATE)(attn))
    m = keras.layers.Dense(D_MODEL)(keras.layers.Dense(MLP, activation="relu")(h))
    h = keras.layers.LayerNormalization(epsilon=EPS)(h + keras.layers.Dropout(RATE)(m))
    out = keras.layers.Dense(CLASSES)(keras.layers.GlobalAveragePooling1D()(h))
    model = keras.Model(inputs, out)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    xs = np.tile(np.asarray(x), (steps, 1, 1))
    ys = np.tile(np.asarray(y), steps)
    model.fit(xs, ys, batch_size=BATCH, epochs=1, verbose=0)  # compile + warm-up
    start = time.perf_counter()
    model.fit(xs, ys, batch_size=BATCH, epochs=2, verbose=0, shuffle=False)
    return (time.perf_counter() - start) / (2 * steps)


def main():
    model = build_jl()
    x = jax.random.normal(jax.random.key(0), (BATCH, SEQ, D_MODEL))
    y = jax.random.randint(jax.random.key(1), (BATCH,), 0, CLASSES)
    params, state = model.init(jax.random.key(2), x)
    rp = raw_params(params)

    jl_fwd = jax.jit(lambda p, x: model.apply(p, state, x)[0])
    raw_fwd = jax.jit(raw_forward)
    np.testing.assert_allclose(jl_fwd(params, x), raw_fwd(rp, x), rtol=2e-4, atol=2e-4)

    tx = optax.adam(1e-3)

    def make_step(loss_fn):
        @jax.jit
        def step(p, opt_state, x, y, key):
            loss, grads = jax.value_and_grad(loss_fn)(p, x, y, key)
            updates, opt_state = tx.update(grads, opt_state, p)
            return optax.apply_updates(p, updates), opt_state, loss
        return step

    def jl_loss(p, x, y, key):
        logits = model.apply(p, state, x, training=True, key=key)[0]
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    def raw_loss(p, x, y, key):
        logits = raw_forward(p, x, training=True, key=key)
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    jl_step, raw_step = make_step(jl_loss), make_step(raw_loss)
    key = jax.random.key(3)
    t_jl_fwd, t_raw_fwd = timeit_pair(jl_fwd, (params, x), raw_fwd, (rp, x))
    t_jl_step, t_raw_step = timeit_pair(jl_step, (params, tx.init(params), x, y, key),
                                        raw_step, (rp, tx.init(rp), x, y, key))
    t_keras = keras_fit_seconds_per_step(x, y)

    results = {
        "device": str(jax.devices()[0]),
        "platform": platform.platform(),
        "jax": jax.__version__,
        "config": dict(batch=BATCH, seq=SEQ, d_model=D_MODEL, heads=HEADS, mlp=MLP),
        "forward_ms": {"jaxlayers_apply": t_jl_fwd * 1e3, "raw_jax": t_raw_fwd * 1e3},
        "train_step_ms": {"jaxlayers_apply": t_jl_step * 1e3, "raw_jax": t_raw_step * 1e3},
        "ratio_forward": t_jl_fwd / t_raw_fwd,
        "ratio_train_step": t_jl_step / t_raw_step,
        "keras_fit_step_ms": None if t_keras is None else t_keras * 1e3,
    }
    print(f"forward     jaxlayers {t_jl_fwd * 1e3:8.2f} ms   raw JAX {t_raw_fwd * 1e3:8.2f} ms"
          f"   ratio {results['ratio_forward']:.2f}")
    print(f"train step  jaxlayers {t_jl_step * 1e3:8.2f} ms   raw JAX "
          f"{t_raw_step * 1e3:8.2f} ms   ratio {results['ratio_train_step']:.2f}")
    if t_keras is not None:
        print(f"Keras 3 fit (JAX backend), per step: {t_keras * 1e3:.2f} ms "
              f"(includes fit's per-step Python work)")
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "transformer.json"), "w") as f:
        json.dump(results, f, indent=2)
    return results


if __name__ == "__main__":
    main()
