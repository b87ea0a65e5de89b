"""The job of an attribution method: maps of the probe, their metrics, one series per
explained input."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import tensorflow as tf

from tbexplain import kinds, summary
from tbexplain.inputs import InputSpec
from tbexplain.logger.faults import rewrap
from tbexplain.logger.jobs import Job, StepContext, WriteContext
from tbexplain.logger.metrics import MapSet
from tbexplain.logger.naming import SeriesKey
from tbexplain.logger.probe import Probe
from tbexplain.logger.targeting import TargetPlan
from tbexplain.methods.base import Method

__all__ = ["AttributionJob"]


@dataclass
class _Explained:
    """One input a method explains, and where its maps go."""

    spec: InputSpec
    inputs_tag: str
    description: str
    previous: MapSet | None = None

    @property
    def per_element(self) -> bool:
        """Whether its maps are stored one value per element of the input."""
        kind = kinds.find(self.spec.kind)
        return kind is not None and kind.per_element

    def positions(self, inputs: np.ndarray) -> tuple[int, ...]:
        """The positions a map covers, from a batch of the input."""
        kind = kinds.find(self.spec.kind) or kinds.of_input(inputs.ndim - 1)
        return tuple(
            kind.map_shape(inputs.shape[1:]) if kind is not None else inputs.shape[1:]
        )


@dataclass
class AttributionOutput:
    """One step of a method: maps and metric means per explained input."""

    maps: list[np.ndarray]
    metrics: list[dict[str, float]] = field(default_factory=list)


class AttributionJob(Job):
    """Runs a `tbexplain.methods.Method` on the probe at every logged step.

    Each input the method can explain gets its series (one for a single-input
    model; ``{method}/{input}`` for each input of several, the others held at
    their values; a layer method explains its layer, over the input of the
    highest rank). Maps are kept at the resolution the method computes them
    (a CAM at its layer's): the plugin upsamples them over the inputs, and
    the PNGs are that much smaller. Token and feature maps are stored one
    value per token or feature. The first method of a step chooses the
    explained classes (from its own forward pass for the predicted class);
    the others explain the same ones.
    """

    makes_maps = True

    def __init__(self, method: Method) -> None:
        self.method = method
        self.layer: str | None = None
        self._multi = False
        self._explained: list[_Explained] = []

    def bind(
        self, model: Any, probe: Probe, plan: TargetPlan, inputs_tags: dict[str, str]
    ) -> list[SeriesKey]:
        specs = probe.specs or []
        arrays = probe.model_inputs()
        inputs = (
            arrays[0]
            if len(specs) == 1
            else {spec.name: a for spec, a in zip(specs, arrays, strict=True)}
        )
        try:
            self.method.prepare(model, inputs)
            self.layer = self.method.layer_name(model)
            layer_about = self.method.layer_description(model) if self.layer else ""
            names = self.method.input_names(model) or [specs[0].name]
            if probe.explain is not None and not self.method.fixed_input:
                names = list(probe.explain)
        except Exception as err:
            raise rewrap(
                err,
                f"{type(self.method).__name__} cannot apply to model "
                f"'{model.name}': {err}",
            ) from err
        by_name = {spec.name: spec for spec in specs}
        multi = len(specs) > 1
        self._multi = multi
        self._explained = []
        keys = []
        for name in names:
            about = f" of {layer_about}" if self.layer else ""
            if multi and not self.layer:
                about = f" of input `{name}`"
            self._explained.append(
                _Explained(
                    by_name[name],
                    inputs_tags[name],
                    f"{type(self.method).__name__}{about}, explaining "
                    f"{plan.describe()}.",
                )
            )
            qualifier = name if multi and not self.layer else self.layer
            keys.append(
                SeriesKey(self.method.name, qualifier, qualify=multi and not self.layer)
            )
        return keys

    def run(self, ctx: StepContext) -> AttributionOutput:
        output = AttributionOutput([])
        n = ctx.probe.n * ctx.plan.k
        for explained, name in zip(self._explained, self.names, strict=True):
            spec = explained.spec
            result = self.method.explain_with_targets(
                ctx.model,
                ctx.inputs_k,
                ctx.targets(),
                upsample=explained.per_element,
                input=spec.name,
            )
            maps = np.asarray(result.maps, np.float32)
            if maps.shape[0] != n or maps.ndim not in (2, 3, 4):
                raise ValueError(
                    f"expected {n} maps [N, ...]. Received: maps with shape "
                    f"{maps.shape}"
                )
            ctx.share(result.class_ids, result.scores)
            ctx.predicted()
            nonfinite = int(maps.size - np.count_nonzero(np.isfinite(maps)))
            if nonfinite:
                ctx.warn_once(
                    ("nonfinite", name.tag),
                    f"tbexplain: {name.tag} has {nonfinite} non-finite values at "
                    f"step {ctx.step}; they are recorded in the manifest.",
                )
            output.maps.append(maps)
            output.metrics.append(self._metrics(ctx, explained, name, maps))
        return output

    def _metrics(
        self, ctx: StepContext, explained: _Explained, name: Any, maps: np.ndarray
    ) -> dict[str, float]:
        if not ctx.metrics:
            return {}
        probe = ctx.probe
        masks = probe.masks if probe.mask_input == explained.spec.name else None
        fn = ctx.plan.fn
        inputs = ctx.inputs_k
        own = inputs[explained.spec.name] if isinstance(inputs, dict) else inputs
        multi = isinstance(inputs, dict)
        current = MapSet(
            maps=maps,
            samples=ctx.samples,
            class_ids=ctx.class_ids,
            inputs=own,
            masks=None if masks is None else np.repeat(masks, ctx.plan.k, axis=0),
            score_fn=None if fn is None else (lambda outputs, ids: fn(outputs)),
            spatial=explained.positions(own),
            model_inputs=inputs if multi else None,
            input_name=explained.spec.name if multi else None,
            method=self.method,
            targets=ctx.targets(),
        )
        prefix = name.metric_prefix
        values = ctx.metrics.run(
            ctx.model,
            current,
            explained.previous,
            lambda metric, err: ctx.on_error(f"{prefix}/{metric}", err),
            step=ctx.step,
            on_undefined=lambda metric, count, total: ctx.on_undefined(
                f"{prefix}/{metric}", count, total
            ),
        )
        if ctx.step is not None:
            explained.previous = current
        return values

    def write(self, output: AttributionOutput, ctx: WriteContext) -> None:
        facts = ctx.facts
        for explained, name, maps, metrics in zip(
            self._explained, self.names, output.maps, output.metrics, strict=True
        ):
            summary.explanation(
                name.tag,
                maps,
                step=ctx.step,
                method=self.method.name,
                layer=self.layer,
                class_ids=facts.class_ids,
                class_names=ctx.class_names,
                scores=facts.scores,
                inputs=explained.inputs_tag,
                description=explained.description,
                samples=facts.samples,
                labels=facts.labels,
                predicted=facts.predicted,
                target_name=ctx.target_name,
                signed=bool(self.method.signed),
                layout=kinds.map_layout(maps.ndim - 1, explained.spec.kind),
                input_name=explained.spec.name if self._multi else "",
                mask_tag=ctx.mask_tag,
            )
            for metric, value in metrics.items():
                tf.summary.scalar(
                    f"{name.metric_prefix}/{metric}", value, step=ctx.step
                )

    def arrays(self, output: AttributionOutput) -> list[np.ndarray]:
        return list(output.maps)
