"""One call of a layer under a scope: inputs converted and checked, build, ``call``, mask.

Every path into ``call`` goes through :func:`invoke`: ``apply``, the eager
facade, the structure pass that builds a layer from shapes, and a parent
layer calling its sublayers.  So the training flag, masks, activity
regularization and the checks of the inputs work the same everywhere.
"""

import inspect
import re

import jax
import jax.numpy as jnp
import numpy as np

from jaxlayers.core import config as config_lib
from jaxlayers.core import remat, variables
from jaxlayers.core import scope as scope_lib
from jaxlayers.core.input_spec import assert_input_compatibility
from jaxlayers.errors import DTypeError, StateError

_ASSIGN_ON_ARRAY = re.compile(r"(Tracer|ArrayImpl|Array).*attribute '?assign(_add|_sub)?'?")


def shape_of(x):
    """The shape of ``x``, or a structure of shapes for lists/tuples/dicts of arrays.

    Args:
        x: An array, or a list/tuple of arrays.

    Example:
        >>> shape_of([np.zeros((2, 3)), np.zeros(4)])
        [(2, 3), (4,)]
    """
    if x is None:
        return None
    if isinstance(x, (list, tuple)):
        return type(x)(shape_of(v) for v in x) if not hasattr(x, "shape") else tuple(x.shape)
    if isinstance(x, dict):
        return {k: shape_of(v) for k, v in x.items()}
    shape = getattr(x, "shape", None)
    if shape is None:
        return tuple(np.shape(x))
    return tuple(shape)


def build_args(layer, args, kwargs):
    """``(positional, keyword)`` arguments of ``layer.build`` for a call on these inputs.

    A ``build(input_shape)`` gets the shape (or structure of shapes) of the first
    input; a ``build`` with several ``*_shape`` parameters gets each call argument's
    shape by name (``build(query_shape, value_shape)`` for ``call(query, value)``).

    Args:
        layer: The layer about to be built.
        args: The call's positional inputs.
        kwargs: The call's keyword inputs.

    Returns:
        ``(list, dict)`` to pass as ``layer.build(*list, **dict)``.

    Example:
        >>> build_args(jl.layers.Dense(2), (np.zeros((4, 3)),), {})
        ([(4, 3)], {})
    """
    build_params = [
        p for p in inspect.signature(layer.build).parameters.values()
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    if len(build_params) <= 1 or build_params[0].name == "input_shape":
        first = args[0] if args else next(iter(kwargs.values()), None)
        return [shape_of(first)], {}
    try:
        bound = inspect.signature(layer.call).bind_partial(*args, **kwargs).arguments
    except TypeError:
        bound = {}
    shapes = {}
    for p in build_params:
        arg = p.name[: -len("_shape")] if p.name.endswith("_shape") else p.name
        if arg in bound:
            shapes[p.name] = shape_of(bound[arg])
    return [], shapes


def _call_flags(layer):
    """Which of ``training``/``mask``/``**kwargs`` the layer's ``call`` takes (cached per class)."""
    cls = type(layer)
    cache = cls.__dict__.get("_jl_call_params")
    if cache is None:
        params = inspect.signature(cls.call).parameters
        cache = {
            "training": "training" in params,
            "mask": "mask" in params,
            "var_kw": any(p.kind == p.VAR_KEYWORD for p in params.values()),
        }
        type.__setattr__(cls, "_jl_call_params", cache)
    return cache


def _convert_input(layer, x):
    if isinstance(x, (np.ndarray, np.generic)):
        if x.dtype.kind in "OUS":
            return x
        if layer.autocast and x.dtype.kind == "f":
            # Cast on the host: one transfer, and no conversion program to compile
            # per new input shape (see to_device_array).
            return variables.to_device_array(x, layer.compute_dtype)
        x = variables.to_device_array(x)
    if isinstance(x, jax.Array) and layer.autocast and jnp.issubdtype(x.dtype, jnp.floating):
        compute = jnp.dtype(layer.compute_dtype)
        if x.dtype != compute:
            x = x.astype(compute)
    return x


def convert_inputs(layer, args):
    """NumPy inputs as ``jax.Array``s, floats cast to the compute dtype (autocast).

    String and object arrays stay NumPy (text preprocessing layers take them);
    ``None`` leaves stay ``None``.

    Args:
        layer: The layer whose ``autocast`` and ``compute_dtype`` apply.
        args: A structure of inputs.

    Returns:
        The same structure with converted leaves.

    Example:
        >>> layer = jl.layers.Dense(2, dtype="bfloat16")
        >>> convert_inputs(layer, (np.zeros((1, 3)),))[0].dtype
        dtype(bfloat16)
    """
    return jax.tree_util.tree_map(lambda x: _convert_input(layer, x), args,
                                  is_leaf=lambda x: x is None)


def _refuse_complex(layer, inputs):
    """A ``DTypeError`` if any input leaf of ``layer`` has a complex dtype."""
    for leaf in jax.tree_util.tree_leaves(inputs):
        dtype = getattr(leaf, "dtype", None)
        if dtype is not None and np.dtype(dtype).kind == "c":
            raise DTypeError(
                f"{type(layer).__name__} '{layer.name}' is not defined for complex inputs. "
                f"Received: dtype={np.dtype(dtype).name}. Split the values into real "
                f"channels first (e.g. jnp.stack([x.real, x.imag], -1))."
            )


def prepare_inputs(layer, args, kwargs):
    """Converts and checks the inputs, building the layer from their shapes if needed.

    Args:
        layer: The layer about to be called.
        args: The call's positional inputs.
        kwargs: The call's keyword inputs.

    Returns:
        ``(converted_args, first_input)``.

    Raises:
        DTypeError: The first input is ``None``, or complex for a layer that does
            not take complex inputs.
        ShapeError: The first input does not satisfy ``layer.input_spec``.

    Example:
        >>> layer = jl.layers.Dense(2)
        >>> args, first = prepare_inputs(layer, (np.zeros((4, 3)),), {})
        >>> layer.built, first.shape
        (True, (4, 3))
    """
    if args and args[0] is None:
        raise DTypeError(
            f"{type(layer).__name__} '{layer.name}' was called with None as its input. "
            "Expected an array (or a structure of arrays). Received: inputs=None."
        )
    args = convert_inputs(layer, args)
    if not layer.supports_complex_inputs:
        _refuse_complex(layer, (args, kwargs))
    first = args[0] if args else next(iter(kwargs.values()), None)
    assert_input_compatibility(layer.input_spec, first, layer.name, type(layer).__name__)
    if not layer.built:
        layer.build_from_inputs(args, kwargs)
    return args, first


def invoke(layer, scope, args, kwargs, training=None, mask=None):
    """Runs ``layer.call`` under ``scope``; returns ``(outputs, output_mask)``.

    ``training=None`` keeps the scope's flag.  The output mask is the one the
    call declared (``set_output_mask``), else ``compute_mask``'s for a layer
    that masks, else ``None``.  An ``activity_regularizer`` adds its penalty,
    divided by the batch size, to the scope's losses.

    Args:
        layer: The layer to call (built here if needed).
        scope: The :class:`~jaxlayers.core.scope.Scope` binding its weights.
        args: Positional inputs of ``call``.
        kwargs: Keyword inputs of ``call``.
        training: Optional bool overriding the scope's training flag for this call.
        mask: Optional input mask, passed to a ``call`` that takes ``mask``.

    Returns:
        ``(outputs, output_mask)``.

    Raises:
        StateError: ``call`` used ``.assign()`` on a weight, which is a plain
            array inside a pure call.

    Example:
        >>> from jaxlayers.core.scope import Scope
        >>> layer = jl.layers.Dense(2)
        >>> layer.build((None, 3))
        >>> ones = {id(v): jnp.ones(v.shape) for v in layer.weights}
        >>> with Scope(ones, {id(v): v for v in layer.weights}) as scope:
        ...     out, mask = invoke(layer, scope, (np.ones((1, 3)),), {})
        >>> out.tolist(), mask
        ([[4.0, 4.0]], None)
    """
    args, first = prepare_inputs(layer, args, kwargs)
    flags = _call_flags(layer)
    call_kwargs = dict(kwargs)
    outer_training = scope.training
    if training is not None:
        scope.training = bool(training)
    if flags["training"] or (flags["var_kw"] and training is not None):
        call_kwargs["training"] = scope.training
    if mask is not None and (flags["mask"] or flags["var_kw"]):
        call_kwargs["mask"] = mask
    scope.push_call(layer)
    try:
        outputs = remat.call(layer, scope, args, call_kwargs)
    except AttributeError as e:
        if not _ASSIGN_ON_ARRAY.search(str(e)):
            raise
        raise StateError(
            f"{type(layer).__name__} '{layer.name}': inside call a weight is a plain "
            "jax.Array, so it has no .assign(). To update a non-trainable weight, assign "
            "the attribute instead: `self.count = new_value` (for assign_add: "
            f"`self.count = self.count + delta`). Received: AttributeError: {e}"
        ) from e
    finally:
        scope.training = outer_training
        declared = scope.pop_call()
    if layer.activity_regularizer is not None:
        # Keras scales the activity penalty by the batch size.
        for out in jax.tree_util.tree_leaves(outputs):
            batch = out.shape[0] if out.ndim else 1
            scope.add_loss(layer, layer.activity_regularizer(out) / batch)
    out_mask = None
    if declared is not scope_lib.NO_MASK:
        out_mask = declared
    elif layer.supports_masking or config_lib.overrides(layer, "compute_mask"):
        out_mask = layer.compute_mask(first, mask)
    return outputs, out_mask


__all__ = ["build_args", "convert_inputs", "invoke", "prepare_inputs", "shape_of"]
