"""Ftrl, Lamb, Adafactor, Muon and ScheduleFreeAdamW: Keras's optimizers, built from optax pieces.

Example:
    >>> tx = Lamb(learning_rate=1e-3).to_optax()
"""

import re

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxlayers.core import args as _args
from jaxlayers.core.serialization import register_builtin
from jaxlayers.optimizers.base import Optimizer
from jaxlayers.optimizers.builtin import MomentsOptimizer, _beta, _common, keras_adam
from jaxlayers.optimizers.ftrl import scale_by_ftrl
from jaxlayers.optimizers.state import _number


def _register(cls):
    return register_builtin("optimizers")(cls)


@_register
class Ftrl(Optimizer):
    """FTRL-Proximal, as Keras computes it (:func:`~jaxlayers.optimizers.ftrl.scale_by_ftrl`).

    Args:
        learning_rate: Float or schedule.  Default 0.001.
        learning_rate_power: ``<= 0``; how the step size shrinks with the
            accumulated squared gradients.
        initial_accumulator_value: Starting value of the accumulators (>= 0).
        l1_regularization_strength: L1 penalty (>= 0).
        l2_regularization_strength: L2 penalty (>= 0).
        l2_shrinkage_regularization_strength: L2 shrinkage penalty (>= 0).
        beta: Added to the L2 term as ``beta / (2 * lr)``.
        **kwargs: The common arguments of :class:`Optimizer`.

    Example:
        >>> tx = Ftrl(learning_rate=0.1, l1_regularization_strength=0.01).to_optax()
    """

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5,
                 initial_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, l2_shrinkage_regularization_strength=0.0,
                 beta=0.0, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate, **_common(locals()))
        self.learning_rate_power = _number("Ftrl", "learning_rate_power", learning_rate_power,
                                           low=-np.inf, high=0.0)
        self.initial_accumulator_value = _number("Ftrl", "initial_accumulator_value",
                                                 initial_accumulator_value)
        self.l1_regularization_strength = _number("Ftrl", "l1_regularization_strength",
                                                  l1_regularization_strength)
        self.l2_regularization_strength = _number("Ftrl", "l2_regularization_strength",
                                                  l2_regularization_strength)
        self.l2_shrinkage_regularization_strength = _number(
            "Ftrl", "l2_shrinkage_regularization_strength",
            l2_shrinkage_regularization_strength)
        self.beta = _number("Ftrl", "beta", beta)

    def _update(self, learning_rate):
        return scale_by_ftrl(learning_rate, self.learning_rate_power,
                             self.initial_accumulator_value, self.l1_regularization_strength,
                             self.l2_regularization_strength,
                             self.l2_shrinkage_regularization_strength, self.beta)

    def get_config(self):
        return {**super().get_config(),
                "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength":
                    self.l2_shrinkage_regularization_strength,
                "beta": self.beta}


@_register
class Lamb(MomentsOptimizer):
    """LAMB (You et al., 2019, https://arxiv.org/abs/1904.00962).

    The Adam direction ``m_hat / (sqrt(v_hat) + eps)`` scaled per weight by the
    trust ratio ``||w|| / ||direction||`` (1 where either norm is 0):
    ``optax.scale_by_adam`` then ``optax.scale_by_trust_ratio``, as Keras 3
    computes it (with ``weight_decay``, the ratio reads the decayed weight).

    Args:
        learning_rate: Float or schedule.  Default 0.001.
        beta_1: Decay of the first moment.
        beta_2: Decay of the second moment.
        epsilon: Small constant for numerical stability.
        **kwargs: The common arguments of :class:`Optimizer`.

    Example:
        >>> tx = Lamb(learning_rate=1e-3).to_optax()
    """

    def _update(self, learning_rate):
        return optax.chain(
            optax.scale_by_adam(b1=self.beta_1, b2=self.beta_2, eps=self.epsilon),
            optax.scale_by_trust_ratio(),
            optax.scale_by_learning_rate(learning_rate))



@_register
class Adafactor(Optimizer):
    """Adafactor (Shazeer & Stern, 2018, https://arxiv.org/abs/1804.04235).

    Built as Keras 3 computes it, from optax pieces: factored second moments
    (``optax.scale_by_factored_rms``, decay ``1 - t**beta_2_decay``), updates
    clipped to RMS ``clip_threshold`` (``optax.clip_by_block_rms``), scaled by
    ``max(epsilon_2, rms(w))`` (``optax.scale_by_param_block_rms``) and by
    ``min(learning_rate, 1 / sqrt(t))``.  Keras factors every weight of rank
    >= 2 over its last two axes; optax factors over the two largest axes, which
    are the same for dense and convolution kernels (channels last) but not when
    a leading axis is larger than one of the last two.

    Args:
        learning_rate: Float or schedule.  Default 0.001.
        beta_2_decay: Exponent of the second-moment decay (negative).
        epsilon_1: Added to the squared gradients.
        epsilon_2: Lower bound of the parameter scale.
        clip_threshold: RMS threshold of the update.
        relative_step: Kept for Keras configs: the step is always at most
            ``1 / sqrt(t)``, as in Keras 3.
        **kwargs: The common arguments of :class:`Optimizer`.

    Example:
        >>> tx = Adafactor(learning_rate=0.01).to_optax()
    """

    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30,
                 epsilon_2=1e-3, clip_threshold=1.0, relative_step=True, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate, **_common(locals()))
        self.beta_2_decay = _number("Adafactor", "beta_2_decay", beta_2_decay,
                                    low=-np.inf, high=0.0)
        self.epsilon_1 = _number("Adafactor", "epsilon_1", epsilon_1)
        self.epsilon_2 = _number("Adafactor", "epsilon_2", epsilon_2)
        self.clip_threshold = _number("Adafactor", "clip_threshold", clip_threshold)
        self.relative_step = _args.boolean("Adafactor", "relative_step", relative_step)

    def _update(self, learning_rate):
        return optax.chain(
            optax.scale_by_factored_rms(decay_rate=-self.beta_2_decay,
                                        min_dim_size_to_factor=1, epsilon=self.epsilon_1),
            optax.clip_by_block_rms(self.clip_threshold),
            optax.scale_by_param_block_rms(min_scale=self.epsilon_2),
            optax.scale_by_schedule(
                lambda count: -jnp.minimum(learning_rate, 1.0 / jnp.sqrt(count + 1.0))))

    def get_config(self):
        return {**super().get_config(), "beta_2_decay": self.beta_2_decay,
                "epsilon_1": self.epsilon_1, "epsilon_2": self.epsilon_2,
                "clip_threshold": self.clip_threshold, "relative_step": self.relative_step}


def _matrix_dims(updates):
    """Every routed weight is a (rows, cols) matrix."""
    dims = optax.contrib.MuonDimensionNumbers(reduction_axis=0, output_axis=1)
    return jax.tree_util.tree_map(lambda _: dims, updates)


@_register
class Muon(Optimizer):
    """Muon (https://kellerjordan.github.io/posts/muon/), as Keras 3 computes it.

    2-D weights (but embeddings when ``exclude_embeddings``, and paths matching
    ``exclude_layers``) take the Muon step: Nesterov momentum (``optax.trace``),
    orthogonalised by Newton-Schulz iterations
    (``optax.contrib.scale_by_muon`` with its own momentum off), scaled by
    ``rms_rate * sqrt(max(rows, cols))``, with decay ``weight_decay``.  Every
    other weight takes Keras's Adam step at ``learning_rate * adam_lr_ratio``
    with decay ``adam_weight_decay``.  The groups are routed with
    ``optax.multi_transform``.

    Args:
        learning_rate: Float or schedule.  Default 0.001.
        adam_beta_1: Adam's first-moment decay.
        adam_beta_2: Adam's second-moment decay.
        adam_weight_decay: Decay of the Adam-updated weights.
        epsilon: Adam's epsilon.
        weight_decay: Decay of the Muon-updated weights.
        exclude_layers: Regexes of weight paths that take the Adam step.
        exclude_embeddings: Embedding weights (``"embedding"`` in the path) take
            the Adam step.
        muon_a: Newton-Schulz coefficient.
        muon_b: Newton-Schulz coefficient.
        muon_c: Newton-Schulz coefficient.
        adam_lr_ratio: Learning-rate multiplier of the Adam step.
        momentum: Muon's momentum.
        ns_steps: Newton-Schulz iterations.
        nesterov: Nesterov momentum for the Muon step.
        rms_rate: Update RMS target (``None``: no rescaling).
        **kwargs: The common arguments of :class:`Optimizer`.

    Example:
        >>> tx = Muon(learning_rate=0.01).to_optax()
    """

    def __init__(self, learning_rate=0.001, adam_beta_1=0.9, adam_beta_2=0.999,
                 adam_weight_decay=0.004, epsilon=1e-07, weight_decay=0.004, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, exclude_layers=None,
                 exclude_embeddings=True, muon_a=3.4445, muon_b=-4.775, muon_c=2.0315,
                 adam_lr_ratio=1, momentum=0.95, ns_steps=5, nesterov=True, rms_rate=0.2,
                 **kwargs):
        super().__init__(learning_rate, **_common(locals()))
        owner = "Muon"
        self.adam_beta_1 = _beta(owner, "adam_beta_1", adam_beta_1)
        self.adam_beta_2 = _beta(owner, "adam_beta_2", adam_beta_2)
        self.adam_weight_decay = _number(owner, "adam_weight_decay", adam_weight_decay,
                                         allow_none=True)
        self.epsilon = _number(owner, "epsilon", epsilon)
        self.exclude_layers = list(exclude_layers or [])
        self.exclude_embeddings = _args.boolean(owner, "exclude_embeddings",
                                                exclude_embeddings)
        self.muon_a = _number(owner, "muon_a", muon_a, low=-np.inf)
        self.muon_b = _number(owner, "muon_b", muon_b, low=-np.inf)
        self.muon_c = _number(owner, "muon_c", muon_c, low=-np.inf)
        self.adam_lr_ratio = _number(owner, "adam_lr_ratio", adam_lr_ratio)
        self.momentum = _number(owner, "momentum", momentum, 0.0, 1.0)
        self.ns_steps = _args.positive_int(owner, "ns_steps", ns_steps)
        self.nesterov = _args.boolean(owner, "nesterov", nesterov)
        self.rms_rate = _number(owner, "rms_rate", rms_rate, allow_none=True)

    def _uses_adam(self, path, leaf):
        if np.ndim(leaf) != 2:
            return True
        _, full, _ = self._describe(path)
        if self.exclude_embeddings and "embedding" in full.lower():
            return True
        return any(re.search(k, full) for k in self.exclude_layers)

    def _labels(self, params):
        return jax.tree_util.tree_map_with_path(
            lambda p, x: "adam" if self._uses_adam(p, x) else "muon", params)

    def _muon_step(self, learning_rate):
        parts = [optax.trace(decay=self.momentum, nesterov=self.nesterov),
                 optax.contrib.scale_by_muon(
                     ns_coeffs=(self.muon_a, self.muon_b, self.muon_c), ns_steps=self.ns_steps,
                     beta=0.0, eps=1e-7, nesterov=False,
                     weight_dimension_numbers=_matrix_dims)]
        if self.rms_rate is not None:
            rate = self.rms_rate
            parts.append(optax.stateless_with_tree_map(
                lambda u, _: u * jnp.sqrt(float(max(u.shape))) * rate))
        parts.append(optax.scale_by_learning_rate(learning_rate))
        return optax.chain(*parts)

    def _core(self, learning_rate):
        # The two groups decay at their own rates, so decay is not the base's single one.
        adam = optax.chain(keras_adam(self.adam_beta_1, self.adam_beta_2, self.epsilon),
                           optax.scale_by_learning_rate(learning_rate * self.adam_lr_ratio))
        groups = {
            "muon": self._decayed(self._muon_step(learning_rate), learning_rate,
                                  self.weight_decay),
            "adam": self._decayed(adam, learning_rate, self.adam_weight_decay),
        }
        return optax.multi_transform(groups, self._labels)

    def get_config(self):
        return {**super().get_config(), "adam_beta_1": self.adam_beta_1,
                "adam_beta_2": self.adam_beta_2, "epsilon": self.epsilon,
                "exclude_layers": self.exclude_layers, "muon_a": self.muon_a,
                "muon_b": self.muon_b, "muon_c": self.muon_c,
                "adam_lr_ratio": self.adam_lr_ratio, "momentum": self.momentum,
                "ns_steps": self.ns_steps, "nesterov": self.nesterov,
                "exclude_embeddings": self.exclude_embeddings,
                "adam_weight_decay": self.adam_weight_decay, "rms_rate": self.rms_rate}


@_register
class ScheduleFreeAdamW(Optimizer):
    """Schedule-free AdamW (Defazio et al., 2024, https://arxiv.org/abs/2405.15682).

    ``optax.contrib.schedule_free`` around an Adam step without first moment,
    with Keras's uniform averaging weights ``1 / t`` (``weight_lr_power=0``) and
    its linear warmup ``lr * min(t / warmup_steps, 1)``.  The model's weights are
    the interpolated ``y`` sequence, as in Keras.

    Args:
        learning_rate: Float or schedule.  Default 0.0025.
        beta_1: Interpolation between the averaged and the fast sequence.
        beta_2: Decay of the second moment.
        epsilon: Small constant for numerical stability.
        warmup_steps: Steps of linear warmup (0: none).
        **kwargs: The common arguments of :class:`Optimizer`.

    Example:
        >>> tx = ScheduleFreeAdamW(learning_rate=0.01, warmup_steps=10).to_optax()
    """

    def __init__(self, learning_rate=0.0025, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 warmup_steps=0, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate, **_common(locals()))
        self.beta_1 = _beta("ScheduleFreeAdamW", "beta_1", beta_1)
        self.beta_2 = _beta("ScheduleFreeAdamW", "beta_2", beta_2)
        self.epsilon = _number("ScheduleFreeAdamW", "epsilon", epsilon)
        self.warmup_steps = _args.non_negative_int("ScheduleFreeAdamW", "warmup_steps",
                                                   warmup_steps)

    def _update(self, learning_rate):
        warmup = self.warmup_steps

        def step_size(count):
            if not warmup:
                return -learning_rate
            return -learning_rate * jnp.minimum((count + 1.0) / warmup, 1.0)

        # Keras forms 1 - beta_2 in float32.
        fast = optax.chain(optax.scale_by_adam(b1=0.0, b2=jnp.float32(self.beta_2),
                                               eps=self.epsilon),
                           optax.scale_by_schedule(step_size))
        return optax.contrib.schedule_free(fast, learning_rate=1.0, b1=self.beta_1,
                                           weight_lr_power=0.0)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "warmup_steps": self.warmup_steps}


__all__ = ["Ftrl", "Lamb", "Adafactor", "Muon", "ScheduleFreeAdamW"]
