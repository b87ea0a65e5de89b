"""UI timing of the tbexplain tab in headless Chromium, as a user first opens it.

Writes a 20-epoch demo-size log directory (2 runs x 3 methods x 16 probe
images of 64x64, with inputs and activations) unless ``--logdir`` is given
(copied, e.g. a ``tbexplain demo --no-serve`` logdir); with ``--runs N`` a
sweep instead: N runs x 50 steps x 16 maps of 64x64 (and their inputs),
written raw without TensorFlow (`tests.helpers.logdir.make_sweep_logdir`).

For each loader, TensorBoard's default first (no ``--load_fast`` flag: the
Rust data server), then the Python loader (``--load_fast=false``), it starts
a real ``tensorboard`` on 127.0.0.1 and waits until the logdir is loaded
without asking the tab's routes (`tests.helpers.loaded`), so the first open
finds the plugin's caches cold. Then, with Playwright and the system Chromium:

* open -> first grid: from navigating to ``/#tbexplain`` (TensorBoard's page
  with the tab's iframe) until the first screenful of the grid is painted.
  Taken from the browser's clocks: the iframe's ``tbexplain-first-paint`` mark
  (set on the animation frame after the grid is shown) minus the top page's
  navigation start; also the part spent in the tab (from the iframe's start),
  the time until every heatmap of the grid is painted
  (``tbexplain-first-complete``) and how long the tab's first /tags and
  /steps requests took. The **first open** after the server started (cold
  server caches, a newly launched browser) is reported beside the median of
  ``--tries`` later opens (warm server, a fresh browser context each: cold
  HTTP cache). Goal: <= 1.5 s.
* TensorBoard's own floor, on the same server: its page until it starts the
  tab's iframe (open -> first grid less the part in the tab), and, for
  comparison, its own images dashboard on the same probe images (written
  beside the tab's logs with ``tf.summary.image``): from navigating to
  ``/#images`` until its first image has arrived (the response's end, before
  it is even decoded).
* requests before the first paint: the tab's requests (its module, /tags,
  /steps, blobs) that started before that mark, from the iframe's resource
  timing. Goal: about 50 or fewer on 100 runs.
* open Over epochs -> painted: in the same page, from a click on the
  toolbar's "Over epochs" until the view is shown (its first screenful
  painted, next animation frame), and until every frame near the screen is
  painted; with the requests started before it was shown. First open and
  warm median. Goal: <= 1 s.
* slider -> repaint (cached): after every step was shown once (blobs decoded
  and cached), the time from a step-slider ``input`` event to the next
  animation frame after the grid is redrawn. Goal: <= 100 ms.

Figures are reported, not asserted; no figure needs root. Usage::

    python benchmarks/ui.py                     # both loaders, demo-size logdir
    python benchmarks/ui.py --runs 100          # a sweep of 100 runs x 50 steps
    python benchmarks/ui.py --logdir DIR        # time (a copy of) an existing logdir
    python benchmarks/ui.py --load-fast false   # one loader only
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tests.helpers.browser import CHROMIUM, CHROMIUM_ARGS
from tests.helpers.loaded import add_sentinels, wait_loaded
from tests.helpers.tb_server import tensorboard_server

RUNS = ("baseline", "augmented")
METHODS = ("gradcam", "saliency", "integrated_gradients")
EPOCHS = 20
SAMPLES = 16
SIZE = 64
SWEEP_STEPS = 50

# Resource timing keeps 250 entries by default; a sweep makes more.
INIT_JS = "performance.setResourceTimingBufferSize(100000);"

REQUESTS_BEFORE_PAINT_JS = """() => {
  const paint = performance.getEntriesByName('tbexplain-first-paint')[0];
  return performance.getEntriesByType('resource')
    .filter((e) => e.startTime <= paint.startTime)
    .filter((e) => e.name.includes('/data/plugin/tbexplain/')).length;
}"""

SWITCH_JS = """async (view) => {
  const el = document.querySelector('#view');
  const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
  const until = (cond) => new Promise((resolve) => {
    const obs = new MutationObserver(() => {
      if (cond()) { obs.disconnect(); resolve(); }
    });
    obs.observe(el, {attributes: true});
    if (cond()) { obs.disconnect(); resolve(); }
  });
  const before = performance.getEntriesByType('resource').length;
  const t0 = performance.now();
  document.querySelector(`button[data-view=${view}]`).click();
  await until(() => el.dataset.view === view && el.dataset.state === 'ready');
  await frame();
  const ready = performance.now() - t0;
  const requests = performance.getEntriesByType('resource').length - before;
  await until(() => el.dataset.state === 'ready' && el.dataset.complete === 'true');
  await frame();
  return {ready, complete: performance.now() - t0, requests};
}"""

FIRST_PAINT_JS = """() => {
  const at = (name) => {
    const m = performance.getEntriesByName(name)[0];
    return m ? performance.timeOrigin + m.startTime : null;
  };
  const paint = at('tbexplain-first-paint');
  const complete = at('tbexplain-first-complete');
  return paint === null || complete === null ? null : [paint, complete];
}"""

REPAINT_JS = """async (n) => {
  const view = document.querySelector('#view');
  const slider = document.querySelector('#step-slider');
  const max = Number(slider.max);
  const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
  const move = (value) => new Promise((resolve) => {
    const t0 = performance.now();
    const obs = new MutationObserver(() => {
      if (view.dataset.state !== 'ready') return;
      obs.disconnect();
      frame().then(() => resolve(performance.now() - t0));
    });
    obs.observe(view, {attributes: true, attributeFilter: ['data-state']});
    slider.value = String(value);
    slider.dispatchEvent(new Event('input'));
  });
  for (let v = 0; v <= max; v++) await move(v);  // warm: decode every step once
  const times = [];
  for (let k = 0; k < n; k++) times.push(await move(k % (max + 1)));
  return {times, cells: document.querySelectorAll('#view figure.cell canvas').length};
}"""


def write_logdir(path: Path, runs: int) -> str:
    """Writes the timed logdir; returns its description."""
    if runs:
        from tests.helpers.logdir import make_sweep_logdir

        make_sweep_logdir(path, runs, steps=SWEEP_STEPS, samples=SAMPLES, size=SIZE)
        return (
            f"sweep of {runs} runs x {SWEEP_STEPS} steps x {SAMPLES} maps "
            f"{SIZE}x{SIZE} (1 method, with inputs)"
        )
    from tests.helpers.logdir import make_logdir

    make_logdir(
        path, runs=RUNS, steps=EPOCHS, samples=SAMPLES, size=SIZE, methods=METHODS
    )
    return (
        f"{len(RUNS)} runs x {len(METHODS)} methods x {EPOCHS} epochs x "
        f"{SAMPLES} images {SIZE}x{SIZE}"
    )


FIRST_REQUESTS_JS = """() => {
  const first = (part) => performance.getEntriesByType('resource')
    .find((e) => e.name.includes('/data/plugin/tbexplain/' + part));
  const ms = (e) => (e ? e.responseEnd - e.startTime : null);
  return {tags: ms(first('tags')), steps: ms(first('steps?'))};
}"""

LOADERS = {"default": None, "false": "false", "true": "true"}

FIRST_IMAGE_JS = """() => {
  const e = performance.getEntriesByType('resource')
    .find((r) => r.name.includes('/data/plugin/images/individualImage'));
  return e ? e.responseEnd : null;
}"""


def add_reference_images(logdir: Path, runs: list[str]) -> None:
    """Writes, into each run, the probe images of TensorBoard's own images
    dashboard (the reference row): SAMPLES images of SIZE x SIZE each step."""
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(0)
    for run in runs:
        writer = tf.summary.create_file_writer(str(logdir / run))
        with writer.as_default():
            for step in range(EPOCHS):
                images = rng.random((SAMPLES, SIZE, SIZE, 3)).astype(np.float32)
                tf.summary.image("probe/images", images, step, max_outputs=SAMPLES)
        writer.close()


def time_images_dashboard(browser: Any, url: str) -> float:
    """ms from navigating to TensorBoard's ``/#images`` until its first image
    response has ended."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(INIT_JS)
    try:
        page = context.new_page()
        page.goto(f"{url}/#images")
        page.wait_for_function(FIRST_IMAGE_JS, timeout=120_000)
        return float(page.evaluate(FIRST_IMAGE_JS))
    finally:
        context.close()


def time_open(browser: Any, url: str) -> dict[str, float]:
    """Times one open of the tab in TensorBoard (ms), then a switch to Over epochs.

    Returns:
      ``total``: navigation -> first screenful painted; ``own``: iframe start
      -> first screenful painted; ``whole``: navigation -> every heatmap near
      the screen painted; ``requests``: the tab's requests before the first
      paint; ``tags``, ``steps``: its first /tags and /steps requests;
      ``epochs``, ``epochs_whole``, ``epochs_requests``: the same for a click
      on "Over epochs".
    """
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(INIT_JS)
    try:
        page = context.new_page()
        page.goto(f"{url}/#tbexplain")
        frame = page.frame_locator("iframe").first
        frame.locator("#view[data-state=ready][data-complete=true]").wait_for(
            timeout=120_000
        )
        iframe = next(f for f in page.frames if "plugin_entry.html" in f.url)
        marks = None
        deadline = time.monotonic() + 10
        while marks is None and time.monotonic() < deadline:
            marks = iframe.evaluate(FIRST_PAINT_JS)
        if marks is None:
            raise RuntimeError("the tab never set its tbexplain-first-* marks")
        painted, complete = float(marks[0]), float(marks[1])
        start = float(page.evaluate("performance.timeOrigin"))
        iframe_start = float(iframe.evaluate("performance.timeOrigin"))
        requests = int(iframe.evaluate(REQUESTS_BEFORE_PAINT_JS))
        first = iframe.evaluate(FIRST_REQUESTS_JS)
        epochs = iframe.evaluate(SWITCH_JS, "epochs")
        return {
            "total": painted - start,
            "own": painted - iframe_start,
            "page": iframe_start - start,
            "whole": complete - start,
            "requests": requests,
            "tags": float(first["tags"] or "nan"),
            "steps": float(first["steps"] or "nan"),
            "epochs": float(epochs["ready"]),
            "epochs_whole": float(epochs["complete"]),
            "epochs_requests": int(epochs["requests"]),
        }
    finally:
        context.close()


def time_repaint(browser: Any, url: str, moves: int) -> tuple[list[float], int]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.goto(f"{url}/data/plugin_entry.html?name=tbexplain")
        page.wait_for_selector("#view[data-state=ready]", timeout=120_000)
        result = page.evaluate(REPAINT_JS, moves)
        return list(result["times"]), int(result["cells"])
    finally:
        context.close()


def measure(
    logdir: Path,
    runs: list[str],
    load_fast: str | None,
    tries: int,
    moves: int,
    reference: bool,
) -> dict[str, Any]:
    """The figures of one loader: a fresh server, its first open, then the rest."""
    from playwright.sync_api import sync_playwright

    with tensorboard_server(logdir, load_fast=load_fast, reload_interval=0) as server:
        loaded_s = wait_loaded(server, runs)
        rust = server.uses_data_server()
        with sync_playwright() as p:

            def launch() -> Any:
                return p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

            browser = launch()  # a browser that has opened nothing yet
            first = time_open(browser, server.url)
            browser.close()
            browser = launch()  # TensorBoard's page is warm, its images plugin is not

            def images() -> float:
                if not reference:
                    return float("nan")
                return time_images_dashboard(browser, server.url)

            first["images"] = images()
            browser.close()
            browser = launch()
            warm = [time_open(browser, server.url) for _ in range(tries)]
            for opened in warm:
                opened["images"] = images()
            repaints, cells = time_repaint(browser, server.url, moves)
            browser.close()
    return {
        "rust": rust,
        "loaded_s": loaded_s,
        "first": first,
        "warm": warm,
        "repaints": sorted(repaints),
        "cells": cells,
    }


def report(results: dict[str, dict[str, Any]]) -> None:
    names = {
        mode: (
            f"{'default' if mode == 'default' else '--load_fast=' + mode} "
            f"({'Rust data server' if r['rust'] else 'Python loader'})"
        )
        for mode, r in results.items()
    }
    width = 34
    print()
    print(
        f"{'(ms; first open / warm median)':46}"
        + "".join(f"{names[m]:>{width}}" for m in results)
    )

    def row(label: str, key: str, goal: str = "", digits: int = 0) -> None:
        cells = []
        for r in results.values():
            warm = statistics.median(o[key] for o in r["warm"])
            cells.append(f"{r['first'][key]:.{digits}f} / {warm:.{digits}f}")
        print(f"{label:46}" + "".join(f"{c:>{width}}" for c in cells) + goal)

    row("open -> first grid painted", "total", "  [goal <= 1500]")
    row("  TensorBoard's page until the tab's iframe", "page")
    row("  in the tab (iframe start -> painted)", "own")
    row("(ref.) TensorBoard's images: open -> 1st image", "images")
    row("  the tab's first /tags request", "tags", "", 1)
    row("  the tab's first /steps request", "steps", "", 1)
    row("  requests before the first paint", "requests", "  [about 50 or fewer]")
    row("open -> every heatmap near the screen", "whole")
    row("Over epochs click -> painted", "epochs", "  [goal <= 1000]")
    row("  every frame near the screen painted", "epochs_whole")
    row("  requests before painted", "epochs_requests")
    cells = []
    for r in results.values():
        times = r["repaints"]
        p90 = times[min(len(times) - 1, int(0.9 * len(times)))]
        cells.append(f"{statistics.median(times):.1f} (p90 {p90:.1f})")
    print(
        f"{'slider -> repaint, cached: median':46}"
        + "".join(f"{c:>{width}}" for c in cells)
        + "  [goal <= 100]"
    )
    print(
        f"{'(info) seconds until the logdir was loaded':46}"
        + "".join(f"{r['loaded_s']:>{width}.1f}" for r in results.values())
    )
    for mode, r in results.items():
        spread = [o["total"] for o in r["warm"]]
        print(
            f"{names[mode]}: first grid, warm opens min {min(spread):.0f}, "
            f"max {max(spread):.0f} ms ({len(spread)} opens); "
            f"{r['cells']} heatmaps in the grid"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--logdir", help="time a copy of this logdir instead")
    parser.add_argument(
        "--runs",
        type=int,
        default=0,
        help=f"write a sweep of this many runs x {SWEEP_STEPS} steps instead",
    )
    parser.add_argument(
        "--load-fast",
        choices=["both", *LOADERS],
        default="both",
        help="both: TensorBoard's default loader, then --load_fast=false",
    )
    parser.add_argument("--tries", type=int, default=3, help="warm opens to time")
    parser.add_argument("--moves", type=int, default=20, help="slider moves to time")
    args = parser.parse_args()
    modes = ["default", "false"] if args.load_fast == "both" else [args.load_fast]

    with tempfile.TemporaryDirectory(prefix="tbexplain_ui_") as scratch:
        logdir = Path(scratch) / "logs"
        t = time.perf_counter()
        if args.logdir:
            shutil.copytree(args.logdir, logdir)
            description = args.logdir
        else:
            description = write_logdir(logdir, args.runs)
        runs = add_sentinels(logdir)
        # Its events file sorts before the sentinel's, so it is loaded first.
        reference = not args.runs  # a sweep's 100 runs would make it huge
        if reference:
            add_reference_images(logdir, runs)
        print(f"logdir: {description}, {len(runs)} runs")
        print(f"written in {time.perf_counter() - t:.1f} s", flush=True)
        results = {
            mode: measure(
                logdir, runs, LOADERS[mode], args.tries, args.moves, reference
            )
            for mode in modes
        }
    report(results)


if __name__ == "__main__":
    main()
