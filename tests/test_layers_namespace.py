"""``jaxlayers.layers`` re-exports its names explicitly: what tools see is what users get."""

import ast
import importlib
import pathlib

import jaxlayers.layers

FAMILIES = ("core", "convolution", "pooling", "reshaping", "merging", "normalization",
            "regularization", "attention", "activation", "recurrent", "preprocessing",
            "interop", "spectral", "reversible_embedding", "wrapper", "serialization", "repeat")
BASES = {"Layer", "InputSpec"}


def _init_tree():
    return ast.parse(pathlib.Path(jaxlayers.layers.__file__).read_text())


def test_public_names_are_the_union_of_the_families():
    expected = set(BASES)
    for family in FAMILIES:
        module = importlib.import_module(f"jaxlayers.layers.{family}")
        expected |= set(module.__all__)
        for name in module.__all__:
            assert getattr(jaxlayers.layers, name) is getattr(module, name), name
    assert len(jaxlayers.layers.__all__) == len(set(jaxlayers.layers.__all__))
    assert set(jaxlayers.layers.__all__) == expected


def test_every_name_is_an_explicit_re_export():
    """``from module import Name as Name`` for each name; no star import, no globals() loop."""
    tree = _init_tree()
    reexported, declared = set(), None
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                assert alias.name != "*", f"star import from {node.module}"
                assert alias.asname == alias.name, f"{alias.name} is not re-exported as itself"
                reexported.add(alias.name)
        elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            declared = ast.literal_eval(node.value)
        elif not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            raise AssertionError(f"unexpected statement on line {node.lineno}")
    assert declared == list(jaxlayers.layers.__all__)
    assert reexported == set(declared)
    assert "globals" not in {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
