"""Automatic configs and constructor errors that name the layer.

* A layer whose constructor takes only plain values (numbers, strings, lists
  and dicts of them) gets ``get_config`` for free: the arguments it was
  constructed with are captured before ``__init__`` runs.
* Config errors raised while a layer is constructed (an unknown activation or
  initializer name, ...) are re-raised naming the layer and the argument:
  ``activations.get('relux')`` cannot know it runs for
  ``Dense(activation='relux')``; the constructor can.
* :func:`default_method` marks a base-class method, so that other parts can ask
  whether a subclass overrides it (:func:`overrides`) without importing the base.
"""

import functools
import inspect
import re

from jaxlayers.errors import ConfigError, ConfigTypeError, SerializationError

_JSON_TYPES = (str, int, float, bool, type(None))


def is_plain(value):
    """Whether ``value`` is JSON data: numbers, strings, ``None``, and lists/dicts of them.

    Args:
        value: Any object.

    Example:
        >>> is_plain({"units": 3, "sizes": [1, 2]}), is_plain({"fn": print})
        (True, False)
    """
    if isinstance(value, _JSON_TYPES):
        return True
    if isinstance(value, (list, tuple)):
        return all(is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_plain(v) for k, v in value.items())
    return False


def capture_init_args(cls, obj, args, kwargs, base_init):
    """The constructor arguments as a config dict, or ``None`` if any is not plain.

    Defaults are filled in and ``**kwargs`` are merged, so the dict rebuilds the
    object as ``cls(**config)``; plain means JSON-like (see :func:`is_plain`).

    Args:
        cls: The class being constructed.
        obj: The new instance (``self`` of the constructor).
        args: The constructor's positional arguments.
        kwargs: The constructor's keyword arguments.
        base_init: The base class's ``__init__``: a class that does not define
            its own constructor takes keyword arguments only.

    Returns:
        ``{argument: value}``, or ``None`` when an argument is not plain or
        ``*args`` is not empty.

    Example:
        >>> class Box:
        ...     def __init__(self, size, name=None):
        ...         pass
        >>> box = Box.__new__(Box)
        >>> capture_init_args(Box, box, (3,), {}, object.__init__)
        {'size': 3, 'name': None}
        >>> capture_init_args(Box, box, (object(),), {}, object.__init__) is None
        True
    """
    init = cls.__init__
    if init is base_init:
        return dict(kwargs) if is_plain(kwargs) else None
    try:
        bound = inspect.signature(init).bind(obj, *args, **kwargs)
    except TypeError:
        return None
    bound.apply_defaults()
    config = {}
    for name, value in list(bound.arguments.items())[1:]:
        param = inspect.signature(init).parameters[name]
        if param.kind == param.VAR_POSITIONAL:
            if value:
                return None
            continue
        if param.kind == param.VAR_KEYWORD:
            config.update(value)
        else:
            config[name] = value
    return config if is_plain(config) else None


def jsonable(value):
    """Tuples as lists, recursively (what JSON keeps).

    Args:
        value: A config value: nested tuples, lists, dicts and scalars.

    Returns:
        The same value with every tuple turned into a list.

    Example:
        >>> jsonable({"shape": (None, 3), "pad": ((1, 1), (0, 0))})
        {'shape': [None, 3], 'pad': [[1, 1], [0, 0]]}
    """
    if isinstance(value, (tuple, list)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def as_shape(value):
    """Lists of ints/``None`` back to shape tuples, recursively (inverse of :func:`jsonable`).

    Args:
        value: A value read from JSON.

    Returns:
        The value with every list of ints and ``None`` as a tuple.

    Example:
        >>> as_shape({"shape": [None, 3], "shapes": [[2], [4, 5]]})
        {'shape': (None, 3), 'shapes': [(2,), (4, 5)]}
    """
    if isinstance(value, list) and all(v is None or isinstance(v, int) for v in value):
        return tuple(value)
    if isinstance(value, list):
        return [as_shape(v) for v in value]
    if isinstance(value, dict):
        return {k: as_shape(v) for k, v in value.items()}
    return value


def default_method(fn):
    """Marks ``fn`` as a base-class default that subclasses may override.

    Args:
        fn: The base-class method.

    Example:
        >>> class Base:
        ...     @default_method
        ...     def get_config(self):
        ...         return {}
        >>> class Child(Base):
        ...     def get_config(self):
        ...         return {'x': 1}
        >>> overrides(Base(), 'get_config'), overrides(Child(), 'get_config')
        (False, True)
    """
    fn._jl_default = True
    return fn


def overrides(obj, name):
    """Whether ``type(obj)`` overrides the :func:`default_method` called ``name``.

    Args:
        obj: An instance.
        name: The method's name.

    Example:
        >>> overrides(jl.layers.Dense(1), 'get_config')
        True
    """
    method = getattr(type(obj), name, None)
    return method is not None and not getattr(method, "_jl_default", False)


def wrap_init(init):
    """Makes config errors raised while constructing a layer name the layer and argument.

    Errors that already name the layer's class pass unchanged; an error that
    quotes an argument's value as ``identifier=...`` gets the argument's name.

    Args:
        init: The ``__init__`` to wrap.

    Returns:
        The wrapped constructor.

    Example:
        >>> from jaxlayers.errors import ConfigError
        >>> class Block:
        ...     @wrap_init
        ...     def __init__(self, activation):
        ...         raise ConfigError("Unknown activation. Received: identifier='foo'.")
        >>> Block("foo")
        Traceback (most recent call last):
        ...
        jaxlayers.errors.ConfigError: Block: Unknown activation. Received: activation='foo'.
    """

    @functools.wraps(init)
    def wrapper(self, *args, **kwargs):
        try:
            return init(self, *args, **kwargs)
        except (ConfigError, ConfigTypeError, SerializationError) as e:
            message = str(e)
            if getattr(e, "_jl_layer_named", False) or type(self).__name__ in message:
                raise
            named = type(e)(_layer_error_message(self, init, args, kwargs, message))
            named._jl_layer_named = True
            raise named from e

    wrapper._jl_wrapped = True
    return wrapper


def _layer_error_message(layer, init, args, kwargs, message):
    name = layer.__dict__.get("_name") or kwargs.get("name")
    owner = type(layer).__name__ + (f" '{name}'" if isinstance(name, str) else "")
    culprit = _culprit_argument(layer, init, args, kwargs, message)
    if culprit is None:
        return f"{owner}: {message}"
    arg, value = culprit
    if f"identifier={value!r}" in message:
        return f"{owner}: " + message.replace(f"identifier={value!r}", f"{arg}={value!r}")
    return f"{owner}: {message.rstrip()} Received: {arg}={value!r}."


def _culprit_argument(layer, init, args, kwargs, message):
    """The constructor argument whose value the error message quotes, if any."""
    try:
        signature = inspect.signature(init)
        bound = signature.bind(layer, *args, **kwargs).arguments
    except (TypeError, ValueError):
        return None
    flat = {}
    for arg, value in list(bound.items())[1:]:
        kind = signature.parameters[arg].kind
        if kind == inspect.Parameter.VAR_KEYWORD:
            flat.update(value)
        elif kind != inspect.Parameter.VAR_POSITIONAL:
            flat[arg] = value
    candidates = []
    for arg, value in flat.items():
        if arg == "name" or value is None or isinstance(value, bool):
            continue
        try:
            text = repr(value)
        except Exception:  # noqa: BLE001 - an object without a usable repr is no culprit
            continue
        quoted = f"identifier={text}"
        if quoted not in message and isinstance(value, (str, dict)):
            quoted = text
        if quoted in message:
            candidates.append((message.index(quoted), arg, value))
    # Several arguments may be quoted (`filters=3, kernel_initializer=3`, or a name listed
    # among the known ones): the message's kind ("initializer identifier") picks the
    # arguments of that kind, and the value quoted first is the one the message is about.
    kind = re.search(r"(\w+) identifier|Unknown (\w+)", message)
    kind = kind and (kind.group(1) or kind.group(2))
    if kind:
        candidates = [c for c in candidates if kind in c[1]] or candidates
    return min(candidates)[1:] if candidates else None


__all__ = ["as_shape", "capture_init_args", "default_method", "is_plain", "jsonable",
           "overrides", "wrap_init"]
