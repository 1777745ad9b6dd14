"""LayerCases of the augmentation policies (RandAugment, AugMix).

Small RGB batches; the conformance checks run them at inference (the
identity) and ``test_random_layers_need_and_use_keys`` in training.
"""

from jaxlayers import layers
from tests.cases import LayerCase

IMAGES = ((2, 6, 5, 3),)
RANDOM = dict(input_shapes=IMAGES, random=True, n_params=0, n_state=0)

CASES = [
    LayerCase(layers.RandAugment, dict(value_range=(0, 1), num_ops=2, factor=0.4), **RANDOM),
    LayerCase(layers.RandAugment, dict(value_range=(-1, 1), num_ops=1, factor=(0.1, 0.3),
                                       interpolation="nearest",
                                       data_format="channels_first"),
              input_shapes=((2, 3, 6, 5),), random=True, id="RandAugment-cf"),
    LayerCase(layers.AugMix, dict(value_range=(0, 1), num_chains=2, chain_depth=2), **RANDOM),
    LayerCase(layers.AugMix, dict(value_range=(0, 255), num_chains=1, chain_depth=1,
                                  all_ops=False, alpha=0.5),
              input_shapes=((6, 5, 3),), random=True, id="AugMix-unbatched"),
]
