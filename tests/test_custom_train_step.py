"""A Model's own steps inside fit/evaluate/predict, with Keras 3's JAX-backend signatures.

`train_step(state, data)`, `test_step`, `predict_step`, `compute_loss` and the `metrics`
property are overridden as a Keras user overrides them; each step is traced once, a wrong
signature is refused before anything runs, and the numbers match Keras on the same weights.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers.errors import ConfigTypeError


def _data(n=12, d=4):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(n, d)).astype("float32")
    y = (x @ rng.normal(size=(d, 1)) + 0.1).astype("float32")
    weights = [rng.normal(size=s).astype("float32") * 0.5 for s in [(d, 3), (3,), (3, 1), (1,)]]
    return x, y, weights


def _penalized_mae_program(k, x, y, weights):
    """Only `compute_loss` is overridden: the default train/test steps must call it."""
    ops = k.ops

    class PenalizedModel(k.Model):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                         training=True):
            return ops.mean(ops.abs(y_pred - y)) + 0.1 * ops.mean(y_pred ** 2)

    inputs = k.Input((4,))
    hidden = k.layers.Dense(3, activation="tanh")(inputs)
    model = PenalizedModel(inputs, k.layers.Dense(1)(hidden))
    model.set_weights(weights)
    model.compile(optimizer=k.optimizers.SGD(0.1), metrics=["mae"])
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    results = model.evaluate(x, y, verbose=0)
    return (history.history, results, [m.name for m in model.metrics], model.get_weights())


def test_an_overridden_compute_loss_drives_the_default_steps_as_in_keras(keras):
    x, y, weights = _data()
    ours = _penalized_mae_program(jl, x, y, weights)
    theirs = _penalized_mae_program(keras, x, y, weights)
    assert ours[2] == theirs[2] == ["loss", "compile_metrics"]
    for name in ("loss", "mae"):
        np.testing.assert_allclose(ours[0][name], theirs[0][name], rtol=1e-5)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-5)
    for a, b in zip(ours[3], theirs[3]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def _guide_programs(k, x, y, weights, which):
    """The two custom `train_step`s of Keras's JAX guide, as a Keras user writes them."""

    class GuideStep(k.Model):
        def train_step(self, state, data):
            trainable, non_trainable, optimizer_vars, metrics_vars = state
            x, y = data
            grad_fn = jax.value_and_grad(self.compute_loss_and_updates, has_aux=True)
            (loss, (y_pred, non_trainable)), grads = grad_fn(trainable, non_trainable, x, y,
                                                             training=True)
            trainable, optimizer_vars = self.optimizer.stateless_apply(optimizer_vars, grads,
                                                                       trainable)
            logs, metrics_vars = self.update_metrics(metrics_vars, loss, y, y_pred)
            return logs, (trainable, non_trainable, optimizer_vars, metrics_vars)

    class OwnTrackers(GuideStep):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.loss_tracker = k.metrics.Mean(name="loss")
            self.mae_metric = k.metrics.MeanAbsoluteError(name="mae")

        def compute_loss_and_updates(self, trainable, non_trainable, x, y, training=False):
            y_pred, non_trainable = self.stateless_call(trainable, non_trainable, x,
                                                        training=training)
            return k.losses.MeanSquaredError()(y, y_pred), (y_pred, non_trainable)

        def update_metrics(self, metrics_vars, loss, y, y_pred):
            n = len(self.loss_tracker.variables)
            loss_vars = self.loss_tracker.stateless_update_state(metrics_vars[:n], loss)
            mae_vars = self.mae_metric.stateless_update_state(metrics_vars[n:], y, y_pred)
            logs = {"loss": self.loss_tracker.stateless_result(loss_vars),
                    "mae": self.mae_metric.stateless_result(mae_vars)}
            return logs, loss_vars + mae_vars

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae_metric]

    class CompiledMetrics(GuideStep):
        def compute_loss_and_updates(self, trainable, non_trainable, x, y, training=False):
            y_pred, non_trainable = self.stateless_call(trainable, non_trainable, x,
                                                        training=training)
            return self.compute_loss(x, y, y_pred), (y_pred, non_trainable)

        def update_metrics(self, metrics_vars, loss, y, y_pred):
            new_vars, logs = [], {}
            for metric in self.metrics:
                these = metrics_vars[len(new_vars):len(new_vars) + len(metric.variables)]
                if metric.name == "loss":
                    these = metric.stateless_update_state(these, loss)
                else:
                    these = metric.stateless_update_state(these, y, y_pred)
                logs = metric.stateless_result(these)
                new_vars += these
            return logs, new_vars

    class NestedLogs(CompiledMetrics):
        # Logs keyed by metric name: the compiled metrics' result is itself a dict,
        # which Keras flattens into the history.
        def update_metrics(self, metrics_vars, loss, y, y_pred):
            new_vars, logs = [], {}
            for metric in self.metrics:
                these = metrics_vars[len(new_vars):len(new_vars) + len(metric.variables)]
                if metric.name == "loss":
                    these = metric.stateless_update_state(these, loss)
                else:
                    these = metric.stateless_update_state(these, y, y_pred)
                logs[metric.name] = metric.stateless_result(these)
                new_vars += these
            return logs, new_vars

    inputs = k.Input((4,))
    hidden = k.layers.Dense(3, activation="tanh")(inputs)
    model = {"own": OwnTrackers, "compiled": CompiledMetrics, "nested": NestedLogs}[which](
        inputs, k.layers.Dense(1)(hidden))
    model.set_weights(weights)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return history.history, int(model.optimizer.iterations), model.get_weights()


@pytest.mark.parametrize("which", ["own", "compiled", "nested"])
def test_the_guide_train_steps_run_unchanged_and_match_keras(keras, which):
    x, y, weights = _data()
    ours = _guide_programs(jl, x, y, weights, which)
    theirs = _guide_programs(keras, x, y, weights, which)
    assert set(ours[0]) == set(theirs[0]) and ours[1] == theirs[1] == 6
    for name in theirs[0]:
        np.testing.assert_allclose(ours[0][name], theirs[0][name], rtol=1e-5)
    for a, b in zip(ours[2], theirs[2]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


class CountingModel(jl.Model):
    """Own train/test/predict steps (plain SGD on the MSE), counting their traces."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.traces = {"train": 0, "test": 0, "predict": 0}
        self.seen = jl.metrics.Mean(name="seen")

    def _loss(self, trainable, non_trainable, x, y, training):
        y_pred, non_trainable = self.stateless_call(trainable, non_trainable, x,
                                                    training=training)
        return jnp.mean((y_pred - y) ** 2), non_trainable

    def train_step(self, state, data):
        self.traces["train"] += 1
        trainable, non_trainable, optimizer_vars, metrics_vars = state
        x, y = data
        (loss, non_trainable), grads = jax.value_and_grad(self._loss, has_aux=True)(
            trainable, non_trainable, x, y, True)
        # A small step: with 0.1 some random initial weights made SGD diverge to NaN.
        trainable = [w - 0.02 * g for w, g in zip(trainable, grads)]
        metrics_vars = self.seen.stateless_update_state(metrics_vars, jnp.full((2,), loss))
        logs = {"loss": loss, "seen": self.seen.stateless_result(metrics_vars)}
        return logs, (trainable, non_trainable, optimizer_vars, metrics_vars)

    def test_step(self, state, data):
        self.traces["test"] += 1
        trainable, non_trainable, metrics_vars = state
        x, y = data
        loss, _ = self._loss(trainable, non_trainable, x, y, False)
        metrics_vars = self.seen.stateless_update_state(metrics_vars, jnp.full((2,), loss))
        return {"seen": self.seen.stateless_result(metrics_vars)}, (
            trainable, non_trainable, metrics_vars)

    def predict_step(self, state, data):
        self.traces["predict"] += 1
        y_pred, non_trainable = self.stateless_call(*state, data, training=False)
        return {"double": 2 * y_pred}, non_trainable

    @property
    def metrics(self):
        return [self.seen]


@pytest.fixture(scope="module")
def counting():
    x, y, _ = _data()
    jl.utils.set_random_seed(0)  # the same initial weights in every run
    inputs = jl.Input((4,))
    hidden = jl.layers.Dropout(0.5)(jl.layers.Dense(3)(inputs))
    model = CountingModel(inputs, jl.layers.Dense(1, name="out")(hidden))
    model.compile(optimizer="sgd")
    return model, x, y


def test_own_steps_run_in_fit_evaluate_and_predict_each_traced_once(counting):
    model, x, y = counting
    before = [w.copy() for w in model.get_weights()]
    seen_mid_epoch = []
    read = jl.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: (
        seen_mid_epoch.append(read.model.get_weights()[0].copy())))
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[read])
    # A callback reading the model mid-epoch sees each step's weights.
    assert len(seen_mid_epoch) == 6 and not any(
        np.array_equal(a, b) for a, b in zip(seen_mid_epoch, seen_mid_epoch[1:]))
    np.testing.assert_array_equal(seen_mid_epoch[-1], model.get_weights()[0])
    # The dropout inside the custom step got keys from the trainer; the step ran 9 times.
    assert model.traces["train"] == 1
    assert not np.allclose(model.get_weights()[0], before[0])
    # The logs name more than `metrics` does, so the epoch logs are the step's (Keras);
    # the tracker's own value is written back into it.
    assert set(history.history) == {"loss", "seen"}
    last = model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    assert float(model.seen.result()) == pytest.approx(last.history["seen"][-1])
    assert model.traces["train"] == 1
    first = model.evaluate(x, y, batch_size=4, verbose=0)
    again = model.evaluate(x, y, batch_size=4, verbose=0, return_dict=True)
    assert model.traces["test"] == 1
    y_pred = model.predict(x, batch_size=4, verbose=0)
    model.predict(x, batch_size=4, verbose=0)
    assert model.traces["predict"] == 1
    plain = np.asarray(jl.Model(model.inputs, model.outputs[0])(x))
    np.testing.assert_allclose(y_pred["double"], 2 * plain, rtol=1e-5, atol=1e-6)
    mse = float(np.mean((plain - y) ** 2))
    assert first == pytest.approx(mse, rel=1e-5) and again == {"seen": first}


def test_on_batch_methods_run_the_own_steps_and_metrics_accumulate_as_keras(counting):
    model, x, y = counting
    logs = model.train_on_batch(x[:4], y[:4], return_dict=True)
    assert set(logs) == {"loss", "seen"}

    def mse(rows):
        out = np.asarray(jl.Model(model.inputs, model.outputs[0])(x[rows]))
        return float(np.mean((out - y[rows]) ** 2))

    model.reset_metrics()
    assert model.test_on_batch(x[:4], y[:4]) == pytest.approx(mse(slice(0, 4)), rel=1e-5)
    both = model.test_on_batch(x[4:8], y[4:8])  # the tracker holds both batches now
    assert both == pytest.approx((mse(slice(0, 4)) + mse(slice(4, 8))) / 2, rel=1e-5)


def test_random_draws_in_an_own_train_step_are_new_each_step_and_never_baked_in():
    class Noisy(jl.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.seed_generator = jl.random.SeedGenerator(7)

        def train_step(self, state, data):
            # A Keras GAN draws its latent vectors here, outside any layer call.
            noise = jl.random.normal((2,), seed=self.seed_generator)
            return {"noise": noise[0], "other": jl.random.uniform(())}, state

    class Record(jl.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.values = []

        def on_train_batch_end(self, batch, logs=None):
            self.values.append((logs["noise"], logs["other"]))

    x, y, _ = _data(n=8)
    inputs = jl.Input((4,))
    model = Noisy(inputs, jl.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd")
    record = Record()
    model.fit(x, y, batch_size=2, epochs=1, verbose=0, callbacks=[record])
    assert len(record.values) == 4 and len(set(record.values)) == 4


@pytest.mark.parametrize("method, params, call", [
    ("train_step", "self, data", lambda m, x, y: m.fit(x, y, verbose=0)),
    ("test_step", "self, state, data, extra", lambda m, x, y: m.evaluate(x, y, verbose=0)),
    ("predict_step", "self, data", lambda m, x, y: m.predict(x, verbose=0)),
    ("compute_loss", "self, y, y_pred", lambda m, x, y: m.fit(x, y, verbose=0)),
])
def test_an_override_with_another_signature_is_refused_before_tracing(method, params, call):
    namespace = {}
    # The override as a user would write it (TF-style train_step(self, data), ...);
    # it must never run.
    exec(f"def {method}({params}):\n    raise AssertionError('called')", namespace)
    model_class = type("OddModel", (jl.Model,), {method: namespace[method]})
    x, y, _ = _data()
    inputs = jl.Input((4,))
    model = model_class(inputs, jl.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    expected = {"compute_loss": r"compute_loss\(self, x, y, y_pred, sample_weight"}.get(
        method, rf"{method}\(self, state, data\)")
    with pytest.raises(ConfigTypeError, match=rf"OddModel '.*': the override of `{method}` "
                                              rf"must have the signature {expected}.*"
                                              rf"Received: {method}\({params[6:]}\)"):
        call(model, x, y)


@pytest.mark.parametrize("returned, match", [
    ("logs", r"`train_step` must return \(logs, new_state\), as in Keras 3's JAX backend\. "
             r"Received: dict\."),
    ("logs, state[:3]", r"`train_step` must return its state as 4 lists of \[2, 0, \d+, 2\] "
                        r"arrays, in the order it received them\. Received: \[2, 0, \d+\]\."),
])
def test_a_step_returning_another_structure_is_a_named_error(returned, match):
    namespace = {}
    exec(f"def train_step(self, state, data):\n    logs = {{}}\n    return {returned}",
         namespace)
    model_class = type("OddReturn", (jl.Model,), {"train_step": namespace["train_step"]})
    x, y, _ = _data()
    inputs = jl.Input((4,))
    model = model_class(inputs, jl.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd")
    with pytest.raises(ConfigTypeError, match=match):
        model.fit(x, y, verbose=0)


def test_an_overridden_compute_loss_and_updates_drives_the_default_train_step():
    class Frozen(jl.Model):
        def compute_loss_and_updates(self, trainable_variables, non_trainable_variables,
                                     metrics_variables, x, y, sample_weight, training=False,
                                     optimizer_variables=None):
            loss, aux = super().compute_loss_and_updates(
                trainable_variables, non_trainable_variables, metrics_variables, x, y,
                sample_weight, training=training, optimizer_variables=optimizer_variables)
            return 0.0 * loss, aux  # no gradient; the tracker still gets the loss in aux

    x, y, _ = _data(n=4)
    inputs = jl.Input((4,))
    model = Frozen(inputs, jl.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    before = model.get_weights()
    history = model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    expected = float(np.mean((x @ before[0] + before[1] - y) ** 2))
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-5)


def test_a_guide_style_compute_loss_and_updates_needs_its_own_test_step():
    class GuideModel(jl.Model):
        def compute_loss_and_updates(self, trainable, non_trainable, x, y, training=False):
            y_pred, non_trainable = self.stateless_call(trainable, non_trainable, x)
            return jnp.mean((y_pred - y) ** 2), (y_pred, non_trainable)

    x, y, _ = _data()
    inputs = jl.Input((4,))
    model = GuideModel(inputs, jl.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ConfigTypeError, match=r"`compute_loss_and_updates` must have the "
                       r"signature .* called by the default test_step: give it that "
                       r"signature, or override test_step too"):
        model.evaluate(x, y, verbose=0)


def test_a_functional_style_subclass_is_a_functional_model_with_its_methods():
    class Tagged(jl.Model):
        def __init__(self, *args, tag="t", **kwargs):
            super().__init__(*args, **kwargs)
            self.tag = tag

        def describe(self):
            return f"{self.tag}:{len(self.layers)}"

    inputs = jl.Input((3,), name="x")
    model = Tagged(inputs, jl.layers.Dense(2, name="d")(inputs), tag="a", name="tagged")
    assert isinstance(model, Tagged) and isinstance(model, jl.models.Functional)
    assert type(model).__name__ == "Tagged" and model.name == "tagged"
    assert model.describe() == "a:2" and model.output_shape == (None, 2)
    twin = Tagged.from_config(model.get_config())
    assert isinstance(twin, Tagged) and isinstance(twin, jl.models.Functional)
    assert [layer.name for layer in twin.layers] == ["x", "d"]

    class Plain(jl.Model):  # the same kind of subclass built subclass-style stays one
        def __init__(self):
            super().__init__()
            self.dense = jl.layers.Dense(1)

        def call(self, x):
            return self.dense(x)

    assert not isinstance(Plain(), jl.models.Functional)


@pytest.mark.parametrize("own_loss", [False, True], ids=["fused_step", "default_train_step"])
def test_a_loss_scale_leaves_training_as_without_one(own_loss):
    """Keras scales the loss before differentiating and the optimizer unscales the
    gradients, so a fixed or dynamic loss scale trains exactly as no scale does."""

    class OwnLoss(jl.Model):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                         training=True):
            return jnp.mean((y_pred - y) ** 2)

    x, y, weights = _data(n=8)

    def losses(optimizer):
        inputs = jl.Input((4,))
        out = jl.layers.Dense(1)(jl.layers.Dense(3, activation="tanh")(inputs))
        model = OwnLoss(inputs, out) if own_loss else jl.Model(inputs, out)
        model.set_weights(weights)
        model.compile(optimizer=optimizer, loss="mse")
        return model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]

    plain = losses(jl.optimizers.SGD(0.1))
    np.testing.assert_allclose(losses(jl.optimizers.SGD(0.1, loss_scale_factor=8.0)), plain,
                               rtol=1e-6)
    np.testing.assert_allclose(losses(jl.optimizers.LossScaleOptimizer(
        jl.optimizers.SGD(0.1), initial_scale=4.0)), plain, rtol=1e-6)


def test_fit_ends_with_the_ema_weights_as_keras(keras):
    """With `use_ema`, Keras's fit copies the moving averages onto the weights at its end;
    so do the fused step and a model's own steps."""
    x, y, weights = _data(n=8)

    def program(k, own_loss=False):
        class OwnLoss(k.Model):
            def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                             training=True):
                return k.ops.mean((y_pred - y) ** 2)

        inputs = k.Input((4,))
        out = k.layers.Dense(1)(k.layers.Dense(3)(inputs))
        model = (OwnLoss if own_loss else k.Model)(inputs, out)
        model.set_weights(weights)
        model.compile(optimizer=k.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5),
                      loss="mse")
        model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        return model.get_weights()

    theirs = program(keras)
    for ours in (program(jl), program(jl, own_loss=True)):
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
