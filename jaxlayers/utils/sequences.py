"""``pad_sequences``: a list of variable-length sequences as one padded array."""

import numpy as np

from jaxlayers.errors import ConfigError, DataError


def _side(name, value):
    if value not in ("pre", "post"):
        raise ConfigError(
            f"pad_sequences: `{name}` must be 'pre' or 'post'. Received: {name}={value!r}."
        )
    return value


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre",
                  value=0.0):
    """Pads (or truncates) sequences to one length: a ``(num_samples, maxlen, ...)`` array.

    Args:
        sequences: A list of sequences (lists or arrays); each element of a
            sequence may itself be an array, whose shape must agree across
            sequences.
        maxlen: Output length; ``None`` means the longest sequence's length.
        dtype: Output dtype; ``object`` or a string dtype for text.
        padding: ``'pre'`` or ``'post'``: pad before or after each sequence.
        truncating: ``'pre'`` or ``'post'``: drop values from the start or the
            end of sequences longer than ``maxlen``.
        value: The padding value (a string needs ``dtype=object`` or a string dtype).

    Returns:
        A NumPy array of shape ``(len(sequences), maxlen) + element_shape``.

    Example:
        >>> pad_sequences([[1, 2, 3], [4]], maxlen=2, padding="post")
        array([[2, 3],
               [4, 0]], dtype=int32)
    """
    _side("padding", padding)
    _side("truncating", truncating)
    if maxlen is not None and (isinstance(maxlen, (bool, np.bool_))
                               or not isinstance(maxlen, (int, np.integer)) or maxlen < 0):
        raise ConfigError(
            f"pad_sequences: `maxlen` must be a non-negative int or None. Received: "
            f"maxlen={maxlen!r}."
        )
    if not hasattr(sequences, "__len__") or isinstance(sequences, (str, bytes)):
        raise DataError(
            "pad_sequences: `sequences` must be a list of sequences. Received: "
            f"{type(sequences).__name__}."
        )
    lengths, element_shape = [], None
    for i, seq in enumerate(sequences):
        if not hasattr(seq, "__len__") or isinstance(seq, (str, bytes)):
            raise DataError(
                "pad_sequences: `sequences` must be a list of sequences (lists or arrays). "
                f"Received: {seq!r} at position {i}."
            )
        lengths.append(len(seq))
        if element_shape is None and len(seq):
            element_shape = np.asarray(seq).shape[1:]
    element_shape = element_shape or ()
    if maxlen is None:
        maxlen = max(lengths, default=0)
    text_dtype = np.dtype(dtype).kind in "USO"
    if isinstance(value, str) and not text_dtype:
        raise ConfigError(
            f"pad_sequences: a string `value` needs a text dtype: pass dtype=object (or a "
            f"string dtype). Received: dtype={dtype!r}, value={value!r}."
        )
    out = np.full((len(lengths), maxlen) + tuple(element_shape), value, dtype=dtype)
    if maxlen == 0:
        return out
    for i, seq in enumerate(sequences):
        if not len(seq):
            continue
        kept = seq[-maxlen:] if truncating == "pre" else seq[:maxlen]
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != tuple(element_shape):
            raise DataError(
                f"pad_sequences: every element must have shape {tuple(element_shape)} (the "
                f"first non-empty sequence's). Received: shape {kept.shape[1:]} in the "
                f"sequence at position {i}."
            )
        if padding == "post":
            out[i, :len(kept)] = kept
        else:
            out[i, maxlen - len(kept):] = kept
    return out


__all__ = ["pad_sequences"]
