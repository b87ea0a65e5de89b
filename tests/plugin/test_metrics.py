"""GET metrics: a series' metric scalars (``P/metrics/S/<metric>``), through WSGI."""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from tests.plugin import events
from tests.plugin.conftest import TINY_PNG, make_app


def q(**params: Any) -> str:
    return urllib.parse.urlencode(params)


def point(step: int, value: float | None) -> dict[str, Any]:
    return {"step": step, "wall_time": 1e9 + step, "value": value}


@pytest.fixture
def logdir(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    for tag in ("explain/gradcam", "explain/gradcam/conv2", "explain/saliency"):
        events.write_series(run, tag, [[events.manifest(1), TINY_PNG]])
    # Written out of order: served by ascending step.
    events.write_scalars(
        run,
        "explain/metrics/gradcam/pointing_game",
        [(2, 0.5), (0, 0.25), (1, float("nan"))],
    )
    events.write_scalars(run, "explain/metrics/gradcam/deletion", [(0, float("inf"))])
    events.write_scalars(
        run, "explain/metrics/gradcam/conv2/pointing_game", [(0, 0.875)]
    )
    events.write_scalars(run, "explain/metrics/saliency_extra/x", [(0, 1.0)])
    events.write_scalars(run, "epoch_loss", [(0, 1.0)])
    events.write_scalars(
        tmp_path / "other", "explain/metrics/gradcam/drift", [(0, 1.0)]
    )
    return tmp_path


def test_metrics_of_a_series_are_its_scalars_by_ascending_step(logdir: Path):
    app = make_app(logdir)
    body = app.get_json("metrics?" + q(run="run", tag="explain/gradcam"))
    assert body == {
        "run": "run",
        "tag": "explain/gradcam",
        "metrics": {
            "deletion": [point(0, None)],  # non-finite: null
            "pointing_game": [point(0, 0.25), point(1, None), point(2, 0.5)],
        },
    }


def test_metrics_of_a_layer_series_are_not_its_methods(logdir: Path):
    app = make_app(logdir)
    body = app.get_json("metrics?" + q(run="run", tag="explain/gradcam/conv2"))
    assert body["metrics"] == {"pointing_game": [point(0, 0.875)]}


def test_a_series_without_metrics_has_none(logdir: Path):
    app = make_app(logdir)
    body = app.get_json("metrics?" + q(run="run", tag="explain/saliency"))
    assert body == {"run": "run", "tag": "explain/saliency", "metrics": {}}


@pytest.mark.parametrize(
    "params",
    [
        {"run": "run", "tag": "epoch_loss"},  # a scalar, not a tbexplain series
        {"run": "other", "tag": "explain/gradcam"},  # metrics, no series
        {"run": "nope", "tag": "explain/gradcam"},
    ],
)
def test_metrics_of_an_unknown_series_are_404(logdir: Path, params: dict[str, str]):
    app = make_app(logdir)
    assert app.get_json("metrics?" + q(**params), status=404)["error"]
