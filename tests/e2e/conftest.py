"""Fixtures of the end-to-end tests: a generated logdir, a real TensorBoard, Chromium.

The browser is the system Chromium driven by Playwright; TensorBoard is a real
``tensorboard`` process with the tbexplain plugin (tests/helpers/tb_server.py).
Screenshots of each view are saved under ``artifacts/screenshots/`` (gitignored).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import playwright.sync_api as playwright_sync
import pytest

from tests.helpers.browser import CHROMIUM, CHROMIUM_ARGS
from tests.helpers.logdir import LogdirInfo, make_logdir
from tests.helpers.tb_server import TensorBoardServer, quote, tensorboard_server

# A missing browser fails the e2e tests, it does not skip them.
XSS_RUN = "<img src=x onerror=alert(1)>"
RUNS = ("run_a", "run_b", XSS_RUN)
STEPS = 5
SAMPLES = 4
FILTERS = 3
PIPELINE_STAGES = ("decoded", "augmented")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def write_extras(root: Path, run: str, steps: int, samples: int, size: int) -> None:
    """Adds pipeline stages and filter visualisations to one run."""
    import tensorflow as tf

    from tbexplain import summary

    rng = np.random.default_rng(7)
    writer = tf.summary.create_file_writer(str(root / run))
    with writer.as_default():
        for step in range(steps):
            raw = rng.uniform(0, 1, size=(samples, size, size, 3)).astype(np.float32)
            summary.inputs("explain/pipeline/decoded", raw, step=step, stage="decoded")
            summary.inputs(
                "explain/pipeline/augmented", raw[:, ::-1], step=step, stage="augmented"
            )
            summary.filters(
                "explain/filters/conv2",
                rng.normal(size=(FILTERS, size, size, 3)).astype(np.float32),
                step=step,
                layer="conv2",
                filter_ids=np.arange(FILTERS),
                objectives=np.linspace(0.5, 1.5, FILTERS),
            )
    writer.close()


@pytest.fixture(scope="session")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> LogdirInfo:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    path = tmp_path_factory.mktemp("e2e") / "logs"
    info = make_logdir(
        path,
        runs=RUNS,
        steps=STEPS,
        samples=SAMPLES,
        size=32,
        methods=("gradcam", "integrated_gradients"),
    )
    write_extras(path, "run_a", STEPS, SAMPLES, 32)
    return info


def wait_loaded(
    server: TensorBoardServer, runs: tuple[str, ...], tags: list[str], steps: int
) -> None:
    """Waits until TensorBoard has read every step of the given series."""
    for run in runs:
        for tag in tags:
            server.wait_for(
                f"/data/plugin/tbexplain/steps?run={quote(run)}&tag={quote(tag)}",
                lambda body: len(body["steps"]) == steps,
            )


@pytest.fixture(scope="session")
def server(logdir: LogdirInfo) -> Iterator[TensorBoardServer]:
    with tensorboard_server(logdir.path, reload_interval=1) as tb:
        wait_loaded(tb, RUNS, ["explain/gradcam", "explain/inputs"], STEPS)
        wait_loaded(
            tb,
            ("run_a",),
            ["explain/filters/conv2", "explain/pipeline/augmented"],
            STEPS,
        )
        yield tb


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    with playwright_sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class PageProbe:
    """A fresh page (own storage) that records dialogs and page errors."""

    def __init__(self, browser: Any) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page.on("dialog", self._on_dialog)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _on_dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def close(self) -> None:
        self.context.close()


@pytest.fixture()
def probe(browser: Any) -> Iterator[PageProbe]:
    pp = PageProbe(browser)
    yield pp
    assert pp.errors == [], f"page errors: {pp.errors}"
    assert pp.dialogs == [], f"dialogs opened (script ran?): {pp.dialogs}"
    pp.close()


def open_tab(page: Any, server: TensorBoardServer, state: str = "") -> Any:
    """Opens the tab's iframe page directly (optional state hash); waits for a view."""
    url = f"{server.url}/data/plugin_entry.html?name=tbexplain"
    if state:
        url += "#" + state
    page.goto(url)
    page.wait_for_selector(
        "#view[data-state=ready][data-complete=true]", timeout=30_000
    )
    return page


def screenshot(page_or_frame: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page_or_frame.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
