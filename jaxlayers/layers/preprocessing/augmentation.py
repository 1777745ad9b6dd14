"""Random image augmentation: RandomCrop, RandomFlip, RandomTranslation,
RandomRotation, RandomZoom, RandomContrast, RandomBrightness.

Active only with ``training=True`` (the identity otherwise, except RandomCrop,
see its docstring) and driven by explicit keys: each draws its randomness
from ``self.next_key()``, i.e. the ``key=`` given to ``apply`` (folded with
the layer's path), so they run inside a jitted training step and the same
key gives the same augmentation.  ``seed`` is kept in the config for Keras
compatibility; it does not change the draws.  Each image of a batch gets its
own draw, except in RandomCrop, which (as Keras) crops the whole batch at one
window.  Outputs are in the compute dtype (float32).

Geometric layers map output pixels to input points with
:func:`jaxlayers.ops.image.affine_transform` and fill the outside with
``fill_mode``: ``'reflect'`` (default), ``'wrap'``, ``'constant'``
(``fill_value``) or ``'nearest'``.
"""

import math

import jax
import jax.numpy as jnp

from jaxlayers.core import args as _args
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError
from jaxlayers.layers.preprocessing import _common
from jaxlayers.layers.preprocessing.image import ImageLayer, with_size
from jaxlayers.ops import _augment as augment
from jaxlayers.ops import image as image_ops

__all__ = [
    "RandomCrop",
    "RandomFlip",
    "RandomTranslation",
    "RandomRotation",
    "RandomZoom",
    "RandomContrast",
    "RandomBrightness",
]


def _range(who, name, factor, low=-1.0, high=1.0, low_open=False, lenient_pair=False):
    """``(lower, upper)`` from a number ``f`` (``(-|f|, |f|)``) or a pair (sorted).

    With ``lenient_pair`` a pair is taken as Keras's ``_set_factor`` takes it: kept
    (sorted) unless it lies wholly outside the bounds, so the configs Keras writes
    for those layers (``factor=[-0.7, 0.7]``) read back.
    """
    def number(v):
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    def ok(v):
        return number(v) and (low < v if low_open else low <= v) and v <= high

    if isinstance(factor, (list, tuple)) and len(factor) == 2:
        inside = all(ok(v) for v in factor) or (
            lenient_pair and all(number(v) for v in factor) and factor[0] <= high
            and (factor[1] > low if low_open else factor[1] >= low))
        if inside:
            return tuple(sorted(float(v) for v in factor))
    if ok(factor):
        f = abs(float(factor))
        return (max(-f, low), f)
    bracket = "(" if low_open else "["
    raise ConfigError(
        f"{who}: `{name}` must be a number or a pair of numbers in {bracket}{low}, {high}]. "
        f"Received: {name}={factor!r}."
    )


class _RandomImageLayer(ImageLayer):
    """Identity at inference; ``_augment(key, images)`` on batched images in training."""

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.seed = _args.seed(_common.owner(self), seed)

    def call(self, inputs, training=False):
        self.check(inputs)
        x = jnp.asarray(inputs).astype(self.compute_dtype)
        if not training:
            return self._inference(x)
        batched = x.ndim == 4
        y = self._augment(self.next_key(), x if batched else x[None])
        return y if batched else y[0]

    def _inference(self, x):
        return x

    def _size(self, x):
        return augment.image_size(x.shape, self.data_format)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["seed"] = self.seed
        return config


class _GeometricLayer(_RandomImageLayer):
    """Shared ``fill_mode`` / ``interpolation`` / ``fill_value`` handling."""

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        who = _common.owner(self)
        if fill_mode not in augment.FILL_MODES:
            raise ConfigError(
                f"{who}: `fill_mode` must be one of {augment.FILL_MODES}. Received: "
                f"fill_mode={fill_mode!r}."
            )
        if interpolation not in augment.INTERPOLATIONS:
            raise ConfigError(
                f"{who}: `interpolation` must be 'bilinear' or 'nearest'. Received: "
                f"interpolation={interpolation!r}."
            )
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = _args.finite_float(who, "fill_value", fill_value)

    def _transform(self, x, transforms):
        return image_ops.affine_transform(x, transforms, self.interpolation, self.fill_mode,
                                          self.fill_value, self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update({"fill_mode": self.fill_mode, "interpolation": self.interpolation,
                       "fill_value": self.fill_value})
        return config


@register_builtin("layers")
class RandomFlip(_RandomImageLayer):
    """Flips each image with probability 1/2 in training.

    Args:
        mode: ``'horizontal'`` (left-right), ``'vertical'`` (up-down) or
            ``'horizontal_and_vertical'`` (both at once, one draw, as in Keras).
        seed: Kept for Keras compatibility (draws come from the key).
        data_format: ``'channels_last'`` or ``'channels_first'``.

    Example:
        >>> layer = jl.layers.RandomFlip("horizontal")
        >>> x = jnp.arange(4.0).reshape(1, 1, 4, 1)
        >>> layer.apply({}, {}, x)[0][0, 0, :, 0].tolist()  # inference: identity
        [0.0, 1.0, 2.0, 3.0]
    """

    _MODES = ("horizontal", "vertical", "horizontal_and_vertical")

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if mode not in self._MODES:
            raise ConfigError(
                f"{_common.owner(self)}: `mode` must be one of {self._MODES}. Received: "
                f"mode={mode!r}."
            )
        self.mode = mode

    def _augment(self, key, x):
        flips = jax.random.uniform(key, (x.shape[0],)) <= 0.5
        return augment.flip(x, flips, horizontal=self.mode != "vertical",
                            vertical=self.mode != "horizontal", data_format=self.data_format)

    def get_config(self):
        config = super().get_config()
        config["mode"] = self.mode
        return config


@register_builtin("layers")
class RandomRotation(_GeometricLayer):
    """Rotates each image by a random angle in ``factor * 2 pi`` about its center.

    Args:
        factor: Fraction of a full turn: ``f`` for ``[-f, f]``, or ``(low, high)``
            (positive values rotate counter-clockwise).
        fill_mode, interpolation, fill_value: See the module docstring.
        seed, data_format: As in RandomFlip.

    Example:
        >>> layer = jl.layers.RandomRotation(0.1)
        >>> y, _ = layer.apply({}, {}, jnp.ones((2, 8, 8, 3)), training=True,
        ...                    key=jax.random.key(0))
        >>> y.shape
        (2, 8, 8, 3)
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.factor = _range(_common.owner(self), "factor", factor)

    def _augment(self, key, x):
        turns = jax.random.uniform(key, (x.shape[0],), minval=self.factor[0],
                                   maxval=self.factor[1])
        height, width = self._size(x)
        angles = augment.degrees_to_radians(turns * 360.0)
        return self._transform(x, augment.rotation_transforms(angles, height, width))

    def get_config(self):
        config = super().get_config()
        config["factor"] = self.factor
        return config


@register_builtin("layers")
class RandomTranslation(_GeometricLayer):
    """Shifts each image by random fractions of its height and width.

    Args:
        height_factor: ``f`` for a vertical shift in ``[-f, f] * height``, or
            ``(low, high)``; positive moves the content down.
        width_factor: Same for the horizontal shift; positive moves it right.
        fill_mode, interpolation, fill_value, seed, data_format: As in RandomRotation.

    Example:
        >>> layer = jl.layers.RandomTranslation(0.2, 0.2)
        >>> layer.apply({}, {}, jnp.ones((2, 8, 8, 3)), training=True,
        ...             key=jax.random.key(0))[0].shape
        (2, 8, 8, 3)
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        who = _common.owner(self)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self._height_range = _range(who, "height_factor", height_factor)
        self._width_range = _range(who, "width_factor", width_factor)

    def _augment(self, key, x):
        kh, kw = jax.random.split(key)
        height, width = self._size(x)
        batch = (x.shape[0],)
        dy = jax.random.uniform(kh, batch, minval=self._height_range[0],
                                maxval=self._height_range[1]) * height
        dx = jax.random.uniform(kw, batch, minval=self._width_range[0],
                                maxval=self._width_range[1]) * width
        return self._transform(x, augment.translation_transforms(dx, dy))

    def get_config(self):
        config = super().get_config()
        config.update({"height_factor": self.height_factor, "width_factor": self.width_factor})
        return config


@register_builtin("layers")
class RandomZoom(_GeometricLayer):
    """Zooms each image in or out by a random factor about its center.

    Args:
        height_factor: ``f`` (in ``(-1, 1]``) for a vertical zoom in
            ``[1 - f, 1 + f]``, or ``(low, high)`` for ``[1 + low, 1 + high]``;
            values above 1 zoom out (the content shrinks), as in Keras.
        width_factor: Same horizontally; ``None`` keeps the aspect ratio (the
            vertical draw is used for both).
        fill_mode, interpolation, fill_value, seed, data_format: As in RandomRotation.

    Example:
        >>> layer = jl.layers.RandomZoom(0.3)
        >>> layer.apply({}, {}, jnp.ones((2, 8, 8, 3)), training=True,
        ...             key=jax.random.key(0))[0].shape
        (2, 8, 8, 3)
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        who = _common.owner(self)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self._height_range = _range(who, "height_factor", height_factor, low_open=True)
        self._width_range = (None if width_factor is None
                             else _range(who, "width_factor", width_factor, low_open=True))

    def _augment(self, key, x):
        kh, kw = jax.random.split(key)
        height, width = self._size(x)
        batch = (x.shape[0],)
        zy = 1.0 + jax.random.uniform(kh, batch, minval=self._height_range[0],
                                      maxval=self._height_range[1])
        zx = zy if self._width_range is None else 1.0 + jax.random.uniform(
            kw, batch, minval=self._width_range[0], maxval=self._width_range[1])
        return self._transform(x, augment.zoom_transforms(zx, zy, height, width))

    def get_config(self):
        config = super().get_config()
        config.update({"height_factor": self.height_factor, "width_factor": self.width_factor})
        return config


@register_builtin("layers")
class RandomCrop(_RandomImageLayer):
    """Crops a random ``(height, width)`` window in training, one window per batch.

    In training, images larger than the target on both sides are cropped at
    one random window shared by the whole batch, as in Keras.  Otherwise
    (training on images not larger on both sides) the window starts where the
    largest centered box of the target's aspect ratio starts, is cut to at
    most ``(height, width)`` and resized to it: Keras's numbers exactly.  At
    inference the largest centered box of the target's aspect ratio is resized
    to ``(height, width)``, as Keras's documentation describes, so the output
    shape is the same in both modes.  (Keras 3.15's code returns inference
    inputs uncropped, which its own docs and output shape contradict.)

    Args:
        height, width: Output size.
        seed, data_format: As in RandomFlip.

    Example:
        >>> layer = jl.layers.RandomCrop(4, 4)
        >>> layer.apply({}, {}, jnp.ones((2, 8, 8, 3)), training=True,
        ...             key=jax.random.key(0))[0].shape
        (2, 4, 4, 3)
    """

    def __init__(self, height, width, seed=None, data_format=None, name=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, name=name, **kwargs)
        who = _common.owner(self)
        self.height = _args.positive_int(who, "height", height)
        self.width = _args.positive_int(who, "width", width)

    def _inference(self, x):
        return image_ops.resize(x, (self.height, self.width), crop_to_aspect_ratio=True,
                                data_format=self.data_format)

    def _augment(self, key, x):
        in_h, in_w = self._size(x)
        if in_h > self.height and in_w > self.width:
            kh, kw = jax.random.split(key)
            top = jax.random.randint(kh, (), 0, in_h - self.height + 1)
            left = jax.random.randint(kw, (), 0, in_w - self.width + 1)
            return augment.crop(x, top, left, self.height, self.width, self.data_format)
        top, left, _, _ = augment.aspect_crop_box(in_h, in_w, self.height, self.width)
        window = augment.crop(x, top, left, min(self.height, in_h - top),
                                min(self.width, in_w - left), self.data_format)
        if self._size(window) == (self.height, self.width):
            return window
        return image_ops.resize(window, (self.height, self.width), data_format=self.data_format)

    def compute_output_shape(self, input_shape):
        return with_size(input_shape, self.height, self.width, self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update({"height": self.height, "width": self.width})
        return config


@register_builtin("layers")
class RandomContrast(_RandomImageLayer):
    """Scales each image's deviation from its per-channel mean by a random factor.

    ``(x - mean) * c + mean`` with ``c`` uniform in ``[1 - lower, 1 + upper]``,
    clipped to ``value_range``.

    Args:
        factor: ``f`` in ``[0, 1]`` for ``c`` in ``[1 - f, 1 + f]`` (Keras's
            documented meaning; Keras 3.15's code draws from ``[1, 1 + f]``), or
            ``(lower, upper)`` for ``[1 - lower, 1 + upper]``.
        value_range: ``(low, high)`` of the pixel values.
        seed: As in RandomFlip.

    Example:
        >>> layer = jl.layers.RandomContrast(0.5, value_range=(0, 1))
        >>> layer.apply({}, {}, jnp.ones((2, 4, 4, 3)) / 2, training=True,
        ...             key=jax.random.key(0))[0].shape
        (2, 4, 4, 3)
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        who = _common.owner(self)
        bounds = _range(who, "factor", factor, low=0.0, high=1.0)
        self.factor = factor
        self._bounds = (bounds[1], bounds[1]) if not isinstance(factor, (list, tuple)) \
            else bounds
        self.value_range = _value_range(who, value_range)

    def _augment(self, key, x):
        c = jax.random.uniform(key, (x.shape[0],), minval=1.0 - self._bounds[0],
                               maxval=1.0 + self._bounds[1])
        return augment.adjust_contrast(x, c, self.value_range, self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range})
        return config


@register_builtin("layers")
class RandomBrightness(_RandomImageLayer):
    """Adds a random brightness offset to each image, clipped to ``value_range``.

    The offset is ``u * (high - low)`` with ``u`` uniform in ``factor``'s range.

    Args:
        factor: ``f`` in ``[-1, 1]`` for ``u`` in ``[-|f|, |f|]``, or ``(lower, upper)``.
        value_range: ``(low, high)`` of the pixel values.
        seed: As in RandomFlip.

    Example:
        >>> layer = jl.layers.RandomBrightness(0.2, value_range=(0, 1))
        >>> y, _ = layer.apply({}, {}, jnp.full((2, 4, 4, 3), 0.5), training=True,
        ...                    key=jax.random.key(0))
        >>> bool(((y >= 0.3) & (y <= 0.7)).all())
        True
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        who = _common.owner(self)
        self.factor = _range(who, "factor", factor)
        self.value_range = _value_range(who, value_range)

    def _augment(self, key, x):
        u = jax.random.uniform(key, (x.shape[0],), minval=self.factor[0],
                               maxval=self.factor[1])
        low, high = self.value_range
        return augment.adjust_brightness(x, u * (high - low), self.value_range)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range})
        return config


def _value_range(who, value_range):
    if (not isinstance(value_range, (list, tuple)) or len(value_range) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                       and math.isfinite(v) for v in value_range)
            or math.isclose(value_range[0], value_range[1])):
        raise ConfigError(
            f"{who}: `value_range` must be a pair of distinct finite numbers (low, high), e.g. "
            f"(0, 255). Received: value_range={value_range!r}."
        )
    return sorted(value_range)
