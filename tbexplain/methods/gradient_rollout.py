"""Gradient-weighted attention rollout (Chefer, Gur & Wolf, 2021, arXiv:2103.15679)."""

from __future__ import annotations

from typing import ClassVar

import tensorflow as tf

from tbexplain import calltrace
from tbexplain.methods._rollout import Rollout
from tbexplain.methods.base import register

__all__ = ["GradientRollout"]


@register
class GradientRollout(Rollout):
    """Gradient rollout: attention weighted by its gradient, rolled out.

    For each attention call, ``Ā = mean_heads((dy/dA ⊙ A)⁺)``, the positive
    part of the weights times their gradient (y is the pre-softmax score of
    the target), and from ``R = I`` the relevance accumulates layer by layer,
    first to last: ``R ← R + Ā R``. The map is the row of the token the score
    reads (a class token) or, for a head that pools its tokens, the mean of
    the rows, over the input's grid (an h x w map over an image, one value
    per token over token ids). Class-specific, unsigned (>= 0). Cost: one
    forward and one backward pass, and the L matrix products.

    Reference: Chefer, Gur & Wolf, "Generic Attention-model Explainability for
    Interpreting Bi-Modal and Encoder-Decoder Transformers", ICCV 2021.

    Args:
        batch_size: Samples per compiled call; None for all at once.
    """

    name: ClassVar[str] = "gradient_rollout"
    gradients: ClassVar[bool] = True

    def _relevance(
        self,
        weights: list[tf.Tensor],
        grads: list[tf.Tensor] | None,
        plan: calltrace.TokenPlan,
    ) -> tf.Tensor:
        assert grads is not None
        tokens = weights[0].shape[-1]
        relevance = tf.eye(tokens, batch_shape=[tf.shape(weights[0])[0]])
        for w, g in zip(weights, grads, strict=True):
            weighted = tf.reduce_mean(tf.nn.relu(g * w), axis=1)
            relevance = relevance + tf.matmul(weighted, relevance)
        return relevance
