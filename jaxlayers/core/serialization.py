"""Registry of known classes and the (de)serialization of configs.

A config names a class by ``class_name`` (and ``registered_name`` for user
classes registered with :func:`register_serializable`).  Deserialization
looks names up only in these registries and in ``custom_objects`` given by
the caller: it never imports a module path named in a config.
"""

import inspect
import threading

from jaxlayers.core import config as config_lib
from jaxlayers.core import tracking
from jaxlayers.errors import ConfigError, ConfigTypeError, SerializationError

_lock = threading.Lock()
# category ("layers", "initializers", ...) -> {class_name: class}
_BUILTINS = {}
# "package>name" -> object, for user code registered explicitly.
_CUSTOM = {}
_CUSTOM_NAMES = {}
_scope = threading.local()


def register_builtin(category, name=None):
    """Class decorator used by jaxlayers itself: records ``cls`` under ``category``.

    Args:
        category: The registry's category (``'layers'``, ``'initializers'``, ...).
        name: The registered name; ``None`` means the class's ``__name__``.

    Example:
        >>> register_builtin('layers') is not None
        True
    """

    def decorator(obj):
        key = name or obj.__name__
        with _lock:
            _BUILTINS.setdefault(category, {})[key] = obj
        obj._jl_category = category
        return obj

    return decorator


def register_builtin_with_aliases(category, *aliases):
    """Like :func:`register_builtin`, also under each alias (``"glorot_uniform"``, ...).

    Args:
        category: The registry's category (``'layers'``, ``'initializers'``, ...).
        *aliases: Extra names the object is also registered under.

    Example:
        >>> callable(register_builtin_with_aliases('layers', 'MyAlias'))
        True
    """

    def decorator(obj):
        register_builtin(category)(obj)
        for alias in aliases:
            register_builtin(category, name=alias)(obj)
        return obj

    return decorator


class UnknownObjectError(ConfigError, SerializationError):
    """A name that no registry knows (both a config and a serialization error).

    Example:
        >>> issubclass(UnknownObjectError, jl.errors.SerializationError)
        True
    """


def resolve_object(identifier, category, printable, base=None, names=None,
                   custom_objects=None):
    """The ``get`` of every category: ``None``, a name, a config dict, a class or a callable.

    Names resolve through registered user objects, then ``names`` (default:
    the category's built-ins); classes found by name or given directly are
    instantiated with default arguments; callables are returned as they are.

    Args:
        identifier: What the user passed.
        category: The registry category (``"activations"``, ``"initializers"``, ...).
        printable: How messages name the category (``"initializer"``).
        base: Optional base class a given class must subclass.
        names: Optional ``{name: object}`` used instead of the category's built-ins.
        custom_objects: Optional ``{name: object}`` searched first.

    Returns:
        The object, or ``None`` for ``None``.

    Raises:
        UnknownObjectError: A name that nothing registers.
        ConfigTypeError: An identifier of another kind.

    Example:
        >>> type(resolve_object("zeros", "initializers", "initializer")).__name__
        'Zeros'
        >>> resolve_object("nope", "initializers", "initializer")
        Traceback (most recent call last):
        ...
        jaxlayers.core.serialization.UnknownObjectError: Unknown initializer: 'nope'. ...
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize_object(identifier, category, custom_objects, printable)
    if isinstance(identifier, str):
        table = builtins(category) if names is None else names
        obj = get_registered_object(identifier, custom_objects) or table.get(identifier)
        if obj is None:
            raise UnknownObjectError(
                f"Unknown {printable}: {identifier!r}. Known names: {sorted(table)}."
            )
        return obj() if inspect.isclass(obj) else obj
    if inspect.isclass(identifier) and (base is None or issubclass(identifier, base)):
        return identifier()
    if callable(identifier) and not inspect.isclass(identifier):
        return identifier
    raise ConfigTypeError(
        f"Could not interpret {printable} identifier: expected None, a name, a config dict, "
        f"{'a ' + base.__name__ + ' subclass, ' if base else 'a class, '}or a callable. "
        f"Received: identifier={identifier!r}."
    )


def builtins(category):
    """The dict of built-in objects registered under ``category``.

    Args:
        category: The registry's category (``'layers'``, ``'initializers'``, ...).

    Example:
        >>> builtins('layers')['Dense'] is jl.layers.Dense
        True
    """
    return dict(_BUILTINS.get(category, {}))


def register_serializable(package="Custom", name=None):
    """Registers a user class or function so configs and saved files can name it.

    Mirrors ``keras.saving.register_keras_serializable``.

    Args:
        package: Prefix of the registered name (``'Custom'``).
        name: Name under the package; ``None`` means the object's ``__name__``.

    Example:
        >>> @jl.saving.register_serializable(package="my_pkg")
        ... class Scale(jl.layers.Layer):
        ...     def call(self, x):
        ...         return 2 * x
    """

    def decorator(obj):
        key = f"{package}>{name or obj.__name__}"
        with _lock:
            if key in _CUSTOM and _CUSTOM[key] is not obj:
                # Re-registering under the same name replaces the old object, as in Keras.
                pass
            _CUSTOM[key] = obj
            _CUSTOM_NAMES[obj] = key
        return obj

    return decorator


register_keras_serializable = register_serializable


def get_custom_objects():
    """The live dict of user objects known by name (``jl.utils.get_custom_objects``).

    Registered objects appear under ``"package>name"``; entries added to the
    dict directly (``get_custom_objects()["Scale"] = Scale``) are found by
    that key, as in Keras.

    Example:
        >>> isinstance(get_custom_objects(), dict)
        True
    """
    return _CUSTOM


def get_registered_name(obj):
    """
    Args:
        obj: A class or function.

    Example:
        >>> get_registered_name(jl.layers.Dense)
        'Dense'
    """
    return _CUSTOM_NAMES.get(obj, getattr(obj, "__name__", type(obj).__name__))


def get_registered_object(name, custom_objects=None):
    """
    Args:
        name: A registered name (``'package>Name'``) or a key of ``custom_objects``.
        custom_objects: Optional ``{name: object}`` searched first.

    Example:
        >>> get_registered_object('Dense', {'Dense': jl.layers.Dense}) is jl.layers.Dense
        True
    """
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    scoped = getattr(_scope, "objects", None)
    if scoped and name in scoped:
        return scoped[name]
    return _CUSTOM.get(name)


class CustomObjectScope:
    """Context manager making ``custom_objects`` visible to deserialization.

    Args:
        custom_objects: A ``{name: object}`` dict (or several).

    Example:
        >>> class Twice(jl.layers.Layer):
        ...     def call(self, x):
        ...         return 2 * x
        >>> with CustomObjectScope({'Twice': Twice}):
        ...     print(get_registered_object('Twice') is Twice)
        True
    """

    def __init__(self, custom_objects):
        self.custom_objects = dict(custom_objects or {})

    def __enter__(self):
        self._previous = getattr(_scope, "objects", None)
        merged = dict(self._previous or {})
        merged.update(self.custom_objects)
        _scope.objects = merged
        return self

    def __exit__(self, *exc):
        _scope.objects = self._previous


custom_object_scope = CustomObjectScope


# The safe mode outside any SafeModeScope; enable_unsafe_deserialization turns it off.
_default_safe_mode = {"value": True}


def enable_unsafe_deserialization():
    """Lets deserialization outside an explicit ``safe_mode`` rebuild code (``Lambda`` source).

    A plain call turns safe mode off for good, as Keras's does.  Its return
    value is also a context manager: ``with enable_unsafe_deserialization():``
    turns safe mode off inside the block (even inside a ``SafeModeScope(True)``)
    and, on leaving it, even by an exception, restores what was there before
    the call.  ``load_model(path)`` keeps its own ``safe_mode=True`` default,
    as in Keras.

    Returns:
        An :class:`UnsafeDeserialization` to use in a ``with`` statement, or to
        ignore.

    Example:
        >>> in_safe_mode()
        True
        >>> with jl.config.enable_unsafe_deserialization():
        ...     print(in_safe_mode())
        ...     with SafeModeScope(True):  # an explicit inner scope still wins
        ...         print(in_safe_mode())
        False
        True
        >>> in_safe_mode()
        True
    """
    return UnsafeDeserialization()


class UnsafeDeserialization:
    """What :func:`enable_unsafe_deserialization` returns: safe mode off, undone by ``with``.

    Creating it turns the global default off (the plain call's effect).
    Entering it also turns safe mode off for the block in this thread, over an
    enclosing :class:`SafeModeScope`; leaving it restores the scope and the
    global default it found.

    Example:
        >>> with UnsafeDeserialization() as unsafe:
        ...     print(in_safe_mode(), unsafe.previous_default)
        False True
        >>> in_safe_mode()
        True
    """

    def __init__(self):
        self.previous_default = _default_safe_mode["value"]
        _default_safe_mode["value"] = False
        self._scope = None

    def __enter__(self):
        self._scope = SafeModeScope(False)
        self._scope.__enter__()
        return self

    def __exit__(self, *exc):
        self._scope.__exit__(*exc)
        _default_safe_mode["value"] = self.previous_default

    def __repr__(self):
        return f"UnsafeDeserialization(previous_default={self.previous_default})"


def in_safe_mode():
    """Whether deserialization must refuse to run code from a config (default: yes).

    Example:
        >>> in_safe_mode()
        True
        >>> with SafeModeScope(False):
        ...     print(in_safe_mode())
        False
    """
    return getattr(_scope, "safe_mode", _default_safe_mode["value"])


class SafeModeScope:
    """``with SafeModeScope(False):`` lets deserialization rebuild Lambda source code.

    Args:
        safe_mode: Whether deserialization inside the block refuses code (``False`` allows
            it).

    Example:
        >>> with SafeModeScope(False):
        ...     print(in_safe_mode())
        False
        >>> in_safe_mode()
        True
    """

    def __init__(self, safe_mode=True):
        self.safe_mode = bool(safe_mode)

    def __enter__(self):
        # Outside every scope the global default applies (enable_unsafe_deserialization
        # may change it later), so leaving the outermost scope unsets the flag.
        self._previous = getattr(_scope, "safe_mode", None)
        _scope.safe_mode = self.safe_mode
        return self

    def __exit__(self, *exc):
        if self._previous is None:
            del _scope.safe_mode
        else:
            _scope.safe_mode = self._previous


def serialize_object(obj, module):
    """``{"module", "class_name", "config", "registered_name"}`` for ``obj``.

    Args:
        obj: An object with ``get_config``.
        module: The module name recorded in the config.

    Example:
        >>> serialize_object(jl.initializers.Zeros(), 'jaxlayers.initializers')['class_name']
        'Zeros'
    """
    if obj is None:
        return None
    if isinstance(obj, (str, int, float, bool)):
        return obj
    if not hasattr(obj, "get_config"):
        raise SerializationError(
            f"Cannot serialize {obj!r}: it has no get_config(). Give it a get_config() "
            "method, or register it with jl.saving.register_serializable."
        )
    cls = obj if inspect.isclass(obj) else type(obj)
    registered = _CUSTOM_NAMES.get(cls)
    return {
        "module": module,
        "class_name": cls.__name__,
        "config": obj.get_config(),
        "registered_name": registered,
    }


def _lookup(class_name, registered_name, category, custom_objects):
    for name in (registered_name, class_name):
        if name:
            obj = get_registered_object(name, custom_objects)
            if obj is not None:
                return obj
    found = _BUILTINS.get(category, {}).get(class_name)
    if found is not None:
        return found
    return None


def deserialize_object(config, category, custom_objects=None, printable="object"):
    """Rebuilds an object from ``serialize_object`` output (or a bare class name).

    Args:
        config: A name or a :func:`serialize_object` dict.
        category: The registry searched (``'initializers'``, ...).
        custom_objects: Optional ``{name: object}`` for user classes.
        printable: How error messages name the kind of object.

    Example:
        >>> deserialize_object('zeros', 'initializers')
        Zeros()
    """
    if config is None:
        return None
    if isinstance(config, str):
        obj = _lookup(config, None, category, custom_objects)
        if obj is None:
            known = sorted(_BUILTINS.get(category, {}))
            raise UnknownObjectError(
                f"Unknown {printable}: {config!r}. Known names: {known}. For a custom "
                "object, pass custom_objects={...} or register it with "
                "jl.saving.register_serializable."
            )
        return obj() if inspect.isclass(obj) else obj
    if not isinstance(config, dict) or "class_name" not in config:
        raise SerializationError(
            f"Could not interpret {printable} config: expected a dict with 'class_name' "
            f"and 'config'. Received: {config!r}."
        )
    cls = _lookup(config["class_name"], config.get("registered_name"), category, custom_objects)
    if cls is None:
        raise SerializationError(
            f"Unknown {printable} class {config['class_name']!r} (registered name "
            f"{config.get('registered_name')!r}). Configs only name classes known to "
            "jaxlayers or passed in custom_objects / registered with "
            "jl.saving.register_serializable; no module is ever imported from a config."
        )
    inner = config.get("config", {}) or {}
    # Nested objects (a wrapper's inner layer) resolve against the same custom objects.
    with CustomObjectScope(custom_objects or {}):
        obj = cls.from_config(inner) if hasattr(cls, "from_config") else cls(**inner)
    # A layer saved inside a model carries its own build_config. The model's structure
    # pass builds every layer from real shapes, so only a class that overrides the
    # build_from_config hook needs it called here (as Keras calls it).
    build_config = config.get("build_config")
    if build_config and _overrides_build_from_config(obj) and not obj.built:
        obj.build_from_config(build_config)
    return obj


def _overrides_build_from_config(obj):
    return isinstance(obj, tracking.Trackable) and config_lib.overrides(obj, "build_from_config")


def config_repr(obj):
    """``Name(arg=value, ...)`` from ``obj.get_config()``: the repr of config objects.

    An object whose ``get_config`` is not written (a user subclass) shows ``Name()``.

    Args:
        obj: An object with ``get_config``.

    Example:
        >>> config_repr(jl.initializers.Constant(2.0))
        'Constant(value=2.0)'
    """
    try:
        args = ", ".join(f"{k}={v!r}" for k, v in obj.get_config().items())
    except (NotImplementedError, TypeError):
        args = ""
    return f"{type(obj).__name__}({args})"


def registered_category(obj, default=None):
    """The category a built-in class, function (or an instance's class) was registered under.

    Args:
        obj: Any object.
        default: What to return when ``obj`` has no category.

    Example:
        >>> registered_category(jl.layers.Dense), registered_category(object, "none")
        ('layers', 'none')
    """
    cls = obj if inspect.isclass(obj) or inspect.isroutine(obj) else type(obj)
    return getattr(cls, "_jl_category", default)


__all__ = [
    "register_builtin", "register_builtin_with_aliases", "resolve_object",
    "UnknownObjectError", "register_serializable", "register_keras_serializable",
    "serialize_object", "deserialize_object", "CustomObjectScope", "custom_object_scope",
    "get_registered_object", "get_registered_name", "builtins", "in_safe_mode", "SafeModeScope",
    "enable_unsafe_deserialization", "UnsafeDeserialization",
    "registered_category",
    "config_repr",
    "get_custom_objects",
]
