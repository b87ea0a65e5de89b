"""The data-provider calls of each route, counted, with both of TensorBoard's loaders.

With the Rust data server every provider call is a gRPC round trip that can
wait ~40 ms for a delayed ACK, so /tags and /steps must make a fixed number
of calls whatever the number of steps and series: since format version 5 a
step's manifest is also a tensor, read for every step and series at once.
The plugin is driven in-process (`make_app`) over a counting wrapper of the
Python loader's `MultiplexerDataProvider` or of the Rust data server's own
`GrpcDataProvider` talking to a real data server. A step whose manifest
tensor is missing, of another write, or not a scalar string is still served
from its blob sequence; a series of an older format is read as before.
"""

from __future__ import annotations

import collections
import contextlib
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tensorboard import context
from tensorboard.util import tensor_util

from tbexplain_plugin import metadata
from tests.helpers.data_server import rust_data_provider
from tests.helpers.logdir import LogdirInfo, make_logdir
from tests.plugin import events
from tests.plugin.conftest import TINY_PNG, App, CountingProvider, make_app

LOADERS = ["python", "rust"]
TAG = "explain/gradcam"


def q(**params: Any) -> str:
    return urllib.parse.urlencode(params)


@contextlib.contextmanager
def counted_app(logdir: Path, loader: str) -> Iterator[tuple[App, CountingProvider]]:
    """The plugin over a counting provider of `loader`, the logdir loaded."""
    if loader == "python":
        counting = CountingProvider(make_app(logdir).provider)
        yield make_app(logdir, provider=counting), counting
        return
    with rust_data_provider(logdir) as provider:
        wait_loaded(provider, logdir)
        counting = CountingProvider(provider)
        yield make_app(logdir, provider=counting), counting


def wait_loaded(provider: Any, logdir: Path, timeout: float = 60.0) -> None:
    """Waits until the provider lists the last event written of every series
    (the blob sequences and the manifest tensors of the logdir's files)."""
    import time

    expected = _written(logdir)
    deadline = time.monotonic() + timeout
    while True:
        ctx = context.RequestContext()
        listed = {}
        for lister in (provider.list_blob_sequences, provider.list_tensors):
            for run, tags in lister(
                ctx, experiment_id="", plugin_name=metadata.PLUGIN_NAME
            ).items():
                for tag, facts in tags.items():
                    listed[run, tag] = facts.max_step
        if listed == expected:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"not loaded: {listed} != {expected}")
        time.sleep(0.2)


def _written(logdir: Path) -> dict[tuple[str, str], int]:
    """(run, tag) -> the last step written, from the event files."""
    from tensorboard.backend.event_processing import event_file_loader

    out: dict[tuple[str, str], int] = {}
    for path in sorted(logdir.rglob("events.out.tfevents.*")):
        run = path.parent.relative_to(logdir).as_posix() or "."
        for event in event_file_loader.EventFileLoader(str(path)).Load():
            for value in event.summary.value:
                key = (run, value.tag)
                out[key] = max(out.get(key, event.step), event.step)
    return out


@pytest.fixture(scope="module")
def logdirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, LogdirInfo]:
    """A small logdir (1 run x 3 steps) and a larger one (3 runs x 24 steps),
    written by the summary ops: each run has inputs, two explanation series
    and activations."""
    root = tmp_path_factory.mktemp("calls")
    return {
        "small": make_logdir(root / "small", runs=("a",), steps=3, samples=2, size=8),
        "large": make_logdir(
            root / "large", runs=("a", "b", "c"), steps=24, samples=2, size=8
        ),
    }


@pytest.mark.parametrize("loader", LOADERS)
def test_tags_and_steps_make_a_fixed_number_of_calls(
    logdirs: dict[str, LogdirInfo], loader: str
):
    route = "steps?" + q(run="a", tag=TAG)
    calls: dict[str, dict[str, collections.Counter[str]]] = {}
    for size, info in logdirs.items():
        with counted_app(info.path, loader) as (app, counting):
            calls[size] = {
                "tags": counting.counted(lambda: app.get_json("tags")),
                "steps": counting.counted(lambda: app.get_json(route)),
                "steps again": counting.counted(lambda: app.get_json(route)),
            }
            body = app.get_json(route)
            assert [s["step"] for s in body["steps"]] == list(info.steps)
            assert body["skipped_steps"] == []
            tags = app.get_json("tags")["runs"]
            assert {tags[run][TAG]["samples"] for run in info.runs} == {info.samples}
    # 8x the steps and 3x the series: the same calls.
    assert calls["small"] == calls["large"]
    first = calls["large"]
    # The listing, and the latest manifest tensor of every series.
    assert first["tags"] == {"list_blob_sequences": 1, "read_tensors": 1}
    assert first["steps"] == {
        "list_blob_sequences": 1,
        "read_blob_sequences": 1,
        "read_tensors": 1,
    }
    assert first["steps again"] == {"list_blob_sequences": 1}  # the kept answer


def served_maxes(body: dict[str, Any]) -> dict[int, float]:
    return {s["step"]: s["manifest"]["columns"]["max"][0] for s in body["steps"]}


def step_of(value: int) -> list[bytes]:
    return [
        events.manifest(1, columns={"max": [float(value)]}),
        events.png(np.full((2, 2), value, np.uint8)),
    ]


@pytest.mark.parametrize("loader", LOADERS)
def test_a_step_without_a_usable_manifest_tensor_is_read_from_its_blobs(
    tmp_path: Path, loader: str
):
    values = [step_of(10 + s) for s in range(6)]
    tensors: list[Any] = [v[0] for v in values]
    tensor_times = [1.0e9 + s for s in range(6)]
    tensors[2] = None  # none written
    # Another write of step 4 (a restart the loader read in part): its
    # manifest says otherwise, and it is a day older.
    tensors[4] = step_of(99)[0]
    tensor_times[4] -= 86400
    tensors[5] = tensor_util.make_tensor_proto(np.float32(1.0))  # not a string
    events.write_series(
        tmp_path / "run",
        "x",
        values,
        manifest_tensors=tensors,
        manifest_wall_times=tensor_times,
    )
    with counted_app(tmp_path, loader) as (app, counting):
        tags = counting.counted(lambda: app.get_json("tags"))
        # The latest step (5) listed and read from its blob sequence.
        assert (tags["read_blob_sequences"], tags["read_blob"]) == (1, 1)
        assert app.get_json("tags")["runs"]["run"]["x"]["samples"] == 1
        route = "steps?" + q(run="run", tag="x")
        steps = counting.counted(lambda: app.get_json(route))
        body = app.get_json(route)
        assert served_maxes(body) == {s: 10.0 + s for s in range(6)}
        assert body["skipped_steps"] == []
        # Steps 2 and 4 from their blobs (step 5's manifest is kept from /tags).
        assert steps["read_blob"] == 2
        assert steps["read_tensors"] == 1


@pytest.mark.parametrize("loader", LOADERS)
def test_an_older_format_is_read_from_the_blobs_without_tensor_calls(
    tmp_path: Path, loader: str
):
    old = events.plugin_content(version=metadata.MANIFEST_TENSOR_VERSION - 1)
    events.write_series(
        tmp_path / "run", "x", [step_of(10 + s) for s in range(4)], content=old
    )
    with counted_app(tmp_path, loader) as (app, counting):
        tags = counting.counted(lambda: app.get_json("tags"))
        steps = counting.counted(lambda: app.get_json("steps?" + q(run="run", tag="x")))
        assert "read_tensors" not in tags and "read_tensors" not in steps
        assert tags["read_blob"] == 1
        assert steps["read_blob"] == 3  # the latest is kept from /tags
        body = app.get_json("steps?" + q(run="run", tag="x"))
        assert served_maxes(body) == {s: 10.0 + s for s in range(4)}


def test_nothing_is_read_again_for_an_unchanged_series(tmp_path: Path):
    """Live: one series gains steps; /tags reads only its latest step, /steps
    only it, in one call each; unchanged series and polls read nothing."""
    for tag in ("x", "y"):
        events.write_series(
            tmp_path / "run",
            tag,
            [step_of(10 + s) for s in range(3)],
            manifest_tensors=True,
        )
    python = make_app(tmp_path)  # its multiplexer reloads for `counting`
    counting = CountingProvider(python.provider)
    app = make_app(tmp_path, provider=counting)
    app.get_json("tags")
    for tag in ("x", "y"):
        app.get_json("steps?" + q(run="run", tag=tag))
    polls = counting.counted(
        lambda: [
            app.get_json(r) for r in ("tags", "steps?" + q(run="run", tag="x")) * 3
        ]
    )
    assert polls == {"list_blob_sequences": 6}

    events.write_series(
        tmp_path / "run",
        "x",
        [step_of(13), step_of(14)],
        steps=[3, 4],
        manifest_tensors=True,
    )
    python.reload()
    tags = counting.counted(lambda: app.get_json("tags"))
    assert tags == {"list_blob_sequences": 1, "read_tensors": 1}
    [tensors] = [kw for name, kw in counting.arguments if name == "read_tensors"]
    assert tensors["run_tag_filter"].tags == {metadata.manifest_tag("x")}
    assert app.get_json("tags")["runs"]["run"]["x"]["max_step"] == 4
    steps_y = counting.counted(lambda: app.get_json("steps?" + q(run="run", tag="y")))
    assert steps_y == {"list_blob_sequences": 1}
    steps_x = counting.counted(lambda: app.get_json("steps?" + q(run="run", tag="x")))
    assert steps_x == {
        "list_blob_sequences": 1,
        "read_blob_sequences": 1,
        "read_tensors": 1,
    }
    body = app.get_json("steps?" + q(run="run", tag="x"))
    assert served_maxes(body) == {s: 10.0 + s for s in range(5)}


@pytest.mark.parametrize("loader", LOADERS)
def test_a_manifest_tensor_ahead_of_its_blobs_is_not_taken_for_the_latest_step(
    tmp_path: Path, loader: str
):
    """Live: the loader has read step 3's manifest tensor but not yet its blob
    sequence (written just after it): /tags counts step 2 from its blobs."""
    values = [step_of(10), step_of(11), [events.manifest(2, tiles=2), TINY_PNG]]
    events.write_series(tmp_path / "run", "x", values, manifest_tensors=True)
    ahead = events.manifest_event("x", 3, 1.0e9 + 3, events.manifest(5, tiles=5))
    events.write_events(tmp_path / "run", [ahead])
    with counted_app(tmp_path, loader) as (app, counting):
        tags = counting.counted(lambda: app.get_json("tags"))
        assert app.get_json("tags")["runs"]["run"]["x"]["samples"] == 2
        assert (tags["read_blob_sequences"], tags["read_blob"]) == (1, 1)
        body = app.get_json("steps?" + q(run="run", tag="x"))
        assert [s["step"] for s in body["steps"]] == [0, 1, 2]
