"""UI timing of the tbexplain TensorBoard tab in headless Chromium.

Writes a 20-epoch demo-size log directory (2 runs x 3 methods x 16 probe
images of 64x64, with inputs and activations) unless ``--logdir`` is given;
with ``--runs N`` a sweep instead: N runs x 50 steps x 16 maps of 64x64 (and
their inputs), written raw without TensorFlow
(`tests.helpers.logdir.make_sweep_logdir`). Starts a real ``tensorboard`` on
127.0.0.1, and measures with Playwright and the system Chromium:

* open -> first grid: from navigating to ``/#tbexplain`` (TensorBoard's page
  with the tab's iframe) until the first screenful of the grid is painted.
  Taken from the browser's clocks: the iframe's ``tbexplain-first-paint`` mark
  (set on the animation frame after the grid is shown) minus the top page's
  navigation start; also the part spent in the tab (from the iframe's start)
  and the time until every heatmap of the grid is painted
  (``tbexplain-first-complete``). Each try uses a fresh browser context
  (cold HTTP cache). Goal: <= 1.5 s.
* requests before the first paint: the tab's requests (its module, /tags,
  /steps, blobs) that started before that mark, from the iframe's resource
  timing. Goal: about 50 or fewer on 100 runs.
* open Over epochs -> painted: in the same page, from a click on the
  toolbar's "Over epochs" until the view is shown (its first screenful
  painted, next animation frame), and until every frame near the screen is
  painted; with the requests started before it was shown. Goal: <= 2 s.
* slider -> repaint (cached): after every step was shown once (blobs decoded
  and cached), the time from a step-slider ``input`` event to the next
  animation frame after the grid is redrawn. Goal: <= 100 ms.

Figures are reported, not asserted. Usage::

    python benchmarks/ui.py                 # write a temporary logdir, 3 tries
    python benchmarks/ui.py --runs 100      # a sweep of 100 runs x 50 steps
    python benchmarks/ui.py --logdir DIR    # time an existing logdir
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tests.helpers.browser import CHROMIUM, CHROMIUM_ARGS
from tests.helpers.tb_server import quote, tensorboard_server

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


def time_open(browser: Any, url: str) -> dict[str, float]:
    """Times one open of the tab in TensorBoard (ms), then a switch to Over epochs.

    Returns:
      ``total``: navigation -> first screenful painted; ``own``: iframe start
      -> first screenful painted; ``whole``: navigation -> every heatmap near
      the screen painted; ``requests``: the tab's requests before the first
      paint; ``epochs``, ``epochs_whole``, ``epochs_requests``: the same for
      a click on "Over epochs".
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
        epochs = iframe.evaluate(SWITCH_JS, "epochs")
        return {
            "total": painted - start,
            "own": painted - iframe_start,
            "whole": complete - start,
            "requests": requests,
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--logdir", help="time this logdir instead of writing one")
    parser.add_argument(
        "--runs",
        type=int,
        default=0,
        help=f"write a sweep of this many runs x {SWEEP_STEPS} steps instead",
    )
    parser.add_argument("--tries", type=int, default=3, help="page opens to time")
    parser.add_argument("--moves", type=int, default=20, help="slider moves to time")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="tbexplain_ui_") as scratch:
        logdir = Path(args.logdir) if args.logdir else Path(scratch) / "logs"
        logdir_name = args.logdir
        if not args.logdir:
            t = time.perf_counter()
            logdir_name = write_logdir(logdir, args.runs)
            print(f"wrote {logdir} in {time.perf_counter() - t:.1f} s", flush=True)
        with tensorboard_server(logdir, reload_interval=0) as server:
            tags = server.wait_for(
                "/data/plugin/tbexplain/tags",
                lambda body: any(
                    i["kind"] == "explanation"
                    for r in body["runs"].values()
                    for i in r.values()
                ),
                timeout=300,
            )
            if args.runs:
                tags = server.wait_for(
                    "/data/plugin/tbexplain/tags",
                    lambda body: len(body["runs"]) == args.runs,
                    timeout=600,
                )
            explained = [
                (r, t)
                for r, by_tag in sorted(tags["runs"].items())
                for t, i in by_tag.items()
                if i["kind"] == "explanation"
            ]
            for run, tag in (explained[0], explained[-1]):
                server.wait_for(
                    f"/data/plugin/tbexplain/steps?run={quote(run)}&tag={quote(tag)}",
                    lambda body, run=run, tag=tag: (
                        len(body["steps"]) > 0
                        and body["steps"][-1]["step"]
                        == tags["runs"][run][tag]["max_step"]
                    ),
                    timeout=600,
                )
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS
                )
                time_open(browser, server.url)  # warm TensorBoard's caches once
                opens = [time_open(browser, server.url) for _ in range(args.tries)]
                repaints, cells = time_repaint(browser, server.url, args.moves)
                browser.close()
    repaints.sort()
    p90 = repaints[min(len(repaints) - 1, int(0.9 * len(repaints)))]
    print(f"logdir: {logdir_name}; {cells} heatmaps painted in the grid")

    def col(key: str) -> list[float]:
        return [o[key] for o in opens]

    total, own, whole = col("total"), col("own"), col("whole")
    requests = col("requests")
    epochs, epochs_whole = col("epochs"), col("epochs_whole")
    print(
        f"open -> first grid painted (a screenful): "
        f"median {statistics.median(total):.0f} ms "
        f"(min {min(total):.0f}, max {max(total):.0f}; {len(total)} tries) "
        "[goal <= 1500 ms]"
    )
    print(
        f"  of which in the tab (iframe start -> painted): median "
        f"{statistics.median(own):.0f} ms (min {min(own):.0f}, max {max(own):.0f}); "
        "the rest is TensorBoard's own page loading"
    )
    print(
        f"  requests by the tab before the first paint: median "
        f"{statistics.median(requests):.0f} (min {min(requests):.0f}, "
        f"max {max(requests):.0f}) [goal: about 50 or fewer]"
    )
    print(
        f"open -> every heatmap near the screen painted: median "
        f"{statistics.median(whole):.0f} ms"
    )
    print(
        f"open Over epochs (toolbar click) -> painted: median "
        f"{statistics.median(epochs):.0f} ms (min {min(epochs):.0f}, "
        f"max {max(epochs):.0f}); every frame near the screen: median "
        f"{statistics.median(epochs_whole):.0f} ms; requests before painted: "
        f"median {statistics.median(col('epochs_requests')):.0f} [goal <= 2000 ms]"
    )
    print(
        f"slider -> repaint (cached): median {statistics.median(repaints):.1f} ms, "
        f"p90 {p90:.1f} ms ({len(repaints)} moves) [goal <= 100 ms]"
    )


if __name__ == "__main__":
    main()
