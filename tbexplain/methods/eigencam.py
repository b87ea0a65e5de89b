"""Eigen-CAM (Muhammad & Yeasin, 2020, arXiv:2008.00299)."""

from __future__ import annotations

from typing import ClassVar

import tensorflow as tf

from tbexplain.methods.base import register
from tbexplain.methods.cam import CAM

__all__ = ["EigenCAM"]


@register
class EigenCAM(CAM):
    """Eigen-CAM: the activations' first principal component, position by position.

    Each sample's activations are a [positions, channels] matrix M; its
    columns are centred over the positions and M is projected on its first
    right singular vector v, ``L = ReLU(M v)`` reshaped to the layer's grid.
    No gradients and no target: the map is class-agnostic (the scores and
    classes it reports are still those of the targets).

    A singular vector's sign is arbitrary (pytorch-grad-cam leaves it to the
    SVD routine, so its maps may come out inverted); here it is chosen so that
    the projection correlates positively with the channel mean of the
    activations at each position, i.e. the map highlights where the layer is
    most active, not where it is least.

    Cost: one forward pass (no backward) and one SVD per sample of a
    [positions, channels] matrix. Unsigned.

    Reference: Muhammad & Yeasin, "Eigen-CAM: Class Activation Map using
    Principal Components", IJCNN 2020.

    Args:
        layer: None (last spatial layer, also inside nested models), a name, a
            nested path or a Layer.
        batch_size: Samples per compiled call; None for all at once.
    """

    name: ClassVar[str] = "eigencam"
    gradients: ClassVar[bool] = False

    def _cam_map(self, activations: tf.Tensor, grads: tf.Tensor | None) -> tf.Tensor:
        grid = tf.shape(activations)[:-1]
        channels = activations.shape[-1]
        matrix = tf.reshape(tf.cast(activations, tf.float32), [grid[0], -1, channels])
        centred = matrix - tf.reduce_mean(matrix, axis=1, keepdims=True)
        # M v = s u for the first singular triple, so no product is needed.
        s, u, _ = tf.linalg.svd(centred, full_matrices=False)
        projection = u[:, :, 0] * s[:, :1]
        activity = tf.reduce_mean(matrix, axis=-1)
        activity -= tf.reduce_mean(activity, axis=1, keepdims=True)
        sign = tf.where(tf.reduce_sum(projection * activity, axis=1) < 0, -1.0, 1.0)
        return tf.nn.relu(tf.reshape(projection * sign[:, None], grid))
