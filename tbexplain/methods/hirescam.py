"""HiResCAM (Draelos & Carin, 2020, arXiv:2011.08891)."""

from __future__ import annotations

from typing import ClassVar

import tensorflow as tf

from tbexplain.methods.base import register
from tbexplain.methods.cam import CAM

__all__ = ["HiResCAM"]


@register
class HiResCAM(CAM):
    """HiResCAM: activations multiplied element-wise by their gradients.

    ``L = ReLU(sum_k d y / d A_k * A_k)``: the gradient is not pooled over
    positions (Grad-CAM's mean), so each position keeps its own weight (y is
    the pre-softmax score). For a CNN that ends in global average pooling and
    one dense layer, the map is exactly what each position adds to the score
    (up to the ReLU and a constant factor). Channel reduction: the sum over the
    layer's channels. Unsigned.

    Reference: Draelos & Carin, "Use HiResCAM instead of Grad-CAM for faithful
    explanations of convolutional neural networks", arXiv:2011.08891, 2020.

    Args:
        layer: None (last spatial layer, also inside nested models), a name, a
            nested path or a Layer.
        batch_size: Samples per compiled call; None for all at once.
    """

    name: ClassVar[str] = "hirescam"

    def _cam_map(self, activations: tf.Tensor, grads: tf.Tensor | None) -> tf.Tensor:
        return tf.nn.relu(tf.reduce_sum(grads * activations, axis=-1))
