"""Keras 3's ``keras.ops.nn``: activations, convolution, pooling, normalization,
attention, encodings and losses, as thin functions over ``jax.nn`` / ``jax.lax``.

Names, arguments, defaults and results follow Keras on its JAX backend; every
function takes NumPy or JAX arrays, eagerly and under ``jax.jit``.  These are
the ops the layers call: the math is written once.  ``data_format=None`` and
``epsilon=None`` read the global ``image_data_format()`` and ``epsilon()``.

Example:
    >>> import jax.numpy as jnp
    >>> from jaxlayers.ops import nn
    >>> nn.relu(jnp.array([-1.0, 2.0]))
    Array([0., 2.], dtype=float32)
    >>> nn.one_hot(jnp.array([2, 0]), 3)
    Array([[0., 0., 1.],
           [1., 0., 0.]], dtype=float32)
"""

import jax
import jax.numpy as jnp
from jax.experimental import sparse as jax_sparse

from jaxlayers.errors import ShapeError
from jaxlayers.ops import _args
from jaxlayers.ops._attention import dot_product_attention
from jaxlayers.ops._conv import conv, conv_transpose, depthwise_conv, separable_conv
from jaxlayers.ops._ctc import ctc_decode, ctc_loss
from jaxlayers.ops._normalization import (
    batch_normalization,
    layer_normalization,
    moments,
    normalize,
    rms_normalization,
)
from jaxlayers.ops._patches import depth_to_space, fold, space_to_depth, unfold
from jaxlayers.ops._pooling import adaptive_average_pool, adaptive_max_pool, average_pool, max_pool

__all__ = [
    "adaptive_average_pool", "adaptive_max_pool", "average_pool", "batch_normalization",
    "binary_crossentropy", "categorical_crossentropy", "celu", "conv", "conv_transpose",
    "ctc_decode", "ctc_loss", "depth_to_space", "depthwise_conv", "dot_product_attention",
    "elu", "fold", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_swish",
    "hard_tanh", "layer_normalization", "leaky_relu", "log_sigmoid", "log_softmax",
    "max_pool", "moments", "multi_hot", "normalize", "one_hot", "polar", "psnr", "relu",
    "relu6", "rms_normalization", "selu", "separable_conv", "sigmoid", "silu",
    "soft_shrink", "softmax", "softplus", "softsign", "space_to_depth",
    "sparse_categorical_crossentropy", "sparse_plus", "sparse_sigmoid", "sparsemax",
    "squareplus", "swish", "tanh_shrink", "threshold", "unfold",
]


# ------------------------------------------------------------------ activations
def relu(x):
    """``max(x, 0)``.

    Args:
        x: Array of any shape.

    Example:
        >>> relu(jnp.array([-2.0, 3.0]))
        Array([0., 3.], dtype=float32)
    """
    return jax.nn.relu(_args.array(x))


def relu6(x):
    """``min(max(x, 0), 6)``.

    Args:
        x: Array of any shape.

    Example:
        >>> np.asarray(jl.ops.nn.relu6(np.array([-1.0, 3.0, 8.0]))).round(3)
        array([0., 3., 6.], dtype=float32)
    """
    return jax.nn.relu6(_args.array(x))


def sigmoid(x):
    """Logistic sigmoid ``1 / (1 + exp(-x))``.

    Args:
        x: Array of any shape.

    Example:
        >>> np.asarray(jl.ops.nn.sigmoid(np.array([-2.0, 0.0, 2.0]))).round(3)
        array([0.119, 0.5  , 0.881], dtype=float32)
    """
    return jax.nn.sigmoid(_args.array(x))


def sparse_sigmoid(x):
    """Piecewise linear sigmoid: ``0`` below -1, ``(x + 1) / 2`` on [-1, 1], ``1`` above.

    Args:
        x: Array of any shape.

    Example:
        >>> np.asarray(jl.ops.nn.sparse_sigmoid(np.array([-2.0, 0.0, 2.0]))).round(3)
        array([0. , 0.5, 1. ], dtype=float32)
    """
    return jax.nn.sparse_sigmoid(_args.array(x))


def softplus(x):
    """``log(exp(x) + 1)``, computed stably.

    Args:
        x: Array of any shape.

    Example:
        >>> np.asarray(jl.ops.nn.softplus(np.array([0.0]))).round(3)
        array([0.693], dtype=float32)
    """
    return jax.nn.softplus(_args.array(x))


def softsign(x):
    """``x / (abs(x) + 1)``.

    Args:
        x: Array of any shape.

    Example:
        >>> np.asarray(jl.ops.nn.softsign(np.array([-3.0, 1.0]))).round(3)
        array([-0.75,  0.5 ], dtype=float32)
    """
    return jax.nn.soft_sign(_args.array(x))


def soft_shrink(x, threshold=0.5):
    """Shrinks ``x`` toward zero by ``threshold``; values within it become 0.

    Args:
        x: Array of any shape.
        threshold: Non-negative float, the half-width of the zeroed band.

    Example:
        >>> soft_shrink(jnp.array([-2.0, 0.2, 1.0]))
        Array([-1.5,  0. ,  0.5], dtype=float32)
    """
    x = _args.array(x)
    zero = jnp.zeros((), x.dtype)
    return jnp.where(x > threshold, x - threshold,
                     jnp.where(x < -threshold, x + threshold, zero))


def sparse_plus(x):
    """Piecewise softplus: ``0`` below -1, ``(x + 1)**2 / 4`` on [-1, 1], ``x`` above 1.

    Args:
        x: Array of any shape.

    Example:
        >>> np.asarray(jl.ops.nn.sparse_plus(np.array([-2.0, 0.0, 2.0]))).round(3)
        array([0.  , 0.25, 2.  ], dtype=float32)
    """
    return jax.nn.sparse_plus(_args.array(x))


def silu(x):
    """Sigmoid linear unit (a.k.a. swish): ``x * sigmoid(x)``.

    Args:
        x: Array of any shape.

    Example:
        >>> np.asarray(jl.ops.nn.silu(np.array([-2.0, 0.0, 2.0]))).round(3)
        array([-0.238,  0.   ,  1.762], dtype=float32)
    """
    return jax.nn.silu(_args.array(x))


swish = silu


def squareplus(x, b=4):
    """Smooth ReLU ``(x + sqrt(x**2 + b)) / 2`` (So, 2021).

    Args:
        x: Array of any shape.
        b: Non-negative smoothness; 0 gives ReLU.

    Example:
        >>> np.asarray(jl.ops.nn.squareplus(np.array([0.0, 3.0]))).round(3)
        array([1.   , 3.303], dtype=float32)
    """
    return jax.nn.squareplus(_args.array(x), b=b)


def log_sigmoid(x):
    """``log(sigmoid(x))``, computed stably.

    Args:
        x: Array of any shape.

    Example:
        >>> np.asarray(jl.ops.nn.log_sigmoid(np.array([0.0]))).round(3)
        array([-0.693], dtype=float32)
    """
    return jax.nn.log_sigmoid(_args.array(x))


def leaky_relu(x, negative_slope=0.2):
    """``x`` where positive, ``negative_slope * x`` elsewhere.

    Args:
        x: Array of any shape.
        negative_slope: Slope for negative inputs.

    Example:
        >>> leaky_relu(jnp.array([-1.0, 3.0]))
        Array([-0.2,  3. ], dtype=float32)
    """
    return jax.nn.leaky_relu(_args.array(x), negative_slope=negative_slope)


def hard_sigmoid(x):
    """Piecewise linear sigmoid ``relu6(x + 3) / 6``.

    Args:
        x: Array of any shape.

    Example:
        >>> hard_sigmoid(jnp.array([-4.0, 0.0, 4.0]))
        Array([0. , 0.5, 1. ], dtype=float32)
    """
    return jax.nn.hard_sigmoid(_args.array(x))


def hard_silu(x):
    """``x * hard_sigmoid(x)`` (a.k.a. hard swish, Howard et al., 2019).

    Args:
        x: Array of any shape.

    Example:
        >>> np.asarray(jl.ops.nn.hard_silu(np.array([-3.0, 0.0, 3.0]))).round(3)
        array([-0.,  0.,  3.], dtype=float32)
    """
    return jax.nn.hard_silu(_args.array(x))


hard_swish = hard_silu


def elu(x, alpha=1.0):
    """Exponential linear unit: ``x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``.

    Args:
        x: Array of any shape.
        alpha: Scale of the negative part.

    Example:
        >>> np.asarray(jl.ops.nn.elu(np.array([-2.0, 0.0, 2.0]))).round(3)
        array([-0.865,  0.   ,  2.   ], dtype=float32)
    """
    return jax.nn.elu(_args.array(x), alpha=alpha)


def selu(x):
    """Scaled ELU (Klambauer et al., 2017) with its fixed ``alpha`` and ``scale``.

    Args:
        x: Array of any shape.

    Example:
        >>> np.asarray(jl.ops.nn.selu(np.array([-2.0, 0.0, 2.0]))).round(3)
        array([-1.52 ,  0.   ,  2.101], dtype=float32)
    """
    return jax.nn.selu(_args.array(x))


def gelu(x, approximate=True):
    """Gaussian error linear unit ``x * Phi(x)`` (Hendrycks & Gimpel, 2016).

    Args:
        x: Input array.
        approximate: Use the tanh approximation (the default here, as in
            ``keras.ops``; ``keras.activations.gelu`` defaults to the exact form).

    Example:
        >>> np.asarray(jl.ops.nn.gelu(np.array([-2.0, 0.0, 2.0]))).round(3)
        array([-0.045,  0.   ,  1.955], dtype=float32)
    """
    return jax.nn.gelu(_args.array(x), approximate=approximate)


def celu(x, alpha=1.0):
    """Continuously differentiable ELU: ``max(x, 0) + min(0, alpha * (exp(x / alpha) - 1))``.

    Args:
        x: Array of any shape.
        alpha: Scale of the negative part.

    Example:
        >>> np.asarray(jl.ops.nn.celu(np.array([-2.0, 0.0, 2.0]))).round(3)
        array([-0.865,  0.   ,  2.   ], dtype=float32)
    """
    return jax.nn.celu(_args.array(x), alpha=alpha)


def glu(x, axis=-1):
    """Gated linear unit: splits ``x`` in two along ``axis`` and returns ``a * sigmoid(b)``.

    Args:
        x: Array whose ``axis`` has an even size.
        axis: Int axis split into value and gate halves.

    Example:
        >>> glu(jnp.array([2.0, 0.0]))
        Array([1.], dtype=float32)
    """
    x = _args.array(x)
    if x.shape[axis] % 2:
        raise ShapeError(f"ops.glu: the size of `axis` {axis} must be even. "
                         f"Received: x.shape={tuple(x.shape)}.")
    return jax.nn.glu(x, axis=axis)


def tanh_shrink(x):
    """``x - tanh(x)``.

    Args:
        x: Array of any shape.

    Example:
        >>> np.asarray(jl.ops.nn.tanh_shrink(np.array([0.0, 1.0]))).round(3)
        array([0.   , 0.238], dtype=float32)
    """
    x = _args.array(x)
    return x - jnp.tanh(x)


def hard_tanh(x):
    """``clip(x, -1, 1)``.

    Args:
        x: Array of any shape.

    Example:
        >>> np.asarray(jl.ops.nn.hard_tanh(np.array([-2.0, 0.0, 2.0]))).round(3)
        array([-1.,  0.,  1.], dtype=float32)
    """
    return jax.nn.hard_tanh(_args.array(x))


def hard_shrink(x, threshold=0.5):
    """``x`` where ``abs(x) > threshold``, else 0.

    Args:
        x: Array of any shape.
        threshold: Non-negative float, the half-width of the zeroed band.

    Example:
        >>> np.asarray(jl.ops.nn.hard_shrink(np.array([-1.0, 0.3, 0.8]))).round(3)
        array([-1. ,  0. ,  0.8], dtype=float32)
    """
    x = _args.array(x)
    return jnp.where(jnp.abs(x) > threshold, x, jnp.zeros((), x.dtype))


def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else ``default_value``.

    Args:
        x: Array of any shape.
        threshold: Float; entries at or below it are replaced.
        default_value: Float replacing them.

    Example:
        >>> threshold(jnp.array([0.5, 2.0]), 1.0, -1.0)
        Array([-1.,  2.], dtype=float32)
    """
    x = _args.array(x)
    return jnp.where(x > threshold, x, jnp.asarray(default_value, x.dtype))


def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x))`` along ``axis`` (an int or a tuple), computed stably.

    Args:
        x: Array of any shape.
        axis: Int or tuple of ints, the axes normalized over.

    Example:
        >>> softmax(jnp.array([0.0, 0.0]))
        Array([0.5, 0.5], dtype=float32)
    """
    return jax.nn.softmax(_args.array(x), axis=_axis(axis))


def log_softmax(x, axis=-1):
    """``log(softmax(x))`` along ``axis``, computed without forming the softmax.

    Args:
        x: Array of any shape.
        axis: Int axis normalized over.

    Example:
        >>> np.asarray(jl.ops.nn.log_softmax(np.array([0.0, 0.0]))).round(3)
        array([-0.693, -0.693], dtype=float32)
    """
    return jax.nn.log_softmax(_args.array(x), axis=_axis(axis))


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def sparsemax(x, axis=-1):
    """Euclidean projection of ``x`` onto the probability simplex along ``axis``.

    Like softmax the output is non-negative and sums to one, but it can be
    exactly zero (Martins & Astudillo, 2016).

    Args:
        x: Array of any shape.
        axis: Int axis normalized over.

    Example:
        >>> sparsemax(jnp.array([1.0, 0.5, -2.0]))
        Array([0.75, 0.25, 0.  ], dtype=float32)
    """
    x = _args.array(x)
    z = jnp.moveaxis(x, axis, -1)
    z_sorted = -jnp.sort(-z, axis=-1)
    cumsum = jnp.cumsum(z_sorted, axis=-1)
    ranks = jnp.arange(1, z.shape[-1] + 1, dtype=z.dtype)
    # The support is a prefix of the sorted values; its size k picks the k-th cumsum.
    support = 1 + ranks * z_sorted > cumsum
    k = jnp.sum(support, axis=-1, keepdims=True)
    cumsum_k = jnp.take_along_axis(cumsum, k - 1, axis=-1)
    tau = (cumsum_k - 1) / k.astype(z.dtype)
    return jnp.moveaxis(jnp.maximum(z - tau, 0), -1, axis)


# ------------------------------------------------------------------ encodings
def _encoding_axis(op, axis, ndim):
    """The position of the new class axis in a rank-``ndim + 1`` result."""
    if axis == -1:
        return ndim
    if not _args.is_int(axis) or not 0 <= axis <= ndim:
        raise _args.invalid(op, "axis", axis, f"-1 or an int in [0, {ndim}]")
    return int(axis)


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """Integer labels as one-hot vectors along a new ``axis``.

    Args:
        x: Integer labels; labels outside ``[0, num_classes)`` give all zeros.
        num_classes: Positive int, the size of the new axis.
        axis: Where the new axis goes (``-1``: last).
        dtype: Result dtype; ``None`` is ``float32``.
        sparse: Return a ``jax.experimental.sparse.BCOO`` array.

    Example:
        >>> one_hot(jnp.array([1, 0]), 2, axis=0)
        Array([[0., 1.],
               [1., 0.]], dtype=float32)
    """
    x = _args.array(x)
    num_classes = _args.positive_int("one_hot", "num_classes", num_classes)
    axis = _encoding_axis("one_hot", axis, x.ndim)
    dense = jax.nn.one_hot(x, num_classes, axis=axis, dtype=dtype or jnp.float32)
    return _maybe_sparse(dense, sparse, x.size)


def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """Sets of integer labels as multi-hot vectors (1 where a label occurs).

    A rank-1 input is one set; a rank-2 (or higher) input holds one set per row
    along its second axis, which the encoding replaces.

    Args:
        inputs: Integer labels.
        num_classes: Positive int (``num_tokens`` is accepted as its old name).
        axis: Where the class axis goes before the sets are merged.
        dtype: Result dtype; ``None`` is ``float32``.
        sparse: Return a ``jax.experimental.sparse.BCOO`` array.

    Example:
        >>> multi_hot(jnp.array([[0, 2], [1, 1]]), 3)
        Array([[1., 0., 1.],
               [0., 1., 0.]], dtype=float32)
    """
    if num_classes is None:
        num_classes = kwargs.pop("num_tokens", None)
    if kwargs:
        raise _args.type_error("multi_hot", "kwargs", kwargs, "empty or only `num_tokens`")
    if num_classes is None:
        raise _args.invalid("multi_hot", "num_classes", None, "a positive int")
    x = _args.array(inputs).astype(jnp.int32)
    num_classes = _args.positive_int("multi_hot", "num_classes", num_classes)
    axis = _encoding_axis("multi_hot", axis, x.ndim)
    encoded = jax.nn.one_hot(x, num_classes, axis=axis, dtype=dtype or jnp.float32)
    dense = jnp.max(encoded, axis=1 if x.ndim > 1 else 0)
    return _maybe_sparse(dense, sparse, x.size)


def _maybe_sparse(dense, sparse, nse):
    if not sparse:
        return dense
    return jax_sparse.BCOO.fromdense(dense, nse=nse)


# ------------------------------------------------------------------ losses
def _float_pair(op, target, output):
    target, output = _args.array(target), _args.array(output)
    _args.same_shape(op, "target", target, "output", output)
    if output.ndim < 1 and op != "binary_crossentropy":
        raise ShapeError(f"ops.{op}: `target` and `output` must have rank 1 or more. "
                         f"Received: output.shape={tuple(output.shape)}.")
    return target, output


def _log_probs(output, from_logits, axis):
    if from_logits:
        return jax.nn.log_softmax(output, axis=axis)
    eps = _args.epsilon(None)
    output = output / jnp.sum(output, axis, keepdims=True)
    return jnp.log(jnp.clip(output, eps, 1.0 - eps))


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise ``-(t log p + (1 - t) log(1 - p))``; ``p`` is clipped to ``[eps, 1 - eps]``.

    Args:
        target: Array of 0/1 (or soft) targets.
        output: Array of probabilities (logits when ``from_logits``), shaped like
            ``target``.
        from_logits: Whether ``output`` holds logits rather than probabilities.

    Example:
        >>> binary_crossentropy(jnp.array([1.0]), jnp.array([0.0]), from_logits=True)
        Array([0.6931472], dtype=float32)
    """
    target, output = _float_pair("binary_crossentropy", target, output)
    if from_logits:
        return -(target * jax.nn.log_sigmoid(output)
                 + (1.0 - target) * jax.nn.log_sigmoid(-output))
    eps = _args.epsilon(None)
    output = jnp.clip(output, eps, 1.0 - eps)
    return -(target * jnp.log(output) + (1.0 - target) * jnp.log(1.0 - output))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """``-sum(target * log(p))`` over ``axis``; probabilities are renormalized and clipped.

    Args:
        target: Array of one-hot (or soft) targets ``(..., classes)``.
        output: Array of probabilities (logits when ``from_logits``), shaped like
            ``target``.
        from_logits: Whether ``output`` holds logits rather than probabilities.
        axis: Int class axis.

    Example:
        >>> categorical_crossentropy(jnp.array([0.0, 1.0]), jnp.array([0.5, 0.5]))
        Array(0.6931472, dtype=float32)
    """
    target, output = _float_pair("categorical_crossentropy", target, output)
    return -jnp.sum(target * _log_probs(output, from_logits, axis), axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Categorical crossentropy with integer targets (a trailing size-1 axis is allowed).

    Args:
        target: Int array of class indices ``(...)`` or ``(..., 1)``.
        output: Array ``(..., classes)`` of probabilities (logits when ``from_logits``).
        from_logits: Whether ``output`` holds logits rather than probabilities.
        axis: Int class axis of ``output``.

    Example:
        >>> sparse_categorical_crossentropy(jnp.array([1]), jnp.array([[0.5, 0.5]]))
        Array([0.6931472], dtype=float32)
    """
    op = "sparse_categorical_crossentropy"
    target, output = _args.array(target).astype(jnp.int32), _args.array(output)
    if output.ndim < 1:
        raise ShapeError(f"ops.{op}: `output` must have rank 1 or more. "
                         f"Received: output.shape={tuple(output.shape)}.")
    if target.ndim == output.ndim and target.shape[-1] == 1:
        target = jnp.squeeze(target, -1)
    if tuple(target.shape) != tuple(output.shape[:-1]):
        raise ShapeError(f"ops.{op}: `target` must have the shape of `output` without its "
                         f"last axis. Received: target.shape={tuple(target.shape)}, "
                         f"output.shape={tuple(output.shape)}.")
    log_probs = _log_probs(output, from_logits, axis)
    labels = jax.nn.one_hot(target, output.shape[axis], axis=axis, dtype=log_probs.dtype)
    return -jnp.sum(labels * log_probs, axis=axis)


# ------------------------------------------------------------------ misc
def psnr(x1, x2, max_val):
    """Peak signal-to-noise ratio in dB: ``20 log10(max_val) - 10 log10(mse)``.

    Args:
        x1: Array of reference values.
        x2: Array of the same shape.
        max_val: Scalar, the largest possible value (1.0 or 255).

    Example:
        >>> psnr(jnp.zeros(4), jnp.full(4, 0.1), 1.0)
        Array(20., dtype=float32)
    """
    x1, x2 = _args.array(x1), _args.array(x2)
    _args.same_shape("psnr", "x1", x1, "x2", x2)
    max_val = jnp.asarray(max_val, x2.dtype)
    mse = jnp.mean(jnp.square(x1 - x2))
    return 20.0 * jnp.log10(max_val) - 10.0 * jnp.log10(mse)


def polar(abs_, angle):
    """The complex number ``abs_ * (cos(angle) + i sin(angle))``, elementwise.

    Args:
        abs_: Array of magnitudes.
        angle: Array of angles in radians, broadcastable with ``abs_``.

    Example:
        >>> polar(jnp.array(2.0), jnp.array(0.0))
        Array(2.+0.j, dtype=complex64)
    """
    abs_, angle = _args.array(abs_), _args.array(angle)
    real, imag = abs_ * jnp.cos(angle), abs_ * jnp.sin(angle)
    dtype = jnp.result_type(real.dtype, imag.dtype)
    return jax.lax.complex(real.astype(dtype), imag.astype(dtype))

