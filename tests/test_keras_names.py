"""Every public name of Keras 3's user-facing namespaces exists at the same place in jaxlayers.

``keras.ops.numpy.add`` must be ``jaxlayers.ops.numpy.add``, ``keras.layers.Dense``
``jaxlayers.layers.Dense``, and so on for the namespaces in ``NAMESPACES`` and
their public submodules (``keras.ops.nn``, ``keras.datasets.mnist``, ...).

``PENDING`` lists the names still missing on this branch: it only ever shrinks.
A name listed there that exists fails the test too, so each one is deleted as it
lands; ``python tests/tools/pending_names.py`` prints the current dict after a
merge.  ``OMITTED`` lists deliberate omissions, each with its reason.
"""

import json
import types

import pytest

import jaxlayers
from tests.helpers import run_python

NAMESPACES = (
    "ops", "random", "utils", "config", "tree", "backend", "layers", "losses", "metrics",
    "datasets", "activations", "initializers", "regularizers", "constraints", "callbacks",
    "saving", "models",
)
TOP = "keras"  # the namespaces themselves, as names of the top-level package

# Names missing on this branch, by Keras namespace. Only shrinks: delete a name once it
# exists (the test fails until you do). Regenerate with tests/tools/pending_names.py.
PENDING = {
    'backend': {
        'backend', 'get_uid', 'is_float_dtype', 'is_int_dtype', 'is_keras_tensor', 'result_type',
    },
    'config': {
        'backend', 'disable_flash_attention', 'disable_interactive_logging',
        'disable_traceback_filtering', 'dtype_policy', 'enable_flash_attention',
        'enable_interactive_logging', 'enable_traceback_filtering',
        'enable_unsafe_deserialization', 'epsilon', 'floatx', 'image_data_format',
        'is_flash_attention_enabled', 'is_interactive_logging_enabled',
        'is_traceback_filtering_enabled', 'max_epochs', 'max_steps_per_epoch', 'set_dtype_policy',
        'set_epsilon', 'set_floatx', 'set_image_data_format', 'set_max_epochs',
        'set_max_steps_per_epoch',
    },
    'keras': {
        'config', 'random', 'tree',
    },
    'layers': {
        'deserialize', 'serialize',
    },
    'losses': {
        'categorical_generalized_cross_entropy', 'circle',
    },
    'metrics': {
        'binary_crossentropy', 'binary_focal_crossentropy', 'categorical_crossentropy',
        'categorical_focal_crossentropy', 'categorical_hinge', 'concordance_correlation', 'hinge',
        'huber', 'kl_divergence', 'log_cosh', 'mean_absolute_error',
        'mean_absolute_percentage_error', 'mean_squared_error', 'mean_squared_logarithmic_error',
        'pearson_correlation', 'poisson', 'sparse_categorical_crossentropy', 'squared_hinge',
    },
    'models': {
        'clone_model', 'model_from_json', 'save_model',
    },
    'ops': {
        'abs', 'absolute', 'adaptive_average_pool', 'adaptive_max_pool', 'add', 'all', 'allclose',
        'amax', 'amin', 'angle', 'any', 'append', 'arange', 'arccos', 'arccosh', 'arcsin',
        'arcsinh', 'arctan', 'arctan2', 'arctanh', 'argmax', 'argmin', 'argpartition', 'argsort',
        'array', 'array_split', 'average', 'average_pool', 'bartlett', 'batch_normalization',
        'binary_crossentropy', 'bincount', 'bitwise_and', 'bitwise_invert', 'bitwise_left_shift',
        'bitwise_not', 'bitwise_or', 'bitwise_right_shift', 'bitwise_xor', 'blackman',
        'broadcast_to', 'categorical_crossentropy', 'cbrt', 'cdist', 'ceil', 'celu', 'clip',
        'concatenate', 'conj', 'conjugate', 'conv', 'conv_transpose', 'copy', 'corrcoef',
        'correlate', 'cos', 'cosh', 'count_nonzero', 'cross', 'ctc_decode', 'ctc_loss', 'cumprod',
        'cumsum', 'deg2rad', 'depth_to_space', 'depthwise_conv', 'diag', 'diagflat', 'diagonal',
        'diff', 'digitize', 'divide', 'divide_no_nan', 'dot', 'dot_product_attention', 'dsplit',
        'dstack', 'einsum', 'elu', 'empty', 'empty_like', 'equal', 'erf', 'erfc', 'erfinv', 'exp',
        'exp2', 'expand_dims', 'expm1', 'extract_sequences', 'eye', 'fabs', 'fft', 'fft2', 'flip',
        'fliplr', 'flipud', 'floor', 'floor_divide', 'fmax', 'fmin', 'fmod', 'fold', 'full',
        'full_like', 'gcd', 'gelu', 'geomspace', 'get_item', 'glu', 'greater', 'greater_equal',
        'hamming', 'hanning', 'hard_shrink', 'hard_sigmoid', 'hard_silu', 'hard_swish',
        'hard_tanh', 'heaviside', 'histogram', 'hsplit', 'hstack', 'hypot', 'i0', 'identity',
        'ifft2', 'imag', 'in_top_k', 'inner', 'irfft', 'isclose', 'isfinite', 'isin', 'isinf',
        'isnan', 'isneginf', 'isposinf', 'isreal', 'istft', 'kaiser', 'kron',
        'layer_normalization', 'lcm', 'ldexp', 'leaky_relu', 'left_shift', 'less', 'less_equal',
        'linspace', 'log', 'log10', 'log1p', 'log2', 'log_sigmoid', 'log_softmax', 'logaddexp',
        'logaddexp2', 'logdet', 'logical_and', 'logical_not', 'logical_or', 'logical_xor',
        'logspace', 'logsumexp', 'matmul', 'max', 'max_pool', 'maximum', 'mean', 'median',
        'meshgrid', 'min', 'minimum', 'mod', 'moments', 'moveaxis', 'multi_hot', 'multiply',
        'nan_to_num', 'nanargmax', 'nanargmin', 'nancumprod', 'nancumsum', 'nanmax', 'nanmean',
        'nanmedian', 'nanmin', 'nanpercentile', 'nanprod', 'nanquantile', 'nanstd', 'nansum',
        'nanvar', 'ndim', 'negative', 'nextafter', 'nonzero', 'normalize', 'not_equal', 'numpy',
        'one_hot', 'ones', 'ones_like', 'outer', 'pad', 'percentile', 'polar', 'power', 'prod',
        'psnr', 'ptp', 'quantile', 'rad2deg', 'ravel', 'real', 'reciprocal', 'relu', 'relu6',
        'repeat', 'reshape', 'rfft', 'right_shift', 'rms_normalization', 'roll', 'rot90', 'round',
        'rsqrt', 'searchsorted', 'segment_max', 'segment_min', 'segment_prod', 'segment_sum',
        'select', 'selu', 'separable_conv', 'sigmoid', 'sign', 'signbit', 'silu', 'sin', 'sinc',
        'sinh', 'size', 'slogdet', 'soft_shrink', 'softmax', 'softplus', 'softsign', 'sort',
        'space_to_depth', 'sparse_categorical_crossentropy', 'sparse_plus', 'sparse_sigmoid',
        'sparsemax', 'split', 'sqrt', 'square', 'squareplus', 'squeeze', 'stack', 'std', 'stft',
        'subtract', 'sum', 'swapaxes', 'swish', 'take', 'take_along_axis', 'tan', 'tanh',
        'tanh_shrink', 'tensordot', 'threshold', 'tile', 'top_k', 'trace', 'transpose',
        'trapezoid', 'tri', 'tril', 'triu', 'true_divide', 'trunc', 'unfold', 'unique',
        'unravel_index', 'vander', 'var', 'vdot', 'vectorize', 'view', 'view_as_complex',
        'view_as_real', 'vsplit', 'vstack', 'where', 'zeros', 'zeros_like',
    },
    'ops.image': {
        'crop_images', 'elastic_transform', 'extract_patches', 'extract_patches_3d',
        'gaussian_blur', 'hsv_to_rgb', 'map_coordinates', 'pad_images', 'perspective_transform',
        'rgb_to_grayscale', 'rgb_to_hsv', 'scale_and_translate', 'sobel_edges', 'ssim',
    },
    'ops.nn': {
        'adaptive_average_pool', 'adaptive_max_pool', 'average_pool', 'batch_normalization',
        'binary_crossentropy', 'categorical_crossentropy', 'celu', 'conv', 'conv_transpose',
        'ctc_decode', 'ctc_loss', 'depth_to_space', 'depthwise_conv', 'dot_product_attention',
        'elu', 'fold', 'gelu', 'glu', 'hard_shrink', 'hard_sigmoid', 'hard_silu', 'hard_swish',
        'hard_tanh', 'layer_normalization', 'leaky_relu', 'log_sigmoid', 'log_softmax', 'max_pool',
        'moments', 'multi_hot', 'normalize', 'one_hot', 'polar', 'psnr', 'relu', 'relu6',
        'rms_normalization', 'selu', 'separable_conv', 'sigmoid', 'silu', 'soft_shrink', 'softmax',
        'softplus', 'softsign', 'space_to_depth', 'sparse_categorical_crossentropy', 'sparse_plus',
        'sparse_sigmoid', 'sparsemax', 'squareplus', 'swish', 'tanh_shrink', 'threshold', 'unfold',
    },
    'ops.numpy': {
        'abs', 'absolute', 'add', 'all', 'allclose', 'amax', 'amin', 'angle', 'any', 'append',
        'arange', 'arccos', 'arccosh', 'arcsin', 'arcsinh', 'arctan', 'arctan2', 'arctanh',
        'argmax', 'argmin', 'argpartition', 'argsort', 'array', 'array_split', 'average',
        'bartlett', 'bincount', 'bitwise_and', 'bitwise_invert', 'bitwise_left_shift',
        'bitwise_not', 'bitwise_or', 'bitwise_right_shift', 'bitwise_xor', 'blackman',
        'broadcast_to', 'cbrt', 'ceil', 'clip', 'concatenate', 'conj', 'conjugate', 'copy',
        'corrcoef', 'correlate', 'cos', 'cosh', 'count_nonzero', 'cross', 'cumprod', 'cumsum',
        'deg2rad', 'diag', 'diagflat', 'diagonal', 'diff', 'digitize', 'divide', 'divide_no_nan',
        'dot', 'dsplit', 'dstack', 'einsum', 'empty', 'empty_like', 'equal', 'exp', 'exp2',
        'expand_dims', 'expm1', 'eye', 'fabs', 'flip', 'fliplr', 'flipud', 'floor', 'floor_divide',
        'fmax', 'fmin', 'fmod', 'full', 'full_like', 'gcd', 'geomspace', 'get_item', 'greater',
        'greater_equal', 'hamming', 'hanning', 'heaviside', 'histogram', 'hsplit', 'hstack',
        'hypot', 'i0', 'identity', 'imag', 'inner', 'isclose', 'isfinite', 'isin', 'isinf',
        'isnan', 'isneginf', 'isposinf', 'isreal', 'kaiser', 'kron', 'lcm', 'ldexp', 'left_shift',
        'less', 'less_equal', 'linspace', 'log', 'log10', 'log1p', 'log2', 'logaddexp',
        'logaddexp2', 'logical_and', 'logical_not', 'logical_or', 'logical_xor', 'logspace',
        'matmul', 'max', 'maximum', 'mean', 'median', 'meshgrid', 'min', 'minimum', 'mod',
        'moveaxis', 'multiply', 'nan_to_num', 'nanargmax', 'nanargmin', 'nancumprod', 'nancumsum',
        'nanmax', 'nanmean', 'nanmedian', 'nanmin', 'nanpercentile', 'nanprod', 'nanquantile',
        'nanstd', 'nansum', 'nanvar', 'ndim', 'negative', 'nextafter', 'nonzero', 'not_equal',
        'ones', 'ones_like', 'outer', 'pad', 'percentile', 'power', 'prod', 'ptp', 'quantile',
        'rad2deg', 'ravel', 'real', 'reciprocal', 'repeat', 'reshape', 'right_shift', 'roll',
        'rot90', 'round', 'searchsorted', 'select', 'sign', 'signbit', 'sin', 'sinc', 'sinh',
        'size', 'slogdet', 'sort', 'split', 'sqrt', 'square', 'squeeze', 'stack', 'std',
        'subtract', 'sum', 'swapaxes', 'take', 'take_along_axis', 'tan', 'tanh', 'tensordot',
        'tile', 'trace', 'transpose', 'trapezoid', 'tri', 'tril', 'triu', 'true_divide', 'trunc',
        'unique', 'unravel_index', 'vander', 'var', 'vdot', 'vectorize', 'view', 'vsplit',
        'vstack', 'where', 'zeros', 'zeros_like',
    },
    'random': {
        'beta', 'binomial', 'categorical', 'dropout', 'gamma', 'normal', 'randint', 'shuffle',
        'truncated_normal', 'uniform',
    },
    'saving': {
        'get_custom_objects',
    },
    'tree': {
        'assert_same_paths', 'assert_same_structure', 'flatten', 'flatten_with_path', 'is_nested',
        'lists_to_tuples', 'map_shape_structure', 'map_structure', 'map_structure_up_to',
        'pack_sequence_as', 'traverse',
    },
    'utils': {
        'audio_dataset_from_directory', 'bounding_boxes',
    },
    'utils.bounding_boxes': {
        'affine_transform', 'clip_to_image_size', 'compute_ciou', 'compute_iou', 'convert_format',
        'crop', 'decode_deltas_to_boxes', 'encode_box_to_deltas', 'pad',
    },
}

# Deliberate omissions: {namespace: {name: reason}}. An omitted submodule omits its names.
OMITTED = {
    "config": {
        "set_backend": "jaxlayers has one backend, JAX; Keras's set_backend reloads Keras "
                       "on another one",
        "is_nnx_enabled": "Keras's switch for Flax NNX variables on its JAX backend; "
                          "jaxlayers' weights are plain pytrees",
    },
    "utils": {
        "legacy": "Keras 2 (tf.keras) serialization; jaxlayers reads and writes Keras 3's "
                  "format (utils.serialize_keras_object)",
    },
}


def keras_namespaces(keras):
    """``{'ops': {name: value}, 'ops.nn': {...}, 'keras': {...}}``: Keras's public names.

    Submodules that ``OMITTED`` lists are not entered.
    """
    out = {TOP: {name: getattr(keras, name) for name in NAMESPACES}}

    def walk(module, path):
        out[path] = {name: getattr(module, name) for name in dir(module)
                     if not name.startswith("_")}
        for name, value in sorted(out[path].items()):
            # Keras's generated API modules nest by name (keras.ops -> keras.ops.nn).
            if (isinstance(value, types.ModuleType) and name not in OMITTED.get(path, {})
                    and value.__name__ == f"{module.__name__}.{name}"):
                walk(value, f"{path}.{name}")

    for namespace in NAMESPACES:
        walk(getattr(keras, namespace), namespace)
    return out


def _kind(value):
    """What a user can do with a name: import from it, subclass it, call it, or read it."""
    if value is _ABSENT:
        return "absent"
    if isinstance(value, types.ModuleType):
        return "module"
    if isinstance(value, type):
        return "class"
    return "callable" if callable(value) else "value"


def _resolve(path):
    """The jaxlayers object at a Keras namespace path, or ``None`` when any part is missing."""
    target = jaxlayers
    for part in path.split(".") if path != TOP else ():
        target = getattr(target, part, None)
        if target is None:
            return None
    return target


def missing_names(keras):
    """``{namespace: names}`` of Keras names absent from jaxlayers, omissions left out.

    A name of another kind counts as missing: ``jl.ops.conv`` must be a function
    as ``keras.ops.conv`` is, and ``jl.layers.Dense`` a class one can subclass.
    """
    out = {}
    for path, names in keras_namespaces(keras).items():
        target = _resolve(path)
        missing = {name for name, value in names.items()
                   if _kind(getattr(target, name, _ABSENT)) != _kind(value)}
        missing -= set(OMITTED.get(path, ()))
        if missing:
            out[path] = missing
    return out


# Stands for a missing attribute: its kind is one no Keras name has.
_ABSENT = object()


def format_pending(missing):
    """``missing`` as the source text of the ``PENDING`` dict above."""
    lines = ["PENDING = {"]
    for path in sorted(missing):
        names = sorted(missing[path])
        lines.append(f"    {path!r}: {{")
        row = "       "
        for name in names:
            item = f" {name!r},"
            if len(row) + len(item) > 99:
                lines.append(row)
                row = "       "
            row += item
        lines += [row, "    },"]
    return "\n".join(lines + ["}"])


@pytest.fixture(scope="module")
def missing(keras):
    return missing_names(keras)


def test_every_keras_name_exists_at_the_same_place(missing):
    unexpected = {path: sorted(names - PENDING.get(path, set()))
                  for path, names in missing.items() if names - PENDING.get(path, set())}
    assert not unexpected, f"Keras names missing from jaxlayers: {unexpected}"


def test_pending_names_are_still_missing(missing):
    landed = {path: sorted(names - missing.get(path, set()))
              for path, names in PENDING.items() if names - missing.get(path, set())}
    assert not landed, (
        f"These PENDING names exist now (or are no Keras names): delete them from PENDING "
        f"in {__file__} (python tests/tools/pending_names.py prints the new dict): {landed}")


def test_omitted_names_are_keras_names_and_absent(keras):
    names = keras_namespaces(keras)
    for path, reasons in OMITTED.items():
        for name, reason in reasons.items():
            assert name in names.get(path, ()), f"{path}.{name} is no Keras name"
            assert reason, f"{path}.{name} needs a reason"
            target = _resolve(path)
            assert target is None or not hasattr(target, name), (
                f"{path}.{name} exists now: delete it from OMITTED")


def test_namespaces_are_reachable_right_after_import():
    """``import jaxlayers as keras; keras.ops.cond`` works with nothing imported before."""
    code = ("import json, sys, jaxlayers\n"
            "print(json.dumps([n for n in sys.argv[1:] if not hasattr(jaxlayers, n)]))")
    result = run_python(code, *NAMESPACES, capture_output=True, text=True, check=True)
    assert set(json.loads(result.stdout.splitlines()[-1])) == PENDING.get(TOP, set())
