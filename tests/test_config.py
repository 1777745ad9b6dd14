"""jl.config: Keras 3's settings namespace, each setting honoured where it applies."""

import inspect

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers import backend
from jaxlayers.core import dtype_policy, serialization
from jaxlayers.errors import ConfigError, UnsafeLoadError
from tests.cases import all_cases


@pytest.fixture
def restore_config(monkeypatch):
    """Every global setting a test changes comes back afterwards."""
    saved = (jl.config.floatx(), jl.config.epsilon(), jl.config.image_data_format(),
             jl.config.is_interactive_logging_enabled(),
             jl.config.is_traceback_filtering_enabled())
    monkeypatch.setattr(dtype_policy, "_global", {"policy": None})
    monkeypatch.setattr(serialization, "_default_safe_mode", {"value": True})
    monkeypatch.setattr(backend, "_limits", {"max_epochs": None, "max_steps_per_epoch": None})
    monkeypatch.setattr(backend, "_flash", {"enabled": None})
    yield
    jl.config.set_floatx(saved[0])
    jl.config.set_epsilon(saved[1])
    jl.config.set_image_data_format(saved[2])
    (jl.config.enable_interactive_logging if saved[3]
     else jl.config.disable_interactive_logging)()
    (jl.config.enable_traceback_filtering if saved[4]
     else jl.config.disable_traceback_filtering)()


def test_every_keras_config_name_exists(keras):
    names = {n for n in dir(keras.config) if not n.startswith("_")}
    assert names == set(jl.config.__all__)
    assert all(callable(getattr(jl.config, n)) for n in names)


def test_defaults_match_keras(keras):
    for name in ("floatx", "epsilon", "image_data_format", "is_interactive_logging_enabled",
                 "is_flash_attention_enabled", "max_epochs", "max_steps_per_epoch",
                 "is_nnx_enabled"):
        assert getattr(jl.config, name)() == getattr(keras.config, name)(), name
    assert jl.config.backend() == keras.config.backend() == "jax"
    assert jl.config.dtype_policy().name == keras.config.dtype_policy().name


def test_floatx_and_epsilon(restore_config):
    jl.config.set_floatx("float16")
    layer = jl.layers.Dense(2)
    layer.build((None, 3))
    assert layer.kernel.dtype == jnp.float16 and jl.random.normal((2,), seed=0).dtype == \
        jnp.float16
    jl.config.set_epsilon(1e-3)
    assert jl.config.epsilon() == 1e-3 == jl.backend.epsilon()
    with pytest.raises(ConfigError, match=r"set_floatx: unknown float dtype.*'int8'"):
        jl.config.set_floatx("int8")


def _data_format_cases():
    """Cases whose layer takes ``data_format=None`` and whose case leaves it unset."""
    out = []
    for case in all_cases():
        if not inspect.isclass(case.cls) or "data_format" in case.kwargs:
            continue
        param = inspect.signature(case.cls.__init__).parameters.get("data_format")
        if param is not None and param.default is None:
            out.append(case)
    return out


def test_image_data_format_is_every_layers_default(restore_config):
    cases = _data_format_cases()
    assert len({c.cls for c in cases}) >= 30
    jl.config.set_image_data_format("channels_first")
    wrong = [c.name for c in cases if c.cls(**c.kwargs).data_format != "channels_first"]
    assert not wrong
    jl.config.set_image_data_format("channels_last")
    assert all(c.cls(**c.kwargs).data_format == "channels_last" for c in cases[:5])
    with pytest.raises(ConfigError, match="expected 'channels_last' or 'channels_first'"):
        jl.config.set_image_data_format("nhwc")


def test_set_backend_accepts_only_jax():
    jl.config.set_backend("jax")
    with pytest.raises(ConfigError, match=r"runs on JAX only.*name='torch'"):
        jl.config.set_backend("torch")


def test_dtype_policy_is_the_default_of_new_layers(restore_config):
    jl.config.set_dtype_policy("mixed_bfloat16")
    assert jl.config.dtype_policy().name == "mixed_bfloat16"
    layer = jl.layers.Dense(2)
    out = layer(np.ones((1, 3), np.float32))
    assert layer.kernel.dtype == jnp.float32 and out.dtype == jnp.bfloat16
    jl.config.set_dtype_policy(jl.DTypePolicy("float16"))
    assert jl.layers.Dense(2).compute_dtype == "float16"
    assert layer.compute_dtype == "bfloat16"  # a layer keeps the policy it was created with
    jl.config.set_dtype_policy(None)
    assert jl.layers.Dense(2).dtype_policy.name == "float32"
    with pytest.raises(ConfigError, match="unknown dtype"):
        jl.config.set_dtype_policy("float13")


def test_enable_unsafe_deserialization(restore_config):
    config = jl.layers.Lambda(lambda t: t * 3.0).get_config()
    with pytest.raises(UnsafeLoadError, match="safe_mode=False"):
        jl.layers.Lambda.from_config(config)
    jl.config.enable_unsafe_deserialization()
    clone = jl.layers.Lambda.from_config(config)
    np.testing.assert_allclose(clone(jnp.ones(2)), 3.0)
    with serialization.SafeModeScope(True), pytest.raises(UnsafeLoadError):
        jl.layers.Lambda.from_config(config)
    # Leaving a scope restores the global default, whatever it is then.
    with serialization.SafeModeScope(False):
        pass
    serialization._default_safe_mode["value"] = True
    with pytest.raises(UnsafeLoadError):
        jl.layers.Lambda.from_config(config)


def test_enable_unsafe_deserialization_as_a_block_restores_what_was_there(restore_config):
    config = jl.layers.Lambda(lambda t: t * 3.0).get_config()
    with jl.config.enable_unsafe_deserialization() as unsafe:
        assert not serialization.in_safe_mode()
        np.testing.assert_allclose(jl.layers.Lambda.from_config(config)(jnp.ones(2)), 3.0)
    assert unsafe.previous_default is True
    assert serialization.in_safe_mode()
    with pytest.raises(UnsafeLoadError):
        jl.layers.Lambda.from_config(config)
    # Left by an exception: restored too.
    with pytest.raises(ValueError), jl.config.enable_unsafe_deserialization():
        raise ValueError("left by an exception")
    assert serialization.in_safe_mode()
    # A block where the default is already off leaves it off.
    jl.config.enable_unsafe_deserialization()
    with jl.config.enable_unsafe_deserialization():
        assert not serialization.in_safe_mode()
    assert not serialization.in_safe_mode()


def test_enable_unsafe_deserialization_nests_with_safe_mode_scopes(restore_config):
    in_safe_mode = serialization.in_safe_mode
    with serialization.SafeModeScope(True):
        with jl.config.enable_unsafe_deserialization():
            assert not in_safe_mode()  # the block asks for unsafe, over the outer scope
            with serialization.SafeModeScope(True):
                assert in_safe_mode()  # an explicit inner scope still wins
            assert not in_safe_mode()
        assert in_safe_mode()
    assert in_safe_mode()
    with serialization.SafeModeScope(False):
        with pytest.raises(KeyError), jl.config.enable_unsafe_deserialization():
            raise KeyError("x")
        assert not in_safe_mode()  # the enclosing scope's mode is back
    assert in_safe_mode() and serialization._default_safe_mode["value"] is True


def test_interactive_logging_has_one_home(restore_config, capsys):
    assert jl.config.disable_interactive_logging is jl.utils.disable_interactive_logging
    jl.config.disable_interactive_logging()
    assert not jl.config.is_interactive_logging_enabled()
    backend.print_msg("quiet")
    jl.config.enable_interactive_logging()
    backend.print_msg("loud")
    assert capsys.readouterr().out == "loud\n"


class _CountBatches(jl.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1


def test_max_epochs_and_steps_cap_fit_evaluate_and_predict(restore_config):
    model = jl.Sequential([jl.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((8, 2), np.float32), np.ones((8, 1), np.float32)
    jl.config.set_max_epochs(2)
    jl.config.set_max_steps_per_epoch(3)
    counter = _CountBatches()
    history = model.fit(x, y, batch_size=2, epochs=5, verbose=0, callbacks=[counter])
    assert len(history.history["loss"]) == 2 and counter.batches == 6
    jl.config.set_max_steps_per_epoch(1)
    assert model.predict(x, batch_size=2, verbose=0).shape == (2, 1)
    assert jl.config.max_epochs() == 2 and jl.config.max_steps_per_epoch() == 1
    jl.config.set_max_epochs(None)
    jl.config.set_max_steps_per_epoch(None)
    assert len(model.fit(x, y, batch_size=4, epochs=3, verbose=0).history["loss"]) == 3
    with pytest.raises(ConfigError, match=r"`max_epochs` must be a positive int or None\. "
                                          r"Received: max_epochs=0"):
        jl.config.set_max_epochs(0)


class _CountedCall(jl.layers.Layer):
    traces = 0

    def call(self, x):
        type(self).traces += 1
        return x


def test_capped_fit_evaluate_predict_compile_once_across_calls(restore_config):
    # The caps are read once per call, outside the compiled steps: a second capped round
    # on data of the same shapes traces nothing new.
    _CountedCall.traces = 0
    model = jl.Sequential([jl.Input((2,)), _CountedCall(), jl.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((8, 2), np.float32), np.ones((8, 1), np.float32)
    jl.config.set_max_epochs(2)
    jl.config.set_max_steps_per_epoch(3)
    counts = []
    for _ in range(2):
        counter = _CountBatches()
        history = model.fit(x, y, batch_size=2, epochs=5, verbose=0, callbacks=[counter])
        assert len(history.history["loss"]) == 2 and counter.batches == 6
        model.evaluate(x, y, batch_size=2, verbose=0)
        assert model.predict(x, batch_size=2, verbose=0).shape == (6, 1)
        counts.append(_CountedCall.traces)
    assert counts[0] == counts[1], counts


def test_flash_attention_switch_reaches_attention_layers(restore_config, monkeypatch):
    from jaxlayers.ops import nn as nn_ops

    seen = []
    attention = nn_ops.dot_product_attention

    def spy(*args, flash_attention=None, **kwargs):
        seen.append(flash_attention)
        return attention(*args, flash_attention=flash_attention, **kwargs)

    monkeypatch.setattr(nn_ops, "dot_product_attention", spy)
    x = np.ones((1, 2, 4), np.float32)
    layer = jl.layers.MultiHeadAttention(num_heads=1, key_dim=2)
    layer(x, x)
    jl.config.disable_flash_attention()
    assert jl.config.is_flash_attention_enabled() is False
    layer(x, x)
    jl.config.enable_flash_attention()
    assert jl.config.is_flash_attention_enabled() is None
    jl.layers.MultiHeadAttention(num_heads=1, key_dim=2, flash_attention=False)(x, x)
    assert seen == [None, False, False]


def test_traceback_filtering_switches_jax(restore_config):
    jl.config.disable_traceback_filtering()
    assert not jl.config.is_traceback_filtering_enabled()
    assert jax.config.jax_traceback_filtering == "off"
    jl.config.enable_traceback_filtering()
    assert jl.config.is_traceback_filtering_enabled()
