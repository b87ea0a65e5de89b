"""The class-activation-map family: a map from a layer's activations and gradients.

`CAM` computes, for the chosen layer's activations A [B, h, w, K] (or
[B, t, K]) and the gradients G = d score / d A of the pre-softmax target
score, ``ReLU(sum_k w_k A_k)`` with per-channel weights from `_cam_weights`,
then the base resizes the map bilinearly to the input resolution. A variant
overrides `_cam_weights` (Grad-CAM, Grad-CAM++, XGrad-CAM) or `_cam_map`
(Layer-CAM, HiRes-CAM); one whose map needs no gradients (Eigen-CAM) sets
``gradients = False`` and runs a forward pass only.
"""

from __future__ import annotations

from typing import ClassVar

import tensorflow as tf

from tbexplain.methods.base import LayerMethod
from tbexplain.methods.forward import Forward, Result

__all__ = ["CAM", "most_active_channels", "spatial_axes", "weighted_map"]


def spatial_axes(activations: tf.Tensor) -> list[int]:
    """The spatial axes of [B, h, w, K] or [B, t, K] activations."""
    return list(range(1, activations.shape.rank - 1))


def weighted_map(activations: tf.Tensor, weights: tf.Tensor) -> tf.Tensor:
    """``ReLU(sum_k w_k A_k)``: [B, ..., K] activations, [B, K] weights."""
    for _ in spatial_axes(activations):
        weights = tf.expand_dims(weights, 1)
    return tf.nn.relu(tf.reduce_sum(activations * weights, axis=-1))


def most_active_channels(activations: tf.Tensor, k: int) -> tf.Tensor:
    """int32 [B, k]: each sample's k channels of largest spatial standard
    deviation (Faster Score-CAM's choice), in no particular order."""
    spread = tf.math.reduce_std(activations, axis=spatial_axes(activations))
    return tf.math.top_k(spread, k=k, sorted=False).indices


class CAM(LayerMethod):
    """Base of the CAM family (see the module docstring); maps are >= 0."""

    signed: ClassVar[bool] = False
    gradients: ClassVar[bool] = True

    def _attribute(
        self,
        forward: Forward,
        x: tf.Tensor,
        class_ids: tf.Tensor,
        index: tf.Tensor,
        seed: tf.Tensor,
    ) -> Result:
        if not self.gradients:
            activations, scores, ids = forward.layer_output(x, class_ids)
            return Result(self._cam_map(activations, None), scores, ids)
        activations, grads, scores, ids = forward.layer_gradients(x, class_ids)
        return Result(self._cam_map(activations, grads), scores, ids)

    def _cam_weights(self, activations: tf.Tensor, grads: tf.Tensor) -> tf.Tensor:
        """Per-channel weights [B, K] from activations and gradients."""
        raise NotImplementedError

    def _cam_map(self, activations: tf.Tensor, grads: tf.Tensor | None) -> tf.Tensor:
        """The layer-resolution map [B, h, w] (default: ReLU of the weighted sum);
        ``grads`` is None for a variant with ``gradients = False``."""
        assert grads is not None
        return weighted_map(activations, self._cam_weights(activations, grads))
