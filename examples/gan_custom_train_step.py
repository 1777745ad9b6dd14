"""A GAN trained by ``fit`` through its own ``train_step``: two networks, two optimizers.

A subclassed ``jl.Model`` holds a generator (noise -> sample) and a
discriminator (sample -> logit) and overrides ``train_step`` in the Keras 3
JAX style: the step receives the model's state as arrays
``(trainable, non_trainable, optimizer_variables, metrics_variables)`` and
returns the logs and the new state, with no side effects, so ``fit`` compiles
it once and keeps callbacks, history and progress logging.  Each step first
updates the discriminator (real samples labelled 1, generated ones 0) with its
optimizer, then the generator (trying to make the discriminator say 1) with
its own, both through ``optimizer.stateless_apply``.

The data is a 1-D Gaussian with mean 3 and standard deviation 0.5 (made here,
nothing downloaded); the noise comes in as the second element of each batch.
Stated result: samples drawn with fresh noise after training have a mean
within 0.2 of 3 and a standard deviation within 0.1 of 0.5 (the generator
starts near mean 0).  Runs in seconds on a CPU.

Run: ``python examples/gan_custom_train_step.py`` (also saves a histogram of generated
against real samples to ``examples/output/gan_custom_train_step.png``; ``--no-plot`` skips it).
"""

import time

import jax
import jax.numpy as jnp
import numpy as np
from _common import pyplot, run_cli, save_figure

import jaxlayers as jl
from jaxlayers import layers

DATA_MEAN, DATA_STD, NOISE_DIM = 3.0, 0.5, 4
TARGET_MEAN_ERROR, TARGET_STD_ERROR = 0.2, 0.1


def bce_from_logits(labels, logits):
    """Binary cross-entropy on logits, stable for large ``|logits|``."""
    return jnp.mean(jnp.maximum(logits, 0) - logits * labels
                    + jnp.log1p(jnp.exp(-jnp.abs(logits))))


class GAN(jl.Model):
    def __init__(self, generator, discriminator, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.d_loss_tracker = jl.metrics.Mean(name="d_loss")
        self.g_loss_tracker = jl.metrics.Mean(name="g_loss")

    def compile(self, d_optimizer, g_optimizer):
        super().compile()
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
        # Built here so that their variables exist before `fit` gathers the state.
        d_optimizer.build(self.discriminator.trainable_variables)
        g_optimizer.build(self.generator.trainable_variables)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def call(self, noise):
        return self.generator(noise)

    def _indices(self, part):
        """Where ``part``'s trainable variables sit in this model's flat list."""
        own = {id(v) for v in part.trainable_variables}
        return [i for i, v in enumerate(self.trainable_variables) if id(v) in own]

    def _d_loss(self, d_weights, g_weights, real, noise):
        fake, _ = self.generator.stateless_call(g_weights, [], noise, training=True)
        real_logits, _ = self.discriminator.stateless_call(d_weights, [], real, training=True)
        fake_logits, _ = self.discriminator.stateless_call(d_weights, [], fake, training=True)
        return (bce_from_logits(jnp.ones_like(real_logits), real_logits)
                + bce_from_logits(jnp.zeros_like(fake_logits), fake_logits))

    def _g_loss(self, g_weights, d_weights, noise):
        fake, _ = self.generator.stateless_call(g_weights, [], noise, training=True)
        fake_logits, _ = self.discriminator.stateless_call(d_weights, [], fake, training=True)
        return bce_from_logits(jnp.ones_like(fake_logits), fake_logits)

    def train_step(self, state, data):
        trainable, non_trainable, optimizer_vars, metrics_vars = state
        real, noise = data
        d_at, g_at = self._indices(self.discriminator), self._indices(self.generator)
        d_weights = [trainable[i] for i in d_at]
        g_weights = [trainable[i] for i in g_at]
        # The optimizer variables come in compile order: the (unused) compiled
        # optimizer's first, then d_optimizer's, then g_optimizer's.
        start = len(self.optimizer.variables)
        middle = start + len(self.d_optimizer.variables)
        d_opt, g_opt = optimizer_vars[start:middle], optimizer_vars[middle:]

        d_loss, d_grads = jax.value_and_grad(self._d_loss)(d_weights, g_weights, real, noise)
        d_weights, d_opt = self.d_optimizer.stateless_apply(d_opt, d_grads, d_weights)
        g_loss, g_grads = jax.value_and_grad(self._g_loss)(g_weights, d_weights, noise)
        g_weights, g_opt = self.g_optimizer.stateless_apply(g_opt, g_grads, g_weights)

        trainable = list(trainable)
        for i, w in zip(d_at + g_at, d_weights + g_weights):
            trainable[i] = w
        optimizer_vars = list(optimizer_vars[:start]) + list(d_opt) + list(g_opt)
        n = len(self.d_loss_tracker.variables)
        d_vars = self.d_loss_tracker.stateless_update_state(metrics_vars[:n], d_loss)
        g_vars = self.g_loss_tracker.stateless_update_state(metrics_vars[n:], g_loss)
        logs = {"d_loss": self.d_loss_tracker.stateless_result(d_vars),
                "g_loss": self.g_loss_tracker.stateless_result(g_vars)}
        return logs, (trainable, non_trainable, optimizer_vars, list(d_vars) + list(g_vars))


def build_gan():
    generator = jl.Sequential([
        jl.Input(shape=(NOISE_DIM,)),
        layers.Dense(16, activation="relu"),
        layers.Dense(16, activation="relu"),
        layers.Dense(1),
    ], name="generator")
    discriminator = jl.Sequential([
        jl.Input(shape=(1,)),
        layers.Dense(32, activation="leaky_relu"),
        layers.Dense(32, activation="leaky_relu"),
        layers.Dense(1),
    ], name="discriminator")
    return GAN(generator, discriminator, name="gan")


def main(epochs=30, seed=0, plot=None):
    jl.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    real = rng.normal(DATA_MEAN, DATA_STD, size=(4096, 1)).astype(np.float32)
    noise = rng.normal(size=(4096, NOISE_DIM)).astype(np.float32)

    gan = build_gan()
    # A discriminator that learns faster than the generator keeps giving it a useful signal.
    gan.compile(d_optimizer=jl.optimizers.Adam(learning_rate=2e-3, beta_1=0.5),
                g_optimizer=jl.optimizers.Adam(learning_rate=5e-4, beta_1=0.5))
    before = np.asarray(gan.generator.predict(noise[:1000], verbose=0))
    start = time.perf_counter()
    history = gan.fit(real, noise, batch_size=64, epochs=epochs, verbose=0)
    seconds = time.perf_counter() - start

    fresh_noise = rng.normal(size=(4000, NOISE_DIM)).astype(np.float32)
    samples = np.asarray(gan.generator.predict(fresh_noise, batch_size=1000, verbose=0))[:, 0]
    mean_error = abs(float(samples.mean()) - DATA_MEAN)
    std_error = abs(float(samples.std()) - DATA_STD)
    print(f"trained {epochs} epochs in {seconds:.1f}s; last d_loss "
          f"{history.history['d_loss'][-1]:.3f}, g_loss {history.history['g_loss'][-1]:.3f}")
    print(f"generated: mean {samples.mean():.3f}, std {samples.std():.3f} "
          f"(data {DATA_MEAN}, {DATA_STD}; before training {before.mean():.3f}, "
          f"{before.std():.3f})")
    met = mean_error < TARGET_MEAN_ERROR and std_error < TARGET_STD_ERROR
    print(f"target |mean error| < {TARGET_MEAN_ERROR} and |std error| < {TARGET_STD_ERROR}: "
          f"{'met' if met else 'NOT met'}")
    if plot:
        plt = pyplot()
        fig, ax = plt.subplots(figsize=(6, 3.6))
        bins = np.linspace(DATA_MEAN - 4 * DATA_STD, DATA_MEAN + 4 * DATA_STD, 50)
        ax.hist(real[:, 0], bins=bins, density=True, alpha=0.5, label="real")
        ax.hist(samples, bins=bins, density=True, alpha=0.5, label="generated")
        ax.set_xlabel("value")
        ax.set_title(f"GAN after {epochs} epochs")
        ax.legend()
        save_figure(fig, plot)
    return {"mean_error": mean_error, "std_error": std_error}


if __name__ == "__main__":
    run_cli(main, __file__, __doc__)
