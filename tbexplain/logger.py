"""ExplanationLogger: a probe set, some methods and a writer -> summaries.

The logger does the work of logging explanations; `tbexplain.ExplainCallback`
only decides when. Use the logger directly in a custom training loop::

    logger = tbx.ExplanationLogger(x_probe, y_probe, methods=[tbx.GradCAM()],
                                   log_dir="logs/run1", class_names=names)
    for epoch in range(epochs):
        for x, y in train_ds:
            with tf.GradientTape() as tape:
                loss = loss_fn(y, model(x, training=True))
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
        logger.log(model, step=epoch)
    logger.close()

What one `log(model, step)` writes (tags; the plugin reads the metadata, not
the names):

* ``{name}/inputs``: the probe images (kind ``inputs``), written once per
  writer, at the first logged step. The plugin overlays each heatmap on the
  inputs of the latest step at or before the heatmap's step, so one write is
  enough and the images are not duplicated on disk every epoch.
* ``{name}/{method}`` (or ``{name}/{method}/{layer}`` when the same method is
  given several times, e.g. for several layers): the maps of each method, one
  per (sample, explained class), with the class ids, names, the model's
  (pre-activation) scores and the labels in the step's manifest. Maps are
  stored at the resolution the method computes them: a CAM at its layer's
  (e.g. 16x16 under a 64x64 input), which the plugin upsamples bilinearly
  over the inputs as ``explain`` would; metrics that compare maps with the
  inputs or masks use the upsampled maps.
* ``{name}/metrics/{method}[/{layer}]/{metric}``: the chosen metrics
  (`tbexplain.metrics`) as ordinary `tf.summary.scalar`s, averaged over the
  maps, so they plot in the Scalars dashboard of the same run.

Costs: the probe is converted once; the explained classes and their scores
come from the first method's own forward pass (only top-k runs one more
forward pass, for every class's score); each method compiles its function
once per (model, input shape): no model is cloned and nothing is retraced
between calls. The PNG encoding and writing run on a background thread, in
order (``write_in_background``), so a training loop waits only for the
explanations; `flush` and `close` wait for the writes.

Faults: configuration errors (an unknown layer, a method that cannot apply to
the model, ``targets="label"`` without labels, a probe the model cannot take)
raise at `validate` or at the first `log`; afterwards a method (or metric)
that fails is skipped with one warning naming the cause, and the other
methods are still written. Maps with non-finite values are written with the
count in the manifest (``nonfinite``) and one warning.

Distribution: only the chief (``strategy.extended.should_checkpoint``) writes;
on other workers `log` returns at once. The explanation runs outside any
replica context and reads the model's variables locally (the chief's
replica), so it needs no collective op the other workers would have to join.
"""

from __future__ import annotations

import atexit
import inspect
import os
import queue
import threading
import warnings
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import tensorflow as tf

from tbexplain import metrics as metrics_lib
from tbexplain import summary
from tbexplain import targets as targets_lib
from tbexplain.methods.base import resize_map

__all__ = ["METRICS", "ExplanationLogger", "is_chief"]

METRICS = ("deletion", "insertion", "pointing_game", "energy_in_mask", "drift")
"""Metric names accepted by ``metrics=`` (functions of `tbexplain.metrics`)."""

_MASK_METRICS = ("pointing_game", "energy_in_mask")
_MODEL_METRICS = ("deletion", "insertion")
_TARGET_MODES = ("predicted", "label")


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


def _mean(values: Any) -> float:
    """The mean of per-map metric values, ignoring NaN (NaN when all are)."""
    values = np.asarray(values, dtype=np.float64)
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")


def _as_class_ids(values: Any, n: int, what: str) -> np.ndarray:
    """Class ids [n] from integer [n] or one-hot [n, K] labels."""
    array = values.numpy() if tf.is_tensor(values) else np.asarray(values)
    if array.ndim == 2 and array.shape[1] > 1:
        array = array.argmax(axis=1)
    array = array.reshape(-1) if array.ndim == 2 and array.shape[1] == 1 else array
    if array.ndim != 1 or array.shape[0] != n:
        raise ValueError(
            f"{what} must have one class id (or one-hot row) per probe image ({n}). "
            f"Received: {what} with shape {np.shape(values)}"
        )
    if array.dtype.kind == "f" and not np.all(np.mod(array, 1) == 0):
        raise ValueError(
            f"{what} must be integer class ids. Received: {what}={array!r}"
        )
    if array.dtype.kind not in "iuf" or (array < 0).any():
        raise ValueError(
            f"{what} must be non-negative integer class ids. Received: {what}={array!r}"
        )
    return array.astype(np.int64)


def _read_probe(images: Any, labels: Any) -> tuple[np.ndarray, Any]:
    """The probe as numpy, reading a finite dataset once when one is given."""
    if isinstance(images, tf.data.Dataset):
        from tbexplain.pipeline import take_samples

        array, ds_labels = take_samples(images, None)
        return array, labels if labels is not None else ds_labels
    array = images.numpy() if tf.is_tensor(images) else np.asarray(images)
    return array, labels


def _check_metrics(metrics: Any, masks: np.ndarray | None) -> dict[str, dict[str, Any]]:
    """Normalises ``metrics=`` to {name: kwargs}."""
    if metrics == "auto":
        return {"pointing_game": {}} if masks is not None else {}
    if metrics is None:
        return {}
    if isinstance(metrics, str):
        metrics = [metrics]
    if isinstance(metrics, Mapping):
        items = [(k, dict(v or {})) for k, v in metrics.items()]
    elif isinstance(metrics, Sequence):
        items = [(k, {}) for k in metrics]
    else:
        raise TypeError(
            "metrics must be 'auto', None, a list of names or a dict of name -> "
            f"keyword arguments. Received: metrics={metrics!r}"
        )
    for key, _ in items:
        if key not in METRICS:
            raise ValueError(
                f"Unknown metric; choose from {METRICS}. Received: {key!r}"
            )
        if key in _MASK_METRICS and masks is None:
            raise ValueError(
                f"Metric {key!r} needs ground-truth masks: pass masks=[B, H, W]. "
                "Received: masks=None"
            )
    return dict(items)


class _BackgroundWriter:
    """A thread that runs queued write jobs in order.

    The queue holds at most two jobs, so a writer slower than training makes
    `submit` wait instead of piling maps up in memory. The thread ends after
    a few idle seconds and is restarted by the next job. Exceptions are kept
    for the logger to report.
    """

    _IDLE_SECONDS = 5.0

    def __init__(self) -> None:
        self._queue: queue.Queue[Callable[[], None]] = queue.Queue(maxsize=2)
        self._thread: threading.Thread | None = None
        self._thread_lock = threading.Lock()
        self._errors: list[Exception] = []
        self._errors_lock = threading.Lock()

    def submit(self, job: Callable[[], None]) -> None:
        with self._thread_lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="tbexplain-writer", daemon=True
                )
                self._thread.start()
            self._queue.put(job)

    def join(self) -> None:
        self._queue.join()

    def pop_errors(self) -> list[Exception]:
        with self._errors_lock:
            errors, self._errors = self._errors, []
        return errors

    def _run(self) -> None:
        while True:
            try:
                job = self._queue.get(timeout=self._IDLE_SECONDS)
            except queue.Empty:
                with self._thread_lock:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            try:
                job()
            except Exception as err:
                with self._errors_lock:
                    self._errors.append(err)
            finally:
                self._queue.task_done()


def _join_at_exit(ref: Callable[[], Any]) -> None:
    logger = ref()
    if logger is not None:
        logger._background.join()


@dataclass
class _Series:
    """One method (and layer) of the logger: where its maps go."""

    method: Any
    layer: str | None
    tag: str
    metric_prefix: str
    description: str
    previous: np.ndarray | None = None
    native: bool = False  # explain_with_targets takes upsample=


def _takes_upsample(method: Any) -> bool:
    """Whether the method's `explain_with_targets` accepts ``upsample=``."""
    try:
        signature = inspect.signature(method.explain_with_targets)
    except (AttributeError, TypeError, ValueError):
        return False
    return "upsample" in signature.parameters


@dataclass
class _Binding:
    """What the logger resolved for one model."""

    model_ref: Callable[[], Any]
    forward: Any  # tf.function: probe -> class scores [B, K]
    num_classes: int
    series: list[_Series]


@dataclass
class _Result:
    series: _Series
    maps: np.ndarray
    metrics: dict[str, float] = field(default_factory=dict)
    upsampled: np.ndarray | None = None  # maps at the probe's resolution


class ExplanationLogger:
    """Logs explanations of a fixed probe set at the steps you choose.

    Args:
      images: The probe: images [B, H, W, C] (or sequences [B, T, C]) as
        numpy or tf.Tensor, or a finite `tf.data.Dataset` of images or
        ``(images, labels)`` (read once, here). Keep it small (e.g. 8).
      labels: Optional true class per image: ids [B] or one-hot [B, K].
        Required by ``targets="label"``; shown in the UI otherwise.
      methods: One method or a list (e.g. ``[tbx.GradCAM(),
        tbx.Saliency()]``); the same method class may appear several times
        with different layers.
      log_dir: The run directory to write into, created lazily with
        `tf.summary.create_file_writer` (any path `tf.io.gfile` writes:
        local, ``gs://``, ``s3://`` with tensorflow-io, HDFS). The logger
        closes the writers it creates (`close`).
      writer: A `tf.summary.SummaryWriter` to write with instead of
        `log_dir` (flushed after each log, never closed by the logger).
      targets: Which class each map explains: ``"predicted"`` (default; with
        `top_k`, the k highest scores), ``"label"`` (the true class; needs
        `labels`), an int (that class for every sample) or a list of ints
        (each of these classes for every sample: len(targets) maps per
        sample).
      top_k: With ``targets="predicted"``, explain the k highest-scoring
        classes of each sample (k maps per sample).
      class_names: Optional names indexed by class id, for the UI.
      masks: Optional ground-truth masks [B, H, W] (bool or 0/1) of the
        probe, for the pointing game.
      metrics: Metrics logged as scalars: ``"auto"`` (default:
        ``pointing_game`` when `masks` are given, else none), None, a list of
        names from `METRICS`, or a dict of name -> keyword arguments of the
        `tbexplain.metrics` function, e.g. ``{"drift": {}, "deletion":
        {"steps": 8}}``. ``drift`` is the rank correlation of each map with
        the same sample's map at the previous logged step; ``deletion`` and
        ``insertion`` run ``steps + 1`` forward passes of the probe per map.
        Metrics cost time on top of the methods; none is computed unless
        asked for (or implied by `masks`).
      name: The tag prefix.
      write_in_background: Encode and write each step on a background thread
        (in order, at most two steps queued), so training continues while
        the PNGs are made; `flush` and `close` wait for it. The first step
        written to each writer is written synchronously (also after
        `validate`), so configuration and I/O errors raise there.
        The maps returned by `log` are the ones written. With a given
        `writer`, call `flush` before closing that writer yourself.

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
        targets: str | int | Sequence[int] = "predicted",
        top_k: int | None = None,
        class_names: Sequence[str] | None = None,
        masks: Any = None,
        metrics: Any = "auto",
        name: str = "explain",
        write_in_background: bool = True,
    ) -> None:
        if (log_dir is None) == (writer is None):
            raise ValueError(
                "Pass exactly one of log_dir and writer. "
                f"Received: log_dir={log_dir!r}, writer={writer!r}"
            )
        if writer is not None and not isinstance(writer, tf.summary.SummaryWriter):
            raise TypeError(
                "writer must be a tf.summary.SummaryWriter. "
                f"Received: writer={writer!r}"
            )
        if not isinstance(name, str) or not name.strip("/"):
            raise ValueError(
                f"name must be a non-empty string. Received: name={name!r}"
            )
        self.name = name.strip("/")
        self.log_dir = os.fspath(log_dir) if log_dir is not None else None
        self._external_writer = writer

        probe, labels = _read_probe(images, labels)
        if probe.ndim not in (3, 4) or 0 in probe.shape:
            raise ValueError(
                "images must be a non-empty batch [B, H, W, C] (or sequences "
                f"[B, T, C]). Received: images with shape {probe.shape}"
            )
        if probe.dtype.kind not in "iuf":
            raise ValueError(f"images must be numeric. Received: dtype={probe.dtype}")
        self._images = probe
        n = probe.shape[0]
        self._labels = None if labels is None else _as_class_ids(labels, n, "labels")

        methods = list(methods) if isinstance(methods, (list, tuple)) else [methods]
        if not methods:
            raise ValueError("methods must not be empty. Received: methods=[]")
        for method in methods:
            if not callable(getattr(method, "explain", None)) or not isinstance(
                getattr(method, "name", None), str
            ):
                raise TypeError(
                    "methods must be tbexplain methods (e.g. tbx.GradCAM()). "
                    f"Received: {method!r}"
                )
        self.methods = methods

        self._mode, self._fixed = self._check_targets(targets, top_k)
        self.targets = targets
        self.top_k = top_k
        self._k = (
            top_k
            if top_k is not None
            else (len(self._fixed) if self._fixed is not None else 1)
        )
        if self._mode == "label" and self._labels is None:
            raise ValueError(
                'targets="label" needs the probe\'s labels: pass labels=. '
                "Received: labels=None"
            )
        self.class_names = list(class_names) if class_names is not None else None

        self._masks = None
        if masks is not None:
            m = masks.numpy() if tf.is_tensor(masks) else np.asarray(masks)
            if m.ndim == probe.ndim and m.shape[-1] == 1:
                m = m[..., 0]
            if m.shape != probe.shape[:-1]:
                raise ValueError(
                    f"masks must be [B, H, W] matching the images {probe.shape}. "
                    f"Received: masks with shape {np.shape(masks)}"
                )
            self._masks = np.repeat(m.astype(bool), self._k, axis=0)
        self._metrics = _check_metrics(metrics, self._masks)

        # The probe as the model sees it, converted once (tiled for k > 1).
        model_probe = probe if probe.dtype.kind == "f" else probe.astype(np.float32)
        self._probe = tf.constant(model_probe)
        self._probe_k = (
            model_probe if self._k == 1 else np.repeat(model_probe, self._k, axis=0)
        )
        # The same as a tensor, so each call does not copy it into TF again.
        self._probe_k_tensor = tf.constant(self._probe_k, tf.float32)
        self._samples = np.repeat(np.arange(n), self._k)
        self._labels_k = (
            None if self._labels is None else np.repeat(self._labels, self._k)
        )

        self.write_in_background = bool(write_in_background)
        self._background = _BackgroundWriter()
        # Pending writes are finished when the interpreter exits normally.
        atexit.register(_join_at_exit, weakref.ref(self))
        self._writer: tf.summary.SummaryWriter | None = None
        self._inputs_written_to: Any = None
        self._binding: _Binding | None = None
        self._strict = True
        self._warned: set[Any] = set()
        self.failures: list[tuple[int, str, str]] = []
        """(step, tag, cause) of each method or metric that failed and was skipped."""

    # ----------------------------------------------------------------- config

    @staticmethod
    def _check_targets(targets: Any, top_k: Any) -> tuple[str, np.ndarray | None]:
        if top_k is not None and (
            isinstance(top_k, bool)
            or not isinstance(top_k, (int, np.integer))
            or top_k < 1
        ):
            raise ValueError(
                f"top_k must be a positive integer. Received: top_k={top_k!r}"
            )
        if isinstance(targets, str):
            if targets not in _TARGET_MODES:
                raise ValueError(
                    'targets must be "predicted", "label", a class id or a list of '
                    f"class ids. Received: targets={targets!r}"
                )
            if top_k is not None and targets != "predicted":
                raise ValueError(
                    'top_k needs targets="predicted". '
                    f"Received: targets={targets!r}, top_k={top_k}"
                )
            return targets, None
        if top_k is not None:
            raise ValueError(
                f'top_k needs targets="predicted". Received: targets={targets!r}'
            )
        if isinstance(targets, (bool, np.bool_)):
            raise TypeError(
                f"targets must be a class id. Received: targets={targets!r}"
            )
        ids = np.asarray(targets).reshape(-1) if not np.isscalar(targets) else None
        if isinstance(targets, (int, np.integer)):
            ids = np.array([int(targets)])
        if (
            ids is None
            or ids.size == 0
            or ids.dtype.kind not in "iu"
            or (ids < 0).any()
        ):
            raise ValueError(
                'targets must be "predicted", "label", a class id or a non-empty list '
                f"of class ids. Received: targets={targets!r}"
            )
        return "fixed", ids.astype(np.int64)

    def _bind(self, model: Any) -> _Binding:
        """Resolves layers, tags and the forward pass for `model` (raises)."""
        binding = self._binding
        if binding is not None and binding.model_ref() is model:
            return binding
        if not callable(model):
            raise TypeError(f"model must be a Keras model. Received: model={model!r}")
        self._check_input_shape(model)
        info = targets_lib.output_info(model)
        if info.multi_output:
            raise ValueError(
                f"Model '{model.name}' has several outputs; the logger explains "
                "models with one output of class scores. Received: a multi-output model"
            )
        model_ref = weakref.ref(model)

        @tf.function(autograph=False)
        def forward(x: tf.Tensor) -> tf.Tensor:
            outputs = targets_lib.pre_activation_outputs(model_ref(), x, info)
            outputs = tf.convert_to_tensor(outputs)
            return tf.reshape(tf.cast(outputs, tf.float32), [tf.shape(x)[0], -1])

        try:
            num_classes = int(forward(self._probe).shape[-1])
        except Exception as err:
            raise ValueError(
                f"Model '{model.name}' cannot run on the probe images of shape "
                f"{tuple(self._images.shape)}: {err}. Received: images with shape "
                f"{tuple(self._images.shape)}"
            ) from err
        self._check_classes(num_classes)
        series = self._make_series(model)
        self._binding = _Binding(model_ref, forward, num_classes, series)
        self._strict = True
        return self._binding

    def _check_input_shape(self, model: Any) -> None:
        try:
            inputs = model.inputs
        except (AttributeError, ValueError):
            return
        if not inputs:
            return
        if len(inputs) != 1:
            raise ValueError(
                f"Model '{model.name}' has {len(inputs)} inputs; the logger explains "
                "single-input models. Received: a multi-input model"
            )
        expected = tuple(inputs[0].shape[1:])
        actual = tuple(self._images.shape[1:])
        if len(expected) != len(actual) or any(
            e is not None and e != a for e, a in zip(expected, actual, strict=True)
        ):
            raise ValueError(
                f"The probe images do not fit model '{model.name}', which takes "
                f"inputs of shape {(None, *expected)}. Received: images with shape "
                f"{tuple(self._images.shape)}"
            )

    def _check_classes(self, num_classes: int) -> None:
        if self._mode == "predicted":
            if self._k > num_classes:
                raise ValueError(
                    f"top_k is larger than the model's {num_classes} output(s). "
                    f"Received: top_k={self.top_k}"
                )
            return
        ids = self._labels if self._mode == "label" else self._fixed
        assert ids is not None
        bad = ids[ids >= num_classes]
        if bad.size:
            what = "labels" if self._mode == "label" else "targets"
            raise ValueError(
                f"Class id {int(bad[0])} is out of range: the model has "
                f"{num_classes} output(s). Received: {what}={ids.tolist()}"
            )

    def _make_series(self, model: Any) -> list[_Series]:
        layers = []
        for method in self.methods:
            layer_name = getattr(method, "layer_name", None)
            try:
                layers.append(layer_name(model) if callable(layer_name) else None)
            except Exception as err:
                raise type(err)(
                    f"{type(method).__name__} cannot apply to model '{model.name}': "
                    f"{err}"
                ) from err
        counts: dict[str, int] = {}
        for method in self.methods:
            counts[method.name] = counts.get(method.name, 0) + 1
        series: list[_Series] = []
        used: set[str] = set()
        for method, layer in zip(self.methods, layers, strict=True):
            suffix = method.name
            if counts[method.name] > 1 and layer:
                suffix = f"{method.name}/{layer}"
            base, i = suffix, 1
            while suffix in used:
                i += 1
                suffix = f"{base}_{i}"
            used.add(suffix)
            target = {
                "predicted": "the predicted class"
                if self._k == 1
                else f"the top {self._k} classes",
                "label": "the true class",
                "fixed": "the classes "
                + ", ".join(
                    str(c) for c in (self._fixed if self._fixed is not None else [])
                ),
            }[self._mode]
            description = (
                f"{type(method).__name__}"
                + (f" of layer `{layer}`" if layer else "")
                + f", explaining {target}."
            )
            series.append(
                _Series(
                    method=method,
                    layer=layer,
                    tag=f"{self.name}/{suffix}",
                    metric_prefix=f"{self.name}/metrics/{suffix}",
                    description=description,
                    native=_takes_upsample(method),
                )
            )
        return series

    # ---------------------------------------------------------------- compute

    def _select_known(self) -> np.ndarray:
        """Class ids [B*k] of the "label" and fixed-ids modes."""
        if self._mode == "label":
            assert self._labels is not None
            return self._labels.astype(np.int32)
        assert self._fixed is not None
        n = self._images.shape[0]
        return np.tile(self._fixed, n).astype(np.int32)

    def _select(self, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(class ids [B*k], their scores [B*k]), sample-major."""
        n = scores.shape[0]
        if self._mode == "predicted":
            ids = np.argsort(-scores, axis=1, kind="stable")[:, : self._k]
        elif self._mode == "label":
            assert self._labels is not None
            ids = self._labels[:, None]
        else:
            assert self._fixed is not None
            ids = np.broadcast_to(self._fixed[None, :], (n, self._k))
        chosen = np.take_along_axis(scores, ids, axis=1)
        return ids.reshape(-1).astype(np.int32), chosen.reshape(-1)

    def _warn_once(self, key: Any, message: str) -> None:
        if key in self._warned:
            return
        self._warned.add(key)
        warnings.warn(message, RuntimeWarning, stacklevel=4)

    def _failed(self, step: int | None, key: str, err: Exception, strict: bool) -> None:
        cause = f"{type(err).__name__}: {err}"
        if strict:
            raise RuntimeError(
                f"tbexplain could not compute {key} for the first log: {cause}"
            ) from err
        self.failures.append((step if step is not None else -1, key, cause))
        self._warn_once(
            ("failed", key),
            f"tbexplain: {key} failed at step {step} and is skipped ({cause}). "
            "Training continues; later failures of it are not reported again.",
        )

    def _explain(
        self, series: _Series, model: Any, targets: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """(maps, explained class ids or None, their scores or None)."""
        method = series.method
        if series.native:
            # Maps at the resolution the method computes them (a CAM's layer
            # resolution): the plugin upsamples them over the inputs, and the
            # PNGs are that much smaller to encode, store and load.
            result = method.explain_with_targets(
                model, self._probe_k_tensor, targets, upsample=False
            )
            return np.asarray(result.maps, np.float32), result.class_ids, result.scores
        with_targets = getattr(method, "explain_with_targets", None)
        if callable(with_targets):
            result = with_targets(model, self._probe_k, targets)
            return np.asarray(result.maps, np.float32), result.class_ids, result.scores
        maps = method.explain(model, self._probe_k, targets=targets)
        return np.asarray(maps, np.float32), None, None

    def _compute(
        self, model: Any, step: int | None, strict: bool
    ) -> tuple[np.ndarray | None, np.ndarray | None, list[_Result]]:
        """Runs every method (and metric); returns (class ids, scores, results).

        The classes come from the first method's own forward pass (its
        `explain_with_targets`), so no extra pass over the probe is made,
        except for top-k, which needs every class's score.
        """
        binding = self._bind(model)
        class_ids: np.ndarray | None = None
        scores: np.ndarray | None = None
        if self._mode == "predicted" and self._k > 1:
            class_ids, scores = self._select(binding.forward(self._probe).numpy())
        elif self._mode != "predicted":
            class_ids = self._select_known()
        n = self._probe_k.shape[0]
        results = []
        for series in binding.series:
            try:
                maps, ids, method_scores = self._explain(series, model, class_ids)
                if maps.shape[0] != n or maps.ndim not in (2, 3):
                    raise ValueError(
                        f"expected {n} maps [N, H, W] or [N, T]. "
                        f"Received: maps with shape {maps.shape}"
                    )
            except Exception as err:
                self._failed(step, series.tag, err, strict)
                continue
            if class_ids is None or scores is None:
                if ids is None or method_scores is None:
                    ids, method_scores = self._select(
                        binding.forward(self._probe).numpy()
                    )
                class_ids = (
                    np.asarray(ids, np.int32) if class_ids is None else class_ids
                )
                scores = np.asarray(method_scores, np.float64)
            result = _Result(series, maps)
            for metric, kwargs in self._metrics.items():
                if metric not in _MODEL_METRICS:
                    continue  # numpy-only metrics are computed by the writer
                key = f"{series.metric_prefix}/{metric}"
                try:
                    values = getattr(metrics_lib, metric)(
                        model,
                        self._probe_k,
                        self._at_input_resolution(result),
                        class_ids,
                        **kwargs,
                    )
                except Exception as err:
                    self._failed(step, key, err, strict)
                    continue
                result.metrics[metric] = _mean(values)
            results.append(result)
        return class_ids, scores, results

    def _at_input_resolution(self, result: _Result) -> np.ndarray:
        """The maps resized bilinearly to the probe's resolution (once)."""
        if result.upsampled is None:
            spatial = tuple(self._images.shape[1:-1])
            maps = result.maps
            result.upsampled = (
                maps
                if maps.shape[1:] == spatial
                else resize_map(tf.constant(maps), spatial).numpy()
            )
        return result.upsampled

    def _map_metric(
        self,
        metric: str,
        kwargs: dict[str, Any],
        result: _Result,
        previous: np.ndarray | None,
    ) -> float | None:
        """A metric computed from the maps alone (no model call)."""
        maps = result.maps
        if metric == "drift":
            if previous is None or previous.shape != maps.shape:
                return None
            return _mean(metrics_lib.drift(previous, maps, **kwargs))
        return _mean(
            getattr(metrics_lib, metric)(
                self._at_input_resolution(result), self._masks, **kwargs
            )
        )

    # ------------------------------------------------------------------ write

    @property
    def writer(self) -> tf.summary.SummaryWriter:
        """The writer (created from `log_dir` on first use)."""
        if self._external_writer is not None:
            return self._external_writer
        if self._writer is None:
            assert self.log_dir is not None
            self._writer = tf.summary.create_file_writer(self.log_dir)
        return self._writer

    @property
    def inputs_tag(self) -> str:
        """The tag of the probe images."""
        return f"{self.name}/inputs"

    def validate(self, model: Any) -> None:
        """Checks the configuration against `model` with a dry run (writes nothing).

        Resolves every method's layer, feeds the probe through the model,
        checks the target classes and runs each method and metric once. The
        compiled functions it traces are the ones `log` reuses.

        Raises:
          ValueError, TypeError, RuntimeError: the configuration does not fit
            the model; the message names the method and the cause.
        """
        self._binding = None
        self._compute(model, None, strict=True)
        self._strict = False

    def log(self, model: Any, step: Any) -> dict[str, np.ndarray]:
        """Explains the probe with every method and writes the summaries.

        Args:
          model: The Keras model being trained (a single input, one output of
            class scores).
          step: The step of the summaries (an int, or a scalar tensor such as
            ``optimizer.iterations``).

        Returns:
          The maps written, by tag ([B * k, h, w] each, sample-major), at
          the resolution the method computes them: the layer's for the CAM
          family (``upsample=False``), the input's for the others. Empty on
          a non-chief worker.

        Raises:
          ValueError, TypeError, RuntimeError: at the first call with a model,
            when the configuration does not fit it. Later failures are
            warnings (see `failures`).
        """
        step = _as_int_step(step)
        if not is_chief(model):
            return {}
        strict = self._strict or (
            self._binding is None or self._binding.model_ref() is not model
        )
        if strict:
            return self._log(model, step, strict=True)
        try:
            return self._log(model, step, strict=False)
        except Exception as err:
            self.failures.append((step, self.name, f"{type(err).__name__}: {err}"))
            self._warn_once(
                ("log", type(err)),
                f"tbexplain: logging explanations at step {step} failed and was "
                f"skipped ({type(err).__name__}: {err}). Training continues.",
            )
            return {}

    def _log(self, model: Any, step: int, strict: bool) -> dict[str, np.ndarray]:
        self._report_background_errors(step)
        class_ids, scores, results = self._compute(model, step, strict)
        previous = []
        for result in results:
            previous.append(result.series.previous)
            result.series.previous = result.maps
        writer = self.writer
        write_inputs = self._inputs_written_to is not writer
        self._inputs_written_to = writer

        def write() -> None:
            self._write(
                writer, step, class_ids, scores, results, previous, write_inputs, strict
            )

        if strict or write_inputs or not self.write_in_background:
            write()
        else:
            self._background.submit(write)
        self._strict = False
        return {result.series.tag: result.maps for result in results}

    def _write(
        self,
        writer: tf.summary.SummaryWriter,
        step: int,
        class_ids: np.ndarray | None,
        scores: np.ndarray | None,
        results: list[_Result],
        previous: list[np.ndarray | None],
        write_inputs: bool,
        strict: bool,
    ) -> None:
        """Encodes and writes one step (on the background thread, usually)."""
        with writer.as_default():
            if write_inputs:
                summary.inputs(
                    self.inputs_tag,
                    self._images,
                    step=step,
                    labels=self._labels,
                    class_names=self.class_names,
                    description="The probe images that the explanations overlay.",
                )
            for result, prev in zip(results, previous, strict=True):
                series = result.series
                summary.explanation(
                    series.tag,
                    result.maps,
                    step=step,
                    method=series.method.name,
                    layer=series.layer,
                    class_ids=class_ids,
                    class_names=self.class_names,
                    scores=scores,
                    inputs=self.inputs_tag,
                    description=series.description,
                    samples=self._samples,
                    labels=self._labels_k,
                    signed=bool(getattr(series.method, "signed", False)),
                )
                values = dict(result.metrics)
                for metric, kwargs in self._metrics.items():
                    if metric in _MODEL_METRICS:
                        continue
                    key = f"{series.metric_prefix}/{metric}"
                    try:
                        value = self._map_metric(metric, kwargs, result, prev)
                    except Exception as err:
                        self._failed(step, key, err, strict)
                        continue
                    if value is not None:
                        values[metric] = value
                for metric in self._metrics:
                    if metric in values:
                        tf.summary.scalar(
                            f"{series.metric_prefix}/{metric}",
                            values[metric],
                            step=step,
                        )
                nonfinite = int(np.size(result.maps) - np.isfinite(result.maps).sum())
                if nonfinite:
                    self._warn_once(
                        ("nonfinite", series.tag),
                        f"tbexplain: {series.tag} has {nonfinite} non-finite values at "
                        f"step {step}; they are recorded in the manifest.",
                    )
        writer.flush()

    def _report_background_errors(self, step: int | None) -> None:
        for err in self._background.pop_errors():
            self.failures.append(
                (
                    step if step is not None else -1,
                    self.name,
                    f"{type(err).__name__}: {err}",
                )
            )
            self._warn_once(
                ("write", type(err)),
                f"tbexplain: writing explanations failed ({type(err).__name__}: "
                f"{err}); that step is missing. Training continues.",
            )

    def flush(self) -> None:
        """Waits for pending background writes, then flushes the writer."""
        self._background.join()
        self._report_background_errors(None)
        writer = self._external_writer or self._writer
        if writer is not None:
            writer.flush()

    def close(self) -> None:
        """Finishes pending writes and closes the writer the logger created.

        A given writer is only flushed. A later `log` opens a new writer (and
        event file) in `log_dir`.
        """
        self.flush()
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def __enter__(self) -> ExplanationLogger:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
