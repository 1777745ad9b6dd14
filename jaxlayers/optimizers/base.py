"""The optimizer base class: Keras's optimizer object over one optax transform.

An :class:`Optimizer` holds Keras's arguments and composes them into an optax
transform (:meth:`Optimizer.to_optax`).  It is also the stateful object Keras
users hold: ``build(variables)`` creates the optax state over the list of the
variables' values, ``variables`` are handles on that state's arrays,
``apply_gradients`` / ``apply`` update the variables in place and
``stateless_apply`` is the pure, jittable form.  Once a model is compiled the
state lives in the trainer (:meth:`Optimizer.bind_state`), so ``fit`` and the
handles share it.

Example:
    >>> model = jl.Sequential([jl.Input((2,)), jl.layers.Dense(1)])
    >>> opt = jl.optimizers.SGD(learning_rate=0.1)
    >>> opt.apply([jnp.ones((2, 1)), jnp.ones(1)], model.trainable_variables)
    >>> int(opt.iterations)
    1
"""

import re

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxlayers import backend
from jaxlayers.core import args as _args
from jaxlayers.core import serialization
from jaxlayers.core.layer import to_snake_case
from jaxlayers.core.variables import Variable, materialize_all
from jaxlayers.errors import (
    ConfigError,
    ConfigTypeError,
    SerializationError,
    ShapeError,
    StateError,
    WeightsError,
)
from jaxlayers.optimizers.fast_init import fast_init
from jaxlayers.optimizers.state import (
    _learning_rate,
    _number,
    _per_tensor_clip,
    fill_state,
    get_hyperparam,
    iterations,
    set_hyperparam,
)
from jaxlayers.optimizers.transforms import decay_before_update, moving_average
from jaxlayers.optimizers.variables import StateVariable


def _value(x):
    """The array of a Variable, or ``x`` itself."""
    return x.value if isinstance(x, Variable) else x


def _leaf_name(path):
    parts = []
    for key in path:
        for attr in ("name", "key", "idx"):
            if hasattr(key, attr):
                parts.append(str(getattr(key, attr)))
                break
    return "/".join(parts)


# ----------------------------------------------------------------------------- base class
class Optimizer:
    """Base class: Keras optimizer arguments, compiled to an optax transform.

    Subclasses implement ``_update(learning_rate)``, returning the optax transform
    that maps clipped gradients to the final (negative, learning-rate scaled)
    updates.  This base adds clipping, weight decay, ``inject_hyperparams`` and
    gradient accumulation, and the stateful Keras API (``build``, ``variables``,
    ``iterations``, ``apply_gradients``, ``apply``, ``stateless_apply``).

    Args:
        learning_rate: Float >= 0, or a schedule ``step -> lr`` (any callable,
            e.g. an optax schedule), evaluated once per update at the step count.
        weight_decay: If set, each update also does ``w -= learning_rate *
            weight_decay * w`` (decoupled, as in Keras).
        clipnorm: If set, each gradient array is scaled to L2 norm at most this.
        clipvalue: If set, gradients are clipped elementwise to ``[-v, v]``.
        global_clipnorm: If set, all gradients are scaled together so that their
            global L2 norm is at most this.  At most one of the three clip arguments.
        use_ema: Keep an exponential moving average of the weights
            (:attr:`moving_averages`); ``finalize_variable_values`` copies it
            onto the weights.
        ema_momentum: Momentum of that average, in ``[0, 1]``.
        ema_overwrite_frequency: If set, every this many updates the weights
            are replaced by their moving average.
        loss_scale_factor: If set, :meth:`scale_loss` multiplies the loss by it
            and the gradients are divided by it before anything else.
        gradient_accumulation_steps: Int >= 2: average gradients over this many
            calls and update once (``optax.MultiSteps``), as Keras does:
            ``iterations`` counts updates, a schedule sees every call.
        name: Name; defaults to the snake-case class name, made unique.

    Example:
        >>> opt = jl.optimizers.Adam(learning_rate=1e-3, clipnorm=1.0)
        >>> tx = opt.to_optax()
        >>> opt.get_config()["clipnorm"]
        1.0
    """

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        owner = type(self).__name__
        if kwargs:
            raise ConfigError(
                f"{owner}: argument(s) not recognized: {sorted(kwargs)}. Received: {kwargs!r}."
            )
        self._learning_rate = _learning_rate(owner, learning_rate)
        self.weight_decay = _number(owner, "weight_decay", weight_decay, allow_none=True)
        self.clipnorm = _number(owner, "clipnorm", clipnorm, allow_none=True)
        self.clipvalue = _number(owner, "clipvalue", clipvalue, allow_none=True)
        self.global_clipnorm = _number(owner, "global_clipnorm", global_clipnorm,
                                       allow_none=True)
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ConfigError(
                f"{owner}: only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be "
                f"set. Received: clipnorm={clipnorm!r}, clipvalue={clipvalue!r}, "
                f"global_clipnorm={global_clipnorm!r}."
            )
        ema_momentum = _number(owner, "ema_momentum", ema_momentum, 0.0, 1.0)
        if ema_overwrite_frequency is not None:
            ema_overwrite_frequency = _args.positive_int(owner, "ema_overwrite_frequency",
                                                         ema_overwrite_frequency)
        loss_scale_factor = _number(owner, "loss_scale_factor", loss_scale_factor,
                                    allow_none=True)
        if loss_scale_factor == 0.0:
            raise ConfigError(
                f"{owner}: `loss_scale_factor` must be a positive float or None. "
                f"Received: loss_scale_factor={loss_scale_factor!r}."
            )
        if gradient_accumulation_steps is not None and (
                isinstance(gradient_accumulation_steps, bool)
                or not isinstance(gradient_accumulation_steps, int)
                or gradient_accumulation_steps < 2):
            raise ConfigError(
                f"{owner}: `gradient_accumulation_steps` must be an int >= 2 or None. "
                f"Received: gradient_accumulation_steps={gradient_accumulation_steps!r}."
            )
        self.use_ema = bool(use_ema)
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        if name is None:
            name = backend.unique_name(to_snake_case(owner))
        self.name = name
        self._exclude_names = None
        self._exclude_ids = set()
        self._exclude_vars = []
        self._bound = None  # (get_state, set_state) of the trainer that holds the state
        self._own_state = None
        self._built_vars = None
        self._tx = None
        self._jit_step = None
        self._state_defs = {}
        self._state_vars = None
        self._iterations = StateVariable(self, None, "iteration", (), "int32")
        self.built = False

    # ------------------------------------------------------------------ optax
    def _update(self, learning_rate):
        raise NotImplementedError(
            f"{type(self).__name__} must implement _update(learning_rate) returning an optax "
            "transform."
        )

    def _clip(self):
        if self.clipnorm:
            return _per_tensor_clip(self.clipnorm)
        if self.global_clipnorm:
            return optax.clip_by_global_norm(self.global_clipnorm)
        if self.clipvalue:
            return optax.clip(self.clipvalue)
        return None

    def _describe(self, path):
        """``(name, full_path, variable_or_None)`` of the weight at ``path`` in params.

        Over the built list the variable itself is known; in the trainer's
        nested dict the keys spell the path and the last key is the name.
        """
        built = self._built_vars
        if built is not None and len(path) == 1 and hasattr(path[0], "idx") \
                and path[0].idx < len(built) and isinstance(built[path[0].idx], Variable):
            var = built[path[0].idx]
            return var.name, var.path, var
        keys = [str(getattr(k, "key", getattr(k, "name", getattr(k, "idx", k)))) for k in path]
        return keys[-1], "/".join(keys), None

    def _decay_mask(self, params):
        """Which leaves of ``params`` weight decay applies to (Keras's exclusions)."""
        patterns, ids = self._exclude_names or [], self._exclude_ids
        paths = {v.path for v in self._exclude_vars}

        def keep(path, _):
            name, full, var = self._describe(path)
            if (var is not None and id(var) in ids) or full in paths:
                return False
            return not any(re.search(p, name) for p in patterns)

        return jax.tree_util.tree_map_with_path(keep, params)

    def _decayed(self, update, learning_rate, weight_decay):
        """``update`` after Keras's decay ``w -= lr * wd * w`` (none when ``wd`` is falsy).

        Keras decays the variable itself, outside any momentum and before the
        step reads the weights.
        """
        if not weight_decay:
            return update
        masked = bool(self._exclude_names or self._exclude_ids)
        return decay_before_update(update, learning_rate * weight_decay,
                                   self._decay_mask if masked else None)

    def _chain(self, learning_rate):
        parts = []
        if self.loss_scale_factor:
            parts.append(optax.scale(1.0 / self.loss_scale_factor))
        clip = self._clip()
        if clip is not None:
            parts.append(clip)
        parts.append(self._core(learning_rate))
        return optax.chain(*parts)

    def _core(self, learning_rate):
        """The decayed step after clipping (subclasses with weight groups override it)."""
        return self._decayed(self._update(learning_rate), learning_rate, self.weight_decay)

    def _schedule(self):
        """The learning rate as ``inject_hyperparams`` sees it.

        With gradient accumulation the injected count is the number of updates
        applied, while Keras evaluates a schedule at the number of calls: the
        update after ``c`` others happens at call ``(c + 1) * k - 1``.
        """
        lr, k = self._learning_rate, self.gradient_accumulation_steps
        if callable(lr) and k:
            return lambda count: lr((count + 1) * k - 1)
        return lr

    def to_optax(self):
        """The ``optax.GradientTransformation`` for this configuration.

        The learning rate is injected (``optax.inject_hyperparams``); ``init`` uses the
        optimizer's learning rate at the time it is called, and makes the whole
        state with at most one compiled program
        (:func:`~jaxlayers.optimizers.fast_init.fast_init`).

        Example:
            >>> tx = jl.optimizers.SGD(learning_rate=0.1).to_optax()
            >>> s = tx.init({"w": jnp.ones(2)})
            >>> u, s = tx.update({"w": jnp.ones(2)}, s, {"w": jnp.ones(2)})
            >>> u["w"].tolist()
            [-0.10000000149011612, -0.10000000149011612]
        """
        inner = optax.inject_hyperparams(self._chain)(learning_rate=self._schedule())

        def init(params):
            state = inner.init(params)
            if not callable(self._learning_rate):
                state = set_hyperparam(state, "learning_rate", self._learning_rate)
            return state

        tx = optax.GradientTransformationExtraArgs(init, inner.update)
        k = self.gradient_accumulation_steps
        if k:
            tx = optax.MultiSteps(tx, every_k_schedule=k).gradient_transformation()
        if self.use_ema:
            tx = moving_average(tx, self.ema_momentum, self.ema_overwrite_frequency, k or 1)
        return fast_init(tx)

    def _transform(self):
        """The transform this object's own updates use (built once, reset by config changes)."""
        if self._tx is None:
            self._tx = self.to_optax()
            self._jit_step = jax.jit(self._step)
            self._state_defs = {}
        return self._tx

    def _reset_transform(self):
        self._tx = None

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Skips weight decay for the variables in ``var_list`` and names matching ``var_names``.

        Call it before the optimizer is built (and before ``compile``).  A name
        matches when any regex of ``var_names`` is found in the variable's name
        (``"bias"``, ``"gamma"``, ...), as in Keras; in the trainer's weight tree
        the name is the last key of the weight's path.

        Example:
            >>> opt = jl.optimizers.AdamW()
            >>> opt.exclude_from_weight_decay(var_names=["bias", "gamma"])
            >>> opt.to_optax()  # decays every weight but biases and norm scales
            GradientTransformation...
        """
        if self.built:
            raise StateError(
                f"{self._owner()}: exclude_from_weight_decay() can only be called before the "
                "optimizer is built."
            )
        self._exclude_vars = list(var_list or [])
        self._exclude_ids = {id(v) for v in self._exclude_vars}
        self._exclude_names = list(var_names or []) or None
        self._reset_transform()

    # ------------------------------------------------------------------ where the state lives
    def bind_state(self, get_state, set_state):
        """Connects this facade to live optax state held elsewhere (``compile`` calls it).

        ``iterations``, ``learning_rate``, ``variables``, ``build``, ``apply`` and
        ``set_weights`` then read the state through ``get_state()`` and write it
        through ``set_state(new_state)``.

        Example:
            >>> opt = jl.optimizers.SGD(learning_rate=0.5)
            >>> box = {"state": opt.to_optax().init({"w": jnp.zeros(2)})}
            >>> opt.bind_state(lambda: box["state"], lambda s: box.update(state=s))
            >>> opt.learning_rate = 0.25
            >>> float(jl.optimizers.get_hyperparam(box["state"], "learning_rate"))
            0.25
        """
        self._bound = (get_state, set_state)

    def _live_state(self):
        return self._own_state if self._bound is None else self._bound[0]()

    def _write_state(self, state):
        if self._bound is None:
            self._own_state = state
        else:
            self._bound[1](state)

    def state_leaf(self, index):
        """Array ``index`` of the live state (``None``: the step counter; 0 without state)."""
        state = self._live_state()
        if index is None:
            return jnp.zeros((), jnp.int32) if state is None else iterations(state)
        return jax.tree_util.tree_leaves(state)[index]

    def set_state_leaf(self, index, value):
        """Writes array ``index`` of the live state; ``False`` when there is no state yet."""
        state = self._live_state()
        if state is None:
            return False
        leaves, treedef = jax.tree_util.tree_flatten(state)
        if index is None:
            count = iterations(state)
            index = next(i for i, leaf in enumerate(leaves) if leaf is count)
        leaves[index] = value
        self._write_state(jax.tree_util.tree_unflatten(treedef, leaves))
        return True

    # ------------------------------------------------------------------ Keras's stateful API
    def build(self, variables):
        """Creates the optimizer state for ``variables`` (a list of Variables or arrays).

        The optax state is created over the Python list of their values, in that
        order; building again for the same list keeps the state.

        Example:
            >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)])
            >>> opt = jl.optimizers.Adam()
            >>> opt.build(model.trainable_variables)
            >>> len(opt.variables), int(opt.iterations)
            (11, 0)
        """
        variables = list(variables)
        if (self._built_vars is not None and self._live_state() is not None
                and [id(v) for v in variables] == [id(v) for v in self._built_vars]):
            return
        materialize_all([v for v in variables if isinstance(v, Variable)])
        self._built_vars = variables  # routing by path (Muon, MultiOptimizer) reads them
        self._write_state(self._transform().init([_value(v) for v in variables]))
        self.built = True

    @property
    def variables(self):
        """Handles on the arrays of the optimizer state (``[]`` before it exists).

        One :class:`~jaxlayers.optimizers.variables.StateVariable` per leaf of the
        optax state, in ``jax.tree_util.tree_leaves`` order: the order
        ``stateless_apply`` takes and returns them in.
        """
        state = self._live_state()
        if state is None:
            return []
        paths = jax.tree_util.tree_flatten_with_path(state)[0]
        cached = self._state_vars
        if cached is None or [(v.name, v.shape, v.dtype) for v in cached] != [
                (_leaf_name(p), tuple(np.shape(x)), jnp.asarray(x).dtype) for p, x in paths]:
            cached = [StateVariable(self, i, _leaf_name(p), np.shape(x), jnp.asarray(x).dtype)
                      for i, (p, x) in enumerate(paths)]
            self._state_vars = cached
        return list(cached)

    @property
    def iterations(self):
        """The number of updates applied so far, as a (scalar int) variable."""
        return self._iterations

    def _owner(self):
        return f"{type(self).__name__} '{self.name}'"

    def _state_def(self, params):
        """The treedef and leaf count of the state for ``params`` (from shapes alone)."""
        key = (jax.tree_util.tree_structure(params),
               tuple((np.shape(p), jnp.result_type(p)) for p in jax.tree_util.tree_leaves(params)))
        if key not in self._state_defs:
            shape = jax.eval_shape(self._transform().init, params)
            leaves, treedef = jax.tree_util.tree_flatten(shape)
            self._state_defs[key] = (treedef, len(leaves))
        return self._state_defs[key]

    def _step(self, state, grads, params):
        updates, state = self._transform().update(grads, state, params)
        new = optax.apply_updates(params, updates)
        built = self._built_vars
        if built is not None and isinstance(new, list) and len(new) == len(built):
            new = [v.constraint(p) if getattr(v, "constraint", None) is not None else p
                   for v, p in zip(built, new)]
        return new, state

    def stateless_apply(self, optimizer_variables, grads, trainable_variables):
        """One update, pure: ``(new_trainable_values, new_optimizer_values)``.

        Traceable (use it inside ``jax.jit``); nothing is assigned.

        Args:
            optimizer_variables: The state's arrays, in :attr:`variables` order.
            grads: One gradient per trainable value.
            trainable_variables: The current values of the trained weights, in the
                order the optimizer was built with.

        Returns:
            The updated trainable values and optimizer values, as lists.

        Raises:
            WeightsError: Lists of other lengths than the optimizer's.

        Example:
            >>> opt = jl.optimizers.SGD(learning_rate=0.5)
            >>> opt.build([jnp.ones(2)])
            >>> new_w, new_opt = opt.stateless_apply(
            ...     [v.value for v in opt.variables], [jnp.ones(2)], [jnp.ones(2)])
            >>> new_w[0].tolist(), int(new_opt[0])
            ([0.5, 0.5], 1)
        """
        owner = self._owner()
        params = [_value(v) for v in trainable_variables]
        grads = list(grads)
        if len(grads) != len(params):
            raise WeightsError(
                f"{owner}: stateless_apply needs one gradient per trainable variable: "
                f"{len(params)} variables. Received: {len(grads)} gradients."
            )
        self._check_grads(grads, trainable_variables)
        treedef, count = self._state_def(params)
        live = self._live_state()
        if live is not None and jax.tree_util.tree_structure(live) != treedef:
            # Same leaves in another order would pair moments with the wrong weights.
            raise WeightsError(
                f"{owner}: its state was built over another structure of weights than the "
                f"{len(params)} trainable values given to stateless_apply. Build it for "
                "them first: optimizer.build(model.trainable_variables)."
            )
        opt_values = [_value(v) for v in optimizer_variables]
        if len(opt_values) != count:
            raise WeightsError(
                f"{owner}: stateless_apply expects {count} optimizer variables (one per "
                f"array of optimizer.variables). Received: {len(opt_values)}."
            )
        state = jax.tree_util.tree_unflatten(treedef, opt_values)
        new, state = self._step(state, grads, params)
        return new, jax.tree_util.tree_leaves(state)

    def _check_grads(self, grads, variables):
        """Each gradient present and shaped as its variable (checked before any tracing of
        the update; inside a jitted step the shapes are static, so this costs nothing)."""
        missing = [getattr(v, "path", i) for i, (g, v) in enumerate(zip(grads, variables))
                   if g is None]
        if missing:
            raise ConfigError(
                f"{self._owner()}: every trainable variable needs a gradient. "
                f"Received: None for {missing}. Pass only the variables that have one."
            )
        for i, (g, v) in enumerate(zip(grads, variables)):
            if tuple(np.shape(g)) != tuple(np.shape(v)):
                raise ShapeError(
                    f"{self._owner()}: gradient {i} must have the shape of its variable "
                    f"{getattr(v, 'path', i)!r}, {tuple(np.shape(v))}. Received: shape "
                    f"{tuple(np.shape(g))}."
                )

    def apply_gradients(self, grads_and_vars):
        """Applies ``[(grad, variable), ...]`` in place; returns :attr:`iterations`.

        Example:
            >>> model = jl.Sequential([jl.Input((2,)), jl.layers.Dense(1)])
            >>> kernel, bias = model.trainable_variables
            >>> opt = jl.optimizers.SGD(learning_rate=1.0)
            >>> int(opt.apply_gradients([(jnp.ones((2, 1)), kernel), (jnp.ones(1), bias)]))
            1
        """
        pairs = list(grads_and_vars)
        self.apply([g for g, _ in pairs], [v for _, v in pairs])
        return self._iterations

    def apply(self, grads, trainable_variables=None):
        """Updates ``trainable_variables`` (Variables) in place with ``grads``.

        Builds the optimizer on first use.  Without ``trainable_variables``, the
        variables given to :meth:`build` are updated.

        Example:
            >>> model = jl.Sequential([jl.Input((2,)), jl.layers.Dense(1)])
            >>> opt = jl.optimizers.SGD(learning_rate=0.5)
            >>> opt.build(model.trainable_variables)
            >>> opt.apply([jnp.ones((2, 1)), jnp.ones(1)])
            >>> model.trainable_variables[1].numpy().tolist()
            [-0.5]
        """
        grads = list(grads)
        if not grads:
            return
        owner = self._owner()
        if trainable_variables is None:
            if self._built_vars is None:
                raise StateError(
                    f"{owner}: apply(grads) without variables needs a built optimizer. "
                    "Call optimizer.build(model.trainable_variables) first, or pass "
                    "apply(grads, trainable_variables)."
                )
            variables = self._built_vars
        else:
            variables = list(trainable_variables)
            self.build(variables)  # a no-op for the list it was built with
        if len(grads) != len(variables):
            raise WeightsError(
                f"{owner}: apply needs one gradient per variable: {len(variables)} variables. "
                f"Received: {len(grads)} gradients."
            )
        self._check_grads(grads, variables)
        self._transform()
        params = [_value(v) for v in variables]
        new, state = self._jit_step(self._live_state(), grads, params)
        self._write_state(state)
        for var, value in zip(variables, new):
            if isinstance(var, Variable):
                var.assign(value)
            else:
                raise ConfigTypeError(
                    f"{owner}: apply updates Variables in place; use stateless_apply for "
                    f"arrays. Received: a {type(var).__name__}."
                )

    def scale_loss(self, loss, optimizer_variables=None):
        """``loss`` times ``loss_scale_factor`` (unchanged without one), as in Keras.

        ``optimizer_variables`` (the state's arrays, inside a jitted step) is
        accepted for the same call as :class:`LossScaleOptimizer`'s, whose
        scale lives in the state; a fixed factor does not need them.

        Example:
            >>> float(jl.optimizers.SGD(loss_scale_factor=8.0).scale_loss(0.5))
            4.0
        """
        return loss if self.loss_scale_factor is None else loss * self.loss_scale_factor

    @property
    def moving_averages(self):
        """With ``use_ema``, the moving averages of the weights (in the built order).

        ``None`` without ``use_ema`` or before the state exists.
        """
        state = self._live_state()
        if not self.use_ema or state is None:
            return None
        return state.average

    def finalize_variable_values(self, var_list):
        """With ``use_ema``, copies the moving averages onto ``var_list`` (Keras's end of fit)."""
        averages = self.moving_averages
        if averages is None:
            return
        for var, value in zip(var_list, jax.tree_util.tree_leaves(averages)):
            var.assign(value)

    @property
    def learning_rate(self):
        """The current learning rate as a float (a schedule is evaluated at ``iterations``)."""
        if callable(self._learning_rate):
            return float(self._learning_rate(int(self.iterations)))
        state = self._live_state()
        if state is None:
            return self._learning_rate
        live = float(get_hyperparam(state, "learning_rate"))
        # Report the configured Python float while the live float32 value agrees with it.
        return self._learning_rate if np.float32(live) == np.float32(self._learning_rate) \
            else live

    @learning_rate.setter
    def learning_rate(self, value):
        owner = type(self).__name__
        if callable(value):
            if self._bound is not None or self._own_state is not None:
                raise ConfigError(
                    f"{owner} '{self.name}': a learning-rate schedule can only be set before "
                    "compile (it is part of the compiled transform). Received: a callable."
                )
            self._learning_rate = value
            self._reset_transform()
            return
        if callable(self._learning_rate):
            raise ConfigTypeError(
                f"{owner} '{self.name}' was created with a learning-rate schedule, so its "
                "learning rate is not settable. Create it with a float learning_rate to "
                f"change it during training. Received: learning_rate={value!r}."
            )
        value = _learning_rate(owner, value)
        self._learning_rate = value
        state = self._live_state()
        if state is not None:
            self._write_state(set_hyperparam(state, "learning_rate", value))

    def set_weights(self, weights):
        """Replaces the live optax state's arrays (in :attr:`variables` order)."""
        owner = self._owner()
        state = self._live_state()
        if state is None:
            raise WeightsError(
                f"{owner}: set_weights needs the optimizer state, which exists once the "
                "optimizer is built (optimizer.build(variables), or fit / train_on_batch)."
            )
        weights = [_value(w) for w in weights]
        self._write_state(fill_state(owner, state, weights, cast=True))

    def get_weights(self):
        """The optimizer state's arrays as NumPy arrays (``[]`` before it exists)."""
        return [np.asarray(v.value) for v in self.variables]

    # ------------------------------------------------------------------ config
    def _lr_config(self):
        lr = self._learning_rate
        if not callable(lr):
            return self.learning_rate
        if hasattr(lr, "get_config"):
            return serialization.serialize_object(lr, "jaxlayers.optimizers.schedules")
        key = serialization.get_registered_name(lr)
        if serialization.get_registered_object(key) is lr:
            return {"registered_name": key}
        raise SerializationError(
            f"{type(self).__name__} '{self.name}': its learning-rate schedule {lr!r} cannot "
            "be saved. Register the schedule function with "
            "jl.saving.register_serializable(), or give it a get_config()."
        )

    def get_config(self):
        """The constructor arguments, with Keras's keys."""
        return {
            "name": self.name,
            "learning_rate": self._lr_config(),
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuilds an optimizer from :meth:`get_config` output."""
        config = dict(config)
        lr = config.get("learning_rate")
        if isinstance(lr, dict):
            if "class_name" in lr:
                config["learning_rate"] = serialization.deserialize_object(
                    lr, "schedules", custom_objects, "learning-rate schedule")
            else:
                found = serialization.get_registered_object(lr.get("registered_name"),
                                                            custom_objects)
                if found is None:
                    raise SerializationError(
                        f"{cls.__name__}: unknown learning-rate schedule "
                        f"{lr.get('registered_name')!r}. Register it with "
                        "jl.saving.register_serializable or pass custom_objects={...}."
                    )
                config["learning_rate"] = found
        return cls(**config)

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r}, learning_rate={self._learning_rate!r})"


__all__ = ["Optimizer", "get_hyperparam", "set_hyperparam", "iterations", "fill_state"]
