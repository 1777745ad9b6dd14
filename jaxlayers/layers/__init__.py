"""All public layers, one family per module (explicit re-exports)."""

from jaxlayers.core.input_spec import InputSpec
from jaxlayers.core.layer import Layer
from jaxlayers.layers.core import *  # noqa: F401,F403
from jaxlayers.layers import core as _core

__all__ = ["Layer", "InputSpec"] + list(_core.__all__)

# Family modules register here (each defines __all__).
for _name in ("convolution", "pooling", "reshaping", "merging", "normalization",
              "regularization", "attention", "activation", "recurrent", "preprocessing"):
    try:
        _module = __import__(f"jaxlayers.layers.{_name}", fromlist=["__all__"])
    except ModuleNotFoundError as _e:
        if _e.name != f"jaxlayers.layers.{_name}":
            raise
        continue
    for _export in _module.__all__:
        globals()[_export] = getattr(_module, _export)
    __all__ += list(_module.__all__)
