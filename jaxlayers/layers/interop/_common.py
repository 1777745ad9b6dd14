"""Helpers shared by the interop wrappers: weight names, tree specs, optional imports.

Nothing here is public.  The wrappers keep foreign parameters as ordinary
jaxlayers weights, so they need (1) a safe, stable weight name for each leaf of
a foreign pytree or state dict, (2) a JSON description of a pytree's structure
so ``from_config`` can rebuild the same weights before a saved file fills
them, and (3) a way to find the non-serializable object (a function, a torch
module, a Flax module) that the caller re-supplies at load time.
"""

import importlib
import re

import jax
import jax.numpy as jnp
import numpy as np

from jaxlayers.core import serialization
from jaxlayers.errors import ConfigTypeError, SerializationError

_WEIGHT_LEAF_TYPES = (jax.Array, np.ndarray, np.generic, jax.ShapeDtypeStruct, bool, int,
                      float, complex)


def require(package, layer_name, extra=None):
    """Imports ``package`` or raises an ImportError naming the pip command."""
    try:
        return importlib.import_module(package)
    except ImportError as e:
        raise ImportError(
            f"{layer_name} needs {package.split('.')[0]}: pip install {extra or package}"
        ) from e


def is_weight_leaf(x):
    """Whether a pytree leaf becomes a weight (arrays and Python numbers do)."""
    return isinstance(x, _WEIGHT_LEAF_TYPES)


def path_parts(path):
    """The string parts of a ``jax.tree_util`` key path."""
    parts = []
    for entry in path:
        for attr in ("key", "idx", "name"):
            if hasattr(entry, attr):
                parts.append(str(getattr(entry, attr)))
                break
        else:
            parts.append(str(entry))
    return parts


def safe_name(parts, taken):
    """``'params/0/w'``-like parts as a unique weight name ``params_0_w`` (no '/')."""
    base = "_".join(re.sub(r"[^0-9A-Za-z_]", "_", p) for p in parts if p != "") or "weight"
    name, i = base, 1
    while name in taken:
        name, i = f"{base}_{i}", i + 1
    taken.add(name)
    return name


def leaf_dtype(value, policy_dtype):
    """Keras's rule: float leaves take the layer's variable dtype, others keep theirs."""
    dtype = value.dtype if hasattr(value, "dtype") else np.result_type(value)
    dtype = jnp.dtype(jax.dtypes.canonicalize_dtype(dtype))
    return jnp.dtype(policy_dtype) if jnp.issubdtype(dtype, jnp.floating) else dtype


# --- JSON description of a pytree's structure -----------------------------------------
def tree_spec(tree):
    """A JSON-friendly description of ``tree`` (dicts, lists, tuples, array leaves).

    Returns ``None`` when the tree holds node types that JSON cannot name (named
    tuples, custom pytree classes); the caller must then re-supply the tree.
    """

    def spec(node):
        if node is None:
            return {"none": True}
        if isinstance(node, dict):
            if not all(isinstance(k, str) for k in node):
                raise TypeError
            return {"dict": {k: spec(v) for k, v in node.items()}}
        if type(node) in (list, tuple):
            return {type(node).__name__: [spec(v) for v in node]}
        if is_weight_leaf(node):
            dtype = node.dtype if hasattr(node, "dtype") else np.result_type(node)
            return {"shape": list(np.shape(node)), "dtype": jnp.dtype(dtype).name}
        if isinstance(node, str):
            return {"str": node}
        raise TypeError

    if tree is None:
        return None
    try:
        return spec(tree)
    except TypeError:
        return None


def tree_from_spec(spec):
    """Zero-filled arrays in the structure described by :func:`tree_spec`."""
    if spec is None:
        return None
    if not isinstance(spec, dict) or len(spec) not in (1, 2):
        raise SerializationError(f"Unreadable pytree description {spec!r} in a layer config.")
    if "none" in spec:
        return None
    if "dict" in spec:
        return {k: tree_from_spec(v) for k, v in spec["dict"].items()}
    if "list" in spec:
        return [tree_from_spec(v) for v in spec["list"]]
    if "tuple" in spec:
        return tuple(tree_from_spec(v) for v in spec["tuple"])
    if "str" in spec:
        return spec["str"]
    if "shape" in spec:
        return np.zeros(tuple(spec["shape"]), np.dtype(spec["dtype"]))
    raise SerializationError(f"Unreadable pytree description {spec!r} in a layer config.")


# --- functions and objects re-supplied at load ------------------------------------------
def serialize_callable(fn):
    """A config record naming ``fn``: never its code, only a name to look up at load."""
    if fn is None:
        return None
    registered = serialization.get_registered_name(fn)
    if serialization.get_registered_object(registered) is fn:
        return {"class_name": "function", "config": {"registered_name": registered}}
    name = getattr(fn, "__name__", None) or type(fn).__name__
    return {"class_name": "function", "config": {"name": name}}


def resolve_callable(record, owner, arg, override=None):
    """The function named by a :func:`serialize_callable` record.

    Looked up, in order: the ``override`` passed to ``from_config``, the
    registry (``jl.saving.register_serializable``), then ``custom_objects``
    (``load_model(..., custom_objects=...)`` or ``custom_object_scope``).
    """
    if override is not None:
        return override
    if record is None:
        return None
    if callable(record):
        return record
    inner = record.get("config", {}) if isinstance(record, dict) else {}
    name = inner.get("registered_name") or inner.get("name")
    fn = serialization.get_registered_object(name) if name else None
    if fn is None:
        raise SerializationError(
            f"{owner}: cannot find `{arg}` {name!r}. Functions are never rebuilt from a "
            f"file: pass it again, e.g. custom_objects={{{name!r}: {name or 'fn'}}} "
            f"(load_model or jl.saving.custom_object_scope), {arg}={name or 'fn'} to "
            f"from_config, or register it with jl.saving.register_serializable."
        )
    return fn


def resolve_object(names, owner, arg, override=None, hint=""):
    """An object re-supplied at load: ``override``, else ``custom_objects[name]``."""
    if override is not None:
        return override
    for name in names:
        if name:
            obj = serialization.get_registered_object(name)
            if obj is not None:
                return obj
    shown = next((n for n in names if n), arg)
    raise SerializationError(
        f"{owner}: the wrapped `{arg}` is not stored in the config and must be passed "
        f"again at load: from_config(config, {arg}=...) or custom_objects={{{shown!r}: ...}} "
        f"(load_model or jl.saving.custom_object_scope).{hint}"
    )


def check_callable(fn, owner, arg, allow_none=False):
    if fn is None and allow_none:
        return
    if not callable(fn):
        raise ConfigTypeError(
            f"{owner}: `{arg}` must be a callable. Received: {arg}={fn!r} "
            f"(type {type(fn).__name__})."
        )


def check_outputs(outputs, owner, what):
    """Raises unless every leaf of ``outputs`` is an array (traced values included)."""
    for leaf in jax.tree_util.tree_leaves(outputs):
        if not isinstance(leaf, (jax.Array, np.ndarray, np.generic)):
            raise ConfigTypeError(
                f"{owner}: {what} must return a JAX array or a pytree of arrays. "
                f"Received: a leaf of type {type(leaf).__name__} ({leaf!r:.60})."
            )


__all__ = []
