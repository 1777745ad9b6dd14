"""Models: Sequential, Functional (``Model(inputs, outputs)``) and subclassed ``Model``."""

from jaxlayers.models.functional import Functional
from jaxlayers.models.model import Model
from jaxlayers.models.sequential import Sequential

__all__ = ["Model", "Sequential", "Functional"]
