"""``jaxlayers.ops._layout``: the one rule for where channels and spatial axes are."""

import numpy as np
import pytest

from jaxlayers import errors, layers
from jaxlayers.ops import _layout as layout

CASES = [  # ndim, data_format, spatial axes, channel axis
    (3, "channels_last", (1,), 2),
    (4, "channels_last", (1, 2), 3),
    (5, "channels_first", (2, 3, 4), 1),
    (4, "channels_first", (2, 3), 1),
]


@pytest.mark.parametrize("ndim,data_format,spatial,channel", CASES)
def test_axes_match_an_explicit_array(ndim, data_format, spatial, channel):
    shape = tuple(range(2, ndim + 2))  # distinct sizes identify each axis
    x = np.zeros(shape)
    assert layout.spatial_axes(ndim, data_format) == spatial
    assert layout.channel_axis(data_format, ndim) == channel
    assert x.shape[layout.channel_axis(data_format)] == shape[channel]
    assert layout.spatial_shape(shape, data_format) == tuple(shape[a] for a in spatial)
    assert layout.assemble_shape(shape[0], layout.spatial_shape(shape, data_format),
                                 shape[channel], data_format) == shape


def test_image_axes_of_batched_and_unbatched_images():
    assert layout.spatial_axes(3, "channels_last", rank=2) == (0, 1)
    assert layout.spatial_axes(3, "channels_first", rank=2) == (1, 2)
    assert layout.with_spatial((2, 5, 6, 3), (7, 8), "channels_last") == (2, 7, 8, 3)
    assert layout.with_spatial((3, 5, 6), (7, 8), "channels_first") == (3, 7, 8)


def test_every_family_names_a_bad_rank_the_same_way():
    message = r"expects inputs of rank 4 \(batch, channels, height, width\)\. Received input"
    for layer in (layers.Conv2D(2, 3, data_format="channels_first"),
                  layers.MaxPooling2D(data_format="channels_first")):
        with pytest.raises(errors.ShapeError, match=message):
            layer.compute_output_shape((2, 3, 4))


def test_strided_dilation_has_one_wording():
    message = r"`strides` > 1 cannot be combined with `dilation_rate` > 1\. Received"
    for make in (lambda: layers.Conv2D(2, 3, strides=2, dilation_rate=2),
                 lambda: layers.Conv1DTranspose(2, 3, strides=2, dilation_rate=2),
                 lambda: layers.ConvLSTM2D(2, 3, strides=2, dilation_rate=2)):
        with pytest.raises(errors.ConfigError, match=message):
            make()


def test_the_public_ops_submodules_are_keras_names_only():
    import pkgutil

    import jaxlayers.ops

    public = {m.name for m in pkgutil.iter_modules(jaxlayers.ops.__path__)
              if not m.name.startswith("_")}
    assert public == {"core", "image", "linalg", "math", "nn", "numpy"}
