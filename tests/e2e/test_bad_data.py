"""The tab on a logdir with unreadable data: notes for the bad, the good painted.

One run is good; the other has a step whose manifest is corrupt (listed by
/steps under ``skipped_steps``), a series of a newer format version (listed by
/tags under ``skipped``), and a step whose four images are a blob that is not
a PNG, a truncated PNG, a strip of the wrong height for its manifest's
shape/tiles, and one good PNG. Written raw with TensorBoard's event writer.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tensorboard.compat.proto import summary_pb2

from tbexplain_plugin import metadata, plugin_data_pb2
from tests.e2e.conftest import PageProbe, open_tab, screenshot, wait_loaded
from tests.helpers.logdir import INPUTS_TAG, RawSeries, encode_png, write_raw_run
from tests.helpers.tb_server import TensorBoardServer, quote, tensorboard_server

pytestmark = pytest.mark.timeout(120)

SIZE = 8
ROWS = 4
TAG = "explain/gradcam"
NEWER_TAG = "explain/newer"
CELLS = "#view figure.cell canvas"


def _manifest(kind: str, shape: list[int], tiles: int) -> bytes:
    columns = {
        "sample": list(range(ROWS)),
        "min": [0.0] * ROWS,
        "max": [1.0 + i for i in range(ROWS)],
        "label": [i % 2 for i in range(ROWS)],
    }
    if kind == metadata.KIND_EXPLANATION:
        columns["class_id"] = [i % 2 for i in range(ROWS)]
        columns["score"] = [0.5] * ROWS
    return metadata.encode_manifest(
        kind, shape, columns, {0: "zero", 1: "one"}, tiles=tiles
    )


def write_bad_logdir(root: Path) -> None:
    ramp = np.tile(np.arange(SIZE, dtype=np.uint8) * 30, (SIZE, 1))
    good_map = encode_png(ramp)
    maps_strip = encode_png(np.concatenate([ramp] * ROWS))
    inputs_strip = encode_png(np.stack([np.concatenate([ramp] * ROWS)] * 3, -1))
    inputs_meta = metadata.create_summary_metadata(metadata.KIND_INPUTS)
    maps_meta = metadata.create_summary_metadata(
        metadata.KIND_EXPLANATION, method="gradcam", inputs_tag=INPUTS_TAG
    )
    inputs = RawSeries(
        INPUTS_TAG,
        inputs_meta,
        {
            s: [_manifest(metadata.KIND_INPUTS, [SIZE, SIZE, 3], ROWS), inputs_strip]
            for s in (0, 1)
        },
    )
    whole = [_manifest(metadata.KIND_EXPLANATION, [SIZE, SIZE], ROWS), maps_strip]
    write_raw_run(
        root / "good", [inputs, RawSeries(TAG, maps_meta, {0: whole, 1: whole})]
    )
    newer = summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(
            plugin_name=metadata.PLUGIN_NAME,
            content=plugin_data_pb2.ExplainPluginData(
                version=metadata.PROTO_VERSION + 96,
                kind=plugin_data_pb2.ExplainPluginData.EXPLANATION,
                method="gradcam",
            ).SerializeToString(),
        ),
        data_class=summary_pb2.DATA_CLASS_BLOB_SEQUENCE,
    )
    bad_images = [
        b"this blob is not a PNG",
        good_map[: len(good_map) // 2],  # truncated
        encode_png(np.zeros((SIZE + 4, SIZE), np.uint8)),  # 12 rows, shape says 8
        good_map,
    ]
    write_raw_run(
        root / "bad",
        [
            inputs,
            RawSeries(
                TAG,
                maps_meta,
                {
                    0: [b"{corrupt manifest", maps_strip],
                    1: [
                        _manifest(metadata.KIND_EXPLANATION, [SIZE, SIZE], 1),
                        *bad_images,
                    ],
                },
            ),
            RawSeries(NEWER_TAG, newer, {0: [b"{}", good_map]}),
        ],
    )


@pytest.fixture(scope="module")
def bad_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TensorBoardServer]:
    path = tmp_path_factory.mktemp("bad") / "logs"
    write_bad_logdir(path)
    with tensorboard_server(path, reload_interval=1) as tb:
        wait_loaded(tb, ("good",), [TAG, INPUTS_TAG], 2)
        wait_loaded(tb, ("bad",), [TAG], 1)
        tb.wait_for(
            "/data/plugin/tbexplain/tags",
            lambda body: any(s["tag"] == NEWER_TAG for s in body["skipped"]),
        )
        yield tb


class ConsoleErrors:
    """The page's console errors, except failed loads of the given URLs: the
    404s the plugin answers for blobs that are not whole PNGs (by design; the
    browser logs every failed load), and the browser's own favicon request."""

    def __init__(self, page: Any, allowed_urls: set[str]) -> None:
        self.errors: list[str] = []
        self.allowed = allowed_urls
        page.on("console", self._on)

    def _on(self, msg: Any) -> None:
        if msg.type != "error":
            return
        url = (msg.location or {}).get("url", "")
        if msg.text.startswith("Failed to load resource") and any(
            a in url for a in self.allowed
        ):
            return
        self.errors.append(f"{msg.text} ({url})")


def test_bad_blobs_and_skipped_data_show_notes_and_never_throw(
    bad_server: TensorBoardServer, probe: PageProbe
) -> None:
    body = bad_server.get_json(f"/data/plugin/tbexplain/steps?run=bad&tag={quote(TAG)}")
    assert [s["step"] for s in body["skipped_steps"]] == [0]
    [entry] = body["steps"]
    # The plugin answers 404 for a blob that is not a whole PNG: the one that
    # is no PNG at all and the truncated one.
    not_png, truncated = entry["blobs"][:2]
    console = ConsoleErrors(probe.page, {not_png, truncated, "/favicon.ico"})
    page = open_tab(probe.page, bad_server)

    # The series /tags skipped has a visible note naming it and why.
    newer = page.locator(f"#skipped-series .note[data-tag='{NEWER_TAG}']")
    assert newer.is_visible()
    assert "newer than this plugin understands" in newer.inner_text()
    # The step /steps skipped has a note in its series' block.
    bad = page.locator("#view section.series[data-run=bad]")
    skipped = bad.locator(".note[data-skipped]")
    assert skipped.is_visible()
    assert "step 0" in skipped.inner_text() and "corrupt" in skipped.inner_text()

    # The good run is painted in full.
    good = page.locator("#view section.series[data-run=good]")
    assert good.locator("canvas[data-painted=true]").count() == ROWS
    # The bad step: three cells marked (not a PNG, truncated, wrong height),
    # one painted.
    cells = bad.locator("figure.cell canvas")
    assert cells.count() == ROWS
    broken = [cells.nth(i).get_attribute("data-broken") for i in range(ROWS)]
    assert broken == ["true", "true", "true", None]
    assert cells.nth(3).get_attribute("data-painted") == "true"
    assert "manifest says it holds 1 image(s) of 8 x 8" in (
        cells.nth(2).get_attribute("title") or ""
    )
    screenshot(page, "bad_data")

    # The other explanation views take the same data without an uncaught error.
    for view in ("epochs", "compare"):
        page.click(f"button[data-view={view}]")
        page.wait_for_selector(
            "#view[data-state=ready][data-complete=true]", timeout=30_000
        )
        assert page.locator("#skipped-series .note").count() == 1
    assert console.errors == []
    # The probe fixture fails the test on any uncaught page error.
