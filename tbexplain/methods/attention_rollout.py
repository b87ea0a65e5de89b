"""Attention rollout (Abnar & Zuidema, 2020, arXiv:2005.00928)."""

from __future__ import annotations

from typing import ClassVar

import tensorflow as tf

from tbexplain import calltrace
from tbexplain.methods._rollout import Rollout
from tbexplain.methods.base import register

__all__ = ["AttentionRollout"]

_FUSIONS = ("mean", "max", "min")


def discard_lowest(fused: tf.Tensor, ratio: float, keep: int | None) -> tf.Tensor:
    """`fused` [B, T, T] with its lowest ``floor(ratio * T * T)`` entries of each
    matrix set to 0 (entries equal to the highest of them too), never entry
    ``[keep, keep]``."""
    tokens = fused.shape[-1]
    count = int(ratio * tokens * tokens)
    if count == 0:
        return fused
    flat = tf.reshape(fused, [-1, tokens * tokens])
    threshold = tf.sort(flat, axis=-1)[:, count - 1 : count]
    drop = flat <= threshold
    if keep is not None:
        drop = tf.logical_and(drop, tf.range(tokens * tokens) != keep * tokens + keep)
    return tf.reshape(tf.where(drop, tf.zeros_like(flat), flat), tf.shape(fused))


@register
class AttentionRollout(Rollout):
    """Attention rollout: attention multiplied through the layers.

    Each attention call's weights ``[heads, T, T]`` are fused over the heads
    (``head_fusion``), optionally the lowest ``discard_ratio`` of the fused
    matrix's entries are zeroed (as vit-explain does; the class token's own
    entry is kept), the identity is added for the residual path
    (``0.5 A + 0.5 I``) and each row renormalised to sum to 1; the matrices
    are multiplied from the first layer to the last:
    ``R = Â_L ... Â_2 Â_1``. The map is the row of the token the score reads
    (a class token) or, for a head that pools its tokens, the mean of the
    rows, over the input's grid (an h x w map over an image, one value per
    token over token ids). Unsigned (>= 0). Cost: one forward pass that
    returns the attention weights, and the L matrix products.

    Known to be diffuse in small models (the identity added at every layer
    keeps much of the relevance on each token itself).

    Reference: Abnar & Zuidema, "Quantifying Attention Flow in Transformers",
    ACL 2020.

    Args:
        head_fusion: How heads are fused: ``"mean"``, ``"max"`` or ``"min"``.
        discard_ratio: The fraction of each fused matrix's lowest entries set
            to 0, in [0, 1).
        batch_size: Samples per compiled call; None for all at once.
    """

    name: ClassVar[str] = "attention_rollout"

    def __init__(
        self,
        head_fusion: str = "mean",
        discard_ratio: float = 0.0,
        *,
        batch_size: int | None = None,
    ) -> None:
        super().__init__(batch_size=batch_size)
        if head_fusion not in _FUSIONS:
            raise ValueError(
                f"head_fusion must be one of {_FUSIONS}. "
                f"Received: head_fusion={head_fusion!r}"
            )
        if (
            isinstance(discard_ratio, bool)
            or not isinstance(discard_ratio, (int, float))
            or not 0.0 <= discard_ratio < 1.0
        ):
            raise ValueError(
                "discard_ratio must be a number in [0, 1). "
                f"Received: discard_ratio={discard_ratio!r}"
            )
        self.head_fusion = head_fusion
        self.discard_ratio = float(discard_ratio)

    def _config_repr(self) -> str:
        return (
            f"head_fusion={self.head_fusion!r}, discard_ratio={self.discard_ratio}, "
            f"batch_size={self.batch_size}"
        )

    def _relevance(
        self,
        weights: list[tf.Tensor],
        grads: list[tf.Tensor] | None,
        plan: calltrace.TokenPlan,
    ) -> tf.Tensor:
        fuse = {"mean": tf.reduce_mean, "max": tf.reduce_max, "min": tf.reduce_min}
        tokens = weights[0].shape[-1]
        eye = tf.eye(tokens, dtype=tf.float32)
        relevance = None
        for w in weights:
            fused = fuse[self.head_fusion](w, axis=1)
            if self.discard_ratio:
                fused = discard_lowest(fused, self.discard_ratio, plan.reads)
            step = 0.5 * fused + 0.5 * eye
            step = step / tf.reduce_sum(step, axis=-1, keepdims=True)
            relevance = step if relevance is None else tf.matmul(step, relevance)
        assert relevance is not None
        return relevance
