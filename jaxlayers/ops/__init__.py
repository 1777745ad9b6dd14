"""Keras 3's ``keras.ops`` namespace: pure array math, the one home of the layers' math.

``jl.ops.X`` and the submodules at Keras's paths (``jl.ops.numpy.X``, ``jl.ops.nn.X``,
``jl.ops.linalg.X``, ``jl.ops.image.X``) name the same functions; ``keras.ops.image``'s
names are only in their submodule, as in Keras.  Modules whose names start with ``_``
hold math with no Keras name that the layers share (output-length rules, recurrent
scans, masked statistics, augmentation) and the global settings the ops read.

Called on ``jl.Input`` tensors, a public op records a node of a Functional model,
as Keras's ops do.
"""

from jaxlayers.ops import _symbolic, core, image, linalg, math, nn, numpy

PUBLIC_MODULES = {"core": core, "image": image, "linalg": linalg, "math": math, "nn": nn,
                  "numpy": numpy}
for _short, _module in PUBLIC_MODULES.items():
    _symbolic.publish(_module, _short)
del _short, _module

from jaxlayers.ops.core import *  # noqa: E402,F401,F403
from jaxlayers.ops.linalg import *  # noqa: E402,F401,F403
from jaxlayers.ops.math import *  # noqa: E402,F401,F403
from jaxlayers.ops.nn import *  # noqa: E402,F401,F403
from jaxlayers.ops.numpy import *  # noqa: E402,F401,F403
