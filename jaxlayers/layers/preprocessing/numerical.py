"""Numerical preprocessing: Normalization, Discretization, SpectralNormalization.

All three are pure JAX at call time (jittable).  ``adapt`` runs on the host:

* ``Normalization.adapt`` writes the mean and variance into the layer's state
  (non-trainable weights ``mean``, ``variance``, ``count``), so they travel
  with ``layer.state`` / ``get_weights()`` and with ``init`` afterwards.
* ``Discretization.adapt`` computes approximate quantile boundaries with the
  same mergeable summary as Keras (same boundaries on the same data); the
  boundaries are configuration (``bin_boundaries`` in ``get_config()``), baked
  into traced code as constants: re-``jit`` after adapting again.

``SpectralNormalization`` keeps the power-iteration vector ``u`` in state and
updates it in training.  Keras writes ``kernel / sigma`` back into the wrapped
layer's (trainable) kernel; jaxlayers never writes params inside ``apply``, so
it is a reparametrization instead: every call uses ``kernel / sigma`` (in
inference with ``sigma`` from the stored ``u``).  Training outputs and ``u``
updates equal Keras's; inference on a kernel Keras already normalized matches
up to its ``sigma`` (about 1).
"""

import math

import jax.numpy as jnp
import numpy as np

from jaxlayers import backend, initializers
from jaxlayers.core import args as _args
from jaxlayers.core.input_spec import InputSpec
from jaxlayers.core.layer import Layer
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError, ShapeError
from jaxlayers.layers._weight_values import override_weight
from jaxlayers.layers.preprocessing import _common
from jaxlayers.layers.preprocessing.lookup import check_output_mode, check_sparse
from jaxlayers.layers.wrapper import Wrapper
from jaxlayers.ops import _normalization as norm_ops

__all__ = ["Normalization", "Discretization", "SpectralNormalization"]


@register_builtin("layers")
class Normalization(Layer):
    """Standardizes features: ``(x - mean) / sqrt(variance)`` (``invert`` undoes it).

    Args:
        axis: Axis or axes that keep their own statistics (default ``-1``:
            one mean per feature); ``None`` for one scalar mean and variance.
        mean, variance: Fixed statistics (broadcast to the kept axes); or
            call ``adapt(data)`` to compute them.
        invert: Compute ``mean + x * sqrt(variance)`` instead.

    Input shape: any, with the kept axes of known size.  Output: same shape.
    The statistics live in ``state`` (``mean``, ``variance``, ``count``) when
    they come from ``adapt``; given directly, they are constants.  As in Keras,
    ``layer.mean`` and ``layer.variance`` show them in the inputs' broadcast
    shape once the layer is built.

    Example:
        >>> layer = jl.layers.Normalization()
        >>> layer.adapt(np.array([[0.0, 10.0], [2.0, 30.0]]))
        >>> layer(jnp.array([[1.0, 20.0]])).tolist()
        [[0.0, 0.0]]
        >>> layer.mean.tolist(), layer.variance.tolist()
        ([[1.0, 20.0]], [[1.0, 100.0]])
    """

    # Statistics are real-valued and the output is cast to a float dtype.
    supports_complex_inputs = False

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        who = _common.owner(self)
        if axis is None:
            axis = ()
        elif _args.is_int(axis):
            axis = (int(axis),)
        elif isinstance(axis, (list, tuple)) and all(_args.is_int(a) for a in axis):
            axis = tuple(int(a) for a in axis)
        else:
            raise ConfigError(
                f"{who}: `axis` must be an int, a tuple of ints or None. Received: "
                f"axis={axis!r}."
            )
        self.axis = axis
        _args.optional(_args.finite_floats, who, "mean", mean)
        _args.optional(_args.finite_floats, who, "variance", variance, True)
        if (mean is None) != (variance is None):
            raise ConfigError(
                f"{who}: give both `mean` and `variance`, or neither. Received: "
                f"mean={mean!r}, variance={variance!r}."
            )
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ConfigError(
                    f"{who}: `mean` and `variance` must have the same shape. Received "
                    f"shapes {np.shape(mean)} and {np.shape(variance)}."
                )
            if np.ndim(mean) > len(axis):
                raise ConfigError(
                    f"{who}: `mean` has rank {np.ndim(mean)}, more than the number of "
                    f"kept axes {axis}."
                )
        self.input_mean = mean
        self.input_variance = variance
        self.invert = _args.boolean(who, "invert", invert)
        self.supports_masking = True

    def _axes(self, input_shape):
        ndim = len(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ShapeError(
                f"{_common.owner(self)}: `axis` {self.axis} is out of range for inputs of "
                f"rank {ndim} (shape {tuple(input_shape)})."
            )
        keep = tuple(sorted(a % ndim for a in self.axis))
        for d in keep:
            if input_shape[d] is None:
                raise ShapeError(
                    f"{_common.owner(self)}: the kept axis {d} must have a known size. "
                    f"Received input shape {tuple(input_shape)}."
                )
        return keep

    def build(self, input_shape):
        keep = self._axes(input_shape)
        ndim = len(input_shape)
        self._keep_axis = keep
        self._reduce_axis = tuple(d for d in range(ndim) if d not in keep)
        self._broadcast_shape = tuple(input_shape[d] if d in keep else 1 for d in range(ndim))
        self._stat_shape = tuple(input_shape[d] for d in keep)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(name="mean", shape=self._stat_shape,
                                              initializer="zeros", trainable=False)
            self.adapt_variance = self.add_weight(name="variance", shape=self._stat_shape,
                                                  initializer="ones", trainable=False)
            self.count = self.add_weight(name="count", shape=(), dtype="int32",
                                         initializer="zeros", trainable=False)
        else:
            self._mean_const = self._broadcast_given(self.input_mean)
            self._var_const = self._broadcast_given(self.input_variance)

    def _broadcast_given(self, value):
        value = np.asarray(value, np.float64)
        shape = [1] * len(self._broadcast_shape)
        for i in range(1, value.ndim + 1):
            shape[self._keep_axis[-i]] = value.shape[-i]
        return np.broadcast_to(value.reshape(shape), self._broadcast_shape)

    def adapt(self, data, batch_size=None, steps=None):
        """Computes the mean and variance of ``data`` over the non-kept axes.

        Args:
            data: A NumPy array, or an iterable of batches (e.g. a list of
                arrays or a generator); ``(x, y)`` batches use ``x``.
            batch_size: Split array data into batches of this size.
            steps: Stop after this many batches.
        """
        who = _common.owner(self)
        if self.input_mean is not None:
            raise ConfigError(f"{who}: cannot adapt a layer given fixed `mean` and `variance`.")
        total_mean = total_m2 = None
        total = 0
        for batch in _common.adapt_batches(self, data, batch_size, steps):
            batch = np.asarray(batch, np.float64)
            if not self.built:
                self.build(batch.shape)
            elif len(batch.shape) != len(self._broadcast_shape) or any(
                    batch.shape[d] != self._broadcast_shape[d] for d in self._keep_axis):
                raise ShapeError(
                    f"{who} was built for inputs like {self._broadcast_shape} (kept axes "
                    f"{self._keep_axis}); adapt() got a batch of shape {batch.shape}."
                )
            n = math.prod(batch.shape[d] for d in self._reduce_axis)
            mean = batch.mean(axis=self._reduce_axis)
            m2 = ((batch - mean.reshape(self._broadcast_shape)) ** 2).sum(axis=self._reduce_axis)
            if total == 0:
                total_mean, total_m2 = mean, m2
            else:
                delta = mean - total_mean
                total_m2 = total_m2 + m2 + delta ** 2 * total * n / (total + n)
                total_mean = total_mean + delta * n / (total + n)
            total += n
        variance = total_m2 / total
        for var, value in ((self.adapt_mean, total_mean), (self.adapt_variance, variance)):
            value = np.asarray(value, np.float32)
            var.assign(value)
            var.initializer = initializers.Constant(value)

    def _statistic(self, adapted, given):
        if not self.built:
            return None
        value = given if self.input_mean is not None else getattr(adapted, "value", adapted)
        return jnp.reshape(jnp.asarray(value, self.compute_dtype), self._broadcast_shape)

    @property
    def mean(self):
        """The mean in the inputs' broadcast shape, as Keras's ``layer.mean`` (None unbuilt)."""
        return self._statistic(getattr(self, "adapt_mean", None),
                               getattr(self, "_mean_const", None))

    @property
    def variance(self):
        """The variance in the inputs' broadcast shape (None before the layer is built)."""
        return self._statistic(getattr(self, "adapt_variance", None),
                               getattr(self, "_var_const", None))

    def call(self, inputs):
        x = jnp.asarray(inputs).astype(self.compute_dtype)
        if self.input_mean is None:
            mean = jnp.reshape(self.adapt_mean, self._broadcast_shape)
            variance = jnp.reshape(self.adapt_variance, self._broadcast_shape)
        else:
            mean, variance = self._mean_const, self._var_const
        mean = jnp.asarray(mean, x.dtype)
        std = jnp.maximum(jnp.sqrt(jnp.asarray(variance, x.dtype)), backend.epsilon())
        return mean + x * std if self.invert else (x - mean) / std

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "axis": self.axis,
            "invert": self.invert,
            "mean": np.asarray(self.input_mean).tolist() if self.input_mean is not None
            else None,
            "variance": np.asarray(self.input_variance).tolist()
            if self.input_variance is not None else None,
        })
        return config


# --------------------------------------------------------------------- Discretization
def _summarize(values, epsilon):
    """Every ``step``-th sorted value, each weighted ``step`` (a quantile sketch)."""
    values = np.sort(np.reshape(values, [-1]))
    step = max(values.size / (1.0 / epsilon), 1)
    picked = values[int(step - 1)::int(step)]
    return np.stack([picked, np.ones_like(picked) * step])


def _compress(summary, epsilon):
    """Re-bins a summary at ``epsilon`` spacing of its cumulative weight."""
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cum = summary[1].cumsum()
    fraction = cum / cum[-1]
    bins = np.interp(percents, fraction, summary[0])
    cum_new = np.interp(percents, fraction, cum)
    weights = cum_new - np.concatenate((np.array([0]), cum_new[:-1]))
    return np.stack((bins, weights)).astype("float32")


def _merge(a, b, epsilon):
    merged = np.concatenate((a, b), axis=1)
    merged = np.take(merged, np.argsort(merged[0]), axis=1)
    return _compress(merged, epsilon)


def _sorted_boundaries(who, bin_boundaries):
    """``bin_boundaries`` as a list of floats; a ``ConfigError`` unless sorted, without NaN."""
    return _args.float_list(who, "bin_boundaries", bin_boundaries,
                            "a flat list of numbers in increasing order", increasing=True)


@register_builtin("layers")
class Discretization(Layer):
    """Buckets continuous values by boundaries: ``bin_boundaries=[0., 1.]`` gives bins
    ``(-inf, 0)``, ``[0, 1)``, ``[1, inf)``.

    Args:
        bin_boundaries: Sorted boundaries; or give ``num_bins`` and call ``adapt``.
        num_bins: Number of bins learned by ``adapt`` (approximate quantiles).
        epsilon: Error tolerance of the quantile sketch.
        output_mode: ``'int'`` (int32 bin ids), ``'one_hot'``, ``'multi_hot'``
            or ``'count'``.
        sparse: Must be ``False``.

    Example:
        >>> layer = jl.layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0])
        >>> layer(jnp.array([[-1.5, 1.0, 3.4, 0.5]])).tolist()
        [[0, 2, 3, 1]]
    """

    # Bins are ordered: no order on complex values.
    supports_complex_inputs = False

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int",
                 sparse=False, dtype=None, name=None, **kwargs):
        super().__init__(dtype=dtype, name=name, **kwargs)
        who = _common.owner(self)
        check_sparse(who, sparse)
        self.output_mode = check_output_mode(who, output_mode,
                                             ("int", "one_hot", "multi_hot", "count"))
        num_bins = _args.optional(_args.non_negative_int, who, "num_bins", num_bins)
        if num_bins is not None and bin_boundaries is not None:
            raise ConfigError(
                f"{who}: give `bin_boundaries` or `num_bins`, not both. Received: "
                f"bin_boundaries={bin_boundaries!r}, num_bins={num_bins!r}."
            )
        if num_bins is None and bin_boundaries is None:
            raise ConfigError(f"{who}: give either `num_bins` (and adapt) or `bin_boundaries`.")
        self.bin_boundaries = (None if bin_boundaries is None
                               else _sorted_boundaries(who, bin_boundaries))
        self.num_bins = num_bins
        self.epsilon = _args.non_negative_float(who, "epsilon", epsilon)
        self.sparse = False

    def adapt(self, data, batch_size=None, steps=None):
        """Sets ``bin_boundaries`` to approximate ``num_bins`` quantiles of ``data``."""
        if self.num_bins is None:
            raise ConfigError(
                f"{_common.owner(self)}: cannot adapt a layer built with `bin_boundaries`; "
                f"use `num_bins` instead."
            )
        summary = np.zeros((2, 0), "float32")
        for batch in _common.adapt_batches(self, data, batch_size, steps):
            batch = np.asarray(batch).astype("float32")
            summary = _merge(_summarize(batch, self.epsilon), summary, self.epsilon)
        self.bin_boundaries = _compress(summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ConfigError(
                f"{_common.owner(self)}: no bin boundaries yet; pass `bin_boundaries` or "
                f"call adapt(data) before using the layer."
            )
        x = jnp.asarray(inputs).astype(self.compute_dtype)
        bins = jnp.digitize(x, jnp.asarray(self.bin_boundaries, x.dtype)).astype(jnp.int32)
        return _common.encode(bins, self.output_mode, len(self.bin_boundaries) + 1,
                              self.compute_dtype)

    def compute_output_shape(self, input_shape):
        depth = len(self.bin_boundaries) + 1 if self.bin_boundaries is not None \
            else self.num_bins
        return _common.encode_output_shape(input_shape, self.output_mode, depth)

    def get_config(self):
        config = super().get_config()
        config.update({"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins,
                       "epsilon": self.epsilon, "output_mode": self.output_mode,
                       "sparse": self.sparse})
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            boundaries = config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = list(boundaries)
            return layer
        return cls(**config)


# --------------------------------------------------------------------- SpectralNormalization
@register_builtin("layers")
class SpectralNormalization(Wrapper):
    """Divides the wrapped layer's kernel by its spectral norm (Miyato et al., 2018).

    Args:
        layer: A layer with a ``kernel`` (Dense, Conv*) or ``embeddings`` weight.
        power_iterations: Power-iteration steps per training call.

    State: ``vector_u`` of shape ``(1, kernel.shape[-1])``, updated when
    ``training=True``.  See the module docstring for how this differs from
    Keras (a reparametrization: params are never written inside ``apply``).

    Example:
        >>> layer = jl.layers.SpectralNormalization(jl.layers.Dense(3))
        >>> params, state = layer.init(jax.random.key(0), jnp.zeros((2, 4)))
        >>> jax.tree.map(jnp.shape, state)
        {'spectral_normalization': {'vector_u': (1, 3)}}
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        who = _common.owner(self)
        self.power_iterations = _args.positive_int(who, "power_iterations", power_iterations)

    def _find_kernel(self):
        """The wrapped layer's own ``kernel`` (else ``embeddings``) weight, or ``None``."""
        own = {w.name: w for w in self.layer.weights if w.owner is self.layer}
        for name in ("kernel", "embeddings"):
            if name in own:
                return name, own[name]
        return None

    def _kernel_var(self):
        found = self._find_kernel()
        if found is not None:
            return found
        raise ShapeError(
            f"{_common.owner(self)}: the wrapped {type(self.layer).__name__} has no "
            f"'kernel' or 'embeddings' weight to normalize."
        )

    @property
    def weights(self):
        """Keras's order: the wrapped kernel (which Keras tracks as the wrapper's own
        trainable weight), ``vector_u``, then the wrapped layer's other weights."""
        weights = super().weights
        kernel = self._find_kernel()
        if kernel is None or not any(w is kernel[1] for w in weights):
            return weights
        return [kernel[1]] + [w for w in weights if w is not kernel[1]]

    def build(self, input_shape):
        if not self.layer.built:
            self.layer.build(input_shape)
        _, kernel = self._kernel_var()
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_shape[-1]})
        self.vector_u = self.add_weight(
            name="vector_u", shape=(1, kernel.shape[-1]), trainable=False,
            initializer=initializers.TruncatedNormal(stddev=0.02), dtype=kernel.dtype)

    def call(self, inputs, training=False):
        name, var = self._kernel_var()
        kernel = getattr(self.layer, name)
        normalized, new_u = norm_ops.spectral_normalize(
            kernel, self.vector_u, self.power_iterations, update=bool(training),
            epsilon=backend.epsilon())
        if training:
            self.vector_u = new_u
        with override_weight(var, normalized):
            outputs = self.layer(inputs)
        return outputs.astype(inputs.dtype)

    @property
    def supports_complex_inputs(self):
        return self.layer.supports_complex_inputs

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config["power_iterations"] = self.power_iterations
        return config
