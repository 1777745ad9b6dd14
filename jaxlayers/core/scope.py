"""The scope that turns any Layer into a pure ``init``/``apply`` pair.

While a scope is active, every weight handle is bound to an array supplied by
the caller (``apply``), to the facade's stored value (an eager facade call,
where a weight created during the call is bound when first read), or to a
placeholder (the structure pass that builds a layer from input shapes).  Reads
of ``self.kernel`` inside ``call`` return the bound array; writes to
non-trainable weights are recorded as new state; ``add_loss`` values and
random-key requests are collected here.  Nothing is global but the stack of
active scopes, one per thread.

A scope also carries one frame per running ``call``: a composite layer declares
the output mask of its call there (``Layer.set_output_mask``), so masks travel
with the call that made them, never in a table keyed by ``id()``.
"""

import contextlib
import threading
import zlib

import jax
import jax.numpy as jnp

from jaxlayers.errors import DTypeError, KeyRequiredError, StateError

_local = threading.local()
# A call frame whose layer declared no output mask (``None`` is a declared mask).
NO_MASK = object()


def _stack():
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


def current():
    """The innermost active scope, or ``None`` outside init/apply/facade calls.

    Example:
        >>> print(current())
        None
    """
    stack = _stack()
    return stack[-1] if stack else None


def stable_hash(text):
    """A hash of ``text`` that is the same in every process (unlike ``hash``).

    Args:
        text: A string (a layer path).

    Example:
        >>> stable_hash('dense/kernel') == stable_hash('dense/kernel')
        True
        >>> stable_hash('a') != stable_hash('b')
        True
    """
    return zlib.crc32(text.encode("utf-8")) & 0x7FFFFFFF


class Scope:
    """Bindings of weight handles to arrays for one init/apply/facade call.

    Args:
        bindings: ``{id(variable): array}`` for every bound weight.
        variables: ``{id(variable): variable}`` (keeps handles alive, gives order).
        training: The static training flag passed to nested ``call``s.
        key: A ``jax.random.key`` or ``None``.
        layer_paths: ``{id(layer): path}`` used to fold keys per layer.
        structure: ``True`` for the shape-only pass that builds layers; reads of
            unbound weights then return zeros and nothing is kept.
        resolve: Optional ``variable -> array or None`` for weights missing from
            ``bindings``: the eager facade binds a weight created during the call
            (a sublayer built when the call reaches it) to its stored value.
        refresh_paths: Optional callable returning fresh ``layer_paths`` when a
            layer created during the call asks for a key.
        key_source: Optional callable giving the key when ``key`` is ``None``
            and a draw asks for one: the eager facade makes its key only then.

    Example:
        Inside a scope a layer's weights read as the bound arrays:

        >>> layer = jl.layers.Dense(2)
        >>> layer.build((None, 3))
        >>> zeros = {id(v): jnp.zeros(v.shape) for v in layer.weights}
        >>> with Scope(zeros, {id(v): v for v in layer.weights}) as scope:
        ...     current() is scope, float(jnp.sum(layer.kernel))
        (True, 0.0)
    """

    def __init__(self, bindings=None, variables=None, *, training=False, key=None,
                 layer_paths=None, structure=False, resolve=None, refresh_paths=None,
                 key_source=None):
        self.bindings = dict(bindings or {})
        self.variables = dict(variables or {})
        self.writes = {}
        self.training = bool(training)
        self.key = key
        self.layer_paths = dict(layer_paths or {})
        self.structure = structure
        self._resolve = resolve
        self._refresh_paths = refresh_paths
        self._key_source = key_source
        self.counters = {}
        self.losses = []
        self.metrics = []
        self._calls = []

    # --- context ----------------------------------------------------------------
    def __enter__(self):
        _stack().append(self)
        return self

    def __exit__(self, *exc):
        popped = _stack().pop()
        assert popped is self

    def child(self, bindings, variables, *, key=None, key_source=None, layer_paths=None,
              counters=None):
        """A scope for a pure sub-computation of this call (a ``jax.checkpoint`` or scan body).

        The body's values never reach this scope directly (they would leak tracers out of
        the transform); the caller reads the child's writes, losses and mask and records
        them here.  A weight missing from ``bindings`` resolves to this scope's value.

        Args:
            bindings: ``{id(variable): array}`` bound in the body.
            variables: ``{id(variable): variable}`` for those bindings.
            key: The body's key; ``None`` with no ``key_source`` shares this scope's key,
                made only when the body draws.
            key_source: Optional callable giving the body's key on its first draw.
            layer_paths: ``{id(layer): path}`` for the body; default this scope's.
            counters: The per-path draw counters; default this scope's own dict, so a
                draw in the body advances them exactly as the same draw here would.
        """
        parent = self

        def resolve(var):
            return parent.read(var) if parent.binds(var) else None

        def parent_key():
            if parent.key is None and parent.structure:
                return jax.random.key(0)
            if parent.key is None and parent._key_source is not None:
                parent.key = parent._key_source()
            return parent.key

        if key is None and key_source is None:
            key_source = parent_key
        scope = Scope(bindings, variables, training=self.training, key=key,
                      layer_paths=self.layer_paths if layer_paths is None else layer_paths,
                      resolve=resolve, refresh_paths=self._refresh_paths,
                      key_source=key_source)
        scope.counters = self.counters if counters is None else counters
        return scope

    # --- weights ----------------------------------------------------------------
    def binds(self, var):
        if self.structure or id(var) in self.bindings:
            return True
        if self._resolve is None:
            return False
        value = self._resolve(var)
        if value is None:
            return False
        self.bindings[id(var)] = value
        self.variables.setdefault(id(var), var)
        return True

    def read(self, var, compute_dtype=None):
        vid = id(var)
        if vid in self.writes:
            value = self.writes[vid]
        elif vid in self.bindings:
            value = self.bindings[vid]
        else:
            # Structure pass: a weight created during this pass has no value yet.
            value = jnp.zeros(var.shape, var.dtype)
        if (compute_dtype is not None and var.autocast and value.dtype != compute_dtype
                and jnp.issubdtype(value.dtype, jnp.floating)
                and jnp.issubdtype(compute_dtype, jnp.floating)):
            value = value.astype(compute_dtype)
        return value

    def write(self, var, value):
        if var._in_params and not self.structure:
            raise StateError(
                f"Cannot write to trainable weight '{var.path}' inside call: trainable "
                "weights are params and only change through the optimizer. Declare it "
                "with add_weight(..., trainable=False) if it is state (like "
                "BatchNormalization's moving mean)."
            )
        value = jnp.asarray(value)
        if tuple(value.shape) != var.shape:
            raise StateError(
                f"Cannot assign to weight '{var.path}' of shape {var.shape}. "
                f"Received: value.shape={tuple(value.shape)}."
            )
        if jnp.iscomplexobj(value) and not jnp.issubdtype(var.dtype, jnp.complexfloating):
            raise DTypeError(
                f"Cannot assign a complex value to the real weight '{var.path}' (dtype "
                f"{var.dtype}): its imaginary part would be lost. Received: "
                f"value.dtype={value.dtype}."
            )
        self.writes[id(var)] = value.astype(var.dtype)
        self.variables.setdefault(id(var), var)

    def current_value(self, var):
        vid = id(var)
        if vid in self.writes:
            return self.writes[vid]
        return self.bindings[vid]

    @contextlib.contextmanager
    def override(self, var, value):
        """Within the block, reads of ``var`` return ``value`` (a reparametrized weight).

        A wrapper layer uses it to hand its wrapped layer a transformed weight
        (``SpectralNormalization`` passes ``kernel / sigma``); the binding the
        caller gave is restored afterwards.
        """
        vid = id(var)
        had, old = vid in self.bindings, self.bindings.get(vid)
        self.bindings[vid] = value
        self.variables.setdefault(vid, var)
        try:
            yield value
        finally:
            if had:
                self.bindings[vid] = old
            else:
                del self.bindings[vid]

    # --- call frames: output masks -----------------------------------------------
    def push_call(self, layer):
        self._calls.append([layer, NO_MASK])

    def pop_call(self):
        """Ends the innermost call; returns the mask it declared, or ``NO_MASK``."""
        return self._calls.pop()[1]

    def set_output_mask(self, layer, mask):
        """Declares ``mask`` as the output mask of ``layer``'s running call."""
        if not self._calls or self._calls[-1][0] is not layer:
            raise StateError(
                f"{type(layer).__name__} '{layer.name}': set_output_mask declares the mask "
                "of the layer's own running call, so call it inside that layer's call()."
            )
        self._calls[-1][1] = mask

    # --- losses, metrics, keys --------------------------------------------------
    def add_loss(self, layer, value):
        self.losses.append((layer, value))

    def add_metric(self, layer, name, value):
        self.metrics.append((layer, name, value))

    def path_of(self, layer):
        if id(layer) not in self.layer_paths and self._refresh_paths is not None:
            self.layer_paths = dict(self._refresh_paths())
        return self.layer_paths.get(id(layer), layer.name)

    def running_layer(self):
        """The layer whose ``call`` is running innermost, or ``None`` between calls."""
        return self._calls[-1][0] if self._calls else None

    def next_key(self, layer=None):
        """A key for ``layer``: the call key folded with its path hash and a counter.

        Args:
            layer: The layer the draw belongs to; ``None`` means the layer whose
                ``call`` is running (a ``jl.random`` op with a ``SeedGenerator``
                draws for the layer that owns it this way).
        """
        if layer is None:
            layer = self.running_layer()
        path = "" if layer is None else self.path_of(layer)
        if self.key is None and self._key_source is not None and not self.structure:
            self.key = self._key_source()
        if self.key is None:
            if self.structure:
                return jax.random.key(0)
            who = ("A random op" if layer is None
                   else f"{type(layer).__name__} '{layer.name}'")
            why = ("is random when training=True" if self.training
                   else "draws random numbers")
            raise KeyRequiredError(
                f"{who} {why} and needs a key. Pass one to apply: "
                f"layer.apply(params, state, x, training={self.training}, "
                f"key=jax.random.key(0))."
            )
        count = self.counters.get(path, 0)
        self.counters[path] = count + 1
        key = jax.random.fold_in(self.key, stable_hash(path))
        return jax.random.fold_in(key, count)


__all__ = ["Scope", "current", "stable_hash"]
