"""Where a logger's summaries go: its writer, and the thread that writes in order.

Encoding PNGs and writing events runs on a background thread (one per
logger, started on demand), so a training loop waits only for the
explanations. Its queue holds at most two steps: a writer slower than
training makes `BackgroundWriter.submit` wait instead of piling maps up in
memory. The thread ends after a few idle seconds and is started again by the
next job. One `atexit` hook, registered once, finishes the pending writes of
every live writer when the interpreter exits normally; writers are tracked
weakly, so a closed logger is freed at once, also in a sweep of many.
"""

from __future__ import annotations

import atexit
import os
import queue
import threading
import weakref
from collections.abc import Callable
from typing import Any

import tensorflow as tf

__all__ = ["BackgroundWriter", "SummaryTarget"]

_LIVE: weakref.WeakSet[BackgroundWriter] = weakref.WeakSet()


def _finish_all() -> None:
    for writer in list(_LIVE):
        writer.join()


atexit.register(_finish_all)


class BackgroundWriter:
    """Runs queued jobs in order on a thread of its own; keeps their exceptions.

    Args:
      max_pending: Jobs queued at most (`submit` waits beyond).
      idle_seconds: How long the thread waits for a job before it ends.
    """

    def __init__(self, max_pending: int = 2, idle_seconds: float = 5.0) -> None:
        self._queue: queue.Queue[Callable[[], None]] = queue.Queue(maxsize=max_pending)
        self._idle_seconds = idle_seconds
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._errors: list[Exception] = []
        _LIVE.add(self)

    @property
    def running(self) -> bool:
        """Whether the thread is alive now."""
        with self._lock:
            return self._thread is not None

    def submit(self, job: Callable[[], None]) -> None:
        """Queues `job` (waits while `max_pending` jobs are queued)."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="tbexplain-writer", daemon=True
                )
                self._thread.start()
        self._queue.put(job)

    def join(self) -> None:
        """Waits until every submitted job has run."""
        self._queue.join()

    def pop_errors(self) -> list[Exception]:
        """The exceptions of jobs that failed since the last call."""
        with self._lock:
            errors, self._errors = self._errors, []
        return errors

    def _run(self) -> None:
        while True:
            try:
                job = self._queue.get(timeout=self._idle_seconds)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            try:
                job()
            except Exception as err:
                with self._lock:
                    self._errors.append(err)
            finally:
                self._queue.task_done()


class SummaryTarget:
    """The summary writer of a logger: a given one, or one made from a run directory.

    Args:
      log_dir: The run directory (any path `tf.io.gfile` writes); the writer
        is created on first use and closed by `close`.
      writer: A `tf.summary.SummaryWriter` to use instead (flushed, never
        closed here).

    Raises:
      ValueError, TypeError: not exactly one of the two, or not a writer.
    """

    def __init__(
        self,
        log_dir: str | os.PathLike[str] | None,
        writer: tf.summary.SummaryWriter | None,
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
        self.log_dir = os.fspath(log_dir) if log_dir is not None else None
        self._given = writer
        self._own: tf.summary.SummaryWriter | None = None

    @property
    def writer(self) -> tf.summary.SummaryWriter:
        """The writer (created from `log_dir` on first use)."""
        if self._given is not None:
            return self._given
        if self._own is None:
            assert self.log_dir is not None
            self._own = tf.summary.create_file_writer(self.log_dir)
        return self._own

    @property
    def current(self) -> tf.summary.SummaryWriter | None:
        """The writer if there is one yet (creates none)."""
        return self._given or self._own

    def flush(self) -> None:
        """Flushes the writer, if there is one yet."""
        writer: Any = self.current
        if writer is not None:
            writer.flush()

    def close(self) -> None:
        """Closes the writer made here; a later use opens a new one (event file)."""
        if self._own is not None:
            self._own.close()
            self._own = None
