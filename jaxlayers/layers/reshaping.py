"""Reshaping layers: Reshape, Flatten, RepeatVector, Permute, Cropping*, UpSampling*,
ZeroPadding*, with Keras's arguments, defaults and output shapes.

None of these layers has weights.  The per-example shape rules are checked in
``build`` and again at call time (shapes are static under ``jit``), so a bad
shape is an error naming the layer, never a failure inside traced math.
"""

import math

import jax
import jax.numpy as jnp

from jaxlayers.core import args as _args
from jaxlayers.core.input_spec import InputSpec
from jaxlayers.core.layer import Layer
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError, ShapeError
from jaxlayers.ops import _layout as layout

_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5")


@register_builtin("layers")
class Reshape(Layer):
    """Reshapes each example to ``target_shape`` (the batch axis is kept).

    Args:
        target_shape: Tuple of ints, the per-example output shape; one entry may
            be ``-1``, inferred from the input size.

    Input shape: ``(batch, ...)``.  Output shape: ``(batch, *target_shape)``.

    Example:
        >>> jl.layers.Reshape((-1, 4)).compute_output_shape((None, 2, 6))
        (None, 3, 4)
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        who = _args.owner(self)
        try:
            target = tuple(target_shape)
        except TypeError:
            target = None
        if target is None or not all(_args.is_int(d) and d >= -1 for d in target):
            raise ConfigError(
                f"{who}: `target_shape` must be a tuple of non-negative ints with at most "
                f"one -1. Received: target_shape={target_shape!r}."
            )
        if target.count(-1) > 1:
            raise ConfigError(
                f"{who}: `target_shape` may contain at most one -1 (an inferred size). "
                f"Received: target_shape={target}."
            )
        self.target_shape = target

    def _resolve(self, input_shape):
        """``target_shape`` with ``-1`` resolved (``None`` if it cannot be yet); checks sizes."""
        input_shape = tuple(input_shape)
        per_example = input_shape[1:]
        if any(d is None for d in per_example):
            return tuple(None if d == -1 else d for d in self.target_shape)
        size = math.prod(per_example)
        known = math.prod(d for d in self.target_shape if d != -1)
        if -1 in self.target_shape:
            ok = known != 0 and size % known == 0
            resolved = tuple(size // known if d == -1 else d for d in self.target_shape) \
                if ok else None
        else:
            ok = known == size
            resolved = self.target_shape
        if not ok:
            raise ShapeError(
                f"{_args.owner(self)}: cannot reshape inputs of shape {input_shape} "
                f"({size} values per example) to target_shape={self.target_shape} "
                f"({known} values{' times the inferred -1' if -1 in self.target_shape else ''}). "
                f"The per-example sizes must match."
            )
        return resolved

    def build(self, input_shape):
        self._resolve(input_shape)

    def call(self, inputs):
        target = self._resolve(inputs.shape)
        return jnp.reshape(inputs, (inputs.shape[0],) + target)

    def compute_output_shape(self, input_shape):
        return (tuple(input_shape)[0],) + self._resolve(input_shape)

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = self.target_shape
        return config


@register_builtin("layers")
class Flatten(Layer):
    """Flattens each example to one axis: ``(batch, ...) -> (batch, prod(...))``.

    Args:
        data_format: With ``'channels_first'``, inputs are first moved to channels
            last, so the flattened order matches a channels-last model's.

    Example:
        >>> jl.layers.Flatten().compute_output_shape((None, 4, 4, 3))
        (None, 48)
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _args.data_format(_args.owner(self), data_format)
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = jnp.moveaxis(inputs, 1, -1)
        return jnp.reshape(inputs, (inputs.shape[0], math.prod(inputs.shape[1:])))

    def compute_output_shape(self, input_shape):
        rest = tuple(input_shape)[1:]
        size = None if any(d is None for d in rest) else math.prod(rest)
        return (tuple(input_shape)[0], size)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


@register_builtin("layers")
class RepeatVector(Layer):
    """Repeats a ``(batch, features)`` input ``n`` times: ``(batch, n, features)``.

    Args:
        n: Positive int, the number of repetitions.

    Example:
        >>> jl.layers.RepeatVector(3)(jnp.ones((2, 4))).shape
        (2, 3, 4)
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = _args.positive_int(_args.owner(self), "n", n)
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        return jnp.repeat(inputs[:, None, :], self.n, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        config = super().get_config()
        config["n"] = self.n
        return config


@register_builtin("layers")
class Permute(Layer):
    """Permutes the non-batch axes: output axis ``i + 1`` is input axis ``dims[i]``.

    Args:
        dims: Tuple holding a permutation of ``1 .. len(dims)`` (the batch axis 0
            never moves).

    Example:
        >>> jl.layers.Permute((2, 1)).compute_output_shape((None, 10, 64))
        (None, 64, 10)
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        try:
            dims = tuple(dims)
        except TypeError:
            dims = None
        if dims is None or sorted(dims) != list(range(1, len(dims) + 1)):
            raise ConfigError(
                f"{_args.owner(self)}: `dims` must be a permutation of 1..n (axis 0, the "
                f"batch, never moves). Received: dims={dims!r}."
            )
        self.dims = dims
        self.input_spec = InputSpec(ndim=len(dims) + 1)

    def call(self, inputs):
        return jnp.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        config = super().get_config()
        config["dims"] = self.dims
        return config


class _SpatialLayer(Layer):
    """Layers acting on the spatial axes of ``(batch, *spatial, channels)``."""

    rank = None
    data_format = "channels_last"

    def _spatial_axes(self):
        return layout.spatial_axes(self.rank + 2, self.data_format)


class _Cropping(_SpatialLayer):
    def _init_cropping(self, cropping, data_format):
        who = _args.owner(self)
        if self.rank == 1:
            self.cropping = _args.int_tuple(who, "cropping", cropping, 2, allow_zero=True)
        else:
            self.cropping = _args.pair_tuples(who, "cropping", cropping, self.rank)
            self.data_format = _args.data_format(who, data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _pairs(self):
        return (self.cropping,) if self.rank == 1 else self.cropping

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, (before, after) in zip(self._spatial_axes(), self._pairs()):
            if shape[axis] is None:
                continue
            if before + after >= shape[axis]:
                raise ShapeError(
                    f"{_args.owner(self)}: cropping {self.cropping} removes all of the input "
                    f"along spatial axis {axis} (size {shape[axis]}). Received input shape "
                    f"{tuple(input_shape)}. Each axis must keep at least one entry."
                )
            shape[axis] -= before + after
        return tuple(shape)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)

    def call(self, inputs):
        self.compute_output_shape(inputs.shape)
        index = [slice(None)] * inputs.ndim
        for axis, (before, after) in zip(self._spatial_axes(), self._pairs()):
            index[axis] = slice(before, inputs.shape[axis] - after)
        return inputs[tuple(index)]

    def get_config(self):
        config = super().get_config()
        config["cropping"] = self.cropping
        if self.rank > 1:
            config["data_format"] = self.data_format
        return config


@register_builtin("layers")
class Cropping1D(_Cropping):
    """Crops steps from both ends of ``(batch, steps, features)``.

    Args:
        cropping: Int or ``(start, end)``: steps removed at each end.

    Example:
        >>> jl.layers.Cropping1D((1, 2)).compute_output_shape((None, 10, 3))
        (None, 7, 3)
    """

    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self._init_cropping(cropping, None)


@register_builtin("layers")
class Cropping2D(_Cropping):
    """Crops rows and columns of images.

    Args:
        cropping: Int (all sides), ``(rows, cols)`` (symmetric), or
            ``((top, bottom), (left, right))``.
        data_format: ``'channels_last'`` or ``'channels_first'`` (``None``: global default).

    Example:
        >>> jl.layers.Cropping2D(((1, 0), (2, 2))).compute_output_shape((None, 8, 8, 3))
        (None, 7, 4, 3)
    """

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self._init_cropping(cropping, data_format)


@register_builtin("layers")
class Cropping3D(_Cropping):
    """Crops the three spatial axes of volumes.

    Args:
        cropping: Int, 3 ints (symmetric per axis) or 3 ``(before, after)`` pairs.
        data_format: ``'channels_last'`` or ``'channels_first'`` (``None``: global default).

    Example:
        >>> jl.layers.Cropping3D(1).compute_output_shape((None, 4, 5, 6, 2))
        (None, 2, 3, 4, 2)
    """

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self._init_cropping(cropping, data_format)


class _ZeroPadding(_SpatialLayer):
    def _init_padding(self, padding, data_format):
        who = _args.owner(self)
        self.data_format = _args.data_format(who, data_format)
        if self.rank == 1:
            self.padding = _args.int_tuple(who, "padding", padding, 2, allow_zero=True)
        else:
            self.padding = _args.pair_tuples(who, "padding", padding, self.rank)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _pairs(self):
        return (self.padding,) if self.rank == 1 else self.padding

    def call(self, inputs):
        widths = [(0, 0)] * inputs.ndim
        for axis, pair in zip(self._spatial_axes(), self._pairs()):
            widths[axis] = pair
        return jnp.pad(inputs, widths)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, (before, after) in zip(self._spatial_axes(), self._pairs()):
            if shape[axis] is not None:
                shape[axis] += before + after
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update({"padding": self.padding, "data_format": self.data_format})
        return config


@register_builtin("layers")
class ZeroPadding1D(_ZeroPadding):
    """Adds zeros at both ends of the steps axis.

    Args:
        padding: Int or ``(start, end)``.
        data_format: ``'channels_last'`` (``(batch, steps, features)``) or
            ``'channels_first'`` (``None``: global default).

    Example:
        >>> jl.layers.ZeroPadding1D(2).compute_output_shape((None, 5, 3))
        (None, 9, 3)
    """

    rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self._init_padding(padding, data_format)


@register_builtin("layers")
class ZeroPadding2D(_ZeroPadding):
    """Adds rows and columns of zeros around images.

    Args:
        padding: Int, ``(rows, cols)`` or ``((top, bottom), (left, right))``.
        data_format: ``'channels_last'`` or ``'channels_first'`` (``None``: global default).

    Example:
        >>> jl.layers.ZeroPadding2D(((1, 0), (2, 2))).compute_output_shape((None, 4, 4, 3))
        (None, 5, 8, 3)
    """

    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self._init_padding(padding, data_format)


@register_builtin("layers")
class ZeroPadding3D(_ZeroPadding):
    """Adds zeros around the three spatial axes of volumes.

    Args:
        padding: Int, 3 ints or 3 ``(before, after)`` pairs.
        data_format: ``'channels_last'`` or ``'channels_first'`` (``None``: global default).

    Example:
        >>> jl.layers.ZeroPadding3D(1).compute_output_shape((None, 2, 2, 2, 1))
        (None, 4, 4, 4, 1)
    """

    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self._init_padding(padding, data_format)


class _UpSampling(_SpatialLayer):
    interpolation = "nearest"

    def call(self, inputs):
        size = (self.size,) if self.rank == 1 else self.size
        if self.interpolation == "nearest":
            for axis, factor in zip(self._spatial_axes(), size):
                inputs = jnp.repeat(inputs, factor, axis=axis)
            return inputs
        shape = list(inputs.shape)
        for axis, factor in zip(self._spatial_axes(), size):
            shape[axis] *= factor
        # Upsampling only: antialiasing (a low-pass for downsampling) changes nothing.
        return jax.image.resize(inputs, tuple(shape), method=self.interpolation,
                                antialias=False)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        size = (self.size,) if self.rank == 1 else self.size
        for axis, factor in zip(self._spatial_axes(), size):
            if shape[axis] is not None:
                shape[axis] *= factor
        return tuple(shape)


@register_builtin("layers")
class UpSampling1D(_UpSampling):
    """Repeats each step ``size`` times: ``(batch, steps, f) -> (batch, steps * size, f)``.

    Args:
        size: Positive int, the upsampling factor.

    Example:
        >>> jl.layers.UpSampling1D(2)(jnp.array([[[1.0], [2.0]]]))[0, :, 0]
        Array([1., 1., 2., 2.], dtype=float32)
    """

    rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        self.size = _args.positive_int(_args.owner(self), "size", size)
        self.input_spec = InputSpec(ndim=3)

    def get_config(self):
        config = super().get_config()
        config["size"] = self.size
        return config


@register_builtin("layers")
class UpSampling2D(_UpSampling):
    """Upsamples images by ``size`` (rows, cols), repeating or interpolating.

    Args:
        size: Int or ``(rows, cols)`` factors.
        data_format: ``'channels_last'`` or ``'channels_first'`` (``None``: global default).
        interpolation: ``'nearest'`` (repeat pixels), ``'bilinear'``, ``'bicubic'``,
            ``'lanczos3'`` or ``'lanczos5'`` (half-pixel centers, as
            ``jax.image.resize`` and Keras's JAX backend).

    Example:
        >>> jl.layers.UpSampling2D((2, 3)).compute_output_shape((None, 4, 4, 3))
        (None, 8, 12, 3)
    """

    rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        who = _args.owner(self)
        self.size = _args.int_tuple(who, "size", size, 2)
        self.data_format = _args.data_format(who, data_format)
        if not isinstance(interpolation, str) or interpolation.lower() not in _INTERPOLATIONS:
            raise ConfigError(
                f"{who}: `interpolation` must be one of {_INTERPOLATIONS}. "
                f"Received: interpolation={interpolation!r}."
            )
        self.interpolation = interpolation.lower()
        self.input_spec = InputSpec(ndim=4)

    def get_config(self):
        config = super().get_config()
        config.update({"size": self.size, "data_format": self.data_format,
                       "interpolation": self.interpolation})
        return config


@register_builtin("layers")
class UpSampling3D(_UpSampling):
    """Repeats each voxel ``size`` times along depth, height and width.

    Args:
        size: Int or 3 ints.
        data_format: ``'channels_last'`` or ``'channels_first'`` (``None``: global default).

    Example:
        >>> jl.layers.UpSampling3D(2).compute_output_shape((None, 2, 3, 4, 1))
        (None, 4, 6, 8, 1)
    """

    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(**kwargs)
        who = _args.owner(self)
        self.size = _args.int_tuple(who, "size", size, 3)
        self.data_format = _args.data_format(who, data_format)
        self.input_spec = InputSpec(ndim=5)

    def get_config(self):
        config = super().get_config()
        config.update({"size": self.size, "data_format": self.data_format})
        return config


__all__ = [
    "Reshape", "Flatten", "RepeatVector", "Permute",
    "Cropping1D", "Cropping2D", "Cropping3D",
    "UpSampling1D", "UpSampling2D", "UpSampling3D",
    "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D",
]
