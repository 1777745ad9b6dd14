"""``JaxLayer``: any pure JAX ``(init_fn, call_fn)`` pair as a jaxlayers Layer.

The wrapped pytrees of params and state become ordinary weights: one
``add_weight`` per array leaf, named after the leaf's path in the pytree
(``params['0']['w']`` -> ``params_0_w``), trainable for params and
non-trainable for state.  Inside ``call`` the pytrees are rebuilt from the
bound weights and handed to ``call_fn``, so ``init``/``apply``/``fit``/``jit``
see a normal layer.

Initialization.  ``init(key, x)`` gives every weight its own key (folded with
the weight's path), as for any layer; for a wrapped ``init_fn`` that means each
leaf is taken from ``init_fn`` called with that leaf's key.  Every leaf thus
has exactly the distribution ``init_fn`` gives it, and under ``jit`` XLA drops
the unused leaves of each call.  Pass ``seed=`` to instead draw all leaves from
ONE call of ``init_fn`` with ``jax.random.key(seed)`` (identical values on
every init, needed when leaves are initialized jointly).
"""

import inspect

import jax
import jax.numpy as jnp
import numpy as np

from jaxlayers import backend
from jaxlayers.core import args as _args
from jaxlayers.core import tracking
from jaxlayers.core.layer import Layer
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError, ConfigTypeError, ShapeError, StateError
from jaxlayers.layers._weight_values import read_weight
from jaxlayers.layers.interop import _common

_CALL_ARGS = ("params", "state", "rng", "inputs", "training")
_INIT_ARGS = ("rng", "inputs", "training", "input_shape")


def _signature(fn, owner, arg, allowed, required):
    """``(positional_names, keyword_names, has_var_kw)`` of ``fn``, checked by name.

    Arguments are recognised by name, as Keras's JaxLayer does.  Extra
    arguments with a default are left at their default; ``**kwargs`` receives
    ``rng`` in training (the convention of ``jax.example_libraries.stax``).
    """
    try:
        parameters = inspect.signature(fn).parameters
    except (TypeError, ValueError) as e:
        raise ConfigTypeError(
            f"{owner}: cannot read the signature of `{arg}` ({e}). Wrap it in a Python "
            f"function taking arguments named among {list(allowed)}."
        ) from e
    positional, keyword, var_kw, skipped = [], [], False, False
    for p in parameters.values():
        if p.kind == p.VAR_KEYWORD:
            var_kw = True
            continue
        if p.kind == p.VAR_POSITIONAL:
            raise ConfigError(
                f"{owner}: `{arg}` takes *{p.name}; arguments are passed by name, so it "
                f"must name them explicitly, among {list(allowed)}. Received: "
                f"{arg} with signature {inspect.signature(fn)}."
            )
        if p.name not in allowed:
            if p.default is not p.empty:
                skipped = True  # left at its default: later arguments go by keyword
                continue
            raise ConfigError(
                f"{owner}: unsupported argument `{p.name}` in `{arg}`; supported argument "
                f"names are {list(allowed)} (inputs go in ONE argument named `inputs`; "
                f"pack several inputs in a tuple or dict). Received: {arg} with signature "
                f"{inspect.signature(fn)}."
            )
        by_keyword = p.kind == p.KEYWORD_ONLY or (skipped and p.kind == p.POSITIONAL_OR_KEYWORD)
        (keyword if by_keyword else positional).append(p.name)
    names = set(positional) | set(keyword)
    if not names & set(required):
        raise ConfigError(
            f"{owner}: `{arg}` must take an argument named "
            f"{' or '.join('`' + r + '`' for r in required)}. Received: {arg} with "
            f"signature {inspect.signature(fn)}."
        )
    return positional, keyword, var_kw


def _call_by_name(fn, signature, values, extra_kwargs=None):
    positional, keyword, var_kw = signature
    args = [values[name] for name in positional]
    kwargs = {name: values[name] for name in keyword}
    if var_kw and extra_kwargs:
        kwargs.update({k: v for k, v in extra_kwargs.items() if k not in positional})
    return fn(*args, **kwargs)


def _is_shape(x):
    return isinstance(x, (tuple, list)) and all(d is None or isinstance(d, int) for d in x)


def _map_shapes(fn, shapes):
    if _is_shape(shapes):
        return fn(tuple(shapes))
    if isinstance(shapes, dict):
        return {k: _map_shapes(fn, v) for k, v in shapes.items()}
    if isinstance(shapes, (list, tuple)):
        return type(shapes)(_map_shapes(fn, v) for v in shapes)
    raise ShapeError(f"Cannot read an input shape from {shapes!r}.")


def _leaf_dtypes(x):
    """Dtype names of an input structure's arrays, in :func:`_map_shapes` order."""
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return [jnp.dtype(x.dtype).name]
    if isinstance(x, dict):
        return [d for v in x.values() for d in _leaf_dtypes(v)]
    if isinstance(x, (list, tuple)):
        return [d for v in x for d in _leaf_dtypes(v)]
    return [None]


class _LeafInitializer:
    """Initializer of one wrapped leaf: that leaf of ``init_fn``'s result for the key."""

    accepts_key = True

    def __init__(self, layer, which, index):
        self._layer, self._which, self._index = layer, which, index

    @property
    def seed(self):
        return self._layer.seed

    def __call__(self, shape, dtype=None, key=None):
        trees = self._layer._initial_leaves(key)
        return jnp.asarray(trees[self._which][self._index], dtype)

    def get_config(self):
        return {}


@register_builtin("layers")
class JaxLayer(Layer):
    """Wraps a pure JAX function, with its params and state, as a Layer.

    ``call_fn`` and ``init_fn`` follow Keras's ``keras.layers.JaxLayer``
    conventions: arguments are recognised by NAME.

    * ``call_fn(params, state, rng, inputs, training)``: any subset containing
      ``inputs`` (one argument; pack several inputs in a tuple or dict), in any
      order.  With ``state`` it returns ``(outputs, new_state)``, else
      ``outputs``.  ``rng`` is a fresh key from the layer in training and
      ``None`` in inference; ``training`` is a Python bool.  A ``**kwargs``
      catch-all receives ``rng=`` in training (stax's convention).
    * ``init_fn(rng, inputs)`` or ``init_fn(rng, inputs, training)`` returns
      ``params`` or, when ``call_fn`` takes ``state``, ``(params, state)``.
      ``inputs`` are ones with the input's shape (unknown sizes become 1).
      ``init_fn(rng, input_shape)`` returning ``(output_shape, params)`` is a
      stax ``init_fun`` and is recognised as such.

    Stax pairs, Haiku transformed pairs (``hk.transform(f).init/.apply``) and
    hand-written functions therefore wrap with no glue.

    Args:
        call_fn: The forward function (see above).
        init_fn: Creates the params (and state) from a key and example inputs;
            optional when ``params``/``state`` are given.
        params: A pytree of initial trainable params; becomes the layer's
            trainable weights (one per array leaf).  ``init_fn`` is then not called.
        state: A pytree of initial non-trainable state (needs ``call_fn`` to
            take ``state``).
        seed: Optional int: draw all leaves from one ``init_fn`` call with
            ``jax.random.key(seed)`` (the same values on every init).
        native_serialization_platforms: Accepted for Keras config compatibility;
            unused (it only matters for Keras's TensorFlow backend).

    Input shape: whatever ``call_fn`` accepts.  Output shape: what it returns.

    Example:
        >>> def init_fn(rng, inputs):
        ...     return {"w": jax.random.normal(rng, (inputs.shape[-1], 2))}
        >>> def call_fn(params, inputs):
        ...     return inputs @ params["w"]
        >>> layer = jl.layers.JaxLayer(call_fn, init_fn, name="jl")
        >>> params, state = layer.init(jax.random.key(0), jnp.ones((4, 3)))
        >>> jax.tree.map(jnp.shape, params)
        {'jl': {'params_w': (3, 2)}}
    """

    _prefix_names = True

    def __init__(self, call_fn, init_fn=None, params=None, state=None, seed=None,
                 native_serialization_platforms=None, **kwargs):
        super().__init__(**kwargs)
        owner = _args.owner(self)
        _common.check_callable(call_fn, owner, "call_fn")
        _common.check_callable(init_fn, owner, "init_fn", allow_none=True)
        self.call_fn = call_fn
        self.init_fn = init_fn
        self.seed = _args.seed(owner, seed)
        self.native_serialization_platforms = native_serialization_platforms
        self._call_sig = _signature(call_fn, owner, "call_fn", _CALL_ARGS, ("inputs",))
        names = set(self._call_sig[0]) | set(self._call_sig[1])
        self._has_params = "params" in names
        self._has_state = "state" in names
        self._init_sig = None
        if init_fn is not None:
            self._init_sig = _signature(init_fn, owner, "init_fn", _INIT_ARGS,
                                        ("inputs", "input_shape"))
        if init_fn is None and params is None and state is None and (
                self._has_params or self._has_state):
            raise ConfigError(
                f"{owner}: `init_fn`, `params` and `state` cannot all be None when "
                f"`call_fn` takes `params` or `state`: pass init_fn= to create them from "
                f"the first input, or params= (and state=) with initial values."
            )
        if state is not None and not self._has_state:
            raise ConfigError(
                f"{owner}: `state` was given but `call_fn` has no `state` argument. "
                f"Received: call_fn with signature {inspect.signature(call_fn)}."
            )
        self._trees = {"params": None, "state": None}
        self._example = None
        self._input_dtypes = None
        self._init_cache = None
        self._given_spec = {"params": None, "state": None}
        if params is not None or state is not None:
            self._given_spec = {"params": _common.tree_spec(params),
                                "state": _common.tree_spec(state)}
            self._declare({"params": params, "state": state}, fixed=True)
            self.built = True

    @property
    def _owner(self):
        return _args.owner(self)

    # --- weights from pytrees ----------------------------------------------------------
    def _declare(self, trees, fixed):
        """One weight per array leaf of ``trees['params']`` / ``trees['state']``."""
        taken = {v.name for v in tracking.own_weights(self)}
        for which in ("params", "state"):
            tree = trees[which]
            if tree is None:
                continue
            flat, treedef = jax.tree_util.tree_flatten_with_path(tree)
            slots, index = [], 0
            for path, leaf in flat:
                if not _common.is_weight_leaf(leaf):
                    slots.append(("static", leaf))
                    continue
                name = _common.safe_name(self._leaf_parts(which, path), taken)
                if fixed:
                    value = np.array(leaf)
                    initializer = (lambda v: lambda shape, dtype=None: jnp.asarray(v, dtype))(
                        value)
                else:
                    initializer = _LeafInitializer(self, which, index)
                var = self.add_weight(
                    shape=tuple(np.shape(leaf)), name=name,
                    dtype=_common.leaf_dtype(leaf, self.variable_dtype),
                    initializer=initializer, trainable=which == "params")
                slots.append(("weight", var))
                index += 1
            self._trees[which] = (treedef, slots)

    def _leaf_parts(self, which, path):
        """The parts of a leaf's weight name: ``['params', '0', 'w']`` -> ``params_0_w``."""
        return ([which] if self._prefix_names else []) + _common.path_parts(path)

    def _tree(self, which):
        """The wrapped pytree rebuilt from the bound weights (``None`` if absent)."""
        if self._trees[which] is None:
            return None
        treedef, slots = self._trees[which]
        leaves = [item if kind == "static" else read_weight(item, self.compute_dtype)
                  for kind, item in slots]
        return jax.tree_util.tree_unflatten(treedef, leaves)

    def _write_state(self, new_state):
        treedef, slots = self._trees["state"]
        leaves, new_def = jax.tree_util.tree_flatten(new_state)
        if new_def != treedef:
            raise StateError(
                f"{self._owner}: `call_fn` returned a new state whose structure differs "
                f"from the initial state. Expected: {treedef}. Received: {new_def}."
            )
        for (kind, var), value in zip(slots, leaves):
            if kind == "weight":
                var.assign(value)

    @property
    def wrapped_params(self):
        """The facade's current params in ``call_fn``'s own pytree structure."""
        self.check_built("params")
        return self._tree("params")

    @property
    def wrapped_state(self):
        """The facade's current state in ``call_fn``'s own pytree structure (or ``None``)."""
        self.check_built("state")
        return self._tree("state")

    # --- init --------------------------------------------------------------------------
    def _init_call(self, key, example):
        """``(params, state)`` from ``init_fn``; ``example`` holds ShapeDtypeStructs."""
        shapes = jax.tree_util.tree_map(lambda s: tuple(s.shape), example)
        values = {
            "rng": key,
            "inputs": jax.tree_util.tree_map(lambda s: jnp.ones(s.shape, s.dtype), example),
            "training": True,
            "input_shape": shapes,
        }
        result = _call_by_name(self.init_fn, self._init_sig, values)
        if "input_shape" in self._init_sig[0] + self._init_sig[1]:
            # stax: init_fun(rng, input_shape) -> (output_shape, params)
            if not (isinstance(result, tuple) and len(result) == 2):
                raise ConfigTypeError(
                    f"{self._owner}: an `init_fn` taking `input_shape` is a stax init_fun "
                    f"and must return (output_shape, params). Received: {type(result)}.")
            result = result[1]
        return self._split_init_result(result)

    def _split_init_result(self, result):
        if not self._has_state:
            return result, None
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            raise ConfigTypeError(
                f"{self._owner}: `call_fn` takes `state`, so `init_fn` must return "
                f"(params, state). Received: a {type(result).__name__}.")
        return result[0], result[1]

    def _initial_leaves(self, key):
        """``{'params': [array leaves], 'state': [...]}`` from ``init_fn`` and ``key``."""
        cached = key is None
        if cached and self._init_cache is not None:
            return self._init_cache
        if key is None:
            key = (jax.random.key(self.seed) if self.seed is not None
                   else backend.next_eager_key())
        params, state = self._init_call(key, self._example)
        out = {which: [leaf for leaf in jax.tree_util.tree_leaves(tree)
                       if _common.is_weight_leaf(leaf)]
               for which, tree in (("params", params), ("state", state))}
        if cached and not any(isinstance(x, jax.core.Tracer)
                              for x in out["params"] + out["state"]):
            self._init_cache = out
        return out

    def build_from_inputs(self, args, kwargs):
        # build() only receives shapes: remember the first input's dtypes (int ids...).
        if not self.built and args:
            self._input_dtypes = _leaf_dtypes(args[0])
        super().build_from_inputs(args, kwargs)

    def get_build_config(self):
        config = super().get_build_config()
        if config is not None and self._input_dtypes is not None:
            config["input_dtypes"] = list(self._input_dtypes)
        return config

    def build_from_config(self, config):
        if config and config.get("input_dtypes") is not None:
            self._input_dtypes = list(config["input_dtypes"])
        super().build_from_config(config)

    def _example_inputs(self, input_shape):
        """ShapeDtypeStructs like the first input (unknown sizes become 1)."""
        dtypes, count = list(self._input_dtypes or []), [0]

        def spec(shape, use_dtypes):
            i = count[0]
            count[0] += 1
            dtype = dtypes[i] if use_dtypes and i < len(dtypes) and dtypes[i] else \
                self.compute_dtype
            return jax.ShapeDtypeStruct(tuple(1 if d is None else d for d in shape),
                                        jnp.dtype(dtype))

        example = _map_shapes(lambda s: spec(s, True), input_shape)
        if count[0] != len(dtypes):
            example = _map_shapes(lambda s: spec(s, False), input_shape)
        return example

    def build(self, input_shape):
        if self._trees["params"] is not None or self._trees["state"] is not None:
            return
        if not (self._has_params or self._has_state) or self.init_fn is None:
            return
        example = self._example = self._example_inputs(input_shape)
        captured = {}

        def arrays_only(key):
            params, state = self._init_call(key, example)
            captured["trees"] = (params, state)
            return [leaf for leaf in jax.tree_util.tree_leaves((params, state))
                    if _common.is_weight_leaf(leaf)]

        specs = jax.eval_shape(arrays_only, jax.random.key(0))
        spec_iter = iter(specs)
        trees = jax.tree_util.tree_map(
            lambda leaf: next(spec_iter) if _common.is_weight_leaf(leaf) else leaf,
            captured["trees"])
        self._declare({"params": trees[0], "state": trees[1]}, fixed=False)

    # --- call --------------------------------------------------------------------------
    def call(self, inputs, training=False):
        training = bool(training)
        rng = self.next_key() if training and self._wants_rng() else None
        values = {"params": self._tree("params"), "state": self._tree("state"),
                  "rng": rng, "inputs": inputs, "training": training}
        extra = {"rng": rng} if rng is not None else None
        result = _call_by_name(self.call_fn, self._call_sig, values, extra)
        if self._has_state:
            if not (isinstance(result, (tuple, list)) and len(result) == 2):
                raise ConfigTypeError(
                    f"{self._owner}: `call_fn` takes `state`, so it must return "
                    f"(outputs, new_state). Received: a {type(result).__name__}.")
            result, new_state = result
            if self._trees["state"] is not None:
                self._write_state(new_state)
        _common.check_outputs(result, self._owner, "`call_fn`")
        return result

    def _wants_rng(self):
        positional, keyword, var_kw = self._call_sig
        return "rng" in positional or "rng" in keyword or var_kw

    # --- config ------------------------------------------------------------------------
    def get_config(self):
        config = super().get_config()
        config.update({
            "call_fn": _common.serialize_callable(self.call_fn),
            "init_fn": _common.serialize_callable(self.init_fn),
            "params": self._given_spec["params"],
            "state": self._given_spec["state"],
            "seed": self.seed,
            "native_serialization_platforms": self.native_serialization_platforms,
        })
        return config

    @classmethod
    def from_config(cls, config, call_fn=None, init_fn=None, params=None, state=None):
        """Rebuilds the layer; functions are looked up by name, never loaded as code.

        ``call_fn``/``init_fn`` (and ``params``/``state``) passed here override
        the config.  Otherwise functions come from the registry or from
        ``custom_objects``; params given at construction are recreated as zeros
        with the saved structure, for ``load_model``/``set_weights`` to fill.
        """
        config = dict(config)
        owner = f"{cls.__name__} '{config.get('name')}'"
        config["call_fn"] = _common.resolve_callable(config.get("call_fn"), owner,
                                                     "call_fn", call_fn)
        config["init_fn"] = _common.resolve_callable(config.get("init_fn"), owner,
                                                     "init_fn", init_fn)
        config["params"] = params if params is not None else _common.tree_from_spec(
            config.get("params"))
        config["state"] = state if state is not None else _common.tree_from_spec(
            config.get("state"))
        return super().from_config(config)


__all__ = ["JaxLayer"]
