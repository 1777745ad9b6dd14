"""An optimizer's initial state without one compile per operation and weight shape.

Run op by op, an optax ``init`` compiles a small XLA program per operation and
per weight shape (the zeros of every moment, each scalar of the injected
hyperparameters, ...): a first ``fit`` of a 3-layer MLP with Adam paid 15
compiles for it.  :func:`fast_init` traces ``init`` once to a jaxpr instead and
makes each array of the state by what it is:

* a constant (a literal, or an array filled with one, such as every zero
  moment): on CPU made with NumPy and placed with one ``device_put``, no
  program at all, whatever the number of weights (on an accelerator filled on
  the device, one cached program per shape as op by op: copying every zero
  moment over the host link would cost more);
* a weight returned as it is: that same array, as before;
* anything else (the epsilon Keras's Adam injects, a schedule's first value,
  a copy of the weights): computed by ONE program, compiled ahead of time and
  cached by that program's jaxpr, constants and input types and placements.
  The jaxpr holds everything of the optimizer's configuration that the state
  depends on, so another optimizer or model that needs the same program
  compiles nothing.

The values are the op-by-op ``init``'s: constants are exact, and the program
runs the same operations.  Weights traced (``init`` inside ``jit`` or
``jax.eval_shape``), weights spread over several devices (a sharded model:
their zeros follow each weight's sharding) and an ``init`` with side effects
take the op-by-op ``init`` unchanged.

Example:
    >>> import optax
    >>> tx = fast_init(optax.adam(1e-3))
    >>> state = tx.init({"w": jnp.ones((2, 3))})
    >>> state[0].mu["w"].tolist()
    [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
"""

import collections

import jax
import jax.numpy as jnp
import numpy as np
from jax.extend.core import ClosedJaxpr, Literal, jaxpr_as_fun

# Compiled programs for the non-constant arrays of initial states, by what they
# compute (bounded: the oldest goes first).
_PROGRAMS = collections.OrderedDict()
_PROGRAMS_SIZE = 64

# Up to this many output values, the program compiles without LLVM's
# optimisations on CPU (it runs once, over scalars or a copy of the weights).
_FAST_COMPILE_MAX_VALUES = 2**22


def fast_init(tx):
    """``tx`` whose ``init`` makes its state with at most one compiled program.

    Args:
        tx: An ``optax.GradientTransformation`` (or ``...ExtraArgs``).

    Returns:
        The same kind of transform, with the same ``update``; its ``init``
        returns the same state as ``tx.init`` (the op-by-op one stays
        available as ``init.__wrapped__``).

    Example:
        >>> import optax
        >>> tx = fast_init(optax.sgd(0.1, momentum=0.9))
        >>> tx.init([jnp.ones(3)])[0].trace[0].tolist()
        [0.0, 0.0, 0.0]
    """
    init = tx.init

    def fast(params):
        return _init_state(init, params)

    fast.__wrapped__ = init
    return tx._replace(init=fast)


class _OpByOp(Exception):
    """The weights are traced, or not all on one device: ``init`` runs op by op."""


def _placement(leaves):
    """``(device, committed)`` that constants of the state go to, or ``_OpByOp``."""
    device, committed = None, False
    for x in leaves:
        if isinstance(x, (np.ndarray, np.generic)):
            continue
        if not isinstance(x, jax.Array) or isinstance(x, jax.core.Tracer):
            raise _OpByOp
        devices = x.sharding.device_set
        if len(devices) != 1 or (device is not None and devices != {device}):
            raise _OpByOp
        device = next(iter(devices))
        committed = committed or x.committed
    return device, committed


def _constant(var, producers):
    """``(shape, fill value, dtype)`` when ``var`` is a constant, else ``None``."""
    aval = var.aval
    if aval.weak_type:  # host arrays are strongly typed: let the program keep the type
        return None
    if isinstance(var, Literal):
        return (), var.val, aval.dtype
    eqn = producers.get(var)
    if (eqn is not None and eqn.primitive.name == "broadcast_in_dim"
            and isinstance(eqn.invars[0], Literal) and eqn.params.get("sharding") is None):
        return aval.shape, eqn.invars[0].val, aval.dtype
    return None


def _constants_on_host():
    """Whether constants are filled by NumPy and copied over, or on the device.

    On CPU the copy is a memcpy and nothing compiles.  On an accelerator every
    zero moment would cross the host link (gigabytes for a large model), so the
    device fills them, with one small program per shape as op by op (JAX caches
    those by shape and dtype across models).
    """
    return jax.default_backend() == "cpu"


def _place_constants(constants, device):
    if _constants_on_host():
        return jax.device_put([np.full(*c) for c in constants], device)
    return [jnp.full(*c, device=device) for c in constants]


def _fingerprint(const):
    value = np.asarray(const)
    return value.shape, str(value.dtype), value.tobytes()


def _init_state(init, params):
    leaves = jax.tree_util.tree_leaves(params)
    try:
        device, committed = _placement(leaves)
    except _OpByOp:
        return init(params)
    closed, out_shapes = jax.make_jaxpr(init, return_shape=True)(params)
    jaxpr = closed.jaxpr
    if closed.effects:
        return init(params)
    producers = {v: eqn for eqn in jaxpr.eqns for v in eqn.outvars}
    inputs = dict(zip(jaxpr.invars, leaves))
    out, host, computed = [None] * len(jaxpr.outvars), {}, {}
    for i, var in enumerate(jaxpr.outvars):
        value = _constant(var, producers)
        if value is not None:
            host[i] = value
        elif not isinstance(var, Literal) and var in inputs:
            out[i] = inputs[var]
        else:  # by identity: an output returned twice is one array, as op by op
            computed.setdefault(id(var), (var, []))[1].append(i)
    if host:
        for i, value in zip(host, _place_constants(list(host.values()),
                                                   device if committed else None)):
            out[i] = value
    if computed:
        outvars = [var for var, _ in computed.values()]
        for (_, indices), value in zip(computed.values(),
                                       _run(closed, outvars, inputs, device, committed)):
            for i in indices:
                out[i] = value
    return jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(out_shapes), out)


def _run(closed, outvars, inputs, device, committed):
    """The values of ``outvars`` from one compiled (and cached) program."""
    jaxpr = closed.jaxpr
    needed, eqns = {v for v in outvars if not isinstance(v, Literal)}, []
    for eqn in reversed(jaxpr.eqns):  # only the equations the outputs need
        if any(v in needed for v in eqn.outvars):
            eqns.append(eqn)
            needed.update(v for v in eqn.invars if not isinstance(v, Literal))
    consts = [(v, c) for v, c in zip(jaxpr.constvars, closed.consts) if v in needed]
    invars = [v for v in jaxpr.invars if v in needed]
    sub = jaxpr.replace(constvars=[v for v, _ in consts], invars=invars, outvars=outvars,
                        eqns=eqns[::-1])
    args = [inputs[v] for v in invars]
    sharding = jax.sharding.SingleDeviceSharding(device) if committed else None
    key = (str(sub), tuple(_fingerprint(c) for _, c in consts), tuple(v.aval for v in invars),
           tuple(getattr(a, "sharding", None) for a in args), sharding)
    compiled = _PROGRAMS.get(key)
    if compiled is None:
        size = sum(int(np.prod(v.aval.shape)) for v in outvars)
        options = ({"xla_backend_optimization_level": 0}
                   if jax.default_backend() == "cpu" and size <= _FAST_COMPILE_MAX_VALUES
                   else None)
        fun = jaxpr_as_fun(ClosedJaxpr(sub, [c for _, c in consts]))

        def optimizer_init(*values):
            return fun(*values)

        compiled = jax.jit(optimizer_init, out_shardings=sharding).lower(*args).compile(
            compiler_options=options)
        if len(_PROGRAMS) >= _PROGRAMS_SIZE:
            _PROGRAMS.popitem(last=False)
        _PROGRAMS[key] = compiled
    return compiled(*args)


__all__ = ["fast_init"]
