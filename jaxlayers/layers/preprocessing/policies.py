"""Augmentation policies built from the other augmentation layers: RandAugment, AugMix.

Each policy holds one instance of every augmentation it may pick (RandomShear,
RandomTranslation, RandomRotation, RandomBrightness, RandomColorDegeneration,
RandomContrast, RandomSharpness, RandomPosterization, Solarization,
AutoContrast, Equalization), configured from the policy's ``factor``,
``value_range`` and ``interpolation`` as Keras configures them, and applies
them with their own math.  The choices are drawn from the key given to
``apply`` (one choice per call, shared by the batch, as in Keras; each picked
augmentation then draws per image) and applied with ``jax.lax.switch``, so a
policy runs inside a jitted training step and the same key gives the same
output.  With ``training=False`` the images come back unchanged (in the
compute dtype).
"""

import jax
import jax.numpy as jnp

from jaxlayers.core import args as _args
from jaxlayers.core.serialization import register_builtin
from jaxlayers.layers.preprocessing import _common
from jaxlayers.layers.preprocessing._data import DataLayer
from jaxlayers.layers.preprocessing.augmentation import (
    RandomBrightness,
    RandomContrast,
    RandomRotation,
    RandomTranslation,
    _value_range,
)
from jaxlayers.layers.preprocessing.color import (
    RandomColorDegeneration,
    RandomSharpness,
    TransformLayer,
    unit_range,
)
from jaxlayers.layers.preprocessing.geometric import RandomShear
from jaxlayers.layers.preprocessing.tone import (
    AutoContrast,
    Equalization,
    RandomPosterization,
    Solarization,
)
from jaxlayers.ops import _augment as augment

__all__ = ["RandAugment", "AugMix"]

# Keras's order: an index drawn by the policy names the augmentation at that place.
RAND_AUGMENT_OPS = (
    "random_shear", "random_translation", "random_rotation", "random_brightness",
    "random_color_degeneration", "random_contrast", "random_sharpness",
    "random_posterization", "solarization", "auto_contrast", "equalization",
)
AUG_MIX_OPS = (
    "random_shear", "random_translation", "random_rotation", "random_posterization",
    "solarization", "auto_contrast", "equalization",
)
AUG_MIX_COLOR_OPS = (
    "random_brightness", "random_color_degeneration", "random_contrast", "random_sharpness",
)


def _build_op(name, factor, value_range, interpolation, data_format, layer_name):
    """The augmentation ``name`` as a policy with these arguments configures it."""
    common = {"data_format": data_format, "name": f"{layer_name}_{name}"}
    ranged = dict(common, value_range=value_range)
    if name == "random_shear":
        return RandomShear(x_factor=factor, y_factor=factor, interpolation=interpolation,
                           **common)
    if name == "random_translation":
        return RandomTranslation(height_factor=factor, width_factor=factor,
                                 interpolation=interpolation, **common)
    if name == "random_rotation":
        return RandomRotation(factor=factor, interpolation=interpolation, **common)
    if name == "random_posterization":
        # Keras keeps between 1 and int(8 * upper) bits (at least 1).
        return RandomPosterization(factor=max(1, int(8 * factor[1])), **ranged)
    if name == "solarization":
        return Solarization(addition_factor=factor, threshold_factor=factor, **ranged)
    if name == "auto_contrast":
        return AutoContrast(**ranged)
    if name == "equalization":
        return Equalization(**ranged)
    cls = {"random_brightness": RandomBrightness,
           "random_color_degeneration": RandomColorDegeneration,
           "random_contrast": RandomContrast, "random_sharpness": RandomSharpness}[name]
    return cls(factor=factor, **ranged)


def _run(op, key, x):
    """``op``'s training-mode output on batched ``x``, its draws taken from ``key``."""
    if isinstance(op, DataLayer):
        transformation = op._draw(key, x.shape[0], x) if op.random else None
        y = op.transform_images(x, transformation, True)
    else:
        y = op._augment(key, x)
    return y.astype(x.dtype)


def _identity(key, x):
    return x


class _Policy(TransformLayer):
    """Builds the augmentations a policy picks from and applies the picked one."""

    def __init__(self, value_range, factor, interpolation, seed, data_format, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        who = _common.owner(self)
        self.value_range = _value_range(who, value_range)
        self.factor = unit_range(who, "factor", factor)
        self.interpolation = _args.one_of(who, "interpolation", interpolation,
                                          tuple(augment.INTERPOLATIONS))

    def _build_ops(self, ops):
        # Plain tuple (not tracked sublayers): the augmentations hold no weights
        # and draw from the keys this layer hands them.
        self._ops = tuple(_build_op(op, self.factor, self.value_range, self.interpolation,
                                    self.data_format, self.name) for op in ops)
        self._branches = tuple(
            (lambda key, x, op=op: _run(op, key, x)) for op in self._ops)
        self.rgb_only = any(op.rgb_only for op in self._ops)

    def _pick(self, index, key, x, skip=False):
        """Applies augmentation ``index``; with ``skip``, index ``len(ops)`` keeps ``x``."""
        branches = self._branches + ((_identity,) if skip else ())
        return jax.lax.switch(index, branches, key, x)

    def _chain(self, x, indices, keys, skip=False):
        """Applies the augmentations ``indices`` one after another, each with its key.

        A scan, not a Python loop: the switch over every augmentation is traced and
        compiled once, however many picks are chained (a loop compiled it per pick).
        """
        if len(indices) == 0:
            return x

        def step(y, pick):
            return self._pick(pick[0], pick[1], y, skip), None

        return jax.lax.scan(step, x, (jnp.asarray(indices), keys))[0]

    def get_config(self):
        config = super().get_config()
        config.update({"value_range": self.value_range, "factor": self.factor,
                       "interpolation": self.interpolation})
        return config


@register_builtin("layers")
class RandAugment(_Policy):
    """Applies ``num_ops`` augmentations picked at random from eleven, one after another.

    The eleven are RandomShear, RandomTranslation, RandomRotation,
    RandomBrightness, RandomColorDegeneration, RandomContrast, RandomSharpness,
    RandomPosterization, Solarization, AutoContrast and Equalization, each
    with ``factor`` as its strength (RandomPosterization keeps 1 to
    ``max(1, int(8 * upper))`` bits).  The picks are drawn once per call for
    the whole batch and may repeat; each pick draws its own parameters.

    Args:
        value_range: ``(low, high)`` of the pixel values.
        num_ops: Number of augmentations applied in sequence (``0``: none).
        factor: Strength in ``[0, 1]``: ``f`` for the range ``(0, f)``, or
            ``(low, high)``.
        interpolation: ``'bilinear'`` or ``'nearest'`` for the geometric ones.
        seed: Kept for Keras compatibility (draws come from the key).
        data_format: ``'channels_last'`` or ``'channels_first'``.

    The transformation is ``{"layer_idxes": (num_ops,) int32, "keys": (num_ops,)
    keys}``: the index of each pick in the list above and the key it draws from.
    (Keras draws one set of parameters per augmentation and reuses it when an
    augmentation is picked twice; here every pick draws afresh.)

    Example:
        >>> layer = jl.layers.RandAugment(value_range=(0, 1), num_ops=2)
        >>> x = jnp.full((2, 8, 8, 3), 0.5)
        >>> y, _ = layer.apply({}, {}, x, training=True, key=jax.random.key(0))
        >>> y.shape, bool(((y >= 0) & (y <= 1)).all())
        ((2, 8, 8, 3), True)
    """

    def __init__(self, value_range=(0, 255), num_ops=2, factor=0.5, interpolation="bilinear",
                 seed=None, data_format=None, **kwargs):
        super().__init__(value_range, factor, interpolation, seed, data_format, **kwargs)
        self._build_ops(RAND_AUGMENT_OPS)
        self.num_ops = _args.non_negative_int(_common.owner(self), "num_ops", num_ops)

    def _draw(self, key, batch_size, images):
        k_pick, k_ops = jax.random.split(key)
        return {"layer_idxes": jax.random.randint(k_pick, (self.num_ops,), 0,
                                                  len(self._ops)),
                "keys": jax.random.split(k_ops, self.num_ops)}

    def _apply(self, x, transformation):
        return self._chain(x, transformation["layer_idxes"], transformation["keys"])

    def get_config(self):
        config = super().get_config()
        config["num_ops"] = self.num_ops
        return config


@register_builtin("layers")
class AugMix(_Policy):
    """Mixes the images with ``num_chains`` randomly augmented copies of themselves.

    Each chain applies up to ``chain_depth`` augmentations, each picked at
    random from shear, translation, rotation, posterization, solarization,
    auto-contrast and equalization (with ``all_ops``, also brightness, color
    degeneration, contrast and sharpness) or skipped.  The chains are summed
    with Dirichlet(``alpha``) weights, the sum is blended with the input by a
    Beta(``alpha``, ``alpha``) weight ``w`` (``w * x + (1 - w) * mix``) and the
    result is clipped to ``value_range``.  Weights and picks are drawn once
    per call for the whole batch; each picked augmentation draws per image.

    Args:
        value_range: ``(low, high)`` of the pixel values.
        num_chains: Number of augmented copies mixed.
        chain_depth: Most augmentations per chain (each step may be skipped).
        factor: Strength in ``[0, 1]``: ``f`` for the range ``(0, f)``, or
            ``(low, high)``.
        alpha: Concentration of the Dirichlet and Beta draws, positive.
        all_ops: Also pick from the four color augmentations.
        interpolation: ``'bilinear'`` or ``'nearest'`` for the geometric ones.
        seed: Kept for Keras compatibility (draws come from the key).
        data_format: ``'channels_last'`` or ``'channels_first'``.

    The transformation is ``{"chain_mixing_weights": (num_chains,),
    "weight_sample": (), "layer_idxes": (num_chains, chain_depth) int32,
    "keys": (num_chains, chain_depth) keys}``; an index equal to the number of
    augmentations skips that step.

    Example:
        >>> layer = jl.layers.AugMix(value_range=(0, 1), num_chains=2, chain_depth=2)
        >>> x = jnp.full((2, 8, 8, 3), 0.5)
        >>> y, _ = layer.apply({}, {}, x, training=True, key=jax.random.key(0))
        >>> y.shape, bool(((y >= 0) & (y <= 1)).all())
        ((2, 8, 8, 3), True)
    """

    def __init__(self, value_range=(0, 255), num_chains=3, chain_depth=3, factor=0.3,
                 alpha=1.0, all_ops=True, interpolation="bilinear", seed=None,
                 data_format=None, **kwargs):
        super().__init__(value_range, factor, interpolation, seed, data_format, **kwargs)
        who = _common.owner(self)
        self.all_ops = _args.boolean(who, "all_ops", all_ops)
        self._build_ops(AUG_MIX_OPS + (AUG_MIX_COLOR_OPS if self.all_ops else ()))
        self.num_chains = _args.positive_int(who, "num_chains", num_chains)
        self.chain_depth = _args.positive_int(who, "chain_depth", chain_depth)
        self.alpha = _args.positive_float(who, "alpha", alpha)

    def _draw(self, key, batch_size, images):
        k_mix, k_blend, k_pick, k_ops = jax.random.split(key, 4)
        alphas = jnp.full((self.num_chains,), self.alpha)
        shape = (self.num_chains, self.chain_depth)
        return {
            "chain_mixing_weights": jax.random.dirichlet(k_mix, alphas),
            "weight_sample": jax.random.beta(k_blend, self.alpha, self.alpha),
            "layer_idxes": jax.random.randint(k_pick, shape, 0, len(self._ops) + 1),
            "keys": jax.random.split(k_ops, shape),
        }

    def _apply(self, x, transformation):
        weights = jnp.asarray(transformation["chain_mixing_weights"]).astype(x.dtype)
        blend = jnp.asarray(transformation["weight_sample"]).astype(x.dtype)

        def chain(mixed, picks):
            weight, indices, keys = picks
            return mixed + weight * self._chain(x, indices, keys, skip=True), None

        mixed, _ = jax.lax.scan(chain, jnp.zeros_like(x), (
            weights, jnp.asarray(transformation["layer_idxes"]), transformation["keys"]))
        out = blend * x + (1 - blend) * mixed
        return jnp.clip(out, self.value_range[0], self.value_range[1])

    def get_config(self):
        config = super().get_config()
        config.update({"num_chains": self.num_chains, "chain_depth": self.chain_depth,
                       "alpha": self.alpha, "all_ops": self.all_ops})
        return config
