"""Learning-rate schedules: Keras 3's ``keras.optimizers.schedules``.

A schedule maps the optimizer's step count to a learning rate.  Each is a
plain callable on a (traced or concrete) step, so it is also an optax
schedule: ``optax.adam(jl.optimizers.schedules.CosineDecay(1e-3, 1000))``
works, and so does ``jl.optimizers.Adam(learning_rate=schedule)``.  The
values equal Keras's step by step (computed in float32).

Example:
    >>> lr = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    >>> round(float(lr(10)), 6)
    0.05
"""

import math
import numbers

import jax
import jax.numpy as jnp
import numpy as np

from jaxlayers.core import serialization
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError, ConfigTypeError

_CATEGORY = "schedules"
_MODULE = "jaxlayers.optimizers.schedules"


def _positive_steps(cls, name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ConfigError(
            f"{cls}: `{name}` must be a number > 0. Received: {name}={value!r}."
        )
    return value


def _number(cls, name, value, minimum=None):
    """``value`` unless it is not a finite real number (``>= minimum``): a rate used in the
    compiled step would otherwise fail there, far from the schedule that holds it."""
    scalar = isinstance(value, numbers.Real) or (
        isinstance(value, (np.ndarray, jax.Array)) and value.ndim == 0
        and jnp.issubdtype(value.dtype, jnp.number))
    ok = scalar and not isinstance(value, (bool, np.bool_)) and math.isfinite(float(value))
    if not ok or (minimum is not None and value < minimum):
        bound = "" if minimum is None else f" >= {minimum}"
        raise ConfigError(
            f"{cls}: `{name}` must be a finite number{bound}. Received: {name}={value!r}."
        )
    return value


def _as_float(step):
    return jnp.asarray(step).astype(jnp.float32)


class LearningRateSchedule:
    """Base class of learning-rate schedules; subclass it for your own.

    A subclass implements ``__call__(self, step)`` (jax.numpy math on ``step``,
    which may be traced) and ``get_config()`` (its constructor arguments), so
    an optimizer using it can be saved and rebuilt.

    Example:
        >>> class Halving(LearningRateSchedule):
        ...     def __init__(self, initial_learning_rate):
        ...         self.initial_learning_rate = initial_learning_rate
        ...     def __call__(self, step):
        ...         return self.initial_learning_rate / (step + 1)
        ...     def get_config(self):
        ...         return {"initial_learning_rate": self.initial_learning_rate}
        >>> float(Halving(0.2)(1))
        0.1
    """

    def __call__(self, step):
        raise ConfigTypeError(
            f"{type(self).__name__}: a learning-rate schedule must define "
            "__call__(self, step) returning the learning rate at `step`."
        )

    def get_config(self):
        raise ConfigTypeError(
            f"{type(self).__name__}: define get_config() (the constructor arguments) so an "
            "optimizer using this schedule can be saved."
        )

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return serialization.config_repr(self)


class _RateDecay(LearningRateSchedule):
    """Shared by the schedules of ``(initial_learning_rate, decay_steps, decay_rate)``."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase, name):
        cls = type(self).__name__
        self.initial_learning_rate = _number(cls, "initial_learning_rate",
                                             initial_learning_rate)
        self.decay_steps = _positive_steps(cls, "decay_steps", decay_steps)
        self.decay_rate = _number(cls, "decay_rate", decay_rate)
        self.staircase = staircase
        self.name = name

    def _periods(self, step):
        """``step / decay_steps``, whole periods only with ``staircase``."""
        p = _as_float(step) / jnp.float32(self.decay_steps)
        return jnp.floor(p) if self.staircase else p

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


@register_builtin(_CATEGORY)
class ExponentialDecay(_RateDecay):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    Args:
        initial_learning_rate: The rate at step 0.
        decay_steps: Steps per factor of ``decay_rate`` (> 0).
        decay_rate: The factor applied every ``decay_steps`` steps.
        staircase: Decay in whole periods (``floor(step / decay_steps)``).
        name: Kept in the config, as Keras does.

    Example:
        >>> s = jl.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
        >>> float(s(0)), float(s(20))
        (0.10000000149011612, 0.02500000037252903)
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        return jnp.float32(self.initial_learning_rate) * jnp.power(
            jnp.float32(self.decay_rate), self._periods(step))


@register_builtin(_CATEGORY)
class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` up to ``boundaries[0]`` (inclusive), then ``values[1]``, ...

    Args:
        boundaries: Increasing step counts, one fewer than ``values``.
        values: The rate in each interval.
        name: Kept in the config.

    Example:
        >>> s = jl.optimizers.schedules.PiecewiseConstantDecay([10], [1.0, 0.5])
        >>> float(s(10)), float(s(11))
        (1.0, 0.5)
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ConfigError(
                "PiecewiseConstantDecay: `boundaries` must have one entry fewer than "
                f"`values`. Received: boundaries={boundaries!r} (length {len(boundaries)}) "
                f"and values={values!r} (length {len(values)})."
            )
        self.boundaries = [_number("PiecewiseConstantDecay", "boundaries", b)
                           for b in boundaries]
        self.values = [_number("PiecewiseConstantDecay", "values", v) for v in values]
        self.name = name

    def __call__(self, step):
        step = jnp.asarray(step)
        # Index of the interval: the number of boundaries strictly below the step.
        index = jnp.sum(step > jnp.asarray(self.boundaries, step.dtype))
        return jnp.asarray(self.values, jnp.float32)[index]

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


@register_builtin(_CATEGORY)
class PolynomialDecay(LearningRateSchedule):
    """From ``initial_learning_rate`` to ``end_learning_rate`` along ``(1 - t) ** power``.

    Args:
        initial_learning_rate: The rate at step 0.
        decay_steps: Steps to reach ``end_learning_rate`` (> 0).
        end_learning_rate: The final rate.
        power: The polynomial's power (1: linear).
        cycle: Restart the decay each ``decay_steps`` (with a longer period)
            instead of staying at ``end_learning_rate``.
        name: Kept in the config.

    Example:
        >>> s = jl.optimizers.schedules.PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.0)
        >>> float(s(5)), float(s(100))
        (0.5, 0.0)
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001,
                 power=1.0, cycle=False, name="PolynomialDecay"):
        cls = "PolynomialDecay"
        self.initial_learning_rate = _number(cls, "initial_learning_rate",
                                             initial_learning_rate)
        self.decay_steps = _positive_steps(cls, "decay_steps", decay_steps)
        self.end_learning_rate = _number(cls, "end_learning_rate", end_learning_rate)
        self.power = _number(cls, "power", power)
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        step = _as_float(step)
        decay_steps = jnp.float32(self.decay_steps)
        if self.cycle:
            decay_steps = decay_steps * jnp.where(step == 0, 1.0, jnp.ceil(step / decay_steps))
        else:
            step = jnp.minimum(step, decay_steps)
        start, end = jnp.float32(self.initial_learning_rate), jnp.float32(self.end_learning_rate)
        return (start - end) * jnp.power(1 - step / decay_steps, jnp.float32(self.power)) + end

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "end_learning_rate": self.end_learning_rate,
                "power": self.power, "cycle": self.cycle, "name": self.name}


@register_builtin(_CATEGORY)
class InverseTimeDecay(_RateDecay):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    Args:
        initial_learning_rate: The rate at step 0.
        decay_steps: The step scale (> 0).
        decay_rate: How fast the rate falls.
        staircase: Decay in whole periods.
        name: Kept in the config.

    Example:
        >>> s = jl.optimizers.schedules.InverseTimeDecay(1.0, decay_steps=1, decay_rate=1.0)
        >>> float(s(0)), float(s(3))
        (1.0, 0.25)
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        return jnp.float32(self.initial_learning_rate) / (
            1 + jnp.float32(self.decay_rate) * self._periods(step))


def _cosine(fraction, alpha):
    """Half a cosine from 1 down to ``alpha`` as ``fraction`` goes from 0 to 1."""
    return (1 - alpha) * 0.5 * (1 + jnp.cos(jnp.float32(math.pi) * fraction)) + alpha


@register_builtin(_CATEGORY)
class CosineDecay(LearningRateSchedule):
    """Cosine decay (Loshchilov & Hutter, 2017), after an optional linear warmup.

    Without ``warmup_target`` the rate falls from ``initial_learning_rate`` to
    ``alpha * initial_learning_rate`` over ``decay_steps``.  With it, the rate
    first rises linearly from ``initial_learning_rate`` to ``warmup_target``
    over ``warmup_steps``, then falls from ``warmup_target``.

    Args:
        initial_learning_rate: The rate at step 0.
        decay_steps: Steps of the decay (> 0).
        alpha: The final rate as a fraction of the rate decayed from.
        name: Kept in the config.
        warmup_target: The rate reached at the end of the warmup, or ``None``.
        warmup_steps: Steps of the warmup.

    Example:
        >>> s = jl.optimizers.schedules.CosineDecay(1.0, decay_steps=10)
        >>> float(s(0)), round(float(s(5)), 3), float(s(10))
        (1.0, 0.5, 0.0)
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        cls = "CosineDecay"
        self.initial_learning_rate = _number(cls, "initial_learning_rate",
                                             initial_learning_rate)
        self.decay_steps = _positive_steps(cls, "decay_steps", decay_steps)
        self.alpha = _number(cls, "alpha", alpha)
        self.name = name
        self.warmup_target = (None if warmup_target is None
                              else _number(cls, "warmup_target", warmup_target))
        self.warmup_steps = _number(cls, "warmup_steps", warmup_steps, minimum=0)

    def __call__(self, step):
        step = _as_float(step)
        start = jnp.float32(self.initial_learning_rate)
        decay_steps = jnp.float32(self.decay_steps)
        if self.warmup_target is None:
            return start * _cosine(jnp.minimum(step, decay_steps) / decay_steps, self.alpha)
        target = jnp.float32(self.warmup_target)
        warmup = jnp.float32(self.warmup_steps)
        step = jnp.minimum(step, decay_steps + warmup)
        rising = start + (target - start) * step / jnp.where(warmup > 0, warmup, 1.0)
        falling = target * _cosine((step - warmup) / decay_steps, self.alpha)
        return jnp.where(step < warmup, rising, falling)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


@register_builtin(_CATEGORY)
class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR, Loshchilov & Hutter, 2017).

    The first period lasts ``first_decay_steps``; each next period is ``t_mul``
    times longer and starts from ``m_mul`` times the previous starting rate.

    Args:
        initial_learning_rate: The rate at step 0.
        first_decay_steps: Length of the first period (> 0).
        t_mul: Growth factor of the period length.
        m_mul: Factor of the starting rate at each restart.
        alpha: The final rate of each period as a fraction of its start.
        name: Kept in the config.

    Example:
        >>> s = jl.optimizers.schedules.CosineDecayRestarts(1.0, first_decay_steps=4)
        >>> float(s(0)), float(s(4))
        (1.0, 1.0)
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0,
                 alpha=0.0, name="SGDRDecay"):
        cls = "CosineDecayRestarts"
        self.initial_learning_rate = _number(cls, "initial_learning_rate",
                                             initial_learning_rate)
        self.first_decay_steps = _positive_steps(cls, "first_decay_steps", first_decay_steps)
        self.t_mul = _number(cls, "t_mul", t_mul)
        self.m_mul = _number(cls, "m_mul", m_mul)
        self.alpha = _number(cls, "alpha", alpha)
        self.name = name

    def __call__(self, step):
        fraction = _as_float(step) / jnp.float32(self.first_decay_steps)
        t_mul = jnp.float32(self.t_mul)
        if self.t_mul == 1.0:
            restart = jnp.floor(fraction)
            within = fraction - restart
        else:
            # Periods grow geometrically: restart i begins at (1 - t^i) / (1 - t).
            restart = jnp.floor(jnp.log(1.0 - fraction * (1.0 - t_mul)) / jnp.log(t_mul))
            begun = (1.0 - jnp.power(t_mul, restart)) / (1.0 - t_mul)
            within = (fraction - begun) / jnp.power(t_mul, restart)
        scale = jnp.power(jnp.float32(self.m_mul), restart)
        alpha = jnp.float32(self.alpha)
        decayed = (1 - alpha) * scale * 0.5 * (1 + jnp.cos(jnp.float32(math.pi) * within)) + alpha
        return jnp.float32(self.initial_learning_rate) * decayed

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "first_decay_steps": self.first_decay_steps, "t_mul": self.t_mul,
                "m_mul": self.m_mul, "alpha": self.alpha, "name": self.name}


def serialize(learning_rate_schedule):
    """The schedule as a ``{"module", "class_name", "config", "registered_name"}`` dict.

    Args:
        learning_rate_schedule: A schedule instance.

    Example:
        >>> serialize(InverseTimeDecay(0.1, 10, 0.5))["class_name"]
        'InverseTimeDecay'
    """
    return serialization.serialize_object(learning_rate_schedule, _MODULE)


def deserialize(config, custom_objects=None):
    """Rebuilds a schedule from :func:`serialize`'s dict (or Keras's).

    Args:
        config: A dict made by ``serialize`` / ``get_config``, or a name.
        custom_objects: Optional ``{name: object}`` for user-defined objects.

    Example:
        >>> deserialize(serialize(PolynomialDecay(0.1, 100))).decay_steps
        100
    """
    return serialization.deserialize_object(config, _CATEGORY, custom_objects,
                                            "learning-rate schedule")


__all__ = ["LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay",
           "PolynomialDecay", "InverseTimeDecay", "CosineDecay", "CosineDecayRestarts",
           "serialize", "deserialize"]
