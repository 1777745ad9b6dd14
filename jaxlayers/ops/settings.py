"""The float dtype the ops default to, shared with ``jaxlayers.backend``.

The ops sit below ``jaxlayers.backend`` (docs/architecture.md), yet Keras's ops
read ``floatx`` (``ops.zeros(shape)``, ``ops.exp`` of integers), so the setting
lives here and ``jaxlayers.backend.floatx`` / ``set_floatx`` are these functions.

Example:
    >>> from jaxlayers.ops import settings
    >>> settings.floatx()
    'float32'
"""

from jaxlayers.errors import ConfigError

_VALID_FLOATX = ("float16", "bfloat16", "float32", "float64")
_state = {"floatx": "float32"}


def floatx():
    """The default float dtype of weights and layer computations (``'float32'``)."""
    return _state["floatx"]


def set_floatx(value):
    """Sets the default float dtype; one of float16, bfloat16, float32, float64."""
    value = str(value)
    if value not in _VALID_FLOATX:
        raise ConfigError(
            f"set_floatx: unknown float dtype. Expected one of {_VALID_FLOATX}. "
            f"Received: value={value!r}."
        )
    _state["floatx"] = value


__all__ = ["floatx", "set_floatx"]
