"""All public layers, one family per module; each family module defines ``__all__``."""

import importlib as _importlib

from jaxlayers.core.input_spec import InputSpec
from jaxlayers.core.layer import Layer
from jaxlayers.layers import core as _core
from jaxlayers.layers.core import *  # noqa: F401,F403

__all__ = ["Layer", "InputSpec"] + list(_core.__all__)

_FAMILIES = ("convolution", "pooling", "reshaping", "merging", "normalization",
             "regularization", "attention", "activation", "recurrent", "preprocessing",
             "interop")
for _name in _FAMILIES:
    _module = _importlib.import_module(f"jaxlayers.layers.{_name}")
    for _export in _module.__all__:
        globals()[_export] = getattr(_module, _export)
    __all__ += list(_module.__all__)
del _name, _module, _export
