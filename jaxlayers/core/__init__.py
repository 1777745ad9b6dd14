"""Core machinery: scope (pure init/apply), Layer facade, weights, graph, input specs, registry.

Importing any part of ``jaxlayers.core`` imports the op layer of the graph, so
arithmetic on symbolic tensors always finds it.
"""

from jaxlayers.core import graph_ops as graph_ops
