"""Tone augmentation: RandomGrayscale, RandomInvert, Solarization,
RandomPosterization, AutoContrast, Equalization.

Inputs are images or a dict of data (see ``_data``); labels, bounding boxes
and segmentation masks pass through unchanged.  The random layers draw from
the key given to ``apply`` (folded with the layer's path), one draw per
image, in training only; AutoContrast also runs at inference, as in Keras.
The math is in :mod:`jaxlayers.ops._tone_mix`.
"""

import jax
import jax.numpy as jnp

from jaxlayers.core import args as _args
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError, ShapeError
from jaxlayers.layers.preprocessing import _common
from jaxlayers.layers.preprocessing._data import DataLayer
from jaxlayers.layers.preprocessing.augmentation import _range, _value_range
from jaxlayers.ops import _layout as layout
from jaxlayers.ops import _tone_mix as aug

__all__ = [
    "RandomGrayscale",
    "RandomInvert",
    "Solarization",
    "RandomPosterization",
    "AutoContrast",
    "Equalization",
]


def _batch(images):
    return (images.shape[0],)


@register_builtin("layers")
class RandomGrayscale(DataLayer):
    """Turns each RGB image to gray (all channels equal to its luma) with probability ``factor``.

    Args:
        factor: Probability in ``[0, 1]`` that an image is converted.
        data_format: ``'channels_last'`` or ``'channels_first'``.
        seed: Kept for Keras compatibility (draws come from the key).

    The transformation is a boolean ``(batch, 1, 1, 1)`` array (Keras's form).

    Example:
        >>> layer = jl.layers.RandomGrayscale(factor=1.0)
        >>> y, _ = layer.apply({}, {}, jnp.array([[[[1.0, 0.0, 0.0]]]]), training=True,
        ...                    key=jax.random.key(0))
        >>> [round(v, 4) for v in y[0, 0, 0].tolist()]
        [0.2989, 0.2989, 0.2989]
    """

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _args.unit_interval(_common.owner(self), "factor", factor)

    def _draw(self, key, batch_size, images):
        return (jax.random.uniform(key, _batch(images)) < self.factor)[:, None, None, None]

    def transform_images(self, images, transformation, training=True):
        images = images.astype(self.compute_dtype)
        if not training:
            return images
        channels = images.shape[layout.channel_axis(self.data_format, 4)]
        if channels not in (1, 3):
            raise ShapeError(
                f"{_common.owner(self)} converts RGB (3 channels) or gray (1 channel) "
                f"images. Received {channels} channels (input shape {tuple(images.shape)})."
            )
        gray = aug.grayscale(images, self.data_format)
        return jnp.where(jnp.reshape(transformation, (-1, 1, 1, 1)), gray, images)

    def get_config(self):
        config = super().get_config()
        config["factor"] = self.factor
        return config


@register_builtin("layers")
class RandomInvert(DataLayer):
    """Inverts each image (``low + high - x``) with a random probability.

    Args:
        factor: ``p`` in ``[0, 1]`` for a probability drawn from ``[0, p]`` per
            image, or ``(low, high)``; the default ``1.0`` inverts half the images.
        value_range: ``(low, high)`` of the pixel values.
        seed, data_format: As in RandomGrayscale.

    Keras 3.15 computes ``high - x``; both agree for ranges starting at 0 (its
    default), and ``low + high - x`` is the complement its docs describe for others.

    Example:
        >>> layer = jl.layers.RandomInvert(factor=(1.0, 1.0), value_range=(0, 1))
        >>> layer.apply({}, {}, jnp.full((1, 1, 1, 1), 0.25), training=True,
        ...             key=jax.random.key(0))[0].ravel().tolist()
        [0.75]
    """

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        who = _common.owner(self)
        self.factor = _range(who, "factor", factor, low=0.0, high=1.0)
        self.value_range = _value_range(who, value_range)

    def _draw(self, key, batch_size, images):
        k_prob, k_draw = jax.random.split(key)
        probability = jax.random.uniform(k_prob, _batch(images), minval=self.factor[0],
                                         maxval=self.factor[1])
        return {"apply_inversion": jax.random.uniform(k_draw, _batch(images)) < probability}

    def transform_images(self, images, transformation, training=True):
        images = images.astype(self.compute_dtype)
        if not training:
            return images
        flip = aug.per_image(transformation["apply_inversion"], 4)
        return jnp.where(flip, aug.invert(images, self.value_range), images)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range})
        return config


@register_builtin("layers")
class Solarization(DataLayer):
    """Adds a random offset, then flips the pixels above a random threshold: ``255 - x``.

    On the 0..255 scale each image draws an addition and a threshold; the
    addition is added and clipped, then pixels ``>= threshold`` become
    ``255 - x``.  The default threshold 0 flips every pixel.

    Args:
        addition_factor: ``f`` in ``[0, 1]`` for additions drawn from
            ``[0, f] * 255``, or ``(low, high)`` for ``[low, high] * 255``.
        threshold_factor: Same for the thresholds.
        value_range: ``(low, high)`` of the pixel values.
        seed: As in RandomGrayscale.

    Keras 3.15 scales only the upper end of a pair by 255 (its lower end is
    used as is); both ends are scaled here, as its docs describe.  The two agree
    for single numbers.

    Example:
        >>> layer = jl.layers.Solarization(value_range=(0, 1))
        >>> layer.apply({}, {}, jnp.full((1, 1, 1, 1), 0.25), training=True,
        ...             key=jax.random.key(0))[0].ravel().tolist()
        [0.75]
    """

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255),
                 seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        who = _common.owner(self)
        self.addition_factor = _range(who, "addition_factor", addition_factor, 0.0, 1.0)
        self.threshold_factor = _range(who, "threshold_factor", threshold_factor, 0.0, 1.0)
        self.value_range = _value_range(who, value_range)

    def _draw(self, key, batch_size, images):
        k_add, k_threshold = jax.random.split(key)
        shape = _batch(images) + (1, 1, 1)
        dtype = self.compute_dtype

        def draw(k, bounds):
            return jax.random.uniform(k, shape, dtype, bounds[0] * 255.0, bounds[1] * 255.0)

        return {"additions": draw(k_add, self.addition_factor),
                "thresholds": draw(k_threshold, self.threshold_factor)}

    def transform_images(self, images, transformation, training=True):
        images = images.astype(self.compute_dtype)
        if not training:
            return images
        additions = aug.per_image(transformation["additions"], 4)
        thresholds = aug.per_image(transformation["thresholds"], 4)
        return aug.solarize(images, additions, thresholds, self.value_range)

    def get_config(self):
        config = super().get_config()
        config.update({"addition_factor": self.addition_factor,
                       "threshold_factor": self.threshold_factor,
                       "value_range": self.value_range})
        return config


@register_builtin("layers")
class RandomPosterization(DataLayer):
    """Keeps a random number of the 8 bits of every channel value.

    Args:
        factor: An int ``b`` in ``[1, 8]``, or ``(low, high)``.  As in Keras,
            a single int means the range ``(1, b)``, and a range with
            ``low < high`` draws the bits kept from ``low, ..., high - 1``
            (``high`` itself is never drawn); ``(b, b)`` always keeps ``b`` bits.
        value_range: ``(low, high)`` of the pixel values.
        data_format, seed: As in RandomGrayscale.

    The transformation is ``{"shift_factor": 8 - bits}``, one per image.

    Example:
        >>> layer = jl.layers.RandomPosterization((1, 1))
        >>> layer.apply({}, {}, jnp.array([[[[100.0, 200.0]]]]), training=True,
        ...             key=jax.random.key(0))[0].ravel().tolist()
        [0.0, 128.0]
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        who = _common.owner(self)
        bits = factor if isinstance(factor, (list, tuple)) else (1, factor)
        if len(bits) != 2 or not all(_args.is_int(b) and 1 <= b <= 8 for b in bits):
            raise ConfigError(
                f"{who}: `factor` must be an int or a pair of ints in [1, 8] (bits kept). "
                f"Received: factor={factor!r}."
            )
        self.factor = tuple(sorted(int(b) for b in bits))
        self.value_range = _value_range(who, value_range)

    def _draw(self, key, batch_size, images):
        low, high = self.factor
        if low == high:
            bits = jnp.full(_batch(images), low, jnp.uint8)
        else:
            bits = jax.random.randint(key, _batch(images), low, high).astype(jnp.uint8)
        return {"shift_factor": 8 - bits}

    def transform_images(self, images, transformation, training=True):
        images = images.astype(self.compute_dtype)
        if not training:
            return images
        return aug.posterize(images, transformation["shift_factor"], self.value_range)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range})
        return config


@register_builtin("layers")
class AutoContrast(DataLayer):
    """Stretches every channel of every image to span ``value_range`` (also at inference).

    Args:
        value_range: ``(low, high)`` of the pixel values.
        data_format: ``'channels_last'`` or ``'channels_first'``.

    A channel with one value throughout is left unchanged.

    Example:
        >>> layer = jl.layers.AutoContrast(value_range=(0, 1))
        >>> layer(jnp.array([0.2, 0.4, 0.6]).reshape(1, 1, 3, 1)).ravel().tolist()
        [0.0, 0.5, 1.0]
    """

    random = False
    applies_at_inference = True

    def __init__(self, value_range=(0, 255), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = _value_range(_common.owner(self), value_range)

    def transform_images(self, images, transformation, training=True):
        images = images.astype(self.compute_dtype)
        return aug.autocontrast(images, self.value_range, self.data_format)

    def get_config(self):
        config = super().get_config()
        config["value_range"] = self.value_range
        return config


@register_builtin("layers")
class Equalization(DataLayer):
    """Histogram equalization of every channel of every image, in training.

    Args:
        value_range: ``(low, high)`` of the pixel values.
        bins: Number of histogram bins over the 0..255 scale.
        data_format: ``'channels_last'`` or ``'channels_first'``.

    Each image is equalized on its own histogram, so the result does not
    depend on the rest of the batch.  (Keras 3.15 pools one histogram per
    channel over the whole batch; the two agree for a batch of one image.)

    Example:
        >>> layer = jl.layers.Equalization(value_range=(0, 1))
        >>> y, _ = layer.apply({}, {}, jnp.array([0.1, 0.2, 0.2, 0.3]).reshape(1, 2, 2, 1),
        ...                    training=True)
        >>> [round(v, 3) for v in y.ravel().tolist()]
        [0.0, 0.667, 0.667, 1.0]
    """

    random = False

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        who = _common.owner(self)
        self.value_range = _value_range(who, value_range)
        self.bins = _args.positive_int(who, "bins", bins)

    def transform_images(self, images, transformation, training=True):
        images = images.astype(self.compute_dtype)
        if not training:
            return images
        return aug.equalize(images, self.value_range, self.bins, self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update({"value_range": self.value_range, "bins": self.bins})
        return config
