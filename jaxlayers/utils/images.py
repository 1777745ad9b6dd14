"""Image files and arrays: ``load_img``, ``save_img``, ``img_to_array``, ``array_to_img``.

Pillow is an optional dependency (``pip install pillow``, or the
``jaxlayers[image]`` extra); every function here that needs it says so
clearly when it is missing.
"""

import io
import os
import pathlib
import warnings

import numpy as np

from jaxlayers import backend
from jaxlayers.errors import ConfigError, ConfigTypeError, ShapeError

COLOR_MODES = {"rgb": "RGB", "rgba": "RGBA", "grayscale": "L"}
# Pillow images already in a grayscale mode (8, 16 or 32 bit) are kept as they are.
_GRAY_MODES = ("L", "I;16", "I")


def pil_image():
    """The ``PIL.Image`` module, or an ``ImportError`` saying how to install Pillow."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(
            "Reading and writing images needs Pillow, which is not installed. Install it with "
            "`pip install pillow` (or `pip install jaxlayers[image]`)."
        ) from None
    return Image


def _resampling(interpolation):
    image = pil_image()
    methods = {"nearest": "NEAREST", "bilinear": "BILINEAR", "bicubic": "BICUBIC",
               "hamming": "HAMMING", "box": "BOX", "lanczos": "LANCZOS"}
    if interpolation not in methods:
        raise ConfigError(
            f"load_img: `interpolation` must be one of {sorted(methods)}. "
            f"Received: interpolation={interpolation!r}."
        )
    return getattr(image.Resampling, methods[interpolation])


def convert_mode(img, color_mode, owner="load_img"):
    """``img`` converted to ``color_mode`` (``'rgb'``, ``'rgba'`` or ``'grayscale'``)."""
    if color_mode not in COLOR_MODES:
        raise ConfigError(
            f"{owner}: `color_mode` must be one of {sorted(COLOR_MODES)}. "
            f"Received: color_mode={color_mode!r}."
        )
    mode = COLOR_MODES[color_mode]
    if mode == "L" and img.mode in _GRAY_MODES:
        return img
    return img if img.mode == mode else img.convert(mode)


def open_image(path, owner="load_img"):
    """A loaded Pillow image from a path or a binary file object (the file is closed after)."""
    image = pil_image()
    if isinstance(path, io.IOBase):
        img = image.open(path)
        img.load()
        return img
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise ConfigTypeError(
            f"{owner}: `path` must be a path or a binary file object. Received: "
            f"{type(path).__name__}."
        )
    with open(path, "rb") as f:
        img = image.open(io.BytesIO(f.read()))
        img.load()
    return img


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest",
             keep_aspect_ratio=False):
    """Loads an image file as a Pillow image.

    Args:
        path: Path, or a binary file object.
        color_mode: ``'rgb'``, ``'rgba'`` or ``'grayscale'``.
        target_size: ``None`` (original size) or ``(height, width)``.
        interpolation: Pillow resampling when resizing: ``'nearest'``,
            ``'bilinear'``, ``'bicubic'``, ``'lanczos'``, ``'box'`` or ``'hamming'``.
        keep_aspect_ratio: Crop the largest centered box with the target's
            aspect ratio before resizing (no distortion).

    Returns:
        A ``PIL.Image.Image``; ``img_to_array(img)`` gives its array.

    Example:
        >>> save_img("red.png", np.full((4, 6, 3), [255, 0, 0], "uint8"))
        >>> image = load_img("red.png", target_size=(2, 3))
        >>> image.size, image.getpixel((0, 0))
        ((3, 2), (255, 0, 0))
    """
    img = convert_mode(open_image(path), color_mode)
    if target_size is None:
        return img
    width_height = (int(target_size[1]), int(target_size[0]))
    if img.size == width_height:
        return img
    resample = _resampling(interpolation)
    if not keep_aspect_ratio:
        return img.resize(width_height, resample)
    width, height = img.size
    crop_h = min(height, width * width_height[1] // width_height[0])
    crop_w = min(width, height * width_height[0] // width_height[1])
    top, left = (height - crop_h) // 2, (width - crop_w) // 2
    return img.resize(width_height, resample, box=(left, top, left + crop_w, top + crop_h))


def img_to_array(img, data_format=None, dtype=None):
    """A Pillow image (or array) as a rank-3 array: ``(height, width, channels)``.

    Args:
        img: A Pillow image.
        data_format: ``'channels_last'`` or ``'channels_first'`` (default: the
            global setting).
        dtype: Output dtype (default ``backend.floatx()``).

    Example:
        >>> img_to_array(np.zeros((2, 3), np.uint8)).shape
        (2, 3, 1)
    """
    data_format = backend.standardize_data_format(data_format, owner="img_to_array")
    x = np.asarray(img, dtype=dtype or backend.floatx())
    if x.ndim == 2:
        x = x[..., None]
    elif x.ndim != 3:
        raise ShapeError(
            f"img_to_array: expected an image of rank 2 or 3. Received shape {x.shape}."
        )
    return np.transpose(x, (2, 0, 1)) if data_format == "channels_first" else x


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A rank-3 array ``(height, width, channels)`` as a Pillow image.

    Args:
        x: Array with 1 (grayscale), 3 (RGB) or 4 (RGBA) channels.
        data_format: ``'channels_last'`` or ``'channels_first'`` (default: the
            global setting).
        scale: Rescale values to span ``[0, 255]`` first.
        dtype: Dtype used for the rescaling (default ``backend.floatx()``).

    Example:
        >>> image = array_to_img(np.ones((2, 3, 1)))
        >>> image.size, image.mode
        ((3, 2), 'L')
    """
    image = pil_image()
    data_format = backend.standardize_data_format(data_format, owner="array_to_img")
    x = np.array(x, dtype=dtype or backend.floatx())
    if x.ndim != 3:
        raise ShapeError(
            f"array_to_img: expected one image of rank 3 (height, width, channels). Received "
            f"shape {x.shape}."
        )
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        top = np.max(x)
        if top != 0:
            x = x / top
        x = x * 255
    channels = x.shape[2]
    if channels in (3, 4):
        return image.fromarray(x.astype(np.uint8), "RGB" if channels == 3 else "RGBA")
    if channels == 1:
        if np.max(x) > 255:  # beyond 8 bits: Pillow's 32-bit integer grayscale
            return image.fromarray(x[:, :, 0].astype(np.int32), "I")
        return image.fromarray(x[:, :, 0].astype(np.uint8), "L")
    raise ShapeError(
        f"array_to_img: expected 1, 3 or 4 channels. Received shape {x.shape} "
        f"({channels} channels, data_format={data_format!r})."
    )


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Saves an image array to a file (format from the extension or ``file_format``).

    Args:
        path: Path or binary file object.
        x: Rank-3 image array.
        data_format: ``'channels_last'`` or ``'channels_first'``.
        file_format: Format name (``'png'``, ``'jpeg'``...); required for a file object.
        scale: Rescale values to span ``[0, 255]``.
        **kwargs: Passed to ``PIL.Image.Image.save``.

    Example:
        >>> save_img("gray.png", np.zeros((4, 6, 1)))
        >>> load_img("gray.png", color_mode="grayscale").size
        (6, 4)
    """
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower() or None
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("save_img: JPEG cannot store an alpha channel; saving as RGB.",
                      UserWarning, stacklevel=2)
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


__all__ = ["load_img", "save_img", "img_to_array", "array_to_img"]
