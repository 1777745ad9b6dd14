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
    """
    load = hooks.get("saving.load_model", "jaxlayers.saving", "jl.models.load_model")
    return load(filepath, custom_objects=custom_objects, compile=compile,
                safe_mode=safe_mode)


def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Saves ``model`` to a ``.keras`` file; the same as ``model.save(filepath)``.

    The same function as ``jl.saving.save_model`` (provided by ``jaxlayers.saving``).
    """
    save = hooks.get("saving.save_model", "jaxlayers.saving", "jl.models.save_model")
    return save(model, filepath, overwrite=overwrite, include_optimizer=include_optimizer)


__all__ = ["Model", "Sequential", "Functional", "load_model", "save_model", "clone_model",
           "model_from_json"]
