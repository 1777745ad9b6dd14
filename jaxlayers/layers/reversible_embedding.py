"""``ReversibleEmbedding``: an embedding that also maps vectors back to vocabulary logits.

The usual language-model pattern: ``layer(ids)`` embeds tokens, and
``layer(hidden, reverse=True)`` projects hidden states onto the vocabulary,
with the transposed embedding matrix (``tie_weights=True``) or a separate
``reverse_embeddings`` weight of shape ``(output_dim, input_dim)``.
"""

import jax.numpy as jnp

from jaxlayers import backend
from jaxlayers.core import args as _args
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import ShapeError
from jaxlayers.layers.core import Embedding

__all__ = ["ReversibleEmbedding"]


@register_builtin("layers")
class ReversibleEmbedding(Embedding):
    """Token embedding with a reverse projection to logits (``call(x, reverse=True)``).

    Args:
        input_dim: Vocabulary size.
        output_dim: Size of each embedding vector.
        tie_weights: Reuse the transposed ``embeddings`` for the reverse
            projection; otherwise learn ``reverse_embeddings`` (initialized
            like ``embeddings``).
        embeddings_initializer, embeddings_regularizer, embeddings_constraint,
            mask_zero: As in :class:`Embedding`.
        reverse_dtype: Dtype of the reverse matmul (inputs and kernel are cast
            to it), e.g. ``"float32"`` for stable logits under a half-precision
            policy; ``None`` keeps the compute dtype.
        logit_soft_cap: If set, logits become ``cap * tanh(logits / cap)``.

    Call: ``layer(ids)`` gives ``(..., output_dim)`` vectors (and the mask when
    ``mask_zero``); ``layer(x, reverse=True)`` gives ``(..., input_dim)`` logits
    for ``x`` of shape ``(..., output_dim)``.

    Example:
        >>> layer = jl.layers.ReversibleEmbedding(10, 4)
        >>> params, state = layer.init(jax.random.key(0), jnp.zeros((2, 3), "int32"))
        >>> hidden = layer.apply(params, state, jnp.ones((2, 3), "int32"))[0]
        >>> layer.apply(params, state, hidden, reverse=True)[0].shape
        (2, 3, 10)
    """

    def __init__(self, input_dim, output_dim, tie_weights=True,
                 embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, reverse_dtype=None,
                 logit_soft_cap=None, **kwargs):
        super().__init__(input_dim, output_dim, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer,
                         embeddings_constraint=embeddings_constraint, mask_zero=mask_zero,
                         **kwargs)
        who = _args.owner(self)
        self.tie_weights = _args.boolean(who, "tie_weights", tie_weights)
        self.reverse_dtype = None if reverse_dtype is None else \
            backend.standardize_dtype(reverse_dtype)
        self.logit_soft_cap = _args.optional(_args.positive_float, who, "logit_soft_cap",
                                             logit_soft_cap)

    def build(self, input_shape=None):
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(
                name="reverse_embeddings", shape=(self.output_dim, self.input_dim),
                initializer=self.embeddings_initializer)

    def call(self, inputs, reverse=False):
        if not reverse:
            outputs = super().call(inputs)
            if self.mask_zero:
                self.set_output_mask(jnp.not_equal(inputs, 0))
            return outputs
        if inputs.ndim == 0 or inputs.shape[-1] not in (self.output_dim, None):
            raise ShapeError(
                f"{_args.owner(self)}: reverse inputs must have `output_dim` = "
                f"{self.output_dim} features on the last axis. "
                f"Received: inputs.shape={tuple(inputs.shape)}."
            )
        kernel = self.embeddings.T if self.tie_weights else self.reverse_embeddings
        if self.reverse_dtype is not None:
            inputs, kernel = inputs.astype(self.reverse_dtype), kernel.astype(self.reverse_dtype)
        logits = jnp.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            logits = self.logit_soft_cap * jnp.tanh(logits / self.logit_soft_cap)
        return logits

    def compute_mask(self, inputs, mask=None):
        # The forward call declares its mask itself; logits carry none.
        return None

    def get_config(self):
        config = super().get_config()
        config.update({"tie_weights": self.tie_weights, "reverse_dtype": self.reverse_dtype,
                       "logit_soft_cap": self.logit_soft_cap})
        return config
