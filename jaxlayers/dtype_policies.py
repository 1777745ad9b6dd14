"""Keras 3's ``keras.dtype_policies``: the precision a layer stores and computes in.

A policy names two dtypes: the variable dtype (weights) and the compute dtype
(inputs, math, outputs).  ``"float32"``, ``"bfloat16"`` and ``"float16"`` use
one dtype for both; ``"mixed_bfloat16"`` and ``"mixed_float16"`` keep float32
weights and compute in the half type.  Quantized policies (``int8_from_...``)
are not provided.

Example:
    >>> policy = jl.dtype_policies.get("mixed_bfloat16")
    >>> policy.variable_dtype, policy.compute_dtype
    ('float32', 'bfloat16')
"""

from jaxlayers.core.dtype_policy import (
    DTypePolicy,
    DTypePolicyMap,
    FloatDTypePolicy,
    deserialize,
    get,
    serialize,
)

__all__ = ["DTypePolicy", "DTypePolicyMap", "FloatDTypePolicy", "deserialize", "get",
           "serialize"]
