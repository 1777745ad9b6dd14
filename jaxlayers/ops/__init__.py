"""Pure array math used by layers: no layers, no state. Tested against float64 NumPy."""

from jaxlayers.ops.math import *  # noqa: F401,F403
