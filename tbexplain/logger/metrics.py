"""The metrics a logger writes beside its maps: a registry, and the one place they run.

Each `LoggedMetric` turns one step's maps of one attribution series (a
`MapSet`) into one value per map; the logger writes their mean (ignoring NaN,
which marks maps where a metric is undefined) as the scalar
``{prefix}/metrics/{series}/{metric}``. Metrics run on the caller's thread,
right after the method that made the maps, because some of them call the
model, which training changes as soon as the logger returns. Add one with
`register_metric`; the names users pass as ``metrics=`` are the registry's
(the built-in ones are registered by `tbexplain.logger.builtin_metrics`). A
metric may run on its own schedule (`tbexplain.logger.every`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import tensorflow as tf

from tbexplain import kinds
from tbexplain.logger.schedule import Every
from tbexplain.methods.compiled import resize_map

__all__ = ["REGISTRY", "LoggedMetric", "MapSet", "MetricsRunner", "register_metric"]


@dataclass
class MapSet:
    """One step's maps of one attribution series, with what metrics compare them to.

    Attributes:
      maps: float32 [N, ...], as the method computed them (a CAM at its
        layer's resolution).
      samples: The probe sample of each map [N].
      class_ids: The class each map explains [N], or None (callable targets).
      inputs: The explained input of each map [N, ...] (float32).
      masks: The ground-truth mask of each map [N, H, W], or None.
      score_fn: For callable targets, the explained score as the metrics of
        `tbexplain.metrics` take it (``f(outputs, class_ids) -> [N]``).
      spatial: The positions of the explained input a map at its resolution
        covers ([H, W] for images, [T] for tokens, ...); by default what
        the kind of the inputs' rank covers (`tbexplain.kinds.of_input`).
      model_inputs: Every input of the model for each map, as the model
        takes them (a dict by input name for several); None: `inputs`.
      input_name: The explained input's name, for a model of several.
      method: The attribution method that made the maps.
      targets: What the maps explain, as ``targets=`` of the method: the
        class ids, or the callable target.
    """

    maps: np.ndarray
    samples: np.ndarray
    class_ids: np.ndarray | None
    inputs: np.ndarray
    masks: np.ndarray | None = None
    score_fn: Callable[[Any, Any], Any] | None = None
    spatial: tuple[int, ...] | None = None
    model_inputs: Any = None
    input_name: str | None = None
    method: Any = None
    targets: Any = None
    _upsampled: np.ndarray | None = field(default=None, repr=False)

    def at_input_resolution(self) -> np.ndarray:
        """The maps resized bilinearly to the inputs' resolution (computed once)."""
        if self._upsampled is None:
            spatial = self.spatial
            if spatial is None:
                kind = kinds.of_input(self.inputs.ndim - 1)
                shape = self.inputs.shape[1:]
                spatial = tuple(kind.map_shape(shape) if kind else shape)
            self._upsampled = (
                self.maps
                if self.maps.shape[1:] == spatial
                else resize_map(tf.constant(self.maps), spatial).numpy()
            )
        return self._upsampled

    @property
    def feed(self) -> Any:
        """What the model takes for these maps' samples."""
        return self.inputs if self.model_inputs is None else self.model_inputs

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


def _mean(values: np.ndarray) -> float:
    """The mean of per-map values ignoring NaN (NaN when none is finite)."""
    values = np.asarray(values, dtype=np.float64)
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")


class MetricsRunner:
    """The metrics chosen by ``metrics=``, run over each attribution series' maps.

    Args:
      spec: ``"auto"`` (``pointing_game`` when masks are given, else none),
        None, a name, a list of names, or a dict of name -> keyword arguments
        of the metric's function; a name may be wrapped in
        `tbexplain.logger.every` (``every(5, "randomisation")``, also as a
        dict key) to run at every n-th logged step only.
      has_masks: Whether the probe has ground-truth masks.

    Attributes:
      chosen: name -> keyword arguments of each chosen metric.
      explicit: Whether metrics were asked for (not ``"auto"``).

    Raises:
      ValueError, TypeError: an unknown metric, or one that needs masks
        without them.
    """

    def __init__(self, spec: Any, has_masks: bool) -> None:
        self.explicit = not (isinstance(spec, str) and spec == "auto")
        self._every: dict[str, int] = {}
        self.chosen: dict[str, dict[str, Any]] = self._parse(spec, has_masks)

    def _parse(self, spec: Any, has_masks: bool) -> dict[str, dict[str, Any]]:
        if isinstance(spec, str) and spec == "auto":
            return {"pointing_game": {}} if has_masks else {}
        if spec is None:
            return {}
        if isinstance(spec, (str, Every)):
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
        chosen = {}
        for entry, kwargs in items:
            key = entry.entry if isinstance(entry, Every) else entry
            if not isinstance(key, str) or key not in REGISTRY:
                raise ValueError(
                    f"Unknown metric; choose from {tuple(REGISTRY)}. Received: {key!r}"
                )
            if REGISTRY[key].needs_masks and not has_masks:
                raise ValueError(
                    f"Metric {key!r} needs ground-truth masks: pass masks=[B, H, W]. "
                    "Received: masks=None"
                )
            if isinstance(entry, Every):
                self._every[key] = entry.n
            chosen[key] = kwargs
        return chosen

    def __bool__(self) -> bool:
        return bool(self.chosen)

    def due(self, name: str, step: int | None) -> bool:
        """Whether metric `name` runs at `step` (None: the dry run)."""
        n = self._every.get(name)
        return n is None or step is None or step % n == 0

    def run(
        self,
        model: Any,
        maps: MapSet,
        previous: MapSet | None,
        on_error: Callable[[str, Exception], None],
        *,
        step: int | None = None,
        on_undefined: Callable[[str, int, int], None] | None = None,
    ) -> dict[str, float]:
        """{metric: mean value} of the chosen metrics due at `step` that apply.

        A metric that raises is left out and reported to ``on_error(name,
        err)``; one undefined (NaN) for some maps is the mean of the others
        (NaN when none), reported to ``on_undefined(name, count, total)``.
        """
        values: dict[str, float] = {}
        for name, kwargs in self.chosen.items():
            if not self.due(name, step):
                continue
            try:
                per_map = REGISTRY[name].compute(model, maps, previous, dict(kwargs))
            except Exception as err:
                on_error(name, err)
                continue
            if per_map is None:
                continue
            per_map = np.asarray(per_map, dtype=np.float64)
            undefined = int(np.count_nonzero(~np.isfinite(per_map)))
            if undefined and on_undefined is not None:
                on_undefined(name, undefined, per_map.size)
            values[name] = _mean(per_map)
        return values
