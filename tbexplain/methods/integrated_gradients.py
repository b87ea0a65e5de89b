"""Integrated Gradients (Sundararajan et al., 2017, arXiv:1703.01365)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import tensorflow as tf

from tbexplain.checks import positive_int
from tbexplain.methods.base import Method, reduce_channels, register
from tbexplain.methods.forward import Forward, Result

__all__ = ["IntegratedGradients"]


@register
class IntegratedGradients(Method):
    """Integrated Gradients along the straight path from a baseline.

    ``IG_i = (x_i - x'_i) * integral_0^1 d y / d x_i (x' + a (x - x')) da``,
    approximated by the midpoint Riemann rule: the mean of the gradients at
    ``a_k = (k + 1/2) / steps``, k = 0..steps-1 (error O(1/steps^2) for a
    smooth path). y is the pre-softmax score of the target (resolved on x).
    Channel reduction: the sum over the input channels, so the map sums to
    ``y(x) - y(x')`` (completeness; within 1% at 64 steps for the models we
    test). Signed.

    The interpolation points are batched: ``steps_per_batch`` points of every
    input go through the model in one pass (a batch of ``steps_per_batch``
    times the input batch), in a compiled loop over chunks; a last smaller
    chunk takes the remaining points, so no padded point is computed.

    Reference: Sundararajan, Taly and Yan, "Axiomatic Attribution for Deep
    Networks", ICML 2017.

    Args:
        steps: Number of interpolation points.
        baseline: x', a float (every element) or an array broadcastable to one
            input ([H, W, C] or [T, C]); default 0 (a black image). Token
            inputs always start from the pad token's embedding (zeros when
            the ``Embedding`` has no ``mask_zero``).
        steps_per_batch: Interpolation points per model pass (times the input
            batch); None for all ``steps`` at once.
        batch_size: Inputs per compiled call; None for all at once.
    """

    name: ClassVar[str] = "integrated_gradients"
    signed: ClassVar[bool] = True

    def __init__(
        self,
        steps: int = 50,
        baseline: float | np.ndarray = 0.0,
        *,
        steps_per_batch: int | None = 4,
        batch_size: int | None = None,
    ) -> None:
        super().__init__(batch_size=batch_size)
        steps = positive_int(steps, "steps")
        steps_per_batch = positive_int(
            steps_per_batch, "steps_per_batch", allow_none=True
        )
        baseline_array = np.asarray(baseline, dtype=np.float32)
        if baseline_array.ndim > 3:
            raise ValueError(
                "baseline must be a float or one input's array (no batch axis). "
                f"Received: baseline of shape {baseline_array.shape}"
            )
        self.steps = steps
        self.baseline = baseline_array
        self.steps_per_batch = min(steps_per_batch or steps, steps)

    def _config_repr(self) -> str:
        baseline: Any = (
            float(self.baseline) if self.baseline.ndim == 0 else self.baseline.shape
        )
        return (
            f"steps={self.steps}, baseline={baseline}, "
            f"steps_per_batch={self.steps_per_batch}, batch_size={self.batch_size}"
        )

    def _attribute(
        self,
        forward: Forward,
        x: tf.Tensor,
        class_ids: tf.Tensor,
        index: tf.Tensor,
        seed: tf.Tensor,
    ) -> Result:
        scores, ids = forward.forward_scores(x, class_ids)
        own = forward.baseline(x)  # token inputs: the pad token's embedding
        if own is not None:
            baseline = own
        else:
            try:
                baseline = tf.broadcast_to(tf.constant(self.baseline), tf.shape(x)[1:])
            except (ValueError, tf.errors.InvalidArgumentError) as err:
                raise ValueError(
                    f"baseline of shape {self.baseline.shape} does not broadcast to "
                    f"the inputs' shape {tuple(x.shape[1:])}. Received: baseline"
                ) from err
            baseline = baseline[None]
        delta = x - baseline
        steps, chunk = self.steps, self.steps_per_batch
        full_chunks, rest = divmod(steps, chunk)
        batch = tf.shape(x)[0]
        expand = [1] * (x.shape.rank - 1)
        sample_shape = tf.shape(x)[1:]

        def gradient_sum(first: tf.Tensor, size: int) -> tf.Tensor:
            """Sum of the gradients at points first..first+size-1, one pass."""
            k = tf.cast(tf.range(size) + first, tf.float32)
            alphas = tf.reshape((k + 0.5) / steps, [size, 1, *expand])
            points = baseline[None] + alphas * delta[None]  # [size, b, ...]
            points = tf.reshape(points, tf.concat([[size * batch], sample_shape], 0))
            rows = tf.tile(tf.range(batch), [size])
            grads, _, _ = forward.input_gradients(
                points, tf.gather(ids, rows), rows=rows
            )
            grads = tf.reshape(grads, tf.concat([[size, batch], sample_shape], 0))
            return tf.reduce_sum(grads, axis=0)

        def body(c: tf.Tensor, total: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            return c + 1, total + gradient_sum(c * chunk, chunk)

        _, total = tf.while_loop(
            lambda c, _: c < full_chunks, body, (tf.constant(0), tf.zeros_like(x))
        )
        if rest:  # the last, smaller chunk: no padded points are computed
            total += gradient_sum(tf.constant(full_chunks * chunk), rest)
        attributions = delta * total / float(steps)
        return Result(reduce_channels(attributions, "sum"), scores, ids)
