"""The built-in entries of the logged-metrics registry: each `tbexplain.metrics`
function fed from one step's `MapSet`.

The metrics that score copies of the input (deletion, insertion, faithfulness
correlation) take the maps at input resolution and the model's inputs, with
the explained input named; those of the map alone (sparseness, complexity)
and those that explain again (max-sensitivity, randomisation) take the maps
as the method computed them, and explain the step's classes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tbexplain import metrics as metrics_lib
from tbexplain.logger.metrics import LoggedMetric, MapSet, MetricFn, register_metric

__all__: list[str] = []


def _copies(which: Callable[..., Any]) -> MetricFn:
    """A metric that scores copies of the explained input (deletion, ...)."""

    def compute(
        model: Any, maps: MapSet, previous: MapSet | None, kwargs: dict[str, Any]
    ) -> np.ndarray:
        if maps.score_fn is not None:
            kwargs = {"score_fn": maps.score_fn, **kwargs}
        return np.asarray(
            which(
                model,
                maps.feed,
                maps.at_input_resolution(),
                maps.class_ids,
                input=maps.input_name,
                **kwargs,
            )
        )

    return compute


def _of_maps(which: Callable[..., Any]) -> MetricFn:
    """A metric of the maps alone."""

    def compute(
        model: Any, maps: MapSet, previous: MapSet | None, kwargs: dict[str, Any]
    ) -> np.ndarray:
        return np.asarray(which(maps.maps, **kwargs))

    return compute


def _explaining(which: Callable[..., Any]) -> MetricFn:
    """A metric that explains again with the step's method and classes."""

    def compute(
        model: Any, maps: MapSet, previous: MapSet | None, kwargs: dict[str, Any]
    ) -> np.ndarray:
        return np.asarray(
            which(
                maps.method,
                model,
                maps.feed,
                maps.targets,
                maps=maps.maps,
                input=maps.input_name,
                **kwargs,
            )
        )

    return compute


def _against_masks(which: Callable[..., Any]) -> MetricFn:
    def compute(
        model: Any, maps: MapSet, previous: MapSet | None, kwargs: dict[str, Any]
    ) -> np.ndarray | None:
        if maps.masks is None:  # the masks mark another input
            return None
        return np.asarray(which(maps.at_input_resolution(), maps.masks, **kwargs))

    return compute


def _drift(
    model: Any, maps: MapSet, previous: MapSet | None, kwargs: dict[str, Any]
) -> np.ndarray | None:
    """Drift of each map against the previous step's map of the same (sample,
    class); NaN where the sample explained another class then."""
    if previous is None or previous.maps.shape[1:] != maps.maps.shape[1:]:
        return None
    before = {key: i for i, key in enumerate(previous.keys())}
    pairs = [(i, before.get(key)) for i, key in enumerate(maps.keys())]
    values = np.full(len(pairs), np.nan)
    matched = [(i, j) for i, j in pairs if j is not None]
    if matched:
        now, then = zip(*matched, strict=True)
        values[list(now)] = metrics_lib.drift(
            previous.maps[list(then)], maps.maps[list(now)], **kwargs
        )
    return values


for _metric in (
    LoggedMetric("deletion", _copies(metrics_lib.deletion)),
    LoggedMetric("insertion", _copies(metrics_lib.insertion)),
    LoggedMetric(
        "faithfulness_correlation", _copies(metrics_lib.faithfulness_correlation)
    ),
    LoggedMetric(
        "pointing_game", _against_masks(metrics_lib.pointing_game), needs_masks=True
    ),
    LoggedMetric(
        "energy_in_mask", _against_masks(metrics_lib.energy_in_mask), needs_masks=True
    ),
    LoggedMetric("drift", _drift),
    LoggedMetric("sparseness", _of_maps(metrics_lib.sparseness)),
    LoggedMetric("complexity", _of_maps(metrics_lib.complexity)),
    LoggedMetric("max_sensitivity", _explaining(metrics_lib.max_sensitivity)),
    LoggedMetric("randomisation", _explaining(metrics_lib.randomisation)),
):
    register_metric(_metric)
