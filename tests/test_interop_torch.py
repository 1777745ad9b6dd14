"""TorchModuleWrapper: a torch nn.Module inside jaxlayers, checked against torch itself."""

import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers import errors
from jaxlayers.core.serialization import custom_object_scope
from jaxlayers.layers.interop import TorchModuleWrapper
from tests.helpers import assert_close

torch = pytest.importorskip("torch")
nn = torch.nn

X = np.linspace(-1.0, 1.0, 15, dtype=np.float32).reshape(5, 3)


def _mlp(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 6), nn.BatchNorm1d(6), nn.Tanh(), nn.Linear(6, 2))


def test_weights_mirror_named_parameters_and_buffers():
    module = _mlp()
    layer = TorchModuleWrapper(module, name="tw")
    assert [w.name for w in layer.trainable_weights] == [
        "0_weight", "0_bias", "1_weight", "1_bias", "3_weight", "3_bias"]
    assert [w.name for w in layer.non_trainable_weights] == [
        "1_running_mean", "1_running_var", "1_num_batches_tracked"]
    expected = [p.detach().numpy() for p in module.parameters()] + [
        b.numpy() for b in module.buffers()]
    for ours, theirs in zip(layer.get_weights(), expected):
        np.testing.assert_array_equal(ours, theirs)


def test_outputs_and_gradients_match_torch_autograd():
    module = _mlp()
    layer = TorchModuleWrapper(module, name="tw")
    params, state = layer.params, layer.state
    out = layer(X)
    module.eval()
    assert_close(out, module(torch.from_numpy(X)).detach().numpy(), tol=1e-5)

    def loss(p, x):
        y, _ = layer.apply(p, state, x)
        return jnp.sum(jnp.sin(y))

    gp, gx = jax.jit(jax.grad(loss, argnums=(0, 1)))(params, jnp.asarray(X))
    xt = torch.from_numpy(X.copy()).requires_grad_(True)
    module.eval()
    module.zero_grad()
    torch.sin(module(xt)).sum().backward()
    assert_close(gx, xt.grad.numpy(), tol=1e-5)
    for name, p in module.named_parameters():
        assert_close(gp["tw"][name.replace(".", "_")], p.grad.numpy(), tol=1e-5)


def test_training_mode_updates_buffers_like_torch():
    module = _mlp()
    layer = TorchModuleWrapper(module, name="tw")
    y, new_state = layer.apply(layer.params, layer.state, X, training=True,
                               key=jax.random.key(0))
    ref = _mlp()
    ref.train()
    y_ref = ref(torch.from_numpy(X))
    assert_close(y, y_ref.detach().numpy(), tol=1e-5)
    assert_close(new_state["tw"]["1_running_mean"], ref[1].running_mean.numpy(), tol=1e-5)
    assert_close(new_state["tw"]["1_running_var"], ref[1].running_var.numpy(), tol=1e-5)
    assert int(new_state["tw"]["1_num_batches_tracked"]) == 1
    # Inference leaves the state alone.
    _, same = layer.apply(layer.params, layer.state, X)
    assert_close(same["tw"]["1_running_mean"], layer.state["tw"]["1_running_mean"], tol=1e-5)


def test_dropout_mask_is_keyed_and_shared_by_forward_and_backward():
    layer = TorchModuleWrapper(nn.Dropout(0.5))
    x = jnp.asarray(np.arange(1, 41, dtype=np.float32).reshape(4, 10))

    def run(x, k):
        return layer.apply({}, {}, x, training=True, key=k)[0]

    y, vjp = jax.vjp(lambda x: run(x, jax.random.key(0)), x)
    (gx,) = vjp(jnp.ones_like(y))
    assert_close(y, gx * x, tol=1e-5)  # y = x * mask / (1 - p) and dy/dx = mask / (1 - p)
    assert_close(run(x, jax.random.key(0)), y, tol=1e-5)
    assert not np.allclose(run(x, jax.random.key(1)), y)
    with pytest.raises(errors.KeyRequiredError, match="key=jax.random.key"):
        layer.apply({}, {}, x, training=True)
    assert_close(layer(x), x, tol=1e-5)  # inference: identity


def test_jit_vmap_and_multiple_outputs():
    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 2)

        def forward(self, a, b):
            return {"sum": self.fc(a) + b, "prod": self.fc(a) * b}

    layer = TorchModuleWrapper(Two())
    b = np.ones((5, 2), np.float32)
    out = jax.jit(lambda p, a, b: layer.apply(p, {}, a, b)[0])(layer.params, X, b)
    assert sorted(out) == ["prod", "sum"]
    rows = jax.vmap(lambda a, b: layer.apply(layer.params, {}, a[None], b[None])[0]["sum"][0])(
        jnp.asarray(X), jnp.asarray(b))
    assert_close(rows, out["sum"], tol=1e-5)


def test_fit_trains_the_module_weights():
    module = _mlp()
    layer = TorchModuleWrapper(module, name="tw")
    model = jl.Sequential([jl.layers.Input((3,)), layer])
    model.compile(optimizer="adam", loss="mse")
    before = [w.copy() for w in layer.get_weights()]
    history = model.fit(X, np.ones((5, 2), np.float32), epochs=3, batch_size=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    after = layer.get_weights()
    assert all(not np.allclose(a, b) for a, b in zip(before[:6], after[:6]))
    assert int(after[-1]) == 3  # num_batches_tracked: one per step
    synced = layer.sync_module()
    for ours, p in zip(after, synced.parameters()):
        np.testing.assert_array_equal(ours, p.detach().numpy())


def test_config_round_trip_resupplies_the_module(tmp_path):
    layer = TorchModuleWrapper(_mlp(), name="tw")
    config = layer.get_config()
    assert config["module"] == {"class_name": "Sequential",
                                "module": "torch.nn.modules.container"}
    with pytest.raises(errors.SerializationError, match="from_config\\(config, module=...\\)"):
        TorchModuleWrapper.from_config(config)
    clone = TorchModuleWrapper.from_config(config, module=_mlp(seed=1))
    assert clone.get_config() == config
    with custom_object_scope({"tw": _mlp(seed=2)}):
        by_name = TorchModuleWrapper.from_config(config)
    with custom_object_scope({"torch.nn.modules.container.Sequential": _mlp}):
        by_class = TorchModuleWrapper.from_config(config)
    for other in (by_name, by_class):
        assert [w.shape for w in other.weights] == [w.shape for w in layer.weights]

    model = jl.Sequential([jl.layers.Input((3,)), layer])
    path = str(tmp_path / "torch.keras")
    model.save(path)
    loaded = jl.saving.load_model(path, custom_objects={"tw": lambda: _mlp(seed=3)})
    assert_close(loaded.predict(X, verbose=0), model.predict(X, verbose=0), tol=1e-5)


def test_bad_modules():
    with pytest.raises(errors.ConfigTypeError, match="`module` must be a torch.nn.Module"):
        TorchModuleWrapper(lambda x: x)
    with pytest.raises(errors.ConfigError, match="lazy modules must be initialized"):
        TorchModuleWrapper(nn.LazyLinear(2))

    class ReturnsText(nn.Module):
        def forward(self, x):
            return "text"

    with pytest.raises(errors.ConfigTypeError, match="must return a tensor"):
        TorchModuleWrapper(ReturnsText(), name="txt")(X)


def test_missing_torch_gives_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match="TorchModuleWrapper needs torch: pip install torch"):
        TorchModuleWrapper(object())


def test_training_mode_gradients_match_torch_autograd():
    """Train mode (BatchNorm batch statistics, dropout from the key) under jax.grad."""
    torch.manual_seed(0)
    module = nn.Sequential(nn.Linear(3, 6), nn.BatchNorm1d(6), nn.Tanh(), nn.Linear(6, 2))
    ref = _mlp()
    ref.load_state_dict(module.state_dict())
    layer = TorchModuleWrapper(module, name="tw")
    state = layer.state

    def loss(p, x):
        y, _ = layer.apply(p, state, x, training=True, key=jax.random.key(0))
        return jnp.sum(y ** 2)

    gp, gx = jax.grad(loss, argnums=(0, 1))(layer.params, jnp.asarray(X))
    ref.train()
    xt = torch.from_numpy(X.copy()).requires_grad_(True)
    (ref(xt) ** 2).sum().backward()
    assert_close(gx, xt.grad.numpy(), tol=1e-4)
    for name, p in ref.named_parameters():
        assert_close(gp["tw"][name.replace(".", "_")], p.grad.numpy(), tol=1e-4)
