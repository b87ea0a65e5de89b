"""Tests of the demo pipeline (tbexplain.demo): data, model, training, results."""

from __future__ import annotations

import numpy as np
import pytest

import tbexplain as tbx
from tbexplain import demo
from tbexplain.data import CLASS_NAMES, reviews
from tbexplain_plugin import metadata
from tests.helpers.reader import LogdirReader

TINY = demo.DemoConfig(
    epochs=2, train_size=64, val_size=16, probe_size=8, image_size=32, seed=3
)
PG_TAG = "explain/metrics/gradcam/pointing_game"


@pytest.fixture(scope="module")
def tiny_demo(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("demo") / "logs"
    # A previous demo's event file, which the new run must replace.
    stale = logdir / "clean" / "train" / "events.out.tfevents.1.stale.v2"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"")
    messages: list[str] = []
    result = demo.run_demo(logdir, TINY, verbose=0, echo=messages.append)
    result.messages = messages  # type: ignore[attr-defined]
    return logdir, result


def test_demo_logdir_through_the_data_provider(tiny_demo):
    logdir, _result = tiny_demo
    reader = LogdirReader(logdir)
    series = reader.series()
    assert set(series) == {"clean/train", "spurious/train", "text/train"}
    for run in ("clean/train", "spurious/train"):
        tags = series[run]
        # Every view of the tab has something to show.
        assert set(tags) == {
            "explain/inputs",
            "explain/gradcam",
            "explain/guided_gradcam",
            "explain/occlusion",
            "explain/activations/block2_relu1",
            "explain/filters/block3_relu2",
            "explain/pipeline/decoded",
            "explain/pipeline/resized",
            "explain/pipeline/augmented",
        }
        kinds = {tag: metadata.kind_name(info) for tag, info in tags.items()}
        assert kinds["explain/activations/block2_relu1"] == "activations"
        assert kinds["explain/filters/block3_relu2"] == "filters"
        assert {tags[t].stage for t in tags if "/pipeline/" in t} == {
            "decoded",
            "resized",
            "augmented",
        }
        # Cheap views every epoch, expensive ones every few (0 only here).
        for tag, steps in (
            ("explain/guided_gradcam", [0, 1]),
            ("explain/activations/block2_relu1", [0, 1]),
            ("explain/occlusion", [0]),
            ("explain/filters/block3_relu2", [0]),
            ("explain/pipeline/decoded", [0]),
        ):
            assert [s.step for s in reader.steps(run, tag)] == steps, tag
        (decoded,) = reader.steps(run, "explain/pipeline/decoded")
        source = demo.source_size(TINY.image_size)
        assert decoded.manifest["shape"] == [source, source, 3]
        (resized,) = reader.steps(run, "explain/pipeline/resized")
        assert resized.manifest["shape"] == [TINY.image_size, TINY.image_size, 3]
        gradcam = tags["explain/gradcam"]
        assert gradcam.method == "gradcam"
        assert gradcam.layer == "block3_relu2"
        assert gradcam.inputs_tag == "explain/inputs"

        steps = reader.steps(run, "explain/gradcam")
        assert [s for s, _, _ in steps] == [0, 1]
        for logged in steps:
            # Grad-CAM maps are stored at block3_relu2's resolution (1/4 of
            # the input); the plugin upsamples them over the inputs.
            layer_size = TINY.image_size // 4
            manifest = logged.manifest
            assert manifest["shape"] == [layer_size, layer_size]
            assert [m.shape[:2] for m in logged.images()] == [
                (layer_size, layer_size)
            ] * TINY.probe_size
            for item in manifest["items"]:
                assert item["class_name"] == CLASS_NAMES[item["class_id"]]
                assert item["label_name"] == CLASS_NAMES[item["label"]]
        [logged] = reader.steps(run, "explain/inputs")
        inputs = logged.manifest
        assert logged.step == 0
        assert inputs["shape"] == [TINY.image_size, TINY.image_size, 3]
        probe = demo.make_datasets(TINY)["probe"]
        assert [it["label"] for it in inputs["items"]] == probe.labels.tolist()
        first = logged.images()[0]
        np.testing.assert_allclose(first / 255.0, probe.images[0], atol=1 / 255)


def test_demo_text_run_explains_tokens_against_their_cue_words(tiny_demo):
    logdir, result = tiny_demo
    logs = tbx.read(logdir)
    run = logs["text/train"]
    assert {
        "explain/inputs",
        "explain/integrated_gradients",
        "explain/gradcam",
        "explain/occlusion",
    } <= set(run)
    inputs = run["explain/inputs"]
    assert inputs.layout == "tokens"
    probe = reviews.make_reviews(16, length=12, seed=TINY.seed + 2)
    assert [row["tokens"] for row in inputs[0].manifest] == [
        [reviews.VOCABULARY[i] for i in sample] for sample in probe.tokens.tolist()
    ]
    ig = run["explain/integrated_gradients"]
    assert ig.steps == [0, 1]
    assert ig[1].maps.shape == (16, 12)
    points = LogdirReader(logdir).scalars("text/train")[
        "explain/metrics/integrated_gradients/pointing_game"
    ]
    assert [step for step, _ in points] == [0, 1]
    # The pointing game as the metric defines it, from the maps read back.
    expected = tbx.metrics.pointing_game(ig[1].maps, probe.cue_masks).mean()
    assert points[1][1] == pytest.approx(expected, abs=1 / 16)
    assert result.text is not None and result.text.pointing_game == points
    assert "cue words found" in demo.summarize(result)


def test_demo_logs_pointing_game_per_epoch(tiny_demo):
    logdir, result = tiny_demo
    scalars = LogdirReader(logdir).scalars()
    for run in ("clean", "spurious"):
        points = scalars[f"{run}/train"][PG_TAG]
        assert [step for step, _ in points] == [0, 1]
        assert all(0.0 <= value <= 1.0 for _, value in points)
        # The result reports what TensorBoard reads.
        np.testing.assert_allclose(
            [v for _, v in result.runs[run].pointing_game],
            [v for _, v in points],
            rtol=1e-6,
        )
        assert "explain/metrics/gradcam/drift" in scalars[f"{run}/train"]
        assert [s for s, _ in scalars[f"{run}/train"]["epoch_accuracy"]] == [0, 1]
        assert [s for s, _ in scalars[f"{run}/validation"]["epoch_accuracy"]] == [0, 1]
    # Each epoch's value is echoed while training (read back after the write).
    echoed = [m for m in result.messages if m.startswith("Grad-CAM pointing game")]
    expected = [
        f"Grad-CAM pointing game (epoch {step + 1}): {value:.2f}"
        for run in ("clean", "spurious")
        for step, value in scalars[f"{run}/train"][PG_TAG]
    ]
    assert echoed == expected
    table = result.table()
    assert table.splitlines()[1].startswith("clean")
    assert "pointing game" in demo.summarize(result)


def test_demo_logs_sparseness_and_randomisation_of_every_method(tiny_demo):
    logdir, result = tiny_demo
    scalars = LogdirReader(logdir).scalars()
    for run in ("clean", "spurious"):
        logged = scalars[f"{run}/train"]
        for method in ("gradcam", "guided_gradcam"):
            for metric in ("sparseness", "randomisation"):
                points = logged[f"explain/metrics/{method}/{metric}"]
                assert [step for step, _ in points] == [0, 1]
        # Both are defined on the demo's maps (Gini in [0, 1), rank
        # correlation in [-1, 1]), and the result reports what TensorBoard reads.
        for metric, points in result.runs[run].trust.items():
            tag = f"explain/metrics/gradcam/{metric}"
            np.testing.assert_allclose(
                [v for _, v in points], [v for _, v in logged[tag]], rtol=1e-6
            )
        assert all(0 <= v < 1 for _, v in result.runs[run].trust["sparseness"])
        assert all(-1 <= v <= 1 for _, v in result.runs[run].trust["randomisation"])
    assert "Grad-CAM sparseness" in demo.summarize(result)


def test_rerun_replaces_old_runs_but_keeps_foreign_files(tiny_demo, tmp_path):
    logdir, _ = tiny_demo
    assert not list(logdir.rglob("*stale*"))
    (tmp_path / "clean").mkdir()
    (tmp_path / "clean" / "notes.txt").write_text("mine")
    splits = demo.make_datasets(TINY)
    with pytest.raises(FileExistsError, match="not TensorBoard event files"):
        demo.train_run("clean", splits, tmp_path, TINY, verbose=0)
    assert (tmp_path / "clean" / "notes.txt").read_text() == "mine"


def test_datasets_differ_only_in_the_corner_mark():
    splits = demo.make_datasets(TINY)
    clean, spurious, probe = splits["clean"], splits["spurious"], splits["probe"]
    box = clean.cue_masks[0]
    np.testing.assert_array_equal(clean.images[:, ~box], spurious.images[:, ~box])
    np.testing.assert_array_equal(clean.labels, spurious.labels)
    assert not np.array_equal(clean.images[:, box], spurious.images[:, box])
    assert probe.cue_masks.all(axis=(1, 2)).sum() == 0 and probe.cue_masks.any()
    assert len(probe) == TINY.probe_size and len(splits["val"]) == TINY.val_size


def test_gradcam_default_layer_is_the_last_block():
    model = demo.build_model(64)
    assert tbx.GradCAM().layer_name(model) == "block3_relu2"
    assert model.get_layer("block3_relu2").output.shape[1:3] == (16, 16)
    assert model.output.shape[-1] == len(CLASS_NAMES)


def test_pointing_tolerance_scales_zhang_et_al():
    assert demo.pointing_tolerance(224) == 15.0
    assert demo.pointing_tolerance(64) == pytest.approx(4.29, abs=0.01)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"epochs": 0}, "epochs must be a positive integer"),
        ({"probe_size": 2.5}, "probe_size must be a positive integer"),
        ({"image_size": 30}, "image_size must be a multiple of 4"),
        ({"learning_rate": 0.0}, "learning_rate must be positive"),
    ],
)
def test_config_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        demo.DemoConfig(**kwargs)


def test_summary_names_an_undefined_trust_metric_in_words():
    run = demo.RunResult(
        name="clean",
        log_dir="logs/clean",
        pointing_game=[(0, 0.25), (1, 0.5)],
        history={"accuracy": [0.5, 0.75], "val_accuracy": [0.25, 0.5]},
        seconds=12.0,
        trust={
            "sparseness": [(0, 0.25), (1, 0.125)],
            "randomisation": [(0, 0.5), (1, float("nan"))],
        },
    )
    result = demo.DemoResult(
        log_dir="logs", config=TINY, runs={"clean": run}, seconds=20.0
    )
    lines = demo.summarize(result).splitlines()
    trust = next(line for line in lines if "Grad-CAM sparseness" in line)
    assert " ".join(trust.split()) == (
        "Grad-CAM sparseness 0.12 randomisation undefined on every map"
    )
