"""Image math the preprocessing and augmentation layers share, beyond ``keras.ops.image``.

Everything is jittable and takes random values (angles, factors, noise) as
arrays, never keys: the layers draw them.  Transforms are Keras's 8-number
projective form (see :mod:`jaxlayers.ops.image`), built here for whole
batches: ``(batch,)`` parameters in, ``(batch, 8)`` transforms out.

Example:
    >>> from jaxlayers.ops import _augment as augment, image
    >>> x = jnp.arange(9.0).reshape(1, 3, 3, 1)
    >>> t = augment.translation_transforms(jnp.array([1.0]), jnp.array([0.0]))
    >>> image.affine_transform(x, t)[0, :, :, 0].tolist()
    [[0.0, 0.0, 1.0], [0.0, 3.0, 4.0], [0.0, 6.0, 7.0]]
"""

import math

import jax
import jax.numpy as jnp

from jaxlayers.ops import _image
from jaxlayers.ops import _layout as layout
from jaxlayers.ops._image import FILL_MODES, ORDERS, RESIZE_INTERPOLATIONS, aspect_crop_box
from jaxlayers.ops._image import check_image_shape as check_image_shape

__all__ = [
    "INTERPOLATIONS",
    "RESIZE_INTERPOLATIONS",
    "FILL_MODES",
    "check_image_shape",
    "image_size",
    "rotation_transforms",
    "translation_transforms",
    "zoom_transforms",
    "shear_transforms",
    "homography",
    "aspect_crop_box",
    "center_crop",
    "crop",
    "flip",
    "adjust_contrast",
    "adjust_brightness",
    "degrees_to_radians",
    "to_value_range",
    "grayscale",
    "rgb_to_hsv",
    "hsv_to_rgb",
    "shift_hue",
    "scale_saturation",
    "blend_with_grayscale",
    "sharpen",
    "gaussian_blur",
    "elastic_noise",
    "elastic_displace",
    "clahe",
]

INTERPOLATIONS = ORDERS


def image_size(shape, data_format="channels_last"):
    """``(height, width)`` of an image or batch shape."""
    h, w = layout.spatial_axes(len(shape), data_format, rank=2)
    return shape[h], shape[w]


def degrees_to_radians(degrees):
    return degrees * (math.pi / 180.0)


# --------------------------------------------------------------------- transforms
def _pack(a0, a1, a2, b0, b1, b2):
    zeros = jnp.zeros_like(a0)
    return jnp.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=-1)


def rotation_transforms(angles, height, width):
    """Transforms rotating each image by ``angles`` (radians) about its center.

    Positive angles turn the content counter-clockwise; the center is
    ``((width - 1) / 2, (height - 1) / 2)``.
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


def shear_transforms(shear_x, shear_y):
    """Transforms reading ``(x + shear_x * y, y + shear_y * x)`` (about the top-left corner)."""
    shear_x = jnp.asarray(shear_x, jnp.float32)
    shear_y = jnp.broadcast_to(jnp.asarray(shear_y, jnp.float32), shear_x.shape)
    ones, zeros = jnp.ones_like(shear_x), jnp.zeros_like(shear_x)
    return _pack(ones, shear_x, zeros, shear_y, ones, zeros)


def homography(start_points, end_points):
    """The projective transforms reading each ``end_points`` corner from ``start_points``.

    Args:
        start_points, end_points: ``(4, 2)`` or ``(batch, 4, 2)`` ``(x, y)`` points.

    Returns:
        ``(batch, 8)`` transforms: output pixels at the end points read the
        input at the start points (eight equations, one solve per image).
    """
    start = jnp.asarray(start_points, jnp.float32)
    end = jnp.asarray(end_points, jnp.float32)
    if start.ndim == 2:
        start, end = start[None], end[None]
    sx, sy, ex, ey = start[..., 0], start[..., 1], end[..., 0], end[..., 1]
    zeros, ones = jnp.zeros_like(ex), jnp.ones_like(ex)
    # x_in * (c0 x + c1 y + 1) = a0 x + a1 y + a2, and the same for y_in.
    x_rows = jnp.stack([ex, ey, ones, zeros, zeros, zeros, -sx * ex, -sx * ey], axis=-1)
    y_rows = jnp.stack([zeros, zeros, zeros, ex, ey, ones, -sy * ex, -sy * ey], axis=-1)
    matrix = jnp.concatenate([x_rows, y_rows], axis=1)
    target = jnp.concatenate([sx, sy], axis=-1)[..., None]
    return jnp.linalg.solve(matrix, target)[..., 0]


# --------------------------------------------------------------------- cropping
def crop(images, top, left, height, width, data_format="channels_last"):
    """A static ``height`` x ``width`` window at ``(top, left)`` (ints, or per-image arrays).

    With arrays ``top``/``left`` of shape ``(batch,)`` each image gets its own
    window (a ``dynamic_slice`` per image).
    """
    x, restore = _image.as_nhwc(images, data_format)
    if isinstance(top, int) and isinstance(left, int):
        return restore(x[:, top:top + height, left:left + width, :])
    top = jnp.broadcast_to(jnp.asarray(top, jnp.int32), (x.shape[0],))
    left = jnp.broadcast_to(jnp.asarray(left, jnp.int32), (x.shape[0],))
    channels = x.shape[-1]

    def one(image, row, col):
        return jax.lax.dynamic_slice(image, (row, col, 0), (height, width, channels))

    return restore(jax.vmap(one)(x, top, left))


def center_crop(images, height, width, data_format="channels_last"):
    """The centered ``height`` x ``width`` window; smaller images are aspect-cropped and resized."""
    in_h, in_w = image_size(images.shape, data_format)
    if in_h >= height and in_w >= width:
        return crop(images, (in_h - height) // 2, (in_w - width) // 2, height, width,
                    data_format)
    return _image.resize(images, (height, width), "bilinear", False, True, False, 0.0,
                         data_format)


# --------------------------------------------------------------------- pixel ops
def _per_image(values, x):
    """``(batch,)`` values shaped to broadcast over batched images ``x``."""
    return jnp.reshape(jnp.asarray(values, x.dtype), (-1,) + (1,) * (x.ndim - 1))


def flip(images, flips, horizontal=True, vertical=False, data_format="channels_last"):
    """Flips the images where ``flips`` (``(batch,)`` bools) is true."""
    x, restore = _image.as_nhwc(images, data_format)
    where = jnp.reshape(jnp.asarray(flips, bool), (-1, 1, 1, 1))
    if horizontal:
        x = jnp.where(where, x[:, :, ::-1, :], x)
    if vertical:
        x = jnp.where(where, x[:, ::-1, :, :], x)
    return restore(x)


def adjust_contrast(images, factors, value_range, data_format="channels_last"):
    """``(x - mean) * factor + mean`` per image and channel, clipped to ``value_range``."""
    x, restore = _image.as_nhwc(images, data_format)
    mean = jnp.mean(x, axis=(1, 2), keepdims=True)
    out = (x - mean) * _per_image(factors, x) + mean
    return restore(jnp.clip(out, value_range[0], value_range[1]))


def adjust_brightness(images, deltas, value_range):
    """Adds ``deltas`` (``(batch,)``, in pixel units) to each image, clipped to ``value_range``."""
    batched = images.ndim == 4
    deltas = jnp.asarray(deltas, images.dtype)
    deltas = jnp.reshape(deltas, (-1, 1, 1, 1) if batched else (1, 1, 1))
    return jnp.clip(images + deltas, value_range[0], value_range[1])


def to_value_range(images, source, target):
    """Maps pixel values linearly from the ``source`` range onto the ``target`` range."""
    if tuple(source) == tuple(target):
        return images
    unit = (images - source[0]) / (source[1] - source[0])
    return unit * (target[1] - target[0]) + target[0]


# --------------------------------------------------------------------- color
_LUMA = (0.2989, 0.5870, 0.1140)


def grayscale(images, axis):
    """ITU-R 601 luma of RGB images along ``axis`` (kept, size 1), in the input's dtype."""
    dtype = _image.float_dtype(images.dtype)
    luma = jnp.tensordot(images.astype(dtype), jnp.asarray(_LUMA, dtype), axes=([axis], [0]))
    return jnp.expand_dims(luma, axis).astype(images.dtype)


def rgb_to_hsv(images, axis):
    """RGB along ``axis`` to HSV, hue in turns ``[0, 1)``; ``|x| < eps`` counts as 0."""
    eps = jnp.finfo(images.dtype).eps
    images = jnp.where(jnp.abs(images) < eps, 0.0, images).astype(images.dtype)
    r, g, b = (jnp.take(images, i, axis=axis) for i in range(3))
    value = jnp.maximum(jnp.maximum(r, g), b)
    spread = value - jnp.minimum(jnp.minimum(r, g), b)
    saturation = jnp.where(value > 0, spread / jnp.where(value > 0, value, 1.0), 0.0)
    sixth = 1.0 / (6.0 * jnp.where(spread > 0, spread, 1.0))
    hue = jnp.where(value == g, sixth * (b - r) + 2.0 / 6.0, sixth * (r - g) + 4.0 / 6.0)
    hue = jnp.where(value == r, sixth * (g - b), hue)
    hue = jnp.where(spread > 0, hue, 0.0) + (hue < 0.0).astype(hue.dtype)
    return jnp.stack([hue, saturation, value], axis=axis)


def hsv_to_rgb(images, axis):
    """HSV along ``axis`` (hue in turns) to RGB."""
    h, s, v = (jnp.take(images, i, axis=axis) for i in range(3))
    sector = jnp.mod(h, 1.0) * 6.0
    weights = (jnp.clip(jnp.abs(sector - 3.0) - 1.0, 0.0, 1.0),
               jnp.clip(2.0 - jnp.abs(sector - 2.0), 0.0, 1.0),
               jnp.clip(2.0 - jnp.abs(sector - 4.0), 0.0, 1.0))
    return jnp.stack([v * (1.0 - s + s * w) for w in weights], axis=axis)


def shift_hue(images, deltas, value_range, data_format="channels_last"):
    """Rotates each image's hue by ``deltas`` turns (``(batch,)``), wrapping into ``[0, 1]``."""
    axis = _image.channel_axis(images.ndim, data_format)
    hsv = rgb_to_hsv(to_value_range(images, value_range, (0, 1)), axis)
    hue = jnp.take(hsv, 0, axis=axis) + _per_image(deltas, hsv)[..., 0]
    hue = jnp.where(hue > 1.0, hue - 1.0, hue)
    hue = jnp.where(hue < 0.0, hue + 1.0, hue)
    hsv = jnp.stack([hue, jnp.take(hsv, 1, axis=axis), jnp.take(hsv, 2, axis=axis)], axis=axis)
    rgb = jnp.clip(hsv_to_rgb(hsv, axis), 0.0, 1.0)
    return to_value_range(rgb, (0, 1), value_range)


def scale_saturation(images, factors, data_format="channels_last"):
    """Multiplies each image's HSV saturation by ``factors`` (``(batch,)``), clipped to ``[0, 1]``.

    Hue and saturation do not depend on the pixel scale, so any value range works.
    """
    axis = _image.channel_axis(images.ndim, data_format)
    hsv = rgb_to_hsv(images, axis)
    saturation = jnp.clip(jnp.take(hsv, 1, axis=axis) * _per_image(factors, hsv)[..., 0],
                          0.0, 1.0)
    hsv = jnp.stack([jnp.take(hsv, 0, axis=axis), saturation, jnp.take(hsv, 2, axis=axis)],
                    axis=axis)
    return hsv_to_rgb(hsv, axis)


def blend_with_grayscale(images, factors, value_range, data_format="channels_last"):
    """``x + f * (gray(x) - x)`` per image (``f = 1``: gray), clipped to ``value_range``."""
    gray = grayscale(images, _image.channel_axis(images.ndim, data_format))
    out = images + _per_image(factors, images) * (gray - images)
    return jnp.clip(out, value_range[0], value_range[1])


def sharpen(images, factors, value_range, data_format="channels_last"):
    """Blends each image with a 3x3 smoothing of itself: ``x + (1 - 2 f) * (smooth(x) - x)``.

    ``f = 0.5`` keeps the image, lower blurs, higher sharpens; clipped to ``value_range``.
    """
    x, restore = _image.as_nhwc(images, data_format)
    kernel = jnp.full((3, 3), 1.0 / 13.0).at[1, 1].set(5.0 / 13.0)
    smooth = _image.depthwise(x, kernel, "SAME")
    out = x + (1.0 - 2.0 * _per_image(factors, x)) * (smooth - x)
    return restore(jnp.clip(out, value_range[0], value_range[1]))


def gaussian_blur(images, kernel_size, sigma, data_format="channels_last"):
    """Per-channel Gaussian blur, zero padded; ``kernel_size`` and ``sigma`` are (rows, columns)."""
    x, restore = _image.as_nhwc(images, data_format)
    dtype = _image.float_dtype(x.dtype)
    kernel = jnp.outer(_image.gaussian_1d(kernel_size[0], jnp.asarray(sigma[0], dtype), dtype),
                       _image.gaussian_1d(kernel_size[1], jnp.asarray(sigma[1], dtype), dtype))
    return restore(_image.depthwise(x, kernel, "SAME").astype(images.dtype))


# --------------------------------------------------------------------- elastic
def elastic_noise(key, shape, dtype):
    """``(2, *shape)`` standard normal fields: columns from ``key``, rows from it folded with 1."""
    return jnp.stack([jax.random.normal(key, shape, dtype),
                      jax.random.normal(jax.random.fold_in(key, 1), shape, dtype)])


def elastic_displace(images, noise, alpha, sigma, kernel_size, order, fill_mode, fill_value):
    """Resamples ``(N, H, W, C)`` images at pixel + ``alpha`` * blurred(``noise`` * ``sigma``).

    Args:
        noise: ``(2, N, H, W)`` fields (column shift first, then row shift).
        alpha, sigma: Numbers or scalar arrays; ``kernel_size`` (odd int) is static.
    """
    fields = (noise * sigma)[..., None]
    kernel = _image.gaussian_1d(kernel_size, jnp.asarray(sigma, noise.dtype), noise.dtype)
    kernel = jnp.outer(kernel, kernel)
    d_cols, d_rows = (_image.depthwise(f, kernel, "SAME")[..., 0] for f in fields)
    height, width = images.shape[1], images.shape[2]
    rows, cols = jnp.meshgrid(jnp.arange(height, dtype=noise.dtype),
                              jnp.arange(width, dtype=noise.dtype), indexing="ij")

    def one(image, dr, dc):
        return _image.sample(image, rows + alpha * dr, cols + alpha * dc, order, fill_mode,
                             fill_value)

    return jax.vmap(one)(images, d_rows, d_cols).astype(images.dtype)


# --------------------------------------------------------------------- CLAHE
def clahe(images, clip_limit, tile_grid_size):
    """Contrast-limited adaptive histogram equalization of ``(N, H, W, C)`` images in ``[0, 255]``.

    Each tile of a ``tile_grid_size`` grid (the image is padded by mirroring
    to a whole number of tiles) gets a 256-bin histogram whose bins are
    capped at ``clip_limit * tile_pixels / 256`` (the excess spread evenly;
    ``clip_limit <= 0``: no cap); its normalized CDF maps pixel values, and
    each pixel blends the maps of its four nearest tile centers bilinearly
    (Zuiderveld, 1994).  Returns float32 values in ``[0, 255]``.
    """
    n, height, width, channels = images.shape
    grid_h, grid_w = tile_grid_size
    tile_h, tile_w = -(-height // grid_h), -(-width // grid_w)
    pad_h, pad_w = tile_h * grid_h - height, tile_w * grid_w - width
    x = jnp.pad(images, ((0, 0), (0, pad_h), (0, pad_w), (0, 0)), mode="symmetric")
    tiles = x.reshape(n, grid_h, tile_h, grid_w, tile_w, channels)
    tiles = tiles.transpose(0, 1, 3, 5, 2, 4).reshape(n, grid_h, grid_w, channels, -1)
    bins = jnp.clip(tiles.astype(jnp.int32), 0, 255)
    hist = jnp.sum(jax.nn.one_hot(bins, 256, dtype=jnp.float32), axis=-2)
    area = float(tile_h * tile_w)
    if clip_limit > 0:
        capped = jnp.minimum(hist, clip_limit * area / 256.0)
        hist = capped + jnp.sum(hist - capped, axis=-1, keepdims=True) / 256.0
    cdf = jnp.cumsum(hist, axis=-1)
    cdf_min = jnp.min(cdf, axis=-1, keepdims=True)
    span = area - cdf_min
    maps = jnp.clip((cdf - cdf_min) * 255.0 / jnp.where(span == 0, 1.0, span), 0.0, 255.0)
    # One ring of repeated edge tiles so border pixels blend with themselves.
    maps = jnp.pad(maps, ((0, 0), (1, 1), (1, 1), (0, 0), (0, 0)), mode="edge")

    def neighbours(size, tile, grid):
        pos = (jnp.arange(size, dtype=jnp.float32) - tile / 2.0) / tile + 1.0
        low = jnp.floor(pos)
        return (jnp.clip(low, 0, grid + 1).astype(jnp.int32),
                jnp.clip(low + 1, 0, grid + 1).astype(jnp.int32), pos - low)

    y0, y1, wy = neighbours(x.shape[1], tile_h, grid_h)
    x0, x1, wx = neighbours(x.shape[2], tile_w, grid_w)
    pixels = jnp.clip(x, 0, 255).astype(jnp.int32)
    b = jnp.arange(n)[:, None, None, None]
    c = jnp.arange(channels)[None, None, None, :]

    def look(ys, xs):
        return maps[b, ys[None, :, None, None], xs[None, None, :, None], c, pixels]

    wy, wx = wy[None, :, None, None], wx[None, None, :, None]
    top = look(y0, x0) * (1.0 - wx) + look(y0, x1) * wx
    bottom = look(y1, x0) * (1.0 - wx) + look(y1, x1) * wx
    out = top * (1.0 - wy) + bottom * wy
    return out[:, :height, :width, :]
