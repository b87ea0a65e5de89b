"""SmoothGrad (Smilkov et al., 2017, arXiv:1706.03825)."""

from __future__ import annotations

from typing import ClassVar

import tensorflow as tf

from tbexplain.methods.base import reduce_channels, register
from tbexplain.methods.gradient_statistics import GradientStatistics

__all__ = ["SmoothGrad"]


@register
class SmoothGrad(GradientStatistics):
    """SmoothGrad: the mean gradient over noisy copies of the input.

    ``M = max_c |(1/n) sum_k d y / d x_c (x + N(0, sigma^2))|`` with sigma a
    fraction (``noise``) of each input's value range, as in the paper. y is
    the pre-softmax score. Channel reduction: the maximum absolute value over
    the input channels (as `Saliency`). Unsigned.

    Reference: Smilkov et al., "SmoothGrad: removing noise by adding noise",
    ICML workshop 2017.

    Args:
        samples: Number of noisy copies per input (n).
        noise: Noise standard deviation as a fraction of each input's range.
        seed: Seed of the noise; None draws a fresh one per call.
        batch_size: Inputs per compiled call; None for all at once.
    """

    name: ClassVar[str] = "smoothgrad"
    signed: ClassVar[bool] = False

    def _statistic(self, mean: tf.Tensor, variance: tf.Tensor) -> tf.Tensor:
        return reduce_channels(mean, "max_abs")
