"""``Config``: a dict of named settings that also reads and writes as attributes."""

import difflib
import json

from jaxlayers.errors import StateError

# The object's own attributes; every other attribute name is a setting.
_OWN = frozenset({"_config", "_frozen"})


class Config:
    """Named settings, as attributes or items, that can be frozen against changes.

    Iterating yields the keys in sorted order; ``keys``/``values``/``items``
    keep insertion order, as a dict does.

    Args:
        **kwargs: The initial settings.

    Example:
        >>> config = Config(learning_rate=0.1)
        >>> config.seed = 7
        >>> config["seed"], config.learning_rate
        (7, 0.1)
        >>> config.freeze()
        >>> config.frozen
        True
        >>> config.to_json()
        '{"learning_rate": 0.1, "seed": 7}'
    """

    def __init__(self, **kwargs):
        object.__setattr__(self, "_config", dict(kwargs))
        object.__setattr__(self, "_frozen", False)

    @property
    def frozen(self):
        """Whether changes are refused (after :meth:`freeze`)."""
        return self._frozen

    def freeze(self):
        """Refuses every later change, until :meth:`unfreeze`."""
        object.__setattr__(self, "_frozen", True)

    def unfreeze(self):
        """Allows changes again."""
        object.__setattr__(self, "_frozen", False)

    def _check_mutable(self):
        if self._frozen:
            raise StateError("Config: it is frozen; call `unfreeze()` before changing it.")

    def as_dict(self):
        """A shallow copy of the settings, as a dict."""
        return dict(self._config)

    def to_json(self):
        """The settings as a JSON string."""
        return json.dumps(self._config)

    def keys(self):
        return self._config.keys()

    def values(self):
        return self._config.values()

    def items(self):
        return self._config.items()

    def get(self, keyname, value=None):
        return self._config.get(keyname, value)

    def pop(self, *args):
        self._check_mutable()
        return self._config.pop(*args)

    def update(self, *args, **kwargs):
        self._check_mutable()
        self._config.update(*args, **kwargs)

    def __setattr__(self, name, value):
        if name in _OWN or hasattr(type(self), name):
            object.__setattr__(self, name, value)
            return
        self._check_mutable()
        self._config[name] = value

    def __getattr__(self, name):
        # Only called when normal lookup fails: ``name`` is a setting or a typo.
        config = object.__getattribute__(self, "_config")
        if name in config:
            return config[name]
        close = difflib.get_close_matches(name, list(config), n=1, cutoff=0.7)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise AttributeError(f"Config: unknown attribute '{name}'.{hint}")

    def __getitem__(self, key):
        return self._config[key]

    def __setitem__(self, key, value):
        self._check_mutable()
        self._config[key] = value

    def __delitem__(self, key):
        self._check_mutable()
        del self._config[key]

    def __contains__(self, key):
        return key in self._config

    def __iter__(self):
        return iter(sorted(self._config))

    def __len__(self):
        return len(self._config)

    def __repr__(self):
        return f"<Config {self._config}>"


__all__ = ["Config"]
