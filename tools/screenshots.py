"""Takes the README's screenshots of every view from the demo's log directory.

Trains the demo (``tbexplain demo --no-serve``) into a temporary directory
unless ``--logdir`` names one it already wrote, serves it with a real
``tensorboard`` (the launcher the tests use) and photographs each view of the
tab in headless Chromium (`CHROMIUM`, else ``chromium`` on PATH), into
``docs/screenshots/`` (or ``--out``)::

    .venv/bin/python tools/screenshots.py [--logdir DEMO_LOGS] [--out DIR]

With ``--vit LOGS`` it photographs instead the ViT run that
``tools/vit_run.py`` wrote into LOGS (its ``vit_*.png``).

Not part of ``make test``: the screenshots are committed with the README.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.helpers.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.helpers.tb_server import tensorboard_server  # noqa: E402

READY = "#view[data-state=ready][data-complete=true]"


def _chromium() -> str:
    if not Path(CHROMIUM).exists():
        sys.exit("screenshots: Chromium is missing: set CHROMIUM=/path or install it")
    return CHROMIUM


def _view(frame: Any, view: str) -> None:
    frame.click(f"button[data-view={view}]")
    frame.wait_for_selector(READY, timeout=60_000)


def _select(frame: Any, select_id: str, text: str) -> None:
    frame.select_option(f"#{select_id}", label=text)
    frame.wait_for_selector(READY, timeout=60_000)


def _metric_charts(page: Any, tab: Any, out: Path) -> Path:
    """Photographs the Over epochs view's Grad-CAM strips of the clean and
    spurious runs with their metric charts (the trust metrics among them)."""
    blocks = [
        tab.locator(
            f'section.series[data-run="{run}/train"][data-tag="explain/gradcam"]'
        )
        for run in ("clean", "spurious")
    ]
    for block in blocks:
        block.locator("figure.metric[data-metric=randomisation]").wait_for(
            timeout=60_000
        )
    boxes = [block.bounding_box() for block in blocks]
    left = min(box["x"] for box in boxes)
    top = min(box["y"] for box in boxes)
    right = max(box["x"] + box["width"] for box in boxes)
    bottom = max(box["y"] + box["height"] for box in boxes)
    path = out / "metrics.png"
    clip = {"x": left, "y": top, "width": right - left, "height": bottom - top}
    page.screenshot(path=str(path), clip=clip)
    return path


def take(logdir: Path, out: Path) -> list[Path]:
    """Photographs every view of the demo's runs; returns the files written."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def shot(target: Any, name: str) -> None:
        path = out / f"{name}.png"
        target.screenshot(path=str(path))
        written.append(path)

    with (
        tensorboard_server(logdir, reload_interval=1) as server,
        sync_playwright() as p,
    ):
        server.wait_for(
            "/data/plugin/tbexplain/tags",
            lambda body: (
                {"clean/train", "spurious/train", "text/train"} <= set(body["runs"])
            ),
        )
        browser = p.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(f"{server.url}/#tbexplain")
        frame = page.frame_locator("iframe").first
        frame.locator(READY).wait_for(timeout=120_000)
        tab = page.frames[-1]
        tab.fill("#run-filter", "clean|spurious")
        tab.wait_for_selector(READY, timeout=60_000)
        page.evaluate("document.body.classList.add('dark-mode')")
        tab.wait_for_selector("html.dark", timeout=10_000)
        shot(page, "browse_dark")
        page.evaluate("document.body.classList.remove('dark-mode')")
        tab.wait_for_selector("html:not(.dark)", timeout=10_000)
        _view(tab, "epochs")
        shot(page, "over_epochs")
        written.append(_metric_charts(page, tab, out))
        _select(tab, "scale", "shared across steps and runs")
        shot(page, "shared_scale")
        _select(tab, "scale", "per map (own min/max)")
        _view(tab, "compare")
        shot(page, "compare")
        for view in ("activations", "filters", "pipeline"):
            _view(tab, view)
            shot(page, view)
        tab.fill("#run-filter", "text")
        tab.wait_for_selector(READY, timeout=60_000)
        _view(tab, "text")
        shot(page, "text")
        browser.close()
    return written


VIT_SHOTS = {
    "vit_gradcam": {"m": "gradcam"},
    "vit_attention_rollout": {"m": "attention_rollout"},
    "vit_gradient_rollout": {"m": "gradient_rollout"},
    "vit_over_epochs": {"m": "gradient_rollout", "view": "epochs", "smp": "3"},
}
"""The ViT run's screenshots: the tab's state (its URL hash) of each."""


def take_vit(logdir: Path, out: Path) -> list[Path]:
    """Photographs the ViT run of ``tools/vit_run.py``; returns the files."""
    import json
    from urllib.parse import urlencode

    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with (
        tensorboard_server(logdir, reload_interval=1) as server,
        sync_playwright() as p,
    ):
        server.wait_for(
            "/data/plugin/tbexplain/tags",
            lambda body: "train" in body["runs"],
        )
        browser = p.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        for name, state in VIT_SHOTS.items():
            query = urlencode({"runs": json.dumps(["train"]), **state})
            # A new document each time: the tab reads its state from the hash.
            page.goto("about:blank")
            page.goto(f"{server.url}/data/plugin_entry.html?name=tbexplain#{query}")
            page.wait_for_selector(READY, timeout=120_000)
            path = out / f"{name}.png"
            page.screenshot(path=str(path))
            written.append(path)
        browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logdir", type=Path, help="a demo log directory")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--vit", type=Path, help="the logs of tools/vit_run.py")
    args = parser.parse_args(argv)
    if args.vit is not None:
        for path in take_vit(args.vit, args.out):
            print(path)
        return 0
    logdir = args.logdir
    if logdir is None:
        from tbexplain import demo

        logdir = Path(tempfile.mkdtemp(prefix="tbexplain_demo_")) / "logs"
        demo.run_demo(logdir, verbose=0)
    for path in take(logdir, args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
