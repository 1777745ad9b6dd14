"""Keras 3's ``keras.ops`` namespace: pure array math, the one home of the layers' math.

``jl.ops.X`` and the submodules at Keras's paths (``jl.ops.nn.X``, ``jl.ops.linalg.X``,
...) name the same functions.  Modules whose names start with ``_`` hold math with no
Keras name that the layers share (output-length rules, recurrent scans, masked
statistics).
"""

from jaxlayers.ops import _symbolic, core, linalg, nn

# The public ops record a graph node when called on jl.Input tensors (Keras's behaviour).
PUBLIC_MODULES = {"core": core, "linalg": linalg, "nn": nn}
for _short, _module in PUBLIC_MODULES.items():
    _symbolic.publish(_module, _short)
del _short, _module

from jaxlayers.ops.core import *  # noqa: F401,F403,E402
from jaxlayers.ops.linalg import *  # noqa: F401,F403,E402
from jaxlayers.ops.nn import *  # noqa: F401,F403,E402
