"""Random geometric augmentation: RandomShear, RandomPerspective, RandomElasticTransform.

Keyed and split into ``get_random_transformation`` / ``transform_images`` as
the layers of :mod:`.color`; outside points follow ``fill_mode`` as in
:mod:`.augmentation`.
"""

import jax
import jax.numpy as jnp

from jaxlayers.core import args as _args
from jaxlayers.core.serialization import register_builtin
from jaxlayers.layers.preprocessing import _common
from jaxlayers.layers.preprocessing.augmentation import _range, _value_range
from jaxlayers.layers.preprocessing.color import TransformLayer, unit_range
from jaxlayers.ops import _augment as augment
from jaxlayers.ops import image as image_ops

__all__ = ["RandomShear", "RandomPerspective", "RandomElasticTransform"]


def _sampling(layer, interpolation, fill_value, fill_modes=None, fill_mode=None):
    """Checks and stores the resampling arguments shared by the geometric layers."""
    who = _common.owner(layer)
    layer.interpolation = _args.one_of(who, "interpolation", interpolation,
                                       tuple(augment.INTERPOLATIONS))
    layer.fill_value = _args.finite_float(who, "fill_value", fill_value)
    if fill_modes is not None:
        layer.fill_mode = _args.one_of(who, "fill_mode", fill_mode, fill_modes)


def _apply_where(flags, new, old):
    return jnp.where(jnp.reshape(flags, (-1, 1, 1, 1)), new, old)


@register_builtin("layers")
class RandomShear(TransformLayer):
    """Shears each image by random factors along x and y.

    Output pixel ``(x, y)`` reads the input at ``(x + s_x * y, y + s_y * x)``;
    ``|s_x|`` is uniform in ``x_factor``'s range (likewise ``s_y``) and both
    flip sign together with probability 1/2.

    Args:
        x_factor: ``f`` in ``[0, 1]`` for ``[-f, f]``, or ``(low, high)`` in ``[-1, 1]``.
        y_factor: Same for the vertical shear.
        interpolation: ``'bilinear'`` or ``'nearest'``.
        fill_mode: ``'reflect'``, ``'wrap'``, ``'constant'`` or ``'nearest'``.
        fill_value: Value outside the image with ``fill_mode='constant'``.
        data_format: ``'channels_last'`` or ``'channels_first'``.
        seed: Kept for Keras compatibility (draws come from the key).

    Example:
        >>> layer = jl.layers.RandomShear(x_factor=0.3, y_factor=0.2)
        >>> layer.apply({}, {}, jnp.ones((2, 6, 6, 3)), training=True,
        ...             key=jax.random.key(0))[0].shape
        (2, 6, 6, 3)
    """

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear",
                 fill_mode="reflect", fill_value=0.0, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        who = _common.owner(self)
        # As Keras: f gives (-f, f) (a random sign makes it the same draw as (0, f)).
        self.x_factor = _range(who, "x_factor", x_factor)
        self.y_factor = _range(who, "y_factor", y_factor)
        _sampling(self, interpolation, fill_value, augment.FILL_MODES, fill_mode)

    def _draw(self, key, batch_size, images):
        k_sign, k_x, k_y = jax.random.split(key, 3)
        sign = jnp.where(jax.random.uniform(k_sign, (batch_size, 1)) > 0.5, -1.0, 1.0)
        shear_x = jax.random.uniform(k_x, (batch_size, 1), minval=self.x_factor[0],
                                     maxval=self.x_factor[1])
        shear_y = jax.random.uniform(k_y, (batch_size, 1), minval=self.y_factor[0],
                                     maxval=self.y_factor[1])
        return {"shear_factor": jnp.concatenate([shear_x, shear_y], axis=1) * sign}

    def _apply(self, x, transformation):
        shear = transformation["shear_factor"]
        transforms = augment.shear_transforms(shear[:, 0], shear[:, 1])
        return image_ops.affine_transform(x, transforms, self.interpolation, self.fill_mode,
                                          self.fill_value, self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update({"x_factor": self.x_factor, "y_factor": self.y_factor,
                       "interpolation": self.interpolation, "fill_mode": self.fill_mode,
                       "fill_value": self.fill_value})
        return config


@register_builtin("layers")
class RandomPerspective(TransformLayer):
    """Warps each image, with a random probability, by moving its corners.

    Each corner ``p`` moves to ``p * (1 + d)`` with ``d`` uniform in
    ``[-scale / 2, scale / 2]`` per coordinate (so the top-left corner stays),
    and the image follows the perspective transform between the two quads.
    Each image is warped when a uniform draw falls below its probability,
    uniform in ``factor``'s range.

    Args:
        factor: Probability range: ``f`` in ``[0, 1]`` for ``[0, f]``, or ``(low, high)``.
        scale: Corner displacement, in ``[0, 1]``.
        interpolation: ``'bilinear'`` or ``'nearest'``.
        fill_value: Value outside the image.
        seed, data_format: As in RandomShear.

    Example:
        >>> layer = jl.layers.RandomPerspective(scale=0.3)
        >>> layer.apply({}, {}, jnp.ones((2, 6, 6, 3)), training=True,
        ...             key=jax.random.key(0))[0].shape
        (2, 6, 6, 3)
    """

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_value=0.0,
                 seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        who = _common.owner(self)
        self.factor = unit_range(who, "factor", factor)
        self.scale = _args.unit_interval(who, "scale", scale)
        _sampling(self, interpolation, fill_value)

    def _draw(self, key, batch_size, images):
        k_prob, k_draw, k_shift = jax.random.split(key, 3)
        height, width = augment.image_size(images.shape, self.data_format)
        probability = jax.random.uniform(k_prob, (batch_size,), minval=self.factor[0],
                                         maxval=self.factor[1])
        shift = jax.random.uniform(k_shift, (batch_size, 4, 2), minval=-0.5 * self.scale,
                                   maxval=0.5 * self.scale)
        corners = jnp.array([[0.0, 0.0], [width - 1, 0.0], [0.0, height - 1],
                             [width - 1, height - 1]])
        start = jnp.broadcast_to(corners, (batch_size, 4, 2))
        return {"apply_perspective": jax.random.uniform(k_draw, (batch_size,)) < probability,
                "start_points": start, "end_points": start + start * shift}

    def _apply(self, x, transformation):
        warped = image_ops.perspective_transform(
            x, transformation["start_points"], transformation["end_points"],
            self.interpolation, self.fill_value, self.data_format)
        return _apply_where(transformation["apply_perspective"], warped, x)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "scale": self.scale,
                       "interpolation": self.interpolation, "fill_value": self.fill_value})
        return config


@register_builtin("layers")
class RandomElasticTransform(TransformLayer):
    """Elastic distortion of each image, with a random probability.

    A distortion ``s`` (uniform in ``scale``'s range, one per batch) sets
    ``alpha = 0.1 * s * max(H, W)`` and ``sigma = 0.05 * s * min(H, W)`` of
    :func:`jaxlayers.ops.image.elastic_transform`; each image is distorted
    when a uniform draw falls below its probability (uniform in ``factor``'s
    range); the output is clipped to ``value_range``.  The Gaussian kernel has
    ``int(6 * sigma) | 1`` taps for the largest ``sigma`` the range allows,
    which is Keras's kernel exactly when ``scale`` is one value.

    Args:
        factor: Probability range: ``f`` in ``[0, 1]`` for ``[0, f]``, or ``(low, high)``.
        scale: Distortion range: ``s`` in ``[0, 1]`` for ``[0, s]``, or ``(low, high)``.
        interpolation: ``'bilinear'`` or ``'nearest'``.
        fill_mode: ``'reflect'``, ``'wrap'``, ``'constant'``, ``'nearest'`` or ``'mirror'``.
        fill_value: Value outside the image with ``fill_mode='constant'``.
        value_range: ``(low, high)`` of the pixel values.
        seed, data_format: As in RandomShear.

    Example:
        >>> layer = jl.layers.RandomElasticTransform(scale=0.5)
        >>> layer.apply({}, {}, jnp.ones((2, 8, 8, 3)), training=True,
        ...             key=jax.random.key(0))[0].shape
        (2, 8, 8, 3)
    """

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_mode="reflect",
                 fill_value=0.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        who = _common.owner(self)
        self.factor = unit_range(who, "factor", factor)
        self.scale = unit_range(who, "scale", scale)
        _sampling(self, interpolation, fill_value, augment.FILL_MODES + ("mirror",), fill_mode)
        self.value_range = _value_range(who, value_range)

    def _draw(self, key, batch_size, images):
        k_prob, k_draw, k_scale, k_noise = jax.random.split(key, 4)
        probability = jax.random.uniform(k_prob, (batch_size,), minval=self.factor[0],
                                         maxval=self.factor[1])
        height, width = augment.image_size(images.shape, self.data_format)
        return {
            "apply_transform": jax.random.uniform(k_draw, (batch_size,)) < probability,
            "distortion_factor": jax.random.uniform(k_scale, (), minval=self.scale[0],
                                                    maxval=self.scale[1]),
            "noise": augment.elastic_noise(k_noise, (batch_size, height, width),
                                           jnp.float32),
        }

    def _apply(self, x, transformation):
        height, width = augment.image_size(x.shape, self.data_format)
        distortion = transformation["distortion_factor"]
        if self.scale[0] == self.scale[1]:
            distortion = self.scale[0]  # static: Keras's kernel for this sigma
        alpha = max(height, width) * 0.1 * distortion
        sigma = min(height, width) * 0.05 * distortion
        taps = int(6 * min(height, width) * 0.05 * self.scale[1]) | 1
        nhwc = jnp.moveaxis(x, 1, -1) if self.data_format == "channels_first" else x
        out = augment.elastic_displace(nhwc, transformation["noise"].astype(x.dtype), alpha,
                                       jnp.maximum(sigma, 1e-6), taps,
                                       augment.INTERPOLATIONS[self.interpolation],
                                       self.fill_mode, self.fill_value)
        if self.data_format == "channels_first":
            out = jnp.moveaxis(out, -1, 1)
        out = _apply_where(transformation["apply_transform"], out, x)
        return jnp.clip(out, *self.value_range)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "scale": self.scale,
                       "interpolation": self.interpolation, "fill_mode": self.fill_mode,
                       "fill_value": self.fill_value, "value_range": self.value_range})
        return config
