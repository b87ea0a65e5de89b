"""The one protocol of everything a logger runs: attribution methods and views alike.

Each entry of ``methods=`` becomes a `Job` (`tbexplain.logger.registry` says
which job serves which class). A job

* `bind`\\ s to a model once: resolves its layers, checks that it applies,
  and says which series it writes (`SeriesKey`);
* `run`\\ s at a logged step, on the caller's thread: computes its arrays from
  the model and the probe (a `StepContext`) and returns them;
* `write`\\ s them later, on the logger's background thread, with the
  `tbexplain.summary` ops, under the series names it was given.

When it runs is the job's own schedule: every logged step, every n-th step
(`every`), or once per writer (`once`, for what does not change, such as
pipeline stages). The logger itself never looks at what a job is.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import tensorflow as tf

from tbexplain.logger.metrics import MetricsRunner
from tbexplain.logger.naming import SeriesKey, SeriesName
from tbexplain.logger.probe import Probe
from tbexplain.logger.schedule import Every, every
from tbexplain.logger.targeting import TargetPlan

__all__ = ["Every", "Job", "StepContext", "StepFacts", "every"]


@dataclass(frozen=True)
class StepFacts:
    """What every series of one step shares, for the manifests.

    Attributes:
      samples: The probe sample of each map [B * k].
      labels: The label of each map [B * k], or None.
      class_ids: The class each map explains [B * k], or None (callable
        targets, or no attribution at this step).
      scores: The explained (pre-activation) score of each map, or None.
      predicted: The model's own predicted class of each map's sample, or
        None (a model without classes, such as a regression).
    """

    samples: np.ndarray
    labels: np.ndarray | None
    class_ids: np.ndarray | None
    scores: np.ndarray | None
    predicted: np.ndarray | None


@dataclass
class StepContext:
    """One logged step as the jobs see it (on the caller's thread).

    Attributes:
      model: The model.
      step: The step, or None for the `validate` dry run.
      probe: The probe, fitted to the model.
      plan: The targets.
      x: The probe as the model takes it: a tensor [B, ...], or a dict of
        them by input name for a model of several inputs.
      x_k: The same repeated k times per sample for k maps per sample.
      inputs_k: `x_k` as numpy.
      metrics: The chosen metrics.
      forward: The model's pre-activation class scores [B, K] of a batch.
      has_classes: Whether the model outputs class scores.
      binary: Whether those are one sigmoid unit's (whose explained class is
        always the unit, whatever the model predicts).
      on_error: Reports a failed part (a metric) by name.
      warn_once: Warns once per key (e.g. non-finite maps).
      on_undefined: Reports ``(tag, count, total)``: a metric scalar of the
        step is the mean of `total` - `count` maps, being undefined (NaN)
        for `count` of them.
    """

    model: Any
    step: int | None
    probe: Probe
    plan: TargetPlan
    x: Any
    x_k: Any
    inputs_k: Any
    metrics: MetricsRunner
    forward: Callable[[tf.Tensor], tf.Tensor]
    has_classes: bool
    binary: bool
    on_error: Callable[[str, Exception], None]
    warn_once: Callable[[Hashable, str], None]
    on_undefined: Callable[[str, int, int], None] = lambda tag, count, total: None
    class_ids: np.ndarray | None = None
    scores: np.ndarray | None = None
    _predicted: np.ndarray | None = field(default=None, repr=False)
    _predicted_known: bool = field(default=False, repr=False)

    @property
    def samples(self) -> np.ndarray:
        """The probe sample of each of the k-repeated rows."""
        return np.repeat(np.arange(self.probe.n), self.plan.k)

    def targets(self) -> Any:
        """What to pass a method as ``targets``: class ids of the rows, the
        callable, or None for the predicted class (before any method ran)."""
        if self.plan.fn is not None:
            return self.plan.fn
        return self.class_ids

    def share(self, class_ids: np.ndarray | None, scores: np.ndarray) -> None:
        """Records the classes and scores the first method explained, so that
        every later method of the step explains the same."""
        if self.class_ids is None and class_ids is not None:
            self.class_ids = np.asarray(class_ids, np.int32)
        if self.scores is None:
            self.scores = np.asarray(scores, np.float64)

    def predicted(self) -> np.ndarray | None:
        """The model's predicted class of each row's sample (one forward pass
        at most, none when the explained classes are the predicted ones)."""
        if not self._predicted_known:
            self._predicted_known = True
            if not self.has_classes:
                self._predicted = None
            elif self.plan.mode == "predicted" and self.plan.k == 1 and not self.binary:
                self._predicted = self.class_ids
            else:
                scores = self.forward(self.x).numpy()
                if scores.shape[-1] == 1:  # a single sigmoid unit: its logit's sign
                    top = (scores[:, 0] > 0).astype(np.int32)
                else:
                    top = scores.argmax(axis=-1).astype(np.int32)
                self._predicted = np.repeat(top, self.plan.k)
        return self._predicted

    def facts(self) -> StepFacts:
        """The shared facts of the step, once the jobs ran (the prediction if
        a job asked for it)."""
        labels = self.probe.labels
        return StepFacts(
            samples=self.samples,
            labels=None if labels is None else np.repeat(labels, self.plan.k),
            class_ids=self.class_ids,
            scores=self.scores,
            predicted=self._predicted,
        )


@dataclass(frozen=True)
class WriteContext:
    """What a job's `write` needs besides its own output (on the writer thread)."""

    step: int
    facts: StepFacts
    class_names: list[str] | None
    target_name: str | None
    mask_tag: str = ""


class Job:
    """One entry of ``methods=`` (see the module docstring); subclasses
    implement `bind`, `run` and `write`.

    Attributes:
      every: Run only at steps that are multiples of `every` (None: all).
      once: Run only at the first logged step of each writer.
      makes_maps: Whether it writes attribution maps (which metrics score).
      names: The names of the series it writes, in the order `bind` asked
        for them (set by the logger after binding).
    """

    every: int | None = None
    once: bool = False
    makes_maps: ClassVar[bool] = False
    names: list[SeriesName]

    def due(self, step: int | None, first: bool) -> bool:
        """Whether the job runs at `step` (None: the validation dry run)."""
        if step is None:
            return True
        if self.once:
            return first
        return self.every is None or step % self.every == 0

    def bind(
        self, model: Any, probe: Probe, plan: TargetPlan, inputs_tags: dict[str, str]
    ) -> list[SeriesKey]:
        """Resolves the job for `model`; returns the series it writes.

        Args:
          model: The model.
          probe: The probe, fitted to the model (`Probe.specs` known).
          plan: The targets.
          inputs_tags: The tag of each model input's inputs series.

        Raises:
          ValueError, TypeError: the job cannot apply to the model.
        """
        raise NotImplementedError

    def run(self, ctx: StepContext) -> Any:
        """Computes this step's output (raises on failure)."""
        raise NotImplementedError

    def write(self, output: Any, ctx: WriteContext) -> None:
        """Writes `output` under the default summary writer, as `names`."""
        raise NotImplementedError

    def arrays(self, output: Any) -> list[np.ndarray]:
        """The main array of each series in `output` (what `log` returns)."""
        raise NotImplementedError
