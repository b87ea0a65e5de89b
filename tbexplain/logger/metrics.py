"""The metrics a logger writes beside its maps: a registry, and the one place they run.

Each `LoggedMetric` turns one step's maps of one attribution series (a
`MapSet`) into one value per map; the logger writes their mean (ignoring NaN,
which marks maps where a metric is undefined) as the scalar
``{prefix}/metrics/{series}/{metric}``. Metrics run on the caller's thread,
right after the method that made the maps, because some of them call the
model, which training changes as soon as the logger returns. Add one with
`register_metric`; the names users pass as ``metrics=`` are the registry's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import tensorflow as tf

from tbexplain import metrics as metrics_lib
from tbexplain.methods.base import resize_map

__all__ = ["REGISTRY", "LoggedMetric", "MapSet", "MetricsRunner", "register_metric"]


@dataclass
class MapSet:
    """One step's maps of one attribution series, with what metrics compare them to.

    Attributes:
      maps: float32 [N, ...], as the method computed them (a CAM at its
        layer's resolution).
      samples: The probe sample of each map [N].
      class_ids: The class each map explains [N], or None (callable targets).
      inputs: The model's inputs of each map [N, ...] (float32).
      masks: The ground-truth mask of each map [N, H, W], or None.
      score_fn: For callable targets, the explained score as the metrics of
        `tbexplain.metrics` take it (``f(outputs, class_ids) -> [N]``).
      model_inputs: How many inputs the model takes.
      spatial: The positions of the explained input a map at its resolution
        covers ([H, W] for images, [T] for tokens, ...); by default the
        inputs' shape without batch and channels.
    """

    maps: np.ndarray
    samples: np.ndarray
    class_ids: np.ndarray | None
    inputs: np.ndarray
    masks: np.ndarray | None = None
    score_fn: Callable[[Any, Any], Any] | None = None
    model_inputs: int = 1
    spatial: tuple[int, ...] | None = None
    _upsampled: np.ndarray | None = field(default=None, repr=False)

    def at_input_resolution(self) -> np.ndarray:
        """The maps resized bilinearly to the inputs' resolution (computed once)."""
        if self._upsampled is None:
            spatial = self.spatial or tuple(self.inputs.shape[1:-1])
            self._upsampled = (
                self.maps
                if self.maps.shape[1:] == spatial
                else resize_map(tf.constant(self.maps), spatial).numpy()
            )
        return self._upsampled

    def keys(self) -> list[tuple[int, int]]:
        """(sample, class) of each map; class -1 for callable targets."""
        classes = (
            self.class_ids
            if self.class_ids is not None
            else np.full(len(self.samples), -1)
        )
        return list(zip(self.samples.tolist(), classes.tolist(), strict=True))


MetricFn = Callable[[Any, MapSet, "MapSet | None", dict[str, Any]], "np.ndarray | None"]


@dataclass(frozen=True)
class LoggedMetric:
    """A metric the logger can write.

    Attributes:
      name: The key users pass in ``metrics=``.
      compute: ``f(model, maps, previous, kwargs) -> values [N] or None``:
        `previous` is the same series' `MapSet` of the previous logged step
        (None at the first); None means "not computable at this step".
      needs_masks: Whether the metric compares maps with ground-truth masks.
    """

    name: str
    compute: MetricFn
    needs_masks: bool = False


REGISTRY: dict[str, LoggedMetric] = {}


def register_metric(metric: LoggedMetric) -> LoggedMetric:
    """Adds `metric` to `REGISTRY` (a name may be registered once)."""
    if metric.name in REGISTRY and REGISTRY[metric.name] is not metric:
        raise ValueError(f"Metric name {metric.name!r} is already registered.")
    REGISTRY[metric.name] = metric
    return metric


def _curve(which: Callable[..., Any]) -> MetricFn:
    def compute(
        model: Any, maps: MapSet, previous: MapSet | None, kwargs: dict[str, Any]
    ) -> np.ndarray:
        if maps.model_inputs != 1 or maps.inputs.ndim not in (3, 4):
            raise ValueError(
                "deletion and insertion perturb a model's only input, images or "
                f"sequences. Received: a model of {maps.model_inputs} inputs, "
                f"inputs of shape {maps.inputs.shape}"
            )
        if maps.score_fn is not None:
            kwargs = {"score_fn": maps.score_fn, **kwargs}
        return np.asarray(
            which(
                model, maps.inputs, maps.at_input_resolution(), maps.class_ids, **kwargs
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
    LoggedMetric("deletion", _curve(metrics_lib.deletion)),
    LoggedMetric("insertion", _curve(metrics_lib.insertion)),
    LoggedMetric(
        "pointing_game", _against_masks(metrics_lib.pointing_game), needs_masks=True
    ),
    LoggedMetric(
        "energy_in_mask", _against_masks(metrics_lib.energy_in_mask), needs_masks=True
    ),
    LoggedMetric("drift", _drift),
):
    register_metric(_metric)


def _mean(values: np.ndarray) -> float:
    """The mean of per-map values ignoring NaN (NaN when none is finite)."""
    values = np.asarray(values, dtype=np.float64)
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")


class MetricsRunner:
    """The metrics chosen by ``metrics=``, run over each attribution series' maps.

    Args:
      spec: ``"auto"`` (``pointing_game`` when masks are given, else none),
        None, a name, a list of names, or a dict of name -> keyword arguments
        of the metric's function.
      has_masks: Whether the probe has ground-truth masks.

    Raises:
      ValueError, TypeError: an unknown metric, or one that needs masks
        without them.
    """

    def __init__(self, spec: Any, has_masks: bool) -> None:
        self.chosen: dict[str, dict[str, Any]] = self._parse(spec, has_masks)

    @staticmethod
    def _parse(spec: Any, has_masks: bool) -> dict[str, dict[str, Any]]:
        if spec == "auto":
            return {"pointing_game": {}} if has_masks else {}
        if spec is None:
            return {}
        if isinstance(spec, str):
            spec = [spec]
        if isinstance(spec, Mapping):
            items = [(k, dict(v or {})) for k, v in spec.items()]
        elif isinstance(spec, Sequence):
            items = [(k, {}) for k in spec]
        else:
            raise TypeError(
                "metrics must be 'auto', None, a list of names or a dict of name -> "
                f"keyword arguments. Received: metrics={spec!r}"
            )
        for key, _ in items:
            if key not in REGISTRY:
                raise ValueError(
                    f"Unknown metric; choose from {tuple(REGISTRY)}. Received: {key!r}"
                )
            if REGISTRY[key].needs_masks and not has_masks:
                raise ValueError(
                    f"Metric {key!r} needs ground-truth masks: pass masks=[B, H, W]. "
                    "Received: masks=None"
                )
        return dict(items)

    def __bool__(self) -> bool:
        return bool(self.chosen)

    def run(
        self,
        model: Any,
        maps: MapSet,
        previous: MapSet | None,
        on_error: Callable[[str, Exception], None],
    ) -> dict[str, float]:
        """{metric: mean value} of the chosen metrics that apply at this step.

        A metric that raises is left out and reported to ``on_error(name, err)``.
        """
        values: dict[str, float] = {}
        for name, kwargs in self.chosen.items():
            try:
                per_map = REGISTRY[name].compute(model, maps, previous, dict(kwargs))
            except Exception as err:
                on_error(name, err)
                continue
            if per_map is not None:
                values[name] = _mean(per_map)
        return values
