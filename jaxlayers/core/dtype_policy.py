"""Dtype policies: the dtype weights are stored in and the dtype math runs in.

Keras 3's ``keras.dtype_policies`` without the quantized policies:
:class:`DTypePolicy` (and its alias :class:`FloatDTypePolicy`), the global
policy of layers created with ``dtype=None``, and :class:`DTypePolicyMap`,
which gives each layer the policy its path maps to.
"""

from collections.abc import MutableMapping

import jax.numpy as jnp

from jaxlayers import backend
from jaxlayers.core import naming
from jaxlayers.errors import ConfigError, ConfigTypeError, SerializationError

_MIXED = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}


class DTypePolicy:
    """``DTypePolicy('float32')`` or a mixed policy such as ``'mixed_bfloat16'``.

    A mixed policy stores weights in float32 and computes in the half type;
    weights are cast when read inside ``call`` and floating inputs are cast
    to the compute dtype.

    Args:
        name: A dtype name (``"float32"``, ``"bfloat16"``), ``"mixed_float16"``,
            ``"mixed_bfloat16"``, a dtype, or a policy; ``None`` copies the
            global policy.

    Raises:
        ConfigError: ``name`` names no dtype or mixed policy.

    Example:
        >>> p = jl.DTypePolicy("mixed_bfloat16")
        >>> p.variable_dtype, p.compute_dtype
        ('float32', 'bfloat16')
    """

    def __init__(self, name=None):
        name = global_policy().name if name is None else name
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
        """The dtype of the layer's inputs, math and outputs."""
        return self._compute

    @property
    def variable_dtype(self):
        """The dtype weights are created and stored in."""
        return self._variable

    @property
    def quantization_mode(self):
        """Always ``None``: jaxlayers has no quantized policies."""
        return None

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return (isinstance(other, DTypePolicy) and not isinstance(other, DTypePolicyMap)
                and other.name == self.name)

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return f'<DTypePolicy "{self.name}">'


class FloatDTypePolicy(DTypePolicy):
    """Keras's other name for :class:`DTypePolicy`; equal to the same-named one.

    Example:
        >>> FloatDTypePolicy("bfloat16") == DTypePolicy("bfloat16")
        True
    """


class DTypePolicyMap(DTypePolicy, MutableMapping):
    """Layer paths (exact, else a regex ``fullmatch``) to policies, with a default.

    Passed as a layer's ``dtype=``, it gives the layer (and the sublayers that
    share it, such as ``MultiHeadAttention``'s projections) the policy its
    path maps to.  Paths are jaxlayers' params paths (``"encoder/dense"``),
    the keys of ``model.params``.  A path that matches no key gets
    ``default_policy``; one that matches two regex keys is an error.

    Args:
        default_policy: Policy of unmatched paths; ``None``: the global policy.
        policy_map: ``{path_or_regex: policy}`` (policies or names).

    Example:
        >>> m = DTypePolicyMap("float32", {"encoder/.*": "mixed_bfloat16"})
        >>> m["encoder/dense"].compute_dtype, m["head"].compute_dtype
        ('bfloat16', 'float32')
    """

    def __init__(self, default_policy=None, policy_map=None):
        owner = "DTypePolicyMap"
        if isinstance(default_policy, DTypePolicyMap):
            raise ConfigTypeError(
                f"{owner}: `default_policy` must be a single policy, not a DTypePolicyMap. "
                f"Received: default_policy={default_policy!r}."
            )
        if policy_map is not None and not isinstance(policy_map, dict):
            raise ConfigTypeError(
                f"{owner}: `policy_map` must be a dict of paths to policies. "
                f"Received: policy_map={policy_map!r}."
            )
        self._default_arg = default_policy
        if default_policy is not None:
            get(default_policy)  # a bad name fails here, not at the first lookup
        self._policy_map = {}
        for key, policy in (policy_map or {}).items():
            self[key] = policy

    @property
    def name(self):
        return f"map_{self.default_policy.name}"

    @property
    def default_policy(self):
        """The policy of paths no key matches (the global policy when not given)."""
        return get(self._default_arg)

    @property
    def compute_dtype(self):
        return self.default_policy.compute_dtype

    @property
    def variable_dtype(self):
        return self.default_policy.variable_dtype

    def __getitem__(self, path):
        key = naming.matching_key("DTypePolicyMap", self._policy_map, path)
        return self.default_policy if key is None else self._policy_map[key]

    def __setitem__(self, key, policy):
        if not isinstance(key, str):
            raise ConfigTypeError(
                f"DTypePolicyMap: keys must be layer paths or regexes (str). Received: "
                f"key={key!r}."
            )
        if key in self._policy_map:
            raise ConfigError(
                f"DTypePolicyMap: the key {key!r} is already mapped to "
                f"{self._policy_map[key]!r}; delete it first to replace it. Received: "
                f"key={key!r}."
            )
        naming.check_pattern("DTypePolicyMap", key)
        policy = get(policy)
        if isinstance(policy, DTypePolicyMap):
            raise ConfigTypeError(
                f"DTypePolicyMap: a path maps to a single policy, not a DTypePolicyMap. "
                f"Received: {key!r}={policy!r}."
            )
        self._policy_map[key] = policy

    def __delitem__(self, key):
        del self._policy_map[key]

    def __contains__(self, key):
        return key in self._policy_map

    def __iter__(self):
        return iter(self._policy_map)

    def __len__(self):
        return len(self._policy_map)

    def get_config(self):
        default = self._default_arg
        return {"default_policy": default.name if isinstance(default, DTypePolicy) else default,
                "policy_map": {key: serialize(policy)
                               for key, policy in self._policy_map.items()}}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["policy_map"] = {key: get(value)
                                for key, value in (config.get("policy_map") or {}).items()}
        return cls(**config)

    def __eq__(self, other):
        return (isinstance(other, DTypePolicyMap) and other.get_config() == self.get_config())

    def __hash__(self):
        return id(self)

    def __repr__(self):
        mapping = [(key, policy.name) for key, policy in self._policy_map.items()]
        return f"<DTypePolicyMap default_policy={self.default_policy.name}, mapping={mapping}>"


# The policy of layers created with ``dtype=None`` (``None``: ``floatx()`` at their creation).
_global = {"policy": None}


def set_global_policy(policy):
    """Sets the policy of layers created later with ``dtype=None`` (``None`` resets it).

    Args:
        policy: Anything :func:`get` takes, or ``None``.

    Example:
        >>> set_global_policy("mixed_bfloat16")
        >>> global_policy().compute_dtype
        'bfloat16'
        >>> set_global_policy(None)
    """
    _global["policy"] = None if policy is None else get(policy)


def global_policy():
    """The policy of layers created with ``dtype=None``: the one set, else ``floatx()``'s.

    Example:
        >>> global_policy().name == jl.backend.floatx()
        True
    """
    policy = _global["policy"]
    return DTypePolicy(backend.floatx()) if policy is None else policy


def get(identifier):
    """A policy from ``None`` (the global policy), a name, a dtype, a config or a policy.

    Args:
        identifier: ``None``, a name, a dtype, a :func:`serialize` dict or a policy.

    Returns:
        A :class:`DTypePolicy`.

    Example:
        >>> get("mixed_float16").variable_dtype
        'float32'
    """
    if identifier is None:
        return global_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    return DTypePolicy(identifier)


_CLASSES = {"DTypePolicy": DTypePolicy, "FloatDTypePolicy": FloatDTypePolicy,
            "DTypePolicyMap": DTypePolicyMap}


def serialize(policy):
    """Keras's serialized form of ``policy``: ``{"module", "class_name", "config", ...}``.

    Args:
        policy: A :class:`DTypePolicy` or :class:`DTypePolicyMap`.

    Returns:
        A dict of JSON data Keras reads too.

    Example:
        >>> serialize(DTypePolicy("mixed_bfloat16"))["config"]
        {'name': 'mixed_bfloat16'}
    """
    # Keras's own module names: Keras reads the dict as is (policies select no code).
    if isinstance(policy, DTypePolicyMap):
        return {"module": "keras.dtype_policies", "class_name": "DTypePolicyMap",
                "config": policy.get_config(), "registered_name": None}
    return {"module": "keras", "class_name": "DTypePolicy",
            "config": {"name": policy.name}, "registered_name": None}


def deserialize(config):
    """The policy a :func:`serialize` (or Keras) dict describes; a bare ``{"name": ...}`` too.

    Args:
        config: The dict.

    Returns:
        The policy.

    Raises:
        SerializationError: Not a dict, or an unknown policy class.

    Example:
        >>> deserialize({"class_name": "DTypePolicy", "config": {"name": "bfloat16"}})
        <DTypePolicy "bfloat16">
    """
    if not isinstance(config, dict):
        raise SerializationError(
            f"dtype_policies.deserialize: expected a dict such as {{'class_name': "
            f"'DTypePolicy', 'config': {{'name': 'float32'}}}}. Received: config={config!r}."
        )
    if "class_name" not in config:
        return DTypePolicy(config.get("name"))
    cls = _CLASSES.get(config["class_name"])
    if cls is None:
        raise SerializationError(
            f"dtype_policies.deserialize: unknown policy class {config['class_name']!r}; "
            f"known: {sorted(_CLASSES)} (quantized policies are not supported). "
            f"Received: config={config!r}."
        )
    return cls.from_config(dict(config.get("config") or {}))


__all__ = ["DTypePolicy", "DTypePolicyMap", "FloatDTypePolicy", "deserialize", "get",
           "global_policy", "serialize", "set_global_policy"]
