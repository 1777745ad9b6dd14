"""Weight initializers with the names, arguments and numerics of ``keras.initializers``.

An initializer is called as ``init(shape, dtype=None, *, key=None)``.  Random
ones choose their key in this order:

1. ``key`` when given (it may be a traced key inside ``jit``);
2. else, when constructed with an int ``seed``, a key derived from that seed,
   so every call returns the same values.  The key is the raw threefry key
   ``[seed, 0]`` that Keras's JAX backend builds from an int seed, which makes
   seeded draws equal to Keras's bit for bit;
3. else a fresh key from ``jaxlayers.backend.next_eager_key()``.

``dtype=None`` means ``jaxlayers.backend.floatx()``.

Example:
    >>> import jax
    >>> from jaxlayers import initializers
    >>> init = initializers.get("glorot_uniform")
    >>> init((3, 4), key=jax.random.key(0)).shape
    (3, 4)
    >>> initializers.serialize(initializers.Zeros())["class_name"]
    'Zeros'
"""

import inspect
import math
import numbers

import jax
import jax.numpy as jnp
import numpy as np

from jaxlayers import backend, hooks
from jaxlayers.core import serialization
from jaxlayers.errors import ConfigError, ConfigTypeError, DTypeError, ShapeError
from jaxlayers.ops.math import named_window

_CATEGORY = "initializers"
_MODULE = "jaxlayers.initializers"
# Standard deviation of a unit normal truncated to [-2, 2]; dividing by it makes
# the truncated draw have the requested standard deviation.
_TRUNCATION_STDDEV = 0.87962566103423978


def _register(*aliases):
    return serialization.register_builtin_with_aliases(_CATEGORY, *aliases)


def _standardize_shape(owner, shape):
    if isinstance(shape, numbers.Integral):
        shape = (shape,)
    try:
        shape = tuple(int(d) for d in shape)
    except (TypeError, ValueError):
        raise ShapeError(
            f"{owner}: `shape` must be a tuple of ints. Received: shape={shape!r}."
        ) from None
    if any(d < 0 for d in shape):
        raise ShapeError(f"{owner}: `shape` must not have negative sizes. Received: shape={shape}.")
    return shape


def _standardize_dtype(dtype):
    return jnp.dtype(backend.floatx() if dtype is None else dtype)


def compute_fans(shape, input_axes=None, output_axes=None):
    """``(fan_in, fan_out)`` of a weight shape, following Keras's rules.

    Rank 0: ``(1, 1)``; rank 1: ``(n, n)``; rank 2: ``(rows, cols)``; higher
    ranks are convolution kernels ``(*spatial, in, out)`` whose fans are
    multiplied by the receptive field size ``prod(spatial)``.  When both
    ``input_axes`` and ``output_axes`` are given, the fans are the products of
    those axes' sizes instead.

    Args:
        shape: Tuple of ints, the weight's shape.
        input_axes: Axes counted as fan-in; ``None`` means Keras's convention (all but the
            last).
        output_axes: Axes counted as fan-out; ``None`` means the last.

    Example:
        >>> compute_fans((3, 3, 16, 32))
        (144, 288)
    """
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return (int(math.prod(shape[a] for a in input_axes)),
                int(math.prod(shape[a] for a in output_axes)))
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    receptive_field = math.prod(shape[:-2])
    return int(shape[-2] * receptive_field), int(shape[-1] * receptive_field)


class Initializer:
    """Base class: a callable ``(shape, dtype=None, *, key=None) -> array``.

    Subclasses implement ``__call__`` and, when their constructor takes
    arguments, ``get_config``.

    Example:
        >>> class Twos(jl.initializers.Initializer):
        ...     def __call__(self, shape, dtype=None, *, key=None):
        ...         return 2 * jnp.ones(shape, dtype or "float32")
        >>> Twos()((2,)).tolist()
        [2.0, 2.0]
    """

    def __call__(self, shape, dtype=None, *, key=None):
        raise NotImplementedError(
            f"{type(self).__name__} must implement __call__(shape, dtype=None, *, key=None)."
        )

    def get_config(self):
        """The constructor arguments as a JSON-friendly dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Rebuilds an initializer from :meth:`get_config` output."""
        return cls(**config)

    def clone(self):
        """A new initializer with the same config."""
        return type(self).from_config(self.get_config())

    def __repr__(self):
        return serialization.config_repr(self)


class _RandomInitializer(Initializer):
    """Shared seed handling and key choice of the random initializers."""

    def __init__(self, seed=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise ConfigTypeError(
                f"{type(self).__name__}: `seed` must be an int or None. Received: seed={seed!r}."
            )
        self.seed = None if seed is None else int(seed)

    def _key(self, key):
        if key is not None:
            if jax.dtypes.issubdtype(getattr(key, "dtype", None), jax.dtypes.prng_key):
                return key
            # A legacy raw key (uint32[2], from jax.random.PRNGKey) is accepted too.
            return jax.random.wrap_key_data(jnp.asarray(key, jnp.uint32), impl="threefry2x32")
        if self.seed is not None:
            data = np.array([self.seed & 0xFFFFFFFF, 0], dtype=np.uint32)
            return jax.random.wrap_key_data(data, impl="threefry2x32")
        return backend.next_eager_key()

    def _prepare(self, shape, dtype):
        shape = _standardize_shape(type(self).__name__, shape)
        dtype = _standardize_dtype(dtype)
        if not jnp.issubdtype(dtype, jnp.floating):
            raise DTypeError(
                f"{type(self).__name__} draws floating point values; expected a float dtype. "
                f"Received: dtype={dtype.name}."
            )
        return shape, dtype

    def get_config(self):
        return {"seed": self.seed}


class _LocationScale(_RandomInitializer):
    """``mean`` / ``stddev`` handling shared by the two normal initializers."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None, *, key=None):
        shape, dtype = self._prepare(shape, dtype)
        return self._draw(self._key(key), shape, dtype) * self.stddev + self.mean

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


@_register("random_normal", "normal")
class RandomNormal(_LocationScale):
    """Samples from a normal distribution ``N(mean, stddev**2)``.

    Args:
        mean: Mean of the distribution.
        stddev: Standard deviation of the distribution.
        seed: Optional int; the same seed gives the same values on every call.

    Example:
        >>> RandomNormal(stddev=1.0, seed=0)((2, 2)).shape
        (2, 2)
    """

    @staticmethod
    def _draw(key, shape, dtype):
        return jax.random.normal(key, shape=shape, dtype=dtype)


@_register("truncated_normal")
class TruncatedNormal(_LocationScale):
    """Normal samples ``mean + stddev * z`` with ``z`` truncated to ``[-2, 2]``.

    Args:
        mean: Mean of the distribution before truncation.
        stddev: Scale of the distribution before truncation.
        seed: Optional int seed.

    Example:
        >>> bool((abs(TruncatedNormal(stddev=1.0, seed=0)((100,))) <= 2).all())
        True
    """

    @staticmethod
    def _draw(key, shape, dtype):
        return jax.random.truncated_normal(key, -2.0, 2.0, shape=shape, dtype=dtype)


@_register("random_uniform", "uniform")
class RandomUniform(_RandomInitializer):
    """Samples uniformly from ``[minval, maxval)``.

    Args:
        minval: Lower bound.
        maxval: Upper bound (exclusive).
        seed: Optional int seed.

    Example:
        >>> bool((RandomUniform(0.0, 1.0, seed=1)((100,)) >= 0).all())
        True
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None, *, key=None):
        shape, dtype = self._prepare(shape, dtype)
        return jax.random.uniform(self._key(key), shape=shape, dtype=dtype,
                                  minval=self.minval, maxval=self.maxval)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


@_register("variance_scaling")
class VarianceScaling(_RandomInitializer):
    """Samples with a variance scaled to the weight's fan-in and/or fan-out.

    With ``n`` the fan chosen by ``mode`` (``fan_in``, ``fan_out`` or their mean
    for ``fan_avg``, see :func:`compute_fans`), the target variance is
    ``scale / n``.  ``distribution="truncated_normal"`` (alias ``"normal"``)
    draws a normal truncated to two standard deviations, widened so the
    truncated draw keeps that variance; ``"untruncated_normal"`` draws a plain
    normal; ``"uniform"`` draws from ``[-limit, limit]``, ``limit = sqrt(3 * scale / n)``.

    Args:
        scale: Positive scaling factor.
        mode: ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"``.
        distribution: ``"truncated_normal"``, ``"untruncated_normal"`` or ``"uniform"``.
        seed: Optional int seed.
        input_axes: Optional axes whose sizes multiply to the fan-in.
        output_axes: Optional axes whose sizes multiply to the fan-out (both
            must be given to replace the default rules).

    The Glorot, He and LeCun initializers are presets of this class.

    Example:
        >>> init = VarianceScaling(scale=2.0, mode="fan_in", distribution="uniform", seed=0)
        >>> bool((init((3, 3, 16, 32)) == HeUniform(seed=0)((3, 3, 16, 32))).all())
        True
    """

    _MODES = ("fan_in", "fan_out", "fan_avg")
    _DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 input_axes=None, output_axes=None):
        name = type(self).__name__
        if isinstance(scale, bool) or not isinstance(scale, numbers.Real) or not scale > 0:
            raise ConfigError(
                f"{name}: `scale` must be a positive float. Received: scale={scale!r}."
            )
        if mode not in self._MODES:
            raise ConfigError(
                f"{name}: `mode` must be one of {self._MODES}. Received: mode={mode!r}."
            )
        dist = distribution.lower() if isinstance(distribution, str) else distribution
        dist = "truncated_normal" if dist == "normal" else dist
        if dist not in self._DISTRIBUTIONS:
            raise ConfigError(
                f"{name}: `distribution` must be one of {self._DISTRIBUTIONS} (or 'normal'). "
                f"Received: distribution={distribution!r}."
            )
        for arg, axes in (("input_axes", input_axes), ("output_axes", output_axes)):
            if axes is not None and not all(isinstance(a, numbers.Integral) for a in axes):
                raise ConfigError(f"{name}: `{arg}` must be a list of ints or None. "
                                  f"Received: {arg}={axes!r}.")
        self.scale = float(scale)
        self.mode = mode
        self.distribution = dist
        self.input_axes = None if input_axes is None else list(input_axes)
        self.output_axes = None if output_axes is None else list(output_axes)
        super().__init__(seed=seed)

    def _variance(self, shape):
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        return self.scale / max(1.0, fan)

    def __call__(self, shape, dtype=None, *, key=None):
        shape, dtype = self._prepare(shape, dtype)
        variance = self._variance(shape)
        key = self._key(key)
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(variance) / _TRUNCATION_STDDEV
            sample = jax.random.truncated_normal(key, -2.0, 2.0, shape=shape, dtype=dtype)
            return sample * stddev + 0.0
        if self.distribution == "untruncated_normal":
            stddev = math.sqrt(variance)
            return jax.random.normal(key, shape=shape, dtype=dtype) * stddev + 0.0
        limit = math.sqrt(3.0 * variance)
        return jax.random.uniform(key, shape=shape, dtype=dtype, minval=-limit, maxval=limit)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}


class _PresetVarianceScaling(VarianceScaling):
    """VarianceScaling with a fixed scale, mode and distribution (Glorot, He, LeCun)."""

    _PRESET = {}

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(seed=seed, input_axes=input_axes, output_axes=output_axes, **self._PRESET)

    def get_config(self):
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}


@_register("glorot_normal")
class GlorotNormal(_PresetVarianceScaling):
    """Truncated normal with ``stddev = sqrt(2 / (fan_in + fan_out))`` (Glorot & Bengio, 2010).

    Args:
        seed: Int seed, or ``None`` for the layer's key (or the eager stream).
        input_axes: Axes counted as fan-in; ``None`` means all but the last.
        output_axes: Axes counted as fan-out; ``None`` means the last.

    Example:
        >>> w = jl.initializers.GlorotNormal(seed=0)((100, 100))
        >>> w.shape, bool(abs(float(w.std()) - 0.1) < 0.02)
        ((100, 100), True)
    """

    _PRESET = {"scale": 1.0, "mode": "fan_avg", "distribution": "truncated_normal"}


@_register("glorot_uniform")
class GlorotUniform(_PresetVarianceScaling):
    """Uniform on ``[-limit, limit]``, ``limit = sqrt(6 / (fan_in + fan_out))``.

    Args:
        seed: Int seed, or ``None`` for the layer's key (or the eager stream).
        input_axes: Axes counted as fan-in; ``None`` means all but the last.
        output_axes: Axes counted as fan-out; ``None`` means the last.

    Example:
        >>> w = jl.initializers.GlorotUniform(seed=0)((6, 2))
        >>> bool(abs(w).max() <= 1.0)
        True
    """

    _PRESET = {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}


@_register("he_normal")
class HeNormal(_PresetVarianceScaling):
    """Truncated normal with ``stddev = sqrt(2 / fan_in)`` (He et al., 2015).

    Args:
        seed: Int seed, or ``None`` for the layer's key (or the eager stream).
        input_axes: Axes counted as fan-in; ``None`` means all but the last.
        output_axes: Axes counted as fan-out; ``None`` means the last.

    Example:
        >>> w = jl.initializers.HeNormal(seed=0)((200, 50))
        >>> bool(abs(float(w.std()) - 0.1) < 0.02)
        True
    """

    _PRESET = {"scale": 2.0, "mode": "fan_in", "distribution": "truncated_normal"}


@_register("he_uniform")
class HeUniform(_PresetVarianceScaling):
    """Uniform on ``[-limit, limit]``, ``limit = sqrt(6 / fan_in)``.

    Args:
        seed: Int seed, or ``None`` for the layer's key (or the eager stream).
        input_axes: Axes counted as fan-in; ``None`` means all but the last.
        output_axes: Axes counted as fan-out; ``None`` means the last.

    Example:
        >>> w = jl.initializers.HeUniform(seed=0)((6, 2))
        >>> bool(abs(w).max() <= 1.0)
        True
    """

    _PRESET = {"scale": 2.0, "mode": "fan_in", "distribution": "uniform"}


@_register("lecun_normal")
class LecunNormal(_PresetVarianceScaling):
    """Truncated normal with ``stddev = sqrt(1 / fan_in)`` (LeCun et al., 1998).

    Args:
        seed: Int seed, or ``None`` for the layer's key (or the eager stream).
        input_axes: Axes counted as fan-in; ``None`` means all but the last.
        output_axes: Axes counted as fan-out; ``None`` means the last.

    Example:
        >>> w = jl.initializers.LecunNormal(seed=0)((100, 50))
        >>> bool(abs(float(w.std()) - 0.1) < 0.02)
        True
    """

    _PRESET = {"scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal"}


@_register("lecun_uniform")
class LecunUniform(_PresetVarianceScaling):
    """Uniform on ``[-limit, limit]``, ``limit = sqrt(3 / fan_in)``.

    Args:
        seed: Int seed, or ``None`` for the layer's key (or the eager stream).
        input_axes: Axes counted as fan-in; ``None`` means all but the last.
        output_axes: Axes counted as fan-out; ``None`` means the last.

    Example:
        >>> w = jl.initializers.LecunUniform(seed=0)((3, 2))
        >>> bool(abs(w).max() <= 1.0)
        True
    """

    _PRESET = {"scale": 1.0, "mode": "fan_in", "distribution": "uniform"}


@_register("orthogonal", "OrthogonalInitializer")
class Orthogonal(_RandomInitializer):
    """A (semi-)orthogonal matrix times ``gain`` (Saxe et al., 2014).

    The shape is viewed as a matrix ``(prod(shape[:-1]), shape[-1])``; its
    columns are orthonormal when it has at least as many rows as columns, its
    rows otherwise.  The matrix is the ``Q`` factor of a QR decomposition of a
    normal draw, with signs fixed by ``R``'s diagonal.  For float16 / bfloat16
    the draw and the factorization run in float32 and the result is cast.

    Args:
        gain: Multiplicative factor.
        seed: Optional int seed.

    Example:
        >>> q = Orthogonal(seed=0)((4, 4))
        >>> bool(jnp.allclose(q.T @ q, jnp.eye(4), atol=1e-5))
        True
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = gain
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None, *, key=None):
        shape, dtype = self._prepare(shape, dtype)
        if len(shape) < 2:
            raise ShapeError(
                f"Orthogonal initializes tensors of rank >= 2. Received: shape={shape} of rank "
                f"{len(shape)}. For a bias use 'zeros'."
            )
        rows, cols = math.prod(shape[:-1]), shape[-1]
        # QR has no float16/bfloat16 kernels: factor in float32 and cast the result.
        work_dtype = jnp.promote_types(dtype, jnp.float32)
        a = jax.random.normal(self._key(key), (max(rows, cols), min(rows, cols)), dtype=work_dtype)
        q, r = jnp.linalg.qr(a)
        q = q * jnp.sign(jnp.diag(r))
        if rows < cols:
            q = q.T
        return (self.gain * jnp.reshape(q, shape)).astype(dtype)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


@_register("zeros", "zero")
class Zeros(Initializer):
    """All zeros.

    Example:
        >>> Zeros()((2,), "int32").tolist()
        [0, 0]
    """

    def __call__(self, shape, dtype=None, *, key=None):
        return jnp.zeros(_standardize_shape("Zeros", shape), _standardize_dtype(dtype))


@_register("ones", "one")
class Ones(Initializer):
    """All ones.

    Example:
        >>> Ones()((2,)).tolist()
        [1.0, 1.0]
    """

    def __call__(self, shape, dtype=None, *, key=None):
        return jnp.ones(_standardize_shape("Ones", shape), _standardize_dtype(dtype))


@_register("constant")
class Constant(Initializer):
    """Fills with ``value`` (a scalar, or an array broadcastable to the shape).

    Args:
        value: Scalar every entry is set to.

    Example:
        >>> Constant(3.0)((2,)).tolist()
        [3.0, 3.0]
    """

    def __init__(self, value=0.0):
        if isinstance(value, (list, tuple, np.ndarray, jax.Array)):
            value = np.asarray(value)
        numeric = isinstance(value, numbers.Number) or np.issubdtype(np.asarray(value).dtype,
                                                                     np.number)
        if not numeric or isinstance(value, bool):
            raise ConfigError(
                f"Constant: `value` must be a number or array. Received: value={value!r}."
            )
        self.value = value

    def __call__(self, shape, dtype=None, *, key=None):
        shape = _standardize_shape("Constant", shape)
        dtype = _standardize_dtype(dtype)
        try:
            return jnp.broadcast_to(jnp.asarray(self.value, dtype), shape)
        except ValueError:
            raise ShapeError(
                f"Constant: `value` of shape {np.shape(self.value)} does not broadcast to the "
                f"requested shape. Received: shape={shape}."
            ) from None

    def get_config(self):
        value = self.value.tolist() if isinstance(self.value, np.ndarray) else self.value
        return {"value": value}


@_register("identity", "IdentityInitializer")
class Identity(Initializer):
    """``gain`` times the identity matrix (rectangular shapes get ones on the diagonal).

    Args:
        gain: Float multiplying the identity matrix.

    Example:
        >>> Identity(gain=2.0)((2, 3)).tolist()
        [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0]]
    """

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None, *, key=None):
        shape = _standardize_shape("Identity", shape)
        if len(shape) != 2:
            raise ShapeError(
                f"Identity initializes 2D matrices only. Received: shape={shape} of rank "
                f"{len(shape)}."
            )
        return self.gain * jnp.eye(*shape, dtype=_standardize_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain}


@_register("stft", "STFTInitializer")
class STFT(Initializer):
    """The windowed Fourier basis that ``STFTSpectrogram`` starts from (its conv kernels).

    For a shape ``(frame_length, channels, bins)`` it fills
    ``cos(-2 pi t f / n)`` (``side='real'``) or ``sin(-2 pi t f / n)``
    (``side='imag'``) for time ``t``, frequency bin ``f`` and
    ``n = 2 * (bins - 1)``, times the window, divided by the window's scaling.

    Args:
        side: ``'real'`` or ``'imag'``.
        window: A ``scipy.signal.get_window`` name (``'hann'``, ``'hamming'``, ...),
            an array of length ``frame_length``, or ``None`` for no window.
        scaling: ``'density'`` (divide by the window's L2 norm), ``'spectrum'``
            (by its sum) or ``None``.
        periodic: Use the periodic (DFT-even) form of a named window instead
            of the symmetric one.

    Example:
        >>> STFT("real", window=None)((4, 1, 3))[:, 0, 0].tolist()
        [1.0, 1.0, 1.0, 1.0]
    """

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        if side not in ("real", "imag"):
            raise ConfigError(
                f"STFT: `side` must be one of ('real', 'imag'). Received: side={side!r}."
            )
        if scaling not in ("density", "spectrum", None):
            raise ConfigError(
                "STFT: `scaling` must be one of ('density', 'spectrum', None). "
                f"Received: scaling={scaling!r}."
            )
        if isinstance(window, str):
            named_window("STFT", window, 1, periodic)
        elif window is not None:
            window = np.asarray(window, np.float64).tolist()
        self.side = side
        self.window = window
        self.scaling = scaling
        self.periodic = bool(periodic)

    def __call__(self, shape, dtype=None, *, key=None):
        shape = _standardize_shape("STFT", shape)
        if len(shape) != 3:
            raise ShapeError(
                "STFT: `shape` must be (frame_length, channels, fft_length // 2 + 1). "
                f"Received: shape={shape}."
            )
        frame_length, _, bins = shape
        time = np.arange(frame_length, dtype=np.float64)[:, None, None]
        freq = np.arange(bins, dtype=np.float64)[None, None, :] / (2 * (bins - 1))
        angle = -2.0 * np.pi * time * freq
        kernel = np.cos(angle) if self.side == "real" else np.sin(angle)
        if self.window is not None:
            if isinstance(self.window, str):
                win = named_window("STFT", self.window, frame_length, self.periodic)
            else:
                win = np.asarray(self.window, np.float64)
            if win.shape != (frame_length,):
                raise ShapeError(
                    f"STFT: `window` must have shape (frame_length,) = ({frame_length},). "
                    f"Received: window shape={win.shape}."
                )
            scale = {"density": np.sqrt(np.sum(win * win)), "spectrum": np.sum(np.abs(win)),
                     None: 1.0}[self.scaling]
            kernel = kernel * win[:, None, None] / scale
        return jnp.asarray(kernel, _standardize_dtype(dtype))

    def get_config(self):
        return {"side": self.side, "window": self.window, "periodic": self.periodic,
                "scaling": self.scaling}


IdentityInitializer = Identity
STFTInitializer = STFT
OrthogonalInitializer = Orthogonal
# Lowercase names, as exported by keras.initializers (they are the classes).
random_normal, truncated_normal, random_uniform = RandomNormal, TruncatedNormal, RandomUniform
variance_scaling, orthogonal, identity = VarianceScaling, Orthogonal, Identity
glorot_normal, glorot_uniform = GlorotNormal, GlorotUniform
he_normal, he_uniform = HeNormal, HeUniform
lecun_normal, lecun_uniform = LecunNormal, LecunUniform
zeros, ones, constant = Zeros, Ones, Constant
stft = STFT


def serialize(initializer):
    """The config dict of ``initializer`` (``{"module", "class_name", "config", ...}``).

    Args:
        initializer: An initializer instance.

    Example:
        >>> serialize(Constant(2.0))["config"]
        {'value': 2.0}
    """
    return serialization.serialize_object(initializer, _MODULE)


def deserialize(config, custom_objects=None):
    """Rebuilds an initializer from a name or a :func:`serialize` dict.

    Args:
        config: A dict made by ``serialize`` / ``get_config``, or a name.
        custom_objects: Optional ``{name: object}`` for user-defined objects.

    Example:
        >>> type(deserialize("he_normal")).__name__
        'HeNormal'
    """
    return serialization.deserialize_object(config, _CATEGORY, custom_objects, "initializer")


def get(identifier):
    """Resolves a layer's ``*_initializer=`` argument.

    ``None`` gives ``None``; a name or config dict is deserialized; a class is
    instantiated; an array becomes an initializer returning it (the requested
    shape must match); any other callable is returned as is.

    Args:
        identifier: A name, a config dict, an instance, or ``None``.

    Example:
        >>> type(get("uniform")).__name__
        'RandomUniform'
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if inspect.isclass(identifier):
        return identifier()
    if isinstance(identifier, (np.ndarray, np.generic, jax.Array)):
        return _from_array(identifier)
    if callable(identifier):
        return identifier
    raise ConfigTypeError(
        "Could not interpret initializer identifier: expected None, a name, a config dict, "
        f"an array or a callable. Received: identifier={identifier!r}."
    )


def _from_array(array):
    def initialize(shape, dtype=None, *, key=None):
        shape = _standardize_shape("initializer from array", shape)
        if shape != tuple(array.shape):
            raise ShapeError(
                f"An array used as initializer only fills its own shape {tuple(array.shape)}. "
                f"Received: shape={shape}."
            )
        return jnp.asarray(array, _standardize_dtype(dtype))

    return initialize


# core (add_weight) resolves initializer arguments through this hook: it sits below us.
hooks.provide("initializers.get", get)

__all__ = [
    "Initializer", "RandomNormal", "RandomUniform", "TruncatedNormal", "VarianceScaling",
    "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "LecunNormal", "LecunUniform",
    "Orthogonal", "OrthogonalInitializer", "Zeros", "Ones", "Constant", "Identity",
    "IdentityInitializer", "random_normal", "truncated_normal", "random_uniform",
    "variance_scaling", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform",
    "lecun_normal", "lecun_uniform", "orthogonal", "zeros", "ones", "constant", "identity",
    "STFT", "STFTInitializer", "stft", "compute_fans", "get", "serialize", "deserialize",
]
