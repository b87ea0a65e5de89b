"""Guided Grad-CAM against a numpy reference, in one pass or two.

The reference (`tests.methods.reference`) computes the guided-backprop input
gradient and the Grad-CAM map by hand in float64: the map is the Grad-CAM map
(plain gradients at the layer, spatial mean, ReLU), upsampled bilinearly to the
input, times max_c |guided gradient_c|. The nets have Flatten -> Dense heads, so
the gradient varies across the layer's map.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import tbexplain as tbx
from tbexplain.methods import forward
from tests.methods.conftest import NESTED_SIZE, images
from tests.methods.nets import build, cam_specs, inputs, relu_specs
from tests.methods.reference import Net

TARGETS = [2, 0, 1, 2]


@pytest.fixture
def second_passes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the separate Grad-CAM passes (Forward.layer_gradients calls)."""
    calls: list[int] = []
    original = forward.Forward.layer_gradients

    def counted(self, x, class_ids):
        calls.append(1)
        return original(self, x, class_ids)

    monkeypatch.setattr(forward.Forward, "layer_gradients", counted)
    return calls


def reference(net: Net, x: np.ndarray, targets: list[int], layer: int) -> np.ndarray:
    """Guided Grad-CAM of each sample, by hand."""
    maps = []
    for xi, c in zip(x, targets, strict=True):
        acts = net.output(xi, layer)
        grads = net.gradient(xi, c, to=layer)
        cam = np.maximum((grads.mean(axis=(0, 1)) * acts).sum(-1), 0.0)
        upsampled = tf.image.resize(cam[None, ..., None], xi.shape[:2], "bilinear")
        guided = net.gradient(xi, c, guided=True)
        maps.append(upsampled.numpy()[0, ..., 0] * np.abs(guided).max(-1))
    return np.stack(maps)


# (net, layer, separate Grad-CAM passes): a ReLU above the layer (a ReLU layer,
# a Dense(relu), a fused conv relu) needs the second, plain-gradient pass.
CASES = {
    "flatten_head": ("flatten", 1, 0),
    "relu_layer_head": ("relu_layer", 1, 1),
    "dense_relu_head": ("dense_relu", 1, 1),
    "relu_net_relu_layer": ("relu_net", 1, 1),
    "relu_net_last_conv": ("relu_net", 2, 0),
}


def case(name: str):
    head, layer, passes = CASES[name]
    if head == "relu_net":
        model, net = build(relu_specs(), (8, 8, 3))
        x = inputs(4, (8, 8, 3), seed=6)
    else:
        model, net = build(cam_specs(head), (8, 8, 2))
        x = inputs(4, (8, 8, 2), seed=6)
    return model, net, x, layer, passes


@pytest.mark.parametrize("name", list(CASES))
def test_against_the_reference(second_passes, name):
    model, net, x, layer, passes = case(name)
    if passes:
        # The guided gradient at the layer differs from the plain one, so a
        # single (guided) pass would give a wrong Grad-CAM part.
        guided_at_layer = net.gradient(x[0], TARGETS[0], to=layer, guided=True)
        plain_at_layer = net.gradient(x[0], TARGETS[0], to=layer)
        assert not np.allclose(guided_at_layer, plain_at_layer)
    expected = reference(net, x, TARGETS, layer)
    assert np.count_nonzero(expected) > expected.size // 4  # a non-trivial map
    method = tbx.GuidedGradCAM(f"l{layer}")
    before = len(second_passes)
    result = method.explain_with_targets(model, x, TARGETS)
    assert len(second_passes) - before == passes
    np.testing.assert_allclose(
        result.maps, expected, rtol=1e-4, atol=1e-5 * np.abs(expected).max()
    )
    np.testing.assert_array_equal(result.class_ids, TARGETS)
    logits = [net.logits(xi)[c] for xi, c in zip(x, TARGETS, strict=True)]
    np.testing.assert_allclose(result.scores, logits, rtol=1e-4, atol=1e-6)
    # Smaller batches and the predicted class reuse the same compiled function.
    for n in (1, 3):
        np.testing.assert_allclose(
            method.explain(model, x[:n], TARGETS[:n]),
            expected[:n],
            rtol=1e-4,
            atol=1e-5 * np.abs(expected).max(),
        )
    predicted = [int(np.argmax(net.logits(xi))) for xi in x]
    np.testing.assert_allclose(
        method.explain(model, x),
        reference(net, x, predicted, layer),
        rtol=1e-4,
        atol=1e-5 * np.abs(expected).max(),
    )
    assert method.trace_count == 1


def test_one_pass_on_a_nested_backbone(second_passes, nested_functional):
    """MobileNetV2's out_relu is the layer itself, so the head has no ReLU.

    A consistency check (the numpy references above check the values): the
    one pass equals guided backprop times the upsampled Grad-CAM.
    """
    x = images(2, size=NESTED_SIZE)
    method = tbx.GuidedGradCAM()
    maps = method.explain(nested_functional, x, [1, 2])
    assert method.layer_name(nested_functional).endswith("/out_relu")
    assert second_passes == []
    composed = tbx.GuidedBackprop().explain(nested_functional, x, [1, 2]) * (
        tbx.GradCAM().explain(nested_functional, x, [1, 2])
    )
    assert np.count_nonzero(composed) > composed.size // 4
    np.testing.assert_allclose(
        maps, composed, rtol=1e-4, atol=1e-6 * np.abs(composed).max()
    )
