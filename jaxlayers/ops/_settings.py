"""The global settings the ops read: floatx, epsilon and the image data format.

The ops sit below ``jaxlayers.backend`` (docs/architecture.md), yet Keras's ops
read these settings (``ops.zeros(shape)`` is floatx, ``ops.nn.conv`` defaults to
the image data format), so they live here, once, and ``jaxlayers.backend`` /
``jaxlayers.config`` expose these same functions.

Example:
    >>> from jaxlayers.ops import _settings
    >>> _settings.floatx(), _settings.epsilon(), _settings.image_data_format()
    ('float32', 1e-07, 'channels_last')
"""

from jaxlayers.errors import ConfigError

_VALID_FLOATX = ("float16", "bfloat16", "float32", "float64")
_DATA_FORMATS = ("channels_last", "channels_first")
_state = {"floatx": "float32", "epsilon": 1e-7, "image_data_format": "channels_last"}


def floatx():
    """The default float dtype of weights and layer computations (``'float32'``).

    Example:
        >>> jl.backend.floatx()
        'float32'
    """
    return _state["floatx"]


def set_floatx(value):
    """Sets the default float dtype; one of float16, bfloat16, float32, float64.

    Args:
        value: ``'float16'``, ``'bfloat16'``, ``'float32'`` or ``'float64'``.

    Example:
        >>> jl.backend.set_floatx('float16')
        >>> jl.layers.Dense(2).dtype
        'float16'
        >>> jl.backend.set_floatx('float32')
    """
    value = str(value)
    if value not in _VALID_FLOATX:
        raise ConfigError(
            f"set_floatx: unknown float dtype. Expected one of {_VALID_FLOATX}. "
            f"Received: value={value!r}."
        )
    _state["floatx"] = value


def epsilon():
    """The fuzz factor used in numeric expressions (``1e-7``, as in Keras).

    Example:
        >>> jl.backend.epsilon()
        1e-07
    """
    return _state["epsilon"]


def set_epsilon(value):
    """Sets the fuzz factor (a positive float).

    Args:
        value: A positive float.

    Example:
        >>> jl.backend.set_epsilon(1e-5)
        >>> jl.backend.epsilon()
        1e-05
        >>> jl.backend.set_epsilon(1e-7)
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ConfigError(f"set_epsilon: expected a positive float. Received: value={value!r}.")
    _state["epsilon"] = float(value)


def image_data_format():
    """The default ``data_format`` of image layers and ops: ``'channels_last'``.

    Example:
        >>> jl.backend.image_data_format()
        'channels_last'
    """
    return _state["image_data_format"]


def set_image_data_format(value):
    """Sets the default ``data_format``: ``'channels_last'`` or ``'channels_first'``.

    Args:
        value: ``'channels_last'`` or ``'channels_first'``.

    Example:
        >>> jl.backend.set_image_data_format('channels_first')
        >>> jl.backend.image_data_format()
        'channels_first'
        >>> jl.backend.set_image_data_format('channels_last')
    """
    if value not in _DATA_FORMATS:
        raise ConfigError(
            "set_image_data_format: expected 'channels_last' or 'channels_first'. "
            f"Received: value={value!r}."
        )
    _state["image_data_format"] = value


__all__ = ["floatx", "set_floatx", "epsilon", "set_epsilon", "image_data_format",
           "set_image_data_format"]
