"""Training restarted into the same run, against a real tensorboard, both loaders.

* A run restarted from step 0 writes steps it already has: the Rust data
  server drops the older steps from the restart step on and serves the new
  events; the Python loader keeps the first event of each step and serves
  it. The plugin serves what the loader keeps, and a blob URL names one event
  (the step's wall time is part of it), so a browser never pairs a cached
  strip of the older event with the newer manifest.
* kill -9 of a training process while it logs, then a restart logging into
  the same directory: every step that `flush()` or `close()` returned for is
  served afterwards.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.helpers.reader import split_strips
from tests.helpers.tb_server import REPO_ROOT, quote
from tests.plugin import events, logging_child
from tests.plugin.conftest import Served

pytestmark = pytest.mark.slow


def steps_route(run: str, tag: str) -> str:
    return f"steps?run={quote(run)}&tag={quote(tag)}"


def write_steps(run_dir: Path, steps: list[int], wall: float, value: int) -> bytes:
    """Writes `steps` of series "x" whose maps are all `value`; returns the PNG."""
    pixels = np.full((2, 2), value, np.uint8)
    step_png = events.png(pixels)
    events.write_series(
        run_dir,
        "x",
        [
            [events.manifest(1, columns={"max": [float(value)]}), step_png]
            for _ in steps
        ],
        steps=steps,
        wall_times=[wall + s for s in steps],
    )
    return step_png


def blobs_of(hs: Served, body: dict[str, Any]) -> dict[int, bytes]:
    out = {}
    for entry in body["steps"]:
        [url] = entry["blobs"]
        status, _, data = hs.get(url)
        assert status == 200
        out[entry["step"]] = data
    return out


def test_a_restart_from_step_0_serves_what_the_loader_keeps(
    hostile_server: Served, hostile_logdir: Path
):
    run = f"restart_{hostile_server.mode}"
    old_png = write_steps(hostile_logdir / run, [0, 1, 2], 1.0e9, 10)
    route = steps_route(run, "x")
    before = hostile_server.wait_for(route, lambda b: len(b["steps"]) == 3)
    assert blobs_of(hostile_server, before) == {0: old_png, 1: old_png, 2: old_png}

    new_png = write_steps(hostile_logdir / run, [0, 1], 2.0e9, 20)
    hostile_server.wait_for(
        "tags",
        lambda b: b["runs"].get(run, {}).get("x", {}).get("max_wall_time") == 2.0e9 + 1,
    )
    after = hostile_server.get_json(route)
    assert after["skipped_steps"] == []
    old_urls = {s["step"]: s["blobs"] for s in before["steps"]}
    if hostile_server.mode == "true":
        # Steps 0-2 were preempted by the restart's step 0: the new events.
        assert [s["step"] for s in after["steps"]] == [0, 1]
        assert [s["wall_time"] for s in after["steps"]] == [2.0e9, 2.0e9 + 1]
        assert [s["manifest"]["columns"]["max"] for s in after["steps"]] == [[20.0]] * 2
        assert blobs_of(hostile_server, after) == {0: new_png, 1: new_png}
        for entry in after["steps"]:  # same blob key, another event: a new URL
            assert entry["blobs"] != old_urls[entry["step"]]
    else:
        # The first event of each step is kept: the answer is unchanged.
        assert after["steps"] == before["steps"]
        assert blobs_of(hostile_server, after) == {0: old_png, 1: old_png, 2: old_png}


def run_child(log_dir: Path, *args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    return subprocess.Popen(
        [sys.executable, "-m", "tests.plugin.logging_child", str(log_dir), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=REPO_ROOT,
        env=env,
    )


def flushed_steps(lines: list[str]) -> list[int]:
    return [int(line.split()[1]) for line in lines if line.startswith("flushed ")]


@pytest.fixture(scope="session")
def killed_run(hostile_logdir: Path) -> tuple[str, list[int]]:
    """A run whose training was killed (-9) while logging, then restarted:
    its name and every step that flush() or close() returned for."""
    run = "killed"
    first = run_child(hostile_logdir / run, "0")
    assert first.stdout is not None
    lines = []
    for line in first.stdout:
        lines.append(line)
        if len(flushed_steps(lines)) == 3:
            # The child is in its next log() call: kill it there.
            first.send_signal(signal.SIGKILL)
            break
    first.wait(timeout=60)
    lines += first.stdout.read().splitlines()
    assert first.returncode == -signal.SIGKILL
    done = flushed_steps(lines)
    assert done[:3] == [0, 1, 2]
    second = run_child(hostile_logdir / run, str(done[-1] + 1), "3")
    out, _ = second.communicate(timeout=300)
    assert second.returncode == 0 and out.splitlines()[-1] == "closed"
    return run, done + flushed_steps(out.splitlines())


def test_every_flushed_step_is_served_after_a_kill_and_a_restart(
    hostile_server: Served, killed_run: tuple[str, list[int]]
):
    run, returned = killed_run
    body = hostile_server.wait_for(
        steps_route(run, logging_child.TAG),
        lambda b: set(returned) <= {s["step"] for s in b["steps"]},
    )
    assert body["skipped_steps"] == []
    for entry in body["steps"]:
        strips = []
        for url in entry["blobs"]:
            status, _, data = hostile_server.get(url)
            assert status == 200
            strips.append(data)
        assert len(split_strips(entry["manifest"], strips)) == logging_child.SAMPLES
