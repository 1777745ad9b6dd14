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

import collections.abc
import re

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from jaxlayers.errors import ConfigError, ConfigTypeError, ShapeError

__all__ = ["list_devices", "get_device_count", "DeviceMesh", "TensorLayout", "LayoutMap",
           "as_mesh", "path_of"]


def _platform(device_type):
    return device_type.lower() if isinstance(device_type, str) else device_type


def list_devices(device_type=None):
    """The global devices of one platform (``'cpu'``, ``'gpu'``, ``'tpu'``).

    Without ``device_type``, JAX's default platform (an accelerator when there
    is one, else the CPU), never a mix. Keras returns ``"cpu:0"``-style
    strings; these are the ``jax.Device`` objects themselves, which
    ``DeviceMesh`` and ``DataParallel(devices=...)`` take, as they take the
    strings.

    Args:
        device_type: ``"cpu"``, ``"gpu"``, ``"tpu"`` (any case), or ``None``.

    Returns:
        A list of ``jax.Device``.

    Example:
        >>> len(jl.distribution.list_devices()) >= 1
        True
    """
    return list(jax.devices(_platform(device_type)))


def get_device_count(device_type=None):
    """How many global devices of one platform there are (default: JAX's default platform).

    Args:
        device_type: As for :func:`list_devices`.

    Returns:
        An int.

    Example:
        >>> jl.distribution.get_device_count() == len(jl.distribution.list_devices())
        True
    """
    return jax.device_count(_platform(device_type))


def _as_device(device):
    """A ``jax.Device`` for a device or Keras's ``"platform:id"`` string."""
    if isinstance(device, jax.Device):
        return device
    if not isinstance(device, str):
        raise ConfigTypeError(
            "DeviceMesh: `devices` must hold jax.Device objects or 'platform:id' strings such "
            f"as 'cpu:0'. Received: devices containing {device!r}."
        )
    platform, _, index = device.partition(":")
    try:
        candidates = jax.devices(platform.lower() or None)
    except RuntimeError:  # a platform this machine does not have
        candidates = []
    for d in candidates:
        if str(d.id) == index:
            return d
    raise ConfigError(
        f"DeviceMesh: no device {device!r}; devices are named like 'cpu:0' "
        f"(platform:id). Received: devices containing {device!r}."
    )


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
        devices = list_devices() if devices is None else [
            _as_device(d) for d in np.asarray(devices, dtype=object).reshape(-1)]
        seen = set()
        for d in devices:
            if d in seen:
                raise ConfigError(
                    f"DeviceMesh: each device may appear once. Received: devices with {d!r} "
                    "twice."
                )
            seen.add(d)
        # bool is an int to Python, not a mesh size.
        if not shape or not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool)
                                and d > 0 for d in shape):
            raise ConfigError(
                "DeviceMesh: `shape` must be a non-empty tuple of positive ints. "
                f"Received: shape={shape!r}."
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

    @property
    def backend_mesh(self):
        """Keras's name for the underlying ``jax.sharding.Mesh``."""
        return self.jax_mesh

    def axis_size(self, name):
        return self.shape[self.axis_names.index(name)]

    def __repr__(self):
        return f"DeviceMesh(shape={self.shape}, axis_names={self.axis_names})"


def as_mesh(mesh, owner):
    """A ``DeviceMesh`` for a ``DeviceMesh`` or a ``jax.sharding.Mesh``.

    Args:
        mesh: The mesh given.
        owner: How messages name the caller.

    Returns:
        A :class:`DeviceMesh`.

    Raises:
        ConfigTypeError: Any other value.

    Example:
        >>> as_mesh(jax.sharding.Mesh(np.array(jax.devices()[:1]), ("data",)), "demo")
        DeviceMesh(shape=(1,), axis_names=('data',))
    """
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
        device_mesh: The mesh; may be left out and set once later (a
            ``LayoutMap`` sets its own).

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
        self._device_mesh = None
        if device_mesh is not None:
            self.device_mesh = device_mesh

    @property
    def device_mesh(self):
        return self._device_mesh

    @device_mesh.setter
    def device_mesh(self, device_mesh):
        # As in Keras: a layout's mesh is set once; a second mesh would silently
        # move every array already placed by it.
        if self._device_mesh is not None:
            raise ConfigError(
                f"TensorLayout: the device mesh is already set to {self._device_mesh!r}. "
                f"Received: device_mesh={device_mesh!r}."
            )
        mesh = as_mesh(device_mesh, "TensorLayout")
        self._check_names(mesh)
        self._device_mesh = mesh

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

    @property
    def backend_layout(self):
        """Keras's name for this layout's ``NamedSharding`` (needs the mesh)."""
        if self._device_mesh is None:
            raise ConfigError(f"{self!r}: no device mesh was given.")
        return NamedSharding(self._device_mesh.jax_mesh, self.spec)

    def sharding_for(self, shape, what, mesh=None):
        """The ``NamedSharding`` for an array of ``shape``; checks rank and divisibility."""
        mesh = mesh or self._device_mesh
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
    """``'dense/kernel'`` for a pytree key path of dict keys (the weight path).

    Args:
        key_path: A key path from ``jax.tree_util.tree_flatten_with_path``.

    Returns:
        The path string.

    Example:
        >>> (key_path, _), = jax.tree_util.tree_flatten_with_path({"dense": {"kernel": 1}})[0]
        >>> path_of(key_path)
        'dense/kernel'
    """
    parts = []
    for k in key_path:
        name = getattr(k, "key", None)
        if name is None:
            name = getattr(k, "name", None)
        if name is None:
            name = getattr(k, "idx", k)
        parts.append(str(name))
    return "/".join(parts)


class LayoutMap(collections.abc.MutableMapping):
    """Rules from weight paths to layouts; keys are regular expressions, as in Keras.

    Keys are matched against whole weight paths (``'dense/kernel'``,
    ``'encoder/dense_1/bias'``): a key equal to the path wins; otherwise the
    one key that ``re.fullmatch``es it applies (``'.*dense.*kernel'``). Values
    are ``TensorLayout``s or plain tuples of axis names. ``layout_map[path]``
    looks a path up that way and gives ``None`` when no key matches (the
    weight is replicated); ``key in layout_map`` asks for the key itself.
    Setting a key twice, two keys matching one path, a rule that matches no
    weight of a model, or a dimension that does not divide are errors.

    Args:
        device_mesh: The ``DeviceMesh`` (or ``jax.sharding.Mesh``) the
            layouts refer to.

    Example:
        >>> mesh = jl.distribution.DeviceMesh((1,), ("model",), jax.devices()[:1])
        >>> layout = jl.distribution.LayoutMap(mesh)
        >>> layout[".*dense.*kernel"] = (None, "model")
        >>> layout["encoder/dense_1/kernel"].axes, layout["dense/bias"]
        ((None, 'model'), None)
    """

    def __init__(self, device_mesh):
        self.device_mesh = as_mesh(device_mesh, "LayoutMap")
        self._rules = {}

    def __setitem__(self, key, layout):
        if not isinstance(key, str):
            raise ConfigTypeError(
                f"LayoutMap: keys are regular expressions over weight paths. Received: key={key!r}."
            )
        if key in self._rules:
            raise ConfigError(
                f"LayoutMap: rule {key!r} is already set to {self._rules[key]!r}; delete it "
                f"first to replace it. Received: layout={layout!r}."
            )
        try:
            re.compile(key)
        except re.error as exc:
            raise ConfigError(
                f"LayoutMap: key {key!r} is not a valid regular expression ({exc})."
            ) from None
        if not isinstance(layout, (TensorLayout, tuple, list)):
            raise ConfigTypeError(
                f"LayoutMap rule {key!r}: the layout must be a TensorLayout or a tuple of mesh "
                f"axis names (or None), one per dimension. Received: layout={layout!r}."
            )
        try:
            if not isinstance(layout, TensorLayout):
                layout = TensorLayout(layout)
            if layout.device_mesh is None:
                layout.device_mesh = self.device_mesh
            else:
                layout._check_names(self.device_mesh)
        except ConfigError as exc:
            raise ConfigError(f"LayoutMap rule {key!r}: {exc}") from None
        self._rules[key] = layout

    def __getitem__(self, path):
        rule = self.match(path)
        return None if rule is None else self._rules[rule]

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
        hits = [k for k in self._rules if re.fullmatch(k, path)]
        if len(hits) > 1:
            raise ConfigError(
                f"LayoutMap: weight '{path}' matches several rules {hits}; make the rules "
                "exclusive, so that each path matches at most one."
            )
        return hits[0] if hits else None

    def sharding_of(self, path, shape):
        """``(rule or None, NamedSharding)`` for one array at ``path``."""
        rule = self.match(path)
        if rule is None:
            return None, NamedSharding(self.device_mesh.jax_mesh, PartitionSpec())
        what = f"weight '{path}' (LayoutMap rule {rule!r})"
        return rule, self._rules[rule].sharding_for(shape, what, self.device_mesh)

    def shardings(self, tree, what="params"):
        """A tree of ``NamedSharding``s for ``tree`` (arrays or ShapeDtypeStructs)."""
        used = set()

        def one(key_path, leaf):
            rule, sharding = self.sharding_of(path_of(key_path), np.shape(leaf))
            if rule is not None:
                used.add(rule)
            return sharding

        out = jax.tree_util.tree_map_with_path(one, tree)
        return out, used
