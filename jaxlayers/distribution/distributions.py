"""Data and model parallelism on JAX's own sharding.

A distribution turns a device mesh and a layout into ``NamedSharding``s for
params, state, optimizer state and batches. Nothing here runs its own
collective or scheduler: sharded arrays go into ``jax.jit``, and XLA's
partitioner inserts the communication. The same objects serve the pure API
(``dist.init``, ``dist.shardings``, ``dist.shard_batch``) and ``fit`` (inside
``with dist.scope():`` or after ``set_distribution(dist)``).
"""

import contextlib
import threading

import jax
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec

from jaxlayers.distribution import multihost
from jaxlayers.distribution.layout import (
    DeviceMesh,
    LayoutMap,
    TensorLayout,
    as_mesh,
    list_devices,
    path_of,
)
from jaxlayers.errors import ConfigError, ConfigTypeError, DataError

__all__ = ["Distribution", "DataParallel", "ModelParallel", "set_distribution", "distribution",
           "distribute_tensor"]

_current = threading.local()  # the innermost scope(), per thread
_global = [None]  # set_distribution's value


class Distribution:
    """Base: a mesh, the name of its batch axis, and a layout for weights.

    Args:
        device_mesh: The ``DeviceMesh`` (or ``jax.sharding.Mesh``).
        batch_dim_name: Mesh axis batches are split over; default: the
            mesh's first axis.
        auto_shard_dataset: Keras's flag for multi-process input pipelines
            (each process reads its own shard); kept as given.
        layout_map: ``LayoutMap`` for weights; default: none (replicated).

    Example:
        ``DataParallel`` and ``ModelParallel`` are the distributions to use:

        >>> data_parallel = jl.distribution.DataParallel(devices=jax.devices()[:1])
        >>> isinstance(data_parallel, Distribution), data_parallel.batch_dim_name
        (True, 'batch')
    """

    def __init__(self, device_mesh, batch_dim_name=None, auto_shard_dataset=True, *,
                 layout_map=None):
        who = type(self).__name__
        device_mesh = as_mesh(device_mesh, who)
        self.device_mesh = device_mesh
        self.batch_dim_name = (device_mesh.axis_names[0] if batch_dim_name is None
                               else batch_dim_name)
        if not isinstance(auto_shard_dataset, (bool, np.bool_)):
            raise ConfigTypeError(
                f"{who}: `auto_shard_dataset` must be a bool. "
                f"Received: auto_shard_dataset={auto_shard_dataset!r}."
            )
        self.auto_shard_dataset = bool(auto_shard_dataset)
        self.layout_map = layout_map if layout_map is not None else LayoutMap(device_mesh)
        if self.batch_dim_name not in device_mesh.axis_names:
            raise ConfigError(
                f"{type(self).__name__}: `batch_dim_name` must be an axis of the mesh "
                f"{device_mesh.axis_names}. Received: batch_dim_name={batch_dim_name!r}."
            )

    def __repr__(self):
        return (f"<{type(self).__name__} device_mesh={self.device_mesh!r}, "
                f"batch_dim_name={self.batch_dim_name!r}>")

    @property
    def mesh(self):
        """The underlying ``jax.sharding.Mesh``."""
        return self.device_mesh.jax_mesh

    @property
    def num_model_replicas(self):
        """How many copies of the model the batch axis holds (its size)."""
        return self.device_mesh.axis_size(self.batch_dim_name)

    # ------------------------------------------------------------- Keras's layout queries
    def get_data_layout(self, data_shape):
        """The ``TensorLayout`` of a batch of ``data_shape``: axis 0 over the batch axis."""
        axes = [None] * len(data_shape)
        if axes:
            axes[0] = self.batch_dim_name
        return TensorLayout(axes, self.device_mesh)

    def get_variable_layout(self, variable):
        """The ``TensorLayout`` of a weight (anything with ``path`` and ``shape``)."""
        layout = self.layout_map[variable.path]
        if layout is None:
            return TensorLayout([None] * len(variable.shape), self.device_mesh)
        return layout

    def get_tensor_layout(self, path):
        """The ``LayoutMap``'s layout for an intermediate tensor's ``path``, or ``None``."""
        return self.layout_map[path]

    def variable_sharding(self, path, shape):
        """The ``NamedSharding`` a weight at ``path`` is created with (checked)."""
        return self.layout_map.sharding_of(path, shape)[1]

    @property
    def batch_size_multiple(self):
        return self.num_model_replicas

    def replicated(self):
        return NamedSharding(self.mesh, PartitionSpec())

    # ------------------------------------------------------------- weights
    def shardings(self, params, state=None):
        """``NamedSharding`` trees for ``params`` (and ``state``), from the layout.

        A layout rule that matches no weight in either tree is an error.
        """
        p_sh, used = self.layout_map.shardings(params)
        s_sh, used_s = self.layout_map.shardings({} if state is None else state)
        unused = [k for k in self.layout_map if k not in used | used_s]
        if unused:
            paths = [path_of(kp) for kp, _ in jax.tree_util.tree_leaves_with_path(params)]
            raise ConfigError(
                f"{type(self).__name__}: layout rule(s) {unused} match no weight; nothing is "
                f"replicated silently. Weight paths are like {paths[:6]}."
            )
        return p_sh if state is None else (p_sh, s_sh)

    def init(self, model, key, *inputs):
        """``model.init`` with every weight created already sharded on the mesh.

        Inputs may be arrays or ``jax.ShapeDtypeStruct``s. The values equal
        ``model.init(key, *inputs)``; only their placement differs.
        """
        if not inputs:
            raise ConfigError(
                f"{type(self).__name__}.init: give example inputs (arrays or "
                "jax.ShapeDtypeStructs) after the key, as for model.init(key, x). "
                "Received: no inputs."
            )
        specs = [x if isinstance(x, jax.ShapeDtypeStruct) else
                 jax.ShapeDtypeStruct(np.shape(x), getattr(x, "dtype", None)
                                      or np.asarray(x).dtype) for x in inputs]
        with self.scope():
            return model.init(key, *specs)

    def shard(self, params, state=None):
        """Places existing ``params`` (and ``state``) on the mesh by the layout."""
        if state is None:
            return multihost.put_global(params, self.shardings(params))
        return multihost.put_global((params, state), self.shardings(params, state))

    def opt_state_shardings(self, opt_state, params_shardings):
        """Shardings for an optax state: leaves that mirror a weight follow its layout.

        An optimizer's moment trees repeat the params' dict paths; a leaf whose
        path ends with a weight's path and whose shape equals the weight's takes
        that weight's sharding. Counters and scalars are replicated.
        """
        by_path = {}
        for kp, sh in jax.tree_util.tree_leaves_with_path(params_shardings):
            by_path[path_of(kp)] = sh

        def one(kp, leaf):
            parts = path_of(kp).split("/")
            for i in range(len(parts)):
                sh = by_path.get("/".join(parts[i:]))
                if sh is not None and len(sh.spec) in (0, np.ndim(leaf)):
                    return sh
            return self.replicated()

        return jax.tree_util.tree_map_with_path(one, opt_state)

    # ------------------------------------------------------------- batches
    def batch_sharding(self, shape, what="batch"):
        """Splits the leading (batch) axis over the batch mesh axis."""
        n = self.batch_size_multiple
        if not shape:
            return self.replicated()
        if shape[0] % n:
            raise DataError(
                f"{type(self).__name__}: the {what} size {shape[0]} is not divisible by the "
                f"'{self.batch_dim_name}' mesh axis of size {n}. Use a batch size that is a "
                f"multiple of {n}. Received: shape={tuple(shape)}."
            )
        return NamedSharding(self.mesh, PartitionSpec(self.batch_dim_name))

    def shard_batch(self, batch):
        """Places a batch (any pytree of arrays) split along its first axis."""
        return jax.tree_util.tree_map(
            lambda a: jax.device_put(a, self.batch_sharding(np.shape(a))), batch)

    def constrain_batch(self, batch):
        """Inside ``jit``: splits each batch leaf along axis 0 where the size allows.

        A last partial batch whose size the axis does not divide runs
        replicated (correct, only less parallel) rather than failing mid-epoch.
        """
        n = self.batch_size_multiple

        def one(a):
            if a is None or not np.ndim(a) or a.shape[0] % n:
                return a
            return jax.lax.with_sharding_constraint(
                a, NamedSharding(self.mesh, PartitionSpec(self.batch_dim_name)))

        return jax.tree_util.tree_map(one, batch)

    # ------------------------------------------------------------- fit
    def carry_shardings(self, carry):
        """Shardings for ``fit``'s carry ``(params, state, opt_state, metrics, key)``."""
        params, state, opt_state, mstates, key = carry
        p_sh, s_sh = self.shardings(params, state)
        rep = self.replicated()
        return (p_sh, s_sh, self.opt_state_shardings(opt_state, p_sh),
                jax.tree_util.tree_map(lambda _: rep, mstates),
                jax.tree_util.tree_map(lambda _: rep, key))

    def place_carry(self, carry):
        return multihost.put_global(carry, self.carry_shardings(carry))

    def wrap_train_step(self, step):
        """``step(carry, batch)`` with the batch split and the carry kept on its layout."""

        def sharded_step(carry, batch):
            carry, logs = step(carry, self.constrain_batch(batch))
            return jax.lax.with_sharding_constraint(carry, self.carry_shardings(carry)), logs

        return sharded_step

    def check_batch_size(self, owner, batch_size):
        if batch_size % self.batch_size_multiple:
            raise DataError(
                f"{owner}: with {type(self).__name__} over a '{self.batch_dim_name}' axis of "
                f"size {self.batch_size_multiple}, batch_size must be a multiple of "
                f"{self.batch_size_multiple}. Received: batch_size={batch_size}."
            )

    # ------------------------------------------------------------- scope
    @contextlib.contextmanager
    def scope(self):
        """Makes this the distribution that ``fit`` uses inside the ``with`` block."""
        previous = getattr(_current, "value", None)
        _current.value = self
        try:
            yield self
        finally:
            _current.value = previous


class DataParallel(Distribution):
    """Replicates every weight and splits each batch over all devices.

    Args:
        device_mesh: A 1D ``DeviceMesh``; default: a mesh of ``devices`` on
            an axis named ``'batch'``.
        devices: Devices (or Keras's ``"cpu:0"`` strings) for the default
            mesh; default: all of ``list_devices()``.
        auto_shard_dataset: As in Keras, for multi-process input pipelines.

    Example:
        >>> dist = jl.distribution.DataParallel(devices=jax.devices()[:1])
        >>> dist.batch_dim_name
        'batch'
    """

    def __init__(self, device_mesh=None, devices=None, auto_shard_dataset=True):
        if device_mesh is not None and devices is not None:
            raise ConfigError(
                "DataParallel: pass `device_mesh` or `devices`, not both. "
                f"Received: device_mesh={device_mesh!r}, devices={devices!r}."
            )
        if devices is not None and (not isinstance(devices, (list, tuple, np.ndarray))
                                    or not len(devices)):
            raise (ConfigError if isinstance(devices, (list, tuple, np.ndarray))
                   else ConfigTypeError)(
                "DataParallel: `devices` must be a non-empty list of devices. "
                f"Received: devices={devices!r}."
            )
        if device_mesh is None:
            devices = list_devices() if devices is None else list(devices)
            device_mesh = DeviceMesh((len(devices),), ("batch",), devices)
        device_mesh = as_mesh(device_mesh, "DataParallel")
        if len(device_mesh.shape) != 1:
            raise ConfigError(
                "DataParallel: expected a 1D device mesh; use ModelParallel for more axes. "
                f"Received: device_mesh={device_mesh!r}."
            )
        super().__init__(device_mesh, device_mesh.axis_names[0], auto_shard_dataset)


class ModelParallel(Distribution):
    """Splits weights by a ``LayoutMap`` and batches over one mesh axis.

    Args:
        layout_map: ``LayoutMap`` from weight-path patterns to layouts; its
            mesh is the distribution's mesh.
        batch_dim_name: Mesh axis the batch is split over; default: the
            mesh's first axis.
        auto_shard_dataset: As in Keras, for multi-process input pipelines.
        **kwargs: Only ``device_mesh``, Keras's older spelling
            (``ModelParallel(device_mesh=mesh, layout_map=...)``); it must be
            the layout map's mesh.

    Example:
        >>> mesh = jl.distribution.DeviceMesh((1, 1), ("batch", "model"), jax.devices()[:1])
        >>> layout = jl.distribution.LayoutMap(mesh)
        >>> layout["dense/kernel"] = (None, "model")
        >>> dist = jl.distribution.ModelParallel(layout_map=layout)
    """

    def __init__(self, *, layout_map=None, batch_dim_name=None, auto_shard_dataset=True,
                 **kwargs):
        device_mesh = kwargs.pop("device_mesh", None)
        if kwargs:
            raise ConfigTypeError(
                f"ModelParallel: unexpected argument(s) {sorted(kwargs)}; it takes "
                "layout_map, batch_dim_name, auto_shard_dataset (and device_mesh). "
                f"Received: {kwargs!r}."
            )
        if not isinstance(layout_map, LayoutMap):
            raise ConfigTypeError(
                "ModelParallel: `layout_map` must be a jl.distribution.LayoutMap. "
                f"Received: layout_map={layout_map!r}."
            )
        mesh = layout_map.device_mesh
        if device_mesh is not None and not _same_mesh(as_mesh(device_mesh, "ModelParallel"),
                                                      mesh):
            raise ConfigError(
                "ModelParallel: `device_mesh` must be the layout map's mesh "
                f"{mesh!r} (or left out). Received: device_mesh={device_mesh!r}."
            )
        super().__init__(mesh, batch_dim_name, auto_shard_dataset, layout_map=layout_map)


def _same_mesh(a, b):
    return (a.axis_names == b.axis_names and a.shape == b.shape
            and list(a.devices.flat) == list(b.devices.flat))


def set_distribution(value):
    """Sets (or with ``None`` clears) the distribution in effect outside any ``scope()``.

    While it is set, every weight a layer or model creates (on build, first
    call, ``model.init``, ``Functional`` construction) is created already
    placed by its layout, and ``fit`` runs sharded.

    Args:
        value: A :class:`Distribution`, or ``None``.

    Raises:
        ConfigTypeError: Any other value.

    Example:
        >>> jl.distribution.set_distribution(None)
        >>> jl.distribution.distribution() is None
        True
    """
    if value is not None and not isinstance(value, Distribution):
        raise ConfigTypeError(
            "set_distribution: expected a jl.distribution.Distribution or None. "
            f"Received: value={value!r}."
        )
    _global[0] = value


def distribution():
    """The distribution in effect: the innermost ``scope()``, else the global one.


    Returns:
        A :class:`Distribution`, or ``None``.

    Example:
        >>> data_parallel = jl.distribution.DataParallel(devices=jax.devices()[:1])
        >>> with data_parallel.scope():
        ...     print(jl.distribution.distribution() is data_parallel)
        True
    """
    return getattr(_current, "value", None) or _global[0]


def distribute_tensor(tensor, layout):
    """Places ``tensor`` by ``layout`` (a ``TensorLayout`` or ``jax.sharding.Sharding``).

    Under ``jit`` this is a sharding constraint; outside it, a ``device_put``
    (none when the array is already placed so).

    Args:
        tensor: An array (or a tracer inside ``jit``).
        layout: A ``TensorLayout`` or a ``jax.sharding.Sharding``.

    Returns:
        The placed array.

    Example:
        >>> mesh = jl.distribution.DeviceMesh((1,), ("model",), jax.devices()[:1])
        >>> layout = jl.distribution.TensorLayout((None, "model"), mesh)
        >>> distribute_tensor(jnp.ones((2, 4)), layout).shape
        (2, 4)
    """
    if isinstance(layout, TensorLayout):
        layout = layout.sharding_for(np.shape(tensor), "distribute_tensor")
    elif not isinstance(layout, jax.sharding.Sharding):
        raise ConfigTypeError(
            "distribute_tensor: `layout` must be a TensorLayout or a jax.sharding.Sharding. "
            f"Received: layout={layout!r}."
        )
    if isinstance(tensor, jax.core.Tracer):
        return jax.lax.with_sharding_constraint(tensor, layout)
    if isinstance(tensor, jax.Array) and tensor.sharding.is_equivalent_to(layout, tensor.ndim):
        return tensor
    return jax.device_put(tensor, layout)
