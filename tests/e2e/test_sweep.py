"""The tab on a sweep of 40 runs: it loads what is on screen, the rest on scroll."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import PageProbe, open_tab, screenshot, wait_loaded
from tests.helpers.logdir import INPUTS_TAG, make_sweep_logdir
from tests.helpers.tb_server import TensorBoardServer, tensorboard_server

pytestmark = pytest.mark.timeout(180)

RUNS = 40
STEPS = 3
SAMPLES = 16
TAG = "explain/gradcam"
# Requests of the tab (its module, /tags, /steps, blobs) started before the
# first screenful was painted; the browser's resource timing, in the page.
REQUESTS_BEFORE_PAINT_JS = """() => {
  const paint = performance.getEntriesByName('tbexplain-first-paint')[0];
  if (!paint) return null;
  return performance.getEntriesByType('resource')
    .filter((e) => e.startTime <= paint.startTime)
    .map((e) => e.name)
    .filter((u) => u.includes('/data/plugin/tbexplain/'));
}"""


@pytest.fixture(scope="module")
def sweep(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[list[str], TensorBoardServer]]:
    path = tmp_path_factory.mktemp("sweep") / "logs"
    runs = make_sweep_logdir(path, RUNS, steps=STEPS, samples=SAMPLES, size=32)
    with tensorboard_server(path, reload_interval=1) as tb:
        wait_loaded(tb, (runs[0], runs[-1]), [TAG, INPUTS_TAG], STEPS)
        tb.wait_for(
            "/data/plugin/tbexplain/tags", lambda body: len(body["runs"]) == RUNS
        )
        yield runs, tb


def requests_before_first_paint(page: Any) -> list[str]:
    page.wait_for_function(
        "performance.getEntriesByName('tbexplain-first-paint').length > 0",
        timeout=30_000,
    )
    urls = page.evaluate(REQUESTS_BEFORE_PAINT_JS)
    assert urls is not None
    return list(urls)


def test_first_paint_fetches_only_what_is_on_screen_then_scrolling_loads_more(
    sweep: tuple[list[str], TensorBoardServer], probe: PageProbe
) -> None:
    runs, server = sweep
    page = open_tab(probe.page, server)
    urls = requests_before_first_paint(page)
    assert len(urls) <= 60, urls
    steps = [u for u in urls if "/steps?" in u]
    # One /steps per series on screen (maps and inputs), far from all 80.
    assert 0 < len(steps) <= 20, steps
    loaded = page.locator("#view section.series[data-loaded=true]").count()
    assert 0 < loaded < RUNS
    assert page.locator("#view section.series").count() == RUNS
    # The slider already offers every step (loaded series, /tags max_step).
    assert page.get_attribute("#view", "data-steps") == str(STEPS)
    # The run list has every run, each with its own colour.
    boxes = page.locator("#run-list li .swatch")
    assert boxes.count() == RUNS
    colours = boxes.evaluate_all("(els) => els.map((e) => e.style.background)")
    assert len(set(colours)) == RUNS
    screenshot(page, "sweep_first_paint")

    # Scrolling to the end brings the last runs in: they load and paint.
    page.locator("#view").evaluate("(el) => { el.scrollTop = el.scrollHeight; }")
    last = page.locator(f"#view section.series[data-run={runs[-1]}]")
    last.locator("canvas[data-painted=true]").nth(SAMPLES - 1).wait_for(timeout=30_000)
    page.wait_for_selector("#view[data-complete=true]", timeout=30_000)
    # Runs in the middle, never on screen, are still placeholders.
    assert page.locator("#view section.series[data-loaded=false]").count() > 0


def test_select_all_matching_and_the_selection_survives_a_reload(
    sweep: tuple[list[str], TensorBoardServer], probe: PageProbe
) -> None:
    runs, server = sweep
    page = open_tab(probe.page, server)
    page.click("#runs-none")
    page.wait_for_selector("#view[data-state=ready]")
    page.fill("#run-filter", "_00[0-4]$|_03[89]$")
    page.click("#runs-matching")
    page.fill("#run-filter", "")
    chosen = runs[:5] + runs[-2:]
    page.wait_for_function(
        f"document.querySelectorAll('#view section.series').length === {len(chosen)}"
    )
    page.wait_for_selector("#view[data-state=ready][data-complete=true]")
    page.reload()
    page.wait_for_selector("#view[data-state=ready][data-complete=true]")
    shown = page.locator("#view section.series").evaluate_all(
        "(els) => els.map((e) => e.dataset.run)"
    )
    assert shown == chosen
    checked = page.locator("#run-list input:checked").evaluate_all(
        "(els) => els.map((e) => e.dataset.run)"
    )
    assert checked == chosen
    assert page.text_content("#run-count") == f"{len(chosen)} of {RUNS}"
