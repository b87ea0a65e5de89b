"""faithfulness_correlation: known answers on linear models of every input kind, and
an independent reference (a plain loop of model calls) on non-linear ones."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import tbexplain as tbx
from tbexplain import metrics
from tests.metrics import models

KINDS = ["image", "sequence", "features", "tokens", "two"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_linear_model_with_gradient_x_input_has_correlation_one(kind):
    model = models.linear(kind)
    x = models.inputs(kind)
    input = "image" if kind == "two" else None
    maps = tbx.GradientInput().explain(model, x, 0, input=input)
    out = metrics.faithfulness_correlation(
        model, x, maps, 0, subset_size=0.3, samples=12, input=input
    )
    np.testing.assert_allclose(out, 1.0, atol=1e-5)
    # A map that ranks the positions the other way round is anti-correlated.
    out = metrics.faithfulness_correlation(
        model, x, -maps, 0, subset_size=0.3, samples=12, input=input
    )
    np.testing.assert_allclose(out, -1.0, atol=1e-5)


def reference(outputs, x, maps, class_ids, count, samples, seed, baseline=0.0):
    """Subsets as documented; copies and scores one sample at a time in numpy.

    `outputs(b, copies)` runs the model on copies of sample `b`."""
    x = np.asarray(x, np.float64)
    batch = x.shape[0]
    flat_x = x.reshape(batch, maps[0].size, -1)
    flat_maps = maps.reshape(batch, -1)
    positions = flat_maps.shape[1]
    draws = tf.raw_ops.StatelessRandomUniformFullIntV2(
        shape=[batch * samples, -(-positions // 4) * 4],
        key=tf.constant([seed], tf.uint64),
        counter=tf.constant([0, 0], tf.uint64),
        alg=1,
        dtype=tf.uint32,
    ).numpy()[:, :positions]
    keys = draws.astype(np.int64) * positions + np.arange(positions)
    out = []
    for b in range(batch):
        rows = keys[b * samples : (b + 1) * samples]
        subsets = np.argsort(-rows, axis=1)[:, :count]
        copies = np.repeat(flat_x[b][None], samples, axis=0)
        for r in range(samples):
            copies[r, subsets[r]] = baseline
        rows = np.concatenate([x[b : b + 1], copies.reshape(samples, *x.shape[1:])])
        scores = np.asarray(outputs(b, rows.astype(np.float32)))[:, class_ids[b]]
        drops = scores[0] - scores[1:]
        sums = flat_maps[b][subsets].sum(axis=1)
        out.append(np.corrcoef(sums, drops)[0, 1])
    return np.array(out)


def plain(model):
    return lambda b, rows: model(rows, training=False)


@pytest.mark.parametrize("kind", ["image", "sequence", "features"])
def test_matches_a_reference_and_depends_on_the_seed_only(kind):
    model = models.nonlinear(kind)
    x = models.inputs(kind, n=4)
    maps = tbx.Saliency().explain(model, x)
    ids = np.array([0, 1, 2, 0])
    count = 2 if kind == "features" else 5
    expected = reference(plain(model), x, maps, ids, count, samples=16, seed=7)
    for batch_size in (5, 64):
        out = metrics.faithfulness_correlation(
            model,
            x,
            maps,
            ids,
            subset_size=count,
            samples=16,
            seed=7,
            batch_size=batch_size,
        )
        np.testing.assert_allclose(out, expected, atol=1e-5)
    other = metrics.faithfulness_correlation(
        model, x, maps, ids, subset_size=count, samples=16, seed=8
    )
    assert not np.allclose(other, expected)


def test_tokens_are_replaced_by_the_pad_embedding():
    # The model after its embedding, fed embeddings with the replaced tokens'
    # vectors zeroed (the pad token of this Embedding is unknown).
    model = models.nonlinear("tokens")
    ids = models.inputs("tokens", n=3)
    maps = tbx.Saliency().explain(model, ids)
    embedding = model.get_layer("embedding")
    after = keras.Model(embedding.output, model.output)
    classes = np.array([0, 2, 1])
    vectors = embedding(ids).numpy()
    expected = reference(plain(after), vectors, maps, classes, 3, samples=10, seed=3)
    out = metrics.faithfulness_correlation(
        model, ids, maps, classes, subset_size=3, samples=10, seed=3
    )
    np.testing.assert_allclose(out, expected, atol=1e-5)


def test_one_input_of_two_is_replaced_the_other_held():
    model = models.nonlinear("two")
    x = models.inputs("two", n=3)
    maps = tbx.Saliency().explain(model, x, input="image")
    meta = x["meta"]

    def outputs(b, rows):
        held = np.repeat(meta[b : b + 1], len(rows), axis=0)
        return model({"image": rows, "meta": held}, training=False)

    classes = np.array([1, 1, 0])
    expected = reference(outputs, x["image"], maps, classes, 4, samples=10, seed=5)
    for input in ("image", None):  # by default, the input the maps' shape fits
        out = metrics.faithfulness_correlation(
            model, x, maps, classes, subset_size=4, samples=10, seed=5, input=input
        )
        np.testing.assert_allclose(out, expected, atol=1e-5)


def test_undefined_and_bad_arguments():
    model = models.nonlinear("image")
    x = models.inputs("image", n=3)
    maps = tbx.Saliency().explain(model, x)
    maps[1, 0, 0] = np.nan
    out = metrics.faithfulness_correlation(model, x, maps, samples=8)
    assert np.isfinite(out[[0, 2]]).all() and np.isnan(out[1])
    with pytest.raises(ValueError, match="Received: subset_size=36"):
        metrics.faithfulness_correlation(model, x, maps, subset_size=36)
    with pytest.raises(ValueError, match="Received: subset_size=0"):
        metrics.faithfulness_correlation(model, x, maps, subset_size=0)
    with pytest.raises(ValueError, match="Received: samples=1"):
        metrics.faithfulness_correlation(model, x, maps, samples=1)
    with pytest.raises(ValueError, match="Received: maps with shape"):
        metrics.faithfulness_correlation(model, x, maps[:, :3])
    two = models.nonlinear("two")
    with pytest.raises(ValueError, match="pass input="):
        metrics.faithfulness_correlation(two, models.inputs("two"), np.ones((3, 7)))
