"""jl.backend holds every keras.backend name, with Keras's results."""

import itertools

import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers.errors import ConfigError

DTYPES = ["bool", "uint8", "uint16", "uint32", "int8", "int16", "int32", "int64", "bfloat16",
          "float16", "float32", "float64", "complex64"]


def test_every_keras_backend_name_exists(keras):
    missing = [n for n in dir(keras.backend) if not n.startswith("_")
               and not callable(getattr(jl.backend, n, None))]
    assert not missing


# 64-bit names narrow to 32 bits without jax_enable_x64; JAX warns when asked for them.
@pytest.mark.filterwarnings("ignore:Explicitly requested dtype")
def test_result_type_matches_keras(keras):
    pairs = list(itertools.product(DTYPES + ["uint64", int, float, bool], repeat=2))
    pairs = [p for p in pairs if "complex64" not in p]  # Keras's JAX lattice has no complex
    wrong = [(a, b, jl.backend.result_type(a, b), keras.backend.result_type(a, b))
             for a, b in pairs
             if jl.backend.result_type(a, b) != keras.backend.result_type(a, b)]
    assert not wrong
    assert jl.backend.result_type() == keras.backend.result_type() == "float32"
    assert jl.backend.result_type("int8", "int16", "float16") == "float16"


def test_dtype_predicates_and_names_match_keras(keras):
    for dtype in DTYPES + [int, float, jnp.bfloat16, np.dtype("int16")]:
        assert jl.backend.is_float_dtype(dtype) == keras.backend.is_float_dtype(dtype), dtype
        assert jl.backend.is_int_dtype(dtype) == keras.backend.is_int_dtype(dtype), dtype
        assert jl.backend.standardize_dtype(dtype) == keras.backend.standardize_dtype(dtype)
    with pytest.raises(ConfigError, match="unknown dtype"):
        jl.backend.is_float_dtype("float13")


def test_get_uid_counts_per_prefix_until_clear_session():
    jl.backend.clear_session(free_memory=False)
    assert [jl.backend.get_uid("x"), jl.backend.get_uid("x"), jl.backend.get_uid("y")] == \
        [1, 2, 1]
    jl.backend.clear_session(free_memory=False)
    assert jl.backend.get_uid("x") == 1


def test_is_keras_tensor_and_settings():
    assert jl.backend.is_keras_tensor(jl.Input((3,)))
    assert not jl.backend.is_keras_tensor(np.zeros(3))
    assert jl.utils.is_keras_tensor is jl.backend.is_keras_tensor
    assert jl.backend.backend() == "jax"
    assert jl.backend.floatx() == "float32" and jl.backend.epsilon() == 1e-7
    assert jl.backend.image_data_format() == "channels_last"
