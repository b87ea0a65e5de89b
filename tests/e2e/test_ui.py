"""End-to-end tests of the tbexplain tab in headless Chromium, real TensorBoard."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest

from tests.e2e.conftest import (
    FILTERS,
    PIPELINE_STAGES,
    RUNS,
    SAMPLES,
    STEPS,
    XSS_RUN,
    PageProbe,
    open_tab,
    screenshot,
    wait_loaded,
)
from tests.helpers.logdir import ACTIVATION_CHANNELS, CLASS_NAMES, LogdirInfo
from tests.helpers.reader import split_strips
from tests.helpers.tb_server import TensorBoardServer, get, tensorboard_server

pytestmark = pytest.mark.timeout(120)

CELLS = "#view figure.cell canvas"
PIXELS_JS = """(el) => Array.from(
    el.getContext('2d').getImageData(0, 0, el.width, el.height).data)"""
RANGE_JS = "(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }"


def ready(page: Any) -> None:
    page.wait_for_selector(
        "#view[data-state=ready][data-complete=true]", timeout=30_000
    )


def pixels(page: Any, selector: str = CELLS) -> list[int]:
    return page.locator(selector).first.evaluate(PIXELS_JS)


def set_range(page: Any, selector: str, value: str) -> None:
    page.locator(selector).evaluate(RANGE_JS, value)


def choose(page: Any, select_id: str, value: str) -> None:
    page.select_option(f"#{select_id}", value)
    ready(page)


def test_grid_shows_one_image_per_map_and_run(
    server: TensorBoardServer, probe: PageProbe
) -> None:
    page = open_tab(probe.page, server)
    # Latest step by default; every run selected; gradcam (first method) chosen.
    assert page.get_attribute("#view", "data-step") == str(STEPS - 1)
    assert page.locator(CELLS).count() == len(RUNS) * SAMPLES
    # Cells below the first screenful load after it; once complete, all are painted.
    assert page.locator(CELLS + "[data-painted=true]").count() == len(RUNS) * SAMPLES
    assert page.locator("#view section.series").count() == len(RUNS)
    assert page.input_value("#method") == "gradcam"
    # Captions come from the manifest: class names, labels and the verdict.
    first = (
        page.locator("#view section.series")
        .first.locator("figcaption")
        .first.inner_text()
    )
    assert CLASS_NAMES[0] in first and "label" in first
    screenshot(page, "browse")


def test_slider_and_keyboard_change_the_step_and_pixels(
    server: TensorBoardServer, probe: PageProbe
) -> None:
    page = open_tab(probe.page, server)
    before = pixels(page)
    set_range(page, "#step-slider", "1")
    ready(page)
    assert page.get_attribute("#view", "data-step") == "1"
    assert "step 1" in page.locator("#view .series-head").first.inner_text()
    at1 = pixels(page)
    assert at1 != before
    assert page.locator(CELLS).count() == len(RUNS) * SAMPLES
    # Keyboard: right arrow moves one step forward (focus outside form fields).
    page.locator("body").click(position={"x": 5, "y": 890})
    page.keyboard.press("ArrowRight")
    ready(page)
    assert page.get_attribute("#view", "data-step") == "2"
    page.keyboard.press("ArrowLeft")
    ready(page)
    assert pixels(page) == at1


def test_opacity_and_colormap_change_the_pixels(
    server: TensorBoardServer, probe: PageProbe
) -> None:
    page = open_tab(probe.page, server)
    default = pixels(page)
    set_range(page, "#opacity", "0")
    ready(page)
    bare = pixels(page)  # the input image alone
    assert bare != default
    set_range(page, "#opacity", "1")
    ready(page)
    viridis = pixels(page)
    assert viridis not in (bare, default)
    choose(page, "colormap", "gray")
    gray = pixels(page)
    assert gray != viridis
    # At full opacity a gray colormap gives R == G == B everywhere.
    assert all(gray[i] == gray[i + 1] == gray[i + 2] for i in range(0, len(gray), 4))
    # Per map, each map uses the full range: its hottest pixel is white.
    assert max(gray[0::4]) == 255
    screenshot(page, "browse_gray_opaque")


def test_shared_scale_keeps_weak_maps_dark(
    server: TensorBoardServer, probe: PageProbe
) -> None:
    page = open_tab(probe.page, server, "cm=gray&op=1")
    per_map = pixels(page)
    choose(page, "scale", "shared")
    shared = pixels(page)
    # Sample 0 has the weakest maps (amplitude 1 vs up to 4): darker on a shared scale.
    assert max(shared[0::4]) < max(per_map[0::4])


def test_hover_shows_the_raw_value_and_click_opens_large_view(
    server: TensorBoardServer, probe: PageProbe
) -> None:
    page = open_tab(probe.page, server)
    canvas = page.locator(CELLS).first
    canvas.hover()
    tip = page.locator("#hover-value")
    assert tip.is_visible()
    text = tip.inner_text()
    assert text.startswith("value ")
    # The raw value lies in the map's raw range shown in its caption.
    value = float(text.split()[1])
    caption = page.locator("#view figcaption").first.inner_text()
    lo, hi = (float(v) for v in caption.split("range [")[1].split("]")[0].split(","))
    assert lo - 0.01 <= value <= hi + 0.01
    canvas.click()
    page.wait_for_selector(".modal #large-canvas")
    screenshot(page, "large_view")
    page.keyboard.press("Escape")
    assert page.locator(".modal").count() == 0


def test_filters_by_class_and_correctness(
    server: TensorBoardServer, probe: PageProbe
) -> None:
    page = open_tab(probe.page, server)
    # make_logdir labels sample i with class i % 3 and explains the label:
    # samples 0 and 3 are circles.
    choose(page, "class-filter", "0")
    assert page.locator(CELLS).count() == len(RUNS) * 2
    choose(page, "class-filter", "")
    choose(page, "correctness", "incorrect")
    assert page.locator(CELLS).count() == 0
    choose(page, "correctness", "correct")
    assert page.locator(CELLS).count() == len(RUNS) * SAMPLES


def test_filmstrip_shows_every_step_and_plays(
    server: TensorBoardServer, probe: PageProbe
) -> None:
    page = open_tab(probe.page, server, "view=epochs&smp=1")
    strips = page.locator("#view .filmstrip")
    assert strips.count() == len(RUNS)
    for i in range(len(RUNS)):
        frames = strips.nth(i).locator("figure.frame")
        assert [
            frames.nth(j).get_attribute("data-step") for j in range(frames.count())
        ] == [str(s) for s in range(STEPS)]
    assert page.locator("#view figure.frame.current").count() == len(RUNS)
    screenshot(page, "over_epochs")
    page.click("#play")
    page.wait_for_function(
        "document.querySelector('#view').dataset.step === '1'", timeout=10_000
    )
    page.click("#play")
    assert page.get_attribute("#play", "aria-pressed") == "false"


def test_filmstrip_charts_each_runs_metrics_with_the_step_marked(
    server: TensorBoardServer, probe: PageProbe
) -> None:
    # The contract of GET metrics (served by the backend once it has the
    # route); here the browser answers it, per run, so the charts differ.
    asked: list[str] = []

    def answer(route: Any) -> None:
        query = parse_qs(urlparse(route.request.url).query)
        run, tag = query["run"][0], query["tag"][0]
        asked.append(run)
        scale = 1.0 if run == "run_a" else 2.0
        points = [
            {"step": s, "wall_time": 1.5 + s, "value": scale * (s + 1) / 10}
            for s in range(STEPS)
        ]
        # Defined at the first step only: a value with no line through it.
        lone = [
            {"step": s, "wall_time": 1.5 + s, "value": 0.4 if s == 0 else None}
            for s in range(STEPS)
        ]
        metrics = {"pointing_game": points, "randomisation": lone}
        body = {"run": run, "tag": tag, "metrics": metrics}
        route.fulfill(
            status=200, content_type="application/json", body=json.dumps(body)
        )

    probe.page.route("**/data/plugin/tbexplain/metrics?*", answer)
    page = open_tab(probe.page, server, 'view=epochs&runs=["run_a","run_b"]&s=2')
    assert sorted(asked) == ["run_a", "run_b"]  # once per strip on screen
    charts = page.locator(
        "#view section.series figure.metric[data-metric=pointing_game]"
    )
    assert charts.count() == 2
    first = charts.first
    # The caption gives the value at the current step; the step is marked.
    assert first.locator(".metric-value").inner_text() == "0.300 at step 2"
    assert "0.600 at step 2" in charts.nth(1).inner_text()
    # Each chart is scaled to its own values: its range says how far they go.
    assert first.locator(".metric-range").inner_text() == "0.100 to 0.500"
    assert charts.nth(1).locator(".metric-range").inner_text() == "0.200 to 1.00"
    mark_x = float(first.locator("line.step-mark").get_attribute("x1") or "nan")
    box = first.locator("svg").bounding_box()
    assert box is not None
    width = float(first.locator("svg").get_attribute("width") or "nan")
    # Step 2 of 0..4 is the middle of the plot.
    assert abs(mark_x - width / 2) < 1
    # Hover near the right end: the nearest point is the last step's.
    first.locator("svg").hover(position={"x": box["width"] - 2, "y": box["height"] / 2})
    assert page.inner_text("#hover-value") == f"pointing_game 0.500 at step {STEPS - 1}"
    # The lone value shows as a dot at its step, the left end.
    lone = page.locator("#view section.series figure.metric[data-metric=randomisation]")
    assert lone.first.locator(".metric-value").inner_text() == "NaN at step 2"
    dots = lone.first.locator("svg circle:not(.hover-dot)")
    assert dots.count() == 1
    assert float(dots.first.get_attribute("cx") or "nan") < width / 10
    screenshot(page, "over_epochs_metrics")


def test_compare_shows_runs_side_by_side(
    server: TensorBoardServer, probe: PageProbe
) -> None:
    page = open_tab(probe.page, server, 'view=compare&runs=["run_a","run_b"]&s=2')
    heads = page.locator("#view .compare .col-head")
    assert [
        heads.nth(i).inner_text().split("\n")[0].strip() for i in range(heads.count())
    ] == ["run_a", "run_b"]
    assert page.locator("#view .compare figure.cell[data-run=run_a]").count() == SAMPLES
    assert page.locator("#view .compare figure.cell[data-run=run_b]").count() == SAMPLES
    assert "step 2" in heads.first.inner_text()
    screenshot(page, "compare")


def test_activations_filters_and_pipeline_views(
    server: TensorBoardServer, probe: PageProbe
) -> None:
    page = open_tab(probe.page, server, "view=activations")
    assert page.locator(CELLS).count() == len(RUNS) * len(ACTIVATION_CHANNELS)
    screenshot(page, "activations")
    page.click("button[data-view=filters]")
    ready(page)
    assert page.locator(CELLS).count() == FILTERS  # only run_a logs filters
    # Each cell shows its own tile of the step's strip, at its natural size.
    body = server.get_json(
        "/data/plugin/tbexplain/steps?run=run_a&tag=explain%2Ffilters%2Fconv2"
    )
    latest = body["steps"][-1]
    strips = []
    for url in latest["blobs"]:
        status, _, png = get(f"{server.url}/data/plugin/tbexplain/{url}")
        assert status == 200
        strips.append(png)
    tiles = split_strips(latest["manifest"], strips)
    assert len(tiles) == FILTERS and len(strips) == 1
    assert not np.array_equal(tiles[0], tiles[-1])  # or the check says nothing
    for k, tile in enumerate(tiles):
        shown = page.locator(CELLS).nth(k).evaluate(PIXELS_JS)
        rgba = np.array(shown, dtype=np.uint8).reshape(*tile.shape[:2], 4)
        np.testing.assert_array_equal(rgba[..., :3], tile)
    screenshot(page, "filters")
    page.click("button[data-view=pipeline]")
    ready(page)
    heads = page.locator("#view .col-head")
    assert sorted(
        heads.nth(i).inner_text().split("\n")[0] for i in range(heads.count())
    ) == sorted(PIPELINE_STAGES)
    assert page.locator(CELLS).count() == len(PIPELINE_STAGES) * SAMPLES
    screenshot(page, "pipeline")


def test_xss_run_name_stays_text(server: TensorBoardServer, probe: PageProbe) -> None:
    page = open_tab(probe.page, server)
    assert page.locator("#run-list .run-name", has_text=XSS_RUN).count() == 1
    assert page.locator(".run-chip", has_text=XSS_RUN).count() >= 1
    assert page.locator("img").count() == 0
    page.click("button[data-view=compare]")
    ready(page)
    assert page.locator("img").count() == 0
    # The `probe` fixture fails the test if any dialog (alert) opened.


def test_selection_survives_a_page_reload(
    server: TensorBoardServer, probe: PageProbe
) -> None:
    page = open_tab(probe.page, server)
    choose(page, "method", "integrated_gradients")
    page.fill("#run-filter", "run_")
    ready(page)
    set_range(page, "#step-slider", "2")
    ready(page)
    page.reload()
    ready(page)
    assert page.input_value("#method") == "integrated_gradients"
    assert page.input_value("#run-filter") == "run_"
    assert page.get_attribute("#view", "data-step") == "2"
    assert page.locator("#view section.series").count() == 2
    # Also from storage alone (TensorBoard recreates the iframe without our hash).
    page.goto(page.url.split("#")[0])
    ready(page)
    assert page.input_value("#method") == "integrated_gradients"
    # integrated_gradients is signed: the auto colormap is diverging.
    screenshot(page, "browse_signed")


def test_embedded_in_tensorboard_follows_dark_mode(
    server: TensorBoardServer, probe: PageProbe
) -> None:
    page = probe.page
    page.goto(f"{server.url}/#tbexplain")
    frame = page.frame_locator("iframe").first
    frame.locator("#view[data-state=ready][data-complete=true]").wait_for(
        timeout=60_000
    )
    assert frame.locator(CELLS).count() == len(RUNS) * SAMPLES
    screenshot(page, "embedded_light")
    page.evaluate("document.body.classList.add('dark-mode')")
    frame.locator("html.dark").wait_for(timeout=5_000)
    screenshot(page, "embedded_dark")
    page.evaluate("document.body.classList.remove('dark-mode')")
    frame.locator("html:not(.dark)").wait_for(timeout=5_000)


def test_small_window_loads_what_is_on_screen_and_reload_keeps_the_scroll(
    server: TensorBoardServer, probe: PageProbe
) -> None:
    probe.page.set_viewport_size({"width": 800, "height": 500})
    page = open_tab(probe.page, server)
    # A small window: only the runs near the screen are fetched and painted.
    painted = page.locator(CELLS + "[data-painted=true]").count()
    assert 0 < painted < len(RUNS) * SAMPLES
    last = page.locator("#view section.series").last
    assert last.get_attribute("data-loaded") == "false"
    assert last.locator("canvas").count() == 0  # a placeholder until near the screen
    # Scrolling down brings the last run in: it loads and paints.
    content = page.locator("#view")
    content.evaluate("(el) => { el.scrollTop = el.scrollHeight; }")
    page.wait_for_function(
        f"document.querySelectorAll('{CELLS}[data-painted=true]').length"
        f" === {len(RUNS) * SAMPLES}",
        timeout=30_000,
    )
    assert last.get_attribute("data-loaded") == "true"
    content.evaluate("(el) => { el.scrollTop = 300; }")
    assert content.evaluate("(el) => el.scrollTop") == 300
    page.click("#reload")
    page.wait_for_function(
        "document.querySelector('#view').dataset.state === 'loading'"
        " || document.querySelector('#view').dataset.complete === 'true'"
    )
    ready(page)
    assert content.evaluate("(el) => el.scrollTop") == 300


def test_an_unknown_view_is_said_so_not_replaced(
    server: TensorBoardServer, probe: PageProbe
) -> None:
    page = probe.page
    page.goto(f"{server.url}/data/plugin_entry.html?name=tbexplain#view=heatwaves")
    page.wait_for_selector("#view[data-state=unknown-view]", timeout=30_000)
    assert "heatwaves" in page.inner_text("#unknown-view")
    assert page.locator("button[data-view][aria-pressed=true]").count() == 0
    page.click("button[data-view=browse]")
    ready(page)
    assert page.locator(CELLS).count() == len(RUNS) * SAMPLES


def test_large_view_downloads_the_overlay_and_the_raw_map(
    server: TensorBoardServer, probe: PageProbe, logdir: LogdirInfo
) -> None:
    import tensorflow as tf

    page = open_tab(probe.page, server, 'runs=["run_a"]')
    first = page.locator("#view section.series").first
    caption = first.locator("figcaption").first.inner_text()
    sample = int(caption.split("\n")[0].split()[1])
    first.locator("figure.cell canvas").first.click()
    page.wait_for_selector(".modal #large-canvas")
    with page.expect_download() as png_info:
        page.click("#download-png")
    png = png_info.value
    assert (
        png.suggested_filename
        == f"run_a_explain_gradcam_step{STEPS - 1}_sample{sample}.png"
    )
    overlay = tf.io.decode_png(Path(png.path()).read_bytes()).numpy()
    shown = np.array(page.locator("#large-canvas").evaluate(PIXELS_JS), np.uint8)
    np.testing.assert_array_equal(overlay, shown.reshape(overlay.shape))
    with page.expect_download() as npy_info:
        page.click("#download-npy")
    npy = npy_info.value
    assert npy.suggested_filename.endswith(".npy")
    raw = np.load(npy.path())
    assert raw.dtype == np.float32 and raw.shape == (logdir.size, logdir.size)
    # The raw map is restored from the manifest's range: it spans [min, max] ...
    body = server.get_json(
        "/data/plugin/tbexplain/steps?run=run_a&tag=explain%2Fgradcam"
    )
    columns = body["steps"][-1]["manifest"]["columns"]
    row = columns["sample"].index(sample)
    lo, hi = columns["min"][row], columns["max"][row]
    np.testing.assert_allclose([raw.min(), raw.max()], [lo, hi], rtol=1e-6)
    # ... and is the logged map to within the 8-bit quantisation.
    want = logdir.maps("run_a", "explain/gradcam", STEPS - 1)[sample]
    assert np.abs(raw - want).max() <= (hi - lo) / 255 / 2 + 1e-5


CAM_SIZE = 32  # input images; the Grad-CAM layer is at half this resolution
CAM_PROBE = 3


def write_cam_run(path: Path) -> None:
    """Logs Grad-CAM with the real logger: maps at the layer's 16x16 resolution."""
    import keras

    import tbexplain as tbx

    keras.utils.set_random_seed(3)
    inputs = keras.Input((CAM_SIZE, CAM_SIZE, 3))
    h = keras.layers.Conv2D(4, 3, activation="relu", padding="same")(inputs)
    h = keras.layers.MaxPooling2D(2)(h)
    h = keras.layers.Conv2D(4, 3, activation="relu", padding="same", name="conv")(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    model = keras.Model(inputs, keras.layers.Dense(len(CLASS_NAMES))(h))
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 1, size=(CAM_PROBE, CAM_SIZE, CAM_SIZE, 3)).astype(np.float32)
    x[:, 4:14, 18:28] += 1.0  # a bright patch for the CAM to differ across the map
    logger = tbx.ExplanationLogger(
        x / 2.0,
        np.arange(CAM_PROBE) % len(CLASS_NAMES),
        methods=tbx.GradCAM(),
        log_dir=str(path / "cam"),
        class_names=list(CLASS_NAMES),
    )
    logger.log(model, 0)
    logger.close()


@pytest.fixture(scope="module")
def cam_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TensorBoardServer]:
    path = tmp_path_factory.mktemp("cam") / "logs"
    write_cam_run(path)
    with tensorboard_server(path, reload_interval=1) as tb:
        wait_loaded(tb, ("cam",), ["explain/gradcam", "explain/inputs"], 1)
        yield tb


def test_layer_resolution_cam_is_upsampled_to_the_input_size(
    cam_server: TensorBoardServer, probe: PageProbe
) -> None:
    import tensorflow as tf

    steps = cam_server.get_json(
        "/data/plugin/tbexplain/steps?run=cam&tag=explain%2Fgradcam"
    )
    [entry] = steps["steps"]
    half = CAM_SIZE // 2
    assert entry["manifest"]["shape"] == [
        half,
        half,
    ]  # stored at the layer's resolution
    inputs = cam_server.get_json(
        "/data/plugin/tbexplain/steps?run=cam&tag=explain%2Finputs"
    )
    assert inputs["steps"][0]["manifest"]["shape"] == [CAM_SIZE, CAM_SIZE, 3]

    # Gray colormap, fully opaque, per-map scale: the red channel is the map byte.
    page = open_tab(probe.page, cam_server, "cm=gray&op=1")
    cells = page.locator(CELLS)
    assert cells.count() == CAM_PROBE
    sizes = cells.evaluate_all("(els) => els.map((el) => [el.width, el.height])")
    assert sizes == [[CAM_SIZE, CAM_SIZE]] * CAM_PROBE
    # The painted pixels are tf.image.resize (bilinear, half-pixel) of the map's bytes.
    status, _, png = get(f"{cam_server.url}/data/plugin/tbexplain/{entry['blobs'][0]}")
    assert status == 200
    strip = tf.io.decode_png(png, channels=1).numpy().astype(np.float32)
    assert entry["manifest"]["tiles"] == CAM_PROBE
    assert strip.shape == (half * CAM_PROBE, half, 1)  # the step's maps, stacked
    small = strip[:half]
    assert small.max() > small.min()  # a map that varies, or the check says nothing
    assert not np.array_equal(small, strip[-half:])  # maps differ between samples
    # Every cell paints its own tile of the strip.
    for k in range(CAM_PROBE):
        tile = strip[k * half : (k + 1) * half]
        want = tf.image.resize(tile[None], (CAM_SIZE, CAM_SIZE), "bilinear")
        shown = cells.nth(k).evaluate(PIXELS_JS)
        red = np.array(shown, dtype=np.float32)[0::4].reshape(CAM_SIZE, CAM_SIZE)
        assert np.abs(red - want.numpy()[0, :, :, 0]).max() <= 0.5 + 1e-3, k
    red = np.array(pixels(page), dtype=np.float32)[0::4].reshape(CAM_SIZE, CAM_SIZE)
    # Nearest-neighbour (each map pixel a 2x2 block) would differ.
    assert np.abs(red - np.repeat(np.repeat(small[:, :, 0], 2, 0), 2, 1)).max() > 1
    # Hover reads the displayed pixel, in input pixel coordinates.
    box = cells.first.bounding_box()
    assert box is not None
    cells.first.hover(position={"x": box["width"] - 1, "y": box["height"] - 1})
    text = page.locator("#hover-value").inner_text()
    x, y = (int(v) for v in text.split(" at (")[1].rstrip(")").split(","))
    assert x >= half and y >= half and x < CAM_SIZE and y < CAM_SIZE
    # The large view and the other views paint at the input's size too.
    cells.first.click()
    page.wait_for_selector(".modal #large-canvas")
    large = page.locator("#large-canvas").evaluate("(el) => [el.width, el.height]")
    assert large == [CAM_SIZE, CAM_SIZE]
    page.keyboard.press("Escape")
    for view in ("epochs", "compare"):
        page.click(f"button[data-view={view}]")
        ready(page)
        sizes = page.locator(CELLS).evaluate_all(
            "(els) => els.map((el) => [el.width, el.height])"
        )
        assert sizes and all(s == [CAM_SIZE, CAM_SIZE] for s in sizes), (view, sizes)
    screenshot(page, "cam_layer_resolution")
