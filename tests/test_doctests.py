"""Every docstring example in jaxlayers runs as written, in a user's namespace.

Each example sees ``jax``, ``jnp``, ``np``, ``jl``, jaxlayers' public names
(``from jaxlayers import *``: ``layers``, ``losses``, ...) and its module's
public names (``__all__``): what a reader has after the usual imports; never
the module's private globals.
"""

import doctest
import importlib
import pkgutil

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
    """Also finds the examples of public ops, which jaxlayers.ops wraps (symbolic calls)."""

    def _from_module(self, module, obj):
        return super()._from_module(module, getattr(obj, "array_fn", obj))


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
