"""jaxlayers: the Keras 3 Layers and Models API as pure JAX init/apply pairs."""

__version__ = "0.1.0"

from jaxlayers import backend, errors
from jaxlayers.backend import clear_session, floatx, set_floatx, set_random_seed
