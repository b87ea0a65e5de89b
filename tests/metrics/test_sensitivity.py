"""max_sensitivity: known answers, and an independent reference that explains each
draw of perturbations on its own."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import tbexplain as tbx
from tbexplain import metrics
from tests.metrics import models


def draws(samples, x, radius, seed):
    """The documented perturbations [samples, B, ...] of `x`."""
    x = np.asarray(x, np.float32)
    axes = tuple(range(1, x.ndim))
    half = radius * (x.max(axis=axes) - x.min(axis=axes))
    unit = tf.random.stateless_uniform(
        [samples, *x.shape], seed=[seed, 0], minval=-1.0, maxval=1.0
    ).numpy()
    return unit * half.reshape(1, -1, *[1] * len(axes))


def reference(explain, x, samples, radius, seed):
    """max_s ||e(x + delta_s) - e(x)|| / ||e(x)||, one explanation per draw."""
    base = explain(x).reshape(len(x), -1).astype(np.float64)
    ratios = [
        np.linalg.norm(explain(x + delta).reshape(len(x), -1) - base, axis=1)
        / np.linalg.norm(base, axis=1)
        for delta in draws(samples, x, radius, seed)
    ]
    return np.max(ratios, axis=0)


@pytest.mark.parametrize(
    "kind, method",
    [
        ("image", tbx.Saliency()),
        ("image", tbx.GradCAM()),
        ("sequence", tbx.IntegratedGradients(steps=4)),
        ("features", tbx.GradientInput()),
    ],
    ids=lambda v: getattr(v, "name", v),
)
def test_matches_a_reference(kind, method):
    model = models.nonlinear(kind)
    x = models.inputs(kind, n=3)
    ids = np.array([0, 2, 1])

    def explain(batch):
        return method.explain(model, batch, ids, upsample=False)

    expected = reference(explain, x, samples=5, radius=0.2, seed=4)
    out = metrics.max_sensitivity(method, model, x, ids, samples=5, radius=0.2, seed=4)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    assert (out > 0).all()
    # Given the maps, one explanation less, the same value.
    given = metrics.max_sensitivity(
        method, model, x, ids, samples=5, radius=0.2, seed=4, maps=explain(x)
    )
    np.testing.assert_allclose(given, out, rtol=1e-6)


def test_tokens_are_perturbed_in_their_embeddings():
    model = models.nonlinear("tokens")
    ids = models.inputs("tokens", n=3)
    embedding = model.get_layer("embedding")
    after = keras.Model(embedding.output, model.output)  # a sequence model
    vectors = embedding(ids).numpy()
    classes = np.array([1, 0, 2])
    method = tbx.Saliency()

    def explain(batch):  # Saliency of the embeddings: the same reduction
        return method.explain(after, batch, classes)

    expected = reference(explain, vectors, samples=4, radius=0.1, seed=2)
    out = metrics.max_sensitivity(
        method, model, ids, classes, samples=4, radius=0.1, seed=2
    )
    np.testing.assert_allclose(out, expected, rtol=1e-5)


def test_one_input_of_two_is_perturbed_the_other_held():
    model = models.nonlinear("two")
    x = models.inputs("two", n=3)
    method = tbx.Saliency()

    def explain(image):
        return method.explain(model, {"image": image, "meta": x["meta"]}, 1, input=0)

    expected = reference(explain, x["image"], samples=3, radius=0.3, seed=9)
    out = metrics.max_sensitivity(
        method, model, x, 1, samples=3, radius=0.3, seed=9, input="image"
    )
    np.testing.assert_allclose(out, expected, rtol=1e-5)


def test_known_answers():
    # A radius of 0 changes nothing (but the rounding of a larger batch); a
    # tiny one, almost nothing.
    model = models.nonlinear("image")
    x = models.inputs("image")
    method = tbx.Saliency()
    np.testing.assert_allclose(
        metrics.max_sensitivity(method, model, x, radius=0.0, samples=3),
        0.0,
        atol=1e-6,
    )
    tiny = metrics.max_sensitivity(method, model, x, radius=1e-6, samples=3)
    assert (tiny < 1e-3).all()
    # The gradient of a linear model is the same everywhere: 0 for any radius.
    linear = models.linear("image")
    np.testing.assert_allclose(
        metrics.max_sensitivity(method, linear, x, 0, radius=0.5, samples=4),
        0.0,
        atol=1e-6,
    )
    # The larger the radius, the larger the change (the same draws, scaled).
    small, large = (
        metrics.max_sensitivity(method, model, x, radius=r, samples=4)
        for r in (0.01, 0.3)
    )
    assert (large > small).all()


def test_predicted_classes_are_kept_for_the_copies():
    model = models.nonlinear("image")
    x = models.inputs("image")
    method = tbx.Saliency()
    predicted = method.explain_with_targets(model, x).class_ids
    np.testing.assert_allclose(
        metrics.max_sensitivity(method, model, x, samples=3, radius=0.5),
        metrics.max_sensitivity(method, model, x, predicted, samples=3, radius=0.5),
    )


def test_undefined_and_bad_arguments():
    model = models.nonlinear("image")
    x = models.inputs("image")
    method = tbx.Saliency()
    maps = method.explain(model, x, 0)
    maps[0] = 0.0
    maps[1, 0, 0] = np.inf
    out = metrics.max_sensitivity(method, model, x, 0, maps=maps, samples=2)
    assert np.isnan(out[:2]).all() and np.isfinite(out[2])
    with pytest.raises(TypeError, match="Received: method=Activations"):
        metrics.max_sensitivity(tbx.Activations(layers=["conv"]), model, x)
    with pytest.raises(ValueError, match="Received: radius=-1"):
        metrics.max_sensitivity(method, model, x, radius=-1)
    with pytest.raises(ValueError, match="Received: samples=0"):
        metrics.max_sensitivity(method, model, x, samples=0)
