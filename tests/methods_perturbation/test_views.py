"""Activations and FilterVisualization (views that are not attributions)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import tbexplain as tbx
from tbexplain_plugin import metadata
from tests.helpers.reader import LogdirReader
from tests.methods_perturbation.models import SIZE, images, region_model


@pytest.fixture(scope="module")
def model() -> keras.Model:
    return region_model()


def _conv_acts(model, x):
    sub = keras.Model(model.input, model.get_layer("conv").output)
    return sub(x).numpy()


def test_activations_default_top_channels_by_mean(model):
    x = images(2)
    views = tbx.Activations(layers=["conv", None], channels=3).compute(model, x)
    assert list(views) == ["conv", "region"]
    maps, ids = views["conv"]
    full = _conv_acts(model, x)
    expected_ids = np.argsort(-full.mean(axis=(0, 1, 2)))[:3]
    np.testing.assert_array_equal(ids, expected_ids)
    np.testing.assert_allclose(maps, full[..., expected_ids], rtol=1e-5)
    assert maps.shape == (2, *SIZE, 3)
    means = maps.mean(axis=(0, 1, 2))
    assert np.all(np.diff(means) <= 0)  # most active first


def test_activations_explicit_and_all_channels(model):
    x = images(1)
    full = _conv_acts(model, x)
    maps, ids = tbx.Activations("conv", channels=[4, 0]).compute(model, x)["conv"]
    np.testing.assert_array_equal(ids, [4, 0])
    np.testing.assert_allclose(maps, full[..., [4, 0]], rtol=1e-5)
    maps, ids = tbx.Activations("conv", channels=None).compute(model, x)["conv"]
    np.testing.assert_array_equal(ids, np.arange(6))
    assert tbx.Activations().layer_names(model) == ["region"]
    with pytest.raises(ValueError, match="Received: channels=\\[9\\]"):
        tbx.Activations("conv", channels=[9]).compute(model, x)
    with pytest.raises(ValueError, match="Received: layer='nope'"):
        tbx.Activations("nope").compute(model, x)


def _read_back(logdir, tag: str):
    """(series metadata, the one step) of `tag`, through TensorBoard's provider."""
    reader = LogdirReader(logdir)
    ((run, tags),) = reader.series().items()
    (step,) = reader.steps(run, tag)
    return tags[tag], step


def _dequantised(pixels: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Raw values of 8-bit pixels written for the range [lo, hi]."""
    return lo + pixels.astype(np.float64) / 255.0 * (hi - lo)


def test_activations_read_back_as_written(model, tmp_path):
    import tensorflow as tf

    maps, ids = tbx.Activations("conv", channels=2).compute(model, images(2))["conv"]
    with tf.summary.create_file_writer(str(tmp_path)).as_default():
        assert tbx.summary.activations("act", maps, 3, layer="conv", channels=ids)
    series, step = _read_back(tmp_path, "act")
    assert metadata.kind_name(series) == "activations" and series.layer == "conv"
    assert step.step == 3 and step.manifest["shape"] == list(SIZE)
    # One row per (sample, channel), sample-major, each with its own range.
    rows = step.manifest["items"]
    assert [(r["sample"], r["channel"]) for r in rows] == [
        (s, int(c)) for s in range(2) for c in ids
    ]
    for row, image in zip(rows, step.images(), strict=True):
        raw = maps[row["sample"], :, :, list(ids).index(row["channel"])]
        assert image.shape == (*SIZE, 1)
        np.testing.assert_allclose([row["min"], row["max"]], [raw.min(), raw.max()])
        np.testing.assert_allclose(row["mean"], raw.mean(), rtol=1e-5)
        span = row["max"] - row["min"]
        np.testing.assert_allclose(
            _dequantised(image[..., 0], row["min"], row["max"]),
            raw,
            atol=span / 510 + 1e-6,  # half a quantisation step
        )


def test_filter_visualization_increases_objective_step_by_step(model):
    plain = tbx.FilterVisualization(
        "conv", filters=[0, 3], steps=30, jitter=0, scales=(1.0,)
    )
    result = plain.compute(model)
    assert result.history.shape == (30, 2)
    steps = np.diff(result.history, axis=0)
    assert np.all(steps > -1e-4), steps.min()  # each step increases (Adam, no jitter)
    assert np.all(result.objectives > result.history[0] + 0.1)


def test_filter_visualization_with_regularisation(model, tmp_path):
    import tensorflow as tf

    fv = tbx.FilterVisualization("conv", filters=[1, 2, 5], steps=40, seed=3)
    result = fv.compute(model)
    assert result.images.shape == (3, *SIZE, 3)
    assert result.images.min() >= 0.0 and result.images.max() <= 1.0
    np.testing.assert_array_equal(result.filter_ids, [1, 2, 5])
    early, late = result.history[:5].mean(0), result.history[-5:].mean(0)
    assert np.all(late > early)
    # The reported objective is the filter's mean (pre-activation) response to its
    # image.
    conv = model.get_layer("conv")
    sub = keras.Model(model.input, conv.output)
    conv.activation = keras.activations.linear
    try:
        pre = sub(result.images).numpy().mean(axis=(1, 2))
    finally:
        conv.activation = keras.activations.relu
    np.testing.assert_allclose(
        result.objectives, pre[np.arange(3), [1, 2, 5]], rtol=1e-4
    )
    again = tbx.FilterVisualization(
        "conv", filters=[1, 2, 5], steps=40, seed=3
    ).compute(model)
    np.testing.assert_allclose(again.images, result.images, rtol=1e-5)
    with tf.summary.create_file_writer(str(tmp_path)).as_default():
        assert tbx.summary.filters(
            "f",
            result.images,
            0,
            layer="conv",
            filter_ids=result.filter_ids,
            objectives=result.objectives,
        )
    series, step = _read_back(tmp_path, "f")
    assert metadata.kind_name(series) == "filters" and series.layer == "conv"
    rows = step.manifest["items"]
    assert [r["filter"] for r in rows] == [1, 2, 5]
    np.testing.assert_allclose(
        [r["objective"] for r in rows], result.objectives, rtol=1e-6
    )
    for image, written in zip(step.images(), result.images, strict=True):
        # Images in [0, 1] are stored as round(255 v), RGB.
        assert image.shape == (*SIZE, 3)
        np.testing.assert_allclose(image / 255.0, written, atol=0.5 / 255 + 1e-6)


def test_filter_visualization_errors(model):
    with pytest.raises(ValueError, match="Received: filters=\\[7\\]"):
        tbx.FilterVisualization("conv", filters=[7], steps=1).compute(model)
    with pytest.raises(ValueError, match="Received: steps=0"):
        tbx.FilterVisualization("conv", steps=0)
    with pytest.raises(ValueError, match="Received: value_range"):
        tbx.FilterVisualization("conv", value_range=(1, 0))
