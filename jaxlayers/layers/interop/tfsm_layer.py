"""``TFSMLayer``: a TensorFlow SavedModel endpoint as a jaxlayers layer (CPU).

The SavedModel is loaded with ``tf.saved_model.load``; the variables its
endpoint(s) use become jaxlayers weights (trainable ones in ``params``, the
others in ``state``; ``dense/kernel:0`` -> ``dense_kernel``), written back into
the TF variables before every call.  The endpoint runs in a host callback
(``jax.pure_callback``), so it works under ``jit`` and ``vmap``; gradients
with respect to the trainable variables and float inputs come from a
``tf.GradientTape`` in a second callback, so the layer also trains with ``fit``.
"""

import os
import threading

import jax
import jax.numpy as jnp
import numpy as np

from jaxlayers.core import serialization
from jaxlayers.core.layer import Layer
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError, ConfigTypeError, UnsafeLoadError
from jaxlayers.layers._weight_values import read_weight
from jaxlayers.layers.interop import _common, _host


def _tf():
    return _common.require("tensorflow", "TFSMLayer", "tensorflow-cpu")


def _concrete_functions(fn):
    if hasattr(fn, "concrete_functions"):
        return list(fn.concrete_functions)
    if hasattr(fn, "get_concrete_function"):
        return [fn.get_concrete_function()]
    return [fn]


@register_builtin("layers")
class TFSMLayer(Layer):
    """Calls an endpoint of a TensorFlow SavedModel (e.g. one written by ``tf.saved_model.save``).

    Args:
        filepath: Directory of the SavedModel.
        call_endpoint: Name of the endpoint used for inference: an attribute of
            the loaded object (a ``tf.function``) or a key of its ``signatures``.
            Default ``"serve"`` (what Keras's ``model.export`` writes); when the
            SavedModel has no ``serve`` endpoint the ``serving_default``
            signature (what ``tf.saved_model.save`` writes) is used.
        call_training_endpoint: Optional endpoint used when ``training=True``.
        trainable: Whether the SavedModel's trainable variables are trained.

    Inputs: one tensor, or a dict keyed by the signature's input names.
    Outputs: what the endpoint returns (a signature returns a dict).

    Saving: the config records ``filepath``.  Loading a SavedModel runs its
    graph, so, as in Keras, ``from_config`` refuses unless the caller passes
    ``filepath=`` again (``TFSMLayer.from_config(config, filepath=...)``) or
    loads with ``safe_mode=False``.

    Example:
        >>> layer = jl.layers.TFSMLayer("/tmp/saved_model",  # doctest: +SKIP
        ...                             call_endpoint="serving_default")
        >>> outputs = layer(jnp.ones((2, 3)))  # doctest: +SKIP
    """

    # The SavedModel signature fixes real input dtypes.
    supports_complex_inputs = False

    def __init__(self, filepath, call_endpoint="serve", call_training_endpoint=None,
                 trainable=True, name=None, dtype=None, **kwargs):
        super().__init__(trainable=trainable, name=name, dtype=dtype, **kwargs)
        owner = f"TFSMLayer '{self.name}'"
        if not isinstance(filepath, (str, os.PathLike)):
            raise ConfigTypeError(f"{owner}: `filepath` must be a path. Received: "
                                  f"filepath={filepath!r}.")
        filepath = os.fspath(filepath)
        if not os.path.isdir(filepath):
            raise ConfigError(
                f"{owner}: no SavedModel directory at {filepath!r} (the path does not "
                f"exist or is not a directory). Received: filepath={filepath!r}.")
        tf = _tf()
        self.filepath = filepath
        self.call_endpoint = call_endpoint
        self.call_training_endpoint = call_training_endpoint
        try:
            self._reloaded = tf.saved_model.load(filepath)
        except (OSError, ValueError) as e:
            raise ConfigError(
                f"{owner}: {filepath!r} is not a readable TensorFlow SavedModel directory "
                f"(expected saved_model.pb and variables/ in it: {type(e).__name__}: "
                f"{str(e)[:200]}). Received: filepath={filepath!r}.") from e
        self._endpoints = {False: self._resolve(call_endpoint, default="serve")}
        if call_training_endpoint:
            self._endpoints[True] = self._resolve(call_training_endpoint)
        self._lock = threading.Lock()
        self._cache = {}
        self._slots = []  # (tf.Variable, jaxlayers Variable)
        seen, taken = set(), set()
        fns = [fn for fn, _ in self._endpoints.values()]
        concretes = [c for fn in fns for c in _concrete_functions(fn)]
        ordered = ([v for c in concretes for v in c.trainable_variables]
                   + [v for c in concretes for v in c.variables])
        for tf_var in ordered:
            if id(tf_var) in seen:
                continue
            seen.add(id(tf_var))
            value = tf_var.numpy().copy()
            var = self.add_weight(
                shape=value.shape, name=_common.safe_name([tf_var.name.split(":")[0]], taken),
                dtype=_host.canonical_dtype(value.dtype), trainable=bool(tf_var.trainable),
                initializer=(lambda v: lambda shape, dtype=None: jnp.asarray(v, dtype))(value),
                autocast=False)
            self._slots.append((tf_var, var))
        self.built = True

    def _resolve(self, endpoint, default=None):
        """``(function, n_positional_args or signature input names)`` for an endpoint."""
        obj = self._reloaded
        signatures = dict(getattr(obj, "signatures", {}) or {})
        if isinstance(endpoint, str) and hasattr(obj, endpoint) and callable(
                getattr(obj, endpoint)):
            fn = getattr(obj, endpoint)
            concretes = _concrete_functions(fn)
            n_args = len(concretes[0].structured_input_signature[0]) if concretes else 1
            return fn, n_args
        name = endpoint
        if endpoint not in signatures and endpoint == default and \
                "serving_default" in signatures:
            name = "serving_default"
        if name in signatures:
            fn = signatures[name]
            kwargs = fn.structured_input_signature[1]
            return fn, sorted(kwargs)
        raise ConfigError(
            f"TFSMLayer '{self.name}': the endpoint {endpoint!r} is neither an attribute of "
            f"the SavedModel nor one of its signatures {sorted(signatures)}. Choose one "
            f"with call_endpoint=. Received: call_endpoint={endpoint!r}.")

    # --- host side ----------------------------------------------------------------------
    def _run(self, training, inputs, treedef, watch=None):
        tf = _tf()
        fn, names = self._endpoints[training]
        tensors = [tf.constant(np.asarray(x)) for x in inputs]
        if watch is not None:
            for t in tensors:
                if t.dtype.is_floating:
                    watch.watch(t)
        structured = jax.tree_util.tree_unflatten(treedef, tensors)
        if isinstance(names, int):  # a tf.function attribute: positional arguments
            if names > 1 and isinstance(structured, dict):
                out = fn(**structured)
            elif names > 1 and isinstance(structured, (list, tuple)):
                out = fn(*structured)
            else:
                out = fn(structured)
        elif isinstance(structured, dict):
            out = fn(**structured)
        elif len(names) == 1:
            out = fn(**{names[0]: structured})
        else:
            raise ConfigTypeError(
                f"TFSMLayer '{self.name}': the signature takes inputs {names}; pass a dict "
                f"with those keys. Received: {type(structured).__name__}.")
        leaves, out_def = jax.tree_util.tree_flatten(out)
        return leaves, out_def, tensors

    def _load(self, values):
        for (tf_var, _), value in zip(self._slots, values):
            tf_var.assign(np.asarray(value))

    def _host_fn(self, in_specs, treedef, training):
        training = training and True in self._endpoints
        key = (tuple((s.shape, s.dtype.name) for s in in_specs), treedef, training)
        if key in self._cache:
            return self._cache[key]
        tf = _tf()
        with self._lock:
            leaves, out_def, _ = self._run(training, [np.zeros(s.shape, s.dtype)
                                                      for s in in_specs], treedef)
        out_specs = [jax.ShapeDtypeStruct(tuple(t.shape),
                                          _host.canonical_dtype(t.dtype.as_numpy_dtype))
                     for t in leaves]
        n_w, n_in = len(self._slots), len(in_specs)
        grad_idx = _host.grad_output_indices(out_specs, len(out_specs))
        wrt_specs = ([v for _, v in self._slots if v.collection == "params"]
                     + [s for s in in_specs if jnp.issubdtype(s.dtype, jnp.floating)])

        def forward(*args):
            with self._lock:
                self._load(args[:n_w])
                leaves, _, _ = self._run(training, args[n_w:], treedef)
                return [np.asarray(t.numpy(), s.dtype) for t, s in zip(leaves, out_specs)]

        def backward(*args):
            weights, inputs, cts = args[:n_w], args[n_w:n_w + n_in], args[n_w + n_in:]
            with self._lock:
                self._load(weights)
                with tf.GradientTape() as tape:
                    leaves, _, tensors = self._run(training, inputs, treedef, watch=tape)
                targets = [leaves[i] for i in grad_idx]
                sources = [t for t, v in self._slots if v.collection == "params"]
                sources += [t for t in tensors if t.dtype.is_floating]
                grads = tape.gradient(targets, sources, output_gradients=[
                    tf.constant(np.asarray(c), dtype=t.dtype) for c, t in zip(cts, targets)])
            return [np.zeros(s.shape, s.dtype.name) if g is None
                    else np.asarray(tf.convert_to_tensor(g).numpy(), s.dtype.name)
                    for g, s in zip(grads, wrt_specs)]

        diff = ([v.collection == "params" for _, v in self._slots]
                + [bool(jnp.issubdtype(s.dtype, jnp.floating)) for s in in_specs])
        fn = _host.host_function(forward, backward, out_specs, diff, len(out_specs))
        self._cache[key] = (fn, out_def)
        return fn, out_def

    # --- the layer ----------------------------------------------------------------------
    def call(self, inputs, training=False):
        leaves, treedef = jax.tree_util.tree_flatten(inputs)
        leaves = [jnp.asarray(x) for x in leaves]
        in_specs = [jax.ShapeDtypeStruct(x.shape, x.dtype) for x in leaves]
        fn, out_def = self._host_fn(in_specs, treedef, bool(training))
        weights = [read_weight(v) for _, v in self._slots]
        return jax.tree_util.tree_unflatten(out_def, list(fn(*weights, *leaves)))

    # --- config -------------------------------------------------------------------------
    def get_config(self):
        config = super().get_config()
        config.update({"filepath": self.filepath, "call_endpoint": self.call_endpoint,
                       "call_training_endpoint": self.call_training_endpoint})
        return config

    @classmethod
    def from_config(cls, config, filepath=None):
        """Rebuilds the layer; the SavedModel path must be re-supplied (or safe_mode off)."""
        config = dict(config)
        if filepath is None and serialization.in_safe_mode():
            raise UnsafeLoadError(
                f"TFSMLayer '{config.get('name')}': loading it would run the TensorFlow "
                f"graph of the SavedModel at {config.get('filepath')!r}. Pass the path "
                f"again to confirm: TFSMLayer.from_config(config, filepath=...), or load "
                f"with safe_mode=False if you trust the file.")
        if filepath is not None:
            config["filepath"] = filepath
        return super().from_config(config)


__all__ = ["TFSMLayer"]
