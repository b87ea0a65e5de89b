"""Guided Grad-CAM (Selvaraju et al., 2017, arXiv:1610.02391)."""

from __future__ import annotations

from typing import ClassVar

import tensorflow as tf

from tbexplain.methods.base import (
    Forward,
    Result,
    reduce_channels,
    register,
    resize_map,
)
from tbexplain.methods.cam import CAM
from tbexplain.methods.gradcam import GradCAM
from tbexplain.methods.guided_backprop import guided_relus

__all__ = ["GuidedGradCAM"]


@register
class GuidedGradCAM(CAM):
    """Guided Grad-CAM: guided backpropagation times the upsampled Grad-CAM.

    Composes the two methods: the Grad-CAM map of the layer (pre-softmax
    score, ReLU'd) is resized bilinearly to the input resolution and
    multiplies the guided-backprop gradients of every input channel; the
    channel reduction is then the maximum absolute value over the input
    channels. Unsigned. The class explained by both parts is the same (the
    predicted class is resolved by the Grad-CAM pass).

    Reference: Selvaraju et al., "Grad-CAM: Visual Explanations from Deep
    Networks via Gradient-based Localization", ICCV 2017, Section 3.

    Args:
        layer: None (last spatial layer, also inside nested models), a name, a
            nested path or a Layer.
        batch_size: Samples per compiled call; None for all at once.
    """

    name: ClassVar[str] = "guided_gradcam"

    def _cam_weights(self, activations: tf.Tensor, grads: tf.Tensor) -> tf.Tensor:
        return GradCAM._cam_weights(self, activations, grads)  # type: ignore[arg-type]

    def _attribute(
        self,
        forward: Forward,
        x: tf.Tensor,
        class_ids: tf.Tensor,
        index: tf.Tensor,
        seed: tf.Tensor,
    ) -> Result:
        cam = super()._attribute(forward, x, class_ids, index, seed)
        cam_map = resize_map(cam.maps, tuple(x.shape[1:-1]))
        guided, _, _ = forward.input_gradients(
            x, cam.class_ids, rules=guided_relus(forward.model)
        )
        maps = reduce_channels(guided * cam_map[..., None], "max_abs")
        return Result(maps, cam.scores, cam.class_ids)
