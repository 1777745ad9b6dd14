"""Optimizers around other optimizers: dynamic loss scaling, and routing weights by path.

:class:`LossScaleOptimizer` wraps one optimizer with
:func:`~jaxlayers.optimizers.transforms.dynamic_loss_scale`;
:class:`MultiOptimizer` routes each weight to the optimizer an
:class:`OptimizerMap` (or a function) picks from its path, through
``optax.multi_transform``.  The inner optimizers stay usable objects: each is
bound to its part of the wrapper's state, so its ``learning_rate`` and
``iterations`` read and write the live values.

Example:
    >>> O = jl.optimizers
    >>> opt = MultiOptimizer(OptimizerMap(O.SGD(0.1), {"encoder/.*": O.Adam()}))
    >>> [type(o).__name__ for o in opt.optimizers]
    ['Adam', 'SGD']
"""

from collections.abc import MutableMapping

import jax
import optax

from jaxlayers.core import args as _args
from jaxlayers.core import naming, serialization
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ConfigError, ConfigTypeError
from jaxlayers.optimizers.base import Optimizer
from jaxlayers.optimizers.fast_init import fast_init
from jaxlayers.optimizers.state import _number
from jaxlayers.optimizers.transforms import DynamicScaleState, dynamic_loss_scale


def _register(cls):
    return register_builtin("optimizers")(cls)


def _serialize(optimizer):
    return serialization.serialize_object(optimizer, "jaxlayers.optimizers")


def _deserialize(config, custom_objects):
    with serialization.CustomObjectScope(custom_objects):
        return serialization.deserialize_object(config, "optimizers", custom_objects,
                                                "optimizer")


def _bind_part(inner, outer, get_part, set_part):
    """Binds ``inner`` to the part of ``outer``'s live state that ``get_part`` reads."""

    def get():
        state = outer._live_state()
        return None if state is None else get_part(state)

    def put(part):
        outer._write_state(set_part(outer._live_state(), part))

    inner.bind_state(get, put)


@_register
class LossScaleOptimizer(Optimizer):
    """Dynamic loss scaling around ``inner_optimizer``, as Keras 3 does it.

    :meth:`scale_loss` multiplies the loss by the current scale; each update
    divides the gradients by it.  Non-finite gradients skip the update (the
    inner optimizer's state and ``iterations`` stay) and halve the scale;
    ``dynamic_growth_steps`` finite updates in a row double it.

    Args:
        inner_optimizer: The :class:`Optimizer` that does the updates.
        initial_scale: Starting loss scale.
        dynamic_growth_steps: Finite steps before the scale doubles.
        name: Name.
        **kwargs: Only Keras's ``dynamic=True`` is accepted.

    Example:
        >>> opt = LossScaleOptimizer(jl.optimizers.SGD(0.1), initial_scale=4.0)
        >>> float(opt.scale_loss(1.5))
        6.0
    """

    def __init__(self, inner_optimizer, initial_scale=2.0 ** 15, dynamic_growth_steps=2000,
                 name=None, **kwargs):
        owner = "LossScaleOptimizer"
        if not kwargs.pop("dynamic", True):
            raise ConfigError(
                f"{owner}: `dynamic=False` is not supported; set `loss_scale_factor` on the "
                "inner optimizer for a fixed scale. Received: dynamic=False."
            )
        if kwargs:
            raise ConfigError(
                f"{owner}: argument(s) not recognized: {sorted(kwargs)} (set optimizer "
                f"arguments on the inner optimizer). Received: {kwargs!r}."
            )
        if not isinstance(inner_optimizer, Optimizer) or isinstance(
                inner_optimizer, (LossScaleOptimizer, MultiOptimizer)):
            raise ConfigTypeError(
                f"{owner}: `inner_optimizer` must be a jaxlayers Optimizer (not a wrapper). "
                f"Received: inner_optimizer={inner_optimizer!r}."
            )
        super().__init__(0.0, name=name)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = _number(owner, "initial_scale", initial_scale)
        self.dynamic_growth_steps = _args.positive_int(owner, "dynamic_growth_steps",
                                                       dynamic_growth_steps)
        inner_optimizer.loss_scale_factor = None
        _bind_part(inner_optimizer, self, lambda s: s.inner_state,
                   lambda s, part: s._replace(inner_state=part))

    def to_optax(self):
        """The inner optimizer's transform inside ``dynamic_loss_scale``."""
        return fast_init(dynamic_loss_scale(self.inner_optimizer.to_optax(),
                                            self.initial_scale, self.dynamic_growth_steps))

    def build(self, variables):
        variables = list(variables)
        super().build(variables)
        self.inner_optimizer._built_vars = variables
        self.inner_optimizer.built = True

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self.inner_optimizer.learning_rate = value

    @property
    def dynamic_scale(self):
        """The current loss scale (``initial_scale`` before the state exists)."""
        state = self._live_state()
        return self.initial_scale if state is None else float(state.dynamic_scale)

    def scale_loss(self, loss, optimizer_variables=None):
        """``loss`` times the current scale.

        Args:
            loss: The loss.
            optimizer_variables: Inside a jitted step, the optimizer's arrays (in
                :attr:`variables` order) or its state: the scale is read from
                them instead of the live state.
        """
        if optimizer_variables is None:
            return loss * self.dynamic_scale
        if isinstance(optimizer_variables, DynamicScaleState):
            return loss * optimizer_variables.dynamic_scale
        return loss * optimizer_variables[1]  # (step_counter, dynamic_scale, inner...)

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    def get_config(self):
        return {"name": self.name, "inner_optimizer": _serialize(self.inner_optimizer),
                "initial_scale": self.initial_scale,
                "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        inner = _deserialize(config.pop("inner_optimizer"), custom_objects)
        return cls(inner, **config)


@_register
class OptimizerMap(MutableMapping):
    """Maps weight paths (exact, else regex ``fullmatch``) to optimizers, with a default.

    Args:
        default_optimizer: The optimizer of every weight no key matches.
        optimizer_map: ``{path_or_regex: optimizer}``.

    Example:
        >>> m = OptimizerMap(jl.optimizers.SGD(), {"encoder/.*": jl.optimizers.Adam()})
        >>> type(m["encoder/dense/kernel"]).__name__, type(m["head/kernel"]).__name__
        ('Adam', 'SGD')
    """

    def __init__(self, default_optimizer, optimizer_map=None):
        if not isinstance(default_optimizer, Optimizer):
            raise ConfigTypeError(
                "OptimizerMap: `default_optimizer` must be a jaxlayers Optimizer. "
                f"Received: default_optimizer={default_optimizer!r}."
            )
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise ConfigTypeError(
                "OptimizerMap: `optimizer_map` must be a dict. "
                f"Received: optimizer_map={optimizer_map!r}."
            )
        self._default_optimizer = default_optimizer
        self._optimizer_map = {}
        for key, opt in (optimizer_map or {}).items():
            self[key] = opt

    @property
    def default_optimizer(self):
        return self._default_optimizer

    def __getitem__(self, key):
        match = naming.matching_key("OptimizerMap", self._optimizer_map, key)
        return self._default_optimizer if match is None else self._optimizer_map[match]

    def __setitem__(self, key, optimizer):
        if not isinstance(key, str):
            raise ConfigTypeError(f"OptimizerMap: keys must be strings. Received: {key!r}.")
        if key in self._optimizer_map:
            raise ConfigError(f"OptimizerMap: key '{key}' is already mapped. Received: {key!r}.")
        if not isinstance(optimizer, Optimizer) or isinstance(
                optimizer, (LossScaleOptimizer, MultiOptimizer)):
            raise ConfigTypeError(
                "OptimizerMap: values must be jaxlayers Optimizers (not wrappers). "
                f"Received: {optimizer!r}."
            )
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key):
        del self._optimizer_map[key]

    def __len__(self):
        return len(self._optimizer_map)

    def __iter__(self):
        return iter(self._optimizer_map)

    def __call__(self, variable):
        return self[variable.path]

    def get_config(self):
        return {"default_optimizer": _serialize(self._default_optimizer),
                "optimizer_map": {k: _serialize(v) for k, v in self._optimizer_map.items()}}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        optimizer_map = config.get("optimizer_map") or {}
        if isinstance(optimizer_map, dict) and "config" in optimizer_map \
                and "class_name" in optimizer_map:  # Keras serializes the dict itself
            optimizer_map = optimizer_map["config"]
        return cls(_deserialize(config["default_optimizer"], custom_objects),
                   {k: _deserialize(v, custom_objects) for k, v in optimizer_map.items()})


class _WeightRef:
    """What a selector function sees for a weight known only by its path."""

    def __init__(self, name, path, shape):
        self.name, self.path, self.shape = name, path, shape


@_register
class MultiOptimizer(Optimizer):
    """Routes each weight to its own optimizer (``optax.multi_transform``).

    Args:
        optimizer_map: An :class:`OptimizerMap`, or a function
            ``variable -> optimizer`` (it sees ``.path``, ``.name``, ``.shape``).
        loss_scale_factor: Passed down to every inner optimizer.
        name: Name.

    Example:
        >>> model = jl.Sequential([jl.Input((2,)), jl.layers.Dense(1, name="head")])
        >>> sgd = jl.optimizers.SGD
        >>> opt = MultiOptimizer(OptimizerMap(sgd(0.5), {"head/bias": sgd(0.0)}))
        >>> opt.apply([jnp.ones((2, 1)), jnp.ones(1)], model.trainable_variables)
        >>> model.trainable_variables[1].numpy().tolist()  # the bias kept its value
        [0.0]
    """

    def __init__(self, optimizer_map, loss_scale_factor=None, name=None):
        super().__init__(0.0, loss_scale_factor=None, name=name)
        if not callable(optimizer_map):
            raise ConfigTypeError(
                "MultiOptimizer: `optimizer_map` must be an OptimizerMap or a function "
                f"variable -> optimizer. Received: optimizer_map={optimizer_map!r}."
            )
        self._optimizer_map = optimizer_map
        self._inner_optimizers = []
        if isinstance(optimizer_map, OptimizerMap):
            for opt in [*optimizer_map.values(), optimizer_map.default_optimizer]:
                self._adopt(opt)
        self.loss_scale_factor = loss_scale_factor

    @property
    def loss_scale_factor(self):
        return self.__dict__.get("_loss_scale", None)

    @loss_scale_factor.setter
    def loss_scale_factor(self, value):
        self.__dict__["_loss_scale"] = value
        for opt in self.__dict__.get("_inner_optimizers", []):
            opt.loss_scale_factor = value
            opt._reset_transform()

    def _adopt(self, opt):
        if any(opt is o for o in self._inner_optimizers):
            return
        if not isinstance(opt, Optimizer) or isinstance(opt, (LossScaleOptimizer,
                                                               MultiOptimizer)):
            raise ConfigTypeError(
                f"{self._owner()}: the optimizer of a weight must be a jaxlayers Optimizer "
                f"(not a wrapper). Received: {opt!r}."
            )
        opt.loss_scale_factor = self.loss_scale_factor
        label = str(len(self._inner_optimizers))
        self._inner_optimizers.append(opt)
        _bind_part(opt, self, lambda s: s.inner_states[label].inner_state,
                   lambda s, part: s._replace(inner_states={
                       **s.inner_states,
                       label: s.inner_states[label]._replace(inner_state=part)}))

    @property
    def optimizers(self):
        """The inner optimizers, in the order of their parts of the state."""
        return list(self._inner_optimizers)

    def _labels(self, params):
        cache = self.__dict__.setdefault("_label_of", {})

        def label(path, leaf):
            name, full, var = self._describe(path)
            if full not in cache:  # a selector may return a new optimizer on every call
                opt = self._optimizer_map(var if var is not None
                                          else _WeightRef(name, full, leaf.shape))
                self._adopt(opt)
                cache[full] = str(next(i for i, o in enumerate(self._inner_optimizers)
                                       if o is opt))
            return cache[full]

        return jax.tree_util.tree_map_with_path(label, params)

    def to_optax(self):
        """``optax.multi_transform`` over the inner optimizers' transforms."""
        inner = self

        def init(params):
            inner._labels(params)  # adopts the optimizers a selector function returns
            return inner._multi().init(params)

        def update(updates, state, params=None, **extra):
            return inner._multi().update(updates, state, params, **extra)

        return fast_init(optax.GradientTransformationExtraArgs(init, update))

    def _multi(self):
        return optax.multi_transform(
            {str(i): opt.to_optax() for i, opt in enumerate(self._inner_optimizers)},
            self._labels)

    def build(self, variables):
        variables = list(variables)
        self._built_vars = variables  # the labels read the weights' paths
        super().build(variables)
        for opt in self._inner_optimizers:
            opt._built_vars, opt.built = variables, True

    @property
    def learning_rate(self):
        raise AttributeError(
            f"{self._owner()}: a MultiOptimizer has no single learning rate; use "
            "optimizer.optimizers[i].learning_rate."
        )

    @learning_rate.setter
    def learning_rate(self, value):
        raise AttributeError(
            f"{self._owner()}: a MultiOptimizer has no single learning rate; set "
            "optimizer.optimizers[i].learning_rate."
        )

    def finalize_variable_values(self, var_list):
        var_list = list(var_list)
        labels = self._labels([v.value for v in var_list])
        for i, opt in enumerate(self._inner_optimizers):
            opt.finalize_variable_values([v for v, lab in zip(var_list, labels)
                                          if lab == str(i)])

    def get_config(self):
        if not isinstance(self._optimizer_map, OptimizerMap):
            raise ConfigTypeError(
                f"{self._owner()}: a selector function cannot be saved; use an OptimizerMap."
            )
        return {"optimizer_map": _serialize(self._optimizer_map),
                "loss_scale_factor": self.loss_scale_factor, "name": self.name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        mapping = config["optimizer_map"]
        if isinstance(mapping, dict):
            mapping = OptimizerMap.from_config(mapping.get("config", mapping), custom_objects)
        return cls(mapping, **{k: v for k, v in config.items() if k != "optimizer_map"})


__all__ = ["LossScaleOptimizer", "MultiOptimizer", "OptimizerMap"]
