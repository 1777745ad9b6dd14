"""Exception classes used across jaxlayers.

Every class also subclasses the matching builtin so that ``except ValueError``
(or ``TypeError``) written against Keras keeps working.  Messages follow one
form: which layer or object, what was expected, ``Received: arg=value``, and
where it helps, the fix.
"""


class JaxlayersError(Exception):
    """Base class of every error raised by jaxlayers on purpose.

    Example:
        >>> try:
        ...     jl.layers.Dense(0, name='d')
        ... except JaxlayersError as e:
        ...     print(type(e).__name__)
        ConfigError
    """


class ConfigError(JaxlayersError, ValueError):
    """A constructor or config argument is invalid (raised in ``__init__``).

    Example:
        >>> try:
        ...     jl.layers.Dense(0, name='d')
        ... except ValueError as e:
        ...     print(type(e).__name__, e)
        ConfigError Dense 'd': `units` must be a positive int. Received: units=0.
    """


class ConfigTypeError(JaxlayersError, TypeError):
    """A constructor argument has the wrong type.

    Example:
        >>> try:
        ...     jl.layers.Dense(2, use_bias=1, name='d')
        ... except TypeError as e:
        ...     print(type(e).__name__, e)
        ConfigTypeError Dense 'd': `use_bias` must be a bool. Received: use_bias=1.
    """


class ShapeError(JaxlayersError, ValueError):
    """Inputs do not have the rank, size or structure a layer expects.

    Example:
        >>> try:
        ...     jl.layers.Conv2D(1, 3, name='c')(np.zeros((2, 3)))
        ... except ShapeError as e:
        ...     print(e)
        Input 0 of Conv2D 'c' is incompatible with the layer: expected ndim=4, found ndim=2. ...
    """


class DTypeError(JaxlayersError, TypeError):
    """Inputs or weights have a dtype the layer cannot use.

    Example:
        >>> issubclass(DTypeError, TypeError), issubclass(DTypeError, JaxlayersError)
        (True, True)
    """


class NotBuiltError(JaxlayersError, ValueError):
    """Weights of a layer were read before the layer was built.

    Example:
        >>> try:
        ...     jl.layers.Dense(2, name='d').get_weights()
        ... except NotBuiltError as e:
        ...     print(e)
        Dense 'd' isn't built yet, so it has no weights. Call it on data (layer(x)), call ...
    """


class WeightsError(JaxlayersError, ValueError):
    """Weights given to ``set_weights`` / ``params`` do not match the layer.

    Example:
        >>> layer = jl.layers.Dense(2, name='d')
        >>> layer.build((None, 3))
        >>> try:
        ...     layer.set_weights([np.zeros((3, 2))])
        ... except WeightsError as e:
        ...     print(type(e).__name__)
        WeightsError
    """


class KeyRequiredError(JaxlayersError, ValueError):
    """A random draw had no key: a random layer under ``apply`` without ``key=``, or a
    ``jl.random`` op with a ``SeedGenerator`` (or ``seed=None``) under ``jax.jit``
    outside any layer (pass a key as ``seed`` there).

    Example:
        >>> issubclass(KeyRequiredError, ValueError)
        True
    """


class StateError(JaxlayersError, ValueError):
    """A weight was written where that is not allowed (e.g. a trainable one in call).

    Example:
        >>> issubclass(StateError, ValueError)
        True
    """


class SerializationError(JaxlayersError, ValueError):
    """An object could not be serialized or deserialized.

    Example:
        >>> try:
        ...     jl.activations.serialize(lambda x: x)
        ... except SerializationError as e:
        ...     print(type(e).__name__)
        SerializationError
    """


class ArchiveError(SerializationError):
    """A file is not a readable archive: not a regular file, truncated, corrupt or hostile.

    Example:
        >>> issubclass(ArchiveError, SerializationError)
        True
    """


class UnsafeLoadError(SerializationError):
    """Loading would execute code from a file; pass ``safe_mode=False`` to allow it.

    Example:
        >>> issubclass(UnsafeLoadError, (SerializationError, ValueError))
        True
    """


class NotCompiledError(JaxlayersError, ValueError, RuntimeError):
    """A training method was used before ``compile``.

    A ``ValueError`` as in Keras (``fit``/``evaluate`` before ``compile``), and
    still a ``RuntimeError`` for code written against earlier jaxlayers.

    Example:
        >>> model = jl.Sequential([jl.layers.Dense(1)], name='m')
        >>> try:
        ...     model.fit(np.zeros((2, 1)), np.zeros((2, 1)))
        ... except NotCompiledError as e:
        ...     print(e)
        Sequential 'm': call compile() before fit(). Example: model.compile(optimizer='adam', ...
    """


class DataError(JaxlayersError, ValueError):
    """Data given to fit / evaluate / predict does not match the model.

    Example:
        >>> issubclass(DataError, ValueError)
        True
    """


class NonFiniteLossError(JaxlayersError, RuntimeError):
    """Training stopped on a NaN or infinite loss (``TerminateOnNaN(raise_error=True)``).

    Example:
        >>> issubclass(NonFiniteLossError, RuntimeError)
        True
    """


class NotLoadedError(JaxlayersError, ImportError):
    """A lower part of jaxlayers needs a higher part that has not been imported yet.

    The import layers only point down (docs/architecture.md): ``Model.save`` reaches
    ``jaxlayers.saving`` through a hook that ``jaxlayers.saving`` fills when it is
    imported.  ``import jaxlayers as jl`` and any ``jl.`` name import every part.

    Example:
        >>> issubclass(NotLoadedError, ImportError)
        True
    """
class DownloadError(JaxlayersError, OSError):
    """A file could not be fetched (no network, HTTP error) and no valid cached copy exists.

    Example:
        >>> issubclass(DownloadError, OSError)
        True
    """


class FileHashError(JaxlayersError, ValueError):
    """A downloaded file does not have the hash it was expected to have.

    Example:
        >>> issubclass(FileHashError, ValueError)
        True
    """


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
