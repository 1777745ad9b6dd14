"""Numpy ops that move, select or combine entries: shapes, joins, splits and indexing."""

import operator

import jax.numpy as jnp

from jaxlayers.ops import _args
from jaxlayers.ops._numpy_dtypes import tensor


def _seq(xs):
    return [tensor(x) for x in xs]


def reshape(x, newshape):
    """``x`` with shape ``newshape`` (one entry may be -1, inferred from the size).

    Raises:
        ConfigError: an entry is below -1, or more than one entry is -1.
    """
    try:
        newshape = tuple(newshape)
    except TypeError:
        newshape = (newshape,)
    dims = [d for d in newshape if isinstance(d, int)]
    if any(d < -1 for d in dims) or dims.count(-1) > 1:
        raise _args.invalid("reshape", "newshape", newshape,
                            "non-negative ints with at most one -1")
    return jnp.reshape(tensor(x), newshape)


def ravel(x):
    """``x`` flattened to 1-D."""
    return jnp.ravel(tensor(x))


def expand_dims(x, axis):
    """``x`` with a new axis of size 1 at ``axis`` (an int or a tuple of ints)."""
    return jnp.expand_dims(tensor(x), axis)


def squeeze(x, axis=None):
    """``x`` without its size-1 axes (only ``axis`` when given)."""
    return jnp.squeeze(tensor(x), axis=axis)


def transpose(x, axes=None):
    """``x`` with its axes permuted by ``axes`` (reversed when ``None``)."""
    return jnp.transpose(tensor(x), axes)


def swapaxes(x, axis1, axis2):
    """``x`` with ``axis1`` and ``axis2`` exchanged."""
    return jnp.swapaxes(tensor(x), axis1, axis2)


def moveaxis(x, source, destination):
    """``x`` with the axes ``source`` moved to ``destination`` (ints or tuples)."""
    return jnp.moveaxis(tensor(x), source, destination)


def broadcast_to(x, shape):
    """``x`` broadcast to ``shape``."""
    return jnp.broadcast_to(tensor(x), shape)


def ndim(x):
    """The number of axes of ``x``."""
    return jnp.ndim(x)


def size(x):
    """The number of entries of ``x``."""
    return jnp.size(x)


def concatenate(xs, axis=0):
    """The arrays ``xs`` joined along the existing ``axis``."""
    return jnp.concatenate(_seq(xs), axis=axis)


def append(x1, x2, axis=None):
    """``x2`` joined after ``x1`` along ``axis`` (both flattened when ``None``)."""
    return jnp.append(tensor(x1), tensor(x2), axis=axis)


def stack(x, axis=0):
    """The same-shaped arrays ``x`` joined along a new ``axis``."""
    return jnp.stack(_seq(x), axis=axis)


def hstack(xs):
    """The arrays ``xs`` joined column-wise (along axis 1, or 0 for 1-D arrays)."""
    return jnp.hstack(_seq(xs))


def vstack(xs):
    """The arrays ``xs`` joined row-wise (1-D arrays become rows)."""
    return jnp.vstack(_seq(xs))


def dstack(xs):
    """The arrays ``xs`` joined along the third axis (made at least 3-D first)."""
    return jnp.dstack(_seq(xs))


def split(x, indices_or_sections, axis=0):
    """``x`` split along ``axis`` into equal sections, or at the given indices."""
    return jnp.split(tensor(x), indices_or_sections, axis=axis)


def array_split(x, indices_or_sections, axis=0):
    """``x`` split along ``axis`` into ``indices_or_sections`` nearly equal parts.

    Raises:
        ConfigTypeError: ``indices_or_sections`` or ``axis`` is not an int.
        ConfigError: ``indices_or_sections`` is not positive.
    """
    if not isinstance(indices_or_sections, int) or isinstance(indices_or_sections, bool):
        raise _args.type_error("array_split", "indices_or_sections", indices_or_sections, "an int")
    if indices_or_sections <= 0:
        raise _args.invalid("array_split", "indices_or_sections", indices_or_sections,
                            "a positive int")
    if not isinstance(axis, int):
        raise _args.type_error("array_split", "axis", axis, "an int")
    return jnp.array_split(tensor(x), indices_or_sections, axis=axis)


def hsplit(x, indices_or_sections):
    """``x`` split column-wise (along axis 1, or 0 for 1-D ``x``)."""
    return jnp.hsplit(tensor(x), indices_or_sections)


def vsplit(x, indices_or_sections):
    """``x`` split row-wise (along axis 0)."""
    return jnp.vsplit(tensor(x), indices_or_sections)


def dsplit(x, indices_or_sections):
    """``x`` split along its third axis."""
    return jnp.dsplit(tensor(x), indices_or_sections)


def flip(x, axis=None):
    """``x`` with the order of entries reversed along ``axis`` (all axes when ``None``)."""
    return jnp.flip(tensor(x), axis=axis)


def fliplr(x):
    """``x`` reversed along axis 1."""
    return jnp.fliplr(tensor(x))


def flipud(x):
    """``x`` reversed along axis 0."""
    return jnp.flipud(tensor(x))


def rot90(array, k=1, axes=(0, 1)):
    """``array`` rotated ``k`` times by 90 degrees in the plane ``axes``.

    Raises:
        ConfigError: ``array`` has fewer than 2 axes, or ``axes`` is not two
            different axes.
    """
    array = tensor(array)
    if array.ndim < 2:
        raise _args.invalid("rot90", "array", f"<array of shape {array.shape}>", "at least 2-D")
    if len(axes) != 2 or axes[0] == axes[1]:
        raise _args.invalid("rot90", "axes", axes, "two different axes")
    return jnp.rot90(array, k=k, axes=tuple(axes))


def roll(x, shift, axis=None):
    """``x`` with entries shifted by ``shift`` along ``axis`` (of the flattened ``x``)."""
    return jnp.roll(tensor(x), shift, axis=axis)


def repeat(x, repeats, axis=None):
    """Each entry of ``x`` repeated ``repeats`` times along ``axis`` (flattened when None)."""
    return jnp.repeat(tensor(x), repeats, axis=axis)


def tile(x, repeats):
    """``x`` repeated ``repeats`` times along each axis."""
    return jnp.tile(tensor(x), repeats)


def pad(x, pad_width, mode="constant", constant_values=None):
    """``x`` padded by ``pad_width`` (``(before, after)`` per axis, or one pair for all).

    Raises:
        ConfigError: ``constant_values`` is given with a ``mode`` other than
            ``'constant'``, or ``pad_width`` does not match the rank of ``x``.
    """
    x = tensor(x)
    widths = _pad_widths(pad_width)
    if len(widths) > 1 and len(widths) != x.ndim:
        raise _args.invalid("pad", "pad_width", pad_width,
                   f"one pair or {x.ndim} pairs (the rank of x)")
    kwargs = {}
    if constant_values is not None:
        if mode != "constant":
            raise _args.invalid("pad", "mode", mode, "'constant' when `constant_values` is given")
        kwargs["constant_values"] = constant_values
    return jnp.pad(x, widths, mode=mode, **kwargs)


def _pad_widths(pad_width):
    if isinstance(pad_width, int):
        return ((pad_width, pad_width),)
    pad_width = list(pad_width)
    if pad_width and isinstance(pad_width[0], int):
        return (tuple(pad_width),)
    lengths = {len(pair) for pair in pad_width}
    if len(lengths) > 1 or not lengths <= {1, 2}:
        raise _args.invalid("pad", "pad_width", pad_width, "pairs of one length (1 or 2)")
    return tuple((p[0], p[0]) if len(p) == 1 else tuple(p) for p in pad_width)


def take(x, indices, axis=None):
    """Entries of ``x`` at ``indices`` along ``axis`` (of the flattened ``x`` when None)."""
    return jnp.take(tensor(x), tensor(indices), axis=axis)


def take_along_axis(x, indices, axis=None):
    """Entries of ``x`` at ``indices``, matched along ``axis`` (e.g. from ``argsort``)."""
    return jnp.take_along_axis(tensor(x), tensor(indices), axis=axis)


def get_item(x, key):
    """``x[key]`` (numpy indexing)."""
    return operator.getitem(tensor(x), key)


def where(condition, x1=None, x2=None):
    """``x1`` where ``condition`` holds, else ``x2``; with neither, the indices of true entries.

    Raises:
        ConfigError: only one of ``x1`` and ``x2`` is given.
    """
    if (x1 is None) != (x2 is None):
        raise _args.invalid("where", "x1", x1, "given together with `x2` (or both None)")
    if x1 is None:
        return jnp.where(tensor(condition))
    return jnp.where(tensor(condition), tensor(x1), tensor(x2))


def select(condlist, choicelist, default=0):
    """Entries of ``choicelist[i]`` for the first ``condlist[i]`` that holds, else ``default``.

    Raises:
        ConfigError: ``condlist`` or ``choicelist`` is not a non-empty list or tuple.
    """
    for arg, value in (("condlist", condlist), ("choicelist", choicelist)):
        if not isinstance(value, (list, tuple)) or not value:
            raise _args.invalid("select", arg, value, "a non-empty list or tuple")
    return jnp.select(_seq(condlist), _seq(choicelist), default)


def nonzero(x):
    """Indices of the non-zero entries of ``x``, one array per axis (not under ``jit``)."""
    return jnp.nonzero(tensor(x))


def unravel_index(indices, shape):
    """Flat ``indices`` turned into a tuple of coordinate arrays for ``shape``."""
    return jnp.unravel_index(tensor(indices), shape)


def isin(x1, x2, assume_unique=False, invert=False):
    """Whether each entry of ``x1`` is in ``x2`` (or is not, with ``invert``)."""
    return jnp.isin(tensor(x1), tensor(x2), assume_unique=assume_unique, invert=invert)


def diag(x, k=0):
    """The ``k``-th diagonal of a 2-D ``x``, or a 2-D array with the 1-D ``x`` on it."""
    return jnp.diag(tensor(x), k=k)


def diagflat(x, k=0):
    """A 2-D array with the flattened ``x`` on its ``k``-th diagonal."""
    return jnp.diagflat(tensor(x), k=k)


def diagonal(x, offset=0, axis1=0, axis2=1):
    """The ``offset`` diagonal of ``x`` in the plane ``(axis1, axis2)``.

    Raises:
        ConfigError: ``axis1`` and ``axis2`` name the same axis.
    """
    x = tensor(x)
    if axis1 % max(x.ndim, 1) == axis2 % max(x.ndim, 1):
        raise _args.invalid("diagonal", "axis2", axis2, f"an axis other than axis1={axis1}")
    return jnp.diagonal(x, offset=offset, axis1=axis1, axis2=axis2)


def tril(x, k=0):
    """``x`` with the entries above the ``k``-th diagonal set to zero."""
    return jnp.tril(tensor(x), k=k)


def triu(x, k=0):
    """``x`` with the entries below the ``k``-th diagonal set to zero."""
    return jnp.triu(tensor(x), k=k)


def vectorize(pyfunc, *, excluded=None, signature=None):
    """``pyfunc`` mapped over array arguments (``jnp.vectorize``, a generalized ufunc)."""
    return jnp.vectorize(pyfunc, excluded=set() if excluded is None else excluded,
                         signature=signature)
