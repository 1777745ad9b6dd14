"""Models: Sequential, Functional (``Model(inputs, outputs)``) and subclassed ``Model``."""

from jaxlayers.models.functional import Functional
from jaxlayers.models.model import Model
from jaxlayers.models.sequential import Sequential



def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a model saved by ``model.save`` (or a Keras 3 ``.keras`` file)."""
    from jaxlayers.saving import api

    return api.load_model(filepath, custom_objects=custom_objects, compile=compile,
                          safe_mode=safe_mode)


__all__ = ["Model", "Sequential", "Functional", "load_model"]
