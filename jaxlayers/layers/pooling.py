"""Pooling layers: max / average over windows, adaptive bins, and global max / average.

``MaxPooling{1,2,3}D``, ``AveragePooling{1,2,3}D``,
``Adaptive{Max,Average}Pooling{1,2,3}D``, ``GlobalMaxPooling{1,2,3}D``
and ``GlobalAveragePooling{1,2,3}D`` with Keras's arguments, defaults and
aliases (``MaxPool2D``, ``AvgPool2D``, ``GlobalAvgPool1D``, ...).  The math is
in ``jl.ops.nn`` (``max_pool``, ``average_pool``, ...).
"""

import math

import jax.numpy as jnp

from jaxlayers.core import args as _args
from jaxlayers.core.input_spec import InputSpec
from jaxlayers.core.layer import Layer
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ShapeError
from jaxlayers.layers._shapes import check_spatial_rank
from jaxlayers.ops import _layout as layout
from jaxlayers.ops import _pooling as pool_ops
from jaxlayers.ops import nn as nn_ops


class _PoolingFamily(Layer):
    rank = None
    mode = None

    @property
    def supports_complex_inputs(self):
        # Complex values have no order to take a maximum over; averages are linear.
        return self.mode != "max"

    def _check_rank(self, input_shape):
        return check_spatial_rank(_args.owner(self), input_shape, self.rank, self.data_format)



class BasePooling(_PoolingFamily):
    """Max or average over sliding windows; subclasses set ``rank`` and ``mode``.

    Args:
        pool_size: Int or tuple of ``rank`` ints, the window size.
        strides: Int or tuple of ``rank`` ints; ``None`` means ``pool_size``.
        padding: ``'valid'`` (windows inside the input only) or ``'same'``
            (output size ``ceil(n / stride)``; padded entries are ignored).
        data_format: ``'channels_last'`` or ``'channels_first'``; ``None`` uses
            ``jl.backend.image_data_format()``.

    Output size per spatial axis: ``floor((n - pool) / stride) + 1`` (``'valid'``)
    or ``ceil(n / stride)`` (``'same'``).
    """

    mode = None

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        who = _args.owner(self)
        self.pool_size = _args.int_tuple(who, "pool_size", pool_size, self.rank)
        self.strides = (self.pool_size if strides is None
                        else _args.int_tuple(who, "strides", strides, self.rank))
        self.padding = _args.padding_mode(who, padding)
        self.data_format = _args.data_format(who, data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)

    def call(self, inputs):
        self.compute_output_shape(inputs.shape)
        fn = nn_ops.max_pool if self.mode == "max" else nn_ops.average_pool
        return fn(inputs, self.pool_size, strides=self.strides, padding=self.padding,
                  data_format=self.data_format)

    def compute_output_shape(self, input_shape):
        input_shape = self._check_rank(input_shape)
        spatial = layout.spatial_shape(input_shape, self.data_format)
        out = tuple(pool_ops.pool_output_length(n, k, s, self.padding)
                    for n, k, s in zip(spatial, self.pool_size, self.strides))
        if any(o is not None and o <= 0 for o in out):
            raise ShapeError(
                f"{_args.owner(self)}: pool_size={self.pool_size} is larger than the input's "
                f"spatial size {tuple(spatial)} with padding='valid'. Received input shape "
                f"{input_shape}. Use padding='same' or a smaller pool_size."
            )
        return layout.with_spatial(input_shape, out, self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update({"pool_size": self.pool_size, "padding": self.padding,
                       "strides": self.strides, "data_format": self.data_format})
        return config


class BaseGlobalPooling(_PoolingFamily):
    """Reduces all spatial axes; subclasses set ``rank`` and ``mode``.

    Args:
        data_format: ``'channels_last'`` or ``'channels_first'`` (``None``: global default).
        keepdims: Keep the spatial axes with size 1 (``(batch, 1, ..., channels)``)
            instead of returning ``(batch, channels)``.
    """

    mode = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        who = _args.owner(self)
        self.data_format = _args.data_format(who, data_format)
        self.keepdims = _args.boolean(who, "keepdims", keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        if self.mode == "max":
            return pool_ops.global_max_pool(inputs, self.data_format, self.keepdims)
        return pool_ops.global_average_pool(inputs, self.data_format, self.keepdims)

    def compute_output_shape(self, input_shape):
        input_shape = self._check_rank(input_shape)
        ones = (1,) * self.rank if self.keepdims else ()
        channels = input_shape[layout.channel_axis(self.data_format)]
        return layout.assemble_shape(input_shape[0], ones, channels, self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return config


@register_builtin("layers")
class MaxPooling1D(BasePooling):
    """Max pooling over ``(batch, steps, channels)``.

    See :class:`BasePooling` for the arguments (``pool_size`` defaults to 2).

    Example:
        >>> jl.layers.MaxPooling1D(2).compute_output_shape((None, 9, 4))
        (None, 4, 4)
    """

    rank, mode = 1, "max"


@register_builtin("layers")
class MaxPooling2D(BasePooling):
    """Max pooling over images ``(batch, height, width, channels)``.

    See :class:`BasePooling` for the arguments (``pool_size`` defaults to ``(2, 2)``).

    Example:
        >>> jl.layers.MaxPooling2D(2, padding="same").compute_output_shape((None, 5, 5, 3))
        (None, 3, 3, 3)
    """

    rank, mode = 2, "max"


@register_builtin("layers")
class MaxPooling3D(BasePooling):
    """Max pooling over volumes ``(batch, depth, height, width, channels)``.

    See :class:`BasePooling` for the arguments (``pool_size`` defaults to ``(2, 2, 2)``).

    Example:
        >>> jl.layers.MaxPooling3D().compute_output_shape((None, 4, 4, 4, 1))
        (None, 2, 2, 2, 1)
    """

    rank, mode = 3, "max"


class _AveragePooling(BasePooling):
    """Average pooling: ``pool_size`` is required, as in Keras."""

    mode = "average"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


@register_builtin("layers")
class AveragePooling1D(_AveragePooling):
    """Average pooling over ``(batch, steps, channels)``.

    See :class:`BasePooling` for the arguments; with ``padding='same'`` border
    windows average only their real entries.

    Args:
        pool_size: Int or tuple of ints, the pooling window.
        strides: Int or tuple of ints, the step of the window.
        padding: ``'valid'`` (no padding) or ``'same'`` (output size ``ceil(input /
            strides)``).
        data_format: ``'channels_last'`` or ``'channels_first'``; ``None`` reads
            ``jl.config.image_data_format()``.
        **kwargs: Base arguments (``name``, ``dtype``, ...), as for every instance of its
            kind.

    Example:
        >>> jl.layers.AveragePooling1D(3, strides=1).compute_output_shape((None, 9, 4))
        (None, 7, 4)
    """

    rank = 1


@register_builtin("layers")
class AveragePooling2D(_AveragePooling):
    """Average pooling over images ``(batch, height, width, channels)``.

    See :class:`BasePooling` for the arguments.

    Args:
        pool_size: Int or tuple of ints, the pooling window.
        strides: Int or tuple of ints, the step of the window.
        padding: ``'valid'`` (no padding) or ``'same'`` (output size ``ceil(input /
            strides)``).
        data_format: ``'channels_last'`` or ``'channels_first'``; ``None`` reads
            ``jl.config.image_data_format()``.
        **kwargs: Base arguments (``name``, ``dtype``, ...), as for every instance of its
            kind.

    Example:
        >>> jl.layers.AveragePooling2D(2).compute_output_shape((None, 8, 8, 3))
        (None, 4, 4, 3)
    """

    rank = 2


@register_builtin("layers")
class AveragePooling3D(_AveragePooling):
    """Average pooling over volumes ``(batch, depth, height, width, channels)``.

    See :class:`BasePooling` for the arguments.

    Args:
        pool_size: Int or tuple of ints, the pooling window.
        strides: Int or tuple of ints, the step of the window.
        padding: ``'valid'`` (no padding) or ``'same'`` (output size ``ceil(input /
            strides)``).
        data_format: ``'channels_last'`` or ``'channels_first'``; ``None`` reads
            ``jl.config.image_data_format()``.
        **kwargs: Base arguments (``name``, ``dtype``, ...), as for every instance of its
            kind.

    Example:
        >>> jl.layers.AveragePooling3D(2).compute_output_shape((None, 4, 4, 4, 1))
        (None, 2, 2, 2, 1)
    """

    rank = 3


@register_builtin("layers")
class GlobalMaxPooling2D(BaseGlobalPooling):
    """Max over height and width of ``(batch, height, width, channels)``.

    See :class:`BaseGlobalPooling` for the arguments.

    Example:
        >>> jl.layers.GlobalMaxPooling2D().compute_output_shape((None, 5, 5, 3))
        (None, 3)
    """

    rank, mode = 2, "max"


@register_builtin("layers")
class GlobalMaxPooling3D(BaseGlobalPooling):
    """Max over depth, height and width of a volume.

    See :class:`BaseGlobalPooling` for the arguments.

    Example:
        >>> jl.layers.GlobalMaxPooling3D(keepdims=True).compute_output_shape((None, 2, 3, 4, 5))
        (None, 1, 1, 1, 5)
    """

    rank, mode = 3, "max"


@register_builtin("layers")
class GlobalAveragePooling2D(BaseGlobalPooling):
    """Mean over height and width of ``(batch, height, width, channels)``.

    See :class:`BaseGlobalPooling` for the arguments.

    Example:
        >>> jl.layers.GlobalAveragePooling2D().compute_output_shape((None, 5, 5, 3))
        (None, 3)
    """

    rank, mode = 2, "average"


@register_builtin("layers")
class GlobalAveragePooling3D(BaseGlobalPooling):
    """Mean over depth, height and width of a volume.

    See :class:`BaseGlobalPooling` for the arguments.

    Example:
        >>> jl.layers.GlobalAveragePooling3D().compute_output_shape((None, 2, 3, 4, 5))
        (None, 5)
    """

    rank, mode = 3, "average"


@register_builtin("layers")
class GlobalMaxPooling1D(BaseGlobalPooling):
    """Max over the steps of ``(batch, steps, features)``.

    See :class:`BaseGlobalPooling` for the arguments.  As in Keras 3, the layer
    does not use a mask: every step, masked or not, takes part in the max, and
    the output carries no mask.

    Example:
        >>> jl.layers.GlobalMaxPooling1D().compute_output_shape((None, 7, 3))
        (None, 3)
    """

    rank = 1
    mode = "max"


@register_builtin("layers")
class GlobalAveragePooling1D(BaseGlobalPooling):
    """Mean over the steps of ``(batch, steps, features)``, skipping masked steps.

    See :class:`BaseGlobalPooling` for the arguments.

    Call arguments:
        mask: Optional boolean ``(batch, steps)``; only ``True`` steps are averaged
            (a row with no ``True`` step gives NaN, as in Keras).  The output has
            no mask.

    Args:
        data_format: ``'channels_last'`` or ``'channels_first'``; ``None`` reads
            ``jl.config.image_data_format()``.
        keepdims: Whether reduced axes stay as size-1 axes.
        **kwargs: Base arguments (``name``, ``dtype``, ...), as for every instance of its
            kind.

    Example:
        >>> layer = jl.layers.GlobalAveragePooling1D()
        >>> x = jnp.array([[[1.0], [3.0], [100.0]]])
        >>> layer(x, mask=jnp.array([[True, True, False]]))
        Array([[2.]], dtype=float32)
    """

    rank = 1
    mode = "average"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is not None:
            (steps,) = layout.spatial_shape(inputs.shape, self.data_format)
            mask_shape = tuple(jnp.shape(mask))
            if mask_shape != (inputs.shape[0], steps):
                raise ShapeError(
                    f"{_args.owner(self)}: `mask` must have shape (batch, steps) = "
                    f"{(inputs.shape[0], steps)}. Received: mask.shape={mask_shape} "
                    f"for input shape {tuple(inputs.shape)}."
                )
        return pool_ops.global_average_pool(inputs, self.data_format, self.keepdims, mask)

    def compute_mask(self, inputs, mask=None):
        return None


class BaseAdaptivePooling(_PoolingFamily):
    """Pools each spatial axis into ``output_size`` bins, whatever the input's size.

    Bin ``i`` of an axis of length ``n`` covers ``[floor(i * n / out),
    ceil((i + 1) * n / out))``, so bins overlap when ``out`` does not divide
    ``n`` (PyTorch's and Keras's rule).  Subclasses set ``rank`` and ``mode``.

    Args:
        output_size: Int or tuple of ``rank`` ints, the spatial output size.
        data_format: ``'channels_last'`` or ``'channels_first'``; ``None`` uses
            ``jl.backend.image_data_format()``.

    Output shape: ``(batch, *output_size, channels)`` (or channels first).
    """

    mode = None

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(**kwargs)
        who = _args.owner(self)
        self.output_size = _args.int_tuple(who, "output_size", output_size, self.rank)
        self.data_format = _args.data_format(who, data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        fn = nn_ops.adaptive_max_pool if self.mode == "max" else nn_ops.adaptive_average_pool
        return fn(inputs, self.output_size, data_format=self.data_format)

    def compute_output_shape(self, input_shape):
        input_shape = self._check_rank(input_shape)
        return layout.with_spatial(input_shape, self.output_size, self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update({"output_size": self.output_size, "data_format": self.data_format})
        return config


def _adaptive(name, rank, mode, words, example):
    """One registered ``Adaptive{Max,Average}Pooling{rank}D`` class.

    ``example`` is ``(input shape, printed result)``: the docstring pools
    ``np.arange`` of that shape to one entry (``output_size=1``) per spatial axis.
    """
    axes = layout.describe(rank, "channels_last")
    shape, result = example
    doc = (f"Adaptive {words} pooling over ``{axes}`` (or channels first).\n\n"
           "    Args:\n"
           f"        output_size: Int or tuple of {rank} ints, the output's size per spatial "
           "axis.\n"
           "        data_format: ``'channels_last'`` or ``'channels_first'``; ``None`` reads\n"
           "            ``jl.config.image_data_format()``.\n"
           "        **kwargs: Base layer arguments (``name``, ``dtype``, ...).\n\n"
           "    Example:\n"
           f"        >>> x = np.arange({math.prod(shape)}.0).reshape({shape})\n"
           f"        >>> jl.layers.{name}(1)(x).ravel()\n"
           f"        {result}\n")
    cls = type(name, (BaseAdaptivePooling,), {"rank": rank, "mode": mode, "__doc__": doc,
                                              "__module__": __name__})
    return register_builtin("layers")(cls)


AdaptiveMaxPooling1D = _adaptive("AdaptiveMaxPooling1D", 1, "max", "max",
                                 ((1, 4, 1), "Array([3.], dtype=float32)"))
AdaptiveMaxPooling2D = _adaptive("AdaptiveMaxPooling2D", 2, "max", "max",
                                 ((1, 2, 2, 1), "Array([3.], dtype=float32)"))
AdaptiveMaxPooling3D = _adaptive("AdaptiveMaxPooling3D", 3, "max", "max",
                                 ((1, 2, 2, 2, 1), "Array([7.], dtype=float32)"))
AdaptiveAveragePooling1D = _adaptive("AdaptiveAveragePooling1D", 1, "average", "average",
                                     ((1, 4, 1), "Array([1.5], dtype=float32)"))
AdaptiveAveragePooling2D = _adaptive("AdaptiveAveragePooling2D", 2, "average", "average",
                                     ((1, 2, 2, 1), "Array([1.5], dtype=float32)"))
AdaptiveAveragePooling3D = _adaptive("AdaptiveAveragePooling3D", 3, "average", "average",
                                     ((1, 2, 2, 2, 1), "Array([3.5], dtype=float32)"))


MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = (
    GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D)
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (
    GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D)

_ALIASES = {
    "MaxPool1D": MaxPool1D, "MaxPool2D": MaxPool2D, "MaxPool3D": MaxPool3D,
    "AvgPool1D": AvgPool1D, "AvgPool2D": AvgPool2D, "AvgPool3D": AvgPool3D,
    "GlobalMaxPool1D": GlobalMaxPool1D, "GlobalMaxPool2D": GlobalMaxPool2D,
    "GlobalMaxPool3D": GlobalMaxPool3D, "GlobalAvgPool1D": GlobalAvgPool1D,
    "GlobalAvgPool2D": GlobalAvgPool2D, "GlobalAvgPool3D": GlobalAvgPool3D,
}
for _alias, _cls in _ALIASES.items():
    register_builtin("layers", name=_alias)(_cls)

__all__ = [
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D",
    "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
    "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D",
    "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
] + list(_ALIASES)
