"""Methods against closed-form answers on hand-built models.

The CAM family, guided backprop and the noise methods on nets whose gradients
vary across the map are in test_references.py.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import tbexplain as tbx
from tests.methods.conftest import images, tiny_cnn

RNG = np.random.default_rng(7)
W = RNG.normal(size=(4 * 4 * 2, 3)).astype(np.float32)  # linear model weights
B = RNG.normal(size=(3,)).astype(np.float32)
X = RNG.random((3, 4, 4, 2), dtype=np.float32)


def linear_model(head: str = "none") -> keras.Model:
    """Flatten -> Dense(W, B), optionally ending in a softmax of some kind."""
    inputs = keras.Input((4, 4, 2))
    flat = keras.layers.Flatten()(inputs)
    activation = "softmax" if head == "dense_softmax" else None
    dense = keras.layers.Dense(3, activation=activation)
    outputs = dense(flat)
    if head == "activation_layer":
        outputs = keras.layers.Activation("softmax")(outputs)
    elif head == "softmax_layer":
        outputs = keras.layers.Softmax()(outputs)
    dense.set_weights([W, B])
    return keras.Model(inputs, outputs)


def weight_image(class_id: int) -> np.ndarray:
    return W[:, class_id].reshape(4, 4, 2)


HEADS = ["none", "dense_softmax", "activation_layer", "softmax_layer"]


@pytest.mark.parametrize("head", HEADS)
def test_linear_gradients_are_the_weights_on_the_pre_softmax_score(head):
    model = linear_model(head)
    targets = [0, 2, 1]
    result = tbx.Saliency().explain_with_targets(model, X, targets)
    for i, c in enumerate(targets):
        np.testing.assert_allclose(
            result.maps[i], np.abs(weight_image(c)).max(-1), rtol=1e-5
        )
    logits = X.reshape(3, -1) @ W + B
    np.testing.assert_allclose(
        result.scores, logits[np.arange(3), targets], rtol=1e-5, atol=1e-5
    )
    gi = tbx.GradientInput().explain(model, X, targets)
    for i, c in enumerate(targets):
        np.testing.assert_allclose(gi[i], (X[i] * weight_image(c)).sum(-1), rtol=1e-5)
    if head != "none":  # the user's model still ends in its softmax
        probabilities = model(X).numpy()
        np.testing.assert_allclose(probabilities.sum(-1), 1.0, rtol=1e-5)


def test_linear_integrated_gradients_closed_form():
    model = linear_model("dense_softmax")
    baseline = np.full((4, 4, 2), 0.25, np.float32)
    for steps, per_batch in ((1, 8), (7, 8), (5, 2)):  # rest only, loop + rest
        ig = tbx.IntegratedGradients(
            steps=steps, baseline=baseline, steps_per_batch=per_batch
        ).explain(model, X, 1)
        np.testing.assert_allclose(
            ig, ((X - baseline) * weight_image(1)).sum(-1), rtol=1e-4, atol=1e-6
        )


def test_linear_gradient_statistics():
    model = linear_model("dense_softmax")
    saliency = tbx.Saliency().explain(model, X, 0)
    smooth = tbx.SmoothGrad(samples=4).explain(model, X, 0)
    np.testing.assert_allclose(smooth, saliency, rtol=1e-5)
    square = tbx.SquareGrad(samples=4).explain(model, X, 0)
    np.testing.assert_allclose(
        square, (weight_image(0) ** 2).max(-1)[None].repeat(3, 0), rtol=1e-5
    )
    var = tbx.VarGrad(samples=4).explain(model, X, 0)
    np.testing.assert_allclose(var, 0.0, atol=1e-10)


def quadratic_model() -> keras.Model:
    inputs = keras.Input((8, 8, 1))
    squared = keras.layers.Lambda(lambda t: t * t)(inputs)
    outputs = keras.layers.Flatten()(squared)
    total = keras.layers.Lambda(lambda t: keras.ops.sum(t, axis=-1, keepdims=True))(
        outputs
    )
    return keras.Model(inputs, total)


def test_noise_sigma_is_a_fraction_of_each_inputs_range():
    # score = sum x^2, gradient 2(x + e): VarGrad = 4 sigma^2 per pixel.
    x = np.random.default_rng(0).random((2, 8, 8, 1), dtype=np.float32)
    x[1] *= 10.0  # a 10x larger range means a 10x larger sigma
    ranges = x.reshape(2, -1).max(1) - x.reshape(2, -1).min(1)
    var = tbx.VarGrad(samples=64, noise=0.2).explain(quadratic_model(), x, 0)
    expected = 4 * (0.2 * ranges) ** 2
    np.testing.assert_allclose(var.mean((1, 2)), expected, rtol=0.1)


def test_gradcam_resizes_bilinearly_to_the_input():
    model = tiny_cnn()  # last_conv is 7x7 on 16x16 inputs
    maps = tbx.GradCAM().explain(model, images(2), 0)
    assert maps.shape == (2, 16, 16)
    assert tbx.GradCAM().layer_name(model) == "last_conv"


def test_integrated_gradients_completeness_within_one_percent():
    model = tiny_cnn(classes=3)
    x = images(4)
    result = tbx.IntegratedGradients(steps=64).explain_with_targets(
        model, x, [0, 1, 2, 0]
    )
    zero = tbx.Saliency().explain_with_targets(model, np.zeros_like(x), [0, 1, 2, 0])
    difference = result.scores - zero.scores
    assert np.abs(difference).min() > 1e-3  # a non-trivial check
    np.testing.assert_allclose(result.maps.sum((1, 2)), difference, rtol=0.01)


def guided_model(style: str) -> keras.Model:
    """x[2,2,1] -> 1x1 conv(2) -> ReLU -> 1x1 conv(1) -> Flatten -> sum."""
    inputs = keras.Input((2, 2, 1))
    if style == "layer":
        hidden = keras.layers.ReLU()(keras.layers.Conv2D(2, 1, name="c1")(inputs))
    elif style == "activation_layer":
        hidden = keras.layers.Activation("relu")(
            keras.layers.Conv2D(2, 1, name="c1")(inputs)
        )
    else:
        hidden = keras.layers.Conv2D(2, 1, activation="relu", name="c1")(inputs)
    out = keras.layers.Conv2D(1, 1, use_bias=False, name="c2")(hidden)
    score = keras.layers.Dense(1, use_bias=False, name="sum")(
        keras.layers.Flatten()(out)
    )
    model = keras.Model(inputs, score)
    model.get_layer("c1").set_weights(
        [np.array([[[[1.0, -1.0]]]], np.float32), np.array([0.0, 0.5], np.float32)]
    )
    model.get_layer("c2").set_weights([np.array([[[[2.0], [-1.0]]]], np.float32)])
    model.get_layer("sum").set_weights([np.ones((4, 1), np.float32)])
    return model


@pytest.mark.parametrize("style", ["layer", "activation_layer", "activation_arg"])
def test_guided_backprop_rule_at_every_relu(style):
    model = guided_model(style)
    x = np.array([1.0, -1.0, 0.25, -0.25], np.float32).reshape(1, 2, 2, 1)
    z = np.stack([x[..., 0] * 1.0, x[..., 0] * -1.0 + 0.5], -1)  # pre-ReLU
    upstream = np.array([2.0, -1.0])  # d score / d relu output
    guided = (np.maximum(upstream, 0) * (z > 0)) @ np.array([1.0, -1.0])
    maps = tbx.GuidedBackprop().explain(model, x, 0)
    np.testing.assert_allclose(maps[0], np.abs(guided[0]), rtol=1e-6)
    # Plain gradients differ (the negative upstream path is kept there).
    plain = ((upstream * (z > 0)) @ np.array([1.0, -1.0]))[0]
    assert not np.allclose(np.abs(plain), np.abs(guided[0]))
    # The model is restored.
    layer = model.get_layer("c1")
    assert "call" not in layer.__dict__
    for sub in model.layers:
        assert "guided" not in getattr(getattr(sub, "activation", None), "__name__", "")


def test_guided_rules_are_restored_after_an_error(nested_functional):
    def broken(outputs):
        raise RuntimeError("boom")

    before = {
        id(layer): (
            dict(layer.__dict__).get("call"),
            getattr(layer, "activation", None),
        )
        for layer in nested_functional.layers[1].layers
    }
    with pytest.raises(RuntimeError, match="boom"):
        tbx.GuidedBackprop().explain(nested_functional, images(1, size=48), broken)
    for layer in nested_functional.layers[1].layers:
        assert (
            dict(layer.__dict__).get("call"),
            getattr(layer, "activation", None),
        ) == (before[id(layer)])


def test_relu6_guided_rule_masks_above_the_cap():
    inputs = keras.Input((1, 3, 1))
    hidden = keras.layers.ReLU(6.0)(inputs)
    score = keras.layers.Dense(1, use_bias=False)(keras.layers.Flatten()(hidden))
    model = keras.Model(inputs, score)
    model.layers[-1].set_weights([np.array([[1.0], [-1.0], [1.0]], np.float32)])
    x = np.array([2.0, 3.0, 7.0], np.float32).reshape(1, 1, 3, 1)
    maps = tbx.GuidedBackprop().explain(model, x, 0)
    # unit 0: active, +1 passes; unit 1: negative gradient dropped; unit 2: capped.
    np.testing.assert_allclose(maps[0, 0], [1.0, 0.0, 0.0])
