"""Writes tbexplain series as raw event files, with any tensor and metadata, for tests.

The summary ops only write valid data; these helpers write what a buggy or
hostile writer could: any plugin content, any tensor (rank, dtype), any steps
and wall times. PNGs come from `tf.io.encode_png`.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np
from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2
from tensorboard.summary.writer import event_file_writer
from tensorboard.util import tensor_util

from tbexplain_plugin import metadata, plugin_data_pb2

_FILE_ORDER = itertools.count(1)

# A step's value: the strings of a rank-1 string tensor, or any TensorProto.
StepValue = Sequence[bytes] | tensor_pb2.TensorProto


def b64decode(key: str) -> bytes:
    """URL-safe base64 without padding (the Python provider's blob keys)."""
    return base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))


def png(pixels: np.ndarray) -> bytes:
    """`tf.io.encode_png` of a uint8 image [H, W] or [H, W, C]."""
    import tensorflow as tf

    return bytes(tf.io.encode_png(np.atleast_3d(pixels)).numpy())


def strip(images: Sequence[np.ndarray]) -> bytes:
    """One PNG strip: `images` (uint8, one shape) stacked top to bottom, as
    format version 3 stores the images of a step (`metadata.py`)."""
    return png(np.concatenate([np.atleast_3d(i) for i in images], axis=0))


def plugin_content(
    version: int = metadata.PROTO_VERSION,
    kind: int = plugin_data_pb2.ExplainPluginData.EXPLANATION,
) -> bytes:
    return plugin_data_pb2.ExplainPluginData(
        version=version, kind=kind, method="gradcam", encoding="png8"
    ).SerializeToString()


def write_series(
    run_dir: str | os.PathLike[str],
    tag: str,
    values: Sequence[StepValue],
    *,
    content: bytes | None = None,
    steps: Sequence[int] | None = None,
    wall_times: Sequence[float] | None = None,
    description: str = "",
    session_start: bool = False,
    manifest_tensors: bool | Sequence[bytes | tensor_pb2.TensorProto | None] = False,
    manifest_wall_times: Sequence[float] | None = None,
) -> None:
    """Writes one event file holding one tbexplain series.

    Args:
      run_dir: The run's directory (created if needed).
      tag: Tag name.
      values: Each step's value: the strings of a rank-1 string tensor
        (manifest, blobs...) or any `TensorProto`.
      content: Raw plugin content; by default a valid `ExplainPluginData`.
      steps: The steps (default 0, 1, ...).
      wall_times: The wall times (default 1e9 + step).
      description: The summary description (Markdown).
      session_start: Write a SessionLog START at the first step first. The
        Python loader takes every START after a run's first as a restart
        and drops the steps from its step on (the Rust data server drops
        them whenever a step goes back).
      manifest_tensors: The manifest tensors (format version 5) written
        before each step, as the writer does: True for element 0 of each
        step's strings; or, per step, the bytes of a scalar string tensor,
        any `TensorProto`, or None for none.
      manifest_wall_times: The manifest tensors' wall times (default: their
        steps').
    """
    content = plugin_content() if content is None else content
    steps = list(range(len(values))) if steps is None else list(steps)
    wall_times = [1.0e9 + s for s in steps] if wall_times is None else wall_times
    if manifest_tensors is True:
        manifest_tensors = [
            None if isinstance(v, tensor_pb2.TensorProto) else v[0] for v in values
        ]
    tensors = [None] * len(steps) if manifest_tensors is False else manifest_tensors
    tensor_times = manifest_wall_times or wall_times
    os.makedirs(run_dir, exist_ok=True)
    before = set(os.listdir(run_dir))
    writer = event_file_writer.EventFileWriter(os.fspath(run_dir))
    if session_start:
        writer.add_event(
            event_pb2.Event(
                step=steps[0],
                wall_time=wall_times[0],
                session_log=event_pb2.SessionLog(status=event_pb2.SessionLog.START),
            )
        )
    for value, step, wall_time, extra, extra_time in zip(
        values, steps, wall_times, tensors, tensor_times, strict=True
    ):
        if extra is not None:
            writer.add_event(manifest_event(tag, step, extra_time, extra))
        tensor = (
            value
            if isinstance(value, tensor_pb2.TensorProto)
            else tensor_util.make_tensor_proto(list(value))
        )
        summary_value = summary_pb2.Summary.Value(
            tag=tag,
            metadata=summary_pb2.SummaryMetadata(
                summary_description=description,
                plugin_data=summary_pb2.SummaryMetadata.PluginData(
                    plugin_name=metadata.PLUGIN_NAME, content=content
                ),
                data_class=summary_pb2.DATA_CLASS_BLOB_SEQUENCE,
            ),
            tensor=tensor,
        )
        writer.add_event(
            event_pb2.Event(
                step=step,
                wall_time=wall_time,
                summary=summary_pb2.Summary(value=[summary_value]),
            )
        )
    writer.close()
    # Named in write order: the Python loader follows a run's files in name
    # order and skips a file named before the one it reads. TensorBoard's
    # names end in a per-process counter (9 sorts after 10), so two files
    # written in the same second could sort backwards.
    [written] = set(os.listdir(run_dir)) - before
    os.rename(
        os.path.join(run_dir, written),
        os.path.join(run_dir, f"events.out.tfevents.{next(_FILE_ORDER):010d}.test"),
    )


def manifest_event(
    tag: str, step: int, wall_time: float, value: bytes | tensor_pb2.TensorProto
) -> event_pb2.Event:
    """The event of a step's manifest tensor: `value` as a scalar string tensor,
    or as given."""
    tensor = (
        value
        if isinstance(value, tensor_pb2.TensorProto)
        else tensor_util.make_tensor_proto(np.array(value, dtype=object))
    )
    summary_value = summary_pb2.Summary.Value(
        tag=metadata.manifest_tag(tag),
        metadata=metadata.create_manifest_metadata(),
        tensor=tensor,
    )
    return event_pb2.Event(
        step=step,
        wall_time=wall_time,
        summary=summary_pb2.Summary(value=[summary_value]),
    )


def write_events(run_dir: str | os.PathLike[str], written: Sequence[Any]) -> None:
    """Writes `written` (`event_pb2.Event`s) into a new event file of the run,
    named after the run's other files (see `write_series`)."""
    os.makedirs(run_dir, exist_ok=True)
    before = set(os.listdir(run_dir))
    writer = event_file_writer.EventFileWriter(os.fspath(run_dir))
    for event in written:
        writer.add_event(event)
    writer.close()
    [name] = set(os.listdir(run_dir)) - before
    os.rename(
        os.path.join(run_dir, name),
        os.path.join(run_dir, f"events.out.tfevents.{next(_FILE_ORDER):010d}.test"),
    )


def write_scalars(
    run_dir: str | os.PathLike[str], tag: str, points: Sequence[tuple[int, float]]
) -> None:
    """Writes `(step, value)` points of a scalar tag as `tf.summary.scalar` does
    (plugin "scalars", `DATA_CLASS_SCALAR`), wall time 1e9 + step."""
    os.makedirs(run_dir, exist_ok=True)
    before = set(os.listdir(run_dir))
    writer = event_file_writer.EventFileWriter(os.fspath(run_dir))
    for step, value in points:
        summary_value = summary_pb2.Summary.Value(
            tag=tag,
            metadata=summary_pb2.SummaryMetadata(
                plugin_data=summary_pb2.SummaryMetadata.PluginData(
                    plugin_name="scalars"
                ),
                data_class=summary_pb2.DATA_CLASS_SCALAR,
            ),
            tensor=tensor_util.make_tensor_proto(np.float32(value)),
        )
        writer.add_event(
            event_pb2.Event(
                step=step,
                wall_time=1.0e9 + step,
                summary=summary_pb2.Summary(value=[summary_value]),
            )
        )
    writer.close()
    [written] = set(os.listdir(run_dir)) - before
    os.rename(
        os.path.join(run_dir, written),
        os.path.join(run_dir, f"events.out.tfevents.{next(_FILE_ORDER):010d}.test"),
    )


def manifest(
    rows: int = 1,
    *,
    tiles: int | None = None,
    shape: Sequence[int] = (2, 2),
    columns: dict[str, list[Any]] | None = None,
    compress: bool = True,
    **extra: Any,
) -> bytes:
    """A valid manifest of `rows` rows (columns sample/min/max, replaced or
    extended by `columns`), with the top-level keys of `extra` added or
    replaced as given (``version=True``, ...)."""
    table = {"sample": list(range(rows)), "min": [0.0] * rows, "max": [1.0] * rows}
    table.update(columns or {})
    if not extra and compress:
        return metadata.encode_manifest(
            "explanation", shape, table, tiles=tiles or rows or 1
        )
    body: dict[str, Any] = {
        "version": metadata.PROTO_VERSION,
        "kind": "explanation",
        "shape": list(shape),
        "tiles": tiles or rows or 1,
        "columns": table,
    }
    body.update(extra)
    text = json.dumps(body).encode()
    return zlib.compress(text) if compress else text
