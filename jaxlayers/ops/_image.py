"""Internals of :mod:`jaxlayers.ops.image` and :mod:`jaxlayers.ops._augment`.

Layouts, argument checks, the projective sampler, Gaussian kernels and the
depthwise convolution the image ops share.  Nothing here has a Keras name.
"""

import functools
import random

import jax
import jax.numpy as jnp
from jax.scipy import ndimage

from jaxlayers.errors import ConfigTypeError, KeyRequiredError, ShapeError
from jaxlayers.ops import _args

ORDERS = {"nearest": 0, "bilinear": 1}
FILL_MODES = ("reflect", "wrap", "constant", "nearest")
# map_coordinates also knows 'mirror'; the layers offer Keras's four modes.
SAMPLER_FILL_MODES = FILL_MODES + ("mirror",)
RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5")
SCALE_AND_TRANSLATE_METHODS = ("linear", "bilinear", "trilinear", "cubic", "bicubic",
                               "tricubic", "lanczos3", "lanczos5")


def data_format(value, who):
    """``value``, or the global ``image_data_format()`` for ``None``, checked (one wording)."""
    return _args.data_format(who.removeprefix("ops."), value)


def one_of(who, name, value, allowed):
    """``value`` unless it is not one of ``allowed`` (``_args.choice``'s wording)."""
    return _args.choice(who.removeprefix("ops."), name, value, tuple(allowed))


def check_image_shape(shape, owner, ranks=(3, 4)):
    """Raises a ``ShapeError`` unless ``shape`` is rank 3 (one image) or 4 (a batch)."""
    if len(shape) not in ranks:
        if ranks == (4,):
            expected = "rank 4 (batch, height, width, channels)"
        else:
            expected = ("rank 3 (height, width, channels) or rank 4 "
                        "(batch, height, width, channels)")
        raise ShapeError(
            f"{owner} expects images of {expected}; channels go first with "
            f"data_format='channels_first'. Received input shape {tuple(shape)} "
            f"(rank {len(shape)})."
        )


def check_rgb(shape, data_format, owner):
    """Raises a ``ShapeError`` unless images of ``shape`` have 3 channels (unknown passes)."""
    channels = shape[channel_axis(len(shape), data_format)]
    if channels is not None and channels != 3:
        raise ShapeError(
            f"{owner}: images must have 3 channels (RGB) on the channel axis of "
            f"data_format={data_format!r}. Received input shape {tuple(shape)}."
        )


def channel_axis(ndim, data_format):
    return ndim - 1 if data_format == "channels_last" else ndim - 3


def as_nhwc(images, data_format):
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


def float_dtype(dtype):
    """``dtype`` if floating, else the default float (Keras's ``result_type(dtype, float)``)."""
    return dtype if jnp.issubdtype(dtype, jnp.floating) else jnp.result_type(float)


# --------------------------------------------------------------------- sampling
def projective_coordinates(transform, height, width):
    """Input ``(rows, cols)`` read by each output pixel under an 8-number transform."""
    y, x = jnp.meshgrid(jnp.arange(height, dtype=jnp.float32),
                        jnp.arange(width, dtype=jnp.float32), indexing="ij")
    a0, a1, a2, b0, b1, b2, c0, c1 = (transform[i] for i in range(8))
    k = c0 * x + c1 * y + 1.0
    return (b0 * x + b1 * y + b2) / k, (a0 * x + a1 * y + a2) / k


def sample(image, rows, cols, order, fill_mode, fill_value):
    """``image`` ``(H, W, C)`` read at ``(rows, cols)``, one channel at a time."""
    read = functools.partial(ndimage.map_coordinates, coordinates=[rows, cols], order=order,
                             mode=fill_mode, cval=fill_value)
    return jax.vmap(read, in_axes=-1, out_axes=-1)(image)


def projective(images, transforms, order, fill_mode, fill_value, data_format):
    """Resamples images through ``(batch, 8)`` (or ``(8,)``) projective transforms."""
    x, restore = as_nhwc(images, data_format)
    transforms = jnp.asarray(transforms, jnp.float32)
    if transforms.ndim == 1:
        transforms = transforms[None]
    transforms = jnp.broadcast_to(transforms, (x.shape[0], 8))
    height, width = x.shape[1], x.shape[2]

    def one(image, transform):
        rows, cols = projective_coordinates(transform, height, width)
        return sample(image, rows, cols, order, fill_mode, fill_value)

    out = jax.vmap(one)(x, transforms)
    return restore(out.astype(images.dtype))


# --------------------------------------------------------------------- filters
def gaussian_1d(size, sigma, dtype):
    """A normalized Gaussian window of ``size`` taps (``sigma`` may be traced)."""
    x = jnp.arange(size, dtype=dtype) - jnp.asarray((size - 1) / 2, dtype)
    window = jnp.exp(-0.5 * jnp.square(x / sigma))
    return window / jnp.sum(window)


def depthwise(x, kernel, padding):
    """``x`` ``(N, H, W, C)`` convolved channel by channel with one ``(kh, kw)`` kernel."""
    channels = x.shape[-1]
    kernel = jnp.broadcast_to(kernel.astype(x.dtype)[:, :, None, None],
                              kernel.shape + (1, channels))
    return jax.lax.conv_general_dilated(
        x, kernel, window_strides=(1, 1), padding=padding,
        dimension_numbers=("NHWC", "HWIO", "NHWC"), feature_group_count=channels)


# --------------------------------------------------------------------- seeds
def seed_key(seed, who, traced):
    """A JAX key from an ``elastic_transform``-style ``seed``.

    An int ``s`` becomes the raw key ``[s, 0]`` that Keras's JAX backend draws
    from; a JAX key is used as given; an object with ``next()`` (a seed
    generator) is asked for its next key.  ``None`` draws a fresh seed eagerly
    (as Keras's global generator does) and is an error under tracing, where it
    would be baked into the compiled program.
    """
    if seed is not None and hasattr(seed, "next") and not isinstance(seed, jax.Array):
        seed = seed.next()
    if seed is None:
        if traced:
            raise KeyRequiredError(
                f"{who}: under jax.jit pass `seed`: an int or a key, e.g. "
                f"seed=jax.random.key(0). Received: seed=None."
            )
        seed = random.randint(1, 10**9)
    if isinstance(seed, int) and not isinstance(seed, bool):
        return jnp.asarray([seed & 0xFFFFFFFF, 0], jnp.uint32)
    if isinstance(seed, jax.Array):
        return seed
    raise ConfigTypeError(
        f"{who}: `seed` must be an int, a jax.random.key or None. Received: seed={seed!r}."
    )


# --------------------------------------------------------------------- resizing
def aspect_crop_box(height, width, target_height, target_width):
    """``(top, left, crop_height, crop_width)``: the largest centered box of the target's aspect."""
    crop_h = max(min(height, int(float(width * target_height) / target_width)), 1)
    crop_w = max(min(width, int(float(height * target_width) / target_height)), 1)
    return int(float(height - crop_h) / 2), int(float(width - crop_w) / 2), crop_h, crop_w


def _saturate_cast(x, dtype):
    info = jnp.iinfo(dtype)
    return jnp.clip(jnp.round(x), info.min, info.max).astype(dtype)


def resize(images, size, interpolation, antialias, crop_to_aspect_ratio, pad_to_aspect_ratio,
           fill_value, data_format):
    """The checked-argument core of ``ops.image.resize``.

    Integer images are resized in float32, rounded and clipped back to their dtype.
    """
    height, width = int(size[0]), int(size[1])
    in_dtype = images.dtype
    x, restore = as_nhwc(images, data_format)
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
