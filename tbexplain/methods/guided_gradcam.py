"""Guided Grad-CAM (Selvaraju et al., 2017, arXiv:1610.02391)."""

from __future__ import annotations

from typing import Any, ClassVar

import tensorflow as tf

from tbexplain import layers as layers_lib
from tbexplain.methods.base import reduce_channels, register
from tbexplain.methods.cam import CAM
from tbexplain.methods.compiled import resize_map
from tbexplain.methods.forward import Forward, Result
from tbexplain.methods.gradcam import GradCAM
from tbexplain.methods.guided_backprop import guided_relus

__all__ = ["GuidedGradCAM"]


def _relus_above(layer_output: Any, relu_inputs: list[Any]) -> bool:
    """Whether a guided ReLU's input depends on `layer_output` (is above it).

    Walks the traced graph forward from the layer's output. Where it cannot
    tell (eager execution, a ReLU inside a nested graph such as a loop body)
    it answers True, which selects the exact two-pass computation.
    """
    if not relu_inputs:
        return False
    if tf.executing_eagerly() or not hasattr(layer_output, "consumers"):
        return True
    graph = layer_output.graph
    pending = set()
    for tensor in relu_inputs:
        if getattr(tensor, "graph", None) is not graph:
            return True
        pending.add(tensor.ref())
    seen_ops = set()
    stack = [layer_output]
    while stack:
        tensor = stack.pop()
        if tensor.ref() in pending:
            return True
        for op in tensor.consumers():
            if op not in seen_ops:
                seen_ops.add(op)
                stack.extend(op.outputs)
    return False


@register
class GuidedGradCAM(CAM):
    """Guided Grad-CAM: guided backpropagation times the upsampled Grad-CAM.

    Composes the two methods: the Grad-CAM map of the layer (pre-softmax
    score, ReLU'd) is resized bilinearly to the input resolution and
    multiplies the guided-backprop gradients of every input channel; the
    channel reduction is then the maximum absolute value over the input
    channels. Unsigned. The class explained by both parts is the same.

    Cost: one forward+backward pass. The forward runs with the guided rule at
    every ReLU and the layer's output captured, and one backward gives both
    gradients: at the layer (exactly Grad-CAM's, as long as no guided ReLU
    lies above the layer, i.e. depends on its output) and at the input
    (exactly guided backprop's). When the head above the layer has a ReLU
    (detected when the method is traced), its Grad-CAM gradient needs the
    plain ReLU gradient, so a second pass computes the Grad-CAM part.

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
        ref = forward.layer
        if ref is None:  # pragma: no cover - a LayerMethod always has one
            raise RuntimeError("GuidedGradCAM needs a layer.")
        relu_inputs: list[Any] = []
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(x)
            # Guided rule outside, capture inside: a captured ReLU layer's
            # output is its guided output, restored in the reverse order.
            with (
                guided_relus(forward.model, on_relu=relu_inputs.append),
                layers_lib.capture_layer(ref, tape) as captured,
            ):
                outputs = forward.outputs(x)
            activations = layers_lib.single_capture(ref, captured)
            scores, ids = forward.scores(outputs, class_ids)
        if _relus_above(activations, relu_inputs):
            guided = tape.gradient(scores, x)
            activations, grads, _, _ = forward.layer_gradients(x, ids)
        else:
            grads, guided = tape.gradient(scores, [activations, x])
            if grads is None:  # raises the "does not depend on layer" error
                activations, grads, _, _ = forward.layer_gradients(x, ids)
            else:  # a transformer's tokens on their grid, as layer_gradients does
                activations = forward.on_grid(activations)
                grads = forward.on_grid(grads)
        if guided is None:
            guided = tf.zeros_like(x)
        cam_map = resize_map(self._cam_map(activations, grads), tuple(x.shape[1:-1]))
        maps = reduce_channels(guided * cam_map[..., None], "max_abs")
        return Result(maps, scores, ids)
