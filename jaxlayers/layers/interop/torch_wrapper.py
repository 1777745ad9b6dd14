"""``TorchModuleWrapper``: a PyTorch ``nn.Module`` inside a jaxlayers model, on the CPU.

The module's parameters become jaxlayers weights (one per named parameter:
``fc1.weight`` -> ``fc1_weight``; trainable when ``requires_grad``), and its
buffers non-trainable weights (BatchNorm running statistics are state that
training updates).  Before every forward or backward pass the current weight
values are written into the module, so the module always computes with the
values jit/grad/the optimizer hold.

Forward runs through ``jax.pure_callback``; the backward pass is a
``jax.custom_vjp`` whose rule calls ``torch.autograd.grad`` in a second
callback (see ``_host.py``).  Randomness (dropout) is seeded from the layer's
JAX key, so the backward recomputation draws the same mask and a call is a
pure function of its key.

Speed: every call crosses the JAX/host boundary, copies weights and inputs
into torch and the results back, and a gradient step runs the torch forward
twice.  It is for reusing a torch module, not for speed; see
``bench/bench_interop.py`` for numbers.
"""

import contextlib
import threading

import jax
import jax.numpy as jnp
import numpy as np

from jaxlayers.core import args as _args
from jaxlayers.core.layer import Layer
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError, ConfigTypeError
from jaxlayers.layers._weight_values import read_weight
from jaxlayers.layers.interop import _common, _host


def _torch():
    return _common.require("torch", "TorchModuleWrapper", "torch")


@contextlib.contextmanager
def _torch_threads(torch, n):
    """Runs torch with ``n`` intra-op threads, restoring the caller's setting after."""
    before = torch.get_num_threads()
    if n is None or n == before:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@register_builtin("layers")
class TorchModuleWrapper(Layer):
    """Runs a ``torch.nn.Module`` as a differentiable, jittable jaxlayers layer (CPU).

    Args:
        module: A ``torch.nn.Module`` on the CPU.  Lazy modules must be
            initialized first (call them once).
        output_shape: Optional output shape (batch axis included, ``None`` for
            unknown sizes) returned by ``compute_output_shape``; by default the
            module is run once on zeros to find it.

    The call takes the module's positional array inputs and ``training``
    (``module.train()`` / ``module.eval()`` is set from it).  Outputs may be a
    tensor or a tuple/list/dict of tensors.  In training the layer needs a key
    (``apply(..., key=...)``; ``fit`` passes one): it seeds torch's RNG.

    Weights are the module's parameters and buffers, in ``named_parameters()``
    then ``named_buffers()`` order; ``get_weights()`` matches
    ``[p.detach().numpy() for p in module.parameters()]`` (then buffers).

    Threads: inside the callbacks torch runs with ``torch_num_threads`` (class
    attribute, default 1) intra-op threads.  XLA's own CPU threads are busy
    around the callback, and torch's spin-waiting OpenMP workers starved them
    (a 30-50x slower training step on 2 cores in ``bench/bench_interop.py``).
    Set ``TorchModuleWrapper.torch_num_threads = None`` to keep torch's setting.

    Saving: the module itself is never pickled into a config.  Re-supply it at
    load with ``from_config(config, module=...)`` or
    ``custom_objects={"<layer name>": module}`` (or the module's class name;
    an ``nn.Module`` instance, or a callable returning one).

    Example:
        >>> import torch
        >>> layer = jl.layers.TorchModuleWrapper(torch.nn.Linear(3, 2), name="fc")
        >>> jax.tree.map(jnp.shape, layer.params)
        {'fc': {'bias': (2,), 'weight': (2, 3)}}
        >>> layer(jnp.ones((4, 3))).shape
        (4, 2)
    """

    # Inputs are handed to torch in the module's real dtype.
    supports_complex_inputs = False

    torch_num_threads = 1

    def __init__(self, module, name=None, output_shape=None, **kwargs):
        super().__init__(name=name, **kwargs)
        torch = _torch()
        owner = f"TorchModuleWrapper '{self.name}'"
        if not isinstance(module, torch.nn.Module):
            raise ConfigTypeError(
                f"{owner}: `module` must be a torch.nn.Module. Received: module={module!r:.80} "
                f"(type {type(module).__name__}).")
        lazy = getattr(torch.nn.modules.lazy, "LazyModuleMixin", ())
        if isinstance(module, lazy) and module.has_uninitialized_params():
            raise ConfigError(
                f"{owner}: lazy modules must be initialized before wrapping (call the "
                f"module once on an example input). Received: module={module!r:.80}.")
        devices = {t.device.type for t in list(module.parameters()) + list(module.buffers())}
        if devices - {"cpu"}:
            raise ConfigError(
                f"{owner}: the module must live on the CPU (host callbacks run there). "
                f"Received: tensors on {sorted(devices)}. Call module.cpu() first.")
        self.module = module
        self.output_shape = _args.optional(_args.sizes, owner, "output_shape", output_shape)
        self._lock = threading.Lock()
        self._specs_cache = {}
        self._fn_cache = {}
        taken = set()
        self._slots = []  # (kind, torch name, Variable); kind is "param" or "buffer"
        for kind, named in (("param", module.named_parameters()),
                            ("buffer", module.named_buffers())):
            for tname, tensor in named:
                value = tensor.detach().cpu().numpy().copy()
                var = self.add_weight(
                    shape=tuple(value.shape), name=_common.safe_name([tname], taken),
                    dtype=_host.canonical_dtype(value.dtype),
                    initializer=(lambda v: lambda shape, dtype=None: jnp.asarray(v, dtype))(
                        value),
                    trainable=kind == "param" and tensor.requires_grad, autocast=False)
                self._slots.append((kind, tname, var))
        self.built = True

    # --- host side ----------------------------------------------------------------------
    def _load_into_module(self, values):
        """Writes weight values (NumPy) into the module's parameters and buffers."""
        torch = _torch()
        params = dict(self.module.named_parameters())
        buffers = dict(self.module.named_buffers())
        with torch.no_grad():
            for (kind, tname, _), value in zip(self._slots, values):
                target = params[tname] if kind == "param" else buffers[tname]
                target.copy_(torch.from_numpy(np.array(value)))

    def _run_module(self, inputs, training, seed, grad_inputs=False):
        torch = _torch()
        tensors = []
        for x in inputs:
            t = torch.from_numpy(np.array(x))
            if grad_inputs and t.is_floating_point():
                t.requires_grad_(True)
            tensors.append(t)
        self.module.train(training)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(seed))
            out = self.module(*tensors)
        return out, tensors

    def _flatten_out(self, out):
        torch = _torch()
        leaves, treedef = jax.tree_util.tree_flatten(out)
        for leaf in leaves:
            if not isinstance(leaf, torch.Tensor):
                raise ConfigTypeError(
                    f"TorchModuleWrapper '{self.name}': the module must return a tensor or "
                    f"a tuple/list/dict of tensors. Received: a leaf of type "
                    f"{type(leaf).__name__} ({leaf!r:.60}).")
        return leaves, treedef

    def _output_specs(self, in_specs, training):
        """Output ShapeDtypeStructs and treedef, from one run on zeros (cached)."""
        key = (tuple((s.shape, s.dtype.name) for s in in_specs), training)
        if key not in self._specs_cache:
            torch = _torch()
            zeros = [np.zeros(s.shape, s.dtype) for s in in_specs]
            with self._lock, torch.no_grad(), _torch_threads(torch, self.torch_num_threads):
                out, _ = self._run_module(zeros, False, 0)
                leaves, treedef = self._flatten_out(out)
            specs = [jax.ShapeDtypeStruct(tuple(t.shape),
                                          _host.canonical_dtype(t.detach().numpy().dtype))
                     for t in leaves]
            self._specs_cache[key] = (specs, treedef)
        return self._specs_cache[key]

    def _host_fn(self, in_specs, training):
        specs, treedef = self._output_specs(in_specs, training)
        key = (tuple((s.shape, s.dtype.name) for s in in_specs), training)
        if key in self._fn_cache:
            return self._fn_cache[key], specs, treedef
        torch = _torch()
        n_w, n_in = len(self._slots), len(in_specs)
        buffer_specs = [jax.ShapeDtypeStruct(v.shape, v.dtype)
                        for kind, _, v in self._slots if kind == "buffer"]
        out_specs = specs + buffer_specs
        grad_idx = _host.grad_output_indices(out_specs, len(specs))

        def forward(*args):
            weights, inputs, seed = args[:n_w], args[n_w:n_w + n_in], args[-1]
            with self._lock, torch.no_grad(), _torch_threads(torch, self.torch_num_threads):
                self._load_into_module(weights)
                out, _ = self._run_module(inputs, training, seed)
                leaves, _ = self._flatten_out(out)
                results = [t.detach().numpy() for t in leaves]
                results += [b.detach().numpy() for b in self.module.buffers()]
            return [np.asarray(r, s.dtype) for r, s in zip(results, out_specs)]

        def backward(*args):
            primal, cts = args[:n_w + n_in + 1], args[n_w + n_in + 1:]
            weights, inputs, seed = primal[:n_w], primal[n_w:n_w + n_in], primal[-1]
            with self._lock, _torch_threads(torch, self.torch_num_threads):
                self._load_into_module(weights)
                with torch.enable_grad():
                    out, tensors = self._run_module(inputs, training, seed, grad_inputs=True)
                    leaves, _ = self._flatten_out(out)
                    params = dict(self.module.named_parameters())
                    wrt = [params[t] for k, t, v in self._slots
                           if k == "param" and v.collection == "params"]
                    wrt += [t for t in tensors if t.is_floating_point()]
                    pairs = [(leaves[i], torch.from_numpy(np.array(c)).to(leaves[i].dtype))
                             for i, c in zip(grad_idx, cts) if leaves[i].requires_grad]
                    targets, cts_t = [p[0] for p in pairs], [p[1] for p in pairs]
                    grads = (torch.autograd.grad(targets, wrt, grad_outputs=cts_t,
                                                 allow_unused=True)
                             if targets and wrt else [None] * len(wrt))
            return [np.zeros(w.shape, w.dtype.name) if g is None
                    else np.asarray(g.detach().numpy(), _host.canonical_dtype(w.dtype.name))
                    for g, w in zip(grads, wrt_specs)]

        wrt_specs = [v for k, _, v in self._slots if k == "param" and v.collection == "params"]
        wrt_specs += [s for s in in_specs if jnp.issubdtype(s.dtype, jnp.floating)]
        diff = ([k == "param" and v.collection == "params" for k, _, v in self._slots]
                + [bool(jnp.issubdtype(s.dtype, jnp.floating)) for s in in_specs] + [False])
        fn = _host.host_function(forward, backward, out_specs, diff, len(specs))
        self._fn_cache[key] = fn
        return fn, specs, treedef

    # --- the layer ----------------------------------------------------------------------
    def call(self, *inputs, training=False):
        training = bool(training)
        inputs = [jnp.asarray(x) for x in inputs]
        in_specs = [jax.ShapeDtypeStruct(x.shape, x.dtype) for x in inputs]
        fn, specs, treedef = self._host_fn(in_specs, training)
        if training:
            seed = jax.random.randint(self.next_key(), (), 0, 2 ** 31 - 1, dtype=jnp.int32)
        else:
            seed = jnp.zeros((), jnp.int32)
        weights = [read_weight(var) for _, _, var in self._slots]
        results = fn(*weights, *inputs, seed)
        outputs = jax.tree_util.tree_unflatten(treedef, list(results[:len(specs)]))
        if training:
            buffers = iter(results[len(specs):])
            for kind, _, var in self._slots:
                if kind == "buffer":
                    var.assign(next(buffers))
        return outputs

    def sync_module(self):
        """Writes the current weights into ``module`` (e.g. after ``fit``); returns it."""
        with self._lock:
            self._load_into_module([np.asarray(var.value) for _, _, var in self._slots])
        return self.module

    def compute_output_shape(self, input_shape, *more_shapes):
        if self.output_shape is not None:
            return self.output_shape
        return super().compute_output_shape(input_shape, *more_shapes)

    # --- config -------------------------------------------------------------------------
    def get_config(self):
        config = super().get_config()
        config.update({
            "module": {"class_name": type(self.module).__name__,
                       "module": type(self.module).__module__},
            "output_shape": None if self.output_shape is None else list(self.output_shape),
        })
        return config

    @classmethod
    def from_config(cls, config, module=None):
        """Rebuilds the wrapper around a module supplied by the caller (never unpickled).

        ``module`` may be passed here, or found in ``custom_objects`` under the
        layer's name, the module's qualified class name (``"my_pkg.nets.MLP"``)
        or its bare class name (an instance, or a callable returning one).  A
        bare name that is also a jaxlayers class (``"Sequential"``) would shadow
        that class while loading: use the layer name then.
        """
        config = dict(config)
        record = config.pop("module", None) or {}
        owner = f"TorchModuleWrapper '{config.get('name')}'"
        qualified = f"{record.get('module')}.{record.get('class_name')}" if record else None
        found = _common.resolve_object(
            [config.get("name"), qualified, record.get("class_name")], owner, "module", module,
            hint=" The module's weights come back from the saved file.")
        torch = _torch()
        if not isinstance(found, torch.nn.Module) and callable(found):
            found = found()
        config["module"] = found
        if config.get("output_shape") is not None:
            config["output_shape"] = tuple(config["output_shape"])
        return super().from_config(config)


__all__ = ["TorchModuleWrapper"]
