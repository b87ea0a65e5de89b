"""Tests of tbexplain.metrics: deletion/insertion on every input kind, pointing game,
energy, drift."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import tbexplain as tbx
from tbexplain import metrics
from tbexplain.perturbation import gaussian_blur

H = W = 12


def _linear_model(weights: np.ndarray) -> tf.keras.Model:
    """Class 0 scores sum(weights * x); class 1 scores the opposite."""
    inp = tf.keras.Input((H, W, 1))
    flat = tf.keras.layers.Flatten()(inp)
    dense = tf.keras.layers.Dense(2, use_bias=False)
    out = dense(flat)
    model = tf.keras.Model(inp, out)
    w = weights.reshape(-1, 1).astype(np.float32)
    dense.set_weights([np.concatenate([w, -w], axis=1)])
    return model


@pytest.fixture(scope="module")
def setup() -> tuple[tf.keras.Model, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    weights = rng.uniform(0.0, 1.0, (H, W)) ** 3
    x = rng.uniform(0.2, 1.0, (3, H, W, 1)).astype(np.float32)
    return _linear_model(weights), x, weights


def test_deletion_perfect_beats_random(setup):
    model, x, weights = setup
    perfect = weights[None] * x[..., 0]
    rng = np.random.default_rng(1)
    random = rng.uniform(size=perfect.shape)
    good = metrics.deletion(model, x, perfect, 0, steps=8, batch_size=5)
    bad = metrics.deletion(model, x, random, 0, steps=8, batch_size=5)
    inverse = metrics.deletion(model, x, -perfect, 0, steps=8, batch_size=5)
    assert good.shape == (3,)
    assert np.all(good < bad)
    assert np.all(bad < inverse)


def test_insertion_perfect_beats_random(setup):
    model, x, weights = setup
    perfect = weights[None] * x[..., 0]
    random = np.random.default_rng(2).uniform(size=perfect.shape)
    good = metrics.insertion(model, x, perfect, 0, steps=8, baseline="zeros")
    bad = metrics.insertion(model, x, random, 0, steps=8, baseline="zeros")
    assert np.all(good > bad)
    # The default baseline (blur) ranks them the same way with its own perfect map.
    blurred = gaussian_blur(x, metrics.default_blur_sigma(H, W)).numpy()
    perfect_blur = weights[None] * (x - blurred)[..., 0]
    good = metrics.insertion(model, x, perfect_blur, 0, steps=8)
    bad = metrics.insertion(model, x, random, 0, steps=8)
    assert np.all(good > bad)


def test_curve_endpoints_and_auc(setup):
    model, x, weights = setup
    maps = np.random.default_rng(3).normal(size=(3, H, W))
    full = (weights[None] * x[..., 0]).sum(axis=(1, 2))
    aucs, curves = metrics.deletion(
        model, x, maps, [0, 0, 0], steps=4, return_curves=True, batch_size=4
    )
    assert curves.shape == (3, 5)
    np.testing.assert_allclose(curves[:, 0], full, rtol=1e-4)
    np.testing.assert_allclose(curves[:, -1], 0.0, atol=1e-4)  # zeros baseline
    expected = (curves[:, :-1] + curves[:, 1:]).sum(axis=1) / 2 / 4
    np.testing.assert_allclose(aucs, expected, rtol=1e-6)
    # Step 1 removed exactly the top quarter of the map.
    top = np.argsort(-maps.reshape(3, -1), axis=1)[:, : H * W // 4]
    kept = (weights[None] * x[..., 0]).reshape(3, -1).copy()
    np.put_along_axis(kept, top, 0.0, axis=1)
    np.testing.assert_allclose(curves[:, 1], kept.sum(axis=1), rtol=1e-4)
    # Insertion from a constant baseline starts at f(baseline) and ends at f(x).
    _, curves = metrics.insertion(
        model, x, maps, 1, steps=4, baseline=0.5, return_curves=True
    )
    np.testing.assert_allclose(curves[:, 0], -0.5 * weights.sum(), rtol=1e-4)
    np.testing.assert_allclose(curves[:, -1], -full, rtol=1e-4)


def test_default_class_is_predicted_and_softmax(setup):
    model, x, weights = setup
    maps = np.ones((3, H, W))
    _, curves = metrics.deletion(model, x, maps, steps=2, return_curves=True)
    # All weights are positive, so class 0 is predicted and its score is the first
    # point.
    np.testing.assert_allclose(
        curves[:, 0], (weights[None] * x[..., 0]).sum((1, 2)), rtol=1e-4
    )
    _, probs = metrics.deletion(
        model, x, maps, steps=2, softmax=True, return_curves=True
    )
    # Logits (s, -s): the softmax of class 0 is sigmoid(2 s); all deleted, s = 0.
    s = (weights[None] * x[..., 0]).sum((1, 2))
    np.testing.assert_allclose(probs[:, 0], 1 / (1 + np.exp(-2 * s)), rtol=1e-5)
    np.testing.assert_allclose(probs[:, -1], 0.5, atol=1e-6)


def test_sequences_supported():
    inp = tf.keras.Input((10, 2))
    out = tf.keras.layers.Dense(3)(tf.keras.layers.Flatten()(inp))
    model = tf.keras.Model(inp, out)
    x = np.random.default_rng(0).normal(size=(2, 10, 2)).astype(np.float32)
    aucs = metrics.insertion(model, x, np.ones((2, 10)), steps=5)
    assert aucs.shape == (2,) and np.all(np.isfinite(aucs))


def test_bad_arguments(setup):
    model, x, _ = setup
    with pytest.raises(ValueError, match="Received: maps"):
        metrics.deletion(model, x, np.ones((3, H, W + 1)))
    with pytest.raises(ValueError, match="Received: steps=0"):
        metrics.deletion(model, x, np.ones((3, H, W)), steps=0)
    with pytest.raises(ValueError, match="Received: baseline='noise'"):
        metrics.insertion(model, x, np.ones((3, H, W)), baseline="noise")


def test_pointing_game_on_built_masks():
    maps = np.zeros((4, 8, 8))
    masks = np.zeros((4, 8, 8), dtype=bool)
    masks[:, 2:5, 2:5] = True
    maps[0, 3, 3] = 1.0  # inside
    maps[1, 7, 7] = 1.0  # far outside
    maps[2, 5, 3] = 1.0  # one pixel outside: a hit only with tolerance 1
    maps[3] = 1.0
    masks[3] = False  # empty mask: undefined
    hits = metrics.pointing_game(maps, masks)
    np.testing.assert_array_equal(hits[:3], [1.0, 0.0, 0.0])
    assert np.isnan(hits[3])
    hits = metrics.pointing_game(maps, masks, tolerance=1)
    np.testing.assert_array_equal(hits[:3], [1.0, 0.0, 1.0])


def test_energy_in_mask():
    maps = np.zeros((3, 4, 4))
    masks = np.zeros((3, 4, 4, 1))
    masks[:, :2, :, 0] = 1
    maps[0, 0, 0] = 3.0
    maps[0, 3, 3] = 1.0
    maps[0, 1, 1] = -5.0  # negative values carry no energy
    maps[1, 3, 0] = 2.0
    out = metrics.energy_in_mask(maps, masks)
    np.testing.assert_allclose(out[:2], [0.75, 0.0])
    assert np.isnan(out[2])


def test_drift_spearman():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 5, 5))
    b = np.stack([a[0] ** 3 + 10, -a[1], rng.normal(size=(5, 5))])
    out = metrics.drift(a, b)
    np.testing.assert_allclose(out[:2], [1.0, -1.0])
    # Unrelated maps: the Pearson correlation of the ranks (no ties here).
    ranks = [np.argsort(np.argsort(m.ravel())) for m in (a[2], b[2])]
    np.testing.assert_allclose(out[2], np.corrcoef(*ranks)[0, 1], rtol=1e-12)
    # Ties get average ranks: [1, 1, 2] ~ [0, 0, 5] exactly.
    np.testing.assert_allclose(
        metrics.drift(np.array([[1, 1, 2.0]]), np.array([[0, 0, 5.0]])), [1.0]
    )
    assert np.isnan(metrics.drift(np.ones((1, 3)), np.arange(3.0)[None]))[0]
    pearson = metrics.drift(a, b, measure="pearson")
    assert pearson[0] < 1.0 - 1e-3  # cubing is monotone but not linear
    with pytest.raises(ValueError, match="Received: measure='l2'"):
        metrics.drift(a, b, measure="l2")


def _average_ranks(row):
    """Ranks 1..n of `row`, ties averaged, one value at a time."""
    values = [float(v) for v in row]
    return [
        sum(w < v for w in values) + (sum(w == v for w in values) + 1) / 2
        for v in values
    ]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_drift_spearman_ranks_ties_signed_zeros_and_extremes(dtype):
    """float32 maps take a faster sort than float64 ones: both rank as a
    value-by-value count does, -0.0 and 0.0 tied."""
    rng = np.random.default_rng(1)
    a = np.round(rng.normal(size=(6, 40)) * 2) / 2  # many ties
    a[1, :10], a[1, 10:20] = 0.0, -0.0
    a[2, :4] = [np.finfo(np.float32).max, -np.finfo(np.float32).max, 1e-45, -1e-45]
    a[3] = 7.0  # constant: no correlation
    b = a[::-1] + np.round(rng.normal(size=a.shape))
    out = metrics.drift(a.astype(dtype), b.astype(dtype))
    a, b = a.astype(dtype), b.astype(dtype)
    for i in (0, 1, 2, 4, 5):
        expected = np.corrcoef(_average_ranks(a[i]), _average_ranks(b[i]))[0, 1]
        np.testing.assert_allclose(out[i], expected, rtol=1e-12)
    assert np.isnan(out[3])


def test_compiled_functions_do_not_keep_the_model_alive(setup):
    import gc
    import weakref

    _, x, weights = setup
    model = _linear_model(weights)
    metrics.deletion(model, x, np.ones((3, H, W)), 0, steps=2)
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None


@pytest.mark.parametrize("kind", ["two", "tokens", "features", "sequence"])
def test_curves_of_every_input_kind_and_one_input_of_two(kind):
    # Linear models: deleting the k highest-ranked positions removes exactly
    # their contributions, sum(w * x) over them (tokens: their embedding's).
    from tests.metrics import models

    model = models.linear(kind)
    x = models.inputs(kind)
    input = "image" if kind == "two" else None
    contributions = tbx.GradientInput().explain(model, x, 0, input=input)
    rank = np.random.default_rng(4).normal(size=contributions.shape)
    _, curves = metrics.deletion(
        model, x, rank, 0, steps=2, return_curves=True, input=input
    )
    flat = contributions.reshape(len(rank), -1)
    order = np.argsort(-rank.reshape(len(rank), -1), axis=1, kind="stable")
    half = int(np.round(flat.shape[1] / 2))
    full = model(x, training=False).numpy()[:, 0]
    removed = np.take_along_axis(flat, order[:, :half], axis=1).sum(axis=1)
    np.testing.assert_allclose(curves[:, 0], full, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(curves[:, 1], full - removed, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(curves[:, 2], full - flat.sum(axis=1), atol=1e-4)
    _, inserted = metrics.insertion(
        model, x, rank, 0, steps=2, return_curves=True, input=input, baseline=0.0
    )
    np.testing.assert_allclose(inserted[:, 1], curves[:, 2] + removed, atol=1e-4)


def test_a_map_with_a_non_finite_value_has_no_auc(setup):
    model, x, _ = setup
    maps = np.random.default_rng(5).normal(size=(3, H, W))
    maps[1, 2, 2] = np.nan
    for fn in (metrics.deletion, metrics.insertion):
        out = fn(model, x, maps, 0, steps=2)
        assert np.isfinite(out[[0, 2]]).all() and np.isnan(out[1])


def test_blur_has_no_meaning_for_features():
    from tests.metrics import models

    model = models.linear("features")
    x = models.inputs("features")
    maps = np.ones((3, models.F))
    with pytest.raises(ValueError, match="Received: baseline='blur'"):
        metrics.deletion(model, x, maps, baseline="blur")
    # insertion's default starts features from zeros.
    _, curves = metrics.insertion(model, x, maps, 0, steps=1, return_curves=True)
    np.testing.assert_allclose(curves[:, 0], 0.0, atol=1e-6)


@pytest.mark.parametrize("name", ["deletion", "insertion", "faithfulness_correlation"])
def test_one_model_scores_batches_of_other_sizes(name):
    # A compiled function is built for one batch size: calls with 2, then 3,
    # then 2 samples must each find their own, and score as a fresh model does.
    from tests.metrics import models

    metric = getattr(metrics, name)
    settings = {"samples": 6, "seed": 3} if name.startswith("faith") else {"steps": 4}
    x = models.inputs("image", n=3)
    maps = np.random.default_rng(6).normal(size=(3, models.H, models.W))
    model = models.nonlinear("image")
    for n in (2, 3, 2):
        out = metric(model, x[:n], maps[:n], **settings)
        fresh = metric(models.nonlinear("image"), x[:n], maps[:n], **settings)
        assert out.shape == (n,)
        np.testing.assert_allclose(out, fresh, rtol=1e-6)
    # Each sample is scored on its own (its subsets drawn from its own rows).
    three = metric(model, x, maps, **settings)
    np.testing.assert_allclose(three[:2], out, rtol=1e-5, atol=1e-6)
