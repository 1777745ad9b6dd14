"""Global settings: default float dtype, epsilon, image data format, seeds and names.

These mirror ``keras.backend`` / ``keras.config``.  The random stream here is
only used by the eager facade (initial weights of a layer used as an object,
dropout masks of an eager call).  The pure ``init``/``apply`` pair never reads
it: it takes an explicit ``jax.random.key``.
"""

import collections
import gc
import logging
import os
import random as _py_random
import sys
import threading

import jax
import numpy as np

from jaxlayers.errors import ConfigError

# The settings the ops read live with the ops, which sit below this module.
from jaxlayers.ops._settings import (
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)

_lock = threading.Lock()
_name_counts = collections.defaultdict(int)
_seed_state = {"seed": None, "counter": 0}


def standardize_data_format(data_format, owner="layer"):
    """Returns ``data_format`` or the global default, checking its value."""
    if data_format is None:
        return image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ConfigError(
            f"{owner}: `data_format` must be 'channels_last' or 'channels_first'. "
            f"Received: data_format={data_format!r}."
        )
    return data_format


def set_random_seed(seed):
    """Seeds Python's, NumPy's and jaxlayers' eager random streams."""
    seed = int(seed)
    _py_random.seed(seed)
    np.random.seed(seed)
    with _lock:
        _seed_state["seed"] = seed
        _seed_state["counter"] = 0


def _base_seed():
    if _seed_state["seed"] is None:
        _seed_state["seed"] = int.from_bytes(os.urandom(4), "little")
    return _seed_state["seed"]


def next_eager_key():
    """A fresh key from the eager stream (used by facades, never by ``apply``)."""
    with _lock:
        seed = _base_seed()
        count = _seed_state["counter"]
        _seed_state["counter"] += 1
    with jax.ensure_compile_time_eval():
        return jax.random.fold_in(jax.random.key(seed), count)


def unique_name(base):
    """``base``, then ``base_1``, ``base_2``, ... for layers named automatically."""
    with _lock:
        count = _name_counts[base]
        _name_counts[base] += 1
    return base if count == 0 else f"{base}_{count}"


def reserve_name(name):
    """Marks an explicit name as taken so automatic names do not reuse it."""
    base, _, suffix = name.rpartition("_")
    with _lock:
        if suffix.isdigit() and base:
            _name_counts[base] = max(_name_counts[base], int(suffix) + 1)
        else:
            _name_counts[name] = max(_name_counts[name], 1)


def clear_session(free_memory=True):
    """Resets automatic layer names (``dense``, ``dense_1``, ...).

    Args:
        free_memory: Also run Python's garbage collector, so arrays held only
            by deleted models are released now (as Keras does).
    """
    with _lock:
        _name_counts.clear()
    if free_memory:
        gc.collect()


# Keras's dtype names; Python types map as on Keras's JAX backend (int -> int32).
_DTYPE_NAMES = (
    "float16", "float32", "float64", "bfloat16", "uint8", "uint16", "uint32", "uint64",
    "int8", "int16", "int32", "int64", "bool", "string", "float8_e4m3fn", "float8_e5m2",
    "complex64", "complex128",
)
_PYTHON_DTYPES = {bool: "bool", int: "int32", float: "float32", str: "string",
                  complex: "complex64", "int": "int32"}


def standardize_dtype(dtype):
    """The Keras name of a dtype: a string, NumPy/JAX dtype or Python type.

    ``None`` means :func:`floatx`; ``int`` is ``'int32'`` and ``float`` is
    ``'float32'``, as on Keras's JAX backend.

    Example:
        >>> standardize_dtype(jnp.bfloat16), standardize_dtype(int), standardize_dtype(None)
        ('bfloat16', 'int32', 'float32')
    """
    if dtype is None:
        return floatx()
    name = _PYTHON_DTYPES.get(dtype, dtype) if isinstance(dtype, (type, str)) else dtype
    if not isinstance(name, str):
        name = getattr(name, "name", None) or getattr(name, "__name__", None) or str(name)
    if name not in _DTYPE_NAMES:
        raise ConfigError(
            f"standardize_dtype: unknown dtype. Expected one of {_DTYPE_NAMES} or a NumPy/JAX "
            f"dtype. Received: dtype={dtype!r}."
        )
    return name


# Interactive logging: messages and progress bars go to stdout when on (the
# default), to the ``jaxlayers`` logger at INFO level when off (batch jobs).
_interactive_logging = {"enabled": True}
logger = logging.getLogger("jaxlayers")


def enable_interactive_logging():
    """Sends messages and progress bars to stdout (the default)."""
    _interactive_logging["enabled"] = True


def disable_interactive_logging():
    """Sends messages and progress bars to the ``jaxlayers`` logger instead of stdout."""
    _interactive_logging["enabled"] = False


def is_interactive_logging_enabled():
    """Whether messages go to stdout (``True``) or to the ``jaxlayers`` logger."""
    return _interactive_logging["enabled"]


def print_msg(message, line_break=True):
    """Writes ``message`` to stdout, or logs it when interactive logging is off.

    Example:
        >>> print_msg("hello")
        hello
    """
    message = str(message)
    if not is_interactive_logging_enabled():
        logger.info(message)
        return
    sys.stdout.write(message + ("\n" if line_break else ""))
    sys.stdout.flush()



__all__ = [
    "floatx", "set_floatx", "epsilon", "set_epsilon", "image_data_format",
    "set_image_data_format", "standardize_data_format", "set_random_seed",
    "next_eager_key", "unique_name", "clear_session", "standardize_dtype",
    "enable_interactive_logging", "disable_interactive_logging",
    "is_interactive_logging_enabled", "print_msg",
]
