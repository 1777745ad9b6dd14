"""Device meshes and layouts: rules from weight paths to ``PartitionSpec``s.

The names follow Keras 3's ``keras.distribution`` (``DeviceMesh``,
``TensorLayout``, ``LayoutMap``); underneath each is a plain
``jax.sharding.Mesh`` / ``NamedSharding``, so what they produce can be passed
to ``jax.jit(in_shardings=..., out_shardings=...)`` and ``jax.device_put``
directly.

Departures from Keras, on purpose (DESIGN.md section 5):

* A ``LayoutMap`` rule that matches no weight is an error, not a silent no-op:
  a typo in a rule would otherwise replicate a weight meant to be split.
* A dimension that a mesh axis does not divide is an error naming the weight,
  the dimension and the axis; nothing falls back to replication.
"""

import re

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from jaxlayers.errors import ConfigError, ConfigTypeError, ShapeError

__all__ = ["list_devices", "DeviceMesh", "TensorLayout", "LayoutMap", "path_of"]


def list_devices(device_type=None):
    """The devices JAX sees, optionally of one platform (``'cpu'``, ``'gpu'``, ``'tpu'``).

    Example:
        >>> len(jl.distribution.list_devices()) >= 1
        True
    """
    return list(jax.devices(device_type) if device_type else jax.devices())


class DeviceMesh:
    """A named grid of devices: a thin wrapper over ``jax.sharding.Mesh``.

    Args:
        shape: Tuple of ints, the size of each mesh axis; their product must
            equal the number of devices.
        axis_names: One name per axis, e.g. ``("batch", "model")``.
        devices: Devices to lay out; default: all of ``jax.devices()``.

    Example:
        >>> mesh = jl.distribution.DeviceMesh((1,), ("batch",), jax.devices()[:1])
        >>> mesh.jax_mesh.axis_names
        ('batch',)
    """

    def __init__(self, shape, axis_names, devices=None):
        shape = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
        axis_names = (tuple(axis_names) if isinstance(axis_names, (tuple, list))
                      else (axis_names,))
        devices = list_devices() if devices is None else list(devices)
        if not all(isinstance(d, (int, np.integer)) and d > 0 for d in shape):
            raise ConfigError(
                f"DeviceMesh: `shape` must be a tuple of positive ints. Received: shape={shape!r}."
            )
        if len(axis_names) != len(shape) or not all(isinstance(a, str) for a in axis_names):
            raise ConfigError(
                "DeviceMesh: `axis_names` must give one string per axis of `shape`. "
                f"Received: shape={shape!r}, axis_names={axis_names!r}."
            )
        if len(set(axis_names)) != len(axis_names):
            raise ConfigError(
                f"DeviceMesh: axis names must be distinct. Received: axis_names={axis_names!r}."
            )
        if int(np.prod(shape)) != len(devices):
            raise ConfigError(
                f"DeviceMesh: a mesh of shape {shape} needs {int(np.prod(shape))} devices. "
                f"Received: {len(devices)} devices. On one CPU, set "
                "XLA_FLAGS=--xla_force_host_platform_device_count=N before importing jax."
            )
        self.shape = shape
        self.axis_names = axis_names
        self.devices = np.asarray(devices, dtype=object).reshape(shape)
        self.jax_mesh = Mesh(self.devices, axis_names)

    def axis_size(self, name):
        return self.shape[self.axis_names.index(name)]

    def __repr__(self):
        return f"DeviceMesh(shape={self.shape}, axis_names={self.axis_names})"


def _as_mesh(mesh, owner):
    if isinstance(mesh, DeviceMesh):
        return mesh
    if isinstance(mesh, Mesh):
        return DeviceMesh(tuple(mesh.devices.shape), mesh.axis_names, mesh.devices.flatten())
    raise ConfigTypeError(
        f"{owner}: expected a jl.distribution.DeviceMesh or a jax.sharding.Mesh. "
        f"Received: device_mesh={mesh!r}."
    )


class TensorLayout:
    """How one array is split: one mesh axis name (or ``None``) per array dimension.

    Args:
        axes: Tuple with, for each dimension, ``None`` (not split), a mesh
            axis name, or a tuple of mesh axis names.
        device_mesh: The mesh; may be left out inside a ``LayoutMap``, which
            supplies its own.

    Example:
        >>> TensorLayout((None, "model")).axes
        (None, 'model')
    """

    def __init__(self, axes, device_mesh=None):
        axes = tuple(axes) if isinstance(axes, (tuple, list)) else (axes,)
        used = []
        for a in axes:
            names = a if isinstance(a, tuple) else (a,)
            if not all(n is None or isinstance(n, str) for n in names):
                raise ConfigError(
                    "TensorLayout: each entry of `axes` must be None, a mesh axis name or a "
                    f"tuple of names. Received: axes={axes!r}."
                )
            used.extend(n for n in names if n is not None)
        # A mesh axis splits an array once: PartitionSpec refuses a name used twice.
        twice = sorted({n for n in used if used.count(n) > 1})
        if twice:
            raise ConfigError(
                f"TensorLayout: mesh axis {twice[0]!r} splits more than one dimension (or one "
                f"dimension twice). Name each mesh axis at most once. Received: axes={axes!r}."
            )
        self.axes = axes
        self.device_mesh = None if device_mesh is None else _as_mesh(device_mesh, "TensorLayout")
        if self.device_mesh is not None:
            self._check_names(self.device_mesh)

    def _check_names(self, mesh):
        for a in self.axes:
            for n in (a if isinstance(a, tuple) else (a,)):
                if n is not None and n not in mesh.axis_names:
                    raise ConfigError(
                        f"TensorLayout: axis {n!r} is not an axis of the mesh "
                        f"{mesh.axis_names}. Received: axes={self.axes!r}."
                    )

    @property
    def spec(self):
        return PartitionSpec(*self.axes)

    def sharding_for(self, shape, what, mesh=None):
        """The ``NamedSharding`` for an array of ``shape``; checks rank and divisibility."""
        mesh = mesh or self.device_mesh
        if mesh is None:
            raise ConfigError(f"TensorLayout for {what}: no device mesh was given.")
        self._check_names(mesh)
        shape = tuple(shape)
        if len(self.axes) != len(shape):
            raise ShapeError(
                f"Layout for {what}: the layout {self.axes} has {len(self.axes)} entries but the "
                f"array has rank {len(shape)}. Received: shape={shape}."
            )
        for dim, (size, a) in enumerate(zip(shape, self.axes)):
            names = [n for n in (a if isinstance(a, tuple) else (a,)) if n is not None]
            parts = int(np.prod([mesh.axis_size(n) for n in names])) if names else 1
            if size % parts:
                raise ShapeError(
                    f"Layout for {what}: dimension {dim} (size {size}) is not divisible by mesh "
                    f"axis {'x'.join(names)} of size {parts}. Received: shape={shape}, "
                    f"layout={self.axes}."
                )
        return NamedSharding(mesh.jax_mesh, self.spec)

    def __repr__(self):
        return f"TensorLayout(axes={self.axes})"


def path_of(key_path):
    """``'dense/kernel'`` for a pytree key path of dict keys (the weight path)."""
    parts = []
    for k in key_path:
        name = getattr(k, "key", None)
        if name is None:
            name = getattr(k, "name", None)
        if name is None:
            name = getattr(k, "idx", k)
        parts.append(str(name))
    return "/".join(parts)


class LayoutMap:
    """Rules from weight paths to layouts, matched with ``re.search``.

    Keys are regular expressions over weight paths (``'dense/kernel'``,
    ``'encoder/dense_1/bias'``); values are ``TensorLayout``s or plain tuples of
    axis names. A path matched exactly by a key uses it; otherwise the one
    regular expression that matches it does. Two matching rules, a rule that
    matches no weight, or a dimension that does not divide are errors.

    Example:
        >>> mesh = jl.distribution.DeviceMesh((1,), ("model",), jax.devices()[:1])
        >>> layout = jl.distribution.LayoutMap(mesh)
        >>> layout["dense.*/kernel"] = (None, "model")
        >>> layout["dense.*/kernel"].axes
        (None, 'model')
    """

    def __init__(self, device_mesh):
        self.device_mesh = _as_mesh(device_mesh, "LayoutMap")
        self._rules = {}

    def __setitem__(self, key, layout):
        if not isinstance(key, str):
            raise ConfigTypeError(
                f"LayoutMap: keys are regular expressions over weight paths. Received: key={key!r}."
            )
        try:
            re.compile(key)
        except re.error as exc:
            raise ConfigError(
                f"LayoutMap: key {key!r} is not a valid regular expression ({exc})."
            ) from None
        if not isinstance(layout, TensorLayout):
            layout = TensorLayout(layout)
        layout._check_names(self.device_mesh)
        self._rules[key] = layout

    def __getitem__(self, key):
        return self._rules[key]

    def __delitem__(self, key):
        del self._rules[key]

    def __contains__(self, key):
        return key in self._rules

    def __iter__(self):
        return iter(self._rules)

    def __len__(self):
        return len(self._rules)

    def match(self, path):
        """The rule key that applies to ``path``, or ``None`` (replicated)."""
        if path in self._rules:
            return path
        hits = [k for k in self._rules if re.search(k, path)]
        if len(hits) > 1:
            raise ConfigError(
                f"LayoutMap: weight '{path}' matches several rules {hits}; make the rules "
                "exclusive (anchor them, e.g. '^dense/kernel$')."
            )
        return hits[0] if hits else None

    def shardings(self, tree, what="params"):
        """A tree of ``NamedSharding``s for ``tree`` (arrays or ShapeDtypeStructs)."""
        mesh = self.device_mesh
        replicated = NamedSharding(mesh.jax_mesh, PartitionSpec())
        used = set()

        def one(key_path, leaf):
            path = path_of(key_path)
            rule = self.match(path)
            if rule is None:
                return replicated
            used.add(rule)
            return self._rules[rule].sharding_for(np.shape(leaf), f"weight '{path}'", mesh)

        out = jax.tree_util.tree_map_with_path(one, tree)
        return out, used
