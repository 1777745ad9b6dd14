"""Merging layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot,
and their functional forms (``add([a, b])``, ``concatenate([a, b], axis=1)``, ...).

A merge layer is called with ONE list of inputs, ``Add()([a, b])``, and its
``build`` receives the list of their shapes.  Elementwise merges broadcast
like Keras: the batch sizes must agree, the other axes broadcast
right-aligned, and an input of lower rank gets size-1 axes inserted after the
batch axis.

Masks are explicit: pass one mask per input (``None`` where an input has
none), e.g. ``layer.apply(params, state, [a, b], mask=[ma, mb])``; each mask
is ``(batch, steps)`` for ``(batch, steps, features)`` inputs (a mask of
another shape is a ``ShapeError`` naming the layer).  The output
mask is the OR of the input masks (``None`` if any input has none).  As in
Keras, ``Maximum``, ``Minimum`` and ``Multiply`` also use the masks in the
values: masked entries of one input do not take part in the reduction.
"""

import jax.numpy as jnp

from jaxlayers import backend
from jaxlayers.core import args as _args
from jaxlayers.core.layer import Layer
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError, ConfigTypeError, ShapeError
from jaxlayers.ops._normalization import l2_normalize


def _is_shape(value):
    return isinstance(value, (tuple, list)) and all(
        d is None or isinstance(d, int) for d in value)


class Merge(Layer):
    """Base of the elementwise merge layers; subclasses define ``_merge(inputs, masks)``.

    Call arguments:
        inputs: A list of arrays with equal batch sizes and broadcastable shapes.
        mask: ``None`` or a list with one boolean mask (or ``None``) per input.
    """

    min_inputs, max_inputs = 1, None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    # --- shape rules ---------------------------------------------------------------
    def _check_list(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or not input_shape or not all(
                _is_shape(s) for s in input_shape):
            raise ShapeError(
                f"{_args.owner(self)} must be called on a list of inputs, e.g. "
                f"{type(self).__name__}()([a, b]). Received input shape(s): {input_shape!r}."
            )
        shapes = [tuple(s) for s in input_shape]
        count = len(shapes)
        if count < self.min_inputs or (self.max_inputs is not None and count > self.max_inputs):
            expected = (f"exactly {self.max_inputs}" if self.max_inputs == self.min_inputs
                        else f"at least {self.min_inputs}")
            raise ShapeError(
                f"{_args.owner(self)} must be called on {expected} inputs. Received "
                f"{count} inputs with shapes {shapes}."
            )
        batches = {s[0] for s in shapes if s} - {None}
        if len(batches) > 1:
            raise ShapeError(
                f"{_args.owner(self)}: all inputs must have the same batch size. Received "
                f"input shapes {shapes}."
            )
        return shapes

    def _broadcast(self, shapes):
        """Right-aligned broadcast of the per-example shapes (``None`` is unknown)."""
        out = ()
        for shape in shapes:
            rest = shape[1:]
            if len(rest) > len(out):
                out, rest = rest, out
            merged = list(out[:len(out) - len(rest)])
            for a, b in zip(out[len(out) - len(rest):], rest):
                if a is None or b is None:
                    merged.append(None)
                elif a == 1 or b == 1 or a == b:
                    merged.append(b if a == 1 else a)
                else:
                    raise ShapeError(
                        f"{_args.owner(self)}: the inputs' shapes do not broadcast together "
                        f"(per-example shapes must match or be 1, aligned from the right). "
                        f"Received input shapes {shapes}."
                    )
            out = tuple(merged)
        return out

    def build(self, input_shape):
        self._broadcast(self._check_list(input_shape))

    def compute_output_shape(self, input_shape):
        shapes = self._check_list(input_shape)
        batches = {s[0] for s in shapes} - {None}
        batch = batches.pop() if batches else None
        return (batch,) + self._broadcast(shapes)

    # --- call ------------------------------------------------------------------------
    def _input_shapes(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            return self._check_list(tuple(getattr(inputs, "shape", ())))
        return self._check_list([tuple(x.shape) for x in inputs])

    def _normalize_masks(self, inputs, mask):
        if mask is None:
            return None
        if not isinstance(mask, (list, tuple)) or len(mask) != len(inputs):
            raise ShapeError(
                f"{_args.owner(self)}: `mask` must be a list with one entry (a mask or "
                f"None) per input, {len(inputs)} in all. Received: mask={mask!r}."
            )
        for i, (x, m) in enumerate(zip(inputs, mask)):
            if m is not None:
                self._check_mask_shape(i, tuple(x.shape), tuple(m.shape))
        return list(mask)

    # Concatenate also accepts a mask with the input's full shape.
    _full_masks_ok = False

    def _check_mask_shape(self, index, x_shape, m_shape):
        def fits(target):
            return len(m_shape) == len(target) and all(
                a is None or b is None or a in (1, b) for a, b in zip(m_shape, target))

        if fits(x_shape[:-1]) or (self._full_masks_ok and fits(x_shape)):
            return
        raise ShapeError(
            f"{_args.owner(self)}: mask {index} must have the shape of input {index} without "
            f"its feature axis, {x_shape[:-1]} (or broadcast to it). Received: "
            f"mask.shape={m_shape} for input shape {x_shape}."
        )

    def call(self, inputs, mask=None):
        self._broadcast(self._input_shapes(inputs))
        masks = self._normalize_masks(inputs, mask) or [None] * len(inputs)
        rank = max(x.ndim for x in inputs)
        if any(x.ndim != rank for x in inputs):
            # Keras inserts size-1 axes after the batch axis; the expanded inputs
            # lose their masks there, and so they do here.
            masks = [m if x.ndim == rank else None for x, m in zip(inputs, masks)]
            inputs = [jnp.reshape(x, x.shape[:1] + (1,) * (rank - x.ndim) + x.shape[1:])
                      for x in inputs]
        return self._merge(list(inputs), masks)

    def _merge(self, inputs, masks):
        raise NotImplementedError

    def compute_mask(self, inputs, mask=None):
        masks = self._normalize_masks(inputs, mask)
        if masks is None or any(m is None for m in masks):
            return None
        out = jnp.asarray(masks[0], bool)
        for m in masks[1:]:
            out = jnp.logical_or(out, m)
        return out


def _expand_mask(mask, x):
    """A ``(batch, steps)`` mask broadcast over ``x``'s trailing feature axis."""
    return jnp.broadcast_to(jnp.expand_dims(jnp.asarray(mask, bool), -1), x.shape)


def _masked_reduce(op, inputs, masks):
    """Pairwise ``op`` where a masked entry of one side yields the other side's value."""
    out, out_mask = None, None
    for x, m in zip(inputs, masks):
        m = None if m is None else _expand_mask(m, x)
        if out is None:
            out, out_mask = x, m
            continue
        if m is not None:
            x = jnp.where(m, x, out)
        if out_mask is not None:
            out = jnp.where(out_mask, out, x)
        out_mask = None if m is None or out_mask is None else jnp.logical_or(out_mask, m)
        out = op(out, x)
    return out


@register_builtin("layers")
class Add(Merge):
    """Sum of a list of inputs.

    Example:
        >>> jl.layers.Add()([jnp.ones((2, 3)), jnp.ones((2, 3))])
        Array([[2., 2., 2.],
               [2., 2., 2.]], dtype=float32)
    """

    def _merge(self, inputs, masks):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out


@register_builtin("layers")
class Subtract(Merge):
    """Difference of exactly two inputs: ``inputs[0] - inputs[1]``.

    Example:
        >>> jl.layers.Subtract()([jnp.array([[5.0, 5.0]]), jnp.ones((1, 2))])
        Array([[4., 4.]], dtype=float32)
    """

    min_inputs = max_inputs = 2

    def _merge(self, inputs, masks):
        return inputs[0] - inputs[1]


@register_builtin("layers")
class Multiply(Merge):
    """Elementwise product of a list of inputs.

    With masks, a masked entry counts as 1 in the product; when every input has
    a mask, entries masked in all inputs are 0 in the output.

    Example:
        >>> jl.layers.Multiply()([jnp.array([[3.0, 1.0]]), jnp.array([[2.0, 6.0]])])
        Array([[6., 6.]], dtype=float32)
    """

    def _merge(self, inputs, masks):
        all_masked = all(m is not None for m in masks)
        out, out_mask = None, None
        for x, m in zip(inputs, masks):
            if m is not None:
                m = _expand_mask(m, x)
                x = jnp.where(m, x, jnp.ones((), x.dtype))
                if all_masked:
                    out_mask = m if out_mask is None else jnp.logical_or(out_mask, m)
            out = x if out is None else out * x
        if all_masked:
            out = jnp.where(out_mask, out, jnp.zeros((), out.dtype))
        return out


@register_builtin("layers")
class Average(Merge):
    """Elementwise mean of a list of inputs.

    Example:
        >>> jl.layers.Average()([jnp.zeros((1, 2)), jnp.array([[4.0, 4.0]])])
        Array([[2., 2.]], dtype=float32)
    """

    def _merge(self, inputs, masks):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out / len(inputs)


@register_builtin("layers")
class Maximum(Merge):
    """Elementwise maximum of a list of inputs (masked entries do not compete).

    Example:
        >>> jl.layers.Maximum()([jnp.array([[1.0, 5.0]]), jnp.array([[3.0, 2.0]])])
        Array([[3., 5.]], dtype=float32)
    """

    # Complex values have no order.
    supports_complex_inputs = False

    def _merge(self, inputs, masks):
        return _masked_reduce(jnp.maximum, inputs, masks)


@register_builtin("layers")
class Minimum(Merge):
    """Elementwise minimum of a list of inputs (masked entries do not compete).

    Example:
        >>> jl.layers.Minimum()([jnp.array([[1.0, 5.0]]), jnp.array([[3.0, 2.0]])])
        Array([[1., 2.]], dtype=float32)
    """

    # Complex values have no order.
    supports_complex_inputs = False

    def _merge(self, inputs, masks):
        return _masked_reduce(jnp.minimum, inputs, masks)


@register_builtin("layers")
class Concatenate(Merge):
    """Concatenates a list of inputs along ``axis``.

    Args:
        axis: The concatenation axis (default ``-1``); all other axes must match.

    The output mask (when any input has one) is the concatenation of the masks,
    with an all-True mask standing in for inputs without one, reduced with ANY
    over the last axis; this gives ``(batch, steps1 + steps2)`` when
    concatenating sequences along ``axis=1``.  Besides ``(batch, steps)`` masks,
    a mask with its input's full shape is accepted.

    Example:
        >>> jl.layers.Concatenate(axis=1)([jnp.ones((2, 3)), jnp.ones((2, 4))]).shape
        (2, 7)
    """

    _full_masks_ok = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise ConfigTypeError(
                f"{_args.owner(self)}: `axis` must be an int. Received: axis={axis!r}.")
        self.axis = axis

    def _check_concat(self, shapes):
        ranks = {len(s) for s in shapes}
        bad = len(ranks) != 1
        if not bad:
            rank = ranks.pop()
            if not -rank <= self.axis < rank:
                raise ShapeError(
                    f"{_args.owner(self)}: axis={self.axis} is out of range for inputs of "
                    f"rank {rank}. Received input shapes {shapes}."
                )
            axis = self.axis % rank
            for i in range(rank):
                sizes = {s[i] for s in shapes} - {None}
                bad = bad or (i != axis and len(sizes) > 1)
        if bad:
            raise ShapeError(
                f"{_args.owner(self)}: inputs must have the same rank and matching sizes "
                f"on every axis except the concatenation axis ({self.axis}). Received input "
                f"shapes {shapes}."
            )

    def build(self, input_shape):
        self._check_concat(self._check_list(input_shape))

    def call(self, inputs, mask=None):
        self._check_concat(self._input_shapes(inputs))
        self._normalize_masks(inputs, mask)
        return jnp.concatenate(list(inputs), axis=self.axis)

    def compute_output_shape(self, input_shape):
        shapes = self._check_list(input_shape)
        self._check_concat(shapes)
        out = list(shapes[0])
        axis = self.axis % len(out)
        for i in range(len(out)):
            sizes = [s[i] for s in shapes]
            if i == axis:
                out[i] = None if None in sizes else sum(sizes)
            else:
                known = [d for d in sizes if d is not None]
                out[i] = known[0] if known else None
        return tuple(out)

    def compute_mask(self, inputs, mask=None):
        masks = self._normalize_masks(inputs, mask)
        if masks is None or all(m is None for m in masks):
            return None
        full = []
        for x, m in zip(inputs, masks):
            if m is None:
                full.append(jnp.ones(x.shape, bool))
            elif jnp.ndim(m) < x.ndim:
                full.append(_expand_mask(m, x))
            else:
                full.append(jnp.asarray(m, bool))
        return jnp.any(jnp.concatenate(full, axis=self.axis), axis=-1)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


@register_builtin("layers")
class Dot(Merge):
    """Per-example dot product of two inputs, contracting one axis of each.

    Args:
        axes: Int (the same axis of both inputs) or ``(axis_a, axis_b)``; axes
            count from the batch axis 0, which cannot be contracted; negative
            values count from the end of each input.
        normalize: L2-normalize both inputs along their contracted axis first,
            so the result is the cosine similarity.

    Output shape: the remaining axes of the first input, then those of the second
    (batch first); a result with only the batch axis gets a trailing axis of 1.

    Example:
        >>> a, b = jnp.ones((2, 3, 4)), jnp.ones((2, 5, 4))
        >>> jl.layers.Dot(axes=2)([a, b]).shape
        (2, 3, 5)
    """

    min_inputs = max_inputs = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        who = _args.owner(self)
        if isinstance(axes, (list, tuple)):
            if len(axes) != 2 or not all(_args.is_int(a) for a in axes):
                raise ConfigError(
                    f"{who}: `axes` must be an int or a pair of ints. Received: axes={axes!r}.")
            axes = tuple(axes)
        elif not isinstance(axes, int) or isinstance(axes, bool):
            raise ConfigTypeError(
                f"{who}: `axes` must be an int or a pair of ints. Received: axes={axes!r}.")
        self.axes = axes
        self.normalize = _args.boolean(who, "normalize", normalize)
        # The L2 norm squares the values: ``x * x`` is not ``|x|**2`` for complex ones.
        self.supports_complex_inputs = not self.normalize

    def _resolve_axes(self, shapes):
        pair = (self.axes, self.axes) if isinstance(self.axes, int) else self.axes
        resolved = []
        for axis, shape in zip(pair, shapes):
            rank = len(shape)
            if rank < 2 or not -rank <= axis < rank or axis % rank == 0:
                raise ShapeError(
                    f"{_args.owner(self)}: axes={self.axes} must name a non-batch axis of "
                    f"each input (rank >= 2). Received input shapes {shapes}."
                )
            resolved.append(axis % rank)
        a, b = resolved
        if shapes[0][a] is not None and shapes[1][b] is not None and shapes[0][a] != shapes[1][b]:
            raise ShapeError(
                f"{_args.owner(self)}: the contracted axes differ in size: axis {a} of the "
                f"first input has {shapes[0][a]}, axis {b} of the second has {shapes[1][b]}. "
                f"Received input shapes {shapes}."
            )
        return a, b

    def build(self, input_shape):
        self._resolve_axes(self._check_list(input_shape))

    def call(self, inputs, mask=None):
        x, y = inputs
        a, b = self._resolve_axes(self._input_shapes(inputs))
        if self.normalize:
            eps = backend.epsilon()
            x, y = l2_normalize(x, a, epsilon=eps), l2_normalize(y, b, epsilon=eps)
        return _batch_dot(x, y, a, b)

    def compute_output_shape(self, input_shape):
        shapes = self._check_list(input_shape)
        a, b = self._resolve_axes(shapes)
        first = [d for i, d in enumerate(shapes[0]) if i != a]
        second = [d for i, d in enumerate(shapes[1]) if i not in (0, b)]
        out = tuple(first + second)
        return out + (1,) if len(out) == 1 else out

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        config = super().get_config()
        config.update({"axes": self.axes, "normalize": self.normalize})
        return config


def _batch_dot(x, y, a, b):
    """Contract axis ``a`` of ``x`` with axis ``b`` of ``y``, batched over axis 0."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    xs = ["Z"] + [letters[i] for i in range(1, x.ndim)]
    ys = ["Z"] + [letters[x.ndim + i] for i in range(1, y.ndim)]
    ys[b] = xs[a]
    out = [s for i, s in enumerate(xs) if i != a] + [s for i, s in enumerate(ys)
                                                      if i not in (0, b)]
    result = jnp.einsum(f"{''.join(xs)},{''.join(ys)}->{''.join(out)}", x, y)
    return result[:, None] if result.ndim == 1 else result


def add(inputs, **kwargs):
    """Functional form of :class:`Add`: ``Add(**kwargs)(inputs)``.

    Works on arrays and on symbolic tensors from ``jl.Input``.

    Args:
        inputs: Input array.
        **kwargs: Base arguments (``name``, ``dtype``, ...), as for every instance of its
            kind.

    Example:
        >>> jl.layers.add([jnp.ones((1, 2)), jnp.ones((1, 2))])
        Array([[2., 2.]], dtype=float32)
    """
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Functional form of :class:`Subtract`: ``Subtract(**kwargs)(inputs)``.

    Args:
        inputs: A list of exactly two arrays of the same shape.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Example:
        >>> jl.layers.subtract([np.array([5.0, 3.0]), np.array([1.0, 1.0])])
        Array([4., 2.], dtype=float32)
    """
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Functional form of :class:`Multiply`: ``Multiply(**kwargs)(inputs)``.

    Args:
        inputs: A list of at least two arrays of compatible shapes.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Example:
        >>> jl.layers.multiply([np.array([2.0, 3.0]), np.array([4.0, 5.0])])
        Array([ 8., 15.], dtype=float32)
    """
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Functional form of :class:`Average`: ``Average(**kwargs)(inputs)``.

    Args:
        inputs: A list of at least two arrays of compatible shapes.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Example:
        >>> jl.layers.average([np.array([1.0, 3.0]), np.array([3.0, 5.0])])
        Array([2., 4.], dtype=float32)
    """
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Functional form of :class:`Maximum`: ``Maximum(**kwargs)(inputs)``.

    Args:
        inputs: A list of at least two arrays of compatible shapes.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Example:
        >>> jl.layers.maximum([np.array([1.0, 5.0]), np.array([3.0, 2.0])])
        Array([3., 5.], dtype=float32)
    """
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Functional form of :class:`Minimum`: ``Minimum(**kwargs)(inputs)``.

    Args:
        inputs: A list of at least two arrays of compatible shapes.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Example:
        >>> jl.layers.minimum([np.array([1.0, 5.0]), np.array([3.0, 2.0])])
        Array([1., 2.], dtype=float32)
    """
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of :class:`Concatenate`: ``Concatenate(axis, **kwargs)(inputs)``.

    Args:
        inputs: Input array.
        axis: Int axis.
        **kwargs: Base arguments (``name``, ``dtype``, ...), as for every instance of its
            kind.

    Example:
        >>> jl.layers.concatenate([jnp.ones((2, 3)), jnp.ones((2, 1))]).shape
        (2, 4)
    """
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, **kwargs):
    """Functional form of :class:`Dot`: ``Dot(axes, **kwargs)(inputs)``.

    Args:
        inputs: A list of at least two arrays of compatible shapes.
        axes: Int or pair of ints, the axes summed over.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Example:
        >>> jl.layers.dot([np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]])], axes=1)
        Array([[11.]], dtype=float32)
    """
    return Dot(axes=axes, **kwargs)(inputs)


__all__ = [
    "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
    "add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot",
]
