"""``FlaxLayer``: a Flax module (Linen, or NNX) as a jaxlayers Layer.

Linen: the module's variables become weights: the ``"params"`` collection
trainable, every other collection (``"batch_stats"``, ...) non-trainable state,
named by their path (``params/Dense_0/kernel`` -> ``params_Dense_0_kernel``).
The forward pass is ``module.apply(variables, inputs, rngs=..., mutable=<all
but params>)``; the updated collections become the new state.

NNX: the module is split (``nnx.split``) into its ``nnx.Param`` state
(trainable), its RNG state (kept out of the weights; in training it is
replaced by keys derived from the layer's key) and the rest (non-trainable,
e.g. BatchNorm statistics); each call merges them back, sets
``module.train()``/``module.eval()`` and runs it.

``training`` reaches the module through whichever of ``training``, ``train``
or ``deterministic`` (negated) its method takes.  In training the layer needs
a key; Flax gets ``rngs={"dropout": ..., "params": ...}`` derived from it
(Flax falls back to ``"params"`` for any other stream name).
"""

import dataclasses
import inspect

import jax

from jaxlayers.core.config import is_plain
from jaxlayers.core.layer import Layer
from jaxlayers.core.serialization import get_registered_name, register_builtin
from jaxlayers.errors import ConfigError, ConfigTypeError, SerializationError
from jaxlayers.layers.interop import _common
from jaxlayers.layers.interop.jax_layer import JaxLayer

_FLAGS = ("training", "train", "deterministic")


def _flax():
    return _common.require("flax", "FlaxLayer", "flax")


def _flag_kwargs(flag, training):
    if flag is None:
        return {}
    return {flag: (not training) if flag == "deterministic" else bool(training)}


def _find_flag(fn, skip_first=False):
    try:
        params = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return None
    if skip_first:
        params = params[1:]
    return next((name for name in _FLAGS if name in params), None)


def _unfreeze(tree):
    from flax.core import unfreeze

    return unfreeze(tree) if tree is not None else None


def _split_variables(variables):
    """Linen variables -> ``(params, state)``, Keras's split: params keep their key."""
    if variables is None:
        return None, None
    variables = _unfreeze(variables)
    params = {"params": variables["params"]} if "params" in variables else {}
    state = {k: v for k, v in variables.items() if k != "params"}
    return params, state


@register_builtin("layers")
class FlaxLayer(JaxLayer):
    """Wraps a ``flax.linen.Module`` (or a ``flax.nnx.Module``) as a Layer.

    Args:
        module: A Linen module (unbound), or an NNX module.  An NNX module is
            already initialized: its current values are the layer's initial
            weights (``init`` returns them whatever the key).
        method: Linen only: the method to run, as a name (``"encode"``), a
            bound method of ``module``, or a function ``fn(module, inputs, ...)``;
            default ``__call__``.
        variables: Linen only: the variables dict ``module.init`` returns
            (``{"params": ..., "batch_stats": ...}``).  Default: created by
            ``module.init`` from the first input.

    The method takes ONE ``inputs`` argument (pack several in a tuple or dict)
    and optionally a flag named ``training``, ``train`` or ``deterministic``.

    Saving: the module is not code in the config.  ``get_config`` records its
    class name and, when they are plain values, its dataclass fields; at load
    the class (or an instance) must be known: registered with
    ``jl.saving.register_serializable``, or passed as
    ``custom_objects={"<layer name>": instance}`` or ``{"<class name>": class}``
    (the qualified ``"pkg.mod.Class"`` avoids shadowing a jaxlayers class of
    the same name, e.g. ``Dense``), or ``from_config(config, module=...)``.

    Example:
        >>> import flax.linen as nn
        >>> layer = jl.layers.FlaxLayer(nn.Dense(2), name="fl")
        >>> params, state = layer.init(jax.random.key(0), jnp.ones((4, 3)))
        >>> jax.tree.map(jnp.shape, params)
        {'fl': {'params_bias': (2,), 'params_kernel': (3, 2)}}
    """

    _prefix_names = False

    def __init__(self, module, method=None, variables=None, **kwargs):
        flax = _flax()
        from flax import linen as nn

        nnx = getattr(flax, "nnx", None)
        display = f"FlaxLayer '{kwargs.get('name') or 'flax_layer'}'"
        self.module = module
        self.method = method
        self._nnx = nnx is not None and isinstance(module, nnx.Module)
        if self._nnx:
            if method is not None or variables is not None:
                raise ConfigError(
                    f"{display}: `method` and `variables` apply to Linen modules only; an "
                    f"NNX module carries its own state. Received: method={method!r}, "
                    f"variables={'given' if variables is not None else None}.")
            self._variables_spec = None
            call_fn, params, state = self._nnx_setup(nnx, module)
            super().__init__(call_fn=call_fn, params=params, state=state, **kwargs)
            return
        if not isinstance(module, nn.Module):
            raise ConfigTypeError(
                f"{display}: `module` must be a flax.linen.Module or a flax.nnx.Module. "
                f"Received: module={module!r:.80} (type {type(module).__name__}).")
        if isinstance(method, str):
            if not callable(getattr(module, method, None)):
                raise ConfigError(f"{display}: the module has no method {method!r}. "
                                  f"Received: method={method!r}.")
            target, skip = getattr(module, method), False
        elif method is None:
            target, skip = module.__call__, False
        else:
            _common.check_callable(method, display, "method")
            target = method
            skip = not (hasattr(method, "__self__") and method.__self__ is module)
        self._flag = _find_flag(target, skip_first=skip)
        apply_mutable = nn.DenyList(["params"])

        def call_fn(params, state, rng, inputs, training):
            variables = {**(params or {}), **(state or {})}
            # Flax wants named streams; it falls back to "params" for other names.
            rngs = dict(zip(("dropout", "params"), jax.random.split(rng))) if rng is not None \
                else {}
            out, new_vars = self.module.apply(
                variables, inputs, rngs=rngs, method=self.method,
                mutable=apply_mutable, **_flag_kwargs(self._flag, training))
            new_vars = _unfreeze(new_vars)
            return out, {k: new_vars.get(k, v) for k, v in (state or {}).items()}

        def init_fn(rng, inputs):
            rng_params, rng_dropout = jax.random.split(rng)
            variables = self.module.init(
                {"params": rng_params, "dropout": rng_dropout}, inputs, method=self.method,
                **_flag_kwargs(self._flag, True))
            return _split_variables(variables)

        self._variables_spec = _common.tree_spec(_unfreeze(variables))
        params, state = _split_variables(variables)
        super().__init__(call_fn=call_fn, init_fn=init_fn, params=params, state=state,
                         **kwargs)

    # --- NNX ---------------------------------------------------------------------------
    def _nnx_setup(self, nnx, module):
        graphdef, params, rng_state, rest = nnx.split(module, nnx.Param, nnx.RngState, ...)
        flag = _find_flag(module.__call__)
        self._flag = flag

        def call_fn(params, state, rng, inputs, training):
            rngs = rng_state
            if training and rng is not None:
                leaves, treedef = jax.tree_util.tree_flatten(rng_state)
                fresh = [jax.random.fold_in(rng, i)
                         if jax.dtypes.issubdtype(leaf.dtype, jax.dtypes.prng_key)
                         else leaf for i, leaf in enumerate(leaves)]
                rngs = jax.tree_util.tree_unflatten(treedef, fresh)
            model = nnx.merge(graphdef, params, rngs, state)
            if training and hasattr(model, "train"):
                model.train()
            elif not training and hasattr(model, "eval"):
                model.eval()
            out = model(inputs, **_flag_kwargs(flag, training))
            _, _, _, new_state = nnx.split(model, nnx.Param, nnx.RngState, ...)
            return out, new_state

        return call_fn, params, rest

    def _leaf_parts(self, which, path):
        parts = _common.path_parts(path)
        if self._nnx and parts and parts[-1] == "value":
            parts = parts[:-1]
        return parts

    # --- config ------------------------------------------------------------------------
    def _module_record(self):
        cls = type(self.module)
        fields = None
        if not self._nnx and dataclasses.is_dataclass(self.module):
            fields = {f.name: getattr(self.module, f.name)
                      for f in dataclasses.fields(self.module)
                      if f.name != "parent" and f.init}
            if fields.get("name") is None:
                fields.pop("name", None)
            if not is_plain(fields):
                fields = None
        registered = get_registered_name(cls)
        return {"class_name": cls.__name__, "module": cls.__module__,
                "registered_name": registered if registered != cls.__name__ else None,
                "config": fields}

    def get_config(self):
        config = Layer.get_config(self)
        method = self.method
        if method is not None and not isinstance(method, str):
            if getattr(method, "__self__", None) is self.module:
                method = method.__name__
            else:
                method = _common.serialize_callable(method)
        config.update({
            "module": self._module_record(),
            "method": method,
            "variables": self._variables_spec,
            "seed": self.seed,
            "native_serialization_platforms": self.native_serialization_platforms,
        })
        return config

    @classmethod
    def from_config(cls, config, module=None, method=None, variables=None):
        """Rebuilds the layer around a module class or instance known at load (see class doc)."""
        config = dict(config)
        record = config.pop("module", None) or {}
        owner = f"FlaxLayer '{config.get('name')}'"
        qualified = f"{record.get('module')}.{record.get('class_name')}" if record else None
        found = _common.resolve_object(
            [config.get("name"), record.get("registered_name"), qualified,
             record.get("class_name")], owner, "module", module)
        if inspect.isclass(found):
            if record.get("config") is None:
                raise SerializationError(
                    f"{owner}: the module's fields were not plain values, so they were not "
                    f"saved; pass a module instance: from_config(config, module=...) or "
                    f"custom_objects={{{config.get('name')!r}: module}}.")
            found = found(**record["config"])
        saved_method = config.get("method")
        if method is None and isinstance(saved_method, dict):
            method = _common.resolve_callable(saved_method, owner, "method")
        config["method"] = method if method is not None else saved_method
        config["variables"] = (variables if variables is not None
                               else _common.tree_from_spec(config.get("variables")))
        config["module"] = found
        return cls(**config)


__all__ = ["FlaxLayer"]
