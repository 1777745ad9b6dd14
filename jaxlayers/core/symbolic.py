"""The former name of :mod:`jaxlayers.core.graph`; old imports keep working."""

from jaxlayers.core.graph import (
                                  Node,
                                  SymbolicTensor,
                                  any_symbolic,
                                  compute_output_spec,
                                  is_symbolic,
                                  shape_to_spec,
                                  symbolic_call,
)

__all__ = ["SymbolicTensor", "Node", "is_symbolic", "any_symbolic", "compute_output_spec",
           "symbolic_call", "shape_to_spec"]
