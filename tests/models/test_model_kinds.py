"""Every kind of model trains with `model.fit` and the callback, and its logs read
back through TensorBoard's data provider (`tbx.read`) as what was explained."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import tbexplain as tbx
from tests.helpers import model_kinds
from tests.helpers import transformers as T
from tests.helpers.model_kinds import FEATURES, PROBE, VOCABULARY


@pytest.fixture(scope="module")
def trained(trained_kinds):
    logdir, cases = trained_kinds
    return cases, tbx.read(logdir)


def _run(logs, kind):
    return logs[f"{kind}/train"]


@pytest.mark.slow
def test_every_kind_logs_every_epoch_without_failures(trained):
    cases, logs = trained
    assert sorted(run.split("/")[0] for run in logs) == sorted(model_kinds.KINDS)
    assert logs.skipped == []
    for kind, case in cases.items():
        assert case.callback.logger.failures == [], kind
        run = _run(logs, kind)
        explanations = [s for s in run.values() if s.kind == "explanation"]
        assert explanations, kind
        for series in explanations:
            assert series.steps == [0, 1], (kind, series.tag)
            maps = series[1].maps
            assert np.isfinite(maps).all(), (kind, series.tag)
            assert maps.shape[0] == PROBE, (kind, series.tag)


@pytest.mark.slow
def test_layouts_and_layers_are_recorded_per_kind(trained):
    _, logs = trained
    expected = {
        "mobilenet_nested": ("explain/gradcam", "image"),
        "subclassed": ("explain/saliency", "image"),
        "text": ("explain/integrated_gradients", "tokens"),
        "tabular": ("explain/gradient_input", "features"),
        "time_series": ("explain/saliency", "sequence"),
        "clips": ("explain/saliency", "volume"),
        "uint8_grayscale": ("explain/gradcam", "image"),
    }
    for kind, (tag, layout) in expected.items():
        assert _run(logs, kind)[tag].layout == layout, kind
    assert _run(logs, "mobilenet_nested")["explain/gradcam"].layer.startswith(
        "mobilenetv2_0.35_32/"
    )
    assert (
        _run(logs, "resnet_sequential")["explain/gradcam"].layer
        == "resnet50/conv5_block3_out"
    )
    subclassed = trained[0]["subclassed"].model
    assert _run(logs, "subclassed")["explain/gradcam"].layer == subclassed.conv.name
    assert _run(logs, "clips")["explain/saliency"][1].maps.shape == (PROBE, 4, 8, 8)
    assert _run(logs, "time_series")["explain/saliency"][1].maps.shape == (PROBE, 20)


@pytest.mark.slow
def test_text_maps_one_value_per_token_and_the_tokens_text(trained):
    cases, logs = trained
    run = _run(logs, "text")
    tokens = cases["text"].probe
    inputs = run["explain/inputs"]
    assert inputs.layout == "tokens"
    rows = inputs[0].manifest
    assert [row["tokens"] for row in rows] == [
        [VOCABULARY[i] for i in sample] for sample in tokens.tolist()
    ]
    for tag in ("explain/gradcam", "explain/integrated_gradients", "explain/occlusion"):
        assert run[tag][1].maps.shape == (PROBE, tokens.shape[1]), tag
    # Padding (id 0, "" in the vocabulary) is drawn as absent.
    pixels = inputs[0].images[:, 0, :, 0]
    np.testing.assert_array_equal(pixels == 0, tokens == 0)


@pytest.mark.slow
def test_tabular_and_metadata_inputs_carry_their_feature_names(trained):
    cases, logs = trained
    tabular = _run(logs, "tabular")
    assert tabular["explain/inputs"].feature_names == FEATURES
    np.testing.assert_allclose(
        tabular["explain/inputs"][0].maps,
        cases["tabular"].probe,
        atol=np.ptp(cases["tabular"].probe, axis=1).max() / 255,
    )
    run = _run(logs, "image_and_metadata")
    assert {tag for tag in run} == {
        "explain/inputs/image",
        "explain/inputs/meta",
        "explain/gradcam",
        "explain/integrated_gradients/image",
        "explain/integrated_gradients/meta",
    }
    assert run["explain/inputs/meta"].feature_names == ["age", "sex", "site"]
    assert run["explain/gradcam"].inputs_tag == "explain/inputs/image"
    meta = run["explain/integrated_gradients/meta"]
    assert (meta.inputs_tag, meta.input_name, meta.layout) == (
        "explain/inputs/meta",
        "meta",
        "features",
    )
    assert meta[1].maps.shape == (PROBE, 3)


@pytest.mark.slow
def test_regression_and_segmentation_targets(trained):
    cases, logs = trained
    regression = _run(logs, "regression")["explain/gradcam"][1]
    assert regression.attrs["target_name"] == "brightness"
    model = cases["regression"].model
    np.testing.assert_allclose(
        [row["score"] for row in regression.manifest],
        model(cases["regression"].probe).numpy()[:, 0],
        rtol=1e-4,
        atol=1e-5,
    )
    assert all("predicted" not in row for row in regression.manifest)
    run = _run(logs, "segmentation")
    cam = run["explain/gradcam"]
    assert cam.mask_tag == "explain/target_region"
    region = run["explain/target_region"][1].images[..., 0] > 0
    predicted = cases["segmentation"].model(cases["segmentation"].probe).numpy()
    np.testing.assert_array_equal(region, predicted.argmax(-1) == 1)
    assert cam[1].attrs["target_name"] == "class 1 over its predicted region"
    # A segmentation output is maps, not class scores: no prediction per sample.
    assert all("predicted" not in row for row in cam[1].manifest)


@pytest.mark.slow
def test_binary_uint8_and_mixed_precision_kinds(trained):
    cases, logs = trained
    binary = _run(logs, "binary_sigmoid")["explain/gradcam"][1]
    case = cases["binary_sigmoid"]
    x = np.concatenate([batch[0].numpy() for batch in case.probe])
    logits = keras.Model(case.model.input, case.model.layers[-1].output)
    probability = logits(x).numpy()[:, 0]
    assert [row["predicted"] for row in binary.manifest] == (
        (probability > 0.5).astype(int).tolist()
    )
    gray = _run(logs, "uint8_grayscale")["explain/inputs"][0].images
    np.testing.assert_array_equal(gray, cases["uint8_grayscale"].probe)
    mixed = _run(logs, "mixed_float16")["explain/saliency"][1].maps
    assert mixed.dtype == np.float32 and np.ptp(mixed) > 0


def test_augmentation_dropout_and_batch_norm_are_off_while_explaining(tmp_path):
    case = model_kinds.augmented()
    logger = tbx.ExplanationLogger(
        case.probe, methods=case.methods, log_dir=tmp_path, write_in_background=False
    )
    first = logger.log(case.model, 0)
    second = logger.log(case.model, 1)
    logger.close()
    for tag in first:
        np.testing.assert_array_equal(first[tag], second[tag])


@pytest.mark.slow
def test_transformers_log_on_their_grid_and_their_tokens(trained):
    _, logs = trained
    vit = _run(logs, "vit")
    cam = vit["explain/gradcam"]
    assert cam.layer == f"vit_backbone/vit_encoder/{T.vit_block(2)}/ln_1"
    assert "17 tokens on a 4x4 grid, 1 leading token left out" in cam.description
    for tag in (
        "explain/gradcam",
        "explain/attention_rollout",
        "explain/gradient_rollout",
    ):
        assert vit[tag].layout == "image", tag
        assert vit[tag][1].maps.shape == (PROBE, 4, 4), tag
    bert = _run(logs, "bert")
    assert sorted(t for t, s in bert.items() if s.kind == "explanation") == [
        "explain/gradient_rollout/token_ids",
        "explain/integrated_gradients/token_ids",
    ]
    for tag in (
        "explain/gradient_rollout/token_ids",
        "explain/integrated_gradients/token_ids",
    ):
        assert bert[tag].layout == "tokens"
        assert bert[tag][1].maps.shape == (PROBE, 12)
