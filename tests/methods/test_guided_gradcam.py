"""Guided Grad-CAM in one pass equals guided backprop x upsampled Grad-CAM."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import tbexplain as tbx
from tbexplain.methods import base
from tests.methods.conftest import NESTED_SIZE, images, tiny_cnn


def relu_head_cnn(head: str, seed: int = 0) -> keras.Model:
    """Conv(relu) -> Conv(relu) -> GAP -> Dense -> ReLU (two styles) -> Dense."""
    keras.utils.set_random_seed(seed)
    bias = keras.initializers.RandomNormal(stddev=0.1, seed=seed)
    if head == "dense_relu":
        hidden = [keras.layers.Dense(8, activation="relu", bias_initializer=bias)]
    else:
        hidden = [keras.layers.Dense(8, bias_initializer=bias), keras.layers.ReLU()]
    return keras.Sequential(
        [
            keras.Input((16, 16, 3)),
            keras.layers.Conv2D(4, 3, activation="relu", bias_initializer=bias),
            keras.layers.Conv2D(6, 3, strides=2, activation="relu", name="last_conv"),
            keras.layers.GlobalAveragePooling2D(),
            *hidden,
            keras.layers.Dense(3, bias_initializer=bias),
        ],
        name=f"head_{head}",
    )


@pytest.fixture
def second_passes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the separate Grad-CAM passes (Forward.layer_gradients calls)."""
    calls: list[int] = []
    original = base.Forward.layer_gradients

    def counted(self, x, class_ids):
        calls.append(1)
        return original(self, x, class_ids)

    monkeypatch.setattr(base.Forward, "layer_gradients", counted)
    return calls


def two_pass(model, x, targets, layer=None) -> np.ndarray:
    """The definition: |guided gradients| (max over channels) x Grad-CAM map.

    The Grad-CAM map is >= 0, so max_c |g_c * L| = L * max_c |g_c|.
    """
    guided = tbx.GuidedBackprop().explain(model, x, targets)
    cam = tbx.GradCAM(layer).explain(model, x, targets)
    return guided * cam


def check(
    model, x, targets, layer=None, passes: list[int] | None = None
) -> tuple[tbx.GuidedGradCAM, int]:
    """Compares a first (tracing) GuidedGradCAM call with the two-pass product.

    Returns the method and how many separate Grad-CAM passes its trace built.
    """
    before = len(passes) if passes is not None else 0
    method = tbx.GuidedGradCAM(layer)
    result = method.explain_with_targets(model, x, targets)
    extra = len(passes) - before if passes is not None else 0
    expected = two_pass(model, x, targets, layer)
    assert np.count_nonzero(expected) > expected.size // 4  # a non-trivial map
    np.testing.assert_allclose(
        result.maps, expected, rtol=1e-4, atol=1e-6 * np.abs(expected).max()
    )
    reference = tbx.GradCAM(layer).explain_with_targets(model, x, targets)
    np.testing.assert_array_equal(result.class_ids, reference.class_ids)
    np.testing.assert_allclose(result.scores, reference.scores, rtol=1e-5)
    return method, extra


@pytest.mark.parametrize("targets", [None, [2, 0, 1, 2]])
def test_one_pass_on_a_gap_dense_head(second_passes, targets):
    model = tiny_cnn(activation=None)
    x = images(4)
    method, extra = check(model, x, targets, passes=second_passes)
    assert method.layer_name(model) == "last_conv"
    assert extra == 0  # one forward+backward
    for n in (1, 3):
        part = None if targets is None else targets[:n]
        maps = method.explain(model, x[:n], part)
        np.testing.assert_allclose(
            maps, two_pass(model, x[:n], part), rtol=1e-4, atol=1e-12
        )
    assert method.trace_count == 1


@pytest.mark.parametrize("head", ["dense_relu", "relu_layer"])
def test_relu_head_falls_back_to_two_passes(second_passes, head):
    model = relu_head_cnn(head)
    x = images(4)
    method, extra = check(model, x, None, passes=second_passes)
    assert extra == 1  # a separate Grad-CAM pass
    for n in (2, 4):
        method.explain(model, x[:n], [1] * n)
    assert method.trace_count == 1
    check(model, x, [0, 1, 2, 0])


def test_relu_above_an_inner_layer_falls_back(second_passes):
    # Explaining the ReLU layer of tiny_cnn: last_conv's relu lies above it.
    model = tiny_cnn(activation=None)
    layer = model.layers[1].name
    _, extra = check(model, images(3), None, layer=layer, passes=second_passes)
    assert extra == 1


def test_one_pass_on_a_nested_backbone(second_passes, nested_functional):
    # MobileNetV2's out_relu is the layer itself, so the head has no ReLU.
    x = images(2, size=NESTED_SIZE)
    method, extra = check(nested_functional, x, None, passes=second_passes)
    assert method.layer_name(nested_functional).endswith("/out_relu")
    assert extra == 0
