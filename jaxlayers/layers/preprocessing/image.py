"""Deterministic image preprocessing: Resizing, Rescaling, CenterCrop.

Pure JAX (jittable, vmappable) over ``(batch, H, W, C)`` or single
``(H, W, C)`` images (channels first with ``data_format='channels_first'``);
the math is in :mod:`jaxlayers.ops.image`.  Outputs equal Keras 3's on the
JAX backend.
"""

import jax.numpy as jnp
import numpy as np

from jaxlayers import backend
from jaxlayers.core import args as _args
from jaxlayers.core.layer import Layer
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError
from jaxlayers.layers.preprocessing import _common
from jaxlayers.ops import _augment as augment
from jaxlayers.ops import _image
from jaxlayers.ops import _layout as layout
from jaxlayers.ops import image as image_ops

__all__ = ["Resizing", "Rescaling", "CenterCrop"]


def draw_transformation(layer, data, training, seed):
    """``layer._draw(key, batch_size, batched_images)`` behind Keras's
    ``get_random_transformation(data, training, seed)``: ``None`` out of training,
    ``seed`` a key (``None``: the layer's key, which exists only inside ``apply``).
    """
    if not training:
        return None
    images = jnp.asarray(data)
    layer.check(images)
    images = images if images.ndim == 4 else images[None]
    key = layer.next_key() if seed is None else seed
    return layer._draw(key, images.shape[0], images)


def with_size(input_shape, height, width, data_format):
    """``input_shape`` with its height and width replaced."""
    return layout.with_spatial(input_shape, (height, width), data_format)


class ImageLayer(Layer):
    """Base of the image layers: ``data_format`` and the rank-3/4 check."""

    # Images are real; the layers compute in a float dtype.
    supports_complex_inputs = False
    # Layers that read color (hue, saturation, luma) take RGB images only.
    rgb_only = False

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = backend.standardize_data_format(data_format, _common.owner(self))

    def build(self, input_shape):
        self._check_shape(input_shape)
        # Composite augmentations (RandomColorJitter, RandAugment, AugMix) run their
        # sublayers only in training: build them now so a reloaded model is whole.
        for sublayer in self.tracked_sublayers():
            if not sublayer.built:
                sublayer.build(input_shape)
                sublayer.built = True

    def check(self, inputs):
        self._check_shape(inputs.shape)

    def _check_shape(self, shape):
        augment.check_image_shape(shape, _common.owner(self))
        if self.rgb_only:
            _image.check_rgb(shape, self.data_format, _common.owner(self))

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


@register_builtin("layers")
class Resizing(ImageLayer):
    """Resizes images to ``(height, width)`` with ``jax.image.resize``.

    Args:
        height, width: Output size.
        interpolation: ``'bilinear'``, ``'nearest'``, ``'bicubic'``,
            ``'lanczos3'`` or ``'lanczos5'``.
        crop_to_aspect_ratio: Crop the largest centered window with the
            target's aspect ratio first (no distortion).
        pad_to_aspect_ratio: Pad with ``fill_value`` to the target's aspect
            ratio first (no distortion).
        fill_mode: Only ``'constant'``.
        fill_value: Padding value for ``pad_to_aspect_ratio``.
        antialias: Low-pass filter when downsampling.
        data_format: ``'channels_last'`` or ``'channels_first'``.

    Integer images come back rounded in their own dtype, as in Keras.

    Example:
        >>> layer = jl.layers.Resizing(2, 2)
        >>> layer(jnp.ones((1, 4, 4, 3))).shape
        (1, 2, 2, 3)
    """

    # Interpolation is linear: complex images keep their dtype and both parts.
    supports_complex_inputs = True

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0,
                 antialias=False, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        who = _common.owner(self)
        self.height = _args.positive_int(who, "height", height)
        self.width = _args.positive_int(who, "width", width)
        if interpolation not in augment.RESIZE_INTERPOLATIONS:
            raise ConfigError(
                f"{who}: `interpolation` must be one of {augment.RESIZE_INTERPOLATIONS}. "
                f"Received: interpolation={interpolation!r}."
            )
        if fill_mode != "constant":
            raise ConfigError(
                f"{who}: only fill_mode='constant' is supported. Received: "
                f"fill_mode={fill_mode!r}."
            )
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ConfigError(
                f"{who}: set only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio`."
            )
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = _args.boolean(who, "crop_to_aspect_ratio",
                                                  crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = _args.boolean(who, "pad_to_aspect_ratio", pad_to_aspect_ratio)
        self.fill_mode = fill_mode
        self.fill_value = _args.finite_float(who, "fill_value", fill_value)
        self.antialias = _args.boolean(who, "antialias", antialias)

    def call(self, inputs):
        self.check(inputs)
        return image_ops.resize(
            inputs, (self.height, self.width), self.interpolation, self.antialias,
            self.crop_to_aspect_ratio, self.pad_to_aspect_ratio, fill_value=self.fill_value,
            data_format=self.data_format)

    def compute_output_shape(self, input_shape):
        return with_size(input_shape, self.height, self.width, self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update({
            "height": self.height, "width": self.width, "interpolation": self.interpolation,
            "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
            "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": self.fill_mode,
            "fill_value": self.fill_value, "antialias": self.antialias,
        })
        return config


@register_builtin("layers")
class Rescaling(Layer):
    """``inputs * scale + offset`` in the compute dtype (e.g. ``scale=1/255``).

    Args:
        scale: Float, or a per-channel list/array.
        offset: Float, or a per-channel list/array.

    Input: any shape; output: same shape.  A per-channel ``scale`` follows
    the global ``image_data_format()`` (channels first: ``(C, 1, 1)``).

    Example:
        >>> jl.layers.Rescaling(1 / 255.0)(jnp.array([0.0, 255.0])).tolist()
        [0.0, 1.0]
    """

    # The output is cast to the (real) compute dtype, as in Keras.
    supports_complex_inputs = False

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("scale", scale), ("offset", offset)):
            _args.finite_floats(_common.owner(self), name, value)
        self.scale = np.asarray(scale).tolist() if np.ndim(scale) else scale
        self.offset = np.asarray(offset).tolist() if np.ndim(offset) else offset
        self.supports_masking = True

    def call(self, inputs):
        dtype = self.compute_dtype
        scale = jnp.asarray(self.scale, dtype)
        offset = jnp.asarray(self.offset, dtype)
        if scale.ndim and backend.image_data_format() == "channels_first":
            scale = jnp.reshape(scale, scale.shape + (1,) * (3 - scale.ndim))
        return jnp.asarray(inputs).astype(dtype) * scale + offset

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"scale": self.scale, "offset": self.offset})
        return config


@register_builtin("layers")
class CenterCrop(ImageLayer):
    """Crops the central ``(height, width)`` window of each image.

    Images smaller than the target are first cropped to the target's aspect
    ratio, then resized (bilinear), as in Keras.

    Args:
        height, width: Output size.
        data_format: ``'channels_last'`` or ``'channels_first'``.

    Example:
        >>> jl.layers.CenterCrop(2, 2)(jnp.ones((1, 4, 5, 3))).shape
        (1, 2, 2, 3)
    """

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        who = _common.owner(self)
        self.height = _args.positive_int(who, "height", height)
        self.width = _args.positive_int(who, "width", width)

    def call(self, inputs):
        self.check(inputs)
        x = jnp.asarray(inputs).astype(self.compute_dtype)
        return augment.center_crop(x, self.height, self.width, self.data_format)

    def compute_output_shape(self, input_shape):
        augment.check_image_shape(input_shape, _common.owner(self))
        return with_size(input_shape, self.height, self.width, self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update({"height": self.height, "width": self.width})
        return config
