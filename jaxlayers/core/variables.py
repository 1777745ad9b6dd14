"""Weight handles: what ``add_weight`` returns and ``layer.weights`` lists.

A :class:`Variable` is a handle, not the array itself.  Its value lives in one
of two places:

* under ``init`` / ``apply`` / ``stateless_call`` (or a facade call, which is
  ``apply`` on the facade's own values), the active scope binds the handle to
  the caller's array, and ``value`` returns that binding;
* otherwise ``value`` is the facade's stored array, created lazily from the
  initializer the first time it is needed.

Inside ``call`` a layer reads ``self.kernel`` and gets the bound ``jax.Array``
directly (see ``Layer.__getattr__``), so ``jnp`` and ``lax`` just work.
"""

import contextlib
import inspect
import json
import operator
import threading
import weakref

import jax
import jax.numpy as jnp
import numpy as np

from jaxlayers.core import scope as scope_lib
from jaxlayers.distribution import distributions as distribution_lib
from jaxlayers.distribution import multihost
from jaxlayers.errors import ShapeError, StateError


def to_device_array(value, dtype=None):
    """``value`` as a ``jax.Array`` (cast to ``dtype`` when given).

    NumPy input is converted on the host and transferred with ``jax.device_put``:
    ``jnp.asarray`` of a NumPy array outside a trace compiles a small XLA program
    (an identity or a cast) for every new shape and dtype, about 15 ms of CPU each,
    which ``set_weights``, file loads and eager calls on NumPy data would pay per
    weight or input shape. Other values (JAX arrays, tracers, Python scalars and
    lists, NumPy dtypes JAX defines such as bfloat16) go through ``jnp.asarray``.

    Args:
        value: An array-like.
        dtype: The dtype of the result, or None to keep ``value``'s (canonicalized
            as JAX does: float64 becomes float32 unless x64 is enabled).

    Returns:
        A ``jax.Array`` (or the tracer, inside a trace).

    Example:
        >>> import numpy as np
        >>> from jaxlayers.core.variables import to_device_array
        >>> to_device_array(np.ones((2, 3)), "float32").dtype
        dtype('float32')
    """
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in "biufc":
        host = np.asarray(value)
        host = host.astype(jax.dtypes.canonicalize_dtype(host.dtype), copy=False)
        if dtype is not None:
            host = host.astype(jnp.dtype(dtype), copy=False)
        return jax.device_put(host)
    value = jnp.asarray(value)
    return value if dtype is None or value.dtype == jnp.dtype(dtype) else value.astype(dtype)


def call_initializer(initializer, shape, dtype, key):
    """Calls a jaxlayers initializer with ``key``, or a user callable without it.

    An initializer constructed with an explicit int ``seed`` keeps it: the user
    asked for those exact values (they equal Keras's for the same seed).  A
    callable whose signature hides a ``key`` parameter declares it with the
    attribute ``accepts_key = True``.

    Args:
        initializer: An initializer object or a callable ``(shape, dtype)``.
        shape: Shape tuple of the value.
        dtype: Its dtype.
        key: A ``jax.random.key`` (ignored by a seeded initializer).

    Returns:
        The initial array.

    Example:
        >>> call_initializer(lambda shape, dtype: jnp.ones(shape, dtype), (2,), "float32",
        ...                  jax.random.key(0))
        Array([1., 1.], dtype=float32)
    """
    if getattr(initializer, "seed", None) is not None:
        key = None
    if getattr(initializer, "accepts_key", False):
        return initializer(shape, dtype, key=key)
    try:
        params = inspect.signature(initializer).parameters
    except (TypeError, ValueError):
        params = {}
    if "key" in params:
        return initializer(shape, dtype=dtype, key=key)  # key=None: the seed decides
    if "dtype" in params or len(params) >= 2 or any(
        p.kind == p.VAR_KEYWORD for p in params.values()
    ):
        return initializer(shape, dtype=dtype)
    return initializer(shape)


def initial_value(initializer, shape, dtype, path, key):
    """The value ``initializer`` gives a weight of ``shape`` and ``dtype`` at ``path``."""
    value = jnp.asarray(call_initializer(initializer, shape, dtype, key), dtype=dtype)
    if value.shape != shape:
        raise ShapeError(
            f"Initializer of weight '{path}' returned shape {value.shape}, "
            f"expected {shape}. Received: initializer={initializer!r}."
        )
    return value


class Lent:
    """What a weight holds while a running computation (``fit``) owns its array.

    ``fit`` hands the weights' own buffers to its donated step instead of
    copying them, and leaves this mark in their place: any read of such a
    weight (``value``, ``numpy()``, ``layer.params``, saving) asks ``source``
    for a copy of the current value, ``source.read(variable)``.  ``source.lock``
    (a re-entrant lock) keeps the computation from advancing while held, see
    :func:`holding`.

    Args:
        source: The lender: ``read(variable)`` gives a copy of the current
            value, ``lock`` guards its steps.

    Example:
        >>> import threading
        >>> class Source:
        ...     lock = threading.RLock()
        ...     def read(self, variable):
        ...         return jnp.full(variable.shape, 7.0)
        >>> weight = Variable(name="w", shape=(2,), dtype="float32",
        ...                   initializer=jl.initializers.Zeros())
        >>> lend([weight], Source())
        >>> weight.numpy().tolist()
        [7.0, 7.0]
        >>> give_back([weight], [jnp.ones(2)])
        >>> weight.numpy().tolist()
        [1.0, 1.0]
    """

    __slots__ = ("source",)

    def __init__(self, source):
        self.source = source


# How many weights are lent now, process-wide: the eager path's one check.  Models
# training in several threads change it together, so under a lock.
_lent_count = [0]
_lent_count_lock = threading.Lock()


def lending():
    """Whether any weight is lent to a running computation (see :class:`Lent`).

    Example:
        >>> lending()
        False
    """
    return _lent_count[0] > 0


def stored_values(variables):
    """The arrays ``variables`` hold now, as a new list (``None`` where not made yet, a
    :class:`Lent` mark where lent): no copy, no read through a scope or a lender.

    Args:
        variables: Weight handles.

    Example:
        >>> weight = Variable(name="w", shape=(2,), dtype="float32",
        ...                   initializer=jl.initializers.Ones())
        >>> stored_values([weight])
        [None]
        >>> _ = weight.materialize()
        >>> stored_values([weight])
        [Array([1., 1.], dtype=float32)]
    """
    return [var._value for var in variables]


def lend(variables, source):
    """Marks ``variables`` as lent to ``source`` (their arrays now belong to it).

    Args:
        variables: Weight handles whose arrays ``source`` now holds.
        source: The lender (see :class:`Lent`).

    Example:
        >>> import threading
        >>> class Source:
        ...     lock = threading.RLock()
        ...     def read(self, variable):
        ...         return jnp.zeros(variable.shape)
        >>> weight = Variable(name="w", shape=(1,), dtype="float32",
        ...                   initializer=jl.initializers.Ones())
        >>> lend([weight], Source())
        >>> lending(), weight.numpy().tolist()
        (True, [0.0])
        >>> give_back([weight], [jnp.full(1, 5.0)])
        >>> lending(), weight.numpy().tolist()
        (False, [5.0])
    """
    mark = Lent(source)
    for var in variables:
        var._value = mark
    with _lent_count_lock:
        _lent_count[0] += len(variables)


def give_back(variables, values):
    """Ends a :func:`lend`: each weight gets its array from ``values``, without a copy.

    A weight assigned while lent gets the array given back too, as a weight
    assigned during a ``fit`` epoch always did (the epoch's result wins).

    Args:
        variables: The weights :func:`lend` marked, in the same order.
        values: One array per weight (checked and placed as ``assign`` does).

    Example:
        >>> weight = Variable(name="w", shape=(2,), dtype="float32",
        ...                   initializer=jl.initializers.Zeros())
        >>> lend([weight], None)
        >>> give_back([weight], [jnp.ones(2)])
        >>> weight.numpy().tolist()
        [1.0, 1.0]
    """
    for var, value in zip(variables, values):
        var._value = value  # no longer lent; assign checks and places it as usual
        var.assign(value)
    with _lent_count_lock:
        _lent_count[0] -= len(variables)


@contextlib.contextmanager
def holding(variables):
    """Reads of ``variables`` inside the block see one step of any computation they are lent to.

    Without it, another thread reading several lent weights one by one could
    get some before and some after a step.  A no-op when nothing is lent.

    Args:
        variables: Weight handles (an iterable, read only when something is lent).

    Example:
        >>> weights = [Variable(name=n, shape=(1,), dtype="float32",
        ...                     initializer=jl.initializers.Ones()) for n in "ab"]
        >>> with holding(weights):
        ...     [w.numpy().tolist() for w in weights]
        [[1.0], [1.0]]
    """
    if not _lent_count[0]:
        yield
        return
    with contextlib.ExitStack() as stack:
        seen = set()
        for var in variables:
            value = var._value
            if value.__class__ is Lent and id(value.source) not in seen:
                seen.add(id(value.source))
                stack.enter_context(value.source.lock)
        yield


class Variable:
    """A named weight of a layer: ``name``, ``path``, ``shape``, ``dtype``, ``trainable``.

    Created by :meth:`Layer.add_weight`.  ``value`` is the current array (the
    scope's binding inside ``apply``, the facade's own value otherwise),
    ``numpy()`` a NumPy copy, and ``assign(v)`` replaces it (inside ``call``,
    only non-trainable weights may be assigned: the new value becomes state).

    Args:
        name: The weight's name (``"kernel"``).
        shape: Shape tuple.
        dtype: Its dtype.
        initializer: Initializer object or callable, called on first use.
        trainable: Whether it lives in ``params`` (else in ``state``).
        regularizer: Optional penalty on the value, added to the losses.
        constraint: Optional projection applied after each optimizer update.
        owner: The layer declaring it (kept by weak reference).
        init_key: Optional key of its initial value.
        autocast: Whether a layer's call reads it in the compute dtype.
        auto_named: Whether the name was chosen automatically (then the
            attribute it is assigned to renames it).

    Example:
        >>> weight = Variable(name="w", shape=(2,), dtype="float32",
        ...                   initializer=jl.initializers.Ones())
        >>> weight.numpy().tolist()
        [1.0, 1.0]
        >>> _ = weight.assign(jnp.array([3.0, 4.0]))
        >>> weight.numpy().tolist(), weight.trainable
        ([3.0, 4.0], True)
    """

    def __init__(
        self,
        *,
        name,
        shape,
        dtype,
        initializer,
        trainable=True,
        regularizer=None,
        constraint=None,
        owner=None,
        init_key=None,
        autocast=True,
        auto_named=False,
    ):
        self.name = name
        self._shape = tuple(int(d) for d in shape)
        self._dtype = jnp.dtype(dtype)
        self.initializer = initializer
        # Which tree the weight lives in (params or state) is fixed at creation.
        self._in_params = bool(trainable)
        self._trainable = bool(trainable)
        self.regularizer = regularizer
        self.constraint = constraint
        self.autocast = autocast
        self._owner = weakref.ref(owner) if owner is not None else None
        self._init_key = init_key
        self._auto_named = auto_named
        self._value = None
        # As in Keras, the distribution in effect when a weight is declared decides
        # its placement, even when its value is first made outside that scope.
        self._distribution = distribution_lib.distribution()
        self._sharding = None

    # --- identity -----------------------------------------------------------------
    @property
    def owner(self):
        return self._owner() if self._owner is not None else None

    @property
    def path(self):
        """``layer_path/name``: the weight's key in params/state trees and saved files."""
        owner = self.owner
        if owner is None:
            return self.name
        return f"{owner.path}/{self.name}"

    @property
    def shape(self):
        return self._shape

    @property
    def dtype(self):
        return self._dtype

    @property
    def ndim(self):
        return len(self._shape)

    @property
    def size(self):
        return int(np.prod(self._shape, dtype=np.int64))

    @property
    def trainable(self):
        return self._trainable

    @property
    def collection(self):
        """``"params"`` or ``"state"``: the tree this weight lives in, fixed at creation.

        ``trainable`` may change later (freezing); the collection never does, so
        tree structures, saved files and jit caches stay stable.
        """
        return "params" if self._in_params else "state"

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)

    # --- values -------------------------------------------------------------------
    def initial_value(self, key):
        """A fresh value from the initializer and ``key`` (pure; jittable)."""
        return initial_value(self.initializer, self._shape, self._dtype, self.path, key)

    def creation_sharding(self):
        """The ``NamedSharding`` this weight's value is made with, or ``None``.

        Given by the distribution in effect when the weight was declared (else
        the one in effect now): its ``LayoutMap`` rule for ``path``.
        """
        dist = self._distribution or distribution_lib.distribution()
        return None if dist is None else dist.variable_sharding(self.path, self._shape)

    def materialize(self):
        """The facade's stored array, created from the initializer on first use.

        While a running ``fit`` holds the array (:class:`Lent`), a copy of its
        current value.
        """
        value = self._value
        if value is None:
            materialize_all([self])
            return self._value
        if value.__class__ is Lent:
            return value.source.read(self)
        return value

    @property
    def value(self):
        scope = scope_lib.current()
        if scope is not None and scope.binds(self):
            return scope.read(self)
        return self.materialize()

    def numpy(self):
        return multihost.to_host_array(self.value)

    def assign(self, value):
        """Replaces the value; shape must match, dtype is cast to the weight's."""
        scope = scope_lib.current()
        if scope is not None and scope.binds(self):
            scope.write(self, value)
            return self
        # An array of the weight's dtype (fit's results, every epoch) goes in as
        # it is: a conversion would cost a dispatch per weight.
        if not (isinstance(value, jax.Array) and value.dtype == self._dtype
                and not value.weak_type):
            value = to_device_array(value, self._dtype)
        if tuple(value.shape) != self._shape:
            raise ShapeError(
                f"Cannot assign to weight '{self.path}' of shape {self._shape}. "
                f"Received: value.shape={tuple(value.shape)}."
            )
        if isinstance(value, jax.core.Tracer):
            raise StateError(
                f"Cannot assign a traced value to weight '{self.path}' outside apply. "
                "Inside jax.jit use the pure API: new params/state come back from "
                "layer.apply(...); assign them after the jitted function returns with "
                "layer.set_params(params, state)."
            )
        if value.dtype != self._dtype or value.weak_type:
            value = value.astype(self._dtype)
        # A weight keeps the placement it was made (or declared) with, Keras's
        # variable layout: set_weights of host arrays, or loading a file before
        # the first read, does not gather it onto one device.
        if self._value is None and self._sharding is None:
            self._sharding = self.creation_sharding()
        if self._sharding is not None and not value.sharding.is_equivalent_to(
                self._sharding, value.ndim):
            value = jax.device_put(value, self._sharding)
        self._value = value
        return self

    def assign_add(self, delta):
        return self.assign(self.value + delta)

    def assign_sub(self, delta):
        return self.assign(self.value - delta)

    # --- array protocol: a Variable acts as its current value, as in Keras -------
    # Outside ``call`` a Variable stands for its array: NumPy converts it through
    # ``__array__``, operators compute on ``value``, and JAX sees it as a pytree
    # node with one leaf (its value, see ``_flatten`` below).  Current JAX refuses
    # ``__jax_array__`` objects as jit arguments, so the pytree registration is what
    # lets ``jax.jit(f)(layer.trainable_variables)``, ``jnp.sum(v)`` and
    # ``jax.device_put(v)`` accept a Variable; what comes back is arrays.
    __hash__ = object.__hash__  # identity, although ``==`` compares elementwise

    def __init_subclass__(cls, **kwargs):
        # JAX registers pytree types one by one: a subclass (an optimizer's state
        # handle) must be accepted by jit as its base is.
        super().__init_subclass__(**kwargs)
        jax.tree_util.register_pytree_node(cls, _flatten, _unflatten)

    def __array__(self, dtype=None, copy=None):
        out = multihost.to_host_array(self.value)
        return out.astype(dtype) if dtype is not None else out

    def __jax_array__(self):
        return self.value

    def __len__(self):
        return self._shape[0]

    def __getitem__(self, idx):
        return self.value[idx]

    def __bool__(self):
        return bool(self.value)

    def __int__(self):
        return int(self.value)

    def __float__(self):
        return float(self.value)

    def __index__(self):
        return operator.index(self.value)

    def __round__(self, ndigits=None):
        return jnp.round(self.value, ndigits or 0)

    def __repr__(self):
        state = "" if self._value is not None else " (not materialized)"
        return (
            f"<Variable path={self.path}, shape={self._shape}, dtype={self._dtype.name}, "
            f"trainable={self._trainable}{state}>"
        )


def _unary(op):
    def method(self):
        return op(self.value)
    return method


def _binary(op, reflected=False):
    if reflected:
        def method(self, other):
            return op(_unwrap(other), self.value)
    else:
        def method(self, other):
            return op(self.value, _unwrap(other))
    return method


def _unwrap(x):
    return x.value if isinstance(x, Variable) else x


for _name, _op in (("neg", operator.neg), ("pos", operator.pos), ("abs", operator.abs),
                   ("invert", operator.invert)):
    setattr(Variable, f"__{_name}__", _unary(_op))
for _name, _op in (("add", operator.add), ("sub", operator.sub), ("mul", operator.mul),
                   ("truediv", operator.truediv), ("floordiv", operator.floordiv),
                   ("mod", operator.mod), ("pow", operator.pow), ("matmul", operator.matmul),
                   ("and", operator.and_), ("or", operator.or_), ("xor", operator.xor)):
    setattr(Variable, f"__{_name}__", _binary(_op))
    setattr(Variable, f"__r{_name}__", _binary(_op, reflected=True))
for _name, _op in (("eq", operator.eq), ("ne", operator.ne), ("lt", operator.lt),
                   ("le", operator.le), ("gt", operator.gt), ("ge", operator.ge)):
    setattr(Variable, f"__{_name}__", _binary(_op))
del _name, _op


def _flatten(var):
    return (var.value,), None


def _unflatten(_, children):
    # A rebuilt node is its leaf: inside ``jax.jit(f)(variables)`` the function
    # sees arrays (tracers), and ``jax.device_put``/``jax.grad`` return arrays.
    return children[0]


jax.tree_util.register_pytree_node(Variable, _flatten, _unflatten)


def materialize_all(variables):
    """Creates every not-yet-created stored value of ``variables`` in ONE compiled call.

    Creating values one by one would compile each initializer for each shape;
    a model with many layers would spend seconds per layer doing that. Under a
    distribution the call's ``out_shardings`` place each value by its layout
    as it is made: no full copy lands on one device first.

    Args:
        variables: Weight handles; those already holding a value are skipped.

    Example:
        >>> weights = [Variable(name=n, shape=(2,), dtype="float32", initializer=init)
        ...            for n, init in (("a", jl.initializers.Zeros()),
        ...                            ("b", jl.initializers.Ones()))]
        >>> materialize_all(weights)
        >>> [w.numpy().tolist() for w in weights]
        [[0.0, 0.0], [1.0, 1.0]]
    """
    pending = [v for v in variables if v._value is None]
    shardings = [v.creation_sharding() for v in pending]
    placed = [(v, s) for v, s in zip(pending, shardings) if s is not None]
    local = [v for v, s in zip(pending, shardings) if s is None]
    if len(local) == 1:
        # Concrete even when first read inside someone's jit trace.
        with jax.ensure_compile_time_eval():
            local[0]._value = local[0].initial_value(local[0]._init_key)
    elif local:
        _make(local, None)
    if placed:
        _make([v for v, _ in placed], [s for _, s in placed])


# Compiled initializer programs by what they compute (initializer configs,
# shapes, dtypes, placements): building the same architecture again, a common
# pattern in tests, sweeps and benchmarks, compiles nothing.  Only jaxlayers'
# own initializers qualify (their values depend on the config and key alone).
_MAKE_CACHE = {}
_MAKE_CACHE_SIZE = 32


# Up to this many values in total, initializers compile without LLVM's
# optimisations on CPU: the random-number generator compiles about 5x faster
# that way and runs about 20x slower, so below ~4M values (about 0.1 s of
# running) the compile time saved dominates.  Larger models get the
# optimized program, which runs once over many values.
_FAST_COMPILE_MAX_VALUES = 2**22


def _init_compiler_options(pending):
    if jax.default_backend() != "cpu":
        return None
    if sum(v.size for v in pending) > _FAST_COMPILE_MAX_VALUES:
        return None
    return {"xla_backend_optimization_level": 0}


def _initializer_signature(initializer):
    """A hashable description of a built-in initializer's computation, or ``None``."""
    if type(initializer).__module__ != "jaxlayers.initializers":
        return None
    try:
        config = json.dumps(initializer.get_config(), sort_keys=True)
    except (AttributeError, TypeError, ValueError):  # arrays or objects in the config
        return None
    return type(initializer).__qualname__, config


def _make(pending, shardings):
    keys = [v._init_key for v in pending]
    signature = [_initializer_signature(v.initializer) for v in pending]
    cache_key = None
    if all(sig is not None for sig in signature):
        cache_key = (tuple((sig, v._shape, str(v._dtype), str(getattr(k, "dtype", k)))
                           for sig, v, k in zip(signature, pending, keys)),
                     None if shardings is None else tuple(shardings))
    compiled = _MAKE_CACHE.get(cache_key) if cache_key is not None else None
    if compiled is None:
        specs = [(v.initializer, v._shape, v._dtype, v.path) for v in pending]

        def make(keys):
            return [initial_value(*spec, k) for spec, k in zip(specs, keys)]

        # Lowered ahead of time, outside any compile-time evaluation: the
        # key-independent parts of an initializer (a random counter the size
        # of the weight) stay in the program instead of being folded into
        # large constants, which XLA compiles far more slowly.  The compiled
        # call returns concrete arrays even inside someone else's trace.
        compiled = jax.jit(make, out_shardings=shardings).lower(keys).compile(
            compiler_options=_init_compiler_options(pending))
        if cache_key is not None:
            if len(_MAKE_CACHE) >= _MAKE_CACHE_SIZE:
                _MAKE_CACHE.pop(next(iter(_MAKE_CACHE)))
            _MAKE_CACHE[cache_key] = compiled
    values = compiled(keys)
    for v, value in zip(pending, values):
        v._value = value
        v._sharding = None if shardings is None else value.sharding


__all__ = ["Variable", "Lent", "call_initializer", "materialize_all", "lend", "give_back",
           "lending", "holding", "stored_values"]
