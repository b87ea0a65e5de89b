"""Saliency: vanilla gradients (Simonyan et al., 2014, arXiv:1312.6034)."""

from __future__ import annotations

from typing import ClassVar

import tensorflow as tf

from tbexplain.methods.base import Method, reduce_channels, register
from tbexplain.methods.forward import Forward, Result

__all__ = ["Saliency"]


@register
class Saliency(Method):
    """Vanilla gradients: ``max_c |d y / d x_c|``.

    y is the pre-softmax score of the target. Channel reduction: the maximum
    absolute gradient over the input channels, as in the paper. Unsigned.

    Reference: Simonyan, Vedaldi and Zisserman, "Deep Inside Convolutional
    Networks: Visualising Image Classification Models and Saliency Maps",
    ICLR workshop 2014.

    Args:
        batch_size: Samples per compiled call; None for all at once.
    """

    name: ClassVar[str] = "saliency"
    signed: ClassVar[bool] = False

    def _attribute(
        self,
        forward: Forward,
        x: tf.Tensor,
        class_ids: tf.Tensor,
        index: tf.Tensor,
        seed: tf.Tensor,
    ) -> Result:
        grads, scores, ids = forward.input_gradients(x, class_ids)
        return Result(reduce_channels(grads, "max_abs"), scores, ids)
