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

`make_logdir` imports TensorFlow (its writer needs it). The raw generators
(`write_raw_run`, `make_sweep_logdir`, `encode_png`) write events with
TensorBoard's own event writer and `tbexplain_plugin.metadata`, without
TensorFlow: quick enough for a sweep of a hundred runs, and free to write
data the summary ops would refuse (blobs that are not PNGs, strips of the
wrong size, manifests of a newer version).
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import struct
import zlib
from collections.abc import Iterable, Sequence
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


# ---- raw writes (no TensorFlow) ---------------------------------------------

_RAW_FILES = itertools.count(1)


def encode_png(image: np.ndarray) -> bytes:
    """An 8-bit PNG of a uint8 image [H, W] (gray) or [H, W, 3] (RGB).

    Every row uses PNG's "Sub" filter (the difference to the pixel on the
    left), which keeps smooth images small.
    """
    image = np.ascontiguousarray(image, dtype=np.uint8)
    height, width = image.shape[:2]
    color = {2: 0, 3: 2}[image.ndim]
    rows = image.reshape(height, width, -1).astype(np.int16)
    sub = rows.copy()
    sub[:, 1:] -= rows[:, :-1]
    filtered = (sub % 256).astype(np.uint8).reshape(height, -1)
    raw = np.concatenate([np.ones((height, 1), np.uint8), filtered], axis=1).tobytes()

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, color, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


@dataclasses.dataclass
class RawSeries:
    """One tbexplain series to write raw: its metadata and, per step, its values.

    Attributes:
      tag: Tag name.
      metadata: The series' `SummaryMetadata` (e.g.
        `tbexplain_plugin.metadata.create_summary_metadata(...)`).
      steps: step -> the rank-1 string tensor of that step, ``[manifest,
        blob, ...]`` (any bytes).
      manifest_tensors: Whether to write element 0 of each step before it as
        the step's manifest tensor, as the summary ops do since format
        version 5 (`tbexplain_plugin.metadata.manifest_tag`).
    """

    tag: str
    metadata: Any
    steps: dict[int, list[bytes]]
    manifest_tensors: bool = True


def write_raw_run(run_dir: str | os.PathLike[str], series: Iterable[RawSeries]) -> None:
    """Writes the series of one run into one event file, step by step.

    All series of a run go into one file (the Python loader follows one file
    per run unless told otherwise); the file is named in write order, as
    TensorBoard's own names may sort backwards within a second.
    """
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer import event_file_writer
    from tensorboard.util import tensor_util

    from tbexplain_plugin import metadata

    os.makedirs(run_dir, exist_ok=True)
    before = set(os.listdir(run_dir))
    writer = event_file_writer.EventFileWriter(os.fspath(run_dir))
    series = list(series)
    steps = sorted({step for s in series for step in s.steps})
    for step in steps:
        for s in series:
            if step not in s.steps:
                continue
            if s.manifest_tensors and s.steps[step]:
                manifest = summary_pb2.Summary.Value(
                    tag=metadata.manifest_tag(s.tag),
                    metadata=metadata.create_manifest_metadata(),
                    tensor=tensor_util.make_tensor_proto(
                        np.array(s.steps[step][0], dtype=object)
                    ),
                )
                writer.add_event(
                    event_pb2.Event(
                        step=step,
                        wall_time=1.0e9 + step,
                        summary=summary_pb2.Summary(value=[manifest]),
                    )
                )
            value = summary_pb2.Summary.Value(
                tag=s.tag,
                metadata=s.metadata,
                tensor=tensor_util.make_tensor_proto(s.steps[step]),
            )
            writer.add_event(
                event_pb2.Event(
                    step=step,
                    wall_time=1.0e9 + step,
                    summary=summary_pb2.Summary(value=[value]),
                )
            )
    writer.close()
    [written] = set(os.listdir(run_dir)) - before
    os.rename(
        os.path.join(run_dir, written),
        os.path.join(run_dir, f"events.out.tfevents.{next(_RAW_FILES):010d}.raw"),
    )


def sweep_arrays(
    steps: int, samples: int, size: int, seed: int = 0
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per step, the uint8 input strip [samples*size, size, 3] and map strip
    [samples*size, size] of `make_sweep_logdir` (smooth, so PNGs stay small)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / max(1, size - 1)
    tints = rng.uniform(0.3, 1.0, size=(samples, 3))
    probe = np.concatenate(
        [
            np.rint(np.stack([xx * t[0], yy * t[1], (1 - xx) * t[2]], -1) * 255)
            for t in tints
        ]
    ).astype(np.uint8)
    inputs, maps = [], []
    for step in range(steps):
        heat = []
        for i in range(samples):
            cy = (0.2 + 0.6 * ((i * 7 + step) % samples) / samples) * size
            cx = (0.5 + 0.3 * np.sin(step / 5 + i)) * size
            blob = np.exp(
                -((yy * size - cy) ** 2 + (xx * size - cx) ** 2) / (size**2 / 18)
            )
            heat.append(np.rint(blob / blob.max() * 255).astype(np.uint8))
        inputs.append(probe)  # the same probe images at every step, as logged
        maps.append(np.concatenate(heat))
    return inputs, maps


def make_sweep_logdir(
    path: str | os.PathLike[str],
    runs: int,
    steps: int = 50,
    samples: int = 16,
    size: int = 64,
    *,
    method: str = "gradcam",
) -> list[str]:
    """Writes a sweep: `runs` runs, each with an inputs series and one
    explanation series of `samples` maps `size` x `size` at `steps` steps,
    each step one PNG strip per series with its manifest tensor (format
    version 5), without TensorFlow.

    Every run holds the same pixels (encoded once); manifests differ per run
    (raw ranges and scores), labels are ``i % 3`` of `CLASS_NAMES` and the
    explained class is the label.

    Returns:
      The run names, sorted (``run_000``, ``run_001``, ...).
    """
    from tbexplain_plugin import metadata

    root = Path(path)
    inputs, maps = sweep_arrays(steps, samples, size)
    probe_png = encode_png(inputs[0])
    input_pngs = [
        probe_png if np.array_equal(a, inputs[0]) else encode_png(a) for a in inputs
    ]
    map_pngs = [encode_png(a) for a in maps]
    labels = [i % len(CLASS_NAMES) for i in range(samples)]
    names = dict(enumerate(CLASS_NAMES))
    inputs_meta = metadata.create_summary_metadata(metadata.KIND_INPUTS)
    maps_meta = metadata.create_summary_metadata(
        metadata.KIND_EXPLANATION, method=method, inputs_tag=INPUTS_TAG
    )
    width = len(str(max(0, runs - 1)))
    run_names = [f"run_{k:0{max(3, width)}d}" for k in range(runs)]
    inputs_manifest = metadata.encode_manifest(
        metadata.KIND_INPUTS,
        [size, size, 3],
        {
            "sample": list(range(samples)),
            "min": [0.0] * samples,
            "max": [1.0] * samples,
            "label": labels,
        },
        names,
        tiles=samples,
    )
    for k, run in enumerate(run_names):
        map_steps: dict[int, list[bytes]] = {}
        for step in range(steps):
            scale = 1.0 + 0.01 * k + 0.02 * step
            manifest = metadata.encode_manifest(
                metadata.KIND_EXPLANATION,
                [size, size],
                {
                    "sample": list(range(samples)),
                    "class_id": labels,
                    "score": [scale + 0.1 * i for i in range(samples)],
                    "label": labels,
                    "min": [0.0] * samples,
                    "max": [scale * (1 + i / samples) for i in range(samples)],
                    "nonfinite": [0] * samples,
                },
                names,
                tiles=samples,
            )
            map_steps[step] = [manifest, map_pngs[step]]
        write_raw_run(
            root / run,
            [
                RawSeries(
                    INPUTS_TAG,
                    inputs_meta,
                    {s: [inputs_manifest, input_pngs[s]] for s in range(steps)},
                ),
                RawSeries(f"explain/{method}", maps_meta, map_steps),
            ],
        )
    return run_names
