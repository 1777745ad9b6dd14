"""Global settings: default float dtype, epsilon, image data format, seeds and names.

These mirror ``keras.backend`` / ``keras.config``.  The random stream here is
only used by the eager facade (initial weights of a layer used as an object,
dropout masks of an eager call).  The pure ``init``/``apply`` pair never reads
it: it takes an explicit ``jax.random.key``.
"""

import collections
import functools
import gc
import logging
import os
import random as _py_random
import sys
import threading

import jax
import jax.numpy as jnp
import numpy as np

from jaxlayers import hooks
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
_uids = collections.defaultdict(int)
_seed_state = {"seed": None, "counter": 0, "generation": 0}


def standardize_data_format(data_format, owner="layer"):
    """Returns ``data_format`` or the global default, checking its value.

    Args:
        data_format: ``'channels_last'``, ``'channels_first'`` or ``None`` (the global
            default).
        owner: How an error message names the caller.

    Example:
        >>> jl.backend.standardize_data_format(None)
        'channels_last'
        >>> jl.backend.standardize_data_format('channels_first')
        'channels_first'
    """
    if data_format is None:
        return image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ConfigError(
            f"{owner}: `data_format` must be 'channels_last' or 'channels_first'. "
            f"Received: data_format={data_format!r}."
        )
    return data_format


def set_random_seed(seed):
    """Seeds Python's, NumPy's and jaxlayers' eager random streams.

    Args:
        seed: A non-negative int.

    Example:
        >>> jl.backend.set_random_seed(42)
        >>> first = np.random.rand()
        >>> jl.backend.set_random_seed(42)
        >>> np.random.rand() == first
        True
    """
    seed = int(seed)
    _py_random.seed(seed)
    np.random.seed(seed)
    with _lock:
        _seed_state["seed"] = seed
        _seed_state["counter"] = 0
        _seed_state["generation"] += 1


def seed_generation():
    """How many times :func:`set_random_seed` ran: streams seeded from it restart on a change.

    Example:
        >>> before = jl.backend.seed_generation()
        >>> jl.backend.set_random_seed(1)
        >>> jl.backend.seed_generation() - before
        1
    """
    return _seed_state["generation"]


def _base_seed():
    if _seed_state["seed"] is None:
        _seed_state["seed"] = int.from_bytes(os.urandom(4), "little")
    return _seed_state["seed"]


def next_eager_key():
    """A fresh key from the eager stream (used by facades, never by ``apply``).

    Example:
        >>> jl.backend.set_random_seed(0)
        >>> a, b = jl.backend.next_eager_key(), jl.backend.next_eager_key()
        >>> bool((jax.random.key_data(a) != jax.random.key_data(b)).any())
        True
    """
    with _lock:
        seed = _base_seed()
        count = _seed_state["counter"]
        _seed_state["counter"] += 1
    with jax.ensure_compile_time_eval():
        return jax.random.fold_in(jax.random.key(seed), count)


def unique_name(base):
    """``base``, then ``base_1``, ``base_2``, ... for layers named automatically.

    Args:
        base: The name's stem (a snake_case class name).

    Example:
        >>> jl.backend.clear_session()
        >>> jl.backend.unique_name('block'), jl.backend.unique_name('block')
        ('block', 'block_1')
    """
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


def get_uid(prefix=""):
    """``1``, ``2``, ... on successive calls with one ``prefix``; reset by :func:`clear_session`.

    Args:
        prefix: The string whose counter to advance.

    Example:
        >>> get_uid("demo_uid"), get_uid("demo_uid")
        (1, 2)
    """
    with _lock:
        _uids[prefix] += 1
        return _uids[prefix]


def clear_session(free_memory=True):
    """Resets automatic layer names (``dense``, ``dense_1``, ...) and :func:`get_uid`.

    Args:
        free_memory: Also run Python's garbage collector, so arrays held only
            by deleted models are released now (as Keras does).

    Example:
        >>> _ = jl.layers.Dense(1)
        >>> clear_session(free_memory=False)
        >>> jl.layers.Dense(1).name
        'dense'
    """
    with _lock:
        _name_counts.clear()
        _uids.clear()
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

    Args:
        dtype: A dtype name, NumPy/JAX dtype or type, or ``None`` (floatx).

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


def is_float_dtype(dtype):
    """Whether ``dtype`` (any form :func:`standardize_dtype` takes) is a real float type.

    Args:
        dtype: A dtype name, NumPy/JAX dtype or type.

    Example:
        >>> jl.backend.is_float_dtype('bfloat16'), jl.backend.is_float_dtype(np.int32)
        (True, False)
    """
    name = standardize_dtype(dtype)
    return name.startswith(("float", "bfloat"))


def is_int_dtype(dtype):
    """Whether ``dtype`` (any form :func:`standardize_dtype` takes) is a signed or unsigned int.

    Args:
        dtype: A dtype name, NumPy/JAX dtype or type.

    Example:
        >>> jl.backend.is_int_dtype('uint8'), jl.backend.is_int_dtype('bool')
        (True, False)
    """
    name = standardize_dtype(dtype)
    return name.startswith(("int", "uint"))


_WEAK_TYPES = (int, float, complex, bool)


def result_type(*dtypes):
    """The dtype an op on ``dtypes`` returns, by JAX's promotion rules, as Keras names it.

    Python types (``int``, ``float``) are weak, as Python scalars are. The
    promotion runs on the full dtypes, then 64-bit results narrow to 32 bits
    unless ``jax_enable_x64`` is on (``uint64`` with ``int32`` is a float, as in
    Keras). No argument gives :func:`floatx`.

    Example:
        >>> result_type("int8", "float16"), result_type("int32", float)
        ('float16', 'float32')
    """
    if not dtypes:
        return floatx()
    weak = [d for d in dtypes if d in _WEAK_TYPES]
    strong = [standardize_dtype(d) for d in dtypes if d not in _WEAK_TYPES]
    if strong:
        weak.insert(0, functools.reduce(jnp.promote_types, strong))
    return standardize_dtype(jnp.result_type(*weak))


def is_keras_tensor(x):
    """Whether ``x`` is a symbolic tensor (from ``jl.Input`` or a layer called on one).

    Args:
        x: Input array.

    Example:
        >>> is_keras_tensor(np.zeros(3))
        False
    """
    return hooks.get("core.is_symbolic", provider="jaxlayers.core",
                     needed_by="jl.backend.is_keras_tensor")(x)


def backend():
    """The name of the array backend: always ``'jax'``.

    Example:
        >>> jl.backend.backend()
        'jax'
    """
    return "jax"


def set_backend(name):
    """Keras's backend switch: jaxlayers runs on JAX only, so only ``'jax'`` is accepted.

    Args:
        name: The backend's name; only ``'jax'`` is accepted.

    Example:
        >>> jl.backend.set_backend('jax')
        >>> jl.backend.backend()
        'jax'
    """
    if name != "jax":
        raise ConfigError(
            "set_backend: jaxlayers runs on JAX only. Expected 'jax'. "
            f"Received: name={name!r}."
        )


def _env_count(name):
    value = os.environ.get(name)
    return int(value) if value else None


# Debugging caps on fit (and evaluate/predict steps), as Keras's KERAS_MAX_* variables.
_limits = {"max_epochs": _env_count("KERAS_MAX_EPOCHS"),
           "max_steps_per_epoch": _env_count("KERAS_MAX_STEPS_PER_EPOCH")}


def _set_limit(name, value):
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                              or value < 1):
        raise ConfigError(
            f"set_{name}: `{name}` must be a positive int or None. "
            f"Received: {name}={value!r}."
        )
    _limits[name] = value


def max_epochs():
    """The cap on ``fit``'s epochs (``None``: no cap); also ``KERAS_MAX_EPOCHS``.

    Example:
        >>> print(jl.backend.max_epochs())
        None
    """
    return _limits["max_epochs"]


def set_max_epochs(max_epochs):
    """Caps the epochs of every ``fit`` (a debugging switch); ``None`` removes the cap.

    Args:
        max_epochs: A positive int, or ``None`` for no cap.

    Example:
        >>> jl.backend.set_max_epochs(1)
        >>> jl.backend.max_epochs()
        1
        >>> jl.backend.set_max_epochs(None)
    """
    _set_limit("max_epochs", max_epochs)


def max_steps_per_epoch():
    """The cap on steps per epoch of ``fit``/``evaluate``/``predict`` (``None``: no cap).

    Example:
        >>> print(jl.backend.max_steps_per_epoch())
        None
    """
    return _limits["max_steps_per_epoch"]


def set_max_steps_per_epoch(max_steps_per_epoch):
    """Caps the steps of every epoch of ``fit``/``evaluate``/``predict``; ``None`` removes it.

    Args:
        max_steps_per_epoch: A positive int, or ``None`` for no cap.

    Example:
        >>> jl.backend.set_max_steps_per_epoch(5)
        >>> jl.backend.max_steps_per_epoch()
        5
        >>> jl.backend.set_max_steps_per_epoch(None)
    """
    _set_limit("max_steps_per_epoch", max_steps_per_epoch)


def cap_epochs(epochs):
    """``epochs`` limited by :func:`max_epochs` (what ``fit`` runs).

    Args:
        epochs: The number of epochs asked for.

    Example:
        >>> jl.backend.set_max_epochs(2)
        >>> jl.backend.cap_epochs(10), jl.backend.cap_epochs(1)
        (2, 1)
        >>> jl.backend.set_max_epochs(None)
    """
    cap = max_epochs()
    return epochs if cap is None or epochs is None else min(epochs, cap)


def cap_steps(steps):
    """``steps`` (``None``: until the data ends) limited by :func:`max_steps_per_epoch`.

    Args:
        steps: The number of steps asked for, or ``None``.

    Example:
        >>> jl.backend.set_max_steps_per_epoch(3)
        >>> jl.backend.cap_steps(10), jl.backend.cap_steps(None)
        (3, 3)
        >>> jl.backend.set_max_steps_per_epoch(None)
    """
    cap = max_steps_per_epoch()
    return steps if cap is None else cap if steps is None else min(steps, cap)


# Flash attention: ``None`` lets attention use the flash kernel where it applies;
# ``False`` (after disable) forbids it where a layer's flash_attention is None.
_flash = {"enabled": None}


def enable_flash_attention():
    """Lets attention layers use the flash kernel where it applies (the default).

    Example:
        >>> jl.backend.enable_flash_attention()
        >>> print(jl.backend.is_flash_attention_enabled())
        None
    """
    _flash["enabled"] = None


def disable_flash_attention():
    """Stops attention layers whose ``flash_attention`` is ``None`` from using the flash kernel.

    Example:
        >>> jl.backend.disable_flash_attention()
        >>> jl.backend.is_flash_attention_enabled()
        False
        >>> jl.backend.enable_flash_attention()
    """
    _flash["enabled"] = False


def is_flash_attention_enabled():
    """``None`` (used where it applies, the default) or ``False`` (disabled).

    Example:
        >>> print(jl.backend.is_flash_attention_enabled())
        None
    """
    return _flash["enabled"]


def enable_traceback_filtering():
    """Hides JAX's internal frames from tracebacks (JAX's ``jax_traceback_filtering``).

    Example:
        >>> jl.backend.enable_traceback_filtering()
        >>> jl.backend.is_traceback_filtering_enabled()
        True
    """
    jax.config.update("jax_traceback_filtering", "auto")


def disable_traceback_filtering():
    """Shows every frame in tracebacks, JAX's internal ones included.

    Example:
        >>> jl.backend.disable_traceback_filtering()
        >>> jl.backend.is_traceback_filtering_enabled()
        False
        >>> jl.backend.enable_traceback_filtering()
    """
    jax.config.update("jax_traceback_filtering", "off")


def is_traceback_filtering_enabled():
    """Whether tracebacks hide JAX's internal frames.

    Example:
        >>> jl.backend.is_traceback_filtering_enabled()
        True
    """
    return jax.config.jax_traceback_filtering != "off"


def is_nnx_enabled():
    """Keras's Flax NNX variables switch: jaxlayers weights are plain arrays, so ``False``.

    Example:
        >>> jl.backend.is_nnx_enabled()
        False
    """
    return False


# Interactive logging: messages and progress bars go to stdout when on (the
# default), to the ``jaxlayers`` logger at INFO level when off (batch jobs).
_interactive_logging = {"enabled": True}
logger = logging.getLogger("jaxlayers")


def enable_interactive_logging():
    """Sends messages and progress bars to stdout (the default).

    Example:
        >>> jl.backend.enable_interactive_logging()
        >>> jl.backend.is_interactive_logging_enabled()
        True
    """
    _interactive_logging["enabled"] = True


def disable_interactive_logging():
    """Sends messages and progress bars to the ``jaxlayers`` logger instead of stdout.

    Example:
        >>> jl.backend.disable_interactive_logging()
        >>> jl.backend.is_interactive_logging_enabled()
        False
        >>> jl.backend.enable_interactive_logging()
    """
    _interactive_logging["enabled"] = False


def is_interactive_logging_enabled():
    """Whether messages go to stdout (``True``) or to the ``jaxlayers`` logger.

    Example:
        >>> jl.backend.is_interactive_logging_enabled()
        True
    """
    return _interactive_logging["enabled"]


def print_msg(message, line_break=True):
    """Writes ``message`` to stdout, or logs it when interactive logging is off.

    Args:
        message: The text to print.
        line_break: Whether to end the line.

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
    "backend",
    "cap_epochs",
    "cap_steps",
    "clear_session",
    "disable_flash_attention",
    "disable_interactive_logging",
    "disable_traceback_filtering",
    "enable_flash_attention",
    "enable_interactive_logging",
    "enable_traceback_filtering",
    "epsilon",
    "floatx",
    "get_uid",
    "image_data_format",
    "is_flash_attention_enabled",
    "is_float_dtype",
    "is_int_dtype",
    "is_interactive_logging_enabled",
    "is_keras_tensor",
    "is_nnx_enabled",
    "is_traceback_filtering_enabled",
    "max_epochs",
    "max_steps_per_epoch",
    "next_eager_key",
    "print_msg",
    "result_type",
    "seed_generation",
    "set_backend",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
    "set_max_epochs",
    "set_max_steps_per_epoch",
    "set_random_seed",
    "standardize_data_format",
    "standardize_dtype",
    "unique_name",
]
