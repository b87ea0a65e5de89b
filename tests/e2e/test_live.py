"""Live updates: steps written after the page loaded appear on reload, both loaders."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.conftest import PageProbe, screenshot, wait_loaded
from tests.helpers.logdir import CLASS_NAMES, INPUTS_TAG, LogdirInfo, make_logdir
from tests.helpers.tb_server import TensorBoardServer, tensorboard_server

pytestmark = pytest.mark.timeout(900)

TAG = "explain/gradcam"
STEPS_URL = "/data/plugin/tbexplain/steps?run=live&tag=explain%2Fgradcam"


@pytest.fixture(scope="module", params=["false", "true"], ids=["python", "rust"])
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LogdirInfo, TensorBoardServer]]:
    info = make_logdir(
        tmp_path_factory.mktemp("live") / "logs",
        runs=("live",),
        steps=2,
        samples=2,
        size=16,
        methods=("gradcam",),
        activations=False,
    )
    with tensorboard_server(
        info.path, load_fast=request.param, reload_interval=1
    ) as tb:
        wait_loaded(tb, ("live",), [TAG, INPUTS_TAG], 2)
        yield info, tb


def write_step(info: LogdirInfo, step: int) -> None:
    """Appends one more training step to the run, as a live training job would."""
    import numpy as np
    import tensorflow as tf

    from tbexplain import summary

    run = "live"
    writer = tf.summary.create_file_writer(
        str(info.path / run), filename_suffix=f".step{step}"
    )
    labels = info.labels(run)
    with writer.as_default():
        summary.inputs(
            INPUTS_TAG,
            info.images(run, step),
            step=step,
            labels=labels,
            class_names=CLASS_NAMES,
        )
        summary.explanation(
            TAG,
            info.maps(run, TAG, step),
            step=step,
            method="gradcam",
            layer="conv2",
            class_ids=labels,
            class_names=CLASS_NAMES,
            scores=np.linspace(1.0, 2.0, info.samples) + step,
            inputs=INPUTS_TAG,
            labels=labels,
        )
    writer.close()


# Runs in every frame before its scripts: in the tab's iframe, long intervals
# (the tab's polling fallback) are recorded instead of scheduled, so a reload
# can only come from TensorBoard's DataReloaded message or the tab's button.
NO_POLLING = """
if (window.parent !== window) {
  const schedule = window.setInterval.bind(window);
  window.__tbxPolls = 0;
  window.setInterval = (fn, ms, ...args) => {
    if (Number(ms) >= 10000) {
      window.__tbxPolls += 1;
      return 0;
    }
    return schedule(fn, ms, ...args);
  };
}
"""
# Bounds of waits on conditions: generous for a loaded 2-core machine.
WAIT_MS = 120_000


def test_new_steps_appear_on_reload_and_keep_the_selection(
    live: tuple[LogdirInfo, TensorBoardServer], probe: PageProbe
) -> None:
    info, server = live
    page = probe.page
    probe.context.add_init_script(NO_POLLING)
    # The real embedding: TensorBoard's page with our iframe.
    page.goto(f"{server.url}/#tbexplain")
    frame = page.frame_locator("iframe").first
    frame.locator("#view[data-state=ready]").wait_for(timeout=WAIT_MS)
    view = frame.locator("#view")
    assert view.get_attribute("data-steps") == "2"
    # The polling fallback was suppressed (so it cannot satisfy the waits below).
    assert view.evaluate("() => window.__tbxPolls") == 1
    frame.locator("#colormap").select_option("magma")
    frame.locator("#step-slider").evaluate(
        "(el) => { el.value = '0'; el.dispatchEvent(new Event('input')); }"
    )
    frame.locator("#view[data-state=ready][data-step='0']").wait_for(timeout=WAIT_MS)

    write_step(info, 2)
    server.wait_for(STEPS_URL, lambda b: len(b["steps"]) == 3, timeout=WAIT_MS / 1000)
    # TensorBoard's own reload button broadcasts DataReloaded to the iframe.
    page.click("button.reload-button")
    frame.locator("#view[data-state=ready][data-steps='3']").wait_for(timeout=WAIT_MS)
    assert view.get_attribute("data-step") == "0"  # selection kept
    assert frame.locator("#colormap").input_value() == "magma"

    # Following the latest: at the end of the slider, a new step shows when it arrives.
    frame.locator("#step-next").click()
    frame.locator("#step-next").click()
    frame.locator("#view[data-state=ready][data-step='2']").wait_for(timeout=WAIT_MS)
    write_step(info, 3)
    server.wait_for(STEPS_URL, lambda b: len(b["steps"]) == 4, timeout=WAIT_MS / 1000)
    frame.locator("#reload").click()  # the tab's own reload button
    frame.locator("#view[data-state=ready][data-step='3']").wait_for(timeout=WAIT_MS)
    assert frame.locator("#view figure.cell canvas").count() == info.samples
    screenshot(page, "live_after_reload")
