"""Optimizers with the names, arguments and defaults of ``keras.optimizers``, built on optax.

Each class holds Keras's arguments; :meth:`Optimizer.to_optax` composes an
``optax.GradientTransformation`` from optax pieces in Keras's order: unscale
(``loss_scale_factor``), clip the gradients (``clipnorm`` / ``clipvalue`` /
``global_clipnorm``), decay the weights by ``learning_rate * weight_decay``
(outside any momentum, before the step reads them), then the optimizer's
scaled update; ``gradient_accumulation_steps`` wraps it in
``optax.MultiSteps`` and ``use_ema`` in a moving average of the weights.  The
chain is wrapped by ``optax.inject_hyperparams``, so the learning rate lives in
the optimizer state and can be changed between jitted steps without
recompiling.  Ftrl, Keras's Nadam schedule and the loss-scale bookkeeping,
which optax lacks, are small optax transforms of their own
(:mod:`~jaxlayers.optimizers.ftrl`, :mod:`~jaxlayers.optimizers.transforms`).

An optimizer is also Keras's stateful object: ``build(variables)``,
``variables``, ``iterations``, ``apply_gradients``, ``apply`` and the pure
``stateless_apply`` for hand-written ``jax.jit`` loops.
``compile(optimizer=...)`` accepts a Keras name, an :class:`Optimizer`, a config
dict, or any raw ``optax.GradientTransformation`` (used unchanged).

Example:
    >>> import jax.numpy as jnp, optax
    >>> from jaxlayers import optimizers
    >>> tx = optimizers.get("adam").to_optax()
    >>> params = {"w": jnp.ones(3)}
    >>> opt_state = tx.init(params)
    >>> updates, opt_state = tx.update({"w": jnp.ones(3)}, opt_state, params)
    >>> float(optimizers.get_hyperparam(opt_state, "learning_rate"))
    0.0010000000474974513
"""

import inspect

import optax

from jaxlayers.core import serialization
from jaxlayers.errors import ConfigError, ConfigTypeError, SerializationError
from jaxlayers.optimizers import schedules
from jaxlayers.optimizers.base import Optimizer
from jaxlayers.optimizers.builtin import (
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    Lion,
    Nadam,
    RMSprop,
)
from jaxlayers.optimizers.newer import Adafactor, Ftrl, Lamb, Muon, ScheduleFreeAdamW
from jaxlayers.optimizers.state import get_hyperparam, iterations, set_hyperparam
from jaxlayers.optimizers.wrappers import LossScaleOptimizer, MultiOptimizer, OptimizerMap

_CATEGORY = "optimizers"
_MODULE = "jaxlayers.optimizers"

# ----------------------------------------------------------------------------- lookup
_NAMES = {
    "sgd": SGD, "rmsprop": RMSprop, "adam": Adam, "adamw": AdamW, "adagrad": Adagrad,
    "adadelta": Adadelta, "adamax": Adamax, "nadam": Nadam, "lion": Lion, "ftrl": Ftrl,
    "lamb": Lamb, "adafactor": Adafactor, "muon": Muon, "schedulefreeadamw": ScheduleFreeAdamW,
}
_WRAPPERS = {cls.__name__: cls for cls in (LossScaleOptimizer, MultiOptimizer)}


def _class_for(name):
    cls = _NAMES.get(str(name).lower()) or _WRAPPERS.get(name)
    if cls is not None:
        return cls
    raise ConfigError(
        f"Unknown optimizer: {name!r}. Known names: {sorted(_NAMES)} (or the class names "
        f"{sorted(c.__name__ for c in _NAMES.values())}), a config dict, an Optimizer "
        "instance or an optax.GradientTransformation."
    )


def serialize(optimizer):
    """The config dict of ``optimizer`` (``{"module", "class_name", "config", ...}``).

    Args:
        optimizer: An optimizer instance.

    Example:
        >>> serialize(SGD(learning_rate=0.1, name="sgd"))["config"]["learning_rate"]
        0.1
    """
    if isinstance(optimizer, optax.GradientTransformation):
        raise SerializationError(
            "A raw optax transform has no config and cannot be serialized. Use a jaxlayers "
            "optimizer (e.g. jl.optimizers.Adam) to save the optimizer with the model."
        )
    return serialization.serialize_object(optimizer, _MODULE)


def deserialize(config, custom_objects=None):
    """Rebuilds an optimizer from a name or a :func:`serialize` dict (Keras's too).

    Args:
        config: A dict made by ``serialize`` / ``get_config``, or a name.
        custom_objects: Optional ``{name: object}`` for user-defined objects.

    Example:
        >>> deserialize({"class_name": "Adam", "config": {"learning_rate": 0.01}}).learning_rate
        0.01
    """
    if isinstance(config, str):
        return _class_for(config)()
    if isinstance(config, dict) and "class_name" in config:
        found = serialization.get_registered_object(
            config.get("registered_name") or config["class_name"], custom_objects)
        if found is None:
            config = {**config, "class_name": _class_for(config["class_name"]).__name__}
    with serialization.CustomObjectScope(custom_objects):
        return serialization.deserialize_object(config, _CATEGORY, custom_objects, "optimizer")


def get(identifier):
    """Resolves ``compile(optimizer=...)``.

    Args:
        identifier: A Keras name (``"adam"``, ``"sgd"``, ``"rmsprop"``, ...) or class
            name, an :class:`Optimizer` (returned as is), an
            ``optax.GradientTransformation`` (returned unchanged), a config dict, or a
            ``keras.optimizers`` instance (converted through its config).

    Returns:
        An :class:`Optimizer` or the given optax transform.

    Example:
        >>> get("adam").get_config()["epsilon"]
        1e-07
    """
    if isinstance(identifier, (Optimizer, optax.GradientTransformation)):
        return identifier
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if type(identifier).__module__.startswith("keras") and hasattr(identifier, "get_config"):
        # A Keras optimizer instance: rebuild the same configuration here.
        return deserialize({"class_name": type(identifier).__name__,
                            "config": identifier.get_config()})
    if inspect.isclass(identifier) and issubclass(identifier, Optimizer):
        return identifier()
    raise ConfigTypeError(
        "Could not interpret optimizer identifier: expected a name such as 'adam', an "
        "Optimizer, an optax.GradientTransformation or a config dict. Received: "
        f"identifier={identifier!r}."
    )


__all__ = [
    "Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax", "Nadam",
    "Lion", "Ftrl", "Lamb", "Adafactor", "Muon", "LossScaleOptimizer", "MultiOptimizer",
    "OptimizerMap", "ScheduleFreeAdamW", "get", "serialize", "deserialize", "get_hyperparam",
    "set_hyperparam", "iterations", "schedules",
]
