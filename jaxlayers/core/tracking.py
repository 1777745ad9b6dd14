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


def flatten_layers(value, out=None):
    """Layers found in ``value``: a layer, or lists/tuples/dicts containing layers."""
    from jaxlayers.core.layer import Layer

    if out is None:
        out = []
    if isinstance(value, Layer):
        out.append(value)
    elif isinstance(value, (list, tuple)):
        for item in value:
            flatten_layers(item, out)
    elif isinstance(value, dict):
        for item in value.values():
            flatten_layers(item, out)
    return out


def walk(root):
    """``(entries, layer_paths)``: ``[(path_tuple, variable)]`` and ``{id(layer): path}``.

    Entries are in Keras's weight order: a layer's trainable-declared weights,
    its other weights, then each sublayer's, depth first.
    """
    entries, layer_paths = [], {}
    seen_vars, seen_layers = set(), set()
    prefix = () if getattr(root, "_is_namespace_root", False) else (root.name,)

    def visit(layer, prefix):
        if id(layer) in seen_layers:
            return
        seen_layers.add(id(layer))
        layer_paths[id(layer)] = "/".join(prefix) or layer.name
        names = {}
        own = [v for v in layer._own_vars if v._in_params] + [
            v for v in layer._own_vars if not v._in_params
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
        for child in layer._sublayers():
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
    """``{path_tuple: leaf}`` of a nested dict."""
    out = {}
    if isinstance(tree, dict):
        for k, v in tree.items():
            out.update(flat_paths(v, prefix + (k,)))
    else:
        out[prefix] = tree
    return out


__all__ = [
    "PATH_PART_RULE", "bump", "flat_paths", "flatten_layers", "get_path", "is_path_part",
    "set_path", "version", "walk",
]
