"""Pure image math for the image preprocessing and augmentation layers.

Images are ``(batch, height, width, channels)`` (``channels_last``) or
``(batch, channels, height, width)`` (``channels_first``); a rank-3 array is
one image.  Everything here is jittable and takes random values (angles,
offsets, flips) as arrays, never keys: the layers draw them.

Geometric transforms use Keras's 8-number projective form
``[a0, a1, a2, b0, b1, b2, c0, c1]``, which maps an OUTPUT pixel ``(x, y)``
(column, row) to the INPUT point it is read from::

    k = c0 * x + c1 * y + 1
    x_in = (a0 * x + a1 * y + a2) / k
    y_in = (b0 * x + b1 * y + b2) / k

Sampling is ``jax.scipy.ndimage.map_coordinates`` (order 0 for
``'nearest'``, 1 for ``'bilinear'``), so points outside the image follow its
fill modes, the ones Keras's JAX backend uses:

* ``'reflect'``: ``(d c b a | a b c d | d c b a)``, mirrored about the edge;
* ``'wrap'``: ``(a b c d | a b c d | a b c d)``;
* ``'nearest'``: ``(a a a a | a b c d | d d d d)``;
* ``'constant'``: ``(k k k k | a b c d | k k k k)`` with ``k = fill_value``
  (bilinear weights blend the fill value in near the border).

Example:
    >>> import jax.numpy as jnp
    >>> from jaxlayers.ops import image as image_ops
    >>> x = jnp.arange(9.0).reshape(1, 3, 3, 1)
    >>> t = image_ops.translation_transforms(jnp.array([1.0]), jnp.array([0.0]))
    >>> image_ops.affine_transform(x, t, fill_mode="constant")[0, :, :, 0].tolist()
    [[0.0, 0.0, 1.0], [0.0, 3.0, 4.0], [0.0, 6.0, 7.0]]
"""

import functools
import math

import jax
import jax.numpy as jnp
from jax.scipy import ndimage

from jaxlayers.errors import ConfigError, ShapeError
from jaxlayers.ops import layout

__all__ = [
    "INTERPOLATIONS",
    "RESIZE_INTERPOLATIONS",
    "FILL_MODES",
    "check_image_shape",
    "image_size",
    "affine_transform",
    "rotation_transforms",
    "translation_transforms",
    "zoom_transforms",
    "resize",
    "aspect_crop_box",
    "center_crop",
    "crop",
    "flip",
    "adjust_contrast",
    "adjust_brightness",
    "degrees_to_radians",
]

INTERPOLATIONS = {"nearest": 0, "bilinear": 1}
RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5")
FILL_MODES = ("reflect", "wrap", "constant", "nearest")


def check_image_shape(shape, owner):
    """Raises a ``ShapeError`` unless ``shape`` is rank 3 (one image) or 4 (a batch)."""
    if len(shape) not in (3, 4):
        raise ShapeError(
            f"{owner} expects images of rank 3 (height, width, channels) or rank 4 "
            f"(batch, height, width, channels); channels go first with "
            f"data_format='channels_first'. Received input shape {tuple(shape)} "
            f"(rank {len(shape)})."
        )


def image_size(shape, data_format="channels_last"):
    """``(height, width)`` of an image or batch shape."""
    h, w = layout.spatial_axes(len(shape), data_format, rank=2)
    return shape[h], shape[w]


def _as_nhwc(images, data_format):
    """Batched channels-last view plus a function restoring the original layout."""
    unbatched = images.ndim == 3
    x = images[None] if unbatched else images
    if data_format == "channels_first":
        x = jnp.transpose(x, (0, 2, 3, 1))

    def restore(y):
        if data_format == "channels_first":
            y = jnp.transpose(y, (0, 3, 1, 2))
        return y[0] if unbatched else y

    return x, restore


# --------------------------------------------------------------------- transforms
def _pack(a0, a1, a2, b0, b1, b2):
    zeros = jnp.zeros_like(a0)
    return jnp.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=-1)


def rotation_transforms(angles, height, width):
    """Transforms rotating each image by ``angles`` (radians) about its center.

    Args:
        angles: ``(batch,)`` angles in radians; positive turns the content
            counter-clockwise.
        height, width: Image size (the center is ``((width-1)/2, (height-1)/2)``).

    Returns:
        ``(batch, 8)`` transforms for :func:`affine_transform`.
    """
    angles = jnp.asarray(angles, jnp.float32)
    cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
    cos, sin = jnp.cos(angles), jnp.sin(angles)
    return _pack(cos, -sin, cx - cx * cos + cy * sin,
                 sin, cos, cy - cx * sin - cy * cos)


def translation_transforms(dx, dy):
    """Transforms shifting each image right by ``dx`` and down by ``dy`` pixels."""
    dx = jnp.asarray(dx, jnp.float32)
    dy = jnp.broadcast_to(jnp.asarray(dy, jnp.float32), dx.shape)
    ones = jnp.ones_like(dx)
    return _pack(ones, jnp.zeros_like(dx), -dx, jnp.zeros_like(dx), ones, -dy)


def zoom_transforms(zx, zy, height, width):
    """Transforms reading a ``zx`` by ``zy`` larger area around the center.

    ``z > 1`` zooms out (the content shrinks), ``z < 1`` zooms in.
    """
    zx = jnp.asarray(zx, jnp.float32)
    zy = jnp.broadcast_to(jnp.asarray(zy, jnp.float32), zx.shape)
    zeros = jnp.zeros_like(zx)
    return _pack(zx, zeros, (width - 1) / 2.0 * (1.0 - zx),
                 zeros, zy, (height - 1) / 2.0 * (1.0 - zy))


def _sample_one(image, transform, order, fill_mode, fill_value):
    """``image``: ``(H, W, C)``; ``transform``: ``(8,)``."""
    height, width = image.shape[0], image.shape[1]
    y, x = jnp.meshgrid(jnp.arange(height, dtype=jnp.float32),
                        jnp.arange(width, dtype=jnp.float32), indexing="ij")
    a0, a1, a2, b0, b1, b2, c0, c1 = (transform[i] for i in range(8))
    k = c0 * x + c1 * y + 1.0
    x_in = (a0 * x + a1 * y + a2) / k
    y_in = (b0 * x + b1 * y + b2) / k
    sample = functools.partial(ndimage.map_coordinates, coordinates=[y_in, x_in],
                               order=order, mode=fill_mode, cval=fill_value)
    return jax.vmap(lambda channel: sample(channel), in_axes=-1, out_axes=-1)(image)


def affine_transform(images, transforms, interpolation="bilinear", fill_mode="constant",
                     fill_value=0.0, data_format="channels_last"):
    """Resamples images through projective transforms (see the module docstring).

    Args:
        images: ``(batch, H, W, C)`` or ``(H, W, C)`` (channels first with
            ``data_format='channels_first'``), floating.
        transforms: ``(batch, 8)`` or ``(8,)``, one per image (a single one is
            broadcast over the batch).
        interpolation: ``'bilinear'`` or ``'nearest'``.
        fill_mode: ``'reflect'``, ``'wrap'``, ``'constant'`` or ``'nearest'``
            (``'mirror'`` is also accepted, as in ``map_coordinates``).
        fill_value: Value outside the image with ``fill_mode='constant'``.

    Returns:
        Images of the input's shape and dtype.
    """
    if interpolation not in INTERPOLATIONS:
        raise ConfigError(
            f"affine_transform: `interpolation` must be one of {sorted(INTERPOLATIONS)}. "
            f"Received: interpolation={interpolation!r}."
        )
    if fill_mode not in FILL_MODES + ("mirror",):
        raise ConfigError(
            f"affine_transform: `fill_mode` must be one of {FILL_MODES}. "
            f"Received: fill_mode={fill_mode!r}."
        )
    check_image_shape(images.shape, "affine_transform")
    x, restore = _as_nhwc(images, data_format)
    transforms = jnp.asarray(transforms, jnp.float32)
    if transforms.ndim == 1:
        transforms = transforms[None]
    transforms = jnp.broadcast_to(transforms, (x.shape[0], 8))
    sample = functools.partial(_sample_one, order=INTERPOLATIONS[interpolation],
                               fill_mode=fill_mode, fill_value=fill_value)
    out = jax.vmap(sample)(x, transforms)
    return restore(out.astype(images.dtype))


# --------------------------------------------------------------------- resizing
def aspect_crop_box(height, width, target_height, target_width):
    """``(top, left, crop_height, crop_width)``: the largest centered box of the target's aspect."""
    crop_h = max(min(height, int(float(width * target_height) / target_width)), 1)
    crop_w = max(min(width, int(float(height * target_width) / target_height)), 1)
    return int(float(height - crop_h) / 2), int(float(width - crop_w) / 2), crop_h, crop_w


def crop(images, top, left, height, width, data_format="channels_last"):
    """A static ``height`` x ``width`` window at ``(top, left)`` (ints, or per-image arrays).

    With arrays ``top``/``left`` of shape ``(batch,)`` each image gets its own
    window (a ``dynamic_slice`` per image).
    """
    x, restore = _as_nhwc(images, data_format)
    if isinstance(top, int) and isinstance(left, int):
        return restore(x[:, top:top + height, left:left + width, :])
    top = jnp.broadcast_to(jnp.asarray(top, jnp.int32), (x.shape[0],))
    left = jnp.broadcast_to(jnp.asarray(left, jnp.int32), (x.shape[0],))
    channels = x.shape[-1]

    def one(image, row, col):
        return jax.lax.dynamic_slice(image, (row, col, 0), (height, width, channels))

    return restore(jax.vmap(one)(x, top, left))


def _saturate_cast(x, dtype):
    info = jnp.iinfo(dtype)
    return jnp.clip(jnp.round(x), info.min, info.max).astype(dtype)


def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_value=0.0, data_format="channels_last"):
    """Resizes images to ``size = (height, width)`` with ``jax.image.resize``.

    Args:
        interpolation: ``'bilinear'``, ``'nearest'``, ``'bicubic'``,
            ``'lanczos3'`` or ``'lanczos5'``.
        antialias: Low-pass filter when downsampling.
        crop_to_aspect_ratio: First crop the largest centered box with the
            target's aspect ratio (no distortion).
        pad_to_aspect_ratio: First pad both sides with ``fill_value`` to the
            target's aspect ratio (no distortion).

    Integer images are resized in float32, rounded and clipped back to their dtype.
    """
    height, width = int(size[0]), int(size[1])
    in_dtype = images.dtype
    x, restore = _as_nhwc(images, data_format)
    if not jnp.issubdtype(in_dtype, jnp.inexact):
        x = x.astype(jnp.float32)
    in_h, in_w = x.shape[1], x.shape[2]
    if crop_to_aspect_ratio:
        top, left, ch, cw = aspect_crop_box(in_h, in_w, height, width)
        x = x[:, top:top + ch, left:left + cw, :]
    elif pad_to_aspect_ratio:
        pad_h = max(in_h, int(float(in_w * height) / width))
        pad_w = max(in_w, int(float(in_h * width) / height))
        top, left = int(float(pad_h - in_h) / 2), int(float(pad_w - in_w) / 2)
        x = jnp.pad(x, ((0, 0), (top, top), (left, left), (0, 0)),
                    constant_values=jnp.asarray(fill_value, x.dtype))
    out = jax.image.resize(x, (x.shape[0], height, width, x.shape[-1]),
                           method=interpolation, antialias=antialias)
    if jnp.issubdtype(in_dtype, jnp.integer):
        out = _saturate_cast(out, in_dtype)
    return restore(out)


def center_crop(images, height, width, data_format="channels_last"):
    """The centered ``height`` x ``width`` window; smaller images are aspect-cropped and resized."""
    in_h, in_w = image_size(images.shape, data_format)
    if in_h >= height and in_w >= width:
        return crop(images, (in_h - height) // 2, (in_w - width) // 2, height, width,
                    data_format)
    return resize(images, (height, width), crop_to_aspect_ratio=True, data_format=data_format)


# --------------------------------------------------------------------- pixel ops
def flip(images, flips, horizontal=True, vertical=False, data_format="channels_last"):
    """Flips the images where ``flips`` (``(batch,)`` bools) is true."""
    x, restore = _as_nhwc(images, data_format)
    where = jnp.reshape(jnp.asarray(flips, bool), (-1, 1, 1, 1))
    if horizontal:
        x = jnp.where(where, x[:, :, ::-1, :], x)
    if vertical:
        x = jnp.where(where, x[:, ::-1, :, :], x)
    return restore(x)


def adjust_contrast(images, factors, value_range, data_format="channels_last"):
    """``(x - mean) * factor + mean`` per image and channel, clipped to ``value_range``.

    Args:
        factors: ``(batch,)`` contrast factors.
        value_range: ``(low, high)`` of the pixel values.
    """
    x, restore = _as_nhwc(images, data_format)
    mean = jnp.mean(x, axis=(1, 2), keepdims=True)
    factors = jnp.reshape(jnp.asarray(factors, x.dtype), (-1, 1, 1, 1))
    out = (x - mean) * factors + mean
    return restore(jnp.clip(out, value_range[0], value_range[1]))


def adjust_brightness(images, deltas, value_range):
    """Adds ``deltas`` (``(batch,)``, in pixel units) to each image, clipped to ``value_range``."""
    batched = images.ndim == 4
    deltas = jnp.asarray(deltas, images.dtype)
    deltas = jnp.reshape(deltas, (-1, 1, 1, 1) if batched else (1, 1, 1))
    return jnp.clip(images + deltas, value_range[0], value_range[1])


def degrees_to_radians(degrees):
    return degrees * (math.pi / 180.0)
