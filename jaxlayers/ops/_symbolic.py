"""Ops called on ``jl.Input`` tensors record a graph node, as Keras's ops do.

``x = jl.Input((8,)); y = jl.ops.mean(x, axis=-1)`` builds a Functional graph
node instead of failing.  The symbolic tensor type and the recording live in
``jaxlayers.core`` (above ``ops``), which registers them here with
:func:`set_recorder` when it is imported.  Until then, and for every call on
arrays, a public op runs its function directly after a check of its top-level
arguments (and the items of list or tuple arguments).  The wrapper also checks the
arguments every op reads alike (``axis``, ``axes``, ``dtype``: ``ops._args.COMMON``), so
a bad one gets a named error before tracing, whichever op it reaches.
"""

import functools
import inspect

from jaxlayers.ops import _args

# (symbolic tensor class, record(op_path, args, kwargs)), set by jaxlayers.core.graph.
_RECORDER = []

# Ops that read a symbolic tensor's metadata or take functions: never recorded.
_NOT_RECORDED = frozenset({
    "shape", "dtype", "is_tensor", "convert_to_numpy", "custom_gradient", "cond", "scan",
    "associative_scan", "fori_loop", "while_loop", "switch", "map", "vectorized_map",
})


def set_recorder(symbolic_type, record):
    """Called by ``jaxlayers.core.graph``: how to recognise and record symbolic calls."""
    _RECORDER[:] = [(symbolic_type, record)]


def _has_symbolic(symbolic_type, args, kwargs):
    for value in (*args, *kwargs.values()):
        if type(value) is symbolic_type:
            return True
        if type(value) in (list, tuple) and any(type(v) is symbolic_type for v in value):
            return True
    return False


def _common_checks(fn):
    """``(position or None, name, check)`` for each of ``fn``'s arguments in ``_args.COMMON``."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return ()
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return tuple((i if p.kind in positional else None, p.name, _args.COMMON[p.name])
                 for i, p in enumerate(params) if p.name in _args.COMMON)


def _reads_axes_of_x(name, fn):
    """Whether ``fn``'s ``axis`` counts the axes of its first argument ``x``."""
    try:
        params = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return False
    return bool(params) and params[0] == "x" and "axis" in params and (
        name not in _args.AXIS_OF_RESULT)


def _dispatching(path, fn, checks, recorded=True):
    op_name = path.rpartition(".")[2]
    in_range = _reads_axes_of_x(op_name, fn)

    @functools.wraps(fn)
    def op(*args, **kwargs):
        # Python-level checks only: under jax.jit they run once per trace, never per step.
        for position, name, check in checks:
            if position is not None and position < len(args):
                value = args[position]
            elif name in kwargs:
                value = kwargs[name]
            else:
                continue
            check(op_name, name, value)
            if in_range and name == "axis" and value is not None:
                x = args[0] if args else kwargs.get("x")
                ndim = getattr(x, "ndim", None)
                if isinstance(ndim, int):
                    _args.axis_in_range(op_name, name, value, ndim)
        if recorded and _RECORDER:
            symbolic_type, record = _RECORDER[0]
            if _has_symbolic(symbolic_type, args, kwargs):
                return record(path, args, kwargs)
        return fn(*args, **kwargs)

    op.array_fn = fn
    return op


def publish(module, short_name):
    """Makes each public op of ``module`` record a node when given symbolic tensors.

    Args:
        module: A public ops module (``jaxlayers.ops.numpy``, ...); its ``__all__``
            functions are replaced in place.
        short_name: Its name under ``jaxlayers.ops`` (``"numpy"``), the prefix of the
            recorded op's name (``"numpy.mean"``), which saving resolves again.
    """
    for name in module.__all__:
        fn = getattr(module, name)
        if not callable(fn) or isinstance(fn, type) or hasattr(fn, "array_fn"):
            continue
        checks = _common_checks(fn)
        recorded = name not in _NOT_RECORDED
        if recorded or checks:
            setattr(module, name,
                    _dispatching(f"{short_name}.{name}", fn, checks, recorded=recorded))


def resolve(path, modules):
    """The array function of the op named ``path`` (``"numpy.mean"``), or ``None``.

    Only names in a public ops module's ``__all__`` resolve: a saved graph can name
    an op, never other code.
    """
    short_name, _, name = path.rpartition(".")
    module = modules.get(short_name)
    if module is None or name not in module.__all__ or name in _NOT_RECORDED:
        return None
    fn = getattr(module, name)
    return getattr(fn, "array_fn", fn)


__all__ = ["set_recorder", "publish", "resolve"]
