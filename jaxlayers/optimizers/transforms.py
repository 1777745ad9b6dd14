"""Small optax transforms for what Keras's optimizers do and optax has no piece for.

* :func:`decay_before_update`: Keras decays a variable (``w -= lr * wd * w``)
  *before* the optimizer's step reads it, which matters for steps that look at
  the weights (LAMB's trust ratio, Adafactor's parameter scale).
* :func:`moving_average`: Keras's ``use_ema`` (an exponential moving average of
  the weights, optionally copied onto them every N steps).
* :func:`dynamic_loss_scale`: Keras's ``LossScaleOptimizer`` (skip non-finite
  steps and halve the scale, double it after a run of finite ones).
* :func:`scale_by_keras_nadam`: Keras's Nadam, with Dozat's momentum schedule
  (``optax.scale_by_adam(nesterov=True)`` uses a constant one).

Example:
    >>> import optax
    >>> tx = decay_before_update(optax.sgd(0.1), 0.01)
    >>> u, _ = tx.update([jnp.ones(2)], tx.init([jnp.ones(2)]), [jnp.ones(2)])
    >>> [round(float(x), 4) for x in u[0]]
    [-0.11, -0.11]
"""

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax


def _tree_add(a, b):
    return jax.tree_util.tree_map(lambda x, y: x + y, a, b)


def _tree_sub(a, b):
    return jax.tree_util.tree_map(lambda x, y: x - y, a, b)


def decay_before_update(inner, rate, mask=None):
    """Decays the weights by ``rate`` (``w * (1 - rate)``) before ``inner`` sees them.

    Args:
        inner: The optimizer's transform (its updates are final, lr-scaled steps).
        rate: ``learning_rate * weight_decay``.
        mask: ``None``, or a pytree of bools (or a callable ``params -> bools``)
            selecting the weights to decay.

    Returns:
        An ``optax.GradientTransformationExtraArgs`` whose updates carry the decay.

    Example:
        With a zero gradient, only the decay moves ``w = 1``:

        >>> import optax
        >>> tx = decay_before_update(optax.sgd(1.0), 0.1)
        >>> params = [jnp.ones(1)]
        >>> updates, _ = tx.update([jnp.zeros(1)], tx.init(params), params)
        >>> round(float(updates[0][0]), 4)
        -0.1
    """

    def init(params):
        return inner.init(params)

    def update(updates, state, params=None, **extra):
        if params is None:
            raise ValueError("decay_before_update needs the params (pass params to update).")
        selected = mask(params) if callable(mask) else mask
        if selected is None:
            decayed = jax.tree_util.tree_map(lambda w: w - w * rate, params)
        else:
            decayed = jax.tree_util.tree_map(lambda w, keep: w - w * rate if keep else w,
                                             params, selected)
        steps, state = inner.update(updates, state, decayed, **extra)
        return _tree_add(_tree_sub(decayed, params), steps), state

    return optax.GradientTransformationExtraArgs(init, update)


class MovingAverageState(NamedTuple):
    """Calls so far, and the moving average of the weights.

    Args:
        count: int32 scalar, the calls of ``update`` so far.
        average: Pytree like the params, the moving average.
        inner_state: The wrapped transform's state.

    Example:
        >>> import optax
        >>> state = moving_average(optax.sgd(1.0), 0.9).init([jnp.ones(2)])
        >>> int(state.count), state.average[0].tolist()
        (0, [0.0, 0.0])
    """
    count: jax.Array
    average: Any
    inner_state: Any


def moving_average(inner, momentum, overwrite_every=None, accumulation_steps=1):
    """Keeps Keras's moving average of the weights around ``inner``.

    After each call, ``average = m * average + (1 - m) * new_weights`` with
    ``m = momentum``, except ``m = 0`` before the first applied update; every
    ``overwrite_every`` applied updates the weights are replaced by the average.

    Args:
        inner: The transform whose updates are averaged.
        momentum: The EMA momentum.
        overwrite_every: ``None``, or a positive int.
        accumulation_steps: Calls per applied update (gradient accumulation).

    Returns:
        An ``optax.GradientTransformationExtraArgs``.

    Example:
        Gradient 1 with SGD(1) moves ``w`` to -1, then -2; the average starts
        at the first new weights, then ``0.9 * -1 + 0.1 * -2``:

        >>> import optax
        >>> tx = moving_average(optax.sgd(1.0), 0.9)
        >>> params = [jnp.zeros(1)]
        >>> state = tx.init(params)
        >>> for _ in range(2):
        ...     updates, state = tx.update([jnp.ones(1)], state, params)
        ...     params = optax.apply_updates(params, updates)
        >>> float(params[0][0]), round(float(state.average[0][0]), 4)
        (-2.0, -1.1)
    """

    def init(params):
        return MovingAverageState(jnp.zeros((), jnp.int32),
                                  jax.tree_util.tree_map(jnp.zeros_like, params),
                                  inner.init(params))

    def update(updates, state, params=None, **extra):
        steps, inner_state = inner.update(updates, state.inner_state, params, **extra)
        new = optax.apply_updates(params, steps)
        applied = state.count // accumulation_steps
        m = jnp.where(applied != 0, momentum, 0.0)
        average = optax.incremental_update(new, state.average, 1.0 - m)
        if overwrite_every:
            swap = (applied + 1) % overwrite_every == 0
            new = jax.tree_util.tree_map(lambda a, w: jnp.where(swap, a.astype(w.dtype), w),
                                         average, new)
            steps = _tree_sub(new, params)
        return steps, MovingAverageState(state.count + 1, average, inner_state)

    return optax.GradientTransformationExtraArgs(init, update)


class DynamicScaleState(NamedTuple):
    """Finite steps since the last change of scale, the scale, the inner state.

    Args:
        step_counter: int32 scalar, finite steps since the scale last changed.
        dynamic_scale: float32 scalar, the current loss scale.
        inner_state: The wrapped transform's state.

    Example:
        >>> import optax
        >>> state = dynamic_loss_scale(optax.sgd(1.0), 4.0, 2).init([jnp.ones(2)])
        >>> int(state.step_counter), float(state.dynamic_scale)
        (0, 4.0)
    """
    step_counter: jax.Array
    dynamic_scale: jax.Array
    inner_state: Any


def dynamic_loss_scale(inner, initial_scale, growth_steps):
    """Unscales gradients of a scaled loss; skips and halves on non-finite gradients.

    Finite gradients are divided by the scale and passed to ``inner``; after
    ``growth_steps`` finite steps in a row the scale doubles.  Non-finite
    gradients leave the weights and ``inner``'s state unchanged and halve the
    scale.

    Args:
        inner: The optax transformation run on the unscaled gradients.
        initial_scale: Float, the first loss scale.
        growth_steps: Int, finite steps before the scale doubles.

    Example:
        >>> import optax
        >>> tx = dynamic_loss_scale(optax.sgd(1.0), 4.0, 2)
        >>> s = tx.init([jnp.zeros(1)])
        >>> u, s = tx.update([jnp.array([jnp.inf])], s, [jnp.zeros(1)])
        >>> float(u[0][0]), float(s.dynamic_scale)
        (0.0, 2.0)
    """

    def init(params):
        return DynamicScaleState(jnp.zeros((), jnp.int32),
                                 jnp.asarray(initial_scale, jnp.float32), inner.init(params))

    def update(updates, state, params=None, **extra):
        finite = jnp.all(jnp.asarray([jnp.all(jnp.isfinite(g))
                                      for g in jax.tree_util.tree_leaves(updates)]))
        scale = state.dynamic_scale

        def apply(_):
            unscaled = jax.tree_util.tree_map(lambda g: g / scale.astype(g.dtype), updates)
            steps, inner_state = inner.update(unscaled, state.inner_state, params, **extra)
            grow = state.step_counter == growth_steps - 1
            return steps, DynamicScaleState(jnp.where(grow, 0, state.step_counter + 1),
                                            jnp.where(grow, scale * 2.0, scale), inner_state)

        def skip(_):
            zeros = jax.tree_util.tree_map(jnp.zeros_like, updates)
            return zeros, DynamicScaleState(jnp.zeros((), jnp.int32), scale * 0.5,
                                            state.inner_state)

        return jax.lax.cond(finite, apply, skip, None)

    return optax.GradientTransformationExtraArgs(init, update)


class KerasNadamState(NamedTuple):
    """Step count, running product of the momentum schedule, first and second moments.

    Args:
        count: int32 scalar, the steps so far.
        u_product: float32 scalar, the product of the schedule's ``mu_t`` so far.
        mu: Pytree like the params, the first moment.
        nu: Pytree like the params, the second moment.

    Example:
        >>> state = scale_by_keras_nadam(0.9, 0.999, 1e-7).init([jnp.ones(2)])
        >>> int(state.count), float(state.u_product), state.mu[0].tolist()
        (0, 1.0, [0.0, 0.0])
    """
    count: jax.Array
    u_product: jax.Array
    mu: Any
    nu: Any


def scale_by_keras_nadam(b1, b2, eps):
    """Nadam with Dozat's momentum schedule ``mu_t = b1 * (1 - 0.5 * 0.96**t)``.

    ``m_hat = mu_{t+1} m / (1 - prod_{i<=t+1} mu_i) + (1 - mu_t) g / (1 - prod_{i<=t} mu_i)``,
    ``v_hat = v / (1 - b2**t)``, update ``m_hat / (sqrt(v_hat) + eps)`` (not yet
    scaled by the learning rate), as Keras 3 computes it.

    Args:
        b1: Float, the first moment's decay (Keras's ``beta_1``).
        b2: Float, the second moment's decay (``beta_2``).
        eps: Float, added to ``sqrt(v_hat)``.

    Returns:
        An ``optax.GradientTransformation``.

    Example:
        The first step with gradient 1: ``mu_1 = 0.468``, ``mu_2 = 0.48528``,
        ``m_hat = 0.48528 * 0.1 / (1 - 0.468 * 0.48528) + 1 = 1.0628`` and
        ``v_hat = 1``:

        >>> tx = scale_by_keras_nadam(0.9, 0.999, 1e-7)
        >>> updates, _ = tx.update([jnp.ones(1)], tx.init([jnp.zeros(1)]))
        >>> round(float(updates[0][0]), 4)
        1.0628
    """

    def init(params):
        zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
        return KerasNadamState(jnp.zeros((), jnp.int32), jnp.ones((), jnp.float32),
                               zeros, jax.tree_util.tree_map(jnp.zeros_like, params))

    def update(updates, state, params=None):
        del params
        t = (state.count + 1).astype(jnp.float32)
        u_t = b1 * (1.0 - 0.5 * 0.96 ** t)
        u_next = b1 * (1.0 - 0.5 * 0.96 ** (t + 1.0))
        u_product = state.u_product * u_t
        u_product_next = u_product * u_next
        # Keras forms 1 - beta in float32 (1 - float32(0.999) is 0.99998713e-3).
        mu = optax.tree.update_moment(updates, state.mu, jnp.float32(b1), 1)
        nu = optax.tree.update_moment_per_elem_norm(updates, state.nu, jnp.float32(b2), 2)
        b2_power = 1.0 - b2 ** t

        def step(g, m, v):
            m_hat = u_next * m / (1.0 - u_product_next) + (1.0 - u_t) * g / (1.0 - u_product)
            return m_hat / (jnp.sqrt(v / b2_power) + eps)

        steps = jax.tree_util.tree_map(step, updates, mu, nu)
        return steps, KerasNadamState(state.count + 1, u_product, mu, nu)

    return optax.GradientTransformation(init, update)


__all__ = ["decay_before_update", "moving_average", "MovingAverageState",
           "dynamic_loss_scale", "DynamicScaleState", "scale_by_keras_nadam",
           "KerasNadamState"]
