"""ExplainCallback: logs explanations while `model.fit` trains.

The callback only schedules; an `ExplanationLogger` does the work (see
`tbexplain.logger` for the tags written, the cost and fault model)::

    model.fit(
        train_ds,
        epochs=10,
        callbacks=[
            keras.callbacks.TensorBoard(log_dir="logs/run1"),
            tbx.ExplainCallback(x_probe, y_probe, methods=[tbx.GradCAM()],
                                log_dir="logs/run1", class_names=names),
        ],
    )

**Run directory.** Keras' `TensorBoard(log_dir=d)` writes its training
scalars into the run ``d/train`` (and validation into ``d/validation``). With
the same ``log_dir=d`` the callback writes into ``d/train`` too (``run=``
changes it; ``run=None`` writes into ``d`` itself), so the explanations, their
metric scalars and ``epoch_loss`` are one TensorBoard run. Each callback has
its own writer (event file) in that directory; TensorBoard reads all event
files of a run (live with its default data server; with
``--load_fast=false`` add ``--reload_multifile=true`` to follow both files
while training runs). To share one writer object instead, pass ``writer=``.
The directory may be any path `tf.io.gfile` writes (local, ``gs://``,
``s3://`` with tensorflow-io, HDFS). Writers the callback creates are closed
at `on_train_end`.

**Steps.** With ``every_n_steps=None`` (default) the step of every summary is
the epoch index (the step Keras' ``epoch_*`` scalars use), logged after epochs
``0, n, 2n, ...`` for ``every_n_epochs=n``. With ``every_n_steps=m`` the step
axis is the global batch count, ``optimizer.iterations`` (batches completed,
continued across `fit` calls): logs after every ``m``-th batch, and at the
ends of the epochs that ``every_n_epochs`` selects (None: none) at the global
batch count then. Either way the end of training is logged once more if its
last step was not.

**Views and pipeline stages.** ``methods=`` takes views beside the
attribution methods (``tbx.Activations(...)``, ``tbx.FilterVisualization(...)``;
``tbx.every(n, view)`` logs one only at steps 0, n, 2n, ...), and
``pipeline=`` named `tf.data` stages, logged once at train begin.

**Faults.** `on_train_begin` validates the configuration against the model
with a dry run of every method (an unknown layer, a method that cannot apply,
missing labels for ``targets="label"``, a probe of the wrong shape raise
there, before any training). From then on nothing the callback does can stop
training: a failure is one warning with its cause, and training continues.

**Distribution.** Under `MirroredStrategy` and `MultiWorkerMirroredStrategy`
only the chief writes; on the other workers the callback does nothing after
validation, so they wait for the chief only for the time its explanation
takes. The explanation runs outside the strategy's replica context and reads
the model's variables locally, without collective ops. (Keras 3's own `fit`
does not run under `MultiWorkerMirroredStrategy`, keras-team/keras#20585; in
a custom multi-worker loop drive the callback through
`keras.callbacks.CallbackList`, or call `ExplanationLogger.log` directly.)
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from tbexplain.checks import positive_int, require_tensorflow_backend
from tbexplain.logger import ExplanationLogger, is_chief
from tbexplain.pipeline import Stages

__all__ = ["ExplainCallback"]


class ExplainCallback(keras.callbacks.Callback):
    """Logs explanations of a probe set during `model.fit`.

    Args:
      images: The probe, as the model takes it (images, sequences, token ids,
        any kind of `tbexplain.kinds`, or a dict of them by input name; numpy,
        tf.Tensor or a finite `tf.data.Dataset`; see `ExplanationLogger`).
        The training data itself may be numpy or `tf.data`.
      labels: Optional true classes of the probe (ids or one-hot).
      methods: One tbexplain method or view, or a list (several methods and
        layers in one callback; views such as ``tbx.Activations(...)``;
        ``tbx.every(n, entry)``, see `ExplanationLogger`).
      log_dir: Keras `TensorBoard`'s ``log_dir``: the summaries go to the run
        ``os.path.join(log_dir, run)`` (any path `tf.io.gfile` writes).
      writer: A `tf.summary.SummaryWriter` to use instead of `log_dir`/`run`
        (not closed by the callback).
      every_n_epochs: Log after epochs 0, n, 2n, ...; None for no epoch logs.
      every_n_steps: Log every m training batches; the step axis is then the
        global batch count (see the module docstring).
      targets: ``"predicted"``, ``"label"``, a class id, a list of class ids
        or a callable ``outputs -> [B]`` scores (see `ExplanationLogger`).
      top_k: Explain the k highest-scoring classes of each sample.
      target_name: The name of a callable target, for the UI.
      class_names: Optional names indexed by class id.
      vocabulary: The text of token ids, for models that read tokens (see
        `ExplanationLogger`).
      feature_names: The names of feature inputs [B, F] (see
        `ExplanationLogger`).
      masks: Optional ground-truth masks [B, H, W] for the pointing game.
      metrics: Metrics logged as scalars (see `ExplanationLogger`).
      pipeline: Input-pipeline stages logged once at train begin: a mapping
        of stage name -> `tf.data.Dataset` or a `tbx.pipeline.Stages`.
      name: The tag prefix.
      run: The run subdirectory of `log_dir` ("train", like Keras'
        `TensorBoard`); None writes into `log_dir` itself.
      explain_inputs: The model inputs the attribution methods explain (see
        `ExplanationLogger`; default: all, or a text model's token ids).

    Raises:
      ValueError, TypeError: for invalid arguments (``Received: ...``).
    """

    def __init__(
        self,
        images: Any,
        labels: Any = None,
        *,
        methods: Any,
        log_dir: str | os.PathLike[str] | None = None,
        writer: tf.summary.SummaryWriter | None = None,
        every_n_epochs: int | None = 1,
        every_n_steps: int | None = None,
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
        run: str | None = "train",
        explain_inputs: Sequence[str] | None = None,
    ) -> None:
        require_tensorflow_backend()
        super().__init__()
        self.every_n_epochs = positive_int(
            every_n_epochs, "every_n_epochs", allow_none=True
        )
        self.every_n_steps = positive_int(
            every_n_steps, "every_n_steps", allow_none=True
        )
        if run is not None and (not isinstance(run, str) or not run):
            raise ValueError(
                f"run must be a non-empty string or None. Received: {run=}"
            )
        run_dir = None
        if log_dir is not None:
            run_dir = (
                os.path.join(os.fspath(log_dir), run) if run else os.fspath(log_dir)
            )
        self.log_dir = log_dir
        self.run = run
        self.logger = ExplanationLogger(
            images,
            labels,
            methods=methods,
            log_dir=run_dir,
            writer=writer,
            targets=targets,
            top_k=top_k,
            target_name=target_name,
            class_names=class_names,
            vocabulary=vocabulary,
            feature_names=feature_names,
            masks=masks,
            metrics=metrics,
            pipeline=pipeline,
            name=name,
            explain_inputs=explain_inputs,
        )
        self._chief = True
        self._global_step = 0
        self._epoch_base = 0
        self._last_logged: int | None = None
        self._last_step: int | None = None
        self._next_step_log = 0

    # ---------------------------------------------------------------- helpers

    def _log(self, step: int) -> None:
        """Logs at `step` unless already done; never raises."""
        if not self._chief or step == self._last_logged:
            return
        self._last_logged = step
        self._guard(lambda: self.logger.log(self.model, step))

    @staticmethod
    def _guard(action: Callable[[], Any]) -> None:
        """Runs a logger call; a failure is a warning, never stops training."""
        try:
            action()
        except Exception as err:  # the logger already isolates; belt and braces
            warnings.warn(
                f"tbexplain: logging explanations failed and was skipped "
                f"({type(err).__name__}: {err}). Training continues.",
                RuntimeWarning,
                stacklevel=3,
            )

    def _iterations(self) -> int:
        optimizer = getattr(self.model, "optimizer", None)
        iterations = getattr(optimizer, "iterations", None)
        if iterations is None:
            return 0
        try:
            return int(np.asarray(iterations))
        except (TypeError, ValueError):
            return 0

    # ------------------------------------------------------------------ hooks

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        # Every worker validates, so a configuration error stops all of them
        # alike (a lone chief failing would leave the others waiting).
        self.logger.validate(self.model)
        self._chief = is_chief(self.model)
        self._global_step = self._iterations() if self.every_n_steps else 0
        if self._chief:
            self._guard(lambda: self.logger.log_once(self.model, self._global_step))
        if self.every_n_steps:
            m = self.every_n_steps
            self._next_step_log = (self._global_step // m + 1) * m
        self._last_logged = None
        self._last_step = None

    def on_train_batch_end(
        self, batch: int, logs: dict[str, Any] | None = None
    ) -> None:
        if not self.every_n_steps:
            return
        # `batch` is the last batch (within the epoch) of this call, also
        # with steps_per_execution > 1.
        self._global_step = self._epoch_base + int(batch) + 1
        self._last_step = self._global_step
        if self._global_step >= self._next_step_log:
            m = self.every_n_steps
            self._next_step_log = (self._global_step // m + 1) * m
            self._log(self._global_step)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch_base = self._global_step

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        step = self._global_step if self.every_n_steps else epoch
        self._last_step = step
        if self.every_n_epochs and epoch % self.every_n_epochs == 0:
            self._log(step)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        try:
            if self._last_step is not None and self._last_step != self._last_logged:
                self._log(self._last_step)
        finally:
            try:
                self.logger.close()
            except Exception as err:
                warnings.warn(
                    f"tbexplain: closing the writer failed ({err}).",
                    RuntimeWarning,
                    stacklevel=2,
                )
