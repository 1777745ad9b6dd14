"""The one mapping between an optax optimizer state and Keras 3's optimizer variables.

Keras saves an optimizer as a flat list (``optimizer/vars/0..n`` in a
``.weights.h5``): ``iteration``, ``learning_rate`` (absent when it follows a
schedule), then slot variables built per trainable variable.  One
``add_optimizer_variables`` call makes a block that interleaves its slots per
variable (Adam: ``m0, v0, m1, v1, ...``); separate calls make consecutive
blocks (RMSprop: all velocities, then all momentums).  jaxlayers keeps the
same quantities in an optax state tree; this module finds each slot by the
optax state type and field that hold it (``ScaleByAdamState.mu`` is Adam's
``momentum``) and reads or writes it per trainable weight, in the order of
``model.trainable_weights``, which is Keras's.  Every step counter in the
state takes Keras's ``iteration``.  Keras's Nadam keeps the running product of
its momentum schedule last (``u_product``); jaxlayers' Nadam state holds the
same product, which moves both ways as it is.
"""

import warnings

import jax
import jax.numpy as jnp
import numpy as np

from jaxlayers.core import tracking
from jaxlayers.distribution import multihost
from jaxlayers.errors import SerializationError
from jaxlayers.optimizers import get_hyperparam, iterations, set_hyperparam

# Where optax keeps each Keras slot variable: (state type name, field), first found wins.
_FIELDS = {
    "momentum": (("TraceState", "trace"), ("ScaleByAdamState", "mu"), ("KerasNadamState", "mu"),
                 ("ScaleByLionState", "mu"), ("ScaleByAmsgradState", "mu")),
    "velocity": (("ScaleByAdamState", "nu"), ("KerasNadamState", "nu"),
                 ("ScaleByAmsgradState", "nu"), ("ScaleByRStdDevState", "nu"),
                 ("ScaleByRmsState", "nu")),
    "velocity_hat": (("ScaleByAmsgradState", "nu_max"),),
    "norm": (("ScaleByAdamState", "nu"),),
    "average_gradient": (("ScaleByRStdDevState", "mu"),),
    "accumulator": (("ScaleByRssState", "sum_of_squares"),),
    "accumulated_grad": (("ScaleByAdaDeltaState", "e_g"),),
    "accumulated_delta_var": (("ScaleByAdaDeltaState", "e_x"),),
}


def _blocks(class_name, config):
    """Keras's slot blocks for an optimizer class, or ``None`` if not mapped."""
    if class_name == "SGD":
        return [("momentum",)] if config.get("momentum") else []
    if class_name in ("Adam", "AdamW"):
        return [("momentum", "velocity")] + ([("velocity_hat",)] if config.get("amsgrad")
                                             else [])
    if class_name == "Nadam":
        return [("momentum", "velocity")]
    if class_name == "RMSprop":
        return ([("velocity",)] + ([("momentum",)] if config.get("momentum") else [])
                + ([("average_gradient",)] if config.get("centered") else []))
    if class_name == "Adagrad":
        return [("accumulator",)]
    if class_name == "Adadelta":
        return [("accumulated_grad", "accumulated_delta_var")]
    if class_name == "Adamax":
        return [("momentum", "norm")]
    if class_name == "Lion":
        return [("momentum",)]
    return None


def _is_state(node):
    return hasattr(node, "_fields") and type(node).__name__ in {
        t for options in _FIELDS.values() for t, _ in options}


def _nadam_state(opt_state, owner):
    nodes = [n for n in jax.tree_util.tree_leaves(opt_state, is_leaf=_is_state)
             if type(n).__name__ == "KerasNadamState"]
    if len(nodes) != 1:
        raise SerializationError(
            f"{owner}: its optax state has {len(nodes)} Nadam states; Keras's layout needs one.")
    return nodes[0]


def _find(opt_state, slot, owner):
    for type_name, field in _FIELDS[slot]:
        nodes = [n for n in jax.tree_util.tree_leaves(opt_state, is_leaf=_is_state)
                 if _is_state(n) and type(n).__name__ == type_name]
        if len(nodes) == 1:
            return type_name, field
        if len(nodes) > 1:
            break
    raise SerializationError(
        f"{owner}: its optax state keeps Keras's '{slot}' variables in no single known place, "
        "so its optimizer state cannot be written in Keras's layout."
    )


class _Layout:
    """The Keras variable list of one compiled model's optimizer."""

    def __init__(self, model):
        self.optimizer = getattr(model, "optimizer", None)
        config = self.optimizer.get_config() if hasattr(self.optimizer, "get_config") else {}
        self.owner = f"optimizer {type(self.optimizer).__name__}"
        self.class_name = type(self.optimizer).__name__
        self.blocks = _blocks(self.class_name, config)
        self.config = config
        if self.blocks is not None and (config.get("use_ema")
                                        or config.get("gradient_accumulation_steps")):
            self.blocks = None  # Keras adds EMA or accumulator variables not mapped here
        state = model.training_state(init_optimizer=True)
        self.state = state["optimizer_state"]
        self.paths = state["trained_paths"]
        self.has_lr = isinstance(config.get("learning_rate"), (int, float))

    @property
    def supported(self):
        return self.blocks is not None

    def count(self):
        slots = sum(len(block) for block in self.blocks) * len(self.paths)
        return 1 + int(self.has_lr) + slots + int(self.class_name == "Nadam")

    def _per_weight(self, tree):
        if isinstance(tree, dict):
            return [tracking.get_path(tree, path, "optimizer state", self.owner)
                    for path in self.paths]
        return list(tree)

    def _field(self, state, slot):
        type_name, field = _find(state, slot, self.owner)
        node = next(n for n in jax.tree_util.tree_leaves(state, is_leaf=_is_state)
                    if type(n).__name__ == type_name)
        return self._per_weight(getattr(node, field))

    def to_keras(self, state=None):
        """The optimizer variables as Keras orders them (NumPy arrays)."""
        state = self.state if state is None else state
        step = int(iterations(state))
        out = [np.asarray(step, np.int64)]
        if self.has_lr:
            out.append(np.asarray(get_hyperparam(state, "learning_rate"), np.float32))
        for block in self.blocks:
            columns = [self._field(state, slot) for slot in block]
            for i in range(len(self.paths)):
                out.extend(multihost.to_host_array(column[i]) for column in columns)
        if self.class_name == "Nadam":
            out.append(np.asarray(_nadam_state(state, self.owner).u_product, np.float32))
        return out

    def from_keras(self, arrays):
        """A copy of the fresh optax state filled from Keras's variable list."""
        arrays = list(arrays)
        step = int(np.asarray(arrays[0]))
        state = self.state
        if self.has_lr:
            state = set_hyperparam(state, "learning_rate", float(np.asarray(arrays[1])))
        slots = arrays[1 + int(self.has_lr):]
        values = {}
        for block in self.blocks:
            for _ in self.paths:
                for slot in block:
                    values.setdefault(slot, []).append(slots.pop(0))
        replacements = {}
        for slot, per_weight in values.items():
            type_name, field = _find(state, slot, self.owner)
            replacements.setdefault(type_name, {})[field] = per_weight

        def fill(node):
            if _is_state(node) and type(node).__name__ in replacements:
                changes = {}
                for field, per_weight in replacements[type(node).__name__].items():
                    changes[field] = (per_weight if field == "u_product"
                                      else self._rebuild(getattr(node, field), per_weight))
                node = node._replace(**changes)
            return node

        if self.class_name == "Nadam":
            product = jnp.asarray(np.asarray(arrays[-1]), jnp.float32).reshape(())
            replacements.setdefault("KerasNadamState", {})["u_product"] = product
        state = jax.tree_util.tree_map(fill, state, is_leaf=_is_state)
        return _set_counts(state, step)

    def _rebuild(self, tree, per_weight):
        old = self._per_weight(tree)
        new = [jnp.asarray(v, dtype=o.dtype).reshape(o.shape) for o, v in zip(old, per_weight)]
        if isinstance(tree, dict):
            out = jax.tree_util.tree_map(lambda x: x, tree)
            for path, value in zip(self.paths, new):
                tracking.set_path(out, path, value)
            return out
        return type(tree)(new)


def _set_counts(node, step):
    """``node`` with every optax step counter (``count`` fields) set to ``step``."""
    if hasattr(node, "_fields"):
        values = {f: _set_counts(getattr(node, f), step) for f in node._fields}
        if "count" in node._fields:
            values["count"] = jnp.asarray(step, dtype=jnp.asarray(node.count).dtype)
        return node._replace(**values)
    if isinstance(node, (list, tuple)):
        return type(node)(_set_counts(n, step) for n in node)
    if isinstance(node, dict):
        return {k: _set_counts(v, step) for k, v in node.items()}
    return node


def keras_optimizer_variables(model):
    """``(optimizer name, [arrays])`` in Keras's layout, or ``None``.

    Args:
        model: A compiled model (``None`` when it has no optimizer Keras knows).

    Returns:
        The optimizer's name and its variables in Keras's order (iterations,
        learning rate, then the slots).

    Example:
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> name, arrays = keras_optimizer_variables(model)
        >>> name, [float(a) for a in arrays]
        ('sgd', [0.0, 0.009999999776482582])
    """
    if not getattr(model, "compiled", False) or getattr(model, "optimizer", None) is None:
        return None
    layout = _Layout(model)
    if not layout.supported:
        return None
    name = layout.config.get("name") or layout.class_name.lower()
    return name, layout.to_keras()


def restore_keras_optimizer(model, arrays, source):
    """Puts Keras's optimizer variables into the compiled ``model``'s optax state.

    Args:
        model: A compiled model.
        arrays: The variables in Keras's layout (:func:`keras_optimizer_variables`).
        source: How messages name the file.

    Returns:
        Whether the state was restored (``False`` for an optimizer whose
        layout Keras does not share).

    Raises:
        ArchiveError: The arrays do not fit the model's optimizer.

    Example:
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> name, arrays = keras_optimizer_variables(model)
        >>> restore_keras_optimizer(model, [np.array(7), arrays[1]], "demo")
        True
        >>> int(model.optimizer.iterations)
        7
    """
    layout = _Layout(model)
    if not layout.supported:
        warnings.warn(f"{source}: the optimizer state of {layout.owner} was not restored "
                      "(no Keras layout mapping); training restarts its moments.", stacklevel=3)
        return False
    expected = layout.count()
    if len(arrays) != expected:
        warnings.warn(
            f"{source}: the file holds {len(arrays)} optimizer variables but "
            f"{layout.owner} of this model has {expected}; the optimizer state was not "
            "restored (as Keras skips it).", stacklevel=3)
        return False
    want = layout.to_keras()
    for i, (got, ref) in enumerate(zip(arrays, want)):
        if np.shape(got) != np.shape(ref):
            warnings.warn(
                f"{source}: optimizer variable {i} has shape {np.shape(got)} but "
                f"{layout.owner} expects {np.shape(ref)}; the optimizer state was not "
                "restored.", stacklevel=3)
            return False
    model.restore_training_state(optimizer_state=layout.from_keras(arrays))
    return True


__all__ = ["keras_optimizer_variables", "restore_keras_optimizer"]
