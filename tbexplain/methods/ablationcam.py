"""Ablation-CAM (Desai & Ramaswamy, 2020, WACV)."""

from __future__ import annotations

from typing import Any, ClassVar

import tensorflow as tf

from tbexplain.above import Above
from tbexplain.checks import positive_int
from tbexplain.methods.base import register
from tbexplain.methods.cam import CAM, most_active_channels, weighted_map
from tbexplain.methods.forward import Forward, Result
from tbexplain.perturbation import chunked_scores

__all__ = ["AblationCAM"]


@register
class AblationCAM(CAM):
    """Ablation-CAM: each channel weighted by the score lost when it is set to zero.

    ``w_k = (y - y_k) / y``, y the explained (pre-softmax) score and ``y_k``
    the score with channel k of the layer's output set to zero at every
    position; ``L = ReLU(sum_k w_k A_k)``. A zero score gives zero weights.
    No gradients.

    Only the part of the model above the layer reruns, on copies of the
    layer's output with one channel zeroed, ``perturbation_batch`` copies of
    all samples per pass in one compiled loop: the tensors that bypass the
    layer (skip connections, other inputs' branches) are taken from one
    ordinary forward pass (`tbexplain.above`). A model without a graph to cut
    (a subclassed model, a layer inside another layer) reruns whole, with the
    layer's output replaced: the same maps at a higher cost.

    ``max_channels=k`` ablates only each sample's k most active channels
    (largest spatial standard deviation, as Score-CAM's ``max_channels``); the
    others weigh 0.

    Cost: one forward pass, then one pass of the part above the layer per
    ablated channel (batched). Unsigned.

    Reference: Desai & Ramaswamy, "Ablation-CAM: Visual Explanations for Deep
    Convolutional Network via Gradient-free Localization", WACV 2020.

    Example:
      >>> maps = tbx.AblationCAM(max_channels=128).explain(model, images)

    Args:
        layer: None (last spatial layer, also inside nested models), a name, a
            nested path or a Layer.
        max_channels: Ablate only this many channels per sample, the most
            active; None ablates every channel.
        perturbation_batch: Ablated copies per pass of the part above the
            layer (copies of all samples mixed); bounds the memory.
        batch_size: Samples per compiled call; None for all at once.
    """

    name: ClassVar[str] = "ablationcam"
    gradients: ClassVar[bool] = False

    def __init__(
        self,
        layer: Any = None,
        max_channels: int | None = None,
        perturbation_batch: int = 64,
        *,
        batch_size: int | None = None,
    ) -> None:
        super().__init__(layer, batch_size=batch_size)
        self.max_channels = positive_int(max_channels, "max_channels", allow_none=True)
        self.perturbation_batch = positive_int(perturbation_batch, "perturbation_batch")

    def _config_repr(self) -> str:
        return (
            f"{super()._config_repr()}, max_channels={self.max_channels}, "
            f"perturbation_batch={self.perturbation_batch}"
        )

    def _attribute(
        self,
        forward: Forward,
        x: tf.Tensor,
        class_ids: tf.Tensor,
        index: tf.Tensor,
        seed: tf.Tensor,
    ) -> Result:
        assert forward.layer is not None
        above = Above.of(forward.model, forward.layer, forward.feeding.embedding)
        with above.recording() as held:
            activations, scores, ids = forward.layer_output(x, class_ids)
        output = held.output
        channels = output.shape[-1]
        keep = min(channels, self.max_channels or channels)
        chosen = most_active_channels(tf.cast(activations, tf.float32), keep)
        spatial = output.shape.rank - 2

        def score_chunk(idx: tf.Tensor) -> tf.Tensor:
            sample = idx // keep
            channel = tf.gather_nd(chosen, tf.stack([sample, idx % keep], axis=1))
            kept = 1 - tf.one_hot(channel, channels, dtype=output.dtype)
            values = tf.gather(output, sample) * tf.reshape(
                kept, [-1, *[1] * spatial, channels]
            )
            with above.replacing(values, held, sample):
                if above.cut:
                    outputs = forward.outputs(x)
                else:
                    outputs = forward.outputs(tf.gather(x, sample), rows=sample)
            copy_scores, _ = forward.scores(
                outputs, tf.gather(ids, sample), rows=sample
            )
            return copy_scores

        batch = tf.shape(x)[0]
        ablated = tf.reshape(
            chunked_scores(batch * keep, self.perturbation_batch, score_chunk),
            [-1, keep],
        )
        base = tf.cast(scores, tf.float32)[:, None]
        dropped = tf.math.divide_no_nan(base - ablated, base)
        weights = tf.einsum("bk,bkc->bc", dropped, tf.one_hot(chosen, channels))
        return Result(
            weighted_map(tf.cast(activations, tf.float32), weights), scores, ids
        )
