"""Grad-CAM++ (Chattopadhyay et al., 2018, arXiv:1710.11063)."""

from __future__ import annotations

from typing import ClassVar

import tensorflow as tf

from tbexplain.methods.base import register
from tbexplain.methods.cam import CAM, spatial_axes

__all__ = ["GradCAMPlusPlus"]


@register
class GradCAMPlusPlus(CAM):
    """Grad-CAM++: positive gradients weighted by the paper's alphas.

    With g = d y / d A (y the pre-softmax score; the paper's exponential trick
    turns higher derivatives into powers of g), Eq. 19::

        alpha_kij = g_kij^2 / (2 g_kij^2 + (sum_ab A_kab) g_kij^3)
        w_k       = sum_ij alpha_kij ReLU(g_kij)
        L         = ReLU(sum_k w_k A_k)

    Sums, not means, as in the paper (alpha is 0 where its denominator is 0).
    Channel reduction: the weighted sum over the layer's channels. Unsigned.

    Reference: Chattopadhyay et al., "Grad-CAM++: Generalized Gradient-based
    Visual Explanations for Deep Convolutional Networks", WACV 2018.

    Args:
        layer: None (last spatial layer, also inside nested models), a name, a
            nested path or a Layer.
        batch_size: Samples per compiled call; None for all at once.
    """

    name: ClassVar[str] = "gradcam_plus_plus"

    def _cam_weights(self, activations: tf.Tensor, grads: tf.Tensor) -> tf.Tensor:
        axes = spatial_axes(grads)
        grads_2 = tf.square(grads)
        grads_3 = grads_2 * grads
        sum_activations = tf.reduce_sum(activations, axis=axes, keepdims=True)
        alpha = tf.math.divide_no_nan(
            grads_2, 2.0 * grads_2 + sum_activations * grads_3
        )
        return tf.reduce_sum(alpha * tf.nn.relu(grads), axis=axes)
