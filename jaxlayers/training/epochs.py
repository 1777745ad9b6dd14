"""One epoch of ``fit``'s fused loop: the compiled steps over a :class:`~lending.Loan`.

Per step the Python loop calls one compiled function on the loan's carry
(donated) and the step number, and hands the callbacks lazy logs: nothing is
read back from the device unless a callback reads it.
"""

import numpy as np

from jaxlayers.training import custom_steps, lending
from jaxlayers.training import data as data_lib
from jaxlayers.training.custom_steps import to_host


def lend(model, metric_set, dist=None):
    """A :class:`~lending.Loan` of ``model``'s weights and optimizer state with fresh
    metric states and a copy of the trainer's key (one dispatch).

    Args:
        model: A compiled model whose optimizer state exists.
        metric_set: The model's compiled :class:`~jaxlayers.training.steps.MetricSet`.
        dist: The distribution in effect, or ``None``.

    Example:
        >>> model = jl.Sequential([jl.Input((2,)), jl.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> _ = model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0)
        >>> metric_set = model._compiled_io[2]
        >>> loan = lend(model, metric_set)
        >>> states = end(model, loan)
        >>> sorted(states)
        ['loss']
    """
    key = ("carry", id(metric_set))
    cache = model._fn_cache
    if key not in cache:
        from jaxlayers.training import steps as steps_lib

        cache[key] = (steps_lib.make_carry_start(metric_set), metric_set)
    mstates, train_key = cache[key][0](model._train_key)
    return lending.Loan(model, mstates, train_key,
                        place=None if dist is None else dist.place_carry)


def end(model, loan):
    """Ends ``loan``: the model gets its arrays and the advanced key back; returns the
    metric states.

    Args:
        model: The model :func:`lend` lent.
        loan: Its loan.

    Example:
        >>> model = jl.Sequential([jl.Input((2,)), jl.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> _ = model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0)
        >>> states = end(model, lend(model, model._compiled_io[2]))
        >>> model.layers[0].kernel.value.is_deleted()
        False
    """
    mstates, key = loan.release()
    model.__dict__["_train_key"] = key
    return mstates


def batch_logs(model, metric_set, mstates):
    """Lazy batch logs: fetched from the device only when a callback reads them.

    Args:
        model: The model (its compiled metric results).
        metric_set: Its :class:`~jaxlayers.training.steps.MetricSet`.
        mstates: The metric states after the batch.

    Example:
        >>> model = jl.Sequential([jl.Input((2,)), jl.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> _ = model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0)
        >>> metric_set = model._compiled_io[2]
        >>> logs = batch_logs(model, metric_set, metric_set.init())
        >>> logs["loss"]
        0.0
    """
    results = model._metric_fns(metric_set)[1]
    return custom_steps.LazyLogs(lambda: to_host(results(mstates)))


def run_array_epoch(model, fns, dataset, loan, metric_set, cb, steps, rng):
    """Steps over array data already on the device, ``steps_per_execution`` at a time."""
    full, partial = dataset.plan(rng)
    k = model.steps_per_execution
    i = 0
    n_full = min(steps, dataset.full_steps)
    while i < n_full and not model.stop_training:
        cb.on_train_batch_begin(i)
        if k > 1 and i + k <= n_full:
            loan.run(fns["array_multi"], dataset.arrays, full, np.int32(i))
            i += k
        else:
            loan.run(fns["array_step"], dataset.arrays, full, np.int32(i))
            i += 1
        cb.on_train_batch_end(i - 1, batch_logs(model, metric_set, loan.carry[3]))
    if partial is not None and steps > dataset.full_steps and not model.stop_training:
        cb.on_train_batch_begin(i)
        loan.run(fns["partial"], dataset.arrays, partial)
        cb.on_train_batch_end(i, batch_logs(model, metric_set, loan.carry[3]))


def run_iterable_epoch(model, fns, stream, batch, loan, metric_set, cb, steps, owner):
    """Steps over ``batch`` and the stream's next ones; returns the number of batches run."""
    i = 0
    while batch is not None:
        bx, by, bsw = data_lib.unpack_batch(owner, batch)
        cb.on_train_batch_begin(i)
        loan.run(fns["step"], data_lib.to_arrays((bx, by, bsw)))
        cb.on_train_batch_end(i, batch_logs(model, metric_set, loan.carry[3]))
        i += 1
        if steps is not None and i >= steps or model.stop_training:
            break
        batch = stream.take()
    return i


# The runners are the trainer's own loop, not an API: not exported.
__all__ = ["lend", "end", "batch_logs"]
