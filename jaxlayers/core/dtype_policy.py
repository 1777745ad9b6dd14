"""Dtype policies: the dtype weights are stored in and the dtype math runs in."""

import jax.numpy as jnp

from jaxlayers import backend
from jaxlayers.errors import ConfigError

_MIXED = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}


class DTypePolicy:
    """``DTypePolicy('float32')`` or a mixed policy such as ``'mixed_bfloat16'``.

    A mixed policy stores weights in float32 and computes in the half type;
    weights are cast when read inside ``call`` and floating inputs are cast
    to the compute dtype.

    Example:
        >>> p = jl.DTypePolicy("mixed_bfloat16")
        >>> p.variable_dtype, p.compute_dtype
        ('float32', 'bfloat16')
    """

    def __init__(self, name=None):
        name = backend.floatx() if name is None else name
        if isinstance(name, DTypePolicy):
            name = name.name
        if not isinstance(name, str):
            try:
                name = jnp.dtype(name).name
            except TypeError as e:
                raise ConfigError(
                    f"DTypePolicy: expected a dtype name such as 'float32' or "
                    f"'mixed_bfloat16'. Received: name={name!r}."
                ) from e
        if name in _MIXED:
            self._compute, self._variable = _MIXED[name], "float32"
        else:
            try:
                dtype = jnp.dtype(name).name
            except TypeError as e:
                raise ConfigError(
                    f"DTypePolicy: unknown dtype. Expected a dtype name such as 'float32', "
                    f"'bfloat16' or 'mixed_bfloat16'. Received: name={name!r}."
                ) from e
            self._compute = self._variable = dtype
        self.name = name

    @property
    def compute_dtype(self):
        return self._compute

    @property
    def variable_dtype(self):
        return self._variable

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return f'<DTypePolicy "{self.name}">'


# The policy of layers created with ``dtype=None`` (``None``: ``floatx()`` at their creation).
_global = {"policy": None}


def set_global_policy(policy):
    """Sets the policy of layers created later with ``dtype=None`` (``None`` resets it).

    Example:
        >>> set_global_policy("mixed_bfloat16")
        >>> global_policy().compute_dtype
        'bfloat16'
        >>> set_global_policy(None)
    """
    _global["policy"] = None if policy is None else get(policy)


def global_policy():
    """The policy of layers created with ``dtype=None``: the one set, else ``floatx()``'s."""
    return _global["policy"] or DTypePolicy(backend.floatx())


def get(identifier):
    """A policy from ``None`` (the global policy), a name, a dtype, a dict config or a policy."""
    if identifier is None:
        return global_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        inner = identifier.get("config", identifier)
        return DTypePolicy(inner.get("name"))
    return DTypePolicy(identifier)


def serialize(policy):
    return {"module": "jaxlayers", "class_name": "DTypePolicy",
            "config": {"name": policy.name}, "registered_name": None}


__all__ = ["DTypePolicy", "get", "global_policy", "serialize", "set_global_policy"]
