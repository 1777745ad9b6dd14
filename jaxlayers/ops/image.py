"""Keras 3's ``keras.ops.image``: the image ops, over ``jax.image``, ``jax.lax`` and
``jax.scipy.ndimage``.

Images are ``(batch, height, width, channels)`` (``channels_last``) or
``(batch, channels, height, width)`` (``channels_first``); a rank-3 array is
one image.  ``data_format=None`` means the global ``image_data_format()``.
Every op works on NumPy inputs eagerly and under ``jax.jit``.

Geometric ops use Keras's 8-number projective form
``[a0, a1, a2, b0, b1, b2, c0, c1]``, which maps an OUTPUT pixel ``(x, y)``
(column, row) to the INPUT point it is read from::

    k = c0 * x + c1 * y + 1
    x_in = (a0 * x + a1 * y + a2) / k
    y_in = (b0 * x + b1 * y + b2) / k

Points outside the image follow ``fill_mode``: ``'reflect'``
``(d c b a | a b c d | d c b a)``, ``'wrap'`` ``(a b c d | a b c d | a b c d)``,
``'nearest'`` ``(a a a a | a b c d | d d d d)``, ``'mirror'``
``(d c b | a b c d | c b a)`` or ``'constant'`` (``fill_value``).

Example:
    >>> from jaxlayers.ops import image
    >>> x = jnp.arange(9.0).reshape(1, 3, 3, 1)
    >>> shift_right = jnp.array([1.0, 0, -1, 0, 1, 0, 0, 0])
    >>> image.affine_transform(x, shift_right)[0, :, :, 0].tolist()
    [[0.0, 0.0, 1.0], [0.0, 3.0, 4.0], [0.0, 6.0, 7.0]]
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy import ndimage

from jaxlayers.errors import ConfigError, ConfigTypeError, DataError, ShapeError
from jaxlayers.ops import _augment as augment
from jaxlayers.ops import _image

__all__ = [
    "affine_transform",
    "crop_images",
    "elastic_transform",
    "extract_patches",
    "extract_patches_3d",
    "gaussian_blur",
    "hsv_to_rgb",
    "map_coordinates",
    "pad_images",
    "perspective_transform",
    "resize",
    "rgb_to_grayscale",
    "rgb_to_hsv",
    "scale_and_translate",
    "sobel_edges",
    "ssim",
]


def _images(images, who, ranks=(3, 4)):
    images = jnp.asarray(images)
    _image.check_image_shape(images.shape, f"ops.{who}", ranks)
    return images


def _float_images(images, who):
    images = _images(images, who)
    if not jnp.issubdtype(images.dtype, jnp.floating):
        raise DataError(
            f"ops.{who}: `images` must be a float array (scale integer images to [0, 1] "
            f"first). Received: images.dtype={images.dtype}."
        )
    return images


def _three_channels(images, data_format, who):
    channels = images.shape[_image.channel_axis(images.ndim, data_format)]
    if channels != 3:
        raise ShapeError(
            f"ops.{who}: `images` must have 3 channels (RGB or HSV) on the channel axis of "
            f"data_format={data_format!r}. Received: images.shape={tuple(images.shape)}."
        )


# --------------------------------------------------------------------- color
def rgb_to_grayscale(images, data_format=None):
    """Luma ``0.2989 R + 0.5870 G + 0.1140 B`` as one channel (ITU-R 601).

    Args:
        images: RGB (3 channels) or already gray (1 channel, returned as is).
        data_format: ``'channels_last'`` or ``'channels_first'``.

    Returns:
        One-channel images in the input's dtype (integers are truncated).

    Example:
        >>> jl.ops.image.rgb_to_grayscale(jnp.ones((2, 2, 3))).shape
        (2, 2, 1)
    """
    data_format = _image.data_format(data_format, "ops.rgb_to_grayscale")
    images = _images(images, "rgb_to_grayscale")
    axis = _image.channel_axis(images.ndim, data_format)
    if images.shape[axis] not in (1, 3):
        raise ShapeError(
            f"ops.rgb_to_grayscale: `images` must have 3 (RGB) or 1 (gray) channels. "
            f"Received: images.shape={tuple(images.shape)}."
        )
    if images.shape[axis] == 1:
        return images
    return augment.grayscale(images, axis)


def rgb_to_hsv(images, data_format=None):
    """RGB to HSV, all three in ``[0, 1]`` for RGB in ``[0, 1]`` (hue in turns).

    Args:
        images: Image batch ``(batch, height, width, channels)`` (or channels first, or
            unbatched).
        data_format: ``'channels_last'`` or ``'channels_first'``; ``None`` reads
            ``jl.config.image_data_format()``.

    Example:
        >>> jl.ops.image.rgb_to_hsv(jnp.array([[[1.0, 0.0, 0.0]]])).tolist()
        [[[0.0, 1.0, 1.0]]]
    """
    data_format = _image.data_format(data_format, "ops.rgb_to_hsv")
    images = _float_images(images, "rgb_to_hsv")
    _three_channels(images, data_format, "rgb_to_hsv")
    return augment.rgb_to_hsv(images, _image.channel_axis(images.ndim, data_format))


def hsv_to_rgb(images, data_format=None):
    """HSV (hue in turns) to RGB; the inverse of :func:`rgb_to_hsv`.

    Args:
        images: Image batch ``(batch, height, width, channels)`` (or channels first, or
            unbatched).
        data_format: ``'channels_last'`` or ``'channels_first'``; ``None`` reads
            ``jl.config.image_data_format()``.

    Example:
        >>> jl.ops.image.hsv_to_rgb(jnp.array([[[0.0, 1.0, 1.0]]])).tolist()
        [[[1.0, 0.0, 0.0]]]
    """
    data_format = _image.data_format(data_format, "ops.hsv_to_rgb")
    images = _float_images(images, "hsv_to_rgb")
    _three_channels(images, data_format, "hsv_to_rgb")
    return augment.hsv_to_rgb(images, _image.channel_axis(images.ndim, data_format))


# --------------------------------------------------------------------- resizing
def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    """Resizes images to ``size = (height, width)`` with ``jax.image.resize``.

    Args:
        images: Images of rank 3 or 4.
        size: ``(height, width)``, positive.
        interpolation: ``'bilinear'``, ``'nearest'``, ``'bicubic'``,
            ``'lanczos3'`` or ``'lanczos5'``.
        antialias: Low-pass filter when downsampling.
        crop_to_aspect_ratio: First crop the largest centered box with the
            target's aspect ratio (no distortion).
        pad_to_aspect_ratio: First pad both sides with ``fill_value`` to the
            target's aspect ratio (no distortion).
        fill_mode: Only ``'constant'``.
        fill_value: Padding value for ``pad_to_aspect_ratio``.
        data_format: ``'channels_last'`` or ``'channels_first'``.

    Returns:
        Resized images; integer images are rounded and clipped back to their dtype.

    Example:
        >>> jl.ops.image.resize(jnp.ones((2, 4, 4, 3)), (2, 2)).shape
        (2, 2, 2, 3)
    """
    who = "ops.resize"
    data_format = _image.data_format(data_format, who)
    if (not isinstance(size, (tuple, list)) or len(size) != 2
            or not all(isinstance(s, (int, np.integer)) and s > 0 for s in size)):
        raise ConfigError(
            f"{who}: `size` must be a pair of positive ints (height, width). "
            f"Received: size={size!r}."
        )
    _image.one_of(who, "interpolation", interpolation, _image.RESIZE_INTERPOLATIONS)
    _image.one_of(who, "fill_mode", fill_mode, ("constant",))
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ConfigError(
            f"{who}: set only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio`."
        )
    images = _images(images, "resize")
    return _image.resize(images, size, interpolation, antialias, crop_to_aspect_ratio,
                         pad_to_aspect_ratio, fill_value, data_format)


def _edges(who, names, before, after, size, extent, grow):
    """Solves ``before + inner + after = outer`` along one axis from two given values.

    Padding (``grow``): ``inner`` is the image ``extent`` and ``outer`` the
    target ``size``; cropping: ``outer`` is the image and ``inner`` the target.
    Returns ``(before, after, size)``; what is given is checked as Keras does.
    """
    if [before, after, size].count(None) != 1:
        raise ConfigError(
            f"{who}: give exactly two of `{names[0]}`, `{names[1]}` and `{names[2]}`. "
            f"Received: {names[0]}={before!r}, {names[1]}={after!r}, {names[2]}={size!r}."
        )
    for name, value in zip(names, (before, after, size)):
        if value is not None and (not isinstance(value, (int, np.integer)) or value < 0):
            raise ConfigError(
                f"{who}: `{name}` must be a non-negative int. Received: {name}={value!r}."
            )
    inner, outer = (extent, size) if grow else (size, extent)
    if outer is None:
        outer = before + inner + after
    elif inner is None:
        inner = outer - before - after
    elif before is None:
        before = outer - inner - after
    after = outer - inner - before
    for name, value in zip(names, (before, after, outer if grow else inner)):
        if value < 0:
            raise ConfigError(
                f"{who}: `{name}` must be >= 0 for images of {extent} pixels along this "
                f"axis. Received: {name}={value}."
            )
    return before, after, outer if grow else inner


def _edge_plan(who, images, data_format, vertical, horizontal, grow):
    """``((top, bottom, height), (left, right, width))`` for pad_images / crop_images."""
    data_format = _image.data_format(data_format, who)
    images = _images(images, who.split(".")[1])
    height, width = augment.image_size(images.shape, data_format)
    kind = "padding" if grow else "cropping"
    rows = _edges(who, (f"top_{kind}", f"bottom_{kind}", "target_height"), *vertical,
                  height, grow)
    cols = _edges(who, (f"left_{kind}", f"right_{kind}", "target_width"), *horizontal,
                  width, grow)
    return images, data_format, rows, cols


def pad_images(images, top_padding=None, left_padding=None, bottom_padding=None,
               right_padding=None, target_height=None, target_width=None, data_format=None):
    """Pads images with zeros; per axis give two of the two paddings and the target size.

    Args:
        images: Array ``(batch, height, width, channels)`` or unbatched (or channels first).
        top_padding: Zero rows added at the top.
        left_padding: Zero columns added at the left.
        bottom_padding: Zero rows added at the bottom.
        right_padding: Zero columns added at the right.
        target_height: Height of the result (instead of ``bottom_padding``).
        target_width: Width of the result (instead of ``right_padding``).
        data_format: ``'channels_last'`` or ``'channels_first'``; ``None`` reads the global
            setting.

    Example:
        >>> jl.ops.image.pad_images(jnp.ones((2, 2, 1)), 1, 0, target_height=4,
        ...                         target_width=3).shape
        (4, 3, 1)
    """
    images, data_format, rows, cols = _edge_plan(
        "ops.pad_images", images, data_format, (top_padding, bottom_padding, target_height),
        (left_padding, right_padding, target_width), grow=True)
    pads = [(0, 0)] * images.ndim
    h_axis = images.ndim - 3 if data_format == "channels_last" else images.ndim - 2
    pads[h_axis], pads[h_axis + 1] = rows[:2], cols[:2]
    return jnp.pad(images, pads)


def crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None,
                right_cropping=None, target_height=None, target_width=None, data_format=None):
    """Crops images; per axis give two of the two croppings and the target size.

    Args:
        images: Array ``(batch, height, width, channels)`` or unbatched (or channels first).
        top_cropping: Rows removed at the top.
        left_cropping: Columns removed at the left.
        bottom_cropping: Rows removed at the bottom.
        right_cropping: Columns removed at the right.
        target_height: Height of the result (instead of ``bottom_cropping``).
        target_width: Width of the result (instead of ``right_cropping``).
        data_format: ``'channels_last'`` or ``'channels_first'``; ``None`` reads the global
            setting.

    Example:
        >>> jl.ops.image.crop_images(jnp.ones((4, 5, 1)), 1, 1, target_height=2,
        ...                          target_width=3).shape
        (2, 3, 1)
    """
    images, data_format, rows, cols = _edge_plan(
        "ops.crop_images", images, data_format, (top_cropping, bottom_cropping, target_height),
        (left_cropping, right_cropping, target_width), grow=False)
    return augment.crop(images, rows[0], cols[0], rows[2], cols[2], data_format)


# --------------------------------------------------------------------- geometry
def _sampler_args(who, interpolation, fill_mode):
    _image.one_of(who, "interpolation", interpolation, tuple(_image.ORDERS))
    _image.one_of(who, "fill_mode", fill_mode, _image.SAMPLER_FILL_MODES)
    return _image.ORDERS[interpolation]


def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant",
                     fill_value=0, data_format=None):
    """Resamples images through projective transforms (see the module docstring).

    Args:
        images: Images of rank 3 or 4.
        transform: ``(8,)`` or ``(batch, 8)``, one per image.
        interpolation: ``'bilinear'`` or ``'nearest'``.
        fill_mode: ``'constant'``, ``'nearest'``, ``'wrap'``, ``'mirror'`` or ``'reflect'``.
        fill_value: Value outside the image with ``fill_mode='constant'``.
        data_format: ``'channels_last'`` or ``'channels_first'``.

    Returns:
        Images of the input's shape and dtype.

    Example:
        ``[a0, a1, a2, b0, b1, b2, c0, c1]`` maps each output pixel ``(x, y)``
        to the input pixel ``(a0*x + a1*y + a2, b0*x + b1*y + b2)`` (here
        divided by 1): ``a2 = 1`` reads one column to the right, so the image
        moves left and the last column is filled with zeros.

        >>> image = np.arange(9.0).reshape(1, 3, 3, 1)
        >>> shift = [1, 0, 1, 0, 1, 0, 0, 0]
        >>> affine_transform(image, shift)[0, :, :, 0].tolist()
        [[1.0, 2.0, 0.0], [4.0, 5.0, 0.0], [7.0, 8.0, 0.0]]
    """
    who = "ops.affine_transform"
    data_format = _image.data_format(data_format, who)
    order = _sampler_args(who, interpolation, fill_mode)
    images = _images(images, "affine_transform")
    transform = jnp.asarray(transform)
    if transform.ndim not in (1, 2) or transform.shape[-1] != 8:
        raise ShapeError(
            f"{who}: `transform` must have shape (8,) or (batch, 8). Received: "
            f"transform.shape={tuple(transform.shape)}."
        )
    return _image.projective(images, transform, order, fill_mode, fill_value, data_format)


def _check_points(who, name, points):
    if points.ndim not in (2, 3) or points.shape[-2:] != (4, 2):
        raise ShapeError(
            f"{who}: `{name}` must have shape (4, 2) or (batch, 4, 2). Received: "
            f"{name}.shape={tuple(points.shape)}."
        )


def perspective_transform(images, start_points, end_points, interpolation="bilinear",
                          fill_value=0, data_format=None):
    """Warps images so that the four ``start_points`` land on the ``end_points``.

    Args:
        images: Images of rank 3 or 4.
        start_points, end_points: ``(4, 2)`` or ``(batch, 4, 2)`` ``(x, y)``
            corners (top-left, top-right, bottom-left, bottom-right).
        interpolation: ``'bilinear'`` or ``'nearest'``.
        fill_value: Value outside the input image.
        data_format: ``'channels_last'`` or ``'channels_first'``.

    Example:
        >>> corners = jnp.array([[0.0, 0], [3, 0], [0, 3], [3, 3]])
        >>> x = jnp.ones((4, 4, 1))
        >>> bool(jnp.allclose(jl.ops.image.perspective_transform(x, corners, corners), x))
        True
    """
    who = "ops.perspective_transform"
    data_format = _image.data_format(data_format, who)
    order = _sampler_args(who, interpolation, "constant")
    images = _images(images, "perspective_transform")
    start_points, end_points = jnp.asarray(start_points), jnp.asarray(end_points)
    _check_points(who, "start_points", start_points)
    _check_points(who, "end_points", end_points)
    if start_points.shape != end_points.shape:
        raise ShapeError(
            f"{who}: `start_points` and `end_points` must have the same shape. Received: "
            f"start_points.shape={tuple(start_points.shape)}, "
            f"end_points.shape={tuple(end_points.shape)}."
        )
    transforms = augment.homography(start_points, end_points)
    return _image.projective(images, transforms, order, "constant", fill_value, data_format)


def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0):
    """``inputs`` read at ``coordinates`` (one row of indices per input axis).

    Args:
        inputs: Array of any rank ``n``.
        coordinates: ``(n, ...)`` fractional indices.
        order: ``0`` (nearest) or ``1`` (linear).
        fill_mode: ``'constant'``, ``'nearest'``, ``'wrap'``, ``'mirror'`` or ``'reflect'``.
        fill_value: Value outside ``inputs`` with ``fill_mode='constant'``.

    Example:
        >>> jl.ops.image.map_coordinates(jnp.arange(4.0), jnp.array([[0.5, 2.0]]), 1).tolist()
        [0.5, 2.0]
    """
    who = "ops.map_coordinates"
    inputs = jnp.asarray(inputs)
    coords = coordinates if isinstance(coordinates, (list, tuple)) else jnp.asarray(coordinates)
    n_rows = len(coords)
    if jnp.ndim(coords[0]) < 1 and not isinstance(coords, (list, tuple)):
        raise ShapeError(
            f"{who}: `coordinates` must have rank >= 2 (one row per input axis). Received: "
            f"coordinates.shape={tuple(jnp.shape(coords))}."
        )
    if n_rows != inputs.ndim:
        raise ShapeError(
            f"{who}: `coordinates` must have one row per axis of `inputs` ({inputs.ndim}). "
            f"Received: {n_rows} rows."
        )
    _image.one_of(who, "order", order, (0, 1))
    _image.one_of(who, "fill_mode", fill_mode, _image.SAMPLER_FILL_MODES)
    return ndimage.map_coordinates(inputs, [jnp.asarray(c) for c in coords], order, fill_mode,
                                   fill_value)


def scale_and_translate(images, output_shape, scale, translation, spatial_dims, method,
                        antialias=True):
    """``jax.image.scale_and_translate``: resample ``spatial_dims`` by ``scale`` then shift.

    Args:
        images: Input array.
        output_shape: Tuple of ints, the result's full shape.
        scale: Array, one scale per axis of ``spatial_dims``.
        translation: Array, one translation per axis of ``spatial_dims``.
        spatial_dims: Tuple of the axes resampled.
        method: Interpolation: ``'linear'``, ``'cubic'``, ``'lanczos3'``, ...
        antialias: Whether to filter when downsampling.

    Example:
        >>> x = jnp.arange(4.0).reshape(1, 4)
        >>> jl.ops.image.scale_and_translate(x, (1, 4), jnp.array([1.0]), jnp.array([1.0]),
        ...                                  (1,), "linear").tolist()
        [[0.0, 0.0, 1.0, 2.0]]
    """
    _image.one_of("ops.scale_and_translate", "method", method,
                  _image.SCALE_AND_TRANSLATE_METHODS)
    return jax.image.scale_and_translate(jnp.asarray(images), tuple(output_shape),
                                         tuple(spatial_dims), jnp.asarray(scale),
                                         jnp.asarray(translation), method, antialias)


# --------------------------------------------------------------------- filters
def _pair(who, name, value, cast):
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return cast(value[0]), cast(value[1])
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return cast(value), cast(value)
    raise ConfigError(f"{who}: `{name}` must be a number or a pair. Received: {name}={value!r}.")


def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """Blurs each channel with a Gaussian kernel (zero padding, same size out).

    Args:
        images: Images of rank 3 or 4.
        kernel_size: ``(height, width)`` of the kernel, positive ints.
        sigma: ``(along height, along width)`` standard deviations (numbers or arrays).
        data_format: ``'channels_last'`` or ``'channels_first'``.

    Keras 3.15's JAX code applies ``kernel_size[0]`` and ``sigma[0]`` along
    the width (its documentation says height); this follows the documentation.

    Example:
        >>> x = jnp.zeros((5, 5, 1)).at[2, 2, 0].set(1.0)
        >>> float(jl.ops.image.gaussian_blur(x, (3, 3), (1.0, 1.0)).sum())
        1.0
    """
    who = "ops.gaussian_blur"
    data_format = _image.data_format(data_format, who)
    kh, kw = _pair(who, "kernel_size", kernel_size, int)
    if kh <= 0 or kw <= 0:
        raise ConfigError(
            f"{who}: `kernel_size` must be positive. Received: kernel_size={kernel_size!r}."
        )
    if not isinstance(sigma, (tuple, list)):
        sigma = jnp.asarray(sigma)
        sigma = (sigma, sigma) if sigma.ndim == 0 else (sigma[0], sigma[1])
    images = _images(images, "gaussian_blur")
    return augment.gaussian_blur(images, (kh, kw), sigma, data_format)


def sobel_edges(images, data_format=None):
    """Sobel gradients of each channel: ``(..., 2)`` holding ``(d/drow, d/dcolumn)``.

    Args:
        images: Image batch ``(batch, height, width, channels)`` (or channels first, or
            unbatched).
        data_format: ``'channels_last'`` or ``'channels_first'``; ``None`` reads
            ``jl.config.image_data_format()``.

    Example:
        >>> ramp = jnp.tile(jnp.arange(4.0), (1, 4, 1))[..., None]
        >>> jl.ops.image.sobel_edges(ramp)[0, 1, 1, 0].tolist()
        [0.0, 8.0]
    """
    data_format = _image.data_format(data_format, "ops.sobel_edges")
    images = _images(images, "sobel_edges", ranks=(4,))
    x, restore = _image.as_nhwc(images, data_format)
    smooth, diff = jnp.array([1.0, 2.0, 1.0]), jnp.array([-1.0, 0.0, 1.0])
    d_rows = _image.depthwise(x, jnp.outer(diff, smooth), "SAME")
    d_cols = _image.depthwise(x, jnp.outer(smooth, diff), "SAME")
    return jnp.stack([restore(d_rows), restore(d_cols)], axis=-1)


def ssim(image1, image2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03,
         data_format=None):
    """Structural similarity of two images (or batches), averaged over pixels and channels.

    Statistics are Gaussian-weighted (``filter_size`` taps, ``filter_sigma``)
    over valid windows only.

    Args:
        image1: Image batch ``(batch, height, width, channels)`` (or channels first).
        image2: Image batch of the same shape.
        max_val: Dynamic range of the pixel values.
        filter_size: Int, the Gaussian window size.
        filter_sigma: Float, the Gaussian's width.
        k1: Float stability constant of the luminance term.
        k2: Float stability constant of the contrast term.
        data_format: ``'channels_last'`` or ``'channels_first'``; ``None`` reads the global
            setting.

    Example:
        >>> x = jax.random.uniform(jax.random.key(0), (16, 16, 1))
        >>> round(float(jl.ops.image.ssim(x, x)), 4)
        1.0
    """
    who = "ops.ssim"
    data_format = _image.data_format(data_format, who)
    image1, image2 = _images(image1, "ssim"), _images(image2, "ssim")
    if image1.shape != image2.shape:
        raise ShapeError(
            f"{who}: `image1` and `image2` must have the same shape. Received: "
            f"{tuple(image1.shape)} and {tuple(image2.shape)}."
        )
    in_dtype = image1.dtype
    dtype = _image.float_dtype(in_dtype)
    a, _ = _image.as_nhwc(image1.astype(dtype), data_format)
    b, _ = _image.as_nhwc(image2.astype(dtype), data_format)
    window = _image.gaussian_1d(filter_size, filter_sigma, dtype)
    kernel = jnp.outer(window, window)

    def mean(v):
        return _image.depthwise(v, kernel, "VALID")

    mu_a, mu_b = mean(a), mean(b)
    var_a = mean(a * a) - mu_a * mu_a
    var_b = mean(b * b) - mu_b * mu_b
    cov = mean(a * b) - mu_a * mu_b
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    value = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)
             / ((mu_a * mu_a + mu_b * mu_b + c1) * (var_a + var_b + c2)))
    out = jnp.mean(value, axis=(1, 2, 3))
    out = out[0] if image1.ndim == 3 else out
    return out.astype(in_dtype)


def elastic_transform(images, alpha=20.0, sigma=5.0, interpolation="bilinear",
                      fill_mode="reflect", fill_value=0.0, seed=None, data_format=None):
    """Displaces pixels along smooth random fields (Simard et al., 2003).

    Two fields of standard normal noise times ``sigma`` are blurred with a
    Gaussian of ``sigma`` (``int(6 * sigma) | 1`` taps), scaled by ``alpha``
    and added to each pixel's coordinates.

    Args:
        images: Images of rank 3 or 4.
        alpha: Displacement scale, in pixels.
        sigma: Smoothness of the fields (a Python number).
        interpolation: ``'bilinear'`` or ``'nearest'``.
        fill_mode, fill_value: Outside the image (see the module docstring).
        seed: An int (Keras's raw key ``[seed, 0]``), a ``jax.random.key``, or
            ``None`` (a fresh seed; not allowed under ``jax.jit``).
        data_format: ``'channels_last'`` or ``'channels_first'``.

    Keras 3.15 draws both fields from one key, so it only ever displaces
    along the diagonal; the vertical field here comes from the key folded
    with 1, the horizontal one from the key itself (as Keras's).

    Example:
        >>> y = jl.ops.image.elastic_transform(jnp.ones((8, 8, 1)), seed=jax.random.key(0))
        >>> y.shape
        (8, 8, 1)
    """
    who = "ops.elastic_transform"
    data_format = _image.data_format(data_format, who)
    order = _sampler_args(who, interpolation, fill_mode)
    images = _images(images, "elastic_transform")
    if not isinstance(sigma, (int, float, np.integer, np.floating)) or isinstance(sigma, bool):
        raise ConfigTypeError(
            f"{who}: `sigma` must be a Python number (it sets the kernel size). "
            f"Received: sigma={sigma!r}."
        )
    key = _image.seed_key(seed, who, isinstance(images, jax.core.Tracer))
    x, restore = _image.as_nhwc(images, data_format)
    noise = augment.elastic_noise(key, x.shape[:3], _image.float_dtype(images.dtype))
    out = augment.elastic_displace(x, noise, alpha, sigma, int(6 * sigma) | 1, order,
                                   fill_mode, fill_value)
    return restore(out)


# --------------------------------------------------------------------- patches
def _patches(images, size, strides, dilation_rate, padding, data_format, rank, who):
    padding = _image.one_of(who, "padding", str(padding).lower(), ("valid", "same"))
    size = (size,) * rank if isinstance(size, (int, np.integer)) else tuple(size)
    strides = size if not strides else strides
    strides = (strides,) * rank if isinstance(strides, (int, np.integer)) else tuple(strides)
    dilation = ((dilation_rate,) * rank if isinstance(dilation_rate, (int, np.integer))
                else tuple(dilation_rate))
    if len(strides) != rank or len(dilation) != rank:
        raise ConfigError(
            f"{who}: `strides` and `dilation_rate` must be ints or tuples of {rank}. Received: "
            f"strides={strides!r}, dilation_rate={dilation_rate!r}."
        )
    images = jnp.asarray(images)
    if images.ndim not in (rank + 1, rank + 2):
        raise ShapeError(
            f"{who}: `images` must have rank {rank + 1} (one) or {rank + 2} (a batch) for "
            f"{rank}D patches. Received: images.shape={tuple(images.shape)}."
        )
    x = images[None] if images.ndim == rank + 1 else images
    if data_format == "channels_last":
        x = jnp.moveaxis(x, -1, 1)
    spatial = "DHW"[3 - rank:]
    numbers = ("NC" + spatial, "OI" + spatial, "NC" + spatial)
    out = jax.lax.conv_general_dilated_patches(
        x, size, strides, padding.upper(), rhs_dilation=dilation, dimension_numbers=numbers)
    # Features come out channel-major; Keras orders them (*window, channel).
    channels, window = x.shape[1], math.prod(size)
    out = out.reshape((out.shape[0], channels, window) + out.shape[2:])
    out = jnp.swapaxes(out, 1, 2).reshape((out.shape[0], channels * window) + out.shape[3:])
    if data_format == "channels_last":
        out = jnp.moveaxis(out, 1, -1)
    return out[0] if images.ndim == rank + 1 else out


def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid",
                    data_format=None):
    """Patches of images (``size`` of 2) or volumes (``size`` of 3), flattened into channels.

    Args:
        images: ``(N, H, W, C)`` / ``(H, W, C)`` for 2D patches, ``(N, D, H, W, C)``
            / ``(D, H, W, C)`` for 3D (channels first with ``data_format``).
        size: Patch size: an int (2D) or a tuple of 2 or 3 ints.
        strides: Step between patches; ``None`` means ``size`` (no overlap).
        dilation_rate: Spacing of the pixels inside a patch.
        padding: ``'valid'`` or ``'same'``.
        data_format: ``'channels_last'`` or ``'channels_first'``.

    Returns:
        ``(..., patch_rows, patch_cols, size[0] * size[1] * C)``, each patch's
        pixels in row-major order with channels innermost.

    Example:
        >>> jl.ops.image.extract_patches(jnp.ones((2, 20, 20, 3)), (5, 5)).shape
        (2, 4, 4, 75)
    """
    who = "ops.extract_patches"
    if not isinstance(size, (int, np.integer)):
        if not isinstance(size, (tuple, list)):
            raise ConfigTypeError(
                f"{who}: `size` must be an int or a tuple. Received: size={size!r}."
            )
        if len(size) not in (2, 3):
            raise ConfigError(
                f"{who}: `size` must be an int or a tuple of 2 or 3 ints. Received: "
                f"size={size!r}."
            )
    rank = 3 if not isinstance(size, (int, np.integer)) and len(size) == 3 else 2
    data_format = _image.data_format(data_format, who)
    return _patches(images, size, strides, dilation_rate, padding, data_format, rank, who)


def extract_patches_3d(volumes, size, strides=None, dilation_rate=1, padding="valid",
                       data_format=None):
    """3D patches of volumes, flattened into channels (see :func:`extract_patches`).

    Args:
        volumes: Array ``(batch, depth, height, width, channels)`` or unbatched (or channels
            first).
        size: Int or triple, the patch size.
        strides: Int or triple; ``None`` means ``size``.
        dilation_rate: Int or triple, spacing of the patch taps.
        padding: ``'valid'`` or ``'same'``.
        data_format: ``'channels_last'`` or ``'channels_first'``; ``None`` reads the global
            setting.

    Example:
        >>> jl.ops.image.extract_patches_3d(jnp.ones((10, 10, 10, 3)), (3, 3, 3)).shape
        (3, 3, 3, 81)
    """
    who = "ops.extract_patches_3d"
    if not isinstance(size, (int, np.integer)) and (
            not isinstance(size, (tuple, list)) or len(size) != 3):
        raise ConfigError(
            f"{who}: `size` must be an int or a tuple of 3 ints. Received: size={size!r}."
        )
    data_format = _image.data_format(data_format, who)
    return _patches(volumes, size, strides, dilation_rate, padding, data_format, 3, who)
