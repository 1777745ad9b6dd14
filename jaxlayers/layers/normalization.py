"""Normalization layers: BatchNormalization, LayerNormalization, GroupNormalization,
RMSNormalization, UnitNormalization.

The math lives in :mod:`jaxlayers.ops.normalization`; these layers declare the
weights Keras declares (same names, shapes and order) and wire them to it.
BatchNormalization's moving statistics are non-trainable weights, so they
live in ``state`` and are updated by assigning to them in ``call``.
"""

import jax.numpy as jnp

from jaxlayers import backend, initializers
from jaxlayers.core import args as _args
from jaxlayers.core.input_spec import InputSpec
from jaxlayers.core.layer import Layer
from jaxlayers.core.serialization import register_builtin
from jaxlayers.core.variables import call_initializer
from jaxlayers.errors import ConfigError, ConfigTypeError, ShapeError
from jaxlayers.layers._weight_args import WeightArgs
from jaxlayers.ops import _normalization as norm_ops
from jaxlayers.ops import nn as nn_ops

__all__ = [
    "BatchNormalization",
    "LayerNormalization",
    "GroupNormalization",
    "RMSNormalization",
    "UnitNormalization",
]


def _resolve_axes(owner, axis, input_shape):
    """Sorted non-negative axes for ``input_shape``; a ``ShapeError`` if one does not exist."""
    ndim = len(input_shape)
    axes = [axis] if isinstance(axis, int) else list(axis)
    bad = [a for a in axes if not -ndim <= a < ndim]
    if bad:
        raise ShapeError(
            f"{owner}: axis {bad[0]} does not exist for inputs of rank {ndim} (input shape "
            f"{tuple(input_shape)}). Use an axis in [{-ndim}, {ndim - 1}]. "
            f"Received: axis={axis!r}."
        )
    axes = sorted({a % ndim for a in axes})
    unknown = [a for a in axes if input_shape[a] is None]
    if unknown:
        raise ShapeError(
            f"{owner}: the size of axis {unknown[0]} must be known to create the weights. "
            f"Received: input_shape={tuple(input_shape)}."
        )
    return tuple(axes)


@register_builtin("layers")
class BatchNormalization(WeightArgs, Layer):
    """Normalizes with batch statistics in training, moving statistics otherwise.

    Batch normalization (Ioffe & Szegedy, 2015).

    In training (``training=True`` and the layer trainable) the output is
    ``gamma * (x - mean) / sqrt(var + epsilon) + beta`` with the batch's
    ``mean`` and ``var`` over every axis but ``axis``, and the state gets
    ``moving = moving * momentum + batch_stat * (1 - momentum)``.  Otherwise
    (inference, or a frozen layer: ``layer.trainable = False``, as in Keras)
    the moving statistics are used and the state is unchanged.

    Args:
        axis: The feature axis (or list of axes) that keeps its own statistics.
        momentum: Momentum of the moving averages.
        epsilon: Added to the variance.
        center: Learn an offset ``beta``.
        scale: Learn a scale ``gamma``.
        beta_initializer, gamma_initializer, moving_mean_initializer,
            moving_variance_initializer: Initializers.
        beta_regularizer, gamma_regularizer: Optional penalties.
        beta_constraint, gamma_constraint: Optional constraints.
        renorm: Batch renormalization (Ioffe, 2017): corrects batch statistics
            towards moving ones with clipped ``r``/``d`` factors.
        renorm_clipping: ``{"rmax", "rmin", "dmax"}`` bounds for renorm.
        renorm_momentum: Momentum of the renorm averages.
        synchronized: Use statistics of the whole global batch.  Under
            ``jax.jit`` with a sharded batch this already holds; inside
            ``shard_map``/``pmap`` also set ``axis_name``.
        axis_name: (jaxlayers) Name of the mapped device axis whose shards are
            averaged with ``lax.pmean``; requires ``synchronized=True``.

    Input shape: any, with a known size along ``axis``.  Output: same shape.
    Weights: ``gamma``, ``beta`` (params), ``moving_mean``, ``moving_variance``
    (state), each of the feature axes' shape; with renorm also
    ``moving_stddev``, ``renorm_mean``, ``renorm_stddev`` (state).
    A mask of shape ``inputs.shape[:-1]`` excludes positions from the batch
    statistics.

    Example:
        >>> bn = jl.layers.BatchNormalization(name="bn")
        >>> params, state = bn.init(jax.random.key(0), jnp.zeros((4, 3)))
        >>> y, state = bn.apply(params, state, jnp.ones((4, 3)), training=True)
        >>> sorted(state["bn"])
        ['moving_mean', 'moving_variance']
    """

    # Mean and variance statistics are real-valued: complex inputs would be cast.
    supports_complex_inputs = False

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, renorm=False, renorm_clipping=None,
                 renorm_momentum=0.99, synchronized=False, axis_name=None, **kwargs):
        super().__init__(**kwargs)
        owner = f"BatchNormalization '{self.name}'"
        self.axis = _args.axes(owner, "axis", axis)
        self.momentum = _args.unit_interval(owner, "momentum", momentum)
        self.epsilon = _args.non_negative_float(owner, "epsilon", epsilon)
        self.center = _args.boolean(owner, "center", center)
        self.scale = _args.boolean(owner, "scale", scale)
        self._set_weight_args("beta", beta_initializer, beta_regularizer, beta_constraint)
        self._set_weight_args("gamma", gamma_initializer, gamma_regularizer, gamma_constraint)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.renorm = _args.boolean(owner, "renorm", renorm)
        if renorm:
            renorm_clipping = dict(renorm_clipping or {})
            unknown = set(renorm_clipping) - {"rmax", "rmin", "dmax"}
            if unknown:
                raise ConfigError(
                    f"{owner}: `renorm_clipping` accepts the keys 'rmax', 'rmin', 'dmax'. "
                    f"Received: renorm_clipping={renorm_clipping!r}."
                )
            rmax, rmin = renorm_clipping.get("rmax"), renorm_clipping.get("rmin")
            dmax = renorm_clipping.get("dmax")
            if rmax is not None and rmin is not None and rmax < rmin:
                raise ConfigError(
                    f"{owner}: `renorm_clipping` needs rmax >= rmin. "
                    f"Received: rmax={rmax}, rmin={rmin}."
                )
            if dmax is not None and dmax < 0:
                raise ConfigError(
                    f"{owner}: `renorm_clipping` needs dmax >= 0. Received: dmax={dmax}."
                )
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = _args.unit_interval(owner, "renorm_momentum", renorm_momentum)
        if axis_name is not None and not synchronized:
            raise ConfigError(
                f"{owner}: `axis_name` averages statistics across devices and needs "
                f"synchronized=True. Received: synchronized={synchronized!r}, "
                f"axis_name={axis_name!r}."
            )
        self.synchronized = _args.boolean(owner, "synchronized", synchronized)
        self.axis_name = axis_name
        self.supports_masking = True
        self._axes = None

    def build(self, input_shape):
        owner = f"BatchNormalization '{self.name}'"
        self._axes = _resolve_axes(owner, self.axis, input_shape)
        shape = tuple(input_shape[a] for a in self._axes)
        self.gamma = self._add_weight_from_args("gamma", shape, autocast=False) \
            if self.scale else None
        self.beta = self._add_weight_from_args("beta", shape, autocast=False) \
            if self.center else None
        self.moving_mean = self.add_weight(
            name="moving_mean", shape=shape, initializer=self.moving_mean_initializer,
            trainable=False, autocast=False)
        self.moving_variance = self.add_weight(
            name="moving_variance", shape=shape, initializer=self.moving_variance_initializer,
            trainable=False, autocast=False)
        if self.renorm:
            variance_init = self.moving_variance_initializer

            def stddev_init(shape, dtype=None, key=None):
                return jnp.sqrt(call_initializer(variance_init, shape, dtype, key))

            stddev_init.accepts_key = True
            self.moving_stddev = self.add_weight(
                name="moving_stddev", shape=shape, initializer=stddev_init,
                trainable=False, autocast=False)
            self.renorm_mean = self.add_weight(
                name="renorm_mean", shape=shape, initializer=self.moving_mean_initializer,
                trainable=False, autocast=False)
            self.renorm_stddev = self.add_weight(
                name="renorm_stddev", shape=shape, initializer=stddev_init,
                trainable=False, autocast=False)
        self.input_spec = InputSpec(ndim=len(input_shape),
                                    axes={a: input_shape[a] for a in self._axes})

    def _batch_moments(self, inputs, mask):
        reduce_axes = tuple(a for a in range(inputs.ndim) if a not in self._axes)
        if mask is None:
            return nn_ops.moments(inputs, reduce_axes, synchronized=self.axis_name is not None,
                                  axis_name=self.axis_name)
        return norm_ops.masked_moments(inputs, mask, reduce_axes, epsilon=backend.epsilon(),
                                       axis_name=self.axis_name)

    def _renorm_transform(self, mean, variance, gamma, beta):
        """Effective ``(gamma, beta)`` with the renorm correction; updates the averages."""
        clip = self.renorm_clipping
        gamma, beta, stddev = norm_ops.renorm_scale_offset(
            mean, variance, self.renorm_mean, self.renorm_stddev, gamma, beta, self.epsilon,
            clip.get("rmin"), clip.get("rmax"), clip.get("dmax"))
        # The moving variance follows its stddev's average (Keras).
        m, rm = self.momentum, self.renorm_momentum
        self.renorm_mean = norm_ops.moving_average(self.renorm_mean, mean, rm)
        self.renorm_stddev = norm_ops.moving_average(self.renorm_stddev, stddev, rm)
        self.moving_mean = norm_ops.moving_average(self.moving_mean, mean, m)
        moving_stddev = norm_ops.moving_average(self.moving_stddev, stddev, m)
        self.moving_stddev = moving_stddev
        self.moving_variance = jnp.maximum(moving_stddev * moving_stddev - self.epsilon, 0.0)
        return gamma, beta

    def call(self, inputs, training=None, mask=None):
        if mask is not None and mask.ndim != inputs.ndim - 1:
            raise ShapeError(
                f"BatchNormalization '{self.name}': the mask must have one axis less than "
                f"the inputs (one value per position, shared by all features). Received: "
                f"mask.shape={tuple(mask.shape)}, inputs.shape={tuple(inputs.shape)}."
            )
        if mask is not None and any(m not in (1, n) for m, n in zip(mask.shape,
                                                                     inputs.shape[:-1])):
            raise ShapeError(
                f"BatchNormalization '{self.name}': the mask must have the inputs' shape "
                f"without the last axis, {tuple(inputs.shape[:-1])} (or broadcast to it). "
                f"Received: mask.shape={tuple(mask.shape)}, inputs.shape={tuple(inputs.shape)}."
            )
        dtype = jnp.promote_types(inputs.dtype, jnp.float32)
        x = inputs.astype(dtype)
        gamma = None if self.gamma is None else self.gamma.astype(dtype)
        beta = None if self.beta is None else self.beta.astype(dtype)
        # An empty batch has no statistics (its moments are 0/0 = NaN): it is
        # normalized with the moving ones and leaves them unchanged.
        empty = any(inputs.shape[a] == 0 for a in range(inputs.ndim) if a not in self._axes)
        if training and self.trainable and not empty:
            mean, variance = self._batch_moments(x, mask)
            if self.renorm:
                gamma, beta = self._renorm_transform(mean, variance, gamma, beta)
            else:
                m = self.momentum
                self.moving_mean = norm_ops.moving_average(self.moving_mean.astype(dtype), mean,
                                                           m)
                self.moving_variance = norm_ops.moving_average(
                    self.moving_variance.astype(dtype), variance, m)
        else:
            mean = self.moving_mean.astype(dtype)
            variance = self.moving_variance.astype(dtype)
        out = nn_ops.batch_normalization(x, mean, variance, self._axes, offset=beta,
                                         scale=gamma, epsilon=self.epsilon)
        return out.astype(self.compute_dtype)

    def compute_output_shape(self, input_shape):
        _resolve_axes(f"BatchNormalization '{self.name}'", self.axis,
                      [1 if d is None else d for d in input_shape])
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(
                self.moving_variance_initializer),
            "synchronized": self.synchronized,
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
            "axis_name": self.axis_name,
        })
        config.update(self._weight_args_config("beta", "gamma"))
        return config


class _AffineNormalization(WeightArgs, Layer):
    """Shared arguments of LayerNormalization and GroupNormalization (center/scale)."""

    # Mean and variance statistics are real-valued: complex inputs would be cast.
    supports_complex_inputs = False

    def _init_affine(self, epsilon, center, scale, beta_initializer, gamma_initializer,
                     beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint):
        owner = _args.owner(self)
        self.epsilon = _args.non_negative_float(owner, "epsilon", epsilon)
        self.center = _args.boolean(owner, "center", center)
        self.scale = _args.boolean(owner, "scale", scale)
        self._set_weight_args("beta", beta_initializer, beta_regularizer, beta_constraint)
        self._set_weight_args("gamma", gamma_initializer, gamma_regularizer, gamma_constraint)
        self.supports_masking = True
        # Statistics are computed from the inputs as given (at least float32), not
        # from inputs cast to a half-precision compute dtype.
        self.autocast = False

    def _add_affine(self, shape, with_gamma, with_beta):
        self.gamma = self._add_weight_from_args("gamma", shape, autocast=False) \
            if with_gamma else None
        self.beta = self._add_weight_from_args("beta", shape, autocast=False) \
            if with_beta else None

    def _affine_config(self):
        config = {"epsilon": self.epsilon, "center": self.center, "scale": self.scale}
        config.update(self._weight_args_config("beta", "gamma"))
        return config


@register_builtin("layers")
class LayerNormalization(_AffineNormalization):
    """Normalizes each example over ``axis`` (Ba et al., 2016).

    ``y = gamma * (x - mean) / sqrt(var + epsilon) + beta`` with ``mean`` and
    ``var`` taken over the axes in ``axis`` for each example.

    Args:
        axis: Axis or list of axes to normalize over (default the last).
        epsilon: Added to the variance.
        center: Learn an offset ``beta``.
        scale: Learn a scale ``gamma``.
        beta_initializer, gamma_initializer, beta_regularizer, gamma_regularizer,
            beta_constraint, gamma_constraint: As in Dense.
        rms_scaling: Keras's deprecated flag: divide by ``sqrt(var + epsilon)``
            without centering and without ``beta`` (prefer RMSNormalization).

    Input shape: any.  Output: same shape.  Weights: ``gamma``, ``beta``, each
    shaped like the normalized axes.

    Example:
        >>> ln = jl.layers.LayerNormalization(name="ln")
        >>> params, _ = ln.init(jax.random.key(0), jnp.zeros((2, 5)))
        >>> jax.tree.map(jnp.shape, params)
        {'ln': {'beta': (5,), 'gamma': (5,)}}
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 rms_scaling=False, **kwargs):
        super().__init__(**kwargs)
        self.axis = _args.axes(_args.owner(self), "axis", axis)
        self._init_affine(epsilon, center, scale, beta_initializer, gamma_initializer,
                          beta_regularizer, gamma_regularizer, beta_constraint,
                          gamma_constraint)
        self.rms_scaling = _args.boolean(_args.owner(self), "rms_scaling", rms_scaling)
        self._axes = None

    def build(self, input_shape):
        self._axes = _resolve_axes(f"LayerNormalization '{self.name}'", self.axis, input_shape)
        shape = tuple(input_shape[a] for a in self._axes)
        self._add_affine(shape, self.scale or self.rms_scaling,
                         self.center and not self.rms_scaling)

    def call(self, inputs):
        out = nn_ops.layer_normalization(inputs, self.gamma, self.beta, self._axes,
                                         self.epsilon, rms_scaling=self.rms_scaling)
        return out.astype(self.compute_dtype)

    def compute_output_shape(self, input_shape):
        _resolve_axes(f"LayerNormalization '{self.name}'", self.axis,
                      [1 if d is None else d for d in input_shape])
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"axis": self.axis, "rms_scaling": self.rms_scaling})
        config.update(self._affine_config())
        return config


@register_builtin("layers")
class GroupNormalization(_AffineNormalization):
    """Normalizes each example over groups of channels (Wu & He, 2018).

    The channels along ``axis`` are split into ``groups`` groups; each group is
    normalized over its channels and every other non-batch axis.  ``groups=1``
    is layer normalization over all non-batch axes, ``groups=-1`` (one group per
    channel) is instance normalization.

    Args:
        groups: Number of groups (must divide the channel count), or ``-1``.
        axis: The channel axis.
        epsilon, center, scale, *_initializer, *_regularizer, *_constraint: As
            in LayerNormalization.

    Input shape: ``(batch, ..., channels)``.  Output: same shape.  Weights:
    ``gamma``, ``beta`` of shape ``(channels,)``.

    Example:
        >>> gn = jl.layers.GroupNormalization(groups=2)
        >>> gn(jnp.ones((1, 3, 4))).shape
        (1, 3, 4)
    """

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 **kwargs):
        super().__init__(**kwargs)
        owner = f"GroupNormalization '{self.name}'"
        if isinstance(groups, bool) or not isinstance(groups, int) or (
                groups <= 0 and groups != -1):
            raise ConfigError(
                f"{owner}: `groups` must be a positive int, or -1 for one group per "
                f"channel (instance normalization). Received: groups={groups!r}."
            )
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ConfigTypeError(f"{owner}: `axis` must be an int. Received: axis={axis!r}.")
        self.groups = groups
        self.axis = axis
        self._init_affine(epsilon, center, scale, beta_initializer, gamma_initializer,
                          beta_regularizer, gamma_regularizer, beta_constraint,
                          gamma_constraint)
        self._groups = None

    def build(self, input_shape):
        owner = f"GroupNormalization '{self.name}'"
        (axis,) = _resolve_axes(owner, self.axis, input_shape)
        if axis == 0:
            raise ShapeError(
                f"{owner}: `axis` cannot be the batch axis 0. Received: axis={self.axis}."
            )
        channels = input_shape[axis]
        groups = channels if self.groups == -1 else self.groups
        if channels < groups or channels % groups:
            raise ShapeError(
                f"{owner}: `groups` must divide the number of channels ({channels}, axis "
                f"{self.axis}). Received: groups={groups}, input_shape={tuple(input_shape)}."
            )
        self._groups = groups
        self._axis = axis
        self.input_spec = InputSpec(ndim=len(input_shape), axes={axis: channels})
        self._add_affine((channels,), self.scale, self.center)

    def call(self, inputs):
        out = norm_ops.group_normalization(inputs, self._groups, self._axis, self.gamma,
                                           self.beta, self.epsilon)
        return out.astype(self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"groups": self.groups, "axis": self.axis})
        config.update(self._affine_config())
        return config


@register_builtin("layers")
class RMSNormalization(Layer):
    """Root-mean-square normalization (Zhang & Sennrich, 2019).

    ``y = x / sqrt(mean(x**2 over axis) + epsilon) * scale``.

    Args:
        axis: Axis or list of axes to normalize over.
        epsilon: Added to the mean square.

    Input shape: any.  Output: same shape.  Weights: ``scale`` shaped like the
    normalized axes, initialized to ones.

    Example:
        >>> rms = jl.layers.RMSNormalization(name="rms")
        >>> params, _ = rms.init(jax.random.key(0), jnp.zeros((2, 4)))
        >>> jax.tree.map(jnp.shape, params)
        {'rms': {'scale': (4,)}}
    """

    # ``x * x`` is not ``|x|**2`` for complex values.
    supports_complex_inputs = False

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        owner = f"RMSNormalization '{self.name}'"
        self.axis = _args.axes(owner, "axis", axis)
        self.epsilon = _args.non_negative_float(owner, "epsilon", epsilon)
        self._axes = None

    def build(self, input_shape):
        self._axes = _resolve_axes(f"RMSNormalization '{self.name}'", self.axis, input_shape)
        self.scale = self.add_weight(name="scale",
                                     shape=tuple(input_shape[a] for a in self._axes),
                                     initializer="ones")

    def call(self, inputs):
        return nn_ops.rms_normalization(inputs, self.scale, self._axes, self.epsilon)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"axis": self.axis, "epsilon": self.epsilon})
        return config


@register_builtin("layers")
class UnitNormalization(Layer):
    """Scales each example to unit L2 norm over ``axis``: ``x / max(||x||, 1e-12)``.

    Args:
        axis: Axis or list of axes the norm is taken over.

    Example:
        >>> jl.layers.UnitNormalization()(jnp.array([[3.0, 4.0]]))
        Array([[0.6, 0.8]], dtype=float32)
    """

    # ``x * x`` is not ``|x|**2`` for complex values.
    supports_complex_inputs = False

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = _args.axes(_args.owner(self), "axis", axis)
        self.supports_masking = True

    def build(self, input_shape):
        _resolve_axes(f"UnitNormalization '{self.name}'", self.axis,
                      [1 if d is None else d for d in input_shape])

    def call(self, inputs):
        return norm_ops.l2_normalize(inputs, self.axis, epsilon=1e-12)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"axis": self.axis})
        return config
