"""Input-shape checks shared by the layer families that take ``data_format`` inputs."""

from jaxlayers.errors import ShapeError
from jaxlayers.ops import _layout as layout


def check_spatial_rank(who, input_shape, rank, data_format):
    """``input_shape`` as a tuple, or a ``ShapeError`` unless it has ``rank`` spatial axes."""
    input_shape = tuple(input_shape)
    if len(input_shape) != rank + 2:
        raise ShapeError(
            f"{who} expects inputs of rank {rank + 2} {layout.describe(rank, data_format)}. "
            f"Received input shape {input_shape}. For a single example add a batch axis: "
            f"x[None]."
        )
    return input_shape


__all__ = ["check_spatial_rank"]
