"""The Keras optimizers (SGD, RMSprop, Adam, ...) as compositions of optax pieces.

Example:
    >>> tx = Adam(learning_rate=1e-3).to_optax()
"""

import jax.numpy as jnp
import optax

from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError
from jaxlayers.optimizers.base import Optimizer
from jaxlayers.optimizers.state import _number
from jaxlayers.optimizers.transforms import scale_by_keras_nadam


def _register(cls):
    return register_builtin("optimizers")(cls)


_COMMON = ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm", "use_ema",
           "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor",
           "gradient_accumulation_steps", "name")


def _common(local_vars):
    """The base-class keyword arguments out of a subclass ``__init__``'s ``locals()``."""
    out = {k: local_vars[k] for k in _COMMON}
    out.update(local_vars["kwargs"])
    return out


def _beta(owner, name, value):
    return _number(owner, name, value, 0.0, 1.0, high_open=True)


# ----------------------------------------------------------------------------- optimizers
@_register
class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum.

    ``m = momentum * m - lr * g``; ``w += m`` (Nesterov: ``w += momentum * m - lr * g``).
    Built as ``scale_by_learning_rate`` then ``optax.trace``, so the momentum holds
    lr-scaled steps exactly as in Keras, also when the learning rate changes.

    Args:
        learning_rate: Float or schedule.  Default 0.01.
        momentum: Float in ``[0, 1]``.
        nesterov: Whether to use Nesterov momentum.
        **kwargs: The common arguments of :class:`Optimizer`.

    Example:
        >>> tx = SGD(learning_rate=0.1, momentum=0.9).to_optax()
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate, **_common(locals()))
        self.momentum = _number("SGD", "momentum", momentum, 0.0, 1.0)
        self.nesterov = bool(nesterov)

    def _update(self, learning_rate):
        scale = optax.scale_by_learning_rate(learning_rate)
        if not self.momentum:
            return scale
        return optax.chain(scale, optax.trace(decay=self.momentum, nesterov=self.nesterov))

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


@_register
class RMSprop(Optimizer):
    """Divides the gradient by a moving root mean square of past gradients.

    ``v = rho * v + (1 - rho) * g**2``; ``step = lr * g / sqrt(v + epsilon)`` (epsilon
    inside the square root, as Keras 3 and ``optax.scale_by_rms(eps_in_sqrt=True)``
    both do); ``centered`` subtracts the squared moving mean of ``g`` under the root;
    ``momentum`` accumulates the steps.  Matches Keras to float32 rounding.

    Args:
        learning_rate: Float or schedule.  Default 0.001.
        rho: Discount of the moving average of squared gradients.
        momentum: Momentum of the steps, in ``[0, 1]``.
        epsilon: Small constant for numerical stability.
        centered: Normalize by the estimated variance instead of the second moment.
        **kwargs: The common arguments of :class:`Optimizer`.

    Example:
        >>> tx = RMSprop(learning_rate=1e-3, centered=True).to_optax()
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-07,
                 centered=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate, **_common(locals()))
        self.rho = _beta("RMSprop", "rho", rho)
        self.momentum = _number("RMSprop", "momentum", momentum, 0.0, 1.0)
        self.epsilon = _number("RMSprop", "epsilon", epsilon)
        self.centered = bool(centered)

    def _update(self, learning_rate):
        scale_by = optax.scale_by_stddev if self.centered else optax.scale_by_rms
        parts = [scale_by(decay=self.rho, eps=self.epsilon, eps_in_sqrt=True),
                 optax.scale_by_learning_rate(learning_rate)]
        if self.momentum:
            parts.append(optax.trace(decay=self.momentum))
        return optax.chain(*parts)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}


def keras_adam(beta_1, beta_2, epsilon):
    """Keras's Adam direction (not yet scaled by the learning rate) from optax pieces.

    Keras adds epsilon to ``sqrt(v)`` before bias correction; optax adds it after.
    ``m_hat / (sqrt(v_hat) + eps / sqrt(1 - beta_2**t))`` equals Keras's
    ``lr_t * m / (sqrt(v) + eps)``, so the injected epsilon follows this schedule.

    Args:
        beta_1: Decay of the first-moment average.
        beta_2: Decay of the second-moment average.
        epsilon: Float added to the denominator.

    Example:
        >>> tx = keras_adam(0.9, 0.999, 1e-7)
        >>> u, _ = tx.update([jnp.ones(2)], tx.init([jnp.zeros(2)]))
        >>> [round(float(x), 4) for x in u[0]]
        [1.0, 1.0]
    """
    return optax.inject_hyperparams(optax.scale_by_adam, static_args=("b1", "b2"))(
        b1=beta_1, b2=beta_2, eps=lambda count: epsilon / jnp.sqrt(1.0 - beta_2 ** (count + 1)))


@_register
class Adam(Optimizer):
    """Adam (Kingma & Ba, 2014, https://arxiv.org/abs/1412.6980).

    Keras computes ``w -= lr * sqrt(1 - b2**t) / (1 - b1**t) * m / (sqrt(v) + eps)``.
    ``optax.adam`` instead adds ``eps`` to the bias-corrected ``sqrt(v_hat)``, i.e. its
    epsilon is ``sqrt(1 - b2**t)`` times Keras's (0.032x at step 1), which changes an
    update by about ``eps * (1 / sqrt(1 - b2**t) - 1) / |g|`` relative: 3e-6 for
    gradients of size 1, 3% for size 1e-4 at step 1, fading as ``b2**t`` decays.  This
    class injects
    ``eps / sqrt(1 - b2**t)`` into ``optax.scale_by_adam`` (a schedule through
    ``optax.inject_hyperparams``), which reproduces Keras to float32 rounding.
    ``amsgrad`` keeps the maximum of the raw second moment, as Keras does
    (``optax.scale_by_amsgrad`` without bias correction, then Keras's step-size
    factor via ``optax.scale_by_schedule``).

    Args:
        learning_rate: Float or schedule.  Default 0.001.
        beta_1: Decay of the first moment.
        beta_2: Decay of the second moment.
        epsilon: Small constant for numerical stability (Keras's placement).
        amsgrad: Use the AMSGrad variant.
        **kwargs: The common arguments of :class:`Optimizer`.

    Example:
        >>> tx = Adam(learning_rate=3e-4).to_optax()
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07,
                 amsgrad=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate, **_common(locals()))
        owner = type(self).__name__
        self.beta_1 = _beta(owner, "beta_1", beta_1)
        self.beta_2 = _beta(owner, "beta_2", beta_2)
        self.epsilon = _number(owner, "epsilon", epsilon)
        self.amsgrad = bool(amsgrad)

    def _update(self, learning_rate):
        b1, b2 = self.beta_1, self.beta_2
        if self.amsgrad:
            moments = optax.chain(
                optax.scale_by_amsgrad(b1=b1, b2=b2, eps=self.epsilon,
                                       bias_correction_mu=False, bias_correction_nu=False),
                optax.scale_by_schedule(
                    lambda count: jnp.sqrt(1.0 - b2 ** (count + 1)) / (1.0 - b1 ** (count + 1))),
            )
        else:
            moments = keras_adam(b1, b2, self.epsilon)
        return optax.chain(moments, optax.scale_by_learning_rate(learning_rate))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}


@_register
class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, https://arxiv.org/abs/1711.05101).

    Keras's AdamW is :class:`Adam` with ``weight_decay`` defaulting to 0.004:
    ``w -= lr * weight_decay * w`` each step, outside the Adam moments.

    Args:
        learning_rate: Float or schedule.  Default 0.001.
        weight_decay: Decoupled decay rate.  Default 0.004.
        beta_1: Decay of the first moment.
        beta_2: Decay of the second moment.
        epsilon: Small constant for numerical stability (Keras's placement).
        amsgrad: Use the AMSGrad variant.
        **kwargs: The common arguments of :class:`Optimizer`.

    Example:
        >>> tx = AdamW(learning_rate=1e-3, weight_decay=0.01).to_optax()
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-07, amsgrad=False, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        if weight_decay is None:
            raise ConfigError(
                "AdamW: `weight_decay` must be a float >= 0 (use Adam for no decay). "
                f"Received: weight_decay={weight_decay!r}."
            )
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad,
                         **_common(locals()))


@_register
class Adagrad(Optimizer):
    """Adagrad: per-weight steps scaled by the root of the summed squared gradients.

    ``acc += g**2``; ``w -= lr * g / sqrt(acc + epsilon)``, with ``acc`` starting at
    ``initial_accumulator_value`` (``optax.scale_by_rss``).  Matches Keras to float32
    rounding.

    Args:
        learning_rate: Float or schedule.  Default 0.001.
        initial_accumulator_value: Starting value of the accumulators (>= 0).
        epsilon: Small constant for numerical stability.
        **kwargs: The common arguments of :class:`Optimizer`.

    Example:
        >>> tx = Adagrad(learning_rate=0.01).to_optax()
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-07,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name=None,
                 **kwargs):
        super().__init__(learning_rate, **_common(locals()))
        self.initial_accumulator_value = _number("Adagrad", "initial_accumulator_value",
                                                 initial_accumulator_value)
        self.epsilon = _number("Adagrad", "epsilon", epsilon)

    def _update(self, learning_rate):
        return optax.chain(
            optax.scale_by_rss(initial_accumulator_value=self.initial_accumulator_value,
                               eps=self.epsilon),
            optax.scale_by_learning_rate(learning_rate))

    def get_config(self):
        return {**super().get_config(),
                "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}


@_register
class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012, https://arxiv.org/abs/1212.5701), via ``optax.scale_by_adadelta``.

    ``step = sqrt(E[dx**2] + eps) / sqrt(E[g**2] + eps) * g``; ``w -= lr * step``.
    Matches Keras to float32 rounding.

    Args:
        learning_rate: Float or schedule.  Default 0.001.
        rho: Decay of the moving averages.
        epsilon: Small constant for numerical stability.
        **kwargs: The common arguments of :class:`Optimizer`.

    Example:
        >>> tx = Adadelta(learning_rate=1.0).to_optax()
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-07, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate, **_common(locals()))
        self.rho = _beta("Adadelta", "rho", rho)
        self.epsilon = _number("Adadelta", "epsilon", epsilon)

    def _update(self, learning_rate):
        return optax.chain(optax.scale_by_adadelta(rho=self.rho, eps=self.epsilon),
                           optax.scale_by_learning_rate(learning_rate))

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


class MomentsOptimizer(Optimizer):
    """The shared arguments of Keras's Adamax and Nadam optimizers (two decays, epsilon).

    Args:
        learning_rate: Float or schedule.  Default 0.001.
        beta_1: Decay of the first moment.
        beta_2: Decay of the second moment.
        epsilon: Small constant for numerical stability.
        **kwargs: The common arguments of :class:`Optimizer`.

    Example:
        >>> opt = jl.optimizers.Adamax(beta_1=0.8)
        >>> isinstance(opt, MomentsOptimizer), opt.get_config()["beta_1"]
        (True, 0.8)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name=None,
                 **kwargs):
        super().__init__(learning_rate, **_common(locals()))
        owner = type(self).__name__
        self.beta_1 = _beta(owner, "beta_1", beta_1)
        self.beta_2 = _beta(owner, "beta_2", beta_2)
        self.epsilon = _number(owner, "epsilon", epsilon)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


@_register
class Adamax(MomentsOptimizer):
    """Adamax, the infinity-norm variant of Adam, via ``optax.scale_by_adamax``.

    Keras: ``u = max(b2 * u, |g|)``; ``w -= lr / (1 - b1**t) * m / (u + eps)``.
    optax adds ``eps`` inside the maximum (``u = max(b2 * u, |g| + eps)``), so the
    denominators differ by at most ``eps`` (1e-7): a relative difference below
    ``eps / |g|``, invisible unless gradients are ~1e-6 or smaller.

    Args:
        learning_rate: Float or schedule.  Default 0.001.
        beta_1: Decay of the first moment.
        beta_2: Decay of the infinity norm.
        epsilon: Small constant for numerical stability.
        **kwargs: The common arguments of :class:`Optimizer`.

    Example:
        >>> tx = Adamax(learning_rate=2e-3).to_optax()
    """


    def _update(self, learning_rate):
        return optax.chain(
            optax.scale_by_adamax(b1=self.beta_1, b2=self.beta_2, eps=self.epsilon),
            optax.scale_by_learning_rate(learning_rate))



@_register
class Nadam(MomentsOptimizer):
    """Adam with Nesterov momentum, as Keras computes it (Dozat, 2016).

    The momentum follows the schedule ``mu_t = beta_1 * (1 - 0.5 * 0.96**t)``
    with a running product of ``mu_t`` in the bias correction.
    ``optax.scale_by_adam(nesterov=True)`` uses a constant ``beta_1`` instead
    (step 1 of a constant gradient moves a weight by ``1.47 lr`` there and
    ``1.06 lr`` in Keras), so this class uses
    :func:`~jaxlayers.optimizers.transforms.scale_by_keras_nadam`.

    Args:
        learning_rate: Float or schedule.  Default 0.001.
        beta_1: Decay of the first moment.
        beta_2: Decay of the second moment.
        epsilon: Small constant for numerical stability.
        **kwargs: The common arguments of :class:`Optimizer`.

    Example:
        >>> tx = Nadam(learning_rate=1e-3).to_optax()
    """


    def _update(self, learning_rate):
        return optax.chain(
            scale_by_keras_nadam(self.beta_1, self.beta_2, self.epsilon),
            optax.scale_by_learning_rate(learning_rate))



@_register
class Lion(Optimizer):
    """Lion (Chen et al., 2023, https://arxiv.org/abs/2302.06675), via ``optax.scale_by_lion``.

    ``w -= lr * sign(b1 * m + (1 - b1) * g)``; ``m = b2 * m + (1 - b2) * g``.  Matches
    Keras exactly.  (``optax.lion`` itself defaults to weight decay 1e-3; here the
    decay is Keras's ``weight_decay``, default none.)

    Args:
        learning_rate: Float or schedule.  Default 0.001.
        beta_1: Interpolation factor of the update direction.
        beta_2: Decay of the momentum.
        **kwargs: The common arguments of :class:`Optimizer`.

    Example:
        >>> tx = Lion(learning_rate=1e-4).to_optax()
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate, **_common(locals()))
        self.beta_1 = _number("Lion", "beta_1", beta_1, 0.0, 1.0)
        self.beta_2 = _beta("Lion", "beta_2", beta_2)

    def _update(self, learning_rate):
        return optax.chain(optax.scale_by_lion(b1=self.beta_1, b2=self.beta_2),
                           optax.scale_by_learning_rate(learning_rate))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}


__all__ = ["SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax", "Nadam", "Lion",
           "MomentsOptimizer", "keras_adam"]
