"""Hostile logdirs and requests against a real tensorboard, both loaders (issue 18).

Every case answers 200 with the bad series under ``skipped`` or the bad
steps under ``skipped_steps`` (or a 4xx for a bad request), and the rest of
the logdir stays served. The cases are written by `tests.plugin.hostile`.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.helpers.logdir import INPUTS_TAG
from tests.helpers.tb_server import quote
from tests.plugin import hostile
from tests.plugin.conftest import Served

pytestmark = pytest.mark.slow


def steps_route(run: str, tag: str) -> str:
    return f"steps?run={quote(run)}&tag={quote(tag)}"


def served(body: dict[str, Any]) -> list[int]:
    return [s["step"] for s in body["steps"]]


def skipped(body: dict[str, Any]) -> dict[int, str]:
    return {s["step"]: s["reason"] for s in body["skipped_steps"]}


def settled(
    hs: Served, run: str, tag: str, steps: list[int], bad: set[int]
) -> dict[str, Any]:
    """The /steps answer once it serves `steps` and skips only steps of `bad`
    (data loads asynchronously: polled, errors retried)."""
    return hs.wait_for(
        steps_route(run, tag),
        lambda b: served(b) == steps and set(skipped(b)) <= bad,
    )


def check_blobs(hs: Served, body: dict[str, Any]) -> None:
    for entry in body["steps"]:
        for url in entry["blobs"]:
            status, headers, data = hs.get(url)
            assert status == 200 and headers["Content-Type"] == "image/png"
            assert data.startswith(b"\x89PNG")


def test_tags_serves_every_run_beside_the_hostile_series(hostile_server: Served):
    expected = {
        (hostile.GOOD_RUN, INPUTS_TAG),
        (hostile.GOOD_RUN, hostile.GOOD_TAG),
        ("nested", "explain/deep_latest"),
        ("nested", "explain/deep_column"),
        ("bomb", "explain/bomb"),
        ("versions", "explain/versions"),
        ("tagnames", hostile.QUOTED_TAG),
        *((run, hostile.GOOD_TAG) for run in hostile.QUOTED_RUNS),
        *(("tensors", f"explain/{name}") for name in hostile.BAD_TENSORS),
    }

    def listed(body: dict[str, Any]) -> set[tuple[str, str]]:
        return {(run, tag) for run, tags in body["runs"].items() for tag in tags}

    body = hostile_server.wait_for("tags", lambda b: expected <= listed(b))
    assert {(s["run"], s["tag"]) for s in body["skipped"]} == {
        ("future", "explain/future"),
        ("corrupt", "explain/corrupt"),
    }
    runs = body["runs"]
    assert runs[hostile.GOOD_RUN][hostile.GOOD_TAG]["samples"] == 2
    assert runs[hostile.GOOD_RUN][hostile.GOOD_TAG]["max_step"] == 2
    # An unusable latest step gives no row count; the series stays listed.
    assert runs["nested"]["explain/deep_latest"]["samples"] is None
    assert runs["bomb"]["explain/bomb"]["samples"] is None
    for name in hostile.BAD_TENSORS:
        # The Rust data server drops a step that is not a rank-1 string
        # tensor when loading it; the Python loader keeps it.
        samples = runs["tensors"][f"explain/{name}"]["samples"]
        assert samples == (None if hostile_server.mode == "false" else 1), name


def test_deeply_nested_manifests_are_skipped_steps(hostile_server: Served):
    body = settled(hostile_server, "nested", "explain/deep_latest", [0], {1})
    assert "corrupt" in skipped(body)[1]
    body = settled(hostile_server, "nested", "explain/deep_column", [1], {0})
    assert "corrupt" in skipped(body)[0]
    check_blobs(hostile_server, body)


@pytest.mark.parametrize("name", hostile.BAD_TENSORS)
def test_steps_that_are_not_rank_1_string_tensors_are_skipped(
    hostile_server: Served, name: str
):
    body = settled(hostile_server, "tensors", f"explain/{name}", [0], {1})
    if hostile_server.mode == "false":
        assert "string" in skipped(body)[1]
    check_blobs(hostile_server, body)


@pytest.mark.parametrize(
    ("run", "tag"),
    [(run, hostile.GOOD_TAG) for run in hostile.QUOTED_RUNS]
    + [("tagnames", hostile.QUOTED_TAG)],
)
def test_names_with_quotes_backslashes_and_control_characters(
    hostile_server: Served, run: str, tag: str
):
    body = hostile_server.wait_for(
        steps_route(run, tag),
        lambda b: sorted(served(b) + list(skipped(b))) == [0, 1],
    )
    assert body["run"] == run and body["tag"] == tag
    if hostile_server.mode == "false":
        assert served(body) == [0, 1]
    check_blobs(hostile_server, body)


def test_a_zlib_bomb_manifest_is_a_skipped_step(hostile_server: Served):
    body = settled(hostile_server, "bomb", "explain/bomb", [0], {1})
    assert "decompressed" in skipped(body)[1]


def test_manifest_versions_that_are_not_known_ints_are_skipped(
    hostile_server: Served,
):
    bad = set(range(len(hostile.BAD_VERSIONS)))
    body = settled(hostile_server, "versions", "explain/versions", [len(bad)], bad)
    assert set(skipped(body)) == bad
    assert all("version" in reason for reason in skipped(body).values())


@pytest.mark.parametrize(
    ("run", "tag"), [("future", "explain/future"), ("corrupt", "explain/corrupt")]
)
def test_steps_of_a_series_that_tags_skips_are_not_served(
    hostile_server: Served, run: str, tag: str
):
    tags = hostile_server.wait_for(
        "tags", lambda b: any(s["run"] == run for s in b["skipped"])
    )
    [reason] = [s["reason"] for s in tags["skipped"] if s["run"] == run]
    body = hostile_server.wait_for(
        steps_route(run, tag), lambda b: set(skipped(b)) == {0, 1}
    )
    assert body["steps"] == []
    assert set(skipped(body).values()) == {reason}


@pytest.mark.parametrize(
    "payload", [b"[" * 1000, b'{"a":' * 1000, b"[" * 20_000, b'["' + b"\\" * 999]
)
def test_blob_keys_of_deeply_nested_json_are_404(hostile_server: Served, payload):
    key = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    body = hostile_server.get_json(f"blob?key={key}", status=404)
    assert body["error"]


def test_the_good_run_stays_served(hostile_server: Served):
    body = settled(
        hostile_server, hostile.GOOD_RUN, hostile.GOOD_TAG, hostile.GOOD_STEPS, set()
    )
    assert skipped(body) == {}
    check_blobs(hostile_server, body)
