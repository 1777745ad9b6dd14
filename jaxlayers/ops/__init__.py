"""Keras 3's ``keras.ops``: pure array functions, no layers, no state.

``jl.ops.X`` and the submodule paths (``jl.ops.nn.X``, ...) name the same
functions.  Modules starting with ``_`` hold math with no Keras name that the
layers share (output-length rules, recurrent scans, masked statistics).
"""

from jaxlayers.ops import nn  # noqa: F401
from jaxlayers.ops.nn import *  # noqa: F401,F403
