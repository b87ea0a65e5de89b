"""Samples of a `tf.data` input pipeline at named stages.

A pipeline that loads, resizes and augments images is easiest to debug by
looking at the same samples after each stage. `log_stages` takes the first `n`
samples of each stage's dataset and writes them with `tbexplain.summary.inputs`
under ``{name}/pipeline/{stage}`` (kind ``inputs`` with ``stage`` set), so the
tbexplain plugin can show the stages side by side::

    ds0 = tf.data.Dataset.from_tensor_slices((paths, labels)).map(load)
    ds1 = ds0.map(resize)
    ds2 = ds1.map(augment)
    tbx.pipeline.log_stages("logs/run1/train",
                            {"loaded": ds0, "resized": ds1, "augmented": ds2},
                            n=8, step=0, class_names=["circle", "square"])

Each dataset is iterated separately (only as far as `n` samples), so random
augmentations show one draw of the pipeline, not the exact batches the model
trains on. Elements may be images, ``(images, labels[, weights])`` tuples or
dicts, batched or not, read as `tbexplain.inputs` reads every dataset.
Samples of different sizes (before a resize stage) are padded, centred, to the
largest one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from tbexplain import inputs as inputs_lib
from tbexplain import summary
from tbexplain.checks import positive_int

__all__ = ["Stages", "log_stage", "log_stages", "take_samples"]

WriterOrLogdir = Any  # tf.summary.SummaryWriter | str | os.PathLike


def take_samples(
    dataset: tf.data.Dataset,
    n: int | None = 8,
    *,
    batched: bool | None = None,
    image_key: str | None = None,
    label_key: str | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Reads the first `n` samples (images and labels) of a dataset.

    Args:
      dataset: A `tf.data.Dataset` of images, ``(images, labels, ...)`` tuples or
        dicts, batched or not (read by `tbexplain.inputs.read_dataset`).
      n: How many samples to read; None reads the whole (finite) dataset.
      batched: Whether elements are batches; by default guessed (see
        `tbexplain.inputs`).
      image_key: The images' key for dict elements (default: "image", "x", ...).
      label_key: The labels' key for dict elements (default: "label", "y", ...).

    Returns:
      Images [n, H, W, C] (images of different sizes padded, centred, to the
      largest) and class ids [n] (from integer or one-hot labels), or None when
      the elements carry no usable labels.

    Raises:
      ValueError: `n` is not positive, the dataset is empty or its elements
        are not images.
    """
    images, labels = inputs_lib.read_dataset(
        dataset,
        n,
        batched=batched,
        input_key=image_key,
        label_key=label_key,
        pad=True,
    )
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4:
        raise ValueError(
            "Dataset images must be [H, W], [H, W, C] or batches of them. "
            f"Received: samples of shape {images.shape[1:]}"
        )
    ids = None if labels is None else inputs_lib.class_ids(labels, strict=False)
    return images, ids


def _open(writer_or_logdir: WriterOrLogdir) -> tuple[Any, bool]:
    """(writer, whether this module created it and must close it)."""
    if isinstance(writer_or_logdir, tf.summary.SummaryWriter):
        return writer_or_logdir, False
    if isinstance(writer_or_logdir, (str, os.PathLike)):
        return tf.summary.create_file_writer(os.fspath(writer_or_logdir)), True
    raise TypeError(
        "writer_or_logdir must be a tf.summary.SummaryWriter or a directory path. "
        f"Received: {type(writer_or_logdir).__name__}"
    )


class Stages:
    """Named pipeline stages to log: the first `n` samples of each dataset.

    Give it to `tbexplain.ExplainCallback` (``pipeline=``, logged once at
    train begin) or to `tbexplain.ExplanationLogger` (in ``methods=``, logged
    at the first step of each writer), or write it yourself with
    `log_stages`.

    Args:
      stages: Stage name -> dataset, in display order, e.g.
        ``{"loaded": ds0, "resized": ds1, "augmented": ds2}``.
      n: Samples per stage (the first `n` of each dataset).
      class_names: Optional names indexed by class id, for the labels.
      batched, image_key, label_key: See `take_samples`.

    Raises:
      ValueError: no stage, or an empty stage name.
    """

    def __init__(
        self,
        stages: Mapping[str, tf.data.Dataset],
        *,
        n: int = 8,
        class_names: Sequence[str] | None = None,
        batched: bool | None = None,
        image_key: str | None = None,
        label_key: str | None = None,
    ) -> None:
        if not isinstance(stages, Mapping) or not stages:
            raise ValueError(
                "stages must be a non-empty mapping of stage name to dataset. "
                f"Received: stages={stages!r}"
            )
        for stage, dataset in stages.items():
            if not isinstance(stage, str) or not stage:
                raise ValueError(
                    f"Stage names must be non-empty strings. Received: {stage!r}"
                )
            if not isinstance(dataset, tf.data.Dataset):
                raise TypeError(
                    f"Stage {stage!r} must be a tf.data.Dataset. "
                    f"Received: {type(dataset).__name__}"
                )
        self.stages = dict(stages)
        self.n = positive_int(n, "n")
        self.class_names = list(class_names) if class_names is not None else None
        self._read_options = {
            "batched": batched,
            "image_key": image_key,
            "label_key": label_key,
        }

    def __repr__(self) -> str:
        return f"Stages({list(self.stages)!r}, n={self.n})"

    def read(self) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
        """Stage -> (images [n, H, W, C], class ids or None), every stage read
        before anything is written (so a bad stage writes nothing)."""
        return {
            stage: take_samples(dataset, self.n, **self._read_options)  # type: ignore[arg-type]
            for stage, dataset in self.stages.items()
        }

    @staticmethod
    def write(
        samples: Mapping[str, tuple[np.ndarray, np.ndarray | None]],
        tags: Sequence[str],
        step: int,
        class_names: Sequence[str] | None,
    ) -> None:
        """Writes read stages under `tags` with the default summary writer."""
        for tag, (stage, (images, labels)) in zip(tags, samples.items(), strict=True):
            summary.inputs(
                tag,
                images,
                step=step,
                labels=labels,
                class_names=class_names,
                stage=stage,
            )


def log_stages(
    writer_or_logdir: WriterOrLogdir,
    stages: Mapping[str, tf.data.Dataset],
    *,
    n: int = 8,
    step: int = 0,
    name: str = "explain",
    class_names: Sequence[str] | None = None,
    batched: bool | None = None,
    image_key: str | None = None,
    label_key: str | None = None,
) -> list[str]:
    """Writes the first `n` samples of each named pipeline stage.

    Args:
      writer_or_logdir: A `tf.summary.SummaryWriter`, or the run directory to
        write into (any path `tf.io.gfile` writes: local, ``gs://``, ...; for a
        Keras `TensorBoard` callback with ``log_dir=d`` use ``d + "/train"`` to
        share its run). A writer given here is flushed, not closed.
      stages: Stage name -> dataset, in display order, e.g.
        ``{"loaded": ds0, "resized": ds1, "augmented": ds2}``.
      n: Samples per stage (the first `n` of each dataset).
      step: The step of the summaries.
      name: Tag prefix; stage ``s`` is written under ``{name}/pipeline/{s}``.
      class_names: Optional names indexed by class id, for the labels.
      batched, image_key, label_key: See `take_samples`.

    Returns:
      The tags written, in the order of `stages`.

    Raises:
      ValueError: no stage, an empty stage name, or a dataset that is empty or
        not made of images.
    """
    plan = Stages(
        stages,
        n=n,
        class_names=class_names,
        batched=batched,
        image_key=image_key,
        label_key=label_key,
    )
    samples = plan.read()
    tags = [f"{name}/pipeline/{stage}" for stage in samples]
    writer, owned = _open(writer_or_logdir)
    try:
        with writer.as_default():
            plan.write(samples, tags, step, plan.class_names)
        writer.flush()
    finally:
        if owned:
            writer.close()
    return tags


def log_stage(
    writer_or_logdir: WriterOrLogdir,
    stage: str,
    dataset: tf.data.Dataset,
    **kwargs: Any,
) -> str:
    """Writes the first samples of one pipeline stage; see `log_stages`.

    Returns:
      The tag written.
    """
    return log_stages(writer_or_logdir, {stage: dataset}, **kwargs)[0]
