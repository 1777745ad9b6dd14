"""Constructor arguments of every public layer: bad values get a named config error.

A table maps each known argument name to values that are wrong for every layer
that takes an argument of that name (wrong type, out of range, NaN).  For each
public layer class the test reads the constructor's signature, builds the layer
with one bad value at a time (the other arguments from the layer's first case
in tests/cases) and expects a ``ConfigError``/``ConfigTypeError`` whose message
names the class and the argument.  Arguments whose names are not in the table
are not tried; every layer must have at least one tried argument or appear in
``NO_VALIDATED_ARGUMENTS``.
"""

import inspect
import math
import re

import pytest

import jaxlayers
from jaxlayers import layers
from jaxlayers.core.layer import Layer
from jaxlayers.errors import ConfigError, ConfigTypeError
from tests.cases import all_cases

NAN = math.nan
POSITIVE_INT = [0, -1, 2.5, "3", True, NAN]
NON_NEGATIVE_INT = [-1, 2.5, "3", True, NAN]
POSITIVE_SIZES = [0, -1, 2.5, "3", True, NAN, (0, 1, 1)]
NON_NEGATIVE_SIZES = [-1, 2.5, "3", True, NAN]
RATE = [-0.5, 1.5, NAN, "0.5", True, math.inf]
UNIT_INTERVAL = [-0.1, 1.5, NAN, "0.9", True]
NON_NEGATIVE_FLOAT = [-1.0, NAN, "0.1", True]
FINITE_NUMBER = [NAN, "a", True]
BOOL = ["a", "False", 2.5]
CHOICE = ["bogus", 3]
AXIS = ["a", 1.5, True, NAN]
SEED = ["a", 1.5]
CALLABLE = [3, "not a function"]

# Argument name -> values that no layer taking that argument may accept.
BAD_VALUES = {
    **{name: POSITIVE_INT for name in (
        "units", "filters", "num_heads", "key_dim", "value_dim", "input_dim", "output_dim",
        "n", "depth_multiplier", "height", "width", "power_iterations", "num_query_heads",
        "num_key_value_heads", "head_dim", "sliding_window", "output_sequence_length",
        "fft_length", "sequence_stride", "num_mel_bins",
        "batch_size", "num_tokens")},
    **{name: NON_NEGATIVE_INT for name in ("num_oov_indices", "num_bins", "max_tokens")},
    "groups": [0, -2, 2.5, "2", True, NAN],
    "ngrams": [0, -1, 2.5, "2", True],
    **{name: POSITIVE_SIZES for name in (
        "kernel_size", "strides", "pool_size", "dilation_rate", "size")},
    **{name: NON_NEGATIVE_SIZES for name in ("cropping", "output_padding")},
    # ``padding`` is a mode string (convolution, pooling) or sizes (ZeroPadding).
    "padding": ["bogus", -1, 2.5, True],
    **{name: RATE for name in ("rate", "dropout", "recurrent_dropout")},
    **{name: UNIT_INTERVAL for name in ("momentum", "renorm_momentum")},
    **{name: NON_NEGATIVE_FLOAT for name in (
        "epsilon", "stddev", "l1", "l2", "max_value", "negative_slope", "threshold")},
    **{name: FINITE_NUMBER for name in ("alpha", "fill_value", "offset")},
    # ``scale`` is a bool (normalization) or a number (Rescaling).
    "scale": ["a", NAN],
    **{name: BOOL for name in (
        "use_bias", "center", "return_sequences", "return_state", "go_backwards",
        "stateful", "unroll", "mask_zero", "keepdims", "normalize", "invert", "reset_after",
        "unit_forget_bias", "renorm", "synchronized", "rms_scaling", "pad_to_max_tokens",
        "crop_to_aspect_ratio", "pad_to_aspect_ratio", "antialias", "use_gate",
        "use_scale", "zero_output_for_mask", "flash_attention", "sparse", "ragged")},
    **{name: CHOICE for name in (
        "interpolation", "fill_mode", "output_mode", "merge_mode", "score_mode", "mode",
        "use_cudnn", "standardize", "split", "encoding")},
    "data_format": ["channels_middle", 3],
    **{name: ["not_an_activation", 3] for name in ("activation", "recurrent_activation")},
    **{name: AXIS for name in ("axis", "axes", "attention_axes", "shared_axes")},
    "dims": ["a", (1, 1), 1.5],
    "seed": SEED,
    "equation": [3, "bogus"],
    "output_shape": ["3", True, 0, -1, 2.5],
    "target_shape": ["a", 1.5, (1.5,), (-2,)],
    "noise_shape": ["a", (0,), (1.5,)],
    "bin_boundaries": [[2.0, 1.0], [NAN], "a"],
    **{name: ["a", NAN, True] for name in ("factor", "height_factor", "width_factor")},
    "value_range": ["a", (1.0, 1.0), (NAN, 1.0)],
    **{name: [NAN, "a", -1.0] for name in ("mean", "variance")},
    **{name: [3, "dense"] for name in ("layer", "backward_layer", "cell", "cells", "layers")},
    **{name: CALLABLE for name in ("function", "call_fn", "init_fn")},
    # Masking compares with ``mask_value``; Hashing skips it (a number or a string).
    "mask_value": [NAN, [1, 2]],
    "module": [3],
    "filepath": [3],
    "arguments": ["a", 3],
    "shape": ["a", (-2,), (1.5,)],
}
for _prefix in ("kernel", "bias", "recurrent", "depthwise", "pointwise", "embeddings",
                "beta", "gamma", "moving_mean", "moving_variance", "alpha"):
    BAD_VALUES[f"{_prefix}_initializer"] = ["not_an_initializer", 3]
    BAD_VALUES[f"{_prefix}_regularizer"] = ["not_a_regularizer", 3]
    BAD_VALUES[f"{_prefix}_constraint"] = ["not_a_constraint", 3]
BAD_VALUES["activity_regularizer"] = ["not_a_regularizer", 3]

# Layers whose constructors take no argument of their own: nothing to validate.
NO_VALIDATED_ARGUMENTS = {
    "Identity",  # no arguments
    "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum",  # merging, no arguments
}
# Base-class names that are public but are not layers one constructs as such.
NOT_LAYERS = {"Layer", "InputSpec", "RNNCell", "Wrapper"}


def _public_classes():
    out = {}
    for name in jaxlayers.layers.__all__:
        obj = getattr(jaxlayers.layers, name)
        if isinstance(obj, type) and issubclass(obj, Layer) and obj.__name__ == name \
                and name not in NOT_LAYERS:
            out[name] = obj
    return out


PUBLIC = _public_classes()
_CASES = all_cases()
# Layers without a case of their own (InputLayer is made by jl.Input).
BASE_KWARGS = {"InputLayer": dict(shape=(3,))}


def _constructor(name):
    """``(make, base_kwargs)``: a constructor for ``name`` and valid base arguments."""
    if name in BASE_KWARGS:
        return PUBLIC[name], BASE_KWARGS[name]
    for case in _CASES:
        if getattr(case.cls, "__name__", None) == name:
            return case.cls, dict(case.kwargs)
    raise AssertionError(f"no LayerCase builds {name}")


def _tried_arguments(cls):
    params = inspect.signature(cls).parameters
    return [p for p in params if p in BAD_VALUES]


def test_every_public_layer_has_a_tried_argument_or_is_listed():
    untried = sorted(n for n, c in PUBLIC.items()
                     if not _tried_arguments(c) and n not in NO_VALIDATED_ARGUMENTS)
    assert not untried, f"layers with no argument in BAD_VALUES: {untried}"
    listed_but_tried = sorted(n for n in NO_VALIDATED_ARGUMENTS if _tried_arguments(PUBLIC[n]))
    assert not listed_but_tried, listed_but_tried


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_bad_constructor_arguments_get_a_named_error(name):
    cls = PUBLIC[name]
    make, base = _constructor(name)
    make(**base)  # the base arguments are valid
    failures = []
    for arg in _tried_arguments(cls):
        for bad in BAD_VALUES[arg]:
            try:
                make(**{**base, arg: bad})
            except (ConfigError, ConfigTypeError) as e:
                message = str(e)
                if not re.search(rf"\b{name}\b", message) or f"{arg}=" not in message:
                    failures.append(f"{arg}={bad!r}: message does not name {name} and "
                                    f"`{arg}`: {message}")
            except Exception as e:  # noqa: BLE001 - every other outcome is a failure
                failures.append(f"{arg}={bad!r}: {type(e).__name__}: {e}")
            else:
                failures.append(f"{arg}={bad!r}: accepted")
    assert not failures, f"{name}:\n" + "\n".join(failures)


# --------------------------------------------------------------------------- named cases
_RNNS = [jaxlayers.layers.LSTM, jaxlayers.layers.GRU, jaxlayers.layers.SimpleRNN]


@pytest.mark.parametrize("cls", _RNNS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("arg", ["dropout", "recurrent_dropout"])
@pytest.mark.parametrize("value", [-0.5, 1.5, NAN, "0.5"])
def test_recurrent_layers_refuse_a_bad_dropout_rate_and_name_themselves(cls, arg, value):
    match = (rf"^{cls.__name__} 'rnn_bad': `{arg}` must be a float in \[0, 1\) .*"
             rf"Received: {arg}={value!r}\.$")
    with pytest.raises(ConfigError, match=match):
        cls(3, name="rnn_bad", **{arg: value})


def test_recurrent_layers_show_their_cell_arguments_in_the_signature():
    for cls in _RNNS:
        params = inspect.signature(cls).parameters
        assert {"units", "dropout", "recurrent_dropout", "activation", "seed"} <= set(params)
        assert params["dropout"].default == 0.0
    assert inspect.signature(jaxlayers.layers.GRU).parameters["reset_after"].default is True


def test_dropout_rates_outside_unit_interval_are_config_errors():
    makers = {
        "Dropout": lambda r: layers.Dropout(r, name="d"),
        "SpatialDropout1D": lambda r: layers.SpatialDropout1D(r, name="d"),
        "SpatialDropout3D": lambda r: layers.SpatialDropout3D(r, name="d"),
        "GaussianDropout": lambda r: layers.GaussianDropout(r, name="d"),
        "AlphaDropout": lambda r: layers.AlphaDropout(r, name="d"),
        "MultiHeadAttention": lambda r: layers.MultiHeadAttention(2, 3, dropout=r, name="d"),
        "GroupedQueryAttention": lambda r: layers.GroupQueryAttention(2, 2, 1, dropout=r,
                                                                      name="d"),
        "AdditiveAttention": lambda r: layers.AdditiveAttention(dropout=r, name="d"),
    }
    for cls, make in makers.items():
        for rate in (1.0, -0.1, 3):
            with pytest.raises(ConfigError, match=rf"{cls} 'd': `(rate|dropout)`.* must be a "
                                                  rf"float in \[0, 1\).*=({rate!r})"):
                make(rate)
    with pytest.raises(ConfigError, match=r"MultiHeadAttention 'k': `key_dim` .* is required"):
        layers.MultiHeadAttention(num_heads=2, name="k")


@pytest.mark.parametrize("make,error,match", [
    (lambda: jaxlayers.layers.GRU(3, reset_after="a"), ConfigTypeError,
     r"GRU '.*': `reset_after` must be a bool. Received: reset_after='a'\."),
    (lambda: jaxlayers.layers.EinsumDense("ab,bc->ac", output_shape="3"), ConfigError,
     (r"EinsumDense '.*': `output_shape` must be a positive int or a tuple of positive ints"
      r".*Received: output_shape='3'\.")),
    (lambda: jaxlayers.layers.EinsumDense("ab,bc->ac", output_shape=True), ConfigError,
     r"EinsumDense .*Received: output_shape=True\."),
    (lambda: jaxlayers.layers.EinsumDense("ab,bc->ac", output_shape=0), ConfigError,
     r"EinsumDense .*Received: output_shape=0\."),
    (lambda: jaxlayers.layers.Discretization(bin_boundaries=[0.0, 2.0, 1.0]), ConfigError,
     (r"Discretization '.*': `bin_boundaries` must be a flat list of numbers in increasing "
      r"order. Received: bin_boundaries=\[0.0, 2.0, 1.0\]\.")),
    (lambda: jaxlayers.layers.Discretization(bin_boundaries=[0.0, NAN]), ConfigError,
     (r"Discretization '.*': `bin_boundaries` must be a finite float or a list of them. "
      r"Received: bin_boundaries=\[0.0, nan\]\.")),
    (lambda: jaxlayers.layers.Normalization(mean=0.0, variance=-1.0), ConfigError,
     (r"Normalization '.*': `variance` must be a finite non-negative float or a list of "
      r"them. Received: variance=-1.0\.")),
    (lambda: jaxlayers.layers.Normalization(variance=-1), ConfigError,
     r"Normalization '.*': `variance` must be a finite non-negative float .*variance=-1\."),
], ids=["GRU-reset_after", "EinsumDense-str", "EinsumDense-bool", "EinsumDense-zero",
        "Discretization-unsorted", "Discretization-nan", "Normalization-variance",
        "Normalization-variance-alone"])
def test_named_bad_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()
