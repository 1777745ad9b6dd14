"""LayerCases of the preprocessing family.

Host-only layers (string data) are ``jit=False`` (the shared checks skip
jit/vmap/grad for them); layers with integer outputs are ``grad=False``.
Adapted layers are built by a small factory that adapts them first.
"""

import numpy as np

from jaxlayers import layers
from tests.cases import LayerCase, fresh

IMAGES = ((2, 6, 5, 2),)
TEXTS = np.array(["The cat sat.", "a dog, a cat!"])
VOCAB = ["the", "cat", "sat", "dog", "a"]


def adapted(cls, data, **adapt_kwargs):
    """A constructor that adapts each new instance on ``data``."""

    def build(**kwargs):
        layer = cls(**kwargs)
        layer.adapt(data, **adapt_kwargs)
        return layer

    build.__name__ = cls.__name__
    return build



def _texts(rng):
    return [TEXTS]


def _words(rng):
    return [np.array([["cat", "the"], ["emu", "a"]])]


def _string_pairs(rng):
    return [np.array(["a", "b", "c"]), np.array([1, 2, 3])]


_NUMERIC = np.random.default_rng(0).standard_normal((16, 3)).astype("float32")

HOST = dict(jit=False, grad=False, n_params=0, n_state=0)

CASES = [
    # ----------------------------------------------------------------- text (host)
    LayerCase(layers.TextVectorization, dict(vocabulary=VOCAB, output_sequence_length=4),
              inputs_fn=_texts, **HOST),
    LayerCase(layers.TextVectorization, dict(vocabulary=VOCAB, output_mode="multi_hot",
                                             ngrams=2),
              inputs_fn=_texts, id="TextVectorization-multi_hot-bigrams", **HOST),
    LayerCase(adapted(layers.TextVectorization, TEXTS), dict(output_mode="tf_idf"),
              inputs_fn=_texts, id="TextVectorization-adapted-tf_idf", **HOST),
    LayerCase(layers.StringLookup, dict(vocabulary=VOCAB), inputs_fn=_words, **HOST),
    LayerCase(adapted(layers.StringLookup, np.array(["a", "b", "b", "c"])),
              dict(output_mode="count", mask_token="a"), inputs_fn=_words,
              id="StringLookup-adapted-count", **HOST),
    LayerCase(layers.Hashing, dict(num_bins=4, salt=3), inputs_fn=_words,
              id="Hashing-strings", **HOST),
    LayerCase(layers.HashedCrossing, dict(num_bins=5), inputs_fn=_string_pairs,
              list_input=True, id="HashedCrossing-strings", **HOST),
    # ----------------------------------------------------------------- categorical (JAX)
    LayerCase(layers.IntegerLookup, dict(vocabulary=[1, 3, 5, 7]), input_shapes=((3, 4),),
              input_dtype="int32", grad=False, n_params=0, n_state=0),
    LayerCase(layers.IntegerLookup, dict(vocabulary=[1, 3, 5], num_oov_indices=2,
                                         mask_token=0, output_mode="multi_hot"),
              input_shapes=((3, 4),), input_dtype="int32", id="IntegerLookup-multi_hot"),
    LayerCase(adapted(layers.IntegerLookup, np.array([4, 4, 2, 9, 9, 9])),
              dict(invert=True), input_shapes=((3, 2),), input_dtype="int32", int_max=6,
              grad=False, id="IntegerLookup-adapted-invert"),
    LayerCase(layers.CategoryEncoding, dict(num_tokens=6), input_shapes=((3, 4),),
              input_dtype="int32", int_max=6, n_params=0),
    LayerCase(layers.CategoryEncoding, dict(num_tokens=6, output_mode="one_hot"),
              input_shapes=((3,),), input_dtype="int32", int_max=6,
              id="CategoryEncoding-one_hot"),
    LayerCase(layers.CategoryEncoding, dict(num_tokens=6, output_mode="count"),
              input_shapes=((3, 4),), input_dtype="int32", int_max=6,
              id="CategoryEncoding-count"),
    LayerCase(layers.Hashing, dict(num_bins=5, mask_value=0), input_shapes=((3, 2),),
              input_dtype="int32", grad=False, n_params=0),
    LayerCase(layers.Hashing, dict(num_bins=5, output_mode="multi_hot"),
              input_shapes=((3, 2),), input_dtype="int32", id="Hashing-multi_hot"),
    LayerCase(layers.HashedCrossing, dict(num_bins=7), input_shapes=((3,), (3,)),
              input_dtype="int32", list_input=True, grad=False),
    # ----------------------------------------------------------------- numerical
    LayerCase(adapted(layers.Normalization, _NUMERIC), input_shapes=((4, 3),), n_params=0,
              n_state=3),
    LayerCase(layers.Normalization, dict(mean=[1.0, 2.0, 3.0], variance=[1.0, 4.0, 9.0],
                                         invert=True),
              input_shapes=((4, 3),), n_state=0, id="Normalization-given-invert"),
    LayerCase(adapted(layers.Normalization, [_NUMERIC[:8], _NUMERIC[8:]]), dict(axis=None),
              input_shapes=((4, 3),), n_state=3, id="Normalization-axis_none-batches"),
    LayerCase(layers.Discretization, dict(bin_boundaries=[-0.5, 0.0, 0.5]),
              input_shapes=((3, 4),), grad=False),
    LayerCase(adapted(layers.Discretization, _NUMERIC), dict(num_bins=4, output_mode="one_hot"),
              input_shapes=((3, 2),), id="Discretization-adapted-one_hot"),
    LayerCase(fresh(layers.SpectralNormalization, lambda: dict(layer=layers.Dense(3))),
              input_shapes=((2, 4),), n_params=2, n_state=1),
    LayerCase(fresh(layers.SpectralNormalization,
                    lambda: dict(layer=layers.Conv2D(2, 2), power_iterations=2)),
              input_shapes=((2, 4, 4, 1),), n_params=2, n_state=1,
              id="SpectralNormalization-conv"),
    # ----------------------------------------------------------------- image
    LayerCase(layers.Resizing, dict(height=3, width=4), input_shapes=IMAGES, n_params=0),
    LayerCase(layers.Resizing, dict(height=4, width=4, interpolation="nearest",
                                    pad_to_aspect_ratio=True, fill_value=1.0),
              input_shapes=IMAGES, id="Resizing-nearest-pad"),
    LayerCase(layers.Resizing, dict(height=3, width=3, crop_to_aspect_ratio=True,
                                    data_format="channels_first"),
              input_shapes=((2, 2, 6, 5),), id="Resizing-crop-cf"),
    LayerCase(layers.Rescaling, dict(scale=1 / 255.0, offset=-0.5), input_shapes=IMAGES),
    LayerCase(layers.CenterCrop, dict(height=3, width=3), input_shapes=IMAGES),
    LayerCase(layers.CenterCrop, dict(height=8, width=4), input_shapes=IMAGES,
              id="CenterCrop-upsize"),
    # ----------------------------------------------------------------- augmentation
    LayerCase(layers.RandomCrop, dict(height=4, width=3), input_shapes=IMAGES, random=True),
    LayerCase(layers.RandomFlip, dict(), input_shapes=IMAGES, random=True),
    LayerCase(layers.RandomFlip, dict(mode="vertical", data_format="channels_first"),
              input_shapes=((2, 2, 6, 5),), random=True, id="RandomFlip-vertical-cf"),
    LayerCase(layers.RandomTranslation, dict(height_factor=0.2, width_factor=(-0.3, 0.1)),
              input_shapes=IMAGES, random=True),
    LayerCase(layers.RandomRotation, dict(factor=0.1, fill_mode="constant",
                                          interpolation="nearest"),
              input_shapes=IMAGES, random=True),
    LayerCase(layers.RandomZoom, dict(height_factor=0.2, width_factor=0.3, fill_mode="wrap"),
              input_shapes=IMAGES, random=True),
    LayerCase(layers.RandomContrast, dict(factor=0.3), input_shapes=IMAGES, random=True),
    LayerCase(layers.RandomBrightness, dict(factor=(-0.2, 0.4), value_range=(0, 1)),
              input_shapes=((6, 5, 2),), random=True, batch_independent=False,
              id="RandomBrightness-unbatched"),
]
