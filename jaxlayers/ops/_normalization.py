"""Pure normalization math: moments, batch/layer/group/RMS/L2 normalization.

Every function takes arrays and static Python settings (axes, epsilon) and
returns arrays; no layers, no state.  Statistics are computed in at least
float32 and the result is cast back to the input dtype, as Keras does, so
half-precision inputs stay stable.  ``moments``, ``batch_normalization``,
``layer_normalization``, ``rms_normalization`` and ``normalize`` are public as
``jl.ops.nn.*``; the rest serve the normalization layers.

Example:
    >>> import jax.numpy as jnp
    >>> from jaxlayers.ops import nn
    >>> x = jnp.array([[1.0, 3.0], [3.0, 5.0]])
    >>> mean, var = nn.moments(x, axes=(0,))
    >>> mean, var
    (Array([2., 4.], dtype=float32), Array([1., 1.], dtype=float32))
"""

import jax.numpy as jnp
from jax import lax

from jaxlayers.errors import ShapeError
from jaxlayers.ops import _args

__all__ = [
    "normalize_axes",
    "moments",
    "normalize",
    "masked_moments",
    "batch_normalization",
    "layer_normalization",
    "rms_normalization",
    "group_normalization",
    "l2_normalize",
    "spectral_normalize",
    "moving_average",
    "renorm_scale_offset",
]


def normalize_axes(axis, ndim, op="normalization"):
    """``axis`` (an int or a sequence of ints) as a sorted tuple of non-negative axes.

    Raises ``ShapeError`` if an axis is outside ``[-ndim, ndim)``; layers check
    this in ``build`` first to give a message naming the layer.
    """
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ShapeError(f"ops.{op}: `axis` must be within [-{ndim}, {ndim}) for inputs "
                             f"of rank {ndim}. Received: axis={axis!r}.")
        out.append(a % ndim)
    return tuple(sorted(set(out)))


def _stat_dtype(dtype):
    return jnp.promote_types(dtype, jnp.float32)


def _broadcast_param(param, axes, ndim, x_shape):
    """Reshapes a parameter over ``axes`` so it broadcasts against the input."""
    if param is None:
        return None
    shape = [1] * ndim
    for a in axes:
        shape[a] = x_shape[a]
    return jnp.reshape(param, shape)


def moments(x, axes, keepdims=False, synchronized=False, *, axis_name=None):
    """Mean and (biased) variance of ``x`` over ``axes``.

    Args:
        x: Input array.
        axes: Axis or axes to reduce.
        keepdims: Keep the reduced axes with size 1.
        synchronized: Keras's flag for statistics shared by all replicas.  In
            JAX the replicas are a mapped axis: name it with ``axis_name``; with
            no mapped axis there is one replica and the flag changes nothing.
        axis_name: Optional mapped axis name (``shard_map`` / ``pmap`` /
            ``vmap(axis_name=...)``): the statistics are averaged over it with
            ``lax.pmean`` so every shard uses the statistics of the whole batch.
            Assumes equal-sized shards.

    Returns:
        ``(mean, variance)``, computed in at least float32; half-precision
        inputs get half-precision statistics (clipped to the dtype's range), as
        in Keras.

    Example:
        >>> moments(jnp.array([1.0, 2.0, 3.0, 6.0]), axes=0)
        (Array(3., dtype=float32), Array(3.5, dtype=float32))
    """
    x = _args.array(x)
    dtype = x.dtype
    mean, variance = _moments(x, normalize_axes(axes, x.ndim, "moments"), keepdims, axis_name)
    if jnp.issubdtype(dtype, jnp.floating) and jnp.finfo(dtype).bits < 32:
        info = jnp.finfo(dtype)
        mean = jnp.clip(mean, info.min, info.max).astype(dtype)
        variance = jnp.clip(variance, info.min, info.max).astype(dtype)
    return mean, variance


def _moments(x, axes, keepdims=False, axis_name=None):
    """``(mean, variance)`` in at least float32 (what the normalizations build on)."""
    x = x.astype(_stat_dtype(x.dtype))
    axes = tuple(axes)
    mean = jnp.mean(x, axis=axes, keepdims=True)
    if axis_name is not None:
        mean = lax.pmean(mean, axis_name)
    variance = jnp.mean(jnp.square(x - mean), axis=axes, keepdims=True)
    if axis_name is not None:
        variance = lax.pmean(variance, axis_name)
    if not keepdims:
        mean = jnp.squeeze(mean, axes)
        variance = jnp.squeeze(variance, axes)
    return mean, variance


def masked_moments(x, mask, axes, epsilon=1e-7, axis_name=None):
    """Mean and variance over ``axes`` counting only positions where ``mask`` is true.

    Args:
        x: Input array of shape ``(..., channels)``.
        mask: Boolean-like array of shape ``x.shape[:-1]`` (one value per
            position, shared by all channels).
        axes: Axes to reduce.
        epsilon: Added to the count of kept positions (Keras uses
            ``backend.epsilon()``), so an all-false mask gives zeros, not NaN.
        axis_name: As in :func:`moments`.

    Returns:
        ``(mean, variance)`` with the reduced axes removed.
    """
    x = x.astype(_stat_dtype(x.dtype))
    axes = tuple(axes)
    keep = jnp.broadcast_to(jnp.expand_dims(mask.astype(bool), -1), x.shape)
    weight = keep.astype(x.dtype)
    total = jnp.sum(jnp.where(keep, x, 0), axis=axes, keepdims=True)
    count = jnp.sum(weight, axis=axes, keepdims=True)
    if axis_name is not None:
        total = lax.psum(total, axis_name)
        count = lax.psum(count, axis_name)
    mean = total / (count + epsilon)
    sq = jnp.sum(jnp.square(jnp.where(keep, x - mean, 0)), axis=axes, keepdims=True)
    if axis_name is not None:
        sq = lax.psum(sq, axis_name)
    variance = sq / (count + epsilon)
    return jnp.squeeze(mean, axes), jnp.squeeze(variance, axes)


def _scale_and_shift(x, mean, variance, scale, offset, epsilon):
    """``x * inv + shift`` with ``inv = scale / sqrt(variance + epsilon)``: one fused affine map."""
    inv = lax.rsqrt(variance + epsilon)
    if scale is not None:
        inv = inv * scale
    shift = -mean * inv
    if offset is not None:
        shift = shift + offset
    return x * inv + shift


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """``(x - mean) / sqrt(variance + epsilon) * scale + offset``.

    Args:
        x: Input array.
        mean, variance: Statistics shaped like the normalized axes
            (e.g. ``(channels,)`` for ``axis=-1``).
        axis: The axis (or axes) the statistics (and ``offset``/``scale``) run along.
        offset: Optional ``beta`` with the statistics' shape.
        scale: Optional ``gamma`` with the statistics' shape.
        epsilon: Added to the variance.

    Returns:
        The normalized array, same shape and dtype as ``x``.

    Example:
        >>> batch_normalization(jnp.array([[1.0, 4.0]]), jnp.array([1.0, 2.0]),
        ...                     jnp.array([1.0, 4.0]), axis=-1, epsilon=0.0)
        Array([[0., 1.]], dtype=float32)
    """
    x = _args.array(x)
    ndim = x.ndim
    axes = normalize_axes(axis, ndim, "batch_normalization")
    dtype = x.dtype
    cdt = _stat_dtype(dtype)
    xc = x.astype(cdt)
    expected = tuple(x.shape[a] for a in axes)

    def prep(name, v):
        if v is None:
            return None
        v = jnp.asarray(v, cdt)
        if tuple(v.shape) != expected:
            raise ShapeError(
                f"ops.batch_normalization: `{name}` must have the shape of the normalized "
                f"axes of `x`, {expected}. Received: {name}.shape={tuple(v.shape)}.")
        return _broadcast_param(v, axes, ndim, x.shape)

    mean, variance = prep("mean", mean), prep("variance", variance)
    offset, scale = prep("offset", offset), prep("scale", scale)
    return _scale_and_shift(xc, mean, variance, scale, offset, epsilon).astype(dtype)


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    """Normalizes each example over ``axis`` (an int or a list of axes).

    With ``rms_scaling=True`` (Keras's deprecated keyword) the input is divided
    by ``sqrt(var + epsilon)`` without subtracting the mean and ``beta`` is not
    used.

    Args:
        x: Input array.
        gamma, beta: Optional scale and offset shaped like the normalized axes.
        axis: Axis or axes normalized over.
        epsilon: Added to the variance; ``None`` is the global ``epsilon()``.
        **kwargs: Only ``rms_scaling`` (see above).

    Example:
        >>> layer_normalization(jnp.array([[1.0, 3.0]]), epsilon=0.0)
        Array([[-1.,  1.]], dtype=float32)
    """
    rms_scaling = bool(kwargs.pop("rms_scaling", False))
    if kwargs:
        raise _args.type_error("layer_normalization", "kwargs", kwargs,
                               "empty or only `rms_scaling`")
    epsilon = _args.epsilon(epsilon)
    x = _args.array(x)
    gamma = None if gamma is None else _args.array(gamma)
    beta = None if beta is None else _args.array(beta)
    ndim = x.ndim
    axes = normalize_axes(axis, ndim, "layer_normalization")
    dtype = x.dtype
    xc = x.astype(_stat_dtype(dtype))
    gamma = _broadcast_param(None if gamma is None else gamma.astype(xc.dtype), axes, ndim,
                             x.shape)
    beta = _broadcast_param(None if beta is None else beta.astype(xc.dtype), axes, ndim,
                            x.shape)
    mean, variance = _moments(xc, axes, keepdims=True)
    if rms_scaling:
        out = xc * lax.rsqrt(variance + epsilon)
        if gamma is not None:
            out = out * gamma
        return out.astype(dtype)
    return _scale_and_shift(xc, mean, variance, gamma, beta, epsilon).astype(dtype)


def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """``x / sqrt(mean(x**2 over axis) + epsilon) * scale`` (Zhang & Sennrich, 2019).

    ``epsilon=None`` is the global ``epsilon()``.

    Args:
        x: Array of any shape.
        scale: Array broadcastable to ``x``, or ``None`` for 1.
        axis: Int or tuple of axes normalized over.
        epsilon: Float added to the mean square; ``None`` means ``jl.config.epsilon()``.

    Example:
        >>> rms_normalization(jnp.array([2.0, -2.0]), epsilon=0.0)
        Array([ 1., -1.], dtype=float32)
    """
    epsilon = _args.epsilon(epsilon)
    x = _args.array(x)
    scale = None if scale is None else _args.array(scale)
    if x.ndim == 0:
        x = x[None]
    ndim = x.ndim
    axes = normalize_axes(axis, ndim, "rms_normalization")
    dtype = x.dtype
    xc = x.astype(_stat_dtype(dtype))
    rrms = lax.rsqrt(jnp.mean(jnp.square(xc), axis=axes, keepdims=True) + epsilon)
    out = xc * rrms
    if scale is not None:
        out = out * _broadcast_param(scale.astype(xc.dtype), axes, ndim, x.shape)
    return out.astype(dtype)


def group_normalization(x, groups, axis=-1, gamma=None, beta=None, epsilon=1e-3):
    """Normalizes each example over groups of channels (Wu & He, 2018).

    The channel axis ``axis`` is split into ``groups`` groups; mean and variance
    are taken over every non-batch axis within a group.

    Args:
        x: Input of shape ``(batch, ..., channels, ...)``.
        groups: Number of groups; must divide the channel count.
        axis: The channel axis.
        gamma, beta: Optional per-channel scale and offset, shape ``(channels,)``.
        epsilon: Added to the variance.
    """
    ndim = x.ndim
    axis = axis % ndim
    dtype = x.dtype
    channels = x.shape[axis]
    grouped_shape = x.shape[:axis] + (groups, channels // groups) + x.shape[axis + 1:]
    xg = jnp.reshape(x, grouped_shape).astype(_stat_dtype(dtype))
    reduce_axes = tuple(a for a in range(1, ndim + 1) if a != axis)
    mean, variance = _moments(xg, reduce_axes, keepdims=True)
    param_shape = [1] * (ndim + 1)
    param_shape[axis], param_shape[axis + 1] = groups, channels // groups

    def grouped(param):
        return None if param is None else jnp.reshape(param.astype(xg.dtype), param_shape)

    out = _scale_and_shift(xg, mean, variance, grouped(gamma), grouped(beta), epsilon)
    return jnp.reshape(out, x.shape).astype(dtype)


def normalize(x, axis=-1, order=2, epsilon=None):
    """``x`` divided by its ``order``-norm over ``axis`` (at least ``epsilon``).

    Args:
        x: Input array.
        axis: Axis or axes of the norm.
        order: An int ``>= 1``: the norm's order.
        epsilon: Lower bound of the norm; ``None`` is the global ``epsilon()``.

    Example:
        >>> normalize(jnp.array([3.0, 4.0]))
        Array([0.6, 0.8], dtype=float32)
    """
    if not _args.is_int(order) or order < 1:
        raise _args.invalid("normalize", "order", order, "an int >= 1")
    epsilon = _args.epsilon(epsilon)
    x = _args.array(x)
    if x.ndim == 0:
        x = x[None]
    if order == 2:
        return l2_normalize(x, axis, epsilon)
    axes = normalize_axes(axis, x.ndim, "normalize")
    norm = jnp.sum(jnp.abs(x) ** order, axis=axes, keepdims=True) ** (1.0 / order)
    return x / jnp.maximum(norm, epsilon)


def l2_normalize(x, axis=-1, epsilon=1e-12):
    """``x / max(||x||_2 over axis, epsilon)``, computed as ``x * min(rsqrt(sum x^2), 1/eps)``."""
    axes = normalize_axes(axis, x.ndim)
    sq = jnp.sum(jnp.square(x), axis=axes, keepdims=True)
    inv = jnp.minimum(lax.rsqrt(sq), jnp.asarray(1.0 / epsilon, sq.dtype))
    return x * inv


def spectral_normalize(kernel, u, power_iterations=1, update=True, epsilon=1e-7):
    """``(kernel / sigma, new_u)``: ``sigma`` estimates the largest singular value.

    ``kernel`` is viewed as a ``(-1, out)`` matrix ``W``; ``update`` runs
    ``power_iterations`` steps ``v = normalize(u W^T)``, ``u = normalize(v W)``;
    without it ``u`` stays and only ``v`` is derived.  ``u`` and ``v`` carry no
    gradient; an all-zero kernel is returned unchanged.
    """
    w = jnp.reshape(kernel, (-1, kernel.shape[-1]))
    new_u = u
    v = l2_normalize(new_u @ w.T, axis=-1, epsilon=epsilon)
    if update:
        for _ in range(power_iterations):
            v = l2_normalize(new_u @ w.T, axis=-1, epsilon=epsilon)
            new_u = l2_normalize(v @ w, axis=-1, epsilon=epsilon)
    new_u = lax.stop_gradient(new_u)
    v = lax.stop_gradient(v)
    sigma = (v @ w @ new_u.T)[0, 0]
    zero = jnp.all(kernel == 0)
    normalized = jnp.where(zero, kernel, kernel / jnp.where(zero, 1.0, sigma))
    return normalized.astype(kernel.dtype), jnp.where(zero, u, new_u).astype(u.dtype)


def moving_average(average, value, momentum):
    """One step of an exponential moving average: ``average * momentum + value * (1 - momentum)``.

    Example:
        >>> moving_average(1.0, 3.0, 0.75)
        1.5
    """
    return average * momentum + value * (1.0 - momentum)


def renorm_scale_offset(mean, variance, renorm_mean, renorm_stddev, scale=None, offset=None,
                        epsilon=1e-3, rmin=None, rmax=None, dmax=None):
    """Batch renormalization (Ioffe, 2017): ``scale`` and ``offset`` with the correction folded in.

    With ``stddev = sqrt(variance + epsilon)`` of the batch and the renorm
    averages ``renorm_mean``/``renorm_stddev``, the correction is
    ``r = stddev / renorm_stddev`` (clipped to ``[rmin, rmax]``) and
    ``d = (mean - renorm_mean) / renorm_stddev`` (clipped to ``[-dmax, dmax]``),
    both without gradient.  Normalizing with the batch statistics and the
    returned ``(scale, offset)`` gives ``gamma * (r * x_hat + d) + beta``.

    Returns:
        ``(scale, offset, stddev)``: ``r * scale``, ``d * scale + offset`` (a
        missing ``scale`` counts as one, a missing ``offset`` as zero) and the
        batch ``stddev`` that updates the averages.

    Example:
        >>> s, o, std = renorm_scale_offset(jnp.array([1.0]), jnp.array([3.0]),
        ...                                 jnp.array([0.0]), jnp.array([1.0]), epsilon=1.0)
        >>> s, o
        (Array([2.], dtype=float32), Array([1.], dtype=float32))
    """
    dtype = mean.dtype
    stddev = jnp.sqrt(variance + epsilon)
    renorm_stddev = jnp.maximum(renorm_stddev.astype(dtype), jnp.sqrt(jnp.asarray(epsilon, dtype)))
    r = stddev / renorm_stddev
    d = (mean - renorm_mean.astype(dtype)) / renorm_stddev
    if rmin is not None:
        r = jnp.maximum(r, rmin)
    if rmax is not None:
        r = jnp.minimum(r, rmax)
    if dmax is not None:
        d = jnp.clip(d, -dmax, dmax)
    r, d = lax.stop_gradient(r), lax.stop_gradient(d)
    new_scale = r if scale is None else r * scale
    new_offset = d if scale is None else d * scale
    if offset is not None:
        new_offset = new_offset + offset
    return new_scale, new_offset, stddev
