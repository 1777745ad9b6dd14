"""Pure math of the tone and mixing augmentation layers (no Keras op of these names).

Every function takes batched images, ``(batch, height, width, channels)``
or ``(batch, channels, height, width)`` with ``data_format='channels_first'``,
and the random values the layer drew (weights, boxes, permutations) as
arrays, never keys.  Pixel values live in a ``value_range`` ``(low, high)``;
the tone functions work on the ``[0, 255]`` scale inside, as Keras does.

Example:
    >>> import jax.numpy as jnp
    >>> from jaxlayers.ops import _tone_mix as aug
    >>> x = jnp.array([0.0, 100.0, 200.0]).reshape(1, 1, 3, 1)
    >>> aug.solarize(x, 0.0, 150.0, (0, 255))[0, 0, :, 0].tolist()
    [0.0, 100.0, 55.0]
"""

import jax
import jax.numpy as jnp

from jaxlayers.ops import _augment
from jaxlayers.ops import _layout as layout

__all__ = [
    "rescale",
    "per_image",
    "grayscale",
    "invert",
    "solarize",
    "posterize",
    "autocontrast",
    "equalize",
    "box_masks",
    "mix",
]

# ITU-R 601 luma weights as tf.image and Keras round them.


def rescale(x, source, target):
    """Maps values linearly from the range ``source`` to the range ``target``."""
    if tuple(source) == tuple(target):
        return x
    s0, s1 = (jnp.asarray(v, x.dtype) for v in source)
    t0, t1 = (jnp.asarray(v, x.dtype) for v in target)
    return (x - s0) / (s1 - s0) * (t1 - t0) + t0


def per_image(values, ndim):
    """``values`` of shape ``(batch,)`` (or any shape of ``batch`` elements) as
    ``(batch, 1, ..., 1)`` of rank ``ndim``, to broadcast against a batch."""
    values = jnp.asarray(values)
    return jnp.reshape(values, (-1,) + (1,) * (ndim - 1))


def grayscale(images, data_format="channels_last"):
    """Luma of RGB images, keeping a channel axis of size 1 (one-channel images unchanged)."""
    axis = layout.channel_axis(data_format, images.ndim)
    if images.shape[axis] == 1:
        return images
    return _augment.grayscale(images, axis)


def invert(images, value_range):
    """The complement ``low + high - x`` of every pixel."""
    low, high = value_range
    return (low + high) - images


def solarize(images, additions, thresholds, value_range):
    """Adds ``additions`` (on the 0..255 scale), clips, then flips the pixels at or
    above ``thresholds``: ``255 - x``.  ``additions``/``thresholds`` broadcast per image."""
    x = rescale(images, value_range, (0, 255))
    x = jnp.clip(x + additions, 0, 255)
    x = jnp.where(x < thresholds, x, 255 - x)
    return rescale(x, (0, 255), value_range)


def posterize(images, shifts, value_range):
    """Drops the ``shifts`` lowest of 8 bits of every pixel (``shifts`` per image)."""
    dtype = images.dtype
    x = jnp.clip(rescale(images, value_range, (0, 255)), 0, 255).astype(jnp.uint8)
    shifts = per_image(jnp.asarray(shifts).astype(jnp.uint8), images.ndim)
    x = jnp.left_shift(jnp.right_shift(x, shifts), shifts)
    return rescale(x.astype(dtype), (0, 255), value_range)


def autocontrast(images, value_range, data_format="channels_last"):
    """Stretches each channel of each image to span ``value_range``; a constant channel
    is left unchanged."""
    x = rescale(images, value_range, (0, 255))
    spatial = layout.spatial_axes(images.ndim, data_format, rank=2)
    low = jnp.min(x, axis=spatial, keepdims=True)
    high = jnp.max(x, axis=spatial, keepdims=True)
    flat = high <= low
    # The division is kept away from zero so that gradients stay finite.
    scale = 255.0 / jnp.where(flat, 1.0, high - low)
    stretched = jnp.clip(x * scale - low * scale, 0.0, 255.0)
    return jnp.where(flat, images, rescale(stretched, (0, 255), value_range))


def _equalize_channel(channel, bins):
    """Histogram equalization of one channel on the 0..255 scale, ``bins`` bins."""
    values = jnp.reshape(channel, (-1,))
    index = jnp.clip((values * (bins - 1) / 255.0).astype(jnp.int32), 0, bins - 1)
    hist = jnp.zeros((bins,), jnp.int32).at[index].add(1)
    cdf = jnp.cumsum(hist)
    cdf_min = cdf[jnp.argmax(cdf > 0)]
    total = cdf[-1] - cdf_min
    total = jnp.where(total == 0, 1, total)
    table = jnp.clip(jnp.round((cdf - cdf_min) * 255 / total), 0, 255)
    lookup = jnp.clip(channel / 255.0 * (bins - 1), 0, bins - 1).astype(jnp.int32)
    equalized = table[lookup].astype(channel.dtype)
    # A channel whose pixels all fall in one bin has nothing to spread.
    return jnp.where(jnp.count_nonzero(hist) <= 1, channel, equalized)


def equalize(images, value_range, bins=256, data_format="channels_last"):
    """Histogram equalization of every channel of every image on its own."""
    x = rescale(images, value_range, (0, 255))
    if data_format == "channels_first":
        out = jax.vmap(jax.vmap(lambda c: _equalize_channel(c, bins)))(x)
    else:
        out = jax.vmap(jax.vmap(lambda c: _equalize_channel(c, bins), in_axes=-1,
                                out_axes=-1))(x)
    return rescale(out, (0, 255), value_range)


def box_masks(height, width, x0, x1, y0, y1, data_format="channels_last", dtype=jnp.float32):
    """Boolean masks ``(batch, height, width, 1)`` (``(batch, 1, height, width)`` channels
    first) of the pixels ``(x, y)`` with ``x0 <= x < x1`` and ``y0 <= y < y1``, per image."""
    ys = jnp.arange(height, dtype=dtype)[None, :, None]
    xs = jnp.arange(width, dtype=dtype)[None, None, :]
    x0, x1, y0, y1 = (per_image(v, 3) for v in (x0, x1, y0, y1))
    inside = (xs >= x0) & (xs < x1) & (ys >= y0) & (ys < y1)
    return inside[:, None] if data_format == "channels_first" else inside[..., None]


def mix(a, b, weights):
    """``weights * a + (1 - weights) * b`` with one weight per batch element."""
    w = per_image(weights, a.ndim).astype(jnp.result_type(a.dtype, jnp.float32))
    return w * a + (1.0 - w) * b
