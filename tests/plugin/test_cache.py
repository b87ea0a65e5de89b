"""The caches: the LRU itself, and what the served routes keep and rebuild.

Through MultiplexerDataProvider -> TBContext -> TensorBoardWSGI: a rewritten
step (same step, later wall time) serves its new data, a step that could not
be read is served once it can be, and a series with an unusable step is
answered afresh each time while its good steps are not read again.
"""

from __future__ import annotations

import threading
import urllib.parse
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tensorboard import errors

from tbexplain_plugin.cache import LRUCache
from tests.plugin import events
from tests.plugin.conftest import make_app


def q(**params: Any) -> str:
    return urllib.parse.urlencode(params)


# The LRU ----------------------------------------------------------------------


def test_lru_keeps_the_most_recently_used_within_its_entries():
    cache = LRUCache(max_entries=2, max_bytes=100)
    cache.put("a", 1, 10)
    cache.put("b", 2, 10)
    assert cache.get("a") == 1  # "a" is now the most recent
    cache.put("c", 3, 10)
    assert cache.get("b") is None
    assert (cache.get("a"), cache.get("c"), len(cache)) == (1, 3, 2)


def test_lru_keeps_within_its_bytes_and_never_keeps_a_too_large_value():
    cache = LRUCache(max_entries=10, max_bytes=100)
    for key in "abcd":
        cache.put(key, key, 30)
    assert [cache.get(k) for k in "abcd"] == [None, "b", "c", "d"]
    cache.put("b", "B", 90)  # replacing counts the new size only
    assert [cache.get(k) for k in "bcd"] == ["B", None, None]
    cache.put("huge", "x", 101)
    assert cache.get("huge") is None and cache.get("b") == "B"


@pytest.mark.parametrize(("entries", "size"), [(0, 10), (10, 0)])
def test_lru_bounds_must_be_positive(entries: int, size: int):
    with pytest.raises(ValueError, match="Received: max_entries"):
        LRUCache(max_entries=entries, max_bytes=size)


def test_lru_is_safe_to_share_between_threads():
    cache = LRUCache(max_entries=50, max_bytes=10_000)

    def work(offset: int) -> None:
        for i in range(2000):
            cache.put((offset, i % 80), i, 1 + i % 7)
            cache.get((offset, (i * 7) % 80))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(cache) == 50


# What the routes keep ---------------------------------------------------------


def step_of(value: int) -> list[bytes]:
    """A valid step whose one map is `value` everywhere (max == value)."""
    return [
        events.manifest(1, columns={"max": [float(value)]}),
        events.png(np.full((2, 2), value, np.uint8)),
    ]


def maxes(body: dict[str, Any]) -> dict[int, float]:
    return {s["step"]: s["manifest"]["columns"]["max"][0] for s in body["steps"]}


def test_a_rewritten_step_serves_its_new_data(tmp_path: Path):
    run_dir = tmp_path / "run"
    events.write_series(run_dir, "x", [step_of(10), step_of(11)], session_start=True)
    app = make_app(tmp_path)
    route = "steps?" + q(run="run", tag="x")
    before = app.get_json(route)
    assert maxes(before) == {0: 10.0, 1: 11.0}
    assert app.get_json("tags")["runs"]["run"]["x"]["max_wall_time"] == 1e9 + 1

    # Training restarts at step 1: same steps and lengths, a later wall time.
    events.write_series(
        run_dir, "x", [step_of(21)], steps=[1], wall_times=[2e9 + 1], session_start=True
    )
    app.reload()
    after = app.get_json(route)
    assert maxes(after) == {0: 10.0, 1: 21.0}
    assert after["steps"][0] == before["steps"][0]
    [new_png] = [app.get(url).data for url in after["steps"][1]["blobs"]]
    assert new_png == step_of(21)[1]
    # The rewritten step's blob gets a URL of its own (same blob key).
    assert after["steps"][1]["blobs"] != before["steps"][1]["blobs"]
    assert app.get_json("tags")["runs"]["run"]["x"]["max_wall_time"] == 2e9 + 1


def test_a_step_that_could_not_be_read_is_served_once_it_can(tmp_path: Path):
    events.write_series(tmp_path / "run", "x", [step_of(10), step_of(11)])
    app = make_app(tmp_path)
    route = "steps?" + q(run="run", tag="x")
    original = app.provider.read_blob
    failures = []

    def evicted_once(ctx: Any = None, *, blob_key: str) -> bytes:
        # The step left the reservoir between the listing and the read,
        # once: what a provider answers then.
        if not failures and b",1,0]" in events.b64decode(blob_key):
            failures.append(blob_key)
            raise errors.NotFoundError("no such step")
        return original(ctx, blob_key=blob_key)

    app.provider.read_blob = evicted_once  # type: ignore[method-assign]
    first = app.get_json(route)
    assert maxes(first) == {0: 10.0}
    assert [s["step"] for s in first["skipped_steps"]] == [1]
    assert "no such step" in first["skipped_steps"][0]["reason"]
    second = app.get_json(route)
    assert maxes(second) == {0: 10.0, 1: 11.0}
    assert second["skipped_steps"] == []
    assert len(failures) == 1


def test_a_series_with_an_unusable_step_is_answered_afresh(tmp_path: Path):
    events.write_series(
        tmp_path / "run", "x", [step_of(10), [b"not json", step_of(11)[1]]]
    )
    app = make_app(tmp_path)
    reads = app.calls_to("read_blob_sequences")
    manifests = app.calls_to("read_blob")
    route = "steps?" + q(run="run", tag="x")
    answers = [app.get_json(route) for _ in range(3)]
    assert answers[0] == answers[1] == answers[2]
    assert maxes(answers[0]) == {0: 10.0}
    assert [s["step"] for s in answers[0]["skipped_steps"]] == [1]
    # Not kept whole (a skipped step may become readable), but no manifest is
    # read twice: the raw bytes of both steps are kept.
    assert len(reads) == 3
    assert len(manifests) == 2
    # A complete answer is kept: polls of it read no step.
    events.write_series(tmp_path / "good", "x", [step_of(10)])
    app.reload()
    good = "steps?" + q(run="good", tag="x")
    assert app.get_json(good) == app.get_json(good)
    assert len(reads) == 4


def test_tags_is_not_kept_while_a_latest_step_is_unusable(tmp_path: Path):
    events.write_series(tmp_path / "run", "x", [step_of(10), step_of(11)])
    app = make_app(tmp_path)
    original = app.provider.read_blob
    failing = [True]

    def flaky(ctx: Any = None, *, blob_key: str) -> bytes:
        if failing[0]:
            raise errors.NotFoundError("no such step")
        return original(ctx, blob_key=blob_key)

    app.provider.read_blob = flaky  # type: ignore[method-assign]
    assert app.get_json("tags")["runs"]["run"]["x"]["samples"] is None
    failing[0] = False
    assert app.get_json("tags")["runs"]["run"]["x"]["samples"] == 1
