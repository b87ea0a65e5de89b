"""ExplanationLogger: the short coordinator of a probe, some jobs and a writer."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from tbexplain.checks import require_tensorflow_backend
from tbexplain.logger.binding import Binding, bind_model
from tbexplain.logger.faults import Faults
from tbexplain.logger.jobs import Job, StepContext, StepFacts, WriteContext
from tbexplain.logger.metrics import MetricsRunner
from tbexplain.logger.probe import Probe
from tbexplain.logger.registry import make_job
from tbexplain.logger.targeting import TargetPlan
from tbexplain.logger.views import TargetRegionJob
from tbexplain.logger.writing import BackgroundWriter, SummaryTarget
from tbexplain.pipeline import Stages

__all__ = ["ExplanationLogger", "is_chief"]


def is_chief(model: Any = None) -> bool:
    """Whether this process writes summaries under the model's strategy.

    True without a strategy, under `MirroredStrategy`, and on the chief (or
    worker 0 without a chief) of a `MultiWorkerMirroredStrategy`.
    """
    strategy = getattr(model, "distribute_strategy", None)
    if strategy is None:
        strategy = tf.distribute.get_strategy()
    try:
        return bool(strategy.extended.should_checkpoint)
    except (AttributeError, NotImplementedError):
        return True


def _as_int_step(step: Any) -> int:
    if hasattr(step, "numpy"):
        step = step.numpy()
    try:
        return int(np.asarray(step).reshape(()))
    except (TypeError, ValueError) as err:
        raise ValueError(f"step must be an integer. Received: step={step!r}") from err


def _entries(methods: Any, pipeline: Any, class_names: list[str] | None) -> list[Any]:
    """The entries of ``methods=`` (one or a list), the pipeline's stages last.

    Raises:
      ValueError: no entry at all.
    """
    entries = list(methods) if isinstance(methods, (list, tuple)) else [methods]
    if pipeline is not None:
        entries.append(
            pipeline
            if isinstance(pipeline, Stages)
            else Stages(pipeline, class_names=class_names)
        )
    if not entries:
        raise ValueError("methods must not be empty. Received: methods=[]")
    return entries


def _step_context(
    model: Any,
    step: int | None,
    binding: Binding,
    plan: TargetPlan,
    metrics: MetricsRunner,
    faults: Faults,
) -> StepContext:
    """What the jobs of one logged step run with, its classes to explain set
    (from the model's scores when the plan needs them)."""
    ctx = StepContext(
        model=model,
        step=step,
        probe=binding.probe,
        plan=plan,
        x=binding.x,
        x_k=binding.x_k,
        inputs_k=binding.inputs_k,
        metrics=metrics,
        forward=binding.forward,
        has_classes=binding.has_classes,
        binary=binding.binary,
        on_error=lambda part, err: faults.failed(step, part, err),
        warn_once=faults.warn_once,
        on_undefined=lambda tag, count, total: faults.count_undefined(step, tag, count),
    )
    if plan.needs_all_scores:
        ctx.class_ids, ctx.scores = plan.top_k(binding.forward(ctx.x).numpy())
    else:
        ctx.class_ids = plan.known_ids(binding.probe.n, binding.probe.labels)
    return ctx


def _write_step(
    writer: tf.summary.SummaryWriter,
    binding: Binding,
    outputs: list[tuple[Job, Any]],
    ctx: WriteContext,
    first: bool,
) -> None:
    """Writes one logged step's outputs, and the probe's inputs first at a
    writer's first step; then flushes the writer."""
    probe = binding.probe
    with writer.as_default():
        if first:
            for name, display in binding.displays.items():
                display.write(
                    probe.arrays[name], ctx.step, probe.labels, ctx.class_names
                )
        for job, output in outputs:
            job.write(output, ctx)
    writer.flush()


class ExplanationLogger:
    """Logs explanations and views of a fixed probe set at the steps you choose.

    Args:
      images: The probe, as the model takes it: images [B, H, W, C],
        sequences [B, T, C], token ids [B, T], features [B, F] or any other
        kind of `tbexplain.kinds`, as numpy or tf.Tensor, a dict of them by
        input name for a model of several inputs, or a finite
        `tf.data.Dataset` of them or of ``(inputs, labels)`` (read once,
        here). Keep it small (e.g. 8).
      labels: Optional true class per image: ids [B] or one-hot [B, K].
        Required by ``targets="label"``; shown in the UI otherwise.
      methods: One entry or a list: attribution methods (``tbx.GradCAM()``,
        the same class several times for several layers), views
        (``tbx.Activations(...)``, ``tbx.FilterVisualization(...)``,
        ``tbx.pipeline.Stages(...)``), and ``tbx.every(n, entry)`` for an
        entry logged only at steps 0, n, 2n, ...
      log_dir: The run directory to write into, created lazily with
        `tf.summary.create_file_writer` (any path `tf.io.gfile` writes:
        local, ``gs://``, ``s3://`` with tensorflow-io, HDFS). The logger
        closes the writers it creates (`close`).
      writer: A `tf.summary.SummaryWriter` to write with instead of
        `log_dir` (flushed after each log, never closed by the logger).
      targets: What each map explains: ``"predicted"`` (default; with
        `top_k`, the k highest scores), ``"label"`` (the true class; needs
        `labels`), an int (that class for every sample), a list of ints
        (each of these classes for every sample: len(targets) maps per
        sample), or a callable ``outputs -> [B]`` scores (a regression
        output, a segment's class summed over a region, one head of a
        multi-output model; see `tbexplain.targets`).
      top_k: With ``targets="predicted"``, explain the k highest-scoring
        classes of each sample (k maps per sample).
      target_name: The name of a callable target, shown in the UI where a
        class name is shown otherwise (default: the callable's ``__name__``).
      class_names: Optional names indexed by class id, for the UI.
      vocabulary: For token-id inputs: the text of the tokens, shown in the
        UI (a list indexed by id, a ``TextVectorization`` or ``StringLookup``
        layer, or a function of a row of ids); a dict by input name for
        several inputs.
      feature_names: For feature inputs [B, F]: the name of each feature (a
        dict by input name for several inputs).
      explain_inputs: The names of the model inputs the attribution methods
        explain, one series each (the others are held at their values).
        Default: every input; for a model that reads token ids, only those
        token ids (BERT's ``token_ids``, not its ``segment_ids`` or
        ``padding_mask``). Layer methods and rollouts explain their layer's
        input whatever this says.
      masks: Optional ground-truth masks [B, H, W] (bool or 0/1) of the
        probe's image input, for the pointing game.
      metrics: Metrics logged as scalars: ``"auto"`` (default:
        ``pointing_game`` when `masks` are given, else none), None, a list of
        names of `tbexplain.logger.REGISTRY`, or a dict of name -> keyword
        arguments of the `tbexplain.metrics` function, e.g. ``{"drift": {},
        "deletion": {"steps": 8}}``. ``drift`` is the rank correlation of
        each map with the same sample's map of the same class at the previous
        logged step; ``deletion`` and ``insertion`` run ``steps + 1``
        forward passes of the probe per map, ``faithfulness_correlation``
        ``samples``; ``sparseness`` and ``complexity`` read the maps alone;
        ``max_sensitivity`` costs ``samples`` explanations of the probe and
        ``randomisation`` one, of a copy of the model (see
        `tbexplain.metrics`). A name wrapped in ``tbx.every(n, name)`` (a
        list item or a dict key) runs at every n-th logged step only. A
        metric that cannot apply to the model raises at the first log (the
        callback's ``on_train_begin``); maps where a metric is undefined are
        counted in `undefined_metrics`.
      pipeline: Pipeline stages to log once per writer: a
        `tbx.pipeline.Stages` or a mapping of stage name -> dataset.
      name: The tag prefix.
      write_in_background: Encode and write each step on a background thread
        (in order, at most two steps queued), so training continues while
        the PNGs are made; `flush` and `close` wait for it. The first step
        written to each writer is written synchronously (also after
        `validate`), so configuration and I/O errors raise there. With a
        given `writer`, call `flush` before closing that writer yourself.

    Raises:
      ValueError, TypeError: for invalid arguments (the message says
        ``Received: ...``).
    """

    def __init__(
        self,
        images: Any,
        labels: Any = None,
        *,
        methods: Any,
        log_dir: str | os.PathLike[str] | None = None,
        writer: tf.summary.SummaryWriter | None = None,
        targets: Any = "predicted",
        top_k: int | None = None,
        target_name: str | None = None,
        class_names: Sequence[str] | None = None,
        vocabulary: Any = None,
        feature_names: Any = None,
        masks: Any = None,
        metrics: Any = "auto",
        pipeline: Stages | Mapping[str, tf.data.Dataset] | None = None,
        name: str = "explain",
        write_in_background: bool = True,
        explain_inputs: Sequence[str] | None = None,
    ) -> None:
        require_tensorflow_backend()
        self._target = SummaryTarget(log_dir, writer)
        if not isinstance(name, str) or not name.strip("/"):
            raise ValueError(
                f"name must be a non-empty string. Received: name={name!r}"
            )
        self.name = name.strip("/")
        self.log_dir = self._target.log_dir
        self.probe = Probe.read(images, labels, masks, explain=explain_inputs)
        self.class_names = list(class_names) if class_names is not None else None
        self.vocabulary = vocabulary
        self.feature_names = feature_names
        entries = _entries(methods, pipeline, self.class_names)
        self.methods = entries
        self._jobs: list[Job] = [make_job(entry) for entry in entries]
        self.plan = TargetPlan.parse(targets, top_k, target_name)
        self._region_job = (
            TargetRegionJob(self.plan.fn) if hasattr(self.plan.fn, "regions") else None
        )
        if self._region_job is not None:
            self._jobs.append(self._region_job)
        if self.plan.mode == "label" and self.probe.labels is None:
            raise ValueError(
                'targets="label" needs the probe\'s labels: pass labels=. '
                "Received: labels=None"
            )
        self.targets, self.top_k = targets, top_k
        self._metrics = MetricsRunner(metrics, self.probe.masks is not None)
        maps_made = any(job.makes_maps for job in self._jobs)
        if self._metrics.explicit and self._metrics and not maps_made:
            raise ValueError(
                "metrics score attribution maps: add an attribution method "
                "(e.g. tbx.GradCAM()) to methods=, or leave metrics out. "
                f"Received: methods={self.methods!r}, metrics={metrics!r}"
            )
        self.write_in_background = bool(write_in_background)
        self._background = BackgroundWriter()
        self._faults = Faults()
        self._binding: Binding | None = None
        self._written_to: Any = None

    @property
    def failures(self) -> list[tuple[int, str, str]]:
        """(step, part, cause) of each part that failed and was skipped."""
        return self._faults.failures

    @property
    def undefined_metrics(self) -> dict[str, int]:
        """Metric tag -> how many maps it was undefined (NaN) for, over the
        logged steps (each step's scalar is the mean of the other maps)."""
        return dict(self._faults.undefined)

    @property
    def writer(self) -> tf.summary.SummaryWriter:
        """The writer (created from `log_dir` on first use)."""
        return self._target.writer

    @property
    def inputs_tag(self) -> str:
        """The tag of the probe inputs (of a single-input model; with several,
        ``{name}/inputs/{input name}``)."""
        return f"{self.name}/inputs"

    # ------------------------------------------------------------------ bind

    def _bind(self, model: Any) -> Binding:
        """The logger's parts resolved for `model`, once per model (raises)."""
        binding = self._binding
        if binding is None or binding.model_ref() is not model:
            binding = bind_model(
                model,
                self.probe,
                self.plan,
                self._jobs,
                self.name,
                self.vocabulary,
                self.feature_names,
            )
            self._binding = binding
            self._faults.strict = True
        return binding

    # ------------------------------------------------------------------- run

    def _run(
        self, model: Any, step: int | None, first: bool, only_once: bool = False
    ) -> tuple[list[tuple[Job, Any]], StepFacts]:
        """Runs the jobs due at `step`; returns their outputs and the step's facts."""
        binding = self._bind(model)
        ctx = _step_context(
            model, step, binding, self.plan, self._metrics, self._faults
        )
        outputs = []
        for job in self._jobs:
            if (only_once and not job.once) or not job.due(step, first):
                continue
            try:
                outputs.append((job, job.run(ctx)))
            except Exception as err:
                self._faults.failed(step, job.names[0].tag, err)
        return outputs, ctx.facts()

    def validate(self, model: Any) -> None:
        """Checks the configuration against `model` with a dry run (writes nothing).

        Resolves every layer, feeds the probe through the model, checks the
        targets and runs each method, view and metric once. The compiled
        functions it traces are the ones `log` reuses.

        Raises:
          ValueError, TypeError, RuntimeError: the configuration does not fit
            the model; the message names the part and the cause.
        """
        self._binding = None
        self._run(model, None, first=True)
        self._faults.strict = False

    # ------------------------------------------------------------------- log

    def log(self, model: Any, step: Any) -> dict[str, np.ndarray]:
        """Runs every method and view due at `step` and writes the summaries.

        Args:
          model: The Keras model being trained.
          step: The step of the summaries (an int, or a scalar tensor such as
            ``optimizer.iterations``).

        Returns:
          The arrays written, by tag: the maps of each method ([B * k, h, w],
          sample-major, at the resolution the method computes them: the
          layer's for the CAM family, the input's for the others) and the
          views' arrays. Empty on a non-chief worker.

        Raises:
          ValueError, TypeError, RuntimeError: at the first call with a model,
            when the configuration does not fit it. Later failures are
            warnings (see `failures`).
        """
        return self._guarded(model, _as_int_step(step), only_once=False)

    def log_once(self, model: Any, step: Any) -> dict[str, np.ndarray]:
        """Writes what is logged once per writer (the probe inputs, pipeline
        stages) if this writer has not got it yet; `log` does it at its first
        call. `ExplainCallback` calls it at train begin."""
        return self._guarded(model, _as_int_step(step), only_once=True)

    def _guarded(self, model: Any, step: int, only_once: bool) -> dict[str, np.ndarray]:
        if not is_chief(model):
            return {}
        binding = self._binding
        if self._faults.strict or binding is None or binding.model_ref() is not model:
            return self._log(model, step, strict=True, only_once=only_once)
        try:
            return self._log(model, step, strict=False, only_once=only_once)
        except Exception as err:
            cause = f"{type(err).__name__}: {err}"
            self._faults.failures.append((step, self.name, cause))
            self._faults.warn_once(
                ("log", type(err)),
                f"tbexplain: logging explanations at step {step} failed and was "
                f"skipped ({cause}). Training continues.",
            )
            return {}

    def _log(
        self, model: Any, step: int, strict: bool, only_once: bool
    ) -> dict[str, np.ndarray]:
        self._report_background_errors(step)
        current = self._target.current
        first = current is None or self._written_to is not current
        if only_once and not first:
            return {}
        outputs, facts = self._run(model, step, first, only_once)
        writer = self._target.writer
        self._written_to = writer
        binding = self._binding
        assert binding is not None
        region = self._region_job
        ctx = WriteContext(
            step,
            facts,
            self.class_names,
            self.plan.name,
            mask_tag=region.names[0].tag if region is not None else "",
        )

        def write() -> None:
            _write_step(writer, binding, outputs, ctx, first)

        if strict or first or not self.write_in_background:
            write()
        else:
            self._background.submit(write)
        self._faults.strict = False
        return {
            name.tag: array
            for job, output in outputs
            for name, array in zip(job.names, job.arrays(output), strict=True)
        }

    # ----------------------------------------------------------------- close

    def _report_background_errors(self, step: int | None) -> None:
        for err in self._background.pop_errors():
            self._faults.write_failed(step, self.name, err)

    def flush(self) -> None:
        """Waits for pending background writes, then flushes the writer.

        Every step whose `log` returned before `flush` is on disk when it
        returns (as far as the file system's flush goes).
        """
        self._background.join()
        self._report_background_errors(None)
        self._target.flush()

    def close(self) -> None:
        """Finishes pending writes and closes the writer the logger created.

        A given writer is only flushed. A later `log` opens a new writer (and
        event file) in `log_dir`.
        """
        self.flush()
        self._target.close()

    def __enter__(self) -> ExplanationLogger:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
