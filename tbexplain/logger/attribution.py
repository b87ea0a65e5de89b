"""The job of an attribution method: maps of the probe, their metrics, one series."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import tensorflow as tf

from tbexplain import summary
from tbexplain.logger.faults import rewrap
from tbexplain.logger.jobs import Job, StepContext, WriteContext
from tbexplain.logger.metrics import MapSet
from tbexplain.logger.naming import SeriesKey
from tbexplain.logger.probe import Probe
from tbexplain.logger.targeting import TargetPlan
from tbexplain.methods.base import Method

__all__ = ["AttributionJob"]


@dataclass
class AttributionOutput:
    """One step of an attribution series."""

    maps: np.ndarray
    metrics: dict[str, float] = field(default_factory=dict)


class AttributionJob(Job):
    """Runs a `tbexplain.methods.Method` on the probe at every logged step.

    Maps are kept at the resolution the method computes them (a CAM at its
    layer's, ``upsample=False``): the plugin upsamples them over the inputs,
    and the PNGs are that much smaller to encode, store and load. The first
    method of a step chooses the explained classes (from its own forward pass
    for the predicted class); the others explain the same ones.
    """

    def __init__(self, method: Method) -> None:
        self.method = method
        self.layer: str | None = None
        self.description = ""
        self._previous: MapSet | None = None

    def bind(self, model: Any, probe: Probe, plan: TargetPlan) -> list[SeriesKey]:
        try:
            self.layer = self.method.layer_name(model)
        except Exception as err:
            raise rewrap(
                err,
                f"{type(self.method).__name__} cannot apply to model "
                f"'{model.name}': {err}",
            ) from err
        self.description = (
            f"{type(self.method).__name__}"
            + (f" of layer `{self.layer}`" if self.layer else "")
            + f", explaining {plan.describe()}."
        )
        self._previous = None
        return [SeriesKey(self.method.name, self.layer)]

    def run(self, ctx: StepContext) -> AttributionOutput:
        result = self.method.explain_with_targets(
            ctx.model, ctx.x_k, ctx.targets(), upsample=False
        )
        maps = np.asarray(result.maps, np.float32)
        n = ctx.x_k.shape[0]
        if maps.shape[0] != n or maps.ndim not in (2, 3):
            raise ValueError(
                f"expected {n} maps [N, H, W] or [N, T]. "
                f"Received: maps with shape {maps.shape}"
            )
        ctx.share(result.class_ids, result.scores)
        ctx.predicted()
        (name,) = self.names
        nonfinite = int(maps.size - np.count_nonzero(np.isfinite(maps)))
        if nonfinite:
            ctx.warn_once(
                ("nonfinite", name.tag),
                f"tbexplain: {name.tag} has {nonfinite} non-finite values at step "
                f"{ctx.step}; they are recorded in the manifest.",
            )
        output = AttributionOutput(maps)
        if ctx.metrics:
            current = self._map_set(ctx, maps)
            output.metrics = ctx.metrics.run(
                ctx.model,
                current,
                self._previous,
                lambda metric, err: ctx.on_error(f"{name.metric_prefix}/{metric}", err),
            )
            if ctx.step is not None:
                self._previous = current
        return output

    def _map_set(self, ctx: StepContext, maps: np.ndarray) -> MapSet:
        masks = ctx.probe.masks
        fn = ctx.plan.fn
        return MapSet(
            maps=maps,
            samples=ctx.samples,
            class_ids=ctx.class_ids,
            inputs=ctx.inputs_k,
            masks=None if masks is None else np.repeat(masks, ctx.plan.k, axis=0),
            score_fn=None if fn is None else (lambda outputs, ids: fn(outputs)),
        )

    def write(self, output: AttributionOutput, ctx: WriteContext) -> None:
        (name,) = self.names
        facts = ctx.facts
        summary.explanation(
            name.tag,
            output.maps,
            step=ctx.step,
            method=self.method.name,
            layer=self.layer,
            class_ids=facts.class_ids,
            class_names=ctx.class_names,
            scores=facts.scores,
            inputs=ctx.inputs_tag,
            description=self.description,
            samples=facts.samples,
            labels=facts.labels,
            predicted=facts.predicted,
            target_name=ctx.target_name,
            signed=bool(self.method.signed),
        )
        for metric, value in output.metrics.items():
            tf.summary.scalar(f"{name.metric_prefix}/{metric}", value, step=ctx.step)

    def arrays(self, output: AttributionOutput) -> list[np.ndarray]:
        return [output.maps]
