"""jl.tree against keras.tree: same results on the same structures, same error kinds."""

import collections

import numpy as np
import pytest

import jaxlayers as jl

Point = collections.namedtuple("Point", ["x", "y"])
OtherPoint = collections.namedtuple("Point", ["x", "y"])

STRUCTURES = [
    1,
    None,
    [],
    [1, 2, 3],
    (1, [2, (3, None)]),
    {"b": 1, "a": 2, "c": [3, 4]},
    {3: "x", 1: "y"},
    collections.OrderedDict([("b", 1), ("a", 2)]),
    collections.defaultdict(int, {"z": 1, "y": 2}),
    Point(1, [2, 3]),
    [{"k": None, "j": (5,)}, Point(x=None, y={"q": 6})],
    np.zeros(3),
]
IDS = [f"s{i}" for i in range(len(STRUCTURES))]


def test_every_keras_tree_name_exists(keras):
    names = {n for n in dir(keras.tree) if not n.startswith("_")}
    assert names == set(jl.tree.__all__)


def _same(a, b):
    """Equal values, containers of the same types (NumPy leaves compared by value)."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    else:
        assert a == b


@pytest.mark.parametrize("structure", STRUCTURES, ids=IDS)
def test_flatten_paths_and_nesting_match_keras(keras, structure):
    assert jl.tree.is_nested(structure) == keras.tree.is_nested(structure)
    _same(jl.tree.flatten(structure), keras.tree.flatten(structure))
    ours = jl.tree.flatten_with_path(structure)
    theirs = keras.tree.flatten_with_path(structure)
    assert [p for p, _ in ours] == [tuple(p) for p, _ in theirs]
    _same([v for _, v in ours], [v for _, v in theirs])
    leaves = list(range(len(keras.tree.flatten(structure))))
    _same(jl.tree.pack_sequence_as(structure, leaves),
          keras.tree.pack_sequence_as(structure, leaves))
    _same(jl.tree.lists_to_tuples(structure), keras.tree.lists_to_tuples(structure))


@pytest.mark.parametrize("structure", STRUCTURES, ids=IDS)
def test_map_structure_matches_keras(keras, structure):
    def fn(x):
        return ("seen", None if x is None else repr(x))

    _same(jl.tree.map_structure(fn, structure), keras.tree.map_structure(fn, structure))
    _same(jl.tree.map_structure(fn, structure, none_is_leaf=False),
          keras.tree.map_structure(fn, structure, none_is_leaf=False))
    _same(jl.tree.map_structure(lambda a, b: (a is None, b is None), structure, structure),
          keras.tree.map_structure(lambda a, b: (a is None, b is None), structure,
                                   structure))


def test_traverse_matches_keras(keras):
    structure = [1, (2, [3, None]), {"a": 4}]

    def top(x):
        return "cut" if isinstance(x, tuple) else None

    def bottom(x):
        return keras.tree.MAP_TO_NONE if x == 4 else None

    def ours_bottom(x):
        return jl.tree.MAP_TO_NONE if x == 4 else None

    _same(jl.tree.traverse(top, structure), keras.tree.traverse(top, structure))
    _same(jl.tree.traverse(ours_bottom, structure, top_down=False),
          keras.tree.traverse(bottom, structure, top_down=False))
    seen_ours, seen_keras = [], []
    jl.tree.traverse(lambda x: seen_ours.append(repr(x)), structure, top_down=False)
    keras.tree.traverse(lambda x: seen_keras.append(repr(x)), structure, top_down=False)
    assert seen_ours == seen_keras


def test_map_structure_up_to_and_shapes_match_keras(keras):
    shallow, deep = [0, {"a": 0}], [[1, 2], {"a": (3, 4, 5)}]
    _same(jl.tree.map_structure_up_to(shallow, len, deep),
          keras.tree.map_structure_up_to(shallow, len, deep))
    shapes = {"x": (2, None), "y": [(1, 4), [3]], "z": None}
    _same(jl.tree.map_shape_structure(repr, shapes),
          keras.tree.map_shape_structure(repr, shapes))


PAIRS = [
    ([(0, 1)], [(2, 3)]),
    ([0, 1], (0, 1)),
    (Point(0, 1), OtherPoint(0, 1)),
    ({"a": 1}, collections.OrderedDict(a=2)),
    ({"a": 1}, {"b": 1}),
    ([1, [2]], [1, 2]),
    ([None], [1]),
    (Point(0, 1), (0, 1)),
]


@pytest.mark.parametrize("a,b", PAIRS, ids=[f"p{i}" for i in range(len(PAIRS))])
def test_structure_and_path_assertions_agree_with_keras(keras, a, b):
    for name in ("assert_same_structure", "assert_same_paths"):
        try:
            getattr(keras.tree, name)(a, b)
            keras_ok = True
        except ValueError:
            keras_ok = False
        if keras_ok:
            getattr(jl.tree, name)(a, b)
        else:
            with pytest.raises(ValueError, match="don't have the same"):
                getattr(jl.tree, name)(a, b)


def test_mismatched_structures_raise_value_errors():
    with pytest.raises(ValueError, match="same nested structure"):
        jl.tree.map_structure(lambda a, b: a, [1, 2], (1, 2))
    with pytest.raises(ValueError, match="has 2 leaves but `flat_sequence` has 3"):
        jl.tree.pack_sequence_as([0, 0], [1, 2, 3])
    with pytest.raises(TypeError, match="at least one structure"):
        jl.tree.map_structure(len)
