"""``jl.ops.nn`` against ``keras.ops.nn`` (Keras on JAX): same inputs, same values,
shapes and dtypes, eagerly and under ``jax.jit``; plus the argument errors.

Each row of ``CASES`` is ``(name, array_args, static_kwargs)``: the arrays are
traced under jit, the keyword arguments stay static.  Keras's own tests are not
reused: inputs are drawn here, small, from the test's generator.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers import errors
from jaxlayers.ops import nn

# keras.ops.nn names with no row below, and why (keep short).
OMITTED = {}
# Rows where Keras 3.15 is wrong: compared with a float64 NumPy reference instead.
# sparsemax: Keras sums the cumulative sums of the whole support for tau, so its rows
# do not sum to one once the support has more than two entries.
KERAS_WRONG = {"sparsemax"}

_R = np.random.default_rng(1234)


def _f(*shape, scale=1.0):
    return (_R.standard_normal(shape) * scale).astype(np.float32)


def _p(*shape):
    x = _R.uniform(0.05, 1.0, shape).astype(np.float32)
    return x / x.sum(-1, keepdims=True)


def _i(high, *shape):
    return _R.integers(0, high, shape).astype(np.int32)


ACTIVATIONS = ["relu", "relu6", "sigmoid", "sparse_sigmoid", "softplus", "softsign",
               "soft_shrink", "sparse_plus", "silu", "swish", "squareplus", "log_sigmoid",
               "leaky_relu", "hard_sigmoid", "hard_silu", "hard_swish", "elu", "selu", "gelu",
               "celu", "glu", "tanh_shrink", "hard_tanh", "hard_shrink", "sparsemax",
               "softmax", "log_softmax"]
X = _f(3, 6, scale=2.0)

CASES = [(name, (X,), {}) for name in ACTIVATIONS] + [
    ("gelu", (X,), dict(approximate=False)),
    ("leaky_relu", (X,), dict(negative_slope=0.1)),
    ("elu", (X,), dict(alpha=0.5)),
    ("celu", (X,), dict(alpha=2.0)),
    ("squareplus", (X,), dict(b=1)),
    ("soft_shrink", (X,), dict(threshold=1.0)),
    ("hard_shrink", (X,), dict(threshold=1.0)),
    ("threshold", (X,), dict(threshold=0.2, default_value=-3.0)),
    ("glu", (_f(4, 3),), dict(axis=0)),
    ("softmax", (X,), dict(axis=0)),
    ("softmax", (_f(2, 3, 4),), dict(axis=(1, 2))),
    ("log_softmax", (X,), dict(axis=0)),
    ("sparsemax", (X,), dict(axis=0)),
    # convolution
    ("conv", (_f(2, 9, 3), _f(3, 3, 4)), dict(strides=2, padding="same")),
    ("conv", (_f(2, 3, 7, 6), _f(3, 2, 3, 4)),
     dict(data_format="channels_first", dilation_rate=(2, 1))),
    ("conv", (_f(1, 6, 6, 4), _f(3, 3, 2, 6)), dict(padding="same")),
    ("conv", (_f(1, 4, 5, 4, 2), _f(2, 2, 2, 2, 3)), dict(strides=(1, 2, 1))),
    ("depthwise_conv", (_f(2, 7, 7, 3), _f(3, 3, 3, 2)), dict(strides=2, padding="same")),
    ("depthwise_conv", (_f(2, 3, 8), _f(3, 3, 2)),
     dict(data_format="channels_first", dilation_rate=2)),
    ("separable_conv", (_f(2, 6, 6, 3), _f(3, 3, 3, 2), _f(1, 1, 6, 4)),
     dict(padding="same")),
    ("conv_transpose", (_f(2, 4, 4, 3), _f(3, 3, 5, 3)), dict(strides=2, padding="same")),
    ("conv_transpose", (_f(2, 5, 3), _f(4, 2, 3)), dict(strides=3, output_padding=1)),
    ("conv_transpose", (_f(1, 3, 4, 4), _f(2, 3, 2, 3)),
     dict(strides=(2, 1), data_format="channels_first")),
    # pooling
    ("max_pool", (_f(2, 7, 7, 3),), dict(pool_size=3, strides=2, padding="same")),
    # Keras expands an int pool_size without strides wrongly for some ranks: tuples here.
    ("max_pool", (_f(2, 3, 9),), dict(pool_size=(2,), strides=(2,),
                                      data_format="channels_first")),
    ("average_pool", (_f(2, 7, 7, 3),), dict(pool_size=3, strides=2, padding="same")),
    ("average_pool", (_f(1, 4, 4, 4, 2),), dict(pool_size=(2, 2, 2), strides=(2, 2, 2))),
    ("adaptive_max_pool", (_f(2, 7, 3),), dict(output_size=3)),
    ("adaptive_max_pool", (_f(2, 3, 7, 5),), dict(output_size=(3, 4),
                                                  data_format="channels_first")),
    ("adaptive_max_pool", (_f(1, 5, 4, 3, 2),), dict(output_size=2)),
    ("adaptive_average_pool", (_f(2, 7, 3),), dict(output_size=3)),
    ("adaptive_average_pool", (_f(2, 7, 5, 3),), dict(output_size=(4, 2))),
    ("adaptive_average_pool", (_f(1, 2, 5, 4, 3),), dict(output_size=(2, 3, 2),
                                                         data_format="channels_first")),
    # normalization
    ("moments", (_f(4, 5, 3),), dict(axes=(0, 1))),
    ("moments", (_f(4, 5),), dict(axes=1, keepdims=True)),
    ("batch_normalization", (_f(4, 3), _f(3), np.abs(_f(3))),
     dict(axis=-1, offset=_f(3), scale=_f(3), epsilon=1e-3)),
    ("batch_normalization", (_f(2, 3, 4), _f(3), np.abs(_f(3))), dict(axis=1)),
    ("normalize", (_f(3, 4),), dict()),
    ("normalize", (_f(3, 4),), dict(axis=0, order=1)),
    ("normalize", (_f(3, 4),), dict(order=3, epsilon=1e-3)),
    ("layer_normalization", (_f(3, 4), _f(4), _f(4)), dict(epsilon=1e-3)),
    ("layer_normalization", (_f(2, 3, 4), _f(3, 4)), dict(axis=(1, 2))),
    ("layer_normalization", (_f(3, 4), _f(4)), dict(rms_scaling=True)),
    ("rms_normalization", (_f(3, 4), _f(4)), dict()),
    ("rms_normalization", (_f(2, 3, 4),), dict(axis=(1, 2), epsilon=1e-3)),
    # attention
    ("dot_product_attention", (_f(2, 4, 2, 8), _f(2, 5, 2, 8), _f(2, 5, 2, 8)), dict()),
    ("dot_product_attention", (_f(2, 4, 4, 8), _f(2, 4, 2, 8), _f(2, 4, 2, 8)),
     dict(is_causal=True, scale=0.5)),
    ("dot_product_attention", (_f(2, 3, 2, 4), _f(2, 5, 2, 4), _f(2, 5, 2, 4),
                               _f(2, 2, 3, 5), _R.random((2, 1, 3, 5)) > 0.3), dict()),
    # encodings and losses
    ("one_hot", (_i(5, 2, 3),), dict(num_classes=5)),
    ("one_hot", (_i(4, 3),), dict(num_classes=4, axis=0, dtype="int32")),
    ("multi_hot", (_i(6, 3, 4),), dict(num_classes=6)),
    ("multi_hot", (_i(6, 4),), dict(num_classes=6, dtype="int32")),
    ("binary_crossentropy", (_R.random((3, 4)).astype(np.float32), _p(3, 4)), dict()),
    ("binary_crossentropy", (_R.random((3, 4)).astype(np.float32), _f(3, 4)),
     dict(from_logits=True)),
    ("categorical_crossentropy", (_p(3, 4), _p(3, 4)), dict()),
    ("categorical_crossentropy", (_p(4, 3), _f(4, 3)), dict(from_logits=True, axis=0)),
    ("sparse_categorical_crossentropy", (_i(4, 3), _p(3, 4)), dict()),
    ("sparse_categorical_crossentropy", (_i(4, 3, 1), _f(3, 4)), dict(from_logits=True)),
    ("ctc_loss", (np.array([[1, 2, 2], [3, 1, 0]], np.int32), _f(2, 7, 5),
                  np.array([3, 2], np.int32), np.array([7, 5], np.int32)), dict()),
    ("ctc_loss", (np.array([[1, 2], [0, 1]], np.int32), _f(2, 6, 4),
                  np.array([2, 2], np.int32), np.array([6, 6], np.int32)),
     dict(mask_index=3)),
    ("ctc_decode", (_f(2, 6, 4), np.array([6, 4], np.int32)), dict()),
    ("ctc_decode", (_f(2, 6, 4), np.array([6, 4], np.int32)),
     dict(merge_repeated=False, mask_index=3)),
    ("ctc_decode", (_f(2, 5, 4, scale=2.0), np.array([5, 3], np.int32)),
     dict(strategy="beam_search", beam_width=4, top_paths=2)),
    ("psnr", (_R.random((2, 4, 4)).astype(np.float32),
              _R.random((2, 4, 4)).astype(np.float32)), dict(max_val=1.0)),
    ("polar", (np.abs(_f(3, 2)), _f(3, 2)), dict()),
    # patches
    ("unfold", (_f(2, 3, 5, 6),), dict(kernel_size=2)),
    ("unfold", (_f(1, 2, 6, 7),), dict(kernel_size=(3, 2), dilation=(1, 2), padding=1,
                                       stride=2)),
    ("fold", (_f(2, 12, 20),), dict(output_size=(5, 6), kernel_size=2)),
    ("fold", (_f(1, 12, 12),), dict(output_size=(6, 7), kernel_size=(3, 2),
                                    dilation=(1, 2), padding=1, stride=2)),
    ("depth_to_space", (_f(2, 3, 2, 8),), dict(block_size=2)),
    ("depth_to_space", (_f(2, 8, 3, 2),), dict(block_size=2, data_format="channels_first")),
    ("space_to_depth", (_f(2, 4, 6, 3),), dict(block_size=2)),
    ("space_to_depth", (_f(2, 3, 6, 3),), dict(block_size=3, data_format="channels_first")),
]


def test_the_table_covers_every_keras_name(keras):
    keras_names = {n for n in dir(keras.ops.nn) if not n.startswith("_")}
    assert sorted(nn.__all__) == sorted(keras_names)
    covered = {name for name, _, _ in CASES}
    assert keras_names - covered - set(OMITTED) == set()
    assert all(getattr(jl.ops, name) is getattr(nn, name) for name in nn.__all__)


def _compare(got, want, what):
    got_leaves, want_leaves = jax.tree.leaves(got), jax.tree.leaves(want)
    assert len(got_leaves) == len(want_leaves), what
    for g, w in zip(got_leaves, want_leaves):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape, f"{what}: shape {g.shape} != {w.shape}"
        assert g.dtype == w.dtype, f"{what}: dtype {g.dtype} != {w.dtype}"
        if g.dtype.kind in "iub":
            np.testing.assert_array_equal(g, w, err_msg=what)
        else:
            np.testing.assert_allclose(g, w, rtol=2e-5, atol=2e-5, err_msg=what)


@pytest.mark.parametrize("index", range(len(CASES)),
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_matches_keras_eagerly_and_under_jit(keras, index):
    name, arrays, kwargs = CASES[index]
    fn = getattr(nn, name)
    if name in KERAS_WRONG:
        want = _REFERENCES[name](*arrays, **kwargs)
    else:
        want = getattr(keras.ops.nn, name)(*arrays, **kwargs)
    _compare(fn(*arrays, **kwargs), want, f"{name} eager")
    # Array keyword arguments are traced too; the rest stay static.
    traced = {k: v for k, v in kwargs.items() if isinstance(v, np.ndarray)}
    static = {k: v for k, v in kwargs.items() if k not in traced}
    jitted = jax.jit(lambda a, t: fn(*a, **t, **static))(arrays, traced)
    _compare(jitted, want, f"{name} jit")


def _sparsemax_reference(x, axis=-1):
    z = np.moveaxis(np.asarray(x, np.float64), axis, -1)
    out = np.zeros_like(z)
    for index in np.ndindex(z.shape[:-1]):
        row = z[index]
        ordered = np.sort(row)[::-1]
        cumsum = np.cumsum(ordered)
        k = max(j for j in range(1, row.size + 1) if 1 + j * ordered[j - 1] > cumsum[j - 1])
        out[index] = np.maximum(row - (cumsum[k - 1] - 1) / k, 0)
    return np.moveaxis(out, -1, axis).astype(np.float32)


_REFERENCES = {"sparsemax": _sparsemax_reference}


def test_sparsemax_rows_are_distributions():
    y = np.asarray(nn.sparsemax(X))
    np.testing.assert_allclose(y.sum(-1), 1.0, rtol=1e-6)
    assert (y >= 0).all() and (y == 0).any()


def test_sparse_encodings_hold_the_dense_values(keras):
    x = np.array([[0, 3], [2, 2]], np.int32)
    for name in ("one_hot", "multi_hot"):
        got = getattr(nn, name)(x, 4, sparse=True)
        want = getattr(keras.ops.nn, name)(x, 4, sparse=True)
        np.testing.assert_array_equal(got.todense(), want.todense())


def test_data_format_none_reads_the_global_setting():
    x, k = _f(1, 2, 5, 5), _f(3, 3, 2, 3)
    jl.backend.set_image_data_format("channels_first")
    try:
        got = nn.conv(x, k)
        pooled = nn.max_pool(x, 2)
    finally:
        jl.backend.set_image_data_format("channels_last")
    np.testing.assert_allclose(got, nn.conv(x, k, data_format="channels_first"))
    np.testing.assert_allclose(pooled, nn.max_pool(x, 2, data_format="channels_first"))


def test_epsilon_none_reads_the_global_setting():
    x = np.zeros((2, 3), np.float32)
    jl.backend.set_epsilon(0.25)
    try:
        got = nn.rms_normalization(x + 1.0)
    finally:
        jl.backend.set_epsilon(1e-7)
    np.testing.assert_allclose(got, np.full((2, 3), 1 / np.sqrt(1.25)), rtol=1e-6)


def test_fold_is_the_adjoint_of_unfold():
    x, cols = _f(1, 2, 5, 6), _f(1, 8, 20)
    kw = dict(kernel_size=2)
    lhs = jnp.vdot(nn.unfold(x, **kw), cols)
    rhs = jnp.vdot(x, nn.fold(cols, (5, 6), **kw))
    np.testing.assert_allclose(lhs, rhs, rtol=1e-5)


def test_hand_computed_adaptive_bins():
    x = np.arange(5.0, dtype=np.float32).reshape(1, 5, 1)
    # Bins of 5 into 3: [0, 2), [1, 4), [3, 5).
    np.testing.assert_allclose(nn.adaptive_average_pool(x, 3)[0, :, 0], [0.5, 2.0, 3.5])
    np.testing.assert_allclose(nn.adaptive_max_pool(x, 3)[0, :, 0], [1.0, 3.0, 4.0])


ERRORS = [
    ("conv", (_f(1, 5, 3), _f(3, 3, 2)), dict(padding="full"), errors.ConfigError,
     r"ops.conv: `padding` must be one of \('valid', 'same', 'causal'\). "
     r"Received: padding='full'."),
    ("conv", (_f(1, 5, 3), _f(3, 2, 2)), dict(), errors.ShapeError,
     r"ops.conv: a kernel of shape \(3, 2, 2\) does not fit inputs of shape \(1, 5, 3\)"),
    ("conv", (_f(1, 5, 3), _f(3, 3, 2)), dict(strides=(1, 2)), errors.ConfigError,
     r"ops.conv: `strides` must be an int or a tuple of 1 ints, each positive. "
     r"Received: strides=\(1, 2\)."),
    ("conv", (_f(5, 3), _f(3, 3, 2)), dict(), errors.ShapeError,
     r"ops.conv: `inputs` must have rank 3 or 4 or 5. Received: inputs.shape=\(5, 3\)."),
    ("max_pool", (_f(1, 5, 3),), dict(pool_size=2, data_format="NHWC"), errors.ConfigError,
     r"ops.max_pool: `data_format` must be one of \('channels_last', 'channels_first'\). "
     r"Received: data_format='NHWC'."),
    ("adaptive_average_pool", (_f(1, 5, 3),), dict(output_size=0), errors.ConfigError,
     r"ops.adaptive_average_pool: `output_size` must be an int or a tuple of 1 ints"),
    ("batch_normalization", (_f(2, 3), _f(4), _f(3)), dict(axis=-1), errors.ShapeError,
     r"ops.batch_normalization: `mean` must have the shape of the normalized axes of `x`, "
     r"\(3,\). Received: mean.shape=\(4,\)."),
    ("moments", (_f(2, 3),), dict(axes=2), errors.ShapeError,
     r"ops.moments: `axis` must be within \[-2, 2\) for inputs of rank 2. Received: axis=2."),
    ("normalize", (_f(2, 3),), dict(order=0), errors.ConfigError,
     r"ops.normalize: `order` must be an int >= 1. Received: order=0."),
    ("layer_normalization", (_f(2, 3),), dict(center=True), errors.ConfigTypeError,
     r"ops.layer_normalization: `kwargs` must be empty or only `rms_scaling`."),
    ("one_hot", (_i(3, 4),), dict(num_classes=3, axis=3), errors.ConfigError,
     r"ops.one_hot: `axis` must be -1 or an int in \[0, 1\]. Received: axis=3."),
    ("one_hot", (_i(3, 4),), dict(num_classes=0), errors.ConfigError,
     r"ops.one_hot: `num_classes` must be a positive int. Received: num_classes=0."),
    ("multi_hot", (_i(3, 4),), dict(), errors.ConfigError,
     r"ops.multi_hot: `num_classes` must be a positive int. Received: num_classes=None."),
    ("categorical_crossentropy", (_p(2, 3), _p(2, 4)), dict(), errors.ShapeError,
     r"ops.categorical_crossentropy: `target` and `output` must have the same shape. "
     r"Received: target.shape=\(2, 3\), output.shape=\(2, 4\)."),
    ("sparse_categorical_crossentropy", (_i(3, 3), _p(2, 4)), dict(), errors.ShapeError,
     r"ops.sparse_categorical_crossentropy: `target` must have the shape of `output` "
     r"without its last axis."),
    ("psnr", (_f(2, 3), _f(3, 2)), dict(max_val=1.0), errors.ShapeError,
     r"ops.psnr: `x1` and `x2` must have the same shape."),
    ("glu", (_f(2, 3),), dict(), errors.ShapeError,
     r"ops.glu: the size of `axis` -1 must be even. Received: x.shape=\(2, 3\)."),
    ("dot_product_attention", (_f(2, 3, 4), _f(2, 3, 4), _f(2, 3, 4)), dict(),
     errors.ShapeError, r"ops.dot_product_attention: `query` must have rank 4."),
    ("dot_product_attention", (_f(1, 2, 1, 4),) * 3, dict(attn_logits_soft_cap=20.0),
     errors.ConfigError, r"ops.dot_product_attention: `attn_logits_soft_cap` needs the TPU"),
    ("ctc_decode", (_f(1, 4, 3), np.array([4])), dict(strategy="best"), errors.ConfigError,
     r"ops.ctc_decode: `strategy` must be one of \('greedy', 'beam_search'\). "
     r"Received: strategy='best'."),
    ("ctc_loss", (_i(3, 2, 2), _f(3, 4, 3), np.array([2, 2]), np.array([4, 4])), dict(),
     errors.ShapeError, r"ops.ctc_loss: `target`, `output`, `target_length` and "
     r"`output_length` must share their first axis."),
    ("unfold", (_f(2, 3, 4),), dict(kernel_size=2), errors.ShapeError,
     r"ops.unfold: `x` must have rank 4. Received: x.shape=\(2, 3, 4\)."),
    ("fold", (_f(1, 8, 7),), dict(output_size=4, kernel_size=2), errors.ShapeError,
     r"ops.fold: `x` must be \(N, C \* 4, 9\) for output_size=\(4, 4\)"),
    ("depth_to_space", (_f(1, 2, 2, 4),), dict(block_size=1), errors.ConfigError,
     r"ops.depth_to_space: `block_size` must be an int >= 2. Received: block_size=1."),
    ("depth_to_space", (_f(1, 2, 2, 6),), dict(block_size=2), errors.ShapeError,
     r"ops.depth_to_space: the channels must divide by block_size\*\*2 = 4."),
    ("space_to_depth", (_f(1, 3, 4, 1),), dict(block_size=2), errors.ShapeError,
     r"ops.space_to_depth: the height and width must divide by block_size = 2."),
]


@pytest.mark.parametrize("name, arrays, kwargs, cls, message", ERRORS,
                         ids=[f"{e[0]}-{i}" for i, e in enumerate(ERRORS)])
def test_bad_arguments_raise_before_tracing(name, arrays, kwargs, cls, message):
    with pytest.raises(cls, match=message):
        getattr(nn, name)(*arrays, **kwargs)
    builtin = TypeError if issubclass(cls, TypeError) else ValueError
    assert issubclass(cls, builtin)
