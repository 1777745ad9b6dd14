"""An optimizer's initial state: at most one compiled program, none for an architecture seen
before, and the same arrays as optax's ``init`` run op by op."""

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec

import jaxlayers as jl
import jaxlayers.optimizers.fast_init as fast_init_lib
from jaxlayers.optimizers import schedules
from tests.helpers import count_compiles

opts = jl.optimizers


def _mlp(optimizer):
    """Three Dense layers (six weights), built, compiled, its weights made."""
    model = jl.Sequential([jl.Input((5,)), jl.layers.Dense(8), jl.layers.Dense(8),
                           jl.layers.Dense(2)])
    model.compile(optimizer=optimizer, loss="mse")
    model.get_weights()  # the initializers' own programs are not counted below
    return model


def test_a_first_model_compiles_one_init_program_and_a_second_none():
    # An epsilon no other test uses: Keras's Adam injects epsilon / sqrt(1 - beta_2),
    # the one array of its state that is not a constant.
    first = _mlp(opts.Adam(epsilon=1.2345e-7))
    with count_compiles() as names:
        first.training_state(init_optimizer=True)
    assert names == ["jit(optimizer_init)"]  # was 15 programs, one per op and shape
    with count_compiles() as names:
        _mlp(opts.Adam(epsilon=1.2345e-7, learning_rate=0.1)).training_state(init_optimizer=True)
    assert names == []
    # Every array of SGD's state is a constant: made on the host, nothing compiles.
    with count_compiles() as names:
        _mlp(opts.SGD(momentum=0.5, nesterov=True)).training_state(init_optimizer=True)
    assert names == []


_OPTIMIZERS = {
    "adam": lambda: opts.Adam(learning_rate=0.01),
    "adamw": lambda: opts.AdamW(weight_decay=0.1),
    "sgd_momentum": lambda: opts.SGD(momentum=0.9, nesterov=True),
    "schedule": lambda: opts.Adam(learning_rate=schedules.CosineDecay(0.1, 100, warmup_target=0.3,
                                                                   warmup_steps=10)),
    "ema": lambda: opts.Adam(use_ema=True),
    "accumulation": lambda: opts.RMSprop(momentum=0.5, gradient_accumulation_steps=3),
    "copies_the_weights": lambda: opts.ScheduleFreeAdamW(),
    "a_constant": lambda: opts.Muon(),
    "loss_scale": lambda: opts.LossScaleOptimizer(opts.Adam()),
    "multi": lambda: opts.MultiOptimizer(
        lambda w: opts.SGD(momentum=0.5) if len(w.shape) == 2 else opts.Adam()),
}


def _assert_same_state(new, old):
    new_leaves, new_tree = jax.tree_util.tree_flatten(new)
    old_leaves, old_tree = jax.tree_util.tree_flatten(old)
    assert new_tree == old_tree
    for a, b in zip(new_leaves, old_leaves):
        assert (a.dtype, a.shape, a.weak_type) == (b.dtype, b.shape, b.weak_type)
        np.testing.assert_array_equal(a, b)


def test_the_state_is_the_op_by_op_one():
    params = {"a": {"kernel": jnp.full((3, 4), 0.5), "bias": jnp.ones(4)},
              "b": {"kernel": jnp.full((4, 2), -2.0), "bias": jnp.arange(2.0)}}
    for name, make in _OPTIMIZERS.items():
        tx = make().to_optax()
        new, old = tx.init(params), tx.init.__wrapped__(params)
        _assert_same_state(new, old)
        # Each array is its own, as op by op (fit donates them).
        assert len({id(x) for x in jax.tree_util.tree_leaves(new)}) == len(
            {id(x) for x in jax.tree_util.tree_leaves(old)}), name
    numpy_weights = [np.ones((2, 3), np.float32)]
    tx = opts.Adam().to_optax()
    _assert_same_state(tx.init(numpy_weights), tx.init.__wrapped__(numpy_weights))


def test_on_an_accelerator_the_device_fills_the_constants(monkeypatch):
    # No zero moment crosses the host link there: the device fills them (one
    # program per shape, as op by op); the state is the same.
    monkeypatch.setattr(fast_init_lib, "_constants_on_host", lambda: False)
    tx = opts.Adam(use_ema=True).to_optax()
    params = jax.device_put([jnp.ones((3, 2)), jnp.ones(2)], jax.devices()[2])
    state = tx.init(params)
    _assert_same_state(state, tx.init.__wrapped__(params))
    for leaf in jax.tree_util.tree_leaves(state):
        assert leaf.committed and leaf.sharding.device_set == {jax.devices()[2]}


def test_the_state_follows_the_weights_placement():
    tx = opts.Adam().to_optax()
    devices = jax.devices()
    on_one = jax.device_put([jnp.ones((4, 2)), jnp.ones(2)], devices[3])
    for leaf in jax.tree_util.tree_leaves(tx.init(on_one)):
        assert leaf.committed and leaf.sharding.device_set == {devices[3]}
    # Weights over two devices: each moment takes its weight's sharding (op by op).
    mesh = jax.sharding.Mesh(np.array(devices[:2]), ("model",))
    sharded = [jax.device_put(jnp.ones((4, 2)), NamedSharding(mesh, PartitionSpec(None, "model")))]
    state = tx.init(sharded)
    moments = [x for x in jax.tree_util.tree_leaves(state) if x.shape == (4, 2)]
    assert len(moments) == 2 and all(m.sharding == sharded[0].sharding for m in moments)
    _assert_same_state(state, tx.init.__wrapped__(sharded))
    # Traced weights (eval_shape, inside jit): the shapes of the real state.
    shapes = jax.eval_shape(tx.init, on_one)
    assert jax.tree_util.tree_map(lambda x: (x.shape, x.dtype), shapes) == \
        jax.tree_util.tree_map(lambda x: (x.shape, x.dtype), tx.init(on_one))
