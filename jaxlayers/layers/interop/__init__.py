"""Interop layers: foreign models as jaxlayers Layers.

* :class:`JaxLayer`: any pure JAX ``(init_fn, call_fn)`` pair (stax, Haiku, hand-written).
* :class:`FlaxLayer`: a Flax Linen module, or a Flax NNX module (needs ``flax``).
* :class:`TorchModuleWrapper`: a PyTorch ``nn.Module`` run on the CPU through host
  callbacks, differentiable through torch's autograd (needs ``torch``).
* :class:`TFSMLayer`: a TensorFlow SavedModel run through host callbacks (needs
  ``tensorflow``).

The optional libraries are imported only when a wrapper is constructed.  The
other direction (a jaxlayers model as plain functions or StableHLO) lives in
:mod:`jaxlayers.export`.
"""

from jaxlayers.layers.interop.flax_layer import FlaxLayer
from jaxlayers.layers.interop.jax_layer import JaxLayer
from jaxlayers.layers.interop.tfsm_layer import TFSMLayer
from jaxlayers.layers.interop.torch_wrapper import TorchModuleWrapper

__all__ = ["JaxLayer", "FlaxLayer", "TorchModuleWrapper", "TFSMLayer"]
