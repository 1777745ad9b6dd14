"""LayerCases of the color, filter and geometric augmentation layers (issue 14, part a)."""

from jaxlayers import layers
from tests.cases import LayerCase

RGB = ((2, 6, 5, 3),)
RGB_CF = ((2, 3, 6, 5),)

CASES = [
    LayerCase(layers.RandomHue, dict(factor=0.5, value_range=(-3, 3)), input_shapes=RGB,
              random=True, n_params=0, n_state=0),
    LayerCase(layers.RandomSaturation, dict(factor=(0.2, 0.9), value_range=(-3, 3),
                                            data_format="channels_first"),
              input_shapes=RGB_CF, random=True, id="RandomSaturation-cf"),
    LayerCase(layers.RandomColorDegeneration, dict(factor=0.7, value_range=(-3, 3)),
              input_shapes=RGB, random=True),
    LayerCase(layers.RandomColorJitter, dict(value_range=(-3, 3), brightness_factor=0.2,
                                             contrast_factor=0.3, saturation_factor=0.6,
                                             hue_factor=0.1),
              input_shapes=RGB, random=True),
    LayerCase(layers.RandomSharpness, dict(factor=(0.1, 0.9), value_range=(-3, 3)),
              input_shapes=((6, 5, 3),), random=True, batch_independent=False,
              id="RandomSharpness-unbatched"),
    LayerCase(layers.RandomGaussianBlur, dict(factor=0.8, kernel_size=(3, 5), sigma=(0.5, 1.5),
                                              value_range=(-3, 3),
                                              data_format="channels_first"),
              input_shapes=RGB_CF, random=True, id="RandomGaussianBlur-cf"),
    LayerCase(layers.ContrastLimitedAdaptiveHistogramEqualization,
              dict(value_range=(-3, 3), clip_limit=2.0, tile_grid_size=(2, 2)),
              input_shapes=RGB, n_params=0, n_state=0),
    LayerCase(layers.RandomShear, dict(x_factor=0.3, y_factor=(0.1, 0.2), fill_mode="constant"),
              input_shapes=RGB, random=True),
    LayerCase(layers.RandomPerspective, dict(factor=(0.5, 1.0), scale=0.4,
                                             interpolation="nearest"),
              input_shapes=RGB, random=True),
    LayerCase(layers.RandomElasticTransform, dict(scale=(0.3, 0.9), value_range=(-3, 3),
                                                  data_format="channels_first"),
              input_shapes=RGB_CF, random=True, id="RandomElasticTransform-cf"),
]
