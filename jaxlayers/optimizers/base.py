"""The optimizer base class and helpers that read and write injected optax hyperparameters.

Example:
    >>> tx = jl.optimizers.SGD(learning_rate=0.5).to_optax()
    >>> float(jl.optimizers.get_hyperparam(tx.init({"w": jnp.zeros(2)}), "learning_rate"))
    0.5
"""

import math
import numbers
import re

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxlayers import backend
from jaxlayers.core import serialization
from jaxlayers.core.layer import to_snake_case
from jaxlayers.errors import ConfigError, ConfigTypeError, SerializationError, WeightsError

_INJECT_STATES = (optax.InjectHyperparamsState, optax.InjectStatefulHyperparamsState)

# ----------------------------------------------------------------------------- validation
def _number(owner, name, value, low=0.0, high=math.inf, allow_none=False, high_open=False):
    """``value`` as a float in ``[low, high]`` (or ``[low, high)``), else a ConfigError."""
    if value is None and allow_none:
        return None
    ok = (not isinstance(value, bool) and isinstance(value, numbers.Real)
          and math.isfinite(value) and low <= value and (value < high if high_open
                                                         else value <= high))
    if not ok:
        bound = f"[{low}, {high})" if high_open else f"[{low}, {high}]"
        allowed = " or None" if allow_none else ""
        raise ConfigError(
            f"{owner}: `{name}` must be a finite float in {bound}{allowed}. "
            f"Received: {name}={value!r}."
        )
    return float(value)


def _learning_rate(owner, value):
    if callable(value):
        return value
    if isinstance(value, (np.ndarray, jax.Array)) and np.ndim(value) == 0:
        value = float(value)
    return _number(owner, "learning_rate", value)


# ----------------------------------------------------------------------------- state helpers
def _is_inject(node):
    return isinstance(node, _INJECT_STATES)


def _inject_states(opt_state):
    """Every InjectHyperparamsState in ``opt_state``, outermost first."""
    for node in jax.tree_util.tree_leaves(opt_state, is_leaf=_is_inject):
        if _is_inject(node):
            yield node
            yield from _inject_states(node.inner_state)


def _no_hyperparam(name):
    return ConfigError(
        f"The optimizer has no injectable '{name}' (a raw optax transform was given to "
        f"compile, or it does not inject '{name}'). Use a jaxlayers optimizer, e.g. "
        f"compile(optimizer=jl.optimizers.Adam(learning_rate=1e-3)), or wrap the optax "
        f"transform: optax.inject_hyperparams(optax.adam)(learning_rate=1e-3)."
    )


def get_hyperparam(opt_state, name):
    """The current value of an injected hyperparameter anywhere in ``opt_state``.

    Args:
        opt_state: An optax state, possibly nested (chains, masks, ``MultiSteps``).
        name: Hyperparameter name, e.g. ``"learning_rate"``.

    Returns:
        The scalar array stored by ``optax.inject_hyperparams``.

    Raises:
        ConfigError: No ``inject_hyperparams`` state holds ``name``.

    Example:
        >>> tx = jl.optimizers.SGD(learning_rate=0.5).to_optax()
        >>> float(jl.optimizers.get_hyperparam(tx.init({"w": jnp.zeros(2)}), "learning_rate"))
        0.5
    """
    for node in _inject_states(opt_state):
        if name in node.hyperparams:
            return node.hyperparams[name]
    raise _no_hyperparam(name)


def _replace_hyperparam(opt_state, name, value, done):
    def replace(node):
        if not _is_inject(node) or done:
            return node
        if name in node.hyperparams:
            if name in getattr(node, "hyperparams_states", {}):
                raise ConfigTypeError(
                    f"'{name}' follows a schedule given to the optimizer, so it cannot be set. "
                    f"Create the optimizer with a float {name} to change it during training."
                )
            done.append(True)
            old = node.hyperparams[name]
            new = jnp.asarray(value, dtype=jnp.asarray(old).dtype)
            return node._replace(hyperparams={**node.hyperparams, name: new})
        return node._replace(inner_state=_replace_hyperparam(node.inner_state, name, value,
                                                             done))

    return jax.tree_util.tree_map(replace, opt_state, is_leaf=_is_inject)


def set_hyperparam(opt_state, name, value):
    """A copy of ``opt_state`` with the injected hyperparameter ``name`` set to ``value``.

    The dtype and shape of the stored value are kept, so a jitted step that takes
    ``opt_state`` does not retrace.

    Args:
        opt_state: An optax state holding an ``inject_hyperparams`` state.
        name: Hyperparameter name, e.g. ``"learning_rate"``.
        value: The new scalar value.

    Returns:
        The new optax state (the input is not modified).

    Raises:
        ConfigError: No ``inject_hyperparams`` state holds ``name``.
        ConfigTypeError: The hyperparameter is driven by a schedule.

    Example:
        >>> tx = jl.optimizers.Adam().to_optax()
        >>> s = jl.optimizers.set_hyperparam(tx.init({"w": jnp.zeros(2)}), "learning_rate", 0.1)
        >>> round(float(jl.optimizers.get_hyperparam(s, "learning_rate")), 6)
        0.1
    """
    done = []
    new_state = _replace_hyperparam(opt_state, name, value, done)
    if not done:
        raise _no_hyperparam(name)
    return new_state


def _has_count(node):
    return hasattr(node, "_fields") and "count" in node._fields


def iterations(opt_state):
    """The number of optimizer updates applied so far (a scalar int array).

    Read from the outermost ``inject_hyperparams`` state, else from the first
    optax state with a ``count`` field (e.g. ``ScaleByAdamState``).

    Example:
        >>> tx = jl.optimizers.SGD().to_optax()
        >>> int(jl.optimizers.iterations(tx.init({"w": jnp.zeros(2)})))
        0
    """
    for node in _inject_states(opt_state):
        return node.count
    for node in jax.tree_util.tree_leaves(opt_state, is_leaf=_has_count):
        if _has_count(node):
            return node.count
    raise ConfigError(
        "The optimizer state has no step counter: it holds no optax state with a `count` "
        "(e.g. a bare optax.sgd without momentum). Wrap the transform with "
        "optax.inject_hyperparams to count steps."
    )


def _per_tensor_clip(clipnorm):
    """Scales each gradient array to L2 norm at most ``clipnorm`` (Keras's ``clipnorm``)."""

    def clip(g, _params):
        norm = jnp.sqrt(jnp.sum(jnp.square(g)))
        return g * clipnorm / jnp.maximum(norm, clipnorm)

    return optax.stateless_with_tree_map(clip)


def fill_state(owner, state, leaves, cast=False):
    """``state`` with its leaves replaced by ``leaves`` (in ``tree_leaves`` order), checked.

    Args:
        owner: Who is asking, for messages.
        state: The optax state whose structure, leaf count and shapes are kept.
        leaves: The new arrays: a list, or any pytree with the same leaves.
        cast: Cast each new array to the dtype of the leaf it replaces.

    Raises:
        WeightsError: A different number of arrays, or an array of another shape.

    Example:
        >>> state = jl.optimizers.SGD().to_optax().init({"w": jnp.zeros(2)})
        >>> new = fill_state("me", state, jax.tree_util.tree_leaves(state))
        >>> jax.tree_util.tree_structure(new) == jax.tree_util.tree_structure(state)
        True
    """
    old_leaves, treedef = jax.tree_util.tree_flatten(state)
    new_leaves = jax.tree_util.tree_leaves(leaves)
    if len(new_leaves) != len(old_leaves):
        raise WeightsError(
            f"{owner}: expected {len(old_leaves)} arrays for the optimizer state. Received: "
            f"{len(new_leaves)} arrays."
        )
    for i, (old, new) in enumerate(zip(old_leaves, new_leaves)):
        if np.shape(old) != np.shape(new):
            raise WeightsError(
                f"{owner}: optimizer state array {i} has shape {np.shape(old)}. "
                f"Received: shape {np.shape(new)}."
            )
    if cast:
        new_leaves = [jnp.asarray(new, dtype=jnp.asarray(old).dtype)
                      for old, new in zip(old_leaves, new_leaves)]
    return jax.tree_util.tree_unflatten(treedef, new_leaves)


# ----------------------------------------------------------------------------- base class
class Optimizer:
    """Base class: Keras optimizer arguments, compiled to an optax transform.

    Subclasses implement ``_update(learning_rate)``, returning the optax transform
    that maps clipped gradients to the final (negative, learning-rate scaled)
    updates.  This base adds clipping, weight decay, ``inject_hyperparams`` and
    gradient accumulation.

    Args:
        learning_rate: Float >= 0, or a schedule ``step -> lr`` (any callable,
            e.g. an optax schedule), evaluated once per update at the step count.
        weight_decay: If set, each update also does ``w -= learning_rate *
            weight_decay * w`` (decoupled, as in Keras).
        clipnorm: If set, each gradient array is scaled to L2 norm at most this.
        clipvalue: If set, gradients are clipped elementwise to ``[-v, v]``.
        global_clipnorm: If set, all gradients are scaled together so that their
            global L2 norm is at most this.  At most one of the three clip arguments.
        use_ema: Only ``False`` is supported (Keras's weight EMA has no optax piece).
        ema_momentum: Accepted for config compatibility.
        ema_overwrite_frequency: Accepted for config compatibility.
        loss_scale_factor: Only ``None`` is supported; for float16 loss scaling use
            ``optax.contrib`` / ``jmp`` loss scaling around the transform.
        gradient_accumulation_steps: Int >= 2: average gradients over this many
            steps and apply them once (``optax.MultiSteps``).  The step count and any
            schedule then count applied updates, where Keras counts every batch.
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
        if use_ema:
            raise ConfigError(
                f"{owner}: `use_ema=True` is not supported (optax has no model-weight EMA "
                "that overwrites the weights). Keep an EMA of params yourself with "
                f"optax.incremental_update. Received: use_ema={use_ema!r}."
            )
        if loss_scale_factor is not None:
            raise ConfigError(
                f"{owner}: `loss_scale_factor` is not supported; float32 training needs no "
                "loss scaling. Received: "
                f"loss_scale_factor={loss_scale_factor!r}."
            )
        if gradient_accumulation_steps is not None and (
                isinstance(gradient_accumulation_steps, bool)
                or not isinstance(gradient_accumulation_steps, int)
                or gradient_accumulation_steps < 2):
            raise ConfigError(
                f"{owner}: `gradient_accumulation_steps` must be an int >= 2 or None. "
                f"Received: gradient_accumulation_steps={gradient_accumulation_steps!r}."
            )
        self.use_ema = False
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = None
        self.gradient_accumulation_steps = gradient_accumulation_steps
        if name is None:
            name = backend.unique_name(to_snake_case(owner))
        self.name = name
        self._exclude_names = None
        self._get_state = None
        self._set_state = None

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

    def _decay_mask(self, params):
        patterns = self._exclude_names

        def keep(path, _):
            leaf_name = str(getattr(path[-1], "key", getattr(path[-1], "name", path[-1])))
            return not any(re.search(p, leaf_name) for p in patterns)

        return jax.tree_util.tree_map_with_path(keep, params)

    def _chain(self, learning_rate):
        clip = self._clip()
        parts = [] if clip is None else [clip]
        parts.append(self._update(learning_rate))
        if self.weight_decay:
            # Keras decays the variable itself (w -= lr * wd * w), outside any momentum,
            # so the decay term is added to the final, already lr-scaled update.
            mask = self._decay_mask if self._exclude_names else None
            parts.append(optax.add_decayed_weights(-learning_rate * self.weight_decay,
                                                   mask=mask))
        return optax.chain(*parts)

    def to_optax(self):
        """The ``optax.GradientTransformation`` for this configuration.

        The learning rate is injected (``optax.inject_hyperparams``); ``init`` uses the
        optimizer's learning rate at the time it is called.

        Example:
            >>> tx = jl.optimizers.SGD(learning_rate=0.1).to_optax()
            >>> s = tx.init({"w": jnp.ones(2)})
            >>> u, s = tx.update({"w": jnp.ones(2)}, s, {"w": jnp.ones(2)})
            >>> u["w"].tolist()
            [-0.10000000149011612, -0.10000000149011612]
        """
        inner = optax.inject_hyperparams(self._chain)(learning_rate=self._learning_rate)

        def init(params):
            state = inner.init(params)
            if not callable(self._learning_rate):
                state = set_hyperparam(state, "learning_rate", self._learning_rate)
            return state

        tx = optax.GradientTransformationExtraArgs(init, inner.update)
        if self.gradient_accumulation_steps:
            tx = optax.MultiSteps(tx, every_k_schedule=self.gradient_accumulation_steps)
            tx = tx.gradient_transformation()
        return tx

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Skips weight decay for weights whose name matches any regex in ``var_names``.

        Call it before ``compile``.  The weight name is the last key of its path in
        ``params`` (``"bias"``, ``"gamma"``, ...), as Keras matches ``variable.name``.

        Example:
            >>> opt = jl.optimizers.AdamW()
            >>> opt.exclude_from_weight_decay(var_names=["bias", "gamma"])
            >>> opt.to_optax()  # decays every weight but biases and norm scales
            GradientTransformation...
        """
        if var_list is not None:
            raise ConfigError(
                f"{type(self).__name__}.exclude_from_weight_decay: `var_list` is not "
                "supported (weights are arrays in a pytree here); pass regexes of weight "
                f"names as var_names=[...]. Received: var_list={var_list!r}."
            )
        self._exclude_names = list(var_names or []) or None

    # ------------------------------------------------------------------ live state
    def bind_state(self, get_state, set_state):
        """Connects this facade to live optax state held elsewhere (``compile`` calls it).

        ``iterations``, ``learning_rate``, ``variables`` and ``set_weights`` then
        read the state through ``get_state()`` and write it through
        ``set_state(new_state)``.

        Example:
            >>> opt = jl.optimizers.SGD(learning_rate=0.5)
            >>> box = {"state": opt.to_optax().init({"w": jnp.zeros(2)})}
            >>> opt.bind_state(lambda: box["state"], lambda s: box.update(state=s))
            >>> opt.learning_rate = 0.25
            >>> float(jl.optimizers.get_hyperparam(box["state"], "learning_rate"))
            0.25
        """
        self._get_state = get_state
        self._set_state = set_state

    def _live_state(self):
        return None if self._get_state is None else self._get_state()

    @property
    def iterations(self):
        """Number of updates applied so far (0 before the first update)."""
        state = self._live_state()
        return 0 if state is None else int(iterations(state))

    @property
    def learning_rate(self):
        """The current learning rate as a float (a schedule is evaluated at ``iterations``)."""
        if callable(self._learning_rate):
            return float(self._learning_rate(self.iterations))
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
            if self._get_state is not None:
                raise ConfigError(
                    f"{owner} '{self.name}': a learning-rate schedule can only be set before "
                    "compile (it is part of the compiled transform). Received: a callable."
                )
            self._learning_rate = value
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
            self._set_state(set_hyperparam(state, "learning_rate", value))

    @property
    def variables(self):
        """The leaves of the live optax state as NumPy arrays (``[]`` before training)."""
        state = self._live_state()
        if state is None:
            return []
        return [np.asarray(x) for x in jax.tree_util.tree_leaves(state)]

    def set_weights(self, weights):
        """Replaces the live optax state's leaves (as returned by :attr:`variables`)."""
        owner = f"{type(self).__name__} '{self.name}'"
        state = self._live_state()
        if state is None:
            raise WeightsError(
                f"{owner}: set_weights needs the optimizer state, which exists once the "
                "model is compiled and training has started (fit / train_on_batch)."
            )
        self._set_state(fill_state(owner, state, weights, cast=True))

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
