"""``keras.utils.bounding_boxes``: box format conversion, IoU, box deltas and box geometry.

Thin ``jax.numpy`` functions: they take NumPy or JAX arrays, work eagerly and
under ``jax.jit`` (formats and ranks are static Python values), and follow
Keras's argument names and numerics.  Boxes have 4 coordinates on the last
axis, in one of :data:`SUPPORTED_FORMATS` (case-insensitive):

- ``"xyxy"`` ``[left, top, right, bottom]``, ``"yxyx"`` ``[top, left, bottom, right]``,
- ``"xywh"`` ``[left, top, width, height]``,
- ``"center_xywh"`` ``[cx, cy, width, height]``, ``"center_yxhw"`` ``[cy, cx, height, width]``,
- ``"rel_xyxy"``, ``"rel_yxyx"``, ``"rel_xywh"``, ``"rel_center_xywh"``: the same, as
  fractions of the image ``width``/``height``.

Where Keras implements the geometry (``crop``, ``pad``, ``affine_transform``,
``clip_to_image_size``) only for ``"xyxy"`` (or ``"rel_xyxy"``), these accept
the other formats too (``crop`` and ``pad``: the absolute ones): the boxes are
converted to corners and back.

Example:
    >>> boxes = np.array([[10, 20, 30, 40]])
    >>> jl.utils.bounding_boxes.convert_format(boxes, "xyxy", "xywh").tolist()
    [[10.0, 20.0, 20.0, 20.0]]
"""

import math

import jax.numpy as jnp
import numpy as np

from jaxlayers.backend import epsilon
from jaxlayers.errors import ConfigError, ShapeError

SUPPORTED_FORMATS = ("xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw", "rel_xyxy",
                     "rel_yxyx", "rel_xywh", "rel_center_xywh")
_ENCODINGS = ("center_xywh", "center_yxhw")


def _format(owner, arg, value):
    fmt = value.lower() if isinstance(value, str) else value
    if fmt not in SUPPORTED_FORMATS:
        raise ConfigError(
            f"bounding_boxes.{owner}: `{arg}` must be one of {SUPPORTED_FORMATS}. "
            f"Received: {arg}={value!r}."
        )
    return fmt


def _boxes(owner, arg, value):
    """``value`` as an array of boxes ``(..., 4)``, or a ``ShapeError`` naming ``owner``."""
    boxes = jnp.asarray(value)
    if boxes.ndim == 0 or boxes.shape[-1] != 4:
        raise ShapeError(
            f"bounding_boxes.{owner}: `{arg}` must have 4 coordinates on the last "
            f"axis. Received: {arg}.shape={boxes.shape}."
        )
    return boxes


def _corners_to(fmt, x1, y1, x2, y2):
    """Corner coordinates -> the 4 columns of an absolute ``fmt``."""
    w, h = x2 - x1, y2 - y1
    cx, cy = x1 + w / 2.0, y1 + h / 2.0
    return {"xyxy": (x1, y1, x2, y2), "yxyx": (y1, x1, y2, x2), "xywh": (x1, y1, w, h),
            "center_xywh": (cx, cy, w, h), "center_yxhw": (cy, cx, h, w)}[fmt]


def _to_corners(fmt, boxes):
    """The 4 columns of an absolute ``fmt`` -> corner coordinates ``x1, y1, x2, y2``."""
    a, b, c, d = (boxes[..., i:i + 1] for i in range(4))
    if fmt == "xyxy":
        return a, b, c, d
    if fmt == "yxyx":
        return b, a, d, c
    if fmt == "xywh":
        return a, b, a + c, b + d
    if fmt == "center_xywh":
        return a - c / 2.0, b - d / 2.0, a + c / 2.0, b + d / 2.0
    return b - d / 2.0, a - c / 2.0, b + d / 2.0, a + c / 2.0  # center_yxhw


def convert_format(boxes, source, target, height=None, width=None, dtype="float32"):
    """Converts boxes from the ``source`` format to the ``target`` format.

    Args:
        boxes: Boxes ``(..., 4)``, or a dict whose ``"boxes"`` entry holds them
            (a copy of the dict is returned, with the converted boxes).
        source: Format of ``boxes``, one of :data:`SUPPORTED_FORMATS`.
        target: Format of the result.
        height: Image height; needed when exactly one side of the conversion is relative.
        width: Image width; needed likewise.
        dtype: Dtype of the result.

    Returns:
        The converted boxes (``dtype``), same shape.

    Example:
        >>> convert_format(np.array([[0., 0., 10., 20.]]), "xyxy", "rel_xyxy",
        ...                height=40, width=20).tolist()
        [[0.0, 0.0, 0.5, 0.5]]
    """
    if isinstance(boxes, dict):
        return {**boxes, "boxes": convert_format(boxes["boxes"], source, target, height, width,
                                                 dtype)}
    source = _format("convert_format", "source", source)
    target = _format("convert_format", "target", target)
    boxes = _boxes("convert_format", "boxes", boxes)
    relative = source.startswith("rel_"), target.startswith("rel_")
    # Keras asks for the size whenever either side is relative; relative to relative
    # does not use it, so only a change between relative and absolute needs it.
    if relative[0] != relative[1] and (height is None or width is None):
        raise ConfigError(
            f"bounding_boxes.convert_format: `height` and `width` are needed to convert "
            f"between relative and absolute formats. Received: source={source!r}, "
            f"target={target!r}, height={height!r}, width={width!r}."
        )
    boxes = boxes.astype(dtype)
    if source == target:
        return boxes
    if all(relative):  # relative to relative: the image size cancels out
        source, target, relative = source[4:], target[4:], (False, False)
    x1, y1, x2, y2 = _to_corners(source.removeprefix("rel_"), boxes)
    if relative[0]:
        w, h = jnp.asarray(width, dtype), jnp.asarray(height, dtype)
        x1, y1, x2, y2 = x1 * w, y1 * h, x2 * w, y2 * h
    if relative[1]:
        w, h = jnp.asarray(width, dtype), jnp.asarray(height, dtype)
        x1, y1, x2, y2 = x1 / w, y1 / h, x2 / w, y2 / h
    return jnp.concatenate(_corners_to(target.removeprefix("rel_"), x1, y1, x2, y2), axis=-1)


def _corner_format(fmt):
    return "rel_xyxy" if fmt.startswith("rel_") else "xyxy"


def _in_corners(owner, boxes, bounding_box_format, height, width, fn, relative=True):
    """Applies ``fn`` to ``boxes`` seen as corners, and returns them in their own format."""
    fmt = _format(owner, "bounding_box_format", bounding_box_format)
    if not relative and fmt.startswith("rel_"):
        # The offsets are pixels and the image size changes: no one size to be relative to.
        raise ConfigError(
            f"bounding_boxes.{owner}: `bounding_box_format` must be an absolute format; "
            f"convert relative boxes first. Received: bounding_box_format={bounding_box_format!r}."
        )
    boxes = _boxes(owner, "boxes", boxes)
    corners = _corner_format(fmt)
    if fmt == corners:
        return fn(boxes)
    boxes = convert_format(boxes, fmt, corners, height, width)
    return convert_format(fn(boxes), corners, fmt, height, width)


def _area(boxes):
    """Areas ``(...)`` of corner boxes ``(..., 4)`` in ``xyxy`` or ``yxyx`` order."""
    return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])


def clip_to_image_size(bounding_boxes, height=None, width=None, bounding_box_format="xyxy"):
    """Clips boxes to the image; boxes left with no area get the label ``-1``.

    Args:
        bounding_boxes: A dict with ``"boxes"`` ``(N, 4)`` or ``(batch, N, 4)``
            and optionally ``"labels"`` ``(N,)`` or ``(batch, N)``.
        height: Image height (needed for absolute formats).
        width: Image width (needed for absolute formats).
        bounding_box_format: The format of the boxes.

    Returns:
        A copy of the dict with clipped ``"boxes"`` (and updated ``"labels"``).

    Example:
        >>> out = clip_to_image_size({"boxes": np.array([[-5., 2., 8., 30.]]),
        ...                           "labels": np.array([3])}, height=10, width=6)
        >>> out["boxes"].tolist(), out["labels"].tolist()
        ([[0.0, 2.0, 6.0, 10.0]], [3])
    """
    fmt = _format("clip_to_image_size", "bounding_box_format", bounding_box_format)
    if not fmt.startswith("rel_") and (height is None or width is None):
        raise ConfigError(
            f"bounding_boxes.clip_to_image_size: `height` and `width` are needed for the "
            f"absolute format {fmt!r}. Received: height={height!r}, width={width!r}."
        )
    boxes = _boxes("clip_to_image_size", "boxes", bounding_boxes["boxes"])
    corners = boxes if fmt == _corner_format(fmt) else convert_format(
        boxes, fmt, _corner_format(fmt), height, width)
    if fmt.startswith("rel_"):
        high = jnp.asarray([1.0, 1.0, 1.0, 1.0], corners.dtype)
    else:
        high = jnp.asarray([width, height, width, height]).astype(corners.dtype)
    clipped = jnp.clip(corners, jnp.zeros((), corners.dtype), high)
    result = dict(bounding_boxes)
    result["boxes"] = clipped if fmt == _corner_format(fmt) else convert_format(
        clipped, _corner_format(fmt), fmt, height, width)
    if bounding_boxes.get("labels") is not None:
        result["labels"] = jnp.where(_area(clipped) > 0, jnp.asarray(bounding_boxes["labels"]),
                                     -1)
    return result


def crop(boxes, top, left, height, width, bounding_box_format="xyxy"):
    """Moves boxes into a crop of the image at ``(top, left)`` and clips them to its size.

    Args:
        boxes: Boxes ``(N, 4)`` or ``(batch, N, 4)``.
        top: Row of the crop's top-left corner.
        left: Column of the crop's top-left corner.
        height: Height of the crop (``None``: no clipping at the bottom).
        width: Width of the crop (``None``: no clipping at the right).
        bounding_box_format: The format of the boxes (an absolute one).

    Returns:
        The boxes in the crop's coordinates, in ``bounding_box_format``.

    Example:
        >>> crop(np.array([[10., 20., 50., 60.]]), top=10, left=20, height=40,
        ...      width=30).tolist()
        [[0.0, 10.0, 30.0, 40.0]]
    """

    def shift(corners):
        offset = jnp.stack(jnp.broadcast_arrays(left, top, left, top), axis=-1)
        moved = corners - offset.astype(jnp.result_type(corners, offset))
        high_x = None if width is None else jnp.asarray(width, moved.dtype)
        high_y = None if height is None else jnp.asarray(height, moved.dtype)
        x1, y1, x2, y2 = (moved[..., i:i + 1] for i in range(4))
        return jnp.concatenate([jnp.clip(x1, 0, high_x), jnp.clip(y1, 0, high_y),
                                jnp.clip(x2, 0, high_x), jnp.clip(y2, 0, high_y)], axis=-1)

    return _in_corners("crop", boxes, bounding_box_format, height, width, shift, relative=False)


def pad(boxes, top, left, height=None, width=None, bounding_box_format="xyxy"):
    """Moves boxes by ``top``/``left`` pixels, as padding the image there does.

    Args:
        boxes: Boxes ``(N, 4)`` or ``(batch, N, 4)``.
        top: Rows added above the image.
        left: Columns added left of the image.
        height: Image height (unused, as in Keras).
        width: Image width (unused, as in Keras).
        bounding_box_format: The format of the boxes (an absolute one).

    Returns:
        The moved boxes, in ``bounding_box_format``.

    Example:
        >>> pad(np.array([[1., 2., 3., 4.]]), top=10, left=5).tolist()
        [[6.0, 12.0, 8.0, 14.0]]
    """

    def shift(corners):
        offset = jnp.stack(jnp.broadcast_arrays(left, top, left, top), axis=-1)
        return corners + offset.astype(jnp.result_type(corners, offset))

    return _in_corners("pad", boxes, bounding_box_format, height, width, shift, relative=False)


def _inverse_affine_matrix(center_x, center_y, angle, translate_x, translate_y, scale,
                           shear_x, shear_y, height, width):
    """``(batch, 2, 3)``: the rows of the inverse of the image's affine warp."""
    rad = math.pi / 180.0
    rot, sx, sy = -angle * rad, -shear_x * rad, -shear_y * rad
    cx, cy = center_x * (width - 1), center_y * (height - 1)
    tx, ty = -translate_x * (width - 1), -translate_y * (height - 1)
    a = jnp.cos(rot - sy) / jnp.cos(sy)
    b = a * jnp.tan(sx) + jnp.sin(rot)
    c = -jnp.sin(rot - sy) / jnp.cos(sy)
    d = jnp.cos(rot) - c * jnp.tan(sx)
    # Rotation and shear have determinant 1: the inverse is the adjugate, scaled.
    a0, a1, b0, b1 = d * scale, -b * scale, -c * scale, a * scale
    a2 = cx - a0 * (cx + tx) - a1 * (cy + ty)
    b2 = cy - b0 * (cx + tx) - b1 * (cy + ty)
    return jnp.stack([jnp.stack([a0, a1, a2], -1), jnp.stack([b0, b1, b2], -1)], axis=-2)


def affine_transform(boxes, angle, translate_x, translate_y, scale, shear_x, shear_y, height,
                     width, center_x=None, center_y=None, bounding_box_format="xyxy"):
    """The boxes enclosing each box's 4 corners after an affine warp of the image.

    The warp is the one Keras's ``RandomAffine``-style image layers apply:
    per batch entry, rotation ``angle`` and shears in degrees, translations
    and the center as fractions of the image size.

    Args:
        boxes: Boxes ``(batch, N, 4)``.
        angle: Rotation angles ``(batch,)``, degrees.
        translate_x: Horizontal translations ``(batch,)``, fractions of the width.
        translate_y: Vertical translations ``(batch,)``, fractions of the height.
        scale: Scale factors ``(batch,)``.
        shear_x: Horizontal shear angles ``(batch,)``, degrees.
        shear_y: Vertical shear angles ``(batch,)``, degrees.
        height: Image height.
        width: Image width.
        center_x: Center of the warp, fraction of the width (default 0.5).
        center_y: Center of the warp, fraction of the height (default 0.5).
        bounding_box_format: The format of the boxes.

    Returns:
        The transformed boxes ``(batch, N, 4)``, in ``bounding_box_format``.

    Example:
        >>> zero = np.zeros(1, np.float32)
        >>> affine_transform(np.array([[[1., 2., 3., 4.]]]), zero, zero, zero, zero + 1,
        ...                  zero, zero, height=8, width=8).tolist()
        [[[1.0, 2.0, 3.0, 4.0]]]
    """
    boxes = jnp.asarray(boxes)
    if boxes.ndim != 3:
        raise ShapeError(
            f"bounding_boxes.affine_transform: `boxes` must be batched, (batch, N, 4). "
            f"Received: boxes.shape={boxes.shape}."
        )
    angle = jnp.asarray(angle)
    if not jnp.issubdtype(angle.dtype, jnp.floating):
        angle = angle.astype("float32")
    dtype = angle.dtype

    def warp(corners):
        matrix = _inverse_affine_matrix(
            0.5 if center_x is None else center_x, 0.5 if center_y is None else center_y,
            angle, translate_x, translate_y, scale, shear_x, shear_y, height, width)
        matrix = matrix.astype(dtype)
        corners = corners.astype(dtype)
        x1, y1, x2, y2 = (corners[..., i] for i in range(4))
        points = jnp.stack([jnp.stack([x1, y1], -1), jnp.stack([x2, y1], -1),
                            jnp.stack([x2, y2], -1), jnp.stack([x1, y2], -1)], axis=-2)
        moved = jnp.einsum("bnpk,bjk->bnpj", points, matrix[..., :2]) + matrix[:, None, None, :,
                                                                             2]
        return jnp.concatenate([moved.min(axis=2), moved.max(axis=2)], axis=-1)

    return _in_corners("affine_transform", boxes, bounding_box_format, height, width, warp)


def _variance(owner, variance):
    if variance is None:
        return None
    variance = jnp.asarray(variance, "float32")
    if variance.ndim == 0 or variance.shape[-1] != 4:
        raise ShapeError(
            f"bounding_boxes.{owner}: `variance` must have 4 values. "
            f"Received: variance={variance!r}."
        )
    return variance


def _encoding(owner, arg, value):
    if value not in _ENCODINGS:
        raise ConfigError(
            f"bounding_boxes.{owner}: `{arg}` must be one of {_ENCODINGS}. "
            f"Received: {arg}={value!r}."
        )
    return value


def _image_hw(image_shape):
    return (None, None) if image_shape is None else tuple(image_shape)[:2]


def encode_box_to_deltas(anchors, boxes, anchor_format, box_format,
                         encoding_format="center_yxhw", variance=None, image_shape=None):
    """The regression targets of ``boxes`` relative to ``anchors``.

    Both are converted to ``encoding_format`` (a center format); the deltas
    are the center offsets over the anchor size and the log size ratios,
    divided by ``variance`` when given.

    Args:
        anchors: Anchor boxes ``(N, 4)``.
        boxes: Boxes ``(N, 4)`` or ``(batch, N, 4)``.
        anchor_format: The format of ``anchors``.
        box_format: The format of ``boxes``.
        encoding_format: ``"center_yxhw"`` or ``"center_xywh"``.
        variance: 4 scale factors of the deltas, or ``None``.
        image_shape: ``(height, width, channels)``, for relative formats.

    Returns:
        The deltas, shaped like ``boxes``.

    Example:
        >>> anchors = np.array([[0., 0., 10., 10.]])
        >>> encode_box_to_deltas(anchors, anchors, "xyxy", "xyxy").tolist()
        [[0.0, 0.0, 0.0, 0.0]]
    """
    variance = _variance("encode_box_to_deltas", variance)
    encoding_format = _encoding("encode_box_to_deltas", "encoding_format", encoding_format)
    height, width = _image_hw(image_shape)
    anchors = convert_format(_boxes("encode_box_to_deltas", "anchors", anchors),
                             anchor_format, encoding_format, height, width)
    boxes = convert_format(_boxes("encode_box_to_deltas", "boxes", boxes), box_format,
                           encoding_format, height, width)
    anchor_size = jnp.maximum(anchors[..., 2:], epsilon())
    box_size = jnp.maximum(boxes[..., 2:], epsilon())
    deltas = jnp.concatenate([(boxes[..., :2] - anchors[..., :2]) / anchor_size,
                              jnp.log(box_size / anchor_size)], axis=-1)
    return deltas if variance is None else deltas / variance


def decode_deltas_to_boxes(anchors, boxes_delta, anchor_format, box_format,
                           encoded_format="center_yxhw", variance=None, image_shape=None):
    """Boxes from regression deltas relative to ``anchors``: the inverse of the encoding.

    Args:
        anchors: Anchor boxes ``(N, 4)``, or a dict ``{level: anchors}``.
        boxes_delta: Deltas ``(N, 4)`` or ``(batch, N, 4)``, or a dict with
            the same keys as ``anchors``.
        anchor_format: The format of ``anchors``.
        box_format: The format of the returned boxes.
        encoded_format: ``"center_yxhw"`` or ``"center_xywh"``: the format the deltas encode.
        variance: 4 scale factors the deltas were divided by, or ``None``.
        image_shape: ``(height, width, channels)``, for relative formats.

    Returns:
        The boxes in ``box_format`` (a dict by level for dict inputs).

    Example:
        >>> anchors = np.array([[0., 0., 10., 10.]])
        >>> decode_deltas_to_boxes(anchors, np.zeros((1, 4)), "xyxy", "xyxy").tolist()
        [[0.0, 0.0, 10.0, 10.0]]
    """
    variance = _variance("decode_deltas_to_boxes", variance)
    encoded_format = _encoding("decode_deltas_to_boxes", "encoded_format", encoded_format)
    height, width = _image_hw(image_shape)

    def decode(anchor, delta):
        anchor = convert_format(_boxes("decode_deltas_to_boxes", "anchors", anchor),
                                anchor_format, encoded_format, height, width)
        delta = _boxes("decode_deltas_to_boxes", "boxes_delta", delta)
        if variance is not None:
            delta = delta * variance
        boxes = jnp.concatenate([delta[..., :2] * anchor[..., 2:] + anchor[..., :2],
                                 jnp.exp(delta[..., 2:]) * anchor[..., 2:]], axis=-1)
        return convert_format(boxes, encoded_format, box_format, height, width)

    if isinstance(anchors, dict) and isinstance(boxes_delta, dict):
        return {level: decode(anchor, boxes_delta[level]) for level, anchor in anchors.items()}
    return decode(anchors, boxes_delta)


def _rank(owner, arg, boxes):
    if boxes.ndim not in (2, 3):
        raise ShapeError(
            f"bounding_boxes.{owner}: `{arg}` must be (N, 4) or (batch, N, 4). "
            f"Received: {arg}.shape={boxes.shape}."
        )


def _relative_needs_shape(owner, bounding_box_format, image_shape):
    if "rel" in str(bounding_box_format).lower() and image_shape is None:
        raise ConfigError(
            f"bounding_boxes.{owner}: `image_shape` must be given for the relative format "
            f"{bounding_box_format!r}. Received: image_shape=None."
        )


def compute_iou(boxes1, boxes2, bounding_box_format, use_masking=False, mask_val=-1,
                image_shape=None):
    """The IoU of every box of ``boxes1`` with every box of ``boxes2``.

    Args:
        boxes1: Boxes ``(M, 4)`` or ``(batch, M, 4)``.
        boxes2: Boxes ``(N, 4)`` or ``(batch, N, 4)``.
        bounding_box_format: The format of both.
        use_masking: Set pairs where either box has only negative coordinates
            (padding) to ``mask_val``.
        mask_val: The IoU of masked pairs.
        image_shape: ``(height, width, channels)``, for relative formats.

    Returns:
        IoUs ``(M, N)``, or ``(batch, M, N)`` when either input is batched.

    Example:
        >>> box = np.array([[0., 0., 2., 2.]])
        >>> print(compute_iou(box, np.array([[1., 0., 3., 2.]]), "xyxy").round(3))
        [[0.333]]
    """
    boxes1 = _boxes("compute_iou", "boxes1", boxes1)
    boxes2 = _boxes("compute_iou", "boxes2", boxes2)
    _rank("compute_iou", "boxes1", boxes1)
    _rank("compute_iou", "boxes2", boxes2)
    _relative_needs_shape("compute_iou", bounding_box_format, image_shape)
    height, width = _image_hw(image_shape)
    boxes1 = convert_format(boxes1, bounding_box_format, "xyxy", height, width)
    boxes2 = convert_format(boxes2, bounding_box_format, "xyxy", height, width)
    a, b = boxes1[..., :, None, :], boxes2[..., None, :, :]
    low = jnp.maximum(a[..., :2], b[..., :2])
    high = jnp.minimum(a[..., 2:], b[..., 2:])
    overlap = jnp.prod(jnp.maximum(high - low, 0.0), axis=-1)
    union = _area(boxes1)[..., :, None] + _area(boxes2)[..., None, :] - overlap
    iou = overlap / (union + epsilon())
    if not use_masking:
        return iou
    padded = (boxes1.max(axis=-1) < 0)[..., :, None] | (boxes2.max(axis=-1) < 0)[..., None, :]
    return jnp.where(padded, jnp.asarray(mask_val, iou.dtype), iou)


def _broadcastable(a, b):
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


def compute_ciou(boxes1, boxes2, bounding_box_format, image_shape=None):
    """The complete IoU of paired boxes: IoU less center-distance and aspect-ratio penalties.

    Args:
        boxes1: Boxes ``(..., 4)``.
        boxes2: Boxes ``(..., 4)``, paired with ``boxes1`` (broadcast).
        bounding_box_format: The format of both.
        image_shape: ``(height, width, channels)``, for relative formats.

    Returns:
        The CIoU of each pair, shape ``(...)``.

    Example:
        >>> box = np.array([[0., 0., 2., 2.]])
        >>> compute_ciou(box, box, "xyxy").round(3).tolist()
        [1.0]
    """
    boxes1 = _boxes("compute_ciou", "boxes1", boxes1)
    boxes2 = _boxes("compute_ciou", "boxes2", boxes2)
    if not _broadcastable(boxes1.shape, boxes2.shape):
        raise ShapeError(
            f"bounding_boxes.compute_ciou: `boxes1` and `boxes2` must be paired (shapes that "
            f"broadcast). Received: boxes1.shape={boxes1.shape}, boxes2.shape={boxes2.shape}."
        )
    _relative_needs_shape("compute_ciou", bounding_box_format, image_shape)
    height, width = _image_hw(image_shape)
    boxes1 = convert_format(boxes1, bounding_box_format, "xyxy", height, width)
    boxes2 = convert_format(boxes2, bounding_box_format, "xyxy", height, width)
    eps = epsilon()
    x1a, y1a, x2a, y2a = (boxes1[..., i] for i in range(4))
    x1b, y1b, x2b, y2b = (boxes2[..., i] for i in range(4))
    wa, ha = x2a - x1a, y2a - y1a + eps
    wb, hb = x2b - x1b, y2b - y1b + eps
    overlap = (jnp.maximum(jnp.minimum(x2a, x2b) - jnp.maximum(x1a, x1b), 0)
               * jnp.maximum(jnp.minimum(y2a, y2b) - jnp.maximum(y1a, y1b), 0))
    union = wa * ha + wb * hb - overlap + eps
    iou = overlap / (union + eps)
    diagonal = ((jnp.maximum(x2a, x2b) - jnp.minimum(x1a, x1b)) ** 2
                + (jnp.maximum(y2a, y2b) - jnp.minimum(y1a, y1b)) ** 2 + eps)
    centers = ((x1a + x2a) / 2 - (x1b + x2b) / 2) ** 2 + ((y1a + y2a) / 2 - (y1b + y2b) / 2) ** 2
    v = (4 / math.pi ** 2) * (jnp.arctan(wb / hb) - jnp.arctan(wa / ha)) ** 2
    alpha = v / (v - iou + (1 + eps))
    return iou - (centers / diagonal + v * alpha)


__all__ = [
    "affine_transform", "clip_to_image_size", "compute_ciou", "compute_iou", "convert_format",
    "crop", "decode_deltas_to_boxes", "encode_box_to_deltas", "pad",
]
