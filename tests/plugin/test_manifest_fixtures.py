"""The golden manifests of ``tests/fixtures/manifests/``: Python's one decoder
(`metadata.manifest_items`, which `tbx.read`'s ``Step.manifest`` is) gives
each fixture's rows from what was stored and from what /steps serves. The
frontend's unit tests (``frontend/test/manifests.test.ts``) hold its
`expandManifest` to the same files."""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import pytest

from tbexplain_plugin import metadata, reading

FIXTURES = sorted((Path(__file__).parents[1] / "fixtures" / "manifests").glob("*.json"))


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def test_there_are_fixtures_for_every_kind_of_series():
    kinds = {load(path)["stored"]["kind"] for path in FIXTURES}
    assert len(FIXTURES) >= 6
    assert {"explanation", "inputs", "activations"} <= kinds


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_stored_manifests_are_served_and_decoded_as_the_fixture_says(path: Path):
    fixture = load(path)
    raw = json.dumps(fixture["stored"]).encode()
    manifest = metadata.parse_manifest(raw)
    rows = len(fixture["items"])
    blobs = metadata.blob_count(rows, metadata.manifest_tiles(manifest))
    assert reading.checked_manifest(raw, blobs) == fixture["served"]
    assert metadata.manifest_items(manifest) == fixture["items"]
    assert metadata.manifest_items(fixture["served"]) == fixture["items"]
    # Compressed as the writer stores it: the same rows.
    zipped = metadata.parse_manifest(zlib.compress(raw))
    assert metadata.manifest_items(zipped) == fixture["items"]
    assert manifest.get("target_name") == fixture.get("target_name")
