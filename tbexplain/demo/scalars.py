"""Reads scalar series back from a run directory, the way TensorBoard reads them."""

from __future__ import annotations

import os

__all__ = ["ScalarReader", "read_scalars"]


class ScalarReader:
    """Reads `tf.summary.scalar` series of one run directory, incrementally.

    Uses TensorBoard's own event loading (all event files of the directory,
    also those several writers keep appending to), so it reads what
    TensorBoard shows.

    Args:
      run_dir: The run directory.
    """

    def __init__(self, run_dir: str | os.PathLike[str]) -> None:
        from tensorboard.backend.event_processing import plugin_event_accumulator

        self._accumulator = plugin_event_accumulator.EventAccumulator(
            os.fspath(run_dir),
            size_guidance={plugin_event_accumulator.TENSORS: 0},
            event_file_active_filter=lambda _: True,
        )

    def read(self, tag: str) -> list[tuple[int, float]]:
        """(step, value) of `tag`, ascending by step; [] when absent.

        New events are loaded first. The last value written at a step wins.
        """
        from tensorboard.util import tensor_util

        self._accumulator.Reload()
        if tag not in self._accumulator.Tags().get("tensors", []):
            return []
        values = {
            int(event.step): float(tensor_util.make_ndarray(event.tensor_proto))
            for event in self._accumulator.Tensors(tag)
        }
        return sorted(values.items())


def read_scalars(run_dir: str | os.PathLike[str], tag: str) -> list[tuple[int, float]]:
    """(step, value) of a scalar series of one run directory (see `ScalarReader`)."""
    return ScalarReader(run_dir).read(tag)
