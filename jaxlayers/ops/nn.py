"""Small dense-algebra ops shared by layers."""

import jax.numpy as jnp


def dense(x, kernel, bias=None, activation=None):
    """``activation(x @ kernel + bias)`` over the last axis of ``x``."""
    y = jnp.matmul(x, kernel)
    if bias is not None:
        y = y + bias
    return activation(y) if activation is not None else y


__all__ = ["dense"]
