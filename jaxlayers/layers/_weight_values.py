"""What a weight reads as during a call: the one place in ``layers`` that asks the scope.

Layers read their own weights as attributes (``self.kernel``).  Wrappers need
two more things, for weights they hold otherwise:

* :func:`read_weight`: the value a weight handle has in the current call
  (bound by ``init``/``apply`` or the facade), for weights kept in lists (the
  interop wrappers);
* :func:`override_weight`: make every read of another layer's weight inside a
  block return a given array (``SpectralNormalization`` runs the wrapped
  layer on ``kernel / sigma`` without writing its params).

Both go through the scope's public methods (``current``, ``binds``, ``read``,
``override``).
"""

import jax.numpy as jnp

from jaxlayers.core import scope as scope_lib


def read_weight(var, compute_dtype=None):
    """The value of ``var`` in the current call, else its stored (facade) value.

    Args:
        var: A weight handle (what ``add_weight`` returned).
        compute_dtype: Cast a floating weight to this dtype (autocast), as an
            attribute read in ``call`` does.
    """
    scope = scope_lib.current()
    if scope is not None and scope.binds(var):
        dtype = None if compute_dtype is None else jnp.dtype(compute_dtype)
        return scope.read(var, dtype)
    return var.value


def override_weight(var, value):
    """Inside the ``with`` block, reads of ``var`` (in any layer's call) return ``value``.

    Only the current scope (one ``init``/``apply``/facade call) is affected;
    nothing is written to params or state.
    """
    return scope_lib.current().override(var, value)


__all__ = ["read_weight", "override_weight"]
