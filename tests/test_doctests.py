"""Every docstring example in jaxlayers runs as written, in a user's namespace.

Each example sees ``jax``, ``jnp``, ``np``, ``jl``, jaxlayers' public names
(``from jaxlayers import *``: ``layers``, ``losses``, ...) and its module's
public names (``__all__``): what a reader has after the usual imports; never
the module's private globals.
"""

import doctest
import importlib
import inspect
import pkgutil
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl

MODULES = sorted(m.name for m in pkgutil.walk_packages(jl.__path__, "jaxlayers."))
_USER = {**{k: getattr(jl, k) for k in jl.__all__},
         "jax": jax, "jnp": jnp, "np": np, "jl": jl}
_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


class _Finder(doctest.DocTestFinder):
    """Also finds the examples of public ops, which jaxlayers.ops wraps (symbolic calls).

    A function made by a factory (``resnet_application``, ``preprocessor``)
    names as its module the factory's, whose namespace does not hold it: its
    examples run in the modules that publish it (``__all__``) under its name.
    """

    def _from_module(self, module, obj):
        obj = getattr(obj, "array_fn", obj)
        return super()._from_module(module, obj) or _published_elsewhere(module, obj)


def _published_elsewhere(module, obj):
    home = sys.modules.get(getattr(obj, "__module__", None) or "")
    return (inspect.isfunction(obj) and home is not None and home.__name__.startswith("jaxlayers")
            and getattr(home, obj.__name__, None) is not obj
            and obj.__name__ in getattr(module, "__all__", ()))


def _run(name):
    module = importlib.import_module(name)
    public = {k: getattr(module, k) for k in getattr(module, "__all__", ())
              if hasattr(module, k)}
    runner = doctest.DocTestRunner(optionflags=_FLAGS)
    report = []
    for test in _Finder().find(module, name, globs={}):
        if test.examples:
            # Each docstring reads like a fresh session: automatic layer names
            # (``dense``, ``dense_1``) must not depend on what ran before it.
            jl.clear_session(free_memory=False)  # names only: a full gc per docstring is slow
            test.globs = {**public, **_USER}
            runner.run(test, out=report.append)
    return runner.summarize(verbose=False), "".join(report)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that save files write them here
    (failed, attempted), report = _run(name)
    assert failed == 0, report


def test_the_examples_cover_the_public_modules():
    losses = [m for m in MODULES if m.startswith("jaxlayers.training.losses")]
    attempted = sum(_run(name)[0].attempted for name in
                    ("jaxlayers.layers.core", *losses, "jaxlayers.distribution.layout"))
    assert attempted > 30


_UNNAMED = {inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD}


def _public_objects():
    """Each public class and function once, with the first public module listing it."""
    seen = {}
    for name in MODULES:
        if any(part.startswith("_") for part in name.split(".")):
            continue
        module = importlib.import_module(name)
        for attr in getattr(module, "__all__", ()):
            obj = getattr(module, attr, None)
            obj = getattr(obj, "array_fn", obj)  # a public op's docstring is its array function's
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            if not (getattr(obj, "__module__", None) or "").startswith("jaxlayers"):
                continue
            seen.setdefault(id(obj), (f"{name}.{attr}", obj))
    return list(seen.values())


def _named_args(obj):
    try:
        params = inspect.signature(obj).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.kind not in _UNNAMED and p.name not in ("self", "cls") for p in params)


def _init_documented_by_base(cls):
    """Whether ``cls`` inherits its constructor from a class whose docstring has ``Args:``.

    Per-rank variants (``Conv1D``/``Conv2D``/``Conv3D``) take their base's
    arguments, documented once there.
    """
    owner = next((c for c in cls.__mro__ if "__init__" in c.__dict__), None)
    return owner not in (None, cls) and "Args:" in (owner.__dict__.get("__doc__") or "")


def _docstring_gaps(obj):
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else obj.__doc__
    if not doc:
        return ["a docstring"]
    gaps = []
    inherited = inspect.isclass(obj) and _init_documented_by_base(obj)
    if _named_args(obj) and "Args:" not in doc and not inherited:
        gaps.append("an `Args:` section")
    if ">>>" not in doc:
        gaps.append("a `>>>` example")
    return gaps


def test_every_public_class_and_function_has_a_documented_example():
    missing = [f"{qualname} lacks {', '.join(gaps)}" for qualname, obj in _public_objects()
               if (gaps := _docstring_gaps(obj))]
    assert not missing, f"{len(missing)} public objects:\n" + "\n".join(missing)


def test_each_numpy_op_is_named_as_published():
    # help() and the docstring examples show __name__: a factory-made op must not
    # carry the name of the jnp function it wraps (bitwise_invert is jnp.invert).
    ops = jl.ops.numpy
    fns = {name: getattr(ops, name) for name in ops.__all__}
    fns = {name: getattr(fn, "array_fn", fn) for name, fn in fns.items()}
    wrong = {name: fn.__name__ for name, fn in fns.items()
             if inspect.isfunction(fn) and fn.__name__ != name}
    assert not wrong
