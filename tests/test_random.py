"""jl.random: Keras's names and numerics, distribution statistics, and key semantics
(DESIGN.md section 3): a SeedGenerator owned by a layer draws from the layer's key."""

import copy

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers.core.scope import stable_hash
from jaxlayers.errors import ConfigError, ConfigTypeError, KeyRequiredError

# (name, positional arguments); each op also takes seed=.
CALLS = [
    ("normal", ((3, 2),)),
    ("uniform", ((4,),)),
    ("truncated_normal", ((5,),)),
    ("randint", ((6,), 0, 10)),
    ("categorical", (np.log(np.array([[0.2, 0.8], [0.5, 0.5]], np.float32)), 4)),
    ("dropout", (np.ones((2, 5), np.float32), 0.5)),
    ("shuffle", (np.arange(6),)),
    ("gamma", ((4,), 2.0)),
    ("beta", ((4,), 2.0, 3.0)),
    ("binomial", ((4,), 5, 0.3)),
]


def test_every_keras_random_name_exists(keras):
    names = {n for n in dir(keras.random) if not n.startswith("_")}
    assert names == set(jl.random.__all__)
    assert all(callable(getattr(jl.random, n)) for n in names)


@pytest.mark.parametrize("name,args", CALLS, ids=[c[0] for c in CALLS])
def test_int_seed_matches_keras_bit_for_bit(keras, name, args):
    ours = np.asarray(getattr(jl.random, name)(*args, seed=7))
    theirs = np.asarray(getattr(keras.random, name)(*args, seed=7))
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)


def test_int_seed_is_reproducible_eagerly_and_under_jit():
    for name, args in CALLS:
        fn = getattr(jl.random, name)
        first, again = fn(*args, seed=3), fn(*args, seed=3)
        jitted = jax.jit(lambda fn=fn, args=args: fn(*args, seed=3))()
        np.testing.assert_array_equal(first, again, err_msg=name)
        # XLA may fuse the float math differently once compiled (beta: 1 ulp).
        np.testing.assert_allclose(first, jitted, rtol=1e-6, err_msg=name)
    assert not np.array_equal(jl.random.normal((8,), seed=3), jl.random.normal((8,), seed=4))


def test_seed_generator_outside_layers_follows_keras_state(keras):
    ours, theirs = jl.random.SeedGenerator(11), keras.random.SeedGenerator(11)
    draws = [np.asarray(jl.random.uniform((3,), seed=ours)) for _ in range(3)]
    for draw in draws:
        np.testing.assert_array_equal(draw, keras.random.uniform((3,), seed=theirs))
    assert not np.array_equal(draws[0], draws[1])
    np.testing.assert_array_equal(ours.state, [11, 3])


def test_seed_none_draws_fresh_values_eagerly_and_set_random_seed_restarts_them(keras):
    assert not np.array_equal(jl.random.normal((8,)), jl.random.normal((8,)))
    draws = []
    for module in (jl, keras, jl):
        module.utils.set_random_seed(5)
        draws.append([np.asarray(module.random.normal((3,))) for _ in range(2)])
    np.testing.assert_array_equal(draws[0], draws[1])
    np.testing.assert_array_equal(draws[0], draws[2])


def test_a_key_as_seed_is_used_as_given():
    key = jax.random.key(5)
    np.testing.assert_array_equal(jl.random.normal((3,), seed=key),
                                  jax.random.normal(key, (3,)))


def test_jit_without_a_key_says_how_to_pass_one():
    gen = jl.random.SeedGenerator(1)
    with pytest.raises(KeyRequiredError, match="Pass a key as the seed"):
        jax.jit(lambda: jl.random.normal((2,), seed=gen))()
    with pytest.raises(KeyRequiredError, match="seed=None cannot draw under jax.jit"):
        jax.jit(lambda: jl.random.normal((2,)))()
    out = jax.jit(lambda k: jl.random.normal((2,), seed=k))(jax.random.key(0))
    np.testing.assert_array_equal(out, jax.random.normal(jax.random.key(0), (2,)))


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ConfigTypeError, match=r"`seed` must be an int or None\. "
                                              r"Received: seed='a'"):
        jl.random.SeedGenerator("a")
    with pytest.raises(ConfigTypeError, match=r"`seed` must be an int, a SeedGenerator"):
        jl.random.normal((2,), seed=1.5)
    with pytest.raises(ConfigError, match=r"`logits` must be a 2-D array.*\(3,\)"):
        jl.random.categorical(np.zeros(3), 2, seed=0)
    with pytest.raises(ConfigError, match=r"`dtype` must be an integer dtype"):
        jl.random.randint((2,), 0, 3, dtype="float32", seed=0)
    with pytest.raises(ConfigError, match=r"`dtype` must be a float dtype"):
        jl.random.uniform((2,), dtype="int32", seed=0)


@pytest.mark.parametrize("name,args", [
    ("normal", ()), ("uniform", ()), ("truncated_normal", ()), ("randint", (0, 3)),
    ("gamma", (2.0,)), ("binomial", (5, 0.5)), ("beta", (2.0, 3.0)),
])
def test_a_bad_shape_is_named_before_a_key_is_drawn(name, args):
    gen = jl.random.SeedGenerator(5)
    before = np.asarray(gen.state)
    for shape in ("ab", (-1, 2), (2.0,)):
        with pytest.raises(ConfigError, match=rf"jl\.random\.{name}: `shape` must be a tuple "
                                              r"of non-negative ints\. Received: shape="):
            getattr(jl.random, name)(shape, *args, seed=gen)
    # A refused call leaves the generator where it was.
    np.testing.assert_array_equal(gen.state, before)


def test_dropout_rate_and_categorical_num_samples_are_checked():
    for rate in (1.5, -0.1, "a", float("nan")):
        with pytest.raises(ConfigError, match=r"jl\.random\.dropout: `rate` must be a float "
                                              r"in \[0, 1\]\. Received: rate="):
            jl.random.dropout(jnp.ones(3), rate, seed=0)
    with pytest.raises(ConfigError, match=r"jl\.random\.categorical: `num_samples` must be a "
                                          r"non-negative int\. Received: num_samples='a'\."):
        jl.random.categorical(np.zeros((2, 3)), "a", seed=0)
    assert jl.random.dropout(jnp.ones(3), np.float32(0.0), seed=0).tolist() == [1.0] * 3


def test_seed_generator_config_round_trip():
    gen = jl.random.SeedGenerator(9, name="gen")
    again = jl.random.SeedGenerator.from_config(gen.get_config())
    assert gen.get_config() == {"seed": 9, "name": "gen"} == again.get_config()
    np.testing.assert_array_equal(jl.random.normal((2,), seed=gen),
                                  jl.random.normal((2,), seed=again))


# --- distribution statistics ---------------------------------------------------------
N = 20000


def _close(value, expected, std, n=N):
    """Within 5 standard errors of the mean (a false failure is ~1e-6 likely)."""
    assert abs(float(value) - expected) < 5 * std / np.sqrt(n), (float(value), expected)


def test_normal_and_truncated_normal_statistics():
    x = np.asarray(jl.random.normal((N,), mean=2.0, stddev=3.0, seed=1))
    _close(x.mean(), 2.0, 3.0)
    assert abs(x.std() - 3.0) < 0.1
    t = np.asarray(jl.random.truncated_normal((N,), mean=1.0, stddev=2.0, seed=2))
    assert t.min() >= 1.0 - 4.0 and t.max() <= 1.0 + 4.0
    _close(t.mean(), 1.0, 2.0)
    # The standard normal truncated to [-2, 2] has standard deviation 0.8796.
    assert abs(t.std() - 2.0 * 0.8796) < 0.05


def test_uniform_and_randint_statistics():
    u = np.asarray(jl.random.uniform((N,), minval=-1.0, maxval=3.0, seed=3))
    assert u.min() >= -1.0 and u.max() < 3.0
    _close(u.mean(), 1.0, 4.0 / np.sqrt(12))
    r = np.asarray(jl.random.randint((N,), 2, 6, seed=4))
    assert r.dtype == np.int32 and set(np.unique(r)) == {2, 3, 4, 5}
    counts = np.bincount(r - 2) / N
    assert np.all(np.abs(counts - 0.25) < 0.02)


def test_categorical_frequencies_follow_the_logits():
    probs = np.array([[0.1, 0.6, 0.3], [0.7, 0.2, 0.1]], np.float32)
    s = np.asarray(jl.random.categorical(np.log(probs), N, seed=5))
    assert s.shape == (2, N) and s.dtype == np.int32
    for row, p in zip(s, probs):
        np.testing.assert_allclose(np.bincount(row, minlength=3) / N, p, atol=0.02)


def test_dropout_drops_the_rate_and_rescales():
    x = np.ones((N,), np.float32)
    y = np.asarray(jl.random.dropout(x, 0.3, seed=6))
    kept = y != 0
    _close(1 - kept.mean(), 0.3, np.sqrt(0.3 * 0.7))
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    np.testing.assert_array_equal(jl.random.dropout(x[:4], 1.0, seed=0), np.zeros(4))
    rows = np.asarray(jl.random.dropout(np.ones((50, 4), np.float32), 0.5,
                                        noise_shape=(None, 1), seed=7))
    assert np.all((rows == 0).all(axis=1) | (rows != 0).all(axis=1))


def test_shuffle_permutes_along_the_axis():
    x = np.arange(12).reshape(3, 4)
    y = np.asarray(jl.random.shuffle(x, axis=1, seed=8))
    np.testing.assert_array_equal(np.sort(y, axis=1), x)
    assert not np.array_equal(y, x)


def test_gamma_beta_binomial_moments():
    g = np.asarray(jl.random.gamma((N,), 3.0, seed=9))
    _close(g.mean(), 3.0, np.sqrt(3.0))
    assert abs(g.var() - 3.0) < 0.2
    b = np.asarray(jl.random.beta((N,), 2.0, 5.0, seed=10))
    assert b.min() > 0 and b.max() < 1
    _close(b.mean(), 2 / 7, np.sqrt(2 * 5 / (7 ** 2 * 8)))
    n = np.asarray(jl.random.binomial((N,), 10, 0.3, seed=11))
    assert set(np.unique(n)) <= set(range(11))
    _close(n.mean(), 3.0, np.sqrt(10 * 0.3 * 0.7))


# --- key semantics in layers ---------------------------------------------------------
class Noise(jl.Layer):
    """Adds N(0, 1) noise in training, drawn from its own SeedGenerator."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = jl.random.SeedGenerator(1337)

    def call(self, x, training=False):
        if training:
            return x + jl.random.normal(x.shape, seed=self.seed_generator)
        return x


class AlwaysNoise(Noise):
    def call(self, x):
        return x + jl.random.uniform(x.shape, seed=self.seed_generator)


def test_seed_generator_in_a_layer_draws_from_the_path_folded_key():
    layer = Noise(name="noise")
    x = jnp.zeros((2, 3))
    params, state = layer.init(jax.random.key(0), x)
    key = jax.random.key(1)
    out, _ = layer.apply(params, state, x, training=True, key=key)
    expected = jax.random.normal(
        jax.random.fold_in(jax.random.fold_in(key, stable_hash("noise")), 0), (2, 3))
    np.testing.assert_array_equal(out, expected)
    jitted = jax.jit(lambda k: layer.apply(params, state, x, training=True, key=k)[0])
    np.testing.assert_array_equal(jitted(key), out)
    assert not np.array_equal(jitted(jax.random.key(2)), out)
    np.testing.assert_array_equal(layer.apply(params, state, x)[0], x)


def test_a_layer_drawing_without_a_key_in_apply_names_the_fix():
    layer = AlwaysNoise(name="always")
    x = jnp.zeros((2,))
    params, state = layer.init(jax.random.key(0), x)
    with pytest.raises(KeyRequiredError, match=r"AlwaysNoise 'always' draws random numbers "
                                               r"and needs a key.*key=jax.random.key\(0\)"):
        layer.apply(params, state, x)
    with pytest.raises(KeyRequiredError, match=r"Noise 'noise_k' is random when training=True"):
        Noise(name="noise_k").apply({}, {}, x, training=True)


def test_a_layer_owning_a_generator_deep_copies():
    layer = copy.deepcopy(Noise(name="copied"))
    assert isinstance(layer.seed_generator, jl.random.SeedGenerator)
    assert layer(jnp.zeros(2), training=True).shape == (2,)


def test_facade_calls_draw_fresh_values_each_call():
    x = jnp.zeros((4,))
    layer = AlwaysNoise()
    a, b = layer(x), layer(x)
    assert not np.array_equal(a, b)
    noise = Noise()
    assert not np.array_equal(noise(x, training=True), noise(x, training=True))


class Recorder(jl.Layer):
    """Writes the draw of each training step into a state buffer."""

    def __init__(self, steps, **kwargs):
        super().__init__(**kwargs)
        self.steps = steps
        self.seed_generator = jl.random.SeedGenerator(1)

    def build(self, input_shape):
        self.history = self.add_weight(shape=(self.steps,), initializer="zeros",
                                       trainable=False, name="history")
        self.step = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                    dtype="int32", name="step")

    def call(self, x, training=False):
        if training:
            draw = jl.random.uniform((), seed=self.seed_generator)
            self.history = self.history.at[self.step].set(draw)
            self.step = self.step + 1
        return x


def _fit_history(seed):
    jl.utils.set_random_seed(seed)
    model = jl.Sequential([Recorder(3, name="recorder"), jl.layers.Dense(1, name="dense")],
                          name="model")
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((6, 2), np.float32), np.ones((6, 1), np.float32)
    model.fit(x, y, batch_size=2, epochs=1, shuffle=False, verbose=0)
    return np.asarray(model.layers[0].history)


def test_seed_generator_differs_per_step_inside_fit_and_is_reproducible():
    history = _fit_history(0)
    assert len(set(history.tolist())) == 3 and np.all(history > 0)
    np.testing.assert_array_equal(_fit_history(0), history)
    assert not np.array_equal(_fit_history(1), history)


class CountedDropout(jl.Layer):
    """Dropout through jl.random with its own SeedGenerator; counts how often ``call`` traces."""

    traces = 0

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = jl.random.SeedGenerator(3)

    def call(self, x, training=False):
        type(self).traces += 1
        return jl.random.dropout(x, 0.5, seed=self.seed_generator) if training else x


def test_seed_generator_dropout_in_fit_compiles_once_across_calls():
    # Compiled steps never run Python, so a second fit/evaluate/predict on data of the
    # same shapes must leave the trace count where the first round left it.
    CountedDropout.traces = 0
    model = jl.Sequential([jl.Input((4,)), CountedDropout(), jl.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((8, 4), np.float32), np.ones((8, 1), np.float32)

    def one_round():
        loss = model.fit(x, y, batch_size=4, epochs=2, verbose=0).history["loss"]
        model.evaluate(x, y, batch_size=4, verbose=0)
        model.predict(x, batch_size=4, verbose=0)
        return loss

    one_round()
    first = CountedDropout.traces
    losses = one_round()
    assert CountedDropout.traces == first, (first, CountedDropout.traces)
    assert all(np.isfinite(losses))
