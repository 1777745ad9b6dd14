"""A tiny GAN trained by `fit` through its own `train_step`: two sub-models, two optimizers.

The generator maps 2-d noise to 3-d points and the discriminator scores points; each step
updates the discriminator with its optimizer, then the generator with its own, through
`optimizer.stateless_apply`, as a Keras JAX user writes it. The noise comes in as the second
element of each batch, so an independent plain-JAX loop with the same weights and noise gives
the exact weights and losses to compare with.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl


def _bce_from_logits(labels, logits):
    return jnp.mean(jnp.maximum(logits, 0) - logits * labels + jnp.log1p(jnp.exp(-jnp.abs(
        logits))))


class GAN(jl.Model):
    def __init__(self, discriminator, generator):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.d_loss_tracker = jl.metrics.Mean(name="d_loss")
        self.g_loss_tracker = jl.metrics.Mean(name="g_loss")

    def compile(self, d_optimizer, g_optimizer):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        d_optimizer.build(self.discriminator.trainable_variables)
        g_optimizer.build(self.generator.trainable_variables)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def _positions(self, part):
        mine = part.trainable_variables
        return [i for i, v in enumerate(self.trainable_variables)
                if any(v is w for w in mine)]

    def _d_loss(self, d_weights, g_weights, real, noise):
        fake, _ = self.generator.stateless_call(g_weights, [], noise)
        real_logits, _ = self.discriminator.stateless_call(d_weights, [], real)
        fake_logits, _ = self.discriminator.stateless_call(d_weights, [], fake)
        return (_bce_from_logits(jnp.ones_like(real_logits), real_logits)
                + _bce_from_logits(jnp.zeros_like(fake_logits), fake_logits))

    def _g_loss(self, g_weights, d_weights, noise):
        fake, _ = self.generator.stateless_call(g_weights, [], noise)
        fake_logits, _ = self.discriminator.stateless_call(d_weights, [], fake)
        return _bce_from_logits(jnp.ones_like(fake_logits), fake_logits)

    def train_step(self, state, data):
        trainable, non_trainable, optimizer_vars, metrics_vars = state
        real, noise = data
        d_at, g_at = self._positions(self.discriminator), self._positions(self.generator)
        d_weights = [trainable[i] for i in d_at]
        g_weights = [trainable[i] for i in g_at]
        # optimizer_variables: the compiled optimizer's, then d_optimizer's, g_optimizer's.
        start = len(self.optimizer.variables)
        n_d, n_g = len(self.d_optimizer.variables), len(self.g_optimizer.variables)
        d_opt = optimizer_vars[start:start + n_d]
        g_opt = optimizer_vars[start + n_d:start + n_d + n_g]

        d_loss, d_grads = jax.value_and_grad(self._d_loss)(d_weights, g_weights, real, noise)
        d_weights, d_opt = self.d_optimizer.stateless_apply(d_opt, d_grads, d_weights)
        g_loss, g_grads = jax.value_and_grad(self._g_loss)(g_weights, d_weights, noise)
        g_weights, g_opt = self.g_optimizer.stateless_apply(g_opt, g_grads, g_weights)

        trainable = list(trainable)
        for i, w in zip(d_at + g_at, d_weights + g_weights):
            trainable[i] = w
        optimizer_vars = list(optimizer_vars[:start]) + d_opt + g_opt
        n = len(self.d_loss_tracker.variables)
        d_vars = self.d_loss_tracker.stateless_update_state(metrics_vars[:n], d_loss)
        g_vars = self.g_loss_tracker.stateless_update_state(metrics_vars[n:], g_loss)
        logs = {"d_loss": self.d_loss_tracker.stateless_result(d_vars),
                "g_loss": self.g_loss_tracker.stateless_result(g_vars)}
        return logs, (trainable, non_trainable, optimizer_vars, d_vars + g_vars)


def _reference(d_weights, g_weights, real, noise, batch, epochs, d_lr, g_lr):
    """Plain JAX: the same alternating SGD updates and per-epoch mean losses."""
    def forward(weights, x):
        return x @ weights[0] + weights[1]

    def d_loss(d, g, r, z):
        fake_logits = forward(d, forward(g, z))
        real_logits = forward(d, r)
        return (_bce_from_logits(jnp.ones_like(real_logits), real_logits)
                + _bce_from_logits(jnp.zeros_like(fake_logits), fake_logits))

    def g_loss(g, d, z):
        logits = forward(d, forward(g, z))
        return _bce_from_logits(jnp.ones_like(logits), logits)

    history = {"d_loss": [], "g_loss": []}
    for _ in range(epochs):
        losses = []
        for i in range(0, len(real), batch):
            r, z = real[i:i + batch], noise[i:i + batch]
            dl, dg = jax.value_and_grad(d_loss)(d_weights, g_weights, r, z)
            d_weights = [w - d_lr * g for w, g in zip(d_weights, dg)]
            gl, gg = jax.value_and_grad(g_loss)(g_weights, d_weights, z)
            g_weights = [w - g_lr * g for w, g in zip(g_weights, gg)]
            losses.append((float(dl), float(gl)))
        history["d_loss"].append(np.mean([d for d, _ in losses]))
        history["g_loss"].append(np.mean([g for _, g in losses]))
    return d_weights, g_weights, history


def test_a_tiny_gan_trains_both_parts_with_their_own_optimizers():
    rng = np.random.default_rng(5)
    real = (rng.normal(size=(8, 3)) + 2.0).astype("float32")
    noise = rng.normal(size=(8, 2)).astype("float32")
    discriminator = jl.Sequential([jl.Input((3,)), jl.layers.Dense(1)], name="discriminator")
    generator = jl.Sequential([jl.Input((2,)), jl.layers.Dense(3)], name="generator")
    d_start = [rng.normal(size=w.shape).astype("float32") for w in discriminator.get_weights()]
    g_start = [rng.normal(size=w.shape).astype("float32") for w in generator.get_weights()]
    discriminator.set_weights(d_start)
    generator.set_weights(g_start)
    gan = GAN(discriminator, generator)
    gan.compile(d_optimizer=jl.optimizers.SGD(learning_rate=0.1),
                g_optimizer=jl.optimizers.SGD(learning_rate=0.3))

    history = gan.fit(real, noise, batch_size=4, epochs=2, shuffle=False, verbose=0)

    d_want, g_want, history_want = _reference(d_start, g_start, real, noise, 4, 2, 0.1, 0.3)
    for ours, want in zip(discriminator.get_weights() + generator.get_weights(),
                          d_want + g_want):
        np.testing.assert_allclose(ours, want, rtol=1e-5, atol=1e-6)
    for name in ("d_loss", "g_loss"):
        np.testing.assert_allclose(history.history[name], history_want[name], rtol=1e-5)
    assert int(gan.d_optimizer.iterations) == int(gan.g_optimizer.iterations) == 4
    assert float(gan.g_loss_tracker.result()) == pytest.approx(history.history["g_loss"][-1])


def test_an_unbuilt_extra_optimizer_is_named_with_the_fix():
    class Unbuilt(GAN):
        def compile(self, d_optimizer, g_optimizer):
            jl.Model.compile(self)
            self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer

    gan = Unbuilt(jl.Sequential([jl.Input((3,)), jl.layers.Dense(1)]),
                  jl.Sequential([jl.Input((2,)), jl.layers.Dense(3)]))
    gan.compile(jl.optimizers.SGD(name="d_sgd"), jl.optimizers.SGD())
    with pytest.raises(jl.errors.StateError, match=r"the optimizer 'd_sgd' it holds has no "
                       r"state yet.*self\.d_optimizer\.build\("):
        gan.fit(np.ones((4, 3), "float32"), np.ones((4, 2), "float32"), verbose=0)
