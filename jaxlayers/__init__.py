"""jaxlayers: the Keras 3 Layers and Models API as pure JAX init/apply pairs.

The package loads its parts on first use: ``import jaxlayers.ops`` loads the
array math alone, while the first public name read from ``jaxlayers`` (``jl.layers``,
``jl.Sequential``, ...) imports every part.  A part imported directly
(``from jaxlayers.models import Sequential``) brings the parts below it; a hook
into a higher part (``model.save`` into ``jaxlayers.saving``) imports every part
when first used (docs/architecture.md).

Example:
    >>> import jaxlayers as jl
    >>> model = jl.Sequential([jl.layers.Dense(4, activation="relu"), jl.layers.Dense(2)])
    >>> params, state = model.init(jax.random.key(0), jnp.zeros((1, 3)))
"""

import importlib
import sys
import threading

from jaxlayers import errors, hooks
from jaxlayers.version import __version__

__all__ = [
    "activations", "backend", "constraints", "errors", "initializers", "ops", "regularizers",
    "layers", "models", "losses", "metrics", "optimizers", "callbacks", "saving", "export",
    "distribution", "utils", "datasets", "applications", "ops", "random", "config", "tree",
    "dtype_policies", "mixed_precision", "clear_session", "floatx", "set_floatx",
    "set_random_seed", "DTypePolicy", "FloatDTypePolicy", "InputSpec", "Layer", "Variable",
    "Input", "Model", "Sequential", "Functional", "RematScope", "remat", "__version__",
]

_SUBMODULES = ("activations", "applications", "backend", "config", "constraints", "datasets",
               "distribution", "dtype_policies", "errors", "export", "initializers", "layers",
               "mixed_precision", "models", "ops", "optimizers", "random", "regularizers",
               "saving", "tree", "utils")
_load_lock = threading.RLock()
_loading = []


def _importing_a_part():
    """Whether a jaxlayers module is being imported right now.

    Its ``from jaxlayers import backend`` asks this package for the submodule:
    that one submodule is imported then, never every part (a part being imported
    is only partly defined, so importing every part could not complete).
    """
    return any(getattr(getattr(module, "__spec__", None), "_initializing", False)
               for name, module in list(sys.modules.items())
               if name.startswith("jaxlayers."))


def _load_public_api():
    """Imports every part of jaxlayers and binds the public names here."""
    import jaxlayers.activations
    import jaxlayers.applications
    import jaxlayers.backend
    import jaxlayers.config
    import jaxlayers.constraints
    import jaxlayers.datasets
    import jaxlayers.distribution
    import jaxlayers.dtype_policies
    import jaxlayers.export
    import jaxlayers.initializers
    import jaxlayers.layers
    import jaxlayers.mixed_precision
    import jaxlayers.models
    import jaxlayers.ops
    import jaxlayers.optimizers
    import jaxlayers.random
    import jaxlayers.regularizers
    import jaxlayers.saving
    import jaxlayers.training.callbacks
    import jaxlayers.training.losses
    import jaxlayers.training.metrics
    import jaxlayers.tree
    import jaxlayers.utils
    from jaxlayers.backend import clear_session, floatx, set_floatx, set_random_seed
    from jaxlayers.core.dtype_policy import DTypePolicy, FloatDTypePolicy
    from jaxlayers.core.input_spec import InputSpec
    from jaxlayers.core.layer import Layer
    from jaxlayers.core.remat import RematScope, remat
    from jaxlayers.core.variables import Variable
    from jaxlayers.layers.core import Input
    from jaxlayers.models import Functional, Model, Sequential

    globals().update(
        callbacks=jaxlayers.training.callbacks, losses=jaxlayers.training.losses,
        metrics=jaxlayers.training.metrics, clear_session=clear_session, floatx=floatx,
        set_floatx=set_floatx, set_random_seed=set_random_seed, DTypePolicy=DTypePolicy,
        FloatDTypePolicy=FloatDTypePolicy, InputSpec=InputSpec, Layer=Layer, Variable=Variable,
        Input=Input, Model=Model, Sequential=Sequential, Functional=Functional,
        RematScope=RematScope, remat=remat)


def _load_every_part():
    """Imports every part once; nothing while a part is being imported (it is partial)."""
    with _load_lock:
        if _loading or _importing_a_part():
            return False
        _loading.append(True)
        try:
            _load_public_api()
        finally:
            _loading.pop()
    return True


hooks.set_loader(_load_every_part)


def __getattr__(name):
    # Reached only for names not bound yet: the first public name loads every part.
    if name not in __all__:
        raise AttributeError(f"module 'jaxlayers' has no attribute '{name}'")
    if name in _SUBMODULES and _importing_a_part():
        return importlib.import_module(f"jaxlayers.{name}")
    if not _load_every_part():
        raise AttributeError(f"module 'jaxlayers' has no attribute '{name}' yet")
    return globals()[name]


def __dir__():
    return sorted(set(globals()) | set(__all__))
