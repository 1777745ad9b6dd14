"""Connectionist temporal classification (Graves et al., 2006): ``ctc_loss`` and
``ctc_decode``, public as ``jl.ops.nn.*``.

The loss is ``optax.ctc_loss`` (the forward algorithm in log space) behind
Keras's arguments: label and logit lengths instead of paddings.

Example:
    >>> from jaxlayers.ops import nn
    >>> logits = jnp.zeros((1, 3, 4))
    >>> nn.ctc_loss(jnp.array([[1, 2]]), logits, jnp.array([2]), jnp.array([3])).shape
    (1,)
"""

import jax
import jax.numpy as jnp
import optax

from jaxlayers.errors import ShapeError
from jaxlayers.ops import _args


def _paddings(lengths, size, dtype):
    return (jnp.arange(size)[None, :] >= lengths[:, None]).astype(dtype)


def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """Per-sequence CTC loss: ``-log p(target | output)``.

    Args:
        target: ``(batch, max_label_length)`` integer labels.
        output: ``(batch, max_time, num_classes)`` logits.
        target_length: ``(batch,)`` label lengths.
        output_length: ``(batch,)`` logit sequence lengths.
        mask_index: The blank class.

    Returns:
        ``(batch,)`` losses in at least float32.

    Example:
        With uniform outputs over 3 classes for 2 steps, three of the nine
        paths (``1 _``, ``_ 1``, ``1 1``) spell the label ``[1]``, so the loss
        is ``-log(3 / 9)``:

        >>> loss = ctc_loss(np.array([[1]]), np.zeros((1, 2, 3)), np.array([1]), np.array([2]))
        >>> round(float(loss[0]), 4)
        1.0986
    """
    op = "ctc_loss"
    target = _args.array(target).astype(jnp.int32)
    output = _args.array(output)
    _args.rank(op, "target", target, (2,))
    _args.rank(op, "output", output, (3,))
    target_length = _args.array(target_length).astype(jnp.int32)
    output_length = _args.array(output_length).astype(jnp.int32)
    batch = output.shape[0]
    if (target.shape[0], target_length.shape[:1], output_length.shape[:1]) != (
            batch, (batch,), (batch,)):
        raise ShapeError(
            f"ops.{op}: `target`, `output`, `target_length` and `output_length` must share "
            f"their first axis. Received: target.shape={tuple(target.shape)}, "
            f"output.shape={tuple(output.shape)}, target_length.shape="
            f"{tuple(target_length.shape)}, output_length.shape={tuple(output_length.shape)}.")
    output = output.astype(jnp.promote_types(output.dtype, jnp.float32))
    return optax.ctc_loss(
        output, _paddings(output_length, output.shape[1], output.dtype), target,
        _paddings(target_length, target.shape[1], output.dtype), blank_id=mask_index)


def _greedy(inputs, lengths, merge_repeated, mask_index):
    batch, steps, _ = inputs.shape
    best = jnp.argmax(inputs, axis=-1)
    past_end = jnp.arange(steps)[None, :] >= lengths[:, None]
    best = jnp.where(past_end, mask_index, best)
    scores = -jnp.sum(jnp.where(past_end, 0.0, jnp.max(inputs, axis=-1)), axis=1)
    if merge_repeated:
        repeated = jnp.pad(best[:, 1:] == best[:, :-1], ((0, 0), (1, 0)))
        best = jnp.where(repeated, mask_index, best)
    blank = best == mask_index
    # A stable sort on "is blank" moves the kept labels to the front in order.
    order = jnp.argsort(blank, axis=-1, stable=True)
    decoded = jnp.take_along_axis(jnp.where(blank, -1, best), order, axis=-1)
    return decoded[None], scores[:, None]


def _beam_search(inputs, lengths, beam_width, top_paths, mask_index):
    """CTC prefix beam search with fixed-size beams (so it jits).

    Each beam is a label prefix (padded with ``-1``) with two log probabilities:
    ending in a blank and ending in its last label.  A step extends every beam by
    every class, merges equal prefixes with ``logaddexp`` and keeps the best
    ``beam_width``.
    """
    batch, steps, classes = inputs.shape
    logp = jax.nn.log_softmax(inputs, axis=-1)
    neg = jnp.asarray(-jnp.inf, logp.dtype)
    labels = [c for c in range(classes) if c != mask_index]
    n_labels = len(labels)
    labels = jnp.asarray(labels, jnp.int32)

    def decode_one(lp, length):
        prefixes = jnp.full((beam_width, steps), -1, jnp.int32)
        sizes = jnp.zeros((beam_width,), jnp.int32)
        p_blank = jnp.full((beam_width,), neg).at[0].set(0.0)
        p_label = jnp.full((beam_width,), neg)

        def step(carry, inputs_t):
            prefixes, sizes, p_blank, p_label = carry
            lp_t, t = inputs_t
            total = jnp.logaddexp(p_blank, p_label)
            last = jnp.where(sizes > 0,
                             prefixes[jnp.arange(beam_width), jnp.maximum(sizes - 1, 0)], -1)
            # Staying on the same prefix: a blank, or the last label repeated.
            stay_blank = total + lp_t[mask_index]
            stay_label = p_label + jnp.where(last >= 0, lp_t[jnp.maximum(last, 0)], neg)
            # Extending by label c: from a blank ending always; from a label ending
            # only when c differs from the last label.
            lp_c = lp_t[labels]
            from_total = jnp.where(labels[None, :] == last[:, None], p_blank[:, None],
                                   total[:, None])
            ext_label = from_total + lp_c[None, :]
            ext_prefix = jnp.repeat(prefixes, n_labels, axis=0)
            ext_sizes = jnp.repeat(sizes, n_labels) + 1
            rows = jnp.arange(beam_width * n_labels)
            ext_prefix = ext_prefix.at[rows, jnp.minimum(ext_sizes - 1, steps - 1)].set(
                jnp.tile(labels, beam_width))
            all_prefix = jnp.concatenate([prefixes, ext_prefix])
            all_sizes = jnp.concatenate([sizes, ext_sizes])
            all_blank = jnp.concatenate([stay_blank, jnp.full((beam_width * n_labels,), neg)])
            all_label = jnp.concatenate([stay_label, ext_label.reshape(-1)])
            # Merge equal prefixes: each candidate sums the scores of all its copies,
            # and only the first copy stays alive.
            same = jnp.all(all_prefix[:, None, :] == all_prefix[None, :, :], axis=-1)
            merged_blank = jax.nn.logsumexp(jnp.where(same, all_blank[None, :], neg), axis=1)
            merged_label = jax.nn.logsumexp(jnp.where(same, all_label[None, :], neg), axis=1)
            first = jnp.argmax(same, axis=1) == jnp.arange(same.shape[0])
            score = jnp.where(first, jnp.logaddexp(merged_blank, merged_label), neg)
            keep = jnp.argsort(-score, stable=True)[:beam_width]
            new = (all_prefix[keep], all_sizes[keep], merged_blank[keep], merged_label[keep])
            active = t < length
            carry = jax.tree.map(lambda a, b: jnp.where(active, a, b), new,
                                 (prefixes, sizes, p_blank, p_label))
            return carry, None

        (prefixes, sizes, p_blank, p_label), _ = jax.lax.scan(
            step, (prefixes, sizes, p_blank, p_label), (lp, jnp.arange(steps)))
        score = jnp.logaddexp(p_blank, p_label)
        best = jnp.argsort(-score, stable=True)[:top_paths]
        return prefixes[best], score[best]

    paths, scores = jax.vmap(decode_one)(logp, lengths)
    return jnp.transpose(paths, (1, 0, 2)), scores


def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1,
               merge_repeated=True, mask_index=0):
    """Decodes CTC outputs into label sequences.

    Args:
        inputs: ``(batch, max_time, num_classes)`` logits (or log probabilities).
        sequence_lengths: ``(batch,)`` lengths of the sequences.
        strategy: ``'greedy'`` (best class per step) or ``'beam_search'``.
        beam_width: Beams kept per step (beam search).
        top_paths: Decoded sequences returned per input (beam search).
        merge_repeated: Greedy only: merge repeated labels between blanks.
        mask_index: The blank class.

    Returns:
        ``(decoded, scores)``: ``decoded`` is ``(top_paths, batch, max_time)`` with
        ``-1`` after each sequence's end.  Greedy scores are ``(batch, 1)``, minus
        the summed best logits; beam-search scores are ``(batch, top_paths)``, the
        log probability of each sequence.

    Example:
        >>> logits = jnp.log(jnp.array([[[0.1, 0.9], [0.1, 0.9], [0.9, 0.1]]]))
        >>> ctc_decode(logits, jnp.array([3]))[0]
        Array([[[ 1, -1, -1]]], dtype=int32)
    """
    op = "ctc_decode"
    _args.choice(op, "strategy", strategy, ("greedy", "beam_search"))
    inputs = _args.array(inputs)
    _args.rank(op, "inputs", inputs, (3,))
    inputs = inputs.astype(jnp.promote_types(inputs.dtype, jnp.float32))
    lengths = _args.array(sequence_lengths).astype(jnp.int32)
    mask_index = inputs.shape[-1] - 1 if mask_index is None else int(mask_index)
    if strategy == "greedy":
        decoded, scores = _greedy(inputs, lengths, merge_repeated, mask_index)
        return decoded.astype(jnp.int32), scores
    beam_width = _args.positive_int(op, "beam_width", beam_width)
    top_paths = _args.positive_int(op, "top_paths", top_paths)
    if top_paths > beam_width:
        raise _args.invalid(op, "top_paths", top_paths, f"at most beam_width={beam_width}")
    return _beam_search(inputs, lengths, beam_width, top_paths, mask_index)


__all__ = ["ctc_loss", "ctc_decode"]
