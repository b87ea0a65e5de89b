"""`tbexplain.reading.read` returns what was logged: maps within one 8-bit step
of each row's range, input pixels exactly, manifests as written."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tbexplain.reading import Logs, Series, read
from tbexplain_plugin import metadata
from tests.helpers.reader import LogdirReader
from tests.read.conftest import (
    DIRECT_STEPS,
    INPUT_STEPS,
    LOGGER_STEPS,
    SIZE,
    TARGET_NAME,
    TOP_K,
    Logged,
)


def assert_within_one_step(
    restored: np.ndarray, logged: np.ndarray, manifest: list[dict[str, Any]]
) -> None:
    """Each row of `restored` is within half an 8-bit step of its range (the
    rounding of the writer) of what was logged, and its range is the logged
    row's."""
    assert restored.dtype == np.float32
    assert restored.shape == logged.shape
    rows = logged.reshape(len(logged), -1).astype(np.float64)
    lo = np.array([row["min"] for row in manifest])
    hi = np.array([row["max"] for row in manifest])
    np.testing.assert_allclose(lo, rows.min(axis=1), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(hi, rows.max(axis=1), rtol=1e-6, atol=1e-12)
    error = np.abs(restored.reshape(rows.shape) - rows)
    slack = 1e-6 * np.maximum(np.abs(lo), np.abs(hi))  # float32 rounding
    assert np.all(error <= ((hi - lo) / 255 / 2 + slack)[:, None])


def test_reads_every_run_and_series(logs: Logs, logged: Logged):
    assert list(logs) == ["formats", "logger", "ops/direct", "strips"]
    for run in ("logger", "ops/direct", "strips"):
        assert set(logs[run]) == {c.tag for c in logged.calls if c.run == run}
        for op in ("inputs", "explanation", "activations", "filters"):
            for tag in logged.tags(run, op):
                assert logs[run][tag].kind == op
    assert set(logs["formats"]) == {
        "fine",
        "old/v1",
        "old/v2",
        "broken/manifest",
        "broken/png",
        "broken/strips",
    }
    assert sum(1 for _ in logs.series()) == sum(len(tags) for tags in logs.values())


def test_series_facts_come_from_the_metadata(logs: Logs):
    run = logs["logger"]
    cam, grad_input = run["explain/gradcam"], run["explain/gradient_input"]
    assert (cam.method, cam.layer, cam.signed) == ("gradcam", "conv2", False)
    assert (grad_input.method, grad_input.signed) == ("gradient_input", True)
    assert cam.inputs_tag == "explain/inputs"
    assert cam.overlay is run["explain/inputs"]
    assert cam.description.startswith("GradCAM of layer `conv2`")
    assert run["explain/activations/conv1"].layer == "conv1"
    assert logs["ops/direct"]["probe/filters"].layer == "conv1"
    assert cam.version == metadata.PROTO_VERSION
    assert logs["formats"]["old/v1"].version == 1


def test_logger_cam_at_layer_resolution_under_larger_inputs(logs: Logs, logged: Logged):
    series = logs["logger"]["explain/gradcam"]
    assert series.steps == list(LOGGER_STEPS)
    probe = logged.call("logger", "explain/inputs", 0).array
    pixels = np.rint(probe * 255).astype(np.uint8)
    ranged = 0
    for s in LOGGER_STEPS:
        call = logged.call("logger", "explain/gradcam", s)
        step = series[s]
        assert step.maps.shape == (4 * TOP_K, SIZE // 2, SIZE // 2)
        assert_within_one_step(step.maps, call.array, step.manifest)
        ranged += sum(row["max"] > row["min"] for row in step.manifest)
        samples = [row["sample"] for row in step.manifest]
        assert samples == call.kwargs["samples"].tolist()
        assert samples == np.repeat(np.arange(4), TOP_K).tolist()  # top-k rows
        assert [row["class_id"] for row in step.manifest] == (
            call.kwargs["class_ids"].tolist()
        )
        for k in range(4):  # the top-k classes of a sample differ
            rows = step.manifest[k * TOP_K : (k + 1) * TOP_K]
            assert len({row["class_id"] for row in rows}) == TOP_K
        assert [row["predicted"] for row in step.manifest] == (
            call.kwargs["predicted"].tolist()
        )
        assert step.inputs_step is logs["logger"]["explain/inputs"][0]
        assert step.inputs.shape == (4 * TOP_K, SIZE, SIZE, 3)
        np.testing.assert_array_equal(step.inputs, pixels[samples])
    assert ranged > len(LOGGER_STEPS) * 4  # most maps are not flat


def test_signed_maps_come_back_negative(logs: Logs, logged: Logged):
    series = logs["logger"]["explain/gradient_input"]
    for s in LOGGER_STEPS:
        step = series[s]
        assert step.maps.shape == (4 * TOP_K, SIZE, SIZE)
        assert step.maps.min() < 0 < step.maps.max()
        assert_within_one_step(
            step.maps, logged.call("logger", series.tag, s).array, step.manifest
        )


def test_activations_are_maps_per_sample_and_channel(logs: Logs, logged: Logged):
    series = logs["logger"]["explain/activations/conv1"]
    for s in LOGGER_STEPS:
        step = series[s]
        feature_maps = logged.call("logger", series.tag, s).array  # [B, H, W, K]
        channels = [row["channel"] for row in step.manifest[:2]]
        samples = [row["sample"] for row in step.manifest]
        assert samples == np.repeat(np.arange(4), 2).tolist()
        expected = np.moveaxis(feature_maps, -1, 1).reshape(8, SIZE, SIZE)
        assert_within_one_step(step.maps, expected, step.manifest)
        assert len(set(channels)) == 2


def test_inputs_are_the_logged_pixels(logs: Logs, logged: Logged):
    step = logs["logger"]["explain/inputs"][0]
    probe = logged.call("logger", "explain/inputs", 0).array
    assert step.images.dtype == np.uint8
    np.testing.assert_array_equal(step.images, np.rint(probe * 255))
    assert [row["label_name"] for row in step.manifest] == [
        "circle",
        "square",
        "triangle",
        "circle",
    ]
    series = logs["ops/direct"]["probe/inputs"]
    assert series.steps == list(INPUT_STEPS)
    for s in INPUT_STEPS:
        logged_images = logged.call("ops/direct", series.tag, s).array
        np.testing.assert_array_equal(series[s].images, logged_images)
    filters = logs["ops/direct"]["probe/filters"][0]
    np.testing.assert_array_equal(
        filters.images, logged.call("ops/direct", "probe/filters", 0).array
    )
    assert [row["filter"] for row in filters.manifest] == [3, 1]


def test_every_step_is_kept(logs: Logs):
    # TensorBoard's default reservoir keeps 10 steps of a blob sequence.
    series = logs["ops/direct"]["probe/maps"]
    assert len(DIRECT_STEPS) > 10
    assert series.steps == list(DIRECT_STEPS)
    assert list(series) == list(DIRECT_STEPS) and len(series) == len(DIRECT_STEPS)


def test_overlay_is_the_latest_inputs_at_or_before_the_step(logs: Logs, logged: Logged):
    series = logs["ops/direct"]["probe/maps"]
    inputs = logs["ops/direct"]["probe/inputs"]
    for s in DIRECT_STEPS:
        step = series[s]
        source = 5 if s >= 5 else 0
        assert step.inputs_step is inputs[source]
        images = logged.call("ops/direct", "probe/inputs", source).array
        np.testing.assert_array_equal(step.inputs, images[[2, 0, 1, 1, 0, 2]])
        assert_within_one_step(
            step.maps, logged.call("ops/direct", series.tag, s).array, step.manifest
        )


def test_manifest_carries_predicted_target_name_and_names(logs: Logs, logged: Logged):
    step = logs["ops/direct"]["probe/maps"][3]
    call = logged.call("ops/direct", "probe/maps", 3)
    assert step.attrs["target_name"] == TARGET_NAME
    assert step.attrs["shape"] == [6, 5] and step.shape == (6, 5)
    assert [row["predicted"] for row in step.manifest] == [0, 0, 1, 1, 2, 2]
    assert [row["label_name"] for row in step.manifest] == [
        "square",
        "triangle",
        "circle",
        "circle",
        "triangle",
        "square",
    ]
    np.testing.assert_allclose(
        [row["score"] for row in step.manifest], call.kwargs["scores"], rtol=1e-7
    )
    assert all(row["nonfinite"] == 0 for row in step.manifest)
    assert "target_name" not in logs["logger"]["explain/gradcam"][0].attrs


def test_sequence_maps_are_rows(logs: Logs, logged: Logged):
    series = logs["ops/direct"]["probe/sequence"]
    for s in (0, 1):
        step = series[s]
        assert step.shape == (50,)
        assert_within_one_step(
            step.maps, logged.call("ops/direct", series.tag, s).array, step.manifest
        )
        assert step.inputs is None and step.inputs_step is None  # no inputs_tag
    assert series.maps().shape == (2, 4, 50)


def test_series_stack_their_steps(logs: Logs):
    cam = logs["logger"]["explain/gradcam"]
    stacked = cam.maps()
    assert stacked.shape == (len(LOGGER_STEPS), 4 * TOP_K, SIZE // 2, SIZE // 2)
    for i, s in enumerate(cam.steps):
        np.testing.assert_array_equal(stacked[i], cam[s].maps)
    inputs = logs["ops/direct"]["probe/inputs"].images()
    assert inputs.shape == (2, 3, 6, 5, 3) and inputs.dtype == np.uint8
    with pytest.raises(ValueError, match=r"different shapes.*step 0: \(2, 4, 4\)"):
        logs["ops/direct"]["probe/changing"].maps()


def test_a_step_split_over_several_strips(logs: Logs, logged: Logged):
    # The split, seen through the test helper's own reader.
    (written,) = LogdirReader(logged.logdir).steps("strips", "probe/maps")
    assert written.blobs == 4
    step = logs["strips"]["probe/maps"][0]
    assert_within_one_step(
        step.maps, logged.call("strips", "probe/maps", 0).array, step.manifest
    )
    images = logged.call("strips", "probe/inputs", 0).array
    np.testing.assert_array_equal(logs["strips"]["probe/inputs"][0].images, images)
    np.testing.assert_array_equal(step.inputs, images)


def test_versions_1_and_2_with_one_png_per_row(logs: Logs, logged: Logged):
    for tag, expected in logged.old_maps.items():
        step = logs["formats"][tag][0]
        np.testing.assert_allclose(step.maps, expected, rtol=1e-6)
    assert [row["class_id"] for row in logs["formats"]["old/v1"][0].manifest] == [0, 1]


def test_unreadable_series_are_listed_not_fatal(logs: Logs):
    skipped = {(s.run, s.tag): s.reason for s in logs.skipped}
    assert set(skipped) == {("formats", "newer"), ("formats", "corrupt")}
    assert "newer" in skipped[("formats", "newer")]
    assert "corrupt" in skipped[("formats", "corrupt")]
    np.testing.assert_array_equal(logs["formats"]["fine"][0].maps, np.ones((1, 2, 2)))


@pytest.mark.parametrize(
    ("tag", "match"),
    [
        ("broken/manifest", "corrupt tbexplain manifest"),
        ("broken/png", "not a PNG"),
        ("broken/strips", "0 images for 1 rows"),
    ],
)
def test_a_broken_step_raises_naming_it(logs: Logs, tag: str, match: str):
    with pytest.raises(
        ValueError, match=rf"^step 0 of '{tag}' of run 'formats': .*{match}"
    ):
        _ = logs["formats"][tag][0].maps


def test_steps_are_decoded_once_and_read_only(logs: Logs):
    series = logs["logger"]["explain/gradcam"]
    assert series[1] is series[1]
    assert series[1].maps is series[1].maps
    for array in (series[1].maps, series[1].inputs):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 0


def test_asking_for_the_wrong_thing(logs: Logs, tmp_path):
    run = logs["logger"]
    with pytest.raises(
        ValueError, match=r"inputs series hold images, not maps: read Step\.images"
    ):
        _ = run["explain/inputs"][0].maps
    with pytest.raises(
        ValueError, match=r"explanation series hold maps, not images: read Step\.maps"
    ):
        _ = run["explain/gradcam"][0].images
    assert run["explain/inputs"][0].inputs is None
    with pytest.raises(KeyError, match=r"has no step 7; its steps are \[0, 1, 2\]"):
        run["explain/gradcam"][7]
    with pytest.raises(KeyError, match="no tbexplain series in run 'nope'"):
        logs["nope"]
    with pytest.raises(FileNotFoundError, match="logdir does not exist"):
        read(tmp_path / "missing")
    (tmp_path / "file").write_text("")
    with pytest.raises(NotADirectoryError, match="must be a directory"):
        read(tmp_path / "file")
    assert len(read(tmp_path)) == 0


def test_repr_says_what_is_there(logs: Logs):
    series: Series = logs["logger"]["explain/gradcam"]
    assert repr(series) == (
        "Series(run='logger', tag='explain/gradcam', kind='explanation', "
        "method='gradcam', layer='conv2', steps=[0, 1, 2])"
    )
    assert "runs=['formats', 'logger', 'ops/direct', 'strips']" in repr(logs)
    assert "skipped=2" in repr(logs)


def test_a_row_without_its_input_raises_naming_it(logs: Logs):
    step = logs["ops/direct"]["probe/stray"][0]
    assert step.maps.shape == (2, 6, 5)  # the maps are fine
    with pytest.raises(
        ValueError,
        match=r"^step 0 of 'probe/stray' of run 'ops/direct': row 1 overlays no "
        r"image of its inputs step 0 \(3 images\)\. Received: sample=7",
    ):
        _ = step.inputs


def test_volumes_come_back_in_their_own_shape(tmp_path):
    import tensorflow as tf

    from tbexplain import summary

    rng = np.random.default_rng(3)
    clips = rng.integers(0, 256, (2, 3, 4, 5, 3), dtype=np.uint8)  # [B, D, H, W, C]
    maps = rng.normal(size=(2, 3, 4, 5)).astype(np.float32)  # [N, D, H, W]
    with tf.summary.create_file_writer(str(tmp_path / "run")).as_default():
        summary.inputs("clips", clips, step=0)
        summary.explanation("saliency", maps, step=0, method="saliency", inputs="clips")
    run = read(tmp_path)["run"]
    inputs, saliency = run["clips"][0], run["saliency"][0]
    assert inputs.layout == saliency.layout == "volume"
    np.testing.assert_array_equal(inputs.images, clips)
    assert_within_one_step(saliency.maps, maps, saliency.manifest)
    np.testing.assert_array_equal(saliency.inputs, clips)
