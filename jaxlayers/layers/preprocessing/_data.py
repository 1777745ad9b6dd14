"""Base of the augmentation layers that take images alone or a dict of data.

The input is an image array (rank 4, or rank 3 for one image) or, as in
Keras, a dict with ``"images"`` and optionally ``"labels"``,
``"bounding_boxes"`` (``{"boxes": (batch, n, 4), "labels": (batch, n)}``,
dense) and ``"segmentation_masks"``; a dict comes back with the same keys.

A call draws one transformation from the layer's key
(:meth:`get_random_transformation`, a pure function of the key and the
images' shape) and applies it to every entry with the ``transform_*``
methods, which also accept the transformation dict a Keras layer draws: the
tests apply Keras's own draws through both.
"""

import jax.numpy as jnp

from jaxlayers.core import args as _args
from jaxlayers.errors import ConfigError, DataError
from jaxlayers.layers.preprocessing import _common
from jaxlayers.layers.preprocessing.image import ImageLayer, draw_transformation

__all__ = ["DataLayer"]

_KEYS = ("images", "labels", "bounding_boxes", "segmentation_masks")


class DataLayer(ImageLayer):
    """Images or ``{"images", "labels", "bounding_boxes", "segmentation_masks"}`` in and out.

    Subclasses set ``random`` (draws need a key, in training only) and
    ``applies_at_inference`` (the transformation also runs with
    ``training=False``), and override :meth:`get_random_transformation` and
    the ``transform_*`` methods they change.  Images come out in the compute
    dtype.
    """

    random = True
    applies_at_inference = False

    def __init__(self, seed=None, data_format=None, bounding_box_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        who = _common.owner(self)
        self.seed = _args.seed(who, seed)
        if bounding_box_format is not None and not isinstance(bounding_box_format, str):
            raise ConfigError(
                f"{who}: `bounding_box_format` must be a string such as 'xyxy' or None. "
                f"Received: bounding_box_format={bounding_box_format!r}."
            )
        self.bounding_box_format = bounding_box_format

    # ------------------------------------------------------------------ checks
    def _images_of(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(_KEYS))
            if "images" not in data or unknown:
                raise DataError(
                    f"{_common.owner(self)}: a dict input needs an 'images' entry and may "
                    f"also hold {_KEYS[1:]}. Received keys: {sorted(data)}."
                )
            return data["images"]
        return data

    def build(self, input_shape):
        self._check_shape(self._images_of(input_shape))

    # ------------------------------------------------------------------ call
    def call(self, data, training=False):
        images = jnp.asarray(self._images_of(data))
        self._check_shape(images.shape)
        batched = images.ndim == 4
        if not batched:
            images = images[None]
        active = training or self.applies_at_inference
        transformation = None
        if active:
            transformation = self._draw(self.next_key() if self.random else None,
                                        images.shape[0], images)
        out_images = self.transform_images(images, transformation, active)
        if not isinstance(data, dict):
            return out_images if batched else out_images[0]
        out = dict(data)
        out["images"] = out_images if batched else out_images[0]
        if "labels" in data:
            labels = self._per_image_entry(data, "labels", images, batched)
            labels = self.transform_labels(labels, transformation, active)
            out["labels"] = labels if batched else labels[0]
        if "bounding_boxes" in data:
            out["bounding_boxes"] = self._boxes(data["bounding_boxes"], batched,
                                                transformation, active)
        if "segmentation_masks" in data:
            masks = self._per_image_entry(data, "segmentation_masks", images, batched)
            masks = self.transform_segmentation_masks(masks, transformation, active)
            out["segmentation_masks"] = masks if batched else masks[0]
        return out

    def _per_image_entry(self, data, name, images, batched):
        """``data[name]`` batched, checked to hold one entry per image."""
        value = jnp.asarray(data[name])
        value = value if batched else value[None]
        if value.ndim == 0 or value.shape[0] != images.shape[0]:
            raise DataError(
                f"{_common.owner(self)}: '{name}' must hold one entry per image, a leading "
                f"axis of {images.shape[0]} like 'images' (none for one image). Received "
                f"shapes: images={tuple(jnp.shape(data['images']))}, "
                f"{name}={tuple(jnp.shape(data[name]))}."
            )
        return value

    def _boxes(self, boxes, batched, transformation, training):
        who = _common.owner(self)
        if not self.bounding_box_format:
            raise ConfigError(
                f"{who}: the input has 'bounding_boxes', so the layer needs a "
                f"`bounding_box_format`, e.g. bounding_box_format='xyxy'. Received: "
                f"bounding_box_format=None."
            )
        if not isinstance(boxes, dict) or set(boxes) != {"boxes", "labels"}:
            raise DataError(
                f"{who}: 'bounding_boxes' must be a dict with exactly the keys 'boxes' and "
                f"'labels'. Received: {boxes if not isinstance(boxes, dict) else sorted(boxes)}."
            )
        boxes = {k: jnp.asarray(v) for k, v in boxes.items()}
        if not batched:
            boxes = {k: v[None] for k, v in boxes.items()}
        if boxes["boxes"].ndim != 3 or boxes["boxes"].shape[-1] != 4 \
                or boxes["labels"].shape != boxes["boxes"].shape[:2]:
            raise DataError(
                f"{who}: bounding boxes must be dense, 'boxes' of shape (batch, n, 4) and "
                f"'labels' of shape (batch, n) (one image: (n, 4) and (n,)). Received "
                f"shapes: boxes={tuple(boxes['boxes'].shape)}, "
                f"labels={tuple(boxes['labels'].shape)}."
            )
        boxes = self.transform_bounding_boxes(boxes, transformation, training)
        return boxes if batched else {k: v[0] for k, v in boxes.items()}

    # ------------------------------------------------------------------ overridables
    def get_random_transformation(self, data, training=True, seed=None):
        """The random parameters for ``data`` (a batch or one image, or a dict), from key ``seed``.

        ``seed=None`` uses the layer's key, which exists only inside ``apply``;
        ``None`` comes back out of training and from layers that draw nothing.
        """
        if not self.random:
            return None
        return draw_transformation(self, self._images_of(data), training, seed)

    def _draw(self, key, batch_size, images):
        """The random parameters of one call on batched ``images`` (``None``: none)."""

    def transform_images(self, images, transformation, training=True):
        """Batched images, transformed when ``training`` (the flag of an active call)."""
        return images.astype(self.compute_dtype)

    def transform_labels(self, labels, transformation, training=True):
        return labels

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return bounding_boxes

    def transform_segmentation_masks(self, segmentation_masks, transformation,
                                     training=True):
        return segmentation_masks

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        if self.random:
            config["seed"] = self.seed
        if self.bounding_box_format is not None:
            config["bounding_box_format"] = self.bounding_box_format
        return config
