"""Regularization layers: Dropout, SpatialDropout1D/2D/3D, GaussianDropout,
GaussianNoise, AlphaDropout, ActivityRegularization.

Random layers are the identity at inference (``training=False``, the default)
and draw their randomness in training only from ``self.next_key()``: under
``apply`` from the ``key=`` argument (folded with the layer's path), in an
eager facade call from the facade's own key stream.  The ``seed`` argument is
kept in the config for Keras compatibility; it does not change the masks,
which depend on the key only (same key, same mask).
"""

import jax.numpy as jnp

from jaxlayers import backend, regularizers
from jaxlayers.core import args as _args
from jaxlayers.core.input_spec import InputSpec
from jaxlayers.core.layer import Layer
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError
from jaxlayers.ops import _layout as layout
from jaxlayers.ops import _regularization as reg_ops

__all__ = [
    "Dropout",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "GaussianDropout",
    "GaussianNoise",
    "AlphaDropout",
    "ActivityRegularization",
]


def _check_noise_shape(owner, noise_shape):
    if noise_shape is None:
        return None
    if isinstance(noise_shape, (str, bytes)) or not hasattr(noise_shape, "__iter__"):
        raise ConfigError(
            f"{owner}: `noise_shape` must be a tuple of positive ints or None, e.g. "
            f"(None, 1, None). Received: noise_shape={noise_shape!r}."
        )
    noise_shape = tuple(noise_shape)
    for i, d in enumerate(noise_shape):
        if d is not None and (not _args.is_int(d) or d <= 0):
            raise ConfigError(
                f"{owner}: `noise_shape` entries must be positive ints or None; entry {i} "
                f"is {d!r}. Received: noise_shape={noise_shape!r}."
            )
    return noise_shape


class _RandomLayer(Layer):
    """Common base: identity unless ``training``; mask passes through."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = _args.seed(_args.owner(self), seed)
        self.supports_masking = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


@register_builtin("layers")
class Dropout(_RandomLayer):
    """Sets inputs to 0 with probability ``rate`` in training; scales the rest by ``1/(1-rate)``.

    Args:
        rate: Fraction of inputs to drop, in ``[0, 1)``.
        noise_shape: Shape of the keep mask, broadcast against the inputs;
            ``None`` entries take the input's size (e.g. ``(None, 1, None)``
            drops the same features at every timestep).
        seed: Kept for Keras compatibility (the mask comes from the key).

    Example:
        >>> layer = jl.layers.Dropout(0.5)
        >>> x = jnp.ones((2, 4))
        >>> y, _ = layer.apply({}, {}, x, training=True, key=jax.random.key(0))
        >>> bool(jnp.all((y == 0) | (y == 2)))
        True
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        owner = _args.owner(self)
        self.rate = _args.rate(owner, "rate", rate)
        self.noise_shape = _check_noise_shape(owner, noise_shape)

    def _noise_shape(self, inputs):
        return self.noise_shape

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            return reg_ops.dropout(self.next_key(), inputs, self.rate,
                                   self._noise_shape(inputs))
        return inputs

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed,
                       "noise_shape": list(self.noise_shape) if self.noise_shape else None})
        return config


class _SpatialDropout(Dropout):
    """Drops whole feature maps: one keep decision per (example, channel)."""

    _rank = None

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        owner = _args.owner(self)
        self.data_format = backend.standardize_data_format(data_format, owner)
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def _noise_shape(self, inputs):
        channels = inputs.shape[layout.channel_axis(self.data_format)]
        return layout.assemble_shape(inputs.shape[0], (1,) * self._rank, channels,
                                     self.data_format)

    def get_config(self):
        config = super().get_config()
        config.pop("noise_shape", None)
        config["data_format"] = self.data_format
        return config


@register_builtin("layers")
class SpatialDropout1D(_SpatialDropout):
    """Dropout of whole channels of ``(batch, steps, channels)`` inputs.

    Args:
        rate: Fraction of channels to drop, in ``[0, 1)``.
        seed: Kept for Keras compatibility.

    Example:
        >>> layer = jl.layers.SpatialDropout1D(0.5)
        >>> y, _ = layer.apply({}, {}, jnp.ones((2, 3, 4)), training=True,
        ...                    key=jax.random.key(0))
        >>> bool(jnp.all(y == y[:, :1]))
        True
    """

    _rank = 1

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, data_format="channels_last", seed=seed, **kwargs)

    def get_config(self):
        config = super().get_config()
        config.pop("data_format", None)
        return config


@register_builtin("layers")
class SpatialDropout2D(_SpatialDropout):
    """Dropout of whole feature maps of 4D inputs.

    Args:
        rate: Fraction of channels to drop, in ``[0, 1)``.
        data_format: ``'channels_last'`` ``(batch, h, w, c)`` or ``'channels_first'``.
        seed: Kept for Keras compatibility.

    Example:
        >>> jl.layers.SpatialDropout2D(0.2)(jnp.ones((1, 2, 2, 3))).shape
        (1, 2, 2, 3)
    """

    _rank = 2


@register_builtin("layers")
class SpatialDropout3D(_SpatialDropout):
    """Dropout of whole feature maps of 5D inputs.

    Args:
        rate: Fraction of channels to drop, in ``[0, 1)``.
        data_format: ``'channels_last'`` ``(batch, d, h, w, c)`` or ``'channels_first'``.
        seed: Kept for Keras compatibility.

    Example:
        >>> jl.layers.SpatialDropout3D(0.2)(jnp.ones((1, 2, 2, 2, 3))).shape
        (1, 2, 2, 2, 3)
    """

    _rank = 3


@register_builtin("layers")
class GaussianDropout(_RandomLayer):
    """Multiplies inputs by noise from ``N(1, rate / (1 - rate))`` in training.

    Args:
        rate: Drop probability of the equivalent dropout, in ``[0, 1)``.
        seed: Kept for Keras compatibility.

    Example:
        >>> jl.layers.GaussianDropout(0.3)(jnp.ones((2, 2)))  # identity at inference
        Array([[1., 1.],
               [1., 1.]], dtype=float32)
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _args.rate(_args.owner(self), "rate", rate)

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            return reg_ops.gaussian_dropout(self.next_key(), inputs, self.rate)
        return inputs

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed})
        return config


@register_builtin("layers")
class GaussianNoise(_RandomLayer):
    """Adds zero-mean Gaussian noise with standard deviation ``stddev`` in training.

    Args:
        stddev: Non-negative float, the noise's standard deviation.
        seed: Kept for Keras compatibility.

    Example:
        >>> layer = jl.layers.GaussianNoise(0.1)
        >>> y, _ = layer.apply({}, {}, jnp.zeros((2, 3)), training=True,
        ...                    key=jax.random.key(0))
        >>> y.shape
        (2, 3)
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.stddev = _args.non_negative_float(_args.owner(self), "stddev", stddev)

    def call(self, inputs, training=False):
        if training and self.stddev > 0:
            return reg_ops.gaussian_noise(self.next_key(), inputs, self.stddev)
        return inputs

    def get_config(self):
        config = super().get_config()
        config.update({"stddev": self.stddev, "seed": self.seed})
        return config


@register_builtin("layers")
class AlphaDropout(_RandomLayer):
    """Dropout for SELU networks that keeps the inputs' mean and variance (Klambauer et al., 2017).

    Args:
        rate: Fraction of inputs to drop, in ``[0, 1)``.
        noise_shape: As in Dropout.
        seed: Kept for Keras compatibility.

    Example:
        >>> layer = jl.layers.AlphaDropout(0.1)
        >>> y, _ = layer.apply({}, {}, jnp.zeros((2, 3)), training=True,
        ...                    key=jax.random.key(0))
        >>> y.shape
        (2, 3)
    """

    # The affine correction is derived for real SELU activations.
    supports_complex_inputs = False

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        owner = f"AlphaDropout '{self.name}'"
        self.rate = _args.rate(owner, "rate", rate)
        self.noise_shape = _check_noise_shape(owner, noise_shape)

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            return reg_ops.alpha_dropout(self.next_key(), inputs, self.rate, self.noise_shape)
        return inputs

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed,
                       "noise_shape": list(self.noise_shape) if self.noise_shape else None})
        return config


@register_builtin("layers")
class ActivityRegularization(Layer):
    """Identity that adds ``(l1 * sum|x| + l2 * sum x**2) / batch_size`` to the losses.

    The penalty goes through ``self.add_loss``: it appears in
    ``apply_with_aux(...)[2]["losses"]``, in ``layer.losses`` after an eager
    call, and in the training loss of ``fit``.  As in Keras 3, it is divided
    by the batch size (the first axis).

    Args:
        l1: L1 factor (non-negative).
        l2: L2 factor (non-negative).

    Example:
        >>> layer = jl.layers.ActivityRegularization(l2=0.5)
        >>> _, _, aux = layer.apply_with_aux({}, {}, jnp.ones((2, 3)))
        >>> float(aux["losses"][0])
        1.5
    """

    # The penalty would be complex, not a loss.
    supports_complex_inputs = False

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        kwargs.pop("activity_regularizer", None)
        super().__init__(**kwargs)
        who = _args.owner(self)
        self.l1 = _args.non_negative_float(who, "l1", l1)
        self.l2 = _args.non_negative_float(who, "l2", l2)
        self._penalty = regularizers.L1L2(l1=self.l1, l2=self.l2)
        self.supports_masking = True

    def call(self, inputs):
        loss = self._penalty(inputs)
        if inputs.ndim > 0 and inputs.shape[0]:
            loss = loss / jnp.asarray(inputs.shape[0], loss.dtype)
        self.add_loss(loss)
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"l1": self.l1, "l2": self.l2})
        return config
