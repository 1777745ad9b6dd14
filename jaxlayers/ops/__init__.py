"""Keras 3's ``keras.ops`` namespace: pure array math, the one home of the layers' math.

``jl.ops.X`` and the submodules at Keras's paths (``jl.ops.numpy.X``, ``jl.ops.nn.X``,
``jl.ops.linalg.X``, ...) name the same functions.  Modules whose names start with
``_`` hold math with no Keras name that the layers share (output-length rules,
recurrent scans, masked statistics) and the global settings the ops read.
"""

# keras.ops.image is a submodule only (its names are not at the top of keras.ops).
from jaxlayers.ops import (  # noqa: F401
    core,
    image,  # noqa: F401,E402
    linalg,
    nn,
    numpy,
)
from jaxlayers.ops.core import *  # noqa: F401,F403
from jaxlayers.ops.linalg import *  # noqa: F401,F403
from jaxlayers.ops.nn import *  # noqa: F401,F403
from jaxlayers.ops.numpy import *  # noqa: F401,F403
