"""Scale with JAX's own sharding: meshes, layouts, sharded init, data and model parallelism.

Example:
    >>> mesh = jl.distribution.DeviceMesh((1,), ("batch",), jax.devices()[:1])
    >>> dist = jl.distribution.DataParallel(device_mesh=mesh)
    >>> with dist.scope():
    ...     pass  # weights made here are placed on the mesh; fit splits each batch

``set_distribution(dist)`` does the same for the whole program, as Keras's
``keras.distribution.set_distribution``.
"""

from jaxlayers.distribution.distributions import (
                                                  DataParallel,
                                                  Distribution,
                                                  ModelParallel,
                                                  distribute_tensor,
                                                  distribution,
                                                  set_distribution,
)
from jaxlayers.distribution.layout import (
    DeviceMesh,
    LayoutMap,
    TensorLayout,
    get_device_count,
    list_devices,
)
from jaxlayers.distribution.multihost import initialize, is_chief, process_count, process_index

__all__ = ["DeviceMesh", "TensorLayout", "LayoutMap", "Distribution", "DataParallel",
           "ModelParallel", "set_distribution", "distribution", "distribute_tensor",
           "list_devices", "get_device_count", "initialize", "process_index", "process_count",
           "is_chief"]
