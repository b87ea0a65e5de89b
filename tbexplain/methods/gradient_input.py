"""Gradient x Input (Shrikumar et al., 2016, arXiv:1605.01713)."""

from __future__ import annotations

from typing import ClassVar

import tensorflow as tf

from tbexplain.methods.base import Method, reduce_channels, register
from tbexplain.methods.forward import Forward, Result

__all__ = ["GradientInput"]


@register
class GradientInput(Method):
    """Gradient x Input: ``sum_c x_c * d y / d x_c``.

    y is the pre-softmax score of the target. Channel reduction: the sum over
    the input channels (so for a linear model the map sums to ``y - b``).
    Signed.

    Reference: Shrikumar et al., "Not Just a Black Box: Learning Important
    Features Through Propagating Activation Differences", arXiv 2016.

    Args:
        batch_size: Samples per compiled call; None for all at once.
    """

    name: ClassVar[str] = "gradient_input"
    signed: ClassVar[bool] = True

    def _attribute(
        self,
        forward: Forward,
        x: tf.Tensor,
        class_ids: tf.Tensor,
        index: tf.Tensor,
        seed: tf.Tensor,
    ) -> Result:
        grads, scores, ids = forward.input_gradients(x, class_ids)
        return Result(reduce_channels(grads * x, "sum"), scores, ids)
