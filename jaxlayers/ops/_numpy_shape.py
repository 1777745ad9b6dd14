"""Numpy ops that move, select or combine entries: shapes, joins, splits and indexing."""

import operator

import jax.numpy as jnp

from jaxlayers.ops import _args
from jaxlayers.ops._numpy_dtypes import tensor


def _seq(xs):
    return [tensor(x) for x in xs]


def reshape(x, newshape):
    """``x`` with shape ``newshape`` (one entry may be -1, inferred from the size).

    Args:
        x: Array-like input.
        newshape: Int or tuple of ints, one of which may be -1.

    Raises:
        ConfigError: an entry is below -1, or more than one entry is -1.

    Example:
        >>> jl.ops.numpy.reshape(np.arange(6), (2, -1)).shape
        (2, 3)
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
    """``x`` flattened to 1-D.

    Args:
        x: Array-like input.

    Example:
        >>> jl.ops.numpy.ravel(np.array([[1, 2], [3, 4]]))
        Array([1, 2, 3, 4], dtype=int32)
    """
    return jnp.ravel(tensor(x))


def expand_dims(x, axis):
    """``x`` with a new axis of size 1 at ``axis`` (an int or a tuple of ints).

    Args:
        x: Array-like input.
        axis: Int or tuple of ints, where the new axes go.

    Example:
        >>> jl.ops.numpy.expand_dims(np.zeros((2, 3)), 0).shape
        (1, 2, 3)
    """
    return jnp.expand_dims(tensor(x), axis)


def squeeze(x, axis=None):
    """``x`` without its size-1 axes (only ``axis`` when given).

    Args:
        x: Array-like input.
        axis: Int or tuple of size-1 axes to drop; ``None`` drops all.

    Example:
        >>> jl.ops.numpy.squeeze(np.zeros((1, 2, 1))).shape
        (2,)
    """
    return jnp.squeeze(tensor(x), axis=axis)


def transpose(x, axes=None):
    """``x`` with its axes permuted by ``axes`` (reversed when ``None``).

    Args:
        x: Array-like input.
        axes: A permutation of ``range(x.ndim)``; ``None`` reverses the axes.

    Example:
        >>> jl.ops.numpy.transpose(np.zeros((2, 3, 4)), (0, 2, 1)).shape
        (2, 4, 3)
    """
    return jnp.transpose(tensor(x), axes)


def swapaxes(x, axis1, axis2):
    """``x`` with ``axis1`` and ``axis2`` exchanged.

    Args:
        x: Array-like input.
        axis1: First int axis.
        axis2: Second int axis.

    Example:
        >>> jl.ops.numpy.swapaxes(np.zeros((2, 3, 4)), 0, 2).shape
        (4, 3, 2)
    """
    return jnp.swapaxes(tensor(x), axis1, axis2)


def moveaxis(x, source, destination):
    """``x`` with the axes ``source`` moved to ``destination`` (ints or tuples).

    Args:
        x: Array-like input.
        source: Int or tuple, the axes to move.
        destination: Int or tuple, their new positions.

    Example:
        >>> jl.ops.numpy.moveaxis(np.zeros((2, 3, 4)), 0, -1).shape
        (3, 4, 2)
    """
    return jnp.moveaxis(tensor(x), source, destination)


def broadcast_to(x, shape):
    """``x`` broadcast to ``shape``.

    Args:
        x: Array-like input.
        shape: Tuple of ints, the target shape.

    Example:
        >>> jl.ops.numpy.broadcast_to(np.array([1, 2]), (2, 2)).tolist()
        [[1, 2], [1, 2]]
    """
    return jnp.broadcast_to(tensor(x), shape)


def ndim(x):
    """The number of axes of ``x``.

    Args:
        x: Array-like input.

    Example:
        >>> jl.ops.numpy.ndim(np.zeros((2, 3)))
        2
    """
    return jnp.ndim(x)


def size(x):
    """The number of entries of ``x``.

    Args:
        x: Array-like input.

    Example:
        >>> jl.ops.numpy.size(np.zeros((2, 3)))
        6
    """
    return jnp.size(x)


def concatenate(xs, axis=0):
    """The arrays ``xs`` joined along the existing ``axis``.

    Args:
        xs: A sequence of array-likes with equal shapes except along ``axis``.
        axis: Int axis to join along.

    Example:
        >>> jl.ops.numpy.concatenate([np.array([1, 2]), np.array([3])])
        Array([1, 2, 3], dtype=int32)
    """
    return jnp.concatenate(_seq(xs), axis=axis)


def append(x1, x2, axis=None):
    """``x2`` joined after ``x1`` along ``axis`` (both flattened when ``None``).

    Args:
        x1: Array-like input.
        x2: Array-like to append.
        axis: Int axis to join along; ``None`` flattens both.

    Example:
        >>> jl.ops.numpy.append(np.array([1, 2]), np.array([3]))
        Array([1, 2, 3], dtype=int32)
    """
    return jnp.append(tensor(x1), tensor(x2), axis=axis)


def stack(x, axis=0):
    """The same-shaped arrays ``x`` joined along a new ``axis``.

    Args:
        x: A sequence of array-likes of one shape.
        axis: Int position of the new axis.

    Example:
        >>> jl.ops.numpy.stack([np.zeros(3), np.ones(3)], axis=1).shape
        (3, 2)
    """
    return jnp.stack(_seq(x), axis=axis)


def hstack(xs):
    """The arrays ``xs`` joined column-wise (along axis 1, or 0 for 1-D arrays).

    Args:
        xs: A sequence of array-likes.

    Example:
        >>> jl.ops.numpy.hstack([np.array([1, 2]), np.array([3])])
        Array([1, 2, 3], dtype=int32)
    """
    return jnp.hstack(_seq(xs))


def vstack(xs):
    """The arrays ``xs`` joined row-wise (1-D arrays become rows).

    Args:
        xs: A sequence of array-likes.

    Example:
        >>> jl.ops.numpy.vstack([np.array([1, 2]), np.array([3, 4])]).tolist()
        [[1, 2], [3, 4]]
    """
    return jnp.vstack(_seq(xs))


def dstack(xs):
    """The arrays ``xs`` joined along the third axis (made at least 3-D first).

    Args:
        xs: A sequence of array-likes.

    Example:
        >>> jl.ops.numpy.dstack([np.zeros((2, 2)), np.ones((2, 2))]).shape
        (2, 2, 2)
    """
    return jnp.dstack(_seq(xs))


def split(x, indices_or_sections, axis=0):
    """``x`` split along ``axis`` into equal sections, or at the given indices.

    Args:
        x: Array-like input.
        indices_or_sections: An int (number of sections) or a list of split indices.
        axis: Int axis to split along.

    Example:
        >>> [p.tolist() for p in jl.ops.numpy.split(np.arange(6), 3)]
        [[0, 1], [2, 3], [4, 5]]
    """
    return jnp.split(tensor(x), indices_or_sections, axis=axis)


def array_split(x, indices_or_sections, axis=0):
    """``x`` split along ``axis`` into ``indices_or_sections`` nearly equal parts.

    Args:
        x: Array-like input.
        indices_or_sections: An int (number of sections) or a list of split indices.
        axis: Int axis to split along.

    Raises:
        ConfigTypeError: ``indices_or_sections`` or ``axis`` is not an int.
        ConfigError: ``indices_or_sections`` is not positive.

    Example:
        >>> [p.tolist() for p in jl.ops.numpy.array_split(np.arange(5), 2)]
        [[0, 1, 2], [3, 4]]
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
    """``x`` split column-wise (along axis 1, or 0 for 1-D ``x``).

    Args:
        x: Array-like input.
        indices_or_sections: An int (number of sections) or a list of split indices.

    Example:
        >>> [p.shape for p in jl.ops.numpy.hsplit(np.zeros((2, 4)), 2)]
        [(2, 2), (2, 2)]
    """
    return jnp.hsplit(tensor(x), indices_or_sections)


def vsplit(x, indices_or_sections):
    """``x`` split row-wise (along axis 0).

    Args:
        x: Array-like input.
        indices_or_sections: An int (number of sections) or a list of split indices.

    Example:
        >>> [p.shape for p in jl.ops.numpy.vsplit(np.zeros((4, 2)), [1])]
        [(1, 2), (3, 2)]
    """
    return jnp.vsplit(tensor(x), indices_or_sections)


def dsplit(x, indices_or_sections):
    """``x`` split along its third axis.

    Args:
        x: Array-like input.
        indices_or_sections: An int (number of sections) or a list of split indices.

    Example:
        >>> [p.shape for p in jl.ops.numpy.dsplit(np.zeros((1, 1, 4)), 2)]
        [(1, 1, 2), (1, 1, 2)]
    """
    return jnp.dsplit(tensor(x), indices_or_sections)


def flip(x, axis=None):
    """``x`` with the order of entries reversed along ``axis`` (all axes when ``None``).

    Args:
        x: Array-like input.
        axis: Int or tuple of axes to reverse; ``None`` reverses all.

    Example:
        >>> jl.ops.numpy.flip(np.array([1, 2, 3]))
        Array([3, 2, 1], dtype=int32)
    """
    return jnp.flip(tensor(x), axis=axis)


def fliplr(x):
    """``x`` reversed along axis 1.

    Args:
        x: Array-like with at least 2 axes.

    Example:
        >>> jl.ops.numpy.fliplr(np.array([[1, 2], [3, 4]])).tolist()
        [[2, 1], [4, 3]]
    """
    return jnp.fliplr(tensor(x))


def flipud(x):
    """``x`` reversed along axis 0.

    Args:
        x: Array-like input.

    Example:
        >>> jl.ops.numpy.flipud(np.array([[1, 2], [3, 4]])).tolist()
        [[3, 4], [1, 2]]
    """
    return jnp.flipud(tensor(x))


def rot90(array, k=1, axes=(0, 1)):
    """``array`` rotated ``k`` times by 90 degrees in the plane ``axes``.

    Args:
        array: Array-like with at least 2 axes.
        k: Number of quarter turns (counter-clockwise).
        axes: The two axes of the rotation plane.

    Raises:
        ConfigError: ``array`` has fewer than 2 axes, or ``axes`` is not two
            different axes.

    Example:
        >>> jl.ops.numpy.rot90(np.array([[1, 2], [3, 4]])).tolist()
        [[2, 4], [1, 3]]
    """
    array = tensor(array)
    if array.ndim < 2:
        raise _args.invalid("rot90", "array", f"<array of shape {array.shape}>", "at least 2-D")
    if len(axes) != 2 or axes[0] == axes[1]:
        raise _args.invalid("rot90", "axes", axes, "two different axes")
    return jnp.rot90(array, k=k, axes=tuple(axes))


def roll(x, shift, axis=None):
    """``x`` with entries shifted by ``shift`` along ``axis`` (of the flattened ``x``).

    Args:
        x: Array-like input.
        shift: Int or tuple of ints, positions to shift by.
        axis: Int or tuple of axes; ``None`` rolls the flattened array.

    Example:
        >>> jl.ops.numpy.roll(np.array([1, 2, 3]), 1)
        Array([3, 1, 2], dtype=int32)
    """
    return jnp.roll(tensor(x), shift, axis=axis)


def repeat(x, repeats, axis=None):
    """Each entry of ``x`` repeated ``repeats`` times along ``axis`` (flattened when None).

    Args:
        x: Array-like input.
        repeats: Int or array of ints, per-entry counts.
        axis: Int axis; ``None`` repeats the flattened array.

    Example:
        >>> jl.ops.numpy.repeat(np.array([1, 2]), 2)
        Array([1, 1, 2, 2], dtype=int32)
    """
    return jnp.repeat(tensor(x), repeats, axis=axis)


def tile(x, repeats):
    """``x`` repeated ``repeats`` times along each axis.

    Args:
        x: Array-like input.
        repeats: Int or tuple of ints, copies per axis.

    Example:
        >>> jl.ops.numpy.tile(np.array([1, 2]), 2)
        Array([1, 2, 1, 2], dtype=int32)
    """
    return jnp.tile(tensor(x), repeats)


def pad(x, pad_width, mode="constant", constant_values=None):
    """``x`` padded by ``pad_width`` (``(before, after)`` per axis, or one pair for all).

    Args:
        x: Array-like input.
        pad_width: Int, ``(before, after)`` or one such pair per axis.
        mode: ``'constant'``, ``'edge'``, ``'reflect'``, ``'symmetric'``, ... (numpy's
            modes).
        constant_values: Fill value for ``'constant'`` mode; ``None`` means 0.

    Raises:
        ConfigError: ``constant_values`` is given with a ``mode`` other than
            ``'constant'``, or ``pad_width`` does not match the rank of ``x``.

    Example:
        >>> jl.ops.numpy.pad(np.array([1, 2]), (1, 2))
        Array([0, 1, 2, 0, 0], dtype=int32)
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
    """Entries of ``x`` at ``indices`` along ``axis`` (of the flattened ``x`` when None).

    Args:
        x: Array-like input.
        indices: Int array-like of indices.
        axis: Int axis; ``None`` indexes the flattened array.

    Example:
        >>> jl.ops.numpy.take(np.array([10, 20, 30]), np.array([2, 0]))
        Array([30, 10], dtype=int32)
    """
    return jnp.take(tensor(x), tensor(indices), axis=axis)


def take_along_axis(x, indices, axis=None):
    """Entries of ``x`` at ``indices``, matched along ``axis`` (e.g. from ``argsort``).

    Args:
        x: Array-like input.
        indices: Int array with ``x``'s number of axes.
        axis: Int axis to index along; ``None`` uses the flattened array.

    Example:
        >>> x = np.array([[3, 1], [0, 2]])
        >>> jl.ops.numpy.take_along_axis(x, np.argsort(x, axis=1), axis=1).tolist()
        [[1, 3], [0, 2]]
    """
    return jnp.take_along_axis(tensor(x), tensor(indices), axis=axis)


def get_item(x, key):
    """``x[key]`` (numpy indexing).

    Args:
        x: Array-like input.
        key: Any numpy index: int, slice, tuple, boolean or int array.

    Example:
        >>> jl.ops.numpy.get_item(np.array([[1, 2], [3, 4]]), (1, 0))
        Array(3, dtype=int32)
    """
    return operator.getitem(tensor(x), key)


def where(condition, x1=None, x2=None):
    """``x1`` where ``condition`` holds, else ``x2``; with neither, the indices of true entries.

    Args:
        condition: Boolean array-like.
        x1: Values where ``condition`` holds.
        x2: Values elsewhere, broadcastable with ``x1``.

    Raises:
        ConfigError: only one of ``x1`` and ``x2`` is given.

    Example:
        >>> jl.ops.numpy.where(np.array([True, False]), np.array([1, 2]), 0)
        Array([1, 0], dtype=int32)
    """
    if (x1 is None) != (x2 is None):
        raise _args.invalid("where", "x1", x1, "given together with `x2` (or both None)")
    if x1 is None:
        return jnp.where(tensor(condition))
    return jnp.where(tensor(condition), tensor(x1), tensor(x2))


def select(condlist, choicelist, default=0):
    """Entries of ``choicelist[i]`` for the first ``condlist[i]`` that holds, else ``default``.

    Args:
        condlist: A list of boolean arrays.
        choicelist: A list of arrays, one per condition.
        default: Value where no condition holds.

    Raises:
        ConfigError: ``condlist`` or ``choicelist`` is not a non-empty list or tuple.

    Example:
        >>> x = np.array([-1, 0, 2])
        >>> jl.ops.numpy.select([x < 0, x > 0], [np.full(3, -1), np.full(3, 1)])
        Array([-1,  0,  1], dtype=int32)
    """
    for arg, value in (("condlist", condlist), ("choicelist", choicelist)):
        if not isinstance(value, (list, tuple)) or not value:
            raise _args.invalid("select", arg, value, "a non-empty list or tuple")
    return jnp.select(_seq(condlist), _seq(choicelist), default)


def nonzero(x):
    """Indices of the non-zero entries of ``x``, one array per axis (not under ``jit``).

    Args:
        x: Array-like input.

    Example:
        >>> jl.ops.numpy.nonzero(np.array([0, 3, 0, 4]))
        (Array([1, 3], dtype=int32),)
    """
    return jnp.nonzero(tensor(x))


def unravel_index(indices, shape):
    """Flat ``indices`` turned into a tuple of coordinate arrays for ``shape``.

    Args:
        indices: Int array-like of flat indices.
        shape: Tuple of ints, the array shape the indices refer to.

    Example:
        >>> jl.ops.numpy.unravel_index(np.array([5]), (2, 3))
        (Array([1], dtype=int32), Array([2], dtype=int32))
    """
    return jnp.unravel_index(tensor(indices), shape)


def isin(x1, x2, assume_unique=False, invert=False):
    """Whether each entry of ``x1`` is in ``x2`` (or is not, with ``invert``).

    Args:
        x1: Array-like input.
        x2: Array-like of the values to look for.
        assume_unique: Whether both inputs hold unique values (a speed hint).
        invert: Whether to return the negation.

    Example:
        >>> jl.ops.numpy.isin(np.array([1, 2, 3]), np.array([2, 3]))
        Array([False,  True,  True], dtype=bool)
    """
    return jnp.isin(tensor(x1), tensor(x2), assume_unique=assume_unique, invert=invert)


def diag(x, k=0):
    """The ``k``-th diagonal of a 2-D ``x``, or a 2-D array with the 1-D ``x`` on it.

    Args:
        x: 1-D or 2-D array-like.
        k: Diagonal offset: 0 is the main diagonal, positive above, negative below.

    Example:
        >>> jl.ops.numpy.diag(np.array([1, 2])).tolist()
        [[1, 0], [0, 2]]
    """
    return jnp.diag(tensor(x), k=k)


def diagflat(x, k=0):
    """A 2-D array with the flattened ``x`` on its ``k``-th diagonal.

    Args:
        x: Array-like input.
        k: Diagonal offset: 0 is the main diagonal, positive above, negative below.

    Example:
        >>> jl.ops.numpy.diagflat(np.array([[1, 2]])).tolist()
        [[1, 0], [0, 2]]
    """
    return jnp.diagflat(tensor(x), k=k)


def diagonal(x, offset=0, axis1=0, axis2=1):
    """The ``offset`` diagonal of ``x`` in the plane ``(axis1, axis2)``.

    Args:
        x: Array-like input.
        offset: Diagonal offset: positive above the main diagonal, negative below.
        axis1: First axis of the plane.
        axis2: Second axis of the plane.

    Raises:
        ConfigError: ``axis1`` and ``axis2`` name the same axis.

    Example:
        >>> jl.ops.numpy.diagonal(np.array([[1, 2], [3, 4]]))
        Array([1, 4], dtype=int32)
    """
    x = tensor(x)
    if axis1 % max(x.ndim, 1) == axis2 % max(x.ndim, 1):
        raise _args.invalid("diagonal", "axis2", axis2, f"an axis other than axis1={axis1}")
    return jnp.diagonal(x, offset=offset, axis1=axis1, axis2=axis2)


def tril(x, k=0):
    """``x`` with the entries above the ``k``-th diagonal set to zero.

    Args:
        x: Array-like input.
        k: Diagonal offset: 0 is the main diagonal, positive above, negative below.

    Example:
        >>> jl.ops.numpy.tril(np.array([[1, 2], [3, 4]])).tolist()
        [[1, 0], [3, 4]]
    """
    return jnp.tril(tensor(x), k=k)


def triu(x, k=0):
    """``x`` with the entries below the ``k``-th diagonal set to zero.

    Args:
        x: Array-like input.
        k: Diagonal offset: 0 is the main diagonal, positive above, negative below.

    Example:
        >>> jl.ops.numpy.triu(np.array([[1, 2], [3, 4]])).tolist()
        [[1, 2], [0, 4]]
    """
    return jnp.triu(tensor(x), k=k)


def vectorize(pyfunc, *, excluded=None, signature=None):
    """``pyfunc`` mapped over array arguments (``jnp.vectorize``, a generalized ufunc).

    Args:
        pyfunc: The function to map.
        excluded: Set of positional indices or names of arguments not mapped over.
        signature: Generalized ufunc signature, e.g. ``'(n),(n)->()'``.

    Example:
        >>> f = jl.ops.numpy.vectorize(lambda a, b: a * b + 1)
        >>> f(np.array([1, 2]), np.array([3, 4]))
        Array([4, 9], dtype=int32)
    """
    return jnp.vectorize(pyfunc, excluded=set() if excluded is None else excluded,
                         signature=signature)
