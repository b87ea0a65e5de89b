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
dicts; batched and unbatched datasets are both accepted. Samples of different
sizes (before a resize stage) are padded, centred, to the largest one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from tbexplain import summary

__all__ = ["log_stage", "log_stages", "take_samples"]

WriterOrLogdir = Any  # tf.summary.SummaryWriter | str | os.PathLike

_IMAGE_KEYS = ("image", "images", "x", "input", "inputs", "pixels")
_LABEL_KEYS = ("label", "labels", "y", "target", "targets", "class", "class_id")


def _split_element(
    element: Any, image_key: str | None, label_key: str | None
) -> tuple[Any, Any]:
    """(images, labels or None) of one dataset element."""
    if isinstance(element, Mapping):
        keys = list(element)
        ikey = image_key or next((k for k in _IMAGE_KEYS if k in element), None)
        if ikey is None:
            if len(keys) != 1:
                raise ValueError(
                    "Cannot tell which entry of the dataset's dict elements holds the "
                    f"images; pass image_key=. Received: keys={keys}"
                )
            ikey = keys[0]
        if ikey not in element:
            raise ValueError(f"image_key is not in the elements. Received: {ikey=}")
        lkey = label_key or next((k for k in _LABEL_KEYS if k in element), None)
        if label_key is not None and label_key not in element:
            raise ValueError(
                f"label_key is not in the elements. Received: {label_key=}"
            )
        return element[ikey], element[lkey] if lkey is not None else None
    if isinstance(element, (tuple, list)):
        if not element:
            raise ValueError("Dataset elements must not be empty tuples.")
        return element[0], element[1] if len(element) > 1 else None
    return element, None


def _is_batched(images_spec: Any, batched: bool | None) -> bool:
    if batched is not None:
        return batched
    rank = images_spec.shape.rank
    if rank is None:
        raise ValueError(
            "The rank of the dataset's images is unknown; pass batched=True or False."
        )
    if rank == 4:
        return True
    if rank == 3:
        # [H, W, C] with a colour axis, or a batch of gray images [B, H, W].
        return images_spec.shape[-1] not in (1, 3, 4)
    if rank == 2:
        return False
    raise ValueError(
        "Dataset images must be [H, W], [H, W, C] or batches of them. "
        f"Received: element shape={images_spec.shape}"
    )


def _label_ids(labels: np.ndarray) -> np.ndarray | None:
    """Class ids [B] from integer labels [B] or one-hot [B, K]; None otherwise."""
    if labels.ndim == 2 and labels.shape[1] > 1:
        return labels.argmax(axis=1).astype(np.int64)
    labels = labels.reshape(labels.shape[0], -1)
    if labels.shape[1] != 1 or not (
        np.issubdtype(labels.dtype, np.integer)
        or np.all(np.equal(np.mod(labels, 1), 0))
    ):
        return None
    return labels[:, 0].astype(np.int64)


def _pad_to_common(images: list[np.ndarray]) -> np.ndarray:
    """Stacks images [H, W, C] of different sizes, centred on a zero canvas."""
    heights = [im.shape[0] for im in images]
    widths = [im.shape[1] for im in images]
    channels = {im.shape[2] for im in images}
    if len(channels) != 1:
        raise ValueError(
            "All sampled images of a stage must have the same number of channels. "
            f"Received: channels={sorted(channels)}"
        )
    dtype = np.result_type(*images)
    out = np.zeros((len(images), max(heights), max(widths), channels.pop()), dtype)
    for i, im in enumerate(images):
        top = (out.shape[1] - im.shape[0]) // 2
        left = (out.shape[2] - im.shape[1]) // 2
        out[i, top : top + im.shape[0], left : left + im.shape[1]] = im
    return out


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
        dicts, batched or not.
      n: How many samples to read; None reads the whole (finite) dataset.
      batched: Whether elements are batches. By default guessed from the
        element spec: rank 4 is batched, rank 3 is one image [H, W, C] when its
        last axis has 1, 3 or 4 entries.
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
    if n is not None and (not isinstance(n, (int, np.integer)) or n < 1):
        raise ValueError(f"n must be a positive integer or None. Received: n={n!r}")
    if not isinstance(dataset, tf.data.Dataset):
        raise TypeError(
            f"dataset must be a tf.data.Dataset. Received: {type(dataset).__name__}"
        )
    images_spec, labels_spec = _split_element(
        dataset.element_spec, image_key, label_key
    )
    is_batched = _is_batched(images_spec, batched)
    images: list[np.ndarray] = []
    labels: list[np.ndarray] | None = [] if labels_spec is not None else None
    source = dataset if is_batched or n is None else dataset.take(n)
    for element in source:
        x, y = _split_element(element, image_key, label_key)
        x = np.asarray(x)
        if not is_batched:
            x = x[None]
        if x.ndim == 3:
            x = x[..., None]
        images.extend(x)
        if labels is not None:
            y = np.asarray(y)
            labels.extend(y if is_batched else y[None])
        if n is not None and len(images) >= n:
            break
    if not images:
        raise ValueError("The dataset is empty; no samples to log.")
    images = images[:n] if n is not None else images
    stacked = (
        np.stack(images)
        if len({im.shape for im in images}) == 1
        else _pad_to_common(images)
    )
    ids = None
    if labels is not None:
        ids = _label_ids(np.asarray(labels[: len(images)]))
    return stacked, ids


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
    if not isinstance(stages, Mapping) or not stages:
        raise ValueError(
            "stages must be a non-empty mapping of stage name to dataset. "
            f"Received: stages={stages!r}"
        )
    for stage in stages:
        if not isinstance(stage, str) or not stage:
            raise ValueError(
                f"Stage names must be non-empty strings. Received: {stage!r}"
            )
    # Read every stage before writing, so a bad stage writes nothing.
    samples = {
        stage: take_samples(
            ds, n, batched=batched, image_key=image_key, label_key=label_key
        )
        for stage, ds in stages.items()
    }
    writer, owned = _open(writer_or_logdir)
    tags = []
    try:
        with writer.as_default():
            for stage, (images, labels) in samples.items():
                tag = f"{name}/pipeline/{stage}"
                summary.inputs(
                    tag,
                    images,
                    step=step,
                    labels=labels,
                    class_names=class_names,
                    stage=stage,
                )
                tags.append(tag)
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
