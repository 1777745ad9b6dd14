"""Activation layers with arguments: ReLU, Softmax, LeakyReLU, PReLU, ELU.

The functions come from :mod:`jaxlayers.activations`; the masked softmax from
:mod:`jaxlayers.ops.attention`.  (The plain ``Activation('relu')`` layer is in
``jaxlayers.layers.core``.)
"""

from jaxlayers import activations
from jaxlayers.core import args as _args
from jaxlayers.core.input_spec import InputSpec
from jaxlayers.core.layer import Layer
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError, ShapeError
from jaxlayers.layers._weight_args import WeightArgs
from jaxlayers.ops import _attention as attn_ops

__all__ = ["ReLU", "Softmax", "LeakyReLU", "PReLU", "ELU"]


class _ElementwiseActivation(Layer):
    """Shape-preserving, mask-preserving activation layer."""

    # Thresholds, slopes and the softmax maximum compare values: no order on complex ones.
    supports_complex_inputs = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


@register_builtin("layers")
class ReLU(_ElementwiseActivation):
    """Rectified linear unit with optional ceiling, negative slope and threshold.

    ``f(x) = max_value`` if ``x >= max_value``; ``x`` if ``threshold < x <
    max_value``; ``negative_slope * (x - threshold)`` otherwise.

    Args:
        max_value: Non-negative ceiling, or ``None`` for none.
        negative_slope: Non-negative slope below the threshold.
        threshold: Non-negative threshold.

    Example:
        >>> jl.layers.ReLU(max_value=1.0)(jnp.array([-1.0, 0.5, 3.0]))
        Array([0. , 0.5, 1. ], dtype=float32)
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        owner = _args.owner(self)
        self.max_value = _args.optional(_args.non_negative_float, owner, "max_value",
                                        max_value)
        self.negative_slope = _args.non_negative_float(owner, "negative_slope", negative_slope)
        self.threshold = _args.non_negative_float(owner, "threshold", threshold)

    def call(self, inputs):
        return activations.relu(inputs, negative_slope=self.negative_slope,
                                max_value=self.max_value, threshold=self.threshold)

    def get_config(self):
        config = super().get_config()
        config.update({"max_value": self.max_value, "negative_slope": self.negative_slope,
                       "threshold": self.threshold})
        return config


@register_builtin("layers")
class LeakyReLU(_ElementwiseActivation):
    """``x`` for ``x >= 0``, ``negative_slope * x`` otherwise.

    Args:
        negative_slope: Non-negative slope (default 0.3, as in Keras; the
            deprecated ``alpha`` name is accepted too).

    Example:
        >>> jl.layers.LeakyReLU(0.5)(jnp.array([-2.0, 2.0]))
        Array([-1.,  2.], dtype=float32)
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        self.negative_slope = _args.non_negative_float(_args.owner(self), "negative_slope",
                                                       negative_slope)

    def call(self, inputs):
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self):
        config = super().get_config()
        config.update({"negative_slope": self.negative_slope})
        return config


@register_builtin("layers")
class ELU(_ElementwiseActivation):
    """Exponential linear unit: ``x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``.

    Args:
        alpha: Scale of the negative part.

    Example:
        >>> jl.layers.ELU()(jnp.array([1.0]))
        Array([1.], dtype=float32)
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = _args.finite_float(_args.owner(self), "alpha", alpha)

    def call(self, inputs):
        return activations.elu(inputs, alpha=self.alpha)

    def get_config(self):
        config = super().get_config()
        config.update({"alpha": self.alpha})
        return config


@register_builtin("layers")
class Softmax(_ElementwiseActivation):
    """Softmax over ``axis``, optionally ignoring masked positions.

    With ``mask`` (boolean, or numeric where ``> 0.5`` means kept; any shape
    broadcastable to the inputs) masked positions get probability exactly 0
    and the rest renormalize, as in Keras.

    Args:
        axis: Axis, or list of axes, normalized over.

    Call args:
        inputs: Logits.
        mask: Optional mask broadcastable to ``inputs``.

    Example:
        >>> sm = jl.layers.Softmax()
        >>> sm(jnp.zeros((1, 3)), mask=jnp.array([[True, True, False]]))
        Array([[0.5, 0.5, 0. ]], dtype=float32)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = _args.axes(_args.owner(self), "axis", axis)

    def _check(self, inputs, mask):
        ndim = inputs.ndim
        axes = [self.axis] if isinstance(self.axis, int) else self.axis
        bad = [a for a in axes if not -ndim <= a < ndim]
        if bad:
            raise ShapeError(
                f"Softmax '{self.name}': axis {bad[0]} does not exist for inputs of rank "
                f"{ndim} (shape {tuple(inputs.shape)}). Received: axis={self.axis!r}."
            )
        if mask is None:
            return
        ms, xs = tuple(mask.shape), tuple(inputs.shape)
        if len(ms) > len(xs) or any(m not in (1, d) for m, d in zip(ms[::-1], xs[::-1])):
            raise ShapeError(
                f"Softmax '{self.name}': the mask must broadcast to the inputs (each mask "
                f"axis 1 or the input's size, aligned from the right). Received: "
                f"mask.shape={ms}, inputs.shape={xs}."
            )

    def call(self, inputs, mask=None):
        self._check(inputs, mask)
        axis = tuple(self.axis) if isinstance(self.axis, list) else self.axis
        return attn_ops.masked_softmax(inputs, mask, axis=axis)

    def get_config(self):
        config = super().get_config()
        config.update({"axis": self.axis})
        return config


@register_builtin("layers")
class PReLU(WeightArgs, Layer):
    """Leaky ReLU with a learned slope per input element: ``max(x, 0) + alpha * min(x, 0)``.

    Args:
        alpha_initializer: Initializer of ``alpha`` (default zeros).
        alpha_regularizer: Optional penalty on ``alpha``.
        alpha_constraint: Optional constraint on ``alpha``.
        shared_axes: Axes (1-based, batch excluded) along which ``alpha`` is
            shared, e.g. ``[1, 2]`` for one slope per channel of an image.

    Input shape: ``(batch, ...)``.  Weights: ``alpha`` of shape
    ``input_shape[1:]`` with the shared axes set to 1.

    Example:
        >>> prelu = jl.layers.PReLU(shared_axes=[1], name="prelu")
        >>> params, _ = prelu.init(jax.random.key(0), jnp.zeros((2, 5, 3)))
        >>> jax.tree.map(jnp.shape, params)
        {'prelu': {'alpha': (1, 3)}}
    """

    # The slope applies below zero: no order on complex values.
    supports_complex_inputs = False

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None,
                 alpha_constraint=None, shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self._set_weight_args("alpha", alpha_initializer, alpha_regularizer, alpha_constraint)
        if shared_axes is not None:
            shared_axes = list(shared_axes) if isinstance(shared_axes, (list, tuple)) \
                else [shared_axes]
            if not all(_args.is_int(a) and a >= 1 for a in shared_axes):
                raise ConfigError(
                    f"PReLU '{self.name}': `shared_axes` must be positive ints (axis 0 is "
                    f"the batch). Received: shared_axes={shared_axes!r}."
                )
        self.shared_axes = shared_axes

    def build(self, input_shape):
        ndim = len(input_shape)
        shared = set(self.shared_axes or ())
        if shared and max(shared) >= ndim:
            raise ShapeError(
                f"PReLU '{self.name}': shared axis {max(shared)} does not exist for inputs of "
                f"rank {ndim}. Received: shared_axes={self.shared_axes}, "
                f"input_shape={tuple(input_shape)}."
            )
        shape = []
        for i in range(1, ndim):
            if i in shared:
                shape.append(1)
            elif input_shape[i] is None:
                raise ShapeError(
                    f"PReLU '{self.name}': axis {i} must have a known size or be listed in "
                    f"`shared_axes`. Received: input_shape={tuple(input_shape)}."
                )
            else:
                shape.append(input_shape[i])
        self.alpha = self._add_weight_from_args("alpha", tuple(shape))
        self.input_spec = InputSpec(
            ndim=ndim, axes={i: input_shape[i] for i in range(1, ndim) if i not in shared})

    def call(self, inputs):
        return activations.relu(inputs) - self.alpha * activations.relu(-inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(self._weight_args_config("alpha"))
        config["shared_axes"] = self.shared_axes
        return config
