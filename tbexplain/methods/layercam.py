"""Layer-CAM (Jiang et al., 2021, IEEE TIP 30:5875)."""

from __future__ import annotations

from typing import ClassVar

import tensorflow as tf

from tbexplain.methods.base import register
from tbexplain.methods.cam import CAM

__all__ = ["LayerCAM"]


@register
class LayerCAM(CAM):
    """Layer-CAM: activations weighted element-wise by their positive gradients.

    ``L = ReLU(sum_k ReLU(d y / d A_k) * A_k)``, no spatial pooling of the
    gradients (y is the pre-softmax score). Channel reduction: the sum over
    the layer's channels. Unsigned.

    Reference: Jiang et al., "LayerCAM: Exploring Hierarchical Class
    Activation Maps for Localization", IEEE Transactions on Image Processing,
    2021.

    Args:
        layer: None (last spatial layer, also inside nested models), a name, a
            nested path or a Layer.
        batch_size: Samples per compiled call; None for all at once.
    """

    name: ClassVar[str] = "layercam"

    def _cam_map(self, activations: tf.Tensor, grads: tf.Tensor) -> tf.Tensor:
        return tf.nn.relu(tf.reduce_sum(tf.nn.relu(grads) * activations, axis=-1))
