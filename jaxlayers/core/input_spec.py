"""``InputSpec``: the rank, shape and dtype a layer accepts, checked before ``call``."""

import jax.numpy as jnp

from jaxlayers.errors import ConfigError, DTypeError, ShapeError


class InputSpec:
    """Describes the inputs a layer accepts; checked on every call, before tracing.

    Args:
        dtype: Expected dtype name, or ``None`` for any.
        shape: Expected shape tuple (``None`` entries match any size).
        ndim: Expected rank.
        max_ndim: Largest accepted rank.
        min_ndim: Smallest accepted rank.
        axes: ``{axis: size}`` that must hold (e.g. ``{-1: 784}``).
        allow_last_axis_squeeze: Accept a shape whose last axis of size 1 is
            missing or extra.
        name: The input's name (for multi-input layers).
        optional: The input may be ``None``.

    Example:
        >>> spec = jl.InputSpec(min_ndim=2, axes={-1: 3})
        >>> spec.ndim, spec.min_ndim, spec.axes
        (None, 2, {-1: 3})
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None, allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = jnp.dtype(dtype).name if dtype is not None else None
        self.shape = tuple(shape) if shape is not None else None
        if self.shape is not None:
            ndim = len(self.shape)
        self.ndim = ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.name = name
        self.optional = optional
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        axes = dict(axes or {})
        for axis in axes:
            if not isinstance(axis, int):
                raise ConfigError(
                    f"InputSpec: `axes` keys must be ints. Received: axes={axes!r}."
                )
        self.axes = axes
        if self.axes and (self.ndim is not None or self.max_ndim is not None):
            limit = (self.ndim or self.max_ndim) - 1
            if max(self.axes) > limit:
                raise ConfigError(
                    f"InputSpec: an axis in `axes` is beyond the rank. Received: "
                    f"axes={self.axes}, ndim={self.ndim}, max_ndim={self.max_ndim}."
                )

    def __repr__(self):
        fields = [
            f"dtype={self.dtype}" if self.dtype else "",
            f"shape={self.shape}" if self.shape else "",
            f"ndim={self.ndim}" if self.ndim is not None else "",
            f"max_ndim={self.max_ndim}" if self.max_ndim is not None else "",
            f"min_ndim={self.min_ndim}" if self.min_ndim is not None else "",
            f"axes={self.axes}" if self.axes else "",
        ]
        return f"InputSpec({', '.join(f for f in fields if f)})"

    def get_config(self):
        """The constructor arguments Keras's ``InputSpec.get_config`` lists.

        Example:
            >>> jl.InputSpec(ndim=2, axes={-1: 3}).get_config()["axes"]
            {-1: 3}
        """
        return {
            "dtype": self.dtype,
            "shape": self.shape,
            "ndim": self.ndim,
            "max_ndim": self.max_ndim,
            "min_ndim": self.min_ndim,
            "axes": self.axes,
            "optional": self.optional,
        }

    @classmethod
    def from_config(cls, config):
        """Rebuilds a spec from ``get_config``, also after a JSON round trip.

        JSON turns ``axes`` keys into strings and ``shape`` into a list; both are
        read back as ints and a tuple.
        """
        config = dict(config)
        axes = config.get("axes")
        if isinstance(axes, dict):
            config["axes"] = {_axis_key(k): v for k, v in axes.items()}
        return cls(**config)


def _axis_key(key):
    if isinstance(key, str) and key.lstrip("-").isdigit():
        return int(key)
    return key


def _shape_and_dtype(x):
    shape = getattr(x, "shape", None)
    dtype = getattr(x, "dtype", None)
    if shape is None:
        arr = jnp.asarray(x)
        shape, dtype = arr.shape, arr.dtype
    return tuple(shape), dtype


def assert_input_compatibility(input_spec, inputs, layer_name, layer_cls="Layer"):
    """Raises ``ShapeError`` / ``DTypeError`` if ``inputs`` break ``input_spec``.

    Args:
        input_spec: An ``InputSpec``, a list of them (one per input, ``None``
            for an unchecked one) or ``None`` (no check).
        inputs: The call's first argument: an array, or a list/tuple/dict of
            arrays (a dict is matched by the specs' names when all have one).
        layer_name: The layer's name, for messages.
        layer_cls: The layer's class name, for messages.

    Raises:
        ShapeError: The number of inputs, a rank or an axis size differs.
        DTypeError: An input's dtype differs from the spec's.

    Example:
        >>> assert_input_compatibility(InputSpec(ndim=2), np.zeros((3,)), "d", "Dense")
        Traceback (most recent call last):
        ...
        jaxlayers.errors.ShapeError: Input 0 of Dense 'd' is incompatible ... found ndim=1. ...
    """
    if not input_spec:
        return
    specs = list(input_spec) if isinstance(input_spec, (list, tuple)) else [input_spec]
    if isinstance(inputs, dict):
        names = [s.name for s in specs]
        if all(names):
            flat = [inputs.get(n) for n in names]
        else:
            flat = list(inputs.values())
    elif isinstance(inputs, (list, tuple)):
        flat = list(inputs)
    else:
        flat = [inputs]
    if len(specs) != len(flat):
        raise ShapeError(
            f"{layer_cls} '{layer_name}' expects {len(specs)} input(s), but it received "
            f"{len(flat)} input tensors. Received: inputs={_describe(flat)}."
        )
    for index, (spec, x) in enumerate(zip(specs, flat)):
        if spec is None:
            continue
        if x is None:
            if spec.optional:
                continue
            raise ShapeError(
                f"{layer_cls} '{layer_name}': input {index} is required. Received: None."
            )
        shape, dtype = _shape_and_dtype(x)
        ndim = len(shape)
        where = f"Input {index} of {layer_cls} '{layer_name}' is incompatible with the layer"
        if spec.ndim is not None and not spec.allow_last_axis_squeeze and ndim != spec.ndim:
            raise ShapeError(
                f"{where}: expected ndim={spec.ndim}, found ndim={ndim}. "
                f"Received: input shape {shape}."
            )
        if spec.max_ndim is not None and ndim > spec.max_ndim:
            raise ShapeError(
                f"{where}: expected max_ndim={spec.max_ndim}, found ndim={ndim}. "
                f"Received: input shape {shape}."
            )
        if spec.min_ndim is not None and ndim < spec.min_ndim:
            raise ShapeError(
                f"{where}: expected min_ndim={spec.min_ndim}, found ndim={ndim}. "
                f"Received: input shape {shape}."
            )
        if spec.dtype is not None and dtype is not None and jnp.dtype(dtype).name != spec.dtype:
            raise DTypeError(
                f"{where}: expected dtype={spec.dtype}. "
                f"Received: dtype={jnp.dtype(dtype).name} (input shape {shape})."
            )
        for axis, size in spec.axes.items():
            if size is None:
                continue
            try:
                actual = shape[axis]
            except IndexError:
                actual = None
            if actual is not None and actual != size:
                raise ShapeError(
                    f"{where}: expected axis {axis} of input shape to have value {size}. "
                    f"Received: input shape {shape}."
                )
        if spec.shape is not None:
            check = shape
            if spec.allow_last_axis_squeeze:
                if check and check[-1] == 1:
                    check = check[:-1]
                spec_shape = spec.shape[:-1] if spec.shape and spec.shape[-1] == 1 else spec.shape
            else:
                spec_shape = spec.shape
            if len(check) != len(spec_shape) or any(
                s is not None and d is not None and s != d for s, d in zip(spec_shape, check)
            ):
                raise ShapeError(
                    f"{where}: expected shape={spec.shape}. Received: input shape {shape}."
                )


def _describe(flat):
    return [getattr(x, "shape", type(x).__name__) for x in flat]


__all__ = ["InputSpec", "assert_input_compatibility"]
