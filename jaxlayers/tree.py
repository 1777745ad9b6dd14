"""Keras 3's ``keras.tree``: nested-structure utilities over ``jax.tree_util``.

Keras's rules, which differ from JAX's defaults:

* ``None`` is a leaf (JAX treats it as an empty node), except in
  ``map_structure(..., none_is_leaf=False)``, which returns it untouched;
* dict values come in sorted key order (``OrderedDict`` keeps its own order),
  as in JAX, while a dict built back (``map_structure``, ``pack_sequence_as``)
  keeps the key order of the dict it mirrors;
* paths are tuples of dict keys and sequence indices (a namedtuple field is
  its index).

Example:
    >>> flatten({"b": 1, "a": [2, None]})
    [2, None, 1]
    >>> map_structure(lambda x: x * 10, {"a": (1, 2)})
    {'a': (10, 20)}
"""

import collections

from jax import tree_util

from jaxlayers.errors import ConfigError, ConfigTypeError


def _none_leaf(x):
    # A layer's Variable is a JAX pytree node (so jit accepts it) but, as in
    # Keras, one value here: anything that converts itself to an array is a leaf.
    return x is None or hasattr(type(x), "__jax_array__")


class MAP_TO_NONE:
    """Returned by ``traverse``'s ``func``: puts ``None`` in place of that subtree.

    Example:
        >>> drop_lists = lambda x: MAP_TO_NONE if isinstance(x, list) else None
        >>> traverse(drop_lists, {"a": [1, 2], "b": 3})
        {'a': None, 'b': 3}
    """


def _flatten(structure):
    return tree_util.tree_flatten(structure, is_leaf=_none_leaf)


def _is_leaf_def(treedef):
    # An empty container is one node with no leaves: nested, as in Keras.
    return treedef.num_nodes == 1 and treedef.num_leaves == 1


def is_nested(structure):
    """Whether ``structure`` is a sequence, mapping or namedtuple (not a leaf).

    Args:
        structure: A nested structure (lists, tuples, dicts, namedtuples) of leaves.

    Example:
        >>> is_nested(1), is_nested([]), is_nested(None)
        (False, True, False)
    """
    return not _is_leaf_def(_flatten(structure)[1])


def _key_order_like(template, built):
    """``built`` (a dict JAX rebuilt in sorted key order) in ``template``'s key order."""
    if (isinstance(template, dict) and type(built) in (dict, collections.defaultdict)
            and list(built) != list(template) and set(built) == set(template)):
        items = [(k, built[k]) for k in template]
        if isinstance(built, collections.defaultdict):
            return collections.defaultdict(built.default_factory, items)
        return dict(items)
    return built


def _ordered_like(template, built):
    """:func:`_key_order_like` at every level where ``built`` mirrors ``template``."""
    if isinstance(template, dict) and isinstance(built, dict):
        built = _key_order_like(template, built)
        for k in built:
            if k in template:
                built[k] = _ordered_like(template[k], built[k])
        return built
    if (isinstance(template, (list, tuple)) and type(built) is type(template)
            and len(built) == len(template)):
        items = [_ordered_like(t, b) for t, b in zip(template, built)]
        if isinstance(built, list):
            return items
        return type(built)(*items) if hasattr(built, "_fields") else type(built)(items)
    return built


def flatten(structure):
    """The leaves of ``structure`` in order (dict values by sorted key), ``None`` included.

    Args:
        structure: A nested structure (lists, tuples, dicts, namedtuples) of leaves.

    Example:
        >>> flatten([[1, 2], {"y": 3, "x": 4}])
        [1, 2, 4, 3]
    """
    return _flatten(structure)[0]


def _path_entry(node, entry):
    """``(key, child)``: the Keras path key of one JAX key-path entry, and the child."""
    if isinstance(entry, tree_util.SequenceKey):
        return entry.idx, node[entry.idx]
    if isinstance(entry, tree_util.DictKey):
        return entry.key, node[entry.key]
    if isinstance(entry, tree_util.GetAttrKey):
        fields = getattr(type(node), "_fields", None)
        if fields is not None:
            return fields.index(entry.name), getattr(node, entry.name)
        return entry.name, getattr(node, entry.name)
    if isinstance(entry, tree_util.FlattenedIndexKey):
        return entry.key, tree_util.tree_flatten(node, is_leaf=lambda x: x is not node)[0][
            entry.key]
    return entry, None


def _keras_path(structure, jax_path):
    keys, node = [], structure
    for entry in jax_path:
        key, node = _path_entry(node, entry)
        keys.append(key)
    return tuple(keys)


def flatten_with_path(structure):
    """``[(path, leaf), ...]``; a path is a tuple of dict keys and sequence indices.

    Args:
        structure: A nested structure (lists, tuples, dicts, namedtuples) of leaves.

    Example:
        >>> flatten_with_path({"a": [5, 6]})
        [(('a', 0), 5), (('a', 1), 6)]
    """
    pairs, _ = tree_util.tree_flatten_with_path(structure, is_leaf=_none_leaf)
    return [(_keras_path(structure, path), leaf) for path, leaf in pairs]


def _same_structure_error(a, b):
    return ConfigError(
        "The two structures don't have the same nested structure. Received: "
        f"a={a!r}, b={b!r}."
    )


def map_structure(func, *structures, none_is_leaf=True):
    """``func`` applied leaf-wise to one or more structures of the same shape.

    Args:
        func: Callable taking one leaf of each structure.
        *structures: Structures nested the same way.
        none_is_leaf: ``False`` keeps ``None`` leaves as ``None`` without calling ``func``.

    Example:
        >>> map_structure(lambda a, b: a + b, [1, (2,)], [10, (20,)])
        [11, (22,)]
    """
    if not structures:
        raise ConfigTypeError("map_structure: pass at least one structure. Received: none.")
    if not callable(func):
        raise ConfigTypeError(f"map_structure: `func` must be callable. Received: func={func!r}.")
    first, rest = structures[0], structures[1:]
    is_leaf = _none_leaf if none_is_leaf else None
    treedef = tree_util.tree_structure(first, is_leaf=is_leaf)
    for other in rest:
        if tree_util.tree_structure(other, is_leaf=is_leaf) != treedef:
            raise _same_structure_error(first, other)
    return _ordered_like(first, tree_util.tree_map(func, *structures, is_leaf=is_leaf))


def map_structure_up_to(shallow_structure, func, *structures):
    """``func`` applied to the subtrees of ``structures`` at the leaves of ``shallow_structure``.

    Args:
        shallow_structure: Structure that bounds how deep ``func`` goes.
        func: Function of one leaf (subtree) per structure.
        *structures: Structures with ``shallow_structure``'s top levels.

    Example:
        >>> map_structure_up_to([None, None], len, [[1, 2], [3]])
        [2, 1]
    """
    if not structures:
        raise ConfigTypeError(
            "map_structure_up_to: pass at least one structure. Received: none.")
    try:
        out = tree_util.tree_map(lambda _, *subtrees: func(*subtrees), shallow_structure,
                                 *structures, is_leaf=_none_leaf)
    except ValueError as e:
        raise _same_structure_error(shallow_structure, structures[0]) from e
    return _ordered_like(shallow_structure, out)


def assert_same_structure(a, b, check_types=None):
    """Raises ``ValueError`` unless ``a`` and ``b`` are nested the same way.

    Dicts of any kind match when their keys match; lists, tuples and
    namedtuples never match each other.  ``check_types`` is accepted for
    Keras's signature and has no effect, as in Keras.

    Args:
        a: A nested structure.
        b: Another nested structure.
        check_types: Ignored (kept for Keras's signature).

    Example:
        >>> assert_same_structure({"a": [1]}, {"a": [2]})
    """
    del check_types
    if _normalized_structure(a) != _normalized_structure(b):
        raise _same_structure_error(a, b)


def _normalized_structure(structure):
    """The tree structure, with every kind of dict the same node (keys still compared)."""
    def as_dict(x):
        return dict(x) if isinstance(x, dict) and type(x) is not dict else x

    return tree_util.tree_structure(
        _rebuild(structure, as_dict), is_leaf=_none_leaf)


def _rebuild(structure, fn):
    """``structure`` with ``fn`` applied to every node, children first replaced."""
    node = fn(structure)
    if isinstance(node, dict):
        return {k: _rebuild(v, fn) for k, v in node.items()}
    if isinstance(node, (list, tuple)) and not hasattr(node, "_fields"):
        return type(node)(_rebuild(v, fn) for v in node)
    return node


def assert_same_paths(a, b):
    """Raises ``ValueError`` unless ``a`` and ``b`` have the same set of leaf paths.

    Looser than :func:`assert_same_structure`: lists, tuples and namedtuples
    with the same indices match.

    Args:
        a: A nested structure.
        b: Another nested structure.

    Example:
        >>> assert_same_paths([1, (2, 3)], (4, [5, 6]))
    """
    a_paths = {path for path, _ in flatten_with_path(a)}
    b_paths = {path for path, _ in flatten_with_path(b)}
    if a_paths != b_paths:
        raise ConfigError(
            "`a` and `b` don't have the same paths. Paths in `a` missing in `b`: "
            f"{sorted(a_paths - b_paths, key=repr)}. Paths in `b` missing in `a`: "
            f"{sorted(b_paths - a_paths, key=repr)}."
        )


def pack_sequence_as(structure, flat_sequence):
    """The leaves of ``flat_sequence`` put in the nesting of ``structure``.

    Args:
        structure: The template nested structure.
        flat_sequence: The leaves, in ``flatten(structure)`` order.

    Example:
        >>> pack_sequence_as({"b": 0, "a": [0, 0]}, [1, 2, 3])
        {'b': 3, 'a': [1, 2]}
    """
    treedef = _flatten(structure)[1]
    flat_sequence = list(flat_sequence)
    if len(flat_sequence) != treedef.num_leaves:
        raise ConfigError(
            f"pack_sequence_as: `structure` has {treedef.num_leaves} leaves but "
            f"`flat_sequence` has {len(flat_sequence)} elements. Received: "
            f"structure={structure!r}, flat_sequence={flat_sequence!r}."
        )
    return _ordered_like(structure, tree_util.tree_unflatten(treedef, flat_sequence))


def _children(structure):
    """``(children, treedef)`` of one level of ``structure``."""
    return tree_util.tree_flatten(structure,
                                  is_leaf=lambda x: x is not structure or x is None)


def traverse(func, structure, top_down=True):
    """Applies ``func`` to every subtree, depth first.

    Top down, a non-``None`` result of ``func`` replaces the subtree and its
    children are not visited; bottom up, ``func`` sees the already traversed
    subtree.  A result of ``MAP_TO_NONE`` puts ``None`` in its place.

    Args:
        func: Function of each subtree; a non-``None`` result replaces it.
        structure: A nested structure.
        top_down: Whether parents are visited before their children.

    Example:
        >>> traverse(lambda x: x + 1 if isinstance(x, int) else None, [1, (2,)])
        [2, (3,)]
    """
    def visit_children(node):
        children, treedef = _children(node)
        if _is_leaf_def(treedef):
            return node
        return _key_order_like(node, tree_util.tree_unflatten(treedef,
                                                              [visit(c) for c in children]))

    def visit(node):
        if top_down:
            result = func(node)
            if result is None:
                return visit_children(node)
        else:
            node = visit_children(node)
            result = func(node)
            if result is None:
                return node
        return None if result is MAP_TO_NONE else result

    return visit(structure)


def lists_to_tuples(structure):
    """``structure`` with every list, however deep, turned into a tuple.

    Args:
        structure: A nested structure (lists, tuples, dicts, namedtuples) of leaves.

    Example:
        >>> lists_to_tuples([1, {"a": [2]}])
        (1, {'a': (2,)})
    """
    return traverse(lambda x: tuple(x) if isinstance(x, list) else None, structure,
                    top_down=False)


def _is_shape(x):
    return x is None or (isinstance(x, (list, tuple))
                         and all(isinstance(d, int) or d is None for d in x))


def map_shape_structure(func, structure):
    """``func`` applied to every shape (a tuple or list of ints and ``None``) in ``structure``.

    Args:
        func: Function applied to each shape tuple.
        structure: A nested structure whose leaves are shape tuples.

    Example:
        >>> map_shape_structure(lambda s: s[-1], {"x": (2, 3), "y": [(1, 4)]})
        {'x': 3, 'y': [4]}
    """
    return _ordered_like(structure, tree_util.tree_map(func, structure, is_leaf=_is_shape))


__all__ = ["MAP_TO_NONE", "assert_same_paths", "assert_same_structure", "flatten",
           "flatten_with_path", "is_nested", "lists_to_tuples", "map_shape_structure",
           "map_structure", "map_structure_up_to", "pack_sequence_as", "traverse"]
