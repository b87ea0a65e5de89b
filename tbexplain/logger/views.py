"""The jobs of the views that are not attributions: activations, filters, stages."""

from __future__ import annotations

from typing import Any

import numpy as np

from tbexplain import summary
from tbexplain.logger.faults import rewrap
from tbexplain.logger.jobs import Job, StepContext, WriteContext
from tbexplain.logger.naming import SeriesKey
from tbexplain.logger.probe import Probe
from tbexplain.logger.targeting import TargetPlan
from tbexplain.methods.activations import Activations
from tbexplain.methods.filter_visualization import FilterImages, FilterVisualization
from tbexplain.pipeline import Stages

__all__ = ["ActivationsJob", "FiltersJob", "StagesJob"]


def _cannot_apply(entry: Any, model: Any, err: Exception) -> Exception:
    return rewrap(
        err, f"{type(entry).__name__} cannot apply to model '{model.name}': {err}"
    )


class ActivationsJob(Job):
    """Feature maps of the probe at chosen layers: one series per layer."""

    def __init__(self, view: Activations) -> None:
        self.view = view
        self.layers: list[str] = []
        self.inputs_tag = ""

    def bind(
        self, model: Any, probe: Probe, plan: TargetPlan, inputs_tags: dict[str, str]
    ) -> list[SeriesKey]:
        try:
            self.layers = self.view.layer_names(model)
        except Exception as err:
            raise _cannot_apply(self.view, model, err) from err
        self.inputs_tag = next(iter(inputs_tags.values()), "")
        return [SeriesKey("activations", path, qualify=True) for path in self.layers]

    def run(self, ctx: StepContext) -> list[tuple[np.ndarray, np.ndarray]]:
        views = self.view.compute(ctx.model, ctx.x)
        return [views[path] for path in self.layers]

    def write(
        self, output: list[tuple[np.ndarray, np.ndarray]], ctx: WriteContext
    ) -> None:
        for name, path, (maps, channels) in zip(
            self.names, self.layers, output, strict=True
        ):
            summary.activations(
                name.tag,
                maps,
                step=ctx.step,
                layer=path,
                channels=channels,
                inputs=self.inputs_tag,
                description=f"Feature maps of layer `{path}`, the most active first.",
            )

    def arrays(self, output: list[tuple[np.ndarray, np.ndarray]]) -> list[np.ndarray]:
        return [maps for maps, _ in output]


class FiltersJob(Job):
    """Images that maximise filters of one layer (no probe needed): one series."""

    def __init__(self, view: FilterVisualization) -> None:
        self.view = view
        self.layer = ""

    def bind(
        self, model: Any, probe: Probe, plan: TargetPlan, inputs_tags: dict[str, str]
    ) -> list[SeriesKey]:
        try:
            self.layer = self.view.layer_name(model)
        except Exception as err:
            raise _cannot_apply(self.view, model, err) from err
        return [SeriesKey("filters", self.layer, qualify=True)]

    def run(self, ctx: StepContext) -> FilterImages:
        return self.view.compute(ctx.model)

    def write(self, output: FilterImages, ctx: WriteContext) -> None:
        (name,) = self.names
        summary.filters(
            name.tag,
            output.images,
            step=ctx.step,
            layer=self.layer,
            filter_ids=output.filter_ids,
            objectives=output.objectives,
            description=f"Inputs that maximise filters of layer `{self.layer}`.",
        )

    def arrays(self, output: FilterImages) -> list[np.ndarray]:
        return [output.images]


class StagesJob(Job):
    """Samples of named input-pipeline stages, written once per writer."""

    once = True

    def __init__(self, stages: Stages) -> None:
        self.stages = stages

    def bind(
        self, model: Any, probe: Probe, plan: TargetPlan, inputs_tags: dict[str, str]
    ) -> list[SeriesKey]:
        return [
            SeriesKey("pipeline", stage, qualify=True) for stage in self.stages.stages
        ]

    def run(self, ctx: StepContext) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
        return self.stages.read()

    def write(
        self, output: dict[str, tuple[np.ndarray, np.ndarray | None]], ctx: WriteContext
    ) -> None:
        Stages.write(
            output,
            [name.tag for name in self.names],
            ctx.step,
            self.stages.class_names or ctx.class_names,
        )

    def arrays(
        self, output: dict[str, tuple[np.ndarray, np.ndarray | None]]
    ) -> list[np.ndarray]:
        return [images for images, _ in output.values()]


class TargetRegionJob(Job):
    """Each sample's region of a segmentation target (`tbx.targets.segment`),
    written every step beside the maps, which name it as their mask."""

    def __init__(self, target: Any) -> None:
        self.target = target

    def bind(
        self, model: Any, probe: Probe, plan: TargetPlan, inputs_tags: dict[str, str]
    ) -> list[SeriesKey]:
        return [SeriesKey("target_region")]

    def run(self, ctx: StepContext) -> np.ndarray:
        regions = self.target.regions(
            ctx.model(ctx.x, training=False), np.arange(ctx.probe.n)
        )
        return np.asarray(regions, np.float32)

    def write(self, output: np.ndarray, ctx: WriteContext) -> None:
        (name,) = self.names
        summary.inputs(
            name.tag,
            (output[..., None] > 0.5).astype(np.uint8) * 255,
            step=ctx.step,
            stage="target region",
            description=f"Each sample's region of the target {self.target.__name__}.",
        )

    def arrays(self, output: np.ndarray) -> list[np.ndarray]:
        return [output]
