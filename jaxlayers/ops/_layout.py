"""Where the channel and spatial axes are in each ``data_format``: one home for the rule.

``'channels_last'`` arrays are ``(batch, *spatial, channels)``;
``'channels_first'`` arrays are ``(batch, channels, *spatial)``.  The
convolution, pooling, image and recurrent ops and the layers that describe
their shapes all ask these functions.

Example:
    >>> from jaxlayers.ops import _layout as layout
    >>> layout.spatial_axes(4, "channels_first"), layout.channel_axis("channels_first")
    ((2, 3), 1)
    >>> layout.assemble_shape(8, (5, 5), 3, "channels_last")
    (8, 5, 5, 3)
"""

__all__ = ["channel_axis", "spatial_axes", "spatial_shape", "assemble_shape", "with_spatial",
           "describe"]

_SPATIAL_NAMES = {1: ("steps",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def channel_axis(data_format, ndim=None):
    """The channel axis: ``1`` for channels first; for channels last ``ndim - 1``, or ``-1``
    when ``ndim`` is not given."""
    if data_format == "channels_first":
        return 1
    return -1 if ndim is None else ndim - 1


def spatial_axes(ndim, data_format, rank=None):
    """The (non-negative) spatial axes of a rank-``ndim`` array.

    Args:
        ndim: Rank of the array.
        data_format: ``'channels_last'`` or ``'channels_first'``.
        rank: Number of spatial axes, counted back from the channel axis at the
            end (channels last) or from the end (channels first); by default
            ``ndim - 2`` (one batch and one channel axis).  ``rank=2`` gives
            the height and width axes of a batched or unbatched image.
    """
    rank = ndim - 2 if rank is None else rank
    end = ndim - 1 if data_format == "channels_last" else ndim
    return tuple(range(end - rank, end))


def spatial_shape(shape, data_format):
    """The spatial sizes of a batched ``shape``."""
    return tuple(shape[a] for a in spatial_axes(len(shape), data_format))


def assemble_shape(batch, spatial, channels, data_format):
    """The full shape from a batch size, spatial sizes and a channel count."""
    if data_format == "channels_last":
        return (batch,) + tuple(spatial) + (channels,)
    return (batch, channels) + tuple(spatial)


def with_spatial(shape, spatial, data_format):
    """``shape`` with its last ``len(spatial)`` spatial sizes replaced by ``spatial``."""
    shape = list(shape)
    for axis, size in zip(spatial_axes(len(shape), data_format, len(spatial)), spatial):
        shape[axis] = size
    return tuple(shape)


def describe(rank, data_format):
    """The axes of a batched ``rank``-D input in words, for messages.

    Example:
        >>> describe(2, "channels_first")
        '(batch, channels, height, width)'
    """
    names = _SPATIAL_NAMES.get(rank) or tuple(f"dim{i + 1}" for i in range(rank))
    return "(" + ", ".join(assemble_shape("batch", names, "channels", data_format)) + ")"
