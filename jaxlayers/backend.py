"""Global settings: default float dtype, epsilon, image data format, seeds and names.

These mirror ``keras.backend`` / ``keras.config``.  The random stream here is
only used by the eager facade (initial weights of a layer used as an object,
dropout masks of an eager call).  The pure ``init``/``apply`` pair never reads
it: it takes an explicit ``jax.random.key``.
"""

import collections
import os
import random as _py_random
import threading

import jax
import numpy as np

from jaxlayers.errors import ConfigError

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"
_VALID_FLOATX = ("float16", "bfloat16", "float32", "float64")

_lock = threading.Lock()
_name_counts = collections.defaultdict(int)
_seed_state = {"seed": None, "counter": 0}


def floatx():
    """The default float dtype of weights and layer computations (``'float32'``)."""
    return _FLOATX


def set_floatx(value):
    """Sets the default float dtype; one of float16, bfloat16, float32, float64."""
    global _FLOATX
    value = str(value)
    if value not in _VALID_FLOATX:
        raise ConfigError(
            f"set_floatx: unknown float dtype. Expected one of {_VALID_FLOATX}. "
            f"Received: value={value!r}."
        )
    _FLOATX = value


def epsilon():
    """The fuzz factor used in numeric expressions (``1e-7``, as in Keras)."""
    return _EPSILON


def set_epsilon(value):
    global _EPSILON
    _EPSILON = float(value)


def image_data_format():
    return _IMAGE_DATA_FORMAT


def set_image_data_format(value):
    global _IMAGE_DATA_FORMAT
    if value not in ("channels_last", "channels_first"):
        raise ConfigError(
            "set_image_data_format: expected 'channels_last' or 'channels_first'. "
            f"Received: value={value!r}."
        )
    _IMAGE_DATA_FORMAT = value


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


def clear_session():
    """Resets automatic layer names (``dense``, ``dense_1``, ...)."""
    with _lock:
        _name_counts.clear()


__all__ = [
    "floatx", "set_floatx", "epsilon", "set_epsilon", "image_data_format",
    "set_image_data_format", "standardize_data_format", "set_random_seed",
    "next_eager_key", "unique_name", "clear_session",
]
