"""The ``<weight>_initializer`` / ``_regularizer`` / ``_constraint`` arguments of layers.

Every layer that declares weights from such arguments (``Dense``'s
``kernel_initializer``, a cell's ``recurrent_regularizer``, normalization's
``gamma_constraint``, ...) parses them, creates the weights and writes them to
its config through :class:`WeightArgs`, so the three kinds are read, used and
serialized the same way everywhere.
"""

from jaxlayers import constraints, initializers, regularizers

_KINDS = (("initializer", initializers), ("regularizer", regularizers),
          ("constraint", constraints))


class WeightArgs:
    """Mixin for layers with ``<prefix>_initializer/_regularizer/_constraint`` arguments.

    ``_set_weight_args("kernel", init, reg, con)`` stores ``self.kernel_initializer``,
    ``self.kernel_regularizer`` and ``self.kernel_constraint`` (each parsed by
    its module's ``get``, which raises the usual error for a bad identifier).
    """

    def _set_weight_args(self, prefix, initializer, regularizer=None, constraint=None):
        for (kind, module), value in zip(_KINDS, (initializer, regularizer, constraint)):
            setattr(self, f"{prefix}_{kind}", module.get(value))

    def _weight_args(self, *prefixes):
        """``{"<prefix>_initializer": obj, ...}``: the parsed arguments, e.g. for a sublayer."""
        return {f"{prefix}_{kind}": getattr(self, f"{prefix}_{kind}")
                for kind, _ in _KINDS for prefix in prefixes}

    def _add_weight_from_args(self, prefix, shape, name=None, initializer=None, **kwargs):
        """``add_weight`` with the ``prefix`` arguments (``name`` defaults to ``prefix``).

        ``initializer`` replaces the parsed one (e.g. a derived bias initializer).
        """
        return self.add_weight(
            name=name or prefix, shape=shape,
            initializer=initializer or getattr(self, f"{prefix}_initializer"),
            regularizer=getattr(self, f"{prefix}_regularizer"),
            constraint=getattr(self, f"{prefix}_constraint"), **kwargs)

    def _weight_args_config(self, *prefixes):
        """The config entries of ``prefixes``: initializers, then regularizers, then constraints."""
        return {f"{prefix}_{kind}": module.serialize(getattr(self, f"{prefix}_{kind}"))
                for kind, module in _KINDS for prefix in prefixes}


__all__ = ["WeightArgs"]
