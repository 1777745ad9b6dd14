"""A jaxlayers model as plain pure functions, or as serialized StableHLO.

* :func:`to_pure` gives ``(init_fn, apply_fn)``: two ordinary functions, no
  facade, no hidden values.  Hand them to code that knows nothing of jaxlayers
  (an optax loop, ``jax.jit``, ``vmap``, another framework's ``JaxLayer``).
* :func:`to_stablehlo` serializes the inference computation with ``jax.export``
  (weights as arguments, not constants), and :func:`load_stablehlo` turns the
  bytes back into a callable that needs neither the model's Python code nor
  jaxlayers itself beyond this loader.

Example:
    >>> model = jl.Sequential([jl.layers.Dense(2)])
    >>> init_fn, apply_fn = jl.export.to_pure(model)
    >>> params, state = init_fn(jax.random.key(0), jnp.ones((1, 3)))
    >>> y, state = apply_fn(params, state, jnp.ones((1, 3)))
    >>> blob = jl.export.to_stablehlo(model, jnp.ones((1, 3)), params=params, state=state)
    >>> run = jl.export.load_stablehlo(blob)
    >>> y2, _ = run(params, state, jnp.ones((1, 3)))
"""

import importlib

import jax
import numpy as np

from jaxlayers.core import tracking
from jaxlayers.core.layer import Layer
from jaxlayers.errors import ConfigTypeError, SerializationError


def _check_model(model, what):
    if not isinstance(model, Layer):
        raise ConfigTypeError(
            f"jl.export.{what} needs a jaxlayers Layer or Model. Received: {model!r} "
            f"(type {type(model).__name__})."
        )


def to_pure(model):
    """Returns ``(init_fn, apply_fn)``: the model as two plain pure functions.

    * ``init_fn(key, *inputs) -> (params, state)``: ``inputs`` may be arrays or
      ``jax.ShapeDtypeStruct``s (only shapes and dtypes are read).
    * ``apply_fn(params, state, *inputs, training=False, key=None) -> (outputs, state)``.

    Both read nothing from the facade (its current weights are never baked
    in): everything they use arrives as an argument, so they are safe to
    ``jax.jit`` (with ``static_argnames="training"``), ``vmap`` and ``grad``.
    They close over the model only for its structure (its layers and calls).

    Args:
        model: Any jaxlayers Layer or Model.

    Example:
        >>> init_fn, apply_fn = to_pure(jl.Sequential([jl.layers.Dense(2)]))
        >>> params, state = init_fn(jax.random.key(0), jnp.ones((4, 3)))
        >>> step = jax.jit(apply_fn, static_argnames="training")
        >>> step(params, state, jnp.ones((4, 3)))[0].shape
        (4, 2)
    """
    _check_model(model, "to_pure")
    init = model.init
    apply = model.apply

    def init_fn(key, *inputs):
        return init(key, *inputs)

    def apply_fn(params, state, *inputs, training=False, key=None):
        return apply(params, state, *inputs, training=training, key=key)

    init_fn.__doc__ = f"Pure init of {type(model).__name__} '{model.name}': (params, state)."
    apply_fn.__doc__ = f"Pure apply of {type(model).__name__} '{model.name}': (outputs, state)."
    return init_fn, apply_fn


def _require_flatbuffers(what):
    # jax.export (de)serializes with flatbuffers, an optional dependency of jax.
    try:
        importlib.import_module("flatbuffers")
    except ImportError as e:
        raise ImportError(f"jl.export.{what} needs flatbuffers: pip install flatbuffers") from e


def _spec(x, batch=None):
    shape = tuple(np.shape(x))
    if batch is not None:
        if not shape:
            raise ConfigTypeError(
                "jl.export.to_stablehlo(dynamic_batch=True) needs every input to have a "
                f"batch axis. Received: an input of shape {shape}.")
        shape = (batch,) + shape[1:]
    return jax.ShapeDtypeStruct(shape, jax.numpy.result_type(x))


def to_stablehlo(model, *example_inputs, params=None, state=None, dynamic_batch=False,
                 platforms=None):
    """Serializes the model's inference ``(params, state, *inputs) -> (outputs, state)``.

    The function is exported with ``jax.export`` for the shapes and dtypes of
    ``example_inputs`` (their values are not used) and of ``params``/``state``,
    which stay ARGUMENTS of the exported function: the bytes hold the
    computation, the weights travel separately (e.g. ``jl.saving.save_params``).

    Args:
        model: A jaxlayers Layer or Model.
        *example_inputs: Arrays (or ``jax.ShapeDtypeStruct``s) like the real inputs.
        params: The params pytree; default the facade's ``model.params``
            (building the model from ``example_inputs`` if needed).
        state: The state pytree; default ``model.state``.
        dynamic_batch: Export with a symbolic leading (batch) dimension shared by
            every input, so one export serves any batch size.
        platforms: Platforms to compile for, e.g. ``("cpu", "cuda")``; default
            the current backend.

    Returns:
        ``bytes`` (a serialized ``jax.export.Exported``).

    Example:
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)])
        >>> blob = jl.export.to_stablehlo(model, jnp.ones((1, 3)), dynamic_batch=True)
        >>> outputs, state = jl.export.load_stablehlo(blob)(model.params, model.state,
        ...                                                 jnp.ones((5, 3)))
        >>> outputs.shape
        (5, 2)
    """
    _check_model(model, "to_stablehlo")
    if not example_inputs:
        raise ConfigTypeError(
            "jl.export.to_stablehlo needs example inputs to fix shapes and dtypes: "
            "to_stablehlo(model, jnp.zeros((1, 784))).")
    if params is None or state is None:
        if not tracking.all_built(model):
            model.ensure_built(*jax.tree_util.tree_map(_spec, example_inputs))
        params = model.params if params is None else params
        state = model.state if state is None else state
    batch = jax.export.symbolic_shape("batch")[0] if dynamic_batch else None
    in_specs = jax.tree_util.tree_map(lambda x: _spec(x, batch), example_inputs)
    apply = model.apply

    def inference(params, state, *inputs):
        return apply(params, state, *inputs, training=False)

    _require_flatbuffers("to_stablehlo")
    try:
        exported = jax.export.export(jax.jit(inference), platforms=platforms)(
            jax.tree_util.tree_map(_spec, params), jax.tree_util.tree_map(_spec, state),
            *in_specs)
        return bytes(exported.serialize())
    except NotImplementedError as e:
        raise SerializationError(
            f"jl.export.to_stablehlo: {type(model).__name__} '{model.name}' runs host "
            f"callbacks (TorchModuleWrapper, TFSMLayer), which StableHLO cannot carry "
            f"({e}). Export the model without those layers, or use jl.export.to_pure.") from e


def load_stablehlo(data):
    """A callable ``(params, state, *inputs) -> (outputs, state)`` from :func:`to_stablehlo` bytes.

    The result works eagerly and inside ``jax.jit``.  It checks that arguments
    have the exported structure, shapes and dtypes.  Its ``exported``
    attribute is the underlying ``jax.export.Exported`` (``in_avals``,
    ``platforms``, ``mlir_module()``).

    Args:
        data: ``bytes`` returned by :func:`to_stablehlo` (or read from a file).

    Returns:
        The callable described above.

    Raises:
        ConfigTypeError: ``data`` is not bytes.
        SerializationError: ``data`` is not a serialized export.

    Example:
        The module docstring runs a whole round trip; bytes that are no
        export are refused with a clear error:

        >>> load_stablehlo(b"junk")
        Traceback (most recent call last):
        ...
        jaxlayers.errors.SerializationError: jl.export.load_stablehlo: the data is not ...
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ConfigTypeError(
            f"jl.export.load_stablehlo expects the bytes returned by to_stablehlo. "
            f"Received: {type(data).__name__}.")
    _require_flatbuffers("load_stablehlo")
    try:
        exported = jax.export.deserialize(bytearray(data))
    except Exception as e:  # noqa: BLE001 - any failure means "not an export"
        raise SerializationError(
            f"jl.export.load_stablehlo: the data is not a serialized jax.export module "
            f"({type(e).__name__}: {e}).") from e

    def call(params, state, *inputs):
        return exported.call(params, state, *inputs)

    call.exported = exported
    return call


__all__ = ["to_pure", "to_stablehlo", "load_stablehlo"]
