"""jaxlayers: the Keras 3 Layers and Models API as pure JAX init/apply pairs.

Example:
    >>> import jaxlayers as jl
    >>> model = jl.Sequential([jl.layers.Dense(4, activation="relu"), jl.layers.Dense(2)])
    >>> params, state = model.init(jax.random.key(0), jnp.zeros((1, 3)))
"""

__version__ = "0.1.0"

from jaxlayers import activations, backend, constraints, errors, initializers, regularizers
from jaxlayers import layers, models
from jaxlayers.backend import clear_session, floatx, set_floatx, set_random_seed
from jaxlayers.core.dtype_policy import DTypePolicy
from jaxlayers.core.input_spec import InputSpec
from jaxlayers.core.layer import Layer
from jaxlayers.core.variables import Variable
from jaxlayers.layers.core import Input
from jaxlayers.models import Functional, Model, Sequential
from jaxlayers import distribution, export, optimizers, saving
from jaxlayers.training import callbacks, losses, metrics
from jaxlayers import datasets, utils

__all__ = [
    "activations", "backend", "constraints", "errors", "initializers", "regularizers",
    "layers", "models", "losses", "metrics", "optimizers", "callbacks", "saving", "export", "distribution",
    "utils", "datasets",
    "clear_session", "floatx", "set_floatx",
    "set_random_seed", "DTypePolicy", "InputSpec", "Layer", "Variable", "Input", "Model",
    "Sequential", "Functional",
]
