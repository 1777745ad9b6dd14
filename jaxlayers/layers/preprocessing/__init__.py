"""Preprocessing layers: text, lookups, categorical encodings, numerical and image layers.

Two kinds live here:

* Pure JAX layers (jittable, usable inside a model trained with ``fit``):
  Normalization, Discretization, SpectralNormalization, CategoryEncoding,
  IntegerLookup, Hashing and HashedCrossing on numbers, Resizing, Rescaling,
  CenterCrop, the Random* augmentation layers (augmentation, color and
  geometric modules), ContrastLimitedAdaptiveHistogramEqualization, the tone and
  mixing layers (Solarization, AutoContrast, Equalization, CutMix, MixUp, ...)
  and Pipeline.
* Host layers for string data (NumPy in, NumPy out; they raise inside
  ``jax.jit``): TextVectorization, StringLookup, and Hashing / HashedCrossing
  on strings.  Apply them in the data pipeline before ``fit``.

Adaptable layers learn from data with ``adapt(data, batch_size=None,
steps=None)`` (NumPy arrays, lists, or iterables of batches).
"""

from jaxlayers.layers.preprocessing.augmentation import (
    RandomBrightness,
    RandomContrast,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
)
from jaxlayers.layers.preprocessing.categorical import CategoryEncoding, HashedCrossing, Hashing
from jaxlayers.layers.preprocessing.color import (
    ContrastLimitedAdaptiveHistogramEqualization,
    RandomColorDegeneration,
    RandomColorJitter,
    RandomGaussianBlur,
    RandomHue,
    RandomSaturation,
    RandomSharpness,
)
from jaxlayers.layers.preprocessing.geometric import (
    RandomElasticTransform,
    RandomPerspective,
    RandomShear,
)
from jaxlayers.layers.preprocessing.image import CenterCrop, Rescaling, Resizing
from jaxlayers.layers.preprocessing.lookup import IntegerLookup, StringLookup
from jaxlayers.layers.preprocessing.mixing import (
    CutMix,
    MaxNumBoundingBoxes,
    MixUp,
    Pipeline,
    RandomErasing,
)
from jaxlayers.layers.preprocessing.numerical import (
    Discretization,
    Normalization,
    SpectralNormalization,
)
from jaxlayers.layers.preprocessing.policies import AugMix, RandAugment
from jaxlayers.layers.preprocessing.text import TextVectorization
from jaxlayers.layers.preprocessing.tone import (
    AutoContrast,
    Equalization,
    RandomGrayscale,
    RandomInvert,
    RandomPosterization,
    Solarization,
)

__all__ = [
    "TextVectorization",
    "StringLookup",
    "IntegerLookup",
    "CategoryEncoding",
    "Hashing",
    "HashedCrossing",
    "Normalization",
    "Discretization",
    "SpectralNormalization",
    "Resizing",
    "Rescaling",
    "CenterCrop",
    "RandomCrop",
    "RandomFlip",
    "RandomTranslation",
    "RandomRotation",
    "RandomZoom",
    "RandomContrast",
    "RandomBrightness",
    "RandomHue",
    "RandomSaturation",
    "RandomColorDegeneration",
    "RandomColorJitter",
    "RandomSharpness",
    "RandomGaussianBlur",
    "ContrastLimitedAdaptiveHistogramEqualization",
    "RandomShear",
    "RandomPerspective",
    "RandomElasticTransform",
    "RandomGrayscale",
    "RandomInvert",
    "Solarization",
    "RandomPosterization",
    "AutoContrast",
    "Equalization",
    "CutMix",
    "MixUp",
    "RandomErasing",
    "MaxNumBoundingBoxes",
    "Pipeline",
    "RandAugment",
    "AugMix",
]
