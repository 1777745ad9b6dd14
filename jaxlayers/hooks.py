"""Hooks: how a lower part of jaxlayers calls what a higher part provides.

The import layers point down only (docs/architecture.md): ``core`` never imports
``initializers``, ``models`` never imports ``saving``.  Where a lower module needs
a function that lives higher up (``add_weight`` resolving ``initializer="zeros"``,
``Model.save`` writing a file), it asks for a hook by name, and the higher module
provides the hook when it is imported.

A hook asked for before its provider was imported (``from jaxlayers.models import
Sequential`` and then ``model.save(...)``) is filled by the loader the ``jaxlayers``
package registers: it imports every part.  This module sits at the bottom, beside
``errors``, so that the package can register the loader without importing more.

Example:
    >>> from jaxlayers import hooks
    >>> _ = hooks.provide("demo.double", lambda x: 2 * x)
    >>> hooks.get("demo.double", provider="a demo module", needed_by="This example")(21)
    42
"""

import threading

from jaxlayers.errors import NotLoadedError

_lock = threading.Lock()
_hooks = {}
_loader = []


def provide(name, fn):
    """Fills the hook ``name`` with ``fn`` (the providing module calls this at import).

    Args:
        name: The hook's name, ``"<module>.<function>"`` by convention.
        fn: The function that fills it; a later call replaces it.

    Returns:
        ``fn``, so that ``provide`` can be used inline.

    Example:
        >>> provide("demo.triple", lambda x: 3 * x)(2)
        6
    """
    with _lock:
        _hooks[name] = fn
    return fn


def set_loader(load):
    """Registers ``load()``, which imports every part; called by the ``jaxlayers`` package.

    Args:
        load: Callable without arguments; :func:`get` calls it once when a hook
            is missing, then looks again.

    Example:
        ``import jaxlayers`` has registered its loader, so a hook whose module
        was never imported directly is still found:

        >>> get("saving.save_model", "jaxlayers.saving", "This example").__name__
        'save_model'
    """
    _loader[:] = [load]


def get(name, provider, needed_by):
    """The function filling hook ``name``, importing every part first if it is missing.

    Args:
        name: The hook's name, e.g. ``"saving.save_model"``.
        provider: The module that fills it, named in the error when it stays missing.
        needed_by: What needs it (``"Sequential 'model'.save"``), for the error.

    Returns:
        The function :func:`provide` registered under ``name``.

    Raises:
        NotLoadedError: ``provider`` is not imported and cannot be imported now (the
            hook was asked for while a part of jaxlayers was being imported).

    Example:
        >>> get("demo.nothing", "a demo module", "This example")
        Traceback (most recent call last):
        ...
        jaxlayers.errors.NotLoadedError: This example needs a demo module, which is not imported ...
    """
    fn = _hooks.get(name)
    if fn is None and _loader:
        _loader[0]()
        fn = _hooks.get(name)
    if fn is None:
        raise NotLoadedError(
            f"{needed_by} needs {provider}, which is not imported and cannot be imported "
            f"while jaxlayers' own modules are being imported. Import it first "
            f"(`import {provider}`)."
        )
    return fn


__all__ = ["get", "provide", "set_loader"]
