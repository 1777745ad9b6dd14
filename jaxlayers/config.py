"""Keras 3's ``keras.config`` namespace: the global settings of jaxlayers.

Each setting has one home: the float dtype, epsilon, image data format, the
``fit`` caps, flash attention, traceback filtering and interactive logging live
in :mod:`jaxlayers.backend` (below core, so layers and the trainer read them);
the dtype policy in :mod:`jaxlayers.core.dtype_policy`; safe deserialization in
:mod:`jaxlayers.core.serialization`.  This module names them as Keras does.

Example:
    >>> import jaxlayers as jl
    >>> jl.config.backend(), jl.config.floatx(), jl.config.image_data_format()
    ('jax', 'float32', 'channels_last')
"""

from jaxlayers.backend import (
    backend,
    disable_flash_attention,
    disable_interactive_logging,
    disable_traceback_filtering,
    enable_flash_attention,
    enable_interactive_logging,
    enable_traceback_filtering,
    epsilon,
    floatx,
    image_data_format,
    is_flash_attention_enabled,
    is_interactive_logging_enabled,
    is_nnx_enabled,
    is_traceback_filtering_enabled,
    max_epochs,
    max_steps_per_epoch,
    set_backend,
    set_epsilon,
    set_floatx,
    set_image_data_format,
    set_max_epochs,
    set_max_steps_per_epoch,
)
from jaxlayers.core.dtype_policy import global_policy, set_global_policy
from jaxlayers.core.serialization import enable_unsafe_deserialization


def dtype_policy():
    """The dtype policy of layers created with ``dtype=None``.

    Example:
        >>> dtype_policy().name
        'float32'
    """
    return global_policy()


def set_dtype_policy(policy):
    """Sets the dtype policy of layers created later with ``dtype=None``.

    Args:
        policy: A policy name (``'float32'``, ``'mixed_bfloat16'``, ...), a
            ``jl.DTypePolicy``, or ``None`` to go back to ``floatx()``.

    Example:
        >>> set_dtype_policy("mixed_float16")
        >>> jl.layers.Dense(2).compute_dtype
        'float16'
        >>> set_dtype_policy(None)
    """
    set_global_policy(policy)


__all__ = [
    "backend", "disable_flash_attention", "disable_interactive_logging",
    "disable_traceback_filtering", "dtype_policy", "enable_flash_attention",
    "enable_interactive_logging", "enable_traceback_filtering",
    "enable_unsafe_deserialization", "epsilon", "floatx", "image_data_format",
    "is_flash_attention_enabled", "is_interactive_logging_enabled", "is_nnx_enabled",
    "is_traceback_filtering_enabled", "max_epochs", "max_steps_per_epoch", "set_backend",
    "set_dtype_policy", "set_epsilon", "set_floatx", "set_image_data_format",
    "set_max_epochs", "set_max_steps_per_epoch",
]
