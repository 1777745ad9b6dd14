"""LayerCases of the tone and mixing augmentation layers (CutMix, MixUp, ...).

Inputs are small RGB batches; CutMix and MixUp mix images across the batch,
so their rows are not batch independent.
"""

import numpy as np

from jaxlayers import layers
from tests.cases import LayerCase, fresh

IMAGES = ((2, 6, 5, 3),)
RANDOM = dict(input_shapes=IMAGES, random=True, n_params=0, n_state=0)


def _boxes(rng):
    return [{
        "images": rng.random((2, 4, 4, 3)).astype("float32"),
        "bounding_boxes": {"boxes": rng.random((2, 3, 4)).astype("float32"),
                           "labels": rng.integers(0, 5, (2, 3)).astype("float32")},
    }]


def _labelled(rng):
    return [{"images": rng.random((3, 4, 4, 3)).astype("float32"),
             "labels": np.eye(3, dtype="float32")}]


CASES = [
    LayerCase(layers.RandomGrayscale, dict(factor=0.7), **RANDOM),
    LayerCase(layers.RandomGrayscale, dict(data_format="channels_first"),
              input_shapes=((2, 3, 6, 5),), random=True, id="RandomGrayscale-cf"),
    LayerCase(layers.RandomInvert, dict(value_range=(-1, 1)), **RANDOM),
    LayerCase(layers.Solarization, dict(addition_factor=0.2, threshold_factor=(0.3, 0.6),
                                        value_range=(0, 1)), **RANDOM),
    LayerCase(layers.RandomPosterization, dict(factor=(2, 6), value_range=(-3, 3)),
              **RANDOM),
    LayerCase(layers.AutoContrast, dict(value_range=(-3, 3)), input_shapes=IMAGES,
              n_params=0),
    LayerCase(layers.AutoContrast, dict(data_format="channels_first"),
              input_shapes=((6, 3, 5),), id="AutoContrast-unbatched-cf"),
    LayerCase(layers.Equalization, dict(value_range=(-3, 3), bins=32), input_shapes=IMAGES),
    LayerCase(layers.CutMix, dict(factor=0.5), batch_independent=False, **RANDOM),
    LayerCase(layers.CutMix, dict(), inputs_fn=_labelled, random=True,
              batch_independent=False, id="CutMix-labels"),
    LayerCase(layers.MixUp, dict(alpha=0.4), batch_independent=False, **RANDOM),
    LayerCase(layers.MixUp, dict(data_format="channels_first"), inputs_fn=_labelled,
              random=True, batch_independent=False, id="MixUp-labels"),
    LayerCase(layers.RandomErasing, dict(scale=(0.1, 0.4), value_range=(-2, 2)), **RANDOM),
    LayerCase(layers.RandomErasing, dict(fill_value=[0.5, 0.0, 1.0], value_range=(0, 1),
                                         data_format="channels_first"),
              input_shapes=((2, 3, 6, 5),), random=True, id="RandomErasing-fill-cf"),
    LayerCase(layers.MaxNumBoundingBoxes, dict(max_number=2), input_shapes=IMAGES),
    LayerCase(layers.MaxNumBoundingBoxes, dict(max_number=5, bounding_box_format="xyxy"),
              inputs_fn=_boxes, id="MaxNumBoundingBoxes-boxes"),
    LayerCase(fresh(layers.Pipeline, lambda: dict(layers=[
        layers.RandomInvert(value_range=(0, 1)), layers.AutoContrast(value_range=(0, 1)),
        layers.Rescaling(0.5)])), input_shapes=IMAGES, random=True, n_params=0),
]
