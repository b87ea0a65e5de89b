"""Realistic tbexplain log directories for tests (plugin, frontend end-to-end).

`make_logdir` writes, for each run, the probe inputs, one explanation series
per method and one activations series, with the public summary ops
(`tbexplain.summary`) under a real `tf.summary` file writer::

    from tests.helpers.logdir import make_logdir

    info = make_logdir(tmp_path / "logs", runs=("run_a", "run_b"), steps=5)
    info.tags["explain/gradcam"]["method"]   # "gradcam"
    info.maps("run_a", "explain/gradcam", step=2)  # the float maps written

Everything is seeded: the same arguments write the same values. Tag layout
(see `LogdirInfo.tags`):

* ``explain/inputs``: kind "inputs", `samples` images [size, size, 3] with
  labels and class names;
* ``explain/<method>``: kind "explanation", one map per sample (method
  "gradcam" also gets ``layer="conv2"``), class id = label, signed for
  methods in `SIGNED_METHODS`; a Gaussian blob that moves with the step;
* ``explain/activations/conv1``: kind "activations", 2 channels per sample at
  half resolution.

Importing this module imports TensorFlow (the writer needs it).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

CLASS_NAMES = ("circle", "square", "triangle")
SIGNED_METHODS = frozenset(
    {"saliency_signed", "integrated_gradients", "gradient_input"}
)
INPUTS_TAG = "explain/inputs"
ACTIVATIONS_TAG = "explain/activations/conv1"
ACTIVATION_CHANNELS = (0, 5)


@dataclasses.dataclass
class LogdirInfo:
    """What `make_logdir` wrote.

    Attributes:
      path: The log directory (pass it to ``tensorboard --logdir``).
      runs: Run names (subdirectories of `path`).
      steps: The steps written, ascending (``0 .. steps-1``).
      samples: Probe images per step.
      size: Image height and width.
      methods: Explanation methods, one tag each.
      tags: tag -> {"kind", "method", "layer", "signed", "inputs_tag",
        "samples" (blobs per step)}, the same for every run.
      seed: Base seed.
    """

    path: Path
    runs: tuple[str, ...]
    steps: tuple[int, ...]
    samples: int
    size: int
    methods: tuple[str, ...]
    tags: dict[str, dict[str, Any]]
    seed: int

    def explanation_tag(self, method: str) -> str:
        return f"explain/{method}"

    def images(self, run: str, step: int) -> np.ndarray:
        """The float images [samples, size, size, 3] in [0, 1] written at `step`."""
        return _images(self._rng(run, "inputs", step), self.samples, self.size)

    def labels(self, run: str) -> np.ndarray:
        return np.arange(self.samples) % len(CLASS_NAMES)

    def maps(self, run: str, tag: str, step: int) -> np.ndarray:
        """The float maps [samples, size, size] of an explanation tag at `step`."""
        method = self.tags[tag]["method"]
        return _maps(
            self._rng(run, tag, step),
            self.samples,
            self.size,
            step,
            signed=method in SIGNED_METHODS,
        )

    def feature_maps(self, run: str, step: int) -> np.ndarray:
        """The activations [samples, size/2, size/2, channels] at `step`."""
        rng = self._rng(run, ACTIVATIONS_TAG, step)
        half = max(1, self.size // 2)
        shape = (self.samples, half, half, len(ACTIVATION_CHANNELS))
        return np.maximum(rng.normal(size=shape), 0.0).astype(np.float32)

    def _rng(self, run: str, tag: str, step: int) -> np.random.Generator:
        key = [self.seed, step, *run.encode(), 0, *tag.encode()]
        return np.random.default_rng(key)


def _images(rng: np.random.Generator, samples: int, size: int) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size] / max(1, size - 1)
    base = np.stack([xx, yy, 1.0 - xx], axis=-1)
    noise = rng.uniform(0.0, 0.2, size=(samples, size, size, 3))
    return np.clip(base[None] * 0.8 + noise, 0.0, 1.0).astype(np.float32)


def _maps(
    rng: np.random.Generator, samples: int, size: int, step: int, *, signed: bool
) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    out = np.empty((samples, size, size), dtype=np.float32)
    for i in range(samples):
        cy = (size * (0.25 + 0.1 * i) + step) % size
        cx = (size * 0.5 + 2 * step) % size
        sigma = size / 6
        blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * sigma**2))
        out[i] = blob * (1.0 + i) + rng.normal(0.0, 0.02, size=(size, size))
        if signed:
            out[i] -= 0.5 * out[i].mean()
        else:
            out[i] = np.maximum(out[i], 0.0)
    return out


def make_logdir(
    path: str | os.PathLike[str],
    runs: Sequence[str] = ("run_a", "run_b"),
    steps: int = 5,
    samples: int = 4,
    size: int = 32,
    methods: Sequence[str] = ("gradcam", "saliency"),
    *,
    seed: int = 0,
    activations: bool = True,
) -> LogdirInfo:
    """Writes a tbexplain log directory with the public summary ops.

    Args:
      path: Log directory to create (runs are subdirectories).
      runs: Run names.
      steps: Number of steps, written as 0, 1, ..., steps-1.
      samples: Probe images (and maps per explanation) per step.
      size: Height and width of the images and maps.
      methods: Explanation method keys, one series ``explain/<method>`` each.
      seed: Base seed of all values.
      activations: Whether to write the ``explain/activations/conv1`` series.

    Returns:
      A `LogdirInfo` describing (and able to regenerate) what was written.
    """
    import tensorflow as tf

    from tbexplain import summary

    root = Path(path)
    tags: dict[str, dict[str, Any]] = {
        INPUTS_TAG: {
            "kind": "inputs",
            "method": "",
            "layer": "",
            "signed": False,
            "inputs_tag": "",
            "samples": samples,
        }
    }
    for method in methods:
        tags[f"explain/{method}"] = {
            "kind": "explanation",
            "method": method,
            "layer": "conv2" if method == "gradcam" else "",
            "signed": method in SIGNED_METHODS,
            "inputs_tag": INPUTS_TAG,
            "samples": samples,
        }
    if activations:
        tags[ACTIVATIONS_TAG] = {
            "kind": "activations",
            "method": "",
            "layer": "conv1",
            "signed": False,
            "inputs_tag": INPUTS_TAG,
            "samples": samples * len(ACTIVATION_CHANNELS),
        }
    info = LogdirInfo(
        path=root,
        runs=tuple(runs),
        steps=tuple(range(steps)),
        samples=samples,
        size=size,
        methods=tuple(methods),
        tags=tags,
        seed=seed,
    )
    for run in info.runs:
        writer = tf.summary.create_file_writer(str(root / run))
        labels = info.labels(run)
        with writer.as_default():
            for step in info.steps:
                summary.inputs(
                    INPUTS_TAG,
                    info.images(run, step),
                    step=step,
                    labels=labels,
                    class_names=CLASS_NAMES,
                )
                for method in info.methods:
                    tag = info.explanation_tag(method)
                    summary.explanation(
                        tag,
                        info.maps(run, tag, step),
                        step=step,
                        method=method,
                        layer=tags[tag]["layer"] or None,
                        class_ids=labels,
                        class_names=CLASS_NAMES,
                        scores=np.linspace(1.0, 2.0, samples) + step,
                        inputs=INPUTS_TAG,
                        labels=labels,
                        signed=method in SIGNED_METHODS,
                    )
                if activations:
                    summary.activations(
                        ACTIVATIONS_TAG,
                        info.feature_maps(run, step),
                        step=step,
                        layer="conv1",
                        channels=ACTIVATION_CHANNELS,
                        inputs=INPUTS_TAG,
                    )
        writer.close()
    return info
