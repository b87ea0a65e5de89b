"""The verdict follows the model's own prediction (the manifest's `predicted`
column), not the class explained: explaining the label of a sample the model
gets wrong must show it as incorrect."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tbexplain_plugin import metadata
from tests.e2e.conftest import PageProbe, open_tab, wait_loaded
from tests.helpers.logdir import RawSeries, encode_png, write_raw_run
from tests.helpers.tb_server import TensorBoardServer, tensorboard_server

pytestmark = pytest.mark.timeout(120)

TAG = "explain/gradcam_label"
SIZE = 8
LABELS = [0, 1, 2, 0]
# The model gets samples 1 and 3 wrong; the maps explain the label (targets="label"),
# scored highest, so the old rule (top-scoring map = prediction) calls all correct.
PREDICTED = [0, 2, 2, 1]
NAMES = {0: "circle", 1: "square", 2: "triangle"}
CELLS = "#view figure.cell canvas"


def write_run(root: Path) -> None:
    rows = len(LABELS)
    ramp = np.tile(np.arange(SIZE, dtype=np.uint8) * 30, (SIZE * rows, 1))
    manifest = metadata.encode_manifest(
        metadata.KIND_EXPLANATION,
        [SIZE, SIZE],
        {
            "sample": list(range(rows)),
            "class_id": LABELS,
            "score": [2.0] * rows,
            "label": LABELS,
            "predicted": PREDICTED,
            "min": [0.0] * rows,
            "max": [1.0] * rows,
        },
        NAMES,
        tiles=rows,
    )
    meta = metadata.create_summary_metadata(metadata.KIND_EXPLANATION, method="gradcam")
    write_raw_run(
        root / "run", [RawSeries(TAG, meta, {0: [manifest, encode_png(ramp)]})]
    )


@pytest.fixture(scope="module")
def predicted_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[TensorBoardServer]:
    path = tmp_path_factory.mktemp("predicted") / "logs"
    write_run(path)
    with tensorboard_server(path, reload_interval=1) as tb:
        wait_loaded(tb, ("run",), [TAG], 1)
        yield tb


def shown_samples(page: Any) -> list[str]:
    return list(
        page.locator("#view figcaption").evaluate_all(
            "(els) => els.map((e) => e.firstChild.textContent)"
        )
    )


def test_correctness_uses_the_predicted_column(
    predicted_server: TensorBoardServer, probe: PageProbe
) -> None:
    page = open_tab(probe.page, predicted_server, "ok=incorrect")
    assert shown_samples(page) == ["sample 1", "sample 3"]
    caption = page.locator("#view figcaption").first.inner_text()
    assert "label square ✗ (predicted triangle)" in caption
    page.select_option("#correctness", "correct")
    page.wait_for_selector("#view[data-state=ready][data-complete=true]")
    assert shown_samples(page) == ["sample 0", "sample 2"]
    assert page.locator(CELLS + "[data-painted=true]").count() == 2
