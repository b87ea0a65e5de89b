"""VarGrad (Adebayo et al., 2018, arXiv:1810.03307)."""

from __future__ import annotations

from typing import ClassVar

import tensorflow as tf

from tbexplain.methods.base import reduce_channels, register
from tbexplain.methods.gradient_statistics import GradientStatistics

__all__ = ["VarGrad"]


@register
class VarGrad(GradientStatistics):
    """VarGrad: the variance of the gradient over noisy copies of the input.

    ``M = max_c Var_k[d y / d x_c (x + N(0, sigma^2))]`` (population
    variance over the n samples), sigma as in `SmoothGrad`. Channel
    reduction: the maximum over the input channels. Unsigned.

    Reference: Adebayo et al., "Local Explanation Methods for Deep Neural
    Networks Lack Sensitivity to Parameter Values", ICLR workshop 2018.

    Args:
        samples: Number of noisy copies per input (n).
        noise: Noise standard deviation as a fraction of each input's range.
        seed: Seed of the noise; None draws a fresh one per call.
        batch_size: Inputs per compiled call; None for all at once.
    """

    name: ClassVar[str] = "vargrad"
    signed: ClassVar[bool] = False

    def _statistic(self, mean: tf.Tensor, variance: tf.Tensor) -> tf.Tensor:
        return reduce_channels(variance, "max")
