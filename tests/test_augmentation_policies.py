"""RandAugment and AugMix: key semantics, ranges, configs, and Keras 3 on pinned choices.

Keras's numbers are reproduced by pinning what each policy picks: a
RandAugment transformation with a chosen ``layer_idxes`` and a ``factor``
range collapsed to one value (so the picked augmentation has no free draw
left but the sign of a shear), and an AugMix transformation built by hand
for both libraries (chain weights, blend weight and picks).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers import errors
from jaxlayers.layers.preprocessing import policies

L = jl.layers


@pytest.fixture(scope="module")
def images():
    return (np.random.default_rng(0).random((2, 8, 7, 3)) * 255).astype("float32")


def _step(layer):
    return jax.jit(lambda v, k: layer.apply({}, {}, v, training=True, key=k)[0])


MAKERS = [
    lambda: L.RandAugment(),
    lambda: L.RandAugment(value_range=(0, 1), num_ops=3, factor=(0.2, 0.8)),
    lambda: L.AugMix(),
    lambda: L.AugMix(value_range=(0, 1), num_chains=2, chain_depth=4, all_ops=False),
]


@pytest.mark.parametrize("make", MAKERS, ids=["RandAugment", "RandAugment-unit", "AugMix",
                                              "AugMix-unit"])
def test_pure_functions_of_the_key_with_keras_ranges(make, images):
    layer = make()
    low, high = layer.value_range
    x = images / 255 * (high - low) + low
    step = _step(layer)
    a = step(x, jax.random.key(3))
    np.testing.assert_array_equal(step(x, jax.random.key(3)), a)
    # Eager and jitted calls agree.
    np.testing.assert_allclose(layer.apply({}, {}, x, training=True, key=jax.random.key(3))[0],
                               a, atol=1e-3 * (high - low))
    others = [step(x, jax.random.key(k)) for k in range(4, 8)]
    assert sum(not np.allclose(o, a) for o in others) >= 3
    for out in [a] + others:
        assert out.shape == x.shape and out.dtype == jnp.float32
        assert np.all(np.asarray(out) >= low - 1e-4 * (high - low))
        assert np.all(np.asarray(out) <= high + 1e-4 * (high - low))
    with pytest.raises(errors.KeyRequiredError, match="key=jax.random.key"):
        layer.apply({}, {}, x, training=True)
    # Inference returns the input (in the compute dtype), as Keras's training=False.
    out = layer.apply({}, {}, x.astype("uint8") if high > 1 else x)[0]
    assert out.dtype == jnp.float32
    np.testing.assert_array_equal(out, (x.astype("uint8") if high > 1 else x).astype("float32"))
    assert layer.compute_output_shape((None, 8, 7, 3)) == (None, 8, 7, 3)


def test_every_augmentation_gets_picked(images):
    # Over many keys each of RandAugment's eleven indices and AugMix's skip index occur.
    rand = L.RandAugment(num_ops=4)
    drawn = jax.vmap(lambda k: rand.get_random_transformation(images, seed=k)["layer_idxes"])(
        jax.random.split(jax.random.key(0), 64))
    assert set(np.asarray(drawn).ravel().tolist()) == set(range(11))
    mix = L.AugMix(all_ops=False)
    t = jax.vmap(lambda k: mix.get_random_transformation(images, seed=k))(
        jax.random.split(jax.random.key(1), 64))
    assert set(np.asarray(t["layer_idxes"]).ravel().tolist()) == set(range(8))
    np.testing.assert_allclose(np.asarray(t["chain_mixing_weights"]).sum(-1), 1.0, rtol=1e-5)
    w = np.asarray(t["weight_sample"])
    assert np.all((w >= 0) & (w <= 1)) and w.std() > 0.1


def test_data_format_follows_to_the_augmentations(images):
    first = np.ascontiguousarray(np.transpose(images, (0, 3, 1, 2)))
    last, cf = L.RandAugment(num_ops=1), L.RandAugment(num_ops=1, data_format="channels_first")
    keys = jax.random.split(jax.random.key(0), 1)
    # One compile per layout: the pick is data, not a new trace.
    run_cf, run_last = jax.jit(cf.transform_images), jax.jit(last.transform_images)
    for index in range(11):  # every augmentation, on a pinned pick
        t = {"layer_idxes": jnp.array([index]), "keys": keys}
        np.testing.assert_allclose(np.transpose(run_cf(first, t), (0, 2, 3, 1)),
                                   run_last(images, t), atol=1e-2,
                                   err_msg=policies.RAND_AUGMENT_OPS[index])
    # Same names: a layer's key is folded with its path.
    kwargs = dict(num_chains=2, chain_depth=2, name="policy")
    a = _step(L.AugMix(**kwargs))(images, jax.random.key(1))
    b = _step(L.AugMix(**kwargs, data_format="channels_first"))(first, jax.random.key(1))
    np.testing.assert_allclose(np.transpose(b, (0, 2, 3, 1)), a, atol=1e-2)


def test_trains_inside_fit(images):
    model = jl.Sequential([jl.Input((8, 7, 3)), L.RandAugment(num_ops=1),
                           L.AugMix(num_chains=1, chain_depth=1), L.Rescaling(1 / 255),
                           L.Flatten(), L.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(images, np.zeros((2, 2), "float32"), epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))


# ----------------------------------------------------------------------- Keras
def _keras_rand_augment_output(klayer, x, index, flip_shear):
    t = klayer.get_random_transformation(x, training=True)
    t = {"layer_idxes": np.array([index]), "transforms": dict(t["transforms"])}
    if flip_shear:
        shear = dict(t["transforms"]["random_shear"])
        shear["shear_factor"] = -np.asarray(shear["shear_factor"])
        t["transforms"]["random_shear"] = shear
    return np.asarray(klayer.transform_images(x, t))


@pytest.mark.parametrize("index", range(11), ids=policies.RAND_AUGMENT_OPS)
def test_rand_augment_pinned_pick_matches_keras(index, keras, images):
    # Contrast draws from [1 - lower, 1 + upper], so only factor 0 pins it; Keras's
    # Solarization scales only the upper end of a pair (see its docstring), so the
    # two agree on the pair (0, 0) alone.
    factor = (0.0, 0.0) if policies.RAND_AUGMENT_OPS[index] in (
        "random_contrast", "solarization") else (0.2, 0.2)
    x = images[:1]  # Keras's Equalization pools one histogram over the batch
    kwargs = dict(num_ops=1, factor=factor)
    klayer = keras.layers.RandAugment(**kwargs, seed=1)
    layer = L.RandAugment(**kwargs)
    t = {"layer_idxes": jnp.array([index]), "keys": jax.random.split(jax.random.key(5), 1)}
    got = np.asarray(jax.jit(layer.transform_images)(x, t))
    # A shear's sign is drawn in both libraries: ours must be Keras's with either sign.
    candidates = [_keras_rand_augment_output(klayer, x, index, flip)
                  for flip in ((False, True) if index == 0 else (False,))]
    errors_ = [np.abs(got - c).max() for c in candidates]
    assert min(errors_) < 1e-2, errors_


@pytest.mark.parametrize("chains", [
    [["auto_contrast", "equalization"]],
    [["random_sharpness", None], ["random_posterization", "random_translation"]],
    [["random_rotation"], ["random_brightness"], ["random_color_degeneration"]],
])
def test_aug_mix_pinned_chains_match_keras(chains, keras, images):
    depth = max(len(c) for c in chains)
    kwargs = dict(num_chains=len(chains), chain_depth=depth, factor=(0.25, 0.25), alpha=0.7)
    klayer = keras.layers.AugMix(**kwargs, seed=1)
    layer = L.AugMix(**kwargs)
    x = images[:1]
    weights = np.linspace(1.0, 2.0, len(chains)).astype("float32")
    weights /= weights.sum()
    names = policies.AUG_MIX_OPS + policies.AUG_MIX_COLOR_OPS
    seed = keras.random.SeedGenerator(3)
    ktransform = {
        "chain_mixing_weights": weights, "weight_sample": np.float32(0.3),
        "chain_transforms": [[{"layer_name": n, "transformation":
                               getattr(klayer, n).get_random_transformation(x, seed=seed)}
                              for n in chain if n is not None] for chain in chains],
    }
    expected = np.asarray(klayer.transform_images(x, ktransform))
    t = {"chain_mixing_weights": jnp.asarray(weights), "weight_sample": jnp.float32(0.3),
         "layer_idxes": jnp.array([[names.index(n) if n else len(names) for n in chain]
                                   + [len(names)] * (depth - len(chain)) for chain in chains]),
         "keys": jax.random.split(jax.random.key(0), (len(chains), depth))}
    got = np.asarray(jax.jit(layer.transform_images)(x, t))
    np.testing.assert_allclose(got, expected, atol=1e-2)


def _normalized(config):
    return {k: list(v) if isinstance(v, tuple) else v for k, v in config.items()}


@pytest.mark.parametrize("name, kwargs", [
    ("RandAugment", dict()),
    ("RandAugment", dict(value_range=(0, 1), num_ops=3, factor=(0.1, 0.7),
                         interpolation="nearest", seed=4)),
    ("AugMix", dict()),
    ("AugMix", dict(value_range=(-1, 1), num_chains=2, chain_depth=4, factor=0.6, alpha=0.5,
                    all_ops=False, interpolation="nearest", seed=2)),
])
def test_configs_hold_keras_configs_and_round_trip(name, kwargs, keras):
    theirs = _normalized(getattr(keras.layers, name)(**kwargs).get_config())
    layer = getattr(L, name)(**kwargs)
    mine = _normalized(layer.get_config())
    for k in theirs.keys() - {"name", "dtype", "trainable"}:
        assert mine[k] == theirs[k], (name, k)
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    x = np.linspace(0, 1, 2 * 6 * 5 * 3, dtype="float32").reshape(2, 6, 5, 3)
    low, high = layer.value_range
    x = x * (high - low) + low
    # One jit for both: XLA compiles the shared graph once.
    ours, theirs_clone = jax.jit(lambda v, k: (
        layer.apply({}, {}, v, training=True, key=k)[0],
        clone.apply({}, {}, v, training=True, key=k)[0]))(x, jax.random.key(1))
    np.testing.assert_array_equal(theirs_clone, ours)


@pytest.mark.parametrize("make, match", [
    (lambda: L.RandAugment(num_ops=-1), r"RandAugment 'rand_augment\w*': `num_ops` must be"),
    (lambda: L.RandAugment(factor=1.5), r"`factor` must be a number or a pair"),
    (lambda: L.RandAugment(interpolation="cubic"), r"`interpolation` must be one of"),
    (lambda: L.RandAugment(value_range=(1, 1)), r"`value_range` must be a pair"),
    (lambda: L.AugMix(num_chains=0), r"AugMix 'aug_mix\w*': `num_chains` must be"),
    (lambda: L.AugMix(chain_depth=1.5), r"`chain_depth` must be"),
    (lambda: L.AugMix(alpha=0.0), r"`alpha` must be a finite positive float"),
    (lambda: L.AugMix(all_ops="yes"), r"`all_ops` must be a bool"),
])
def test_bad_arguments(make, match):
    with pytest.raises((errors.ConfigError, errors.ConfigTypeError), match=match):
        make()


def _switches(jaxpr, branches):
    """The ``lax.switch`` equations over ``branches`` branches in ``jaxpr``, nested ones too."""
    from jax.extend.core import subjaxprs

    found = sum(eqn.primitive.name == "cond" and len(eqn.params["branches"]) == branches
                for eqn in jaxpr.eqns)
    return found + sum(_switches(sub, branches) for sub in subjaxprs(jaxpr))


@pytest.mark.parametrize("make,skip", [(lambda: L.RandAugment(num_ops=3), 0),
                                       (lambda: L.AugMix(num_chains=3, chain_depth=2), 1)],
                         ids=["RandAugment", "AugMix"])
def test_the_switch_over_the_augmentations_is_in_the_program_once(make, skip, images):
    # The picks are chained by a scan over one switch, so XLA compiles every
    # augmentation once, not once per pick (3 and 6 picks here).
    layer = make()
    closed = jax.make_jaxpr(lambda v, k: layer.apply({}, {}, v, training=True, key=k)[0])(
        images, jax.random.key(0))
    assert _switches(closed.jaxpr, len(layer._ops) + skip) == 1
