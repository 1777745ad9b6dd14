"""Keras 3's ``keras.mixed_precision``: the global dtype policy and loss scaling.

``set_global_policy("mixed_bfloat16")`` (or ``jl.config.set_dtype_policy``)
makes layers created afterwards keep float32 weights and compute in bfloat16.
Under ``"mixed_float16"``, ``Model.compile`` wraps the optimizer in a
:class:`LossScaleOptimizer` so small float16 gradients do not underflow.

Example:
    >>> jl.mixed_precision.set_global_policy("mixed_float16")
    >>> jl.layers.Dense(2).compute_dtype
    'float16'
    >>> jl.mixed_precision.set_global_policy(None)
"""

from jaxlayers.config import dtype_policy, set_dtype_policy
from jaxlayers.core.dtype_policy import DTypePolicy, global_policy, set_global_policy
from jaxlayers.optimizers import LossScaleOptimizer

# Keras keeps TF2's older name of the policy class in this namespace.
Policy = DTypePolicy

__all__ = ["DTypePolicy", "LossScaleOptimizer", "Policy", "dtype_policy", "global_policy",
           "set_dtype_policy", "set_global_policy"]
