"""Statistics of input gradients over noisy copies (SmoothGrad, VarGrad, SquareGrad).

`GradientStatistics` runs one compiled loop over ``n`` noise samples: at each
step every input of the batch gets its own Gaussian noise with
``sigma = noise * (max(x) - min(x))`` (the range of that input), the
gradients of the pre-softmax target score are taken, and an online
(Welford) mean and variance are updated, so the ``n`` noisy copies are never
held at once. A subclass turns (mean, variance) into a map with `_statistic`.

The k-th noise draw is one standard-normal tensor of the shape of one input,
from a stateless generator seeded with ``(seed, k)``, shared by every input of
the call and scaled by each input's own sigma. Each map is still the average
over n independent draws, so every map is an unbiased estimate; sharing the
draws makes maps deterministic for a given seed and independent of
``batch_size`` and of an input's position, and costs one draw per step
instead of one per input.
The target class (None = predicted) is resolved on the clean input.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from tbexplain.checks import positive_int
from tbexplain.methods.base import Method
from tbexplain.methods.forward import Forward, Result

__all__ = ["GradientStatistics"]


class GradientStatistics(Method):
    """Base of the noise-statistics methods (see the module docstring).

    Args:
        samples: Number of noisy copies per input (n).
        noise: Noise standard deviation as a fraction of each input's value
            range (max - min); the SmoothGrad paper suggests 0.1-0.2.
        seed: Seed of the noise; None draws a fresh one per call.
        batch_size: Inputs per compiled call; None for all at once.
    """

    def __init__(
        self,
        samples: int = 16,
        noise: float = 0.15,
        *,
        seed: int | None = 0,
        batch_size: int | None = None,
    ) -> None:
        super().__init__(batch_size=batch_size)
        if not noise >= 0:
            raise ValueError(f"noise must be >= 0. Received: noise={noise!r}")
        if seed is not None and not isinstance(seed, (int, np.integer)):
            raise TypeError(f"seed must be an int or None. Received: seed={seed!r}")
        self.samples = positive_int(samples, "samples")
        self.noise = float(noise)
        self.seed = seed

    def _config_repr(self) -> str:
        return (
            f"samples={self.samples}, noise={self.noise}, seed={self.seed}, "
            f"batch_size={self.batch_size}"
        )

    def _call_seed(self) -> int:
        if self.seed is None:
            return int(np.random.default_rng().integers(0, 2**31 - 1))
        return int(self.seed) % (2**31 - 1)

    def _statistic(self, mean: tf.Tensor, variance: tf.Tensor) -> tf.Tensor:
        """The map [b, H, W] from per-element gradient mean and variance."""
        raise NotImplementedError

    def _attribute(
        self,
        forward: Forward,
        x: tf.Tensor,
        class_ids: tf.Tensor,
        index: tf.Tensor,
        seed: tf.Tensor,
    ) -> Result:
        scores, ids = forward.forward_scores(x, class_ids)
        axes = list(range(1, x.shape.rank))
        value_range = tf.reduce_max(x, axis=axes) - tf.reduce_min(x, axis=axes)
        sigma = self.noise * value_range
        for _ in axes:
            sigma = sigma[:, None]
        n = self.samples
        sample_shape = tf.shape(x)[1:]

        def body(
            k: tf.Tensor, mean: tf.Tensor, m2: tf.Tensor
        ) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
            draw = tf.random.stateless_normal(
                tf.concat([[1], sample_shape], 0), seed=tf.stack([seed, k])
            )
            noisy = x + sigma * draw
            grads, _, _ = forward.input_gradients(noisy, ids)
            count = tf.cast(k + 1, grads.dtype)
            delta = grads - mean
            mean = mean + delta / count
            m2 = m2 + delta * (grads - mean)
            return k + 1, mean, m2

        zeros = tf.zeros_like(x)
        _, mean, m2 = tf.while_loop(
            lambda k, *_: k < n, body, (tf.constant(0), zeros, zeros)
        )
        variance = m2 / float(n)
        return Result(self._statistic(mean, variance), scores, ids)
