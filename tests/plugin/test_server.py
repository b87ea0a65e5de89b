"""Smoke test: a real `tensorboard` process, with the Python loader and the Rust server.

The plugin is found through its ``tensorboard_plugins`` entry point, the
loader raises the kept steps (60 steps are logged, more than TensorBoard's
default of 10), and both ``--load_fast`` modes must serve the same data.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.logdir import INPUTS_TAG, LogdirInfo, make_logdir
from tests.helpers.reader import split_strips
from tests.helpers.tb_server import TensorBoardServer, get, quote, tensorboard_server

STEPS = 60
SCRIPT_RUN = "<script>alert(1)</script>"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def info(tmp_path_factory: pytest.TempPathFactory) -> LogdirInfo:
    return make_logdir(
        tmp_path_factory.mktemp("server") / "logs",
        runs=("run_a", SCRIPT_RUN),
        steps=STEPS,
        samples=2,
        size=8,
        methods=("gradcam",),
    )


def steps_path(run: str, tag: str) -> str:
    return f"/data/plugin/tbexplain/steps?run={quote(run)}&tag={quote(tag)}"


def collect(server: TensorBoardServer, info: LogdirInfo) -> dict[str, Any]:
    """Waits for all data, checks the routes, returns what both modes must share."""
    listing = server.wait_for(
        "/data/plugins_listing", lambda b: b.get("tbexplain", {}).get("enabled")
    )
    entry = listing["tbexplain"]
    assert entry["tab_name"] == "Explanations"
    assert entry["loading_mechanism"] == {
        "type": "IFRAME",
        "module_path": "/data/plugin/tbexplain/index.js",
    }
    tags = server.wait_for(
        "/data/plugin/tbexplain/tags",
        lambda b: all(
            b["runs"].get(run, {}).get(tag, {}).get("max_step") == STEPS - 1
            for run in info.runs
            for tag in info.tags
        ),
    )
    series: dict[str, Any] = {}
    blobs: dict[str, bytes] = {}
    keys: list[str] = []
    for run in info.runs:
        for tag in info.tags:
            body = server.wait_for(
                steps_path(run, tag), lambda b: len(b["steps"]) == STEPS
            )
            assert [s["step"] for s in body["steps"]] == list(range(STEPS))
            assert body["skipped_steps"] == []
            samples = info.tags[tag]["samples"]
            assert tags["runs"][run][tag]["samples"] == samples
            assert all(len(s["blobs"]) == 1 for s in body["steps"])  # a strip
            # One blob per series, fetched like the frontend does (relative URL).
            last = body["steps"][-1]
            status, headers, png = get(
                server.url + "/data/plugin/tbexplain/" + last["blobs"][-1]
            )
            assert status == 200 and headers["Content-Type"] == "image/png"
            assert len(split_strips(last["manifest"], [png])) == samples
            blobs[f"{run}|{tag}"] = png
            keys.append(body["steps"][0]["blobs"][0])
            series[f"{run}|{tag}"] = [
                {key: value for key, value in step.items() if key != "blobs"}
                for step in body["steps"]
            ]
    check_errors(server)
    return {"tags": tags, "series": series, "blobs": blobs, "keys": keys}


def check_errors(server: TensorBoardServer) -> None:
    base = server.url + "/data/plugin/tbexplain/"
    cases = [
        ("steps", 400),
        ("steps?run=run_a&tag=" + quote(INPUTS_TAG) + "&step=x", 400),
        ("steps?run=nope&tag=nope", 404),
        ("steps?run=run_a&tag=" + quote(INPUTS_TAG) + "&step=100000", 404),
        ("blob?key=garbage", 404),
        ("blob?key=" + "A" * 300, 404),
        ("static/..%2f..%2fplugin.py", 404),
        ("static/%2e%2e/plugin.py", 404),
    ]
    for route, expected in cases:
        status, headers, body = get(base + route)
        assert status == expected, (route, status, body)
        assert headers["Content-Type"] == "application/json", route
        assert json.loads(body)["error"]
    # The committed bundle (`make frontend`) is served as a JavaScript module.
    status, headers, body = get(base + "index.js")
    assert status == 200, body[:200]
    assert headers["Content-Type"].startswith("text/javascript")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert b"export" in body and b"render" in body
    status, headers, body = get(server.url + "/data/plugin_entry.html?name=tbexplain")
    assert status == 200 and b"index.js" in body


def test_real_tensorboard_serves_the_same_data_in_both_load_modes(info: LogdirInfo):
    results = {}
    for mode in ("false", "true"):
        with tensorboard_server(info.path, load_fast=mode, reload_interval=1) as server:
            results[mode] = collect(server, info)
    python, rust = results["false"], results["true"]
    assert python["tags"] == rust["tags"]
    assert python["series"] == rust["series"]
    assert python["blobs"] == rust["blobs"]
    # Blob keys are opaque and differ: proof that the Rust data server served
    # the second run.
    assert set(python["keys"]).isdisjoint(rust["keys"])
    # The <script> run name round-trips as data.
    assert SCRIPT_RUN in python["tags"]["runs"]


def write_two_writers_run(logs: Path) -> tuple[Any, Any]:
    """Keras' writer and the callback's writer share `train/`, the
    callback's event file the newer one, as in `fit`; step 0 of each."""
    import numpy as np
    import tensorflow as tf

    import tbexplain as tbx

    run = logs / "train"
    keras_writer = tf.summary.create_file_writer(str(run))
    with keras_writer.as_default():
        tf.summary.scalar("epoch_loss", 1.0, step=0)
    keras_writer.flush()
    # File names hold the creation second: the callback's file is newer.
    time.sleep(1.1)
    explain_writer = tf.summary.create_file_writer(str(run))
    with explain_writer.as_default():
        tbx.summary.explanation(
            "explain/gradcam", np.ones((1, 4, 4)), step=0, method="gradcam"
        )
    explain_writer.flush()
    return keras_writer, explain_writer


def train_one_more_epoch(keras_writer: Any, explain_writer: Any, step: int) -> None:
    """Keras appends to its (older) file, then the callback to its own."""
    import numpy as np
    import tensorflow as tf

    import tbexplain as tbx

    with keras_writer.as_default():
        tf.summary.scalar("epoch_loss", 1.0 / (1 + step), step=step)
    keras_writer.flush()
    with explain_writer.as_default():
        tbx.summary.explanation(
            "explain/gradcam", np.ones((1, 4, 4)), step=step, method="gradcam"
        )
    explain_writer.flush()


SCALARS = "/data/plugin/scalars/scalars?run=train&tag=epoch_loss"
TAGS = "/data/plugin/tbexplain/tags"


def explained_to(step: int) -> Any:
    return lambda body: (
        body["runs"].get("train", {}).get("explain/gradcam", {}).get("max_step") == step
    )


@pytest.mark.parametrize(
    ("flags", "live"), [((), True), (("--reload_multifile=false",), False)]
)
def test_keras_scalars_stay_live_beside_explanations_only_with_reload_multifile(
    tmp_path: Path, flags: tuple[str, ...], live: bool
):
    """Why the loader turns --reload_multifile on: without it the Python
    loader follows only the newest event file of a run (the callback's), and
    Keras' scalars stop at the step they had when that file appeared."""
    writers = write_two_writers_run(tmp_path / "logs")
    with tensorboard_server(
        tmp_path / "logs", load_fast="false", extra_args=flags
    ) as server:
        server.wait_for(TAGS, explained_to(0))
        for step in (1, 2):
            train_one_more_epoch(*writers, step)
            server.wait_for(TAGS, explained_to(step))
        # Each step was written after the one before was served, so the
        # reload that read explanation step 2 began after Keras' step 1 was
        # on disk (every reload reads the files in turn): all of Keras'
        # steps up to 1 have been read, if its file is followed at all.
        points = server.get_json(SCALARS)
    assert [p[1] for p in points][:2] == ([0, 1] if live else [0])
