"""Score-CAM (Wang et al., 2020), with the top-k channel limit of Faster Score-CAM.

Each channel ``A_k`` of the layer is upsampled to the input size, min-max normalised to
[0, 1]
and used as a mask: the masked input is ``x * M_k`` (``fill`` replaces the rest; 0 by
  default,
as in the paper). The channel's weight is the target class's **softmax probability** on
the masked input (the variant of the official implementation, haofanwang/Score-CAM, and
of tf-keras-vis, with no baseline subtraction; pytorch-grad-cam instead takes raw scores
and a softmax across channels). The map is ``ReLU(sum_k w_k A_k)`` upsampled to the
input (upsampling is linear, so this equals summing the upsampled channels).

``max_channels=k`` keeps, per image, only the ``k`` channels with the largest spatial
standard deviation of their activation (Faster Score-CAM, tf-keras-vis ``max_N``); the
others weigh 0. All (image, channel) copies are built on the device and scored
``batch_size`` at a time inside one ``tf.while_loop``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import tensorflow as tf

from tbexplain.checks import positive_int
from tbexplain.methods._perturbation import PerturbationMethod
from tbexplain.methods.base import LayerMethod, register
from tbexplain.methods.cam import most_active_channels
from tbexplain.perturbation import Fill, check_fill, chunked_scores

__all__ = ["ScoreCAM"]


@register
class ScoreCAM(PerturbationMethod, LayerMethod):
    """Score-CAM: channels of a layer weighted by the class probability of the input
    they mask.

    Example:
      >>> maps = tbx.ScoreCAM(max_channels=64).explain(model, images)

    Args:
      layer: None (the last spatial layer, also inside nested models), a name, a nested
        path such as ``"backbone/out_relu"``, or a Layer.
      max_channels: keep only this many channels per image, those with the largest
        spatial standard deviation (Faster Score-CAM); None uses all channels.
      fill: what a masked-out pixel becomes: 0.0 (the paper's ``x * M``, the default),
        another constant, ``"mean"`` or ``"blur"``.
      perturbation_batch: masked copies per forward pass (copies of all images mixed);
        bounds the memory.
      batch_size: samples per compiled call (None: all at once).
    """

    name: ClassVar[str] = "scorecam"
    signed: ClassVar[bool] = False
    probabilities: ClassVar[bool] = True

    def __init__(
        self,
        layer: Any = None,
        max_channels: int | None = None,
        fill: Fill = 0.0,
        perturbation_batch: int = 64,
        batch_size: int | None = None,
    ) -> None:
        super().__init__(
            perturbation_batch=perturbation_batch, layer=layer, batch_size=batch_size
        )
        self.max_channels = positive_int(max_channels, "max_channels", allow_none=True)
        self.fill = check_fill(fill)

    def _config_repr(self) -> str:
        return (
            f"{LayerMethod._config_repr(self)}, max_channels={self.max_channels}, "
            f"fill={self.fill!r}, perturbation_batch={self.perturbation_batch}"
        )

    def num_copies(self, shape: Sequence[int], channels: int | None = None) -> int:
        """Masked copies per image: the layer's channels, at most ``max_channels``."""
        if channels is None:
            return self.max_channels or 0
        return min(channels, self.max_channels or channels)

    def perturbation_maps(
        self,
        score: Any,
        x: tf.Tensor,
        base_scores: tf.Tensor,
        activations: tf.Tensor | None = None,
        seed: tf.Tensor | None = None,
        baseline: tf.Tensor | None = None,
    ) -> tf.Tensor:
        if activations is None:  # pragma: no cover - the base always passes them
            raise ValueError("ScoreCAM needs the layer's activations.")
        _, height, width, _ = x.shape
        batch = tf.shape(x)[0]
        acts = tf.cast(activations, tf.float32)
        if acts.shape.rank == 3:  # sequences [B, T, K]
            acts = acts[:, :, None, :]
        channels = acts.shape[-1]
        keep = min(channels, self.max_channels or channels)
        if keep < channels:
            chosen = most_active_channels(acts, keep)
            acts = tf.gather(acts, chosen, axis=3, batch_dims=1)
        by_channel = tf.transpose(acts, [0, 3, 1, 2])  # [B, k, h, w]
        filled = self.fill_values(x, self.fill, baseline)

        def score_chunk(idx: tf.Tensor) -> tf.Tensor:
            sample = idx // keep
            channel = idx % keep
            a = tf.gather_nd(by_channel, tf.stack([sample, channel], axis=1))[..., None]
            up = tf.image.resize(a, (height, width), method="bilinear")
            lo = tf.reduce_min(up, axis=[1, 2, 3], keepdims=True)
            hi = tf.reduce_max(up, axis=[1, 2, 3], keepdims=True)
            m = tf.math.divide_no_nan(up - lo, hi - lo)
            copies = tf.gather(x, sample) * m + self.fill_rows(filled, sample) * (
                1.0 - m
            )
            return score(copies, sample)

        weights = tf.reshape(
            chunked_scores(batch * keep, self.perturbation_batch, score_chunk),
            [-1, keep],
        )
        cam = tf.nn.relu(tf.einsum("bhwk,bk->bhw", acts, weights))
        return tf.image.resize(cam[..., None], (height, width), method="bilinear")[
            ..., 0
        ]
