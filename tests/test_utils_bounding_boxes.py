"""``jl.utils.bounding_boxes`` against ``keras.utils.bounding_boxes`` on the same inputs."""

import jax
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers.errors import ConfigError, ShapeError

bb = jl.utils.bounding_boxes
FORMATS = bb.SUPPORTED_FORMATS
H, W = 40, 60


def _boxes(rng, shape):
    """Valid xyxy boxes inside a ``W`` x ``H`` image, some poking out of it."""
    xy = rng.uniform(-5, 35, size=shape + (2,))
    wh = rng.uniform(1, 30, size=shape + (2,))
    return np.concatenate([xy, xy + wh], axis=-1).astype(np.float32)


def _close(ours, theirs):
    theirs = np.asarray(theirs)
    assert np.shape(ours) == theirs.shape
    np.testing.assert_allclose(np.asarray(ours), theirs, rtol=1e-5, atol=1e-4)


def _both(fn, args, kwargs, jit_args=()):
    """``fn`` eagerly, and under ``jax.jit`` with ``jit_args`` (positions) traced."""
    eager = fn(*args, **kwargs)

    def run(*traced):
        full = list(args)
        for i, value in zip(jit_args, traced, strict=True):
            full[i] = value
        return fn(*full, **kwargs)

    jitted = jax.jit(run)(*[args[i] for i in jit_args])
    return eager, jitted


@pytest.mark.parametrize("source", FORMATS)
def test_convert_format_matches_keras_for_every_pair(keras, rng, source):
    boxes = _boxes(rng, (2, 3))
    start = np.asarray(keras.utils.bounding_boxes.convert_format(
        boxes, "xyxy", source, height=H, width=W))
    for target in FORMATS:
        theirs = keras.utils.bounding_boxes.convert_format(start, source, target, height=H,
                                                           width=W)
        ours, jitted = _both(bb.convert_format, (start, source, target),
                             {"height": H, "width": W}, jit_args=(0,))
        _close(ours, theirs)
        _close(jitted, theirs)
        assert ours.dtype == np.float32


def test_convert_format_dict_case_and_errors(keras, rng):
    boxes = _boxes(rng, (3,))
    labels = np.array([1, 2, 3])
    ours = bb.convert_format({"boxes": boxes, "labels": labels}, "XYXY", "Center_YXHW")
    theirs = keras.utils.bounding_boxes.convert_format(
        {"boxes": boxes.copy(), "labels": labels}, "XYXY", "Center_YXHW")
    _close(ours["boxes"], theirs["boxes"])
    assert ours["labels"] is labels
    with pytest.raises(ConfigError, match=r"`source` must be one of .* Received: source='xy'"):
        bb.convert_format(boxes, "xy", "xyxy")
    with pytest.raises(ConfigError, match=r"`height` and `width` are needed"):
        bb.convert_format(boxes, "xyxy", "rel_xyxy", height=H)
    with pytest.raises(ShapeError, match=r"4 coordinates on the last axis.*\(3, 3\)"):
        bb.convert_format(boxes[:, :3], "xyxy", "yxyx")


@pytest.mark.parametrize("batched", [False, True])
def test_crop_pad_clip_match_keras(keras, rng, batched):
    kb = keras.utils.bounding_boxes
    boxes = _boxes(rng, (2, 4) if batched else (4,))
    labels = np.arange(boxes.shape[-2]) + np.zeros(boxes.shape[:-1], int)
    ours, jitted = _both(bb.crop, (boxes, 7, 3, 20, 25), {}, jit_args=(0,))
    theirs = kb.crop(boxes, 7, 3, 20, 25)
    _close(ours, theirs)
    _close(jitted, theirs)
    ours, jitted = _both(bb.pad, (boxes, 4, 9), {}, jit_args=(0,))
    _close(ours, kb.pad(boxes, 4, 9))
    _close(jitted, kb.pad(boxes, 4, 9))
    for fmt, size, scale in (("xyxy", {"height": H, "width": W}, 1.0),
                             ("rel_xyxy", {}, 1.0 / 30)):
        data = {"boxes": boxes * scale, "labels": labels}
        ours = bb.clip_to_image_size(data, bounding_box_format=fmt, **size)
        theirs = kb.clip_to_image_size(dict(data), bounding_box_format=fmt, **size)
        _close(ours["boxes"], theirs["boxes"])
        np.testing.assert_array_equal(ours["labels"], theirs["labels"])
        jitted = jax.jit(lambda d, f=fmt, s=size: bb.clip_to_image_size(
            d, bounding_box_format=f, **s))(data)
        _close(jitted["boxes"], theirs["boxes"])
    # A box wholly outside the image loses its label, as in Keras.
    outside = {"boxes": np.array([[70.0, 50.0, 80.0, 60.0]]), "labels": np.array([5])}
    assert bb.clip_to_image_size(outside, height=H, width=W)["labels"].tolist() == [-1]


def test_geometry_in_other_formats_goes_through_corners(rng):
    boxes = _boxes(rng, (3,))
    for fmt in ("yxyx", "xywh", "center_xywh", "center_yxhw"):
        given = bb.convert_format(boxes, "xyxy", fmt)
        for fn, args in ((bb.crop, (5, 2, 20, 30)), (bb.pad, (5, 2))):
            out = fn(given, *args, bounding_box_format=fmt)
            _close(bb.convert_format(out, fmt, "xyxy"), fn(boxes, *args))
    relative = bb.convert_format(boxes, "xyxy", "rel_yxyx", height=H, width=W)
    clipped = bb.clip_to_image_size({"boxes": relative * 2}, bounding_box_format="rel_yxyx")
    _close(clipped["boxes"], np.clip(relative * 2, 0, 1))
    with pytest.raises(ConfigError, match=r"must be an absolute format.*'rel_xyxy'"):
        bb.crop(boxes, 1, 1, 5, 5, bounding_box_format="rel_xyxy")


def test_affine_transform_matches_keras(keras, rng):
    boxes = _boxes(rng, (2, 3))
    params = [rng.uniform(lo, hi, size=2).astype(np.float32)
              for lo, hi in ((-30, 30), (-0.2, 0.2), (-0.2, 0.2), (0.7, 1.3), (-10, 10),
                             (-10, 10))]
    theirs = keras.utils.bounding_boxes.affine_transform(boxes, *params, height=H, width=W)
    ours, jitted = _both(bb.affine_transform, (boxes, *params), {"height": H, "width": W},
                         jit_args=tuple(range(7)))
    _close(ours, theirs)
    _close(jitted, theirs)
    centered = keras.utils.bounding_boxes.affine_transform(
        boxes, *params, height=H, width=W, center_x=0.3, center_y=0.6)
    _close(bb.affine_transform(boxes, *params, height=H, width=W, center_x=0.3, center_y=0.6),
           centered)
    yxyx = bb.convert_format(boxes, "xyxy", "yxyx")
    out = bb.affine_transform(yxyx, *params, height=H, width=W, bounding_box_format="yxyx")
    _close(bb.convert_format(out, "yxyx", "xyxy"), theirs)
    with pytest.raises(ShapeError, match=r"must be batched.*\(3, 4\)"):
        bb.affine_transform(boxes[0], *params, height=H, width=W)


@pytest.mark.parametrize("fmt,variance", [("xyxy", None), ("center_xywh", [0.1, 0.1, 0.2, 0.2]),
                                          ("rel_yxyx", None)])
def test_encode_decode_deltas_match_keras(keras, rng, fmt, variance):
    kb = keras.utils.bounding_boxes
    image_shape = (H, W, 3)
    anchors = np.asarray(kb.convert_format(_boxes(rng, (4,)), "xyxy", fmt, height=H, width=W))
    boxes = np.asarray(kb.convert_format(_boxes(rng, (2, 4)), "xyxy", fmt, height=H, width=W))
    for encoding in ("center_yxhw", "center_xywh"):
        theirs = kb.encode_box_to_deltas(anchors, boxes, fmt, fmt, encoding, variance,
                                         image_shape)
        ours, jitted = _both(bb.encode_box_to_deltas,
                             (anchors, boxes, fmt, fmt, encoding, variance, image_shape), {},
                             jit_args=(0, 1))
        _close(ours, theirs)
        _close(jitted, theirs)
        back = kb.decode_deltas_to_boxes(anchors, np.asarray(theirs), fmt, "xyxy", encoding,
                                         variance, image_shape)
        ours, jitted = _both(bb.decode_deltas_to_boxes,
                             (anchors, np.asarray(theirs), fmt, "xyxy", encoding, variance,
                              image_shape), {}, jit_args=(0, 1))
        _close(ours, back)
        _close(jitted, back)
    levels = bb.decode_deltas_to_boxes({"p3": anchors}, {"p3": np.zeros((4, 4))}, fmt, fmt,
                                       image_shape=image_shape)
    _close(levels["p3"], anchors)
    with pytest.raises(ShapeError, match=r"`variance` must have 4 values"):
        bb.encode_box_to_deltas(anchors, boxes, fmt, fmt, variance=[1.0, 2.0])
    with pytest.raises(ConfigError, match=r"`encoded_format` must be one of .*'xyxy'"):
        bb.decode_deltas_to_boxes(anchors, boxes, fmt, fmt, encoded_format="xyxy")


@pytest.mark.parametrize("ranks", [(2, 2), (3, 3), (2, 3), (3, 2)])
def test_compute_iou_matches_keras(keras, rng, ranks):
    kb = keras.utils.bounding_boxes
    boxes1 = _boxes(rng, (2, 3) if ranks[0] == 3 else (3,))
    boxes2 = _boxes(rng, (2, 4) if ranks[1] == 3 else (4,))
    boxes2[..., 1, :] = -1.0  # a padding box, for the masked variant
    if ranks[0] != ranks[1]:
        # Keras's mask transposes boxes2 by boxes1's rank and fails on mixed ranks; ours
        # equals the mask of both inputs batched.
        batched = [b if b.ndim == 3 else np.broadcast_to(b, (2,) + b.shape)
                   for b in (boxes1, boxes2)]
        _close(bb.compute_iou(boxes1, boxes2, "xyxy", use_masking=True, mask_val=-2),
               kb.compute_iou(*batched, "xyxy", use_masking=True, mask_val=-2))
    for masking in (False, True):
        if masking and ranks[0] != ranks[1]:
            continue
        theirs = kb.compute_iou(boxes1, boxes2, "xyxy", use_masking=masking, mask_val=-2)
        ours, jitted = _both(bb.compute_iou, (boxes1, boxes2, "xyxy"),
                             {"use_masking": masking, "mask_val": -2}, jit_args=(0, 1))
        _close(ours, theirs)
        _close(jitted, theirs)
    rel1 = np.asarray(kb.convert_format(boxes1, "xyxy", "rel_yxyx", height=H, width=W))
    rel2 = np.asarray(kb.convert_format(boxes2, "xyxy", "rel_yxyx", height=H, width=W))
    _close(bb.compute_iou(rel1, rel2, "rel_yxyx", image_shape=(H, W, 3)),
           kb.compute_iou(rel1, rel2, "rel_yxyx", image_shape=(H, W, 3)))
    with pytest.raises(ConfigError, match=r"`image_shape` must be given"):
        bb.compute_iou(rel1, rel2, "rel_yxyx")
    with pytest.raises(ShapeError, match=r"`boxes1` must be \(N, 4\) or"):
        bb.compute_iou(boxes1[None, None], boxes2, "xyxy")


def test_compute_ciou_matches_keras(keras, rng):
    boxes1, boxes2 = _boxes(rng, (2, 5)), _boxes(rng, (2, 5))
    boxes2[0, 0] = boxes1[0, 0]  # identical boxes: CIoU 1
    for fmt in ("xyxy", "center_yxhw"):
        a = np.asarray(keras.utils.bounding_boxes.convert_format(boxes1, "xyxy", fmt))
        b = np.asarray(keras.utils.bounding_boxes.convert_format(boxes2, "xyxy", fmt))
        theirs = keras.utils.bounding_boxes.compute_ciou(a, b, fmt)
        ours, jitted = _both(bb.compute_ciou, (a, b, fmt), {}, jit_args=(0, 1))
        _close(ours, theirs)
        _close(jitted, theirs)
    np.testing.assert_allclose(ours[0, 0], 1.0, atol=1e-5)
    # Keras refuses relative formats outright; with the image shape they are well defined.
    rel1 = bb.convert_format(boxes1, "xyxy", "rel_xyxy", height=H, width=W)
    rel2 = bb.convert_format(boxes2, "xyxy", "rel_xyxy", height=H, width=W)
    _close(bb.compute_ciou(rel1, rel2, "rel_xyxy", image_shape=(H, W, 3)),
           bb.compute_ciou(boxes1, boxes2, "xyxy"))
    with pytest.raises(ConfigError, match=r"`image_shape` must be given"):
        bb.compute_ciou(rel1, rel2, "rel_xyxy")


_THREE = np.ones((2, 3), np.float32)  # boxes with 3 coordinates
_FOUR = np.ones((2, 4), np.float32)
_ZERO = np.zeros(1, np.float32)


@pytest.mark.parametrize("call,message", [
    (lambda: bb.clip_to_image_size({"boxes": _THREE}, 4, 4),
     r"bounding_boxes.clip_to_image_size: `boxes` must have 4 coordinates .*\(2, 3\)"),
    (lambda: bb.crop(_THREE, 1, 1, 2, 2), r"bounding_boxes.crop: `boxes` must have 4"),
    (lambda: bb.pad(_THREE, 1, 1), r"bounding_boxes.pad: `boxes` must have 4"),
    (lambda: bb.affine_transform(_THREE[None], *[_ZERO] * 3, _ZERO + 1, _ZERO, _ZERO,
                                 height=4, width=4),
     r"bounding_boxes.affine_transform: `boxes` must have 4"),
    (lambda: bb.encode_box_to_deltas(_FOUR, _THREE, "xyxy", "xyxy"),
     r"bounding_boxes.encode_box_to_deltas: `boxes` must have 4"),
    (lambda: bb.decode_deltas_to_boxes(_FOUR, _THREE, "xyxy", "xyxy"),
     r"bounding_boxes.decode_deltas_to_boxes: `boxes_delta` must have 4 .*\(2, 3\)"),
    (lambda: bb.compute_iou(_THREE, _FOUR, "xyxy"),
     r"bounding_boxes.compute_iou: `boxes1` must have 4"),
    (lambda: bb.compute_ciou(_FOUR, _THREE, "xyxy"),
     r"bounding_boxes.compute_ciou: `boxes2` must have 4"),
    (lambda: bb.compute_ciou(np.ones((3, 4)), _FOUR, "xyxy"),
     r"compute_ciou: `boxes1` and `boxes2` must be paired .*\(3, 4\).*\(2, 4\)"),
], ids=["clip", "crop", "pad", "affine", "encode", "decode", "iou", "ciou", "ciou-pairs"])
def test_boxes_without_4_coordinates_are_refused_by_name(call, message):
    # Before: JAX broadcasting errors, or (affine_transform, decode) silent garbage.
    with pytest.raises(ShapeError, match=message):
        call()


def test_the_namespace_is_keras_s(keras):
    names = {n for n in dir(keras.utils.bounding_boxes) if not n.startswith("_")}
    assert names == set(bb.__all__)
