"""The Keras-style ``model.summary()`` table.

Each model class says what its rows are (``_summary_layers``: layers, their
output specs, and for a graph the layers each one is connected to).
"""

import jax
import jax.numpy as jnp

from jaxlayers.core import graph
from jaxlayers.distribution import distributions as distribution_lib


def _format_shape(spec):
    if spec is None:
        return "?"
    if graph.is_symbolic(spec) or isinstance(spec, jax.ShapeDtypeStruct):
        return str(tuple(spec.shape)).replace(",)", ")")
    if isinstance(spec, (list, tuple)):
        return "[" + ", ".join(_format_shape(s) for s in spec) + "]"
    if isinstance(spec, dict):
        return "{" + ", ".join(f"{k}: {_format_shape(v)}" for k, v in spec.items()) + "}"
    return "?"


def _bytes(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.2f} {unit}"
        n /= 1024.0
    return f"{n:.2f} GB"


def _param_count(layer):
    return sum(v.size for v in layer.weights) if layer.built else 0


def _layer_rows(model, expand_nested, depth=0):
    rows = []
    pairs, connections = model._summary_layers()
    connections = connections or [""] * len(pairs)
    for (layer, spec), conn in zip(pairs, connections):
        name = ("   " * depth) + f"{layer.name} ({type(layer).__name__})"
        rows.append((name, _format_shape(spec), f"{_param_count(layer):,}", conn, layer))
        if expand_nested and hasattr(layer, "summary") and layer.layers:
            rows.extend(_layer_rows(layer, expand_nested, depth + 1))
    return rows


def _layout_lines(model, dist):
    """One line per weight: path, shape, the mesh axes of each dimension, the rule."""
    mesh = ", ".join(f"{n}={s}" for n, s in zip(dist.device_mesh.axis_names,
                                                   dist.device_mesh.shape))
    rows = []
    for var in model.weights:
        rule, sharding = dist.layout_map.sharding_of(var.path, var.shape)
        spec = tuple(sharding.spec) + (None,) * (len(var.shape) - len(sharding.spec))
        axes = "replicated" if not any(spec) else str(spec)
        rows.append((var.path, str(var.shape), axes,
                     "" if rule is None else f"rule {rule!r}"))
    widths = [max((len(r[i]) for r in rows), default=0) for i in range(3)]
    out = [f" Weight layouts ({type(dist).__name__}, mesh {mesh}, batch axis "
           f"{dist.batch_dim_name!r}):"]
    for row in rows:
        cells = [c.ljust(w) for c, w in zip(row, widths)] + [row[3]]
        out.append(("   " + "  ".join(cells)).rstrip())
    return out


def summary_text(model, line_length=None, expand_nested=False, show_trainable=False):
    """The text of ``model.summary()``: one row per layer, then the parameter counts.

    Functional models get a ``Connected to`` column; under a distribution the
    weight layouts follow the table.

    Args:
        model: A built model.
        line_length: Total width of the table; ``None`` fits the columns.
        expand_nested: Also list the layers of nested models, indented.
        show_trainable: Add a ``Trainable`` column.

    Returns:
        The text, without a trailing newline.

    Example:
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2, name="d")], name="tiny")
        >>> print(summary_text(model))
        Model: "tiny"
        ┏━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━┓
        ┃ Layer (type) ┃ Output Shape ┃ Param # ┃
        ┡━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━┩
        │ d (Dense)    │ (None, 2)    │       8 │
        └──────────────┴──────────────┴─────────┘
         Total params: 8 (32.00 B)
         Trainable params: 8 (32.00 B)
         Non-trainable params: 0 (0.00 B)
    """
    rows = _layer_rows(model, expand_nested)
    functional = model._summary_layers()[1] is not None
    headers = ["Layer (type)", "Output Shape", "Param #"]
    if functional:
        headers.append("Connected to")
    if show_trainable:
        headers.append("Trainable")
    table = []
    for name, shape, params, conn, layer in rows:
        row = [name, shape, params]
        if functional:
            row.append(conn)
        if show_trainable:
            row.append("Y" if layer.trainable else "N")
        table.append(row)
    widths = [max(len(h), *(len(r[i]) for r in table)) if table else len(h)
              for i, h in enumerate(headers)]
    if line_length:
        widths[0] = max(widths[0], line_length - sum(widths[1:]) - 3 * len(widths))

    def line(cells, left, mid, right, fill=" "):
        parts = []
        for i, (cell, w) in enumerate(zip(cells, widths)):
            text = cell.rjust(w) if headers[i] == "Param #" else cell.ljust(w)
            parts.append(fill + text + fill)
        return left + mid.join(parts) + right

    def rule(left, mid, right, char):
        return left + mid.join(char * (w + 2) for w in widths) + right

    weights = model.weights if model.built else []
    total = sum(v.size for v in weights)
    trainable = sum(v.size for v in model.trainable_weights) if model.built else 0
    total_bytes = sum(v.size * jnp.dtype(v.dtype).itemsize for v in weights)
    trainable_bytes = sum(v.size * jnp.dtype(v.dtype).itemsize
                          for v in model.trainable_weights) if model.built else 0
    out = [f'Model: "{model.name}"',
           rule("┏", "┳", "┓", "━"),
           line(headers, "┃", "┃", "┃"),
           rule("┡", "╇", "┩", "━")]
    for i, row in enumerate(table):
        out.append(line(row, "│", "│", "│"))
        if i != len(table) - 1:
            out.append(rule("├", "┼", "┤", "─"))
    out.append(rule("└", "┴", "┘", "─"))
    out.append(f" Total params: {total:,} ({_bytes(total_bytes)})")
    out.append(f" Trainable params: {trainable:,} ({_bytes(trainable_bytes)})")
    out.append(f" Non-trainable params: {total - trainable:,} "
               f"({_bytes(total_bytes - trainable_bytes)})")
    if not model.built:
        out.append(" (The model is not built yet: parameter counts are 0 until it sees "
                   "an input shape.)")
    dist = distribution_lib.distribution()
    if dist is not None and weights:
        out.extend(_layout_lines(model, dist))
    return "\n".join(out)


__all__ = ["summary_text"]
