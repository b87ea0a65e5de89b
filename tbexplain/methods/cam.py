"""The class-activation-map family: a map from a layer's activations and gradients.

`CAM` computes, for the chosen layer's activations A [B, h, w, K] (or
[B, t, K]) and the gradients G = d score / d A of the pre-softmax target
score, ``ReLU(sum_k w_k A_k)`` with per-channel weights from `_cam_weights`,
then the base resizes the map bilinearly to the input resolution. A variant
overrides `_cam_weights` (Grad-CAM, Grad-CAM++) or `_cam_map` (Layer-CAM).
"""

from __future__ import annotations

from typing import ClassVar

import tensorflow as tf

from tbexplain.methods.base import Forward, LayerMethod, Result

__all__ = ["CAM", "spatial_axes"]


def spatial_axes(activations: tf.Tensor) -> list[int]:
    """The spatial axes of [B, h, w, K] or [B, t, K] activations."""
    return list(range(1, activations.shape.rank - 1))


class CAM(LayerMethod):
    """Base of the CAM family (see the module docstring); maps are >= 0."""

    signed: ClassVar[bool] = False

    def _attribute(
        self,
        forward: Forward,
        x: tf.Tensor,
        class_ids: tf.Tensor,
        index: tf.Tensor,
        seed: tf.Tensor,
    ) -> Result:
        activations, grads, scores, ids = forward.layer_gradients(x, class_ids)
        return Result(self._cam_map(activations, grads), scores, ids)

    def _cam_weights(self, activations: tf.Tensor, grads: tf.Tensor) -> tf.Tensor:
        """Per-channel weights [B, K] from activations and gradients."""
        raise NotImplementedError

    def _cam_map(self, activations: tf.Tensor, grads: tf.Tensor) -> tf.Tensor:
        """The layer-resolution map [B, h, w] (default: ReLU of the weighted sum)."""
        weights = self._cam_weights(activations, grads)
        axes = spatial_axes(activations)
        for _ in axes:
            weights = tf.expand_dims(weights, 1)
        return tf.nn.relu(tf.reduce_sum(activations * weights, axis=-1))
