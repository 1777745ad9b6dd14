"""Keras 3's ``keras.ops`` namespace: pure array math, the one home of the layers' math.

``jl.ops.X`` and the submodules at Keras's paths (``jl.ops.linalg.X``, ...) hold the
public ops; modules whose names start with ``_`` hold helpers with no Keras name.
"""

from jaxlayers.ops import core, linalg  # noqa: F401
from jaxlayers.ops.core import *
from jaxlayers.ops.linalg import *
