"""Helpers shared by the preprocessing layers.

* :func:`adapt_batches`: one reading of ``adapt(data, batch_size, steps)``
  data (arrays, lists, iterables of batches) as NumPy batches.
* :func:`check_host_call`: the error a host-only (string) layer raises when it
  is traced by ``jax.jit``.
* :func:`encode`: ``one_hot`` / ``multi_hot`` / ``count`` / ``tf_idf``
  encoding of integer indices, in NumPy (host) or ``jax.numpy`` (traced).
* :func:`normalize_salt` and :func:`check_numeric_bins`: the hashing
  layers' shared argument checks (the hashes are in ``_hashing``).
"""

import jax
import jax.numpy as jnp
import numpy as np

from jaxlayers.core import args as _args
from jaxlayers.core.args import owner
from jaxlayers.errors import ConfigError, DataError, DTypeError

__all__ = [
    "OUTPUT_MODES",
    "owner",
    "adapt_batches",
    "is_array_data",
    "check_host_call",
    "is_traced",
    "to_str_array",
    "encode",
    "encode_output_shape",
    "normalize_salt",
    "check_numeric_bins",
]

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


# --------------------------------------------------------------------- adapt data
def _first_of_pair(batch):
    """``x`` from an ``(x,)``, ``(x, y)`` or ``(x, y, w)`` batch; other batches unchanged."""
    if isinstance(batch, tuple) and 1 <= len(batch) <= 3 and np.ndim(batch[0]) >= 1 \
            and hasattr(batch[0], "shape"):
        return batch[0]
    return batch


def _is_batch_list(data):
    return (isinstance(data, (list, tuple)) and len(data) > 0
            and all(hasattr(b, "shape") and np.ndim(b) >= 1 for b in data))


def is_array_data(data):
    """Whether ``adapt`` reads ``data`` as one array (not as an iterable of batches)."""
    return isinstance(data, (np.ndarray, jax.Array, str, bytes)) or (
        isinstance(data, (list, tuple)) and not _is_batch_list(data))


def adapt_batches(layer, data, batch_size=None, steps=None):
    """NumPy batches of ``data`` for ``adapt``; a ``DataError`` when there are none.

    ``data`` may be a NumPy/JAX array, a list or tuple of values (one batch),
    a list of arrays, or any iterable of batches (a generator, a
    ``PyDataset``-like object); ``(x, y)`` batches contribute ``x``.
    ``batch_size`` splits array data into batches; ``steps`` stops after that
    many batches.
    """
    who = owner(layer)
    batch_size = _args.positive_int_or_none(who, "batch_size", batch_size)
    steps = _args.positive_int_or_none(who, "steps", steps)
    if data is None:
        raise DataError(f"{who}: adapt() needs data. Received: data=None.")
    if is_array_data(data):
        array = np.asarray(data) if not isinstance(data, (str, bytes)) else np.asarray([data])
        if batch_size is None or array.ndim == 0:
            batches = [array]
        else:
            batches = [array[i:i + batch_size] for i in range(0, len(array), batch_size)]
    elif hasattr(data, "__iter__") or hasattr(data, "__getitem__"):
        batches = data
    else:
        raise DataError(
            f"{who}: adapt() accepts a NumPy array, a list, or an iterable of batches. "
            f"Received: data of type {type(data).__name__}."
        )
    seen = 0
    for i, batch in enumerate(batches):
        if steps is not None and i >= steps:
            break
        batch = np.asarray(_first_of_pair(batch))
        if batch.size == 0:
            continue
        seen += 1
        yield batch
    if seen == 0:
        raise DataError(
            f"{who}: adapt() received empty data (no values to learn from). Pass a "
            f"non-empty array, list or iterable of batches."
        )


# --------------------------------------------------------------------- host-only layers
def is_traced(tree):
    return any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(tree))


def _under_trace():
    try:
        from jax._src import core as jax_core

        return not jax_core.trace_state_clean()
    except (ImportError, AttributeError):  # pragma: no cover - older/newer JAX
        return False


def check_host_call(layer, inputs):
    """Raises when a host-only layer runs under ``jax.jit`` (or on tracers)."""
    if is_traced(inputs) or _under_trace():
        raise DataError(
            f"{type(layer).__name__} '{layer.name}' works on host string data and cannot "
            f"run inside jax.jit; apply it in your data pipeline before fit (e.g. "
            f"x = layer(texts) on NumPy data, then model.fit(x, y))."
        )


def to_str_array(x, encoding="utf-8", who=None):
    """A NumPy object array of Python ``str`` (bytes decoded with ``encoding``).

    ``None`` (the input itself or an entry) is a ``DTypeError`` naming ``who``:
    turned into the string ``'None'`` it would silently be looked up as a token.
    """
    arr = np.asarray(x, dtype=object)
    if any(v is None for v in arr.ravel()):
        raise DTypeError(
            f"{who or 'String preprocessing'}: inputs must be strings (str or bytes), not "
            f"None. Received: inputs={x!r:.80}."
        )
    flat = [v.decode(encoding) if isinstance(v, (bytes, np.bytes_)) else str(v)
            for v in arr.ravel()]
    out = np.empty(len(flat), dtype=object)
    out[:] = flat
    return out.reshape(arr.shape)


# --------------------------------------------------------------------- encoding
def encode_output_shape(input_shape, output_mode, depth):
    """Output shape of :func:`encode` for ``input_shape`` (Keras's rules)."""
    input_shape = tuple(input_shape)
    if output_mode == "int":
        return input_shape
    if len(input_shape) == 0:
        return (depth,)
    if output_mode == "one_hot":
        if len(input_shape) > 1 and input_shape[-1] == 1:
            return input_shape[:-1] + (depth,)
        return input_shape + (depth,)
    if len(input_shape) == 1:
        return (depth,)
    return (input_shape[0],) + input_shape[2:] + (depth,)


def encode(indices, output_mode, depth, dtype="float32", count_weights=None, idf=None):
    """Encodes integer ``indices`` in ``[0, depth)``; other values are dropped.

    ``one_hot`` adds a ``depth`` axis (replacing a last axis of size 1);
    ``multi_hot`` / ``count`` / ``tf_idf`` reduce axis 1 (axis 0 for rank-1
    input: one sample) into a ``depth`` axis, as Keras does.  Works on NumPy
    arrays (host) and JAX arrays (traced) alike.
    """
    xp = np if isinstance(indices, np.ndarray) else jnp
    if output_mode == "int":
        return indices
    if indices.ndim == 0:
        indices = indices[None]
    if output_mode == "one_hot":
        if indices.ndim > 1 and indices.shape[-1] == 1:
            indices = indices[..., 0]
        return (indices[..., None] == xp.arange(depth)).astype(dtype)
    reduce_axis = 1 if indices.ndim > 1 else 0
    moved = xp.moveaxis(indices, reduce_axis, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    valid = (rows >= 0) & (rows < depth)
    if count_weights is not None:
        weights = xp.moveaxis(xp.asarray(count_weights), reduce_axis, -1).reshape(rows.shape)
        dtype = weights.dtype
    else:
        weights = xp.ones(rows.shape, dtype)
    weights = xp.where(valid, weights, 0).astype(dtype)
    safe = xp.where(valid, rows, 0)
    row_ids = xp.broadcast_to(xp.arange(rows.shape[0])[:, None], rows.shape)
    out = xp.zeros((rows.shape[0], depth), dtype)
    if xp is np:
        np.add.at(out, (row_ids, safe), weights)
    else:
        out = out.at[row_ids, safe].add(weights)
    if output_mode == "multi_hot":
        out = (out > 0).astype(dtype)
    elif output_mode == "tf_idf":
        out = out * xp.asarray(idf, dtype)
    return out.reshape(moved.shape[:-1] + (depth,))


# --------------------------------------------------------------------- hashing
def normalize_salt(who, salt):
    """``None`` or a list of two ints (a single int is used twice), as in Keras."""
    if salt is None:
        return None
    if isinstance(salt, (list, tuple)) and len(salt) == 2 and all(
            isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in salt):
        return [int(salt[0]), int(salt[1])]
    if isinstance(salt, (int, np.integer)) and not isinstance(salt, bool):
        return [int(salt), int(salt)]
    raise ConfigError(
        f"{who}: `salt` must be an int or a tuple of 2 ints. Received: salt={salt!r}."
    )


def check_numeric_bins(who, name, value):
    """Numbers are hashed in JAX into int32 bins, so ``value`` bins must fit in int32."""
    if value >= 2**31:
        raise ConfigError(
            f"{who}: `{name}` must be below 2**31 to hash numbers (their bins are int32). "
            f"Received: {name}={value!r}."
        )
