"""SquareGrad (Hooker et al., 2019, arXiv:1806.10758)."""

from __future__ import annotations

from typing import ClassVar

import tensorflow as tf

from tbexplain.methods.base import reduce_channels, register
from tbexplain.methods.gradient_statistics import GradientStatistics

__all__ = ["SquareGrad"]


@register
class SquareGrad(GradientStatistics):
    """SquareGrad: the mean squared gradient over noisy copies of the input.

    ``M = max_c (1/n) sum_k (d y / d x_c (x + N(0, sigma^2)))^2``, computed as
    variance + mean^2 of the online statistics; sigma as in `SmoothGrad`.
    Channel reduction: the maximum over the input channels. Unsigned.

    Reference: Hooker et al., "A Benchmark for Interpretability Methods in
    Deep Neural Networks", NeurIPS 2019.

    Args:
        samples: Number of noisy copies per input (n).
        noise: Noise standard deviation as a fraction of each input's range.
        seed: Seed of the noise; None draws a fresh one per call.
        batch_size: Inputs per compiled call; None for all at once.
    """

    name: ClassVar[str] = "squaregrad"
    signed: ClassVar[bool] = False

    def _statistic(self, mean: tf.Tensor, variance: tf.Tensor) -> tf.Tensor:
        return reduce_channels(variance + tf.square(mean), "max")
