"""Random color and filter augmentation: RandomHue, RandomSaturation,
RandomColorDegeneration, RandomColorJitter, RandomSharpness, RandomGaussianBlur,
and the deterministic ContrastLimitedAdaptiveHistogramEqualization.

The random layers follow :mod:`.augmentation`: identity unless
``training=True``, draws from the key given to ``apply`` (folded with the
layer's path), one draw per image.  As in Keras they split each call into
``get_random_transformation(images, seed=key)`` (a dict of arrays) and
``transform_images(images, transformation)``, so a transformation can be
inspected, reused or supplied by hand.  A single ``factor`` ``f`` means the
range ``(0, f)`` and a pair is used as given, as Keras documents.  The math
is in :mod:`jaxlayers.ops._augment`.
"""

import jax
import jax.numpy as jnp

from jaxlayers import backend
from jaxlayers.core import args as _args
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError
from jaxlayers.layers.preprocessing import _common
from jaxlayers.layers.preprocessing.augmentation import (
    RandomBrightness,
    RandomContrast,
    _RandomImageLayer,
    _range,
    _value_range,
)
from jaxlayers.layers.preprocessing.image import ImageLayer, draw_transformation
from jaxlayers.ops import _augment as augment

__all__ = [
    "RandomHue",
    "RandomSaturation",
    "RandomColorDegeneration",
    "RandomColorJitter",
    "RandomSharpness",
    "RandomGaussianBlur",
    "ContrastLimitedAdaptiveHistogramEqualization",
]


def unit_range(who, name, factor, lenient_pair=True):
    """``(low, high)`` in ``[0, 1]`` from ``f`` (``(0, f)``) or a pair.

    A pair is read leniently (as Keras's ``_set_factor`` does) unless the layer's
    Keras counterpart checks both ends (``RandomShear``).
    """
    return _range(who, name, factor, low=0.0, high=1.0, lenient_pair=lenient_pair)


class TransformLayer(_RandomImageLayer):
    """A random layer drawn in two steps, with Keras's method names.

    Subclasses define ``_draw(key, batch_size, images)`` (the transformation
    dict) and ``_apply(images, transformation)`` on batched images.
    """

    def _augment(self, key, x):
        return self._apply(x, self._draw(key, x.shape[0], x))

    def get_random_transformation(self, data, training=True, seed=None):
        """The random parameters for ``data`` (a batch or one image), drawn from key ``seed``.

        ``seed=None`` uses the layer's key, which exists only inside ``apply``.
        """
        return draw_transformation(self, data, training, seed)

    def transform_images(self, images, transformation, training=True):
        """``images`` (a batch or one image) transformed by ``transformation``."""
        x = jnp.asarray(images).astype(self.compute_dtype)
        if not training or transformation is None:
            return x
        self.check(x)
        batched = x.ndim == 4
        y = self._apply(x if batched else x[None], transformation)
        return y if batched else y[0]


class _ValueRangeLayer(TransformLayer):
    """A ``factor`` in ``[0, 1]`` and a ``value_range``."""

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        who = _common.owner(self)
        self.factor = unit_range(who, "factor", factor)
        self.value_range = _value_range(who, value_range)

    def _uniform(self, key, batch_size):
        return jax.random.uniform(key, (batch_size,), minval=self.factor[0],
                                  maxval=self.factor[1])

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range})
        return config


@register_builtin("layers")
class RandomHue(_ValueRangeLayer):
    """Rotates each image's hue by a random amount.

    The hue (in turns) moves by ``+-u / 2`` with ``u`` uniform in ``factor``'s
    range and a random sign; ``factor=1`` can move it half a turn.

    Args:
        factor: ``f`` in ``[0, 1]`` for ``u`` in ``[0, f]``, or ``(low, high)``.
        value_range: ``(low, high)`` of the pixel values.
        data_format: ``'channels_last'`` or ``'channels_first'``.
        seed: Kept for Keras compatibility (draws come from the key).

    Example:
        >>> layer = jl.layers.RandomHue(0.5, value_range=(0, 1))
        >>> layer.apply({}, {}, jnp.ones((2, 4, 4, 3)) / 2, training=True,
        ...             key=jax.random.key(0))[0].shape
        (2, 4, 4, 3)
    """

    rgb_only = True

    def _draw(self, key, batch_size, images):
        k_sign, k_size = jax.random.split(key)
        sign = jnp.where(jax.random.uniform(k_sign, (batch_size,)) > 0.5, -1.0, 1.0)
        return {"factor": sign * self._uniform(k_size, batch_size) * 0.5}

    def _apply(self, x, transformation):
        return augment.shift_hue(x, transformation["factor"], self.value_range,
                                 self.data_format)


@register_builtin("layers")
class RandomSaturation(_ValueRangeLayer):
    """Scales each image's saturation by a random factor.

    With ``u`` uniform in ``factor``'s range the saturation is multiplied by
    ``u / (1 - u)`` and clipped to ``[0, 1]``: ``u = 0`` gives gray,
    ``0.5`` no change, ``1`` full saturation.  (Keras 3.15 clips the
    saturation to ``value_range`` instead, which only matters for
    ``value_range`` other than ``(0, 1)`` and ``u > 0.5``.)

    Args:
        factor: ``f`` in ``[0, 1]`` for ``u`` in ``[0, f]``, or ``(low, high)``.
        value_range, data_format, seed: As in RandomHue.

    Example:
        >>> layer = jl.layers.RandomSaturation((0.0, 0.0))
        >>> y, _ = layer.apply({}, {}, jnp.array([[[[200.0, 100.0, 0.0]]]]),
        ...                    training=True, key=jax.random.key(0))
        >>> y[0, 0, 0].tolist()  # fully desaturated: value kept
        [200.0, 200.0, 200.0]
    """

    rgb_only = True

    def _draw(self, key, batch_size, images):
        u = self._uniform(key, batch_size)
        return {"factor": u / (1.0 - u + backend.epsilon())}

    def _apply(self, x, transformation):
        return augment.scale_saturation(x, transformation["factor"], self.data_format)


@register_builtin("layers")
class RandomColorDegeneration(_ValueRangeLayer):
    """Blends each image toward its grayscale version by a random amount.

    ``x + u * (gray(x) - x)`` with ``u`` uniform in ``factor``'s range
    (``0``: unchanged, ``1``: gray), clipped to ``value_range``.

    Args:
        factor: ``f`` in ``[0, 1]`` for ``u`` in ``[0, f]``, or ``(low, high)``.
        value_range, data_format, seed: As in RandomHue.

    Example:
        >>> layer = jl.layers.RandomColorDegeneration((1.0, 1.0))
        >>> y, _ = layer.apply({}, {}, jnp.ones((1, 2, 2, 3)), training=True,
        ...                    key=jax.random.key(0))
        >>> y.shape
        (1, 2, 2, 3)
    """

    rgb_only = True

    def _draw(self, key, batch_size, images):
        return {"factor": self._uniform(key, batch_size)}

    def _apply(self, x, transformation):
        return augment.blend_with_grayscale(x, transformation["factor"], self.value_range,
                                            self.data_format)

    def compute_output_shape(self, input_shape):
        channels = input_shape[-1 if self.data_format == "channels_last" else -3]
        if channels is not None and channels != 3:
            raise ConfigError(
                f"{_common.owner(self)}: images must have 3 channels (RGB). Received input "
                f"shape {tuple(input_shape)}."
            )
        return tuple(input_shape)


@register_builtin("layers")
class RandomSharpness(_ValueRangeLayer):
    """Sharpens or blurs each image by a random amount.

    ``x + (1 - 2u) * (smooth(x) - x)`` with a 3x3 smoothing kernel and ``u``
    uniform in ``factor``'s range: ``0`` blurs, ``0.5`` keeps, ``1``
    sharpens; clipped to ``value_range``.

    Args:
        factor: ``f`` in ``[0, 1]`` for ``u`` in ``[0, f]``, or ``(low, high)``.
        value_range, data_format, seed: As in RandomHue.

    Example:
        >>> layer = jl.layers.RandomSharpness((0.5, 0.5))
        >>> x = jax.random.uniform(jax.random.key(1), (1, 4, 4, 3)) * 255
        >>> y, _ = layer.apply({}, {}, x, training=True, key=jax.random.key(0))
        >>> bool(jnp.allclose(y, x))
        True
    """

    def _draw(self, key, batch_size, images):
        return {"factor": self._uniform(key, batch_size)}

    def _apply(self, x, transformation):
        return augment.sharpen(x, transformation["factor"], self.value_range, self.data_format)


@register_builtin("layers")
class RandomGaussianBlur(TransformLayer):
    """Blurs each image, with a random probability, by a Gaussian of random width.

    Each image is blurred when a uniform draw falls below its probability,
    itself uniform in ``factor``'s range; the two standard deviations (rows,
    columns) are drawn once per batch, uniform in ``sigma``'s range
    (plus ``1e-6``); the output is clipped to ``value_range``.

    Args:
        factor: Probability range: ``f`` in ``[0, 1]`` for ``[0, f]``, or ``(low, high)``.
        kernel_size: Odd int, or a pair of odd ints ``(rows, columns)``.
        sigma: ``s >= 0`` for ``[0, s]``, or ``(low, high)``.
        value_range: ``(low, high)`` of the pixel values.
        data_format, seed: As in RandomHue.

    Example:
        >>> layer = jl.layers.RandomGaussianBlur(1.0, kernel_size=3, sigma=(1.0, 1.0))
        >>> layer.apply({}, {}, jnp.ones((2, 5, 5, 3)), training=True,
        ...             key=jax.random.key(0))[0].shape
        (2, 5, 5, 3)
    """

    def __init__(self, factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255),
                 data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        who = _common.owner(self)
        self.factor = unit_range(who, "factor", factor)
        sizes = kernel_size if isinstance(kernel_size, (list, tuple)) else (kernel_size,) * 2
        if (len(sizes) != 2 or not all(_args.is_int(k) and k > 0 and k % 2 == 1
                                       for k in sizes)):
            raise ConfigError(
                f"{who}: `kernel_size` must be an odd positive int or a pair of them. "
                f"Received: kernel_size={kernel_size!r}."
            )
        self.kernel_size = tuple(int(k) for k in sizes)
        self.sigma = _range(who, "sigma", sigma, low=0.0, high=float("inf"))
        self.value_range = _value_range(who, value_range)

    def _draw(self, key, batch_size, images):
        k_prob, k_draw, k_sigma = jax.random.split(key, 3)
        probability = jax.random.uniform(k_prob, (batch_size,), minval=self.factor[0],
                                         maxval=self.factor[1])
        return {
            "should_apply_blur": jax.random.uniform(k_draw, (batch_size,)) < probability,
            "blur_factor": jax.random.uniform(k_sigma, (2,), minval=self.sigma[0],
                                              maxval=self.sigma[1]) + 1e-6,
        }

    def _apply(self, x, transformation):
        blurred = augment.gaussian_blur(x, self.kernel_size, transformation["blur_factor"],
                                        self.data_format)
        apply = jnp.reshape(transformation["should_apply_blur"], (-1, 1, 1, 1))
        return jnp.clip(jnp.where(apply, blurred, x), *self.value_range)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "kernel_size": self.kernel_size,
                       "sigma": self.sigma, "value_range": self.value_range})
        return config


@register_builtin("layers")
class RandomColorJitter(TransformLayer):
    """Random brightness, contrast, saturation and hue, applied in that order.

    Each ``*_factor`` given builds the matching layer (RandomBrightness,
    RandomContrast, RandomSaturation, RandomHue) with ``value_range``; each
    draws from its own part of the key.

    Args:
        value_range: ``(low, high)`` of the pixel values.
        brightness_factor, contrast_factor, saturation_factor, hue_factor:
            The ``factor`` of each step, or ``None`` to skip it.
        seed, data_format: As in RandomHue.

    Example:
        >>> layer = jl.layers.RandomColorJitter((0, 1), brightness_factor=0.2,
        ...                                     hue_factor=0.1)
        >>> layer.apply({}, {}, jnp.ones((2, 4, 4, 3)) / 2, training=True,
        ...             key=jax.random.key(0))[0].shape
        (2, 4, 4, 3)
    """

    def __init__(self, value_range=(0, 255), brightness_factor=None, contrast_factor=None,
                 saturation_factor=None, hue_factor=None, seed=None, data_format=None,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = _value_range(_common.owner(self), value_range)
        self.brightness_factor = brightness_factor
        self.contrast_factor = contrast_factor
        self.saturation_factor = saturation_factor
        self.hue_factor = hue_factor
        steps = ((RandomBrightness, brightness_factor, {}),
                 (RandomContrast, contrast_factor, {"data_format": self.data_format}),
                 (RandomSaturation, saturation_factor, {"data_format": self.data_format}),
                 (RandomHue, hue_factor, {"data_format": self.data_format}))
        # Plain tuple (not tracked sublayers): the steps hold no weights and draw
        # from this layer's key.
        self._steps = tuple(cls(factor=factor, value_range=self.value_range,
                                name=f"{self.name}_{cls.__name__.lower()}", **kw)
                            for cls, factor, kw in steps if factor is not None)
        self.rgb_only = any(step.rgb_only for step in self._steps)

    def _draw(self, key, batch_size, images):
        return {"keys": jax.random.split(key, max(len(self._steps), 1))}

    def _apply(self, x, transformation):
        for step, key in zip(self._steps, transformation["keys"]):
            x = step._augment(key, x)
        return x

    def get_config(self):
        config = super().get_config()
        config.update({"value_range": self.value_range,
                       "brightness_factor": self.brightness_factor,
                       "contrast_factor": self.contrast_factor,
                       "saturation_factor": self.saturation_factor,
                       "hue_factor": self.hue_factor})
        return config


@register_builtin("layers")
class ContrastLimitedAdaptiveHistogramEqualization(ImageLayer):
    """Contrast-limited adaptive histogram equalization (CLAHE), in training and inference.

    Pixels (mapped from ``value_range`` to ``[0, 255]``) are equalized per
    channel with the histograms of a ``tile_grid_size`` grid of tiles, each
    capped by ``clip_limit``, and blended bilinearly between tile centers
    (see :func:`jaxlayers.ops._augment.clahe`).  The output has the input's dtype.

    Args:
        value_range: ``(low, high)`` of the pixel values.
        clip_limit: Histogram cap, in multiples of a flat histogram's bin
            height (``<= 0``: plain adaptive equalization).
        tile_grid_size: ``(rows, columns)`` of tiles.
        data_format: ``'channels_last'`` or ``'channels_first'``.

    Example:
        >>> layer = jl.layers.ContrastLimitedAdaptiveHistogramEqualization(
        ...     tile_grid_size=(2, 2))
        >>> layer(jnp.ones((1, 8, 8, 1)) * 100).shape
        (1, 8, 8, 1)
    """

    def __init__(self, value_range=(0, 255), clip_limit=4.0, tile_grid_size=(8, 8),
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        who = _common.owner(self)
        self.value_range = _value_range(who, value_range)
        self.clip_limit = _args.finite_float(who, "clip_limit", clip_limit)
        self.tile_grid_size = _args.int_tuple(who, "tile_grid_size", tile_grid_size, 2)

    def call(self, inputs):
        self.check(inputs)
        x = jnp.asarray(inputs)
        nhwc = x[None] if x.ndim == 3 else x
        if self.data_format == "channels_first":
            nhwc = jnp.moveaxis(nhwc, 1, -1)
        pixels = augment.to_value_range(nhwc.astype(jnp.float32), self.value_range, (0, 255))
        out = augment.clahe(pixels, self.clip_limit, self.tile_grid_size)
        out = augment.to_value_range(out, (0, 255), self.value_range)
        if self.data_format == "channels_first":
            out = jnp.moveaxis(out, -1, 1)
        out = out[0] if x.ndim == 3 else out
        return out.astype(x.dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"value_range": self.value_range, "clip_limit": self.clip_limit,
                       "tile_grid_size": self.tile_grid_size})
        return config
