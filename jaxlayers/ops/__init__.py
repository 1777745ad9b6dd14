"""Keras 3's ``keras.ops`` namespace: pure array math, the one home of the layers' math.

``jl.ops.X`` and the submodules at Keras's paths (``jl.ops.numpy.X``, ``jl.ops.nn.X``,
``jl.ops.linalg.X``, ``jl.ops.image.X``) name the same functions; ``keras.ops.image``'s
names are only in their submodule, as in Keras.  Modules whose names start with ``_``
hold math with no Keras name that the layers share (output-length rules, recurrent
scans, masked statistics, augmentation) and the global settings the ops read.
"""

from jaxlayers.ops import core, image, linalg, math, nn, numpy  # noqa: F401
from jaxlayers.ops.core import *  # noqa: F401,F403
from jaxlayers.ops.linalg import *  # noqa: F401,F403
from jaxlayers.ops.math import *  # noqa: F401,F403
from jaxlayers.ops.nn import *  # noqa: F401,F403
from jaxlayers.ops.numpy import *  # noqa: F401,F403
