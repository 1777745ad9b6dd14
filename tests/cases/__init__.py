"""One registry of layer cases, one or more per public layer (Haiku's descriptors).

Each family file in this folder defines ``CASES = [LayerCase(...), ...]``; the
shared conformance tests in ``tests/test_conformance.py`` run over all of them.
"""

import dataclasses
import importlib
import pkgutil
from collections.abc import Callable
from typing import Any


@dataclasses.dataclass
class LayerCase:
    """How to build and call one layer for the shared checks.

    Attributes:
        cls: The layer class.
        kwargs: Constructor arguments.
        input_shapes: One shape per positional input (batch axis first).
        input_dtype: Dtype of generated inputs (``int32`` draws ints in ``[0, int_max)``).
        call_kwargs: Extra keyword arguments for the call (not ``training``).
        n_params: Expected number of trainable-declared weights (``None``: don't check).
        n_state: Expected number of non-trainable weights.
        batch_independent: Rows of the output depend only on the same input row,
            so ``vmap`` over single rows equals the batched call.
        random: Random in training mode (needs a key).
        grad: Check finite gradients w.r.t. params and float inputs.
        inputs_fn: ``rng -> list of inputs`` overriding generated ones.
        list_input: Pass the inputs as ONE list argument (merging layers).
        id: Test id; defaults to the class name.
    """

    cls: Any
    kwargs: dict = dataclasses.field(default_factory=dict)
    input_shapes: Any = ((2, 3),)
    input_dtype: str = "float32"
    int_max: int = 10
    call_kwargs: dict = dataclasses.field(default_factory=dict)
    n_params: int | None = None
    n_state: int | None = None
    batch_independent: bool = True
    random: bool = False
    grad: bool = True
    inputs_fn: Callable | None = None
    list_input: bool = False
    jit: bool = True
    id: str | None = None

    @property
    def name(self):
        return self.id or self.cls.__name__

    def make_inputs(self, rng):
        if self.inputs_fn is not None:
            return list(self.inputs_fn(rng))
        out = []
        for shape in self.input_shapes:
            if self.input_dtype.startswith("int"):
                out.append(rng.integers(0, self.int_max, size=shape).astype(self.input_dtype))
            else:
                out.append(rng.standard_normal(shape).astype(self.input_dtype))
        return out

    def call_args(self, inputs):
        return [list(inputs)] if self.list_input else list(inputs)


def fresh(cls, make_kwargs):
    """A constructor building new sublayers (cells, wrapped layers) for every instance.

    Arguments given to the constructor replace those from ``make_kwargs()``.
    """

    def build(**kwargs):
        return cls(**{**make_kwargs(), **kwargs})

    build.__name__ = cls.__name__
    return build


def all_cases():
    cases = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        cases.extend(getattr(module, "CASES", []))
    return cases


def case_ids(cases):
    """Test ids for cases: the case name, with ``-1``, ``-2`` ... on repeats."""
    seen, out = {}, []
    for c in cases:
        n = seen.get(c.name, 0)
        seen[c.name] = n + 1
        out.append(c.name if n == 0 else f"{c.name}-{n}")
    return out
