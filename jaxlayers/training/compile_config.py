"""What ``compile`` was given, as JSON data: the trainer's ``get_compile_config``.

Names stay names and objects become their configs (never code): the optimizer
through ``jaxlayers.optimizers.serialize``, losses and metrics through their
registries.  :func:`compile_kwargs` turns such a config back into the keyword
arguments of ``compile``.
"""

import inspect
import warnings

from jaxlayers import optimizers as optimizers_lib
from jaxlayers.errors import SerializationError
from jaxlayers.training import losses as losses_lib
from jaxlayers.training import metrics as metrics_lib


def _serialize_spec(spec, kind):
    """Losses / metrics given to ``compile``: names stay names, objects become configs."""
    if spec is None or isinstance(spec, str):
        return spec
    if isinstance(spec, dict):
        return {str(k): _serialize_spec(v, kind) for k, v in spec.items()}
    if isinstance(spec, (list, tuple)):
        return [_serialize_spec(v, kind) for v in spec]
    if kind == "loss":
        return losses_lib.serialize(spec)
    if isinstance(spec, metrics_lib.Metric):
        return metrics_lib.serialize(spec)
    if callable(spec) and not inspect.isclass(spec):
        return metrics_lib.reduction.function_name(spec)
    raise SerializationError(f"Cannot serialize the {kind} {spec!r} given to compile().")


def _deserialize_spec(spec, kind):
    if spec is None or isinstance(spec, (str, int, float, bool)):
        return spec
    if isinstance(spec, dict) and "class_name" in spec:
        return (losses_lib.deserialize(spec) if kind == "loss"
                else metrics_lib.deserialize(spec))
    if isinstance(spec, dict):
        return {k: _deserialize_spec(v, kind) for k, v in spec.items()}
    if isinstance(spec, list):
        return [_deserialize_spec(v, kind) for v in spec]
    raise SerializationError(f"Could not read the {kind} entry {spec!r} of compile_config.")


def _serialize_optimizer(optimizer):
    if isinstance(optimizer, str):
        return optimizer
    if not hasattr(optimizer, "get_config"):
        return None
    return optimizers_lib.serialize(optimizer)


def compile_config(owner, args):
    """The JSON form of the ``compile`` arguments ``args``.

    Args:
        owner: ``"Sequential 'name'"``, for warnings.
        args: Dict with the ``optimizer``, ``loss``, ``loss_weights``,
            ``metrics``, ``weighted_metrics``, ``run_eagerly`` and
            ``steps_per_execution`` the model was compiled with.

    An optimizer without a config (a raw optax transform) is stored as
    ``None`` with a warning: such a model loads uncompiled.

    Returns:
        A dict of JSON data (names and configs).

    Example:
        >>> args = dict(optimizer="sgd", loss="mse", loss_weights=None, metrics=["mae"],
        ...             weighted_metrics=None, run_eagerly=False, steps_per_execution=1)
        >>> config = compile_config("model", args)
        >>> config["optimizer"], config["metrics"]
        ('sgd', ['mae'])
    """
    optimizer = args["optimizer"]
    try:
        optimizer_config = _serialize_optimizer(optimizer)
    except Exception as e:  # noqa: BLE001 - a custom optimizer without a config
        warnings.warn(f"{owner}: the optimizer could not be serialized ({e}); the file "
                      "will load uncompiled.", stacklevel=3)
        optimizer_config = None
    if optimizer_config is None:
        warnings.warn(
            f"{owner}: the optimizer {optimizer!r} has no config (a raw optax "
            "transformation?), so it is not saved and the model will load uncompiled. Pass "
            "a jaxlayers optimizer (jl.optimizers.Adam(...)) or a name to save it.",
            stacklevel=3)
    return {
        "optimizer": optimizer_config,
        "loss": _serialize_spec(args["loss"], "loss"),
        "loss_weights": args["loss_weights"],
        "metrics": _serialize_spec(args["metrics"], "metric"),
        "weighted_metrics": _serialize_spec(args["weighted_metrics"], "metric"),
        "run_eagerly": bool(args["run_eagerly"]),
        "steps_per_execution": args["steps_per_execution"],
    }


def compile_kwargs(config):
    """The keyword arguments of ``compile`` described by a :func:`compile_config` dict.

    Args:
        config: A dict made by :func:`compile_config` (read from a file).

    Returns:
        The keyword arguments for ``model.compile``.

    Raises:
        SerializationError: The config holds no optimizer, or an entry that
            does not name a known loss, metric or optimizer.

    Example:
        >>> compile_kwargs({"optimizer": "sgd", "loss": "mse", "metrics": ["mae"]})["metrics"]
        ['mae']
    """
    if config.get("optimizer") is None:
        raise SerializationError("the file holds no optimizer config")
    opt = config["optimizer"]
    kwargs = {"optimizer": opt if isinstance(opt, str) else optimizers_lib.deserialize(opt),
              "loss": _deserialize_spec(config.get("loss"), "loss"),
              "loss_weights": config.get("loss_weights"),
              "metrics": _deserialize_spec(config.get("metrics"), "metric"),
              "weighted_metrics": _deserialize_spec(config.get("weighted_metrics"), "metric")}
    if isinstance(config.get("steps_per_execution"), int):
        kwargs["steps_per_execution"] = config["steps_per_execution"]
    if config.get("run_eagerly"):
        kwargs["run_eagerly"] = True
    return kwargs


__all__ = ["compile_config", "compile_kwargs"]
