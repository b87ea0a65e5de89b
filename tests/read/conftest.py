"""A real log directory for the reader's tests, and what was logged into it.

Written once per session with the public writers (`tbx.ExplanationLogger`,
`tbx.summary.*`) under real `tf.summary` file writers; every array handed to
a summary op is recorded (`Logged`) so the tests compare what the reader
returns with what was logged, not with the reader's own view of the files.

Runs:

* ``logger``: an `ExplanationLogger` at steps 0-2 of a small CNN trained in
  between: Grad-CAM of ``conv2`` at 8 x 8 under 16 x 16 inputs, signed
  Gradient*Input, activations of ``conv1``; top-2 classes per sample;
* ``ops/direct``: summary ops called directly: 12 steps of maps (more than
  TensorBoard's default reservoir keeps) over inputs logged at steps 0 and
  5, with a ``target_name``; sequences [N, T]; filters; a series whose maps
  change shape; one whose row names a sample the inputs lack;
* ``strips``: inputs and maps of a step split over several PNG strips
  (`tbexplain.strips.STRIP_MAX_ROWS` lowered);
* ``formats``: series of versions 1 and 2 (one PNG per row), one of a newer
  version, one with corrupt metadata, a readable one, and ``broken/*`` ones
  whose metadata is fine but whose step is not (manifest, PNG, strip count).
"""

from __future__ import annotations

import dataclasses
import json
import os
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest
import tensorflow as tf

import tbexplain as tbx
from tbexplain import strips, summary
from tbexplain.reading import Logs, read
from tbexplain_plugin import metadata, plugin_data_pb2

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

CLASS_NAMES = ["circle", "square", "triangle"]
SIZE = 16
TOP_K = 2
LOGGER_STEPS = (0, 1, 2)
DIRECT_STEPS = tuple(range(12))
INPUT_STEPS = (0, 5)
TARGET_NAME = "brightness"


@dataclasses.dataclass
class Call:
    """One call of a summary op: its tag, step, array and keyword arguments."""

    run: str
    op: str
    tag: str
    step: int
    array: np.ndarray
    kwargs: dict[str, Any]


@dataclasses.dataclass
class Logged:
    """The log directory and every summary-op call that wrote into it."""

    logdir: Path
    calls: list[Call]
    old_maps: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)

    def call(self, run: str, tag: str, step: int) -> Call:
        (found,) = [c for c in self.calls if (c.run, c.tag, c.step) == (run, tag, step)]
        return found

    def tags(self, run: str, op: str) -> set[str]:
        return {c.tag for c in self.calls if c.run == run and c.op == op}


class Spy:
    """Records the calls of `tbexplain.summary`'s ops (the logger calls them
    through the module too) and lets them write."""

    def __init__(self, mp: pytest.MonkeyPatch) -> None:
        self.run = ""
        self.calls: list[Call] = []
        for op in ("inputs", "explanation", "activations", "filters"):
            mp.setattr(summary, op, self._wrap(op, getattr(summary, op)))

    def _wrap(self, op: str, write: Callable[..., Any]) -> Callable[..., Any]:
        def recorded(name: str, array: Any, step: int, **kwargs: Any) -> Any:
            self.calls.append(
                Call(self.run, op, name, int(step), np.array(array), dict(kwargs))
            )
            return write(name, array, step, **kwargs)

        return recorded


def make_model() -> keras.Model:
    keras.utils.set_random_seed(0)
    inputs = keras.Input((SIZE, SIZE, 3))
    h = keras.layers.Conv2D(4, 3, activation="relu", padding="same", name="conv1")(
        inputs
    )
    h = keras.layers.MaxPooling2D(2)(h)
    h = keras.layers.Conv2D(4, 3, activation="relu", padding="same", name="conv2")(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    outputs = keras.layers.Dense(len(CLASS_NAMES), name="head")(h)
    model = keras.Model(inputs, outputs)
    model.compile(
        keras.optimizers.Adam(0.01),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def write_logger_run(run_dir: Path) -> None:
    rng = np.random.default_rng(0)
    # Multiples of 1/255 in [0, 1]: their 8-bit pixels are exact.
    x = rng.integers(0, 256, (24, SIZE, SIZE, 3)).astype("float32") / 255.0
    y = np.arange(24) % len(CLASS_NAMES)
    model = make_model()
    logger = tbx.ExplanationLogger(
        x[:4],
        y[:4],
        methods=[
            tbx.GradCAM(),
            tbx.GradientInput(),
            tbx.Activations(layers=["conv1"], channels=2),
        ],
        log_dir=str(run_dir),
        top_k=TOP_K,
        class_names=CLASS_NAMES,
        metrics=None,
        write_in_background=False,
    )
    for step in LOGGER_STEPS:
        logger.log(model, step)
        model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    logger.close()


def write_direct_run(run_dir: Path) -> None:
    rng = np.random.default_rng(1)
    writer = tf.summary.create_file_writer(str(run_dir))
    with writer.as_default():
        for step in INPUT_STEPS:
            images = rng.integers(0, 256, (3, 6, 5, 3), dtype=np.uint8)
            summary.inputs("probe/inputs", images, step, labels=[2, 0, 1])
        for step in DIRECT_STEPS:
            maps = rng.normal(step, 1 + step, (6, 6, 5)).astype(np.float32)
            summary.explanation(
                "probe/maps",
                maps,
                step,
                method="occlusion",
                samples=[2, 0, 1, 1, 0, 2],
                class_ids=[0, 1, 2, 0, 1, 2],
                scores=rng.random(6),
                labels=[1, 2, 0, 0, 2, 1],
                predicted=[0, 0, 1, 1, 2, 2],
                target_name=TARGET_NAME,
                class_names=CLASS_NAMES,
                inputs="probe/inputs",
            )
        for step in (0, 1):
            sequences = rng.random((4, 50)).astype(np.float32) * (step + 1)
            summary.explanation("probe/sequence", sequences, step, method="saliency")
            summary.explanation(
                "probe/changing",
                rng.random((2 + step, 4, 4)).astype(np.float32),
                step,
                method="saliency",
            )
        # Row 1 names a sample the inputs do not have.
        stray = rng.random((2, 6, 5)).astype(np.float32)
        summary.explanation(
            "probe/stray", stray, 0, method="m", samples=[0, 7], inputs="probe/inputs"
        )
        filters = rng.integers(0, 256, (2, 5, 5, 3), dtype=np.uint8)
        summary.filters("probe/filters", filters, 0, layer="conv1", filter_ids=[3, 1])
    writer.close()


def write_strips_run(run_dir: Path) -> None:
    rng = np.random.default_rng(2)
    writer = tf.summary.create_file_writer(str(run_dir))
    with writer.as_default(), pytest.MonkeyPatch.context() as mp:
        # 8-pixel-high images, 20 rows a strip at most: 7 in 4 strips of 2.
        mp.setattr(strips, "STRIP_MAX_ROWS", 20)
        images = rng.integers(0, 256, (7, 8, 8, 1), dtype=np.uint8)
        summary.inputs("probe/inputs", images, 0)
        maps = rng.normal(0, 1, (7, 8, 8)).astype(np.float32)
        summary.explanation(
            "probe/maps", maps, 0, method="gradcam", inputs="probe/inputs"
        )
    writer.close()


def old_metadata(version: int, **kwargs: Any) -> Any:
    """The metadata of an explanation series as `version` wrote it."""
    md = metadata.create_summary_metadata(metadata.KIND_EXPLANATION, **kwargs)
    content = plugin_data_pb2.ExplainPluginData.FromString(md.plugin_data.content)
    content.version = version
    md.plugin_data.content = content.SerializeToString()
    return md


def write_formats_run(run_dir: Path) -> dict[str, np.ndarray]:
    """Writes old, newer and corrupt series; returns the 8-bit maps of the
    old ones, by tag."""
    rng = np.random.default_rng(3)
    pixels = {
        "old/v1": rng.integers(0, 256, (2, 4, 3), dtype=np.uint8),
        "old/v2": rng.integers(0, 256, (3, 5, 2), dtype=np.uint8),
    }
    lo, hi = -1.0, 3.0
    v1 = json.dumps(
        {
            "version": 1,
            "kind": "explanation",
            "shape": [4, 3],
            "items": [
                {"sample": i, "min": lo, "max": hi, "class_id": i} for i in (0, 1)
            ],
        }
    ).encode()
    v2 = zlib.compress(
        json.dumps(
            {
                "version": 2,
                "kind": "explanation",
                "shape": [5, 2],
                "columns": {"sample": [0, 1, 2], "min": [lo] * 3, "max": [hi] * 3},
            }
        ).encode()
    )
    writer = tf.summary.create_file_writer(str(run_dir))
    with writer.as_default():
        for tag, manifest, version in (("old/v1", v1, 1), ("old/v2", v2, 2)):
            pngs = [tf.io.encode_png(p[..., None]).numpy() for p in pixels[tag]]
            tf.summary.write(
                tag,
                tf.constant([manifest, *pngs]),
                step=0,
                metadata=old_metadata(version, method="saliency"),
            )
        newer = old_metadata(metadata.PROTO_VERSION + 1, method="future")
        tf.summary.write("newer", tf.constant([b"{}"]), step=0, metadata=newer)
        corrupt = metadata.create_summary_metadata(metadata.KIND_EXPLANATION)
        corrupt.plugin_data.content = b"\xff\xff not a proto"
        tf.summary.write("corrupt", tf.constant([b"{}"]), step=0, metadata=corrupt)
        summary.explanation("fine", np.ones((1, 2, 2), np.float32), 0, method="m")
        # Readable metadata, unreadable steps: raised when the step is read.
        broken = metadata.create_summary_metadata(metadata.KIND_EXPLANATION)
        tf.summary.write("broken/manifest", [b"\x00junk"], step=0, metadata=broken)
        manifest = metadata.encode_manifest(
            metadata.KIND_EXPLANATION, [2, 2], {"sample": [0], "min": [0], "max": [1]}
        )
        tf.summary.write("broken/png", [manifest, b"GIF89a"], step=0, metadata=broken)
        tf.summary.write("broken/strips", [manifest], step=0, metadata=broken)
    writer.close()
    return {tag: lo + p / 255.0 * (hi - lo) for tag, p in pixels.items()}


@pytest.fixture(scope="session")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Logged:
    logdir = tmp_path_factory.mktemp("read") / "logs"
    with pytest.MonkeyPatch.context() as mp:
        spy = Spy(mp)
        spy.run = "logger"
        write_logger_run(logdir / "logger")
        spy.run = "ops/direct"
        write_direct_run(logdir / "ops" / "direct")
        spy.run = "strips"
        write_strips_run(logdir / "strips")
        spy.run = "formats"
        old = write_formats_run(logdir / "formats")
    return Logged(logdir, spy.calls, old)


@pytest.fixture(scope="session")
def logs(logged: Logged) -> Logs:
    return read(logged.logdir)
