"""RISE and Score-CAM: definitions, seeding, agreement in location with Grad-CAM."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import tbexplain as tbx
from tbexplain.methods.rise import rise_masks
from tests.methods_perturbation.models import SIZE, images, region_mask, region_model


@pytest.fixture(scope="module")
def model() -> keras.Model:
    return region_model()


@pytest.fixture(scope="module")
def gradcam(model) -> np.ndarray:
    return tbx.GradCAM().explain(model, images(3))


def _agrees_with(maps: np.ndarray, reference: np.ndarray) -> None:
    inside = region_mask() > 0
    mask = np.broadcast_to(inside, maps.shape)
    np.testing.assert_array_equal(tbx.metrics.pointing_game(maps, mask), 1.0)
    np.testing.assert_array_equal(tbx.metrics.pointing_game(reference, mask), 1.0)
    for m, r in zip(maps, reference, strict=True):
        assert m[inside].mean() > m[~inside].mean()
        assert np.corrcoef(m.ravel(), r.ravel())[0, 1] > 0.4


def test_rise_agrees_with_gradcam(model, gradcam):
    maps = tbx.RISE(num_masks=300, grid=4, seed=1).explain(model, images(3))
    assert maps.shape == (3, *SIZE)
    _agrees_with(maps, gradcam)


def test_scorecam_agrees_with_gradcam(model, gradcam):
    maps = tbx.ScoreCAM().explain(model, images(3))
    _agrees_with(maps, gradcam)
    assert (
        tbx.metrics.energy_in_mask(
            maps, np.broadcast_to(region_mask(), maps.shape)
        ).min()
        > 0.9
    )
    assert tbx.ScoreCAM().layer_name(model) == "region"


def test_rise_is_seeded_and_independent_of_batching(model):
    x = images(3)
    a = tbx.RISE(num_masks=40, grid=3, seed=5).explain(model, x)
    b = tbx.RISE(
        num_masks=40, grid=3, seed=5, perturbation_batch=7, batch_size=2
    ).explain(model, x)
    c = tbx.RISE(num_masks=40, grid=3, seed=6).explain(model, x)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert not np.allclose(a, c)


def test_rise_with_all_cells_kept_is_the_class_probability(model):
    x = images(2)
    maps = tbx.RISE(num_masks=5, keep=1.0).explain(model, x, targets=[0, 2])
    probs = tf.nn.softmax(model(x)).numpy()[[0, 1], [0, 2]]
    np.testing.assert_allclose(
        maps, np.broadcast_to(probs[:, None, None], maps.shape), rtol=1e-5
    )


def test_rise_masks_are_smooth_binary_grids():
    grids = tf.constant([[[1.0, 0.0], [0.0, 1.0]]])
    masks = rise_masks(tf.constant([0]), grids, tf.constant([[0, 0]]), 8, 8).numpy()
    assert masks.shape == (1, 8, 8)
    assert masks.min() >= 0.0 and masks.max() <= 1.0
    assert masks[0, 0, 0] == pytest.approx(1.0) and masks[0, 0, 7] < 0.5
    assert 0.0 < masks[0, 2, 2] < 1.0  # bilinear, not blocky
    shifted = rise_masks(tf.constant([0]), grids, tf.constant([[2, 3]]), 8, 8).numpy()
    assert not np.allclose(masks, shifted)


def _manual_scorecam(model, x, layer, target, keep=None):
    """Score-CAM from its definition, one channel at a time in numpy."""
    sub = keras.Model(model.input, model.get_layer(layer).output)
    acts = sub(x).numpy()[0]
    k = acts.shape[-1]
    channels = range(k)
    if keep is not None:
        channels = np.argsort(-acts.reshape(-1, k).std(axis=0))[:keep]
    cam = np.zeros(acts.shape[:2])
    for c in channels:
        up = tf.image.resize(acts[None, :, :, c : c + 1], x.shape[1:3]).numpy()[0]
        span = up.max() - up.min()
        m = (up - up.min()) / span if span > 0 else np.zeros_like(up)
        probs = tf.nn.softmax(model(x * m[None])).numpy()[0]
        cam += probs[target] * acts[:, :, c]
    cam = np.maximum(cam, 0)
    return tf.image.resize(cam[None, :, :, None], x.shape[1:3]).numpy()[0, :, :, 0]


@pytest.mark.parametrize("keep", [None, 2])
def test_scorecam_matches_its_definition(keep):
    keras.utils.set_random_seed(3)
    inp = keras.Input((10, 12, 2))
    feat = keras.layers.Conv2D(
        4, 3, strides=2, padding="same", activation="relu", name="c"
    )(inp)
    out = keras.layers.Dense(3)(keras.layers.GlobalAveragePooling2D()(feat))
    model = keras.Model(inp, out)
    x = np.random.default_rng(0).uniform(size=(1, 10, 12, 2)).astype(np.float32)
    maps = tbx.ScoreCAM(max_channels=keep, perturbation_batch=3).explain(
        model, x, targets=1
    )
    np.testing.assert_allclose(
        maps[0], _manual_scorecam(model, x, "c", 1, keep), rtol=1e-4, atol=1e-5
    )


def test_scorecam_softmax_model_uses_probabilities():
    logits = region_model(seed=2)
    probs = region_model(seed=2, softmax=True)
    x = images(2)
    np.testing.assert_allclose(
        tbx.ScoreCAM().explain(logits, x), tbx.ScoreCAM().explain(probs, x), rtol=1e-4
    )


@pytest.mark.parametrize(
    ("cls", "kwargs", "match"),
    [
        (tbx.RISE, {"num_masks": 0}, "Received: num_masks=0"),
        (tbx.RISE, {"keep": 0.0}, "Received: keep=0.0"),
        (tbx.RISE, {"grid": 1.5}, "Received: grid=1.5"),
        (tbx.ScoreCAM, {"max_channels": 0}, "Received: max_channels=0"),
        (tbx.ScoreCAM, {"fill": "nope"}, "Received: fill='nope'"),
    ],
)
def test_bad_arguments(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)


def test_sequences_rise_and_scorecam():
    keras.utils.set_random_seed(4)
    inp = keras.Input((20, 2))
    feat = keras.layers.Conv1D(5, 3, padding="same", activation="relu", name="c1")(inp)
    out = keras.layers.Dense(3)(keras.layers.GlobalAveragePooling1D()(feat))
    model = keras.Model(inp, out)
    x = np.random.default_rng(0).uniform(size=(2, 20, 2)).astype(np.float32)
    rise = tbx.RISE(num_masks=20, grid=4).explain(model, x)
    cam = tbx.ScoreCAM().explain(model, x)
    assert rise.shape == cam.shape == (2, 20)
    assert np.isfinite(rise).all() and np.isfinite(cam).all()
    assert tbx.ScoreCAM().layer_name(model) == "c1"
