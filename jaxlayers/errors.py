"""Exception classes used across jaxlayers.

Every class also subclasses the matching builtin so that ``except ValueError``
(or ``TypeError``) written against Keras keeps working.  Messages follow one
form: which layer or object, what was expected, ``Received: arg=value``, and
where it helps, the fix.
"""


class JaxlayersError(Exception):
    """Base class of every error raised by jaxlayers on purpose."""


class ConfigError(JaxlayersError, ValueError):
    """A constructor or config argument is invalid (raised in ``__init__``)."""


class ConfigTypeError(JaxlayersError, TypeError):
    """A constructor argument has the wrong type."""


class ShapeError(JaxlayersError, ValueError):
    """Inputs do not have the rank, size or structure a layer expects."""


class DTypeError(JaxlayersError, TypeError):
    """Inputs or weights have a dtype the layer cannot use."""


class NotBuiltError(JaxlayersError, ValueError):
    """Weights of a layer were read before the layer was built."""


class WeightsError(JaxlayersError, ValueError):
    """Weights given to ``set_weights`` / ``params`` do not match the layer."""


class KeyRequiredError(JaxlayersError, ValueError):
    """A random draw had no key: a random layer under ``apply`` without ``key=``, or a
    ``jl.random`` op with a ``SeedGenerator`` (or ``seed=None``) under ``jax.jit``
    outside any layer (pass a key as ``seed`` there)."""


class StateError(JaxlayersError, ValueError):
    """A weight was written where that is not allowed (e.g. a trainable one in call)."""


class SerializationError(JaxlayersError, ValueError):
    """An object could not be serialized or deserialized."""


class ArchiveError(SerializationError):
    """A file is not a readable archive: not a regular file, truncated, corrupt or hostile."""


class UnsafeLoadError(SerializationError):
    """Loading would execute code from a file; pass ``safe_mode=False`` to allow it."""


class NotCompiledError(JaxlayersError, ValueError, RuntimeError):
    """A training method was used before ``compile``.

    A ``ValueError`` as in Keras (``fit``/``evaluate`` before ``compile``), and
    still a ``RuntimeError`` for code written against earlier jaxlayers.
    """


class DataError(JaxlayersError, ValueError):
    """Data given to fit / evaluate / predict does not match the model."""


class NonFiniteLossError(JaxlayersError, RuntimeError):
    """Training stopped on a NaN or infinite loss (``TerminateOnNaN(raise_error=True)``)."""


class NotLoadedError(JaxlayersError, ImportError):
    """A lower part of jaxlayers needs a higher part that has not been imported yet.

    The import layers only point down (docs/architecture.md): ``Model.save`` reaches
    ``jaxlayers.saving`` through a hook that ``jaxlayers.saving`` fills when it is
    imported.  ``import jaxlayers as jl`` and any ``jl.`` name import every part.
    """
class DownloadError(JaxlayersError, OSError):
    """A file could not be fetched (no network, HTTP error) and no valid cached copy exists."""


class FileHashError(JaxlayersError, ValueError):
    """A downloaded file does not have the hash it was expected to have."""


__all__ = [
    "JaxlayersError",
    "ConfigError",
    "ConfigTypeError",
    "ShapeError",
    "DTypeError",
    "NotBuiltError",
    "WeightsError",
    "KeyRequiredError",
    "StateError",
    "SerializationError",
    "ArchiveError",
    "UnsafeLoadError",
    "NotCompiledError",
    "DataError",
    "NonFiniteLossError",
    "NotLoadedError",
    "DownloadError",
    "FileHashError",
]
