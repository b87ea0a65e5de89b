"""Grad-CAM (Selvaraju et al., 2017, arXiv:1610.02391)."""

from __future__ import annotations

from typing import ClassVar

import tensorflow as tf

from tbexplain.methods.base import register
from tbexplain.methods.cam import CAM, spatial_axes

__all__ = ["GradCAM"]


@register
class GradCAM(CAM):
    """Grad-CAM: activations weighted by their spatially averaged gradients.

    ``L = ReLU(sum_k a_k A_k)`` with ``a_k = mean_ij d y / d A_k[i, j]``, where y
    is the pre-softmax score of the target. The layer map is resized
    bilinearly to the input resolution. Channel reduction: the weighted sum
    over the layer's channels. Unsigned (>= 0).

    Reference: Selvaraju et al., "Grad-CAM: Visual Explanations from Deep
    Networks via Gradient-based Localization", ICCV 2017.

    Args:
        layer: None (last spatial layer, also inside nested models), a name, a
            nested path or a Layer.
        batch_size: Samples per compiled call; None for all at once.
    """

    name: ClassVar[str] = "gradcam"

    def _cam_weights(self, activations: tf.Tensor, grads: tf.Tensor) -> tf.Tensor:
        return tf.reduce_mean(grads, axis=spatial_axes(grads))
