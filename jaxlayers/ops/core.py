"""Keras 3's core ops (``keras.ops`` top level): control flow, conversion, dtypes, slicing.

Thin functions over ``jax.lax`` and ``jax.numpy`` with Keras's names, arguments and
results, so a Keras 3 program's ``keras.ops.scan`` or ``keras.ops.cast`` runs
unchanged as ``jl.ops.scan`` / ``jl.ops.cast``, eagerly and under ``jax.jit``.
Where Keras's JAX backend and Keras's documentation differ, the JAX backend wins
(``scatter`` adds values at repeated indices, ``switch`` clamps its index).
"""

import re
import sys

import jax
import jax.numpy as jnp
import numpy as np

from jaxlayers.errors import ConfigError, ConfigTypeError, ShapeError
from jaxlayers.ops import _args

__all__ = [
    "associative_scan", "cast", "cond", "convert_to_numpy", "convert_to_tensor",
    "custom_gradient", "dtype", "fori_loop", "is_tensor", "map", "rearrange",
    "saturate_cast", "scan", "scatter", "scatter_update", "shape", "slice", "slice_update",
    "stop_gradient", "switch", "unstack", "vectorized_map", "while_loop",
]

_REDUCTIONS = ("add", "max", "min", "mul")


def _sparse_type():
    """``JAXSparse`` when jax.experimental.sparse is loaded (no sparse array exists otherwise)."""
    module = sys.modules.get("jax.experimental.sparse")
    return (module.JAXSparse,) if module is not None else ()


def _unwrap(x):
    """An array for a variable-like object (``__jax_array__``), anything else unchanged."""
    if hasattr(x, "__jax_array__") and not isinstance(x, jax.Array):
        return jnp.asarray(x)
    return x


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """Converts NumPy arrays, Python numbers and nested lists to a JAX array.

    A JAX array of the requested dtype (or any dtype when ``dtype`` is ``None``)
    is returned as is.

    Args:
        x: A NumPy array, Python number or nested list, a JAX array or a variable.
        dtype: The dtype of the result; ``None`` keeps (or infers) the dtype of ``x``.
        sparse: ``False`` densifies a ``jax.experimental.sparse`` array; ``None`` or
            ``True`` keeps it sparse.
        ragged: JAX has no ragged arrays: ``True`` is an error.

    Returns:
        A ``jax.Array`` (or the sparse array, kept).

    Example:
        >>> convert_to_tensor([1, 2], dtype="float32")
        Array([1., 2.], dtype=float32)
    """
    if ragged:
        raise ConfigError(
            "ops.convert_to_tensor: `ragged` must be False or None: JAX has no ragged arrays. "
            f"Received: ragged={ragged!r}.")
    name = None if dtype is None else _args.dtype_name("convert_to_tensor", dtype)
    if isinstance(x, jax.Array) and (name is None or x.dtype == name):
        return x
    if isinstance(x, _sparse_type()):
        if sparse is not None and not sparse:
            x = x.todense()
        elif name is not None and x.dtype != name:
            return x.astype(name)
        else:
            return x
    x = _unwrap(x)
    if name == "bfloat16" and not isinstance(x, jax.Array):
        # NumPy has no bfloat16 of its own: read the stored values first, then cast.
        return jnp.asarray(x).astype(name)
    return jnp.asarray(x, dtype=name)


def convert_to_numpy(x):
    """Converts an array (or anything :func:`convert_to_tensor` takes) to a NumPy array.

    Args:
        x: Input array.

    Example:
        >>> convert_to_numpy(jnp.arange(3))
        array([0, 1, 2], dtype=int32)
    """
    if isinstance(x, _sparse_type()):
        x = x.todense()
    return np.array(_unwrap(x))


def is_tensor(x):
    """Whether ``x`` is a JAX array (traced values inside ``jit`` count, NumPy arrays don't).

    Args:
        x: Input array.

    Example:
        >>> is_tensor(jnp.ones(2)), is_tensor(np.ones(2))
        (True, False)
    """
    return isinstance(x, (jax.Array, *_sparse_type()))


def shape(x):
    """The shape of ``x`` as a tuple of ints.

    Args:
        x: Input array.

    Example:
        >>> shape(jnp.zeros((8, 12)))
        (8, 12)
    """
    return tuple(jnp.shape(_unwrap(x)))


def dtype(x):
    """The Keras name of the dtype of ``x``, such as ``'float32'``.

    Args:
        x: Input array.

    Example:
        >>> dtype(jnp.ones(2, "bfloat16"))
        'bfloat16'
    """
    x = _unwrap(x)
    return jnp.dtype(x.dtype if hasattr(x, "dtype") else jnp.result_type(x)).name


def cast(x, dtype):
    """Casts ``x`` to ``dtype`` (floats to ints truncate toward zero, out-of-range values wrap).

    Args:
        x: An array, variable, NumPy array or Python value.
        dtype: A dtype name (``'float16'``), NumPy/JAX dtype or Python type.

    Example:
        >>> cast(jnp.array([1.7, -1.7]), "int32")
        Array([ 1, -1], dtype=int32)
    """
    return convert_to_tensor(x, dtype=_args.dtype_name("cast", dtype))


def _value_range(name):
    if name == "bool":
        return 0, 1
    info = jnp.iinfo(name) if jnp.issubdtype(name, jnp.integer) else jnp.finfo(name)
    return info.min, info.max


def _representable_limit(bound, out_bound, in_name, compare):
    """``bound`` in the input dtype, moved toward zero if rounding carried it past ``out_bound``."""
    limit = np.asarray(bound).astype(in_name)
    if compare(limit, out_bound):
        limit = np.nextafter(limit, np.zeros((), in_name), dtype=in_name)
    return limit


def saturate_cast(x, dtype):
    """Casts ``x`` to ``dtype`` after clipping it to the range ``dtype`` can hold.

    A plain :func:`cast` of ``[-1., 256.]`` to ``uint8`` wraps around; this one
    gives ``[0, 255]``.  Infinities become the extreme finite values.

    Args:
        x: An array or NumPy array.
        dtype: The target dtype, named as in :func:`cast`.

    Example:
        >>> saturate_cast(jnp.array([-1.0, 256.0]), "uint8")
        Array([  0, 255], dtype=uint8)
    """
    out_name = _args.dtype_name("saturate_cast", dtype)
    x = convert_to_tensor(x)
    in_name = x.dtype.name
    in_min, in_max = _value_range(in_name)
    out_min, out_max = _value_range(out_name)
    # Clip in the input dtype: the output's extreme values may not be representable
    # there (float32 has no 2**31 - 1), so a bound that rounds past them moves inward.
    low = _representable_limit(max(in_min, out_min), out_min, in_name, np.less)
    high = _representable_limit(min(in_max, out_max), out_max, in_name, np.greater)
    return jnp.clip(x, low, high).astype(out_name)


def stop_gradient(variable):
    """``variable`` (an array or pytree of arrays) with gradients blocked.

    Args:
        variable: Array (or variable) whose gradient is blocked.

    Example:
        >>> jax.grad(lambda x: stop_gradient(x) * x)(3.0)
        Array(3., dtype=float32, weak_type=True)
    """
    return jax.lax.stop_gradient(jax.tree.map(_unwrap, variable))


def custom_gradient(f):
    """Decorates ``f(*args) -> (output, grad_fn)`` into a function with that gradient.

    ``grad_fn(upstream)`` receives the cotangent of ``output`` and returns the
    gradient for each argument (one value for a one-argument ``f``, else a
    tuple).  Keras's portable form ``grad_fn(*args, upstream=None)`` works too:
    ``upstream`` then arrives as the only positional argument.

    Args:
        f: Function returning ``(output, grad_fn)``, where ``grad_fn(upstream)`` gives the
            input gradients.

    Example:
        >>> @custom_gradient
        ... def clipped_identity(x):
        ...     return x, lambda upstream: jnp.clip(upstream, -1.0, 1.0)
        >>> jax.grad(lambda x: 5.0 * clipped_identity(x))(2.0)
        Array(1., dtype=float32, weak_type=True)
    """
    with_gradient = jax.custom_gradient(f)

    def wrapper(*args, **kwargs):
        args, kwargs = jax.tree.map(_unwrap, (args, kwargs))
        return with_gradient(*args, **kwargs)

    return wrapper


def cond(pred, true_fn, false_fn):
    """``true_fn()`` if ``pred`` else ``false_fn()``, as one traced conditional.

    Both callables take no argument and return values of the same structure,
    shapes and dtypes.

    Args:
        pred: Scalar boolean.
        true_fn: Function of no arguments, called when ``pred`` holds.
        false_fn: Function of no arguments with the same output structure.

    Example:
        >>> cond(jnp.array(True), lambda: jnp.ones(2), lambda: jnp.zeros(2))
        Array([1., 1.], dtype=float32)
    """
    return jax.lax.cond(pred, true_fn, false_fn)


def switch(index, branches, *operands):
    """``branches[index](*operands)``, with ``index`` clamped to the valid range.

    Args:
        index: Int scalar, clamped to ``[0, len(branches) - 1]``.
        branches: Sequence of functions with the same output structure.
        *operands: Arguments passed to the chosen branch.

    Example:
        >>> switch(5, [lambda x: x - 1, lambda x: x * x], jnp.array(3)).item()
        9
    """
    return jax.lax.switch(index, branches, *operands)


def _check_unroll(unroll):
    if not isinstance(unroll, bool) and not (
            isinstance(unroll, (int, np.integer)) and unroll >= 1):
        raise ConfigError(
            f"ops.scan: `unroll` must be a positive int or a bool. Received: unroll={unroll!r}.")


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """Loops ``carry, y = f(carry, x)`` over the leading axis of ``xs``; stacks the ``y``.

    Args:
        f: ``f(carry, x) -> (new_carry, y)``; the carry keeps its structure,
            shapes and dtypes.
        init: The first carry (any pytree).
        xs: A pytree of arrays sliced along their leading axis, or ``None``
            (then ``f`` receives ``None`` and ``length`` sets the number of steps).
        length: The number of steps; defaults to the leading size of ``xs``.
        reverse: Run from the last slice to the first (outputs stay aligned with ``xs``).
        unroll: Steps per loop iteration (positive int), or ``True`` to unroll fully.

    Returns:
        ``(final_carry, stacked_ys)``.

    Example:
        >>> carry, ys = scan(lambda c, x: (c + x, c + x), jnp.array(0), jnp.array([1, 2, 3]))
        >>> carry, ys
        (Array(6, dtype=int32), Array([1, 3, 6], dtype=int32))
    """
    _check_unroll(unroll)
    return jax.lax.scan(f, init, xs, length=length, reverse=reverse, unroll=unroll)


def associative_scan(f, elems, reverse=False, axis=0):
    """Inclusive prefix scan of ``elems`` along ``axis`` with an associative ``f(a, b)``.

    Computed in parallel (logarithmic depth), so ``f`` must satisfy
    ``f(a, f(b, c)) == f(f(a, b), c)`` and work elementwise over ``axis``.

    Args:
        f: Associative binary function of two pytrees of arrays.
        elems: Pytree of arrays scanned along ``axis``.
        reverse: Whether to scan from the end.
        axis: Int axis scanned over.

    Example:
        >>> associative_scan(jnp.add, jnp.arange(5))
        Array([ 0,  1,  3,  6, 10], dtype=int32)
    """
    return jax.lax.associative_scan(f, elems, reverse=reverse, axis=axis)


def fori_loop(lower, upper, body_fun, init_val):
    """``val = body_fun(i, val)`` for ``i`` in ``range(lower, upper)``; returns the last ``val``.

    Args:
        lower: Int, the first index.
        upper: Int, the end index (excluded).
        body_fun: Function ``(i, value) -> value``.
        init_val: Initial loop value (any pytree).

    Example:
        >>> fori_loop(0, 10, lambda i, total: total + i, 0)
        Array(45, dtype=int32, weak_type=True)
    """
    return jax.lax.fori_loop(lower, upper, body_fun, init_val)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Runs ``loop_vars = body(loop_vars)`` while ``cond(loop_vars)`` holds.

    When ``loop_vars`` is a tuple or list, its items are passed to ``cond`` and
    ``body`` as separate positional arguments and the result is a tuple;
    any other value (an array, a dict) is passed as the one argument and
    returned as such.

    Args:
        cond: Returns a boolean scalar.
        body: Returns new loop variables of the same structure, shapes and dtypes.
        loop_vars: The initial loop variables.
        maximum_iterations: Stop after this many iterations even if ``cond`` holds.

    Example:
        >>> while_loop(lambda i, s: i < 4, lambda i, s: (i + 1, s * 2), (0, 1))
        (Array(4, dtype=int32, weak_type=True), Array(16, dtype=int32, weak_type=True))
    """
    several = isinstance(loop_vars, (tuple, list))
    values = tuple(loop_vars) if several else (loop_vars,)

    def user_step(values):
        out = body(*values)
        return tuple(out) if several else (out,)

    if maximum_iterations is None:
        out = jax.lax.while_loop(lambda v: cond(*v), user_step, values)
    else:
        _, out = jax.lax.while_loop(
            lambda c: jnp.logical_and(cond(*c[1]), c[0] < maximum_iterations),
            lambda c: (c[0] + 1, user_step(c[1])), (0, values))
    return out if several else out[0]


def map(f, xs):
    """``f`` applied to each slice of ``xs`` along its leading axis, one at a time; stacked.

    Args:
        f: Function applied to each slice.
        xs: Pytree of arrays sliced along their first axis.

    Example:
        >>> map(lambda x: {"square": x * x}, jnp.arange(4))
        {'square': Array([0, 1, 4, 9], dtype=int32)}
    """
    return jax.lax.map(f, xs)


def vectorized_map(function, elements):
    """``function`` mapped over the leading axis of ``elements`` in one vectorized call.

    Args:
        function: Function of one slice.
        elements: Pytree of arrays mapped over their first axis.

    Example:
        >>> vectorized_map(lambda row: row.sum(), jnp.ones((3, 2)))
        Array([2., 2., 2.], dtype=float32)
    """
    return jax.vmap(function)(elements)


def unstack(x, num=None, axis=0):
    """The slices of ``x`` along ``axis``, as a list.

    Args:
        x: An array.
        num: The expected number of slices, checked when given.
        axis: The axis to unstack along.

    Example:
        >>> [s.tolist() for s in unstack(jnp.array([[1, 2], [3, 4]]), axis=1)]
        [[1, 3], [2, 4]]
    """
    x = convert_to_tensor(x)
    size = x.shape[axis]
    if num is not None and num != size:
        raise ShapeError(
            f"ops.unstack: `num` must equal the size of axis {axis} ({size}). "
            f"Received: num={num!r}.")
    return [jax.lax.index_in_dim(x, i, axis, keepdims=False) for i in range(size)]


def _int_tuple(values, arg, op):
    try:
        return tuple(int(v) for v in np.asarray(values).reshape(-1))
    except TypeError:
        raise ConfigTypeError(
            f"ops.{op}: `{arg}` must be a list of Python ints known before tracing. "
            f"Received: {arg}={values!r}.") from None


def slice(inputs, start_indices, shape):
    """The block of ``inputs`` of size ``shape`` starting at ``start_indices``.

    ``start_indices`` may be traced values; ``shape`` is static, and ``-1`` in
    it takes everything from the start to the end of that axis.  Starts are
    clamped so that the block fits inside ``inputs``.

    Args:
        inputs: Input array.
        start_indices: One start index per axis.
        shape: Tuple of ints, the slice's size per axis.

    Example:
        >>> slice(jnp.arange(10), [7], [3])
        Array([7, 8, 9], dtype=int32)
    """
    inputs = convert_to_tensor(inputs)
    sizes = _int_tuple(shape, "shape", "slice")
    if len(sizes) != inputs.ndim:
        raise ShapeError(
            f"ops.slice: `shape` must have one size per axis of `inputs` ({inputs.ndim}). "
            f"Received: shape={shape!r}.")
    if -1 in sizes:
        starts = _int_tuple(start_indices, "start_indices", "slice")
        sizes = tuple(d - s if n == -1 else n for d, s, n in zip(inputs.shape, starts, sizes))
    return jax.lax.dynamic_slice(inputs, start_indices, sizes)


def slice_update(inputs, start_indices, updates):
    """``inputs`` with the block at ``start_indices`` replaced by ``updates`` (cast to its dtype).

    Args:
        inputs: Input array.
        start_indices: One start index per axis.
        updates: Array written at ``start_indices``.

    Example:
        >>> slice_update(jnp.zeros(5), [3], jnp.ones(2))
        Array([0., 0., 0., 1., 1.], dtype=float32)
    """
    inputs = convert_to_tensor(inputs)
    updates = convert_to_tensor(updates, inputs.dtype)
    return jax.lax.dynamic_update_slice(inputs, updates, start_indices)


def _index_tuple(indices):
    """``indices`` of shape ``(num_updates, k)`` as the k index arrays of ``x.at[...]``."""
    return tuple(jnp.moveaxis(jnp.asarray(indices), -1, 0))


def scatter(indices, values, shape):
    """A zero array of ``shape`` with ``values`` added at ``indices``.

    ``indices`` has shape ``(num_updates, k)``; each row addresses an element
    (``k == len(shape)``) or a slice (``k < len(shape)``).  Repeated indices add up.

    Args:
        indices: Int array ``(n, rank)`` of coordinates.
        values: Array ``(n, ...)`` added at those coordinates.
        shape: Tuple of ints, the result's shape.

    Example:
        >>> scatter([[0, 1], [1, 1]], jnp.array([1.0, 2.0]), (2, 2))
        Array([[0., 1.],
               [0., 2.]], dtype=float32)
    """
    values = convert_to_tensor(values)
    return jnp.zeros(shape, values.dtype).at[_index_tuple(indices)].add(values)


def scatter_update(inputs, indices, updates, reduction=None):
    """``inputs`` with the elements or slices at ``indices`` replaced or combined with ``updates``.

    Args:
        inputs: The array to update.
        indices: Shape ``(num_updates, k)``, one row per update, ``k <= inputs.ndim``.
        updates: Shape ``(num_updates, *inputs.shape[k:])``.
        reduction: ``None`` replaces (the last write wins); ``"add"``, ``"max"``,
            ``"min"`` or ``"mul"`` combine with the current values.

    Example:
        >>> scatter_update(jnp.zeros(4), [[0], [0], [1]], jnp.ones(3), reduction="add")
        Array([2., 1., 0., 0.], dtype=float32)
    """
    if reduction is not None:
        if not isinstance(reduction, str) or reduction.lower() not in _REDUCTIONS:
            raise ConfigError(
                f"ops.scatter_update: `reduction` must be None or one of {_REDUCTIONS}. "
                f"Received: reduction={reduction!r}.")
        reduction = reduction.lower()
    at = convert_to_tensor(inputs).at[_index_tuple(indices)]
    method = {None: at.set, "add": at.add, "max": at.max, "min": at.min,
              "mul": at.multiply}[reduction]
    return method(updates)


_AXES_GROUP = re.compile(r"\(([^()]*)\)|([^\s()]+)")


def _parse_axes(side, pattern):
    """One side of an einops pattern as groups of axis names: ``'b (h w)'`` -> ``[['b'], ['h', "
    "'w']]``."""
    if side.count("(") != side.count(")") or re.sub(_AXES_GROUP, "", side).strip():
        raise ConfigError(
            f"ops.rearrange: `pattern` has unbalanced or nested parentheses. "
            f"Received: pattern={pattern!r}.")
    groups = [m[1].split() if m[1] is not None else [m[2]] for m in _AXES_GROUP.finditer(side)]
    names = [name for group in groups for name in group]
    bad = [name for name in names if not name.isidentifier()]
    if bad or len(set(names)) != len(names):
        raise ConfigError(
            f"ops.rearrange: `pattern` must name each axis once, with identifiers. "
            f"Received: pattern={pattern!r}.")
    return groups


def _axis_sizes(groups, dims, axes_lengths, pattern):
    """The size of every input axis name, one unknown per group inferred from its dimension."""
    sizes = dict(axes_lengths)
    for group, dim in zip(groups, dims):
        unknown = [name for name in group if name not in sizes]
        known = int(np.prod([sizes[name] for name in group if name in sizes]))
        if len(unknown) > 1:
            raise ConfigError(
                f"ops.rearrange: axes {unknown} of one group need their sizes as keyword "
                f"arguments (all but one). Received: pattern={pattern!r}, "
                f"axes_lengths={axes_lengths!r}.")
        if unknown and known and dim % known == 0:
            sizes[unknown[0]] = dim // known
        elif unknown or known != dim:
            raise ShapeError(
                f"ops.rearrange: axes {group} of `pattern` do not divide the input dimension "
                f"{dim}. Received: pattern={pattern!r}, axes_lengths={axes_lengths!r}.")
    return sizes


def rearrange(tensor, pattern, **axes_lengths):
    """Reorders, splits and merges the axes of ``tensor`` as an einops pattern says.

    Args:
        tensor: An array.
        pattern: ``"input axes -> output axes"``, each axis a name and
            parenthesised names one merged axis, e.g. ``"b (h w) c -> b c h w"``.
        **axes_lengths: Sizes of the axes that a split needs (all but one per group).

    Example:
        >>> rearrange(jnp.zeros((2, 6, 3)), "b (h w) c -> (b c) h w", h=2).shape
        (6, 2, 3)
    """
    if not isinstance(pattern, str) or pattern.count("->") != 1:
        raise ConfigError(
            "ops.rearrange: `pattern` must be a string 'input axes -> output axes'. "
            f"Received: pattern={pattern!r}.")
    tensor = convert_to_tensor(tensor)
    inputs, outputs = (_parse_axes(side, pattern) for side in pattern.split("->"))
    if len(inputs) != tensor.ndim:
        raise ShapeError(
            f"ops.rearrange: the input side of `pattern` names {len(inputs)} axes, the tensor "
            f"has {tensor.ndim}. Received: pattern={pattern!r}, tensor.shape={tensor.shape}.")
    in_names = [name for group in inputs for name in group]
    out_names = [name for group in outputs for name in group]
    if sorted(in_names) != sorted(out_names):
        raise ConfigError(
            "ops.rearrange: both sides of `pattern` must name the same axes. "
            f"Received: pattern={pattern!r}.")
    sizes = _axis_sizes(inputs, tensor.shape, axes_lengths, pattern)
    split = tensor.reshape([sizes[name] for name in in_names])
    moved = jnp.transpose(split, [in_names.index(name) for name in out_names])
    return moved.reshape([int(np.prod([sizes[n] for n in group])) for group in outputs])
