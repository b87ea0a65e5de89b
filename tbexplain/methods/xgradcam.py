"""XGrad-CAM (Fu et al., 2020, arXiv:2008.02312)."""

from __future__ import annotations

from typing import ClassVar

import tensorflow as tf

from tbexplain.methods.base import register
from tbexplain.methods.cam import CAM, spatial_axes

__all__ = ["XGradCAM"]


@register
class XGradCAM(CAM):
    """XGrad-CAM: gradients averaged with the channel's own activations as weights.

    ``a_k = sum_ij (A_k[i, j] / sum_ab A_k[a, b]) * d y / d A_k[i, j]`` and
    ``L = ReLU(sum_k a_k A_k)`` (y the pre-softmax score); a channel whose
    activations sum to 0 weighs 0. Channel reduction: the weighted sum over
    the layer's channels. Unsigned.

    Reference: Fu et al., "Axiom-based Grad-CAM: Towards Accurate Visualization
    and Explanation of CNNs", BMVC 2020.

    Args:
        layer: None (last spatial layer, also inside nested models), a name, a
            nested path or a Layer.
        batch_size: Samples per compiled call; None for all at once.
    """

    name: ClassVar[str] = "xgradcam"

    def _cam_weights(self, activations: tf.Tensor, grads: tf.Tensor) -> tf.Tensor:
        axes = spatial_axes(activations)
        sums = tf.reduce_sum(activations, axis=axes, keepdims=True)
        shares = tf.math.divide_no_nan(activations, sums)
        return tf.reduce_sum(shares * grads, axis=axes)
