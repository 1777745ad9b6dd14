"""Augmentation across images and of boxes: CutMix, MixUp, RandomErasing,
MaxNumBoundingBoxes, and Pipeline (layers applied in turn).

Inputs are images or a dict of data (see ``_data``).  CutMix and MixUp mix
each image with another image of the batch (a random permutation), and mix
the ``"labels"`` of a dict input by the same weights, so labels should be
one-hot or soft.  Draws come from the key given to ``apply`` (folded with
the layer's path), in training only; the math is in
:mod:`jaxlayers.ops._tone_mix`.
"""

import jax
import jax.numpy as jnp

from jaxlayers.core import args as _args
from jaxlayers.core.layer import Layer
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError, ConfigTypeError, DataError, ShapeError
from jaxlayers.layers._sublayers import deserialize_layer, serialize_layer
from jaxlayers.layers.preprocessing import _common
from jaxlayers.layers.preprocessing._data import DataLayer
from jaxlayers.layers.preprocessing.augmentation import _range, _value_range
from jaxlayers.ops import _augment as augment
from jaxlayers.ops import _tone_mix as aug

__all__ = ["CutMix", "MixUp", "RandomErasing", "MaxNumBoundingBoxes", "Pipeline"]


def _take(x, order):
    return jnp.take(x, jnp.asarray(order), axis=0)


def _box_corners(key, size, lengths, batch, dtype):
    """``(start, end)`` of boxes of ``lengths`` placed uniformly inside ``[0, size]``."""
    start = jax.random.uniform(key, (batch,), dtype) * (size - lengths)
    return start, start + lengths


class _MixingLayer(DataLayer):
    """Images and labels mixed with a permutation of the batch by per-image weights."""

    def _size(self, images):
        return augment.image_size(images.shape, self.data_format)

    def transform_labels(self, labels, transformation, training=True):
        if not training:
            return labels
        weights = jnp.reshape(jnp.asarray(transformation["mix_weight"]), (-1,))
        return aug.mix(labels, _take(labels, transformation["permutation_order"]), weights)


@register_builtin("layers")
class CutMix(_MixingLayer):
    """Pastes a random box of another image of the batch into each image.

    Each image draws a weight ``w ~ Beta(a, a)`` (``a`` uniform in ``factor``'s
    range, one per call) and gets a box of side fractions ``sqrt(1 - w)`` at a
    uniform position, filled from the image a random permutation pairs it
    with.  Labels are mixed by the share of the image kept outside the box.
    Yun et al., 2019, https://arxiv.org/abs/1905.04899.

    Args:
        factor: ``f`` in ``[0, 1]`` for ``a`` in ``[0, f]``, or ``(low, high)``.
        seed: Kept for Keras compatibility (draws come from the key).
        data_format: ``'channels_last'`` or ``'channels_first'``.

    The transformation is ``{"permutation_order", "batch_masks", "mix_weight"}``.

    Example:
        >>> layer = jl.layers.CutMix()
        >>> data = {"images": jnp.ones((4, 8, 8, 3)), "labels": jnp.eye(4)}
        >>> out, _ = layer.apply({}, {}, data, training=True, key=jax.random.key(0))
        >>> out["labels"].sum(axis=-1).round(5).tolist()
        [1.0, 1.0, 1.0, 1.0]
    """

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _range(_common.owner(self), "factor", factor, low=0.0, high=1.0)

    def _draw(self, key, batch_size, images):
        k_alpha, k_weight, k_x, k_y, k_order = jax.random.split(key, 5)
        batch, dtype = images.shape[0], self.compute_dtype
        height, width = self._size(images)
        # The small offset keeps Beta's parameter positive for factor 0.
        alpha = jax.random.uniform(k_alpha, (), dtype, self.factor[0], self.factor[1]) + 1e-6
        weight = jax.random.beta(k_weight, alpha, alpha, (batch,), dtype)
        ratio = jnp.sqrt(1.0 - weight)
        x0, x1 = _box_corners(k_x, width, ratio * width, batch, dtype)
        y0, y1 = _box_corners(k_y, height, ratio * height, batch, dtype)
        masks = aug.box_masks(height, width, x0, x1, y0, y1, self.data_format, dtype)
        return {
            "permutation_order": jax.random.permutation(k_order, batch),
            "batch_masks": masks,
            # The share of each image outside its box (the box may be fractional).
            "mix_weight": 1.0 - (x1 - x0) * (y1 - y0) / (width * height),
        }

    def transform_images(self, images, transformation, training=True):
        images = images.astype(self.compute_dtype)
        if not training:
            return images
        pasted = _take(images, transformation["permutation_order"])
        return jnp.where(transformation["batch_masks"], pasted, images)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training:
            return bounding_boxes
        raise DataError(
            f"{_common.owner(self)} cannot transform bounding boxes (a pasted box cuts "
            f"through the boxes of both images). Pass images, labels and segmentation "
            f"masks only."
        )

    def transform_segmentation_masks(self, segmentation_masks, transformation,
                                     training=True):
        return self.transform_images(segmentation_masks, transformation, training)

    def get_config(self):
        config = super().get_config()
        config["factor"] = self.factor
        return config


@register_builtin("layers")
class MixUp(_MixingLayer):
    """Blends each image with another image of the batch: ``w * x + (1 - w) * x[perm]``.

    ``w ~ Beta(alpha, alpha)`` per image, ``perm`` a random permutation of
    the batch; labels and segmentation masks are blended with the same
    weights, bounding boxes of both images are kept (concatenated along the
    box axis).  Zhang et al., 2017, https://arxiv.org/abs/1710.09412.

    Args:
        alpha: Positive float, the Beta distribution's parameter.
        data_format: ``'channels_last'`` or ``'channels_first'``.
        seed: Kept for Keras compatibility (draws come from the key).

    The transformation is ``{"mix_weight", "permutation_order"}``.

    Example:
        >>> layer = jl.layers.MixUp(alpha=0.2)
        >>> data = {"images": jnp.ones((4, 8, 8, 3)), "labels": jnp.eye(4)}
        >>> out, _ = layer.apply({}, {}, data, training=True, key=jax.random.key(0))
        >>> out["images"].shape, out["labels"].shape
        ((4, 8, 8, 3), (4, 4))
    """

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        alpha = _args.non_negative_float(_common.owner(self), "alpha", alpha)
        if alpha == 0:
            raise ConfigError(
                f"{_common.owner(self)}: `alpha` must be a positive float. Received: "
                f"alpha={alpha!r}."
            )
        self.alpha = alpha

    def _draw(self, key, batch_size, images):
        k_order, k_weight = jax.random.split(key)
        batch = images.shape[0]
        return {
            "mix_weight": jax.random.beta(k_weight, self.alpha, self.alpha, (batch,),
                                          self.compute_dtype),
            "permutation_order": jax.random.permutation(k_order, batch),
        }

    def transform_images(self, images, transformation, training=True):
        images = images.astype(self.compute_dtype)
        if not training:
            return images
        return self.transform_labels(images, transformation, training)

    def transform_segmentation_masks(self, segmentation_masks, transformation,
                                     training=True):
        return self.transform_labels(segmentation_masks, transformation, training)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training:
            return bounding_boxes
        order = transformation["permutation_order"]
        return {k: jnp.concatenate([v, _take(v, order)], axis=1)
                for k, v in bounding_boxes.items()}

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


@register_builtin("layers")
class RandomErasing(DataLayer):
    """Fills a random box of each image with noise or a constant, with a random probability.

    Each image draws a box whose sides are ``sqrt(s)`` times the image's
    width and height (one ``s`` each, uniform in ``scale``) at a uniform
    position, and is erased with probability ``p`` drawn from ``factor``'s range.
    Zhong et al., 2017, https://arxiv.org/abs/1708.04896.

    Args:
        factor: ``f`` in ``[0, 1]`` for ``p`` in ``[0, f]``, or ``(low, high)``.
        scale: ``s`` in ``[0, 1]`` for ``[0, s]``, or ``(low, high)``: the
            fractions of each side's square.
        fill_value: ``None`` for Gaussian noise times ``value_range[1]``, a
            number, or one number per channel (3); clipped to ``value_range``.
        value_range: ``(low, high)`` of the pixel values.
        seed: Kept for Keras compatibility (draws come from the key).
        data_format: ``'channels_last'`` or ``'channels_first'``.

    The transformation is ``{"apply_erasing", "batch_masks", "fill_value"}``.

    Example:
        >>> layer = jl.layers.RandomErasing(factor=(1.0, 1.0), fill_value=0,
        ...                                 value_range=(0, 1))
        >>> y, _ = layer.apply({}, {}, jnp.ones((2, 8, 8, 1)), training=True,
        ...                    key=jax.random.key(0))
        >>> bool((y.min(axis=(1, 2, 3)) == 0).all())
        True
    """

    def __init__(self, factor=1.0, scale=(0.02, 0.33), fill_value=None,
                 value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        who = _common.owner(self)
        self.factor = _range(who, "factor", factor, low=0.0, high=1.0)
        self.scale = _range(who, "scale", scale, low=0.0, high=1.0)
        if isinstance(fill_value, (list, tuple)):
            _args.finite_floats(who, "fill_value", fill_value)
            if len(fill_value) != 3:
                raise ConfigError(
                    f"{who}: `fill_value` must be None, a number or a list of 3 numbers "
                    f"(one per channel). Received: fill_value={fill_value!r}."
                )
            fill_value = [float(v) for v in fill_value]
        elif fill_value is not None:
            fill_value = _args.finite_float(who, "fill_value", fill_value)
        self.fill_value = fill_value
        self.value_range = _value_range(who, value_range)

    def _draw(self, key, batch_size, images):
        k_scale, k_x, k_y, k_prob, k_draw, k_fill = jax.random.split(key, 6)
        batch, dtype = images.shape[0], self.compute_dtype
        height, width = augment.image_size(images.shape, self.data_format)
        sides = jnp.sqrt(jax.random.uniform(k_scale, (batch, 2), dtype, *self.scale))
        x0, x1 = _box_corners(k_x, width, sides[:, 0] * width, batch, dtype)
        y0, y1 = _box_corners(k_y, height, sides[:, 1] * height, batch, dtype)
        probability = jax.random.uniform(k_prob, (batch,), dtype, *self.factor)
        low, high = self.value_range
        if self.fill_value is None:
            fill = jax.random.normal(k_fill, images.shape, dtype) * high
        elif isinstance(self.fill_value, list):
            axis = 1 if self.data_format == "channels_first" else 3
            if images.shape[axis] != 3:
                raise ShapeError(
                    f"{_common.owner(self)}: a `fill_value` of 3 numbers fills 3 channels. "
                    f"Received input shape {tuple(images.shape)}."
                )
            shape = [1, 1, 1, 1]
            shape[axis] = 3
            fill = jnp.broadcast_to(jnp.reshape(jnp.asarray(self.fill_value, dtype), shape),
                                    images.shape)
        else:
            fill = jnp.full(images.shape, self.fill_value, dtype)
        return {
            "apply_erasing": jax.random.uniform(k_draw, (batch,)) < probability,
            "batch_masks": aug.box_masks(height, width, x0, x1, y0, y1, self.data_format,
                                         dtype),
            "fill_value": jnp.clip(fill, low, high),
        }

    def transform_images(self, images, transformation, training=True):
        images = images.astype(self.compute_dtype)
        if not training:
            return images
        erase = transformation["batch_masks"] & aug.per_image(
            transformation["apply_erasing"], 4)
        return jnp.where(erase, jnp.asarray(transformation["fill_value"], images.dtype),
                         images)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "scale": self.scale,
                       "fill_value": self.fill_value, "value_range": self.value_range})
        return config


@register_builtin("layers")
class MaxNumBoundingBoxes(DataLayer):
    """Pads or truncates the bounding boxes of each image to ``max_number``.

    For a dict input with dense ``"bounding_boxes"`` (``boxes (batch, n, 4)``,
    ``labels (batch, n)``): keeps the first ``max_number`` boxes and pads with
    ``fill_value``, so batches of any ``n`` come out with one shape.  Images
    and the other entries pass through unchanged; so does an image array.

    Args:
        max_number: Positive int, the number of boxes per image.
        fill_value: Int written into padded boxes and labels.
        bounding_box_format: The boxes' format (e.g. ``'xyxy'``), needed for
            a dict input with bounding boxes, as in Keras.

    Example:
        >>> layer = jl.layers.MaxNumBoundingBoxes(3, bounding_box_format="xyxy")
        >>> data = {"images": jnp.zeros((1, 4, 4, 3)),
        ...         "bounding_boxes": {"boxes": jnp.ones((1, 1, 4)), "labels": jnp.ones((1, 1))}}
        >>> layer(data)["bounding_boxes"]["labels"].tolist()
        [[1.0, -1.0, -1.0]]
    """

    random = False
    applies_at_inference = True

    def __init__(self, max_number, fill_value=-1, **kwargs):
        super().__init__(**kwargs)
        who = _common.owner(self)
        self.max_number = _args.positive_int(who, "max_number", max_number)
        if not _args.is_int(fill_value):
            raise ConfigTypeError(
                f"{who}: `fill_value` must be an int. Received: fill_value={fill_value!r}."
            )
        self.fill_value = int(fill_value)

    def transform_images(self, images, transformation, training=True):
        return images

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        out = {}
        for name, value in bounding_boxes.items():
            kept = value[:, :self.max_number]
            pad = [(0, 0), (0, self.max_number - kept.shape[1])] + [(0, 0)] * (value.ndim - 2)
            out[name] = jnp.pad(kept, pad, constant_values=self.fill_value)
        return out

    def compute_output_shape(self, input_shape):
        if not (isinstance(input_shape, dict) and "bounding_boxes" in input_shape):
            return input_shape
        boxes = {k: (tuple(v[:1]) + (self.max_number,) + tuple(v[2:]))
                 for k, v in input_shape["bounding_boxes"].items()}
        return {**input_shape, "bounding_boxes": boxes}

    def get_config(self):
        config = super().get_config()
        config.update({"max_number": self.max_number, "fill_value": self.fill_value})
        return config


@register_builtin("layers")
class Pipeline(Layer):
    """Applies ``layers`` in turn, passing ``training`` and masks along.

    Unlike ``Sequential`` it is a layer, not a model: no ``fit``, no input
    shape, and any input structure a layer accepts (a dict of images and
    labels, for instance) flows through.

    Args:
        layers: List of layers.
        name: Name of the layer.

    Example:
        >>> pipeline = jl.layers.Pipeline([jl.layers.AutoContrast(value_range=(0, 1)),
        ...                                jl.layers.Rescaling(2.0)])
        >>> pipeline(jnp.array([0.2, 0.4, 0.6]).reshape(1, 1, 3, 1)).ravel().tolist()
        [0.0, 1.0, 2.0]
    """

    def __init__(self, layers, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if not isinstance(layers, (list, tuple)) or not all(isinstance(x, Layer)
                                                            for x in layers):
            raise ConfigTypeError(
                f"{_common.owner(self)}: `layers` must be a list of layers. Received: "
                f"layers={layers!r}."
            )
        self._pipeline_layers = list(layers)

    @property
    def layers(self):
        return list(self._pipeline_layers)

    @property
    def supports_complex_inputs(self):
        # Complex values pass only where every layer of the pipeline keeps them.
        return all(layer.supports_complex_inputs for layer in self._pipeline_layers)

    def call(self, inputs, training=False, mask=None):
        for layer in self._pipeline_layers:
            inputs, mask = layer.call_with_mask(inputs, mask=mask, training=training)
        self.set_output_mask(mask)
        return inputs

    def compute_output_shape(self, input_shape):
        for layer in self._pipeline_layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["layers"] = [serialize_layer(layer) for layer in self._pipeline_layers]
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise ConfigError(
                f"Pipeline: the config needs `layers`, a list of serialized layers. "
                f"Received: layers={layers!r}."
            )
        config["layers"] = [deserialize_layer(layer, custom_objects) for layer in layers]
        return cls(**config)
