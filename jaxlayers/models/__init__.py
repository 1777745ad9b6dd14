"""Models: Sequential, Functional (``Model(inputs, outputs)``) and subclassed ``Model``."""

from jaxlayers import hooks
from jaxlayers.models.cloning import clone_model, model_from_json
from jaxlayers.models.functional import Functional as Functional
from jaxlayers.models.model import Model as Model
from jaxlayers.models.sequential import Sequential as Sequential


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a model saved by ``model.save`` (or a Keras 3 ``.keras`` file).

    The same function as ``jl.saving.load_model`` (saving sits above models and
    provides it when imported).

    Args:
        filepath: Path of a ``.keras`` file (or a legacy ``.h5`` model file).
        custom_objects: Optional ``{name: class or function}`` for the user's
            own layers, losses, ... named in the file.
        compile: Whether to compile the model as it was when saved.
        safe_mode: Refuse to run code stored in the file (``Lambda`` source).

    Returns:
        The model, with its weights (and optimizer state when compiled).

    Example:
        >>> jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)]).save("m.keras")
        >>> [w.shape for w in load_model("m.keras").get_weights()]
        [(3, 2), (2,)]
    """
    load = hooks.get("saving.load_model", "jaxlayers.saving", "jl.models.load_model")
    return load(filepath, custom_objects=custom_objects, compile=compile,
                safe_mode=safe_mode)


def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Saves ``model`` to a ``.keras`` file; the same as ``model.save(filepath)``.

    The same function as ``jl.saving.save_model`` (provided by ``jaxlayers.saving``).

    Args:
        model: The model to save.
        filepath: Path ending in ``.keras``.
        overwrite: Whether to replace an existing file.
        include_optimizer: Whether to save the optimizer's state too.

    Example:
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)])
        >>> save_model(model, "saved.keras")
        >>> import os; os.path.exists("saved.keras")
        True
    """
    save = hooks.get("saving.save_model", "jaxlayers.saving", "jl.models.save_model")
    return save(model, filepath, overwrite=overwrite, include_optimizer=include_optimizer)


__all__ = ["Model", "Sequential", "Functional", "load_model", "save_model", "clone_model",
           "model_from_json"]
