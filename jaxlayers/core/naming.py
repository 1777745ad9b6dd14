"""Names derived from class names (``Conv2DTranspose`` -> ``conv2d_transpose``) and
the lookup of a path in a map keyed by paths or regexes (policy and optimizer maps)."""

import re

from jaxlayers.errors import ConfigError


def to_snake_case(name):
    """The snake_case form of a class name, as Keras derives default layer names.

    Args:
        name: A CamelCase (or already snake_case) string.

    Example:
        >>> to_snake_case("Conv2DTranspose"), to_snake_case("LSTMCell")
        ('conv2d_transpose', 'lstm_cell')
    """
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def check_pattern(owner, key):
    """``key`` if it compiles as a regular expression, else a ``ConfigError`` naming it.

    Maps keyed by regexes check each key when it is set, not at the first
    lookup of some path.

    Args:
        owner: Who asks, for the error (``"DTypePolicyMap"``).
        key: The key, a path or a regex.

    Example:
        >>> check_pattern("m", "enc/.*")
        'enc/.*'
    """
    try:
        re.compile(key)
    except re.error as exc:
        raise ConfigError(
            f"{owner}: key {key!r} is not a valid regular expression ({exc})."
        ) from None
    return key


def matching_key(owner, keys, path):
    """The key of ``keys`` that applies to ``path``: itself, else the one regex ``fullmatch``.

    Args:
        owner: Who asks, for the error (``"DTypePolicyMap"``).
        keys: The map's keys, paths or regexes.
        path: A layer or weight path such as ``"encoder/dense"``.

    Returns:
        The key, or ``None`` when none applies.

    Raises:
        ConfigError: ``path`` fullmatches several keys.

    Example:
        >>> matching_key("m", ["enc/.*", "head"], "enc/dense")
        'enc/.*'
    """
    keys = list(keys)
    if path in keys:
        return path
    matches = [key for key in keys if re.fullmatch(key, path)]
    if len(matches) > 1:
        raise ConfigError(
            f"{owner}: the path {path!r} matches several keys {matches}; each path may "
            "match one key at most. Make the patterns exclusive."
        )
    return matches[0] if matches else None


__all__ = ["check_pattern", "matching_key", "to_snake_case"]
