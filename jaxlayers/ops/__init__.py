"""Pure array math used by layers: no layers, no state. Tested against float64 NumPy."""

# keras.ops.image is a submodule only (its names are not at the top of keras.ops).
from jaxlayers.ops import image as image  # noqa: F401,E402
