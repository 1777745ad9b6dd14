"""``Repeat``: N copies of one block, their weights stacked, run with ``lax.scan``.

A deep stack of identical blocks written as N layers compiles N copies of the
block; ``Repeat(block, n)`` compiles one, whatever ``n`` is.  The block (a
template layer) is built once; a mirror layer of the same name holds each of its
weights with a leading axis of size ``n`` (``repeat/dense/kernel`` has shape
``(n, in, out)``), so params paths stay readable and sharding rules can name the
stacked axis.  At call time each scan step binds the template's weights to one
slice and runs the template's own ``call``.

Choices recorded here:

* ``get_weights``/``set_weights`` of a ``Repeat``, and of any model holding one,
  use the order Keras would use for ``n`` separate blocks: the block's weight
  list for copy 0, then copy 1, ... (the stacked weights share a
  ``stack_group``; see ``core.weights.weight_listing``).  ``weights``,
  ``params`` and saved files hold the stacked arrays.
* Each repetition draws its random numbers from the call's key folded with the
  repetition's index, so dropout masks differ between repetitions.
* A block that computes an output mask passes it to the next repetition (it
  must keep the mask's shape), and the last one is the output mask.  A block
  whose output mask is ``None`` (it does not support masking) drops the mask, as
  n separate layers do in Keras: the first repetition runs with the mask, the
  others (one scan) without, and the output has none.
* ``remat_mode`` of the ``Repeat`` rematerializes each repetition (the scan
  body), the usual way to train deep stacks: only the carry between blocks is
  kept for the backward pass.
"""

import math
import weakref

import jax
import jax.numpy as jnp
import numpy as np

from jaxlayers.core import args as _args
from jaxlayers.core import calls, tracking
from jaxlayers.core import remat as remat_lib
from jaxlayers.core import scope as scope_lib
from jaxlayers.core.layer import Layer
from jaxlayers.core.serialization import register_builtin
from jaxlayers.core.variables import Variable, call_initializer
from jaxlayers.errors import ConfigTypeError, ShapeError
from jaxlayers.layers._sublayers import from_layer_config, serialize_layer

__all__ = ["Repeat"]


class _StackedInitializer:
    """``n`` independent draws of ``initializer`` stacked on a leading axis (one key each)."""

    accepts_key = True

    def __init__(self, initializer, n):
        self.initializer = initializer
        self.n = n

    def __call__(self, shape, dtype=None, key=None):
        inner = tuple(shape[1:])
        if key is None or getattr(self.initializer, "seed", None) is not None:
            # A seeded initializer gives every copy the same values, as it gives
            # the same values to n separate layers in Keras.
            one = jnp.asarray(call_initializer(self.initializer, inner, dtype, None), dtype)
            return jnp.broadcast_to(one, (self.n,) + inner)
        keys = jax.random.split(key, self.n)
        return jax.vmap(lambda k: jnp.asarray(
            call_initializer(self.initializer, inner, dtype, k), dtype))(keys)


class _PerCopy:
    """A regularizer summed over the copies, or a constraint applied to each copy."""

    def __init__(self, fn, reduce):
        self.fn = fn
        self.reduce = reduce

    def __call__(self, stacked):
        out = jax.vmap(self.fn)(stacked)
        return jnp.sum(out) if self.reduce else out


def _per_copy(fn, reduce):
    return None if fn is None else _PerCopy(fn, reduce)


class _MirroredVariable(Variable):
    """A stacked weight whose ``trainable`` is its template weight's.

    Freezing the block (``repeat.layer...trainable = False``) must freeze its
    copies: the stacked weights are what the trainer and the weight lists see.
    """

    @property
    def trainable(self):
        return self._template.trainable

    @trainable.setter
    def trainable(self, value):
        self._template.trainable = value


class _Stacked(Layer):
    """Holds the stacked weights of one layer of the template tree (same name, same tree).

    Not public and never called: it gives the weights their paths and the
    facade its values; ``Repeat`` binds them to the template slice by slice.
    """

    def __init__(self, template, n, group=None, **kwargs):
        super().__init__(name=template.name, trainable=template.trainable,
                         dtype=template.dtype_policy, **kwargs)
        declared = tracking.own_weights(template)
        for var in ([v for v in declared if v.collection == "params"]
                    + [v for v in declared if v.collection != "params"]):
            stacked = self.add_weight(
                shape=(n,) + var.shape, dtype=var.dtype,
                initializer=_StackedInitializer(var.initializer, n),
                trainable=var.collection == "params", autocast=var.autocast,
                regularizer=_per_copy(var.regularizer, True),
                constraint=_per_copy(var.constraint, False), name=var.name)
            stacked.__class__ = _MirroredVariable
            stacked._template = var
            # get_weights lists the weights of one group copy by copy (Keras's order).
            stacked.stack_group = group
        self.__dict__["_children"] = [_Stacked(child, n, group) for child in
                                      template.tracked_sublayers()]
        for child in self._children:
            child.__dict__["_parent"] = weakref.ref(self)
        self.built = True

    def tracked_sublayers(self):
        return list(self.__dict__.get("_children", ()))

    def call(self, inputs):
        return inputs


def _spec(shape, dtype):
    return jax.ShapeDtypeStruct(tuple(1 if d is None else int(d) for d in shape), dtype)


@register_builtin("layers")
class Repeat(Layer):
    """Applies one block ``n`` times in sequence, with ``n`` sets of weights, via ``lax.scan``.

    Equals ``n`` copies of the block stacked one after the other (values and
    gradients), but the block is traced and compiled once: compile time does not
    grow with ``n``.  Each weight of the block is stored once with a leading axis
    of size ``n`` under the block's name (``repeat/dense/kernel`` of shape
    ``(n, in, out)``).

    Args:
        layer: The block: a ``Layer`` (used as the template of every copy) or a
            function of no arguments returning one.  It must map its input to an
            output of the same shape and dtype.
        n: Positive int, the number of copies.

    Input shape: any, passed to the block.  Output shape: the input's.

    Example:
        >>> layer = jl.layers.Repeat(jl.layers.Dense(3, name="dense"), 4, name="repeat")
        >>> params, state = layer.init(jax.random.key(0), jnp.zeros((2, 3)))
        >>> jax.tree.map(jnp.shape, params)
        {'repeat': {'dense': {'bias': (4, 3), 'kernel': (4, 3, 3)}}}
    """

    supports_masking = True
    remats_itself = True

    def __init__(self, layer, n, **kwargs):
        super().__init__(**kwargs)
        who = _args.owner(self)
        self.n = _args.positive_int(who, "n", n)
        block = layer
        if not isinstance(block, Layer) and callable(block) and not isinstance(block, type):
            block = block()
        if not isinstance(block, Layer):
            raise ConfigTypeError(
                f"{who}: `layer` must be a Layer instance or a function of no arguments "
                f"returning one, e.g. Repeat(jl.layers.Dense(8), 4). Received: layer={layer!r}."
            )
        self.layer = block
        if not self.trainable:
            block.trainable = False
        self.__dict__["_input_dtype_seen"] = None

    @property
    def trainable(self):
        return Layer.trainable.fget(self)

    @trainable.setter
    def trainable(self, value):
        Layer.trainable.fset(self, value)
        # The block's own flag too: its call may read it (a frozen BatchNormalization
        # normalizes with its moving statistics, as in a frozen stack of blocks).
        if "layer" in self.__dict__:
            self.layer.trainable = value

    # --- the tree: only the stacked mirror holds weights ---------------------------
    def tracked_sublayers(self):
        stacked = self.__dict__.get("_stacked")
        return [] if stacked is None else [stacked]

    def build_from_inputs(self, args, kwargs):
        first = args[0] if args else next(iter(kwargs.values()), None)
        dtype = getattr(first, "dtype", None)
        if dtype is not None:
            self.__dict__["_input_dtype_seen"] = jnp.dtype(dtype)
        super().build_from_inputs(args, kwargs)

    def build(self, input_shape):
        if not isinstance(input_shape, tuple) or not all(
                d is None or _args.is_int(d) for d in input_shape):
            raise ShapeError(
                f"{_args.owner(self)}: the block takes one array; its output is the next "
                f"copy's input. Received: input shape {input_shape}."
            )
        dtype = self.__dict__.get("_input_dtype_seen") or jnp.dtype(self.compute_dtype)
        spec = _spec(input_shape, dtype)
        template = self.layer

        def run(x):
            with scope_lib.Scope(structure=True) as s:
                return calls.invoke(template, s, (x,), {})[0]

        with jax.ensure_compile_time_eval():
            out = jax.eval_shape(run, spec)
        if not isinstance(out, jax.ShapeDtypeStruct) or out.shape != spec.shape \
                or out.dtype != spec.dtype:
            got = jax.tree_util.tree_map(lambda o: (o.shape, str(o.dtype)), out)
            raise ShapeError(
                f"{_args.owner(self)}: the block {type(template).__name__} '{template.name}' "
                f"must map its input to one array of the same shape and dtype, so that its "
                f"copies can be chained. Received: input ({spec.shape}, {spec.dtype}) -> "
                f"output {got}."
            )
        object.__setattr__(self, "_stacked", _Stacked(template, self.n, group=object()))
        self._stacked.__dict__["_parent"] = weakref.ref(self)
        tracking.bump()

    # --- pairs of (template weight, stacked weight), in the template's order --------
    def _pairs(self):
        template = tracking.entries(self.layer)
        stacked = tracking.entries(self._stacked)
        return [(t, s) for (_, t), (_, s) in zip(template, stacked)]

    def call(self, inputs, training=False, mask=None):
        scope = scope_lib.current()
        pairs = self._pairs()
        template_vars = [t for t, _ in pairs]
        stacked = []
        for _, s in pairs:
            scope.binds(s)
            stacked.append(scope.read(s))
        by_id = {id(v): v for v in template_vars}
        paths = tracking.layer_paths(self.layer)
        side = {}

        def step(carry, xs):
            x, m = carry
            i, values = xs
            child = scope.child(
                {id(v): a for v, a in zip(template_vars, values)}, by_id,
                key_source=lambda: jax.random.fold_in(scope.next_key(self), i),
                layer_paths=paths, counters={})
            with child:
                y, out_mask = calls.invoke(self.layer, child, (x,), {}, training, m)
            new_values = [child.current_value(v) for v in template_vars
                          if v.collection == "state"]
            side["loss_owners"] = [owner for owner, _ in child.losses]
            side["metric_owners"] = [(owner, name) for owner, name, _ in child.metrics]
            if m is not None and out_mask is not None:
                m = jnp.asarray(out_mask, jnp.asarray(m).dtype)
            return (y, m), (new_values, [v for _, v in child.losses],
                            [v for _, _, v in child.metrics])

        mode = self.remat_mode
        if mode is not None and not scope.structure and remat_lib.applies_to(
                self, mode, lambda: math.prod(np.shape(inputs))):
            step = remat_lib.checkpoint(step, mode.policy, prevent_cse=False)
        steps = jnp.arange(self.n)
        state_vars = [s for t, s in pairs if t.collection == "state"]
        if mask is not None and self._drops_mask(scope, (inputs, mask, stacked), training,
                                                 (template_vars, by_id, paths)):
            # As n stacked copies in Keras: the first sees the mask and drops it, so
            # the others run without one and the output has none.
            (y, _), first = step((inputs, mask), (steps[0], [v[0] for v in stacked]))
            first_state, *first_aux = jax.tree_util.tree_map(lambda a: jnp.asarray(a)[None],
                                                             first)
            self._record(scope, dict(side), first_aux)
            if self.n > 1:
                (y, _), (rest_state, *rest_aux) = jax.lax.scan(
                    step, (y, None), (steps[1:], [v[1:] for v in stacked]))
                self._record(scope, side, rest_aux)
                first_state = [jnp.concatenate(pair) for pair in zip(first_state, rest_state)]
            for var, value in zip(state_vars, first_state):
                scope.write(var, value)
            self.set_output_mask(None)
            return y
        (y, out_mask), (new_state, *aux) = jax.lax.scan(step, (inputs, mask), (steps, stacked))
        for var, value in zip(state_vars, new_state):
            scope.write(var, value)
        self._record(scope, side, aux)
        if mask is not None:
            self.set_output_mask(out_mask)
        return y

    def _drops_mask(self, scope, arrays, training, template):
        """Whether the block's output mask is ``None`` for a masked input (traced for shapes).

        The probe draws from a stand-in key and its own counters, so the real
        call's keys are unchanged.
        """
        template_vars, by_id, paths = template
        found = {}

        def probe(x, m, values):
            child = scope.child({id(v): a for v, a in zip(template_vars, values)}, by_id,
                                key=jax.random.key(0), layer_paths=paths, counters={})
            with child:
                y, out_mask = calls.invoke(self.layer, child, (x,), {}, training, m)
            found["none"] = out_mask is None
            return y

        inputs, mask, stacked = jax.tree_util.tree_map(
            lambda a: jax.ShapeDtypeStruct(np.shape(a), jnp.result_type(a)), arrays)
        jax.eval_shape(probe, inputs, mask, [jax.ShapeDtypeStruct(v.shape[1:], v.dtype)
                                             for v in stacked])
        return found["none"]

    @staticmethod
    def _record(scope, side, aux):
        """Records the losses and metrics of a run of the body, stacked per repetition."""
        losses, metrics = aux
        for owner, value in zip(side["loss_owners"], losses):
            scope.add_loss(owner, jnp.sum(value))
        for (owner, name), value in zip(side["metric_owners"], metrics):
            scope.add_metric(owner, name, value[-1])

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    # --- config -------------------------------------------------------------------
    def get_config(self):
        config = super().get_config()
        config.update(layer=serialize_layer(self.layer), n=self.n)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return from_layer_config(cls, config, custom_objects)
