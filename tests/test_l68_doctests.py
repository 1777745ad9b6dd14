"""The docstring examples of the recurrent and preprocessing modules run as written."""

import doctest
import importlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl

MODULES = [
    "jaxlayers.layers.recurrent", "jaxlayers.layers.rnn_base", "jaxlayers.layers.rnn_wrappers",
    "jaxlayers.layers.conv_lstm", "jaxlayers.ops.rnn", "jaxlayers.ops.image",
    "jaxlayers.layers.preprocessing.text", "jaxlayers.layers.preprocessing.lookup",
    "jaxlayers.layers.preprocessing.categorical", "jaxlayers.layers.preprocessing.numerical",
    "jaxlayers.layers.preprocessing.image", "jaxlayers.layers.preprocessing.augmentation",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    globs = {"jax": jax, "jnp": jnp, "np": np, "jl": jl}
    result = doctest.testmod(module, extraglobs=globs,
                             optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
