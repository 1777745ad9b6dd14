"""Where each weight of a layer tree lives in the params/state pytrees.

A root ``Layer`` keys its tree by its own name (``{"dense": {"kernel", "bias"}}``);
a root ``Model`` is a namespace and keys by its children's names
(``{"dense": ..., "dense_1": ...}``), so renaming a model never changes the
paths of its weights.  Below the root: a layer's own weights by weight name,
then each sublayer by layer name.  Shared layers and weights appear once, at
the first place they are met.
"""

import itertools

from jaxlayers.errors import ConfigError, WeightsError

PATH_PART_RULE = "no '/', '\\' or NUL, not '.' or '..', encodable as UTF-8"


def is_path_part(name):
    """Whether ``name`` can be one part of a weight path (a layer or weight name).

    Paths are the keys of params trees and of saved files (``dense/kernel``), so a
    part is a non-empty string without ``/`` (the separator), ``\\`` or NUL, is not
    ``.`` or ``..``, and encodes as UTF-8.  Layer constructors, ``add_weight`` and
    the file writer all use this one rule, so a name a layer accepts can be saved.

    Args:
        name: The candidate part, any object (only strings can pass).

    Example:
        >>> is_path_part("dense_1"), is_path_part(".."), is_path_part("a/b")
        (True, False, False)
    """
    if not isinstance(name, str) or name in ("", ".", "..") or any(
            c in name for c in "/\\\x00"):
        return False
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# Bumped whenever a layer gains a weight or a sublayer, so cached walks go stale.
_version = itertools.count()
_current_version = [next(_version)]


def bump():
    _current_version[0] = next(_version)


def version():
    return _current_version[0]


class Trackable:
    """Base of objects whose weights and sublayers are tracked (``Layer``).

    Attribute scanning recognizes sublayers by this base, so this module needs
    no import of the layer facade.

    Example:
        >>> isinstance(jl.layers.Dense(1), Trackable), isinstance(3, Trackable)
        (True, False)
    """

    __slots__ = ()


def flatten_layers(value, out=None):
    """Layers found in ``value``: a layer, or lists/tuples/dicts containing layers.

    Args:
        value: A layer, or lists/tuples/dicts containing layers.
        out: Optional list to append to.

    Example:
        >>> a, b = jl.layers.Dense(1, name='a'), jl.layers.Dense(1, name='b')
        >>> [layer.name for layer in flatten_layers({'x': [a, (b, 3)]})]
        ['a', 'b']
    """
    if out is None:
        out = []
    if isinstance(value, Trackable):
        out.append(value)
    elif isinstance(value, (list, tuple)):
        for item in value:
            flatten_layers(item, out)
    elif isinstance(value, dict):
        for item in value.values():
            flatten_layers(item, out)
    return out


def own_weights(layer):
    """The weights ``layer`` itself declared (``add_weight`` or assigned), sublayers' excluded.

    Args:
        layer: A layer.

    Example:
        >>> layer = jl.layers.Dense(2)
        >>> layer.build((None, 3))
        >>> [w.name for w in own_weights(layer)]
        ['kernel', 'bias']
    """
    return list(layer.__dict__.get("_own_vars", ()))


def weight_attributes(layer):
    """``{attribute name: Variable}`` for the weights assigned as attributes of ``layer``.

    Args:
        layer: A layer.

    Example:
        >>> layer = jl.layers.Dense(2)
        >>> layer.build((None, 3))
        >>> sorted(weight_attributes(layer))
        ['bias', 'kernel']
    """
    return dict(layer.__dict__.get("_weights_attr", {}))


def walk(root):
    """``(entries, layer_paths)``: ``[(path_tuple, variable)]`` and ``{id(layer): path}``.

    Entries are in Keras's weight order: a layer's trainable-declared weights,
    its other weights, then each sublayer's, depth first.  A namespace root
    (a model) keys its tree by its children's names, other roots by their own.

    Args:
        root: A layer or model.

    Returns:
        The weight entries and the path of every layer reached.

    Example:
        >>> layer = jl.layers.Dense(2, name="d")
        >>> layer.build((None, 3))
        >>> entries, paths = walk(layer)
        >>> [path for path, variable in entries], list(paths.values())
        ([('d', 'kernel'), ('d', 'bias')], ['d'])
    """
    entries, layer_paths = [], {}
    seen_vars, seen_layers = set(), set()
    prefix = () if root.is_namespace_root else (root.name,)

    def visit(layer, prefix):
        if id(layer) in seen_layers:
            return
        seen_layers.add(id(layer))
        layer_paths[id(layer)] = "/".join(prefix) or layer.name
        names = {}
        declared = layer.__dict__.get("_own_vars", ())
        own = [v for v in declared if v.collection == "params"] + [
            v for v in declared if v.collection != "params"
        ]
        for var in own:
            if var.name in names:
                raise ConfigError(
                    f"Layer '{layer.name}' has two weights named '{var.name}'. Weight names "
                    "must be unique within a layer: pass distinct name= to add_weight."
                )
            names[var.name] = "weight"
            if id(var) in seen_vars:
                continue
            seen_vars.add(id(var))
            entries.append((prefix + (var.name,), var))
        for child in layer.tracked_sublayers():
            if id(child) in seen_layers:
                continue
            if child.name in names:
                raise ConfigError(
                    f"Layer '{layer.name}' has two sublayers (or a sublayer and a weight) "
                    f"named '{child.name}'. Names must be unique within a layer: give the "
                    "sublayers distinct name= arguments."
                )
            names[child.name] = "layer"
            visit(child, prefix + (child.name,))

    visit(root, prefix)
    return entries, layer_paths


# Walks are cached on the layer and dropped when the version moves: every eager call
# and every apply reads them, and a fresh walk visits every attribute of every layer.
def _cached_walk(layer):
    cache = layer.__dict__.get("_entries_cache")
    if cache is None or cache[0] != version():
        entries, paths = walk(layer)
        cache = layer.__dict__["_entries_cache"] = (version(), entries, paths)
    return cache


def entries(layer):
    """``[(path_tuple, variable)]`` for every weight of ``layer``'s tree, in Keras's order.

    The paths are the keys of ``params``/``state`` trees and of saved files.

    Args:
        layer: A ``Layer`` instance.

    Example:
        >>> layer = jl.layers.Dense(2, name="d")
        >>> layer.build((None, 3))
        >>> [("/".join(path), var.collection) for path, var in entries(layer)]
        [('d/kernel', 'params'), ('d/bias', 'params')]
    """
    return _cached_walk(layer)[1]


# Attributes of a Layer that hold bookkeeping, never its sublayers or weights (a
# cache of the layer tree among them): attribute walks skip them.
INTERNAL_ATTRIBUTES = frozenset(("_parent", "_weights_attr", "_own_vars", "_auto_config",
                                 "_layers_cache"))


def layer_paths(layer):
    """``{id(sublayer): path}`` for every layer of ``layer``'s tree (keys fold by path).

    Args:
        layer: The root layer.

    Example:
        >>> model = jl.Sequential([jl.layers.Dense(2, name='a')], name='m')
        >>> sorted(layer_paths(model).values())
        ['a', 'm']
    """
    return _cached_walk(layer)[2]


def flatten(layer, include_self=True):
    """Every layer of ``layer``'s tree, depth first, each once.

    Args:
        layer: The root layer.
        include_self: Whether ``layer`` itself comes first.

    Example:
        >>> layers = [jl.layers.Dense(2, name='a'), jl.layers.Dense(1, name='b')]
        >>> model = jl.Sequential(layers, name='m')
        >>> [layer.name for layer in flatten(model)]
        ['m', 'a', 'b']
    """
    cache = layer.__dict__.get("_layers_cache")
    if cache is None or cache[0] != version():
        out, seen = [], set()

        def visit(node):
            if id(node) in seen:
                return
            seen.add(id(node))
            out.append(node)
            for child in node.tracked_sublayers():
                visit(child)

        visit(layer)
        cache = layer.__dict__["_layers_cache"] = (version(), out)
    return list(cache[1]) if include_self else cache[1][1:]


def all_built(layer):
    """Whether ``layer`` and every layer below it are built.

    Args:
        layer: The root layer.

    Example:
        >>> layer = jl.layers.Dense(2)
        >>> all_built(layer)
        False
        >>> layer.build((None, 3))
        >>> all_built(layer)
        True
    """
    return all(node.built for node in flatten(layer))


def get_path(tree, path, what, owner):
    node = tree
    for i, part in enumerate(path):
        if not isinstance(node, dict) or part not in node:
            have = sorted(node) if isinstance(node, dict) else type(node).__name__
            raise WeightsError(
                f"{owner}: {what} has no entry '{'/'.join(path)}' (missing '{part}' at "
                f"'{'/'.join(path[:i]) or '<root>'}', which has {have}). Pass the trees "
                "returned by this layer's init(), or layer.params / layer.state."
            )
        node = node[part]
    return node


def set_path(tree, path, value):
    node = tree
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value


def flat_paths(tree, prefix=()):
    """``{path_tuple: leaf}`` of a nested dict.

    Args:
        tree: A nested dict.
        prefix: Path tuple prepended to every key.

    Example:
        >>> flat_paths({'dense': {'kernel': 1, 'bias': 2}})
        {('dense', 'kernel'): 1, ('dense', 'bias'): 2}
    """
    out = {}
    if isinstance(tree, dict):
        for k, v in tree.items():
            out.update(flat_paths(v, prefix + (k,)))
    else:
        out[prefix] = tree
    return out


__all__ = [
    "INTERNAL_ATTRIBUTES", "PATH_PART_RULE", "Trackable", "all_built", "entries", "flat_paths",
    "flatten", "flatten_layers", "is_path_part", "layer_paths", "own_weights", "walk",
    "weight_attributes"
]
