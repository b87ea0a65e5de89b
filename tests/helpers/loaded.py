"""Knowing that a TensorBoard has loaded a logdir, without asking tbexplain's routes.

Benchmarks that time the first request after start (cold plugin caches)
cannot wait on the plugin's own routes, which would fill those caches. So
`add_sentinels` writes a scalar into every run, in an event file of its own
named after the run's others; both of TensorBoard's loaders read a run's
files in name order (and the Rust data server commits what it staged before
a value as it serves it), so once the scalars plugin lists a run's sentinel
(`wait_loaded`), every event of that run is loaded. Importing this module
does not import TensorFlow.
"""

from __future__ import annotations

import time
from pathlib import Path

from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer import record_writer

from tests.helpers.tb_server import TensorBoardServer

SENTINEL_TAG = "tbexplain_benchmark/loaded"
SENTINEL_FILE = "events.out.tfevents.9999999999.zz-loaded"


def add_sentinels(logdir: Path) -> list[str]:
    """Writes the sentinel scalar into every run of `logdir`; returns the runs
    (folders holding event files, relative to `logdir`, ``.`` for itself)."""
    runs = sorted({p.parent for p in logdir.rglob("*tfevents*") if p.is_file()})
    event = event_pb2.Event(
        wall_time=time.time(),
        step=0,
        summary=summary_pb2.Summary(
            value=[summary_pb2.Summary.Value(tag=SENTINEL_TAG, simple_value=1.0)]
        ),
    )
    for run_dir in runs:
        with open(run_dir / SENTINEL_FILE, "wb") as f:
            record_writer.RecordWriter(f).write(event.SerializeToString())
    return [p.relative_to(logdir).as_posix() for p in runs]


def wait_loaded(
    server: TensorBoardServer, runs: list[str], timeout: float = 1800
) -> float:
    """Waits until the scalars plugin lists every run's sentinel; returns the
    seconds waited."""
    start = time.monotonic()
    server.wait_for(
        "/data/plugin/scalars/tags",
        lambda body: all(SENTINEL_TAG in body.get(run, {}) for run in runs),
        timeout=timeout,
        interval=0.5,
    )
    return time.monotonic() - start
