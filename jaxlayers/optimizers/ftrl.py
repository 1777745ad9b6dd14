"""FTRL-Proximal (McMahan et al., 2013) as an optax transform; optax has none.

Per weight, with ``p = -learning_rate_power`` (0.5 by default):
``n' = n + g**2``; ``z' = z + g + 2 * l2_shrinkage * w - (n'**p - n**p) / lr * w``;
``w' = (clip(z', -l1, l1) - z') / (n'**p / lr + 2 * (l2 + beta / (2 * lr)))``.
The result is the new weight itself, so the update is ``w' - w``.  This is
Keras 3's ``Ftrl`` update (the accumulator ``n`` starts at
``initial_accumulator_value``, the linear term ``z`` at zero).

Example:
    >>> tx = scale_by_ftrl(0.1)
    >>> params = [jnp.zeros(2)]
    >>> u, state = tx.update([jnp.ones(2)], tx.init(params), params)
    >>> [round(float(x), 4) for x in u[0]]
    [-0.0953, -0.0953]
"""

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax


class FtrlState(NamedTuple):
    """The squared-gradient accumulators ``n`` and the linear terms ``z``.

    Args:
        accumulator: Pytree like the params: the sums of squared gradients,
            starting at ``initial_accumulator_value``.
        linear: Pytree like the params: FTRL's ``z`` terms, starting at zero.

    Example:
        >>> state = scale_by_ftrl(0.1).init([jnp.zeros(2)])
        >>> round(float(state.accumulator[0][0]), 3), state.linear[0].tolist()
        (0.1, [0.0, 0.0])
    """
    accumulator: Any
    linear: Any


def scale_by_ftrl(learning_rate, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                  l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                  l2_shrinkage_regularization_strength=0.0, beta=0.0):
    """The FTRL step as an ``optax.GradientTransformation`` (needs ``params``).

    Args:
        learning_rate: The learning rate (a scalar; inside
            ``optax.inject_hyperparams`` it may change between steps).
        learning_rate_power: ``<= 0``; ``-0.5`` gives Adagrad-like step sizes.
        initial_accumulator_value: Starting value of the accumulators.
        l1_regularization_strength: L1 penalty (>= 0).
        l2_regularization_strength: L2 penalty (>= 0).
        l2_shrinkage_regularization_strength: L2 shrinkage penalty added to the
            gradient (>= 0).
        beta: Added to the L2 term as ``beta / (2 * lr)``.

    Returns:
        The transform; its updates are ``new_weight - weight``.

    Example:
        One step from ``w = 0`` with gradient 1: the accumulator becomes
        ``0.1 + 1 = 1.1``, ``z = 1``, and the new weight is
        ``-z * lr / sqrt(1.1) = -0.0953``:

        >>> tx = scale_by_ftrl(0.1)
        >>> params = [jnp.zeros(1)]
        >>> updates, state = tx.update([jnp.ones(1)], tx.init(params), params)
        >>> round(float(updates[0][0]), 4)
        -0.0953
    """
    power = -learning_rate_power

    def init(params):
        return FtrlState(
            jax.tree_util.tree_map(lambda w: jnp.full_like(w, initial_accumulator_value),
                                   params),
            jax.tree_util.tree_map(jnp.zeros_like, params))

    def update(updates, state, params=None):
        if params is None:
            raise ValueError("scale_by_ftrl needs the params (pass params to update).")
        l2 = l2_regularization_strength + beta / (2.0 * learning_rate)

        tmap = jax.tree_util.tree_map
        grads = tmap(lambda g, w: g.astype(w.dtype), updates, params)
        acc = tmap(lambda n, g: n + jnp.square(g), state.accumulator, grads)
        linear = tmap(
            lambda z, g, w, n, n_new: z + g + 2.0 * l2_shrinkage_regularization_strength * w
            - (n_new ** power - n ** power) / learning_rate * w,
            state.linear, grads, params, state.accumulator, acc)

        def step(w, z, n):
            quadratic = n ** power / learning_rate + 2.0 * l2
            clipped = jnp.clip(z, -l1_regularization_strength, l1_regularization_strength)
            return (clipped - z) / quadratic - w

        return tmap(step, params, linear, acc), FtrlState(acc, linear)

    return optax.GradientTransformation(init, update)


__all__ = ["scale_by_ftrl", "FtrlState"]
