"""Every kind of model, trained with `model.fit` and the callback, paints in the
view meant for it: Browse for images, sequences and volumes (a frame slider),
Text for tokens, Features for features, a run's inputs grouped by sample, a
segmentation target's region under its maps; Over epochs and Compare draw
every layout as Browse does. One logdir, one TensorBoard,
one browser; what the tab shows is checked against the logs as
`tbexplain.read` decodes them."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import numpy as np
import pytest

from tests.e2e.conftest import PageProbe, screenshot
from tests.helpers import model_kinds
from tests.helpers.model_kinds import FEATURES, PROBE, VOCABULARY
from tests.helpers.tb_server import TensorBoardServer, quote, tensorboard_server

# Training the 14 kinds takes a few minutes on a busy 2-core machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

LAST = 1  # train_all fits two epochs: steps 0 and 1
PIXELS_JS = """(el) => Array.from(
    el.getContext('2d').getImageData(0, 0, el.width, el.height).data)"""
RANGE_JS = "(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }"
VALUES_JS = "(els) => els.map((el) => el.dataset.value)"
READY = "#view[data-state=ready][data-complete=true]"


@dataclasses.dataclass
class Kinds:
    path: Path
    logs: Any  # tbx.read(path): run -> tag -> Series
    cases: dict[str, model_kinds.Case]

    def run(self, kind: str) -> Any:
        return self.logs[f"{kind}/train"]

    def explanations(self, kind: str) -> list[Any]:
        return [s for s in self.run(kind).values() if s.kind == "explanation"]


@pytest.fixture(scope="module")
def kinds(trained_kinds: tuple[Path, dict[str, Any]]) -> Kinds:
    import tbexplain as tbx

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    path, cases = trained_kinds
    return Kinds(path, tbx.read(path), cases)


@pytest.fixture(scope="module")
def server(kinds: Kinds) -> Iterator[TensorBoardServer]:
    with tensorboard_server(kinds.path, reload_interval=1) as tb:
        for run, series in kinds.logs.items():
            for tag, s in series.items():
                steps = len(s.steps)
                tb.wait_for(
                    f"/data/plugin/tbexplain/steps?run={quote(run)}&tag={quote(tag)}",
                    lambda body, steps=steps: len(body["steps"]) == steps,
                )
        yield tb


def open_kinds(
    page: Any, server: TensorBoardServer, runs: list[str], **state: str
) -> Any:
    """Opens the tab on `runs` (kind names) with more state; waits for the view."""
    query = {"runs": json.dumps([f"{r}/train" for r in runs]), **state}
    # A new document each time: the tab reads its state from the hash on start.
    page.goto("about:blank")
    page.goto(f"{server.url}/data/plugin_entry.html?name=tbexplain#{urlencode(query)}")
    page.wait_for_selector(READY, timeout=60_000)
    return page


def ready(page: Any) -> None:
    page.wait_for_selector(READY, timeout=60_000)


def pixels(locator: Any) -> np.ndarray:
    return np.array(locator.evaluate(PIXELS_JS), np.uint8).reshape(-1, 4)


def bytes_of(maps: np.ndarray, manifest: list[dict[str, Any]]) -> np.ndarray:
    """The 8-bit values the strips hold for decoded `maps` (each from its own range)."""
    lo = np.array([row["min"] for row in manifest], np.float64)
    hi = np.array([row["max"] for row in manifest], np.float64)
    expand = (slice(None),) + (None,) * (maps.ndim - 1)
    span = np.where(hi > lo, hi - lo, 1.0)[expand]
    return np.rint((maps - lo[expand]) / span * 255).astype(np.int64)


HEAT_LAYOUTS = ("image", "sequence", "volume")


def test_every_image_sequence_and_volume_map_paints_in_browse(
    server: TensorBoardServer, probe: PageProbe, kinds: Kinds
) -> None:
    page = probe.page
    checked = 0
    for kind in model_kinds.KINDS:
        for s in kinds.explanations(kind):
            if s.layout not in HEAT_LAYOUTS:
                continue
            open_kinds(page, server, [kind], m=s.method, l=s.layer)
            block = page.locator(f'#view section.series[data-tag~="{s.tag}"]')
            canvases = block.locator("figure.cell canvas.heat")
            assert canvases.count() == PROBE, (kind, s.tag)
            assert block.locator("canvas[data-broken]").count() == 0, (kind, s.tag)
            assert block.locator("canvas[data-painted=true]").count() == PROBE
            first = canvases.first
            size = first.evaluate("(el) => [el.width, el.height]")
            if s.layout == "image":
                inputs = s[LAST].inputs  # uint8 [N, H, W, C] under each map
                # Painted at the input's resolution (a CAM upsampled to it).
                assert size == [inputs.shape[2], inputs.shape[1]], (kind, s.tag)
            elif s.layout == "sequence":
                # [T] maps stretched over the C rows of their [T, C] input (2 channels).
                assert size == [s[LAST].maps.shape[1], 2], kind
            else:
                # One H x W frame of the [D, H, W] volume.
                _, _, height, width = s[LAST].maps.shape
                assert size == [width, height], kind
            assert len(np.unique(pixels(first)[:, :3], axis=0)) > 1, (kind, s.tag)
            checked += 1
    assert checked >= 20


def test_regression_maps_name_their_target_and_score(
    server: TensorBoardServer, probe: PageProbe, kinds: Kinds
) -> None:
    page = open_kinds(probe.page, server, ["regression"], m="gradcam")
    assert page.is_disabled("#show-mask")  # no segmentation target in this run
    captions = page.locator("#view figure.cell figcaption")
    rows = kinds.run("regression")["explain/gradcam"][LAST].manifest
    for k in range(PROBE):
        text = captions.nth(k).inner_text()
        sample = int(text.split("\n")[0].split()[1])
        score = next(r["score"] for r in rows if r["sample"] == sample)
        shown = float(text.split("brightness (")[1].split(")")[0])
        assert shown == pytest.approx(score, rel=5e-3)
        assert "label" not in text  # no classes: no verdict


def test_a_runs_inputs_read_together_by_sample(
    server: TensorBoardServer, probe: PageProbe, kinds: Kinds
) -> None:
    run = kinds.run("image_and_metadata")
    page = open_kinds(
        probe.page, server, ["image_and_metadata"], m="integrated_gradients"
    )
    block = page.locator("#view section.series[data-group=inputs]")
    assert block.count() == 1
    assert "inputs image, meta" in block.locator(".series-head").inner_text()
    groups = block.locator(".sample-group")
    assert groups.count() == PROBE
    meta = run["explain/integrated_gradients/meta"][LAST]
    for k in range(PROBE):
        group = groups.nth(k)
        sample = int(group.get_attribute("data-sample"))
        assert (
            group.locator("figure[data-input=image] canvas[data-painted=true]").count()
            == 1
        )
        bars = group.locator(
            "figure[data-input=meta] .bars[data-painted=true] .bar-row"
        )
        assert bars.count() == 3
        row = [r["sample"] for r in meta.manifest].index(sample)
        want = np.argsort(-np.abs(meta.maps[row]), kind="stable")
        got = [int(bars.nth(j).get_attribute("data-feature")) for j in range(3)]
        assert got == want.tolist()
        names = [bars.nth(j).locator(".bar-name").inner_text() for j in range(3)]
        assert [n.split(" = ")[0] for n in names] == [
            ["age", "sex", "site"][i] for i in want
        ]
    # Grad-CAM explains the image only: one series, one cell per sample.
    open_kinds(page, server, ["image_and_metadata"], m="gradcam")
    assert page.locator("#view section.series[data-group]").count() == 0
    assert page.locator("#view figure.cell canvas[data-painted=true]").count() == PROBE


def test_text_tokens_are_coloured_by_attribution_and_charted_over_steps(
    server: TensorBoardServer, probe: PageProbe, kinds: Kinds
) -> None:
    series = kinds.run("text")["explain/integrated_gradients"]
    step = series[LAST]
    tokens = kinds.cases["text"].probe
    page = open_kinds(
        probe.page, server, ["text"], view="text", m="integrated_gradients"
    )
    cells = page.locator("#view figure.tokens-cell")
    assert cells.count() == PROBE
    spans_by_sample = {}
    for k in range(PROBE):
        cell = cells.nth(k)
        sample = int(cell.locator("figcaption").inner_text().split("\n")[0].split()[1])
        spans = cell.locator(".tokens[data-painted=true] .token")
        ids = tokens[sample]
        present = np.flatnonzero(ids != 0)  # padding (id 0) is not shown
        assert spans.count() == len(present)
        assert [spans.nth(j).inner_text() for j in range(len(present))] == [
            VOCABULARY[ids[t]] for t in present
        ]
        got = np.array(
            [
                float(spans.nth(j).get_attribute("data-value"))
                for j in range(len(present))
            ]
        )
        row = [r["sample"] for r in step.manifest].index(sample)
        np.testing.assert_allclose(got, step.maps[row][present], rtol=1e-5, atol=1e-8)
        # Diverging for a signed map: positive tokens red, negative ones blue.
        colors = [
            [
                int(c)
                for c in spans.nth(j)
                .evaluate("(el) => getComputedStyle(el).backgroundColor")
                .strip("rgb()")
                .split(",")
            ]
            for j in range(len(present))
        ]
        strong = np.abs(got) > 0.2 * np.abs(got).max()
        for v, (r, _, b) in zip(got[strong], np.array(colors)[strong], strict=True):
            assert (r > b) == (v > 0), (sample, v, r, b)
        spans_by_sample[sample] = colors
    screenshot(page, "text")
    # Hovering a token gives its value.
    first = cells.first.locator(".token").first
    first.hover()
    assert (
        page.locator("#hover-value")
        .inner_text()
        .endswith(first.get_attribute("aria-label").split(": ")[1])
    )
    # Over steps: sample 0's tokens x steps; at the last step (per-map scale)
    # each token has the colour of its token at that step.
    matrix = page.locator("#view figure.matrix")
    assert matrix.get_attribute("data-rows") == str(int((tokens[0] != 0).sum()))
    assert matrix.get_attribute("data-cols") == str(len(series.steps))
    px = pixels(matrix.locator("canvas")).reshape(
        len(spans_by_sample[0]), len(series.steps), 4
    )
    np.testing.assert_array_equal(px[:, -1, :3], np.array(spans_by_sample[0]))
    assert (px[..., 3] == 255).all()


def test_features_bars_sort_by_attribution_and_importance_over_steps(
    server: TensorBoardServer, probe: PageProbe, kinds: Kinds
) -> None:
    runs = ["tabular", "image_and_metadata"]
    page = open_kinds(
        probe.page, server, runs, view="features", m="integrated_gradients"
    )
    columns = page.locator("#view section.feature-run")
    assert columns.count() == 2
    # Runs side by side: one top, two lefts.
    boxes = [columns.nth(k).bounding_box() for k in range(2)]
    assert boxes[0]["y"] == boxes[1]["y"]
    assert boxes[0]["x"] != boxes[1]["x"]
    tabular = page.locator('#view section.feature-run[data-run="tabular/train"]')
    series = kinds.run("tabular")["explain/integrated_gradients"]
    step = series[LAST]
    probe_x = kinds.cases["tabular"].probe
    cells = tabular.locator("figure.bars-cell")
    assert cells.count() == PROBE
    for k in range(PROBE):
        cell = cells.nth(k)
        sample = int(cell.locator("figcaption").inner_text().split("\n")[0].split()[1])
        row = [r["sample"] for r in step.manifest].index(sample)
        bars = cell.locator(".bars[data-painted=true] .bar-row")
        want = np.argsort(-np.abs(step.maps[row]), kind="stable")
        assert [
            int(bars.nth(j).get_attribute("data-feature")) for j in range(4)
        ] == want.tolist()
        values = [float(bars.nth(j).get_attribute("data-value")) for j in range(4)]
        np.testing.assert_allclose(values, step.maps[row][want], rtol=1e-5, atol=1e-8)
        # Each bar names its feature and the sample's input value.
        name, value = bars.first.locator(".bar-name").inner_text().split(" = ")
        assert name == FEATURES[want[0]]
        assert float(value) == pytest.approx(probe_x[sample][want[0]], abs=0.02)
    screenshot(page, "features")
    # Mean |attribution| over the probe per feature and step; per map, each
    # step's column runs from 0 to its largest mean (the gray colormap: 0-255).
    open_kinds(page, server, runs, view="features", m="integrated_gradients", cm="gray")
    matrix = tabular.locator("figure.matrix")
    assert matrix.get_attribute("data-rows") == "4"
    assert matrix.get_attribute("data-cols") == str(len(series.steps))
    means = np.stack(
        [np.abs(series[s].maps).mean(axis=0) for s in series.steps], axis=1
    )
    px = pixels(matrix.locator("canvas")).reshape(4, len(series.steps), 4)[..., 0]
    want_px = np.rint(means / means.max(axis=0, keepdims=True) * 255)
    assert np.abs(px - want_px).max() <= 1
    # On the shared scale every column of every run runs from 0 to the largest mean.
    open_kinds(
        page,
        server,
        runs,
        view="features",
        m="integrated_gradients",
        cm="gray",
        sc="shared",
    )
    shared = pixels(
        page.locator(
            '#view section.feature-run[data-run="tabular/train"] figure.matrix canvas'
        )
    )
    meta = kinds.run("image_and_metadata")["explain/integrated_gradients/meta"]
    top = max(
        means.max(), max(np.abs(meta[s].maps).mean(axis=0).max() for s in meta.steps)
    )
    want_shared = np.rint(means / top * 255).reshape(-1)
    assert np.abs(shared[:, 0] - want_shared).max() <= 1


def test_segmentation_shows_the_target_region_under_its_maps(
    server: TensorBoardServer, probe: PageProbe, kinds: Kinds
) -> None:
    run = kinds.run("segmentation")
    page = open_kinds(probe.page, server, ["segmentation"], m="gradcam")
    assert page.is_checked("#show-mask")
    cell = page.locator("#view figure.cell").first
    caption = cell.locator("figcaption").inner_text()
    assert "class 1 over its predicted region" in caption
    sample = int(caption.split("\n")[0].split()[1])
    with_region = pixels(cell.locator("canvas"))
    page.uncheck("#show-mask")
    ready(page)
    without = pixels(page.locator("#view figure.cell canvas").first)
    region = run["explain/target_region"][LAST].images[sample, ..., 0].reshape(-1) > 127
    assert region.any() and not region.all()
    # Inside the region the map is as painted; outside it is dimmed.
    np.testing.assert_array_equal(with_region[region], without[region])
    dimmed = np.rint(without[~region, :3] * 0.35)
    assert np.abs(with_region[~region, :3].astype(int) - dimmed).max() <= 1
    # The region is not an input pipeline stage.
    open_kinds(page, server, ["segmentation"], view="pipeline")
    heads = page.locator("#view .col-head").all_inner_texts()
    assert heads and not any("target region" in h for h in heads)


def test_volume_frames_move_with_the_slider_play_and_the_large_view(
    server: TensorBoardServer, probe: PageProbe, kinds: Kinds
) -> None:
    step = kinds.run("clips")["explain/saliency"][LAST]
    # At full opacity with the gray colormap, a pixel is its map byte (per map).
    page = open_kinds(probe.page, server, ["clips"], m="saliency", op="1", cm="gray")
    controls = page.locator("#view .frame-controls")
    assert controls.get_attribute("data-frames") == "4"
    cell = page.locator("#view figure.cell").first
    sample = int(cell.locator("figcaption").inner_text().split("\n")[0].split()[1])
    row = [r["sample"] for r in step.manifest].index(sample)
    logged = bytes_of(step.maps, step.manifest)[row]  # [D, H, W]
    canvas = cell.locator("canvas")
    np.testing.assert_array_equal(pixels(canvas)[:, 0].reshape(8, 8), logged[0])
    controls.locator(".frame-slider").evaluate(RANGE_JS, "3")
    assert canvas.get_attribute("data-frame") == "3"
    assert "frame 4 of 4" in controls.inner_text()
    np.testing.assert_array_equal(pixels(canvas)[:, 0].reshape(8, 8), logged[3])
    # Every cell of the block shows the same frame.
    frames = page.locator("#view figure.cell canvas").evaluate_all(
        "(els) => els.map((el) => el.dataset.frame)"
    )
    assert frames == ["3"] * PROBE
    # Play steps through the frames (wrapping to the first), until paused.
    play = controls.locator(".frame-play")
    play.click()
    page.wait_for_function(
        "(el) => el.dataset.frame === '0'", arg=canvas.element_handle(), timeout=20_000
    )
    play.click()
    assert play.get_attribute("aria-pressed") == "false"
    # The large view opens at the frame shown and has its own slider.
    canvas.click()
    large = page.locator(".modal #large-canvas")
    large.wait_for()
    shown = int(canvas.get_attribute("data-frame"))
    np.testing.assert_array_equal(pixels(large)[:, 0].reshape(8, 8), logged[shown])
    page.locator(".modal .frame-slider").evaluate(RANGE_JS, "2")
    np.testing.assert_array_equal(pixels(large)[:, 0].reshape(8, 8), logged[2])
    with page.expect_download() as npy_info:
        page.click("#download-npy")
    raw = np.load(npy_info.value.path())
    assert raw.shape == (4, 8, 8)
    np.testing.assert_allclose(raw, step.maps[row], rtol=1e-5, atol=1e-9)
    # The default look (the map over its input frame), at the clips' last frame.
    page.keyboard.press("Escape")
    open_kinds(page, server, ["clips"], m="saliency")
    page.locator("#view .frame-slider").evaluate(RANGE_JS, "3")
    screenshot(page, "volume")


def sample_of(cell: Any) -> int:
    """The sample a cell's caption names (its first line, ``sample N``)."""
    return int(cell.locator("figcaption").inner_text().split("\n")[0].split()[1])


def test_over_epochs_and_compare_draw_volumes_with_their_frame_slider(
    server: TensorBoardServer, probe: PageProbe, kinds: Kinds
) -> None:
    series = kinds.run("clips")["explain/saliency"]
    logged = {s: bytes_of(series[s].maps, series[s].manifest) for s in series.steps}

    def row(step: int, sample: int) -> int:
        return [r["sample"] for r in series[step].manifest].index(sample)

    # Over epochs: sample 0 at every step, one frame of each [D, H, W] map.
    page = open_kinds(
        probe.page, server, ["clips"], view="epochs", m="saliency", op="1", cm="gray"
    )
    block = page.locator("#view section.series")
    controls = block.locator(".frame-controls")
    assert controls.get_attribute("data-frames") == "4"
    canvases = block.locator(".filmstrip figure.frame canvas")
    assert canvases.count() == len(series.steps)
    for k, s in enumerate(series.steps):
        shown = pixels(canvases.nth(k))[:, 0].reshape(8, 8)
        np.testing.assert_array_equal(shown, logged[s][row(s, 0)][0])
    controls.locator(".frame-slider").evaluate(RANGE_JS, "3")
    assert canvases.evaluate_all("(els) => els.map((el) => el.dataset.frame)") == [
        "3"
    ] * len(series.steps)
    for k, s in enumerate(series.steps):
        shown = pixels(canvases.nth(k))[:, 0].reshape(8, 8)
        np.testing.assert_array_equal(shown, logged[s][row(s, 0)][3])
    screenshot(page, "over_epochs_volume")
    # Compare: every sample at the last step, moved by one slider.
    open_kinds(page, server, ["clips"], view="compare", m="saliency", op="1", cm="gray")
    cells = page.locator("#view .compare figure.cell")
    assert cells.count() == PROBE
    controls = page.locator("#view section.series .frame-controls")
    assert controls.get_attribute("data-frames") == "4"
    controls.locator(".frame-slider").evaluate(RANGE_JS, "2")
    for k in range(PROBE):
        cell = cells.nth(k)
        assert cell.locator("canvas").get_attribute("data-frame") == "2"
        shown = pixels(cell.locator("canvas"))[:, 0].reshape(8, 8)
        np.testing.assert_array_equal(
            shown, logged[LAST][row(LAST, sample_of(cell))][2]
        )


def test_over_epochs_and_compare_draw_tokens_as_text_and_features_as_bars(
    server: TensorBoardServer, probe: PageProbe, kinds: Kinds
) -> None:
    text = kinds.run("text")["explain/integrated_gradients"]
    ids = kinds.cases["text"].probe

    def check_tokens(cell: Any, step: int, sample: int) -> None:
        spans = cell.locator(".tokens[data-painted=true] .token")
        present = np.flatnonzero(ids[sample] != 0)
        assert spans.all_inner_texts() == [VOCABULARY[ids[sample][t]] for t in present]
        values = [float(v) for v in spans.evaluate_all(VALUES_JS)]
        row = [r["sample"] for r in text[step].manifest].index(sample)
        want = text[step].maps[row][present]
        np.testing.assert_allclose(values, want, rtol=1e-5, atol=1e-8)

    page = open_kinds(
        probe.page, server, ["text"], view="epochs", m="integrated_gradients"
    )
    frames = page.locator("#view .filmstrip figure.frame.tokens-cell")
    assert frames.count() == len(text.steps)
    for k, s in enumerate(text.steps):
        assert frames.nth(k).get_attribute("data-step") == str(s)
        check_tokens(frames.nth(k), s, 0)
    assert page.locator("#view .filmstrip canvas").count() == 0  # not heatmaps
    open_kinds(page, server, ["text"], view="compare", m="integrated_gradients")
    cells = page.locator("#view .compare figure.tokens-cell")
    assert cells.count() == PROBE
    for k in range(PROBE):
        check_tokens(cells.nth(k), LAST, sample_of(cells.nth(k)))

    tabular = kinds.run("tabular")["explain/integrated_gradients"]

    def check_bars(cell: Any, step: int, sample: int) -> None:
        bars = cell.locator(".bars[data-painted=true] .bar-row")
        row = [r["sample"] for r in tabular[step].manifest].index(sample)
        want = np.argsort(-np.abs(tabular[step].maps[row]), kind="stable")
        got = bars.evaluate_all("(els) => els.map((el) => Number(el.dataset.feature))")
        assert got == want.tolist()
        names = bars.locator(".bar-name").all_inner_texts()
        assert [n.split(" = ")[0] for n in names] == [FEATURES[i] for i in want]

    open_kinds(page, server, ["tabular"], view="epochs", m="integrated_gradients")
    frames = page.locator("#view .filmstrip figure.frame.bars-cell")
    assert frames.count() == len(tabular.steps)
    for k, s in enumerate(tabular.steps):
        check_bars(frames.nth(k), s, 0)
    screenshot(page, "over_epochs_features")
    open_kinds(page, server, ["tabular"], view="compare", m="integrated_gradients")
    cells = page.locator("#view .compare figure.bars-cell")
    assert cells.count() == PROBE
    for k in range(PROBE):
        check_bars(cells.nth(k), LAST, sample_of(cells.nth(k)))


def test_a_vit_and_a_text_transformer_paint(
    server: TensorBoardServer, probe: PageProbe, kinds: Kinds
) -> None:
    # The ViT's rollout: a 4x4 grid map painted over its 16x16 input.
    page = open_kinds(probe.page, server, ["vit"], m="attention_rollout")
    block = page.locator('#view section.series[data-tag~="explain/attention_rollout"]')
    assert block.locator("canvas[data-painted=true]").count() == PROBE
    assert block.locator("canvas.heat").first.evaluate(
        "(el) => [el.width, el.height]"
    ) == [16, 16]
    open_kinds(page, server, ["vit"], m="gradcam")
    screenshot(page, "vit")
    # BERT's token ids in the Text view: one value per token, padding left out.
    series = kinds.run("bert")["explain/gradient_rollout/token_ids"]
    step = series[LAST]
    ids = kinds.cases["bert"].probe["token_ids"]
    page = open_kinds(page, server, ["bert"], view="text", m="gradient_rollout")
    cells = page.locator("#view figure.tokens-cell")
    assert cells.count() == PROBE
    for k in range(PROBE):
        cell = cells.nth(k)
        sample = int(cell.locator("figcaption").inner_text().split("\n")[0].split()[1])
        spans = cell.locator(".tokens[data-painted=true] .token")
        present = np.flatnonzero(ids[sample] != 0)
        assert spans.count() == len(present)
        assert spans.first.inner_text() == "[CLS]"
        row = [r["sample"] for r in step.manifest].index(sample)
        got = [
            float(spans.nth(j).get_attribute("data-value")) for j in range(len(present))
        ]
        np.testing.assert_allclose(got, step.maps[row][present], rtol=1e-5, atol=1e-8)
